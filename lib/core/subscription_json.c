/*
 * Subscriptions to and from JSON. Input is applied to a copy and swapped in only when every field
 * is valid, so a failed parse or patch never changes an existing subscription. Field names are
 * matched case-insensitively and the seeds' own names are accepted as aliases (README).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "subscription_impl.h"
#include "filter_impl.h"
#include "alloc.h"
#include "error.h"
#include "rfc3339.h"
#include "strvec.h"
#include "problems.h"
#include "json.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct apply_ctx {
    wh_subscription *sub;
    whi_problems problems;
    bool patch;
    bool secrets_given;
} apply_ctx;

typedef int (*str_setter)(wh_subscription *, const char *);

/* Apply a string-or-null member with setter; nullable says whether null clears it. */
static void apply_string(apply_ctx *c, const cJSON *item, const char *field, str_setter set,
                         bool nullable)
{
    if (!item) return;
    if (cJSON_IsNull(item) && nullable) {
        set(c->sub, NULL);
        return;
    }
    if (!cJSON_IsString(item)) {
        whi_problem(&c->problems, "%s must be a string%s", field, nullable ? " or null" : "");
        return;
    }
    if (set(c->sub, item->valuestring) != WH_OK) whi_problem_last(&c->problems);
}

static void apply_id(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    char num[32];
    const char *id = NULL;
    bool numeric = false;
    if (cJSON_IsString(item))
        id = item->valuestring;
    else if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble < 9.0e15 &&
             item->valuedouble == (double)(long long)item->valuedouble) {
        snprintf(num, sizeof(num), "%lld", (long long)item->valuedouble);
        id = num;
        numeric = true;
    }
    if (!id) {
        whi_problem(&c->problems, "id must be a string or a non-negative integer");
        return;
    }
    if (c->patch && strcmp(id, c->sub->id) != 0) {
        whi_problem(&c->problems, "id cannot be changed");
        return;
    }
    if (wh_subscription_set_id(c->sub, id) != WH_OK)
        whi_problem_last(&c->problems);
    else
        c->sub->id_numeric = numeric;
}

/* owner ids may be strings or integers (seed 002 platform_account_id). */
static void apply_owner(apply_ctx *c, const cJSON *item)
{
    char num[32];
    if (item && cJSON_IsNumber(item)) {
        snprintf(num, sizeof(num), "%.0f", item->valuedouble);
        if (wh_subscription_set_owner(c->sub, num) != WH_OK) whi_problem_last(&c->problems);
        return;
    }
    apply_string(c, item, "ownerId", wh_subscription_set_owner, true);
}

static void apply_enum(apply_ctx *c, const cJSON *item, const char *field,
                       int (*apply)(apply_ctx *, const char *))
{
    if (!item) return;
    if (!cJSON_IsString(item)) {
        whi_problem(&c->problems, "%s must be a string", field);
        return;
    }
    if (apply(c, item->valuestring) != WH_OK) whi_problem_last(&c->problems);
}

static int apply_method(apply_ctx *c, const char *v)
{
    wh_method m;
    return wh_method_parse(v, &m) == WH_OK ? wh_subscription_set_method(c->sub, m) : WH_EINVAL;
}

static int apply_status_name(apply_ctx *c, const char *v)
{
    wh_status s;
    return wh_status_parse(v, &s) == WH_OK ? wh_subscription_set_status(c->sub, s) : WH_EINVAL;
}

static int apply_scheme(apply_ctx *c, const char *v)
{
    wh_scheme s;
    return wh_scheme_parse(v, &s) == WH_OK ? wh_subscription_set_scheme(c->sub, s) : WH_EINVAL;
}

