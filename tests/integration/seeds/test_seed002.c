/*
 * Seed 002 (RD Station, "Atualizar um Webhook", PUT /webhooks/{uuid}): event_type from an enum
 * (WEBHOOK.CONVERTED, WEBHOOK.MARKED_OPPORTUNITY, crm_deal_*), entity_type CONTACT,
 * event_identifiers (deliver only events with a listed identifier), http_method (only POST
 * there), include_relations (COMPANY, CONTACT_FUNNEL sections added to the payload), default
 * status active; 400 / 401 / 404.
 *
 * The host registers the seed's enums in the catalogue and restricts delivery methods to POST.
 */
#include <stdio.h>
#include <stdlib.h>

#include "seed_scenario.h"
#include "wh_test.h"

#define UNKNOWN_UUID "5408c5a3-4711-4f2e-8d0b-13407a3e30f3"

/* The seed's PUT body, with the receiver as url. */
static const char SEED_PUT[] =
    "{\"event_type\":\"WEBHOOK.CONVERTED\",\"entity_type\":\"CONTACT\","
    "\"event_identifiers\":[\"form-newsletter\",\"form-demo\"],"
    "\"url\":\"RECV/rd/conversions\",\"http_method\":\"POST\","
    "\"include_relations\":[\"COMPANY\",\"CONTACT_FUNNEL\"],"
    "\"platform_account_id\":123456}"; /* the owner comes from the credential */

static const char COMPANY[] = "{\"name\":\"ACME Ltda\",\"cnpj\":\"00.000.000/0001-00\"}";
static const char FUNNEL[] = "{\"lifecycle_stage\":\"Lead\",\"opportunity\":false}";

static int setup(void **state)
{
    api_fixture *f = seed_start();
    WH_ASSERT_OK(wh_api_set_allowed_methods(f->api, WH_API_METHOD_BIT(WH_METHOD_POST)));
    const char cat[] = "{\"eventTypes\":[\"WEBHOOK.CONVERTED\",\"WEBHOOK.MARKED_OPPORTUNITY\","
                       "\"crm_deal_created\",\"crm_deal_updated\",\"crm_deal_deleted\"],"
                       "\"entities\":[{\"name\":\"CONTACT\",\"actions\":[]},{\"name\":\"DEAL\"}],"
                       "\"relations\":[\"COMPANY\",\"CONTACT_FUNNEL\"]}";
    WH_ASSERT_OK(wh_api_catalogue_load_json(f->api, cat, sizeof(cat) - 1));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    seed_stop(*state);
    return 0;
}

/* An event about a CONTACT with the given identifier (NULL: none) and relations (a JSON object
 * text). */
static size_t contact_event(api_fixture *f, const char *type, const char *entity,
                            const char *identifier, const char *relations, const char *email)
{
    char ev[1024], ident[128] = "";
    if (identifier) snprintf(ident, sizeof(ident), "\"identifier\":\"%s\",", identifier);
    snprintf(ev, sizeof(ev),
             "{\"type\":\"%s\",\"entity\":\"%s\",%s\"source\":\"MKT\",\"relations\":%s,"
             "\"data\":{\"leads\":[{\"email\":\"%s\",\"name\":\"Lead\"}]}}",
             type, entity, ident, relations, email);
    return seed_emit(f, KEY_ALICE, ev);
}

static size_t conversion(api_fixture *f, const char *type, const char *identifier,
                         const char *relations, const char *email)
{
    return contact_event(f, type, "CONTACT", identifier, relations, email);
}

/* The stored webhook as GET answers it (text; free with free()). */
static char *get_text(api_fixture *f, const char *path)
{
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    char *text = strdup(f->last.body);
    assert_non_null(text);
    return text;
}

