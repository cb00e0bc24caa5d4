/* wh_template: compiling "{{placeholder}}" strings and describing what they use. */
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "compiler.h"
#include "hashmap.h"
#include "template_impl.h"

static const struct {
    const char *name;
    whi_tkind kind;
} BUILTINS[] = {
    {"entity", WHI_T_ENTITY},
    {"action", WHI_T_ACTION},
    {"id", WHI_T_IDS},
    {"event.id", WHI_T_EVENT_ID},
    {"event.type", WHI_T_EVENT_TYPE},
    {"timestamp", WHI_T_TIMESTAMP},
    {"subscription.id", WHI_T_SUBSCRIPTION_ID},
    {"data", WHI_T_DATA},
};

static whi_tkind kind_of(const char *name, size_t len)
{
    for (size_t i = 0; i < WHI_ARRAY_LEN(BUILTINS); i++)
        if (strlen(BUILTINS[i].name) == len && memcmp(BUILTINS[i].name, name, len) == 0)
            return BUILTINS[i].kind;
    return WHI_T_ATTRIBUTE; /* account and environment included: they are attributes */
}

int wh_template_name_is_builtin(const char *name)
{
    return name && kind_of(name, strlen(name)) != WHI_T_ATTRIBUTE;
}

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Growable state of one compilation. */
typedef struct compiler {
    wh_template *t;
    size_t parts_cap, names_cap;
    whi_buf text;
    whi_hmap seen; /* name -> index + 1 in t->names */
} compiler;

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return WH_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = whi_realloc(*v, ncap * elem);
    if (!p) return whi_error_oom();
    *v = p;
    *cap = ncap;
    return WH_OK;
}

static int add_part(compiler *c, whi_tpart part)
{
    wh_template *t = c->t;
    if (grow((void **)&t->parts, &c->parts_cap, t->nparts, sizeof(*t->parts)) != WH_OK)
        return WH_ENOMEM;
    t->parts[t->nparts++] = part;
    return WH_OK;
}

/* Close the literal run that started at text offset `from`, if any. */
static int flush_literal(compiler *c, size_t *from)
{
    if (c->text.failed) return whi_buf_status(&c->text);
    size_t end = c->text.len;
    int rc = end > *from ? add_part(c, (whi_tpart){WHI_T_LITERAL, 0, *from, end - *from}) : WH_OK;
    *from = end;
    return rc;
}

static int add_placeholder(compiler *c, const char *name, size_t len)
{
    wh_template *t = c->t;
    /* A map, not a scan of the names: a hostile template may hold 10 000s of distinct ones. */
    uintptr_t found = (uintptr_t)whi_hmap_get(&c->seen, name, len);
    size_t i = found ? found - 1 : t->nnames;
    if (!found) {
        if (grow((void **)&t->names, &c->names_cap, t->nnames, sizeof(*t->names)) != WH_OK)
            return WH_ENOMEM;
        if (!(t->names[i] = whi_strndup(name, len))) return whi_error_oom();
        t->nnames++;
        if (whi_hmap_put(&c->seen, t->names[i], len, (void *)(i + 1)) != WH_OK) return WH_ENOMEM;
    }
    return add_part(c, (whi_tpart){kind_of(name, len), (uint32_t)i, 0, 0});
}

static void skip_blanks(const char *s, size_t len, size_t *i)
{
    while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
        (*i)++;
}

/* Whether "}}" occurs in s[from .. len). */
static bool has_close(const char *s, size_t len, size_t from)
{
    for (size_t i = from; i + 1 < len; i++)
        if (s[i] == '}' && s[i + 1] == '}') return true;
    return false;
}

static int char_error(const char *s, size_t at, size_t open)
{
    unsigned char c = (unsigned char)s[at];
    if (c > 0x20 && c < 0x7f)
        return whi_error(WH_EINVAL,
                         "template: invalid character '%c' in the placeholder at byte %zu "
                         "(names are letters, digits, '_', '.', '-'; it opened at byte %zu)",
                         c, at, open);
    return whi_error(WH_EINVAL,
                     "template: invalid byte 0x%02x in the placeholder at byte %zu (it opened at "
                     "byte %zu)",
                     c, at, open);
}

