/*
 * The registration API (wh_api_handle) driven directly: routing, authentication and scopes,
 * owner isolation, create/read/replace/patch/delete, secrets shown once, rotation, pagination,
 * the event catalogue, options and the binding-friendly entry points.
 */
#include <stdio.h>
#include <stdlib.h>

#include "api_fixture.h"
#include "wh_test.h"

#define HOOK "{\"url\":\"RECV/hook\",\"events\":[\"order.created\"]}"

/* ---- routing ---- */

static void test_unknown_routes_answer_404(void **state)
{
    api_fixture *f = *state;
    const char *paths[] = {"/",
                           "",
                           "/nope",
                           "/webhooks/a/b",
                           "//webhooks",
                           "/webhooks//",
                           "/webhooks/x/secret",
                           "/events/1",
                           "webhooks",
                           "/deliveries/x",
                           "/webhooks/x/secret/rotate/now"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (api_call(f, "GET", paths[i], KEY_ALICE, NULL) != 404)
            print_error("path '%s' -> %d\n", paths[i], f->last.status);
        assert_int_equal(f->last.status, 404);
    }
    /* unknown routes answer 404 before authentication: routes are not secret */
    assert_int_equal(api_call(f, "GET", "/nope", NULL, NULL), 404);
}

static void test_wrong_method_answers_405_with_allow(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "PUT", "/webhooks", KEY_ALICE, HOOK), 405);
    assert_string_equal(api_header(f, "Allow"), "GET, POST, OPTIONS");
    assert_int_equal(api_call(f, "POST", "/webhooks/abc", KEY_ALICE, NULL), 405);
    assert_string_equal(api_header(f, "Allow"), "GET, PUT, PATCH, DELETE, OPTIONS");
    assert_int_equal(api_call(f, "GET", "/events", KEY_ALICE, NULL), 405);
    assert_string_equal(api_header(f, "Allow"), "POST, OPTIONS");
    assert_int_equal(api_call(f, "GET", "/webhooks/abc/secret/rotate", KEY_ALICE, NULL), 405);
    assert_int_equal(api_call(f, "DELETE", "/event-types", KEY_ALICE, NULL), 405);
    assert_string_equal(api_header(f, "Allow"), "GET, OPTIONS");
    assert_int_equal(api_call(f, "get", "/webhooks", KEY_ALICE, NULL), 405); /* case-sensitive */
    /* 405 comes before authentication too */
    assert_int_equal(api_call(f, "PATCH", "/webhooks", NULL, NULL), 405);
    assert_int_equal(api_call(f, "OPTIONS", "/webhooks/abc/deliveries", NULL, NULL), 204);
    assert_string_equal(api_header(f, "Allow"), "GET, OPTIONS");
}

static void test_paths_are_decoded_and_trailing_slash_ignored(void **state)
{
    api_fixture *f = *state;
    char id[64];
    api_create(f, KEY_ALICE, "{\"id\":\"abc:1\",\"url\":\"RECV/x\",\"events\":[\"a.b\"]}", id,
               sizeof(id));
    assert_int_equal(api_call(f, "GET", "/webhooks/%61bc%3A1", KEY_ALICE, NULL), 200);
    assert_string_equal(api_str(f, "id"), "abc:1");
    assert_int_equal(api_call(f, "GET", "/webhooks/abc:1/", KEY_ALICE, NULL), 200);
    assert_int_equal(api_call(f, "GET", "/webhooks/", KEY_ALICE, NULL), 200);
    assert_non_null(cJSON_GetObjectItem(f->json, "webhooks"));
    /* undecodable or impossible ids are simply not found */
    assert_int_equal(api_call(f, "GET", "/webhooks/%zz", KEY_ALICE, NULL), 404);
    assert_int_equal(api_call(f, "GET", "/webhooks/abc%00", KEY_ALICE, NULL), 404);
    assert_int_equal(api_call(f, "GET", "/webhooks/a%2Fb", KEY_ALICE, NULL), 404);
    assert_int_equal(api_call(f, "GET", "/webhooks/a%", KEY_ALICE, NULL), 404);
    assert_int_equal(api_call(f, "GET", "/webhooks/%C3%A9", KEY_ALICE, NULL), 404);
    /* servers that split the query themselves hand the parameters over decoded */
    wh_api_request req = WH_API_REQUEST_INIT;
    const char *hn[] = {"x-api-key"}, *hv[] = {KEY_ALICE};
    const char *qn[] = {"limit", NULL, "page"}, *qv[] = {"3", "x", "1"};
    req.method = "GET";
    req.path = "/webhooks";
    req.header_names = hn;
    req.header_values = hv;
    req.header_count = 1;
    req.query_names = qn;
    req.query_values = qv;
    req.query_count = 3;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"limit\":3"));
    wh_api_response_free(&resp);
    req.query = "limit=4"; /* both at once: limit given twice */
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 400);
    wh_api_response_free(&resp);
    qv[0] = "1 0";
    req.query = NULL;
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 400);
    wh_api_response_free(&resp);
    /* the query may ride on the path */
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=1%30", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "limit"), 10);
}

/* ---- authentication and scopes ---- */

static void test_no_or_bad_credential_is_401(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "GET", "/webhooks", NULL, NULL), 401);
    assert_string_equal(api_header(f, "WWW-Authenticate"), "Bearer");
    assert_int_equal(api_call(f, "GET", "/webhooks", "key-nobody", NULL), 401);
    assert_int_equal(api_call(f, "GET", "/event-types", NULL, NULL), 401);
    assert_int_equal(api_call(f, "POST", "/events", NULL, "{\"type\":\"a.b\"}"), 401);
    const char *n1[] = {"Authorization"};
    const char *bad[] = {
        "Basic a2V5LWFsaWNlOg==", "Bearer", "Bearer ", "key-alice", "Bearerkey-alice",
        "Bearer key-alice extra", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *v[] = {bad[i]};
        if (api_call_raw(f, "GET", "/webhooks", n1, v, 1, NULL, 0) != 401)
            print_error("Authorization '%s' -> %d\n", bad[i], f->last.status);
        assert_int_equal(f->last.status, 401);
    }
    /* a credential too long to be a key */
    char *big = malloc(5000);
    memset(big, 'k', 4999);
    big[4999] = '\0';
    const char *nk[] = {"x-api-key"}, *vk[] = {big};
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", nk, vk, 1, NULL, 0), 401);
    free(big);
}

static void test_bearer_and_x_api_key_both_work(void **state)
{
    api_fixture *f = *state;
    const char *n1[] = {"authorization"}, *v1[] = {"Bearer key-alice"};
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n1, v1, 1, NULL, 0), 200);
    const char *v2[] = {"  bearer   key-alice  "};
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n1, v2, 1, NULL, 0), 200);
    const char *n3[] = {"X-API-KEY"}, *v3[] = {"key-alice"};
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n3, v3, 1, NULL, 0), 200);
    /* a non-Bearer Authorization falls back to x-api-key */
    const char *n4[] = {"Authorization", "x-api-key"}, *v4[] = {"Basic Zm9vOmJhcg==", "key-bob"};
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n4, v4, 2, NULL, 0), 200);
    /* Bearer wins over x-api-key: a bad bearer is not rescued by a good x-api-key */
    const char *v5[] = {"Bearer wrong", "key-bob"};
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n4, v5, 2, NULL, 0), 401);
}

