/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_health.c - flow-log health: the data about the data.  Per interface
 * and bucket it raises
 *   skipdata  - records with log_status SKIPDATA (AWS dropped records under
 *               capacity pressure; Panther's AWS.VPC.HealthyLogStatus);
 *   silent    - an interface that logged at least `min_records` (10) in
 *               each of `min_active` (3) consecutive buckets and then
 *               nothing for `silent_after` (1 h) while the dataset goes on;
 *   late_data - records that arrived for a bucket already evaluated and
 *               no longer re-evaluated (older than the watermark minus the
 *               lateness: detections ran without them); per-bucket record
 *               counts are kept in state.db and compared on every run.
 * The rule's entity is [interface_id, issue].
 */
#include "detect/detect_int.h"

static int add(struct det_ctx *c, const char *iface, const char *issue, int64_t bucket, int64_t first,
               int64_t last, int64_t count, int sev, const char *evidence)
{
    const struct fl_rule *r = c->rule;
    const char *vals[FL_RULE_MAX_ENTITY] = {0};
    for (int e = 0; e < r->n_entity; e++)
        vals[e] = strcmp(r->entity[e], "interface_id") == 0 ? iface
                  : strcmp(r->entity[e], "issue") == 0      ? issue
                                                            : NULL;
    struct fl_buf key, json;
    fl_buf_init(&key, 8192);
    fl_buf_init(&json, 16384);
    int rc = fl__det_entity(r, vals, &key, &json);
    if (rc == FL_OK)
        rc = fl__det_hit_add(c->out, bucket, fl_buf_cstr(&key), fl_buf_cstr(&json), first, last, count,
                             sev, evidence, NULL);
    fl_buf_free(&key);
    fl_buf_free(&json);
    return rc;
}

int fl__det_health(struct det_ctx *c)
{
    const struct fl_rule *r = c->rule;
    int64_t silent_after = 3600, lookback = 6 * 3600;
    const char *t;
    if ((t = fl__det_param_text(r, "silent_after", NULL)))
        fl__det_parse_duration(t, &silent_after);
    if ((t = fl__det_param_text(r, "lookback", NULL)))
        fl__det_parse_duration(t, &lookback);
    double min_skip = fl__det_param_num(r, "min_skipdata", 1);
    int64_t min_active = (int64_t)fl__det_param_num(r, "min_active", 3);
    if (min_active < 1)
        min_active = 1;
    double min_records = fl__det_param_num(r, "min_records", 10);
    fl_query_result *res = NULL;
    FL_TRY(fl__det_query(c, NULL, c->from, c->to, &res));
    static const char *const vcols[] = {"records", "skipdata", "nodata", "last_end"};
    /* the series helper keys by the rule entity; health keys by interface */
    struct fl_rule rr = *r;
    rr.n_entity = 1;
    snprintf(rr.entity[0], sizeof rr.entity[0], "interface_id");
    struct det_ctx c2 = *c;
    c2.rule = &rr;
    struct det_series s;
    int rc = fl__det_series_load(&c2, res, vcols, 4, &s);
    fl_query_result_free(res);
    FL_TRY(rc);
    char ev[512];
    int64_t w = r->window_s;
    /* the data's end: the last bucket with any record */
    int64_t data_end = 0;
    for (size_t i = 0; i < s.n; i++)
        data_end = FL_MAX(data_end, s.v[i].bucket + w);
    for (size_t g0 = 0; g0 < s.n && rc == FL_OK;) {
        size_t g1 = g0 + 1;
        while (g1 < s.n && strcmp(s.v[g1].entity, s.v[g0].entity) == 0)
            g1++;
        const char *iface = strchr(s.v[g0].entity, '=') ? strchr(s.v[g0].entity, '=') + 1 : "";
        for (size_t i = g0; i < g1 && rc == FL_OK; i++) {
            struct det_point *p = &s.v[i];
            if (p->bucket >= c->from && p->bucket < c->to && p->val[1] >= min_skip) {
                snprintf(ev, sizeof ev, "{\"interface_id\":\"%.64s\",\"bucket\":%lld,\"skipdata\":%.0f,\"records\":%.0f}",
                         iface, (long long)p->bucket, p->val[1], p->val[0]);
                rc = add(c, iface, "skipdata", p->bucket, p->bucket, p->bucket + w - 1, (int64_t)p->val[1],
                         r->severity, ev);
            }
            /* silence starts after this bucket when the next ones are empty */
            int64_t nb = p->bucket + w;
            bool next_empty = i + 1 >= g1 || s.v[i + 1].bucket >= nb + silent_after;
            /* only an interface that logged steadily before (min_active
             * consecutive buckets) can "go silent" */
            bool steady = i >= g0 + (size_t)(min_active - 1) &&
                          s.v[i - (size_t)(min_active - 1)].bucket == p->bucket - (min_active - 1) * w;
            for (int64_t k = 0; steady && k < min_active; k++)
                steady = s.v[i - (size_t)k].val[0] >= min_records;
            if (rc == FL_OK && next_empty && steady && nb >= c->from && nb < c->to && nb + silent_after <= data_end) {
                snprintf(ev, sizeof ev, "{\"interface_id\":\"%.64s\",\"silent_from\":%lld,\"last_records\":%.0f}",
                         iface, (long long)nb, p->val[0]);
                rc = add(c, iface, "silent", nb, nb, nb + w - 1, 1, r->severity, ev);
            }
        }
        g0 = g1;
    }
    /* late data: buckets before the lateness horizon whose record count grew */
    if (rc == FL_OK && c->st) {
        int64_t wm = 0, hist = 0;
        rc = fl__det_watermark_get(c->st, r->id, &wm, &hist, c->err);
        /* totals per bucket over every interface */
        int64_t nb = (c->to - (c->from - lookback)) / w;
        if (rc == FL_OK && nb > 0 && nb <= 100000) {
            int64_t *tot = fl_calloc((size_t)nb, sizeof *tot);
            if (!tot)
                rc = fl_error_set(c->err, FL_ENOMEM, "out of memory");
            int64_t base = c->from - lookback;
            for (size_t i = 0; tot && i < s.n; i++) {
                int64_t k = (s.v[i].bucket - base) / w;
                if (k >= 0 && k < nb)
                    tot[k] += (int64_t)s.v[i].val[0];
            }
            fl_stmt *get = NULL, *put = NULL;
            if (rc == FL_OK)
                rc = fl_stmt_prepare(c->st, "SELECT records FROM bucket_counts WHERE bucket = ?", &get, c->err);
            if (rc == FL_OK)
                rc = fl_stmt_prepare(c->st,
                                     "INSERT INTO bucket_counts(bucket, records, seen_at) VALUES(?1, ?2, ?3) "
                                     "ON CONFLICT(bucket) DO UPDATE SET records = ?2, seen_at = ?3",
                                     &put, c->err);
            for (int64_t k = 0; k < nb && rc == FL_OK; k++) {
                int64_t b = base + k * w;
                fl_stmt_bind_i64(get, 1, b);
                int st = fl_stmt_step(get, c->err);
                int64_t old = st == 1 ? fl_stmt_i64(get, 0) : -1;
                fl_stmt_reset(get);
                if (st < 0) {
                    rc = st;
                    break;
                }
                if (old >= 0 && tot[k] > old && wm > 0 && b + w <= wm && b + w <= c->from) {
                    snprintf(ev, sizeof ev, "{\"bucket\":%lld,\"records_before\":%lld,\"records_now\":%lld}",
                             (long long)b, (long long)old, (long long)tot[k]);
                    /* reported in the bucket the run covers, keyed to the late bucket */
                    rc = add(c, "*", "late_data", b, b, b + w - 1, tot[k] - old, r->severity, ev);
                }
                if (rc == FL_OK && tot[k] != old) {
                    fl_stmt_bind_i64(put, 1, b);
                    fl_stmt_bind_i64(put, 2, FL_MAX(tot[k], old));
                    fl_stmt_bind_i64(put, 3, c->now);
                    st = fl_stmt_step(put, c->err);
                    fl_stmt_reset(put);
                    if (st < 0)
                        rc = st;
                }
            }
            fl_stmt_finalize(get);
            fl_stmt_finalize(put);
            fl_free(tot);
        }
    }
    fl__det_series_free(&s);
    return rc;
}
