/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_findings.c - `flowsift findings list|show|summary|suppress|resolve|reopen`:
 * read and triage what `flowsift detect` found.  list prints a table,
 * JSON, JSON Lines or OCSF Detection Findings; show prints one finding
 * with its evidence; suppress adds a suppression (by finding, rule,
 * entity, CIDR or tag, with an expiry and a reason); resolve closes one.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fl/fl_detect.h"

extern const struct fl_cmd fl_cmd_findings;

static int print_one(void *ctx, const struct fl_finding *f)
{
    return fl_finding_writer_add(ctx, f) == FL_OK ? 0 : 1;
}

/* `findings summary`: counts by severity and by rule, then the top
 * findings with their first evidence row. */
struct summ {
    char rule[64][64];
    int n_rule[64][6];
    int nr;
    int by_sev[6];
    int total;
    int shown;
    int top;
};

static int summarize(void *ctx, const struct fl_finding *f)
{
    struct summ *s = ctx;
    int sev = f->severity >= 1 && f->severity <= 5 ? f->severity : 0;
    s->by_sev[sev]++;
    s->total++;
    int k = 0;
    while (k < s->nr && strcmp(s->rule[k], f->rule) != 0)
        k++;
    if (k == s->nr && s->nr < 64)
        snprintf(s->rule[s->nr++], sizeof s->rule[0], "%s", f->rule);
    if (k < 64)
        s->n_rule[k][sev]++;
    if (s->shown < s->top && strcmp(f->status, "open") == 0) {
        char t[32];
        fl_time_format(f->last_seen, t, sizeof t);
        printf("  [%-8s] %-28s %s  x%lld  last %s\n", fl_severity_name(f->severity), f->rule, f->entity,
               (long long)f->count, t);
        /* the first evidence object, cut to one line */
        const char *e = f->evidence ? f->evidence : "";
        if (e[0] == '[' && e[1] == '{') {
            const char *end = strstr(e, "},{");
            size_t n = end ? (size_t)(end - e) : strlen(e) - 2; /* the first object, through its brace */
            if (n > 240)
                printf("             evidence: %.240s...\n", e + 1);
            else
                printf("             evidence: %.*s\n", (int)n, e + 1);
        }
        s->shown++;
    }
    return 0;
}

static int grab(void *ctx, const struct fl_finding *f)
{
    struct fl_finding *out = ctx;
    *out = *f;
    out->entity_json = NULL;
    out->evidence = NULL;
    out->attack = NULL;
    out->status_reason = NULL;
    return 1;
}

static int parse_dur(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    int64_t mult = 1, v;
    if (n && strchr("smhdw", s[n - 1])) {
        mult = s[n - 1] == 's' ? 1 : s[n - 1] == 'm' ? 60 : s[n - 1] == 'h' ? 3600 : s[n - 1] == 'd' ? 86400 : 604800;
        n--;
    }
    if (n == 0 || fl_parse_i64(s, n, &v) != FL_OK || v <= 0 || v > 3650LL * 86400 / mult)
        return FL_EINVAL;
    *out = v * mult;
    return FL_OK;
}

