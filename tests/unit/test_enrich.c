/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_enrich.c - unit tests of the enrichment: address scope over every
 * IANA special-purpose range (both boundaries and the addresses just
 * outside), the range map against a brute-force longest-prefix match, the
 * asset map's precedence, intel list parsing with malformed lines, service
 * names, provider ranges, ASN CSV, flow type and direction decisions over a
 * table of records, and geo lookups through libmaxminddb on a small MMDB
 * that the test writes itself (so no database update can break it).
 */
#include <stdlib.h>
#include <unistd.h>

#include "enrich/enrich_int.h"
#include "fl/fl_config.h"
#include "fl/fl_enrich.h"
#include "unit.h"
#include "enrich_base.h"

static struct fl_ip ip_of(const char *s)
{
    struct fl_ip ip;
    if (fl_ip_parse(s, strlen(s), &ip) != FL_OK) {
        fprintf(stderr, "bad test address %s\n", s);
        abort();
    }
    return ip;
}

/* ---- scope ------------------------------------------------------------- */

struct scope_case {
    const char *ip;
    const char *scope;
};

static const struct scope_case scope_cases[] = {
    /* RFC 1918 */
    {"9.255.255.255", "public"}, {"10.0.0.0", "private"}, {"10.255.255.255", "private"},
    {"11.0.0.0", "public"},
    {"172.15.255.255", "public"}, {"172.16.0.0", "private"}, {"172.31.255.255", "private"},
    {"172.32.0.0", "public"},
    {"192.167.255.255", "public"}, {"192.168.0.0", "private"}, {"192.168.255.255", "private"},
    {"192.169.0.0", "public"},
    /* CGNAT */
    {"100.63.255.255", "public"}, {"100.64.0.0", "cgnat"}, {"100.127.255.255", "cgnat"},
    {"100.128.0.0", "public"},
    /* loopback */
    {"126.255.255.255", "public"}, {"127.0.0.0", "loopback"}, {"127.255.255.255", "loopback"},
    {"128.0.0.0", "public"},
    /* link local incl. the metadata service */
    {"169.253.255.255", "public"}, {"169.254.0.0", "link_local"},
    {"169.254.169.254", "link_local"}, {"169.254.255.255", "link_local"},
    {"169.255.0.0", "public"},
    /* multicast and class E, broadcast */
    {"223.255.255.255", "public"}, {"224.0.0.0", "multicast"}, {"239.255.255.255", "multicast"},
    {"240.0.0.0", "reserved"}, {"255.255.255.254", "reserved"}, {"255.255.255.255", "reserved"},
    /* this network */
    {"0.0.0.0", "reserved"}, {"0.255.255.255", "reserved"}, {"1.0.0.0", "public"},
    /* documentation */
    {"192.0.1.255", "public"}, {"192.0.2.0", "reserved"}, {"192.0.2.255", "reserved"},
    {"192.0.3.0", "public"},
    {"198.51.99.255", "public"}, {"198.51.100.0", "reserved"}, {"198.51.100.255", "reserved"},
    {"198.51.101.0", "public"},
    {"203.0.112.255", "public"}, {"203.0.113.0", "reserved"}, {"203.0.113.255", "reserved"},
    {"203.0.114.0", "public"},
    /* IETF protocol assignments, with the two global /32s inside */
    {"191.255.255.255", "public"}, {"192.0.0.0", "reserved"}, {"192.0.0.8", "reserved"},
    {"192.0.0.9", "public"}, {"192.0.0.10", "public"}, {"192.0.0.11", "reserved"},
    {"192.0.0.255", "reserved"},
    /* benchmarking */
    {"198.17.255.255", "public"}, {"198.18.0.0", "reserved"}, {"198.19.255.255", "reserved"},
    {"198.20.0.0", "public"},
    /* 6to4 relay anycast, AS112, AMT */
    {"192.88.98.255", "public"}, {"192.88.99.0", "reserved"}, {"192.88.99.255", "reserved"},
    {"192.88.100.0", "public"}, {"192.31.196.0", "reserved"}, {"192.175.48.255", "reserved"},
    {"192.52.193.1", "reserved"},
    /* plain public */
    {"8.8.8.8", "public"}, {"52.94.1.1", "public"},
    /* IPv6 */
    {"::", "reserved"}, {"::1", "loopback"}, {"::2", "reserved"},
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"}, {"fc00::", "private"},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "private"}, {"fe00::", "reserved"},
    {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"}, {"fe80::", "link_local"},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link_local"}, {"fec0::", "reserved"},
    {"ff00::", "multicast"}, {"ff02::1", "multicast"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"},
    {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "public"}, {"2001:db8::", "reserved"},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"}, {"2001:db9::", "public"},
    {"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"}, {"3fff::", "reserved"},
    {"3fff:0fff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"}, {"3fff:1000::", "public"},
    {"2001::", "reserved"}, {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
    {"2001:200::", "public"}, {"2001:2::", "reserved"}, {"2001:1::1", "public"},
    {"2001:1::3", "reserved"}, {"2001:3::", "public"}, {"2001:20::", "public"},
    {"2002::", "reserved"}, {"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
    {"2003::", "public"}, {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"},
    {"2000::", "public"}, {"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"},
    {"4000::", "reserved"}, {"64:ff9b::8.8.8.8", "public"}, {"64:ff9b:1::1", "reserved"},
    {"100::", "reserved"}, {"100::ffff:ffff:ffff:ffff", "reserved"},
    {"5f00::1", "reserved"}, {"2606:4700::1111", "public"},
    /* v4-mapped written as IPv6 is the same IPv4 address */
    {"::ffff:10.0.0.1", "private"}, {"::ffff:8.8.8.8", "public"},
};

TEST(scope_table)
{
    for (size_t i = 0; i < sizeof scope_cases / sizeof scope_cases[0]; i++) {
        struct fl_ip ip = ip_of(scope_cases[i].ip);
        const char *got = fl_scope_name(fl_ip_scope(&ip));
        if (strcmp(got, scope_cases[i].scope) != 0)
            UNIT_FAIL("%s: scope %s, want %s", scope_cases[i].ip, got, scope_cases[i].scope);
    }
}

/* ---- range map --------------------------------------------------------- */

static uint64_t rng = 0x1234567;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33);
}

TEST(rmap_matches_bruteforce_lpm)
{
    /* Random nested prefixes (v4 concentrated in a few /8s so they nest,
     * plus v6), checked against a linear longest-prefix scan. */
    enum { NP = 3000, NQ = 20000 };
    static struct fl_cidr pf[NP];
    struct fl__rmap_builder b;
    fl__rmap_builder_init(&b, 0);
    for (int i = 0; i < NP; i++) {
        char s[64];
        if (i % 5 == 4)
            snprintf(s, sizeof s, "2001:db8:%x:%x::/%u", rnd() % 4, rnd() % 65536, 32 + rnd() % 33);
        else
            snprintf(s, sizeof s, "%u.%u.%u.%u/%u", 10 + rnd() % 3, rnd() % 4, rnd() % 256,
                     rnd() % 256, 8 + rnd() % 25);
        ASSERT_EQ_INT(fl_cidr_parse(s, strlen(s), &pf[i]), FL_OK);
        ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &pf[i], (uint32_t)i + 1, fl__prio_lpm(&pf[i])), FL_OK);
    }
    struct fl__rmap m;
    ASSERT_EQ_INT(fl__rmap_build(&b, &m), FL_OK);
    for (int q = 0; q < NQ; q++) {
        struct fl_ip ip;
        char s[64];
        if (q % 5 == 4)
            snprintf(s, sizeof s, "2001:db8:%x:%x::%x", rnd() % 4, rnd() % 65536, rnd() % 65536);
        else
            snprintf(s, sizeof s, "%u.%u.%u.%u", 10 + rnd() % 4, rnd() % 4, rnd() % 256, rnd() % 256);
        ip = ip_of(s);
        int best = -1;
        for (int i = 0; i < NP; i++)
            if (fl_cidr_contains(&pf[i], &ip) && (best < 0 || pf[i].bits > pf[best].bits ||
                                                  (pf[i].bits == pf[best].bits && i < best)))
                best = i;
        uint32_t got = fl__rmap_get(&m, &ip);
        uint32_t want = best < 0 ? 0 : (uint32_t)best + 1;
        /* equal prefixes: the first added wins (stable priority) */
        if (got != want && !(best >= 0 && got && pf[got - 1].bits == pf[best].bits &&
                             memcmp(pf[got - 1].ip.b, pf[best].ip.b, 16) == 0))
            { char g1[64] = "-", w1[64] = "-"; if (got) fl_cidr_format(&pf[got - 1], g1, 64); if (best >= 0) fl_cidr_format(&pf[best], w1, 64); UNIT_FAIL("%s: got %u (%s) want %u (%s)", s, got, g1, want, w1); }
    }
    fl__rmap_free(&m);
}

