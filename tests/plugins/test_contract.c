/* Contract test: every built metric plugin keeps the promises its flags make.
 *
 * Loads EVERY plugin found in the build plugin folder (SC_BUILD_PLUGIN_DIR,
 * via sc_loader_find_all / sc_loader_open), runs its default configuration
 * plus the extra configurations in the table below, on seeded random inputs
 * (n = 40 stimuli; widths 5, 23 and 60, the last wider than n; plus one
 * n = 300 pair of widths 128 and 100 per default configuration), and checks
 * through the core's sc_metric_* wrappers (the path every runner takes):
 *   always   joint permutation of stimuli leaves the value unchanged; the
 *            value is finite; a metric offering compare_subset agrees with
 *            prepare + compare on X[idx], Y[idx] (indices with repeats); a
 *            metric offering an embedding gives the value as the cosine of
 *            the two embeddings;
 *   flags    (sc_metric_flags: desc->flags_for or desc->flags)
 *            SYMMETRIC f(X,Y) = f(Y,X); SELF_ONE f(X,X) = 1; RANGE_01 /
 *            RANGE_PM1 bounds (exact: plugins clamp); ORTHO_INVARIANT
 *            f(XQ, Y) = f(X, Y), Q from the QR of a Gaussian matrix;
 *            SCALE_INVARIANT f(2.385 X, Y); SHIFT_INVARIANT f(X + 1 c^T, Y);
 *   domain   (default configuration) states of different row counts are
 *            rejected by compare with SC_EINVAL (the host's check in
 *            core/host/metric.c); min_rows - 1 rows is SC_EDOM; a constant
 *            representation (every entry 2.385) and one whose rows are all
 *            the same random row are SC_EDOM (at prepare or compare): every
 *            plugin of this suite and cka leave the value undefined there;
 *            every error message is one non-empty line.
 * Expected values are properties (equalities between two evaluations, or
 * 1 for SELF_ONE), never numbers taken from our own output.
 * Tolerance: 1e-9 absolute + relative; the inputs are continuous random
 * draws, so rank-based metrics (rsa spearman/kendall, knn, cknna) meet no
 * near-ties that rounding of transformed inputs could flip.
 *
 * Randomness: GSL mt19937 with fixed seeds; Gaussian inputs scaled by
 * per-column factors and shifted, Y a noisy nonlinear function of X so
 * values are far from 0 and 1. */
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "init.h"
#include "loader.h"
#include "mat.h"
#include "metric.h"
#include "test.h"

#define N_ROWS 40
#define N_LARGE 300
#define TOL 1e-9

/* ## Extra configurations per plugin (the default is always tested) */

typedef struct config {
    const char *plugin;
    const char *params; /* "k=v,k=v" */
} config;

static const config extra_configs[] = {
    {"rsa", "rdm=cosine,corr=pearson"},
    {"rsa", "rdm=euclidean,corr=kendall"},
    {"rsa", "rdm=euclidean,corr=spearman"},
    {"rsa", "rdm=correlation,corr=kendall"},
    {"knn", "k=5,score=jaccard"},
    {"knn", "k=1"},
    {"cknna", "k=5"},
    {"cknna", "k=25"},
    {"svcca", "variance=0.5"},
    {"svcca", "variance=1"},
    {"linreg", "alpha=0"},
    {"linreg", "alpha=1000"},
    {"cka", "unbiased=false"},
    {"cka", "kernel=rbf"},
};

/* Configurations that must be refused with SC_EDOM on n = 40 stimuli. */
static const config edom_configs[] = {
    {"knn", "k=40"},
    {"cknna", "k=40"},
};

/* ## Inputs */

static gsl_rng *rng;

static void fill_x(sc_matrix *x)
{
    for (size_t j = 0; j < x->cols; j++) {
        double scale = 0.3 + 2.385 * gsl_rng_uniform(rng);
        double shift = gsl_ran_gaussian(rng, 1.7);
        for (size_t i = 0; i < x->rows; i++)
            x->data[i * x->cols + j] =
                scale * gsl_ran_gaussian(rng, 1.0) + shift;
    }
}

