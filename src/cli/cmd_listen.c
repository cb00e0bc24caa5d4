/*
 * webhooks listen: a webhook receiver. It verifies each delivery's signature with the given
 * secret and prints one line per request: its number, whether it verified, the event type and
 * id. A request that does not verify is answered 401 (--accept-invalid answers it like the
 * others); --fail-first N answers 500 to the first N requests; --status CODE answers CODE.
 * --dump DIR saves each request's headers and body where `webhooks verify` can check them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_server.h"

void cmd_listen_usage(FILE *out)
{
    fputs("Usage: webhooks listen [--listen 127.0.0.1:9000] --secret SECRET [--secret ...]\n"
          "                       [--scheme standard|github|stripe] [--fail-first N]\n"
          "                       [--status CODE] [--tolerance SECONDS] [--accept-invalid]\n"
          "                       [--dump DIR]\n"
          "\n"
          "Receive webhook deliveries over HTTP, verify each one's signature and print one line\n"
          "per request: 'N verified TYPE ID -> STATUS' or 'N INVALID (reason) TYPE ID -> STATUS'.\n"
          "A request that does not verify is answered 401. Runs until SIGINT or SIGTERM.\n"
          "\n"
          "  --listen ADDR:PORT  where to listen (default 127.0.0.1:9000)\n"
          "  --secret SECRET     the webhook's secret; repeat during a rotation\n"
          "  --scheme S          standard (default), github or stripe\n"
          "  --fail-first N      answer 500 to the first N requests (to show retries)\n"
          "  --status CODE       answer CODE (100..599) to every verified request (default 204)\n"
          "  --tolerance SECS    accepted timestamp skew (default 300)\n"
          "  --accept-invalid    answer requests that do not verify like the others, not 401\n"
          "                      (to debug a sender; the line still says INVALID)\n"
          "  --dump DIR          save request N's headers as DIR/N.headers and its body as\n"
          "                      DIR/N.body (N has six digits; files of an earlier run with the\n"
          "                      same numbers are replaced) and print the webhooks verify command\n"
          "                      that checks them, with the time received as --now\n"
          "  -h, --help          show this help\n"
          "\n"
          "Exit status: 0 stopped by a signal, 2 usage error or the address is in use.\n",
          out);
}

typedef struct listener {
    wh_scheme scheme;
    const char *secrets[WH_SIGN_MAX_SECRETS];
    size_t nsecrets;
    int64_t fail_first, status, tolerance;
    bool accept_invalid; /* answer --status to requests that do not verify too */
    const char *dump;    /* --dump DIR, or NULL */
    pthread_mutex_t lock;
    int64_t count;
} listener;

/* The event type and id of a delivery: from the body's envelope, else from the headers. */
static void describe(const cli_request *r, char *type, char *id, size_t n)
{
    snprintf(type, n, "-");
    snprintf(id, n, "-");
    for (size_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->header_names[i], "webhook-id") == 0 ||
            strcasecmp(r->header_names[i], "x-idempotency-key") == 0)
            snprintf(id, n, "%s", r->header_values[i]);
    wh_event *ev = NULL;
    if (r->body && wh_event_from_json(&ev, r->body, r->body_len) == WH_OK) {
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

/* Write len bytes to path (mode 0600, replacing it): 0 or -1 with errno. */
static int write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int saved = errno;
            close(fd);
            errno = saved ? saved : EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}

/* The headers as `webhooks verify --headers-file` reads them: "Name: value" lines. The server
 * refused header lines holding CR, LF or NUL, so each header stays on its line. */
static char *headers_text(const cli_request *r, size_t *len)
{
    size_t n = 1;
    for (size_t i = 0; i < r->header_count; i++)
        n += strlen(r->header_names[i]) + strlen(r->header_values[i]) + 3;
    char *text = malloc(n), *p = text;
    for (size_t i = 0; text && i < r->header_count; i++)
        p += sprintf(p, "%s: %s\n", r->header_names[i], r->header_values[i]);
    *len = text ? (size_t)(p - text) : 0;
    return text;
}