static void apply_status(apply_ctx *c, const cJSON *root)
{
    const cJSON *status = whi_json_field(root, NAMES("status"));
    if (status) {
        apply_enum(c, status, "status", apply_status_name);
        return;
    }
    /* seed 001 "enabled" and seed 004 "active" are booleans */
    const cJSON *flag = whi_json_field(root, NAMES("enabled", "active"));
    if (!flag) return;
    if (!cJSON_IsBool(flag))
        whi_problem(&c->problems, "enabled must be true or false");
    else
        wh_subscription_set_status(c->sub,
                                   cJSON_IsTrue(flag) ? WH_STATUS_ACTIVE : WH_STATUS_DISABLED);
}

/* One list value: a string, or (key != NULL) an object whose member key holds it (seed 000's
 * events {"custom_id"} and products {"id"}). */
static const char *list_value(const cJSON *v, const char *key)
{
    if (cJSON_IsString(v)) return v->valuestring;
    if (key && cJSON_IsObject(v)) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(v, key);
        if (cJSON_IsString(k)) return k->valuestring;
    }
    return NULL;
}

static void add_list_value(apply_ctx *c, wh_sub_list which, const char *value)
{
    if (wh_subscription_list_add(c->sub, which, value) != WH_OK) whi_problem_last(&c->problems);
}

/* Split "create,cancel" (seed 003 Actions) on commas, trimming spaces. */
static void add_comma_list(apply_ctx *c, wh_sub_list which, const char *s)
{
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *a = s, *b = s + len;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        char *item = whi_strndup(a, (size_t)(b - a));
        if (!item) {
            whi_problem(&c->problems, "out of memory");
            return;
        }
        add_list_value(c, which, item);
        whi_free(item);
        s = end ? end + 1 : s + len;
    }
}

static void apply_list(apply_ctx *c, const cJSON *item, wh_sub_list which, const char *field,
                       const char *object_key, bool allow_csv)
{
    if (!item) return;
    wh_subscription_list_clear(c->sub, which);
    if (cJSON_IsNull(item)) return;
    if (allow_csv && cJSON_IsString(item)) {
        add_comma_list(c, which, item->valuestring);
        return;
    }
    if (!cJSON_IsArray(item)) {
        whi_problem(&c->problems, "%s must be an array of strings", field);
        return;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, item)
    {
        const char *s = list_value(v, object_key);
        if (!s) {
            whi_problem(&c->problems, "%s must hold only strings", field);
            return;
        }
        add_list_value(c, which, s);
    }
}

static void apply_events(apply_ctx *c, const cJSON *root)
{
    apply_list(c, whi_json_field(root, NAMES("events")), WH_LIST_EVENTS, "events", "custom_id",
               false);
    const cJSON *one = whi_json_field(root, NAMES("event_type", "eventType"));
    if (one && cJSON_IsString(one)) {
        wh_subscription_list_clear(c->sub, WH_LIST_EVENTS);
        add_list_value(c, WH_LIST_EVENTS, one->valuestring);
    } else if (one) {
        whi_problem(&c->problems, "event_type must be a string");
    }
}

static void apply_filters(apply_ctx *c, const cJSON *root)
{
    const cJSON *f = whi_json_field(root, NAMES("filters"));
    if (f && !cJSON_IsObject(f) && !cJSON_IsNull(f)) {
        whi_problem(&c->problems, "filters must be an object");
        f = NULL;
    }
    const cJSON *src = f ? f : root; /* seed aliases live at the top level */
    apply_list(c, whi_json_field(src, NAMES("products")), WH_LIST_PRODUCTS, "filters.products",
               "id", false);
    apply_list(c, whi_json_field(src, NAMES("eventIdentifiers", "event_identifiers")),
               WH_LIST_IDENTIFIERS, "filters.eventIdentifiers", NULL, false);
    apply_string(c, whi_json_field(src, NAMES("source")), "filters.source",
                 wh_subscription_set_source, true);
}

