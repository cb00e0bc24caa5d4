/*
 * The libcurl-multi transport: requests run concurrently on one multi handle, driven by
 * curl_multi_socket_action. libcurl tells us which sockets to watch (on_socket) and when to
 * call it back (on_timer); perform() polls those sockets, hands the ready ones to libcurl and
 * collects finished transfers. pollfds() lets a host watch the same sockets in its own loop.
 */
#include <poll.h>
#include <pthread.h>
#include <string.h>

#include "curl_impl.h"
#include "alloc.h"
#include "error.h"
#include "rfc3339.h"

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init = CURLE_FAILED_INIT;

static void curl_global(void)
{
    g_curl_init = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- what libcurl wants watched ---- */

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *socketp)
{
    curl_tp *tp = ud;
    (void)easy;
    (void)socketp;
    size_t i = 0;
    while (i < tp->nsocks && tp->socks[i].fd != fd)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < tp->nsocks) tp->socks[i] = tp->socks[--tp->nsocks];
        return 0;
    }
    short ev =
        (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    if (i == tp->nsocks) {
        if (tp->nsocks == tp->capsocks) {
            size_t cap = tp->capsocks ? tp->capsocks * 2 : 16;
            curl_sock *grown = whi_realloc(tp->socks, cap * sizeof(*grown));
            if (!grown) return -1; /* libcurl fails the transfer */
            tp->socks = grown;
            tp->capsocks = cap;
        }
        tp->nsocks++;
    }
    tp->socks[i] = (curl_sock){fd, ev};
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
    curl_tp *tp = ud;
    (void)multi;
    tp->timer_at = timeout_ms < 0 ? -1 : whi_monotonic_ms() + timeout_ms;
    return 0;
}

/* Milliseconds until libcurl's timer fires (0 if due), or -1 when none is set. */
static int timer_wait(const curl_tp *tp)
{
    if (tp->timer_at < 0) return -1;
    int64_t left = tp->timer_at - whi_monotonic_ms();
    return left <= 0 ? 0 : (int)(left > 86400000 ? 86400000 : left);
}

/* ---- requests ---- */

static CURL *take_easy(curl_tp *tp)
{
    return tp->npool ? tp->pool[--tp->npool] : curl_easy_init();
}

static int tp_start(wh_transport *t, const wh_http_request *req, wh_http_done_cb done, void *ud,
                    uint64_t *id)
{
    curl_tp *tp = t->data;
    if (!req || !done || !req->url || !req->method || (req->body_len && !req->body) ||
        (req->header_count && !req->headers))
        return whi_error(WH_EINVAL, "transport: request, url, method and callback are required");
    curl_req *r = whi_calloc(1, sizeof(*r));
    if (!r) return whi_error_oom();
    r->tp = tp;
    r->done = done;
    r->user_data = ud;
    r->id = ++tp->next_id;
    if (!(r->easy = take_easy(tp))) {
        whi_free(r);
        return whi_error(WH_ENOMEM, "transport: cannot create a libcurl handle");
    }
    int rc = whi_curl_req_setup(tp, r, req);
    if (rc == WH_OK && curl_multi_add_handle(tp->multi, r->easy) != CURLM_OK)
        rc = whi_error(WH_EIO, "transport: cannot add the request to libcurl");
    if (rc != WH_OK) {
        whi_curl_req_free(tp, r);
        return rc;
    }
    r->next = tp->active;
    tp->active = r;
    if (id) *id = r->id;
    return WH_OK;
}

/* Move r from the active list to the finished list, detached from the multi handle. */
static void finish(curl_tp *tp, curl_req *r, CURLcode result)
{
    curl_req **p = &tp->active;
    while (*p && *p != r)
        p = &(*p)->next;
    if (*p) *p = r->next;
    r->result = result;
    curl_multi_remove_handle(tp->multi, r->easy);
    r->next = tp->finished;
    tp->finished = r;
}

static void collect_done(curl_tp *tp)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(tp->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        curl_req *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r) finish(tp, r, m->data.result);
    }
}

/* Call the callbacks of finished requests, oldest first, then free them. */
static void deliver_finished(curl_tp *tp)
{
    curl_req *list = NULL;
    while (tp->finished) { /* reverse into completion order */
        curl_req *r = tp->finished;
        tp->finished = r->next;
        r->next = list;
        list = r;
    }
    while (list) {
        curl_req *r = list;
        list = r->next;
        wh_http_response resp;
        char errtext[512];
        whi_curl_req_response(tp, r, &resp, errtext, sizeof(errtext));
        r->done(&resp, r->user_data);
        whi_curl_req_free(tp, r);
    }
}

/*
 * Poll libcurl's sockets for at most wait_ms, then let libcurl advance every transfer and tell
 * on_socket what each now waits for: curl_multi_socket_all, curl_multi_perform plus the socket
 * bookkeeping of curl_multi_socket_action. Driving transfers only through the sockets that
 * polled ready (socket_action) is what libcurl recommends, but its HTTP/2 code before 8.3 loses
 * track of streams that way: a stream whose frames another transfer read waits for an event
 * that never comes. Measured against nginx over TLS and HTTP/2, 1 KiB bodies: per-socket
 * actions delivered 2 000/s with a delivery in 15 sent twice, and at 64 streams per connection
 * some waited out their 30 s timeout; advancing every transfer delivers 7 700-9 600/s with none
 * sent twice (the same speed as before over HTTP/1.1 and plain HTTP). Its cost, a pass over the
 * transfers in flight, is small beside a request's own work (docs/delivery.md has the figures).
 * The function is marked deprecated since 7.19.5 but is part of libcurl's ABI in every version.
 */
