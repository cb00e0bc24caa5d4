/* Payload filters: every operator, type mismatches, missing paths, arrays, the event's own
 * fields, limits and the problems reported for malformed filters (one per problem, naming the
 * path). The differential test against a reference evaluator is test_filter_reference.c. */
#include <stdio.h>
#include <stdlib.h>

#include "wh_test.h"

#define DATA                                                                                       \
    "{\"total\":150,\"price\":19.5,\"currency\":\"BRL\",\"status\":\"paid\",\"vip\":true,"         \
    "\"gift\":false,\"note\":null,\"tags\":[\"a\",\"b\",3,null,true],\"items\":[{\"sku\":"         \
    "\"X-1\",\"qty\":2},{\"sku\":\"Y-2\",\"qty\":0}],\"order\":{\"id\":\"o-7\",\"customer\":{"     \
    "\"country\":\"BR\",\"name\":\"Zoë \\\"Z\\\" Q\"}},\"esc\":\"tab\\there\",\"a.b\":1,"         \
    "\"dup\":1,\"dup\":2,\"big\":1e300,\"neg\":-2.5}"

static wh_event *g_ev;

static int setup(void **state)
{
    (void)state;
    WH_ASSERT_OK(wh_event_new(&g_ev, "order.created"));
    WH_ASSERT_OK(wh_event_set_id(g_ev, "evt_1"));
    WH_ASSERT_OK(wh_event_set_entity(g_ev, "Order"));
    WH_ASSERT_OK(wh_event_set_action(g_ev, "create"));
    WH_ASSERT_OK(wh_event_set_source(g_ev, "MKT"));
    WH_ASSERT_OK(wh_event_add_id(g_ev, "1001"));
    WH_ASSERT_OK(wh_event_add_id(g_ev, "1002"));
    WH_ASSERT_OK(wh_event_add_product(g_ev, "p1"));
    WH_ASSERT_OK(wh_event_set_attribute(g_ev, "account", "shop"));
    WH_ASSERT_OK(wh_event_set_attribute(g_ev, "a.b", "dotted"));
    WH_ASSERT_OK(wh_event_set_data(g_ev, DATA, strlen(DATA)));
    WH_ASSERT_OK(wh_event_set_relation(g_ev, "COMPANY", "{\"name\":\"ACME\",\"size\":12}", 25));
    WH_ASSERT_OK(wh_event_set_occurred_at(g_ev, 1700000000123LL));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wh_event_free(g_ev);
    return 0;
}

/* Whether the event passes the filter (which must compile). */
static int passes(const char *json)
{
    wh_filter *f;
    int rc = wh_filter_new(&f, json, strlen(json));
    if (rc != WH_OK) fail_msg("%s does not compile: %s", json, wh_error_last_message());
    rc = wh_filter_matches(f, g_ev);
    wh_filter_free(f);
    if (rc < 0) fail_msg("%s: %s", json, wh_error_last_message());
    return rc;
}

#define YES(json) assert_int_equal(passes(json), 1)
#define NO(json)  assert_int_equal(passes(json), 0)

static void test_equality_and_plain_values(void **state)
{
    (void)state;
    YES("{}");
    YES("{\"data.total\":150}");
    YES("{\"data.total\":150.0}");
    NO("{\"data.total\":151}");
    YES("{\"data.currency\":\"BRL\"}");
    NO("{\"data.currency\":\"brl\"}");
    YES("{\"data.vip\":true}");
    NO("{\"data.vip\":false}");
    YES("{\"data.gift\":false}");
    YES("{\"data.note\":null}");
    YES("{\"data.nothing\":null}"); /* missing is null */
    NO("{\"data.status\":null}");
    YES("{\"data.total\":{\"$eq\":150}}");
    YES("{\"data.total\":{\"$neq\":1}}");
    NO("{\"data.total\":{\"$neq\":150}}");
    YES("{\"data.nothing\":{\"$neq\":1}}"); /* $neq holds when missing */
    /* several keys: all must hold */
    YES("{\"data.total\":150,\"data.currency\":\"BRL\"}");
    NO("{\"data.total\":150,\"data.currency\":\"USD\"}");
    /* several operators on one path: all must hold */
    YES("{\"data.total\":{\"$gt\":100,\"$lt\":200}}");
    NO("{\"data.total\":{\"$gt\":100,\"$lt\":120}}");
}

