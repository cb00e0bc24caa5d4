/*
 * A profile's field mapping, both ways: a request body in the profile's shape becomes the
 * native webhook JSON the library parses (whi_profile_to_native), and a stored webhook's
 * native JSON becomes the profile's shape (whi_profile_from_native). Going through the native
 * JSON keeps one model: every check the native API makes applies to every profile.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "profile_map.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "problems.h"
#include "rfc3339.h"

/* ---- dotted paths ---- */

const cJSON *whi_path_get(const cJSON *obj, const char *path)
{
    char name[WHI_PROFILE_MAX_PATH + 1];
    while (obj && *path) {
        size_t n = strcspn(path, ".");
        if (!cJSON_IsObject(obj) || n > WHI_PROFILE_MAX_PATH) return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        obj = cJSON_GetObjectItemCaseSensitive(obj, name);
        path += n + (path[n] == '.');
    }
    return obj;
}

/* Set item (taken, freed on failure) at path in obj, making the objects on the way. */
bool whi_path_set(cJSON *obj, const char *path, cJSON *item)
{
    char name[WHI_PROFILE_MAX_PATH + 1];
    if (!item) return false;
    for (;;) {
        size_t n = strcspn(path, ".");
        if (n > WHI_PROFILE_MAX_PATH) break;
        memcpy(name, path, n);
        name[n] = '\0';
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(obj, name);
        if (!path[n]) {
            if (cur) cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
            return cJSON_AddItemToObject(obj, name, item);
        }
        if (!cJSON_IsObject(cur)) {
            if (cur) cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
            if (!(cur = cJSON_AddObjectToObject(obj, name))) break;
        }
        obj = cur;
        path += n + 1;
    }
    cJSON_Delete(item);
    return false;
}

static const char *const TIMES[] = {"createdAt", "updatedAt", "lastDeliveryAt", "failingSince",
                                    NULL};

static bool is_time(const char *native)
{
    for (const char *const *t = TIMES; *t; t++)
        if (strcmp(*t, native) == 0) return true;
    return false;
}

/* ---- model -> profile ---- */

/* A string of 1..15 digits as a JSON number; anything else as it is (a copy). */
static cJSON *as_number(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        size_t n = strlen(s);
        bool digits = n > 0 && n <= 15 && (s[0] != '0' || n == 1);
        for (size_t i = 0; digits && i < n; i++)
            digits = s[i] >= '0' && s[i] <= '9';
        if (digits) return cJSON_CreateNumber((double)strtoll(s, NULL, 10));
    }
    return cJSON_Duplicate(v, true);
}

static cJSON *joined(const cJSON *list, const char *sep)
{
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "");
    const cJSON *v;
    size_t i = 0;
    cJSON_ArrayForEach(v, list)
    {
        if (!cJSON_IsString(v)) continue;
        if (i++) whi_buf_puts(&b, sep);
        whi_buf_puts(&b, v->valuestring);
    }
    char *s = whi_buf_detach(&b, NULL);
    cJSON *out = s ? cJSON_CreateString(s) : NULL;
    whi_free(s);
    return out;
}

static cJSON *header_lines(const cJSON *headers)
{
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "");
    const cJSON *h;
    size_t i = 0;
    cJSON_ArrayForEach(h, headers)
    {
        if (!cJSON_IsString(h)) continue;
        whi_buf_printf(&b, "%s%s: %s", i++ ? "\n" : "", h->string, h->valuestring);
    }
    char *s = whi_buf_detach(&b, NULL);
    cJSON *out = s ? cJSON_CreateString(s) : NULL;
    whi_free(s);
    return out;
}

