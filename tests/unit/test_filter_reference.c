/*
 * Differential test of payload filters: random events (random JSON data with nested objects,
 * arrays, escapes, repeated names; random fields, attributes, products, relations) and random
 * filters (every operator, $and/$or/$not, paths that exist and that do not, operands of every
 * type), evaluated by the library and by the reference evaluator of filter_reference.h, which
 * must agree on every pair. The seed is fixed (WH_FILTER_SEED overrides it) so a failure
 * reproduces; the failing filter and event are printed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "filter_reference.h"
#include "wh_test.h"

static uint64_t g_rng = 0x6A09E667F3BCC909ULL;
static unsigned rnd(unsigned n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % n);
}

static const char *const KEYS[] = {"a", "b", "total", "tags", "x.y", "é", "q\"k"};
static const char *const STRINGS[] = {"",  "a",    "ab",    "b",  "BRL", "USD",
                                      "é", "a\"b", "tab\t", "\\", "zz",  "1"};
/* For the event's own fields: labels have no control characters and are not empty. */
static const char *const LABELS[] = {"a", "ab", "b", "BRL", "USD", "é", "a\"b", "\\", "zz", "1"};
static const double NUMBERS[] = {0, 1, -1, 2.5, 100, 150, 1e10, -0.001, 3};

static cJSON *random_scalar(void)
{
    switch (rnd(5)) {
    case 0:
        return cJSON_CreateNull();
    case 1:
        return cJSON_CreateBool(rnd(2));
    case 2:
        return cJSON_CreateNumber(NUMBERS[rnd(9)]);
    default:
        return cJSON_CreateString(STRINGS[rnd(12)]);
    }
}

static cJSON *random_value(int depth)
{
    unsigned k = depth > 0 ? rnd(6) : 5;
    if (k == 0 || k == 1) { /* an object, sometimes with a repeated name */
        cJSON *o = cJSON_CreateObject();
        for (unsigned i = rnd(5); i > 0; i--)
            cJSON_AddItemToObject(o, KEYS[rnd(7)], random_value(depth - 1));
        return o;
    }
    if (k == 2) {
        cJSON *a = cJSON_CreateArray();
        for (unsigned i = rnd(5); i > 0; i--)
            cJSON_AddItemToArray(a, random_value(depth - 1));
        return a;
    }
    return random_scalar();
}

static wh_event *random_event(void)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, rnd(2) ? "order.created" : "order.paid"));
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_entity(e, rnd(2) ? "Order" : "a"));
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_source(e, LABELS[rnd(10)]));
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_attribute(e, "account", STRINGS[rnd(12)]));
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_attribute(e, "a.b", STRINGS[rnd(12)]));
    for (unsigned i = rnd(3); i > 0; i--)
        WH_ASSERT_OK(wh_event_add_product(e, LABELS[rnd(10)]));
    for (unsigned i = rnd(3); i > 0; i--)
        WH_ASSERT_OK(wh_event_add_id(e, LABELS[rnd(10)]));
    cJSON *data = random_value(3);
    if (rnd(4)) { /* mostly an object at the top, as payloads are */
        cJSON *o = cJSON_CreateObject();
        for (unsigned i = 1 + rnd(5); i > 0; i--)
            cJSON_AddItemToObject(o, KEYS[rnd(7)], random_value(2));
        cJSON_Delete(data);
        data = o;
        if (rnd(4) == 0) { /* large: looked up through an index rather than by scanning */
            char pad[1200];
            memset(pad, 'p', sizeof(pad) - 1);
            pad[sizeof(pad) - 1] = '\0';
            cJSON_AddItemToObject(o, "pad", cJSON_CreateString(pad));
        }
    }
    char *text = cJSON_PrintUnformatted(data);
    WH_ASSERT_OK(wh_event_set_data(e, text, strlen(text)));
    free(text);
    cJSON_Delete(data);
    if (rnd(3) == 0) {
        cJSON *r = random_value(2);
        text = cJSON_PrintUnformatted(r);
        WH_ASSERT_OK(wh_event_set_relation(e, "R", text, strlen(text)));
        free(text);
        cJSON_Delete(r);
    }
    return e;
}

