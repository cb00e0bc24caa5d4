/*
 * The JSON view (jsonview.h): containers indexed on first entry, strings compared escaped.
 *
 * Scanning is iterative (a container is skipped by counting brackets, never by recursion), so
 * deeply nested text costs no stack, and every read is bounded by the text's length.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jsonview.h"
#include "webhooks/common.h"

/* An object's member (or an array's element: no key), as offsets from the container's first
 * byte, so an entry is 24 bytes whatever the pointer size. */
typedef struct jent {
    uint32_t hash, koff, klen; /* the key's escaped content */
    uint32_t voff, vlen;       /* the value's text (a string's: its content) */
    uint8_t vtype, kesc, vesc;
} jent;

struct whi_jindex {
    uint32_t n;
    uint32_t mask;   /* hash table of members: 0 (few members: a linear scan) or size - 1 */
    uint32_t *table; /* entry index + 1 per slot, 0: empty */
    jent e[];
};

struct whi_jchunk {
    whi_jchunk *next;
    size_t cap, used;
    max_align_t data[];
};

#define LINEAR_MAX   8                  /* members looked up by a scan of their hashes */
#define CHUNK_MIN    (16u * 1024)       /* the arena's smallest chunk */
#define KEEP_MAX     (4u * 1024 * 1024) /* a reset keeps a chunk this large at most */
#define SLOTS_KEEP   4096               /* a reset keeps this many container slots at most */
#define NUMBER_CHARS 320                /* longest number text converted */

/* ---- scanning ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws(*p))
        p++;
    return p;
}

/* The end of the string whose content starts at p (just past its opening quote): the closing
 * quote, or NULL. *esc: whether it holds an escape. A byte loop: the strings of a payload are
 * short, and a loop beats two library calls per string. */
static const char *string_end(const char *p, const char *end, bool *esc)
{
    *esc = false;
    for (; p < end; p++) {
        if (*p == '"') return p;
        if (*p == '\\') {
            *esc = true;
            p++; /* the escaped character, whatever it is, is not a closing quote */
        }
    }
    return NULL;
}

/* The end of the container opening at p (one past its closing bracket), or NULL. */
static const char *container_end(const char *p, const char *end)
{
    size_t depth = 0;
    bool esc;
    for (; p < end; p++) {
        char c = *p;
        if (c == '"') {
            if (!(p = string_end(p + 1, end, &esc))) return NULL;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return p + 1;
        }
    }
    return NULL;
}

