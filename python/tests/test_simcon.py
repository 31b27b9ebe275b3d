"""The Python package against the command line, on the bundled example
(experiments/zoo.yaml, features in experiments/zoo/features, committed
results in results/zoo): every function must give the CLI's numbers to the
last bit on the same machine (== on doubles, byte-identical tables). The
CLI itself is checked against independent numpy/scipy references by
tests/golden and tests/e2e.

Needs SIMCON_CLI (the simcon executable) and the library (SIMCON_LIBRARY
or a build/ next to python/); tests/python/CMakeLists.txt sets both, with
OPENBLAS_NUM_THREADS=1 so both sides run the same BLAS summation order."""
import csv
import math
import os
import shutil
import signal
import subprocess

import numpy as np
import pandas as pd
import pytest

import simcon

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZOO = os.path.join(REPO, "experiments", "zoo")
FEAT = os.path.join(ZOO, "features")
SPEC = os.path.join(REPO, "experiments", "zoo.yaml")
RESULTS = os.path.join(REPO, "results", "zoo")
CLI = os.environ.get("SIMCON_CLI", os.path.join(REPO, "build", "simcon"))


def cli(*args, ok=True):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                       env=env)
    if ok and p.returncode != 0:
        raise AssertionError(f"simcon {args}: {p.stderr}")
    return p


def feat(dataset, model):
    return os.path.join(FEAT, dataset, model + ".npy")


def same_bits(a, b):
    return np.float64(a).tobytes() == np.float64(b).tobytes()


# ## compare

CASES = [
    ("cka", {}, "none"),
    ("cka", {"kernel": "rbf", "sigma": 0.4}, "l2"),
    ("cka", {"unbiased": False}, "center"),
    ("rsa", {}, "l2"),
    ("rsa", {"rdm": "euclidean", "corr": "kendall"}, "none"),
    ("knn", {"k": 10}, "l2"),
    ("cknna", {"k": 10}, "none"),
    ("procrustes", {}, "none"),
    ("svcca", {}, "none"),
    ("linreg", {}, "l2"),
]


