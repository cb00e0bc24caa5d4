/*
 * The hub's callbacks and poll descriptors without structs, for bindings: setters for what
 * wh_hub_options carries as function pointers, and wh_hub_pollfds as two plain int arrays.
 */
#include "hub_impl.h"
#include "alloc.h"
#include "error.h"

int wh_hub_set_log(wh_hub *hub, wh_log_cb cb, int level, void *user_data)
{
    if (!hub) return whi_error(WH_EINVAL, "hub must not be NULL");
    if (level < WH_LOG_ERROR || level > WH_LOG_DEBUG)
        return whi_error(WH_EINVAL, "log level must be WH_LOG_ERROR (0) .. WH_LOG_DEBUG (3)");
    pthread_mutex_lock(&hub->lock);
    hub->opts.log = cb;
    hub->opts.log_level = level;
    hub->opts.log_user_data = user_data;
    pthread_mutex_unlock(&hub->lock);
    return WH_OK;
}

int wh_hub_set_on_disable(wh_hub *hub, wh_disable_cb cb, void *user_data)
{
    if (!hub) return whi_error(WH_EINVAL, "hub must not be NULL");
    pthread_mutex_lock(&hub->lock);
    hub->opts.on_disable = cb;
    hub->opts.on_disable_user_data = user_data;
    pthread_mutex_unlock(&hub->lock);
    return WH_OK;
}

int wh_hub_set_clock(wh_hub *hub, wh_clock_cb cb, void *user_data)
{
    if (!hub) return whi_error(WH_EINVAL, "hub must not be NULL");
    pthread_mutex_lock(&hub->lock);
    hub->opts.clock = cb;
    hub->opts.clock_user_data = user_data;
    pthread_mutex_unlock(&hub->lock);
    return WH_OK;
}

int wh_hub_pollfds_flat(wh_hub *hub, int *fds, int *events, size_t max, size_t *count)
{
    if (!hub || (max && (!fds || !events)))
        return whi_error(WH_EINVAL, "hub, fds and events must not be NULL");
    /* Ask for the count first so the scratch array is only as large as needed. */
    size_t need = 0;
    int rc = wh_hub_pollfds(hub, NULL, 0, &need);
    if (rc != WH_OK) return rc;
    size_t n = need < max ? need : max;
    wh_pollfd *tmp = n ? whi_calloc(n, sizeof(*tmp)) : NULL;
    if (n && !tmp) return whi_error_oom();
    if (n && (rc = wh_hub_pollfds(hub, tmp, n, &need)) != WH_OK) {
        whi_free(tmp);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        fds[i] = tmp[i].fd;
        events[i] = tmp[i].events;
    }
    whi_free(tmp);
    if (count) *count = need;
    return WH_OK;
}
