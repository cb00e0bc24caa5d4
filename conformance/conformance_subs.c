/* Store conformance: subscriptions (create, get, replace, patch, delete, list, stats, changes). */
#include <stdio.h>
#include <stdlib.h>

#include "conformance_impl.h"

/* A subscription with every field set, numeric id, time offsets and expiring secrets. */
static const char FULL_JSON[] =
    "{\"id\":12345,\"ownerId\":\"acct_9\",\"name\":\"Orders \\u00e9\",\"description\":\"d\","
    "\"url\":\"https://example.com/{{entity}}/hook\",\"method\":\"PUT\",\"status\":\"active\","
    "\"events\":[\"order.created\",\"order.*\"],\"entity\":\"Order\","
    "\"actions\":[\"create\",\"cancel\"],\"filters\":{\"products\":[\"p1\",\"p2\"],"
    "\"eventIdentifiers\":[\"e1\"],\"source\":\"CRM\"},\"headers\":{\"X-Team\":\"blue\","
    "\"Authorization\":\"Bearer t\"},\"body\":\"{\\\"id\\\":\\\"{{id}}\\\"}\","
    "\"includeRelations\":[\"COMPANY\"],\"signature\":{\"scheme\":\"github\"},"
    "\"secrets\":[\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"],"
    "\"previousSecrets\":[{\"secret\":\"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNA==\","
    "\"expiresAt\":\"2031-05-06T07:08:09.010Z\"}],"
    "\"retry\":{\"enabled\":false,\"schedule\":[1,2,3]},\"metadata\":{\"k\":[1,\"two\",null]},"
    "\"createdAt\":\"2024-01-02T03:04:05.678+02:00\",\"updatedAt\":\"2024-02-03T04:05:06.789-05:"
    "30\"}";

static char *json_of(const wh_subscription *sub)
{
    char *json;
    WH_ASSERT_OK(wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, NULL));
    return json;
}

static void test_sub_roundtrip_every_field(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_subscription *sub, *got;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, FULL_JSON, strlen(FULL_JSON)));
    WH_ASSERT_OK(wh_subscription_set_stats(sub, 1700000000123, -11, 4, 1690000000000));
    WH_ASSERT_OK(s->sub_create(s, sub));
    WH_ASSERT_OK(s->sub_get(s, "12345", &got));
    char *a = json_of(sub), *b = json_of(got);
    assert_string_equal(a, b);
    assert_non_null(strstr(b, "\"id\":12345,"));
    assert_int_equal(wh_subscription_secret_count(got), 2);
    assert_int_equal(wh_subscription_secret_expires_at(got, 1), 1935817689010);
    assert_int_equal(wh_subscription_last_delivery_status(got), -11);
    assert_int_equal(wh_subscription_failure_count(got), 4);
    wh_free(a);
    wh_free(b);
    wh_subscription_free(sub);
    wh_subscription_free(got);
}

static void test_sub_create_conflict(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "dup", "o", 100);
    wh_subscription *other = wh_sc_sub("dup", "o", 200), *got;
    WH_ASSERT_OK(wh_subscription_set_name(other, "second"));
    assert_int_equal(s->sub_create(s, other), WH_ECONFLICT);
    assert_non_null(strstr(wh_error_last()->message, "dup"));
    WH_ASSERT_OK(s->sub_get(s, "dup", &got));
    assert_string_equal(wh_subscription_name(got), "dup");
    wh_subscription_free(other);
    wh_subscription_free(got);
}

static void test_sub_create_invalid(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_subscription *sub = wh_sc_sub("nourl", NULL, 100), *got = NULL;
    WH_ASSERT_OK(wh_subscription_set_url(sub, NULL)); /* active without a url: invalid */
    assert_int_equal(s->sub_create(s, sub), WH_EINVAL);
    assert_int_equal(s->sub_get(s, "nourl", &got), WH_ENOTFOUND);
    assert_null(got);
    assert_int_equal(s->sub_create(s, NULL), WH_EINVAL);
    wh_subscription_free(sub);
}

