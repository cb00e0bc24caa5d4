/* The loopback test receiver (tests/support/receiver.h), exercised for real with libcurl. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

#include "receiver.h"
#include "wh_test.h"

/* ---- a small libcurl client ---- */

typedef struct http_result {
    CURLcode code;
    long status;
    unsigned char *body;
    size_t body_len;
    char headers[4096]; /* raw response header block(s) */
    size_t headers_len;
    int64_t elapsed_ms;
} http_result;

typedef struct http_req {
    const char *method; /* NULL: GET, or POST when body is set */
    const char *url;
    const void *body;
    size_t body_len;
    const char *const *headers; /* NULL-terminated "Name: value" lines */
    long timeout_ms;            /* 0: 10 s */
    CURL *reuse;                /* an easy handle to reuse (keep-alive), or NULL */
} http_req;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    http_result *res = ud;
    size_t len = size * n;
    unsigned char *b = realloc(res->body, res->body_len + len + 1);
    if (!b) return 0;
    memcpy(b + res->body_len, p, len);
    res->body = b;
    res->body_len += len;
    b[res->body_len] = 0;
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    http_result *res = ud;
    size_t len = size * n;
    if (res->headers_len + len < sizeof(res->headers)) {
        memcpy(res->headers + res->headers_len, p, len);
        res->headers_len += len;
        res->headers[res->headers_len] = '\0';
    }
    return len;
}

static http_result http(const http_req *rq)
{
    http_result res;
    memset(&res, 0, sizeof(res));
    CURL *c = rq->reuse ? rq->reuse : curl_easy_init();
    assert_non_null(c);
    struct curl_slist *hl = NULL;
    for (size_t i = 0; rq->headers && rq->headers[i]; i++)
        hl = curl_slist_append(hl, rq->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never through an environment proxy */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms ? rq->timeout_ms : 60000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &res);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &res);
    if (rq->body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    int64_t t0 = now_ms();
    res.code = curl_easy_perform(c);
    res.elapsed_ms = now_ms() - t0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    if (!rq->reuse) curl_easy_cleanup(c);
    return res;
}

static http_result get(const char *url)
{
    http_req rq = {NULL, url, NULL, 0, NULL, 0, NULL};
    return http(&rq);
}

static void result_free(http_result *res)
{
    free(res->body);
    res->body = NULL;
}

/* Requests run on their own threads, for concurrency and for clients that block. */
typedef struct client {
    pthread_t thread;
    http_req rq;
    char url[128];
    char body[32];
    http_result res;
} client;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *client_main(void *arg)
{
    client *cl = arg;
    cl->rq.url = cl->url;
    cl->res = http(&cl->rq);
    return NULL;
}

static void client_start(client *cl)
{
    assert_int_equal(pthread_create(&cl->thread, NULL, client_main, cl), 0);
}

static wh_receiver *start(void)
{
    wh_receiver *r = wh_receiver_start();
    if (!r) skip();
    return r;
}

/* ---- tests ---- */

