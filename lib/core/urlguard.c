/* The SSRF guard (see include/webhooks/urlguard.h): which addresses a delivery may reach. */
#include <stdbool.h>
#include <string.h>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "alloc.h"
#include "error.h"
#include "text.h"
#include "compiler.h"
#include "ipaddr.h"
#include "ipaddr.h"
#include "webhooks/urlguard.h"

#define URL_MAX  8192
#define HOST_MAX 255

typedef struct cidr {
    whi_ip net;
    unsigned prefix;
} cidr;

struct wh_urlguard {
    cidr *allow;
    size_t count, cap;
    int require_https;
};

/* A refused range: the first prefix bits of net, with its name in the error message. */
typedef struct range {
    uint8_t net[16];
    unsigned prefix;
    const char *text;
    const char *what;
} range;

static const range v4_refused[] = {
    {{0, 0, 0, 0}, 8, "0.0.0.0/8", "an unspecified (\"this network\") address"},
    {{10, 0, 0, 0}, 8, "10.0.0.0/8", "a private address"},
    {{100, 64, 0, 0}, 10, "100.64.0.0/10", "a shared (carrier-grade NAT) address"},
    {{127, 0, 0, 0}, 8, "127.0.0.0/8", "a loopback address"},
    {{169, 254, 0, 0}, 16, "169.254.0.0/16", "a link-local address (where cloud metadata lives)"},
    {{172, 16, 0, 0}, 12, "172.16.0.0/12", "a private address"},
    {{192, 0, 0, 0}, 24, "192.0.0.0/24", "an IETF protocol assignment address"},
    {{192, 0, 2, 0}, 24, "192.0.2.0/24", "a documentation address"},
    {{192, 168, 0, 0}, 16, "192.168.0.0/16", "a private address"},
    {{198, 18, 0, 0}, 15, "198.18.0.0/15", "a benchmarking address"},
    {{198, 51, 100, 0}, 24, "198.51.100.0/24", "a documentation address"},
    {{203, 0, 113, 0}, 24, "203.0.113.0/24", "a documentation address"},
    {{224, 0, 0, 0}, 4, "224.0.0.0/4", "a multicast address"},
    {{240, 0, 0, 0}, 4, "240.0.0.0/4", "a reserved or broadcast address"},
};

static const range v6_refused[] = {
    {{0}, 128, "::/128", "the unspecified address"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "::1/128", "the loopback address"},
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "64:ff9b:1::/48", "a local-use NAT64 address"},
    {{0x01, 0x00}, 64, "100::/64", "a discard-only address"},
    {{0x20, 0x01, 0, 0}, 32, "2001::/32", "a Teredo tunnelling address"},
    {{0x20, 0x01, 0, 0x02, 0, 0}, 48, "2001:2::/48", "a benchmarking address"},
    {{0x20, 0x01, 0, 0x20}, 28, "2001:20::/28", "an ORCHIDv2 address"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "2001:db8::/32", "a documentation address"},
    {{0xfc}, 7, "fc00::/7", "a unique local (private) address"},
    {{0xfe, 0x80}, 10, "fe80::/10", "a link-local address"},
    {{0xfe, 0xc0}, 10, "fec0::/10", "a site-local address"},
    {{0xff}, 8, "ff00::/8", "a multicast address"},
};

/* IPv6 ranges that carry an IPv4 address, judged by that address. */
typedef struct embed {
    uint8_t net[16];
    unsigned prefix;
    unsigned offset; /* byte where the IPv4 address starts */
    const char *text;
} embed;

static const embed v6_embeds[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, 12, "IPv4-mapped ::ffff:0:0/96"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96, 12, "IPv4-translated ::ffff:0:0:0/96"},
    {{0}, 96, 12, "IPv4-compatible ::/96"},
    {{0, 0x64, 0xff, 0x9b}, 96, 12, "NAT64 64:ff9b::/96"},
    {{0x20, 0x02}, 16, 2, "6to4 2002::/16"},
};

/* ---- the object ---- */

int wh_urlguard_new(wh_urlguard **out)
{
    if (!out) return whi_error(WH_EINVAL, "wh_urlguard_new: out is NULL");
    *out = whi_calloc(1, sizeof(**out));
    return *out ? WH_OK : whi_error_oom();
}