static void test_order_numbers_and_strings(void **state)
{
    (void)state;
    YES("{\"data.total\":{\"$gt\":149}}");
    NO("{\"data.total\":{\"$gt\":150}}");
    YES("{\"data.total\":{\"$gte\":150}}");
    NO("{\"data.total\":{\"$gte\":150.5}}");
    YES("{\"data.total\":{\"$lt\":150.5}}");
    NO("{\"data.total\":{\"$lt\":150}}");
    YES("{\"data.total\":{\"$lte\":150}}");
    NO("{\"data.total\":{\"$lte\":149.99}}");
    YES("{\"data.price\":{\"$gt\":19.49}}");
    YES("{\"data.neg\":{\"$lt\":-2}}");
    YES("{\"data.big\":{\"$gt\":1e299}}");
    /* strings compare bytewise */
    YES("{\"data.currency\":{\"$gt\":\"ABC\"}}");
    YES("{\"data.currency\":{\"$lt\":\"BRM\"}}");
    NO("{\"data.currency\":{\"$lt\":\"BR\"}}"); /* a prefix sorts first */
    YES("{\"data.currency\":{\"$gte\":\"BRL\",\"$lte\":\"BRL\"}}");
    YES("{\"occurredAt\":{\"$gte\":\"2023-11-14T22:13:20.123Z\"}}");
    NO("{\"occurredAt\":{\"$gt\":\"2023-11-14T22:13:20.123Z\"}}");
}

static void test_type_mismatches_are_false(void **state)
{
    (void)state;
    NO("{\"data.currency\":{\"$gt\":5}}"); /* a string against a number */
    NO("{\"data.currency\":{\"$lt\":5}}");
    NO("{\"data.total\":{\"$gt\":\"1\"}}"); /* a number against a string */
    NO("{\"data.total\":\"150\"}");
    NO("{\"data.vip\":1}");
    NO("{\"data.tags\":{\"$gt\":0}}");
    NO("{\"data.order\":{\"$lt\":\"z\"}}");
    NO("{\"data.total\":{\"$startsWith\":\"1\"}}");
    NO("{\"data.currency\":{\"$contains\":\"B\"}}"); /* $contains is for arrays */
    NO("{\"data.nothing\":{\"$gt\":0}}");
    NO("{\"data.nothing\":{\"$lt\":0}}");
    YES("{\"data.currency\":{\"$neq\":5}}");
}

static void test_in_nin_exist(void **state)
{
    (void)state;
    YES("{\"data.currency\":{\"$in\":[\"USD\",\"BRL\"]}}");
    NO("{\"data.currency\":{\"$in\":[\"USD\",\"EUR\"]}}");
    YES("{\"data.total\":{\"$in\":[1,150]}}");
    YES("{\"data.nothing\":{\"$in\":[null]}}");
    NO("{\"data.currency\":{\"$nin\":[\"USD\",\"BRL\"]}}");
    YES("{\"data.currency\":{\"$nin\":[\"USD\",\"EUR\"]}}");
    YES("{\"data.nothing\":{\"$nin\":[\"x\"]}}");
    YES("{\"data.total\":{\"$exist\":true}}");
    NO("{\"data.total\":{\"$exist\":false}}");
    YES("{\"data.nothing\":{\"$exist\":false}}");
    YES("{\"data.note\":{\"$exist\":false}}"); /* null is absent */
    YES("{\"data.gift\":{\"$exist\":true}}");  /* false is a value */
    YES("{\"data.order\":{\"$exist\":true}}");
    YES("{\"identifier\":{\"$exist\":false}}");
    YES("{\"source\":{\"$exist\":true}}");
}