/* The payload filter: an object, compiled with its problems reported under "filter". */
static void apply_payload_filter(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    if (cJSON_IsNull(item)) {
        whi_sub_replace_filter(c->sub, NULL);
        return;
    }
    if (!cJSON_IsObject(item)) {
        whi_problem(&c->problems, "filter must be an object or null");
        return;
    }
    char *text = whi_json_print(item);
    wh_filter *f = NULL;
    if (!text || whi_filter_compile(item, text, "filter", &c->problems, &f) != WH_OK)
        whi_problem(&c->problems, "out of memory");
    else if (f)
        whi_sub_replace_filter(c->sub, f);
    whi_free(text);
}

/* Seed 003 sends Headers as a string: "Name: value" lines. */
static void apply_header_lines(apply_ctx *c, const char *text)
{
    char *copy = whi_strdup(text);
    if (!copy) {
        whi_problem(&c->problems, "out of memory");
        return;
    }
    char *save = NULL;
    for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon) {
            whi_problem(&c->problems, "headers: line \"%.40s\" has no ':'", line);
            continue;
        }
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        if (wh_subscription_set_header(c->sub, line, value) != WH_OK)
            whi_problem_last(&c->problems);
    }
    whi_free(copy);
}

static void apply_headers(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    whi_kvvec_clear(&c->sub->headers);
    if (cJSON_IsNull(item)) return;
    if (cJSON_IsString(item)) {
        apply_header_lines(c, item->valuestring);
        return;
    }
    if (!cJSON_IsObject(item)) {
        whi_problem(&c->problems, "headers must be an object of strings");
        return;
    }
    const cJSON *h;
    cJSON_ArrayForEach(h, item)
    {
        if (!cJSON_IsString(h))
            whi_problem(&c->problems, "headers: value of %.64s must be a string", h->string);
        else if (wh_subscription_set_header(c->sub, h->string, h->valuestring) != WH_OK)
            whi_problem_last(&c->problems);
    }
}

static void apply_signature(apply_ctx *c, const cJSON *root)
{
    const cJSON *sig = whi_json_field(root, NAMES("signature"));
    const cJSON *scheme = NULL;
    if (sig && cJSON_IsObject(sig))
        scheme = whi_json_field(sig, NAMES("scheme"));
    else if (sig)
        whi_problem(&c->problems, "signature must be an object");
    if (!scheme) scheme = whi_json_field(root, NAMES("scheme"));
    apply_enum(c, scheme, "signature.scheme", apply_scheme);
}

static void add_secret(apply_ctx *c, const cJSON *v, const char *field, bool expiring)
{
    const cJSON *value = v, *exp = NULL;
    if (cJSON_IsObject(v)) {
        value = whi_json_field(v, NAMES("secret", "value"));
        exp = whi_json_field(v, NAMES("expiresAt"));
    }
    wh_time_ms expires = 0;
    if (!cJSON_IsString(value)) {
        whi_problem(&c->problems, "%s must hold strings or {\"secret\",\"expiresAt\"} objects",
                    field);
        return;
    }
    if (exp && !cJSON_IsNull(exp) &&
        (!cJSON_IsString(exp) || whi_rfc3339_parse(exp->valuestring, &expires, NULL) != WH_OK)) {
        whi_problem(&c->problems, "%s: expiresAt must be an RFC 3339 date-time", field);
        return;
    }
    if (expiring && expires == 0) {
        whi_problem(&c->problems, "%s: expiresAt is required", field);
        return;
    }
    /* Secrets come newest first; appending keeps that order. */
    if (c->sub->nsecrets >= WH_MAX_SECRETS) {
        whi_problem(&c->problems, "secrets: at most %d per subscription", WH_MAX_SECRETS);
        return;
    }
    if (wh_secret_check_scheme(c->sub->scheme, value->valuestring) != WH_OK) {
        whi_problem(&c->problems, "%s: %s", field, wh_error_last()->message);
        return;
    }
    char *copy = whi_strdup(value->valuestring);
    if (!copy) {
        whi_problem(&c->problems, "out of memory");
        return;
    }
    if (whi_sub_insert_secret(c->sub, copy, expires, false) != WH_OK)
        whi_problem(&c->problems, "out of memory");
}

