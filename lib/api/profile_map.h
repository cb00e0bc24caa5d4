/* A profile's field mapping between its JSON and the native webhook JSON (profile_map.c). */
#ifndef WEBHOOKS_PROFILE_MAP_H
#define WEBHOOKS_PROFILE_MAP_H

#include <stdbool.h>

#include "api_impl.h"
#include "profile_impl.h"

struct cJSON;

/* The member at a dotted path ("fields.secret") of obj, or NULL. */
const struct cJSON *whi_path_get(const struct cJSON *obj, const char *path);
/* Set item (taken; freed on failure) at a dotted path of obj, making the objects on the way.
 * false: out of memory. */
bool whi_path_set(struct cJSON *obj, const char *path, struct cJSON *item);
/* A request body in the profile's shape as native webhook JSON (*out owned by the caller).
 * full: a create or replace, where required fields must be there. WH_EINVAL with one detail per
 * problem, each naming the profile's member; WH_ENOMEM. cat is read under the API's lock. */
int whi_profile_to_native(const wh_profile *p, const api_catalogue *cat, const struct cJSON *ext,
                          bool full, struct cJSON **out);
/* A webhook's native JSON (with its secrets) in the profile's shape. WH_ENOMEM. */
int whi_profile_from_native(const wh_profile *p, const api_catalogue *cat,
                            const struct cJSON *native, struct cJSON **out);

#endif
