/*
 * A loaded API profile (webhooks/profile.h; its format: docs/profiles.md), private to lib/api.
 *
 * A profile is kept as the parsed document plus a checked index of it: the routes, one entry
 * per mapped field, and pointers into the document for the answer templates, maps and enums
 * (the document lives as long as the profile, so nothing is copied twice). Immutable once
 * loaded; shared by reference count.
 */
#ifndef WEBHOOKS_PROFILE_IMPL_H
#define WEBHOOKS_PROFILE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "webhooks/profile.h"

struct cJSON;

/* The operations a route may name: each is one of the native API's handlers. */
typedef enum whi_op {
    WHI_OP_LIST,
    WHI_OP_CREATE,
    WHI_OP_GET,
    WHI_OP_REPLACE, /* every field from the body (PUT in the native API) */
    WHI_OP_UPDATE,  /* only the fields sent (PATCH in the native API) */
    WHI_OP_DELETE,
    WHI_OP_ROTATE,
    WHI_OP_DELIVERIES,
    WHI_OP_TEST,
    WHI_OP_RECOVER,
    WHI_OP_RETRY,
    WHI_OP_EMIT,
    WHI_OP_EVENT_TYPES,
    WHI_OP_COUNT
} whi_op;

/* Limits on what a profile may hold: each refused at load time with the line. */
#define WHI_PROFILE_MAX_ROUTES 32
#define WHI_PROFILE_MAX_SEGS   8
#define WHI_PROFILE_MAX_FIELDS 64
#define WHI_PROFILE_MAX_PATH   256 /* a route's path or a native field path, in bytes */
#define WHI_PROFILE_MAX_NAME   64  /* profile name, scope name, parameter name, key prefix */
/* Most webhooks one unpaged list answers with (a profile without "paging"). */
#define WHI_PROFILE_MAX_LIST 10000

typedef struct whi_proute {
    char method[8];
    char *segs[WHI_PROFILE_MAX_SEGS]; /* literal segments; NULL: the {parameter} (the id) */
    size_t nsegs;
    whi_op op;
} whi_proute;

/* How a field's value is converted between the profile's JSON and the native one. */
typedef enum whi_pas {
    WHI_AS_VALUE,          /* as it is (through "map" when given) */
    WHI_AS_NUMBER,         /* a string of digits shown as a JSON number */
    WHI_AS_CSV,            /* a list shown as one comma-separated string */
    WHI_AS_FIRST,          /* a list of one, shown as that one value */
    WHI_AS_LINES,          /* the headers object shown as "Name: value" lines */
    WHI_AS_EVENT_OBJECTS,  /* event types shown as objects from the event catalogue */
    WHI_AS_PRODUCT_OBJECTS /* product ids shown as objects from the product catalogue */
} whi_pas;

/* The catalogue attributes an event object may show (WHI_AS_EVENT_OBJECTS). */
typedef enum whi_pattr { WHI_ATTR_NAME, WHI_ATTR_DISPLAY, WHI_ATTR_CUSTOM_ID } whi_pattr;

#define WHI_PROFILE_MAX_SHAPE 8

typedef struct whi_pfield {
    const char *ext;    /* the profile's member, a dotted path ("fields.secret") */
    const char *native; /* the native member, a dotted path ("filters.products") */
    whi_pas as;
    bool required;                   /* on create and replace */
    bool read_only;                  /* never taken from a request body */
    const struct cJSON *map;         /* object native value -> profile value, or NULL */
    const struct cJSON *enumv;       /* array of the profile values accepted, or NULL */
    const struct cJSON *null_as;     /* the profile value shown for a native null, or NULL */
    const char *when_field;          /* onlyWhen: this other profile member ... */
    const struct cJSON *when_values; /* ... must hold one of these, or NULL */
    struct {
        const char *key;
        whi_pattr attr;
    } shape[WHI_PROFILE_MAX_SHAPE];
    size_t nshape;
} whi_pfield;

#define WHI_CRED_BEARER  0x1u
#define WHI_CRED_API_KEY 0x2u

typedef enum whi_ptimes { WHI_TIMES_NATIVE, WHI_TIMES_UTC, WHI_TIMES_HOST } whi_ptimes;

struct wh_profile {
    atomic_uint refs;
    struct cJSON *doc; /* the document, owning every const pointer below */
    const char *name;
    bool native_fields;       /* "fields": "native": the library's own JSON shapes */
    bool builtin_native;      /* the shipped native profile: served by the native dispatcher */
    unsigned int credentials; /* WHI_CRED_* accepted */
    const char *key_prefix;   /* or NULL */
    const char *scope_read, *scope_write;
    bool integer_ids;
    whi_ptimes times;
    whi_proute routes[WHI_PROFILE_MAX_ROUTES];
    size_t nroutes;
    int status[WHI_OP_COUNT];             /* 0: the default */
    const char *page_param, *limit_param; /* both NULL: lists are not paged */
    const struct cJSON *ans_list, *ans_item, *ans_deleted, *ans_error; /* NULL: the default */
    bool deleted_empty; /* "deleted": null: no body */
    whi_pfield fields[WHI_PROFILE_MAX_FIELDS];
    size_t nfields;
    const struct cJSON *entities; /* object: entity -> array of its actions, or NULL */
    /* delivery defaults given to webhooks created through the profile */
    const char *scheme, *body, *retry_preset;
    uint32_t timeout_ms;
};

/* Whether op acts on one webhook (its route carries the id). */
bool whi_op_takes_id(whi_op op);
const char *whi_op_name(whi_op op);
/* Take one more reference (an API mounting the profile). */
void whi_profile_ref(wh_profile *p);

#endif
