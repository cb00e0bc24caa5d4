/*
 * webhooks serve: a complete webhook host built only from the public API. libmicrohttpd serves
 * the registration API (wh_api) at /, and the main thread runs the hub's delivery loop over the
 * SQLite store (or memory). SIGINT/SIGTERM stop it cleanly: the HTTP server drains, requests in
 * flight are given back to the queue, and the store is closed: nothing accepted is lost.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_server.h"

#define MAX_KEYS   32
#define MAX_CIDRS  32
#define MAX_MOUNTS 16

void cmd_serve_usage(FILE *out)
{
    fputs(
        "Usage: webhooks serve [--listen 127.0.0.1:8080] [--db webhooks.db | :memory: | URI]\n"
        "                      [--api-key KEY:OWNER:SCOPE,SCOPE ...] [--allow-network CIDR ...]\n"
        "                      [--reveal-secrets] [--catalogue FILE] [--quiet]\n"
        "                      [--retry-schedule SECS,SECS,... | none] [--allowed-methods M,M]\n"
        "                      [--retention DAYS] [--mount PREFIX=PROFILE ...]\n"
        "\n"
        "Run the webhook registration API (its reference: docs/rest-api.md) over HTTP and\n"
        "deliver the events it receives. Runs until SIGINT or SIGTERM.\n"
        "\n"
        "  --listen ADDR:PORT    where the API listens (default 127.0.0.1:8080)\n"
        "  --db PATH             SQLite database (default webhooks.db; created with mode 0600);\n"
        "                        :memory: keeps everything in memory (lost on exit);\n"
        "                        postgresql://USER[:PASSWORD]@HOST:PORT/DBNAME (or postgres://)\n"
        "                        a PostgreSQL database that several serve processes share\n"
        "  --api-key SPEC        KEY:OWNER:SCOPES, scopes among webhooks:read, webhooks:write,\n"
        "                        events:write (or *); repeat for several keys\n"
        "  --allow-network CIDR  let deliveries reach this otherwise refused range (e.g.\n"
        "                        127.0.0.0/8 for local receivers); repeat\n"
        "  --reveal-secrets      show secrets in every webhook response, not only at creation\n"
        "  --catalogue FILE      event types, entities and relations to accept (JSON, in the\n"
        "                        shape GET /event-types answers)\n"
        "  --retry-schedule L    the delays in seconds before each retry, for webhooks that\n"
        "                        set none (default the Standard Webhooks\n"
        "                        schedule: 5,300,1800,7200,18000,36000,36000); none: no retries;\n"
        "                        or a preset's name: standard, commerce, cakto\n"
        "  --mount PREFIX=PROFILE  serve an API profile under PREFIX: a shipped one (native,\n"
        "                        cakto, placaflow, rdstation, commerce, whautochat) or a profile\n"
        "                        file (docs/profiles.md); repeat to serve several at once\n"
        "                        (default: --mount /=native)\n"
        "  --allowed-methods L   the delivery methods a webhook may ask for, among POST, PUT,\n"
        "                        PATCH, GET, DELETE (default all); others are refused with 400\n"
        "  --retention DAYS      keep finished deliveries and their attempts this long, then\n"
        "                        purge them (default 30; 0: keep them forever). With\n"
        "                        --db :memory: at most the newest 10 000 are kept anyway\n"
        "  --quiet               log only warnings and errors\n"
        "  -h, --help            show this help\n"
        "\n"
        "Exit status: 0 stopped by a signal, 2 usage error, or the hub, the database or the\n"
        "address could not be opened (the message says which).\n",
        out);
}

typedef struct serve_args {
    struct sockaddr_in addr;
    const char *db;
    const char *keys[MAX_KEYS];
    size_t nkeys;
    const char *cidrs[MAX_CIDRS];
    size_t ncidrs;
    bool reveal, quiet;
    const char *catalogue;
    uint32_t retry[WH_MAX_RETRY_STEPS];
    size_t nretry;                  /* 0: the library's default schedule */
    bool retry_off;                 /* --retry-schedule none */
    unsigned methods;               /* WH_API_METHOD_BIT mask; 0: all */
    int64_t retention_days;         /* -1: the hub's default */
    const char *retry_preset;       /* --retry-schedule NAME, or NULL */
    const char *mounts[MAX_MOUNTS]; /* PREFIX=PROFILE */
    size_t nmounts;
} serve_args;

