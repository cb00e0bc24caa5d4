/*
 * Seed 004 (WhautoChat Webhooks API): list with limit and page, create, update (PUT with
 * serverUrl and active), delete answering {"success": true}, all with the `x-api-key` header,
 * and events across channels (incoming_whatsapp_message, contact_tag_added, ...).
 *
 * The host registers the seed's thirteen channel events in its catalogue.
 */
#include <stdio.h>
#include <stdlib.h>

#include "seed_scenario.h"
#include "wh_test.h"

#define API_KEY "wac_live_5f2b9c0d1e"

static const char *const CHANNEL_EVENTS[] = {"incoming_whatsapp_message",
                                             "outgoing_whatsapp_message",
                                             "incoming_instagram_message",
                                             "outgoing_instagram_message",
                                             "incoming_telegram_message",
                                             "outgoing_telegram_message",
                                             "incoming_messenger_message",
                                             "outgoing_messenger_message",
                                             "incoming_website_message",
                                             "outgoing_website_message",
                                             "contact_created",
                                             "contact_tag_added",
                                             "contact_tag_removed"};
#define NCHANNEL_EVENTS (sizeof(CHANNEL_EVENTS) / sizeof(CHANNEL_EVENTS[0]))

static int setup(void **state)
{
    api_fixture *f = seed_start();
    WH_ASSERT_OK(wh_api_add_key(f->api, API_KEY, "account-77", WH_SCOPE_ALL));
    for (size_t i = 0; i < NCHANNEL_EVENTS; i++)
        WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, CHANNEL_EVENTS[i], NULL, NULL));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    seed_stop(*state);
    return 0;
}

/* GET /webhooks?query; asserts 200, the page's size and the total; returns the page. */
static const cJSON *page(api_fixture *f, const char *query, int size, int total)
{
    char target[128];
    snprintf(target, sizeof(target), "/webhooks?%s", query);
    assert_int_equal(api_call(f, "GET", target, API_KEY, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), total);
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(f->json, "webhooks");
    assert_int_equal(cJSON_GetArraySize(hooks), size);
    return hooks;
}

static void test_pagination_with_limit_and_page(void **state)
{
    api_fixture *f = *state;
    char ids[25][128];
    for (int i = 0; i < 25; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"name\":\"Atendimento %02d\",\"serverUrl\":\"RECV/wa/%d\",\"active\":true,"
                 "\"events\":[\"incoming_whatsapp_message\"]}",
                 i, i);
        seed_hook h;
        seed_create(f, API_KEY, body, &h);
        snprintf(ids[i], sizeof(ids[i]), "%s", h.id);
        f->hub.now += 1000; /* distinct creation times */
    }
    /* pages 1..3 of 10: 10, 10, 5; together every webhook once */
    int seen[25] = {0};
    const int sizes[] = {10, 10, 5};
    for (int p = 1; p <= 3; p++) {
        char query[64];
        snprintf(query, sizeof(query), "limit=10&page=%d", p);
        const cJSON *hooks = page(f, query, sizes[p - 1], 25);
        assert_int_equal((int)api_num(f, "page"), p);
        assert_int_equal((int)api_num(f, "limit"), 10);
        const cJSON *h;
        cJSON_ArrayForEach(h, hooks)
        {
            int found = 0;
            for (int i = 0; i < 25; i++)
                if (strcmp(seed_str(h, "id"), ids[i]) == 0) {
                    seen[i]++;
                    found = 1;
                }
            assert_true(found);
        }
    }
    for (int i = 0; i < 25; i++)
        assert_int_equal(seen[i], 1);
    /* past the end: an empty page, the total still 25 */
    page(f, "limit=10&page=4", 0, 25);
    page(f, "page=100&limit=10", 0, 25);
    /* without limit: the default 20; limit outside 1..100 or a bad page: 400 */
    page(f, "page=2", 5, 25);
    assert_int_equal((int)api_num(f, "limit"), 20);
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=0", API_KEY, NULL), 400);
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=101", API_KEY, NULL), 400);
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=10&page=zero", API_KEY, NULL), 400);
    /* another account sees none of them */
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=10&page=1", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 0);
}

