/*
 * Growable lists of owned strings and of name/value pairs.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_STRVEC_H
#define WHI_UTIL_STRVEC_H

#include <stdbool.h>
#include <stddef.h>

typedef struct whi_strvec {
    char **v;
    size_t n;
    size_t cap;
} whi_strvec;

int whi_strvec_push(whi_strvec *sv, const char *s); /* copies s */
void whi_strvec_clear(whi_strvec *sv);
int whi_strvec_copy(whi_strvec *dst, const whi_strvec *src); /* dst must be empty */
bool whi_strvec_contains(const whi_strvec *sv, const char *s);

typedef struct whi_kv {
    char *name;
    char *value;
} whi_kv;

typedef struct whi_kvvec {
    whi_kv *v;
    size_t n;
    size_t cap;
} whi_kvvec;

/* Set name to value, replacing an existing entry (names compared case-sensitively unless
 * nocase). Copies both. */
int whi_kvvec_set(whi_kvvec *kv, const char *name, const char *value, bool nocase);
const char *whi_kvvec_get(const whi_kvvec *kv, const char *name, bool nocase);
bool whi_kvvec_remove(whi_kvvec *kv, const char *name, bool nocase);
void whi_kvvec_clear(whi_kvvec *kv);
int whi_kvvec_copy(whi_kvvec *dst, const whi_kvvec *src);

#endif /* WHI_UTIL_STRVEC_H */
