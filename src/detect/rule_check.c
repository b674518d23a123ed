/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rule_check.c - turns a rule into the SQL it runs and checks it before any
 * data is touched.  Placeholders (":name") outside string literals, quoted
 * identifiers and comments are replaced by literals formatted here, never
 * by text from the data: the window bounds as BIGINT Unix seconds or
 * TIMESTAMP literals, :bucket as the bucket-start expression, the policy of
 * flowsift.yaml (admin ports, approved countries and egress CIDRs, allowed
 * tier pairs, known scanners) and the rule's own params.  The native
 * detectors' data queries are built here too, from their params, so that
 * `rules check` compiles every rule against an empty dataset and verifies
 * that the result has the entity columns.
 */
#include <ctype.h>
#include <stdlib.h>

#include "detect/detect_int.h"

static const uint16_t default_admin_ports[] = {22, 3389, 2375, 6443};

double fl__det_param_num(const struct fl_rule *r, const char *name, double def)
{
    for (int i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0 && r->params[i].is_num)
            return r->params[i].num;
    return def;
}

const char *fl__det_param_text(const struct fl_rule *r, const char *name, const char *def)
{
    for (int i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].text;
    return def;
}

static const struct fl_rule_param *param(const struct fl_rule *r, const char *name, size_t n)
{
    for (int i = 0; i < r->n_params; i++)
        if (strlen(r->params[i].name) == n && memcmp(r->params[i].name, name, n) == 0)
            return &r->params[i];
    return NULL;
}

static void add_cidr_test(struct fl_buf *b, const struct fl_cidr *c, size_t n, const char *col,
                          size_t coln)
{
    if (n == 0) {
        fl_buf_printf(b, "FALSE");
        return;
    }
    fl_buf_addc(b, '(');
    for (size_t i = 0; i < n; i++) {
        char cb[64];
        fl_cidr_format(&c[i], cb, sizeof cb);
        fl_buf_printf(b, "%scontains('%s', %.*s)", i ? " OR " : "", cb, (int)coln, col);
    }
    fl_buf_addc(b, ')');
}

