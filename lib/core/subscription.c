/* wh_subscription: lifecycle, accessors and per-field validation. JSON is in subscription_json.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "subscription_impl.h"
#include "retry.h"
#include "filter_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "random.h"
#include "uuid.h"
#include "rfc3339.h"
#include "encode.h"
#include "text.h"
#include "strvec.h"
#include "json.h"
#include "compiler.h"

const uint32_t whi_default_retry[7] = {5, 300, 1800, 7200, 18000, 36000, 36000};

static const char *const RESERVED_HEADERS[] = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "proxy-connection",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-hub-signature-256",
    "stripe-signature",
    "x-idempotency-key",
    "x-timestamp",
};

static int field_error(const char *field, const char *why)
{
    return whi_error(WH_EINVAL, "%s %s", field, why);
}

/* ---- lifecycle ---- */

int whi_subscription_init(wh_subscription *sub, bool gen_secret)
{
    char uuid[WHI_UUID_LEN + 1];
    int rc = whi_uuid_v4(uuid);
    if (rc != WH_OK) return rc;
    if (!(sub->id = whi_strdup(uuid))) return whi_error_oom();
    sub->method = WH_METHOD_POST;
    sub->status = WH_STATUS_ACTIVE;
    sub->scheme = WH_SCHEME_STANDARD;
    sub->retry_enabled = true;
    if ((rc = wh_subscription_set_retry_schedule(sub, whi_default_retry,
                                                 WHI_ARRAY_LEN(whi_default_retry))) != WH_OK)
        return rc;
    sub->retry_schedule_set = sub->retry_enabled_set = false; /* defaults a hub may replace */
    sub->created_at = sub->updated_at = whi_now_ms();
    if (gen_secret) {
        char *secret;
        if ((rc = wh_secret_generate(&secret)) != WH_OK) return rc;
        return whi_sub_insert_secret(sub, secret, 0, true);
    }
    return WH_OK;
}

int wh_subscription_new(wh_subscription **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    wh_subscription *sub = whi_calloc(1, sizeof(*sub));
    if (!sub) return whi_error_oom();
    int rc = whi_subscription_init(sub, true);
    if (rc != WH_OK) {
        wh_subscription_free(sub);
        return rc;
    }
    *out = sub;
    return WH_OK;
}

static void free_secret(whi_secret *s)
{
    if (s->value) {
        mbedtls_platform_zeroize(s->value, strlen(s->value));
        whi_free(s->value);
    }
    s->value = NULL;
}

void whi_subscription_clear(wh_subscription *sub)
{
    char **strs[] = {&sub->id,   &sub->owner,   &sub->name,   &sub->description,
                     &sub->url,  &sub->entity,  &sub->source, &sub->disabled_reason,
                     &sub->body, &sub->metadata};
    for (size_t i = 0; i < WHI_ARRAY_LEN(strs); i++)
        whi_free(*strs[i]);
    for (size_t i = 0; i < WHI_SUB_LISTS; i++)
        whi_strvec_clear(&sub->lists[i]);
    whi_kvvec_clear(&sub->headers);
    wh_filter_free(sub->filter);
    for (size_t i = 0; i < sub->nsecrets; i++)
        free_secret(&sub->secrets[i]);
    whi_free(sub->secrets);
    whi_free(sub->retry);
    memset(sub, 0, sizeof(*sub));
}

void wh_subscription_free(wh_subscription *sub)
{
    if (!sub) return;
    whi_subscription_clear(sub);
    whi_free(sub);
}

static int dup_field(char **dst, const char *src)
{
    if (src && !(*dst = whi_strdup(src))) return whi_error_oom();
    return WH_OK;
}

