/* The memory plan of the similarity stage (issues 13, 14): the running
 * workers' prepare memory is reserved before the stacked embeddings E take
 * the budget (core/run/run_plan.h: sc_plan_worker_bytes, sc_plan_reserve,
 * sc_plan_e_room), and sc_plan_passes places the E's in what is left.
 *
 * Expected values are the documented closed form worked by hand:
 * one worker at n = 1,000, d = 100 needs 9/8 (24 x 10^6 + 20 x 10^5) =
 * 29,250,000 bytes; two 58,500,000. With a 100,000,000-byte budget and
 * three E's of 30,000,000 bytes, two workers leave 41,500,000 (one E in
 * memory, 60,000,000 spilled), one worker leaves 70,750,000 (two E's in
 * memory, 30,000,000 spilled); before the fix all three stayed in memory
 * (90,000,000 <= 100,000,000) with the workers on top. */
#include <stdint.h>
#include <stdlib.h>

#include "../test.h"
#include "run_internal.h"
#include "run_plan.h"

SC_TEST(worker_bytes_closed_form)
{
    unsetenv("SIMCON_WORKER_RESERVE");
    expect_abs(sc_plan_worker_bytes(1000, 100), 29250000.0, 1e-6,
               "9/8 (24 n^2 + 20 n d) at n = 1000, d = 100");
    expect_int((long long)sc_plan_reserve(2, 1000, 100), 58500000,
               "two workers");
    expect_int((long long)sc_plan_reserve(0, 1000, 100), 29250000,
               "0 threads counts as 1, as the runner");
    expect_true(sc_plan_reserve(2, 1000, 100) > sc_plan_reserve(1, 1000, 100),
                "the reserve grows with the thread count");
}

SC_TEST(room_left_for_e)
{
    expect_int((long long)sc_plan_e_room(100000000, 58500000), 41500000,
               "budget less the reserve");
    expect_int((long long)sc_plan_e_room(1000000, 58500000), 0,
               "workers need more than the budget: no room, every E spills");
}

SC_TEST(passes_place_es_after_the_reserve)
{
    unsetenv("SIMCON_WORKER_RESERVE");
    const size_t eb[3] = {30000000, 30000000, 30000000};
    size_t first[4];
    sc_plan_spill sp;
    size_t budget = 100000000;
    sc_plan_passes(eb, 3, sc_plan_e_room(budget, sc_plan_reserve(2, 1000, 100)),
                   SIZE_MAX, first, &sp);
    expect_int((long long)sp.spill, 60000000, "2 threads: two E's spill");
    expect_int((long long)sp.passes, 1, "one pass (disk unlimited)");
    sc_plan_passes(eb, 3, sc_plan_e_room(budget, sc_plan_reserve(1, 1000, 100)),
                   SIZE_MAX, first, &sp);
    expect_int((long long)sp.spill, 30000000, "1 thread: one E spills");
    sc_plan_passes(eb, 3, budget, SIZE_MAX, first, &sp);
    expect_int((long long)sp.spill, 0,
               "without the reserve (the old plan) nothing spilled");
}

SC_TEST(override_for_tests)
{
    setenv("SIMCON_WORKER_RESERVE", "12345", 1);
    expect_int((long long)sc_plan_reserve(4, 1000, 100), 12345,
               "SIMCON_WORKER_RESERVE gives the reserve in bytes");
    unsetenv("SIMCON_WORKER_RESERVE");
}

int main(void)
{
    return sc_test_run();
}