static int poll_and_act(curl_tp *tp, int wait_ms)
{
    struct pollfd stack[64];
    struct pollfd *fds = tp->nsocks <= 64 ? stack : whi_calloc(tp->nsocks, sizeof(*fds));
    if (!fds) return whi_error_oom();
    size_t n = tp->nsocks;
    for (size_t i = 0; i < n; i++)
        fds[i] = (struct pollfd){tp->socks[i].fd, tp->socks[i].events, 0};
    if (wait_ms > 0) poll(n ? fds : NULL, (nfds_t)n, wait_ms); /* the pass below serves all */
    if (fds != stack) whi_free(fds);
    int running;
    tp->timer_at = -1; /* libcurl sets it again if it needs to */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    curl_multi_socket_all(tp->multi, &running);
#pragma GCC diagnostic pop
    return WH_OK;
}

static int tp_perform(wh_transport *t, int timeout_ms, size_t *running)
{
    curl_tp *tp = t->data;
    int wait = timeout_ms < 0 ? 0 : timeout_ms;
    int tw = timer_wait(tp);
    if (tw >= 0 && tw < wait) wait = tw;
    if (tp->finished) /* cancelled requests are due now */
        wait = 0;
    int rc = poll_and_act(tp, wait);
    collect_done(tp);
    deliver_finished(tp);
    if (running) {
        size_t n = 0;
        for (curl_req *r = tp->active; r; r = r->next)
            n++;
        *running = n;
    }
    return rc;
}

static int tp_pollfds(wh_transport *t, wh_pollfd *fds, size_t max, size_t *count, int *timeout)
{
    curl_tp *tp = t->data;
    for (size_t i = 0; i < tp->nsocks && i < max; i++)
        fds[i] = (wh_pollfd){tp->socks[i].fd, tp->socks[i].events};
    if (count) *count = tp->nsocks;
    if (timeout) *timeout = tp->finished ? 0 : timer_wait(tp);
    return WH_OK;
}

static int tp_cancel(wh_transport *t, uint64_t id)
{
    curl_tp *tp = t->data;
    for (curl_req *r = tp->active; r; r = r->next)
        if (r->id == id) {
            r->cancelled = true;
            finish(tp, r, CURLE_ABORTED_BY_CALLBACK);
            return WH_OK;
        }
    return whi_error(WH_ENOTFOUND, "transport: request %llu is not in flight",
                     (unsigned long long)id);
}

static int tp_set_check(wh_transport *t, wh_connect_check_cb check, void *ud)
{
    curl_tp *tp = t->data;
    tp->check = check;
    tp->check_data = ud;
    return WH_OK;
}

static void free_list(curl_tp *tp, curl_req *r)
{
    while (r) {
        curl_req *next = r->next;
        curl_multi_remove_handle(tp->multi, r->easy);
        whi_curl_req_free(tp, r);
        r = next;
    }
}

static void tp_free(wh_transport *t)
{
    curl_tp *tp = t->data;
    free_list(tp, tp->active);
    free_list(tp, tp->finished);
    for (size_t i = 0; i < tp->npool; i++)
        curl_easy_cleanup(tp->pool[i]);
    whi_free(tp->pool);
    if (tp->multi) curl_multi_cleanup(tp->multi);
    whi_free(tp->socks);
    whi_free(tp->opts.ca_file);
    whi_free(tp);
    whi_free(t);
}

static int setup_multi(curl_tp *tp)
{
    if (!(tp->multi = curl_multi_init()))
        return whi_error(WH_EIO, "transport: curl_multi_init failed");
    CURLMcode rc = CURLM_OK;
    rc |= curl_multi_setopt(tp->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    rc |= curl_multi_setopt(tp->multi, CURLMOPT_SOCKETDATA, tp);
    rc |= curl_multi_setopt(tp->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    rc |= curl_multi_setopt(tp->multi, CURLMOPT_TIMERDATA, tp);
    rc |= curl_multi_setopt(tp->multi, CURLMOPT_MAXCONNECTS, (long)tp->opts.max_idle_connections);
    rc |= curl_multi_setopt(tp->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    return rc == CURLM_OK ? WH_OK : whi_error(WH_EIO, "transport: cannot configure libcurl");
}

int wh_transport_curl_new(wh_transport **out, const wh_curl_options *opts)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    pthread_once(&g_curl_once, curl_global);
    if (g_curl_init != CURLE_OK) return whi_error(WH_EIO, "transport: curl_global_init failed");
    wh_transport *t = whi_calloc(1, sizeof(*t));
    curl_tp *tp = whi_calloc(1, sizeof(*tp));
    if (!t || !tp) {
        whi_free(t);
        whi_free(tp);
        return whi_error_oom();
    }
    *t = (wh_transport){WH_TRANSPORT_VERSION, tp,        tp_start,     tp_perform,
                        tp_pollfds,           tp_cancel, tp_set_check, tp_free};
    if (opts)
        tp->opts = *opts;
    else
        whi_curl_options_defaults(&tp->opts);
    tp->opts.ca_file = NULL;
    tp->timer_at = -1;
    int rc = setup_multi(tp);
    if (rc == WH_OK && opts && opts->ca_file && !(tp->opts.ca_file = whi_strdup(opts->ca_file)))
        rc = whi_error_oom();
    if (rc != WH_OK) {
        tp_free(t);
        return rc;
    }
    *out = t;
    return WH_OK;
}
