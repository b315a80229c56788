#!/usr/bin/env bash
# cio's benchmarks, measured the way shared/peers/run.sh measures the peers,
# and printed in the same form, one median line per workload:
#
#   W1 cio reps=3 switches=1000000 ns_per_switch=... rss_kb=... cpu_s=... cpu_pct=... bg_cpu_pct=...
#
# usage: bench/run.sh [--peers] [W1 W2 W3 W5 W6 W7 W8 W9 ...]   (default: all eight)
#   --peers   also run shared/peers/run.sh for the same workloads (one
#             invocation, ONLY= and REPS passed on; W7, W8 and W9, which the
#             shared harness does not have, run our own Python versions in
#             bench/peers/ as python-asyncio and python-uvloop, measured as
#             ours are), print their median lines and, per peer, a ratio line
#             on the workload's main field:
#               W1 ratio cio/python-asyncio ns_per_switch cio=45.1 peer=5120 ratio=0.0088
#             ratio = cio / peer; every main field is a time, so < 1 means
#             cio is faster.
#
# Workloads (programs in bench/, built into build-bench/bench/):
#   W1 w1_switch    two tasks alternately cio_yield(), 1M switches in all   main: ns_per_switch
#   W2 w2_spawn     1M tasks that return at once, all created first          main: ns_per_task
#   W3 w3_sleepers  100k tasks each cio_sleep(1.0) concurrently              main: overhead_ms
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
#   W8_WAVES=2       as W3_WAVES, for W8
#   W3_N=100000      e.g. W3_N=1000000 for a million sleepers (the peers
#                    stay at 100k: their W3 lines are then not comparable)
#   W3_WAVES=2       waves of W3_N sleepers run one after the other in one
#                    process; the first wave gives the main fields, later
#                    ones waveK_secs and waveK_overhead_ms
#   BUILD_DIR=build-bench (relative to the project root)
#   NO_BUILD=1       use the binaries already in BUILD_DIR
#   QUIET_WAIT=20 QUIET_BUSY_PCT=15 QUIET_BUDGET=120
#                    before each run wait up to QUIET_WAIT s for other load
#                    to fall under QUIET_BUSY_PCT % of one core, at most
#                    QUIET_BUDGET s per invocation
# Raw lines per repetition go to bench/results/raw-<stamp>.txt.
#
# Needs GNU time (/usr/bin/time); --peers also needs python3-uvloop,
# golang-go, libuv1-dev and iproute2.  Missing packages are installed with
# apt-get (as root).
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
for a in "$@"; do
    case $a in
    --peers) PEERS=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    W1 | W2 | W3 | W5 | W6 | W7 | W8 | W9) WS+=("$a") ;;
    W0 | W4) die "$a: cio has no benchmark for it yet (bench/ has W1 W2 W3 W5 W6 W7 W8 W9)" ;;
    *) die "unknown argument '$a' (usage: bench/run.sh [--peers] [W1 W2 W3 W5 W6 W7 W8 W9])" ;;
    esac
done
[ ${#WS[@]} -eq 0 ] && WS=(W1 W2 W3 W5 W6 W7 W8 W9)
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer"
for v in W1_N W2_N W3_N W5_N W6_N W7_N W8_N W9_N; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $W3_WAVES =~ ^[1-9][0-9]*$ ]] || die "W3_WAVES must be a positive integer"
[[ $W8_WAVES =~ ^[1-9][0-9]*$ ]] || die "W8_WAVES must be a positive integer"
# The workloads the shared peers' harness has, and those whose peers are our
# own Python versions (bench/peers/).
SHARED_WS=() LOCAL_WS=()
for w in "${WS[@]}"; do
    case $w in W7 | W8 | W9) LOCAL_WS+=("$w") ;; *) SHARED_WS+=("$w") ;; esac
