/*
 * The registration API: an HTTP-agnostic handler that gives a host's users a webhook REST API
 * (its reference: docs/rest-api.md), to mount in whatever HTTP server the host
 * already runs. No sockets inside: the host passes method, path (below its own mount point),
 * query string, headers and body, and gets status, headers and body back.
 *
 *     wh_api *api;
 *     wh_api_new(&api, hub, NULL);                          // borrows the hub
 *     wh_api_add_key(api, "pk_live_123", "user-42",
 *                    WH_SCOPE_WEBHOOKS_READ | WH_SCOPE_WEBHOOKS_WRITE);
 *     wh_api_catalogue_add_type(api, "order.created", "Order created", NULL);
 *
 *     wh_api_request req = WH_API_REQUEST_INIT;             // per request, in any thread
 *     req.method = "GET"; req.path = "/webhooks"; req.query = "limit=10";
 *     req.header_names = names; req.header_values = values; req.header_count = n;
 *     wh_api_response resp = WH_API_RESPONSE_INIT;
 *     wh_api_handle(api, &req, &resp);                      // resp.status, headers, body
 *     ...send it...
 *     wh_api_response_free(&resp);
 *
 * Routes (all JSON, camelCase): GET/POST /webhooks, GET/PUT/PATCH/DELETE /webhooks/{id},
 * POST /webhooks/{id}/secret/rotate, GET /webhooks/{id}/deliveries, POST /webhooks/{id}/test,
 * POST /deliveries/{id}/retry, POST /events, GET /event-types. Errors are
 * {"message":"...","details":["..."]}.
 *
 * Authentication: the credential of `Authorization: Bearer <key>` (tried first) or
 * `x-api-key: <key>` is checked against the key table (wh_api_add_key), then, when no key
 * matches, handed to the host's callback (wh_api_set_auth). A principal is an owner id and a
 * set of scopes. No valid credential: 401; a missing scope: 403. Every principal sees and
 * changes only the webhooks whose ownerId is its owner; another owner's webhook answers 404,
 * exactly as a webhook that does not exist. A webhook created through the API always gets the
 * principal's owner (an ownerId in a body is ignored), and POST /events reaches only the
 * principal's own webhooks (a host emits to every owner with wh_hub_emit).
 *
 * Threading: wh_api_handle may be called from any number of threads at once (it takes the
 * API's own locks; the hub is thread-safe). Setup calls (setters, keys, catalogue) may be made
 * at any time; they are serialised with requests by a read-write lock, so a request sees the
 * configuration either before or after a setter, never half of it.
 */
#ifndef WEBHOOKS_API_H
#define WEBHOOKS_API_H

#include "webhooks/common.h"
#include "webhooks/hub.h"
#include "webhooks/profile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_api wh_api;

/* ---- scopes ---- */
#define WH_SCOPE_WEBHOOKS_READ 0x1u /* "webhooks:read": list and read webhooks and deliveries */
/* "webhooks:write": create, change, delete, rotate, test, retry */
#define WH_SCOPE_WEBHOOKS_WRITE 0x2u
#define WH_SCOPE_EVENTS_WRITE   0x4u /* "events:write": POST /events */
#define WH_SCOPE_ALL            0x7u

/*
 * Parse a scope list: names separated by commas and/or spaces ("webhooks:read,webhooks:write",
 * "events:write"), or "*" / "all" for every scope. *out gets the bitmask. WH_EINVAL naming an
 * unknown scope; an empty list gives 0.
 */
WH_EXTERN int wh_api_scopes_parse(const char *text, unsigned int *out);
/* The name of one scope bit ("webhooks:read"), or NULL when scope is not exactly one known bit.
 * A static string: never freed. */
WH_EXTERN const char *wh_api_scope_name(unsigned int scope);

