/*
 * The matcher's product numbers (match_products.c): a subscription filtering on one to three
 * products alone carries their numbers in its postings and is checked without its filter
 * block; others keep the block. Every match is compared with the linear scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_fixture.h"
#include "wh_test.h"
#include "hashmap.h"

/* The fixture's subscription on type, with the comma-separated products (and identifier when
 * not NULL). */
static wh_subscription *add_sub(wh_mf *f, const char *type, const char *products, const char *ident)
{
    wh_subscription *s = wh_mf_add(f, type, -1);
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", products);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, tok));
    if (ident) WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_IDENTIFIERS, ident));
    WH_ASSERT_OK(wh_matcher_update(f->m, s));
    return s;
}

/* Match type with the comma-separated products (wh_mf_check_event); the count. */
static size_t check(wh_mf *f, const char *type, const char *products)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, type));
    char buf[8192];
    snprintf(buf, sizeof(buf), "%s", products);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        WH_ASSERT_OK(wh_event_add_product(e, tok));
    size_t count = wh_mf_check_event(f, e);
    wh_event_free(e);
    return count;
}

/* The posting of s in the exact node of type. */
static whi_posting posting(const wh_mf *f, const char *type, const wh_subscription *s)
{
    const whi_mnode *n = wh_mf_exact(f->m, type);
    assert_non_null(n);
    plist l = whi_node_list(n, WHI_KEY_END);
    for (uint32_t i = 0; i < l.n; i++) {
        const whi_mfilter *flt = l.v[i].ref;
        if (l.v[i].ref == s || (l.v[i].tag & WHI_TAG_FILTERED && flt->sub == s)) return l.v[i];
    }
    fail_msg("no posting for %s", wh_subscription_id(s));
    return (whi_posting){0, NULL};
}

static void test_numbers_are_counted_and_reused(void **state)
{
    wh_mf *f = *state;
    whi_mproducts *d = &f->m->products;
    uint32_t a, b, c;
    WH_ASSERT_OK(whi_products_acquire(d, "apple", 5, &a));
    WH_ASSERT_OK(whi_products_acquire(d, "pear", 4, &b));
    WH_ASSERT_OK(whi_products_acquire(d, "apple", 5, &c));
    assert_int_equal(a, c);
    assert_int_not_equal(a, b);
    assert_true(a > 0 && b > 0);
    assert_int_equal(whi_products_find(d, "apple", 5, whi_hash_bytes("apple", 5)), a);
    assert_string_equal(whi_products_name(d, b), "pear");
    whi_products_release(d, a);
    assert_int_equal(whi_products_find(d, "apple", 5, whi_hash_bytes("apple", 5)), a);
    whi_products_release(d, a); /* the last count: the number is free again */
    assert_int_equal(whi_products_find(d, "apple", 5, whi_hash_bytes("apple", 5)), 0);
    assert_null(whi_products_name(d, a));
    WH_ASSERT_OK(whi_products_acquire(d, "plum", 4, &c));
    assert_int_equal(c, a);
    whi_products_release(d, b);
    whi_products_release(d, c);
    assert_int_equal(d->map.n, 0);
}

/* One to three products alone: their numbers inline, the subscription itself as the reference.
 * Four products, an identifier too, or numbers too wide for their count: the filter block. */
static void test_inline_forms_and_the_block(void **state)
{
    wh_mf *f = *state;
    wh_subscription *one = add_sub(f, "t.x", "p1", NULL);
    wh_subscription *two = add_sub(f, "t.x", "p2,p3", NULL);
    wh_subscription *three = add_sub(f, "t.x", "p1,p4,p5", NULL);
    wh_subscription *four = add_sub(f, "t.x", "p1,p2,p3,p6", NULL);
    wh_subscription *ident = add_sub(f, "t.x", "p1", "i1");
    assert_int_equal(WHI_TAG_MODE(posting(f, "t.x", one).tag), 1);
    assert_int_equal(WHI_TAG_MODE(posting(f, "t.x", two).tag), 2);
    assert_int_equal(WHI_TAG_MODE(posting(f, "t.x", three).tag), 3);
    assert_ptr_equal(posting(f, "t.x", three).ref, three);
    assert_true(posting(f, "t.x", four).tag & WHI_TAG_FILTERED);
    assert_true(posting(f, "t.x", ident).tag & WHI_TAG_FILTERED);
    assert_int_equal(check(f, "t.x", "p1"), 3);
    assert_int_equal(check(f, "t.x", "p3"), 2);
    assert_int_equal(check(f, "t.x", "p5,p9"), 1);
    assert_int_equal(check(f, "t.x", "p9"), 0);
    assert_int_equal(check(f, "t.x", ""), 0);
    /* Past 63 numbers, three products no longer fit; past 1023, two no longer do. */
    char buf[64];
    for (int i = 0; i < 1100; i++) {
        snprintf(buf, sizeof(buf), "q%d", i);
        add_sub(f, "u.v", buf, NULL);
    }
    wh_subscription *late3 = add_sub(f, "t.x", "q1099,q1,q2", NULL);
    wh_subscription *late2 = add_sub(f, "t.x", "q1099,q1", NULL);
    wh_subscription *late1 = add_sub(f, "t.x", "q1099", NULL);
    assert_true(posting(f, "t.x", late3).tag & WHI_TAG_FILTERED);
    assert_true(posting(f, "t.x", late2).tag & WHI_TAG_FILTERED);
    assert_int_equal(WHI_TAG_MODE(posting(f, "t.x", late1).tag), 1);
    assert_int_equal(check(f, "t.x", "q1099"), 3);
    assert_int_equal(check(f, "t.x", "q2,p2"), 3);
}

