/* The matcher fixture of the index tests (see match_fixture.h). */
#include <stdio.h>
#include <stdlib.h>

#include "match_fixture.h"
#include "wh_test.h"

int wh_mf_setup(void **state)
{
    wh_mf *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    WH_ASSERT_OK(wh_matcher_new(&f->m));
    WH_ASSERT_OK(wh_match_result_new(&f->a));
    WH_ASSERT_OK(wh_match_result_new(&f->b));
    *state = f;
    return 0;
}

int wh_mf_teardown(void **state)
{
    wh_mf *f = *state;
    wh_matcher_free(f->m);
    for (size_t i = 0; i < f->n; i++)
        wh_subscription_free(f->subs[i]);
    wh_match_result_free(f->a);
    wh_match_result_free(f->b);
    free(f);
    return 0;
}

wh_subscription *wh_mf_add(wh_mf *f, const char *pattern, int product)
{
    assert_true(f->n < WH_MF_MAX_SUBS);
    wh_subscription *s;
    char buf[32];
    snprintf(buf, sizeof(buf), "s%zu", f->n);
    WH_ASSERT_OK(wh_subscription_new(&s));
    WH_ASSERT_OK(wh_subscription_set_id(s, buf));
    WH_ASSERT_OK(wh_subscription_set_url(s, "https://example.com/hook"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, pattern));
    if (product >= 0) {
        snprintf(buf, sizeof(buf), "p%d", product);
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, buf));
    }
    WH_ASSERT_OK(wh_matcher_add(f->m, s));
    f->subs[f->n++] = s;
    return s;
}

void wh_mf_relisten(wh_mf *f, wh_subscription *s, const char *pattern)
{
    WH_ASSERT_OK(wh_subscription_list_clear(s, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, pattern));
    WH_ASSERT_OK(wh_matcher_update(f->m, s));
}

size_t wh_mf_check(wh_mf *f, const char *type, int product)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, type));
    if (product >= 0) {
        char buf[16];
        snprintf(buf, sizeof(buf), "p%d", product);
        WH_ASSERT_OK(wh_event_add_product(e, buf));
    }
    WH_ASSERT_OK(wh_matcher_match(f->m, e, f->a));
    WH_ASSERT_OK(whi_matcher_match_linear(f->m, e, f->b));
    assert_int_equal(wh_match_result_count(f->a), wh_match_result_count(f->b));
    for (size_t i = 0; i < wh_match_result_count(f->a); i++)
        assert_ptr_equal(wh_match_result_at(f->a, i), wh_match_result_at(f->b, i));
    wh_event_free(e);
    return wh_match_result_count(f->a);
}
