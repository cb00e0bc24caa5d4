/*
 * wh_hub_options: the hub's configuration as an opaque object with one setter per option. Each
 * setter checks its value at once, so a bad option is reported where it is set, naming it.
 */
#include <string.h>

#include "hub_options.h"
#include "alloc.h"
#include "error.h"
#include "text.h"

#define MAX_COUNT       1000000u
#define MAX_TIMEOUT_MS  (3600u * 1000u)
#define MAX_RESPONSE    (64u * 1024u * 1024u)
#define NULL_OPTS_ERROR whi_error(WH_EINVAL, "hub options: the options object must not be NULL")

int whi_hub_options_init(struct wh_hub_options *o)
{
    memset(o, 0, sizeof(*o));
    o->log_level = WH_LOG_INFO;
    o->max_idle_connections = 256;
    o->max_in_flight = 64;
    o->max_in_flight_per_subscription = 8;
    o->slow_after_ms = 1000;
    o->connect_timeout_ms = 10000;
    o->total_timeout_ms = 30000;
    o->max_response_bytes = 64 * 1024;
    o->max_body_bytes = 1024 * 1024;
    o->jitter_percent = 20;
    o->retry_after_cap_s = 3600;
    o->disable_after_failures = 20;
    o->disable_after_ms = 5LL * 24 * 3600 * 1000;
    o->retention_ms = 30LL * 24 * 3600 * 1000;
    o->event_id_window_ms = 24LL * 3600 * 1000;
    return wh_urlguard_new(&o->guard);
}

void whi_hub_options_clear(struct wh_hub_options *o)
{
    whi_free(o->ca_file);
    whi_free(o->user_agent);
    wh_urlguard_free(o->guard);
    memset(o, 0, sizeof(*o));
}

int whi_hub_options_copy(struct wh_hub_options *dst, const struct wh_hub_options *src)
{
    *dst = *src;
    dst->ca_file = dst->user_agent = NULL;
    dst->guard = NULL;
    int rc = whi_str_replace(&dst->ca_file, src->ca_file);
    if (rc == WH_OK) rc = whi_str_replace(&dst->user_agent, src->user_agent);
    if (rc == WH_OK) rc = wh_urlguard_dup(&dst->guard, src->guard);
    if (rc != WH_OK) whi_hub_options_clear(dst);
    return rc;
}

int wh_hub_options_new(wh_hub_options **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = whi_calloc(1, sizeof(**out));
    if (!*out) return whi_error_oom();
    int rc = whi_hub_options_init(*out);
    if (rc != WH_OK) {
        wh_hub_options_free(*out);
        *out = NULL;
    }
    return rc;
}

void wh_hub_options_free(wh_hub_options *o)
{
    if (!o) return;
    whi_hub_options_clear(o);
    whi_free(o);
}

/* ---- checks shared by the setters ---- */

static int check_range(const wh_hub_options *o, const char *name, uint64_t v, uint64_t lo,
                       uint64_t hi)
{
    if (!o) return NULL_OPTS_ERROR;
    if (v < lo || v > hi)
        return whi_error(WH_EINVAL, "hub options: %s must be %llu..%llu", name,
                         (unsigned long long)lo, (unsigned long long)hi);
    return WH_OK;
}

