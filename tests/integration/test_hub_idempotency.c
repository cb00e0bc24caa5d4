/*
 * Event idempotency (issue 15): an event id is accepted once within the hub's window. A second
 * emit with the id creates nothing and returns WH_ECONFLICT, whether the first matched anything
 * or not; ids are kept apart per owner; the window ends; 0 turns it off; a batch is all or
 * nothing; the memory store's cap forgets the oldest. The same through the SQLite store, where
 * two hubs share one file (the PostgreSQL case is in test_hub_postgres.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hub_fixture.h"
#include "wh_test.h"
#include "wh_test_files.h"

static wh_event *event_with_id(const char *id)
{
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    WH_ASSERT_OK(wh_event_set_id(ev, id));
    return ev;
}

/* wh_hub_emit (owner NULL) or wh_hub_emit_owner of an event with this id; *queued set. */
static int emit_id(wh_hub *hub, const char *id, const char *owner, size_t *queued)
{
    wh_event *ev = event_with_id(id);
    int rc = owner ? wh_hub_emit_owner(hub, ev, owner, queued) : wh_hub_emit(hub, ev, queued);
    wh_event_free(ev);
    return rc;
}

static void test_second_emit_is_refused(void **state)
{
    hub_fixture *fx = *state;
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/a\",\"events\":[\"order.created\"]}", id, sizeof(id));
    size_t queued = 9;
    WH_ASSERT_OK(emit_id(fx->hub, "evt_1", NULL, &queued));
    assert_int_equal(queued, 1);
    assert_int_equal(emit_id(fx->hub, "evt_1", NULL, &queued), WH_ECONFLICT);
    assert_int_equal(queued, 0);
    assert_non_null(strstr(wh_error_last()->message, "evt_1"));
    assert_int_equal(hub_fixture_count(fx, id, -1), 1);
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    fx->now += 3600 * 1000; /* an hour later it is still refused: the default window is a day */
    assert_int_equal(emit_id(fx->hub, "evt_1", NULL, &queued), WH_ECONFLICT);
    WH_ASSERT_OK(wh_hub_run(fx->hub, 50));
    assert_int_equal(wh_receiver_count(fx->recv), 1);
}

static void test_event_matching_nothing_is_remembered(void **state)
{
    hub_fixture *fx = *state;
    size_t queued = 9;
    WH_ASSERT_OK(emit_id(fx->hub, "evt_early", NULL, &queued));
    assert_int_equal(queued, 0);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/a\",\"events\":[\"order.created\"]}", id, sizeof(id));
    assert_int_equal(emit_id(fx->hub, "evt_early", NULL, &queued), WH_ECONFLICT);
    assert_int_equal(hub_fixture_count(fx, id, -1), 0);
}

static void test_owners_have_their_own_ids(void **state)
{
    hub_fixture *fx = *state;
    char a[64], b[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/a\",\"events\":[\"order.created\"],\"ownerId\":\"alice\"}",
                    a, sizeof(a));
    hub_fixture_add(fx, "{\"url\":\"RECV/b\",\"events\":[\"order.created\"],\"ownerId\":\"bob\"}",
                    b, sizeof(b));
    size_t queued;
    WH_ASSERT_OK(emit_id(fx->hub, "evt_same", "alice", &queued));
    WH_ASSERT_OK(emit_id(fx->hub, "evt_same", "bob", &queued)); /* bob's ids are his own */
    assert_int_equal(emit_id(fx->hub, "evt_same", "alice", &queued), WH_ECONFLICT);
    assert_int_equal(hub_fixture_count(fx, a, -1), 1);
    assert_int_equal(hub_fixture_count(fx, b, -1), 1);
}

static void test_window_ends(void **state)
{
    (void)state;
    hub_fixture fx;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_event_id_window_ms(o, 1000));
    hub_fixture_start(&fx, o);
    wh_hub_options_free(o);
    char id[64];
    hub_fixture_add(&fx, "{\"url\":\"RECV/a\",\"events\":[\"order.created\"]}", id, sizeof(id));
    size_t queued;
    WH_ASSERT_OK(emit_id(fx.hub, "evt_w", NULL, &queued));
    fx.now += 999;
    assert_int_equal(emit_id(fx.hub, "evt_w", NULL, &queued), WH_ECONFLICT);
    fx.now += 1; /* the window is over: the id is new again */
    WH_ASSERT_OK(emit_id(fx.hub, "evt_w", NULL, &queued));
    assert_int_equal(queued, 1);
    assert_int_equal(hub_fixture_count(&fx, id, -1), 2);
    hub_fixture_stop(&fx);
}

