/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scope.c - the scope of an address from the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890 and its updates), plus
 * multicast (RFC 5771, RFC 4291).  docs/internals/enrich.md lists every
 * entry with its RFC.  The table is tiny and ordered most specific first,
 * so a linear scan is the whole algorithm; the enricher caches results per
 * distinct address anyway.
 */
#include "enrich_int.h"

struct scope_ent {
    uint8_t b[16];
    uint8_t bits; /* over the 128-bit form */
    uint8_t scope;
};

#define V4(a, b_, c, d, n, s)                                                  \
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b_, c, d}, (uint8_t)(96 + (n)), s}

/* IPv4 (all inside ::ffff:0:0/96). */
static const struct scope_ent v4tab[] = {
    V4(192, 0, 0, 9, 32, FL_SCOPE_PUBLIC),     /* PCP anycast, RFC 7723: global */
    V4(192, 0, 0, 10, 32, FL_SCOPE_PUBLIC),    /* TURN anycast, RFC 8155: global */
    V4(192, 0, 0, 0, 24, FL_SCOPE_RESERVED),   /* IETF protocol assignments, RFC 6890 */
    V4(192, 0, 2, 0, 24, FL_SCOPE_RESERVED),   /* TEST-NET-1, RFC 5737 */
    V4(192, 31, 196, 0, 24, FL_SCOPE_RESERVED),/* AS112-v4, RFC 7535 */
    V4(192, 52, 193, 0, 24, FL_SCOPE_RESERVED),/* AMT, RFC 7450 */
    V4(192, 88, 99, 0, 24, FL_SCOPE_RESERVED), /* 6to4 relay anycast (deprecated), RFC 7526 */
    V4(192, 175, 48, 0, 24, FL_SCOPE_RESERVED),/* Direct Delegation AS112, RFC 7534 */
    V4(198, 51, 100, 0, 24, FL_SCOPE_RESERVED),/* TEST-NET-2, RFC 5737 */
    V4(203, 0, 113, 0, 24, FL_SCOPE_RESERVED), /* TEST-NET-3, RFC 5737 */
    V4(255, 255, 255, 255, 32, FL_SCOPE_RESERVED), /* limited broadcast, RFC 919 */
    V4(0, 0, 0, 0, 8, FL_SCOPE_RESERVED),      /* "this network", RFC 791 */
    V4(10, 0, 0, 0, 8, FL_SCOPE_PRIVATE),      /* RFC 1918 */
    V4(100, 64, 0, 0, 10, FL_SCOPE_CGNAT),     /* shared address space, RFC 6598 */
    V4(127, 0, 0, 0, 8, FL_SCOPE_LOOPBACK),    /* RFC 1122 */
    V4(169, 254, 0, 0, 16, FL_SCOPE_LINK_LOCAL), /* RFC 3927 (incl. 169.254.169.254) */
    V4(172, 16, 0, 0, 12, FL_SCOPE_PRIVATE),   /* RFC 1918 */
    V4(192, 168, 0, 0, 16, FL_SCOPE_PRIVATE),  /* RFC 1918 */
    V4(198, 18, 0, 0, 15, FL_SCOPE_RESERVED),  /* benchmarking, RFC 2544 */
    V4(224, 0, 0, 0, 4, FL_SCOPE_MULTICAST),   /* RFC 5771 */
    V4(240, 0, 0, 0, 4, FL_SCOPE_RESERVED),    /* reserved, RFC 1112 */
};

