/*
 * Transports: how the hub sends HTTP requests. A host uses the built-in libcurl transport (the
 * hub makes one itself when given none) or hands the hub a transport of its own, written
 * against webhooks/sys/transport.h.
 *
 * The built-in transport: one libcurl multi handle. Connections are kept alive and reused per
 * host; HTTP/2 is used when an https endpoint offers it; TLS peer and host verification are
 * always on. Redirects are never followed. libcurl's global initialisation happens once, on the
 * first wh_transport_curl_new call (thread-safe in Debian's libcurl 7.88); it is never torn
 * down. Name resolution uses libcurl's threaded resolver, which runs short-lived helper threads
 * of libcurl's own.
 */
#ifndef WEBHOOKS_TRANSPORT_H
#define WEBHOOKS_TRANSPORT_H

#include "webhooks/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A transport: opaque to hosts (its layout is in webhooks/sys/transport.h, for implementers). */
typedef struct wh_transport wh_transport;

/* A descriptor a host's poll loop waits on (wh_hub_pollfds). */
typedef struct wh_pollfd {
    int fd;
    short events; /* POLLIN and/or POLLOUT */
} wh_pollfd;

/* Free a transport; NULL is a no-op. Requests still in flight are dropped without their
 * callbacks. A hub given the transport with ownership frees it itself. */
WH_EXTERN void wh_transport_free(wh_transport *transport);

/* The libcurl transport's options: an opaque object with one setter per option (see
 * wh_sqlite_options in webhooks/store.h for the pattern). */
typedef struct wh_curl_options wh_curl_options;

WH_EXTERN int wh_curl_options_new(wh_curl_options **out);
WH_EXTERN void wh_curl_options_free(wh_curl_options *opts); /* NULL is a no-op */
/* An extra CA bundle (a PEM file) to trust besides the system's (default NULL: the system's
 * only). Copied. Empty: WH_EINVAL. */
WH_EXTERN int wh_curl_options_set_ca_file(wh_curl_options *opts, const char *path);
/* Defaults for requests that give 0: connect timeout (10 000 ms) and whole-request timeout
 * (30 000 ms); 0 is WH_EINVAL. */
WH_EXTERN int wh_curl_options_set_connect_timeout_ms(wh_curl_options *opts, uint32_t ms);
WH_EXTERN int wh_curl_options_set_total_timeout_ms(wh_curl_options *opts, uint32_t ms);
/* Connections kept open for reuse (default 256; 0..1 000 000). */
WH_EXTERN int wh_curl_options_set_max_idle_connections(wh_curl_options *opts, size_t n);

/* Create the libcurl transport (opts may be NULL for the defaults; read during the call only).
 * *out is owned by the caller (or by the hub it is given to): free with wh_transport_free.
 * WH_ENOMEM, WH_EIO when libcurl cannot initialise, WH_EINVAL for a NULL out. */
WH_EXTERN int wh_transport_curl_new(wh_transport **out, const wh_curl_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_TRANSPORT_H */