static void test_missing_scope_is_403(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE_READ, HOOK), 403);
    assert_string_equal(api_header(f, "WWW-Authenticate"),
                        "Bearer error=\"insufficient_scope\", scope=\"webhooks:write\"");
    assert_non_null(strstr(api_str(f, "message"), "webhooks:write"));
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE_WRITE, NULL), 403);
    assert_non_null(strstr(api_str(f, "message"), "webhooks:read"));
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE_EVENTS, NULL), 403);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE_READ, "{\"type\":\"a.b\"}"), 403);
    assert_non_null(strstr(api_str(f, "message"), "events:write"));
    /* 403 before 404: a missing scope says nothing about the webhook */
    assert_int_equal(api_call(f, "DELETE", "/webhooks/whatever", KEY_ALICE_READ, NULL), 403);
    assert_int_equal(api_call(f, "GET", "/webhooks/x/deliveries", KEY_ALICE_WRITE, NULL), 403);
    assert_int_equal(api_call(f, "POST", "/deliveries/x/retry", KEY_ALICE_READ, NULL), 403);
    /* each scope grants its own routes */
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE_READ, NULL), 200);
    char id[64];
    api_create(f, KEY_ALICE_WRITE, HOOK, id, sizeof(id));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE_EVENTS, "{\"type\":\"a.b\"}"), 202);
    /* the catalogue needs a credential but no scope */
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE_EVENTS, NULL), 200);
}

/* A client retrying POST /events (maybe through another instance) gets 409 for an id already
 * accepted, and nothing is queued twice; another owner's equal id is its own. */
static void test_event_posted_twice(void **state)
{
    api_fixture *f = *state;
    char id[64];
    api_create(f, KEY_ALICE, HOOK, id, sizeof(id));
    const char *ev = "{\"id\":\"evt_retry_1\",\"type\":\"order.created\"}";
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, ev), 202);
    assert_int_equal((int)api_num(f, "queued"), 1);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, ev), 409);
    assert_non_null(strstr(api_str(f, "message"), "evt_retry_1"));
    assert_non_null(strstr(api_str(f, "message"), "already accepted"));
    assert_int_equal(api_call(f, "POST", "/events", KEY_BOB, ev), 202);
    char path[128];
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
}

typedef struct auth_state {
    int calls;
    int rc;
    const char *owner;
    unsigned int scopes;
    char seen[64];
} auth_state;

static int host_auth(const char *credential, char *owner, size_t owner_size, unsigned int *scopes,
                     void *ud)
{
    auth_state *a = ud;
    a->calls++;
    snprintf(a->seen, sizeof(a->seen), "%s", credential);
    if (strcmp(credential, "tok-carol") != 0) return WH_EUNAUTHORIZED;
    snprintf(owner, owner_size, "%s", a->owner);
    *scopes = a->scopes;
    return a->rc;
}

typedef struct log_state {
    int calls;
    char last[600];
} log_state;

static void host_log(int level, const char *message, void *ud)
{
    log_state *l = ud;
    assert_int_equal(level, WH_LOG_ERROR);
    l->calls++;
    snprintf(l->last, sizeof(l->last), "%s", message);
}

static void test_host_auth_callback(void **state)
{
    api_fixture *f = *state;
    auth_state a = {0, WH_OK, "carol", WH_SCOPE_ALL, ""};
    log_state l = {0, ""};
    WH_ASSERT_OK(wh_api_set_auth(f->api, host_auth, &a));
    WH_ASSERT_OK(wh_api_set_log(f->api, host_log, &l));
    char id[64];
    const char *n[] = {"Authorization", "Content-Type"},
               *v[] = {"Bearer tok-carol", "application/json"};
    char *body = api_recv_subst(f, HOOK);
    assert_int_equal(api_call_raw(f, "POST", "/webhooks", n, v, 2, body, strlen(body)), 201);
    free(body);
    assert_string_equal(a.seen, "tok-carol");
    assert_string_equal(api_str(f, "ownerId"), "carol");
    snprintf(id, sizeof(id), "%s", api_str(f, "id"));
    /* table keys are tried first: the callback never sees them */
    int calls = a.calls;
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal(a.calls, calls);
    /* an unknown token: the callback says no -> 401 */
    assert_int_equal(api_call(f, "GET", "/webhooks", "tok-zed", NULL), 401);
    assert_int_equal(a.calls, calls + 1);
    /* scopes come from the callback */
    a.scopes = WH_SCOPE_WEBHOOKS_READ;
    const char *n2[] = {"Authorization"}, *v2[] = {"Bearer tok-carol"};
    assert_int_equal(api_call_raw(f, "DELETE", "/webhooks/x", n2, v2, 1, NULL, 0), 403);
    /* the host's key store is down: 500, the client is not told its key is bad */
    a.rc = WH_EIO;
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n2, v2, 1, NULL, 0), 500);
    assert_int_equal(l.calls, 1);
    assert_non_null(strstr(l.last, "authentication callback"));
    /* an invalid owner is a host bug: 500 */
    a.rc = WH_OK;
    a.owner = "";
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n2, v2, 1, NULL, 0), 500);
    assert_int_equal(l.calls, 2);
    a.owner = "bad\x01owner";
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n2, v2, 1, NULL, 0), 500);
    /* back to a good owner: carol sees her webhook */
    a.owner = "carol";
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n2, v2, 1, NULL, 0), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
    WH_ASSERT_OK(wh_api_set_auth(f->api, NULL, NULL));
    assert_int_equal(api_call_raw(f, "GET", "/webhooks", n2, v2, 1, NULL, 0), 401);
}

static void test_host_authenticated_principal(void **state)
{
    api_fixture *f = *state;
    char id[64];
    api_create(f, KEY_BOB, HOOK, id, sizeof(id));
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = "GET";
    req.path = "/webhooks";
    req.auth_owner = "bob";
    req.auth_scopes = WH_SCOPE_WEBHOOKS_READ;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, id));
    wh_api_response_free(&resp);
    req.method = "DELETE";
    req.path = "/webhooks/x";
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 403);
    wh_api_response_free(&resp);
}

