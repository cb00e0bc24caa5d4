/*
 * Sharing the request slots (lib/hub/hub_fair.c): slow endpoints never starve a fast one, and
 * an endpoint alone still gets its full concurrency.
 *
 * The case, with the hub's default limits (64 in flight, 8 per subscription): ten
 * endpoints that do not answer (held by the receiver: slower than any deadline, and
 * deterministic) and one that answers at once, 200 events each, the slow ones' emitted first.
 * The fast endpoint must get all 200 while every slow one is still holding its first requests.
 * Before slots were shared, the slow ones took all 64 and the fast one got none.
 */
#include <stdio.h>
#include <string.h>

#include "hub_fixture.h"
#include "wh_test.h"

#define SLOW   10
#define EVENTS 200

static size_t received(hub_fixture *fx, const char *prefix)
{
    return wh_receiver_count_prefix(fx->recv, prefix);
}

static void test_slow_endpoints_do_not_starve_a_fast_one(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule hold = WH_RECEIVER_RULE_INIT;
    hold.reply.hold = true;
    WH_ASSERT_OK(wh_receiver_set(fx->recv, "/slow", &hold) ? WH_OK : WH_ENOMEM);
    char json[256], id[64];
    for (int i = 0; i < SLOW; i++) {
        snprintf(json, sizeof(json), "{\"url\":\"RECV/slow/%d\",\"events\":[\"slow.%d\"]}", i, i);
        hub_fixture_add(fx, json, id, sizeof(id));
    }
    char fast[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/fast\",\"events\":[\"fast\"]}", fast, sizeof(fast));
    for (int i = 0; i < SLOW; i++) {
        char type[32];
        snprintf(type, sizeof(type), "slow.%d", i);
        for (int k = 0; k < EVENTS; k++)
            assert_int_equal(hub_fixture_emit(fx, type, k), 1);
    }
    for (int k = 0; k < EVENTS; k++)
        assert_int_equal(hub_fixture_emit(fx, "fast", k), 1);

    /* Rounds of at most 20 ms: the fast endpoint needs about one per few deliveries. */
    int rounds = 0;
    while (hub_fixture_count(fx, fast, WH_DELIVERY_SUCCEEDED) < EVENTS && rounds < 1500) {
        WH_ASSERT_OK(wh_hub_run(fx->hub, 20));
        rounds++;
    }
    size_t slow_requests = received(fx, "/slow");
    printf("# fast: %zu of %d delivered in %d rounds; the slow endpoints hold %zu requests\n",
           hub_fixture_count(fx, fast, WH_DELIVERY_SUCCEEDED), EVENTS, rounds, slow_requests);
    assert_int_equal(hub_fixture_count(fx, fast, WH_DELIVERY_SUCCEEDED), EVENTS);
    assert_int_equal(received(fx, "/fast"), EVENTS);
    /* Every slow endpoint got its turn too, and none more than its share of the slots. */
    for (int i = 0; i < SLOW; i++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "/slow/%d", i);
        assert_true(received(fx, prefix) >= 1);
        assert_true(received(fx, prefix) <= 8);
    }
    assert_true(slow_requests <= 48); /* a quarter of the 64 slots stays for the others */
}

/* Alone, an endpoint slower than slow_after_ms still reaches its full concurrency. */
static void test_a_slow_endpoint_alone_gets_full_concurrency(void **state)
{
    (void)state;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_slow_after_ms(o, 50));
    hub_fixture fx;
    hub_fixture_start(&fx, o);
    wh_hub_options_free(o);
    wh_receiver_rule slow = WH_RECEIVER_RULE_INIT;
    slow.reply.delay_ms = 80;
    wh_receiver_set(fx.recv, "/slow", &slow);
    char id[64];
    hub_fixture_add(&fx, "{\"url\":\"RECV/slow\",\"events\":[\"a\"]}", id, sizeof(id));
    for (int k = 0; k < 60; k++)
        hub_fixture_emit(&fx, "a", k);
    /* Watch the most requests it has in flight at once. */
    size_t most = 0;
    for (int rounds = 0; rounds < 1000 && hub_fixture_count(&fx, id, WH_DELIVERY_SUCCEEDED) < 60;
         rounds++) {
        WH_ASSERT_OK(wh_hub_run(fx.hub, 20));
        size_t now = wh_hub_in_flight(fx.hub);
        if (now > most) most = now;
    }
    printf("# alone: at most %zu in flight\n", most);
    assert_int_equal(hub_fixture_count(&fx, id, WH_DELIVERY_SUCCEEDED), 60);
    assert_int_equal(most, 8);
    hub_fixture_stop(&fx);
}

static void test_slow_after_ms_is_checked(void **state)
{
    (void)state;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    assert_int_equal(wh_hub_options_set_slow_after_ms(o, 0), WH_EINVAL);
    assert_int_equal(wh_hub_options_set_slow_after_ms(o, 600001), WH_EINVAL);
    assert_int_equal(wh_hub_options_set_slow_after_ms(NULL, 10), WH_EINVAL);
    WH_ASSERT_OK(wh_hub_options_set_slow_after_ms(o, 600000));
    wh_hub_options_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slow_endpoints_do_not_starve_a_fast_one,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test(test_a_slow_endpoint_alone_gets_full_concurrency),
        cmocka_unit_test(test_slow_after_ms_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
