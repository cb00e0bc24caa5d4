/*
 * Seed 003 (commerce platform, "Get webhook"): a webhook on an Entity (Order, Product, ...)
 * with comma-separated Actions valid per entity, a Method, Url and Body templates with
 * {{entity}} {{action}} {{account}} {{environment}} {{id}} (a comma-separated list) and
 * placeholders only some events provide ({{paymentName}}, ...), Headers, Retry (up to 3 times,
 * 10 minutes apart) with an x-Idempotency-Key that stays the same across the retries of one
 * event and an x-timestamp of when the event was initiated; errors as Message + Details.
 *
 * Webhooks are registered with the seed's PascalCase fields; the host's catalogue holds the
 * seed's entities with their actions.
 */
#include <stdio.h>
#include <stdlib.h>

#include "seed_scenario.h"
#include "wh_test.h"

#define SYNC_ID   "3f2a6b1e-9c4d-4e8f-a1b2-c3d4e5f60718"
#define SYNC_PATH "/webhooks/" SYNC_ID
#define MINUTE    60000LL

/* The seed's webhook (seed003_webhook.json) with the receiver as destination. */
static const char SYNC[] =
    "{\"Id\":\"" SYNC_ID "\",\"Entity\":\"Order\",\"Name\":\"Order sync\","
    "\"Description\":\"Sends order changes to the ERP\",\"Actions\":\"create,cancel\","
    "\"Method\":\"PUT\","
    "\"Url\":\"RECV/{{account}}/{{environment}}/{{entity}}/{{action}}?ids={{id}}\","
    "\"Body\":\"{\\\"entity\\\":\\\"{{entity}}\\\",\\\"action\\\":\\\"{{action}}\\\","
    "\\\"ids\\\":\\\"{{id}}\\\",\\\"account\\\":\\\"{{account}}\\\"}\","
    "\"Headers\":\"X-Api-Key: 0123456789abcdef\\nX-Shop: {{account}}\","
    "\"Retry\":{\"preset\":\"seed003\"}}";

static int setup(void **state)
{
    api_fixture *f = seed_start();
    const char cat[] =
        "{\"entities\":["
        "{\"name\":\"Brand\",\"actions\":[\"create\",\"update\",\"delete\"]},"
        "{\"name\":\"Capture\",\"actions\":[\"create\"]},"
        "{\"name\":\"Category\",\"actions\":[\"create\",\"update\",\"delete\"]},"
        "{\"name\":\"Customer\",\"actions\":[\"delete\",\"passwordreset\",\"obfuscate\"]},"
        "{\"name\":\"Order\",\"actions\":[\"create\",\"update\",\"cancel\",\"activate\",\"lock\","
        "\"complete\",\"cancelrow\"]},"
        "{\"name\":\"PageWidget\",\"actions\":[\"update\",\"delete\"]},"
        "{\"name\":\"Product\",\"actions\":[\"create\",\"update\",\"delete\"]},"
        "{\"name\":\"Refund\",\"actions\":[\"create\"]},"
        "{\"name\":\"Supplier\",\"actions\":[\"create\",\"update\",\"delete\"]}]}";
    WH_ASSERT_OK(wh_api_catalogue_load_json(f->api, cat, sizeof(cat) - 1));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    seed_stop(*state);
    return 0;
}

/* POST /events for entity/action with ids (a JSON array text) and extra attributes (JSON
 * members text, may be ""), initiated at 2026-03-22T14:30:00-03:00. The event id goes to
 * ev_id (64 bytes) when not NULL. Returns how many deliveries were queued. */
static size_t emit(api_fixture *f, const char *entity, const char *action, const char *ids,
                   const char *more_attrs, char *ev_id)
{
    char ev[1024];
    snprintf(ev, sizeof(ev),
             "{\"type\":\"shop.%s.%s\",\"entity\":\"%s\",\"action\":\"%s\",\"ids\":%s,"
             "\"attributes\":{\"account\":\"myshop\",\"environment\":\"prod\"%s%s},"
             "\"occurredAt\":\"2026-03-22T14:30:00.000-03:00\",\"data\":{}}",
             entity, action, entity, action, ids, more_attrs[0] ? "," : "", more_attrs);
    size_t queued = seed_emit(f, KEY_ALICE, ev);
    if (ev_id) snprintf(ev_id, 64, "%s", api_str(f, "id"));
    return queued;
}

