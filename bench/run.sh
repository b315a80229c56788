#!/usr/bin/env bash
# cio's benchmarks, measured the way shared/peers/run.sh measures the peers,
# and printed in the same form, one median line per workload:
#
#   W1 cio reps=3 switches=1000000 ns_per_switch=... rss_kb=... cpu_s=... cpu_pct=... bg_cpu_pct=...
#
# usage: bench/run.sh [--peers] [W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13 W14 W15 W16 W17 ...]   (default: all but W17)
#        W18 (the HTTP client, bench/w18.sh: nginx, aiohttp, Go, libuv+curl) only when named
#   --peers   also run shared/peers/run.sh for the same workloads (one
#             invocation, ONLY= and REPS passed on, and the ECHO_* knobs for
#             W4; W7, W8 and W9, which the shared harness does not have, run
#             our own Python versions in bench/peers/ as python-asyncio and
#             python-uvloop, measured as ours are; W10 runs its client
#             against the shared harness's W4 streams echo servers, see
#             below; W11 runs our own Python and Go versions in bench/peers/
#             as python-asyncio, python-uvloop and go-p1; W12 and W13 run
#             their peers interleaved with cio's rows, see below), print their median
#             lines and, per peer, a ratio line on the workload's main field:
#               W1 ratio cio/python-asyncio ns_per_switch cio=45.1 peer=5120 ratio=0.0088
#             ratio = cio / peer; the main fields of W1-W3, W5-W9 and W11
#             are times, so < 1 means cio is faster.  W4 and W10 print two ratio
#             lines per peer, each ending in better=higher or better=lower:
#               W4 ratio cio-streams/libuv-c rps cio=... peer=... ratio=... better=higher
#               W4 ratio cio-streams/libuv-c srv_cpu_s_per_1k_rtt cio=... peer=... ratio=... better=lower
#               W10 ratio cio/python-asyncio-streams bytes_per_conn cio=... peer=... ratio=... better=lower
#               W10 ratio cio/python-asyncio-streams rps cio=... peer=... ratio=... better=higher
#             W4 pairs cio-streams with the peers' streams servers and
#             cio-protocol with their protocol servers; Go and libuv (which
#             have one server each) are set against both.  W12 and W13 print
#             ratio lines in the same form (W12's per -P, with p=P after
#             the rows: W12 ratio cio/redis-server p=16 rps cio=.. ...).
#
# Workloads (programs in bench/, built into build-bench/bench/):
#   W1 w1_switch    two tasks alternately cio_yield(), 1M switches in all   main: ns_per_switch
#   W2 w2_spawn     1M tasks that return at once, all created first          main: ns_per_task
#   W3 w3_sleepers  100k tasks each cio_sleep(1.0) concurrently              main: overhead_ms
#   W4 w4_echo      TCP echo server on 127.0.0.1 (w4_echo streams|protocol
#                   PORT), loaded by the shared echo_client (built from
#                   shared/peers/echo_client.c into BUILD_DIR/bench/) exactly
#                   as shared/peers/run.sh loads the peers: a WARMUP_SECS run
#                   first, then ECHO_CONNS connections with one ECHO_MSG-byte
#                   message in flight each for ECHO_SECS; rows cio-streams
#                   (cio_start_server, read/write/drain) and cio-protocol
#                   (cio_create_server, data_received -> transport_write)
#                                                                main: rps (bigger is better)
#                   also srv_cpu_pct (server CPU over the measured window,
#                   /proc/PID/stat utime+stime), srv_cpu_s_per_1k_rtt (server
#                   CPU seconds per 1000 round trips; for the peers, whose
#                   lines do not have it, the ratio derives it as
#                   srv_cpu_pct * 10 / rps), p50_us, p99_us, rss_kb (the
#                   server's peak RSS)
#   W5 w5_queue     one producer, one consumer, a cio_queue_t of maxsize 100,
#                   1M items, checked to arrive all and in order            main: ns_per_item
#                   (a time, for the ratio; items_per_s is printed too)
#   W6 w6_timers    1M cio_call_later timers, random delays in [0, 1 s)     main: total_s
#   W7 w7_gather    100k tasks that return at once, created, then one
#                   cio_gather over them all                                 main: ns_per_task
#   W8 w8_wait_for  100k tasks each cio_sleep(1.0) inside cio_wait_for_call
#                   with a 10 s timeout that never fires                     main: overhead_ms
#   W9 w9_lock      100 tasks contend for one cio_lock_t, 1M acquisitions
#                   in all, each: acquire; counter++; cio_yield(); release
#                   (every acquisition is a FIFO hand-over)                main: ns_per_acquire
#   W10 w10_idle    W10_IDLE (10k) idle connections, each after one 64-byte
#                   round trip, plus W10_ACTIVE (100) busy ones for W10_SECS
#                   against a cio streams echo server (in w10_idle, reading
#                   with cio_stream_read_ref, so an idle handler holds no
#                   buffer; W10_HANDLER=copy reads into a 4 KiB stack buffer;
#                   its client is a forked child): the server's VmRSS growth per idle
#                   connection                             main: bytes_per_conn
#                   and the busy connections' round trips    main: rps (bigger is better)
#                   also p50_us, p99_us, srv_cpu_pct, srv_hwm_kb, idle_ok (idle
#                   connections still echoing at the end).  With --peers the
#                   same client (w10_idle --server PID PORT) measures the
#                   shared harness's W4 streams echo servers: python-asyncio-
#                   streams, python-uvloop-streams, go-p1, go-p2, libuv-c
#                   (the Go and libuv ones built into BUILD_DIR/bench/peers/).
#                   rss_kb, cpu_s and cpu_pct of the W10 lines are not added
#                   (they would mix client and server).
#   W11 w11_spawn   W11_N (1000) children of /bin/true, at most W11_CONC (50)
#                   at a time: a task per child holding a unit of a
#                   cio_sem_t around cio_create_subprocess_exec +
#                   cio_process_wait, all awaited by one cio_gather; every
#                   child's returncode checked to be 0         main: total_s
#                   (us_per_child and children_per_s are printed too).  With
#                   --peers: bench/peers/w11_spawn.py (asyncio.Semaphore +
#                   create_subprocess_exec + wait, one gather) as
#                   python-asyncio and python-uvloop, and
#                   bench/peers/w11_spawn.go (W11_CONC goroutines running
#                   os/exec's Cmd.Run, built into BUILD_DIR/bench/peers/) as
#                   go-p1 (GOMAXPROCS=1, as shared/peers' go-p1 rows),
#                   and bench/peers/w11_spawn_ref.c as ref-c-spawn: the
#                   floor, posix_spawn + waitpid with no event loop
#   W12 w12_resp    pipelined request/reply: a Redis-protocol (RESP2) server
#                   (PING SET GET INCR LPUSH LPOP ...; arrays of bulk strings
#                   and inline commands) written as the guide teaches: per
#                   request readline/readexactly, execute, one
#                   cio_stream_write, cio_stream_drain; no hand-made
#                   batching.  Loaded by redis-benchmark (redis-tools)
#                   -c W12_C -n W12_N -t W12_TESTS at each -P of W12_P
#                   (1 and 16), server pinned to CPU W_SRV_CPU (0), client to
#                   W_CLI_CPU (1); every server is first checked to answer a
#                   few commands right (redis-cli), else status=FAIL(wrong-
#                   replies).  One line per -P:
#                     W12 cio p=16 reps=3 rps=.. rps_<test>=.. reqs=..
#                       send_per_req=.. srv_cpu_pct=.. srv_cpu_us_per_req=..
#                                                main: rps (bigger is better)
#                   rps: all the tests' requests over the sum of their times
#                   (rps_<test>: redis-benchmark's own, per test);
#                   send_per_req: the server's write-type syscalls (write,
#                   writev, sendto, sendmsg, sendmmsg) over the run, counted
#                   by `perf stat -p` on their tracepoints (linux-perf), per
#                   request (/proc/PID/io's syscw is the fallback: it does
#                   not count send/sendto/sendmsg, then send_src=syscw).
#                   With --peers, interleaved with cio's runs in each round:
#                   redis-server (--save '' --appendonly no), and
#                   bench/peers/w12_resp.py (asyncio streams, the same way)
#                   as python-asyncio and python-uvloop.  Ratios on rps,
#                   send_per_req and srv_cpu_us_per_req.
#   W13 w13_fair    fairness under a pipelining flood: one client pipelines
#                   1 KiB lines and reads the echoes back as fast as it can
#                   (a reader thread: it never lets its receive buffer fill)
#                   while a probe connection does a 64-byte round trip every
#                   10 ms for W13_SECS (`w13_fair client PORT SECS`, plain
#                   sockets and threads, pinned to W_CLI_CPU); servers pinned
#                   to W_SRV_CPU: cio-streams (w13_fair streams: readline,
#                   write, drain) and cio-protocol (w13_fair protocol:
#                   data_received -> transport_write), and with --peers,
#                   interleaved, python-asyncio-streams (bench/peers/
#                   w13_echo.py, readline/write/drain).
#                     W13 cio-streams reps=3 probes=.. probe_p50_ms=..
#                       probe_p99_ms=.. probe_max_ms=.. flood_mb_s=.. secs=..
#                                     main: probe_p99_ms (smaller is better)
#                   and flood_mb_s (echo received by the flood, 10^6 B/s,
#                   over the probing window; bigger is better).  A probe
#                   still unanswered 20 s after W13_SECS ends the run
#                   (probe_lost=1); secs is how long the probing took.
#                   Ratios: each cio row against python-asyncio-streams on
#                   probe_p99_ms, probe_max_ms and flood_mb_s.
#   W14 w14_file_read  W14_TASKS (64) tasks each cio_file_pread 4 KiB at
#                   random offsets of a W14_MB (256) MiB file (BUILD_DIR/
#                   bench/w14.dat, made once, read through before each run so
#                   it is in the page cache) for W14_SECS (5) s; two rows,
#                   cio-uring and cio-threadpool (CIO_FILE_BACKEND)
#                                                   main: ops_per_s (bigger is better)
#   W15 w15_small_files  W15_N (10000) files in a fresh folder under
#                   BUILD_DIR/bench, W15_CONC (64) at a time: open(O_CREAT),
#                   write 4 KiB, fsync, close; rows cio-uring, cio-threadpool
#                                                   main: files_per_s (bigger is better)
#                   W14 and W15 --peers: bench/peers/w14_file_read_uv.c and
#                   w15_small_files_uv.c (uv_fs_*, libuv's thread pool at its
#                   default size) as libuv-c, w14_file_read.go and
#                   w15_small_files.go as go-p1 (GOMAXPROCS=1), and
#                   w14_file_read.py / w15_small_files.py (aiofiles, Debian's
#                   python3-aiofiles) as python-aiofiles; ratio lines per cio
#                   row and peer, better=higher
#
#   W16 w16_chan   two loops on two threads: W16_N (1M) integers through a
#                   cio_chan_t of capacity 100 from a task on one to a task
#                   on the other, checked in order, then W16_RTTS (100k)
#                   ping-pong round trips over two channels of capacity 1
#                                        main: items_per_s (higher), rtt_ns (lower)
#                   With --peers: bench/peers/w16_chan.go (buffered chans,
#                   GOMAXPROCS=2) as go-p2, and bench/peers/w16_chan.py
#                   (asyncio.Queue fed by call_soon_threadsafe between two
#                   loops, capacity kept by a Semaphore) as python-asyncio
#                   and python-uvloop.  Two ratio lines per peer, as W4's.
#                   The machine's 2 cores are both in use: no client share.
#   W17 w17_scale   W4's streams echo server with W17_WORK (20000) bytes of
#                   FNV-1a hashing per request (~20 us), on a loop group of
#                   1 and of 2 loops (cio_loop_group_start_server), loaded
#                   by echo_client exactly as W4 (ECHO_* knobs): rows cio-l1
#                   and cio-l2                      main: rps (bigger is better)
#                   With --peers: bench/peers/w17_scale.go (the same work)
#                   as go-p1 and go-p2 (GOMAXPROCS=1, 2).  Ratio lines:
#                   cio-l2/cio-l1, cio-l1/go-p1, cio-l2/go-p2.  The client
#                   runs on the same cores (its share: cli_cpu_pct).
#   W18 (bench/w18.sh, only when named; always with its peers) the HTTP
#                   client: W18_N (20000) GETs of 1 KiB, W18_CONC (100) in
#                   flight, against a local nginx (nginx-light), over http and
#                   https: cio (bench/w18_http.c), libuv-curl, go-p1 and
#                   python-aiohttp; its lines and ratio lines are w18.sh's.
#                   `bench/run.sh W18` alone runs only bench/w18.sh; named
#                   with others it runs after them.
#
# W3 and W8 with --peers also get a floor row, ref-c-pages
# (bench/peers/w3_pages_ref.c): one fresh 4 KiB page per task, spaced as
# cio's stacks are and mapped as its stack slabs map them, with no event loop.
# No design that gives each sleeping task a stack of its own can have a cold
# overhead_ms below it on the machine that ran it.
#
# W8 is also set against W3 (the same sleepers without the timeout), per
# task, on the first wave and on wave 2 (stacks and timer heap warm):
#   W8 ratio cio-W8/cio-W3 overhead_ns_per_task w8=... w3=... ratio=...
# using this invocation's W3 when it ran with W3_N=W8_N and W3_WAVES=W8_WAVES,
# else REPS runs of w3_sleepers W8_N W8_WAVES made for it (line "W3 cio-ref").
#
# Fields added here, as the peers' harness adds them:
#   rss_kb          peak RSS (GNU time -v)
#   cpu_s, cpu_pct  user+sys seconds and CPU% of the process
#   bytes_per_task  W2, W3, W7, W8: (rss_kb - rss_kb of the same program with N=0)*1024/N
#   bg_cpu_pct      CPU used meanwhile by other processes, % of one core
#                   ("na" for runs under 0.5 s)
#
# Environment:
#   REPS=3           repetitions (medians are printed)
#   W1_N=1000000 W2_N=1000000 W5_N=1000000 W6_N=1000000 W7_N=100000
#   W8_N=100000 W9_N=1000000
#                    (the W7, W8 and W9 Python versions run with the same
#                    N; the shared W5 peers always move 1M items, so their
#                    W5 lines are not comparable with another W5_N)
#   W8_WAVES=2       as W3_WAVES, for W8 (and for W8's Python versions,
#                    whose wave 2 gets a ratio line of its own:
#                      W8 ratio cio/python-asyncio wave2_overhead_ms ...)
#   ECHO_SECS=10 ECHO_CONNS=100 ECHO_MSG=64 WARMUP_SECS=1
#                    W4, as shared/peers/run.sh (and passed on to it)
#   W10_IDLE=10000 W10_ACTIVE=100 W10_SECS=3
#   W11_N=1000 W11_CONC=50   (the W11 peers run with the same values)
#   W12_N=200000 W12_C=50 W12_P="1 16" W12_TESTS=ping,set,get,incr,lpush,lpop
#   W12_TO=120       W12: redis-benchmark's -n, -c, the -P values, -t (one
#                    redis-benchmark run per test), and the timeout of each
#                    run (s)
#   W13_SECS=10      W13's probing time
#   W14_SECS=5 W14_TASKS=64 W14_MB=256
#   W15_N=10000 W15_CONC=64  (the W14 and W15 peers run with the same values)
#   W_SRV_CPU=0 W_CLI_CPU=1
#                    W12 and W13: the CPUs of the servers and of the load
#                    (with fewer than two CPUs or no taskset: not pinned)
#   W3_N=100000      e.g. W3_N=1000000 for a million sleepers (the peers
#                    stay at 100k: their W3 lines are then not comparable)
#   W3_WAVES=2       waves of W3_N sleepers run one after the other in one
#                    process; the first wave gives the main fields, later
#                    ones waveK_secs and waveK_overhead_ms
#   PIN_CPU=<last CPU>
#                    W7, W8 and W9 run pinned to this CPU (taskset), ours and
#                    their Python versions alike, W8's reference W3 runs and
#                    ref-c-pages row too, so both sides of each ratio see the
#                    same core: on a VM whose vCPUs differ in speed (on ours
#                    the first is ~1.4x slower for both sides, taking the
#                    guest's interrupts) an unpinned median mixes them.
#                    PIN_CPU=none: no pinning.  The other workloads, whose
#                    peers come from the shared harness, are not pinned.
#   BUILD_DIR=build-bench (relative to the project root)
#   NO_BUILD=1       use the binaries already in BUILD_DIR
#   QUIET_WAIT=20 QUIET_BUSY_PCT=15 QUIET_BUDGET=120
#                    before each run wait up to QUIET_WAIT s for other load
#                    to fall under QUIET_BUSY_PCT % of one core, at most
#                    QUIET_BUDGET s per invocation
# Raw lines per repetition go to bench/results/raw-<stamp>.txt.
#
# Needs GNU time (/usr/bin/time), and for W4 gcc and iproute2 (ss); --peers
# also needs python3-uvloop, golang-go and libuv1-dev (W11 alone: no
# libuv).  W12 needs redis-tools (redis-benchmark, redis-cli) and
# linux-perf, with --peers redis-server; W12 and W13 taskset (util-linux).
# W14 and W15 with --peers need golang-go, libuv1-dev and python3-aiofiles;
# W18 (bench/w18.sh) nginx-light, libcurl4-openssl-dev, libuv1-dev,
# golang-go and python3-aiohttp.
# Missing packages are installed with apt-get (as root).  W10 needs
# an open-file hard limit above W10_IDLE + W10_ACTIVE (w10_idle raises the
# soft limit to it).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED="$(dirname "$0")/../../shared"
REPS=${REPS:-3}
W1_N=${W1_N:-1000000}
W2_N=${W2_N:-1000000}
W3_N=${W3_N:-100000}
W3_WAVES=${W3_WAVES:-2}
W5_N=${W5_N:-1000000}
W6_N=${W6_N:-1000000}
W7_N=${W7_N:-100000}
W8_N=${W8_N:-100000}
W8_WAVES=${W8_WAVES:-2}
W9_N=${W9_N:-1000000}
ECHO_SECS=${ECHO_SECS:-10}
ECHO_CONNS=${ECHO_CONNS:-100}
ECHO_MSG=${ECHO_MSG:-64}
WARMUP_SECS=${WARMUP_SECS:-1}
W10_IDLE=${W10_IDLE:-10000}
W10_ACTIVE=${W10_ACTIVE:-100}
W10_SECS=${W10_SECS:-3}
W11_N=${W11_N:-1000}
W11_CONC=${W11_CONC:-50}
W12_N=${W12_N:-200000}
W12_C=${W12_C:-50}
W12_P=${W12_P:-1 16}
W12_TESTS=${W12_TESTS:-ping,set,get,incr,lpush,lpop}
W12_TO=${W12_TO:-120}
W13_SECS=${W13_SECS:-10}
W14_SECS=${W14_SECS:-5} W14_TASKS=${W14_TASKS:-64} W14_MB=${W14_MB:-256}
W15_N=${W15_N:-10000} W15_CONC=${W15_CONC:-64}
W16_N=${W16_N:-1000000}
W16_RTTS=${W16_RTTS:-100000}
W17_WORK=${W17_WORK:-20000}
BUILD_DIR=${BUILD_DIR:-build-bench}
NO_BUILD=${NO_BUILD:-0}
QUIET_WAIT=${QUIET_WAIT:-20}
QUIET_BUSY_PCT=${QUIET_BUSY_PCT:-15}
QUIET_BUDGET=${QUIET_BUDGET:-120}
PY=${PY:-/usr/bin/python3.11}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
OUT=$HERE/results
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$OUT/raw-$STAMP.txt
LOG=$OUT/log-$STAMP.txt
HZ=$(getconf CLK_TCK)

