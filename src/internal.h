/* Internal declarations shared by the library's modules.  Nothing here is
 * part of the public API. */
#ifndef CIO_INTERNAL_H
#define CIO_INTERNAL_H

#include "cio.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(CIO_USE_UCONTEXT)
#include <ucontext.h>
#endif

/* ThreadSanitizer: task stacks are announced as fibers (src/coro.c). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CIO__TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CIO__TSAN 1
#endif

#define cio__container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define CIO__UNUSED(x) ((void)(x))

/* ------------------------------------------------------------ allocation */
void *cio__malloc(size_t n);
void *cio__calloc(size_t n);
void *cio__realloc(void *p, size_t n);
void cio__free_nonnull(void *p);
/* Inline: most frees on the hot paths are of optional parts left NULL. */
static inline void cio__free(void *p)
{
    if (p)
        cio__free_nonnull(p);
}
char *cio__strdup(const char *s);

/* --------------------------------------------------------------- objects */
enum {
    CIO__MAGIC_FUTURE = 0x46757475u, /* "Futu" */
    CIO__MAGIC_TASK = 0x5461736bu,   /* "Task" */
    CIO__MAGIC_HANDLE = 0x48616e64u, /* "Hand" */
    CIO__MAGIC_LOOP = 0x4c6f6f70u,   /* "Loop" */
    CIO__MAGIC_STREAM = 0x5374726du,    /* "Strm" */
    CIO__MAGIC_TRANSPORT = 0x5472616eu, /* "Tran" */
    CIO__MAGIC_SERVER = 0x53657276u,    /* "Serv" */
    CIO__MAGIC_TLS = 0x546c7343u,       /* "TlsC" */
    CIO__MAGIC_PROCESS = 0x50726f63u,   /* "Proc" */
    CIO__MAGIC_DEAD = 0xdeadbeefu,
};

struct cio__obj {
    uint32_t magic;
    uint32_t refs;
};

/* An entry of the ready queue: a callback, a task step, a done callback. */
struct cio__cb {
    struct cio__cb *next;
    void (*run)(struct cio__cb *cb);
};

struct cio__queue { /* FIFO of cio__cb */
    struct cio__cb *head;
    struct cio__cb **tailp;
};

static inline void cio__queue_init(struct cio__queue *q)
{
    q->head = NULL;
    q->tailp = &q->head;
}
static inline void cio__queue_push(struct cio__queue *q, struct cio__cb *cb)
{
    cb->next = NULL;
    *q->tailp = cb;
    q->tailp = &cb->next;
}
static inline bool cio__queue_empty(const struct cio__queue *q)
{
    return q->head == NULL;
}

/* ---------------------------------------------------------------- timers */
struct cio__timer {
    int64_t when;  /* deadline, ns on the monotonic clock */
    uint64_t seq;  /* insertion order, breaks ties */
    uint32_t idx;  /* its slot in the heap's slot table; CIO__TIMER_DUE | its
                    * place in the due list; CIO__TIMER_NONE when neither */
    uint8_t spare[4]; /* the owner's: flags that would otherwise pad it */
    void (*fire)(struct cio__timer *t);
};
#define CIO__TIMER_NONE UINT32_MAX
#define CIO__TIMER_DUE 0x80000000u

struct cio__heap_ent {
    int64_t when;
    struct cio__timer *t;
    uint32_t slot;
};

/* Timers often live far apart (on their tasks' stacks): sifting writes the
 * positions into a dense slot table instead of into the timers, so it
 * touches two arrays and no timer.
 *
 * A due timer leaves the heap for the due list, in deadline order, and
 * fires later, in the ready phase, where asyncio runs a TimerHandle's
 * callback (the loop's run_due).  Removing a timer takes it off either;
 * the due list has room for every reserved timer, so popping never
 * allocates. */
struct cio__heap {
    struct cio__heap_ent *a;
    uint32_t *slots;    /* slot -> position; free slots link the free list */
    struct cio__timer **due; /* popped, not yet fired (NULL: removed) */
    uint32_t len, cap;
    uint32_t nslots, free_slot;
    uint32_t ndue;
    uint64_t seq;
};