int whi_subscription_copy(wh_subscription *dst, const wh_subscription *src)
{
    *dst = *src; /* scalars and arrays of scalars; every pointer is replaced below */
    char **d[] = {&dst->id,     &dst->owner,  &dst->name, &dst->description,     &dst->url,
                  &dst->entity, &dst->source, &dst->body, &dst->disabled_reason, &dst->metadata};
    for (size_t i = 0; i < WHI_ARRAY_LEN(d); i++)
        *d[i] = NULL;
    memset(dst->lists, 0, sizeof(dst->lists));
    memset(&dst->headers, 0, sizeof(dst->headers));
    dst->secrets = NULL;
    dst->nsecrets = 0;
    dst->retry = NULL;
    dst->nretry = 0;
    dst->filter = NULL;
    int rc = whi_filter_clone(src->filter, &dst->filter) | dup_field(&dst->id, src->id) |
             dup_field(&dst->owner, src->owner) | dup_field(&dst->name, src->name) |
             dup_field(&dst->description, src->description) | dup_field(&dst->url, src->url) |
             dup_field(&dst->entity, src->entity) | dup_field(&dst->source, src->source) |
             dup_field(&dst->body, src->body) |
             dup_field(&dst->disabled_reason, src->disabled_reason) |
             dup_field(&dst->metadata, src->metadata);
    for (size_t i = 0; rc == WH_OK && i < WHI_SUB_LISTS; i++)
        rc = whi_strvec_copy(&dst->lists[i], &src->lists[i]);
    if (rc == WH_OK) rc = whi_kvvec_copy(&dst->headers, &src->headers);
    for (size_t i = 0; rc == WH_OK && i < src->nsecrets; i++) {
        char *v = whi_strdup(src->secrets[i].value);
        rc = v ? whi_sub_insert_secret(dst, v, src->secrets[i].expires_at, false) : WH_ENOMEM;
    }
    if (rc == WH_OK) rc = wh_subscription_set_retry_schedule(dst, src->retry, src->nretry);
    dst->retry_schedule_set = src->retry_schedule_set; /* copying is not choosing */
    if (rc != WH_OK) {
        whi_subscription_clear(dst);
        return whi_error_oom();
    }
    return WH_OK;
}

int wh_subscription_clone(wh_subscription **out, const wh_subscription *sub)
{
    if (!out || !sub) return whi_error(WH_EINVAL, "out and sub must not be NULL");
    *out = NULL;
    wh_subscription *c = whi_calloc(1, sizeof(*c));
    if (!c) return whi_error_oom();
    int rc = whi_subscription_copy(c, sub);
    if (rc != WH_OK) {
        whi_free(c);
        return rc;
    }
    *out = c;
    return WH_OK;
}

/* ---- string fields ---- */

/* Validate-then-replace for one optional string field. check may be NULL. */
static int set_str(wh_subscription *sub, char **field, const char *name, const char *value,
                   const char *why)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    if (value && why) return field_error(name, why);
    return whi_str_replace(field, value);
}

const char *wh_subscription_id(const wh_subscription *sub)
{
    return sub ? sub->id : NULL;
}

int wh_subscription_set_id(wh_subscription *sub, const char *id)
{
    if (!id) return field_error("id", "must not be NULL");
    int rc = set_str(sub, sub ? &sub->id : NULL, "id", id, whi_check_id(id));
    if (rc == WH_OK) sub->id_numeric = false;
    return rc;
}

const char *wh_subscription_owner(const wh_subscription *sub)
{
    return sub ? sub->owner : NULL;
}

int wh_subscription_set_owner(wh_subscription *sub, const char *owner)
{
    return set_str(sub, sub ? &sub->owner : NULL, "ownerId", owner,
                   owner ? whi_check_label(owner, WH_MAX_ID_LEN) : NULL);
}

const char *wh_subscription_name(const wh_subscription *sub)
{
    return sub ? sub->name : NULL;
}

int wh_subscription_set_name(wh_subscription *sub, const char *name)
{
    const char *why = name ? whi_check_label(name, WH_MAX_NAME_LEN) : NULL;
    if (why && strcmp(why, "is too long") == 0) why = "must be 1..255 bytes";
    return set_str(sub, sub ? &sub->name : NULL, "name", name, why);
}

const char *wh_subscription_description(const wh_subscription *sub)
{
    return sub ? sub->description : NULL;
}

int wh_subscription_set_description(wh_subscription *sub, const char *d)
{
    return set_str(sub, sub ? &sub->description : NULL, "description", d,
                   d ? whi_check_text(d, WH_MAX_DESCRIPTION_LEN) : NULL);
}

const char *wh_subscription_url(const wh_subscription *sub)
{
    return sub ? sub->url : NULL;
}

int wh_subscription_set_url(wh_subscription *sub, const char *url)
{
    return set_str(sub, sub ? &sub->url : NULL, "url", url, url ? whi_check_url(url) : NULL);
}

const char *wh_subscription_disabled_reason(const wh_subscription *sub)
{
    return sub ? sub->disabled_reason : NULL;
}

