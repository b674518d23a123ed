/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_health.c - `flowsift health`: is the pipeline healthy?  Records per
 * hour, cloud, account and flow type with NODATA/SKIPDATA counts,
 * interfaces gone silent, the newest data per source and its delay, and the
 * input records rejected by reason (fl_health_run, fl_ops.h).  The same
 * report is GET /api/health in `flowsift serve`.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fl/fl_ops.h"

static int health_main(int argc, char **argv)
{
    struct fl_health_opts o;
    memset(&o, 0, sizeof o);
    o.home = cli_home();
    o.now = (int64_t)time(NULL);
    enum fl_out_format fmt = FL_OUT_TABLE;
    const char *env = getenv("FLOWSIFT_NOW");
    if (env && *env && fl_ops_parse_time(env, &o.now) != FL_OK)
        return cli_usage_error("health", "FLOWSIFT_NOW: cannot parse '%s'", env);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--from") == 0 && v) {
            if (fl_ops_parse_time(argv[++i], &o.from) != FL_OK)
                return cli_usage_error("health", "--from: Unix seconds, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS");
        } else if (strcmp(a, "--to") == 0 && v) {
            if (fl_ops_parse_time(argv[++i], &o.to) != FL_OK)
                return cli_usage_error("health", "--to: Unix seconds, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS");
        } else if (strcmp(a, "--now") == 0 && v) {
            if (fl_ops_parse_time(argv[++i], &o.now) != FL_OK)
                return cli_usage_error("health", "--now: Unix seconds, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS");
        } else if (strcmp(a, "--silent") == 0 && v) {
            if (fl_ops_parse_duration(argv[++i], &o.silent_s) != FL_OK)
                return cli_usage_error("health", "--silent: a duration such as 2h, 90m");
        } else if (strcmp(a, "--format") == 0 && v) {
            if (fl_out_format_parse(argv[++i], &fmt) != FL_OK)
                return cli_usage_error("health", "unknown format '%s'", argv[i]);
        } else if (strcmp(a, "--home") == 0 && v) {
            o.home = argv[++i];
        } else {
            return cli_usage_error("health", "unknown argument '%s'", a);
        }
    }
    if (o.from && o.to && o.from >= o.to)
        return cli_usage_error("health", "--from must be before --to");
    struct fl_report r;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    int rc = fl_health_run(&o, &r, &err);
    if (rc != FL_OK) {
        fl_report_free(&r);
        cli_err("health: %s", err.msg[0] ? err.msg : fl_strerror(rc));
        return rc == FL_EINVAL || rc == FL_EPARSE ? FL_EXIT_USAGE : FL_EXIT_INTERNAL;
    }
    rc = fl_report_print(&r, stdout, fmt);
    fl_report_free(&r);
    return rc == FL_OK ? FL_EXIT_OK : FL_EXIT_INTERNAL;
}

const struct fl_cmd fl_cmd_health = {
    .name = "health",
    .summary = "pipeline health: records per source/hour, NODATA/SKIPDATA, silent interfaces, delays, rejects",
    .main = health_main,
    .usage =
        "usage: flowsift health [--from T] [--to T] [--silent 2h] [--now T]\n"
        "                       [--format table|csv|json|ndjson] [--home DIR]\n"
        "Reports over the window [from, to) (default: the 24 hours ending with\n"
        "the newest record's hour):\n"
        "  records     per hour, cloud, account, flow_type: records, nodata, skipdata\n"
        "  log_status  per cloud, account: records by log_status (OK/NODATA/SKIPDATA)\n"
        "  silent      interfaces (interface_id, else resource_id) that logged in the\n"
        "              window but not in its last --silent period (default 2h)\n"
        "  newest      per cloud, account, region: newest record end and its delay\n"
        "              against now (--now or FLOWSIFT_NOW fix the clock)\n"
        "  rejects     input records rejected at ingest, by reason (ingest ledger)\n"
        "  objects     input objects by state with their record counts\n"
        "T is Unix seconds, YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS' (UTC).\n"
        "Exit status: 0 report printed, 2 usage error, 3 dataset/state error.\n",
    .order = 75,
};