TEST(rmap_edges)
{
    struct fl__rmap_builder b;
    struct fl__rmap m;
    struct fl_cidr all4, all6, host;
    fl_cidr_parse("0.0.0.0/0", 9, &all4);
    fl_cidr_parse("::/0", 4, &all6);
    fl_cidr_parse("255.255.255.255/32", 18, &host);
    fl__rmap_builder_init(&b, 0);
    ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &all6, 1, fl__prio_lpm(&all6)), FL_OK);
    ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &all4, 2, fl__prio_lpm(&all4)), FL_OK);
    ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &host, 3, fl__prio_lpm(&host)), FL_OK);
    ASSERT_EQ_INT(fl__rmap_build(&b, &m), FL_OK);
    struct fl_ip a = ip_of("1.2.3.4"), z = ip_of("255.255.255.255"), y = ip_of("255.255.255.254"),
                 v6 = ip_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), v6b = ip_of("::");
    ASSERT_EQ_INT(fl__rmap_get(&m, &a), 2);
    ASSERT_EQ_INT(fl__rmap_get(&m, &z), 3);
    ASSERT_EQ_INT(fl__rmap_get(&m, &y), 2);
    ASSERT_EQ_INT(fl__rmap_get(&m, &v6), 1);
    ASSERT_EQ_INT(fl__rmap_get(&m, &v6b), 1);
    fl__rmap_free(&m);
    /* empty map */
    fl__rmap_builder_init(&b, 0);
    ASSERT_EQ_INT(fl__rmap_build(&b, &m), FL_OK);
    ASSERT_EQ_INT(fl__rmap_get(&m, &a), 0);
    fl__rmap_free(&m);
    /* the builder cap holds */
    fl__rmap_builder_init(&b, 2);
    ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &all4, 1, 0), FL_OK);
    ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &all4, 1, 0), FL_OK);
    ASSERT_EQ_INT(fl__rmap_add_cidr(&b, &all4, 1, 0), FL_ELIMIT);
    fl__rmap_builder_free(&b);
}

