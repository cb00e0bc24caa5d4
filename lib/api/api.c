/*
 * The registration API: creation, options, and the request dispatcher (route, method,
 * authentication, scope, body checks, then the route's handler).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_impl.h"
#include "profile_impl.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "compiler.h"

/* ---- creation and options ---- */

/* Fill in defaults and check ranges; WH_EINVAL names the bad option. */
static int normalise(wh_api_options *o)
{
    if (!o->max_body_bytes) o->max_body_bytes = WH_API_DEFAULT_MAX_BODY;
    if (!o->max_page_limit) o->max_page_limit = WH_API_DEFAULT_MAX_PAGE_LIMIT;
    if (!o->default_page_limit)
        o->default_page_limit = o->max_page_limit < WH_API_DEFAULT_PAGE_LIMIT
                                    ? o->max_page_limit
                                    : WH_API_DEFAULT_PAGE_LIMIT;
    if (o->max_page_limit > 10000)
        return whi_error(WH_EINVAL, "max_page_limit must be at most 10000");
    if (o->default_page_limit > o->max_page_limit)
        return whi_error(WH_EINVAL, "default_page_limit must not exceed max_page_limit");
    if (o->secret_overlap_ms < 0)
        return whi_error(WH_EINVAL, "secret_overlap_ms must not be negative");
    if (!o->secret_overlap_ms) o->secret_overlap_ms = WH_DEFAULT_SECRET_OVERLAP_MS;
    if (o->allowed_methods & ~(unsigned)0x1f)
        return whi_error(WH_EINVAL, "allowed_methods holds unknown method bits");
    return WH_OK;
}

int wh_api_new(wh_api **out, wh_hub *hub)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!hub) return whi_error(WH_EINVAL, "hub must not be NULL");
    wh_api_options o;
    memset(&o, 0, sizeof(o));
    int rc = normalise(&o);
    if (rc != WH_OK) return rc;
    wh_api *api = whi_calloc(1, sizeof(*api));
    if (!api) return whi_error_oom();
    if (pthread_rwlock_init(&api->cfg, NULL) != 0) {
        whi_free(api);
        return whi_error(WH_ENOMEM, "could not create a lock");
    }
    if (pthread_mutex_init(&api->writes, NULL) != 0) {
        pthread_rwlock_destroy(&api->cfg);
        whi_free(api);
        return whi_error(WH_ENOMEM, "could not create a lock");
    }
    api->hub = hub;
    api->opts = o;
    *out = api;
    return WH_OK;
}

void wh_api_free(wh_api *api)
{
    if (!api) return;
    for (size_t i = 0; i < api->nmounts; i++) {
        whi_free(api->mounts[i].prefix);
        wh_profile_free(api->mounts[i].profile);
    }
    whi_api_keys_free(api);
    whi_api_catalogue_clear(&api->cat);
    pthread_mutex_destroy(&api->writes);
    pthread_rwlock_destroy(&api->cfg);
    whi_free(api);
}

/* Change one option under the write lock, keeping the old options if the result is invalid. */
#define SET_OPTION(api, stmt)                                                                      \
    do {                                                                                           \
        if (!(api)) return whi_error(WH_EINVAL, "api must not be NULL");                           \
        pthread_rwlock_wrlock(&(api)->cfg);                                                        \
        wh_api_options o = (api)->opts;                                                            \
        stmt;                                                                                      \
        int rc_ = normalise(&o);                                                                   \
        if (rc_ == WH_OK) (api)->opts = o;                                                         \
        pthread_rwlock_unlock(&(api)->cfg);                                                        \
        return rc_;                                                                                \
    } while (0)

int wh_api_set_auth(wh_api *api, wh_api_auth_cb cb, void *user_data)
{
    SET_OPTION(api, (o.auth = cb, o.auth_user_data = user_data));
}

int wh_api_set_reveal_secrets(wh_api *api, int reveal)
{
    SET_OPTION(api, o.reveal_secrets = reveal != 0);
}

int wh_api_set_max_body(wh_api *api, size_t max_body_bytes)
{
    SET_OPTION(api, o.max_body_bytes = max_body_bytes);
}

int wh_api_set_allowed_methods(wh_api *api, unsigned int method_mask)
{
    SET_OPTION(api, o.allowed_methods = method_mask);
}

int wh_api_set_page_limits(wh_api *api, size_t default_limit, size_t max_limit)
{
    SET_OPTION(api, (o.default_page_limit = default_limit, o.max_page_limit = max_limit));
}