int wh_urlguard_dup(wh_urlguard **out, const wh_urlguard *g)
{
    if (!out || !g) return whi_error(WH_EINVAL, "wh_urlguard_dup: out or guard is NULL");
    wh_urlguard *c = whi_calloc(1, sizeof(*c));
    if (!c) return whi_error_oom();
    if (g->count) {
        c->allow = whi_calloc(g->count, sizeof(*c->allow));
        if (!c->allow) {
            whi_free(c);
            return whi_error_oom();
        }
        memcpy(c->allow, g->allow, g->count * sizeof(*c->allow));
    }
    c->count = c->cap = g->count;
    c->require_https = g->require_https;
    *out = c;
    return WH_OK;
}

void wh_urlguard_free(wh_urlguard *g)
{
    if (!g) return;
    whi_free(g->allow);
    whi_free(g);
}

size_t wh_urlguard_allowed_count(const wh_urlguard *g)
{
    return g ? g->count : 0;
}

int wh_urlguard_set_require_https(wh_urlguard *g, int on)
{
    if (!g) return whi_error(WH_EINVAL, "wh_urlguard_set_require_https: guard is NULL");
    g->require_https = on != 0;
    return WH_OK;
}

/* Parse "a.b.c.d/n" or "x::y/n" (or a bare address) strictly. */
static int parse_cidr(const char *text, cidr *out)
{
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (!whi_ip_parse(text, alen, &out->net))
        return whi_error(WH_EINVAL,
                         "allowed CIDR \"%.64s\": \"%.*s\" is not an IPv4 or IPv6 address "
                         "(write a.b.c.d/n or x:y::z/n)",
                         text, (int)(alen > 64 ? 64 : alen), text);
    unsigned max = out->net.family == 4 ? 32 : 128;
    if (!slash) {
        out->prefix = max;
        return WH_OK;
    }
    const char *p = slash + 1;
    unsigned v = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        v = v * 10 + (unsigned)(*p - '0');
    if (digits == 0 || *p || v > max || (digits > 1 && slash[1] == '0'))
        return whi_error(WH_EINVAL, "allowed CIDR \"%.64s\": the prefix length must be 0..%u", text,
                         max);
    out->prefix = v;
    const uint8_t *b = out->net.b;
    for (unsigned bit = v; bit < max; bit++)
        if (b[bit / 8] & (0x80 >> (bit % 8)))
            return whi_error(WH_EINVAL,
                             "allowed CIDR \"%.64s\": the address has bits set beyond the /%u "
                             "prefix",
                             text, v);
    return WH_OK;
}

int wh_urlguard_allow_cidr(wh_urlguard *g, const char *text)
{
    if (!g || !text) return whi_error(WH_EINVAL, "wh_urlguard_allow_cidr: guard or CIDR is NULL");
    cidr c;
    int rc = parse_cidr(text, &c);
    if (rc != WH_OK) return rc;
    if (g->count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        cidr *v = whi_realloc(g->allow, cap * sizeof(*v));
        if (!v) return whi_error_oom();
        g->allow = v;
        g->cap = cap;
    }
    g->allow[g->count++] = c;
    return WH_OK;
}

/* ---- judging one address ---- */

static bool allowed(const wh_urlguard *g, int family, const uint8_t *a)
{
    for (size_t i = 0; i < g->count; i++)
        if (g->allow[i].net.family == family &&
            whi_ip_prefix_match(a, g->allow[i].net.b, g->allow[i].prefix))
            return true;
    return false;
}

static const range *refused_range(const range *list, size_t n, const uint8_t *a)
{
    for (size_t i = 0; i < n; i++)
        if (whi_ip_prefix_match(a, list[i].net, list[i].prefix)) return &list[i];
    return NULL;
}

/* Said to the tenant whose URL was refused: what the address is, never how the host would allow
 * it (the host knows: docs/delivery.md). */
#define ALLOW_HINT ", where this host does not deliver webhooks"

static int judge(const wh_urlguard *g, const whi_ip *ip)
{
    char text[WHI_IP_TEXT_MAX];
    whi_ip_format(ip, text);
    if (allowed(g, ip->family, ip->b)) return WH_OK;
    if (ip->family == 4) {
        const range *r = refused_range(v4_refused, WHI_ARRAY_LEN(v4_refused), ip->b);
        if (r) return whi_error(WH_EREFUSED, "%s is %s (%s)" ALLOW_HINT, text, r->what, r->text);
        return WH_OK;
    }
    const range *r = refused_range(v6_refused, WHI_ARRAY_LEN(v6_refused), ip->b);
    if (r) return whi_error(WH_EREFUSED, "%s is %s (%s)" ALLOW_HINT, text, r->what, r->text);
    for (size_t i = 0; i < WHI_ARRAY_LEN(v6_embeds); i++) {
        const embed *e = &v6_embeds[i];
        if (!whi_ip_prefix_match(ip->b, e->net, e->prefix)) continue;
        whi_ip v4 = {4, {0}};
        memcpy(v4.b, ip->b + e->offset, 4);
        if (allowed(g, 4, v4.b)) return WH_OK;
        r = refused_range(v4_refused, WHI_ARRAY_LEN(v4_refused), v4.b);
        if (!r) return WH_OK;
        char inner[WHI_IP_TEXT_MAX];
        whi_ip_format(&v4, inner);
        return whi_error(WH_EREFUSED, "%s (%s) embeds %s, which is %s (%s)" ALLOW_HINT, text,
                         e->text, inner, r->what, r->text);
    }
    return WH_OK;
}

