/*
 * Byte-level text checks: UTF-8, HTTP tokens and header values, ASCII case folding.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_TEXT_H
#define WHI_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

bool whi_utf8_valid(const char *s, size_t len);
size_t whi_utf8_seq_len(const char *s, size_t len); /* len >= 1; 0: not a valid sequence */
bool whi_http_token(const char *s);                 /* RFC 9110 token: a valid header name */
bool whi_header_value_ok(const char *s); /* no CR, LF or NUL (and no other control but TAB) */
/* The same rule for len bytes that need not be NUL-terminated (a NUL among them fails it). */
bool whi_header_bytes_ok(const char *s, size_t len);
/* Empty, or only spaces and tabs. */
bool whi_blank(const char *s);
int whi_strcasecmp(const char *a, const char *b); /* ASCII only, locale-free */
/* Copy at most n-1 bytes and NUL-terminate; returns strlen(src). */
size_t whi_strlcpy(char *dst, const char *src, size_t n);

#endif /* WHI_UTIL_TEXT_H */