static void test_key_table_management(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(wh_api_add_key(f->api, "", "x", WH_SCOPE_ALL), WH_EINVAL);
    assert_int_equal(wh_api_add_key(f->api, "has space", "x", WH_SCOPE_ALL), WH_EINVAL);
    assert_int_equal(wh_api_add_key(f->api, "k", "", WH_SCOPE_ALL), WH_EINVAL);
    assert_int_equal(wh_api_add_key(f->api, "k", "x", 0x100), WH_EINVAL);
    assert_int_equal(wh_api_add_key(NULL, "k", "x", WH_SCOPE_ALL), WH_EINVAL);
    WH_ASSERT_OK(
        wh_api_add_key(f->api, "pk_1", "dave", WH_SCOPE_WEBHOOKS_READ | WH_SCOPE_EVENTS_WRITE));
    assert_int_equal(api_call(f, "GET", "/webhooks", "pk_1", NULL), 200);
    assert_int_equal(api_call(f, "POST", "/webhooks", "pk_1", HOOK), 403);
    /* adding the key again replaces its owner and scopes */
    WH_ASSERT_OK(wh_api_add_key(f->api, "pk_1", "dave", WH_SCOPE_ALL));
    assert_int_equal(api_call(f, "POST", "/webhooks", "pk_1", HOOK), 201);
    assert_string_equal(api_str(f, "ownerId"), "dave");
    WH_ASSERT_OK(wh_api_remove_key(f->api, "pk_1"));
    assert_int_equal(api_call(f, "GET", "/webhooks", "pk_1", NULL), 401);
    assert_int_equal(wh_api_remove_key(f->api, "pk_1"), WH_ENOTFOUND);
    WH_ASSERT_OK(wh_api_add_key(f->api, "k2", "erin", WH_SCOPE_ALL));
    assert_int_equal(api_call(f, "POST", "/events", "k2", "{\"type\":\"a.b\"}"), 202);
}

static void test_scope_names(void **state)
{
    (void)state;
    unsigned int s = 99;
    WH_ASSERT_OK(wh_api_scopes_parse("webhooks:read, events:write", &s));
    assert_int_equal(s, WH_SCOPE_WEBHOOKS_READ | WH_SCOPE_EVENTS_WRITE);
    WH_ASSERT_OK(wh_api_scopes_parse("all", &s));
    assert_int_equal(s, WH_SCOPE_ALL);
    WH_ASSERT_OK(wh_api_scopes_parse("", &s));
    assert_int_equal(s, 0);
    assert_int_equal(wh_api_scopes_parse("webhooks:read,bogus", &s), WH_EINVAL);
    assert_int_equal(wh_api_scopes_parse("Webhooks:Read", &s), WH_EINVAL);
    assert_int_equal(wh_api_scopes_parse(NULL, &s), WH_EINVAL);
    assert_string_equal(wh_api_scope_name(WH_SCOPE_WEBHOOKS_WRITE), "webhooks:write");
    assert_null(wh_api_scope_name(WH_SCOPE_ALL));
    assert_null(wh_api_scope_name(0));
}

/* ---- create, read, secrets ---- */

static void test_create_shows_secret_once(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/h\",\"events\":[\"order.*\"],\"name\":\"ERP\","
                              "\"ownerId\":\"mallory\",\"userId\":\"mallory\","
                              "\"failureCount\":7,\"createdAt\":\"2001-01-01T00:00:00Z\"}"),
                     201);
    const cJSON *secrets = cJSON_GetObjectItem(f->json, "secrets");
    assert_int_equal(cJSON_GetArraySize(secrets), 1);
    char secret[128], id[64];
    snprintf(secret, sizeof(secret), "%s", cJSON_GetArrayItem(secrets, 0)->valuestring);
    snprintf(id, sizeof(id), "%s", api_str(f, "id"));
    assert_true(strncmp(secret, "whsec_", 6) == 0);
    /* the owner comes from the credential; server fields are ignored */
    assert_string_equal(api_str(f, "ownerId"), "alice");
    assert_int_equal((int)api_num(f, "failureCount"), 0);
    assert_string_equal(api_str(f, "createdAt"), "2027-01-15T08:00:00.000Z"); /* hub clock */
    assert_string_equal(api_str(f, "status"), "active");
    /* never again: GET and list leave it out */
    char path[128];
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_null(cJSON_GetObjectItem(f->json, "secrets"));
    assert_null(strstr(f->last.body, secret));
    assert_string_equal(api_str(f, "name"), "ERP");
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_null(strstr(f->last.body, secret));
    assert_null(strstr(f->last.body, "whsec_"));
    /* the host may reveal them */
    WH_ASSERT_OK(wh_api_set_reveal_secrets(f->api, 1));
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_non_null(strstr(f->last.body, secret));
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_non_null(strstr(f->last.body, secret));
}

/* A payload filter through the REST API: stored and shown, applied to posted events (a type
 * mismatch is false, not an error), and a malformed one answers 400 with a detail per problem
 * naming its path. */
static void test_payload_filter(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/f\",\"events\":[\"order.created\"],\"filter\":"
                              "{\"data.total\":{\"$gte\":100},\"$or\":[{\"data.currency\":\"BRL\"},"
                              "{\"data.currency\":\"USD\"}]}}"),
                     201);
    assert_non_null(cJSON_GetObjectItem(f->json, "filter"));
    const char *events[][2] = {
        {"{\"type\":\"order.created\",\"data\":{\"total\":150,\"currency\":\"BRL\"}}", "1"},
        {"{\"type\":\"order.created\",\"data\":{\"total\":50,\"currency\":\"BRL\"}}", "0"},
        {"{\"type\":\"order.created\",\"data\":{\"total\":150,\"currency\":\"EUR\"}}", "0"},
        {"{\"type\":\"order.created\",\"data\":{\"total\":\"150\",\"currency\":\"USD\"}}", "0"},
        {"{\"type\":\"order.created\",\"data\":{\"currency\":\"USD\"}}", "0"},
    };
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, events[i][0]), 202);
        assert_int_equal((int)api_num(f, "queued"), atoi(events[i][1]));
    }
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/f\",\"events\":[\"a.b\"],\"filter\":"
                              "{\"data.x\":{\"$gtx\":1},\"$or\":5}}"),
                     400);
    assert_true(api_has_detail(f, "data.x"));
    assert_true(api_has_detail(f, "$or"));
}

static void test_create_validation_details(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE, "{}"), 400);
    assert_string_equal(api_str(f, "message"), "invalid webhook");
    assert_true(api_has_detail(f, "url is required"));
    assert_true(api_has_detail(f, "events or entity"));
    /* one detail per invalid field */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"ftp://x\",\"events\":\"a.b\",\"method\":\"BREW\","
                              "\"name\":\"\",\"retry\":7}"),
                     400);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "details")) >= 5);
    assert_true(api_has_detail(f, "url"));
    assert_true(api_has_detail(f, "events"));
    assert_true(api_has_detail(f, "method"));
    assert_true(api_has_detail(f, "name"));
    assert_true(api_has_detail(f, "retry"));
    /* the SSRF guard refuses private destinations at registration */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"http://10.1.2.3/x\",\"events\":[\"a.b\"]}"),
                     400);
    assert_true(api_has_detail(f, "url"));
    /* unknown fields are ignored */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"colour\":\"blue\","
                              "\"nested\":{\"x\":[1,2]}}"),
                     201);
    assert_null(strstr(f->last.body, "colour"));
    /* seed aliases work */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"serverUrl\":\"RECV/h\",\"events\":[\"contact_created\"],"
                              "\"active\":false}"),
                     201);
    assert_string_equal(api_str(f, "status"), "disabled");
    /* a waiting_config webhook needs neither url nor events */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"status\":\"waiting_config\",\"name\":\"later\"}"),
                     201);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(f->json, "url")));
}

