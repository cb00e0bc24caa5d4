/* libmicrohttpd glue shared by `webhooks listen` and `webhooks serve` (see cli_http.h). */
#include <stdlib.h>
#include <string.h>

#include "cli_http.h"

bool cli_upload_feed(void **state, const char *data, size_t *size, size_t max, cli_upload **u,
                     enum MHD_Result *result)
{
    *u = *state;
    *result = MHD_YES;
    if (!*u) { /* the first call only announces the request */
        if (!(*u = calloc(1, sizeof(**u)))) *result = MHD_NO;
        *state = *u;
        return false;
    }
    if (*size == 0) return true;
    if ((*u)->too_big || (*u)->len + *size > max) {
        (*u)->too_big = true; /* keep reading, stop keeping */
    } else {
        char *grown = realloc((*u)->body, (*u)->len + *size + 1);
        if (!grown) {
            *result = MHD_NO;
            return false;
        }
        memcpy(grown + (*u)->len, data, *size);
        (*u)->body = grown;
        (*u)->len += *size;
        (*u)->body[(*u)->len] = '\0';
    }
    *size = 0;
    return false;
}

static enum MHD_Result add_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    cli_values *v = cls;
    (void)kind;
    if (v->n < CLI_HTTP_MAX_VALUES) {
        v->names[v->n] = key;
        v->values[v->n++] = value ? value : "";
    }
    return MHD_YES;
}

void cli_values_get(struct MHD_Connection *c, enum MHD_ValueKind kind, cli_values *out)
{
    out->n = 0;
    MHD_get_connection_values(c, kind, add_value, out);
}

int cli_bound_port(struct MHD_Daemon *d, int asked)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info && info->port ? (int)info->port : asked;
}
