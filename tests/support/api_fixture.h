/*
 * The registration API's test fixture: a hub_fixture (memory store, loopback receiver, movable
 * clock) with a wh_api over it, keys for two owners, and one-line request helpers.
 *
 * Keys: "key-alice" and "key-bob" (every scope), "key-alice-read" (webhooks:read),
 * "key-alice-write" (webhooks:write), "key-alice-events" (events:write).
 */
#ifndef WH_TEST_API_FIXTURE_H
#define WH_TEST_API_FIXTURE_H

#include <cjson/cJSON.h>

#include "hub_fixture.h"

#define KEY_ALICE        "key-alice"
#define KEY_BOB          "key-bob"
#define KEY_ALICE_READ   "key-alice-read"
#define KEY_ALICE_WRITE  "key-alice-write"
#define KEY_ALICE_EVENTS "key-alice-events"

typedef struct api_fixture {
    hub_fixture hub;
    wh_api *api;
    wh_api_response last; /* the last answer */
    cJSON *json;          /* its body parsed, or NULL */
} api_fixture;

/* Start the hub fixture and an API with default settings and the keys above. */
void api_fixture_start(api_fixture *f);
/* The same over a hub made with opts (as hub_fixture_start takes them). */
void api_fixture_start_with(api_fixture *f, wh_hub_options *opts);
void api_fixture_stop(api_fixture *f);
/* cmocka setup and teardown: a started fixture, calloc'ed, in *state; then stopped and freed. */
int api_fixture_setup(void **state);
int api_fixture_teardown(void **state);

/*
 * One request: target is the path with an optional "?query"; key goes in x-api-key (NULL: no
 * credential); body (NULL: none) is sent with Content-Type: application/json, and "RECV" in it
 * becomes the receiver's base URL. Returns the status; the answer stays in f->last / f->json.
 * Asserts that every answer is well-formed (JSON body with Content-Type, error shape on 4xx/5xx).
 */
int api_call(api_fixture *f, const char *method, const char *target, const char *key,
             const char *body);
/* The same with the credential in another header (NULL value: none), e.g. "Authorization" and
 * "Bearer pk_...". */
int api_call_as(api_fixture *f, const char *method, const char *target, const char *header,
                const char *value, const char *body);
/* The same with explicit headers and a raw body of body_len bytes (no RECV substitution). */
int api_call_raw(api_fixture *f, const char *method, const char *target, const char *const *names,
                 const char *const *values, size_t nheaders, const char *body, size_t body_len);

/* A header of the last answer (case-insensitive), or NULL. */
const char *api_header(const api_fixture *f, const char *name);
/* A top-level string member of the last answer, or NULL. */
const char *api_str(const api_fixture *f, const char *name);
/* A top-level number member of the last answer (asserts it is a number). */
double api_num(const api_fixture *f, const char *name);
/* True when a detail of the last error answer contains needle. */
int api_has_detail(const api_fixture *f, const char *needle);

/* POST /webhooks with key and json; asserts 201 and copies the id into id (n bytes). */
const char *api_create(api_fixture *f, const char *key, const char *json, char *id, size_t n);
/* The stored webhook as JSON with its secrets, straight from the hub (free with wh_free). */
char *api_stored(api_fixture *f, const char *id);
/* A copy of s with "RECV" replaced by the receiver's base URL (free with free()). */
char *api_recv_subst(api_fixture *f, const char *s);

#endif
