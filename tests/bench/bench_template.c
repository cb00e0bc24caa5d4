/*
 * Template benchmark: renders per second of the seed 003 URL and of a 1 KiB JSON body template,
 * each against a hand-written baseline producing the same output in the same run:
 * - url:  snprintf with the same format and values (what a host would write without templates);
 * - body: memcpy of an already rendered body of the same size (the cost floor of producing it).
 * Renders go into one reused buffer (the hub's allocation-free path, whi_template_render_buf);
 * the public wh_template_render, which allocates the result, is measured too, as is the
 * default envelope. Each figure runs for about a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "template_impl.h"
#include "wh_test.h"
#include "alloc.h"
#include "buf.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void must(int rc, const char *what)
{
    if (rc != WH_OK) {
        fprintf(stderr, "bench_template: %s failed: %s\n", what, wh_error_last_message());
        exit(1);
    }
}

static void emit(const char *cas, const char *metric, double value, const char *unit,
                 const char *baseline, double baseline_value)
{
    printf("{\"bench\":\"template\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":"
           "\"%s\",\"baseline\":\"%s\",\"baseline_value\":%.6g,\"ratio\":%.6g}\n",
           cas, metric, value, unit, baseline, baseline_value,
           baseline_value != 0 ? value / baseline_value : 0.0);
    fflush(stdout);
}

typedef struct job {
    const wh_template *t;
    const wh_event *ev;
    const wh_subscription *sub;
    whi_buf *buf;
    char *dst;
    const char *src;
    size_t len;
    int kind;
} job;

enum { RENDER_BUF, RENDER_ALLOC, ENVELOPE, URL_SNPRINTF, MEMCPY };

static volatile size_t g_sink; /* keeps the compiler from dropping work */

static void run_once(job *j)
{
    const wh_event *e = j->ev;
    switch (j->kind) {
    case RENDER_BUF:
        whi_buf_clear(j->buf);
        whi_template_render_buf(j->t, e, "sub_1", j->buf);
        g_sink += j->buf->len;
        break;
    case RENDER_ALLOC: {
        char *out;
        size_t len;
        wh_template_render(j->t, e, "sub_1", 0, &out, &len);
        g_sink += len;
        wh_free(out);
        break;
    }
    case ENVELOPE:
        whi_buf_clear(j->buf);
        whi_render_default_body_buf(e, j->sub, j->buf);
        g_sink += j->buf->len;
        break;
    case URL_SNPRINTF:
        g_sink +=
            (size_t)snprintf(j->dst, 4096, "https://erp.example.com/%s/%s/%s/%s?ids=%s",
                             wh_event_attribute(e, "account"), wh_event_attribute(e, "environment"),
                             wh_event_entity(e), wh_event_action(e), wh_event_ids_joined(e));
        break;
    default:
        memcpy(j->dst, j->src, j->len);
        g_sink += (size_t)(unsigned char)j->dst[j->len / 2];
    }
}

/* ns per operation, running batches until about a second has passed. */
static double time_job(job *j)
{
    for (int i = 0; i < 1000; i++)
        run_once(j);
    long n = 0;
    double t0 = now_ns(), t;
    do {
        for (int i = 0; i < 10000; i++)
            run_once(j);
        n += 10000;
        t = now_ns() - t0;
    } while (t < 1e9);
    return t / (double)n;
}

static wh_event *seed_event(void)
{
    wh_event *e;
    must(wh_event_new(&e, "order.updated"), "event_new");
    must(wh_event_set_entity(e, "Order"), "entity");
    must(wh_event_set_action(e, "update"), "action");
    must(wh_event_add_id(e, "100234"), "id");
    must(wh_event_add_id(e, "100235"), "id");
    must(wh_event_set_attribute(e, "account", "acme-shop"), "account");
    must(wh_event_set_attribute(e, "environment", "prod"), "environment");
    must(wh_event_set_attribute(e, "paymentName", "Credit card \"Visa\""), "attr");
    must(wh_event_set_attribute(e, "channelName", "Web shop (EU)"), "attr");
    must(wh_event_set_attribute(e, "orderRowId", "row-77"), "attr");
    const char *data = "{\"orderId\":100234,\"total\":129.5,\"currency\":\"EUR\","
                       "\"rows\":[{\"sku\":\"A-1\",\"qty\":2},{\"sku\":\"B-7\",\"qty\":1}]}";
    must(wh_event_set_data(e, data, strlen(data)), "data");
    const char *company = "{\"name\":\"ACME\",\"vat\":\"NL001\"}";
    must(wh_event_set_relation(e, "COMPANY", company, strlen(company)), "relation");
    return e;
}