int wh_subscription_set_disabled_reason(wh_subscription *sub, const char *r)
{
    return set_str(sub, sub ? &sub->disabled_reason : NULL, "disabledReason", r,
                   r ? whi_check_text(r, 1024) : NULL);
}

const char *wh_subscription_entity(const wh_subscription *sub)
{
    return sub ? sub->entity : NULL;
}

int wh_subscription_set_entity(wh_subscription *sub, const char *e)
{
    return set_str(sub, sub ? &sub->entity : NULL, "entity", e,
                   e ? whi_check_label(e, WH_MAX_ID_LEN) : NULL);
}

const char *wh_subscription_source(const wh_subscription *sub)
{
    return sub ? sub->source : NULL;
}

int wh_subscription_set_source(wh_subscription *sub, const char *s)
{
    return set_str(sub, sub ? &sub->source : NULL, "source", s,
                   s ? whi_check_label(s, WH_MAX_ID_LEN) : NULL);
}

const char *wh_subscription_body(const wh_subscription *sub)
{
    return sub ? sub->body : NULL;
}

int wh_subscription_set_body(wh_subscription *sub, const char *b)
{
    return set_str(sub, sub ? &sub->body : NULL, "body", b,
                   b ? whi_check_text(b, WH_MAX_BODY_TEMPLATE_LEN) : NULL);
}

/* ---- enums ---- */

wh_method wh_subscription_method(const wh_subscription *sub)
{
    return sub ? sub->method : WH_METHOD_POST;
}

int wh_subscription_set_method(wh_subscription *sub, wh_method m)
{
    if (!sub || !wh_method_name(m))
        return field_error("method", "must be POST, PUT, PATCH, GET or DELETE");
    sub->method = m;
    return WH_OK;
}

wh_status wh_subscription_status(const wh_subscription *sub)
{
    return sub ? sub->status : WH_STATUS_DISABLED;
}

int wh_subscription_set_status(wh_subscription *sub, wh_status s)
{
    if (!sub || !wh_status_name(s))
        return field_error("status", "must be active, disabled or waiting_config");
    sub->status = s;
    if (s == WH_STATUS_ACTIVE) whi_str_replace(&sub->disabled_reason, NULL);
    return WH_OK;
}

wh_scheme wh_subscription_scheme(const wh_subscription *sub)
{
    return sub ? sub->scheme : WH_SCHEME_STANDARD;
}

int wh_subscription_set_scheme(wh_subscription *sub, wh_scheme s)
{
    if (!sub || !wh_scheme_name(s))
        return field_error("signature.scheme", "must be standard, github, stripe, body or none");
    sub->scheme = s;
    return WH_OK;
}

/* ---- payload filter ---- */

const char *wh_subscription_filter(const wh_subscription *sub)
{
    return sub ? wh_filter_json(sub->filter) : NULL;
}

static bool json_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_null_text(const char *json, size_t len)
{
    while (len && json_ws(json[len - 1]))
        len--;
    while (len && json_ws(*json))
        json++, len--;
    return len == 4 && memcmp(json, "null", 4) == 0;
}

int whi_sub_replace_filter(wh_subscription *sub, wh_filter *filter)
{
    if (filter && whi_filter_is_empty(filter)) {
        wh_filter_free(filter);
        filter = NULL;
    }
    wh_filter_free(sub->filter);
    sub->filter = filter;
    return WH_OK;
}

int wh_subscription_set_filter(wh_subscription *sub, const char *json, size_t len)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    wh_filter *f = NULL;
    if (json && !is_null_text(json, len)) {
        int rc = wh_filter_new(&f, json, len);
        if (rc != WH_OK) return rc;
    }
    return whi_sub_replace_filter(sub, f);
}

/* ---- lists ---- */

static const char *const LIST_NAMES[WHI_SUB_LISTS] = {
    "events", "actions", "filters.products", "filters.eventIdentifiers", "includeRelations"};

static bool list_ok(const wh_subscription *sub, wh_sub_list which)
{
    return sub && (unsigned)which < WHI_SUB_LISTS;
}

size_t wh_subscription_list_count(const wh_subscription *sub, wh_sub_list which)
{
    return list_ok(sub, which) ? sub->lists[which].n : 0;
}

const char *wh_subscription_list_at(const wh_subscription *sub, wh_sub_list which, size_t i)
{
    return list_ok(sub, which) && i < sub->lists[which].n ? sub->lists[which].v[i] : NULL;
}

