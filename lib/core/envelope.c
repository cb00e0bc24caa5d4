/* The default JSON envelope sent when a subscription has no body template. */
#include <stdbool.h>
#include <string.h>

#include "event_impl.h"
#include "subscription_impl.h"
#include "template_impl.h"
#include "webhooks/envelope.h"
#include "error.h"
#include "buf.h"
#include "rfc3339.h"
#include "strvec.h"
#include "json.h"

/* Keys of the envelope itself: a relation of one of these names would repeat a key. */
static bool envelope_key(const char *name)
{
    return strcmp(name, "id") == 0 || strcmp(name, "type") == 0 || strcmp(name, "timestamp") == 0 ||
           strcmp(name, "data") == 0;
}

int whi_render_default_body_buf(const wh_event *ev, const wh_subscription *sub, whi_buf *b)
{
    char ts[WHI_RFC3339_MAX];
    whi_rfc3339_format(ev->occurred_at, ev->occurred_off, ts);
    whi_buf_puts(b, "{\"id\":");
    whi_json_escape(b, ev->id, strlen(ev->id), true);
    whi_buf_puts(b, ",\"type\":");
    whi_json_escape(b, ev->type, strlen(ev->type), true);
    whi_buf_puts(b, ",\"timestamp\":\"");
    whi_buf_puts(b, ts); /* always NUL-terminated, even for a far-off date */
    whi_buf_puts(b, "\",\"data\":");
    whi_buf_puts(b, ev->data ? ev->data : "null");
    const whi_strvec *rel = sub ? &sub->lists[WH_LIST_RELATIONS] : NULL;
    for (size_t i = 0; rel && i < rel->n; i++) {
        const char *json =
            envelope_key(rel->v[i]) ? NULL : whi_kvvec_get(&ev->relations, rel->v[i], false);
        if (!json) continue;
        whi_buf_putc(b, ',');
        whi_json_escape(b, rel->v[i], strlen(rel->v[i]), true);
        whi_buf_putc(b, ':');
        whi_buf_puts(b, json);
    }
    whi_buf_putc(b, '}');
    if (b->failed == WH_ETOOLARGE)
        return whi_error(WH_ETOOLARGE, "body: the default envelope is over the limit of %zu bytes",
                         b->limit);
    return b->failed ? whi_error_oom() : WH_OK;
}

int wh_envelope_render(const wh_event *ev, const wh_subscription *sub, char **out, size_t *len)
{
    if (out) *out = NULL;
    if (!ev || !out) return whi_error(WH_EINVAL, "event and out must not be NULL");
    if (!ev->id || !ev->type) return whi_error(WH_EINVAL, "event has no id or type");
    whi_buf b = WHI_BUF_INIT;
    int rc = whi_render_default_body_buf(ev, sub, &b);
    if (rc != WH_OK) {
        whi_buf_free(&b);
        return rc;
    }
    *out = whi_buf_detach(&b, len);
    return *out ? WH_OK : whi_error_oom();
}