/* A JSON body template of about 1 KiB with a placeholder every ~50 bytes. */
static char *body_source(void)
{
    static const char *const fields[] = {"entity",      "action",      "id",          "account",
                                         "environment", "paymentName", "channelName", "orderRowId",
                                         "event.id",    "timestamp"};
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{");
    for (int i = 0; b.len < 1000; i++) {
        whi_buf_printf(&b, "%s\"field_%02d_with_a_longer_name\":\"{{%s}}\"", i ? "," : "", i,
                       fields[i % 10]);
    }
    whi_buf_puts(&b, "}");
    return whi_buf_detach(&b, NULL);
}

int main(void)
{
    wh_event *e = seed_event();
    wh_subscription *sub;
    must(wh_subscription_new(&sub), "subscription_new");
    must(wh_subscription_list_add(sub, WH_LIST_RELATIONS, "COMPANY"), "relations");
    whi_buf buf = WHI_BUF_INIT;
    char *dst = malloc(1 << 16);

    /* Seed 003 URL. */
    const char *url = "https://erp.example.com/{{account}}/{{environment}}/{{entity}}/"
                      "{{action}}?ids={{id}}";
    wh_template *tu;
    must(wh_template_compile(&tu, url, strlen(url), WH_ESCAPE_URL), "compile url");
    job url_buf = {tu, e, sub, &buf, dst, NULL, 0, RENDER_BUF};
    job url_alloc = url_buf, url_snprintf = url_buf;
    url_alloc.kind = RENDER_ALLOC;
    url_snprintf.kind = URL_SNPRINTF;
    double ns_url = time_job(&url_buf), ns_url_alloc = time_job(&url_alloc),
           ns_snprintf = time_job(&url_snprintf);
    emit("seed003_url", "ns_per_render", ns_url, "ns", "snprintf", ns_snprintf);
    emit("seed003_url", "renders_per_second", 1e9 / ns_url, "renders/s", "snprintf",
         1e9 / ns_snprintf);
    emit("seed003_url_allocating", "ns_per_render", ns_url_alloc, "ns", "snprintf", ns_snprintf);

    /* 1 KiB JSON body. */
    char *body = body_source();
    wh_template *tb;
    must(wh_template_compile(&tb, body, strlen(body), WH_ESCAPE_JSON), "compile body");
    whi_buf_clear(&buf);
    must(whi_template_render_buf(tb, e, "sub_1", &buf), "render body");
    char *rendered = whi_strndup(buf.data, buf.len);
    size_t rendered_len = buf.len;
    job body_buf = {tb, e, sub, &buf, dst, rendered, rendered_len, RENDER_BUF};
    job body_copy = body_buf;
    body_copy.kind = MEMCPY;
    double ns_body = time_job(&body_buf), ns_copy = time_job(&body_copy);
    char cas[64];
    snprintf(cas, sizeof(cas), "json_body_%zub", rendered_len);
    emit(cas, "ns_per_render", ns_body, "ns", "memcpy_same_size", ns_copy);
    emit(cas, "renders_per_second", 1e9 / ns_body, "renders/s", "memcpy_same_size", 1e9 / ns_copy);

    /* Default envelope (no body template), against a copy of the same bytes. */
    whi_buf_clear(&buf);
    must(whi_render_default_body_buf(e, sub, &buf), "envelope");
    char *env = whi_strndup(buf.data, buf.len);
    job env_job = {NULL, e, sub, &buf, dst, env, buf.len, ENVELOPE};
    job env_copy = env_job;
    env_copy.kind = MEMCPY;
    double ns_env = time_job(&env_job), ns_env_copy = time_job(&env_copy);
    snprintf(cas, sizeof(cas), "default_envelope_%zub", env_job.len);
    emit(cas, "ns_per_render", ns_env, "ns", "memcpy_same_size", ns_env_copy);

    whi_free(env);
    whi_free(rendered);
    whi_free(body);
    free(dst);
    whi_buf_free(&buf);
    wh_template_free(tu);
    wh_template_free(tb);
    wh_subscription_free(sub);
    wh_event_free(e);
    return 0;
}