void cio__heap_init(struct cio__heap *h);
void cio__heap_free(struct cio__heap *h);
int cio__heap_reserve(struct cio__heap *h, uint32_t extra); /* -ENOMEM */
void cio__heap_push(struct cio__heap *h, struct cio__timer *t); /* reserved */
void cio__heap_remove(struct cio__heap *h, struct cio__timer *t);
struct cio__timer *cio__heap_pop(struct cio__heap *h);
void cio__heap_pop_due(struct cio__heap *h); /* the top, onto the due list */
/* The earliest deadline (the heap must not be empty), read from the heap's
 * own copy: the timer itself may sit on a stack long out of the caches. */
static inline int64_t cio__heap_top_when(const struct cio__heap *h)
{
    return h->a[0].when;
}

/* ------------------------------------------------------- context switch */
struct cio__ctx {
#if defined(CIO_USE_UCONTEXT)
    ucontext_t uc;
#else
    void *sp;
#endif
};

/* A stack: its header lives at the top of the stack memory itself, so a
 * task that has not grown touches one page in all. */
struct cio__stack {
    struct cio__ctx ctx;
    char *lo;        /* lowest usable byte (just above the guard page) */
    size_t size;     /* usable bytes, header included */
    uint8_t guarded; /* a PROT_NONE page lies below lo */
    uint8_t pooled;  /* from a slab of the loop's pool (else own mapping) */
    /* During an eager first step: the context to return to at the task's
     * first suspension or end (its creator's), and that context's stack
     * (NULL: the thread's own).  NULL ret: the loop's context. */
    struct cio__ctx *ret;
    struct cio__stack *ret_stack;
    struct cio__timeout *scopes; /* the task's entered timeout scopes, innermost first */
    struct cio_gen_s *gen;       /* a generator's stack: the generator */
#if defined(CIO__TSAN)
    void *tsan_fiber;            /* ThreadSanitizer's fiber for this stack */
#endif
#if defined(CIO_VALGRIND)
    unsigned vg_id;              /* its valgrind stack registration */
#endif
};
struct cio__timeout;

struct cio__stack_pool {
    size_t stack_size; /* usable size of pooled stacks */
    /* Free stacks, the last freed on top.  An array, not a list through the
     * stacks, so the next ones can be prefetched without reading any cold
     * stack; room for every stack carved is made when a slab is added. */
    struct cio__stack **free;
    size_t nfree, cap, total; /* total: the stacks of all slabs */
    struct cio__slab *slabs;
    /* Memory back after a spike (cio__stack_pool_trim): the free entries
     * below ntrimmed have had their pages returned (an entry is then its
     * region's address, tagged with bit 0, carved anew when taken); low is
     * the fewest free stacks seen since the last trim. */
    size_t ntrimmed, low;
};

void cio__stack_pool_init(struct cio__stack_pool *p, size_t stack_size);
void cio__stack_pool_destroy(struct cio__stack_pool *p);
struct cio__stack *cio__stack_get(struct cio__stack_pool *p, size_t size);
void cio__stack_put(struct cio__stack_pool *p, struct cio__stack *s);
/* Give back the pages of the free stacks that no task took since the last
 * call, but the keep most recently freed; returns how many free stacks
 * still hold their pages beyond keep (a later call may return those). */
size_t cio__stack_pool_trim(struct cio__stack_pool *p, size_t keep);
void cio__stack_install_overflow_handler(void);
void cio__stack_thread_enter(void); /* sigaltstack for overflow reports */
void cio__stack_thread_leave(void);
struct cio__task;
void cio__stack_report_overflow(struct cio__task *t);
#if defined(CIO__TSAN)
void cio__tsan_stack_gone(struct cio__stack *s);
#endif

