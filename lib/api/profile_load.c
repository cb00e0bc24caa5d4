/*
 * Loading an API profile: the document is parsed, then every member is checked and indexed.
 * Whatever a profile cannot express is one problem naming the line and column of the value
 * (through whi_jpos), so an author fixes the file from the message alone; nothing is served
 * from a profile with any problem.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "profile_impl.h"
#include "webhooks/subscription.h"
#include "alloc.h"
#include "error.h"
#include "problems.h"
#include "json.h"
#include "jsonpos.h"
#include "compiler.h"

typedef struct loader {
    wh_profile *p;
    whi_jpos pos;
    whi_problems probs;
    char first[400]; /* the first problem, for the message */
} loader;

static void bad(loader *l, const cJSON *at, const char *fmt, ...) WHI_PRINTF(3, 4);
static void bad(loader *l, const cJSON *at, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t line = 0, col = 0;
    whi_jpos_of(&l->pos, at, &line, &col);
    if (!l->probs.count)
        snprintf(l->first, sizeof(l->first), "line %zu, column %zu: %s", line, col, msg);
    whi_problem(&l->probs, "line %zu, column %zu: %s", line, col, msg);
}

/* ---- small checks ---- */

static const char *const OPS[WHI_OP_COUNT] = {
    [WHI_OP_LIST] = "list",
    [WHI_OP_CREATE] = "create",
    [WHI_OP_GET] = "get",
    [WHI_OP_REPLACE] = "replace",
    [WHI_OP_UPDATE] = "update",
    [WHI_OP_DELETE] = "delete",
    [WHI_OP_ROTATE] = "rotate-secret",
    [WHI_OP_DELIVERIES] = "deliveries",
    [WHI_OP_TEST] = "test",
    [WHI_OP_RECOVER] = "recover",
    [WHI_OP_RETRY] = "retry-delivery",
    [WHI_OP_EMIT] = "emit",
    [WHI_OP_EVENT_TYPES] = "event-types",
};

const char *whi_op_name(whi_op op)
{
    return op < WHI_OP_COUNT ? OPS[op] : "?";
}

bool whi_op_takes_id(whi_op op)
{
    return op == WHI_OP_GET || op == WHI_OP_REPLACE || op == WHI_OP_UPDATE || op == WHI_OP_DELETE ||
           op == WHI_OP_ROTATE || op == WHI_OP_DELIVERIES || op == WHI_OP_TEST ||
           op == WHI_OP_RECOVER || op == WHI_OP_RETRY;
}

static int find_op(const char *name)
{
    for (int i = 0; i < WHI_OP_COUNT; i++)
        if (strcmp(OPS[i], name) == 0) return i;
    return -1;
}

/* A name: 1..WHI_PROFILE_MAX_NAME bytes of [A-Za-z0-9_.:-] and, when spaces, ' ' too. */
static bool is_name(const char *s, bool spaces)
{
    size_t n = strlen(s);
    if (n == 0 || n > WHI_PROFILE_MAX_NAME) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' || ch == ':' ||
                  (spaces && ch == ' ');
        if (!ok) return false;
    }
    return true;
}

static const char *string_of(loader *l, const cJSON *v, const char *what, bool spaces)
{
    if (!cJSON_IsString(v) || !is_name(v->valuestring, spaces)) {
        bad(l, v, "%s must be a name of 1..%d letters, digits or _ . : -%s", what,
            WHI_PROFILE_MAX_NAME, spaces ? " or spaces" : "");
        return NULL;
    }
    return v->valuestring;
}

/* Members of obj not in allowed are problems. */
static void only_members(loader *l, const cJSON *obj, const char *where, const char *const *allowed)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, m->string) == 0;
        if (!known) bad(l, m, "%s: unknown member \"%.64s\"", where, m->string);
    }
}

/* ---- the native model's fields ---- */

typedef struct native_field {
    const char *path;
    bool list;      /* a list of strings */
    bool read_only; /* set by the server only */
} native_field;

