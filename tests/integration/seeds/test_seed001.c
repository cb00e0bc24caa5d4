/*
 * Seed 001 (Placaflow, "List webhooks of the authenticated user"): GET /webhooks lists the
 * caller's own webhooks with their delivery stats (lastDeliveryAt, lastDeliveryStatus,
 * failureCount of consecutive failures) and custom headers sent with every delivery;
 * `Authorization: Bearer pk_...`; 401 unauthenticated, 403 without webhooks:read.
 *
 * The host reveals secrets in listings (wh_api_options.reveal_secrets), as the seed's listing
 * shows each webhook's whsec_ secret.
 */
#include <stdio.h>
#include <stdlib.h>

#include "seed_scenario.h"
#include "wh_test.h"

#define USER_A     "c3a1e902-4f5b-4b8a-9c6d-1a2b3c4d5e6f"
#define USER_B     "7d1e5a20-0b6c-4e3f-9a8b-2c4d6e8f0a1b"
#define PK_A       "pk_a1b2c3d4e5f6g7h8i9j0"
#define PK_B       "pk_z9y8x7w6v5u4t3s2r1q0"
#define PK_A_WRITE "pk_writeonly_0123456789"
#define ERP_SECRET "whsec_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"

static const char ERP[] = "{\"name\":\"Sistema ERP\",\"url\":\"RECV/webhook/placaflow\","
                          "\"secret\":\"" ERP_SECRET "\",\"enabled\":true,"
                          "\"events\":[\"recognition.created\",\"alert.triggered\"],"
                          "\"headers\":{\"X-Source\":\"placaflow\"},"
                          "\"userId\":\"" USER_B "\"}"; /* an owner in the body is ignored */

static const char CAMERAS[] = "{\"name\":\"Monitor de c\xc3\xa2meras\","
                              "\"url\":\"RECV/hooks/cameras\",\"enabled\":true,"
                              "\"events\":[\"camera.online\",\"camera.offline\"],\"headers\":{}}";

static int setup(void **state)
{
    api_fixture *f = seed_start();
    WH_ASSERT_OK(wh_api_set_reveal_secrets(f->api, 1));
    WH_ASSERT_OK(wh_api_add_key(f->api, PK_A, USER_A, WH_SCOPE_ALL));
    WH_ASSERT_OK(wh_api_add_key(f->api, PK_B, USER_B, WH_SCOPE_ALL));
    WH_ASSERT_OK(wh_api_add_key(f->api, PK_A_WRITE, USER_A, WH_SCOPE_WEBHOOKS_WRITE));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    seed_stop(*state);
    return 0;
}

/* GET /webhooks as bearer; asserts 200 and the total. */
static const cJSON *list(api_fixture *f, const char *bearer, int total)
{
    assert_int_equal(seed_call_bearer(f, "GET", "/webhooks", bearer, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), total);
    const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(f->json, "webhooks");
    assert_int_equal(cJSON_GetArraySize(hooks), total);
    return hooks;
}

/* The stats of one listed webhook: lastDeliveryAt (NULL: null), lastDeliveryStatus (0: null),
 * failureCount. */
static void assert_stats(const cJSON *hook, const char *at, int status, int failures)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(hook, "lastDeliveryAt");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(hook, "lastDeliveryStatus");
    if (at)
        assert_string_equal(cJSON_IsString(a) ? a->valuestring : "(not a string)", at);
    else
        assert_true(cJSON_IsNull(a));
    if (status)
        assert_int_equal(cJSON_IsNumber(s) ? (int)s->valuedouble : -1, status);
    else
        assert_true(cJSON_IsNull(s));
    assert_int_equal((int)seed_num(hook, "failureCount"), failures);
}

static void test_unauthenticated_and_missing_scope(void **state)
{
    api_fixture *f = *state;
    /* no credential: 401 with the error body */
    assert_int_equal(seed_call_bearer(f, "GET", "/webhooks", NULL, NULL), 401);
    assert_non_null(api_str(f, "message"));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(f->json, "details")));
    assert_non_null(api_header(f, "WWW-Authenticate"));
    /* an invalid API key: 401 too */
    assert_int_equal(seed_call_bearer(f, "GET", "/webhooks", "pk_not_a_key", NULL), 401);
    assert_non_null(api_str(f, "message"));
    /* a valid key without webhooks:read: 403 naming the scope */
    assert_int_equal(seed_call_bearer(f, "GET", "/webhooks", PK_A_WRITE, NULL), 403);
    assert_true(strstr(api_str(f, "message"), "webhooks:read") ||
                api_has_detail(f, "webhooks:read"));
    /* which does not stop it from writing */
    seed_hook h;
    seed_create_bearer(f, PK_A_WRITE, CAMERAS, &h);
    assert_int_equal(seed_call_bearer(f, "GET", "/webhooks", PK_A_WRITE, NULL), 403);
    /* the owner's full key reads it */
    const cJSON *hooks = list(f, PK_A, 1);
    assert_string_equal(seed_str(cJSON_GetArrayItem(hooks, 0), "id"), h.id);
    /* no credential changes nothing either */
    assert_int_equal(seed_call_bearer(f, "POST", "/webhooks", NULL, ERP), 401);
    list(f, PK_A, 1);
}

