/*
 * A read-only view over JSON text for looking values up by member name and element index
 * without parsing the whole document. A lookup in a small object or array scans its text,
 * stopping at the member it wants; a container looked up more than a few times (or a large one)
 * is indexed (its members' keys and value spans, found in one scan), after which a lookup is a
 * hash probe. So however many lookups a view serves, a container costs a few scans at most.
 * Strings are compared in their escaped form, decoding as they go, so no lookup or comparison
 * allocates (only indexing does, from the view's arena).
 *
 * The text should be valid JSON (whitespace is allowed). Invalid text is never read past its
 * length: a lookup through a malformed part finds nothing. One view per thread; reset it
 * between documents that no longer live (whi_jview_reset), free it with whi_jview_free.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_JSONVIEW_H
#define WHI_UTIL_JSONVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum whi_jtype {
    WHI_JMISSING = 0, /* no such value (or malformed text) */
    WHI_JNULL,
    WHI_JFALSE,
    WHI_JTRUE,
    WHI_JNUMBER,
    WHI_JSTRING,
    WHI_JARRAY,
    WHI_JOBJECT
} whi_jtype;

/* One value: its type and its text (for a string: the content between the quotes, still
 * escaped when esc is set). */
typedef struct whi_jval {
    const char *p;
    uint32_t len;
    uint8_t type; /* whi_jtype */
    bool esc;     /* a string whose content holds backslash escapes */
} whi_jval;

/* The view's scratch: the containers indexed so far and the memory their indexes live in. */
typedef struct whi_jindex whi_jindex;
typedef struct whi_jchunk whi_jchunk;
typedef struct whi_jview {
    struct whi_jslot {
        const char *at;    /* the container's first byte; NULL: empty slot */
        whi_jindex *index; /* NULL until indexed */
        uint32_t scans;    /* lookups that scanned its text */
    } * slots;
    size_t cap, n; /* slots: 0 or a power of two */
    whi_jchunk *chunks;
    void *tmp; /* entries of the container being indexed */
    size_t tmp_cap;
    struct whi_jslot *last; /* the container looked up last */
    int failed;             /* WH_ENOMEM once an index could not be made */
} whi_jview;

#define WHI_JVIEW_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, 0, NULL, 0                                                         \
    }

/* Forget every index (the memory is kept for the next document, up to a bound). */
void whi_jview_reset(whi_jview *v);
void whi_jview_free(whi_jview *v);

/* The value that is the whole of text[0..len) (surrounding whitespace allowed), or MISSING. */
whi_jval whi_jval_root(const char *text, size_t len);
/* The member of obj named key[0..klen) (the first one, if the object repeats it), or MISSING
 * (also when obj is not an object, and when indexing it ran out of memory: v->failed). hash is
 * whi_jkey_hash(key, klen). */
whi_jval whi_jval_member(whi_jview *v, whi_jval obj, const char *key, size_t klen, uint32_t hash);
/* Element i of arr, or MISSING. */
whi_jval whi_jval_element(whi_jview *v, whi_jval arr, size_t i);

/* The elements of an array in turn, straight from its text (no index, no allocation):
 * whi_jiter_begin, then whi_jiter_next until it returns false. */
typedef struct whi_jiter {
    const char *p, *end;
} whi_jiter;
whi_jiter whi_jiter_begin(whi_jval arr); /* an empty walk when arr is not an array */
bool whi_jiter_next(whi_jiter *it, whi_jval *out);
/* The number a NUMBER value holds (false for any other value). */
bool whi_jval_number(whi_jval val, double *out);

/* The hash of a member name as the view computes it for keys. */
uint32_t whi_jkey_hash(const char *key, size_t len);

/* Comparisons of a STRING value's decoded bytes with s[0..len): memcmp's sign (shorter sorts
 * first); whether it starts / ends with s. */
int whi_jstr_cmp(whi_jval str, const char *s, size_t len);
/* Whether a STRING value's decoded bytes are s[0..len) (inline: the common case of a short
 * string without escapes needs no call). */
static inline bool whi_jstr_eq(whi_jval str, const char *s, size_t len)
{
    if (str.esc) return whi_jstr_cmp(str, s, len) == 0;
    if (str.len != len) return false;
    for (size_t i = 0; i < len; i++)
        if (str.p[i] != s[i]) return false;
    return true;
}
bool whi_jstr_starts(whi_jval str, const char *s, size_t len);
bool whi_jstr_ends(whi_jval str, const char *s, size_t len);

#endif /* WHI_UTIL_JSONVIEW_H */
