/* Field checks shared by subscriptions, events and the API (see validate.h). */
#include <stdbool.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "webhooks/subscription.h"

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("._~:-", c));
}

const char *whi_check_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > WH_MAX_ID_LEN) return "must be 1..255 bytes";
    for (size_t i = 0; i < n; i++)
        if (!id_char(s[i])) return "may hold only letters, digits and . _ ~ : -";
    return NULL;
}

const char *whi_check_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) return "is too long";
    if (!whi_utf8_valid(s, n)) return "must be valid UTF-8";
    return NULL;
}

const char *whi_check_label(const char *s, size_t max)
{
    if (!s || !*s) return "must not be empty";
    const char *why = whi_check_text(s, max);
    if (why) return why;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return "must not contain control characters";
    return NULL;
}

static bool has_prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char c = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
        if (c != *prefix) return false;
    }
    return true;
}

const char *whi_check_url(const char *s)
{
    if (!s || !*s) return "must not be empty";
    size_t n = strlen(s);
    if (n > WH_MAX_URL_LEN) return "must be at most 2048 bytes";
    size_t skip;
    if (has_prefix_nocase(s, "https://"))
        skip = 8;
    else if (has_prefix_nocase(s, "http://"))
        skip = 7;
    else
        return "must be an absolute http:// or https:// URL";
    if (s[skip] == '\0' || strchr("/?#", s[skip])) return "must name a host";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return "must not contain spaces, control or non-ASCII characters (percent-encode them)";
    return NULL;
}

const char *whi_check_event_type(const char *s, bool allow_wildcards)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > WH_MAX_PATTERN_LEN) return "must be 1..255 bytes";
    const char *seg = s;
    for (const char *p = s;; p++) {
        if (*p != '.' && *p != '\0') {
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                return "may hold only printable ASCII without spaces";
            continue;
        }
        size_t len = (size_t)(p - seg);
        if (len == 0) return "must not have empty dot-separated segments";
        bool star = memchr(seg, '*', len) != NULL;
        if (star && !allow_wildcards) return "must not contain '*'";
        if (star && !(len == 1 || (len == 2 && seg[1] == '*')))
            return "may use '*' or '**' only as a whole segment";
        if (star && len == 2 && *p != '\0') return "may use '**' only as the last segment";
        if (*p == '\0') return NULL;
        seg = p + 1;
    }
}

const char *whi_check_attr_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) return "must be 1..64 bytes";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return "may hold only letters, digits and _ . -";
    }
    return NULL;
}
