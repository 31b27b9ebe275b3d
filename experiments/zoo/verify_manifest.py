#!/usr/bin/python3
"""Verify the zoo's data files against manifest.json (standard library only).

Recomputes the SHA-256 of every file listed under "files" in
ZOO_DIR/manifest.json. Prints one line per missing or mismatched file and
exits 1 if there is any; exits 0 when every file matches. Feature files
(features/*/*.npy) present on disk but absent from the manifest are reported
as errors too, since the runner would pick them up.

Usage: verify_manifest.py ZOO_DIR
"""
import glob
import hashlib
import json
import os
import sys


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    if len(sys.argv) != 2:
        print("usage: verify_manifest.py ZOO_DIR", file=sys.stderr)
        return 2
    zoo = sys.argv[1]
    mpath = os.path.join(zoo, "manifest.json")
    try:
        with open(mpath) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL cannot read {mpath}: {e}")
        return 1
    files = manifest.get("files") or {}
    if not files:
        print(f"FAIL {mpath} lists no files")
        return 1
    errors = []
    for rel, want in sorted(files.items()):
        path = os.path.join(zoo, rel)
        if not os.path.isfile(path):
            errors.append(f"MISSING {rel}")
            continue
        got = sha256(path)
        if got != want:
            errors.append(f"MISMATCH {rel}: manifest {want[:16]}..., file {got[:16]}...")
    for path in sorted(glob.glob(os.path.join(zoo, "features", "*", "*.npy"))):
        rel = os.path.relpath(path, zoo).replace(os.sep, "/")
        if rel not in files:
            errors.append(f"UNLISTED {rel}")
    for e in errors:
        print(e)
    print(f"verify_manifest: {len(files)} files listed, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