static const native_field NATIVE[] = {
    {"id", false, true},
    {"ownerId", false, true},
    {"name", false, false},
    {"description", false, false},
    {"url", false, false},
    {"method", false, false},
    {"status", false, false},
    {"disabledReason", false, false},
    {"events", true, false},
    {"entity", false, false},
    {"actions", true, false},
    {"filters.products", true, false},
    {"filters.eventIdentifiers", true, false},
    {"filters.source", false, false},
    {"filter", false, false},
    {"headers", false, false},
    {"body", false, false},
    {"includeRelations", true, false},
    {"secret", false, false},
    {"signature.scheme", false, false},
    {"retry.enabled", false, false},
    {"retry.schedule", false, false},
    {"timeouts.connectMs", false, false},
    {"timeouts.totalMs", false, false},
    {"metadata", false, false},
    {"createdAt", false, true},
    {"updatedAt", false, true},
    {"lastDeliveryAt", false, true},
    {"lastDeliveryStatus", false, true},
    {"failureCount", false, true},
    {"failingSince", false, true},
};

static const native_field *native_field_find(const char *path)
{
    static const native_field meta = {"metadata.*", false, false};
    for (size_t i = 0; i < WHI_ARRAY_LEN(NATIVE); i++)
        if (strcmp(NATIVE[i].path, path) == 0) return &NATIVE[i];
    /* A host's own members live in metadata: "metadata.plan" */
    if (strncmp(path, "metadata.", 9) == 0 && path[9] && !strstr(path + 9, "..") &&
        path[strlen(path) - 1] != '.')
        return &meta;
    return NULL;
}

/* A dotted path of names: "fields.secret". */
static bool is_path(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WHI_PROFILE_MAX_PATH || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || s[i] == '"' || s[i] == '\\' || s[i] == 0x7f) return false;
    return true;
}

/* ---- fields ---- */

static const struct {
    const char *name;
    whi_pas as;
} AS[] = {
    {"value", WHI_AS_VALUE},
    {"number", WHI_AS_NUMBER},
    {"csv", WHI_AS_CSV},
    {"first", WHI_AS_FIRST},
    {"lines", WHI_AS_LINES},
    {"event-objects", WHI_AS_EVENT_OBJECTS},
    {"product-objects", WHI_AS_PRODUCT_OBJECTS},
};

static void field_as(loader *l, whi_pfield *f, const cJSON *v, const native_field *nf)
{
    size_t i = 0;
    while (i < WHI_ARRAY_LEN(AS) && !(cJSON_IsString(v) && strcmp(AS[i].name, v->valuestring) == 0))
        i++;
    if (i == WHI_ARRAY_LEN(AS)) {
        bad(l, v,
            "\"as\" must be value, number, csv, first, lines, event-objects or product-objects");
        return;
    }
    f->as = AS[i].as;
    bool list = nf && nf->list;
    if ((f->as == WHI_AS_CSV || f->as == WHI_AS_FIRST) && !list)
        bad(l, v, "\"as\": \"%s\" needs a list field, and %s is not one", AS[i].name, f->native);
    if (f->as == WHI_AS_LINES && strcmp(f->native, "headers") != 0)
        bad(l, v, "\"as\": \"lines\" is only for the headers field");
    if (f->as == WHI_AS_EVENT_OBJECTS && strcmp(f->native, "events") != 0)
        bad(l, v, "\"as\": \"event-objects\" is only for the events field");
    if (f->as == WHI_AS_PRODUCT_OBJECTS && strcmp(f->native, "filters.products") != 0)
        bad(l, v, "\"as\": \"product-objects\" is only for the filters.products field");
}

static void field_shape(loader *l, whi_pfield *f, const cJSON *v)
{
    if (!cJSON_IsObject(v)) {
        bad(l, v, "\"shape\" must be an object of member -> name, displayName or customId");
        return;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        whi_pattr a;
        if (cJSON_IsString(m) && strcmp(m->valuestring, "name") == 0)
            a = WHI_ATTR_NAME;
        else if (cJSON_IsString(m) && strcmp(m->valuestring, "displayName") == 0)
            a = WHI_ATTR_DISPLAY;
        else if (cJSON_IsString(m) && strcmp(m->valuestring, "customId") == 0)
            a = WHI_ATTR_CUSTOM_ID;
        else {
            bad(l, m, "shape: \"%.64s\" must be name, displayName or customId", m->string);
            continue;
        }
        if (f->nshape == WHI_PROFILE_MAX_SHAPE) {
            bad(l, m, "shape: at most %d members", WHI_PROFILE_MAX_SHAPE);
            return;
        }
        f->shape[f->nshape].key = m->string;
        f->shape[f->nshape++].attr = a;
    }
}

