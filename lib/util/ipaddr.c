/* IP address parsing and formatting (see ipaddr.h). */
#include <stdbool.h>
#include "ipaddr.h"

#include <stdio.h>
#include <string.h>

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool whi_ip4_parse_strict(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.') return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t digits = i - start;
        if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0')) return false;
        out[part] = (uint8_t)v;
    }
    return i == len;
}

/* One part of a loose IPv4 address: decimal, octal or hex. False when not a number or over
 * 32 bits. */
static bool loose_part(const char *s, size_t len, uint64_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2; /* "0x" alone is 0, as inet_aton has it */
    } else if (len >= 2 && s[0] == '0') {
        base = 8;
        i = 1;
    } else if (len == 0) {
        return false;
    }
    uint64_t v = 0;
    for (; i < len; i++) {
        int d = hex_val(s[i]);
        if (d < 0 || (unsigned)d >= base) return false;
        v = v * base + (unsigned)d;
        if (v > 0xffffffffu) return false;
    }
    *out = v;
    return true;
}

/* Does the label look like a number (WHATWG "ends in a number")? */
static bool numeric_label(const char *s, size_t len)
{
    if (len == 0) return false;
    size_t i = 0;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (i = 2; i < len; i++)
            if (hex_val(s[i]) < 0) return false;
        return true;
    }
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int whi_ip4_parse_loose(const char *s, size_t len, uint8_t out[4])
{
    size_t last = len;
    while (last > 0 && s[last - 1] != '.')
        last--;
    if (!numeric_label(s + last, len - last)) return 0;
    uint64_t parts[4];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') continue;
        if (n == 4 || !loose_part(s + start, i - start, &parts[n])) return -1;
        n++;
        start = i + 1;
    }
    for (size_t k = 0; k + 1 < n; k++)
        if (parts[k] > 255) return -1;
    unsigned rest_bits = 8 * (unsigned)(5 - n); /* the last part fills the remaining bytes */
    if (rest_bits < 32 && parts[n - 1] >> rest_bits) return -1;
    uint32_t v = (uint32_t)parts[n - 1];
    for (size_t k = 0; k + 1 < n; k++)
        v |= (uint32_t)parts[k] << (24 - 8 * k);
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    return 1;
}

bool whi_ip6_parse(const char *s, size_t len, uint8_t out[16])
{
    uint16_t g[8];
    int n = 0, gap = -1; /* gap: index in g where "::" stands */
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len == 0 || s[0] == ':') {
        return false;
    }
    while (i < len) {
        size_t start = i;
        unsigned v = 0;
        while (i < len && hex_val(s[i]) >= 0 && i - start < 4)
            v = v * 16 + (unsigned)hex_val(s[i++]);
        if (i < len && s[i] == '.') { /* a trailing dotted quad: two groups */
            uint8_t q[4];
            if (n > 6 || !whi_ip4_parse_strict(s + start, len - start, q)) return false;
            g[n++] = (uint16_t)(q[0] << 8 | q[1]);
            g[n++] = (uint16_t)(q[2] << 8 | q[3]);
            i = len;
            break;
        }
        if (i == start || n == 8) return false;
        g[n++] = (uint16_t)v;
        if (i == len) break;
        if (s[i] != ':') return false;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0) return false;
            gap = n;
            i++;
        } else if (i == len) {
            return false; /* a single trailing ':' */
        }
    }
    if (gap < 0 ? n != 8 : n > 7) return false;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : n - gap;
    int head = n - tail;
    for (int k = 0; k < head; k++) {
        out[2 * k] = (uint8_t)(g[k] >> 8);
        out[2 * k + 1] = (uint8_t)g[k];
    }
    for (int k = 0; k < tail; k++) {
        int pos = 8 - tail + k;
        out[2 * pos] = (uint8_t)(g[head + k] >> 8);
        out[2 * pos + 1] = (uint8_t)g[head + k];
    }
    return true;
}

bool whi_ip_parse(const char *s, size_t len, whi_ip *out)
{
    memset(out, 0, sizeof(*out));
    if (memchr(s, ':', len)) {
        out->family = 6;
        return whi_ip6_parse(s, len, out->b);
    }
    out->family = 4;
    return whi_ip4_parse_strict(s, len, out->b);
}

size_t whi_ip_format(const whi_ip *ip, char out[WHI_IP_TEXT_MAX])
{
    const uint8_t *b = ip->b;
    if (ip->family == 4)
        return (size_t)snprintf(out, WHI_IP_TEXT_MAX, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0)
        return (size_t)snprintf(out, WHI_IP_TEXT_MAX, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14],
                                b[15]);
    unsigned g[8];
    for (int k = 0; k < 8; k++)
        g[k] = (unsigned)b[2 * k] << 8 | b[2 * k + 1];
    int best = -1, best_len = 1; /* RFC 5952: only runs of two or more groups shrink */
    for (int k = 0; k < 8;) {
        int run = 0;
        while (k + run < 8 && g[k + run] == 0)
            run++;
        if (run > best_len) {
            best = k;
            best_len = run;
        }
        k += run ? run : 1;
    }
    size_t n = 0;
    for (int k = 0; k < 8; k++) {
        if (k == best) {
            n += (size_t)snprintf(out + n, WHI_IP_TEXT_MAX - n, "::");
            k += best_len - 1;
            continue;
        }
        bool colon = k > 0 && k != best + best_len;
        n += (size_t)snprintf(out + n, WHI_IP_TEXT_MAX - n, "%s%x", colon ? ":" : "", g[k]);
    }
    return n;
}

bool whi_ip_prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}