/* ---- services ---------------------------------------------------------- */

TEST(service_names)
{
    ASSERT_EQ_STR(fl_service_name(6, 443), "https");
    ASSERT_EQ_STR(fl_service_name(17, 443), "quic");
    ASSERT_EQ_STR(fl_service_name(6, 22), "ssh");
    ASSERT_EQ_STR(fl_service_name(17, 53), "domain");
    ASSERT_EQ_STR(fl_service_name(6, 53), "domain");
    ASSERT_EQ_STR(fl_service_name(6, 3389), "ms-wbt-server");
    ASSERT_EQ_STR(fl_service_name(17, 123), "ntp");
    ASSERT_EQ_STR(fl_service_name(1, 0), "icmp");
    ASSERT(fl_service_name(6, 123) == NULL);
    ASSERT(fl_service_name(6, 61234) == NULL);
    ASSERT(fl_service_name(6, -1) == NULL);
    ASSERT(fl_service_name(6, 70000) == NULL);
    ASSERT(fl_service_name(99, 80) == NULL);
}

/* ---- intel lists ------------------------------------------------------- */

TEST(intel_line_parser)
{
    struct {
        const char *line;
        int rc;
        bool has;
        const char *cidr;
    } c[] = {
        {"1.2.3.4", FL_OK, true, "1.2.3.4/32"},
        {"  1.2.3.0/24   # comment", FL_OK, true, "1.2.3.0/24"},
        {"1.10.16.0/20 ; SBL256894", FL_OK, true, "1.10.16.0/20"},
        {"1.10.16.0/20;SBL256894", FL_OK, true, "1.10.16.0/20"},
        {"# only a comment", FL_OK, false, NULL},
        {"; spamhaus header", FL_OK, false, NULL},
        {"", FL_OK, false, NULL},
        {"   \t", FL_OK, false, NULL},
        {"2001:db8::/32", FL_OK, true, "2001:db8::/32"},
        {"{\"cidr\":\"5.134.128.0/19\",\"sblid\":\"SBL1\"}", FL_OK, true, "5.134.128.0/19"},
        {"{\"type\":\"metadata\"}", FL_OK, false, NULL},
        {"{\"cidr\": 5}", FL_EPARSE, false, NULL},
        {"1.2.3.4-1.2.3.9", FL_EPARSE, false, NULL},
        {"300.1.1.1", FL_EPARSE, false, NULL},
        {"1.2.3.0/33", FL_EPARSE, false, NULL},
        {"evil.example.com", FL_EPARSE, false, NULL},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        bool has = false;
        struct fl_cidr cd;
        int rc = fl__intel_parse_line(c[i].line, strlen(c[i].line), &has, &cd);
        if (rc != c[i].rc || has != c[i].has)
            UNIT_FAIL("'%s': rc %d has %d", c[i].line, rc, has);
        if (has) {
            char buf[64];
            fl_cidr_format(&cd, buf, sizeof buf);
            ASSERT_EQ_STR(buf, c[i].cidr);
        }
    }
}