enum {
    O_LISTEN,
    O_DB,
    O_KEY,
    O_ALLOW,
    O_REVEAL,
    O_CATALOGUE,
    O_QUIET,
    O_RETRY,
    O_METHODS,
    O_RETENTION,
    O_MOUNT,
    O_HELP
};
static const cli_option OPTIONS[] = {
    [O_LISTEN] = {"listen", true},
    [O_DB] = {"db", true},
    [O_KEY] = {"api-key", true},
    [O_ALLOW] = {"allow-network", true},
    [O_REVEAL] = {"reveal-secrets", false},
    [O_CATALOGUE] = {"catalogue", true},
    [O_QUIET] = {"quiet", false},
    [O_RETRY] = {"retry-schedule", true},
    [O_METHODS] = {"allowed-methods", true},
    [O_RETENTION] = {"retention", true},
    [O_MOUNT] = {"mount", true},
    [O_HELP] = {"help", false},
};

/* The comma-separated item at *p into item (NUL-terminated); *p moves to the comma or the end
 * after it. false when the item does not fit (item then holds its start, cut). */
static bool next_item(const char **p, char *item, size_t cap)
{
    size_t n = strcspn(*p, ",");
    snprintf(item, cap, "%.*s", (int)(n < cap ? n : cap - 1), *p);
    *p += n;
    return n < cap;
}

/* --retry-schedule 5,300,1800 or none: 1..WH_MAX_RETRY_STEPS delays of 1..WH_MAX_RETRY_DELAY_S. */
static int parse_retry(const char *cmd, const char *s, serve_args *a)
{
    a->nretry = 0;
    a->retry_preset = NULL;
    a->retry_off = strcmp(s, "none") == 0;
    if (a->retry_off) return 0;
    if (s[0] < '0' || s[0] > '9') { /* a preset's name */
        if (wh_retry_preset_get(s, NULL, NULL, NULL) != WH_OK)
            return cli_usage_error(
                cmd,
                "--retry-schedule takes delays in seconds or a preset (standard, "
                "none, commerce, cakto), not '%s'",
                s);
        a->retry_preset = s;
        return 0;
    }
    char item[24];
    const char *p = s;
    do {
        int64_t v;
        if (a->nretry == WH_MAX_RETRY_STEPS)
            return cli_usage_error(cmd, "--retry-schedule takes at most %d delays",
                                   WH_MAX_RETRY_STEPS);
        bool fits = next_item(&p, item, sizeof(item));
        if (cli_parse_int(cmd, "each --retry-schedule delay", fits ? item : "(too long)", 1,
                          WH_MAX_RETRY_DELAY_S, &v) != 0)
            return CLI_EXIT_USAGE;
        a->retry[a->nretry++] = (uint32_t)v;
    } while (*p++ == ','); /* a trailing comma leaves an empty item: refused */
    return 0;
}

/* --allowed-methods POST,PUT: a WH_API_METHOD_BIT mask. */
static int parse_methods(const char *cmd, const char *s, unsigned *mask)
{
    char item[16];
    *mask = 0;
    const char *p = s;
    do {
        wh_method m;
        if (!next_item(&p, item, sizeof(item)) || wh_method_parse(item, &m) != WH_OK)
            return cli_usage_error(cmd,
                                   "--allowed-methods takes POST, PUT, PATCH, GET or DELETE "
                                   "separated by commas, not '%s'",
                                   item);
        *mask |= WH_API_METHOD_BIT(m);
    } while (*p++ == ',');
    return 0;
}

static int parse(int argc, char **argv, serve_args *a)
{
    const char *cmd = "serve", *v;
    cli_parser p;
    cli_parser_init(&p, argc, argv);
    int k, rc = cli_parse_listen(cmd, "127.0.0.1:8080", &a->addr);
    a->db = "webhooks.db";
    a->retention_days = -1;
    while (rc == 0 &&
           (k = cli_next(&p, OPTIONS, sizeof(OPTIONS) / sizeof(OPTIONS[0]), &v)) != CLI_END) {
        if (k == CLI_BAD) return CLI_EXIT_USAGE;
        if (k == CLI_POSITIONAL) return cli_usage_error(cmd, "unexpected argument '%s'", v);
        if (k == O_HELP) {
            cmd_serve_usage(stdout);
            return -1;
        }
        if (k == O_LISTEN)
            rc = cli_parse_listen(cmd, v, &a->addr);
        else if (k == O_DB)
            a->db = v;
        else if (k == O_KEY)
            a->nkeys < MAX_KEYS ? (void)(a->keys[a->nkeys++] = v)
                                : (void)(rc = cli_usage_error(cmd, "too many --api-key"));
        else if (k == O_ALLOW)
            a->ncidrs < MAX_CIDRS ? (void)(a->cidrs[a->ncidrs++] = v)
                                  : (void)(rc = cli_usage_error(cmd, "too many --allow-network"));
        else if (k == O_REVEAL)
            a->reveal = true;
        else if (k == O_CATALOGUE)
            a->catalogue = v;
        else if (k == O_QUIET)
            a->quiet = true;
        else if (k == O_RETRY)
            rc = parse_retry(cmd, v, a);
        else if (k == O_METHODS)
            rc = parse_methods(cmd, v, &a->methods);
        else if (k == O_RETENTION)
            rc = cli_parse_int(cmd, "--retention", v, 0, 36500, &a->retention_days);
        else if (k == O_MOUNT)
            a->nmounts < MAX_MOUNTS ? (void)(a->mounts[a->nmounts++] = v)
                                    : (void)(rc = cli_usage_error(cmd, "too many --mount"));
    }
    if (rc == 0 && a->nkeys == 0)
        fprintf(stderr, "webhooks serve: no --api-key given: every request will answer 401\n");
    return rc;
}

