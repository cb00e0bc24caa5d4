/* The shipped profiles by name: native and the five seed APIs' (webhooks/profile.h). */
#include <string.h>

#include "profile_impl.h"
#include "profile_builtin.h"
#include "error.h"

const char *wh_profile_builtin_name(size_t i)
{
    for (size_t k = 0; WHI_BUILTIN_PROFILES[k].name; k++)
        if (k == i) return WHI_BUILTIN_PROFILES[k].name;
    return NULL;
}

const char *wh_profile_builtin_json(const char *name, size_t *len)
{
    for (size_t k = 0; name && WHI_BUILTIN_PROFILES[k].name; k++)
        if (strcmp(WHI_BUILTIN_PROFILES[k].name, name) == 0) {
            if (len) *len = WHI_BUILTIN_PROFILES[k].len;
            return WHI_BUILTIN_PROFILES[k].json;
        }
    if (len) *len = 0;
    return NULL;
}

int wh_profile_builtin(wh_profile **out, const char *name)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    size_t len;
    const char *json = wh_profile_builtin_json(name, &len);
    if (!json)
        return whi_error(WH_ENOTFOUND,
                         "no shipped profile called \"%.64s\" (native, cakto, placaflow, "
                         "rdstation, commerce, whautochat)",
                         name ? name : "(null)");
    int rc = wh_profile_load(out, json, len);
    /* The shipped native profile is served by the native dispatcher itself, so mounting it
     * anywhere gives exactly the API of docs/rest-api.md. */
    if (rc == WH_OK && strcmp(name, "native") == 0) (*out)->builtin_native = true;
    return rc;
}
