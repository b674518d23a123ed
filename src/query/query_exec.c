/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_exec.c - runs a resolved SELECT: materializes the WITH queries it
 * reads and the uncorrelated subqueries it uses (once each), pulls source
 * rows (the dataset scan, a derived table, or one empty row without FROM),
 * filters them with WHERE, then either feeds the hash aggregation and
 * projects the group rows through HAVING, or projects every row; DISTINCT
 * deduplicates; ORDER BY sorts stably (with a bounded top-N buffer when a
 * LIMIT is present); OFFSET/LIMIT cut.  Also the entry point
 * fl_query_run() and the result accessors.
 */
#include <stdlib.h>
#include <time.h>

#include "query/query_int.h"

/* ---- result rows ------------------------------------------------------------- */
int fl__qrows_init(struct qrows *r, int ncols, struct qmem *mem)
{
    memset(r, 0, sizeof *r);
    r->ncols = ncols;
    r->mem = mem;
    fl__qarena_init(&r->strs, mem);
    return FL_OK;
}

void fl__qrows_free(struct qrows *r)
{
    if (r->v) {
        fl__qmem_release(r->mem, r->cap * (size_t)(r->ncols ? r->ncols : 1) * sizeof *r->v);
        fl_free(r->v);
    }
    r->v = NULL;
    r->nrows = r->cap = 0;
    fl__qarena_free(&r->strs);
}

static int budget_err(struct qmem *m, struct fl_error *err)
{
    return fl_error_set(err, FL_ENOMEM,
                        "the query exceeds its memory budget of %llu MB (raise it with --memory)",
                        (unsigned long long)(m->limit >> 20));
}

int fl__qrows_add(struct qrows *r, const struct qval *row, struct fl_error *err)
{
    size_t w = (size_t)(r->ncols ? r->ncols : 1);
    if (r->nrows == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 64;
        if (fl__qmem_charge(r->mem, (ncap - r->cap) * w * sizeof *r->v) != FL_OK)
            return budget_err(r->mem, err);
        struct qval *nv = fl_realloc(r->v, ncap * w * sizeof *r->v);
        if (!nv) {
            fl__qmem_release(r->mem, (ncap - r->cap) * w * sizeof *r->v);
            return budget_err(r->mem, err);
        }
        r->v = nv;
        r->cap = ncap;
    }
    struct qval *d = r->v + r->nrows * w;
    for (int c = 0; c < r->ncols; c++) {
        d[c] = row[c];
        if (row[c].t == QT_STR && row[c].n) {
            char *p = fl__qarena_alloc(&r->strs, row[c].n);
            if (!p)
                return budget_err(r->mem, err);
            memcpy(p, row[c].s, row[c].n);
            d[c].s = p;
        }
    }
    r->nrows++;
    return FL_OK;
}

/* ---- subqueries ------------------------------------------------------------------- */
static int run_sub(struct qctx *q, struct qnode *n)
{
    struct qrows rows;
    fl__qrows_init(&rows, n->sub->nout, &q->mem);
    int rc = fl__qexec(q, n->sub, &rows);
    if (rc < 0) {
        fl__qrows_free(&rows);
        return rc;
    }
    if (n->kind == N_SUBQ) {
        if (rows.nrows > 1) {
            fl__qrows_free(&rows);
            return fl__qerr(q, n->pos, FL_EINVAL, "a scalar subquery returned more than one row");
        }
        n->lit = rows.nrows ? rows.v[0] : QV_NULL;
        if (n->lit.t == QT_STR) {
            char *p = fl__qarena_strdup(&q->ast, n->lit.s, n->lit.n);
            if (!p)
                rc = fl__qerr(q, n->pos, FL_ENOMEM, "out of memory");
            n->lit.s = p;
        }
    } else {
        struct qinset *s = fl__qarena_alloc(&q->ast, sizeof *s);
        struct qval *v = s ? fl__qarena_alloc(&q->ast, sizeof *v * (rows.nrows + 1)) : NULL;
        if (!v) {
            fl__qrows_free(&rows);
            return fl__qerr(q, n->pos, FL_ENOMEM,
                            "the query exceeds its memory budget (raise it with --memory)");
        }
        s->n = 0;
        s->has_null = false;
        size_t w = (size_t)(rows.ncols ? rows.ncols : 1);
        for (size_t i = 0; i < rows.nrows; i++) {
            struct qval x = rows.v[i * w];
            if (x.t == QT_NULL) {
                s->has_null = true;
                continue;
            }
            if (x.t == QT_STR) {
                char *p = fl__qarena_strdup(&q->ast, x.s, x.n);
                if (!p) {
                    fl__qrows_free(&rows);
                    return fl__qerr(q, n->pos, FL_ENOMEM, "out of memory");
                }
                x.s = p;
            }
            v[s->n++] = x;
        }
        qsort(v, s->n, sizeof *v, fl__qval_qsort_cmp);
        s->v = v;
        n->aux = s;
    }
    n->is_const = 2;
    fl__qrows_free(&rows);
    return rc;
}

