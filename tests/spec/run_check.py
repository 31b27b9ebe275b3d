#!/usr/bin/python3
"""Run `simcon check SPEC` and compare with SPEC's .expected file.

Usage: run_check.py SIMCON SPEC   (run with tests/spec as working folder, so
the spec path, and with it every message, is relative and stable)

Checks, each a separate failure message:
  - the exit status equals the one declared on the spec's first line,
    "# expect exit N" (2 = spec/usage error, 1 = data error, 0 = ok);
  - for a bad spec: stderr, with each line's "simcon check: " prefix
    removed, equals <spec>.expected line by line. An expected line ending in
    "[...]" matches any line starting with the text before it (used only
    where the message lists machine-specific folders);
  - for ok specs: stdout is one line starting with "ok: " and stderr is
    empty;
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
    with open(spec) as f:
        first = f.readline().strip()
    prefix = "# expect exit "
    if not first.startswith(prefix):
        print(f"{spec}: first line must be '{prefix}N'")
        return 1
    want_rc = int(first[len(prefix):])
    before = snapshot(".")
    proc = subprocess.run([simcon, "check", spec], capture_output=True,
                          text=True)
    after = snapshot(".")
    fails = []
    if proc.returncode != want_rc:
        fails.append(f"exit status {proc.returncode}, want {want_rc}")
    if before != after:
        changed = sorted(set(before) ^ set(after)) or sorted(
            p for p in before if before[p] != after.get(p))
        fails.append(f"files created or changed: {changed[:5]}")
    if want_rc == 0:
        lines = proc.stdout.splitlines()
        if len(lines) != 1 or not lines[0].startswith("ok: "):
            fails.append(f"stdout {proc.stdout!r}, want one 'ok: ...' line")
        if proc.stderr:
            fails.append(f"stderr not empty: {proc.stderr!r}")
    else:
        exp_path = os.path.splitext(spec)[0] + ".expected"
        with open(exp_path) as f:
            want = f.read().splitlines()
        got = []
        for line in proc.stderr.splitlines():
            tag = "simcon check: "
            if not line.startswith(tag):
                fails.append(f"stderr line without '{tag}': {line!r}")
            got.append(line[len(tag):])
        if proc.stdout:
            fails.append(f"stdout not empty: {proc.stdout!r}")
        if len(got) != len(want):
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
