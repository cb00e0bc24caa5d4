/*
 * Verification of received deliveries: find and parse each scheme's header(s), check the
 * timestamp window, then compare every listed signature with the HMAC of every secret in
 * constant time. Parsing is strict (an entry that claims to be a v1 signature must be one),
 * bounded (WH_MAX_HEADER_LEN bytes, WH_SIGN_MAX_SIGNATURES signatures) and never allocates.
 */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "sign_impl.h"
#include "error.h"
#include "rfc3339.h"
#include "encode.h"
#include "text.h"

/* A header value without its surrounding spaces and tabs; not NUL-terminated. */
typedef struct view {
    const char *p;
    size_t len;
} view;

/* What a header set says: the signatures listed and, per scheme, the id and timestamp. */
typedef struct parsed {
    view id;      /* standard */
    view ts_text; /* standard, stripe */
    int64_t ts;
    size_t nsigs;
    unsigned char sigs[WH_SIGN_MAX_SIGNATURES][WHI_MAC_LEN];
} parsed;

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int find_header(const char *const *names, const char *const *values, size_t n,
                       const char *want, view *out)
{
    const char *found = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !values[i] || whi_strcasecmp(names[i], want) != 0) continue;
        if (found) return whi_error(WH_ESIG_MALFORMED, "%s header is given more than once", want);
        found = values[i];
    }
    if (!found) return whi_error(WH_ESIG_MISSING, "%s header is missing", want);
    size_t len = strnlen(found, WH_MAX_HEADER_LEN + 1);
    if (len > WH_MAX_HEADER_LEN)
        return whi_error(WH_ESIG_MALFORMED, "%s header is longer than %d bytes", want,
                         WH_MAX_HEADER_LEN);
    while (len && is_ows(found[len - 1]))
        len--;
    while (len && is_ows(*found))
        found++, len--;
    if (!len) return whi_error(WH_ESIG_MALFORMED, "%s header is empty", want);
    *out = (view){found, len};
    return WH_OK;
}

/* Unix seconds: 1..18 decimal digits (no sign, no spaces), so arithmetic cannot overflow. */
static int parse_ts(view v, const char *header, int64_t *out)
{
    if (v.len == 0 || v.len > 18)
        return whi_error(WH_ESIG_MALFORMED, "%s: timestamp must be 1..18 digits of Unix seconds",
                         header);
    int64_t ts = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return whi_error(WH_ESIG_MALFORMED, "%s: timestamp must be Unix seconds (digits only)",
                             header);
        ts = ts * 10 + (v.p[i] - '0');
    }
    *out = ts;
    return WH_OK;
}

static bool view_is(view v, const char *s)
{
    size_t n = strlen(s);
    return v.len == n && memcmp(v.p, s, n) == 0;
}

/* Decode one listed signature (base64 for standard, hex otherwise) into the next slot. */
static int add_sig(parsed *ps, view v, bool b64, const char *header, size_t entry)
{
    if (ps->nsigs >= WH_SIGN_MAX_SIGNATURES)
        return whi_error(WH_ESIG_MALFORMED, "%s lists more than %d signatures", header,
                         WH_SIGN_MAX_SIGNATURES);
    unsigned char *dst = ps->sigs[ps->nsigs];
    size_t n = 0;
    bool ok = b64 ? v.len == WHI_MAC_B64_LEN && whi_base64_decode(v.p, v.len, dst, &n) == WH_OK
                  : v.len == WHI_MAC_HEX_LEN && whi_hex_decode(v.p, v.len, dst, &n) == WH_OK;
    if (!ok || n != WHI_MAC_LEN)
        return whi_error(WH_ESIG_MALFORMED, "%s: signature %zu is not %s of 32 bytes", header,
                         entry + 1, b64 ? "base64" : "hex");
    ps->nsigs++;
    return WH_OK;
}

/* Standard Webhooks: space-separated "<version>,<signature>" entries; only v1 is HMAC-SHA256,
 * other versions (v1a: ed25519) are skipped. */
