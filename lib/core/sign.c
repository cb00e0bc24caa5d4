/*
 * Signing in the Standard Webhooks, GitHub and Stripe schemes, and the helpers verify.c shares.
 *
 * The signed content is fed to HMAC-SHA256 in pieces (id, ".", timestamp, ".", body) rather than
 * concatenated, so a signature costs one HMAC context and no copy of the body: the delivery
 * engine signs every attempt, and the benchmark holds it to 1.15x a bare mbedtls_md_hmac.
 */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "event_impl.h"
#include "sign_impl.h"
#include "alloc.h"
#include "error.h"
#include "rfc3339.h"
#include "encode.h"
#include "text.h"

struct wh_headers {
    whi_signed s;
};

/* ---- shared helpers ---- */

bool whi_ct_equal(const void *a, const void *b, size_t n)
{
    /* volatile keeps the compiler from turning the loop into an early-exit memcmp. */
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(x[i] ^ y[i]);
    return diff == 0;
}

size_t whi_format_i64(int64_t v, char out[WHI_TS_MAX])
{
    char tmp[WHI_TS_MAX];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

int whi_sig_key_init(whi_sig_key *key, wh_scheme scheme, const char *secret, size_t i)
{
    key->p = NULL;
    key->len = 0;
    if (!secret) return whi_error(WH_EINVAL, "secret %zu is NULL", i);
    size_t len = strnlen(secret, WH_SIGN_MAX_SECRET_LEN + 1);
    if (len == 0 || len > WH_SIGN_MAX_SECRET_LEN)
        return whi_error(WH_EINVAL, "secret %zu must be 1..%d bytes", i, WH_SIGN_MAX_SECRET_LEN);
    if (scheme != WH_SCHEME_STANDARD) {
        /* GitHub and Stripe key HMAC with the secret string itself. */
        key->p = (const unsigned char *)secret;
        key->len = len;
        return WH_OK;
    }
    size_t plen = strlen(WH_SECRET_PREFIX);
    const char *b64 = secret;
    if (len >= plen && memcmp(secret, WH_SECRET_PREFIX, plen) == 0) {
        b64 += plen;
        len -= plen;
    }
    size_t n = 0;
    if (len == 0 || whi_base64_decode(b64, len, key->buf, &n) != WH_OK || n == 0) {
        whi_sig_key_wipe(key);
        return whi_error(WH_EINVAL,
                         "secret %zu must be \"whsec_\" followed by base64 for the standard scheme",
                         i);
    }
    key->p = key->buf;
    key->len = n;
    return WH_OK;
}

void whi_sig_key_wipe(whi_sig_key *key)
{
    if (key->p == key->buf)
        mbedtls_platform_zeroize(key->buf, key->len);
    else if (!key->p)
        mbedtls_platform_zeroize(key->buf, sizeof(key->buf));
    key->p = NULL;
    key->len = 0;
}

int whi_sig_md_setup(mbedtls_md_context_t *ctx)
{
    mbedtls_md_init(ctx);
    if (mbedtls_md_setup(ctx, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) != 0)
        return whi_error_oom();
    return WH_OK;
}

int whi_sig_mac(mbedtls_md_context_t *ctx, const whi_sig_key *key, const whi_part *parts,
                size_t nparts, unsigned char mac[WHI_MAC_LEN])
{
    int rc = mbedtls_md_hmac_starts(ctx, key->p, key->len);
    for (size_t i = 0; rc == 0 && i < nparts; i++)
        if (parts[i].len) rc = mbedtls_md_hmac_update(ctx, parts[i].p, parts[i].len);
    if (rc == 0) rc = mbedtls_md_hmac_finish(ctx, mac);
    return rc == 0 ? WH_OK : whi_error(WH_EINVAL, "HMAC-SHA256 failed (mbedTLS error %d)", rc);
}

/* ---- signing ---- */

static int check_sign_args(wh_scheme scheme, const char *const *secrets, size_t nsecrets,
                           int64_t timestamp, const void *body, size_t body_len)
{
    if ((unsigned)scheme > WHI_SCHEME_LAST)
        return whi_error(WH_EINVAL, "unknown signature scheme %d", (int)scheme);
    if (!body && body_len)
        return whi_error(WH_EINVAL, "body is NULL but body_len is %zu", body_len);
    if (timestamp < 0) return whi_error(WH_EINVAL, "timestamp must be Unix seconds, not negative");
    if (scheme == WH_SCHEME_NONE) return WH_OK;
    if (!secrets || nsecrets == 0)
        return whi_error(WH_EINVAL, "the %s scheme needs at least one secret",
                         wh_scheme_name(scheme));
    if (nsecrets > WH_SIGN_MAX_SECRETS)
        return whi_error(WH_EINVAL, "at most %d secrets sign one message", WH_SIGN_MAX_SECRETS);
    return WH_OK;
}

static int copy_msg_id(whi_signed *out, const char *msg_id)
{
    size_t n = msg_id ? strnlen(msg_id, WH_MAX_ID_LEN + 1) : 0;
    if (n == 0 || n > WH_MAX_ID_LEN)
        return whi_error(WH_EINVAL, "message id must be 1..%d bytes", WH_MAX_ID_LEN);
    if (!whi_header_value_ok(msg_id))
        return whi_error(WH_EINVAL, "message id must not contain control characters");
    memcpy(out->id, msg_id, n + 1);
    return WH_OK;
}

/* Append the encoded signature of one secret to out->sig at *at. */
static void append_sig(whi_signed *out, wh_scheme scheme, size_t index, size_t *at,
                       const unsigned char mac[WHI_MAC_LEN])
{
    char *p = out->sig + *at;
    if (scheme == WH_SCHEME_STANDARD) {
        if (index) *p++ = ' ';
        memcpy(p, "v1,", 3);
        p += 3 + whi_base64_encode(mac, WHI_MAC_LEN, p + 3);
    } else if (scheme == WH_SCHEME_STRIPE) {
        memcpy(p, ",v1=", 4);
        whi_hex_encode(mac, WHI_MAC_LEN, p + 4);
        p += 4 + WHI_MAC_HEX_LEN;
    } else {
        memcpy(p, "sha256=", 7);
        whi_hex_encode(mac, WHI_MAC_LEN, p + 7);
        p += 7 + WHI_MAC_HEX_LEN;
    }
    *at = (size_t)(p - out->sig);
}

static int sign_all(whi_signed *out, wh_scheme scheme, const char *const *secrets, size_t n,
                    const whi_part *parts, size_t nparts, size_t at)
{
    mbedtls_md_context_t ctx;
    int rc = whi_sig_md_setup(&ctx);
    unsigned char mac[WHI_MAC_LEN];
    whi_sig_key key;
    for (size_t i = 0; rc == WH_OK && i < n; i++) {
        if ((rc = whi_sig_key_init(&key, scheme, secrets[i], i)) != WH_OK) break;
        rc = whi_sig_mac(&ctx, &key, parts, nparts, mac);
        whi_sig_key_wipe(&key);
        if (rc == WH_OK) append_sig(out, scheme, i, &at, mac);
    }
    mbedtls_md_free(&ctx);
    mbedtls_platform_zeroize(mac, sizeof(mac));
    return rc;
}

int whi_sign_into(whi_signed *out, wh_scheme scheme, const char *const *secrets, size_t nsecrets,
                  const char *msg_id, int64_t timestamp, const void *body, size_t body_len)
{
    out->count = 0;
    int rc = check_sign_args(scheme, secrets, nsecrets, timestamp, body, body_len);
    /* The body scheme carries its secret in the body (whi_body_add_secret): no header. */
    if (rc != WH_OK || scheme == WH_SCHEME_NONE || scheme == WH_SCHEME_BODY) return rc;
    size_t tslen = whi_format_i64(timestamp, out->ts);
    whi_part parts[5];
    size_t nparts = 0, at = 0;
    if (scheme == WH_SCHEME_STANDARD) {
        if ((rc = copy_msg_id(out, msg_id)) != WH_OK) return rc;
        parts[nparts++] = (whi_part){out->id, strlen(out->id)};
        parts[nparts++] = (whi_part){".", 1};
    }
    if (scheme != WH_SCHEME_GITHUB) {
        parts[nparts++] = (whi_part){out->ts, tslen};
        parts[nparts++] = (whi_part){".", 1};
    }
    parts[nparts++] = (whi_part){body, body_len};
    if (scheme == WH_SCHEME_STRIPE) {
        memcpy(out->sig, "t=", 2);
        memcpy(out->sig + 2, out->ts, tslen);
        at = 2 + tslen;
    }
    /* GitHub's header carries one signature: the newest secret's. */
    size_t n = scheme == WH_SCHEME_GITHUB ? 1 : nsecrets;
    if ((rc = sign_all(out, scheme, secrets, n, parts, nparts, at)) != WH_OK) return rc;
    if (scheme == WH_SCHEME_STANDARD) {
        out->name[0] = WHI_H_STD_ID, out->value[0] = out->id;
        out->name[1] = WHI_H_STD_TS, out->value[1] = out->ts;
        out->name[2] = WHI_H_STD_SIG, out->value[2] = out->sig;
        out->count = 3;
    } else {
        out->name[0] = scheme == WH_SCHEME_GITHUB ? WHI_H_GITHUB : WHI_H_STRIPE;
        out->value[0] = out->sig;
        out->count = 1;
    }
    return WH_OK;
}

int whi_sign_subscription(whi_signed *out, const wh_subscription *sub, const char *msg_id,
                          int64_t ts, const void *body, size_t body_len, wh_time_ms now)
{
    out->count = 0;
    if (!sub) return whi_error(WH_EINVAL, "subscription is NULL");
    wh_scheme scheme = wh_subscription_scheme(sub);
    const char *secrets[WH_SIGN_MAX_SECRETS];
    size_t n = wh_subscription_signing_secret_count(sub, now);
    if (n > WH_SIGN_MAX_SECRETS) n = WH_SIGN_MAX_SECRETS;
    for (size_t i = 0; i < n; i++)
        secrets[i] = wh_subscription_signing_secret_at(sub, now, i);
    if (n == 0 && scheme != WH_SCHEME_NONE)
        return whi_error(WH_ESTATE, "subscription %s has no secret to sign with",
                         wh_subscription_id(sub));
    return whi_sign_into(out, scheme, secrets, n, msg_id, ts, body, body_len);
}

/* ---- public API ---- */

int wh_sign(wh_headers **out, wh_scheme scheme, const char *const *secrets, size_t nsecrets,
            const char *msg_id, int64_t timestamp, const void *body, size_t body_len)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    char fresh[WHI_MSG_ID_LEN + 1];
    int rc;
    if (!msg_id && scheme == WH_SCHEME_STANDARD) {
        if ((rc = whi_msg_id(fresh)) != WH_OK) return rc;
        msg_id = fresh;
    }
    if (timestamp == 0) timestamp = whi_now_ms() / 1000;
    wh_headers *h = whi_malloc(sizeof(*h));
    if (!h) return whi_error_oom();
    if ((rc = whi_sign_into(&h->s, scheme, secrets, nsecrets, msg_id, timestamp, body, body_len)) !=
        WH_OK) {
        whi_free(h);
        return rc;
    }
    *out = h;
    return WH_OK;
}

size_t wh_headers_count(const wh_headers *headers)
{
    return headers ? headers->s.count : 0;
}

const char *wh_headers_name(const wh_headers *headers, size_t i)
{
    return headers && i < headers->s.count ? headers->s.name[i] : NULL;
}

const char *wh_headers_value(const wh_headers *headers, size_t i)
{
    return headers && i < headers->s.count ? headers->s.value[i] : NULL;
}

const char *wh_headers_get(const wh_headers *headers, const char *name)
{
    for (size_t i = 0; name && i < wh_headers_count(headers); i++)
        if (whi_strcasecmp(headers->s.name[i], name) == 0) return headers->s.value[i];
    return NULL;
}

void wh_headers_free(wh_headers *headers)
{
    whi_free(headers);
}
