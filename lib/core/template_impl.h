/* The compiled template layout and the allocation-free render entry points the hub uses. */
#ifndef WEBHOOKS_TEMPLATE_IMPL_H
#define WEBHOOKS_TEMPLATE_IMPL_H

#include "buf.h"
#include "webhooks/template.h"

/* What a part of a template inserts. */
typedef enum whi_tkind {
    WHI_T_LITERAL = 0, /* text[off .. off + len) */
    WHI_T_ENTITY,
    WHI_T_ACTION,
    WHI_T_IDS,
    WHI_T_EVENT_ID,
    WHI_T_EVENT_TYPE,
    WHI_T_TIMESTAMP,
    WHI_T_SUBSCRIPTION_ID,
    WHI_T_DATA,     /* the event's payload as JSON, inserted as it is (bodies only) */
    WHI_T_ATTRIBUTE /* the event attribute names[name] */
} whi_tkind;

typedef struct whi_tpart {
    whi_tkind kind;
    uint32_t name;   /* placeholders: index into names */
    size_t off, len; /* literals: range in text */
} whi_tpart;

struct wh_template {
    wh_escape mode;
    char *text; /* every literal byte, concatenated */
    size_t text_len;
    whi_tpart *parts;
    size_t nparts;
    char **names; /* distinct placeholder names, in order of first use */
    size_t nnames;
};

#define WHI_MAX_PLACEHOLDER_NAME 64

/*
 * Append the rendering of t to b (no allocation when b has room). b->limit bounds the whole
 * buffer: WH_ETOOLARGE past it. WH_ERENDER naming the placeholder for a missing or refused
 * value; WH_ENOMEM. On error b holds a partial rendering (clear it before reuse).
 */
int whi_template_render_buf(const wh_template *t, const wh_event *ev, const char *subscription_id,
                            whi_buf *b);
/* Clear b and render a URL into it, checked as wh_template_render_url does (b->limit is
 * WH_MAX_URL_LEN during the call and restored after). */
int whi_template_render_url_buf(const wh_template *t, const wh_event *ev,
                                const char *subscription_id, whi_buf *b);
/* Append the default envelope of ev (with sub's relations; sub may be NULL) to b. */
int whi_render_default_body_buf(const wh_event *ev, const wh_subscription *sub, whi_buf *b);

#endif