#define SET_IN_RANGE(o, member, v, lo, hi)                                                         \
    do {                                                                                           \
        int rc_ = check_range((o), #member, (uint64_t)(v), (lo), (hi));                            \
        if (rc_ != WH_OK) return rc_;                                                              \
        (o)->member = (v);                                                                         \
        return WH_OK;                                                                              \
    } while (0)

/* ---- the ports ---- */

int wh_hub_options_set_store(wh_hub_options *o, wh_store *store, int own)
{
    if (!o) return NULL_OPTS_ERROR;
    o->store = store;
    o->own_store = own != 0;
    return WH_OK;
}

int wh_hub_options_set_transport(wh_hub_options *o, wh_transport *transport, int own)
{
    if (!o) return NULL_OPTS_ERROR;
    o->transport = transport;
    o->own_transport = own != 0;
    return WH_OK;
}

int wh_hub_options_set_ca_file(wh_hub_options *o, const char *path)
{
    if (!o) return NULL_OPTS_ERROR;
    if (path && !path[0])
        return whi_error(WH_EINVAL, "hub options: ca_file must be a PEM file's path or NULL");
    return whi_str_replace(&o->ca_file, path);
}

int wh_hub_options_set_max_idle_connections(wh_hub_options *o, size_t n)
{
    SET_IN_RANGE(o, max_idle_connections, n, 0, MAX_COUNT);
}

/* ---- callbacks ---- */

int wh_hub_options_set_clock(wh_hub_options *o, wh_clock_cb cb, void *user_data)
{
    if (!o) return NULL_OPTS_ERROR;
    o->clock = cb;
    o->clock_user_data = user_data;
    return WH_OK;
}

int wh_hub_options_set_log(wh_hub_options *o, wh_log_cb cb, int level, void *user_data)
{
    int rc =
        check_range(o, "log level", (uint64_t)(level < 0 ? 99 : level), WH_LOG_ERROR, WH_LOG_DEBUG);
    if (rc != WH_OK) return rc;
    o->log = cb;
    o->log_level = level;
    o->log_user_data = user_data;
    return WH_OK;
}

int wh_hub_options_set_on_disable(wh_hub_options *o, wh_disable_cb cb, void *user_data)
{
    if (!o) return NULL_OPTS_ERROR;
    o->on_disable = cb;
    o->on_disable_user_data = user_data;
    return WH_OK;
}

/* ---- delivery limits ---- */

int wh_hub_options_set_max_in_flight(wh_hub_options *o, size_t n)
{
    SET_IN_RANGE(o, max_in_flight, n, 1, MAX_COUNT);
}

int wh_hub_options_set_slow_after_ms(wh_hub_options *o, uint32_t ms)
{
    SET_IN_RANGE(o, slow_after_ms, ms, 1, 600000);
}

int wh_hub_options_set_max_in_flight_per_subscription(wh_hub_options *o, size_t n)
{
    SET_IN_RANGE(o, max_in_flight_per_subscription, n, 1, MAX_COUNT);
}

int wh_hub_options_set_connect_timeout_ms(wh_hub_options *o, uint32_t ms)
{
    SET_IN_RANGE(o, connect_timeout_ms, ms, 1, MAX_TIMEOUT_MS);
}

int wh_hub_options_set_total_timeout_ms(wh_hub_options *o, uint32_t ms)
{
    SET_IN_RANGE(o, total_timeout_ms, ms, 1, MAX_TIMEOUT_MS);
}

int wh_hub_options_set_max_response_bytes(wh_hub_options *o, size_t n)
{
    SET_IN_RANGE(o, max_response_bytes, n, 1, MAX_RESPONSE);
}

int wh_hub_options_set_max_body_bytes(wh_hub_options *o, size_t n)
{
    SET_IN_RANGE(o, max_body_bytes, n, 1, WH_STORE_MAX_BODY_LEN);
}

int wh_hub_options_set_lease_ms(wh_hub_options *o, uint32_t ms)
{
    SET_IN_RANGE(o, lease_ms, ms, 0, 24u * MAX_TIMEOUT_MS);
}

int wh_hub_options_set_shared_queue(wh_hub_options *o, int shared)
{
    if (!o) return NULL_OPTS_ERROR;
    o->shared_queue = shared != 0;
    return WH_OK;
}

int wh_hub_options_set_event_id_window_ms(wh_hub_options *o, wh_time_ms ms)
{
    SET_IN_RANGE(o, event_id_window_ms, ms < 0 ? INT64_MAX : ms, 0, 366LL * 24 * 3600 * 1000);
}

int wh_hub_options_set_user_agent(wh_hub_options *o, const char *user_agent)
{
    if (!o) return NULL_OPTS_ERROR;
    if (user_agent && (!user_agent[0] || !whi_header_value_ok(user_agent)))
        return whi_error(WH_EINVAL,
                         "hub options: user_agent must be non-empty, without CR, LF or NUL");
    return whi_str_replace(&o->user_agent, user_agent);
}

/* ---- retries and disabling ---- */

int wh_hub_options_set_default_retry_schedule(wh_hub_options *o, const uint32_t *delays_s,
                                              size_t count)
{
    int rc = check_range(o, "default retry schedule's length", count, 0, WH_MAX_RETRY_STEPS);
    if (rc != WH_OK) return rc;
    if (count && !delays_s)
        return whi_error(WH_EINVAL, "hub options: the retry delays must not be NULL");
    for (size_t i = 0; i < count; i++)
        if (delays_s[i] > WH_MAX_RETRY_DELAY_S)
            return whi_error(WH_EINVAL, "hub options: retry delays must be 0..%d seconds",
                             WH_MAX_RETRY_DELAY_S);
    if (count) memcpy(o->default_retry, delays_s, count * sizeof(*delays_s));
    o->default_retry_count = count;
    return WH_OK;
}

int wh_hub_options_set_default_retry_preset(wh_hub_options *o, const char *name)
{
    if (!o) return NULL_OPTS_ERROR;
    const uint32_t *delays;
    size_t n;
    int enabled;
    int rc = wh_retry_preset_get(name, &delays, &n, &enabled);
    if (rc != WH_OK) return whi_error(rc, "hub options: %s", wh_error_last()->message);
    if (n && (rc = wh_hub_options_set_default_retry_schedule(o, delays, n)) != WH_OK) return rc;
    o->default_retry_off = !enabled;
    return WH_OK;
}

int wh_hub_options_set_default_retry_off(wh_hub_options *o, int off)
{
    if (!o) return NULL_OPTS_ERROR;
    o->default_retry_off = off != 0;
    return WH_OK;
}

int wh_hub_options_set_jitter_percent(wh_hub_options *o, int percent)
{
    SET_IN_RANGE(o, jitter_percent, percent, 0, 100);
}

int wh_hub_options_set_retry_after_cap_s(wh_hub_options *o, uint32_t s)
{
    SET_IN_RANGE(o, retry_after_cap_s, s, 0, UINT32_MAX);
}

int wh_hub_options_set_disable_after_failures(wh_hub_options *o, uint32_t n)
{
    SET_IN_RANGE(o, disable_after_failures, n, 0, UINT32_MAX);
}

int wh_hub_options_set_disable_after_ms(wh_hub_options *o, wh_time_ms ms)
{
    SET_IN_RANGE(o, disable_after_ms, ms < 0 ? INT64_MAX : ms, 0, (uint64_t)INT64_MAX - 1);
}

/* ---- housekeeping ---- */

int wh_hub_options_set_retention_ms(wh_hub_options *o, wh_time_ms ms)
{
    SET_IN_RANGE(o, retention_ms, ms, 0, (uint64_t)INT64_MAX - 1);
}

/* ---- the SSRF guard ---- */

int wh_hub_options_allow_cidr(wh_hub_options *o, const char *cidr)
{
    if (!o) return NULL_OPTS_ERROR;
    return wh_urlguard_allow_cidr(o->guard, cidr);
}

int wh_hub_options_set_require_https(wh_hub_options *o, int on)
{
    if (!o) return NULL_OPTS_ERROR;
    return wh_urlguard_set_require_https(o->guard, on);
}
