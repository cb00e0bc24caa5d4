/*
 * Emit: match the event, render each matching subscription's request once, and store all the
 * deliveries in one atomic batch before returning. A request that cannot be rendered becomes a
 * FAILED delivery carrying the reason, so one bad template never blocks the other matches.
 */
#include <stdio.h>
#include <string.h>

#include "event_impl.h"
#include "hub_impl.h"
#include "subscription_impl.h"
#include "template_impl.h"

/* A delivery being built, with the storage its strings point into. */
typedef struct draft {
    wh_delivery d;
    char id[WHI_MSG_ID_LEN + 1];
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

/* Custom headers rendered into a JSON object text. */
static int render_headers(const hub_sub *hs, const wh_event *ev, whi_buf *out)
{
    const wh_subscription *s = hs->sub;
    whi_buf value = WHI_BUF_INIT;
    int rc = WH_OK;
    whi_buf_putc(out, '{');
    for (size_t i = 0; rc == WH_OK && i < s->headers.n; i++) {
        if (!hs->headers || !hs->headers[i]) {
            rc = whi_error(WH_ERENDER, "header %s does not compile", s->headers.v[i].name);
            break;
        }
        whi_buf_clear(&value);
        if ((rc = whi_template_render_buf(hs->headers[i], ev, s->id, &value)) != WH_OK)
            break;
        if (i)
            whi_buf_putc(out, ',');
        whi_json_escape(out, s->headers.v[i].name, strlen(s->headers.v[i].name), true);
        whi_buf_putc(out, ':');
        whi_json_escape(out, value.data ? value.data : "", value.len, true);
    }
    whi_buf_putc(out, '}');
    whi_buf_free(&value);
    return rc == WH_OK ? whi_buf_status(out) : rc;
}

static void render(wh_hub *h, const hub_sub *hs, const wh_event *ev, draft *dr)
{
    const wh_subscription *s = hs->sub;
    if (!hs->url) {
        whi_error(WH_ERENDER, "the url template does not compile");
        draft_fail(dr, "url");
    } else if (whi_template_render_url_buf(hs->url, ev, s->id, &dr->url) != WH_OK) {
        draft_fail(dr, "url");
    } else if (strstr(s->url, "{{") && wh_urlguard_check_url(h->guard, dr->url.data) != WH_OK) {
        draft_fail(dr, "url");
    } else if (render_headers(hs, ev, &dr->headers) != WH_OK) {
        draft_fail(dr, "headers");
    } else {
        dr->body.limit = h->opts.max_body_bytes;
        int rc = hs->body ? whi_template_render_buf(hs->body, ev, s->id, &dr->body)
                          : whi_render_default_body_buf(ev, s, &dr->body);
        if (rc == WH_OK)
            rc = whi_buf_status(&dr->body);
        if (rc != WH_OK)
            draft_fail(dr, "body");
    }
    dr->d.url = dr->d.status == WH_DELIVERY_FAILED ? NULL : dr->url.data;
    dr->d.headers = dr->headers.data && dr->d.status != WH_DELIVERY_FAILED ? dr->headers.data : "{}";
    dr->d.body = dr->body.data;
    dr->d.body_len = dr->d.status == WH_DELIVERY_FAILED ? 0 : dr->body.len;
}

static int draft_init(wh_hub *h, const hub_sub *hs, const wh_event *ev, wh_time_ms now, draft *dr)
{
    int rc = whi_msg_id(dr->id);
    if (rc != WH_OK)
        return rc;
    memcpy(dr->id, "dlv_", 4);
    const wh_subscription *s = hs->sub;
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
    render(h, hs, ev, dr);
    return WH_OK;
}

int whi_hub_emit_subs(wh_hub *h, const wh_event *ev, const wh_subscription *const *subs, size_t n,
                      size_t *queued)
{
    if (n == 0)
        return WH_OK;
    draft *drafts = whi_calloc(n, sizeof(*drafts));
    const wh_delivery **batch = whi_calloc(n, sizeof(*batch));
    int rc = drafts && batch ? WH_OK : whi_error_oom();
    wh_time_ms now = whi_hub_now(h);
    size_t made = 0, failed = 0;
    for (size_t i = 0; rc == WH_OK && i < n; i++) {
        hub_sub *hs = whi_hub_cache_get(h, subs[i]->id);
        if (!hs)
            continue;
        if ((rc = draft_init(h, hs, ev, now, &drafts[made])) == WH_OK) {
            failed += drafts[made].d.status == WH_DELIVERY_FAILED;
            batch[made] = &drafts[made].d;
            made++;
        }
    }
    if (rc == WH_OK && made)
        rc = h->store->enqueue(h->store, batch, made);
    if (rc == WH_OK && queued)
        *queued = made;
    if (rc == WH_OK && failed)
        whi_hub_log(h, WH_LOG_WARN, "event %s: %zu of %zu deliveries could not be rendered",
                    ev->id, failed, made);
    for (size_t i = 0; drafts && i < made; i++)
        draft_free(&drafts[i]);
    whi_free(drafts);
    whi_free(batch);
    return rc;
}

int wh_hub_emit(wh_hub *h, const wh_event *ev, size_t *queued)
{
    if (queued)
        *queued = 0;
    if (!h || !ev)
        return whi_error(WH_EINVAL, "hub and event must not be NULL");
    pthread_mutex_lock(&h->lock);
    int rc = whi_hub_refresh_if_stale(h);
    if (rc == WH_OK)
        rc = wh_matcher_match(h->matcher, ev, h->result);
    if (rc == WH_OK) {
        size_t n = wh_match_result_count(h->result);
        const wh_subscription **subs = n ? whi_calloc(n, sizeof(*subs)) : NULL;
        if (n && !subs)
            rc = whi_error_oom();
        for (size_t i = 0; subs && i < n; i++)
            subs[i] = wh_match_result_at(h->result, i);
        if (rc == WH_OK)
            rc = whi_hub_emit_subs(h, ev, subs, n, queued);
        whi_free(subs);
    }
    pthread_mutex_unlock(&h->lock);
    if (rc == WH_OK)
        whi_hub_wake(h);
    return rc;
}

int wh_hub_emit_to(wh_hub *h, const wh_event *ev, const char *subscription_id)
{
    if (!h || !ev || !subscription_id)
        return whi_error(WH_EINVAL, "hub, event and subscription id must not be NULL");
    pthread_mutex_lock(&h->lock);
    int rc = whi_hub_refresh_if_stale(h);
    hub_sub *hs = whi_hub_cache_get(h, subscription_id);
    if (rc == WH_OK && !hs)
        rc = whi_error(WH_ENOTFOUND, "no webhook with id %.64s", subscription_id);
    else if (rc == WH_OK && hs->sub->status != WH_STATUS_ACTIVE)
        rc = whi_error(WH_ESTATE, "webhook %.64s is %s, not active", subscription_id,
                       wh_status_name(hs->sub->status));
    if (rc == WH_OK) {
        const wh_subscription *one = hs->sub;
        rc = whi_hub_emit_subs(h, ev, &one, 1, NULL);
    }
    pthread_mutex_unlock(&h->lock);
    if (rc == WH_OK)
        whi_hub_wake(h);
    return rc;
}