static int expand(const struct fl_rule *r, const fl_config *cfg, const char *name, size_t n,
                  const char *arg, size_t argn, int64_t from, int64_t to, struct fl_buf *b,
                  struct fl_error *err)
{
#define IS(s) (n == strlen(s) && memcmp(name, s, n) == 0)
    const struct fl_config_policy *pol = cfg ? fl_config_policy(cfg) : NULL;
    char tb[40];
    if (arg && !(IS("approved_egress") || IS("known_scanner") || IS("internal")))
        return fl_error_set(err, FL_EPARSE, "placeholder :%.*s takes no argument", (int)n, name);
    if (IS("window_start"))
        return fl_buf_printf(b, "%lld", (long long)from);
    if (IS("window_end"))
        return fl_buf_printf(b, "%lld", (long long)to);
    if (IS("window"))
        return fl_buf_printf(b, "%lld", (long long)r->window_s);
    if (IS("window_start_ts") || IS("window_end_ts")) {
        int64_t t = IS("window_start_ts") ? from : to;
        int64_t y;
        unsigned mo, d;
        fl_civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &mo, &d);
        int64_t s = ((t % 86400) + 86400) % 86400;
        snprintf(tb, sizeof tb, "%04lld-%02u-%02u %02lld:%02lld:%02lld", (long long)y, mo, d,
                 (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
        return fl_buf_printf(b, "TIMESTAMP '%s'", tb);
    }
    if (IS("bucket"))
        return fl_buf_printf(b, "(start - (start %% %lld))", (long long)r->window_s);
    if (IS("admin_ports")) {
        const uint16_t *p = default_admin_ports;
        size_t np = FL_ARRAY_LEN(default_admin_ports);
        if (pol && pol->n_admin_ports) {
            p = pol->admin_ports;
            np = pol->n_admin_ports;
        }
        for (size_t i = 0; i < np; i++)
            fl_buf_printf(b, "%s%u", i ? ", " : "", p[i]);
        return FL_OK;
    }
    if (IS("approved_countries")) {
        if (!pol || pol->n_approved_countries == 0)
            return fl_buf_printf(b, "NULL");
        for (size_t i = 0; i < pol->n_approved_countries; i++)
            fl_buf_printf(b, "%s'%.2s'", i ? ", " : "", pol->approved_countries[i]);
        return FL_OK;
    }
    if (IS("countries_configured"))
        return fl_buf_printf(b, "%s", pol && pol->n_approved_countries ? "TRUE" : "FALSE");
    if (IS("tier_pairs_configured"))
        return fl_buf_printf(b, "%s", pol && pol->n_allowed_tier_pairs ? "TRUE" : "FALSE");
    if (IS("tier_pair_allowed") || IS("tier_pair_allowed_reverse")) {
        bool rev = IS("tier_pair_allowed_reverse");
        const char *sc = rev ? "dst_tier" : "src_tier", *dc = rev ? "src_tier" : "dst_tier";
        if (!pol || pol->n_allowed_tier_pairs == 0)
            return fl_buf_printf(b, "TRUE");
        fl_buf_addc(b, '(');
        for (size_t i = 0; i < pol->n_allowed_tier_pairs; i++) {
            const struct fl_config_tier_pair *tp = &pol->allowed_tier_pairs[i];
            fl_buf_printf(b, "%s(", i ? " OR " : "");
            bool any = false;
            if (strcmp(tp->src, "*") != 0 && !strchr(tp->src, '\'')) {
                fl_buf_printf(b, "%s = '%s'", sc, tp->src);
                any = true;
            }
            if (strcmp(tp->dst, "*") != 0 && !strchr(tp->dst, '\'')) {
                fl_buf_printf(b, "%s%s = '%s'", any ? " AND " : "", dc, tp->dst);
                any = true;
            }
            fl_buf_printf(b, "%s)", any ? "" : "TRUE");
        }
        return fl_buf_addc(b, ')');
    }
    if (IS("approved_egress") || IS("known_scanner") || IS("internal")) {
        if (!arg)
            return fl_error_set(err, FL_EPARSE, "placeholder :%.*s needs a column: :%.*s(dstaddr)",
                                (int)n, name, (int)n, name);
        for (size_t i = 0; i < argn; i++)
            if (!(isalnum((unsigned char)arg[i]) || arg[i] == '_'))
                return fl_error_set(err, FL_EPARSE, ":%.*s(...) takes a column name", (int)n, name);
        if (IS("internal")) {
            const struct fl_cidr *c = NULL;
            size_t nc = cfg ? fl_config_internal(cfg, &c) : 0;
            if (nc == 0) {
                static const char *const txt[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                  "fc00::/7"};
                struct fl_cidr loc[4];
                for (int i = 0; i < 4; i++)
                    fl_cidr_parse(txt[i], strlen(txt[i]), &loc[i]);
                add_cidr_test(b, loc, 4, arg, argn);
                return FL_OK;
            }
            add_cidr_test(b, c, nc, arg, argn);
            return FL_OK;
        }
        if (IS("approved_egress"))
            add_cidr_test(b, pol ? pol->approved_egress_cidrs : NULL,
                          pol ? pol->n_approved_egress_cidrs : 0, arg, argn);
        else
            add_cidr_test(b, pol ? pol->known_scanners : NULL, pol ? pol->n_known_scanners : 0, arg,
                          argn);
        return FL_OK;
    }
    const struct fl_rule_param *pm = param(r, name, n);
    if (pm)
        return fl_buf_printf(b, "%s", pm->sql);
    return fl_error_set(err, FL_EPARSE, "unknown placeholder :%.*s (not a built-in and not in params)",
                        (int)n, name);
#undef IS
}

static int substitute(const struct fl_rule *r, const fl_config *cfg, const char *sql,
                      int64_t from, int64_t to, struct fl_buf *b, struct fl_error *err)
{
    const char *p = sql;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"') {
            const char *q = p + 1;
            while (*q && !(*q == c && q[1] != c))
                q += (*q == c) ? 2 : 1;
            if (*q)
                q++;
            FL_TRY(fl_buf_add(b, p, (size_t)(q - p)));
            p = q;
        } else if (c == '-' && p[1] == '-') {
            const char *q = strchr(p, '\n');
            q = q ? q : p + strlen(p);
            FL_TRY(fl_buf_add(b, p, (size_t)(q - p)));
            p = q;
        } else if (c == ':' && (isalpha((unsigned char)p[1]) || p[1] == '_')) {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            const char *arg = NULL;
            size_t argn = 0;
            if (*q == '(') {
                const char *e = strchr(q, ')');
                if (e && e - q < 64) {
                    arg = q + 1;
                    argn = (size_t)(e - q - 1);
                    while (argn && isspace((unsigned char)*arg)) {
                        arg++;
                        argn--;
                    }
                    while (argn && isspace((unsigned char)arg[argn - 1]))
                        argn--;
                }
            }
            int rc = expand(r, cfg, p + 1, (size_t)(q - p - 1), arg, argn, from, to, b, err);
            if (rc != FL_OK)
                return rc == FL_ELIMIT ? fl_error_set(err, rc, "substituted SQL is too long") : rc;
            p = arg ? arg + argn : q;
            if (arg) {
                while (*p && *p != ')')
                    p++;
                if (*p)
                    p++;
            }
        } else {
            FL_TRY(fl_buf_addc(b, c));
            p++;
        }
    }
    return FL_OK;
}

