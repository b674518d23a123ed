/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_detect.c - `flowsift detect`: run the rule pack over the dataset in
 * $FLOWSIFT_HOME, from each rule's watermark (minus its lateness) to now,
 * or over --from/--to; findings go to state.db (see `flowsift findings`)
 * and new, escalated or re-due findings to the sinks given with --notify.
 * Prints one line per rule and a summary; exit 0 ok, 2 if a rule failed.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fl/fl_detect.h"

/* Unix seconds, RFC 3339, or YYYY-MM-DD[ HH:MM:SS]. */
static int parse_time(const char *s, int64_t *out)
{
    int32_t ns;
    if (fl_parse_i64(s, strlen(s), out) == FL_OK)
        return FL_OK;
    if (fl_time_parse_rfc3339(s, strlen(s), out, &ns) == FL_OK)
        return FL_OK;
    unsigned y, m, d, hh = 0, mm = 0, ss = 0;
    char sep;
    int k = sscanf(s, "%4u-%2u-%2u%c%2u:%2u:%2u", &y, &m, &d, &sep, &hh, &mm, &ss);
    if ((k == 3 && strlen(s) == 10) || k >= 6) {
        if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
            return FL_EINVAL;
        *out = fl_days_from_civil(y, m, d) * 86400LL + hh * 3600 + mm * 60 + ss;
        return FL_OK;
    }
    return FL_EINVAL;
}

static int parse_dur(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    int64_t mult = 1, v;
    if (n && strchr("smhdw", s[n - 1])) {
        mult = s[n - 1] == 's' ? 1 : s[n - 1] == 'm' ? 60 : s[n - 1] == 'h' ? 3600 : s[n - 1] == 'd' ? 86400 : 604800;
        n--;
    }
    if (n == 0 || fl_parse_i64(s, n, &v) != FL_OK || v < 0 || v > 3650LL * 86400 / mult)
        return FL_EINVAL;
    *out = v * mult;
    return FL_OK;
}

struct dctx {
    bool quiet;
    bool timing;
};

static void on_rule(void *ctx, const struct fl_detect_rule_result *r)
{
    struct dctx *d = ctx;
    if (r->rc != FL_OK) {
        fprintf(stderr, "flowsift detect: rule %s: %s\n", r->rule, r->error ? r->error : fl_strerror(r->rc));
        return;
    }
    if (d->quiet)
        return;
    char a[32], b[32];
    fl_time_format(r->from, a, sizeof a);
    fl_time_format(r->to, b, sizeof b);
    printf("%-34s %s .. %s  hits=%llu new=%llu updated=%llu suppressed=%llu notified=%llu%s  %.2fs\n", r->rule, a, b,
           (unsigned long long)r->hits, (unsigned long long)r->new_findings, (unsigned long long)r->updated,
           (unsigned long long)r->suppressed, (unsigned long long)r->notified,
           r->capped ? " (capped)" : "", r->seconds);
    if (d->timing)
        printf("  timing %-27s wall %8.3f s  cpu %8.3f s  rows read %llu  queries %llu\n", r->rule, r->seconds,
               r->cpu_seconds, (unsigned long long)r->rows_read, (unsigned long long)r->queries);
}

#define DETECT_USAGE                                                                                   \
    "usage: flowsift detect [--from T --to T] [--rules DIR]... [--rule ID] [--notify SINK]...\n"         \
    "Runs the detection rules over the dataset in $FLOWSIFT_HOME and records findings in\n"            \
    "state.db.  Without --from/--to each rule continues from its watermark (minus its\n"               \
    "lateness, so late records are seen); a first run looks back --lookback (default 24h).\n"         \
    "Running twice gives the same findings (updated, not duplicated).\n"                               \
    "options:\n"                                                                                       \
    "  --from T --to T     evaluate [from, to): Unix seconds, RFC 3339 or YYYY-MM-DD[ HH:MM:SS]\n"     \
    "  --now T             the clock (also FLOWSIFT_NOW)\n"                                          \
    "  --rules DIR         rule folder or file (default $FLOWSIFT_RULES or ./rules)\n"                 \
    "  --rule ID           run only this rule\n"                                                       \
    "  --lateness DUR      override every rule's lateness (e.g. 10m, 1h)\n"                            \
    "  --lookback DUR      first run without a watermark: start this far back\n"                      \
    "  --notify SINK       webhook:URL | slack:URL | syslog+udp://host:port | syslog+tcp://host:port\n" \
    "                      with optional ,retries=N,backoff=MS,timeout=MS\n"                           \
    "  --home DIR          dataset root\n"                                                             \
    "  --timing            per rule: wall and CPU seconds, dataset rows read, queries run\n"     \
    "  -q, --quiet         only the summary line\n"

