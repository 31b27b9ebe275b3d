#!/usr/bin/python3
"""Store every feature matrix as float16 to keep the committed zoo small.

The extractors write float32 features/<dataset>/<model>.npy. This step copies
each float32 matrix to cache/features32/<dataset>/<model>.npy (kept for
reproducibility checks, not committed) and rewrites the committed file as
'<f2' (simcon's npy reader converts float16/32/64 alike). Already-float16 files
are left alone, so the step is idempotent. It fails on NaN/Inf, on values
outside the float16 range, and on matrices that are constant.

Usage: finalize_features.py ZOO_DIR
"""
import glob
import os
import sys

import numpy as np

F16_MAX = 65504.0


def main():
    zoo = sys.argv[1]
    bad = []
    for path in sorted(glob.glob(os.path.join(zoo, "features", "*", "*.npy"))):
        ds, fname = path.split(os.sep)[-2:]
        a = np.load(path)
        if a.dtype == np.float32:
            if not np.isfinite(a).all():
                bad.append(f"{path}: NaN/Inf")
                continue
            if np.abs(a).max() >= F16_MAX:
                bad.append(f"{path}: values beyond float16 range")
                continue
            keep = os.path.join(zoo, "cache", "features32", ds)
            os.makedirs(keep, exist_ok=True)
            np.save(os.path.join(keep, fname), a)
            h = a.astype(np.float16)
            tmp = path + ".tmp.npy"
            np.save(tmp, h)
            os.replace(tmp, path)
            a = h
        if a.dtype != np.float16 or a.ndim != 2:
            bad.append(f"{path}: dtype {a.dtype} shape {a.shape}")
            continue
        af = a.astype(np.float32)
        if not np.isfinite(af).all():
            bad.append(f"{path}: NaN/Inf after float16 rounding")
        if np.ptp(af, axis=0).max() == 0:
            bad.append(f"{path}: constant matrix")
    for b in bad:
        print("ERROR", b, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
