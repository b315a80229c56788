#!/usr/bin/env python3
"""Which rows of docs/asyncio-map.md the conformance pairs exercise.

A mapped row (its cio column names cio_* / CIO_* symbols) counts as covered
when a C twin under tests/conformance/ uses at least one of its symbols;
rows tagged n/a or not yet are not owed a pair.  Prints the rows not covered
and a count; exit 0 always (a report, not a gate).

Usage: coverage.py [--root REPO] [-v]
"""
import argparse
import glob
import os
import re

IDENT = re.compile(r"\b(?:cio|CIO)_\w+")


def rows(map_text):
    section = None
    for line in map_text.splitlines():
        m = re.match(r"## (\d+)\. (.*)", line)
        if m:
            section = m.group(2)
            continue
        if section and line.startswith("|") and not line.startswith("|---") and not line.startswith("| asyncio |"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2:
                yield section, cells[0], cells[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    text = open(os.path.join(args.root, "docs", "asyncio-map.md"), encoding="utf-8").read()
    used = set()
    here = os.path.dirname(os.path.abspath(__file__))
    for path in glob.glob(os.path.join(here, "*", "*.c")):
        used.update(IDENT.findall(open(path, encoding="utf-8").read()))
    total = covered = 0
    for section, api, cio in rows(text):
        if cio.startswith(("n/a:", "not yet:")):
            continue
        syms = set(IDENT.findall(cio))
        if not syms:
            continue
        total += 1
        hit = syms & used
        if hit:
            covered += 1
            if args.v:
                print("covered   %-28s %s" % (section[:28], api))
        else:
            print("uncovered %-28s %s  (%s)" % (section[:28], api, ", ".join(sorted(syms))))
    print("%d of %d mapped rows exercised by a conformance pair" % (covered, total))


if __name__ == "__main__":
    main()
