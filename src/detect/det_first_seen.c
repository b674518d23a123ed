/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_first_seen.c - the first_seen detector: an entity key (e.g. source +
 * external destination, source + country, tier pair + port) that was not
 * seen in the lookback (7 days by default).  The set lives in state.db
 * (src/state/fseen.c: sorted chunks per rule, with retention); a key fires
 * only once the rule's history is older than the warm-up, so a new
 * deployment does not flag everything it sees on day one.  Buckets are
 * processed in time order; re-evaluating a bucket sees the key's first_seen
 * >= the bucket and fires again, so repeated runs give the same hits.
 *
 * A run is one query (the candidates: one row per key and bucket), a radix
 * sort of the candidates by key hash, and one merge pass with the stored
 * set in the same order that rewrites only the chunks it touches, in one
 * transaction.
 */
#include <stdlib.h>

#include "detect/detect_int.h"
#include "state/fseen.h"

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
    uint64_t h;  /* fl__fseen_hash of the key */
    size_t off;  /* key text in the pool */
    uint32_t len;  /* its length */
    uint32_t row;
    int64_t bucket, first, last;
};

/* The sort order of the candidates: (hash, key), then bucket, then row. */
static int cand_cmp(const struct cand *x, const struct cand *y, const char *pool)
{
    int c = fl__fseen_cmp(x->h, pool + x->off, x->len, y->h, pool + y->off, y->len);
    if (c)
        return c;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Sort the indexes ix[0..n) of cv: LSD radix sort on the hash (16-bit
 * digits, stable, so equal hashes keep row order), then each run of equal
 * hashes (one key's buckets, or a collision) by the full order. */
static int sort_cands(const struct cand *cv, uint32_t *ix, size_t n, const char *pool)
{
    uint32_t *tmp = fl_malloc((n ? n : 1) * sizeof *tmp);
    size_t *cnt = fl_malloc(65536 * sizeof *cnt);
    if (!tmp || !cnt) {
        fl_free(tmp);
        fl_free(cnt);
        return FL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        ix[i] = (uint32_t)i;
    uint32_t *a = ix, *b = tmp;
    for (int sh = 0; sh < 64; sh += 16) {
        memset(cnt, 0, 65536 * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(cv[a[i]].h >> sh) & 0xffff]++;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t k = cnt[d];
            cnt[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            b[cnt[(cv[a[i]].h >> sh) & 0xffff]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    /* four passes: the result is back in ix */
    for (size_t g0 = 0; g0 < n;) {
        size_t g1 = g0 + 1;
        while (g1 < n && cv[ix[g1]].h == cv[ix[g0]].h)
            g1++;
        for (size_t i = g0 + 1; i < g1; i++) { /* insertion sort: runs are short */
            uint32_t v = ix[i];
            size_t j = i;
            while (j > g0 && cand_cmp(&cv[ix[j - 1]], &cv[v], pool) > 0) {
                ix[j] = ix[j - 1];
                j--;
            }
            ix[j] = v;
        }
        g0 = g1;
    }
    fl_free(tmp);
    fl_free(cnt);
    return FL_OK;
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
        if (q.type == FL_QT_VARCHAR) { /* as formatting would: cut, up to a NUL */
            n = q.s.n < sizeof val ? q.s.n : sizeof val - 1;
            const char *z = memchr(q.s.p, 0, n);
            if (z)
                n = (size_t)(z - q.s.p);
            if (i)
                FL_TRY(fl_buf_addc(key, ','));
            FL_TRY(fl_buf_add(key, r->entity[i], strlen(r->entity[i])));
            FL_TRY(fl_buf_addc(key, '='));
            FL_TRY(fl_buf_add(key, q.s.p, n));
            continue;
        }
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

/* One run's merge of the sorted candidates with the stored set. */
struct merge {
    struct det_ctx *c;
    const struct fl_rule *r;
    const char *pool;
    const struct cand *cv;
    const uint32_t *ix;    /* cv in set order */
    size_t rows;
    size_t *sel;
    size_t nsel;
    int64_t lookback;
    int64_t fire_from;     /* history start + warm-up: buckets before never fire */
    int64_t keep_from;     /* retention: keys last seen before are dropped */
    struct fl_fseen_wr w;
    struct fl_buf data;    /* one chunk's bytes */
};

static const struct cand *cand_at(const struct merge *m, size_t k) { return &m->cv[m->ix[k]]; }

/* Apply the candidates [g0, g1) of one key (by bucket) to its stored state
 * (known, fs, ls): the rows that fire go to sel; the new state is written
 * unless it is past the retention. */
static int apply_key(struct merge *m, size_t g0, size_t g1, bool known, int64_t fs, int64_t ls)
{
    for (size_t k = g0; k < g1; k++) {
        const struct cand *h = cand_at(m, k);
        bool fresh;
        if (!known || ls < h->bucket - m->lookback) { /* never, or not within the lookback */
            fresh = true;
            fs = h->first;
            ls = h->last;
        } else if (fs >= h->bucket) { /* first seen in this bucket (again) or later */
            fresh = true;
            fs = h->first;
            ls = FL_MAX(ls, h->last);
        } else {
            fresh = false;
            ls = FL_MAX(ls, h->last);
        }
        known = true;
        if (fresh && h->bucket >= m->fire_from)
            m->sel[m->nsel++] = h->row;
    }
    if (ls < m->keep_from)
        return FL_OK;
    const struct cand *h = cand_at(m, g0);
    return fl__fseen_wr_put(&m->w, h->h, m->pool + h->off, h->len, fs, ls, m->c->err);
}

/* Merge the stored entries of one chunk (d, or none) with the candidates
 * [g, g_end) into the writer (which flushes full chunks). */
static int merge_region(struct merge *m, struct fl_fseen_dec *d, size_t g, size_t g_end)
{
    int have = d ? fl__fseen_dec_next(d) : 0;
    while (have >= 0 && (have == 1 || g < g_end)) {
        const struct cand *h = g < g_end ? cand_at(m, g) : NULL;
        int cmp = have != 1 ? 1 : !h ? -1 : fl__fseen_cmp(d->h, d->key, d->klen, h->h, m->pool + h->off, h->len);
        int rc;
        if (cmp < 0) { /* stored only: kept unless past the retention */
            rc = d->last >= m->keep_from
                     ? fl__fseen_wr_put(&m->w, d->h, d->key, d->klen, d->first, d->last, m->c->err)
                     : FL_OK;
        } else {
            size_t g1 = g + 1;
            while (g1 < g_end && cand_at(m, g1)->h == h->h && cand_at(m, g1)->len == h->len &&
                   memcmp(m->pool + cand_at(m, g1)->off, m->pool + h->off, h->len) == 0)
                g1++;
            rc = apply_key(m, g, g1, cmp == 0, cmp == 0 ? d->first : 0, cmp == 0 ? d->last : 0);
            g = g1;
        }
        if (rc != FL_OK)
            return rc;
        if (cmp <= 0)
            have = fl__fseen_dec_next(d);
    }
    if (have < 0)
        return fl_error_set(m->c->err, FL_ECORRUPT, "state.db: the first-seen set of rule %s is corrupt",
                            m->r->id);
    return FL_OK;
}

/* The set's chunks are regions of the key order: chunk i holds the keys
 * from its first key to the next chunk's (chunk 0 from the start).  A
 * region is rewritten when a candidate falls in it or an entry is past the
 * retention; the other chunks are neither read nor written.  A rewritten
 * region that leaves less than a quarter chunk pending carries it into the
 * next region (which is then rewritten too), so chunks do not fragment. */
static int merge_set(struct merge *m)
{
    uint64_t imported;
    FL_TRY(fl__fseen_import_legacy(m->c->st, m->r->id, &imported, m->c->err));
    struct fl_fseen_chunk *ch = NULL;
    size_t nch = 0;
    FL_TRY(fl__fseen_chunks(m->c->st, m->r->id, &ch, &nch, m->c->err));
    int rc = fl__fseen_wr_init(&m->w, m->c->st, m->r->id, m->c->err);
    fl_buf_init(&m->data, (size_t)1 << 30);
    struct fl_fseen_dec *d = fl_malloc(sizeof *d);
    if (rc == FL_OK && !d)
        rc = fl_error_set(m->c->err, FL_ENOMEM, "out of memory");
    size_t g = 0, nreg = nch ? nch : 1;
    bool carry = false;
    for (size_t i = 0; i < nreg && rc == FL_OK; i++) {
        size_t g_end = g;
        if (i + 1 >= nch) {
            g_end = m->rows;
        } else {
            const struct fl_fseen_chunk *up = &ch[i + 1];
            while (g_end < m->rows) {
                const struct cand *h = cand_at(m, g_end);
                if (fl__fseen_cmp(h->h, m->pool + h->off, h->len, up->first_h, up->first_key, up->first_len) >= 0)
                    break;
                g_end++;
            }
        }
        bool touched = true;
        if (nch == 0) {
            rc = merge_region(m, NULL, g, g_end);
        } else if (carry || g_end > g || ch[i].min_last < m->keep_from) {
            rc = fl__fseen_chunk_load(m->c->st, ch[i].id, &m->data, m->c->err);
            if (rc == FL_OK) /* before its replacement, which may start with the same key */
                rc = fl__fseen_chunk_delete(m->c->st, ch[i].id, m->c->err);
            if (rc == FL_OK) {
                fl__fseen_dec_init(d, m->data.p, m->data.len, ch[i].n);
                rc = merge_region(m, d, g, g_end);
            }
        } else {
            touched = false;
        }
        carry = touched && i + 1 < nreg && m->w.data.len < FL_FSEEN_CHUNK / 4;
        if (rc == FL_OK && touched && !carry)
            rc = fl__fseen_wr_flush(&m->w, m->c->err);
        g = g_end;
    }
    fl_free(d);
    fl_buf_free(&m->data);
    fl__fseen_wr_free(&m->w);
    fl__fseen_chunks_free(ch, nch);
    return rc;
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
    struct cand *cv = rc == FL_OK ? fl_malloc((rows ? rows : 1) * sizeof *cv) : NULL;
    uint32_t *ix = rc == FL_OK ? fl_malloc((rows ? rows : 1) * sizeof *ix) : NULL;
    size_t *sel = rc == FL_OK ? fl_malloc((rows ? rows : 1) * sizeof *sel) : NULL;
    size_t nsel = 0;
    struct fl_buf pool, key;
    fl_buf_init(&pool, (size_t)1 << 30); /* key bytes */
    fl_buf_init(&key, 8192);
    if (rc == FL_OK && (!cv || !ix || !sel))
        rc = fl_error_set(c->err, FL_ENOMEM, "out of memory (%zu candidate keys)", rows);
    for (size_t i = 0; i < rows && rc == FL_OK; i++) {
        rc = row_key(r, res, i, dc.ent, &key);
        if (rc == FL_OK && key.len > FL_FSEEN_KEY_MAX)
            rc = FL_ELIMIT;
        /* one allocation (the first key's length + a margin, each) instead
         * of doublings; if that much is refused, grow as needed */
        if (rc == FL_OK && i == 0 && fl_buf_reserve(&pool, FL_MIN(rows * (key.len + 8), (size_t)1 << 30)) != FL_OK)
            pool.err = 0;
        if (rc == FL_OK) {
            cv[i].h = fl__fseen_hash(key.p, key.len);
            cv[i].off = pool.len;
            cv[i].len = (uint32_t)key.len;
            cv[i].row = (uint32_t)i;
            fl__det_row_span(c, res, i, &dc, &cv[i].bucket, &cv[i].first, &cv[i].last);
            rc = fl_buf_add(&pool, key.p, key.len);
        }
        if (rc != FL_OK)
            rc = fl_error_set(c->err, rc, "rule %s: candidate keys: %s", r->id, fl_strerror(rc));
    }
    fl_buf_free(&key);
    if (rc == FL_OK && sort_cands(cv, ix, rows, pool.p) != FL_OK)
        rc = fl_error_set(c->err, FL_ENOMEM, "out of memory (%zu candidate keys)", rows);
    if (rc == FL_OK)
        rc = fl__fseen_migrate(c->st, c->err);
    if (rc == FL_OK)
        rc = fl_state_begin(c->st, c->err);
    if (rc == FL_OK) {
        struct merge m;
        memset(&m, 0, sizeof m);
        m.c = c;
        m.r = r;
        m.pool = pool.p;
        m.cv = cv;
        m.ix = ix;
        m.rows = rows;
        m.sel = sel;
        m.lookback = lookback;
        m.fire_from = hist + warmup;
        m.keep_from = c->to - retention;
        rc = merge_set(&m);
        nsel = m.nsel;
    }
    if (rc == FL_OK && nsel)
        rc = fl__det_result_hits_rows(c, res, &dc, sel, nsel);
    if (rc == FL_OK)
        rc = fl_state_commit(c->st, c->err);
    else
        fl_state_rollback(c->st);
    fl_free(cv);
    fl_free(ix);
    fl_free(sel);
    fl_buf_free(&pool);
    fl_query_result_free(res);
    return rc;
}
