/*
 * POST /events: emit an event to the principal's own matching webhooks. A principal never
 * reaches another owner's webhooks: that would let one tenant send payloads, signed with
 * another tenant's secret, to that tenant's endpoint. A host emits to everyone with
 * wh_hub_emit.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "api_impl.h"
#include "webhooks/match.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The ids of the owner's webhooks that receive ev (active, matching, filters passed). */
typedef struct owner_matches {
    const wh_event *ev;
    whi_strvec ids;
    int rc;
} owner_matches;

static int collect_match(const wh_subscription *sub, void *ud)
{
    owner_matches *m = ud;
    if (wh_subscription_matches(sub, m->ev) &&
        (m->rc = whi_strvec_push(&m->ids, wh_subscription_id(sub))) != WH_OK)
        return 1;
    return 0;
}

/*
 * Emit ev to the owner's matching webhooks, one wh_hub_emit_to each (the hub has no owner
 * filter of its own). A webhook deleted or disabled between the listing and its emit is
 * skipped, as if the event had come a moment later.
 */
int whi_api_emit_owner(wh_hub *hub, const wh_event *ev, const char *owner, size_t *queued)
{
    *queued = 0;
    wh_store *st = wh_hub_store(hub);
    owner_matches m = {ev, {0}, WH_OK};
    int rc = st->sub_list(st, owner, 0, 1, NULL, collect_match, &m);
    if (rc == WH_OK) rc = m.rc;
    for (size_t i = 0; rc == WH_OK && i < m.ids.n; i++) {
        rc = wh_hub_emit_to(hub, ev, m.ids.v[i]);
        if (rc == WH_OK)
            (*queued)++;
        else if (rc == WH_ENOTFOUND || rc == WH_ESTATE)
            rc = WH_OK;
    }
    whi_strvec_clear(&m.ids);
    return rc;
}

int whi_api_events_post(api_ctx *c)
{
    wh_event *ev = NULL;
    int rc = wh_event_from_json(&ev, c->req->body, c->req->body_len);
    /* An event without a time happened now, by the hub's clock. */
    if (rc == WH_OK && !whi_json_field(c->json, NAMES("occurredAt", "timestamp")))
        rc = wh_event_set_occurred_at(ev, wh_hub_now(c->api->hub));
    if (rc == WH_OK) rc = whi_api_check_event(c->api, ev);
    size_t queued = 0;
    if (rc == WH_OK) rc = whi_api_emit_owner(c->api->hub, ev, c->owner, &queued);
    if (rc != WH_OK) {
        wh_event_free(ev);
        return whi_api_fail(c, rc);
    }
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"id\":");
    whi_json_escape(&b, wh_event_id(ev), strlen(wh_event_id(ev)), true);
    whi_buf_printf(&b, ",\"queued\":%zu}", queued);
    wh_event_free(ev);
    size_t len = 0;
    char *body = whi_buf_detach(&b, &len);
    return body ? whi_api_reply(c, 202, body, len) : whi_api_fail(c, WH_ENOMEM);
}
