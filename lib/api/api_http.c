/*
 * The HTTP side of the registration API: header lookup, path segments, query parameters,
 * request bodies (size, media type, JSON), and building answers and error bodies.
 */
#include <stdbool.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_impl.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "rfc3339.h"
#include "text.h"
#include "json.h"

const char *whi_api_header(const wh_api_request *req, const char *name)
{
    for (size_t i = 0; req->header_names && req->header_values && i < req->header_count; i++)
        if (req->header_names[i] && whi_strcasecmp(req->header_names[i], name) == 0)
            return req->header_values[i] ? req->header_values[i] : "";
    return NULL;
}

/* ---- percent-decoding ---- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decode len bytes of s into a new string; plus turns '+' into a space (query strings).
 * NULL when a '%' is not followed by two hex digits, or a byte decodes to NUL. */
static char *decode(const char *s, size_t len, bool plus, int *rc)
{
    char *out = whi_malloc(len + 1);
    if (!out) {
        *rc = whi_error_oom();
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                whi_free(out);
                *rc = WH_EINVAL;
                return NULL;
            }
            ch = (char)(hi * 16 + lo);
            i += 2;
        } else if (ch == '+' && plus) {
            ch = ' ';
        } else if (ch == '\0') {
            whi_free(out);
            *rc = WH_EINVAL;
            return NULL;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    *rc = WH_OK;
    return out;
}

int whi_api_split_path(api_ctx *c, const char *path, size_t len)
{
    if (len == 0 || path[0] != '/' || len > WHI_API_MAX_PATH) return WH_ENOTFOUND;
    if (len > 1 && path[len - 1] == '/') len--;
    for (size_t i = 1; i <= len;) {
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        if (end == i || c->nsegs == WHI_API_MAX_SEGS)
            return WH_ENOTFOUND; /* an empty segment, or deeper than any route */
        int rc;
        char *seg = decode(path + i, end - i, false, &rc);
        if (!seg) return rc == WH_ENOMEM ? rc : WH_ENOTFOUND;
        c->segs[c->nsegs++] = seg;
        i = end + 1;
    }
    return WH_OK;
}

int whi_api_parse_query(api_ctx *c, const char *query, size_t len)
{
    if (len > WHI_API_MAX_QUERY)
        return whi_error(WH_EINVAL, "the query string is over %d bytes", WHI_API_MAX_QUERY);
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(query + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - query) : len;
        if (end > i) {
            if (c->nparams == WHI_API_MAX_PARAMS)
                return whi_error(WH_EINVAL, "more than %d query parameters", WHI_API_MAX_PARAMS);
            const char *eq = memchr(query + i, '=', end - i);
            size_t nlen = eq ? (size_t)(eq - (query + i)) : end - i;
            int rc = WH_OK;
            char *name = decode(query + i, nlen, true, &rc);
            char *value = !name ? NULL
                          : eq  ? decode(eq + 1, (size_t)(query + end - eq - 1), true, &rc)
                                : whi_strdup("");
            if (!name || !value) {
                whi_free(name);
                whi_free(value);
                if (rc != WH_EINVAL) /* out of memory (whi_strdup leaves rc at WH_OK) */
                    return whi_error_oom();
                return whi_error(WH_EINVAL, "the query string has malformed percent-encoding");
            }
            c->params[c->nparams].name = name;
            c->params[c->nparams].value = value;
            c->nparams++;
        }
        i = end + 1;
    }
    return WH_OK;
}

int whi_api_add_params(api_ctx *c, const wh_api_request *req)
{
    for (size_t i = 0; req->query_names && req->query_values && i < req->query_count; i++) {
        if (!req->query_names[i]) continue;
        if (c->nparams == WHI_API_MAX_PARAMS)
            return whi_error(WH_EINVAL, "more than %d query parameters", WHI_API_MAX_PARAMS);
        char *name = whi_strdup(req->query_names[i]);
        char *value = whi_strdup(req->query_values[i] ? req->query_values[i] : "");
        if (!name || !value) {
            whi_free(name);
            whi_free(value);
            return whi_error_oom();
        }
        c->params[c->nparams].name = name;
        c->params[c->nparams].value = value;
        c->nparams++;
    }
    return WH_OK;
}

