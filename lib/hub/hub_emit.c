/*
 * Emit: match the event, render each matching subscription's request once, and store all the
 * deliveries in one atomic batch before returning. A request that cannot be rendered becomes a
 * FAILED delivery carrying the reason, so one bad template never blocks the other matches.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "event_impl.h"
#include "hub_impl.h"
#include "subscription_impl.h"
#include "template_impl.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "text.h"
#include "json.h"

/*
 * A delivery being built, with the storage its strings point into. A draft is made under the
 * hub's lock (id, subscription, a reference to its compiled templates) and rendered without it,
 * so one tenant's large rendering never holds up another tenant's emit or the delivery loop.
 */
typedef struct draft {
    wh_delivery d;
    char id[WHI_MSG_ID_LEN + 1];
    /* copies: a reload of the cache (see drafts_commit) frees the subscription they came from */
    char sub_id[WH_MAX_ID_LEN + 1];
    char owner[WH_MAX_ID_LEN + 1];
    hub_sub *hs;        /* retained until drafts_release */
    const wh_event *ev; /* borrowed from the caller for the emit */
    whi_buf url, headers, body;
    char error[320];
} draft;

static void draft_free(draft *dr)
{
    whi_buf_free(&dr->url);
    whi_buf_free(&dr->headers);
    whi_buf_free(&dr->body);
}

/* Mark the draft dead on arrival with the thread's last error as the reason. */
static void draft_fail(draft *dr, const char *what)
{
    snprintf(dr->error, sizeof(dr->error), "%s: %s", what, wh_error_last()->message);
    dr->d.status = WH_DELIVERY_FAILED;
    dr->d.last_status = wh_error_last()->code;
    dr->d.last_error = dr->error;
}

/* One header value, rendered within WH_MAX_HEADER_LEN and checked like a static one. */
static int render_header_value(const wh_template *t, const wh_event *ev, const char *sub_id,
                               const char *name, whi_buf *value)
{
    whi_buf_clear(value);
    value->limit = WH_MAX_HEADER_LEN;
    int rc = whi_template_render_buf(t, ev, sub_id, value);
    if (rc == WH_OK && whi_blank(value->data))
        rc = whi_error(WH_ERENDER, "renders empty or blank, and a request would carry no such "
                                   "header");
    return rc == WH_OK ? WH_OK : whi_error(rc, "%s: %s", name, wh_error_last()->message);
}

/*
 * Custom headers rendered into a JSON object text, each value within WH_MAX_HEADER_LEN and all
 * of them within WH_MAX_HEADERS_TOTAL_LEN: every buffer stops growing at its limit, so a
 * template that repeats a large placeholder costs at most the limit, never the whole rendering.
 */
static int render_headers(const hub_sub *hs, const wh_event *ev, whi_buf *out)
{
    const wh_subscription *s = hs->sub;
    whi_buf value = WHI_BUF_INIT;
    int rc = WH_OK;
    /* the JSON quoting of names and values, beside the budget of the names and values */
    out->limit = WH_MAX_HEADERS_TOTAL_LEN * 2 + 16;
    size_t budget = 0;
    whi_buf_putc(out, '{');
    for (size_t i = 0; rc == WH_OK && i < s->headers.n; i++) {
        const char *name = s->headers.v[i].name;
        if (!hs->headers || !hs->headers[i]) {
            rc = whi_error(WH_ERENDER, "%s does not compile", name);
            break;
        }
        if ((rc = render_header_value(hs->headers[i], ev, s->id, name, &value)) != WH_OK) break;
        budget += strlen(name) + value.len;
        if (budget > WH_MAX_HEADERS_TOTAL_LEN) {
            rc = whi_error(WH_ETOOLARGE, "the rendered headers are over %d bytes in all",
                           WH_MAX_HEADERS_TOTAL_LEN);
            break;
        }
        if (i) whi_buf_putc(out, ',');
        whi_json_escape(out, name, strlen(name), true);
        whi_buf_putc(out, ':');
        whi_json_escape(out, value.data, value.len, true);
    }
    whi_buf_putc(out, '}');
    whi_buf_free(&value);
    return rc == WH_OK ? whi_buf_status(out) : rc;
}