static int prep_subs(struct qctx *q, struct qnode *n)
{
    if (!n)
        return FL_OK;
    if ((n->kind == N_SUBQ || n->kind == N_INSUB) && n->is_const != 2)
        FL_TRY(run_sub(q, n));
    for (int i = 0; i < n->nargs; i++)
        FL_TRY(prep_subs(q, n->a[i]));
    return FL_OK;
}

static int prep_all_subs(struct qctx *q, struct qsel *s)
{
    FL_TRY(prep_subs(q, s->where));
    FL_TRY(prep_subs(q, s->having));
    for (int i = 0; i < s->ngroup; i++)
        FL_TRY(prep_subs(q, s->group[i]));
    for (int i = 0; i < s->nproj; i++)
        FL_TRY(prep_subs(q, s->proj[i]));
    for (int i = 0; i < s->naggs; i++) {
        FL_TRY(prep_subs(q, s->aggs[i].arg));
        FL_TRY(prep_subs(q, s->aggs[i].arg2));
    }
    return FL_OK;
}

/* ---- the row consumer --------------------------------------------------------------- */
struct sortkey {
    int col;
    bool desc;
    int nulls;
};

struct run {
    struct qctx *q;
    struct qsel *s;
    struct qrows *out;       /* projected rows (nproj columns) */
    struct qgroups *groups;  /* aggregate queries */
    struct qfast *fast;      /* ... or the packed-key path (query_fastagg.c) */
    int tid;                 /* scan thread of this consumer (0 or 1) */
    struct qval *prow;       /* projection buffer */
    int64_t stop_after;      /* rows needed when nothing reorders them; -1 = all */
    int64_t topn;            /* keep at most this many sorted rows; -1 = all */
    size_t *heap;            /* top-N: row slots of out, worst row at the root */
    uint64_t *hseq;          /* top-N: arrival number of each slot (ties) */
    size_t hn;               /* rows in the heap */
    uint64_t seq;            /* rows offered so far (+ 2^62 in thread 1) */
    struct sortkey *keys;
    int nkeys;
    struct qeval *ev;        /* evaluator for group rows */
    uint32_t tick;           /* group rows seen (the time-limit check) */
};

static _Thread_local const struct run *sort_ctx; /* qsort has no context argument */
/* The time limit inside qsort: once it has passed, the comparisons shrink
 * to the arrival order (cheap), qsort ends fast and sort_rows fails. */
static _Thread_local uint32_t sort_ticks;
static _Thread_local bool sort_expired;

static int row_cmp(const struct run *r, const struct qval *a, const struct qval *b)
{
    for (int k = 0; k < r->nkeys; k++) {
        const struct sortkey *sk = &r->keys[k];
        const struct qval *x = &a[sk->col], *y = &b[sk->col];
        bool xn = x->t == QT_NULL, yn = y->t == QT_NULL;
        if (xn || yn) {
            if (xn && yn)
                continue;
            bool nulls_first = sk->nulls == 1;
            return (xn ? -1 : 1) * (nulls_first ? 1 : -1);
        }
        int c = fl__qval_cmp(x, y);
        if (c)
            return sk->desc ? -c : c;
    }
    return 0;
}

struct rowref {
    const struct qval *v;
    size_t idx;
};

static int rowref_cmp(const void *pa, const void *pb)
{
    const struct rowref *a = pa, *b = pb;
    if (!sort_expired && (++sort_ticks & 0xFFFF) == 0 && fl__qdeadline(sort_ctx->q) != FL_OK)
        sort_expired = true;
    int c = sort_expired ? 0 : row_cmp(sort_ctx, a->v, b->v);
    if (c)
        return c;
    return (a->idx > b->idx) - (a->idx < b->idx); /* stable */
}

/* Sort r->out by the ORDER BY keys and keep the first `keep` rows
 * (keep < 0: all).  Rows are rewritten in order into a new array. */
static int sort_rows(struct run *r, int64_t keep)
{
    struct qrows *o = r->out;
    size_t w = (size_t)(o->ncols ? o->ncols : 1);
    if (o->nrows == 0)
        return FL_OK;
    size_t nref = o->nrows;
    if (fl__qmem_charge(&r->q->mem, o->nrows * sizeof(struct rowref)) != FL_OK)
        return budget_err(&r->q->mem, r->q->err);
    struct rowref *refs = fl_malloc(o->nrows * sizeof *refs);
    if (!refs) {
        fl__qmem_release(&r->q->mem, o->nrows * sizeof(struct rowref));
        return budget_err(&r->q->mem, r->q->err);
    }
    for (size_t i = 0; i < o->nrows; i++) {
        refs[i].v = o->v + i * w;
        refs[i].idx = r->hseq ? r->hseq[i] : i; /* top-N: arrival order */
    }
    sort_ctx = r;
    sort_ticks = 0;
    sort_expired = false;
    qsort(refs, o->nrows, sizeof *refs, rowref_cmp);
    if (sort_expired || fl__qdeadline(r->q) != FL_OK) {
        fl_free(refs);
        fl__qmem_release(&r->q->mem, nref * sizeof(struct rowref));
        return FL_ETIMEOUT;
    }
    size_t n = keep >= 0 && (size_t)keep < o->nrows ? (size_t)keep : o->nrows;
    struct qval *nv = fl_malloc((n ? n : 1) * w * sizeof *nv);
    if (!nv) {
        fl_free(refs);
        fl__qmem_release(&r->q->mem, o->nrows * sizeof(struct rowref));
        return budget_err(&r->q->mem, r->q->err);
    }
    for (size_t i = 0; i < n; i++)
        memcpy(nv + i * w, refs[i].v, w * sizeof *nv);
    memcpy(o->v, nv, n * w * sizeof *nv);
    o->nrows = n;
    fl_free(nv);
    fl_free(refs);
    fl__qmem_release(&r->q->mem, nref * sizeof(struct rowref));
    return FL_OK;
}

