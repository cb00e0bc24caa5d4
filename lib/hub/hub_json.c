/*
 * wh_hub_new_json: the hub's options as a JSON document, for bindings (Python ctypes, Node
 * koffi, ...) that cannot fill a wh_hub_options struct. Keys are the camelCase names of the
 * struct's members; every problem (unknown key, wrong type, out of range) is one detail of a
 * single WH_EINVAL, and nothing is created or freed on error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hub_impl.h"
#include "webhooks/transport.h"
#include "alloc.h"
#include "error.h"
#include "problems.h"
#include "json.h"
#include "compiler.h"

typedef enum opt_kind {
    K_SIZE,
    K_U32,
    K_TIME,
    K_PERCENT,
    K_BOOL,
    K_STRING,
    K_CIDRS,
    K_SCHEDULE
} opt_kind;

/* Arrays made for the options struct; the hub copies them, so they are freed after
 * wh_hub_new. */
typedef struct scratch {
    const char **cidrs; /* point into the parsed document */
    uint32_t *retry;
} scratch;

typedef struct opt_field {
    const char *key;
    opt_kind kind;
    size_t offset; /* into wh_hub_options; unused for K_CIDRS */
} opt_field;

#define F(key, kind, member)                                                                       \
    {                                                                                              \
        key, kind, offsetof(wh_hub_options, member)                                                \
    }

static const opt_field FIELDS[] = {
    F("maxInFlight", K_SIZE, max_in_flight),
    F("maxInFlightPerSubscription", K_SIZE, max_in_flight_per_subscription),
    F("connectTimeoutMs", K_U32, connect_timeout_ms),
    F("totalTimeoutMs", K_U32, total_timeout_ms),
    F("maxResponseBytes", K_SIZE, max_response_bytes),
    F("maxBodyBytes", K_SIZE, max_body_bytes),
    F("retryAfterCapS", K_U32, retry_after_cap_s),
    F("disableAfterFailures", K_U32, disable_after_failures),
    F("disableAfterMs", K_TIME, disable_after_ms),
    F("jitterPercent", K_PERCENT, jitter_percent),
    F("userAgent", K_STRING, user_agent),
    F("allowCidrs", K_CIDRS, allow_cidrs),
    F("requireHttps", K_BOOL, require_https),
    F("leaseMs", K_U32, lease_ms),
    F("sharedQueue", K_BOOL, shared_queue),
    F("defaultRetrySchedule", K_SCHEDULE, default_retry_schedule),
    F("defaultRetryOff", K_BOOL, default_retry_off),
};

/* Options of the built-in transport: given, they make wh_hub_new_json create it itself. */
typedef struct transport_opts {
    bool wanted;
    const char *ca_file;
    size_t max_idle;
} transport_opts;

/* A whole number in [0, max]; cJSON keeps numbers as doubles, exact up to 2^53. */
static bool whole(const cJSON *v, double max, double *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    /* The range check also refuses NaN and infinities; no libm, so static users need no -lm. */
    if (!(d >= 0 && d <= max) || d != (double)(uint64_t)d) return false;
    *out = d;
    return true;
}

static void set_number(wh_hub_options *o, const opt_field *f, const cJSON *v, whi_problems *p)
{
    static const double MAX_EXACT = 9007199254740992.0; /* 2^53 */
    double max = f->kind == K_U32 ? 4294967295.0 : f->kind == K_PERCENT ? 100.0 : MAX_EXACT;
    double d;
    if (!whole(v, max, &d)) {
        whi_problem(p, "%s: must be a whole number from 0 to %.0f", f->key, max);
        return;
    }
    char *at = (char *)o + f->offset;
    if (f->kind == K_SIZE)
        *(size_t *)at = (size_t)d;
    else if (f->kind == K_U32)
        *(uint32_t *)at = (uint32_t)d;
    else if (f->kind == K_TIME)
        *(wh_time_ms *)at = (wh_time_ms)d;
    else
        *(int *)at = (int)d;
}

/* allowCidrs: an array of strings; the texts stay in the parsed document until the hub copied
 * them. */
static void set_cidrs(wh_hub_options *o, const cJSON *v, const char ***list, whi_problems *p)
{
    if (!cJSON_IsArray(v)) {
        whi_problem(p, "allowCidrs: must be an array of strings");
        return;
    }
    whi_free(*list); /* a key given twice: the last one counts */
    *list = NULL;
    o->allow_cidr_count = 0;
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    if (!n) return;
    if (!(*list = whi_calloc(n, sizeof(**list)))) {
        whi_problem(p, "allowCidrs: out of memory");
        return;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        if (!cJSON_IsString(item)) whi_problem(p, "allowCidrs[%zu]: must be a string", i);
        (*list)[i++] = item->valuestring;
    }
    o->allow_cidrs = *list;
    o->allow_cidr_count = n;
}

