/* Rendering compiled templates: values, escaping per mode, size limits and URL checks. */
#include <stdbool.h>
#include <string.h>

#include "event_impl.h"
#include "template_impl.h"
#include "validate.h"
#include "error.h"
#include "buf.h"
#include "rfc3339.h"
#include "strvec.h"
#include "json.h"
#include "text.h"

/* RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~ */
static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void url_encode(whi_buf *b, const char *s, size_t len)
{
    static const char H[] = "0123456789ABCDEF";
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) continue;
        whi_buf_append(b, s + run, i - run);
        char e[3] = {'%', H[c >> 4], H[c & 15]};
        whi_buf_append(b, e, 3);
        run = i + 1;
    }
    whi_buf_append(b, s + run, len - run);
}

static const char *part_name(const wh_template *t, const whi_tpart *p)
{
    return t->names[p->name];
}

/* Insert one value escaped for t's mode. */
static int put_value(const wh_template *t, const whi_tpart *p, whi_buf *b, const char *v,
                     size_t len)
{
    switch (t->mode) {
    case WH_ESCAPE_URL:
        url_encode(b, v, len);
        break;
    case WH_ESCAPE_JSON:
        whi_json_escape(b, v, len, false);
        break;
    case WH_ESCAPE_HEADER:
        /* The rule of a static header value (wh_subscription_set_header): no control byte but
         * TAB, no DEL, UTF-8. */
        if (!whi_header_bytes_ok(v, len) || !whi_utf8_valid(v, len))
            return whi_error(WH_ERENDER,
                             "template: the value of {{%s}} holds a control character or is not "
                             "UTF-8, which a header may not hold",
                             part_name(t, p));
        whi_buf_append(b, v, len);
        break;
    default:
        whi_buf_append(b, v, len);
    }
    return WH_OK;
}

static int missing(const wh_template *t, const whi_tpart *p, const char *what)
{
    return whi_error(WH_ERENDER, "template: placeholder {{%s}} has no value: %s", part_name(t, p),
                     what);
}

/* {{id}}: each id escaped, joined by literal commas (so a URL keeps "1,2,3" readable). */
static int put_ids(const wh_template *t, const whi_tpart *p, const wh_event *ev, whi_buf *b)
{
    if (ev->ids.n == 0) return missing(t, p, "the event has no ids");
    for (size_t i = 0; i < ev->ids.n && !b->failed; i++) { /* stop at the buffer's limit */
        if (i) whi_buf_putc(b, ',');
        int rc = put_value(t, p, b, ev->ids.v[i], strlen(ev->ids.v[i]));
        if (rc != WH_OK) return rc;
    }
    return WH_OK;
}

static int put_placeholder(const wh_template *t, const whi_tpart *p, const wh_event *ev,
                           const char *sub_id, whi_buf *b)
{
    const char *v = NULL, *why = NULL;
    char ts[WHI_RFC3339_MAX];
    switch (p->kind) {
    case WHI_T_ENTITY:
        v = ev->entity, why = "the event has no entity";
        break;
    case WHI_T_ACTION:
        v = ev->action, why = "the event has no action";
        break;
    case WHI_T_IDS:
        return put_ids(t, p, ev, b);
    case WHI_T_EVENT_ID:
        v = ev->id, why = "the event has no id";
        break;
    case WHI_T_EVENT_TYPE:
        v = ev->type, why = "the event has no type";
        break;
    case WHI_T_TIMESTAMP:
        whi_rfc3339_format(ev->occurred_at, ev->occurred_off, ts);
        v = ts;
        break;
    case WHI_T_SUBSCRIPTION_ID:
        v = sub_id, why = "no subscription id was given";
        break;
    case WHI_T_DATA: /* JSON already: inserted as it is, never escaped (compile allows it in
                        JSON and raw bodies only) */
        whi_buf_puts(b, ev->data ? ev->data : "null");
        return WH_OK;
    default:
        v = whi_kvvec_get(&ev->attrs, part_name(t, p), false);
        why = "the event has no attribute of that name";
    }
    if (!v) return missing(t, p, why);
    return put_value(t, p, b, v, strlen(v));
}

int whi_template_render_buf(const wh_template *t, const wh_event *ev, const char *sub_id,
                            whi_buf *b)
{
    for (size_t i = 0; i < t->nparts; i++) {
        const whi_tpart *p = &t->parts[i];
        if (p->kind == WHI_T_LITERAL) {
            whi_buf_append(b, t->text + p->off, p->len);
        } else {
            int rc = put_placeholder(t, p, ev, sub_id, b);
            if (rc != WH_OK) return rc;
        }
        if (b->failed) break;
    }
    if (b->failed == WH_ETOOLARGE)
        return whi_error(WH_ETOOLARGE, "template: the rendering is over the limit of %zu bytes",
                         b->limit);
    if (b->failed) return whi_error_oom();
    if (!b->data && whi_buf_reserve(b, 0) != WH_OK) /* an empty rendering is still a string */
        return whi_error_oom();
    return WH_OK;
}

static int check_args(const wh_template *t, const wh_event *ev, char **out)
{
    if (out) *out = NULL;
    if (!t || !ev || !out) return whi_error(WH_EINVAL, "template, event and out must not be NULL");
    return WH_OK;
}

int wh_template_render(const wh_template *t, const wh_event *ev, const char *subscription_id,
                       size_t max_len, char **out, size_t *len)
{
    int rc = check_args(t, ev, out);
    if (rc != WH_OK) return rc;
    whi_buf b = WHI_BUF_INIT;
    b.limit = max_len ? max_len : WH_DEFAULT_BODY_LIMIT;
    if ((rc = whi_template_render_buf(t, ev, subscription_id, &b)) != WH_OK) {
        whi_buf_free(&b);
        return rc;
    }
    *out = whi_buf_detach(&b, len);
    return *out ? WH_OK : whi_error_oom();
}

int whi_template_render_url_buf(const wh_template *t, const wh_event *ev, const char *sub_id,
                                whi_buf *b)
{
    size_t limit = b->limit;
    whi_buf_clear(b);
    b->limit = WH_MAX_URL_LEN;
    int rc = whi_template_render_buf(t, ev, sub_id, b);
    b->limit = limit;
    if (rc == WH_ETOOLARGE)
        return whi_error(WH_ETOOLARGE, "template: the rendered URL is longer than %d bytes",
                         WH_MAX_URL_LEN);
    if (rc != WH_OK) return rc;
    if (strlen(b->data) != b->len)
        return whi_error(WH_ERENDER, "template: the rendered URL contains a NUL byte");
    const char *why = whi_check_url(b->data);
    if (why) return whi_error(WH_ERENDER, "template: the rendered URL %s", why);
    return WH_OK;
}

int wh_template_render_url(const wh_template *t, const wh_event *ev, const char *subscription_id,
                           char **out, size_t *len)
{
    int rc = check_args(t, ev, out);
    if (rc != WH_OK) return rc;
    whi_buf b = WHI_BUF_INIT;
    if ((rc = whi_template_render_url_buf(t, ev, subscription_id, &b)) != WH_OK) {
        whi_buf_free(&b);
        return rc;
    }
    *out = whi_buf_detach(&b, len);
    return *out ? WH_OK : whi_error_oom();
}
