/*
 * Payload filters: compiling the JSON form into one relocatable block (filter_impl.h), with one
 * problem per mistake, each naming its path. Every limit is checked while compiling, before
 * anything is kept past it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "filter_impl.h"
#include "validate.h"
#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "json.h"
#include "compiler.h"

/* Room for a path named in a problem; longer ones are cut (the message still says where). */
#define WHERE_MAX 192

/* A path for problems: formatted, cut at WHERE_MAX. */
static void where_fmt(char out[WHERE_MAX], const char *fmt, ...) WHI_PRINTF(2, 3);
static void where_fmt(char out[WHERE_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, WHERE_MAX, fmt, ap);
    va_end(ap);
}

static const char *const ROOTS[] = {
    [WHI_FR_ID] = "id",
    [WHI_FR_TYPE] = "type",
    [WHI_FR_ENTITY] = "entity",
    [WHI_FR_ACTION] = "action",
    [WHI_FR_IDENTIFIER] = "identifier",
    [WHI_FR_SOURCE] = "source",
    [WHI_FR_OCCURRED_AT] = "occurredAt",
    [WHI_FR_IDS] = "ids",
    [WHI_FR_PRODUCTS] = "products",
    [WHI_FR_ATTRIBUTES] = "attributes",
    [WHI_FR_DATA] = "data",
    [WHI_FR_RELATIONS] = "relations",
};
#define NROOTS (sizeof(ROOTS) / sizeof(ROOTS[0]))

static const struct {
    const char *name;
    uint8_t op;
} OPS[] = {
    {"$eq", WHI_OP_EQ},
    {"$neq", WHI_OP_NEQ},
    {"$gt", WHI_OP_GT},
    {"$gte", WHI_OP_GTE},
    {"$lt", WHI_OP_LT},
    {"$lte", WHI_OP_LTE},
    {"$in", WHI_OP_IN},
    {"$nin", WHI_OP_NIN},
    {"$exist", WHI_OP_EXIST},
    {"$contains", WHI_OP_CONTAINS},
    {"$startsWith", WHI_OP_STARTS},
    {"$endsWith", WHI_OP_ENDS},
};
#define NOPS (sizeof(OPS) / sizeof(OPS[0]))

/* Growable arrays of the compile, packed into the block at the end. */
typedef struct cc {
    whi_problems *p;
    whi_fnode *nodes;
    whi_fseg *segs;
    whi_farg *args;
    size_t nnodes, nsegs, nargs, cap_nodes, cap_segs, cap_args;
    whi_buf strings;
    size_t conditions;
    size_t problems_at_start;
    bool too_many; /* the conditions limit was reported */
    bool oom;
} cc;

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *g = whi_realloc(*v, ncap * size);
    if (!g) return false;
    *v = g;
    *cap = ncap;
    return true;
}

/* Append a node; its index, or SIZE_MAX when out of memory. */
static size_t push_node(cc *c, whi_fnode n)
{
    if (!grow((void **)&c->nodes, &c->cap_nodes, c->nnodes, sizeof(n))) {
        c->oom = true;
        return SIZE_MAX;
    }
    c->nodes[c->nnodes] = n;
    return c->nnodes++;
}

static uint32_t push_string(cc *c, const char *s, size_t len)
{
    uint32_t off = (uint32_t)c->strings.len;
    whi_buf_append(&c->strings, s, len);
    whi_buf_putc(&c->strings, '\0');
    if (c->strings.failed) c->oom = true;
    return off;
}

static void push_seg(cc *c, const char *s, size_t len)
{
    if (!grow((void **)&c->segs, &c->cap_segs, c->nsegs, sizeof(whi_fseg))) {
        c->oom = true;
        return;
    }
    uint32_t index = len > 0 && len <= 9 ? 0 : WHI_FSEG_NAME;
    for (size_t i = 0; i < len && index != WHI_FSEG_NAME; i++)
        index = s[i] >= '0' && s[i] <= '9' ? index * 10 + (uint32_t)(s[i] - '0') : WHI_FSEG_NAME;
    c->segs[c->nsegs++] =
        (whi_fseg){push_string(c, s, len), (uint32_t)len, whi_jkey_hash(s, len), index};
}

