/*
 * Authentication for the registration API: the credential of a request, the built-in key table
 * (SHA-256 digests compared in constant time), the host's callback, and scope names.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "api_impl.h"
#include "sign_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "text.h"
#include "compiler.h"

/* ---- scopes ---- */

static const struct {
    unsigned int bit;
    const char *name;
} SCOPES[] = {
    {WH_SCOPE_WEBHOOKS_READ, "webhooks:read"},
    {WH_SCOPE_WEBHOOKS_WRITE, "webhooks:write"},
    {WH_SCOPE_EVENTS_WRITE, "events:write"},
};

const char *wh_api_scope_name(unsigned int scope)
{
    for (size_t i = 0; i < WHI_ARRAY_LEN(SCOPES); i++)
        if (SCOPES[i].bit == scope) return SCOPES[i].name;
    return NULL;
}

/* One scope name of len bytes into *bits. */
static int scope_bits(const char *s, size_t len, unsigned int *bits)
{
    if ((len == 1 && s[0] == '*') || (len == 3 && strncmp(s, "all", 3) == 0)) {
        *bits |= WH_SCOPE_ALL;
        return WH_OK;
    }
    for (size_t i = 0; i < WHI_ARRAY_LEN(SCOPES); i++)
        if (strlen(SCOPES[i].name) == len && memcmp(SCOPES[i].name, s, len) == 0) {
            *bits |= SCOPES[i].bit;
            return WH_OK;
        }
    return whi_error(WH_EINVAL,
                     "unknown scope \"%.*s\" (known: webhooks:read, webhooks:write, "
                     "events:write, *)",
                     (int)(len > 64 ? 64 : len), s);
}

int wh_api_scopes_parse(const char *text, unsigned int *out)
{
    if (!text || !out) return whi_error(WH_EINVAL, "text and out must not be NULL");
    unsigned int bits = 0;
    for (const char *p = text; *p;) {
        size_t skip = strspn(p, ", \t");
        p += skip;
        size_t len = strcspn(p, ", \t");
        if (len) {
            int rc = scope_bits(p, len, &bits);
            if (rc != WH_OK) return rc;
        }
        p += len;
    }
    *out = bits;
    return WH_OK;
}

/* ---- the key table ---- */

static int digest(const char *key, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (!md || mbedtls_md(md, (const unsigned char *)key, strlen(key), out) != 0)
        return whi_error(WH_EIO, "SHA-256 is not available");
    return WH_OK;
}

/* A credential: 1..4096 bytes of printable ASCII or UTF-8, no spaces or control bytes. */
static const char *check_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > WHI_API_KEY_MAX) return "must be 1..4096 bytes";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] <= 0x20 || key[i] == 0x7f)
            return "must not contain spaces or control characters";
    return NULL;
}

int wh_api_add_key(wh_api *api, const char *key, const char *owner, unsigned int scopes)
{
    if (!api) return whi_error(WH_EINVAL, "api must not be NULL");
    const char *why = check_key(key);
    if (why) return whi_error(WH_EINVAL, "key %s", why);
    if ((why = whi_check_label(owner, WH_MAX_ID_LEN))) return whi_error(WH_EINVAL, "owner %s", why);
    if (scopes & ~WH_SCOPE_ALL) return whi_error(WH_EINVAL, "scopes holds unknown bits");
    api_key k = {.scopes = scopes};
    int rc = digest(key, k.digest);
    if (rc != WH_OK) return rc;
    if (!(k.owner = whi_strdup(owner))) return whi_error_oom();
    pthread_rwlock_wrlock(&api->cfg);
    size_t i = 0;
    while (i < api->nkeys && memcmp(api->keys[i].digest, k.digest, 32) != 0)
        i++;
    if (i == api->nkeys && api->nkeys == api->cap_keys) {
        size_t cap = api->cap_keys ? api->cap_keys * 2 : 8;
        api_key *grown = whi_realloc(api->keys, cap * sizeof(*grown));
        if (!grown) {
            pthread_rwlock_unlock(&api->cfg);
            whi_free(k.owner);
            return whi_error_oom();
        }
        api->keys = grown;
        api->cap_keys = cap;
    }
    if (i < api->nkeys)
        whi_free(api->keys[i].owner);
    else
        api->nkeys++;
    api->keys[i] = k;
    pthread_rwlock_unlock(&api->cfg);
    mbedtls_platform_zeroize(&k, sizeof(k));
    return WH_OK;
}

int wh_api_remove_key(wh_api *api, const char *key)
{
    if (!api || !key) return whi_error(WH_EINVAL, "api and key must not be NULL");
    unsigned char d[32];
    int rc = digest(key, d);
    if (rc != WH_OK) return rc;
    rc = whi_error(WH_ENOTFOUND, "no such key");
    pthread_rwlock_wrlock(&api->cfg);
    for (size_t i = 0; i < api->nkeys; i++)
        if (memcmp(api->keys[i].digest, d, 32) == 0) {
            whi_free(api->keys[i].owner);
            api->keys[i] = api->keys[--api->nkeys];
            rc = WH_OK;
            wh_error_clear();
            break;
        }
    pthread_rwlock_unlock(&api->cfg);
    mbedtls_platform_zeroize(d, sizeof(d));
    return rc;
}

