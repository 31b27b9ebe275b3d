/* Search for the CI over models of a correlation over model pairs
 * (docs/STATISTICS.md, "The CI of a correlation over models"). A standalone
 * prototype, not part of the build: it re-implements the slow test's
 * simulation generator (tests/stat/stat_validate.c, draw_model) with its own
 * RNG streams, and measures the coverage of eight 95% intervals of the
 * Pearson consistency over all pairs of m models:
 *   percentile     percentile bootstrap over models (B resamples, self-copy
 *                  pairs dropped), the interval simcon used before;
 *   z+jack(norm)   atanh r -+ 1.96 se, se the leave-one-model-out jackknife
 *                  SE of atanh r;
 *   z+jack(t)      the same with t_{m-1}: simcon's jackknife-z interval;
 *   cjackF(norm|t) jackknife variance minus its U-statistic excess for the
 *                  pair-level part (4/(m(m-2)) - 2/(m(m-1))) sigma_e^2, with
 *                  sigma_e^2 from the residuals of an additive model fit to
 *                  the pairs' influence values of r;
 *   stud-dyad      studentised bootstrap with the analytic dyadic
 *                  (Aronow-Samii-Assenova) SE of the influence values; this
 *                  SE came out far below the true one here (0.07-0.86
 *                  coverage as z -+ 1.96 se), so the method is a negative
 *                  result;
 *   stud-jack      studentised bootstrap with the jackknife SE of every
 *                  resample (needs the 6th argument);
 *   z+jack(t2n)    jackknife-z with t_{2(m-1)} (a tuned df, not adopted).
 * Build and run (prints one line per design and size):
 *   gcc -O2 -o /tmp/interval_search tests/stat/interval_search.c -lgsl \
 *       -lgslcblas -lm
 *   for lt in 0.25 1 3; do for m in 6 8 10 12 20; do
 *     /tmp/interval_search $lt $m 2000 199 400000 sj; done; done
 * Arguments: lat_t m sets B population_pairs [sj]. */
/* prototype: coverage of intervals for model-bootstrap of pair correlations */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#define D 8
#define NOISE 0.8
static double LT = 1.0;
static gsl_rng *R;
static double pear(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0;
    for (size_t k = 0; k < n; k++) {
        mx += x[k];
        my += y[k];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t k = 0; k < n; k++) {
        double a = x[k] - mx, b = y[k] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    return sxy / sqrt(sxx * syy);
}
static void draw_model(double *xa, double *xb)
{
    double t = gsl_ran_gaussian_ziggurat(R, 1.0);
    xa[D] = t + 0.5 * gsl_ran_gaussian_ziggurat(R, 1.0);
    xb[D] = t + 0.5 * gsl_ran_gaussian_ziggurat(R, 1.0);
    for (int k = 0; k < D; k++) {
        double u = gsl_ran_gaussian_ziggurat(R, 1.0);
        xa[k] = u + NOISE * gsl_ran_gaussian_ziggurat(R, 1.0);
        xb[k] = u + NOISE * gsl_ran_gaussian_ziggurat(R, 1.0);
    }
}
static double sim(const double *x, const double *y)
{
    return pear(x, y, D) + LT * (x[D] + y[D]);
}
#define MM 64
static double A[MM][MM], B[MM][MM];
static int m;
/* weighted pearson over pairs i<j with weight w_i w_j (w=counts); returns r,
 * fills IF stuff */
static double wcorr(const double *w, double *ma, double *mb, double *sa,
                    double *sb)
{
    double W = 0, xa = 0, xb = 0;
    for (int i = 0; i < m; i++)
        if (w[i] > 0)
            for (int j = i + 1; j < m; j++) {
                double ww = w[i] * w[j];
                if (ww == 0)
                    continue;
                W += ww;
                xa += ww * A[i][j];
                xb += ww * B[i][j];
            }
    xa /= W;
    xb /= W;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < m; i++)
        if (w[i] > 0)
            for (int j = i + 1; j < m; j++) {
                double ww = w[i] * w[j];
                if (ww == 0)
                    continue;
                double a = A[i][j] - xa, b = B[i][j] - xb;
                sab += ww * a * b;
                saa += ww * a * a;
                sbb += ww * b * b;
            }
    *ma = xa;
    *mb = xb;
    *sa = sqrt(saa / W);
    *sb = sqrt(sbb / W);
    return sab / sqrt(saa * sbb);
}
/* dyadic (ASA) variance of r on weighted sample; nodes = positions (copies) */
static double dyad_var(const double *w, double r)
{
    double ma, mb, sa, sb;
    wcorr(w, &ma, &mb, &sa, &sb);
    double Rr[MM] = {0}, S2 = 0, W = 0;
    for (int i = 0; i < m; i++)
        if (w[i] > 0)
            for (int j = i + 1; j < m; j++) {
                double ww = w[i] * w[j];
                if (ww == 0)
                    continue;
                double a = (A[i][j] - ma) / sa, b = (B[i][j] - mb) / sb;
                double f = a * b - 0.5 * r * (a * a + b * b);
                Rr[i] += w[j] * f;
                Rr[j] += w[i] * f;
                S2 += ww * f * f;
                W += ww;
            }
    double s = 0;
    for (int i = 0; i < m; i++)
        s += w[i] * Rr[i] * Rr[i];
    return (s - S2) / (W * W);
}
static int cmpd(const void *a, const void *b)
{
    double x = *(double *)a, y = *(double *)b;
    return (x > y) - (x < y);
}
#define NMETH 8
static const char *names[NMETH] = {"percentile",   "z+jack(norm)", "z+jack(t)",
                                   "cjackF(norm)", "cjackF(t)",    "stud-dyad",
                                   "stud-jack",    "z+jack(t2n)"};