/* ---- detector data queries ---------------------------------------------- */
static const char *const scan_params[] = {"mode", "min_ports", "min_hosts", "failure_weight",
                                          "filter", NULL};
static const char *const baseline_params[] = {"metric", "filter", "k", "floor", "days", "z",
                                              "min_points", "hour_of_day", NULL};
static const char *const first_seen_params[] = {"key", "filter", "lookback", "warmup",
                                                "retention", NULL};
static const char *const beacon_params[] = {"min_connections", "min_score", "max_sources",
                                            "filter", NULL};
static const char *const flood_params[] = {"min_pps", "min_bps", "k", "days", "filter", NULL};
static const char *const health_params[] = {"silent_after", "lookback", "min_skipdata", "min_active",
                                            "min_records", NULL};

static const char *const *known_params(int det)
{
    switch (det) {
    case FL_DET_SCAN: return scan_params;
    case FL_DET_BASELINE: return baseline_params;
    case FL_DET_FIRST_SEEN: return first_seen_params;
    case FL_DET_BEACON: return beacon_params;
    case FL_DET_FLOOD: return flood_params;
    case FL_DET_HEALTH: return health_params;
    default: return NULL;
    }
}

/* Build the data query of a detector into b (with placeholders left in). */
static int detector_sql(const struct fl_rule *r, struct fl_buf *b)
{
    const char *filter = fl__det_param_text(r, "filter", "TRUE");
    char ent[FL_RULE_MAX_ENTITY * 50] = "";
    size_t el = 0;
    for (int i = 0; i < r->n_entity; i++)
        el += (size_t)snprintf(ent + el, sizeof ent - el, "%s%s", i ? ", " : "", r->entity[i]);
    char groups[64] = "1";
    size_t gl = 1;
    for (int i = 0; i < r->n_entity && gl + 6 < sizeof groups; i++)
        gl += (size_t)snprintf(groups + gl, sizeof groups - gl, ", %d", i + 2);
    switch (r->detector) {
    case FL_DET_SCAN: {
        bool horiz = strcmp(fl__det_param_text(r, "mode", "vertical"), "horizontal") == 0;
        const char *fan = horiz ? "dstaddr" : "dstport";
        const char *other = horiz ? "dstport" : "dstaddr";
        double w = fl__det_param_num(r, "failure_weight", 1.0);
        double thr = fl__det_param_num(r, horiz ? "min_hosts" : "min_ports", horiz ? 25 : 15);
        /* The distinct counting is the expensive part, so it only sees the
         * buckets, sources and {port | host} that can reach the threshold:
         * fanout <= rows and failed <= fanout, so fanout + w x failed <=
         * rows x max(1, 1 + w).  The pre-filter keeps a superset of the
         * qualifying groups' rows (a key collision only keeps more), so the
         * result is the one of the plain aggregation. */
        const char *where = "start >= :window_start AND start < :window_end "
                            "AND log_status = 'OK' AND srcaddr IS NOT NULL AND NOT :known_scanner(srcaddr)";
        return fl_buf_printf(
            b,
            "SELECT :bucket AS bucket, %s, COUNT(DISTINCT %s) AS fanout, "
            "COUNT(DISTINCT CASE WHEN action = 'REJECT' THEN %s END) AS failed, "
            "COUNT(*) AS hit_count, MIN(start) AS first_seen, MAX(\"end\") AS last_seen, "
            "MIN(dstport) AS min_port, MAX(dstport) AS max_port "
            "FROM flows WHERE %s AND (%s) "
            "AND concat(CAST(:bucket AS VARCHAR), '|', srcaddr, '|', coalesce(CAST(%s AS VARCHAR), '-')) IN ("
            "SELECT concat(CAST(b AS VARCHAR), '|', s, '|', coalesce(CAST(o AS VARCHAR), '-')) FROM ("
            "SELECT :bucket AS b, srcaddr AS s, %s AS o FROM flows WHERE %s AND (%s) "
            "GROUP BY 1, 2, 3 HAVING COUNT(*) * %.17g >= %.17g)) "
            "GROUP BY %s HAVING COUNT(DISTINCT %s) + %g * COUNT(DISTINCT CASE WHEN action = 'REJECT' "
            "THEN %s END) >= %g",
            ent, fan, fan, where, filter, other, other, where, filter, w > 0 ? 1 + w : 1.0, thr, groups,
            fan, w, fan, thr);
    }
    case FL_DET_BASELINE:
        return fl_buf_printf(b,
                             "SELECT :bucket AS bucket, %s, %s AS value FROM flows "
                             "WHERE start >= :history_start AND start < :window_end AND (%s) "
                             "GROUP BY %s",
                             ent, fl__det_param_text(r, "metric", "SUM(bytes)"), filter, groups);
    case FL_DET_FIRST_SEEN:
        return fl_buf_printf(b,
                             "SELECT :bucket AS bucket, %s, MIN(start) AS first_seen, "
                             "MAX(\"end\") AS last_seen, COUNT(*) AS hit_count, SUM(bytes) AS bytes "
                             "FROM flows WHERE start >= :window_start AND start < :window_end AND (%s) "
                             "GROUP BY %s",
                             ent, filter, groups);
    case FL_DET_BEACON:
        /* The pairs with at least min_connections distinct start times
         * (and fewer than 86400 records) over the range: the sub-query is
         * a cheap superset (records >= min_connections, grouped on the
         * plain columns); det_beacon.c applies the exact condition from
         * the rows (one per distinct start, `records` per row). */
        return fl_buf_printf(
            b,
            "SELECT srcaddr, dstaddr, dstport, start, SUM(bytes) AS bytes, COUNT(*) AS records FROM flows "
            "WHERE start >= :window_start AND start < :window_end AND action = 'ACCEPT' AND (%s) "
            "AND concat(srcaddr, '|', dstaddr, '|', CAST(dstport AS VARCHAR)) IN ("
            "SELECT concat(s, '|', d, '|', CAST(p AS VARCHAR)) FROM ("
            "SELECT srcaddr AS s, dstaddr AS d, dstport AS p FROM flows "
            "WHERE start >= :window_start AND start < :window_end AND action = 'ACCEPT' AND (%s) "
            "GROUP BY 1, 2, 3 HAVING COUNT(*) >= %.17g)) "
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            filter, filter, fl__det_param_num(r, "min_connections", 12));
    case FL_DET_FLOOD:
        return fl_buf_printf(b,
                             "SELECT :bucket AS bucket, %s, SUM(packets) AS packets, SUM(bytes) AS bytes, "
                             "COUNT(*) AS flows FROM flows WHERE start >= :history_start "
                             "AND start < :window_end AND (%s) GROUP BY %s",
                             ent, filter, groups);
    case FL_DET_HEALTH:
        return fl_buf_printf(b,
                             "SELECT :bucket AS bucket, interface_id, COUNT(*) AS records, "
                             "count_if(log_status = 'SKIPDATA') AS skipdata, "
                             "count_if(log_status = 'NODATA') AS nodata, MAX(\"end\") AS last_end "
                             "FROM flows WHERE start >= :history_start AND start < :window_end "
                             "AND interface_id IS NOT NULL GROUP BY 1, 2");
    default:
        return FL_EINVAL;
    }
}

