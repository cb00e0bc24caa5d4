/* wh_curl_options: the libcurl transport's options, an opaque object with one setter each. */
#include <string.h>

#include "curl_impl.h"
#include "alloc.h"
#include "error.h"

#define NULL_OPTS_ERROR whi_error(WH_EINVAL, "transport options: the object must not be NULL")

void whi_curl_options_defaults(wh_curl_options *o)
{
    memset(o, 0, sizeof(*o));
    o->connect_timeout_ms = 10000;
    o->total_timeout_ms = 30000;
    o->max_idle_connections = 256;
}

int wh_curl_options_new(wh_curl_options **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    if (!(*out = whi_calloc(1, sizeof(**out)))) return whi_error_oom();
    whi_curl_options_defaults(*out);
    return WH_OK;
}

void wh_curl_options_free(wh_curl_options *o)
{
    if (!o) return;
    whi_free(o->ca_file);
    whi_free(o);
}

int wh_curl_options_set_ca_file(wh_curl_options *o, const char *path)
{
    if (!o) return NULL_OPTS_ERROR;
    if (path && !path[0])
        return whi_error(WH_EINVAL, "transport options: ca_file must be a PEM file's path or NULL");
    return whi_str_replace(&o->ca_file, path);
}

static int set_timeout(wh_curl_options *o, uint32_t *at, const char *name, uint32_t ms)
{
    if (!o) return NULL_OPTS_ERROR;
    if (ms == 0) return whi_error(WH_EINVAL, "transport options: %s must be at least 1 ms", name);
    *at = ms;
    return WH_OK;
}

int wh_curl_options_set_connect_timeout_ms(wh_curl_options *o, uint32_t ms)
{
    return set_timeout(o, o ? &o->connect_timeout_ms : NULL, "connect_timeout_ms", ms);
}

int wh_curl_options_set_total_timeout_ms(wh_curl_options *o, uint32_t ms)
{
    return set_timeout(o, o ? &o->total_timeout_ms : NULL, "total_timeout_ms", ms);
}

int wh_curl_options_set_max_idle_connections(wh_curl_options *o, size_t n)
{
    if (!o) return NULL_OPTS_ERROR;
    if (n > 1000000)
        return whi_error(WH_EINVAL, "transport options: max_idle_connections must be 0..1000000");
    o->max_idle_connections = n;
    return WH_OK;
}