static int parse_standard_sigs(view v, parsed *ps)
{
    size_t entry = 0;
    for (size_t i = 0; i < v.len;) {
        if (v.p[i] == ' ') {
            i++;
            continue;
        }
        if (entry == WH_SIGN_MAX_SIGNATURES)
            return whi_error(WH_ESIG_MALFORMED, WHI_H_STD_SIG " lists more than %d signatures",
                             WH_SIGN_MAX_SIGNATURES);
        size_t end = i;
        while (end < v.len && v.p[end] != ' ')
            end++;
        view tok = {v.p + i, end - i};
        const char *comma = memchr(tok.p, ',', tok.len);
        if (!comma)
            return whi_error(WH_ESIG_MALFORMED,
                             WHI_H_STD_SIG ": entry %zu has no version prefix such as \"v1,\"",
                             entry + 1);
        view version = {tok.p, (size_t)(comma - tok.p)};
        view sig = {comma + 1, tok.len - version.len - 1};
        if (view_is(version, "v1")) {
            int rc = add_sig(ps, sig, true, WHI_H_STD_SIG, entry);
            if (rc != WH_OK) return rc;
        }
        entry++;
        i = end;
    }
    if (ps->nsigs == 0)
        return whi_error(WH_ESIG_MALFORMED, WHI_H_STD_SIG " holds no \"v1,\" signature");
    return WH_OK;
}

static int parse_standard(const char *const *names, const char *const *values, size_t n, parsed *ps)
{
    view sig;
    int rc;
    if ((rc = find_header(names, values, n, WHI_H_STD_ID, &ps->id)) != WH_OK ||
        (rc = find_header(names, values, n, WHI_H_STD_TS, &ps->ts_text)) != WH_OK ||
        (rc = find_header(names, values, n, WHI_H_STD_SIG, &sig)) != WH_OK)
        return rc;
    if ((rc = parse_ts(ps->ts_text, WHI_H_STD_TS, &ps->ts)) != WH_OK) return rc;
    return parse_standard_sigs(sig, ps);
}

/* Stripe: comma-separated key=value items; t is the timestamp, v1 a signature, other keys
 * (v0, test-mode schemes) are ignored as Stripe's own libraries do. */
static int parse_stripe(const char *const *names, const char *const *values, size_t n, parsed *ps)
{
    view v;
    int rc = find_header(names, values, n, WHI_H_STRIPE, &v);
    if (rc != WH_OK) return rc;
    bool have_ts = false;
    size_t entry = 0;
    for (size_t i = 0; i <= v.len; entry++) {
        size_t end = i;
        while (end < v.len && v.p[end] != ',')
            end++;
        view item = {v.p + i, end - i};
        const char *eq = memchr(item.p, '=', item.len);
        if (!eq)
            return whi_error(WH_ESIG_MALFORMED, WHI_H_STRIPE ": item %zu is not key=value",
                             entry + 1);
        view key = {item.p, (size_t)(eq - item.p)};
        view val = {eq + 1, item.len - key.len - 1};
        if (view_is(key, "t")) {
            if (have_ts) return whi_error(WH_ESIG_MALFORMED, WHI_H_STRIPE " has more than one t=");
            if ((rc = parse_ts(val, WHI_H_STRIPE, &ps->ts)) != WH_OK) return rc;
            ps->ts_text = val;
            have_ts = true;
        } else if (view_is(key, "v1")) {
            if ((rc = add_sig(ps, val, false, WHI_H_STRIPE, ps->nsigs)) != WH_OK) return rc;
        }
        i = end + 1;
    }
    if (!have_ts) return whi_error(WH_ESIG_MALFORMED, WHI_H_STRIPE " has no t= timestamp");
    if (ps->nsigs == 0) return whi_error(WH_ESIG_MALFORMED, WHI_H_STRIPE " has no v1= signature");
    return WH_OK;
}

static int parse_github(const char *const *names, const char *const *values, size_t n, parsed *ps)
{
    view v;
    int rc = find_header(names, values, n, WHI_H_GITHUB, &v);
    if (rc != WH_OK) return rc;
    if (v.len < 7 || memcmp(v.p, "sha256=", 7) != 0)
        return whi_error(WH_ESIG_MALFORMED, WHI_H_GITHUB " must start with \"sha256=\"");
    return add_sig(ps, (view){v.p + 7, v.len - 7}, false, WHI_H_GITHUB, 0);
}

static int check_window(wh_scheme scheme, int64_t ts, int64_t now, int64_t tol)
{
    if (ts < now && now - ts > tol)
        return whi_error(WH_ESIG_TOO_OLD,
                         "timestamp %lld is %lld s before now, more than the tolerance of %lld s",
                         (long long)ts, (long long)(now - ts), (long long)tol);
    if (scheme == WH_SCHEME_STANDARD && ts > now && ts - now > tol)
        return whi_error(WH_ESIG_TOO_NEW,
                         "timestamp %lld is %lld s after now, more than the tolerance of %lld s",
                         (long long)ts, (long long)(ts - now), (long long)tol);
    return WH_OK;
}

