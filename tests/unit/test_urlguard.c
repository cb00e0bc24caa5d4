/* The SSRF guard: default ranges, embedded IPv4, allowed CIDRs, URLs, and the address parser. */
#define _DEFAULT_SOURCE /* inet_aton, as a reference for the loose IPv4 parser */
#include <stdio.h>
#include <stdlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "compiler.h"
#include "ipaddr.h"
#include "ipaddr.h"
#include "wh_test.h"

static wh_urlguard *guard_new(void)
{
    wh_urlguard *g = NULL;
    WH_ASSERT_OK(wh_urlguard_new(&g));
    assert_non_null(g);
    return g;
}

/* Assert check_ip's verdict, and that a refusal names the address and the range. */
static void expect_ip(const wh_urlguard *g, const char *ip, int want, const char *in_message)
{
    int rc = wh_urlguard_check_ip(g, ip);
    if (rc != want)
        print_error("check_ip(%s) -> %d (%s), want %d\n", ip, rc, wh_error_last()->message, want);
    assert_int_equal(rc, want);
    if (in_message && !strstr(wh_error_last()->message, in_message)) {
        print_error("check_ip(%s): message \"%s\" lacks \"%s\"\n", ip, wh_error_last()->message,
                    in_message);
        fail();
    }
}

static void expect_url(const wh_urlguard *g, const char *url, int want)
{
    int rc = wh_urlguard_check_url(g, url);
    if (rc != want)
        print_error("check_url(%s) -> %d (%s), want %d\n", url, rc, wh_error_last()->message, want);
    assert_int_equal(rc, want);
    if (want != WH_OK) assert_true(strlen(wh_error_last()->message) > 10);
}

/* ---- the default IPv4 ranges: first, last, and the neighbours outside ---- */

typedef struct range_case {
    const char *range; /* as it appears in the message */
    const char *first, *last;
    const char *below, *above; /* NULL when the neighbour is itself refused or absent */
} range_case;

