/* UPGMA (see cluster.h). */
#include "cluster.h"

#include <math.h>
#include <stdbool.h>

#include "mem.h"
#include "tie.h"

/* UPGMA
 * Naive O(m^3): m is the number of models (64 in the paper), so the
 * simplest correct algorithm is fast enough and easy to check against
 * scipy. Cluster ids follow scipy: leaves 0..m-1, the k-th merge creates
 * id m+k. The distance between clusters A and B is the mean of the leaf
 * distances, maintained by the Lance-Williams update
 * d(A u B, C) = (|A| d(A, C) + |B| d(B, C)) / (|A| + |B|).
 * Merge order: the closest pair, where distances tied up to the tie rule
 * of core/num/tie.h count as equal and the first such pair in (i, j) order
 * wins. With an exact minimum, a near-tie (distances that are equal but
 * for CPU-dependent rounding of the similarities) would be broken by that
 * noise and reorder the heat maps from one machine to another. */
typedef struct upgma_ws {
    double *dist; /* (2m-1)^2 distances between cluster ids */
    size_t *size; /* leaves per cluster id */
    int *alive;
    size_t *left, *right; /* children of merged ids (m + k) */
} upgma_ws;

static void leaf_order(const upgma_ws *w, size_t m, size_t id, size_t *order,
                       size_t *pos)
{
    /* Iterative depth-first walk with an explicit stack (depth <= m). */
    size_t stack_small[128];
    size_t *stack =
        m + 1 <= 128 ? stack_small : sc_malloc((m + 1) * sizeof *stack);
    if (!stack)
        return; /* caller checks *pos == m */
    size_t top = 0;
    stack[top++] = id;
    while (top > 0) {
        size_t c = stack[--top];
        if (c < m) {
            order[(*pos)++] = c;
        } else {
            stack[top++] = w->right[c - m]; /* right drawn after left */
            stack[top++] = w->left[c - m];
        }
    }
    if (stack != stack_small)
        sc_free(stack);
}

int sc_upgma(const double *d, size_t m, size_t *order, double *heights,
             sc_err *err)
{
    if (m == 0)
        return sc_err_set(err, SC_EINVAL, "clustering: no models");
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            if (!isfinite(d[i * m + j]))
                return sc_err_set(err, SC_EINVAL,
                                  "clustering: distance of "
                                  "models %zu and %zu is not finite",
                                  i, j);
    size_t n = 2 * m - 1;
    upgma_ws w;
    w.dist = sc_calloc(n * n, sizeof *w.dist);
    w.size = sc_calloc(n, sizeof *w.size);
    w.alive = sc_calloc(n, sizeof *w.alive);
    w.left = sc_calloc(m, sizeof *w.left);
    w.right = sc_calloc(m, sizeof *w.right);
    int rc = SC_OK;
    if (!w.dist || !w.size || !w.alive || !w.left || !w.right)
        rc = sc_err_set(err, SC_ENOMEM, "clustering: out of memory");
    if (rc == SC_OK) {
        for (size_t i = 0; i < m; i++) {
            w.size[i] = 1;
            w.alive[i] = 1;
            for (size_t j = i + 1; j < m; j++) {
                w.dist[i * n + j] = d[i * m + j];
                w.dist[j * n + i] = d[i * m + j];
            }
        }
        for (size_t k = 0; k + 1 < m; k++) {
            size_t id = m + k, bi = 0, bj = 0;
            double low = (double)INFINITY, best = low;
            bool found = false;
            for (size_t i = 0; i < id; i++) /* exact minimum */
                for (size_t j = i + 1; j < id && w.alive[i]; j++)
                    if (w.alive[j] && w.dist[i * n + j] < low)
                        low = w.dist[i * n + j];
            /* First pair in (i, j) order tied with the minimum. */
            for (size_t i = 0; i < id && !found; i++)
                for (size_t j = i + 1; j < id && w.alive[i]; j++)
                    if (w.alive[j] && sc_tie_eq(w.dist[i * n + j], low)) {
                        best = w.dist[i * n + j];
                        bi = i;
                        bj = j;
                        found = true;
                        break;
                    }
            w.left[k] = bi;
            w.right[k] = bj;
            if (heights)
                heights[k] = best;
            w.alive[bi] = w.alive[bj] = 0;
            w.alive[id] = 1;
            w.size[id] = w.size[bi] + w.size[bj];
            for (size_t c = 0; c < id; c++) {
                if (!w.alive[c])
                    continue;
                double v = ((double)w.size[bi] * w.dist[bi * n + c] +
                            (double)w.size[bj] * w.dist[bj * n + c]) /
                           (double)w.size[id];
                w.dist[id * n + c] = v;
                w.dist[c * n + id] = v;
            }
        }
        size_t pos = 0;
        leaf_order(&w, m, n - 1, order, &pos);
        if (pos != m)
            rc = sc_err_set(err, SC_ENOMEM, "clustering: out of memory");
    }
    sc_free(w.dist);
    sc_free(w.size);
    sc_free(w.alive);
    sc_free(w.left);
    sc_free(w.right);
    return rc;
}
