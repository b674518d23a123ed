/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - unit tests of flowsift.yaml loading: the defaults, a full
 * valid config read back through every accessor, and a table of bad configs
 * with the exact "file:line:col: message" each must produce (bad YAML,
 * unknown keys, bad CIDRs and values, duplicates, unreadable files).
 */
#include <stdlib.h>
#include <unistd.h>

#include "fl/fl_config.h"
#include "unit.h"

TEST(defaults)
{
    fl_config *c;
    struct fl_error err;
    ASSERT_EQ_INT(fl_config_defaults(&c, &err), FL_OK);
    ASSERT(fl_config_path(c) == NULL);
    const struct fl_cidr *ic;
    ASSERT_EQ_INT(fl_config_internal(c, &ic), 5);
    char buf[64];
    fl_cidr_format(&ic[0], buf, sizeof buf);
    ASSERT_EQ_STR(buf, "10.0.0.0/8");
    fl_cidr_format(&ic[3], buf, sizeof buf);
    ASSERT_EQ_STR(buf, "100.64.0.0/10");
    fl_cidr_format(&ic[4], buf, sizeof buf);
    ASSERT_EQ_STR(buf, "fc00::/7");
    const struct fl_config_policy *p = fl_config_policy(c);
    ASSERT_EQ_INT(p->n_admin_ports, 4);
    ASSERT_EQ_INT(p->admin_ports[0], 22);
    ASSERT_EQ_INT(p->admin_ports[3], 6443);
    ASSERT(fl_config_country_approved(c, "KP")); /* no list: all approved */
    const struct fl_config_storage *s = fl_config_storage(c);
    ASSERT_EQ_STR(s->codec, "zstd");
    ASSERT_EQ_INT(s->row_group_rows, 1 << 20);
    const struct fl_config_geo *g = fl_config_geo(c);
    ASSERT(g->enabled && g->country_default && g->asn_default);
    ASSERT_EQ_INT(g->n_country_mmdb, 1);
    ASSERT(strstr(g->country_mmdb[0], "geo-whois-asn-country.mmdb") != NULL);
    ASSERT_EQ_INT(g->n_asn_csv, 2);
    fl_config_free(c);
}

TEST(missing_file_gives_defaults_but_explicit_path_does_not)
{
    fl_config *c;
    struct fl_error err;
    ASSERT_EQ_INT(fl_config_load(&c, "tests/data/enrich/no-such-home", NULL, &err), FL_OK);
    ASSERT(fl_config_path(c) == NULL);
    fl_config_free(c);
    ASSERT_EQ_INT(fl_config_load(&c, NULL, "tests/data/enrich/no-such.yaml", &err), FL_EIO);
    ASSERT(c == NULL);
    ASSERT(strstr(err.msg, "no-such.yaml") != NULL);
}

