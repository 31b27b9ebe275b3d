#!/usr/bin/env bash
# float32_run.sh SIMCON WORK_DIR PYTHON
# `simcon run` with precision: float32 on the paper's three metrics (issue
# 13): their stacked embeddings E are stored in float32 (core/run/
# run_simmat.c, "E's precision"). The study of spill_passes.sh (study.sh:
# 4 models x 2 datasets x n = 300): every E is 4 x 44,850 entries, 717,600
# bytes in float32 (1,435,200 in float64).
#   bits      float32 matrices byte-identical at --threads 1 and 2 with
#             --memory 4M (every E in memory) and at --threads 2 with
#             --memory 1M (cka_linear's E in memory, the other two spilled).
#   accuracy  within 1e-6 relative (to max(|S_ij|, 1): the error bound is
#             on G_ij relative to sqrt(G_ii G_jj), as test_simmat.c
#             measures it) of the float64 run (the bound the
#             engine's float32 parts are tested to, core/host/simmat.h,
#             SC_SIMMAT_F32_BLOCK: ~4e-6 worst case per part, averaged by
#             the float64 sum of parts; the float32 Gram of cka/rsa is
#             held to the same 1e-6 by tests/golden/ref/cka_ref.py) and of
#             the independent numpy/scipy references tests/golden/ref/
#             cka_ref.py and rsa_ref.py (float64, not our C).
#   manifest  cache.similarity_embeddings reports, from the engine's own
#             report of each job (sc_simmat_job.info), "float32" and
#             717,600 bytes for every matrix (float64 run: 1,435,200), and
#             which E's spilled. Without the flag passed to the engine this
#             fails (seen: "float64" with the job's float32 line removed).
#   passes    with 1.5 MB of spill allowed (SIMCON_SPILL_FREE_BYTES) and
#             --memory 1M the float32 run is one pass (2 x 717,600 bytes
#             spilled); at 8-byte accounting it would be 3 passes (the
#             float64 run's count, checked too).
#   estimate  simcon check --estimate plans the same: 1 pass, 1.4 MB
#             spilled (float64 spec: 3 passes, 4.3 MB).
#   key       the .cache file names are the documented key (run_simmat.c
#             header) with the line "embedding\tfloat32", recomputed here
#             from manifest.json; none equals the key without that line
#             (what simcon before this change wrote for precision=float32,
#             whose matrices must not be reused).
set -uo pipefail
simcon=$1 work=$2 py=${3:-python3}
T="$work/float32_run"
rm -rf "$T" && mkdir -p "$T" || exit 1
export OPENBLAS_NUM_THREADS=1
unset SIMCON_SPILL_FREE_BYTES
# The placement of E's at budgets of a few MB, without the workers' reserve
# (sc_plan_reserve, test-only override; the case "workers" of
# spill_passes.sh tests the reserve itself).
export SIMCON_WORKER_RESERVE=0
fail=0
bad() { echo "FAIL: $*"; fail=1; }
. "$(dirname "$0")/study.sh" # make_study
make_study
cp "$T/study/spec.yaml" "$T/study/spec64.yaml" || exit 1
sed -e 's/params: {kernel: linear}/params: {kernel: linear, precision: float32}/' \
  -e 's/sigma: 0.4}/sigma: 0.4, precision: float32}/' \
  -e 's/corr: spearman}/corr: spearman, precision: float32}/' \
  "$T/study/spec64.yaml" >"$T/study/spec.yaml" || exit 1
[ "$(grep -c 'precision: float32' "$T/study/spec.yaml")" = 3 ] ||
  bad "spec edit: $(cat "$T/study/spec.yaml")"

# run NAME SPEC THREADS MEMORY [SPILL_LIMIT]
run() {
  SIMCON_SPILL_FREE_BYTES=${5:-100000000000} "$simcon" run "$T/study/$2" \
    -o "$T/$1" --threads "$3" --memory "$4" >/dev/null 2>"$T/$1.err" ||
    bad "$1: $(cat "$T/$1.err")"
}
run f64 spec64.yaml 2 1M 1500000
run t1 spec.yaml 1 4M
run t2 spec.yaml 2 4M
run spill spec.yaml 2 1M 1500000
for r in t2 spill; do
  for f in "$T"/t1/similarity/*/*.csv; do
    rel=${f#"$T/t1/"}
    cmp -s "$f" "$T/$r/$rel" || bad "$r: $rel differs from t1"
  done
done
[ "$(ls "$T"/t1/similarity/*/*.csv | wc -l)" = 6 ] || bad "t1: not 6 matrices"

REF="$(dirname "$0")/../golden/ref" "$py" - "$T" <<'PY' || fail=1
import csv, hashlib, json, os, sys
import numpy as np
sys.path.insert(0, os.environ["REF"])
import cka_ref, rsa_ref  # independent float64 numpy/scipy references

T = sys.argv[1]
bad = []
metrics = ["cka_linear", "cka_rbf", "rsa"]
models = ["m0", "m1", "m2", "m3"]

