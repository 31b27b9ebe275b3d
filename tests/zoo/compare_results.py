#!/usr/bin/env python3
"""Compare a `simcon run` result folder with a reference result folder, by
the rule that holds across machines (README, "Reproducibility across
machines"):

- the displayed tables (tables/*.md, tables/*.tex) are byte-identical;
- in every CSV, the p and q columns are byte-identical, every other cell
  that is not a number is identical, and every number is within RTOL
  (default 1e-9) relative: |a - b| <= RTOL * max(|a|, |b|), or within
  ATOL = 1e-14 absolute. The absolute floor is for numbers that are
  mathematically 0 (e.g. a CI bound interpolated halfway between -1 and 1)
  and come out as +-1e-16, the rounding of quantities of order 1; no
  relative rule can compare those.

Another CPU's BLAS kernel changes the last bits of the similarities (up to
1.6e-15 on the bundled example), and they reach the estimates and CI
bounds amplified at most to 8e-12 relative (measured with OPENBLAS_CORETYPE
Nehalem, Haswell, SkylakeX, Cooperlake), far below 1e-9; the tie-robust
statistics engine (core/num/tie.h) keeps every count (p, q) and every printed
digit the same.

Usage:
  compare_results.py REFERENCE GOT [--rtol=R] [--quiet]

REFERENCE is a folder; or git:REPO:REV:PATH, the files committed at
revision REV of the repository REPO under PATH (read with `git show`, so
the working tree does not matter); or committed:SRC:PATH, which is
git:SRC:HEAD:PATH when SRC is a git checkout that tracks PATH and the
folder SRC/PATH otherwise (a release tarball), saying which it used. The files compared are the reference's
*.csv, *.md and *.tex outside hidden folders (not .cache/); a file missing
from GOT, or a table GOT has that the reference lacks, is a difference.
Exit status: 0 same within the rule, 1 differences (each listed on one
line), 2 usage or unreadable input.
"""
import csv
import io
import os
import subprocess
import sys

SUFFIXES = (".csv", ".md", ".tex")
EXACT_COLUMNS = ("p", "q")
ATOL = 1e-14


def resolve_committed(spec):
    """committed:SRC:PATH -> git:SRC:HEAD:PATH inside a checkout, else the
    folder SRC/PATH."""
    parts = spec.split(":", 2)
    if len(parts) != 3:
        raise SystemExit("compare_results: expected committed:SRC:PATH, got "
                         "%r" % spec)
    _, src, path = parts
    try:
        out = subprocess.run(["git", "-C", src, "ls-tree", "--name-only",
                              "HEAD", "--", path.strip("/")],
                             capture_output=True, text=True)
        tracked = out.returncode == 0 and out.stdout.strip() != ""
    except OSError:  # no git installed
        tracked = False
    if tracked:
        return "git:%s:HEAD:%s" % (src, path.strip("/"))
    return os.path.join(src, path)


class Ref:
    """Files of a reference: a folder or a git revision."""

    def __init__(self, spec):
        self.git = None
        if spec.startswith("committed:"):
            spec = resolve_committed(spec)
        self.name = spec
        if spec.startswith("git:"):
            parts = spec.split(":", 3)
            if len(parts) != 4:
                raise SystemExit("compare_results: expected git:REPO:REV:PATH,"
                                 " got %r" % spec)
            _, repo, rev, path = parts
            self.git = (repo, rev, path.strip("/"))
        else:
            self.root = spec

    def files(self):
        if self.git:
            repo, rev, path = self.git
            out = subprocess.run(
                ["git", "-C", repo, "ls-tree", "-r", "--name-only", rev, "--",
                 path + "/"], check=True, capture_output=True, text=True)
            rels = [f[len(path) + 1:] for f in out.stdout.splitlines()]
        else:
            rels = []
            for d, dirs, names in os.walk(self.root):
                dirs[:] = [x for x in dirs if not x.startswith(".")]
                for n in names:
                    rels.append(os.path.relpath(os.path.join(d, n), self.root))
        return sorted(r for r in rels if r.endswith(SUFFIXES) and
                      not any(p.startswith(".") for p in r.split("/")))

    def read(self, rel):
        if self.git:
            repo, rev, path = self.git
            out = subprocess.run(["git", "-C", repo, "show",
                                  "%s:%s/%s" % (rev, path, rel)],
                                 check=True, capture_output=True)
            return out.stdout
        with open(os.path.join(self.root, rel), "rb") as f:
            return f.read()