TEST(intel_file_counts_malformed)
{
    struct fl__rmap_builder b;
    struct fl_intel_load_stats st = {0};
    struct fl_error err;
    fl__rmap_builder_init(&b, 0);
    ASSERT_EQ_INT(fl__intel_load("tests/data/enrich/intel_plain.txt", &b, &st, &err), FL_OK);
    ASSERT_EQ_INT(st.entries, 5);
    ASSERT_EQ_INT(st.malformed, 3);
    ASSERT_EQ_INT(st.first_bad_line, 8);
    ASSERT_EQ_STR(st.first_bad, "not-an-ip");
    fl__rmap_builder_free(&b);

    memset(&st, 0, sizeof st);
    fl__rmap_builder_init(&b, 0);
    ASSERT_EQ_INT(fl__intel_load("tests/data/enrich/drop_v4.json", &b, &st, &err), FL_OK);
    ASSERT_EQ_INT(st.entries, 2);
    ASSERT_EQ_INT(st.malformed, 1);
    ASSERT_EQ_INT(st.first_bad_line, 3);
    fl__rmap_builder_free(&b);

    memset(&st, 0, sizeof st);
    fl__rmap_builder_init(&b, 0);
    ASSERT_EQ_INT(fl__intel_load("tests/data/enrich/spamhaus_drop.txt", &b, &st, &err), FL_OK);
    ASSERT_EQ_INT(st.entries, 3);
    ASSERT_EQ_INT(st.malformed, 0);
    fl__rmap_builder_free(&b);

    fl__rmap_builder_init(&b, 0);
    ASSERT_EQ_INT(fl__intel_load("tests/data/enrich/no-such-file", &b, &st, &err), FL_EIO);
    ASSERT(strstr(err.msg, "no-such-file") != NULL);
    fl__rmap_builder_free(&b);
}

TEST(asset_map_precedence)
{
    fl_config *cfg;
    fl_enricher *e = open_base(&cfg);
    struct {
        const char *ip, *tag, *tier, *env;
    } c[] = {
        {"10.1.1.200", "frontend-7", "web", "prod"},       /* /32 inside /25 inside /24 */
        {"10.1.1.199", "frontend-canary", "web", "canary"}, /* /25 */
        {"10.1.1.128", "frontend-canary", "web", "canary"}, /* /25 first */
        {"10.1.1.255", "frontend-canary", "web", "canary"}, /* /25 last */
        {"10.1.1.127", "frontend", "web", "prod"},          /* /24 below the /25 */
        {"10.1.1.0", "frontend", "web", "prod"},
        {"10.1.0.255", "prod-net", NULL, "prod"},           /* /16 only: no tier */
        {"10.1.2.7", "db", "db", "prod"},
        {"10.3.0.1", "corp", "any", "corp"},                /* /8 */
        {"11.0.0.1", NULL, NULL, NULL},
        {"fd00:1::5", "v6-frontend", "web", "prod"},
        {"fd00:1:0:1::5", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct fl_ip ip = ip_of(c[i].ip);
        struct fl_enrich_info in;
        ASSERT_EQ_INT(fl_enrich_lookup(e, &ip, &in), FL_OK);
#define SAME(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && strcmp((a), (b)) == 0)
        if (!SAME(in.tag, c[i].tag) || !SAME(in.tier, c[i].tier) || !SAME(in.env, c[i].env))
            UNIT_FAIL("%s: got %s/%s/%s", c[i].ip, in.tag ? in.tag : "-", in.tier ? in.tier : "-",
                      in.env ? in.env : "-");
    }
    struct fl_ip ip = ip_of("10.1.1.200");
    struct fl_enrich_info in;
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.asset_cidr, "10.1.1.200/32");
    ASSERT_EQ_STR(in.vpc, "vpc-prod");
    ip = ip_of("10.9.9.9");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT(in.known_scanner);
    fl_enricher_close(e);
    fl_config_free(cfg);
}

TEST(intel_and_cloud_lookup)
{
    fl_config *cfg;
    fl_enricher *e = open_base(&cfg);
    struct fl_enrich_info in;
    struct fl_ip ip = ip_of("45.33.32.156"); /* in drop (/24) and plain (/32 and /24) */
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_INT(in.n_threats, 2);
    ASSERT_EQ_STR(in.threats[0], "drop");
    ASSERT_EQ_STR(in.threats[1], "plain");
    ip = ip_of("1.10.16.1"); /* drop and firehol */
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_INT(in.n_threats, 2);
    ASSERT_EQ_STR(in.threats[0], "drop");
    ip = ip_of("185.220.101.44");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_INT(in.n_threats, 1);
    ASSERT_EQ_STR(in.threats[0], "firehol");
    ip = ip_of("8.8.8.8");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_INT(in.n_threats, 0);
    ASSERT_EQ_INT(in.asn, 15169);
    ASSERT_EQ_STR(in.as_org, "Google LLC");
    ASSERT(in.country == NULL);
    ip = ip_of("9.9.9.9");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.as_org, "Quad9 \"Foundation\"");
    ip = ip_of("2001:4860:4860::8888");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_INT(in.asn, 15169);
    /* provider ranges: the specific service beats the catch-all */
    ip = ip_of("52.217.1.1");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.cloud_service, "S3");
    ASSERT_EQ_STR(in.cloud_provider, "aws");
    ip = ip_of("3.0.5.33");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.cloud_service, "EC2");
    ip = ip_of("3.0.5.40");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.cloud_service, "AMAZON");
    ip = ip_of("2600:1f18::1");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.cloud_service, "EC2");
    ip = ip_of("20.33.1.1");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.cloud_service, "Storage");
    ASSERT_EQ_STR(in.cloud_provider, "azure");
    ip = ip_of("13.64.0.1");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.cloud_service, "AzureCloud");
    /* private addresses get no geo and no cloud service */
    ip = ip_of("10.1.1.1");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT(in.asn == 0 && in.cloud_service == NULL && in.internal);

    const struct fl_intel_load_stats *st;
    ASSERT_EQ_INT(fl_enricher_intel_stats(e, &st), 3);
    ASSERT_EQ_INT(st[2].malformed, 3);
    ASSERT_EQ_INT(st[2].first_bad_line, 8);
    fl_enricher_close(e);
    fl_config_free(cfg);
}

