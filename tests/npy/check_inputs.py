"""The inputs users have, through the simcon CLI (issue 15):

1. .npz archives: np.savez (stored) and np.savez_compressed (deflate), one
   array per archive or FILE.npz:KEY, any dtype/order numpy writes. The
   expected values are numpy's own arrays: simcon must give exactly the
   number it gives for the same array saved as .npy (the .npy reader is
   checked against numpy in tests/unit/test_npy.c), and a spec whose
   features are .npz members must reproduce the .npy run's tables byte
   for byte. Broken archives fail with one line naming the file.
2. Files that are not .npy: the message names the format found (CSV text,
   zip/npz, torch.save zip, pickle, HDF5, gzip) and what to do, for files
   written by the real tools (np.savetxt, pickle, zipfile as torch.save
   lays it out, the HDF5 signature from the HDF5 specification).
3. Per-model stimulus ids (ids: "{dataset}/{model}.txt"): equal files
   pass; a swapped pair of rows fails, naming the first differing row and
   both ids, in `simcon check` and `simcon run` (which writes nothing).
4. N-D activations: refused unless --flatten / data.flatten: true, then
   equal to numpy's a.reshape(n, -1) (row-major) for C- and
   Fortran-ordered files and .npz members; a spec of 3-D features run with
   data.flatten or --flatten reproduces the 2-D run.

usage: check_inputs.py SIMCON SOURCE_DIR"""
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

simcon, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="simcon-inputs-")
failures = 0


def run(*args):
    return subprocess.run([simcon, *map(str, args)], capture_output=True,
                          text=True)


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1


def out_of(p):
    return p.stdout.strip() if p.returncode == 0 else "ERR " + p.stderr.strip()


# ## 1. .npz
rng = np.random.default_rng(15)
X = rng.standard_normal((40, 9))
Y = rng.standard_normal((40, 6)).astype(np.float32)
j = lambda *p: os.path.join(tmp, *p)
np.save(j("X.npy"), X)
np.save(j("Y.npy"), Y)
np.savez(j("one.npz"), X)
np.savez(j("two.npz"), feats=X, other=Y)
np.savez_compressed(j("comp.npz"), feats=Y)
np.savez_compressed(j("fort.npz"), np.asfortranarray(X).astype(">f8"))
np.savez(j("half.npz"), Y.astype(np.float16))
np.save(j("half.npy"), Y.astype(np.float16))
want = out_of(run("compare", "-m", "rsa", j("X.npy"), j("Y.npy")))
check(want[0] != "E", f"reference compare on .npy files: {want}")
for a, b in [("one.npz", "Y.npy"), ("two.npz:feats", "comp.npz"),
             ("fort.npz", "comp.npz:feats"), ("two.npz:feats", "two.npz:other")]:
    got = out_of(run("compare", "-m", "rsa", j(a), j(b)))
    check(got == want, f"compare {a} {b} = {got} (as .npy: {want})")
got = out_of(run("compare", j("half.npz"), j("X.npy")))
check(got == out_of(run("compare", j("half.npy"), j("X.npy"))),
      f"float16 member equals float16 .npy: {got}")

p = run("compare", j("two.npz"), j("Y.npy"))
check(p.returncode != 0 and "holds 2 arrays (feats, other)" in p.stderr
      and "two.npz:KEY" in p.stderr, "several arrays, no key: " + p.stderr.strip())
