/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intel.c - threat-intel lists in the common plain formats: one IP or CIDR
 * per line with '#' comments (FireHOL netsets, abuse.ch, Emerging Threats
 * block lists), Spamhaus DROP text ("1.10.16.0/20 ; SBL256894", ';'
 * comments) and Spamhaus DROP JSON lines ({"cidr":"1.10.16.0/20",...}).
 * Text after the first whitespace of a line is ignored.  A malformed line is
 * counted, the first one is kept with file:line for the report, and the load
 * goes on; only an unreadable file is an error.
 */
#include "enrich_int.h"

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

int fl__intel_parse_line(const char *s, size_t n, bool *has, struct fl_cidr *out)
{
    *has = false;
    /* strip comments and trailing text */
    const char *end = s + n;
    while (s < end && is_space(*s))
        s++;
    if (s == end || *s == '#' || *s == ';')
        return FL_OK;
    if (*s == '{') { /* Spamhaus JSON line: take "cidr" */
        static const char key[] = "\"cidr\"";
        const char *k = NULL;
        for (const char *q = s; q + sizeof key - 1 <= end; q++)
            if (memcmp(q, key, sizeof key - 1) == 0) {
                k = q + sizeof key - 1;
                break;
            }
        if (!k) /* metadata lines ({"type":"metadata",...}) carry no cidr */
            return FL_OK;
        while (k < end && (is_space(*k) || *k == ':'))
            k++;
        if (k >= end || *k != '"')
            return FL_EPARSE;
        const char *v = ++k;
        while (k < end && *k != '"')
            k++;
        if (k >= end)
            return FL_EPARSE;
        if (fl_cidr_parse(v, (size_t)(k - v), out) != FL_OK)
            return FL_EPARSE;
        *has = true;
        return FL_OK;
    }
    const char *t = s;
    while (t < end && !is_space(*t) && *t != '#' && *t != ';' && *t != ',')
        t++;
    /* IP ranges "a-b" (some netsets) are not CIDRs: malformed for us. */
    if (fl_cidr_parse(s, (size_t)(t - s), out) != FL_OK)
        return FL_EPARSE;
    *has = true;
    return FL_OK;
}

static void sanitize(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        dst[k++] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
    dst[k] = 0;
}

int fl__intel_load(const char *path, struct fl__rmap_builder *b, struct fl_intel_load_stats *st,
                   struct fl_error *err)
{
    struct fl__tlines l;
    FL_TRY(fl__tlines_open(&l, path, 64u << 10, err));
    const char *s;
    size_t n;
    bool too_long;
    int rc = FL_OK;
    while (rc == FL_OK && fl__tlines_next(&l, &s, &n, &too_long)) {
        bool has;
        struct fl_cidr c;
        if (too_long || fl__intel_parse_line(s, n, &has, &c) != FL_OK) {
            if (!st->malformed++) {
                st->first_bad_line = l.line;
                sanitize(st->first_bad, sizeof st->first_bad, s, too_long ? 0 : n);
            }
            continue;
        }
        if (!has)
            continue;
        rc = fl__rmap_add_cidr(b, &c, 1, 0);
        if (rc == FL_OK)
            st->entries++;
    }
    bool ioerr = l.err;
    fl__tlines_close(&l);
    if (rc)
        return fl_error_set(err, rc, "%s: %s", path, fl_strerror(rc));
    if (ioerr)
        return fl_error_set(err, FL_EIO, "%s: read error", path);
    return FL_OK;
}
