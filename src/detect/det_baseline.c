/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_baseline.c - the baseline detector: a metric per entity per bucket
 * (SUM(bytes) by default, any aggregate in `metric`) compared with the
 * entity's own history over `days` days.  Hour-of-day aware by default: the
 * bucket at 14:00 is compared with the 14:00 buckets of the previous days.
 * A bucket fires when its value is above the absolute `floor` AND either
 * above k x the baseline mean or above mean + z x sigma, with at least
 * `min_points` history points (counted from the entity's first appearance,
 * so an entity seen for the first time never fires here: first_seen covers
 * that).  The history is recomputed from the dataset on every run (so it
 * is idempotent); the baselines table keeps the latest numbers for display.
 * The series helpers are shared with det_flood.c.
 */
#include <math.h>
#include <stdlib.h>

#include "detect/detect_int.h"

static int cmp_pt(const void *a, const void *b)
{
    const struct det_point *x = a, *y = b;
    int c = strcmp(x->entity, y->entity);
    if (c)
        return c;
    return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

void fl__det_series_free(struct det_series *s)
{
    for (size_t i = 0; i < s->n; i++) {
        fl_free(s->v[i].entity);
        fl_free(s->v[i].entity_json);
    }
    fl_free(s->v);
    memset(s, 0, sizeof *s);
}

int fl__det_series_load(struct det_ctx *c, const fl_query_result *res, const char *const *valcols,
                        int n_val, struct det_series *out)
{
    const struct fl_rule *r = c->rule;
    memset(out, 0, sizeof *out);
    int nc = fl_query_result_cols(res);
    int ent[FL_RULE_MAX_ENTITY], vc[4] = {-1, -1, -1, -1}, bc = -1;
    for (int i = 0; i < r->n_entity; i++) {
        ent[i] = -1;
        for (int k = 0; k < nc; k++)
            if (strcmp(fl_query_result_name(res, k), r->entity[i]) == 0)
                ent[i] = k;
        if (ent[i] < 0)
            return fl_error_set(c->err, FL_EINVAL, "rule %s: no entity column %s", r->id, r->entity[i]);
    }
    for (int k = 0; k < nc; k++) {
        if (strcmp(fl_query_result_name(res, k), "bucket") == 0)
            bc = k;
        for (int j = 0; j < n_val && j < 4; j++)
            if (strcmp(fl_query_result_name(res, k), valcols[j]) == 0)
                vc[j] = k;
    }
    if (bc < 0)
        return fl_error_set(c->err, FL_EINVAL, "rule %s: no bucket column", r->id);
    size_t rows = fl_query_result_rows(res);
    if (rows > DET_HITS_MAX)
        return fl_error_set(c->err, FL_ELIMIT, "rule %s: more than %d series points", r->id, DET_HITS_MAX);
    out->v = fl_calloc(rows ? rows : 1, sizeof *out->v);
    if (!out->v)
        return fl_error_set(c->err, FL_ENOMEM, "out of memory");
    struct fl_buf key, json;
    fl_buf_init(&key, 8192);
    fl_buf_init(&json, 16384);
    int rc = FL_OK;
    for (size_t row = 0; row < rows && rc == FL_OK; row++) {
        struct fl_qcell q;
        rc = fl__det_row_entity(r, res, row, ent, &key, &json);
        if (rc != FL_OK)
            break;
        struct det_point *p = &out->v[out->n];
        fl_query_result_cell(res, row, bc, &q);
        p->bucket = q.i - (((q.i % r->window_s) + r->window_s) % r->window_s);
        for (int j = 0; j < n_val && j < 4; j++) {
            p->val[j] = 0;
            if (vc[j] < 0)
                continue;
            fl_query_result_cell(res, row, vc[j], &q);
            p->val[j] = q.type == FL_QT_DOUBLE ? q.d : q.type == FL_QT_BIGINT ? (double)q.i : 0;
        }
        p->entity = fl_strdup(fl_buf_cstr(&key));
        p->entity_json = fl_strdup(fl_buf_cstr(&json));
        out->n++;
        if (!p->entity || !p->entity_json)
            rc = FL_ENOMEM;
    }
    fl_buf_free(&key);
    fl_buf_free(&json);
    if (rc != FL_OK) {
        fl__det_series_free(out);
        return fl_error_set(c->err, rc, "rule %s: %s", r->id, fl_strerror(rc));
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_pt);
    return FL_OK;
}

/* Value j of entity group [g0, g1) at bucket b, 0 when absent. */
double fl__det_series_at(const struct det_series *s, size_t g0, size_t g1, int64_t b, int j)
{
    size_t lo = g0, hi = g1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].bucket < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g1 && s->v[lo].bucket == b ? s->v[lo].val[j] : 0;
}