def got_files(root):
    rels = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for n in names:
            if n.endswith(SUFFIXES):
                rels.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(rels)


def number(text):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


def compare_csv(rel, a, b, rtol):
    """Differences of two CSV texts, as strings; worst relative difference."""
    ra = list(csv.reader(io.StringIO(a.decode())))
    rb = list(csv.reader(io.StringIO(b.decode())))
    if len(ra) != len(rb) or not ra:
        return ["%s: %d rows, reference has %d" % (rel, len(rb), len(ra))], 0.0
    if ra[0] != rb[0]:
        return ["%s: header differs" % rel], 0.0
    header = ra[0]
    diffs, worst = [], 0.0
    for i, (x, y) in enumerate(zip(ra[1:], rb[1:]), start=2):
        if len(x) != len(y):
            diffs.append("%s:%d: %d fields, reference has %d"
                         % (rel, i, len(y), len(x)))
            continue
        for c, (u, v) in enumerate(zip(x, y)):
            if u == v:
                continue
            col = header[c] if c < len(header) else "#%d" % c
            where = "%s:%d column %s" % (rel, i, col or "#%d" % c)
            nu, nv = number(u), number(v)
            if col in EXACT_COLUMNS or nu is None or nv is None:
                diffs.append("%s: %r, reference %r (must be identical)"
                             % (where, v, u))
                continue
            rel_diff = abs(nu - nv) / max(abs(nu), abs(nv))
            if abs(nu - nv) <= ATOL:
                continue
            worst = max(worst, rel_diff)
            if rel_diff > rtol:
                diffs.append("%s: %s, reference %s (relative difference "
                             "%.3g > %g, absolute > %g)"
                             % (where, v, u, rel_diff, rtol, ATOL))
    return diffs, worst


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    rtol, quiet = 1e-9, "--quiet" in argv
    for a in argv[1:]:
        if a.startswith("--rtol="):
            rtol = float(a.split("=", 1)[1])
    if len(args) != 2:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    ref, got = Ref(args[0]), args[1]
    try:
        rels = ref.files()
    except (OSError, subprocess.CalledProcessError) as e:
        print("compare_results: cannot list %s: %s" % (args[0], e),
              file=sys.stderr)
        return 2
    if not rels:
        print("compare_results: no tables in %s" % ref.name, file=sys.stderr)
        return 2
    diffs, worst, n_exact = [], 0.0, 0
    for rel in rels:
        path = os.path.join(got, rel)
        if not os.path.exists(path):
            diffs.append("%s: missing" % rel)
            continue
        with open(path, "rb") as f:
            b = f.read()
        a = ref.read(rel)
        if a == b:
            n_exact += 1
            continue
        if rel.endswith(".csv"):
            d, w = compare_csv(rel, a, b, rtol)
            diffs += d
            worst = max(worst, w)
        else:
            diffs.append("%s: differs (displayed tables must be identical)"
                         % rel)
    for rel in sorted(set(got_files(got)) - set(rels)):
        diffs.append("%s: not in the reference" % rel)
    for d in diffs:
        print(d)
    if diffs:
        print("%d difference(s) from %s" % (len(diffs), ref.name))
        return 1
    if not quiet:
        print("ok: %d files match %s (%d byte for byte; tables, p and q "
              "identical; largest relative difference of other numbers "
              "beyond %g absolute: %.3g <= %g)"
              % (len(rels), ref.name, n_exact, ATOL, worst, rtol))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
