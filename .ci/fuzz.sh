#!/usr/bin/env bash
# Fuzz every libFuzzer target in tests/fuzz for a bounded time.
#
#   .ci/fuzz.sh [SECS [BUILD_DIR]]
#
# SECS: seconds per target (default 15: 45 s for the three targets);
# BUILD_DIR: the fuzz build (default build-fuzz), configured here with clang
# and -DCIO_FUZZ=ON.  Each target starts from a scratch copy of its corpus,
# tests/fuzz/corpus/<target>/, made in BUILD_DIR/corpus/, so a run never
# changes the repository; crash inputs go to BUILD_DIR/artifacts/.  Any
# crash, sanitizer report, leak or hang (an input running over 20 s) fails
# the script, with the tail of the target's log.
#
# To add what a longer local run found to the repository's corpus (keep it
# small: well under 200 files and 100 KB per target):
#   .ci/fuzz.sh 600
#   ./build-fuzz/fuzz_x -merge=1 tests/fuzz/corpus/fuzz_x build-fuzz/corpus/fuzz_x
# -merge=1 keeps every file already in the first directory and adds only the
# inputs that reach new coverage; with -use_counters=0, only those reaching
# new edges (far fewer files).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-15}
build=${2:-build-fuzz}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECS [BUILD_DIR]]" >&2; exit 2 ;; esac

# -fsanitize=fuzzer needs clang's runtime (libclang-rt-N-dev on Debian 12).
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >/tmp/cio-fz.c
if ! clang -fsanitize=fuzzer /tmp/cio-fz.c -o /tmp/cio-fz >/dev/null 2>&1; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
fi
rm -f /tmp/cio-fz.c /tmp/cio-fz

targets=()
for src in tests/fuzz/*.c; do
  targets+=("$(basename "$src" .c)")
done
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCIO_FUZZ=ON \
  -DCIO_BUILD_TESTS=OFF -DCIO_BUILD_EXAMPLES=OFF -DCIO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target "${targets[@]}" >/dev/null

echo "fuzzing ${#targets[@]} targets, ${secs} s each: ${targets[*]}"
mkdir -p "$build/artifacts"
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  if [ -d "tests/fuzz/corpus/$t" ]; then
    cp -R "tests/fuzz/corpus/$t/." "$corpus/"
  fi
  log="$build/$t.log"
  if ! timeout $((secs + 120)) "./$build/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$corpus" >"$log" 2>&1; then
    tail -60 "$log"
    echo "FAIL: $t (log: $log; reproduce with ./$build/$t $build/artifacts/$t-*)" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/')
  echo "$t: $runs runs, $cov"
done