static void test_put_replaces_with_defaults(void **state)
{
    api_fixture *f = *state;
    seed_hook hook;
    seed_create(f, KEY_ALICE,
                "{\"name\":\"Old\",\"event_type\":\"WEBHOOK.MARKED_OPPORTUNITY\","
                "\"entity_type\":\"CONTACT\",\"url\":\"RECV/rd/old\",\"http_method\":\"POST\","
                "\"status\":\"disabled\",\"headers\":{\"X-Old\":\"1\"},"
                "\"event_identifiers\":[\"old-form\"],\"source\":\"CRM\","
                "\"retry\":{\"preset\":\"none\"},\"metadata\":{\"k\":1}}",
                &hook);
    char path[192];
    snprintf(path, sizeof(path), "/webhooks/%s", hook.id);
    f->hub.now += 60000;
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, SEED_PUT), 200);
    /* given: as sent */
    assert_string_equal(api_str(f, "id"), hook.id);
    const char *events[] = {"WEBHOOK.CONVERTED"};
    assert_true(seed_strings_are(f->json, "events", events, 1));
    assert_string_equal(api_str(f, "entity"), "CONTACT");
    assert_string_equal(api_str(f, "method"), "POST");
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(f->json, "filters");
    const char *idents[] = {"form-newsletter", "form-demo"};
    assert_true(seed_strings_are(filters, "eventIdentifiers", idents, 2));
    const char *rels[] = {"COMPANY", "CONTACT_FUNNEL"};
    assert_true(seed_strings_are(f->json, "includeRelations", rels, 2));
    assert_string_equal(api_str(f, "ownerId"), "alice"); /* not platform_account_id */
    /* not given: back to the defaults (status active, as the seed says) */
    assert_string_equal(api_str(f, "status"), "active");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f->json, "name")));
    assert_int_equal(seed_size(f->json, "headers"), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(filters, "source")));
    assert_int_equal(seed_size(f->json, "metadata"), 0);
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(f->json, "retry");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(retry, "enabled")));
    assert_int_equal(seed_size(retry, "schedule"), 7); /* the standard schedule */
    /* identity and times: created kept, updated now */
    assert_string_equal(api_str(f, "createdAt"), "2027-01-15T08:00:00.000Z");
    assert_string_equal(api_str(f, "updatedAt"), "2027-01-15T08:01:00.000Z");

    /* the replacement is what delivers: to the new url, signed with the kept secret */
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", "form-demo", "{}", "a@example.com"), 1);
    const wh_recv_request *q = seed_expect(f, 1);
    seed_assert_delivery(f, q, "POST", "/rd/conversions", hook.secret);
    assert_null(wh_recv_request_header(q, "X-Old"));

    /* the seed's curl example has no url, which is required: 400, nothing changed */
    char *before = get_text(f, path);
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE,
                              "{\"event_type\":\"WEBHOOK.CONVERTED\",\"entity_type\":\"CONTACT\","
                              "\"http_method\":\"POST\"}"),
                     400);
    assert_true(api_has_detail(f, "url"));
    char *after = get_text(f, path);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_identifier_filter_and_relations(void **state)
{
    api_fixture *f = *state;
    seed_hook hook;
    seed_create(f, KEY_ALICE, SEED_PUT, &hook);
    const char *three = "{\"COMPANY\":{\"name\":\"ACME Ltda\",\"cnpj\":\"00.000.000/0001-00\"},"
                        "\"CONTACT_FUNNEL\":{\"lifecycle_stage\":\"Lead\",\"opportunity\":false},"
                        "\"OPPORTUNITY\":{\"value\":1000}}";
    /* identifier listed: delivered with exactly the included relations */
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", "form-demo", three, "one@example.com"), 1);
    /* identifier not listed, or none: not delivered */
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", "form-other", three, "x@example.com"), 0);
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", NULL, three, "y@example.com"), 0);
    /* another event type with a listed identifier: not delivered */
    assert_int_equal(
        conversion(f, "WEBHOOK.MARKED_OPPORTUNITY", "form-demo", three, "z@example.com"), 0);
    /* event type and entity must both hold: the type with another entity, or the entity with
     * another type, is not delivered */
    assert_int_equal(contact_event(f, "WEBHOOK.CONVERTED", "DEAL", "form-demo", three, "d@x.io"),
                     0);
    assert_int_equal(contact_event(f, "crm_deal_created", "CONTACT", "form-demo", three, "c@x.io"),
                     0);
    const wh_recv_request *q = seed_expect(f, 1);
    seed_assert_delivery(f, q, "POST", "/rd/conversions", hook.secret);
    cJSON *body = seed_body(q);
    /* the default envelope plus COMPANY and CONTACT_FUNNEL as top-level keys, nothing else */
    const char *keys[] = {"id", "type", "timestamp", "data", "COMPANY", "CONTACT_FUNNEL"};
    assert_int_equal(cJSON_GetArraySize(body), 6);
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, body) assert_string_equal(item->string, keys[i++]);
    assert_string_equal(seed_str(body, "type"), "WEBHOOK.CONVERTED");
    cJSON *want = cJSON_Parse(COMPANY);
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(body, "COMPANY"), want, 1));
    cJSON_Delete(want);
    want = cJSON_Parse(FUNNEL);
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(body, "CONTACT_FUNNEL"), want, 1));
    cJSON_Delete(want);
    const cJSON *lead = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "data"), "leads"),
        0);
    assert_string_equal(seed_str(lead, "email"), "one@example.com");
    cJSON_Delete(body);

    /* the other listed identifier, with only one of the relations: only that one is added */
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", "form-newsletter",
                                "{\"COMPANY\":{\"name\":\"ACME Ltda\"}}", "two@example.com"),
                     1);
    q = seed_expect(f, 2);
    seed_assert_delivery(f, q, "POST", "/rd/conversions", hook.secret);
    body = seed_body(q);
    assert_int_equal(cJSON_GetArraySize(body), 5);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(body, "COMPANY"));
    assert_null(cJSON_GetObjectItemCaseSensitive(body, "CONTACT_FUNNEL"));
    cJSON_Delete(body);

    /* without include_relations, the event's relations are not sent at all */
    char path[192];
    snprintf(path, sizeof(path), "/webhooks/%s", hook.id);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"include_relations\":[]}"), 200);
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", "form-demo", three, "3@example.com"), 1);
    q = seed_expect(f, 3);
    body = seed_body(q);
    assert_int_equal(cJSON_GetArraySize(body), 4);
    cJSON_Delete(body);
}