/* ---- batch enrichment: flow type, threat, direction ----------------------- */

struct row_case {
    const char *src, *dst;
    int proto, dport;
    const char *dir;         /* flow_direction given, or NULL */
    const char *iface;       /* interface_id or NULL */
    const char *pkt_dst_svc; /* pkt_dst_aws_service or NULL */
    /* expected */
    const char *flow_type, *threat, *service, *cloud, *direction, *dir_source;
};

static const struct row_case rows[] = {
    {"10.1.1.10", "10.1.2.7", 6, 5432, "egress", NULL, NULL,
     "IntraVpc", NULL, "postgresql", NULL, "egress", "given"},
    {"10.1.1.10", "10.2.0.9", 6, 443, NULL, NULL, NULL,
     "InterVpc", NULL, "https", NULL, NULL, NULL},
    {"10.1.1.10", "8.8.8.8", 17, 53, NULL, NULL, NULL,
     "ExternalPublic", NULL, "domain", NULL, "egress", "inferred"},
    {"8.8.8.8", "10.1.1.10", 6, 22, NULL, NULL, NULL,
     "ExternalPublic", NULL, "ssh", NULL, "ingress", "inferred"},
    {"10.1.1.10", "52.217.3.4", 6, 443, NULL, NULL, NULL,
     "CloudService", NULL, "https", "S3", "egress", "inferred"},
    {"10.1.1.10", "54.1.2.3", 6, 443, NULL, NULL, "DYNAMODB",
     "CloudService", NULL, "https", "DYNAMODB", "egress", "inferred"},
    {"45.33.32.156", "10.1.1.10", 6, 22, NULL, NULL, NULL,
     "MaliciousFlow", "drop", "ssh", NULL, "ingress", "inferred"},
    {"10.1.1.10", "185.220.101.1", 6, 9001, NULL, NULL, NULL,
     "MaliciousFlow", "firehol", NULL, NULL, "egress", "inferred"},
    {"10.1.1.10", "10.9.0.1", 6, 80, NULL, NULL, NULL, /* 10.9 is internal, no VPC */
     "UnknownPrivate", NULL, "http", NULL, NULL, NULL},
    {"10.1.1.10", "169.254.169.254", 6, 80, NULL, NULL, NULL,
     "UnknownPrivate", NULL, "http", NULL, "egress", "inferred"},
    {"8.8.8.8", "1.1.1.1", 17, 53, NULL, NULL, NULL,
     "Unknown", NULL, "domain", NULL, NULL, NULL},
    /* interface address known: both internal, still a direction */
    {"10.1.2.7", "10.1.1.10", 6, 443, NULL, "eni-0aaa", NULL,
     "IntraVpc", NULL, "https", NULL, "ingress", "inferred"},
    {"10.1.1.10", "10.1.2.7", 6, 5432, NULL, "eni-0aaa", NULL,
     "IntraVpc", NULL, "postgresql", NULL, "egress", "inferred"},
    {"fd00:1::5", "2600:1f18::9", 6, 443, NULL, NULL, NULL,
     "CloudService", NULL, "https", "EC2", "egress", "inferred"},
    {"fd00:1::5", "fd00:1::6", 58, 0, NULL, NULL, NULL,
     "IntraVpc", NULL, "ipv6-icmp", NULL, NULL, NULL},
};

static void setstr(struct fl_batch *b, int col, uint32_t r, const char *s)
{
    if (s)
        ASSERT_EQ_INT(fl_set_str(b, col, r, s, strlen(s)), FL_OK);
}

static void expect_col(const struct fl_batch *b, int col, uint32_t r, const char *want, size_t i)
{
    if (!want) {
        if (!fl_is_null(b, col, r)) {
            struct fl_str s = fl_get_str(b, col, r);
            UNIT_FAIL("row %zu: %s = '%.*s', want NULL", i, fl_fields[col].name, (int)s.n, s.p);
        }
        return;
    }
    if (fl_is_null(b, col, r))
        UNIT_FAIL("row %zu: %s is NULL, want '%s'", i, fl_fields[col].name, want);
    struct fl_str s = fl_get_str(b, col, r);
    if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
        UNIT_FAIL("row %zu: %s = '%.*s', want '%s'", i, fl_fields[col].name, (int)s.n, s.p, want);
}

