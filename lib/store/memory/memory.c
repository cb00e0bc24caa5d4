/*
 * The memory store: lifecycle and subscriptions. Everything lives in hash maps guarded by one
 * mutex; the delivery queue is in memory_queue.c. Lost on exit by design.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memory_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

static wh_subscription *find_sub(mem_store *m, const char *id)
{
    return whi_hmap_get(&m->subs, id, strlen(id));
}

static int not_found(const char *id)
{
    return whi_error(WH_ENOTFOUND, "no subscription with id %s", id);
}

/* A validated copy of sub, ready to keep. */
static int keepable_copy(const wh_subscription *sub, wh_subscription **out)
{
    *out = NULL;
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    int rc = wh_subscription_validate(sub);
    return rc == WH_OK ? wh_subscription_clone(out, sub) : rc;
}

static int mem_sub_create(wh_store *s, const wh_subscription *sub)
{
    mem_store *m = mem_of(s);
    wh_subscription *copy;
    int rc = keepable_copy(sub, &copy);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    if (find_sub(m, copy->id))
        rc = whi_error(WH_ECONFLICT, "a subscription with id %s already exists", copy->id);
    else if ((rc = whi_hmap_put(&m->subs, copy->id, strlen(copy->id), copy)) == WH_OK)
        m->changes++;
    whi_mem_unlock(m);
    if (rc != WH_OK) wh_subscription_free(copy);
    return rc;
}

static int mem_sub_get(wh_store *s, const char *id, wh_subscription **out)
{
    mem_store *m = mem_of(s);
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    int rc = whi_store_check_id("subscription id", id);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    wh_subscription *sub = find_sub(m, id);
    rc = sub ? wh_subscription_clone(out, sub) : not_found(id);
    whi_mem_unlock(m);
    return rc;
}

/* Swap the stored subscription old for sub (same id). */
static int swap_sub(mem_store *m, wh_subscription *old, wh_subscription *sub)
{
    int rc = whi_hmap_put(&m->subs, sub->id, strlen(sub->id), sub);
    if (rc != WH_OK) return rc;
    wh_subscription_free(old);
    m->changes++;
    return WH_OK;
}

static int mem_sub_replace(wh_store *s, const wh_subscription *sub)
{
    mem_store *m = mem_of(s);
    wh_subscription *copy;
    int rc = keepable_copy(sub, &copy);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    wh_subscription *old = find_sub(m, copy->id);
    rc = old ? swap_sub(m, old, copy) : not_found(copy->id);
    whi_mem_unlock(m);
    if (rc != WH_OK) wh_subscription_free(copy);
    return rc;
}

/* Patch a copy of old; on success the copy replaces it and *out gets another copy. */
static int patch_locked(mem_store *m, wh_subscription *old, const char *json, size_t len,
                        wh_subscription **out)
{
    wh_subscription *work, *result = NULL;
    int rc = wh_subscription_clone(&work, old);
    if (rc != WH_OK) return rc;
    if ((rc = wh_subscription_patch_json(work, json, len)) == WH_OK && out)
        rc = wh_subscription_clone(&result, work);
    if (rc == WH_OK) rc = swap_sub(m, old, work);
    if (rc != WH_OK) {
        wh_subscription_free(work);
        wh_subscription_free(result);
        return rc;
    }
    if (out) *out = result;
    return WH_OK;
}

static int mem_sub_patch(wh_store *s, const char *id, const char *json, size_t len,
                         wh_subscription **out)
{
    mem_store *m = mem_of(s);
    if (out) *out = NULL;
    int rc = whi_store_check_id("subscription id", id);
    if (rc != WH_OK) return rc;
    if (!json) return whi_error(WH_EINVAL, "patch JSON must not be NULL");
    whi_mem_lock(m);
    wh_subscription *old = find_sub(m, id);
    rc = old ? patch_locked(m, old, json, len, out) : not_found(id);
    whi_mem_unlock(m);
    return rc;
}

static bool of_subscription(const mem_delivery *d, const void *sub_id)
{
    return strcmp(d->d.subscription_id, sub_id) == 0;
}

static int mem_sub_delete(wh_store *s, const char *id)
{
    mem_store *m = mem_of(s);
    int rc = whi_store_check_id("subscription id", id);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    wh_subscription *sub = whi_hmap_remove(&m->subs, id, strlen(id));
    if (sub) {
        whi_mem_deliveries_drop(m, of_subscription, id);
        whi_mem_subq_free(m, id);
        wh_subscription_free(sub);
        m->changes++;
    }
    whi_mem_unlock(m);
    return sub ? WH_OK : not_found(id);
}

