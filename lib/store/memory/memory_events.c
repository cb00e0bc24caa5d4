/*
 * The memory store's event ids (event idempotency, the port's enqueue_events): a map from each
 * accepted id to when it expires, and a list of the same ids in the order they were accepted
 * (renewed ones move to its end). With one window for every call, the list's head expires
 * first, so each call forgets the expired ids at the head at a cost in proportion to what it
 * adds; past max_event_ids the oldest go early, so the map's memory has a bound whatever the
 * event rate (a process-local store trades the rest of the window for that; the SQLite and
 * PostgreSQL stores keep every id for the whole window).
 */
#include <stdbool.h>
#include <string.h>

#include "memory_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

typedef struct mem_event {
    wh_time_ms expires_at;
    struct mem_event *prev, *next; /* acceptance order */
    char id[];
} mem_event;

static mem_event *event_find(const mem_store *m, const char *id)
{
    return whi_hmap_get(&m->events, id, strlen(id));
}

static void list_unlink(mem_store *m, mem_event *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        m->ev_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        m->ev_tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_append(mem_store *m, mem_event *e)
{
    e->prev = m->ev_tail;
    e->next = NULL;
    if (m->ev_tail)
        m->ev_tail->next = e;
    else
        m->ev_head = e;
    m->ev_tail = e;
}

static void event_drop(mem_store *m, mem_event *e)
{
    list_unlink(m, e);
    whi_hmap_remove(&m->events, e->id, strlen(e->id));
    whi_free(e);
}

void whi_mem_events_forget(mem_store *m, wh_time_ms t)
{
    for (mem_event *e = m->ev_head, *next; e; e = next) {
        next = e->next;
        if (e->expires_at <= t) event_drop(m, e);
    }
}

void whi_mem_events_free(mem_store *m)
{
    for (mem_event *e = m->ev_head, *next; e; e = next) {
        next = e->next;
        whi_free(e);
    }
    whi_hmap_free(&m->events);
    m->ev_head = m->ev_tail = NULL;
}

/* Forget what expired at the head, and the oldest past the cap (lock held). */
static void trim(mem_store *m, wh_time_ms now)
{
    while (m->ev_head && m->ev_head->expires_at <= now)
        event_drop(m, m->ev_head);
    while (m->max_event_ids && m->events.n > m->max_event_ids)
        event_drop(m, m->ev_head);
}

#define NEW_ID INT64_MIN /* in old[]: the id was not known */

/* Take back what accept did for the first n ids (the renewed ones stay at the list's end:
 * only their expiry matters). */
static void accept_undo(mem_store *m, const char *const *ids, size_t n, const wh_time_ms *old)
{
    for (size_t i = 0; i < n; i++) {
        mem_event *e = event_find(m, ids[i]);
        if (!e) continue;
        if (old[i] != NEW_ID)
            e->expires_at = old[i];
        else
            event_drop(m, e);
    }
}

/* A new id, remembered until expires_at. */
static int add_new(mem_store *m, const char *id, wh_time_ms expires_at)
{
    size_t len = strlen(id);
    mem_event *e = whi_malloc(sizeof(*e) + len + 1);
    if (!e) return whi_error_oom();
    e->expires_at = expires_at;
    memcpy(e->id, id, len + 1);
    if (whi_hmap_put(&m->events, e->id, len, e) != WH_OK) {
        whi_free(e);
        return whi_error_oom();
    }
    list_append(m, e);
    return WH_OK;
}

/* Remember ids (lock held): each new one added, each expired one renewed; all or nothing. The
 * old expiry of each renewed id is kept in old[i] (NEW_ID for a new one) for accept_undo. */
static int accept(mem_store *m, const char *const *ids, size_t n, wh_time_ms now,
                  wh_time_ms expires_at, wh_time_ms *old)
{
    for (size_t i = 0; i < n; i++) {
        mem_event *e = event_find(m, ids[i]);
        if (e && e->expires_at > now) return whi_event_conflict(ids[i]);
    }
    int rc = WH_OK;
    size_t done = 0;
    for (; rc == WH_OK && done < n; done++) {
        mem_event *e = event_find(m, ids[done]);
        old[done] = e ? e->expires_at : NEW_ID;
        if (!e) {
            rc = add_new(m, ids[done], expires_at);
            continue;
        }
        e->expires_at = expires_at;
        list_unlink(m, e);
        list_append(m, e);
    }
    if (rc != WH_OK) accept_undo(m, ids, done, old);
    return rc;
}

static int mem_enqueue_events(wh_store *s, const char *const *ids, size_t nids, wh_time_ms now,
                              wh_time_ms expires_at, const wh_delivery *const *batch, size_t count)
{
    mem_store *m = mem_of(s);
    int rc = whi_event_ids_check(ids, nids);
    mem_delivery **recs = NULL;
    if (rc == WH_OK) rc = whi_mem_records_new(batch, count, &recs);
    wh_time_ms *old = rc == WH_OK && nids ? whi_calloc(nids, sizeof(*old)) : NULL;
    if (rc == WH_OK && nids && !old) rc = whi_error_oom();
    if (rc != WH_OK) {
        whi_mem_records_free(recs, count);
        return rc;
    }
    whi_mem_lock(m);
    rc = accept(m, ids, nids, now, expires_at, old);
    if (rc == WH_OK && count && (rc = whi_mem_insert_batch(m, recs, count)) != WH_OK)
        accept_undo(m, ids, nids, old);
    if (rc == WH_OK) trim(m, now);
    whi_mem_unlock(m);
    if (rc != WH_OK)
        whi_mem_records_free(recs, count);
    else
        whi_free(recs);
    whi_free(old);
    return rc;
}

void whi_mem_events_fill(wh_store *vt)
{
    vt->enqueue_events = mem_enqueue_events;
}