#define STOP 1 /* the consumer has all the rows it needs */

/* Top-N order of two heap slots: the ORDER BY keys, then arrival. */
static int heap_cmp(const struct run *r, size_t a, size_t b)
{
    size_t w = (size_t)(r->out->ncols ? r->out->ncols : 1);
    int c = row_cmp(r, r->out->v + a * w, r->out->v + b * w);
    if (c)
        return c;
    return (r->hseq[a] > r->hseq[b]) - (r->hseq[a] < r->hseq[b]);
}

static void heap_down(struct run *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->hn && heap_cmp(r, r->heap[l], r->heap[m]) > 0)
            m = l;
        if (l + 1 < r->hn && heap_cmp(r, r->heap[l + 1], r->heap[m]) > 0)
            m = l + 1;
        if (m == i)
            return;
        size_t x = r->heap[m];
        r->heap[m] = r->heap[i];
        r->heap[i] = x;
        i = m;
    }
}

/*
 * ORDER BY ... LIMIT n: keep the best n rows in a binary heap whose root is
 * the worst kept row.  A row that does not beat the root is dropped before
 * anything is copied (the common case over millions of groups); one that
 * does replaces the root's slot.  seq is the row's arrival number, the tie
 * breaker that keeps the sort stable.  The final order comes from
 * sort_rows over the kept rows.
 */
static int heap_push(struct run *r, const struct qval *row, uint64_t seq)
{
    struct qrows *o = r->out;
    size_t n = (size_t)r->topn, w = (size_t)(o->ncols ? o->ncols : 1);
    if (n == 0)
        return FL_OK;
    if (!r->heap) {
        if (fl__qmem_charge(&r->q->mem, n * (sizeof *r->heap + sizeof *r->hseq)) != FL_OK)
            return budget_err(&r->q->mem, r->q->err);
        r->heap = fl_malloc(n * sizeof *r->heap);
        r->hseq = fl_malloc(n * sizeof *r->hseq);
        if (!r->heap || !r->hseq)
            return budget_err(&r->q->mem, r->q->err);
    }
    if (r->hn < n) {
        FL_TRY(fl__qrows_add(o, row, r->q->err));
        size_t slot = o->nrows - 1, i = r->hn++;
        r->hseq[slot] = seq;
        r->heap[i] = slot;
        while (i > 0) {
            size_t u = (i - 1) / 2;
            if (heap_cmp(r, r->heap[u], r->heap[i]) >= 0)
                break;
            size_t x = r->heap[u];
            r->heap[u] = r->heap[i];
            r->heap[i] = x;
            i = u;
        }
        return FL_OK;
    }
    size_t root = r->heap[0];
    int c = row_cmp(r, row, o->v + root * w);
    if (c > 0 || (c == 0 && seq > r->hseq[root]))
        return FL_OK;
    struct qval *d = o->v + root * w;
    for (int k = 0; k < o->ncols; k++) {
        d[k] = row[k];
        if (row[k].t == QT_STR && row[k].n) {
            /* the replaced bytes stay in the arena (bounded by the budget) */
            char *p = fl__qarena_alloc(&o->strs, row[k].n);
            if (!p)
                return budget_err(&r->q->mem, r->q->err);
            memcpy(p, row[k].s, row[k].n);
            d[k].s = p;
        }
    }
    r->hseq[root] = seq;
    heap_down(r, 0);
    return FL_OK;
}

static void heap_free(struct run *r)
{
    if (r->heap)
        fl__qmem_release(&r->q->mem, (size_t)r->topn * (sizeof *r->heap + sizeof *r->hseq));
    fl_free(r->heap);
    fl_free(r->hseq);
    r->heap = NULL;
    r->hseq = NULL;
    r->hn = 0;
}

static int emit(struct run *r, struct qeval *ev)
{
    struct qsel *s = r->s;
    for (int c = 0; c < s->nproj; c++)
        FL_TRY(fl__qeval(ev, s->proj[c], &r->prow[c]));
    if (r->topn >= 0)
        return heap_push(r, r->prow, r->seq++);
    FL_TRY(fl__qrows_add(r->out, r->prow, r->q->err));
    if (r->stop_after >= 0 && (int64_t)r->out->nrows >= r->stop_after)
        return STOP;
    return FL_OK;
}

static int consume(void *ctx, struct qeval *ev)
{
    struct run *r = ctx;
    struct qsel *s = r->s;
    fl__qarena_reset(&ev->tmp);
    if (s->where && !ev->where_done) {
        int ok = fl__qeval_pred(ev, s->where);
        if (ok <= 0)
            return ok;
    }
    if (r->fast)
        return fl__qfast_add(r->fast, r->tid, ev);
    if (s->aggregate)
        return fl__qgroups_add(r->groups, ev);
    return emit(r, ev);
}