/* The seed 003 request: the rendered URL and body, the custom headers, and the idempotency
 * key and initiation time. */
static void assert_order_request(api_fixture *f, const wh_recv_request *q, const char *secret,
                                 const char *action, const char *ids, const char *ev_id)
{
    char target[256], body[256];
    snprintf(target, sizeof(target), "/myshop/prod/Order/%s?ids=%s", action, ids);
    seed_assert_delivery(f, q, "PUT", target, secret);
    snprintf(body, sizeof(body),
             "{\"entity\":\"Order\",\"action\":\"%s\",\"ids\":\"%s\",\"account\":\"myshop\"}",
             action, ids);
    assert_string_equal((const char *)q->body, body);
    assert_string_equal(wh_recv_request_header(q, "X-Api-Key"), "0123456789abcdef");
    assert_string_equal(wh_recv_request_header(q, "X-Shop"), "myshop");
    assert_string_equal(wh_recv_request_header(q, "x-Idempotency-Key"), ev_id);
    assert_string_equal(wh_recv_request_header(q, "x-timestamp"), "2026-03-22T17:30:00.000Z");
    assert_int_equal(wh_recv_request_header_count(q, "x-Idempotency-Key"), 1);
}

/* GET a webhook's deliveries (query appended); asserts 200 and the total. */
static const cJSON *deliveries(api_fixture *f, const char *id, const char *query, int total)
{
    char path[256];
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries%s", id, query);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), total);
    return cJSON_GetObjectItemCaseSensitive(f->json, "deliveries");
}

static void test_entity_actions_and_templates(void **state)
{
    api_fixture *f = *state;
    seed_hook sync, pay, capture;
    seed_create(f, KEY_ALICE, SYNC, &sync);
    assert_string_equal(sync.id, SYNC_ID);
    /* the PascalCase seed fields were understood */
    assert_string_equal(api_str(f, "entity"), "Order");
    const char *actions[] = {"create", "cancel"};
    assert_true(seed_strings_are(f->json, "actions", actions, 2));
    assert_string_equal(api_str(f, "method"), "PUT");
    assert_string_equal(api_str(f, "description"), "Sends order changes to the ERP");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(f->json, "headers");
    assert_string_equal(seed_str(headers, "X-Api-Key"), "0123456789abcdef");
    assert_string_equal(seed_str(headers, "X-Shop"), "{{account}}");
    /* a placeholder only some events provide: capture and refund events name their payment */
    seed_create(f, KEY_ALICE,
                "{\"Entity\":\"Order\",\"Actions\":\"create\",\"Name\":\"Payments\","
                "\"Url\":\"RECV/payments/{{paymentName}}?order={{id}}\"}",
                &pay);
    seed_create(f, KEY_ALICE,
                "{\"Entity\":\"Capture\",\"Actions\":\"create\",\"Name\":\"Captures\","
                "\"Url\":\"RECV/capture/{{paymentName}}/{{channelName}}?ids={{id}}\"}",
                &capture);

    char create_id[64], cancel_id[64];
    /* Order/create reaches both Order webhooks (one cannot render), Order/cancel only sync */
    assert_int_equal(emit(f, "Order", "create", "[\"1001\",1002]", "", create_id), 2);
    assert_int_equal(emit(f, "Order", "cancel", "[\"1003\"]", "", cancel_id), 1);
    /* an action the webhook does not list, and another entity's action: nothing */
    assert_int_equal(emit(f, "Order", "update", "[\"1001\"]", "", NULL), 0);
    assert_int_equal(emit(f, "Product", "create", "[\"p-1\"]", "", NULL), 0);
    seed_expect(f, 2);
    const wh_recv_request *q0 = wh_receiver_request(f->hub.recv, 0);
    const wh_recv_request *q1 = wh_receiver_request(f->hub.recv, 1);
    if (strstr(q0->target, "cancel")) { /* sent concurrently: either order */
        const wh_recv_request *t = q0;
        q0 = q1;
        q1 = t;
    }
    assert_order_request(f, q0, sync.secret, "create", "1001,1002", create_id);
    assert_order_request(f, q1, sync.secret, "cancel", "1003", cancel_id);
    assert_int_equal(hub_fixture_count(&f->hub, sync.id, WH_DELIVERY_SUCCEEDED), 2);

    /* the Order event had no paymentName: a failed delivery naming the placeholder */
    const cJSON *list = deliveries(f, pay.id, "?status=failed", 1);
    const cJSON *d = cJSON_GetArrayItem(list, 0);
    assert_string_equal(seed_str(d, "eventId"), create_id);
    assert_string_equal(seed_str(d, "status"), "failed");
    assert_non_null(strstr(seed_str(d, "lastError"), "{{paymentName}}"));
    assert_int_equal((int)seed_num(d, "attempts"), 0); /* never sent */
    assert_int_equal(seed_size(d, "attemptLog"), 0);
    deliveries(f, pay.id, "", 1);

    /* a Capture event provides paymentName and channelName: delivered, each value escaped */
    assert_int_equal(emit(f, "Capture", "create", "[\"c-9\"]",
                          "\"paymentName\":\"creditcard\",\"channelName\":\"Main shop\"", NULL),
                     1);
    const wh_recv_request *q = seed_expect(f, 3);
    seed_assert_delivery(f, q, "POST", "/capture/creditcard/Main%20shop?ids=c-9", capture.secret);
    cJSON *body = seed_body(q); /* no Body template: the default envelope */
    assert_string_equal(seed_str(body, "type"), "shop.Capture.create");
    cJSON_Delete(body);
}