TEST(full_config_round_trip)
{
    const char *good =
        "version: 1\n"
        "storage:\n"
        "  partition_by_hour: yes\n"
        "  codec: snappy\n"
        "  row_group_rows: 65536\n"
        "  retention_days: 30\n"
        "geo:\n"
        "  enabled: true\n"
        "  asn_csv: asn.csv\n"
        "  country_mmdb: []\n"
        "internal_cidrs:\n"
        "  - 10.0.0.0/8\n"
        "  - 2600:1f18:abcd::/48\n"
        "vpcs:\n"
        "  vpc-0a1b2c: [10.1.0.0/16]\n"
        "  shared: 10.9.0.0/16\n"
        "assets:\n"
        "  10.1.1.0/24: {name: frontend, tier: web, env: prod}\n"
        "  10.1.2.0/24: db\n"
        "interfaces:\n"
        "  eni-0abc: 10.1.1.5\n"
        "intel:\n"
        "  drop: spamhaus_drop.txt\n"
        "  plain: intel_plain.txt\n"
        "cloud_ranges:\n"
        "  aws: [aws-ip-ranges.json]\n"
        "  azure: azure-servicetags.json\n"
        "policy:\n"
        "  approved_countries: [us, DE]\n"
        "  approved_egress_cidrs: [52.216.0.0/15]\n"
        "  admin_ports: [22, 3389]\n"
        "  allowed_tier_pairs: ['web -> app', [app, db], 'lb->web']\n"
        "  known_scanners: 10.9.9.9/32\n";
    fl_config *c;
    struct fl_error err = {0};
    int rc = fl_config_parse(&c, good, strlen(good), "good.yaml", "tests/data/enrich", &err);
    if (rc)
        UNIT_FAIL("%s", err.msg);
    const struct fl_config_storage *s = fl_config_storage(c);
    ASSERT(s->partition_by_hour);
    ASSERT_EQ_STR(s->codec, "snappy");
    ASSERT_EQ_INT(s->row_group_rows, 65536);
    ASSERT_EQ_INT(s->retention_days, 30);
    const struct fl_config_geo *g = fl_config_geo(c);
    ASSERT(!g->asn_default && !g->country_default);
    ASSERT_EQ_INT(g->n_country_mmdb, 0);
    ASSERT_EQ_INT(g->n_asn_csv, 1);
    ASSERT_EQ_STR(g->asn_csv[0], "tests/data/enrich/asn.csv");
    const struct fl_cidr *ic;
    ASSERT_EQ_INT(fl_config_internal(c, &ic), 2);
    const struct fl_config_vpc *v;
    ASSERT_EQ_INT(fl_config_vpcs(c, &v), 2);
    ASSERT_EQ_STR(v[0].name, "vpc-0a1b2c");
    ASSERT_EQ_STR(v[1].name, "shared");
    ASSERT_EQ_INT(v[1].n_cidrs, 1);
    const struct fl_config_asset *a;
    ASSERT_EQ_INT(fl_config_assets(c, &a), 2);
    ASSERT_EQ_STR(a[0].name, "frontend");
    ASSERT_EQ_STR(a[0].tier, "web");
    ASSERT_EQ_STR(a[0].env, "prod");
    ASSERT_EQ_INT(a[0].line, 18);
    ASSERT_EQ_STR(a[1].name, "db");
    ASSERT(a[1].tier == NULL);
    const struct fl_config_iface *f;
    ASSERT_EQ_INT(fl_config_ifaces(c, &f), 1);
    ASSERT_EQ_STR(f[0].interface_id, "eni-0abc");
    const struct fl_config_intel *in;
    ASSERT_EQ_INT(fl_config_intel(c, &in), 2);
    ASSERT_EQ_STR(in[0].name, "drop");
    ASSERT_EQ_STR(in[1].path, "tests/data/enrich/intel_plain.txt");
    const struct fl_config_ranges *r;
    ASSERT_EQ_INT(fl_config_cloud_ranges(c, &r), 2);
    ASSERT_EQ_INT(r[0].kind, FL_RANGES_AWS);
    ASSERT_EQ_INT(r[1].kind, FL_RANGES_AZURE);
    const struct fl_config_policy *p = fl_config_policy(c);
    ASSERT_EQ_INT(p->n_approved_countries, 2);
    ASSERT_EQ_STR(p->approved_countries[0], "US");
    ASSERT(fl_config_country_approved(c, "de"));
    ASSERT(!fl_config_country_approved(c, "CN"));
    ASSERT(!fl_config_country_approved(c, NULL));
    ASSERT_EQ_INT(p->n_approved_egress_cidrs, 1);
    ASSERT_EQ_INT(p->n_admin_ports, 2);
    ASSERT_EQ_INT(p->admin_ports[1], 3389);
    ASSERT_EQ_INT(p->n_allowed_tier_pairs, 3);
    ASSERT_EQ_STR(p->allowed_tier_pairs[0].src, "web");
    ASSERT_EQ_STR(p->allowed_tier_pairs[0].dst, "app");
    ASSERT_EQ_STR(p->allowed_tier_pairs[1].dst, "db");
    ASSERT_EQ_STR(p->allowed_tier_pairs[2].src, "lb");
    ASSERT_EQ_INT(p->n_known_scanners, 1);
    fl_config_free(c);
}

TEST(empty_and_sequence_forms)
{
    fl_config *c;
    struct fl_error err = {0};
    ASSERT_EQ_INT(fl_config_parse(&c, "", 0, "empty.yaml", NULL, &err), FL_OK);
    fl_config_free(c);
    ASSERT_EQ_INT(fl_config_parse(&c, "# just a comment\n", 17, "c.yaml", NULL, &err), FL_OK);
    fl_config_free(c);
    const char *seq = "assets:\n"
                      "  - {cidr: 10.1.1.0/24, name: a, tier: web}\n"
                      "  - {cidr: 'fd00::/8', env: lab}\n"
                      "intel:\n"
                      "  - name: drop\n"
                      "    file: spamhaus_drop.txt\n"
                      "assets_unused_check: null\n";
    int rc = fl_config_parse(&c, seq, strlen(seq), "seq.yaml", "tests/data/enrich", &err);
    ASSERT_EQ_INT(rc, FL_EPARSE); /* last key is unknown */
    ASSERT(strstr(err.msg, "seq.yaml:7:1: unknown key 'assets_unused_check'") != NULL);
    rc = fl_config_parse(&c, seq, strlen(seq) - strlen("assets_unused_check: null\n"), "seq.yaml",
                         "tests/data/enrich", &err);
    if (rc)
        UNIT_FAIL("%s", err.msg);
    const struct fl_config_asset *a;
    ASSERT_EQ_INT(fl_config_assets(c, &a), 2);
    ASSERT_EQ_STR(a[1].env, "lab");
    ASSERT_EQ_INT(a[1].line, 3);
    fl_config_free(c);
}

