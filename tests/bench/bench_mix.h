/*
 * The subscription and event mix shared by bench_match and bench_memory (issue 3): 70 % exact
 * event types, 20 % wildcard patterns, 10 % entity + actions, a third with a product filter.
 * The type vocabulary grows with the number of subscriptions (see bench_match.c).
 */
#ifndef WH_BENCH_MIX_H
#define WH_BENCH_MIX_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wh_test.h"

static const char *const OBJECTS[] = {"order", "product", "customer", "refund"};
static const char *const VERBS[] = {"created", "updated", "deleted", "cancelled", "completed"};
static const char *const ACTIONS[] = {"create", "update", "delete", "cancel", "lock", "complete"};
#define NPRODUCTS 50

static uint64_t g_rng = 0x9E3779B97F4A7C15ULL;
static inline unsigned rnd(unsigned n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % n);
}

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void must(int rc, const char *what)
{
    if (rc != WH_OK) {
        fprintf(stderr, "bench_match: %s failed: %s\n", what, wh_error_last_message());
        exit(1);
    }
}

typedef struct sizes {
    unsigned domains, entities;
} sizes;

/* Vocabulary sizes for n subscriptions. */
static inline sizes bench_sizes(unsigned n)
{
    sizes sz = {n / 200 > 5 ? n / 200 : 5, n / 100 > 5 ? n / 100 : 5};
    return sz;
}

static inline wh_subscription *make_sub(unsigned i, sizes sz)
{
    wh_subscription *s;
    char buf[128];
    must(wh_subscription_new(&s), "subscription_new");
    snprintf(buf, sizeof(buf), "sub-%u", i);
    must(wh_subscription_set_id(s, buf), "set_id");
    must(wh_subscription_set_url(s, "https://receiver.example.com/hook"), "set_url");
    unsigned kind = rnd(100), d = rnd(sz.domains);
    const char *obj = OBJECTS[rnd(4)], *verb = VERBS[rnd(5)];
    if (kind < 70) {
        snprintf(buf, sizeof(buf), "d%u.%s.%s", d, obj, verb);
    } else if (kind < 90) {
        unsigned w = rnd(10);
        if (w < 5)
            snprintf(buf, sizeof(buf), "d%u.%s.*", d, obj);
        else if (w < 8)
            snprintf(buf, sizeof(buf), "d%u.*.%s", d, verb);
        else
            snprintf(buf, sizeof(buf), "d%u.**", d);
    }
    if (kind < 90) {
        must(wh_subscription_list_add(s, WH_LIST_EVENTS, buf), "list_add events");
    } else {
        snprintf(buf, sizeof(buf), "Entity%u", rnd(sz.entities));
        must(wh_subscription_set_entity(s, buf), "set_entity");
        for (unsigned k = rnd(4); k > 0; k--) /* 0 actions: every action */
            must(wh_subscription_list_add(s, WH_LIST_ACTIONS, ACTIONS[rnd(6)]), "actions");
    }
    if (rnd(3) == 0)
        for (unsigned k = 1 + rnd(3); k > 0; k--) {
            snprintf(buf, sizeof(buf), "prod-%u", rnd(NPRODUCTS));
            must(wh_subscription_list_add(s, WH_LIST_PRODUCTS, buf), "products");
        }
    return s;
}

static inline wh_event *make_event(sizes sz)
{
    wh_event *e;
    char buf[128];
    snprintf(buf, sizeof(buf), "d%u.%s.%s", rnd(sz.domains), OBJECTS[rnd(4)], VERBS[rnd(5)]);
    must(wh_event_new(&e, buf), "event_new");
    if (rnd(2)) {
        snprintf(buf, sizeof(buf), "Entity%u", rnd(sz.entities));
        must(wh_event_set_entity(e, buf), "set_entity");
        must(wh_event_set_action(e, ACTIONS[rnd(6)]), "set_action");
    }
    for (unsigned k = 1 + rnd(2); k > 0; k--) {
        snprintf(buf, sizeof(buf), "prod-%u", rnd(NPRODUCTS));
        must(wh_event_add_product(e, buf), "add_product");
    }
    return e;
}

#endif
