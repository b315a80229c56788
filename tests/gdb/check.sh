#!/usr/bin/env bash
# tools/gdb/cio.py against tests/gdb/target.c: cio-tasks lists the tasks with
# their names, states and creation sites; cio-bt walks a suspended task's own
# stack down to the function that created the wait.  Skipped without gdb.
set -uo pipefail
target=$1
script=$2
if ! command -v gdb >/dev/null 2>&1; then
    echo "SKIP: no gdb"
    exit 0
fi
out=$(gdb -q -batch -nx -x "$script" -ex run -ex cio-tasks -ex "cio-bt 2" -ex kill "$target" 2>&1)
if ! grep -q "SIGTRAP" <<<"$out"; then
    # gdb could not run the program (no ptrace in this container, say).
    echo "SKIP: gdb did not run the target:"
    head -5 <<<"$out"
    exit 0
fi
if grep -q "has unknown type\|No symbol table\|no struct type named" <<<"$out"; then
    # The library was built without debug information (a Release build):
    # the script reads the library's own structures and cannot.
    echo "SKIP: the library has no debug information (build type without -g); use Debug or RelWithDebInfo"
    exit 0
fi
fail=0
for want in "'sleepy'" "suspended (waiting)" "'stopper'" "running" "created at .*target.c:" \
            "deep_wait (n=0)" "deep_wait (n=3)" "in waiter"; do
    if ! grep -q -- "$want" <<<"$out"; then
        echo "missing: $want"
        fail=1
    fi
done
if ((fail)); then
    echo "$out"
    exit 1
fi
echo "gdb: cio-tasks and cio-bt ok"
