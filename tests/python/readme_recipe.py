"""Runs README.md's "From your model to simcon" recipe as written (the
first ```python block of that section) in a temporary folder, then checks
what it produced against independent computations:
  - each saved feature file equals the hooked layer recomputed directly
    (model[1](images.flatten(1)), bit for bit);
  - the similarity matrix equals unbiased linear CKA (README "Metrics")
    of the l2-normalised features computed here with numpy (1e-10);
  - the consistency row is the Pearson r of the two datasets' similarity
    upper triangles (numpy, 1e-12); the figure file exists.
Needs python3-torch; without it prints why and exits 77 (CTest: skipped)."""
import os
import re
import sys
import tempfile

try:
    import torch
except ImportError as e:
    print(f"skipped: python3-torch is not installed ({e}); "
          "apt-get install python3-torch runs the README recipe")
    sys.exit(77)
import numpy as np

readme = open(sys.argv[1], encoding="utf-8").read()
section = readme.split("## From your model to simcon", 1)[1]
code = re.search(r"```python\n(.*?)\n```", section, re.S).group(1)

os.chdir(tempfile.mkdtemp(prefix="simcon-recipe-"))
ns = {"__name__": "__recipe__"}
exec(compile(code, "README.md recipe", "exec"), ns)


def ucka(a, b):
    def uc(k):
        k = k.copy()
        n = k.shape[0]
        np.fill_diagonal(k, 0)
        m = k.sum(0) / (n - 2)
        m = m - m.sum() / (2 * (n - 1))
        k = k - m[:, None] - m[None, :]
        np.fill_diagonal(k, 0)
        return k
    K, L = uc(a @ a.T), uc(b @ b.T)
    return (K * L).sum() / np.sqrt((K * K).sum() * (L * L).sum())


models, datasets, res = ns["models"], ns["datasets"], ns["res"]
names = list(models)
tri = {}
for ds, images in datasets.items():
    feats = {}
    for name, model in models.items():
        with torch.no_grad():
            want = model[1](images.flatten(1)).numpy()
        got = np.load(f"features/{ds}/{name}.npy")
        assert got.dtype == want.dtype and np.array_equal(got, want), (ds, name)
        x = got.astype(np.float64)
        feats[name] = x / np.linalg.norm(x, axis=1, keepdims=True)
    S = res["similarity"][ds, "cka"]
    assert list(S.index) == names
    ref = np.array([[ucka(feats[a], feats[b]) for b in names] for a in names])
    err = np.abs(S.to_numpy() - ref).max()
    assert err < 1e-10, (ds, err)
    tri[ds] = S.to_numpy()[np.triu_indices(len(names), 1)]
row = res["consistency"].query("model_set == 'all'").iloc[0]
r = np.corrcoef(tri["noise"], tri["blobs"])[0, 1]
assert abs(row["r"] - r) < 1e-12, (row["r"], r)
assert os.path.exists("results/demo/figures/similarity_cka__noise.svg")
print(f"ok: README recipe ran; CKA matches numpy to {err:.1e}, r = {r:.4f}")
