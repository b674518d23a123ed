/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enrich_int.h - the enrichment module's private parts: the range map that
 * serves every longest-prefix lookup (asset map, intel lists, VPC and
 * internal CIDRs, cloud service ranges, ASN ranges), the string pool, and
 * the loaders of each source (MMDB, ASN CSV, intel lists, provider JSON).
 */
#ifndef FL_ENRICH_INT_H
#define FL_ENRICH_INT_H

#include <maxminddb.h>

#include "../common/common_int.h"
#include "fl/fl_enrich.h"

__extension__ typedef unsigned __int128 fl_u128;

static inline fl_u128 fl__ip_u128(const struct fl_ip *ip)
{
    fl_u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = (v << 8) | ip->b[i];
    return v;
}
static inline uint32_t fl__ip_v4(const struct fl_ip *ip)
{
    return (uint32_t)ip->b[12] << 24 | (uint32_t)ip->b[13] << 16 |
           (uint32_t)ip->b[14] << 8 | ip->b[15];
}

/* ---- range map (lpm.c) ---------------------------------------------------
 * A set of prefixes or ranges, each with a value (> 0) and a priority
 * (lower wins), flattened once into sorted, disjoint ranges.  Lookup is a
 * binary search: for IPv4 inside one /16 bucket (a 65 536-entry index), so a
 * lookup over 400 000 ranges costs a handful of comparisons.  Prefixes nest
 * (laminar), and the winner of a nested span is the better priority of the
 * inner item and the span around it.  Ranges that overlap partially (only
 * possible with explicit ranges, never CIDRs) are clipped to their
 * enclosing range and counted in n_clipped.
 */
struct fl__rmap_item {
    fl_u128 lo, hi;
    uint32_t val;
    uint32_t prio;
};
struct fl__rmap_builder {
    struct fl__rmap_item *it;
    size_t n, cap, limit;
    /* scratch of fl__rmap_build (the swept ranges) */
    struct fl__rmap_item *out;
    size_t out_cap;
    /* keep both buffers across builds (one builder serving many maps: the
     * pages are touched once, not once per map) */
    bool keep;
};
struct fl__r4 {
    uint32_t lo, hi, val;       /* one IPv4 range (host order): one cache line */
};
struct fl__rmap {
    struct fl__r4 *r4;          /* IPv4 ranges, sorted */
    size_t n4;
    uint32_t *idx4;             /* 65 537 bucket starts, or NULL if small */
    fl_u128 *lo6, *hi6;         /* everything else, 128-bit */
    uint32_t *val6;
    size_t n6;
    size_t n_clipped;
};
void fl__rmap_builder_init(struct fl__rmap_builder *b, size_t limit);
void fl__rmap_builder_free(struct fl__rmap_builder *b);
/* Make room for n items in all (an estimate: memory is only reserved, its
 * pages are touched as items arrive; growing by doubling would copy). */
int fl__rmap_builder_reserve(struct fl__rmap_builder *b, size_t n);
int fl__rmap_add_cidr(struct fl__rmap_builder *b, const struct fl_cidr *c,
                      uint32_t val, uint32_t prio);
int fl__rmap_add_range(struct fl__rmap_builder *b, fl_u128 lo, fl_u128 hi,
                       uint32_t val, uint32_t prio);
/* Flatten the items into m (the builder is emptied; its memory is freed
 * unless b->keep). */
int fl__rmap_build(struct fl__rmap_builder *b, struct fl__rmap *m);
void fl__rmap_free(struct fl__rmap *m);
/* Value of the range containing ip, 0 if none. */
uint32_t fl__rmap_get(const struct fl__rmap *m, const struct fl_ip *ip);
static inline size_t fl__rmap_size(const struct fl__rmap *m) { return m->n4 + m->n6; }
/* Start loading what fl__rmap_get(m, ip) will read first (an IPv4 bucket;
 * with stage 2, once the bucket has arrived, the middle of its ranges):
 * a resolution that misses the caches asks several large maps at once, and
 * their memory misses then overlap instead of queueing. */
static inline void fl__rmap_prefetch(const struct fl__rmap *m, uint32_t v4, int stage)
{
    if (!m->idx4)
        return;
    if (stage == 1) {
        __builtin_prefetch(&m->idx4[v4 >> 16]);
    } else {
        uint32_t lo = m->idx4[v4 >> 16], hi = m->idx4[(v4 >> 16) + 1];
        if (lo < m->n4)
            __builtin_prefetch(&m->r4[lo + (hi - lo) / 2]);
    }
}
/* Priority that makes longer prefixes win. */
static inline uint32_t fl__prio_lpm(const struct fl_cidr *c) { return 128u - c->bits; }

/* ---- string pool (strpool.c) ---------------------------------------------
 * Interned strings with dense ids (1..n; 0 = none).  Bytes live in one
 * growing buffer, so a pointer from fl__str_get is valid until the next
 * intern. */
struct fl__strpool {
    char *buf;
    size_t len, cap;
    uint32_t *off;  /* by id */
    uint32_t *slen; /* by id */
    uint32_t n, cap_ids;
    uint32_t *tab;  /* open addressing: id or 0 */
    uint32_t tab_cap;
};
void fl__strpool_init(struct fl__strpool *p);
void fl__strpool_free(struct fl__strpool *p);
/* Intern s; returns its id (> 0) or 0 on OOM / cap. */
uint32_t fl__str_intern(struct fl__strpool *p, const char *s, size_t n);
/* Id of s if interned, else 0 (never adds). */
uint32_t fl__str_find(const struct fl__strpool *p, const char *s, size_t n);
static inline const char *fl__str_get(const struct fl__strpool *p, uint32_t id)
{
    return id ? p->buf + p->off[id] : NULL;
}
static inline uint32_t fl__str_len(const struct fl__strpool *p, uint32_t id)
{
    return id ? p->slen[id] : 0;
}

