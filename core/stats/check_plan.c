/* What `simcon check` predicts about a run's statistics from the spec and
 * the input shapes alone (check_plan.h). Mirrors the runner's rules:
 * core/run/run_consistency.c (sets, Mantel one-sided, exact when m! <= B),
 * core/run/run_behaviour.c (Mantel two-sided per dataset, label permutation of
 * the mean rows), core/run/run_contrasts.c (label permutation, two-sided as
 * twice the smaller tail), the thresholds of core/stats/stat_limits.h and the
 * correction families of statistics.family (docs/STATISTICS.md). */
#include "check_plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "stat_limits.h"
#include "stats.h"
#include "results_schema.h"

/* Categories of a model attribute in first-appearance order, with counts. */
typedef struct cats {
    size_t n;
    const char *name[256];
    size_t count[256];
} cats;

static void get_cats(const sc_spec *spec, const char *attr, cats *c)
{
    c->n = 0;
    for (size_t i = 0; i < spec->nmodels; i++) {
        const char *v = sc_spec_model_meta(&spec->models[i], attr);
        if (v == NULL)
            continue;
        size_t k = 0;
        while (k < c->n && strcmp(c->name[k], v) != 0)
            k++;
        if (k == c->n) {
            if (c->n == 256)
                continue;
            c->name[c->n] = v;
            c->count[c->n++] = 0;
        }
        c->count[k]++;
    }
}

/* log of the number of distinct labellings m! / (n1! n2! rest!). */
static double log_labellings(size_t m, size_t n1, size_t n2)
{
    return lgamma((double)m + 1) - lgamma((double)n1 + 1) -
           lgamma((double)n2 + 1) - lgamma((double)(m - n1 - n2) + 1);
}

/* Smallest one-sided p of a permutation test with `arrangements` equally
 * likely outcomes (log), run with B random permutations or exactly. */
static double min_p(size_t m, size_t perms, double log_arr)
{
    double f = lgamma((double)m + 1);
    double pm = f <= log((double)perms) + 1e-9 && m <= SC_MANTEL_EXACT_MAX
                    ? exp(-f)
                    : 1.0 / (double)(perms + 1);
    double pa = exp(-log_arr); /* the observed labelling recurs this often */
    return pm > pa ? pm : pa;
}

static double min_q(const sc_spec *spec, size_t ntests, double pmin)
{
    double q = pmin;
    if (spec->correction == SC_PADJ_HOLM)
        q = (double)ntests * pmin;
    return q < 1 ? q : 1;
}

/* One family line, and a warning when its smallest q exceeds 0.05. */
static void family(const sc_spec *spec, FILE *out, FILE *warn,
                   const char *table, const char *fam, size_t copies,
                   size_t ntests, double pmin, size_t *nwarn)
{
    if (ntests == 0)
        return;
    double q = min_q(spec, ntests, pmin);
    const char *corr =
        spec->correction == SC_SPEC_CORRECTION_NONE
            ? "none"
            : sc_padjust_name((sc_padjust_method)spec->correction);
    fprintf(out,
            "stats: %s: family %s (x%zu): %zu tests, smallest p %.3g, "
            "smallest q %.3g (%s)\n",
            table, fam, copies, ntests, pmin, q, corr);
    if (q > 0.05) {
        (*nwarn)++;
        /* The floor comes from B, or from too few distinct outcomes
         * (exact test over m!, or few distinct labellings). */
        bool by_b = pmin <= 2.0 / (double)(spec->permutations + 1) + 1e-12;
        fprintf(warn,
                "simcon check: warning: %s: family %s: smallest possible q "
                "is %.3g > 0.05, so no row can be significant; %s%s\n",
                table, fam, q,
                by_b ? "raise statistics.permutations"
                     : "the permutation distribution has too few outcomes "
                       "(too few models)",
                spec->correction == SC_PADJ_HOLM
                    ? by_b ? " or use statistics.correction: bh"
                           : "; or use statistics.correction: bh"
                    : "");
    }
}