/* Render the draft's URL, headers and body (without the hub's lock: dr->hs is retained). */
static void render(const wh_hub *h, draft *dr)
{
    const hub_sub *hs = dr->hs;
    const wh_subscription *s = hs->sub;
    const wh_event *ev = dr->ev;
    if (!hs->url) {
        whi_error(WH_ERENDER, "the url template does not compile");
        draft_fail(dr, "url");
    } else if (whi_template_render_url_buf(hs->url, ev, s->id, &dr->url) != WH_OK) {
        draft_fail(dr, "url");
    } else if (strstr(s->url, "{{") &&
               wh_urlguard_check_url(h->opts.guard, dr->url.data) != WH_OK) {
        draft_fail(dr, "url");
    } else if (render_headers(hs, ev, &dr->headers) != WH_OK) {
        draft_fail(dr, "headers");
    } else {
        dr->body.limit = h->opts.max_body_bytes;
        int rc = hs->body ? whi_template_render_buf(hs->body, ev, s->id, &dr->body)
                          : whi_render_default_body_buf(ev, s, &dr->body);
        if (rc == WH_OK) rc = whi_buf_status(&dr->body);
        if (rc != WH_OK) draft_fail(dr, "body");
    }
    dr->d.url = dr->d.status == WH_DELIVERY_FAILED ? NULL : dr->url.data;
    dr->d.headers =
        dr->headers.data && dr->d.status != WH_DELIVERY_FAILED ? dr->headers.data : "{}";
    dr->d.body = dr->body.data;
    dr->d.body_len = dr->d.status == WH_DELIVERY_FAILED ? 0 : dr->body.len;
}

/* Everything but the rendering (the lock held: the id clock and the cache). */
static int draft_init(wh_hub *h, hub_sub *hs, const wh_event *ev, wh_time_ms now, draft *dr)
{
    int rc = whi_msg_id_next(dr->id, &h->id_clock);
    if (rc != WH_OK) return rc;
    memcpy(dr->id, "dlv_", 4);
    const wh_subscription *s = hs->sub;
    whi_strlcpy(dr->sub_id, s->id, sizeof(dr->sub_id));
    whi_strlcpy(dr->owner, s->owner ? s->owner : "", sizeof(dr->owner));
    dr->d = (wh_delivery){.version = WH_DELIVERY_VERSION,
                          .id = dr->id,
                          .subscription_id = s->id,
                          .owner_id = s->owner,
                          .event_id = ev->id,
                          .event_type = ev->type,
                          .idempotency_key = ev->id,
                          .method = s->method,
                          .event_time = ev->occurred_at,
                          .status = WH_DELIVERY_PENDING,
                          .next_attempt_at = now,
                          .created_at = now,
                          .updated_at = now};
    dr->ev = ev;
    dr->hs = hs;
    whi_hub_sub_retain(hs);
    return WH_OK;
}

/* Deliveries being prepared for one atomic enqueue. */
typedef struct draft_set {
    draft *v;
    size_t n, cap;
    bool retried; /* the enqueue was retried after a reload */
    /* Event idempotency: the emitted events' keys, accepted by the store with the batch (also
     * those that matched nothing), and when; nevents 0 when off (see event_ids_set). */
    const char **event_ids;
    char *owner_keys; /* "<owner>/<event id>" keys, NUL-separated, for an owner's emit */
    size_t nevents;
    wh_time_ms now;
} draft_set;

/* A draft for hs (the lock held); rendered later by drafts_render. */
static int drafts_add(wh_hub *h, draft_set *ds, hub_sub *hs, const wh_event *ev, wh_time_ms now)
{
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? ds->cap * 2 : 8;
        draft *grown = whi_realloc(ds->v, cap * sizeof(*grown));
        if (!grown) return whi_error_oom();
        memset(grown + ds->cap, 0, (cap - ds->cap) * sizeof(*grown));
        ds->v = grown;
        ds->cap = cap;
    }
    int rc = draft_init(h, hs, ev, now, &ds->v[ds->n]);
    if (rc == WH_OK) ds->n++;
    return rc;
}

/* Render every draft, without the hub's lock. */
static void drafts_render(const wh_hub *h, draft_set *ds)
{
    for (size_t i = 0; i < ds->n; i++)
        render(h, &ds->v[i]);
}

/* Give back the drafts' references and log the ones not renderable (the lock held). */
static void drafts_release(wh_hub *h, draft_set *ds)
{
    for (size_t i = 0; i < ds->n; i++) {
        draft *dr = &ds->v[i];
        if (dr->d.status == WH_DELIVERY_FAILED)
            whi_hub_log(h, WH_LOG_WARN, "event %s to webhook %s: not renderable: %s", dr->ev->id,
                        dr->sub_id, dr->error);
        whi_hub_sub_release(dr->hs);
        dr->hs = NULL;
    }
}

