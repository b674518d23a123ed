/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_agg.c - hash aggregation for GROUP BY and aggregate functions.
 * Groups live in one flat array of fixed-size records (the key values, then
 * one state per aggregate); an open-addressing index of (hash, group) pairs
 * at load <= 1/2 finds them, each key hashed once per row.  The index and
 * the group array are pre-sized and grown by doubling, and every byte is
 * charged to the query's memory budget, so a query that cannot fit fails
 * with a message naming --memory.  DISTINCT aggregates (and approx_distinct,
 * which is computed exactly) go through one shared set of (aggregate, group,
 * value) so that a value feeds its aggregate once per group.
 * approx_distinct is a HyperLogLog sketch per group (2048 one-byte
 * registers, standard error 1.04/sqrt(2048) = 2.3 %, Trino's default),
 * exact while a group has at most HLL_EXACT distinct values (their 64-bit
 * hashes are kept in a small set first).  approx_percentile keeps the values
 * and picks the nearest-rank value at the end (exact, so within any
 * approximation error).
 */
#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "query/query_int.h"

/* One aggregate's state: 48 bytes.  The unions overlay fields that no
 * aggregate uses together (sum/avg/stddev use d and cnt; min/max/arbitrary/
 * min_by/max_by use v; stddev uses m2; min_by/max_by use k). */
struct astate {
    int64_t i;       /* count, or integer sum */
    uint8_t has;     /* v set (min/max/arbitrary/by/bool) */
    uint8_t dbl;     /* sum went to double (1: doubles in d; 2: all in d) */
    union {
        struct {
            double d;    /* double sum / Welford mean */
            int64_t cnt; /* values seen */
        };
        struct qval v;   /* min/max/arbitrary/by value */
        struct hll *sk;  /* approx_distinct sketch (NULL: no value yet) */
    };
    union {
        double m2;       /* Welford M2 */
        struct qval k;   /* min_by/max_by key */
    };
};

/* ---- HyperLogLog (approx_distinct) ------------------------------------------ */
#define HLL_P 11                 /* 2^11 = 2048 registers */
#define HLL_M (1u << HLL_P)
#define HLL_EXACT 128            /* distinct values counted exactly */

/* A sketch: while `dense` is 0, h[0..cap) is an open-addressing set of the
 * values' 64-bit hashes (0 = empty; a hash of 0 is stored as 1) and n is
 * the exact count; past HLL_EXACT values it becomes HLL_M registers. */
struct hll {
    uint32_t n, cap;
    uint32_t dense;
    uint32_t pad;
    uint64_t h[];                /* or uint8_t registers[HLL_M] */
};

static void hll_reg(uint8_t *reg, uint64_t h)
{
    uint32_t j = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = (h << HLL_P) | (1ull << (HLL_P - 1)); /* rank <= 64 - P + 1 */
    uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
    if (rank > reg[j])
        reg[j] = rank;
}

struct hslot {
    uint64_t h;
    uint32_t gid; /* group + 1; 0 = empty */
};

struct dentry { /* distinct set entry */
    uint64_t h;
    uint32_t gid; /* + 1; 0 = empty */
    uint16_t agg;
    struct qval v;
};

struct pvals { /* approx_percentile values */
    size_t n, cap;
    struct pv {
        uint32_t gid;
        double d;
    } *v;
};

struct qgroups {
    struct qctx *q;
    struct qsel *s;
    int nk, na;
    size_t recsz;        /* bytes per group record */
    char *recs;          /* groups */
    size_t ngroups, capgroups;
    struct hslot *idx;   /* index */
    size_t idxcap;       /* power of two */
    struct dentry *dset; /* distinct values */
    size_t dn, dcap;
    struct pvals *pv;    /* per aggregate */
    struct qarena strs;  /* key and state strings */
    struct qval *keybuf; /* current row's keys */
    struct qval *argbuf; /* current row's aggregate arguments */
    struct qval *arg2buf;
};

static int nomem(struct qgroups *g)
{
    return fl__qerr(g->q, g->s->pos, FL_ENOMEM,
                    "the query exceeds its memory budget of %llu MB (raise it with --memory)",
                    (unsigned long long)(g->q->mem.limit >> 20));
}

/* Ask for transparent huge pages on a large block: first-touch page faults
 * are the dominant cost of a high-cardinality aggregation on this kind of
 * VM (THP is usually in "madvise" mode), and 2 MiB pages cut them 512-fold. */
static void hugepages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t H = 2u << 20;
    if (n < 2 * H)
        return;
    uintptr_t a = ((uintptr_t)p + H - 1) & ~(H - 1), e = ((uintptr_t)p + n) & ~(H - 1);
    if (e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* Grow an array charged to the budget. */
static void *grow(struct qgroups *g, void *p, size_t oldsz, size_t newsz)
{
    if (fl__qmem_charge(&g->q->mem, newsz - oldsz) != FL_OK)
        return NULL;
    void *np = fl_realloc(p, newsz);
    if (!np) {
        fl__qmem_release(&g->q->mem, newsz - oldsz);
        return NULL;
    }
    hugepages(np, newsz);
    return np;
}

static struct qval *rec_keys(struct qgroups *g, size_t gid) { return (struct qval *)(g->recs + gid * g->recsz); }
static struct astate *rec_states(struct qgroups *g, size_t gid)
{
    return (struct astate *)(g->recs + gid * g->recsz + sizeof(struct qval) * (size_t)g->nk);
}

static int keep_str(struct qgroups *g, struct qval *v)
{
    if (v->t != QT_STR || v->n == 0)
        return FL_OK;
    char *p = fl__qarena_alloc(&g->strs, v->n);
    if (!p)
        return nomem(g);
    memcpy(p, v->s, v->n);
    v->s = p;
    return FL_OK;
}

static struct hll *hll_alloc(struct qgroups *g, uint32_t cap, bool dense)
{
    size_t sz = sizeof(struct hll) + (dense ? HLL_M : cap * sizeof(uint64_t));
    struct hll *k = fl__qarena_alloc(&g->strs, sz);
    if (!k)
        return NULL;
    memset(k, 0, sz);
    k->cap = cap;
    k->dense = dense;
    return k;
}

/* Add the hash h to the sketch *kp (created or converted as needed); the
 * old arrays stay in the arena (at most twice the final size). */
static int hll_add(struct qgroups *g, struct hll **kp, uint64_t h)
{
    struct hll *k = *kp;
    if (!k) {
        if (!(k = hll_alloc(g, 8, false)))
            return nomem(g);
        *kp = k;
    }
    if (k->dense) {
        hll_reg((uint8_t *)k->h, h);
        return FL_OK;
    }
    if (!h)
        h = 1;
    uint32_t mask = k->cap - 1, j = (uint32_t)h & mask;
    while (k->h[j]) {
        if (k->h[j] == h)
            return FL_OK;
        j = (j + 1) & mask;
    }
    if ((k->n + 1) * 2 <= k->cap) {
        k->h[j] = h;
        k->n++;
        return FL_OK;
    }
    struct hll *nk;
    if (k->n + 1 > HLL_EXACT) {
        if (!(nk = hll_alloc(g, 0, true)))
            return nomem(g);
        for (uint32_t i = 0; i < k->cap; i++)
            if (k->h[i])
                hll_reg((uint8_t *)nk->h, k->h[i]);
        hll_reg((uint8_t *)nk->h, h);
    } else {
        if (!(nk = hll_alloc(g, k->cap * 2, false)))
            return nomem(g);
        *kp = nk;
        for (uint32_t i = 0; i < k->cap; i++)
            if (k->h[i])
                FL_TRY(hll_add(g, kp, k->h[i]));
        return hll_add(g, kp, h);
    }
    *kp = nk;
    return FL_OK;
}

/* Fold sketch b (of another table) into *ap. */
static int hll_merge(struct qgroups *g, struct hll **ap, const struct hll *b)
{
    if (!b)
        return FL_OK;
    if (!b->dense) {
        for (uint32_t i = 0; i < b->cap; i++)
            if (b->h[i])
                FL_TRY(hll_add(g, ap, b->h[i]));
        return FL_OK;
    }
    struct hll *a = *ap;
    if (!a || !a->dense) {
        struct hll *nk = hll_alloc(g, 0, true);
        if (!nk)
            return nomem(g);
        for (uint32_t i = 0; a && i < a->cap; i++)
            if (a->h[i])
                hll_reg((uint8_t *)nk->h, a->h[i]);
        *ap = a = nk;
    }
    uint8_t *x = (uint8_t *)a->h;
    const uint8_t *y = (const uint8_t *)b->h;
    for (uint32_t j = 0; j < HLL_M; j++)
        if (y[j] > x[j])
            x[j] = y[j];
    return FL_OK;
}

/* The estimate: exact below HLL_EXACT values; otherwise the HyperLogLog
 * estimate with linear counting for small ranges (Flajolet et al. 2007;
 * 64-bit hashes need no large-range correction). */
static int64_t hll_count(const struct hll *k)
{
    if (!k)
        return 0;
    if (!k->dense)
        return k->n;
    const uint8_t *reg = (const uint8_t *)k->h;
    double sum = 0;
    uint32_t zeros = 0;
    for (uint32_t j = 0; j < HLL_M; j++) {
        sum += ldexp(1.0, -(int)reg[j]);
        zeros += reg[j] == 0;
    }
    double m = HLL_M, e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros);
    return (int64_t)llround(e);
}

int fl__qgroups_new(struct qctx *q, struct qsel *s, struct qgroups **out)
{
    struct qgroups *g = fl_calloc(1, sizeof *g);
    if (!g)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    g->q = q;
    g->s = s;
    g->nk = s->ngroup;
    g->na = s->naggs;
    g->recsz = sizeof(struct qval) * (size_t)g->nk + sizeof(struct astate) * (size_t)g->na;
    if (g->recsz == 0)
        g->recsz = 8;
    fl__qarena_init(&g->strs, &q->mem);
    g->keybuf = fl_calloc((size_t)g->nk + 1, sizeof(struct qval));
    g->argbuf = fl_calloc((size_t)g->na + 1, sizeof(struct qval));
    g->arg2buf = fl_calloc((size_t)g->na + 1, sizeof(struct qval));
    g->pv = fl_calloc((size_t)g->na + 1, sizeof(struct pvals));
    if (!g->keybuf || !g->argbuf || !g->arg2buf || !g->pv) {
        fl__qgroups_free(g);
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    }
    size_t cap = g->nk ? 1024 : 1;
    g->recs = grow(g, NULL, 0, cap * g->recsz);
    if (!g->recs) {
        int rc = nomem(g);
        fl__qgroups_free(g);
        return rc;
    }
    g->capgroups = cap;
    if (g->nk) {
        g->idxcap = 2048;
        g->idx = grow(g, NULL, 0, g->idxcap * sizeof *g->idx);
        if (!g->idx) {
            int rc = nomem(g);
            fl__qgroups_free(g);
            return rc;
        }
        memset(g->idx, 0, g->idxcap * sizeof *g->idx);
    } else {
        memset(g->recs, 0, g->recsz);
        g->ngroups = 1; /* the one group of an aggregate without GROUP BY */
    }
    *out = g;
    return FL_OK;
}

void fl__qgroups_free(struct qgroups *g)
{
    if (!g)
        return;
    struct qmem *m = &g->q->mem;
    fl__qmem_release(m, g->capgroups * g->recsz + g->idxcap * sizeof *g->idx + g->dcap * sizeof *g->dset);
    fl_free(g->recs);
    fl_free(g->idx);
    fl_free(g->dset);
    if (g->pv) {
        for (int i = 0; i < g->na; i++) {
            fl__qmem_release(m, g->pv[i].cap * sizeof *g->pv[i].v);
            fl_free(g->pv[i].v);
        }
    }
    fl_free(g->pv);
    fl_free(g->keybuf);
    fl_free(g->argbuf);
    fl_free(g->arg2buf);
    fl__qarena_free(&g->strs);
    fl_free(g);
}

static int rehash(struct qgroups *g)
{
    size_t ncap = g->idxcap * 2;
    struct hslot *n = grow(g, NULL, 0, ncap * sizeof *n);
    if (!n)
        return nomem(g);
    memset(n, 0, ncap * sizeof *n);
    for (size_t i = 0; i < g->idxcap; i++) {
        if (!g->idx[i].gid)
            continue;
        size_t j = g->idx[i].h & (ncap - 1);
        while (n[j].gid)
            j = (j + 1) & (ncap - 1);
        n[j] = g->idx[i];
    }
    fl__qmem_release(&g->q->mem, g->idxcap * sizeof *g->idx);
    fl_free(g->idx);
    g->idx = n;
    g->idxcap = ncap;
    return FL_OK;
}

/* Find or create the group of g->keybuf; returns its index or < 0. */
static int64_t find_group(struct qgroups *g)
{
    uint64_t h = 0x51ed27;
    for (int k = 0; k < g->nk; k++)
        h = fl__qval_hash(&g->keybuf[k], h + (uint64_t)k);
    size_t mask = g->idxcap - 1, j = h & mask;
    for (;;) {
        struct hslot *sl = &g->idx[j];
        if (!sl->gid)
            break;
        if (sl->h == h) {
            struct qval *kv = rec_keys(g, sl->gid - 1);
            int k = 0;
            for (; k < g->nk; k++) {
                const struct qval *a = &kv[k], *b = &g->keybuf[k];
                if (a->t != b->t || !(a->t == QT_NULL || fl__qval_eq(a, b)))
                    break;
            }
            if (k == g->nk)
                return sl->gid - 1;
        }
        j = (j + 1) & mask;
    }
    /* new group */
    if (g->ngroups >= 0xFFFFFFF0u)
        return fl__qerr(g->q, g->s->pos, FL_ELIMIT, "too many groups");
    if (g->ngroups == g->capgroups) {
        size_t ncap = g->capgroups * 2;
        char *r = grow(g, g->recs, g->capgroups * g->recsz, ncap * g->recsz);
        if (!r)
            return nomem(g);
        g->recs = r;
        g->capgroups = ncap;
    }
    size_t gid = g->ngroups++;
    struct qval *kv = rec_keys(g, gid);
    for (int k = 0; k < g->nk; k++) {
        kv[k] = g->keybuf[k];
        FL_TRY(keep_str(g, &kv[k]));
    }
    memset(rec_states(g, gid), 0, sizeof(struct astate) * (size_t)g->na);
    g->idx[j].h = h;
    g->idx[j].gid = (uint32_t)gid + 1;
    if (g->ngroups * 2 > g->idxcap)
        FL_TRY(rehash(g));
    return (int64_t)gid;
}

/* Is (agg, gid, v) new?  1 = new (inserted), 0 = seen, < 0 error. */
static int distinct_add(struct qgroups *g, int agg, size_t gid, struct qval *v)
{
    if ((g->dn + 1) * 2 > g->dcap) {
        size_t ncap = g->dcap ? g->dcap * 2 : 4096;
        struct dentry *n = grow(g, NULL, 0, ncap * sizeof *n);
        if (!n)
            return nomem(g);
        memset(n, 0, ncap * sizeof *n);
        for (size_t i = 0; i < g->dcap; i++) {
            if (!g->dset[i].gid)
                continue;
            size_t j = g->dset[i].h & (ncap - 1);
            while (n[j].gid)
                j = (j + 1) & (ncap - 1);
            n[j] = g->dset[i];
        }
        fl__qmem_release(&g->q->mem, g->dcap * sizeof *g->dset);
        fl_free(g->dset);
        g->dset = n;
        g->dcap = ncap;
    }
    uint64_t h = fl__qval_hash(v, fl_hash64(gid * 131 + (uint64_t)agg));
    size_t mask = g->dcap - 1, j = h & mask;
    while (g->dset[j].gid) {
        struct dentry *e = &g->dset[j];
        if (e->h == h && e->gid == gid + 1 && e->agg == agg && fl__qval_eq(&e->v, v))
            return 0;
        j = (j + 1) & mask;
    }
    struct dentry *e = &g->dset[j];
    e->h = h;
    e->gid = (uint32_t)gid + 1;
    e->agg = (uint16_t)agg;
    e->v = *v;
    FL_TRY(keep_str(g, &e->v));
    g->dn++;
    return 1;
}

static int update(struct qgroups *g, int j, struct astate *st, struct qval *v, struct qval *v2, size_t gid)
{
    const struct qagg *a = &g->s->aggs[j];
    switch (a->fn) {
    case AG_COUNT_STAR:
        st->i++;
        return FL_OK;
    case AG_COUNT:
        if (v->t != QT_NULL)
            st->i++;
        return FL_OK;
    case AG_APPROX_DISTINCT:
        if (v->t == QT_NULL)
            return FL_OK;
        return hll_add(g, &st->sk, fl__qval_hash(v, 0x4c4c48ull));
    case AG_COUNT_IF:
        if (v->t == QT_BOOL && v->i)
            st->i++;
        return FL_OK;
    case AG_SUM:
    case AG_AVG:
        if (v->t == QT_NULL)
            return FL_OK;
        st->cnt++;
        if (v->t == QT_DBL) {
            st->d += v->d;
            st->dbl = 1;
        } else if (!st->dbl) {
            if (__builtin_add_overflow(st->i, v->i, &st->i)) {
                if (a->fn == AG_SUM && a->type == QT_INT)
                    return fl__qerr(g->q, a->arg->pos, FL_ERANGE, "bigint overflow in sum");
                st->d = (double)st->i + (double)v->i; /* avg: go on in double */
                st->dbl = 2;
            }
        } else {
            st->d += (double)v->i;
        }
        return FL_OK;
    case AG_STDDEV:
    case AG_STDDEV_POP:
    case AG_VARIANCE:
    case AG_VAR_POP: {
        if (v->t == QT_NULL)
            return FL_OK;
        double x = v->t == QT_DBL ? v->d : (double)v->i;
        st->cnt++;
        double delta = x - st->d;
        st->d += delta / (double)st->cnt;
        st->m2 += delta * (x - st->d);
        return FL_OK;
    }
    case AG_MIN:
    case AG_MAX:
        if (v->t == QT_NULL)
            return FL_OK;
        if (!st->has || (a->fn == AG_MIN ? fl__qval_cmp(v, &st->v) < 0 : fl__qval_cmp(v, &st->v) > 0)) {
            st->v = *v;
            st->has = 1;
            return keep_str(g, &st->v);
        }
        return FL_OK;
    case AG_ARBITRARY:
        if (v->t == QT_NULL || st->has)
            return FL_OK;
        st->v = *v;
        st->has = 1;
        return keep_str(g, &st->v);
    case AG_MIN_BY:
    case AG_MAX_BY:
        if (v2->t == QT_NULL)
            return FL_OK;
        if (!st->has || (a->fn == AG_MIN_BY ? fl__qval_cmp(v2, &st->k) < 0 : fl__qval_cmp(v2, &st->k) > 0)) {
            st->v = *v;
            st->k = *v2;
            st->has = 1;
            FL_TRY(keep_str(g, &st->v));
            return keep_str(g, &st->k);
        }
        return FL_OK;
    case AG_BOOL_AND:
    case AG_BOOL_OR:
        if (v->t == QT_NULL)
            return FL_OK;
        if (!st->has) {
            st->has = 1;
            st->i = v->i;
        } else if (a->fn == AG_BOOL_AND) {
            st->i = st->i && v->i;
        } else {
            st->i = st->i || v->i;
        }
        return FL_OK;
    case AG_APPROX_PERCENTILE: {
        if (v->t == QT_NULL)
            return FL_OK;
        struct pvals *p = &g->pv[j];
        if (p->n == p->cap) {
            size_t ncap = p->cap ? p->cap * 2 : 1024;
            struct pv *nv = grow(g, p->v, p->cap * sizeof *p->v, ncap * sizeof *p->v);
            if (!nv)
                return nomem(g);
            p->v = nv;
            p->cap = ncap;
        }
        p->v[p->n].gid = (uint32_t)gid;
        p->v[p->n].d = v->t == QT_DBL ? v->d : (double)v->i;
        p->n++;
        return FL_OK;
    }
    default:
        return fl__qerr(g->q, g->s->pos, FL_EINTERNAL, "aggregate not implemented");
    }
}

int fl__qgroups_add(struct qgroups *g, struct qeval *ev)
{
    struct qsel *s = g->s;
    for (int k = 0; k < g->nk; k++) {
        const struct qnode *e = s->group[k];
        if (e->kind == N_SLOT) /* a plain column: no evaluator call */
            g->keybuf[k] = ev->row[e->slot];
        else
            FL_TRY(fl__qeval(ev, e, &g->keybuf[k]));
    }
    int64_t gid = g->nk ? find_group(g) : 0;
    if (gid < 0)
        return (int)gid;
    for (int j = 0; j < g->na; j++) {
        const struct qagg *a = &s->aggs[j];
        struct qval v = QV_NULL, v2 = QV_NULL;
        if (a->arg && a->arg->kind == N_SLOT)
            v = ev->row[a->arg->slot];
        else if (a->arg)
            FL_TRY(fl__qeval(ev, a->arg, &v));
        if (a->arg2 && (a->fn == AG_MIN_BY || a->fn == AG_MAX_BY))
            FL_TRY(fl__qeval(ev, a->arg2, &v2));
        if (a->distinct) {
            if (v.t == QT_NULL)
                continue;
            int r = distinct_add(g, j, (size_t)gid, &v);
            FL_TRY(r);
            if (r == 0)
                continue;
        }
        FL_TRY(update(g, j, &rec_states(g, (size_t)gid)[j], &v, &v2, (size_t)gid));
    }
    return FL_OK;
}

static int pv_cmp(const void *x, const void *y)
{
    const struct pv *a = x, *b = y;
    if (a->gid != b->gid)
        return a->gid < b->gid ? -1 : 1;
    return (a->d > b->d) - (a->d < b->d);
}

int fl__qgroups_finish(struct qgroups *g, qgroup_fn fn, void *ctx)
{
    int nc = g->nk + g->na;
    struct qval *row = fl_calloc((size_t)nc + 1, sizeof *row);
    if (!row)
        return nomem(g);
    /* percentiles: sort each aggregate's values by (group, value) */
    size_t *pvpos = fl_calloc((size_t)g->na + 1, sizeof *pvpos);
    if (!pvpos) {
        fl_free(row);
        return nomem(g);
    }
    for (int j = 0; j < g->na; j++)
        if (g->pv[j].n)
            qsort(g->pv[j].v, g->pv[j].n, sizeof *g->pv[j].v, pv_cmp);
    int rc = FL_OK;
    for (size_t gid = 0; gid < g->ngroups && rc == FL_OK; gid++) {
        struct qval *kv = rec_keys(g, gid);
        struct astate *st = rec_states(g, gid);
        for (int k = 0; k < g->nk; k++)
            row[k] = kv[k];
        for (int j = 0; j < g->na; j++) {
            const struct qagg *a = &g->s->aggs[j];
            struct astate *t = &st[j];
            struct qval *v = &row[g->nk + j];
            *v = QV_NULL;
            switch (a->fn) {
            case AG_COUNT_STAR:
            case AG_COUNT:
            case AG_COUNT_IF:
                v->t = QT_INT;
                v->i = t->i;
                break;
            case AG_APPROX_DISTINCT:
                v->t = QT_INT;
                v->i = hll_count(t->sk);
                break;
            case AG_SUM:
                if (!t->cnt)
                    break;
                if (a->type == QT_DBL) {
                    v->t = QT_DBL;
                    v->d = t->dbl ? t->d + (t->dbl == 1 ? (double)t->i : 0) : (double)t->i;
                } else {
                    v->t = a->type;
                    v->i = t->i;
                }
                break;
            case AG_AVG:
                if (!t->cnt)
                    break;
                v->t = QT_DBL;
                v->d = (t->dbl == 2 ? t->d : (double)t->i + t->d) / (double)t->cnt;
                break;
            case AG_STDDEV:
            case AG_VARIANCE:
                if (t->cnt < 2)
                    break;
                v->t = QT_DBL;
                v->d = t->m2 / (double)(t->cnt - 1);
                if (a->fn == AG_STDDEV)
                    v->d = sqrt(v->d);
                break;
            case AG_STDDEV_POP:
            case AG_VAR_POP:
                if (t->cnt < 1)
                    break;
                v->t = QT_DBL;
                v->d = t->m2 / (double)t->cnt;
                if (a->fn == AG_STDDEV_POP)
                    v->d = sqrt(v->d);
                break;
            case AG_MIN:
            case AG_MAX:
            case AG_ARBITRARY:
            case AG_MIN_BY:
            case AG_MAX_BY:
                if (t->has)
                    *v = t->v;
                break;
            case AG_BOOL_AND:
            case AG_BOOL_OR:
                if (t->has) {
                    v->t = QT_BOOL;
                    v->i = t->i;
                }
                break;
            case AG_APPROX_PERCENTILE: {
                struct pvals *p = &g->pv[j];
                size_t b = pvpos[j], e = b;
                while (e < p->n && p->v[e].gid == gid)
                    e++;
                pvpos[j] = e;
                if (e == b)
                    break;
                size_t n = e - b;
                double rank = ceil(a->pct * (double)n);
                size_t k = rank < 1 ? 0 : (size_t)rank - 1;
                if (k >= n)
                    k = n - 1;
                double d = p->v[b + k].d;
                if (a->type == QT_INT) {
                    v->t = QT_INT;
                    v->i = (int64_t)d;
                } else {
                    v->t = QT_DBL;
                    v->d = d;
                }
                break;
            }
            default:
                break;
            }
        }
        rc = fn(ctx, row);
    }
    if (rc > 0)
        rc = FL_OK;
    fl_free(pvpos);
    fl_free(row);
    return rc;
}

/* Fold the state b (of another table) into a. */
static int merge_state(struct qgroups *g, const struct qagg *ag, struct astate *a, const struct astate *b)
{
    switch (ag->fn) {
    case AG_COUNT_STAR:
    case AG_COUNT:
    case AG_COUNT_IF:
        a->i += b->i;
        return FL_OK;
    case AG_APPROX_DISTINCT:
        return hll_merge(g, &a->sk, b->sk);
    case AG_SUM:
    case AG_AVG: {
        if (!b->cnt)
            return FL_OK;
        int64_t s;
        if (a->dbl != 2 && b->dbl != 2 && !__builtin_add_overflow(a->i, b->i, &s)) {
            a->i = s;
            a->d += b->d;
            a->dbl = a->dbl > b->dbl ? a->dbl : b->dbl;
        } else {
            if (ag->fn == AG_SUM && ag->type == QT_INT)
                return fl__qerr(g->q, ag->arg->pos, FL_ERANGE, "bigint overflow in sum");
            double x = a->dbl == 2 ? a->d : (double)a->i + a->d;
            double y = b->dbl == 2 ? b->d : (double)b->i + b->d;
            a->d = x + y;
            a->i = 0;
            a->dbl = 2;
        }
        a->cnt += b->cnt;
        return FL_OK;
    }
    case AG_STDDEV:
    case AG_STDDEV_POP:
    case AG_VARIANCE:
    case AG_VAR_POP: {
        if (!b->cnt)
            return FL_OK;
        if (!a->cnt) {
            *a = *b;
            return FL_OK;
        }
        double n0 = (double)a->cnt, n1 = (double)b->cnt, n = n0 + n1;
        double delta = b->d - a->d;
        a->d += delta * n1 / n;
        a->m2 += b->m2 + delta * delta * n0 * n1 / n;
        a->cnt += b->cnt;
        return FL_OK;
    }
    case AG_MIN:
    case AG_MAX:
        if (b->has && (!a->has || (ag->fn == AG_MIN ? fl__qval_cmp(&b->v, &a->v) < 0
                                                    : fl__qval_cmp(&b->v, &a->v) > 0))) {
            a->v = b->v;
            a->has = 1;
            return keep_str(g, &a->v);
        }
        return FL_OK;
    case AG_ARBITRARY:
        if (b->has && !a->has) {
            a->v = b->v;
            a->has = 1;
            return keep_str(g, &a->v);
        }
        return FL_OK;
    case AG_MIN_BY:
    case AG_MAX_BY:
        if (b->has && (!a->has || (ag->fn == AG_MIN_BY ? fl__qval_cmp(&b->k, &a->k) < 0
                                                       : fl__qval_cmp(&b->k, &a->k) > 0))) {
            a->v = b->v;
            a->k = b->k;
            a->has = 1;
            FL_TRY(keep_str(g, &a->v));
            return keep_str(g, &a->k);
        }
        return FL_OK;
    case AG_BOOL_AND:
    case AG_BOOL_OR:
        if (b->has) {
            if (!a->has)
                a->i = b->i;
            else
                a->i = ag->fn == AG_BOOL_AND ? (a->i && b->i) : (a->i || b->i);
            a->has = 1;
        }
        return FL_OK;
    default:
        return FL_OK; /* percentiles and DISTINCT aggregates are replayed */
    }
}

size_t fl__qgroups_count(const struct qgroups *g) { return g->ngroups; }

int fl__qgroups_merge(struct qgroups *dst, struct qgroups *src)
{
    size_t n = src->ngroups;
    if (fl__qmem_charge(&dst->q->mem, n * sizeof(uint32_t) + 4) != FL_OK)
        return nomem(dst);
    uint32_t *map = fl_malloc(n * sizeof *map + 4);
    if (!map) {
        fl__qmem_release(&dst->q->mem, n * sizeof(uint32_t) + 4);
        return nomem(dst);
    }
    int rc = FL_OK;
    for (size_t gid = 0; gid < n && rc == FL_OK; gid++) {
        if ((gid + 1) % FL_QDEADLINE_EVERY == 0 && (rc = fl__qdeadline(dst->q)) != FL_OK)
            break; /* the time limit */
        int64_t d;
        if (dst->nk) {
            memcpy(dst->keybuf, rec_keys(src, gid), sizeof(struct qval) * (size_t)dst->nk);
            d = find_group(dst);
            if (d < 0) {
                rc = (int)d;
                break;
            }
        } else {
            d = 0;
        }
        map[gid] = (uint32_t)d;
        struct astate *a = rec_states(dst, (size_t)d), *b = rec_states(src, gid);
        for (int j = 0; j < dst->na && rc == FL_OK; j++) {
            const struct qagg *ag = &dst->s->aggs[j];
            if (ag->distinct || ag->fn == AG_APPROX_PERCENTILE)
                continue;
            rc = merge_state(dst, ag, &a[j], &b[j]);
        }
    }
    /* DISTINCT aggregates: replay src's distinct values into dst */
    for (size_t i = 0; i < src->dcap && rc == FL_OK; i++) {
        struct dentry *e = &src->dset[i];
        if (!e->gid)
            continue;
        size_t d = map[e->gid - 1];
        struct qval v = e->v;
        int r = distinct_add(dst, e->agg, d, &v);
        if (r < 0) {
            rc = r;
            break;
        }
        if (r == 1) {
            struct qval none = QV_NULL;
            rc = update(dst, e->agg, &rec_states(dst, d)[e->agg], &v, &none, d);
        }
    }
    /* percentiles: append src's values */
    for (int j = 0; j < dst->na && rc == FL_OK; j++) {
        struct pvals *ps = &src->pv[j], *pd = &dst->pv[j];
        for (size_t k = 0; k < ps->n && rc == FL_OK; k++) {
            if (pd->n == pd->cap) {
                size_t ncap = pd->cap ? pd->cap * 2 : 1024;
                struct pv *nv = grow(dst, pd->v, pd->cap * sizeof *pd->v, ncap * sizeof *pd->v);
                if (!nv) {
                    rc = nomem(dst);
                    break;
                }
                pd->v = nv;
                pd->cap = ncap;
            }
            pd->v[pd->n].gid = map[ps->v[k].gid];
            pd->v[pd->n].d = ps->v[k].d;
            pd->n++;
        }
    }
    fl_free(map);
    fl__qmem_release(&dst->q->mem, n * sizeof(uint32_t) + 4);
    return rc;
}
