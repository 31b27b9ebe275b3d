"""Result folders to DataFrames, and arrays to the spec's feature layout."""
import json
import os
import tempfile

import numpy as np

# Column types of simcon's result tables (README "What simcon run writes").
# Every other column is float64, except the model metadata of models.csv
# and the row labels of the matrices, which are strings.
_STR_COLS = {
    "metric", "dataset", "dataset_a", "dataset_b", "model_set", "domain",
    "attribute", "category_a", "category_b", "ci_method", "model",
    "model_a", "model_b", "family", "note",
}
_INT_COLS = {
    "n_pairs", "B", "seed", "n_models_a", "n_models_b", "n_stimuli",
    "n_used", "n_dataset_pairs", "n_datasets", "n_perm",
}


def _read_table(path, all_str=False):
    """A result CSV with exact floats (simcon writes %.17g, which pandas
    reads back bit for bit with float_precision="round_trip"), empty
    fields as NaN and no other text taken for NaN (a model may be called
    "NA")."""
    import pandas as pd
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
    if all_str:
        dtype = {c: str for c in header}
    else:
        dtype = {}
        for c in header:
            if c in _STR_COLS:
                dtype[c] = str
            elif c in _INT_COLS:
                dtype[c] = "Int64"
            else:
                dtype[c] = np.float64
    df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""],
                     float_precision="round_trip")
    for c in header:
        if c in _INT_COLS and not df[c].isna().any():
            df[c] = df[c].astype(np.int64)
        if c in _STR_COLS or all_str:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _read_matrix(path):
    """An m x m CSV with header ",name1,...": labelled float64 DataFrame."""
    import pandas as pd
    with open(path, encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split(",")[1:]
    dtype = {n: np.float64 for n in names}
    df = pd.read_csv(path, index_col=0, dtype=dtype, keep_default_na=False,
                     na_values=[""], float_precision="round_trip")
    df.index = [str(i) for i in df.index]
    df.index.name = None
    return df


def load(results_dir):
    """Every table of a ``simcon run`` result folder as pandas DataFrames.

    Returns a dict with, for each file present:

    - ``"consistency"``, ``"contrasts"``, ``"behaviour"``, ``"datasets"``:
      the top-level CSVs; text columns are str, counts (``n_pairs``, ``B``,
      ``seed``, ...) int64, every other column float64 with empty cells as
      NaN; floats are read back exactly as written (%.17g, round trip);
    - ``"models"``: the model metadata (all str);
    - ``"similarity"``: {(dataset, metric): m x m DataFrame labelled by
      model};
    - ``"gap"``: {dataset: m x m probe-accuracy gap DataFrame};
    - ``"tables"``: {stem: DataFrame} for ``tables/*.csv`` (the dataset x
      dataset consistency matrices labelled like the similarity ones);
    - ``"manifest"``: ``manifest.json`` as a dict.

    >>> res = simcon.load(ZOO_RESULTS)
    >>> res["consistency"].dtypes[["metric", "n_pairs", "r"]].tolist()
    [dtype('O'), dtype('int64'), dtype('float64')]
    >>> S = res["similarity"]["emoji", "cka_linear"]
    >>> S.shape, S.loc["cnn_ae_s0", "cnn_ae_s0"]
    ((20, 20), 1.0)
    """
    root = os.fspath(results_dir)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root}: no such result folder; run "
                                "simcon.run(spec, out) first")
    out = {}
    for name in ("consistency", "contrasts", "behaviour", "datasets"):
        p = os.path.join(root, name + ".csv")
        if os.path.exists(p):
            out[name] = _read_table(p)
    p = os.path.join(root, "models.csv")
    if os.path.exists(p):
        out["models"] = _read_table(p, all_str=True)
    sim = {}
    sdir = os.path.join(root, "similarity")
    if os.path.isdir(sdir):
        for ds in sorted(os.listdir(sdir)):
            for f in sorted(os.listdir(os.path.join(sdir, ds))):
                if f.endswith(".csv"):
                    sim[ds, f[:-4]] = _read_matrix(os.path.join(sdir, ds, f))
    out["similarity"] = sim
    gap = {}
    bdir = os.path.join(root, "behaviour")
    if os.path.isdir(bdir):
        for ds in sorted(os.listdir(bdir)):
            p = os.path.join(bdir, ds, "gap.csv")
            if os.path.exists(p):
                gap[ds] = _read_matrix(p)
    out["gap"] = gap
    tables = {}
    tdir = os.path.join(root, "tables")
    if os.path.isdir(tdir):
        for f in sorted(os.listdir(tdir)):
            if f.endswith(".csv"):
                p = os.path.join(tdir, f)
                with open(p, encoding="utf-8") as fh:
                    square = fh.readline().startswith(",")
                tables[f[:-4]] = _read_matrix(p) if square else _read_table(p)
    out["tables"] = tables
    p = os.path.join(root, "manifest.json")
    if os.path.exists(p):
        with open(p, encoding="utf-8") as f:
            out["manifest"] = json.load(f)
    return out


