/* wh_matcher: every matching rule, incremental changes, result order, and the index checked
 * against a linear scan on random data. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "match_fixture.h"
#include "wh_test.h"
#include "compiler.h"

/* ---- helpers ---- */

static wh_subscription *sub_new(const char *id)
{
    wh_subscription *s;
    WH_ASSERT_OK(wh_subscription_new(&s));
    WH_ASSERT_OK(wh_subscription_set_id(s, id));
    WH_ASSERT_OK(wh_subscription_set_url(s, "https://example.com/hook"));
    return s;
}

static wh_subscription *sub_events(const char *id, const char *p1, const char *p2)
{
    wh_subscription *s = sub_new(id);
    if (p1) WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, p1));
    if (p2) WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, p2));
    return s;
}

static wh_subscription *sub_entity(const char *id, const char *entity, const char *actions)
{
    wh_subscription *s = sub_new(id);
    WH_ASSERT_OK(wh_subscription_set_entity(s, entity));
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", actions ? actions : "");
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_ACTIONS, tok));
    return s;
}

static wh_event *ev_new(const char *type)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, type));
    return e;
}

static wh_event *ev_entity(const char *type, const char *entity, const char *action)
{
    wh_event *e = ev_new(type);
    WH_ASSERT_OK(wh_event_set_entity(e, entity));
    if (action) WH_ASSERT_OK(wh_event_set_action(e, action));
    return e;
}

/* The ids matched for ev, comma-joined in result order, into buf. */
static const char *matched(const wh_matcher *m, const wh_event *ev, char *buf, size_t n)
{
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    WH_ASSERT_OK(wh_matcher_match(m, ev, r));
    buf[0] = '\0';
    for (size_t i = 0; i < wh_match_result_count(r); i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? "," : "",
                 wh_subscription_id(wh_match_result_at(r, i)));
    }
    wh_match_result_free(r);
    return buf;
}

/* Assert the ids that ev reaches (indexed), and that the linear scan and the per-subscription
 * predicate agree. */
static void expect(const wh_matcher *m, const wh_event *ev, const char *want)
{
    char got[1024];
    matched(m, ev, got, sizeof(got));
    if (strcmp(got, want) != 0)
        print_error("event %s: got [%s], want [%s]\n", wh_event_type(ev), got, want);
    assert_string_equal(got, want);
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    WH_ASSERT_OK(whi_matcher_match_linear(m, ev, r));
    char lin[1024] = "";
    for (size_t i = 0; i < wh_match_result_count(r); i++) {
        const wh_subscription *s = wh_match_result_at(r, i);
        assert_int_equal(wh_subscription_matches(s, ev), 1);
        size_t len = strlen(lin);
        snprintf(lin + len, sizeof(lin) - len, "%s%s", i ? "," : "", wh_subscription_id(s));
    }
    assert_string_equal(lin, want);
    wh_match_result_free(r);
}

static void expect_type(const wh_matcher *m, const char *type, const char *want)
{
    wh_event *e = ev_new(type);
    expect(m, e, want);
    wh_event_free(e);
}

typedef struct fixture {
    wh_matcher *m;
    wh_subscription *subs[16];
    size_t n;
} fixture;

static wh_subscription *keep(fixture *f, wh_subscription *s)
{
    f->subs[f->n++] = s;
    WH_ASSERT_OK(wh_matcher_add(f->m, s));
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    WH_ASSERT_OK(wh_matcher_new(&f->m));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wh_matcher_free(f->m);
    for (size_t i = 0; i < f->n; i++)
        wh_subscription_free(f->subs[i]);
    free(f);
    return 0;
}

/* After the fixture's subscriptions are removed, every index structure is empty again. */
static void assert_index_empty(const wh_matcher *m)
{
    assert_int_equal(m->ids.n, 0);
    assert_int_equal(m->exact.n, 0);
    assert_int_equal(m->trie.n, 0);
    assert_int_equal(m->entity.n, 0);
    assert_int_equal(m->root->ndeep, 0);
    assert_int_equal(m->root->nlit, 0);
    assert_null(m->root->star);
    assert_int_equal(m->types->nkids, 0); /* the tree of exact types too */
    assert_int_equal(m->types->below, 0);
    assert_int_equal(m->presence.members, 0);
    assert_int_equal(m->products.map.n, 0); /* and the product numbers */
}

/* ---- patterns ---- */

