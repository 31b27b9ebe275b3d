/* Owned dense matrices (see mat.h). */
#include "mat.h"

#include <string.h>

#include "mem.h"

int sc_matrix_init(sc_matrix *m, size_t rows, size_t cols, sc_err *err)
{
    m->rows = m->cols = 0;
    m->data = NULL;
    if (cols != 0 && rows > ((size_t)-1) / sizeof(double) / cols)
        return sc_err_set(err, SC_ENOMEM,
                          "matrix of %zu x %zu doubles does not fit in memory",
                          rows, cols);
    size_t cells = 0;
    sc_size_mul(rows, cols, &cells); /* SIZE_MAX on overflow: alloc fails */
    double *data = sc_aligned_alloc(cells, sizeof(double));
    if (data == NULL)
        return sc_err_set(err, SC_ENOMEM,
                          "out of memory allocating a %zu x %zu matrix", rows,
                          cols);
    memset(data, 0, rows * cols * sizeof(double));
    m->rows = rows;
    m->cols = cols;
    m->data = data;
    return SC_OK;
}

void sc_matrix_deinit(sc_matrix *m)
{
    if (m == NULL)
        return;
    sc_aligned_free(m->data);
    m->data = NULL;
    m->rows = m->cols = 0;
}

double sc_symmetrize(double *s, size_t m)
{
    double worst = 0.0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m; b++) {
            double x = s[a * m + b], y = s[b * m + a];
            double d = x > y ? x - y : y - x;
            worst = d > worst ? d : worst;
            double v = 0.5 * (x + y);
            s[a * m + b] = v;
            s[b * m + a] = v;
        }
    return worst;
}

sc_mat sc_matrix_view(const sc_matrix *m)
{
    sc_mat v;
    v.rows = m->rows;
    v.cols = m->cols;
    v.ld = m->cols;
    v.data = m->data;
    return v;
}