static void apply_secrets(apply_ctx *c, const cJSON *root)
{
    const cJSON *list = whi_json_field(root, NAMES("secrets"));
    const cJSON *prev = whi_json_field(root, NAMES("previousSecrets"));
    const cJSON *one = whi_json_field(root, NAMES("secret"));
    if (!list && !prev && !one) return;
    c->secrets_given = true;
    wh_subscription_clear_secrets(c->sub);
    if (one) add_secret(c, one, "secret", false);
    const cJSON *v;
    if (list && !cJSON_IsArray(list))
        whi_problem(&c->problems, "secrets must be an array");
    else if (list)
        cJSON_ArrayForEach(v, list) add_secret(c, v, "secrets", false);
    if (prev && !cJSON_IsArray(prev))
        whi_problem(&c->problems, "previousSecrets must be an array");
    else if (prev)
        cJSON_ArrayForEach(v, prev) add_secret(c, v, "previousSecrets", true);
}

static void apply_retry_schedule(apply_ctx *c, const cJSON *sched)
{
    uint32_t delays[WH_MAX_RETRY_STEPS];
    size_t n = 0;
    const cJSON *v;
    if (!cJSON_IsArray(sched) || cJSON_GetArraySize(sched) > WH_MAX_RETRY_STEPS) {
        whi_problem(&c->problems, "retry.schedule must be an array of at most 32 delays");
        return;
    }
    cJSON_ArrayForEach(v, sched)
    {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > WH_MAX_RETRY_DELAY_S ||
            v->valuedouble != (double)(uint32_t)v->valuedouble) {
            whi_problem(&c->problems, "retry.schedule delays must be whole seconds 0..604800");
            return;
        }
        delays[n++] = (uint32_t)v->valuedouble;
    }
    wh_subscription_set_retry_schedule(c->sub, delays, n);
}

static void apply_retry(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    if (cJSON_IsBool(item)) { /* seed 003 "Retry": true/false */
        wh_subscription_set_retry_enabled(c->sub, cJSON_IsTrue(item));
        return;
    }
    if (!cJSON_IsObject(item)) {
        whi_problem(&c->problems, "retry must be an object or a boolean");
        return;
    }
    const cJSON *en = whi_json_field(item, NAMES("enabled"));
    if (en && !cJSON_IsBool(en))
        whi_problem(&c->problems, "retry.enabled must be true or false");
    else if (en)
        wh_subscription_set_retry_enabled(c->sub, cJSON_IsTrue(en));
    const cJSON *preset = whi_json_field(item, NAMES("preset"));
    if (preset && (!cJSON_IsString(preset) ||
                   wh_subscription_set_retry_preset(c->sub, preset->valuestring) != WH_OK))
        whi_problem(&c->problems, "retry.preset must be standard, none, commerce or cakto");
    const cJSON *sched = whi_json_field(item, NAMES("schedule"));
    if (sched) apply_retry_schedule(c, sched);
    if (en && cJSON_IsBool(en)) /* an explicit flag wins over the preset's */
        wh_subscription_set_retry_enabled(c->sub, cJSON_IsTrue(en));
}

/* A whole number of milliseconds 0..600000 (null: 0); anything else is a problem. */
static uint32_t timeout_value(apply_ctx *c, const cJSON *v, const char *field)
{
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 600000 ||
        v->valuedouble != (double)(uint32_t)v->valuedouble) {
        whi_problem(&c->problems, "%s must be whole milliseconds 0..600000", field);
        return 0;
    }
    return (uint32_t)v->valuedouble;
}