/*
 * Authentication callback: turn a credential into a principal.
 *   credential  the key sent by the client (NUL-terminated, 1..4096 bytes, no spaces or
 *               control bytes); borrowed for the call.
 *   owner       a buffer of owner_size (WH_MAX_ID_LEN + 1) bytes: write the owner id,
 *               NUL-terminated (1..255 bytes of UTF-8 without control characters). The library
 *               copies it.
 *   scopes      write the principal's WH_SCOPE_* bits.
 * Return WH_OK for a valid credential. WH_EIO, WH_ENOMEM, WH_EBUSY or WH_ETIMEOUT mean the
 * host could not decide (its key store is down): the request gets 500 and the client is not
 * told its key is bad. Any other code means "not a valid credential": 401. An owner that is
 * empty or invalid is a host bug: 500.
 * Called from the threads that call wh_api_handle, possibly several at once, without any API
 * lock held (it may call wh_api_* functions other than wh_api_free).
 */
typedef int (*wh_api_auth_cb)(const char *credential, char *owner, size_t owner_size,
                              unsigned int *scopes, void *user_data);

/* Bit of a wh_method in an allowed-methods mask. */
#define WH_API_METHOD_BIT(m) (1u << (unsigned)(m))

#define WH_API_DEFAULT_MAX_BODY       (1024 * 1024)
#define WH_API_DEFAULT_PAGE_LIMIT     20
#define WH_API_DEFAULT_MAX_PAGE_LIMIT 100

/*
 * Create an API over hub, with every setting at its default (change them with the setters
 * below). The hub is BORROWED: it must outlive the API. *out is owned by the caller: free with
 * wh_api_free. WH_EINVAL for a NULL hub, WH_ENOMEM.
 */
WH_EXTERN int wh_api_new(wh_api **out, wh_hub *hub);
/* Free the API (keys are wiped). No request may be in progress. NULL is a no-op. */
WH_EXTERN void wh_api_free(wh_api *api);

/*
 * Settings, each with a setter that may be called at any time, also while requests are served
 * (a request sees the settings either before or after a change, never half of it). Each returns
 * WH_OK, or WH_EINVAL for a NULL api or a bad value (the setting then keeps its old value).
 *   auth             the host's authentication callback, asked when no key of the table matches
 *                    (default NULL: only the key table authenticates)
 *   reveal_secrets   non-zero: every webhook response shows its secrets (default 0: only the
 *                    answers to create and rotate do)
 *   max_body         larger request bodies get 413 (default and 0: 1 MiB)
 *   allowed_methods  WH_API_METHOD_BIT mask of the delivery methods a webhook may use (default
 *                    and 0: all); another method gets 400 naming it
 *   page_limits      the limit when a query gives none (0: 20) and the largest accepted (0: 100,
 *                    at most 10 000; a larger one in a query gets 400); default <= max
 *   secret_overlap   how long rotated-out secrets keep signing (0: 24 h; negative: WH_EINVAL)
 *   server_ids       non-zero: ids are always generated, and an "id" in a POST /webhooks body
 *                    gets 400 (default 0: a client may choose its webhook's id; ids are global,
 *                    so an id another owner holds answers 409)
 *   log              told the cause of every 500 (never sent to the client; default none)
 */
WH_EXTERN int wh_api_set_auth(wh_api *api, wh_api_auth_cb cb, void *user_data);
WH_EXTERN int wh_api_set_reveal_secrets(wh_api *api, int reveal);
WH_EXTERN int wh_api_set_max_body(wh_api *api, size_t max_body_bytes);
WH_EXTERN int wh_api_set_allowed_methods(wh_api *api, unsigned int method_mask);
WH_EXTERN int wh_api_set_page_limits(wh_api *api, size_t default_limit, size_t max_limit);
WH_EXTERN int wh_api_set_secret_overlap(wh_api *api, wh_time_ms overlap_ms);
WH_EXTERN int wh_api_set_server_ids(wh_api *api, int on);
WH_EXTERN int wh_api_set_log(wh_api *api, wh_log_cb cb, void *user_data);
/* The request body limit in force (a host may stop reading a body past it: see
 * wh_api_request.body_too_large). 0 for a NULL api. */
WH_EXTERN size_t wh_api_max_body(const wh_api *api);

/* ---- the built-in key table ---- */
/*
 * Let key authenticate as owner with scopes. Keys are kept only as SHA-256 digests and compared
 * in constant time against every entry. Adding a key already present replaces its owner and
 * scopes. key: 1..4096 bytes without control characters or spaces; owner: 1..255 bytes of UTF-8
 * without control characters. WH_EINVAL, WH_ENOMEM.
 */