static void test_pattern_function(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *type;
        int want;
    } cases[] = {
        {"order.created", "order.created", 1},
        {"order.created", "order.created.x", 0},
        {"order.created", "order", 0},
        {"WEBHOOK.CONVERTED", "webhook.converted", 0},
        {"WEBHOOK.CONVERTED", "WEBHOOK.CONVERTED", 1},
        {"order.*", "order.created", 1},
        {"order.*", "order", 0},
        {"order.*", "order.row.created", 0},
        {"order.*", "orders.created", 0},
        {"order.**", "order.created", 1},
        {"order.**", "order.row.created", 1},
        {"order.**", "order", 0},
        {"order.**", "orderx.created", 0},
        {"*", "anything", 1},
        {"*", "a.b.c", 1},
        {"**", "a.b.c", 1},
        {"*.created", "order.created", 1},
        {"*.created", "order.row.created", 0},
        {"order.*.created", "order.row.created", 1},
        {"order.*.created", "order.row.updated", 0},
        {"*.**", "a", 0},
        {"*.**", "a.b", 1},
        {"*.*", "a.b", 1},
        {"*.*", "a.b.c", 0},
        {"crm_deal_created", "crm_deal_created", 1},
    };
    for (size_t i = 0; i < WHI_ARRAY_LEN(cases); i++) {
        int got = wh_event_type_matches(cases[i].pattern, cases[i].type);
        if (got != cases[i].want) print_error("%s vs %s\n", cases[i].pattern, cases[i].type);
        assert_int_equal(got, cases[i].want);
    }
    assert_int_equal(wh_event_type_matches(NULL, "a"), 0);
    assert_int_equal(wh_event_type_matches("a", NULL), 0);
}

static void test_exact_types_are_case_sensitive(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("upper", "WEBHOOK.CONVERTED", NULL));
    keep(f, sub_events("lower", "webhook.converted", NULL));
    keep(f, sub_events("crm", "crm_deal_created", NULL));
    expect_type(f->m, "WEBHOOK.CONVERTED", "upper");
    expect_type(f->m, "webhook.converted", "lower");
    expect_type(f->m, "Webhook.Converted", "");
    expect_type(f->m, "crm_deal_created", "crm");
    expect_type(f->m, "crm_deal_created.x", "");
}

static void test_single_segment_wildcard(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("star", "order.*", NULL));
    expect_type(f->m, "order.created", "star");
    expect_type(f->m, "order.cancelled", "star");
    expect_type(f->m, "order", "");
    expect_type(f->m, "order.row.created", "");
    expect_type(f->m, "orders.created", "");
    expect_type(f->m, "Order.created", "");
}

static void test_deep_wildcard(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("deep", "order.**", NULL));
    expect_type(f->m, "order.created", "deep");
    expect_type(f->m, "order.row.created", "deep");
    expect_type(f->m, "order.row.x.y.z", "deep");
    expect_type(f->m, "order", "");
    expect_type(f->m, "orderx.created", "");
}

static void test_star_alone_matches_every_type(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("one", "*", NULL));
    keep(f, sub_events("two", "**", NULL));
    expect_type(f->m, "x", "one,two");
    expect_type(f->m, "order.row.created", "one,two");
    expect_type(f->m, "incoming_whatsapp_message", "one,two");
}

static void test_inner_wildcards(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("a", "*.created", NULL));
    keep(f, sub_events("b", "order.*.created", NULL));
    keep(f, sub_events("c", "*.*.created", NULL));
    keep(f, sub_events("d", "*.**", NULL));
    keep(f, sub_events("e", "order.*.**", NULL));
    expect_type(f->m, "order.created", "a,d");
    expect_type(f->m, "order.row.created", "b,c,d,e");
    expect_type(f->m, "order.row.updated", "d,e");
    expect_type(f->m, "order", "");
    expect_type(f->m, "x.y.z.created", "d");
}

/* ---- status ---- */

static void test_only_active_subscriptions_match(void **state)
{
    fixture *f = *state;
    wh_subscription *dis = sub_events("disabled", "a.b", NULL);
    WH_ASSERT_OK(wh_subscription_set_status(dis, WH_STATUS_DISABLED));
    wh_subscription *wait = sub_events("waiting", "a.b", NULL);
    WH_ASSERT_OK(wh_subscription_set_status(wait, WH_STATUS_WAITING_CONFIG));
    keep(f, dis);
    keep(f, wait);
    keep(f, sub_events("active", "a.b", NULL));
    expect_type(f->m, "a.b", "active");
    assert_int_equal(wh_matcher_count(f->m), 3);

    /* Re-activated: it matches again, in its original place. */
    WH_ASSERT_OK(wh_subscription_set_status(dis, WH_STATUS_ACTIVE));
    WH_ASSERT_OK(wh_matcher_update(f->m, dis));
    expect_type(f->m, "a.b", "disabled,active");
    WH_ASSERT_OK(wh_subscription_set_status(dis, WH_STATUS_DISABLED));
    WH_ASSERT_OK(wh_matcher_update(f->m, dis));
    expect_type(f->m, "a.b", "active");
}

/* ---- entity and actions ---- */