/* Prepare s to start in entry() at the next switch to it. */
void cio__ctx_make(struct cio__stack *s, void (*entry)(void));
/* Switch from the running context to `to`.  to_stack describes the target
 * stack for the sanitizers (NULL: the thread's own stack).  dying: the
 * context switched from is never resumed.  Inline without sanitizers: every
 * call level between two switches costs a mispredicted return. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CIO__ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CIO__ASAN 1
#endif
#if !defined(CIO_USE_UCONTEXT)
void cio__switch_asm(void **save_sp, void *load_sp);
#endif
#if defined(CIO__ASAN) || defined(CIO__TSAN)
void cio__ctx_switch(struct cio__ctx *from, struct cio__ctx *to, struct cio__stack *to_stack, bool dying);
#elif defined(CIO_USE_UCONTEXT)
static inline void cio__ctx_switch(struct cio__ctx *from, struct cio__ctx *to, struct cio__stack *to_stack,
                                   bool dying)
{
    (void)to_stack;
    (void)dying;
    swapcontext(&from->uc, &to->uc);
}
#else
static inline void cio__ctx_switch(struct cio__ctx *from, struct cio__ctx *to, struct cio__stack *to_stack,
                                   bool dying)
{
    (void)to_stack;
    (void)dying;
    cio__switch_asm(&from->sp, to->sp);
}
#endif
/* Called first thing on a new stack. */
void cio__ctx_started(void);
void cio__fp_default(void); /* a new task's FP control state (src/coro.c) */

/* ------------------------------------------------------------ object pools */
struct cio__pool {
    size_t objsize;
    void *free;        /* LIFO of freed objects */
    char *cur, *end;   /* the unused rest of the newest chunk */
    char *populated;   /* cur..populated is already mapped */
    size_t nget;       /* objects carved so far (small pools skip populating) */
    void *chunks;      /* linked through their first word */
};
void cio__pool_init(struct cio__pool *p, size_t objsize); /* 8-byte aligned objects */
void *cio__pool_get(struct cio__pool *p); /* NULL: out of memory */
void cio__pool_put(struct cio__pool *p, void *o);
void cio__pool_destroy(struct cio__pool *p);
/* Map a large fresh allocation in one call rather than a fault per page. */
void cio__prefault(void *ptr, size_t n);
/* An array of n fresh bytes, mapped at once (huge pages from 2 MiB on);
 * free with cio__big_free.  NULL: out of memory. */
void *cio__big_alloc(size_t n);
void cio__big_free(void *p);

/* ----------------------------------------------------------- I/O backend */
struct cio__io;
typedef void cio__io_fn(struct cio__io *io, uint32_t events);
struct cio__io {
    int fd;
    uint32_t events; /* CIO__IO_READ | CIO__IO_WRITE */
    cio__io_fn *cb;
};
enum { CIO__IO_READ = 1, CIO__IO_WRITE = 2, CIO__IO_ERROR = 4,
       CIO__IO_EDGE = 8, /* registration flag: edge-triggered, read hang-up reported */
       CIO__IO_HUP = 16  /* reported with READ: the peer closed its side (no more data will come) */ };

struct cio__backend_ops {
    const char *name;
    int (*init)(cio_loop_t *loop);
    void (*close)(cio_loop_t *loop);
    int (*add)(cio_loop_t *loop, struct cio__io *io);
    int (*mod)(cio_loop_t *loop, struct cio__io *io);
    int (*del)(cio_loop_t *loop, struct cio__io *io);
    /* Wait up to timeout_ns (-1: forever, 0: don't block); call the ready
     * watchers' callbacks.  Returns the number of events or -errno. */
    int (*poll)(cio_loop_t *loop, int64_t timeout_ns);
};
extern const struct cio__backend_ops cio__backend_epoll;

/* ------------------------------------------------------------- the loop */
struct cio__executor;