/* y = tanh(x W / sqrt(px)) + 0.5 noise: related to x, not a copy. */
static void fill_y(const sc_matrix *x, sc_matrix *y)
{
    size_t px = x->cols;
    double *w = malloc(px * y->cols * sizeof *w);
    for (size_t p = 0; p < px * y->cols; p++)
        w[p] = gsl_ran_gaussian(rng, 1.0) / sqrt((double)px);
    for (size_t i = 0; i < y->rows; i++)
        for (size_t j = 0; j < y->cols; j++) {
            double s = 0.0;
            for (size_t p = 0; p < px; p++)
                s += x->data[i * px + p] * w[p * y->cols + j];
            y->data[i * y->cols + j] =
                tanh(s) + 0.5 * gsl_ran_gaussian(rng, 1.0);
        }
    free(w);
}

/* Random orthogonal d x d matrix: Q of the QR of a Gaussian matrix. */
static void random_orthogonal(size_t d, double *q)
{
    gsl_matrix *a = gsl_matrix_alloc(d, d);
    gsl_matrix *qm = gsl_matrix_alloc(d, d);
    gsl_matrix *r = gsl_matrix_alloc(d, d);
    gsl_vector *tau = gsl_vector_alloc(d);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            gsl_matrix_set(a, i, j, gsl_ran_gaussian(rng, 1.0));
    gsl_linalg_QR_decomp(a, tau);
    gsl_linalg_QR_unpack(a, tau, qm, r);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            q[i * d + j] = gsl_matrix_get(qm, i, j);
    gsl_matrix_free(a);
    gsl_matrix_free(qm);
    gsl_matrix_free(r);
    gsl_vector_free(tau);
}

/* out = x q (n x d times d x d), plain loops: the test must not share code
 * with what it checks. */
static void times(const sc_matrix *x, const double *q, sc_matrix *out)
{
    size_t d = x->cols;
    for (size_t i = 0; i < x->rows; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t p = 0; p < d; p++)
                s += x->data[i * d + p] * q[p * d + j];
            out->data[i * d + j] = s;
        }
}

static void copy_rows(const sc_matrix *x, const size_t *idx, size_t count,
                      sc_matrix *out)
{
    for (size_t i = 0; i < count; i++)
        memcpy(out->data + i * x->cols, x->data + idx[i] * x->cols,
               x->cols * sizeof *x->data);
}

/* ## Calling a configuration */

typedef struct cfg {
    const sc_plugin *p;
    sc_argset a;
    char label[160];
} cfg;

/* Parse "k=v,k=v" (or "") into an argset. */
static int parse(const sc_plugin *p, const char *text, sc_argset *a,
                 sc_err *err)
{
    char buf[256];
    const char *keys[8], *vals[8];
    size_t count = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, ","); tok && count < 8;
         tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (eq == NULL)
            return sc_err_set(err, SC_EINVAL, "bad config '%s'", text);
        *eq = '\0';
        keys[count] = tok;
        vals[count] = eq + 1;
        count++;
    }
    return sc_argset_parse(p, keys, vals, count, a, err);
}

/* f(x, y) through the core; on failure reports and returns NAN. */
static double value_of(const cfg *c, const sc_matrix *x, const sc_matrix *y,
                       const char *what)
{
    sc_err err;
    sc_err_clear(&err);
    sc_mat vx = sc_matrix_view(x), vy = sc_matrix_view(y);
    void *sx = NULL, *sy = NULL;
    double v = NAN;
    int rc = sc_metric_prepare(c->p, &c->a.args, &vx, &sx, &err);
    if (rc == SC_OK)
        rc = sc_metric_prepare(c->p, &c->a.args, &vy, &sy, &err);
    if (rc == SC_OK)
        rc = sc_metric_compare(c->p, &c->a.args, sx, sy, &v, &err);
    if (rc != SC_OK)
        expect_int(rc, SC_OK, "%s: %s: %s", c->label, what, err.msg);
    sc_metric_release(c->p, sx);
    sc_metric_release(c->p, sy);
    return v;
}

