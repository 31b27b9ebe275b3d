/* libFuzzer harness: the .npy reader (core/io/npy.c).
 *
 * Each input is one .npy file, handed to sc_npy_load and sc_npy_peek through
 * a temporary file. Besides memory errors (ASan) and undefined behaviour
 * (UBSan) it checks the contract of npy.h: a success gives rows, cols >= 1
 * and only finite values; a failure leaves the matrix empty, gives a status
 * of the documented set and a message that starts with the path; peek and
 * load agree on the shape, and peek never accepts what load refuses for a
 * reason other than the values (NaN/Inf, memory). */
#define _GNU_SOURCE
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pathbuf[4200];
    const char *path =
        sc_fuzz_file(pathbuf, sizeof pathbuf, "fuzz.npy", data, size);

    sc_matrix m;
    memset(&m, 0xA5, sizeof m); /* the reader must not rely on a zeroed m */
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_npy_load(path, &m, &err);
    if (rc == SC_OK) {
        sc_fuzz_check(m.rows >= 1 && m.cols >= 1 && m.data != NULL,
                      "load succeeded with an empty matrix");
        for (size_t i = 0; i < m.rows * m.cols; i++)
            sc_fuzz_check(isfinite(m.data[i]), "load returned a non-finite");
    } else {
        sc_fuzz_check_err(rc, &err);
        sc_fuzz_check(rc == SC_EIO || rc == SC_ENUMERIC || rc == SC_ENOMEM,
                      "undocumented status");
        sc_fuzz_check(m.rows == 0 && m.cols == 0 && m.data == NULL,
                      "failed load left a partial matrix");
        sc_fuzz_check(strncmp(err.msg, path, strlen(path)) == 0,
                      "message does not start with the path");
    }

    size_t rows = 7, cols = 9;
    sc_err perr;
    sc_err_clear(&perr);
    int prc = sc_npy_peek(path, &rows, &cols, &perr);
    if (prc == SC_OK) {
        if (rc == SC_OK)
            sc_fuzz_check(rows == m.rows && cols == m.cols,
                          "peek and load disagree on the shape");
        else
            sc_fuzz_check(rc == SC_ENUMERIC || rc == SC_ENOMEM,
                          "peek accepted a file load refuses as malformed");
    } else {
        sc_fuzz_check_err(prc, &perr);
        sc_fuzz_check(prc == SC_EIO, "peek: undocumented status");
        sc_fuzz_check(rows == 7 && cols == 9, "failed peek wrote the shape");
        sc_fuzz_check(rc != SC_OK, "peek refused a file load accepts");
    }
    sc_matrix_deinit(&m);
    return 0;
}
