/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c - `flowsift verify-change`: did a security-group / NSG change
 * turn ACCEPT into REJECT?  Counts the flows matching an expression by
 * action in a window before the change time and a window after it, and
 * prints a verdict line (fl_verify_run, fl_ops.h).  Exit status 0 only for
 * "was ACCEPT, now REJECT", so a script can gate on it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fl/fl_ops.h"

static int verify_main(int argc, char **argv)
{
    struct fl_verify_opts o;
    memset(&o, 0, sizeof o);
    o.home = cli_home();
    enum fl_out_format fmt = FL_OUT_TABLE;
    bool have_after = false, explain = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--match") == 0 && v) {
            o.match = argv[++i];
        } else if (strcmp(a, "--before") == 0 && v) {
            if (fl_ops_parse_time(argv[++i], &o.before) != FL_OK)
                return cli_usage_error("verify-change", "--before: Unix seconds, YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS'");
        } else if (strcmp(a, "--after") == 0 && v) {
            if (fl_ops_parse_time(argv[++i], &o.after) != FL_OK)
                return cli_usage_error("verify-change", "--after: Unix seconds, YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS'");
            have_after = true;
        } else if (strcmp(a, "--window") == 0 && v) {
            if (fl_ops_parse_duration(argv[++i], &o.window) != FL_OK)
                return cli_usage_error("verify-change", "--window: a duration such as 24h, 90m, 7d");
        } else if (strcmp(a, "--format") == 0 && v) {
            if (fl_out_format_parse(argv[++i], &fmt) != FL_OK)
                return cli_usage_error("verify-change", "unknown format '%s'", argv[i]);
        } else if (strcmp(a, "--home") == 0 && v) {
            o.home = argv[++i];
        } else if (strcmp(a, "--explain") == 0) {
            explain = true;
        } else {
            return cli_usage_error("verify-change", "unknown argument '%s'", a);
        }
    }
    if (!o.match)
        return cli_usage_error("verify-change", "--match 'field=value ...' is required");
    struct fl_error err;
    memset(&err, 0, sizeof err);
    if (explain) {
        char sql[3072];
        if (fl_verify_match_sql(o.match, sql, sizeof sql, &err) != FL_OK)
            return cli_usage_error("verify-change", "%s", err.msg);
        printf("%s\n", sql);
        return FL_EXIT_OK;
    }
    if (!have_after)
        return cli_usage_error("verify-change", "--after T (the time of the change) is required");
    if (o.before && o.before >= o.after)
        return cli_usage_error("verify-change", "--before must be before --after");
    struct fl_report r;
    int verdict = 0;
    int rc = fl_verify_run(&o, &r, &verdict, &err);
    if (rc != FL_OK) {
        fl_report_free(&r);
        if (rc == FL_EINVAL || rc == FL_EPARSE)
            return cli_usage_error("verify-change", "%s", err.msg);
        cli_err("verify-change: %s", err.msg[0] ? err.msg : fl_strerror(rc));
        return FL_EXIT_INTERNAL;
    }
    if (fmt == FL_OUT_TABLE) {
        /* the verdict first, then the details */
        for (int i = 0; i < r.n_facts; i++)
            if (strcmp(r.facts[i].key, "verdict_text") == 0)
                printf("verdict: %.*s\n\n", (int)r.facts[i].v.s.n, r.facts[i].v.s.p);
    }
    rc = fl_report_print(&r, stdout, fmt);
    fl_report_free(&r);
    if (rc != FL_OK)
        return FL_EXIT_INTERNAL;
    return verdict == FL_VERDICT_WORKS ? FL_EXIT_OK : 1;
}

const struct fl_cmd fl_cmd_verify = {
    .name = "verify-change",
    .summary = "did a security-group/NSG change turn ACCEPT into REJECT?",
    .main = verify_main,
    .usage =
        "usage: flowsift verify-change --match 'srcaddr=10.1.1.40 dstport=22'\n"
        "                              --after T [--before T0] [--window 24h]\n"
        "                              [--format table|csv|json|ndjson] [--home DIR]\n"
        "                              [--explain]\n"
        "Counts the flows matching --match by action before the change time T\n"
        "(from T0, default T - window) and after it (up to T + window), then\n"
        "prints a verdict:\n"
        "  was ACCEPT, now REJECT: the change works          (verdict works)\n"
        "  unchanged: still ACCEPT | still REJECT             (unchanged)\n"
        "  partly: N of M matching flows still ACCEPT ...     (partial)\n"
        "  was REJECT, now ACCEPT: the change opened ...      (opened)\n"
        "  no matching traffic after the change ...           (no_traffic_after)\n"
        "  no matching traffic before the change ...          (no_traffic_before)\n"
        "  no matching traffic before or after the change     (no_traffic)\n"
        "--match: space-separated field=value terms, ANDed.  Fields are catalog\n"
        "columns (flowsift fields); address columns (srcaddr, dstaddr, ...) take\n"
        "an address or a CIDR, integer columns an integer (protocol also tcp, udp,\n"
        "icmp), text columns letters, digits and . _ - : / @.  --explain prints\n"
        "the SQL condition the expression becomes.\n"
        "T is Unix seconds, YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS' (UTC).\n"
        "Exit status: 0 the change works (was ACCEPT, now REJECT); 1 any other\n"
        "verdict; 2 usage error (bad expression); 3 dataset error.\n",
    .order = 76,
};