struct cio_loop_s {
    struct cio__obj obj;
    struct cio__queue ready;      /* callbacks for the next batch */
    struct cio__queue flushq;     /* run once the batch is over: writes of the iteration (phase_flush) */
    struct cio__heap timers;
    struct cio__cb due_cb;        /* queued behind the batch when timers fall due */
    int due_queued;
    int64_t now;                  /* cached at each iteration */
    uint64_t iteration;
    uint32_t flags;
    int stopping;
    int running;
    int closed;
    int debug;
    int64_t slow_ns;              /* debug mode: a callback longer than this is logged */
    /* threadsafe entry: call_soon_threadsafe, executor completions */
    pthread_mutex_t ts_lock;
    struct cio__queue ts_queue;
    atomic_int ts_pending;        /* ts_queue has entries */
    atomic_int wake_pending;      /* an eventfd write is outstanding */
    int wake_fd;
    struct cio__io wake_io;
    /* backend */
    const struct cio__backend_ops *backend;
    int backend_fd;
    void *backend_data;
    size_t nwatchers;             /* I/O watchers besides the wake-up fd */
    int64_t last_poll;            /* when the backend was last polled (busy: see phase_poll) */
    int64_t next_trim;            /* when idle memory is next looked at (cio__loop_trim) */
    struct cio__fdent **fds;      /* fd -> its readers/writers/waiters (src/net/fdwatch.c) */
    int nfds;                     /* slots in fds */
    char *scratch;                /* CIO__SCRATCH bytes for reads with no buffer yet */
    struct cio__sigstate *sig;    /* signal handlers (src/signal.c), NULL until the first */
    size_t norphans;              /* children killed at their last unref, not reaped yet */
    /* tasks */
    struct cio__ctx sched_ctx;    /* the loop's own context */
    struct cio__cb *batch;        /* what remains of the batch being run */
    struct cio__task *from;       /* the task that last switched to sched_ctx */
    struct cio__stack_pool stacks;
    struct cio__pool task_pool;   /* struct cio__task */
    struct cio__pool handle_pool; /* cio_handle_t (loop-thread handles) */
    struct cio__task *all_head;   /* doubly-linked list of pending tasks */
    size_t ntasks_pending;
    uint64_t task_counter;        /* for "Task-N" names */
    size_t nobjs;                 /* futures, tasks, handles and generators alive */
    struct cio_gen_s *gens;       /* generators started and not finished */
    /* error handling */
    cio_exception_handler_fn *exc_handler;
    void *exc_ud;
    /* executor */
    struct cio__executor *executor;
    int executor_max;
    pthread_t owner;              /* thread running it, while running */
};

/* Per-thread state. */
struct cio__tls {
    cio_loop_t *running;  /* the loop running in this thread */
    cio_loop_t *set;      /* cio_set_event_loop */
    struct cio__task *task; /* the task running now */
};
extern _Thread_local struct cio__tls cio__tls;

int64_t cio__now_ns(void);
static inline void cio__loop_schedule(cio_loop_t *loop, struct cio__cb *cb)
{
    cio__queue_push(&loop->ready, cb);
}
/* A busy loop polls for I/O at least every CIO__POLL_EVERY-th iteration, and
 * at least every CIO__POLL_GAP_NS nanoseconds, while I/O is watched
 * (src/loop.c): a connection that always has data waits its turn behind the
 * others' events, never more than an iteration or this long. */
#define CIO__POLL_EVERY 32
#define CIO__POLL_GAP_NS 100000
static inline bool cio__loop_poll_due(cio_loop_t *loop, uint64_t iteration, int64_t now)
{
    return loop->nwatchers && (iteration % CIO__POLL_EVERY == 0 || now - loop->last_poll >= CIO__POLL_GAP_NS);
}
/* Queue cb to run when the current batch is over, before the next
 * iteration polls (phase_flush): what a connection wrote during the
 * iteration leaves in one system call there. */
static inline void cio__loop_at_flush(cio_loop_t *loop, struct cio__cb *cb)
{
    cio__queue_push(&loop->flushq, cb);
}
/* At the end of a batch, from a task: whether the next iteration would do
 * nothing but run its batch (work ready; no stop, thread-safe post, poll or
 * due timer), so that the task may begin it itself with
 * cio__loop_begin_inline and hand the CPU to the batch's first task. */
static inline bool cio__loop_inline_ok(cio_loop_t *loop)
{
    if (!loop->ready.head || loop->stopping || loop->debug || loop->flushq.head ||
        atomic_load_explicit(&loop->ts_pending, memory_order_relaxed))
        return false;
    if (loop->timers.len || loop->nwatchers) {
        int64_t now = cio__now_ns();
        if (cio__loop_poll_due(loop, loop->iteration + 1, now))
            return false; /* that one polls */
        if (loop->timers.len && cio__heap_top_when(&loop->timers) <= now)
            return false; /* a timer is due */
        loop->now = now;
    }
    return true;
}
/* Begin that iteration: its batch is what is ready, minus its first callback,
 * which is returned for the caller to run. */