/* ---- HTTP glue: one wh_api_request per HTTP request ---- */

#define MAX_ANSWER_HEADERS 16 /* the API sets at most five */

static enum MHD_Result send_answer(struct MHD_Connection *conn, wh_api_response *r)
{
    const char *names[MAX_ANSWER_HEADERS], *values[MAX_ANSWER_HEADERS];
    size_t n = 0;
    for (; n < r->header_count && n < MAX_ANSWER_HEADERS; n++) {
        names[n] = r->headers[n].name;
        values[n] = r->headers[n].value;
    }
    return cli_server_reply(conn, (unsigned)r->status, r->body, r->body_len, names, values, n);
}

static enum MHD_Result handle(struct MHD_Connection *conn, const cli_request *in, void *ud)
{
    wh_api *api = ud;
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = in->method;
    req.path = in->url;
    req.header_names = in->header_names;
    req.header_values = in->header_values;
    req.header_count = in->header_count;
    req.query_names = in->query_names; /* split and decoded by the server: passed on as they are */
    req.query_values = in->query_values;
    req.query_count = in->query_count;
    req.body = in->body;
    req.body_len = in->body_len;
    req.body_too_large = in->body_too_large;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    wh_api_handle(api, &req, &resp);
    if (!resp.status) resp.status = 500;
    enum MHD_Result ok = send_answer(conn, &resp);
    wh_api_response_free(&resp);
    return ok;
}

/* Past the API's limit the body is not kept: the API answers 413. */
static size_t api_max_body(void *ud)
{
    return wh_api_max_body(ud);
}

/* ---- the host ---- */

static void log_line(int level, const char *message, void *ud)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    (void)ud;
    fprintf(stderr, "webhooks serve: %s: %s\n", names[level & 3], message);
}

/* A libpq URI: the PostgreSQL store (any other --db is a SQLite file or :memory:). */
static bool is_postgres(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

static int open_hub(const serve_args *a, wh_hub **hub)
{
    wh_store *store = NULL;
    bool shared = is_postgres(a->db);
    int rc = strcmp(a->db, ":memory:") == 0 ? wh_store_memory_new(&store)
             : shared                       ? wh_store_postgres_open(&store, a->db)
                                            : wh_store_sqlite_open(&store, a->db);
    if (rc != WH_OK) return rc;
    wh_hub_options *o = NULL;
    rc = wh_hub_options_new(&o);
    if (rc == WH_OK) rc = wh_hub_options_set_store(o, store, 1);
    /* Other serve processes share the queue: a lease left by one of them is theirs until it
     * expires, not reclaimed at start. */
    if (rc == WH_OK && shared) rc = wh_hub_options_set_shared_queue(o, 1);
    for (size_t i = 0; rc == WH_OK && i < a->ncidrs; i++)
        rc = wh_hub_options_allow_cidr(o, a->cidrs[i]);
    if (rc == WH_OK && a->nretry)
        rc = wh_hub_options_set_default_retry_schedule(o, a->retry, a->nretry);
    if (rc == WH_OK && a->retry_off) rc = wh_hub_options_set_default_retry_off(o, 1);
    if (rc == WH_OK && a->retry_preset)
        rc = wh_hub_options_set_default_retry_preset(o, a->retry_preset);
    if (rc == WH_OK && a->retention_days >= 0)
        rc = wh_hub_options_set_retention_ms(o, (wh_time_ms)a->retention_days * 86400000);
    if (rc == WH_OK)
        rc = wh_hub_options_set_log(o, log_line, a->quiet ? WH_LOG_WARN : WH_LOG_INFO, NULL);
    if (rc == WH_OK) rc = wh_hub_new(hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) wh_store_free(store);
    return rc;
}

static int load_catalogue(wh_api *api, const char *path)
{
    unsigned char *json;
    size_t len;
    if (cli_read_body("serve", path, &json, &len) != 0) return WH_EINVAL;
    int rc = wh_api_catalogue_load_json(api, (const char *)json, len);
    free(json);
    return rc;
}

/* --api-key KEY:OWNER:SCOPES: split at the first two ':' (so KEY and OWNER cannot hold ':'; the
 * scopes may, as in "webhooks:read"), scopes as wh_api_scopes_parse. */
static int add_key_spec(wh_api *api, const char *spec)
{
    const char *c1 = strchr(spec, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2) {
        fprintf(stderr, "webhooks serve: --api-key wants KEY:OWNER:SCOPE,SCOPE\n");
        return WH_EINVAL;
    }
    char *key = strndup(spec, (size_t)(c1 - spec));
    char *owner = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
    unsigned int scopes = 0;
    int rc = key && owner ? wh_api_scopes_parse(c2 + 1, &scopes) : WH_ENOMEM;
    if (rc == WH_OK && scopes == 0) {
        fprintf(stderr, "webhooks serve: --api-key needs at least one scope\n");
        rc = WH_EINVAL;
    } else if (rc == WH_OK) {
        rc = wh_api_add_key(api, key, owner, scopes);
    }
    if (key) explicit_bzero(key, strlen(key)); /* the key is a credential */
    free(key);
    free(owner);
    return rc;
}

/* PROFILE of --mount: a shipped profile's name, else a file. */
static int load_profile(const char *what, wh_profile **out)
{
    if (wh_profile_builtin_json(what, NULL)) return wh_profile_builtin(out, what);
    unsigned char *json;
    size_t len;
    if (cli_read_body("serve", what, &json, &len) != 0) {
        *out = NULL;
        fprintf(stderr,
                "webhooks serve: --mount: '%s' is neither a shipped profile (native, "
                "cakto, placaflow, rdstation, commerce, whautochat) nor a readable file\n",
                what);
        return WH_EINVAL;
    }
    int rc = wh_profile_load(out, (const char *)json, len);
    free(json);
    return rc;
}

/* --mount PREFIX=PROFILE */
static int mount_spec(wh_api *api, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq) {
        fprintf(stderr, "webhooks serve: --mount wants PREFIX=PROFILE (e.g. /=native)\n");
        return WH_EINVAL;
    }
    char *prefix = strndup(spec, (size_t)(eq - spec));
    wh_profile *p = NULL;
    int rc = prefix ? load_profile(eq + 1, &p) : WH_ENOMEM;
    if (rc == WH_OK) rc = wh_api_mount(api, prefix, p);
    wh_profile_free(p);
    free(prefix);
    return rc;
}

