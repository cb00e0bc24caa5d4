/*
 * The registration API's delivery side, end to end through a real loopback receiver:
 * POST /events reaches the caller's own webhooks, POST /webhooks/{id}/test reaches one webhook,
 * the delivery log shows every attempt, and a retry sends a failed delivery again with the same
 * webhook-id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_fixture.h"
#include "wh_test.h"

/* Run the hub until the receiver has n requests, then a little longer to catch any extra. */
static void run_for_requests(api_fixture *f, size_t n)
{
    assert_true(hub_fixture_run_until_requests(&f->hub, n, 5000));
    for (int i = 0; i < 10; i++)
        wh_hub_run(f->hub.hub, 10);
}

static int delivery_status_is(hub_fixture *hf, void *ud)
{
    const char **args = ud; /* {sub id, status} */
    fixture_delivery d;
    return hub_fixture_delivery(hf, args[0], &d) && (int)d.status == atoi(args[1]);
}

static void run_until_status(api_fixture *f, const char *sub, wh_delivery_status status)
{
    char st[8];
    snprintf(st, sizeof(st), "%d", (int)status);
    const char *args[2] = {sub, st};
    assert_true(hub_fixture_run_until(&f->hub, delivery_status_is, args, 5000));
}

/* ---- POST /events ---- */

static void test_events_reach_the_callers_webhooks_only(void **state)
{
    api_fixture *f = *state;
    char a1[64], a2[64], b1[64];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/alice\",\"events\":[\"order.*\"]}", a1, sizeof(a1));
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/other\",\"events\":[\"other.x\"]}", a2, sizeof(a2));
    api_create(f, KEY_BOB, "{\"url\":\"RECV/bob\",\"events\":[\"order.*\"]}", b1, sizeof(b1));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE,
                              "{\"type\":\"order.created\",\"data\":{\"n\":1}}"),
                     202);
    assert_int_equal((int)api_num(f, "queued"), 1);
    char ev_id[64];
    snprintf(ev_id, sizeof(ev_id), "%s", api_str(f, "id"));
    assert_true(strncmp(ev_id, "msg_", 4) == 0);
    run_for_requests(f, 1);
    assert_int_equal(wh_receiver_count(f->hub.recv), 1);
    const wh_recv_request *q = wh_receiver_request(f->hub.recv, 0);
    assert_string_equal(q->target, "/alice");
    assert_string_equal(wh_recv_request_header(q, "webhook-id"), ev_id);
    assert_non_null(strstr((const char *)q->body, "\"type\":\"order.created\""));
    assert_non_null(strstr((const char *)q->body, "\"data\":{\"n\":1}"));
    /* no time given: it happened now, by the hub's clock */
    assert_non_null(strstr((const char *)q->body, "\"timestamp\":\"2027-01-15T08:00:00.000Z\""));
    /* bob's events reach bob only; a client may choose the event id and time */
    assert_int_equal(api_call(f, "POST", "/events", KEY_BOB,
                              "{\"id\":\"evt-42\",\"type\":\"order.paid\","
                              "\"occurredAt\":\"2026-03-22T14:30:00.000Z\"}"),
                     202);
    assert_string_equal(api_str(f, "id"), "evt-42");
    assert_int_equal((int)api_num(f, "queued"), 1);
    run_for_requests(f, 2);
    assert_int_equal(wh_receiver_count(f->hub.recv), 2);
    q = wh_receiver_request(f->hub.recv, 1);
    assert_string_equal(q->target, "/bob");
    assert_string_equal(wh_recv_request_header(q, "webhook-id"), "evt-42");
    assert_non_null(strstr((const char *)q->body, "2026-03-22T14:30:00.000Z"));
    /* nothing matches: accepted, nothing queued */
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"nobody.cares\"}"), 202);
    assert_int_equal((int)api_num(f, "queued"), 0);
    /* a disabled webhook receives nothing */
    char path[128];
    snprintf(path, sizeof(path), "/webhooks/%s", a1);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"status\":\"disabled\"}"), 200);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"order.created\"}"),
                     202);
    assert_int_equal((int)api_num(f, "queued"), 0);
}