static const range_case v4_ranges[] = {
    {"0.0.0.0/8", "0.0.0.0", "0.255.255.255", NULL, "1.0.0.0"},
    {"10.0.0.0/8", "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
    {"100.64.0.0/10", "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"},
    {"127.0.0.0/8", "127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"},
    {"169.254.0.0/16", "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"},
    {"172.16.0.0/12", "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
    {"192.0.0.0/24", "192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"},
    {"192.0.2.0/24", "192.0.2.0", "192.0.2.255", "192.0.1.255", "192.0.3.0"},
    {"198.51.100.0/24", "198.51.100.0", "198.51.100.255", "198.51.99.255", "198.51.101.0"},
    {"203.0.113.0/24", "203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0"},
    {"192.168.0.0/16", "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"},
    {"198.18.0.0/15", "198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"},
    {"224.0.0.0/4", "224.0.0.0", "239.255.255.255", "223.255.255.255", NULL},
    {"240.0.0.0/4", "240.0.0.0", "255.255.255.255", NULL, NULL},
};

static void test_default_ipv4_ranges(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    for (size_t i = 0; i < WHI_ARRAY_LEN(v4_ranges); i++) {
        const range_case *c = &v4_ranges[i];
        expect_ip(g, c->first, WH_EREFUSED, c->range);
        expect_ip(g, c->first, WH_EREFUSED, c->first);
        expect_ip(g, c->last, WH_EREFUSED, c->range);
        if (c->below) expect_ip(g, c->below, WH_OK, NULL);
        if (c->above) expect_ip(g, c->above, WH_OK, NULL);
    }
    /* The messages say what the address is, and never name a C function or option: they reach
     * the tenant whose URL was refused. */
    expect_ip(g, "127.0.0.1", WH_EREFUSED, "127.0.0.1 is a loopback address (127.0.0.0/8)");
    expect_ip(g, "127.0.0.1", WH_EREFUSED, "where this host does not deliver webhooks");
    assert_null(strstr(wh_error_last()->message, "wh_"));
    expect_ip(g, "169.254.169.254", WH_EREFUSED, "link-local");
    expect_ip(g, "255.255.255.255", WH_EREFUSED, "broadcast");
    expect_ip(g, "100.100.100.100", WH_EREFUSED, "carrier-grade NAT");
    expect_ip(g, "8.8.8.8", WH_OK, NULL);
    expect_ip(g, "93.184.216.34", WH_OK, NULL);
    wh_urlguard_free(g);
}

static const range_case v6_ranges[] = {
    {"::/128", "::", "::", NULL, NULL},
    {"::1/128", "::1", "::1", NULL, "::1:0:0:0"},
    {"fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"},
    {"fe80::/10", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"fec0::/10", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, NULL},
    {"ff00::/8", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, NULL},
    {"64:ff9b:1::/48", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", NULL, "64:ff9b:2::"},
    {"100::/64", "100::", "100::ffff:ffff:ffff:ffff", "ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     "100:0:0:1::"},
    {"2001::/32", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2000:ffff::", "2001:1::"},
    {"2001:2::/48", "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:1:ffff::", "2001:2:1::"},
    {"2001:20::/28", "2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff",
     "2001:1f::", "2001:30::"},
    {"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
     "2001:db7::", "2001:db9::"},
};

static void test_default_ipv6_ranges(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    for (size_t i = 0; i < WHI_ARRAY_LEN(v6_ranges); i++) {
        const range_case *c = &v6_ranges[i];
        expect_ip(g, c->first, WH_EREFUSED, c->range);
        expect_ip(g, c->last, WH_EREFUSED, c->range);
        if (c->below) expect_ip(g, c->below, WH_OK, NULL);
        if (c->above) expect_ip(g, c->above, WH_OK, NULL);
    }
    expect_ip(g, "::1", WH_EREFUSED, "::1 is the loopback address");
    expect_ip(g, "FE80::1", WH_EREFUSED, "fe80::1 is a link-local address");
    expect_ip(g, "fe80::1%eth0", WH_EREFUSED, "link-local");
    expect_ip(g, "[fd12:3456::1]", WH_EREFUSED, "unique local");
    expect_ip(g, "2001:4860:4860::8888", WH_OK, NULL);
    expect_ip(g, "2606:2800:220:1:248:1893:25c8:1946", WH_OK, NULL);
    wh_urlguard_free(g);
}

static void test_embedded_ipv4(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    /* IPv4-mapped, in both spellings */
    expect_ip(g, "::ffff:127.0.0.1", WH_EREFUSED, "embeds 127.0.0.1, which is a loopback");
    expect_ip(g, "::ffff:7f00:1", WH_EREFUSED, "IPv4-mapped");
    expect_ip(g, "::ffff:10.1.2.3", WH_EREFUSED, "private");
    expect_ip(g, "::ffff:169.254.169.254", WH_EREFUSED, "link-local");
    expect_ip(g, "::ffff:8.8.8.8", WH_OK, NULL);
    /* IPv4-translated */
    expect_ip(g, "::ffff:0:127.0.0.1", WH_EREFUSED, "IPv4-translated");
    expect_ip(g, "::ffff:0:8.8.8.8", WH_OK, NULL);
    /* IPv4-compatible */
    expect_ip(g, "::127.0.0.1", WH_EREFUSED, "IPv4-compatible");
    expect_ip(g, "::192.168.0.1", WH_EREFUSED, "private");
    expect_ip(g, "::2", WH_EREFUSED, "0.0.0.0/8");
    expect_ip(g, "::8.8.8.8", WH_OK, NULL);
    /* NAT64 */
    expect_ip(g, "64:ff9b::127.0.0.1", WH_EREFUSED, "NAT64");
    expect_ip(g, "64:ff9b::a9fe:a9fe", WH_EREFUSED, "169.254.169.254");
    expect_ip(g, "64:ff9b::8.8.8.8", WH_OK, NULL);
    expect_ip(g, "64:ff9b::1:7f00:1", WH_OK, NULL); /* outside the /96 */
    /* 6to4: bits 16..47 */
    expect_ip(g, "2002:7f00:1::", WH_EREFUSED, "6to4");
    expect_ip(g, "2002:a9fe:a9fe:1234::1", WH_EREFUSED, "169.254.169.254");
    expect_ip(g, "2002:c0a8:101::5", WH_EREFUSED, "192.168.1.1");
    expect_ip(g, "2002:808:808::1", WH_OK, NULL);
    expect_ip(g, "2003:7f00:1::", WH_OK, NULL); /* outside 2002::/16 */
    wh_urlguard_free(g);
}

static void test_allowed_cidrs_override(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    assert_int_equal(wh_urlguard_allowed_count(g), 0);
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "10.1.0.0/16"));
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "169.254.169.254"));
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "fd00::/8"));
    assert_int_equal(wh_urlguard_allowed_count(g), 4);
    expect_ip(g, "127.0.0.1", WH_OK, NULL);
    expect_ip(g, "127.255.255.255", WH_OK, NULL);
    expect_ip(g, "10.1.2.3", WH_OK, NULL);
    expect_ip(g, "10.0.255.255", WH_EREFUSED, "private");
    expect_ip(g, "10.2.0.0", WH_EREFUSED, "private");
    expect_ip(g, "169.254.169.254", WH_OK, NULL);
    expect_ip(g, "169.254.169.253", WH_EREFUSED, "link-local");
    expect_ip(g, "fd12::1", WH_OK, NULL);
    expect_ip(g, "fc00::1", WH_EREFUSED, "unique local");
    /* The IPv4 allow list reaches embedded addresses; IPv6 loopback is its own range. */
    expect_ip(g, "::ffff:127.0.0.1", WH_OK, NULL);
    expect_ip(g, "64:ff9b::10.1.0.9", WH_OK, NULL);
    expect_ip(g, "::1", WH_EREFUSED, "loopback");
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "::1/128"));
    expect_ip(g, "::1", WH_OK, NULL);

    /* A copy keeps the policy; the original can go. */
    WH_ASSERT_OK(wh_urlguard_set_require_https(g, 1));
    wh_urlguard *c = NULL;
    WH_ASSERT_OK(wh_urlguard_dup(&c, g));
    wh_urlguard_free(g);
    assert_int_equal(wh_urlguard_allowed_count(c), 5);
    expect_ip(c, "10.1.2.3", WH_OK, NULL);
    expect_ip(c, "10.2.0.0", WH_EREFUSED, NULL);
    expect_url(c, "http://8.8.8.8/", WH_EREFUSED);
    wh_urlguard_free(c);

    /* Allowing everything. */
    g = guard_new();
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "0.0.0.0/0"));
    expect_ip(g, "0.0.0.0", WH_OK, NULL);
    expect_ip(g, "255.255.255.255", WH_OK, NULL);
    expect_ip(g, "::ffff:127.0.0.1", WH_OK, NULL);
    expect_ip(g, "fe80::1", WH_EREFUSED, NULL);
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "::/0"));
    expect_ip(g, "fe80::1", WH_OK, NULL);
    expect_ip(g, "::", WH_OK, NULL);
    wh_urlguard_free(g);
}