/* :history_start for detectors that look back (baseline, flood, health). */
static int64_t history_seconds(const struct fl_rule *r)
{
    switch (r->detector) {
    case FL_DET_BASELINE: return (int64_t)fl__det_param_num(r, "days", 7) * 86400;
    case FL_DET_FLOOD: return (int64_t)fl__det_param_num(r, "days", 7) * 86400;
    case FL_DET_HEALTH: {
        int64_t lb = 6 * 3600;
        const char *t = fl__det_param_text(r, "lookback", NULL);
        if (t)
            fl__det_parse_duration(t, &lb);
        return lb;
    }
    default: return 0;
    }
}

int fl_rule_sql(const struct fl_rule *r, const fl_config *cfg, int64_t from, int64_t to,
                char *buf, size_t cap, struct fl_error *err)
{
    struct fl_buf tmpl, out;
    fl_buf_init(&tmpl, DET_SQL_MAX);
    fl_buf_init(&out, DET_SQL_MAX);
    int rc = FL_OK;
    const char *src = r->sql;
    if (r->detector != FL_DET_SQL) {
        rc = detector_sql(r, &tmpl);
        src = rc == FL_OK ? fl_buf_cstr(&tmpl) : "";
        if (rc != FL_OK)
            fl_error_set(err, rc, "detector query too long");
    }
    if (rc == FL_OK) {
        /* :history_start is a detector-only built-in */
        struct fl_buf h;
        fl_buf_init(&h, DET_SQL_MAX);
        const char *s = src;
        const char *hs;
        while ((hs = strstr(s, ":history_start")) != NULL) {
            fl_buf_add(&h, s, (size_t)(hs - s));
            fl_buf_printf(&h, "%lld", (long long)(from - history_seconds(r)));
            s = hs + strlen(":history_start");
        }
        fl_buf_add(&h, s, strlen(s));
        rc = substitute(r, cfg, fl_buf_cstr(&h), from, to, &out, err);
        fl_buf_free(&h);
    }
    if (rc == FL_OK) {
        if (out.len + 1 > cap)
            rc = fl_error_set(err, FL_ELIMIT, "substituted SQL longer than %zu bytes", cap);
        else
            memcpy(buf, fl_buf_cstr(&out), out.len + 1);
    }
    fl_buf_free(&tmpl);
    fl_buf_free(&out);
    return rc;
}

