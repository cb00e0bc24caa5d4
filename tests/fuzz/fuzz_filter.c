/*
 * Fuzzes the payload filter compiler and evaluator, and holds the evaluator to the reference
 * evaluator of tests/support/filter_reference.h.
 *
 * Input: the filter's JSON text, then optionally a NUL byte and the JSON of the event's data.
 * Invariants besides "no crash, no leak": compiling returns one of its documented codes (and a
 * NULL filter on error); a compiled filter's JSON compiles again to the same JSON; evaluating
 * gives 0 or 1, the same on the fixed event and its clone, and the same as the reference
 * evaluator on the event with the fuzzed data (when that data is JSON the reference can see
 * as the library does: no NUL characters in its strings).
 */
#include <stdint.h>
#include <string.h>

#include "filter_reference.h"
#include "fuzz_support.h"

/* The reference's view of ev: its JSON form as a cJSON tree. */
static cJSON *event_tree(const wh_event *ev)
{
    char *json;
    FUZZ_CHECK(wh_event_to_json(ev, &json, NULL) == WH_OK);
    cJSON *tree = strstr(json, "\\u0000") ? NULL : cJSON_Parse(json);
    wh_free(json);
    return tree;
}

static void check_against_reference(const wh_filter *f, const char *text, const wh_event *ev)
{
    int got = wh_filter_matches(f, ev);
    FUZZ_CHECK(got == 0 || got == 1);
    cJSON *tree = event_tree(ev), *ft = cJSON_Parse(text);
    if (tree && ft) FUZZ_CHECK(got == (int)ref_filter(ft, tree));
    cJSON_Delete(tree);
    cJSON_Delete(ft);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t flen = nul ? (size_t)(nul - data) : size;
    wh_filter *f = (wh_filter *)&f;
    int rc = wh_filter_new(&f, (const char *)data, flen);
    FUZZ_CHECK(rc == WH_OK || rc == WH_EINVAL || rc == WH_ETOOLARGE || rc == WH_ENOMEM);
    if (rc != WH_OK) {
        FUZZ_CHECK(f == NULL);
        return 0;
    }
    /* The compact JSON compiles again, to itself. */
    const char *json = wh_filter_json(f);
    wh_filter *again;
    FUZZ_CHECK(wh_filter_new(&again, json, strlen(json)) == WH_OK);
    FUZZ_CHECK(strcmp(wh_filter_json(again), json) == 0);
    wh_filter_free(again);

    const wh_event *fixed = fuzz_fixed_event();
    wh_event *copy;
    FUZZ_CHECK(wh_event_clone(&copy, fixed) == WH_OK);
    check_against_reference(f, json, fixed);
    FUZZ_CHECK(wh_filter_matches(f, fixed) == wh_filter_matches(f, copy));
    if (nul && wh_event_set_data(copy, (const char *)nul + 1, size - flen - 1) == WH_OK)
        check_against_reference(f, json, copy);
    wh_event_free(copy);
    wh_filter_free(f);
    return 0;
}
