/* wh_event: lifecycle, accessors and validation. JSON is in event_json.c. */
#include <string.h>

#include "event_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "random.h"
#include "rfc3339.h"
#include "strvec.h"
#include "json.h"
#include "compiler.h"

/*
 * The first 8 characters after "msg_" are the creation time (milliseconds since the epoch in
 * base62, whose digits sort in ASCII order), so ids sort by creation time like KSUIDs. Stores
 * index deliveries and attempts by id: a time-ordered id appends to those indexes instead of
 * touching a random page per row, which halved the SQLite store's disk writes per delivery.
 * The remaining 16 characters (95 bits) are random; with a clock, the first 4 of them are a
 * sequence instead (whi_msg_id_next), so ids made in the same millisecond keep their order too.
 */
static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
#define SEQ_LIMIT (62u * 62u * 62u * 62u) /* WHI_MSG_ID_SEQ_CHARS base62 digits */

/* Write v as n base62 digits, most significant first. */
static void put_b62(char *out, int n, uint64_t v)
{
    for (int i = n - 1; i >= 0; i--, v /= 62)
        out[i] = B62[v % 62];
}

int whi_msg_id_next(char out[WHI_MSG_ID_LEN + 1], whi_id_clock *clock)
{
    unsigned char raw[WHI_MSG_ID_LEN - 4 - WHI_MSG_ID_TIME_CHARS];
    int rc = whi_random_bytes(raw, sizeof(raw));
    if (rc != WH_OK) return rc;
    memcpy(out, "msg_", 4);
    wh_time_ms now = whi_now_ms();
    size_t at = 4 + WHI_MSG_ID_TIME_CHARS, rnd = 0;
    if (clock) {
        /* The clock may step back (NTP): keep the last time, so the order holds. */
        if (now > clock->ms)
            *clock = (whi_id_clock){now, 0};
        else if (++clock->seq == SEQ_LIMIT)
            *clock = (whi_id_clock){clock->ms + 1, 0};
        now = clock->ms;
        put_b62(out + at, WHI_MSG_ID_SEQ_CHARS, clock->seq);
        at += WHI_MSG_ID_SEQ_CHARS;
        rnd = WHI_MSG_ID_SEQ_CHARS;
    }
    put_b62(out + 4, WHI_MSG_ID_TIME_CHARS, now > 0 ? (uint64_t)now : 0);
    for (; at < WHI_MSG_ID_LEN; at++) /* slight bias is harmless for an identifier */
        out[at] = B62[raw[rnd++] % 62];
    out[WHI_MSG_ID_LEN] = '\0';
    return WH_OK;
}

int whi_msg_id(char out[WHI_MSG_ID_LEN + 1])
{
    return whi_msg_id_next(out, NULL);
}

static int field_error(const char *field, const char *why)
{
    return whi_error(WH_EINVAL, "%s %s", field, why);
}

int wh_event_new(wh_event **out, const char *type)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    const char *why = whi_check_event_type(type, false);
    if (why) return field_error("type", why);
    char id[WHI_MSG_ID_LEN + 1];
    int rc = whi_msg_id(id);
    if (rc != WH_OK) return rc;
    wh_event *ev = whi_calloc(1, sizeof(*ev));
    if (!ev || !(ev->id = whi_strdup(id)) || !(ev->type = whi_strdup(type)) ||
        !(ev->data = whi_strdup("null"))) {
        wh_event_free(ev);
        return whi_error_oom();
    }
    ev->occurred_at = whi_now_ms();
    *out = ev;
    return WH_OK;
}

void whi_event_clear(wh_event *ev)
{
    char *strs[] = {ev->id,         ev->type,   ev->entity, ev->action,
                    ev->identifier, ev->source, ev->data,   ev->ids_joined};
    for (size_t i = 0; i < WHI_ARRAY_LEN(strs); i++)
        whi_free(strs[i]);
    whi_strvec_clear(&ev->ids);
    whi_strvec_clear(&ev->products);
    whi_kvvec_clear(&ev->attrs);
    whi_kvvec_clear(&ev->relations);
    memset(ev, 0, sizeof(*ev));
}

void wh_event_free(wh_event *ev)
{
    if (!ev) return;
    whi_event_clear(ev);
    whi_free(ev);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = whi_strdup(src))) return WH_ENOMEM;
    return WH_OK;
}

int whi_event_copy(wh_event *dst, const wh_event *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->occurred_at = src->occurred_at;
    dst->occurred_off = src->occurred_off;
    int rc = dup_opt(&dst->id, src->id) | dup_opt(&dst->type, src->type) |
             dup_opt(&dst->entity, src->entity) | dup_opt(&dst->action, src->action) |
             dup_opt(&dst->identifier, src->identifier) | dup_opt(&dst->source, src->source) |
             dup_opt(&dst->data, src->data);
    if (rc == WH_OK) rc = whi_strvec_copy(&dst->ids, &src->ids);
    if (rc == WH_OK) rc = whi_strvec_copy(&dst->products, &src->products);
    if (rc == WH_OK) rc = whi_kvvec_copy(&dst->attrs, &src->attrs);
    if (rc == WH_OK) rc = whi_kvvec_copy(&dst->relations, &src->relations);
    if (rc != WH_OK) {
        whi_event_clear(dst);
        return whi_error_oom();
    }
    return WH_OK;
}

