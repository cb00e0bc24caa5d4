/*
 * Signatures: sign a delivery and verify one, in the Standard Webhooks, GitHub and Stripe
 * schemes (see wh_scheme in subscription.h). Pure: no I/O, no clock unless a time of 0 asks for
 * it. HMAC-SHA256 comes from mbedTLS; keys and intermediate digests are wiped after use and
 * signatures are compared in constant time.
 *
 * Every function takes only pointers, lengths and integers, so bindings (Python ctypes, Node
 * koffi, ...) call them without mirroring any struct. Safe to call from any thread; a
 * wh_headers object is read-only once made and may be shared.
 *
 * Secrets, per scheme:
 *   standard  "whsec_" + base64 (the "whsec_" prefix is optional); the key is the decoded bytes.
 *   github    any string; the key is its bytes.
 *   stripe    any string (normally "whsec_..."); the key is the whole string, prefix included.
 *   body      any string: it is not a key but travels in the body itself (see WH_SCHEME_BODY).
 * Every secret is 1..WH_SIGN_MAX_SECRET_LEN bytes; a bad one gives WH_EINVAL naming its index,
 * never its value.
 */
#ifndef WEBHOOKS_SIGN_H
#define WEBHOOKS_SIGN_H

#include "webhooks/common.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest secret string accepted by wh_sign / wh_verify, in bytes. */
#define WH_SIGN_MAX_SECRET_LEN 1024
/* Most secrets one call takes (the same bound as a subscription's secrets). */
#define WH_SIGN_MAX_SECRETS WH_MAX_SECRETS
/* Most signatures a verified header may list (more is WH_ESIG_MALFORMED). */
#define WH_SIGN_MAX_SIGNATURES 64
/* Default timestamp tolerance of wh_verify, in seconds. */
#define WH_SIGN_DEFAULT_TOLERANCE_S 300

/* The headers a signed delivery carries: a small read-only list of name/value pairs. */
typedef struct wh_headers wh_headers;

/*
 * Sign body (body_len bytes; body may be NULL when body_len is 0) with every secret in
 * secrets[0..nsecrets) and return the headers a delivery carries:
 *   standard  webhook-id: <msg_id>, webhook-timestamp: <timestamp>,
 *             webhook-signature: v1,<base64 sig> [v1,<sig2> ...]  (one per secret, in order)
 *   github    X-Hub-Signature-256: sha256=<hex>  (GitHub has one signature: secrets[0] only)
 *   stripe    Stripe-Signature: t=<timestamp>,v1=<hex>[,v1=<hex2> ...]
 *   none      no header (secrets may be empty)
 *   body      no header (the delivery engine adds secrets[0] to the JSON body as "secret")
 * msg_id (standard only; ignored by the others): 1..255 bytes without CR, LF or NUL, or NULL
 * for a new "msg_" + random id. timestamp: Unix seconds, 0 for now; negative is WH_EINVAL.
 * nsecrets: 1..WH_SIGN_MAX_SECRETS (0 allowed for none).
 * *out is owned by the caller: free with wh_headers_free. On error *out is NULL and the code is
 * WH_EINVAL (bad scheme, secret, id or timestamp), WH_ENOMEM or WH_EIO (no randomness for an id).
 */
WH_EXTERN int wh_sign(wh_headers **out, wh_scheme scheme, const char *const *secrets,
                      size_t nsecrets, const char *msg_id, int64_t timestamp, const void *body,
                      size_t body_len);

/* Number of headers (0 for NULL). */
WH_EXTERN size_t wh_headers_count(const wh_headers *headers);
/* Name / value of header i, or NULL when i is out of range. Borrowed: valid until
 * wh_headers_free. */
WH_EXTERN const char *wh_headers_name(const wh_headers *headers, size_t i);
WH_EXTERN const char *wh_headers_value(const wh_headers *headers, size_t i);
/* Value of the header called name (matched case-insensitively), or NULL. Borrowed likewise. */
WH_EXTERN const char *wh_headers_get(const wh_headers *headers, const char *name);
WH_EXTERN void wh_headers_free(wh_headers *headers); /* NULL is a no-op */

/*
 * Verify a delivery received with the given headers (nheaders name/value pairs; names matched
 * case-insensitively, values with surrounding spaces or tabs trimmed; a needed header given
 * twice is malformed) and body (body_len bytes, NULL allowed when 0) against secrets[0..
 * nsecrets): it holds when any listed signature matches any secret. now: Unix seconds, 0 for
 * the clock. tolerance_s: how far the signed timestamp may lie from now, 0 for the default
 * (300 s); standard rejects both sides, stripe only too old, github has no timestamp.
 * Checks run in this order: headers present, well-formed, timestamp in tolerance, signature.
 * Returns WH_OK when valid, else one code with a message saying what is wrong:
 *   WH_ESIG_MISSING    a needed header is absent
 *   WH_ESIG_MALFORMED  a header cannot be parsed: empty, no "v1" signature, bad base64 or hex,
 *                      a timestamp that is not Unix seconds, over WH_MAX_HEADER_LEN bytes, or
 *                      over WH_SIGN_MAX_SIGNATURES signatures
 *   WH_ESIG_TOO_OLD    the timestamp is older than now - tolerance
 *   WH_ESIG_TOO_NEW    the timestamp is newer than now + tolerance (standard only)
 *   WH_ESIG_MISMATCH   no signature matches any secret (wrong secret, or tampered id,
 *                      timestamp or body)
 *   WH_EINVAL          a bad argument (unknown scheme, bad secret, negative tolerance or now)
 * Scheme none has nothing to check: WH_OK. Scheme body ignores the headers and the time: the
 * body must be a JSON object whose "secret" string equals one of the secrets (WH_ESIG_MALFORMED,
 * WH_ESIG_MISSING or WH_ESIG_MISMATCH otherwise); it parses the body, so it allocates.
 */
WH_EXTERN int wh_verify(wh_scheme scheme, const char *const *secrets, size_t nsecrets,
                        const char *const *header_names, const char *const *header_values,
                        size_t nheaders, const void *body, size_t body_len, int64_t now,
                        int64_t tolerance_s);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_SIGN_H */
