/* Symmetric eigensolver for the host table (see blas.h), from GSL.
 *
 * A separate file from blas.c because GSL's gsl_cblas.h (pulled in by
 * gsl_linalg.h) and OpenBLAS's cblas.h declare the same enums and cannot be
 * included together. */
#include "blas.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sort_vector.h>

int sc_blas_eigh(size_t n, double *a, size_t lda, double *w, double *vecs,
                 sc_err *err)
{
    if (lda < n)
        return sc_err_set(err, SC_EBLAS, "eigh: lda %zu < n %zu", lda, n);
    if (n == 0)
        return SC_OK;
    gsl_matrix_view av = gsl_matrix_view_array_with_tda(a, n, n, lda);
    gsl_vector_view wv = gsl_vector_view_array(w, n);
    int gs;
    if (vecs != NULL) {
        gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(n);
        if (ws == NULL)
            return sc_err_set(err, SC_ENOMEM, "eigh: out of memory (n=%zu)", n);
        gsl_matrix_view vv = gsl_matrix_view_array(vecs, n, n);
        gs = gsl_eigen_symmv(&av.matrix, &wv.vector, &vv.matrix, ws);
        gsl_eigen_symmv_free(ws);
        if (gs == GSL_SUCCESS)
            gs = gsl_eigen_symmv_sort(&wv.vector, &vv.matrix,
                                      GSL_EIGEN_SORT_VAL_DESC);
    } else {
        gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(n);
        if (ws == NULL)
            return sc_err_set(err, SC_ENOMEM, "eigh: out of memory (n=%zu)", n);
        gs = gsl_eigen_symm(&av.matrix, &wv.vector, ws);
        gsl_eigen_symm_free(ws);
        if (gs == GSL_SUCCESS) {
            gsl_sort_vector(&wv.vector);
            gsl_vector_reverse(&wv.vector);
        }
    }
    if (gs != GSL_SUCCESS)
        return sc_err_set(err, SC_ENUMERIC, "eigh: %s (GSL)", gsl_strerror(gs));
    return SC_OK;
}
