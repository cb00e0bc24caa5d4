/*
 * libwebhooks: the SSRF guard. Decides whether a delivery may connect to an address, and whether a
 * URL is acceptable at registration. Pure: no I/O, no DNS, never sleeps.
 *
 * The transport checks the address it actually connects to, after DNS
 * (wh_urlguard_check_sockaddr), so a name resolving to 127.0.0.1 is refused too. At registration,
 * wh_urlguard_check_url refuses a URL whose host is a refused IP literal, in any spelling libcurl
 * or inet_aton accept ("127.1", "2130706433", "0x7f.1", "%31%32%37.0.0.1", "[::ffff:127.0.0.1]").
 *
 * Refused by default (an address inside a CIDR given to wh_urlguard_allow_cidr is allowed):
 *
 *   IPv4  0.0.0.0/8        unspecified, "this network"
 *         10.0.0.0/8       private (RFC 1918)
 *         100.64.0.0/10    shared address space (carrier-grade NAT, RFC 6598)
 *         127.0.0.0/8      loopback
 *         169.254.0.0/16   link-local (cloud metadata endpoints such as 169.254.169.254)
 *         172.16.0.0/12    private (RFC 1918)
 *         192.0.0.0/24     IETF protocol assignments
 *         192.168.0.0/16   private (RFC 1918)
 *         198.18.0.0/15    benchmarking (RFC 2544)
 *         224.0.0.0/4      multicast
 *         240.0.0.0/4      reserved, including broadcast 255.255.255.255
 *   IPv6  ::/128           unspecified
 *         ::1/128          loopback
 *         fc00::/7         unique local (private)
 *         fe80::/10        link-local
 *         fec0::/10        site-local (deprecated, private by nature)
 *         ff00::/8         multicast
 *   IPv6 addresses that embed an IPv4 address are judged by that IPv4 address (so
 *   "::ffff:127.0.0.1" is loopback, "::ffff:8.8.8.8" is public):
 *         ::ffff:0:0/96    IPv4-mapped
 *         ::ffff:0:0:0/96  IPv4-translated (RFC 2765)
 *         ::/96            IPv4-compatible (deprecated)
 *         64:ff9b::/96     NAT64 well-known prefix (RFC 6052)
 *         2002::/16        6to4 (the IPv4 address is bits 16..47)
 *   An allowed IPv6 CIDR covering the IPv6 address, or an allowed IPv4 CIDR covering the embedded
 *   address, allows it.
 *
 * Threading: configure a guard from one thread; once configured, the check functions only read
 * it, so one guard may be shared by any number of threads.
 */
#ifndef WEBHOOKS_URLGUARD_H
#define WEBHOOKS_URLGUARD_H

#include "webhooks/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;

typedef struct wh_urlguard wh_urlguard;

/* A guard with the default policy: the ranges above refused, http and https both accepted.
 * Free with wh_urlguard_free. WH_EINVAL when out is NULL, WH_ENOMEM. */
WH_EXTERN int wh_urlguard_new(wh_urlguard **out);

/* A copy of g with the same policy (free with wh_urlguard_free). */
WH_EXTERN int wh_urlguard_dup(wh_urlguard **out, const wh_urlguard *g);

/* Free a guard; NULL is ignored. */
WH_EXTERN void wh_urlguard_free(wh_urlguard *g);

/*
 * Allow every address inside cidr, even one the defaults refuse: "127.0.0.0/8", "::1/128",
 * "10.1.0.0/16"; a bare address means /32 or /128. Strict syntax: a dotted quad of decimal
 * octets or a standard IPv6 text (no zone), a decimal prefix length 0..32 or 0..128, no bits set
 * beyond the prefix. The text is copied (parsed) at once. WH_EINVAL with a message saying what is
 * wrong; WH_ENOMEM.
 */
WH_EXTERN int wh_urlguard_allow_cidr(wh_urlguard *g, const char *cidr);

/* Number of CIDRs allowed so far. */
WH_EXTERN size_t wh_urlguard_allowed_count(const wh_urlguard *g);

/* Accept only https URLs in wh_urlguard_check_url (on != 0). WH_EINVAL when g is NULL. */
WH_EXTERN int wh_urlguard_set_require_https(wh_urlguard *g, int on);

/*
 * Check one address given as text: IPv4 (also the inet_aton forms "127.1", "0x7f000001") or IPv6
 * (brackets and a "%zone" suffix are accepted and ignored). WH_OK when allowed; WH_EREFUSED with
 * the reason in wh_error_last(), e.g. "127.0.0.1 is a loopback address (127.0.0.0/8); allow it
 * with an allowed CIDR"; WH_EINVAL when ip is NULL or not an IP address.
 */
WH_EXTERN int wh_urlguard_check_ip(const wh_urlguard *g, const char *ip);

/*
 * Check the address a socket is about to connect to (a struct sockaddr_in or sockaddr_in6 of
 * salen bytes; the port is ignored). For a transport's connect hook. WH_OK; WH_EREFUSED with the
 * reason, also for any other address family (AF_UNIX...); WH_EINVAL for NULL or a short salen.
 */
WH_EXTERN int wh_urlguard_check_sockaddr(const wh_urlguard *g, const struct sockaddr *sa,
                                         size_t salen);

/*
 * Check a URL at registration. WH_EINVAL when it is not a well-formed absolute http(s) URL with a
 * host: a missing "scheme://", an empty or malformed host (bad brackets, forbidden characters,
 * a numeric host that is not a valid IPv4 address such as "1.2.3.256"), more than one '@' in the
 * authority, a bad port (not 1..65535 digits), spaces or control characters anywhere, more than
 * 8 KiB. WH_EREFUSED when the scheme is not http or https, when it is http and https is required,
 * or when the host is an IP literal the policy refuses. A host name passes: it is checked after
 * DNS by the transport. The host is percent-decoded and a trailing dot removed before deciding,
 * as libcurl does.
 */
WH_EXTERN int wh_urlguard_check_url(const wh_urlguard *g, const char *url);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_URLGUARD_H */
