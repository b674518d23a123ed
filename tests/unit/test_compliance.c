/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_compliance.c - the compliance report's library pieces that the shell
 * test (tests/http/report.t.sh, AWS data) does not reach: the blocking-rule
 * text per cloud, protocol and address family, its truncation contract, and
 * the report's refusal of bad options (no config, no output folder) and of
 * an unwritable output folder without leaving files behind.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl/fl_compliance.h"
#include "unit.h"

TEST(block_rule_per_cloud)
{
    char b[256];
    fl_compliance_block_rule("aws", "203.0.113.9", 6, 443, b, sizeof b);
    ASSERT_EQ_STR(b, "NACL egress DENY tcp/443 to 203.0.113.9/32 (security groups cannot deny)");
    fl_compliance_block_rule("azure", "203.0.113.9", 17, 53, b, sizeof b);
    ASSERT_EQ_STR(b, "NSG outbound Deny UDP 53 to 203.0.113.9/32 (priority above the allow)");
    fl_compliance_block_rule("gcp", "2001:db8::1", 6, 8443, b, sizeof b);
    ASSERT_EQ_STR(b, "VPC firewall egress DENY tcp:8443 to 2001:db8::1/128");
    /* no port for ICMP or unknown protocols; NULL cloud is treated as AWS */
    fl_compliance_block_rule(NULL, "198.51.100.1", 1, 0, b, sizeof b);
    ASSERT_EQ_STR(b, "NACL egress DENY icmp to 198.51.100.1/32 (security groups cannot deny)");
    fl_compliance_block_rule("gcp", "198.51.100.1", 47, 0, b, sizeof b);
    ASSERT_EQ_STR(b, "VPC firewall egress DENY 47 to 198.51.100.1/32");
}

TEST(block_rule_truncates_like_snprintf)
{
    char b[16];
    size_t n = fl_compliance_block_rule("gcp", "198.51.100.1", 6, 443, b, sizeof b);
    ASSERT_EQ_INT(n, strlen("VPC firewall egress DENY tcp:443 to 198.51.100.1/32"));
    ASSERT_EQ_INT(strlen(b), sizeof b - 1);
}

TEST(report_refuses_bad_options)
{
    struct fl_compliance_opts o;
    struct fl_compliance_summary s;
    struct fl_error err;
    memset(&o, 0, sizeof o);
    memset(&err, 0, sizeof err);
    o.out_dir = "/tmp";
    ASSERT_EQ_INT(fl_compliance_report(&o, &s, &err), FL_EINVAL); /* no config */
    ASSERT(s.html_path[0] == 0 && s.csv_path[0] == 0);
    fl_config *c = NULL;
    ASSERT_EQ_INT(fl_config_parse(&c, "policy: {approved_countries: [US]}\n", 35, "t.yaml", NULL, &err), FL_OK);
    o.config = c;
    o.out_dir = NULL;
    ASSERT_EQ_INT(fl_compliance_report(&o, &s, &err), FL_EINVAL); /* no out_dir */
    fl_config_free(c);
}

TEST(report_unwritable_out_leaves_nothing)
{
    char home[] = "/tmp/fl_compl_XXXXXX";
    ASSERT(mkdtemp(home) != NULL);
    char out[128];
    snprintf(out, sizeof out, "%s/file", home);
    FILE *f = fopen(out, "w"); /* a file where the folder should be */
    ASSERT(f != NULL);
    fclose(f);
    fl_config *c = NULL;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    ASSERT_EQ_INT(fl_config_parse(&c, "policy: {approved_countries: [US]}\n", 35, "t.yaml", NULL, &err), FL_OK);
    struct fl_compliance_opts o;
    memset(&o, 0, sizeof o);
    o.config = c;
    o.home = home; /* an empty dataset: no rows, but the files would be written */
    o.day = 1795132800;
    char sub[160];
    snprintf(sub, sizeof sub, "%s/sub", out);
    o.out_dir = sub;
    struct fl_compliance_summary s;
    int rc = fl_compliance_report(&o, &s, &err);
    ASSERT(rc != FL_OK);
    ASSERT(s.html_path[0] == 0);
    /* and into a writable folder the two files appear, with no temporaries */
    snprintf(sub, sizeof sub, "%s/rep", home);
    o.out_dir = sub;
    rc = fl_compliance_report(&o, &s, &err);
    ASSERT_EQ_INT(rc, FL_OK);
    ASSERT_EQ_INT(s.rows, 0);
    struct stat st;
    ASSERT(stat(s.html_path, &st) == 0 && st.st_size > 500);
    ASSERT(stat(s.csv_path, &st) == 0 && st.st_size > 20);
    unlink(s.html_path);
    unlink(s.csv_path);
    rmdir(sub);
    unlink(out);
    rmdir(home);
    fl_config_free(c);
}

UNIT_MAIN()