int wh_subscription_list_add(wh_subscription *sub, wh_sub_list which, const char *value)
{
    if (!list_ok(sub, which))
        return whi_error(WH_EINVAL, "subscription must not be NULL and the list must exist");
    const char *why = which == WH_LIST_EVENTS ? whi_check_event_type(value, true)
                                              : whi_check_label(value, WH_MAX_ID_LEN);
    if (why) return field_error(LIST_NAMES[which], why);
    whi_strvec *sv = &sub->lists[which];
    if (whi_strvec_contains(sv, value)) return WH_OK;
    if (sv->n >= WH_MAX_LIST_LEN)
        return field_error(LIST_NAMES[which], "holds too many entries (at most 1024)");
    return whi_strvec_push(sv, value);
}

int wh_subscription_list_clear(wh_subscription *sub, wh_sub_list which)
{
    if (!list_ok(sub, which))
        return whi_error(WH_EINVAL, "subscription must not be NULL and the list must exist");
    whi_strvec_clear(&sub->lists[which]);
    return WH_OK;
}

/* ---- headers ---- */

int wh_header_is_reserved(const char *name)
{
    for (size_t i = 0; name && i < WHI_ARRAY_LEN(RESERVED_HEADERS); i++)
        if (whi_strcasecmp(name, RESERVED_HEADERS[i]) == 0) return 1;
    return 0;
}

/* Bytes of the custom headers' names and values. */
static size_t headers_len(const wh_subscription *sub)
{
    size_t n = 0;
    for (size_t i = 0; i < sub->headers.n; i++)
        n += strlen(sub->headers.v[i].name) + strlen(sub->headers.v[i].value);
    return n;
}

int wh_subscription_set_header(wh_subscription *sub, const char *name, const char *value)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    if (!whi_http_token(name) || strlen(name) > 256)
        return whi_error(WH_EINVAL, "headers: \"%.64s\" is not a valid header name",
                         name ? name : "(null)");
    if (wh_header_is_reserved(name))
        return whi_error(WH_EINVAL, "headers: %s is set by the library and cannot be overridden",
                         name);
    if (!value) {
        whi_kvvec_remove(&sub->headers, name, true);
        return WH_OK;
    }
    if (!whi_header_value_ok(value) || strlen(value) > WH_MAX_HEADER_LEN ||
        !whi_utf8_valid(value, strlen(value)))
        return whi_error(WH_EINVAL,
                         "headers: value of %s must be at most 8192 bytes of UTF-8 without CR, "
                         "LF, NUL or control characters",
                         name);
    if (whi_blank(value))
        return whi_error(WH_EINVAL,
                         "headers: value of %s is empty or blank, and a request would carry no "
                         "such header (remove the header instead)",
                         name);
    const char *old = whi_kvvec_get(&sub->headers, name, true);
    if (!old && sub->headers.n >= WH_MAX_HEADERS)
        return whi_error(WH_EINVAL, "headers: at most %d custom headers", WH_MAX_HEADERS);
    size_t total = headers_len(sub) - (old ? strlen(name) + strlen(old) : 0);
    if (total + strlen(name) + strlen(value) > WH_MAX_HEADERS_TOTAL_LEN)
        return whi_error(WH_EINVAL, "headers: at most %d bytes of names and values in all",
                         WH_MAX_HEADERS_TOTAL_LEN);
    return whi_kvvec_set(&sub->headers, name, value, true);
}

size_t wh_subscription_header_count(const wh_subscription *sub)
{
    return sub ? sub->headers.n : 0;
}

const char *wh_subscription_header_name(const wh_subscription *sub, size_t i)
{
    return sub && i < sub->headers.n ? sub->headers.v[i].name : NULL;
}

const char *wh_subscription_header_value(const wh_subscription *sub, size_t i)
{
    return sub && i < sub->headers.n ? sub->headers.v[i].value : NULL;
}

/* ---- secrets ---- */

int wh_secret_check_scheme(wh_scheme scheme, const char *secret)
{
    if (scheme == WH_SCHEME_STANDARD) return wh_secret_check(secret);
    if (!wh_scheme_name(scheme)) return whi_error(WH_EINVAL, "unknown signature scheme %d", scheme);
    const char *why = whi_check_label(secret, WH_MAX_SECRET_LEN);
    if (why) return whi_error(WH_EINVAL, "secret %s", why);
    return WH_OK;
}

