#!/bin/sh
# Developer shortcut: build and run one module's pairs.  t.sh MODULE [-k NAME] [-v]
m=$1; shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake -S "$root" -B "$root/build" >/dev/null || exit 1
if ! cmake --build "$root/build" -j2 --target conformance_$m >/tmp/conf19b.log 2>&1; then
    grep -E 'error:|warning:' /tmp/conf19b.log | head -30
    exit 1
fi
exec python3 "$root/tests/conformance/run.py" --bin "$root/build/tests/conformance/conformance_$m" --dir "$root/tests/conformance/$m" "$@"