int wh_api_set_secret_overlap(wh_api *api, wh_time_ms overlap_ms)
{
    SET_OPTION(api, o.secret_overlap_ms = overlap_ms);
}

int wh_api_set_server_ids(wh_api *api, int on)
{
    SET_OPTION(api, o.server_ids = on != 0);
}

int wh_api_set_log(wh_api *api, wh_log_cb cb, void *user_data)
{
    SET_OPTION(api, (o.log = cb, o.log_user_data = user_data));
}

size_t wh_api_max_body(const wh_api *api)
{
    if (!api) return 0;
    wh_api *a = (wh_api *)api; /* the lock is not part of the logical state */
    pthread_rwlock_rdlock(&a->cfg);
    size_t n = a->opts.max_body_bytes;
    pthread_rwlock_unlock(&a->cfg);
    return n;
}

/* ---- the route table ---- */

typedef int (*api_handler)(api_ctx *);

enum { BODY_NONE, BODY_OPTIONAL, BODY_REQUIRED };

typedef struct api_method {
    const char *name;
    api_handler fn;
    unsigned int scope; /* 0: any authenticated principal */
    int body;
} api_method;

typedef struct api_route {
    const char *shape[WHI_API_MAX_SEGS]; /* literal segments; NULL stands for an id */
    size_t nsegs;
    const char *allow; /* the Allow header */
    api_method methods[4];
} api_route;

#define R WH_SCOPE_WEBHOOKS_READ
#define W WH_SCOPE_WEBHOOKS_WRITE

static const api_route ROUTES[] = {
    {{"webhooks"},
     1,
     "GET, POST, OPTIONS",
     {{"GET", whi_api_webhooks_list, R, BODY_NONE},
      {"POST", whi_api_webhooks_create, W, BODY_REQUIRED}}},
    {{"webhooks", NULL},
     2,
     "GET, PUT, PATCH, DELETE, OPTIONS",
     {{"GET", whi_api_webhook_get, R, BODY_NONE},
      {"PUT", whi_api_webhook_put, W, BODY_REQUIRED},
      {"PATCH", whi_api_webhook_patch, W, BODY_REQUIRED},
      {"DELETE", whi_api_webhook_delete, W, BODY_NONE}}},
    {{"webhooks", NULL, "secret", "rotate"},
     4,
     "POST, OPTIONS",
     {{"POST", whi_api_webhook_rotate, W, BODY_OPTIONAL}}},
    {{"webhooks", NULL, "deliveries"},
     3,
     "GET, OPTIONS",
     {{"GET", whi_api_deliveries_list, R, BODY_NONE}}},
    {{"webhooks", NULL, "test"},
     3,
     "POST, OPTIONS",
     {{"POST", whi_api_webhook_test, W, BODY_OPTIONAL}}},
    {{"webhooks", NULL, "recover"},
     3,
     "POST, OPTIONS",
     {{"POST", whi_api_webhook_recover, W, BODY_OPTIONAL}}},
    {{"deliveries", NULL, "retry"},
     3,
     "POST, OPTIONS",
     {{"POST", whi_api_delivery_retry, W, BODY_OPTIONAL}}},
    {{"events"},
     1,
     "POST, OPTIONS",
     {{"POST", whi_api_events_post, WH_SCOPE_EVENTS_WRITE, BODY_REQUIRED}}},
    {{"event-types"}, 1, "GET, OPTIONS", {{"GET", whi_api_event_types, 0, BODY_NONE}}},
};

#undef R
#undef W

static const api_route *find_route(const api_ctx *c)
{
    for (size_t i = 0; i < WHI_ARRAY_LEN(ROUTES); i++) {
        const api_route *r = &ROUTES[i];
        bool ok = r->nsegs == c->nsegs;
        for (size_t s = 0; ok && s < r->nsegs; s++)
            ok = !r->shape[s] || strcmp(r->shape[s], c->segs[s]) == 0;
        if (ok) return r;
    }
    return NULL;
}

static const api_method *find_method(const api_route *r, const char *method)
{
    for (size_t i = 0; i < WHI_ARRAY_LEN(r->methods) && r->methods[i].name; i++)
        if (strcmp(r->methods[i].name, method) == 0) return &r->methods[i];
    return NULL;
}

