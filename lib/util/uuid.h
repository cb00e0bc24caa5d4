/*
 * UUID version 4 text (random), and a check of the text form.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_UUID_H
#define WHI_UTIL_UUID_H

#include <stdbool.h>

#define WHI_UUID_LEN 36
int whi_uuid_v4(char out[WHI_UUID_LEN + 1]);
bool whi_uuid_valid(const char *s);

#endif /* WHI_UTIL_UUID_H */
