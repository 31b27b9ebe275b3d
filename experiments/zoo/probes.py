#!/usr/bin/python3
"""Behaviour of every (model, dataset): linear- and kNN-probe accuracies.

Linear probe: standardise features, multinomial logistic regression
(lbfgs, C=1, max_iter 2000), 5-fold stratified cross-validation with shuffled
folds (random_state=0); accuracy = mean over folds.
kNN probe: 5 nearest neighbours, cosine distance, same folds.

Writes behaviour.csv (dataset,model,accuracy) and
knn_probe.csv (dataset,model,accuracy,chance,k).
Usage: probes.py ZOO_DIR
"""
import csv
import glob
import os
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FOLDS = 5
SEED = 0
K = 5


def folds():
    return StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)


def knn_accuracy(x, y):
    clf = KNeighborsClassifier(n_neighbors=K, metric="cosine", algorithm="brute")
    return float(np.mean(cross_val_score(clf, x, y, cv=folds())))


def linear_accuracy(x, y):
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(np.mean(cross_val_score(clf, x, y, cv=folds())))


def datasets_and_models(zoo):
    out = []
    for ddir in sorted(glob.glob(os.path.join(zoo, "features", "*"))):
        ds = os.path.basename(ddir)
        models = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(ddir, "*.npy")))
        out.append((ds, models))
    return out


def load(zoo, ds, model):
    return np.load(os.path.join(zoo, "features", ds, f"{model}.npy")).astype(np.float64)


def labels(zoo, ds):
    return np.loadtxt(os.path.join(zoo, "features", ds, "labels.txt"), dtype=np.int64)


def main():
    zoo = sys.argv[1]
    lin_rows, knn_rows = [], []
    for ds, models in datasets_and_models(zoo):
        y = labels(zoo, ds)
        chance = 1.0 / len(np.unique(y))
        for m in models:
            x = load(zoo, ds, m)
            la, ka = linear_accuracy(x, y), knn_accuracy(x, y)
            lin_rows.append((ds, m, f"{la:.6f}"))
            knn_rows.append((ds, m, f"{ka:.6f}", f"{chance:.6f}", K))
            print(f"{ds:13s} {m:28s} linear {la:.3f}  knn {ka:.3f}", flush=True)
    with open(os.path.join(zoo, "behaviour.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dataset", "model", "accuracy"])
        w.writerows(lin_rows)
    with open(os.path.join(zoo, "knn_probe.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dataset", "model", "accuracy", "chance", "k"])
        w.writerows(knn_rows)


if __name__ == "__main__":
    main()