/* IPv6 text with an optional "%zone" (or "%25zone" in a URL); the zone is only syntax-checked. */
static bool parse_ip6_zoned(const char *s, size_t len, whi_ip *out)
{
    const char *pct = memchr(s, '%', len);
    size_t alen = pct ? (size_t)(pct - s) : len;
    if (pct) {
        size_t zlen = len - alen - 1;
        if (zlen == 0) return false;
        for (size_t i = alen + 1; i < len; i++) {
            char c = s[i];
            bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                              c == '~' || c == '%';
            if (!unreserved) return false;
        }
    }
    memset(out, 0, sizeof(*out));
    out->family = 6;
    return whi_ip6_parse(s, alen, out->b);
}

int wh_urlguard_check_ip(const wh_urlguard *g, const char *ip)
{
    if (!g || !ip) return whi_error(WH_EINVAL, "wh_urlguard_check_ip: guard or address is NULL");
    size_t len = strlen(ip);
    whi_ip a;
    memset(&a, 0, sizeof(a));
    bool ok;
    if (len >= 2 && ip[0] == '[' && ip[len - 1] == ']')
        ok = parse_ip6_zoned(ip + 1, len - 2, &a);
    else if (memchr(ip, ':', len))
        ok = parse_ip6_zoned(ip, len, &a);
    else {
        a.family = 4;
        ok = whi_ip4_parse_loose(ip, len, a.b) == 1;
    }
    if (!ok) return whi_error(WH_EINVAL, "\"%.64s\" is not an IP address", ip);
    return judge(g, &a);
}

int wh_urlguard_check_sockaddr(const wh_urlguard *g, const struct sockaddr *sa, size_t salen)
{
    if (!g || !sa)
        return whi_error(WH_EINVAL, "wh_urlguard_check_sockaddr: guard or address is NULL");
    whi_ip a;
    memset(&a, 0, sizeof(a));
    if (sa->sa_family == AF_INET) {
        if (salen < sizeof(struct sockaddr_in))
            return whi_error(WH_EINVAL, "wh_urlguard_check_sockaddr: short sockaddr_in");
        a.family = 4;
        memcpy(a.b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        if (salen < sizeof(struct sockaddr_in6))
            return whi_error(WH_EINVAL, "wh_urlguard_check_sockaddr: short sockaddr_in6");
        a.family = 6;
        memcpy(a.b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    } else {
        return whi_error(WH_EREFUSED, "address family %d is not allowed: only IPv4 and IPv6",
                         (int)sa->sa_family);
    }
    return judge(g, &a);
}

/* ---- URLs ---- */

static int bad_url(const char *why)
{
    return whi_error(WH_EINVAL, "invalid URL: %s", why);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode a registered name into out (HOST_MAX + 1 bytes), refusing characters no host
 * may hold (the WHATWG forbidden host code points, controls and DEL). */
static int decode_host(const char *s, size_t len, char *out, size_t *out_len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return bad_url("a '%' in the host is not followed by two hex digits");
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c <= 0x20 || c == 0x7f || strchr("#%/:<>?@[\\]^|", c))
            return bad_url("the host contains a character no host name may hold");
        if (n == HOST_MAX) return bad_url("the host is longer than 255 bytes");
        out[n++] = (char)c;
    }
    out[n] = '\0';
    *out_len = n;
    return WH_OK;
}

/*
 * IDNA (UTS #46) maps fullwidth forms to ASCII before a name is looked up, so libcurl with
 * libidn2 reads "\uff11\uff12\uff17.0.0.1" as 127.0.0.1. Fold the fullwidth ASCII block
 * (U+FF01..U+FF5E) and the ideographic full stops (U+3002, U+FF61) the same way, in place, so such
 * a host is judged as the address it becomes. Other non-ASCII bytes are kept (the connect-time
 * check covers whatever else a resolver makes of a name). Returns the new length.
 */
static size_t fold_fullwidth(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        const unsigned char *u = (const unsigned char *)s + i;
        if (u[0] == 0xef || u[0] == 0xe3) {
            if (i + 2 < len && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
                unsigned cp =
                    (unsigned)(u[0] & 0x0f) << 12 | (unsigned)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
                if (cp >= 0xff01 && cp <= 0xff5e) {
                    s[o++] = (char)(cp - 0xfee0);
                    i += 3;
                    continue;
                }
                if (cp == 0x3002 || cp == 0xff61) {
                    s[o++] = '.';
                    i += 3;
                    continue;
                }
            }
        }
        s[o++] = s[i++];
    }
    return o;
}