static inline struct cio__cb *cio__loop_begin_inline(cio_loop_t *loop)
{
    struct cio__cb *head = loop->ready.head;
    loop->iteration++;
    loop->batch = head->next;
    cio__queue_init(&loop->ready);
    return head;
}
void cio__loop_post_threadsafe(cio_loop_t *loop, struct cio__cb *cb);
int cio__loop_run_once(cio_loop_t *loop);
int cio__loop_check(cio_loop_t *loop); /* magic; 0 or -EINVAL */
void cio__loop_report(cio_loop_t *loop, const char *message, int err, const char *errmsg, cio_future_t *f,
                      cio_handle_t *h);
int cio__double_to_ns(double s, int64_t *out); /* -EINVAL for NaN/inf */

/* --------------------------------------------------------------- futures */
enum { CIO__PENDING = 0, CIO__RESULT, CIO__ERROR, CIO__CANCELLED };
enum { CIO__KIND_FUTURE = 0, CIO__KIND_TASK, CIO__KIND_GATHER };

/* An entry of a future's done list.  An internal one has notify, called
 * inside the completion: it may only update state and schedule (wake a task,
 * queue a callback), never run user code.  A user callback has notify NULL
 * and is the head of a struct cio__fcb, queued through its cb. */
struct cio__reg {
    struct cio__reg *next;
    void (*notify)(struct cio__reg *r);
};

/* A done-callback registration: a task waiting in cio_await() (on the
 * task's stack), a composition's watch, or a user callback (allocated). */
struct cio__fcb {
    struct cio__reg reg;
    struct cio__cb cb;       /* ready-queue node (user callbacks) */
    struct cio__task *task;  /* waiting task, or NULL */
    cio_done_fn *fn;
    void *arg;
    cio_future_t *fut;       /* user callbacks: the future (a reference) */
};

struct cio_future_s {
    struct cio__obj obj;
    cio_loop_t *loop;
    uint8_t state;
    uint8_t retrieved;
    uint8_t kind;             /* CIO__KIND_* */
    uint8_t tflags;           /* tasks: CIO__T_* (kept here, in padding) */
    int rc;                   /* error code when state is ERROR */
    void *result;
    char *message;            /* error or cancel message */
    struct cio__reg *cbs;     /* registrations, in order */
};

int cio__future_init(cio_future_t *f, cio_loop_t *loop, uint32_t magic);
int cio__gather_cancel(cio_future_t *f, const char *msg);
void cio__gather_free_parts(cio_future_t *f);
int cio__future_unref(cio_future_t *f);
void cio__task_free_parts(cio_future_t *f);
const char *cio__task_name(cio_future_t *f);
int cio__future_check(const cio_future_t *f); /* 0 or -EINVAL */
/* The one state transition: PENDING -> state; schedules the callbacks. */
void cio__future_complete(cio_future_t *f, uint8_t state, int rc, void *result, char *message);
void cio__future_add_reg(cio_future_t *f, struct cio__reg *r);
void cio__future_del_reg(cio_future_t *f, struct cio__reg *r);
/* The fcb a notify was given. */
#define CIO__FCB(r) cio__container_of((r), struct cio__fcb, reg)
/* The fcb whose queued callback this is. */
#define CIO__FCB_OF_CB(c) cio__container_of((c), struct cio__fcb, cb)

/* ------------------------------------------------------------------ tasks */
typedef int cio__cancel_hook(struct cio__task *t);

/* The wait a suspended task is in, on its own stack. */
struct cio__wait {
    cio__cancel_hook *cancel; /* cancels the wait; 1 if it did */
    void *obj;                /* what is waited on */
};

/* tflags: the first three for tasks, MARK for any future (duplicate check). */
enum { CIO__T_MUST_CANCEL = 1, CIO__T_STARTED = 2, CIO__T_EXITING = 4, CIO__F_MARK = 8 };

