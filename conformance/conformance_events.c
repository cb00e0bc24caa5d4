/* Store conformance: event idempotency (enqueue_events, version 5, may provide). */
#include "conformance_impl.h"

static bool has_events(const wh_store *s)
{
    return s->version >= 5 && s->enqueue_events;
}

/* Accept ids (a NULL-terminated list) with one delivery (id NULL: none) of "s1". */
static int accept(wh_store *s, const char *const *ids, const char *delivery, wh_time_ms now,
                  wh_time_ms expires_at)
{
    size_t n = 0;
    while (ids[n])
        n++;
    wh_delivery d = wh_sc_delivery(delivery ? delivery : "unused", "s1", now, now);
    const wh_delivery *batch[] = {&d};
    return s->enqueue_events(s, ids, n, now, expires_at, batch, delivery ? 1 : 0);
}

#define IDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_event_accepted_once(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!has_events(s)) skip();
    wh_sc_put_sub(s, "s1", NULL, 1);
    WH_ASSERT_OK(accept(s, IDS("e1"), "d1", 100, 1000));
    assert_int_equal(accept(s, IDS("e1"), "d2", 200, 1100), WH_ECONFLICT);
    assert_non_null(strstr(wh_error_last()->message, "e1"));
    assert_int_equal(wh_sc_status(s, "d1"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "d2"), -1); /* a refused event stores nothing */
    /* Its window ends at 1000: from then on the id is accepted again. */
    assert_int_equal(accept(s, IDS("e1"), "d2", 999, 1999), WH_ECONFLICT);
    WH_ASSERT_OK(accept(s, IDS("e1"), "d2", 1000, 2000));
    assert_int_equal(wh_sc_status(s, "d2"), WH_DELIVERY_PENDING);
    assert_int_equal(accept(s, IDS("e1"), NULL, 1500, 2500), WH_ECONFLICT); /* until 2000 */
}

static void test_event_without_deliveries_is_remembered(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!has_events(s)) skip();
    wh_sc_put_sub(s, "s1", NULL, 1);
    WH_ASSERT_OK(accept(s, IDS("nomatch"), NULL, 100, 1000)); /* matched no subscription */
    assert_int_equal(accept(s, IDS("nomatch"), "d1", 200, 1000), WH_ECONFLICT);
    assert_int_equal(wh_sc_status(s, "d1"), -1);
}

static void test_events_all_or_nothing(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!has_events(s)) skip();
    wh_sc_put_sub(s, "s1", NULL, 1);
    WH_ASSERT_OK(accept(s, IDS("old"), NULL, 100, 1000));
    /* One id remembered refuses the others, and the deliveries. */
    assert_int_equal(accept(s, IDS("new1", "old"), "d1", 200, 1000), WH_ECONFLICT);
    assert_non_null(strstr(wh_error_last()->message, "old"));
    assert_int_equal(wh_sc_status(s, "d1"), -1);
    /* An id given twice is refused the same way. */
    assert_int_equal(accept(s, IDS("new2", "new2"), "d1", 200, 1000), WH_ECONFLICT);
    /* A delivery the store refuses (no such subscription) keeps the ids unaccepted. */
    wh_delivery orphan = wh_sc_delivery("d9", "nosub", 200, 200);
    const wh_delivery *batch[] = {&orphan};
    const char *const one[] = {"new3"};
    assert_int_equal(s->enqueue_events(s, one, 1, 200, 1000, batch, 1), WH_ENOTFOUND);
    /* None of new1, new2, new3 was remembered. */
    WH_ASSERT_OK(accept(s, IDS("new1", "new2", "new3"), "d1", 300, 1000));
    assert_int_equal(wh_sc_status(s, "d1"), WH_DELIVERY_PENDING);
    WH_ASSERT_OK(s->enqueue_events(s, NULL, 0, 300, 1000, NULL, 0)); /* nothing to do */
}

static void test_event_ids_checked(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!has_events(s)) skip();
    wh_sc_put_sub(s, "s1", NULL, 1);
    assert_int_equal(s->enqueue_events(s, NULL, 1, 1, 2, NULL, 0), WH_EINVAL);
    assert_int_equal(accept(s, IDS("bad\x01key"), NULL, 1, 2), WH_EINVAL);
    assert_int_equal(accept(s, IDS(""), NULL, 1, 2), WH_EINVAL);
    char long_key[513];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    assert_int_equal(accept(s, IDS(long_key), NULL, 1, 2), WH_EINVAL);
    long_key[511] = '\0'; /* 511 bytes: an owner, '/', an event id at their longest */
    WH_ASSERT_OK(accept(s, IDS(long_key, "alice/evt_1"), NULL, 1, 2));
    wh_delivery bad = wh_sc_delivery("bad delivery id", "s1", 1, 1);
    const wh_delivery *batch[] = {&bad};
    const char *const ok[] = {"fine"};
    assert_int_equal(s->enqueue_events(s, ok, 1, 1, 2, batch, 1), WH_EINVAL);
    WH_ASSERT_OK(accept(s, IDS("fine"), NULL, 1, 2)); /* not remembered by the failed calls */
}

static void test_purge_forgets_expired_event_ids(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!has_events(s)) skip();
    wh_sc_put_sub(s, "s1", NULL, 1);
    WH_ASSERT_OK(accept(s, IDS("short"), NULL, 100, 2000));
    WH_ASSERT_OK(accept(s, IDS("long"), NULL, 100, 3000));
    WH_ASSERT_OK(s->purge(s, 2000, NULL));
    /* "short" was forgotten (it expired by 2000); "long" is still remembered. */
    WH_ASSERT_OK(accept(s, IDS("short"), NULL, 1500, 2500));
    assert_int_equal(accept(s, IDS("long"), NULL, 1500, 2500), WH_ECONFLICT);
}

const struct CMUnitTest sc_event_tests[] = {
    cmocka_unit_test(test_event_accepted_once),
    cmocka_unit_test(test_event_without_deliveries_is_remembered),
    cmocka_unit_test(test_events_all_or_nothing),
    cmocka_unit_test(test_event_ids_checked),
    cmocka_unit_test(test_purge_forgets_expired_event_ids),
};
const size_t sc_event_tests_count = sizeof(sc_event_tests) / sizeof(sc_event_tests[0]);
