/* libmicrohttpd glue used by the shared server (cli_server.c): request bodies and argument
 * lists. */
#ifndef WEBHOOKS_CLI_HTTP_H
#define WEBHOOKS_CLI_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#define CLI_HTTP_MAX_VALUES 64

/* A request body being received. */
typedef struct cli_upload {
    char *body; /* NUL-terminated when not NULL */
    size_t len;
    bool too_big; /* longer than the limit: the rest was dropped */
} cli_upload;

/*
 * The part of an MHD access handler that receives the body: the first call creates the upload
 * in *state, later calls append up to max bytes. Returns true with *u set once the whole body
 * is in (the handler answers then); false while more is coming (the handler returns *result).
 */
bool cli_upload_feed(void **state, const char *data, size_t *size, size_t max, cli_upload **u,
                     enum MHD_Result *result);

/* Names and values of one kind (headers, query arguments), borrowed from MHD for the request. */
typedef struct cli_values {
    const char *names[CLI_HTTP_MAX_VALUES];
    const char *values[CLI_HTTP_MAX_VALUES];
    size_t n;
} cli_values;

void cli_values_get(struct MHD_Connection *c, enum MHD_ValueKind kind, cli_values *out);

/* The port the daemon listens on: the one asked for, or the one the system chose for port 0. */
int cli_bound_port(struct MHD_Daemon *d, int asked);

#endif