static void test_records_requests_exactly(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    int port = wh_receiver_port(r);
    assert_true(port > 0 && port < 65536);
    wh_receiver_url(r, "hook?a=1&b=%20x", url, sizeof(url));
    char want[128];
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/hook?a=1&b=%%20x", port);
    assert_string_equal(url, want);

    static const char body[] = "{\"type\":\"invoice.paid\"}";
    static const char *const hdrs[] = {"X-First: one",
                                       "x-second: two",
                                       "X-Dup: a",
                                       "X-Dup: b",
                                       "Content-Type: application/json",
                                       NULL};
    int64_t before = now_ms();
    http_req rq = {NULL, url, body, strlen(body), hdrs, 0, NULL};
    http_result res = http(&rq);
    int64_t after = now_ms();
    assert_int_equal(res.code, CURLE_OK);
    assert_int_equal(res.status, 200);
    assert_int_equal(res.body_len, 0);

    assert_true(wh_receiver_wait(r, 1, 1000));
    assert_int_equal(wh_receiver_count(r), 1);
    const wh_recv_request *q = wh_receiver_request(r, 0);
    assert_non_null(q);
    assert_null(wh_receiver_request(r, 1));
    assert_int_equal(q->index, 0);
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->target, "/hook?a=1&b=%20x"); /* as sent, not decoded */
    assert_string_equal(q->version, "HTTP/1.1");
    assert_int_equal(q->body_len, strlen(body));
    assert_memory_equal(q->body, body, q->body_len);
    assert_int_equal(q->body[q->body_len], 0);
    assert_true(q->mono_ms >= before && q->mono_ms <= after);
    assert_true(q->wall_ms > 1600000000000LL);
    assert_true(q->conn_id >= 1);
    /* Lookups ignore case; order and duplicates are kept. */
    assert_string_equal(wh_recv_request_header(q, "x-first"), "one");
    assert_string_equal(wh_recv_request_header(q, "X-SECOND"), "two");
    assert_string_equal(wh_recv_request_header(q, "content-type"), "application/json");
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", port);
    assert_string_equal(wh_recv_request_header(q, "Host"), host);
    assert_null(wh_recv_request_header(q, "X-Missing"));
    assert_int_equal(wh_recv_request_header_count(q, "x-dup"), 2);
    size_t first = q->header_count, second = q->header_count, dup_a = 0, dup_b = 0;
    for (size_t i = 0; i < q->header_count; i++) {
        if (strcmp(q->headers[i].name, "X-First") == 0) first = i;
        if (strcmp(q->headers[i].name, "x-second") == 0) /* the client's spelling kept */
            second = i;
        if (strcmp(q->headers[i].value, "a") == 0) dup_a = i;
        if (strcmp(q->headers[i].value, "b") == 0) dup_b = i;
    }
    assert_true(first < second && second < q->header_count);
    assert_true(dup_a < dup_b);

    /* A 100 KiB header is recorded whole (libmicrohttpd's default room is 32 KiB). */
    size_t big = 100 * 1024;
    char *line = malloc(big + 16);
    assert_non_null(line);
    memcpy(line, "X-Big: ", 7);
    memset(line + 7, 'v', big);
    line[7 + big] = '\0';
    const char *big_hdrs[] = {line, NULL};
    http_req brq = {NULL, url, NULL, 0, big_hdrs, 0, NULL};
    res = http(&brq);
    assert_int_equal(res.status, 200);
    q = wh_receiver_request(r, 1);
    assert_int_equal(strlen(wh_recv_request_header(q, "x-big")), big);
    free(line);

    /* A GET has an empty body. */
    wh_receiver_url(r, "/plain", url, sizeof(url));
    res = get(url);
    assert_int_equal(res.status, 200);
    q = wh_receiver_request(r, 2);
    assert_string_equal(q->method, "GET");
    assert_string_equal(q->target, "/plain");
    assert_int_equal(q->body_len, 0);
    assert_int_equal(wh_receiver_count_prefix(r, "/hook"), 2);
    assert_int_equal(wh_receiver_count_prefix(r, NULL), 3);
    wh_receiver_clear_log(r);
    assert_int_equal(wh_receiver_count(r), 0);
    wh_receiver_stop(r);
}

static void test_status_rules_by_prefix(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char a[128], b[128], c[128];
    wh_receiver_url(r, "/a/x", a, sizeof(a));
    wh_receiver_url(r, "/a/b/y", b, sizeof(b));
    wh_receiver_url(r, "/c", c, sizeof(c));
    assert_true(wh_receiver_set_status(r, "/a", 204));
    assert_true(wh_receiver_set_status(r, "/a/b", 410));
    assert_true(wh_receiver_set_status(r, NULL, 503));
    assert_int_equal(get(a).status, 204);
    assert_int_equal(get(b).status, 410); /* the longest prefix wins */
    assert_int_equal(get(c).status, 503);
    assert_true(wh_receiver_set_status(r, "/a", 201)); /* replaces */
    assert_int_equal(get(a).status, 201);
    wh_receiver_clear_rules(r);
    assert_int_equal(get(b).status, 200);
    assert_int_equal(wh_receiver_count(r), 5);
    wh_receiver_stop(r);
}

