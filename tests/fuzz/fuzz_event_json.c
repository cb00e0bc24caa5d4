/* libFuzzer target: parse the input as an event; a parsed event must serialise, parse back to
 * the same JSON, render a valid default envelope, and match the same subscriptions through the
 * index as through a linear scan. */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "fuzz_support.h"
#include "match_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A few subscriptions covering every kind of index key and filter (built once). */
static const wh_matcher *fixed_matcher(void)
{
    static wh_matcher *m;
    if (m) return m;
    static const char *const SUBS[] = {
        "{\"id\":\"exact\",\"url\":\"https://h.example/\",\"events\":[\"order.created\"]}",
        "{\"id\":\"star\",\"url\":\"https://h.example/\",\"events\":[\"order.*\",\"*.x\"]}",
        "{\"id\":\"deep\",\"url\":\"https://h.example/\",\"events\":[\"order.**\"]}",
        "{\"id\":\"all\",\"url\":\"https://h.example/\",\"events\":[\"*\"],"
        "\"filters\":{\"products\":[\"p1\"],\"source\":\"CRM\"}}",
        "{\"id\":\"ent\",\"url\":\"https://h.example/\",\"entity\":\"Order\","
        "\"actions\":[\"create\",\"cancel\"]}",
        "{\"id\":\"ent_all\",\"url\":\"https://h.example/\",\"entity\":\"Order\","
        "\"filters\":{\"eventIdentifiers\":[\"f1\"]}}",
    };
    FUZZ_CHECK(wh_matcher_new(&m) == WH_OK);
    for (size_t i = 0; i < sizeof(SUBS) / sizeof(SUBS[0]); i++) {
        wh_subscription *s; /* reachable through the matcher for the whole run */
        FUZZ_CHECK(wh_subscription_from_json(&s, SUBS[i], strlen(SUBS[i])) == WH_OK);
        FUZZ_CHECK(wh_matcher_add(m, s) == WH_OK);
    }
    return m;
}

static void check_matching(const wh_event *ev)
{
    wh_match_result *a, *b;
    FUZZ_CHECK(wh_match_result_new(&a) == WH_OK && wh_match_result_new(&b) == WH_OK);
    FUZZ_CHECK(wh_matcher_match(fixed_matcher(), ev, a) == WH_OK);
    FUZZ_CHECK(whi_matcher_match_linear(fixed_matcher(), ev, b) == WH_OK);
    FUZZ_CHECK(wh_match_result_count(a) == wh_match_result_count(b));
    for (size_t i = 0; i < wh_match_result_count(a); i++)
        FUZZ_CHECK(wh_match_result_at(a, i) == wh_match_result_at(b, i));
    wh_match_result_free(a);
    wh_match_result_free(b);
}

static void check_envelope(const wh_event *ev)
{
    wh_subscription *sub;
    FUZZ_CHECK(wh_subscription_new(&sub) == WH_OK);
    for (size_t i = 0; i < wh_event_relation_count(ev) && i < 4; i++)
        FUZZ_CHECK(wh_subscription_list_add(sub, WH_LIST_RELATIONS,
                                            wh_event_relation_name(ev, i)) == WH_OK);
    char *body;
    size_t len;
    FUZZ_CHECK(wh_envelope_render(ev, sub, &body, &len) == WH_OK);
    cJSON *doc = cJSON_ParseWithLength(body, len);
    FUZZ_CHECK(doc != NULL && cJSON_IsObject(doc));
    cJSON_Delete(doc);
    wh_free(body);
    wh_subscription_free(sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_event *ev = (wh_event *)&size;
    int rc = wh_event_from_json(&ev, (const char *)data, size);
    if (rc != WH_OK) {
        FUZZ_CHECK(ev == NULL && wh_error_last_code() == rc);
        return 0;
    }
    char *json1, *json2;
    size_t len1, len2;
    FUZZ_CHECK(wh_event_to_json(ev, &json1, &len1) == WH_OK);
    wh_event *again;
    rc = wh_event_from_json(&again, json1, len1);
    if (rc != WH_OK) fprintf(stderr, "re-parse of %s failed: %s\n", json1, wh_error_last_message());
    FUZZ_CHECK(rc == WH_OK);
    FUZZ_CHECK(wh_event_to_json(again, &json2, &len2) == WH_OK);
    if (len1 != len2 || memcmp(json1, json2, len1) != 0)
        fprintf(stderr, "round trip differs:\n%s\n%s\n", json1, json2);
    FUZZ_CHECK(len1 == len2 && memcmp(json1, json2, len1) == 0);
    check_envelope(ev);
    check_matching(ev);
    const char *tpl = "https://h.example/{{entity}}/{{action}}?ids={{id}}&t={{timestamp}}";
    fuzz_render_all_modes(tpl, strlen(tpl), ev, "s");
    wh_free(json1);
    wh_free(json2);
    wh_event_free(again);
    wh_event_free(ev);
    return 0;
}
