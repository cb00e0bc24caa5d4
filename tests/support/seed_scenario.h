/*
 * Helpers shared by the seed scenarios (tests/integration/seeds/test_seed00N.c): each seed
 * document's behaviour driven through the registration API (an api_fixture: wh_api over a hub
 * with a memory store, a movable clock and a loopback receiver), with real deliveries checked
 * as the receiver got them.
 *
 * Every wait is bounded in real time (SEED_WAIT_MS) and uses 127.0.0.1 only.
 */
#ifndef WH_TEST_SEED_SCENARIO_H
#define WH_TEST_SEED_SCENARIO_H

#include <cjson/cJSON.h>

#include "api_fixture.h"

/* Longest real time one wait for the hub may take. */
#define SEED_WAIT_MS 10000

/* A webhook created through the API: its id and the secret the creation answer showed. */
typedef struct seed_hook {
    char id[128];
    char secret[128];
} seed_hook;

/* Start an api_fixture with default settings; the fixture is calloc'ed (free with seed_stop). */
api_fixture *seed_start(void);
void seed_stop(api_fixture *f);

/* POST /webhooks with key (x-api-key) and json ("RECV" becomes the receiver's base URL);
 * asserts 201 and a secret in the answer, and fills *out. The answer stays in f->json. */
void seed_create(api_fixture *f, const char *key, const char *json, seed_hook *out);

/* seed_create authenticated with "Authorization: Bearer <bearer>". */
void seed_create_bearer(api_fixture *f, const char *bearer, const char *json, seed_hook *out);

/* One request authenticated with "Authorization: Bearer <bearer>" (NULL: no credential at
 * all); body as api_call. Returns the status; the answer is in f->last / f->json. */
int seed_call_bearer(api_fixture *f, const char *method, const char *target, const char *bearer,
                     const char *body);

/* POST /events with key and an event JSON; asserts 202 and returns "queued" (and, when
 * something was queued, that the hub reports work due now). */
size_t seed_emit(api_fixture *f, const char *key, const char *event_json);

/* Assert the hub reports work due now (wh_hub_timeout_ms 0): after an emit that queued
 * something, or once the clock reached a retry. */
void seed_assert_due_now(api_fixture *f);

/* Run the hub until nothing is in flight and nothing is due at the hub's clock (so everything
 * due has been sent and its outcome recorded), within SEED_WAIT_MS; asserts it got there. */
void seed_settle(api_fixture *f);

/* Settle, then assert the receiver's log holds exactly n requests; returns request n-1 (NULL
 * when n is 0). */
const wh_recv_request *seed_expect(api_fixture *f, size_t n);

/* Assert q is a delivery: the method and target (path and query) expected, Content-Type
 * application/json, and a Standard Webhooks signature that wh_verify accepts with secret at the
 * hub's clock now (and refuses with another secret). */
void seed_assert_delivery(api_fixture *f, const wh_recv_request *q, const char *method,
                          const char *target, const char *secret);

/* q's body parsed as JSON (asserts it parses); free with cJSON_Delete. */
cJSON *seed_body(const wh_recv_request *q);

/* The element of array whose "id" (string or number) equals id, or NULL. */
const cJSON *seed_find_by_id(const cJSON *array, const char *id);

/* A member of obj as a string / number (asserts the type), for short assertions. */
const char *seed_str(const cJSON *obj, const char *name);
double seed_num(const cJSON *obj, const char *name);
/* Number of top-level members of an object or elements of an array. */
int seed_size(const cJSON *obj, const char *name);
/* True when the string array obj[name] holds exactly the n given values, in that order. */
int seed_strings_are(const cJSON *obj, const char *name, const char *const *values, size_t n);

#endif