static void test_bad_events_are_refused(void **state)
{
    api_fixture *f = *state;
    char id[64];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/a\",\"events\":[\"**\"]}", id, sizeof(id));
    const char *bad[] = {"{}",
                         "{\"type\":5}",
                         "{\"type\":\"order.*\"}",
                         "{\"type\":\"\"}",
                         "{\"type\":\"a b\"}",
                         "{\"type\":\"a.b\",\"ids\":\"x\"}",
                         "{\"type\":\"a.b\",\"occurredAt\":\"yesterday\"}",
                         "{\"type\":\"a.b\",\"attributes\":{\"bad name\":\"x\"}}",
                         "[{\"type\":\"a.b\"}]",
                         "\"a.b\"",
                         "{\"type\":\"a.b\"",
                         "{\"type\":\"a.b\",\"id\":\"has space\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (api_call(f, "POST", "/events", KEY_ALICE, bad[i]) != 400)
            print_error("%s -> %d\n", bad[i], f->last.status);
        assert_int_equal(f->last.status, 400);
    }
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{}"), 400);
    assert_true(api_has_detail(f, "type is required"));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, NULL), 400);
    assert_int_equal(hub_fixture_count(&f->hub, id, -1), 0);
}

/* ---- POST /webhooks/{id}/test ---- */

static void test_test_event_goes_to_one_webhook(void **state)
{
    api_fixture *f = *state;
    char one[64], two[64], ent[64], path[160];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/one\",\"events\":[\"order.created\"]}", one,
               sizeof(one));
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/two\",\"events\":[\"order.created\"]}", two,
               sizeof(two));
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/ent\",\"entity\":\"Order\"}", ent, sizeof(ent));
    snprintf(path, sizeof(path), "/webhooks/%s/test", one);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 202);
    assert_int_equal((int)api_num(f, "queued"), 1);
    assert_true(strncmp(api_str(f, "deliveryId"), "dlv_", 4) == 0);
    char ev_id[64];
    snprintf(ev_id, sizeof(ev_id), "%s", api_str(f, "id"));
    run_for_requests(f, 1);
    assert_int_equal(wh_receiver_count(f->hub.recv), 1);
    const wh_recv_request *q = wh_receiver_request(f->hub.recv, 0);
    assert_string_equal(q->target, "/one");
    assert_string_equal(wh_recv_request_header(q, "webhook-id"), ev_id);
    assert_non_null(strstr((const char *)q->body, "\"type\":\"webhook.test\""));
    assert_non_null(strstr((const char *)q->body, "\"data\":{\"test\":true}"));
    /* whatever the webhook listens to, and with the caller's data */
    snprintf(path, sizeof(path), "/webhooks/%s/test", ent);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, "{\"data\":{\"hello\":\"world\"}}"), 202);
    run_for_requests(f, 2);
    assert_int_equal(wh_receiver_count(f->hub.recv), 2);
    q = wh_receiver_request(f->hub.recv, 1);
    assert_string_equal(q->target, "/ent");
    assert_non_null(strstr((const char *)q->body, "\"data\":{\"hello\":\"world\"}"));
    /* a webhook that is not active cannot be tested */
    snprintf(path, sizeof(path), "/webhooks/%s", two);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"status\":\"disabled\"}"), 200);
    snprintf(path, sizeof(path), "/webhooks/%s/test", two);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 409);
    assert_non_null(strstr(api_str(f, "message"), "disabled"));
    /* bob cannot test alice's webhook */
    snprintf(path, sizeof(path), "/webhooks/%s/test", one);
    assert_int_equal(api_call(f, "POST", path, KEY_BOB, NULL), 404);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, "{\"data\":"), 400);
    run_for_requests(f, 2);
    assert_int_equal(wh_receiver_count(f->hub.recv), 2);
}

