/* The matcher's index nodes (whi_mnode, postings inline) and their map (whi_nmap): nodes move
 * when their lists grow or shrink, and every pointer to them follows (map slots, a trie
 * parent's `star`, the root). Every check also compares the index with the linear scan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_fixture.h"
#include "wh_test.h"
#include "hashmap.h"

/* A node's lists are sorted by sequence number and fit its room. */
static void assert_node_ok(const whi_mnode *n)
{
    assert_true(n->nend + n->ndeep <= n->cap);
    const whi_posting *v = whi_node_end(n);
    for (uint32_t i = 1; i < n->nend; i++)
        assert_true(WHI_TAG_SEQ(v[i - 1].tag) < WHI_TAG_SEQ(v[i].tag));
    v = whi_node_deep(n);
    for (uint32_t i = 1; i < n->ndeep; i++)
        assert_true(WHI_TAG_SEQ(v[i - 1].tag) < WHI_TAG_SEQ(v[i].tag));
}

/* Every slot points at a live node, with its hash's tag and its current size; the node is
 * found by its key; a trie node's `star` is the node of its path followed by ".*". */
static void assert_map_ok(const wh_matcher *m, const whi_nmap *map, bool trie)
{
    size_t count = 0;
    for (size_t i = 0; i < map->cap; i++) {
        const whi_nslot *s = &map->slots[i];
        if (!s->node) continue;
        count++;
        const whi_mnode *n = s->node;
        assert_int_equal(s->tag, (uint32_t)(n->hash >> 32));
        assert_int_equal(s->bytes, whi_node_size(n->keylen, n->cap));
        assert_ptr_equal(whi_nmap_get(map, n->hash, n->key, n->keylen), n);
        assert_int_equal(n->hash, map != &m->entity ? whi_path_hash(n->key, n->keylen)
                                                    : whi_hash_bytes(n->key, n->keylen));
        assert_node_ok(n);
        if (trie) {
            char path[600];
            snprintf(path, sizeof(path), "%s.*", n->key);
            const whi_mnode *star =
                whi_nmap_get(map, whi_path_hash(path, strlen(path)), path, strlen(path));
            assert_ptr_equal(n->star, star);
        }
    }
    assert_int_equal(count, map->n);
    if (trie) {
        assert_node_ok(m->root);
        assert_ptr_equal(m->root->star, whi_nmap_get(map, whi_path_hash("*", 1), "*", 1));
    }
}

static void assert_index_ok(const wh_matcher *m)
{
    assert_map_ok(m, &m->exact, false);
    assert_map_ok(m, &m->entity, false);
    assert_map_ok(m, &m->trie, true);
}

static const whi_mnode *trie_node(const wh_matcher *m, const char *path)
{
    return whi_nmap_get(&m->trie, whi_path_hash(path, strlen(path)), path, strlen(path));
}

/* Hundreds of subscriptions on one key of each kind: every node is reallocated many times as
 * it grows, including the root ("*", "**"), a '*' child of the root ("*.**") and of another
 * node ("a.*", "a.*.**"), whose parents' `star` must follow it. */
static void test_nodes_grow_and_move(void **state)
{
    wh_mf *f = *state;
    static const char *const patterns[] = {"a.b", "*", "*.**", "a.*", "a.*.**", "a.**"};
    for (int i = 0; i < 540; i++) {
        wh_mf_add(f, patterns[i % 6], i / 6 % 3 == 0 ? i % 5 : -1); /* a third of each filtered */
        if (i % 37 == 0) assert_index_ok(f->m);
    }
    assert_index_ok(f->m);
    assert_int_equal(f->m->root->ndeep, 90);
    assert_true(trie_node(f->m, "a.*")->nend == 90 && trie_node(f->m, "a.*")->ndeep == 90);
    size_t all = wh_mf_check(f, "a.b", -1);
    assert_int_equal(all, 5 * 60); /* all but a.*.** (one segment short), less filtered ones */
    for (int p = 0; p < 5; p++)
        assert_true(wh_mf_check(f, "a.b", p) > all);
    assert_int_equal(wh_mf_check(f, "a.x.y", -1), (90 - 30) * 4); /* *.**, a.*.**, a.**, ** */
    assert_int_equal(wh_mf_check(f, "q", 1), 90 - 30 + 6);        /* "*" plus its p1 third */
}

/* Lists shrink back as entries go (the node moves again), and the last entry of a key takes
 * its node with it; a key added again afterwards starts afresh. */
