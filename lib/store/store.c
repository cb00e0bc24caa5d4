/* The store port's shared parts: freeing, status names, and helpers of the built-in stores. */
#include <stdbool.h>
#include <string.h>

#include "store_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "compiler.h"
#include "hashmap.h"

void wh_store_free(wh_store *store)
{
    if (store && store->free) store->free(store);
}

static const char *const STATUS_NAMES[] = {"pending", "in_flight", "succeeded", "failed"};

const char *wh_delivery_status_name(wh_delivery_status status)
{
    return (unsigned)status < WHI_ARRAY_LEN(STATUS_NAMES) ? STATUS_NAMES[status] : NULL;
}

int wh_delivery_status_parse(const char *name, wh_delivery_status *out)
{
    if (!name || !out) return whi_error(WH_EINVAL, "name and out must not be NULL");
    for (size_t i = 0; i < WHI_ARRAY_LEN(STATUS_NAMES); i++) {
        if (strcmp(name, STATUS_NAMES[i]) == 0) {
            *out = (wh_delivery_status)i;
            return WH_OK;
        }
    }
    return whi_error(WH_EINVAL, "delivery status must be pending, in_flight, succeeded or failed");
}

/* ---- owned copies ---- */

size_t whi_store_cut_len(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    /* Step back over continuation bytes (at most 3, so binary data is not cut much further)
     * so a UTF-8 sequence is never split. */
    size_t n = max;
    while (n > 0 && max - n < 3 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

int whi_store_error_text(char **dst, const char *s)
{
    char *copy = NULL;
    if (s && !(copy = whi_strndup(s, whi_store_cut_len(s, strlen(s), WH_STORE_MAX_ERROR_LEN))))
        return whi_error_oom();
    whi_free(*dst);
    *dst = copy;
    return WH_OK;
}

/* Copy a string field; false when out of memory. */
static bool dup_str(const char **dst, const char *src)
{
    *dst = NULL;
    return !src || (*dst = whi_strdup(src)) != NULL;
}

static void free_str(const char **s)
{
    whi_free((void *)*s); /* the copy is ours: the const is only the struct's public view */
    *s = NULL;
}

int wh_delivery_copy(wh_delivery *dst, const wh_delivery *src)
{
    if (!dst || !src) return whi_error(WH_EINVAL, "dst and src must not be NULL");
    *dst = *src;
    dst->version = WH_DELIVERY_VERSION;
    char *err = NULL;
    bool ok = dup_str(&dst->id, src->id) & dup_str(&dst->subscription_id, src->subscription_id) &
              dup_str(&dst->owner_id, src->owner_id) & dup_str(&dst->event_id, src->event_id) &
              dup_str(&dst->event_type, src->event_type) &
              dup_str(&dst->idempotency_key, src->idempotency_key) & dup_str(&dst->url, src->url) &
              dup_str(&dst->headers, src->headers) &
              (whi_store_error_text(&err, src->last_error) == WH_OK);
    dst->last_error = err;
    dst->body = NULL;
    if (ok && src->body_len && !(dst->body = whi_strndup(src->body, src->body_len))) ok = false;
    if (!ok) {
        wh_delivery_clear(dst);
        return whi_error_oom();
    }
    return WH_OK;
}

void wh_delivery_clear(wh_delivery *d)
{
    if (!d) return;
    const char **strs[] = {&d->id,         &d->subscription_id, &d->owner_id, &d->event_id,
                           &d->event_type, &d->idempotency_key, &d->url,      &d->headers,
                           &d->body,       &d->last_error};
    for (size_t i = 0; i < WHI_ARRAY_LEN(strs); i++)
        free_str(strs[i]);
    memset(d, 0, sizeof(*d));
}

int wh_attempt_copy(wh_attempt *dst, const wh_attempt *src)
{
    if (!dst || !src) return whi_error(WH_EINVAL, "dst and src must not be NULL");
    *dst = *src;
    dst->version = WH_ATTEMPT_VERSION;
    char *err = NULL;
    bool ok = dup_str(&dst->delivery_id, src->delivery_id) &
              dup_str(&dst->subscription_id, src->subscription_id) &
              (whi_store_error_text(&err, src->error) == WH_OK);
    dst->error = err;
    dst->response = NULL;
    dst->response_len =
        src->response ? whi_store_cut_len(src->response, src->response_len, WH_ATTEMPT_RESPONSE_MAX)
                      : 0;
    if (ok && dst->response_len && !(dst->response = whi_strndup(src->response, dst->response_len)))
        ok = false;
    if (!ok) {
        wh_attempt_clear(dst);
        return whi_error_oom();
    }
    return WH_OK;
}

void wh_attempt_clear(wh_attempt *a)
{
    if (!a) return;
    free_str(&a->delivery_id);
    free_str(&a->subscription_id);
    free_str(&a->error);
    free_str(&a->response);
    memset(a, 0, sizeof(*a));
}

/* ---- input checks ---- */

int whi_store_check_id(const char *what, const char *id)
{
    const char *why = whi_check_id(id);
    return why ? whi_error(WH_EINVAL, "%s %s", what, why) : WH_OK;
}

static int check_label(const char *what, const char *s, bool nullable)
{
    if (!s && nullable) return WH_OK;
    const char *why = whi_check_label(s, WH_MAX_ID_LEN);
    return why ? whi_error(WH_EINVAL, "delivery %s %s", what, why) : WH_OK;
}

static int check_size(const char *what, size_t len, size_t max)
{
    if (len > max)
        return whi_error(WH_ETOOLARGE, "delivery %s is %zu bytes, over the limit of %zu", what, len,
                         max);
    return WH_OK;
}

static int check_delivery_text(const wh_delivery *d)
{
    int rc;
    if ((rc = whi_store_check_id("delivery id", d->id)) != WH_OK ||
        (rc = whi_store_check_id("delivery subscription_id", d->subscription_id)) != WH_OK ||
        (rc = whi_store_check_id("delivery event_id", d->event_id)) != WH_OK ||
        (rc = check_label("owner_id", d->owner_id, true)) != WH_OK ||
        (rc = check_label("event_type", d->event_type, false)) != WH_OK ||
        (rc = check_label("idempotency_key", d->idempotency_key, false)) != WH_OK)
        return rc;
    if ((rc = check_size("url", d->url ? strlen(d->url) : 0, WH_STORE_MAX_URL_LEN)) != WH_OK ||
        (rc = check_size("headers", d->headers ? strlen(d->headers) : 0,
                         WH_STORE_MAX_HEADERS_LEN)) != WH_OK ||
        (rc = check_size("body", d->body_len, WH_STORE_MAX_BODY_LEN)) != WH_OK)
        return rc;
    if (d->body_len && !d->body)
        return whi_error(WH_EINVAL, "delivery body is NULL but body_len is %zu", d->body_len);
    return WH_OK;
}

int whi_delivery_check(const wh_delivery *d)
{
    if (!d) return whi_error(WH_EINVAL, "delivery must not be NULL");
    if (d->version < 1) return whi_error(WH_EINVAL, "delivery version must be WH_DELIVERY_VERSION");
    int rc = check_delivery_text(d);
    if (rc != WH_OK) return rc;
    if (!wh_method_name(d->method))
        return whi_error(WH_EINVAL, "delivery %s: unknown method %d", d->id, (int)d->method);
    if (d->status == WH_DELIVERY_IN_FLIGHT || !wh_delivery_status_name(d->status))
        return whi_error(WH_EINVAL, "delivery %s: a new delivery must be pending or failed", d->id);
    return WH_OK;
}

int whi_record_check(const wh_attempt *a, const wh_outcome *o)
{
    if (!a || !o) return whi_error(WH_EINVAL, "attempt and outcome must not be NULL");
    if (a->version < 1) return whi_error(WH_EINVAL, "attempt version must be WH_ATTEMPT_VERSION");
    int rc = whi_store_check_id("attempt delivery_id", a->delivery_id);
    if (rc != WH_OK) return rc;
    if (a->response_len && !a->response)
        return whi_error(WH_EINVAL, "attempt response is NULL but response_len is %zu",
                         a->response_len);
    if (o->status == WH_DELIVERY_IN_FLIGHT || !wh_delivery_status_name(o->status))
        return whi_error(WH_EINVAL, "outcome status must be pending, succeeded or failed");
    return o->stats ? whi_stats_check(o->stats) : WH_OK;
}

int whi_stats_check(const wh_sub_stats *st)
{
    if (!st) return whi_error(WH_EINVAL, "stats must not be NULL");
    /* The same rule as wh_subscription_set_disabled_reason, checked before anything changes. */
    const char *why = st->disable && st->disabled_reason
                          ? whi_check_text(st->disabled_reason, WHI_DISABLED_REASON_MAX)
                          : NULL;
    return why ? whi_error(WH_EINVAL, "stats disabled_reason %s", why) : WH_OK;
}

int whi_lease_check(const wh_lease_request *req)
{
    if (!req) return whi_error(WH_EINVAL, "lease request must not be NULL");
    if (req->max == 0) return whi_error(WH_EINVAL, "lease max must be at least 1");
    if (req->lease_until <= req->now)
        return whi_error(WH_EINVAL, "lease_until must be later than now");
    if (req->exclude_count && !req->exclude)
        return whi_error(WH_EINVAL, "lease exclude is NULL but exclude_count is %zu",
                         req->exclude_count);
    for (size_t i = 0; i < req->exclude_count; i++)
        if (!req->exclude[i]) return whi_error(WH_EINVAL, "lease exclude[%zu] is NULL", i);
    return WH_OK;
}

int whi_attempt_list_check(const char *delivery_id, const char *sub_id, const void *cb)
{
    if (!cb) return whi_error(WH_EINVAL, "callback must not be NULL");
    if (!delivery_id == !sub_id)
        return whi_error(WH_EINVAL, "give exactly one of delivery_id and subscription_id");
    return delivery_id ? whi_store_check_id("delivery id", delivery_id)
                       : whi_store_check_id("subscription id", sub_id);
}

int whi_event_ids_check(const char *const *ids, size_t count)
{
    if (count && !ids) return whi_error(WH_EINVAL, "event ids must not be NULL");
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < count; i++) {
        const char *why = whi_check_label(ids[i], WHI_EVENT_KEY_MAX);
        if (why) rc = whi_error(WH_EINVAL, "event key %zu %s", i, why);
    }
    whi_hmap seen = WHI_HMAP_INIT;
    for (size_t i = 0; rc == WH_OK && i < count; i++) {
        size_t len = strlen(ids[i]);
        if (whi_hmap_get(&seen, ids[i], len))
            rc = whi_error(WH_ECONFLICT, "event %s is given twice", ids[i]);
        else if (whi_hmap_put(&seen, ids[i], len, (void *)ids[i]) != WH_OK)
            rc = whi_error_oom();
    }
    whi_hmap_free(&seen);
    return rc;
}

int whi_event_conflict(const char *id)
{
    return whi_error(WH_ECONFLICT,
                     "event %s was already accepted (within the event id window): nothing was "
                     "stored",
                     id);
}

int whi_delivery_query_check(const wh_delivery_query *q)
{
    if (q && (q->status < -1 || q->status > WH_DELIVERY_FAILED))
        return whi_error(WH_EINVAL, "delivery query status must be -1 or a delivery status");
    if (q && q->subscription_id)
        return whi_store_check_id("delivery query subscription_id", q->subscription_id);
    return WH_OK;
}

size_t whi_page_offset(size_t limit, size_t page)
{
    if (limit == 0 || page <= 1) return 0;
    return page - 1 > SIZE_MAX / limit ? SIZE_MAX : (page - 1) * limit;
}

/* ---- lease filter ---- */

int whi_lease_filter_init(whi_lease_filter *f, const wh_lease_request *req)
{
    *f = (whi_lease_filter){WHI_HMAP_INIT, WHI_HMAP_INIT, req->max_per_subscription};
    for (size_t i = 0; i < req->exclude_count; i++) {
        const char *id = req->exclude[i];
        if (whi_hmap_put(&f->exclude, id, strlen(id), (void *)id) != WH_OK) {
            whi_lease_filter_free(f);
            return whi_error_oom();
        }
    }
    return WH_OK;
}

/* One subscription's count in a lease, holding its own copy of the id (the map's key). */
typedef struct sub_count {
    size_t n;
    char id[];
} sub_count;

int whi_lease_filter_take(whi_lease_filter *f, const char *sub_id, bool *take)
{
    size_t len = strlen(sub_id);
    *take = false;
    if (whi_hmap_get(&f->exclude, sub_id, len)) return WH_OK;
    if (f->per_sub == 0) {
        *take = true;
        return WH_OK;
    }
    sub_count *c = whi_hmap_get(&f->counts, sub_id, len);
    if (!c) {
        if (!(c = whi_malloc(sizeof(*c) + len + 1))) return whi_error_oom();
        c->n = 0;
        memcpy(c->id, sub_id, len + 1);
        if (whi_hmap_put(&f->counts, c->id, len, c) != WH_OK) {
            whi_free(c);
            return whi_error_oom();
        }
    }
    if (c->n >= f->per_sub) return WH_OK;
    c->n++;
    *take = true;
    return WH_OK;
}

size_t whi_lease_filter_room(const whi_lease_filter *f, const char *sub_id)
{
    size_t len = strlen(sub_id);
    if (whi_hmap_get(&f->exclude, sub_id, len)) return 0;
    if (f->per_sub == 0) return SIZE_MAX;
    const sub_count *c = whi_hmap_get(&f->counts, sub_id, len);
    return c ? f->per_sub - c->n : f->per_sub;
}

void whi_lease_filter_free(whi_lease_filter *f)
{
    for (size_t i = 0; i < f->counts.cap; i++)
        whi_free(f->counts.slots[i].value);
    whi_hmap_free(&f->counts);
    whi_hmap_free(&f->exclude);
}
