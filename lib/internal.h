/*
 * Private helpers shared by the library's modules. Not installed; every symbol here is hidden
 * (-fvisibility=hidden) and prefixed whi_ so it is never mistaken for public API.
 */
#ifndef WEBHOOKS_INTERNAL_H
#define WEBHOOKS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webhooks/common.h"

#if defined(__GNUC__)
#define WHI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WHI_PRINTF(f, a)
#endif

#define WHI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation (alloc.c): everything goes through the host's wh_allocator ---- */
void *whi_malloc(size_t size);
void *whi_calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
void *whi_realloc(void *ptr, size_t size);
void whi_free(void *ptr);
char *whi_strdup(const char *s);              /* NULL in, NULL out */
char *whi_strndup(const char *s, size_t len); /* copies len bytes and adds a NUL */
/* Replace *dst with a copy of src (NULL allowed). WH_ENOMEM leaves *dst untouched. */
int whi_str_replace(char **dst, const char *src);

/* ---- errors (error.c): the thread's last error ---- */
/* Set the thread's last error and return code, so callers can `return whi_error(...)`. */
int whi_error(int code, const char *fmt, ...) WHI_PRINTF(2, 3);
/* Same, with the message's details kept (details added since the last whi_error_begin). */
int whi_error_finish(int code, const char *fmt, ...) WHI_PRINTF(2, 3);
/* Start collecting details for a coming whi_error_finish(). */
void whi_error_begin(void);
/* Add one detail (kept up to a fixed number; later ones are counted in a final detail). */
void whi_error_detail(const char *fmt, ...) WHI_PRINTF(1, 2);
size_t whi_error_detail_count(void);
int whi_error_oom(void); /* WH_ENOMEM with a fixed message; never allocates */

/* ---- growable byte buffer (buf.c) ---- */
/* A failed growth sets failed; later appends do nothing, and whi_buf_finish reports WH_ENOMEM
 * (or WH_ETOOLARGE past limit), so a long chain of appends needs one check at the end. */
typedef struct whi_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit; /* 0: no limit */
    int failed;   /* 0, WH_ENOMEM or WH_ETOOLARGE */
} whi_buf;

#define WHI_BUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

int whi_buf_reserve(whi_buf *b, size_t extra);
void whi_buf_append(whi_buf *b, const void *data, size_t len);
void whi_buf_puts(whi_buf *b, const char *s);
void whi_buf_putc(whi_buf *b, char c);
void whi_buf_printf(whi_buf *b, const char *fmt, ...) WHI_PRINTF(2, 3);
void whi_buf_clear(whi_buf *b); /* len = 0, keeps memory */
void whi_buf_free(whi_buf *b);
/* WH_OK, or the failure recorded (with the thread's error set). */
int whi_buf_status(const whi_buf *b);
/* Hand the data to the caller (free with whi_free), or NULL on failure; the buffer is reset. */
char *whi_buf_detach(whi_buf *b, size_t *len);

/* ---- random bytes (random.c): mbedTLS CTR_DRBG seeded from its entropy source ---- */
/* One DRBG per thread, seeded on first use; safe from any thread. */
int whi_random_bytes(void *out, size_t len);

/* ---- UUID v4 (uuid.c) ---- */
#define WHI_UUID_LEN 36
int whi_uuid_v4(char out[WHI_UUID_LEN + 1]);
bool whi_uuid_valid(const char *s);

/* ---- time (rfc3339.c) ---- */
#define WHI_RFC3339_MAX 32      /* "2050-11-07T09:11:58.377-03:00" plus NUL, with room */
wh_time_ms whi_now_ms(void);    /* wall clock, UTC */
int64_t whi_monotonic_ms(void); /* for durations */
/* Format ms since epoch shown at offset_minutes east of UTC; 0 gives "Z". Always 3 fraction
 * digits. Returns the length written. */
size_t whi_rfc3339_format(wh_time_ms ms, int offset_minutes, char out[WHI_RFC3339_MAX]);
/* Parse RFC 3339 (date-time with 'T' or ' ', optional fraction of any length, Z or +hh:mm).
 * Fractions below a millisecond are truncated. WH_EINVAL on anything else. */
int whi_rfc3339_parse(const char *s, wh_time_ms *ms, int *offset_minutes);

/* ---- encodings (encode.c) ---- */
size_t whi_base64_encoded_len(size_t len);                       /* without the NUL */
size_t whi_base64_encode(const void *in, size_t len, char *out); /* writes NUL; returns length */
/* Standard alphabet with padding; rejects anything else. out needs (len / 4) * 3 bytes. */
int whi_base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);
void whi_hex_encode(const void *in, size_t len, char *out); /* lowercase; writes NUL */
int whi_hex_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);

/* ---- text checks (text.c) ---- */
bool whi_utf8_valid(const char *s, size_t len);
size_t whi_utf8_seq_len(const char *s, size_t len); /* len >= 1; 0: not a valid sequence */
bool whi_http_token(const char *s);                 /* RFC 9110 token: a valid header name */
bool whi_header_value_ok(const char *s); /* no CR, LF or NUL (and no other control but TAB) */
int whi_strcasecmp(const char *a, const char *b); /* ASCII only, locale-free */
/* Copy at most n-1 bytes and NUL-terminate; returns strlen(src). */
size_t whi_strlcpy(char *dst, const char *src, size_t n);

/* ---- string lists and name/value lists (strvec.c) ---- */
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

/* ---- problems (problems.c): every problem of one input, reported together as details ---- */
typedef struct whi_problems {
    whi_strvec list;
    size_t count; /* counts problems even when storing one failed for lack of memory */
} whi_problems;

void whi_problem(whi_problems *p, const char *fmt, ...) WHI_PRINTF(2, 3);
/* Record the thread's last error message as a problem (after a setter failed). */
void whi_problem_last(whi_problems *p);
/* Set the thread's error to code + message with one detail per problem; clears the list. */
int whi_problems_fail(whi_problems *p, int code, const char *message);
void whi_problems_clear(whi_problems *p);

/* ---- JSON helpers (json.c) over cJSON, with errors as details ---- */
struct cJSON;
/* Parse text of len bytes (need not be NUL-terminated); WH_EINVAL with the byte offset of the
 * problem, WH_ETOOLARGE past max_len (0: 16 MiB). */
int whi_json_parse(const char *text, size_t len, size_t max_len, struct cJSON **out);
/* Print unformatted into a new string (free with whi_free). */
char *whi_json_print(const struct cJSON *item);
/* Validate JSON text and return it minified (free with whi_free). */
int whi_json_minify_copy(const char *text, size_t len, char **out);
/* The first member of obj named by one of names (NULL-terminated list, matched
 * case-insensitively, so seed 003's PascalCase fields are accepted), or NULL. */
const struct cJSON *whi_json_field(const struct cJSON *obj, const char *const *names);
/* Append s as a JSON string literal (with quotes) or, with quotes false, as string content. */
void whi_json_escape(whi_buf *b, const char *s, size_t len, bool quotes);

#endif /* WEBHOOKS_INTERNAL_H */