WH_EXTERN int wh_api_add_key(wh_api *api, const char *key, const char *owner, unsigned int scopes);
/* Revoke a key. WH_ENOTFOUND when it is not in the table. */
WH_EXTERN int wh_api_remove_key(wh_api *api, const char *key);

/* ---- the event catalogue ---- */
/*
 * The event types, entities, actions and relations the host emits, listed by GET /event-types.
 * Each part is checked only once the host registered at least one entry of it:
 * - event types: a webhook's exact event type must be registered, and a wildcard pattern
 *   ("order.*", "**") must match at least one registered type; POST /events refuses an
 *   unregistered type.
 * - entities: a webhook's entity must be registered, and each of its actions must be one of
 *   that entity's; POST /events refuses an unregistered entity or action.
 * - relations: each includeRelations value of a webhook must be registered.
 * A refusal is 400 with one detail per value, naming it. Matching is case-sensitive.
 */
/* Register an event type (exact name, no wildcards) with a display name (1..255 bytes of UTF-8,
 * NULL: none) and the host's own identifier for it (a numeric event id, say; 1..255 bytes,
 * NULL: none). Registering a name again replaces its display name and custom id. */
WH_EXTERN int wh_api_catalogue_add_type(wh_api *api, const char *name, const char *display_name,
                                        const char *custom_id);
/* Register an entity (1..255 bytes) with its n valid actions (each 1..255 bytes; n may be 0:
 * an entity without actions, which webhooks may still name with no actions). Registering an
 * entity again replaces its actions. */
WH_EXTERN int wh_api_catalogue_add_entity(wh_api *api, const char *entity,
                                          const char *const *actions, size_t n);
/* Register a relation a webhook may include ("COMPANY", "CONTACT_FUNNEL"). */
WH_EXTERN int wh_api_catalogue_add_relation(wh_api *api, const char *relation);
/*
 * Load a catalogue in the shape GET /event-types answers (every member optional):
 *   {"eventTypes":[{"name":"order.created","displayName":"Order created","customId":"3"}],
 *    "entities":[{"name":"Order","actions":["create","update"]}],
 *    "relations":["COMPANY"]}
 * Entries are added to what is registered. All or nothing: WH_EINVAL with one detail per
 * problem leaves the catalogue unchanged.
 */
WH_EXTERN int wh_api_catalogue_load_json(wh_api *api, const char *json, size_t len);
/*
 * Register a product of the host's product catalogue: a JSON object (len bytes, at most 64 KiB)
 * with an "id", a string or an integer. Profiles that show a webhook's products as objects
 * (seed 000's, "as": "product-objects") show this object for the id; an id not registered is
 * shown as {"id": ...}. Registering an id again replaces its object. A catalogue loaded with
 * wh_api_catalogue_load_json may list them as "products": [{...}, ...]. WH_EINVAL (no id, not
 * an object), WH_ETOOLARGE, WH_ENOMEM.
 */
WH_EXTERN int wh_api_catalogue_add_product(wh_api *api, const char *json, size_t len);
/* Forget every type, entity, relation and product (the checks are off again). */
WH_EXTERN int wh_api_catalogue_clear(wh_api *api);

/* ---- profiles: other APIs' contracts served over the same webhooks (webhooks/profile.h) ---- */
/*
 * Serve profile under the path prefix ("/" or "/a/b": segments of letters, digits, - _ . ~;
 * at most 256 bytes, no trailing slash). Requests are routed to the mount with the longest
 * prefix that their path starts with (whole segments); the profile sees the path below it.
 * Before the first mount the API serves the native API at "/"; once any profile is mounted it
 * serves only its mounts (mount the shipped "native" profile to keep the native API too).
 * Every mount shares the API's keys, catalogue, settings and hub: a webhook created through
 * one is visible through every other. The API takes its own reference to profile (the caller
 * still frees its own with wh_profile_free). At most 16 mounts. WH_EINVAL (bad prefix),
 * WH_ECONFLICT (the prefix is mounted already), WH_ENOMEM.
 */
WH_EXTERN int wh_api_mount(wh_api *api, const char *prefix, wh_profile *profile);

/* ---- handling a request ---- */

/* Most header lines the API answers with. */
#define WH_API_MAX_RESPONSE_HEADERS 8

