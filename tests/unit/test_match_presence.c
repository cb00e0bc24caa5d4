/* The matcher's presence filter over the trie (whi_mpresence): kept exact through adds, updates
 * and removals, grown as the trie grows, and the trie walk used when it cannot serve. Every
 * check compares the index with the linear scan. */
#include <stdio.h>
#include <stdlib.h>

#include "match_impl.h"
#include "wh_test.h"

#define MAXSUBS 4000

typedef struct fixture {
    wh_matcher *m;
    wh_match_result *a, *b;
    wh_subscription *subs[MAXSUBS];
    size_t n;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    WH_ASSERT_OK(wh_matcher_new(&f->m));
    WH_ASSERT_OK(wh_match_result_new(&f->a));
    WH_ASSERT_OK(wh_match_result_new(&f->b));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wh_matcher_free(f->m);
    for (size_t i = 0; i < f->n; i++)
        wh_subscription_free(f->subs[i]);
    wh_match_result_free(f->a);
    wh_match_result_free(f->b);
    free(f);
    return 0;
}

/* Add a subscription listening to one pattern; returns it. */
static wh_subscription *add(fixture *f, const char *pattern)
{
    assert_true(f->n < MAXSUBS);
    wh_subscription *s;
    char id[32];
    snprintf(id, sizeof(id), "s%zu", f->n);
    WH_ASSERT_OK(wh_subscription_new(&s));
    WH_ASSERT_OK(wh_subscription_set_id(s, id));
    WH_ASSERT_OK(wh_subscription_set_url(s, "https://example.com/hook"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, pattern));
    WH_ASSERT_OK(wh_matcher_add(f->m, s));
    f->subs[f->n++] = s;
    return s;
}

/* Match type through the index and the linear scan: same subscriptions, same order. Returns
 * the count. */
static size_t check(fixture *f, const char *type)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, type));
    WH_ASSERT_OK(wh_matcher_match(f->m, e, f->a));
    WH_ASSERT_OK(whi_matcher_match_linear(f->m, e, f->b));
    assert_int_equal(wh_match_result_count(f->a), wh_match_result_count(f->b));
    for (size_t i = 0; i < wh_match_result_count(f->a); i++)
        assert_ptr_equal(wh_match_result_at(f->a, i), wh_match_result_at(f->b, i));
    wh_event_free(e);
    return wh_match_result_count(f->a);
}

/* The filter's counts equal a recount of the trie, and each bit is set exactly when its count
 * is not zero. */
static void assert_presence_consistent(const wh_matcher *m)
{
    const whi_mpresence *p = &m->presence;
    assert_non_null(p->bits);
    size_t members = 0;
    for (size_t i = 0; i < m->trie.cap; i++) {
        const whi_mnode *n = m->trie.slots[i].node;
        if (!n) continue;
        uint64_t h = whi_path_hash(n->key, n->keylen);
        members += 1 + (n->nend > 0) + (n->ndeep > 0);
        assert_true(whi_presence_test(p, h, WHI_PRES_NODE));
        if (n->nend) assert_true(whi_presence_test(p, h, WHI_PRES_END));
        if (n->ndeep) assert_true(whi_presence_test(p, h, WHI_PRES_DEEP));
    }
    assert_int_equal(p->members, members);
    size_t counted = 0;
    for (size_t i = 0; i < p->nbits; i++) {
        counted += p->counts[i];
        assert_int_equal(p->bits[i / 64] >> (i % 64) & 1, p->counts[i] != 0);
    }
    assert_int_equal(counted, members);
}

static void test_path_hash_composes_segment_by_segment(void **state)
{
    (void)state;
    uint64_t h = whi_path_hash_step(WHI_PATH_SEED, whi_hash_bytes("a", 1));
    h = whi_path_hash_step(h, whi_hash_bytes("*", 1));
    assert_true(whi_path_hash("a.*", 3) == h);
    assert_true(whi_path_hash("", 0) == WHI_PATH_SEED);
    assert_true(whi_path_hash("a.b", 3) != whi_path_hash("b.a", 3));
    assert_true(whi_path_hash("ab", 2) != whi_path_hash("a.b", 3));
}

/* The last subscription of a key goes: its bits go with it, and a wildcard added after an
 * exact type on the same path is found. */