static void field_spec(loader *l, whi_pfield *f, const cJSON *spec)
{
    static const char *const MEMBERS[] = {"from", "as",     "required", "readOnly", "map",
                                          "enum", "nullAs", "onlyWhen", "shape",    NULL};
    only_members(l, spec, f->ext, MEMBERS);
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(spec, "from");
    if (!cJSON_IsString(from)) {
        bad(l, spec, "%s: \"from\" must name a field of the webhook model", f->ext);
        return;
    }
    f->native = from->valuestring;
    const native_field *nf = native_field_find(f->native);
    if (!nf) {
        bad(l, from, "%s: the webhook model has no field \"%.64s\"", f->ext, f->native);
        return;
    }
    f->read_only = nf->read_only;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "as"))) field_as(l, f, v, nf);
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "required"))) {
        if (!cJSON_IsBool(v)) bad(l, v, "\"required\" must be true or false");
        f->required = cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "readOnly"))) {
        if (!cJSON_IsBool(v)) bad(l, v, "\"readOnly\" must be true or false");
        f->read_only |= cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "map"))) {
        if (!cJSON_IsObject(v) || !v->child)
            bad(l, v, "\"map\" must be an object of model value -> shown value");
        f->map = v;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "enum"))) {
        if (!cJSON_IsArray(v) || !v->child) bad(l, v, "\"enum\" must be a non-empty array");
        f->enumv = v;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "nullAs"))) f->null_as = v;
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "onlyWhen"))) {
        const cJSON *w = cJSON_IsObject(v) ? v->child : NULL;
        if (!w || w->next || !cJSON_IsArray(w))
            bad(l, v, "\"onlyWhen\" must be one member: another field -> its accepted values");
        else {
            f->when_field = w->string;
            f->when_values = w;
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(spec, "shape"))) {
        if (f->as != WHI_AS_EVENT_OBJECTS) bad(l, v, "\"shape\" is only for event-objects");
        field_shape(l, f, v);
    }
}

static void load_fields(loader *l, const cJSON *fields)
{
    wh_profile *p = l->p;
    if (cJSON_IsString(fields) && strcmp(fields->valuestring, "native") == 0) {
        p->native_fields = true;
        return;
    }
    if (!cJSON_IsObject(fields) || !fields->child) {
        bad(l, fields, "\"fields\" must be \"native\" or an object of member -> model field");
        return;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, fields)
    {
        if (p->nfields == WHI_PROFILE_MAX_FIELDS) {
            bad(l, m, "at most %d fields", WHI_PROFILE_MAX_FIELDS);
            return;
        }
        whi_pfield *f = &p->fields[p->nfields];
        memset(f, 0, sizeof(*f));
        f->ext = m->string;
        if (!is_path(f->ext)) {
            bad(l, m, "\"%.64s\" is not a member name or dotted path", f->ext);
            continue;
        }
        for (size_t i = 0; i < p->nfields; i++)
            if (strcmp(p->fields[i].ext, f->ext) == 0) bad(l, m, "%.64s is given twice", f->ext);
        if (cJSON_IsString(m)) {
            f->native = m->valuestring;
            const native_field *nf = native_field_find(f->native);
            if (!nf)
                bad(l, m, "%.64s: the webhook model has no field \"%.64s\"", f->ext, f->native);
            else
                f->read_only = nf->read_only;
        } else if (cJSON_IsObject(m)) {
            field_spec(l, f, m);
        } else {
            bad(l, m, "%.64s: must be a model field's name or an object with \"from\"", f->ext);
        }
        p->nfields++;
    }
    for (size_t i = 0; i < p->nfields; i++) { /* onlyWhen names another field of the profile */
        const whi_pfield *f = &p->fields[i];
        bool found = false;
        for (size_t j = 0; f->when_field && j < p->nfields && !found; j++)
            found = strcmp(p->fields[j].ext, f->when_field) == 0;
        if (f->when_field && !found)
            bad(l, f->when_values, "onlyWhen: the profile has no field \"%.64s\"", f->when_field);
    }
}

