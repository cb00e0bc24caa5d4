/*
 * The PostgreSQL store's statement parameters and results. Numbers go as text, strings as text
 * or raw bytes (binary format, which for text and bytea is the bytes themselves), arrays in
 * PostgreSQL's binary array format so that a batch is one statement. Results are read in binary
 * format: integers big-endian, strings and bytes as they are (libpq adds a NUL after each).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "postgres_impl.h"
#include "error.h"
#include "text.h"

void whi_pg_args_init(whi_pg_args *a)
{
    memset(a, 0, sizeof(*a));
}

void whi_pg_args_free(whi_pg_args *a)
{
    for (int i = 0; i < WHI_PG_MAX_ARGS; i++)
        whi_buf_free(&a->arrays[i]);
}

/* The next slot, or NULL (and the args failed) when there is none. */
static int next_slot(whi_pg_args *a)
{
    if (a->n >= WHI_PG_MAX_ARGS) {
        a->failed = WH_ETOOLARGE;
        return -1;
    }
    return a->n++;
}

void whi_pg_arg_str(whi_pg_args *a, const char *s)
{
    int i = next_slot(a);
    if (i < 0) return;
    a->v[i] = s;
    a->len[i] = 0;
    a->fmt[i] = 0;
}

void whi_pg_arg_bytes(whi_pg_args *a, const void *s, size_t len)
{
    int i = next_slot(a);
    if (i < 0) return;
    if (len > (size_t)INT32_MAX) {
        a->failed = WH_ETOOLARGE;
        return;
    }
    a->v[i] = s;
    a->len[i] = (int)len;
    a->fmt[i] = 1;
}

void whi_pg_arg_i64(whi_pg_args *a, int64_t v)
{
    int i = next_slot(a);
    if (i < 0) return;
    snprintf(a->num[i], sizeof(a->num[i]), "%lld", (long long)v);
    a->v[i] = a->num[i];
    a->len[i] = 0;
    a->fmt[i] = 0;
}

void whi_pg_arg_size(whi_pg_args *a, size_t v)
{
    whi_pg_arg_i64(a, v > (size_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* Append s cut to max bytes, each byte of an invalid UTF-8 sequence replaced by '?'. */
static void put_note(whi_buf *b, const char *s, size_t max)
{
    size_t len = whi_store_cut_len(s, strlen(s), max);
    for (size_t i = 0; i < len;) {
        size_t n = whi_utf8_seq_len(s + i, len - i);
        if (n == 0) {
            whi_buf_putc(b, '?');
            i++;
        } else {
            whi_buf_append(b, s + i, n);
            i += n;
        }
    }
}

void whi_pg_arg_note(whi_pg_args *a, const char *s, size_t max)
{
    if (!s) {
        whi_pg_arg_str(a, NULL);
        return;
    }
    int i = next_slot(a);
    if (i < 0) return;
    whi_buf *b = &a->arrays[i];
    whi_buf_clear(b);
    put_note(b, s, max);
    whi_buf_putc(b, '\0');
    if (b->failed) a->failed = b->failed;
    a->v[i] = b->failed ? "" : b->data;
    a->len[i] = 0;
    a->fmt[i] = 0;
}

void whi_pg_arg_page(whi_pg_args *a, size_t limit, size_t page)
{
    if (limit == 0)
        whi_pg_arg_str(a, NULL); /* LIMIT NULL: no limit */
    else
        whi_pg_arg_size(a, limit);
    whi_pg_arg_size(a, whi_page_offset(limit, page));
}

/* ---- binary arrays ---- */

static void put_u32(whi_buf *b, uint32_t v)
{
    uint32_t be = htonl(v);
    whi_buf_append(b, &be, 4);
}

void whi_pg_array_begin(whi_pg_args *a, whi_pg_array *arr, uint32_t type)
{
    int i = next_slot(a);
    if (i < 0) { /* no slot: the array is dropped, the args have failed */
        *arr = (whi_pg_array){NULL, type, 0, 0};
        return;
    }
    whi_buf *b = &a->arrays[i];
    whi_buf_clear(b);
    put_u32(b, 1);    /* dimensions */
    put_u32(b, 1);    /* may hold NULLs */
    put_u32(b, type); /* element type */
    *arr = (whi_pg_array){b, type, b->len, 0};
    put_u32(b, 0); /* length, written at the end */
    put_u32(b, 1); /* lower bound */
    a->v[i] = NULL;
    a->fmt[i] = 1;
}

void whi_pg_array_bytes(whi_pg_array *arr, const void *s, size_t len)
{
    if (!arr->b) return;
    arr->count++;
    if (!s) {
        put_u32(arr->b, 0xFFFFFFFFu); /* NULL */
        return;
    }
    if (len > (size_t)INT32_MAX) {
        arr->b->failed = WH_ETOOLARGE;
        return;
    }
    put_u32(arr->b, (uint32_t)len);
    whi_buf_append(arr->b, s, len);
}

void whi_pg_array_str(whi_pg_array *arr, const char *s)
{
    whi_pg_array_bytes(arr, s, s ? strlen(s) : 0);
}

void whi_pg_array_note(whi_pg_array *arr, const char *s, size_t max)
{
    if (!s || !arr->b) {
        whi_pg_array_bytes(arr, NULL, 0);
        return;
    }
    arr->count++;
    size_t at = arr->b->len;
    put_u32(arr->b, 0);
    put_note(arr->b, s, max);
    if (!arr->b->failed) {
        uint32_t be = htonl((uint32_t)(arr->b->len - at - 4));
        memcpy(arr->b->data + at, &be, 4);
    }
}

void whi_pg_array_i64(whi_pg_array *arr, int64_t v)
{
    if (!arr->b) return;
    arr->count++;
    uint64_t u = (uint64_t)v;
    put_u32(arr->b, 8);
    put_u32(arr->b, (uint32_t)(u >> 32));
    put_u32(arr->b, (uint32_t)u);
}

void whi_pg_array_end(whi_pg_args *a, whi_pg_array *arr)
{
    whi_buf *b = arr->b;
    if (!b) return; /* failed at begin */
    if (b->failed) {
        a->failed = b->failed;
        return;
    }
    uint32_t be = htonl((uint32_t)arr->count);
    memcpy(b->data + arr->count_at, &be, 4);
    if (b->len > (size_t)INT32_MAX) {
        a->failed = WH_ETOOLARGE;
        return;
    }
    int i = (int)(b - a->arrays);
    a->v[i] = b->data;
    a->len[i] = (int)b->len;
}

/* ---- results ---- */

int64_t whi_pg_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
    int len = PQgetlength(r, row, col);
    uint64_t u = 0;
    for (int i = 0; i < len && i < 8; i++)
        u = u << 8 | v[i];
    if (len == 4) return (int32_t)(uint32_t)u;
    if (len == 2) return (int16_t)(uint16_t)u;
    return (int64_t)u;
}

const char *whi_pg_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

size_t whi_pg_len(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
}

bool whi_pg_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) != 0;
}

size_t whi_pg_changed(const PGresult *r)
{
    const char *n = PQcmdTuples((PGresult *)r);
    size_t v = 0;
    for (; n && *n >= '0' && *n <= '9'; n++)
        v = v * 10 + (size_t)(*n - '0');
    return v;
}
