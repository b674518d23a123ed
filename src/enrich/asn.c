/* SPDX-License-Identifier: Apache-2.0 */
/*
 * asn.c - ASN and AS organisation from range CSV files, the format of the
 * free ip-location-db `asn` package ("first,last,asn,org" per line, the
 * addresses as text or, in the -num files, as IPv4 integers; the org may be
 * a quoted CSV field).  No free MMDB carries AS organisation names, and the
 * dashboards need them, so these ranges go straight into the enrichment's
 * range map (value = ASN) and the names into an ASN -> org table.
 */
#include "enrich_int.h"

uint32_t fl__asn_org_get(const struct fl__asn_orgs *o, uint32_t asn)
{
    if (!o->cap || !asn)
        return 0;
    uint32_t i = (uint32_t)fl_hash64(asn) & (o->cap - 1);
    while (o->asn[i]) {
        if (o->asn[i] == asn)
            return o->org[i];
        i = (i + 1) & (o->cap - 1);
    }
    return 0;
}

int fl__asn_org_put(struct fl__asn_orgs *o, uint32_t asn, uint32_t org)
{
    if (!asn)
        return FL_OK;
    if ((o->n + 1) * 2 > o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 1024;
        uint32_t *na = fl_calloc(cap, sizeof *na), *no = fl_calloc(cap, sizeof *no);
        if (!na || !no) {
            fl_free(na);
            fl_free(no);
            return FL_ENOMEM;
        }
        for (uint32_t j = 0; j < o->cap; j++) {
            if (!o->asn[j])
                continue;
            uint32_t i = (uint32_t)fl_hash64(o->asn[j]) & (cap - 1);
            while (na[i])
                i = (i + 1) & (cap - 1);
            na[i] = o->asn[j];
            no[i] = o->org[j];
        }
        fl_free(o->asn);
        fl_free(o->org);
        o->asn = na;
        o->org = no;
        o->cap = cap;
    }
    uint32_t i = (uint32_t)fl_hash64(asn) & (o->cap - 1);
    while (o->asn[i]) {
        if (o->asn[i] == asn) {
            if (!o->org[i])
                o->org[i] = org;
            return FL_OK;
        }
        i = (i + 1) & (o->cap - 1);
    }
    o->asn[i] = asn;
    o->org[i] = org;
    o->n++;
    return FL_OK;
}

void fl__asn_orgs_free(struct fl__asn_orgs *o)
{
    fl_free(o->asn);
    fl_free(o->org);
    memset(o, 0, sizeof *o);
}

/* One CSV field at *p (quoted or not); unquoted into tmp when needed. */
static bool field(const char **p, const char *end, const char **s, size_t *n,
                  char *tmp, size_t tcap)
{
    const char *q = *p;
    if (q < end && *q == '"') {
        size_t k = 0;
        q++;
        for (;;) {
            if (q >= end)
                return false;
            if (*q == '"') {
                if (q + 1 < end && q[1] == '"') {
                    if (k < tcap)
                        tmp[k++] = '"';
                    q += 2;
                    continue;
                }
                q++;
                break;
            }
            if (k < tcap)
                tmp[k++] = *q;
            q++;
        }
        *s = tmp;
        *n = k;
    } else {
        const char *c = memchr(q, ',', (size_t)(end - q));
        if (!c)
            c = end;
        *s = q;
        *n = (size_t)(c - q);
        q = c;
    }
    if (q < end) {
        if (*q != ',')
            return false;
        q++;
    }
    *p = q;
    return true;
}

static bool parse_addr(const char *s, size_t n, struct fl_ip *ip)
{
    if (fl_ip_parse(s, n, ip) == FL_OK)
        return true;
    uint64_t v;
    if (fl_parse_u64(s, n, &v) != FL_OK || v > UINT32_MAX)
        return false;
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memcpy(ip->b, pre, 12);
    ip->b[12] = (uint8_t)(v >> 24);
    ip->b[13] = (uint8_t)(v >> 16);
    ip->b[14] = (uint8_t)(v >> 8);
    ip->b[15] = (uint8_t)v;
    return true;
}

int fl__asn_csv_load(const char *path, struct fl__rmap_builder *b, struct fl__strpool *pool,
                     struct fl__asn_orgs *orgs, uint64_t *n_ranges, struct fl_error *err)
{
    struct fl__tlines l;
    FL_TRY(fl__tlines_open(&l, path, 1u << 20, err));
    const char *s;
    size_t n;
    bool too_long;
    uint64_t bad = 0, bad_line = 0;
    uint32_t last_asn = 0, last_org = 0;
    int rc = FL_OK;
    char tmp[512];
    while (rc == FL_OK && fl__tlines_next(&l, &s, &n, &too_long)) {
        if (n == 0 || s[0] == '#')
            continue;
        const char *p = s, *end = s + n, *f1, *f2, *f3, *f4;
        size_t n1, n2, n3, n4;
        struct fl_ip a, z;
        uint64_t asn;
        if (too_long || !field(&p, end, &f1, &n1, NULL, 0) || !field(&p, end, &f2, &n2, NULL, 0) ||
            !field(&p, end, &f3, &n3, NULL, 0) || !parse_addr(f1, n1, &a) ||
            !parse_addr(f2, n2, &z) || fl_parse_u64(f3, n3, &asn) != FL_OK ||
            asn == 0 || asn > UINT32_MAX || fl_ip_is_v4(&a) != fl_ip_is_v4(&z)) {
            if (!bad++)
                bad_line = l.line;
            continue;
        }
        fl_u128 lo = fl__ip_u128(&a), hi = fl__ip_u128(&z);
        if (lo > hi) {
            if (!bad++)
                bad_line = l.line;
            continue;
        }
        f4 = NULL;
        n4 = 0;
        if (p < end && !field(&p, end, &f4, &n4, tmp, sizeof tmp))
            f4 = NULL;
        /* an org is interned once per ASN, not once per range */
        if ((uint32_t)asn != last_asn && !fl__asn_org_get(orgs, (uint32_t)asn)) {
            uint32_t org = f4 && n4 ? fl__str_intern(pool, f4, n4) : 0;
            rc = fl__asn_org_put(orgs, (uint32_t)asn, org);
            last_asn = (uint32_t)asn;
            last_org = org;
        }
        (void)last_org;
        if (rc == FL_OK)
            rc = fl__rmap_add_range(b, lo, hi, (uint32_t)asn, 0);
        if (rc == FL_OK)
            (*n_ranges)++;
    }
    bool ioerr = l.err;
    fl__tlines_close(&l);
    if (rc)
        return fl_error_set(err, rc, "%s: %s", path, fl_strerror(rc));
    if (ioerr)
        return fl_error_set(err, FL_EIO, "%s: read error", path);
    if (bad)
        fl_warn("%s: %llu malformed ASN lines ignored (first at line %llu)", path,
                (unsigned long long)bad, (unsigned long long)bad_line);
    return FL_OK;
}