/* Kept small: a created task that has not run costs this object only. */
struct cio__task {
    struct cio_future_s fut;
    struct cio__cb step;          /* ready-queue node */
    cio_coro_fn *fn;
    void *arg;
    struct cio__stack *stack;     /* NULL until the first step */
    char *name;                   /* NULL: "Task-<id>" made on demand */
    char *fail_msg;               /* from cio_fail() */
    struct cio__tdbg *dbg;        /* debug mode: creation site, else NULL */
    struct cio__wait *wait;       /* while suspended in a cancellable wait */
    struct cio__task *all_prev, *all_next;
    uint32_t id;
    uint32_t stack_size;
    int32_t num_cancels;
    int wake_rc;                  /* set by whoever wakes it */
};

static inline struct cio__task *cio__task_of(cio_future_t *f)
{
    return cio__container_of(f, struct cio__task, fut);
}
/* Suspend the current task; hook cancels the wait (may be NULL).  Returns
 * -ECANCELED if a cancel is pending at resume, else t->wake_rc. */
int cio__task_suspend(struct cio__task *t, cio__cancel_hook *hook, void *obj);
void cio__task_wake(struct cio__task *t, int rc);
/* Ask the memory system for what resuming n (the next ready entry) will
 * read: stacks last touched long ago miss the caches and the TLB, and a
 * batch of such resumptions overlaps its misses this way. */
void cio__batch_prefetch(struct cio__cb *n);
#define CIO__RESUME_PREFETCH 1024
#define CIO__START_PREFETCH 256
/* cio_await with the given reaction to a cancel of the awaiting task
 * (its wait object is the registration, whose fut is f). */
/* What cio_await refuses: 0, or -EINVAL, CIO_ENOTASK, CIO_EWRONGLOOP,
 * CIO_ESELFAWAIT (shared by the calls that await as it does). */
int cio__await_check(cio_future_t *f);

/* ------------------------------------------------------------- waiters */

/* A task waiting on a lock, event, condition, semaphore or queue: a record
 * on the task's own stack, linked into the object's FIFO list. */
struct cio__waiter {
    struct cio__waiter *prev, *next;
    struct cio__wlist *list; /* the list it is in, NULL once out */
    struct cio__task *task;
    uint8_t woken;           /* chosen by a release/notify/set/put: unlinked */
};

struct cio__wlist {
    struct cio__waiter *head, *tail;
};

static inline void cio__wlist_push(struct cio__wlist *l, struct cio__waiter *w, struct cio__task *t)
{
    w->task = t;
    w->woken = 0;
    w->list = l;
    w->next = NULL;
    w->prev = l->tail;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
}

static inline void cio__wlist_remove(struct cio__waiter *w)
{
    struct cio__wlist *l = w->list;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    w->list = NULL;
}

/* Choose the first waiter: unlink it, mark it woken, schedule its task.
 * Returns 0 if the list was empty. */
static inline int cio__wlist_wake_first(struct cio__wlist *l)
{
    struct cio__waiter *w = l->head;
    if (!w)
        return 0;
    cio__wlist_remove(w);
    w->woken = 1;
    cio__task_wake(w->task, 0);
    return 1;
}

/* Suspend t in w (already pushed); a cancel before it was chosen unlinks it
 * and resumes it with -ECANCELED, a cancel after is delivered on resume. */
int cio__waiter_suspend(struct cio__task *t, struct cio__waiter *w);

/* The loop of a primitive's waiters must be the caller's: a primitive with
 * waiters of another loop is refused, one without waiters is free to use. */
static inline int cio__sync_loop_check(cio_loop_t **bound, int idle)
{
    cio_loop_t *cur = cio__tls.running;
    if (*bound == cur)
        return 0;
    if (!idle)
        return CIO_EWRONGLOOP;
    *bound = cur;
    return 0;
}

/* ------------------------------------------------------------- generators */
void cio__gen_close_all(cio_loop_t *loop); /* the runner's shutdown */

/* ------------------------------------------------------------ networking */