static int detect_main(int argc, char **argv)
{
    struct fl_detect_opts o;
    memset(&o, 0, sizeof o);
    o.home = cli_home();
    o.lateness_s = -1;
    const char *paths[64];
    int np = 0;
    struct fl_sink sinks[8];
    int ns = 0;
    bool have_from = false, have_to = false;
    struct dctx d = {false, false};
    struct fl_error err;
    fl_error_clear(&err);
    const char *envnow = getenv("FLOWSIFT_NOW");
    if (envnow && *envnow && parse_time(envnow, &o.now) != FL_OK)
        return cli_usage_error("detect", "FLOWSIFT_NOW: cannot parse '%s'", envnow);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (cli_is_help(a)) {
            fputs(DETECT_USAGE, stdout);
            return FL_EXIT_OK;
        } else if (strcmp(a, "--from") == 0 && more) {
            if (parse_time(argv[++i], &o.from) != FL_OK)
                return cli_usage_error("detect", "--from: cannot parse '%s'", argv[i]);
            have_from = true;
        } else if (strcmp(a, "--to") == 0 && more) {
            if (parse_time(argv[++i], &o.to) != FL_OK)
                return cli_usage_error("detect", "--to: cannot parse '%s'", argv[i]);
            have_to = true;
        } else if (strcmp(a, "--now") == 0 && more) {
            if (parse_time(argv[++i], &o.now) != FL_OK)
                return cli_usage_error("detect", "--now: cannot parse '%s'", argv[i]);
        } else if (strcmp(a, "--rules") == 0 && more) {
            if (np < 64)
                paths[np++] = argv[++i];
        } else if (strcmp(a, "--rule") == 0 && more) {
            o.only_rule = argv[++i];
        } else if (strcmp(a, "--home") == 0 && more) {
            o.home = argv[++i];
        } else if (strcmp(a, "--lateness") == 0 && more) {
            if (parse_dur(argv[++i], &o.lateness_s) != FL_OK)
                return cli_usage_error("detect", "--lateness: bad duration '%s'", argv[i]);
        } else if (strcmp(a, "--lookback") == 0 && more) {
            if (parse_dur(argv[++i], &o.first_lookback_s) != FL_OK)
                return cli_usage_error("detect", "--lookback: bad duration '%s'", argv[i]);
        } else if (strcmp(a, "--notify") == 0 && more) {
            if (ns >= 8)
                return cli_usage_error("detect", "at most 8 --notify sinks");
            if (fl_sink_parse(argv[++i], &sinks[ns], &err) != FL_OK)
                return cli_usage_error("detect", "--notify: %s", err.msg);
            ns++;
        } else if (strcmp(a, "--timing") == 0) {
            d.timing = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            d.quiet = true;
        } else {
            return cli_usage_error("detect", "unknown argument '%s' (see --help)", a);
        }
    }
    if (have_from != have_to)
        return cli_usage_error("detect", "give both --from and --to, or neither");
    o.have_range = have_from;
    if (np == 0) {
        const char *env = getenv("FLOWSIFT_RULES");
        paths[np++] = env && *env ? env : "rules";
    }
    fl_ruleset *rs = NULL;
    if (fl_rules_load(&rs, paths, np, NULL, NULL, &err) != FL_OK) {
        fprintf(stderr, "flowsift detect: %s\n", err.msg);
        return FL_EXIT_INPUT;
    }
    if (o.only_rule && !fl_ruleset_find(rs, o.only_rule)) {
        fl_ruleset_free(rs);
        return cli_usage_error("detect", "no rule '%s'", o.only_rule);
    }
    fl_config *cfg = NULL;
    if (fl_config_load(&cfg, o.home, NULL, &err) != FL_OK) {
        fprintf(stderr, "flowsift detect: %s\n", err.msg);
        fl_ruleset_free(rs);
        return FL_EXIT_INPUT;
    }
    o.config = cfg;
    o.rules = rs;
    o.sinks = sinks;
    o.n_sinks = ns;
    o.on_rule = on_rule;
    o.ctx = &d;
    o.timing = d.timing;
    struct fl_detect_totals t;
    int rc = fl_detect_run(&o, &t, &err);
    fl_config_free(cfg);
    fl_ruleset_free(rs);
    if (rc != FL_OK) {
        cli_err("detect: %s", err.msg);
        return FL_EXIT_INTERNAL;
    }
    printf("%llu rules, %llu failed: %llu hits, %llu new findings, %llu updated, %llu suppressed, "
           "%llu notified (%llu failed), %llu capped\n",
           (unsigned long long)t.rules, (unsigned long long)t.rules_failed, (unsigned long long)t.hits,
           (unsigned long long)t.new_findings, (unsigned long long)t.updated, (unsigned long long)t.suppressed,
           (unsigned long long)t.notified, (unsigned long long)t.notify_failed, (unsigned long long)t.capped);
    return t.rules_failed ? FL_EXIT_INPUT : FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_detect = {
    "detect", "run the detection rules; record findings", detect_main, DETECT_USAGE, 62};