int whi_api_param(const api_ctx *c, const char *name, const char **value)
{
    *value = NULL;
    for (size_t i = 0; i < c->nparams; i++) {
        if (strcmp(c->params[i].name, name) != 0) continue;
        if (*value) return whi_error(WH_EINVAL, "query parameter %s is given more than once", name);
        *value = c->params[i].value;
    }
    return WH_OK;
}

/* A decimal integer 1..max with nothing else (no sign, no spaces). */
static bool parse_count(const char *s, size_t max, size_t *out)
{
    size_t v = 0;
    if (!*s || strlen(s) > 12) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    if (v < 1 || v > max) return false;
    *out = v;
    return true;
}

int whi_api_paging(const api_ctx *c, size_t *limit, size_t *page)
{
    const char *l, *p;
    int rc = whi_api_param(c, "limit", &l);
    if (rc == WH_OK) rc = whi_api_param(c, "page", &p);
    if (rc != WH_OK) return rc;
    *limit = c->opts.default_page_limit;
    *page = 1;
    whi_error_begin();
    if (l && !parse_count(l, c->opts.max_page_limit, limit))
        whi_error_detail("limit must be an integer from 1 to %zu", c->opts.max_page_limit);
    if (p && !parse_count(p, WHI_API_MAX_PAGE, page))
        whi_error_detail("page must be an integer from 1 to %u", WHI_API_MAX_PAGE);
    return whi_error_detail_count() ? whi_error_finish(WH_EINVAL, "invalid query") : WH_OK;
}

/* ---- request bodies ---- */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The bytes of s up to ';' with spaces trimmed, compared case-insensitively to want. */
static bool token_is(const char *s, size_t len, const char *want)
{
    while (len && is_space(*s))
        s++, len--;
    while (len && is_space(s[len - 1]))
        len--;
    if (len != strlen(want)) return false;
    for (size_t i = 0; i < len; i++) {
        char a = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        if (a != want[i]) return false;
    }
    return true;
}

/* application/json or application/<something>+json, with at most a utf-8 charset. */
static bool json_media_type(const char *ct)
{
    const char *semi = strchr(ct, ';');
    size_t a = 0, b = semi ? (size_t)(semi - ct) : strlen(ct);
    while (a < b && is_space(ct[a]))
        a++;
    while (b > a && is_space(ct[b - 1]))
        b--;
    const char *t = ct + a;
    size_t n = b - a;
    bool json = token_is(t, n, "application/json") ||
                (n > 17 && token_is(t, 12, "application/") && token_is(t + n - 5, 5, "+json"));
    /* Parameters: only charset matters, and it must be UTF-8 (JSON's only encoding). */
    for (const char *p = semi; json && p; p = strchr(p + 1, ';')) {
        const char *end = strchr(p + 1, ';');
        size_t plen = end ? (size_t)(end - p - 1) : strlen(p + 1);
        const char *eq = memchr(p + 1, '=', plen);
        if (!eq || !token_is(p + 1, (size_t)(eq - p - 1), "charset")) continue;
        const char *v = eq + 1;
        size_t vlen = plen - (size_t)(eq - p);
        while (vlen && is_space(*v))
            v++, vlen--;
        while (vlen && is_space(v[vlen - 1]))
            vlen--;
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') v++, vlen -= 2;
        json = token_is(v, vlen, "utf-8") || token_is(v, vlen, "utf8");
    }
    return json;
}

/* Whether every number in the tree is finite: 1e999 parses as infinity, which cJSON would
 * print back as null (a body is re-printed after the server's fields are dropped). */