die() { echo "bench/run.sh: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

# ------------------------------------------------------------------ arguments
PEERS=0
WS=()
W18=0
for a in "$@"; do
    case $a in
    W18) W18=1 ;; # the HTTP client against a local nginx: bench/w18.sh, always with its peers
    --peers) PEERS=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    W1 | W2 | W3 | W4 | W5 | W6 | W7 | W8 | W9 | W10 | W11 | W12 | W13 | W14 | W15 | W16 | W17) WS+=("$a") ;;
    W0) die "$a: cio has no benchmark for it (bench/ has W1 .. W18)" ;;
    *) die "unknown argument '$a' (usage: bench/run.sh [--peers] [W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13 W14 W15 W16 W17 W18])" ;;
    esac
done
if [ "$W18" = 1 ] && [ ${#WS[@]} -eq 0 ]; then # W18 alone
    BUILD_DIR=$BUILD_DIR bash "$HERE/w18.sh"
    exit $?
fi
[ ${#WS[@]} -eq 0 ] && WS=(W1 W2 W3 W4 W5 W6 W7 W8 W9 W10 W11 W12 W13 W14 W15 W16)
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer"
for v in W1_N W2_N W3_N W5_N W6_N W7_N W8_N W9_N ECHO_SECS ECHO_CONNS ECHO_MSG W10_IDLE W10_ACTIVE W10_SECS W11_N W11_CONC \
    W12_N W12_C W12_TO W13_SECS W14_SECS W14_TASKS W14_MB W15_N W15_CONC W16_N W16_RTTS W17_WORK; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $W3_WAVES =~ ^[1-9][0-9]*$ ]] || die "W3_WAVES must be a positive integer"
[[ $W12_P =~ ^[1-9][0-9]*( [1-9][0-9]*)*$ ]] || die "W12_P must be positive integers separated by spaces"
[[ $W8_WAVES =~ ^[1-9][0-9]*$ ]] || die "W8_WAVES must be a positive integer"
[[ $WARMUP_SECS =~ ^[0-9]+$ ]] || die "WARMUP_SECS must be a non-negative integer"
# The workloads the shared peers' harness has, and those whose peers are run
# here (W7-W9: our own Python versions in bench/peers/; W10: our client
# against the shared harness's W4 servers; W11: our own Python and Go
# versions in bench/peers/; W14, W15: our libuv, Go and aiofiles versions).
SHARED_WS=() LOCAL_WS=()
for w in "${WS[@]}"; do
    case $w in W7 | W8 | W9 | W10 | W11 | W12 | W13 | W14 | W15 | W16 | W17) LOCAL_WS+=("$w") ;; *) SHARED_WS+=("$w") ;; esac