static int findings_main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(fl_cmd_findings.usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? FL_EXIT_USAGE : FL_EXIT_OK;
    }
    const char *sub = argv[1];
    const char *home = cli_home();
    enum fl_finding_format fmt = FL_FF_TABLE;
    struct fl_findings_filter flt;
    memset(&flt, 0, sizeof flt);
    struct fl_suppression sp;
    memset(&sp, 0, sizeof sp);
    const char *reason = NULL;
    int64_t id = 0, ttl = 0;
    bool show = strcmp(sub, "show") == 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(a, "--format") == 0 && more) {
            if (fl_finding_format_parse(argv[++i], &fmt) != FL_OK)
                return cli_usage_error("findings", "unknown format '%s' (table, json, ndjson, ocsf)", argv[i]);
        } else if (strcmp(a, "--home") == 0 && more) {
            home = argv[++i];
        } else if (strcmp(a, "--rule") == 0 && more) {
            flt.rule = sp.rule = argv[++i];
        } else if (strcmp(a, "--status") == 0 && more) {
            flt.status = argv[++i];
        } else if (strcmp(a, "--severity") == 0 && more) {
            if (fl_severity_parse(argv[++i], &flt.min_severity) != FL_OK)
                return cli_usage_error("findings", "bad severity '%s'", argv[i]);
        } else if (strcmp(a, "--limit") == 0 && more) {
            int64_t v;
            if (fl_parse_i64(argv[i + 1], strlen(argv[i + 1]), &v) != FL_OK || v < 0)
                return cli_usage_error("findings", "bad --limit '%s'", argv[i + 1]);
            flt.limit = (uint64_t)v;
            i++;
        } else if (strcmp(a, "--entity") == 0 && more) {
            sp.entity = argv[++i];
        } else if (strcmp(a, "--cidr") == 0 && more) {
            sp.cidr = argv[++i];
        } else if (strcmp(a, "--tag") == 0 && more) {
            sp.tag = argv[++i];
        } else if ((strcmp(a, "--reason") == 0 || strcmp(a, "-m") == 0) && more) {
            reason = argv[++i];
        } else if (strcmp(a, "--for") == 0 && more) {
            if (parse_dur(argv[++i], &ttl) != FL_OK)
                return cli_usage_error("findings", "bad --for duration '%s'", argv[i]);
        } else if (a[0] != '-' && id == 0) {
            if (fl_parse_i64(a, strlen(a), &id) != FL_OK || id <= 0)
                return cli_usage_error("findings", "'%s' is not a finding id", a);
        } else {
            return cli_usage_error("findings", "unknown argument '%s'", a);
        }
    }
    struct fl_error err;
    fl_error_clear(&err);
    fl_state *st = NULL;
    if (fl_detect_state_open(&st, home, &err) != FL_OK) {
        cli_err("findings: %s", err.msg);
        return FL_EXIT_INTERNAL;
    }
    int rc = FL_OK, ex = FL_EXIT_OK;
    int64_t now = (int64_t)time(NULL);
    if (strcmp(sub, "summary") == 0) {
        struct summ *sm = fl_calloc(1, sizeof *sm);
        if (!sm) {
            fl_state_close(st);
            return FL_EXIT_INTERNAL;
        }
        sm->top = flt.limit ? (int)flt.limit : 10;
        struct fl_findings_filter all = flt;
        all.limit = 0;
        printf("top open findings:\n");
        rc = fl_findings_list(st, &all, summarize, sm, &err);
        if (rc == FL_OK) {
            if (sm->shown == 0)
                printf("  (none)\n");
            printf("\n%d finding%s: %d critical, %d high, %d medium, %d low, %d info\n", sm->total,
                   sm->total == 1 ? "" : "s", sm->by_sev[5], sm->by_sev[4], sm->by_sev[3], sm->by_sev[2],
                   sm->by_sev[1]);
            printf("%-34s %8s %5s %6s %4s %4s\n", "RULE", "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO");
            for (int k = 0; k < sm->nr; k++)
                printf("%-34s %8d %5d %6d %4d %4d\n", sm->rule[k], sm->n_rule[k][5], sm->n_rule[k][4],
                       sm->n_rule[k][3], sm->n_rule[k][2], sm->n_rule[k][1]);
        }
        fl_free(sm);
    } else if (strcmp(sub, "list") == 0 || show) {
        if (show) {
            if (id == 0) {
                fl_state_close(st);
                return cli_usage_error("findings", "show needs a finding id");
            }
            flt.id = id;
            if (fmt == FL_FF_TABLE)
                fmt = FL_FF_JSON;
        }
        fl_finding_writer *w = fl_finding_writer_new(stdout, fmt);
        if (!w) {
            fl_state_close(st);
            return FL_EXIT_INTERNAL;
        }
        rc = fl_findings_list(st, &flt, print_one, w, &err);
        if (rc == FL_OK)
            rc = fl_finding_writer_finish(w);
        fl_finding_writer_free(w);
    } else if (strcmp(sub, "resolve") == 0 || strcmp(sub, "reopen") == 0) {
        if (id == 0) {
            fl_state_close(st);
            return cli_usage_error("findings", "%s needs a finding id", sub);
        }
        rc = fl_finding_set_status(st, id, sub[0] == 'r' && sub[2] == 's' ? "resolved" : "open", reason, &err);
        if (rc == FL_OK)
            printf("finding %lld %s\n", (long long)id, sub[2] == 's' ? "resolved" : "reopened");
    } else if (strcmp(sub, "suppress") == 0) {
        if (!reason) {
            fl_state_close(st);
            return cli_usage_error("findings", "suppress needs --reason TEXT");
        }
        struct fl_finding f;
        char rule[64], ent[512];
        if (id) {
            /* suppress by finding: its rule and entity */
            memset(&f, 0, sizeof f);
            struct fl_findings_filter one;
            memset(&one, 0, sizeof one);
            one.id = id;
            rc = fl_findings_list(st, &one, grab, &f, &err);
            if (rc == FL_OK && f.id == 0)
                rc = fl_error_set(&err, FL_ENOTFOUND, "no finding %lld", (long long)id);
            if (rc == FL_OK) {
                snprintf(rule, sizeof rule, "%s", f.rule);
                snprintf(ent, sizeof ent, "%s", f.entity);
                if (!sp.rule)
                    sp.rule = rule;
                if (!sp.entity && !sp.cidr && !sp.tag)
                    sp.entity = ent;
            }
        }
        sp.reason = reason;
        sp.expires_at = ttl ? now + ttl : 0;
        int64_t sid = 0, matched = 0;
        if (rc == FL_OK)
            rc = fl_suppression_add(st, &sp, now, &sid, &matched, &err);
        if (rc == FL_OK)
            printf("suppression %lld added; %lld open finding%s suppressed\n", (long long)sid, (long long)matched,
                   matched == 1 ? "" : "s");
    } else {
        fl_state_close(st);
        return cli_usage_error("findings", "unknown subcommand '%s' (list, show, summary, suppress, resolve, reopen)",
                               sub);
    }
    if (rc != FL_OK) {
        cli_err("findings: %s", err.msg);
        ex = rc == FL_ENOTFOUND || rc == FL_EINVAL ? FL_EXIT_USAGE : FL_EXIT_INTERNAL;
    }
    fl_state_close(st);
    return ex;
}

const struct fl_cmd fl_cmd_findings = {
    "findings", "list, show, suppress and resolve findings", findings_main,
    "usage: flowsift findings list [--rule ID] [--status open|suppressed|resolved] [--severity S]\n"
    "                              [--limit N] [--format table|json|ndjson|ocsf]\n"
    "       flowsift findings show ID [--format json|ndjson|ocsf]\n"
    "       flowsift findings summary [--rule ID] [--status S] [--limit N]   by severity and rule,\n"
    "                                  with the top N open findings and their evidence\n"
    "       flowsift findings suppress [ID] [--rule ID] [--entity K=V[,K=V]] [--cidr CIDR] [--tag TAG]\n"
    "                                  [--for DURATION] --reason TEXT\n"
    "       flowsift findings resolve ID [--reason TEXT]\n"
    "       flowsift findings reopen ID\n"
    "Suppressed findings are still recorded and updated, but never notified.  A resolved\n"
    "finding reopens when new activity arrives after it was resolved.\n",
    64};