static void test_bad_cidrs(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           "/8",          "127.0.0.0/",     "127.0.0.0/33", "127.0.0.1/8",
        "127.0.0/8",  "127.1/8",     "0127.0.0.0/8",   "::1/129",      "::1/-1",
        "abc",        "10.0.0.0/08", "10.0.0.0/8/8",   "10.0.0.0 /8",  "fe80::1%eth0/64",
        "1.2.3.4/+8", "10.0.0.0/8 ", "256.0.0.0/8",    "::g/128",      "1::2::3/128",
        "fe80::1/9",  "10/8",        "10.0.0.0/99999", "0x7f.0.0.0/8", "[::1]/128",
    };
    wh_urlguard *g = guard_new();
    for (size_t i = 0; i < WHI_ARRAY_LEN(bad); i++) {
        int rc = wh_urlguard_allow_cidr(g, bad[i]);
        if (rc != WH_EINVAL) print_error("allow_cidr(\"%s\") -> %d\n", bad[i], rc);
        assert_int_equal(rc, WH_EINVAL);
        assert_non_null(strstr(wh_error_last()->message, "allowed CIDR"));
    }
    assert_int_equal(wh_urlguard_allowed_count(g), 0);
    /* The reason is specific. */
    wh_urlguard_allow_cidr(g, "127.0.0.1/8");
    assert_non_null(strstr(wh_error_last()->message, "bits set beyond the /8"));
    wh_urlguard_allow_cidr(g, "::1/129");
    assert_non_null(strstr(wh_error_last()->message, "0..128"));
    wh_urlguard_allow_cidr(g, "10.0.0.0/33");
    assert_non_null(strstr(wh_error_last()->message, "0..32"));
    /* Edges that are fine. */
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "::ffff:0:0/96"));
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "1.2.3.4/32"));
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "2001:db8::/32"));
    assert_int_equal(wh_urlguard_allowed_count(g), 3);
    wh_urlguard_free(g);
}

