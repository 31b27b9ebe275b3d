/* The one thread pool (see pool.h for the invariants and the BLAS-thread
 * policy). A mutex hands out the items: they are coarse (a plugin's
 * prepare, a pair's compare, a bootstrap replicate), so one lock per item
 * costs nothing next to the work, and the same lock keeps "no item starts
 * after a failure" exact. */
#include "pool.h"

#include <pthread.h>
#include <stdbool.h>

#include "mem.h"

typedef struct pool {
    sc_pool_fn fn;
    void *ctx;
    size_t count;
    pthread_mutex_t lock;
    size_t next;        /* next item to hand out                     */
    size_t failed_item; /* lowest failed item (count: none)          */
    sc_err failed_err;
} pool;

/* The next item to run, or false when all are handed out or one failed
 * (every later item would be above the failed one). */
static bool take_item(pool *pl, size_t *item)
{
    pthread_mutex_lock(&pl->lock);
    bool more = pl->failed_item == pl->count && pl->next < pl->count;
    if (more)
        *item = pl->next++;
    pthread_mutex_unlock(&pl->lock);
    return more;
}

static void *pool_worker(void *arg)
{
    pool *pl = arg;
    size_t item;
    while (take_item(pl, &item)) {
        sc_err err;
        sc_err_clear(&err);
        int rc = pl->fn(pl->ctx, item, &err);
        if (rc == SC_OK)
            continue;
        if (err.code == SC_OK)
            sc_err_set(&err, rc, "item %zu failed", item);
        pthread_mutex_lock(&pl->lock);
        if (item < pl->failed_item) {
            pl->failed_item = item;
            pl->failed_err = err;
        }
        pthread_mutex_unlock(&pl->lock);
    }
    return NULL;
}

int sc_pool_run(sc_pool_fn fn, void *ctx, size_t count, unsigned threads,
                const sc_pool_policy *policy, sc_err *err)
{
    if (count == 0)
        return SC_OK;
    pool pl = {.fn = fn, .ctx = ctx, .count = count, .failed_item = count};
    sc_err_clear(&pl.failed_err);
    pthread_mutex_init(&pl.lock, NULL);
    size_t workers = threads > 0 ? threads : 1;
    if (workers > count)
        workers = count;
    int saved = policy != NULL ? policy->enter(workers) : 0;
    pthread_t *tids = NULL;
    size_t started = 0; /* threads besides the calling one */
    if (workers > 1)
        tids = sc_malloc(workers * sizeof *tids);
    if (tids != NULL)
        for (size_t t = 1; t < workers; t++) {
            if (pthread_create(&tids[t], NULL, pool_worker, &pl) != 0)
                break; /* fewer threads still finish the work */
            started = t;
        }
    pool_worker(&pl); /* the calling thread works too */
    for (size_t t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    sc_free(tids);
    if (policy != NULL)
        policy->leave(saved);
    pthread_mutex_destroy(&pl.lock);
    if (pl.failed_item == count)
        return SC_OK;
    if (err != NULL)
        *err = pl.failed_err;
    return pl.failed_err.code;
}
