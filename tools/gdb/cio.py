"""GDB commands for cio's tasks.

    (gdb) source tools/gdb/cio.py
    (gdb) cio-tasks              every not-done task of the loop this thread runs
    (gdb) cio-tasks LOOP         ... of the loop at the expression LOOP
    (gdb) cio-bt ID              the backtrace of the suspended task ID, on its own stack

A suspended task's registers live at the top of its stack (src/coro.c and
src/arch/*/switch.S write them there); cio-bt loads them into the frame
registers, prints the backtrace and puts the registers back.  x86-64 and
AArch64 (assembly switch); with the ucontext fallback only cio-tasks works.
"""
import gdb

T_STARTED = 2


def _loop(arg):
    if arg:
        return gdb.parse_and_eval(arg)
    loop = gdb.parse_and_eval("cio__tls.running")
    if int(loop) == 0:
        raise gdb.GdbError("this thread runs no cio loop; give a loop expression")
    return loop


def _tasks(loop):
    t = loop["all_head"]
    while int(t) != 0:
        yield t
        t = t["all_next"]


def _name(t):
    name = t["name"]
    return name.string() if int(name) != 0 else "Task-%d" % int(t["id"])


def _state(t, current):
    if int(t) == current:
        return "running"
    if not int(t["fut"]["tflags"]) & T_STARTED:
        return "created, not started"
    return "suspended (waiting)" if int(t["wait"]) != 0 else "suspended (scheduled)"


class CioTasks(gdb.Command):
    """List the not-done tasks of a cio loop: cio-tasks [LOOP]"""

    def __init__(self):
        super().__init__("cio-tasks", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        loop = _loop(arg.strip())
        current = int(gdb.parse_and_eval("cio__tls.task"))
        n = 0
        for t in _tasks(loop):
            n += 1
            site = ""
            dbg = t["dbg"]
            if int(dbg) != 0 and int(dbg["file"]) != 0:
                site = " created at %s:%d" % (dbg["file"].string(), int(dbg["line"]))
            print("%4d  %-24s %-22s cancels=%d%s" % (int(t["id"]), "'%s'" % _name(t), _state(t, current),
                                                      int(t["num_cancels"]), site))
        print("%d task(s)" % n)


class CioBt(gdb.Command):
    """Backtrace of a suspended cio task: cio-bt ID [LOOP]"""

    def __init__(self):
        super().__init__("cio-bt", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        args = arg.split(None, 1)
        if not args:
            raise gdb.GdbError("usage: cio-bt ID [LOOP]")
        want = int(args[0])
        loop = _loop(args[1] if len(args) > 1 else "")
        task = None
        for t in _tasks(loop):
            if int(t["id"]) == want:
                task = t
        if task is None:
            raise gdb.GdbError("no task %d in that loop" % want)
        if int(task) == int(gdb.parse_and_eval("cio__tls.task")):
            gdb.execute("bt")
            return
        if int(task["stack"]) == 0 or not int(task["fut"]["tflags"]) & T_STARTED:
            raise gdb.GdbError("task %d has not started: it has no stack yet" % want)
        ctx = task["stack"]["ctx"]
        arch = gdb.selected_frame().architecture().name()
        ptr = gdb.lookup_type("unsigned long").pointer()

        def word(addr):
            return int(gdb.Value(addr).cast(ptr).dereference())

        try:
            sp = int(ctx["sp"])
        except gdb.error:
            sp = None  # the ucontext fallback: the registers are in uc_mcontext
        if sp is None:
            if "x86-64" not in arch:
                raise gdb.GdbError("cio-bt with ucontext knows x86-64 only")
            g = ctx["uc"]["uc_mcontext"]["gregs"]
            regs = {"$rbp": int(g[10]), "$rsp": int(g[15]), "$rip": int(g[16])}  # REG_RBP, REG_RSP, REG_RIP
        elif "x86-64" in arch:
            # [mxcsr,fpucw][r15][r14][r13][r12][rbx][rbp][return address]
            regs = {"$rbp": word(sp + 48), "$rsp": sp + 64, "$rip": word(sp + 56)}
        elif "aarch64" in arch:
            # x19..x28 at 0..72, x29 (fp) at 80, x30 (lr) at 88, frame 176 bytes
            regs = {"$x29": word(sp + 80), "$sp": sp + 176, "$pc": word(sp + 88)}
        else:
            raise gdb.GdbError("cio-bt knows x86-64 and AArch64 only")
        saved = {r: int(gdb.parse_and_eval(r)) for r in regs}
        try:
            for r, v in regs.items():
                gdb.execute("set %s = %d" % (r, v))
            print("Task %d '%s':" % (want, _name(task)))
            gdb.execute("bt")
        finally:
            for r, v in saved.items():
                gdb.execute("set %s = %d" % (r, v))


CioTasks()
CioBt()
