/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_fastagg.c - the packed-key hash aggregation: the path GROUP BY takes
 * when every key is a VARCHAR or integer-like expression and every aggregate
 * is count(*), count(x), count_if(b), sum(bigint), min/max(integer-like or VARCHAR)
 * without DISTINCT (the top-talkers / denied-by-rule / egress-by-country
 * shapes, and the detection rules' CASE-keyed ones such as exfil-egress).
 * Key expressions (CASE, arithmetic ...) are evaluated per row like any
 * other; only their types matter.
 *
 * A group key is packed into fixed 16-byte fields, one per GROUP BY item:
 * a string of up to 15 bytes is stored inline (tag = length + 1, the bytes,
 * zero padding), a longer one as (tag 0xFF, length, pointer to a copy), an
 * integer as (tag = its QT_* type, 8-byte value), NULL as tag 0.  Two
 * addresses thus make a 32-byte key compared word by word; no per-group
 * malloc (groups live in chunks carved from huge-page backed slabs).
 *
 * Aggregate states are 16 bytes (value, count); a VARCHAR min/max takes
 * two: the current value as a packed 16-byte field (inline up to 15 bytes,
 * else a copy in the thread's arena made when the value changes) and the
 * count.  Its argument is packed like a key field while the row waits in
 * the pending batch; a longer string makes the row aggregate at once (its
 * bytes live in the scan batch).
 *
 * Both cores: each scan thread aggregates its rows into its own table,
 * radix-partitioned into NPART partitions by the top bits of the key hash;
 * afterwards thread t merges partitions p = t, t + 2, ... of the other
 * thread's table into the first one's, so the merge runs in parallel too.
 * Every group remembers the ordinal of the first row that made it (thread
 * 0 reads the first half of the scan, thread 1 the second); the partitions
 * stay sorted by that ordinal, and the groups are produced in first-seen
 * order by a k-way merge, exactly as query_agg.c produces them, so results
 * (and ties in ORDER BY) do not depend on the path or the thread count.
 *
 * Memory: every slab, index and string is charged to the query budget.
 * Thread-safety: thread t only touches part[t][*] while scanning; the merge
 * touches disjoint partitions.
 */
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>

#include "query/query_int.h"

#define NPART_BITS 2
#define NPART (1 << NPART_BITS)
#define FW 16                   /* bytes per key field */
#define CHUNK_BITS 10           /* groups per chunk: 1024 */
#define SLAB (32u << 20)        /* slab bytes */
#define TAG_LONG 0xFF

enum { F_STR = 1, F_INT = 2 };

struct fstate {
    int64_t v; /* sum, min or max */
    int64_t n; /* values seen (count) */
};

struct slab {
    struct slab *next;
    void *base;         /* the allocation (mem is base aligned) */
    char *mem;          /* cap bytes */
    size_t pos, cap;
};

struct fpart {
    uint64_t *idx;      /* (hash32 << 32) | (gid + 1); 0 = empty */
    void *idx_base;     /* allocation of idx */
    size_t idxcap;      /* power of two, 0 = not yet used */
    size_t n;           /* groups */
    char **chunks;      /* groups, 1 << CHUNK_BITS per chunk */
    size_t nchunks, capchunks;
};

#define PBATCH 32 /* rows hashed (and their index slots prefetched) ahead */

struct fthread {
    struct fpart part[NPART];
    struct slab *slabs;
    struct qarena strs; /* copies of long key strings */
    uint64_t ord;       /* rows fed so far */
    /* rows packed but not yet aggregated (inline keys only) */
    int npend;
    char *pkeys;        /* PBATCH * kw */
    uint64_t ph[PBATCH], pord[PBATCH];
    int64_t *pvals;     /* PBATCH * na */
    uint8_t *pnul;      /* PBATCH * na: 1 = NULL */
    char *pstr;         /* PBATCH * na * FW: packed VARCHAR min/max args */
};

struct qfast {
    struct qctx *q;
    struct qsel *s;
    int nk, na, nthr;
    bool merged;        /* fl__qfast_merge ran */
    uint8_t kind[256];  /* F_STR / F_INT per key */
    uint8_t sagg[64];   /* 1: aggregate j is a VARCHAR min/max */
    int soff[64];       /* state of aggregate j: struct fstate index */
    int nst;            /* struct fstate per group */
    bool has_sagg;
    size_t kw;          /* key bytes */
    size_t esz;         /* entry bytes: key, ordinal, states */
    struct fthread th[2];
};

static int nomem(struct qfast *f)
{
    return fl__qerr(f->q, f->s->pos, FL_ENOMEM,
                    "the query exceeds its memory budget of %llu MB (raise it with --memory)",
                    (unsigned long long)(f->q->mem.limit >> 20));
}

static bool int_like(int t)
{
    return t == QT_INT || t == QT_BOOL || t == QT_DATE || t == QT_TS || t == QT_IDS || t == QT_IYM;
}

/* Can this GROUP BY take the packed-key path (see the top of the file)? */
bool fl__qfast_ok(const struct qsel *s)
{
    if (!s->aggregate || s->ngroup < 1 || s->ngroup > 16 || s->naggs > 64)
        return false;
    for (int k = 0; k < s->ngroup; k++) {
        int t = s->group[k]->type;
        if (t != QT_STR && !int_like(t))
            return false;
    }
    for (int j = 0; j < s->naggs; j++) {
        const struct qagg *a = &s->aggs[j];
        if (a->distinct)
            return false;
        switch (a->fn) {
        case AG_COUNT_STAR:
            break;
        case AG_COUNT:
        case AG_COUNT_IF:
            if (!a->arg)
                return false;
            break;
        case AG_SUM:
            if (!a->arg || a->arg->type != QT_INT || a->type != QT_INT)
                return false;
            break;
        case AG_MIN:
        case AG_MAX:
            if (!a->arg || !(int_like(a->arg->type) || a->arg->type == QT_STR) ||
                a->type != a->arg->type)
                return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

int fl__qfast_new(struct qctx *q, struct qsel *s, int nthr, struct qfast **out)
{
    *out = NULL;
    struct qfast *f = fl_calloc(1, sizeof *f);
    if (!f)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    f->q = q;
    f->s = s;
    f->nk = s->ngroup;
    f->na = s->naggs;
    f->nthr = nthr < 1 ? 1 : nthr > 2 ? 2 : nthr;
    for (int k = 0; k < f->nk; k++)
        f->kind[k] = s->group[k]->type == QT_STR ? F_STR : F_INT;
    f->kw = (size_t)f->nk * FW;
    for (int j = 0; j < f->na; j++) {
        const struct qagg *a = &s->aggs[j];
        f->sagg[j] = (a->fn == AG_MIN || a->fn == AG_MAX) && a->type == QT_STR;
        f->has_sagg |= f->sagg[j];
        f->soff[j] = f->nst;
        f->nst += f->sagg[j] ? 2 : 1;
    }
    f->esz = f->kw + 8 + sizeof(struct fstate) * (size_t)f->nst;
    for (int t = 0; t < 2; t++) {
        struct fthread *th = &f->th[t];
        fl__qarena_init(&th->strs, &q->mem);
        th->pkeys = fl_malloc(PBATCH * f->kw);
        th->pvals = fl_malloc(PBATCH * sizeof(int64_t) * ((size_t)f->na + 1));
        th->pnul = fl_malloc(PBATCH * ((size_t)f->na + 1));
        th->pstr = f->has_sagg ? fl_malloc(PBATCH * FW * (size_t)f->na) : NULL;
        if (!th->pkeys || !th->pvals || !th->pnul || (f->has_sagg && !th->pstr)) {
            fl__qfast_free(f);
            return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
        }
    }
    f->th[1].ord = 1ull << 62; /* thread 1 reads the second half */
    *out = f;
    return FL_OK;
}

void fl__qfast_free(struct qfast *f)
{
    if (!f)
        return;
    struct qmem *m = &f->q->mem;
    for (int t = 0; t < 2; t++) {
        struct fthread *th = &f->th[t];
        for (int p = 0; p < NPART; p++) {
            struct fpart *pp = &th->part[p];
            fl__qmem_release(m, pp->idxcap * sizeof *pp->idx);
            fl_free(pp->idx_base);
            fl_free(pp->chunks);
        }
        for (struct slab *sl = th->slabs, *nx; sl; sl = nx) {
            nx = sl->next;
            fl__qmem_release(m, sl->cap + sizeof *sl);
            fl_free(sl->base);
            fl_free(sl);
        }
        fl__qarena_free(&th->strs);
        fl_free(th->pkeys);
        fl_free(th->pvals);
        fl_free(th->pnul);
        fl_free(th->pstr);
    }
    fl_free(f);
}

/*
 * n bytes for a big table; *base_out is what to fl_free.  From 1 MiB on the
 * block is aligned to 2 MiB and marked for transparent huge pages: the
 * tables are probed at random, and with 4 KiB pages nearly every probe
 * also misses the TLB (and first-touch faults cost ~11 us per page on this
 * kind of VM; one 2 MiB fault replaces 512 of them).
 */
static void *big_alloc(size_t n, void **base_out)
{
    const size_t H = (size_t)2 << 20;
    if (n < (H >> 1)) {
        *base_out = fl_malloc(n);
        return *base_out;
    }
    size_t r = (n + H - 1) & ~(H - 1);
    char *b = fl_malloc(r + H);
    *base_out = b;
    if (!b)
        return NULL;
    char *a = (char *)(((uintptr_t)b + H - 1) & ~(uintptr_t)(H - 1));
#ifdef MADV_HUGEPAGE
    madvise(a, r, MADV_HUGEPAGE);
#endif
    return a;
}

/* n bytes (64-aligned) from the thread's slabs; slabs grow from 256 KiB to
 * SLAB so that small queries stay small. */
static void *slab_alloc(struct qfast *f, struct fthread *th, size_t n)
{
    n = (n + 63) & ~(size_t)63;
    struct slab *sl = th->slabs;
    if (!sl || sl->cap - sl->pos < n) {
        size_t cap = sl ? sl->cap * 2 : (256u << 10);
        if (cap > SLAB)
            cap = SLAB;
        while (cap < n)
            cap *= 2;
        if (fl__qmem_charge(&f->q->mem, cap + sizeof *sl) != FL_OK)
            return NULL;
        struct slab *ns = fl_calloc(1, sizeof *ns);
        if (ns)
            ns->mem = big_alloc(cap + 64, &ns->base);
        if (!ns || !ns->mem) {
            fl_free(ns);
            fl__qmem_release(&f->q->mem, cap + sizeof *sl);
            return NULL;
        }
        ns->next = sl;
        ns->cap = cap;
        uintptr_t base = (uintptr_t)ns->mem;
        ns->pos = ((base + 63) & ~(uintptr_t)63) - base;
        th->slabs = sl = ns;
    }
    void *p = sl->mem + sl->pos;
    sl->pos += n;
    return p;
}

static inline char *entry(const struct qfast *f, const struct fpart *pp, size_t gid)
{
    return pp->chunks[gid >> CHUNK_BITS] + (gid & ((1u << CHUNK_BITS) - 1)) * f->esz;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static inline uint64_t rd64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Hash of a packed key; long strings hash their bytes. */
static uint64_t key_hash(const struct qfast *f, const char *key)
{
    uint64_t h = 0x2545F4914F6CDD1Dull;
    for (int k = 0; k < f->nk; k++) {
        const char *p = key + (size_t)k * FW;
        if ((uint8_t)p[0] == TAG_LONG && f->kind[k] == F_STR) {
            uint32_t n;
            const char *s;
            memcpy(&n, p + 4, 4);
            memcpy(&s, p + 8, sizeof s);
            h = mix(h, fl_hash_bytes(s, n, 0x51ed) ^ 0xFF);
        } else {
            h = mix(h, rd64(p));
            h = mix(h, rd64(p + 8));
        }
    }
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
}

/* Key equality; has_long: a long string in a (compare those by bytes). */
static inline bool key_eq(const struct qfast *f, const char *a, const char *b, bool has_long)
{
    if (!has_long) {
        for (size_t i = 0; i < f->kw; i += 8)
            if (rd64(a + i) != rd64(b + i))
                return false;
        return true;
    }
    for (int k = 0; k < f->nk; k++) {
        const char *x = a + (size_t)k * FW, *y = b + (size_t)k * FW;
        if (f->kind[k] == F_STR && (uint8_t)x[0] == TAG_LONG) {
            if ((uint8_t)y[0] != TAG_LONG || memcmp(x + 4, y + 4, 4) != 0)
                return false;
            uint32_t n;
            const char *s, *t;
            memcpy(&n, x + 4, 4);
            memcpy(&s, x + 8, sizeof s);
            memcpy(&t, y + 8, sizeof t);
            if (s != t && memcmp(s, t, n) != 0)
                return false;
        } else if (rd64(x) != rd64(y) || rd64(x + 8) != rd64(y + 8)) {
            return false;
        }
    }
    return true;
}

static int part_grow(struct qfast *f, struct fpart *pp)
{
    size_t ncap = pp->idxcap ? pp->idxcap * 2 : 256;
    if (fl__qmem_charge(&f->q->mem, ncap * sizeof(uint64_t)) != FL_OK)
        return FL_ENOMEM;
    void *nbase;
    uint64_t *n = big_alloc(ncap * sizeof *n, &nbase);
    if (!n) {
        fl_free(nbase);
        fl__qmem_release(&f->q->mem, ncap * sizeof(uint64_t));
        return FL_ENOMEM;
    }
    memset(n, 0, ncap * sizeof *n);
    size_t mask = ncap - 1;
    for (size_t i = 0; i < pp->idxcap; i++) {
        uint64_t e = pp->idx[i];
        if (!e)
            continue;
        size_t j = (e >> 32) & mask;
        while (n[j])
            j = (j + 1) & mask;
        n[j] = e;
    }
    fl__qmem_release(&f->q->mem, pp->idxcap * sizeof(uint64_t));
    fl_free(pp->idx_base);
    pp->idx = n;
    pp->idx_base = nbase;
    pp->idxcap = ncap;
    return FL_OK;
}

/*
 * Find the group of `key` (hash h) in partition pp of thread th, or make it
 * (key copied, long strings copied to th's arena, ordinal ord, states
 * zero).  *made tells which.  Returns the entry or NULL (budget).
 */
static char *find_or_make(struct qfast *f, struct fthread *th, struct fpart *pp, const char *key,
                          uint64_t h, bool has_long, uint64_t ord, bool *made)
{
    if ((pp->n + 1) * 2 > pp->idxcap && part_grow(f, pp) != FL_OK)
        return NULL;
    uint32_t h32 = (uint32_t)h;
    size_t mask = pp->idxcap - 1, j = h32 & mask;
    for (;;) {
        uint64_t e = pp->idx[j];
        if (!e)
            break;
        if ((uint32_t)(e >> 32) == h32) {
            char *ent = entry(f, pp, (uint32_t)e - 1);
            if (key_eq(f, key, ent, has_long)) {
                *made = false;
                return ent;
            }
        }
        j = (j + 1) & mask;
    }
    size_t gid = pp->n;
    if (gid >= 0xFFFFFFF0u)
        return NULL;
    if ((gid >> CHUNK_BITS) >= pp->nchunks) {
        if (pp->nchunks == pp->capchunks) {
            size_t nc = pp->capchunks ? pp->capchunks * 2 : 16;
            char **ncs = fl_realloc(pp->chunks, nc * sizeof *ncs);
            if (!ncs)
                return NULL;
            pp->chunks = ncs;
            pp->capchunks = nc;
        }
        char *c = slab_alloc(f, th, ((size_t)1 << CHUNK_BITS) * f->esz);
        if (!c)
            return NULL;
        pp->chunks[pp->nchunks++] = c;
    }
    char *ent = entry(f, pp, gid);
    memcpy(ent, key, f->kw);
    if (has_long) {
        for (int k = 0; k < f->nk; k++) {
            char *p = ent + (size_t)k * FW;
            if (f->kind[k] != F_STR || (uint8_t)p[0] != TAG_LONG)
                continue;
            uint32_t n;
            const char *s;
            memcpy(&n, p + 4, 4);
            memcpy(&s, p + 8, sizeof s);
            char *c = fl__qarena_alloc(&th->strs, n);
            if (!c)
                return NULL;
            memcpy(c, s, n);
            memcpy(p + 8, &c, sizeof c);
        }
    }
    memcpy(ent + f->kw, &ord, 8);
    memset(ent + f->kw + 8, 0, sizeof(struct fstate) * (size_t)f->nst);
    pp->idx[j] = ((uint64_t)h32 << 32) | (uint64_t)(gid + 1);
    pp->n++;
    *made = true;
    return ent;
}

static int overflow(struct qfast *f, const struct qagg *a)
{
    return fl__qerr(f->q, a->arg->pos, FL_ERANGE, "bigint overflow in sum");
}

/* Fold n values whose sum, min or max is v into state a of aggregate j
 * (a row: n = 1; another table's state: its v and n). */
static inline int fold(struct qfast *f, int j, struct fstate *a, int64_t v, int64_t n)
{
    switch (f->s->aggs[j].fn) {
    case AG_SUM:
        if (__builtin_add_overflow(a->v, v, &a->v))
            return overflow(f, &f->s->aggs[j]);
        break;
    case AG_MIN:
        if (!a->n || v < a->v)
            a->v = v;
        break;
    case AG_MAX:
        if (!a->n || v > a->v)
            a->v = v;
        break;
    default: /* count(*), count(x), count_if(b) */
        break;
    }
    a->n += n;
    return FL_OK;
}

/* The bytes and length of a packed VARCHAR field (tag != 0). */
static inline const char *field_str(const char *p, uint32_t *n)
{
    if ((uint8_t)p[0] == TAG_LONG) {
        const char *s;
        memcpy(n, p + 4, 4);
        memcpy(&s, p + 8, sizeof s);
        return s;
    }
    *n = (uint32_t)(uint8_t)p[0] - 1;
    return p + 1;
}

/* Fold n values whose min or max is the packed field v into the VARCHAR
 * min/max state at st (field, then count); a long winner is copied into
 * th's arena.  Same order as fl__qval_cmp: bytes, then length. */
static int fold_str(struct qfast *f, struct fthread *th, int j, struct fstate *st, const char *v,
                    int64_t n)
{
    char *cur = (char *)st;
    if (st[1].n) {
        uint32_t an, bn;
        const char *a = field_str(cur, &an), *b = field_str(v, &bn);
        uint32_t m = an < bn ? an : bn;
        int c = m ? memcmp(b, a, m) : 0;
        if (!c)
            c = (bn > an) - (bn < an);
        if (f->s->aggs[j].fn == AG_MIN ? c >= 0 : c <= 0) {
            st[1].n += n;
            return FL_OK;
        }
    }
    memcpy(cur, v, FW);
    if ((uint8_t)v[0] == TAG_LONG) {
        uint32_t len;
        const char *src = field_str(v, &len);
        char *c = fl__qarena_alloc(&th->strs, len);
        if (!c)
            return nomem(f);
        memcpy(c, src, len);
        memcpy(cur + 8, &c, sizeof c);
    }
    st[1].n += n;
    return FL_OK;
}

/* Fold one row's aggregate arguments (vals/nul, na each; strs: na packed
 * fields for VARCHAR min/max) into states. */
static int apply(struct qfast *f, struct fthread *th, struct fstate *st, const int64_t *vals,
                 const uint8_t *nul, const char *strs)
{
    for (int j = 0; j < f->na; j++) {
        if (nul[j])
            continue;
        if (f->sagg[j])
            FL_TRY(fold_str(f, th, j, &st[f->soff[j]], strs + (size_t)j * FW, 1));
        else
            FL_TRY(fold(f, j, &st[f->soff[j]], vals[j], 1));
    }
    return FL_OK;
}

/*
 * Aggregate the pending rows of th: first touch every row's index slot and
 * candidate group (the loads overlap instead of each row waiting for two
 * cache misses in turn), then find or make the groups in row order (so
 * groups are still created in first-seen order).
 */
static int flush(struct qfast *f, struct fthread *th)
{
    int n = th->npend;
    th->npend = 0;
    for (int i = 0; i < n; i++) {
        const struct fpart *pp = &th->part[th->ph[i] >> (64 - NPART_BITS)];
        if (!pp->idxcap)
            continue;
        uint64_t e = pp->idx[(uint32_t)th->ph[i] & (pp->idxcap - 1)];
        if (e && (uint32_t)(e >> 32) == (uint32_t)th->ph[i])
            __builtin_prefetch(entry(f, pp, (uint32_t)e - 1));
    }
    for (int i = 0; i < n; i++) {
        uint64_t h = th->ph[i];
        bool made;
        char *ent = find_or_make(f, th, &th->part[h >> (64 - NPART_BITS)], th->pkeys + (size_t)i * f->kw,
                                 h, false, th->pord[i], &made);
        if (!ent)
            return nomem(f);
        FL_TRY(apply(f, th, (struct fstate *)(ent + f->kw + 8), th->pvals + (size_t)i * (size_t)f->na,
                     th->pnul + (size_t)i * (size_t)f->na,
                     th->pstr ? th->pstr + (size_t)i * (size_t)f->na * FW : NULL));
    }
    return FL_OK;
}

int fl__qfast_add(struct qfast *f, int t, struct qeval *ev)
{
    struct qsel *s = f->s;
    struct fthread *th = &f->th[t];
    int i = th->npend;
    char *key = th->pkeys + (size_t)i * f->kw;
    memset(key, 0, f->kw);
    bool has_long = false;
    for (int k = 0; k < f->nk; k++) {
        const struct qnode *e = s->group[k];
        struct qval v;
        if (e->kind == N_SLOT)
            v = ev->row[e->slot];
        else
            FL_TRY(fl__qeval(ev, e, &v));
        char *p = key + (size_t)k * FW;
        if (v.t == QT_NULL)
            continue;
        if (f->kind[k] == F_STR) {
            if (v.t != QT_STR)
                return fl__qerr(f->q, e->pos, FL_EINTERNAL, "group key of an unexpected type");
            if (v.n < 16) {
                p[0] = (char)(v.n + 1);
                memcpy(p + 1, v.s, v.n);
            } else {
                p[0] = (char)TAG_LONG;
                memcpy(p + 4, &v.n, 4);
                memcpy(p + 8, &v.s, sizeof v.s);
                has_long = true;
            }
        } else {
            if (!int_like(v.t))
                return fl__qerr(f->q, e->pos, FL_EINTERNAL, "group key of an unexpected type");
            p[0] = (char)v.t;
            memcpy(p + 8, &v.i, 8);
        }
    }
    int64_t *vals = th->pvals + (size_t)i * (size_t)f->na;
    uint8_t *nul = th->pnul + (size_t)i * (size_t)f->na;
    char *strs = th->pstr ? th->pstr + (size_t)i * (size_t)f->na * FW : NULL;
    for (int j = 0; j < f->na; j++) {
        const struct qagg *a = &s->aggs[j];
        if (a->fn == AG_COUNT_STAR) {
            nul[j] = 0;
            vals[j] = 0;
            continue;
        }
        struct qval v;
        if (a->arg->kind == N_SLOT)
            v = ev->row[a->arg->slot];
        else
            FL_TRY(fl__qeval(ev, a->arg, &v));
        nul[j] = v.t == QT_NULL;
        if (a->fn == AG_COUNT_IF) /* counts TRUE only */
            nul[j] = !(v.t == QT_BOOL && v.i);
        vals[j] = v.i;
        if (f->sagg[j] && v.t != QT_NULL) {
            if (v.t != QT_STR)
                return fl__qerr(f->q, a->arg->pos, FL_EINTERNAL, "min/max argument of an unexpected type");
            char *p = strs + (size_t)j * FW;
            memset(p, 0, FW);
            if (v.n < 16) {
                p[0] = (char)(v.n + 1);
                memcpy(p + 1, v.s, v.n);
            } else {
                p[0] = (char)TAG_LONG;
                memcpy(p + 4, &v.n, 4);
                memcpy(p + 8, &v.s, sizeof v.s);
                has_long = true; /* aggregate now: the bytes live in the batch */
            }
        }
    }
    uint64_t h = key_hash(f, key);
    uint64_t ord = th->ord++;
    if (has_long) {
        /* the bytes of a long string live in the current batch: aggregate
         * the pending rows, then this one, now */
        FL_TRY(flush(f, th));
        if (i != 0) {
            memmove(th->pkeys, key, f->kw);
            key = th->pkeys;
            memmove(th->pvals, vals, sizeof *vals * (size_t)f->na);
            memmove(th->pnul, nul, (size_t)f->na);
            if (strs)
                memmove(th->pstr, strs, (size_t)f->na * FW);
        }
        bool made;
        char *ent = find_or_make(f, th, &th->part[h >> (64 - NPART_BITS)], key, h, true, ord, &made);
        if (!ent)
            return nomem(f);
        return apply(f, th, (struct fstate *)(ent + f->kw + 8), th->pvals, th->pnul, th->pstr);
    }
    const struct fpart *pp = &th->part[h >> (64 - NPART_BITS)];
    if (pp->idxcap)
        __builtin_prefetch(&pp->idx[(uint32_t)h & (pp->idxcap - 1)]);
    th->ph[i] = h;
    th->pord[i] = ord;
    if (++th->npend == PBATCH)
        return flush(f, th);
    return FL_OK;
}

/* ---- merge ------------------------------------------------------------------ */
struct mjob {
    struct qfast *f;
    int first; /* partitions first, first + 2, ... */
    int rc;
};

static int merge_part(struct qfast *f, int p, struct fthread *alloc)
{
    struct fpart *src = &f->th[1].part[p], *dst = &f->th[0].part[p];
    for (size_t gid = 0; gid < src->n; gid++) {
        if ((gid + 1) % FL_QDEADLINE_EVERY == 0)
            FL_TRY(fl__qdeadline(f->q)); /* the time limit */
        const char *se = entry(f, src, gid);
        bool has_long = false;
        for (int k = 0; k < f->nk; k++)
            if (f->kind[k] == F_STR && (uint8_t)se[(size_t)k * FW] == TAG_LONG)
                has_long = true;
        uint64_t h = key_hash(f, se), ord;
        memcpy(&ord, se + f->kw, 8);
        bool made;
        /* long strings of src stay in thread 1's arena (alive until the
         * end); a new dst group gets its own copy through find_or_make */
        char *de = find_or_make(f, alloc, dst, se, h, has_long, ord, &made);
        if (!de)
            return nomem(f);
        struct fstate *a = (struct fstate *)(de + f->kw + 8);
        const struct fstate *b = (const struct fstate *)(se + f->kw + 8);
        for (int j = 0; j < f->na; j++) {
            int o = f->soff[j];
            if (f->sagg[j]) {
                if (b[o + 1].n)
                    FL_TRY(fold_str(f, alloc, j, &a[o], (const char *)&b[o], b[o + 1].n));
            } else if (b[o].n) {
                FL_TRY(fold(f, j, &a[o], b[o].v, b[o].n));
            }
        }
    }
    return FL_OK;
}

static void *merge_main(void *arg)
{
    struct mjob *m = arg;
    m->rc = FL_OK;
    for (int p = m->first; p < NPART && m->rc == FL_OK; p += 2)
        m->rc = merge_part(m->f, p, &m->f->th[m->first]);
    return NULL;
}

/* Merge thread 1's table into thread 0's, partitions split between two
 * threads.  Allocation is not shared: merge job t takes new groups' chunks
 * and string copies from th[t]'s slabs and arena (all freed together at the
 * end), so the jobs touch disjoint memory. */
int fl__qfast_merge(struct qfast *f)
{
    for (int t = 0; t < 2; t++)
        FL_TRY(flush(f, &f->th[t]));
    if (f->nthr < 2)
        return FL_OK;
    struct mjob m[2] = {{f, 0, 0}, {f, 1, 0}};
    pthread_t th;
    f->q->threads_running = true;
    bool started = pthread_create(&th, NULL, merge_main, &m[1]) == 0;
    if (!started)
        f->q->threads_running = false;
    f->merged = true;
    merge_main(&m[0]);
    if (started) {
        pthread_join(th, NULL);
        f->q->threads_running = false;
    } else {
        merge_main(&m[1]);
    }
    return m[0].rc < 0 ? m[0].rc : m[1].rc;
}

/* ---- output ------------------------------------------------------------------ */
static void decode_row(const struct qfast *f, const char *ent, struct qval *row)
{
    for (int k = 0; k < f->nk; k++) {
        const char *p = ent + (size_t)k * FW;
        uint8_t tag = (uint8_t)p[0];
        struct qval *v = &row[k];
        *v = QV_NULL;
        if (!tag)
            continue;
        if (f->kind[k] == F_STR) {
            v->t = QT_STR;
            if (tag == TAG_LONG) {
                memcpy(&v->n, p + 4, 4);
                memcpy(&v->s, p + 8, sizeof v->s);
            } else {
                v->n = (uint32_t)tag - 1;
                v->s = p + 1;
            }
        } else {
            v->t = tag;
            memcpy(&v->i, p + 8, 8);
        }
    }
    const struct fstate *st = (const struct fstate *)(ent + f->kw + 8);
    for (int j = 0; j < f->na; j++) {
        const struct qagg *a = &f->s->aggs[j];
        struct qval *v = &row[f->nk + j];
        *v = QV_NULL;
        const struct fstate *sj = &st[f->soff[j]];
        if (a->fn == AG_COUNT_STAR || a->fn == AG_COUNT || a->fn == AG_COUNT_IF) {
            v->t = QT_INT;
            v->i = sj->n;
        } else if (f->sagg[j]) {
            if (sj[1].n) {
                v->t = QT_STR;
                v->s = field_str((const char *)sj, &v->n);
            }
        } else if (sj->n) {
            v->t = a->type;
            v->i = sj->v;
        }
    }
}

static uint64_t ent_ord(const struct qfast *f, const struct fpart *pp, size_t gid)
{
    uint64_t o;
    memcpy(&o, entry(f, pp, gid) + f->kw, 8);
    return o;
}

/*
 * Produce the groups in first-seen order: each partition is sorted by
 * ordinal (groups are appended in row order; the merge appends thread 1's
 * new groups, all later than thread 0's), so repeatedly taking the
 * smallest head of the NPART (4) partitions gives the order.
 */
int fl__qfast_finish(struct qfast *f, qgroup_fn fn, void *ctx)
{
    for (int t = 0; t < 2; t++) /* rows still pending (a scan without the merge) */
        FL_TRY(flush(f, &f->th[t]));
    if (f->nthr > 1)
        for (int p = 0; p < NPART; p++)
            if (f->th[1].part[p].n && !f->merged)
                return fl__qerr(f->q, f->s->pos, FL_EINTERNAL, "aggregation not merged");
    struct qval row[16 + 64];
    size_t pos[NPART] = {0};
    const struct fpart *parts = f->th[0].part;
    int rc = FL_OK;
    while (rc == FL_OK) {
        int best = -1;
        uint64_t bo = 0;
        for (int p = 0; p < NPART; p++) {
            if (pos[p] == parts[p].n)
                continue;
            uint64_t o = ent_ord(f, &parts[p], pos[p]);
            if (best < 0 || o < bo) {
                best = p;
                bo = o;
            }
        }
        if (best < 0)
            break;
        decode_row(f, entry(f, &parts[best], pos[best]++), row);
        rc = fn(ctx, row);
    }
    return rc > 0 ? FL_OK : rc;
}
