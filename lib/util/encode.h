/*
 * Base64 (standard alphabet, padded) and lowercase hex.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_ENCODE_H
#define WHI_UTIL_ENCODE_H

#include <stddef.h>

size_t whi_base64_encoded_len(size_t len);                       /* without the NUL */
size_t whi_base64_encode(const void *in, size_t len, char *out); /* writes NUL; returns length */
/* Standard alphabet with padding; rejects anything else. out needs (len / 4) * 3 bytes. */
int whi_base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);
void whi_hex_encode(const void *in, size_t len, char *out); /* lowercase; writes NUL */
int whi_hex_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);

#endif /* WHI_UTIL_ENCODE_H */
