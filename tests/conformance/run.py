#!/usr/bin/env python3
"""Run the conformance pairs of tests/conformance: asyncio is the oracle.

Each pair is NAME.py (a short asyncio program, ported from CPython's
Lib/test/test_asyncio) and NAME.c (its twin on cio), in one folder per
module (tasks/, locks/, ...).  Both print a trace, one event per line; the
pair passes when the traces are equal, lines starting "info:" left out
(unspecified behaviour).  The C twins of a module are linked into one
program, conformance_<module>, that runs the twin named by its argument.

Headers, in the first lines of either file (comment lines):
  requires: 3.12   the Python side needs that version; skipped (with a
                   message) when the interpreter is older.
  noemu: REASON    skipped when the C twins run under an emulator (--emulator,
                   a cross build's qemu-user), for the reason given.

A C twin that exits with status 77 is skipped (a feature the build lacks,
such as TLS); it says why on stderr.

  xfail: REASON    a known deviation of cio from asyncio: reported, never a
                   failure; a pair that passes is reported as XPASS (flip it).

The interpreter (the oracle), by this rule: $CIO_CONFORMANCE_PYTHON if set;
else the newest $PYENV_ROOT/versions/3.*/bin/python3 (PYENV_ROOT defaults to
~/.pyenv); else `python3` on PATH.  It must be 3.11 or newer (TaskGroup, timeout,
Runner, Barrier): with an older one every pair is skipped, with a message.

Usage: run.py --bin PROGRAM --dir MODULE_DIR [--python PY] [-k SUBSTR] [-j N] [-v]
              [--emulator 'qemu-aarch64|-L|/usr/aarch64-linux-gnu']
A pair that fails is run once more, alone (both sides): if it passes then,
it is reported as FLAKY and does not fail the run (a Python side that races
a thread may differ on a loaded machine; the report names it).
Exit 0 when every pair that is not xfail or skipped passes, 1 otherwise.
"""

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys

TIMEOUT = 30
EMULATOR = []  # a cross build's runner of the C twins (--emulator)


def pick_python():
    env = os.environ.get("CIO_CONFORMANCE_PYTHON")
    if env:
        return env
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    best = None
    for exe in glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")):
        m = re.search(r"versions/3\.(\d+)\.(\d+)/", exe)
        if not m or not os.access(exe, os.X_OK):
            continue
        key = (int(m.group(1)), int(m.group(2)))
        if best is None or key > best[0]:
            best = (key, exe)
    if best:
        return best[1]
    return shutil.which("python3") or sys.executable


