/*
 * The event catalogue: the event types, entities with their actions, and relations a host
 * emits. It is listed by GET /event-types and, once a part of it is registered, webhooks and
 * events are checked against that part.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_impl.h"
#include "validate.h"
#include "webhooks/match.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "strvec.h"
#include "problems.h"
#include "json.h"
#include "hashmap.h"

/* ---- the catalogue as a value (no locking here) ---- */

static void type_free(api_type *t)
{
    if (!t) return;
    whi_free(t->name);
    whi_free(t->display);
    whi_free(t->custom_id);
    whi_free(t);
}

static void entity_free(api_entity *e)
{
    if (!e) return;
    whi_free(e->name);
    whi_strvec_clear(&e->actions);
    whi_free(e);
}

static void product_free(api_product *p)
{
    if (!p) return;
    whi_free(p->id);
    whi_free(p->json);
    whi_free(p);
}

void whi_api_catalogue_clear(api_catalogue *cat)
{
    for (size_t i = 0; i < cat->nproducts; i++)
        product_free(cat->products[i]);
    whi_free(cat->products);
    for (size_t i = 0; i < cat->ntypes; i++)
        type_free(cat->types[i]);
    for (size_t i = 0; i < cat->nentities; i++)
        entity_free(cat->entities[i]);
    whi_free(cat->types);
    whi_free(cat->entities);
    whi_hmap_free(&cat->type_index);
    whi_strvec_clear(&cat->relations);
    memset(cat, 0, sizeof(*cat));
}

static int grow(void ***v, size_t *cap, size_t n)
{
    if (n < *cap) return WH_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    void **p = whi_realloc(*v, ncap * sizeof(void *));
    if (!p) return whi_error_oom();
    *v = p;
    *cap = ncap;
    return WH_OK;
}

static const char *check_optional_label(const char *s)
{
    return s ? whi_check_label(s, WH_MAX_ID_LEN) : NULL;
}

static int cat_add_type(api_catalogue *cat, const char *name, const char *display,
                        const char *custom_id)
{
    const char *why = whi_check_event_type(name, false);
    if (why) return whi_error(WH_EINVAL, "event type %.64s %s", name ? name : "(null)", why);
    if ((why = check_optional_label(display))) return whi_error(WH_EINVAL, "displayName %s", why);
    if ((why = check_optional_label(custom_id))) return whi_error(WH_EINVAL, "customId %s", why);
    api_type *t = whi_hmap_get(&cat->type_index, name, strlen(name));
    if (t) { /* replace the labels, keep the place */
        char *d = whi_strdup(display), *cid = whi_strdup(custom_id);
        if ((display && !d) || (custom_id && !cid)) {
            whi_free(d);
            whi_free(cid);
            return whi_error_oom();
        }
        whi_free(t->display);
        whi_free(t->custom_id);
        t->display = d;
        t->custom_id = cid;
        return WH_OK;
    }
    if (!(t = whi_calloc(1, sizeof(*t))) || !(t->name = whi_strdup(name)) ||
        (display && !(t->display = whi_strdup(display))) ||
        (custom_id && !(t->custom_id = whi_strdup(custom_id))) ||
        grow((void ***)&cat->types, &cat->cap_types, cat->ntypes) != WH_OK ||
        whi_hmap_put(&cat->type_index, t->name, strlen(t->name), t) != WH_OK) {
        type_free(t);
        return whi_error_oom();
    }
    cat->types[cat->ntypes++] = t;
    return WH_OK;
}

static api_entity *find_entity(const api_catalogue *cat, const char *name)
{
    for (size_t i = 0; name && i < cat->nentities; i++)
        if (strcmp(cat->entities[i]->name, name) == 0) return cat->entities[i];
    return NULL;
}

static int cat_add_entity(api_catalogue *cat, const char *name, const char *const *actions,
                          size_t n)
{
    const char *why = whi_check_label(name, WH_MAX_ID_LEN);
    if (why) return whi_error(WH_EINVAL, "entity %s", why);
    if (n && !actions) return whi_error(WH_EINVAL, "actions must not be NULL");
    if (n > WH_MAX_LIST_LEN)
        return whi_error(WH_EINVAL, "an entity has at most %d actions", WH_MAX_LIST_LEN);
    whi_strvec list = {0};
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < n; i++) {
        if ((why = whi_check_label(actions[i], WH_MAX_ID_LEN)))
            rc = whi_error(WH_EINVAL, "action %zu of %.64s %s", i, name, why);
        else if (!whi_strvec_contains(&list, actions[i]))
            rc = whi_strvec_push(&list, actions[i]);
    }
    api_entity *e = find_entity(cat, name);
    if (rc == WH_OK && e) {
        whi_strvec_clear(&e->actions);
        e->actions = list;
        return WH_OK;
    }
    if (rc == WH_OK && (!(e = whi_calloc(1, sizeof(*e))) || !(e->name = whi_strdup(name)) ||
                        grow((void ***)&cat->entities, &cat->cap_entities, cat->nentities))) {
        entity_free(e);
        rc = whi_error_oom();
    }
    if (rc != WH_OK) {
        whi_strvec_clear(&list);
        return rc;
    }
    e->actions = list;
    cat->entities[cat->nentities++] = e;
    return WH_OK;
}

