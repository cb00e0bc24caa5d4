/* Gathering every problem of one input before failing, so a caller sees them all at once. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "strvec.h"
#include "problems.h"

void whi_problem(whi_problems *p, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    p->count++;
    whi_strvec_push(&p->list, text); /* on failure the count still records the problem */
}

void whi_problem_last(whi_problems *p)
{
    whi_problem(p, "%s", wh_error_last()->message);
}

int whi_problems_fail(whi_problems *p, int code, const char *message)
{
    whi_error_begin();
    for (size_t i = 0; i < p->list.n; i++)
        whi_error_detail("%s", p->list.v[i]);
    if (p->count > p->list.n)
        whi_error_detail("(%zu problems not recorded: out of memory)", p->count - p->list.n);
    whi_problems_clear(p);
    return whi_error_finish(code, "%s", message);
}

void whi_problems_clear(whi_problems *p)
{
    whi_strvec_clear(&p->list);
    p->count = 0;
}
