/* Helpers shared by the seed scenarios (see seed_scenario.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_scenario.h"
#include "wh_test.h"

api_fixture *seed_start(void)
{
    api_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    api_fixture_start(f);
    return f;
}

void seed_stop(api_fixture *f)
{
    if (!f) return;
    api_fixture_stop(f);
    free(f);
}

/* The id and first secret of a creation answer (f->json) into *out. */
static void take_created(api_fixture *f, seed_hook *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(f->json, "id");
    if (cJSON_IsNumber(id))
        snprintf(out->id, sizeof(out->id), "%.0f", id->valuedouble);
    else if (cJSON_IsString(id))
        snprintf(out->id, sizeof(out->id), "%s", id->valuestring);
    else
        fail_msg("no id in the creation answer: %s", f->last.body);
    const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(f->json, "secrets");
    const cJSON *first = cJSON_GetArrayItem(secrets, 0);
    if (!cJSON_IsString(first)) print_error("no secret in the creation answer: %s\n", f->last.body);
    assert_true(cJSON_IsString(first));
    snprintf(out->secret, sizeof(out->secret), "%s", first->valuestring);
}

void seed_create(api_fixture *f, const char *key, const char *json, seed_hook *out)
{
    memset(out, 0, sizeof(*out));
    api_create(f, key, json, out->id, sizeof(out->id));
    take_created(f, out);
}

void seed_create_bearer(api_fixture *f, const char *bearer, const char *json, seed_hook *out)
{
    memset(out, 0, sizeof(*out));
    int status = seed_call_bearer(f, "POST", "/webhooks", bearer, json);
    if (status != 201) print_error("create -> %d: %s\n", status, f->last.body);
    assert_int_equal(status, 201);
    take_created(f, out);
}

int seed_call_bearer(api_fixture *f, const char *method, const char *target, const char *bearer,
                     const char *body)
{
    char auth[256];
    if (bearer) snprintf(auth, sizeof(auth), "Bearer %s", bearer);
    return api_call_as(f, method, target, "Authorization", bearer ? auth : NULL, body);
}

size_t seed_emit(api_fixture *f, const char *key, const char *event_json)
{
    int status = api_call(f, "POST", "/events", key, event_json);
    if (status != 202) print_error("POST /events -> %d: %s\n", status, f->last.body);
    assert_int_equal(status, 202);
    size_t queued = (size_t)api_num(f, "queued");
    if (queued) seed_assert_due_now(f);
    return queued;
}

/* Nothing in flight, nothing due at the hub's clock, no completion left to record. */
static int quiet(hub_fixture *hf, void *ud)
{
    (void)ud;
    wh_time_ms at = 0;
    int due = wh_hub_next_deadline(hf->hub, &at) == WH_OK && at <= hf->now;
    return wh_hub_in_flight(hf->hub) == 0 && !due && wh_hub_timeout_ms(hf->hub) != 0;
}

void seed_assert_due_now(api_fixture *f)
{
    /* wh_hub_timeout_ms promises 0 when wh_hub_run has work now (a host's loop relies on it) */
    assert_int_equal(wh_hub_timeout_ms(f->hub.hub), 0);
}

void seed_settle(api_fixture *f)
{
    assert_true(hub_fixture_run_until(&f->hub, quiet, NULL, SEED_WAIT_MS));
}

const wh_recv_request *seed_expect(api_fixture *f, size_t n)
{
    seed_settle(f);
    size_t got = wh_receiver_count(f->hub.recv);
    if (got != n) print_error("the receiver got %zu requests, expected %zu\n", got, n);
    assert_int_equal(got, n);
    return n ? wh_receiver_request(f->hub.recv, n - 1) : NULL;
}

void seed_assert_delivery(api_fixture *f, const wh_recv_request *q, const char *method,
                          const char *target, const char *secret)
{
    assert_non_null(q);
    assert_string_equal(q->method, method);
    assert_string_equal(q->target, target);
    assert_string_equal(wh_recv_request_header(q, "Content-Type"), "application/json");
    const char *names[3] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[3];
    for (int i = 0; i < 3; i++) {
        values[i] = wh_recv_request_header(q, names[i]);
        assert_non_null(values[i]);
    }
    const char *secrets[1] = {secret};
    int rc = wh_verify(WH_SCHEME_STANDARD, secrets, 1, names, values, 3, q->body, q->body_len,
                       f->hub.now / 1000, 0);
    if (rc != WH_OK) print_error("signature of %s: %s\n", q->target, wh_error_last()->message);
    assert_int_equal(rc, WH_OK);
    /* the same request signed with another secret does not verify */
    const char *other[1] = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
    assert_int_equal(wh_verify(WH_SCHEME_STANDARD, other, 1, names, values, 3, q->body, q->body_len,
                               f->hub.now / 1000, 0),
                     WH_ESIG_MISMATCH);
}

cJSON *seed_body(const wh_recv_request *q)
{
    cJSON *j = cJSON_ParseWithLength((const char *)q->body, q->body_len);
    if (!j) print_error("delivered body is not JSON: %s\n", (const char *)q->body);
    assert_non_null(j);
    return j;
}

const cJSON *seed_find_by_id(const cJSON *array, const char *id)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, array)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "id");
        char text[64];
        if (cJSON_IsNumber(v))
            snprintf(text, sizeof(text), "%.0f", v->valuedouble);
        else if (cJSON_IsString(v))
            snprintf(text, sizeof(text), "%s", v->valuestring);
        else
            continue;
        if (strcmp(text, id) == 0) return item;
    }
    return NULL;
}

const char *seed_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(v)) print_error("%s is not a string\n", name);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

double seed_num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v)) print_error("%s is not a number\n", name);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

int seed_size(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_true(cJSON_IsArray(v) || cJSON_IsObject(v));
    return cJSON_GetArraySize(v);
}

int seed_strings_are(const cJSON *obj, const char *name, const char *const *values, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsArray(v) || (size_t)cJSON_GetArraySize(v) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(v, (int)i);
        if (!cJSON_IsString(s) || strcmp(s->valuestring, values[i]) != 0) return 0;
    }
    return 1;
}