static void test_null_inputs(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    assert_int_equal(wh_urlguard_new(NULL), WH_EINVAL);
    wh_urlguard *out = NULL;
    assert_int_equal(wh_urlguard_dup(&out, NULL), WH_EINVAL);
    assert_int_equal(wh_urlguard_dup(NULL, g), WH_EINVAL);
    assert_int_equal(wh_urlguard_allow_cidr(NULL, "10.0.0.0/8"), WH_EINVAL);
    assert_int_equal(wh_urlguard_allow_cidr(g, NULL), WH_EINVAL);
    assert_int_equal(wh_urlguard_set_require_https(NULL, 1), WH_EINVAL);
    assert_int_equal(wh_urlguard_check_ip(NULL, "8.8.8.8"), WH_EINVAL);
    assert_int_equal(wh_urlguard_check_ip(g, NULL), WH_EINVAL);
    assert_int_equal(wh_urlguard_check_url(NULL, "http://8.8.8.8/"), WH_EINVAL);
    assert_int_equal(wh_urlguard_check_url(g, NULL), WH_EINVAL);
    assert_int_equal(wh_urlguard_check_sockaddr(NULL, (struct sockaddr *)&sin, sizeof(sin)),
                     WH_EINVAL);
    assert_int_equal(wh_urlguard_check_sockaddr(g, NULL, sizeof(sin)), WH_EINVAL);
    assert_int_equal(wh_urlguard_allowed_count(NULL), 0);
    wh_urlguard_free(NULL);
    wh_urlguard_free(g);
}

static void test_check_ip_text_forms(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    static const char *const not_ip[] = {"",          "hello", "1.2.3.256",  "::g", "[::1",
                                         "1.2.3.4.",  "::1]",  "fe80::1%",   "[]",  "1::2::3",
                                         "1.2.3.4.5", "foo.1", "127.0.0.1 ", " ::1"};
    for (size_t i = 0; i < WHI_ARRAY_LEN(not_ip); i++) {
        int rc = wh_urlguard_check_ip(g, not_ip[i]);
        if (rc != WH_EINVAL) print_error("check_ip(\"%s\") -> %d\n", not_ip[i], rc);
        assert_int_equal(rc, WH_EINVAL);
    }
    expect_ip(g, "2130706433", WH_EREFUSED, "127.0.0.1 is a loopback");
    expect_ip(g, "0x7f.1", WH_EREFUSED, "127.0.0.1");
    expect_ip(g, "017700000001", WH_EREFUSED, "127.0.0.1");
    expect_ip(g, "134744072", WH_OK, NULL); /* 8.8.8.8 */
    expect_ip(g, "[::1]", WH_EREFUSED, "loopback");
    wh_urlguard_free(g);
}

static void test_check_sockaddr(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(443);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    const struct sockaddr *sa = (const struct sockaddr *)&sin;
    assert_int_equal(wh_urlguard_check_sockaddr(g, sa, sizeof(sin)), WH_EREFUSED);
    assert_non_null(strstr(wh_error_last()->message, "127.0.0.1 is a loopback address"));
    assert_int_equal(wh_urlguard_check_sockaddr(g, sa, sizeof(sin) - 1), WH_EINVAL);
    sin.sin_addr.s_addr = htonl(0x08080808);
    WH_ASSERT_OK(wh_urlguard_check_sockaddr(g, sa, sizeof(sin)));

    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    const struct sockaddr *sa6 = (const struct sockaddr *)&s6;
    assert_int_equal(inet_pton(AF_INET6, "::1", &s6.sin6_addr), 1);
    assert_int_equal(wh_urlguard_check_sockaddr(g, sa6, sizeof(s6)), WH_EREFUSED);
    assert_int_equal(wh_urlguard_check_sockaddr(g, sa6, sizeof(s6) - 1), WH_EINVAL);
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.1", &s6.sin6_addr), 1);
    assert_int_equal(wh_urlguard_check_sockaddr(g, sa6, sizeof(s6)), WH_EREFUSED);
    assert_non_null(strstr(wh_error_last()->message, "::ffff:10.0.0.1"));
    assert_int_equal(inet_pton(AF_INET6, "2001:4860:4860::8888", &s6.sin6_addr), 1);
    WH_ASSERT_OK(wh_urlguard_check_sockaddr(g, sa6, sizeof(s6)));

    struct sockaddr_un sun;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    assert_int_equal(wh_urlguard_check_sockaddr(g, (const struct sockaddr *)&sun, sizeof(sun)),
                     WH_EREFUSED);
    assert_non_null(strstr(wh_error_last()->message, "address family"));

    /* An allowed CIDR reaches the connect check too. */
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "127.0.0.0/8"));
    sin.sin_addr.s_addr = htonl(0x7f000001);
    WH_ASSERT_OK(wh_urlguard_check_sockaddr(g, sa, sizeof(sin)));
    wh_urlguard_free(g);
}