done
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
if [ "$PEERS" = 1 ]; then
    if [ ${#SHARED_WS[@]} -gt 0 ]; then
        command -v go >/dev/null || missing+=(golang-go)
        [ -f /usr/include/uv.h ] || missing+=(libuv1-dev)
        command -v ss >/dev/null || missing+=(iproute2)
    fi
    [ -x "$PY" ] || missing+=(python3)
    "$PY" -c 'import uvloop' 2>/dev/null || missing+=(python3-uvloop)
fi
need_pkgs "${missing[@]}"
SUMPY=$PY
[ -x "$SUMPY" ] || SUMPY=python3

# ---------------------------------------------------------------------- build
PROGS=(w1_switch w2_spawn w3_sleepers w5_queue w6_timers w7_gather w8_wait_for w9_lock)
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
        line=$(measure "$to" "$prog" 0 "${rest[@]}")
        rss0=$(field rss_kb "$line")
        echo "# $w $label baseline(N=0) $line" >>"$RAW"
    fi
    for rep in $(seq 1 "$REPS"); do
        quiet_gate
        line=$(measure "$to" "$prog" "$@")
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
    local w=$1 to=$2 n=$3 script=$HERE/peers/$4 mem=${5:-1}
    local peers=(python-asyncio python-uvloop) flags=("" --uvloop)
    local i rep line rss rss0=()
    note "$w: ${peers[*]} x $REPS reps: $PY $(basename "$script") $n"
    for i in 0 1; do
        rss0[$i]=""
        [ "$mem" = 1 ] || continue
        line=$(measure "$to" "$PY" -B "$script" ${flags[$i]} 0)
        rss0[$i]=$(field rss_kb "$line")
        echo "# $w ${peers[$i]} baseline(N=0) $line" >>"$RAW"
    done
    for rep in $(seq 1 "$REPS"); do
        for i in 0 1; do
            quiet_gate
            line=$(measure "$to" "$PY" -B "$script" ${flags[$i]} "$n")
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

{
    echo "# stamp=$STAMP kernel=$(uname -r) cpus=$(nproc) cpu=\"$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)\" gcc=$(gcc -dumpfullversion 2>/dev/null)"
    echo "# cio $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') build=$BUILD REPS=$REPS W1_N=$W1_N W2_N=$W2_N W3_N=$W3_N W3_WAVES=$W3_WAVES W5_N=$W5_N W6_N=$W6_N W7_N=$W7_N W8_N=$W8_N W8_WAVES=$W8_WAVES W9_N=$W9_N"
} | tee "$RAW" >&2

MAIN_W1=ns_per_switch MAIN_W2=ns_per_task MAIN_W3=overhead_ms MAIN_W5=ns_per_item MAIN_W6=total_s MAIN_W7=ns_per_task
MAIN_W8=overhead_ms MAIN_W9=ns_per_acquire
# W8's reference: this invocation's W3 if it is the same shape, else runs of
# w3_sleepers made for it
W8_REF=""
if [[ " ${WS[*]} " == *" W8 "* ]]; then
    W8_REF="W3 cio-ref"
    [[ " ${WS[*]} " == *" W3 "* ]] && [ "$W3_N" = "$W8_N" ] && [ "$W3_WAVES" = "$W8_WAVES" ] && W8_REF="W3 cio"
fi
for w in "${WS[@]}"; do
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
    esac
done

declare -A OURS=()
for w in "${WS[@]}"; do
    OURS[$w]=$("$SUMPY" "$SHARED/peers/summarize.py" <(grep -E "^$w cio " "$RAW"))
done

# ---------------------------------------------------------------------- peers
PEER_OUT=""
if [ "$PEERS" = 1 ] && [ ${#SHARED_WS[@]} -gt 0 ]; then
    only="^W($(IFS='|'; echo "${SHARED_WS[*]#W}")) "
    note "peers: ONLY='$only' REPS=$REPS $SHARED/peers/run.sh"
    PEER_OUT=$(ONLY="$only" REPS="$REPS" PY="$PY" bash "$SHARED/peers/run.sh")
    rc=$?
    printf '%s\n' "$PEER_OUT" | sed 's/^/# peers: /' >>"$RAW"
    [ $rc -ne 0 ] && note "peers/run.sh exited with $rc"
fi
if [ "$PEERS" = 1 ]; then
    for w in "${LOCAL_WS[@]}"; do
        case $w in
        W7) run_py_peers W7 $((120 + W7_N / 2000)) "$W7_N" w7_gather.py ;;
        W8) run_py_peers W8 $((120 + W8_N / 500)) "$W8_N" w8_wait_for.py ;;
        W9) run_py_peers W9 $((120 + W9_N / 5000)) "$W9_N" w9_lock.py 0 ;;
        esac
    done
fi

# ---------------------------------------------------------------------- report
[ "$PEERS" = 1 ] && echo "# ratio = cio / peer on the workload's main field (a time: < 1 means cio is faster)"
for w in "${WS[@]}"; do
    echo "${OURS[$w]}"
    [ "$PEERS" = 1 ] || continue
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
echo "# raw: $RAW  total: ${SECONDS}s" >&2