static void test_strings(void **state)
{
    (void)state;
    YES("{\"data.order.id\":{\"$startsWith\":\"o-\"}}");
    NO("{\"data.order.id\":{\"$startsWith\":\"o-77\"}}");
    YES("{\"data.order.id\":{\"$endsWith\":\"-7\"}}");
    YES("{\"data.order.id\":{\"$endsWith\":\"o-7\"}}");
    NO("{\"data.order.id\":{\"$endsWith\":\"xo-7\"}}");
    YES("{\"data.order.id\":{\"$startsWith\":\"\"}}");
    /* escaped content compares decoded */
    YES("{\"data.esc\":\"tab\\there\"}");
    YES("{\"data.esc\":{\"$endsWith\":\"\\there\"}}");
    YES("{\"data.esc\":{\"$startsWith\":\"tab\\t\"}}");
    NO("{\"data.esc\":\"tab\\\\there\"}");
    YES("{\"data.order.customer.name\":\"Zoë \\\"Z\\\" Q\"}");
    YES("{\"data.order.customer.name\":{\"$startsWith\":\"Zo\\u00eb \\\"\"}}");
    YES("{\"data.order.customer.name\":{\"$endsWith\":\"\\\" Q\"}}");
    YES("{\"data.order.customer.name\":{\"$gt\":\"Zoa\"}}");
}

static void test_arrays(void **state)
{
    (void)state;
    YES("{\"data.tags\":{\"$contains\":\"b\"}}");
    YES("{\"data.tags\":{\"$contains\":3}}");
    YES("{\"data.tags\":{\"$contains\":null}}");
    YES("{\"data.tags\":{\"$contains\":true}}");
    NO("{\"data.tags\":{\"$contains\":\"c\"}}");
    NO("{\"data.tags\":{\"$contains\":false}}");
    YES("{\"data.tags.0\":\"a\"}");
    YES("{\"data.tags.2\":3}");
    YES("{\"data.tags.9\":{\"$exist\":false}}");
    YES("{\"data.items.1.sku\":\"Y-2\"}");
    YES("{\"data.items.0.qty\":{\"$gte\":2}}");
    NO("{\"data.items.sku\":\"X-1\"}"); /* no implicit traversal of arrays */
    YES("{\"products\":{\"$contains\":\"p1\"}}");
    NO("{\"products\":{\"$contains\":\"p2\"}}");
    YES("{\"ids\":{\"$contains\":\"1002\"}}");
    YES("{\"ids.1\":\"1002\"}");
    YES("{\"ids.2\":{\"$exist\":false}}");
    NO("{\"ids\":{\"$contains\":1001}}"); /* ids are strings */
    NO("{\"data.tags\":\"a\"}");          /* an array is not equal to a scalar */
}

static void test_event_fields(void **state)
{
    (void)state;
    YES("{\"type\":\"order.created\"}");
    YES("{\"type\":{\"$startsWith\":\"order.\"}}");
    YES("{\"id\":\"evt_1\",\"entity\":\"Order\",\"action\":\"create\",\"source\":\"MKT\"}");
    NO("{\"entity\":\"order\"}");
    YES("{\"identifier\":null}");
    YES("{\"attributes.account\":\"shop\"}");
    YES("{\"attributes.a.b\":\"dotted\"}"); /* the rest of the path is the attribute's name */
    YES("{\"attributes.missing\":{\"$exist\":false}}");
    YES("{\"attributes\":{\"$exist\":true}}");
    YES("{\"relations.COMPANY.name\":\"ACME\"}");
    YES("{\"relations.COMPANY.size\":{\"$gt\":10}}");
    YES("{\"relations.OTHER.name\":{\"$exist\":false}}");
    YES("{\"data.dup\":1}"); /* a repeated name: the first one */
    YES("{\"data.a\":{\"$exist\":false}}");
}

/* Small objects are scanned for a few lookups, then indexed; large ones are indexed at once:
 * the same answers either way, for the first of repeated names too. */
