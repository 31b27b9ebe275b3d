#!/usr/bin/python3
"""Run `simcon check SPEC` and compare with SPEC's .expected file.

Usage: run_check.py SIMCON SPEC [EXPECTED WATCH]
Run with the spec's base folder as working folder (tests/spec, or the
project root for experiments/paper.yaml) so the spec path, and with it every
message, is relative and stable. EXPECTED defaults to <spec>.expected;
WATCH (default ".") is the folder checked for created or changed files.

Checks, each a separate failure message:
  - the exit status equals the one declared on the spec's first line,
    "# expect exit N" (2 = spec/usage error, 1 = data error, 0 = ok);
  - for a bad spec: stderr, with each line's "simcon check: " prefix
    removed, equals <spec>.expected line by line. An expected line ending in
    "[...]" matches any line starting with the text before it (used only
    where the message lists machine-specific folders), and a line that is
    exactly "[...]" matches any number of lines (to check the first and
    last lines of a long listing);
  - for ok specs: stdout is "stats: ..." lines (the forecast of the run's
    tests, see core/stats/check_plan.h) and a final line starting with "ok: ";
    stderr holds only "simcon check: warning: ..." lines, and when the spec
    has a .expected file they equal its lines (without the prefix);
  - nothing was created or changed under tests/spec or the working folder
    (check never writes: no result folder, no partial file).
"""
import os
import subprocess
import sys


def snapshot(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


def main():
    simcon, spec = sys.argv[1], sys.argv[2]
    exp_path = (sys.argv[3] if len(sys.argv) > 3
                else os.path.splitext(spec)[0] + ".expected")
    watch = sys.argv[4] if len(sys.argv) > 4 else "."
    want = []
    if os.path.exists(exp_path):
        with open(exp_path) as f:
            want = f.read().splitlines()
    prefix = "# expect exit "
    # The exit status is declared on the spec's first line, or (for specs
    # we do not own the text of, e.g. experiments/paper.yaml) on the
    # expected file's first line.
    if want and want[0].startswith(prefix):
        first = want.pop(0)
    else:
        with open(spec) as f:
            first = f.readline().strip()
    if not first.startswith(prefix):
        print(f"{spec}: first line must be '{prefix}N'")
        return 1
    want_rc = int(first[len(prefix):])
    before = snapshot(watch)
    proc = subprocess.run([simcon, "check", spec], capture_output=True,
                          text=True)
    after = snapshot(watch)
    fails = []
    if proc.returncode != want_rc:
        fails.append(f"exit status {proc.returncode}, want {want_rc}")
    if before != after:
        changed = sorted(set(before) ^ set(after)) or sorted(
            p for p in before if before[p] != after.get(p))
        fails.append(f"files created or changed: {changed[:5]}")
    if want_rc == 0:
        lines = proc.stdout.splitlines()
        if (not lines or not lines[-1].startswith("ok: ")
                or any(not ln.startswith("stats: ") for ln in lines[:-1])):
            fails.append(f"stdout {proc.stdout!r}, want 'stats: ...' lines "
                         "and one final 'ok: ...' line")
        warns = []
        for line in proc.stderr.splitlines():
            tag = "simcon check: warning: "
            if not line.startswith(tag):
                fails.append(f"stderr line that is not a warning: {line!r}")
            warns.append(line[len("simcon check: "):])
        # An ok spec's .expected lists its warnings exactly (when present).
        if os.path.exists(exp_path) and warns != want:
            fails.append(f"warnings {warns!r}, want {want!r}")
    else:
        got = []
        for line in proc.stderr.splitlines():
            tag = "simcon check: "
            if not line.startswith(tag):
                fails.append(f"stderr line without '{tag}': {line!r}")
            got.append(line[len(tag):])
        if proc.stdout:
            fails.append(f"stdout not empty: {proc.stdout!r}")
        if "[...]" in want:
            k = want.index("[...]")
            head, tail = want[:k], want[k + 1:]
            if len(got) < len(head) + len(tail):
                fails.append(f"{len(got)} stderr lines, want at least "
                             f"{len(head) + len(tail)}")
            want = head + tail
            got = got[:len(head)] + (got[len(got) - len(tail):]
                                     if tail else [])
        elif len(got) != len(want):
            fails.append(f"{len(got)} stderr lines, want {len(want)}")
        for i, (g, w) in enumerate(zip(got, want)):
            ok = g.startswith(w[:-5]) if w.endswith("[...]") else g == w
            if not ok:
                fails.append(f"line {i + 1}:\n  got:  {g}\n  want: {w}")
    for msg in fails:
        print(f"FAIL {spec}: {msg}")
    if not fails:
        print(f"PASS {spec} (exit {proc.returncode})")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