int wh_secret_check(const char *secret)
{
    size_t plen = strlen(WH_SECRET_PREFIX);
    if (!secret || strncmp(secret, WH_SECRET_PREFIX, plen) != 0)
        return whi_error(WH_EINVAL, "secret must start with \"whsec_\"");
    const char *b64 = secret + plen;
    size_t n = strlen(b64);
    unsigned char raw[WH_SECRET_MAX_BYTES + 3];
    size_t rawlen = 0;
    if (n > whi_base64_encoded_len(WH_SECRET_MAX_BYTES))
        return whi_error(WH_EINVAL, "secret must encode at most %d bytes", WH_SECRET_MAX_BYTES);
    if (whi_base64_decode(b64, n, raw, &rawlen) != WH_OK)
        return whi_error(WH_EINVAL, "secret must be \"whsec_\" followed by base64");
    mbedtls_platform_zeroize(raw, sizeof(raw));
    if (rawlen < WH_SECRET_MIN_BYTES || rawlen > WH_SECRET_MAX_BYTES)
        return whi_error(WH_EINVAL, "secret must encode %d..%d bytes (it encodes %zu)",
                         WH_SECRET_MIN_BYTES, WH_SECRET_MAX_BYTES, rawlen);
    return WH_OK;
}

int wh_secret_generate(char **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    unsigned char raw[32];
    int rc = whi_random_bytes(raw, sizeof(raw));
    if (rc != WH_OK) return rc;
    size_t plen = strlen(WH_SECRET_PREFIX);
    char *s = whi_malloc(plen + whi_base64_encoded_len(sizeof(raw)) + 1);
    if (!s) {
        mbedtls_platform_zeroize(raw, sizeof(raw));
        return whi_error_oom();
    }
    memcpy(s, WH_SECRET_PREFIX, plen);
    whi_base64_encode(raw, sizeof(raw), s + plen);
    mbedtls_platform_zeroize(raw, sizeof(raw));
    *out = s;
    return WH_OK;
}

size_t wh_subscription_secret_count(const wh_subscription *sub)
{
    return sub ? sub->nsecrets : 0;
}

const char *wh_subscription_secret_at(const wh_subscription *sub, size_t i)
{
    return sub && i < sub->nsecrets ? sub->secrets[i].value : NULL;
}

wh_time_ms wh_subscription_secret_expires_at(const wh_subscription *sub, size_t i)
{
    return sub && i < sub->nsecrets ? sub->secrets[i].expires_at : 0;
}

int wh_subscription_add_secret(wh_subscription *sub, const char *secret, wh_time_ms expires_at)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    int rc = wh_secret_check_scheme(sub->scheme, secret);
    if (rc != WH_OK) return rc;
    for (size_t i = 0; i < sub->nsecrets; i++)
        if (strcmp(sub->secrets[i].value, secret) == 0) {
            sub->secrets[i].expires_at = expires_at;
            return WH_OK;
        }
    if (sub->nsecrets >= WH_MAX_SECRETS)
        return whi_error(WH_EINVAL, "secrets: at most %d per subscription", WH_MAX_SECRETS);
    char *copy = whi_strdup(secret);
    if (!copy) return whi_error_oom();
    return whi_sub_insert_secret(sub, copy, expires_at, true);
}

int whi_sub_insert_secret(wh_subscription *sub, char *value, wh_time_ms expires_at, bool front)
{
    whi_secret *grown = whi_realloc(sub->secrets, (sub->nsecrets + 1) * sizeof(whi_secret));
    if (!grown) {
        mbedtls_platform_zeroize(value, strlen(value));
        whi_free(value);
        return whi_error_oom();
    }
    sub->secrets = grown;
    size_t at = front ? 0 : sub->nsecrets;
    memmove(&grown[at + 1], &grown[at], (sub->nsecrets - at) * sizeof(whi_secret));
    grown[at] = (whi_secret){value, expires_at};
    sub->nsecrets++;
    return WH_OK;
}

int wh_subscription_clear_secrets(wh_subscription *sub)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    for (size_t i = 0; i < sub->nsecrets; i++)
        free_secret(&sub->secrets[i]);
    whi_free(sub->secrets);
    sub->secrets = NULL;
    sub->nsecrets = 0;
    return WH_OK;
}

