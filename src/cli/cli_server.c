/*
 * The HTTP server of `webhooks serve` and `webhooks listen` (cli_server.h): libmicrohttpd plus
 * the checks and limits that keep one client from stalling the others.
 *
 * Three pieces beside libmicrohttpd's own limits:
 * - the URI log callback, which libmicrohttpd calls with the raw request line before it splits
 *   the query, looks at the query and the path first; a query with too many parameters is cut
 *   there (see uri_seen), because libmicrohttpd 0.9.75 stalls the connection until its timeout
 *   when the parameters overflow its per-connection memory instead of answering;
 * - the first call of the access handler checks the header fields before any body is read;
 * - a watchdog thread shuts down the connections whose request is not whole within the
 *   deadline (bytes trickling in do not extend it), and a new connection past three quarters of
 *   a limit shuts down the oldest connection still waiting for its request.
 * Connections are tracked from libmicrohttpd's "started" to its "closed" notification, which it
 * gives before it closes the socket, so a tracked descriptor is always the connection's own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_server.h"

/* ---- connections ---- */

typedef struct slot {
    struct MHD_Connection *c;
    int fd;
    struct in_addr ip;
    int64_t since_ms; /* the connection opened, or its previous answer was sent */
    bool answering;   /* a whole request is being answered: not a slow client */
    struct slot *prev, *next;
} slot;

struct cli_server {
    struct MHD_Daemon *d;
    cli_server_config cfg;
    pthread_mutex_t mu; /* the slots and the stats */
    slot *head;
    size_t nslots;
    cli_server_stats stats;
    pthread_t watchdog;
    bool watchdog_started;
    volatile bool stopping;
    int port;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* Shut a tracked connection down (the lock held); libmicrohttpd then closes it. */
static void evict(slot *s)
{
    shutdown(s->fd, SHUT_RDWR);
    s->since_ms = INT64_MAX; /* once */
    s->answering = true;
}

/* The oldest connection still waiting for its request, of ip only when ip is not NULL. */
static slot *oldest_waiting(cli_server *srv, const struct in_addr *ip, const slot *except)
{
    slot *best = NULL;
    for (slot *s = srv->head; s; s = s->next)
        if (s != except && !s->answering && (!ip || s->ip.s_addr == ip->s_addr) &&
            (!best || s->since_ms < best->since_ms))
            best = s;
    return best;
}

/* Past three quarters of a limit, make room for the connections that come next. */
static void relieve_pressure(cli_server *srv, slot *fresh)
{
    size_t same_ip = 0;
    for (slot *s = srv->head; s; s = s->next)
        same_ip += s->ip.s_addr == fresh->ip.s_addr;
    slot *victim = NULL;
    if (same_ip > CLI_MAX_PER_IP * 3 / 4)
        victim = oldest_waiting(srv, &fresh->ip, fresh);
    else if (srv->nslots > CLI_MAX_CONNECTIONS * 3 / 4)
        victim = oldest_waiting(srv, NULL, fresh);
    if (!victim) return;
    evict(victim);
    srv->stats.pressure_closed++;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    cli_server *srv = cls;
    pthread_mutex_lock(&srv->mu);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        slot *s = calloc(1, sizeof(*s));
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (s && fd) {
            s->c = c;
            s->fd = fd->connect_fd;
            if (addr && addr->client_addr && addr->client_addr->sa_family == AF_INET)
                s->ip = ((const struct sockaddr_in *)addr->client_addr)->sin_addr;
            s->since_ms = now_ms();
            s->next = srv->head;
            if (srv->head) srv->head->prev = s;
            srv->head = s;
            srv->nslots++;
            relieve_pressure(srv, s);
        } else {
            free(s);
            s = NULL;
        }
        *socket_context = s;
    } else if (*socket_context) {
        slot *s = *socket_context;
        if (s->prev) s->prev->next = s->next;
        if (s->next) s->next->prev = s->prev;
        if (srv->head == s) srv->head = s->next;
        srv->nslots--;
        free(s);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&srv->mu);
}

