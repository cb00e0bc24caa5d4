/*
 * Every problem of one input, collected and then reported together as the details of one
 * error (one detail per invalid field).
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_PROBLEMS_H
#define WHI_UTIL_PROBLEMS_H

#include <stddef.h>

#include "compiler.h"
#include "strvec.h"

typedef struct whi_problems {
    whi_strvec list;
    size_t count; /* counts problems even when storing one failed for lack of memory */
} whi_problems;

void whi_problem(whi_problems *p, const char *fmt, ...) WHI_PRINTF(2, 3);
/* Record the thread's last error message as a problem (after a setter failed). */
void whi_problem_last(whi_problems *p);
/* Set the thread's error to code + message with one detail per problem; clears the list. */
int whi_problems_fail(whi_problems *p, int code, const char *message);
void whi_problems_clear(whi_problems *p);

#endif /* WHI_UTIL_PROBLEMS_H */