/* A custom id of digits is shown as the integer it is (seed 000's event "id"). */
static cJSON *attr_value(const api_type *t, whi_pattr a, const char *name)
{
    const char *v = a == WHI_ATTR_NAME      ? name
                    : a == WHI_ATTR_DISPLAY ? (t ? t->display : NULL)
                                            : (t ? t->custom_id : NULL);
    if (!v) return cJSON_CreateNull();
    cJSON *s = cJSON_CreateString(v);
    if (a != WHI_ATTR_CUSTOM_ID || !s) return s;
    cJSON *n = as_number(s);
    cJSON_Delete(s);
    return n;
}

static cJSON *event_objects(const whi_pfield *f, const api_catalogue *cat, const cJSON *list)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (!out || !cJSON_IsString(v)) continue;
        const api_type *t = whi_api_type_find(cat, v->valuestring);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(out, o)) {
            cJSON_Delete(o);
            cJSON_Delete(out);
            return NULL;
        }
        if (f->nshape == 0) cJSON_AddStringToObject(o, "name", v->valuestring);
        for (size_t i = 0; i < f->nshape; i++)
            cJSON_AddItemToObject(o, f->shape[i].key,
                                  attr_value(t, f->shape[i].attr, v->valuestring));
    }
    return out;
}

static cJSON *product_objects(const api_catalogue *cat, const cJSON *list)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (!out || !cJSON_IsString(v)) continue;
        const api_product *p = whi_api_product_find(cat, v->valuestring);
        cJSON *o = p ? cJSON_Parse(p->json) : cJSON_CreateObject();
        if (o && !p) cJSON_AddStringToObject(o, "id", v->valuestring);
        if (!o || !cJSON_AddItemToArray(out, o)) {
            cJSON_Delete(o);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* The map member whose key is v's text, or NULL. */
static const cJSON *map_forward(const cJSON *map, const cJSON *v)
{
    char num[32];
    const char *key = cJSON_IsString(v)  ? v->valuestring
                      : cJSON_IsTrue(v)  ? "true"
                      : cJSON_IsFalse(v) ? "false"
                                         : NULL;
    if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.17g", v->valuedouble);
        key = num;
    }
    return key ? cJSON_GetObjectItemCaseSensitive(map, key) : NULL;
}

static cJSON *time_value(const wh_profile *p, const cJSON *v)
{
    wh_time_ms ms;
    int off;
    if (p->times == WHI_TIMES_NATIVE || !cJSON_IsString(v) ||
        whi_rfc3339_parse(v->valuestring, &ms, &off) != WH_OK)
        return cJSON_Duplicate(v, true);
    char out[WHI_RFC3339_MAX];
    whi_rfc3339_format(ms, p->times == WHI_TIMES_HOST ? whi_local_offset_minutes(ms) : 0, out);
    return cJSON_CreateString(out);
}

/* The native value of f: its path, but "secret" is the newest current secret. */
static const cJSON *native_value(const cJSON *native, const char *path)
{
    if (strcmp(path, "secret") != 0) return whi_path_get(native, path);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(native, "secrets");
    return cJSON_IsArray(list) ? list->child : NULL; /* current secrets are plain strings */
}

static cJSON *field_out(const wh_profile *p, const whi_pfield *f, const api_catalogue *cat,
                        const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return f->null_as ? cJSON_Duplicate(f->null_as, true) : cJSON_CreateNull();
    if (f->map) {
        const cJSON *m = map_forward(f->map, v);
        if (m) return cJSON_Duplicate(m, true);
    }
    switch (f->as) {
    case WHI_AS_NUMBER:
        return as_number(v);
    case WHI_AS_CSV:
        return cJSON_IsArray(v) ? joined(v, ",") : cJSON_Duplicate(v, true);
    case WHI_AS_FIRST:
        return cJSON_IsArray(v) ? (v->child ? cJSON_Duplicate(v->child, true) : cJSON_CreateNull())
                                : cJSON_Duplicate(v, true);
    case WHI_AS_LINES:
        return cJSON_IsObject(v) ? header_lines(v) : cJSON_Duplicate(v, true);
    case WHI_AS_EVENT_OBJECTS:
        return cJSON_IsArray(v) ? event_objects(f, cat, v) : cJSON_Duplicate(v, true);
    case WHI_AS_PRODUCT_OBJECTS:
        return cJSON_IsArray(v) ? product_objects(cat, v) : cJSON_Duplicate(v, true);
    case WHI_AS_VALUE:
        break;
    }
    return is_time(f->native) ? time_value(p, v) : cJSON_Duplicate(v, true);
}