void fl__det_series_stats(const struct det_series *s, size_t g0, size_t g1, int64_t b, int64_t step,
                          int64_t span, int j, double *mean, double *sd, int *points)
{
    int64_t first = s->v[g0].bucket;
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int64_t t = b - step; t >= b - span && t >= first; t -= step) {
        double v = fl__det_series_at(s, g0, g1, t, j);
        sum += v;
        sum2 += v * v;
        n++;
    }
    *points = n;
    *mean = n ? sum / n : 0;
    double var = n > 1 ? (sum2 - n * (*mean) * (*mean)) / (n - 1) : 0;
    *sd = var > 0 ? sqrt(var) : 0;
}

int fl__det_baseline(struct det_ctx *c)
{
    const struct fl_rule *r = c->rule;
    double k = fl__det_param_num(r, "k", 10), floor_v = fl__det_param_num(r, "floor", 1e8);
    double z = fl__det_param_num(r, "z", 0), min_points = fl__det_param_num(r, "min_points", 3);
    int64_t days = (int64_t)fl__det_param_num(r, "days", 7);
    const char *hod = fl__det_param_text(r, "hour_of_day", "true");
    bool by_hour = strcmp(hod, "false") != 0 && strcmp(hod, "'false'") != 0;
    fl_query_result *res = NULL;
    FL_TRY(fl__det_query(c, NULL, c->from, c->to, &res));
    static const char *const vcols[] = {"value"};
    struct det_series s;
    int rc = fl__det_series_load(c, res, vcols, 1, &s);
    fl_query_result_free(res);
    FL_TRY(rc);
    int64_t step = by_hour ? 86400 : r->window_s;
    struct fl_buf ev;
    fl_buf_init(&ev, DET_EVIDENCE_MAX);
    fl_stmt *put = NULL;
    rc = fl_stmt_prepare(c->st,
                         "INSERT INTO baselines(rule, entity, hour, points, mean, sd, updated_at) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(rule, entity, hour) DO UPDATE "
                         "SET points = ?4, mean = ?5, sd = ?6, updated_at = ?7",
                         &put, c->err);
    int puts = 0;
    if (rc == FL_OK)
        rc = fl_state_begin(c->st, c->err);
    for (size_t g0 = 0; g0 < s.n && rc == FL_OK;) {
        size_t g1 = g0 + 1;
        while (g1 < s.n && strcmp(s.v[g1].entity, s.v[g0].entity) == 0)
            g1++;
        for (size_t i = g0; i < g1 && rc == FL_OK; i++) {
            struct det_point *p = &s.v[i];
            if (p->bucket < c->from || p->bucket >= c->to)
                continue;
            double mean, sd;
            int pts;
            fl__det_series_stats(&s, g0, g1, p->bucket, step, days * 86400, 0, &mean, &sd, &pts);
            if (pts > 0 && puts < 100000) {
                fl_stmt_bind_text(put, 1, r->id, strlen(r->id));
                fl_stmt_bind_text(put, 2, p->entity, strlen(p->entity));
                fl_stmt_bind_i64(put, 3, by_hour ? (p->bucket % 86400) / 3600 : -1);
                fl_stmt_bind_i64(put, 4, pts);
                char m[32], d[32];
                snprintf(m, sizeof m, "%.17g", mean);
                snprintf(d, sizeof d, "%.17g", sd);
                fl_stmt_bind_text(put, 5, m, strlen(m));
                fl_stmt_bind_text(put, 6, d, strlen(d));
                fl_stmt_bind_i64(put, 7, c->now);
                int st = fl_stmt_step(put, c->err);
                fl_stmt_reset(put);
                if (st < 0)
                    rc = st;
                puts++;
            }
            double v = p->val[0];
            bool fire = v >= floor_v && pts >= min_points &&
                        ((k > 0 && v > k * mean) || (z > 0 && v > mean + z * sd));
            if (!fire)
                continue;
            fl_buf_reset(&ev);
            fl_buf_printf(&ev,
                          "{\"bucket\":%lld,\"entity\":%s,\"value\":%.17g,\"baseline_mean\":%.6g,"
                          "\"baseline_sd\":%.6g,\"points\":%d,\"ratio\":%.3g}",
                          (long long)p->bucket, p->entity_json, v, mean, sd, pts,
                          mean > 0 ? v / mean : 0.0);
            rc = fl__det_hit_add(c->out, p->bucket, p->entity, p->entity_json, p->bucket,
                                 p->bucket + r->window_s - 1, 1, r->severity, fl_buf_cstr(&ev), NULL);
        }
        g0 = g1;
    }
    fl_stmt_finalize(put);
    if (rc == FL_OK)
        rc = fl_state_commit(c->st, c->err);
    else if (put)
        fl_state_rollback(c->st);
    fl_buf_free(&ev);
    fl__det_series_free(&s);
    return rc;
}