/* ---- routes ---- */

static bool is_segment(const char *s, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.' || ch == '~'))
            return false;
    }
    return true;
}

/* "GET /a/{id}/b" into r; NULL or the reason. */
static const char *parse_route(whi_proute *r, const char *key)
{
    const char *sp = strchr(key, ' ');
    if (!sp || sp == key || (size_t)(sp - key) >= sizeof(r->method))
        return "a route is \"METHOD /path\"";
    memcpy(r->method, key, (size_t)(sp - key));
    r->method[sp - key] = '\0';
    static const char *const METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    bool known = false;
    for (size_t i = 0; i < WHI_ARRAY_LEN(METHODS); i++)
        known |= strcmp(METHODS[i], r->method) == 0;
    if (!known) return "the method must be GET, POST, PUT, PATCH or DELETE";
    const char *path = sp + 1;
    size_t len = strlen(path);
    if (path[0] != '/' || len > WHI_PROFILE_MAX_PATH) return "the path must start with /";
    if (len > 1 && path[len - 1] == '/') len--; /* a trailing slash is optional when served */
    size_t params = 0;
    for (size_t i = 1; i < len;) {
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        if (r->nsegs == WHI_PROFILE_MAX_SEGS) return "a path has at most 8 segments";
        const char *s = path + i;
        size_t n = end - i;
        if (n > 2 && s[0] == '{' && s[n - 1] == '}' && is_segment(s + 1, n - 2)) {
            r->segs[r->nsegs++] = NULL;
            params++;
        } else if (is_segment(s, n)) {
            if (!(r->segs[r->nsegs++] = whi_strndup(s, n))) return "out of memory";
        } else {
            return "a path segment is letters, digits, - _ . ~ or one {parameter}";
        }
        i = end + 1;
    }
    if (params > 1) return "a path has at most one {parameter} (the webhook's id)";
    return params ? "1" : "0";
}

static bool same_shape(const whi_proute *a, const whi_proute *b)
{
    if (a->nsegs != b->nsegs) return false;
    for (size_t i = 0; i < a->nsegs; i++)
        if ((a->segs[i] == NULL) != (b->segs[i] == NULL) ||
            (a->segs[i] && strcmp(a->segs[i], b->segs[i]) != 0))
            return false;
    return true;
}

static void load_routes(loader *l, const cJSON *routes)
{
    wh_profile *p = l->p;
    if (!cJSON_IsObject(routes) || !routes->child) {
        bad(l, routes, "\"routes\" must be an object of \"METHOD /path\" -> operation");
        return;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, routes)
    {
        if (p->nroutes == WHI_PROFILE_MAX_ROUTES) {
            bad(l, m, "at most %d routes", WHI_PROFILE_MAX_ROUTES);
            return;
        }
        whi_proute *r = &p->routes[p->nroutes++];
        const char *why = parse_route(r, m->string);
        if (strcmp(why, "0") != 0 && strcmp(why, "1") != 0) {
            bad(l, m, "route \"%.80s\": %s", m->string, why);
            continue;
        }
        int op = cJSON_IsString(m) ? find_op(m->valuestring) : -1;
        if (op < 0) {
            bad(l, m,
                "route \"%.80s\": unknown operation (list, create, get, replace, update, delete, "
                "rotate-secret, deliveries, test, recover, retry-delivery, emit, event-types)",
                m->string);
            continue;
        }
        r->op = (whi_op)op;
        if (whi_op_takes_id((whi_op)op) != (why[0] == '1'))
            bad(l, m, "route \"%.80s\": %s %s the {id} in its path", m->string, OPS[op],
                whi_op_takes_id((whi_op)op) ? "needs" : "takes no");
        for (size_t i = 0; i + 1 < p->nroutes; i++)
            if (strcmp(p->routes[i].method, r->method) == 0 && same_shape(&p->routes[i], r))
                bad(l, m, "route \"%.80s\" is given twice", m->string);
    }
}

/* ---- answers ---- */

/* Check the $placeholders of an answer template against allowed; *has tells which were used. */
static void check_template(loader *l, const cJSON *t, const char *const *allowed, unsigned *has)
{
    if (cJSON_IsString(t) && t->valuestring[0] == '$') {
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], t->valuestring) == 0) {
                *has |= 1u << i;
                return;
            }
        bad(l, t, "unknown placeholder \"%.64s\" here", t->valuestring);
        return;
    }
    for (const cJSON *c = t->child; c; c = c->next)
        check_template(l, c, allowed, has);
}

