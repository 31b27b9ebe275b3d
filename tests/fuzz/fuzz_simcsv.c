/* libFuzzer harness: the similarity-CSV reader (core/io/simcsv.c).
 *
 * Each input is one similarity CSV, handed to sc_simcsv_read through an
 * in-memory file. Checked contract (simcsv.h): a success gives m >= 1 unique,
 * non-empty names without ',', '"', CR or LF and an m x m matrix of finite
 * values; aligning the matrix to itself is the identity; a failure leaves
 * the struct empty with a documented status and a message naming the file. */
#define _GNU_SOURCE
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "simcsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pathbuf[4200];
    const char *path =
        sc_fuzz_file(pathbuf, sizeof pathbuf, "sim.csv", data, size);
    sc_simmat sm;
    memset(&sm, 0xA5, sizeof sm); /* the reader must not rely on zeroed */
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_simcsv_read(path, &sm, &err);
    if (rc != SC_OK) {
        sc_fuzz_check_err(rc, &err);
        sc_fuzz_check(rc == SC_EIO || rc == SC_ENUMERIC || rc == SC_ENOMEM,
                      "undocumented status");
        sc_fuzz_check(strncmp(err.msg, path, strlen(path)) == 0,
                      "message does not start with the path");
        sc_fuzz_check(sm.m == 0 && sm.names == NULL && sm.s.data == NULL,
                      "failed read left a partial matrix");
        sc_simmat_deinit(&sm);
        return 0;
    }
    size_t m = sm.m;
    sc_fuzz_check(m >= 1 && sm.s.rows == m && sm.s.cols == m,
                  "bad shape on success");
    for (size_t i = 0; i < m; i++) {
        sc_fuzz_check(sm.names[i] && sm.names[i][0], "empty name");
        sc_fuzz_check(strpbrk(sm.names[i], ",\"\r\n") == NULL,
                      "name with a forbidden character");
        for (size_t j = 0; j < i; j++)
            sc_fuzz_check(strcmp(sm.names[i], sm.names[j]) != 0,
                          "duplicate name accepted");
    }
    for (size_t i = 0; i < m * m; i++)
        sc_fuzz_check(isfinite(sm.s.data[i]), "non-finite value accepted");

    sc_simmat al = {0};
    sc_err_clear(&err);
    rc = sc_simmat_align(&sm, "a", &sm, "b", &al, &err);
    sc_fuzz_check(rc == SC_OK, "aligning a matrix to itself failed");
    sc_fuzz_check(al.m == m, "align changed the size");
    for (size_t i = 0; i < m * m; i++)
        sc_fuzz_check(memcmp(&al.s.data[i], &sm.s.data[i], sizeof(double)) == 0,
                      "align to itself is not the identity");
    sc_simmat_deinit(&al);
    sc_simmat_deinit(&sm);
    return 0;
}
