# Sourced by spill_passes.sh and float32_run.sh: make_study writes the
# small study of both into $T/study with python $py: 4 models x 2 datasets
# x n = 300 stimuli (float32 features, d = 16..25 so that 2 d^2 > n:
# linear CKA on its Gram path, with an embedding) and the paper's three
# metrics (cka linear, cka rbf sigma 0.4, rsa spearman of correlation RDMs).
make_study() { # features and spec in $T/study
  mkdir -p "$T/study" && "$py" - "$T/study" <<'PY' || exit 1
import os, sys
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(13)
models = ["m0", "m1", "m2", "m3"]
for ds in ["a", "b"]:
    os.makedirs(os.path.join(root, ds), exist_ok=True)
    base = rng.standard_normal((300, 12))
    for i, m in enumerate(models):
        d = 16 + 3 * i  # 2 d^2 > n: linear CKA on its Gram path
        x = base @ rng.standard_normal((12, d)) + 0.5 * rng.standard_normal((300, d))
        np.save(os.path.join(root, ds, m + ".npy"), x.astype(np.float32))
with open(os.path.join(root, "spec.yaml"), "w") as f:
    f.write("""name: spill
seed: 7
data: {root: ., features: "{dataset}/{model}.npy", normalize: l2}
models:
  - {name: m0, family: a}
  - {name: m1, family: a}
  - {name: m2, family: b}
  - {name: m3, family: b}
datasets:
  - {name: a, domain: x}
  - {name: b, domain: y}
metrics:
  - {name: cka_linear, plugin: cka, params: {kernel: linear}}
  - {name: cka_rbf, plugin: cka, params: {kernel: rbf, sigma: 0.4}}
  - {name: rsa, plugin: rsa, params: {rdm: correlation, corr: spearman}}
analyses:
  consistency: {correlation: pearson}
statistics: {permutations: 99, bootstrap: 0, over: models}
""")
PY
}
