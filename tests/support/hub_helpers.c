/* Small steps of tests that drive a hub against a loopback receiver (hub_helpers.h). */
#include <stdio.h>

#include "hub_helpers.h"
#include "wh_test.h"

void wh_test_add_order_sub(wh_hub *hub, wh_receiver *r, const char *path, char *id, size_t n)
{
    char url[256], json[512];
    wh_receiver_url(r, path, url, sizeof(url));
    snprintf(json, sizeof(json),
             "{\"url\":\"%s\",\"events\":[\"order.*\"],\"secrets\":[\"" WH_TEST_SECRET "\"],"
             "\"retry\":{\"enabled\":false}}",
             url);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    snprintf(id, n, "%s", wh_subscription_id(sub));
    wh_subscription_free(sub);
}

size_t wh_test_emit(wh_hub *hub, const char *type, const char *data)
{
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, type));
    WH_ASSERT_OK(wh_event_set_data(ev, data, strlen(data)));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit(hub, ev, &queued));
    wh_event_free(ev);
    return queued;
}

void wh_test_run_idle(wh_hub *hub, int max_ms)
{
    int64_t end = wh_test_now_ms() + max_ms;
    do
        WH_ASSERT_OK(wh_hub_run(hub, 20));
    while ((wh_hub_in_flight(hub) || wh_hub_timeout_ms(hub) == 0) && wh_test_now_ms() < end);
    for (int i = 0; i < 5; i++)
        WH_ASSERT_OK(wh_hub_run(hub, 0));
}
