/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_first_seen.c - the first_seen detector: an entity key (e.g. source +
 * external destination, source + country, tier pair + port) that was not
 * seen in the lookback (7 days by default).  The set lives in state.db
 * (table first_seen, per rule, with retention); a key fires only once the
 * rule's history is older than the warm-up, so a new deployment does not
 * flag everything it sees on day one.  Buckets are processed in time
 * order; re-evaluating a bucket sees the key's first_seen >= the bucket and
 * fires again, so repeated runs give the same hits.
 */
#include <stdlib.h>

#include "detect/detect_int.h"

static int64_t dur_param(const struct fl_rule *r, const char *name, int64_t def)
{
    const char *t = fl__det_param_text(r, name, NULL);
    int64_t v;
    if (t && fl__det_parse_duration(t, &v) == FL_OK)
        return v;
    return def;
}

/* A candidate: one result row (key, bucket). */
struct cand {
    size_t off;  /* key text in the pool */
    size_t row;
    int64_t bucket, first, last;
};

/* qsort has no context argument; detection runs one rule at a time per thread */
static _Thread_local const char *sort_pool;

/* Candidates by key, then bucket, then row order. */
static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    int c = strcmp(sort_pool + x->off, sort_pool + y->off);
    if (c)
        return c;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The canonical key of a result row, as fl__det_row_entity builds it
 * ("col=value,...", NULL as empty, values cut at 255 bytes), without the
 * JSON form. */
static int row_key(const struct fl_rule *r, const fl_query_result *res, size_t row, const int *ent,
                   struct fl_buf *key)
{
    fl_buf_reset(key);
    for (int i = 0; i < r->n_entity; i++) {
        char val[256];
        size_t n = 0;
        struct fl_qcell q;
        fl_query_result_cell(res, row, ent[i], &q);
        if (q.type != FL_QT_NULL) {
            n = fl_query_cell_format(&q, val, sizeof val);
            if (n >= sizeof val)
                n = sizeof val - 1;
            n = strnlen(val, n); /* as "%s" would */
        }
        if (i)
            FL_TRY(fl_buf_addc(key, ','));
        FL_TRY(fl_buf_add(key, r->entity[i], strlen(r->entity[i])));
        FL_TRY(fl_buf_addc(key, '='));
        FL_TRY(fl_buf_add(key, val, n));
    }
    fl_buf_cstr(key);
    return FL_OK;
}

