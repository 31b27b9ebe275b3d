/* NumPy .npy reader and writer (see npy.h for the contract and references).
 *
 * Reading is three steps, each with its own error messages:
 *   1. map:    open, fstat, mmap the whole file read-only (closed right after
 *              mapping; the mapping keeps the pages reachable), all its
 *              pages asked for at once (POSIX_MADV_WILLNEED);
 *   2. header: magic, version, header length, then the header dict, parsed
 *              by a small hand-written scanner (keys in any order, any
 *              spacing, optional trailing comma, single or double quotes);
 *   3. data:   one pass from the mapping into the 64-byte aligned matrix,
 *              through a converter picked once per file, then one scan for
 *              NaN/Inf (float dtypes only; integers are always finite).
 * Every multi-byte value is assembled byte by byte in the file's byte order,
 * so the code is correct on either host endianness and never does an
 * unaligned load (compilers turn the pattern into one load + bswap).
 *
 * Hand-written numerics: the float16 -> double conversion. No dependency of
 * ours (GSL, OpenBLAS, libc) converts IEEE binary16, and it is exact by
 * construction: every half value is m * 2^e with an 11-bit m, which ldexp
 * represents exactly in a double.
 *
 * Invariant: the only allocation is the output matrix, so a failure after it
 * frees exactly that; the mapping is always unmapped before returning.
 * Known limit: if another process truncates the file while it is mapped,
 * reading the vanished pages raises SIGBUS; inputs are assumed not to be
 * rewritten during a run. */
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "mem.h"
#include "npz.h"
#include "sniff.h"

_Static_assert(sizeof(float) == 4 && sizeof(double) == 8,
               "npy.c reinterprets IEEE binary32/binary64 bit patterns");

/* ## Messages */

#define SUPPORTED_DTYPES                                                       \
    "supported: float16/32/64 and (u)int8/16/32/64 in either byte order, "     \
    "e.g. '<f8', '<f4', '<f2', '|u1', '<i8'"