static void test_client_ids_and_409(void **state)
{
    api_fixture *f = *state;
    char id[64];
    api_create(f, KEY_ALICE, "{\"id\":2863878,\"url\":\"RECV/h\",\"events\":[\"a.b\"]}", id,
               sizeof(id));
    assert_string_equal(id, "2863878");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(f->json, "id"))); /* seed 000: a number */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"id\":2863878,\"url\":\"RECV/h\",\"events\":[\"a.b\"]}"),
                     409);
    assert_non_null(strstr(api_str(f, "message"), "2863878"));
    /* ids are global: another owner's id is taken too (409 says only that) */
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_BOB,
                              "{\"id\":\"2863878\",\"url\":\"RECV/h\",\"events\":[\"a.b\"]}"),
                     409);
    assert_int_equal(api_call(f, "GET", "/webhooks/2863878", KEY_ALICE, NULL), 200);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(f->json, "id")));
    /* the server may keep ids to itself */
    WH_ASSERT_OK(wh_api_set_server_ids(f->api, 1));
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"id\":\"mine\",\"url\":\"RECV/h\",\"events\":[\"a.b\"]}"),
                     400);
    assert_true(api_has_detail(f, "id"));
    api_create(f, KEY_ALICE, HOOK, id, sizeof(id));
    assert_int_equal(strlen(id), 36); /* a UUID */
}

/* ---- pagination ---- */

static void test_pagination_over_45_webhooks(void **state)
{
    api_fixture *f = *state;
    char ids[45][64], id[64];
    for (int i = 0; i < 45; i++) {
        char body[160];
        snprintf(body, sizeof(body),
                 "{\"name\":\"hook %02d\",\"url\":\"RECV/h\",\"events\":[\"a.b\"]}", i);
        api_create(f, KEY_ALICE, body, ids[i], sizeof(ids[i]));
        f->hub.now += 1000; /* createdAt orders the listing */
    }
    for (int i = 0; i < 3; i++)
        api_create(f, KEY_BOB, HOOK, id, sizeof(id));
    struct {
        const char *query;
        int page, limit, count, first;
    } cases[] = {
        {"", 1, 20, 20, 0},
        {"?limit=20&page=1", 1, 20, 20, 0},
        {"?page=2", 2, 20, 20, 20},
        {"?limit=20&page=3", 3, 20, 5, 40},
        {"?page=4", 4, 20, 0, -1},
        {"?limit=100", 1, 100, 45, 0},
        {"?limit=7&page=7", 7, 7, 3, 42},
        {"?limit=1&page=45", 45, 1, 1, 44},
        {"?page=2147483647", 2147483647, 20, 0, -1},
        {"?other=x&limit=2", 1, 2, 2, 0},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char target[64];
        snprintf(target, sizeof(target), "/webhooks%s", cases[c].query);
        assert_int_equal(api_call(f, "GET", target, KEY_ALICE, NULL), 200);
        assert_int_equal((int)api_num(f, "page"), cases[c].page);
        assert_int_equal((int)api_num(f, "limit"), cases[c].limit);
        assert_int_equal((int)api_num(f, "total"), 45);
        const cJSON *list = cJSON_GetObjectItem(f->json, "webhooks");
        assert_int_equal(cJSON_GetArraySize(list), cases[c].count);
        if (cases[c].first >= 0)
            assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "id")->valuestring,
                                ids[cases[c].first]);
        const cJSON *w;
        cJSON_ArrayForEach(w, list)
            assert_string_equal(cJSON_GetObjectItem(w, "ownerId")->valuestring, "alice");
    }
    const char *bad[] = {"limit=0",
                         "limit=101",
                         "limit=abc",
                         "limit=",
                         "limit=-1",
                         "limit=1.5",
                         "limit=+5",
                         "limit= 5",
                         "page=0",
                         "page=-2",
                         "page=x",
                         "page=2147483648",
                         "limit=99999999999999999999",
                         "limit=2&limit=3",
                         "page=1&page=1",
                         "limit=%zz"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char target[96];
        snprintf(target, sizeof(target), "/webhooks?%s", bad[i]);
        if (api_call(f, "GET", target, KEY_ALICE, NULL) != 400)
            print_error("query %s -> %d\n", bad[i], f->last.status);
        assert_int_equal(f->last.status, 400);
    }
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=0", KEY_ALICE, NULL), 400);
    assert_true(api_has_detail(f, "limit must be an integer from 1 to 100"));
    /* the host's limits */
    WH_ASSERT_OK(wh_api_set_page_limits(f->api, 5, 10));
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "limit"), 5);
    assert_int_equal(api_call(f, "GET", "/webhooks?limit=11", KEY_ALICE, NULL), 400);
    assert_int_equal(wh_api_set_page_limits(f->api, 11, 10), WH_EINVAL);
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "limit"), 5); /* unchanged by the refused setter */
    /* bob sees his three only */
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_BOB, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 3);
}

/* ---- owner isolation ---- */

static void test_another_owners_webhook_is_404_everywhere(void **state)
{
    api_fixture *f = *state;
    char bob[64], mine[64], path[160];
    api_create(f, KEY_BOB, HOOK, bob, sizeof(bob));
    api_create(f, KEY_ALICE, HOOK, mine, sizeof(mine));
    char *before = api_stored(f, bob);
    struct {
        const char *method, *suffix, *body;
    } ops[] = {
        {"GET", "", NULL},
        {"PUT", "", "{\"url\":\"RECV/stolen\",\"events\":[\"a.b\"]}"},
        {"PATCH", "", "{\"name\":\"pwned\"}"},
        {"DELETE", "", NULL},
        {"POST", "/secret/rotate", NULL},
        {"GET", "/deliveries", NULL},
        {"POST", "/test", NULL},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        /* the answer is exactly the one for a webhook that does not exist */
        snprintf(path, sizeof(path), "/webhooks/no-such-id%s", ops[i].suffix);
        assert_int_equal(api_call(f, ops[i].method, path, KEY_ALICE, ops[i].body), 404);
        char *absent = strdup(f->last.body);
        snprintf(path, sizeof(path), "/webhooks/%s%s", bob, ops[i].suffix);
        if (api_call(f, ops[i].method, path, KEY_ALICE, ops[i].body) != 404)
            print_error("%s %s -> %d\n", ops[i].method, path, f->last.status);
        assert_int_equal(f->last.status, 404);
        char *expected = malloc(strlen(absent) + 64);
        char *at = strstr(absent, "no-such-id");
        assert_non_null(at);
        sprintf(expected, "%.*s%s%s", (int)(at - absent), absent, bob, at + 10);
        assert_string_equal(f->last.body, expected);
        free(expected);
        free(absent);
    }
    char *after = api_stored(f, bob);
    assert_string_equal(before, after);
    wh_free(before);
    wh_free(after);
    assert_int_equal(wh_receiver_count(f->hub.recv), 0);
    hub_fixture_run_until_requests(&f->hub, 1, 200);
    assert_int_equal(wh_receiver_count(f->hub.recv), 0); /* no test event went out */
    /* listing shows only the caller's own */
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
    assert_null(strstr(f->last.body, bob));
    assert_non_null(strstr(f->last.body, mine));
    snprintf(path, sizeof(path), "/webhooks/%s", bob);
    assert_int_equal(api_call(f, "GET", path, KEY_BOB, NULL), 200);
}