done
has_w() { [[ " ${WS[*]} " == *" $1 "* ]]; }
if [ "$PEERS" = 1 ] && [ ${#SHARED_WS[@]} -gt 0 ]; then
    [ -x "$SHARED/peers/run.sh" ] || [ -f "$SHARED/peers/run.sh" ] || die "no peers harness at $SHARED/peers/run.sh"
fi
[ -f "$SHARED/peers/summarize.py" ] || die "no $SHARED/peers/summarize.py (the medians are made with it)"

# --------------------------------------------------------------- dependencies
# Install what is missing, with one apt-get update first.
APT_UPDATED=0
need_pkgs() { # package...
    [ $# -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages ($*) and not root: apt-get install $*"
    command -v apt-get >/dev/null || die "missing packages ($*) and no apt-get"
    if [ "$APT_UPDATED" = 0 ]; then
        note "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$LOG" 2>&1 || die "apt-get update failed, see $LOG"
        APT_UPDATED=1
    fi
    note "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$LOG" 2>&1 ||
        die "apt-get install $* failed, see $LOG"
}

mkdir -p "$OUT"
: >"$LOG"
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v cmake >/dev/null || missing+=(cmake)
command -v python3 >/dev/null || [ -x "$PY" ] || missing+=(python3)
if has_w W4 || has_w W17 || { [ "$PEERS" = 1 ] && has_w W10; }; then
    command -v ss >/dev/null || missing+=(iproute2)
    command -v gcc >/dev/null || missing+=(gcc)
fi
if [ "$PEERS" = 1 ]; then
    if [ ${#SHARED_WS[@]} -gt 0 ] || has_w W10; then
        command -v go >/dev/null || missing+=(golang-go)
        [ -f /usr/include/uv.h ] || missing+=(libuv1-dev)
        command -v ss >/dev/null || missing+=(iproute2)
    elif has_w W11 || has_w W16 || has_w W17; then
        command -v go >/dev/null || missing+=(golang-go)
    fi
    [ -x "$PY" ] || missing+=(python3)
    "$PY" -c 'import uvloop' 2>/dev/null || missing+=(python3-uvloop)
    has_w W12 && { command -v redis-server >/dev/null || missing+=(redis-server); }
    if has_w W14 || has_w W15; then
        command -v go >/dev/null || missing+=(golang-go)
        [ -f /usr/include/uv.h ] || missing+=(libuv1-dev)
        "$PY" -c 'import aiofiles' 2>/dev/null || missing+=(python3-aiofiles)
    fi
fi
# W12: redis-benchmark and redis-cli (redis-tools), perf for the send count
# (linux-perf); W12 and W13: taskset (util-linux)
if has_w W12; then
    command -v redis-benchmark >/dev/null || missing+=(redis-tools)
    command -v perf >/dev/null || missing+=(linux-perf)
fi
if has_w W12 || has_w W13; then
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v ss >/dev/null || missing+=(iproute2)
fi
need_pkgs "${missing[@]}"
SUMPY=$PY
[ -x "$SUMPY" ] || SUMPY=python3

# ---------------------------------------------------------------------- build
PROGS=(w1_switch w2_spawn w3_sleepers w4_echo w5_queue w6_timers w7_gather w8_wait_for w9_lock w10_idle w11_spawn
    w12_resp w13_fair w14_file_read w15_small_files w16_chan w17_scale)
BENCH_TARGETS=("${PROGS[@]/#/bench_}")
B=$BUILD/bench
if [ "$NO_BUILD" != 1 ]; then
    reconf=0
    for p in "${PROGS[@]}"; do [ -x "$B/$p" ] || reconf=1; done
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        note "configuring $BUILD (Release)"
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCIO_BUILD_TESTS=OFF \
            -DCIO_BUILD_EXAMPLES=OFF -DCIO_WERROR=OFF >>"$LOG" 2>&1 || die "cmake configure failed, see $LOG"
    elif [ "$reconf" = 1 ]; then
        # a benchmark added since the last configure: the build system finds
        # bench/*.c when it is configured
        cmake -S "$ROOT" -B "$BUILD" >>"$LOG" 2>&1 || die "cmake configure failed, see $LOG"
    fi
    # Incremental: does nothing when the binaries are up to date.
    if ! cmake --build "$BUILD" -j "$(nproc)" --target "${BENCH_TARGETS[@]}" >>"$LOG" 2>&1; then
        if [ -x "$B/w1_switch" ]; then
            note "build failed (see $LOG): using the binaries already in $B"
        else
            die "build failed, see $LOG"
        fi
    fi
fi
for p in "${PROGS[@]}"; do
    [ -x "$B/$p" ] || die "missing $B/$p (build with cmake into $BUILD)"
done
# W4's load client is the peers' own (shared/peers/echo_client.c); W10's
# peers are the shared harness's W4 servers (Go and libuv ones built here).
if has_w W4 || has_w W17; then
    gcc -O2 -Wall -Wextra -o "$B/echo_client" "$SHARED/peers/echo_client.c" >>"$LOG" 2>&1 ||
        die "cannot build $B/echo_client from $SHARED/peers/echo_client.c, see $LOG"
fi
if [ "$PEERS" = 1 ] && has_w W10; then
    mkdir -p "$B/peers"
    gcc -O2 -Wall -Wextra -o "$B/peers/c_w4_echo_uv" "$SHARED/peers/c/w4_echo_uv.c" -luv >>"$LOG" 2>&1 ||
        die "cannot build the libuv W4 server, see $LOG"
    go build -o "$B/peers/go_w4_echo" "$SHARED/peers/go/w4_echo.go" >>"$LOG" 2>&1 ||
        die "cannot build the Go W4 server, see $LOG"
fi
# W11's Go peer is ours (bench/peers/w11_spawn.go: one file, standard library
# only, built as the shared harness builds its Go peers); so is its floor,
# bench/peers/w11_spawn_ref.c (no event loop: posix_spawn and waitpid).
if [ "$PEERS" = 1 ] && has_w W11; then
    mkdir -p "$B/peers"
    cc -O2 -o "$B/peers/ref_w11_spawn" "$HERE/peers/w11_spawn_ref.c" >>"$LOG" 2>&1 ||
        die "cannot build the W11 reference, see $LOG"
    go build -o "$B/peers/go_w11_spawn" "$HERE/peers/w11_spawn.go" >>"$LOG" 2>&1 ||
        die "cannot build the Go W11 peer, see $LOG"
fi
if [ "$PEERS" = 1 ] && has_w W16; then
    mkdir -p "$B/peers"
    go build -o "$B/peers/go_w16_chan" "$HERE/peers/w16_chan.go" >>"$LOG" 2>&1 ||
        die "cannot build the Go W16 peer, see $LOG"
fi
if [ "$PEERS" = 1 ] && has_w W17; then
    mkdir -p "$B/peers"
    go build -o "$B/peers/go_w17_scale" "$HERE/peers/w17_scale.go" >>"$LOG" 2>&1 ||
        die "cannot build the Go W17 peer, see $LOG"
fi
# W14's and W15's peers are ours (bench/peers/): libuv C and Go programs.
if [ "$PEERS" = 1 ] && { has_w W14 || has_w W15; }; then
    mkdir -p "$B/peers"
    for w in w14_file_read w15_small_files; do
        cc -O2 -o "$B/peers/c_${w}_uv" "$HERE/peers/${w}_uv.c" -luv >>"$LOG" 2>&1 ||
            die "cannot build the libuv $w peer, see $LOG"
        go build -o "$B/peers/go_$w" "$HERE/peers/$w.go" >>"$LOG" 2>&1 || die "cannot build the Go $w peer, see $LOG"
    done
fi

# W3's and W8's floor for stackful tasks: bench/peers/w3_pages_ref.c (one
# fresh page per task, mapped as cio's stack slabs map them; no event loop).
if [ "$PEERS" = 1 ] && { has_w W3 || has_w W8; }; then
    mkdir -p "$B/peers"
    cc -O2 -o "$B/peers/ref_w3_pages" "$HERE/peers/w3_pages_ref.c" >>"$LOG" 2>&1 ||
        die "cannot build the W3/W8 page reference, see $LOG"
fi

# ------------------------------------------------------------------ measuring
busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
now_s() { date +%s.%N; }

QUIET_SPENT=0
quiet_gate() { # wait (bounded) for the machine to be idle
    local start=$SECONDS a b pct
    while :; do
        a=$(busy_jiffies); sleep 0.3; b=$(busy_jiffies)
        pct=$(( (b - a) * 100 * 10 / (HZ * 3) ))
        [ "$pct" -lt "$QUIET_BUSY_PCT" ] && break
        [ $((SECONDS - start)) -ge "$QUIET_WAIT" ] && break
        [ $((QUIET_SPENT + SECONDS - start)) -ge "$QUIET_BUDGET" ] && break
        sleep 1
    done
    QUIET_SPENT=$((QUIET_SPENT + SECONDS - start))
}

tv_field() { awk -F': ' -v k="$2" 'index($0, k) {print $2; exit}' "$1"; }

# measure TIMEOUT cmd... -> "<program fields> rss_kb=.. cpu_s=.. cpu_pct=.. bg_cpu_pct=.."
measure() {
    local to=$1; shift
    local tf out rc j0 j1 t0 t1 cpu wall pct bg
    tf=$(mktemp)
    j0=$(busy_jiffies); t0=$(now_s)
    out=$(/usr/bin/time -v -o "$tf" timeout -k 5 "$to" "$@" 2>>"$LOG" </dev/null)
    rc=$?
    j1=$(busy_jiffies); t1=$(now_s)
    out=$(printf '%s\n' "$out" | grep '=' | tail -1)
    [ $rc -ne 0 ] && out="$out status=FAIL($rc)"
    cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$tf")
    pct=$(tv_field "$tf" "Percent of CPU" | tr -d '%')
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
    bg=$(awk -v j0="$j0" -v j1="$j1" -v o="$cpu" -v w="$wall" -v hz="$HZ" \
        'BEGIN{if (w < 0.5) {print "na"; exit} x = ((j1-j0)/hz - o)/w*100; if (x < 0) x = 0; printf "%.0f", x}')
    echo "$out rss_kb=$(tv_field "$tf" "Maximum resident set size") cpu_s=$cpu cpu_pct=$pct bg_cpu_pct=$bg"
    rm -f "$tf"
}

field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2"; }

# Pinning (PIN_CPU above): pin_for W sets PIN to the command prefix for W's
# programs, empty when W is not pinned.
PIN_CPU=${PIN_CPU:-$(($(nproc) - 1))}
PIN=()
pin_for() {
    PIN=()
    if [ "$PIN_CPU" != none ] && command -v taskset >/dev/null 2>&1; then
        case $1 in W7 | W8 | W9) PIN=(taskset -c "$PIN_CPU") ;; esac
    fi
    return 0
}

# run_workload W TIMEOUT MEM_N program args... : REPS runs, then the median
# line.  MEM_N > 0: the first argument is N; a baseline run with N=0 (same
# other arguments) gives bytes_per_task.  The runs are labelled cio, or
# $LABEL when set.
run_workload() {
    local w=$1 to=$2 memn=$3; shift 3
    local prog=$1; shift
    local line rss rss0="" rep label=${LABEL:-cio}
    note "$w: $label x $REPS reps: $(basename "$prog") $*"
    if [ "$memn" -gt 0 ]; then
        local rest=("${@:2}")
        line=$(measure "$to" "${PIN[@]}" "$prog" 0 "${rest[@]}")
        rss0=$(field rss_kb "$line")
        echo "# $w $label baseline(N=0) $line" >>"$RAW"
    fi
    for rep in $(seq 1 "$REPS"); do
        quiet_gate
        line=$(measure "$to" "${PIN[@]}" "$prog" "$@")
        if [ "$memn" -gt 0 ]; then
            rss=$(field rss_kb "$line")
            if [ -n "$rss" ] && [ -n "$rss0" ]; then
                line="$line bytes_per_task=$(( (rss - rss0) * 1024 / memn ))"
            fi
        fi
        echo "$w $label rep=$rep $line" >>"$RAW"
        echo "  $w $label rep=$rep $line" >&2
    done
}

# run_py_peers W TIMEOUT N script [MEM]: our Python version of W
# (bench/peers/), as python-asyncio and python-uvloop, REPS rounds over the
# two (as the shared harness goes round-robin over a workload's peers); with
# MEM=1 (the default) each has a baseline run with N=0 for bytes_per_task
# (python -B: no __pycache__ in bench/peers/).  Appends the median lines to
# PEER_OUT.
run_py_peers() {
    local w=$1 to=$2 n=$3 script=$HERE/peers/$4 mem=${5:-1} extra=${6:-}
    local peers=(python-asyncio python-uvloop) flags=("" --uvloop)
    local i rep line rss rss0=()
    note "$w: ${peers[*]} x $REPS reps: $PY $(basename "$script") $n"
    for i in 0 1; do
        rss0[$i]=""
        [ "$mem" = 1 ] || continue
        line=$(measure "$to" "${PIN[@]}" "$PY" -B "$script" ${flags[$i]} 0)
        rss0[$i]=$(field rss_kb "$line")
        echo "# $w ${peers[$i]} baseline(N=0) $line" >>"$RAW"
    done
    for rep in $(seq 1 "$REPS"); do
        for i in 0 1; do
            quiet_gate
            line=$(measure "$to" "${PIN[@]}" "$PY" -B "$script" ${flags[$i]} "$n" $extra)
            rss=$(field rss_kb "$line")
            if [ -n "$rss" ] && [ -n "${rss0[$i]}" ]; then
                line="$line bytes_per_task=$(( (rss - rss0[i]) * 1024 / n ))"
            fi
            echo "$w ${peers[$i]} rep=$rep $line" >>"$RAW"
            echo "  $w ${peers[$i]} rep=$rep $line" >&2
        done
    done
    for i in 0 1; do
        PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^$w ${peers[$i]} " "$RAW"))
    done
}

# run_ref_pages W N: the ref-c-pages floor row of W (W3 or W8), REPS runs
# with the workload's N.  Appends the median line to PEER_OUT.
run_ref_pages() {
    local w=$1 n=$2 rep line
    note "$w: ref-c-pages x $REPS reps: ref_w3_pages $n"
    for rep in $(seq 1 "$REPS"); do
        quiet_gate
        line=$(measure 120 "${PIN[@]}" "$B/peers/ref_w3_pages" "$n")
        echo "$w ref-c-pages rep=$rep $line" >>"$RAW"
        echo "  $w ref-c-pages rep=$rep $line" >&2
    done
    PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^$w ref-c-pages " "$RAW"))
}

# run_w11_peers TIMEOUT: W11's Python (asyncio and uvloop) and Go versions in
# bench/peers/, REPS rounds over the three, measured as ours are (no
# bytes_per_task: W11 measures time).  Appends the median lines to PEER_OUT.
run_w11_peers() {
    local to=$1 specs=() s peer cmd rep line
    specs=(
        "python-asyncio|$PY -B $HERE/peers/w11_spawn.py"
        "python-uvloop|$PY -B $HERE/peers/w11_spawn.py --uvloop"
        "go-p1|env GOMAXPROCS=1 $B/peers/go_w11_spawn"
        "ref-c-spawn|$B/peers/ref_w11_spawn"
    )
    note "W11: ${#specs[@]} peers x $REPS reps: w11_spawn.py / go_w11_spawn $W11_N $W11_CONC"
    for rep in $(seq 1 "$REPS"); do
        for s in "${specs[@]}"; do
            IFS='|' read -r peer cmd <<<"$s"
            read -ra argv <<<"$cmd"
            quiet_gate
            line=$(measure "$to" "${argv[@]}" "$W11_N" "$W11_CONC")
            echo "W11 $peer rep=$rep $line" >>"$RAW"
            echo "  W11 $peer rep=$rep $line" >&2
        done
    done
    for s in "${specs[@]}"; do
        PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^W11 ${s%%|*} " "$RAW"))
    done
}

# W14/W15: the argument lists of ours and the peers'; run_file_peers W:
# libuv, Go (p1) and aiofiles, REPS rounds over the three, measured as ours
# are.  Appends the median lines to PEER_OUT.
W14_ARGS=("$B/w14.dat" "$W14_SECS" "$W14_TASKS" "$W14_MB") W15_ARGS=("$B" "$W15_N" "$W15_CONC")
run_file_peers() {
    local w=$1 p specs=() s peer cmd rep line args
    p=$([ "$w" = W14 ] && echo w14_file_read || echo w15_small_files)
    args="${w}_ARGS[@]"
    specs=("libuv-c|$B/peers/c_${p}_uv" "go-p1|env GOMAXPROCS=1 $B/peers/go_$p" "python-aiofiles|$PY -B $HERE/peers/$p.py")
    note "$w: ${#specs[@]} peers x $REPS reps: $p ${!args}"
    for rep in $(seq 1 "$REPS"); do
        for s in "${specs[@]}"; do
            IFS='|' read -r peer cmd <<<"$s"
            read -ra argv <<<"$cmd"
            quiet_gate
            [ "$w" = W14 ] && cat "$B/w14.dat" >/dev/null # the page cache, as ours
            line=$(measure 300 "${argv[@]}" "${!args}")
            echo "$w $peer rep=$rep $line" >>"$RAW"
            echo "  $w $peer rep=$rep $line" >&2
        done
    done
    for s in "${specs[@]}"; do
        PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^$w ${s%%|*} " "$RAW"))
    done
}

# run_w16_peers TIMEOUT: W16's Go (GOMAXPROCS=2) and Python versions in
# bench/peers/, REPS rounds over them.  Appends the median lines to PEER_OUT.
run_w16_peers() {
    local to=$1 specs=() s peer cmd rep line
    specs=(
        "go-p2|env GOMAXPROCS=2 $B/peers/go_w16_chan"
        "python-asyncio|$PY -B $HERE/peers/w16_chan.py"
        "python-uvloop|$PY -B $HERE/peers/w16_chan.py --uvloop"
    )
    note "W16: ${#specs[@]} peers x $REPS reps: go_w16_chan / w16_chan.py $W16_N $W16_RTTS"
    for rep in $(seq 1 "$REPS"); do
        for s in "${specs[@]}"; do
            IFS='|' read -r peer cmd <<<"$s"
            read -ra argv <<<"$cmd"
            quiet_gate
            line=$(measure "$to" "${argv[@]}" "$W16_N" "$W16_RTTS")
            echo "W16 $peer rep=$rep $line" >>"$RAW"
            echo "  W16 $peer rep=$rep $line" >&2
        done
    done
    for s in "${specs[@]}"; do
        PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^W16 ${s%%|*} " "$RAW"))
    done
}

# ------------------------------------------------------------- TCP servers
proc_cpu() { # utime+stime jiffies of a pid, all threads (0 if gone)
    awk '{sub(/^.*\) /, ""); print $12+$13}' "/proc/$1/stat" 2>/dev/null || echo 0
}
port_busy() { [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }
# Wait until something listens on 127.0.0.1:PORT, without connecting to it.
wait_port() {
    local i
    for i in $(seq 1 150); do
        port_busy "$1" && return 0
        sleep 0.1
    done
    return 1
}
# A port nobody listens on, from $1 upwards (each run gets its own, so that a
# leftover listener is never measured by mistake).
NEXT_PORT=19300
free_port() {
    while port_busy "$NEXT_PORT"; do NEXT_PORT=$((NEXT_PORT + 1)); done
    echo "$NEXT_PORT"
}

# run_echo cmd... -> "<echo_client fields> rss_kb=(server peak) srv_cpu_pct=..
# srv_cpu_s_per_1k_rtt=.. cli_cpu_pct=.. bg_cpu_pct=.."  W4 as
# shared/peers/run.sh's run_echo measures it: the server (port appended)
# under GNU time and timeout, a WARMUP_SECS client run first, then the
# measured ECHO_SECS run; the server's CPU from /proc over the measured run.
run_echo() {
    local port=$1; shift
    local tfs tfc tpid kid spid s0 s1 j0 j1 t0 t1 out rc wall srv_s cli_s rtts
    tfs=$(mktemp); tfc=$(mktemp)
    /usr/bin/time -v -o "$tfs" timeout -k 5 $((ECHO_SECS + WARMUP_SECS + 60)) "$@" "$port" </dev/null >>"$LOG" 2>&1 &
    tpid=$!
    if ! wait_port "$port"; then
        echo "status=FAIL(server-not-listening)"
        kill -TERM "$(pgrep -P "$(pgrep -P "$tpid")")" 2>/dev/null; wait "$tpid" 2>/dev/null
        rm -f "$tfs" "$tfc"; return
    fi
    if [ "$WARMUP_SECS" != 0 ]; then
        timeout -k 5 $((WARMUP_SECS + 30)) "$B/echo_client" 127.0.0.1 "$port" "$ECHO_CONNS" \
            "$WARMUP_SECS" "$ECHO_MSG" >>"$LOG" 2>&1 || note "W4 warm-up client failed (see $LOG)"
    fi
    kid=$(pgrep -P "$tpid")             # timeout(1)
    spid=""
    [ -n "$kid" ] && spid=$(pgrep -P "$kid" | head -1) # the server
    s0=$(proc_cpu "$spid")
    j0=$(busy_jiffies); t0=$(now_s)
    out=$(/usr/bin/time -v -o "$tfc" timeout -k 5 $((ECHO_SECS + 30)) \
        "$B/echo_client" 127.0.0.1 "$port" "$ECHO_CONNS" "$ECHO_SECS" "$ECHO_MSG" 2>>"$LOG")
    rc=$?
    s1=$(proc_cpu "$spid")
    j1=$(busy_jiffies); t1=$(now_s)
    [ -n "$kid" ] && kill -TERM "$kid" 2>/dev/null # timeout(1) passes SIGTERM on to the server
    wait "$tpid" 2>/dev/null
    [ $rc -ne 0 ] && out="$out status=FAIL($rc)"
    [ -z "$spid" ] && out="$out status=FAIL(server-gone)"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
    srv_s=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')
    cli_s=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$tfc")
    rtts=$(field rtts "$out")
    echo "$out rss_kb=$(tv_field "$tfs" "Maximum resident set size")" \
        "srv_cpu_pct=$(awk -v c="$srv_s" -v w="$wall" 'BEGIN{printf "%.0f", c/w*100}')" \
        "srv_cpu_s_per_1k_rtt=$(awk -v c="$srv_s" -v n="$rtts" 'BEGIN{if (n > 0) printf "%.4f", c*1000/n; else print "na"}')" \
        "cli_cpu_pct=$(tv_field "$tfc" "Percent of CPU" | tr -d '%')" \
        "bg_cpu_pct=$(awk -v j0="$j0" -v j1="$j1" -v o="$(awk -v a="$srv_s" -v b="$cli_s" 'BEGIN{print a+b}')" -v w="$wall" -v hz="$HZ" \
            'BEGIN{if (w < 0.5) {print "na"; exit} x = ((j1-j0)/hz - o)/w*100; if (x < 0) x = 0; printf "%.0f", x}')"
    rm -f "$tfs" "$tfc"
}

# run_w4: REPS rounds over cio-streams and cio-protocol (round-robin, as the
# shared harness goes over a workload's peers).
run_w4() {
    local rep v line
    note "W4: cio-streams cio-protocol x $REPS reps: w4_echo + echo_client $ECHO_CONNS conns ${ECHO_SECS}s ${ECHO_MSG}B (warm-up ${WARMUP_SECS}s)"
    for rep in $(seq 1 "$REPS"); do
        for v in streams protocol; do
            quiet_gate
            line=$(run_echo "$(free_port)" "$B/w4_echo" "$v")
            NEXT_PORT=$((NEXT_PORT + 1))
            echo "W4 cio-$v rep=$rep $line" >>"$RAW"
            echo "  W4 cio-$v rep=$rep $line" >&2
        done
    done
}

# run_w17 ROWS: REPS rounds over ROWS ("label|command ..."), each run_echo'd
# with W17_WORK (the server gets WORK PORT).
run_w17() {
    local rep s label cmd line
    for rep in $(seq 1 "$REPS"); do
        for s in "$@"; do
            IFS='|' read -r label cmd <<<"$s"
            read -ra argv <<<"$cmd"
            quiet_gate
            line=$(run_echo "$(free_port)" "${argv[@]}" "$W17_WORK")
            NEXT_PORT=$((NEXT_PORT + 1))
            echo "W17 $label rep=$rep $line" >>"$RAW"
            echo "  W17 $label rep=$rep $line" >&2
        done
    done
}

# w10_bg J0 J1 OURS_S T0 T1 -> bg_cpu_pct
w10_bg() {
    awk -v j0="$1" -v j1="$2" -v o="$3" -v a="$4" -v b="$5" -v hz="$HZ" \
        'BEGIN{w = b - a; if (w < 0.5) {print "na"; exit} x = ((j1-j0)/hz - o)/w*100; if (x < 0) x = 0; printf "%.0f", x}'
}
W10_TO=$((120 + W10_SECS + W10_IDLE / 200))
# run_w10 LABEL: REPS runs of w10_idle (server and client in one program).
run_w10() {
    local rep line tf out rc j0 j1 t0 t1 cpu
    note "W10: cio x $REPS reps: w10_idle $W10_IDLE $W10_ACTIVE $W10_SECS"
    for rep in $(seq 1 "$REPS"); do
        quiet_gate
        tf=$(mktemp)
        j0=$(busy_jiffies); t0=$(now_s)
        out=$(/usr/bin/time -v -o "$tf" timeout -k 5 "$W10_TO" "$B/w10_idle" "$W10_IDLE" "$W10_ACTIVE" "$W10_SECS" \
            2>>"$LOG" </dev/null)
        rc=$?
        j1=$(busy_jiffies); t1=$(now_s)
        out=$(printf '%s\n' "$out" | grep '=' | tail -1)
        [ $rc -ne 0 ] && out="$out status=FAIL($rc)"
        cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$tf")
        line="$out bg_cpu_pct=$(w10_bg "$j0" "$j1" "$cpu" "$t0" "$t1")"
        rm -f "$tf"
        echo "W10 cio rep=$rep $line" >>"$RAW"
        echo "  W10 cio rep=$rep $line" >&2
    done
}

# run_w10_peers: the W10 client (w10_idle --server PID PORT) against the
# shared harness's W4 streams echo servers, REPS rounds over them.  Appends
# the median lines to PEER_OUT.
run_w10_peers() {
    local P="$SHARED/peers/py" specs=() s peer cmd rep port spid out rc j0 j1 t0 t1 s0 s1 tf cpu srv_s
    specs=(
        "python-asyncio-streams|$PY -B $P/w4_echo_streams.py"
        "python-uvloop-streams|$PY -B $P/w4_echo_streams.py --uvloop"
        "go-p1|env GOMAXPROCS=1 $B/peers/go_w4_echo"
        "go-p2|env GOMAXPROCS=2 $B/peers/go_w4_echo"
        "libuv-c|$B/peers/c_w4_echo_uv"
    )
    note "W10: ${#specs[@]} peers x $REPS reps: w10_idle --server PID PORT $W10_IDLE $W10_ACTIVE $W10_SECS"
    for rep in $(seq 1 "$REPS"); do
        for s in "${specs[@]}"; do
            IFS='|' read -r peer cmd <<<"$s"
            read -ra argv <<<"$cmd"
            quiet_gate
            port=$(free_port)
            NEXT_PORT=$((NEXT_PORT + 1))
            # w10_idle raises its own open-file limit; the peer servers get
            # the hard limit from here (env(1) execs, so $! is the server)
            (ulimit -n "$(ulimit -Hn)"; exec "${argv[@]}" "$port") </dev/null >>"$LOG" 2>&1 &
            spid=$!
            if ! wait_port "$port"; then
                out="status=FAIL(server-not-listening)"
            else
                tf=$(mktemp)
                s0=$(proc_cpu "$spid")
                j0=$(busy_jiffies); t0=$(now_s)
                out=$(/usr/bin/time -v -o "$tf" timeout -k 5 "$W10_TO" "$B/w10_idle" --server "$spid" "$port" \
                    "$W10_IDLE" "$W10_ACTIVE" "$W10_SECS" 2>>"$LOG" </dev/null)
                rc=$?
                s1=$(proc_cpu "$spid")
                j1=$(busy_jiffies); t1=$(now_s)
                out=$(printf '%s\n' "$out" | grep '=' | tail -1)
                [ $rc -ne 0 ] && out="$out status=FAIL($rc)"
                cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{printf "%.2f", s}' "$tf")
                srv_s=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN{print (b-a)/hz}')
                out="$out bg_cpu_pct=$(w10_bg "$j0" "$j1" "$(awk -v a="$cpu" -v b="$srv_s" 'BEGIN{print a+b}')" "$t0" "$t1")"
                rm -f "$tf"
            fi
            kill -TERM "$spid" 2>/dev/null
            wait "$spid" 2>/dev/null
            echo "W10 $peer rep=$rep $out" >>"$RAW"
            echo "  W10 $peer rep=$rep $out" >&2
        done
    done
    for s in "${specs[@]}"; do
        PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^W10 ${s%%|*} " "$RAW"))
    done
}

# ------------------------------------------------------------ W12 and W13
# Servers on CPU W_SRV_CPU (0), their load on W_CLI_CPU (1), when there are
# two CPUs and taskset; TASK_SRV/TASK_CLI are the command prefixes.
W_SRV_CPU=${W_SRV_CPU:-0}
W_CLI_CPU=${W_CLI_CPU:-1}
TASK_SRV=() TASK_CLI=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    TASK_SRV=(taskset -c "$W_SRV_CPU") TASK_CLI=(taskset -c "$W_CLI_CPU")
fi
# start_server PORT cmd... : the server (with @PORT@ in its arguments
# replaced) pinned, in the background; SPID its pid (taskset and env exec).
start_server() {
    local port=$1; shift
    local argv=("${@//@PORT@/$port}")
    (exec "${TASK_SRV[@]}" "${argv[@]}") </dev/null >>"$LOG" 2>&1 &
    SPID=$!
}
stop_server() {
    kill -TERM "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
}

# W12's send count: the server's write-type syscalls (write, writev,
# sendto, sendmsg, sendmmsg) over the run, counted by perf stat on their
# tracepoints (linux-perf); /proc/PID/io's syscw is the fallback, but it
# counts write(2) and writev(2) only (not send/sendto/sendmsg, which cio
# and asyncio use), so its send_per_req is marked send_src=syscw.
W12_SEND_EVENTS=syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendmmsg
W12_SENDS=""
w12_send_method() {
    [ -n "$W12_SENDS" ] && return
    W12_SENDS=syscw
    command -v perf >/dev/null 2>&1 && perf stat -x, -e "$W12_SEND_EVENTS" true >/dev/null 2>&1 && W12_SENDS=perf
    [ "$W12_SENDS" = perf ] || note "W12: perf stat cannot count syscalls here: send_per_req from /proc/PID/io syscw (write/writev only)"
}
syscw_of() { awk '/^syscw:/{print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }

# w12_check PORT: the server answers a few commands as redis does (a
# wrong answer fails the row: a benchmark of a wrong server measures
# nothing).
w12_check() {
    local got want k="w12check:$RANDOM"
    got=$(timeout 10 redis-cli -p "$1" ping 2>&1
        timeout 10 redis-cli -p "$1" del "$k" "$k:l" 2>&1 >/dev/null
        timeout 10 redis-cli -p "$1" set "$k" 41 2>&1
        timeout 10 redis-cli -p "$1" incr "$k" 2>&1
        timeout 10 redis-cli -p "$1" get "$k" 2>&1
        timeout 10 redis-cli -p "$1" lpush "$k:l" a b 2>&1
        timeout 10 redis-cli -p "$1" lpop "$k:l" 2>&1
        timeout 10 redis-cli -p "$1" lpop "$k:l" 2>&1
        timeout 10 redis-cli -p "$1" lpop "$k:l" 2>&1)
    want=$(printf 'PONG\nOK\n42\n42\n2\nb\na\n')
    [ "$got" = "$want" ]
}

# w12_one PORT P -> "p=P rps=.. rps_<test>=.. send_per_req=.. srv_cpu_pct=..
# srv_cpu_us_per_req=.." for one redis-benchmark run against server SPID.
w12_one() {
    local port=$1 p=$2 pf csv="" rc=0 r t c0 c1 w0 w1 t0 t1 sends reqs ppid="" out
    pf=$(mktemp)
    if [ "$W12_SENDS" = perf ]; then
        perf stat -x, -e "$W12_SEND_EVENTS" -p "$SPID" -o "$pf" 2>>"$LOG" &
        ppid=$!
        sleep 0.5 # attached
    fi
    w0=$(syscw_of "$SPID"); c0=$(proc_cpu "$SPID"); t0=$(now_s)
    # one redis-benchmark run per test, each under its own timeout
    for t in ${W12_TESTS//,/ }; do
        csv+=$'\n'$(timeout -k 5 "$W12_TO" "${TASK_CLI[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -c "$W12_C" \
            -n "$W12_N" -t "$t" -P "$p" --csv 2>>"$LOG" </dev/null)
        r=$?
        [ $r -ne 0 ] && rc=$r
    done
    t1=$(now_s); c1=$(proc_cpu "$SPID"); w1=$(syscw_of "$SPID")
    if [ -n "$ppid" ]; then
        kill -INT "$ppid" 2>/dev/null
        wait "$ppid" 2>/dev/null
        sends=$(awk -F, '$3 ~ /sys_enter/ && $1 ~ /^[0-9]+$/ {s += $1; n++} END{if (n) print s}' "$pf")
    else
        sends=$((w1 - w0))
    fi
    rm -f "$pf"
    out=$(awk -F'","' -v p="$p" -v n="$W12_N" '$1 != "\"test" && NF >= 2 {
            t = tolower($1); gsub(/"/, "", t); r = $2 + 0
            if (r <= 0) next
            k++; tot += n; secs += n / r; f = f sprintf(" rps_%s=%.0f", t, r)
        } END { if (k) printf "p=%s rps=%.0f%s reqs=%d", p, tot / secs, f, tot; else printf "p=%s", p }' <<<"$csv")
    reqs=$(field reqs "$out")
    if [ -n "$reqs" ] && [ "$reqs" -gt 0 ]; then
        out="$out send_per_req=$(awk -v s="${sends:-0}" -v r="$reqs" 'BEGIN{printf "%.4f", s / r}')"
        [ "$W12_SENDS" = perf ] || out="$out send_src=syscw"
        out="$out srv_cpu_pct=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN{printf "%.0f", (b-a)/hz/(t1-t0)*100}')"
        out="$out srv_cpu_us_per_req=$(awk -v a="$c0" -v b="$c1" -v r="$reqs" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz*1e6/r}')"
    else
        out="$out status=FAIL(no-result)"
    fi
    [ $rc -ne 0 ] && out="$out status=FAIL($rc)"
    echo "$out"
}

# run_w12: REPS rounds over cio and (with --peers) redis-server,
# python-asyncio and python-uvloop; each server started once per round,
# checked, then loaded at each -P of W12_P.
run_w12() {
    local specs=("cio|$B/w12_resp @PORT@") s peer cmd rep port p line
    if [ "$PEERS" = 1 ]; then
        specs+=("redis-server|redis-server --port @PORT@ --bind 127.0.0.1 --appendonly no"
            "python-asyncio|$PY -B $HERE/peers/w12_resp.py @PORT@"
            "python-uvloop|$PY -B $HERE/peers/w12_resp.py --uvloop @PORT@")
    fi
    w12_send_method
    note "W12: ${#specs[@]} servers x $REPS reps: redis-benchmark -c $W12_C -n $W12_N -t $W12_TESTS -P {$W12_P} (sends by $W12_SENDS)"
    for rep in $(seq 1 "$REPS"); do
        for s in "${specs[@]}"; do
            IFS='|' read -r peer cmd <<<"$s"
            read -ra argv <<<"$cmd"
            [ "$peer" = redis-server ] && argv+=(--save "") # no snapshots (an empty argument)
            port=$(free_port)
            NEXT_PORT=$((NEXT_PORT + 1))
            start_server "$port" "${argv[@]}"
            for p in $W12_P; do
                if ! wait_port "$port"; then
                    line="p=$p status=FAIL(server-not-listening)"
                elif ! w12_check "$port"; then
                    line="p=$p status=FAIL(wrong-replies)"
                else
                    quiet_gate
                    line=$(w12_one "$port" "$p")
                fi
                echo "W12 $peer rep=$rep $line" >>"$RAW"
                echo "  W12 $peer rep=$rep $line" >&2
            done
            stop_server
        done
    done
}

# w12_medians PEER...: their median lines, one per -P, as
# "W12 PEER p=P reps=N rps=..."
w12_medians() {
    local peer p
    for peer in "$@"; do
        for p in $W12_P; do
            "$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^W12 $peer rep=[0-9]+ p=$p " "$RAW") |
                sed 's/ reps=\([0-9]*\) p=\([0-9]*\)/ p=\2 reps=\1/'
        done
    done
}

# run_w13: REPS rounds over cio-streams, cio-protocol and (with --peers)
# python-asyncio-streams, each loaded by `w13_fair client PORT W13_SECS`.
run_w13() {
    local specs=("cio-streams|$B/w13_fair streams" "cio-protocol|$B/w13_fair protocol") s peer cmd rep port line c0 c1 t0 t1 rc
    [ "$PEERS" = 1 ] && specs+=("python-asyncio-streams|$PY -B $HERE/peers/w13_echo.py")
    note "W13: ${#specs[@]} servers x $REPS reps: w13_fair client PORT $W13_SECS"
    for rep in $(seq 1 "$REPS"); do
        for s in "${specs[@]}"; do
            IFS='|' read -r peer cmd <<<"$s"
            read -ra argv <<<"$cmd"
            quiet_gate
            port=$(free_port)
            NEXT_PORT=$((NEXT_PORT + 1))
            start_server "$port" "${argv[@]}" @PORT@
            if ! wait_port "$port"; then
                line="status=FAIL(server-not-listening)"
            else
                c0=$(proc_cpu "$SPID"); t0=$(now_s)
                line=$(timeout -k 5 $((W13_SECS + 60)) "${TASK_CLI[@]}" "$B/w13_fair" client "$port" "$W13_SECS" \
                    2>>"$LOG" </dev/null)
                rc=$?
                c1=$(proc_cpu "$SPID"); t1=$(now_s)
                line="$line srv_cpu_pct=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN{printf "%.0f", (b-a)/hz/(t1-t0)*100}')"
                [ $rc -ne 0 ] && line="$line status=FAIL($rc)"
            fi
            stop_server
            echo "W13 $peer rep=$rep $line" >>"$RAW"
            echo "  W13 $peer rep=$rep $line" >&2
        done
    done
}

# w1213_ratio W ROW OURS_LINE PEER_LINE FIELD:DIR... [TAG]: ratio lines
# "W ratio ROW/PEER [TAG] FIELD cio=.. peer=.. ratio=.. better=DIR"
w1213_ratio() {
    local w=$1 row=$2 ol=$3 pl=$4 fields=$5 tag=${6:-} m f dir peer
    peer=$(awk '{print $2}' <<<"$pl")
    for m in $fields; do
        f=${m%%:*} dir=${m#*:}
        awk -v w="$w" -v o="$row" -v p="$peer" -v t="${tag:+$tag }" -v f="$f" -v a="$(field "$f" "$ol")" \
            -v b="$(field "$f" "$pl")" -v d="$dir" 'BEGIN{
            r = (a == "" || b == "") ? "na" : (b + 0 != 0) ? sprintf("%.3g", a / b) : "inf"
            printf "%s ratio %s/%s %s%s cio=%s peer=%s ratio=%s better=%s\n", w, o, p, t, f, a, b, r, d }'
    done
}
# w1213_report W: our median lines of W, and with --peers the peers' and
# the ratio lines (W12: per -P, against each peer; W13: each cio row against
# python-asyncio-streams).
w1213_report() {
    local w=$1 pl row p
    echo "${OURS[$w]}"
    [ "$PEERS" = 1 ] || return 0
    while IFS= read -r pl; do
        [ -n "$pl" ] || continue
        echo "$pl"
        if [ "$w" = W12 ]; then
            p=$(field p "$pl")
            w1213_ratio W12 cio "$(grep -E "^W12 cio p=$p " <<<"${OURS[W12]}")" "$pl" \
                "rps:higher send_per_req:lower srv_cpu_us_per_req:lower" "p=$p"
        else
            for row in cio-streams cio-protocol; do
                w1213_ratio W13 "$row" "$(grep -E "^W13 $row " <<<"${OURS[W13]}")" "$pl" \
                    "probe_p99_ms:lower probe_max_ms:lower flood_mb_s:higher"
            done
        fi
    done < <(grep -E "^$w " <<<"$PEER_OUT")
}

{
    echo "# stamp=$STAMP kernel=$(uname -r) cpus=$(nproc) cpu=\"$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)\" gcc=$(gcc -dumpfullversion 2>/dev/null)"
    echo "# cio $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') build=$BUILD REPS=$REPS W1_N=$W1_N W2_N=$W2_N W3_N=$W3_N W3_WAVES=$W3_WAVES W5_N=$W5_N W6_N=$W6_N W7_N=$W7_N W8_N=$W8_N W8_WAVES=$W8_WAVES W9_N=$W9_N ECHO_SECS=$ECHO_SECS ECHO_CONNS=$ECHO_CONNS ECHO_MSG=$ECHO_MSG WARMUP_SECS=$WARMUP_SECS W10_IDLE=$W10_IDLE W10_ACTIVE=$W10_ACTIVE W10_SECS=$W10_SECS W11_N=$W11_N W11_CONC=$W11_CONC W12_N=$W12_N W12_C=$W12_C W12_P=\"$W12_P\" W13_SECS=$W13_SECS W14_SECS=$W14_SECS W14_TASKS=$W14_TASKS W14_MB=$W14_MB W15_N=$W15_N W15_CONC=$W15_CONC W16_N=$W16_N W16_RTTS=$W16_RTTS W17_WORK=$W17_WORK PIN_CPU=$PIN_CPU (W7-W9)"
} | tee "$RAW" >&2

MAIN_W1=ns_per_switch MAIN_W2=ns_per_task MAIN_W3=overhead_ms MAIN_W5=ns_per_item MAIN_W6=total_s MAIN_W7=ns_per_task
MAIN_W8=overhead_ms MAIN_W9=ns_per_acquire MAIN_W11=total_s
# W4 and W10: two main fields each, with the direction that is better
MAIN2_W4="rps:higher srv_cpu_s_per_1k_rtt:lower" MAIN2_W10="bytes_per_conn:lower rps:higher"
MAIN2_W14="ops_per_s:higher" MAIN2_W15="files_per_s:higher"
MAIN2_W16="items_per_s:higher rtt_ns:lower"
# W8's reference: this invocation's W3 if it is the same shape, else runs of
# w3_sleepers made for it
W8_REF=""
if [[ " ${WS[*]} " == *" W8 "* ]]; then
    W8_REF="W3 cio-ref"
    pin_for W8
    [[ " ${WS[*]} " == *" W3 "* ]] && [ "$W3_N" = "$W8_N" ] && [ "$W3_WAVES" = "$W8_WAVES" ] && [ ${#PIN[@]} -eq 0 ] &&
        W8_REF="W3 cio"
fi
for w in "${WS[@]}"; do
    pin_for "$w"
    case $w in
    W1) run_workload W1 120 0 "$B/w1_switch" "$W1_N" ;;
    W2) run_workload W2 300 "$W2_N" "$B/w2_spawn" "$W2_N" ;;
    W3) run_workload W3 $((120 + W3_N / 2000 + 10 * W3_WAVES)) "$W3_N" "$B/w3_sleepers" "$W3_N" "$W3_WAVES" ;;
    W5) run_workload W5 $((60 + W5_N / 20000)) 0 "$B/w5_queue" "$W5_N" ;;
    W6) run_workload W6 300 0 "$B/w6_timers" "$W6_N" ;;
    W7) run_workload W7 120 "$W7_N" "$B/w7_gather" "$W7_N" ;;
    W8)
        run_workload W8 $((120 + W8_N / 2000 + 10 * W8_WAVES)) "$W8_N" "$B/w8_wait_for" "$W8_N" "$W8_WAVES"
        [ "$W8_REF" = "W3 cio-ref" ] && LABEL=cio-ref run_workload W3 $((120 + W8_N / 2000 + 10 * W8_WAVES)) 0 \
            "$B/w3_sleepers" "$W8_N" "$W8_WAVES"
        ;;
    W9) run_workload W9 $((60 + W9_N / 20000)) 0 "$B/w9_lock" "$W9_N" ;;
    W4) run_w4 ;;
    W10) run_w10 ;;
    W11) run_workload W11 $((120 + W11_N / 20)) 0 "$B/w11_spawn" "$W11_N" "$W11_CONC" ;;
    W12) run_w12 ;; # with --peers, the peers too (interleaved)
    W13) run_w13 ;;
    W14 | W15)
        for be in io_uring threadpool; do
            a="${w}_ARGS[@]"
            LABEL=cio-${be/io_/} run_workload "$w" 300 0 env CIO_FILE_BACKEND=$be \
                "$B/$([ "$w" = W14 ] && echo w14_file_read || echo w15_small_files)" "${!a}"
        done
        ;;
    W16) run_workload W16 $((60 + W16_N / 10000 + W16_RTTS / 1000)) 0 "$B/w16_chan" "$W16_N" "$W16_RTTS" ;;
    W17)
        note "W17: cio-l1 cio-l2 x $REPS reps: w17_scale + echo_client $ECHO_CONNS conns ${ECHO_SECS}s, work $W17_WORK"
        run_w17 "cio-l1|$B/w17_scale 1" "cio-l2|$B/w17_scale 2"
        ;;
    esac
