/* The registration API's private state, shared by lib/api*.c. */
#ifndef WEBHOOKS_API_IMPL_H
#define WEBHOOKS_API_IMPL_H

#include <stdbool.h>
#include <pthread.h>

#include "buf.h"
#include "strvec.h"
#include "compiler.h"
#include "hashmap.h"
#include "webhooks/api.h"

/* The API's settings (set with wh_api_set_*), every default filled in. */
typedef struct wh_api_options {
    wh_api_auth_cb auth;
    void *auth_user_data;
    int reveal_secrets;
    size_t max_body_bytes;
    unsigned int allowed_methods;
    size_t default_page_limit;
    size_t max_page_limit;
    wh_time_ms secret_overlap_ms;
    int server_ids;
    wh_log_cb log;
    void *log_user_data;
} wh_api_options;

struct cJSON;

#define WHI_API_KEY_MAX         4096 /* longest credential accepted */
#define WHI_API_MAX_SEGS        4    /* deepest route: /webhooks/{id}/secret/rotate */
#define WHI_API_MAX_PATH        8192 /* longer paths answer 404 */
#define WHI_API_MAX_QUERY       8192 /* longer query strings answer 400 */
#define WHI_API_MAX_PAGE        2147483647u
#define WHI_API_MAX_ATTEMPT_LOG 50 /* newest attempts shown per delivery */
#define WHI_API_TEST_TYPE       "webhook.test"

/* ---- configuration (guarded by wh_api.cfg) ---- */

typedef struct api_key {
    unsigned char digest[32]; /* SHA-256 of the key: the key itself is never kept */
    char *owner;
    unsigned int scopes;
} api_key;

typedef struct api_type {
    char *name;
    char *display;   /* or NULL */
    char *custom_id; /* or NULL */
} api_type;

typedef struct api_entity {
    char *name;
    whi_strvec actions;
} api_entity;

/* A product of the host's product catalogue: its id and its object, as compact JSON. */
typedef struct api_product {
    char *id;
    char *json;
} api_product;

typedef struct api_catalogue {
    api_type **types; /* in registration order */
    size_t ntypes, cap_types;
    whi_hmap type_index; /* name -> api_type */
    api_entity **entities;
    size_t nentities, cap_entities;
    whi_strvec relations;
    api_product **products; /* in registration order */
    size_t nproducts, cap_products;
} api_catalogue;

/* A profile mounted under a path prefix (wh_api_mount). */
typedef struct api_mount {
    char *prefix; /* "/" or "/a/b" (no trailing slash) */
    size_t len;
    struct wh_profile *profile; /* one reference held */
} api_mount;

#define WHI_API_MAX_MOUNTS 16

struct wh_api {
    wh_hub *hub;            /* borrowed */
    pthread_rwlock_t cfg;   /* opts, keys, catalogue */
    pthread_mutex_t writes; /* an owner check and the change it guards, as one step */
    wh_api_options opts;    /* normalised: every default filled in */
    api_key *keys;
    size_t nkeys, cap_keys;
    api_catalogue cat;
    api_mount mounts[WHI_API_MAX_MOUNTS]; /* none: the native API at "/" */
    size_t nmounts;
};

/* ---- one request being handled ---- */

typedef struct api_param {
    char *name;
    char *value;
} api_param;

#define WHI_API_MAX_PARAMS 32
#define WHI_API_HDR_VALUE  200

typedef struct api_ctx {
    wh_api *api;
    const wh_api_request *req;
    wh_api_options opts; /* snapshot taken at the start */
    /* the route */
    char *segs[WHI_API_MAX_SEGS];
    size_t nsegs;
    api_param params[WHI_API_MAX_PARAMS];
    size_t nparams;
    struct cJSON *json; /* the parsed body, or NULL */
    /* the principal */
    char owner[WH_MAX_ID_LEN + 1];
    unsigned int scopes;
    /* the answer */
    int status;
    char *body;
    size_t body_len;
    struct {
        const char *name;
        char value[WHI_API_HDR_VALUE];
    } hdr[WH_API_MAX_RESPONSE_HEADERS];
    size_t nhdr;
    char log_msg[600];      /* cause of a 500, told to the host's log callback at the end */
    const char *key_prefix; /* a profile's: credentials must start with it, or NULL */
} api_ctx;

