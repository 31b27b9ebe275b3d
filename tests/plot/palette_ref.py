#!/usr/bin/python3
"""Reference colours for core/report/svg.c's palettes, printed from matplotlib.

Run separately (not by CTest: CI does not install matplotlib), with the
Debian python (/usr/bin/python3; matplotlib 3.6.3, numpy 1.24.2 when the
tables were made):

    /usr/bin/python3 tests/plot/palette_ref.py

Prints (1) the 33 viridis anchors at indices 0, 8, ..., 248, 255 of
matplotlib's 256-entry table and the 11 RdBu anchors (ColorBrewer's
11-class scheme, matplotlib's _RdBu_data), as the C initialisers copied
into core/report/svg.c; (2) test points between anchors that tests/unit/test_svg.c
checks (the interpolated C colour must be within 2/255 per channel of
matplotlib's own value at the same t).
"""
import matplotlib
from matplotlib import cm

def hx(rgb):
    return "{%d, %d, %d}" % tuple(int(round(255 * c)) for c in rgb[:3])

vir = matplotlib.colormaps["viridis"]
idx = list(range(0, 256, 8)) + [255]
print("/* viridis anchors, t = index/255 */")
for i in idx:
    print("    {%.10f, %s}," % (i / 255.0, hx(vir.colors[i])))
rdbu = matplotlib.colormaps["RdBu"]
print("/* RdBu: 11 anchors at t = k/10 */")
for k in range(11):
    print("    %s," % hx(rdbu(k / 10.0)))
print("/* test points */")
for t in (0.0, 0.1234, 0.5, 0.777, 1.0):
    print("viridis", t, hx(vir(t)))
for v in (-1.0, -0.33, 0.0, 0.41, 1.0):
    print("rdbu", v, hx(rdbu((v + 1) / 2)))
print("matplotlib", matplotlib.__version__)