TEST(flow_type_threat_direction_table)
{
    fl_config *cfg;
    fl_enricher *e = open_base(&cfg);
    struct fl_batch *b = fl_batch_new(64);
    ASSERT(b);
    size_t n = sizeof rows / sizeof rows[0];
    for (int pass = 0; pass < 2; pass++) { /* second pass: cached lookups */
        fl_batch_reset(b);
        for (size_t i = 0; i < n; i++) {
            int r = fl_batch_add_row(b);
            ASSERT(r >= 0);
            setstr(b, FL_COL_SRCADDR, (uint32_t)r, rows[i].src);
            setstr(b, FL_COL_DSTADDR, (uint32_t)r, rows[i].dst);
            fl_set_i64(b, FL_COL_PROTOCOL, (uint32_t)r, rows[i].proto);
            fl_set_i64(b, FL_COL_DSTPORT, (uint32_t)r, rows[i].dport);
            setstr(b, FL_COL_FLOW_DIRECTION, (uint32_t)r, rows[i].dir);
            setstr(b, FL_COL_INTERFACE_ID, (uint32_t)r, rows[i].iface);
            setstr(b, FL_COL_PKT_DST_AWS_SERVICE, (uint32_t)r, rows[i].pkt_dst_svc);
        }
        struct fl_error err;
        ASSERT_EQ_INT(fl_enrich_batch(e, b, &err), FL_OK);
        for (size_t i = 0; i < n; i++) {
            uint32_t r = (uint32_t)i;
            expect_col(b, FL_COL_FLOW_TYPE, r, rows[i].flow_type, i);
            expect_col(b, FL_COL_THREAT, r, rows[i].threat, i);
            expect_col(b, FL_COL_SERVICE, r, rows[i].service, i);
            expect_col(b, FL_COL_CLOUD_SERVICE, r, rows[i].cloud, i);
            expect_col(b, FL_COL_FLOW_DIRECTION, r, rows[i].dir ? rows[i].dir : rows[i].direction, i);
            expect_col(b, FL_COL_DIRECTION_SOURCE, r, rows[i].dir_source, i);
        }
    }
    /* the scope/tag/asn columns of one row */
    expect_col(b, FL_COL_SRC_SCOPE, 2, "private", 2);
    expect_col(b, FL_COL_DST_SCOPE, 2, "public", 2);
    expect_col(b, FL_COL_SRC_TAG, 2, "frontend", 2);
    expect_col(b, FL_COL_SRC_TIER, 2, "web", 2);
    expect_col(b, FL_COL_SRC_ENV, 2, "prod", 2);
    expect_col(b, FL_COL_DST_TAG, 2, NULL, 2);
    expect_col(b, FL_COL_DST_AS_ORG, 2, "Google LLC", 2);
    ASSERT_EQ_INT(b->col[FL_COL_DST_ASN].i[2], 15169);
    ASSERT(fl_is_null(b, FL_COL_SRC_ASN, 2));
    expect_col(b, FL_COL_DST_SCOPE, 9, "link_local", 9);

    /* rows without addresses (NODATA) get no enrichment */
    fl_batch_reset(b);
    int r = fl_batch_add_row(b);
    setstr(b, FL_COL_LOG_STATUS, (uint32_t)r, "NODATA");
    struct fl_error err;
    ASSERT_EQ_INT(fl_enrich_batch(e, b, &err), FL_OK);
    ASSERT(fl_is_null(b, FL_COL_FLOW_TYPE, 0));
    ASSERT(fl_is_null(b, FL_COL_SRC_SCOPE, 0));
    fl_batch_free(b);
    fl_enricher_close(e);
    fl_config_free(cfg);
}

TEST(cache_survives_many_addresses)
{
    /* More distinct addresses than the cache holds: results stay right. */
    fl_config *cfg;
    fl_enricher *e = open_base(&cfg);
    struct fl_batch *b = fl_batch_new(4096);
    for (int round = 0; round < 12; round++) {
        fl_batch_reset(b);
        for (int i = 0; i < 4096; i++) {
            int r = fl_batch_add_row(b);
            char s[32], d[32];
            unsigned k = (unsigned)(round * 4096 + i);
            snprintf(s, sizeof s, "10.1.%u.%u", (k >> 8) & 255, k & 255);
            snprintf(d, sizeof d, "45.33.%u.%u", 32 + ((k >> 8) & 1), k & 255);
            setstr(b, FL_COL_SRCADDR, (uint32_t)r, s);
            setstr(b, FL_COL_DSTADDR, (uint32_t)r, d);
        }
        struct fl_error err;
        ASSERT_EQ_INT(fl_enrich_batch(e, b, &err), FL_OK);
        for (uint32_t i = 0; i < b->n; i++) {
            unsigned k = (unsigned)(round * 4096) + i;
            const char *want_threat = ((k >> 8) & 1) == 0 ? "drop" : NULL;
            expect_col(b, FL_COL_THREAT, i, want_threat, i);
            const char *tag = ((k >> 8) & 255) == 1 ? (((k & 255) == 200) ? "frontend-7" : (k & 255) >= 128 ? "frontend-canary" : "frontend")
                              : ((k >> 8) & 255) == 2 ? "db" : "prod-net";
            expect_col(b, FL_COL_SRC_TAG, i, tag, i);
        }
    }
    fl_batch_free(b);
    fl_enricher_close(e);
    fl_config_free(cfg);
}