size_t wh_subscription_prune_secrets(wh_subscription *sub, wh_time_ms now)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; sub && i < sub->nsecrets; i++) {
        whi_secret *s = &sub->secrets[i];
        if (s->expires_at && s->expires_at <= now) {
            free_secret(s);
            removed++;
        } else {
            sub->secrets[kept++] = *s;
        }
    }
    if (sub) sub->nsecrets = kept;
    return removed;
}

int wh_subscription_rotate_secret(wh_subscription *sub, const char *new_secret,
                                  wh_time_ms overlap_ms, wh_time_ms now, char **new_out)
{
    if (new_out) *new_out = NULL;
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    if (overlap_ms < 0) return whi_error(WH_EINVAL, "overlap must not be negative");
    char *fresh = NULL;
    int rc =
        new_secret ? wh_secret_check_scheme(sub->scheme, new_secret) : wh_secret_generate(&fresh);
    if (rc != WH_OK) return rc;
    if (new_secret && !(fresh = whi_strdup(new_secret))) return whi_error_oom();
    char *shown = NULL;
    if (new_out && !(shown = whi_strdup(fresh))) {
        whi_free(fresh);
        return whi_error_oom();
    }
    now = now ? now : whi_now_ms();
    wh_subscription_prune_secrets(sub, now);
    if (sub->nsecrets >= WH_MAX_SECRETS) {
        whi_free(fresh);
        whi_free(shown);
        return whi_error(WH_EINVAL, "secrets: at most %d per subscription", WH_MAX_SECRETS);
    }
    if ((rc = whi_sub_insert_secret(sub, fresh, 0, true)) != WH_OK) {
        whi_free(shown);
        return rc;
    }
    wh_time_ms expires = now + (overlap_ms ? overlap_ms : WH_DEFAULT_SECRET_OVERLAP_MS);
    for (size_t i = 1; i < sub->nsecrets; i++)
        if (!sub->secrets[i].expires_at || sub->secrets[i].expires_at > expires)
            sub->secrets[i].expires_at = expires;
    if (new_out) *new_out = shown;
    return WH_OK;
}

static bool signs_at(const whi_secret *s, wh_time_ms now)
{
    return !s->expires_at || s->expires_at > now;
}

size_t wh_subscription_signing_secret_count(const wh_subscription *sub, wh_time_ms now)
{
    size_t n = 0;
    for (size_t i = 0; sub && i < sub->nsecrets; i++)
        n += signs_at(&sub->secrets[i], now);
    return n;
}

const char *wh_subscription_signing_secret_at(const wh_subscription *sub, wh_time_ms now, size_t i)
{
    for (size_t k = 0; sub && k < sub->nsecrets; k++)
        if (signs_at(&sub->secrets[k], now) && i-- == 0) return sub->secrets[k].value;
    return NULL;
}

/* ---- retries ---- */

int wh_subscription_retry_enabled(const wh_subscription *sub)
{
    return sub && sub->retry_enabled;
}

int wh_subscription_set_retry_enabled(wh_subscription *sub, int enabled)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    sub->retry_enabled = enabled != 0;
    sub->retry_enabled_set = true;
    return WH_OK;
}

size_t wh_subscription_retry_count(const wh_subscription *sub)
{
    return sub ? sub->nretry : 0;
}

uint32_t wh_subscription_retry_delay(const wh_subscription *sub, size_t i)
{
    return sub && i < sub->nretry ? sub->retry[i] : 0;
}

int wh_subscription_set_retry_schedule(wh_subscription *sub, const uint32_t *delays, size_t count)
{
    if (!sub || (count && !delays))
        return whi_error(WH_EINVAL, "subscription and delays must not be NULL");
    if (count > WH_MAX_RETRY_STEPS)
        return field_error("retry.schedule", "must have at most 32 delays");
    for (size_t i = 0; i < count; i++)
        if (delays[i] > WH_MAX_RETRY_DELAY_S)
            return field_error("retry.schedule", "delays must be 0..604800 seconds");
    uint32_t *copy = NULL;
    if (count && !(copy = whi_malloc(count * sizeof(*delays)))) return whi_error_oom();
    if (count) memcpy(copy, delays, count * sizeof(*delays));
    whi_free(sub->retry);
    sub->retry = copy;
    sub->nretry = count;
    sub->retry_schedule_set = true;
    return WH_OK;
}

