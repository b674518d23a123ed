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
#include "detect/detect_int.h"

static int64_t dur_param(const struct fl_rule *r, const char *name, int64_t def)
{
    const char *t = fl__det_param_text(r, name, NULL);
    int64_t v;
    if (t && fl__det_parse_duration(t, &v) == FL_OK)
        return v;
    return def;
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
    /* all rows become candidate hits; then keep the new ones */
    struct det_hits all = {0};
    struct det_hits *saved = c->out;
    c->out = &all;
    int rc = fl__det_result_hits(c, res);
    c->out = saved;
    fl_query_result_free(res);
    if (rc != FL_OK) {
        fl__det_hits_free(&all);
        return rc;
    }
    fl_stmt *get = NULL, *put = NULL;
    rc = fl_state_begin(c->st, c->err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(c->st, "SELECT first_seen, last_seen FROM first_seen WHERE rule = ? AND entity = ?",
                             &get, c->err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(c->st,
                             "INSERT INTO first_seen(rule, entity, first_seen, last_seen) VALUES(?1, ?2, ?3, ?4) "
                             "ON CONFLICT(rule, entity) DO UPDATE SET first_seen = ?3, last_seen = ?4",
                             &put, c->err);
    for (size_t i = 0; i < all.n && rc == FL_OK; i++) {
        struct det_hit *h = &all.v[i];
        fl_stmt_bind_text(get, 1, r->id, strlen(r->id));
        fl_stmt_bind_text(get, 2, h->entity, strlen(h->entity));
        int s = fl_stmt_step(get, c->err);
        bool known = s == 1;
        int64_t fs = known ? fl_stmt_i64(get, 0) : 0, ls = known ? fl_stmt_i64(get, 1) : 0;
        fl_stmt_reset(get);
        if (s < 0) {
            rc = s;
            break;
        }
        bool fresh;
        int64_t nfs, nls;
        if (!known || ls < h->bucket - lookback) { /* never, or not within the lookback */
            fresh = true;
            nfs = h->first_seen;
            nls = h->last_seen;
        } else if (fs >= h->bucket) { /* first seen in this bucket (again) or later */
            fresh = true;
            nfs = h->first_seen;
            nls = FL_MAX(ls, h->last_seen);
        } else {
            fresh = false;
            nfs = fs;
            nls = FL_MAX(ls, h->last_seen);
        }
        fl_stmt_bind_text(put, 1, r->id, strlen(r->id));
        fl_stmt_bind_text(put, 2, h->entity, strlen(h->entity));
        fl_stmt_bind_i64(put, 3, nfs);
        fl_stmt_bind_i64(put, 4, nls);
        s = fl_stmt_step(put, c->err);
        fl_stmt_reset(put);
        if (s < 0) {
            rc = s;
            break;
        }
        if (fresh && h->bucket >= hist + warmup)
            rc = fl__det_hit_add(c->out, h->bucket, h->entity, h->entity_json, h->first_seen,
                                 h->last_seen, h->count, h->severity, h->evidence, h->tags);
    }
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
    fl__det_hits_free(&all);
    return rc;
}
