#!/usr/bin/env bash
# The allocation-failure sweep over test binaries (tests/harness.h,
# CIO_FAULT_SWEEP=1): each case once per allocation it makes, with that
# allocation failing, each run in a child process.
#
#   scripts/alloc-sweep.sh BUILD_DIR [TEST ...]     (default: every test_*)
#
# Best in an ASan+UBSan build.  test_alloc_failures is written for the sweep
# and is judged strictly (success or -ENOMEM, nothing else); the other suites
# were written assuming memory never runs out, so after a failed setup some
# of their cases go on with what they did not get (a task that was never
# created, a signal handler never installed) and hang or crash in the test's
# own code: their lines are a survey to read, led by the crashes whose top
# frame is in src/.  Per-suite output goes to BUILD_DIR/sweep/.
# Environment: CIO_FAULT_MAX (runs per case, default 300),
# CIO_FAULT_CASE_SECS (time budget per case, default 20), JOBS (parallel
# suites, default nproc).
set -uo pipefail
build=${1:?usage: alloc-sweep.sh BUILD_DIR [TEST ...]}
shift
cd "$build" || exit 2
mkdir -p sweep
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=($(ls test_* 2>/dev/null | grep -v '\.'))
printf '%s\n' "${tests[@]}" | xargs -P "${JOBS:-$(nproc)}" -I{} sh -c \
  'CIO_FAULT_SWEEP=1 ./{} >sweep/{}.out 2>sweep/{}.err; echo "{} exit=$?" >sweep/{}.rc'
status=0
for t in "${tests[@]}"; do
  rc=$(cut -d= -f2 "sweep/$t.rc")
  awk -v t="$t" '/^sweep .* runs/ {
      for (i = 1; i <= NF; i++) { if ($i == "runs") r += $(i-1); if ($i == "absorbed,") a += $(i-1);
        if ($i == "reported") p += $(i-1); if ($i == "other,") o += $(i-1); if ($i == "hung,") h += $(i-1);
        if ($i == "crashed,") c += $(i-1); if ($i == "leaked") l += $(i-1) }
    } END { printf "%-22s runs=%d absorbed=%d enomem=%d other=%d hung=%d crashed=%d leaked=%d\n", t, r, a, p, o, h, c, l }' \
    "sweep/$t.out"
  lib=$(grep -A3 'ERROR: AddressSanitizer\|runtime error' "sweep/$t.err" | grep -m3 '#0 .*/src/\|src/.*runtime error' || true)
  [ -n "$lib" ] && printf '  in the library:\n%s\n' "$lib"
  [ "$rc" != 0 ] && [ "$t" = test_alloc_failures ] && status=1
done
exit $status
