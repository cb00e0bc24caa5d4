/*
 * The libcurl-multi transport: requests run concurrently on one multi handle, driven by
 * curl_multi_socket_action. libcurl tells us which sockets to watch (on_socket) and when to
 * call it back (on_timer); they go into an epoll set, so perform() waits on one descriptor
 * however many are in flight, hands the ready ones to libcurl and collects finished
 * transfers. poll_fd() is that descriptor for the hub's own wait; pollfds() lists the sockets
 * for a host that watches them in its own loop.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

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

/* Each socket libcurl watches has a slot in tp->socks (for pollfds) and a registration in the
 * epoll set (for poll_fd and perform). libcurl keeps the slot's index + 1 for us
 * (curl_multi_assign), so a change costs the same with 10 000 sockets as with 10. */

static uint32_t epoll_events(short ev)
{
    return (uint32_t)((ev & POLLIN ? EPOLLIN : 0) | (ev & POLLOUT ? EPOLLOUT : 0));
}

static void sock_remove(curl_tp *tp, size_t i)
{
    epoll_ctl(tp->epfd, EPOLL_CTL_DEL, tp->socks[i].fd, NULL); /* fails harmlessly if closed */
    curl_multi_assign(tp->multi, tp->socks[i].fd, NULL);
    if (i != --tp->nsocks) { /* the last slot moves into the hole */
        tp->socks[i] = tp->socks[tp->nsocks];
        curl_multi_assign(tp->multi, tp->socks[i].fd, (void *)(uintptr_t)(i + 1));
    }
}

static int sock_add(curl_tp *tp, curl_socket_t fd, short ev)
{
    if (tp->nsocks == tp->capsocks) {
        size_t cap = tp->capsocks ? tp->capsocks * 2 : 16;
        curl_sock *grown = whi_realloc(tp->socks, cap * sizeof(*grown));
        if (!grown) return -1; /* libcurl fails the transfer */
        tp->socks = grown;
        tp->capsocks = cap;
    }
    struct epoll_event e = {.events = epoll_events(ev), .data.fd = fd};
    if (epoll_ctl(tp->epfd, EPOLL_CTL_ADD, fd, &e) != 0 &&
        (errno != EEXIST || epoll_ctl(tp->epfd, EPOLL_CTL_MOD, fd, &e) != 0))
        return -1;
    tp->socks[tp->nsocks] = (curl_sock){fd, ev};
    curl_multi_assign(tp->multi, fd, (void *)(uintptr_t)++tp->nsocks);
    return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *socketp)
{
    curl_tp *tp = ud;
    (void)easy;
    size_t slot = (size_t)(uintptr_t)socketp; /* 0: not watched yet */
    if (what == CURL_POLL_REMOVE) {
        if (slot) sock_remove(tp, slot - 1);
        return 0;
    }
    short ev =
        (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    if (!slot) return sock_add(tp, fd, ev);
    tp->socks[slot - 1].events = ev;
    struct epoll_event e = {.events = epoll_events(ev), .data.fd = fd};
    return epoll_ctl(tp->epfd, EPOLL_CTL_MOD, fd, &e) == 0 ? 0 : -1;
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
    tp->nactive++;
    if (id) *id = r->id;
    return WH_OK;
}

/* Move r from the active list to the finished list, detached from the multi handle. */
static void finish(curl_tp *tp, curl_req *r, CURLcode result)
{
    curl_req **p = &tp->active;
    while (*p && *p != r)
        p = &(*p)->next;
    if (*p) {
        *p = r->next;
        tp->nactive--;
    }
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
 * Wait on the epoll set for at most wait_ms; then, if a socket is ready or libcurl's timer is
 * due, let libcurl advance every transfer (curl_multi_socket_all). A wait costs the same with
 * 10 000 requests in flight as with one, and so does a round in which nothing happened.
 *
 * Why every transfer rather than the ready sockets (curl_multi_socket_action per socket, what
 * libcurl recommends): libcurl 7.88 (Debian 12) loses completions that way. Over HTTP/2 a
 * stream whose frames another transfer read waits for an event that never comes (measured
 * against nginx over TLS, 1 KiB bodies: 2 000/s with a delivery in 15 sent twice, and at 64
 * streams per connection some waited out their 30 s timeout; advancing every transfer delivers
 * 7 700-9 600/s with none sent twice). Over plain HTTP/1.1 with 2 000 requests held by a
 * server, per-socket actions on 100 answers that arrived together completed a handful and left
 * the rest read but unfinished until libcurl's next timer, seconds later
 * (integration.test_hub_concurrency). The pass costs in proportion to the transfers in flight,
 * only in rounds where something happened (docs/delivery.md has the figures).
 * curl_multi_socket_all is marked deprecated since 7.19.5 but is part of libcurl's ABI in every
 * version.
 */
static int poll_and_act(curl_tp *tp, int wait_ms)
{
    struct epoll_event ev[64];
    int n = epoll_wait(tp->epfd, ev, 64, wait_ms < 0 ? 0 : wait_ms);
    bool timer_due = tp->timer_at >= 0 && whi_monotonic_ms() >= tp->timer_at;
    if (n > 0 || timer_due) {
        int running;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        curl_multi_socket_all(tp->multi, &running);
#pragma GCC diagnostic pop
    }
    /* Ask rather than rely on on_timer: libcurl calls it only when its next expiry changes,
     * and the pass above may leave it as it was, already past. */
    long next = -1;
    curl_multi_timeout(tp->multi, &next);
    tp->timer_at = next < 0 ? -1 : whi_monotonic_ms() + next;
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
    if (running) *running = tp->nactive;
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

static int tp_poll_fd(wh_transport *t)
{
    return ((curl_tp *)t->data)->epfd;
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
    if (tp->epfd >= 0) close(tp->epfd);
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
    *t = (wh_transport){WH_TRANSPORT_VERSION, tp,      tp_start,  tp_perform, tp_pollfds, tp_cancel,
                        tp_set_check,         tp_free, tp_poll_fd};
    if (opts)
        tp->opts = *opts;
    else
        whi_curl_options_defaults(&tp->opts);
    tp->opts.ca_file = NULL;
    tp->timer_at = -1;
    tp->epfd = epoll_create1(EPOLL_CLOEXEC);
    int rc = tp->epfd >= 0 ? setup_multi(tp)
                           : whi_error(WH_EIO, "transport: cannot create an epoll descriptor");
    if (rc == WH_OK && opts && opts->ca_file && !(tp->opts.ca_file = whi_strdup(opts->ca_file)))
        rc = whi_error_oom();
    if (rc != WH_OK) {
        tp_free(t);
        return rc;
    }
    *out = t;
    return WH_OK;
}
