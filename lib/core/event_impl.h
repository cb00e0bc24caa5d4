/* Layout of wh_event, shared by the modules that read it on hot paths (match, template, hub). */
#ifndef WEBHOOKS_EVENT_IMPL_H
#define WEBHOOKS_EVENT_IMPL_H

#include "strvec.h"
#include "webhooks/event.h"

struct wh_event {
    char *id;
    char *type;
    char *entity;
    char *action;
    char *identifier;
    char *source;
    whi_strvec ids;
    whi_strvec products;
    whi_kvvec attrs;     /* template attributes, case-sensitive names */
    whi_kvvec relations; /* name -> compact JSON text */
    char *data;          /* compact JSON text; "null" by default */
    char *ids_joined;    /* cache for {{id}}; rebuilt lazily after ids change */
    wh_time_ms occurred_at;
    int occurred_off; /* UTC offset (minutes) occurredAt was given in */
};

/* "msg_", 8 base62 characters of the creation time (ms), 16 random base62 characters: a
 * Standard Webhooks style message id that sorts by creation time (see whi_msg_id). */
#define WHI_MSG_ID_LEN        28
#define WHI_MSG_ID_TIME_CHARS 8
int whi_msg_id(char out[WHI_MSG_ID_LEN + 1]);

/*
 * For ids that must sort in the order one owner makes them (the hub's delivery ids, made under
 * its lock): the time never goes back, and after it come WHI_MSG_ID_SEQ_CHARS characters of a
 * sequence within that millisecond, then random characters. Zero-initialise.
 */
typedef struct whi_id_clock {
    wh_time_ms ms;
    uint32_t seq;
} whi_id_clock;
#define WHI_MSG_ID_SEQ_CHARS 4
int whi_msg_id_next(char out[WHI_MSG_ID_LEN + 1], whi_id_clock *clock);

void whi_event_clear(wh_event *ev);
int whi_event_copy(wh_event *dst, const wh_event *src);

#endif