def sim(run, ds, k):
    with open(os.path.join(T, run, "similarity", ds, k + ".csv")) as f:
        rows = list(csv.reader(f))
    assert rows[0][1:] == models, rows[0]
    return np.array([[float(v) for v in r[1:]] for r in rows[1:]])

def man(run):
    with open(os.path.join(T, run, "manifest.json")) as f:
        return json.load(f)

# Embeddings as the engine reported them.
want = {"t1": ("float32", 717600, set()), "t2": ("float32", 717600, set()),
        "spill": ("float32", 717600, {"cka_rbf", "rsa"}),
        "f64": ("float64", 1435200, set(metrics))}
for run, (entry, nbytes, spilled) in want.items():
    c = man(run)["cache"]
    passes = 3 if run == "f64" else 1
    if c.get("similarity_passes") != {"a": passes, "b": passes}:
        bad.append(f"{run}: passes {c.get('similarity_passes')}, want {passes}")
    emb = c.get("similarity_embeddings", {})
    for ds in "ab":
        for k in metrics:
            e = emb.get(ds, {}).get(k)
            w = {"entry": entry, "bytes": nbytes, "spilled": k in spilled}
            if e != w:
                bad.append(f"{run} {ds}/{k}: {e}, want {w}")

# Accuracy: float32 vs float64 run and vs the references, 1e-6 relative.
def norm(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)
worst = {}
for ds in "ab":
    X = [norm(np.load(os.path.join(T, "study", ds, m + ".npy")).astype(np.float64))
         for m in models]
    for k in metrics:
        s32, s64 = sim("t1", ds, k), sim("f64", ds, k)
        ref = np.ones((4, 4))
        for i in range(4):
            for j in range(4):
                if i == j:
                    continue
                if k == "rsa":
                    ref[i, j] = rsa_ref.rsa(X[i], X[j], "correlation", "spearman")[0]
                else:
                    ref[i, j] = cka_ref.cka(X[i], X[j],
                                            "linear" if k == "cka_linear" else "rbf",
                                            True, sigma=0.4 if k == "cka_rbf" else None)
        for name, other in (("float64 run", s64), ("reference", ref)):
            rel = np.max(np.abs(s32 - other) / np.maximum(np.abs(other), 1.0))
            worst[(k, name)] = max(worst.get((k, name), 0), rel)
            if not rel <= 1e-6:
                bad.append(f"{ds}/{k}: {rel:.3g} relative from the {name}")
        if np.array_equal(s32, s64):
            bad.append(f"{ds}/{k}: float32 run is the float64 bits")
print("worst relative differences:",
      ", ".join(f"{k} vs {n} {v:.2g}" for (k, n), v in sorted(worst.items())))

# Cache keys as documented in core/run/run_simmat.c.
m = man("t1")
sha = {i["path"]: i["sha256"] for i in m["inputs"]}
names = set(os.listdir(os.path.join(T, "t1", ".cache")))
old, new = set(), set()
for ds in "ab":
    for mm in m["metrics"]:
        lines = ["simcon similarity cache v1\n"]
        for mod in models:
            p = [q for q in sha if q.endswith(f"/{ds}/{mod}.npy")]
            lines.append(f"model\t{mod}\t{sha[p[0]]}\n")
        lines += ["ids\tnone\n", f"plugin\t{mm['plugin']}\t{mm['version']}\n",
                  f"params\t{mm['params']}\n", "normalize\tl2\n",
                  "max_stimuli\t0\n", "subsample_seed\tnone\n"]
        key = lambda ls: hashlib.sha256("".join(ls).encode()).hexdigest() + ".csv"
        old.add(key(lines))
        new.add(key(lines + ["embedding\tfloat32\n"]))
if names != new:
    bad.append(f"cache names {sorted(names)} are not the documented keys {sorted(new)}")
if names & old:
    bad.append("a cache name equals the key without the float32 line")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
# simcon check --estimate counts 4-byte entries: one pass, 1.4 MB spilled
# (the float64 spec: 4.3 MB, 3 passes).
for s in spec spec64; do
  SIMCON_SPILL_FREE_BYTES=1500000 "$simcon" check --quick --estimate --memory 1M \
    "$T/study/$s.yaml" >"$T/est_$s.out" 2>&1 || bad "estimate $s: $(cat "$T/est_$s.out")"
done
[ "$(grep -c "similarity [ab]: the 3 metrics' states need 1.4 MB of spill beyond the memory budget (1.0 MB), 1.5 MB free in .*: 1 pass," "$T/est_spec.out")" = 2 ] ||
  bad "estimate float32: $(cat "$T/est_spec.out")"
[ "$(grep -c "need 4.3 MB of spill .*: 3 passes," "$T/est_spec64.out")" = 2 ] ||
  bad "estimate float64: $(cat "$T/est_spec64.out")"
[ $fail = 0 ] && echo "ok: float32_run"
exit $fail
