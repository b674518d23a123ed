/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detect.c - the detection engine: for each rule, work out the range of
 * buckets to evaluate (from the rule's watermark minus its lateness to the
 * last complete bucket, or the caller's --from/--to aligned to buckets),
 * run the rule's SQL or native detector over it through the query engine,
 * turn the result rows into hits (entity key + evidence), hand them to the
 * findings store (which replaces the hits of those buckets: idempotent),
 * advance the watermark and notify the sinks.  A failing rule is reported
 * and the others go on.
 */
#include <math.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "detect/detect_int.h"

/* ---- hits ----------------------------------------------------------------- */
void fl__det_hits_free(struct det_hits *h)
{
    for (size_t i = 0; i < h->n; i++) {
        fl_free(h->v[i].entity);
        fl_free(h->v[i].entity_json);
        fl_free(h->v[i].evidence);
        fl_free(h->v[i].tags);
    }
    fl_free(h->v);
    memset(h, 0, sizeof *h);
}

int fl__det_hit_add(struct det_hits *h, int64_t bucket, const char *entity, const char *entity_json,
                    int64_t first, int64_t last, int64_t count, int severity, const char *evidence,
                    const char *tags)
{
    if (h->n >= DET_HITS_MAX)
        return FL_ELIMIT;
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 64;
        struct det_hit *nv = fl_realloc(h->v, nc * sizeof *nv);
        if (!nv)
            return FL_ENOMEM;
        h->v = nv;
        h->cap = nc;
    }
    struct det_hit *x = &h->v[h->n];
    memset(x, 0, sizeof *x);
    x->bucket = bucket;
    x->first_seen = first;
    x->last_seen = last;
    x->count = count;
    x->severity = severity;
    x->entity = fl_strdup(entity);
    x->entity_json = fl_strdup(entity_json);
    x->evidence = fl_strdup(evidence ? evidence : "{}");
    x->tags = tags && *tags ? fl_strdup(tags) : NULL;
    if (!x->entity || !x->entity_json || !x->evidence || (tags && *tags && !x->tags)) {
        fl_free(x->entity);
        fl_free(x->entity_json);
        fl_free(x->evidence);
        fl_free(x->tags);
        return FL_ENOMEM;
    }
    h->n++;
    return FL_OK;
}

int fl__det_row_entity(const struct fl_rule *r, const fl_query_result *res, size_t row,
                       const int *ent, struct fl_buf *key, struct fl_buf *json)
{
    char vals[FL_RULE_MAX_ENTITY][256];
    const char *vp[FL_RULE_MAX_ENTITY];
    struct fl_qcell q;
    for (int i = 0; i < r->n_entity; i++) {
        fl_query_result_cell(res, row, ent[i], &q);
        if (q.type == FL_QT_NULL) {
            vp[i] = NULL;
        } else {
            size_t n = fl_query_cell_format(&q, vals[i], sizeof vals[i]);
            if (n >= sizeof vals[i])
                vals[i][sizeof vals[i] - 1] = 0;
            vp[i] = vals[i];
        }
    }
    return fl__det_entity(r, vp, key, json);
}

int fl__det_entity(const struct fl_rule *r, const char *const *vals, struct fl_buf *key,
                   struct fl_buf *json)
{
    fl_buf_reset(key);
    fl_buf_reset(json);
    FL_TRY(fl_buf_addc(json, '{'));
    for (int i = 0; i < r->n_entity; i++) {
        const char *v = vals[i] ? vals[i] : "";
        FL_TRY(fl_buf_printf(key, "%s%s=%s", i ? "," : "", r->entity[i], v));
        if (i)
            FL_TRY(fl_buf_addc(json, ','));
        FL_TRY(fl_json_append_str(json, r->entity[i], strlen(r->entity[i])));
        FL_TRY(fl_buf_addc(json, ':'));
        if (vals[i])
            FL_TRY(fl_json_append_str(json, v, strlen(v)));
        else
            FL_TRY(fl_buf_add(json, "null", 4));
    }
    FL_TRY(fl_buf_addc(json, '}'));
    fl_buf_cstr(key);
    fl_buf_cstr(json);
    return FL_OK;
}