/* Oldest first: createdAt, then id. */
static int cmp_created(const void *a, const void *b)
{
    const wh_subscription *x = *(wh_subscription *const *)a, *y = *(wh_subscription *const *)b;
    if (x->created_at != y->created_at) return x->created_at < y->created_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The subscriptions of owner (NULL: all) in listing order, in a new array. */
static int collect_subs(mem_store *m, const char *owner, wh_subscription ***out, size_t *n)
{
    *n = 0;
    *out = whi_malloc((m->subs.n ? m->subs.n : 1) * sizeof(**out));
    if (!*out) return whi_error_oom();
    for (size_t i = 0; i < m->subs.cap; i++) {
        wh_subscription *sub = m->subs.slots[i].value;
        if (sub && (!owner || (sub->owner && strcmp(sub->owner, owner) == 0))) (*out)[(*n)++] = sub;
    }
    qsort(*out, *n, sizeof(**out), cmp_created);
    return WH_OK;
}

static int mem_sub_list(wh_store *s, const char *owner, size_t limit, size_t page, size_t *total,
                        wh_store_sub_cb cb, void *user_data)
{
    mem_store *m = mem_of(s);
    if (!cb) return whi_error(WH_EINVAL, "callback must not be NULL");
    wh_subscription **all;
    size_t n;
    whi_mem_lock(m);
    int rc = collect_subs(m, owner, &all, &n);
    if (rc == WH_OK) {
        if (total) *total = n;
        size_t skip = whi_page_offset(limit, page);
        for (size_t i = skip; i < n && (limit == 0 || i - skip < limit); i++)
            if (cb(all[i], user_data)) break;
        whi_free(all);
    }
    whi_mem_unlock(m);
    return rc;
}

int whi_mem_apply_stats(mem_store *m, wh_subscription *sub, const wh_sub_stats *st)
{
    if (st->disable) {
        int rc = wh_subscription_set_disabled_reason(sub, st->disabled_reason);
        if (rc != WH_OK) return rc;
        sub->status = WH_STATUS_DISABLED;
        m->changes++;
    }
    sub->last_delivery_at = st->last_delivery_at;
    sub->last_status = st->last_status;
    sub->failure_count = st->failure_count;
    sub->failing_since = st->failing_since;
    return WH_OK;
}

static int mem_sub_update_stats(wh_store *s, const char *id, const wh_sub_stats *stats)
{
    mem_store *m = mem_of(s);
    int rc = whi_store_check_id("subscription id", id);
    if (rc == WH_OK) rc = whi_stats_check(stats);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    wh_subscription *sub = find_sub(m, id);
    rc = sub ? whi_mem_apply_stats(m, sub, stats) : not_found(id);
    whi_mem_unlock(m);
    return rc;
}

static uint64_t mem_sub_changes(wh_store *s)
{
    mem_store *m = mem_of(s);
    whi_mem_lock(m);
    uint64_t n = m->changes;
    whi_mem_unlock(m);
    return n;
}

static void mem_free(wh_store *s)
{
    mem_store *m = mem_of(s);
    for (size_t i = 0; i < m->subs.cap; i++)
        wh_subscription_free(m->subs.slots[i].value);
    whi_hmap_free(&m->subs);
    for (size_t i = 0; i < m->deliveries.cap; i++)
        if (m->deliveries.slots[i].value) whi_mem_delivery_free(m->deliveries.slots[i].value);
    whi_hmap_free(&m->deliveries);
    for (size_t i = 0; i < m->subqs.cap; i++) {
        mem_subq *q = m->subqs.slots[i].value;
        if (!q) continue;
        whi_free(q->id);
        whi_free(q);
    }
    whi_hmap_free(&m->subqs);
    whi_mem_events_free(m);
    pthread_mutex_destroy(&m->mu);
    whi_free(m);
}

int wh_memory_options_new(wh_memory_options **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    if (!(*out = whi_calloc(1, sizeof(**out)))) return whi_error_oom();
    (*out)->max_finished = WHI_MEM_DEFAULT_MAX_FINISHED;
    (*out)->max_event_ids = WHI_MEM_DEFAULT_MAX_EVENT_IDS;
    return WH_OK;
}

void wh_memory_options_free(wh_memory_options *opts)
{
    whi_free(opts);
}

int wh_memory_options_set_max_finished(wh_memory_options *opts, size_t n)
{
    if (!opts) return whi_error(WH_EINVAL, "options must not be NULL");
    opts->max_finished = n;
    return WH_OK;
}

int wh_memory_options_set_max_event_ids(wh_memory_options *opts, size_t n)
{
    if (!opts) return whi_error(WH_EINVAL, "options must not be NULL");
    opts->max_event_ids = n;
    return WH_OK;
}

int wh_store_memory_new(wh_store **out)
{
    return wh_store_memory_new_opts(out, NULL);
}

int wh_store_memory_new_opts(wh_store **out, const wh_memory_options *opts)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    mem_store *m = whi_calloc(1, sizeof(*m));
    if (!m) return whi_error_oom();
    m->max_finished = opts ? opts->max_finished : WHI_MEM_DEFAULT_MAX_FINISHED;
    m->max_event_ids = opts ? opts->max_event_ids : WHI_MEM_DEFAULT_MAX_EVENT_IDS;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        whi_free(m);
        return whi_error(WH_EIO, "memory store: cannot create a mutex");
    }
    m->vt = (wh_store)WH_STORE_INIT;
    m->vt.data = m;
    m->vt.sub_create = mem_sub_create;
    m->vt.sub_get = mem_sub_get;
    m->vt.sub_replace = mem_sub_replace;
    m->vt.sub_patch = mem_sub_patch;
    m->vt.sub_delete = mem_sub_delete;
    m->vt.sub_list = mem_sub_list;
    m->vt.sub_update_stats = mem_sub_update_stats;
    m->vt.sub_changes = mem_sub_changes;
    m->vt.attempt_list = whi_mem_attempt_list;
    m->vt.purge = whi_mem_purge;
    m->vt.free = mem_free;
    whi_mem_queue_fill(&m->vt);
    whi_mem_events_fill(&m->vt);
    *out = &m->vt;
    return WH_OK;
}