static bool literal(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/* Scan the value starting at p (no whitespace before it) into *out; returns the first byte
 * after it, or NULL when it is malformed. */
static const char *scan_value(const char *p, const char *end, whi_jval *out)
{
    *out = (whi_jval){NULL, 0, WHI_JMISSING, false};
    if (p >= end) return NULL;
    const char *q = NULL;
    uint8_t type = WHI_JMISSING;
    bool esc = false;
    switch (*p) {
    case '"':
        if (!(q = string_end(p + 1, end, &esc))) return NULL;
        *out = (whi_jval){p + 1, (uint32_t)(q - p - 1), WHI_JSTRING, esc};
        return q + 1;
    case '{':
    case '[':
        type = *p == '{' ? WHI_JOBJECT : WHI_JARRAY;
        q = container_end(p, end);
        break;
    case 'n':
        type = WHI_JNULL;
        q = literal(p, end, "null") ? p + 4 : NULL;
        break;
    case 't':
        type = WHI_JTRUE;
        q = literal(p, end, "true") ? p + 4 : NULL;
        break;
    case 'f':
        type = WHI_JFALSE;
        q = literal(p, end, "false") ? p + 5 : NULL;
        break;
    default:
        if (*p != '-' && (*p < '0' || *p > '9')) return NULL;
        type = WHI_JNUMBER;
        for (q = p + 1; q < end && !is_ws(*q) && *q != ',' && *q != '}' && *q != ']'; q++)
            ;
        break;
    }
    if (!q || (size_t)(q - p) > UINT32_MAX) return NULL;
    *out = (whi_jval){p, (uint32_t)(q - p), type, false};
    return q;
}

whi_jval whi_jval_root(const char *text, size_t len)
{
    whi_jval v = {NULL, 0, WHI_JMISSING, false};
    if (!text || len > UINT32_MAX) return v;
    const char *end = text + len, *p = skip_ws(text, end);
    while (end > p && is_ws(end[-1]))
        end--;
    if (p == end) return v;
    /* A container is taken to span the whole text (its members are checked as they are
     * indexed), so finding the root never scans the document. */
    if ((*p == '{' && end[-1] == '}') || (*p == '[' && end[-1] == ']')) {
        if (end - p < 2) return v;
        return (whi_jval){p, (uint32_t)(end - p), *p == '{' ? WHI_JOBJECT : WHI_JARRAY, false};
    }
    const char *after = scan_value(p, end, &v);
    if (!after || after != end) v = (whi_jval){NULL, 0, WHI_JMISSING, false};
    return v;
}

/* ---- decoding strings ---- */

/* Decodes a string's escaped content one byte at a time (\uXXXX as UTF-8, a lone surrogate as
 * U+FFFD). */
typedef struct sdec {
    const char *p, *end;
    unsigned char buf[4];
    int nbuf, ibuf;
} sdec;

static int hex4(const char *p, const char *end)
{
    if (end - p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(sdec *d, uint32_t cp)
{
    int n = 0;
    if (cp < 0x80) {
        d->buf[n++] = (unsigned char)cp;
    } else if (cp < 0x800) {
        d->buf[n++] = (unsigned char)(0xC0 | cp >> 6);
        d->buf[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        d->buf[n++] = (unsigned char)(0xE0 | cp >> 12);
        d->buf[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        d->buf[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        d->buf[n++] = (unsigned char)(0xF0 | cp >> 18);
        d->buf[n++] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        d->buf[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        d->buf[n++] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    d->nbuf = n;
    d->ibuf = 0;
}

/* The code point of the \u escape at d->p (just past "\u"), consuming a low surrogate that
 * completes a pair. */
static uint32_t unicode_escape(sdec *d)
{
    int hi = hex4(d->p, d->end);
    if (hi < 0) return 0xFFFD;
    d->p += 4;
    if (hi < 0xD800 || hi > 0xDFFF) return (uint32_t)hi;
    if (hi > 0xDBFF || d->end - d->p < 6 || d->p[0] != '\\' || d->p[1] != 'u') return 0xFFFD;
    int lo = hex4(d->p + 2, d->end);
    if (lo < 0xDC00 || lo > 0xDFFF) return 0xFFFD;
    d->p += 6;
    return 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
}

/* The next decoded byte, or -1 at the end. */
static int sdec_next(sdec *d)
{
    if (d->ibuf < d->nbuf) return d->buf[d->ibuf++];
    if (d->p >= d->end) return -1;
    char c = *d->p++;
    if (c != '\\' || d->p >= d->end) return (unsigned char)c;
    c = *d->p++;
    switch (c) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'u':
        put_utf8(d, unicode_escape(d));
        return d->buf[d->ibuf++];
    default: /* '"', '\\', '/' and anything else stand for themselves */
        return (unsigned char)c;
    }
}

static sdec sdec_of(const char *p, size_t len)
{
    sdec d = {p, p + len, {0}, 0, 0};
    return d;
}

/* Compare escaped content a[0..alen) with plain bytes s[0..len). */
static int esc_cmp(const char *a, size_t alen, const char *s, size_t len)
{
    sdec d = sdec_of(a, alen);
    for (size_t i = 0;; i++) {
        int c = sdec_next(&d);
        if (c < 0) return i < len ? -1 : 0;
        if (i == len) return 1;
        int o = (unsigned char)s[i];
        if (c != o) return c < o ? -1 : 1;
    }
}

int whi_jstr_cmp(whi_jval str, const char *s, size_t len)
{
    if (!str.esc) {
        size_t n = str.len < len ? str.len : len;
        int c = n ? memcmp(str.p, s, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return str.len < len ? -1 : str.len > len ? 1 : 0;
    }
    return esc_cmp(str.p, str.len, s, len);
}

bool whi_jstr_starts(whi_jval str, const char *s, size_t len)
{
    if (!str.esc) return str.len >= len && memcmp(str.p, s, len) == 0;
    sdec d = sdec_of(str.p, str.len);
    for (size_t i = 0; i < len; i++)
        if (sdec_next(&d) != (unsigned char)s[i]) return false;
    return true;
}

bool whi_jstr_ends(whi_jval str, const char *s, size_t len)
{
    if (!str.esc) return str.len >= len && memcmp(str.p + str.len - len, s, len) == 0;
    sdec d = sdec_of(str.p, str.len);
    size_t total = 0;
    while (sdec_next(&d) >= 0)
        total++;
    if (total < len) return false;
    d = sdec_of(str.p, str.len);
    for (size_t i = 0; i < total - len; i++)
        sdec_next(&d);
    for (size_t i = 0; i < len; i++)
        if (sdec_next(&d) != (unsigned char)s[i]) return false;
    return true;
}

/* FNV-1a over the bytes, folded into 32 bits. */
uint32_t whi_jkey_hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

static uint32_t esc_hash(const char *p, size_t len)
{
    sdec d = sdec_of(p, len);
    uint32_t h = 2166136261u;
    for (int c; (c = sdec_next(&d)) >= 0;)
        h = (h ^ (unsigned)c) * 16777619u;
    return h;
}

/* ---- numbers ---- */

bool whi_jval_number(whi_jval val, double *out)
{
    if (val.type != WHI_JNUMBER || val.len == 0) return false;
    const char *p = val.p;
    size_t n = val.len, i = p[0] == '-';
    /* Integers of up to 15 digits are exact in a double: no strtod. */
    if (n - i >= 1 && n - i <= 15) {
        int64_t v = 0;
        size_t k = i;
        for (; k < n && p[k] >= '0' && p[k] <= '9'; k++)
            v = v * 10 + (p[k] - '0');
        if (k == n) {
            *out = (double)(i ? -v : v);
            return true;
        }
    }
    if (n >= NUMBER_CHARS) return false;
    /* strtod reads the locale's decimal point (as cJSON does, substitute it). */
    char buf[NUMBER_CHARS];
    char point = localeconv()->decimal_point[0];
    for (size_t k = 0; k < n; k++)
        buf[k] = p[k] == '.' ? point : p[k];
    buf[n] = '\0';
    char *stop;
    double d = strtod(buf, &stop);
    if (stop != buf + n) return false;
    *out = d;
    return true;
}

/* ---- the arena and the container table ---- */

static void *arena_alloc(whi_jview *v, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    whi_jchunk *c = v->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (!(c = whi_malloc(sizeof(*c) + cap))) return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = v->chunks;
        v->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

static size_t slot_home(const whi_jview *v, const char *at)
{
    uint64_t h = (uint64_t)(uintptr_t)at * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (v->cap - 1);
}

static bool slots_grow(whi_jview *v)
{
    size_t cap = v->cap ? v->cap * 2 : 16;
    struct whi_jslot *old = v->slots, *s = whi_calloc(cap, sizeof(*s));
    if (!s) return false;
    size_t oldcap = v->cap;
    v->slots = s;
    v->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].at) continue;
        size_t j = slot_home(v, old[i].at);
        while (s[j].at)
            j = (j + 1) & (cap - 1);
        s[j] = old[i];
    }
    whi_free(old);
    v->last = NULL; /* it pointed into the old slots */
    return true;
}

void whi_jview_reset(whi_jview *v)
{
    if (v->tmp_cap > SLOTS_KEEP) { /* entries of a very large container */
        whi_free(v->tmp);
        v->tmp = NULL;
        v->tmp_cap = 0;
    }
    if (v->cap > SLOTS_KEEP) {
        whi_free(v->slots);
        v->slots = NULL;
        v->cap = 0;
    } else if (v->n) {
        memset(v->slots, 0, v->cap * sizeof(*v->slots));
    }
    v->n = 0;
    v->last = NULL;
    whi_jchunk *keep = v->chunks;
    if (keep && keep->cap > KEEP_MAX) keep = NULL;
    for (whi_jchunk *c = v->chunks, *next; c; c = next) {
        next = c->next;
        if (c != keep) whi_free(c);
    }
    v->chunks = keep;
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    v->failed = 0;
}

void whi_jview_free(whi_jview *v)
{
    whi_jview_reset(v);
    whi_free(v->chunks);
    whi_free(v->slots);
    whi_free(v->tmp);
    *v = (whi_jview)WHI_JVIEW_INIT;
}

/* ---- indexing a container ---- */

/* Scan the members (or elements) of the container c into v->tmp (*count of them; none when the
 * text is malformed). False when memory ran out. */
static bool scan_entries(whi_jview *v, whi_jval c, uint32_t *count)
{
    const char *end = c.p + c.len - 1, *p = skip_ws(c.p + 1, end);
    bool obj = c.type == WHI_JOBJECT;
    jent *e = v->tmp;
    size_t n = 0, cap = v->tmp_cap;
    while (p < end) {
        jent x = {0};
        whi_jval key, val;
        if (obj) {
            if (*p != '"' || !(p = scan_value(p, end, &key))) goto bad;
            x.koff = (uint32_t)(key.p - c.p);
            x.klen = key.len;
            x.kesc = key.esc;
            x.hash = key.esc ? esc_hash(key.p, key.len) : whi_jkey_hash(key.p, key.len);
            p = skip_ws(p, end);
            if (p >= end || *p != ':') goto bad;
            p = skip_ws(p + 1, end);
        }
        if (!(p = scan_value(p, end, &val))) goto bad;
        x.voff = (uint32_t)(val.p - c.p);
        x.vlen = val.len;
        x.vtype = val.type;
        x.vesc = val.esc;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            jent *grown = whi_realloc(e, cap * sizeof(*e));
            if (!grown) return false;
            v->tmp = e = grown;
            v->tmp_cap = cap;
        }
        e[n++] = x;
        p = skip_ws(p, end);
        if (p < end && *p == ',') p = skip_ws(p + 1, end);
        if (n > UINT32_MAX / 2) goto bad;
    }
    *count = (uint32_t)n;
    return true;
bad: /* malformed: an empty container */
    *count = 0;
    return true;
}

static bool key_equal(const char *at, const jent *x, const char *key, size_t klen)
{
    if (!x->kesc) return x->klen == klen && memcmp(at + x->koff, key, klen) == 0;
    return esc_cmp(at + x->koff, x->klen, key, klen) == 0;
}

/* Fill ix's member table (the first of repeated names wins). */
static void index_members(whi_jindex *ix, const char *at)
{
    for (uint32_t i = 0; i < ix->n; i++) {
        const jent *x = &ix->e[i];
        uint32_t j = x->hash & ix->mask;
        bool dup = false;
        for (; ix->table[j]; j = (j + 1) & ix->mask) {
            const jent *y = &ix->e[ix->table[j] - 1];
            if (y->hash == x->hash && y->klen == x->klen && y->kesc == x->kesc &&
                memcmp(at + y->koff, at + x->koff, x->klen) == 0) {
                dup = true;
                break;
            }
        }
        if (!dup) ix->table[j] = i + 1;
    }
}

static whi_jindex *build_index(whi_jview *v, whi_jval c)
{
    uint32_t n;
    if (!scan_entries(v, c, &n)) return NULL;
    const jent *e = v->tmp;
    size_t tsize = 0;
    if (c.type == WHI_JOBJECT && n > LINEAR_MAX)
        for (tsize = 16; tsize < 2 * (size_t)n; tsize *= 2)
            ;
    whi_jindex *ix = arena_alloc(v, sizeof(*ix) + n * sizeof(jent) + tsize * sizeof(uint32_t));
    if (ix) {
        ix->n = n;
        if (n) memcpy(ix->e, e, n * sizeof(jent));
        ix->mask = tsize ? (uint32_t)tsize - 1 : 0;
        ix->table = tsize ? (uint32_t *)(ix->e + n) : NULL;
        if (tsize) {
            memset(ix->table, 0, tsize * sizeof(uint32_t));
            index_members(ix, c.p);
        }
    }
    return ix;
}

/* Containers of at most this many bytes are scanned for a lookup, SCANS_BEFORE_INDEX times;
 * after that (or when larger) they are indexed. */
#define SCAN_MAX_BYTES     1024
#define SCANS_BEFORE_INDEX 4

/* The slot of container c, made now if missing (NULL when out of memory: v->failed). */
static struct whi_jslot *slot_of(whi_jview *v, whi_jval c)
{
    if (v->last && v->last->at == c.p) return v->last;
    if (v->failed) return NULL;
    if (v->cap)
        for (size_t j = slot_home(v, c.p); v->slots[j].at; j = (j + 1) & (v->cap - 1))
            if (v->slots[j].at == c.p) return v->last = &v->slots[j];
    if ((v->n + 1) * 2 > v->cap && !slots_grow(v)) {
        v->failed = WH_ENOMEM;
        return NULL;
    }
    size_t j = slot_home(v, c.p);
    while (v->slots[j].at)
        j = (j + 1) & (v->cap - 1);
    v->slots[j] = (struct whi_jslot){c.p, NULL, 0};
    v->n++;
    return v->last = &v->slots[j];
}

/* The index of container c, or NULL when a scan of its text should serve this lookup (or
 * memory ran out: v->failed). */
static whi_jindex *index_or_scan(whi_jview *v, whi_jval c)
{
    struct whi_jslot *s = slot_of(v, c);
    if (!s || s->index) return s ? s->index : NULL;
    if (c.len <= SCAN_MAX_BYTES && s->scans < SCANS_BEFORE_INDEX) {
        s->scans++;
        return NULL;
    }
    if (!(s->index = build_index(v, c))) v->failed = WH_ENOMEM;
    return s->index;
}

static whi_jval entry_value(const char *at, const jent *x)
{
    return (whi_jval){at + x->voff, x->vlen, x->vtype, x->vesc};
}

static const whi_jval MISSING = {NULL, 0, WHI_JMISSING, false};

/* Member key of the object's text, by a scan that stops at the first member so named. */
static whi_jval scan_member(whi_jval obj, const char *key, size_t klen)
{
    const char *end = obj.p + obj.len - 1, *p = skip_ws(obj.p + 1, end);
    while (p < end) {
        whi_jval k, val;
        if (*p != '"' || !(p = scan_value(p, end, &k))) return MISSING;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return MISSING;
        if (!(p = scan_value(skip_ws(p + 1, end), end, &val))) return MISSING;
        if (k.esc ? esc_cmp(k.p, k.len, key, klen) == 0
                  : k.len == klen && memcmp(k.p, key, klen) == 0)
            return val;
        p = skip_ws(p, end);
        if (p < end && *p == ',') p = skip_ws(p + 1, end);
    }
    return MISSING;
}

whi_jval whi_jval_member(whi_jview *v, whi_jval obj, const char *key, size_t klen, uint32_t hash)
{
    if (obj.type != WHI_JOBJECT) return MISSING;
    whi_jindex *ix = index_or_scan(v, obj);
    if (!ix) return v->failed ? MISSING : scan_member(obj, key, klen);
    if (!ix->mask) {
        for (uint32_t i = 0; i < ix->n; i++)
            if (ix->e[i].hash == hash && key_equal(obj.p, &ix->e[i], key, klen))
                return entry_value(obj.p, &ix->e[i]);
        return MISSING;
    }
    for (uint32_t j = hash & ix->mask; ix->table[j]; j = (j + 1) & ix->mask) {
        const jent *x = &ix->e[ix->table[j] - 1];
        if (x->hash == hash && key_equal(obj.p, x, key, klen)) return entry_value(obj.p, x);
    }
    return MISSING;
}

whi_jiter whi_jiter_begin(whi_jval arr)
{
    if (arr.type != WHI_JARRAY) return (whi_jiter){NULL, NULL};
    const char *end = arr.p + arr.len - 1;
    return (whi_jiter){skip_ws(arr.p + 1, end), end};
}

bool whi_jiter_next(whi_jiter *it, whi_jval *out)
{
    if (!it->p || it->p >= it->end) return false;
    const char *p = scan_value(it->p, it->end, out);
    if (!p) { /* malformed: the walk ends */
        it->p = NULL;
        return false;
    }
    p = skip_ws(p, it->end);
    if (p < it->end && *p == ',') p = skip_ws(p + 1, it->end);
    it->p = p;
    return true;
}

whi_jval whi_jval_element(whi_jview *v, whi_jval arr, size_t i)
{
    if (arr.type != WHI_JARRAY) return MISSING;
    whi_jindex *ix = index_or_scan(v, arr);
    if (ix) return i < ix->n ? entry_value(arr.p, &ix->e[i]) : MISSING;
    if (v->failed) return MISSING;
    whi_jiter it = whi_jiter_begin(arr);
    whi_jval e;
    for (size_t k = 0; whi_jiter_next(&it, &e); k++)
        if (k == i) return e;
    return MISSING;
}
