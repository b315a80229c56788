#!/usr/bin/env bash
# CI: the reference.  Doxygen renders include/cio.h (docs/Doxyfile.in) into
# BUILD/docs/html and any warning fails the run, an undocumented public
# function, type, macro or struct member among them; then every @code{.c}
# example of the header is compiled, and the complete programs are linked
# against the library and run (scripts/check_header_examples.py).
#
#   bash .ci/docs.sh [BUILD_DIR]     (default build-docs)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-docs}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

need=""
for p in doxygen python3 cmake; do command -v $p >/dev/null 2>&1 || need="$need $p"; done
if [ -n "$need" ]; then
  echo "== installing:$need"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need
fi

echo "== doxygen $(doxygen --version): include/cio.h -> $build/docs/html"
# A new build directory gets the library only; an existing one keeps its options.
opts="-DCIO_BUILD_TESTS=OFF -DCIO_BUILD_EXAMPLES=OFF -DCIO_BUILD_BENCH=OFF"
[ -f "$build/CMakeCache.txt" ] && opts=""
mkdir -p "$build"
cmake -S . -B "$build" $opts >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
rm -rf "$build/docs"
# WARN_AS_ERROR = FAIL_ON_WARNINGS fails the target; the log is checked too,
# so that a message Doxygen does not count as a warning fails as well.
if ! cmake --build "$build" --target docs >"$build/docs.log" 2>&1; then
  cat "$build/docs.log"
  echo "docs: Doxygen failed (an undocumented public symbol, or a comment Doxygen cannot read)"
  exit 1
fi
if grep -Eq '(^|: )(warning|error): ' "$build/docs.log"; then
  cat "$build/docs.log"
  echo "docs: Doxygen reported problems"
  exit 1
fi
[ -f "$build/docs/html/index.html" ] || { echo "docs: no $build/docs/html/index.html"; exit 1; }
echo "$build/docs/html/index.html: $(ls "$build/docs/html" | grep -c '^group__.*\.html$') modules"

echo "== the reference examples of include/cio.h"
cmake --build "$build" --target cio_shared -j"$jobs" >"$build/build.log" 2>&1 || { tail -40 "$build/build.log"; exit 1; }
python3 scripts/check_header_examples.py --lib "$build/libcio.so" --workdir "$build/header_examples"
