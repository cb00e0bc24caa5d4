/*
 * libFuzzer target: one registration API request per input, against a fresh hub (memory store,
 * an in-process transport that answers at once) holding a webhook of alice and one of bob with
 * a delivery each.
 *
 * Input: byte 0 method, byte 1 credential, byte 2 Content-Type, byte 3 flags (bit 0 reveal
 * secrets, bit 1 a catalogue, bit 2 only POST allowed, bit 3 server ids, bit 4 body_too_large,
 * bit 5 through wh_api_handle_simple, bit 6 a small body limit), then "PATH[?QUERY]\nBODY".
 * In the path, "$A" / "$B" stand for alice's / bob's webhook id and "$D" / "$E" for their
 * delivery ids.
 *
 * Invariants: an answer always comes (never 500: nothing fails inside), it is JSON with the
 * error shape on 4xx, bob's webhook never changes unless bob asked, nothing changes on a 4xx,
 * and the stored (generated) secrets never appear in an answer unless the host reveals them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a transport that answers every request at once: 500 when the URL says "fail" ---- */

typedef struct stub_req {
    wh_http_done_cb done;
    void *ud;
    int status;
    uint64_t id;
} stub_req;

typedef struct stub {
    stub_req q[64];
    size_t n;
    uint64_t next;
} stub;

static int stub_start(wh_transport *t, const wh_http_request *req, wh_http_done_cb done, void *ud,
                      uint64_t *id)
{
    stub *s = t->data;
    if (s->n == 64) return WH_EBUSY;
    stub_req *r = &s->q[s->n++];
    r->done = done;
    r->ud = ud;
    r->status = strstr(req->url, "fail") ? 500 : 200;
    r->id = ++s->next;
    if (id) *id = r->id;
    return WH_OK;
}

static int stub_perform(wh_transport *t, int timeout_ms, size_t *running)
{
    (void)timeout_ms;
    stub *s = t->data;
    stub_req q[64];
    size_t n = s->n;
    memcpy(q, s->q, n * sizeof(*q));
    s->n = 0;
    for (size_t i = 0; i < n; i++) {
        wh_http_response resp = {q[i].status, WH_OK, NULL, "ok", 2, 2, NULL, 1};
        q[i].done(&resp, q[i].ud);
    }
    if (running) *running = s->n;
    return WH_OK;
}

static int stub_cancel(wh_transport *t, uint64_t id)
{
    stub *s = t->data;
    for (size_t i = 0; i < s->n; i++)
        if (s->q[i].id == id) {
            s->q[i] = s->q[--s->n];
            return WH_OK;
        }
    return WH_ENOTFOUND;
}

static void stub_free(wh_transport *t)
{
    free(t->data);
    free(t);
}

static wh_transport *stub_new(void)
{
    wh_transport *t = calloc(1, sizeof(*t));
    FUZZ_CHECK(t && (t->data = calloc(1, sizeof(stub))));
    t->version = WH_TRANSPORT_VERSION;
    t->start = stub_start;
    t->perform = stub_perform;
    t->cancel = stub_cancel;
    t->free = stub_free;
    return t;
}

/* ---- the world each input starts from ---- */

static wh_time_ms fixed_clock(void *ud)
{
    (void)ud;
    return 1800000000000LL;
}

typedef struct world {
    wh_hub *hub;
    wh_api *api;
    char dlv_a[64], dlv_b[64];
    char secret_a[128], secret_b[128]; /* generated: a request cannot know them */
} world;

static void add_webhook(wh_hub *hub, const char *json)
{
    wh_subscription *sub;
    FUZZ_CHECK(wh_subscription_from_json(&sub, json, strlen(json)) == WH_OK);
    FUZZ_CHECK(wh_hub_subscription_add(hub, sub) == WH_OK);
    wh_subscription_free(sub);
}

static int first_id(const wh_delivery *d, void *ud)
{
    snprintf(ud, 64, "%s", d->id);
    return 1;
}

static void delivery_of(wh_hub *hub, const char *sub, char *out)
{
    wh_store *st = wh_hub_store(hub);
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = sub;
    FUZZ_CHECK(st->delivery_list(st, &q, NULL, first_id, out) == WH_OK && out[0]);
}

static void secret_of(wh_hub *hub, const char *id, char *out)
{
    wh_subscription *sub;
    FUZZ_CHECK(wh_hub_subscription_get(hub, id, &sub) == WH_OK);
    snprintf(out, 128, "%s", wh_subscription_secret_at(sub, 0));
    wh_subscription_free(sub);
}