int fl__det_first_seen(struct det_ctx *c)
{
    const struct fl_rule *r = c->rule;
    int64_t lookback = dur_param(r, "lookback", 7 * 86400);
    int64_t warmup = dur_param(r, "warmup", 7 * 86400);
    int64_t retention = dur_param(r, "retention", 90 * 86400);
    int64_t wm = 0, hist = 0;
    FL_TRY(fl__det_watermark_get(c->st, r->id, &wm, &hist, c->err));
    if (hist == 0)
        hist = c->from;
    fl_query_result *res = NULL;
    FL_TRY(fl__det_query(c, NULL, c->from, c->to, &res));
    /* every row is a candidate: its key (text, in one pool), bucket and
     * span; evidence is built only for the rows that fire */
    struct det_cols dc;
    int rc = fl__det_cols(c, res, &dc);
    size_t rows = fl_query_result_rows(res);
    if (rc == FL_OK && rows > DET_CANDIDATES_MAX)
        rc = fl_error_set(c->err, FL_ELIMIT, "rule %s: more than %d candidate keys in one run", r->id,
                          DET_CANDIDATES_MAX);
    struct cand *cv = rc == FL_OK ? fl_calloc(rows ? rows : 1, sizeof *cv) : NULL;
    size_t *sel = rc == FL_OK ? fl_calloc(rows ? rows : 1, sizeof *sel) : NULL;
    size_t nsel = 0;
    struct fl_buf pool, key;
    fl_buf_init(&pool, (size_t)1 << 30); /* key bytes */
    fl_buf_init(&key, 8192);
    if (rc == FL_OK && (!cv || !sel))
        rc = fl_error_set(c->err, FL_ENOMEM, "out of memory (%zu candidate keys)", rows);
    for (size_t i = 0; i < rows && rc == FL_OK; i++) {
        rc = row_key(r, res, i, dc.ent, &key);
        if (rc == FL_OK) {
            cv[i].off = pool.len;
            cv[i].row = i;
            fl__det_row_span(c, res, i, &dc, &cv[i].bucket, &cv[i].first, &cv[i].last);
            rc = fl_buf_add(&pool, key.p, key.len + 1); /* with its NUL */
        }
        if (rc != FL_OK)
            rc = fl_error_set(c->err, rc, "rule %s: candidate keys: %s", r->id, fl_strerror(rc));
    }
    fl_buf_free(&key);
    /* one look-up and at most one write per key: the candidates sorted by
     * key then bucket (B-tree locality too); a key's buckets are applied in
     * time order as the row-by-row version did */
    if (rc == FL_OK && rows > 1) {
        sort_pool = pool.p;
        qsort(cv, rows, sizeof *cv, cmp_cand);
        sort_pool = NULL;
    }
    fl_stmt *get = NULL, *put = NULL;
    /* the set can be large: a bigger page cache for this connection */
    if (rc == FL_OK)
        rc = fl_state_exec(c->st, "PRAGMA cache_size = -65536", c->err);
    if (rc == FL_OK)
        rc = fl_state_begin(c->st, c->err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(c->st, "SELECT first_seen, last_seen FROM first_seen WHERE rule = ? AND entity = ?",
                             &get, c->err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(c->st,
                             "INSERT INTO first_seen(rule, entity, first_seen, last_seen) VALUES(?1, ?2, ?3, ?4) "
                             "ON CONFLICT(rule, entity) DO UPDATE SET first_seen = ?3, last_seen = ?4",
                             &put, c->err);
    for (size_t g0 = 0; g0 < rows && rc == FL_OK;) {
        const char *ent = pool.p + cv[g0].off;
        size_t g1 = g0 + 1;
        while (g1 < rows && strcmp(pool.p + cv[g1].off, ent) == 0)
            g1++;
        fl_stmt_bind_text(get, 1, r->id, strlen(r->id));
        fl_stmt_bind_text(get, 2, ent, strlen(ent));
        int s = fl_stmt_step(get, c->err);
        bool known = s == 1;
        int64_t fs = known ? fl_stmt_i64(get, 0) : 0, ls = known ? fl_stmt_i64(get, 1) : 0;
        fl_stmt_reset(get);
        if (s < 0) {
            rc = s;
            break;
        }
        bool dirty = false;
        for (size_t k = g0; k < g1; k++) {
            const struct cand *h = &cv[k];
            bool fresh;
            int64_t nfs, nls;
            if (!known || ls < h->bucket - lookback) { /* never, or not within the lookback */
                fresh = true;
                nfs = h->first;
                nls = h->last;
            } else if (fs >= h->bucket) { /* first seen in this bucket (again) or later */
                fresh = true;
                nfs = h->first;
                nls = FL_MAX(ls, h->last);
            } else {
                fresh = false;
                nfs = fs;
                nls = FL_MAX(ls, h->last);
            }
            dirty |= !known || nfs != fs || nls != ls;
            known = true;
            fs = nfs;
            ls = nls;
            if (fresh && h->bucket >= hist + warmup)
                sel[nsel++] = h->row;
        }
        if (dirty) {
            fl_stmt_bind_text(put, 1, r->id, strlen(r->id));
            fl_stmt_bind_text(put, 2, ent, strlen(ent));
            fl_stmt_bind_i64(put, 3, fs);
            fl_stmt_bind_i64(put, 4, ls);
            s = fl_stmt_step(put, c->err);
            fl_stmt_reset(put);
            if (s < 0)
                rc = s;
        }
        g0 = g1;
    }
    if (rc == FL_OK && nsel)
        rc = fl__det_result_hits_rows(c, res, &dc, sel, nsel);
    fl_stmt_finalize(get);
    fl_stmt_finalize(put);
    if (rc == FL_OK) {
        fl_stmt *del;
        rc = fl_stmt_prepare(c->st, "DELETE FROM first_seen WHERE rule = ? AND last_seen < ?", &del, c->err);
        if (rc == FL_OK) {
            fl_stmt_bind_text(del, 1, r->id, strlen(r->id));
            fl_stmt_bind_i64(del, 2, c->to - retention);
            int s = fl_stmt_step(del, c->err);
            fl_stmt_finalize(del);
            if (s < 0)
                rc = s;
        }
    }
    if (rc == FL_OK)
        rc = fl_state_commit(c->st, c->err);
    else
        fl_state_rollback(c->st);
    fl_free(cv);
    fl_free(sel);
    fl_buf_free(&pool);
    fl_query_result_free(res);
    return rc;
}