static void test_entity_and_actions(void **state)
{
    fixture *f = *state;
    keep(f, sub_entity("oc", "Order", "create,cancel"));
    keep(f, sub_entity("all", "Order", NULL));
    keep(f, sub_entity("prod", "Product", "create"));
    wh_event *e;
    const struct {
        const char *entity, *action, *want;
    } cases[] = {
        {"Order", "create", "oc,all"}, {"Order", "cancel", "oc,all"}, {"Order", "update", "all"},
        {"order", "create", ""},       {"Product", "create", "prod"}, {"Product", "delete", ""},
        {"Refund", "create", ""},      {"Order", "Create", "all"},
    };
    for (size_t i = 0; i < WHI_ARRAY_LEN(cases); i++) {
        e = ev_entity("commerce.event", cases[i].entity, cases[i].action);
        expect(f->m, e, cases[i].want);
        wh_event_free(e);
    }
    /* An event with an entity but no action reaches only "every action" subscriptions. */
    e = ev_entity("commerce.event", "Order", NULL);
    expect(f->m, e, "all");
    wh_event_free(e);
    /* An event without an entity reaches none of them. */
    expect_type(f->m, "commerce.event", "");
}

static void test_actions_without_entity_never_match(void **state)
{
    fixture *f = *state;
    wh_subscription *s = sub_new("noentity");
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_ACTIONS, "create"));
    keep(f, s);
    wh_event *e = ev_entity("x.y", "Order", "create");
    expect(f->m, e, "");
    wh_event_free(e);
}

/* Patterns and an entity narrow each other: an event must satisfy both (seed 002's
 * WEBHOOK.CONVERTED + CONTACT never receives crm_deal_created). */
static void test_patterns_and_entity_both_needed(void **state)
{
    fixture *f = *state;
    wh_subscription *s = sub_entity("both", "Order", "create");
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "order.created"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "order.*"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "order.**"));
    keep(f, s);
    wh_subscription *t = sub_entity("entity_only", "Order", "create");
    keep(f, t);
    wh_subscription *u = sub_entity("all_types", "Order", NULL);
    WH_ASSERT_OK(wh_subscription_list_add(u, WH_LIST_EVENTS, "**"));
    keep(f, u);
    /* Reached by three patterns and the entity/action: listed once. */
    wh_event *e = ev_entity("order.created", "Order", "create");
    expect(f->m, e, "both,entity_only,all_types");
    wh_event_free(e);
    /* The type alone is not enough, nor the entity alone. */
    expect_type(f->m, "order.created", "");
    e = ev_entity("shipment.sent", "Order", "create");
    expect(f->m, e, "entity_only,all_types");
    wh_event_free(e);
    /* The right entity with another action. */
    e = ev_entity("order.created", "Order", "cancel");
    expect(f->m, e, "all_types");
    wh_event_free(e);
    e = ev_entity("order.created", "Refund", "create");
    expect(f->m, e, "");
    wh_event_free(e);
}

/* ---- filters ---- */

static void test_product_filter(void **state)
{
    fixture *f = *state;
    wh_subscription *s = sub_events("prod", "purchase_approved", NULL);
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, "p1"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, "p2"));
    keep(f, s);
    keep(f, sub_events("any", "purchase_approved", NULL));
    wh_event *e = ev_new("purchase_approved");
    expect(f->m, e, "any"); /* no products: fails the filter */
    WH_ASSERT_OK(wh_event_add_product(e, "p9"));
    expect(f->m, e, "any");
    WH_ASSERT_OK(wh_event_add_product(e, "p2"));
    expect(f->m, e, "prod,any"); /* one of the event's products is listed */
    wh_event_free(e);
    /* An event with many products (more than the index hashes on the stack). */
    e = ev_new("purchase_approved");
    for (int i = 0; i < 40; i++) {
        char p[16];
        snprintf(p, sizeof(p), "q%d", i);
        WH_ASSERT_OK(wh_event_add_product(e, p));
    }
    expect(f->m, e, "any");
    WH_ASSERT_OK(wh_event_add_product(e, "p1"));
    expect(f->m, e, "prod,any");
    wh_event_free(e);
}

static void test_identifier_filter(void **state)
{
    fixture *f = *state;
    wh_subscription *s = sub_events("ident", "WEBHOOK.CONVERTED", NULL);
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_IDENTIFIERS, "form-1"));
    keep(f, s);
    wh_event *e = ev_new("WEBHOOK.CONVERTED");
    expect(f->m, e, "");
    WH_ASSERT_OK(wh_event_set_identifier(e, "form-2"));
    expect(f->m, e, "");
    WH_ASSERT_OK(wh_event_set_identifier(e, "form-1"));
    expect(f->m, e, "ident");
    wh_event_free(e);
}

