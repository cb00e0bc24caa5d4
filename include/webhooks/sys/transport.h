/*
 * The transport port: asynchronous HTTP for the hub.
 *
 * For implementers of HTTP backends only (the host's own HTTP stack, a message queue, a test
 * fake): hosts never include this header, and webhooks.h does not. The library ships a
 * libcurl-multi transport (webhooks/transport.h). Stability: members are
 * only added at the end, with `version` raised.
 *
 * Model: the hub starts requests; the transport runs them concurrently and, from inside
 * perform(), calls each request's completion callback exactly once (also for a cancelled one,
 * unless cancel() says otherwise). Nothing runs outside perform(): no hidden threads. A host that
 * folds the hub into its own loop polls the descriptors pollfds() reports, for at most the
 * timeout it reports, then calls wh_hub_run(hub, 0), which calls perform(0).
 */
#ifndef WEBHOOKS_SYS_TRANSPORT_H
#define WEBHOOKS_SYS_TRANSPORT_H

#include "webhooks/common.h"
#include "webhooks/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;

/* Decides whether the transport may connect to an address (after DNS): WH_OK or WH_EREFUSED. */
typedef int (*wh_connect_check_cb)(const struct sockaddr *addr, size_t addrlen, void *user_data);

#define WH_HTTP_REQUEST_VERSION 1
typedef struct wh_http_request {
    unsigned int version;       /* WH_HTTP_REQUEST_VERSION */
    const char *method;         /* "POST", "PUT", ... */
    const char *url;            /* absolute http(s) URL */
    const char *const *headers; /* "Name: value" lines, without CR LF */
    size_t header_count;
    const void *body;
    size_t body_len;
    uint32_t connect_timeout_ms; /* 0: the transport's default */
    uint32_t total_timeout_ms;   /* 0: the transport's default */
    size_t max_response_bytes;   /* read at most this much of the body; the rest is dropped */
    size_t keep_response_bytes;  /* hand back at most this many leading body bytes */
} wh_http_request;

typedef struct wh_http_response {
    int status;        /* HTTP status, or 0 when no response arrived */
    int error_code;    /* WH_OK, WH_ETIMEOUT, WH_EREFUSED or WH_ETRANSPORT */
    const char *error; /* reason when error_code != WH_OK, else NULL */
    const char *body;  /* the kept leading bytes of the body (may be NULL) */
    size_t body_len;
    size_t body_total;       /* bytes of body read (capped by max_response_bytes) */
    const char *retry_after; /* the Retry-After header's value, or NULL */
    uint32_t duration_ms;
} wh_http_response;

/* Called once per request from inside perform(). resp and its strings are borrowed for the
 * call only. */
typedef void (*wh_http_done_cb)(const wh_http_response *resp, void *user_data);

/* 1: every member up to free. 2: poll_fd. */
#define WH_TRANSPORT_VERSION 2

struct wh_transport {
    unsigned int version; /* WH_TRANSPORT_VERSION */
    void *data;

    /* Start a request (must provide). The request and its strings are copied. *id (may be NULL)
     * receives a handle for cancel(). done is called later from perform(). */
    int (*start)(wh_transport *t, const wh_http_request *req, wh_http_done_cb done, void *user_data,
                 uint64_t *id);
    /* Make progress (must provide): wait at most timeout_ms (0: do not wait) for activity, then
     * advance every request and call the callbacks of the completed ones. *running (may be
     * NULL) receives how many are still in flight. */
    int (*perform)(wh_transport *t, int timeout_ms, size_t *running);
    /* The descriptors to wait on (may provide): up to max entries into fds, *count the number
     * needed (may exceed max), *timeout_ms how long until perform() must be called anyway
     * (-1: no deadline). */
    int (*pollfds)(wh_transport *t, wh_pollfd *fds, size_t max, size_t *count, int *timeout_ms);
    /* Abort a request (must provide); its callback is called with WH_ETRANSPORT "cancelled"
     * from the next perform(). WH_ENOTFOUND if it already completed. */
    int (*cancel)(wh_transport *t, uint64_t id);
    /* Install the connect-time address check (may provide; the SSRF guard uses it). */
    int (*set_connect_check)(wh_transport *t, wh_connect_check_cb check, void *user_data);
    /* Release everything (must provide); pending callbacks are not called. */
    void (*free)(wh_transport *t);

    /* ---- version 2 ---- */
    /* (may provide) One descriptor that becomes readable (POLLIN) whenever any of the
     * transport's sockets needs attention (an epoll descriptor on Linux), fixed for the
     * transport's life. With it the hub waits on one descriptor whatever the number of requests
     * in flight; without it, on every descriptor pollfds() reports. The transport's timer
     * (pollfds' *timeout_ms) still bounds the wait. */
    int (*poll_fd)(wh_transport *t);
};

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_SYS_TRANSPORT_H */