int fl__det_rule_check(const struct det_rule *d, char *msg, size_t cap, uint32_t *line,
                       uint32_t *col)
{
    *line = *col = 0;
    const struct fl_rule *r = &d->r;
    const char *const *kp = known_params(r->detector);
    if (kp) {
        for (int i = 0; i < r->n_params; i++) {
            bool ok = false;
            for (int j = 0; kp[j]; j++)
                ok |= strcmp(kp[j], r->params[i].name) == 0;
            if (!ok) {
                size_t l = (size_t)snprintf(msg, cap, "detector %s has no param '%s' (known:",
                                            fl_detector_name(r->detector), r->params[i].name);
                for (int j = 0; kp[j] && l < cap; j++)
                    l += (size_t)snprintf(msg + l, cap - l, " %s", kp[j]);
                if (l < cap)
                    snprintf(msg + l, cap - l, ")");
                return FL_EINVAL;
            }
        }
        if (r->detector == FL_DET_SCAN) {
            const char *m = fl__det_param_text(r, "mode", "vertical");
            if (strcmp(m, "vertical") != 0 && strcmp(m, "horizontal") != 0) {
                snprintf(msg, cap, "scan mode must be vertical or horizontal");
                return FL_EINVAL;
            }
        }
        static const char *const durs[] = {"lookback", "warmup", "retention", "silent_after", NULL};
        for (int j = 0; durs[j]; j++) {
            const char *t = fl__det_param_text(r, durs[j], NULL);
            int64_t v;
            if (t && fl__det_parse_duration(t, &v) != FL_OK) {
                snprintf(msg, cap, "param %s: bad duration '%s'", durs[j], t);
                return FL_EINVAL;
            }
        }
    }
    char *sql = fl_malloc(DET_SQL_MAX);
    if (!sql) {
        snprintf(msg, cap, "out of memory");
        return FL_ENOMEM;
    }
    struct fl_error e;
    fl_error_clear(&e);
    fl_config *cfg = NULL;
    int rc = fl_config_defaults(&cfg, &e);
    if (rc == FL_OK)
        rc = fl_rule_sql(r, cfg, 1700000000 - 1700000000 % 86400, 1700000000 - 1700000000 % 86400 + r->window_s,
                         sql, DET_SQL_MAX, &e);
    if (rc != FL_OK) {
        snprintf(msg, cap, "%s", e.msg);
        fl_config_free(cfg);
        fl_free(sql);
        return rc;
    }
    fl_config_free(cfg);
    struct fl_query_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.home = "/nonexistent/flowsift-rules-check";
    qo.now_set = true;
    qo.now_us = 1700000000LL * 1000000;
    qo.memory = 64u << 20;
    qo.threads = 1;
    fl_query_result *res = NULL;
    rc = fl_query_run(sql, &qo, &res, &e);
    if (rc != FL_OK) {
        snprintf(msg, cap, "sql: %s", e.msg);
        if (r->detector == FL_DET_SQL && e.line > 0 && d->sql_line > 0) {
            *line = d->sql_line + (uint32_t)e.line - 1;
            *col = d->sql_col + (uint32_t)e.offset - 1;
        }
        fl_free(sql);
        return rc;
    }
    int nc = fl_query_result_cols(res);
    for (int i = 0; i < r->n_entity && rc == FL_OK; i++) {
        bool found = false;
        for (int c = 0; c < nc; c++)
            found |= strcmp(fl_query_result_name(res, c), r->entity[i]) == 0;
        if (!found && r->detector != FL_DET_BEACON && r->detector != FL_DET_HEALTH) {
            snprintf(msg, cap, "the query result has no column '%s' (entity columns must be selected)",
                     r->entity[i]);
            rc = FL_EINVAL;
        }
    }
    fl_query_result_free(res);
    fl_free(sql);
    return rc;
}
