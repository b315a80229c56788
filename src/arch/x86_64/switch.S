/* Context switch for x86-64 (System V).
 *
 * void cio__switch_asm(void **save_sp, void *load_sp)
 *
 * Saves the callee-saved registers, MXCSR and the x87 control word on the
 * current stack, stores the stack pointer in *save_sp, loads load_sp and
 * restores the same set from there.  A new context is a stack prepared by
 * cio__ctx_make() in the same layout, whose "return address" is its entry.
 */
    .text
    .globl cio__switch_asm
    .hidden cio__switch_asm
    .type cio__switch_asm,@function
    .p2align 4
cio__switch_asm:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size cio__switch_asm,.-cio__switch_asm
    .section .note.GNU-stack,"",@progbits