static void test_source_filter_and_all_filters(void **state)
{
    fixture *f = *state;
    wh_subscription *s = sub_events("src", "crm_deal_created", NULL);
    WH_ASSERT_OK(wh_subscription_set_source(s, "CRM"));
    keep(f, s);
    wh_subscription *all = sub_events("allf", "crm_deal_created", NULL);
    WH_ASSERT_OK(wh_subscription_set_source(all, "CRM"));
    WH_ASSERT_OK(wh_subscription_list_add(all, WH_LIST_PRODUCTS, "p1"));
    WH_ASSERT_OK(wh_subscription_list_add(all, WH_LIST_IDENTIFIERS, "i1"));
    keep(f, all);
    wh_event *e = ev_new("crm_deal_created");
    expect(f->m, e, "");
    WH_ASSERT_OK(wh_event_set_source(e, "MKT"));
    expect(f->m, e, "");
    WH_ASSERT_OK(wh_event_set_source(e, "crm"));
    expect(f->m, e, ""); /* case-sensitive */
    WH_ASSERT_OK(wh_event_set_source(e, "CRM"));
    expect(f->m, e, "src");
    WH_ASSERT_OK(wh_event_add_product(e, "p1"));
    expect(f->m, e, "src");
    WH_ASSERT_OK(wh_event_set_identifier(e, "i1"));
    expect(f->m, e, "src,allf");
    wh_event_free(e);
}

#define SET_DATA(e, lit) WH_ASSERT_OK(wh_event_set_data(e, lit, sizeof(lit) - 1))

/* A payload filter is checked after the index's own filters, once per subscription even when
 * two lists reach it, and a change of filter is an update. */
static void test_payload_filter(void **state)
{
    fixture *f = *state;
    wh_subscription *both = sub_events("both", "order.created", "order.*");
    WH_ASSERT_OK(wh_subscription_set_entity(both, "Order"));
    const char *big = "{\"data.total\":{\"$gte\":100}}";
    WH_ASSERT_OK(wh_subscription_set_filter(both, big, strlen(big)));
    keep(f, both);
    keep(f, sub_events("plain", "order.created", NULL));
    wh_subscription *prod = sub_events("prod", "order.created", NULL);
    WH_ASSERT_OK(wh_subscription_list_add(prod, WH_LIST_PRODUCTS, "p1"));
    const char *brl = "{\"data.currency\":\"BRL\"}";
    WH_ASSERT_OK(wh_subscription_set_filter(prod, brl, strlen(brl)));
    keep(f, prod);
    wh_event *e = ev_entity("order.created", "Order", "create");
    expect(f->m, e, "plain"); /* no data: both filters fail */
    SET_DATA(e, "{\"total\":100,\"currency\":\"BRL\"}");
    expect(f->m, e, "both,plain"); /* prod also needs its product */
    WH_ASSERT_OK(wh_event_add_product(e, "p1"));
    expect(f->m, e, "both,plain,prod");
    SET_DATA(e, "{\"total\":99,\"currency\":\"BRL\"}");
    expect(f->m, e, "plain,prod");
    /* a new filter takes effect with an update */
    const char *small = "{\"data.total\":{\"$lt\":100}}";
    WH_ASSERT_OK(wh_subscription_set_filter(both, small, strlen(small)));
    WH_ASSERT_OK(wh_matcher_update(f->m, both));
    expect(f->m, e, "both,plain,prod");
    WH_ASSERT_OK(wh_subscription_set_filter(both, NULL, 0));
    WH_ASSERT_OK(wh_matcher_update(f->m, both));
    SET_DATA(e, "{}");
    expect(f->m, e, "both,plain");
    /* evaluating a payload filter may run out of memory: reported, the result left empty */
    WH_ASSERT_OK(wh_subscription_set_filter(both, big, strlen(big)));
    WH_ASSERT_OK(wh_matcher_update(f->m, both));
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    int rc = WH_ENOMEM;
    for (long n = 0; rc == WH_ENOMEM; n++) {
        wh_test_alloc_begin(n);
        rc = wh_matcher_match(f->m, e, r);
        wh_test_alloc_end();
        if (rc == WH_ENOMEM) assert_int_equal(wh_match_result_count(r), 0);
        assert_true(n < 100);
    }
    WH_ASSERT_OK(rc);
    assert_int_equal(wh_match_result_count(r), 1);
    /* once warm, matching with payload filters allocates nothing */
    SET_DATA(e, "{\"total\":100,\"currency\":\"BRL\"}");
    WH_ASSERT_OK(wh_matcher_match(f->m, e, r));
    wh_test_alloc_begin(-1);
    for (int i = 0; i < 100; i++)
        WH_ASSERT_OK(wh_matcher_match(f->m, e, r));
    wh_test_alloc_end();
    assert_int_equal(wh_test_allocs, 0);
    assert_int_equal(wh_match_result_count(r), 3);
    wh_match_result_free(r);
    wh_event_free(e);
}

/* ---- changes and order ---- */