done

declare -A OURS=()
for w in "${WS[@]}"; do
    # W12: one line per -P
    [ "$w" = W12 ] && { OURS[$w]=$(w12_medians cio); continue; }
    # W4 and W13 have two rows, cio-streams and cio-protocol; W14 and W15
    # cio-uring and cio-threadpool; W17 cio-l1 and cio-l2
    OURS[$w]=$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^$w cio(-streams|-protocol|-uring|-threadpool|-l1|-l2)? " "$RAW"))
done

# ---------------------------------------------------------------------- peers
PEER_OUT=""
if [ "$PEERS" = 1 ] && [ ${#SHARED_WS[@]} -gt 0 ]; then
    only="^W($(IFS='|'; echo "${SHARED_WS[*]#W}")) "
    note "peers: ONLY='$only' REPS=$REPS $SHARED/peers/run.sh"
    PEER_OUT=$(ONLY="$only" REPS="$REPS" PY="$PY" ECHO_SECS="$ECHO_SECS" ECHO_CONNS="$ECHO_CONNS" \
        ECHO_MSG="$ECHO_MSG" WARMUP_SECS="$WARMUP_SECS" bash "$SHARED/peers/run.sh")
    rc=$?
    printf '%s\n' "$PEER_OUT" | sed 's/^/# peers: /' >>"$RAW"
    [ $rc -ne 0 ] && note "peers/run.sh exited with $rc"
fi
if [ "$PEERS" = 1 ]; then
    for w in "${LOCAL_WS[@]}"; do
        pin_for "$w"
        case $w in
        W7) run_py_peers W7 $((120 + W7_N / 2000)) "$W7_N" w7_gather.py ;;
        W8) run_py_peers W8 $((120 + W8_N / 500 + 60 * W8_WAVES)) "$W8_N" w8_wait_for.py 1 "$W8_WAVES" ;;
        W9) run_py_peers W9 $((120 + W9_N / 5000)) "$W9_N" w9_lock.py 0 ;;
        W10) run_w10_peers ;;
        W11) run_w11_peers $((120 + W11_N / 10)) ;;
        W12) PEER_OUT+=$'\n'$(w12_medians redis-server python-asyncio python-uvloop) ;; # measured by run_w12
        W13) PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^W13 python-asyncio-streams " "$RAW")) ;;
        W14 | W15) run_file_peers "$w" ;;
        W16) run_w16_peers $((120 + W16_N / 2000 + W16_RTTS / 200)) ;;
        W17)
            note "W17: go-p1 go-p2 x $REPS reps: go_w17_scale + echo_client"
            run_w17 "go-p1|env GOMAXPROCS=1 $B/peers/go_w17_scale" "go-p2|env GOMAXPROCS=2 $B/peers/go_w17_scale"
            for s in go-p1 go-p2; do
                PEER_OUT+=$'\n'$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^W17 $s " "$RAW"))
            done
            ;;
        esac
    done
    pin_for W3
    has_w W3 && run_ref_pages W3 "$W3_N"
    pin_for W8
    has_w W8 && run_ref_pages W8 "$W8_N"
    PIN=()