/* Register, change or drop a watcher, keeping loop->nwatchers. */
int cio__io_add(cio_loop_t *loop, struct cio__io *io);
int cio__io_mod(cio_loop_t *loop, struct cio__io *io);
void cio__io_del(cio_loop_t *loop, struct cio__io *io);

/* An fd the user watches (add_reader, wait_readable) or a library object
 * owns (stream, transport, server socket). */
struct cio__fdent {
    struct cio__io io;
    cio_loop_t *loop;
    cio_callback_fn *fn[2];   /* [0] reader, [1] writer */
    void *arg[2];
    struct cio__cb cb[2];     /* ready-queue nodes for the callbacks */
    uint8_t queued[2];
    uint8_t registered;
    uint8_t owned;            /* a library object's: add_reader refused */
    struct cio__task *task[2];/* a task in cio_wait_readable/writable */
};
/* Mark fd as owned by a library object: CIO_EINVALSTATE when the user
 * watches it.  Release forgets it. */
int cio__fd_claim(cio_loop_t *loop, int fd);
void cio__fd_release(cio_loop_t *loop, int fd);
void cio__fdwatch_close(cio_loop_t *loop); /* loop close: drop every entry */

#define CIO__SCRATCH (256 * 1024)
char *cio__loop_scratch(cio_loop_t *loop); /* NULL: -ENOMEM */
/* The running loop, or an error code (CIO_ENOLOOP) in *rc. */
cio_loop_t *cio__running_loop(int *rc);
/* Suspend the current task until io sees `dir` (CIO__IO_READ/WRITE) or the
 * timeout (ns, < 0 none) passes.  Used on a user's fd. */
int cio__wait_fd(int fd, int dir, int64_t timeout_ns);
/* cio_unref of a stream, transport, server or TLS context. */
int cio__net_unref(void *obj);
/* Map a getaddrinfo error to a cio code. */
int cio__gai_error(int eai, int sys_errno);

/* --------------------------------------------------------------- signals */
void cio__signal_loop_close(cio_loop_t *loop);
/* SIGPIPE ignored, once, unless the application set its own disposition:
 * for the writes cio cannot make with MSG_NOSIGNAL (subprocess pipes,
 * OpenSSL's write(2)). */
void cio__ignore_sigpipe(void);
int cio__process_unref(cio_process_t *p);
/* The Runner's SIGINT handling, in the main thread when SIGINT is at its
 * default: 1 if installed (fn(arg) runs on the first SIGINT), 0 if not. */
int cio__signal_runner_begin(cio_loop_t *loop, cio_callback_fn *fn, void *arg);
void cio__signal_runner_end(cio_loop_t *loop);

/* ------------------------------------------------------------ debug mode */
struct cio__tdbg {
    const char *file; /* creation site (a string literal), or NULL */
    int line;
    int nframes;
    void *frames[14]; /* the creator's stack, where backtrace() exists */
    size_t stack_used;  /* high-water mark of its stack, measured at its end */
    size_t stack_size;
};
void cio__debug_stack_paint(struct cio__stack *s);   /* fill the unused stack with a pattern */
void cio__debug_stack_measure(struct cio__task *t);  /* how far the pattern was overwritten */
struct cio__tdbg *cio__debug_site(const char *file, int line); /* NULL: -ENOMEM */
struct cio__task *cio__cb_task(struct cio__cb *cb);           /* a task step's task, or NULL */
void cio__debug_run_cb(cio_loop_t *loop, struct cio__cb *cb); /* run it, log it if slow */
void cio__debug_run_timer(cio_loop_t *loop, struct cio__timer *t); /* fire it, log it if slow */
int cio__debug_wrong_thread(cio_loop_t *loop, const char *what);
/* Debug mode: a non-thread-safe call from a thread not running the loop. */
static inline int cio__debug_thread_check(cio_loop_t *loop, const char *what)
{
    if (__builtin_expect(loop->debug, 0) && loop->running && cio__tls.running != loop)
        return cio__debug_wrong_thread(loop, what);
    return 0;
}

/* ------------------------------------------------------------- executor */
void cio__executor_shutdown(cio_loop_t *loop);

#endif
