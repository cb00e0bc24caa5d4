/*
 * Private side of signing: the allocation-free fast path the delivery engine uses, and the
 * helpers sign.c and verify.c share (key derivation, HMAC over scattered parts, constant-time
 * comparison).
 */
#ifndef WEBHOOKS_SIGN_IMPL_H
#define WEBHOOKS_SIGN_IMPL_H

#include <stdbool.h>
#include <mbedtls/md.h>

#include "webhooks/sign.h"
#include "buf.h"

#define WHI_MAC_LEN         32 /* HMAC-SHA256 */
#define WHI_MAC_B64_LEN     44 /* base64 of 32 bytes, padded */
#define WHI_MAC_HEX_LEN     64
#define WHI_SIG_MAX_HEADERS 3  /* standard: id, timestamp, signature */
#define WHI_TS_MAX          24 /* decimal int64 and NUL, with room */
/* Longest signature header value: stripe "t=<19 digits>" + ",v1=<64 hex>" per secret. */
#define WHI_SIG_VALUE_MAX (2 + 19 + WH_SIGN_MAX_SECRETS * (4 + WHI_MAC_HEX_LEN) + 1)

/*
 * Signature headers in fixed storage: no heap allocation. names point to static strings,
 * values into the buffers below. Public wh_headers is one of these on the heap.
 */
typedef struct whi_signed {
    size_t count;
    const char *name[WHI_SIG_MAX_HEADERS];
    const char *value[WHI_SIG_MAX_HEADERS];
    char id[WH_MAX_ID_LEN + 1];
    char ts[WHI_TS_MAX];
    char sig[WHI_SIG_VALUE_MAX];
} whi_signed;

/* Sign with secrets[0..n) (see wh_sign; msg_id must not be NULL for standard, timestamp is
 * used as given). *out is fully rewritten; on error out->count is 0. */
int whi_sign_into(whi_signed *out, wh_scheme scheme, const char *const *secrets, size_t nsecrets,
                  const char *msg_id, int64_t timestamp, const void *body, size_t body_len);

/*
 * The delivery engine's entry: sign body for sub with its scheme and every secret that signs
 * at now (ms since epoch; see wh_subscription_signing_secret_at), the message id msg_id and
 * the header timestamp ts (Unix seconds). No heap allocation beyond mbedTLS's HMAC context.
 * A subscription with scheme standard/github/stripe but no signing secret at now gives
 * WH_ESTATE; scheme none gives out->count 0.
 */
int whi_sign_subscription(whi_signed *out, const wh_subscription *sub, const char *msg_id,
                          int64_t ts, const void *body, size_t body_len, wh_time_ms now);

/* ---- the body scheme (sign_body.c) ---- */

/* Append body (len bytes, a JSON object) to out with "secret":<secret> added as its first
 * member. WH_EINVAL when the body is not an object; WH_ETOOLARGE past out->limit. */
int whi_body_add_secret(const char *body, size_t len, const char *secret, whi_buf *out);
/* Whether the body's "secret" member equals one of secrets (constant time): WH_OK,
 * WH_ESIG_MALFORMED, WH_ESIG_MISSING or WH_ESIG_MISMATCH. */
int whi_verify_body(const char *const *secrets, size_t nsecrets, const void *body, size_t len);

/* The last scheme (schemes are numbered from 0 without gaps). */
#define WHI_SCHEME_LAST WH_SCHEME_BODY

/* ---- shared by sign.c and verify.c ---- */

/* The HMAC key of one secret. For standard it is decoded into buf; otherwise it points at the
 * secret itself. Wipe with whi_sig_key_wipe. */
typedef struct whi_sig_key {
    const unsigned char *p;
    size_t len;
    unsigned char buf[WH_SIGN_MAX_SECRET_LEN];
} whi_sig_key;

/* Derive the key of secret (index i, for the message) under scheme. WH_EINVAL if malformed. */
int whi_sig_key_init(whi_sig_key *key, wh_scheme scheme, const char *secret, size_t i);
void whi_sig_key_wipe(whi_sig_key *key);

/* One piece of the signed content. */
typedef struct whi_part {
    const void *p;
    size_t len;
} whi_part;

/* HMAC-SHA256 of the concatenation of parts under key, via a context set up by the caller
 * (mbedtls_md_setup with hmac = 1), so several keys reuse one context. */
int whi_sig_mac(mbedtls_md_context_t *ctx, const whi_sig_key *key, const whi_part *parts,
                size_t nparts, unsigned char mac[WHI_MAC_LEN]);

/* Set up ctx for HMAC-SHA256 (WH_ENOMEM on failure). Free with mbedtls_md_free. */
int whi_sig_md_setup(mbedtls_md_context_t *ctx);

/* Compare n bytes in time independent of their content. */
bool whi_ct_equal(const void *a, const void *b, size_t n);

/* Decimal digits of a non-negative v into out (WHI_TS_MAX); returns the length. */
size_t whi_format_i64(int64_t v, char out[WHI_TS_MAX]);

/* Header names of the schemes. */
#define WHI_H_STD_ID  "webhook-id"
#define WHI_H_STD_TS  "webhook-timestamp"
#define WHI_H_STD_SIG "webhook-signature"
#define WHI_H_GITHUB  "X-Hub-Signature-256"
#define WHI_H_STRIPE  "Stripe-Signature"

#endif