/* ---- cost accounting ------------------------------------------------------- */
static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the process so far (user + sys, every thread). */
static double cpu_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Rows a query reads, from its footer-only EXPLAIN ("Read: N row groups,
 * M rows, ..."); the time it takes is kept apart from the rule's. */
static void count_rows(struct det_ctx *c, const char *sql, const struct fl_query_opts *qo)
{
    double w0 = mono(), c0 = cpu_now();
    size_t n = strlen(sql);
    char *ex = fl_malloc(n + 9);
    if (ex) {
        memcpy(ex, "EXPLAIN ", 8);
        memcpy(ex + 8, sql, n + 1);
        fl_query_result *res = NULL;
        struct fl_error e;
        fl_error_clear(&e);
        if (fl_query_run(ex, qo, &res, &e) == FL_OK) {
            for (size_t i = 0; i < fl_query_result_rows(res); i++) {
                struct fl_qcell q;
                fl_query_result_cell(res, i, 0, &q);
                char line[256];
                size_t k = FL_MIN(q.s.n, sizeof line - 1);
                memcpy(line, q.s.p, k);
                line[k] = 0;
                unsigned long long rgs, rows;
                if (q.type == FL_QT_VARCHAR && sscanf(line, "Read: %llu row groups, %llu rows", &rgs, &rows) == 2)
                    c->rows_read += rows;
            }
        }
        fl_query_result_free(res);
        fl_free(ex);
    }
    c->explain_wall += mono() - w0;
    c->explain_cpu += cpu_now() - c0;
}

/* ---- running SQL ----------------------------------------------------------- */
int fl__det_query(struct det_ctx *c, const char *sql_template, int64_t from, int64_t to,
                  fl_query_result **out)
{
    (void)sql_template;
    *out = NULL;
    char *sql = fl_malloc(DET_SQL_MAX);
    if (!sql)
        return fl_error_set(c->err, FL_ENOMEM, "out of memory");
    int rc = fl_rule_sql(c->rule, c->cfg, from, to, sql, DET_SQL_MAX, c->err);
    if (rc == FL_OK) {
        struct fl_query_opts qo;
        memset(&qo, 0, sizeof qo);
        qo.home = c->home;
        qo.now_us = c->now * 1000000LL;
        qo.now_set = true;
        qo.memory = c->memory;
        rc = fl_query_run(sql, &qo, out, c->err);
        c->queries++;
        if (rc == FL_OK && c->timing)
            count_rows(c, sql, &qo);
    }
    fl_free(sql);
    return rc;
}

static int64_t cell_seconds(const struct fl_qcell *q, bool *ok)
{
    *ok = true;
    switch (q->type) {
    case FL_QT_BIGINT: return q->i;
    case FL_QT_TIMESTAMP: return q->i >= 0 ? q->i / 1000000 : -((-q->i + 999999) / 1000000);
    case FL_QT_DOUBLE: return (int64_t)q->d;
    default: *ok = false; return 0;
    }
}

/* Append a cell to a JSON object being built. */
static int json_cell(struct fl_buf *b, const struct fl_qcell *q)
{
    char tmp[64];
    switch (q->type) {
    case FL_QT_NULL: return fl_buf_add(b, "null", 4);
    case FL_QT_BOOL: return fl_buf_printf(b, "%s", q->i ? "true" : "false");
    case FL_QT_BIGINT: return fl_buf_printf(b, "%lld", (long long)q->i);
    case FL_QT_DOUBLE:
        if (!isfinite(q->d))
            return fl_buf_add(b, "null", 4);
        snprintf(tmp, sizeof tmp, "%.6g", q->d);
        return fl_buf_printf(b, "%s", tmp);
    case FL_QT_VARCHAR: return fl_json_append_str(b, q->s.p, q->s.n);
    default: {
        char buf[128];
        size_t n = fl_query_cell_format(q, buf, sizeof buf);
        return fl_json_append_str(b, buf, FL_MIN(n, sizeof buf - 1));
    }
    }
}

int fl__det_cols(struct det_ctx *c, const fl_query_result *res, struct det_cols *dc)
{
    const struct fl_rule *r = c->rule;
    int nc = fl_query_result_cols(res);
    dc->bucket = dc->first = dc->last = dc->count = dc->sev = -1;
    for (int i = 0; i < r->n_entity; i++) {
        dc->ent[i] = -1;
        for (int k = 0; k < nc; k++)
            if (strcmp(fl_query_result_name(res, k), r->entity[i]) == 0)
                dc->ent[i] = k;
        if (dc->ent[i] < 0)
            return fl_error_set(c->err, FL_EINVAL, "rule %s: result has no entity column '%s'", r->id,
                                r->entity[i]);
    }
    for (int k = 0; k < nc; k++) {
        const char *n = fl_query_result_name(res, k);
        if (strcmp(n, "bucket") == 0)
            dc->bucket = k;
        else if (strcmp(n, "first_seen") == 0)
            dc->first = k;
        else if (strcmp(n, "last_seen") == 0)
            dc->last = k;
        else if (strcmp(n, "hit_count") == 0)
            dc->count = k;
        else if (strcmp(n, "severity") == 0)
            dc->sev = k;
    }
    return FL_OK;
}

void fl__det_row_span(struct det_ctx *c, const fl_query_result *res, size_t row,
                      const struct det_cols *dc, int64_t *bucket_out, int64_t *first_out,
                      int64_t *last_out)
{
    const struct fl_rule *r = c->rule;
    struct fl_qcell q;
    bool ok;
    int64_t bucket = c->from;
    if (dc->bucket >= 0) {
        fl_query_result_cell(res, row, dc->bucket, &q);
        int64_t b = cell_seconds(&q, &ok);
        if (ok)
            bucket = b - (((b % r->window_s) + r->window_s) % r->window_s);
    }
    int64_t first = bucket, last = bucket + r->window_s - 1;
    if (dc->first >= 0) {
        fl_query_result_cell(res, row, dc->first, &q);
        int64_t v = cell_seconds(&q, &ok);
        if (ok)
            first = v;
    }
    if (dc->last >= 0) {
        fl_query_result_cell(res, row, dc->last, &q);
        int64_t v = cell_seconds(&q, &ok);
        if (ok)
            last = v;
    }
    if (dc->bucket < 0 && dc->first >= 0) /* no bucket: the bucket of first_seen */
        bucket = first - (((first % r->window_s) + r->window_s) % r->window_s);
    *bucket_out = bucket;
    *first_out = first;
    *last_out = last;
}

int fl__det_result_hits_rows(struct det_ctx *c, const fl_query_result *res, const struct det_cols *dc,
                             const size_t *sel, size_t nsel)
{
    const struct fl_rule *r = c->rule;
    int nc = fl_query_result_cols(res);
    struct fl_buf key, json, ev, tags;
    fl_buf_init(&key, 8192);
    fl_buf_init(&json, 16384);
    fl_buf_init(&ev, DET_EVIDENCE_MAX);
    fl_buf_init(&tags, 1024);
    int rc = FL_OK;
    size_t rows = sel ? nsel : fl_query_result_rows(res);
    for (size_t ri = 0; ri < rows && rc == FL_OK; ri++) {
        size_t row = sel ? sel[ri] : ri;
        struct fl_qcell q;
        rc = fl__det_row_entity(r, res, row, dc->ent, &key, &json);
        if (rc != FL_OK)
            break;
        bool ok;
        int64_t bucket, first, last, count = 1;
        fl__det_row_span(c, res, row, dc, &bucket, &first, &last);
        if (dc->count >= 0) {
            fl_query_result_cell(res, row, dc->count, &q);
            int64_t v = cell_seconds(&q, &ok);
            if (ok && v > 0)
                count = v;
        }
        int sev = r->severity;
        if (dc->sev >= 0) {
            fl_query_result_cell(res, row, dc->sev, &q);
            if (q.type == FL_QT_VARCHAR && q.s.n < 16) {
                char sb[16];
                memcpy(sb, q.s.p, q.s.n);
                sb[q.s.n] = 0;
                int s2;
                if (fl_severity_parse(sb, &s2) == FL_OK)
                    sev = s2;
            } else if (q.type == FL_QT_BIGINT && q.i >= 1 && q.i <= 5) {
                sev = (int)q.i;
            }
        }
        fl_buf_reset(&ev);
        fl_buf_reset(&tags);
        rc = fl_buf_addc(&ev, '{');
        for (int k = 0; k < nc && rc == FL_OK; k++) {
            const char *n = fl_query_result_name(res, k);
            fl_query_result_cell(res, row, k, &q);
            if (k)
                rc = fl_buf_addc(&ev, ',');
            if (rc == FL_OK)
                rc = fl_json_append_str(&ev, n, strlen(n));
            if (rc == FL_OK)
                rc = fl_buf_addc(&ev, ':');
            if (rc == FL_OK)
                rc = json_cell(&ev, &q);
            size_t nl = strlen(n);
            if (q.type == FL_QT_VARCHAR && nl >= 3 && strcmp(n + nl - 3, "tag") == 0 && q.s.n < 200) {
                if (tags.len == 0)
                    fl_buf_addc(&tags, '\t');
                fl_buf_add(&tags, q.s.p, q.s.n);
                fl_buf_addc(&tags, '\t');
            }
        }
        if (rc == FL_OK)
            rc = fl_buf_addc(&ev, '}');
        if (rc == FL_ELIMIT) { /* evidence too wide: keep the entity only */
            fl_buf_reset(&ev);
            rc = fl_buf_add(&ev, json.p, json.len);
        }
        if (rc == FL_OK)
            rc = fl__det_hit_add(c->out, bucket, fl_buf_cstr(&key), fl_buf_cstr(&json), first, last,
                                 count, sev, fl_buf_cstr(&ev), tags.len ? fl_buf_cstr(&tags) : NULL);
    }
    if (rc != FL_OK && rc != FL_ELIMIT)
        fl_error_set(c->err, rc, "rule %s: collecting hits: %s", r->id, fl_strerror(rc));
    else if (rc == FL_ELIMIT)
        fl_error_set(c->err, rc, "rule %s: more than %d hits in one run", r->id, DET_HITS_MAX);
    fl_buf_free(&key);
    fl_buf_free(&json);
    fl_buf_free(&ev);
    fl_buf_free(&tags);
    return rc;
}

int fl__det_result_hits(struct det_ctx *c, const fl_query_result *res)
{
    struct det_cols dc;
    FL_TRY(fl__det_cols(c, res, &dc));
    return fl__det_result_hits_rows(c, res, &dc, NULL, 0);
}

static int run_sql_rule(struct det_ctx *c)
{
    fl_query_result *res = NULL;
    int rc = fl__det_query(c, NULL, c->from, c->to, &res);
    if (rc != FL_OK)
        return rc;
    rc = fl__det_result_hits(c, res);
    fl_query_result_free(res);
    return rc;
}

static int run_rule(struct det_ctx *c)
{
    switch (c->rule->detector) {
    case FL_DET_SQL: return run_sql_rule(c);
    case FL_DET_SCAN: return fl__det_scan(c);
    case FL_DET_BASELINE: return fl__det_baseline(c);
    case FL_DET_FIRST_SEEN: return fl__det_first_seen(c);
    case FL_DET_BEACON: return fl__det_beacon(c);
    case FL_DET_FLOOD: return fl__det_flood(c);
    case FL_DET_HEALTH: return fl__det_health(c);
    default: return fl_error_set(c->err, FL_EINTERNAL, "unknown detector");
    }
}

static int64_t floor_to(int64_t t, int64_t w)
{
    int64_t m = ((t % w) + w) % w;
    return t - m;
}

int fl_detect_run(const struct fl_detect_opts *o, struct fl_detect_totals *out,
                  struct fl_error *err)
{
    struct fl_detect_totals tot;
    memset(&tot, 0, sizeof tot);
    if (!o || !o->home || !o->rules)
        return fl_error_set(err, FL_EINVAL, "detect: home and rules are required");
    if (o->have_range && o->to <= o->from)
        return fl_error_set(err, FL_EINVAL, "detect: --to must be after --from");
    fl_state *st = NULL;
    FL_TRY(fl_detect_state_open(&st, o->home, err));
    int64_t now = o->now ? o->now : (int64_t)time(NULL);
    int rc = FL_OK;
    for (int i = 0; i < fl_ruleset_count(o->rules) && rc == FL_OK; i++) {
        const struct fl_rule *r = fl_ruleset_rule(o->rules, i);
        if (o->only_rule ? strcmp(o->only_rule, r->id) != 0 : !r->enabled)
            continue;
        struct fl_detect_rule_result rr;
        memset(&rr, 0, sizeof rr);
        rr.rule = r->id;
        double t0 = mono(), cpu0 = cpu_now();
        struct det_ctx c = {r, o->config, o->home, st, 0, 0, now, o->memory, NULL, NULL, o->timing, 0, 0, 0, 0};
        int64_t w = r->window_s, wm = 0, hist = 0;
        struct fl_error e;
        fl_error_clear(&e);
        int rrc = fl__det_watermark_get(st, r->id, &wm, &hist, &e);
        int64_t from, to;
        if (o->have_range) {
            from = floor_to(o->from, w);
            to = floor_to(o->to + w - 1, w);
        } else {
            to = floor_to(now, w);
            int64_t late = o->lateness_s >= 0 ? o->lateness_s : r->lateness_s;
            if (wm > 0) {
                from = floor_to(wm - late, w);
            } else {
                int64_t lb = o->first_lookback_s > 0 ? o->first_lookback_s : 86400;
                from = floor_to(to - FL_MAX(lb, w), w);
            }
        }
        rr.from = from;
        rr.to = to;
        struct det_hits hits = {0};
        if (rrc == FL_OK && from < to) {
            if (hist == 0 || from < hist)
                hist = from;
            /* the history start must be known to detectors with warm-up */
            rrc = fl__det_watermark_set(st, r->id, wm, hist, now, &e);
            c.from = from;
            c.to = to;
            c.out = &hits;
            c.err = &e;
            if (rrc == FL_OK)
                rrc = run_rule(&c);
            struct det_store_result sr;
            memset(&sr, 0, sizeof sr);
            if (rrc == FL_OK)
                rrc = fl__det_store(st, r, from, to, now, &hits, &sr, &e);
            if (rrc == FL_OK)
                rrc = fl__det_watermark_set(st, r->id, FL_MAX(wm, to), hist, now, &e);
            if (rrc == FL_OK && o->n_sinks > 0)
                rrc = fl__det_notify(st, r, o->sinks, o->n_sinks, now, &rr.notified, &rr.notify_failed, &e);
            rr.hits = hits.n;
            rr.new_findings = sr.new_findings;
            rr.updated = sr.updated;
            rr.suppressed = sr.suppressed;
            rr.capped = sr.capped;
        }
        fl__det_hits_free(&hits);
        rr.rc = rrc;
        rr.error = rrc != FL_OK ? e.msg : NULL;
        rr.seconds = mono() - t0 - c.explain_wall;
        rr.cpu_seconds = cpu_now() - cpu0 - c.explain_cpu;
        rr.queries = c.queries;
        rr.rows_read = c.rows_read;
        tot.rules++;
        if (rrc != FL_OK)
            tot.rules_failed++;
        tot.hits += rr.hits;
        tot.new_findings += rr.new_findings;
        tot.updated += rr.updated;
        tot.suppressed += rr.suppressed;
        tot.notified += rr.notified;
        tot.capped += rr.capped;
        tot.notify_failed += rr.notify_failed;
        if (o->on_rule)
            o->on_rule(o->ctx, &rr);
    }
    fl_state_close(st);
    if (out)
        *out = tot;
    return rc;
}
