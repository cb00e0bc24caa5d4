/* Owned lists of strings and of name/value pairs, used by subscriptions and events. */
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "text.h"
#include "strvec.h"

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return WH_OK;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = whi_realloc(*v, ncap * elem);
    if (!p) return whi_error_oom();
    *v = p;
    *cap = ncap;
    return WH_OK;
}

int whi_strvec_push(whi_strvec *sv, const char *s)
{
    if (grow((void **)&sv->v, &sv->cap, sv->n, sizeof(char *)) != WH_OK) return WH_ENOMEM;
    char *c = whi_strdup(s);
    if (!c) return whi_error_oom();
    sv->v[sv->n++] = c;
    return WH_OK;
}

void whi_strvec_clear(whi_strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        whi_free(sv->v[i]);
    whi_free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

int whi_strvec_copy(whi_strvec *dst, const whi_strvec *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (whi_strvec_push(dst, src->v[i]) != WH_OK) {
            whi_strvec_clear(dst);
            return WH_ENOMEM;
        }
    return WH_OK;
}

bool whi_strvec_contains(const whi_strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0) return true;
    return false;
}

static size_t kv_find(const whi_kvvec *kv, const char *name, bool nocase)
{
    for (size_t i = 0; i < kv->n; i++)
        if ((nocase ? whi_strcasecmp(kv->v[i].name, name) : strcmp(kv->v[i].name, name)) == 0)
            return i;
    return SIZE_MAX;
}

int whi_kvvec_set(whi_kvvec *kv, const char *name, const char *value, bool nocase)
{
    char *v = whi_strdup(value);
    if (!v) return whi_error_oom();
    size_t i = kv_find(kv, name, nocase);
    if (i != SIZE_MAX) {
        whi_free(kv->v[i].value);
        kv->v[i].value = v;
        return WH_OK;
    }
    char *n = whi_strdup(name);
    if (!n || grow((void **)&kv->v, &kv->cap, kv->n, sizeof(whi_kv)) != WH_OK) {
        whi_free(n);
        whi_free(v);
        return whi_error_oom();
    }
    kv->v[kv->n].name = n;
    kv->v[kv->n].value = v;
    kv->n++;
    return WH_OK;
}

const char *whi_kvvec_get(const whi_kvvec *kv, const char *name, bool nocase)
{
    size_t i = kv_find(kv, name, nocase);
    return i == SIZE_MAX ? NULL : kv->v[i].value;
}

bool whi_kvvec_remove(whi_kvvec *kv, const char *name, bool nocase)
{
    size_t i = kv_find(kv, name, nocase);
    if (i == SIZE_MAX) return false;
    whi_free(kv->v[i].name);
    whi_free(kv->v[i].value);
    memmove(&kv->v[i], &kv->v[i + 1], (kv->n - i - 1) * sizeof(whi_kv));
    kv->n--;
    return true;
}

void whi_kvvec_clear(whi_kvvec *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        whi_free(kv->v[i].name);
        whi_free(kv->v[i].value);
    }
    whi_free(kv->v);
    kv->v = NULL;
    kv->n = kv->cap = 0;
}

int whi_kvvec_copy(whi_kvvec *dst, const whi_kvvec *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (whi_kvvec_set(dst, src->v[i].name, src->v[i].value, false) != WH_OK) {
            whi_kvvec_clear(dst);
            return WH_ENOMEM;
        }
    return WH_OK;
}