/* One group row from the aggregation: HAVING, then the projection. */
static int group_row(void *ctx, const struct qval *row)
{
    struct run *r = ctx;
    struct qeval *ev = r->ev;
    if ((++r->tick % FL_QDEADLINE_EVERY) == 0)
        FL_TRY(fl__qdeadline(r->q));
    ev->row = row;
    fl__qarena_reset(&ev->tmp);
    if (r->s->having) {
        int ok = fl__qeval_pred(ev, r->s->having);
        if (ok <= 0)
            return ok;
    }
    return emit(r, ev);
}

/* Remove duplicate rows over the visible columns, keeping the first. */
static int distinct_rows(struct run *r)
{
    struct qrows *o = r->out;
    size_t w = (size_t)(o->ncols ? o->ncols : 1);
    int nvis = r->s->nout;
    size_t cap = 16;
    while (cap < o->nrows * 2)
        cap *= 2;
    if (fl__qmem_charge(&r->q->mem, cap * sizeof(uint64_t)) != FL_OK)
        return budget_err(&r->q->mem, r->q->err);
    uint64_t *tab = fl_calloc(cap, sizeof *tab); /* row index + 1 */
    if (!tab) {
        fl__qmem_release(&r->q->mem, cap * sizeof(uint64_t));
        return budget_err(&r->q->mem, r->q->err);
    }
    size_t k = 0;
    for (size_t i = 0; i < o->nrows; i++) {
        if ((i + 1) % FL_QDEADLINE_EVERY == 0 && fl__qdeadline(r->q) != FL_OK) {
            o->nrows = 0; /* no half-deduplicated rows */
            fl_free(tab);
            fl__qmem_release(&r->q->mem, cap * sizeof(uint64_t));
            return FL_ETIMEOUT;
        }
        const struct qval *row = o->v + i * w;
        uint64_t h = 7;
        for (int c = 0; c < nvis; c++)
            h = fl__qval_hash(&row[c], h + (uint64_t)c);
        size_t j = h & (cap - 1);
        bool dup = false;
        while (tab[j]) {
            const struct qval *other = o->v + (tab[j] - 1) * w;
            int c = 0;
            for (; c < nvis; c++) {
                if (other[c].t != row[c].t ||
                    !(row[c].t == QT_NULL || fl__qval_eq(&other[c], &row[c])))
                    break;
            }
            if (c == nvis) {
                dup = true;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        if (dup)
            continue;
        if (k != i)
            memmove(o->v + k * w, row, w * sizeof *row);
        /* the table stores positions of kept rows */
        tab[j] = k + 1;
        k++;
    }
    o->nrows = k;
    fl_free(tab);
    fl__qmem_release(&r->q->mem, cap * sizeof(uint64_t));
    return FL_OK;
}

/*
 * Scan with a second thread: it gets its own evaluator, projection rows or
 * aggregation table; afterwards its groups are merged into the first
 * thread's (first-seen order is kept: thread 0 read the first half), or its
 * rows are appended after the first thread's, so the result is the one a
 * single thread computes.
 */
/* A second thread pays off unless the aggregation makes many groups per
 * row: its table would have to be merged serially. */
static bool par_check(void *ctx0, uint64_t rows_seen)
{
    const struct run *r = ctx0;
    if (!r->s->aggregate || !r->groups || rows_seen == 0)
        return true;
    return fl__qgroups_count(r->groups) * 10 < rows_seen; /* < 0.1 group per row */
}

static int scan_parallel(struct qctx *q, struct qsel *s, struct run *r0, struct qeval *ev0)
{
    struct run r1 = *r0;
    struct qrows proj1;
    fl__qrows_init(&proj1, s->nproj, &q->mem);
    r1.out = &proj1;
    r1.groups = NULL;
    r1.tid = 1;
    r1.heap = NULL;
    r1.hseq = NULL;
    r1.hn = 0;
    r1.seq = 1ull << 62; /* thread 1 reads the second half */
    r1.prow = fl_calloc((size_t)s->nproj + 1, sizeof *r1.prow);
    struct qeval ev1;
    memset(&ev1, 0, sizeof ev1);
    ev1.q = q;
    fl__qarena_init(&ev1.tmp, &q->mem);
    int rc = r1.prow ? FL_OK : fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    if (rc == FL_OK && s->aggregate && !r0->fast)
        rc = fl__qgroups_new(q, s, &r1.groups);
    if (rc == FL_OK) {
        struct qeval *evs[2] = {ev0, &ev1};
        void *ctxs[2] = {r0, &r1};
        /* the packed-key aggregation merges in parallel: always 2 threads */
        fl__qscan_par_check = r0->fast ? NULL : par_check;
        rc = fl__qscan_mt(q, s, evs, consume, ctxs, 2);
        fl__qscan_par_check = NULL;
        if (rc == STOP)
            rc = FL_OK;
    }
    if (rc == FL_OK && r0->fast)
        rc = fl__qfast_merge(r0->fast);
    else if (rc == FL_OK && s->aggregate)
        rc = fl__qgroups_merge(r0->groups, r1.groups);
    if (rc == FL_OK && !s->aggregate) {
        size_t w = (size_t)(proj1.ncols ? proj1.ncols : 1);
        for (size_t i = 0; i < proj1.nrows && rc == FL_OK; i++)
            rc = (i + 1) % FL_QDEADLINE_EVERY == 0 && fl__qdeadline(q) != FL_OK ? FL_ETIMEOUT
                 : r0->topn >= 0 ? heap_push(r0, proj1.v + i * w, r1.hseq[i])
                               : fl__qrows_add(r0->out, proj1.v + i * w, q->err);
    }
    heap_free(&r1);
    fl__qgroups_free(r1.groups);
    fl_free(r1.prow);
    if (ev1.md)
        pcre2_match_data_free(ev1.md);
    fl__qarena_free(&ev1.tmp);
    fl__qrows_free(&proj1);
    return rc;
}

static int materialize_cte(struct qctx *q, struct qcte *c)
{
    if (c->rows)
        return FL_OK;
    struct qrows *rows = fl__qarena_alloc(&q->ast, sizeof *rows);
    if (!rows)
        return fl__qerr(q, c->sel->pos, FL_ENOMEM, "out of memory");
    fl__qrows_init(rows, c->sel->nout, &q->mem);
    int rc = fl__qexec(q, c->sel, rows);
    if (rc < 0) {
        fl__qrows_free(rows);
        return rc;
    }
    c->rows = rows;
    return FL_OK;
}

int fl__qexec(struct qctx *q, struct qsel *s, struct qrows *out)
{
    FL_TRY(prep_all_subs(q, s));
    if (s->src_kind == SRC_ROWS)
        FL_TRY(materialize_cte(q, s->src_cte));

    struct run r;
    memset(&r, 0, sizeof r);
    r.q = q;
    r.s = s;
    r.stop_after = -1;
    r.topn = -1;
    struct qrows proj;
    fl__qrows_init(&proj, s->nproj, &q->mem);
    r.out = &proj;
    struct sortkey keys[256];
    for (int i = 0; i < s->norder && i < 256; i++) {
        keys[i].col = s->order[i].col;
        keys[i].desc = s->order[i].desc;
        keys[i].nulls = s->order[i].nulls ? s->order[i].nulls : 2;
    }
    r.keys = keys;
    r.nkeys = s->norder;
    int64_t want = s->limit >= 0 ? s->limit + s->offset : -1;
    if (want >= 0 && !s->aggregate && !s->distinct && s->norder == 0)
        r.stop_after = want;
    if (want >= 0 && s->norder > 0 && !s->distinct && want < 1000000)
        r.topn = want;
    r.prow = fl_calloc((size_t)s->nproj + 1, sizeof *r.prow);
    struct qeval ev;
    memset(&ev, 0, sizeof ev);
    ev.q = q;
    fl__qarena_init(&ev.tmp, &q->mem);
    int rc = r.prow ? FL_OK : fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    if (rc == FL_OK && s->aggregate && fl__qfast_ok(s) && !q->generic_agg)
        rc = fl__qfast_new(q, s, s->src_kind == SRC_SCAN ? q->threads : 1, &r.fast);
    else if (rc == FL_OK && s->aggregate)
        rc = fl__qgroups_new(q, s, &r.groups);
    if (rc == FL_OK && (s->limit != 0 || s->aggregate)) {
        if (s->src_kind == SRC_SCAN && q->threads > 1 && r.stop_after < 0) {
            rc = scan_parallel(q, s, &r, &ev);
        } else if (s->src_kind == SRC_SCAN) {
            rc = fl__qscan(q, s, &ev, consume, &r);
        } else if (s->src_kind == SRC_ROWS) {
            struct qrows *src = s->src_cte->rows;
            size_t w = (size_t)(src->ncols ? src->ncols : 1);
            for (size_t i = 0; i < src->nrows && rc == FL_OK; i++) {
                if ((i + 1) % FL_QDEADLINE_EVERY == 0 && (rc = fl__qdeadline(q)) != FL_OK)
                    break;
                ev.row = src->v + i * w;
                rc = consume(&r, &ev);
            }
        } else {
            struct qval none = QV_NULL;
            ev.row = &none;
            rc = consume(&r, &ev);
        }
        if (rc == STOP)
            rc = FL_OK;
    }
    if (rc == FL_OK && r.fast) {
        r.ev = &ev;
        rc = fl__qfast_finish(r.fast, group_row, &r);
    } else if (rc == FL_OK && s->aggregate) {
        r.ev = &ev;
        rc = fl__qgroups_finish(r.groups, group_row, &r);
        fl__qgroups_free(r.groups);
        r.groups = NULL;
    }
    fl__qgroups_free(r.groups);
    fl__qfast_free(r.fast);
    if (rc == FL_OK && s->distinct)
        rc = distinct_rows(&r);
    if (rc == FL_OK && s->norder > 0)
        rc = sort_rows(&r, want);
    /* OFFSET / LIMIT and the visible columns into out */
    if (rc == FL_OK) {
        size_t w = (size_t)(proj.ncols ? proj.ncols : 1);
        size_t from = (size_t)s->offset, n = proj.nrows > from ? proj.nrows - from : 0;
        if (s->limit >= 0 && (size_t)s->limit < n)
            n = (size_t)s->limit;
        if (from == 0 && n == proj.nrows && proj.ncols == out->ncols && out->nrows == 0 &&
            out->mem == proj.mem) {
            /* every projected row, no hidden column: hand the rows (and their
             * strings) over instead of copying them (a large result was
             * otherwise materialised twice) */
            fl__qrows_free(out);
            *out = proj;
            fl__qrows_init(&proj, s->nproj, &q->mem);
        } else {
            for (size_t i = 0; i < n && rc == FL_OK; i++)
                rc = (i + 1) % FL_QDEADLINE_EVERY == 0 && fl__qdeadline(q) != FL_OK
                         ? FL_ETIMEOUT
                         : fl__qrows_add(out, proj.v + (from + i) * w, q->err);
        }
    }
    heap_free(&r);
    fl_free(r.prow);
    if (ev.md)
        pcre2_match_data_free(ev.md);
    fl__qarena_free(&ev.tmp);
    fl__qrows_free(&proj);
    return rc;
}

/* ---- public API ------------------------------------------------------------------------ */
struct fl_query_result {
    struct qctx q;
    struct qrows rows;
    const char **names;
    uint8_t *types;
    int ncols;
    struct qsel *sel;
};

static void free_ctes(struct qsel *s);
static void free_node_subs(struct qnode *n)
{
    if (!n)
        return;
    if ((n->kind == N_SUBQ || n->kind == N_INSUB) && n->sub)
        free_ctes(n->sub);
    for (int i = 0; i < n->nargs; i++)
        free_node_subs(n->a[i]);
}
/* Release the materialized WITH results of s and its subqueries. */
static void free_ctes(struct qsel *s)
{
    if (!s)
        return;
    for (struct qcte *c = s->ctes; c; c = c->next) {
        if (c->rows && c->rows != (void *)1)
            fl__qrows_free(c->rows);
        c->rows = NULL;
        free_ctes(c->sel);
    }
    if (s->src_cte && !s->table) {
        if (s->src_cte->rows && s->src_cte->rows != (void *)1)
            fl__qrows_free(s->src_cte->rows);
        s->src_cte->rows = NULL;
        free_ctes(s->src_cte->sel);
    }
    free_node_subs(s->where);
    free_node_subs(s->having);
    for (int i = 0; i < s->nproj; i++)
        free_node_subs(s->proj[i]);
}

void fl_query_result_free(fl_query_result *r)
{
    if (!r)
        return;
    free_ctes(r->sel);
    fl__qrows_free(&r->rows);
    for (int i = 0; i < r->q.nre; i++)
        pcre2_code_free(r->q.re[i]);
    fl_buf_free(&r->q.explain_out);
    fl__qarena_free(&r->q.ast);
    fl_free(r);
}

size_t fl_query_result_rows(const fl_query_result *r) { return r->rows.nrows; }
int fl_query_result_cols(const fl_query_result *r) { return r->ncols; }
const char *fl_query_result_name(const fl_query_result *r, int col) { return r->names[col]; }
enum fl_qtype fl_query_result_type(const fl_query_result *r, int col) { return (enum fl_qtype)r->types[col]; }

void fl_query_result_cell(const fl_query_result *r, size_t row, int col, struct fl_qcell *out)
{
    const struct qval *v = &r->rows.v[row * (size_t)(r->rows.ncols ? r->rows.ncols : 1) + (size_t)col];
    memset(out, 0, sizeof *out);
    out->type = (enum fl_qtype)v->t;
    if (v->t == QT_DBL)
        out->d = v->d;
    else if (v->t == QT_STR)
        out->s = (struct fl_str){v->s, v->n};
    else
        out->i = v->i;
}

size_t fl_query_cell_format(const struct fl_qcell *c, char *buf, size_t cap)
{
    struct qval v = QV_NULL;
    v.t = (uint8_t)c->type;
    if (c->type == FL_QT_DOUBLE)
        v.d = c->d;
    else if (c->type == FL_QT_VARCHAR) {
        v.s = c->s.p;
        v.n = (uint32_t)c->s.n;
    } else
        v.i = c->i;
    return fl__qval_format(&v, buf, cap);
}

/* "123unit": the decimal number v and the unit text u[0..un) after it
 * (possibly empty).  FL_EINVAL without digits or past 2^64. */
static int number_unit(const char *s, uint64_t *v_out, const char **u, size_t *un)
{
    size_t n = strlen(s), k = 0;
    uint64_t v = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return FL_EINVAL;
        v = v * 10 + (uint64_t)(s[k] - '0');
        k++;
    }
    if (k == 0)
        return FL_EINVAL;
    *v_out = v;
    *u = s + k;
    *un = n - k;
    return FL_OK;
}

int fl_query_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return FL_EINVAL;
    uint64_t v;
    const char *u;
    size_t un;
    FL_TRY(number_unit(s, &v, &u, &un));
    uint64_t mul = 1;
    if (un == 0 || fl_str_ieq(u, un, "B", 1))
        mul = 1;
    else if (fl_str_ieq(u, un, "K", 1) || fl_str_ieq(u, un, "KB", 2) || fl_str_ieq(u, un, "KiB", 3))
        mul = 1ULL << 10;
    else if (fl_str_ieq(u, un, "M", 1) || fl_str_ieq(u, un, "MB", 2) || fl_str_ieq(u, un, "MiB", 3))
        mul = 1ULL << 20;
    else if (fl_str_ieq(u, un, "G", 1) || fl_str_ieq(u, un, "GB", 2) || fl_str_ieq(u, un, "GiB", 3))
        mul = 1ULL << 30;
    else if (fl_str_ieq(u, un, "T", 1) || fl_str_ieq(u, un, "TB", 2) || fl_str_ieq(u, un, "TiB", 3))
        mul = 1ULL << 40;
    else
        return FL_EINVAL;
    if (v > UINT64_MAX / mul)
        return FL_EINVAL;
    *out = v * mul;
    return FL_OK;
}