/* ---- PUT, PATCH, DELETE ---- */

/* The "secrets" of two stored-webhook JSON texts are the same (and not empty). */
static void assert_secrets_equal(const char *before, const char *after)
{
    cJSON *b = cJSON_Parse(before), *a = cJSON_Parse(after);
    char *sb = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "secrets"));
    char *sa = cJSON_PrintUnformatted(cJSON_GetObjectItem(a, "secrets"));
    assert_non_null(sb);
    assert_non_null(sa);
    assert_non_null(strstr(sb, "whsec_"));
    assert_string_equal(sb, sa);
    free(sb);
    free(sa);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_patch_changes_only_given_fields(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"name\":\"one\",\"description\":\"d\","
               "\"headers\":{\"X-Source\":\"shop\"}}",
               id, sizeof(id));
    char *before = api_stored(f, id);
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    f->hub.now += 60000;
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE,
                              "{\"name\":\"two\",\"ownerId\":\"bob\",\"createdAt\":null}"),
                     200);
    assert_string_equal(api_str(f, "name"), "two");
    assert_string_equal(api_str(f, "description"), "d");
    assert_string_equal(api_str(f, "ownerId"), "alice");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(f->json, "headers"), "X-Source")->valuestring,
        "shop");
    assert_string_equal(api_str(f, "createdAt"), "2027-01-15T08:00:00.000Z");
    assert_string_equal(api_str(f, "updatedAt"), "2027-01-15T08:01:00.000Z");
    assert_null(cJSON_GetObjectItem(f->json, "secrets"));
    /* secrets are untouched by a patch that does not name them */
    char *after = api_stored(f, id);
    assert_secrets_equal(before, after);
    wh_free(before);
    wh_free(after);
    /* null clears an optional field */
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"description\":null}"), 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(f->json, "description")));
    /* an invalid patch changes nothing and names the field */
    before = api_stored(f, id);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"name\":\"ok\",\"url\":\"nope\"}"),
                     400);
    assert_true(api_has_detail(f, "url"));
    after = api_stored(f, id);
    assert_string_equal(before, after);
    wh_free(before);
    wh_free(after);
    /* a list or headers object given replaces the whole of it */
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE,
                              "{\"headers\":{\"X-New\":\"1\"},\"events\":[\"c.d\",\"e.f\"]}"),
                     200);
    const cJSON *h = cJSON_GetObjectItem(f->json, "headers");
    assert_int_equal(cJSON_GetArraySize(h), 1);
    assert_string_equal(cJSON_GetObjectItem(h, "X-New")->valuestring, "1");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "events")), 2);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"id\":\"other\"}"), 400);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{}"), 200);
    /* application/merge-patch+json is JSON too */
    const char *n[] = {"x-api-key", "Content-Type"};
    const char *v[] = {KEY_ALICE, "application/merge-patch+json"};
    assert_int_equal(api_call_raw(f, "PATCH", path, n, v, 2, "{\"name\":\"m\"}", 12), 200);
    assert_string_equal(api_str(f, "name"), "m");
}

static void test_put_replaces_and_keeps_identity(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"name\":\"one\",\"method\":\"PUT\","
               "\"headers\":{\"X-Source\":\"shop\"},\"retry\":{\"preset\":\"seed003\"}}",
               id, sizeof(id));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    char *before = api_stored(f, id);
    /* stats recorded by the hub survive a PUT: one delivery answered 503 */
    wh_receiver_set_status(f->hub.recv, "/h", 503);
    assert_int_equal(hub_fixture_emit(&f->hub, "a.b", 1), 1);
    fixture_delivery d;
    for (int i = 0; i < 400 && (hub_fixture_delivery(&f->hub, id, &d), d.attempts < 1); i++)
        wh_hub_run(f->hub.hub, 10);
    assert_int_equal(d.last_status, 503);
    f->hub.now += 5000;
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE,
                              "{\"url\":\"RECV/new\",\"event_type\":\"c.d\",\"ownerId\":\"bob\"}"),
                     200);
    assert_string_equal(api_str(f, "id"), id);
    assert_string_equal(api_str(f, "ownerId"), "alice");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(f->json, "name"))); /* not given: default */
    assert_string_equal(api_str(f, "method"), "POST");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "headers")), 0);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(f->json, "events"), 0)->valuestring,
                        "c.d");
    assert_string_equal(api_str(f, "createdAt"), "2027-01-15T08:00:00.000Z");
    assert_string_equal(api_str(f, "updatedAt"), "2027-01-15T08:00:05.000Z");
    assert_int_equal((int)api_num(f, "failureCount"), 1);
    assert_int_equal((int)api_num(f, "lastDeliveryStatus"), 503);
    assert_string_equal(api_str(f, "lastDeliveryAt"), "2027-01-15T08:00:00.000Z");
    assert_null(cJSON_GetObjectItem(f->json, "secrets"));
    /* the secrets are kept, not regenerated */
    char *after = api_stored(f, id);
    assert_secrets_equal(before, after);
    wh_free(before);
    wh_free(after);
    /* required fields must be present */
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, "{\"name\":\"only a name\"}"), 400);
    assert_true(api_has_detail(f, "url is required"));
    assert_true(api_has_detail(f, "events or entity is required"));
    /* the id is the path's */
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE,
                              "{\"id\":\"other\",\"url\":\"RECV/h\",\"events\":[\"a.b\"]}"),
                     400);
    assert_true(api_has_detail(f, "id"));
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"url\":\"RECV/h\",\"events\":[\"a.b\"]}", id);
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, body), 200);
    /* a GET answer sent back as it is replaces with itself */
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    char *got = strdup(f->last.body);
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, got), 200);
    free(got);
    /* waiting_config needs no url */
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE, "{\"status\":\"waiting_config\"}"), 200);
    assert_string_equal(api_str(f, "status"), "waiting_config");
    /* a PUT may set a client secret; it is not shown back */
    assert_int_equal(api_call(f, "PUT", path, KEY_ALICE,
                              "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],"
                              "\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}"),
                     200);
    assert_null(strstr(f->last.body, "whsec_"));
    after = api_stored(f, id);
    assert_non_null(strstr(after, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    wh_free(after);
}

static void test_delete_answers_success(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    api_create(f, KEY_ALICE, HOOK, id, sizeof(id));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    assert_int_equal(api_call(f, "DELETE", path, KEY_ALICE, NULL), 200);
    assert_string_equal(f->last.body, "{\"success\":true}");
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 404);
    assert_int_equal(api_call(f, "DELETE", path, KEY_ALICE, NULL), 404);
    wh_subscription *sub;
    assert_int_equal(wh_hub_subscription_get(f->hub.hub, id, &sub), WH_ENOTFOUND);
    /* gone from the hub's index too: nothing is queued for it */
    assert_int_equal(hub_fixture_emit(&f->hub, "order.created", 1), 0);
}