@pytest.mark.parametrize("metric,params,norm", CASES)
def test_compare_matches_cli(metric, params, norm):
    a, b = feat("emoji", "cnn_ssl_s0"), feat("emoji", "human_emotion")
    args = ["compare", "-m", metric, "--normalize", norm]
    for k, v in params.items():
        args += ["-p", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
    want = float(cli(*args, a, b).stdout)
    got = simcon.compare(np.load(a), np.load(b), metric=metric,
                         normalize=norm, **params)
    assert same_bits(got, want), (got, want)


def test_compare_any_layout_matches_cli(tmp_path):
    """float32, Fortran order, column and row slices, reversed strides:
    read in place or copied once, always the CLI's value for the same
    numbers (saved contiguous with np.save)."""
    X = np.load(feat("digits", "mlp_sup_s0")).astype(np.float64)
    Y = np.load(feat("digits", "nsfw_mobilenet_v2")).astype(np.float64)
    views = {
        "float32": Y.astype(np.float32),
        "fortran": np.asfortranarray(Y),
        "col_slice": Y[:, ::3],
        "row_slice_of_wider": np.hstack([Y, Y])[:, : Y.shape[1]],
        "reversed_cols": Y[:, ::-1],
    }
    for name, V in views.items():
        path = tmp_path / f"{name}.npy"
        np.save(path, np.ascontiguousarray(V))
        want = float(cli("compare", feat("digits", "mlp_sup_s0"), path).stdout)
        assert same_bits(simcon.compare(X, V), want), name


def test_compare_error_is_the_cli_message():
    X = np.load(feat("emoji", "cnn_ae_s0"))
    p = cli("compare", "-p", "kernel=cubic", feat("emoji", "cnn_ae_s0"),
            feat("emoji", "cnn_ae_s1"), ok=False)
    want = p.stderr.strip().removeprefix("simcon compare: ")
    with pytest.raises(simcon.MetricError) as e:
        simcon.compare(X, X, kernel="cubic")
    assert str(e.value) == want
    with pytest.raises(simcon.MetricError, match="non-finite"):
        Z = X.astype(np.float64)
        Z[3, 4] = np.nan
        simcon.compare(Z, X)


# ## matrix

MODELS = ["cnn_ae_s0", "cnn_ssl_s1", "mlp_sup_s0", "human_emotion",
          "nsfw_mobilenet_v2_mid"]


@pytest.mark.parametrize("metric,params", [("cka", {}), ("rsa", {}),
                                           ("knn", {"k": 5})])
def test_matrix_matches_cli(tmp_path, metric, params):
    files = [feat("fmnist_test", m) for m in MODELS]
    out = tmp_path / "S.csv"
    args = ["matrix", "-m", metric, "--normalize", "l2", "-o", out]
    for k, v in params.items():
        args += ["-p", f"{k}={v}"]
    cli(*args, *files)
    want = simcon.load.__globals__["_read_matrix"](out)
    calls = []
    got = simcon.matrix({m: np.load(f) for m, f in zip(MODELS, files)},
                        metric=metric, normalize="l2", **params)
    assert list(got.index) == MODELS and list(got.columns) == MODELS
    assert list(want.index) == MODELS
    assert got.to_numpy().tobytes() == want.to_numpy().tobytes()
    del calls


def test_matrix_progress_and_names():
    reps = [np.load(feat("emoji", m)) for m in MODELS[:3]]
    seen = []
    orig = simcon._Progress._progress

    def spy(self, user, stage, done, total):
        seen.append((stage, done, total))
        return orig(self, user, stage, done, total)

    simcon._Progress._progress = spy
    try:
        S = simcon.matrix(reps, names=["a", "b", "c"], progress=True)
    finally:
        simcon._Progress._progress = orig
    assert list(S.index) == ["a", "b", "c"]
    assert sorted(d for _, d, _ in seen) == [1, 2, 3]
    assert {(s, t) for s, _, t in seen} == {(b"matrix", 3)}


# ## mantel

def test_mantel_matches_cli():
    a = os.path.join(RESULTS, "similarity", "emoji", "cka_linear.csv")
    b = os.path.join(RESULTS, "similarity", "digits", "cka_linear.csv")
    res = simcon.load(RESULTS)["similarity"]
    A, B = res["emoji", "cka_linear"], res["digits", "cka_linear"]
    for args, kw in [([], {}),
                     (["--perms", "199", "--seed", "7", "--method",
                       "spearman", "--alternative", "two-sided"],
                      dict(perms=199, seed=7, method="spearman",
                           alternative="two-sided"))]:
        r, p = map(float, cli("mantel", *args, a, b).stdout.split())
        got = simcon.mantel(A, B, **kw)
        assert same_bits(got.r, r) and same_bits(got.p, p), (got, r, p)
        # B's models in another order are matched by name, as the CLI does
        Bs = B.iloc[::-1, ::-1]
        assert simcon.mantel(A, Bs, **kw) == got


# ## check and run

def broken_spec(tmp_path):
    text = open(SPEC).read().replace("root: zoo/features",
                                     f"root: {FEAT}")
    text = text.replace("accuracy: zoo/behaviour.csv",
                        f"accuracy: {ZOO}/behaviour.csv")
    return text


def test_check_matches_cli(tmp_path):
    p = cli("check", SPEC)  # warnings on stderr, then the forecast and ok
    assert simcon.check(SPEC).splitlines() == \
        p.stderr.splitlines() + p.stdout.splitlines()
    # a bad metric parameter: SpecError with the CLI's message
    bad = tmp_path / "bad.yaml"
    bad.write_text(broken_spec(tmp_path).replace("kernel: rbf, sigma: 0.4",
                                                 "kernel: rbf, sigma: -1"))
    p = cli("check", bad, ok=False)
    with pytest.raises(simcon.SpecError) as e:
        simcon.check(bad)
    assert str(e.value) == p.stderr.strip().removeprefix("simcon check: ")
    # missing feature files: InputError listing every problem, as the CLI
    feats = tmp_path / "feats"
    shutil.copytree(FEAT, feats)
    os.remove(feats / "emoji" / "cnn_ae_s0.npy")
    os.remove(feats / "digits" / "human_movenet.npy")
    miss = tmp_path / "miss.yaml"
    miss.write_text(broken_spec(tmp_path).replace(f"root: {FEAT}",
                                                  f"root: {feats}"))
    p = cli("check", miss, ok=False)
    with pytest.raises(simcon.InputError) as e:
        simcon.check(miss)
    want = [l.removeprefix("simcon check: ") for l in p.stderr.splitlines()]
    assert str(e.value).splitlines() == want
    assert len(want) >= 2


def test_run_matches_cli(tmp_path):
    """simcon.run and `simcon run` on the same machine: every table byte
    for byte (the committed results/zoo are compared by the cross-machine
    rule in tests/zoo; here both sides run the same BLAS)."""
    cli("run", SPEC, "-o", tmp_path / "cli", "--threads", "1", "--quiet")
    out = simcon.run(SPEC, tmp_path / "py", threads=1, progress=True)
    assert out == str(tmp_path / "py")
    n = 0
    ref = str(tmp_path / "cli")
    for dirpath, _, files in os.walk(ref):
        if ".cache" in dirpath:
            continue
        for f in files:
            if f.endswith((".csv", ".md", ".tex")):
                rel = os.path.relpath(os.path.join(dirpath, f), ref)
                with open(os.path.join(ref, rel), "rb") as a, \
                        open(os.path.join(out, rel), "rb") as b:
                    assert a.read() == b.read(), rel
                n += 1
    assert n > 20


def test_run_cancel_and_failure_leave_nothing(tmp_path):
    orig = simcon._Progress._progress

    def interrupt(self, user, stage, done, total):
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would

    simcon._Progress._progress = interrupt
    try:
        with pytest.raises(KeyboardInterrupt, match="canceled"):
            simcon.run(SPEC, tmp_path / "c", progress=True)
    finally:
        simcon._Progress._progress = orig
    assert not (tmp_path / "c").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith("c")]
    with pytest.raises(simcon.SpecError, match="cannot open the spec"):
        simcon.run(tmp_path / "nope.yaml", tmp_path / "d")
    assert not (tmp_path / "d").exists()