/* defaultRetrySchedule: delays in seconds (the hub checks their count and range). */
static void set_schedule(wh_hub_options *o, const cJSON *v, uint32_t **list, whi_problems *p)
{
    if (!cJSON_IsArray(v)) {
        whi_problem(p, "defaultRetrySchedule: must be an array of delays in seconds");
        return;
    }
    whi_free(*list);
    *list = NULL;
    o->default_retry_count = 0;
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    if (!n) return;
    if (!(*list = whi_calloc(n, sizeof(**list)))) {
        whi_problem(p, "defaultRetrySchedule: out of memory");
        return;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        double d;
        if (whole(item, 4294967295.0, &d))
            (*list)[i] = (uint32_t)d;
        else
            whi_problem(p, "defaultRetrySchedule[%zu]: must be a whole number of seconds", i);
        i++;
    }
    o->default_retry_schedule = *list;
    o->default_retry_count = n;
}

static void set_field(wh_hub_options *o, const opt_field *f, const cJSON *v, scratch *sc,
                      whi_problems *p)
{
    char *at = (char *)o + f->offset;
    switch (f->kind) {
    case K_BOOL:
        if (cJSON_IsBool(v))
            *(int *)at = cJSON_IsTrue(v);
        else
            whi_problem(p, "%s: must be true or false", f->key);
        break;
    case K_STRING:
        if (cJSON_IsString(v) || cJSON_IsNull(v))
            *(const char **)at = cJSON_IsString(v) ? v->valuestring : NULL;
        else
            whi_problem(p, "%s: must be a string or null", f->key);
        break;
    case K_CIDRS:
        set_cidrs(o, v, &sc->cidrs, p);
        break;
    case K_SCHEDULE:
        set_schedule(o, v, &sc->retry, p);
        break;
    default:
        set_number(o, f, v, p);
    }
}

static void set_transport(transport_opts *t, const cJSON *item, whi_problems *p)
{
    double d;
    t->wanted = true;
    if (strcmp(item->string, "caFile") == 0) {
        if (cJSON_IsString(item) && item->valuestring[0])
            t->ca_file = item->valuestring;
        else if (!cJSON_IsNull(item))
            whi_problem(p, "caFile: must be a non-empty string (a PEM file) or null");
    } else if (whole(item, 1000000, &d)) {
        t->max_idle = (size_t)d;
    } else {
        whi_problem(p, "maxIdleConnections: must be a whole number from 0 to 1000000");
    }
}

static void read_options(const cJSON *root, wh_hub_options *o, transport_opts *t, scratch *sc,
                         whi_problems *p)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        const opt_field *f = NULL;
        for (size_t i = 0; i < WHI_ARRAY_LEN(FIELDS) && !f; i++)
            if (strcmp(FIELDS[i].key, item->string) == 0) f = &FIELDS[i];
        if (f)
            set_field(o, f, item, sc, p);
        else if (!strcmp(item->string, "caFile") || !strcmp(item->string, "maxIdleConnections"))
            set_transport(t, item, p);
        else
            whi_problem(p, "%s: unknown option", item->string);
    }
}

static int make_transport(const wh_hub_options *o, const transport_opts *t, wh_transport **out)
{
    *out = NULL;
    if (!t->wanted) return WH_OK;
    wh_curl_options co = WH_CURL_OPTIONS_INIT;
    co.ca_file = t->ca_file;
    if (t->max_idle) co.max_idle_connections = t->max_idle;
    if (o->connect_timeout_ms) co.connect_timeout_ms = o->connect_timeout_ms;
    if (o->total_timeout_ms) co.total_timeout_ms = o->total_timeout_ms;
    return wh_transport_curl_new(out, &co);
}

static int parse_options(const char *json, cJSON **root, wh_hub_options *o, transport_opts *t,
                         scratch *sc)
{
    *root = NULL;
    if (!json || !json[0]) return WH_OK;
    int rc = whi_json_parse(json, strlen(json), 0, root);
    if (rc != WH_OK) return rc;
    if (!cJSON_IsObject(*root))
        return whi_error(WH_EINVAL, "hub options: the JSON document must be an object");
    whi_problems p = {0};
    read_options(*root, o, t, sc, &p);
    if (!p.count) return WH_OK;
    /* The message names the first problem, so a binding that shows only the message still
     * says which key is wrong; the details list them all. */
    char msg[320];
    snprintf(msg, sizeof(msg), "hub options: %s%s", p.list.n ? p.list.v[0] : "out of memory",
             p.count > 1 ? " (and more: see the details)" : "");
    return whi_problems_fail(&p, WH_EINVAL, msg);
}

int wh_hub_new_json(wh_hub **out, wh_store *store, int own_store, const char *options_json)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    wh_hub_options o = WH_HUB_OPTIONS_INIT;
    transport_opts t = {false, NULL, 0};
    scratch sc = {NULL, NULL};
    cJSON *root;
    wh_transport *tr = NULL;
    int rc = parse_options(options_json, &root, &o, &t, &sc);
    if (rc == WH_OK) rc = make_transport(&o, &t, &tr);
    if (rc == WH_OK) {
        /* Ownership passes to the hub only once it exists, so that on any error the caller
         * still owns its store (wh_hub_new alone frees an owned store on some errors only). */
        o.store = store;
        o.transport = tr;
        rc = wh_hub_new(out, &o);
    }
    if (rc == WH_OK) {
        (*out)->own_store = (*out)->own_store || own_store;
        (*out)->own_transport = true;
    } else {
        wh_transport_free(tr);
    }
    whi_free(sc.cidrs);
    whi_free(sc.retry);
    cJSON_Delete(root);
    return rc;
}