/* ---- line reader (textlines.c) ---------------------------------------------
 * Reads a text file through one fixed buffer (no whole-file allocation);
 * a line longer than the buffer is returned truncated with *too_long set. */
struct fl__tlines {
    FILE *f;
    char *buf;
    size_t cap, start, end;
    uint64_t line;  /* 1-based number of the line last returned */
    bool eof, err;
};
int fl__tlines_open(struct fl__tlines *l, const char *path, size_t cap, struct fl_error *err);
/* Next line (without \n / \r\n); false at the end. */
bool fl__tlines_next(struct fl__tlines *l, const char **s, size_t *n, bool *too_long);
void fl__tlines_close(struct fl__tlines *l);

/* ---- MMDB (geo_mmdb.c) ------------------------------------------------------ */
struct fl__mmdb {
    MMDB_s db;
    bool open;
    char path[256];
};
int fl__mmdb_open(struct fl__mmdb *m, const char *path, struct fl_error *err);
void fl__mmdb_close(struct fl__mmdb *m);
/* Look ip up; fills what the database has (country ISO code, ASN, org).
 * cc_out gets "" and *asn_out 0 when absent; *org_out NULL. */
void fl__mmdb_lookup(struct fl__mmdb *m, const struct fl_ip *ip, char cc_out[3],
                     uint32_t *asn_out, const char **org_out, size_t *org_n);
/* What one data entry holds (same fields as fl__mmdb_lookup). */
void fl__mmdb_decode(MMDB_entry_s *ent, char cc_out[3], uint32_t *asn_out,
                     const char **org_out, size_t *org_n);
/* Walk the whole search tree once and add every network to b, with the
 * value fn gives for its data entry (0 = skip).  fn is called once per
 * distinct data record.  IPv4 networks land in the v4-mapped block; the
 * IPv4 aliases of IPv6 trees (::ffff:0:0/96, 2002::/16) are not walked
 * twice.  Turns per-record tree walks (~30 dependent memory reads each)
 * into the range map's short binary searches. */
typedef uint32_t (*fl__mmdb_val_fn)(void *ctx, MMDB_entry_s *ent);
int fl__mmdb_walk(struct fl__mmdb *m, struct fl__rmap_builder *b, fl__mmdb_val_fn fn,
                  void *ctx, struct fl_error *err);

/* ---- ASN range CSV (asn.c) ----------------------------------------------- */
/* Load "start,end,asn,org" lines (ip-location-db asn-ipv4.csv / -num.csv /
 * asn-ipv6.csv) into b with val = ASN, and the org names into orgs
 * (asn_org: open-addressing map asn -> org string id). */
struct fl__asn_orgs {
    uint32_t *asn, *org; /* parallel, tab_cap slots */
    uint32_t n, cap;
};
int fl__asn_csv_load(const char *path, struct fl__rmap_builder *b,
                     struct fl__strpool *pool, struct fl__asn_orgs *orgs,
                     uint64_t *n_ranges, struct fl_error *err);
uint32_t fl__asn_org_get(const struct fl__asn_orgs *o, uint32_t asn);
int fl__asn_org_put(struct fl__asn_orgs *o, uint32_t asn, uint32_t org);
void fl__asn_orgs_free(struct fl__asn_orgs *o);

/* ---- intel lists (intel.c) ----------------------------------------------- */
/* Parse one list (plain, FireHOL netset, Spamhaus DROP text or JSON lines)
 * into b (val 1).  Malformed lines are counted in st, never fatal; only an
 * unreadable file is an error. */
int fl__intel_load(const char *path, struct fl__rmap_builder *b,
                   struct fl_intel_load_stats *st, struct fl_error *err);
/* Parse one line; FL_OK with *has = true and the CIDR, *has = false for a
 * blank/comment line, FL_EPARSE for a malformed one. */
int fl__intel_parse_line(const char *s, size_t n, bool *has, struct fl_cidr *out);

/* ---- provider ranges (cloudranges.c) ------------------------------------- */
struct fl__cloud_svc {
    uint32_t name;     /* string id of the service / tag */
    uint8_t provider;  /* FL_RANGES_AWS or FL_RANGES_AZURE */
};
struct fl__cloud_svcs {
    struct fl__cloud_svc *v;
    size_t n, cap;
};
/* Add the prefixes of an AWS ip-ranges.json or Azure Service Tags file to b
 * (val = index+1 into svcs). */
int fl__cloud_ranges_load(const char *path, enum fl_cloud_ranges_kind kind,
                          struct fl__rmap_builder *b, struct fl__strpool *pool,
                          struct fl__cloud_svcs *svcs, struct fl_error *err);

/* ---- test hooks (enrich.c) ------------------------------------------------
 * Where an address lands in the address cache and a text in the memo (to
 * build colliding inputs), and a switch that resolves every address from
 * scratch (the reference the cached path must equal). */
uint32_t fl__enrich_cache_set(const struct fl_ip *ip);
uint32_t fl__enrich_memo_slot(const char *s, size_t n);
void fl__enrich_set_uncached(fl_enricher *e, bool on);

#endif