static int cat_add_relation(api_catalogue *cat, const char *name)
{
    const char *why = whi_check_label(name, WH_MAX_ID_LEN);
    if (why) return whi_error(WH_EINVAL, "relation %s", why);
    return whi_strvec_contains(&cat->relations, name) ? WH_OK
                                                      : whi_strvec_push(&cat->relations, name);
}

/* A deep copy of src into an empty dst. */
const api_product *whi_api_product_find(const api_catalogue *cat, const char *id)
{
    for (size_t i = 0; i < cat->nproducts; i++)
        if (strcmp(cat->products[i]->id, id) == 0) return cat->products[i];
    return NULL;
}

const api_type *whi_api_type_find(const api_catalogue *cat, const char *name_or_custom_id)
{
    const api_type *t =
        whi_hmap_get(&cat->type_index, name_or_custom_id, strlen(name_or_custom_id));
    for (size_t i = 0; !t && i < cat->ntypes; i++)
        if (cat->types[i]->custom_id && strcmp(cat->types[i]->custom_id, name_or_custom_id) == 0)
            t = cat->types[i];
    return t;
}

/* A product: an object with an "id" (a string, or an integer kept as its decimal text), at most
 * WH_MAX_METADATA_LEN bytes as JSON. Registering an id again replaces its object. */
static int cat_add_product(api_catalogue *cat, const cJSON *obj)
{
    const cJSON *idv = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "id") : NULL;
    char num[32];
    const char *id = cJSON_IsString(idv) ? idv->valuestring : NULL;
    if (cJSON_IsNumber(idv) && idv->valuedouble >= 0 && idv->valuedouble < 9007199254740992.0 &&
        idv->valuedouble == (double)(int64_t)idv->valuedouble) {
        snprintf(num, sizeof(num), "%lld", (long long)idv->valuedouble);
        id = num;
    }
    if (!id || whi_check_label(id, WH_MAX_ID_LEN))
        return whi_error(WH_EINVAL, "a product is an object with an \"id\" (a string or an "
                                    "integer, 1..255 bytes)");
    char *json = whi_json_print(obj);
    if (!json) return whi_error_oom();
    if (strlen(json) > WH_MAX_METADATA_LEN) {
        whi_free(json);
        return whi_error(WH_ETOOLARGE, "product %.64s: over %d bytes as JSON", id,
                         WH_MAX_METADATA_LEN);
    }
    api_product *p = (api_product *)whi_api_product_find(cat, id);
    if (p) {
        whi_free(p->json);
        p->json = json;
        return WH_OK;
    }
    if (!(p = whi_calloc(1, sizeof(*p))) || !(p->id = whi_strdup(id)) ||
        grow((void ***)&cat->products, &cat->cap_products, cat->nproducts) != WH_OK) {
        if (p) whi_free(p->id);
        whi_free(p);
        whi_free(json);
        return whi_error_oom();
    }
    p->json = json;
    cat->products[cat->nproducts++] = p;
    return WH_OK;
}

static int cat_copy(api_catalogue *dst, const api_catalogue *src)
{
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < src->ntypes; i++)
        rc = cat_add_type(dst, src->types[i]->name, src->types[i]->display,
                          src->types[i]->custom_id);
    for (size_t i = 0; rc == WH_OK && i < src->nentities; i++)
        rc = cat_add_entity(dst, src->entities[i]->name,
                            (const char *const *)src->entities[i]->actions.v,
                            src->entities[i]->actions.n);
    for (size_t i = 0; rc == WH_OK && i < src->relations.n; i++)
        rc = cat_add_relation(dst, src->relations.v[i]);
    for (size_t i = 0; rc == WH_OK && i < src->nproducts; i++) {
        cJSON *obj = cJSON_Parse(src->products[i]->json);
        rc = obj ? cat_add_product(dst, obj) : whi_error_oom();
        cJSON_Delete(obj);
    }
    if (rc != WH_OK) whi_api_catalogue_clear(dst);
    return rc;
}

