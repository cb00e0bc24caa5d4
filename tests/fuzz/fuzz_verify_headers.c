/*
 * Fuzzes signature header parsing and verification of every scheme.
 *
 * Input: byte 0 picks the scheme (and whether a second secret is given), byte 1 shifts "now";
 * the rest is "Name: value" lines up to an empty line, then the body. A line without ':' is
 * taken as the value of the scheme's signature header, so raw bytes reach the parsers quickly.
 * Seeds in corpus/verify_headers/ are valid messages signed with SECRET at NOW (the round-trip
 * seeds verify), plus malformed variants.
 *
 * Invariants checked besides "no crash, no leak": wh_verify returns one of its documented codes,
 * and signing the same body with wh_sign always verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <webhooks.h>

#define SECRET    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SECRET2   "whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQgb2YgMzIgYnl0ZXM="
#define NOW       1614265330
#define MAX_LINES 16

static const char *const SIG_HEADER[] = {"webhook-signature", "X-Hub-Signature-256",
                                         "Stripe-Signature", "webhook-signature"};

static int documented(int rc)
{
    return rc == WH_OK || rc == WH_ESIG_MISSING || rc == WH_ESIG_MALFORMED ||
           rc == WH_ESIG_MISMATCH || rc == WH_ESIG_TOO_OLD || rc == WH_ESIG_TOO_NEW;
}

/* Sign body and check the result verifies: a parser/signer disagreement aborts. */
static void round_trip(wh_scheme scheme, const char *const *secrets, size_t n, const uint8_t *body,
                       size_t len)
{
    wh_headers *h;
    if (wh_sign(&h, scheme, secrets, n, "msg_fuzz", NOW, body, len) != WH_OK) abort();
    const char *names[3], *values[3];
    size_t count = wh_headers_count(h);
    for (size_t i = 0; i < count; i++) {
        names[i] = wh_headers_name(h, i);
        values[i] = wh_headers_value(h, i);
    }
    /* Any one secret verifies; GitHub carries only the first one's signature. */
    const char *const *one = secrets + (scheme == WH_SCHEME_GITHUB ? 0 : n - 1);
    if (wh_verify(scheme, one, 1, names, values, count, body, len, NOW, 0) != WH_OK) abort();
    wh_headers_free(h);
}

static char *dup_bytes(const void *p, size_t len)
{
    char *s = malloc(len + 1);
    if (!s) abort();
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    wh_scheme scheme = (wh_scheme)(data[0] & 3);
    const char *secrets[] = {SECRET, SECRET2};
    size_t nsecrets = (data[0] & 4) ? 2 : 1;
    if (scheme == WH_SCHEME_GITHUB && (data[0] & 8)) secrets[0] = "It's a Secret to Everybody";
    int64_t now = NOW + ((int64_t)data[1] - 128) * 5;
    data += 2, size -= 2;

    /* Header lines (copied so each is NUL-terminated), then the body after an empty line. */
    char *names[MAX_LINES] = {0}, *values[MAX_LINES] = {0};
    size_t n = 0, at = 0;
    while (at < size && n < MAX_LINES) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t end = nl ? (size_t)(nl - data) : size;
        if (end == at) { /* empty line: the body starts after it */
            at++;
            break;
        }
        const uint8_t *colon = memchr(data + at, ':', end - at);
        size_t name_len = colon ? (size_t)(colon - (data + at)) : 0;
        size_t value_at = colon ? name_len + 1 : 0;
        /* A bare value is the signature header's. */
        names[n] = colon ? dup_bytes(data + at, name_len)
                         : dup_bytes(SIG_HEADER[scheme], strlen(SIG_HEADER[scheme]));
        values[n] = dup_bytes(data + at + value_at, end - at - value_at);
        n++;
        at = end + 1;
    }
    const uint8_t *body = at <= size ? data + at : data + size;
    size_t body_len = at <= size ? size - at : 0;

    int rc = wh_verify(scheme, secrets, nsecrets, (const char *const *)names,
                       (const char *const *)values, n, body, body_len, now, 0);
    if (!documented(rc)) abort();
    round_trip(scheme, secrets, nsecrets, body, body_len);

    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(values[i]);
    }
    return 0;
}