int fl_query_parse_timeout(const char *s, uint64_t *ms)
{
    *ms = 0;
    if (s && (strcmp(s, "none") == 0 || strcmp(s, "off") == 0))
        return FL_OK;
    return fl_parse_duration_ms(s, ms);
}

size_t fl_query_caret(const char *sql, const struct fl_error *err, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    buf[0] = 0;
    if (!sql || !err || err->line == 0 || err->offset == 0)
        return 0;
    const char *p = sql;
    for (uint64_t l = 1; l < err->line && *p; p++)
        if (*p == '\n')
            l++;
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len > 400)
        len = 400;
    size_t col = (size_t)err->offset - 1;
    if (col > len)
        col = len;
    size_t k = 0;
    int w = snprintf(buf, cap, "%.*s\n", (int)len, p);
    if (w < 0)
        return 0;
    k = (size_t)w < cap ? (size_t)w : cap - 1;
    for (size_t i = 0; i < col && k + 1 < cap; i++)
        buf[k++] = p[i] == '\t' ? '\t' : ' ';
    if (k + 1 < cap)
        buf[k++] = '^';
    buf[k] = 0;
    return k;
}

static int64_t real_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void explain_plan(struct qctx *q, struct qsel *s, int depth)
{
    struct fl_buf *b = &q->explain_out;
    char ind[64];
    int d = depth * 2 < 60 ? depth * 2 : 60;
    memset(ind, ' ', (size_t)d);
    ind[d] = 0;
    for (struct qcte *c = s->ctes; c; c = c->next) {
        fl_buf_printf(b, "%sWITH %.*s:\n", ind, (int)c->name_len, c->name);
        explain_plan(q, c->sel, depth + 1);
    }
    fl_buf_printf(b, "%sOutput: %d column%s", ind, s->nout, s->nout == 1 ? "" : "s");
    if (s->limit >= 0)
        fl_buf_printf(b, ", limit %lld", (long long)s->limit);
    if (s->offset)
        fl_buf_printf(b, ", offset %lld", (long long)s->offset);
    fl_buf_printf(b, "\n");
    if (s->norder)
        fl_buf_printf(b, "%s  Sort: %d key%s%s\n", ind, s->norder, s->norder == 1 ? "" : "s",
                      s->limit >= 0 ? " (top-N)" : "");
    if (s->distinct)
        fl_buf_printf(b, "%s  Distinct\n", ind);
    if (s->having)
        fl_buf_printf(b, "%s  Filter (HAVING)\n", ind);
    if (s->aggregate)
        fl_buf_printf(b, "%s  Aggregate: %d key%s, %d aggregate%s (%s)\n", ind, s->ngroup,
                      s->ngroup == 1 ? "" : "s", s->naggs, s->naggs == 1 ? "" : "s",
                      fl__qfast_ok(s) && !q->generic_agg
                          ? "hash on packed keys, partitioned, 2 threads merge in parallel"
                          : "hash");
    if (s->where) {
        int dcols[8], nd = 0;
        if (s->src_kind == SRC_SCAN && !q->generic_agg)
            nd = fl__qscan_dict_cols(s, dcols, 8);
        fl_buf_printf(b, "%s  Filter (WHERE)", ind);
        for (int i = 0; i < nd; i++)
            fl_buf_printf(b, "%s%s", i ? ", " : "; on dictionary codes: ", fl_fields[dcols[i]].name);
        fl_buf_printf(b, "\n");
    }
    if (s->src_kind == SRC_SCAN) {
        fl_buf_printf(b, "%s  Scan %s: columns", ind, s->vpc_table ? "vpc_flow_logs" : "flows");
        int n = 0;
        for (int c = 0; c < s->src.n; c++)
            if (s->need[c])
                fl_buf_printf(b, "%s%s", n++ ? ", " : " ", s->src.names[c]);
        if (!n)
            fl_buf_printf(b, " (none: row counts only)");
        fl_buf_printf(b, "\n");
    } else if (s->src_kind == SRC_ROWS) {
        fl_buf_printf(b, "%s  From %s\n", ind, s->table ? s->table : "(subquery)");
        if (!s->table)
            explain_plan(q, s->src_cte->sel, depth + 2);
    } else {
        fl_buf_printf(b, "%s  Values: one row\n", ind);
    }
}

