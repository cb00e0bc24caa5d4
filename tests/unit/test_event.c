/* wh_event: construction, validation, JSON in and out. */
#include <stdio.h>
#include <time.h>

#include "event_impl.h"
#include "wh_test.h"

/* The base62 time prefix of a generated id, in milliseconds. */
static int64_t id_time_ms(const char *id)
{
    static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    int64_t t = 0;
    for (int i = 4; i < 12; i++) {
        const char *p = strchr(B62, id[i]);
        assert_non_null(p);
        t = t * 62 + (p - B62);
    }
    return t;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Generated ids carry their creation time first, so they sort by it (stores index by id). */
static void test_ids_sort_by_creation_time(void **state)
{
    (void)state;
    char prev[64] = "";
    for (int i = 0; i < 3; i++) {
        int64_t before = wall_ms();
        wh_event *ev;
        WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
        int64_t after = wall_ms();
        const char *id = wh_event_id(ev);
        assert_int_equal(
            strspn(id + 4, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), 24);
        int64_t t = id_time_ms(id);
        assert_true(t >= before && t <= after);
        assert_true(strcmp(prev, id) < 0);
        snprintf(prev, sizeof(prev), "%s", id);
        wh_event_free(ev);
        struct timespec pause = {0, 2000000}; /* 2 ms: the next id has a later time */
        nanosleep(&pause, NULL);
    }
}

/* With a clock (the hub's delivery ids), ids made in the same millisecond keep their order too,
 * and a clock that steps back does not reorder them. */
static void test_clocked_ids_keep_their_order(void **state)
{
    (void)state;
    whi_id_clock clock = {0, 0};
    char prev[WHI_MSG_ID_LEN + 1] = "", id[WHI_MSG_ID_LEN + 1];
    for (int i = 0; i < 2000; i++) { /* most of these share a millisecond */
        WH_ASSERT_OK(whi_msg_id_next(id, &clock));
        assert_int_equal(strlen(id), WHI_MSG_ID_LEN);
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof(id));
    }
    /* The wall clock is now behind the last id: the id keeps the later time, next in sequence. */
    int64_t ahead = wall_ms() + 60000;
    clock = (whi_id_clock){ahead, 7};
    WH_ASSERT_OK(whi_msg_id_next(id, &clock));
    assert_int_equal(id_time_ms(id), ahead);
    assert_int_equal(clock.seq, 8);
    assert_int_equal(strncmp(id + 12, "0008", 4), 0);
    memcpy(prev, id, sizeof(id));
    /* The sequence's last value: the next id moves to the next millisecond. */
    clock.seq = 62u * 62u * 62u * 62u - 1;
    WH_ASSERT_OK(whi_msg_id_next(id, &clock));
    assert_int_equal(id_time_ms(id), ahead + 1);
    assert_int_equal(strncmp(id + 12, "0000", 4), 0);
    assert_true(strcmp(prev, id) < 0);
}

static void test_new_sets_id_and_time(void **state)
{
    (void)state;
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    assert_int_equal(strncmp(wh_event_id(ev), "msg_", 4), 0);
    assert_int_equal(strlen(wh_event_id(ev)), 28);
    assert_string_equal(wh_event_type(ev), "order.created");
    assert_string_equal(wh_event_data(ev), "null");
    assert_true(wh_event_occurred_at(ev) > 1700000000000LL);
    assert_string_equal(wh_event_ids_joined(ev), "");
    wh_event_free(ev);
    assert_int_equal(wh_event_new(&ev, "order.*"), WH_EINVAL); /* no wildcards in events */
    assert_int_equal(wh_event_new(&ev, ""), WH_EINVAL);
    assert_int_equal(wh_event_new(&ev, NULL), WH_EINVAL);
    assert_int_equal(wh_event_new(NULL, "a"), WH_EINVAL);
}

static void test_fields_and_validation(void **state)
{
    (void)state;
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    WH_ASSERT_OK(wh_event_add_id(ev, "1001"));
    WH_ASSERT_OK(wh_event_add_id(ev, "1002"));
    assert_string_equal(wh_event_ids_joined(ev), "1001,1002");
    WH_ASSERT_OK(wh_event_add_id(ev, "1003")); /* the joined cache is refreshed */
    assert_string_equal(wh_event_ids_joined(ev), "1001,1002,1003");
    assert_int_equal(wh_event_add_id(ev, ""), WH_EINVAL);
    WH_ASSERT_OK(wh_event_set_attribute(ev, "paymentName", "card"));
    WH_ASSERT_OK(wh_event_set_attribute(ev, "paymentName", "pix"));
    assert_string_equal(wh_event_attribute(ev, "paymentName"), "pix");
    assert_int_equal(wh_event_attribute_count(ev), 1);
    assert_int_equal(wh_event_set_attribute(ev, "bad name", "x"), WH_EINVAL);
    assert_int_equal(wh_event_set_attribute(ev, "v", "\xff"), WH_EINVAL);
    WH_ASSERT_OK(wh_event_set_attribute(ev, "paymentName", NULL));
    assert_null(wh_event_attribute(ev, "paymentName"));
    WH_ASSERT_OK(wh_event_set_data(ev, " { \"total\" : 10 } ", 18));
    assert_string_equal(wh_event_data(ev), "{\"total\":10}");
    assert_int_equal(wh_event_set_data(ev, "{bad", 4), WH_EINVAL);
    assert_string_equal(wh_event_data(ev), "{\"total\":10}");
    WH_ASSERT_OK(wh_event_set_relation(ev, "COMPANY", "{\"name\":\"ACME\"}", 15));
    assert_string_equal(wh_event_relation(ev, "COMPANY"), "{\"name\":\"ACME\"}");
    assert_int_equal(wh_event_relation_count(ev), 1);
    assert_int_equal(wh_event_set_relation(ev, "X", "nope", 4), WH_EINVAL);
    WH_ASSERT_OK(wh_event_set_entity(ev, "Order"));
    WH_ASSERT_OK(wh_event_set_action(ev, "create"));
    WH_ASSERT_OK(wh_event_set_identifier(ev, "form-1"));
    WH_ASSERT_OK(wh_event_set_source(ev, "MKT"));
    WH_ASSERT_OK(wh_event_add_product(ev, "p1"));
    assert_int_equal(wh_event_set_occurred_at(ev, 253402300800000LL), WH_EINVAL); /* year 10000 */
    assert_int_equal(wh_event_set_occurred_at(ev, -62167219200001LL), WH_EINVAL);
    WH_ASSERT_OK(wh_event_set_occurred_at(ev, 0));
    assert_int_equal(wh_event_set_id(ev, "bad id"), WH_EINVAL);
    assert_int_equal(wh_event_set_type(ev, "bad type"), WH_EINVAL);
    assert_string_equal(wh_event_type(ev), "order.created");
    wh_event_free(ev);
}