static void load_answers(loader *l, const cJSON *ans)
{
    wh_profile *p = l->p;
    static const char *const MEMBERS[] = {"list", "item", "deleted", "error", NULL};
    static const char *const LIST[] = {"$items", "$total",    "$page",    "$limit",
                                       "$next",  "$previous", "$message", NULL};
    static const char *const ITEM[] = {"$item", "$message", NULL};
    static const char *const DELETED[] = {"$message", "$id", NULL};
    static const char *const ERROR[] = {"$message", "$details", "$error", "$status", NULL};
    if (!cJSON_IsObject(ans)) {
        bad(l, ans, "\"answers\" must be an object");
        return;
    }
    only_members(l, ans, "answers", MEMBERS);
    const cJSON *v;
    unsigned has = 0;
    if ((v = cJSON_GetObjectItemCaseSensitive(ans, "list"))) {
        check_template(l, v, LIST, &has);
        if (!(has & 1u)) bad(l, v, "answers.list must hold \"$items\"");
        p->ans_list = v;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ans, "item"))) {
        has = 0;
        check_template(l, v, ITEM, &has);
        if (!(has & 1u)) bad(l, v, "answers.item must hold \"$item\"");
        p->ans_item = v;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ans, "deleted"))) {
        check_template(l, v, DELETED, &has);
        p->deleted_empty = cJSON_IsNull(v);
        p->ans_deleted = p->deleted_empty ? NULL : v;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(ans, "error"))) {
        check_template(l, v, ERROR, &has);
        p->ans_error = v;
    }
}

/* ---- the rest ---- */

static void load_auth(loader *l, const cJSON *auth)
{
    wh_profile *p = l->p;
    static const char *const MEMBERS[] = {"credentials", "scopes", "keyPrefix", NULL};
    if (!cJSON_IsObject(auth)) {
        bad(l, auth, "\"auth\" must be an object");
        return;
    }
    only_members(l, auth, "auth", MEMBERS);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(auth, "credentials"), *c;
    if (v) {
        p->credentials = 0;
        if (!cJSON_IsArray(v) || !v->child)
            bad(l, v, "auth.credentials must be a non-empty array of \"bearer\", \"x-api-key\"");
        cJSON_ArrayForEach(c, v)
        {
            if (cJSON_IsString(c) && strcmp(c->valuestring, "bearer") == 0)
                p->credentials |= WHI_CRED_BEARER;
            else if (cJSON_IsString(c) && strcmp(c->valuestring, "x-api-key") == 0)
                p->credentials |= WHI_CRED_API_KEY;
            else
                bad(l, c, "auth.credentials: \"bearer\" or \"x-api-key\"");
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(auth, "keyPrefix")))
        p->key_prefix = string_of(l, v, "auth.keyPrefix", false);
    if ((v = cJSON_GetObjectItemCaseSensitive(auth, "scopes"))) {
        static const char *const SCOPES[] = {"read", "write", NULL};
        if (!cJSON_IsObject(v)) bad(l, v, "auth.scopes must be an object: read, write");
        only_members(l, v, "auth.scopes", SCOPES);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "read");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(v, "write");
        if (r) p->scope_read = string_of(l, r, "auth.scopes.read", true);
        if (w) p->scope_write = string_of(l, w, "auth.scopes.write", true);
    }
}

static void load_statuses(loader *l, const cJSON *st)
{
    if (!cJSON_IsObject(st)) {
        bad(l, st, "\"statuses\" must be an object of operation -> HTTP status");
        return;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, st)
    {
        int op = find_op(m->string);
        if (op < 0)
            bad(l, m, "statuses: unknown operation \"%.64s\"", m->string);
        else if (!cJSON_IsNumber(m) || m->valuedouble < 200 || m->valuedouble > 299 ||
                 m->valuedouble != (int)m->valuedouble)
            bad(l, m, "statuses.%s must be a success status, 200..299", m->string);
        else
            l->p->status[op] = (int)m->valuedouble;
    }
}