static int close_to(double got, double want)
{
    return isfinite(got) && fabs(got - want) <= TOL * (1.0 + fabs(want));
}

static void expect_close(double got, double want, const char *label,
                         const char *what)
{
    char detail[64];
    snprintf(detail, sizeof detail, "got %.17g want %.17g", got, want);
    expect_true(close_to(got, want), "%s: %s (%s)", label, what, detail);
}

/* ## Property checks on one input pair */

static void check_pair(const cfg *c, const sc_matrix *x, const sc_matrix *y)
{
    uint32_t flags = sc_metric_flags(c->p, &c->a.args);
    size_t n = x->rows, px = x->cols, py = y->cols;
    double v = value_of(c, x, y, "f(X,Y)");
    if (!expect_true(isfinite(v), "%s: f(X,Y) finite (%.17g)", c->label, v))
        return;

    if (flags & SC_METRIC_SYMMETRIC)
        expect_close(value_of(c, y, x, "f(Y,X)"), v, c->label,
                     "f(Y,X) = f(X,Y)");
    if (flags & SC_METRIC_SELF_ONE) {
        expect_close(value_of(c, x, x, "f(X,X)"), 1.0, c->label, "f(X,X) = 1");
        expect_close(value_of(c, y, y, "f(Y,Y)"), 1.0, c->label, "f(Y,Y) = 1");
    }
    if (flags & SC_METRIC_RANGE_01)
        expect_true(v >= 0.0 && v <= 1.0, "%s: value %.17g in [0, 1]", c->label,
                    v);
    if (flags & SC_METRIC_RANGE_PM1)
        expect_true(v >= -1.0 && v <= 1.0, "%s: value %.17g in [-1, 1]",
                    c->label, v);

    sc_matrix t, u, xs, ys;
    sc_err err;
    sc_matrix_init(&t, n, px, &err);
    sc_matrix_init(&u, n, py, &err);
    if (flags & SC_METRIC_ORTHO_INVARIANT) {
        double *q = malloc(px * px * sizeof *q);
        random_orthogonal(px, q);
        times(x, q, &t);
        expect_close(value_of(c, &t, y, "f(XQ,Y)"), v, c->label,
                     "orthogonal invariance f(XQ,Y) = f(X,Y)");
        free(q);
        q = malloc(py * py * sizeof *q);
        random_orthogonal(py, q);
        times(y, q, &u);
        expect_close(value_of(c, x, &u, "f(X,YQ)"), v, c->label,
                     "orthogonal invariance f(X,YQ) = f(X,Y)");
        free(q);
    }
    if (flags & SC_METRIC_SCALE_INVARIANT) {
        for (size_t p = 0; p < n * px; p++)
            t.data[p] = 2.385 * x->data[p];
        expect_close(value_of(c, &t, y, "f(aX,Y)"), v, c->label,
                     "scale invariance f(2.385 X,Y) = f(X,Y)");
    }
    if (flags & SC_METRIC_SHIFT_INVARIANT) {
        for (size_t j = 0; j < px; j++) {
            double cj = gsl_ran_gaussian(rng, 3.0);
            for (size_t i = 0; i < n; i++)
                t.data[i * px + j] = x->data[i * px + j] + cj;
        }
        expect_close(value_of(c, &t, y, "f(X+1c',Y)"), v, c->label,
                     "shift invariance f(X + 1c^T,Y) = f(X,Y)");
    }

    /* Joint permutation of the stimuli (always). */
    size_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    gsl_ran_shuffle(rng, perm, n, sizeof perm[0]);
    copy_rows(x, perm, n, &t);
    copy_rows(y, perm, n, &u);
    expect_close(value_of(c, &t, &u, "f(PX,PY)"), v, c->label,
                 "joint permutation of stimuli leaves f unchanged");
    free(perm);

    /* compare_subset vs prepare + compare on the subset rows. */
    if (c->p->desc->compare_subset != NULL) {
        size_t *idx = malloc(n * sizeof *idx);
        for (size_t i = 0; i < n; i++)
            idx[i] = gsl_rng_uniform_int(rng, n); /* with repeats */
        sc_matrix_init(&xs, n, px, &err);
        sc_matrix_init(&ys, n, py, &err);
        copy_rows(x, idx, n, &xs);
        copy_rows(y, idx, n, &ys);
        double direct = value_of(c, &xs, &ys, "f(X[idx],Y[idx])");
        sc_mat vx = sc_matrix_view(x), vy = sc_matrix_view(y);
        void *sx = NULL, *sy = NULL;
        double sub = NAN;
        sc_err_clear(&err);
        int rc = sc_metric_prepare(c->p, &c->a.args, &vx, &sx, &err);
        if (rc == SC_OK)
            rc = sc_metric_prepare(c->p, &c->a.args, &vy, &sy, &err);
        if (rc == SC_OK)
            rc = sc_metric_compare_subset(c->p, &c->a.args, sx, sy, &vx, &vy,
                                          idx, n, &sub, &err);
        expect_int(rc, SC_OK, "%s: compare_subset runs: %s", c->label, err.msg);
        expect_close(sub, direct, c->label,
                     "compare_subset = prepare+compare on X[idx],Y[idx]");
        sc_metric_release(c->p, sx);
        sc_metric_release(c->p, sy);
        sc_matrix_deinit(&xs);
        sc_matrix_deinit(&ys);
        free(idx);
    }

    /* Embedding: the value is the cosine of the two embeddings. */
    sc_mat vx = sc_matrix_view(x), vy = sc_matrix_view(y);
    void *sx = NULL, *sy = NULL;
    sc_err_clear(&err);
    if (sc_metric_prepare(c->p, &c->a.args, &vx, &sx, &err) == SC_OK &&
        sc_metric_prepare(c->p, &c->a.args, &vy, &sy, &err) == SC_OK) {
        size_t lx = sc_metric_embed_len(c->p, sx);
        size_t ly = sc_metric_embed_len(c->p, sy);
        if (lx > 0 || ly > 0) {
            expect_int((long long)lx, (long long)ly,
                       "%s: embeddings of equal length", c->label);
            double *ex = malloc(lx * sizeof *ex), *ey = malloc(lx * sizeof *ey);
            /* Two blocks each, to exercise offset/count streaming. */
            size_t half = lx / 2;
            int rc = sc_metric_embed(c->p, sx, 0, half, ex, &err);
            if (rc == SC_OK)
                rc =
                    sc_metric_embed(c->p, sx, half, lx - half, ex + half, &err);
            if (rc == SC_OK)
                rc = sc_metric_embed(c->p, sy, 0, lx, ey, &err);
            expect_int(rc, SC_OK, "%s: embed runs: %s", c->label, err.msg);
            double dxy = 0, dxx = 0, dyy = 0;
            for (size_t p = 0; p < lx; p++) {
                dxy += ex[p] * ey[p];
                dxx += ex[p] * ex[p];
                dyy += ey[p] * ey[p];
            }
            expect_close(dxy / sqrt(dxx * dyy), v, c->label,
                         "embedding cosine = compare value");
            free(ex);
            free(ey);
        }
    }
    sc_metric_release(c->p, sx);
    sc_metric_release(c->p, sy);
    sc_matrix_deinit(&t);
    sc_matrix_deinit(&u);
}