static void apply_timeouts(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    if (cJSON_IsNull(item)) {
        wh_subscription_set_timeouts(c->sub, 0, 0);
        return;
    }
    if (!cJSON_IsObject(item)) {
        whi_problem(&c->problems, "timeouts must be an object");
        return;
    }
    uint32_t conn =
        timeout_value(c, whi_json_field(item, NAMES("connectMs")), "timeouts.connectMs");
    uint32_t total = timeout_value(c, whi_json_field(item, NAMES("totalMs")), "timeouts.totalMs");
    wh_subscription_set_timeouts(c->sub, conn, total);
}

/* A whole number in lo..hi from obj's field, or 0 (absent or null) with a problem if bad. */
static uint32_t count_field(apply_ctx *c, const cJSON *obj, const char *key, uint32_t lo,
                            uint32_t hi, const char *field)
{
    const cJSON *v = whi_json_field(obj, NAMES(key));
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != (double)(uint32_t)v->valuedouble) {
        whi_problem(&c->problems, "%s must be a whole number %u..%u", field, lo, hi);
        return 0;
    }
    return (uint32_t)v->valuedouble;
}

static void apply_rate_limit(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    if (cJSON_IsNull(item)) {
        wh_subscription_set_rate_limit(c->sub, 0, 0, 0);
        return;
    }
    if (!cJSON_IsObject(item)) {
        whi_problem(&c->problems, "rateLimit must be an object or null");
        return;
    }
    size_t before = c->problems.count;
    uint32_t n = count_field(c, item, "requests", 1, WH_MAX_RATE_REQUESTS, "rateLimit.requests");
    uint32_t per = count_field(c, item, "periodMs", 1, 86400000, "rateLimit.periodMs");
    uint32_t burst = count_field(c, item, "burst", 0, WH_MAX_RATE_REQUESTS, "rateLimit.burst");
    if (c->problems.count == before && (!n || !per))
        whi_problem(&c->problems, "rateLimit needs requests and periodMs");
    if (c->problems.count == before) wh_subscription_set_rate_limit(c->sub, n, per, burst);
}

static void apply_metadata(apply_ctx *c, const cJSON *item)
{
    if (!item) return;
    if (cJSON_IsNull(item)) {
        wh_subscription_set_metadata(c->sub, "{}", 2);
        return;
    }
    if (!cJSON_IsObject(item)) {
        whi_problem(&c->problems, "metadata must be a JSON object");
        return;
    }
    char *text = whi_json_print(item);
    if (!text || wh_subscription_set_metadata(c->sub, text, strlen(text)) != WH_OK)
        whi_problem_last(&c->problems);
    whi_free(text);
}

/* A time member: RFC 3339 string or null (0). */
static void apply_time(apply_ctx *c, const cJSON *item, const char *field, wh_time_ms *at,
                       int *offset)
{
    if (!item) return;
    if (c->patch) {
        whi_problem(&c->problems, "%s is read-only", field);
        return;
    }
    int off = 0;
    if (cJSON_IsNull(item))
        *at = 0;
    else if (!cJSON_IsString(item) || whi_rfc3339_parse(item->valuestring, at, &off) != WH_OK)
        whi_problem(&c->problems, "%s must be an RFC 3339 date-time", field);
    if (offset) *offset = off;
}

