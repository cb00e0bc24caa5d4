/*
 * API profiles: a declarative description of an existing webhook REST API (its routes, JSON
 * field names and shapes, envelopes, status codes, error shape, credentials and the delivery
 * defaults it implies) that the registration API (webhooks/api.h) serves on top of the
 * library's one model. A host that already offers a webhook API keeps its contract: it mounts
 * that API's profile (wh_api_mount, webhooks/api.h) and its clients see no change. Several profiles
 * may be mounted at once under their own path prefixes; a webhook created through one is visible
 * through every other.
 *
 * A profile is a JSON document; its format: docs/profiles.md. The library ships six, by name:
 *   native      the library's own REST API (docs/rest-api.md), mounted at "/" by default
 *   cakto       GET|POST /public_api/webhook/, GET|PUT|PATCH|DELETE /public_api/webhook/{id}/
 *   placaflow   GET|POST /api/webhooks, GET|PUT|PATCH|DELETE /api/webhooks/{id}
 *   rdstation   GET|POST /integrations/webhooks, GET|PUT|DELETE /integrations/webhooks/{uuid}
 *   commerce    GET|POST /webhooks, GET|PUT|DELETE /webhooks/{webhookId} (PascalCase)
 *   whautochat  GET|POST /v1/webhooks, PUT|DELETE /v1/webhooks/{webhookId}
 * and installs their documents (share/webhooks/profiles/NAME.json) for a host to copy and edit.
 *
 * A wh_profile is immutable once loaded: it may be shared by any number of APIs and threads.
 */
#ifndef WEBHOOKS_PROFILE_H
#define WEBHOOKS_PROFILE_H

#include "webhooks/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_profile wh_profile;

/* Longest profile document accepted, in bytes. */
#define WH_PROFILE_MAX_LEN (256 * 1024)

/*
 * Load a profile from its JSON document (len bytes, need not be NUL-terminated; at most
 * WH_PROFILE_MAX_LEN). *out is owned by the caller: free with wh_profile_free.
 * A document that is not JSON, or asks for something a profile cannot express (an unknown
 * member or operation, a mapping to a field the webhook model does not have, a route given
 * twice, ...), gives WH_EINVAL: the message names the line and column of the first problem
 * ("profile: line 12, column 9: ...") and there is one detail per problem, each with its line
 * and column. WH_ETOOLARGE past the limit, WH_ENOMEM. On error *out is NULL.
 */
WH_EXTERN int wh_profile_load(wh_profile **out, const char *json, size_t len);
/* Load a shipped profile by name (see above). WH_ENOTFOUND for another name. */
WH_EXTERN int wh_profile_builtin(wh_profile **out, const char *name);
/* The name of the i-th shipped profile, or NULL past the last (a static string). */
WH_EXTERN const char *wh_profile_builtin_name(size_t i);
/* The document of a shipped profile (static, NUL-terminated, *len its length; len may be
 * NULL), or NULL for another name. */
WH_EXTERN const char *wh_profile_builtin_json(const char *name, size_t *len);
/* Release the caller's reference (an API that mounted the profile keeps its own). NULL is a
 * no-op. */
WH_EXTERN void wh_profile_free(wh_profile *profile);
/* The profile's name (its "profile" member): borrowed, valid while the profile lives. */
WH_EXTERN const char *wh_profile_name(const wh_profile *profile);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_PROFILE_H */