/* A table of bad configs and the message each must give (a substring,
 * starting with file:line:col). */
static const struct {
    const char *yaml;
    int rc;
    const char *msg;
} bad[] = {
    {"assets: [\n", FL_EPARSE, "t.yaml:2:1: bad YAML: did not find expected node content"},
    {"a: b\n c: d\n", FL_EPARSE, "t.yaml:2:3: bad YAML: mapping values are not allowed"},
    {"asets: {}\n", FL_EPARSE, "t.yaml:1:1: unknown key 'asets' in the top level (expected one of: version, storage"},
    {"storage:\n  codec: lz4\n", FL_EPARSE, "t.yaml:2:10: storage.codec must be zstd, snappy, gzip or none, not 'lz4'"},
    {"storage:\n  compression: zstd\n", FL_EPARSE, "t.yaml:2:3: unknown key 'compression' in storage"},
    {"storage:\n  retention_days: -1\n", FL_EPARSE, "t.yaml:2:19: storage.retention_days must be an integer from 0 to 36500, not '-1'"},
    {"storage:\n  partition_by_hour: maybe\n", FL_EPARSE, "t.yaml:2:22: storage.partition_by_hour must be true or false, not 'maybe'"},
    {"storage: zstd\n", FL_EPARSE, "t.yaml:1:10: storage must be a mapping, not a scalar"},
    {"internal_cidrs: [10.0.0.0/8, 10.0.0.0/33]\n", FL_EPARSE, "t.yaml:1:30: bad CIDR '10.0.0.0/33' in internal_cidrs"},
    {"internal_cidrs: [10.1.1.1/24]\n", FL_EPARSE, "t.yaml:1:18: CIDR '10.1.1.1/24' in internal_cidrs has host bits set (did you mean 10.1.1.0/24?)"},
    {"assets:\n  10.1.1.0/24: {name: a}\n  10.1.2.0/24: {nmae: b}\n", FL_EPARSE, "t.yaml:3:17: unknown key 'nmae' in an asset"},
    {"assets:\n  10.1.1.0/24: {name: a}\n  10.1.1.0/24: {name: b}\n", FL_EPARSE, "t.yaml:3:1: duplicate asset CIDR 10.1.1.0/24 (first at line 2)"},
    {"assets:\n  banana: {name: a}\n", FL_EPARSE, "t.yaml:2:3: bad CIDR 'banana' in assets"},
    {"assets:\n  10.1.1.0/24: {tier: [a]}\n", FL_EPARSE, "t.yaml:2:23: asset tier must be a value, not a list"},
    {"assets:\n  - {name: x}\n", FL_EPARSE, "t.yaml:2:5: asset without a cidr"},
    {"assets:\n  10.1.1.0/24: {}\n", FL_EPARSE, "t.yaml:2:16: asset needs a name, tier or env"},
    {"vpcs:\n  vpc-1: []\n", FL_EPARSE, "t.yaml:2:10: VPC 'vpc-1' has no CIDRs"},
    {"vpcs:\n  vpc-1: [10.0.0.0/16]\n  vpc-1: [10.1.0.0/16]\n", FL_EPARSE, "t.yaml:3:3: duplicate VPC 'vpc-1'"},
    {"intel:\n  - {name: drop, file: no-such-list.txt}\n", FL_EIO, "t.yaml:2:24: cannot read intel list file 'tests/data/enrich/no-such-list.txt': No such file or directory"},
    {"intel:\n  - {name: 'bad name', file: asn.csv}\n", FL_EPARSE, "t.yaml:2:12: intel list name 'bad name' may contain only"},
    {"intel:\n  - {name: a, file: asn.csv}\n  - {name: a, file: asn.csv}\n", FL_EPARSE, "t.yaml:3:12: duplicate intel list 'a'"},
    {"intel:\n  - {name: a}\n", FL_EPARSE, "t.yaml:2:5: an intel list needs a name and a file"},
    {"intel:\n  - {name: a, file: .}\n", FL_EIO, "t.yaml:2:21: intel list file 'tests/data/enrich/.' is not a regular file"},
    {"geo:\n  country_mmdb: /nonexistent/GeoLite2-Country.mmdb\n", FL_EIO, "t.yaml:2:17: cannot read geo.country_mmdb '/nonexistent/GeoLite2-Country.mmdb'"},
    {"geo:\n  city_mmdb: x.mmdb\n", FL_EPARSE, "t.yaml:2:3: unknown key 'city_mmdb' in geo"},
    {"cloud_ranges:\n  gcp: x.json\n", FL_EPARSE, "t.yaml:2:3: unknown key 'gcp' in cloud_ranges"},
    {"policy:\n  approved_countries: [USA]\n", FL_EPARSE, "t.yaml:2:24: 'USA' is not an ISO 3166 alpha-2 country code"},
    {"policy:\n  admin_ports: [22, 70000]\n", FL_EPARSE, "t.yaml:2:21: an admin port must be an integer from 1 to 65535, not '70000'"},
    {"policy:\n  allowed_tier_pairs: [web]\n", FL_EPARSE, "t.yaml:2:24: tier pair 'web' must look like 'web -> app'"},
    {"policy:\n  allowed_tier_pairs: [[web]]\n", FL_EPARSE, "t.yaml:2:24: a tier pair is [src_tier, dst_tier]"},
    {"policy:\n  known_scanners: [1.2.3]\n", FL_EPARSE, "t.yaml:2:20: bad CIDR '1.2.3' in policy.known_scanners"},
    {"policy:\n  approved_countries: [US]\n  approved_countries: [DE]\n", FL_EPARSE, "t.yaml:3:3: duplicate key 'approved_countries' in policy (first at line 2)"},
    {"interfaces:\n  eni-1: 10.0.0.300\n", FL_EPARSE, "t.yaml:2:10: bad address '10.0.0.300' for interface eni-1"},
    {"version: 2\n", FL_EPARSE, "t.yaml:1:10: version must be an integer from 1 to 1, not '2'"},
    {"- a\n- b\n", FL_EPARSE, "t.yaml:1:1: the top level must be a mapping, not a list"},
    {"a: 1\n---\nb: 2\n", FL_EPARSE, "t.yaml:1:1: unknown key 'a'"},
    {"version: 1\n---\nversion: 1\n", FL_EPARSE, "t.yaml:3:1: only one YAML document is allowed"},
    {"x: &a [*a]\n", FL_EPARSE, "t.yaml:1:"},
};

