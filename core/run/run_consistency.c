/* Stage 2 of `simcon run`: consistency of every dataset pair (paper,
 * docs/FORMULAS.md "The paper's definitions").
 *
 * For metric k, datasets a < b (spec order) and model set P:
 *   r = corr({S_a[i,j]}, {S_b[i,j]}) over the pairs {i,j} in P (i < j),
 * corr = analyses.consistency.correlation (Pearson / Spearman). Sets, in
 * this order: "all"; for each groupby attribute g and its categories in
 * first-appearance order, "g:c1|c2" for c1 <= c2 (within when equal,
 * between otherwise); for each anchor model A, groupby attribute g and
 * category c, "anchor:A|g:c" = {A, j} for every other model j in c. Every
 * set gets its rows, even with 0 or 1 pair; r needs SC_MIN_CORR_PAIRS (3)
 * pairs (stat_limits.h), else it is empty and the note says why. Models
 * without the attribute belong to no category.
 *
 * Statistics per row (one task, one stream seeded by
 * sc_rng_task_seed(seed, "consistency/<metric>/<a>/<b>/<set>"), made
 * collision-free over the table by sc_rng_assign_seeds; the Mantel
 * permutations are drawn first, then the bootstrap resamples):
 * - p: Mantel test, one-sided "greater" (the paper's hypothesis is that
 *   similarity structure is shared, i.e. r > 0), permuting the m model
 *   labels of S_b jointly in rows and columns; p = (1+#{T*>=T})/(1+B), or
 *   the exact #{T*>=T}/m! when m! <= B (sc_run_perm_count); n_perm is the
 *   count behind p.
 * - CI: bootstrap over models (resample m models, drop self-pairs, keep the
 *   pairs of P; sc_consistency_boot_stat) with the spec's interval; or over
 *   stimuli (stage 1's replicates S^(r), percentile interval, since BCa's
 *   jackknife would need n recomputations of every matrix). With
 *   statistics.over: datasets the per-row CI is over models (datasets are
 *   the unit only of aggregates over datasets). A model-bootstrap CI needs
 *   SC_MIN_CI_MODELS models on each side of the set (run_set.side).
 * - q: the spec's correction within a family (statistics.family: question:
 *   metric x attribute x row kind; metric: all rows of one metric; each
 *   metric is always its own family: metrics are alternative views of the
 *   same question, not more tests of it).
 * An undefined r (constant values) leaves r, CI, p and q empty. Every
 * empty value's reason is in the note column (docs/STATISTICS.md).
 *
 * consistency.csv columns: metric,dataset_a,dataset_b,model_set,n_pairs,r,
 * ci_lo,ci_hi,p,q,B,seed,ci_method,n_perm,note. With one dataset: one row
 * per metric, note "one dataset: no consistency". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "rng.h"
#include "run_internal.h"

/* ## Attributes and model sets */

static int add_attr(sc_runctx *rc, const char *name, size_t *index, sc_err *err)
{
    for (size_t a = 0; a < rc->nattrs; a++)
        if (strcmp(rc->attrs[a].name, name) == 0) {
            *index = a;
            return SC_OK;
        }
    run_attr *grown = sc_realloc(rc->attrs, (rc->nattrs + 1) * sizeof *grown);
    if (grown == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    rc->attrs = grown;
    run_attr *at = &rc->attrs[rc->nattrs];
    memset(at, 0, sizeof *at);
    at->name = name;
    at->cats = sc_calloc(rc->m, sizeof *at->cats);
    at->label = sc_calloc(rc->m, sizeof *at->label);
    rc->nattrs++;
    if (at->cats == NULL || at->label == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t i = 0; i < rc->m; i++) {
        const char *v = sc_spec_model_meta(&rc->spec->models[i], name);
        at->label[i] = SC_CAT_NONE;
        if (v == NULL)
            continue;
        size_t c = 0;
        while (c < at->ncat && strcmp(at->cats[c], v) != 0)
            c++;
        if (c == at->ncat)
            at->cats[at->ncat++] = v;
        at->label[i] = c;
    }
    *index = rc->nattrs - 1;
    return SC_OK;
}

/* Distinct models among the pairs with category c (SIZE_MAX: any). */
static size_t models_in(const sc_pairs *p, const size_t *label, size_t c,
                        size_t m)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        bool seen = false;
        for (size_t k = 0; k < p->n && !seen; k++)
            seen = (p->i[k] == i || p->j[k] == i) &&
                   (c == SIZE_MAX || label[i] == c);
        n += seen;
    }
    return n;
}

