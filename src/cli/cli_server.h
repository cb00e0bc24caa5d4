/*
 * The HTTP server `webhooks serve` and `webhooks listen` share: libmicrohttpd with the limits a
 * server on the open network needs (docs/cli.md, "Limits of the HTTP servers"):
 *
 * - a request is refused at once, before any handler runs, when it has more than
 *   CLI_MAX_QUERY_PARAMS query parameters (414), "%00" in its path or query (400), more than
 *   CLI_MAX_HEADERS header fields (431), a header line holding a NUL byte or not ended by
 *   CR LF (400), or two Content-Length headers that disagree (400, and the connection is
 *   closed);
 * - a request must arrive whole within CLI_REQUEST_DEADLINE_S of the connection opening or the
 *   previous answer, however its bytes trickle in (a watchdog shuts the connection down);
 * - at most CLI_MAX_CONNECTIONS connections, CLI_MAX_PER_IP from one address; past three
 *   quarters of either, each new connection closes the oldest one still waiting for its
 *   request, so slow clients cannot hold every slot and a fresh client always gets one.
 *
 * The handler sees a whole request: headers, query, body (up to max_body; past it the body is
 * dropped and body_too_large set) and answers with cli_server_reply.
 */
#ifndef WEBHOOKS_CLI_SERVER_H
#define WEBHOOKS_CLI_SERVER_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define CLI_MAX_QUERY_PARAMS   64
#define CLI_MAX_HEADERS        100
#define CLI_REQUEST_DEADLINE_S 30
#define CLI_IDLE_TIMEOUT_S     15
#define CLI_MAX_CONNECTIONS    1024
#define CLI_MAX_PER_IP         64

typedef struct cli_request {
    const char *method;
    const char *url; /* the path, percent-decoded by libmicrohttpd */
    const char *const *header_names;
    const char *const *header_values;
    size_t header_count;
    const char *const *query_names; /* split and decoded */
    const char *const *query_values;
    size_t query_count;
    const char *body; /* NUL-terminated when not NULL */
    size_t body_len;
    bool body_too_large; /* the body was longer than max_body: it was dropped */
} cli_request;

/* Answer one request: queue the reply with cli_server_reply (or MHD_queue_response) and return
 * its result. Called from the server's threads, possibly several at once. */
typedef enum MHD_Result (*cli_handler)(struct MHD_Connection *c, const cli_request *req,
                                       void *user_data);

typedef struct cli_server_config {
    const char *name;                    /* "serve", "listen": for messages */
    unsigned int threads;                /* 0: one */
    size_t (*max_body)(void *user_data); /* NULL: CLI_MAX_BODY */
    cli_handler handler;
    void *user_data;
} cli_server_config;

typedef struct cli_server cli_server;

/* Start listening on addr (port 0: any free port). NULL on failure, with the reason printed. */
cli_server *cli_server_start(const struct sockaddr_in *addr, const cli_server_config *cfg);
/* The port it listens on. */
int cli_server_port(const cli_server *s);
/* Stop: no handler runs after this returns. NULL is a no-op. */
void cli_server_stop(cli_server *s);

/* Queue status with a body (copied) and header_count "Name", "value" pairs. */
enum MHD_Result cli_server_reply(struct MHD_Connection *c, unsigned int status, const char *body,
                                 size_t body_len, const char *const *header_names,
                                 const char *const *header_values, size_t header_count);

/* For tests: connections shut down by the watchdog (deadline) and by the pressure rule. */
typedef struct cli_server_stats {
    unsigned long deadline_closed;
    unsigned long pressure_closed;
} cli_server_stats;
void cli_server_get_stats(cli_server *s, cli_server_stats *out);

#endif
