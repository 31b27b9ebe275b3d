/* core/host/spill: the column-block reads of the products (sc_spill_fetch)
 * in their reader thread. Expected bytes come from the pattern written
 * (byte at file offset k is k mod 251), the error from sc_spill_read's
 * message for a read past the end of the file. */
#include "../test.h"
#include "spill.h"

static unsigned char pattern(size_t k)
{
    return (unsigned char)(k % 251);
}

/* A spill file of bytes bytes holding the pattern (budget 0: never in
 * memory). */
static int open_pattern(sc_spill *s, size_t bytes)
{
    sc_err err;
    int rc = sc_spill_open(s, bytes, 0, NULL, &err);
    expect_int(rc, SC_OK, "spill file of %zu bytes: %s", bytes, err.msg);
    expect_true(rc != SC_OK || s->spilled, "budget 0: spilled");
    unsigned char buf[4096];
    for (size_t at = 0; rc == SC_OK && at < bytes; at += sizeof buf) {
        size_t n = bytes - at < sizeof buf ? bytes - at : sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = pattern(at + k);
        rc = sc_spill_write(s, buf, n, at, &err);
    }
    return rc;
}

SC_TEST(fetch_reads_every_row_piece)
{
    enum { ROWS = 7, PIECE = 5000, STRIDE = 12289, OFFSET = 333 };
    sc_spill s;
    if (open_pattern(&s, OFFSET + (ROWS - 1) * STRIDE + PIECE) != SC_OK)
        return;
    static unsigned char buf[ROWS * PIECE];
    memset(buf, 0xee, sizeof buf);
    sc_spill_fetch f;
    sc_spill_fetch_start(&f, &s, buf, ROWS, PIECE, STRIDE, OFFSET);
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spill_fetch_wait(&f, &err);
    expect_int(rc, SC_OK, "fetch: %s", err.msg);
    size_t bad = 0;
    for (size_t i = 0; i < ROWS; i++)
        for (size_t k = 0; k < PIECE; k++)
            bad += buf[i * PIECE + k] != pattern(OFFSET + i * STRIDE + k);
    expect_int((long long)bad, 0, "bytes that differ from the pattern");
    sc_spill_close(&s);
}

/* A failed read in the reader thread comes back from wait as the one-line
 * error of sc_spill_read. The last row is read first, so it is the one
 * past the end: 1,000 - 900 = 100 bytes come, the other 200 do not. */
SC_TEST(fetch_error_comes_back)
{
    sc_spill s;
    if (open_pattern(&s, 1000) != SC_OK)
        return;
    static unsigned char buf[4 * 300];
    sc_spill_fetch f;
    sc_spill_fetch_start(&f, &s, buf, 4, 300, 300, 0);
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spill_fetch_wait(&f, &err);
    expect_int(rc, SC_EIO, "read past the end: SC_EIO");
    expect_contains(err.msg,
                    "spill file: read of 200 bytes at offset 1000 failed "
                    "(end of file)",
                    "the message of the failed read");
    sc_spill_fetch_start(&f, &s, buf, 3, 300, 300, 0);
    rc = sc_spill_fetch_wait(&f, &err);
    expect_int(rc, SC_OK, "the rows inside the file still read");
    sc_spill_close(&s);
}

int main(void)
{
    return sc_test_run();
}