static void load_paging(loader *l, const cJSON *pg)
{
    static const char *const MEMBERS[] = {"page", "limit", NULL};
    if (!cJSON_IsObject(pg)) {
        bad(l, pg, "\"paging\" must be an object: page, limit (the query parameters' names)");
        return;
    }
    only_members(l, pg, "paging", MEMBERS);
    const cJSON *page = cJSON_GetObjectItemCaseSensitive(pg, "page");
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(pg, "limit");
    l->p->page_param = page ? string_of(l, page, "paging.page", false) : "page";
    l->p->limit_param = limit ? string_of(l, limit, "paging.limit", false) : "limit";
}

static void load_entities(loader *l, const cJSON *ents)
{
    if (!cJSON_IsObject(ents)) {
        bad(l, ents, "\"entities\" must be an object of entity -> its actions");
        return;
    }
    const cJSON *e, *a;
    cJSON_ArrayForEach(e, ents)
    {
        if (!cJSON_IsArray(e)) bad(l, e, "entities.%.64s must be an array of actions", e->string);
        cJSON_ArrayForEach(a, e) if (!cJSON_IsString(a) || !is_name(a->valuestring, false))
            bad(l, a, "entities.%.64s: an action is a name", e->string);
    }
    l->p->entities = ents;
}

static void load_delivery(loader *l, const cJSON *d)
{
    wh_profile *p = l->p;
    static const char *const MEMBERS[] = {"signature", "body", "retry", "timeoutMs", NULL};
    if (!cJSON_IsObject(d)) {
        bad(l, d, "\"delivery\" must be an object");
        return;
    }
    only_members(l, d, "delivery", MEMBERS);
    const cJSON *v;
    wh_scheme scheme;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "signature"))) {
        if (!cJSON_IsString(v) || wh_scheme_parse(v->valuestring, &scheme) != WH_OK)
            bad(l, v, "delivery.signature must be standard, github, stripe, body or none");
        else
            p->scheme = v->valuestring;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "body"))) {
        if (!cJSON_IsString(v) || strlen(v->valuestring) > WH_MAX_BODY_TEMPLATE_LEN)
            bad(l, v, "delivery.body must be a body template (a string)");
        else
            p->body = v->valuestring;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "retry"))) {
        if (!cJSON_IsString(v) || wh_retry_preset_get(v->valuestring, NULL, NULL, NULL) != WH_OK)
            bad(l, v, "delivery.retry must name a retry preset (standard, none, commerce, cakto)");
        else
            p->retry_preset = v->valuestring;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "timeoutMs"))) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 600000 ||
            v->valuedouble != (double)(uint32_t)v->valuedouble)
            bad(l, v, "delivery.timeoutMs must be whole milliseconds 1..600000");
        else
            p->timeout_ms = (uint32_t)v->valuedouble;
    }
}

static void load_all(loader *l, const cJSON *root)
{
    wh_profile *p = l->p;
    static const char *const MEMBERS[] = {"profile",  "title",    "auth",   "ids",     "times",
                                          "routes",   "statuses", "paging", "answers", "fields",
                                          "entities", "delivery", NULL};
    only_members(l, root, "profile", MEMBERS);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "profile");
    if (!v)
        bad(l, root, "\"profile\" (its name) is missing");
    else
        p->name = string_of(l, v, "\"profile\"", false);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "title")) && !cJSON_IsString(v))
        bad(l, v, "\"title\" must be a string");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "auth"))) load_auth(l, v);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "ids"))) {
        bool i = cJSON_IsString(v) && strcmp(v->valuestring, "integer") == 0;
        if (!i && !(cJSON_IsString(v) && strcmp(v->valuestring, "string") == 0))
            bad(l, v, "\"ids\" must be \"string\" or \"integer\"");
        p->integer_ids = i;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "times"))) {
        const char *t = cJSON_IsString(v) ? v->valuestring : "";
        p->times = strcmp(t, "utc") == 0    ? WHI_TIMES_UTC
                   : strcmp(t, "host") == 0 ? WHI_TIMES_HOST
                                            : WHI_TIMES_NATIVE;
        if (p->times == WHI_TIMES_NATIVE && strcmp(t, "native") != 0)
            bad(l, v, "\"times\" must be \"utc\", \"host\" or \"native\"");
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "routes");
    if (!v)
        bad(l, root, "\"routes\" is missing");
    else
        load_routes(l, v);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "statuses"))) load_statuses(l, v);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "paging"))) load_paging(l, v);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "answers"))) load_answers(l, v);
    v = cJSON_GetObjectItemCaseSensitive(root, "fields");
    if (!v)
        bad(l, root, "\"fields\" is missing (\"native\" or the field mapping)");
    else
        load_fields(l, v);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "entities"))) load_entities(l, v);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "delivery"))) load_delivery(l, v);
    if (p->native_fields && (p->ans_list || p->ans_item || p->ans_deleted || p->deleted_empty))
        bad(l, root,
            "a profile with \"fields\": \"native\" answers in the native shapes: "
            "only answers.error may be given");
}

