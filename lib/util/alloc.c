/* The allocator hook: the library's one piece of global mutable state (DESIGN.md rule 6). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alloc.h"
#include "error.h"

static void *std_malloc(size_t size, void *ud)
{
    (void)ud;
    return malloc(size);
}

static void *std_realloc(void *ptr, size_t size, void *ud)
{
    (void)ud;
    return realloc(ptr, size);
}

static void std_free(void *ptr, void *ud)
{
    (void)ud;
    free(ptr);
}

static wh_allocator g_alloc = {WH_ALLOCATOR_VERSION, std_malloc, std_realloc, std_free, NULL};

/* cJSON's hooks carry no user data, so they call back through g_alloc. */
static void *cjson_malloc(size_t size)
{
    return g_alloc.malloc(size, g_alloc.user_data);
}

static void cjson_free(void *ptr)
{
    g_alloc.free(ptr, g_alloc.user_data);
}

int wh_set_allocator(const wh_allocator *a)
{
    if (!a) {
        g_alloc = (wh_allocator){WH_ALLOCATOR_VERSION, std_malloc, std_realloc, std_free, NULL};
        cJSON_InitHooks(NULL);
        return WH_OK;
    }
    if (a->version < 1 || !a->malloc || !a->realloc || !a->free)
        return whi_error(WH_EINVAL, "allocator: version, malloc, realloc and free are required");
    g_alloc = *a;
    g_alloc.version = WH_ALLOCATOR_VERSION;
    cJSON_Hooks hooks = {cjson_malloc, cjson_free};
    cJSON_InitHooks(&hooks);
    return WH_OK;
}

void *whi_malloc(size_t size)
{
    return g_alloc.malloc(size ? size : 1, g_alloc.user_data);
}

void *whi_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = whi_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *whi_realloc(void *ptr, size_t size)
{
    return g_alloc.realloc(ptr, size ? size : 1, g_alloc.user_data);
}

void whi_free(void *ptr)
{
    if (ptr) g_alloc.free(ptr, g_alloc.user_data);
}

void wh_free(void *ptr)
{
    whi_free(ptr);
}

char *whi_strndup(const char *s, size_t len)
{
    if (!s) return NULL;
    char *d = whi_malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *whi_strdup(const char *s)
{
    return s ? whi_strndup(s, strlen(s)) : NULL;
}

int whi_str_replace(char **dst, const char *src)
{
    char *copy = NULL;
    if (src && !(copy = whi_strdup(src))) return whi_error_oom();
    whi_free(*dst);
    *dst = copy;
    return WH_OK;
}