int whi_profile_from_native(const wh_profile *p, const api_catalogue *cat, const cJSON *native,
                            cJSON **out)
{
    *out = cJSON_CreateObject();
    if (!*out) return whi_error_oom();
    for (size_t i = 0; i < p->nfields; i++) {
        const whi_pfield *f = &p->fields[i];
        if (!whi_path_set(*out, f->ext, field_out(p, f, cat, native_value(native, f->native)))) {
            cJSON_Delete(*out);
            *out = NULL;
            return whi_error_oom();
        }
    }
    return WH_OK;
}

/* ---- profile -> model ---- */

/* v's text for messages: a string as it is, anything else as JSON, cut to fit. */
static void text_of(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v)) {
        snprintf(buf, size, "%s", v->valuestring);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    snprintf(buf, size, "%s", s ? s : "?");
    cJSON_free(s);
}

/* "a, b, c" of a list of values, for messages. */
static void list_text(const cJSON *list, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        char one[80];
        text_of(v, one, sizeof(one));
        int n = snprintf(buf + at, size - at, "%s%s", at ? ", " : "", one);
        if (n < 0 || (size_t)n >= size - at) break;
        at += (size_t)n;
    }
}

static bool in_list(const cJSON *list, const cJSON *v)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list) if (cJSON_Compare(e, v, true)) return true;
    return false;
}

/* Check v (each element of an array) against f's enum. */
static bool enum_ok(const whi_pfield *f, const cJSON *v, whi_problems *pr)
{
    if (!f->enumv) return true;
    const cJSON *one = cJSON_IsArray(v) ? v->child : v;
    for (; one; one = cJSON_IsArray(v) ? one->next : NULL) {
        if (in_list(f->enumv, one)) continue;
        char got[80], allowed[400];
        text_of(one, got, sizeof(got));
        list_text(f->enumv, allowed, sizeof(allowed));
        whi_problem(pr, "%s: \"%s\" is not accepted (one of: %s)", f->ext, got, allowed);
        return false;
    }
    return true;
}

/* The native value of a mapped profile value: the map's key whose value equals v. */
static cJSON *map_back(const whi_pfield *f, const cJSON *v, whi_problems *pr)
{
    const cJSON *m;
    cJSON_ArrayForEach(m,
                       f->map) if (cJSON_Compare(m, v, true)) return cJSON_CreateString(m->string);
    char got[80], allowed[400];
    text_of(v, got, sizeof(got));
    cJSON *vals = cJSON_CreateArray();
    cJSON_ArrayForEach(m, f->map) if (vals && !in_list(vals, m))
        cJSON_AddItemToArray(vals, cJSON_Duplicate(m, true));
    list_text(vals, allowed, sizeof(allowed));
    cJSON_Delete(vals);
    whi_problem(pr, "%s: %s is not accepted (one of: %s)", f->ext, got, allowed);
    return NULL;
}

static cJSON *split_csv(const whi_pfield *f, const cJSON *v, whi_problems *pr)
{
    if (!cJSON_IsString(v)) {
        whi_problem(pr, "%s must be a comma-separated string", f->ext);
        return NULL;
    }
    cJSON *out = cJSON_CreateArray();
    for (const char *s = v->valuestring; out && *s;) {
        size_t n = strcspn(s, ",");
        const char *a = s, *b = s + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            char *one = whi_strndup(a, (size_t)(b - a));
            if (!one || !cJSON_AddItemToArray(out, cJSON_CreateString(one))) {
                whi_free(one);
                cJSON_Delete(out);
                return NULL;
            }
            whi_free(one);
        }
        s += n + (s[n] == ',');
    }
    return out;
}