/* A scalar operand; false (nothing added) when v is not one. */
static bool push_arg(cc *c, const cJSON *v)
{
    whi_farg a = {0};
    if (cJSON_IsNull(v)) {
        a.type = WHI_JNULL;
    } else if (cJSON_IsBool(v)) {
        a.type = cJSON_IsTrue(v) ? WHI_JTRUE : WHI_JFALSE;
    } else if (cJSON_IsNumber(v)) {
        a.type = WHI_JNUMBER;
        a.num = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        a.type = WHI_JSTRING;
        a.len = (uint32_t)strlen(v->valuestring);
        a.off = push_string(c, v->valuestring, a.len);
    } else {
        return false;
    }
    if (!grow((void **)&c->args, &c->cap_args, c->nargs, sizeof(a))) {
        c->oom = true;
        return true;
    }
    c->args[c->nargs++] = a;
    return true;
}

/* ---- paths ---- */

typedef struct path_info {
    uint8_t root;
    const char *rest; /* after the root segment and its dot ("" when none) */
} path_info;

static int root_of(const char *path, size_t len)
{
    for (size_t i = 0; i < NROOTS; i++)
        if (strlen(ROOTS[i]) == len && memcmp(ROOTS[i], path, len) == 0) return (int)i;
    return -1;
}

/* Check a path's form and its root; false after adding a problem. */
static bool check_path(cc *c, const char *where, const char *path, path_info *out)
{
    size_t len = strlen(path), nseg = 1;
    if (len == 0 || len > WH_FILTER_MAX_PATH_LEN) {
        whi_problem(c->p, "%s: a path must be 1..%d bytes", where, WH_FILTER_MAX_PATH_LEN);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (path[i] != '.') continue;
        if (i == 0 || i + 1 == len || path[i + 1] == '.') {
            whi_problem(c->p, "%s: a path must not have empty dot-separated segments", where);
            return false;
        }
        nseg++;
    }
    if (nseg > WH_FILTER_MAX_SEGMENTS) {
        whi_problem(c->p, "%s: a path must have at most %d segments", where,
                    WH_FILTER_MAX_SEGMENTS);
        return false;
    }
    const char *dot = strchr(path, '.');
    size_t rlen = dot ? (size_t)(dot - path) : len;
    int root = root_of(path, rlen);
    if (root < 0) {
        whi_problem(c->p,
                    "%s: a path starts with id, type, entity, action, identifier, source, "
                    "occurredAt, ids, products, attributes, data or relations",
                    where);
        return false;
    }
    out->root = (uint8_t)root;
    out->rest = dot ? dot + 1 : "";
    bool has_rest = dot != NULL;
    if (root <= WHI_FR_OCCURRED_AT && has_rest) {
        whi_problem(c->p, "%s: %s is a string and has no members", where, ROOTS[root]);
        return false;
    }
    if ((root == WHI_FR_IDS || root == WHI_FR_PRODUCTS) && has_rest &&
        (strchr(out->rest, '.') || strspn(out->rest, "0123456789") != strlen(out->rest))) {
        whi_problem(c->p, "%s: %s is an array of strings: only an index may follow (%s.0)", where,
                    ROOTS[root], ROOTS[root]);
        return false;
    }
    const char *why = root == WHI_FR_ATTRIBUTES && has_rest ? whi_check_attr_name(out->rest) : NULL;
    if (why) {
        whi_problem(c->p, "%s: the attribute name %s", where, why);
        return false;
    }
    return true;
}