static void test_sub_not_found_and_bad_ids(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_subscription *got = (wh_subscription *)1, *ghost = wh_sc_sub("ghost", NULL, 1);
    wh_sub_stats st = {0};
    assert_int_equal(s->sub_get(s, "ghost", &got), WH_ENOTFOUND);
    assert_null(got);
    assert_non_null(strstr(wh_error_last()->message, "ghost"));
    assert_int_equal(s->sub_replace(s, ghost), WH_ENOTFOUND);
    assert_int_equal(s->sub_patch(s, "ghost", "{}", 2, NULL), WH_ENOTFOUND);
    assert_int_equal(s->sub_delete(s, "ghost"), WH_ENOTFOUND);
    assert_int_equal(s->sub_update_stats(s, "ghost", &st), WH_ENOTFOUND);
    char long_id[300];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_int_equal(s->sub_get(s, long_id, &got), WH_EINVAL);
    assert_int_equal(s->sub_get(s, "bad id!", &got), WH_EINVAL);
    assert_int_equal(s->sub_get(s, NULL, &got), WH_EINVAL);
    assert_int_equal(s->sub_get(s, "ghost", NULL), WH_EINVAL);
    assert_int_equal(s->sub_delete(s, NULL), WH_EINVAL);
    assert_int_equal(s->sub_update_stats(s, "ghost", NULL), WH_EINVAL);
    assert_int_equal(s->sub_patch(s, "ghost", NULL, 0, NULL), WH_EINVAL);
    wh_subscription_free(ghost);
}

static void test_sub_get_returns_a_copy(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "c1", NULL, 100);
    wh_subscription *a, *b;
    WH_ASSERT_OK(s->sub_get(s, "c1", &a));
    WH_ASSERT_OK(wh_subscription_set_name(a, "changed locally"));
    WH_ASSERT_OK(s->sub_get(s, "c1", &b));
    assert_string_equal(wh_subscription_name(b), "c1");
    wh_subscription_free(a);
    wh_subscription_free(b);
}

static void test_sub_replace(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "r1", "o", 100);
    wh_subscription *sub = wh_sc_sub("r1", "o2", 150), *got;
    WH_ASSERT_OK(wh_subscription_set_name(sub, "replaced"));
    WH_ASSERT_OK(wh_subscription_set_stats(sub, 999, 503, 2, 900));
    WH_ASSERT_OK(s->sub_replace(s, sub));
    WH_ASSERT_OK(s->sub_get(s, "r1", &got));
    assert_string_equal(wh_subscription_name(got), "replaced");
    assert_string_equal(wh_subscription_owner(got), "o2");
    assert_int_equal(wh_subscription_created_at(got), 150);
    assert_int_equal(wh_subscription_last_delivery_status(got), 503);
    assert_int_equal(wh_subscription_failure_count(got), 2);
    /* An invalid replacement changes nothing. */
    WH_ASSERT_OK(wh_subscription_list_clear(sub, WH_LIST_EVENTS));
    assert_int_equal(s->sub_replace(s, sub), WH_EINVAL);
    wh_subscription_free(got);
    WH_ASSERT_OK(s->sub_get(s, "r1", &got));
    assert_int_equal(wh_subscription_list_count(got, WH_LIST_EVENTS), 1);
    wh_subscription_free(sub);
    wh_subscription_free(got);
}

static void test_sub_patch_all_or_nothing(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "p1", "o", 100);
    wh_subscription *out = NULL, *got;
    const char *ok = "{\"name\":\"patched\",\"headers\":{\"X-A\":\"1\"}}";
    WH_ASSERT_OK(s->sub_patch(s, "p1", ok, strlen(ok), &out));
    assert_string_equal(wh_subscription_name(out), "patched");
    wh_subscription_free(out);
    const char *bad = "{\"name\":\"never\",\"url\":\"ftp://nope\"}";
    out = (wh_subscription *)1;
    assert_int_equal(s->sub_patch(s, "p1", bad, strlen(bad), &out), WH_EINVAL);
    assert_null(out);
    assert_int_equal(s->sub_patch(s, "p1", "{\"id\":\"other\"}", 14, NULL), WH_EINVAL);
    assert_int_equal(s->sub_patch(s, "p1", "not json", 8, NULL), WH_EINVAL);
    WH_ASSERT_OK(s->sub_get(s, "p1", &got));
    assert_string_equal(wh_subscription_name(got), "patched");
    assert_string_equal(wh_subscription_url(got), "https://example.com/hooks");
    assert_int_equal(wh_subscription_header_count(got), 1);
    wh_subscription_free(got);
    WH_ASSERT_OK(s->sub_patch(s, "p1", "{\"name\":\"again\"}", 16, NULL));
    WH_ASSERT_OK(s->sub_get(s, "p1", &got));
    assert_string_equal(wh_subscription_name(got), "again");
    wh_subscription_free(got);
}