TEST(bad_config_table)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fl_config *c = (fl_config *)1;
        struct fl_error err = {0};
        int rc = fl_config_parse(&c, bad[i].yaml, strlen(bad[i].yaml), "t.yaml",
                                 "tests/data/enrich", &err);
        if (rc != bad[i].rc || c != NULL)
            UNIT_FAIL("case %zu: rc %d (want %d): %s", i, rc, bad[i].rc, err.msg);
        if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
            UNIT_FAIL("case %zu:\n  got  %s\n  want %s", i, err.msg, bad[i].msg);
        if (err.line == 0 || strcmp(err.source, "t.yaml") != 0)
            UNIT_FAIL("case %zu: no position (%s:%llu)", i, err.source,
                      (unsigned long long)err.line);
    }
}

TEST(load_from_home)
{
    char dir[] = "/tmp/flowsift-cfg-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/flowsift.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("assets:\n  10.0.0.0/8: corp\n  192.168.1.0/24: {name: lab}\n", f);
    fclose(f);
    fl_config *c;
    struct fl_error err = {0};
    ASSERT_EQ_INT(fl_config_load(&c, dir, NULL, &err), FL_OK);
    ASSERT_EQ_STR(fl_config_path(c), path);
    const struct fl_config_asset *a;
    ASSERT_EQ_INT(fl_config_assets(c, &a), 2);
    fl_config_free(c);
    f = fopen(path, "w");
    fputs("assets:\n  10.0.0.0/8: corp\n  192.168.1.0/24: {name: lab, zone: x}\n", f);
    fclose(f);
    ASSERT_EQ_INT(fl_config_load(&c, dir, NULL, &err), FL_EPARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:3:31: unknown key 'zone' in an asset", path);
    ASSERT(strncmp(err.msg, want, strlen(want)) == 0);
    ASSERT_EQ_INT(err.line, 3);
    unlink(path);
    rmdir(dir);
}

UNIT_MAIN()