/* Fill err with "<path>: <formatted text>" and return code. */
__attribute__((format(printf, 4, 5))) static int
fail(sc_err *err, int code, const char *path, const char *fmt, ...)
{
    char text[SC_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return sc_err_set(err, code, "%s: %s", path, text);
}

/* ## Mapping */

typedef struct mapping {
    const unsigned char *base; /* NULL when nothing is mapped */
    size_t size;
    unsigned char *owned; /* an .npz member's bytes (npz.h): freed, not
                             unmapped */
} mapping;

/* The magic string, two version bytes, and a header length of 2 or 4
 * bytes: the smallest prefix that tells us where the header ends. */
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_PREAMBLE_MIN (NPY_MAGIC_LEN + 2 + 2)

/* An .npz member (npz.h) instead of a file: its bytes in memory. */
static int map_npz(const char *path, mapping *map, sc_err *err)
{
    int rc = sc_npz_read(path, &map->owned, &map->size, err);
    if (rc != SC_OK)
        return rc;
    map->base = map->owned;
    if (map->size < NPY_PREAMBLE_MIN) {
        sc_free(map->owned);
        map->owned = NULL;
        map->base = NULL;
        return fail(err, SC_EIO, path,
                    "truncated header: the member has %zu bytes, a .npy "
                    "array has at least %d",
                    map->size, NPY_PREAMBLE_MIN);
    }
    return SC_OK;
}

static int map_file(const char *path, mapping *map, sc_err *err)
{
    map->owned = NULL;
    if (sc_npz_is_npz(path))
        return map_npz(path, map, err);
    map->base = NULL;
    map->size = 0;
    /* Non-blocking open, then fstat: a FIFO is refused, never waited on. */
    int fd = sc_open_regular(path);
    if (fd == SC_NOT_REGULAR)
        return fail(err, SC_EIO, path,
                    "not a regular file; give the path of a .npy file");
    if (fd < 0)
        return fail(err, SC_EIO, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(err, SC_EIO, path, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, SC_EIO, path,
                    "not a regular file; give the path of a .npy file");
    }
    if (st.st_size < NPY_PREAMBLE_MIN) {
        close(fd);
        return fail(err, SC_EIO, path,
                    "truncated header: file has %lld bytes, a .npy file has "
                    "at least %d; is this a .npy file?",
                    (long long)st.st_size, NPY_PREAMBLE_MIN);
    }
    if ((uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
        close(fd);
        return fail(err, SC_EIO, path,
                    "file of %lld bytes does not fit in the address space",
                    (long long)st.st_size);
    }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd); /* the mapping holds its own reference to the file */
    if (p == MAP_FAILED)
        return fail(err, SC_EIO, path, "cannot mmap: %s", strerror(e));
    /* The data pass reads every page once, in order: ask for all of them
     * now (one large read in the background) rather than fault them in a
     * readahead window at a time. A hint; its failure changes nothing. */
    (void)posix_madvise(p, size, POSIX_MADV_WILLNEED);
    map->base = p;
    map->size = size;
    return SC_OK;
}

static void unmap_file(mapping *map)
{
    if (map->owned != NULL) {
        sc_free(map->owned);
        map->owned = NULL;
    } else if (map->base != NULL) {
        /* munmap takes void *; the const was only ours. */
        void *p;
        memcpy(&p, &map->base, sizeof p);
        munmap(p, map->size);
    }
    map->base = NULL;
    map->size = 0;
}

/* ## Header */

enum dtype_kind { KIND_FLOAT, KIND_INT, KIND_UINT };

#define SHAPE_TEXT_MAX 96 /* enough for any shape we would print */
#define NPY_MAX_DIMS 32   /* numpy's own limit (NPY_MAXDIMS) */

typedef struct npy_header {
    size_t data_offset;         /* bytes before the data                  */
    int kind;                   /* enum dtype_kind                        */
    size_t itemsize;            /* 1, 2, 4 or 8                           */
    bool big_endian;            /* byte order of multi-byte items         */
    bool fortran;               /* column-major data                      */
    size_t rows, cols;          /* as loaded: 1-D (n,) is n x 1; N-D is
                                   n x prod(rest) (used only flattened)   */
    size_t ndim;                /* dimensions in the file                 */
    size_t dims[NPY_MAX_DIMS];  /* their extents                          */
    size_t data_bytes;          /* rows * cols * itemsize, overflow-checked */
    char descr[32];             /* dtype text for messages, NUL-terminated */
    char shape[SHAPE_TEXT_MAX]; /* shape text for messages, e.g. "(3, 4)" */
} npy_header;

typedef struct scanner {
    const char *p, *end;
    const char *path;
    sc_err *err;
} scanner;

static void skip_ws(scanner *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int bad_header(scanner *s, const char *what)
{
    if (s->p >= s->end)
        return fail(s->err, SC_EIO, s->path,
                    "malformed header: %s, found end of header; re-save the "
                    "array with numpy.save",
                    what);
    return fail(s->err, SC_EIO, s->path,
                "malformed header: %s, found '%c'; re-save the array with "
                "numpy.save",
                what, *s->p);
}

static int expect_char(scanner *s, char c, const char *what)
{
    skip_ws(s);
    if (s->p >= s->end || *s->p != c)
        return bad_header(s, what);
    s->p++;
    return SC_OK;
}

/* After an item of a tuple or dict: skip a ',' (*more true) or stop at
 * close (*more false, s->p on it); anything else is the error what. */
static int after_item(scanner *s, char close, const char *what, bool *more)
{
    skip_ws(s);
    *more = s->p < s->end && *s->p == ',';
    if (*more) {
        s->p++;
        return SC_OK;
    }
    return s->p < s->end && *s->p == close ? SC_OK : bad_header(s, what);
}

/* A quoted Python string literal without escapes (none of the strings we
 * accept contains a backslash or a quote). */
static int scan_string(scanner *s, const char **text, size_t *len)
{
    skip_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return bad_header(s, "expected a quoted string");
    char quote = *s->p++;
    const char *start = s->p;
    while (s->p < s->end && *s->p != quote) {
        if (*s->p == '\\')
            return bad_header(s, "escape sequences are not supported");
        s->p++;
    }
    if (s->p >= s->end)
        return bad_header(s, "unterminated string");
    *text = start;
    *len = (size_t)(s->p - start);
    s->p++;
    return SC_OK;
}

static bool word_is(scanner *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    /* The word must end here ("Truer" is not True). */
    if ((size_t)(s->end - s->p) > n) {
        char next = s->p[n];
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
            (next >= '0' && next <= '9') || next == '_')
            return false;
    }
    s->p += n;
    return true;
}

static int scan_bool(scanner *s, bool *value)
{
    skip_ws(s);
    if (word_is(s, "True"))
        *value = true;
    else if (word_is(s, "False"))
        *value = false;
    else
        return bad_header(s, "'fortran_order' must be True or False");
    return SC_OK;
}

/* The shape tuple: "()", "(n,)", "(n, m)", "(n, m, ...)" with optional
 * trailing comma. Keeps the first two dimensions, counts all, and records
 * the tuple's text for messages. */
static int scan_shape(scanner *s, npy_header *h, size_t *ndim)
{
    skip_ws(s);
    const char *start = s->p;
    int rc = expect_char(s, '(', "'shape' must be a tuple such as (3, 4)");
    if (rc != SC_OK)
        return rc;
    size_t *dims = h->dims;
    *ndim = 0;
    for (;;) {
        skip_ws(s);
        if (s->p < s->end && *s->p == ')')
            break;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return bad_header(s, "expected a non-negative integer in 'shape'");
        size_t v = 0;
        const char *digits = s->p;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            size_t d = (size_t)(*s->p - '0');
            if (v > (SIZE_MAX - d) / 10) {
                while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
                    s->p++;
                return fail(s->err, SC_EIO, s->path,
                            "dimension %.*s in 'shape' does not fit in "
                            "size_t; the header is corrupt",
                            (int)(s->p - digits), digits);
            }
            v = v * 10 + d;
            s->p++;
        }
        if (*ndim == NPY_MAX_DIMS)
            return fail(s->err, SC_EIO, s->path,
                        "shape has more than %d dimensions; the header is "
                        "corrupt",
                        NPY_MAX_DIMS);
        dims[*ndim] = v;
        (*ndim)++;
        bool more;
        rc = after_item(s, ')', "expected ',' or ')' in 'shape'", &more);
        if (rc != SC_OK)
            return rc;
        if (!more)
            break;
    }
    s->p++; /* ')' */
    size_t len = (size_t)(s->p - start);
    if (len >= sizeof h->shape)
        len = sizeof h->shape - 1;
    memcpy(h->shape, start, len);
    h->shape[len] = '\0';
    h->ndim = *ndim;
    h->rows = *ndim > 0 ? dims[0] : 0;
    h->cols = 1; /* 1-D (n,) is n x 1; N-D the product of the rest */
    for (size_t k = 1; k < *ndim; k++) {
        if (dims[k] != 0 && h->cols > SIZE_MAX / dims[k])
            return fail(s->err, SC_EIO, s->path,
                        "shape %s is too large: its size overflows size_t; "
                        "the header is corrupt",
                        h->shape);
        h->cols *= dims[k];
    }
    return SC_OK;
}