static void test_status_sequence(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    wh_receiver_url(r, "/seq", url, sizeof(url));
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.first_count = 2;
    rule.first_status = 500;
    rule.reply.status = 200;
    assert_true(wh_receiver_set(r, "/seq", &rule));
    long got[4];
    for (int i = 0; i < 4; i++)
        got[i] = get(url).status;
    assert_int_equal(got[0], 500);
    assert_int_equal(got[1], 500);
    assert_int_equal(got[2], 200);
    assert_int_equal(got[3], 200);
    /* Setting the rule again restarts the sequence. */
    assert_true(wh_receiver_set(r, "/seq", &rule));
    assert_int_equal(get(url).status, 500);
    wh_receiver_stop(r);
}

static void test_headers_redirect_and_body(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 302;
    rule.reply.headers[0] = (wh_receiver_header){"Location", "/elsewhere"};
    assert_true(wh_receiver_set(r, "/redirect", &rule));
    memset(&rule, 0, sizeof(rule));
    rule.reply.status = 429;
    rule.reply.headers[0] = (wh_receiver_header){"Retry-After", "2"};
    rule.reply.headers[1] = (wh_receiver_header){"X-Reason", "slow down"};
    rule.reply.body = "{\"error\":\"rate limited\"}";
    assert_true(wh_receiver_set(r, "/limited", &rule));

    wh_receiver_url(r, "/redirect", url, sizeof(url));
    http_result res = get(url); /* libcurl does not follow unless told */
    assert_int_equal(res.code, CURLE_OK);
    assert_int_equal(res.status, 302);
    assert_non_null(strstr(res.headers, "Location: /elsewhere\r\n"));
    result_free(&res);

    wh_receiver_url(r, "/limited", url, sizeof(url));
    res = get(url);
    assert_int_equal(res.status, 429);
    assert_non_null(strstr(res.headers, "Retry-After: 2\r\n"));
    assert_non_null(strstr(res.headers, "X-Reason: slow down\r\n"));
    assert_int_equal(res.body_len, strlen("{\"error\":\"rate limited\"}"));
    assert_string_equal((char *)res.body, "{\"error\":\"rate limited\"}");
    result_free(&res);

    /* A reply body holding NUL bytes arrives byte for byte. */
    static const unsigned char bin[] = {0, 1, 0, 'x', 0, 0xff, 0};
    memset(&rule, 0, sizeof(rule));
    rule.reply.body = bin;
    rule.reply.body_len = sizeof(bin);
    assert_true(wh_receiver_set(r, "/bin", &rule));
    wh_receiver_url(r, "/bin", url, sizeof(url));
    res = get(url);
    assert_int_equal(res.body_len, sizeof(bin));
    assert_memory_equal(res.body, bin, sizeof(bin));
    result_free(&res);
    wh_receiver_stop(r);
}

static void test_request_body_with_nuls(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    wh_receiver_url(r, "/bytes", url, sizeof(url));
    /* Small and large (past libcurl's Expect: 100-continue threshold and MHD's buffers). */
    size_t sizes[] = {1, 1000, 3 * 1024 * 1024 + 7};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        unsigned char *body = malloc(n);
        assert_non_null(body);
        for (size_t i = 0; i < n; i++)
            body[i] = (unsigned char)(i % 3 == 0 ? 0 : (i * 7 + k) & 0xff);
        http_req rq = {NULL, url, body, n, NULL, 0, NULL};
        http_result res = http(&rq);
        assert_int_equal(res.code, CURLE_OK);
        assert_int_equal(res.status, 200);
        const wh_recv_request *q = wh_receiver_request(r, k);
        assert_non_null(q);
        assert_int_equal(q->body_len, n);
        assert_memory_equal(q->body, body, n);
        free(body);
    }
    wh_receiver_stop(r);
}

