/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lpm.c - the range map behind every longest-prefix lookup of the
 * enrichment.  Items (CIDRs or explicit ranges, each with a value and a
 * priority) are sorted once and swept with a stack into disjoint ranges;
 * IPv4 ranges go to a 32-bit table with a /16 bucket index, the rest to a
 * 128-bit table.  A lookup is then one or two short binary searches and
 * never walks a tree, whatever the number of prefixes.
 */
#include <stdlib.h>

#include "enrich_int.h"

#define V4BASE (((fl_u128)0xffffu) << 32)
#define V4LAST (V4BASE + 0xffffffffu)
#define U128MAX (~(fl_u128)0)

void fl__rmap_builder_init(struct fl__rmap_builder *b, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit ? limit : 50u * 1000 * 1000;
}

void fl__rmap_builder_free(struct fl__rmap_builder *b)
{
    fl_free(b->it);
    fl_free(b->out);
    b->it = b->out = NULL;
    b->n = b->cap = b->out_cap = 0;
}

int fl__rmap_builder_reserve(struct fl__rmap_builder *b, size_t n)
{
    if (n > b->limit)
        n = b->limit;
    if (n <= b->cap)
        return FL_OK;
    struct fl__rmap_item *it = fl_realloc(b->it, n * sizeof *it);
    if (!it)
        return FL_ENOMEM;
    b->it = it;
    b->cap = n;
    return FL_OK;
}

int fl__rmap_add_range(struct fl__rmap_builder *b, fl_u128 lo, fl_u128 hi,
                       uint32_t val, uint32_t prio)
{
    if (lo > hi || val == 0)
        return FL_EINVAL;
    if (b->n == b->cap) {
        if (b->n >= b->limit)
            return FL_ELIMIT;
        size_t cap = b->cap ? b->cap * 2 : 256;
        if (cap > b->limit)
            cap = b->limit;
        struct fl__rmap_item *it = fl_realloc(b->it, cap * sizeof *it);
        if (!it)
            return FL_ENOMEM;
        b->it = it;
        b->cap = cap;
    }
    b->it[b->n++] = (struct fl__rmap_item){lo, hi, val, prio};
    return FL_OK;
}

int fl__rmap_add_cidr(struct fl__rmap_builder *b, const struct fl_cidr *c,
                      uint32_t val, uint32_t prio)
{
    fl_u128 lo = fl__ip_u128(&c->ip);
    fl_u128 span = c->bits == 0 ? U128MAX : (((fl_u128)1 << (128 - c->bits)) - 1);
    lo &= ~span;
    return fl__rmap_add_range(b, lo, lo | span, val, prio);
}

static int item_cmp(const void *a, const void *b)
{
    const struct fl__rmap_item *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi)
        return x->hi > y->hi ? -1 : 1; /* enclosing first */
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1; /* better first: equal spans */
    return 0;
}

/* Merge the sorted runs it[0, k) and it[k, n) through the scratch buffer
 * (ties: the first run's items first, as a stable sort would leave them). */
static int merge_runs(struct fl__rmap_builder *b, size_t k)
{
    if (b->out_cap < b->n) {
        struct fl__rmap_item *r = fl_realloc(b->out, b->n * sizeof *r);
        if (!r)
            return FL_ENOMEM;
        b->out = r;
        b->out_cap = b->n;
    }
    const struct fl__rmap_item *x = b->it, *xe = b->it + k, *y = xe, *ye = b->it + b->n;
    struct fl__rmap_item *o = b->out;
    while (x < xe && y < ye)
        *o++ = item_cmp(y, x) < 0 ? *y++ : *x++;
    while (x < xe)
        *o++ = *x++;
    while (y < ye)
        *o++ = *y++;
    struct fl__rmap_item *t = b->it;
    size_t tc = b->cap;
    b->it = b->out;
    b->cap = b->out_cap;
    b->out = t;
    b->out_cap = tc;
    return FL_OK;
}

/* Output of the sweep, before the v4/v6 split (in the builder's scratch). */
struct outv {
    struct fl__rmap_item *r;
    size_t n, cap;
};