static void test_order_update_and_remove(void **state)
{
    fixture *f = *state;
    wh_subscription *a = keep(f, sub_events("a", "x.y", NULL));
    keep(f, sub_events("b", "x.*", NULL));
    wh_subscription *c = keep(f, sub_events("c", "x.**", NULL));
    expect_type(f->m, "x.y", "a,b,c");

    /* The caller changes a's patterns, then tells the matcher: a keeps its place. */
    WH_ASSERT_OK(wh_subscription_list_clear(a, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(a, WH_LIST_EVENTS, "x.z"));
    WH_ASSERT_OK(wh_matcher_update(f->m, a));
    expect_type(f->m, "x.y", "b,c");
    expect_type(f->m, "x.z", "a,b,c");

    /* Removal: c is gone; adding it again puts it last. */
    WH_ASSERT_OK(wh_matcher_remove(f->m, "c"));
    assert_null(wh_matcher_get(f->m, "c"));
    expect_type(f->m, "x.z", "a,b");
    WH_ASSERT_OK(wh_matcher_add(f->m, c));
    WH_ASSERT_OK(wh_matcher_remove(f->m, "a"));
    WH_ASSERT_OK(wh_matcher_add(f->m, a));
    expect_type(f->m, "x.z", "b,c,a");
    assert_ptr_equal(wh_matcher_get(f->m, "a"), a);
    assert_int_equal(wh_matcher_count(f->m), 3);
}

static void test_update_swaps_the_borrowed_pointer(void **state)
{
    fixture *f = *state;
    wh_subscription *a = keep(f, sub_events("a", "x.y", NULL));
    keep(f, sub_events("b", "x.y", NULL));
    wh_subscription *copy;
    WH_ASSERT_OK(wh_subscription_clone(&copy, a));
    WH_ASSERT_OK(wh_subscription_list_add(copy, WH_LIST_EVENTS, "q.*"));
    WH_ASSERT_OK(wh_matcher_update(f->m, copy));
    assert_ptr_equal(wh_matcher_get(f->m, "a"), copy);
    f->subs[0] = copy; /* the old one is no longer read: free it now */
    wh_subscription_free(a);
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    wh_event *e = ev_new("x.y");
    WH_ASSERT_OK(wh_matcher_match(f->m, e, r));
    assert_int_equal(wh_match_result_count(r), 2);
    assert_ptr_equal(wh_match_result_at(r, 0), copy);
    assert_null(wh_match_result_at(r, 2));
    wh_event_free(e);
    wh_match_result_free(r);
    expect_type(f->m, "q.r", "a");
}

static void test_errors(void **state)
{
    fixture *f = *state;
    wh_subscription *a = keep(f, sub_events("a", "x.y", NULL));
    assert_int_equal(wh_matcher_add(f->m, a), WH_ECONFLICT);
    assert_non_null(strstr(wh_error_last_message(), "already"));
    wh_subscription *other = sub_events("a", "z", NULL); /* another object, same id */
    assert_int_equal(wh_matcher_add(f->m, other), WH_ECONFLICT);
    wh_subscription_free(other);
    assert_int_equal(wh_matcher_remove(f->m, "nope"), WH_ENOTFOUND);
    wh_subscription *ghost = sub_events("ghost", "x.y", NULL);
    assert_int_equal(wh_matcher_update(f->m, ghost), WH_ENOTFOUND);
    wh_subscription_free(ghost);
    assert_int_equal(wh_matcher_add(NULL, a), WH_EINVAL);
    assert_int_equal(wh_matcher_add(f->m, NULL), WH_EINVAL);
    assert_int_equal(wh_matcher_update(f->m, NULL), WH_EINVAL);
    assert_int_equal(wh_matcher_remove(f->m, NULL), WH_EINVAL);
    assert_int_equal(wh_matcher_new(NULL), WH_EINVAL);
    assert_int_equal(wh_match_result_new(NULL), WH_EINVAL);
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    wh_event *e = ev_new("x.y");
    assert_int_equal(wh_matcher_match(NULL, e, r), WH_EINVAL);
    assert_int_equal(wh_matcher_match(f->m, NULL, r), WH_EINVAL);
    assert_int_equal(wh_matcher_match(f->m, e, NULL), WH_EINVAL);
    assert_int_equal(wh_match_result_count(NULL), 0);
    assert_null(wh_match_result_at(NULL, 0));
    assert_int_equal(wh_matcher_count(NULL), 0);
    assert_null(wh_matcher_get(f->m, NULL));
    assert_int_equal(wh_subscription_matches(NULL, e), 0);
    assert_int_equal(wh_subscription_matches(a, NULL), 0);
    wh_matcher_free(NULL);
    wh_match_result_free(NULL);
    wh_event_free(e);
    wh_match_result_free(r);
}

static void test_result_is_replaced_and_reused(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("a", "x.y", NULL));
    keep(f, sub_events("b", "x.*", NULL));
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    wh_event *e1 = ev_new("x.y"), *e2 = ev_new("x.q"), *e3 = ev_new("nothing");
    WH_ASSERT_OK(wh_matcher_match(f->m, e1, r));
    assert_int_equal(wh_match_result_count(r), 2);
    WH_ASSERT_OK(wh_matcher_match(f->m, e2, r));
    assert_int_equal(wh_match_result_count(r), 1);
    assert_string_equal(wh_subscription_id(wh_match_result_at(r, 0)), "b");
    WH_ASSERT_OK(wh_matcher_match(f->m, e3, r));
    assert_int_equal(wh_match_result_count(r), 0);
    wh_event_free(e1);
    wh_event_free(e2);
    wh_event_free(e3);
    wh_match_result_free(r);
}

