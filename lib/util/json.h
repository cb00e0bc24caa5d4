/*
 * JSON helpers over cJSON: parsing with byte offsets in the error, printing, escaping.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_JSON_H
#define WHI_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "webhooks/common.h"
#include "buf.h"

struct cJSON;
/* Arrays and objects nested deeper than this are refused ("nesting too deep"). */
#define WHI_JSON_MAX_DEPTH 128
/* Parse text of len bytes (need not be NUL-terminated); WH_EINVAL with the byte offset of the
 * problem, WH_ETOOLARGE past max_len (0: 16 MiB). */
int whi_json_parse(const char *text, size_t len, size_t max_len, struct cJSON **out);
/* The same, with *err_at the byte offset of the problem when it fails (0 when it has none, as
 * for input that is not UTF-8 or too long). */
int whi_json_parse_at(const char *text, size_t len, size_t max_len, struct cJSON **out,
                      size_t *err_at);
/* Print unformatted into a new string (free with whi_free). */
char *whi_json_print(const struct cJSON *item);
/* Validate JSON text and return it minified (free with whi_free). */
int whi_json_minify_copy(const char *text, size_t len, char **out);
/* The first member of obj named by one of names (NULL-terminated list, matched
 * case-insensitively, so seed 003's PascalCase fields are accepted), or NULL. */
const struct cJSON *whi_json_field(const struct cJSON *obj, const char *const *names);
/* Append s as a JSON string literal (with quotes) or, with quotes false, as string content. */
void whi_json_escape(whi_buf *b, const char *s, size_t len, bool quotes);
/* s as a JSON string literal, or null for NULL. */
void whi_json_str(whi_buf *b, const char *s);
/* A time as an RFC 3339 UTC string literal, or null for 0 (no time). */
void whi_json_time(whi_buf *b, wh_time_ms at);
/* "key":"<bytes>" when the bytes are valid UTF-8 without NUL, else "key64":"<base64>": the one
 * way every record shows a body or a response. */
void whi_json_bytes(whi_buf *b, const char *key, const char *key64, const char *s, size_t len);

#endif /* WHI_UTIL_JSON_H */
