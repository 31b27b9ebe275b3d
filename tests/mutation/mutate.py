#!/usr/bin/env python3
"""Apply or check one mutant of the catalog (tests/mutation/catalog.tsv).

A mutant is (file, function, search, replace): inside the body of the C
function FUNCTION defined in FILE, the text SEARCH must occur exactly once;
it is replaced by REPLACE. Scoping by function keeps a mutant valid while the
code around it changes; if the function is gone or SEARCH no longer matches
exactly once, the mutant is "stale" (exit 3), never "killed".

Function bodies are found the way clang-format lays them out in this
repository: a definition line starting at column 0 that contains
"FUNCTION(" (possibly with the parameter list continued on the next lines),
then the body from the next line that is exactly "{" to the next line that
is exactly "}".

Escapes in SEARCH / REPLACE: \\t (tab), \\n (newline), \\\\ (backslash).

Usage:
  mutate.py catalog.tsv list                  ids, one per line
  mutate.py catalog.tsv show ID               the mutant's fields
  mutate.py catalog.tsv check ID ROOT         exit 0 applies, 3 stale
  mutate.py catalog.tsv apply ID ROOT         mutate ROOT/FILE in place
Exit status: 0 ok, 2 catalog error, 3 stale.
"""
import re
import sys

FIELDS = ["id", "area", "file", "function", "search", "replace", "expect",
          "description"]


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(2)


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"t": "\t", "n": "\n", "\\": "\\"}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load(path):
    rows, seen = {}, False
    order = []
    with open(path, encoding="utf-8") as fp:
        for lineno, line in enumerate(fp, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            f = line.split("\t")
            if not seen:
                if f != FIELDS:
                    die(f"{path}:{lineno}: header must be "
                             f"{' '.join(FIELDS)} (tab-separated)")
                seen = True
                continue
            if len(f) != len(FIELDS):
                die(f"{path}:{lineno}: {len(f)} tab-separated fields, "
                         f"expected {len(FIELDS)}")
            row = dict(zip(FIELDS, f))
            if row["id"] in rows:
                die(f"{path}:{lineno}: duplicate id {row['id']}")
            if not (row["expect"] == "kill" or
                    row["expect"].startswith("equivalent:")):
                die(f"{path}:{lineno}: expect must be 'kill' or "
                         f"'equivalent: <reason>'")
            row["search"] = unescape(row["search"])
            row["replace"] = unescape(row["replace"])
            if row["search"] == row["replace"] or not row["search"]:
                die(f"{path}:{lineno}: search must be non-empty and "
                         f"differ from replace")
            rows[row["id"]] = row
            order.append(row["id"])
    if not seen:
        die(f"{path}: no header line")
    return rows, order


def function_span(text, func):
    """(start, end) offsets of FUNC's body, or a reason string."""
    lines = text.split("\n")
    offs, pos = [], 0
    for ln in lines:
        offs.append(pos)
        pos += len(ln) + 1
    pat = re.compile(r"^[A-Za-z_].*\b" + re.escape(func) + r"\(")
    starts = [i for i, ln in enumerate(lines)
              if pat.match(ln) and not ln.rstrip().endswith(";")]
    spans = []
    for s in starts:
        i = s
        while i < len(lines) and lines[i] != "{":
            if lines[i].rstrip().endswith(";") or (i > s and lines[i] == ""):
                i = None  # a prototype, not a definition
                break
            i += 1
        if i is None or i >= len(lines):
            continue
        j = i + 1
        while j < len(lines) and lines[j] != "}":
            j += 1
        if j >= len(lines):
            continue
        spans.append((offs[i], offs[j] + 1))
    if not spans:
        return f"no definition of {func}()"
    if len(spans) > 1:
        return f"{len(spans)} definitions of {func}()"
    return spans[0]


def locate(row, root):
    path = f"{root}/{row['file']}"
    try:
        with open(path, encoding="utf-8") as fp:
            text = fp.read()
    except OSError as e:
        return None, f"{row['file']}: {e.strerror}"
    span = function_span(text, row["function"])
    if isinstance(span, str):
        return None, f"{row['file']}: {span}"
    body = text[span[0]:span[1]]
    n = body.count(row["search"])
    if n != 1:
        return None, (f"{row['file']}:{row['function']}(): search text "
                      f"found {n} times, expected once")
    at = span[0] + body.index(row["search"])
    return (path, text, at), None


def main():
    if len(sys.argv) < 3:
        die(__doc__)
    rows, order = load(sys.argv[1])
    cmd = sys.argv[2]
    if cmd == "list":
        print("\n".join(order))
        return 0
    if len(sys.argv) < 4 or sys.argv[3] not in rows:
        die(f"mutate.py: unknown mutant id {sys.argv[3:4]}")
    row = rows[sys.argv[3]]
    if cmd == "show":
        for k in FIELDS:
            print(f"{k}: {row[k]!r}" if k in ("search", "replace")
                  else f"{k}: {row[k]}")
        return 0
    if cmd not in ("check", "apply") or len(sys.argv) != 5:
        die(__doc__)
    found, why = locate(row, sys.argv[4])
    if found is None:
        print(f"stale: {why}", file=sys.stderr)
        return 3
    if cmd == "apply":
        path, text, at = found
        new = text[:at] + row["replace"] + text[at + len(row["search"]):]
        with open(path, "w", encoding="utf-8") as fp:
            fp.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