static void test_slow_answer_vs_client_timeout(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    wh_receiver_url(r, "/slow", url, sizeof(url));
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.delay_ms = 2000;
    assert_true(wh_receiver_set(r, "/slow", &rule));
    http_req rq = {NULL, url, "x", 1, NULL, 300, NULL};
    http_result res = http(&rq);
    assert_int_equal(res.code, CURLE_OPERATION_TIMEDOUT);
    assert_true(res.elapsed_ms >= 250 && res.elapsed_ms < 1900);
    assert_int_equal(wh_receiver_count(r), 1); /* it arrived, it was just not answered in time */

    /* Within the client's timeout the delayed answer arrives, no sooner than the delay. */
    rule.reply.delay_ms = 300;
    assert_true(wh_receiver_set(r, "/slow", &rule));
    rq.timeout_ms = 5000;
    res = http(&rq);
    assert_int_equal(res.code, CURLE_OK);
    assert_int_equal(res.status, 200);
    assert_true(res.elapsed_ms >= 290);
    wh_receiver_stop(r);
}

static void test_hold_then_release(void **state)
{
    (void)state;
    wh_receiver *r = start();
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.hold = true;
    rule.reply.status = 202;
    assert_true(wh_receiver_set(r, "/hold", &rule));
    client cl[2];
    memset(cl, 0, sizeof(cl));
    for (int i = 0; i < 2; i++) {
        wh_receiver_url(r, "/hold", cl[i].url, sizeof(cl[i].url));
        client_start(&cl[i]);
    }
    assert_true(wh_receiver_wait_held(r, 2, 5000));
    assert_int_equal(wh_receiver_held(r), 2);
    assert_int_equal(wh_receiver_active(r), 2);
    wh_receiver_release(r);
    for (int i = 0; i < 2; i++) {
        pthread_join(cl[i].thread, NULL);
        assert_int_equal(cl[i].res.code, CURLE_OK);
        assert_int_equal(cl[i].res.status, 202);
    }
    assert_int_equal(wh_receiver_held(r), 0);
    /* A later request is held again. */
    char url[128];
    wh_receiver_url(r, "/hold", url, sizeof(url));
    http_req late = {NULL, url, NULL, 0, NULL, 400, NULL};
    assert_int_equal(http(&late).code, CURLE_OPERATION_TIMEDOUT);
    wh_receiver_stop(r);
}

static void test_never_answer_and_prompt_stop(void **state)
{
    (void)state;
    wh_receiver *r = start();
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.hold = true;
    assert_true(wh_receiver_set(r, "/silent", &rule));
    /* An idle keep-alive connection too. */
    CURL *idle = curl_easy_init();
    char url[128];
    wh_receiver_url(r, "/ok", url, sizeof(url));
    http_req rq = {NULL, url, NULL, 0, NULL, 0, idle};
    assert_int_equal(http(&rq).status, 200);

    client cl[3];
    memset(cl, 0, sizeof(cl));
    for (int i = 0; i < 3; i++) {
        wh_receiver_url(r, "/silent", cl[i].url, sizeof(cl[i].url));
        cl[i].rq.timeout_ms = 20000;
        client_start(&cl[i]);
    }
    assert_true(wh_receiver_wait_held(r, 3, 5000));
    sleep_ms(200); /* silence really lasts: nobody got an answer */
    assert_int_equal(wh_receiver_held(r), 3);
    int64_t t0 = now_ms();
    wh_receiver_stop(r);
    int64_t took = now_ms() - t0;
    print_message("stop() with 3 held and 1 idle connection took %lld ms\n", (long long)took);
    assert_true(took < 2000);
    for (int i = 0; i < 3; i++) {
        pthread_join(cl[i].thread, NULL);
        /* The connection closed without an answer: an error, well before the 20 s timeout. */
        assert_int_not_equal(cl[i].res.code, CURLE_OK);
        assert_int_not_equal(cl[i].res.code, CURLE_OPERATION_TIMEDOUT);
        assert_true(cl[i].res.elapsed_ms < 10000);
    }
    curl_easy_cleanup(idle);
}

