/*
 * POST /events: emit an event to the principal's own matching webhooks. A principal never
 * reaches another owner's webhooks: that would let one tenant send payloads, signed with
 * another tenant's secret, to that tenant's endpoint. A host emits to everyone with
 * wh_hub_emit.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "api_impl.h"
#include "buf.h"
#include "json.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

int whi_api_events_post(api_ctx *c)
{
    wh_event *ev = NULL;
    int rc = wh_event_from_json(&ev, c->req->body, c->req->body_len);
    /* An event without a time happened now, by the hub's clock. */
    if (rc == WH_OK && !whi_json_field(c->json, NAMES("occurredAt", "timestamp")))
        rc = wh_event_set_occurred_at(ev, wh_hub_now(c->api->hub));
    if (rc == WH_OK) rc = whi_api_check_event(c->api, ev);
    size_t queued = 0;
    if (rc == WH_OK) rc = wh_hub_emit_owner(c->api->hub, ev, c->owner, &queued);
    if (rc == WH_ECONFLICT) { /* a client retrying its POST, maybe through another instance */
        rc = whi_api_error(c, 409, WH_ECONFLICT,
                           "an event with id %.64s was already accepted; it is not queued again",
                           wh_event_id(ev));
        wh_event_free(ev);
        return rc;
    }
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
