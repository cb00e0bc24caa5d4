/*
 * Seed 000 (Cakto, "Get webhook by id"): an app webhook with an integer id, a status among
 * active / disabled / waiting_config, a product filter, events named by the host's catalogue
 * (id 3, "Compra aprovada", custom_id purchase_approved) and extra "fields".
 *
 * Through wh_api with real deliveries: a waiting_config webhook without a URL receives nothing
 * until it is configured; its product filter lets only events of its products through; the
 * catalogue lists the seed's event and refuses unknown ones; the integer id stays an integer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "seed_scenario.h"
#include "wh_test.h"

#define PRODUCT   "cd287b31-d4b7-4e94-858a-96e05ce2f4r4"
#define OTHER     "0673d296-1802-45e0-bc93-612f7514dddb"
#define HOOK_PATH "/webhooks/2863878"

/* The seed's webhook as a client registers it before it has a destination. */
static const char SEED_WEBHOOK[] =
    "{\"id\":2863878,\"status\":\"waiting_config\",\"name\":\"Venda Aprovada <Produto 1>\","
    "\"url\":null,"
    "\"products\":[{\"id\":\"" PRODUCT "\",\"name\":\"Produto 1\",\"price\":5,"
    "\"type\":\"unique\",\"paymentMethods\":[\"boleto\",\"credit_card\",\"picpay\"]}],"
    "\"events\":[{\"id\":3,\"name\":\"Compra aprovada\",\"custom_id\":\"purchase_approved\"}],"
    "\"fields\":{\"secret\":\"8a67e42d-08b9-4987-9f40-0fe7bfd15a5a\"},"
    "\"createdAt\":\"2050-11-07T09:11:58.377388-03:00\"}";

static int setup(void **state)
{
    api_fixture *f = seed_start();
    /* the host's catalogue: the seed's event (custom id 3) and one more */
    WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, "purchase_approved", "Compra aprovada", "3"));
    const char cat[] = "{\"eventTypes\":[{\"name\":\"refund\",\"displayName\":\"Reembolso\"}]}";
    WH_ASSERT_OK(wh_api_catalogue_load_json(f->api, cat, sizeof(cat) - 1));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    seed_stop(*state);
    return 0;
}

/* POST /events for purchase_approved with the given products (a JSON array text). */
static size_t purchase(api_fixture *f, const char *type, const char *products, int n)
{
    char ev[512];
    snprintf(ev, sizeof(ev),
             "{\"type\":\"%s\",\"products\":%s,\"data\":{\"order\":%d,\"amount\":5,"
             "\"paymentMethod\":\"pix\"}}",
             type, products, n);
    return seed_emit(f, KEY_ALICE, ev);
}

/* The delivered purchase: the default envelope with the event's type and data. */
static void assert_purchase(api_fixture *f, const wh_recv_request *q, const char *secret, int n)
{
    seed_assert_delivery(f, q, "POST", "/cakto/webhook-endpoint", secret);
    cJSON *body = seed_body(q);
    assert_string_equal(seed_str(body, "type"), "purchase_approved");
    assert_string_equal(seed_str(body, "id"), wh_recv_request_header(q, "webhook-id"));
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");
    assert_int_equal((int)seed_num(data, "order"), n);
    assert_string_equal(seed_str(data, "paymentMethod"), "pix");
    cJSON_Delete(body);
}

static void test_catalogue_lists_the_seed_event(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(seed_call_bearer(f, "GET", "/event-types", KEY_ALICE, NULL), 200);
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(f->json, "eventTypes");
    assert_int_equal(cJSON_GetArraySize(types), 2);
    const cJSON *t = cJSON_GetArrayItem(types, 0);
    assert_string_equal(seed_str(t, "name"), "purchase_approved");
    assert_string_equal(seed_str(t, "displayName"), "Compra aprovada");
    assert_string_equal(seed_str(t, "customId"), "3");
    t = cJSON_GetArrayItem(types, 1);
    assert_string_equal(seed_str(t, "name"), "refund");
    assert_string_equal(seed_str(t, "displayName"), "Reembolso");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "customId")));
    /* a webhook asking for an event the host does not emit is refused, naming it */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/x\",\"events\":[{\"id\":9,\"name\":\"Boleto\","
                              "\"custom_id\":\"boleto_gerado\"}]}"),
                     400);
    assert_true(api_has_detail(f, "boleto_gerado"));
    /* and so is an event of an unknown type */
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"boleto_gerado\"}"),
                     400);
    assert_true(api_has_detail(f, "boleto_gerado"));
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 0);
}