/* ---- rotation ---- */

static void test_rotate_returns_new_secret_and_keeps_old(void **state)
{
    api_fixture *f = *state;
    char id[64], path[160];
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE, HOOK), 201);
    snprintf(id, sizeof(id), "%s", api_str(f, "id"));
    char old[128];
    snprintf(old, sizeof(old), "%s",
             cJSON_GetArrayItem(cJSON_GetObjectItem(f->json, "secrets"), 0)->valuestring);
    snprintf(path, sizeof(path), "/webhooks/%s/secret/rotate", id);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 200);
    char fresh[128];
    snprintf(fresh, sizeof(fresh), "%s", api_str(f, "secret"));
    assert_true(strncmp(fresh, "whsec_", 6) == 0);
    assert_string_not_equal(fresh, old);
    assert_string_equal(api_str(f, "id"), id);
    assert_string_equal(api_str(f, "previousSecretsExpireAt"), "2027-01-16T08:00:00.000Z");
    /* both sign during the overlap */
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(f->hub.hub, id, &sub));
    assert_int_equal(wh_subscription_signing_secret_count(sub, f->hub.now), 2);
    assert_string_equal(wh_subscription_signing_secret_at(sub, f->hub.now, 0), fresh);
    assert_int_equal(wh_subscription_signing_secret_count(sub, f->hub.now + 86400000), 1);
    wh_subscription_free(sub);
    /* the host's overlap, a client secret, and an immediate retirement */
    WH_ASSERT_OK(wh_api_set_secret_overlap(f->api, 3600000));
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE,
                              "{\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}"),
                     200);
    assert_string_equal(api_str(f, "secret"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_string_equal(api_str(f, "previousSecretsExpireAt"), "2027-01-15T09:00:00.000Z");
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, "{\"overlapMs\":0}"), 200);
    WH_ASSERT_OK(wh_hub_subscription_get(f->hub.hub, id, &sub));
    assert_int_equal(wh_subscription_signing_secret_count(sub, f->hub.now + 1), 1);
    wh_subscription_free(sub);
    /* bad arguments change nothing */
    char *before = api_stored(f, id);
    const char *bad[] = {"{\"secret\":\"plain\"}",
                         "{\"secret\":5}",
                         "{\"overlapMs\":-1}",
                         "{\"overlapMs\":1.5}",
                         "{\"overlapMs\":\"1\"}",
                         "{\"overlapMs\":1e30}",
                         "[1]",
                         "{bad"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(api_call(f, "POST", path, KEY_ALICE, bad[i]), 400);
    char *after = api_stored(f, id);
    assert_string_equal(before, after);
    wh_free(before);
    wh_free(after);
    /* at most 16 secrets sign at once */
    int status = 200;
    for (int i = 0; i < 20 && status == 200; i++)
        status = api_call(f, "POST", path, KEY_ALICE, NULL);
    assert_int_equal(status, 400);
    assert_non_null(strstr(api_str(f, "message"), "at most 16"));
    /* once the overlap is over, rotating works again */
    f->hub.now += 2 * 3600000;
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 200);
    /* a webhook without secrets (scheme none) gets its first one: nothing to expire */
    char bare[64], bare_path[160];
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"signature\":{\"scheme\":\"none\"}}",
               bare, sizeof(bare));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "secrets")), 0);
    snprintf(bare_path, sizeof(bare_path), "/webhooks/%s/secret/rotate", bare);
    assert_int_equal(api_call(f, "POST", bare_path, KEY_ALICE, NULL), 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(f->json, "previousSecretsExpireAt")));
    /* the new secret is shown by rotate only */
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    assert_int_equal(api_call(f, "GET", path, KEY_ALICE, NULL), 200);
    assert_null(strstr(f->last.body, "whsec_"));
}

/* ---- the catalogue ---- */

static void catalogue(api_fixture *f)
{
    WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, "order.created", "Order created", "3"));
    WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, "order.paid", "Order paid", NULL));
    WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, "purchase_approved", "Compra aprovada", NULL));
    const char *actions[] = {"create", "update", "cancel"};
    WH_ASSERT_OK(wh_api_catalogue_add_entity(f->api, "Order", actions, 3));
    WH_ASSERT_OK(wh_api_catalogue_add_entity(f->api, "Refund", actions, 1));
    WH_ASSERT_OK(wh_api_catalogue_add_relation(f->api, "COMPANY"));
}

static void test_catalogue_is_listed(void **state)
{
    api_fixture *f = *state;
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE, NULL), 200);
    assert_string_equal(f->last.body, "{\"eventTypes\":[],\"entities\":[],\"relations\":[]}");
    catalogue(f);
    /* registering again replaces labels, keeps the order */
    WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, "purchase_approved", "Purchase approved", "7"));
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE_READ, NULL), 200);
    assert_string_equal(
        f->last.body,
        "{\"eventTypes\":[{\"name\":\"order.created\",\"displayName\":\"Order created\","
        "\"customId\":\"3\"},{\"name\":\"order.paid\",\"displayName\":\"Order paid\","
        "\"customId\":null},{\"name\":\"purchase_approved\",\"displayName\":\"Purchase "
        "approved\",\"customId\":\"7\"}],\"entities\":[{\"name\":\"Order\",\"actions\":["
        "\"create\",\"update\",\"cancel\"]},{\"name\":\"Refund\",\"actions\":[\"create\"]}],"
        "\"relations\":[\"COMPANY\"]}");
    assert_int_equal(wh_api_catalogue_add_type(f->api, "order.*", NULL, NULL), WH_EINVAL);
    assert_int_equal(wh_api_catalogue_add_type(f->api, "", NULL, NULL), WH_EINVAL);
    assert_int_equal(wh_api_catalogue_add_type(f->api, "a.b", "", NULL), WH_EINVAL);
    assert_int_equal(wh_api_catalogue_add_entity(f->api, "", NULL, 0), WH_EINVAL);
    const char *bad[] = {"ok", ""};
    assert_int_equal(wh_api_catalogue_add_entity(f->api, "Ship", bad, 2), WH_EINVAL);
    assert_int_equal(wh_api_catalogue_add_relation(f->api, NULL), WH_EINVAL);
    WH_ASSERT_OK(wh_api_catalogue_clear(f->api));
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE, NULL), 200);
    assert_string_equal(f->last.body, "{\"eventTypes\":[],\"entities\":[],\"relations\":[]}");
}