static void apply_stats(apply_ctx *c, const cJSON *root)
{
    wh_subscription *s = c->sub;
    apply_time(c, whi_json_field(root, NAMES("createdAt", "created_at")), "createdAt",
               &s->created_at, &s->created_off);
    apply_time(c, whi_json_field(root, NAMES("updatedAt", "updated_at")), "updatedAt",
               &s->updated_at, &s->updated_off);
    apply_time(c, whi_json_field(root, NAMES("lastDeliveryAt")), "lastDeliveryAt",
               &s->last_delivery_at, NULL);
    apply_time(c, whi_json_field(root, NAMES("failingSince")), "failingSince", &s->failing_since,
               NULL);
    const cJSON *st = whi_json_field(root, NAMES("lastDeliveryStatus"));
    const cJSON *fc = whi_json_field(root, NAMES("failureCount"));
    if ((st || fc) && c->patch) {
        whi_problem(&c->problems, "delivery stats are read-only");
        return;
    }
    if (st && !cJSON_IsNull(st) &&
        (!cJSON_IsNumber(st) || st->valuedouble < -1000 || st->valuedouble > 999))
        whi_problem(&c->problems, "lastDeliveryStatus must be an HTTP status or null");
    else if (st)
        s->last_status = cJSON_IsNull(st) ? 0 : (int)st->valuedouble;
    if (fc && (!cJSON_IsNumber(fc) || fc->valuedouble < 0 || fc->valuedouble > 4.0e9))
        whi_problem(&c->problems, "failureCount must be a non-negative integer");
    else if (fc)
        s->failure_count = (uint32_t)fc->valuedouble;
}

static void apply_all(apply_ctx *c, const cJSON *root)
{
    apply_id(c, whi_json_field(root, NAMES("id", "uuid")));
    apply_owner(c, whi_json_field(root, NAMES("ownerId", "userId", "platform_account_id")));
    apply_string(c, whi_json_field(root, NAMES("name")), "name", wh_subscription_set_name, true);
    apply_string(c, whi_json_field(root, NAMES("description")), "description",
                 wh_subscription_set_description, true);
    apply_string(c, whi_json_field(root, NAMES("url", "serverUrl")), "url", wh_subscription_set_url,
                 true);
    apply_enum(c, whi_json_field(root, NAMES("method", "http_method")), "method", apply_method);
    apply_status(c, root);
    apply_string(c, whi_json_field(root, NAMES("disabledReason")), "disabledReason",
                 wh_subscription_set_disabled_reason, true);
    apply_events(c, root);
    apply_string(c, whi_json_field(root, NAMES("entity", "entity_type")), "entity",
                 wh_subscription_set_entity, true);
    apply_list(c, whi_json_field(root, NAMES("actions")), WH_LIST_ACTIONS, "actions", NULL, true);
    apply_filters(c, root);
    apply_payload_filter(c, whi_json_field(root, NAMES("filter")));
    apply_headers(c, whi_json_field(root, NAMES("headers")));
    apply_string(c, whi_json_field(root, NAMES("body")), "body", wh_subscription_set_body, true);
    apply_list(c, whi_json_field(root, NAMES("includeRelations", "include_relations")),
               WH_LIST_RELATIONS, "includeRelations", NULL, false);
    apply_signature(c, root);
    apply_secrets(c, root);
    apply_retry(c, whi_json_field(root, NAMES("retry")));
    apply_timeouts(c, whi_json_field(root, NAMES("timeouts")));
    apply_rate_limit(c, whi_json_field(root, NAMES("rateLimit")));
    apply_metadata(c, whi_json_field(root, NAMES("metadata", "fields")));
    apply_stats(c, root);
}

/* Parse json and apply it to a working copy c->sub; WH_OK leaves the copy ready to keep. */
static int apply_json(apply_ctx *c, const char *json, size_t len)
{
    cJSON *root;
    int rc = whi_json_parse(json, len, 0, &root);
    if (rc != WH_OK) return rc;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return whi_error(WH_EINVAL, "a subscription must be a JSON object");
    }
    apply_all(c, root);
    cJSON_Delete(root);
    if (c->problems.count)
        return whi_problems_fail(&c->problems, WH_EINVAL, "invalid subscription");
    return WH_OK;
}

int wh_subscription_from_json(wh_subscription **out, const char *json, size_t len)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    apply_ctx c = {0};
    if (!(c.sub = whi_calloc(1, sizeof(*c.sub)))) return whi_error_oom();
    int rc = whi_subscription_init(c.sub, false);
    if (rc == WH_OK) rc = apply_json(&c, json, len);
    if (rc == WH_OK && !c.secrets_given && c.sub->scheme != WH_SCHEME_NONE) {
        char *secret;
        if ((rc = wh_secret_generate(&secret)) == WH_OK)
            rc = whi_sub_insert_secret(c.sub, secret, 0, true);
    }
    if (rc == WH_OK) rc = wh_subscription_validate(c.sub);
    if (rc != WH_OK) {
        wh_subscription_free(c.sub);
        return rc;
    }
    *out = c.sub;
    return WH_OK;
}

