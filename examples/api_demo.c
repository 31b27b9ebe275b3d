/* A program that uses simcon as a library (include/simcon/simcon.h).
 *
 * Build against an installed simcon:
 *     cc $(pkg-config --cflags simcon) api_demo.c $(pkg-config --libs simcon)
 * Run:  ./a.out [SPEC OUT_DIR]
 *
 * It builds four small representations of the same 40 stimuli in memory,
 * in the layouts a caller meets (C-ordered float64, float32, Fortran
 * order, a column slice), and prints
 *     plugin <file the cka metric was loaded from>
 *     compare <linear unbiased CKA of X and Y, %.17g>
 *     matrix cka <row>            (4 rows of the all-pairs CKA matrix)
 *     matrix rsa <row>            (4 rows of the all-pairs RSA matrix)
 *     mantel <r> <p>              (exact Mantel test, CKA vs RSA matrices)
 *     error <message>             (what a bad call returns)
 * and, given SPEC and OUT_DIR, checks the spec, runs it into OUT_DIR with
 * a progress callback, then runs it again into OUT_DIR.canceled with a
 * callback that cancels at once:
 *     check <summary line>
 *     run ok <number of progress calls>
 *     cancel <status> <message>
 * tests/install/check_install.sh compares every number with numpy/scipy.
 * Returns 0 on success, 1 on any unexpected failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simcon/simcon.h>

#define N 40

/* Exactly representable inputs: the test rebuilds them in numpy. */
static double value(int i, int j, int salt)
{
    long long h = i * 7919LL + j * 104729LL + salt * 1299709LL + 1;
    return (double)((h * h) % 65521) / 65521.0;
}

static int fail(const char *what, int rc, char *msg)
{
    fprintf(stderr, "api_demo: %s failed: %s (%s)\n", what, msg ? msg : "?",
            simcon_strerror(rc));
    simcon_free(msg);
    return 1;
}

static void count_progress(void *user, const char *stage, size_t done,
                           size_t total)
{
    (void)stage;
    (void)done;
    (void)total;
    (*(size_t *)user)++;
}

static int cancel_now(void *user)
{
    (void)user;
    return 1;
}

int main(int argc, char **argv)
{
    if (simcon_api_version() != SC_API_VERSION) {
        fprintf(stderr, "api_demo: library API %d, header %d\n",
                simcon_api_version(), SC_API_VERSION);
        return 1;
    }
    static double x[N][8], z[6][N], w[N][10];
    static float y[N][5];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 8; j++)
            x[i][j] = value(i, j, 0);
        for (int j = 0; j < 5; j++)
            y[i][j] = (float)value(i, j, 1);
        for (int j = 0; j < 6; j++)
            z[j][i] = value(i, j, 2); /* Fortran order: column j contiguous */
        for (int j = 0; j < 10; j++)
            w[i][j] = value(i, j, 3);
    }
    simcon_array reps[4] = {
        {x, SIMCON_FLOAT64, N, 8, 0, 0},
        {y, SIMCON_FLOAT32, N, 5, 0, 0},
        {z, SIMCON_FLOAT64, N, 6, sizeof(double), N * sizeof(double)},
        /* w[:, ::2]: every other column of w */
        {w, SIMCON_FLOAT64, N, 5, 10 * sizeof(double), 2 * sizeof(double)}};

    char *msg = NULL;
    simcon_registry *reg = NULL;
    int rc = simcon_registry_open(NULL, &reg, &msg);
    if (rc != SC_OK)
        return fail("registry", rc, msg);
    simcon_metric *cka = NULL, *rsa = NULL;
    const char *cka_params[] = {"kernel=linear"};
    rc = simcon_metric_open(reg, "cka", cka_params, 1, &cka, &msg);
    if (rc != SC_OK)
        return fail("cka", rc, msg);
    rc = simcon_metric_open(reg, "rsa", NULL, 0, &rsa, &msg);
    if (rc != SC_OK)
        return fail("rsa", rc, msg);
    char *path = NULL;
    if ((rc = simcon_metric_describe(cka, NULL, &path, &msg)) != SC_OK)
        return fail("describe", rc, msg);
    printf("plugin %s\n", path);
    simcon_free(path);

    double v = 0.0;
    rc = simcon_compare(cka, SIMCON_NORM_NONE, &reps[0], &reps[1], &v, &msg);
    if (rc != SC_OK)
        return fail("compare", rc, msg);
    printf("compare %.17g\n", v);

    double s_cka[16], s_rsa[16];
    simcon_matrix_opts mo = {2, 0, NULL, 0};
    rc = simcon_matrix(cka, SIMCON_NORM_NONE, reps, 4, &mo, NULL, s_cka, &msg);
    if (rc != SC_OK)
        return fail("matrix cka", rc, msg);
    rc = simcon_matrix(rsa, SIMCON_NORM_NONE, reps, 4, &mo, NULL, s_rsa, &msg);
    if (rc != SC_OK)
        return fail("matrix rsa", rc, msg);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++) {
            const double *s = k == 0 ? s_cka : s_rsa;
            printf("matrix %s %.17g %.17g %.17g %.17g\n", k ? "rsa" : "cka",
                   s[i * 4], s[i * 4 + 1], s[i * 4 + 2], s[i * 4 + 3]);
        }

    simcon_mantel_opts mt;
    simcon_mantel_defaults(&mt);
    mt.exact = 1;
    double r = 0.0, p = 0.0;
    rc = simcon_mantel(s_cka, s_rsa, 4, &mt, &r, &p, &msg);
    if (rc != SC_OK)
        return fail("mantel", rc, msg);
    printf("mantel %.17g %.17g\n", r, p);

    /* A bad call: rows differ. The message is the caller's to free. */
    simcon_array short_x = reps[0];
    short_x.rows = N - 1;
    rc = simcon_compare(cka, SIMCON_NORM_NONE, &short_x, &reps[1], &v, &msg);
    if (rc == SC_OK)
        return fail("the mismatched compare", rc, NULL);
    printf("error %s\n", msg);
    simcon_free(msg);
    simcon_metric_close(cka);
    simcon_metric_close(rsa);

    if (argc == 3) {
        char *summary = NULL;
        rc = simcon_check(reg, argv[1], 0, &summary, &msg);
        if (rc != SC_OK)
            return fail("check", rc, msg);
        const char *last = strrchr(summary, '\n'); /* the ok line */
        printf("check %s\n", last != NULL ? last + 1 : summary);
        simcon_free(summary);
        size_t calls = 0;
        simcon_callbacks cb = {count_progress, NULL, &calls};
        simcon_run_opts ro = {argv[2], 1, 0, 0, 1, 0};
        rc = simcon_run(reg, argv[1], &ro, &cb, &msg);
        if (rc != SC_OK)
            return fail("run", rc, msg);
        printf("run ok %zu\n", calls);
        char other[4096];
        snprintf(other, sizeof other, "%s.canceled", argv[2]);
        simcon_callbacks stop = {NULL, cancel_now, NULL};
        ro.out_dir = other;
        rc = simcon_run(reg, argv[1], &ro, &stop, &msg);
        printf("cancel %d %s\n", rc, msg ? msg : "(none)");
        simcon_free(msg);
        if (rc != SIMCON_CANCELED)
            return 1;
    }
    simcon_registry_close(reg);
    return 0;
}