/* ## Domain checks (default configuration) */

/* prepare x and y, then compare; the first failing status (SC_OK if none)
 * and its message. */
static int try_pair(const cfg *c, const sc_matrix *x, const sc_matrix *y,
                    sc_err *err)
{
    sc_mat vx = sc_matrix_view(x), vy = sc_matrix_view(y);
    void *sx = NULL, *sy = NULL;
    double v = NAN;
    sc_err_clear(err);
    int rc = sc_metric_prepare(c->p, &c->a.args, &vx, &sx, err);
    if (rc == SC_OK)
        rc = sc_metric_prepare(c->p, &c->a.args, &vy, &sy, err);
    if (rc == SC_OK)
        rc = sc_metric_compare(c->p, &c->a.args, sx, sy, &v, err);
    sc_metric_release(c->p, sx);
    sc_metric_release(c->p, sy);
    return rc;
}

static void expect_one_line(const sc_err *err, const char *label,
                            const char *what)
{
    expect_true(err->msg[0] != '\0' && strchr(err->msg, '\n') == NULL,
                "%s: %s error is one non-empty line: \"%s\"", label, what,
                err->msg);
}

static void check_domain(const cfg *c)
{
    sc_err err;
    size_t d = 7;
    sc_matrix x, y, short_y, few, flat, same;
    sc_matrix_init(&x, N_ROWS, d, &err);
    sc_matrix_init(&y, N_ROWS, d, &err);
    sc_matrix_init(&short_y, N_ROWS - 1, d, &err);
    fill_x(&x);
    fill_y(&x, &y);
    fill_x(&short_y);

    int rc = try_pair(c, &x, &short_y, &err);
    expect_int(rc, SC_EINVAL, "%s: 40 vs 39 rows rejected: %s", c->label,
               err.msg);
    expect_contains(err.msg, "different numbers of stimuli",
                    "%s: mismatch message names the problem", c->label);

    size_t mr = c->p->desc->min_rows;
    if (mr >= 1) {
        sc_matrix_init(&few, mr - 1, d, &err);
        fill_x(&few);
        sc_mat vf = sc_matrix_view(&few);
        void *sf = NULL;
        sc_err_clear(&err);
        rc = sc_metric_prepare(c->p, &c->a.args, &vf, &sf, &err);
        expect_int(rc, SC_EDOM, "%s: min_rows - 1 = %zu rows is SC_EDOM: %s",
                   c->label, mr - 1, err.msg);
        expect_true(sf == NULL, "%s: no state after a failed prepare",
                    c->label);
        expect_one_line(&err, c->label, "too few rows");
        sc_matrix_deinit(&few);
    }

    sc_matrix_init(&flat, N_ROWS, d, &err);
    for (size_t p = 0; p < N_ROWS * d; p++)
        flat.data[p] = 2.385;
    rc = try_pair(c, &flat, &y, &err);
    expect_int(rc, SC_EDOM, "%s: constant representation is SC_EDOM: %s",
               c->label, err.msg);
    expect_one_line(&err, c->label, "constant representation");

    sc_matrix_init(&same, N_ROWS, d, &err);
    for (size_t i = 0; i < N_ROWS; i++)
        memcpy(same.data + i * d, x.data, d * sizeof *x.data);
    rc = try_pair(c, &x, &same, &err);
    expect_int(rc, SC_EDOM, "%s: all rows identical is SC_EDOM: %s", c->label,
               err.msg);
    expect_one_line(&err, c->label, "identical rows");

    sc_matrix_deinit(&x);
    sc_matrix_deinit(&y);
    sc_matrix_deinit(&short_y);
    sc_matrix_deinit(&flat);
    sc_matrix_deinit(&same);
}