static void test_removing_everything_empties_the_index(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("a", "x.y.z", "a.*.c.**"));
    keep(f, sub_events("b", "*.y.*", "x.**"));
    keep(f, sub_events("c", "*", "x.y.*"));
    keep(f, sub_entity("d", "Order", "create,cancel"));
    keep(f, sub_entity("e", "Order", NULL));
    assert_true(f->m->trie.n > 0);
    for (size_t i = 0; i < f->n; i++)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_index_empty(f->m);
    /* And the same through updates to "listens to nothing". */
    for (size_t i = 0; i < f->n; i++)
        WH_ASSERT_OK(wh_matcher_add(f->m, f->subs[i]));
    for (size_t i = 0; i < f->n; i++) {
        WH_ASSERT_OK(wh_subscription_set_status(f->subs[i], WH_STATUS_DISABLED));
        WH_ASSERT_OK(wh_matcher_update(f->m, f->subs[i]));
    }
    assert_int_equal(f->m->exact.n + f->m->trie.n + f->m->entity.n, 0);
    expect_type(f->m, "x.y.z", "");
}

/* ---- randomized: the index agrees with the linear scan ---- */

static uint64_t g_rng = 0x243F6A8885A308D3ULL;
static unsigned rnd(unsigned n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % n);
}

static const char *const SEGS[] = {"a", "b", "c", "order"};

static void random_type(char *buf, size_t n, bool wild)
{
    unsigned depth = 1 + rnd(4);
    buf[0] = '\0';
    for (unsigned i = 0; i < depth; i++) {
        const char *seg = SEGS[rnd(4)];
        if (wild && rnd(4) == 0) seg = "*";
        if (wild && i == depth - 1 && rnd(4) == 0) seg = "**";
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? "." : "", seg);
    }
}

static void randomize_sub(wh_subscription *s)
{
    static const char *const ENT[] = {"Order", "Product"};
    static const char *const ACT[] = {"create", "update", "cancel"};
    char buf[128];
    wh_subscription_list_clear(s, WH_LIST_EVENTS);
    wh_subscription_list_clear(s, WH_LIST_ACTIONS);
    wh_subscription_list_clear(s, WH_LIST_PRODUCTS);
    wh_subscription_list_clear(s, WH_LIST_IDENTIFIERS);
    unsigned np = rnd(3);
    for (unsigned i = 0; i < np; i++) {
        random_type(buf, sizeof(buf), true);
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, buf));
    }
    WH_ASSERT_OK(wh_subscription_set_entity(s, rnd(3) == 0 ? ENT[rnd(2)] : NULL));
    for (unsigned i = rnd(3); i > 0; i--)
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_ACTIONS, ACT[rnd(3)]));
    static const char *const PRODUCTS[] = {"p1", "p2", "p3", "p4", "p5"};
    if (rnd(3) == 0) /* one to four products: inline numbers or the filter block */
        for (unsigned k = 1 + rnd(4); k > 0; k--)
            WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, PRODUCTS[rnd(5)]));
    if (rnd(6) == 0) WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_IDENTIFIERS, "i1"));
    WH_ASSERT_OK(wh_subscription_set_source(s, rnd(6) == 0 ? "CRM" : NULL));
    WH_ASSERT_OK(
        wh_subscription_set_status(s, rnd(8) == 0 ? WH_STATUS_DISABLED : WH_STATUS_ACTIVE));
    static const char *const FILTERS[] = {
        "{\"data.total\":{\"$gte\":100}}",
        "{\"data.currency\":{\"$in\":[\"BRL\",\"USD\"]},\"data.total\":{\"$lt\":500}}",
        "{\"$or\":[{\"data.vip\":true},{\"attributes.account\":\"shop\"}]}",
        "{\"$not\":{\"data.currency\":\"EUR\"}}",
    };
    const char *flt = rnd(3) == 0 ? FILTERS[rnd(4)] : NULL;
    WH_ASSERT_OK(wh_subscription_set_filter(s, flt, flt ? strlen(flt) : 0));
}

static wh_event *random_event(void)
{
    char buf[128];
    random_type(buf, sizeof(buf), false);
    wh_event *e = ev_new(buf);
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_entity(e, rnd(2) ? "Order" : "Product"));
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_action(e, rnd(2) ? "create" : "cancel"));
    static const char *const PRODUCTS[] = {"p1", "p3", "p5", "p6"};
    for (unsigned k = rnd(3); k > 0; k--)
        WH_ASSERT_OK(wh_event_add_product(e, PRODUCTS[rnd(4)]));
    if (rnd(3) == 0) WH_ASSERT_OK(wh_event_set_identifier(e, "i1"));
    if (rnd(3) == 0) WH_ASSERT_OK(wh_event_set_source(e, "CRM"));
    static const char *const DATA[] = {"{\"total\":50,\"currency\":\"BRL\"}",
                                       "{\"total\":150,\"currency\":\"USD\",\"vip\":true}",
                                       "{\"total\":900,\"currency\":\"EUR\"}", "[1,2]", "null"};
    const char *data = DATA[rnd(5)];
    WH_ASSERT_OK(wh_event_set_data(e, data, strlen(data)));
    if (rnd(2)) WH_ASSERT_OK(wh_event_set_attribute(e, "account", rnd(2) ? "shop" : "other"));
    return e;
}

