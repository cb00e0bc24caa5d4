/* Value offsets of a parsed JSON text: one walk over the text beside the cJSON tree. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonpos.h"
#include "alloc.h"
#include "error.h"

typedef struct walker {
    whi_jpos *pos;
    size_t cap;
    const char *s;
    size_t len, i;
} walker;

static void skip_space(walker *w)
{
    while (w->i < w->len && strchr(" \t\r\n", w->s[w->i]) && w->s[w->i])
        w->i++;
}

/* At a '"': move past the closing quote. */
static bool skip_string(walker *w)
{
    for (w->i++; w->i < w->len; w->i++) {
        if (w->s[w->i] == '\\')
            w->i++;
        else if (w->s[w->i] == '"') {
            w->i++;
            return true;
        }
    }
    return false;
}

static bool record(walker *w, const cJSON *node)
{
    if (w->pos->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        whi_jpos_entry *v = whi_realloc(w->pos->v, cap * sizeof(*v));
        if (!v) return false;
        w->pos->v = v;
        w->cap = cap;
    }
    w->pos->v[w->pos->n++] = (whi_jpos_entry){node, w->i};
    return true;
}

/* Walk the value node that starts at w->i (after spaces). WH_ENOMEM or WH_EINVAL. */
static int walk(walker *w, const cJSON *node)
{
    skip_space(w);
    if (w->i >= w->len) return WH_EINVAL;
    if (!record(w, node)) return WH_ENOMEM;
    char open = w->s[w->i];
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        if (open != (cJSON_IsObject(node) ? '{' : '[')) return WH_EINVAL;
        w->i++;
        for (const cJSON *c = node->child; c; c = c->next) {
            skip_space(w);
            if (cJSON_IsObject(node)) { /* the key, then ':' */
                if (w->i >= w->len || w->s[w->i] != '"' || !skip_string(w)) return WH_EINVAL;
                skip_space(w);
                if (w->i >= w->len || w->s[w->i] != ':') return WH_EINVAL;
                w->i++;
            }
            int rc = walk(w, c);
            if (rc != WH_OK) return rc;
            skip_space(w);
            if (w->i < w->len && w->s[w->i] == ',') w->i++;
        }
        skip_space(w);
        if (w->i >= w->len) return WH_EINVAL;
        w->i++; /* the closing bracket */
        return WH_OK;
    }
    if (cJSON_IsString(node)) return open == '"' && skip_string(w) ? WH_OK : WH_EINVAL;
    while (w->i < w->len && !strchr(",]} \t\r\n", w->s[w->i]))
        w->i++;
    return WH_OK;
}

static int by_node(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const whi_jpos_entry *)a)->node;
    uintptr_t y = (uintptr_t)((const whi_jpos_entry *)b)->node;
    return x < y ? -1 : x > y;
}

int whi_jpos_build(whi_jpos *pos, const cJSON *root, const char *text, size_t len)
{
    *pos = (whi_jpos){NULL, 0, text, len};
    walker w = {pos, 0, text, len, 0};
    int rc = root ? walk(&w, root) : WH_EINVAL;
    if (rc != WH_OK) {
        whi_jpos_free(pos);
        return rc == WH_ENOMEM ? whi_error_oom()
                               : whi_error(WH_EINVAL, "JSON positions: the text does not match");
    }
    qsort(pos->v, pos->n, sizeof(*pos->v), by_node);
    return WH_OK;
}

void whi_jpos_free(whi_jpos *pos)
{
    whi_free(pos->v);
    pos->v = NULL;
    pos->n = 0;
}

void whi_jpos_line_col(const whi_jpos *pos, size_t offset, size_t *line, size_t *col)
{
    size_t l = 1, start = 0;
    for (size_t i = 0; i < offset && i < pos->len; i++)
        if (pos->text[i] == '\n') {
            l++;
            start = i + 1;
        }
    *line = l;
    *col = offset - start + 1;
}

void whi_jpos_of(const whi_jpos *pos, const cJSON *node, size_t *line, size_t *col)
{
    whi_jpos_entry key = {node, 0};
    const whi_jpos_entry *e =
        node && pos->n ? bsearch(&key, pos->v, pos->n, sizeof(*pos->v), by_node) : NULL;
    if (!e) {
        *line = *col = 0;
        return;
    }
    whi_jpos_line_col(pos, e->offset, line, col);
}