static void test_reset_mid_response(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.reset = true;
    rule.reply.reset_after = 1000;
    rule.reply.body_len = 100000;
    assert_true(wh_receiver_set(r, "/reset", &rule));
    wh_receiver_url(r, "/reset", url, sizeof(url));
    http_result res = get(url);
    print_message("reset (FIN): curl %d %s, %zu bytes\n", res.code, curl_easy_strerror(res.code),
                  res.body_len);
    assert_int_equal(res.code, CURLE_PARTIAL_FILE); /* closed with bytes outstanding */
    assert_int_equal(res.status, 200);              /* the status line and headers did arrive */
    assert_non_null(strstr(res.headers, "Content-Length: 100000"));
    assert_true(res.body_len <= 1000);
    for (size_t i = 0; i < res.body_len; i++)
        assert_int_equal(res.body[i], wh_receiver_body_byte(i));
    result_free(&res);

    rule.reply.reset_rst = true;
    assert_true(wh_receiver_set(r, "/reset", &rule));
    res = get(url);
    print_message("reset (RST): curl %d %s, %zu bytes\n", res.code, curl_easy_strerror(res.code),
                  res.body_len);
    assert_int_equal(res.code, CURLE_RECV_ERROR); /* "Connection reset by peer" */
    assert_true(res.body_len <= 1000);
    result_free(&res);

    /* A drop closes without a byte of answer. */
    memset(&rule, 0, sizeof(rule));
    rule.reply.drop = true;
    assert_true(wh_receiver_set(r, "/drop", &rule));
    wh_receiver_url(r, "/drop", url, sizeof(url));
    res = get(url);
    assert_int_equal(res.code, CURLE_GOT_NOTHING);
    result_free(&res);

    /* The receiver is still healthy afterwards. */
    wh_receiver_url(r, "/fine", url, sizeof(url));
    assert_int_equal(get(url).status, 200);
    assert_int_equal(wh_receiver_count(r), 4);
    wh_receiver_stop(r);
}

static void test_large_streamed_body(void **state)
{
    (void)state;
    wh_receiver *r = start();
    const size_t big = 10u * 1024 * 1024;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.body_len = big;
    assert_true(wh_receiver_set(r, "/big", &rule));
    char url[128];
    wh_receiver_url(r, "/big", url, sizeof(url));
    http_result res = get(url);
    assert_int_equal(res.code, CURLE_OK);
    assert_int_equal(res.status, 200);
    assert_int_equal(res.body_len, big);
    size_t bad = 0;
    for (size_t i = 0; i < big; i++)
        bad += res.body[i] != wh_receiver_body_byte(i);
    assert_int_equal(bad, 0);
    result_free(&res);
    wh_receiver_stop(r);
}