static void assert_same_results(const wh_matcher *m, wh_match_result *a, wh_match_result *b,
                                const wh_event *e)
{
    WH_ASSERT_OK(wh_matcher_match(m, e, a));
    WH_ASSERT_OK(whi_matcher_match_linear(m, e, b));
    assert_int_equal(wh_match_result_count(a), wh_match_result_count(b));
    for (size_t i = 0; i < wh_match_result_count(a); i++)
        assert_ptr_equal(wh_match_result_at(a, i), wh_match_result_at(b, i));
}

/* Random subscriptions, changed as events are matched; m->mat_budget is the most wildcard
 * copies an exact node takes (0: only types no wildcard reaches are materialized), so small
 * budgets make nodes drop and take their copies again all the time. */
static void agree_with_linear_scan(uint32_t budget)
{
    enum { NSUB = 300, ROUNDS = 40, EVENTS = 200 };
    wh_matcher *m;
    WH_ASSERT_OK(wh_matcher_new(&m));
    m->mat_budget = budget;
    wh_subscription *subs[NSUB];
    bool in[NSUB];
    for (int i = 0; i < NSUB; i++) {
        char id[16];
        snprintf(id, sizeof(id), "s%d", i);
        subs[i] = sub_new(id);
        randomize_sub(subs[i]);
        WH_ASSERT_OK(wh_matcher_add(m, subs[i]));
        in[i] = true;
    }
    wh_match_result *a, *b;
    WH_ASSERT_OK(wh_match_result_new(&a));
    WH_ASSERT_OK(wh_match_result_new(&b));
    size_t total = 0, mat = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < EVENTS; k++) {
            wh_event *e = random_event();
            assert_same_results(m, a, b, e);
            total += wh_match_result_count(a);
            wh_event_free(e);
        }
        /* Change a tenth of the subscriptions: update, remove or re-add. */
        for (int k = 0; k < NSUB / 10; k++) {
            int i = (int)rnd(NSUB);
            if (in[i] && rnd(3) == 0) {
                WH_ASSERT_OK(wh_matcher_remove(m, wh_subscription_id(subs[i])));
                in[i] = false;
            } else {
                randomize_sub(subs[i]);
                WH_ASSERT_OK(in[i] ? wh_matcher_update(m, subs[i]) : wh_matcher_add(m, subs[i]));
                in[i] = true;
            }
        }
        mat += wh_mf_assert_mat(m);
    }
    assert_true(total > 1000); /* the random data does reach subscriptions */
    assert_true(mat > 0);      /* and some exact types were materialized */
    for (int i = 0; i < NSUB; i++) {
        if (in[i]) WH_ASSERT_OK(wh_matcher_remove(m, wh_subscription_id(subs[i])));
        wh_subscription_free(subs[i]);
    }
    assert_index_empty(m);
    wh_match_result_free(a);
    wh_match_result_free(b);
    wh_matcher_free(m);
}

static void test_index_agrees_with_linear_scan(void **state)
{
    (void)state;
    static const uint32_t budgets[] = {WHI_MAT_BUDGET, 0, 1, 3};
    for (size_t i = 0; i < WHI_ARRAY_LEN(budgets); i++)
        agree_with_linear_scan(budgets[i]);
}

/* ---- allocation: failures roll back; steady-state matching allocates nothing ---- */