static void test_test_answer_names_its_delivery(void **state)
{
    api_fixture *f = *state;
    char id[64], path[160];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/busy\",\"events\":[\"a.b\"]}", id, sizeof(id));
    for (int i = 0; i < 30; i++) /* many deliveries at the same instant */
        assert_int_equal(hub_fixture_emit(&f->hub, "a.b", i), 1);
    snprintf(path, sizeof(path), "/webhooks/%s/test", id);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 202);
    char ev_id[64], dlv[64];
    snprintf(ev_id, sizeof(ev_id), "%s", api_str(f, "id"));
    snprintf(dlv, sizeof(dlv), "%s", api_str(f, "deliveryId"));
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries?limit=100", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 31);
    const cJSON *d;
    int found = 0;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(f->json, "deliveries"))
    {
        const char *e = cJSON_GetObjectItem(d, "eventId")->valuestring;
        if (strcmp(e, ev_id) == 0) {
            assert_string_equal(cJSON_GetObjectItem(d, "id")->valuestring, dlv);
            assert_string_equal(cJSON_GetObjectItem(d, "eventType")->valuestring, "webhook.test");
            found++;
        }
    }
    assert_int_equal(found, 1);
}

/* ---- the delivery log and retries ---- */

static const cJSON *first_delivery(api_fixture *f)
{
    const cJSON *list = cJSON_GetObjectItem(f->json, "deliveries");
    assert_true(cJSON_GetArraySize(list) >= 1);
    return cJSON_GetArrayItem(list, 0);
}

static const char *dstr(const cJSON *d, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int dnum(const cJSON *d, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);
    assert_true(cJSON_IsNumber(v));
    return (int)v->valuedouble;
}

static void test_delivery_log_and_retry(void **state)
{
    api_fixture *f = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.first_count = 1;
    rule.first_status = 500;
    rule.reply.status = 200;
    rule.reply.body = "went wrong";
    wh_receiver_set(f->hub.recv, "/flaky", &rule);
    char id[64], path[160];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/flaky\",\"events\":[\"a.b\"],\"retry\":false}", id,
               sizeof(id));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"a.b\"}"), 202);
    char ev_id[64];
    snprintf(ev_id, sizeof(ev_id), "%s", api_str(f, "id"));
    run_until_status(f, id, WH_DELIVERY_FAILED);
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE_READ, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
    assert_int_equal((int)api_num(f, "page"), 1);
    assert_int_equal((int)api_num(f, "limit"), 20);
    const cJSON *d = first_delivery(f);
    char dlv[64];
    snprintf(dlv, sizeof(dlv), "%s", dstr(d, "id"));
    assert_string_equal(dstr(d, "webhookId"), id);
    assert_string_equal(dstr(d, "eventId"), ev_id);
    assert_string_equal(dstr(d, "eventType"), "a.b");
    assert_string_equal(dstr(d, "status"), "failed");
    assert_string_equal(dstr(d, "idempotencyKey"), ev_id);
    assert_string_equal(dstr(d, "method"), "POST");
    assert_non_null(strstr(dstr(d, "url"), "/flaky"));
    assert_int_equal(dnum(d, "attempts"), 1);
    assert_int_equal(dnum(d, "lastStatus"), 500);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "nextAttemptAt")));
    assert_string_equal(dstr(d, "createdAt"), "2027-01-15T08:00:00.000Z");
    const cJSON *log = cJSON_GetObjectItem(d, "attemptLog");
    assert_int_equal(cJSON_GetArraySize(log), 1);
    const cJSON *a = cJSON_GetArrayItem(log, 0);
    assert_int_equal(dnum(a, "number"), 1);
    assert_int_equal(dnum(a, "httpStatus"), 500);
    assert_true(dnum(a, "durationMs") >= 0);
    assert_string_equal(dstr(a, "startedAt"), "2027-01-15T08:00:00.000Z");
    /* the status filter */
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries?status=failed", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries?status=succeeded", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "deliveries")), 0);
    const char *bad[] = {"status=done", "status=", "limit=0", "page=x",
                         "status=failed&status=failed"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/webhooks/%s/deliveries?%s", id, bad[i]);
        assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 400);
    }
    assert_true(api_has_detail(f, "status") || api_has_detail(f, "more than once"));
    /* bob can neither read nor retry it; unknown ids are 404 */
    snprintf(path, sizeof(path), "/deliveries/%s/retry", dlv);
    assert_int_equal(api_call(f, "POST", path, KEY_BOB, NULL), 404);
    char *bob_answer = strdup(f->last.body);
    assert_int_equal(api_call(f, "POST", "/deliveries/dlv_nope/retry", KEY_ALICE, NULL), 404);
    assert_int_equal(api_call(f, "POST", "/deliveries/bad%20id/retry", KEY_ALICE, NULL), 404);
    assert_non_null(strstr(bob_answer, dlv)); /* "no delivery with id <dlv>": same as absent */
    free(bob_answer);
    assert_int_equal(wh_receiver_count(f->hub.recv), 1);
    /* the retry: same delivery, same webhook-id, sent again */
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 202);
    assert_string_equal(api_str(f, "id"), dlv);
    assert_string_equal(api_str(f, "status"), "pending");
    run_until_status(f, id, WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_receiver_count(f->hub.recv), 2);
    const char *k1 = wh_recv_request_header(wh_receiver_request(f->hub.recv, 0), "webhook-id");
    const char *k2 = wh_recv_request_header(wh_receiver_request(f->hub.recv, 1), "webhook-id");
    assert_string_equal(k1, k2);
    assert_string_equal(k1, ev_id);
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    d = first_delivery(f);
    assert_string_equal(dstr(d, "status"), "succeeded");
    assert_int_equal(dnum(d, "attempts"), 2);
    assert_int_equal(dnum(d, "lastStatus"), 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "lastError")));
    log = cJSON_GetObjectItem(d, "attemptLog");
    assert_int_equal(cJSON_GetArraySize(log), 2); /* oldest first */
    assert_int_equal(dnum(cJSON_GetArrayItem(log, 0), "number"), 1);
    assert_int_equal(dnum(cJSON_GetArrayItem(log, 0), "httpStatus"), 500);
    assert_int_equal(dnum(cJSON_GetArrayItem(log, 1), "number"), 2);
    assert_int_equal(dnum(cJSON_GetArrayItem(log, 1), "httpStatus"), 200);
    assert_string_equal(dstr(cJSON_GetArrayItem(log, 1), "response"), "went wrong");
    /* the same fields as the store's JSON (one writer): webhookId, never subscriptionId */
    assert_string_equal(dstr(d, "webhookId"), id);
    assert_string_equal(dstr(cJSON_GetArrayItem(log, 0), "webhookId"), id);
    assert_string_equal(dstr(cJSON_GetArrayItem(log, 0), "deliveryId"), dlv);
    assert_null(cJSON_GetObjectItem(d, "subscriptionId"));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(d, "bodyLength")));
}

