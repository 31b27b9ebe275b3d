#!/usr/bin/python3
"""Write the .npy fixtures for tests/unit/test_npy.c with NumPy itself.

Purpose: the C reader (core/io/npy.c) must agree with NumPy's own writer, so every
valid fixture is produced by numpy.lib.format.write_array, and the expected
values are written next to it by Python (values.txt: `repr(float(x))` of each
element in row-major order, i.e. NumPy's own conversion to double). The C test
compares against that file, never against output of our code.

Malformed fixtures are valid NumPy files cut or patched at a documented place,
or files whose dtype/shape simcon must refuse (object, complex, structured,
strings, bool, 3-D, scalar, NaN/Inf, empty shapes).

Run:   /usr/bin/python3 tests/npy/make_fixtures.py   (from the repository root)
Generated with NumPy 1.24.2 on Python 3.11 (Debian 12 python3-numpy); the
version actually used is recorded in fixtures/README. Output is deterministic:
rerunning it must produce byte-identical files (check with `git diff`).
"""
import io
import os
import sys

import numpy as np
from numpy.lib import format as npf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

# High-entropy base values (3 x 4); small enough for every float dtype to
# round-trip through float64 exactly once rounded to that dtype.
BASE = np.array([[2.385, -0.0117, 1.0e-3, 7.25],
                 [-3.5e2, 0.3333, 12.125, -0.5],
                 [6.02e-1, -1.75, 4096.5, 1.0e4]])

values_lines = []


def write(name, arr, version=(1, 0), record=True):
    """Write arr with NumPy's writer; record its float64 values if valid."""
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        npf.write_array(f, arr, version=version, allow_pickle=True)
    if record:
        a2 = np.atleast_2d(arr.T).T if arr.ndim == 1 else arr  # n -> n x 1
        rows, cols = a2.shape
        vals = [repr(float(v)) for v in np.asarray(a2).ravel(order="C")]
        values_lines.append(" ".join([name, str(rows), str(cols)] + vals))


