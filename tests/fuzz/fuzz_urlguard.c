/*
 * Fuzzes the SSRF guard: URL checks, address text, allowed CIDRs, and the IP parser.
 *
 * Input: the bytes up to the first NUL, used at once as a URL, an IP address text and a CIDR.
 * Seeds in corpus/urlguard/ are URLs with odd IPv4 spellings, bracketed IPv6 hosts, userinfo,
 * ports, percent-encoded hosts, plus bare addresses and CIDRs.
 *
 * Invariants checked besides "no crash, no leak":
 * - every call returns one of its documented codes, with a message when it fails;
 * - whether a URL or address is well formed does not depend on the policy: a guard allowing
 *   every address agrees with the default guard on WH_EINVAL, and refuses only by scheme;
 * - a CIDR that is accepted allows its own network address;
 * - the IPv6 and strict IPv4 parsers agree with inet_pton, the loose IPv4 parser with inet_aton
 *   (outside the two documented differences: "0x" alone reads 0, and inet_aton's tolerance of
 *   trailing text after a space), and formatted IPv6 text parses back to the same address.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <webhooks.h>

#include "ipaddr.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s (last error: %s)\n", __FILE__, __LINE__,  \
                    #cond, wh_error_last_message());                                               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static wh_urlguard *guards(wh_urlguard **open)
{
    static wh_urlguard *def, *all;
    if (!def) {
        CHECK(wh_urlguard_new(&def) == WH_OK);
        CHECK(wh_urlguard_new(&all) == WH_OK);
        CHECK(wh_urlguard_allow_cidr(all, "0.0.0.0/0") == WH_OK);
        CHECK(wh_urlguard_allow_cidr(all, "::/0") == WH_OK);
    }
    *open = all;
    return def;
}

static void check_failure_message(int rc)
{
    if (rc != WH_OK) CHECK(wh_error_last_code() == rc && wh_error_last_message()[0] != '\0');
}

static bool bare_0x_part(const char *s)
{
    for (const char *p = s;; p++) {
        const char *end = strchr(p, '.');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return true;
        if (!end) return false;
        p = end;
    }
}

static void differential(const char *s, size_t len)
{
    uint8_t mine[16], ref[16];
    bool ok = whi_ip6_parse(s, len, mine);
    CHECK(ok == (inet_pton(AF_INET6, s, ref) == 1));
    if (ok) {
        CHECK(memcmp(mine, ref, 16) == 0);
        whi_ip ip = {6, {0}}, back;
        memcpy(ip.b, mine, 16);
        char text[WHI_IP_TEXT_MAX];
        size_t n = whi_ip_format(&ip, text);
        CHECK(n == strlen(text) && whi_ip_parse(text, n, &back) && back.family == 6);
        CHECK(memcmp(back.b, mine, 16) == 0);
    }
    ok = whi_ip4_parse_strict(s, len, mine);
    CHECK(ok == (inet_pton(AF_INET, s, ref) == 1));
    if (ok) CHECK(memcmp(mine, ref, 4) == 0);
    /* inet_aton stops at a space; the loose parser is only ever given a whole host. */
    if (strspn(s, "0123456789abcdefABCDEFxX.") != len || bare_0x_part(s)) return;
    int loose = whi_ip4_parse_loose(s, len, mine);
    struct in_addr a;
    int aton = inet_aton(s, &a);
    CHECK((loose == 1) == (aton == 1));
    if (loose == 1) CHECK(memcmp(mine, &a, 4) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 10000) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    size_t len = strlen(s);
    wh_urlguard *all, *def = guards(&all);

    int rd = wh_urlguard_check_url(def, s);
    check_failure_message(rd);
    CHECK(rd == WH_OK || rd == WH_EINVAL || rd == WH_EREFUSED);
    int ra = wh_urlguard_check_url(all, s);
    check_failure_message(ra);
    CHECK(ra == WH_OK || ra == WH_EINVAL || ra == WH_EREFUSED);
    CHECK((rd == WH_EINVAL) == (ra == WH_EINVAL));
    if (rd == WH_OK) CHECK(ra == WH_OK);
    if (ra == WH_EREFUSED) CHECK(strstr(wh_error_last_message(), "scheme") != NULL);

    rd = wh_urlguard_check_ip(def, s);
    check_failure_message(rd);
    CHECK(rd == WH_OK || rd == WH_EINVAL || rd == WH_EREFUSED);
    ra = wh_urlguard_check_ip(all, s);
    CHECK(ra == (rd == WH_EINVAL ? WH_EINVAL : WH_OK));

    wh_urlguard *g;
    CHECK(wh_urlguard_new(&g) == WH_OK);
    int rc = wh_urlguard_allow_cidr(g, s);
    check_failure_message(rc);
    CHECK(rc == WH_OK || rc == WH_EINVAL);
    CHECK(wh_urlguard_allowed_count(g) == (rc == WH_OK ? 1u : 0u));
    if (rc == WH_OK) {
        char net[128];
        size_t alen = strcspn(s, "/");
        CHECK(alen < sizeof(net));
        memcpy(net, s, alen);
        net[alen] = '\0';
        CHECK(wh_urlguard_check_ip(g, net) == WH_OK);
    }
    wh_urlguard_free(g);

    if (len <= 64) differential(s, len);
    free(s);
    return 0;
}