static void world_start(world *w, unsigned flags)
{
    memset(w, 0, sizeof(*w));
    wh_store *store;
    FUZZ_CHECK(wh_store_memory_new(&store) == WH_OK);
    wh_hub_options *o;
    FUZZ_CHECK(wh_hub_options_new(&o) == WH_OK);
    FUZZ_CHECK(wh_hub_options_set_store(o, store, 1) == WH_OK);
    FUZZ_CHECK(wh_hub_options_set_transport(o, stub_new(), 1) == WH_OK);
    FUZZ_CHECK(wh_hub_options_set_clock(o, fixed_clock, NULL) == WH_OK);
    FUZZ_CHECK(wh_hub_options_allow_cidr(o, "127.0.0.0/8") == WH_OK);
    FUZZ_CHECK(wh_hub_options_set_jitter_percent(o, 0) == WH_OK);
    FUZZ_CHECK(wh_hub_new(&w->hub, o) == WH_OK);
    wh_hub_options_free(o);
    add_webhook(w->hub, "{\"id\":\"alice-1\",\"ownerId\":\"alice\",\"url\":\"http://127.0.0.1/"
                        "fail\",\"events\":[\"order.*\"],\"retry\":false}");
    add_webhook(w->hub, "{\"id\":\"bob-1\",\"ownerId\":\"bob\",\"url\":\"http://127.0.0.1/ok\","
                        "\"events\":[\"order.created\"],\"headers\":{\"X-B\":\"b\"}}");
    wh_event *ev;
    FUZZ_CHECK(wh_event_new(&ev, "order.created") == WH_OK);
    FUZZ_CHECK(wh_hub_emit(w->hub, ev, NULL) == WH_OK);
    wh_event_free(ev);
    for (int i = 0; i < 4; i++)
        FUZZ_CHECK(wh_hub_run(w->hub, 0) == WH_OK);
    delivery_of(w->hub, "alice-1", w->dlv_a);
    delivery_of(w->hub, "bob-1", w->dlv_b);
    secret_of(w->hub, "alice-1", w->secret_a);
    secret_of(w->hub, "bob-1", w->secret_b);

    FUZZ_CHECK(wh_api_new(&w->api, w->hub) == WH_OK);
    FUZZ_CHECK(wh_api_set_reveal_secrets(w->api, flags & 1) == WH_OK);
    FUZZ_CHECK(wh_api_set_allowed_methods(w->api, flags & 4 ? WH_API_METHOD_BIT(WH_METHOD_POST)
                                                            : 0) == WH_OK);
    FUZZ_CHECK(wh_api_set_server_ids(w->api, (flags & 8) != 0) == WH_OK);
    FUZZ_CHECK(wh_api_set_max_body(w->api, flags & 64 ? 100 : 0) == WH_OK);
    FUZZ_CHECK(wh_api_add_key(w->api, "ka", "alice", WH_SCOPE_ALL) == WH_OK);
    FUZZ_CHECK(wh_api_add_key(w->api, "kb", "bob", WH_SCOPE_ALL) == WH_OK);
    FUZZ_CHECK(wh_api_add_key(w->api, "kr", "alice", WH_SCOPE_WEBHOOKS_READ) == WH_OK);
    if (flags & 2) {
        const char *actions[] = {"create", "cancel"};
        FUZZ_CHECK(wh_api_catalogue_add_type(w->api, "order.created", "Order", "1") == WH_OK);
        FUZZ_CHECK(wh_api_catalogue_add_type(w->api, "order.paid", NULL, NULL) == WH_OK);
        FUZZ_CHECK(wh_api_catalogue_add_entity(w->api, "Order", actions, 2) == WH_OK);
        FUZZ_CHECK(wh_api_catalogue_add_relation(w->api, "COMPANY") == WH_OK);
    }
}

static void world_stop(world *w)
{
    wh_api_free(w->api);
    wh_hub_free(w->hub);
}

static char *stored(world *w, const char *id)
{
    wh_subscription *sub;
    if (wh_hub_subscription_get(w->hub, id, &sub) != WH_OK) return NULL;
    char *json = NULL;
    FUZZ_CHECK(wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, NULL) == WH_OK);
    wh_subscription_free(sub);
    return json;
}

static int stop_at_once(const wh_subscription *sub, void *ud)
{
    (void)sub;
    (void)ud;
    return 1;
}