/* ---- entry points ---- */

static void profile_destroy(wh_profile *p)
{
    for (size_t i = 0; i < WHI_PROFILE_MAX_ROUTES; i++)
        for (size_t s = 0; s < p->routes[i].nsegs; s++)
            whi_free(p->routes[i].segs[s]);
    cJSON_Delete(p->doc);
    whi_free(p);
}

/* Where a document that does not parse went wrong: "line L, column C". */
static int parse_failed(const char *json, size_t len, size_t at)
{
    whi_jpos pos = {NULL, 0, json, len};
    size_t line, col;
    whi_jpos_line_col(&pos, at, &line, &col);
    char why[300];
    snprintf(why, sizeof(why), "%s", wh_error_last()->message);
    int code = wh_error_last()->code == WH_ETOOLARGE ? WH_ETOOLARGE : WH_EINVAL;
    whi_error_begin();
    whi_error_detail("line %zu, column %zu: %s", line, col, why);
    return whi_error_finish(code, "profile: line %zu, column %zu: %s", line, col, why);
}

int wh_profile_load(wh_profile **out, const char *json, size_t len)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!json) return whi_error(WH_EINVAL, "json must not be NULL");
    if (len > WH_PROFILE_MAX_LEN)
        return whi_error(WH_ETOOLARGE, "profile: %zu bytes is over the limit of %d", len,
                         WH_PROFILE_MAX_LEN);
    if (memchr(json, '\0', len)) return whi_error(WH_EINVAL, "profile: the text holds a NUL byte");
    cJSON *root = NULL;
    size_t at = 0;
    int rc = whi_json_parse_at(json, len, WH_PROFILE_MAX_LEN, &root, &at);
    if (rc == WH_ENOMEM) return rc;
    if (rc != WH_OK) return parse_failed(json, len, at);
    wh_profile *p = whi_calloc(1, sizeof(*p));
    loader l;
    memset(&l, 0, sizeof(l));
    l.p = p;
    if (!p || (rc = whi_jpos_build(&l.pos, root, json, len)) != WH_OK) {
        cJSON_Delete(root);
        whi_free(p);
        return p ? rc : whi_error_oom();
    }
    p->doc = root;
    atomic_init(&p->refs, 1);
    p->credentials = WHI_CRED_BEARER | WHI_CRED_API_KEY;
    if (!cJSON_IsObject(root))
        bad(&l, root, "a profile is a JSON object");
    else
        load_all(&l, root);
    whi_jpos_free(&l.pos);
    if (l.probs.count) { /* the message names the first problem, the details each one */
        whi_error_begin();
        for (size_t i = 0; i < l.probs.list.n; i++)
            whi_error_detail("%s", l.probs.list.v[i]);
        rc = whi_error_finish(WH_EINVAL, "profile%s%s: %s", p->name ? " " : "",
                              p->name ? p->name : "", l.first);
        whi_problems_clear(&l.probs);
        profile_destroy(p);
        return rc;
    }
    whi_problems_clear(&l.probs);
    *out = p;
    return WH_OK;
}

void whi_profile_ref(wh_profile *p)
{
    atomic_fetch_add(&p->refs, 1);
}

void wh_profile_free(wh_profile *profile)
{
    if (profile && atomic_fetch_sub(&profile->refs, 1) == 1) profile_destroy(profile);
}

const char *wh_profile_name(const wh_profile *profile)
{
    return profile ? profile->name : NULL;
}