static void test_out_of_memory_leaves_matcher_unchanged(void **state)
{
    (void)state;
    wh_matcher *m;
    WH_ASSERT_OK(wh_matcher_new(&m));
    wh_subscription *base = sub_events("base", "a.*", "a.b.**");
    WH_ASSERT_OK(wh_matcher_add(m, base));
    wh_subscription *s = sub_entity("s", "Order", "create,cancel");
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "x.*.z"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "a.b.c"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "q.**"));
    wh_event *e1 = ev_entity("a.b.c", "Order", "create");
    wh_event *e2 = ev_entity("x.y.z", "Order", "cancel");
    char before1[256], before2[256], now[256];
    matched(m, e1, before1, sizeof(before1));
    matched(m, e2, before2, sizeof(before2));

    /* Fail the n-th allocation of an add, for every n until it succeeds. */
    int rc = WH_ENOMEM;
    for (long n = 0; rc == WH_ENOMEM; n++) {
        wh_test_alloc_begin(n);
        rc = wh_matcher_add(m, s);
        wh_test_alloc_end();
        if (rc == WH_ENOMEM) {
            assert_string_equal(matched(m, e1, now, sizeof(now)), before1);
            assert_string_equal(matched(m, e2, now, sizeof(now)), before2);
            assert_int_equal(wh_matcher_count(m), 1);
        }
    }
    WH_ASSERT_OK(rc);
    assert_string_equal(matched(m, e1, now, sizeof(now)), "base,s");
    assert_string_equal(matched(m, e2, now, sizeof(now)), "s");

    /* Same for an update that moves s to other keys. */
    WH_ASSERT_OK(wh_subscription_list_clear(s, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "n.e.w"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "x.*.z"));
    WH_ASSERT_OK(wh_subscription_set_entity(s, "Refund"));
    wh_event *e3 = ev_entity("n.e.w", "Refund", "create");
    rc = WH_ENOMEM;
    for (long n = 0; rc == WH_ENOMEM; n++) {
        wh_test_alloc_begin(n);
        rc = wh_matcher_update(m, s);
        wh_test_alloc_end();
        if (rc == WH_ENOMEM) {
            /* Old keys still work (the index holds its own copies of them). */
            assert_string_equal(matched(m, e1, now, sizeof(now)), "base,s");
            assert_string_equal(matched(m, e3, now, sizeof(now)), "");
        }
    }
    WH_ASSERT_OK(rc);
    assert_string_equal(matched(m, e1, now, sizeof(now)), "base");
    assert_string_equal(matched(m, e2, now, sizeof(now)), ""); /* now Refund, not Order */
    assert_string_equal(matched(m, e3, now, sizeof(now)), "s");

    /* A result that cannot grow reports WH_ENOMEM and is left empty. */
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    wh_test_alloc_begin(0);
    rc = wh_matcher_match(m, e1, r);
    wh_test_alloc_end();
    assert_int_equal(rc, WH_ENOMEM);
    assert_int_equal(wh_match_result_count(r), 0);
    wh_match_result_free(r);

    wh_event_free(e1);
    wh_event_free(e2);
    wh_event_free(e3);
    WH_ASSERT_OK(wh_matcher_remove(m, "s"));
    WH_ASSERT_OK(wh_matcher_remove(m, "base"));
    assert_index_empty(m);
    wh_matcher_free(m);
    wh_subscription_free(s);
    wh_subscription_free(base);
}

static void test_steady_state_matching_does_not_allocate(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("a", "x.y", "x.*"));
    keep(f, sub_events("b", "x.**", NULL));
    keep(f, sub_entity("c", "Order", "create"));
    wh_event *e = ev_entity("x.y", "Order", "create");
    wh_match_result *r;
    WH_ASSERT_OK(wh_match_result_new(&r));
    WH_ASSERT_OK(wh_matcher_match(f->m, e, r)); /* warms the result's capacity */
    wh_test_alloc_begin(-1);
    for (int i = 0; i < 1000; i++)
        wh_matcher_match(f->m, e, r);
    wh_test_alloc_end();
    assert_int_equal(wh_test_allocs, 0);
    assert_int_equal(wh_match_result_count(r), 3);
    wh_match_result_free(r);
    wh_event_free(e);
}

/* ---- many readers at once ---- */

typedef struct reader {
    const wh_matcher *m;
    const wh_event *ev;
    size_t want;
    int bad;
} reader;

static void *read_loop(void *arg)
{
    reader *rd = arg;
    wh_match_result *r;
    if (wh_match_result_new(&r) != WH_OK) {
        rd->bad = 1;
        return NULL;
    }
    for (int i = 0; i < 20000; i++)
        if (wh_matcher_match(rd->m, rd->ev, r) != WH_OK || wh_match_result_count(r) != rd->want)
            rd->bad++;
    wh_match_result_free(r);
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    fixture *f = *state;
    keep(f, sub_events("a", "x.y", "x.*"));
    keep(f, sub_events("b", "x.**", NULL));
    keep(f, sub_entity("c", "Order", NULL));
    wh_event *e = ev_entity("x.y", "Order", "create");
    reader rd[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (reader){f->m, e, 3, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_loop, &rd[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(rd[i].bad, 0);
    }
    wh_event_free(e);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_function),
        T(test_exact_types_are_case_sensitive),
        T(test_single_segment_wildcard),
        T(test_deep_wildcard),
        T(test_star_alone_matches_every_type),
        T(test_inner_wildcards),
        T(test_only_active_subscriptions_match),
        T(test_entity_and_actions),
        T(test_actions_without_entity_never_match),
        T(test_patterns_and_entity_both_needed),
        T(test_product_filter),
        T(test_identifier_filter),
        T(test_source_filter_and_all_filters),
        T(test_payload_filter),
        T(test_order_update_and_remove),
        T(test_update_swaps_the_borrowed_pointer),
        T(test_errors),
        T(test_result_is_replaced_and_reused),
        T(test_removing_everything_empties_the_index),
        cmocka_unit_test(test_index_agrees_with_linear_scan),
        cmocka_unit_test(test_out_of_memory_leaves_matcher_unchanged),
        T(test_steady_state_matching_does_not_allocate),
        T(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
