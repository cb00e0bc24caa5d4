/* State of the libcurl transport, shared by curl.c (vtable, loop) and curl_request.c. */
#ifndef WEBHOOKS_TRANSPORT_CURL_IMPL_H
#define WEBHOOKS_TRANSPORT_CURL_IMPL_H

#include <stdbool.h>
#include <curl/curl.h>

#include "buf.h"
#include "webhooks/sys/transport.h"

typedef struct curl_req curl_req;

typedef struct curl_tp curl_tp;

struct curl_req {
    curl_tp *tp;
    uint64_t id;
    CURL *easy;
    struct curl_slist *headers;
    wh_http_done_cb done;
    void *user_data;
    whi_buf kept;            /* leading response bytes */
    size_t keep, max, total; /* limits and bytes read */
    bool capped;             /* stopped reading at max */
    /* The response as the header callback saw it: an HTTP/2 answer is ended by us as soon as
     * it is complete (curl_request.c says why). */
    bool h2;                /* the current response came over HTTP/2 */
    int status;             /* its status (0: none yet) */
    int64_t content_length; /* its Content-Length, or -1 */
    bool complete;          /* the whole final response has arrived */
    bool refused;           /* the connect check said no */
    bool cancelled;
    CURLcode result;
    char *retry_after;
    char refusal[256];
    char errbuf[CURL_ERROR_SIZE];
    curl_req *next; /* in the active or finished list */
};

typedef struct curl_sock {
    curl_socket_t fd;
    short events;
} curl_sock;

/* The options object of webhooks/transport.h (the transport keeps a copy). */
struct wh_curl_options {
    char *ca_file; /* owned */
    uint32_t connect_timeout_ms;
    uint32_t total_timeout_ms;
    size_t max_idle_connections;
};

void whi_curl_options_defaults(wh_curl_options *o);

struct curl_tp {
    CURLM *multi;
    wh_curl_options opts; /* its ca_file is the transport's own copy */
    curl_sock *socks;     /* what libcurl asked us to watch */
    size_t nsocks, capsocks;
    int64_t timer_at;   /* monotonic ms when libcurl wants a timeout action; -1: none */
    curl_req *active;   /* started, not yet completed */
    curl_req *finished; /* completed or cancelled, callbacks not yet called */
    CURL **pool;        /* idle easy handles for reuse */
    size_t npool;
    uint64_t next_id;
    wh_connect_check_cb check;
    void *check_data;
};

/* curl_request.c */
int whi_curl_req_setup(curl_tp *tp, curl_req *r, const wh_http_request *req);
void whi_curl_req_free(curl_tp *tp, curl_req *r);
void whi_curl_req_response(const curl_tp *tp, curl_req *r, wh_http_response *resp, char *errtext,
                           size_t errlen);

#endif