static void test_url_literal_addresses(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0X7F.0.0.1/hook",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://017700000001/",
        "http://%31%32%37.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]:8080/",
        "http://user:pw@127.0.0.1:8080/x",
        "http://user@10.0.0.1",
        "http://169.254.169.254/latest/meta-data/",
        "http://0/",
        "http://0x/",
        "HTTP://127.0.0.1",
        "http://127.0.0.1:80",
        "http://127.0.0.1?x=1",
        "http://127.0.0.1#frag",
        "https://[fe80::1%25eth0]/",
        "http://[fd00::1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://192.168.1.1:/",
        /* fullwidth forms, which IDNA folds to ASCII before the lookup */
        "http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97\xef\xbc\x8e\xef\xbc\x90"
        "\xef\xbc\x8e\xef\xbc\x90\xef\xbc\x8e\xef\xbc\x91/",
        "http://127\xe3\x80\x82"
        "0\xe3\x80\x82"
        "0\xe3\x80\x82"
        "1/",
        "http://\xef\xbc\x90\xef\xbd\x98\xef\xbc\x97\xef\xbd\x86.1/",
    };
    wh_urlguard *g = guard_new();
    for (size_t i = 0; i < WHI_ARRAY_LEN(refused); i++)
        expect_url(g, refused[i], WH_EREFUSED);
    /* The message names the address and never the credentials. */
    expect_url(g, "http://user:s3cret@2130706433/", WH_EREFUSED);
    assert_non_null(strstr(wh_error_last()->message, "127.0.0.1 is a loopback"));
    assert_null(strstr(wh_error_last()->message, "s3cret"));

    static const char *const fine[] = {
        "http://8.8.8.8/",
        "https://[2001:4860:4860::8888]:443/x",
        "http://user@93.184.216.34/",
        "http://134744072/",
        "https://example.com/hook?x=1#y",
        "https://EXAMPLE.com:8443",
        "http://localhost/", /* a name: refused after DNS, not here */
        "https://h:65535/",
        "https://h:00080/",
        "https://h:/",
        "https://xn--bcher-kva.example/",
        "https://b\xc3\xbc"
        "cher.example/",
        "https://a.b-c_d.example./",
        "https://\xef\xbd\x85\xef\xbd\x98.example/", /* fullwidth letters: still a name */
    };
    for (size_t i = 0; i < WHI_ARRAY_LEN(fine); i++)
        expect_url(g, fine[i], WH_OK);

    /* With loopback allowed, tests can register their receiver. */
    WH_ASSERT_OK(wh_urlguard_allow_cidr(g, "127.0.0.0/8"));
    expect_url(g, "http://127.0.0.1:8080/hook", WH_OK);
    /* An IP literal with a trailing dot is a name to a resolver: it could never be delivered,
     * so it is refused even where its address is allowed. */
    expect_url(g, "http://127.0.0.1./", WH_EINVAL);
    assert_non_null(strstr(wh_error_last_message(), "trailing dot"));
    expect_url(g, "http://2130706433./x", WH_EINVAL);
    expect_url(g, "http://10.0.0.1\xef\xbd\xa1/", WH_EINVAL); /* a fullwidth dot, folded */
    expect_url(g, "http://2130706433/", WH_OK);
    expect_url(g, "http://[::ffff:127.0.0.1]/", WH_OK);
    expect_url(g, "http://[::1]/", WH_EREFUSED);
    wh_urlguard_free(g);
}

