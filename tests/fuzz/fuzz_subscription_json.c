/* libFuzzer target: parse the input as a subscription. A parsed subscription must serialise,
 * parse back to the same JSON, index and match like a linear scan, and take the same input as
 * a patch all-or-nothing (unchanged JSON when the patch fails). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_support.h"
#include "match_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *to_json(const wh_subscription *s, size_t *len)
{
    char *out = NULL;
    FUZZ_CHECK(wh_subscription_to_json(s, WH_JSON_SECRETS, &out, len) == WH_OK);
    return out;
}

static void check_round_trip(const wh_subscription *sub)
{
    size_t len1, len2;
    char *json1 = to_json(sub, &len1);
    wh_subscription *again;
    int rc = wh_subscription_from_json(&again, json1, len1);
    if (rc != WH_OK)
        fprintf(stderr, "re-parse of %s failed: %s (%s)\n", json1, wh_error_last_message(),
                wh_error_last_detail(0) ? wh_error_last_detail(0) : "");
    FUZZ_CHECK(rc == WH_OK);
    char *json2 = to_json(again, &len2);
    if (len1 != len2 || memcmp(json1, json2, len1) != 0)
        fprintf(stderr, "round trip differs:\n%s\n%s\n", json1, json2);
    FUZZ_CHECK(len1 == len2 && memcmp(json1, json2, len1) == 0);
    wh_free(json1);
    wh_free(json2);
    wh_subscription_free(again);
}

static void check_matcher(const wh_subscription *sub)
{
    wh_matcher *m;
    FUZZ_CHECK(wh_matcher_new(&m) == WH_OK);
    int rc = wh_matcher_add(m, sub);
    FUZZ_CHECK(rc == WH_OK); /* anything from_json accepts can be indexed */
    wh_match_result *a, *b;
    FUZZ_CHECK(wh_match_result_new(&a) == WH_OK && wh_match_result_new(&b) == WH_OK);
    const wh_event *ev = fuzz_fixed_event();
    FUZZ_CHECK(wh_matcher_match(m, ev, a) == WH_OK);
    FUZZ_CHECK(whi_matcher_match_linear(m, ev, b) == WH_OK);
    FUZZ_CHECK(wh_match_result_count(a) == wh_match_result_count(b));
    FUZZ_CHECK(wh_match_result_count(a) == (size_t)wh_subscription_matches(sub, ev));
    /* Also against an event of each listened type, so the patterns' own shapes are exercised. */
    for (size_t i = 0; i < wh_subscription_list_count(sub, WH_LIST_EVENTS) && i < 8; i++) {
        char type[300];
        snprintf(type, sizeof(type), "%s", wh_subscription_list_at(sub, WH_LIST_EVENTS, i));
        for (char *p = type; *p; p++)
            if (*p == '*') *p = 'x';
        wh_event *e;
        if (wh_event_new(&e, type) != WH_OK) continue;
        FUZZ_CHECK(wh_matcher_match(m, e, a) == WH_OK);
        FUZZ_CHECK(whi_matcher_match_linear(m, e, b) == WH_OK);
        FUZZ_CHECK(wh_match_result_count(a) == wh_match_result_count(b));
        wh_event_free(e);
    }
    FUZZ_CHECK(wh_matcher_update(m, sub) == WH_OK);
    FUZZ_CHECK(wh_matcher_remove(m, wh_subscription_id(sub)) == WH_OK);
    FUZZ_CHECK(m->exact.n == 0 && m->trie.n == 0 && m->entity.n == 0 && m->root->ndeep == 0);
    wh_match_result_free(a);
    wh_match_result_free(b);
    wh_matcher_free(m);
}

static void check_templates(const wh_subscription *sub)
{
    const wh_event *ev = fuzz_fixed_event();
    const char *url = wh_subscription_url(sub), *body = wh_subscription_body(sub);
    if (url) fuzz_render_all_modes(url, strlen(url), ev, wh_subscription_id(sub));
    if (body) fuzz_render_all_modes(body, strlen(body), ev, wh_subscription_id(sub));
    for (size_t i = 0; i < wh_subscription_header_count(sub) && i < 4; i++) {
        const char *v = wh_subscription_header_value(sub, i);
        fuzz_render_all_modes(v, strlen(v), ev, wh_subscription_id(sub));
    }
}

static void check_patch(wh_subscription *sub, const uint8_t *data, size_t size)
{
    size_t before_len, after_len;
    char *before = to_json(sub, &before_len);
    int rc = wh_subscription_patch_json(sub, (const char *)data, size);
    if (rc != WH_OK) {
        char *after = to_json(sub, &after_len);
        FUZZ_CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
        wh_free(after);
    } else {
        check_round_trip(sub);
    }
    wh_free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_subscription *sub = (wh_subscription *)&size;
    int rc = wh_subscription_from_json(&sub, (const char *)data, size);
    if (rc != WH_OK) {
        FUZZ_CHECK(sub == NULL && wh_error_last_code() == rc);
        return 0;
    }
    check_round_trip(sub);
    check_matcher(sub);
    check_templates(sub);
    check_patch(sub, data, size);
    wh_subscription_free(sub);
    return 0;
}
