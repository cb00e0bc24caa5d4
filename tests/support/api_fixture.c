/* The registration API's test fixture (see api_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_fixture.h"
#include "wh_test.h"

void api_fixture_start(api_fixture *f)
{
    api_fixture_start_with(f, NULL);
}

void api_fixture_start_with(api_fixture *f, wh_hub_options *opts)
{
    memset(f, 0, sizeof(*f));
    hub_fixture_start(&f->hub, opts);
    WH_ASSERT_OK(wh_api_new(&f->api, f->hub.hub));
    WH_ASSERT_OK(wh_api_add_key(f->api, KEY_ALICE, "alice", WH_SCOPE_ALL));
    WH_ASSERT_OK(wh_api_add_key(f->api, KEY_BOB, "bob", WH_SCOPE_ALL));
    WH_ASSERT_OK(wh_api_add_key(f->api, KEY_ALICE_READ, "alice", WH_SCOPE_WEBHOOKS_READ));
    WH_ASSERT_OK(wh_api_add_key(f->api, KEY_ALICE_WRITE, "alice", WH_SCOPE_WEBHOOKS_WRITE));
    WH_ASSERT_OK(wh_api_add_key(f->api, KEY_ALICE_EVENTS, "alice", WH_SCOPE_EVENTS_WRITE));
    f->last = (wh_api_response)WH_API_RESPONSE_INIT;
}

void api_fixture_stop(api_fixture *f)
{
    wh_api_response_free(&f->last);
    cJSON_Delete(f->json);
    f->json = NULL;
    wh_api_free(f->api);
    hub_fixture_stop(&f->hub);
}

char *api_recv_subst(api_fixture *f, const char *s)
{
    char base[128];
    wh_receiver_url(f->hub.recv, "", base, sizeof(base));
    size_t blen = strlen(base);
    if (blen && base[blen - 1] == '/') base[--blen] = '\0';
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, "RECV")); p += 4)
        n++;
    char *out = malloc(strlen(s) + n * blen + 1);
    assert_non_null(out);
    char *o = out;
    for (const char *p = s; *p;) {
        if (strncmp(p, "RECV", 4) == 0) {
            memcpy(o, base, blen);
            o += blen;
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

const char *api_header(const api_fixture *f, const char *name)
{
    for (size_t i = 0; i < f->last.header_count; i++)
        if (strcasecmp(f->last.headers[i].name, name) == 0) return f->last.headers[i].value;
    return NULL;
}

/* Every answer: a JSON body (with Content-Type) except 204; errors have message + details. */
static void check_shape(api_fixture *f)
{
    const wh_api_response *r = &f->last;
    assert_string_equal(api_header(f, "Cache-Control"), "no-store");
    if (r->status == 204) {
        assert_null(r->body);
        return;
    }
    assert_non_null(r->body);
    assert_int_equal(strlen(r->body), r->body_len);
    assert_string_equal(api_header(f, "Content-Type"), "application/json");
    f->json = cJSON_ParseWithLength(r->body, r->body_len);
    if (!f->json) print_error("unparsable answer: %s\n", r->body);
    assert_non_null(f->json);
    if (r->status >= 400) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(f->json, "message");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(f->json, "details");
        assert_true(cJSON_IsString(m) && m->valuestring[0]);
        assert_true(cJSON_IsArray(d));
        if (r->status == 400) assert_true(cJSON_GetArraySize(d) >= 1);
        if (r->status == 500) /* internals never reach the client */
            assert_string_equal(m->valuestring, "internal error");
    }
}

int api_call_raw(api_fixture *f, const char *method, const char *target, const char *const *names,
                 const char *const *values, size_t nheaders, const char *body, size_t body_len)
{
    wh_api_response_free(&f->last);
    cJSON_Delete(f->json);
    f->json = NULL;
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = method;
    req.path = target;
    req.header_names = names;
    req.header_values = values;
    req.header_count = nheaders;
    req.body = body;
    req.body_len = body_len;
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &f->last));
    check_shape(f);
    return f->last.status;
}

int api_fixture_setup(void **state)
{
    api_fixture *f = calloc(1, sizeof(*f));
    api_fixture_start(f);
    *state = f;
    return 0;
}

int api_fixture_teardown(void **state)
{
    api_fixture_stop(*state);
    free(*state);
    return 0;
}

int api_call(api_fixture *f, const char *method, const char *target, const char *key,
             const char *body)
{
    return api_call_as(f, method, target, "x-api-key", key, body);
}

int api_call_as(api_fixture *f, const char *method, const char *target, const char *header,
                const char *value, const char *body)
{
    const char *names[2], *values[2];
    size_t n = 0;
    if (value) {
        names[n] = header;
        values[n++] = value;
    }
    char *text = body ? api_recv_subst(f, body) : NULL;
    if (text) {
        names[n] = "Content-Type";
        values[n++] = "application/json";
    }
    int status = api_call_raw(f, method, target, names, values, n, text, text ? strlen(text) : 0);
    free(text);
    return status;
}

const char *api_str(const api_fixture *f, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->json, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double api_num(const api_fixture *f, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->json, name);
    if (!cJSON_IsNumber(v)) print_error("%s is not a number in %s\n", name, f->last.body);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

int api_has_detail(const api_fixture *f, const char *needle)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(f->json, "details"), *item;
    cJSON_ArrayForEach(item,
                       d) if (cJSON_IsString(item) && strstr(item->valuestring, needle)) return 1;
    return 0;
}

const char *api_create(api_fixture *f, const char *key, const char *json, char *id, size_t n)
{
    int status = api_call(f, "POST", "/webhooks", key, json);
    if (status != 201) print_error("create -> %d: %s\n", status, f->last.body ? f->last.body : "");
    assert_int_equal(status, 201);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->json, "id");
    assert_non_null(v);
    if (cJSON_IsString(v))
        snprintf(id, n, "%s", v->valuestring);
    else
        snprintf(id, n, "%.0f", v->valuedouble);
    return id;
}

char *api_stored(api_fixture *f, const char *id)
{
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(f->hub.hub, id, &sub));
    char *json = NULL;
    WH_ASSERT_OK(wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, NULL));
    wh_subscription_free(sub);
    return json;
}
