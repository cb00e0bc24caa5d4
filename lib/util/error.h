/*
 * The calling thread's last error: a WH_E* code, a message and details, read back through
 * wh_error_last(). Every failing function sets it and returns the code.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_ERROR_H
#define WHI_UTIL_ERROR_H

#include <stddef.h>

#include "compiler.h"
#include "webhooks/common.h" /* the WH_E* codes */

/* Set the thread's last error and return code, so callers can `return whi_error(...)`. */
int whi_error(int code, const char *fmt, ...) WHI_PRINTF(2, 3);
/* Same, with the message's details kept (details added since the last whi_error_begin). */
int whi_error_finish(int code, const char *fmt, ...) WHI_PRINTF(2, 3);
/* Start collecting details for a coming whi_error_finish(). */
void whi_error_begin(void);
/* Add one detail (kept up to a fixed number; later ones are counted in a final detail). */
void whi_error_detail(const char *fmt, ...) WHI_PRINTF(1, 2);
size_t whi_error_detail_count(void);
int whi_error_oom(void); /* WH_ENOMEM with a fixed message; never allocates */

#endif /* WHI_UTIL_ERROR_H */