/* Save request number's headers and body under --dump; print where and how to check them. */
static void dump(const listener *l, const cli_request *r, int64_t number)
{
    char headers[4096], body[4096];
    snprintf(headers, sizeof(headers), "%s/%06lld.headers", l->dump, (long long)number);
    snprintf(body, sizeof(body), "%s/%06lld.body", l->dump, (long long)number);
    size_t len;
    char *text = headers_text(r, &len);
    if (!text || write_file(headers, text, len) != 0 ||
        write_file(body, r->body ? r->body : "", r->body ? r->body_len : 0) != 0) {
        printf("  not saved: %s\n", text ? strerror(errno) : "out of memory");
    } else {
        printf("  saved %s and %s; check them with:\n"
               "  webhooks verify%s%s --secret SECRET --now %lld --headers-file %s %s\n",
               headers, body, l->scheme == WH_SCHEME_STANDARD ? "" : " --scheme ",
               l->scheme == WH_SCHEME_STANDARD ? "" : wh_scheme_name(l->scheme),
               (long long)time(NULL), headers, body);
    }
    free(text);
}

/* A request that does not verify is answered 401 (unless --accept-invalid), so a sender sees
 * its signature refused as a real receiver would refuse it. */
static enum MHD_Result answer(struct MHD_Connection *c, const cli_request *r, void *ud)
{
    listener *l = ud;
    int rc = r->body_too_large
                 ? WH_ETOOLARGE
                 : wh_verify(l->scheme, l->secrets, l->nsecrets, r->header_names, r->header_values,
                             r->header_count, r->body, r->body_len, 0, l->tolerance);
    char reason[256], type[128], id[128];
    snprintf(reason, sizeof(reason), "%s", rc == WH_OK ? "" : wh_error_last_message());
    describe(r, type, id, sizeof(type));
    int64_t number;
    int status = next_status(l, &number);
    if (rc != WH_OK && !l->accept_invalid) status = 401;
    if (rc == WH_OK)
        printf("%lld verified %s %s -> %d\n", (long long)number, type, id, status);
    else
        printf("%lld INVALID (%s) %s %s -> %d\n", (long long)number, reason, type, id, status);
    if (l->dump) dump(l, r, number);
    fflush(stdout);
    return cli_server_reply(c, (unsigned)status, NULL, 0, NULL, NULL, 0);
}

enum {
    O_LISTEN,
    O_SECRET,
    O_SCHEME,
    O_FAIL,
    O_STATUS,
    O_TOLERANCE,
    O_ACCEPT_INVALID,
    O_DUMP,
    O_HELP
};
static const cli_option OPTIONS[] = {
    [O_LISTEN] = {"listen", true},
    [O_SECRET] = {"secret", true},
    [O_SCHEME] = {"scheme", true},
    [O_FAIL] = {"fail-first", true},
    [O_STATUS] = {"status", true},
    [O_TOLERANCE] = {"tolerance", true},
    [O_ACCEPT_INVALID] = {"accept-invalid", false},
    [O_DUMP] = {"dump", true},
    [O_HELP] = {"help", false},
};

/* --dump DIR: created (0700) when missing; must be a writable directory. */
static int open_dump_dir(const char *cmd, const char *dir, const char **out)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cli_usage_error(cmd, "--dump: cannot create %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) != 0)
        return cli_usage_error(cmd, "--dump: %s is not a writable directory", dir);
    if (strlen(dir) > 1024) return cli_usage_error(cmd, "--dump: the path is too long");
    *out = dir;
    return 0;
}

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
        else if (k == O_ACCEPT_INVALID)
            l->accept_invalid = true;
        else if (k == O_DUMP)
            rc = open_dump_dir(cmd, v, &l->dump);
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
    cli_server_config sc = {"listen", 1, NULL, answer, &l};
    cli_server *srv = cli_server_start(&addr, &sc);
    if (!srv) return CLI_EXIT_USAGE;
    fprintf(stderr, "webhooks listen: listening on http://%s:%d/\n", inet_ntoa(addr.sin_addr),
            cli_server_port(srv));
    while (!cli_stop_requested())
        usleep(50 * 1000);
    cli_server_stop(srv);
    fprintf(stderr, "webhooks listen: stopped after %lld requests\n", (long long)l.count);
    pthread_mutex_destroy(&l.lock);
    return CLI_EXIT_OK;
}