static void test_retry_three_times_ten_minutes_apart(void **state)
{
    api_fixture *f = *state;
    seed_hook sync;
    seed_create(f, KEY_ALICE, SYNC, &sync);
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(f->json, "retry");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(retry, "enabled")));
    const cJSON *sched = cJSON_GetObjectItemCaseSensitive(retry, "schedule");
    assert_int_equal(cJSON_GetArraySize(sched), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal((int)cJSON_GetArrayItem(sched, i)->valuedouble, 600);
    wh_receiver_set_status(f->hub.recv, "/myshop/prod/Order/cancel", 500);
    const wh_time_ms t0 = f->hub.now;

    char ev_id[64];
    assert_int_equal(emit(f, "Order", "cancel", "[\"1003\",\"1004\"]", "", ev_id), 1);
    const wh_recv_request *q = seed_expect(f, 1);
    assert_order_request(f, q, sync.secret, "cancel", "1003,1004", ev_id);
    const char *sig_id = wh_recv_request_header(q, "webhook-id");
    /* pending, the next attempt 10 minutes on */
    const cJSON *d = cJSON_GetArrayItem(deliveries(f, sync.id, "?status=pending", 1), 0);
    assert_int_equal((int)seed_num(d, "attempts"), 1);
    assert_int_equal((int)seed_num(d, "lastStatus"), 500);
    assert_string_equal(seed_str(d, "nextAttemptAt"), "2027-01-15T08:10:00.000Z");
    assert_string_equal(seed_str(d, "idempotencyKey"), ev_id);

    /* three retries, exactly 10 minutes apart, all with the same key and timestamp */
    for (int retry_n = 1; retry_n <= 3; retry_n++) {
        f->hub.now = t0 + retry_n * 10 * MINUTE - 1000; /* a second early: nothing */
        seed_expect(f, (size_t)retry_n);
        f->hub.now += 1000;
        seed_assert_due_now(f);
        q = seed_expect(f, (size_t)retry_n + 1);
        assert_order_request(f, q, sync.secret, "cancel", "1003,1004", ev_id);
        assert_string_equal(wh_recv_request_header(q, "webhook-id"), sig_id);
    }
    /* then the delivery is failed, and nothing more is sent */
    f->hub.now += 24 * 60 * MINUTE;
    seed_expect(f, 4);
    d = cJSON_GetArrayItem(deliveries(f, sync.id, "?status=failed", 1), 0);
    assert_int_equal((int)seed_num(d, "attempts"), 4);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(d, "nextAttemptAt")));
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(d, "attemptLog");
    assert_int_equal(cJSON_GetArraySize(log), 4);
    const char *started[] = {"2027-01-15T08:00:00.000Z", "2027-01-15T08:10:00.000Z",
                             "2027-01-15T08:20:00.000Z", "2027-01-15T08:30:00.000Z"};
    for (int i = 0; i < 4; i++) {
        const cJSON *a = cJSON_GetArrayItem(log, i);
        assert_int_equal((int)seed_num(a, "number"), i + 1);
        assert_string_equal(seed_str(a, "startedAt"), started[i]);
        assert_int_equal((int)seed_num(a, "httpStatus"), 500);
    }

    /* the seed's boolean form: "Retry": false gives up after the first attempt */
    seed_hook once;
    seed_create(f, KEY_ALICE,
                "{\"Entity\":\"Order\",\"Actions\":\"cancel\",\"Url\":\"RECV/once\","
                "\"Retry\":false}",
                &once);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(f->json, "retry"), "enabled")));
    wh_receiver_set_status(f->hub.recv, "/once", 503);
    wh_receiver_set_status(f->hub.recv, "/myshop/prod/Order/cancel", 200);
    assert_int_equal(emit(f, "Order", "cancel", "[\"1005\"]", "", NULL), 2);
    seed_expect(f, 6);
    assert_int_equal(hub_fixture_count(&f->hub, once.id, WH_DELIVERY_FAILED), 1);
    for (int i = 0; i < 4; i++) { /* the seed003 schedule's times: "once" is not retried */
        f->hub.now += 10 * MINUTE;
        seed_expect(f, 6);
    }
    assert_int_equal(wh_receiver_count_prefix(f->hub.recv, "/once"), 1);
}