/* IPv6 (everything outside ::ffff:0:0/96). */
static const struct scope_ent v6tab[] = {
    {{0}, 128, FL_SCOPE_RESERVED},                                    /* ::/128 unspecified, RFC 4291 */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, FL_SCOPE_LOOPBACK}, /* ::1/128 */
    {{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96, FL_SCOPE_PUBLIC},     /* 64:ff9b::/96 NAT64, RFC 6052: global */
    {{0x00, 0x64, 0xff, 0x9b, 0, 1}, 48, FL_SCOPE_RESERVED},          /* 64:ff9b:1::/48 local NAT64, RFC 8215 */
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, FL_SCOPE_RESERVED},          /* 100::/64 discard-only, RFC 6666 */
    {{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, FL_SCOPE_PUBLIC}, /* 2001:1::1/128 PCP anycast: global */
    {{0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 128, FL_SCOPE_PUBLIC}, /* 2001:1::2 TURN anycast */
    {{0x20, 0x01, 0x00, 0x03}, 32, FL_SCOPE_PUBLIC},                  /* 2001:3::/32 AMT, RFC 7450: global */
    {{0x20, 0x01, 0x00, 0x04, 0x01, 0x12}, 48, FL_SCOPE_PUBLIC},      /* 2001:4:112::/48 AS112-v6: global */
    {{0x20, 0x01, 0x00, 0x20}, 28, FL_SCOPE_PUBLIC},                  /* 2001:20::/28 ORCHIDv2, RFC 7343 */
    {{0x20, 0x01, 0x00, 0x30}, 28, FL_SCOPE_PUBLIC},                  /* 2001:30::/28 DRIP DETs, RFC 9374 */
    {{0x20, 0x01, 0x00, 0x02, 0, 0}, 48, FL_SCOPE_RESERVED},          /* 2001:2::/48 benchmarking, RFC 5180 */
    {{0x20, 0x01, 0x00, 0x00}, 23, FL_SCOPE_RESERVED},                /* 2001::/23 IETF protocol assignments, RFC 2928 */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, FL_SCOPE_RESERVED},                /* 2001:db8::/32 documentation, RFC 3849 */
    {{0x3f, 0xff}, 20, FL_SCOPE_RESERVED},                            /* 3fff::/20 documentation, RFC 9637 */
    {{0x20, 0x02}, 16, FL_SCOPE_RESERVED},                            /* 2002::/16 6to4, RFC 3056 */
    {{0x5f, 0x00}, 16, FL_SCOPE_RESERVED},                            /* 5f00::/16 SRv6 SIDs, RFC 9602 */
    {{0xfc}, 7, FL_SCOPE_PRIVATE},                                    /* fc00::/7 unique local, RFC 4193 */
    {{0xfe, 0x80}, 10, FL_SCOPE_LINK_LOCAL},                          /* fe80::/10 link-local unicast, RFC 4291 */
    {{0xff}, 8, FL_SCOPE_MULTICAST},                                  /* ff00::/8 multicast, RFC 4291 */
    {{0x00}, 8, FL_SCOPE_RESERVED},                                   /* ::/8 reserved by IETF (incl. IPv4-compatible), RFC 4291 */
};

static bool match(const struct scope_ent *e, const struct fl_ip *ip)
{
    unsigned full = e->bits / 8, rem = e->bits % 8;
    if (memcmp(e->b, ip->b, full) != 0)
        return false;
    if (rem == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rem));
    return (e->b[full] & mask) == (ip->b[full] & mask);
}

enum fl_scope fl_ip_scope(const struct fl_ip *ip)
{
    const struct scope_ent *t = fl_ip_is_v4(ip) ? v4tab : v6tab;
    size_t n = fl_ip_is_v4(ip) ? FL_ARRAY_LEN(v4tab) : FL_ARRAY_LEN(v6tab);
    for (size_t i = 0; i < n; i++) {
        /* cheap reject on the first octet of an IPv4 prefix of /8 or longer */
        if (t == v4tab && t[i].bits >= 104 && t[i].b[12] != ip->b[12])
            continue;
        if (match(&t[i], ip))
            return (enum fl_scope)t[i].scope;
    }
    if (!fl_ip_is_v4(ip)) {
        /* Global unicast is 2000::/3; everything else unassigned. */
        if ((ip->b[0] & 0xe0) != 0x20)
            return FL_SCOPE_RESERVED;
    }
    return FL_SCOPE_PUBLIC;
}

const char *fl_scope_name(enum fl_scope s)
{
    static const char *const names[FL_SCOPE__COUNT] = {
        "public", "private", "cgnat", "loopback", "link_local", "multicast", "reserved"};
    return (unsigned)s < FL_SCOPE__COUNT ? names[s] : "reserved";
}
