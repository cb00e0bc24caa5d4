/*
 * How a run waits: on one epoll descriptor of the hub's own that holds the wake-up eventfd, the
 * transport's descriptor (transport port version 2: one for all its sockets, so the wait costs
 * the same with 10 000 requests in flight as with one) and a shared store's descriptor (another
 * process's changes; it may change while the store reconnects, so it is synced before each
 * wait). A host folding the hub into its own loop may poll that same descriptor (wh_hub_fd), or
 * every descriptor one by one (wh_hub_pollfds).
 *
 * With an older transport (no poll_fd), the run polls the descriptors its pollfds() lists, all
 * of them, in a list grown as needed.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "hub_impl.h"
#include "alloc.h"
#include "error.h"

static int transport_fd(const wh_hub *h)
{
    const wh_transport *t = h->transport;
    return t->version >= 2 && t->poll_fd ? t->poll_fd(h->transport) : -1;
}

static int watch(int ep, int fd)
{
    struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

int whi_hub_wait_setup(wh_hub *h)
{
    h->ep_store_fd = -1;
    if ((h->ep_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 || watch(h->ep_fd, h->wake_fd) != 0)
        return whi_error(WH_EIO, "hub: cannot create an epoll descriptor");
    int tfd = transport_fd(h);
    if (tfd >= 0 && watch(h->ep_fd, tfd) != 0)
        return whi_error(WH_EIO, "hub: cannot watch the transport's descriptor");
    return WH_OK;
}

void whi_hub_wait_free(wh_hub *h)
{
    if (h->ep_fd >= 0) close(h->ep_fd);
    h->ep_fd = -1;
}

/* Watch the store's current descriptor (it changes when the store reconnects). */
void whi_hub_wait_sync_store(wh_hub *h)
{
    int sfd = whi_hub_store_fd(h);
    if (sfd == h->ep_store_fd) return;
    if (h->ep_store_fd >= 0) epoll_ctl(h->ep_fd, EPOLL_CTL_DEL, h->ep_store_fd, NULL);
    h->ep_store_fd = sfd >= 0 && watch(h->ep_fd, sfd) == 0 ? sfd : -1;
}

static void drain_wake(wh_hub *h)
{
    uint64_t v;
    while (read(h->wake_fd, &v, sizeof(v)) > 0) {
    }
}

void whi_hub_wait_drain(wh_hub *h)
{
    drain_wake(h);
    whi_hub_store_drain(h);
}

/* An older transport: poll every descriptor it lists, the wake-up's and the store's. */
static void wait_on_list(wh_hub *h, int sfd, int wait_ms)
{
    size_t n = 0;
    int tto = -1;
    h->transport->pollfds(h->transport, NULL, 0, &n, &tto);
    wh_pollfd *tfds = n ? whi_calloc(n, sizeof(*tfds)) : NULL;
    struct pollfd *fds = whi_calloc(n + 2, sizeof(*fds));
    if ((n && !tfds) || !fds) { /* out of memory: sleep briefly instead of spinning */
        whi_free(tfds);
        whi_free(fds);
        poll(NULL, 0, wait_ms < 10 ? wait_ms : 10);
        return;
    }
    if (n) h->transport->pollfds(h->transport, tfds, n, &n, &tto);
    for (size_t i = 0; i < n; i++)
        fds[i] = (struct pollfd){tfds[i].fd, tfds[i].events, 0};
    fds[n] = (struct pollfd){h->wake_fd, POLLIN, 0};
    fds[n + 1] = (struct pollfd){sfd, POLLIN, 0}; /* a negative fd is ignored by poll */
    if (tto >= 0 && tto < wait_ms) wait_ms = tto;
    poll(fds, (nfds_t)n + 2, wait_ms);
    drain_wake(h);
    if (fds[n + 1].revents || sfd < 0) whi_hub_store_drain(h);
    whi_free(tfds);
    whi_free(fds);
}

/* Wait for the transport's sockets, a wake-up or another process's change (the store's
 * descriptor), for at most wait_ms. Without the lock. */
void whi_hub_wait_for_work(wh_hub *h, int wait_ms)
{
    int sfd = whi_hub_store_fd(h);
    if (whi_hub_store_notifies(h) && sfd < 0 && wait_ms > WHI_STORE_RETRY_MS)
        wait_ms = WHI_STORE_RETRY_MS;
    if (!h->transport->pollfds) {
        h->transport->perform(h->transport, wait_ms, NULL);
        whi_hub_store_drain(h);
        return;
    }
    if (transport_fd(h) < 0) {
        wait_on_list(h, sfd, wait_ms);
        return;
    }
    size_t n;
    int tto = -1;
    h->transport->pollfds(h->transport, NULL, 0, &n, &tto); /* only its timer */
    if (tto >= 0 && tto < wait_ms) wait_ms = tto;
    whi_hub_wait_sync_store(h);
    struct epoll_event ev[4];
    int got = epoll_wait(h->ep_fd, ev, 4, wait_ms);
    bool store_ready = sfd < 0;
    for (int i = 0; i < got; i++)
        store_ready |= ev[i].data.fd == h->ep_store_fd && h->ep_store_fd >= 0;
    drain_wake(h);
    if (store_ready) whi_hub_store_drain(h);
}

int wh_hub_fd(wh_hub *h, int *fd)
{
    if (!h || !fd) return whi_error(WH_EINVAL, "hub and fd must not be NULL");
    pthread_mutex_lock(&h->lock);
    h->external_waiter = true; /* from now on every emit writes the wake-up fd */
    pthread_mutex_unlock(&h->lock);
    if (transport_fd(h) < 0)
        return whi_error(WH_EUNSUPPORTED,
                         "the transport has no single descriptor: use wh_hub_pollfds");
    whi_hub_wait_sync_store(h);
    *fd = h->ep_fd;
    return WH_OK;
}