/* Every set is kept, even with 0 or 1 pair: its rows say why they are NA
 * (the paper skipped sets with <= 1 pair silently). */
static int push_set(sc_runctx *rc, run_set *s)
{
    run_set *grown = sc_realloc(rc->sets, (rc->nsets + 1) * sizeof *grown);
    if (grown == NULL) {
        sc_pairs_deinit(&s->pairs);
        return SC_ENOMEM;
    }
    rc->sets = grown;
    rc->sets[rc->nsets++] = *s;
    return SC_OK;
}

int sc_run_build_sets(sc_runctx *rc, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t m = rc->m;
    int st = SC_OK;
    size_t *gidx = sc_calloc(spec->ngroupby + 1, sizeof *gidx);
    if (gidx == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t g = 0; g < spec->ngroupby && st == SC_OK; g++)
        st = add_attr(rc, spec->groupby[g], &gidx[g], err);
    for (size_t c = 0; c < spec->ncontrasts && st == SC_OK; c++) {
        size_t ignored;
        st = add_attr(rc, spec->contrasts[c].attribute, &ignored, err);
    }
    if (st != SC_OK) {
        sc_free(gidx);
        return st;
    }
    run_set s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "all");
    s.attr = SIZE_MAX;
    s.kind = RUN_SET_ALL;
    s.side = m;
    st = sc_pairs_init_all(&s.pairs, m, err);
    if (st == SC_OK && push_set(rc, &s) != SC_OK)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    for (size_t g = 0; g < spec->ngroupby && st == SC_OK; g++) {
        const run_attr *at = &rc->attrs[gidx[g]];
        for (size_t c1 = 0; c1 < at->ncat && st == SC_OK; c1++)
            for (size_t c2 = c1; c2 < at->ncat && st == SC_OK; c2++) {
                memset(&s, 0, sizeof s);
                s.attr = gidx[g];
                snprintf(s.name, sizeof s.name, "%s:%s|%s", at->name,
                         at->cats[c1], at->cats[c2]);
                st = c1 == c2
                         ? sc_pairs_init_within(&s.pairs, at->label, m, c1, err)
                         : sc_pairs_init_between(&s.pairs, at->label, m, c1, c2,
                                                 err);
                s.kind = c1 == c2 ? RUN_SET_WITHIN : RUN_SET_BETWEEN;
                if (st == SC_OK) {
                    size_t n1 = models_in(&s.pairs, at->label, c1, m);
                    size_t n2 = models_in(&s.pairs, at->label, c2, m);
                    s.side = n1 < n2 ? n1 : n2;
                }
                if (st == SC_OK && push_set(rc, &s) != SC_OK)
                    st = sc_err_set(err, SC_ENOMEM, "out of memory");
            }
    }
    for (size_t a = 0; a < spec->nanchors && st == SC_OK; a++) {
        size_t anchor = 0;
        while (anchor < m &&
               strcmp(spec->models[anchor].name, spec->anchors[a]) != 0)
            anchor++;
        if (anchor == m) {
            st = sc_err_set(err, SC_ESPEC,
                            "%s: analyses.consistency."
                            "anchors: '%s' is not a model of the spec; use "
                            "a name from models",
                            spec->path, spec->anchors[a]);
            break;
        }
        for (size_t g = 0; g < spec->ngroupby && st == SC_OK; g++) {
            const run_attr *at = &rc->attrs[gidx[g]];
            for (size_t c = 0; c < at->ncat && st == SC_OK; c++) {
                memset(&s, 0, sizeof s);
                s.attr = gidx[g];
                snprintf(s.name, sizeof s.name, "anchor:%s|%s:%s",
                         spec->anchors[a], at->name, at->cats[c]);
                st = sc_pairs_init_anchor(&s.pairs, at->label, m, anchor, c,
                                          err);
                s.kind = RUN_SET_ANCHOR;
                s.side = 1; /* one side is the anchor alone */
                if (st == SC_OK && push_set(rc, &s) != SC_OK)
                    st = sc_err_set(err, SC_ENOMEM, "out of memory");
            }
        }
    }
    sc_free(gidx);
    return st;
}

