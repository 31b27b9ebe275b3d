#!/usr/bin/env python3
"""Write the seed corpora tests/fuzz/seeds/<harness>/ from real files.

Seeds are small real inputs from the repository: the .npy fixtures
(tests/npy, tests/cli), the specs (tests/spec, tests/e2e, experiments), the
similarity CSVs (tests/stat, tests/plot, results/zoo) and result folders
(tests/plot/fixture/results, results/zoo) packed in the archive format of
fuzz_plot.c ("=== PATH" lines). Large files are cut to a few models or rows
so each seed stays under a few KB (libFuzzer mutates small inputs faster).
Run from anywhere: python3 tests/fuzz/make_seeds.py (rewrites the folders).
"""
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "seeds"
ZOO = ROOT / "results" / "zoo"
FIX = ROOT / "tests" / "plot" / "fixture" / "results"


def fresh(name):
    d = OUT / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def cut_matrix(text, k):
    """The first k models of a similarity CSV (rows and columns)."""
    lines = text.splitlines()
    return "".join(",".join(l.split(",")[: k + 1]) + "\n" for l in lines[: k + 1])


def head(text, n):
    return "".join(l + "\n" for l in text.splitlines()[:n])


def only_rows(text, col, keep):
    """Header plus the rows whose first field is in keep."""
    lines = text.splitlines()
    return "".join(l + "\n" for l in lines[:1] + [l for l in lines[1:] if l.split(",")[col] in keep])


def rows_with(text, cols, keep, n):
    """Header plus the first n rows whose fields cols are all in keep."""
    lines = text.splitlines()
    rows = [l for l in lines[1:] if all(l.split(",")[c] in keep for c in cols)]
    return "".join(l + "\n" for l in lines[:1] + rows[:n])


def pack(files):
    return "".join(f"=== {p}\n{body}" for p, body in files)


def npy():
    d = fresh("npy")
    for src in sorted((ROOT / "tests" / "npy" / "fixtures").glob("*.npy")) + \
            sorted((ROOT / "tests" / "cli" / "data").glob("*.npy")):
        if src.stat().st_size <= 4096:
            shutil.copy(src, d / f"{src.parent.parent.name}-{src.name}")


def spec():
    d = fresh("spec")
    srcs = sorted((ROOT / "tests" / "spec" / "ok").glob("*.yaml")) + \
        sorted((ROOT / "tests" / "spec" / "bad").glob("*.yaml")) + \
        [ROOT / "tests" / "e2e" / "zoo.yaml", ROOT / "experiments" / "zoo.yaml",
         ROOT / "experiments" / "example.yaml"]
    for src in srcs:  # experiments/paper.yaml (28 KB) is left out: too big
        shutil.copy(src, d / f"{src.parent.name}-{src.name}")


def simcsv():
    d = fresh("simcsv")
    for src in sorted((ROOT / "tests" / "stat" / "data").glob("*.csv")):
        shutil.copy(src, d / f"stat-{src.name}")
    shutil.copy(FIX / "similarity" / "dtd" / "rsa.csv", d / "plot-dtd-rsa.csv")
    for metric in ("cka_linear", "rsa"):
        text = (ZOO / "similarity" / "digits" / f"{metric}.csv").read_text()
        (d / f"zoo-digits-{metric}-5.csv").write_text(cut_matrix(text, 5))
    (d / "zoo-digits-rsa-1.csv").write_text(
        cut_matrix((ZOO / "similarity" / "digits" / "rsa.csv").read_text(), 1))
    crlf = cut_matrix((ZOO / "similarity" / "emoji" / "rsa.csv").read_text(), 3)
    (d / "zoo-emoji-rsa-3-crlf.csv").write_text(crlf.replace("\n", "\r\n"))


def plot():
    d = fresh("plot")
    # The plot test fixture: two datasets, two metrics, every table cut short.
    dsets = ["dtd", "flowers"]
    files = [("datasets.csv", only_rows((FIX / "datasets.csv").read_text(), 0, dsets)),
             ("models.csv", (FIX / "models.csv").read_text())]
    for ds in dsets:
        for metric in ("cka_linear", "rsa"):
            files.append((f"similarity/{ds}/{metric}.csv",
                          cut_matrix((FIX / "similarity" / ds / f"{metric}.csv").read_text(), 4)))
    files.append(("behaviour/dtd/gap.csv",
                  cut_matrix((FIX / "behaviour" / "dtd" / "gap.csv").read_text(), 4)))
    files += [("consistency.csv", rows_with((FIX / "consistency.csv").read_text(), (1, 2), dsets, 6)),
              ("behaviour.csv", rows_with((FIX / "behaviour.csv").read_text(), (1,), dsets, 4)),
              ("contrasts.csv", head((FIX / "contrasts.csv").read_text(), 3))]
    (d / "fixture-2x2.txt").write_text(pack(files))
    # The bundled example (results/zoo): two datasets, three metrics.
    dsets = ["digits", "emoji"]
    files = [("datasets.csv", only_rows((ZOO / "datasets.csv").read_text(), 0, dsets)),
             ("models.csv", head((ZOO / "models.csv").read_text(), 6))]
    for ds in dsets:
        for metric in ("cka_linear", "cka_rbf_0.4", "rsa"):
            files.append((f"similarity/{ds}/{metric}.csv",
                          cut_matrix((ZOO / "similarity" / ds / f"{metric}.csv").read_text(), 5)))
        files.append((f"behaviour/{ds}/gap.csv",
                      cut_matrix((ZOO / "behaviour" / ds / "gap.csv").read_text(), 5)))
    files += [("consistency.csv", rows_with((ZOO / "consistency.csv").read_text(), (1, 2), dsets, 6)),
              ("behaviour.csv", rows_with((ZOO / "behaviour.csv").read_text(), (1,), dsets, 6)),
              ("contrasts.csv", head((ZOO / "contrasts.csv").read_text(), 3))]
    (d / "zoo-2x3.txt").write_text(pack(files))
    # No datasets.csv or models.csv: datasets come from the folder listing.
    files = [(f"similarity/{ds}/rsa.csv",
              cut_matrix((ZOO / "similarity" / ds / "rsa.csv").read_text(), 3))
             for ds in ("emoji", "fmnist_test")]
    (d / "zoo-bare.txt").write_text(pack(files))
    # The smallest result folder: one dataset, one metric, one model.
    (d / "minimal.txt").write_text(pack([("similarity/d/m.csv", ",a\na,1\n")]))


if __name__ == "__main__":
    npy()
    spec()
    simcsv()
    plot()
