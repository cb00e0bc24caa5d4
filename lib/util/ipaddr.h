/* IP address text: parse (strict and inet_aton-style IPv4, IPv6) and format. Pure; no libc
 * resolver or inet_* calls, so the rules are the same on every platform. Used by the SSRF guard
 * (urlguard.c) and available to the transport. */
#ifndef WEBHOOKS_IPADDR_H
#define WEBHOOKS_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct whi_ip {
    int family;    /* 4 or 6 */
    uint8_t b[16]; /* network order; IPv4 uses b[0..3] */
} whi_ip;

/* Longest whi_ip_format output plus NUL ("ffff:...:ffff" or "::ffff:255.255.255.255"). */
#define WHI_IP_TEXT_MAX 48

/* Strict IPv4: exactly four decimal octets 0..255, no leading zeros, no signs. */
bool whi_ip4_parse_strict(const char *s, size_t len, uint8_t out[4]);

/*
 * IPv4 in every form inet_aton and libcurl accept: 1 to 4 dot-separated parts, each decimal,
 * octal (leading 0) or hex (0x, possibly with no digits), the last part filling the remaining
 * bytes ("127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.01"). Returns 1 when s is such an
 * address, 0 when s does not end in a number (so it is a host name), -1 when it ends in a number
 * but is not a valid address ("1.2.3.256", "1.2.3.4.5", "09", "foo.1"), as URL parsers do.
 */
int whi_ip4_parse_loose(const char *s, size_t len, uint8_t out[4]);

/* IPv6 text (RFC 4291 section 2.2): hex groups, one "::", an optional trailing strict dotted
 * quad. No brackets, no zone. */
bool whi_ip6_parse(const char *s, size_t len, uint8_t out[16]);

/* Either family: strict IPv4 or IPv6. */
bool whi_ip_parse(const char *s, size_t len, whi_ip *out);

/* RFC 5952 text (lowercase, longest zero run as "::"; IPv4-mapped as "::ffff:a.b.c.d"). Returns
 * the length written. */
size_t whi_ip_format(const whi_ip *ip, char out[WHI_IP_TEXT_MAX]);

/* True when the first prefix bits of a and net are equal. */
bool whi_ip_prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix);

#endif