/* "Name: value" lines (LF or CRLF) into a headers object. */
static cJSON *parse_lines(const whi_pfield *f, const cJSON *v, whi_problems *pr)
{
    if (cJSON_IsObject(v)) return cJSON_Duplicate(v, true); /* the native shape is accepted */
    if (!cJSON_IsString(v)) {
        whi_problem(pr, "%s must be \"Name: value\" lines", f->ext);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    for (const char *s = v->valuestring; out && *s;) {
        size_t n = strcspn(s, "\n");
        size_t len = n && s[n - 1] == '\r' ? n - 1 : n;
        const char *colon = memchr(s, ':', len);
        bool blank = strspn(s, " \t") >= len;
        if (!blank && (!colon || colon == s)) {
            whi_problem(pr, "%s: each line is \"Name: value\"", f->ext);
            cJSON_Delete(out);
            return NULL;
        }
        if (!blank) {
            char *name = whi_strndup(s, (size_t)(colon - s));
            const char *val = colon + 1 + strspn(colon + 1, " \t");
            char *value = whi_strndup(val, (size_t)(s + len - val));
            bool ok = name && value && cJSON_AddItemToObject(out, name, cJSON_CreateString(value));
            whi_free(name);
            whi_free(value);
            if (!ok) {
                cJSON_Delete(out);
                return NULL;
            }
        }
        s += n + (s[n] == '\n');
    }
    return out;
}

/* Event types given as custom ids, names or objects, into names. */
static cJSON *event_names(const whi_pfield *f, const api_catalogue *cat, const cJSON *v,
                          whi_problems *pr)
{
    if (!cJSON_IsArray(v)) {
        whi_problem(pr, "%s must be an array", f->ext);
        return NULL;
    }
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        const cJSON *key = e;
        for (size_t i = 0; cJSON_IsObject(e) && i < f->nshape && key == e; i++)
            if (f->shape[i].attr != WHI_ATTR_DISPLAY)
                key = cJSON_GetObjectItemCaseSensitive(e, f->shape[i].key);
        char text[64];
        if (cJSON_IsNumber(key) && key->valuedouble >= 0 && key->valuedouble < 1e15)
            snprintf(text, sizeof(text), "%.0f", key->valuedouble);
        else if (cJSON_IsString(key) && strlen(key->valuestring) < sizeof(text))
            snprintf(text, sizeof(text), "%s", key->valuestring);
        else {
            whi_problem(pr, "%s: each event is its id or its name", f->ext);
            continue;
        }
        const api_type *t = whi_api_type_find(cat, text);
        if (!t && cat->ntypes) {
            whi_problem(pr, "%s: %s is not a known event", f->ext, text);
            continue;
        }
        if (out) cJSON_AddItemToArray(out, cJSON_CreateString(t ? t->name : text));
    }
    return out;
}

static cJSON *product_ids(const whi_pfield *f, const cJSON *v, whi_problems *pr)
{
    if (!cJSON_IsArray(v)) {
        whi_problem(pr, "%s must be an array of product ids", f->ext);
        return NULL;
    }
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        const cJSON *id = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "id") : e;
        char text[64];
        if (cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 1e15)
            snprintf(text, sizeof(text), "%.0f", id->valuedouble);
        else if (cJSON_IsString(id) && strlen(id->valuestring) < sizeof(text))
            snprintf(text, sizeof(text), "%s", id->valuestring);
        else {
            whi_problem(pr, "%s: each product is its id", f->ext);
            continue;
        }
        if (out) cJSON_AddItemToArray(out, cJSON_CreateString(text));
    }
    return out;
}

