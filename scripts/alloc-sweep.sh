#!/usr/bin/env bash
# The allocation-failure sweep over test binaries (tests/harness.h,
# CIO_FAULT_SWEEP=1): each case once per allocation it makes, with that
# allocation failing, each run in a child process.
#
#   scripts/alloc-sweep.sh BUILD_DIR [TEST ...]     (default: every test_*)
#
# Best in an ASan+UBSan build.  It is a gate: a suite fails when any run
# crashed (or drew a sanitizer report), leaked, or hung (CIO_FAULT_HANG_FAILS
# is set); the script exits 1 when any suite failed.  A failed check inside a
# run is the expected consequence of the failed allocation and is counted
# ("enomem" when the case saw -ENOMEM, "other" when a check failed on
# something else); test_alloc_failures, written for the sweep, is also held
# to success or -ENOMEM only (TEST_SWEEP_STRICT).  Per-suite output goes to
# BUILD_DIR/sweep/; crashes whose top frame is in src/ are listed.
# Environment: CIO_FAULT_MAX (runs per case, default 300; past half of it
# the allocations are sampled evenly), CIO_FAULT_CASE_SECS (time budget per
# case, default 20), CIO_FAULT_MIN (runs of a slow case at least, default
# 16), JOBS (parallel suites, default nproc).
set -uo pipefail
build=${1:?usage: alloc-sweep.sh BUILD_DIR [TEST ...]}
shift
cd "$build" || exit 2
mkdir -p sweep
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=($(ls test_* 2>/dev/null | grep -v '\.'))
export CIO_FAULT_HANG_FAILS=${CIO_FAULT_HANG_FAILS:-1}
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
  if [ "$rc" != 0 ]; then
    status=1
    echo "  FAILED (exit $rc): see $build/sweep/$t.err"
    grep -m5 'hang\|killed by\|exit status\|leaked' "sweep/$t.err" | sed 's/^/    /'
  fi
done
exit $status
