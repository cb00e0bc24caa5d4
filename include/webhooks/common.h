/*
 * libwebhooks: common ground shared by every header.
 *
 * Error model: every fallible function returns WH_OK (0) or a negative WH_E* code. Codes are
 * never renumbered. wh_strerror() gives fixed text for a code; wh_error_last() gives the calling
 * thread's last detailed error: a message plus one detail per problem (for instance one per
 * invalid field).
 */
#ifndef WEBHOOKS_COMMON_H
#define WEBHOOKS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "webhooks/version.h"

#if defined(_WIN32) && !defined(WH_STATIC)
#if defined(WH_BUILDING_LIBRARY)
#define WH_EXTERN __declspec(dllexport)
#else
#define WH_EXTERN __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define WH_EXTERN __attribute__((visibility("default")))
#else
#define WH_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. Values are part of the ABI: never renumbered, only added at the end. */
enum {
    WH_OK = 0,
    WH_EINVAL = -1,          /* invalid argument or input (see wh_error_last() details) */
    WH_ENOTFOUND = -2,       /* no such object */
    WH_ECONFLICT = -3,       /* object already exists, or changed concurrently */
    WH_ENOMEM = -4,          /* out of memory */
    WH_EUNAUTHORIZED = -5,   /* no valid credential */
    WH_EFORBIDDEN = -6,      /* credential lacks the needed scope */
    WH_ETOOLARGE = -7,       /* input or output over a size limit */
    WH_EIO = -8,             /* I/O or storage failure */
    WH_ESTATE = -9,          /* operation not valid in the object's current state */
    WH_EUNSUPPORTED = -10,   /* feature or option not supported */
    WH_ETIMEOUT = -11,       /* operation timed out */
    WH_ERENDER = -12,        /* template could not be rendered (missing placeholder, bad value) */
    WH_ESIG_MISSING = -13,   /* signature verification: a required header is missing */
    WH_ESIG_MALFORMED = -14, /* signature verification: a header is malformed */
    WH_ESIG_MISMATCH = -15,  /* signature verification: no signature matches any secret */
    WH_ESIG_TOO_OLD = -16,   /* signature verification: timestamp older than the tolerance */
    WH_ESIG_TOO_NEW = -17,   /* signature verification: timestamp newer than the tolerance */
    WH_ECORRUPT = -18,       /* stored data is corrupt or not ours */
    WH_EFULL = -19,          /* storage is full */
    WH_EREADONLY = -20,      /* storage is read-only */
    WH_EVERSION = -21,       /* stored data is from a newer, unknown version */
    WH_EREFUSED = -22,       /* destination refused by policy (SSRF guard) */
    WH_EBUSY = -23,          /* resource busy; try again */
    WH_ETRANSPORT = -24      /* the HTTP transport failed (connect, TLS, reset) */
};

/* Fixed English text for an error code; unknown codes give "unknown error". Never NULL; a
 * static string (never freed, valid for the life of the process). */
WH_EXTERN const char *wh_strerror(int code);
/* The code's name as written in this header ("WH_ENOTFOUND"), so that bindings and logs name
 * errors without copying their numbers; "WH_EUNKNOWN" for an unknown code. A static string. */
WH_EXTERN const char *wh_error_name(int code);

/*
 * The last error of the calling thread, set by any failing library call. Fields are borrowed:
 * valid until the next library call on this thread. Never NULL: with no error, code is WH_OK and
 * message is "".
 */
typedef struct wh_error {
    int code;                   /* the WH_E* code that was returned */
    const char *message;        /* one-sentence summary */
    size_t details_count;       /* number of entries in details */
    const char *const *details; /* one entry per problem, e.g. "name: must be 1..255 bytes" */
} wh_error;

WH_EXTERN const wh_error *wh_error_last(void);

/* Accessors for bindings that do not mirror struct layouts. Same lifetime as wh_error_last(). */
WH_EXTERN int wh_error_last_code(void);
WH_EXTERN const char *wh_error_last_message(void);
WH_EXTERN size_t wh_error_last_details_count(void);
/* The i-th detail, or NULL when i is out of range. */
WH_EXTERN const char *wh_error_last_detail(size_t i);
/* Forget the calling thread's last error. */
WH_EXTERN void wh_error_clear(void);

/* The library's version string, e.g. "0.1.0" (the version of the library loaded at run time).
 * A static string: never freed. */
WH_EXTERN const char *wh_version(void);
/* WH_VERSION_NUM of the library loaded at run time. */
WH_EXTERN int wh_version_num(void);

/*
 * Allocator hook: every allocation the library makes goes through it, and so do cJSON's.
 * Process-wide: install it once, before any other call, from one thread. Passing NULL restores
 * the C library's malloc/realloc/free. Because cJSON's hooks are process-wide too, the library
 * sets them only when the host installs an allocator (leaving a host's own cJSON hooks alone
 * otherwise). Debian's mbedTLS is built without MBEDTLS_PLATFORM_MEMORY, so mbedTLS's few
 * internal allocations cannot be redirected.
 */
typedef struct wh_allocator {
    unsigned int version;                                      /* WH_ALLOCATOR_VERSION */
    void *(*malloc)(size_t size, void *user_data);             /* must provide */
    void *(*realloc)(void *ptr, size_t size, void *user_data); /* must provide */
    void (*free)(void *ptr, void *user_data);                  /* must provide */
    void *user_data;
} wh_allocator;

#define WH_ALLOCATOR_VERSION 1
#define WH_ALLOCATOR_INIT                                                                          \
    {                                                                                              \
        WH_ALLOCATOR_VERSION, NULL, NULL, NULL, NULL                                               \
    }

/* Install (copying *allocator) or reset (NULL) the hook. WH_EINVAL if a member is missing. */
WH_EXTERN int wh_set_allocator(const wh_allocator *allocator);

/* Free memory the library returned to the caller (strings documented "free with wh_free"). */
WH_EXTERN void wh_free(void *ptr);

/* Longest id (of a subscription, event, owner, delivery) the library accepts, in bytes. */
#define WH_MAX_ID_LEN 255

/* Timestamps in the API are milliseconds since the Unix epoch, UTC. */
typedef int64_t wh_time_ms;

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_COMMON_H */