/* ## Driver */

static int open_cfg(const char *name, const char *params, cfg *c)
{
    sc_err err;
    sc_err_clear(&err);
    memset(c, 0, sizeof *c);
    int rc = sc_loader_open(name, SC_BUILD_PLUGIN_DIR, &c->p, &err);
    if (rc == SC_OK)
        rc = parse(c->p, params, &c->a, &err);
    snprintf(c->label, sizeof c->label, "%s[%s]", name,
             params[0] ? params : "defaults");
    expect_int(rc, SC_OK, "%s: loads and parses: %s", c->label, err.msg);
    return rc;
}

static void run_config(const char *name, const char *params)
{
    cfg c;
    if (open_cfg(name, params, &c) != SC_OK)
        return;
    static const size_t widths[] = {5, 23, 60}; /* 60 > n = 40 */
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        sc_matrix x, y;
        sc_err err;
        sc_matrix_init(&x, N_ROWS, widths[w], &err);
        /* y one width up the list: different widths in every pair */
        sc_matrix_init(&y, N_ROWS, widths[(w + 1) % 3], &err);
        fill_x(&x);
        fill_y(&x, &y);
        char save[160];
        snprintf(save, sizeof save, "%s", c.label);
        snprintf(c.label, sizeof c.label, "%.100s d=%zu/%zu", save, x.cols,
                 y.cols);
        check_pair(&c, &x, &y);
        snprintf(c.label, sizeof c.label, "%s", save);
        sc_matrix_deinit(&x);
        sc_matrix_deinit(&y);
    }
    if (params[0] == '\0') {
        /* One larger pair (n = 300, the size of the example zoo's real
         * features): factorisations that are exact on small inputs but
         * lose orthogonality on larger ones (the reason for this case: GSL
         * 2.7's one-sided Jacobi SVD returns a non-orthogonal U from about
         * 100 x 100 up) break self-similarity and invariances here. */
        sc_matrix x, y;
        sc_err err;
        sc_matrix_init(&x, N_LARGE, 128, &err);
        sc_matrix_init(&y, N_LARGE, 100, &err);
        fill_x(&x);
        fill_y(&x, &y);
        char save[160];
        snprintf(save, sizeof save, "%s", c.label);
        snprintf(c.label, sizeof c.label, "%.100s n=%d d=128/100", save,
                 N_LARGE);
        check_pair(&c, &x, &y);
        snprintf(c.label, sizeof c.label, "%s", save);
        sc_matrix_deinit(&x);
        sc_matrix_deinit(&y);
        check_domain(&c);
    }
    sc_argset_deinit(&c.a);
}