static void test_nodes_shrink_and_the_last_entry_frees_the_key(void **state)
{
    wh_mf *f = *state;
    for (int i = 0; i < 300; i++)
        wh_mf_add(f, i % 3 == 0 ? "x.y" : i % 3 == 1 ? "*.**" : "x.*.**", -1);
    uint32_t big = trie_node(f->m, "*")->cap;
    for (size_t i = 0; i < 290; i++) {
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
        if (i % 29 == 0) {
            assert_index_ok(f->m);
            wh_mf_check(f, "x.y", -1);
            wh_mf_check(f, "x.q.z", -1);
        }
    }
    assert_index_ok(f->m);
    assert_true(trie_node(f->m, "*")->cap < big);
    assert_int_equal(wh_mf_check(f, "x.y", -1),
                     3 + 3); /* 3 exact, 3 *.**; x.*.** needs 3 segments */
    for (size_t i = 290; i < 300; i++)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_int_equal(f->m->exact.n + f->m->trie.n + f->m->entity.n, 0);
    assert_null(f->m->root->star);
    assert_int_equal(wh_mf_check(f, "x.y", -1), 0);
    wh_mf_add(f, "x.y", -1);
    wh_mf_add(f, "x.*", -1);
    assert_index_ok(f->m);
    assert_int_equal(wh_mf_check(f, "x.y", -1), 2);
}

/* The root (in no map) grows and shrinks too: "*" subscriptions go into its `deep` list. */
static void test_the_root_grows_and_shrinks(void **state)
{
    wh_mf *f = *state;
    for (int i = 0; i < 120; i++)
        wh_mf_add(f, i % 2 ? "*" : "*.x", i % 3 == 0 ? 1 : -1);
    uint32_t big = f->m->root->cap;
    assert_int_equal(f->m->root->ndeep, 60);
    assert_int_equal(wh_mf_check(f, "a.x", 1), 120);
    for (size_t i = 0; i < 110; i++)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_true(f->m->root->cap < big);
    assert_index_ok(f->m);
    assert_int_equal(wh_mf_check(f, "a.x", 1), 10);
    assert_int_equal(wh_mf_check(f, "a.x", -1),
                     wh_mf_check(f, "a", -1) + 4); /* "*.x" without filter */
}

/* One node holding both lists ("a.*" ends there, "a.*.**" is its deep list): entries go into
 * either list in any order and move between them through updates, and a wildcard added after
 * an exact type on the same path is found. */
static void test_both_lists_of_a_node_and_updates(void **state)
{
    wh_mf *f = *state;
    wh_subscription *s[40];
    for (int i = 0; i < 40; i++)
        s[i] = wh_mf_add(f, i % 2 ? "a.*" : "a.*.**", i % 4 == 1 ? 7 : -1);
    const whi_mnode *n = trie_node(f->m, "a.*");
    assert_int_equal(n->nend, 20);
    assert_int_equal(n->ndeep, 20);
    assert_int_equal(wh_mf_check(f, "a.b", -1), 10);
    assert_int_equal(wh_mf_check(f, "a.b", 7), 20);
    assert_int_equal(wh_mf_check(f, "a.b.c", -1), 20);
    /* Move entries across: deep -> end, end -> deep, end -> exact type and back. */
    for (int i = 0; i < 40; i += 3)
        wh_mf_relisten(f, s[i], i % 2 ? "a.*.**" : "a.*");
    assert_index_ok(f->m);
    wh_mf_check(f, "a.b", -1);
    wh_mf_check(f, "a.b", 7);
    wh_mf_check(f, "a.b.c", 7);
    wh_mf_relisten(f, s[1], "a.b");
    assert_int_equal(wh_mf_check(f, "a.b", 7), wh_mf_check(f, "a.c", 7) + 1);
    wh_mf_relisten(f, s[1], "a.*");
    assert_index_ok(f->m);
    /* An update that changes only the filter rewrites the posting in place. */
    WH_ASSERT_OK(wh_subscription_list_clear(s[3], WH_LIST_PRODUCTS));
    WH_ASSERT_OK(wh_subscription_list_add(s[3], WH_LIST_PRODUCTS, "p9"));
    WH_ASSERT_OK(wh_matcher_update(f->m, s[3]));
    wh_mf_check(f, "a.b", 9);
    wh_mf_check(f, "a.b", 7);
    assert_index_ok(f->m);
    /* A wildcard after an exact type on a path no trie node had. */
    wh_mf_add(f, "k.l", -1);
    wh_mf_add(f, "k.*", -1);
    assert_int_equal(wh_mf_check(f, "k.l", -1), 2);
    assert_index_ok(f->m);
}

/* Exact types and entities whose hashes share a slot run: removals shift the run back and
 * every key stays reachable. */
static void test_map_removal_keeps_probe_runs(void **state)
{
    wh_mf *f = *state;
    char buf[32];
    for (int i = 0; i < 400; i++) {
        snprintf(buf, sizeof(buf), "t%d.e", i);
        wh_mf_add(f, buf, -1);
    }
    for (size_t i = 0; i < 400; i += 3)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_index_ok(f->m);
    for (int i = 0; i < 400; i++) {
        snprintf(buf, sizeof(buf), "t%d.e", i);
        assert_int_equal(wh_mf_check(f, buf, -1), i % 3 ? 1 : 0);
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, wh_mf_setup, wh_mf_teardown)
    const struct CMUnitTest tests[] = {
        T(test_nodes_grow_and_move),          T(test_nodes_shrink_and_the_last_entry_frees_the_key),
        T(test_the_root_grows_and_shrinks),   T(test_both_lists_of_a_node_and_updates),
        T(test_map_removal_keeps_probe_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