static int emit(struct outv *o, fl_u128 lo, fl_u128 hi, uint32_t val)
{
    if (val == 0)
        return FL_OK;
    if (o->n && o->r[o->n - 1].val == val && o->r[o->n - 1].hi + 1 == lo) {
        o->r[o->n - 1].hi = hi; /* merge touching ranges of one value */
        return FL_OK;
    }
    if (FL_UNLIKELY(o->n == o->cap)) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        struct fl__rmap_item *r = fl_realloc(o->r, cap * sizeof *r);
        if (!r)
            return FL_ENOMEM;
        o->r = r;
        o->cap = cap;
    }
    o->r[o->n++] = (struct fl__rmap_item){lo, hi, val, 0};
    return FL_OK;
}

struct frame {
    fl_u128 lo, hi;
    uint32_t val, prio; /* effective value in this span */
};

static int split_store(struct fl__rmap *m, const struct outv *o);

int fl__rmap_build(struct fl__rmap_builder *b, struct fl__rmap *m)
{
    memset(m, 0, sizeof *m);
    int rc = FL_OK;
    struct frame *st = NULL;
    size_t sp = 0;
    /* Sources that come sorted (range CSV files, MMDB tree walks) skip the
     * sort: one linear check instead of n log n comparisons. */
    size_t n_breaks = 0, brk = 0;
    for (size_t i = 1; i < b->n && n_breaks < 2; i++)
        if (item_cmp(&b->it[i - 1], &b->it[i]) > 0) {
            n_breaks++;
            brk = i;
        }
    /* Two sorted runs (an MMDB's IPv4 subtree walked before the IPv6 tree,
     * two range files): one merge into the scratch, no sort. */
    if (n_breaks == 1 && merge_runs(b, brk) == FL_OK)
        n_breaks = 0;
    if (n_breaks)
        qsort(b->it, b->n, sizeof *b->it, item_cmp);
    /* the output has at most 2n + 1 ranges, usually about n: start at n */
    struct outv o = {b->out, 0, b->out_cap};
    b->out = NULL;
    if (o.cap < b->n + 1) {
        struct fl__rmap_item *r = fl_realloc(o.r, (b->n + 1) * sizeof *r);
        if (!r) {
            fl_free(o.r);
            fl__rmap_builder_free(b);
            return FL_ENOMEM;
        }
        o.r = r;
        o.cap = b->n + 1;
    }
    /* Nesting depth of distinct CIDRs is at most 129 (equal spans are
     * folded into one frame); explicit ranges may nest deeper, so the stack
     * grows (bounded by the number of items). */
    size_t st_cap = 136;
    st = fl_malloc(st_cap * sizeof *st);
    if (!st) {
        rc = FL_ENOMEM;
        goto out;
    }
    fl_u128 pos = 0;   /* first address not yet emitted */
    bool done = false; /* pos wrapped past the last address */
    for (size_t i = 0; i < b->n && rc == FL_OK; i++) {
        struct fl__rmap_item it = b->it[i];
        /* close the frames that end before this item */
        while (sp && st[sp - 1].hi < it.lo) {
            struct frame f = st[--sp];
            if (!done && pos <= f.hi) {
                rc = emit(&o, pos, f.hi, f.val);
                if (f.hi == U128MAX)
                    done = true;
                else
                    pos = f.hi + 1;
            }
        }
        if (rc)
            break;
        if (sp && it.lo == st[sp - 1].lo && it.hi == st[sp - 1].hi)
            continue; /* same span again: the first (better priority) stands */
        if (sp && it.hi > st[sp - 1].hi) { /* partial overlap: clip */
            it.hi = st[sp - 1].hi;
            m->n_clipped++;
        }
        if (sp && !done && pos < it.lo)
            rc = emit(&o, pos, it.lo - 1, st[sp - 1].val);
        if (!done && pos < it.lo)
            pos = it.lo;
        uint32_t val = it.val, prio = it.prio;
        if (sp && st[sp - 1].prio <= prio) { /* enclosing span wins */
            val = st[sp - 1].val;
            prio = st[sp - 1].prio;
        }
        if (sp == st_cap) {
            struct frame *ns = fl_realloc(st, st_cap * 2 * sizeof *st);
            if (!ns) {
                rc = FL_ENOMEM;
                break;
            }
            st = ns;
            st_cap *= 2;
        }
        st[sp++] = (struct frame){it.lo, it.hi, val, prio};
    }
    while (rc == FL_OK && sp) {
        struct frame f = st[--sp];
        if (!done && pos <= f.hi) {
            rc = emit(&o, pos, f.hi, f.val);
            if (f.hi == U128MAX)
                done = true;
            else
                pos = f.hi + 1;
        }
    }
    if (rc == FL_OK)
        rc = split_store(m, &o);
out:
    fl_free(st);
    b->out = o.r;
    b->out_cap = o.cap;
    b->n = 0;
    if (!b->keep)
        fl__rmap_builder_free(b);
    if (rc)
        fl__rmap_free(m);
    return rc;
}