/* The segments after the root: one for an attribute's name (it may hold dots), else each. */
static uint8_t push_segments(cc *c, const path_info *pi)
{
    if (!*pi->rest) return 0;
    if (pi->root == WHI_FR_ATTRIBUTES) {
        push_seg(c, pi->rest, strlen(pi->rest));
        return 1;
    }
    uint8_t n = 0;
    for (const char *s = pi->rest;; n++) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        push_seg(c, s, len);
        if (!dot) return (uint8_t)(n + 1);
        s = dot + 1;
    }
}

/* ---- conditions ---- */

static int op_of(const char *name)
{
    for (size_t i = 0; i < NOPS; i++)
        if (strcmp(OPS[i].name, name) == 0) return OPS[i].op;
    return -1;
}

static bool is_scalar(const cJSON *v)
{
    return cJSON_IsNull(v) || cJSON_IsBool(v) || cJSON_IsNumber(v) || cJSON_IsString(v);
}

/* Whether v suits op; else the problem's wording (after the operator's path). */
static const char *operand_problem(int op, const cJSON *v)
{
    switch (op) {
    case WHI_OP_GT:
    case WHI_OP_GTE:
    case WHI_OP_LT:
    case WHI_OP_LTE:
        return cJSON_IsNumber(v) || cJSON_IsString(v) ? NULL : "must be a number or a string";
    case WHI_OP_IN:
    case WHI_OP_NIN: {
        int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
        if (n < 1 || n > WH_FILTER_MAX_LIST)
            return "must be an array of 1..256 strings, numbers, booleans or nulls";
        const cJSON *e;
        cJSON_ArrayForEach(
            e, v) if (!is_scalar(e)) return "must hold only strings, numbers, booleans or nulls";
        return NULL;
    }
    case WHI_OP_EXIST:
        return cJSON_IsBool(v) ? NULL : "must be true or false";
    case WHI_OP_STARTS:
    case WHI_OP_ENDS:
        return cJSON_IsString(v) ? NULL : "must be a string";
    default: /* $eq, $neq, $contains */
        return is_scalar(v) ? NULL
                            : "must be a string, number, boolean or null (use $in for a list)";
    }
}

/* Count one more condition; false (reported once) past the limit. */
static bool count_condition(cc *c)
{
    if (++c->conditions <= WH_FILTER_MAX_CONDITIONS) return true;
    if (!c->too_many)
        whi_problem(c->p, "filter: more than %d conditions", WH_FILTER_MAX_CONDITIONS);
    c->too_many = true;
    return false;
}

static void add_condition(cc *c, const char *path, const path_info *pi, int op,
                          const cJSON *operand)
{
    if (!count_condition(c)) return;
    whi_fnode n = {.kind = WHI_FN_COND, .op = (uint8_t)op, .root = pi->root};
    n.path_len = (uint32_t)strlen(path);
    n.path = push_string(c, path, n.path_len);
    n.path_hash = whi_jkey_hash(path, n.path_len);
    n.seg = (uint32_t)c->nsegs;
    n.nseg = push_segments(c, pi);
    n.arg = (uint32_t)c->nargs;
    if (op == WHI_OP_IN || op == WHI_OP_NIN) {
        const cJSON *e;
        cJSON_ArrayForEach(e, operand) push_arg(c, e);
    } else if (op != WHI_OP_EXIST) {
        push_arg(c, operand);
    } else {
        n.arg = cJSON_IsTrue(operand); /* $exist keeps its flag here */
    }
    n.nargs = op == WHI_OP_EXIST ? 0 : (uint32_t)(c->nargs - n.arg);
    size_t i = push_node(c, n);
    if (i != SIZE_MAX) c->nodes[i].end = (uint32_t)(i + 1);
}

