#!/usr/bin/env python3
"""Every public declaration of include/cio.h is documented, the way Doxygen
reads the header (docs/Doxyfile.in), so that the reference shows each one:

  - each CIO_EXTERN function, typedef, struct, enum and #define CIO_* (or
    cio_*) has a Doxygen comment (/** ... */) right before it (preprocessor
    conditionals aside; no blank line, no other comment between), or one
    after it on the same line (/**< ... */), or belongs to a member group
    (/** @{ */ ... /** @} */, or @name ... @{) one of whose declarations has
    one: the group's comment heads the run and Doxygen shows it for each;
  - each member of a struct the same way (one declarator per declaration,
    or a member group);
  - internal names (CIO__*, which Doxygen excludes) need a comment of any
    kind heading the run of declarations they belong to;
  - a comment that only opens or closes a group (@{, @}, @defgroup, @name,
    @file) documents nothing, and the group markers balance.

Exits 1 with the undocumented names.

usage: tests/check_header_docs.py [HEADER]"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COND = re.compile(r"#\s*(if|ifdef|ifndef|elif|else|endif|undef)\b")
GROUPDEF = re.compile(r"[@\\](defgroup|addtogroup|weakgroup)\b")
MARKUP = re.compile(r"[@\\][{}]|[@\\](?:defgroup|addtogroup|weakgroup|ingroup|name|file)\b[^\n]*")


def comment_text(raw):
    """The text of a comment without its markers and leading stars."""
    t = re.sub(r"^\s*(/\*+!?<?|//[/!]?<?)", "", raw)
    t = re.sub(r"\*/\s*$", "", t)
    return "\n".join(re.sub(r"^\s*\*?", "", l) for l in t.split("\n")).strip()


class Group:
    def __init__(self, member, line):
        self.member = member  # a member group (else a Doxygen module)
        self.line = line
        self.documented = False
        self.pending = []  # undocumented declarations, waiting for the group's comment


def check(path):
    lines = open(path).read().split("\n")
    missing, problems = [], []
    groups = []
    count = members = 0
    doc_next = False  # a Doxygen comment documents the next declaration
    any_next = False  # any comment heads the current run (the internal names' rule)
    stmt = None  # the open declaration: dict(name, line, documented, kind)
    depth = 0  # brace depth (struct or enum bodies)
    body = None  # 'struct' or 'enum' while inside a body at depth 1
    struct_name = None
    in_comment = None  # the lines of a comment being read
    member = None  # the open struct member declaration
    in_trailing = False
    head_line, head_documented, struct_base = 0, False, 0
    paren = 0

    def rel(i):
        return "%s:%d" % (os.path.relpath(path), i + 1)

    def settle(name, line, documented, internal=False, base=0):
        """A declaration ends: documented, or waiting for its member group
        (one opened after groups[base], the scope's own)."""
        if internal:
            if not (documented or any_next):
                missing.append("%s: %s" % (rel(line), name))
            return
        mg = groups[-1] if len(groups) > base and groups[-1].member else None
        if documented:
            if mg:
                mg.documented = True
        elif mg:
            mg.pending.append((name, line))
        else:
            missing.append("%s: %s" % (rel(line), name))

    def comment_done(raw, i):
        nonlocal doc_next, any_next
        text = comment_text(raw)
        doxy = re.match(r"\s*(/\*\*(?![*/<])|/\*!(?!<)|///(?!<)|//!(?!<))", raw) is not None
        opens, closes = re.search(r"[@\\]\{", raw), re.search(r"[@\\]\}", raw)
        if closes:
            if not groups:
                problems.append("%s: @} without @{" % rel(i))
            else:
                g = groups.pop()
                if g.member and not g.documented:
                    missing.extend("%s: %s" % (rel(l), n) for n, l in g.pending)
        if opens:
            member = GROUPDEF.search(raw) is None
            if member and groups and groups[-1].member:
                problems.append("%s: member groups do not nest" % rel(i))
            groups.append(Group(member, i))
        prose = MARKUP.sub("", text).strip()
        doc_next = doxy and bool(prose) and not GROUPDEF.search(raw) and not re.search(r"[@\\](name|file)\b", raw)
        any_next = True

    for i, raw in enumerate(lines):
        line = raw.strip()
        if in_trailing:  # the rest of a comment that follows code
            in_trailing = "*/" not in raw
            continue
        if in_comment is not None:
            in_comment.append(raw)
            if "*/" in raw:
                comment_done("\n".join(in_comment), i)
                in_comment = None
            continue
        if line.startswith("/*"):
            if "*/" in line:
                comment_done(raw, i)
            else:
                in_comment = [raw]
            continue
        if line.startswith("//"):
            comment_done(raw, i)
            continue
        if not line:
            doc_next = any_next = False
            continue
        if COND.match(line):
            continue
        code = re.sub(r"/\*.*?\*/|//.*", "", raw)
        if "/*" in code:  # a comment after the code, continued on the next lines
            code = code[: code.index("/*")]
            in_trailing = True
        trailing = re.search(r"/\*\*<|/\*!<|//[/!]<", raw) is not None

        # the continuation of an open declaration
        if stmt is not None:
            stmt["documented"] |= trailing
            if stmt["kind"] == "define":
                if not code.rstrip().endswith("\\"):
                    settle(stmt["name"], stmt["line"], stmt["documented"], stmt["internal"])
                    stmt = None
                continue
            paren += code.count("(") - code.count(")")
            if paren <= 0 and code.rstrip().endswith(";"):
                settle(stmt["name"], stmt["line"], stmt["documented"])
                stmt = None
            continue

        # a macro (also inside an enum: the X macro's helper)
        m = re.match(r"#\s*define\s+(\w+)", line)
        if m:
            name = m.group(1)
            if name.startswith("CIO_") and name not in ("CIO_H", "CIO_HTTP_H", "CIO_EXTERN") or name.startswith("cio_"):
                count += 1
                internal = name.startswith("CIO__")
                documented = doc_next or trailing
                if code.rstrip().endswith("\\"):
                    stmt = {"name": name, "line": i, "documented": documented, "kind": "define", "internal": internal}
                else:
                    settle(name, i, documented, internal)
            doc_next = False
            continue

        # inside a struct or enum body
        if depth > 0:
            opening = code.count("{")
            closing = code.count("}")
            if depth == 1 and closing and code.lstrip().startswith("}"):
                m = re.match(r"\s*}\s*(\w*)\s*;", code)
                name = (m.group(1) if m and m.group(1) else struct_name) or "(anonymous %s)" % body
                settle(name, head_line, head_documented or trailing)
                depth, body = 0, None
                doc_next = any_next = False
                continue
            if body == "struct" and depth == 1:
                if member is None:
                    member = {"text": "", "line": i, "documented": doc_next, "paren": 0}
                member["text"] += " " + code
                member["documented"] |= trailing
                member["paren"] += code.count("(") - code.count(")")
                if member["paren"] <= 0 and code.rstrip().endswith(";"):
                    members += 1
                    text = member["text"]
                    m = re.search(r"\(\s*\*\s*(\w+)\s*\)\s*\(", text) or re.search(r"(\w+)\s*(?:\[[^]]*\])?\s*;", text)
                    name = "%s.%s" % (struct_name or "?", m.group(1) if m else text.strip())
                    commas = re.sub(r"\([^()]*\)", "", re.sub(r"\([^()]*\)", "", text)).count(",")
                    if commas and not (len(groups) > struct_base and groups[-1].member):
                        problems.append("%s: %s: one declarator per member, or a member group" % (rel(member["line"]), name))
                    settle(name, member["line"], member["documented"] and not commas, base=struct_base)
                    member = None
                doc_next = False
                continue
            depth += opening - closing
            doc_next = False
            continue

        # a declaration at file scope
        if line.startswith("#"):
            continue
        m = re.match(r"typedef\s+(struct|enum|union)\s*(\w*)\s*\{", code) or re.match(r"(enum)\s*()\{", code)
        if m:
            count += 1
            body = "enum" if m.group(1) == "enum" else "struct"
            struct_name = m.group(2) or None
            head_line, head_documented = i, doc_next or trailing
            struct_base = len(groups)
            depth = code.count("{") - code.count("}")
            if depth == 0:  # a one-line enum
                settle(struct_name or "(anonymous enum)", i, head_documented)
                body = None
            doc_next = False
            continue
        m = re.match(r"CIO_EXTERN\b.*?\b(cio_\w+)\s*\(", line) or re.match(r"typedef\b.*?\b(cio_\w+)\s*[;(\[]", line)
        if m:
            count += 1
            documented = doc_next or trailing
            paren = code.count("(") - code.count(")")
            if paren <= 0 and code.rstrip().endswith(";"):
                settle(m.group(1), i, documented)
            else:
                stmt = {"name": m.group(1), "line": i, "documented": documented, "kind": "decl", "internal": False}
            doc_next = False
            continue
        doc_next = False  # anything else (extern "C", a forward declaration) ends the comment's reach

    for g in groups:
        problems.append("%s: @{ never closed" % rel(g.line))
    return count, members, missing, problems


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "include", "cio.h")
    count, members, missing, problems = check(path)
    if missing or problems:
        if missing:
            print("undocumented public declarations (%d of %d, struct members included):" % (len(missing), count + members))
            print("\n".join(missing))
        if problems:
            print("\n".join(problems))
        return 1
    print("header docs: %d public declarations and %d struct members, all documented" % (count, members))
    return 0


if __name__ == "__main__":
    sys.exit(main())