static bool numbers_finite(const cJSON *item, int depth)
{
    if (depth > 2000) /* cJSON refuses deeper nesting at parse time already */
        return false;
    if (cJSON_IsNumber(item)) return isfinite(item->valuedouble);
    for (const cJSON *c = item->child; c; c = c->next)
        if (!numbers_finite(c, depth + 1)) return false;
    return true;
}

/* A "\u0000" escape: cJSON would cut the string there, silently changing its meaning. */
static bool has_nul_escape(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\') continue;
        if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0) return true;
        i++; /* skip the escaped character, so "\\u0000" (a backslash, then text) passes */
    }
    return false;
}

int whi_api_read_json(api_ctx *c, bool required)
{
    const wh_api_request *r = c->req;
    size_t len = r->body_len;
    bool blank = true;
    for (size_t i = 0; blank && r->body && i < len; i++)
        blank = is_space(r->body[i]);
    if (blank && (len == 0 || r->body)) {
        if (!required) return WH_OK;
        return whi_api_error(c, 400, WH_EINVAL, "a JSON object body is required");
    }
    const char *ct = whi_api_header(r, "Content-Type");
    if (ct && !json_media_type(ct))
        return whi_api_error(c, 415, WH_EINVAL,
                             "the request body must be JSON (Content-Type: application/json)");
    if (!r->body) return whi_api_error(c, 400, WH_EINVAL, "body_len is %zu but body is NULL", len);
    if (memchr(r->body, '\0', len))
        return whi_api_error(c, 400, WH_EINVAL, "the request body contains a NUL byte");
    cJSON *root = NULL;
    int rc = whi_json_parse(r->body, len, c->opts.max_body_bytes, &root);
    if (rc != WH_OK) return rc == WH_ETOOLARGE ? whi_api_fail_status(c, 413) : whi_api_fail(c, rc);
    c->json = root;
    if (has_nul_escape(r->body, len))
        return whi_api_error(c, 400, WH_EINVAL, "JSON strings must not contain \\u0000");
    if (!cJSON_IsObject(root))
        return whi_api_error(c, 400, WH_EINVAL, "the request body must be a JSON object");
    if (!numbers_finite(root, 0))
        return whi_api_error(c, 400, WH_EINVAL, "a number in the request body is out of range");
    return WH_OK;
}

/* ---- answers ---- */

void whi_api_set_header(api_ctx *c, const char *name, const char *value)
{
    for (size_t i = 0; i < c->nhdr; i++)
        if (whi_strcasecmp(c->hdr[i].name, name) == 0) {
            whi_strlcpy(c->hdr[i].value, value, sizeof(c->hdr[i].value));
            return;
        }
    if (c->nhdr == WH_API_MAX_RESPONSE_HEADERS) return;
    c->hdr[c->nhdr].name = name;
    whi_strlcpy(c->hdr[c->nhdr].value, value, sizeof(c->hdr[c->nhdr].value));
    c->nhdr++;
}

int whi_api_reply(api_ctx *c, int status, char *body, size_t len)
{
    whi_free(c->body);
    c->status = status;
    c->body = body;
    c->body_len = body ? len : 0;
    return status >= 400 ? WH_EINVAL : WH_OK;
}

int whi_api_fail_status(api_ctx *c, int status)
{
    const wh_error *e = wh_error_last();
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"message\":");
    whi_json_escape(&b, e->message, strlen(e->message), true);
    whi_buf_puts(&b, ",\"details\":[");
    for (size_t i = 0; i < e->details_count; i++) {
        if (i) whi_buf_putc(&b, ',');
        whi_json_escape(&b, e->details[i], strlen(e->details[i]), true);
    }
    /* A 400 always names at least one problem, so clients can show the details list alone. */
    if (e->details_count == 0 && status == 400)
        whi_json_escape(&b, e->message, strlen(e->message), true);
    whi_buf_puts(&b, "]}");
    size_t len = 0;
    char *body = whi_buf_detach(&b, &len);
    whi_api_reply(c, status, body, len);
    return WH_EINVAL; /* any non-zero: the answer is set */
}