static void test_last_subscription_of_a_key_clears_it(void **state)
{
    fixture *f = *state;
    add(f, "x.y");
    assert_int_equal(check(f, "x.y"), 1);
    wh_subscription *w = add(f, "x.*"); /* wildcard after the exact type */
    wh_subscription *d = add(f, "x.**");
    assert_int_equal(check(f, "x.y"), 3);
    assert_int_equal(check(f, "x.y.z"), 1);
    assert_presence_consistent(f->m);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(w)));
    assert_int_equal(check(f, "x.y"), 2);
    assert_presence_consistent(f->m);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(d)));
    assert_int_equal(check(f, "x.y"), 1);
    assert_int_equal(f->m->trie.n, 0);
    assert_int_equal(f->m->presence.members, 0);
    assert_presence_consistent(f->m);
    /* Back again, through an update from an exact type to a wildcard and back. */
    WH_ASSERT_OK(wh_subscription_list_clear(w, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(w, WH_LIST_EVENTS, "x.y"));
    WH_ASSERT_OK(wh_matcher_add(f->m, w));
    WH_ASSERT_OK(wh_subscription_list_clear(w, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(w, WH_LIST_EVENTS, "*.y"));
    WH_ASSERT_OK(wh_matcher_update(f->m, w));
    assert_int_equal(check(f, "x.y"), 2);
    assert_int_equal(check(f, "q.y"), 1);
    assert_presence_consistent(f->m);
    WH_ASSERT_OK(wh_subscription_list_clear(w, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(w, WH_LIST_EVENTS, "q.y"));
    WH_ASSERT_OK(wh_matcher_update(f->m, w));
    assert_int_equal(check(f, "x.y"), 1);
    assert_int_equal(check(f, "q.y"), 1);
    assert_int_equal(f->m->presence.members, 0);
}

/* Thousands of distinct wildcard paths: the filter grows (rebuilt from the trie) and stays
 * exact, and empties again when they go. */
static void test_filter_grows_and_shrinks_with_the_trie(void **state)
{
    fixture *f = *state;
    char buf[64];
    for (int i = 0; i < 900; i++) {
        snprintf(buf, sizeof(buf), "d%d.*", i);
        add(f, buf);
        snprintf(buf, sizeof(buf), "d%d.*.v%d", i, i % 7);
        add(f, buf);
        snprintf(buf, sizeof(buf), "d%d.o%d.**", i, i % 5);
        add(f, buf);
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d", i, i % 5, i % 7);
        add(f, buf);
    }
    assert_true(f->m->presence.nbits > 1024); /* grown past its first size */
    assert_presence_consistent(f->m);
    size_t total = 0;
    for (int i = 0; i < 900; i += 7) {
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d", i, i % 5, i % 7);
        total += check(f, buf); /* exact, d.*.v, and not d.o.** (one segment short) */
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d.x", i, i % 5, i % 7);
        total += check(f, buf); /* d.o.** */
        snprintf(buf, sizeof(buf), "d%d.o9", i);
        total += check(f, buf); /* d.* */
    }
    assert_true(total >= 129 * 4);
    for (size_t i = 0; i < f->n; i += 2)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_presence_consistent(f->m);
    for (int i = 0; i < 900; i += 11) {
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d.x", i, i % 5, i % 7);
        check(f, buf);
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d", i, i % 5, i % 7);
        check(f, buf);
    }
    for (size_t i = 1; i < f->n; i += 2)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_int_equal(f->m->trie.n, 0);
    assert_int_equal(f->m->presence.members, 0);
    assert_presence_consistent(f->m);
}

/* Types deeper than the presence walk follows (over 64 segments), or reaching more trie paths
 * than it tracks at once, are matched by the trie walk: same results. */
static void test_deep_and_wide_types_use_the_walk(void **state)
{
    fixture *f = *state;
    char buf[256];
    /* Every mix of "a" and "*" over 5 segments, plus deep wildcards: the type a.a.a.a.a reaches
     * 2^5 end paths, more than the presence walk tracks. */
    for (int bits = 0; bits < 32; bits++) {
        buf[0] = '\0';
        for (int i = 0; i < 5; i++)
            strcat(buf, i ? (bits >> i & 1 ? ".*" : ".a") : (bits & 1 ? "*" : "a"));
        add(f, buf);
        strcat(buf, ".**");
        add(f, buf);
    }
    assert_int_equal(check(f, "a.a.a.a.a"), 32);
    assert_int_equal(check(f, "a.a.a.a.a.b"), 32);
    assert_int_equal(check(f, "b.a.a.a.a"), 16);
    /* 100 segments: "a.a. ... .a" (199 bytes). */
    buf[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(buf, i ? ".a" : "a");
    add(f, "a.*.**");
    assert_int_equal(check(f, buf), 1 + 32); /* a.*.** and the 5-segment ".**" patterns */
    buf[9] = '\0';                           /* a.a.a.a.a */
    assert_int_equal(check(f, buf), 32 + 1);
}

/* Without the filter (its allocation failed), matching walks the trie; the next change that
 * needs it builds it again from the trie. */
static void test_matching_without_the_filter(void **state)
{
    fixture *f = *state;
    add(f, "o.*");
    add(f, "o.**");
    add(f, "*.created");
    add(f, "o.created");
    whi_presence_free(&f->m->presence); /* as after a failed allocation */
    assert_int_equal(check(f, "o.created"), 4);
    assert_int_equal(check(f, "o.x.y"), 1);
    add(f, "p.*");
    assert_non_null(f->m->presence.bits);
    assert_presence_consistent(f->m);
    assert_int_equal(check(f, "o.created"), 4);
    assert_int_equal(check(f, "p.created"), 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_hash_composes_segment_by_segment),
        T(test_last_subscription_of_a_key_clears_it),
        T(test_filter_grows_and_shrinks_with_the_trie),
        T(test_deep_and_wide_types_use_the_walk),
        T(test_matching_without_the_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