/* ---- a tiny MaxMind DB writer (the MaxMind DB format spec, v2.0) --------- */

struct mm {
    uint8_t data[4096];
    size_t dlen;
    uint32_t (*nodes)[2]; /* record values before fixing: 0 = empty, node+1, or DATA|off */
    size_t n_nodes;
};
#define MM_DATA 0x80000000u

static void mm_ctrl(uint8_t *o, size_t *k, int type, size_t size)
{
    uint8_t t = type <= 7 ? (uint8_t)(type << 5) : 0;
    if (size < 29)
        o[(*k)++] = t | (uint8_t)size;
    else {
        o[(*k)++] = t | 29;
    }
    if (type > 7)
        o[(*k)++] = (uint8_t)(type - 7);
    if (size >= 29)
        o[(*k)++] = (uint8_t)(size - 29);
}
static void mm_str(uint8_t *o, size_t *k, const char *s)
{
    size_t n = strlen(s);
    mm_ctrl(o, k, 2, n);
    memcpy(o + *k, s, n);
    *k += n;
}
static void mm_uint(uint8_t *o, size_t *k, int type, uint64_t v)
{
    uint8_t tmp[8];
    size_t n = 0;
    while (v) {
        tmp[n++] = (uint8_t)v;
        v >>= 8;
    }
    mm_ctrl(o, k, type, n);
    while (n)
        o[(*k)++] = tmp[--n];
}

/* Add a network (prefix over the 128-bit tree) pointing at data offset. */
static void mm_insert(struct mm *m, const uint8_t ip[16], unsigned bits, uint32_t off)
{
    uint32_t node = 0;
    for (unsigned i = 0; i < bits; i++) {
        int bit = (ip[i / 8] >> (7 - i % 8)) & 1;
        if (i == bits - 1) {
            m->nodes[node][bit] = MM_DATA | off;
            return;
        }
        if (m->nodes[node][bit] == 0 || (m->nodes[node][bit] & MM_DATA)) {
            m->nodes[m->n_nodes][0] = m->nodes[m->n_nodes][1] = 0;
            m->nodes[node][bit] = (uint32_t)m->n_nodes + 1;
            m->n_nodes++;
        }
        node = m->nodes[node][bit] - 1;
    }
}

static uint32_t mm_record(const struct mm *m, uint32_t v)
{
    if (v == 0)
        return (uint32_t)m->n_nodes;
    if (v & MM_DATA)
        return (uint32_t)m->n_nodes + 16 + (v & ~MM_DATA);
    return v - 1;
}

/* Write an IPv6 MMDB with: 81.2.69.0/24 -> GB, AS 20712 "Andrews & Arnold"
 * (GeoLite2 layout), 2a02:8010::/32 -> country_code DE (ip-location-db
 * layout), 216.160.83.56/29 -> US, AS 209 (no org). */
