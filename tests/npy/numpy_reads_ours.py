#!/usr/bin/python3
"""NumPy reads what sc_npy_save writes (CTest npy.numpy_reads_ours).

Runs the npy_write_ours program (tests/npy/write_ours.c), then opens its
output with NumPy's own reader and checks format version 1.0, a 64-byte
aligned header (numpy.lib.format.ARRAY_ALIGN), dtype '<f8', C order,
shape (4, 3) and every value bit for bit against the literals below, which
must match write_ours.c. Written for NumPy 1.24.2 (Debian 12); run with
/usr/bin/python3. Exit status 0 = pass; otherwise one line says what broke.
Usage: numpy_reads_ours.py <npy_write_ours> <out.npy>
"""
import os
import subprocess
import sys

import numpy as np
from numpy.lib import format as npf

WANT = np.array([[2.385, -0.0117, 1e-300],
                 [-7.25e12, 0.1, 3.0],
                 [-0.0, 1.7976931348623157e308, 4.9406564584124654e-324],
                 [12.125, -350.0, 0.3333]], dtype="<f8")


def main():
    exe, out = sys.argv[1], sys.argv[2]
    if os.path.exists(out):
        os.remove(out)
    subprocess.run([exe, out], check=True)
    with open(out, "rb") as f:
        version = npf.read_magic(f)
        shape, fortran, dtype = npf.read_array_header_1_0(f)
        offset = f.tell()
    assert version == (1, 0), "version %r, want (1, 0)" % (version,)
    assert offset % 64 == 0, "data offset %d is not 64-byte aligned" % offset
    assert dtype.str == "<f8", "dtype %s, want <f8" % dtype.str
    assert not fortran, "fortran_order True, want False"
    assert shape == (4, 3), "shape %r, want (4, 3)" % (shape,)
    a = np.load(out, allow_pickle=False)
    assert a.shape == (4, 3)
    # Compare bit patterns: -0.0 and the subnormal must survive exactly.
    same = a.view("<u8") == WANT.view("<u8")
    assert same.all(), "values differ at %r" % (np.argwhere(~same).tolist(),)
    leftovers = [n for n in os.listdir(os.path.dirname(out) or ".")
                 if ".tmp." in n]
    assert not leftovers, "temporary files left: %r" % leftovers
    print("ok - NumPy %s reads sc_npy_save output: version 1.0, <f8, (4, 3), "
          "12 values bit-exact" % np.__version__)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, subprocess.CalledProcessError) as e:
        print("not ok - %s" % e)
        sys.exit(1)