static void test_per_owner_listing_with_stats_and_headers(void **state)
{
    api_fixture *f = *state;
    seed_hook erp, cams, other;
    seed_create_bearer(f, PK_A, ERP, &erp);
    assert_string_equal(erp.secret, ERP_SECRET); /* the client's own secret */
    f->hub.now += 1000;
    seed_create_bearer(f, PK_A, CAMERAS, &cams);
    assert_true(strncmp(cams.secret, "whsec_", 6) == 0); /* generated */
    seed_create_bearer(f, PK_B,
                       "{\"name\":\"Outro\",\"url\":\"RECV/b\",\"enabled\":true,"
                       "\"events\":[\"recognition.created\"]}",
                       &other);

    /* each owner lists its own, with the seed's fields; nothing delivered yet */
    const cJSON *hooks = list(f, PK_A, 2);
    const cJSON *h = seed_find_by_id(hooks, erp.id);
    assert_non_null(h);
    assert_string_equal(seed_str(h, "ownerId"), USER_A);
    assert_string_equal(seed_str(h, "name"), "Sistema ERP");
    assert_string_equal(seed_str(h, "status"), "active");
    const char *erp_events[] = {"recognition.created", "alert.triggered"};
    assert_true(seed_strings_are(h, "events", erp_events, 2));
    assert_string_equal(seed_str(cJSON_GetObjectItemCaseSensitive(h, "headers"), "X-Source"),
                        "placaflow");
    const char *erp_secrets[] = {ERP_SECRET};
    assert_true(seed_strings_are(h, "secrets", erp_secrets, 1));
    assert_string_equal(seed_str(h, "createdAt"), "2027-01-15T08:00:00.000Z");
    assert_stats(h, NULL, 0, 0);
    h = seed_find_by_id(hooks, cams.id);
    assert_non_null(h);
    assert_string_equal(seed_str(h, "name"), "Monitor de c\xc3\xa2meras");
    assert_int_equal(seed_size(h, "headers"), 0);
    assert_stats(h, NULL, 0, 0);
    assert_null(seed_find_by_id(hooks, other.id));
    hooks = list(f, PK_B, 1);
    assert_string_equal(seed_str(cJSON_GetArrayItem(hooks, 0), "id"), other.id);
    assert_string_equal(seed_str(cJSON_GetArrayItem(hooks, 0), "ownerId"), USER_B);
    /* another owner's webhook is not found */
    char path[192];
    snprintf(path, sizeof(path), "/webhooks/%s", erp.id);
    assert_int_equal(seed_call_bearer(f, "GET", path, PK_B, NULL), 404);

    /* a delivery that succeeds, with the custom header */
    wh_receiver_set_status(f->hub.recv, "/hooks/cameras", 500);
    f->hub.now = 1800000000000LL + 60000; /* 08:01 */
    assert_int_equal(seed_call_bearer(f, "POST", "/events", PK_A,
                                      "{\"type\":\"recognition.created\","
                                      "\"data\":{\"plate\":\"ABC1D23\",\"camera\":\"cam-1\"}}"),
                     202);
    assert_int_equal((int)api_num(f, "queued"), 1); /* user B's webhook is not reached */
    const wh_recv_request *q = seed_expect(f, 1);
    seed_assert_delivery(f, q, "POST", "/webhook/placaflow", ERP_SECRET);
    assert_string_equal(wh_recv_request_header(q, "X-Source"), "placaflow");
    cJSON *body = seed_body(q);
    assert_string_equal(seed_str(body, "type"), "recognition.created");
    assert_string_equal(seed_str(cJSON_GetObjectItemCaseSensitive(body, "data"), "plate"),
                        "ABC1D23");
    cJSON_Delete(body);

    /* a delivery that fails (the endpoint answers 500), without the other webhook's header */
    f->hub.now += 60000;                                                           /* 08:02 */
    assert_int_equal(seed_emit(f, KEY_ALICE, "{\"type\":\"camera.offline\"}"), 0); /* alice */
    assert_int_equal(seed_call_bearer(f, "POST", "/events", PK_A,
                                      "{\"type\":\"camera.offline\",\"data\":{\"camera\":\"c2\"}}"),
                     202);
    assert_int_equal((int)api_num(f, "queued"), 1);
    q = seed_expect(f, 2);
    seed_assert_delivery(f, q, "POST", "/hooks/cameras", cams.secret);
    assert_null(wh_recv_request_header(q, "X-Source"));

    hooks = list(f, PK_A, 2);
    assert_stats(seed_find_by_id(hooks, erp.id), "2027-01-15T08:01:00.000Z", 200, 0);
    assert_stats(seed_find_by_id(hooks, cams.id), "2027-01-15T08:02:00.000Z", 500, 1);
    hooks = list(f, PK_B, 1);
    assert_stats(cJSON_GetArrayItem(hooks, 0), NULL, 0, 0);

    /* failureCount counts consecutive failures: the retry 5 s later fails again ... */
    f->hub.now += 5000;
    q = seed_expect(f, 3);
    seed_assert_delivery(f, q, "POST", "/hooks/cameras", cams.secret);
    hooks = list(f, PK_A, 2);
    assert_stats(seed_find_by_id(hooks, cams.id), "2027-01-15T08:02:05.000Z", 500, 2);
    /* ... and a success (the next retry, 5 minutes on) starts again from 0 */
    wh_receiver_set_status(f->hub.recv, "/hooks/cameras", 204);
    f->hub.now += 300000;
    q = seed_expect(f, 4);
    seed_assert_delivery(f, q, "POST", "/hooks/cameras", cams.secret);
    hooks = list(f, PK_A, 2);
    assert_stats(seed_find_by_id(hooks, cams.id), "2027-01-15T08:07:05.000Z", 204, 0);
    assert_stats(seed_find_by_id(hooks, erp.id), "2027-01-15T08:01:00.000Z", 200, 0);

    /* x-api-key works as well as Bearer for the same key */
    assert_int_equal(api_call(f, "GET", "/webhooks", PK_A, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unauthenticated_and_missing_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_owner_listing_with_stats_and_headers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