void whi_api_keys_free(wh_api *api)
{
    for (size_t i = 0; i < api->nkeys; i++)
        whi_free(api->keys[i].owner);
    if (api->keys) mbedtls_platform_zeroize(api->keys, api->cap_keys * sizeof(*api->keys));
    whi_free(api->keys);
    api->keys = NULL;
    api->nkeys = api->cap_keys = 0;
}

/* ---- authenticating a request ---- */

/* The credential: "Authorization: Bearer <key>" first, then "x-api-key: <key>". Leading and
 * trailing spaces are trimmed into buf; NULL when neither holds one. */
static const char *credential(const wh_api_request *req, char *buf, size_t size, bool *too_long)
{
    const char *v = whi_api_header(req, "Authorization");
    const char *key = NULL;
    if (v) {
        v += strspn(v, " \t");
        bool bearer = true; /* the scheme name is case-insensitive (RFC 9110) */
        for (size_t i = 0; bearer && i < 6; i++)
            bearer = v[i] && (v[i] | 0x20) == "bearer"[i];
        if (bearer && (v[6] == ' ' || v[6] == '\t')) key = v + 6 + strspn(v + 6, " \t");
    }
    if (!key || !*key) {
        v = whi_api_header(req, "x-api-key");
        key = v ? v + strspn(v, " \t") : NULL;
    }
    if (!key || !*key) return NULL;
    size_t n = strlen(key);
    while (n && (key[n - 1] == ' ' || key[n - 1] == '\t'))
        n--;
    if (n >= size) {
        *too_long = true;
        return NULL;
    }
    memcpy(buf, key, n);
    buf[n] = '\0';
    return buf;
}

static int unauthorized(api_ctx *c, const char *why)
{
    whi_api_set_header(c, "WWW-Authenticate", "Bearer");
    return whi_api_error(c, 401, WH_EUNAUTHORIZED, "%s", why);
}

/* Look the credential up in the key table: every entry is compared, in constant time. */
static bool table_lookup(api_ctx *c, const unsigned char d[32])
{
    wh_api *api = c->api;
    bool found = false;
    pthread_rwlock_rdlock(&api->cfg);
    size_t hit = 0;
    for (size_t i = 0; i < api->nkeys; i++) {
        bool eq = whi_ct_equal(api->keys[i].digest, d, 32);
        hit = eq ? i : hit;
        found |= eq;
    }
    if (found) {
        whi_strlcpy(c->owner, api->keys[hit].owner, sizeof(c->owner));
        c->scopes = api->keys[hit].scopes;
    }
    pthread_rwlock_unlock(&api->cfg);
    return found;
}

static bool transient(int rc)
{
    return rc == WH_EIO || rc == WH_ENOMEM || rc == WH_EBUSY || rc == WH_ETIMEOUT;
}

static int ask_host(api_ctx *c, const char *key)
{
    char owner[WH_MAX_ID_LEN + 1];
    memset(owner, 0, sizeof(owner));
    unsigned int scopes = 0;
    int rc = c->opts.auth(key, owner, sizeof(owner), &scopes, c->opts.auth_user_data);
    owner[sizeof(owner) - 1] = '\0';
    if (rc != WH_OK && transient(rc)) {
        snprintf(c->log_msg, sizeof(c->log_msg), "authentication callback failed: %s",
                 wh_strerror(rc));
        return whi_api_error(c, 500, rc, "internal error");
    }
    if (rc != WH_OK) return unauthorized(c, "invalid credential");
    if (whi_check_label(owner, WH_MAX_ID_LEN)) {
        snprintf(c->log_msg, sizeof(c->log_msg),
                 "authentication callback returned an empty or invalid owner");
        return whi_api_error(c, 500, WH_EINVAL, "internal error");
    }
    whi_strlcpy(c->owner, owner, sizeof(c->owner));
    c->scopes = scopes & WH_SCOPE_ALL;
    return WH_OK;
}

int whi_api_authenticate(api_ctx *c)
{
    const wh_api_request *req = c->req;
    if (req->auth_owner) { /* the host vouches for this principal */
        if (whi_check_label(req->auth_owner, WH_MAX_ID_LEN)) {
            snprintf(c->log_msg, sizeof(c->log_msg), "request auth_owner is empty or invalid");
            return whi_api_error(c, 500, WH_EINVAL, "internal error");
        }
        whi_strlcpy(c->owner, req->auth_owner, sizeof(c->owner));
        c->scopes = req->auth_scopes & WH_SCOPE_ALL;
        return WH_OK;
    }
    char buf[WHI_API_KEY_MAX + 1];
    bool too_long = false;
    const char *key = credential(req, buf, sizeof(buf), &too_long);
    if (!key)
        return unauthorized(c, too_long ? "invalid credential"
                                        : "missing credential: send Authorization: Bearer <key> "
                                          "or x-api-key: <key>");
    int rc = WH_OK;
    if (check_key(key) || (c->key_prefix && strncmp(key, c->key_prefix, strlen(c->key_prefix))))
        rc = unauthorized(c, "invalid credential");
    unsigned char d[32];
    if (rc == WH_OK && (rc = digest(key, d)) != WH_OK) rc = whi_api_fail(c, rc);
    if (rc == WH_OK && !table_lookup(c, d))
        rc = c->opts.auth ? ask_host(c, key) : unauthorized(c, "invalid credential");
    mbedtls_platform_zeroize(buf, sizeof(buf));
    mbedtls_platform_zeroize(d, sizeof(d));
    return rc;
}