static void test_waiting_config_until_configured(void **state)
{
    api_fixture *f = *state;
    seed_hook hook;
    seed_create(f, KEY_ALICE, SEED_WEBHOOK, &hook);
    assert_string_equal(hook.id, "2863878");
    /* the answer keeps the seed's shape where it matters: an integer id, the status, no url */
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(f->json, "id");
    assert_true(cJSON_IsNumber(id));
    assert_int_equal((int)id->valuedouble, 2863878);
    assert_string_equal(api_str(f, "status"), "waiting_config");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f->json, "url")));
    const char *events[] = {"purchase_approved"};
    assert_true(seed_strings_are(f->json, "events", events, 1));
    const char *products[] = {PRODUCT};
    assert_true(seed_strings_are(cJSON_GetObjectItemCaseSensitive(f->json, "filters"), "products",
                                 products, 1));
    /* "fields" is kept as the webhook's metadata */
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(f->json, "metadata");
    assert_string_equal(seed_str(meta, "secret"), "8a67e42d-08b9-4987-9f40-0fe7bfd15a5a");
    /* the server sets the times, with their time zone */
    assert_string_equal(api_str(f, "createdAt"), "2027-01-15T08:00:00.000Z");

    /* events flow; a webhook waiting for its configuration receives none of them */
    for (int i = 0; i < 3; i++)
        assert_int_equal(purchase(f, "purchase_approved", "[\"" PRODUCT "\"]", i), 0);
    seed_expect(f, 0);
    assert_int_equal(hub_fixture_count(&f->hub, hook.id, -1), 0);

    /* active needs a destination: refused, and still waiting */
    assert_int_equal(api_call(f, "PATCH", HOOK_PATH, KEY_ALICE, "{\"status\":\"active\"}"), 400);
    assert_true(api_has_detail(f, "url"));
    assert_int_equal(seed_call_bearer(f, "GET", HOOK_PATH, KEY_ALICE, NULL), 200);
    assert_string_equal(api_str(f, "status"), "waiting_config");

    /* configured: url and status active */
    f->hub.now += 60000;
    assert_int_equal(api_call(f, "PATCH", HOOK_PATH, KEY_ALICE,
                              "{\"url\":\"RECV/cakto/webhook-endpoint\",\"status\":\"active\"}"),
                     200);
    assert_string_equal(api_str(f, "status"), "active");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f->json, "id")));
    assert_string_equal(api_str(f, "updatedAt"), "2027-01-15T08:01:00.000Z");
    assert_string_equal(api_str(f, "createdAt"), "2027-01-15T08:00:00.000Z");
    assert_int_equal(purchase(f, "purchase_approved", "[\"" PRODUCT "\"]", 10), 1);
    assert_purchase(f, seed_expect(f, 1), hook.secret, 10);

    /* the seed's GET by integer id (Bearer token), integer id back */
    assert_int_equal(seed_call_bearer(f, "GET", HOOK_PATH, KEY_ALICE, NULL), 200);
    id = cJSON_GetObjectItemCaseSensitive(f->json, "id");
    assert_true(cJSON_IsNumber(id));
    assert_int_equal((int)id->valuedouble, 2863878);
    assert_string_equal(api_str(f, "name"), "Venda Aprovada <Produto 1>");
    assert_null(cJSON_GetObjectItemCaseSensitive(f->json, "secrets")); /* shown once only */

    /* disabled: nothing; active again: delivered */
    assert_int_equal(api_call(f, "PATCH", HOOK_PATH, KEY_ALICE, "{\"status\":\"disabled\"}"), 200);
    assert_int_equal(purchase(f, "purchase_approved", "[\"" PRODUCT "\"]", 11), 0);
    seed_expect(f, 1);
    assert_int_equal(api_call(f, "PATCH", HOOK_PATH, KEY_ALICE, "{\"status\":\"active\"}"), 200);
    assert_int_equal(purchase(f, "purchase_approved", "[\"" PRODUCT "\"]", 12), 1);
    assert_purchase(f, seed_expect(f, 2), hook.secret, 12);
}

static void test_product_filter(void **state)
{
    api_fixture *f = *state;
    seed_hook hook;
    seed_create(f, KEY_ALICE, SEED_WEBHOOK, &hook);
    assert_int_equal(api_call(f, "PATCH", HOOK_PATH, KEY_ALICE,
                              "{\"url\":\"RECV/cakto/webhook-endpoint\",\"status\":\"active\"}"),
                     200);
    /* another product only, or none at all: not delivered */
    assert_int_equal(purchase(f, "purchase_approved", "[\"" OTHER "\"]", 1), 0);
    assert_int_equal(purchase(f, "purchase_approved", "[]", 2), 0);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE,
                              "{\"type\":\"purchase_approved\",\"data\":{\"order\":3}}"),
                     202);
    assert_int_equal((int)api_num(f, "queued"), 0);
    /* several products, one of them listed: delivered once */
    assert_int_equal(purchase(f, "purchase_approved", "[\"" OTHER "\",\"" PRODUCT "\",\"p-3\"]", 4),
                     1);
    /* the listed product, but an event the webhook does not listen to */
    assert_int_equal(purchase(f, "refund", "[\"" PRODUCT "\"]", 5), 0);
    assert_purchase(f, seed_expect(f, 1), hook.secret, 4);
    assert_int_equal(hub_fixture_count(&f->hub, hook.id, -1), 1);
    assert_int_equal(hub_fixture_count(&f->hub, hook.id, WH_DELIVERY_SUCCEEDED), 1);

    /* the delivery log shows that one delivery, succeeded */
    assert_int_equal(api_call(f, "GET", HOOK_PATH "/deliveries", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f->json, "deliveries"), 0);
    assert_string_equal(seed_str(d, "status"), "succeeded");
    assert_string_equal(seed_str(d, "eventType"), "purchase_approved");
    assert_int_equal((int)seed_num(d, "lastStatus"), 200);

    /* another owner neither sees it nor reaches it */
    assert_int_equal(api_call(f, "GET", HOOK_PATH, KEY_BOB, NULL), 404);
    assert_int_equal(
        seed_emit(f, KEY_BOB, "{\"type\":\"purchase_approved\",\"products\":[\"" PRODUCT "\"]}"),
        0);
    seed_expect(f, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_catalogue_lists_the_seed_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting_config_until_configured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_product_filter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