/* A response that is not UTF-8 text is shown in base64, as in every other view of attempts. */
static void test_binary_response_in_base64(void **state)
{
    api_fixture *f = *state;
    char id[64], path[160];
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 200;
    rule.reply.body = "\xff\xfe\0bin";
    rule.reply.body_len = 6;
    wh_receiver_set(f->hub.recv, "/bin", &rule);
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/bin\",\"events\":[\"a.b\"]}", id, sizeof(id));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"a.b\"}"), 202);
    run_until_status(f, id, WH_DELIVERY_SUCCEEDED);
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(first_delivery(f), "attemptLog"), 0);
    assert_null(cJSON_GetObjectItem(a, "response"));
    assert_string_equal(dstr(a, "responseBase64"), "//4AYmlu");
}

static void test_delivery_log_pages_newest_first(void **state)
{
    api_fixture *f = *state;
    char id[64], path[160];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/p\",\"events\":[\"a.b\"]}", id, sizeof(id));
    char evs[5][64];
    for (int i = 0; i < 5; i++) {
        assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"a.b\"}"), 202);
        snprintf(evs[i], sizeof(evs[i]), "%s", api_str(f, "id"));
        f->hub.now += 1000;
    }
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries?limit=2&page=2", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 5);
    const cJSON *list = cJSON_GetObjectItem(f->json, "deliveries");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    assert_string_equal(dstr(cJSON_GetArrayItem(list, 0), "eventId"), evs[2]);
    assert_string_equal(dstr(cJSON_GetArrayItem(list, 1), "eventId"), evs[1]);
    assert_string_equal(dstr(cJSON_GetArrayItem(list, 0), "status"), "pending");
    assert_non_null(dstr(cJSON_GetArrayItem(list, 0), "nextAttemptAt"));
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "attemptLog")), 0);
}

