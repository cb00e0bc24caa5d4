/*
 * Signing and verification cost: nanoseconds per `standard` signature of a 1 KiB body, against
 * a bare mbedtls_md_hmac over the same bytes ("<id>.<timestamp>.<body>" with the decoded key)
 * measured in the same run. Target: at most 1.15x. Cases:
 *   sign   engine   whi_sign_subscription, the delivery engine's allocation-free path
 *   sign   wh_sign  the public API (one heap object per call, a binding's path)
 *   verify wh_verify the public verifier on a valid message
 * The case and its baseline alternate in chunks of 100 calls (about 0.5 ms, shorter than a
 * scheduler slice) and each keeps its best chunk, so load from other work on the machine disturbs
 * the ratio little.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/md.h>

#include "sign_impl.h"
#include "wh_test.h"
#include "encode.h"

#define SECRET   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define MSG_ID   "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define TS       1614265330
#define BODY_LEN 1024
#define ROUNDS   400
#define CHUNK    100

static unsigned char g_body[BODY_LEN];
static unsigned char g_content[BODY_LEN + 64]; /* id.ts.body for the baseline */
static size_t g_content_len;
static unsigned char g_key[64];
static size_t g_key_len;
static wh_subscription *g_sub;
static const char *g_names[3], *g_values[3];
static volatile unsigned g_sink;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void run_baseline(void)
{
    unsigned char mac[32];
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), g_key, g_key_len, g_content,
                    g_content_len, mac);
    g_sink += mac[0];
}

static void run_engine(void)
{
    whi_signed s;
    if (whi_sign_subscription(&s, g_sub, MSG_ID, TS, g_body, BODY_LEN, 1) != WH_OK) abort();
    g_sink += (unsigned char)s.sig[3];
}

static void run_public(void)
{
    const char *secrets[] = {SECRET};
    wh_headers *h;
    if (wh_sign(&h, WH_SCHEME_STANDARD, secrets, 1, MSG_ID, TS, g_body, BODY_LEN) != WH_OK) abort();
    g_sink += (unsigned char)wh_headers_value(h, 2)[3];
    wh_headers_free(h);
}

static void run_verify(void)
{
    const char *secrets[] = {SECRET};
    if (wh_verify(WH_SCHEME_STANDARD, secrets, 1, g_names, g_values, 3, g_body, BODY_LEN, TS, 0) !=
        WH_OK)
        abort();
    g_sink++;
}

/* ns per call of one chunk of CHUNK calls. */
static double chunk_ns(void (*fn)(void))
{
    double t0 = now_ns();
    for (int i = 0; i < CHUNK; i++)
        fn();
    return (now_ns() - t0) / CHUNK;
}

/* The case and the baseline run in alternating chunks, so both see the same machine; the best
 * chunk of each is kept (the one least disturbed by other work on a shared machine). */
static void report(const char *bench, const char *cse, const char *metric, void (*fn)(void))
{
    double base = 1e300, value = 1e300;
    for (int r = 0; r < ROUNDS; r++) {
        double b = chunk_ns(run_baseline), v = chunk_ns(fn);
        base = b < base ? b : base;
        value = v < value ? v : value;
    }
    printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.1f,\"unit\":\"ns\","
           "\"baseline\":\"mbedtls_md_hmac\",\"baseline_value\":%.1f,\"ratio\":%.3f}\n",
           bench, cse, metric, value, base, value / base);
    fflush(stdout);
}

static void setup(void)
{
    for (size_t i = 0; i < BODY_LEN; i++)
        g_body[i] = (unsigned char)("{\"k\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}"[i % 43]);
    g_content_len = (size_t)snprintf((char *)g_content, sizeof(g_content), "%s.%d.", MSG_ID, TS);
    memcpy(g_content + g_content_len, g_body, BODY_LEN);
    g_content_len += BODY_LEN;
    const char *b64 = SECRET + strlen(WH_SECRET_PREFIX);
    if (whi_base64_decode(b64, strlen(b64), g_key, &g_key_len) != WH_OK) abort();
    if (wh_subscription_new(&g_sub) != WH_OK || wh_subscription_clear_secrets(g_sub) != WH_OK ||
        wh_subscription_add_secret(g_sub, SECRET, 0) != WH_OK)
        abort();
    static whi_signed s; /* the verified message's headers */
    if (whi_sign_subscription(&s, g_sub, MSG_ID, TS, g_body, BODY_LEN, 1) != WH_OK) abort();
    for (int i = 0; i < 3; i++) {
        g_names[i] = s.name[i];
        g_values[i] = s.value[i];
    }
}

int main(void)
{
    setup();
    report("sign", "standard body=1KiB engine", "ns_per_signature", run_engine);
    report("sign", "standard body=1KiB wh_sign", "ns_per_signature", run_public);
    report("verify", "standard body=1KiB", "ns_per_verification", run_verify);
    wh_subscription_free(g_sub);
    return 0;
}
