/*
 * The matching rules themselves: pure predicates saying whether one subscription receives one
 * event. The matcher (lib/match) indexes subscriptions so that it need not call these for
 * every subscription, and its linear scan, the tests and the fuzzers check it against them.
 */
#include <stdbool.h>
#include <string.h>

#include "rules.h"
#include "filter_impl.h"
#include "event_impl.h"
#include "subscription_impl.h"
#include "strvec.h"

/* ---- event-type patterns ---- */

static size_t seg_len(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot ? (size_t)(dot - s) : strlen(s);
}

static bool is_seg(const char *s, size_t len, const char *what)
{
    return len == strlen(what) && memcmp(s, what, len) == 0;
}

int wh_event_type_matches(const char *pattern, const char *type)
{
    if (!pattern || !type || !*type) return 0;
    if (strcmp(pattern, "*") == 0 || strcmp(pattern, "**") == 0) return 1;
    const char *p = pattern, *t = type;
    for (;;) {
        size_t pl = seg_len(p);
        bool plast = p[pl] == '\0';
        if (is_seg(p, pl, "**") && plast) return *t != '\0'; /* one or more segments remain */
        if (*t == '\0') return 0;
        size_t tl = seg_len(t);
        if (!is_seg(p, pl, "*") && (pl != tl || memcmp(p, t, pl) != 0)) return 0;
        bool tlast = t[tl] == '\0';
        if (plast || tlast) return plast && tlast;
        p += pl + 1;
        t += tl + 1;
    }
}

/* ---- filters and listening ---- */

static bool any_listed(const whi_strvec *have, const whi_strvec *allowed)
{
    for (size_t i = 0; i < have->n; i++)
        if (whi_strvec_contains(allowed, have->v[i])) return true;
    return false;
}

bool whi_sub_passes_filters(const wh_subscription *sub, const wh_event *ev)
{
    if (sub->status != WH_STATUS_ACTIVE) return false;
    const whi_strvec *products = &sub->lists[WH_LIST_PRODUCTS];
    if (products->n && !any_listed(&ev->products, products)) return false;
    const whi_strvec *idents = &sub->lists[WH_LIST_IDENTIFIERS];
    if (idents->n && !(ev->identifier && whi_strvec_contains(idents, ev->identifier))) return false;
    if (sub->source && !(ev->source && strcmp(sub->source, ev->source) == 0)) return false;
    return true;
}

bool whi_sub_entity_matches(const wh_subscription *sub, const wh_event *ev)
{
    if (!sub->entity || !ev->entity || strcmp(sub->entity, ev->entity) != 0) return false;
    const whi_strvec *actions = &sub->lists[WH_LIST_ACTIONS];
    return actions->n == 0 || (ev->action && whi_strvec_contains(actions, ev->action));
}

bool whi_sub_listens(const wh_subscription *sub, const wh_event *ev)
{
    const whi_strvec *events = &sub->lists[WH_LIST_EVENTS];
    if (events->n == 0) return whi_sub_entity_matches(sub, ev);
    bool typed = false;
    for (size_t i = 0; i < events->n && !typed; i++)
        typed = wh_event_type_matches(events->v[i], ev->type);
    /* Patterns and an entity: both must hold (each narrows, neither widens). */
    return typed && (!sub->entity || whi_sub_entity_matches(sub, ev));
}

int wh_subscription_matches(const wh_subscription *sub, const wh_event *ev)
{
    if (!sub || !ev || !ev->type) return 0;
    if (!whi_sub_listens(sub, ev) || !whi_sub_passes_filters(sub, ev)) return 0;
    if (!sub->filter) return 1;
    whi_fdoc d = WHI_FDOC_INIT;
    whi_fdoc_begin(&d, ev);
    int rc = whi_filter_eval(sub->filter, &d);
    whi_fdoc_free(&d);
    return rc == 1;
}