static void *watchdog_main(void *arg)
{
    cli_server *srv = arg;
    while (!srv->stopping) {
        usleep(100 * 1000);
        int64_t now = now_ms();
        pthread_mutex_lock(&srv->mu);
        for (slot *s = srv->head; s; s = s->next)
            if (!s->answering && s->since_ms != INT64_MAX &&
                now - s->since_ms > CLI_REQUEST_DEADLINE_S * 1000) {
                evict(s);
                srv->stats.deadline_closed++;
            }
        pthread_mutex_unlock(&srv->mu);
    }
    return NULL;
}

static void set_answering(cli_server *srv, struct MHD_Connection *c, bool answering)
{
    pthread_mutex_lock(&srv->mu);
    slot *s = slot_of(c);
    if (s && s->since_ms != INT64_MAX) {
        s->answering = answering;
        if (!answering) s->since_ms = now_ms(); /* the next request's window starts */
    }
    pthread_mutex_unlock(&srv->mu);
}

/* ---- one request ---- */

typedef struct req_state {
    unsigned int reject; /* a status to answer at once, or 0 */
    const char *why;     /* its message */
    bool started;        /* the first call of the handler has been made */
    bool close;          /* answer with Connection: close */
    cli_upload body;
    const char **names, **values; /* the header fields, for the handler */
    size_t nheaders;
    cli_values query;
} req_state;

/*
 * The raw request line, before libmicrohttpd splits its query. "%00" anywhere is refused (it
 * would end a string early). A query with more than CLI_MAX_QUERY_PARAMS parameters is
 * refused too, and cut here: libmicrohttpd finds the '?' before this call and splits what
 * follows it after, so a NUL just after the '?' leaves it nothing to split (the request is
 * answered 414 without looking at its query).
 */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls, (void)c;
    req_state *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    if (strstr(uri, "%00")) {
        r->reject = 400;
        r->why = "the path or query holds %00 (a NUL byte)";
    }
    char *q = strchr(uri, '?');
    if (q) {
        size_t params = 1;
        for (const char *p = q + 1; *p; p++)
            params += *p == '&';
        if (params > CLI_MAX_QUERY_PARAMS) {
            q[1] = '\0';
            r->reject = 414;
            r->why = "the query has more parameters than the server accepts";
        }
    }
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)code;
    req_state *r = *state;
    if (r) {
        free(r->body.body);
        free(r->names);
        free(r->values);
        free(r);
    }
    *state = NULL;
    set_answering(cls, c, false);
}

/*
 * libmicrohttpd (0.9.75) hands a header value as a C string in its read buffer: the value ends
 * at the first NUL, which hides "Authorization: Bearer k1\0junk" as "Bearer k1" (a proxy that
 * reads the whole line sees another key). It ends a line by writing NUL over its CR and LF, so
 * a value ended by CR LF is followed by two NULs; anything else after the first one is the rest
 * of a line holding a NUL byte, or the next line after a bare LF (itself a smuggling hazard
 * between proxies, which RFC 9112 lets a server refuse). Both are refused. The byte read lies
 * within the header block: every line is followed by at least one more byte.
 */
static bool line_ends_cleanly(const char *value, size_t value_size)
{
    return memchr(value, '\0', value_size) == NULL && value[value_size + 1] == '\0';
}

typedef struct header_scan {
    req_state *r;
    const char *content_length;
    size_t count;
} header_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void)kind, (void)key_size;
    header_scan *h = cls;
    req_state *r = h->r;
    if (++h->count > CLI_MAX_HEADERS && !r->reject) {
        r->reject = 431;
        r->why = "the request has more header fields than the server accepts";
    }
    if (value && !line_ends_cleanly(value, value_size) && !r->reject) {
        r->reject = 400;
        r->why = "a header line holds a NUL byte or does not end with CR LF";
    }
    if (strcasecmp(key, "Content-Length") == 0) {
        if (h->content_length && strcmp(h->content_length, value ? value : "") != 0 && !r->reject) {
            r->reject = 400;
            r->why = "two Content-Length headers that disagree";
            r->close = true; /* where the body ends is not known: the connection cannot go on */
        }
        h->content_length = value ? value : "";
    }
    if (h->count <= CLI_MAX_HEADERS) {
        r->names[h->count - 1] = key;
        r->values[h->count - 1] = value ? value : "";
        r->nheaders = h->count;
    }
    return MHD_YES;
}