static void test_scanned_and_indexed_lookups(void **state)
{
    (void)state;
    char data[4096] = "{\"k\":0,\"k\":1,\"esc\\u0041\":\"x\"";
    for (int i = 0; i < 12; i++)
        sprintf(data + strlen(data), ",\"m%d\":%d", i, i);
    strcat(data, ",\"arr\":[0,1,2,3,4,5,6,7,8,9]}");
    char big[4096];
    snprintf(big, sizeof(big), "%.*s,\"pad\":\"%01200d\"}", (int)strlen(data) - 1, data, 0);
    const char *docs[] = {data, big};
    for (int d = 0; d < 2; d++) {
        wh_event *e;
        WH_ASSERT_OK(wh_event_new(&e, "x.y"));
        WH_ASSERT_OK(wh_event_set_data(e, docs[d], strlen(docs[d])));
        /* one filter with many paths into the same object and array */
        char flt[2048] = "{\"data.k\":0,\"data.escA\":\"x\",\"data.nope\":null";
        for (int i = 0; i < 12; i++)
            sprintf(flt + strlen(flt), ",\"data.m%d\":%d,\"data.arr.%d\":%s", i, i, i,
                    i < 10 ? (char[]){(char)('0' + i), 0} : "null");
        strcat(flt, "}");
        wh_filter *f;
        WH_ASSERT_OK(wh_filter_new(&f, flt, strlen(flt)));
        assert_int_equal(wh_filter_matches(f, e), 1);
        wh_filter_free(f);
        WH_ASSERT_OK(wh_filter_new(&f, "{\"data.k\":1}", 12));
        assert_int_equal(wh_filter_matches(f, e), 0); /* the first "k" */
        wh_filter_free(f);
        wh_event_free(e);
    }
}

static void test_logic(void **state)
{
    (void)state;
    YES("{\"data.total\":{\"$gte\":100},\"$or\":[{\"data.currency\":\"BRL\"},{\"data.currency\":"
        "\"USD\"}]}");
    NO("{\"data.total\":{\"$gte\":100},\"$or\":[{\"data.currency\":\"EUR\"},{\"data.currency\":"
       "\"USD\"}]}");
    YES("{\"$and\":[{\"data.total\":150},{\"data.vip\":true}]}");
    NO("{\"$and\":[{\"data.total\":150},{\"data.vip\":false}]}");
    YES("{\"$not\":{\"data.status\":\"refunded\"}}");
    NO("{\"$not\":{\"data.status\":\"paid\"}}");
    YES("{\"$not\":{\"data.status\":\"paid\",\"data.total\":1}}"); /* not (a and b) */
    YES("{\"$or\":[{},{\"data.total\":0}]}");
    YES("{\"$not\":{\"$or\":[{\"data.total\":0},{\"data.total\":1}]}}");
    YES("{\"$or\":[{\"$and\":[{\"data.vip\":true},{\"$not\":{\"data.gift\":true}}]}]}");
}