/* ---- public registration ---- */

int wh_api_catalogue_add_type(wh_api *api, const char *name, const char *display_name,
                              const char *custom_id)
{
    if (!api) return whi_error(WH_EINVAL, "api must not be NULL");
    pthread_rwlock_wrlock(&api->cfg);
    int rc = cat_add_type(&api->cat, name, display_name, custom_id);
    pthread_rwlock_unlock(&api->cfg);
    return rc;
}

int wh_api_catalogue_add_entity(wh_api *api, const char *entity, const char *const *actions,
                                size_t n)
{
    if (!api) return whi_error(WH_EINVAL, "api must not be NULL");
    pthread_rwlock_wrlock(&api->cfg);
    int rc = cat_add_entity(&api->cat, entity, actions, n);
    pthread_rwlock_unlock(&api->cfg);
    return rc;
}

int wh_api_catalogue_add_relation(wh_api *api, const char *relation)
{
    if (!api) return whi_error(WH_EINVAL, "api must not be NULL");
    pthread_rwlock_wrlock(&api->cfg);
    int rc = cat_add_relation(&api->cat, relation);
    pthread_rwlock_unlock(&api->cfg);
    return rc;
}

int wh_api_catalogue_add_product(wh_api *api, const char *json, size_t len)
{
    if (!api || !json) return whi_error(WH_EINVAL, "api and json must not be NULL");
    cJSON *obj;
    int rc = whi_json_parse(json, len, WH_MAX_METADATA_LEN, &obj);
    if (rc != WH_OK) return rc;
    pthread_rwlock_wrlock(&api->cfg);
    rc = cat_add_product(&api->cat, obj);
    pthread_rwlock_unlock(&api->cfg);
    cJSON_Delete(obj);
    return rc;
}

int wh_api_catalogue_clear(wh_api *api)
{
    if (!api) return whi_error(WH_EINVAL, "api must not be NULL");
    pthread_rwlock_wrlock(&api->cfg);
    whi_api_catalogue_clear(&api->cat);
    pthread_rwlock_unlock(&api->cfg);
    return WH_OK;
}

/* ---- loading JSON ---- */

static const char *opt_string(const cJSON *obj, const char *const *names, whi_problems *p,
                              const char *what)
{
    const cJSON *v = whi_json_field(obj, names);
    if (!v || cJSON_IsNull(v)) return NULL;
    if (!cJSON_IsString(v)) {
        whi_problem(p, "%s must be a string", what);
        return NULL;
    }
    return v->valuestring;
}

static void load_types(api_catalogue *cat, const cJSON *list, whi_problems *p)
{
    const cJSON *t;
    size_t i = 0;
    cJSON_ArrayForEach(t, list)
    {
        const cJSON *name = cJSON_IsObject(t) ? whi_json_field(t, NAMES("name")) : t;
        if (!cJSON_IsString(name)) {
            whi_problem(p, "eventTypes[%zu]: name must be a string", i);
        } else if (cat_add_type(cat, name->valuestring,
                                cJSON_IsObject(t)
                                    ? opt_string(t, NAMES("displayName"), p, "displayName")
                                    : NULL,
                                cJSON_IsObject(t)
                                    ? opt_string(t, NAMES("customId", "custom_id"), p, "customId")
                                    : NULL) != WH_OK) {
            whi_problem(p, "eventTypes[%zu]: %s", i, wh_error_last()->message);
        }
        i++;
    }
}

static void load_entity(api_catalogue *cat, const cJSON *e, size_t i, whi_problems *p)
{
    const cJSON *name = cJSON_IsObject(e) ? whi_json_field(e, NAMES("name")) : NULL;
    const cJSON *acts = cJSON_IsObject(e) ? whi_json_field(e, NAMES("actions")) : NULL;
    if (!cJSON_IsString(name)) {
        whi_problem(p, "entities[%zu]: name must be a string", i);
        return;
    }
    if (acts && !cJSON_IsArray(acts)) {
        whi_problem(p, "entities[%zu]: actions must be an array of strings", i);
        return;
    }
    int n = acts ? cJSON_GetArraySize(acts) : 0;
    const char **v = n ? whi_calloc((size_t)n, sizeof(*v)) : NULL;
    if (n && !v) {
        whi_problem(p, "out of memory");
        return;
    }
    int k = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, acts)
    {
        if (!cJSON_IsString(a)) {
            whi_problem(p, "entities[%zu]: actions must be an array of strings", i);
            whi_free(v);
            return;
        }
        v[k++] = a->valuestring;
    }
    if (cat_add_entity(cat, name->valuestring, v, (size_t)k) != WH_OK)
        whi_problem(p, "entities[%zu]: %s", i, wh_error_last()->message);
    whi_free(v);
}

