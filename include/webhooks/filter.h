/*
 * Payload filters: a JSON document a subscription may carry (its "filter"), evaluated against
 * the event in its JSON form (docs/subscriptions.md "Payload filters"). A subscription receives
 * an event only when the index matched it by type, entity and the list filters, and then its
 * payload filter holds.
 *
 *   {"data.total": {"$gte": 100}, "$or": [{"data.currency": "BRL"}, {"data.currency": "USD"}]}
 *
 * Keys are dot paths into the event: id, type, entity, action, identifier, source, occurredAt
 * (strings), ids and products (arrays of strings), attributes.<name> (a string attribute; the
 * rest of the path is the name), data.<path> and relations.<name>.<path> (JSON; a segment of
 * digits indexes an array). A plain value means equality; several keys must all hold. The
 * operators: $eq $neq $gt $gte $lt $lte $in $nin $exist $contains $startsWith $endsWith on a
 * path, and $and $or (non-empty lists of filters) and $not (a filter) in place of a path.
 * Values compared are scalars (strings, numbers, booleans, null). Comparisons of different
 * types are false, never errors; a missing value or null is absent ($exist false, $eq null
 * true), and $neq / $nin are the negations of $eq / $in. No regular expressions. Every size is
 * capped (the WH_FILTER_MAX_* limits, checked while compiling).
 *
 * A wh_filter is read-only once compiled: any number of threads may evaluate it at once.
 */
#ifndef WEBHOOKS_FILTER_H
#define WEBHOOKS_FILTER_H

#include "webhooks/common.h"
#include "webhooks/event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits, each checked while compiling (WH_EINVAL naming the path past it). */
#define WH_FILTER_MAX_LEN        16384 /* bytes of filter JSON */
#define WH_FILTER_MAX_DEPTH      8     /* filters nested through $and, $or and $not */
#define WH_FILTER_MAX_CONDITIONS 64    /* operators on paths, in all */
#define WH_FILTER_MAX_LIST       256   /* values of one $in / $nin, filters of one $and / $or */
#define WH_FILTER_MAX_PATH_LEN   255   /* bytes of one path */
#define WH_FILTER_MAX_SEGMENTS   16    /* dot-separated segments of one path */

typedef struct wh_filter wh_filter;

/*
 * Compile a filter from JSON text (len bytes): an object, as above. On error *out is NULL and
 * the code is WH_EINVAL with one detail per problem, each naming its path ("filter.data.total.
 * $gte: must be a number or a string"), or WH_ETOOLARGE over WH_FILTER_MAX_LEN, or WH_ENOMEM.
 * *out is owned by the caller: free with wh_filter_free. An empty object is a filter that every
 * event passes.
 */
WH_EXTERN int wh_filter_new(wh_filter **out, const char *json, size_t len);
WH_EXTERN void wh_filter_free(wh_filter *f); /* NULL is a no-op */
/* The filter as compact JSON (borrowed: valid until wh_filter_free). */
WH_EXTERN const char *wh_filter_json(const wh_filter *f);
/* 1 when ev passes f, 0 when it does not, or a negative code: WH_EINVAL (NULL argument) or
 * WH_ENOMEM (indexing the event's JSON ran out of memory). */
WH_EXTERN int wh_filter_matches(const wh_filter *f, const wh_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_FILTER_H */
