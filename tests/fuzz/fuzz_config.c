/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - libFuzzer target for the flowsift.yaml loader
 * (fl_config_parse: libyaml document API + validation).  Invariants checked,
 * not only "no crash":
 *  - success <=> a config is returned; failure => NULL and a one-line
 *    message that starts with "fuzz.yaml:" (file:line:col or file:);
 *  - parse errors (FL_EPARSE) carry a line >= 1 in err.line;
 *  - on success every accessor is consistent: asset CIDRs format and parse
 *    back to themselves, countries are two upper-case letters, admin ports
 *    are 1..65535, tier pairs have both sides;
 *  - parsing the same bytes twice gives the same outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/fl_config.h"

#include "fuzz_check.h"

static void check_config(const fl_config *c)
{
    const struct fl_config_asset *a;
    size_t n = fl_config_assets(c, &a);
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        struct fl_cidr back;
        size_t k = fl_cidr_format(&a[i].cidr, buf, sizeof buf);
        CHECK(fl_cidr_parse(buf, k, &back) == FL_OK);
        CHECK(back.bits == a[i].cidr.bits && memcmp(back.ip.b, a[i].cidr.ip.b, 16) == 0);
        CHECK(a[i].name || a[i].tier || a[i].env);
        CHECK(a[i].line >= 1);
    }
    const struct fl_config_policy *p = fl_config_policy(c);
    for (size_t i = 0; i < p->n_approved_countries; i++)
        CHECK(p->approved_countries[i][0] >= 'A' && p->approved_countries[i][0] <= 'Z' &&
              p->approved_countries[i][1] >= 'A' && p->approved_countries[i][1] <= 'Z' &&
              p->approved_countries[i][2] == 0);
    for (size_t i = 0; i < p->n_admin_ports; i++)
        CHECK(p->admin_ports[i] >= 1);
    for (size_t i = 0; i < p->n_allowed_tier_pairs; i++)
        CHECK(p->allowed_tier_pairs[i].src && p->allowed_tier_pairs[i].dst &&
              p->allowed_tier_pairs[i].src[0] && p->allowed_tier_pairs[i].dst[0]);
    const struct fl_config_vpc *v;
    size_t nv = fl_config_vpcs(c, &v);
    for (size_t i = 0; i < nv; i++)
        CHECK(v[i].name && v[i].n_cidrs >= 1);
    const struct fl_config_intel *in;
    size_t ni = fl_config_intel(c, &in);
    for (size_t i = 0; i < ni; i++)
        CHECK(in[i].name && in[i].path);
    const struct fl_config_storage *s = fl_config_storage(c);
    CHECK(s->row_group_rows >= 1024 && s->retention_days >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fl_config *c1 = NULL, *c2 = NULL;
    struct fl_error e1, e2;
    memset(&e1, 0, sizeof e1);
    memset(&e2, 0, sizeof e2);
    int rc1 = fl_config_parse(&c1, (const char *)data, size, "fuzz.yaml", "tests/data/enrich", &e1);
    int rc2 = fl_config_parse(&c2, (const char *)data, size, "fuzz.yaml", "tests/data/enrich", &e2);
    CHECK(rc1 == rc2);
    CHECK((rc1 == FL_OK) == (c1 != NULL));
    if (rc1 == FL_OK) {
        check_config(c1);
        size_t n1 = fl_config_assets(c1, &(const struct fl_config_asset *){0}),
               n2 = fl_config_assets(c2, &(const struct fl_config_asset *){0});
        CHECK(n1 == n2);
    } else {
        CHECK(strncmp(e1.msg, "fuzz.yaml:", 10) == 0);
        CHECK(strchr(e1.msg, '\n') == NULL);
        CHECK(strcmp(e1.msg, e2.msg) == 0);
        if (rc1 == FL_EPARSE)
            CHECK(e1.line >= 1);
    }
    fl_config_free(c1);
    fl_config_free(c2);
    return 0;
}
