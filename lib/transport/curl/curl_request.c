/* One libcurl request: options, the response body and header callbacks, and the outcome. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "curl_impl.h"
#include <stdlib.h>
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "text.h"

/*
 * Why the transport ends HTTP/2 answers itself. An HTTP/2 server may answer before it has read
 * the request body, then reset the stream with NO_ERROR to stop the upload (RFC 9113, 8.1):
 * nginx does for every location that does not read the body. libcurl before 8.3 mishandles
 * it: the upload it can no longer finish fails the transfer although the answer arrived
 * (CURLE_HTTP2_STREAM), and now and then the end of the stream is never noticed and the
 * transfer waits for its total timeout with the answer in hand. So once a final answer is
 * complete (its header block for a status without content or Content-Length: 0, else its
 * Content-Length bytes) the callbacks stop the transfer (CURLE_WRITE_ERROR, which cancels the
 * stream and keeps the connection) and it counts as answered. HTTP/1.1 is left to libcurl:
 * stopping there would close the connection.
 */
static size_t stop_complete(curl_req *r)
{
    r->complete = true;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    curl_req *r = ud;
    size_t len = size * n;
    if (r->h2 && r->content_length >= 0 && r->total + len >= (uint64_t)r->content_length) {
        size_t room = r->kept.len < r->keep ? r->keep - r->kept.len : 0;
        whi_buf_append(&r->kept, data, len < room ? len : room);
        r->total += len;
        return stop_complete(r);
    }
    if (r->total + len > r->max) {
        /* Read no more than the cap: aborting here ends the transfer with CURLE_WRITE_ERROR,
         * which the outcome treats as answered, since the status line has arrived. */
        size_t room = r->max - r->total;
        r->total += room;
        r->capped = true;
        return 0;
    }
    size_t room = r->kept.len < r->keep ? r->keep - r->kept.len : 0;
    whi_buf_append(&r->kept, data, len < room ? len : room);
    r->total += len;
    return len;
}

/* Replace *dst with s[0..len) without surrounding blanks. */
static void trim_copy(char **dst, const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    whi_free(*dst);
    *dst = whi_strndup(s, len);
}

/* Whether line (len bytes) starts with the header name prefix (lower case, with its colon). */
static bool header_is(const char *line, size_t len, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (len <= plen) return false;
    for (size_t i = 0; i < plen; i++) {
        char c = line[i] >= 'A' && line[i] <= 'Z' ? (char)(line[i] + 32) : line[i];
        if (c != prefix[i]) return false;
    }
    return true;
}

/* A status line: a new response begins (after a 1xx, the final one). */
static void on_status_line(curl_req *r, const char *data, size_t len)
{
    whi_free(r->retry_after);
    r->retry_after = NULL;
    r->h2 = len > 7 && memcmp(data, "HTTP/2 ", 7) == 0;
    const char *sp = memchr(data, ' ', len);
    r->status = sp && (size_t)(sp - data) + 4 <= len ? atoi(sp + 1) : 0;
    r->content_length = -1;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    curl_req *r = ud;
    size_t len = size * n;
    if (len > 5 && memcmp(data, "HTTP/", 5) == 0) {
        on_status_line(r, data, len);
    } else if (header_is(data, len, "retry-after:")) {
        trim_copy(&r->retry_after, data + 12, len - 12);
    } else if (header_is(data, len, "content-length:")) {
        char *end;
        long long v = strtoll(data + 15, &end, 10);
        r->content_length = end != data + 15 && v >= 0 ? v : -1;
    } else if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
        /* The end of a header block: a final answer without content is complete. */
        bool empty = r->status == 204 || r->status == 304 || r->content_length == 0;
        if (r->h2 && r->status >= 200 && empty) return stop_complete(r);
    }
    return len;
}

/* The SSRF guard's hook: the address libcurl is about to connect to, after DNS. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    curl_req *r = ud;
    (void)purpose;
    if (r->tp->check && r->tp->check(&a->addr, a->addrlen, r->tp->check_data) != WH_OK) {
        r->refused = true;
        whi_strlcpy(r->refusal, wh_error_last()->message, sizeof(r->refusal));
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static int set_method_and_body(CURL *e, const wh_http_request *req)
{
    CURLcode rc = CURLE_OK;
    if (strcmp(req->method, "GET") == 0 && req->body_len == 0)
        return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK ? WH_OK : WH_EINVAL;
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    rc |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body_len ? req->body : "");
    if (strcmp(req->method, "POST") != 0)
        rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    return rc == CURLE_OK ? WH_OK : whi_error(WH_EINVAL, "transport: cannot set the request body");
}

static int set_headers(curl_req *r, const wh_http_request *req)
{
    /* "Expect:" stops libcurl from waiting for 100-continue before sending larger bodies. */
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; h && i < req->header_count; i++) {
        struct curl_slist *next = curl_slist_append(h, req->headers[i]);
        if (!next) {
            curl_slist_free_all(h);
            h = NULL;
        }
        h = next;
    }
    if (!h) return whi_error_oom();
    r->headers = h;
    return curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, h) == CURLE_OK ? WH_OK : WH_EINVAL;
}