static void test_update_delete_and_x_api_key(void **state)
{
    api_fixture *f = *state;
    /* x-api-key is the credential; none or a wrong one: 401 */
    assert_int_equal(api_call(f, "GET", "/webhooks", NULL, NULL), 401);
    assert_int_equal(api_call(f, "GET", "/webhooks", "wac_live_wrong", NULL), 401);

    /* the seed's schema, every channel event */
    char body[2048] = "{\"name\":\"Atendimento\",\"serverUrl\":\"RECV/whautochat\","
                      "\"active\":true,\"events\":[";
    for (size_t i = 0; i < NCHANNEL_EVENTS; i++)
        snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s\"%s\"", i ? "," : "",
                 CHANNEL_EVENTS[i]);
    strcat(body, "]}");
    seed_hook hook;
    seed_create(f, API_KEY, body, &hook);
    assert_true(seed_strings_are(f->json, "events", CHANNEL_EVENTS, NCHANNEL_EVENTS));
    assert_string_equal(api_str(f, "status"), "active");
    char path[192];
    snprintf(path, sizeof(path), "/webhooks/%s", hook.id);

    assert_int_equal(
        seed_emit(f, API_KEY,
                  "{\"type\":\"incoming_whatsapp_message\",\"data\":{\"text\":\"oi\"}}"),
        1);
    seed_assert_delivery(f, seed_expect(f, 1), "POST", "/whautochat", hook.secret);

    /* PUT with serverUrl and active false: disabled, no deliveries */
    f->hub.now += 60000;
    assert_int_equal(api_call(f, "PUT", path, API_KEY,
                              "{\"name\":\"Atendimento 2\",\"serverUrl\":\"RECV/v2/whautochat\","
                              "\"active\":false,\"events\":[\"incoming_whatsapp_message\"]}"),
                     200);
    assert_string_equal(api_str(f, "status"), "disabled");
    assert_string_equal(api_str(f, "name"), "Atendimento 2");
    assert_non_null(strstr(api_str(f, "url"), "/v2/whautochat"));
    assert_string_equal(api_str(f, "updatedAt"), "2027-01-15T08:01:00.000Z");
    assert_int_equal(seed_emit(f, API_KEY, "{\"type\":\"incoming_whatsapp_message\"}"), 0);
    seed_expect(f, 1);
    /* active again: delivered to the new serverUrl */
    assert_int_equal(api_call(f, "PUT", path, API_KEY,
                              "{\"name\":\"Atendimento 2\",\"serverUrl\":\"RECV/v2/whautochat\","
                              "\"active\":true,\"events\":[\"incoming_whatsapp_message\"]}"),
                     200);
    assert_string_equal(api_str(f, "status"), "active");
    assert_int_equal(seed_emit(f, API_KEY, "{\"type\":\"incoming_whatsapp_message\"}"), 1);
    seed_assert_delivery(f, seed_expect(f, 2), "POST", "/v2/whautochat", hook.secret);

    /* DELETE answers exactly {"success":true}; then 404, and nothing is delivered */
    assert_int_equal(api_call(f, "DELETE", path, API_KEY, NULL), 200);
    assert_string_equal(f->last.body, "{\"success\":true}");
    assert_int_equal(api_call(f, "GET", path, API_KEY, NULL), 404);
    assert_int_equal(api_call(f, "PUT", path, API_KEY,
                              "{\"serverUrl\":\"RECV/x\",\"events\":[\"contact_created\"]}"),
                     404);
    assert_int_equal(api_call(f, "DELETE", path, API_KEY, NULL), 404);
    assert_int_equal(seed_emit(f, API_KEY, "{\"type\":\"incoming_whatsapp_message\"}"), 0);
    seed_expect(f, 2);
    page(f, "limit=10&page=1", 0, 0);
}

static void test_events_across_channels(void **state)
{
    api_fixture *f = *state;
    seed_hook whatsapp, tags;
    seed_create(f, API_KEY,
                "{\"name\":\"WhatsApp\",\"serverUrl\":\"RECV/wa\",\"active\":true,"
                "\"events\":[\"incoming_whatsapp_message\",\"outgoing_whatsapp_message\"]}",
                &whatsapp);
    seed_create(f, API_KEY,
                "{\"name\":\"Tags\",\"serverUrl\":\"RECV/tags\",\"active\":true,"
                "\"events\":[\"contact_tag_added\"]}",
                &tags);
    /* an event not in the seed's list is refused */
    assert_int_equal(api_call(f, "POST", "/webhooks", API_KEY,
                              "{\"serverUrl\":\"RECV/sms\",\"events\":[\"incoming_sms_message\"]}"),
                     400);
    assert_true(api_has_detail(f, "incoming_sms_message"));

    assert_int_equal(seed_emit(f, API_KEY,
                               "{\"type\":\"incoming_whatsapp_message\",\"data\":{\"from\":"
                               "\"+5511999990000\",\"text\":\"Ol\xc3\xa1\"}}"),
                     1);
    const wh_recv_request *q = seed_expect(f, 1);
    seed_assert_delivery(f, q, "POST", "/wa", whatsapp.secret);
    cJSON *body = seed_body(q);
    assert_string_equal(seed_str(body, "type"), "incoming_whatsapp_message");
    assert_string_equal(seed_str(cJSON_GetObjectItemCaseSensitive(body, "data"), "text"),
                        "Ol\xc3\xa1");
    cJSON_Delete(body);

    assert_int_equal(
        seed_emit(f, API_KEY, "{\"type\":\"contact_tag_added\",\"data\":{\"tag\":\"vip\"}}"), 1);
    q = seed_expect(f, 2);
    seed_assert_delivery(f, q, "POST", "/tags", tags.secret);
    /* channels nobody listens to: nothing */
    assert_int_equal(seed_emit(f, API_KEY, "{\"type\":\"incoming_telegram_message\"}"), 0);
    assert_int_equal(seed_emit(f, API_KEY, "{\"type\":\"contact_tag_removed\"}"), 0);
    seed_expect(f, 2);
    assert_int_equal(wh_receiver_count_prefix(f->hub.recv, "/wa"), 1);
    assert_int_equal(wh_receiver_count_prefix(f->hub.recv, "/tags"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pagination_with_limit_and_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_delete_and_x_api_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_across_channels, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