static void test_url_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "127.0.0.1",
        "example.com/hook",
        "http:/x",
        "http//x",
        "://x",
        "1http://x/",
        "http://",
        "http:///path",
        "http://:80/",
        "http://user@/",
        "http://a@b@c/",
        "http://[::1/",
        "http://[::1]x/",
        "http://[zz]/",
        "http://[]/",
        "http://[v1.x]/",
        "http://[::1]:99999/",
        "http://h:0/",
        "http://h:8a/",
        "http://h:-1/",
        "http://h:65536/",
        "http://::1/",
        "http://h x/",
        "http://h/ x",
        " http://h/",
        "http://h/\n",
        "http://1.2.3.256/",
        "http://1.2.3.4.5/",
        "http://foo.1/",
        "http://09/",
        "http://h%zz/",
        "http://h%2/",
        "http://%00/",
        "http://a%2fb/",
        "http://a\\b/",
        "http://h<>/",
        "http://./",
        "javascript:alert(1)",
    };
    wh_urlguard *g = guard_new();
    for (size_t i = 0; i < WHI_ARRAY_LEN(bad); i++)
        expect_url(g, bad[i], WH_EINVAL);
    /* Over 8 KiB. */
    size_t n = 9000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memcpy(big, "https://example.com/", 20);
    memset(big + 20, 'a', n - 20);
    big[n] = '\0';
    expect_url(g, big, WH_EINVAL);
    big[8000] = '\0';
    expect_url(g, big, WH_OK);
    free(big);
    wh_urlguard_free(g);
}

static void test_url_scheme_and_https(void **state)
{
    (void)state;
    wh_urlguard *g = guard_new();
    expect_url(g, "ftp://8.8.8.8/", WH_EREFUSED);
    assert_non_null(strstr(wh_error_last()->message, "\"ftp\""));
    expect_url(g, "file:///etc/passwd", WH_EREFUSED);
    expect_url(g, "gopher://example.com/", WH_EREFUSED);
    expect_url(g, "httpx://example.com/", WH_EREFUSED);
    expect_url(g, "http://example.com/", WH_OK);
    WH_ASSERT_OK(wh_urlguard_set_require_https(g, 1));
    expect_url(g, "http://example.com/", WH_EREFUSED);
    assert_non_null(strstr(wh_error_last()->message, "https"));
    expect_url(g, "https://example.com/", WH_OK);
    expect_url(g, "HTTPS://example.com", WH_OK);
    expect_url(g, "https://127.0.0.1/", WH_EREFUSED);
    WH_ASSERT_OK(wh_urlguard_set_require_https(g, 0));
    expect_url(g, "http://example.com/", WH_OK);
    wh_urlguard_free(g);
}

/* ---- the address parser against the C library ---- */

static const char *random_text(char *buf, size_t cap, const char *alphabet, unsigned *seed)
{
    size_t n = (size_t)(rand_r(seed) % (int)(cap - 1));
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[rand_r(seed) % (int)k];
    buf[n] = '\0';
    return buf;
}

/* A plausible IPv4 text: 1..5 parts in decimal, octal or hex, sometimes out of range. */
static const char *random_ipv4(char *buf, size_t cap, unsigned *seed)
{
    int parts = 1 + rand_r(seed) % 5;
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 0; k < parts && n < cap; k++) {
        unsigned long v = (unsigned long)rand_r(seed) % (rand_r(seed) % 4 ? 300 : 70000000);
        switch (rand_r(seed) % 8) {
        case 0:
            n += (size_t)snprintf(buf + n, cap - n, "0%lo", v);
            break;
        case 1:
            n += (size_t)snprintf(buf + n, cap - n, "0x%lx", v);
            break;
        case 2:
            n += (size_t)snprintf(buf + n, cap - n, "0X%lX", v);
            break;
        default:
            n += (size_t)snprintf(buf + n, cap - n, "%lu", v);
        }
        if (k + 1 < parts && n < cap) n += (size_t)snprintf(buf + n, cap - n, ".");
    }
    return buf;
}

/* Does some dot-separated part of s read "0x" with no digits? (inet_aton refuses it; URL
 * parsers and we read 0). */
static bool has_bare_0x(const char *s)
{
    for (const char *p = s;; p++) {
        const char *end = strchr(p, '.');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return true;
        if (!end) return false;
        p = end;
    }
}

