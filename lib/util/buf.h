/*
 * A growable byte buffer that records its first failure, so a long chain of appends needs
 * one check at the end.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_BUF_H
#define WHI_UTIL_BUF_H

#include <stddef.h>

#include "webhooks/common.h"
#include "compiler.h"

/* A failed growth sets failed; later appends do nothing, and whi_buf_finish reports WH_ENOMEM
 * (or WH_ETOOLARGE past limit), so a long chain of appends needs one check at the end. */
typedef struct whi_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit; /* 0: no limit */
    int failed;   /* 0, WH_ENOMEM or WH_ETOOLARGE */
} whi_buf;

#define WHI_BUF_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

int whi_buf_reserve(whi_buf *b, size_t extra);
void whi_buf_append(whi_buf *b, const void *data, size_t len);
void whi_buf_puts(whi_buf *b, const char *s);
void whi_buf_putc(whi_buf *b, char c);
void whi_buf_printf(whi_buf *b, const char *fmt, ...) WHI_PRINTF(2, 3);
void whi_buf_clear(whi_buf *b); /* len = 0, keeps memory */
void whi_buf_free(whi_buf *b);
/* WH_OK, or the failure recorded (with the thread's error set). */
int whi_buf_status(const whi_buf *b);
/* Hand the data to the caller (free with whi_free), or NULL on failure; the buffer is reset. */
char *whi_buf_detach(whi_buf *b, size_t *len);

#endif /* WHI_UTIL_BUF_H */