/* Path and query of the request; the query may ride on the path when req->query is NULL. */
static int split_target(api_ctx *c)
{
    const char *path = c->req->path, *query = c->req->query;
    size_t plen = strlen(path);
    const char *q = query ? NULL : memchr(path, '?', plen);
    if (q) {
        query = q + 1;
        plen = (size_t)(q - path);
    }
    if (whi_api_split_path(c, path, plen) != WH_OK)
        return whi_api_error(c, 404, WH_ENOTFOUND, "no route for %.200s", path);
    int rc = query ? whi_api_parse_query(c, query, strlen(query)) : WH_OK;
    if (rc == WH_OK) rc = whi_api_add_params(c, c->req);
    if (rc == WH_ENOMEM) return whi_api_fail(c, rc);
    return rc == WH_OK ? WH_OK : whi_api_fail_status(c, 400);
}

static int check_scope(api_ctx *c, unsigned int scope)
{
    if (!scope || (c->scopes & scope) == scope) return WH_OK;
    const char *name = wh_api_scope_name(scope);
    char www[WHI_API_HDR_VALUE];
    snprintf(www, sizeof(www), "Bearer error=\"insufficient_scope\", scope=\"%s\"", name);
    whi_api_set_header(c, "WWW-Authenticate", www);
    return whi_api_error(c, 403, WH_EFORBIDDEN, "the credential lacks the %s scope", name);
}

void whi_api_dispatch_native(api_ctx *c)
{
    const wh_api_request *r = c->req;
    if (!r->method || !r->path) {
        whi_api_error(c, 400, WH_EINVAL, "the request has no method or path");
        return;
    }
    if (split_target(c) != WH_OK) return;
    const api_route *route = find_route(c);
    if (!route) {
        whi_api_error(c, 404, WH_ENOTFOUND, "no route for %.200s", r->path);
        return;
    }
    if (strcmp(r->method, "OPTIONS") == 0) {
        whi_api_set_header(c, "Allow", route->allow);
        whi_api_reply(c, 204, NULL, 0);
        return;
    }
    const api_method *m = find_method(route, r->method);
    if (!m) {
        whi_api_set_header(c, "Allow", route->allow);
        whi_api_error(c, 405, WH_EUNSUPPORTED, "method %.16s is not allowed here (allowed: %s)",
                      r->method, route->allow);
        return;
    }
    if (whi_api_authenticate(c) != WH_OK || check_scope(c, m->scope) != WH_OK) return;
    if (r->body_too_large || r->body_len > c->opts.max_body_bytes) {
        whi_api_error(c, 413, WH_ETOOLARGE, "the request body is over the limit of %zu bytes",
                      c->opts.max_body_bytes);
        return;
    }
    if (m->body != BODY_NONE && whi_api_read_json(c, m->body == BODY_REQUIRED) != WH_OK) return;
    m->fn(c);
}

/* ---- mounts ---- */

/* A prefix: "/" or "/seg/seg" of unreserved characters, at most 256 bytes. */
static bool is_prefix(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 256 || s[0] != '/' || (n > 1 && s[n - 1] == '/')) return false;
    for (size_t i = 1; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
                  (ch == '/' && s[i - 1] != '/');
        if (!ok) return false;
    }
    return true;
}

int wh_api_mount(wh_api *api, const char *prefix, wh_profile *profile)
{
    if (!api || !profile) return whi_error(WH_EINVAL, "api and profile must not be NULL");
    if (!is_prefix(prefix))
        return whi_error(WH_EINVAL, "prefix must be \"/\" or \"/a/b\" (letters, digits, - _ . ~; "
                                    "no trailing slash; at most 256 bytes)");
    char *copy = whi_strdup(prefix);
    if (!copy) return whi_error_oom();
    int rc = WH_OK;
    pthread_rwlock_wrlock(&api->cfg);
    for (size_t i = 0; i < api->nmounts && rc == WH_OK; i++)
        if (strcmp(api->mounts[i].prefix, prefix) == 0)
            rc = whi_error(WH_ECONFLICT, "%.256s is mounted already", prefix);
    if (rc == WH_OK && api->nmounts == WHI_API_MAX_MOUNTS)
        rc = whi_error(WH_EINVAL, "at most %d mounts", WHI_API_MAX_MOUNTS);
    if (rc == WH_OK) {
        whi_profile_ref(profile);
        api->mounts[api->nmounts++] = (api_mount){copy, strlen(copy), profile};
    }
    pthread_rwlock_unlock(&api->cfg);
    if (rc != WH_OK) whi_free(copy);
    return rc;
}