static void load_all(api_catalogue *cat, const cJSON *root, whi_problems *p)
{
    const cJSON *types = whi_json_field(root, NAMES("eventTypes", "event_types", "types"));
    const cJSON *ents = whi_json_field(root, NAMES("entities"));
    const cJSON *rels = whi_json_field(root, NAMES("relations"));
    const cJSON *prods = whi_json_field(root, NAMES("products"));
    if (prods && !cJSON_IsArray(prods)) {
        whi_problem(p, "products must be an array of objects");
    } else if (prods) {
        const cJSON *o;
        size_t i = 0;
        cJSON_ArrayForEach(o, prods)
        {
            if (cat_add_product(cat, o) != WH_OK)
                whi_problem(p, "products[%zu]: %s", i, wh_error_last()->message);
            i++;
        }
    }
    if (types && !cJSON_IsArray(types))
        whi_problem(p, "eventTypes must be an array");
    else if (types)
        load_types(cat, types, p);
    if (ents && !cJSON_IsArray(ents)) {
        whi_problem(p, "entities must be an array");
    } else if (ents) {
        const cJSON *e;
        size_t i = 0;
        cJSON_ArrayForEach(e, ents) load_entity(cat, e, i++, p);
    }
    if (rels && !cJSON_IsArray(rels)) {
        whi_problem(p, "relations must be an array of strings");
    } else if (rels) {
        const cJSON *r;
        cJSON_ArrayForEach(r, rels)
        {
            if (!cJSON_IsString(r))
                whi_problem(p, "relations must be an array of strings");
            else if (cat_add_relation(cat, r->valuestring) != WH_OK)
                whi_problem(p, "relations: %s", wh_error_last()->message);
        }
    }
}

int wh_api_catalogue_load_json(wh_api *api, const char *json, size_t len)
{
    if (!api || !json) return whi_error(WH_EINVAL, "api and json must not be NULL");
    cJSON *root;
    int rc = whi_json_parse(json, len, 0, &root);
    if (rc != WH_OK) return rc;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return whi_error(WH_EINVAL, "a catalogue must be a JSON object");
    }
    api_catalogue work = {0};
    whi_problems p = {0};
    pthread_rwlock_wrlock(&api->cfg);
    rc = cat_copy(&work, &api->cat);
    if (rc == WH_OK) {
        load_all(&work, root, &p);
        rc = p.count ? whi_problems_fail(&p, WH_EINVAL, "invalid catalogue") : WH_OK;
    }
    if (rc == WH_OK) { /* swap in the new catalogue */
        api_catalogue old = api->cat;
        api->cat = work;
        work = old;
    }
    pthread_rwlock_unlock(&api->cfg);
    whi_api_catalogue_clear(&work);
    whi_problems_clear(&p);
    cJSON_Delete(root);
    return rc;
}

/* ---- checks ---- */

static bool has_type(const api_catalogue *cat, const char *type)
{
    return whi_hmap_get(&cat->type_index, type, strlen(type)) != NULL;
}

static void check_pattern(const api_catalogue *cat, const char *pat, whi_problems *p)
{
    if (!strchr(pat, '*')) {
        if (!has_type(cat, pat)) whi_problem(p, "events: unknown event type \"%.200s\"", pat);
        return;
    }
    for (size_t i = 0; i < cat->ntypes; i++)
        if (wh_event_type_matches(pat, cat->types[i]->name)) return;
    whi_problem(p, "events: \"%.200s\" matches no known event type", pat);
}

static void check_entity(const api_catalogue *cat, const wh_subscription *sub, whi_problems *p)
{
    const char *name = wh_subscription_entity(sub);
    if (!name) return;
    const api_entity *e = find_entity(cat, name);
    if (!e) {
        whi_problem(p, "entity: unknown entity \"%.200s\"", name);
        return;
    }
    size_t n = wh_subscription_list_count(sub, WH_LIST_ACTIONS);
    for (size_t i = 0; i < n; i++) {
        const char *a = wh_subscription_list_at(sub, WH_LIST_ACTIONS, i);
        if (!whi_strvec_contains(&e->actions, a))
            whi_problem(p, "actions: \"%.100s\" is not an action of %.100s", a, name);
    }
}