static size_t count_webhooks(world *w)
{
    wh_store *st = wh_hub_store(w->hub);
    size_t total = 0;
    FUZZ_CHECK(st->sub_list(st, NULL, 1, 1, &total, stop_at_once, NULL) == WH_OK);
    return total;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ---- the request ---- */

/* The path with $A $B $D $E replaced (at most 4096 bytes). */
static char *expand(world *w, const char *s, size_t len)
{
    char *out = malloc(len * 40 + 1);
    FUZZ_CHECK(out != NULL);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        if (s[i] == '$' && i + 1 < len) {
            char k = s[i + 1];
            rep = k == 'A'   ? "alice-1"
                  : k == 'B' ? "bob-1"
                  : k == 'D' ? w->dlv_a
                  : k == 'E' ? w->dlv_b
                             : NULL;
        }
        if (rep) {
            memcpy(out + o, rep, strlen(rep));
            o += strlen(rep);
            i++;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static void check_answer(int status, const char *body, size_t len)
{
    static const int ok[] = {200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415};
    bool known = false;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        known |= status == ok[i];
    if (!known) fprintf(stderr, "status %d: %.*s\n", status, (int)len, body ? body : "");
    FUZZ_CHECK(known);
    if (status == 204) {
        FUZZ_CHECK(body == NULL);
        return;
    }
    FUZZ_CHECK(body != NULL && strlen(body) == len);
    cJSON *j = cJSON_ParseWithLength(body, len);
    FUZZ_CHECK(j != NULL);
    if (status >= 400) {
        FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "message")));
        FUZZ_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "details")));
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET",    "POST",    "PUT",  "PATCH",
                                          "DELETE", "OPTIONS", "HEAD", "post"};
    static const char *const ctypes[] = {"application/json", NULL, "text/plain",
                                         "application/merge-patch+json; charset=utf-8",
                                         "application/json; charset=latin1"};
    if (size < 4 || size > 65536) return 0;
    unsigned flags = data[3];
    world w;
    world_start(&w, flags);
    const char *method = methods[data[0] % 8];
    const char *ctype = ctypes[data[2] % 5];
    const char *names[3], *values[3];
    size_t nh = 0;
    unsigned who = data[1] % 7;
    static const char *const creds[][2] = {{NULL, NULL},
                                           {"x-api-key", "ka"},
                                           {"Authorization", "Bearer kb"},
                                           {"x-api-key", "kr"},
                                           {"Authorization", "bearer  ka "},
                                           {"x-api-key", "nope"},
                                           {"Authorization", "Basic a2E6"}};
    if (creds[who][0]) {
        names[nh] = creds[who][0];
        values[nh++] = creds[who][1];
    }
    if (ctype) {
        names[nh] = "Content-Type";
        values[nh++] = ctype;
    }
    bool as_bob = who == 2;
    const char *rest = (const char *)data + 4;
    size_t rlen = size - 4;
    const char *nl = memchr(rest, '\n', rlen);
    size_t plen = nl ? (size_t)(nl - rest) : rlen;
    if (plen > 4096) plen = 4096;
    char *path = expand(&w, rest, plen);
    const char *body = nl ? nl + 1 : NULL;
    size_t blen = nl ? rlen - plen - 1 : 0;

    char *alice_before = stored(&w, "alice-1"), *bob_before = stored(&w, "bob-1");
    size_t count_before = count_webhooks(&w);
    int status;
    char *rbody = NULL;
    size_t rlen_out = 0;
    if (flags & 32) {
        char *headers = NULL;
        FUZZ_CHECK(wh_api_handle_simple(w.api, method, path, NULL, names, values, nh, body, blen,
                                        &status, &headers, &rbody, &rlen_out) == WH_OK);
        FUZZ_CHECK(headers != NULL);
        wh_free(headers);
    } else {
        wh_api_request req = WH_API_REQUEST_INIT;
        req.method = method;
        req.path = path;
        req.header_names = names;
        req.header_values = values;
        req.header_count = nh;
        req.body = body;
        req.body_len = blen;
        req.body_too_large = (flags & 16) != 0;
        wh_api_response resp = WH_API_RESPONSE_INIT;
        FUZZ_CHECK(wh_api_handle(w.api, &req, &resp) == WH_OK);
        for (size_t i = 0; i < resp.header_count; i++)
            FUZZ_CHECK(!strpbrk(resp.headers[i].value, "\r\n"));
        status = resp.status;
        rbody = resp.body;
        rlen_out = resp.body_len;
        resp.body = NULL;
        wh_api_response_free(&resp);
    }
    if (getenv("FUZZ_API_VERBOSE")) /* for keeping the seed corpus meaningful */
        fprintf(stderr, "%s %s -> %d %.160s\n", method, path, status, rbody ? rbody : "");
    check_answer(status, rbody, rlen_out);
    /* stored secrets stay hidden unless the host reveals them */
    if (rbody && !(flags & 1)) FUZZ_CHECK(!strstr(rbody, w.secret_a) && !strstr(rbody, w.secret_b));
    char *alice_after = stored(&w, "alice-1"), *bob_after = stored(&w, "bob-1");
    if (!as_bob) FUZZ_CHECK(same(bob_before, bob_after));
    if (status >= 400) {
        FUZZ_CHECK(same(alice_before, alice_after) && same(bob_before, bob_after));
        FUZZ_CHECK(count_webhooks(&w) == count_before);
    }
    /* the hub keeps working after whatever happened */
    FUZZ_CHECK(wh_hub_run(w.hub, 0) == WH_OK);
    wh_free(rbody);
    wh_free(alice_before);
    wh_free(alice_after);
    wh_free(bob_before);
    wh_free(bob_after);
    free(path);
    world_stop(&w);
    return 0;
}
