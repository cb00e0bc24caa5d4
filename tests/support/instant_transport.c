/* The instant transport (instant_transport.h): a queue of callbacks emptied by perform(). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "instant_transport.h"

typedef struct pending {
    wh_http_done_cb done;
    void *ud;
    uint64_t id;
    bool cancelled;
} pending;

typedef struct instant {
    int status;
    pending *q;
    size_t n, cap;
    uint64_t next_id;
    size_t answered;
} instant;

static int instant_start(wh_transport *t, const wh_http_request *req, wh_http_done_cb done,
                         void *ud, uint64_t *id)
{
    (void)req;
    instant *s = t->data;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        pending *q = realloc(s->q, cap * sizeof(*q));
        if (!q) return WH_ENOMEM;
        s->q = q;
        s->cap = cap;
    }
    s->q[s->n] = (pending){done, ud, ++s->next_id, false};
    s->n++;
    if (id) *id = s->next_id;
    return WH_OK;
}

static int instant_perform(wh_transport *t, int timeout_ms, size_t *running)
{
    (void)timeout_ms;
    instant *s = t->data;
    /* Callbacks may start new requests: answer only those queued before this call. */
    size_t n = s->n;
    pending *q = s->q;
    s->q = NULL;
    s->n = s->cap = 0;
    for (size_t i = 0; i < n; i++) {
        wh_http_response ok = {s->status, WH_OK, NULL, "ok", 2, 2, NULL, 1};
        wh_http_response cancelled = {0, WH_ETRANSPORT, "cancelled", NULL, 0, 0, NULL, 0};
        q[i].done(q[i].cancelled ? &cancelled : &ok, q[i].ud);
    }
    s->answered += n;
    free(q);
    if (running) *running = s->n;
    return WH_OK;
}

static int instant_cancel(wh_transport *t, uint64_t id)
{
    instant *s = t->data;
    for (size_t i = 0; i < s->n; i++)
        if (s->q[i].id == id && !s->q[i].cancelled) {
            s->q[i].cancelled = true; /* its callback runs from the next perform() */
            return WH_OK;
        }
    return WH_ENOTFOUND;
}

static void instant_free(wh_transport *t)
{
    instant *s = t->data;
    free(s->q);
    free(s);
    free(t);
}

wh_transport *instant_transport_new(int status)
{
    wh_transport *t = calloc(1, sizeof(*t));
    instant *s = calloc(1, sizeof(*s));
    if (!t || !s) {
        fprintf(stderr, "instant_transport_new: out of memory\n");
        abort();
    }
    s->status = status;
    t->version = WH_TRANSPORT_VERSION;
    t->data = s;
    t->start = instant_start;
    t->perform = instant_perform;
    t->cancel = instant_cancel;
    t->free = instant_free;
    return t;
}

size_t instant_transport_answered(const wh_transport *t)
{
    return ((const instant *)t->data)->answered;
}
