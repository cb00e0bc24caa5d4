/* JSON helpers over cJSON: bounded parsing with positioned errors, printing, escaping. */
#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "buf.h"
#include "text.h"
#include "json.h"
#include "encode.h"
#include "rfc3339.h"

#define DEFAULT_MAX_JSON (16u * 1024 * 1024)

/* The byte where nesting passes WHI_JSON_MAX_DEPTH, or len when it never does. Strings are
 * skipped (brackets inside them do not count); the parser reports any other error after. */
static size_t too_deep_at(const char *text, size_t len)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > WHI_JSON_MAX_DEPTH) return i;
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    return len;
}

int whi_json_parse(const char *text, size_t len, size_t max_len, cJSON **out)
{
    size_t at;
    return whi_json_parse_at(text, len, max_len, out, &at);
}

int whi_json_parse_at(const char *text, size_t len, size_t max_len, cJSON **out, size_t *err_at)
{
    *out = NULL;
    *err_at = 0;
    if (!text) return whi_error(WH_EINVAL, "JSON: no input");
    if (len > (max_len ? max_len : DEFAULT_MAX_JSON))
        return whi_error(WH_ETOOLARGE, "JSON: %zu bytes is over the limit of %zu", len,
                         max_len ? max_len : DEFAULT_MAX_JSON);
    /* cJSON does not check string contents; reject invalid UTF-8 up front, once. */
    if (!whi_utf8_valid(text, len)) {
        for (size_t i = 0, n; i < len; i += n)
            if ((n = (unsigned char)text[i] < 0x80 ? 1 : whi_utf8_seq_len(text + i, len - i)) ==
                0) {
                *err_at = i;
                break;
            }
        return whi_error(WH_EINVAL, "JSON: input is not valid UTF-8 (byte %zu)", *err_at);
    }
    size_t deep = too_deep_at(text, len);
    *err_at = deep;
    if (deep < len)
        return whi_error(WH_EINVAL, "JSON: nesting too deep at byte %zu (limit %d)", deep,
                         WHI_JSON_MAX_DEPTH);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        *err_at = at;
        return whi_error(WH_EINVAL, "JSON: syntax error at byte %zu", at);
    }
    /* Anything but whitespace after the value is an error. */
    for (const char *p = end; p && p < text + len; p++)
        if (!strchr(" \t\r\n", *p)) {
            cJSON_Delete(root);
            *err_at = (size_t)(p - text);
            return whi_error(WH_EINVAL, "JSON: unexpected data at byte %zu", *err_at);
        }
    *out = root;
    return WH_OK;
}

char *whi_json_print(const cJSON *item)
{
    /* cJSON allocates through its hooks, which route to our allocator when the host set one;
     * otherwise both are the C library's malloc, so whi_free is right either way. */
    return cJSON_PrintUnformatted(item);
}

int whi_json_minify_copy(const char *text, size_t len, char **out)
{
    cJSON *root;
    int rc = whi_json_parse(text, len, 0, &root);
    if (rc != WH_OK) return rc;
    *out = whi_json_print(root);
    cJSON_Delete(root);
    return *out ? WH_OK : whi_error_oom();
}

void whi_json_escape(whi_buf *b, const char *s, size_t len, bool quotes)
{
    static const char H[] = "0123456789abcdef";
    if (quotes) whi_buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : whi_utf8_seq_len(s + i, len - i);
        if (c >= 0x20 && c != '"' && c != '\\' && n != 0) {
            i += n;
            continue;
        }
        whi_buf_append(b, s + run, i - run);
        if (n == 0) {
            whi_buf_puts(b, "\\ufffd"); /* invalid UTF-8 byte */
        } else if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            whi_buf_append(b, e, 2);
        } else if (c == '\n') {
            whi_buf_puts(b, "\\n");
        } else if (c == '\r') {
            whi_buf_puts(b, "\\r");
        } else if (c == '\t') {
            whi_buf_puts(b, "\\t");
        } else {
            char e[6] = {'\\', 'u', '0', '0', H[c >> 4], H[c & 15]};
            whi_buf_append(b, e, 6);
        }
        i += 1;
        run = i;
    }
    whi_buf_append(b, s + run, len - run);
    if (quotes) whi_buf_putc(b, '"');
}

void whi_json_str(whi_buf *b, const char *s)
{
    if (s)
        whi_json_escape(b, s, strlen(s), true);
    else
        whi_buf_puts(b, "null");
}

void whi_json_time(whi_buf *b, wh_time_ms at)
{
    if (!at) {
        whi_buf_puts(b, "null");
        return;
    }
    char t[WHI_RFC3339_MAX];
    whi_rfc3339_format(at, 0, t);
    whi_buf_printf(b, "\"%s\"", t);
}

void whi_json_bytes(whi_buf *b, const char *key, const char *key64, const char *s, size_t len)
{
    if (!s) len = 0;
    if (whi_utf8_valid(s ? s : "", len) && (!len || !memchr(s, '\0', len))) {
        whi_buf_printf(b, "\"%s\":", key);
        whi_json_escape(b, s ? s : "", len, true);
        return;
    }
    whi_buf_printf(b, "\"%s\":\"", key64);
    size_t n = whi_base64_encoded_len(len);
    if (whi_buf_reserve(b, n + 1) != WH_OK) return;
    b->len += whi_base64_encode(s, len, b->data + b->len); /* writes its NUL too */
    whi_buf_putc(b, '"');
}

const cJSON *whi_json_field(const cJSON *obj, const char *const *names)
{
    for (; *names; names++) {
        const cJSON *item = cJSON_GetObjectItem(obj, *names);
        if (item) return item;
    }
    return NULL;
}
