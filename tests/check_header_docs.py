#!/usr/bin/env python3
"""Every public declaration of include/cio.h is documented: each CIO_EXTERN
function, typedef and #define has a comment, on its own line(s) or at the
end of the line, before it or heading the run of declarations (no blank
line between) it belongs to.  Exits 1 with the undocumented names.

usage: tests/check_header_docs.py [HEADER]"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "include", "cio.h")
    lines = open(path).read().split("\n")
    in_comment = False
    documented_run = False  # the current run of declarations has a comment
    missing = []
    count = 0
    paren = 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        if in_comment:
            if "*/" in line:
                in_comment = False
                documented_run = True
            continue
        if line.startswith("/*"):
            if "*/" not in line:
                in_comment = True
            else:
                documented_run = True
            continue
        if line.startswith("//"):
            documented_run = True
            continue
        if not line:
            documented_run = False
            continue
        if paren > 0:  # inside a multi-line declaration
            paren += line.count("(") - line.count(")")
            continue
        m = re.match(r"CIO_EXTERN\b.*?\b(cio_\w+)\s*\(", line) or re.match(r"typedef\b.*?\b(cio_\w+)\s*[;(]", line) \
            or re.match(r"typedef\s+(?:struct|enum)\s+\w*\s*{?", line) and None
        if m is None:
            m = re.match(r"#\s*define\s+(CIO_\w+)", line)
            if m and m.group(1) in ("CIO_H", "CIO_EXTERN"):
                m = None
        if m:
            count += 1
            trailing = "/*" in raw or "//" in raw
            if not (documented_run or trailing):
                missing.append("%s:%d: %s" % (os.path.relpath(path), i + 1, m.group(1)))
            paren = line.count("(") - line.count(")") if line.startswith("CIO_EXTERN") else 0
    if missing:
        print("undocumented public declarations (%d of %d):" % (len(missing), count))
        print("\n".join(missing))
        return 1
    print("header docs: %d public declarations, all documented" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