# ## Writing features

def _atomic_write(path, write):
    """write(fileobj) into a temporary file next to path, fsync, rename:
    path holds its old contents or the complete new ones, never a part."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _check_name(kind, name):
    import re
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
        raise ValueError(f"{kind} {name!r}: use letters, digits, '_', '.' "
                         "and '-' only (it becomes a file name and a spec "
                         "name)")


def save_features(array, root, dataset, model, ids=None, flatten=False):
    """Write one model's features on one dataset where a spec with
    ``features: "{dataset}/{model}.npy"`` and ``ids: "{dataset}/ids.txt"``
    (the defaults of ``experiments/example.yaml``) finds them:
    ``root/dataset/model.npy`` and, when ``ids`` is given,
    ``root/dataset/ids.txt`` (one stimulus id per line, row order).

    ``array`` is n x d (anything ``numpy.asarray`` takes: a CPU torch
    tensor after ``.detach()``); float16/32/64 are kept, other dtypes
    become float64. N-D activations (n x c x h x w) are refused unless
    ``flatten=True``, which flattens each stimulus in row-major (C) order,
    ``array.reshape(n, -1)``. Values must be finite. If ``ids.txt`` already
    exists (written for another model of the dataset) it must list the same
    ids in the same order, else ``ValueError`` names the first differing
    row and both ids, and nothing is written. Files are written atomically
    (temporary file, fsync, rename). Returns the .npy path.

    >>> rng = np.random.default_rng(0)
    >>> p = simcon.save_features(rng.standard_normal((5, 3)), TMP + "/f",
    ...                          "flowers", "resnet", ids=list("abcde"))
    >>> np.load(p).shape, open(TMP + "/f/flowers/ids.txt").read().split()
    ((5, 3), ['a', 'b', 'c', 'd', 'e'])
    >>> simcon.save_features(np.zeros((4, 2, 3)), TMP + "/f", "flowers", "vit")
    Traceback (most recent call last):
    ...
    ValueError: features of vit on flowers have shape (4, 2, 3): expected stimuli x units; pass flatten=True to flatten each stimulus (row-major)
    """
    _check_name("dataset", dataset)
    _check_name("model", model)
    a = np.asarray(array)
    if a.ndim > 2 and flatten:
        a = a.reshape(a.shape[0], -1)
    if a.ndim != 2:
        hint = ("pass flatten=True to flatten each stimulus (row-major)"
                if a.ndim > 2 else "reshape(-1, 1) for one unit per stimulus")
        raise ValueError(f"features of {model} on {dataset} have shape "
                         f"{a.shape}: expected stimuli x units; {hint}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"features of {model} on {dataset} are empty "
                         f"({a.shape})")
    if a.dtype not in (np.float16, np.float32, np.float64):
        a = a.astype(np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise ValueError(f"features of {model} on {dataset}: non-finite "
                         f"value {a[i, j]} at row {i}, column {j}")
    id_text = None
    if ids is not None:
        ids = [str(x) for x in ids]
        if len(ids) != a.shape[0]:
            raise ValueError(f"{len(ids)} ids for {a.shape[0]} rows of "
                             f"{model} on {dataset}")
        for k, s in enumerate(ids):
            if not s or "\n" in s or "\r" in s:
                raise ValueError(f"id of row {k} is empty or spans lines")
        id_text = "".join(s + "\n" for s in ids)
    folder = os.path.join(os.fspath(root), dataset)
    ids_path = os.path.join(folder, "ids.txt")
    if id_text is not None and os.path.exists(ids_path):
        with open(ids_path, encoding="utf-8") as f:
            have = f.read().splitlines()
        for k in range(max(len(have), len(ids))):
            a_id = have[k] if k < len(have) else "(none)"
            b_id = ids[k] if k < len(ids) else "(none)"
            if a_id != b_id:
                raise ValueError(
                    f"{ids_path} row {k} is {a_id!r} but {model}'s row {k} "
                    f"is {b_id!r}: every model of {dataset} must list the "
                    "same stimuli in the same order")
        id_text = None  # identical: leave the file alone
    os.makedirs(folder, exist_ok=True)
    npy = os.path.join(folder, model + ".npy")
    _atomic_write(npy, lambda f: np.save(f, np.ascontiguousarray(a)))
    if id_text is not None:
        _atomic_write(ids_path, lambda f: f.write(id_text.encode("utf-8")))
    return npy
