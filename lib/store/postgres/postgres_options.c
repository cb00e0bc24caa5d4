/* wh_postgres_options: the PostgreSQL store's options, an opaque object with one setter each. */
#include "postgres_impl.h"
#include "alloc.h"
#include "error.h"

#define NULL_OPTS_ERROR whi_error(WH_EINVAL, "postgres options: the object must not be NULL")

void whi_pg_options_defaults(wh_postgres_options *o)
{
    o->max_connections = 4;
    o->migrate = 1;
}

int wh_postgres_options_new(wh_postgres_options **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    if (!(*out = whi_calloc(1, sizeof(**out)))) return whi_error_oom();
    whi_pg_options_defaults(*out);
    return WH_OK;
}

void wh_postgres_options_free(wh_postgres_options *o)
{
    whi_free(o);
}

int wh_postgres_options_set_max_connections(wh_postgres_options *o, size_t n)
{
    if (!o) return NULL_OPTS_ERROR;
    if (n < 1 || n > WHI_PG_MAX_CONNECTIONS)
        return whi_error(WH_EINVAL, "postgres options: max_connections must be 1..%d",
                         WHI_PG_MAX_CONNECTIONS);
    o->max_connections = n;
    return WH_OK;
}

int wh_postgres_options_set_migrate(wh_postgres_options *o, int migrate)
{
    if (!o) return NULL_OPTS_ERROR;
    o->migrate = migrate != 0;
    return WH_OK;
}