static const char *const PATHS[] = {"data.a",
                                    "data.b",
                                    "data.total",
                                    "data.tags",
                                    "data.a.a",
                                    "data.a.b",
                                    "data.tags.0",
                                    "data.tags.1",
                                    "data.a.0",
                                    "data.b.total",
                                    "data.x",
                                    "data.a.tags.0",
                                    "type",
                                    "entity",
                                    "source",
                                    "identifier",
                                    "products",
                                    "products.0",
                                    "ids",
                                    "ids.1",
                                    "attributes",
                                    "attributes.a.b",
                                    "attributes.account",
                                    "relations.R",
                                    "relations.R.a",
                                    "relations.R.0",
                                    "relations.S.a",
                                    "data.é",
                                    "data.q\"k",
                                    "data"};
#define NPATHS (sizeof(PATHS) / sizeof(PATHS[0]))

static const char *const OPS[] = {"$eq", "$neq", "$gt",    "$gte",      "$lt",         "$lte",
                                  "$in", "$nin", "$exist", "$contains", "$startsWith", "$endsWith"};

/* An operand that compiles for op (of any type the operator accepts). */
static cJSON *operand(const char *op)
{
    if (strcmp(op, "$exist") == 0) return cJSON_CreateBool(rnd(2));
    if (strcmp(op, "$startsWith") == 0 || strcmp(op, "$endsWith") == 0)
        return cJSON_CreateString(STRINGS[rnd(12)]);
    if (op[1] == 'g' || op[1] == 'l') /* order: numbers or strings */
        return rnd(2) ? cJSON_CreateNumber(NUMBERS[rnd(9)]) : cJSON_CreateString(STRINGS[rnd(12)]);
    if (strcmp(op, "$in") == 0 || strcmp(op, "$nin") == 0) {
        cJSON *a = cJSON_CreateArray();
        for (unsigned i = 1 + rnd(4); i > 0; i--)
            cJSON_AddItemToArray(a, random_scalar());
        return a;
    }
    return random_scalar();
}

static cJSON *random_filter(int depth)
{
    cJSON *f = cJSON_CreateObject();
    for (unsigned i = 1 + rnd(2); i > 0; i--) {
        unsigned k = rnd(10);
        if (depth > 0 && k < 2) {
            cJSON *list = cJSON_CreateArray();
            for (unsigned j = 1 + rnd(3); j > 0; j--)
                cJSON_AddItemToArray(list, random_filter(depth - 1));
            cJSON_AddItemToObject(f, k ? "$or" : "$and", list);
        } else if (depth > 0 && k == 2) {
            cJSON_AddItemToObject(f, "$not", random_filter(depth - 1));
        } else if (k < 5) { /* a plain value */
            cJSON_AddItemToObject(f, PATHS[rnd(NPATHS)], random_scalar());
        } else {
            cJSON *ops = cJSON_CreateObject();
            for (unsigned j = 1 + rnd(2); j > 0; j--) {
                const char *op = OPS[rnd(12)];
                cJSON_AddItemToObject(ops, op, operand(op));
            }
            cJSON_AddItemToObject(f, PATHS[rnd(NPATHS)], ops);
        }
    }
    return f;
}

static void test_library_agrees_with_reference(void **state)
{
    (void)state;
    const char *seed = getenv("WH_FILTER_SEED");
    if (seed) g_rng = strtoull(seed, NULL, 0) | 1;
    enum { EVENTS = 400, FILTERS = 40 };
    size_t passed = 0, total = 0;
    for (int i = 0; i < EVENTS; i++) {
        wh_event *e = random_event();
        char *ej;
        WH_ASSERT_OK(wh_event_to_json(e, &ej, NULL));
        cJSON *tree = cJSON_Parse(ej);
        assert_non_null(tree);
        for (int k = 0; k < FILTERS; k++) {
            cJSON *ft = random_filter(2);
            char *text = cJSON_PrintUnformatted(ft);
            wh_filter *f;
            if (wh_filter_new(&f, text, strlen(text)) != WH_OK)
                fail_msg("%s does not compile: %s (%s)", text, wh_error_last_message(),
                         wh_error_last_detail(0) ? wh_error_last_detail(0) : "");
            int got = wh_filter_matches(f, e);
            int want = ref_filter(ft, tree);
            if (got != want)
                fail_msg("filter %s on event %s: library %d, reference %d", text, ej, got, want);
            passed += got == 1;
            total++;
            wh_filter_free(f);
            free(text);
            cJSON_Delete(ft);
        }
        cJSON_Delete(tree);
        wh_free(ej);
        wh_event_free(e);
    }
    /* The random data exercises both outcomes in earnest. */
    print_message("%zu of %zu pairs passed\n", passed, total);
    assert_true(passed > total / 10);
    assert_true(passed < total - total / 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_agrees_with_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