/* The mount with the longest prefix the path starts with, at a segment boundary. */
static const api_mount *find_mount(const wh_api *api, const wh_api_request *req)
{
    const char *path = req->path;
    size_t plen = req->query ? strlen(path) : strcspn(path, "?");
    const api_mount *best = NULL;
    for (size_t i = 0; i < api->nmounts; i++) {
        const api_mount *m = &api->mounts[i];
        bool root = m->len == 1;
        bool hit = root ? plen > 0 && path[0] == '/'
                        : plen >= m->len && memcmp(path, m->prefix, m->len) == 0 &&
                              (plen == m->len || path[m->len] == '/' || path[m->len] == '?');
        if (hit && (!best || m->len > best->len)) best = m;
    }
    return best;
}

static void dispatch_mount(api_ctx *c, const api_mount *m)
{
    const char *rest = c->req->path + (m->len == 1 ? 0 : m->len);
    if (!m->profile->builtin_native) {
        whi_profile_dispatch(c, m->profile, m->prefix, rest);
        return;
    }
    /* the native API below the prefix: "/v1/webhooks" is "/webhooks" to it */
    wh_api_request below = *c->req;
    char *path = NULL;
    if (rest[0] != '/') { /* the mount point itself, maybe with "?query" */
        size_t n = strlen(rest);
        if (!(path = whi_malloc(n + 2))) {
            whi_api_fail(c, whi_error_oom());
            return;
        }
        path[0] = '/';
        memcpy(path + 1, rest, n + 1);
    }
    below.path = path ? path : rest;
    const wh_api_request *orig = c->req;
    c->req = &below;
    whi_api_dispatch_native(c);
    c->req = orig;
    whi_free(path);
}

/* ---- entry points ---- */

int wh_api_handle(wh_api *api, const wh_api_request *req, wh_api_response *resp)
{
    if (!resp) return whi_error(WH_EINVAL, "resp must not be NULL");
    if (resp->version != WH_API_RESPONSE_VERSION)
        return whi_error(WH_EINVAL, "resp must be initialised with WH_API_RESPONSE_INIT");
    resp->status = 500;
    resp->headers = NULL;
    resp->header_count = 0;
    resp->body = NULL;
    resp->body_len = 0;
    if (!api || !req) return whi_error(WH_EINVAL, "api and req must not be NULL");
    if (req->version != WH_API_REQUEST_VERSION)
        return whi_error(WH_EINVAL, "unknown wh_api_request version %u", req->version);
    api_ctx c;
    memset(&c, 0, sizeof(c));
    c.api = api;
    c.req = req;
    pthread_rwlock_rdlock(&api->cfg);
    c.opts = api->opts;
    /* Mounts are only ever added, and freed with the API: the one found stays valid. */
    const api_mount *m = req->path ? find_mount(api, req) : NULL;
    size_t nmounts = api->nmounts;
    pthread_rwlock_unlock(&api->cfg);
    if (!nmounts)
        whi_api_dispatch_native(&c);
    else if (!m)
        whi_api_error(&c, 404, WH_ENOTFOUND, "no route for %.200s", req->path);
    else
        dispatch_mount(&c, m);
    return whi_api_finish(&c, resp);
}

void wh_api_response_free(wh_api_response *resp)
{
    if (!resp) return;
    whi_free(resp->headers);
    whi_free(resp->body);
    *resp = (wh_api_response)WH_API_RESPONSE_INIT;
}

/* "Name: value\r\n" lines of the response's headers. */
static char *header_lines(const wh_api_response *resp)
{
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, ""); /* an empty list is "" rather than NULL */
    for (size_t i = 0; i < resp->header_count; i++)
        whi_buf_printf(&b, "%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
    return whi_buf_detach(&b, NULL);
}

int wh_api_handle_simple(wh_api *api, const char *method, const char *path, const char *query,
                         const char *const *header_names, const char *const *header_values,
                         size_t header_count, const char *body, size_t body_len, int *status_out,
                         char **headers_out, char **body_out, size_t *body_len_out)
{
    if (headers_out) *headers_out = NULL;
    if (body_out) *body_out = NULL;
    if (body_len_out) *body_len_out = 0;
    if (!status_out || !body_out)
        return whi_error(WH_EINVAL, "status_out and body_out must not be NULL");
    *status_out = 500;
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = method;
    req.path = path;
    req.query = query;
    req.header_names = header_names;
    req.header_values = header_values;
    req.header_count = header_count;
    req.body = body;
    req.body_len = body_len;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    int rc = wh_api_handle(api, &req, &resp);
    *status_out = resp.status;
    if (headers_out && !(*headers_out = header_lines(&resp))) {
        wh_api_response_free(&resp);
        *status_out = 500;
        return whi_error_oom();
    }
    *body_out = resp.body;
    if (body_len_out) *body_len_out = resp.body_len;
    resp.body = NULL;
    wh_api_response_free(&resp);
    return rc;
}
