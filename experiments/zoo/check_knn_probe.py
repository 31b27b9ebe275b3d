#!/usr/bin/python3
"""Check the zoo's kNN probe: every (model, dataset) beats chance.

Recomputes the 5-NN cosine probe (5-fold stratified CV, random_state 0, the
same protocol as probes.py) from the committed features and labels, checks it
against knn_probe.csv, and requires every accuracy to be above chance
(1 / number of classes). Also fails on a feature file without a CSV row, a
row without a file, NaN/Inf features, a constant matrix, or misaligned rows.
Uses only numpy and scikit-learn.

Usage: check_knn_probe.py ZOO_DIR        exit 0 = all good, 1 = failures listed
"""
import csv
import glob
import os
import sys

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

TOL = 1e-6


def main():
    if len(sys.argv) != 2:
        print("usage: check_knn_probe.py ZOO_DIR", file=sys.stderr)
        return 2
    zoo = sys.argv[1]
    csv_path = os.path.join(zoo, "knn_probe.csv")
    if not os.path.exists(csv_path):
        print(f"FAIL missing {csv_path}")
        return 1
    with open(csv_path, newline="") as f:
        rows = {(r["dataset"], r["model"]): r for r in csv.DictReader(f)}
    failures, checked = [], 0
    files = sorted(glob.glob(os.path.join(zoo, "features", "*", "*.npy")))
    seen = set()
    for path in files:
        ds = os.path.basename(os.path.dirname(path))
        model = os.path.basename(path)[:-4]
        seen.add((ds, model))
        y = np.loadtxt(os.path.join(zoo, "features", ds, "labels.txt"), dtype=np.int64)
        x = np.load(path).astype(np.float64)
        chance = 1.0 / len(np.unique(y))
        if x.ndim != 2 or x.shape[0] != len(y):
            failures.append(f"{ds}/{model}: shape {x.shape} vs {len(y)} labels")
            continue
        if not np.isfinite(x).all():
            failures.append(f"{ds}/{model}: NaN or Inf in features")
            continue
        if np.ptp(x, axis=0).max() == 0:
            failures.append(f"{ds}/{model}: constant feature matrix")
            continue
        clf = KNeighborsClassifier(n_neighbors=5, metric="cosine", algorithm="brute")
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        acc = float(np.mean(cross_val_score(clf, x, y, cv=cv)))
        checked += 1
        row = rows.get((ds, model))
        if row is None:
            failures.append(f"{ds}/{model}: no row in knn_probe.csv")
        elif abs(float(row["accuracy"]) - acc) > TOL:
            failures.append(f"{ds}/{model}: knn_probe.csv says {row['accuracy']}, recomputed {acc:.6f}")
        if not acc > chance:
            failures.append(f"{ds}/{model}: kNN accuracy {acc:.3f} not above chance {chance:.3f}")
    for key in sorted(set(rows) - seen):
        failures.append(f"{key[0]}/{key[1]}: row in knn_probe.csv but no feature file")
    for msg in failures:
        print("FAIL", msg)
    print(f"check_knn_probe: {checked} (model, dataset) checked, {len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
