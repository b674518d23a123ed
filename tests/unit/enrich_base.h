/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enrich_base.h - the enrichment unit tests' shared fixture: one config over
 * the files of tests/data/enrich (internal CIDRs, two VPCs, nested assets,
 * an interface, three intel lists, AWS and Azure ranges, an ASN CSV, a
 * known scanner) and open_base(), which parses it and opens an enricher on
 * it (the test fails on any error).  Included by test_enrich.c and
 * test_enrich_cache.c after unit.h.
 */
#ifndef FL_TEST_ENRICH_BASE_H
#define FL_TEST_ENRICH_BASE_H

#include "fl/fl_config.h"
#include "fl/fl_enrich.h"
#include "unit.h"

static const char *base_yaml =
    "internal_cidrs: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7]\n"
    "vpcs:\n"
    "  vpc-prod: [10.1.0.0/16, fd00:1::/48]\n"
    "  vpc-dev: [10.2.0.0/16]\n"
    "assets:\n"
    "  10.0.0.0/8: {name: corp, tier: any, env: corp}\n"
    "  10.1.0.0/16: {name: prod-net, env: prod}\n"
    "  10.1.1.0/24: {name: frontend, tier: web, env: prod}\n"
    "  10.1.1.128/25: {name: frontend-canary, tier: web, env: canary}\n"
    "  10.1.1.200/32: {name: frontend-7, tier: web, env: prod}\n"
    "  10.1.2.0/24: {name: db, tier: db, env: prod}\n"
    "  fd00:1::/64: {name: v6-frontend, tier: web, env: prod}\n"
    "interfaces:\n"
    "  eni-0aaa: 10.1.1.10\n"
    "intel:\n"
    "  - {name: drop, file: spamhaus_drop.txt}\n"
    "  - {name: firehol, file: firehol.netset}\n"
    "  - {name: plain, file: intel_plain.txt}\n"
    "cloud_ranges:\n"
    "  aws: aws-ip-ranges.json\n"
    "  azure: azure-servicetags.json\n"
    "geo:\n"
    "  asn_csv: asn.csv\n"
    "  country_mmdb: []\n"
    "policy:\n"
    "  known_scanners: [10.9.9.9/32]\n";

static fl_enricher *open_base(fl_config **cfg_out)
{
    struct fl_error err = {0};
    fl_config *cfg = NULL;
    int rc = fl_config_parse(&cfg, base_yaml, strlen(base_yaml), "base.yaml",
                             "tests/data/enrich", &err);
    if (rc != FL_OK)
        UNIT_FAIL("config: %s", err.msg);
    fl_enricher *e = NULL;
    if (fl_enricher_open(&e, cfg, &err) != FL_OK)
        UNIT_FAIL("enricher: %s", err.msg);
    *cfg_out = cfg;
    return e;
}

#endif
