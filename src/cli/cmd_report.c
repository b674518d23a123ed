/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_report.c - `flowsift report compliance --date D [--out DIR]`: the daily
 * evidence an auditor asks for.  Loads flowsift.yaml (the policy), runs
 * fl_compliance_report (fl_compliance.h) over the dataset and writes
 * compliance-D.html (printable, no script) and compliance-D.csv into --out
 * (default $FLOWSIFT_HOME/reports).  Prints the two paths and the totals;
 * exit 1 when unapproved egress was found and --fail-on-findings is given.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fl/fl_compliance.h"
#include "fl/fl_config.h"

static int parse_day(const char *s, int64_t *out)
{
    unsigned y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
        d < 1 || d > 31 || y < 1970 || y > 9999)
        return -1;
    *out = fl_days_from_civil((int64_t)y, m, d) * 86400;
    return 0;
}

static int report_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("report", "which report? (compliance)");
    if (strcmp(argv[1], "compliance") != 0)
        return cli_usage_error("report", "unknown report '%s' (compliance)", argv[1]);
    struct fl_compliance_opts o;
    memset(&o, 0, sizeof o);
    o.home = cli_home();
    const char *date = NULL, *out = NULL, *config = NULL;
    bool fail_on = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--date") == 0 && i + 1 < argc)
            date = argv[++i];
        else if (strcmp(a, "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(a, "--home") == 0 && i + 1 < argc)
            o.home = argv[++i];
        else if (strcmp(a, "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(a, "--fail-on-findings") == 0)
            fail_on = true;
        else
            return cli_usage_error("report", "unknown argument '%s' (see --help)", a);
    }
    if (!date)
        return cli_usage_error("report", "--date YYYY-MM-DD is required");
    if (parse_day(date, &o.day) != 0)
        return cli_usage_error("report", "--date '%s': expected YYYY-MM-DD", date);
    char outbuf[1024];
    if (!out) {
        snprintf(outbuf, sizeof outbuf, "%s/reports", o.home);
        out = outbuf;
    }
    o.out_dir = out;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    fl_config *cfg = NULL;
    if (fl_config_load(&cfg, o.home, config, &err) != FL_OK) {
        cli_err("%s", err.msg);
        return FL_EXIT_INPUT;
    }
    o.config = cfg;
    struct fl_compliance_summary s;
    int rc = fl_compliance_report(&o, &s, &err);
    fl_config_free(cfg);
    if (rc != FL_OK) {
        cli_err("report: %s", err.msg[0] ? err.msg : fl_strerror(rc));
        return rc == FL_EINVAL ? FL_EXIT_USAGE : FL_EXIT_INTERNAL;
    }
    if (s.policy_countries == 0)
        fprintf(stderr, "flowsift report: policy.approved_countries is not set: every country is "
                        "approved, nothing can be out of policy\n");
    printf("html: %s\ncsv:  %s\n", s.html_path, s.csv_path);
    printf("%s: %llu unapproved egress rows, %llu flows, %llu bytes, %llu sources, %llu destinations, "
           "%llu countries, %llu accounts%s\n",
           date, (unsigned long long)s.rows, (unsigned long long)s.flows, (unsigned long long)s.bytes,
           (unsigned long long)s.sources, (unsigned long long)s.destinations,
           (unsigned long long)s.countries, (unsigned long long)s.accounts,
           s.truncated ? " (CSV truncated at 1,000,000 rows)" : "");
    return fail_on && s.rows ? FL_EXIT_FINDINGS : FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_report = {
    .name = "report",
    .summary = "compliance report for a day: unapproved egress as HTML + CSV",
    .main = report_main,
    .usage = "usage: flowsift report compliance --date YYYY-MM-DD [--out DIR] [--home DIR]\n"
             "                                  [--config FILE] [--fail-on-findings]\n"
             "Writes compliance-DATE.html (printable, no script) and compliance-DATE.csv into\n"
             "--out (default $FLOWSIFT_HOME/reports): every accepted flow of the day (UTC)\n"
             "from an internal source (private, CGNAT) to a public destination outside\n"
             "policy.approved_egress_cidrs whose country is not in policy.approved_countries\n"
             "(flowsift.yaml; an unknown country is not approved), by account, source,\n"
             "destination, country, protocol and port, with flows, bytes, first/last seen,\n"
             "totals per country and account, and the rule that would block it (NACL / NSG /\n"
             "VPC firewall deny).  --fail-on-findings: exit 1 when anything is listed.\n",
    .order = 74,
};