#define WH_API_REQUEST_VERSION 1
typedef struct wh_api_request {
    unsigned int version; /* WH_API_REQUEST_VERSION */
    const char *method;   /* "GET", "POST", ... (case-sensitive, as HTTP says) */
    /* below the mount point: "/webhooks/abc". A "?query" in it is used when query is NULL.
     * Segments are percent-decoded (ids never hold '%', so a path the server decoded already
     * works too); one trailing '/' is ignored. */
    const char *path;
    const char *query;                /* without '?': "limit=10&page=2", or NULL */
    const char *const *header_names;  /* header_count names (case-insensitive), or NULL */
    const char *const *header_values; /* header_count values */
    size_t header_count;
    const char *body; /* body_len bytes (need not be NUL-terminated) */
    size_t body_len;
    /* non-zero: the host stopped reading a body longer than wh_api_max_body (body may be NULL):
     * answers 413 */
    int body_too_large;
    /* non-NULL: the host authenticated the request itself (a session): this owner and
     * auth_scopes are used and credential headers are ignored */
    const char *auth_owner;
    unsigned int auth_scopes;
    /* query parameters already split and decoded, for servers that hand them so (libmicrohttpd),
     * or NULL; used together with query */
    const char *const *query_names;
    const char *const *query_values; /* query_count values (NULL counts as "") */
    size_t query_count;
} wh_api_request;

#define WH_API_REQUEST_INIT                                                                        \
    {                                                                                              \
        WH_API_REQUEST_VERSION, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL,  \
            0                                                                                      \
    }

typedef struct wh_api_header {
    const char *name;
    const char *value;
} wh_api_header;

#define WH_API_RESPONSE_VERSION 1
typedef struct wh_api_response {
    unsigned int version; /* set by the caller: WH_API_RESPONSE_VERSION (WH_API_RESPONSE_INIT) */
    int status;           /* HTTP status: 200, 201, 202, 204, 400, ... */
    /* header_count entries owned by the response: always Content-Type (for a body) and
     * Cache-Control: no-store; Allow with 405 and OPTIONS; WWW-Authenticate with 401 and 403;
     * Retry-After with 503 */
    wh_api_header *headers;
    size_t header_count;
    /* body_len bytes of JSON plus a NUL, owned by the response; NULL when there is no body
     * (204). A caller may take it (set resp->body to NULL) and free it later with wh_free. */
    char *body;
    size_t body_len;
} wh_api_response;

#define WH_API_RESPONSE_INIT                                                                       \
    {                                                                                              \
        WH_API_RESPONSE_VERSION, 0, NULL, 0, NULL, 0                                               \
    }

/*
 * Handle one request. req is borrowed for the call. resp must be initialised with
 * WH_API_RESPONSE_INIT (or freed with wh_api_response_free) before each call; it receives the
 * answer, which the caller frees with wh_api_response_free.
 * Returns WH_OK whenever resp holds an answer, whatever its status (4xx and 5xx included).
 * WH_EINVAL for a NULL argument or an unknown struct version (resp->status is then 500 when
 * resp is usable); WH_ENOMEM when not even an error answer could be built (resp->status is
 * 500, resp->body NULL).
 */
WH_EXTERN int wh_api_handle(wh_api *api, const wh_api_request *req, wh_api_response *resp);
/* Free what a response holds and reset it to WH_API_RESPONSE_INIT. NULL is a no-op. */
WH_EXTERN void wh_api_response_free(wh_api_response *resp);

/*
 * wh_api_handle for bindings that pass only plain values. *status_out gets the HTTP status;
 * *headers_out (may be NULL) the response header lines, "Name: value\r\n" each; *body_out the
 * body (NUL-terminated, NULL when there is none) and *body_len_out (may be NULL) its length.
 * *headers_out and *body_out are owned by the caller: free with wh_free. Return codes as
 * wh_api_handle.
 */
WH_EXTERN int wh_api_handle_simple(wh_api *api, const char *method, const char *path,
                                   const char *query, const char *const *header_names,
                                   const char *const *header_values, size_t header_count,
                                   const char *body, size_t body_len, int *status_out,
                                   char **headers_out, char **body_out, size_t *body_len_out);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_API_H */