/* ## Consistency tasks */

typedef struct cons_row {
    size_t k, a, b, s;
    double r, lo, hi, p, q;
    size_t n_perm; /* permutations behind p (0: no p) */
    uint32_t seed;
    const char *ci_method;
    char note[512]; /* why a value is NA */
} cons_row;

typedef struct cons_job {
    sc_runctx *rc;
    cons_row *rows;
} cons_job;

static void task_id(const sc_runctx *rc, const cons_row *row, char *buf,
                    size_t cap)
{
    snprintf(buf, cap, "consistency/%s/%s/%s/%s", rc->metrics[row->k].sm->name,
             rc->spec->datasets[row->a].name, rc->spec->datasets[row->b].name,
             rc->sets[row->s].name);
}

/* CI from stage 1's stimulus replicates: percentile of corr(S_a^(r),
 * S_b^(r)) over the replicates where it is defined. */
static int stimulus_ci(const sc_runctx *rc, const double *ba, const double *bb,
                       const sc_pairs *pairs, sc_corr_method method, double *lo,
                       double *hi, sc_err *err)
{
    size_t B = rc->spec->bootstrap, m = rc->m, nd = 0;
    double *reps = sc_malloc(B * sizeof *reps);
    if (reps == NULL)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    int st = SC_OK;
    for (size_t r = 0; r < B && st == SC_OK; r++) {
        sc_matrix va = {m, m, (double *)(uintptr_t)(ba + r * m * m)};
        sc_matrix vb = {m, m, (double *)(uintptr_t)(bb + r * m * m)};
        double v;
        st = sc_corr_pairs(&va, &vb, pairs, method, NULL, &v, err);
        if (st == SC_OK)
            reps[nd++] = v;
        else if (st == SC_EDOM)
            st = SC_OK;
    }
    if (st == SC_OK && nd >= 2)
        st = sc_ci_percentile(reps, nd, rc->spec->ci, lo, hi, err);
    sc_free(reps);
    return st;
}