/* Append ", " (unless list is empty) and one printf-formatted item to a
 * warning's list, truncating at cap. */
__attribute__((format(printf, 3, 4))) static void
list_add(char *list, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(list);
    if (len > 0) {
        snprintf(list + len, cap - len, ", ");
        len = strlen(list);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(list + len, cap - len, fmt, ap);
    va_end(ap);
}

/* Warnings that need no permutations: one dataset with consistency on,
 * and groupby categories too small for a CI. */
static void warn_sizes(const sc_spec *spec, FILE *warn, size_t *nwarn)
{
    if (spec->consistency_enabled && spec->ndatasets < 2) {
        (*nwarn)++;
        fprintf(warn,
                "simcon check: warning: one dataset: consistency and "
                "contrasts need at least 2 datasets; their rows will be NA "
                "with the note 'one dataset: no consistency'\n");
    }
    if (spec->over == SC_OVER_STIMULI && spec->bootstrap > 0 &&
        !SC_STIMULUS_CI_VALIDATED) {
        (*nwarn)++;
        fprintf(warn,
                "simcon check: warning: statistics.over: stimuli: the "
                "stimulus bootstrap's CI is not validated, so consistency "
                "and behaviour rows print none (note '%s')\n",
                SC_NOTE_STIMULUS_CI);
    }
    bool models = spec->over != SC_OVER_STIMULI && spec->bootstrap > 0;
    if (models && spec->nmodels < SC_MIN_CI_MODELS &&
        (spec->consistency_enabled || spec->behaviour_enabled)) {
        (*nwarn)++;
        fprintf(warn,
                "simcon check: warning: %zu models: fewer than %d, so no "
                "consistency or behaviour row gets a CI over models (note "
                "'too few models for a CI (%zu < %d per side)')\n",
                spec->nmodels, SC_MIN_CI_MODELS, spec->nmodels,
                SC_MIN_CI_MODELS);
    }
    for (size_t g = 0; spec->consistency_enabled && g < spec->ngroupby; g++) {
        cats c;
        get_cats(spec, spec->groupby[g], &c);
        char list[2048] = "";
        for (size_t k = 0; k < c.n; k++)
            if (c.count[k] < SC_MIN_CI_MODELS)
                list_add(list, sizeof list, "'%s' (%zu)", c.name[k],
                         c.count[k]);
        if (list[0] != '\0') {
            (*nwarn)++;
            fprintf(warn,
                    "simcon check: warning: groupby %s: %s have fewer than "
                    "%d models: their rows get no CI (and no r with fewer "
                    "than %d pairs)\n",
                    spec->groupby[g], list, SC_MIN_CI_MODELS,
                    SC_MIN_CORR_PAIRS);
        }
    }
}

/* Rows of groupby attribute g with enough pairs for an r: within one
 * category, between two, and per anchor the anchor's model against the
 * others of each category (cnt[0..2], per dataset pair). */
static void groupby_rows(const sc_spec *spec, size_t g, const cats *c,
                         size_t cnt[3])
{
    size_t within = 0, between = 0, anchor = 0;
    for (size_t a = 0; a < c->n; a++) {
        within += c->count[a] * (c->count[a] - 1) / 2 >= SC_MIN_CORR_PAIRS;
        for (size_t b = a + 1; b < c->n; b++)
            between += c->count[a] * c->count[b] >= SC_MIN_CORR_PAIRS;
    }
    for (size_t an = 0; an < spec->nanchors; an++) {
        const char *av = NULL;
        for (size_t i = 0; i < spec->nmodels; i++)
            if (strcmp(spec->models[i].name, spec->anchors[an]) == 0)
                av = sc_spec_model_meta(&spec->models[i], spec->groupby[g]);
        for (size_t a = 0; a < c->n; a++) {
            size_t others =
                c->count[a] - (av != NULL && strcmp(av, c->name[a]) == 0);
            anchor += others >= SC_MIN_CORR_PAIRS;
        }
    }
    cnt[0] = within;
    cnt[1] = between;
    cnt[2] = anchor;
}

/* consistency.csv: one-sided Mantel per dataset pair and row. */
static void plan_consistency(const sc_spec *spec, FILE *out, FILE *warn,
                             size_t *nwarn)
{
    size_t m = spec->nmodels, D = spec->ndatasets, M = spec->nmetrics;
    size_t npairs = D * (D - (D > 0)) / 2;
    bool by_metric = spec->family == SC_FAMILY_METRIC;
    double pmin = min_p(m, spec->permutations, INFINITY);
    size_t tot = npairs;
    char fam[600];
    if (!by_metric)
        family(spec, out, warn, SC_RES_CONSISTENCY, "all", M, npairs, pmin,
               nwarn);
    for (size_t g = 0; g < spec->ngroupby; g++) {
        cats c;
        get_cats(spec, spec->groupby[g], &c);
        size_t cnt[3];
        groupby_rows(spec, g, &c, cnt);
        const char *kind[] = {"within", "between", "anchor"};
        for (size_t k = 0; k < 3; k++) {
            cnt[k] *= npairs;
            tot += cnt[k];
            snprintf(fam, sizeof fam, "%s/%s", spec->groupby[g], kind[k]);
            if (!by_metric)
                family(spec, out, warn, SC_RES_CONSISTENCY, fam, M, cnt[k],
                       pmin, nwarn);
        }
    }
    if (by_metric)
        family(spec, out, warn, SC_RES_CONSISTENCY, "metric", M, tot, pmin,
               nwarn);
}

/* Distinct non-empty dataset domains. */
static size_t count_domains(const sc_spec *spec)
{
    size_t ndom = 0;
    for (size_t d = 0; d < spec->ndatasets; d++) {
        const char *dm = spec->datasets[d].domain;
        if (dm == NULL || dm[0] == '\0')
            continue;
        bool seen = false;
        for (size_t e = 0; e < d && !seen; e++)
            seen = spec->datasets[e].domain != NULL &&
                   strcmp(spec->datasets[e].domain, dm) == 0;
        ndom += !seen;
    }
    return ndom;
}

/* behaviour.csv: two-sided Mantel per dataset, label permutation of the
 * mean rows (per domain and overall). */
static void plan_behaviour(const sc_spec *spec, FILE *out, FILE *warn,
                           size_t *nwarn)
{
    size_t m = spec->nmodels, D = spec->ndatasets, M = spec->nmetrics;
    size_t B = spec->permutations, ndom = count_domains(spec);
    double pd = min_p(m, B, INFINITY);
    double pmean = 2 * min_p(m, B, INFINITY);
    pmean = pmean < 1 ? pmean : 1;
    if (spec->family == SC_FAMILY_METRIC) {
        family(spec, out, warn, SC_RES_BEHAVIOUR, "metric", M, D + ndom + 1,
               pd < pmean ? pd : pmean, nwarn);
    } else {
        family(spec, out, warn, SC_RES_BEHAVIOUR, "datasets", M, D, pd, nwarn);
        family(spec, out, warn, SC_RES_BEHAVIOUR, "means", M, ndom + 1, pmean,
               nwarn);
    }
    if (D < SC_MIN_CI_DATASETS)
        fprintf(out,
                "stats: behaviour.csv: means over datasets get no CI "
                "(%zu < %d datasets)\n",
                D, (int)SC_MIN_CI_DATASETS);
}

/* One contrast attribute: its testable category pairs (*n) and their
 * smallest two-sided p (*best), with warnings for pairs that can never
 * reach p <= 0.05 and for categories too small for a CI. */
static void plan_contrast(const sc_spec *spec, const char *attr, FILE *warn,
                          size_t *n, double *best, size_t *nwarn)
{
    size_t m = spec->nmodels, B = spec->permutations;
    cats c;
    get_cats(spec, attr, &c);
    *n = 0;
    *best = 1;
    char small[2048] = "";
    for (size_t a = 0; a < c.n; a++)
        for (size_t b = a + 1; b < c.n; b++) {
            size_t n1 = c.count[a], n2 = c.count[b];
            if (n1 * (n1 - 1) / 2 < SC_MIN_CORR_PAIRS ||
                n2 * (n2 - 1) / 2 < SC_MIN_CORR_PAIRS)
                continue;
            (*n)++;
            double p = 2 * min_p(m, B, log_labellings(m, n1, n2));
            p = p < 1 ? p : 1;
            *best = p < *best ? p : *best;
            if (p > 0.05)
                list_add(small, sizeof small, "'%s' vs '%s'", c.name[a],
                         c.name[b]);
        }
    if (small[0] != '\0') {
        (*nwarn)++;
        fprintf(warn,
                "simcon check: warning: contrasts %s: %s: groups too "
                "small to permute (smallest possible p > 0.05)\n",
                attr, small);
    }
    for (size_t a = 0; a < c.n; a++)
        if (c.count[a] < SC_MIN_CI_EFFECT_MODELS) {
            (*nwarn)++;
            size_t k = c.count[a];
            if (k * (k - (k > 0)) / 2 < SC_MIN_CORR_PAIRS)
                fprintf(warn,
                        "simcon check: warning: contrasts %s: '%s' has %zu "
                        "model(s): fewer than %d pairs, its contrasts are "
                        "NA\n",
                        attr, c.name[a], k, SC_MIN_CORR_PAIRS);
            else if (k < SC_MIN_CI_MODELS)
                fprintf(warn,
                        "simcon check: warning: contrasts %s: '%s' has %zu "
                        "model(s): its mean and effects get no CI (< %d and "
                        "< %d)\n",
                        attr, c.name[a], k, SC_MIN_CI_MODELS,
                        SC_MIN_CI_EFFECT_MODELS);
            else
                fprintf(warn,
                        "simcon check: warning: contrasts %s: '%s' has %zu "
                        "model(s): its effects get no CI (< %d per "
                        "category)\n",
                        attr, c.name[a], k, SC_MIN_CI_EFFECT_MODELS);
        }
}

/* contrasts.csv: label permutation per attribute and category pair. */
static void plan_contrasts(const sc_spec *spec, FILE *out, FILE *warn,
                           size_t *nwarn)
{
    bool by_metric = spec->family == SC_FAMILY_METRIC;
    size_t M = spec->nmetrics, ctot = 0;
    double cmin = 1;
    for (size_t g = 0; spec->ndatasets >= 2 && g < spec->ncontrasts; g++) {
        const char *attr = spec->contrasts[g].attribute;
        size_t n;
        double best;
        plan_contrast(spec, attr, warn, &n, &best, nwarn);
        if (by_metric) {
            ctot += n;
            cmin = best < cmin ? best : cmin;
        } else {
            family(spec, out, warn, SC_RES_CONTRASTS, attr, M, n, best, nwarn);
        }
    }
    if (by_metric)
        family(spec, out, warn, SC_RES_CONTRASTS, "metric", M, ctot, cmin,
               nwarn);
}

size_t sc_check_plan(const sc_spec *spec, FILE *out, FILE *warn)
{
    size_t m = spec->nmodels, D = spec->ndatasets, nwarn = 0;
    warn_sizes(spec, warn, &nwarn);
    if (spec->permutations == 0)
        return nwarn;
    if (spec->consistency_enabled && D >= 2 && m >= 3)
        plan_consistency(spec, out, warn, &nwarn);
    if (spec->behaviour_enabled && m >= 3)
        plan_behaviour(spec, out, warn, &nwarn);
    plan_contrasts(spec, out, warn, &nwarn);
    return nwarn;
}