static void test_only_post_and_errors(void **state)
{
    api_fixture *f = *state;
    seed_hook hook;
    seed_create(f, KEY_ALICE, SEED_PUT, &hook);
    char path[192];
    snprintf(path, sizeof(path), "/webhooks/%s", hook.id);
    char *before = get_text(f, path);

    /* the host allows POST only: a webhook asking PUT is refused, naming the method */
    static const char PUT_METHOD[] =
        "{\"event_type\":\"WEBHOOK.CONVERTED\",\"entity_type\":\"CONTACT\","
        "\"url\":\"RECV/rd/conversions\",\"http_method\":\"PUT\"}";
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, PUT_METHOD), 400);
    assert_true(api_has_detail(f, "PUT is not allowed"));
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE, PUT_METHOD), 400);
    assert_true(api_has_detail(f, "method: PUT"));

    /* values outside the seed's enums: 400 naming each */
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE,
                              "{\"event_type\":\"WEBHOOK.UNKNOWN\",\"entity_type\":\"COMPANY\","
                              "\"url\":\"RECV/rd\",\"http_method\":\"POST\","
                              "\"include_relations\":[\"COMPANY\",\"DEAL\"]}"),
                     400);
    assert_true(api_has_detail(f, "WEBHOOK.UNKNOWN"));
    assert_true(api_has_detail(f, "\"COMPANY\"")); /* the entity */
    assert_true(api_has_detail(f, "DEAL"));
    assert_int_equal(seed_size(f->json, "details"), 3);
    /* a bad body: malformed JSON, wrong types */
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, "{\"event_type\":"), 400);
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE,
                              "{\"event_type\":7,\"url\":\"RECV/rd\",\"http_method\":\"POST\","
                              "\"event_identifiers\":\"form-demo\"}"),
                     400);
    assert_true(api_has_detail(f, "event_type"));
    assert_true(api_has_detail(f, "eventIdentifiers"));
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, "[]"), 400);
    /* nothing of that changed the webhook */
    char *after = get_text(f, path);
    assert_string_equal(before, after);
    free(after);
    free(before);

    /* 404: an unknown uuid, and another owner's webhook */
    assert_int_equal(api_call(f, "PUT", "/webhooks/" UNKNOWN_UUID, KEY_ALICE, SEED_PUT), 404);
    assert_non_null(strstr(api_str(f, "message"), UNKNOWN_UUID));
    assert_int_equal(api_call(f, "PUT", path, KEY_BOB, SEED_PUT), 404);
    /* 401: no credential */
    assert_int_equal(api_call(f, "PUT", path, NULL, SEED_PUT), 401);

    /* and deliveries still go out by POST, unchanged */
    assert_int_equal(conversion(f, "WEBHOOK.CONVERTED", "form-demo", "{}", "a@example.com"), 1);
    seed_assert_delivery(f, seed_expect(f, 1), "POST", "/rd/conversions", hook.secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_replaces_with_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identifier_filter_and_relations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_post_and_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