int wh_subscription_set_retry_preset(wh_subscription *sub, const char *preset)
{
    if (!sub || !preset) return whi_error(WH_EINVAL, "subscription and preset must not be NULL");
    const whi_retry_preset *p = whi_retry_preset_find(preset);
    if (!p) return field_error("retry.preset", "must be standard, none, commerce or cakto");
    if (p->count) {
        int rc = wh_subscription_set_retry_schedule(sub, p->delays, p->count);
        if (rc != WH_OK) return rc;
    }
    sub->retry_enabled = p->enabled;
    sub->retry_enabled_set = true;
    return WH_OK;
}

/* ---- timeouts ---- */

int wh_subscription_set_rate_limit(wh_subscription *sub, uint32_t requests, uint32_t period_ms,
                                   uint32_t burst)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    if (requests == 0) {
        sub->rate_requests = sub->rate_period_ms = sub->rate_burst = 0;
        return WH_OK;
    }
    if (requests > WH_MAX_RATE_REQUESTS)
        return field_error("rateLimit.requests", "must be 0..1000000");
    if (period_ms < 1 || period_ms > 86400000)
        return field_error("rateLimit.periodMs", "must be 1..86400000 ms");
    if (burst > WH_MAX_RATE_REQUESTS) return field_error("rateLimit.burst", "must be 0..1000000");
    sub->rate_requests = requests;
    sub->rate_period_ms = period_ms;
    sub->rate_burst = burst;
    return WH_OK;
}

void wh_subscription_rate_limit(const wh_subscription *sub, uint32_t *requests, uint32_t *period_ms,
                                uint32_t *burst)
{
    if (requests) *requests = sub ? sub->rate_requests : 0;
    if (period_ms) *period_ms = sub ? sub->rate_period_ms : 0;
    if (burst) *burst = sub ? sub->rate_burst : 0;
}

uint32_t wh_subscription_connect_timeout_ms(const wh_subscription *sub)
{
    return sub ? sub->connect_timeout_ms : 0;
}

uint32_t wh_subscription_total_timeout_ms(const wh_subscription *sub)
{
    return sub ? sub->total_timeout_ms : 0;
}

int wh_subscription_set_timeouts(wh_subscription *sub, uint32_t connect_ms, uint32_t total_ms)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    if (connect_ms > 600000 || total_ms > 600000)
        return field_error("timeouts", "must be 0..600000 ms");
    sub->connect_timeout_ms = connect_ms;
    sub->total_timeout_ms = total_ms;
    return WH_OK;
}

/* ---- metadata ---- */

const char *wh_subscription_metadata(const wh_subscription *sub)
{
    /* NULL stands for the empty object: most subscriptions have no metadata, and the hub keeps
     * 100 000s of them in memory. */
    return !sub ? NULL : sub->metadata ? sub->metadata : "{}";
}

int wh_subscription_set_metadata(wh_subscription *sub, const char *json, size_t len)
{
    if (!sub || !json) return whi_error(WH_EINVAL, "subscription and json must not be NULL");
    if (len > WH_MAX_METADATA_LEN) return field_error("metadata", "must be at most 65536 bytes");
    char *copy;
    int rc = whi_json_minify_copy(json, len, &copy);
    if (rc != WH_OK) return field_error("metadata", "must be a JSON object");
    if (copy[0] != '{') {
        whi_free(copy);
        return field_error("metadata", "must be a JSON object");
    }
    whi_free(sub->metadata);
    sub->metadata = copy;
    if (strcmp(copy, "{}") == 0) { /* the empty object is NULL (see wh_subscription_metadata) */
        whi_free(copy);
        sub->metadata = NULL;
    }
    return WH_OK;
}

/* ---- times and stats ---- */

wh_time_ms wh_subscription_created_at(const wh_subscription *sub)
{
    return sub ? sub->created_at : 0;
}

wh_time_ms wh_subscription_updated_at(const wh_subscription *sub)
{
    return sub ? sub->updated_at : 0;
}

int wh_subscription_set_times(wh_subscription *sub, wh_time_ms created, wh_time_ms updated)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    sub->created_at = created;
    sub->updated_at = updated;
    sub->created_off = sub->updated_off = 0;
    return WH_OK;
}

wh_time_ms wh_subscription_last_delivery_at(const wh_subscription *sub)
{
    return sub ? sub->last_delivery_at : 0;
}

int wh_subscription_last_delivery_status(const wh_subscription *sub)
{
    return sub ? sub->last_status : 0;
}

