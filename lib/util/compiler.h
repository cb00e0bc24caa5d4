/*
 * Compiler helpers shared by every layer: printf-format checking and array length.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library.
 */
#ifndef WHI_UTIL_COMPILER_H
#define WHI_UTIL_COMPILER_H

#if defined(__GNUC__)
#define WHI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WHI_PRINTF(f, a)
#endif

#define WHI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* WHI_UTIL_COMPILER_H */
