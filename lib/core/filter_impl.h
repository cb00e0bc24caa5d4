/*
 * Payload filters inside: the compiled form (filter.c) and its evaluation (filter_eval.c).
 *
 * A compiled filter is one relocatable block (offsets, no pointers), so copying a subscription
 * copies its filter with one memcpy. Its nodes are a tree in preorder: node 0 is an AND of the
 * top-level keys; every node records where its subtree ends, so a parent walks its children by
 * jumping from one subtree's end to the next.
 */
#ifndef WEBHOOKS_FILTER_IMPL_H
#define WEBHOOKS_FILTER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonview.h"
#include "problems.h"
#include "rfc3339.h"
#include "webhooks/filter.h"

struct cJSON;

enum { WHI_FN_AND, WHI_FN_OR, WHI_FN_NOT, WHI_FN_COND };

enum {
    WHI_OP_EQ,
    WHI_OP_NEQ,
    WHI_OP_GT,
    WHI_OP_GTE,
    WHI_OP_LT,
    WHI_OP_LTE,
    WHI_OP_IN,
    WHI_OP_NIN,
    WHI_OP_EXIST,
    WHI_OP_CONTAINS,
    WHI_OP_STARTS,
    WHI_OP_ENDS
};

/* What a path's first segment names in the event's JSON form. */
enum {
    WHI_FR_ID,
    WHI_FR_TYPE,
    WHI_FR_ENTITY,
    WHI_FR_ACTION,
    WHI_FR_IDENTIFIER,
    WHI_FR_SOURCE,
    WHI_FR_OCCURRED_AT,
    WHI_FR_IDS,
    WHI_FR_PRODUCTS,
    WHI_FR_ATTRIBUTES,
    WHI_FR_DATA,
    WHI_FR_RELATIONS
};

typedef struct whi_fnode {
    uint8_t kind; /* WHI_FN_* */
    uint8_t op;   /* COND: WHI_OP_* */
    uint8_t root; /* COND: WHI_FR_* */
    uint8_t nseg; /* COND: segments after the root's */
    uint32_t end; /* the first node after this one's subtree */
    uint32_t seg; /* COND: its first segment in the segment array */
    uint32_t arg; /* COND: its first operand in the operand array */
    uint32_t nargs;
    uint32_t path, path_len, path_hash; /* COND: the whole path in the strings, its hash */
} whi_fnode;

#define WHI_FSEG_NAME UINT32_MAX /* a segment that is not an array index */

typedef struct whi_fseg {
    uint32_t off, len; /* its bytes in the strings */
    uint32_t hash;     /* whi_jkey_hash of them */
    uint32_t index;    /* its value when it is all digits (an array index), else WHI_FSEG_NAME */
} whi_fseg;

typedef struct whi_farg {
    double num;        /* WHI_JNUMBER */
    uint32_t off, len; /* WHI_JSTRING: its bytes in the strings */
    uint8_t type;      /* WHI_JNULL, WHI_JFALSE, WHI_JTRUE, WHI_JNUMBER or WHI_JSTRING */
} whi_farg;

struct wh_filter {
    uint32_t size; /* bytes of the whole block */
    uint32_t nnodes, nsegs, nargs;
    uint32_t segs_off, args_off, strings_off, json_off; /* from the block's start */
    whi_fnode nodes[];
};

static inline const whi_fseg *whi_filter_segs(const wh_filter *f)
{
    return (const whi_fseg *)((const char *)f + f->segs_off);
}
static inline const whi_farg *whi_filter_args(const wh_filter *f)
{
    return (const whi_farg *)((const char *)f + f->args_off);
}
static inline const char *whi_filter_strings(const wh_filter *f)
{
    return (const char *)f + f->strings_off;
}

/*
 * Compile the parsed filter root, whose compact text is json (kept in the block), into *out.
 * Problems are added to p, each starting with its path under prefix ("filter"); *out is NULL
 * when there was any (or memory ran out: WH_ENOMEM returned). Text over WH_FILTER_MAX_LEN is
 * one problem, before anything is compiled. An empty object compiles to a filter that always
 * holds.
 */
int whi_filter_compile(const struct cJSON *root, const char *json, const char *prefix,
                       whi_problems *p, wh_filter **out);
/* A copy of f into *out (NULL for NULL). WH_ENOMEM. */
int whi_filter_clone(const wh_filter *f, wh_filter **out);
/* Whether the filter always holds (compiled from an empty object). */
bool whi_filter_is_empty(const wh_filter *f);

/* A path's value: JSON (or one of the event's strings as a JSON string without escapes), or one
 * of the event's lists (ids, products: a whi_strvec; attributes, relations: a whi_kvvec) when
 * j.p is NULL; and the number it holds once a comparison needed it. */
typedef struct whi_fval {
    whi_jval j;
    const void *list;
    double num;
    uint8_t num_state; /* 0: not parsed yet, 1: num holds it, 2: not a number */
} whi_fval;

/* Paths resolved for one event, so that the filters of many subscriptions sharing a path
 * ("data.total") resolve it once: direct-mapped by the path's hash, a short probe. */
#define WHI_FDOC_PATHS 64
typedef struct whi_fpath {
    uint32_t epoch; /* valid when equal to the doc's */
    uint32_t hash, len;
    const char *path; /* in the filter that resolved it (alive during the evaluations) */
    whi_fval v;
} whi_fpath;

/*
 * The event's side of evaluations: the view over its JSON (data and relations), scanned and
 * indexed as lookups need it, and the paths resolved so far. One per thread; whi_fdoc_begin
 * before evaluating against another event (or the same one after it changed), whi_fdoc_free at
 * the end. The filters evaluated between two begins must stay alive until the second.
 */
typedef struct whi_fdoc {
    const wh_event *ev;
    whi_jview view;
    uint32_t epoch;
    bool data_ready;
    whi_jval data;
    char occurred_at[WHI_RFC3339_MAX]; /* "" until needed */
    whi_fpath paths[WHI_FDOC_PATHS];
} whi_fdoc;

#define WHI_FDOC_INIT                                                                              \
    {                                                                                              \
        NULL, WHI_JVIEW_INIT, 0, false, {NULL, 0, 0, false}, "",                                   \
        {                                                                                          \
            {                                                                                      \
                0                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

void whi_fdoc_begin(whi_fdoc *d, const wh_event *ev);
void whi_fdoc_free(whi_fdoc *d);
/* 1 when d's event passes f, 0 when not, WH_ENOMEM when indexing its JSON ran out of memory. */
int whi_filter_eval(const wh_filter *f, whi_fdoc *d);

#endif