static cJSON *field_in(const whi_pfield *f, const api_catalogue *cat, const cJSON *v,
                       whi_problems *pr)
{
    if (cJSON_IsNull(v) || (f->null_as && cJSON_Compare(v, f->null_as, true)))
        return cJSON_CreateNull();
    if (!enum_ok(f, v, pr)) return NULL;
    if (f->map) return map_back(f, v, pr);
    switch (f->as) {
    case WHI_AS_NUMBER:
        if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15) {
            char text[32];
            snprintf(text, sizeof(text), "%.0f", v->valuedouble);
            return cJSON_CreateString(text);
        }
        return cJSON_Duplicate(v, true);
    case WHI_AS_CSV:
        return split_csv(f, v, pr);
    case WHI_AS_FIRST: {
        if (cJSON_IsArray(v)) return cJSON_Duplicate(v, true);
        cJSON *a = cJSON_CreateArray();
        if (a) cJSON_AddItemToArray(a, cJSON_Duplicate(v, true));
        return a;
    }
    case WHI_AS_LINES:
        return parse_lines(f, v, pr);
    case WHI_AS_EVENT_OBJECTS:
        return event_names(f, cat, v, pr);
    case WHI_AS_PRODUCT_OBJECTS:
        return product_ids(f, v, pr);
    case WHI_AS_VALUE:
        break;
    }
    return cJSON_Duplicate(v, true);
}

/* onlyWhen: f given while its controlling field holds another value. */
static void check_when(const whi_pfield *f, const cJSON *ext, const cJSON *v, whi_problems *pr)
{
    if (!f->when_field || cJSON_IsNull(v) || (cJSON_IsArray(v) && !v->child)) return;
    const cJSON *other = whi_path_get(ext, f->when_field);
    if (!other || in_list(f->when_values, other)) return;
    char allowed[400];
    list_text(f->when_values, allowed, sizeof(allowed));
    whi_problem(pr, "%s is only accepted when %s is %s", f->ext, f->when_field, allowed);
}

/* The profile's entities: the entity must be one, and each action one of its. */
static void check_entity(const wh_profile *p, const cJSON *native, whi_problems *pr)
{
    const cJSON *ent = cJSON_GetObjectItemCaseSensitive(native, "entity");
    if (!p->entities || !cJSON_IsString(ent)) return;
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(p->entities, ent->valuestring);
    if (!actions) {
        whi_problem(pr, "%s is not an entity", ent->valuestring);
        return;
    }
    const cJSON *a, *given = cJSON_GetObjectItemCaseSensitive(native, "actions");
    cJSON_ArrayForEach(a, given) if (!in_list(actions, a))
    {
        char got[80], allowed[400];
        text_of(a, got, sizeof(got));
        list_text(actions, allowed, sizeof(allowed));
        whi_problem(pr, "Actions: \"%s\" is not an action of %s (%s)", got, ent->valuestring,
                    allowed);
    }
}

int whi_profile_to_native(const wh_profile *p, const api_catalogue *cat, const cJSON *ext,
                          bool full, cJSON **out)
{
    *out = cJSON_CreateObject();
    if (!*out) return whi_error_oom();
    whi_problems pr = {0};
    for (size_t i = 0; i < p->nfields; i++) {
        const whi_pfield *f = &p->fields[i];
        if (f->read_only) continue;
        const cJSON *v = whi_path_get(ext, f->ext);
        if (!v || (cJSON_IsNull(v) && f->required)) {
            if (f->required && full) whi_problem(&pr, "%s is required", f->ext);
            continue;
        }
        check_when(f, ext, v, &pr);
        size_t before = pr.count;
        cJSON *nv = field_in(f, cat, v, &pr);
        if (!nv && pr.count == before) whi_problem(&pr, "out of memory");
        if (nv && !whi_path_set(*out, f->native, nv)) whi_problem(&pr, "out of memory");
    }
    check_entity(p, *out, &pr);
    if (!pr.count) return WH_OK;
    cJSON_Delete(*out);
    *out = NULL;
    return whi_problems_fail(&pr, WH_EINVAL, "invalid webhook");
}
