/*
 * The thread's last error. Storage is fixed-size and thread-local so that reporting an error,
 * even WH_ENOMEM, never allocates and never fails.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "compiler.h"

#define MAX_DETAILS 32
#define MESSAGE_LEN 512
#define DETAIL_LEN  256

typedef struct error_state {
    wh_error pub;
    char message[MESSAGE_LEN];
    char details[MAX_DETAILS][DETAIL_LEN];
    const char *detail_ptrs[MAX_DETAILS];
    size_t dropped; /* details beyond MAX_DETAILS - 1, counted in a summary in the last slot */
    size_t count;
} error_state;

static _Thread_local error_state g_err;

static void refresh_public(void)
{
    for (size_t i = 0; i < g_err.count; i++)
        g_err.detail_ptrs[i] = g_err.details[i];
    if (g_err.dropped) {
        snprintf(g_err.details[MAX_DETAILS - 1], DETAIL_LEN, "(%zu more problems not listed)",
                 g_err.dropped);
        g_err.detail_ptrs[MAX_DETAILS - 1] = g_err.details[MAX_DETAILS - 1];
    }
    g_err.pub.message = g_err.message;
    g_err.pub.details = g_err.detail_ptrs;
    g_err.pub.details_count = g_err.dropped ? MAX_DETAILS : g_err.count;
}

void whi_error_begin(void)
{
    g_err.count = 0;
    g_err.dropped = 0;
}

void whi_error_detail(const char *fmt, ...)
{
    if (g_err.count >= MAX_DETAILS - 1) {
        g_err.dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err.details[g_err.count], DETAIL_LEN, fmt, ap);
    va_end(ap);
    g_err.count++;
}

size_t whi_error_detail_count(void)
{
    return g_err.count + g_err.dropped;
}

/* Format into a scratch buffer first: callers often pass the current message as an argument
 * (whi_error(rc, "url: %s", wh_error_last()->message)), and formatting straight into the buffer
 * being read would garble it ("url: url: ate: ..."). */
WHI_PRINTF(2, 0) static int set_message(int code, const char *fmt, va_list ap)
{
    char scratch[MESSAGE_LEN];
    vsnprintf(scratch, sizeof(scratch), fmt, ap);
    memcpy(g_err.message, scratch, sizeof(scratch));
    g_err.pub.code = code;
    refresh_public();
    return code;
}

int whi_error_finish(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(code, fmt, ap);
    va_end(ap);
    return code;
}

int whi_error(int code, const char *fmt, ...)
{
    whi_error_begin();
    va_list ap;
    va_start(ap, fmt);
    set_message(code, fmt, ap);
    va_end(ap);
    return code;
}

int whi_error_oom(void)
{
    return whi_error(WH_ENOMEM, "out of memory");
}

void wh_error_clear(void)
{
    whi_error_begin();
    g_err.pub.code = WH_OK;
    g_err.message[0] = '\0';
    refresh_public();
}

const wh_error *wh_error_last(void)
{
    if (!g_err.pub.message) refresh_public();
    return &g_err.pub;
}

int wh_error_last_code(void)
{
    return wh_error_last()->code;
}

const char *wh_error_last_message(void)
{
    return wh_error_last()->message;
}

size_t wh_error_last_details_count(void)
{
    return wh_error_last()->details_count;
}

const char *wh_error_last_detail(size_t i)
{
    const wh_error *e = wh_error_last();
    return i < e->details_count ? e->details[i] : NULL;
}

/* One row per code, in the order of their values (0, -1, -2, ...): the name bindings show and the
 * fixed text, from one table so that the two never disagree. */
static const struct {
    const char *name;
    const char *text;
} ERRORS[] = {
    {"WH_OK", "success"},
    {"WH_EINVAL", "invalid argument"},
    {"WH_ENOTFOUND", "not found"},
    {"WH_ECONFLICT", "conflict"},
    {"WH_ENOMEM", "out of memory"},
    {"WH_EUNAUTHORIZED", "unauthorized"},
    {"WH_EFORBIDDEN", "forbidden"},
    {"WH_ETOOLARGE", "too large"},
    {"WH_EIO", "I/O error"},
    {"WH_ESTATE", "invalid state"},
    {"WH_EUNSUPPORTED", "unsupported"},
    {"WH_ETIMEOUT", "timed out"},
    {"WH_ERENDER", "template rendering failed"},
    {"WH_ESIG_MISSING", "signature header missing"},
    {"WH_ESIG_MALFORMED", "signature header malformed"},
    {"WH_ESIG_MISMATCH", "signature mismatch"},
    {"WH_ESIG_TOO_OLD", "signature timestamp too old"},
    {"WH_ESIG_TOO_NEW", "signature timestamp too new"},
    {"WH_ECORRUPT", "stored data corrupt"},
    {"WH_EFULL", "storage full"},
    {"WH_EREADONLY", "storage read-only"},
    {"WH_EVERSION", "stored data from a newer version"},
    {"WH_EREFUSED", "destination refused by policy"},
    {"WH_EBUSY", "resource busy"},
    {"WH_ETRANSPORT", "transport failure"},
};

static bool known(int code)
{
    return code <= 0 && (size_t)(-(long)code) < WHI_ARRAY_LEN(ERRORS);
}

const char *wh_strerror(int code)
{
    return known(code) ? ERRORS[-code].text : "unknown error";
}

const char *wh_error_name(int code)
{
    return known(code) ? ERRORS[-code].name : "WH_EUNKNOWN";
}