/* api_http.c: the HTTP side of requests and answers */
const char *whi_api_header(const wh_api_request *req, const char *name);
/* A NULL-terminated list of JSON member names, for whi_json_field: NAMES("since", "from"). */
#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

int whi_api_split_path(api_ctx *c, const char *path, size_t len);   /* WH_ENOTFOUND: no route */
int whi_api_parse_query(api_ctx *c, const char *query, size_t len); /* WH_EINVAL: bad query */
/* Add the request's already-decoded query parameters (query_names / query_values). */
int whi_api_add_params(api_ctx *c, const wh_api_request *req);
/* The query parameter name (NULL when absent); WH_EINVAL when it is given more than once. */
int whi_api_param(const api_ctx *c, const char *name, const char **value);
/* Read limit and page (defaults from the options); WH_EINVAL with a detail. */
int whi_api_paging(const api_ctx *c, size_t *limit, size_t *page);
/* Check and parse a JSON body (required: an empty body is an error); the answer is set on
 * failure and the return is non-zero. */
int whi_api_read_json(api_ctx *c, bool required);
void whi_api_set_header(api_ctx *c, const char *name, const char *value);
/* Answer status with body (taken: freed with whi_free). body NULL: no body. */
int whi_api_reply(api_ctx *c, int status, char *body, size_t len);
/* Answer status with {"message","details"} from the thread's last error. */
int whi_api_fail_status(api_ctx *c, int status);
/* Answer with the status that fits a library error code (500 for internal failures). */
int whi_api_fail(api_ctx *c, int rc);
/* Set the thread's error then answer: whi_api_error(c, 404, WH_ENOTFOUND, "no ..."). */
int whi_api_error(api_ctx *c, int status, int code, const char *fmt, ...) WHI_PRINTF(4, 5);
/* Build the response from the context (headers, body) into resp; frees the context. */
int whi_api_finish(api_ctx *c, wh_api_response *resp);

/* api.c: the native dispatcher, for the native API and the shipped native profile */
void whi_api_dispatch_native(api_ctx *c);

/* profile_serve.c: a request to a mounted profile other than the shipped native one; path is
 * the request's path below the mount's prefix */
void whi_profile_dispatch(api_ctx *c, const struct wh_profile *p, const char *prefix,
                          const char *path);

/* api_auth.c */
/* Find the principal of the request: WH_OK, or the answer (401/500) is set. */
int whi_api_authenticate(api_ctx *c);
void whi_api_keys_free(wh_api *api);

/* api_catalogue.c */
void whi_api_catalogue_clear(api_catalogue *cat);
/* Check a webhook against the catalogue and the allowed methods; WH_EINVAL with details. */
int whi_api_check_webhook(wh_api *api, const wh_subscription *sub, unsigned int allowed);
/* Check an event's type, entity and action against the catalogue; WH_EINVAL with details. */
int whi_api_check_event(wh_api *api, const wh_event *ev);
/* The product with this id, or NULL (under the cfg lock). */
const api_product *whi_api_product_find(const api_catalogue *cat, const char *id);
/* The event type registered as name or, failing that, with this custom id, or NULL. */
const api_type *whi_api_type_find(const api_catalogue *cat, const char *name_or_custom_id);
/* GET /event-types */
int whi_api_event_types(api_ctx *c);

/* api_webhooks.c: /webhooks routes */
int whi_api_webhooks_list(api_ctx *c);
int whi_api_webhooks_create(api_ctx *c);
int whi_api_webhook_get(api_ctx *c);
int whi_api_webhook_put(api_ctx *c);
int whi_api_webhook_patch(api_ctx *c);
int whi_api_webhook_delete(api_ctx *c);
int whi_api_webhook_rotate(api_ctx *c);
int whi_api_webhook_test(api_ctx *c);
/* The webhook id of the path owned by the principal, copied into *out (free with
 * wh_subscription_free). Answers 404 (and returns non-zero) otherwise. */
int whi_api_own_webhook(api_ctx *c, const char *id, wh_subscription **out);
/* The same without answering: WH_ENOTFOUND when absent or someone else's. */
int whi_api_load_own(api_ctx *c, const char *id, wh_subscription **out);

/* api_deliveries.c */
int whi_api_deliveries_list(api_ctx *c);
int whi_api_delivery_retry(api_ctx *c);
int whi_api_webhook_recover(api_ctx *c); /* POST /webhooks/{id}/recover */

/* api_events.c */
int whi_api_events_post(api_ctx *c);

#endif
