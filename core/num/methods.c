/* Names of the statistical methods (see methods.h). */
#include "methods.h"

#include <string.h>

static const char *const corr_names[] = {"pearson", "spearman"};

int sc_corr_parse(const char *text, sc_corr_method *out, sc_err *err)
{
    for (size_t k = 0; k < 2; k++)
        if (strcmp(text, corr_names[k]) == 0) {
            *out = (sc_corr_method)k;
            return SC_OK;
        }
    return sc_err_set(err, SC_EINVAL,
                      "unknown correlation '%s'; use pearson or spearman",
                      text);
}

const char *sc_corr_name(sc_corr_method method)
{
    return (unsigned)method < 2 ? corr_names[method] : "unknown";
}

static const char *const ci_names[] = {"percentile", "bca"};

int sc_ci_parse(const char *text, sc_ci_method *out, sc_err *err)
{
    for (size_t k = 0; k < 2; k++)
        if (strcmp(text, ci_names[k]) == 0) {
            *out = (sc_ci_method)k;
            return SC_OK;
        }
    return sc_err_set(err, SC_EINVAL,
                      "unknown CI method '%s'; use percentile or bca", text);
}

const char *sc_ci_name(sc_ci_method method)
{
    return (unsigned)method < 2 ? ci_names[method] : "unknown";
}

int sc_padjust_parse(const char *text, sc_padjust_method *out, sc_err *err)
{
    if (strcmp(text, "holm") == 0) {
        *out = SC_PADJ_HOLM;
        return SC_OK;
    }
    if (strcmp(text, "bh") == 0 || strcmp(text, "BH") == 0 ||
        strcmp(text, "fdr") == 0) {
        *out = SC_PADJ_BH;
        return SC_OK;
    }
    return sc_err_set(err, SC_EINVAL,
                      "unknown p-value adjustment '%s'; use holm or bh", text);
}

const char *sc_padjust_name(sc_padjust_method method)
{
    switch (method) {
    case SC_PADJ_HOLM:
        return "holm";
    case SC_PADJ_BH:
        return "bh";
    }
    return "unknown";
}
