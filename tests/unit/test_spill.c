/* core/host/spill: the column-block reads of the products (sc_spill_fetch)
 * in their reader thread. Expected bytes come from the pattern written
 * (byte at file offset k is k mod 251), the error from sc_spill_read's
 * message for a read past the end of the file. And a store of rows
 * (sc_spill_open_rows) with O_DIRECT and buffered (SIMCON_SPILL_BUFFERED):
 * rows written by the writer thread in chunks, read back in column blocks
 * through aligned spans, against the same rows in memory; and a failed
 * write of the writer thread, whose one line comes back. The gate's
 * deferred reservation: the blocks a file holds come from fstat
 * (st_blocks), the free space from sc_spill_room of the same folder. */
#define _GNU_SOURCE /* O_DIRECT */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ## A store of rows: layout, writer, aligned reads */

enum { LROWS = 5, LEN = 5001, CHUNK = 2048 }; /* float entries */

/* Entry k of row i: exact in float, different in every row and column. */
static float entry(size_t i, size_t k)
{
    return (float)(i * 10007 + k) * 0.5f;
}

/* Row i into the store in chunks of CHUNK entries (the last one 905:
 * 5001 = 2 x 2048 + 905, padded to the alignment), as the engine writes
 * E's rows (simmat.c, write_spilled). */
static int put_row(sc_spill *s, size_t i, sc_err *err)
{
    for (size_t off = 0; off < LEN; off += CHUNK) {
        size_t cnt = LEN - off < CHUNK ? LEN - off : CHUNK;
        void *wb = NULL;
        int rc = sc_spill_take(s, &wb, err);
        if (rc != SC_OK)
            return rc;
        /* A reused buffer holds old bytes: put must zero the padding. */
        memset(wb, 0xab, CHUNK * sizeof(float));
        float *f = wb;
        for (size_t k = 0; k < cnt; k++)
            f[k] = entry(i, off + k);
        rc = sc_spill_put(s, wb, cnt * sizeof(float),
                          i * s->stride + off * sizeof(float), err);
        if (rc != SC_OK)
            return rc;
    }
    return SC_OK;
}

/* Columns [c0, c0 + cols) of every row, read as the products read a block
 * (simmat.c, block_read and product_block), against entry(); the span's
 * bytes past the row's end (the padding) must be zeros. Returns the
 * entries and padding bytes that differ. */
static size_t check_block(const sc_spill *s, size_t c0, size_t cols)
{
    size_t at = 0, piece = sc_spill_span(s, c0 * sizeof(float),
                                         cols * sizeof(float), &at);
    expect_true(at % s->align == 0 && piece % s->align == 0 &&
                    at + piece <= s->stride,
                "block [%zu, +%zu): span [%zu, +%zu) aligned to %zu, within "
                "the stride %zu",
                c0, cols, at, piece, s->align, s->stride);
    unsigned char *raw = malloc(LROWS * piece + s->align);
    unsigned char *buf = sc_spill_aligned(s, raw);
    sc_spill_fetch f;
    sc_spill_fetch_start(&f, s, buf, LROWS, piece, s->stride, at);
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spill_fetch_wait(&f, &err);
    expect_int(rc, SC_OK, "block [%zu, +%zu) reads: %s", c0, cols, err.msg);
    size_t bad = 0;
    for (size_t i = 0; rc == SC_OK && i < LROWS; i++) {
        const unsigned char *row = buf + i * piece;
        for (size_t k = 0; k < cols; k++) {
            float v;
            memcpy(&v, row + (c0 + k) * sizeof(float) - at, sizeof v);
            bad += v != entry(i, c0 + k);
        }
        for (size_t b = LEN * sizeof(float); b < at + piece; b++)
            bad += row[b - at] != 0;
    }
    free(raw);
    return bad;
}

/* Writes LROWS rows (from the last, as threads may) and reads them back in
 * blocks: aligned ones of 1024 entries (the last one partial: 5001 = 4 x
 * 1024 + 905) and odd ones of 777 entries (starts inside an aligned
 * unit). */
