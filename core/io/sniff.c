/* Recognising the common non-.npy formats (see sniff.h). */
#include "sniff.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Does needle occur in the first n bytes of b? */
static bool contains(const unsigned char *b, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, needle, k) == 0)
            return true;
    return false;
}

/* Printable ASCII, UTF-8 continuation/lead bytes, tab, CR, LF only, and
 * at least one line break or a short file. */
static bool looks_like_text(const unsigned char *b, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        if (c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f) ||
            c >= 0x80)
            continue;
        return false;
    }
    return true;
}

void sc_sniff_format(const unsigned char *b, size_t n, const char *path,
                     char *buf, size_t cap)
{

    if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) {
        if (contains(b, n, "data.pkl") || contains(b, n, "archive/"))
            snprintf(buf, cap,
                     "it looks like a PyTorch file (torch.save zip archive); "
                     "convert it in Python: np.save(\"X.npy\", "
                     "torch.load(\"%.300s\").numpy())",
                     path);
        else
            snprintf(buf, cap,
                     "it looks like a zip archive (.npz from np.savez); "
                     "name the file .npz (simcon reads its only array, or "
                     "FILE.npz:KEY for the array saved as KEY)");
        return;
    }
    if (n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5) {
        snprintf(buf, cap,
                 "it looks like a Python pickle (protocol %u; torch.save "
                 "before PyTorch 1.6, or pickle.dump); convert it in Python: "
                 "np.save(\"X.npy\", torch.load(\"%.300s\").numpy())",
                 (unsigned)b[1], path);
        return;
    }
    if (n >= 8 && memcmp(b, "\x89HDF\r\n\x1a\n", 8) == 0) {
        snprintf(buf, cap,
                 "it looks like an HDF5 file (h5py, Keras); convert the "
                 "dataset in Python: np.save(\"X.npy\", "
                 "h5py.File(\"%.300s\")[\"NAME\"][()])",
                 path);
        return;
    }
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        snprintf(buf, cap,
                 "it looks gzip-compressed; decompress it (gunzip) first");
        return;
    }
    if (looks_like_text(b, n)) {
        bool csv = memchr(b, ',', n) != NULL || memchr(b, ';', n) != NULL ||
                   memchr(b, '\t', n) != NULL;
        snprintf(buf, cap,
                 "it looks like %s; convert it in Python: "
                 "np.save(\"X.npy\", np.loadtxt(\"%.300s\"%s))",
                 csv ? "CSV text" : "text", path,
                 csv ? ", delimiter=\",\"" : "");
        return;
    }
    snprintf(buf, cap,
             "its first bytes (%02x %02x %02x %02x) are no format simcon "
             "knows; save the array with np.save(\"X.npy\", array)",
             n > 0 ? b[0] : 0, n > 1 ? b[1] : 0, n > 2 ? b[2] : 0,
             n > 3 ? b[3] : 0);
}
