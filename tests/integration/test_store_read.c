/*
 * Reading a store from outside: the typed reads (wh_store_delivery_list, ...), the same as JSON
 * for bindings, wh_store_purge, and the SQLite store's options object, against a real loopback
 * receiver.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "hub_helpers.h"
#include "receiver.h"
#include "wh_test.h"
#include "wh_test_files.h"

/* ---- helpers ---- */

static cJSON *parse(char *json)
{
    assert_non_null(json);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    wh_free(json);
    return root;
}

static const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* A hub that may deliver to loopback, over store (NULL: its own memory store). */
static wh_hub *loopback_hub(wh_store *store)
{
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    if (store) WH_ASSERT_OK(wh_hub_options_set_store(o, store, 1));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    return hub;
}

/* ---- the store's JSON ---- */

static void test_store_json_listings(void **state)
{
    (void)state;
    wh_store *st;
    WH_ASSERT_OK(wh_store_memory_new(&st));
    wh_hub *hub = loopback_hub(st);
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 201;
    rule.reply.body = "thanks \"quoted\"";
    rule.reply.body_len = strlen(rule.reply.body);
    wh_receiver_set(r, "/ok", &rule);
    wh_receiver_set_status(r, "/bad", 500);
    char ok_id[64], bad_id[64];
    wh_test_add_order_sub(hub, r, "/ok", ok_id, sizeof(ok_id));
    wh_test_add_order_sub(hub, r, "/bad", bad_id, sizeof(bad_id));
    assert_int_equal(wh_test_emit(hub, "order.created", "{\"text\":\"h\\u00e9llo\"}"), 2);
    wh_test_run_idle(hub, 5000);

    char *json;
    WH_ASSERT_OK(wh_store_subscription_list_json(st, NULL, 0, 0, 0, &json));
    cJSON *root = parse(json);
    assert_int_equal(num_at(root, "total"), 2);
    assert_int_equal(num_at(root, "page"), 1);
    const cJSON *subs = cJSON_GetObjectItem(root, "subscriptions");
    assert_int_equal(cJSON_GetArraySize(subs), 2);
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(subs, 0), "secrets"));
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_subscription_list_json(st, NULL, WH_JSON_SECRETS, 1, 2, &json));
    root = parse(json);
    subs = cJSON_GetObjectItem(root, "subscriptions");
    assert_int_equal(cJSON_GetArraySize(subs), 1);
    assert_int_equal(num_at(root, "total"), 2);
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(subs, 0), "secrets"), 0)
            ->valuestring,
        WH_TEST_SECRET);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_subscription_list_json(st, "nobody", 0, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 0);
    cJSON_Delete(root);

    /* deliveries: one succeeded, one failed; filters by subscription and status */
    WH_ASSERT_OK(wh_store_delivery_list_json(st, NULL, -1, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 2);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, ok_id, WH_DELIVERY_SUCCEEDED, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 1);
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "deliveries"), 0);
    assert_string_equal(str_at(d, "status"), "succeeded");
    assert_string_equal(str_at(d, "webhookId"), ok_id);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "ownerId")));
    assert_string_equal(str_at(d, "eventType"), "order.created");
    assert_string_equal(str_at(d, "method"), "POST");
    assert_int_equal(num_at(d, "lastStatus"), 201);
    assert_int_equal(num_at(d, "attempts"), 1);
    assert_null(cJSON_GetObjectItem(d, "body")); /* only wh_store_delivery_get_json shows it */
    char delivery_id[128];
    snprintf(delivery_id, sizeof(delivery_id), "%s", str_at(d, "id"));
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, bad_id, WH_DELIVERY_SUCCEEDED, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 0);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, bad_id, WH_DELIVERY_FAILED, 0, 1, &json));
    root = parse(json);
    d = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "deliveries"), 0);
    assert_int_equal(num_at(d, "lastStatus"), 500);
    assert_non_null(str_at(d, "lastError"));
    cJSON_Delete(root);

    /* one delivery in full: the body as sent, the headers */
    WH_ASSERT_OK(wh_store_delivery_get_json(st, delivery_id, &json));
    root = parse(json);
    assert_non_null(strstr(str_at(root, "body"), "\"text\":\"h\xc3\xa9llo\""));
    assert_int_equal(num_at(root, "bodyLength"), strlen(str_at(root, "body")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(root, "headers")));
    cJSON_Delete(root);
    assert_int_equal(wh_store_delivery_get_json(st, "no-such-delivery", &json), WH_ENOTFOUND);
    assert_null(json);

    /* attempts, by delivery and by subscription */
    WH_ASSERT_OK(wh_store_attempt_list_json(st, delivery_id, NULL, 0, 1, &json));
    root = parse(json);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "attempts"), 0);
    assert_int_equal(num_at(a, "httpStatus"), 201);
    assert_int_equal(num_at(a, "number"), 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "errorCode")));
    assert_string_equal(str_at(a, "response"), "thanks \"quoted\"");
    assert_string_equal(str_at(a, "deliveryId"), delivery_id);
    assert_string_equal(str_at(a, "webhookId"), ok_id);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_attempt_list_json(st, NULL, bad_id, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 1);
    cJSON_Delete(root);

    /* bad arguments */
    assert_int_equal(wh_store_attempt_list_json(st, NULL, NULL, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_attempt_list_json(st, "a", "b", 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list_json(st, NULL, 7, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list_json(st, NULL, -2, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_subscription_list_json(st, NULL, 0x10, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_subscription_list_json(NULL, NULL, 0, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_get_json(st, NULL, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list_json(st, NULL, -1, 0, 1, NULL), WH_EINVAL);

    /* purge: everything finished before a time in the future goes */
    size_t removed = 99;
    WH_ASSERT_OK(wh_store_purge(st, wh_hub_now(hub) + 60000, &removed));
    assert_int_equal(removed, 2);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, NULL, -1, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 0);
    cJSON_Delete(root);
    assert_int_equal(wh_store_purge(NULL, 0, &removed), WH_EINVAL);
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

static void test_store_json_binary_response(void **state)
{
    (void)state;
    /* a response that is not UTF-8 text comes back as base64 */
    wh_hub *hub = loopback_hub(NULL);
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 200;
    rule.reply.body = "\xff\xfe\0bin";
    rule.reply.body_len = 6;
    wh_receiver_set(r, "/bin", &rule);
    char id[64];
    wh_test_add_order_sub(hub, r, "/bin", id, sizeof(id));
    wh_test_emit(hub, "order.created", "{}");
    wh_test_run_idle(hub, 5000);
    char *json;
    WH_ASSERT_OK(wh_store_attempt_list_json(wh_hub_store(hub), NULL, id, 0, 1, &json));
    cJSON *root = parse(json);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "attempts"), 0);
    assert_non_null(a);
    assert_null(cJSON_GetObjectItem(a, "response"));
    assert_string_equal(str_at(a, "responseBase64"), "//4AYmlu");
    cJSON_Delete(root);
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

/* The typed reads check what the members would not. */
static int count_delivery(const wh_delivery *d, void *ud)
{
    (void)d;
    ++*(size_t *)ud;
    return 0;
}

static int count_attempt(const wh_attempt *a, void *ud)
{
    (void)a;
    ++*(size_t *)ud;
    return 0;
}

static int count_sub(const wh_subscription *sub, void *ud)
{
    (void)sub;
    ++*(size_t *)ud;
    return 0;
}

static void test_typed_reads(void **state)
{
    (void)state;
    wh_store *st;
    WH_ASSERT_OK(wh_store_memory_new(&st));
    wh_hub *hub = loopback_hub(st);
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    char id[64];
    wh_test_add_order_sub(hub, r, "/t", id, sizeof(id));
    wh_test_emit(hub, "order.created", "{}");
    wh_test_emit(hub, "order.created", "{}");
    wh_test_run_idle(hub, 5000);
    size_t n = 0, total = 0;
    WH_ASSERT_OK(wh_store_subscription_list(st, NULL, 0, 0, &total, count_sub, &n));
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    n = 0;
    WH_ASSERT_OK(wh_store_delivery_list(st, NULL, &total, count_delivery, &n));
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = id;
    q.status = WH_DELIVERY_PENDING;
    n = 0;
    WH_ASSERT_OK(wh_store_delivery_list(st, &q, &total, count_delivery, &n));
    assert_int_equal(n, 0);
    n = 0;
    WH_ASSERT_OK(wh_store_attempt_list(st, NULL, id, 1, 1, &total, count_attempt, &n));
    assert_int_equal(n, 1); /* a page of one */
    assert_int_equal(total, 2);
    assert_int_equal(wh_store_delivery_get(st, "nope", count_delivery, &n), WH_ENOTFOUND);
    /* bad arguments */
    assert_int_equal(wh_store_delivery_list(NULL, NULL, &total, count_delivery, &n), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list(st, NULL, &total, NULL, &n), WH_EINVAL);
    assert_int_equal(wh_store_delivery_get(st, NULL, count_delivery, &n), WH_EINVAL);
    assert_int_equal(wh_store_attempt_list(st, "a", "b", 0, 1, &total, count_attempt, &n),
                     WH_EINVAL);
    assert_int_equal(wh_store_attempt_list(st, NULL, NULL, 0, 1, &total, count_attempt, &n),
                     WH_EINVAL);
    assert_int_equal(wh_store_subscription_list(st, NULL, 0, 1, &total, NULL, &n), WH_EINVAL);
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

/* The SQLite store's options object: each option reaches the store. */
static void test_sqlite_options(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/hooks.db", dir);
    wh_sqlite_options *o;
    WH_ASSERT_OK(wh_sqlite_options_new(&o));
    WH_ASSERT_OK(wh_sqlite_options_set_read_only(o, 1));
    wh_store *st = (wh_store *)&st;
    assert_int_equal(wh_store_sqlite_new(&st, path, o), WH_ENOTFOUND); /* never created */
    assert_null(st);
    assert_false(wh_file_exists(path));
    WH_ASSERT_OK(wh_sqlite_options_set_read_only(o, 0));
    WH_ASSERT_OK(wh_sqlite_options_set_synchronous(o, WH_SQLITE_SYNC_NORMAL));
    WH_ASSERT_OK(wh_sqlite_options_set_busy_timeout_ms(o, 100));
    WH_ASSERT_OK(wh_store_sqlite_new(&st, path, o));
    wh_store_free(st);
    assert_true(wh_file_exists(path));
    /* read-only: a write is refused */
    WH_ASSERT_OK(wh_sqlite_options_set_read_only(o, 1));
    WH_ASSERT_OK(wh_store_sqlite_new(&st, path, o));
    wh_sqlite_options_free(o); /* the store does not need it any more */
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_set_url(sub, "https://example.com/x"));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_EVENTS, "a.b"));
    assert_int_equal(st->sub_create(st, sub), WH_EREADONLY);
    wh_subscription_free(sub);
    wh_store_free(st);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_json_listings),
        cmocka_unit_test(test_store_json_binary_response),
        cmocka_unit_test(test_typed_reads),
        cmocka_unit_test(test_sqlite_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