/* Forget drafts whose subscription is no longer in the cache. */
static void drafts_drop_unknown(wh_hub *h, draft_set *ds)
{
    size_t kept = 0;
    for (size_t i = 0; i < ds->n; i++) {
        if (whi_hub_cache_get(h, ds->v[i].sub_id)) {
            if (kept != i) ds->v[kept] = ds->v[i];
            kept++;
        } else {
            whi_hub_sub_release(ds->v[i].hs);
            draft_free(&ds->v[i]);
        }
    }
    ds->n = kept;
}

/*
 * Store every draft in one atomic batch. The store is thread-safe, so emits write it without
 * the hub's lock: a run on another thread goes on leasing and sending meanwhile instead of
 * waiting on the disk. Only the reload after a refusal takes the lock.
 */
static int drafts_commit(wh_hub *h, draft_set *ds)
{
    if (ds->n == 0 && ds->nevents == 0) return WH_OK;
    const wh_delivery **batch = ds->n ? whi_calloc(ds->n, sizeof(*batch)) : NULL;
    if (ds->n && !batch) return whi_error_oom();
    for (size_t i = 0; i < ds->n; i++) {
        /* the array may have moved since draft_init: point into each draft's own storage */
        ds->v[i].d.id = ds->v[i].id;
        ds->v[i].d.subscription_id = ds->v[i].sub_id;
        ds->v[i].d.owner_id = ds->v[i].owner[0] ? ds->v[i].owner : NULL;
        if (ds->v[i].d.last_error) ds->v[i].d.last_error = ds->v[i].error;
        batch[i] = &ds->v[i].d;
    }
    /* With event idempotency, the events are accepted in the same transaction: an id the store
     * already holds refuses the whole batch (WH_ECONFLICT), so a repeated event creates
     * nothing. */
    int rc = ds->nevents
                 ? h->store->enqueue_events(h->store, ds->event_ids, ds->nevents, ds->now,
                                            ds->now + h->opts.event_id_window_ms, batch, ds->n)
                 : h->store->enqueue(h->store, batch, ds->n);
    whi_free(batch);
    if (rc == WH_ENOTFOUND && !ds->retried) {
        /* A subscription was deleted behind our back (another process sharing the store): the
         * enqueue refused the whole batch, so drop the gone ones and store the rest. */
        ds->retried = true;
        pthread_mutex_lock(&h->lock);
        if ((rc = whi_hub_reload(h)) == WH_OK) drafts_drop_unknown(h, ds);
        pthread_mutex_unlock(&h->lock);
        if (rc == WH_OK) rc = drafts_commit(h, ds);
    }
    return rc;
}

/*
 * The end of every emit, whatever happened: render what was matched (no lock), store it, then
 * under the lock give the references back and wake a run asleep in poll.
 */
static int drafts_finish(wh_hub *h, draft_set *ds, int rc, size_t *queued)
{
    if (rc == WH_OK) {
        drafts_render(h, ds);
        rc = drafts_commit(h, ds);
    }
    if (rc == WH_OK && queued) *queued = ds->n;
    pthread_mutex_lock(&h->lock);
    drafts_release(h, ds);
    if (rc == WH_OK && ds->n) whi_hub_wake(h);
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < ds->n; i++)
        draft_free(&ds->v[i]);
    whi_free(ds->v);
    whi_free(ds->event_ids);
    whi_free(ds->owner_keys);
    return rc;
}

/* An owner's keys: "<owner>/<event id>", so that one tenant's ids never collide with, or reveal,
 * another's (an event id has no '/'). */
static int owner_keys(draft_set *ds, const wh_event *const *events, size_t count, const char *owner)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += strlen(owner) + strlen(wh_event_id(events[i])) + 2;
    if (!(ds->owner_keys = whi_malloc(total))) return whi_error_oom();
    char *p = ds->owner_keys;
    for (size_t i = 0; i < count; i++) {
        ds->event_ids[i] = p;
        p += sprintf(p, "%s/%s", owner, wh_event_id(events[i])) + 1;
    }
    return WH_OK;
}

static bool remembers_events(const wh_store *s)
{
    return s->version >= 5 && s->enqueue_events;
}