enum MHD_Result cli_server_reply(struct MHD_Connection *c, unsigned int status, const char *body,
                                 size_t body_len, const char *const *header_names,
                                 const char *const *header_values, size_t header_count)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body_len, body ? (void *)body : (void *)"", MHD_RESPMEM_MUST_COPY);
    for (size_t i = 0; resp && i < header_count; i++)
        MHD_add_response_header(resp, header_names[i], header_values[i]);
    enum MHD_Result ok = resp ? MHD_queue_response(c, status, resp) : MHD_NO;
    if (resp) MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result reject(struct MHD_Connection *c, const req_state *r)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"message\":\"%s\",\"details\":[]}", r->why);
    const char *names[] = {"Content-Type", "Connection"};
    const char *values[] = {"application/json", "close"};
    return cli_server_reply(c, r->reject, body, (size_t)n, names, values, r->close ? 2 : 1);
}

static size_t max_body(const cli_server *srv)
{
    return srv->cfg.max_body ? srv->cfg.max_body(srv->cfg.user_data) : CLI_MAX_BODY;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    (void)version;
    cli_server *srv = cls;
    req_state *r = *state;
    if (!r) return MHD_NO; /* the URI callback could not allocate */
    if (!r->started) {     /* the header fields are in, the body not yet */
        r->started = true;
        r->names = calloc(CLI_MAX_HEADERS, sizeof(*r->names));
        r->values = calloc(CLI_MAX_HEADERS, sizeof(*r->values));
        if (!r->names || !r->values) return MHD_NO;
        header_scan h = {r, NULL, 0};
        MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_header, &h);
        return r->reject ? reject(c, r) : MHD_YES;
    }
    if (r->reject) { /* answered already: drop what still comes */
        *size = 0;
        return MHD_YES;
    }
    cli_upload *u = &r->body;
    enum MHD_Result result;
    void *upload_state = u;
    if (!cli_upload_feed(&upload_state, data, size, max_body(srv), &u, &result)) return result;
    set_answering(srv, c, true);
    cli_values_get(c, MHD_GET_ARGUMENT_KIND, &r->query);
    cli_request req = {
        method,          url,        r->names, r->values, r->nheaders, r->query.names,
        r->query.values, r->query.n, u->body,  u->len,    u->too_big};
    return srv->cfg.handler(c, &req, srv->cfg.user_data);
}

/* ---- the server ---- */

/* Why libmicrohttpd could not listen (it does not say): try the bind ourselves. */
static const char *why_not_bound(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return strerror(errno);
    int rc = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
    int err = errno;
    close(fd);
    if (rc == 0) return "the HTTP server could not start";
    if (err == EADDRINUSE) return "the port is in use (another program listens there)";
    if (err == EACCES) return "permission denied (ports below 1024 need privileges)";
    if (err == EADDRNOTAVAIL) return "no such address on this machine";
    return strerror(err);
}

cli_server *cli_server_start(const struct sockaddr_in *addr, const cli_server_config *cfg)
{
    cli_server *srv = calloc(1, sizeof(*srv));
    if (!srv) return NULL;
    srv->cfg = *cfg;
    pthread_mutex_init(&srv->mu, NULL);
    unsigned int threads = cfg->threads ? cfg->threads : 1;
    srv->d = MHD_start_daemon(
        /* no MHD_USE_ERROR_LOG: its lines name no client and a flood of bad requests would
         * flood the log; refusals are answered, and a failure to listen is reported below */
        MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_URI_LOG_CALLBACK, uri_seen, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)CLI_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)CLI_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)CLI_MAX_PER_IP, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
    if (!srv->d) {
        fprintf(stderr, "webhooks %s: cannot listen on %s:%d: %s\n", cfg->name,
                inet_ntoa(addr->sin_addr), ntohs(addr->sin_port), why_not_bound(addr));
        pthread_mutex_destroy(&srv->mu);
        free(srv);
        return NULL;
    }
    srv->port = cli_bound_port(srv->d, ntohs(addr->sin_port));
    srv->watchdog_started = pthread_create(&srv->watchdog, NULL, watchdog_main, srv) == 0;
    return srv;
}

int cli_server_port(const cli_server *s)
{
    return s->port;
}

void cli_server_stop(cli_server *s)
{
    if (!s) return;
    s->stopping = true;
    if (s->watchdog_started) pthread_join(s->watchdog, NULL);
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void cli_server_get_stats(cli_server *s, cli_server_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}