int wh_event_clone(wh_event **out, const wh_event *ev)
{
    if (!out || !ev) return whi_error(WH_EINVAL, "out and ev must not be NULL");
    *out = NULL;
    wh_event *c = whi_calloc(1, sizeof(*c));
    if (!c) return whi_error_oom();
    int rc = whi_event_copy(c, ev);
    if (rc != WH_OK) {
        whi_free(c);
        return rc;
    }
    *out = c;
    return WH_OK;
}

/* Validate-then-replace one string field; why is the check's verdict on value. */
static int set_str(wh_event *ev, char **field, const char *name, const char *value, const char *why)
{
    if (!ev) return whi_error(WH_EINVAL, "event must not be NULL");
    if (value && why) return field_error(name, why);
    return whi_str_replace(field, value);
}

#define EV_FIELD(ev, f) ((ev) ? &(ev)->f : NULL)

const char *wh_event_id(const wh_event *ev)
{
    return ev ? ev->id : NULL;
}

int wh_event_set_id(wh_event *ev, const char *id)
{
    if (!id) return field_error("id", "must not be NULL");
    return set_str(ev, EV_FIELD(ev, id), "id", id, whi_check_id(id));
}

const char *wh_event_type(const wh_event *ev)
{
    return ev ? ev->type : NULL;
}

int wh_event_set_type(wh_event *ev, const char *type)
{
    if (!type) return field_error("type", "must not be NULL");
    return set_str(ev, EV_FIELD(ev, type), "type", type, whi_check_event_type(type, false));
}

const char *wh_event_entity(const wh_event *ev)
{
    return ev ? ev->entity : NULL;
}

int wh_event_set_entity(wh_event *ev, const char *v)
{
    return set_str(ev, EV_FIELD(ev, entity), "entity", v,
                   v ? whi_check_label(v, WH_MAX_ID_LEN) : NULL);
}

const char *wh_event_action(const wh_event *ev)
{
    return ev ? ev->action : NULL;
}

int wh_event_set_action(wh_event *ev, const char *v)
{
    return set_str(ev, EV_FIELD(ev, action), "action", v,
                   v ? whi_check_label(v, WH_MAX_ID_LEN) : NULL);
}

const char *wh_event_identifier(const wh_event *ev)
{
    return ev ? ev->identifier : NULL;
}

int wh_event_set_identifier(wh_event *ev, const char *v)
{
    return set_str(ev, EV_FIELD(ev, identifier), "identifier", v,
                   v ? whi_check_label(v, WH_MAX_ID_LEN) : NULL);
}

const char *wh_event_source(const wh_event *ev)
{
    return ev ? ev->source : NULL;
}

int wh_event_set_source(wh_event *ev, const char *v)
{
    return set_str(ev, EV_FIELD(ev, source), "source", v,
                   v ? whi_check_label(v, WH_MAX_ID_LEN) : NULL);
}

/* Shared by ids and products: validated label, bounded count. */
static int push_value(wh_event *ev, whi_strvec *sv, const char *field, const char *v)
{
    if (!ev) return whi_error(WH_EINVAL, "event must not be NULL");
    const char *why = whi_check_label(v, WH_MAX_ID_LEN);
    if (why) return field_error(field, why);
    if (sv->n >= WH_MAX_EVENT_IDS)
        return field_error(field, "holds too many entries (at most 1024)");
    return whi_strvec_push(sv, v);
}

int wh_event_add_id(wh_event *ev, const char *id)
{
    int rc = push_value(ev, EV_FIELD(ev, ids), "ids", id);
    if (rc == WH_OK) {
        whi_free(ev->ids_joined);
        ev->ids_joined = NULL;
    }
    return rc;
}

size_t wh_event_id_count(const wh_event *ev)
{
    return ev ? ev->ids.n : 0;
}

const char *wh_event_id_at(const wh_event *ev, size_t i)
{
    return ev && i < ev->ids.n ? ev->ids.v[i] : NULL;
}

const char *wh_event_ids_joined(const wh_event *ev)
{
    if (!ev) return NULL;
    if (ev->ids_joined) return ev->ids_joined;
    whi_buf b = WHI_BUF_INIT;
    for (size_t i = 0; i < ev->ids.n; i++) {
        if (i) whi_buf_putc(&b, ',');
        whi_buf_puts(&b, ev->ids.v[i]);
    }
    char *joined = whi_buf_detach(&b, NULL);
    /* The cache is logically const: filling it does not change what the event means. */
    ((wh_event *)ev)->ids_joined = joined;
    return joined;
}

