/*
 * One test per seed document (../shared/seeds): the seed's example webhook becomes a
 * subscription (through its own JSON where the seed shows JSON, kept verbatim under
 * tests/fixtures/seeds/), and every documented field survives a round trip through our JSON.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "wh_test.h"

static wh_subscription *load(const char *fixture)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/fixtures/seeds/%s", fixture);
    size_t len;
    char *json = wh_test_read_source_file(path, &len);
    assert_non_null(json);
    wh_subscription *sub = NULL;
    int rc = wh_subscription_from_json(&sub, json, len);
    if (rc != WH_OK)
        print_error("%s: %s (%s)\n", fixture, wh_error_last()->message,
                    wh_error_last_detail(0) ? wh_error_last_detail(0) : "");
    assert_int_equal(rc, WH_OK);
    free(json);
    return sub;
}

/* Serialise, parse back, serialise again: both texts equal, and the reparsed copy returned. */
static cJSON *round_trip(wh_subscription **sub)
{
    char *a, *b;
    WH_ASSERT_OK(wh_subscription_to_json(*sub, WH_JSON_SECRETS, &a, NULL));
    wh_subscription *again;
    WH_ASSERT_OK(wh_subscription_from_json(&again, a, strlen(a)));
    WH_ASSERT_OK(wh_subscription_to_json(again, WH_JSON_SECRETS, &b, NULL));
    assert_string_equal(a, b);
    wh_subscription_free(*sub);
    *sub = again;
    cJSON *root = cJSON_Parse(b);
    assert_non_null(root);
    wh_free(a);
    wh_free(b);
    return root;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *path_str(const cJSON *obj, const char *a, const char *b)
{
    return str(cJSON_GetObjectItemCaseSensitive(obj, a), b);
}

static const char *item_str(const cJSON *obj, const char *name, int i)
{
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, name), i);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_seed000_cakto(void **state)
{
    (void)state;
    wh_subscription *sub = load("seed000_webhook.json");
    cJSON *j = round_trip(&sub);
    /* integer id, written back as an integer */
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "id")));
    assert_int_equal(cJSON_GetObjectItem(j, "id")->valuedouble, 2863878);
    assert_string_equal(wh_subscription_id(sub), "2863878");
    assert_string_equal(str(j, "status"), "active");
    assert_string_equal(str(j, "name"), "Venda Aprovada <Produto 1>");
    assert_string_equal(str(j, "url"), "https://destination-url-example.com.br/webhook-endpoint");
    /* products restrict the subscription: their ids become the product filter */
    const cJSON *products = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "filters"), "products");
    assert_int_equal(cJSON_GetArraySize(products), 1);
    assert_string_equal(cJSON_GetArrayItem(products, 0)->valuestring,
                        "cd287b31-d4b7-4e94-858a-96e05ce2f4r4");
    /* events by custom_id */
    assert_string_equal(item_str(j, "events", 0), "purchase_approved");
    /* extra fields, with the seed's own secret, kept as host metadata */
    assert_string_equal(path_str(j, "metadata", "secret"), "8a67e42d-08b9-4987-9f40-0fe7bfd15a5a");
    /* times keep their offset (at millisecond precision) */
    assert_string_equal(str(j, "createdAt"), "2050-11-07T09:11:58.377-03:00");
    assert_string_equal(str(j, "updatedAt"), "2050-11-07T09:11:58.377-03:00");
    cJSON_Delete(j);
    wh_subscription_free(sub);
}

static void check_seed001_webhook(const cJSON *seed_item)
{
    char *text = cJSON_PrintUnformatted(seed_item);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, text, strlen(text)));
    cJSON_free(text);
    cJSON *j = round_trip(&sub);
    const char *fields[] = {"id", "name", "url", "createdAt", "updatedAt", "lastDeliveryAt"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *want = str(seed_item, fields[i]);
        const char *got = str(j, fields[i]);
        assert_non_null(got);
        /* ISO 8601 ".000Z" in the seed is our canonical form too */
        assert_string_equal(got, want);
    }
    assert_string_equal(str(j, "ownerId"), str(seed_item, "userId"));
    assert_string_equal(item_str(j, "secrets", 0), str(seed_item, "secret"));
    assert_string_equal(str(j, "status"), cJSON_IsTrue(cJSON_GetObjectItem(seed_item, "enabled"))
                                              ? "active"
                                              : "disabled");
    const cJSON *events = cJSON_GetObjectItem(seed_item, "events");
    for (int i = 0; i < cJSON_GetArraySize(events); i++)
        assert_string_equal(item_str(j, "events", i), cJSON_GetArrayItem(events, i)->valuestring);
    const cJSON *headers = cJSON_GetObjectItem(seed_item, "headers"), *h;
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "headers")),
                     cJSON_GetArraySize(headers));
    cJSON_ArrayForEach(h, headers)
        assert_string_equal(path_str(j, "headers", h->string), h->valuestring);
    assert_int_equal(cJSON_GetObjectItem(j, "lastDeliveryStatus")->valuedouble,
                     cJSON_GetObjectItem(seed_item, "lastDeliveryStatus")->valuedouble);
    assert_int_equal(cJSON_GetObjectItem(j, "failureCount")->valuedouble,
                     cJSON_GetObjectItem(seed_item, "failureCount")->valuedouble);
    cJSON_Delete(j);
    wh_subscription_free(sub);
}