fi

# ---------------------------------------------------------------------- report
if [ "$PEERS" = 1 ]; then
    echo "# ratio = cio / peer on the workload's main field (a time: < 1 means cio is faster;"
    echo "# W4, W10, W14, W15 and W16 lines say which way is better: better=higher or better=lower)"
fi
# ratio2 W ROW OURS_LINE PEER_LINE: W4/W10/W14/W15/W16's ratio lines, one per main field
ratio2() {
    local w=$1 row=$2 ol=$3 pl=$4 m f dir a b peer
    peer=$(awk '{print $2}' <<<"$pl")
    m=MAIN2_$w
    for m in ${!m}; do
        f=${m%%:*} dir=${m#*:}
        a=$(field "$f" "$ol")
        b=$(field "$f" "$pl")
        # the peers' W4 lines have no srv_cpu_s_per_1k_rtt: derive it
        [ "$f" = srv_cpu_s_per_1k_rtt ] && [ -z "$b" ] &&
            b=$(awk -v c="$(field srv_cpu_pct "$pl")" -v r="$(field rps "$pl")" 'BEGIN{if (c != "" && r > 0) printf "%.4f", c*10/r}')
        awk -v w="$w" -v o="$row" -v p="$peer" -v f="$f" -v a="$a" -v b="$b" -v d="$dir" 'BEGIN{
            if (a == "" || b == "" || a == "na") { printf "%s ratio %s/%s %s cio=%s peer=%s ratio=na better=%s\n", w, o, p, f, a, b, d; exit }
            r = (b + 0 != 0) ? sprintf("%.3g", a / b) : "inf"
            printf "%s ratio %s/%s %s cio=%s peer=%s ratio=%s better=%s\n", w, o, p, f, a, b, r, d }'
    done
}
# w17_ratio A B A_LINE B_LINE: rps of row A over row B (higher is better)
w17_ratio() {
    awk -v a="$1" -v b="$2" -v x="$(field rps "$3")" -v y="$(field rps "$4")" 'BEGIN{
        r = (x == "" || y == "" || y + 0 == 0) ? "na" : sprintf("%.3g", x / y)
        printf "W17 ratio %s/%s rps %s=%s %s=%s ratio=%s better=higher\n", a, b, a, x, b, y, r }'
}
for w in "${WS[@]}"; do
    if [ "$w" = W12 ] || [ "$w" = W13 ]; then
        w1213_report "$w"
        continue
    fi
    echo "${OURS[$w]}"
    if [ "$w" = W17 ]; then
        l1=$(grep -E "^W17 cio-l1 " <<<"${OURS[W17]}") l2=$(grep -E "^W17 cio-l2 " <<<"${OURS[W17]}")
        w17_ratio cio-l2 cio-l1 "$l2" "$l1"
        if [ "$PEERS" = 1 ]; then
            g1=$(grep -E "^W17 go-p1 " <<<"$PEER_OUT") g2=$(grep -E "^W17 go-p2 " <<<"$PEER_OUT")
            printf '%s\n%s\n' "$g1" "$g2"
            w17_ratio cio-l1 go-p1 "$l1" "$g1"
            w17_ratio cio-l2 go-p2 "$l2" "$g2"
        fi
        continue
    fi
    [ "$PEERS" = 1 ] || continue
    if [ "$w" = W14 ] || [ "$w" = W15 ]; then
        while IFS= read -r pl; do
            [ -n "$pl" ] || continue
            echo "$pl"
            for row in cio-uring cio-threadpool; do
                ratio2 "$w" "$row" "$(grep -E "^$w $row " <<<"${OURS[$w]}")" "$pl"
            done
        done < <(grep -E "^$w " <<<"$PEER_OUT")
        continue
    fi
    if [ "$w" = W4 ] || [ "$w" = W10 ] || [ "$w" = W16 ]; then
        { [ "$w" = W10 ] || [ "$w" = W16 ]; } && [ -z "$PEER_OUT" ] && continue
        while IFS= read -r pl; do
            [ -n "$pl" ] || continue
            echo "$pl"
            peer=$(awk '{print $2}' <<<"$pl")
            if [ "$w" = W10 ] || [ "$w" = W16 ]; then
                ratio2 "$w" cio "${OURS[$w]}" "$pl"
                continue
            fi
            # cio-streams against streams servers, cio-protocol against
            # protocol ones, both against the rest (Go, libuv)
            for row in cio-streams cio-protocol; do
                case $peer in
                *-streams*) [ "$row" = cio-streams ] || continue ;;
                *-protocol*) [ "$row" = cio-protocol ] || continue ;;
                esac
                ratio2 W4 "$row" "$(grep -E "^W4 $row " <<<"${OURS[W4]}")" "$pl"
            done
        done < <(grep -E "^$w " <<<"$PEER_OUT")
        continue
    fi
    mainf=MAIN_$w
    mainf=${!mainf}
    ours=$(field "$mainf" "${OURS[$w]}")
    [ "$w" = W3 ] && [ "$W3_N" != 100000 ] && echo "# W3: cio ran $W3_N sleepers, the peers 100000: ratios not comparable"
    [ "$w" = W5 ] && [ "$W5_N" != 1000000 ] && echo "# W5: cio moved $W5_N items, the peers 1000000"
    while IFS= read -r pl; do
        [ -n "$pl" ] || continue
        echo "$pl"
        peer=$(awk '{print $2}' <<<"$pl")
        theirs=$(field "$mainf" "$pl")
        awk -v w="$w" -v p="$peer" -v f="$mainf" -v a="$ours" -v b="$theirs" 'BEGIN{
            if (a == "" || b == "") { printf "%s ratio cio/%s %s cio=%s peer=%s ratio=na\n", w, p, f, a, b; exit }
            r = (b + 0 != 0) ? sprintf("%.3g", a / b) : "inf"
            printf "%s ratio cio/%s %s cio=%s peer=%s ratio=%s\n", w, p, f, a, b, r }'
        # W8 with waves: the second wave too, the steady state of both sides
        if [ "$w" = W8 ] && [ "$W8_WAVES" -gt 1 ] && [ "$peer" != ref-c-pages ]; then
            awk -v p="$peer" -v a="$(field wave2_overhead_ms "${OURS[$w]}")" -v b="$(field wave2_overhead_ms "$pl")" 'BEGIN{
                if (a == "" || b == "") { printf "W8 ratio cio/%s wave2_overhead_ms cio=%s peer=%s ratio=na\n", p, a, b; exit }
                r = (b + 0 != 0) ? sprintf("%.3g", a / b) : "inf"
                printf "W8 ratio cio/%s wave2_overhead_ms cio=%s peer=%s ratio=%s\n", p, a, b, r }'
        fi
    done < <(grep -E "^$w " <<<"$PEER_OUT")
