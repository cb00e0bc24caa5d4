/* The shipped profiles' documents, compiled in from lib/api/profiles/NAME.json at build time
 * (cmake/embed_profiles.cmake writes the table). */
#ifndef WEBHOOKS_PROFILE_BUILTIN_H
#define WEBHOOKS_PROFILE_BUILTIN_H

#include <stddef.h>

typedef struct whi_builtin_profile {
    const char *name; /* the file's name without .json; NULL ends the table */
    const char *json; /* NUL-terminated */
    size_t len;
} whi_builtin_profile;

extern const whi_builtin_profile WHI_BUILTIN_PROFILES[];

#endif