/* Event idempotency on (a window, and a store that remembers ids): list the events' keys. */
static int event_ids_set(wh_hub *h, draft_set *ds, const wh_event *const *events, size_t count,
                         const char *owner, wh_time_ms now)
{
    if (!h->opts.event_id_window_ms || !remembers_events(h->store) || !count) return WH_OK;
    if (!(ds->event_ids = whi_calloc(count, sizeof(char *)))) return whi_error_oom();
    if (owner) {
        int rc = owner_keys(ds, events, count, owner);
        if (rc != WH_OK) return rc;
    } else {
        for (size_t i = 0; i < count; i++)
            ds->event_ids[i] = wh_event_id(events[i]);
    }
    ds->nevents = count;
    ds->now = now;
    return WH_OK;
}

/* Add a draft for every active subscription ev matches (of owner only, unless NULL). */
static int drafts_match(wh_hub *h, draft_set *ds, const wh_event *ev, const char *owner,
                        wh_time_ms now)
{
    int rc = wh_matcher_match(h->matcher, ev, h->result);
    size_t n = rc == WH_OK ? wh_match_result_count(h->result) : 0;
    for (size_t i = 0; rc == WH_OK && i < n; i++) {
        const wh_subscription *s = wh_match_result_at(h->result, i);
        if (owner && (!s->owner || strcmp(s->owner, owner) != 0)) continue;
        hub_sub *hs = whi_hub_cache_get(h, s->id);
        if (hs) rc = drafts_add(h, ds, hs, ev, now);
    }
    return rc;
}

/* Emit events to the matching subscriptions (of owner, unless NULL) in one atomic enqueue. */
static int emit_events(wh_hub *h, const wh_event *const *events, size_t count, const char *owner,
                       size_t *queued)
{
    draft_set ds = {0};
    pthread_mutex_lock(&h->lock);
    int rc = whi_hub_refresh_if_stale(h);
    wh_time_ms now = whi_hub_now(h);
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        rc = drafts_match(h, &ds, events[i], owner, now);
    pthread_mutex_unlock(&h->lock);
    if (rc == WH_OK) rc = event_ids_set(h, &ds, events, count, owner, now);
    return drafts_finish(h, &ds, rc, queued);
}

int wh_hub_emit_batch(wh_hub *h, const wh_event *const *events, size_t count, size_t *queued)
{
    if (queued) *queued = 0;
    if (!h || (count && !events)) return whi_error(WH_EINVAL, "hub and events must not be NULL");
    for (size_t i = 0; i < count; i++)
        if (!events[i]) return whi_error(WH_EINVAL, "events[%zu] is NULL", i);
    return emit_events(h, events, count, NULL, queued);
}

int wh_hub_emit_owner(wh_hub *h, const wh_event *ev, const char *owner, size_t *queued)
{
    if (queued) *queued = 0;
    if (!h || !ev || !owner) return whi_error(WH_EINVAL, "hub, event and owner must not be NULL");
    return emit_events(h, &ev, 1, owner, queued);
}

int wh_hub_emit(wh_hub *h, const wh_event *ev, size_t *queued)
{
    if (!ev) {
        if (queued) *queued = 0;
        return whi_error(WH_EINVAL, "hub and event must not be NULL");
    }
    return wh_hub_emit_batch(h, &ev, 1, queued);
}

int wh_hub_emit_to(wh_hub *h, const wh_event *ev, const char *subscription_id)
{
    if (!h || !ev || !subscription_id)
        return whi_error(WH_EINVAL, "hub, event and subscription id must not be NULL");
    draft_set ds = {0};
    pthread_mutex_lock(&h->lock);
    int rc = whi_hub_refresh_if_stale(h);
    hub_sub *hs = whi_hub_cache_get(h, subscription_id);
    if (rc == WH_OK && !hs)
        rc = whi_error(WH_ENOTFOUND, "no webhook with id %.64s", subscription_id);
    else if (rc == WH_OK && hs->sub->status != WH_STATUS_ACTIVE)
        rc = whi_error(WH_ESTATE, "webhook %.64s is %s, not active", subscription_id,
                       wh_status_name(hs->sub->status));
    if (rc == WH_OK) rc = drafts_add(h, &ds, hs, ev, whi_hub_now(h));
    pthread_mutex_unlock(&h->lock);
    return drafts_finish(h, &ds, rc, NULL);
}