static void test_message_and_details(void **state)
{
    api_fixture *f = *state;
    /* one detail per invalid field */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"Entity\":\"Order\",\"Actions\":\"create\",\"Method\":\"FETCH\","
                              "\"Url\":\"ftp://erp.example.com/orders\",\"Retry\":\"yes\","
                              "\"Headers\":\"X-Api-Key 0123\"}"),
                     400);
    assert_non_null(api_str(f, "message"));
    assert_int_equal(seed_size(f->json, "details"), 4);
    assert_true(api_has_detail(f, "method"));
    assert_true(api_has_detail(f, "url"));
    assert_true(api_has_detail(f, "retry"));
    assert_true(api_has_detail(f, "header"));
    /* actions must be valid for the entity; the entity must exist */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"Entity\":\"Order\",\"Actions\":\"create,delete,explode\","
                              "\"Url\":\"RECV/o\"}"),
                     400);
    assert_int_equal(seed_size(f->json, "details"), 2);
    assert_true(api_has_detail(f, "\"delete\" is not an action of Order"));
    assert_true(api_has_detail(f, "\"explode\" is not an action of Order"));
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"Entity\":\"Invoice\",\"Actions\":\"create\",\"Url\":\"RECV/i\"}"),
                     400);
    assert_true(api_has_detail(f, "Invoice"));
    /* nothing was created */
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 0);
    /* events too: an action not valid for the entity */
    assert_int_equal(
        api_call(f, "POST", "/events", KEY_ALICE,
                 "{\"type\":\"shop.order\",\"entity\":\"Order\",\"action\":\"delete\"}"),
        400);
    assert_true(api_has_detail(f, "\"delete\" is not an action of Order"));
    /* 404 with the same shape */
    assert_int_equal(api_call(f, "GET", SYNC_PATH, KEY_ALICE, NULL), 404);
    assert_non_null(strstr(api_str(f, "message"), SYNC_ID));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(f->json, "details")));
    /* a valid registration after all that */
    seed_hook sync;
    seed_create(f, KEY_ALICE, SYNC, &sync);
    assert_int_equal(api_call(f, "GET", SYNC_PATH, KEY_ALICE, NULL), 200);
    assert_string_equal(api_str(f, "name"), "Order sync");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entity_actions_and_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_three_times_ten_minutes_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_and_details, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