static void rows_round_trip(int buffered)
{
    if (buffered)
        setenv("SIMCON_SPILL_BUFFERED", "1", 1);
    else
        unsetenv("SIMCON_SPILL_BUFFERED");
    sc_spill s;
    sc_err err;
    sc_err_clear(&err);
    int rc = sc_spill_open_rows(&s, LROWS, LEN * sizeof(float), 0, NULL, &err);
    unsetenv("SIMCON_SPILL_BUFFERED");
    expect_int(rc, SC_OK, "open rows (buffered %d): %s", buffered, err.msg);
    if (rc != SC_OK)
        return;
    expect_int(s.spilled, 1, "budget 0: spilled");
    /* /tmp (or TMPDIR) takes O_DIRECT on ext4, xfs and tmpfs from Linux
     * 6.6; the buffered store keeps the unpadded layout of sc_spill_open. */
    int fl = fcntl(s.fd, F_GETFL);
    printf("# buffered %d: O_DIRECT %s, align %zu\n", buffered,
           fl >= 0 && (fl & O_DIRECT) ? "on" : "off", s.align);
    expect_int(fl >= 0 && (fl & O_DIRECT) != 0, s.align > 1,
               "O_DIRECT on exactly when the rows are aligned");
    if (buffered)
        expect_int((long long)s.align, 1, "buffered: no alignment");
    size_t want = (LEN * sizeof(float) + s.align - 1) / s.align * s.align;
    expect_int((long long)s.stride, (long long)want,
               "stride: the row's 20,004 bytes rounded up to %zu", s.align);
    rc = sc_spill_writer_start(&s, 3, CHUNK * sizeof(float), &err);
    expect_int(rc, SC_OK, "writer starts: %s", err.msg);
    for (size_t i = LROWS; rc == SC_OK && i-- > 0;)
        rc = put_row(&s, i, &err);
    expect_int(rc, SC_OK, "rows queued: %s", err.msg);
    int frc = sc_spill_writer_finish(&s, &err);
    expect_int(frc, SC_OK, "writer finishes: %s", err.msg);
    if (rc == SC_OK && frc == SC_OK) {
        size_t bad = 0;
        for (size_t c0 = 0; c0 < LEN; c0 += 1024)
            bad += check_block(&s, c0, LEN - c0 < 1024 ? LEN - c0 : 1024);
        for (size_t c0 = 0; c0 < LEN; c0 += 777)
            bad += check_block(&s, c0, LEN - c0 < 777 ? LEN - c0 : 777);
        expect_int((long long)bad, 0,
                   "entries (and padding bytes) that differ from the rows in "
                   "memory (buffered %d)",
                   buffered);
        /* No transfer fell back to buffered (spill_io on EINVAL), which
         * would hide a misaligned one. */
        int now = fcntl(s.fd, F_GETFL);
        expect_int(now >= 0 && (now & O_DIRECT) != 0, s.align > 1,
                   "O_DIRECT still as opened after the transfers");
    }
    sc_spill_close(&s);
}

SC_TEST(rows_direct_round_trip)
{
    rows_round_trip(0);
}

SC_TEST(rows_buffered_round_trip)
{
    rows_round_trip(1);
}

/* The spill's descriptor made read-only (dup2 of /dev/null): the writer
 * thread's first write fails with EBADF. Its one line comes back from the
 * next take or put, from every later one, and from finish, always naming
 * the first failed write (offset 0): later writes are not tried. */
SC_TEST(writer_error_comes_back)
{
    sc_spill s;
    sc_err err;
    sc_err_clear(&err);
    int rc =
        sc_spill_open_rows(&s, 2, 3 * CHUNK * sizeof(float), 0, NULL, &err);
    expect_int(rc, SC_OK, "open rows: %s", err.msg);
    int ro = open("/dev/null", O_RDONLY);
    if (rc != SC_OK || ro < 0 || dup2(ro, s.fd) < 0) {
        expect_true(0, "a read-only descriptor in place of the file");
        if (rc == SC_OK)
            sc_spill_close(&s);
        return;
    }
    close(ro);
    rc = sc_spill_writer_start(&s, 2, CHUNK * sizeof(float), &err);
    expect_int(rc, SC_OK, "writer starts: %s", err.msg);
    if (rc != SC_OK) {
        sc_spill_close(&s);
        return;
    }
    void *wb = NULL;
    rc = sc_spill_take(&s, &wb, &err);
    expect_int(rc, SC_OK, "the first buffer: %s", err.msg);
    rc = sc_spill_put(&s, wb, CHUNK * sizeof(float), 0, &err);
    expect_int(rc, SC_OK, "the first write is queued");
    /* The writer fails while these go on; bounded, for it fails at once. */
    size_t tries = 0;
    for (size_t off = CHUNK * sizeof(float); rc == SC_OK && tries < 100000;
         tries++) {
        rc = sc_spill_take(&s, &wb, &err);
        if (rc == SC_OK)
            rc = sc_spill_put(&s, wb, CHUNK * sizeof(float), off, &err);
    }
    expect_int(rc, SC_EIO, "a take or put after the failure: SC_EIO");
    const char *line = "spill file: write of 8192 bytes at offset 0 failed "
                       "(Bad file descriptor); free disk space or use "
                       "another cache directory";
    expect_contains(err.msg, line, "the first failed write's line");
    expect_true(strchr(err.msg, '\n') == NULL, "one line");
    sc_err_clear(&err);
    rc = sc_spill_take(&s, &wb, &err);
    expect_int(rc, SC_EIO, "every later take fails too");
    expect_contains(err.msg, line, "with the same line");
    sc_err_clear(&err);
    rc = sc_spill_writer_finish(&s, &err);
    expect_int(rc, SC_EIO, "finish: SC_EIO");
    expect_contains(err.msg, line, "finish: the same line");
    expect_true(s.w == NULL, "finish joined the thread and freed it");
    sc_spill_close(&s);
}