# ## load

def test_load_reads_every_cell_exactly():
    res = simcon.load(RESULTS)
    frames = {f"{k}.csv": res[k] for k in ("consistency", "contrasts",
                                            "behaviour", "datasets", "models")}
    for (ds, m), df in res["similarity"].items():
        frames[f"similarity/{ds}/{m}.csv"] = df
    for stem, df in res["tables"].items():
        frames[f"tables/{stem}.csv"] = df
    for ds, df in res["gap"].items():
        frames[f"behaviour/{ds}/gap.csv"] = df
    assert len(frames) > 20
    for rel, df in frames.items():
        with open(os.path.join(RESULTS, rel), newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        square = header[0] == ""
        assert len(df) == len(body), rel
        for i, row in enumerate(body):
            cells = row[1:] if square else row
            cols = header[1:] if square else header
            if square:
                assert df.index[i] == row[0]
            for c, text in zip(cols, cells):
                v = df[c].iloc[i]
                if rel == "models.csv" or df[c].dtype == object:
                    assert v == (text if text != "" else None), (rel, c, i)
                elif df[c].dtype == np.int64:
                    assert v == int(text), (rel, c, i)
                elif text == "":
                    # an integer column with empty cells (B, seed on rows
                    # that resample or draw nothing) is pandas Int64: <NA>
                    assert v is pd.NA or math.isnan(v), (rel, c, i)
                elif str(df[c].dtype) == "Int64":
                    assert v == int(text), (rel, c, i)
                else:
                    assert same_bits(v, float(text)), (rel, c, i, v, text)
    assert res["manifest"]["name"] == "zoo"


# ## save_features

def test_save_features_writes_the_spec_layout(tmp_path):
    """save_features on the zoo's own arrays rebuilds a feature folder the
    CLI accepts and computes on exactly as on the originals."""
    root = tmp_path / "features"
    ids = open(os.path.join(FEAT, "emoji", "ids.txt")).read().splitlines()
    for m in MODELS:
        X = np.load(feat("emoji", m))
        p = simcon.save_features(X, root, "emoji", m, ids=ids)
        Y = np.load(p)
        assert Y.dtype == X.dtype and np.array_equal(X, Y)
    assert (root / "emoji" / "ids.txt").read_text().splitlines() == ids
    assert sorted(os.listdir(root / "emoji")) == sorted(
        [m + ".npy" for m in MODELS] + ["ids.txt"])  # no temporaries left
    a = cli("compare", "-m", "rsa", root / "emoji" / "cnn_ae_s0.npy",
            root / "emoji" / "human_emotion.npy").stdout
    b = cli("compare", "-m", "rsa", feat("emoji", "cnn_ae_s0"),
            feat("emoji", "human_emotion")).stdout
    assert a == b
    # other ids: refused naming the first differing row, nothing written
    other = list(ids)
    other[7], other[8] = other[8], other[7]
    with pytest.raises(ValueError, match=f"row 7 is '{ids[7]}' but "
                                         f"new's row 7 is '{ids[8]}'"):
        simcon.save_features(np.load(feat("emoji", "cnn_ae_s0")), root,
                             "emoji", "new", ids=other)
    assert not (root / "emoji" / "new.npy").exists()
    bad = np.ones((4, 3))
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="row 2, column 1"):
        simcon.save_features(bad, root, "emoji", "inf")
    assert not (root / "emoji" / "inf.npy").exists()
    # N-D only on request, flattened row-major
    conv = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    p = simcon.save_features(conv, root, "conv", "net", flatten=True)
    assert np.array_equal(np.load(p), conv.reshape(2, -1))
    with pytest.raises(ValueError, match="must|letters"):
        simcon.save_features(conv, root, "../up", "net", flatten=True)


def test_flatten_matches_cli(tmp_path):
    A = np.random.default_rng(4).standard_normal((30, 2, 3, 4))
    Y = np.load(feat("emoji", "cnn_ae_s0"))[:30]
    np.save(tmp_path / "A.npy", np.asfortranarray(A))
    np.save(tmp_path / "Y.npy", Y)
    want = float(cli("compare", "--flatten", tmp_path / "A.npy",
                     tmp_path / "Y.npy").stdout)
    assert same_bits(simcon.compare(A, Y, flatten=True), want)
    with pytest.raises(simcon.MetricError, match="flatten=True"):
        simcon.compare(A, Y)
    S = simcon.matrix([A, Y], names=["a", "y"], flatten=True)
    R = simcon.matrix([A.reshape(30, -1), Y], names=["a", "y"])
    assert S.to_numpy().tobytes() == R.to_numpy().tobytes()