static void test_seed001_placaflow(void **state)
{
    (void)state;
    size_t len;
    char *json = wh_test_read_source_file("tests/fixtures/seeds/seed001_list.json", &len);
    assert_non_null(json);
    cJSON *root = cJSON_ParseWithLength(json, len);
    free(json);
    const cJSON *list = cJSON_GetObjectItem(root, "webhooks"), *item;
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON_ArrayForEach(item, list) check_seed001_webhook(item);
    cJSON_Delete(root);
}

static void test_seed002_rd_station(void **state)
{
    (void)state;
    wh_subscription *sub = load("seed002_webhook.json");
    cJSON *j = round_trip(&sub);
    assert_string_equal(str(j, "id"), "5408c5a3-4711-4f2e-8d0b-13407a3e30f3");
    assert_string_equal(item_str(j, "events", 0), "WEBHOOK.CONVERTED");
    assert_string_equal(str(j, "entity"), "CONTACT");
    const cJSON *f = cJSON_GetObjectItem(j, "filters");
    assert_string_equal(item_str(f, "eventIdentifiers", 0), "form-newsletter");
    assert_string_equal(item_str(f, "eventIdentifiers", 1), "form-demo");
    assert_string_equal(str(f, "source"), "MKT");
    assert_string_equal(str(j, "url"), "https://crm.example.com/rd/conversions");
    assert_string_equal(str(j, "method"), "POST");
    assert_string_equal(item_str(j, "includeRelations", 0), "COMPANY");
    assert_string_equal(item_str(j, "includeRelations", 1), "CONTACT_FUNNEL");
    assert_string_equal(str(j, "ownerId"), "123456"); /* platform_account_id */
    assert_string_equal(str(j, "status"), "active");
    assert_string_equal(str(j, "createdAt"), "2026-01-15T12:00:00.000-03:00");
    assert_string_equal(str(j, "updatedAt"), "2026-02-01T09:30:00.000-03:00");
    cJSON_Delete(j);
    wh_subscription_free(sub);
}

static void test_seed003_commerce(void **state)
{
    (void)state;
    wh_subscription *sub = load("seed003_webhook.json");
    cJSON *j = round_trip(&sub);
    assert_string_equal(str(j, "id"), "3f2a6b1e-9c4d-4e8f-a1b2-c3d4e5f60718");
    assert_string_equal(str(j, "entity"), "Order");
    assert_string_equal(str(j, "name"), "Order sync");
    assert_string_equal(str(j, "description"), "Sends order changes to the ERP");
    assert_string_equal(item_str(j, "actions", 0), "create");
    assert_string_equal(item_str(j, "actions", 1), "cancel");
    assert_string_equal(item_str(j, "actions", 2), "cancelrow");
    assert_string_equal(str(j, "method"), "PUT");
    assert_non_null(strstr(str(j, "url"), "/{{account}}/{{environment}}/{{entity}}/{{action}}"));
    assert_non_null(strstr(str(j, "body"), "\"row\":\"{{orderRowId}}\""));
    assert_string_equal(path_str(j, "headers", "X-Api-Key"), "0123456789abcdef");
    assert_string_equal(path_str(j, "headers", "X-Shop"), "{{account}}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "retry"), "enabled")));
    cJSON_Delete(j);
    wh_subscription_free(sub);
}

static void test_seed004_whautochat(void **state)
{
    (void)state;
    wh_subscription *sub = load("seed004_webhook.json");
    cJSON *j = round_trip(&sub);
    assert_string_equal(str(j, "id"), "65f1c0de9a1b2c3d4e5f6a7b");
    assert_string_equal(str(j, "name"), "Atendimento");
    assert_string_equal(str(j, "url"), "https://bot.example.com/whautochat");
    assert_string_equal(str(j, "status"), "active");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "events")), 13);
    assert_string_equal(item_str(j, "events", 12), "contact_tag_removed");
    assert_string_equal(str(j, "createdAt"), "2026-04-01T08:00:00.000Z");
    assert_string_equal(str(j, "updatedAt"), "2026-04-02T08:00:00.000Z");
    /* "active": false disables */
    const char *off = "{\"serverUrl\":\"https://b.example.com\",\"active\":false,"
                      "\"events\":[\"contact_created\"]}";
    wh_subscription *disabled;
    WH_ASSERT_OK(wh_subscription_from_json(&disabled, off, strlen(off)));
    assert_int_equal(wh_subscription_status(disabled), WH_STATUS_DISABLED);
    wh_subscription_free(disabled);
    cJSON_Delete(j);
    wh_subscription_free(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed000_cakto),      cmocka_unit_test(test_seed001_placaflow),
        cmocka_unit_test(test_seed002_rd_station), cmocka_unit_test(test_seed003_commerce),
        cmocka_unit_test(test_seed004_whautochat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
