/* Pins the plugin ABI (include/simcon/plugin.h).
 *
 * A plugin compiled against one header and loaded by a host compiled against
 * another must agree on every offset below. If one of these assertions
 * fails to compile, the change is an ABI break: bump SC_ABI_VERSION (or, for
 * an append to sc_host, SC_HOST_API_REV) and update the numbers here in the
 * same commit. Offsets are for LP64 (x86-64/aarch64 Linux), the only targets
 * we build for. */
#include <stddef.h>

#include "../test.h"
#include "simcon/plugin.h"
#include "simcon/status.h"

_Static_assert(SC_ABI_VERSION == 1, "ABI version changed: update this test");
_Static_assert(SC_HOST_API_REV == 3, "host API changed: update this test");

_Static_assert(offsetof(sc_mat, rows) == 0, "sc_mat.rows");
_Static_assert(offsetof(sc_mat, cols) == 8, "sc_mat.cols");
_Static_assert(offsetof(sc_mat, ld) == 16, "sc_mat.ld");
_Static_assert(offsetof(sc_mat, data) == 24, "sc_mat.data");
_Static_assert(sizeof(sc_mat) == 32, "sc_mat size");

_Static_assert(offsetof(sc_param, name) == 0, "sc_param.name");
_Static_assert(offsetof(sc_param, type) == 8, "sc_param.type");
_Static_assert(offsetof(sc_param, flags) == 12, "sc_param.flags");
_Static_assert(offsetof(sc_param, def) == 16, "sc_param.def");
_Static_assert(offsetof(sc_param, lo) == 24, "sc_param.lo");
_Static_assert(offsetof(sc_param, hi) == 32, "sc_param.hi");
_Static_assert(offsetof(sc_param, choices) == 40, "sc_param.choices");
_Static_assert(offsetof(sc_param, doc) == 48, "sc_param.doc");
_Static_assert(sizeof(sc_param) == 56, "sc_param size");

_Static_assert(offsetof(sc_args, count) == 0, "sc_args.count");
_Static_assert(offsetof(sc_args, value) == 8, "sc_args.value");
_Static_assert(offsetof(sc_args, given) == 16, "sc_args.given");

_Static_assert(offsetof(sc_host, abi_version) == 0, "sc_host.abi_version");
_Static_assert(offsetof(sc_host, api_rev) == 4, "sc_host.api_rev");
_Static_assert(offsetof(sc_host, size) == 8, "sc_host.size");
_Static_assert(offsetof(sc_host, fail) == 16, "sc_host.fail");
_Static_assert(offsetof(sc_host, log) == 24, "sc_host.log");
_Static_assert(offsetof(sc_host, alloc) == 32, "sc_host.alloc");
_Static_assert(offsetof(sc_host, free) == 40, "sc_host.free");
_Static_assert(offsetof(sc_host, gemm) == 48, "sc_host.gemm");
_Static_assert(offsetof(sc_host, syrk) == 56, "sc_host.syrk");
_Static_assert(offsetof(sc_host, dot) == 64, "sc_host.dot");
_Static_assert(offsetof(sc_host, svd) == 72, "sc_host.svd");
_Static_assert(offsetof(sc_host, eigh) == 80, "sc_host.eigh");
/* SC_HOST_API_REV 2 appended ssyrk; the fields above did not move. */
_Static_assert(offsetof(sc_host, ssyrk) == 88, "sc_host.ssyrk");
/* SC_HOST_API_REV 3 appended gram and gram_release. */
_Static_assert(offsetof(sc_host, gram) == 96, "sc_host.gram");
_Static_assert(offsetof(sc_host, gram_release) == 104, "sc_host.gram_release");
_Static_assert(sizeof(sc_host) == 112, "sc_host size (append only)");

_Static_assert(offsetof(sc_gram, n) == 0, "sc_gram.n");
_Static_assert(offsetof(sc_gram, d) == 8, "sc_gram.d");
_Static_assert(offsetof(sc_gram, flags) == 16, "sc_gram.flags");
_Static_assert(offsetof(sc_gram, g) == 24, "sc_gram.g");
_Static_assert(offsetof(sc_gram, mean) == 32, "sc_gram.mean");
_Static_assert(offsetof(sc_gram, var2) == 40, "sc_gram.var2");
_Static_assert(offsetof(sc_gram, scale2) == 48, "sc_gram.scale2");
_Static_assert(sizeof(sc_gram) == 56, "sc_gram size");
_Static_assert(SC_GRAM_CENTRED == 1 && SC_GRAM_FLOAT32 == 2, "gram flags");

_Static_assert(offsetof(sc_metric, abi_version) == 0, "abi_version");
_Static_assert(offsetof(sc_metric, host_api_min) == 4, "host_api_min");
_Static_assert(offsetof(sc_metric, name) == 8, "name");
_Static_assert(offsetof(sc_metric, version) == 16, "version");
_Static_assert(offsetof(sc_metric, reference) == 24, "reference");
_Static_assert(offsetof(sc_metric, summary) == 32, "summary");
_Static_assert(offsetof(sc_metric, flags) == 40, "flags");
_Static_assert(offsetof(sc_metric, min_rows) == 48, "min_rows");
_Static_assert(offsetof(sc_metric, params) == 56, "params");
_Static_assert(offsetof(sc_metric, check_args) == 64, "check_args");
_Static_assert(offsetof(sc_metric, flags_for) == 72, "flags_for");
_Static_assert(offsetof(sc_metric, prepare) == 80, "prepare");
_Static_assert(offsetof(sc_metric, compare) == 88, "compare");
_Static_assert(offsetof(sc_metric, release) == 96, "release");
_Static_assert(offsetof(sc_metric, compare_subset) == 104, "compare_subset");
_Static_assert(offsetof(sc_metric, embed_len) == 112, "embed_len");
_Static_assert(offsetof(sc_metric, embed) == 120, "embed");
_Static_assert(sizeof(sc_metric) == 128, "sc_metric size");

/* Status values appear in logs: they never change. */
SC_TEST(status_values_are_stable)
{
    expect_int(SC_OK, 0, "SC_OK");
    expect_int(SC_EINVAL, 1, "SC_EINVAL");
    expect_int(SC_EDOM, 2, "SC_EDOM");
    expect_int(SC_ENOMEM, 3, "SC_ENOMEM");
    expect_int(SC_EIO, 4, "SC_EIO");
    expect_int(SC_ESPEC, 5, "SC_ESPEC");
    expect_int(SC_EABI, 6, "SC_EABI");
    expect_int(SC_ENUMERIC, 7, "SC_ENUMERIC");
    expect_int(SC_EBLAS, 8, "SC_EBLAS");
}

SC_TEST(flag_bits_are_distinct)
{
    unsigned all[] = {SC_METRIC_SYMMETRIC,       SC_METRIC_SELF_ONE,
                      SC_METRIC_RANGE_01,        SC_METRIC_RANGE_PM1,
                      SC_METRIC_ORTHO_INVARIANT, SC_METRIC_SCALE_INVARIANT,
                      SC_METRIC_SHIFT_INVARIANT};
    unsigned seen = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        expect_int((seen & all[i]) == 0, 1, "flag %zu is a new bit", i);
        seen |= all[i];
    }
}

int main(void)
{
    return sc_test_run();
}
