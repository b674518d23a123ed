/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipaddr.c - IPv4/IPv6 addresses and CIDRs in one 128-bit form (IPv4 is
 * v4-mapped), used by every layer: parsers validate addresses, enrichment
 * matches prefixes, the query engine implements contains().
 *
 * IPv4 text is parsed by a small scalar loop (the hot path); IPv6 goes to
 * the C library's inet_pton/inet_ntop.
 */
#include <arpa/inet.h>

#include "common_int.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool fl_ip_is_v4(const struct fl_ip *ip)
{
    return memcmp(ip->b, v4mapped, 12) == 0;
}

/* Strict dotted quad: four decimal parts 0-255, no leading zeros beyond a
 * single "0", nothing else. */
static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return FL_EPARSE;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < n && (unsigned)(s[i] - '0') < 10 && i - start < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t len = i - start;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && s[start] == '0'))
            return FL_EPARSE;
        out[part] = (uint8_t)v;
    }
    return i == n ? FL_OK : FL_EPARSE;
}

int fl_ip_parse(const char *s, size_t n, struct fl_ip *out)
{
    uint8_t v4[4];
    if (n >= 7 && n <= 15 && parse_v4(s, n, v4) == FL_OK) {
        memcpy(out->b, v4mapped, 12);
        memcpy(out->b + 12, v4, 4);
        return FL_OK;
    }
    char tmp[64];
    if (n < 2 || n >= sizeof tmp || memchr(s, ':', n) == NULL)
        return FL_EPARSE;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (inet_pton(AF_INET6, tmp, out->b) != 1)
        return FL_EPARSE;
    return FL_OK;
}

size_t fl_ip_format(const struct fl_ip *ip, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    if (fl_ip_is_v4(ip)) {
        int n = snprintf(buf, cap, "%u.%u.%u.%u", ip->b[12], ip->b[13],
                         ip->b[14], ip->b[15]);
        return n < 0 ? 0 : FL_MIN((size_t)n, cap - 1);
    }
    char tmp[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, ip->b, tmp, sizeof tmp)) {
        buf[0] = 0;
        return 0;
    }
    return fl_strlcpy(buf, tmp, strlen(tmp), cap);
}

int fl_cidr_parse(const char *s, size_t n, struct fl_cidr *out)
{
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    FL_TRY(fl_ip_parse(s, an, &out->ip));
    bool v4 = fl_ip_is_v4(&out->ip);
    unsigned bits = v4 ? 32 : 128;
    if (slash) {
        const char *p = slash + 1;
        size_t pn = n - an - 1;
        if (pn == 0 || pn > 3)
            return FL_EPARSE;
        unsigned v = 0;
        for (size_t i = 0; i < pn; i++) {
            if ((unsigned)(p[i] - '0') >= 10)
                return FL_EPARSE;
            v = v * 10 + (unsigned)(p[i] - '0');
        }
        if (v > bits)
            return FL_EPARSE;
        bits = v;
    }
    out->bits = (uint8_t)(v4 ? bits + 96 : bits);
    /* Clear host bits so that equal networks compare equal. */
    for (unsigned i = out->bits; i < 128; i++)
        out->ip.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return FL_OK;
}

bool fl_cidr_contains(const struct fl_cidr *c, const struct fl_ip *ip)
{
    unsigned full = c->bits / 8, rem = c->bits % 8;
    if (memcmp(c->ip.b, ip->b, full) != 0)
        return false;
    if (rem == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rem));
    return (c->ip.b[full] & mask) == (ip->b[full] & mask);
}

size_t fl_cidr_format(const struct fl_cidr *c, char *buf, size_t cap)
{
    size_t n = fl_ip_format(&c->ip, buf, cap);
    unsigned bits = fl_ip_is_v4(&c->ip) && c->bits >= 96 ? c->bits - 96u : c->bits;
    int m = snprintf(buf + n, cap - n, "/%u", bits);
    return m < 0 ? n : FL_MIN(n + (size_t)m, cap - 1);
}
