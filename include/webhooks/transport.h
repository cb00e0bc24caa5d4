/*
 * The built-in HTTP transport: one libcurl multi handle. Connections are kept alive and reused
 * per host; HTTP/2 is used when an https endpoint offers it; TLS peer and host verification are
 * always on. Redirects are never followed. Implements webhooks/sys/transport.h.
 *
 * libcurl's global initialisation happens once, on the first wh_transport_curl_new call
 * (thread-safe in Debian's libcurl 7.88); it is never torn down. Name resolution uses libcurl's
 * threaded resolver, which runs short-lived helper threads of libcurl's own.
 */
#ifndef WEBHOOKS_TRANSPORT_H
#define WEBHOOKS_TRANSPORT_H

#include "webhooks/common.h"
#include "webhooks/sys/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WH_CURL_OPTIONS_VERSION 1
typedef struct wh_curl_options {
    unsigned int version;        /* WH_CURL_OPTIONS_VERSION */
    const char *ca_file;         /* extra CA bundle (PEM) to trust, or NULL for the system's */
    uint32_t connect_timeout_ms; /* default for requests that give 0 (10 000) */
    uint32_t total_timeout_ms;   /* default for requests that give 0 (30 000) */
    size_t max_idle_connections; /* connections kept open for reuse (default 256) */
} wh_curl_options;

#define WH_CURL_OPTIONS_INIT                                                                       \
    {                                                                                              \
        WH_CURL_OPTIONS_VERSION, NULL, 10000, 30000, 256                                           \
    }

/* Create the libcurl transport (opts may be NULL for the defaults). *out is owned by the caller
 * (or by the hub it is given to, see wh_hub_options): free with wh_transport_free.
 * WH_ENOMEM, WH_EIO when libcurl cannot initialise, WH_EINVAL for a bad option. */
WH_EXTERN int wh_transport_curl_new(wh_transport **out, const wh_curl_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_TRANSPORT_H */
