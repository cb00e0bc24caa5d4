/* Growable byte buffer with sticky failure: append freely, check once at the end. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "buf.h"

int whi_buf_reserve(whi_buf *b, size_t extra)
{
    if (b->failed) return b->failed;
    if (extra > SIZE_MAX - b->len - 1 || (b->limit && b->len + extra > b->limit)) {
        b->failed = WH_ETOOLARGE;
        return b->failed;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return WH_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = whi_realloc(b->data, cap);
    if (!p) {
        b->failed = WH_ENOMEM;
        return b->failed;
    }
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0'; /* the buffer is a valid string from its first allocation */
    return WH_OK;
}

void whi_buf_append(whi_buf *b, const void *data, size_t len)
{
    if (whi_buf_reserve(b, len) != WH_OK) return;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void whi_buf_puts(whi_buf *b, const char *s)
{
    whi_buf_append(b, s, strlen(s));
}

void whi_buf_putc(whi_buf *b, char c)
{
    whi_buf_append(b, &c, 1);
}

void whi_buf_printf(whi_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || whi_buf_reserve(b, (size_t)n) != WH_OK) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void whi_buf_clear(whi_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data) b->data[0] = '\0';
}

void whi_buf_free(whi_buf *b)
{
    whi_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

int whi_buf_status(const whi_buf *b)
{
    if (b->failed == WH_ENOMEM) return whi_error_oom();
    if (b->failed)
        return whi_error(b->failed, "output exceeds the size limit of %zu bytes", b->limit);
    return WH_OK;
}

char *whi_buf_detach(whi_buf *b, size_t *len)
{
    if (whi_buf_status(b) != WH_OK) {
        whi_buf_free(b);
        return NULL;
    }
    if (!b->data && whi_buf_reserve(b, 0) != WH_OK) {
        whi_buf_status(b);
        return NULL;
    }
    char *d = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