static int open_api(const serve_args *a, wh_hub *hub, wh_api **api)
{
    int rc = wh_api_new(api, hub);
    if (rc == WH_OK) rc = wh_api_set_reveal_secrets(*api, a->reveal);
    if (rc == WH_OK) rc = wh_api_set_log(*api, log_line, NULL);
    if (rc == WH_OK) rc = wh_api_set_allowed_methods(*api, a->methods);
    for (size_t i = 0; rc == WH_OK && i < a->nkeys; i++)
        rc = add_key_spec(*api, a->keys[i]);
    if (rc == WH_OK && a->catalogue) rc = load_catalogue(*api, a->catalogue);
    for (size_t i = 0; rc == WH_OK && i < a->nmounts; i++)
        rc = mount_spec(*api, a->mounts[i]);
    return rc;
}

static int fail(const char *what)
{
    const wh_error *e = wh_error_last();
    fprintf(stderr, "webhooks serve: %s: %s\n", what, e->message);
    for (size_t i = 0; i < e->details_count; i++)
        fprintf(stderr, "  - %s\n", e->details[i]);
    return CLI_EXIT_USAGE;
}

int cmd_serve(int argc, char **argv)
{
    serve_args a;
    memset(&a, 0, sizeof(a));
    int rc = parse(argc, argv, &a);
    if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
    wh_hub *hub = NULL;
    wh_api *api = NULL;
    if (open_hub(&a, &hub) != WH_OK) return fail("cannot start the hub");
    if (open_api(&a, hub, &api) != WH_OK) {
        rc = fail("cannot set up the API");
        goto out;
    }
    cli_install_stop_signals();
    cli_server_config sc = {"serve", 4, api_max_body, handle, api};
    cli_server *srv = cli_server_start(&a.addr, &sc);
    if (!srv) {
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    fprintf(stderr, "webhooks serve: API on http://%s:%d/ (store: %s)\n",
            inet_ntoa(a.addr.sin_addr), cli_server_port(srv), a.db);
    while (!cli_stop_requested())
        if (wh_hub_run(hub, 200) != WH_OK) log_line(WH_LOG_ERROR, wh_error_last()->message, NULL);
    fprintf(stderr, "webhooks serve: stopping\n");
    cli_server_stop(srv); /* no API request is in progress after this */
    rc = CLI_EXIT_OK;
out:
    wh_api_free(api);
    wh_hub_free(hub); /* deliveries in flight go back to the queue; the store is closed */
    return rc;
}