/* Split the swept ranges into the IPv4 table and the 128-bit table. */
static int split_store(struct fl__rmap *m, const struct outv *o)
{
    size_t n4 = 0, n6 = 0;
    for (size_t i = 0; i < o->n; i++) {
        const struct fl__rmap_item *r = &o->r[i];
        if (r->hi >= V4BASE && r->lo <= V4LAST)
            n4++;
        if (r->lo < V4BASE)
            n6++;
        if (r->hi > V4LAST)
            n6++;
    }
    if (n4) {
        m->r4 = fl_malloc(n4 * sizeof *m->r4);
        if (!m->r4)
            return FL_ENOMEM;
    }
    if (n6) {
        m->lo6 = fl_malloc(n6 * sizeof *m->lo6);
        m->hi6 = fl_malloc(n6 * sizeof *m->hi6);
        m->val6 = fl_malloc(n6 * sizeof *m->val6);
        if (!m->lo6 || !m->hi6 || !m->val6)
            return FL_ENOMEM;
    }
    for (size_t i = 0; i < o->n; i++) {
        const struct fl__rmap_item *r = &o->r[i];
        if (r->lo < V4BASE) {
            m->lo6[m->n6] = r->lo;
            m->hi6[m->n6] = r->hi < V4BASE ? r->hi : V4BASE - 1;
            m->val6[m->n6++] = r->val;
        }
        if (r->hi >= V4BASE && r->lo <= V4LAST) {
            fl_u128 lo = r->lo < V4BASE ? V4BASE : r->lo;
            fl_u128 hi = r->hi > V4LAST ? V4LAST : r->hi;
            m->r4[m->n4++] = (struct fl__r4){(uint32_t)(lo - V4BASE), (uint32_t)(hi - V4BASE), r->val};
        }
        if (r->hi > V4LAST) {
            m->lo6[m->n6] = r->lo > V4LAST ? r->lo : V4LAST + 1;
            m->hi6[m->n6] = r->hi;
            m->val6[m->n6++] = r->val;
        }
    }
    if (m->n4 > 64) {
        m->idx4 = fl_malloc(65537 * sizeof *m->idx4);
        if (!m->idx4)
            return FL_ENOMEM;
        size_t j = 0;
        for (uint32_t bkt = 0; bkt < 65536; bkt++) {
            uint32_t start = bkt << 16;
            while (j < m->n4 && m->r4[j].hi < start)
                j++;
            m->idx4[bkt] = (uint32_t)j;
        }
        m->idx4[65536] = (uint32_t)m->n4;
    }
    return FL_OK;
}

void fl__rmap_free(struct fl__rmap *m)
{
    fl_free(m->r4);
    fl_free(m->idx4);
    fl_free(m->lo6);
    fl_free(m->hi6);
    fl_free(m->val6);
    memset(m, 0, sizeof *m);
}

uint32_t fl__rmap_get(const struct fl__rmap *m, const struct fl_ip *ip)
{
    if (fl_ip_is_v4(ip)) {
        if (!m->n4)
            return 0;
        uint32_t k = fl__ip_v4(ip);
        size_t lo = 0, hi = m->n4; /* search [lo, hi) for the last lo <= k */
        if (m->idx4) {
            lo = m->idx4[k >> 16];
            hi = m->idx4[(k >> 16) + 1] + 1;
            if (hi > m->n4)
                hi = m->n4;
            if (lo >= hi)
                return 0;
        }
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->r4[mid].lo <= k)
                lo = mid;
            else
                hi = mid;
        }
        return m->r4[lo].lo <= k && k <= m->r4[lo].hi ? m->r4[lo].val : 0;
    }
    if (!m->n6)
        return 0;
    fl_u128 k = fl__ip_u128(ip);
    size_t lo = 0, hi = m->n6;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->lo6[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    return m->lo6[lo] <= k && k <= m->hi6[lo] ? m->val6[lo] : 0;
}