static void write_test_mmdb(const char *path)
{
    struct mm m;
    memset(&m, 0, sizeof m);
    m.nodes = calloc(4096, sizeof *m.nodes);
    m.n_nodes = 1;
    size_t k = 0;
    uint32_t off_gb = (uint32_t)k;
    mm_ctrl(m.data, &k, 7, 3);
    mm_str(m.data, &k, "country");
    mm_ctrl(m.data, &k, 7, 1);
    mm_str(m.data, &k, "iso_code");
    mm_str(m.data, &k, "GB");
    mm_str(m.data, &k, "autonomous_system_number");
    mm_uint(m.data, &k, 6, 20712);
    mm_str(m.data, &k, "autonomous_system_organization");
    mm_str(m.data, &k, "Andrews & Arnold Ltd");
    uint32_t off_de = (uint32_t)k;
    mm_ctrl(m.data, &k, 7, 1);
    mm_str(m.data, &k, "country_code");
    mm_str(m.data, &k, "DE");
    uint32_t off_us = (uint32_t)k;
    mm_ctrl(m.data, &k, 7, 2);
    mm_str(m.data, &k, "country_code");
    mm_str(m.data, &k, "US");
    mm_str(m.data, &k, "autonomous_system_number");
    mm_uint(m.data, &k, 6, 209);
    m.dlen = k;
    uint8_t ip[16] = {0};
    ip[12] = 81, ip[13] = 2, ip[14] = 69;
    mm_insert(&m, ip, 96 + 24, off_gb);
    memset(ip, 0, 16);
    ip[12] = 216, ip[13] = 160, ip[14] = 83, ip[15] = 56;
    mm_insert(&m, ip, 96 + 29, off_us);
    memset(ip, 0, 16);
    ip[0] = 0x2a, ip[1] = 0x02, ip[2] = 0x80, ip[3] = 0x10;
    mm_insert(&m, ip, 32, off_de);
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < m.n_nodes; i++) {
        for (int s = 0; s < 2; s++) {
            uint32_t v = mm_record(&m, m.nodes[i][s]);
            uint8_t b3[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
            fwrite(b3, 1, 3, f);
        }
    }
    static const uint8_t zero16[16] = {0};
    fwrite(zero16, 1, 16, f);
    fwrite(m.data, 1, m.dlen, f);
    fwrite("\xAB\xCD\xEFMaxMind.com", 1, 14, f);
    uint8_t md[512];
    k = 0;
    mm_ctrl(md, &k, 7, 9);
    mm_str(md, &k, "node_count");
    mm_uint(md, &k, 6, m.n_nodes);
    mm_str(md, &k, "record_size");
    mm_uint(md, &k, 5, 24);
    mm_str(md, &k, "ip_version");
    mm_uint(md, &k, 5, 6);
    mm_str(md, &k, "database_type");
    mm_str(md, &k, "flowsift-test");
    mm_str(md, &k, "languages");
    mm_ctrl(md, &k, 11, 0);
    mm_str(md, &k, "binary_format_major_version");
    mm_uint(md, &k, 5, 2);
    mm_str(md, &k, "binary_format_minor_version");
    mm_uint(md, &k, 5, 0);
    mm_str(md, &k, "build_epoch");
    mm_uint(md, &k, 9, 1732350000);
    mm_str(md, &k, "description");
    mm_ctrl(md, &k, 7, 0);
    fwrite(md, 1, k, f);
    fclose(f);
    free(m.nodes);
}

TEST(geo_mmdb_small_db)
{
    char path[] = "/tmp/flowsift-test-XXXXXX.mmdb";
    int fd = mkstemps(path, 5);
    ASSERT(fd >= 0);
    close(fd);
    write_test_mmdb(path);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "geo:\n  country_mmdb: %s\n  asn_mmdb: [%s]\n", path, path);
    struct fl_error err = {0};
    fl_config *cfg;
    int rc = fl_config_parse(&cfg, yaml, strlen(yaml), "geo.yaml", NULL, &err);
    if (rc)
        UNIT_FAIL("%s", err.msg);
    fl_enricher *e;
    rc = fl_enricher_open(&e, cfg, &err);
    if (rc)
        UNIT_FAIL("%s", err.msg);
    struct fl_enrich_info in;
    struct fl_ip ip = ip_of("81.2.69.160");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.country, "GB");
    ASSERT_EQ_INT(in.asn, 20712);
    ASSERT_EQ_STR(in.as_org, "Andrews & Arnold Ltd");
    ip = ip_of("81.2.69.0");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.country, "GB");
    ip = ip_of("81.2.70.0");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT(in.country == NULL && in.asn == 0);
    ip = ip_of("216.160.83.63");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.country, "US");
    ASSERT_EQ_INT(in.asn, 209);
    ASSERT(in.as_org == NULL);
    ip = ip_of("216.160.83.64");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT(in.country == NULL);
    ip = ip_of("2a02:8010:1::1");
    fl_enrich_lookup(e, &ip, &in);
    ASSERT_EQ_STR(in.country, "DE");
    ASSERT_EQ_INT(in.asn, 0);
    ip = ip_of("10.0.0.1"); /* private: never looked up */
    fl_enrich_lookup(e, &ip, &in);
    ASSERT(in.country == NULL);
    fl_enricher_close(e);
    fl_config_free(cfg);

    /* a corrupt configured database is an error naming the file */
    FILE *f = fopen(path, "wb");
    fputs("not a maxmind db", f);
    fclose(f);
    ASSERT_EQ_INT(fl_config_parse(&cfg, yaml, strlen(yaml), "geo.yaml", NULL, &err), FL_OK);
    rc = fl_enricher_open(&e, cfg, &err);
    ASSERT(rc != FL_OK);
    ASSERT(strstr(err.msg, path) != NULL);
    fl_config_free(cfg);
    unlink(path);
}

/* Facts on the real npm database live in tests/enrich/enrich_cli.t.sh,
 * which can skip without printing PASS when the database is absent. */

UNIT_MAIN()