static void test_retry_while_in_flight_is_409(void **state)
{
    api_fixture *f = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.hold = true;
    wh_receiver_set(f->hub.recv, "/slow", &rule);
    char id[64], path[160];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/slow\",\"events\":[\"a.b\"]}", id, sizeof(id));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"a.b\"}"), 202);
    for (int i = 0; i < 500 && wh_receiver_held(f->hub.recv) < 1; i++)
        wh_hub_run(f->hub.hub, 10);
    assert_int_equal(wh_receiver_held(f->hub.recv), 1);
    fixture_delivery d;
    assert_true(hub_fixture_delivery(&f->hub, id, &d));
    assert_int_equal(d.status, WH_DELIVERY_IN_FLIGHT);
    snprintf(path, sizeof(path), "/deliveries/%s/retry", d.id);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 409);
    wh_receiver_release(f->hub.recv);
    run_until_status(f, id, WH_DELIVERY_SUCCEEDED);
    /* a delivered one may be sent again */
    wh_receiver_set_status(f->hub.recv, "/slow", 200); /* no more holding */
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 202);
    run_until_status(f, id, WH_DELIVERY_SUCCEEDED);
    /* not while its webhook is disabled: it would only be recorded as not sent */
    char hook[128];
    snprintf(hook, sizeof(hook), "/webhooks/%s", id);
    assert_int_equal(api_call(f, "PATCH", hook, KEY_ALICE, "{\"status\":\"disabled\"}"), 200);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 409);
    assert_non_null(strstr(api_str(f, "message"), "disabled"));
    fixture_delivery after;
    assert_true(hub_fixture_delivery(&f->hub, id, &after));
    assert_int_equal(after.status, WH_DELIVERY_SUCCEEDED);
}

/* ---- POST /webhooks/{id}/recover ---- */

static void test_recover_sends_failed_deliveries_again(void **state)
{
    api_fixture *f = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.first_count = 2;
    rule.first_status = 500;
    rule.reply.status = 200;
    wh_receiver_set(f->hub.recv, "/rec", &rule);
    char id[64], path[160];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/rec\",\"events\":[\"a.b\"],\"retry\":false}", id,
               sizeof(id));
    snprintf(path, sizeof(path), "/webhooks/%s/recover", id);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"a.b\"}"), 202);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"a.b\"}"), 202);
    run_for_requests(f, 2);
    assert_int_equal(hub_fixture_count(&f->hub, id, WH_DELIVERY_FAILED), 2);
    /* Bad input, another owner, a disabled webhook. */
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, "{\"since\":\"yesterday\"}"), 400);
    assert_true(api_has_detail(f, "since") || strstr(api_str(f, "message"), "since"));
    assert_int_equal(api_call(f, "POST", path, KEY_BOB, NULL), 404);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE_READ, NULL), 403);
    char wpath[128];
    snprintf(wpath, sizeof(wpath), "/webhooks/%s", id);
    assert_int_equal(api_call(f, "PATCH", wpath, KEY_ALICE, "{\"status\":\"disabled\"}"), 200);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 409);
    assert_int_equal(api_call(f, "PATCH", wpath, KEY_ALICE, "{\"status\":\"active\"}"), 200);
    /* Nothing created after a future time; then all of them. */
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, "{\"since\":\"2999-01-01T00:00:00Z\"}"),
                     202);
    assert_int_equal((int)api_num(f, "recovered"), 0);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, "{}"), 202);
    assert_int_equal((int)api_num(f, "recovered"), 2);
    run_for_requests(f, 4);
    assert_int_equal(hub_fixture_count(&f->hub, id, WH_DELIVERY_SUCCEEDED), 2);
    assert_int_equal(wh_receiver_count_prefix(f->hub.recv, "/rec"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_reach_the_callers_webhooks_only,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bad_events_are_refused, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_test_event_goes_to_one_webhook, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_test_answer_names_its_delivery, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_log_and_retry, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_binary_response_in_base64, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_delivery_log_pages_newest_first, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_recover_sends_failed_deliveries_again,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retry_while_in_flight_is_409, api_fixture_setup,
                                        api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
