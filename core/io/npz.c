/* .npz members (see npz.h). The archive is mapped read-only; only the
 * selected member is copied (stored) or inflated into the output. */
#include "npz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mem.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_Z64_LOCATOR 0x07064b50u
#define SIG_Z64_EOCD 0x06064b50u
#define EOCD_LEN 22
#define CENTRAL_LEN 46
#define LOCAL_LEN 30
#define NAME_MAX_SHOWN 200

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int sc_npz_is_npz(const char *path)
{
    size_t n = strlen(path);
    return (n >= 4 && strcmp(path + n - 4, ".npz") == 0) ||
           strstr(path, ".npz:") != NULL;
}

/* Split path into the file part length and the key (NULL: none). */
static size_t split(const char *path, const char **key)
{
    const char *k = strstr(path, ".npz:");
    if (k == NULL) {
        *key = NULL;
        return strlen(path);
    }
    *key = k + 5;
    return (size_t)(k + 4 - path);
}

int sc_npz_file(const char *path, char *buf, size_t cap, sc_err *err)
{
    const char *key;
    size_t n = split(path, &key);
    if (n + 1 > cap)
        return sc_err_set(err, SC_EINVAL, "%.200s...: path too long", path);
    memcpy(buf, path, n);
    buf[n] = '\0';
    return SC_OK;
}

/* One central directory entry, sizes resolved (zip64 included). */
typedef struct entry {
    const unsigned char *name;
    size_t name_len;
    uint32_t flags, method, crc;
    uint64_t csize, usize, offset;
} entry;

/* Parse the central directory entry at p (within [base, base+size)) into
 * e; returns its total length or 0 if malformed. */
static size_t read_entry(const unsigned char *p, const unsigned char *end,
                         entry *e)
{
    if ((size_t)(end - p) < CENTRAL_LEN || le32(p) != SIG_CENTRAL)
        return 0;
    e->flags = le16(p + 8);
    e->method = le16(p + 10);
    e->crc = le32(p + 16);
    e->csize = le32(p + 20);
    e->usize = le32(p + 24);
    size_t nlen = le16(p + 28), xlen = le16(p + 30), clen = le16(p + 32);
    e->offset = le32(p + 42);
    size_t total = CENTRAL_LEN + nlen + xlen + clen;
    if ((size_t)(end - p) < total)
        return 0;
    e->name = p + CENTRAL_LEN;
    e->name_len = nlen;
    /* zip64 extra field: the 0xFFFFFFFF fields, in the order usize,
     * csize, offset. */
    const unsigned char *x = p + CENTRAL_LEN + nlen, *xend = x + xlen;
    while (xend - x >= 4) {
        uint32_t id = le16(x), len = le16(x + 2);
        if ((size_t)(xend - x) < 4 + (size_t)len)
            return 0;
        if (id == 0x0001) {
            const unsigned char *f = x + 4, *fend = f + len;
            if (e->usize == 0xFFFFFFFFu && fend - f >= 8) {
                e->usize = le64(f);
                f += 8;
            }
            if (e->csize == 0xFFFFFFFFu && fend - f >= 8) {
                e->csize = le64(f);
                f += 8;
            }
            if (e->offset == 0xFFFFFFFFu && fend - f >= 8)
                e->offset = le64(f);
        }
        x += 4 + len;
    }
    return total;
}

/* "a, b, c" of the member names without ".npy" into buf. */
static void list_names(const unsigned char *cd, const unsigned char *end,
                       uint64_t count, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    const unsigned char *p = cd;
    for (uint64_t i = 0; i < count && used + 8 < cap; i++) {
        entry e;
        size_t len = read_entry(p, end, &e);
        if (len == 0)
            break;
        size_t n = e.name_len;
        if (n > 4 && memcmp(e.name + n - 4, ".npy", 4) == 0)
            n -= 4;
        int w = snprintf(buf + used, cap - used, "%s%.*s", i ? ", " : "",
                         (int)(n < 60 ? n : 60), (const char *)e.name);
        if (w < 0)
            break;
        used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
        p += len;
    }
}