/* One member "path": value of a filter object. */
static void compile_path(cc *c, const char *where, const cJSON *m)
{
    char at[WHERE_MAX];
    where_fmt(at, "%s.%s", where, m->string);
    path_info pi;
    if (!check_path(c, at, m->string, &pi)) return;
    if (cJSON_IsArray(m)) {
        whi_problem(c->p, "%s: a list is not a value to compare with (use {\"$in\": [...]})", at);
        return;
    }
    if (!cJSON_IsObject(m)) {
        add_condition(c, m->string, &pi, WHI_OP_EQ, m);
        return;
    }
    if (!m->child) {
        whi_problem(c->p, "%s: must hold at least one operator such as $eq", at);
        return;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, m)
    {
        char opat[WHERE_MAX];
        where_fmt(opat, "%s.%s", at, o->string);
        int op = o->string[0] == '$' ? op_of(o->string) : -1;
        if (op < 0 && o->string[0] != '$') {
            whi_problem(c->p,
                        "%s: expected an operator such as $eq; to reach a member, use the dot "
                        "path %s.%s",
                        opat, m->string, o->string);
            continue;
        }
        if (op < 0) {
            whi_problem(c->p,
                        "%s: unknown operator (use $eq, $neq, $gt, $gte, $lt, $lte, $in, $nin, "
                        "$exist, $contains, $startsWith or $endsWith)",
                        opat);
            continue;
        }
        const char *why = operand_problem(op, o);
        if (why)
            whi_problem(c->p, "%s: %s", opat, why);
        else
            add_condition(c, m->string, &pi, op, o);
    }
}

/* ---- filter objects ---- */

static void compile_object(cc *c, const char *where, const cJSON *obj, int depth);

/* $and / $or: a node whose children are the listed filters. */
static void compile_list(cc *c, const char *at, const cJSON *list, int kind, int depth)
{
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (n < 1 || n > WH_FILTER_MAX_LIST) {
        whi_problem(c->p, "%s: must be an array of 1..%d filters", at, WH_FILTER_MAX_LIST);
        return;
    }
    size_t i = push_node(c, (whi_fnode){.kind = (uint8_t)kind});
    int k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        char iat[WHERE_MAX];
        where_fmt(iat, "%s[%d]", at, k++);
        compile_object(c, iat, item, depth + 1);
    }
    if (i != SIZE_MAX) c->nodes[i].end = (uint32_t)c->nnodes;
}

/* Problems reported in one filter at most: the rest would say nothing new. */
#define MAX_PROBLEMS 32

static void compile_member(cc *c, const char *where, const cJSON *m, int depth)
{
    if (c->p->count - c->problems_at_start >= MAX_PROBLEMS) return;
    if (m->string[0] != '$') {
        compile_path(c, where, m);
        return;
    }
    char at[WHERE_MAX];
    where_fmt(at, "%s.%s", where, m->string);
    if (strcmp(m->string, "$and") == 0 || strcmp(m->string, "$or") == 0) {
        compile_list(c, at, m, m->string[1] == 'a' ? WHI_FN_AND : WHI_FN_OR, depth);
    } else if (strcmp(m->string, "$not") == 0) {
        size_t i = push_node(c, (whi_fnode){.kind = WHI_FN_NOT});
        compile_object(c, at, m, depth + 1);
        if (i != SIZE_MAX) c->nodes[i].end = (uint32_t)c->nnodes;
    } else {
        whi_problem(c->p,
                    "%s: only $and, $or and $not stand in place of a path (other operators go "
                    "inside one: {\"data.total\": {\"$gte\": 1}})",
                    at);
    }
}

/* A filter object: an AND node of its members. */
static void compile_object(cc *c, const char *where, const cJSON *obj, int depth)
{
    if (!cJSON_IsObject(obj)) {
        whi_problem(c->p, "%s: must be an object", where);
        return;
    }
    if (depth > WH_FILTER_MAX_DEPTH) {
        whi_problem(c->p, "%s: filters nest deeper than %d levels", where, WH_FILTER_MAX_DEPTH);
        return;
    }
    size_t i = push_node(c, (whi_fnode){.kind = WHI_FN_AND});
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) compile_member(c, where, m, depth);
    if (i != SIZE_MAX) c->nodes[i].end = (uint32_t)c->nnodes;
}

