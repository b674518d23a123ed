/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_intel.c - libFuzzer target for the threat-intel list parser
 * (fl__intel_parse_line over every line of the input) and the range map
 * built from what it accepts.  Invariants checked, not only "no crash":
 *  - an accepted line gives a CIDR that formats and parses back to itself;
 *  - comment/blank lines are never counted as malformed;
 *  - after building the range map from every accepted CIDR, the first and
 *    the last address of each CIDR are found in it, and an address found
 *    in none of them (checked by brute force for the few first inputs) is
 *    not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrich_int.h"

#include "fuzz_check.h"

#define MAXC 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fl_cidr cs[MAXC];
    size_t nc = 0;
    struct fl__rmap_builder b;
    fl__rmap_builder_init(&b, 0);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        bool has = false;
        struct fl_cidr c;
        int rc = fl__intel_parse_line(p, n, &has, &c);
        CHECK(rc == FL_OK || rc == FL_EPARSE);
        CHECK(!(rc == FL_EPARSE && has));
        if (n == 0 || p[0] == '#')
            CHECK(rc == FL_OK && !has);
        if (has) {
            char buf[64];
            struct fl_cidr back;
            size_t k = fl_cidr_format(&c, buf, sizeof buf);
            CHECK(fl_cidr_parse(buf, k, &back) == FL_OK);
            CHECK(back.bits == c.bits && memcmp(back.ip.b, c.ip.b, 16) == 0);
            if (nc < MAXC) {
                cs[nc++] = c;
                CHECK(fl__rmap_add_cidr(&b, &c, 1, 0) == FL_OK);
            }
        }
        p += n + (nl ? 1 : 0);
    }
    struct fl__rmap m;
    CHECK(fl__rmap_build(&b, &m) == FL_OK);
    for (size_t i = 0; i < nc; i++) {
        struct fl_ip lo = cs[i].ip, hi = cs[i].ip;
        for (unsigned bit = cs[i].bits; bit < 128; bit++)
            hi.b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
        CHECK(fl__rmap_get(&m, &lo) == 1);
        CHECK(fl__rmap_get(&m, &hi) == 1);
        /* one past the end: in the map only if another CIDR holds it */
        struct fl_ip nx = hi;
        int j = 15;
        while (j >= 0 && ++nx.b[j] == 0)
            j--;
        if (j >= 0) {
            bool want = false;
            for (size_t k = 0; k < nc && !want; k++)
                want = fl_cidr_contains(&cs[k], &nx);
            CHECK((fl__rmap_get(&m, &nx) == 1) == want);
        }
    }
    fl__rmap_free(&m);
    return 0;
}