/* Parse "{{ name }}" at s[*i] (which is "{{"); on success *i is past the closing "}}". */
static int parse_placeholder(compiler *c, const char *s, size_t len, size_t *i)
{
    size_t open = *i, p = *i + 2;
    skip_blanks(s, len, &p);
    size_t start = p;
    while (p < len && name_char((unsigned char)s[p]))
        p++;
    size_t nlen = p - start;
    skip_blanks(s, len, &p);
    if (p + 1 < len && s[p] == '}' && s[p + 1] == '}') {
        if (nlen == 0)
            return whi_error(WH_EINVAL, "template: empty placeholder name at byte %zu", open);
        if (nlen > WHI_MAX_PLACEHOLDER_NAME)
            return whi_error(WH_EINVAL,
                             "template: placeholder name at byte %zu is longer than %d bytes",
                             start, WHI_MAX_PLACEHOLDER_NAME);
        if (kind_of(s + start, nlen) == WHI_T_DATA && c->t->mode != WH_ESCAPE_JSON &&
            c->t->mode != WH_ESCAPE_RAW)
            return whi_error(WH_EINVAL,
                             "template: {{data}} (byte %zu) inserts JSON, which only a body may "
                             "hold",
                             open);
        *i = p + 2;
        return add_placeholder(c, s + start, nlen);
    }
    if (!has_close(s, len, p))
        return whi_error(WH_EINVAL, "template: unterminated '{{' at byte %zu", open);
    return char_error(s, p, open);
}

static int compile(compiler *c, const char *s, size_t len)
{
    size_t lit = 0; /* text offset where the current literal run started */
    for (size_t i = 0; i < len;) {
        if (s[i] == '\\' && i + 2 < len && s[i + 1] == '{' && s[i + 2] == '{') {
            whi_buf_append(&c->text, "{{", 2);
            i += 3;
        } else if (s[i] == '{' && i + 1 < len && s[i + 1] == '{') {
            int rc = flush_literal(c, &lit);
            if (rc == WH_OK) rc = parse_placeholder(c, s, len, &i);
            if (rc != WH_OK) return rc;
            lit = c->text.len;
        } else {
            /* Copy the run of plain bytes up to the next '\\' or '{' in one append. */
            size_t end = i + 1;
            while (end < len && s[end] != '\\' && s[end] != '{')
                end++;
            if (c->t->mode == WH_ESCAPE_HEADER)
                for (size_t k = i; k < end; k++)
                    if (s[k] == '\r' || s[k] == '\n' || s[k] == '\0')
                        return whi_error(WH_EINVAL,
                                         "template: a header template must not contain CR, LF or "
                                         "NUL (byte %zu)",
                                         k);
            whi_buf_append(&c->text, s + i, end - i);
            i = end;
        }
    }
    return flush_literal(c, &lit);
}

int wh_template_compile(wh_template **out, const char *src, size_t len, wh_escape mode)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!src) return whi_error(WH_EINVAL, "template: source must not be NULL");
    if ((unsigned)mode > WH_ESCAPE_HEADER)
        return whi_error(WH_EINVAL, "template: unknown escaping mode %d", (int)mode);
    if (len > WH_MAX_TEMPLATE_LEN)
        return whi_error(WH_ETOOLARGE, "template: %zu bytes is over the limit of %d", len,
                         WH_MAX_TEMPLATE_LEN);
    compiler c = {.text = WHI_BUF_INIT, .seen = WHI_HMAP_INIT};
    if (!(c.t = whi_calloc(1, sizeof(*c.t)))) return whi_error_oom();
    c.t->mode = mode;
    int rc = compile(&c, src, len);
    if (rc == WH_OK) {
        size_t n = 0;
        c.t->text = whi_buf_detach(&c.text, &n); /* never NULL on success: "" at least */
        c.t->text_len = n;
        rc = c.t->text ? WH_OK : WH_ENOMEM;
    }
    whi_buf_free(&c.text);
    whi_hmap_free(&c.seen);
    if (rc != WH_OK) {
        wh_template_free(c.t);
        return rc;
    }
    *out = c.t;
    return WH_OK;
}

void wh_template_free(wh_template *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nnames; i++)
        whi_free(t->names[i]);
    whi_free(t->names);
    whi_free(t->parts);
    whi_free(t->text);
    whi_free(t);
}

wh_escape wh_template_mode(const wh_template *t)
{
    return t ? t->mode : WH_ESCAPE_RAW;
}

size_t wh_template_placeholder_count(const wh_template *t)
{
    return t ? t->nnames : 0;
}

const char *wh_template_placeholder_at(const wh_template *t, size_t i)
{
    return t && i < t->nnames ? t->names[i] : NULL;
}