static const char *EVENT_JSON =
    "{\"id\":\"evt_1\",\"type\":\"order.created\",\"entity\":\"Order\",\"action\":\"create\","
    "\"ids\":[\"1001\",\"1002\"],\"attributes\":{\"account\":\"shop\",\"environment\":\"prod\","
    "\"paymentName\":\"card\"},\"products\":[\"p1\"],\"identifier\":\"form-1\",\"source\":\"MKT\","
    "\"data\":{\"total\":12.5,\"items\":[1,2]},\"relations\":{\"COMPANY\":{\"name\":\"ACME\"}},"
    "\"occurredAt\":\"2026-03-22T14:30:00.000-03:00\"}";

static void test_json_round_trip(void **state)
{
    (void)state;
    wh_event *ev;
    WH_ASSERT_OK(wh_event_from_json(&ev, EVENT_JSON, strlen(EVENT_JSON)));
    assert_string_equal(wh_event_id(ev), "evt_1");
    assert_string_equal(wh_event_ids_joined(ev), "1001,1002");
    assert_string_equal(wh_event_attribute(ev, "account"), "shop");
    assert_string_equal(wh_event_product_at(ev, 0), "p1");
    assert_int_equal(wh_event_occurred_at(ev), 1774200600000LL);
    char *out;
    size_t len;
    WH_ASSERT_OK(wh_event_to_json(ev, &out, &len));
    assert_string_equal(out, EVENT_JSON); /* the canonical form is the input here */
    assert_int_equal(len, strlen(EVENT_JSON));
    wh_free(out);
    wh_event_free(ev);
}

static void test_json_minimal_and_numeric_ids(void **state)
{
    (void)state;
    wh_event *ev;
    const char *json = "{\"type\":\"purchase_approved\",\"ids\":[2863878,\"x\"]}";
    WH_ASSERT_OK(wh_event_from_json(&ev, json, strlen(json)));
    assert_string_equal(wh_event_ids_joined(ev), "2863878,x");
    assert_int_equal(strncmp(wh_event_id(ev), "msg_", 4), 0);
    wh_event_free(ev);
}

static void test_json_errors(void **state)
{
    (void)state;
    wh_event *ev = (wh_event *)0x1;
    const char *no_type = "{\"entity\":\"Order\"}";
    assert_int_equal(wh_event_from_json(&ev, no_type, strlen(no_type)), WH_EINVAL);
    assert_null(ev);
    assert_true(wh_test_has_detail("type is required"));
    const char *bad = "{\"type\":\"a.b\",\"ids\":[{}],\"attributes\":{\"x\":1},\"relations\":[],"
                      "\"occurredAt\":\"yesterday\",\"entity\":5}";
    assert_int_equal(wh_event_from_json(&ev, bad, strlen(bad)), WH_EINVAL);
    const char *expect[] = {"ids", "attributes.x", "relations", "occurredAt", "entity"};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        assert_true(wh_test_has_detail(expect[i]));
    const char *wildcard = "{\"type\":\"order.*\"}";
    assert_int_equal(wh_event_from_json(&ev, wildcard, strlen(wildcard)), WH_EINVAL);
    assert_true(wh_test_has_detail("type"));
    assert_int_equal(wh_event_from_json(&ev, "[1]", 3), WH_EINVAL);
    assert_int_equal(wh_event_from_json(&ev, "{\"type\":", 8), WH_EINVAL);
}

static void test_clone(void **state)
{
    (void)state;
    wh_event *ev, *copy;
    WH_ASSERT_OK(wh_event_from_json(&ev, EVENT_JSON, strlen(EVENT_JSON)));
    WH_ASSERT_OK(wh_event_clone(&copy, ev));
    wh_event_free(ev);
    char *out;
    WH_ASSERT_OK(wh_event_to_json(copy, &out, NULL));
    assert_string_equal(out, EVENT_JSON);
    wh_free(out);
    wh_event_free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_sets_id_and_time),
        cmocka_unit_test(test_fields_and_validation),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_minimal_and_numeric_ids),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_ids_sort_by_creation_time),
        cmocka_unit_test(test_clocked_ids_keep_their_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
