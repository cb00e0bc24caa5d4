/*
 * webhooks listen: a webhook receiver. It verifies each delivery's signature with the given
 * secret and prints one line per request: its number, whether it verified, the event type and
 * id. --fail-first N answers 500 to the first N requests; --status CODE always answers CODE.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_http.h"

void cmd_listen_usage(FILE *out)
{
    fputs("Usage: webhooks listen [--listen 127.0.0.1:9000] --secret SECRET [--secret ...]\n"
          "                       [--scheme standard|github|stripe] [--fail-first N]\n"
          "                       [--status CODE] [--tolerance SECONDS]\n"
          "\n"
          "Receive webhook deliveries over HTTP, verify each one's signature and print one line\n"
          "per request: 'N verified TYPE ID -> STATUS' or 'N INVALID (reason) TYPE ID -> STATUS'.\n"
          "Runs until SIGINT or SIGTERM.\n"
          "\n"
          "  --listen ADDR:PORT  where to listen (default 127.0.0.1:9000)\n"
          "  --secret SECRET     the webhook's secret; repeat during a rotation\n"
          "  --scheme S          standard (default), github or stripe\n"
          "  --fail-first N      answer 500 to the first N requests (to show retries)\n"
          "  --status CODE       answer CODE (100..599) to every request (default 204)\n"
          "  --tolerance SECS    accepted timestamp skew (default 300)\n"
          "  -h, --help          show this help\n",
          out);
}

typedef struct listener {
    wh_scheme scheme;
    const char *secrets[WH_SIGN_MAX_SECRETS];
    size_t nsecrets;
    int64_t fail_first, status, tolerance;
    pthread_mutex_t lock;
    int64_t count;
} listener;

/* The event type and id of a delivery: from the body's envelope, else from the headers. */
static void describe(const cli_upload *u, const cli_values *h, char *type, char *id, size_t n)
{
    snprintf(type, n, "-");
    snprintf(id, n, "-");
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->names[i], "webhook-id") == 0 ||
            strcasecmp(h->names[i], "x-idempotency-key") == 0)
            snprintf(id, n, "%s", h->values[i]);
    wh_event *ev = NULL;
    if (u->body && wh_event_from_json(&ev, u->body, u->len) == WH_OK) {
        snprintf(type, n, "%s", wh_event_type(ev));
        wh_event_free(ev);
    }
}

static int next_status(listener *l, int64_t *number)
{
    pthread_mutex_lock(&l->lock);
    *number = ++l->count;
    int status = (int)(*number <= l->fail_first ? 500 : l->status);
    pthread_mutex_unlock(&l->lock);
    return status;
}

static enum MHD_Result answer(struct MHD_Connection *c, listener *l, cli_upload *u)
{
    cli_values h;
    cli_values_get(c, MHD_HEADER_KIND, &h);
    int rc = u->too_big ? WH_ETOOLARGE
                        : wh_verify(l->scheme, l->secrets, l->nsecrets, h.names, h.values, h.n,
                                    u->body, u->len, 0, l->tolerance);
    char reason[256], type[128], id[128];
    snprintf(reason, sizeof(reason), "%s", rc == WH_OK ? "" : wh_error_last_message());
    describe(u, &h, type, id, sizeof(type));
    int64_t number;
    int status = next_status(l, &number);
    if (rc == WH_OK)
        printf("%lld verified %s %s -> %d\n", (long long)number, type, id, status);
    else
        printf("%lld INVALID (%s) %s %s -> %d\n", (long long)number, reason, type, id, status);
    fflush(stdout);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    (void)url;
    (void)method;
    (void)version;
    cli_upload *u;
    enum MHD_Result result;
    if (!cli_upload_feed(state, data, size, CLI_MAX_BODY, &u, &result)) return result;
    return answer(c, cls, u);
}

enum { O_LISTEN, O_SECRET, O_SCHEME, O_FAIL, O_STATUS, O_TOLERANCE, O_HELP };
static const cli_option OPTIONS[] = {
    [O_LISTEN] = {"listen", true}, [O_SECRET] = {"secret", true},
    [O_SCHEME] = {"scheme", true}, [O_FAIL] = {"fail-first", true},
    [O_STATUS] = {"status", true}, [O_TOLERANCE] = {"tolerance", true},
    [O_HELP] = {"help", false},
};

static int parse(int argc, char **argv, listener *l, struct sockaddr_in *addr)
{
    const char *cmd = "listen", *v;
    cli_parser p;
    cli_parser_init(&p, argc, argv);
    int k;
    if (cli_parse_listen(cmd, "127.0.0.1:9000", addr) != 0) return CLI_EXIT_USAGE;
    while ((k = cli_next(&p, OPTIONS, sizeof(OPTIONS) / sizeof(OPTIONS[0]), &v)) != CLI_END) {
        int rc = 0;
        if (k == CLI_BAD) return CLI_EXIT_USAGE;
        if (k == CLI_POSITIONAL) return cli_usage_error(cmd, "unexpected argument '%s'", v);
        if (k == O_HELP) {
            cmd_listen_usage(stdout);
            return -1;
        }
        if (k == O_LISTEN)
            rc = cli_parse_listen(cmd, v, addr);
        else if (k == O_SECRET && l->nsecrets < WH_SIGN_MAX_SECRETS)
            l->secrets[l->nsecrets++] = v;
        else if (k == O_SECRET)
            rc = cli_usage_error(cmd, "at most %d secrets", WH_SIGN_MAX_SECRETS);
        else if (k == O_SCHEME)
            rc = cli_parse_scheme(cmd, v, &l->scheme);
        else if (k == O_FAIL)
            rc = cli_parse_int(cmd, "--fail-first", v, 0, 1000000, &l->fail_first);
        else if (k == O_STATUS)
            rc = cli_parse_int(cmd, "--status", v, 100, 599, &l->status);
        else if (k == O_TOLERANCE)
            rc = cli_parse_int(cmd, "--tolerance", v, 1, 86400 * 365, &l->tolerance);
        if (rc != 0) return rc;
    }
    if (l->nsecrets == 0) return cli_usage_error(cmd, "--secret is required");
    return 0;
}

int cmd_listen(int argc, char **argv)
{
    listener l = {.scheme = WH_SCHEME_STANDARD, .status = 204};
    struct sockaddr_in addr;
    int rc = parse(argc, argv, &l, &addr);
    if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
    pthread_mutex_init(&l.lock, NULL);
    cli_install_stop_signals();
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &l,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        cli_upload_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "webhooks listen: cannot listen on %s:%d\n", inet_ntoa(addr.sin_addr),
                ntohs(addr.sin_port));
        return CLI_EXIT_USAGE;
    }
    fprintf(stderr, "webhooks listen: listening on http://%s:%d/\n", inet_ntoa(addr.sin_addr),
            cli_bound_port(d, ntohs(addr.sin_port)));
    while (!cli_stop_requested())
        usleep(50 * 1000);
    MHD_stop_daemon(d);
    fprintf(stderr, "webhooks listen: stopped after %lld requests\n", (long long)l.count);
    pthread_mutex_destroy(&l.lock);
    return CLI_EXIT_OK;
}