static int cons_task(size_t t, void *ud, sc_err *err)
{
    cons_job *job = ud;
    sc_runctx *rc = job->rc;
    const sc_spec *spec = rc->spec;
    cons_row *row = &job->rows[t];
    const sc_matrix *Sa = &rc->sims[row->k * rc->D + row->a];
    const sc_matrix *Sb = &rc->sims[row->k * rc->D + row->b];
    const sc_pairs *pairs = &rc->sets[row->s].pairs;
    sc_corr_method method = (sc_corr_method)spec->consistency_corr;
    const run_set *set = &rc->sets[row->s];
    row->r = row->lo = row->hi = row->p = row->q = NAN;
    row->n_perm = 0;
    row->note[0] = '\0';
    row->ci_method = spec->over == SC_OVER_STIMULI
                         ? "percentile"
                         : sc_ci_name((sc_ci_method)spec->interval);
    char task[1024];
    task_id(rc, row, task, sizeof task);
    if (pairs->n < SC_MIN_CORR_PAIRS) {
        if (pairs->n == 0)
            sc_note_add(row->note, sizeof row->note,
                        "no pairs (a category with 1 model)");
        else
            sc_note_add(row->note, sizeof row->note,
                        "fewer than %d pairs (%zu): no correlation",
                        SC_MIN_CORR_PAIRS, pairs->n);
        return SC_OK;
    }
    int st = sc_corr_pairs(Sa, Sb, pairs, method, NULL, &row->r, err);
    if (st == SC_EDOM) { /* constant similarities: r undefined */
        row->r = NAN;
        sc_note_add(row->note, sizeof row->note,
                    "r undefined: constant similarities on a side");
        return SC_OK;
    }
    if (st != SC_OK)
        return sc_err_prefix(err, "%s", task);
    sc_rng rng = {0};
    st = sc_rng_init(&rng, row->seed, err);
    if (st == SC_OK && spec->permutations == 0)
        sc_note_add(row->note, sizeof row->note,
                    "no p: statistics.permutations is 0");
    if (st == SC_OK && spec->permutations > 0) {
        bool exact = false;
        sc_run_perm_count(rc->m, spec->permutations, &exact);
        sc_mantel_opts mo = {method, SC_ALT_GREATER, spec->permutations, exact};
        sc_mantel_result mr;
        st = sc_mantel(Sa, Sb, pairs, &mo, exact ? NULL : &rng, &mr, err);
        if (st == SC_OK) {
            row->p = mr.p;
            row->n_perm = mr.b;
            if (exact)
                sc_note_add(row->note, sizeof row->note,
                            "exact test (%zu permutations)", mr.b);
        } else if (st == SC_EDOM) {
            st = SC_OK;
            sc_note_add(row->note, sizeof row->note,
                        "no p: the statistic is undefined under every "
                        "permutation");
        }
    }
    if (st == SC_OK && spec->bootstrap == 0)
        sc_note_add(row->note, sizeof row->note,
                    "no CI: statistics.bootstrap is 0");
    if (st == SC_OK && spec->bootstrap > 0 && spec->over != SC_OVER_STIMULI &&
        set->side < SC_MIN_CI_MODELS) {
        sc_note_add(row->note, sizeof row->note,
                    "too few models for a CI (%zu < %d per side)", set->side,
                    SC_MIN_CI_MODELS);
    } else if (st == SC_OK && spec->bootstrap > 0) {
        if (spec->over == SC_OVER_STIMULI) {
            st = stimulus_ci(rc, rc->boot_sims[row->k * rc->D + row->a],
                             rc->boot_sims[row->k * rc->D + row->b], pairs,
                             method, &row->lo, &row->hi, err);
        } else {
            sc_consistency cs = {Sa, Sb, pairs, method};
            sc_boot_opts bo = {spec->bootstrap, spec->ci,
                               (sc_ci_method)spec->interval, 0, false};
            sc_boot_result br;
            st = sc_boot(rc->m, sc_consistency_boot_stat, &cs, &bo, &rng, &br,
                         NULL, err);
            if (st == SC_OK) {
                row->lo = br.lo;
                row->hi = br.hi;
            } else if (st == SC_EDOM) {
                st = SC_OK;
            }
        }
        if (st == SC_OK && isnan(row->lo))
            sc_note_add(row->note, sizeof row->note,
                        "no CI: the statistic is undefined on too many "
                        "resamples");
    }
    sc_rng_deinit(&rng);
    if (st != SC_OK)
        sc_err_prefix(err, "%s", task);
    return st;
}