int whi_api_check_webhook(wh_api *api, const wh_subscription *sub, unsigned int allowed)
{
    whi_problems p = {0};
    wh_method m = wh_subscription_method(sub);
    if (allowed && !(allowed & WH_API_METHOD_BIT(m))) {
        char list[64] = "";
        for (int i = WH_METHOD_POST; i <= WH_METHOD_DELETE; i++)
            if (allowed & WH_API_METHOD_BIT(i))
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                         list[0] ? ", " : "", wh_method_name((wh_method)i));
        whi_problem(&p, "method: %s is not allowed (allowed: %s)", wh_method_name(m), list);
    }
    pthread_rwlock_rdlock(&api->cfg);
    const api_catalogue *cat = &api->cat;
    size_t n = wh_subscription_list_count(sub, WH_LIST_EVENTS);
    for (size_t i = 0; cat->ntypes && i < n; i++)
        check_pattern(cat, wh_subscription_list_at(sub, WH_LIST_EVENTS, i), &p);
    if (cat->nentities) check_entity(cat, sub, &p);
    n = wh_subscription_list_count(sub, WH_LIST_RELATIONS);
    for (size_t i = 0; cat->relations.n && i < n; i++) {
        const char *r = wh_subscription_list_at(sub, WH_LIST_RELATIONS, i);
        if (!whi_strvec_contains(&cat->relations, r))
            whi_problem(&p, "includeRelations: unknown relation \"%.200s\"", r);
    }
    pthread_rwlock_unlock(&api->cfg);
    return p.count ? whi_problems_fail(&p, WH_EINVAL, "invalid webhook") : WH_OK;
}

int whi_api_check_event(wh_api *api, const wh_event *ev)
{
    whi_problems p = {0};
    pthread_rwlock_rdlock(&api->cfg);
    const api_catalogue *cat = &api->cat;
    if (cat->ntypes && !has_type(cat, wh_event_type(ev)))
        whi_problem(&p, "type: unknown event type \"%.200s\"", wh_event_type(ev));
    const char *ent = wh_event_entity(ev), *act = wh_event_action(ev);
    const api_entity *e = cat->nentities && ent ? find_entity(cat, ent) : NULL;
    if (cat->nentities && ent && !e)
        whi_problem(&p, "entity: unknown entity \"%.200s\"", ent);
    else if (e && act && !whi_strvec_contains(&e->actions, act))
        whi_problem(&p, "action: \"%.100s\" is not an action of %.100s", act, ent);
    pthread_rwlock_unlock(&api->cfg);
    return p.count ? whi_problems_fail(&p, WH_EINVAL, "invalid event") : WH_OK;
}

/* ---- GET /event-types ---- */

static void put_str(whi_buf *b, const char *s)
{
    if (s)
        whi_json_escape(b, s, strlen(s), true);
    else
        whi_buf_puts(b, "null");
}

int whi_api_event_types(api_ctx *c)
{
    whi_buf b = WHI_BUF_INIT;
    pthread_rwlock_rdlock(&c->api->cfg);
    const api_catalogue *cat = &c->api->cat;
    whi_buf_puts(&b, "{\"eventTypes\":[");
    for (size_t i = 0; i < cat->ntypes; i++) {
        const api_type *t = cat->types[i];
        whi_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        put_str(&b, t->name);
        whi_buf_puts(&b, ",\"displayName\":");
        put_str(&b, t->display);
        whi_buf_puts(&b, ",\"customId\":");
        put_str(&b, t->custom_id);
        whi_buf_putc(&b, '}');
    }
    whi_buf_puts(&b, "],\"entities\":[");
    for (size_t i = 0; i < cat->nentities; i++) {
        const api_entity *e = cat->entities[i];
        whi_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
        put_str(&b, e->name);
        whi_buf_puts(&b, ",\"actions\":[");
        for (size_t k = 0; k < e->actions.n; k++) {
            if (k) whi_buf_putc(&b, ',');
            put_str(&b, e->actions.v[k]);
        }
        whi_buf_puts(&b, "]}");
    }
    whi_buf_puts(&b, "],\"relations\":[");
    for (size_t i = 0; i < cat->relations.n; i++) {
        if (i) whi_buf_putc(&b, ',');
        put_str(&b, cat->relations.v[i]);
    }
    whi_buf_puts(&b, "]}");
    pthread_rwlock_unlock(&c->api->cfg);
    size_t len = 0;
    char *body = whi_buf_detach(&b, &len);
    if (!body) return whi_api_fail(c, WH_ENOMEM);
    return whi_api_reply(c, 200, body, len);
}