/* ---- the block ---- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Pack the compile's arrays and the filter's JSON text into one block. */
static wh_filter *pack(const cc *c, const char *json)
{
    size_t json_len = strlen(json) + 1;
    size_t segs_off = align8(sizeof(wh_filter) + c->nnodes * sizeof(whi_fnode));
    size_t args_off = align8(segs_off + c->nsegs * sizeof(whi_fseg));
    size_t strings_off = args_off + c->nargs * sizeof(whi_farg);
    size_t json_off = strings_off + c->strings.len;
    size_t size = json_off + json_len;
    if (size > UINT32_MAX) return NULL;
    wh_filter *f = whi_malloc(size);
    if (!f) return NULL;
    *f = (wh_filter){(uint32_t)size,        (uint32_t)c->nnodes, (uint32_t)c->nsegs,
                     (uint32_t)c->nargs,    (uint32_t)segs_off,  (uint32_t)args_off,
                     (uint32_t)strings_off, (uint32_t)json_off};
    memcpy(f->nodes, c->nodes, c->nnodes * sizeof(whi_fnode));
    if (c->nsegs) memcpy((char *)f + segs_off, c->segs, c->nsegs * sizeof(whi_fseg));
    if (c->nargs) memcpy((char *)f + args_off, c->args, c->nargs * sizeof(whi_farg));
    if (c->strings.len) memcpy((char *)f + strings_off, c->strings.data, c->strings.len);
    memcpy((char *)f + json_off, json, json_len);
    return f;
}

int whi_filter_compile(const cJSON *root, const char *json, const char *prefix, whi_problems *p,
                       wh_filter **out)
{
    *out = NULL;
    if (strlen(json) > WH_FILTER_MAX_LEN) {
        whi_problem(p, "%s: must be at most %d bytes of JSON", prefix, WH_FILTER_MAX_LEN);
        return WH_OK;
    }
    cc c = {.p = p, .strings = WHI_BUF_INIT, .problems_at_start = p->count};
    compile_object(&c, prefix, root, 1);
    int rc = WH_OK;
    if (c.oom)
        rc = whi_error_oom();
    else if (p->count == c.problems_at_start && !(*out = pack(&c, json)))
        rc = whi_error_oom();
    whi_free(c.nodes);
    whi_free(c.segs);
    whi_free(c.args);
    whi_buf_free(&c.strings);
    return rc;
}

int whi_filter_clone(const wh_filter *f, wh_filter **out)
{
    *out = NULL;
    if (!f) return WH_OK;
    if (!(*out = whi_malloc(f->size))) return whi_error_oom();
    memcpy(*out, f, f->size);
    return WH_OK;
}

bool whi_filter_is_empty(const wh_filter *f)
{
    return f->nnodes == 1;
}

/* ---- public API ---- */

int wh_filter_new(wh_filter **out, const char *json, size_t len)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!json) return whi_error(WH_EINVAL, "json must not be NULL");
    if (len > WH_FILTER_MAX_LEN)
        return whi_error(WH_ETOOLARGE, "filter: %zu bytes is over the limit of %d", len,
                         WH_FILTER_MAX_LEN);
    cJSON *root;
    int rc = whi_json_parse(json, len, WH_FILTER_MAX_LEN, &root);
    if (rc != WH_OK) return whi_error(rc, "filter: %s", wh_error_last()->message);
    whi_problems p = {0};
    char *text = whi_json_print(root);
    rc = text ? whi_filter_compile(root, text, "filter", &p, out) : whi_error_oom();
    whi_free(text);
    cJSON_Delete(root);
    if (rc == WH_OK && p.count) rc = whi_problems_fail(&p, WH_EINVAL, "invalid filter");
    whi_problems_clear(&p);
    return rc;
}

void wh_filter_free(wh_filter *f)
{
    whi_free(f);
}

const char *wh_filter_json(const wh_filter *f)
{
    return f ? (const char *)f + f->json_off : NULL;
}