SC_TEST(every_plugin_keeps_its_contract)
{
    sc_err err;
    char **names = NULL;
    size_t count = 0;
    int rc = sc_loader_find_all(SC_BUILD_PLUGIN_DIR, &names, &count, &err);
    expect_int(rc, SC_OK, "find plugins in %s: %s", SC_BUILD_PLUGIN_DIR,
               err.msg);
    /* The suite this test was written with must all be there. */
    static const char *const suite[] = {"rsa",        "knn",   "cknna",
                                        "procrustes", "svcca", "linreg"};
    for (size_t s = 0; s < sizeof suite / sizeof suite[0]; s++) {
        int found = 0;
        for (size_t i = 0; i < count; i++)
            found |= strcmp(names[i], suite[s]) == 0;
        expect_true(found, "plugin %s is built", suite[s]);
    }
    for (size_t i = 0; i < count; i++) {
        printf("# plugin %s\n", names[i]);
        run_config(names[i], "");
        for (size_t e = 0; e < sizeof extra_configs / sizeof extra_configs[0];
             e++)
            if (strcmp(extra_configs[e].plugin, names[i]) == 0)
                run_config(names[i], extra_configs[e].params);
        for (size_t e = 0; e < sizeof edom_configs / sizeof edom_configs[0];
             e++) {
            if (strcmp(edom_configs[e].plugin, names[i]) != 0)
                continue;
            cfg c;
            if (open_cfg(names[i], edom_configs[e].params, &c) != SC_OK)
                continue;
            sc_matrix x, y;
            sc_matrix_init(&x, N_ROWS, 9, &err);
            sc_matrix_init(&y, N_ROWS, 9, &err);
            fill_x(&x);
            fill_y(&x, &y);
            rc = try_pair(&c, &x, &y, &err);
            expect_int(rc, SC_EDOM, "%s on n = %d is SC_EDOM: %s", c.label,
                       N_ROWS, err.msg);
            expect_one_line(&err, c.label, "domain");
            sc_matrix_deinit(&x);
            sc_matrix_deinit(&y);
            sc_argset_deinit(&c.a);
        }
    }
    sc_loader_names_free(names, count);
}

int main(void)
{
    sc_init();
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20241107u);
    int rc = sc_test_run();
    gsl_rng_free(rng);
    sc_loader_shutdown();
    return rc;
}