int sc_run_consistency(sc_runctx *rc, sc_err *err)
{
    const sc_spec *spec = rc->spec;
    size_t n = rc->M * rc->nsets * rc->npairs;
    rc->cons_r = sc_malloc((n + 1) * sizeof *rc->cons_r);
    rc->cons_lo = sc_malloc((n + 1) * sizeof *rc->cons_lo);
    rc->cons_hi = sc_malloc((n + 1) * sizeof *rc->cons_hi);
    rc->cons_note = sc_calloc(n + 1, sizeof *rc->cons_note);
    cons_row *rows = sc_calloc(n + 1, sizeof *rows);
    double *p = sc_malloc((n + 1) * sizeof *p);
    double *q = sc_malloc((n + 1) * sizeof *q);
    size_t *group = sc_malloc((n + 1) * sizeof *group);
    uint32_t *seeds = sc_malloc((n + 1) * sizeof *seeds);
    char **ids = sc_calloc(n + 1, sizeof *ids);
    int st = SC_OK;
    if (rc->cons_r == NULL || rc->cons_lo == NULL || rc->cons_hi == NULL ||
        rc->cons_note == NULL || rows == NULL || p == NULL || q == NULL ||
        group == NULL || seeds == NULL || ids == NULL)
        st = sc_err_set(err, SC_ENOMEM, "out of memory");
    size_t t = 0;
    for (size_t k = 0; k < rc->M && st == SC_OK; k++)
        for (size_t a = 0; a < rc->D; a++)
            for (size_t b = a + 1; b < rc->D; b++)
                for (size_t s = 0; s < rc->nsets; s++) {
                    rows[t].k = k;
                    rows[t].a = a;
                    rows[t].b = b;
                    rows[t].s = s;
                    t++;
                }
    /* Seeds first, checked before any work: two tasks on one stream would
     * give correlated estimates (rng.h), and a clash is cheaper to report
     * before the run than after it. */
    for (size_t k = 0; k < n && st == SC_OK; k++) {
        char id[1024];
        task_id(rc, &rows[k], id, sizeof id);
        ids[k] = sc_strdup(id);
        if (ids[k] == NULL)
            st = sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    if (st == SC_OK)
        st = sc_rng_assign_seeds(spec->seed, (const char *const *)ids, n, seeds,
                                 err);
    for (size_t k = 0; k < n && st == SC_OK; k++)
        rows[k].seed = seeds[k];
    cons_job job = {rc, rows};
    if (st == SC_OK)
        st = sc_run_parallel(rc, n, cons_task, &job, "consistency", err);
    for (size_t k = 0; k < n && st == SC_OK; k++) {
        const run_set *set = &rc->sets[rows[k].s];
        p[k] = rows[k].p;
        group[k] = sc_run_family(spec, rows[k].k,
                                 set->attr == SIZE_MAX ? 0 : set->attr + 1,
                                 rc->nattrs + 1, (size_t)set->kind, 4);
    }
    if (st == SC_OK)
        st = sc_run_adjust(p, group, n, spec->correction, q, err);
    sc_buf b = {0};
    if (st == SC_OK) {
        sc_buf_puts(&b, "metric,dataset_a,dataset_b,model_set,n_pairs,r,"
                        "ci_lo,ci_hi,p,q,B,seed,ci_method,n_perm,note\n");
        if (rc->D == 1)
            for (size_t k = 0; k < rc->M; k++)
                sc_buf_printf(&b,
                              "%s,%s,,all,%zu,,,,,,%zu,0,none,0,one "
                              "dataset: no consistency\n",
                              rc->metrics[k].sm->name, spec->datasets[0].name,
                              rc->nsets > 0 ? rc->sets[0].pairs.n : 0,
                              spec->bootstrap);
        for (size_t k = 0; k < n; k++) {
            cons_row *row = &rows[k];
            row->q = q[k];
            size_t slot = (row->k * rc->nsets + row->s) * rc->npairs +
                          sc_run_pair_index(row->a, row->b, rc->D);
            rc->cons_r[slot] = row->r;
            rc->cons_lo[slot] = row->lo;
            rc->cons_hi[slot] = row->hi;
            memcpy(rc->cons_note[slot], row->note, sizeof row->note);
            sc_buf_printf(&b, "%s,%s,%s,%s,%zu,", rc->metrics[row->k].sm->name,
                          spec->datasets[row->a].name,
                          spec->datasets[row->b].name, rc->sets[row->s].name,
                          rc->sets[row->s].pairs.n);
            sc_fmt_num(&b, row->r);
            sc_buf_puts(&b, ",");
            sc_fmt_num(&b, row->lo);
            sc_buf_puts(&b, ",");
            sc_fmt_num(&b, row->hi);
            sc_buf_puts(&b, ",");
            sc_fmt_num(&b, row->p);
            sc_buf_puts(&b, ",");
            sc_fmt_num(&b, row->q);
            sc_buf_printf(
                &b, ",%zu,%u,%s,%zu,", spec->bootstrap, (unsigned)row->seed,
                spec->bootstrap > 0 && !isnan(row->lo) ? row->ci_method
                                                       : "none",
                row->n_perm);
            sc_fmt_text(&b, row->note);
            sc_buf_puts(&b, "\n");
        }
        st = sc_run_write(rc, "consistency.csv", &b, err);
    }
    sc_buf_deinit(&b);
    if (ids != NULL)
        for (size_t k = 0; k < n; k++)
            sc_free(ids[k]);
    sc_free(ids);
    sc_free(seeds);
    sc_free(group);
    sc_free(q);
    sc_free(p);
    sc_free(rows);
    return st;
}