def py_version(py):
    out = subprocess.run([py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in out.split("."))


def headers(path):
    h = {}
    with open(path, encoding="utf-8") as f:
        for _, line in zip(range(12), f):
            m = re.search(r"\b(requires|xfail|noemu):\s*(.*?)\s*(?:\*/)?$", line)
            if m:
                h[m.group(1)] = m.group(2)
    return h


# The Python sides run in one interpreter that imports asyncio once and forks
# a child per pair (a fresh interpreter per pair costs most of the run): the
# child runs the file as __main__ with its output in files, under an alarm.
HOST = r"""
import os, runpy, signal, sys, traceback
import asyncio
outdir, timeout, jobs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
running = {}

def child(path, name):
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, ext in ((1, ".out"), (2, ".err")):
            f = os.open(os.path.join(outdir, name + ext), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(f, fd)
        os.chdir(os.path.dirname(path))
        signal.alarm(timeout)
        sys.argv = [path]
        try:
            runpy.run_path(path, run_name="__main__")
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)

def reap():
    pid, status = os.wait()
    name = running.pop(pid)
    with open(os.path.join(outdir, name + ".rc"), "w") as f:
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        f.write(str(rc))

for path in files:
    while len(running) >= jobs:
        reap()
    name = os.path.basename(path)[:-3]
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(path, name)
    running[pid] = name
while running:
    reap()
"""


def run_python_sides(py, pyfiles, jobs):
    """{name: (rc, stdout, stderr)} of every Python side, run by HOST."""
    import tempfile
    res = {}
    with tempfile.TemporaryDirectory(prefix="cio-conformance-") as out:
        host = subprocess.run([py, "-S", "-c", HOST, out, str(TIMEOUT), str(jobs)] + pyfiles,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT * len(pyfiles) + 60)
        for path in pyfiles:
            name = os.path.basename(path)[:-3]
            try:
                with open(os.path.join(out, name + ".rc")) as f:
                    rc = int(f.read())
                with open(os.path.join(out, name + ".out"), encoding="utf-8", errors="replace") as f:
                    o = f.read()
                with open(os.path.join(out, name + ".err"), encoding="utf-8", errors="replace") as f:
                    e = f.read()
            except (OSError, ValueError):
                rc, o, e = "missing", "", host.stderr[-500:]
            if rc == -14:
                rc = "timeout"
            res[name] = (rc, o, e)
    return res


def trace(text):
    return [l for l in text.splitlines() if not l.startswith("info:")]


def run(cmd, cwd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    except OSError as e:
        return "error", "", str(e)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return "timeout", out, ""


def skipped(name, pydir, pyver):
    """The reason a pair is skipped on this interpreter, or None."""
    if pyver < (3, 11):
        return "the oracle needs Python 3.11 or newer (TaskGroup, timeout, Runner, Barrier); it is %d.%d" % pyver
    h = headers(os.path.join(pydir, name + ".py"))
    h.update(headers(os.path.join(pydir, name + ".c")))
    if "requires" in h:
        m = re.match(r"(\d+)\.(\d+)", h["requires"])
        need = (int(m.group(1)), int(m.group(2))) if m else (99, 0)
        if pyver < need:
            return "needs Python %s, the interpreter is %d.%d" % (h["requires"], *pyver)
    if EMULATOR and "noemu" in h:
        return "not run under an emulator: " + h["noemu"]
    return None


def check(name, pydir, binary, pyres, pyver):
    try:
        return check1(name, pydir, binary, pyres, pyver)
    except Exception as e:  # a broken pair is a failure, not a crash of the runner
        return "FAIL", name, "runner error: %r" % e


def check1(name, pydir, binary, pyres, pyver):
    h = headers(os.path.join(pydir, name + ".py"))
    h.update(headers(os.path.join(pydir, name + ".c")))
    why = skipped(name, pydir, pyver)
    if why:
        return "SKIP", name, why
    crc, cout, cerr = run(EMULATOR + [binary, name], pydir)
    prc, pout, perr = pyres.result()[name]
    if crc == 77:
        return "SKIP", name, "the C twin skipped: " + (cerr.strip().splitlines() or ["a feature not built"])[-1]
    problems = []
    if prc != 0:
        problems.append("python exited %s: %s" % (prc, perr.strip()[-500:]))
    if crc != 0:
        problems.append("C twin exited %s: %s" % (crc, cerr.strip()[-500:]))
    a, b = trace(pout), trace(cout)
    if a != b:
        import difflib
        diff = "\n".join(difflib.unified_diff(a, b, "python", "c", lineterm=""))
        problems.append("traces differ:\n" + diff)
    if "xfail" in h:
        if problems:
            return "XFAIL", name, h["xfail"]
        return "XPASS", name, "passes now: remove its xfail header (%s)" % h["xfail"]
    if problems:
        return "FAIL", name, "\n".join(problems)
    return "PASS", name, ""


def retry(name, pydir, binary, py):
    """Both sides again, one after the other, without load from the others:
    a pair whose Python side races a thread (asyncio's own timing) may
    differ once on a loaded machine."""
    prc, pout, _ = run([py, os.path.join(pydir, name + ".py")], pydir)
    crc, cout, _ = run(EMULATOR + [binary, name], pydir)
    return prc == 0 and crc == 0 and trace(pout) == trace(cout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--python")
    ap.add_argument("-k", default="")
    ap.add_argument("-j", type=int, default=3)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--emulator", default="", help="run the C twins through this command (words separated by '|')")
    args = ap.parse_args()
    global EMULATOR
    EMULATOR = [w for w in args.emulator.split("|") if w]
    args.bin = os.path.abspath(args.bin)
    args.dir = os.path.abspath(args.dir)
    py = args.python or pick_python()
    pyver = py_version(py)
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(args.dir, "*.py")))
    names = [n for n in names if args.k in n]
    print("oracle: %s (Python %d.%d), %d pairs in %s" % (py, *pyver, len(names), args.dir), flush=True)
    counts = {}
    failed = False
    torun = [os.path.join(args.dir, n + ".py") for n in names if not skipped(n, args.dir, pyver)]
    with concurrent.futures.ThreadPoolExecutor(args.j + 1) as ex:
        pyres = ex.submit(run_python_sides, py, torun, args.j)
        for status, name, detail in ex.map(lambda n: check(n, args.dir, args.bin, pyres, pyver), names):
            if status == "FAIL" and retry(name, args.dir, args.bin, py):
                status, detail = "FLAKY", "passed when run again alone; the first run: " + detail
            counts[status] = counts.get(status, 0) + 1
            if status == "FAIL":
                failed = True
            if status != "PASS" or args.v:
                print("%-5s %s%s" % (status, name, (": " + detail) if detail else ""))
    print(", ".join("%d %s" % (v, k.lower()) for k, v in sorted(counts.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