p = run("compare", j("two.npz:nope"), j("Y.npy"))
check(p.returncode != 0 and "no array 'nope'" in p.stderr, p.stderr.strip())
blob = open(j("two.npz"), "rb").read()
open(j("cut.npz"), "wb").write(blob[: len(blob) // 2])
p = run("compare", j("cut.npz:feats"), j("Y.npy"))
check(p.returncode != 0 and "cut.npz" in p.stderr, "truncated: " + p.stderr.strip())
# flip one data byte of the stored member: the CRC must catch it
k = blob.index(b"\x93NUMPY") + 200
bad = blob[:k] + bytes([blob[k] ^ 0xFF]) + blob[k + 1:]
open(j("crc.npz"), "wb").write(bad)
p = run("compare", j("crc.npz:feats"), j("Y.npy"))
check(p.returncode != 0 and "CRC-32 mismatch" in p.stderr, p.stderr.strip())
shutil.copy(j("X.npy"), j("renamed.npz"))
p = run("compare", j("renamed.npz"), j("Y.npy"))
check(p.returncode != 0 and "not a zip archive" in p.stderr, p.stderr.strip())

# a spec whose features are .npz members reproduces the .npy run
zoo = os.path.join(src, "tests", "spec", "data", "zoo")
spec_text = open(os.path.join(src, "experiments", "example.yaml")).read()
spec_text = spec_text.replace("../tests/spec/data/behaviour.csv",
                              os.path.join(src, "tests/spec/data/behaviour.csv"))
npy_spec = spec_text.replace("root: ../tests/spec/data/zoo", f"root: {zoo}")
open(j("npy.yaml"), "w").write(npy_spec)
npzroot = j("npzroot")
for ds in sorted(os.listdir(zoo)):
    os.makedirs(os.path.join(npzroot, ds))
    shutil.copy(os.path.join(zoo, ds, "ids.txt"), os.path.join(npzroot, ds))
    for f in sorted(os.listdir(os.path.join(zoo, ds))):
        if f.endswith(".npy"):
            a = np.load(os.path.join(zoo, ds, f))
            save = np.savez_compressed if f < "m3" else np.savez
            save(os.path.join(npzroot, ds, f[:-4] + ".npz"), feats=a, labels=np.arange(3))
npz_spec = spec_text.replace("root: ../tests/spec/data/zoo", f"root: {npzroot}")
npz_spec = npz_spec.replace('features: "{dataset}/{model}.npy"',
                            'features: "{dataset}/{model}.npz:feats"')
open(j("npz.yaml"), "w").write(npz_spec)
p = run("check", j("npz.yaml"))
check(p.returncode == 0, "check of the .npz spec: " + out_of(p))
p1 = run("run", j("npy.yaml"), "-o", j("out_npy"), "--quiet")
p2 = run("run", j("npz.yaml"), "-o", j("out_npz"), "--quiet")
check(p1.returncode == 0 and p2.returncode == 0, "both runs: " + p1.stderr + p2.stderr)
n = 0
for dirpath, _, files in os.walk(j("out_npy")):
    if ".cache" in dirpath:  # keyed by the input files' checksums
        continue
    for f in files:
        if f.endswith((".csv", ".md", ".tex")):
            rel = os.path.relpath(os.path.join(dirpath, f), j("out_npy"))
            same = open(os.path.join(j("out_npy"), rel), "rb").read() == \
                open(os.path.join(j("out_npz"), rel), "rb").read()
            n += 1
            if not same:
                check(False, f".npz run differs from .npy run: {rel}")
check(n > 5, f".npz run reproduces the .npy run's {n} tables byte for byte")
p = run("check", j("npz.yaml"), "--list-inputs")
check(p.returncode == 0 and all(":" not in l for l in p.stdout.split()),
      "--list-inputs names the archives (make dependencies), not members")

# ## 2. files that are not .npy
np.savetxt(j("feat.csv"), X, delimiter=",")
with open(j("feat.pkl"), "wb") as f:
    pickle.dump(X, f, protocol=2)
with zipfile.ZipFile(j("feat.pt"), "w") as z:  # torch.save's layout
    z.writestr("archive/data.pkl", pickle.dumps({"x": 1}))
    z.writestr("archive/version", "3\n")
with open(j("feat.h5"), "wb") as f:  # HDF5 superblock signature
    f.write(b"\x89HDF\r\n\x1a\n" + bytes(120))
import gzip
with gzip.open(j("feat.npy.gz"), "wb") as f:
    f.write(open(j("X.npy"), "rb").read())
shutil.copy(j("two.npz"), j("archive.npy"))
for name, words in [("feat.csv", ["CSV text", "np.loadtxt"]),
                    ("feat.pkl", ["pickle", "torch.load"]),
                    ("feat.pt", ["PyTorch", "torch.load"]),
                    ("feat.h5", ["HDF5", "h5py"]),
                    ("feat.npy.gz", ["gzip"]),
                    ("archive.npy", ["zip archive", ".npz"])]:
    p = run("compare", j(name), j("X.npy"))
    msg = p.stderr.strip()
    check(p.returncode != 0 and msg.count("\n") == 0 and j(name) in msg
          and all(w in msg for w in words), f"{name}: {msg}")

# ## 3. per-model ids
idroot = j("idroot")
shutil.copytree(zoo, idroot)
models = ["m1", "m2", "m3", "m4"]
for ds in os.listdir(idroot):
    ids = open(os.path.join(idroot, ds, "ids.txt")).read().splitlines()
    os.remove(os.path.join(idroot, ds, "ids.txt"))
    for m in models:  # CRLF for one model: the same ids, written otherwise
        end = "\r\n" if m == "m2" else "\n"
        open(os.path.join(idroot, ds, m + ".txt"), "w", newline="").write(
            "".join(i + end for i in ids))
ids_spec = spec_text.replace("root: ../tests/spec/data/zoo", f"root: {idroot}")
ids_spec = ids_spec.replace('ids: "{dataset}/ids.txt"', 'ids: "{dataset}/{model}.txt"')
open(j("ids.yaml"), "w").write(ids_spec)
p = run("check", j("ids.yaml"))
check(p.returncode == 0, "per-model ids, all equal: " + out_of(p))
p = run("run", j("ids.yaml"), "-o", j("out_ids"), "--quiet")
same = p.returncode == 0 and open(j("out_ids", "consistency.csv"), "rb").read() == \
    open(j("out_npy", "consistency.csv"), "rb").read()
check(same, "per-model ids run = per-dataset ids run: " + p.stderr.strip())
m3 = os.path.join(idroot, "d1", "m3.txt")
ids = open(m3).read().splitlines()
ids[4], ids[5] = ids[5], ids[4]
open(m3, "w").write("\n".join(ids) + "\n")
first = os.path.join(idroot, "d1", "m1.txt")
want = (f"{m3}: row 4 is '{ids[4]}' but row 4 of {first} is '{ids[5]}'")
p = run("check", j("ids.yaml"))
check(p.returncode == 1 and want in p.stderr and "model 'm3'" in p.stderr,
      "check names the first differing row and both ids: " + p.stderr.strip())
p = run("run", j("ids.yaml"), "-o", j("out_bad"), "--quiet")
check(p.returncode == 1 and want in p.stderr and not os.path.exists(j("out_bad")),
      "run refuses it and writes nothing: " + p.stderr.strip())

# ## 4. N-D activations: flattened only on request, row-major
A = rng.standard_normal((40, 3, 4, 5))
np.save(j("A4.npy"), A)
np.save(j("A4f.npy"), np.asfortranarray(A))
np.savez_compressed(j("A4f.npz"), acts=np.asfortranarray(A))
np.save(j("A2.npy"), A.reshape(40, -1))  # numpy's row-major flattening
want = out_of(run("compare", "-m", "rsa", j("A2.npy"), j("Y.npy")))
for f in ("A4.npy", "A4f.npy", "A4f.npz:acts"):
    got = out_of(run("compare", "-m", "rsa", "--flatten", j(f), j("Y.npy")))
    check(got == want, f"--flatten {f} = {got} (reshape(n, -1): {want})")
p = run("compare", j("A4.npy"), j("Y.npy"))
check(p.returncode != 0 and "has 4 dimensions" in p.stderr and "--flatten" in p.stderr
      and "data.flatten: true" in p.stderr, "N-D refused without --flatten: " + p.stderr.strip())
S1, S2 = j("S1.csv"), j("S2.csv")
p1 = run("matrix", "-o", S1, j("A2.npy"), j("X.npy"), j("Y.npy"))
p2 = run("matrix", "--flatten", "-o", S2, j("A4f.npy"), j("X.npy"), j("Y.npy"))
check(p1.returncode == 0 and p2.returncode == 0 and
      open(S1).read().replace("A2", "A") == open(S2).read().replace("A4f", "A"),
      "matrix --flatten equals the matrix of the reshaped array")
ndroot = j("ndroot")
shutil.copytree(zoo, ndroot)
for ds in os.listdir(ndroot):
    for f in os.listdir(os.path.join(ndroot, ds)):
        if f.endswith(".npy"):
            a = np.load(os.path.join(ndroot, ds, f))
            n, d = a.shape
            if d % 2 == 0:  # n x 2 x d/2, in either memory order
                b = a.reshape(n, 2, d // 2)
                np.save(os.path.join(ndroot, ds, f),
                        np.asfortranarray(b) if f == "m2.npy" else b)
nd_spec = spec_text.replace("root: ../tests/spec/data/zoo", f"root: {ndroot}")
open(j("nd.yaml"), "w").write(nd_spec)
assert "  flatten: false" in nd_spec
open(j("ndflat.yaml"), "w").write(nd_spec.replace("  flatten: false",
                                                  "  flatten: true"))
p = run("check", j("nd.yaml"))
check(p.returncode == 1 and "--flatten" in p.stderr, "check refuses N-D features")
check(run("check", j("nd.yaml"), "--flatten").returncode == 0, "check --flatten")
check(run("check", j("ndflat.yaml")).returncode == 0, "check with data.flatten")
for name, args in (("out_nd1", [j("ndflat.yaml")]), ("out_nd2", [j("nd.yaml"), "--flatten"])):
    p = run("run", *args, "-o", j(name), "--quiet")
    same = p.returncode == 0 and open(j(name, "consistency.csv"), "rb").read() == \
        open(j("out_npy", "consistency.csv"), "rb").read()
    check(same, f"flattened run {args[1:]} = the 2-D run: " + p.stderr.strip())

shutil.rmtree(tmp)
print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