static void test_catalogue_load_json(void **state)
{
    api_fixture *f = *state;
    const char *good = "{\"eventTypes\":[{\"name\":\"a.b\",\"displayName\":\"A B\","
                       "\"custom_id\":\"1\"},\"c.d\"],\"entities\":[{\"name\":\"Order\","
                       "\"actions\":[\"create\"]}],\"relations\":[\"COMPANY\"]}";
    WH_ASSERT_OK(wh_api_catalogue_load_json(f->api, good, strlen(good)));
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE, NULL), 200);
    assert_string_equal(f->last.body,
                        "{\"eventTypes\":[{\"name\":\"a.b\",\"displayName\":\"A B\","
                        "\"customId\":\"1\"},{\"name\":\"c.d\",\"displayName\":null,"
                        "\"customId\":null}],\"entities\":[{\"name\":\"Order\",\"actions\":["
                        "\"create\"]}],\"relations\":[\"COMPANY\"]}");
    char *listed = strdup(f->last.body);
    /* what GET answers loads back to the same catalogue */
    WH_ASSERT_OK(wh_api_catalogue_clear(f->api));
    WH_ASSERT_OK(wh_api_catalogue_load_json(f->api, listed, strlen(listed)));
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE, NULL), 200);
    assert_string_equal(f->last.body, listed);
    /* all or nothing, one detail per problem */
    const char *bad = "{\"eventTypes\":[{\"name\":\"new.one\"},{\"name\":\"x.*\"},{\"name\":5}],"
                      "\"entities\":[{\"name\":\"E\",\"actions\":[1]}],\"relations\":\"R\"}";
    assert_int_equal(wh_api_catalogue_load_json(f->api, bad, strlen(bad)), WH_EINVAL);
    assert_int_equal(wh_error_last_details_count(), 4);
    assert_int_equal(api_call(f, "GET", "/event-types", KEY_ALICE, NULL), 200);
    assert_string_equal(f->last.body, listed);
    assert_int_equal(wh_api_catalogue_load_json(f->api, "[]", 2), WH_EINVAL);
    assert_int_equal(wh_api_catalogue_load_json(f->api, "{", 1), WH_EINVAL);
    free(listed);
}

static void test_catalogue_refuses_unknown_types_and_actions(void **state)
{
    api_fixture *f = *state;
    catalogue(f);
    char id[64];
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/h\",\"events\":[\"order.created\",\"order.*\"]}", id,
               sizeof(id));
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/h\",\"events\":[\"**\"]}", id, sizeof(id));
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/h\",\"entity\":\"Order\",\"actions\":\"create, cancel\","
               "\"includeRelations\":[\"COMPANY\"]}",
               id, sizeof(id));
    api_create(f, KEY_ALICE, "{\"url\":\"RECV/h\",\"entity\":\"Refund\"}", id, sizeof(id));
    /* seed 000's event objects name the type by custom_id */
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/h\",\"events\":[{\"id\":3,\"name\":\"Compra aprovada\","
               "\"custom_id\":\"purchase_approved\"}]}",
               id, sizeof(id));
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/h\",\"events\":[\"order.created\",\"order.shipped\","
                              "\"invoice.*\",\"Order.created\"]}"),
                     400);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "details")), 3);
    assert_true(api_has_detail(f, "unknown event type \"order.shipped\""));
    assert_true(api_has_detail(f, "\"invoice.*\" matches no known event type"));
    assert_true(api_has_detail(f, "unknown event type \"Order.created\""));
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/h\",\"entity\":\"Order\",\"actions\":[\"create\","
                              "\"explode\"],\"includeRelations\":[\"CONTACT_FUNNEL\"]}"),
                     400);
    assert_true(api_has_detail(f, "\"explode\" is not an action of Order"));
    assert_true(api_has_detail(f, "unknown relation \"CONTACT_FUNNEL\""));
    assert_int_equal(
        api_call(f, "POST", "/webhooks", KEY_ALICE, "{\"url\":\"RECV/h\",\"entity\":\"Ship\"}"),
        400);
    assert_true(api_has_detail(f, "unknown entity \"Ship\""));
    /* changes are checked too, and refused ones change nothing */
    char path[128];
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    char *before = api_stored(f, id);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"events\":[\"nope.nope\"]}"), 400);
    assert_true(api_has_detail(f, "nope.nope"));
    assert_int_equal(
        api_call(f, "PUT", path, KEY_ALICE, "{\"url\":\"RECV/h\",\"events\":[\"nope.nope\"]}"),
        400);
    char *after = api_stored(f, id);
    assert_string_equal(before, after);
    wh_free(before);
    wh_free(after);
    /* the library's own test event needs no catalogue entry */
    snprintf(path, sizeof(path), "/webhooks/%s/test", id);
    assert_int_equal(api_call(f, "POST", path, KEY_ALICE, NULL), 202);
    /* events are checked against it too */
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, "{\"type\":\"order.shipped\"}"),
                     400);
    assert_true(api_has_detail(f, "order.shipped"));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE,
                              "{\"type\":\"order.created\",\"entity\":\"Order\","
                              "\"action\":\"explode\"}"),
                     400);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE,
                              "{\"type\":\"order.created\",\"entity\":\"Order\","
                              "\"action\":\"cancel\"}"),
                     202);
}

static void test_allowed_methods(void **state)
{
    api_fixture *f = *state;
    WH_ASSERT_OK(wh_api_set_allowed_methods(f->api, WH_API_METHOD_BIT(WH_METHOD_POST)));
    char id[64], path[128];
    api_create(f, KEY_ALICE, HOOK, id, sizeof(id));
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"http_method\":\"PUT\"}"),
                     400);
    assert_true(api_has_detail(f, "method: PUT is not allowed (allowed: POST)"));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"method\":\"GET\"}"), 400);
    assert_true(api_has_detail(f, "GET is not allowed"));
    WH_ASSERT_OK(wh_api_set_allowed_methods(f->api, WH_API_METHOD_BIT(WH_METHOD_POST) |
                                                        WH_API_METHOD_BIT(WH_METHOD_PUT)));
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"method\":\"GET\"}"), 400);
    assert_true(api_has_detail(f, "(allowed: POST, PUT)"));
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"method\":\"PUT\"}"), 200);
    assert_int_equal(wh_api_set_allowed_methods(f->api, 0x100), WH_EINVAL);
}

/* The schedule of the webhook in the last answer, as "7,8". */
static void answered_schedule(api_fixture *f, char *out, size_t n)
{
    const cJSON *sched = cJSON_GetObjectItem(cJSON_GetObjectItem(f->json, "retry"), "schedule");
    const cJSON *d;
    out[0] = '\0';
    cJSON_ArrayForEach(d, sched)
    {
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%d", len ? "," : "", d->valueint);
    }
}

/* Create, replace and patch answer the webhook as stored: with the hub's default retry
 * schedule when the client set none (the answer once showed the library's default instead). */
