#!/usr/bin/python3
"""Fixtures for the spec tests (tests/spec): tiny .npy feature files.

Run from anywhere with /usr/bin/python3 (NumPy); writes next to this file:
  zoo/<dataset>/<model>.npy   float32, 12 x d, for datasets d1, d2 and
                              models m1..m4 (d = 3 + model index), seeded
  zoo/<dataset>/ids.txt       12 ids, one per line
  zoo/d1/ids_blank.txt        the 12 ids of d1 with an empty line after
                              the 6th: 13 lines (ids.h counts every line)
  short/d1/m1.npy, m2.npy     m1 12 rows, m2 9 rows (row-count mismatch)
  nan/d1/m1.npy, m2.npy       m2 has a NaN at row 4, column 1
  behaviour.csv               dataset,model,accuracy for every d*/m* pair
  behaviour_missing.csv       the same without (d2, m3)
The values only need to be finite and well-formed: the spec tests check
messages and exit codes, not numbers. Written with NumPy 1.24.2
(Debian 12 python3-numpy); np.save format version 1.0.
"""
import os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20251127)


def save(rel, arr):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, arr)


for d in ("d1", "d2"):
    for k, m in enumerate(("m1", "m2", "m3", "m4")):
        save(f"zoo/{d}/{m}.npy",
             rng.standard_normal((12, 3 + k)).astype(np.float32))
    with open(os.path.join(HERE, f"zoo/{d}/ids.txt"), "w") as f:
        f.write("".join(f"{d}_img{i:02d}\n" for i in range(12)))

save("short/d1/m1.npy", rng.standard_normal((12, 4)).astype(np.float32))
save("short/d1/m2.npy", rng.standard_normal((9, 4)).astype(np.float32))

save("nan/d1/m1.npy", rng.standard_normal((12, 4)).astype(np.float32))
bad = rng.standard_normal((12, 4)).astype(np.float32)
bad[4, 1] = np.nan
save("nan/d1/m2.npy", bad)

rows = ["dataset,model,accuracy"]
for d in ("d1", "d2"):
    for m in ("m1", "m2", "m3", "m4"):
        rows.append(f"{d},{m},{rng.uniform(0.5, 0.95):.4f}")
with open(os.path.join(HERE, "behaviour.csv"), "w") as f:
    f.write("\n".join(rows) + "\n")
with open(os.path.join(HERE, "behaviour_missing.csv"), "w") as f:
    f.write("\n".join(r for r in rows if not r.startswith("d2,m3,")) + "\n")

# Written after every random draw, so the files above do not change.
with open(os.path.join(HERE, "zoo/d1/ids_blank.txt"), "w") as f:
    f.write("".join(f"d1_img{i:02d}\n" for i in range(6)) + "\n" +
            "".join(f"d1_img{i:02d}\n" for i in range(6, 12)))