/* Bytes of disk s's file holds (st_blocks are 512-byte units). */
static long long file_blocks(const sc_spill *s)
{
    struct stat st;
    return fstat(s->fd, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
}

/* An E opened while the gate holds bytes is sparse and waits; closing the
 * last held E reserves it. The held E here is a stand-in of 1 TB (no
 * file), so that the free space the gate reports differs from the plain
 * one by far more than other writers on the disk change it. */
SC_TEST(gate_reserves_when_the_held_e_closes)
{
    enum { BYTES = 1 << 20 };
    unsetenv("SIMCON_SPILL_FREE_BYTES");
    sc_spill_gate g;
    sc_spill_gate_init(&g);
    sc_spill held = {0};
    held.fd = -1;
    held.spilled = 1;
    held.bytes = (size_t)1 << 40;
    sc_spill_gate_hold(&g, &held);
    sc_err err;
    size_t f0 = 0, u0 = 0, f1 = 0, u1 = 0;
    const char *dir = sc_spill_dir(NULL);
    int rc = sc_spill_room(dir, &f0, &u0, &err);
    expect_int(rc, SC_OK, "room: %s", err.msg);
    rc = sc_spill_gate_room(&g, dir, &f1, &u1, &err);
    expect_int(rc, SC_OK, "gate room: %s", err.msg);
    double extra = (double)f1 - (double)f0 - (double)held.bytes;
    expect_true(extra > -1e9 && extra < 1e9,
                "the held 1 TB counts as free (plain %zu, gate %zu)", f0, f1);
    setenv("SIMCON_SPILL_FREE_BYTES", "5000000", 1);
    rc = sc_spill_gate_room(&g, dir, &f1, &u1, &err);
    expect_true(rc == SC_OK && f1 == 5000000 && u1 == 5000000,
                "the test-only override is taken as is: %zu", f1);
    unsetenv("SIMCON_SPILL_FREE_BYTES");

    sc_spill w, gone;
    rc = sc_spill_open_rows_gated(&w, 1, BYTES, 0, NULL, &g, &err);
    expect_int(rc, SC_OK, "gated open: %s", err.msg);
    rc = sc_spill_open_rows_gated(&gone, 1, BYTES, 0, NULL, &g, &err);
    expect_int(rc, SC_OK, "second gated open: %s", err.msg);
    if (rc != SC_OK)
        return;
    expect_true(w.waiting && gone.waiting, "both wait behind the gate");
    expect_true(file_blocks(&w) < BYTES, "sparse while waiting: %lld bytes",
                file_blocks(&w));
    sc_spill_close(&gone); /* leaves the waiting list before its fd goes */
    /* One aligned page (O_DIRECT) at the end of the file. */
    static _Alignas(4096) unsigned char page[4096];
    memset(page, 7, sizeof page);
    rc = sc_spill_write(&w, page, sizeof page, BYTES - sizeof page, &err);
    expect_int(rc, SC_OK, "a write while waiting: %s", err.msg);
    sc_spill_close(&held); /* the last held E: w is reserved now */
    expect_true(!w.waiting, "no longer waiting");
    expect_true(file_blocks(&w) >= BYTES, "reserved: %lld bytes of %d",
                file_blocks(&w), BYTES);
    expect_int(sc_spill_reserved(&w, NULL, &err), SC_OK, "reservation ok");
    memset(page, 0, sizeof page);
    rc = sc_spill_read(&w, page, sizeof page, BYTES - sizeof page, &err);
    expect_true(rc == SC_OK && page[0] == 7 && page[sizeof page - 1] == 7,
                "the page written before stays");
    /* Nothing held: a new E is reserved at once. */
    sc_spill now;
    rc = sc_spill_open_rows_gated(&now, 1, BYTES, 0, NULL, &g, &err);
    expect_true(rc == SC_OK && !now.waiting && file_blocks(&now) >= BYTES,
                "reserved at open when nothing is held");
    sc_spill_close(&now);
    sc_spill_close(&w);
    sc_spill_gate_deinit(&g);
}

int main(void)
{
    return sc_test_run();
}