int whi_api_error(api_ctx *c, int status, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    whi_error(code, "%s", msg);
    return whi_api_fail_status(c, status);
}

int whi_api_fail(api_ctx *c, int rc)
{
    switch (rc) {
    case WH_EINVAL:
        /* The API's word for a subscription is "webhook"; the details stay as they are. */
        if (strcmp(wh_error_last()->message, "invalid subscription") == 0)
            whi_error_finish(WH_EINVAL, "invalid webhook");
        return whi_api_fail_status(c, 400);
    case WH_EREFUSED:
    case WH_EUNSUPPORTED:
    case WH_ERENDER:
        return whi_api_fail_status(c, 400);
    case WH_EUNAUTHORIZED:
        return whi_api_fail_status(c, 401);
    case WH_EFORBIDDEN:
        return whi_api_fail_status(c, 403);
    case WH_ENOTFOUND:
        return whi_api_fail_status(c, 404);
    case WH_ECONFLICT:
    case WH_ESTATE:
        return whi_api_fail_status(c, 409);
    case WH_ETOOLARGE:
        return whi_api_fail_status(c, 413);
    case WH_EBUSY:
        whi_api_set_header(c, "Retry-After", "1");
        return whi_api_fail_status(c, 503);
    default:
        /* Internal: tell the host's log, never the client. */
        snprintf(c->log_msg, sizeof(c->log_msg), "%s %.200s: %s: %s",
                 c->req->method ? c->req->method : "?", c->req->path ? c->req->path : "?",
                 wh_strerror(rc), wh_error_last()->message);
        whi_error(rc, "internal error");
        return whi_api_fail_status(c, 500);
    }
}

static void ctx_free(api_ctx *c)
{
    for (size_t i = 0; i < c->nsegs; i++)
        whi_free(c->segs[i]);
    for (size_t i = 0; i < c->nparams; i++) {
        whi_free(c->params[i].name);
        whi_free(c->params[i].value);
    }
    cJSON_Delete(c->json);
    c->json = NULL;
    c->nsegs = c->nparams = 0;
}

int whi_api_finish(api_ctx *c, wh_api_response *resp)
{
    int rc = WH_OK;
    if (c->status == 0) { /* no answer could be built: out of memory on the way */
        whi_free(c->body);
        c->body = NULL;
        c->status = 500;
        rc = WH_ENOMEM;
    }
    if (c->body) whi_api_set_header(c, "Content-Type", "application/json");
    whi_api_set_header(c, "Cache-Control", "no-store");
    size_t bytes = c->nhdr * sizeof(wh_api_header);
    for (size_t i = 0; i < c->nhdr; i++)
        bytes += strlen(c->hdr[i].name) + strlen(c->hdr[i].value) + 2;
    wh_api_header *h = whi_malloc(bytes);
    if (!h) {
        whi_free(c->body);
        c->body = NULL;
        c->status = 500;
        rc = whi_error_oom();
    } else {
        char *s = (char *)(h + c->nhdr);
        for (size_t i = 0; i < c->nhdr; i++) {
            size_t n = strlen(c->hdr[i].name) + 1, v = strlen(c->hdr[i].value) + 1;
            h[i].name = memcpy(s, c->hdr[i].name, n);
            h[i].value = memcpy(s + n, c->hdr[i].value, v);
            s += n + v;
        }
        resp->headers = h;
        resp->header_count = c->nhdr;
    }
    resp->status = c->status;
    resp->body = c->body;
    resp->body_len = c->body ? c->body_len : 0;
    c->body = NULL;
    ctx_free(c);
    if (c->log_msg[0] && c->opts.log) c->opts.log(WH_LOG_ERROR, c->log_msg, c->opts.log_user_data);
    return rc;
}
