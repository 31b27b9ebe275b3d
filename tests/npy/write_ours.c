/* Writes one known matrix with sc_npy_save for numpy_reads_ours.py.
 *
 * Purpose: prove that NumPy itself reads what simcon writes (dtype, shape,
 * order, version and every bit of every value). The values below are
 * repeated as literals in numpy_reads_ours.py; the two files must agree.
 * Usage: npy_write_ours <out.npy>; exit 0 on success, 1 with one line on
 * stderr otherwise. */
#include <stdio.h>
#include <string.h>

#include "npy.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: npy_write_ours <out.npy>\n");
        return 2;
    }
    /* 4 x 3, row-major; extremes of the double range and a negative zero
     * check that bytes go out unchanged. */
    static const double values[12] = {
        2.385,  -0.0117, 1e-300, -7.25e12, 0.1,    3.0,
        -0.0,   1.7976931348623157e308, 4.9406564584124654e-324,
        12.125, -350.0,  0.3333};
    sc_matrix m;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_matrix_init(&m, 4, 3, &err);
    if (rc == SC_OK) {
        memcpy(m.data, values, sizeof values);
        rc = sc_npy_save(argv[1], &m, &err);
    }
    sc_matrix_deinit(&m);
    if (rc != SC_OK) {
        fprintf(stderr, "npy_write_ours: %s\n", err.msg);
        return 1;
    }
    return 0;
}
