#!/bin/sh
# Developer shortcut: build and run one module's pairs.  t.sh MODULE [-k NAME] [-v]
m=$1; shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake --build "$root/build" -j2 --target conformance_$m 2>&1 | grep -E 'error:|warning:' | head -30
python3 "$root/tests/conformance/run.py" --bin "$root/build/tests/conformance/conformance_$m" --dir "$root/tests/conformance/$m" "$@"
