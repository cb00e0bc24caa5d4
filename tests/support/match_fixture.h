/*
 * A matcher with subscriptions of one pattern each, for the index tests (test_match_nodes.c,
 * test_match_presence.c): every check compares the index with the linear scan.
 */
#ifndef WH_MATCH_FIXTURE_H
#define WH_MATCH_FIXTURE_H

#include <stddef.h>

#include "match_impl.h"

#define WH_MF_MAX_SUBS 4000

typedef struct wh_mf {
    wh_matcher *m;
    wh_match_result *a, *b;
    wh_subscription *subs[WH_MF_MAX_SUBS]; /* owned, freed by teardown */
    size_t n;
} wh_mf;

/* cmocka setup / teardown: *state is the wh_mf. */
int wh_mf_setup(void **state);
int wh_mf_teardown(void **state);
/* Add a subscription "s<n>" listening to pattern, with product filter "p<product>" when
 * product >= 0; returns it (owned by the fixture). */
wh_subscription *wh_mf_add(wh_mf *f, const char *pattern, int product);
/* Make s listen to pattern alone, and update the matcher. */
void wh_mf_relisten(wh_mf *f, wh_subscription *s, const char *pattern);
/* Match type (with product "p<product>" when product >= 0) through the index and the linear
 * scan: same subscriptions, same order. Returns the count. */
size_t wh_mf_check(wh_mf *f, const char *type, int product);
/* The same for an event of the caller's. */
size_t wh_mf_check_event(wh_mf *f, const wh_event *e);
/*
 * The exact nodes agree with the trie: each counts its exact postings in refs and is in the
 * type tree; a materialized one lists exactly its exact postings and every posting of a trie
 * list (but the root's) whose pattern matches its type (by wh_event_type_matches, not by the
 * index's own walk), and is a TYPE member of the presence filter. Returns how many are
 * materialized.
 */
size_t wh_mf_assert_mat(const wh_matcher *m);
/* The exact node of type, or NULL. */
const whi_mnode *wh_mf_exact(const wh_matcher *m, const char *type);

#endif