/* The filter does not compile; each needle is one detail. */
static void rejects(const char *json, int code, const char *const *needles)
{
    wh_filter *f = (wh_filter *)&f;
    int rc = wh_filter_new(&f, json, strlen(json));
    if (rc != code) fail_msg("%s: got %s, want %s", json, wh_error_name(rc), wh_error_name(code));
    assert_null(f);
    size_t n = 0;
    for (; needles[n]; n++)
        if (!wh_test_has_detail(needles[n]))
            fail_msg("%s: no detail with \"%s\" (message: %s, %zu details, first: %s)", json,
                     needles[n], wh_error_last_message(), wh_error_last_details_count(),
                     wh_error_last_detail(0) ? wh_error_last_detail(0) : "-");
    if (code == WH_EINVAL) assert_int_equal(wh_error_last_details_count(), n);
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_problems_name_their_path(void **state)
{
    (void)state;
    rejects("{\"data.total\":{\"$gtt\":1}}", WH_EINVAL,
            NEEDLES("filter.data.total.$gtt: unknown operator"));
    rejects("{\"data.total\":{\"$gte\":true},\"data.x\":{\"$in\":[]}}", WH_EINVAL,
            NEEDLES("filter.data.total.$gte: must be a number or a string",
                    "filter.data.x.$in: must be an array of 1..256"));
    rejects("{\"$or\":[{\"data.a\":1},{\"nope\":1}]}", WH_EINVAL,
            NEEDLES("filter.$or[1].nope: a path starts with"));
    rejects("{\"$or\":[]}", WH_EINVAL, NEEDLES("filter.$or: must be an array of 1..256 filters"));
    rejects("{\"$or\":{}}", WH_EINVAL, NEEDLES("filter.$or: must be an array"));
    rejects("{\"$and\":[1]}", WH_EINVAL, NEEDLES("filter.$and[0]: must be an object"));
    rejects("{\"$not\":[]}", WH_EINVAL, NEEDLES("filter.$not: must be an object"));
    rejects("{\"$gte\":1}", WH_EINVAL, NEEDLES("filter.$gte: only $and, $or and $not"));
    rejects("{\"data.order\":{\"id\":5}}", WH_EINVAL,
            NEEDLES("filter.data.order.id: expected an operator such as $eq; to reach a member, "
                    "use the dot path data.order.id"));
    rejects("{\"data.order\":{}}", WH_EINVAL,
            NEEDLES("filter.data.order: must hold at least one operator"));
    rejects("{\"data.tags\":[\"a\"]}", WH_EINVAL, NEEDLES("filter.data.tags: a list is not"));
    rejects("{\"data..x\":1,\"data.\":1,\".x\":1}", WH_EINVAL,
            NEEDLES("filter.data..x: a path must not have empty", "filter.data.: a path",
                    "filter..x: a path"));
    rejects("{\"type.x\":1}", WH_EINVAL, NEEDLES("filter.type.x: type is a string"));
    rejects("{\"products.x\":1}", WH_EINVAL, NEEDLES("filter.products.x: products is an array"));
    rejects("{\"attributes.a b\":1}", WH_EINVAL, NEEDLES("filter.attributes.a b: the attribute"));
    rejects("{\"data.x\":{\"$exist\":1},\"data.y\":{\"$startsWith\":1},\"data.z\":{\"$eq\":[1]}}",
            WH_EINVAL,
            NEEDLES("filter.data.x.$exist: must be true or false",
                    "filter.data.y.$startsWith: must be a string",
                    "filter.data.z.$eq: must be a string, number, boolean or null"));
    rejects("{\"data.x\":{\"$in\":[{}]}}", WH_EINVAL,
            NEEDLES("filter.data.x.$in: must hold only strings"));
    rejects("[]", WH_EINVAL, NEEDLES("filter: must be an object"));
    rejects("null", WH_EINVAL, NEEDLES("filter: must be an object"));
    /* not JSON at all: no details, the message says where */
    wh_filter *f;
    assert_int_equal(wh_filter_new(&f, "{\"a\":", 5), WH_EINVAL);
    assert_non_null(strstr(wh_error_last_message(), "filter: JSON"));
    assert_int_equal(wh_filter_new(NULL, "{}", 2), WH_EINVAL);
    assert_int_equal(wh_filter_new(&f, NULL, 0), WH_EINVAL);
    assert_int_equal(wh_filter_matches(NULL, g_ev), WH_EINVAL);
}

static void test_limits(void **state)
{
    (void)state;
    /* depth: 8 levels compile, 9 do not */
    char deep[128] = "", tail[16] = ""; /* 7 x 8 and 7 x 1 bytes */
    for (int i = 0; i < 7; i++) {
        strcat(deep, "{\"$not\":");
        strcat(tail, "}");
    }
    char ok[256];
    snprintf(ok, sizeof(ok), "%s{\"data.total\":150}%s", deep, tail);
    assert_int_equal(passes(ok), 0); /* seven nots of true */
    char bad[256];
    snprintf(bad, sizeof(bad), "{\"$not\":%s{\"data.total\":150}%s}", deep, tail);
    rejects(bad, WH_EINVAL, NEEDLES("filters nest deeper than 8 levels"));
    /* conditions: 64 compile, 65 do not */
    char many[8192] = "{";
    for (int i = 0; i < 65; i++) {
        char one[32];
        snprintf(one, sizeof(one), "%s\"data.k%d\":%d", i ? "," : "", i, i);
        strcat(many, one);
    }
    strcat(many, "}");
    rejects(many, WH_EINVAL, NEEDLES("filter: more than 64 conditions"));
    char *last = strrchr(many, ',');
    strcpy(last, "}");
    wh_filter *f;
    WH_ASSERT_OK(wh_filter_new(&f, many, strlen(many)));
    wh_filter_free(f);
    /* path length and segments */
    char path[400];
    snprintf(path, sizeof(path), "{\"data.%0260d\":1}", 0);
    rejects(path, WH_EINVAL, NEEDLES("a path must be 1..255 bytes"));
    rejects("{\"data.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p\":1}", WH_EINVAL,
            NEEDLES("a path must have at most 16 segments"));
    const char *fifteen = "{\"data.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o\":1}";
    WH_ASSERT_OK(wh_filter_new(&f, fifteen, strlen(fifteen)));
    wh_filter_free(f);
    /* $in lists: 256 values */
    char *in = malloc(4096);
    strcpy(in, "{\"data.total\":{\"$in\":[");
    for (int i = 0; i < 257; i++)
        sprintf(in + strlen(in), "%s%d", i ? "," : "", i);
    strcat(in, "]}}");
    rejects(in, WH_EINVAL, NEEDLES("filter.data.total.$in: must be an array of 1..256"));
    free(in);
    /* the text: WH_ETOOLARGE past 16 KiB (checked before parsing) */
    size_t n = WH_FILTER_MAX_LEN + 1;
    char *huge = malloc(n + 1);
    memset(huge, ' ', n);
    huge[0] = '{';
    huge[n - 1] = '}';
    huge[n] = '\0';
    assert_int_equal(wh_filter_new(&f, huge, n), WH_ETOOLARGE);
    free(huge);
    /* one filter reports at most 32 problems */
    char *bad_keys = malloc(8192);
    strcpy(bad_keys, "{");
    for (int i = 0; i < 50; i++)
        sprintf(bad_keys + strlen(bad_keys), "%s\"x%d\":1", i ? "," : "", i);
    strcat(bad_keys, "}");
    assert_int_equal(wh_filter_new(&f, bad_keys, strlen(bad_keys)), WH_EINVAL);
    assert_true(wh_error_last_details_count() <= 33);
    free(bad_keys);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    const char *src = "{ \"data.total\" : { \"$gte\" : 100 } }";
    wh_filter *f;
    WH_ASSERT_OK(wh_filter_new(&f, src, strlen(src)));
    assert_string_equal(wh_filter_json(f), "{\"data.total\":{\"$gte\":100}}");
    wh_filter_free(f);
    assert_null(wh_filter_json(NULL));
}

/* A subscription's filter: set, cleared, copied, in its JSON, and applied by the rules. */
static void test_subscription_filter(void **state)
{
    (void)state;
    wh_subscription *s;
    WH_ASSERT_OK(wh_subscription_new(&s));
    WH_ASSERT_OK(wh_subscription_set_url(s, "https://example.com/h"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "order.*"));
    assert_null(wh_subscription_filter(s));
    assert_int_equal(wh_subscription_matches(s, g_ev), 1);
    const char *flt = "{\"data.total\":{\"$gt\":1000}}";
    WH_ASSERT_OK(wh_subscription_set_filter(s, flt, strlen(flt)));
    assert_string_equal(wh_subscription_filter(s), flt);
    assert_int_equal(wh_subscription_matches(s, g_ev), 0);
    /* a bad filter leaves the old one */
    assert_int_equal(wh_subscription_set_filter(s, "{\"x\":1}", 7), WH_EINVAL);
    assert_string_equal(wh_subscription_filter(s), flt);
    wh_subscription *c;
    WH_ASSERT_OK(wh_subscription_clone(&c, s));
    assert_string_equal(wh_subscription_filter(c), flt);
    assert_int_equal(wh_subscription_matches(c, g_ev), 0);
    char *json;
    WH_ASSERT_OK(wh_subscription_to_json(c, 0, &json, NULL));
    assert_non_null(strstr(json, "\"filter\":{\"data.total\":{\"$gt\":1000}}"));
    wh_free(json);
    wh_subscription_free(c);
    /* null and {} remove it */
    WH_ASSERT_OK(wh_subscription_set_filter(s, " null ", 6));
    assert_null(wh_subscription_filter(s));
    WH_ASSERT_OK(wh_subscription_set_filter(s, flt, strlen(flt)));
    WH_ASSERT_OK(wh_subscription_set_filter(s, "{}", 2));
    assert_null(wh_subscription_filter(s));
    WH_ASSERT_OK(wh_subscription_set_filter(s, flt, strlen(flt)));
    WH_ASSERT_OK(wh_subscription_set_filter(s, NULL, 0));
    assert_null(wh_subscription_filter(s));
    WH_ASSERT_OK(wh_subscription_to_json(s, 0, &json, NULL));
    assert_non_null(strstr(json, "\"filter\":null"));
    wh_free(json);
    wh_subscription_free(s);
}

static void test_subscription_json_filter(void **state)
{
    (void)state;
    const char *ok = "{\"url\":\"https://example.com/h\",\"events\":[\"order.*\"],"
                     "\"filter\":{\"data.currency\":{\"$in\":[\"BRL\"]}}}";
    wh_subscription *s;
    WH_ASSERT_OK(wh_subscription_from_json(&s, ok, strlen(ok)));
    assert_string_equal(wh_subscription_filter(s), "{\"data.currency\":{\"$in\":[\"BRL\"]}}");
    assert_int_equal(wh_subscription_matches(s, g_ev), 1);
    /* patch: replace, then null clears */
    WH_ASSERT_OK(wh_subscription_patch_json(s, "{\"filter\":{\"data.vip\":false}}", 29));
    assert_int_equal(wh_subscription_matches(s, g_ev), 0);
    WH_ASSERT_OK(wh_subscription_patch_json(s, "{\"filter\":null}", 15));
    assert_null(wh_subscription_filter(s));
    /* a bad patch names every problem under "filter" and changes nothing */
    const char *bad = "{\"filter\":{\"data.a\":{\"$gt\":[]},\"$or\":[{\"zz\":1}]},\"name\":\"\"}";
    WH_ASSERT_OK(wh_subscription_patch_json(s, "{\"filter\":{\"data.vip\":true}}", 28));
    assert_int_equal(wh_subscription_patch_json(s, bad, strlen(bad)), WH_EINVAL);
    assert_true(wh_test_has_detail("filter.data.a.$gt: must be a number or a string"));
    assert_true(wh_test_has_detail("filter.$or[0].zz: a path starts with"));
    assert_true(wh_test_has_detail("name"));
    assert_string_equal(wh_subscription_filter(s), "{\"data.vip\":true}");
    assert_int_equal(wh_subscription_patch_json(s, "{\"filter\":5}", 12), WH_EINVAL);
    assert_true(wh_test_has_detail("filter must be an object or null"));
    wh_subscription_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality_and_plain_values),
        cmocka_unit_test(test_order_numbers_and_strings),
        cmocka_unit_test(test_type_mismatches_are_false),
        cmocka_unit_test(test_in_nin_exist),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_scanned_and_indexed_lookups),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_problems_name_their_path),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_subscription_filter),
        cmocka_unit_test(test_subscription_json_filter),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
