/* Events to and from JSON (README "Event JSON"). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "event_impl.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "rfc3339.h"
#include "text.h"
#include "strvec.h"
#include "problems.h"
#include "json.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef int (*ev_setter)(wh_event *, const char *);

static void apply_string(wh_event *ev, whi_problems *p, const cJSON *item, const char *field,
                         ev_setter set)
{
    if (!item || cJSON_IsNull(item)) return;
    if (!cJSON_IsString(item))
        whi_problem(p, "%s must be a string", field);
    else if (set(ev, item->valuestring) != WH_OK)
        whi_problem_last(p);
}

/* Whether d is an integer that converts to long long exactly. Checked before any cast: casting
 * an out-of-range double (1e300) is undefined behaviour. */
static bool exact_integer(double d)
{
    return d >= -9.0e15 && d <= 9.0e15 && d == (double)(long long)d;
}

/* ids and products: strings, or integers written as decimal text (seed 000 uses numbers). */
static void apply_values(wh_event *ev, whi_problems *p, const cJSON *item, const char *field,
                         ev_setter add)
{
    if (!item || cJSON_IsNull(item)) return;
    if (!cJSON_IsArray(item)) {
        whi_problem(p, "%s must be an array", field);
        return;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, item)
    {
        char num[32];
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        if (cJSON_IsNumber(v) && exact_integer(v->valuedouble)) {
            snprintf(num, sizeof(num), "%lld", (long long)v->valuedouble);
            s = num;
        }
        if (!s) {
            whi_problem(p, "%s must hold strings or integers", field);
            return;
        }
        if (add(ev, s) != WH_OK) {
            whi_problem_last(p);
            return;
        }
    }
}

static void apply_attributes(wh_event *ev, whi_problems *p, const cJSON *item)
{
    if (!item || cJSON_IsNull(item)) return;
    if (!cJSON_IsObject(item)) {
        whi_problem(p, "attributes must be an object of strings");
        return;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, item)
    {
        if (!cJSON_IsString(a))
            whi_problem(p, "attributes.%.64s must be a string", a->string);
        else if (wh_event_set_attribute(ev, a->string, a->valuestring) != WH_OK)
            whi_problem_last(p);
    }
}

/* Set a JSON-valued field from a parsed item by printing it compactly. */
static int set_json_item(wh_event *ev, const char *relation, const cJSON *item)
{
    char *text = whi_json_print(item);
    if (!text) return whi_error_oom();
    int rc = relation ? wh_event_set_relation(ev, relation, text, strlen(text))
                      : wh_event_set_data(ev, text, strlen(text));
    whi_free(text);
    return rc;
}

static void apply_relations(wh_event *ev, whi_problems *p, const cJSON *item)
{
    if (!item || cJSON_IsNull(item)) return;
    if (!cJSON_IsObject(item)) {
        whi_problem(p, "relations must be an object");
        return;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, item) if (set_json_item(ev, r->string, r) != WH_OK) whi_problem_last(p);
}

static void apply_all(wh_event *ev, whi_problems *p, const cJSON *root)
{
    const cJSON *id = whi_json_field(root, NAMES("id"));
    char num[32];
    if (id && cJSON_IsNumber(id) && !exact_integer(id->valuedouble)) {
        whi_problem(p, "id must be a string or an integer");
    } else if (id && cJSON_IsNumber(id)) {
        snprintf(num, sizeof(num), "%lld", (long long)id->valuedouble);
        if (wh_event_set_id(ev, num) != WH_OK) whi_problem_last(p);
    } else {
        apply_string(ev, p, id, "id", wh_event_set_id);
    }
    apply_string(ev, p, whi_json_field(root, NAMES("entity")), "entity", wh_event_set_entity);
    apply_string(ev, p, whi_json_field(root, NAMES("action")), "action", wh_event_set_action);
    apply_string(ev, p, whi_json_field(root, NAMES("identifier")), "identifier",
                 wh_event_set_identifier);
    apply_string(ev, p, whi_json_field(root, NAMES("source")), "source", wh_event_set_source);
    apply_values(ev, p, whi_json_field(root, NAMES("ids")), "ids", wh_event_add_id);
    apply_values(ev, p, whi_json_field(root, NAMES("products")), "products", wh_event_add_product);
    apply_attributes(ev, p, whi_json_field(root, NAMES("attributes")));
    const cJSON *data = whi_json_field(root, NAMES("data", "payload"));
    if (data && set_json_item(ev, NULL, data) != WH_OK) whi_problem_last(p);
    apply_relations(ev, p, whi_json_field(root, NAMES("relations")));
    const cJSON *at = whi_json_field(root, NAMES("occurredAt", "timestamp"));
    if (at && !cJSON_IsNull(at) &&
        (!cJSON_IsString(at) ||
         whi_rfc3339_parse(at->valuestring, &ev->occurred_at, &ev->occurred_off) != WH_OK))
        whi_problem(p, "occurredAt must be an RFC 3339 date-time");
}