static void test_answers_show_the_hub_default_retry(void **state)
{
    (void)state;
    static const uint32_t delays[] = {7, 8};
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_default_retry_schedule(o, delays, 2));
    api_fixture fx, *f = &fx;
    api_fixture_start_with(f, o);
    wh_hub_options_free(o);
    char sched[64];
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"id\":\"w1\",\"url\":\"RECV/h\",\"events\":[\"a.b\"]}"),
                     201);
    answered_schedule(f, sched, sizeof(sched));
    assert_string_equal(sched, "7,8");
    assert_non_null(cJSON_GetObjectItem(f->json, "secrets")); /* still shown at creation */
    assert_int_equal(
        api_call(f, "PUT", "/webhooks/w1", KEY_ALICE, "{\"url\":\"RECV/h2\",\"events\":[\"a.b\"]}"),
        200);
    answered_schedule(f, sched, sizeof(sched));
    assert_string_equal(sched, "7,8");
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE,
                              "{\"id\":\"w2\",\"url\":\"RECV/h\",\"events\":[\"a.b\"],"
                              "\"retry\":{\"schedule\":[1]}}"),
                     201);
    answered_schedule(f, sched, sizeof(sched));
    assert_string_equal(sched, "1");
    api_fixture_stop(f);
}

/* ---- options and entry points ---- */

static void test_options_are_checked(void **state)
{
    api_fixture *f = *state;
    wh_api *api = (wh_api *)state;
    assert_int_equal(wh_api_new(&api, NULL), WH_EINVAL);
    assert_null(api);
    assert_int_equal(wh_api_new(NULL, f->hub.hub), WH_EINVAL);
    WH_ASSERT_OK(wh_api_new(&api, f->hub.hub));
    /* A bad setting is refused and the old one kept. */
    assert_int_equal(wh_api_set_page_limits(api, 0, 20000), WH_EINVAL);
    assert_int_equal(wh_api_set_page_limits(api, 11, 10), WH_EINVAL);
    assert_int_equal(wh_api_set_secret_overlap(api, -5), WH_EINVAL);
    assert_int_equal(wh_api_set_allowed_methods(api, 0x100), WH_EINVAL);
    WH_ASSERT_OK(wh_api_set_page_limits(api, 0, 10)); /* the default limit follows a smaller max */
    WH_ASSERT_OK(wh_api_add_key(api, "k", "o", WH_SCOPE_ALL));
    assert_int_equal(wh_api_max_body(api), WH_API_DEFAULT_MAX_BODY);
    WH_ASSERT_OK(wh_api_set_max_body(api, 100));
    assert_int_equal(wh_api_max_body(api), 100);
    int status = 0;
    char *body = NULL, *headers = NULL;
    const char *n[] = {"x-api-key"}, *v[] = {"k"};
    WH_ASSERT_OK(wh_api_handle_simple(api, "GET", "/webhooks", NULL, n, v, 1, NULL, 0, &status,
                                      &headers, &body, NULL));
    assert_int_equal(status, 200);
    assert_non_null(strstr(body, "\"limit\":10"));
    wh_free(body);
    wh_free(headers);
    assert_int_equal(wh_api_set_page_limits(NULL, 1, 1), WH_EINVAL);
    assert_int_equal(wh_api_set_secret_overlap(api, -1), WH_EINVAL);
    assert_int_equal(wh_api_max_body(NULL), 0);
    wh_api_free(api);
    wh_api_free(NULL);
}

static void test_handle_simple_and_bad_arguments(void **state)
{
    api_fixture *f = *state;
    int status = 0;
    char *body = NULL, *headers = NULL;
    size_t len = 0;
    const char *n[] = {"x-api-key", "Content-Type"}, *v[] = {KEY_ALICE, "application/json"};
    WH_ASSERT_OK(wh_api_handle_simple(f->api, "PUT", "/webhooks", NULL, n, v, 2, NULL, 0, &status,
                                      &headers, &body, &len));
    assert_int_equal(status, 405);
    assert_non_null(strstr(headers, "Allow: GET, POST, OPTIONS\r\n"));
    assert_non_null(strstr(headers, "Content-Type: application/json\r\n"));
    assert_int_equal(strlen(body), len);
    wh_free(body);
    wh_free(headers);
    WH_ASSERT_OK(wh_api_handle_simple(f->api, "OPTIONS", "/events", NULL, NULL, NULL, 0, NULL, 0,
                                      &status, NULL, &body, &len));
    assert_int_equal(status, 204);
    assert_null(body);
    assert_int_equal(len, 0);
    /* a host bug is reported, never a crash */
    assert_int_equal(wh_api_handle_simple(NULL, "GET", "/", NULL, NULL, NULL, 0, NULL, 0, &status,
                                          NULL, &body, NULL),
                     WH_EINVAL);
    assert_int_equal(status, 500);
    assert_int_equal(wh_api_handle_simple(f->api, "GET", "/", NULL, NULL, NULL, 0, NULL, 0, NULL,
                                          NULL, &body, NULL),
                     WH_EINVAL);
    wh_api_request req = WH_API_REQUEST_INIT;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    assert_int_equal(wh_api_handle(f->api, &req, NULL), WH_EINVAL);
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp)); /* no method or path: 400 */
    assert_int_equal(resp.status, 400);
    wh_api_response_free(&resp);
    req.version = 7;
    assert_int_equal(wh_api_handle(f->api, &req, &resp), WH_EINVAL);
    assert_int_equal(resp.status, 500);
    wh_api_response_free(&resp);
    wh_api_response bad = {0};
    req.version = WH_API_REQUEST_VERSION;
    assert_int_equal(wh_api_handle(f->api, &req, &bad), WH_EINVAL);
    wh_api_response_free(NULL);
    /* a caller may take the body and free it later */
    req.method = "GET";
    req.path = "/nope";
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    char *taken = resp.body;
    resp.body = NULL;
    wh_api_response_free(&resp);
    assert_non_null(strstr(taken, "no route"));
    wh_free(taken);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_routes_answer_404, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_method_answers_405_with_allow, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_paths_are_decoded_and_trailing_slash_ignored,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_no_or_bad_credential_is_401, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bearer_and_x_api_key_both_work, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_missing_scope_is_403, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_host_auth_callback, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_host_authenticated_principal, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_key_table_management, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test(test_scope_names),
        cmocka_unit_test_setup_teardown(test_create_shows_secret_once, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_payload_filter, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_create_validation_details, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_client_ids_and_409, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pagination_over_45_webhooks, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_another_owners_webhook_is_404_everywhere,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_patch_changes_only_given_fields, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_put_replaces_and_keeps_identity, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_delete_answers_success, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rotate_returns_new_secret_and_keeps_old,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_is_listed, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_load_json, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_refuses_unknown_types_and_actions,
                                        api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test(test_answers_show_the_hub_default_retry),
        cmocka_unit_test_setup_teardown(test_event_posted_twice, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_allowed_methods, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_options_are_checked, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_handle_simple_and_bad_arguments, api_fixture_setup,
                                        api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