int wh_subscription_patch_json(wh_subscription *sub, const char *json, size_t len)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    wh_subscription work = {0};
    int rc = whi_subscription_copy(&work, sub);
    if (rc != WH_OK) return rc;
    apply_ctx c = {.sub = &work, .patch = true};
    rc = apply_json(&c, json, len);
    if (rc == WH_OK) rc = wh_subscription_validate(&work);
    if (rc != WH_OK) {
        whi_subscription_clear(&work);
        return rc;
    }
    work.updated_at = whi_now_ms();
    work.updated_off = 0;
    whi_subscription_clear(sub);
    *sub = work;
    return WH_OK;
}

/* ---- output ---- */

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *time_or_null(wh_time_ms at, int offset)
{
    char buf[WHI_RFC3339_MAX];
    if (!at) return cJSON_CreateNull();
    whi_rfc3339_format(at, offset, buf);
    return cJSON_CreateString(buf);
}

/* A JSON array of the strings; NULL when out of memory. */
static cJSON *string_array(const whi_strvec *sv)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sv->n; i++) {
        cJSON *s = cJSON_CreateString(sv->v[i]);
        if (!s || !cJSON_AddItemToArray(a, s)) {
            cJSON_Delete(s);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static bool add_secrets(cJSON *root, const wh_subscription *sub)
{
    cJSON *cur = cJSON_AddArrayToObject(root, "secrets");
    cJSON *prev = cJSON_AddArrayToObject(root, "previousSecrets");
    bool ok = cur && prev;
    for (size_t i = 0; ok && i < sub->nsecrets; i++) {
        const whi_secret *s = &sub->secrets[i];
        cJSON *item = s->expires_at ? cJSON_CreateObject() : cJSON_CreateString(s->value);
        if (!item || !cJSON_AddItemToArray(s->expires_at ? prev : cur, item)) {
            cJSON_Delete(item);
            return false;
        }
        if (s->expires_at)
            ok = cJSON_AddStringToObject(item, "secret", s->value) &&
                 cJSON_AddItemToObject(item, "expiresAt", time_or_null(s->expires_at, 0));
    }
    return ok;
}

/* Add v to o under k; false when v is NULL (out of memory) or adding failed. */
static bool add(cJSON *o, const char *k, cJSON *v)
{
    if (!o || !v || !cJSON_AddItemToObject(o, k, v)) {
        cJSON_Delete(v);
        return false;
    }
    return true;
}

/* Build the JSON tree; NULL when any allocation failed, so output is never silently partial. */
static cJSON *build_json(const wh_subscription *sub, unsigned int flags)
{
    cJSON *r = cJSON_CreateObject();
    bool ok = r != NULL;
    ok &= add(r, "id",
              sub->id_numeric ? cJSON_CreateNumber(strtod(sub->id, NULL))
                              : cJSON_CreateString(sub->id));
    ok &= add(r, "ownerId", str_or_null(sub->owner));
    ok &= add(r, "name", str_or_null(sub->name));
    ok &= add(r, "description", str_or_null(sub->description));
    ok &= add(r, "url", str_or_null(sub->url));
    ok &= add(r, "method", cJSON_CreateString(wh_method_name(sub->method)));
    ok &= add(r, "status", cJSON_CreateString(wh_status_name(sub->status)));
    ok &= add(r, "disabledReason", str_or_null(sub->disabled_reason));
    ok &= add(r, "events", string_array(&sub->lists[WH_LIST_EVENTS]));
    ok &= add(r, "entity", str_or_null(sub->entity));
    ok &= add(r, "actions", string_array(&sub->lists[WH_LIST_ACTIONS]));
    cJSON *f = cJSON_AddObjectToObject(r, "filters");
    ok &= f != NULL;
    ok &= add(f, "products", string_array(&sub->lists[WH_LIST_PRODUCTS]));
    ok &= add(f, "eventIdentifiers", string_array(&sub->lists[WH_LIST_IDENTIFIERS]));
    ok &= add(f, "source", str_or_null(sub->source));
    ok &= add(r, "filter",
              sub->filter ? cJSON_CreateRaw(wh_filter_json(sub->filter)) : cJSON_CreateNull());
    cJSON *h = cJSON_AddObjectToObject(r, "headers");
    ok &= h != NULL;
    for (size_t i = 0; ok && i < sub->headers.n; i++)
        ok &= add(h, sub->headers.v[i].name, cJSON_CreateString(sub->headers.v[i].value));
    ok &= add(r, "body", str_or_null(sub->body));
    ok &= add(r, "includeRelations", string_array(&sub->lists[WH_LIST_RELATIONS]));
    cJSON *sig = cJSON_AddObjectToObject(r, "signature");
    ok &= sig != NULL;
    ok &= add(sig, "scheme", cJSON_CreateString(wh_scheme_name(sub->scheme)));
    if (flags & WH_JSON_SECRETS) ok &= add_secrets(r, sub);
    cJSON *retry = cJSON_AddObjectToObject(r, "retry");
    ok &= retry != NULL;
    ok &= add(retry, "enabled", cJSON_CreateBool(sub->retry_enabled));
    cJSON *sched = cJSON_AddArrayToObject(retry, "schedule");
    ok &= sched != NULL;
    for (size_t i = 0; ok && i < sub->nretry; i++)
        ok &= cJSON_AddItemToArray(sched, cJSON_CreateNumber(sub->retry[i]));
    cJSON *to = cJSON_AddObjectToObject(r, "timeouts");
    ok &= to != NULL;
    ok &= add(to, "connectMs", cJSON_CreateNumber(sub->connect_timeout_ms));
    ok &= add(to, "totalMs", cJSON_CreateNumber(sub->total_timeout_ms));
    if (sub->rate_requests) { /* only when set: the shape stays as it was for the others */
        cJSON *rl = cJSON_AddObjectToObject(r, "rateLimit");
        ok &= rl != NULL;
        ok &= add(rl, "requests", cJSON_CreateNumber(sub->rate_requests));
        ok &= add(rl, "periodMs", cJSON_CreateNumber(sub->rate_period_ms));
        ok &= add(rl, "burst", cJSON_CreateNumber(sub->rate_burst));
    }
    ok &= add(r, "metadata", cJSON_Parse(wh_subscription_metadata(sub)));
    ok &= add(r, "createdAt", time_or_null(sub->created_at, sub->created_off));
    ok &= add(r, "updatedAt", time_or_null(sub->updated_at, sub->updated_off));
    ok &= add(r, "lastDeliveryAt", time_or_null(sub->last_delivery_at, 0));
    ok &= add(r, "lastDeliveryStatus",
              sub->last_status ? cJSON_CreateNumber(sub->last_status) : cJSON_CreateNull());
    ok &= add(r, "failureCount", cJSON_CreateNumber(sub->failure_count));
    ok &= add(r, "failingSince", time_or_null(sub->failing_since, 0));
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

int wh_subscription_to_json(const wh_subscription *sub, unsigned int flags, char **out, size_t *len)
{
    if (!sub || !out) return whi_error(WH_EINVAL, "sub and out must not be NULL");
    *out = NULL;
    cJSON *root = build_json(sub, flags);
    char *text = root ? whi_json_print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return whi_error_oom();
    *out = text;
    if (len) *len = strlen(text);
    return WH_OK;
}
