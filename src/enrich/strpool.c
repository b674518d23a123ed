/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strpool.c - interned strings with dense ids for the enrichment: AS
 * organisation names, countries, asset names/tiers/envs, list and service
 * names.  Results of a lookup carry ids, so a cached result is a few
 * integers and the batch writer copies each distinct string into a batch
 * once (see enrich.c).
 */
#include "enrich_int.h"

#define POOL_MAX_BYTES (256u << 20)
#define POOL_MAX_IDS (8u << 20)

void fl__strpool_init(struct fl__strpool *p) { memset(p, 0, sizeof *p); }

void fl__strpool_free(struct fl__strpool *p)
{
    fl_free(p->buf);
    fl_free(p->off);
    fl_free(p->slen);
    fl_free(p->tab);
    memset(p, 0, sizeof *p);
}

static int rehash(struct fl__strpool *p, uint32_t cap)
{
    uint32_t *t = fl_calloc(cap, sizeof *t);
    if (!t)
        return FL_ENOMEM;
    for (uint32_t id = 1; id <= p->n; id++) {
        uint64_t h = fl_hash_bytes(p->buf + p->off[id], p->slen[id], 0);
        uint32_t i = (uint32_t)h & (cap - 1);
        while (t[i])
            i = (i + 1) & (cap - 1);
        t[i] = id;
    }
    fl_free(p->tab);
    p->tab = t;
    p->tab_cap = cap;
    return FL_OK;
}

uint32_t fl__str_intern(struct fl__strpool *p, const char *s, size_t n)
{
    if (n > 65535)
        n = 65535;
    if ((p->n + 1) * 2 >= p->tab_cap &&
        rehash(p, p->tab_cap ? p->tab_cap * 2 : 256) != FL_OK)
        return 0;
    uint64_t h = fl_hash_bytes(s, n, 0);
    uint32_t i = (uint32_t)h & (p->tab_cap - 1);
    while (p->tab[i]) {
        uint32_t id = p->tab[i];
        if (p->slen[id] == n && memcmp(p->buf + p->off[id], s, n) == 0)
            return id;
        i = (i + 1) & (p->tab_cap - 1);
    }
    if (p->n + 2 > POOL_MAX_IDS || p->len + n + 1 > POOL_MAX_BYTES)
        return 0;
    if (p->n + 2 > p->cap_ids) {
        uint32_t cap = p->cap_ids ? p->cap_ids * 2 : 256;
        uint32_t *o = fl_realloc(p->off, cap * sizeof *o);
        if (!o)
            return 0;
        p->off = o;
        uint32_t *l = fl_realloc(p->slen, cap * sizeof *l);
        if (!l)
            return 0;
        p->slen = l;
        p->cap_ids = cap;
    }
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *b = fl_realloc(p->buf, cap);
        if (!b)
            return 0;
        p->buf = b;
        p->cap = cap;
    }
    uint32_t id = ++p->n;
    p->off[id] = (uint32_t)p->len;
    p->slen[id] = (uint32_t)n;
    memcpy(p->buf + p->len, s, n);
    p->buf[p->len + n] = 0;
    p->len += n + 1;
    p->tab[i] = id;
    return id;
}

uint32_t fl__str_find(const struct fl__strpool *p, const char *s, size_t n)
{
    if (!p->tab_cap)
        return 0;
    if (n > 65535)
        n = 65535;
    uint32_t i = (uint32_t)fl_hash_bytes(s, n, 0) & (p->tab_cap - 1);
    while (p->tab[i]) {
        uint32_t id = p->tab[i];
        if (p->slen[id] == n && memcmp(p->buf + p->off[id], s, n) == 0)
            return id;
        i = (i + 1) & (p->tab_cap - 1);
    }
    return 0;
}