/* ":port" or "" after the host. */
static int check_port(const char *s, size_t len)
{
    if (len == 0) return WH_OK;
    if (s[0] != ':') return bad_url("unexpected text after the host");
    unsigned long v = 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return bad_url("the port must be a number 1..65535");
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535) return bad_url("the port must be a number 1..65535");
    }
    if (len > 1 && v == 0) return bad_url("the port must be a number 1..65535");
    return WH_OK; /* ":" alone means the default port */
}

static int check_host(const wh_urlguard *g, const char *h, size_t len)
{
    whi_ip a;
    if (len && h[0] == '[') {
        const char *close = memchr(h, ']', len);
        if (!close) return bad_url("'[' without ']' in the host");
        size_t ilen = (size_t)(close - h - 1);
        int rc = check_port(close + 1, len - ilen - 2);
        if (rc != WH_OK) return rc;
        if (!parse_ip6_zoned(h + 1, ilen, &a))
            return bad_url("the bracketed host is not an IPv6 address");
        return judge(g, &a);
    }
    const char *colon = memchr(h, ':', len);
    size_t hlen = colon ? (size_t)(colon - h) : len;
    int rc = check_port(h + hlen, len - hlen);
    if (rc != WH_OK) return rc;
    char name[HOST_MAX + 1];
    size_t nlen = 0;
    rc = decode_host(h, hlen, name, &nlen);
    if (rc != WH_OK) return rc;
    nlen = fold_fullwidth(name, nlen);
    bool dot = nlen && name[nlen - 1] == '.';
    if (dot) nlen--; /* "127.0.0.1." is judged as 127.0.0.1 */
    if (nlen == 0) return bad_url("the host is empty");
    memset(&a, 0, sizeof(a));
    a.family = 4;
    int v4 = whi_ip4_parse_loose(name, nlen, a.b);
    if (v4 < 0) return bad_url("the host ends in a number but is not a valid IPv4 address");
    if (v4 != 1) return WH_OK; /* a name: checked after DNS */
    /* Whatever the policy says of its address, it could never be delivered: a resolver takes
     * "127.0.0.1." for a name. */
    if (dot) return bad_url("an IP address with a trailing dot: write it without");
    return judge(g, &a);
}

int wh_urlguard_check_url(const wh_urlguard *g, const char *url)
{
    if (!g || !url) return whi_error(WH_EINVAL, "wh_urlguard_check_url: guard or URL is NULL");
    size_t len = strnlen(url, URL_MAX + 1);
    if (len > URL_MAX) return bad_url("longer than 8 KiB");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return bad_url("it contains a space or a control character");
    size_t s = 0;
    while (s < len && ((url[s] >= 'a' && url[s] <= 'z') || (url[s] >= 'A' && url[s] <= 'Z') ||
                       (s > 0 && ((url[s] >= '0' && url[s] <= '9') || url[s] == '+' ||
                                  url[s] == '-' || url[s] == '.'))))
        s++;
    if (s == 0 || url[s] != ':' || url[s + 1] != '/' || url[s + 2] != '/')
        return bad_url("it must be absolute: scheme://host/...");
    char scheme[8] = "";
    if (s < sizeof(scheme)) whi_strlcpy(scheme, url, s + 1);
    bool https = whi_strcasecmp(scheme, "https") == 0;
    if (!https && whi_strcasecmp(scheme, "http") != 0)
        return whi_error(WH_EREFUSED, "URL scheme \"%.*s\" is not allowed: only http and https",
                         (int)(s > 32 ? 32 : s), url);
    if (g->require_https && !https) return whi_error(WH_EREFUSED, "only https URLs are allowed");
    const char *auth = url + s + 3;
    size_t alen = strcspn(auth, "/?#");
    if (memchr(auth, '\\', alen)) return bad_url("a backslash in the authority");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') {
            if (at) return bad_url("more than one '@' in the authority");
            at = auth + i;
        }
    const char *host = at ? at + 1 : auth;
    return check_host(g, host, alen - (size_t)(host - auth));
}