done | tee -a "$RAW"
# W8 against W3, per task: overhead_ms * 1e6 / N on the first wave and on wave 2
if [ -n "$W8_REF" ]; then
    ref=$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^$W8_REF " "$RAW"))
    {
        [ "$W8_REF" = "W3 cio-ref" ] && echo "# W8's reference: $ref"
        for f in overhead_ms wave2_overhead_ms; do
            a=$(field "$f" "${OURS[W8]}")
            b=$(field "$f" "$ref")
            [ -z "$a$b" ] && continue
            awk -v f="${f%ms}ns_per_task" -v a="$a" -v b="$b" -v n="$W8_N" 'BEGIN{
                if (a == "" || b == "") { printf "W8 ratio cio-W8/cio-W3 %s w8=%s w3=%s ratio=na\n", f, a, b; exit }
                x = a * 1e6 / n; y = b * 1e6 / n
                r = (y != 0) ? sprintf("%.3g", x / y) : "inf"
                printf "W8 ratio cio-W8/cio-W3 %s w8=%.0f w3=%.0f ratio=%s\n", f, x, y, r }'
        done
    } | tee -a "$RAW"
fi
if [ "$W18" = 1 ]; then
    BUILD_DIR=$BUILD_DIR bash "$HERE/w18.sh" | tee -a "$RAW"
fi
echo "# raw: $RAW  total: ${SECONDS}s" >&2