static void test_sub_delete_cascades(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "gone", NULL, 100);
    wh_sc_put_sub(s, "kept", NULL, 100);
    wh_sc_put_delivery(s, "g1", "gone", 100, 100);
    wh_sc_put_delivery(s, "g2", "gone", 100, 100);
    wh_sc_put_delivery(s, "k1", "kept", 100, 100);
    WH_ASSERT_OK(wh_sc_record(s, "g1", 1, 110, 500, WH_DELIVERY_PENDING, 200, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "k1", 1, 110, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(s->sub_delete(s, "gone"));
    assert_int_equal(wh_sc_status(s, "g1"), -1);
    assert_int_equal(wh_sc_status(s, "g2"), -1);
    assert_int_equal(wh_sc_status(s, "k1"), WH_DELIVERY_SUCCEEDED);
    size_t total = 99;
    sc_attempts as = {0};
    WH_ASSERT_OK(s->attempt_list(s, "g1", NULL, 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 0);
    WH_ASSERT_OK(s->attempt_list(s, NULL, "gone", 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 0);
    WH_ASSERT_OK(s->attempt_list(s, NULL, "kept", 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 1);
    sc_attempts_free(&as);
    assert_int_equal(s->sub_delete(s, "gone"), WH_ENOTFOUND);
}

/* Collect subscription ids in order, stopping after stop_after when set. */
typedef struct ids {
    char v[16][64];
    size_t n, stop_after;
} ids;

static int collect_id(const wh_subscription *sub, void *user_data)
{
    ids *l = user_data;
    assert_true(l->n < 16);
    snprintf(l->v[l->n++], 64, "%s", wh_subscription_id(sub));
    return l->stop_after && l->n >= l->stop_after;
}

static void list(wh_store *s, const char *owner, size_t limit, size_t page, size_t *total, ids *out,
                 const char *expect)
{
    memset(out, 0, sizeof(*out));
    WH_ASSERT_OK(s->sub_list(s, owner, limit, page, total, collect_id, out));
    char joined[512] = "";
    for (size_t i = 0; i < out->n; i++)
        snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", i ? "," : "",
                 out->v[i]);
    assert_string_equal(joined, expect);
}

static void test_sub_list_paging_and_owners(void **state)
{
    wh_store *s = SC_STORE(state);
    /* Inserted out of order: listing is by createdAt, then id. */
    wh_sc_put_sub(s, "a3", "alice", 300);
    wh_sc_put_sub(s, "a1", "alice", 100);
    wh_sc_put_sub(s, "a5", "alice", 500);
    wh_sc_put_sub(s, "a2b", "alice", 200);
    wh_sc_put_sub(s, "a2a", "alice", 200);
    wh_sc_put_sub(s, "b1", "bob", 50);
    wh_sc_put_sub(s, "b2", "bob", 600);
    wh_sc_put_sub(s, "n1", NULL, 10);
    size_t total = 0;
    ids got;
    list(s, "alice", 2, 1, &total, &got, "a1,a2a");
    assert_int_equal(total, 5);
    list(s, "alice", 2, 2, &total, &got, "a2b,a3");
    list(s, "alice", 2, 3, &total, &got, "a5");
    list(s, "alice", 2, 4, &total, &got, "");
    assert_int_equal(total, 5);
    list(s, "alice", 0, 1, NULL, &got, "a1,a2a,a2b,a3,a5");
    list(s, "bob", 0, 1, &total, &got, "b1,b2");
    assert_int_equal(total, 2);
    list(s, NULL, 0, 1, &total, &got, "n1,b1,a1,a2a,a2b,a3,a5,b2");
    assert_int_equal(total, 8);
    list(s, "nobody", 10, 1, &total, &got, "");
    assert_int_equal(total, 0);
    list(s, "alice", 3, 0, &total, &got, "a1,a2a,a2b"); /* page 0 is page 1 */
    memset(&got, 0, sizeof(got));
    got.stop_after = 1;
    WH_ASSERT_OK(s->sub_list(s, "alice", 0, 1, NULL, collect_id, &got));
    assert_int_equal(got.n, 1);
    assert_int_equal(s->sub_list(s, NULL, 0, 1, NULL, NULL, NULL), WH_EINVAL);
}

static void test_sub_update_stats_and_disable(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "st", "o", 100);
    wh_subscription *got;
    uint64_t c0 = s->sub_changes(s);
    wh_sub_stats st = {5000, 502, 3, 4000, 0, NULL};
    WH_ASSERT_OK(s->sub_update_stats(s, "st", &st));
    WH_ASSERT_OK(s->sub_get(s, "st", &got));
    assert_int_equal(wh_subscription_last_delivery_at(got), 5000);
    assert_int_equal(wh_subscription_last_delivery_status(got), 502);
    assert_int_equal(wh_subscription_failure_count(got), 3);
    assert_int_equal(wh_subscription_failing_since(got), 4000);
    assert_int_equal(wh_subscription_status(got), WH_STATUS_ACTIVE);
    assert_string_equal(wh_subscription_name(got), "st");
    assert_int_equal(wh_subscription_updated_at(got), 100);
    wh_subscription_free(got);
    wh_sub_stats off = {6000, 410, 4, 4000, 1, "endpoint answered 410 Gone"};
    WH_ASSERT_OK(s->sub_update_stats(s, "st", &off));
    assert_true(s->sub_changes(s) > c0);
    WH_ASSERT_OK(s->sub_get(s, "st", &got));
    assert_int_equal(wh_subscription_status(got), WH_STATUS_DISABLED);
    assert_string_equal(wh_subscription_disabled_reason(got), "endpoint answered 410 Gone");
    assert_int_equal(wh_subscription_last_delivery_status(got), 410);
    wh_subscription_free(got);
}

static void test_sub_changes_counter(void **state)
{
    wh_store *s = SC_STORE(state);
    uint64_t c = s->sub_changes(s), n;
    wh_sc_put_sub(s, "ch", NULL, 100);
    assert_true((n = s->sub_changes(s)) > c);
    c = n;
    wh_subscription *sub = wh_sc_sub("ch", NULL, 100);
    WH_ASSERT_OK(s->sub_replace(s, sub));
    assert_true((n = s->sub_changes(s)) > c);
    c = n;
    WH_ASSERT_OK(s->sub_patch(s, "ch", "{\"name\":\"x\"}", 12, NULL));
    assert_true((n = s->sub_changes(s)) > c);
    c = n;
    assert_int_equal(s->sub_patch(s, "ch", "{\"url\":1}", 9, NULL), WH_EINVAL);
    assert_int_equal(s->sub_create(s, sub), WH_ECONFLICT);
    assert_true(s->sub_changes(s) == c); /* failed calls change nothing */
    WH_ASSERT_OK(s->sub_delete(s, "ch"));
    assert_true(s->sub_changes(s) > c);
    wh_subscription_free(sub);
}

const struct CMUnitTest sc_sub_tests[] = {
    cmocka_unit_test(test_sub_roundtrip_every_field),
    cmocka_unit_test(test_sub_create_conflict),
    cmocka_unit_test(test_sub_create_invalid),
    cmocka_unit_test(test_sub_not_found_and_bad_ids),
    cmocka_unit_test(test_sub_get_returns_a_copy),
    cmocka_unit_test(test_sub_replace),
    cmocka_unit_test(test_sub_patch_all_or_nothing),
    cmocka_unit_test(test_sub_delete_cascades),
    cmocka_unit_test(test_sub_list_paging_and_owners),
    cmocka_unit_test(test_sub_update_stats_and_disable),
    cmocka_unit_test(test_sub_changes_counter),
};
const size_t sc_sub_tests_count = sizeof(sc_sub_tests) / sizeof(sc_sub_tests[0]);
