/*
 * A straightforward payload-filter evaluator, written from docs/subscriptions.md alone: the
 * event as the cJSON tree of wh_event_to_json, the filter as a cJSON tree, every path walked
 * member by member with cJSON's own lookups. The differential test (tests/unit/
 * test_filter_reference.c) and the filter fuzz target hold the library to it. Header-only so
 * that the fuzz targets, which do not link the test support library, can use it too.
 */
#ifndef WH_FILTER_REFERENCE_H
#define WH_FILTER_REFERENCE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* The value at path in the event tree, or NULL when there is none. */
static inline const cJSON *ref_resolve(const cJSON *event, const char *path)
{
    char buf[512];
    size_t n = strlen(path);
    if (n >= sizeof(buf)) return NULL;
    memcpy(buf, path, n + 1);
    char *dot = strchr(buf, '.');
    if (dot) *dot = '\0';
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(event, buf);
    if (!dot) return v;
    char *rest = dot + 1;
    if (strcmp(buf, "attributes") == 0) /* the rest is one attribute's name */
        return cJSON_GetObjectItemCaseSensitive(v, rest);
    while (v && rest) {
        char *next = strchr(rest, '.');
        if (next) *next++ = '\0';
        size_t len = strlen(rest);
        if (cJSON_IsObject(v)) {
            v = cJSON_GetObjectItemCaseSensitive(v, rest);
        } else if (cJSON_IsArray(v) && len >= 1 && len <= 9 && strspn(rest, "0123456789") == len) {
            v = cJSON_GetArrayItem(v, atoi(rest));
        } else {
            v = NULL;
        }
        rest = next;
    }
    return v;
}

static inline bool ref_absent(const cJSON *v)
{
    return !v || cJSON_IsNull(v);
}

static inline bool ref_equal(const cJSON *v, const cJSON *arg)
{
    if (cJSON_IsNull(arg)) return ref_absent(v);
    if (cJSON_IsBool(arg)) return v && cJSON_IsBool(v) && cJSON_IsTrue(v) == cJSON_IsTrue(arg);
    if (cJSON_IsNumber(arg)) return v && cJSON_IsNumber(v) && v->valuedouble == arg->valuedouble;
    return v && cJSON_IsString(v) && strcmp(v->valuestring, arg->valuestring) == 0;
}

/* -1/0/1 into *sign when v and arg compare (numbers, or strings bytewise). */
static inline bool ref_order(const cJSON *v, const cJSON *arg, int *sign)
{
    if (!v) return false;
    if (cJSON_IsNumber(arg) && cJSON_IsNumber(v)) {
        *sign = v->valuedouble < arg->valuedouble ? -1 : v->valuedouble > arg->valuedouble;
        return true;
    }
    if (cJSON_IsString(arg) && cJSON_IsString(v)) {
        int c = strcmp(v->valuestring, arg->valuestring);
        *sign = c < 0 ? -1 : c > 0;
        return true;
    }
    return false;
}

static inline bool ref_op(const cJSON *v, const char *op, const cJSON *arg)
{
    int sign = 0;
    const cJSON *e;
    if (strcmp(op, "$eq") == 0) return ref_equal(v, arg);
    if (strcmp(op, "$neq") == 0) return !ref_equal(v, arg);
    if (strcmp(op, "$gt") == 0) return ref_order(v, arg, &sign) && sign > 0;
    if (strcmp(op, "$gte") == 0) return ref_order(v, arg, &sign) && sign >= 0;
    if (strcmp(op, "$lt") == 0) return ref_order(v, arg, &sign) && sign < 0;
    if (strcmp(op, "$lte") == 0) return ref_order(v, arg, &sign) && sign <= 0;
    if (strcmp(op, "$in") == 0 || strcmp(op, "$nin") == 0) {
        bool any = false;
        cJSON_ArrayForEach(e, arg) any |= ref_equal(v, e);
        return op[1] == 'i' ? any : !any;
    }
    if (strcmp(op, "$exist") == 0) return !ref_absent(v) == cJSON_IsTrue(arg);
    if (strcmp(op, "$contains") == 0) {
        if (!cJSON_IsArray(v)) return false;
        cJSON_ArrayForEach(e, v) if (ref_equal(e, arg)) return true;
        return false;
    }
    if (!v || !cJSON_IsString(v)) return false;
    size_t n = strlen(v->valuestring), k = strlen(arg->valuestring);
    if (k > n) return false;
    if (strcmp(op, "$startsWith") == 0) return memcmp(v->valuestring, arg->valuestring, k) == 0;
    return memcmp(v->valuestring + n - k, arg->valuestring, k) == 0; /* $endsWith */
}

/* Whether the event passes the filter object (one that compiles). */
static inline bool ref_filter(const cJSON *filter, const cJSON *event)
{
    const cJSON *m, *e;
    cJSON_ArrayForEach(m, filter)
    {
        bool ok = true;
        if (strcmp(m->string, "$and") == 0) {
            cJSON_ArrayForEach(e, m) ok = ok && ref_filter(e, event);
        } else if (strcmp(m->string, "$or") == 0) {
            ok = false;
            cJSON_ArrayForEach(e, m) ok = ok || ref_filter(e, event);
        } else if (strcmp(m->string, "$not") == 0) {
            ok = !ref_filter(m, event);
        } else {
            const cJSON *v = ref_resolve(event, m->string);
            if (!cJSON_IsObject(m)) {
                ok = ref_equal(v, m);
            } else {
                cJSON_ArrayForEach(e, m) ok = ok && ref_op(v, e->string, e);
            }
        }
        if (!ok) return false;
    }
    return true;
}

#endif
