/*
 * Allocation: everything the library allocates goes through the host's wh_allocator (see
 * wh_set_allocator). NULL in, NULL out where a string is copied.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_ALLOC_H
#define WHI_UTIL_ALLOC_H

#include <stddef.h>

#include "webhooks/common.h"

void *whi_malloc(size_t size);
void *whi_calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
void *whi_realloc(void *ptr, size_t size);
void whi_free(void *ptr);
char *whi_strdup(const char *s);              /* NULL in, NULL out */
char *whi_strndup(const char *s, size_t len); /* copies len bytes and adds a NUL */
/* Replace *dst with a copy of src (NULL allowed). WH_ENOMEM leaves *dst untouched. */
int whi_str_replace(char **dst, const char *src);

#endif /* WHI_UTIL_ALLOC_H */
