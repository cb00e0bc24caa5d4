/* wh_sqlite_options: the SQLite store's options, an opaque object with one setter each. */
#include "sqlite_impl.h"
#include "alloc.h"
#include "error.h"

#define NULL_OPTS_ERROR whi_error(WH_EINVAL, "sqlite options: the object must not be NULL")

void whi_sq_options_defaults(wh_sqlite_options *o)
{
    o->busy_timeout_ms = 5000;
    o->synchronous = WH_SQLITE_SYNC_FULL;
    o->max_page_count = 0;
    o->read_only = 0;
}

int wh_sqlite_options_new(wh_sqlite_options **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    if (!(*out = whi_calloc(1, sizeof(**out)))) return whi_error_oom();
    whi_sq_options_defaults(*out);
    return WH_OK;
}

void wh_sqlite_options_free(wh_sqlite_options *o)
{
    whi_free(o);
}

int wh_sqlite_options_set_busy_timeout_ms(wh_sqlite_options *o, int ms)
{
    if (!o) return NULL_OPTS_ERROR;
    if (ms < 0) return whi_error(WH_EINVAL, "sqlite options: busy_timeout_ms must not be negative");
    o->busy_timeout_ms = ms;
    return WH_OK;
}

int wh_sqlite_options_set_synchronous(wh_sqlite_options *o, wh_sqlite_sync sync)
{
    if (!o) return NULL_OPTS_ERROR;
    if (sync != WH_SQLITE_SYNC_FULL && sync != WH_SQLITE_SYNC_NORMAL)
        return whi_error(WH_EINVAL, "sqlite options: synchronous must be FULL (0) or NORMAL (1)");
    o->synchronous = sync;
    return WH_OK;
}

int wh_sqlite_options_set_max_page_count(wh_sqlite_options *o, uint32_t pages)
{
    if (!o) return NULL_OPTS_ERROR;
    o->max_page_count = pages;
    return WH_OK;
}

int wh_sqlite_options_set_read_only(wh_sqlite_options *o, int read_only)
{
    if (!o) return NULL_OPTS_ERROR;
    o->read_only = read_only != 0;
    return WH_OK;
}