int main(int argc, char **argv)
{
    LT = atof(argv[1]);
    m = atoi(argv[2]);
    int sets = atoi(argv[3]);
    int Bn = atoi(argv[4]);
    R = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(R, 12345 + m * 7 + (int)(LT * 100));
    /* population */
    static double pa[400000], pb[400000];
    double xa[2][D + 1], xb[2][D + 1];
    int NP = atoi(argc > 5 ? argv[5] : "400000");
    for (int t = 0; t < NP; t++) {
        draw_model(xa[0], xb[0]);
        draw_model(xa[1], xb[1]);
        pa[t] = sim(xa[0], xa[1]);
        pb[t] = sim(xb[0], xb[1]);
    }
    double rt = pear(pa, pb, NP), zt = atanh(rt);
    double ssed = 0, ssej = 0, sz = 0, sz2 = 0;
    int cover[NMETH] = {0};
    double sumr = 0, lensum[NMETH] = {0};
    double *zs = malloc(Bn * sizeof(double)), *ts = malloc(Bn * sizeof(double)),
           *tj = malloc(Bn * sizeof(double));
    double X[MM][D + 1], Y[MM][D + 1];
    for (int s = 0; s < sets; s++) {
        for (int i = 0; i < m; i++)
            draw_model(X[i], Y[i]);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) {
                A[i][j] = i == j ? 1 : sim(X[i], X[j]);
                B[i][j] = i == j ? 1 : sim(Y[i], Y[j]);
            }
        double w[MM];
        for (int i = 0; i < m; i++)
            w[i] = 1;
        double ma, mb, sa, sb;
        double r = wcorr(w, &ma, &mb, &sa, &sb), z = atanh(r);
        sumr += r;
        double vd = dyad_var(w, r);
        double sed = sqrt(fmax(vd, 0)) / (1 - r * r);
        double zj[MM], zbar = 0;
        for (int i = 0; i < m; i++) {
            w[i] = 0;
            zj[i] = atanh(wcorr(w, &ma, &mb, &sa, &sb));
            w[i] = 1;
            zbar += zj[i];
        }
        zbar /= m;
        double vj = 0;
        for (int i = 0; i < m; i++)
            vj += (zj[i] - zbar) * (zj[i] - zbar);
        vj *= (double)(m - 1) / m;
        double sej = sqrt(vj);
        double zbc = m * z - (m - 1) * zbar;
        double vc;
        {
            double ma2, mb2, sa2, sb2;
            double rr = wcorr(w, &ma2, &mb2, &sa2, &sb2);
            static double F[MM][MM];
            double Rf[MM] = {0}, Fs = 0;
            double Mq = m * (m - 1) / 2.0;
            for (int i = 0; i < m; i++)
                for (int j = i + 1; j < m; j++) {
                    double a = (A[i][j] - ma2) / sa2, b = (B[i][j] - mb2) / sb2;
                    double f = a * b - 0.5 * rr * (a * a + b * b);
                    F[i][j] = f;
                    Rf[i] += f;
                    Rf[j] += f;
                    Fs += f;
                }
            double fbar = Fs / Mq, rss = 0;
            for (int i = 0; i < m; i++)
                for (int j = i + 1; j < m; j++) {
                    double ai = (Rf[i] - 2 * Fs / m) / (m - 2),
                           aj = (Rf[j] - 2 * Fs / m) / (m - 2);
                    double e = F[i][j] - fbar - ai - aj;
                    rss += e * e;
                }
            double se2 = rss / (Mq - m) / ((1 - rr * rr) * (1 - rr * rr));
            double ke = 4.0 / (m * (m - 2.0)) - 2.0 / (m * (m - 1.0));
            vc = vj - ke * se2;
            if (vc < 0.25 * vj)
                vc = 0.25 * vj;
        }
        double sec = sqrt(vc);
        ssed += sed * sed;
        ssej += sej * sej;
        sz += z;
        sz2 += z * z;
        int nb = 0, nj = 0;
        for (int b = 0; b < Bn; b++) {
            double cnt[MM] = {0};
            for (int k = 0; k < m; k++)
                cnt[gsl_rng_uniform_int(R, m)] += 1;
            int distinct = 0;
            for (int i = 0; i < m; i++)
                distinct += cnt[i] > 0;
            if (distinct < 3)
                continue;
            double rb = wcorr(cnt, &ma, &mb, &sa, &sb);
            if (!isfinite(rb) || fabs(rb) >= 1)
                continue;
            double zb = atanh(rb);
            zs[nb] = zb;
            double v = dyad_var(cnt, rb);
            double se = sqrt(fmax(v, 1e-300)) / (1 - rb * rb);
            ts[nb] = (zb - z) / se;
            /* jackknife over distinct models in resample (leave out all copies?
             * leave one position) */
            if (argc > 6) {
                double jj[MM];
                int nd = 0;
                double jb = 0;
                double nn = 0;
                for (int i = 0; i < m; i++)
                    if (cnt[i] > 0) {
                        cnt[i] -= 1;
                        double rr = wcorr(cnt, &ma, &mb, &sa, &sb);
                        cnt[i] += 1;
                        jj[i] = atanh(rr);
                        nd++;
                        jb += cnt[i] * jj[i];
                        nn += cnt[i];
                    }
                jb /= nn;
                double vv = 0;
                for (int i = 0; i < m; i++)
                    if (cnt[i] > 0)
                        vv += cnt[i] * (jj[i] - jb) * (jj[i] - jb);
                vv *= (nn - 1) / nn;
                tj[nj++] = (zb - z) / sqrt(vv);
            }
            nb++;
        }
        qsort(zs, nb, sizeof(double), cmpd);
        qsort(ts, nb, sizeof(double), cmpd);
        if (nj)
            qsort(tj, nj, sizeof(double), cmpd);
        double lo[NMETH], hi[NMETH];
        lo[0] = gsl_stats_quantile_from_sorted_data(zs, 1, nb, 0.025);
        hi[0] = gsl_stats_quantile_from_sorted_data(zs, 1, nb, 0.975);
        double zn = 1.959964, tq = gsl_cdf_tdist_Pinv(0.975, m - 1);
        lo[1] = z - zn * sej;
        hi[1] = z + zn * sej;
        lo[2] = z - tq * sej;
        hi[2] = z + tq * sej;
        lo[3] = z - zn * sec;
        hi[3] = z + zn * sec;
        lo[4] = z - tq * sec;
        hi[4] = z + tq * sec;
        lo[5] = z - gsl_stats_quantile_from_sorted_data(ts, 1, nb, 0.975) * sed;
        hi[5] = z - gsl_stats_quantile_from_sorted_data(ts, 1, nb, 0.025) * sed;
        if (nj) {
            lo[6] =
                z - gsl_stats_quantile_from_sorted_data(tj, 1, nj, 0.975) * sej;
            hi[6] =
                z - gsl_stats_quantile_from_sorted_data(tj, 1, nj, 0.025) * sej;
        } else {
            lo[6] = hi[6] = NAN;
        }
        {
            double t2 = gsl_cdf_tdist_Pinv(0.975, 2 * (m - 1));
            lo[7] = z - t2 * sej;
            hi[7] = z + t2 * sej;
        }
        for (int k = 0; k < NMETH; k++) {
            cover[k] += lo[k] <= zt && zt <= hi[k];
            lensum[k] += tanh(hi[k]) - tanh(lo[k]);
        }
    }
    printf("LT=%.2f m=%d sets=%d rt=%.4f meanr=%.4f |", LT, m, sets, rt,
           sumr / sets);
    for (int k = 0; k < NMETH; k++)
        printf(" %s %.3f(%.2f)", names[k], (double)cover[k] / sets,
               lensum[k] / sets);
    printf("\n  rms sed %.4f sej %.4f sd z %.4f\n", sqrt(ssed / sets),
           sqrt(ssej / sets), sqrt(sz2 / sets - (sz / sets) * (sz / sets)));
}