int wh_event_add_product(wh_event *ev, const char *p)
{
    return push_value(ev, EV_FIELD(ev, products), "products", p);
}

size_t wh_event_product_count(const wh_event *ev)
{
    return ev ? ev->products.n : 0;
}

const char *wh_event_product_at(const wh_event *ev, size_t i)
{
    return ev && i < ev->products.n ? ev->products.v[i] : NULL;
}

int wh_event_set_attribute(wh_event *ev, const char *name, const char *value)
{
    if (!ev) return whi_error(WH_EINVAL, "event must not be NULL");
    const char *why = whi_check_attr_name(name);
    if (why) return whi_error(WH_EINVAL, "attributes: name %s", why);
    if (!value) {
        whi_kvvec_remove(&ev->attrs, name, false);
        return WH_OK;
    }
    if ((why = whi_check_text(value, WH_MAX_ATTRIBUTE_LEN)))
        return whi_error(WH_EINVAL, "attributes.%s %s", name, why);
    if (!whi_kvvec_get(&ev->attrs, name, false) && ev->attrs.n >= 256)
        return whi_error(WH_EINVAL, "attributes: at most 256");
    return whi_kvvec_set(&ev->attrs, name, value, false);
}

const char *wh_event_attribute(const wh_event *ev, const char *name)
{
    return ev && name ? whi_kvvec_get(&ev->attrs, name, false) : NULL;
}

size_t wh_event_attribute_count(const wh_event *ev)
{
    return ev ? ev->attrs.n : 0;
}

const char *wh_event_attribute_name(const wh_event *ev, size_t i)
{
    return ev && i < ev->attrs.n ? ev->attrs.v[i].name : NULL;
}

const char *wh_event_attribute_value(const wh_event *ev, size_t i)
{
    return ev && i < ev->attrs.n ? ev->attrs.v[i].value : NULL;
}

int wh_event_set_data(wh_event *ev, const char *json, size_t len)
{
    if (!ev || !json) return whi_error(WH_EINVAL, "event and json must not be NULL");
    if (len > WH_MAX_PAYLOAD_LEN)
        return whi_error(WH_ETOOLARGE, "data: %zu bytes is over the limit of %d", len,
                         WH_MAX_PAYLOAD_LEN);
    char *copy;
    int rc = whi_json_minify_copy(json, len, &copy);
    if (rc != WH_OK) return whi_error(rc, "data: %s", wh_error_last()->message);
    whi_free(ev->data);
    ev->data = copy;
    return WH_OK;
}

const char *wh_event_data(const wh_event *ev)
{
    return ev ? ev->data : NULL;
}

int wh_event_set_relation(wh_event *ev, const char *name, const char *json, size_t len)
{
    if (!ev) return whi_error(WH_EINVAL, "event must not be NULL");
    const char *why = whi_check_label(name, WH_MAX_ID_LEN);
    if (why) return whi_error(WH_EINVAL, "relations: name %s", why);
    if (!json) {
        whi_kvvec_remove(&ev->relations, name, false);
        return WH_OK;
    }
    if (len > WH_MAX_PAYLOAD_LEN)
        return whi_error(WH_ETOOLARGE, "relations.%s: over the limit of %d bytes", name,
                         WH_MAX_PAYLOAD_LEN);
    char *copy;
    int rc = whi_json_minify_copy(json, len, &copy);
    if (rc != WH_OK) return whi_error(rc, "relations.%s: %s", name, wh_error_last()->message);
    rc = whi_kvvec_set(&ev->relations, name, copy, false);
    whi_free(copy);
    return rc;
}

const char *wh_event_relation(const wh_event *ev, const char *name)
{
    return ev && name ? whi_kvvec_get(&ev->relations, name, false) : NULL;
}

size_t wh_event_relation_count(const wh_event *ev)
{
    return ev ? ev->relations.n : 0;
}

const char *wh_event_relation_name(const wh_event *ev, size_t i)
{
    return ev && i < ev->relations.n ? ev->relations.v[i].name : NULL;
}

wh_time_ms wh_event_occurred_at(const wh_event *ev)
{
    return ev ? ev->occurred_at : 0;
}

/* RFC 3339 years 0000..9999, the range JSON can carry both ways. */
#define MIN_TIME_MS (-62167219200000LL)
#define MAX_TIME_MS 253402300799999LL

int wh_event_set_occurred_at(wh_event *ev, wh_time_ms at)
{
    if (!ev) return whi_error(WH_EINVAL, "event must not be NULL");
    if (at < MIN_TIME_MS || at > MAX_TIME_MS)
        return whi_error(WH_EINVAL, "occurredAt must lie in the years 0000..9999");
    ev->occurred_at = at;
    ev->occurred_off = 0;
    return WH_OK;
}
