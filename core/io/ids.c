/* Row-by-row comparison of stimulus id files (see ids.h). */
#include "ids.h"

#include <string.h>

#include "atomic.h"
#include "mem.h"

/* The next line at *pos: start and length (without '\n' and a trailing
 * '\r'); 0 when the text is exhausted. */
static int next_line(const char *t, size_t len, size_t *pos, const char **line,
                     size_t *n)
{
    if (*pos >= len)
        return 0;
    const char *s = t + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t k = nl ? (size_t)(nl - s) : len - *pos;
    *pos += k + (nl != NULL);
    if (k > 0 && s[k - 1] == '\r')
        k--;
    *line = s;
    *n = k;
    return 1;
}

int sc_ids_same(const char *ref, const char *path, const char *model,
                const char *dataset, sc_err *err)
{
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    int rc = sc_read_file(ref, "ids file", &a, &la, err);
    if (rc == SC_OK)
        rc = sc_read_file(path, "ids file", &b, &lb, err);
    size_t pa = 0, pb = 0;
    for (size_t row = 0; rc == SC_OK; row++) {
        const char *sa = NULL, *sb = NULL;
        size_t na = 0, nb = 0;
        int ha = next_line(a, la, &pa, &sa, &na);
        int hb = next_line(b, lb, &pb, &sb, &nb);
        if (!ha && !hb)
            break;
        if (ha && hb && na == nb && memcmp(sa, sb, na) == 0)
            continue;
        rc = sc_err_set(err, SC_EIO,
                        "%s: row %zu is %s%.*s%s but row %zu of %s is "
                        "%s%.*s%s; every model of dataset '%s' must list the "
                        "same stimuli in the same order: reorder the "
                        "features of model '%s' (and its ids) to match",
                        path, row, hb ? "'" : "",
                        hb ? (int)(nb < 200 ? nb : 200) : 8,
                        hb ? sb : "(no row)", hb ? "'" : "", row, ref,
                        ha ? "'" : "", ha ? (int)(na < 200 ? na : 200) : 8,
                        ha ? sa : "(no row)", ha ? "'" : "", dataset, model);
    }
    sc_free(a);
    sc_free(b);
    return rc;
}
