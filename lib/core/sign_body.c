/*
 * The body scheme (WH_SCHEME_BODY): no signature header; the secret itself travels in the JSON
 * body, as the member "secret" added first to the object when an attempt is sent, and the
 * receiver compares it with the secret it holds. Some webhook APIs work this way (a product's
 * "token" or "secret" field in every payload); it proves only that the sender knows the secret,
 * so it is for endpoints that ask for it.
 */
#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "sign_impl.h"
#include "error.h"
#include "json.h"

static size_t skip_space(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

int whi_body_add_secret(const char *body, size_t len, const char *secret, whi_buf *out)
{
    size_t open = body ? skip_space(body, 0, len) : 0;
    if (!body || open == len || body[open] != '{')
        return whi_error(WH_EINVAL,
                         "the body scheme needs a JSON object body, to carry the secret");
    size_t next = skip_space(body, open + 1, len);
    whi_buf_puts(out, "{\"secret\":");
    whi_json_escape(out, secret, strlen(secret), true);
    if (next < len && body[next] != '}') whi_buf_putc(out, ',');
    whi_buf_append(out, body + open + 1, len - open - 1);
    if (out->failed == WH_ETOOLARGE)
        return whi_error(WH_ETOOLARGE, "body: with the secret it is over %zu bytes", out->limit);
    return out->failed ? whi_error_oom() : WH_OK;
}

/* SHA-256 of s, so secrets of any length are compared in constant time. */
static int digest(const char *s, size_t len, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (!md || mbedtls_md(md, (const unsigned char *)s, len, out) != 0)
        return whi_error(WH_EIO, "SHA-256 is not available");
    return WH_OK;
}

int whi_verify_body(const char *const *secrets, size_t nsecrets, const void *body, size_t len)
{
    cJSON *root = NULL;
    if (!body || whi_json_parse(body, len, 0, &root) != WH_OK || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return whi_error(WH_ESIG_MALFORMED, "the body is not a JSON object");
    }
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(root, "secret");
    if (!cJSON_IsString(got)) {
        cJSON_Delete(root);
        return whi_error(WH_ESIG_MISSING, "the body has no \"secret\" string");
    }
    unsigned char have[32], want[32];
    int rc = digest(got->valuestring, strlen(got->valuestring), have);
    cJSON_Delete(root);
    bool found = false;
    for (size_t i = 0; rc == WH_OK && i < nsecrets; i++) {
        rc = digest(secrets[i], strlen(secrets[i]), want);
        found |= rc == WH_OK && whi_ct_equal(have, want, sizeof(have));
    }
    mbedtls_platform_zeroize(have, sizeof(have));
    mbedtls_platform_zeroize(want, sizeof(want));
    if (rc == WH_OK && !found)
        rc = whi_error(WH_ESIG_MISMATCH, "the body's secret matches none of the %zu secret%s",
                       nsecrets, nsecrets == 1 ? "" : "s");
    return rc;
}