int wh_event_from_json(wh_event **out, const char *json, size_t len)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    cJSON *root;
    int rc = whi_json_parse(json, len, WH_MAX_PAYLOAD_LEN * 2, &root);
    if (rc != WH_OK) return rc;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return whi_error(WH_EINVAL, "an event must be a JSON object");
    }
    const cJSON *type = whi_json_field(root, NAMES("type"));
    wh_event *ev = NULL;
    if (!cJSON_IsString(type)) {
        cJSON_Delete(root);
        whi_error_begin();
        whi_error_detail("type is required and must be a string");
        return whi_error_finish(WH_EINVAL, "invalid event");
    }
    if ((rc = wh_event_new(&ev, type->valuestring)) != WH_OK) {
        cJSON_Delete(root);
        if (rc != WH_EINVAL) return rc;
        char msg[256];
        whi_strlcpy(msg, wh_error_last()->message, sizeof(msg));
        whi_error_begin();
        whi_error_detail("%s", msg);
        return whi_error_finish(WH_EINVAL, "invalid event");
    }
    whi_problems p = {0};
    apply_all(ev, &p, root);
    cJSON_Delete(root);
    if (p.count) {
        wh_event_free(ev);
        return whi_problems_fail(&p, WH_EINVAL, "invalid event");
    }
    *out = ev;
    return WH_OK;
}

/* Append "name":<value> to b; value is JSON text when raw, else a string to escape. */
static void put_member(whi_buf *b, const char *name, const char *value, bool raw)
{
    if (b->len > 1) whi_buf_putc(b, ',');
    whi_json_escape(b, name, strlen(name), true);
    whi_buf_putc(b, ':');
    if (!value)
        whi_buf_puts(b, "null");
    else if (raw)
        whi_buf_puts(b, value);
    else
        whi_json_escape(b, value, strlen(value), true);
}

static void put_array(whi_buf *b, const char *name, const whi_strvec *sv)
{
    put_member(b, name, "[", true);
    for (size_t i = 0; i < sv->n; i++) {
        if (i) whi_buf_putc(b, ',');
        whi_json_escape(b, sv->v[i], strlen(sv->v[i]), true);
    }
    whi_buf_putc(b, ']');
}

static void put_object(whi_buf *b, const char *name, const whi_kvvec *kv, bool raw)
{
    put_member(b, name, "{", true);
    for (size_t i = 0; i < kv->n; i++) {
        if (i) whi_buf_putc(b, ',');
        whi_json_escape(b, kv->v[i].name, strlen(kv->v[i].name), true);
        whi_buf_putc(b, ':');
        if (raw)
            whi_buf_puts(b, kv->v[i].value);
        else
            whi_json_escape(b, kv->v[i].value, strlen(kv->v[i].value), true);
    }
    whi_buf_putc(b, '}');
}

int wh_event_to_json(const wh_event *ev, char **out, size_t *len)
{
    if (!ev || !out) return whi_error(WH_EINVAL, "ev and out must not be NULL");
    whi_buf b = WHI_BUF_INIT;
    char at[WHI_RFC3339_MAX];
    whi_rfc3339_format(ev->occurred_at, ev->occurred_off, at);
    whi_buf_putc(&b, '{');
    put_member(&b, "id", ev->id, false);
    put_member(&b, "type", ev->type, false);
    put_member(&b, "entity", ev->entity, false);
    put_member(&b, "action", ev->action, false);
    put_array(&b, "ids", &ev->ids);
    put_object(&b, "attributes", &ev->attrs, false);
    put_array(&b, "products", &ev->products);
    put_member(&b, "identifier", ev->identifier, false);
    put_member(&b, "source", ev->source, false);
    put_member(&b, "data", ev->data, true);
    put_object(&b, "relations", &ev->relations, true);
    put_member(&b, "occurredAt", at, false);
    whi_buf_putc(&b, '}');
    *out = whi_buf_detach(&b, len);
    return *out ? WH_OK : wh_error_last()->code;
}
