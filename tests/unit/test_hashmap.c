/* The matcher's string hash map (lib/hashmap.c): random operations checked against a plain
 * array, including removals that must shift probe runs back (no tombstones). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "hashmap.h"
#include "wh_test.h"

enum { KEYS = 600 };

static uint64_t g_rng = 0xD1B54A32D192ED03ULL;
static unsigned rnd(unsigned n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % n);
}

static void test_random_operations_match_a_reference(void **state)
{
    (void)state;
    static char keys[KEYS][16];
    static int values[KEYS];
    bool present[KEYS] = {false};
    for (int i = 0; i < KEYS; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i * 7919);
        values[i] = i;
    }
    whi_hmap m = WHI_HMAP_INIT;
    size_t count = 0;
    for (int step = 0; step < 200000; step++) {
        int i = (int)rnd(KEYS);
        size_t len = strlen(keys[i]);
        switch (rnd(3)) {
        case 0:
            WH_ASSERT_OK(whi_hmap_put(&m, keys[i], len, &values[i]));
            count += !present[i];
            present[i] = true;
            break;
        case 1: {
            void *v = whi_hmap_remove(&m, keys[i], len);
            assert_ptr_equal(v, present[i] ? &values[i] : NULL);
            count -= present[i];
            present[i] = false;
            break;
        }
        default:
            assert_ptr_equal(whi_hmap_get(&m, keys[i], len), present[i] ? &values[i] : NULL);
            assert_ptr_equal(whi_hmap_get_hashed(&m, keys[i], len, whi_hmap_hash(keys[i], len)),
                             present[i] ? &values[i] : NULL);
        }
        assert_int_equal(m.n, count);
        if (step % 20000 == 0) /* every key, present or not */
            for (int k = 0; k < KEYS; k++)
                assert_ptr_equal(whi_hmap_get(&m, keys[k], strlen(keys[k])),
                                 present[k] ? &values[k] : NULL);
    }
    assert_true(m.cap >= 8 && (m.cap & (m.cap - 1)) == 0);
    whi_hmap_free(&m);
    assert_null(m.slots);
}

static void test_keys_are_bytes_with_lengths(void **state)
{
    (void)state;
    whi_hmap m = WHI_HMAP_INIT;
    int a = 1, b = 2, c = 3;
    /* "Order" and "Order\0create" differ only past the first NUL: both are distinct keys. */
    WH_ASSERT_OK(whi_hmap_put(&m, "Order", 5, &a));
    WH_ASSERT_OK(whi_hmap_put(&m, "Order\0create", 12, &b));
    WH_ASSERT_OK(whi_hmap_put(&m, "", 0, &c));
    assert_ptr_equal(whi_hmap_get(&m, "Order", 5), &a);
    assert_ptr_equal(whi_hmap_get(&m, "Order\0create", 12), &b);
    assert_ptr_equal(whi_hmap_get(&m, "", 0), &c);
    assert_null(whi_hmap_get(&m, "Order\0cancel", 12));
    /* Replacing keeps the count. */
    WH_ASSERT_OK(whi_hmap_put(&m, "Order", 5, &c));
    assert_int_equal(m.n, 3);
    assert_ptr_equal(whi_hmap_get(&m, "Order", 5), &c);
    assert_int_equal(whi_hmap_put(&m, "x", 1, NULL), WH_EINVAL);
    assert_null(whi_hmap_remove(&m, "nope", 4));
    whi_hmap_free(&m);
    /* An empty map answers without slots. */
    assert_null(whi_hmap_get(&m, "a", 1));
    assert_null(whi_hmap_peek(&m, 1));
    assert_null(whi_hmap_remove(&m, "a", 1));
    /* The hash is stable and depends on every byte, including the length. */
    assert_true(whi_hash_bytes("abcdefghij", 10) == whi_hash_bytes("abcdefghij", 10));
    assert_true(whi_hash_bytes("abcdefghij", 10) != whi_hash_bytes("abcdefghik", 10));
    assert_true(whi_hash_bytes("a\0", 2) != whi_hash_bytes("a", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_operations_match_a_reference),
        cmocka_unit_test(test_keys_are_bytes_with_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
