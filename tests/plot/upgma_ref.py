#!/usr/bin/python3
"""Reference for sc_upgma (tests/plot/test_plot.c): scipy's average
linkage on a fixed 7-point Euclidean distance matrix with no tied
distances. Run separately with the Debian python (scipy 1.10.1, numpy
1.24.2 when the values were recorded):

    /usr/bin/python3 tests/plot/upgma_ref.py

Prints the distance matrix (%.17g, pasted into the test), the merge heights
Z[:, 2] and the leaf order leaves_list(Z)."""
import numpy as np
import scipy
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import pdist, squareform

pts = np.array([[0.385, 2.71], [1.414, 0.577], [3.1416, 2.236],
                [0.618, 1.732], [2.9979, 0.6931], [1.2021, 3.3219],
                [2.502, 1.6449]])
d = pdist(pts)
Z = linkage(d, method="average")
D = squareform(d)
print("distances:")
for row in D:
    print("    " + ", ".join("%.17g" % v for v in row) + ",")
print("heights:", ", ".join("%.17g" % v for v in Z[:, 2]))
print("children:", [(int(a), int(b)) for a, b in Z[:, :2]])
print("leaves:", ", ".join(str(v) for v in leaves_list(Z)))
print("scipy", scipy.__version__, "numpy", np.__version__)