static void test_concurrent_requests(void **state)
{
    (void)state;
    wh_receiver *r = start();
    enum { N = 20 };
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.delay_ms = 500; /* keeps them in flight together */
    assert_true(wh_receiver_set(r, "/c/", &rule));
    client *cl = calloc(N, sizeof(*cl));
    assert_non_null(cl);
    for (int i = 0; i < N; i++) {
        snprintf(cl[i].body, sizeof(cl[i].body), "request-%d", i);
        char path[32];
        snprintf(path, sizeof(path), "/c/%d", i);
        wh_receiver_url(r, path, cl[i].url, sizeof(cl[i].url));
        cl[i].rq.body = cl[i].body;
        cl[i].rq.body_len = strlen(cl[i].body);
        client_start(&cl[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(cl[i].thread, NULL);
        assert_int_equal(cl[i].res.code, CURLE_OK);
        assert_int_equal(cl[i].res.status, 200);
    }
    assert_true(wh_receiver_wait(r, N, 1000));
    assert_int_equal(wh_receiver_count(r), N);
    /* Every request recorded once, its body with its path. */
    int seen[N] = {0};
    for (size_t k = 0; k < N; k++) {
        const wh_recv_request *q = wh_receiver_request(r, k);
        int i = atoi(q->target + 3);
        assert_true(i >= 0 && i < N);
        char want[32];
        snprintf(want, sizeof(want), "request-%d", i);
        assert_int_equal(q->body_len, strlen(want));
        assert_memory_equal(q->body, want, q->body_len);
        seen[i]++;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    print_message("max requests in flight at once: %zu\n", wh_receiver_max_active(r));
    assert_true(wh_receiver_max_active(r) >= 10); /* handled side by side, not one by one */
    assert_true(wh_receiver_connections(r) >= N);
    free(cl);
    wh_receiver_stop(r);
}

typedef struct hook_data {
    size_t calls;
    size_t last_nth;
    char echo[64];
} hook_data;

/* Answers 418 to requests carrying "X-Teapot", and echoes the target in the body. */
static void teapot_hook(const wh_recv_request *req, size_t nth, wh_receiver_reply *reply,
                        void *user_data)
{
    hook_data *d = user_data;
    d->calls++;
    d->last_nth = nth;
    if (wh_recv_request_header(req, "x-teapot")) reply->status = 418;
    snprintf(d->echo, sizeof(d->echo), "%s", req->target);
    reply->body = d->echo;
    reply->body_len = 0;
    reply->headers[1] = (wh_receiver_header){"X-Nth", nth % 2 ? "odd" : "even"};
}

static void test_hook(void **state)
{
    (void)state;
    wh_receiver *r = start();
    hook_data d;
    memset(&d, 0, sizeof(d));
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 201;
    rule.reply.headers[0] = (wh_receiver_header){"X-From-Rule", "yes"};
    rule.hook = teapot_hook;
    rule.user_data = &d;
    assert_true(wh_receiver_set(r, "/h", &rule));
    char url[128];
    wh_receiver_url(r, "/h?n=1", url, sizeof(url));
    http_result res = get(url);
    assert_int_equal(res.status, 201);
    assert_string_equal((char *)res.body, "/h?n=1");
    assert_non_null(strstr(res.headers, "X-From-Rule: yes"));
    assert_non_null(strstr(res.headers, "X-Nth: even"));
    result_free(&res);
    static const char *const teapot[] = {"X-Teapot: 1", NULL};
    http_req rq = {NULL, url, NULL, 0, teapot, 0, NULL};
    res = http(&rq);
    assert_int_equal(res.status, 418);
    assert_non_null(strstr(res.headers, "X-Nth: odd"));
    result_free(&res);
    assert_int_equal(d.calls, 2);
    assert_int_equal(d.last_nth, 1);
    wh_receiver_stop(r);
}

static void test_keep_alive_and_wait_timeout(void **state)
{
    (void)state;
    wh_receiver *r = start();
    char url[128];
    wh_receiver_url(r, "/k", url, sizeof(url));
    CURL *c = curl_easy_init();
    http_req rq = {NULL, url, NULL, 0, NULL, 0, c};
    assert_int_equal(http(&rq).status, 200);
    assert_int_equal(http(&rq).status, 200);
    curl_easy_cleanup(c);
    assert_int_equal(get(url).status, 200);
    const wh_recv_request *a = wh_receiver_request(r, 0), *b = wh_receiver_request(r, 1),
                          *n = wh_receiver_request(r, 2);
    assert_int_equal(a->conn_id, b->conn_id); /* one connection, reused */
    assert_int_not_equal(n->conn_id, a->conn_id);
    assert_int_equal(wh_receiver_connections(r), 2);
    assert_int_equal(wh_receiver_max_active(r), 1);
    /* Waiting for more than will come gives up after the timeout. */
    int64_t t0 = now_ms();
    assert_false(wh_receiver_wait(r, 4, 150));
    int64_t took = now_ms() - t0;
    assert_true(took >= 140 && took < 2000);
    assert_true(wh_receiver_wait(r, 3, 0));
    assert_false(wh_receiver_wait_held(r, 1, 50));
    wh_receiver_stop(r);
    wh_receiver_stop(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_requests_exactly),
        cmocka_unit_test(test_status_rules_by_prefix),
        cmocka_unit_test(test_status_sequence),
        cmocka_unit_test(test_headers_redirect_and_body),
        cmocka_unit_test(test_request_body_with_nuls),
        cmocka_unit_test(test_slow_answer_vs_client_timeout),
        cmocka_unit_test(test_hold_then_release),
        cmocka_unit_test(test_never_answer_and_prompt_stop),
        cmocka_unit_test(test_reset_mid_response),
        cmocka_unit_test(test_large_streamed_body),
        cmocka_unit_test(test_concurrent_requests),
        cmocka_unit_test(test_hook),
        cmocka_unit_test(test_keep_alive_and_wait_timeout),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