def raw(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def header_bytes(arr, version=(1, 0)):
    buf = io.BytesIO()
    npf.write_array(buf, arr, version=version)
    full = buf.getvalue()
    return full, full[: len(full) - arr.nbytes]


def hand_header(dict_text, version=(1, 0), align=64):
    """A header dict written by hand (for parser robustness tests)."""
    magic = b"\x93NUMPY" + bytes(version)
    lenlen = 2 if version[0] == 1 else 4
    body = dict_text.encode("latin1")
    total = len(magic) + lenlen + len(body) + 1
    pad = (-total) % align
    body = body + b" " * pad + b"\n"
    return magic + len(body).to_bytes(lenlen, "little") + body


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    # ## Valid: float64 in every version and order.
    write("f8_c_v1.npy", BASE.astype("<f8"), (1, 0))
    write("f8_c_v2.npy", BASE.astype("<f8"), (2, 0))
    write("f8_c_v3.npy", BASE.astype("<f8"), (3, 0))
    write("f8_f_v1.npy", np.asfortranarray(BASE.astype("<f8")), (1, 0))
    write("f8_be_c.npy", BASE.astype(">f8"), (1, 0))
    write("f8_be_f.npy", np.asfortranarray(BASE.astype(">f8")), (2, 0))
    write("f4_c.npy", BASE.astype("<f4"))
    write("f4_f.npy", np.asfortranarray(BASE.astype("<f4")))
    write("f4_be_c.npy", BASE.astype(">f4"))
    # Half floats: normal, subnormal (2**-24 smallest, 2**-20), the largest
    # finite (65504), the smallest normal (2**-14), signed zero, and values
    # that round (2.385 -> 2.384765625).
    half = np.array([[2.385, -0.0117, 65504.0],
                     [2.0 ** -24, -(2.0 ** -20), 2.0 ** -14],
                     [-0.0, 1.0e-3, -1234.5]])
    write("f2_c.npy", half.astype("<f2"))
    write("f2_be_f.npy", np.asfortranarray(half.astype(">f2")))

    # ## Valid: integers, including each type's extremes.
    ints = {
        "|u1": [[0, 255, 17], [200, 3, 128]],
        "|i1": [[-128, 127, -7], [0, 42, -1]],
        "<i2": [[-32768, 32767, -1234], [5, 0, -1]],
        "<u2": [[0, 65535, 4321], [1, 2, 3]],
        "<i4": [[-2147483648, 2147483647, -98765], [7, 0, -1]],
        "<u4": [[0, 4294967295, 123456789], [1, 2, 3]],
        "<i8": [[-9223372036854775808, 9223372036854775807, -3],
                [9007199254740993, 0, -1]],
        "<u8": [[0, 18446744073709551615, 3], [9007199254740993, 1, 2]],
    }
    for dt, v in ints.items():
        tag = dt[1:]
        a = np.array(v, dtype=dt)
        write("%s_c.npy" % tag, a)
        if dt[0] == "<":
            write("%s_be_f.npy" % tag,
                  np.asfortranarray(a.astype(">" + tag)), (2, 0))

    # ## Valid: 1-D (n,) becomes n x 1.
    write("vec_f8.npy", np.array([2.385, -0.0117, 3.5e-7, -8.0, 1.0e300]))
    # ## Valid: hand-written headers NumPy would accept (keys reordered,
    # spaces, no trailing comma, double quotes, 16-byte alignment).
    data = BASE[:2, :3].astype("<f8")
    body = data.tobytes(order="C")
    raw("hdr_reordered.npy",
        hand_header("{ 'shape' : ( 2 , 3 ) , 'fortran_order':False,"
                    "'descr':'<f8'  }") + body)
    raw("hdr_dquote_align16.npy",
        hand_header('{"descr": "<f8", "fortran_order": False, '
                    '"shape": (2, 3),}', align=16) + body)
    for name in ("hdr_reordered.npy", "hdr_dquote_align16.npy"):
        values_lines.append(" ".join(
            [name, "2", "3"] + [repr(float(x)) for x in data.ravel()]))

    # ## Malformed or refused.
    good, hdr = header_bytes(BASE.astype("<f8"))
    raw("bad_magic.npy", b"\x93NUMPZ" + good[6:])
    raw("bad_version.npy", good[:6] + bytes([4, 0]) + good[8:])
    raw("trunc_header.npy", good[:40])
    raw("trunc_data.npy", good[:-8])          # 96 bytes expected, 88 present
    raw("extra_data.npy", good + b"\0" * 8)   # 104 present, 96 expected
    raw("empty_file.npy", b"")
    raw("short_file.npy", good[:7])
    raw("not_dict.npy", hand_header("['descr', '<f8']") + body)
    # A NUL byte inside the descr string (issue 18, defect 15): the
    # message must show it, not print a dtype that looks supported.
    raw("descr_nul.npy",
        hand_header("{'descr': '<f8\0', 'fortran_order': False, "
                    "'shape': (2, 3), }") + body)
    raw("missing_shape.npy",
        hand_header("{'descr': '<f8', 'fortran_order': False, }") + body)
    raw("bad_fortran.npy",
        hand_header("{'descr': '<f8', 'fortran_order': 0, "
                    "'shape': (2, 3), }") + body)
    raw("huge_shape.npy",
        hand_header("{'descr': '<f8', 'fortran_order': False, "
                    "'shape': (4294967296, 4294967296), }") + body)
    raw("big_shape.npy",
        hand_header("{'descr': '<f8', 'fortran_order': False, "
                    "'shape': (4294967296, 4), }") + body)
    raw("overflow_dim.npy",
        hand_header("{'descr': '<f8', 'fortran_order': False, "
                    "'shape': (99999999999999999999999, 3), }") + body)
    write("object.npy", np.array([[1, "a"], [2.5, None]], dtype=object),
          record=False)
    write("complex.npy", np.array([[1 + 2j, 3.5 - 1j]], dtype="<c16"),
          record=False)
    write("structured.npy",
          np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")]), record=False)
    write("unicode.npy", np.array([["ab", "c"]], dtype="<U2"), record=False)
    write("bool.npy", np.array([[True, False]]), record=False)
    write("longdouble.npy", np.zeros((2, 2), dtype="<f16"), record=False)
    write("three_d.npy", np.zeros((2, 3, 4)), record=False)
    write("scalar.npy", np.array(2.385), record=False)
    write("zero_rows.npy", np.zeros((0, 3)), record=False)
    write("zero_cols.npy", np.zeros((3, 0)), record=False)
    a = BASE.copy()
    a[2, 1] = np.nan                          # row 2, column 1 (0-based)
    write("nan.npy", a, record=False)
    a = BASE.astype("<f4")
    a[1, 3] = -np.inf                         # row 1, column 3 (0-based)
    write("inf_f4.npy", a, record=False)
    a = np.asfortranarray(BASE.copy())
    a[0, 2] = np.inf                          # row 0, column 2 (0-based)
    a[2, 0] = np.nan                          # later in row-major order
    write("inf_fortran.npy", a, record=False)
    h = np.array([[1.0, np.nan]], dtype="<f2")  # half NaN at row 0, col 1
    write("nan_f2.npy", h, record=False)

    with open(os.path.join(OUT, "values.txt"), "w") as f:
        f.write("# name rows cols values... (row-major, repr(float(x)) by "
                "NumPy %s)\n" % np.__version__)
        f.write("\n".join(values_lines) + "\n")
    with open(os.path.join(OUT, "README"), "w") as f:
        f.write("Generated by tests/npy/make_fixtures.py with NumPy %s on "
                "Python %s.\nDo not edit by hand; rerun the script.\n"
                % (np.__version__, sys.version.split()[0]))


if __name__ == "__main__":
    main()