static void test_parser_matches_libc(void **state)
{
    (void)state;
    unsigned seed = 12345;
    char buf[24];
    size_t agreed4 = 0, agreed6 = 0, loose_ok = 0;
    for (int i = 0; i < 200000; i++) {
        /* IPv6 against inet_pton, including embedded dotted quads. */
        const char *s = random_text(buf, sizeof(buf), i % 2 ? "0123:abcdef.:" : "01f:.:", &seed);
        uint8_t mine[16], ref[16];
        bool ok = whi_ip6_parse(s, strlen(s), mine);
        int rok = inet_pton(AF_INET6, s, ref);
        if (ok != (rok == 1)) print_error("ip6 \"%s\": ours %d libc %d\n", s, ok, rok);
        assert_int_equal(ok, rok == 1);
        if (ok) {
            assert_memory_equal(mine, ref, 16);
            agreed6++;
        }
        /* Strict and loose IPv4 against inet_pton and inet_aton. */
        if (i % 2)
            s = random_text(buf, 16, i % 3 ? "0123456789." : "0127xX.8f", &seed);
        else
            s = random_ipv4(buf, sizeof(buf), &seed);
        uint8_t m4[4];
        struct in_addr r4;
        ok = whi_ip4_parse_strict(s, strlen(s), m4);
        assert_int_equal(ok, inet_pton(AF_INET, s, &r4) == 1);
        if (ok) {
            assert_memory_equal(m4, &r4, 4);
            agreed4++;
        }
        int loose = whi_ip4_parse_loose(s, strlen(s), m4);
        if (has_bare_0x(s)) continue;
        int aton = inet_aton(s, &r4);
        if ((loose == 1) != (aton == 1))
            print_error("ip4 loose \"%s\": ours %d libc %d\n", s, loose, aton);
        assert_int_equal(loose == 1, aton == 1);
        if (loose == 1) {
            assert_memory_equal(m4, &r4, 4);
            loose_ok++;
        }
    }
    print_message("agreed with libc on %zu IPv6, %zu strict IPv4, %zu loose IPv4 addresses\n",
                  agreed6, agreed4, loose_ok);
    /* The random strings hit real addresses often enough to mean something. */
    assert_true(agreed6 > 1000);
    assert_true(agreed4 > 100);
    assert_true(loose_ok > 1000);
}

static void test_format_matches_libc(void **state)
{
    (void)state;
    unsigned seed = 777;
    for (int i = 0; i < 50000; i++) {
        whi_ip ip = {6, {0}};
        for (int k = 0; k < 8; k++)
            if (rand_r(&seed) % 2) {
                ip.b[2 * k] = (uint8_t)rand_r(&seed);
                ip.b[2 * k + 1] = (uint8_t)rand_r(&seed);
            }
        static const uint8_t zero[12];
        if (memcmp(ip.b, zero, 12) == 0)
            continue; /* glibc writes "::a.b.c.d" for IPv4-compatible; we write hex */
        char mine[WHI_IP_TEXT_MAX], ref[INET6_ADDRSTRLEN];
        size_t n = whi_ip_format(&ip, mine);
        assert_non_null(inet_ntop(AF_INET6, ip.b, ref, sizeof(ref)));
        assert_string_equal(mine, ref);
        assert_int_equal(n, strlen(mine));
        whi_ip back;
        assert_true(whi_ip_parse(mine, n, &back));
        assert_memory_equal(back.b, ip.b, 16);
    }
    whi_ip v4 = {4, {192, 0, 2, 1}};
    char out[WHI_IP_TEXT_MAX];
    whi_ip_format(&v4, out);
    assert_string_equal(out, "192.0.2.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ipv4_ranges),
        cmocka_unit_test(test_default_ipv6_ranges),
        cmocka_unit_test(test_embedded_ipv4),
        cmocka_unit_test(test_allowed_cidrs_override),
        cmocka_unit_test(test_bad_cidrs),
        cmocka_unit_test(test_null_inputs),
        cmocka_unit_test(test_check_ip_text_forms),
        cmocka_unit_test(test_check_sockaddr),
        cmocka_unit_test(test_url_literal_addresses),
        cmocka_unit_test(test_url_malformed),
        cmocka_unit_test(test_url_scheme_and_https),
        cmocka_unit_test(test_parser_matches_libc),
        cmocka_unit_test(test_format_matches_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
