/*
 * Random bytes from mbedTLS's CTR_DRBG, seeded from its entropy source.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_RANDOM_H
#define WHI_UTIL_RANDOM_H

#include <stddef.h>

/* One DRBG per thread, seeded on first use; safe from any thread. */
int whi_random_bytes(void *out, size_t len);

#endif /* WHI_UTIL_RANDOM_H */