/* An event with more products than are numbered ahead (over 32) still matches exactly. */
static void test_event_with_many_products(void **state)
{
    wh_mf *f = *state;
    add_sub(f, "t.x", "p40", NULL);
    add_sub(f, "t.x", "p3,p41", NULL);
    add_sub(f, "t.x", "p99", NULL);
    add_sub(f, "t.*", "p7", NULL);
    char buf[1024] = "";
    for (int i = 0; i < 50; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof(buf) - len, "%sp%d", i ? "," : "", i);
    }
    assert_int_equal(check(f, "t.x", buf), 3);
}

/* Changing or removing subscriptions gives their numbers back; the postings follow. */
static void test_updates_and_removals_give_numbers_back(void **state)
{
    wh_mf *f = *state;
    wh_subscription *s = add_sub(f, "t.x", "a,b", NULL);
    add_sub(f, "t.x", "b", NULL);
    assert_int_equal(f->m->products.map.n, 2);
    WH_ASSERT_OK(wh_subscription_list_clear(s, WH_LIST_PRODUCTS));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, "c"));
    WH_ASSERT_OK(wh_matcher_update(f->m, s));
    assert_int_equal(f->m->products.map.n, 2); /* b and c */
    assert_int_equal(check(f, "t.x", "a"), 0);
    assert_int_equal(check(f, "t.x", "c"), 1);
    assert_int_equal(check(f, "t.x", "b,c"), 2);
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_IDENTIFIERS, "i1"));
    WH_ASSERT_OK(wh_matcher_update(f->m, s)); /* to the filter block */
    assert_true(posting(f, "t.x", s).tag & WHI_TAG_FILTERED);
    assert_int_equal(check(f, "t.x", "c"), 0);
    for (size_t i = 0; i < f->n; i++)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_int_equal(f->m->products.map.n, 0);
}

/* ---- allocation failures ---- */

/* A failed update keeps the numbers as they were (the matcher still holds the old object, so
 * the linear scan sees it too). */
static void test_failed_numbering_changes_nothing(void **state)
{
    wh_mf *f = *state;
    add_sub(f, "t.x", "a", NULL);
    wh_subscription *old = add_sub(f, "t.x", "b", NULL), *s;
    WH_ASSERT_OK(wh_subscription_clone(&s, old));
    WH_ASSERT_OK(wh_subscription_list_clear(s, WH_LIST_PRODUCTS));
    for (int i = 0; i < 3; i++) {
        char buf[8];
        snprintf(buf, sizeof(buf), "n%d", i);
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, buf));
    }
    int rc = WH_ENOMEM;
    for (long n = 0; rc == WH_ENOMEM; n++) {
        wh_test_alloc_begin(n);
        rc = wh_matcher_update(f->m, s);
        wh_test_alloc_end();
        if (rc != WH_ENOMEM) break;
        assert_int_equal(f->m->products.map.n, 2); /* a and b */
        assert_int_equal(check(f, "t.x", "b"), 1);
        assert_int_equal(check(f, "t.x", "n1"), 0);
    }
    WH_ASSERT_OK(rc);
    f->subs[f->n - 1] = s; /* the matcher holds s now: the fixture frees it */
    wh_subscription_free(old);
    assert_int_equal(f->m->products.map.n, 4);
    assert_int_equal(check(f, "t.x", "n1"), 1);
    assert_int_equal(check(f, "t.x", "b"), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, wh_mf_setup, wh_mf_teardown)
    const struct CMUnitTest tests[] = {
        T(test_numbers_are_counted_and_reused),   T(test_inline_forms_and_the_block),
        T(test_event_with_many_products),         T(test_updates_and_removals_give_numbers_back),
        T(test_failed_numbering_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