/* Does any listed signature equal the HMAC of any secret? Every pair is compared in full. */
static int match(wh_scheme scheme, const char *const *secrets, size_t nsecrets, const parsed *ps,
                 const void *body, size_t body_len, bool *found)
{
    whi_part parts[5];
    size_t nparts = 0;
    if (scheme == WH_SCHEME_STANDARD) {
        parts[nparts++] = (whi_part){ps->id.p, ps->id.len};
        parts[nparts++] = (whi_part){".", 1};
    }
    if (scheme != WH_SCHEME_GITHUB) {
        parts[nparts++] = (whi_part){ps->ts_text.p, ps->ts_text.len};
        parts[nparts++] = (whi_part){".", 1};
    }
    parts[nparts++] = (whi_part){body, body_len};
    mbedtls_md_context_t ctx;
    int rc = whi_sig_md_setup(&ctx);
    unsigned char mac[WHI_MAC_LEN];
    whi_sig_key key;
    *found = false;
    for (size_t i = 0; rc == WH_OK && i < nsecrets && !*found; i++) {
        if ((rc = whi_sig_key_init(&key, scheme, secrets[i], i)) != WH_OK) break;
        rc = whi_sig_mac(&ctx, &key, parts, nparts, mac);
        whi_sig_key_wipe(&key);
        for (size_t k = 0; rc == WH_OK && k < ps->nsigs; k++)
            *found |= whi_ct_equal(mac, ps->sigs[k], WHI_MAC_LEN);
    }
    mbedtls_md_free(&ctx);
    mbedtls_platform_zeroize(mac, sizeof(mac));
    return rc;
}

static int check_verify_args(wh_scheme scheme, const char *const *secrets, size_t nsecrets,
                             const char *const *names, const char *const *values, size_t nheaders,
                             const void *body, size_t body_len)
{
    if ((unsigned)scheme > WHI_SCHEME_LAST)
        return whi_error(WH_EINVAL, "unknown signature scheme %d", (int)scheme);
    if (nheaders && (!names || !values))
        return whi_error(WH_EINVAL, "header_names and header_values must not be NULL");
    if (!body && body_len)
        return whi_error(WH_EINVAL, "body is NULL but body_len is %zu", body_len);
    if (scheme == WH_SCHEME_NONE) return WH_OK;
    if (!secrets || nsecrets == 0 || nsecrets > WH_SIGN_MAX_SECRETS)
        return whi_error(WH_EINVAL, "verification needs 1..%d secrets", WH_SIGN_MAX_SECRETS);
    /* Report a bad secret as the caller's error before judging the message. */
    whi_sig_key key;
    for (size_t i = 0; i < nsecrets; i++) {
        int rc = whi_sig_key_init(&key, scheme, secrets[i], i);
        whi_sig_key_wipe(&key);
        if (rc != WH_OK) return rc;
    }
    return WH_OK;
}

int wh_verify(wh_scheme scheme, const char *const *secrets, size_t nsecrets,
              const char *const *header_names, const char *const *header_values, size_t nheaders,
              const void *body, size_t body_len, int64_t now, int64_t tolerance_s)
{
    int rc = check_verify_args(scheme, secrets, nsecrets, header_names, header_values, nheaders,
                               body, body_len);
    if (rc != WH_OK || scheme == WH_SCHEME_NONE) return rc;
    if (scheme == WH_SCHEME_BODY) return whi_verify_body(secrets, nsecrets, body, body_len);
    if (now < 0 || tolerance_s < 0)
        return whi_error(WH_EINVAL, "now and tolerance_s must not be negative");
    now = now ? now : whi_now_ms() / 1000;
    tolerance_s = tolerance_s ? tolerance_s : WH_SIGN_DEFAULT_TOLERANCE_S;
    parsed ps;
    ps.nsigs = 0;
    if (scheme == WH_SCHEME_STANDARD)
        rc = parse_standard(header_names, header_values, nheaders, &ps);
    else if (scheme == WH_SCHEME_STRIPE)
        rc = parse_stripe(header_names, header_values, nheaders, &ps);
    else
        rc = parse_github(header_names, header_values, nheaders, &ps);
    if (rc == WH_OK && scheme != WH_SCHEME_GITHUB)
        rc = check_window(scheme, ps.ts, now, tolerance_s);
    bool found = false;
    if (rc == WH_OK) rc = match(scheme, secrets, nsecrets, &ps, body, body_len, &found);
    if (rc == WH_OK && !found)
        rc = whi_error(WH_ESIG_MISMATCH,
                       "no signature matches the %zu secret%s: wrong secret, or the body, id or "
                       "timestamp was changed",
                       nsecrets, nsecrets == 1 ? "" : "s");
    return rc;
}