uint32_t wh_subscription_failure_count(const wh_subscription *sub)
{
    return sub ? sub->failure_count : 0;
}

wh_time_ms wh_subscription_failing_since(const wh_subscription *sub)
{
    return sub ? sub->failing_since : 0;
}

int wh_subscription_set_stats(wh_subscription *sub, wh_time_ms last_at, int last_status,
                              uint32_t failures, wh_time_ms failing_since)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    sub->last_delivery_at = last_at;
    sub->last_status = last_status;
    sub->failure_count = failures;
    sub->failing_since = failing_since;
    return WH_OK;
}

/* ---- whole-object validation ---- */

int wh_subscription_validate(const wh_subscription *sub)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    /* Secrets of the wrong form for the scheme (a patch changed the scheme alone): checked
     * first, as the check sets the thread's error. */
    char bad_secret[160] = "";
    for (size_t i = 0; i < sub->nsecrets && !bad_secret[0]; i++)
        if (wh_secret_check_scheme(sub->scheme, sub->secrets[i].value) != WH_OK)
            snprintf(bad_secret, sizeof(bad_secret), "%s", wh_error_last()->message);
    whi_error_begin();
    bool listens = sub->lists[WH_LIST_EVENTS].n > 0 || sub->entity;
    if (sub->status != WH_STATUS_WAITING_CONFIG) {
        if (!sub->url) whi_error_detail("url is required unless status is waiting_config");
        if (!listens)
            whi_error_detail("events or entity is required unless status is waiting_config");
    }
    if (sub->lists[WH_LIST_ACTIONS].n > 0 && !sub->entity)
        whi_error_detail("actions need an entity");
    if (sub->scheme != WH_SCHEME_NONE && sub->nsecrets == 0)
        whi_error_detail("secrets: at least one is needed to sign (or use scheme none)");
    if (bad_secret[0])
        whi_error_detail("secrets: the %s scheme needs another form: %s",
                         wh_scheme_name(sub->scheme), bad_secret);
    if (whi_error_detail_count()) return whi_error_finish(WH_EINVAL, "invalid subscription");
    return WH_OK;
}

/* ---- enum names ---- */

static const char *const STATUS_NAMES[] = {"active", "disabled", "waiting_config"};
static const char *const METHOD_NAMES[] = {"POST", "PUT", "PATCH", "GET", "DELETE"};
static const char *const SCHEME_NAMES[] = {"standard", "github", "stripe", "none", "body"};

const char *wh_status_name(wh_status s)
{
    return (unsigned)s < WHI_ARRAY_LEN(STATUS_NAMES) ? STATUS_NAMES[s] : NULL;
}

const char *wh_method_name(wh_method m)
{
    return (unsigned)m < WHI_ARRAY_LEN(METHOD_NAMES) ? METHOD_NAMES[m] : NULL;
}

const char *wh_scheme_name(wh_scheme s)
{
    return (unsigned)s < WHI_ARRAY_LEN(SCHEME_NAMES) ? SCHEME_NAMES[s] : NULL;
}

static int parse_name(const char *name, const char *const *names, size_t n, bool nocase)
{
    for (size_t i = 0; name && i < n; i++)
        if ((nocase ? whi_strcasecmp(name, names[i]) : strcmp(name, names[i])) == 0) return (int)i;
    return -1;
}

int wh_status_parse(const char *name, wh_status *out)
{
    int i = parse_name(name, STATUS_NAMES, WHI_ARRAY_LEN(STATUS_NAMES), false);
    if (i < 0 || !out) return field_error("status", "must be active, disabled or waiting_config");
    *out = (wh_status)i;
    return WH_OK;
}

int wh_method_parse(const char *name, wh_method *out)
{
    int i = parse_name(name, METHOD_NAMES, WHI_ARRAY_LEN(METHOD_NAMES), true);
    if (i < 0 || !out) return field_error("method", "must be POST, PUT, PATCH, GET or DELETE");
    *out = (wh_method)i;
    return WH_OK;
}

int wh_scheme_parse(const char *name, wh_scheme *out)
{
    int i = parse_name(name, SCHEME_NAMES, WHI_ARRAY_LEN(SCHEME_NAMES), false);
    if (i < 0 || !out)
        return field_error("signature.scheme", "must be standard, github, stripe, body or none");
    *out = (wh_scheme)i;
    return WH_OK;
}
