#!/usr/bin/env python3
"""Compile (and run) every reference example of include/cio.h.

An example is a @code{.c} ... @endcode block in a comment of the header; its
lines lose the comment's leading " * ".  There are two kinds:

  - a complete program: a block that defines main().  It is compiled as it
    is (it has its own #include lines) and, with --lib, linked against the
    library and run: it must exit 0 within 30 s, so it needs no network
    (loopback is fine) and only short sleeps.  Without --lib it is only
    compiled (-c);
  - a fragment: any other block.  It is compiled (-c) at file scope after
    the prelude below, so statements go inside a function; declaring
    functions of the reader's own (int fetch(void *arg, void **result);)
    is fine, and so is a function that nothing calls.

Every block is compiled with
    CC -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude
(-Wno-unused-parameter as the library's own flags: a coroutine need not use
both of its parameters), fragments with -Wno-unused-function as well.  A block
must not contain the comment terminator, so examples use // comments.

Exits 1 and names the header line of every block that fails.

usage: scripts/check_header_examples.py [--header H] [--cc CC] [--lib LIBCIO]
                                        [--ldflags FLAGS] [--workdir DIR]"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRELUDE = """#include <cio.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
"""

FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]


def examples(path):
    """(line of @code, text) for each @code block of the header."""
    out, block, start = [], None, 0
    for i, raw in enumerate(open(path).read().split("\n"), 1):
        line = re.sub(r"^\s*\*( |$)", "", raw)  # the comment's " * "
        if block is None:
            m = re.search(r"[@\\]code(\{[^}]*\})?", raw)
            if m:
                if m.group(1) != "{.c}":
                    sys.exit("%s:%d: an example is a @code{.c} block" % (path, i))
                block, start = [], i
        elif re.search(r"[@\\]endcode\b", raw):
            out.append((start, "\n".join(block) + "\n"))
            block = None
        else:
            if "*/" in raw:
                sys.exit("%s:%d: comment ends inside the @code block of line %d" % (path, i, start))
            block.append(line)
    if block is not None:
        sys.exit("%s:%d: @code without @endcode" % (path, start))
    return out


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, **kw)
    return p.returncode, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", default=os.path.join(ROOT, "include", "cio.h"))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--lib", help="libcio.so or libcio.a to link the complete programs with, and run them")
    ap.add_argument("--ldflags", default="", help="more link flags (libcio.a with TLS: -lssl -lcrypto)")
    ap.add_argument("--workdir", help="where the sources and binaries go (default: a temporary directory)")
    args = ap.parse_args()

    header = os.path.abspath(args.header)
    blocks = examples(header)
    if not blocks:
        sys.exit("%s: no @code{.c} block" % header)
    work = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="cio-examples-"))
    include = os.path.join(work, "include")  # <cio.h> is the header checked
    os.makedirs(include, exist_ok=True)
    shutil.copyfile(header, os.path.join(include, "cio.h"))
    if os.path.basename(header) != "cio.h":  # a module's header: <cio.h> is its neighbour
        shutil.copyfile(os.path.join(os.path.dirname(header), "cio.h"), os.path.join(include, "cio.h"))
        shutil.copyfile(header, os.path.join(include, os.path.basename(header)))
    link = []
    if args.lib:
        lib = os.path.abspath(args.lib)
        link = [lib, "-pthread", "-lm"] + shlex.split(args.ldflags)
        if lib.endswith(".so") or ".so." in lib:
            link.insert(1, "-Wl,-rpath," + os.path.dirname(lib))

    failed, programs, ran = [], 0, 0
    rel = os.path.relpath(header, ROOT) if header.startswith(ROOT) else header
    for line, text in blocks:
        name = "example_%d" % line
        src = os.path.join(work, name + ".c")
        is_program = re.search(r"\bint\s+main\s*\(", text) is not None
        with open(src, "w") as f:
            # diagnostics name the header's own lines
            f.write(("" if is_program else PRELUDE) + '#line %d "%s"\n' % (line + 1, rel) + text)
        cmd = [args.cc] + FLAGS + ["-I", include]
        if is_program and link:
            programs += 1
            exe = os.path.join(work, name)
            rc, out = run(cmd + [src, "-o", exe] + link)
            if rc == 0:
                try:
                    rc, out = run([exe], cwd=work, timeout=30)
                    ran += 1
                    if rc != 0:
                        out += "\n(exit status %d)" % rc
                except subprocess.TimeoutExpired:
                    rc, out = 1, "(still running after 30 s)"
        else:
            programs += is_program
            extra = [] if is_program else ["-Wno-unused-function"]
            rc, out = run(cmd + extra + ["-c", src, "-o", os.path.join(work, name + ".o")])
        if rc != 0:
            failed.append(line)
            print("%s:%d: the example fails:\n%s" % (rel, line, out.rstrip()))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("header examples: %d of %d failed (lines %s)" % (len(failed), len(blocks), ", ".join(map(str, failed))))
        return 1
    print("header examples: %d blocks compiled (%d complete programs, %d of them linked and run)"
          % (len(blocks), programs, ran))
    return 0


if __name__ == "__main__":
    sys.exit(main())