int fl_query_run(const char *sql, const struct fl_query_opts *opts, fl_query_result **out,
                 struct fl_error *err)
{
    *out = NULL;
    fl_error_clear(err);
    struct fl_query_result *r = fl_calloc(1, sizeof *r);
    if (!r)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    struct qctx *q = &r->q;
    q->sql = sql;
    q->sql_len = strlen(sql);
    q->err = err;
    q->mem.limit = opts && opts->memory ? opts->memory : FL_QUERY_DEFAULT_MEMORY;
    q->home = opts && opts->home ? opts->home : "./flowsift-data";
    q->threads = opts && opts->threads > 0 ? opts->threads : 2;
    q->par_min_rows = opts && opts->parallel_min_rows ? opts->parallel_min_rows : 100000;
    const char *ga = getenv("FLOWSIFT_QUERY_GENERIC_AGG");
    q->generic_agg = ga && *ga && strcmp(ga, "0") != 0;
    q->now_us = opts && opts->now_set ? opts->now_us : real_now_us();
    if (opts && opts->timeout_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ms = FL_MIN(opts->timeout_ms, (uint64_t)1 << 40);
        q->deadline_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (int64_t)ms * 1000000;
    }
    fl__qarena_init(&q->ast, &q->mem);
    fl_buf_init(&q->explain_out, 1 << 20);
    int rc;
    if (q->sql_len > (1u << 20)) {
        rc = fl_error_set(err, FL_ELIMIT, "query text longer than 1 MiB");
        goto fail;
    }
    struct qsel *s;
    bool explain;
    rc = fl__qparse(q, &s, &explain);
    if (rc < 0)
        goto fail;
    rc = fl__qresolve(q, s);
    if (rc < 0)
        goto fail;
    r->sel = s;
    q->explain = explain;
    if (explain) {
        explain_plan(q, s, 0);
        /* pruning: a dry scan opens footers only */
        struct qrows tmp;
        fl__qrows_init(&tmp, s->nproj, &q->mem);
        if (s->src_kind == SRC_SCAN) {
            rc = prep_all_subs(q, s);
            struct qeval ev;
            memset(&ev, 0, sizeof ev);
            ev.q = q;
            fl__qarena_init(&ev.tmp, &q->mem);
            if (rc == FL_OK)
                rc = fl__qscan(q, s, &ev, NULL, NULL);
            fl__qarena_free(&ev.tmp);
            if (ev.md)
                pcre2_match_data_free(ev.md);
        }
        fl__qrows_free(&tmp);
        if (rc < 0)
            goto fail;
        if (s->src_kind == SRC_SCAN)
            fl_buf_printf(&q->explain_out,
                          "Pruning: partitions %llu of %llu skipped, files %llu of %llu skipped, "
                          "row groups %llu of %llu skipped\n"
                          "Read: %llu row groups, %llu rows, %llu column chunks\n",
                          (unsigned long long)q->st_parts_skipped, (unsigned long long)q->st_parts,
                          (unsigned long long)q->st_files_skipped, (unsigned long long)q->st_files,
                          (unsigned long long)q->st_rgs_skipped, (unsigned long long)q->st_rgs,
                          (unsigned long long)(q->st_rgs - q->st_rgs_skipped),
                          (unsigned long long)q->st_rows_read, (unsigned long long)q->st_cols_read);
        static const char *pname[] = {"plan"};
        static uint8_t ptype[] = {QT_STR};
        r->names = pname;
        r->types = ptype;
        r->ncols = 1;
        fl__qrows_init(&r->rows, 1, &q->mem);
        const char *t = fl_buf_cstr(&q->explain_out);
        while (t && *t) {
            const char *e = strchr(t, '\n');
            size_t len = e ? (size_t)(e - t) : strlen(t);
            struct qval v = QV_NULL;
            v.t = QT_STR;
            v.s = t;
            v.n = (uint32_t)len;
            rc = fl__qrows_add(&r->rows, &v, err);
            if (rc < 0)
                goto fail;
            t = e ? e + 1 : t + len;
        }
        *out = r;
        return FL_OK;
    }
    fl__qrows_init(&r->rows, s->nout, &q->mem);
    rc = fl__qexec(q, s, &r->rows);
    if (rc < 0)
        goto fail;
    r->names = s->out_names;
    r->types = s->out_types;
    r->ncols = s->nout;
    *out = r;
    return FL_OK;
fail:
    if (rc == FL_ETIMEOUT || atomic_load(&q->timed_out)) {
        /* the threads are joined: this message replaces whatever a
         * stopping loop reported on the way out */
        rc = FL_ETIMEOUT;
        uint64_t ms = opts ? opts->timeout_ms : 0;
        const char *hint = opts && opts->timeout_hint ? opts->timeout_hint : NULL;
        char lim[48];
        if (ms % 1000 == 0)
            snprintf(lim, sizeof lim, "%llu s", (unsigned long long)(ms / 1000));
        else
            snprintf(lim, sizeof lim, "%llu ms", (unsigned long long)ms);
        fl_error_clear(err);
        fl_error_set(err, rc, "query exceeded its time limit of %s%s%s%s", lim, hint ? " (" : "",
                     hint ? hint : "", hint ? ")" : "");
    }
    if (err && err->rc == 0)
        fl_error_set(err, rc, "%s", fl_strerror(rc));
    fl_query_result_free(r);
    return rc;
}