static void test_window_zero_turns_it_off(void **state)
{
    (void)state;
    hub_fixture fx;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_event_id_window_ms(o, 0));
    assert_int_equal(wh_hub_options_set_event_id_window_ms(o, 367LL * 24 * 3600 * 1000), WH_EINVAL);
    hub_fixture_start(&fx, o);
    wh_hub_options_free(o);
    char id[64];
    hub_fixture_add(&fx, "{\"url\":\"RECV/a\",\"events\":[\"order.created\"]}", id, sizeof(id));
    size_t queued;
    WH_ASSERT_OK(emit_id(fx.hub, "evt_z", NULL, &queued));
    WH_ASSERT_OK(emit_id(fx.hub, "evt_z", NULL, &queued));
    assert_int_equal(hub_fixture_count(&fx, id, -1), 2);
    hub_fixture_stop(&fx);
}

static void test_batch_is_all_or_nothing(void **state)
{
    hub_fixture *fx = *state;
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/a\",\"events\":[\"order.created\"]}", id, sizeof(id));
    size_t queued;
    WH_ASSERT_OK(emit_id(fx->hub, "evt_old", NULL, &queued));
    wh_event *evs[] = {event_with_id("evt_new"), event_with_id("evt_old")};
    assert_int_equal(wh_hub_emit_batch(fx->hub, (const wh_event *const *)evs, 2, &queued),
                     WH_ECONFLICT);
    assert_int_equal(queued, 0);
    assert_int_equal(hub_fixture_count(fx, id, -1), 1);
    WH_ASSERT_OK(wh_hub_emit(fx->hub, evs[0], &queued)); /* evt_new was not remembered */
    assert_int_equal(queued, 1);
    wh_event *twice[] = {evs[0], evs[0]};
    assert_int_equal(wh_hub_emit_batch(fx->hub, (const wh_event *const *)twice, 2, &queued),
                     WH_ECONFLICT);
    wh_event_free(evs[0]);
    wh_event_free(evs[1]);
}

/* A hub on the memory store with a cap of two ids. */
static void test_memory_cap_forgets_the_oldest(void **state)
{
    (void)state;
    wh_memory_options *mo;
    WH_ASSERT_OK(wh_memory_options_new(&mo));
    WH_ASSERT_OK(wh_memory_options_set_max_event_ids(mo, 2));
    wh_store *s;
    WH_ASSERT_OK(wh_store_memory_new_opts(&s, mo));
    wh_memory_options_free(mo);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, s, 1));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    size_t queued;
    WH_ASSERT_OK(emit_id(hub, "e1", NULL, &queued));
    WH_ASSERT_OK(emit_id(hub, "e2", NULL, &queued));
    WH_ASSERT_OK(emit_id(hub, "e3", NULL, &queued)); /* e1 goes */
    assert_int_equal(emit_id(hub, "e3", NULL, &queued), WH_ECONFLICT);
    assert_int_equal(emit_id(hub, "e2", NULL, &queued), WH_ECONFLICT);
    WH_ASSERT_OK(emit_id(hub, "e1", NULL, &queued)); /* forgotten early: accepted again */
    wh_hub_free(hub);
}

static wh_hub *sqlite_hub(const char *path)
{
    wh_store *s;
    WH_ASSERT_OK(wh_store_sqlite_open(&s, path));
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, s, 1));
    WH_ASSERT_OK(wh_hub_options_set_shared_queue(o, 1));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    return hub;
}

static void test_sqlite_ids_outlive_the_hub(void **state)
{
    (void)state;
    char dir[256], path[300];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/idem.db", dir);
    wh_hub *a = sqlite_hub(path);
    size_t queued;
    WH_ASSERT_OK(emit_id(a, "evt_s", NULL, &queued));
    wh_hub_free(a); /* a restart: the id is in the file */
    wh_hub *b = sqlite_hub(path);
    assert_int_equal(emit_id(b, "evt_s", NULL, &queued), WH_ECONFLICT);
    WH_ASSERT_OK(emit_id(b, "evt_t", NULL, &queued));
    wh_hub_free(b);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_second_emit_is_refused, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_event_matching_nothing_is_remembered,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_owners_have_their_own_ids, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test(test_window_ends),
        cmocka_unit_test(test_window_zero_turns_it_off),
        cmocka_unit_test_setup_teardown(test_batch_is_all_or_nothing, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test(test_memory_cap_forgets_the_oldest),
        cmocka_unit_test(test_sqlite_ids_outlive_the_hub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