int whi_curl_req_setup(curl_tp *tp, curl_req *r, const wh_http_request *req)
{
    CURL *e = r->easy;
    uint32_t cto = req->connect_timeout_ms ? req->connect_timeout_ms : tp->opts.connect_timeout_ms;
    uint32_t tto = req->total_timeout_ms ? req->total_timeout_ms : tp->opts.total_timeout_ms;
    CURLcode rc = CURLE_OK;
    rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cto);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)tto);
    rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* HTTPS: while a connection to the origin is being made, wait to learn whether it
     * multiplexes (HTTP/2, known when its TLS handshake ends) rather than open another, so a
     * burst to a new endpoint costs one handshake. Not for http://: there only a first answer
     * would tell, and a hanging endpoint would hold back every request to its host. */
    if (strncasecmp(req->url, "https://", 8) == 0) rc |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* No proxy from the environment: a proxy would be the address the SSRF check sees, and it
     * spares libcurl's per-request environment lookups. */
    rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, r);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    if (tp->opts.ca_file) rc |= curl_easy_setopt(e, CURLOPT_CAINFO, tp->opts.ca_file);
    if (rc != CURLE_OK) return whi_error(WH_EINVAL, "transport: invalid request options");
    r->keep = req->keep_response_bytes;
    r->max = req->max_response_bytes ? req->max_response_bytes : SIZE_MAX;
    int wrc = set_method_and_body(e, req);
    return wrc == WH_OK ? set_headers(r, req) : wrc;
}

void whi_curl_req_free(curl_tp *tp, curl_req *r)
{
    if (!r) return;
    curl_slist_free_all(r->headers);
    whi_buf_free(&r->kept);
    whi_free(r->retry_after);
    if (r->easy) {
        /* Keep a few handles: reuse saves their set-up, connections live in the multi. */
        curl_easy_reset(r->easy);
        if (tp->npool < 64 && (tp->pool || (tp->pool = whi_calloc(64, sizeof(CURL *)))))
            tp->pool[tp->npool++] = r->easy;
        else
            curl_easy_cleanup(r->easy);
    }
    whi_free(r);
}

/* The upload failing after a complete answer (see stop_complete): a final status and no stream
 * error code from the peer (libcurl's message names one, "was not closed cleanly", if any). */
static bool answered_before_upload_end(const curl_req *r, long status)
{
    return r->result == CURLE_HTTP2_STREAM && status >= 200 &&
           !strstr(r->errbuf, "not closed cleanly");
}

/* Fill resp from a finished request; errtext is storage for the error message. */
void whi_curl_req_response(const curl_tp *tp, curl_req *r, wh_http_response *resp, char *errtext,
                           size_t errlen)
{
    (void)tp;
    long status = 0;
    curl_off_t us = 0;
    if (r->easy) {
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &us);
    }
    *resp = (wh_http_response){(int)status, WH_OK,    NULL,           r->kept.data,
                               r->kept.len, r->total, r->retry_after, (uint32_t)(us / 1000)};
    bool answered = r->result == CURLE_OK ||
                    ((r->capped || r->complete) && r->result == CURLE_WRITE_ERROR) ||
                    answered_before_upload_end(r, status);
    if (r->cancelled) {
        resp->error_code = WH_ETRANSPORT;
        snprintf(errtext, errlen, "cancelled");
    } else if (r->refused) {
        resp->error_code = WH_EREFUSED;
        snprintf(errtext, errlen, "%s", r->refusal);
    } else if (r->result == CURLE_OPERATION_TIMEDOUT) {
        resp->error_code = WH_ETIMEOUT;
        snprintf(errtext, errlen, "timed out: %s", r->errbuf[0] ? r->errbuf : "no answer in time");
    } else if (!answered) {
        resp->error_code = WH_ETRANSPORT;
        snprintf(errtext, errlen, "%s: %s", curl_easy_strerror(r->result),
                 r->errbuf[0] ? r->errbuf : "transfer failed");
    }
    if (resp->error_code != WH_OK) resp->error = errtext;
}