static int inflate_raw(const unsigned char *src, size_t slen,
                       unsigned char *dst, size_t dlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return -1;
    int rc = Z_OK;
    size_t in_done = 0, out_done = 0;
    while (rc == Z_OK) {
        /* avail_in/out are 32-bit: feed at most 1 GiB at a time. */
        size_t in_chunk = slen - in_done, out_chunk = dlen - out_done;
        if (in_chunk > (1u << 30))
            in_chunk = 1u << 30;
        if (out_chunk > (1u << 30))
            out_chunk = 1u << 30;
        z.next_in = (Bytef *)(uintptr_t)(src + in_done);
        z.avail_in = (uInt)in_chunk;
        z.next_out = dst + out_done;
        z.avail_out = (uInt)out_chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        in_done += in_chunk - z.avail_in;
        out_done += out_chunk - z.avail_out;
        if (rc == Z_BUF_ERROR && (in_done == slen || out_done == dlen))
            break;
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && out_done == dlen ? 0 : -1;
}

static uint32_t crc_of(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* The central directory of archive b (size bytes): where it lies and how
 * many entries it has (zip64 records followed). */
static int find_directory(const char *path, const unsigned char *b, size_t size,
                          const unsigned char **cd_out,
                          const unsigned char **cd_end_out, uint64_t *count_out,
                          sc_err *err)
{
    /* End of central directory: the last signature within the last
     * 22 + 65535 bytes (a comment may follow it). */
    size_t lo = size > EOCD_LEN + 65535 ? size - EOCD_LEN - 65535 : 0;
    const unsigned char *eocd = NULL;
    for (size_t i = size - EOCD_LEN + 1; i-- > lo;)
        if (le32(b + i) == SIG_EOCD) {
            eocd = b + i;
            break;
        }
    if (eocd == NULL)
        return sc_err_set(err, SC_EIO,
                          "%s: not a zip archive (no end of central "
                          "directory); save the arrays with np.savez or "
                          "np.save",
                          path);
    if (le16(eocd + 4) != 0 || le16(eocd + 6) != 0)
        return sc_err_set(err, SC_EIO,
                          "%s: multi-disk zip archives are not supported; "
                          "re-save with np.savez",
                          path);
    uint64_t count = le16(eocd + 10), cd_size = le32(eocd + 12),
             cd_off = le32(eocd + 16);
    size_t eocd_at = (size_t)(eocd - b);
    if ((count == 0xFFFF || cd_off == 0xFFFFFFFFu || cd_size == 0xFFFFFFFFu) &&
        eocd_at >= 20 && le32(eocd - 20) == SIG_Z64_LOCATOR) {
        uint64_t z = le64(eocd - 20 + 8);
        if (z > size || size - z < 56 || le32(b + z) != SIG_Z64_EOCD)
            return sc_err_set(err, SC_EIO,
                              "%s: corrupt zip64 end of central directory; "
                              "re-save the archive",
                              path);
        count = le64(b + z + 32);
        cd_size = le64(b + z + 40);
        cd_off = le64(b + z + 48);
    }
    if (cd_off > size || cd_size > size - cd_off)
        return sc_err_set(err, SC_EIO,
                          "%s: the central directory lies outside the file "
                          "(truncated archive?); re-save it",
                          path);
    *cd_out = b + cd_off;
    *cd_end_out = b + cd_off + cd_size;
    *count_out = count;
    return SC_OK;
}

/* The entry of key (NULL: the only one) in the central directory. */
static int find_member(const char *path, const char *key,
                       const unsigned char *cd, const unsigned char *cd_end,
                       uint64_t count, entry *found_out, sc_err *err)
{
    char want[NAME_MAX_SHOWN + 8];
    if (key != NULL)
        snprintf(want, sizeof want, "%.*s.npy", NAME_MAX_SHOWN, key);
    entry found;
    memset(&found, 0, sizeof found);
    size_t matches = 0;
    const unsigned char *p = cd;
    for (uint64_t i = 0; i < count; i++) {
        entry e;
        size_t l = read_entry(p, cd_end, &e);
        if (l == 0)
            return sc_err_set(err, SC_EIO,
                              "%s: corrupt central directory entry %llu; "
                              "re-save the archive",
                              path, (unsigned long long)i);
        p += l;
        bool hit = key == NULL ? true
                               : e.name_len == strlen(want) &&
                                     memcmp(e.name, want, e.name_len) == 0;
        if (hit) {
            found = e;
            matches++;
        }
    }
    char names[512];
    list_names(cd, cd_end, count, names, sizeof names);
    if (key != NULL && matches == 0)
        return sc_err_set(err, SC_EIO,
                          "%s: no array '%s' in the archive (it holds: %s); "
                          "use one of those names after ':'",
                          path, key, count ? names : "nothing");
    if (key == NULL && matches != 1)
        return sc_err_set(err, SC_EIO,
                          "%s: the archive holds %llu arrays (%s); name one "
                          "as %s:KEY",
                          path, (unsigned long long)count,
                          count ? names : "none", path);
    *found_out = found;
    return SC_OK;
}

/* Check, copy or inflate, and CRC-check member found of archive b. */
static int read_member(const char *path, const unsigned char *b, size_t size,
                       const entry *f, unsigned char **data, size_t *len,
                       sc_err *err)
{
    entry found = *f;
    if (found.flags & 1u)
        return sc_err_set(err, SC_EIO,
                          "%s: the member is encrypted; save it unencrypted",
                          path);
    if (found.method != 0 && found.method != 8)
        return sc_err_set(err, SC_EIO,
                          "%s: compression method %u is not supported (only "
                          "stored and deflate, as np.savez and "
                          "np.savez_compressed write)",
                          path, (unsigned)found.method);
    if (found.offset > size || size - found.offset < LOCAL_LEN ||
        le32(b + found.offset) != SIG_LOCAL)
        return sc_err_set(err, SC_EIO,
                          "%s: corrupt local header of the member; re-save "
                          "the archive",
                          path);
    const unsigned char *lh = b + found.offset;
    uint64_t start = found.offset + LOCAL_LEN + le16(lh + 26) + le16(lh + 28);
    if (start > size || found.csize > size - start)
        return sc_err_set(err, SC_EIO,
                          "%s: the member's data runs past the end of the "
                          "file (truncated archive?); re-save it",
                          path);
    if (found.usize == 0 || found.usize > SIZE_MAX / 2 ||
        (found.method == 0 && found.usize != found.csize))
        return sc_err_set(err, SC_EIO,
                          "%s: implausible member size %llu; re-save the "
                          "archive",
                          path, (unsigned long long)found.usize);
    unsigned char *out = sc_malloc((size_t)found.usize);
    if (out == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "%s: out of memory for a member of %llu bytes", path,
                          (unsigned long long)found.usize);
    const unsigned char *src = b + start;
    if (found.method == 0)
        memcpy(out, src, (size_t)found.usize);
    else if (inflate_raw(src, (size_t)found.csize, out, (size_t)found.usize) !=
             0) {
        sc_free(out);
        return sc_err_set(err, SC_EIO,
                          "%s: the compressed member does not inflate to "
                          "its recorded size (corrupt archive); re-save it",
                          path);
    }
    if (crc_of(out, (size_t)found.usize) != found.crc) {
        sc_free(out);
        return sc_err_set(err, SC_EIO,
                          "%s: CRC-32 mismatch in the member (corrupt "
                          "archive); re-save it",
                          path);
    }
    *data = out;
    *len = (size_t)found.usize;
    return SC_OK;
}

/* Find the member and produce its bytes; the archive is mapped at
 * [b, b + size). */
static int extract(const char *path, const char *key, const unsigned char *b,
                   size_t size, unsigned char **data, size_t *len, sc_err *err)
{
    const unsigned char *cd = NULL, *cd_end = NULL;
    uint64_t count = 0;
    entry found;
    memset(&found, 0, sizeof found);
    int rc = find_directory(path, b, size, &cd, &cd_end, &count, err);
    if (rc == SC_OK)
        rc = find_member(path, key, cd, cd_end, count, &found, err);
    if (rc == SC_OK)
        rc = read_member(path, b, size, &found, data, len, err);
    return rc;
}

int sc_npz_read(const char *path, unsigned char **data, size_t *len,
                sc_err *err)
{
    *data = NULL;
    *len = 0;
    const char *key;
    size_t n = split(path, &key);
    char *file = sc_malloc(n + 1);
    if (file == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    memcpy(file, path, n);
    file[n] = '\0';
    int rc = SC_OK;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        rc = sc_err_set(err, SC_EIO, "%s: cannot open: %s", file,
                        strerror(errno));
    else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = sc_err_set(err, SC_EIO,
                        "%s: not a regular file; give the path of an .npz "
                        "archive",
                        file);
    else if (st.st_size < EOCD_LEN)
        rc = sc_err_set(err, SC_EIO,
                        "%s: %lld bytes is too short for a zip archive; "
                        "save the arrays with np.savez",
                        file, (long long)st.st_size);
    void *map = MAP_FAILED;
    size_t size = rc == SC_OK ? (size_t)st.st_size : 0;
    if (rc == SC_OK) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
            rc = sc_err_set(err, SC_EIO, "%s: cannot mmap: %s", file,
                            strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    if (rc == SC_OK) {
        rc = extract(path, key, map, size, data, len, err);
        munmap(map, size);
    }
    sc_free(file);
    return rc;
}
