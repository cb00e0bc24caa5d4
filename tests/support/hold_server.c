/* See hold_server.h. Requests are parsed just enough to know where each ends. */
#define _GNU_SOURCE /* memmem, accept4 */
#include "hold_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 8192

typedef struct conn {
    int fd;
    char buf[BUF];
    size_t len;
    bool held; /* a whole request read, not answered */
} conn;

struct hold_server {
    int listen_fd, ep, wake, port;
    pthread_t thread;
    pthread_mutex_t mu;
    conn **conns; /* by fd */
    size_t nconns_cap;
    size_t held, answered;
    int *stack; /* fds of held requests, the newest last (entries may be stale) */
    size_t nstack;
    size_t release; /* requests to answer, newest first; (size_t)-1: all */
    bool stop;
};

/* The length of the first whole request in c->buf, or 0 when it is not all there. */
static size_t request_len(const conn *c)
{
    const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - c->buf) + 4, body = 0;
    for (const char *p = c->buf; p < end; p++)
        if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0)
            body = strtoul(p + 15, NULL, 10);
    return c->len >= head + body ? head + body : 0;
}

static void conn_close(hold_server *s, conn *c)
{
    if (c->held) s->held--;
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    s->conns[c->fd] = NULL;
    free(c);
}

static void on_readable(hold_server *s, conn *c)
{
    ssize_t got = read(c->fd, c->buf + c->len, BUF - c->len);
    if (got <= 0) {
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) conn_close(s, c);
        return;
    }
    c->len += (size_t)got;
    if (!c->held && request_len(c) && s->nstack == s->nconns_cap) {
        conn_close(s, c); /* stale entries filled the stack: not for these tests */
    } else if (!c->held && request_len(c)) {
        c->held = true;
        s->held++;
        s->stack[s->nstack++] = c->fd; /* room: one entry per fd at most is live */
    } else if (c->len == BUF) {
        conn_close(s, c); /* a request larger than the buffer: not for these tests */
    }
}

static void answer(hold_server *s, conn *c)
{
    static const char resp[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    size_t used = request_len(c);
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    c->held = false;
    s->held--;
    s->answered++;
    if (write(c->fd, resp, sizeof(resp) - 1) != (ssize_t)sizeof(resp) - 1) conn_close(s, c);
}

/* Answer up to s->release held requests, newest first (the lock held). */
static void release_some(hold_server *s)
{
    while (s->release && s->nstack) {
        int fd = s->stack[--s->nstack];
        conn *c = s->conns[fd];
        if (!c || !c->held) continue; /* closed, or its fd reused: stale */
        answer(s, c);
        if (s->release != (size_t)-1) s->release--;
    }
    if (s->release == (size_t)-1) s->release = 0;
}

static void on_accept(hold_server *s)
{
    int fd;
    while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        conn *c = (size_t)fd < s->nconns_cap ? calloc(1, sizeof(*c)) : NULL;
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        s->conns[fd] = c;
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e);
    }
}

static void *serve(void *arg)
{
    hold_server *s = arg;
    struct epoll_event ev[256];
    for (;;) {
        int n = epoll_wait(s->ep, ev, 256, 100);
        pthread_mutex_lock(&s->mu);
        if (s->stop) {
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (fd == s->listen_fd) {
                on_accept(s);
            } else if (fd == s->wake) {
                uint64_t v;
                (void)!read(s->wake, &v, sizeof(v));
            } else if ((size_t)fd < s->nconns_cap && s->conns[fd]) {
                on_readable(s, s->conns[fd]);
            }
        }
        release_some(s);
        pthread_mutex_unlock(&s->mu);
    }
}

static int listen_on_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4096) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

hold_server *hold_server_start(void)
{
    hold_server *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->nconns_cap = 65536;
    s->conns = calloc(s->nconns_cap, sizeof(*s->conns));
    s->stack = calloc(s->nconns_cap, sizeof(*s->stack));
    s->listen_fd = listen_on_loopback(&s->port);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    s->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&s->mu, NULL);
    struct epoll_event l = {.events = EPOLLIN, .data.fd = s->listen_fd};
    struct epoll_event w = {.events = EPOLLIN, .data.fd = s->wake};
    if (!s->conns || !s->stack || s->listen_fd < 0 || s->ep < 0 || s->wake < 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listen_fd, &l) != 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->wake, &w) != 0 ||
        pthread_create(&s->thread, NULL, serve, s) != 0) {
        if (s->listen_fd >= 0) close(s->listen_fd);
        if (s->ep >= 0) close(s->ep);
        if (s->wake >= 0) close(s->wake);
        free(s->conns);
        free(s->stack);
        free(s);
        return NULL;
    }
    return s;
}

static void poke(hold_server *s)
{
    uint64_t one = 1;
    (void)!write(s->wake, &one, sizeof(one));
}

void hold_server_stop(hold_server *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_mutex_unlock(&s->mu);
    poke(s);
    pthread_join(s->thread, NULL);
    for (size_t fd = 0; fd < s->nconns_cap; fd++)
        if (s->conns[fd]) {
            close(s->conns[fd]->fd);
            free(s->conns[fd]);
        }
    close(s->listen_fd);
    close(s->ep);
    close(s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s->conns);
    free(s->stack);
    free(s);
}

int hold_server_port(const hold_server *s)
{
    return s->port;
}

size_t hold_server_held(hold_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->held;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t hold_server_answered(hold_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->answered;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void hold_server_release_newest(hold_server *s, size_t n)
{
    pthread_mutex_lock(&s->mu);
    s->release = n;
    pthread_mutex_unlock(&s->mu);
    poke(s);
}