static const char *kind_name(char kind)
{
    switch (kind) {
    case 'O':
        return "Python objects";
    case 'c':
        return "complex";
    case 'U':
        return "unicode strings";
    case 'S':
        return "byte strings";
    case 'a':
        return "byte strings";
    case 'V':
        return "raw void";
    case 'b':
        return "bool";
    case 'M':
        return "datetime";
    case 'm':
        return "timedelta";
    case 'f':
        return "float of this size";
    case 'i':
        return "integer of this size";
    case 'u':
        return "unsigned integer of this size";
    default:
        return "unknown kind";
    }
}

/* Map a descr such as '<f8' to kind/itemsize/byte order. */
static int parse_descr(scanner *s, npy_header *h, const char *text, size_t len)
{
    size_t keep = len < sizeof h->descr ? len : sizeof h->descr - 1;
    memcpy(h->descr, text, keep);
    h->descr[keep] = '\0';
    size_t size = 0;
    bool digits_ok = len >= 3;
    for (size_t i = 2; i < len && digits_ok; i++) {
        if (text[i] < '0' || text[i] > '9' || size > 1000)
            digits_ok = false;
        else
            size = size * 10 + (size_t)(text[i] - '0');
    }
    char order = len > 0 ? text[0] : '?';
    char kind = len > 1 ? text[1] : '?';
    bool order_ok = order == '<' || order == '>' || (order == '|' && size == 1);
    bool kind_ok = false;
    if (kind == 'f')
        kind_ok = size == 2 || size == 4 || size == 8;
    else if (kind == 'i' || kind == 'u')
        kind_ok = size == 1 || size == 2 || size == 4 || size == 8;
    if (!digits_ok || !order_ok || !kind_ok) {
        /* Show every byte of the descr: a NUL or control character in it
         * ('<f8\0') would otherwise cut or hide the text and the message
         * would name a dtype that looks supported. */
        char shown[4 * 32 + 1];
        size_t k = 0;
        for (size_t i = 0; i < len && i < 32; i++) {
            unsigned char c = (unsigned char)text[i];
            if (c < 0x20 || c >= 0x7f)
                k +=
                    (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", c);
            else
                shown[k++] = (char)c;
        }
        shown[k] = '\0';
        const char *why = digits_ok && !order_ok   ? "byte order"
                          : !digits_ok && len >= 3 ? "the size is not a number"
                                                   : kind_name(kind);
        return fail(s->err, SC_EIO, s->path,
                    "unsupported dtype '%s%s' (%s); " SUPPORTED_DTYPES
                    "; convert with a.astype(numpy.float32)",
                    shown, len > 32 ? "..." : "", why);
    }
    h->kind = kind == 'f' ? KIND_FLOAT : kind == 'i' ? KIND_INT : KIND_UINT;
    h->itemsize = size;
    h->big_endian = order == '>';
    return SC_OK;
}

/* Which keys of the header dict have been read. */
typedef struct dict_seen {
    bool descr, order, shape;
} dict_seen;

/* The value of key (after its ':'); *flag is the seen flag of the key. */
static int parse_value(scanner *s, npy_header *h, const char *key, size_t klen,
                       dict_seen *seen, bool **flag, size_t *ndim)
{
    if (klen == 5 && memcmp(key, "descr", 5) == 0) {
        *flag = &seen->descr;
        skip_ws(s);
        if (s->p < s->end && *s->p == '[')
            return fail(s->err, SC_EIO, s->path,
                        "unsupported structured dtype (a list of "
                        "fields); " SUPPORTED_DTYPES
                        "; save one plain numeric field instead");
        const char *d;
        size_t dlen;
        int rc = scan_string(s, &d, &dlen);
        if (rc == SC_OK && !**flag)
            rc = parse_descr(s, h, d, dlen);
        return rc;
    }
    if (klen == 13 && memcmp(key, "fortran_order", 13) == 0) {
        *flag = &seen->order;
        return scan_bool(s, &h->fortran);
    }
    if (klen == 5 && memcmp(key, "shape", 5) == 0) {
        *flag = &seen->shape;
        return scan_shape(s, h, ndim);
    }
    return fail(s->err, SC_EIO, s->path,
                "unexpected key '%.*s' in header; a .npy header has "
                "exactly 'descr', 'fortran_order' and 'shape'",
                (int)(klen > 40 ? 40 : klen), key);
}

/* After the dict: only padding, every key present, at least 1-D. */
static int check_dict_end(scanner *s, const dict_seen *seen, size_t ndim)
{
    s->p++; /* '}' */
    skip_ws(s);
    if (s->p != s->end)
        return bad_header(s, "expected only padding after the dict");
    const char *missing = !seen->descr   ? "descr"
                          : !seen->order ? "fortran_order"
                          : !seen->shape ? "shape"
                                         : NULL;
    if (missing != NULL)
        return fail(s->err, SC_EIO, s->path,
                    "header lacks the key '%s'; re-save the array with "
                    "numpy.save",
                    missing);
    if (ndim == 0)
        return fail(s->err, SC_EIO, s->path,
                    "shape () is a 0-dimensional scalar; need a 1-D or 2-D "
                    "array (stimuli x units)");
    /* N-D (ndim > 2): accepted here; refused or flattened by the caller
     * (check_dims). */
    return SC_OK;
}

/* Parse the dict between the header's braces. */
static int parse_dict(scanner *s, npy_header *h)
{
    dict_seen seen = {false, false, false};
    size_t ndim = 0;
    int rc = expect_char(s, '{', "expected a dict starting with '{'");
    if (rc != SC_OK)
        return rc;
    for (;;) {
        skip_ws(s);
        if (s->p < s->end && *s->p == '}')
            break;
        const char *key;
        size_t klen;
        rc = scan_string(s, &key, &klen);
        if (rc != SC_OK)
            return rc;
        rc = expect_char(s, ':', "expected ':' after a key");
        if (rc != SC_OK)
            return rc;
        bool *flag = NULL;
        rc = parse_value(s, h, key, klen, &seen, &flag, &ndim);
        if (rc != SC_OK)
            return rc;
        if (*flag)
            return fail(s->err, SC_EIO, s->path,
                        "key '%.*s' appears twice in header; re-save the "
                        "array with numpy.save",
                        (int)klen, key);
        *flag = true;
        bool more;
        rc = after_item(s, '}', "expected ',' or '}' after a value", &more);
        if (rc != SC_OK)
            return rc;
        if (!more)
            break;
    }
    return check_dict_end(s, &seen, ndim);
}

/* Preamble, header dict and the size checks; fills h. */
static int read_header(const char *path, const mapping *map, npy_header *h,
                       sc_err *err)
{
    memset(h, 0, sizeof *h);
    const unsigned char *b = map->base;
    if (memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        char what[512];
        sc_sniff_format(b, map->size < 512 ? map->size : 512, path, what,
                        sizeof what);
        return fail(err, SC_EIO, path,
                    "bad magic: not a .npy file (no \\x93NUMPY at the "
                    "start); %s",
                    what);
    }
    unsigned major = b[6], minor = b[7];
    if (minor != 0 || major < 1 || major > 3)
        return fail(err, SC_EIO, path,
                    "unsupported .npy format version %u.%u; supported: 1.0, "
                    "2.0, 3.0",
                    major, minor);
    size_t lenlen = major == 1 ? 2 : 4;
    size_t pre = NPY_MAGIC_LEN + 2 + lenlen;
    if (map->size < pre)
        return fail(err, SC_EIO, path,
                    "truncated header: file has %zu bytes, the version %u.0 "
                    "preamble alone needs %zu",
                    map->size, major, pre);
    size_t hlen = 0;
    for (size_t i = lenlen; i-- > 0;)
        hlen = hlen << 8 | b[NPY_MAGIC_LEN + 2 + i];
    if (hlen > map->size - pre)
        return fail(err, SC_EIO, path,
                    "truncated header: it declares %zu bytes but the file "
                    "has only %zu after the preamble",
                    hlen, map->size - pre);
    h->data_offset = pre + hlen;

    /* Versions 1.0/2.0 are latin-1 and 3.0 is UTF-8; both are ASCII for
     * every header we accept, so the scanner works on bytes. */
    scanner s;
    s.p = (const char *)b + pre;
    s.end = s.p + hlen;
    s.path = path;
    s.err = err;
    int rc = parse_dict(&s, h);
    if (rc != SC_OK)
        return rc;

    if (h->rows == 0 || h->cols == 0)
        return fail(err, SC_EIO, path,
                    "shape %s has zero %s; need at least one stimulus (row) "
                    "and one unit (column)",
                    h->shape, h->rows == 0 ? "rows" : "columns");
    if (h->rows > SIZE_MAX / h->cols ||
        h->rows * h->cols > SIZE_MAX / sizeof(double))
        return fail(err, SC_EIO, path,
                    "shape %s is too large: its size in bytes overflows "
                    "size_t; the header is corrupt",
                    h->shape);
    h->data_bytes = h->rows * h->cols * h->itemsize;
    size_t have = map->size - h->data_offset;
    if (have < h->data_bytes)
        return fail(err, SC_EIO, path,
                    "truncated data: shape %s of '%s' expected %zu bytes of "
                    "data, file has %zu; the file was cut short, re-save it",
                    h->shape, h->descr, h->data_bytes, have);
    if (have > h->data_bytes)
        return fail(err, SC_EIO, path,
                    "shape %s of '%s' needs %zu bytes of data but the file "
                    "has %zu; header and data disagree, re-save the array",
                    h->shape, h->descr, h->data_bytes, have);
    return SC_OK;
}

/* ## Conversion
 *
 * One converter per (kind, size, byte order), chosen once per file. */

typedef double (*convert_fn)(const unsigned char *p);

static inline uint64_t load_le(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t load_be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* IEEE binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. */
static double half_to_double(uint64_t bits)
{
    unsigned sign = (unsigned)(bits >> 15) & 1u;
    int e = (int)(bits >> 10) & 0x1f;
    double f = (double)(bits & 0x3ffu);
    double v;
    if (e == 0)
        v = ldexp(f, -24); /* zero or subnormal: f * 2^(1-15-10) */
    else if (e == 31)
        v = f == 0.0 ? HUGE_VAL : (double)NAN;
    else
        v = ldexp(f + 1024.0, e - 25); /* (1 + f/2^10) * 2^(e-15) */
    return sign ? -v : v;
}

static double bits_f4(uint64_t u)
{
    uint32_t w = (uint32_t)u;
    float x;
    memcpy(&x, &w, sizeof x);
    return (double)x;
}

static double bits_f8(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Exact-width signed types are two's complement, so memcpy of the low
 * bytes reinterprets without implementation-defined conversions. */
#define SIGNED_BITS(tag, width)                                                \
    static double bits_##tag(uint64_t u)                                       \
    {                                                                          \
        uint##width##_t w = (uint##width##_t)u;                                \
        int##width##_t x;                                                      \
        memcpy(&x, &w, sizeof x);                                              \
        return (double)x;                                                      \
    }
SIGNED_BITS(i1, 8)
SIGNED_BITS(i2, 16)
SIGNED_BITS(i4, 32)
static double bits_i8(uint64_t u)
{
    int64_t x;
    memcpy(&x, &u, 8);
    return (double)x; /* rounds to nearest beyond 2^53, like NumPy */
}
static double bits_u(uint64_t u)
{
    return (double)u;
}

#define CONVERTERS(tag, n, from_bits)                                          \
    static double conv_##tag##_le(const unsigned char *p)                      \
    {                                                                          \
        return from_bits(load_le(p, n));                                       \
    }                                                                          \
    static double conv_##tag##_be(const unsigned char *p)                      \
    {                                                                          \
        return from_bits(load_be(p, n));                                       \
    }

CONVERTERS(f2, 2, half_to_double)
CONVERTERS(f4, 4, bits_f4)
CONVERTERS(f8, 8, bits_f8)
CONVERTERS(i2, 2, bits_i2)
CONVERTERS(i4, 4, bits_i4)
CONVERTERS(i8, 8, bits_i8)
CONVERTERS(u2, 2, bits_u)
CONVERTERS(u4, 4, bits_u)
CONVERTERS(u8, 8, bits_u)

static double conv_i1(const unsigned char *p)
{
    return bits_i1(p[0]);
}
static double conv_u1(const unsigned char *p)
{
    return (double)p[0];
}

/* Every element type parse_descr admits, with its little- and big-endian
 * converter (one-byte types have no byte order). */
static const struct {
    int kind;
    size_t itemsize;
    convert_fn le, be;
} CONVERTER_TABLE[] = {
    {KIND_FLOAT, 2, conv_f2_le, conv_f2_be},
    {KIND_FLOAT, 4, conv_f4_le, conv_f4_be},
    {KIND_FLOAT, 8, conv_f8_le, conv_f8_be},
    {KIND_INT, 1, conv_i1, conv_i1},
    {KIND_INT, 2, conv_i2_le, conv_i2_be},
    {KIND_INT, 4, conv_i4_le, conv_i4_be},
    {KIND_INT, 8, conv_i8_le, conv_i8_be},
    {KIND_UINT, 1, conv_u1, conv_u1},
    {KIND_UINT, 2, conv_u2_le, conv_u2_be},
    {KIND_UINT, 4, conv_u4_le, conv_u4_be},
    {KIND_UINT, 8, conv_u8_le, conv_u8_be},
};

static convert_fn pick_converter(const npy_header *h)
{
    for (size_t k = 0; k < sizeof CONVERTER_TABLE / sizeof *CONVERTER_TABLE;
         k++)
        if (CONVERTER_TABLE[k].kind == (int)h->kind &&
            CONVERTER_TABLE[k].itemsize == h->itemsize)
            return h->big_endian ? CONVERTER_TABLE[k].be
                                 : CONVERTER_TABLE[k].le;
    return NULL; /* parse_descr admits no other */
}

static void convert(const npy_header *h, const unsigned char *src, double *dst)
{
    convert_fn conv = pick_converter(h);
    size_t n = h->rows, p = h->cols, w = h->itemsize;
    if (!h->fortran) {
        for (size_t k = 0; k < n * p; k++)
            dst[k] = conv(src + k * w);
        return;
    }
    if (h->ndim > 2) {
        /* Fortran N-D, flattened row-major: column c of the result is the
         * multi-index (j1, ..., jk) of c over dims[1..k] in C order; in
         * the file, element [i, j1, ..., jk] is at
         * i + n * (j1 + d1 * (j2 + d2 * (...))). */
        for (size_t c = 0; c < p; c++) {
            size_t rest = c, off = 0;
            size_t idx[NPY_MAX_DIMS];
            for (size_t k = h->ndim - 1; k >= 1; k--) {
                idx[k] = rest % h->dims[k];
                rest /= h->dims[k];
            }
            for (size_t k = h->ndim - 1; k >= 1; k--)
                off = off * h->dims[k] + idx[k];
            for (size_t i = 0; i < n; i++)
                dst[i * p + c] = conv(src + (i + n * off) * w);
        }
        return;
    }
    /* Column-major source: read sequentially, write with stride p. */
    for (size_t j = 0; j < p; j++)
        for (size_t i = 0; i < n; i++)
            dst[i * p + j] = conv(src + (j * n + i) * w);
}

/* ## Public API */

/* A 1-D array where a stimuli x units matrix is expected: refused unless
 * the caller allows vectors (a label or id vector passed by mistake would
 * otherwise become a one-unit "model"). N-D arrays only with
 * SC_NPY_FLATTEN (npy.h). */
static int check_dims(const char *path, const npy_header *h, unsigned flags,
                      sc_err *err)
{
    if (h->ndim == 1 && !(flags & SC_NPY_ALLOW_VECTOR))
        return fail(err, SC_EIO, path,
                    "shape %s is a 1-D vector, not a stimuli x units matrix "
                    "(labels or ids?); remove it from the inputs, or pass "
                    "--allow-vector (spec: data.allow_vector: true) to read "
                    "it as %zu x 1",
                    h->shape, h->rows);
    if (h->ndim > 2 && !(flags & SC_NPY_FLATTEN))
        return fail(err, SC_EIO, path,
                    "shape %s has %zu dimensions; pass --flatten (spec: "
                    "data.flatten: true) to flatten each stimulus in "
                    "row-major order to %zu x %zu, or reshape to stimuli x "
                    "units first",
                    h->shape, h->ndim, h->rows, h->cols);
    return SC_OK;
}

int sc_npy_peek(const char *path, size_t *rows, size_t *cols, sc_err *err)
{
    return sc_npy_peek_ex(path, SC_NPY_ALLOW_VECTOR, rows, cols, err);
}

int sc_npy_load(const char *path, sc_matrix *out, sc_err *err)
{
    return sc_npy_load_ex(path, SC_NPY_ALLOW_VECTOR, out, err);
}

/* Map path and read and check its header; on failure nothing stays
 * mapped. */
static int open_checked(const char *path, unsigned flags, mapping *map,
                        npy_header *h, sc_err *err)
{
    int rc = map_file(path, map, err);
    if (rc != SC_OK)
        return rc;
    rc = read_header(path, map, h, err);
    if (rc == SC_OK)
        rc = check_dims(path, h, flags, err);
    if (rc != SC_OK)
        unmap_file(map);
    return rc;
}

int sc_npy_peek_ex(const char *path, unsigned flags, size_t *rows, size_t *cols,
                   sc_err *err)
{
    mapping map;
    npy_header h;
    int rc = open_checked(path, flags, &map, &h, err);
    if (rc != SC_OK)
        return rc;
    unmap_file(&map);
    *rows = h.rows;
    *cols = h.cols;
    return SC_OK;
}

int sc_npy_load_ex(const char *path, unsigned flags, sc_matrix *out,
                   sc_err *err)
{
    out->rows = out->cols = 0;
    out->data = NULL;
    mapping map;
    npy_header h;
    int rc = open_checked(path, flags, &map, &h, err);
    if (rc != SC_OK)
        return rc;
    rc = sc_matrix_init(out, h.rows, h.cols, err);
    if (rc != SC_OK) {
        sc_err_prefix(err, "%s", path);
        goto fail;
    }
    convert(&h, map.base + h.data_offset, out->data);
    if (h.kind == KIND_FLOAT) {
        size_t total = h.rows * h.cols;
        for (size_t k = 0; k < total; k++) {
            double v = out->data[k];
            if (isfinite(v))
                continue;
            rc = fail(err, SC_ENUMERIC, path,
                      "first non-finite value (%s) at row %zu, column %zu "
                      "(0-based, row-major order); remove or impute it "
                      "before running simcon",
                      isnan(v) ? "NaN"
                      : v > 0  ? "+Inf"
                               : "-Inf",
                      k / h.cols, k % h.cols);
            goto fail;
        }
    }
    unmap_file(&map);
    return SC_OK;
fail:
    unmap_file(&map);
    sc_matrix_deinit(out);
    return rc;
}

/* Header, then the data as little-endian doubles in chunks, through the
 * atomic writer (its messages are replaced by sc_npy_save's; errno stays
 * the write's). */
static int write_npy(sc_afile *a, const sc_matrix *m)
{
    /* NumPy pads the whole header to a multiple of 64 bytes so the data is
     * aligned for memory mapping (numpy/lib/format.py, ARRAY_ALIGN). */
    enum { ALIGN = 64 };
    char dict[128];
    int dlen = snprintf(dict, sizeof dict,
                        "{'descr': '<f8', 'fortran_order': False, "
                        "'shape': (%zu, %zu), }",
                        m->rows, m->cols);
    if (dlen < 0 || (size_t)dlen >= sizeof dict)
        return -1; /* cannot happen: two size_t need at most 40 digits */
    unsigned char head[256];
    size_t pre = NPY_MAGIC_LEN + 2 + 2;
    size_t total = pre + (size_t)dlen + 1;
    size_t padded = (total + ALIGN - 1) / ALIGN * ALIGN;
    size_t hlen = padded - pre;
    memcpy(head, NPY_MAGIC, NPY_MAGIC_LEN);
    head[6] = 1;
    head[7] = 0;
    head[8] = (unsigned char)(hlen & 0xff);
    head[9] = (unsigned char)(hlen >> 8);
    memcpy(head + pre, dict, (size_t)dlen);
    memset(head + pre + dlen, ' ', padded - total);
    head[padded - 1] = '\n';
    if (sc_afile_write(a, head, padded, NULL) != SC_OK)
        return -1;

    unsigned char buf[4096];
    size_t used = 0, count = m->rows * m->cols;
    for (size_t k = 0; k < count; k++) {
        uint64_t u;
        memcpy(&u, &m->data[k], sizeof u);
        for (size_t b = 0; b < 8; b++)
            buf[used + b] = (unsigned char)(u >> (8 * b));
        used += 8;
        if (used == sizeof buf || k + 1 == count) {
            if (sc_afile_write(a, buf, used, NULL) != SC_OK)
                return -1;
            used = 0;
        }
    }
    return 0;
}

int sc_npy_save(const char *path, const sc_matrix *m, sc_err *err)
{
    if (m == NULL || m->data == NULL || m->rows == 0 || m->cols == 0)
        return fail(err, SC_EINVAL, path,
                    "refusing to write an empty %zu x %zu matrix",
                    m ? m->rows : 0, m ? m->cols : 0);
    for (size_t k = 0; k < m->rows * m->cols; k++)
        if (!isfinite(m->data[k]))
            return fail(err, SC_ENUMERIC, path,
                        "refusing to write a non-finite value at row %zu, "
                        "column %zu (0-based); simcon could not read it back",
                        k / m->cols, k % m->cols);

    /* The one atomic writer (atomic.h): regular files only, a unique temp
     * file in the same folder, fsync before the rename so a crash cannot
     * leave a complete-looking but empty file, fsync of the folder. */
    sc_afile a;
    int rc = sc_afile_open(&a, path, err);
    if (rc != SC_OK)
        return rc;
    if (write_npy(&a, m) != 0) {
        rc = fail(err, SC_EIO, path, "cannot write: %s; check free disk space",
                  strerror(errno));
        sc_afile_abort(&a);
        return rc;
    }
    return sc_afile_commit(&a, err);
}
