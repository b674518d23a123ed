/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enrich.c - the enricher: builds every lookup structure from the config
 * once (asset map, VPC and internal CIDRs, intel lists, provider ranges,
 * ASN ranges, MMDB handles), then fills the enrichment columns of record
 * batches.  Each distinct address is resolved once into a few integers (a
 * 4-way set-associative cache that lives across batches), and each distinct
 * string is copied into a batch's arena once per batch.  The flow type,
 * threat and direction decisions follow docs/internals/enrich.md.
 */
#include <sys/stat.h>

#include "enrich_int.h"

/* The address cache: 4-way set-associative, 65 536 sets = 262 144
 * addresses.  A set's four keys fill one cache line (one miss to probe);
 * the resolved ids live in a parallel array.  ~13 MiB, touched lazily. */
#define CACHE_WAYS 4
#define CACHE_SET_BITS 16
#define CACHE_SETS (1u << CACHE_SET_BITS)

enum flow_type { FT_INTRA = 0, FT_INTER, FT_EXT, FT_MAL, FT_CLOUD, FT_UPRIV, FT_UNKNOWN, FT__N };
static const char *const ft_names[FT__N] = {"IntraVpc", "InterVpc", "ExternalPublic",
                                            "MaliciousFlow", "CloudService", "UnknownPrivate",
                                            "Unknown"};

/* What one address resolves to: ids into the enricher's tables. */
struct ainfo {
    uint8_t scope;
    uint8_t internal;
    uint8_t scanner;
    uint8_t pad;
    uint32_t country; /* string id */
    uint32_t asn;
    uint32_t org;     /* string id */
    uint32_t asset;   /* index + 1 */
    uint32_t vpc;     /* index + 1 */
    uint32_t threat;  /* first matching intel list, index + 1 */
    uint32_t cloud;   /* cloud svc index + 1 */
};

struct cset {
    uint64_t k[CACHE_WAYS][2]; /* the addresses (struct fl_ip bytes) */
};
/* per set: bits 0-3 way valid, bits 4-7 way referenced since the last sweep
 * (not-recently-used replacement) */
#define META_VALID(w) (1u << (w))
#define META_REF(w) (1u << (4 + (w)))

/* Address texts seen recently and what they resolved to: a direct-mapped
 * memo keyed by the text itself (up to 15 bytes: every dotted quad), with
 * the string references of the current batch.  4 096 entries of 128 bytes
 * (512 KiB, stays in L2): flow logs repeat a few thousand addresses (the
 * interfaces' own, the busy servers) row after row, and those rows are
 * answered here without parsing, hashing the address or probing any table.
 * Longer texts (IPv6) go to the address cache directly. */
#define MEMO_BITS 12
#define MEMO (1u << MEMO_BITS)
#define MEMO_TEXT 15
struct memo_ent {
    /* first cache line: what a probe and a hit need */
    uint64_t k0, k1;         /* the text, zero-padded; byte 15 = its length; 0 = empty */
    struct ainfo a;
    uint32_t gen;            /* batch the refs below belong to */
    /* second line */
    struct fl_sref ref[6];   /* scope, country, org, tag, tier, env */
    struct fl_ip ip;
    uint8_t pad[8];
};

struct asset_ent {
    uint32_t name, tier, env; /* string ids */
    struct fl_cidr cidr;
};

struct intel_list {
    struct fl__rmap map;
    struct fl_intel_load_stats st;
    uint32_t name; /* string id */
};

/* Per-batch string references: string id -> where its bytes are in the
 * current batch's arena.  A small open-addressing table (256 KiB, stays in
 * L2) stamped with the batch generation, so a new batch empties it in O(1);
 * filled to 3/4 at most, after that new strings are copied uncached. */
#define SREF_BITS 14
#define SREF_SLOTS (1u << SREF_BITS)
struct sref_slot {
    uint32_t id;
    uint32_t gen;
    struct fl_sref ref;
};

#define SVC_SLOTS 4096 /* direct-mapped (protocol, port) -> service name id */

struct fl_enricher {
    const fl_config *cfg;
    struct fl__strpool pool;
    struct fl__rmap_builder bld; /* shared by every map built at open */
    struct fl__rmap internal, vpc, assets, cloud, scanners, asn, country;
    struct asset_ent *asset_tab;
    size_t n_assets;
    uint32_t *vpc_name;
    size_t n_vpcs;
    struct intel_list *intel;
    size_t n_intel;
    struct fl_intel_load_stats *intel_stats; /* copy for the accessor */
    struct fl__cloud_svcs svcs;
    struct fl__asn_orgs orgs;
    uint64_t asn_ranges;
    bool have_country, have_asn;
    /* interface_id -> address (config `interfaces:`) */
    uint32_t *iface_id;      /* string ids */
    struct fl_ip *iface_ip;
    size_t n_ifaces;
    /* cache */
    struct cset *cache;
    struct ainfo *cval;  /* [set * CACHE_WAYS + way] */
    uint8_t *cmeta;      /* [set] */
    uint64_t lookups, misses;
    struct memo_ent *memo; /* 64-byte aligned inside memo_mem */
    void *memo_mem;
    uint64_t memo_hits;
    bool uncached; /* test hook: every address resolved from scratch */
    /* per-batch string references */
    struct sref_slot *sref;
    uint32_t sref_used;
    uint32_t bgen;
    uint32_t scope_id[FL_SCOPE__COUNT], ft_id[FT__N];
    uint32_t id_egress, id_ingress, id_given, id_inferred, id_aws, id_azure;
    /* service name cache: (proto << 16 | port) -> string id */
    uint32_t svc_key[SVC_SLOTS], svc_val[SVC_SLOTS];
    uint8_t svc_named[2][8192]; /* TCP, UDP: bit set = the port has a name */
};

/* ---- open / close ---------------------------------------------------- */

static int intern_fixed(fl_enricher *e, const char *s, uint32_t *id)
{
    *id = fl__str_intern(&e->pool, s, strlen(s));
    return *id ? FL_OK : FL_ENOMEM;
}

static int build_cidrs(fl_enricher *e, struct fl__rmap *m, const struct fl_cidr *c, size_t n, uint32_t val)
{
    struct fl__rmap_builder *const bp = &e->bld;
    for (size_t i = 0; i < n; i++) {
        int rc = fl__rmap_add_cidr(bp, &c[i], val, fl__prio_lpm(&c[i]));
        if (rc) {
            fl__rmap_builder_free(bp);
            return rc;
        }
    }
    return fl__rmap_build(bp, m);
}

/* Values of MMDB data records, for fl__mmdb_walk. */
static uint32_t country_val(void *ctx, MMDB_entry_s *ent)
{
    fl_enricher *e = ctx;
    char cc[3];
    uint32_t asn;
    const char *org;
    size_t org_n;
    fl__mmdb_decode(ent, cc, &asn, &org, &org_n);
    return cc[0] ? fl__str_intern(&e->pool, cc, 2) : 0;
}

static uint32_t asn_val(void *ctx, MMDB_entry_s *ent)
{
    fl_enricher *e = ctx;
    char cc[3];
    uint32_t asn;
    const char *org;
    size_t org_n;
    fl__mmdb_decode(ent, cc, &asn, &org, &org_n);
    if (asn && org)
        fl__asn_org_put(&e->orgs, asn, fl__str_intern(&e->pool, org, org_n));
    return asn;
}

/* Load one MMDB into b (a whole-tree walk), with priorities offset by
 * `rank` so that an earlier file wins where files overlap. */
static int load_mmdb(fl_enricher *e, const char *path, struct fl__rmap_builder *b,
                     fl__mmdb_val_fn fn, uint32_t rank, struct fl_error *err)
{
    struct fl__mmdb m;
    FL_TRY(fl__mmdb_open(&m, path, err));
    size_t first = b->n;
    int rc = fl__mmdb_walk(&m, b, fn, e, err);
    for (size_t i = first; i < b->n; i++)
        b->it[i].prio += rank * 256;
    fl__mmdb_close(&m);
    return rc;
}

/* Reserve builder room for the ranges of files totalling `bytes`, at one
 * range per `per` bytes at most (an over-estimate costs address space, not
 * memory: pages are touched as ranges arrive). */
static void reserve_for(fl_enricher *e, const char *const *paths, size_t n, size_t per)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (paths[i] && stat(paths[i], &st) == 0 && st.st_size > 0)
            total += (size_t)st.st_size / per + 1;
    }
    if (total) /* best effort: on failure the builder grows as it goes */
        (void)fl__rmap_builder_reserve(&e->bld, e->bld.n + total);
}

static int open_geo(fl_enricher *e, struct fl_error *err)
{
    const struct fl_config_geo *g = fl_config_geo(e->cfg);
    if (!g->enabled)
        return FL_OK;
    bool warned = false;
    struct fl__rmap_builder *const bp = &e->bld;
    /* an MMDB has at most one network per 6 bytes of search tree */
    reserve_for(e, (const char *const *)g->country_mmdb, g->n_country_mmdb, 6);
    for (size_t i = 0; i < g->n_country_mmdb; i++) {
        struct fl_error e2;
        int rc = load_mmdb(e, g->country_mmdb[i], bp, country_val, (uint32_t)i, &e2);
        if (rc == FL_OK) {
            e->have_country = true;
            continue;
        }
        if (!g->country_default || rc != FL_EIO) {
            fl__rmap_builder_free(bp);
            if (err)
                *err = e2;
            return rc;
        }
        if (!warned)
            fl_warn("geo: no country database (%s); src_country/dst_country stay empty "
                    "(run tools/deps.sh, or set geo.country_mmdb in flowsift.yaml)",
                    e2.msg);
        warned = true;
    }
    int rc = fl__rmap_build(bp, &e->country);
    if (rc)
        return fl_error_set(err, rc, "country ranges: %s", fl_strerror(rc));
    reserve_for(e, (const char *const *)g->asn_mmdb, g->n_asn_mmdb, 6);
    for (size_t i = 0; i < g->n_asn_mmdb; i++) {
        rc = load_mmdb(e, g->asn_mmdb[i], bp, asn_val, (uint32_t)i, err);
        if (rc) {
            fl__rmap_builder_free(bp);
            return rc;
        }
    }
    size_t n_mmdb_items = bp->n;
    /* an ASN CSV line is at least 16 bytes */
    reserve_for(e, (const char *const *)g->asn_csv, g->n_asn_csv, 16);
    for (size_t i = 0; i < g->n_asn_csv; i++) {
        struct fl_error e2;
        rc = fl__asn_csv_load(g->asn_csv[i], bp, &e->pool, &e->orgs, &e->asn_ranges, &e2);
        if (rc == FL_EIO && g->asn_default) {
            if (!warned)
                fl_warn("geo: no ASN database (%s); src_asn/dst_asn stay empty "
                        "(run tools/deps.sh, or set geo.asn_csv / geo.asn_mmdb in flowsift.yaml)",
                        e2.msg);
            warned = true;
            continue;
        }
        if (rc) {
            fl__rmap_builder_free(bp);
            if (err)
                *err = e2;
            return rc;
        }
    }
    if (n_mmdb_items) /* CSV ranges rank after the MMDB networks */
        for (size_t i = n_mmdb_items; i < bp->n; i++)
            bp->it[i].prio = 0x7fffffffu;
    rc = fl__rmap_build(bp, &e->asn);
    if (rc)
        return fl_error_set(err, rc, "ASN ranges: %s", fl_strerror(rc));
    e->have_asn = fl__rmap_size(&e->asn) > 0;
    return FL_OK;
}

static int open_assets(fl_enricher *e, struct fl_error *err)
{
    const struct fl_config_asset *a;
    size_t n = fl_config_assets(e->cfg, &a);
    if (!n)
        return FL_OK;
    e->asset_tab = fl_calloc(n, sizeof *e->asset_tab);
    if (!e->asset_tab)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    struct fl__rmap_builder *const bp = &e->bld;
    int rc = FL_OK;
    for (size_t i = 0; i < n && rc == FL_OK; i++) {
        struct asset_ent *t = &e->asset_tab[i];
        t->cidr = a[i].cidr;
        if (a[i].name)
            t->name = fl__str_intern(&e->pool, a[i].name, strlen(a[i].name));
        if (a[i].tier)
            t->tier = fl__str_intern(&e->pool, a[i].tier, strlen(a[i].tier));
        if (a[i].env)
            t->env = fl__str_intern(&e->pool, a[i].env, strlen(a[i].env));
        rc = fl__rmap_add_cidr(bp, &a[i].cidr, (uint32_t)i + 1, fl__prio_lpm(&a[i].cidr));
    }
    e->n_assets = n;
    if (rc) {
        fl__rmap_builder_free(bp);
        return fl_error_set(err, rc, "asset map: %s", fl_strerror(rc));
    }
    rc = fl__rmap_build(bp, &e->assets);
    return rc ? fl_error_set(err, rc, "asset map: %s", fl_strerror(rc)) : FL_OK;
}

static int open_vpcs(fl_enricher *e, struct fl_error *err)
{
    const struct fl_config_vpc *v;
    size_t n = fl_config_vpcs(e->cfg, &v);
    if (!n)
        return FL_OK;
    e->vpc_name = fl_calloc(n, sizeof *e->vpc_name);
    if (!e->vpc_name)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    struct fl__rmap_builder *const bp = &e->bld;
    int rc = FL_OK;
    for (size_t i = 0; i < n && rc == FL_OK; i++) {
        e->vpc_name[i] = fl__str_intern(&e->pool, v[i].name, strlen(v[i].name));
        for (size_t j = 0; j < v[i].n_cidrs && rc == FL_OK; j++)
            rc = fl__rmap_add_cidr(bp, &v[i].cidrs[j], (uint32_t)i + 1, fl__prio_lpm(&v[i].cidrs[j]));
    }
    e->n_vpcs = n;
    if (rc) {
        fl__rmap_builder_free(bp);
        return fl_error_set(err, rc, "vpcs: %s", fl_strerror(rc));
    }
    rc = fl__rmap_build(bp, &e->vpc);
    return rc ? fl_error_set(err, rc, "vpcs: %s", fl_strerror(rc)) : FL_OK;
}

static int open_intel(fl_enricher *e, struct fl_error *err)
{
    const struct fl_config_intel *in;
    size_t n = fl_config_intel(e->cfg, &in);
    if (!n)
        return FL_OK;
    e->intel = fl_calloc(n, sizeof *e->intel);
    e->intel_stats = fl_calloc(n, sizeof *e->intel_stats);
    if (!e->intel || !e->intel_stats)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct intel_list *l = &e->intel[i];
        l->st.name = in[i].name;
        l->st.path = in[i].path;
        l->name = fl__str_intern(&e->pool, in[i].name, strlen(in[i].name));
        struct fl__rmap_builder *const bp = &e->bld;
        reserve_for(e, &in[i].path, 1, 8); /* "1.2.3.4\n" */
        int rc = fl__intel_load(in[i].path, bp, &l->st, err);
        if (rc) {
            fl__rmap_builder_free(bp);
            return rc;
        }
        rc = fl__rmap_build(bp, &l->map);
        if (rc)
            return fl_error_set(err, rc, "intel list '%s': %s", in[i].name, fl_strerror(rc));
        e->n_intel = i + 1;
        e->intel_stats[i] = l->st;
        if (l->st.malformed)
            fl_warn("intel list '%s': %llu malformed lines ignored (first: %s:%llu: %s)",
                    in[i].name, (unsigned long long)l->st.malformed, in[i].path,
                    (unsigned long long)l->st.first_bad_line, l->st.first_bad);
    }
    return FL_OK;
}

static int open_cloud(fl_enricher *e, struct fl_error *err)
{
    const struct fl_config_ranges *r;
    size_t n = fl_config_cloud_ranges(e->cfg, &r);
    if (!n)
        return FL_OK;
    struct fl__rmap_builder *const bp = &e->bld;
    for (size_t i = 0; i < n; i++) {
        int rc = fl__cloud_ranges_load(r[i].path, r[i].kind, bp, &e->pool, &e->svcs, err);
        if (rc) {
            fl__rmap_builder_free(bp);
            return rc;
        }
    }
    int rc = fl__rmap_build(bp, &e->cloud);
    return rc ? fl_error_set(err, rc, "cloud ranges: %s", fl_strerror(rc)) : FL_OK;
}

static int open_ifaces(fl_enricher *e, struct fl_error *err)
{
    const struct fl_config_iface *f;
    size_t n = fl_config_ifaces(e->cfg, &f);
    if (!n)
        return FL_OK;
    e->iface_id = fl_calloc(n, sizeof *e->iface_id);
    e->iface_ip = fl_calloc(n, sizeof *e->iface_ip);
    if (!e->iface_id || !e->iface_ip)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        e->iface_id[i] = fl__str_intern(&e->pool, f[i].interface_id, strlen(f[i].interface_id));
        e->iface_ip[i] = f[i].ip;
    }
    e->n_ifaces = n;
    return FL_OK;
}

int fl_enricher_open(fl_enricher **out, const fl_config *cfg, struct fl_error *err)
{
    *out = NULL;
    fl_enricher *e = fl_calloc(1, sizeof *e);
    if (!e)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    e->cfg = cfg;
    fl__strpool_init(&e->pool);
    int rc = FL_OK;
    for (int s = 0; s < FL_SCOPE__COUNT && rc == FL_OK; s++)
        rc = intern_fixed(e, fl_scope_name((enum fl_scope)s), &e->scope_id[s]);
    for (int t = 0; t < FT__N && rc == FL_OK; t++)
        rc = intern_fixed(e, ft_names[t], &e->ft_id[t]);
    if (rc == FL_OK)
        rc = intern_fixed(e, "egress", &e->id_egress);
    if (rc == FL_OK)
        rc = intern_fixed(e, "ingress", &e->id_ingress);
    if (rc == FL_OK)
        rc = intern_fixed(e, "given", &e->id_given);
    if (rc == FL_OK)
        rc = intern_fixed(e, "inferred", &e->id_inferred);
    if (rc == FL_OK)
        rc = intern_fixed(e, "aws", &e->id_aws);
    if (rc == FL_OK)
        rc = intern_fixed(e, "azure", &e->id_azure);
    if (rc) {
        fl_enricher_close(e);
        return fl_error_set(err, rc, "out of memory");
    }
    for (int p = 0; p < 65536; p++) {
        if (fl_service_name(6, p))
            e->svc_named[0][p >> 3] |= (uint8_t)(1u << (p & 7));
        if (fl_service_name(17, p))
            e->svc_named[1][p >> 3] |= (uint8_t)(1u << (p & 7));
    }
    const struct fl_cidr *ic;
    size_t n_ic = fl_config_internal(cfg, &ic);
    const struct fl_config_policy *pol = fl_config_policy(cfg);
    fl__rmap_builder_init(&e->bld, 0);
    e->bld.keep = true; /* one set of scratch pages for every map */
    if ((rc = build_cidrs(e, &e->internal, ic, n_ic, 1)) != FL_OK ||
        (rc = build_cidrs(e, &e->scanners, pol->known_scanners, pol->n_known_scanners, 1)) != FL_OK) {
        fl_enricher_close(e);
        return fl_error_set(err, rc, "internal CIDRs: %s", fl_strerror(rc));
    }
    if ((rc = open_assets(e, err)) || (rc = open_vpcs(e, err)) || (rc = open_ifaces(e, err)) ||
        (rc = open_intel(e, err)) || (rc = open_cloud(e, err)) || (rc = open_geo(e, err))) {
        fl_enricher_close(e);
        return rc;
    }
    fl__rmap_builder_free(&e->bld);
    e->cache = fl_calloc(CACHE_SETS, sizeof *e->cache);
    e->cval = fl_calloc((size_t)CACHE_SETS * CACHE_WAYS, sizeof *e->cval);
    e->cmeta = fl_calloc(CACHE_SETS, 1);
    e->sref = fl_calloc(SREF_SLOTS, sizeof *e->sref);
    e->memo_mem = fl_calloc(MEMO + 1, sizeof *e->memo);
    e->memo = e->memo_mem ? (struct memo_ent *)(((uintptr_t)e->memo_mem + 63) & ~(uintptr_t)63) : NULL;
    if (!e->cache || !e->cval || !e->cmeta || !e->sref || !e->memo) {
        fl_enricher_close(e);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    *out = e;
    return FL_OK;
}

void fl_enricher_close(fl_enricher *e)
{
    if (!e)
        return;
    fl__strpool_free(&e->pool);
    fl__rmap_builder_free(&e->bld);
    fl__rmap_free(&e->internal);
    fl__rmap_free(&e->vpc);
    fl__rmap_free(&e->assets);
    fl__rmap_free(&e->cloud);
    fl__rmap_free(&e->scanners);
    fl__rmap_free(&e->asn);
    fl_free(e->asset_tab);
    fl_free(e->vpc_name);
    for (size_t i = 0; i < e->n_intel; i++)
        fl__rmap_free(&e->intel[i].map);
    fl_free(e->intel);
    fl_free(e->intel_stats);
    fl_free(e->svcs.v);
    fl__rmap_free(&e->country);
    fl__asn_orgs_free(&e->orgs);
    fl_free(e->iface_id);
    fl_free(e->iface_ip);
    fl_free(e->cache);
    fl_free(e->cval);
    fl_free(e->cmeta);
    fl_free(e->sref);
    fl_free(e->memo_mem);
    fl_free(e);
}

/* ---- resolving one address ------------------------------------------- */

static void resolve_slow(fl_enricher *e, const struct fl_ip *ip, struct ainfo *a)
{
    memset(a, 0, sizeof *a);
    enum fl_scope sc = fl_ip_scope(ip);
    a->scope = (uint8_t)sc;
    if (fl_ip_is_v4(ip)) { /* overlap the memory misses of the big maps */
        uint32_t k = fl__ip_v4(ip);
        for (int stage = 1; stage <= 2; stage++) {
            for (size_t i = 0; i < e->n_intel && i < 8; i++)
                fl__rmap_prefetch(&e->intel[i].map, k, stage);
            fl__rmap_prefetch(&e->assets, k, stage);
            if (sc == FL_SCOPE_PUBLIC) {
                fl__rmap_prefetch(&e->country, k, stage);
                fl__rmap_prefetch(&e->asn, k, stage);
                fl__rmap_prefetch(&e->cloud, k, stage);
            }
        }
    }
    a->vpc = fl__rmap_get(&e->vpc, ip);
    a->internal = a->vpc || fl__rmap_get(&e->internal, ip);
    a->asset = fl__rmap_get(&e->assets, ip);
    a->scanner = fl__rmap_get(&e->scanners, ip) != 0;
    for (size_t i = 0; i < e->n_intel; i++)
        if (fl__rmap_get(&e->intel[i].map, ip)) {
            a->threat = (uint32_t)i + 1;
            break;
        }
    if (sc != FL_SCOPE_PUBLIC)
        return;
    a->cloud = fl__rmap_get(&e->cloud, ip);
    a->country = fl__rmap_get(&e->country, ip);
    if ((a->asn = fl__rmap_get(&e->asn, ip)) != 0)
        a->org = fl__asn_org_get(&e->orgs, a->asn);
}

static inline uint32_t cache_set(uint64_t k0, uint64_t k1)
{
    return (uint32_t)(fl_hash64(k0 * 0x9e3779b97f4a7c15ULL ^ k1) & (CACHE_SETS - 1));
}

static const struct ainfo *resolve(fl_enricher *e, const struct fl_ip *ip)
{
    uint64_t k0, k1;
    memcpy(&k0, ip->b, 8);
    memcpy(&k1, ip->b + 8, 8);
    if (FL_UNLIKELY(e->uncached)) {
        resolve_slow(e, ip, &e->cval[0]);
        return &e->cval[0];
    }
    uint32_t si = cache_set(k0, k1);
    struct cset *set = &e->cache[si];
    unsigned meta = e->cmeta[si];
    e->lookups++;
    for (unsigned w = 0; w < CACHE_WAYS; w++) {
        if ((meta & META_VALID(w)) && set->k[w][0] == k0 && set->k[w][1] == k1) {
            e->cmeta[si] = (uint8_t)(meta | META_REF(w));
            return &e->cval[si * CACHE_WAYS + w];
        }
    }
    /* victim: an empty way, else one not referenced since the last sweep */
    unsigned w = 0;
    while (w < CACHE_WAYS && (meta & META_VALID(w)))
        w++;
    if (w == CACHE_WAYS) {
        w = 0;
        while (w < CACHE_WAYS && (meta & META_REF(w)))
            w++;
        if (w == CACHE_WAYS) { /* all referenced: start a new sweep */
            meta &= 0x0fu;
            w = (unsigned)(k1 >> 56) & (CACHE_WAYS - 1);
        }
    }
    e->misses++;
    struct ainfo *a = &e->cval[si * CACHE_WAYS + w];
    resolve_slow(e, ip, a);
    set->k[w][0] = k0;
    set->k[w][1] = k1;
    e->cmeta[si] = (uint8_t)(meta | META_VALID(w) | META_REF(w));
    return a;
}

/* ---- batch output ------------------------------------------------------ */

/* The test hook's path: a private copy of the string for every value. */
__attribute__((noinline, cold)) static int put_copy(fl_enricher *e, struct fl_batch *b, int col,
                                                    uint32_t row, uint32_t id)
{
    return fl_set_str(b, col, row, fl__str_get(&e->pool, id), fl__str_len(&e->pool, id));
}

static inline int put(fl_enricher *e, struct fl_batch *b, int col, uint32_t row, uint32_t id)
{
    if (!id) {
        fl_set_null(b, col, row);
        return FL_OK;
    }
    if (FL_UNLIKELY(e->uncached))
        return put_copy(e, b, col, row, id);
    uint32_t h = (id * 2654435761u) >> (32 - SREF_BITS);
    for (;;) {
        struct sref_slot *sl = &e->sref[h];
        if (sl->gen != e->bgen) { /* empty in this batch: copy the string */
            struct fl_sref ref;
            FL_TRY(fl_batch_intern(b, fl__str_get(&e->pool, id), fl__str_len(&e->pool, id), &ref));
            if (e->sref_used < SREF_SLOTS / 4 * 3) {
                sl->id = id;
                sl->gen = e->bgen;
                sl->ref = ref;
                e->sref_used++;
            }
            fl_set_sref(b, col, row, ref);
            return FL_OK;
        }
        if (sl->id == id) {
            fl_set_sref(b, col, row, sl->ref);
            return FL_OK;
        }
        h = (h + 1) & (SREF_SLOTS - 1);
    }
}

static uint32_t service_id(fl_enricher *e, int64_t proto, int64_t port)
{
    /* most TCP/UDP destination ports (the ephemeral side of replies) have
     * no name: one bit says so */
    if ((proto == 6 || proto == 17) && port >= 0 && port <= 65535 &&
        !(e->svc_named[proto == 17][port >> 3] & (1u << (port & 7))))
        return 0;
    uint32_t key = (uint32_t)(proto & 0xff) << 16 | (uint32_t)(port & 0xffff);
    uint32_t slot = (uint32_t)fl_hash64(key) & (SVC_SLOTS - 1);
    if (e->svc_key[slot] == key + 1)
        return e->svc_val[slot];
    const char *name = fl_service_name(proto, port);
    uint32_t id = name ? fl__str_intern(&e->pool, name, strlen(name)) : 0;
    e->svc_key[slot] = key + 1;
    e->svc_val[slot] = id;
    return id;
}

static bool has_str(const struct fl_batch *b, int col, uint32_t row)
{
    if (fl_is_null(b, col, row))
        return false;
    struct fl_str s = fl_get_str(b, col, row);
    return s.n > 0 && !(s.n == 1 && s.p[0] == '-');
}

/* The flow type of one record (decision order in docs/internals/enrich.md). */
static enum flow_type flow_type(fl_enricher *e, const struct ainfo *sa, const struct ainfo *da,
                                uint32_t threat, bool src_cloud, bool dst_cloud)
{
    if (threat)
        return FT_MAL;
    if (sa->internal && da->internal) {
        if (sa->vpc && da->vpc)
            return sa->vpc == da->vpc ? FT_INTRA : FT_INTER;
        return FT_UPRIV;
    }
    if (sa->internal || da->internal) {
        const struct ainfo *o = sa->internal ? da : sa;
        bool ocloud = sa->internal ? dst_cloud : src_cloud;
        if (o->scope == FL_SCOPE_PUBLIC)
            return ocloud ? FT_CLOUD : FT_EXT;
        return FT_UPRIV;
    }
    (void)e;
    return FT_UNKNOWN;
}

/* The memo key of a text of at most MEMO_TEXT bytes: the bytes zero-padded
 * to 16, the length in the last byte (so "1.2.3.4" and "1.2.3.4\0" differ). */
static inline void memo_key(const struct fl_batch *b, const char *p, size_t n,
                            uint64_t *k0, uint64_t *k1)
{
    uint64_t a = 0, c = 0;
    if ((size_t)(p - b->arena) + 16 <= b->arena_cap) { /* two loads, masked */
        memcpy(&a, p, 8);
        memcpy(&c, p + 8, 8);
        if (n < 8) {
            a &= n ? ~0ULL >> (64 - 8 * n) : 0;
            c = 0;
        } else {
            c &= n > 8 ? ~0ULL >> (64 - 8 * (n - 8)) : 0;
        }
    } else {
        char t[16] = {0};
        memcpy(t, p, n);
        memcpy(&a, t, 8);
        memcpy(&c, t + 8, 8);
    }
    *k0 = a;
    *k1 = c | (uint64_t)n << 56; /* little-endian: byte 15 */
}

static inline uint32_t memo_hash(uint64_t k0, uint64_t k1)
{
    uint64_t h = (k0 ^ (k1 * 0xc2b2ae3d27d4eb4fULL)) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(h >> (64 - MEMO_BITS));
}

static inline struct memo_ent *memo_slot(fl_enricher *e, uint64_t k0, uint64_t k1)
{
    return &e->memo[memo_hash(k0, k1)];
}

/* Parse and resolve the address of column col (through the memo). */
static bool lookup_addr(fl_enricher *e, const struct fl_batch *b, int col, uint32_t r,
                        struct fl_ip *ip, struct ainfo *out, struct memo_ent **memo_out)
{
    *memo_out = NULL;
    if (fl_is_null(b, col, r))
        return false;
    struct fl_str s = fl_get_str(b, col, r);
    struct memo_ent *m = NULL;
    uint64_t k0 = 0, k1 = 0;
    if (s.n && s.n <= MEMO_TEXT && !e->uncached) {
        memo_key(b, s.p, s.n, &k0, &k1);
        m = memo_slot(e, k0, k1);
        if (m->k0 == k0 && m->k1 == k1) {
            *ip = m->ip;
            *out = m->a;
            *memo_out = m;
            e->memo_hits++;
            return true;
        }
    }
    if (fl_ip_parse(s.p, s.n, ip) != FL_OK)
        return false;
    *out = *resolve(e, ip);
    if (m) {
        m->k0 = k0;
        m->k1 = k1;
        m->ip = *ip;
        m->a = *out;
        m->gen = 0;
        *memo_out = m;
    }
    return true;
}

/* The per-side columns (scope, country, asn, org, tag, tier, env) of one
 * address.  `cols` lists the 7 columns; a memo entry already used in this
 * batch hands over its string references without any table probe. */
static int put_side(fl_enricher *e, struct fl_batch *b, uint32_t r, const int cols[7],
                    const struct ainfo *a, struct memo_ent *m)
{
    if (a->asn)
        fl_set_i64(b, cols[6], r, a->asn);
    else
        fl_set_null(b, cols[6], r);
    if (m && m->gen == e->bgen) {
        for (int k = 0; k < 6; k++) {
            if (m->ref[k].len == UINT32_MAX)
                fl_set_null(b, cols[k], r);
            else
                fl_set_sref(b, cols[k], r, m->ref[k]);
        }
        return FL_OK;
    }
    const struct asset_ent *as = a->asset ? &e->asset_tab[a->asset - 1] : NULL;
    uint32_t ids[6] = {e->scope_id[a->scope], a->country, a->org, as ? as->name : 0,
                       as ? as->tier : 0, as ? as->env : 0};
    for (int k = 0; k < 6; k++) {
        FL_TRY(put(e, b, cols[k], r, ids[k]));
        if (m)
            m->ref[k] = ids[k] ? b->col[cols[k]].s[r] : (struct fl_sref){0, UINT32_MAX};
    }
    if (m)
        m->gen = e->bgen;
    return FL_OK;
}

static int enrich_row(fl_enricher *e, struct fl_batch *b, uint32_t r)
{
    struct fl_ip sip, dip;
    static const struct ainfo none = {0};
    struct ainfo sa_v = none, da_v = none;
    struct memo_ent *sm, *dm;
    static const int scols[7] = {FL_COL_SRC_SCOPE, FL_COL_SRC_COUNTRY, FL_COL_SRC_AS_ORG,
                                 FL_COL_SRC_TAG, FL_COL_SRC_TIER, FL_COL_SRC_ENV, FL_COL_SRC_ASN};
    static const int dcols[7] = {FL_COL_DST_SCOPE, FL_COL_DST_COUNTRY, FL_COL_DST_AS_ORG,
                                 FL_COL_DST_TAG, FL_COL_DST_TIER, FL_COL_DST_ENV, FL_COL_DST_ASN};
    /* each side is written right after its lookup: the dst lookup may reuse
     * the src's memo slot */
    bool hs = lookup_addr(e, b, FL_COL_SRCADDR, r, &sip, &sa_v, &sm);
    if (hs)
        FL_TRY(put_side(e, b, r, scols, &sa_v, sm));
    bool hd = lookup_addr(e, b, FL_COL_DSTADDR, r, &dip, &da_v, &dm);
    if (hd)
        FL_TRY(put_side(e, b, r, dcols, &da_v, dm));
    const struct ainfo *sa = &sa_v, *da = &da_v;

    /* threat: the first list in config order matching either side */
    uint32_t threat = sa->threat;
    if (da->threat && (!threat || da->threat < threat))
        threat = da->threat;
    FL_TRY(put(e, b, FL_COL_THREAT, r, threat ? e->intel[threat - 1].name : 0));

    /* service of the destination port */
    if (!fl_is_null(b, FL_COL_PROTOCOL, r)) {
        int64_t proto = b->col[FL_COL_PROTOCOL].i[r];
        int64_t port = fl_is_null(b, FL_COL_DSTPORT, r) ? -1 : b->col[FL_COL_DSTPORT].i[r];
        FL_TRY(put(e, b, FL_COL_SERVICE, r,
                   (proto == 6 || proto == 17 || proto == 132) && port < 0 ? 0
                                                                           : service_id(e, proto, port)));
    } else {
        fl_set_null(b, FL_COL_SERVICE, r);
    }

    /* cloud service of the public side: provider ranges, then AWS's own
     * pkt-*-aws-service fields */
    bool src_cloud = false, dst_cloud = false;
    fl_set_null(b, FL_COL_CLOUD_SERVICE, r);
    if (hs && hd) {
        const struct ainfo *pub = NULL;
        int pkt_col = -1;
        if (!sa->internal && sa->scope == FL_SCOPE_PUBLIC) {
            pub = sa;
            pkt_col = FL_COL_PKT_SRC_AWS_SERVICE;
        } else if (!da->internal && da->scope == FL_SCOPE_PUBLIC) {
            pub = da;
            pkt_col = FL_COL_PKT_DST_AWS_SERVICE;
        }
        if (pub && pub->cloud) {
            FL_TRY(put(e, b, FL_COL_CLOUD_SERVICE, r, e->svcs.v[pub->cloud - 1].name));
        } else if (pub && has_str(b, pkt_col, r)) {
            fl_set_sref(b, FL_COL_CLOUD_SERVICE, r, b->col[pkt_col].s[r]);
        } else {
            pub = NULL;
        }
        if (pub == sa)
            src_cloud = true;
        else if (pub == da)
            dst_cloud = true;
        FL_TRY(put(e, b, FL_COL_FLOW_TYPE, r, e->ft_id[flow_type(e, sa, da, threat, src_cloud, dst_cloud)]));
    } else {
        fl_set_null(b, FL_COL_FLOW_TYPE, r);
    }

    /* direction */
    if (has_str(b, FL_COL_FLOW_DIRECTION, r)) {
        if (fl_is_null(b, FL_COL_DIRECTION_SOURCE, r))
            FL_TRY(put(e, b, FL_COL_DIRECTION_SOURCE, r, e->id_given));
    } else if (hs && hd) {
        uint32_t dir = 0;
        if (e->n_ifaces && !fl_is_null(b, FL_COL_INTERFACE_ID, r)) {
            struct fl_str s = fl_get_str(b, FL_COL_INTERFACE_ID, r);
            uint32_t id = fl__str_find(&e->pool, s.p, s.n);
            for (size_t i = 0; id && i < e->n_ifaces; i++)
                if (e->iface_id[i] == id) {
                    if (memcmp(e->iface_ip[i].b, sip.b, 16) == 0)
                        dir = e->id_egress;
                    else if (memcmp(e->iface_ip[i].b, dip.b, 16) == 0)
                        dir = e->id_ingress;
                    break;
                }
        }
        if (!dir && sa->internal != da->internal)
            dir = sa->internal ? e->id_egress : e->id_ingress;
        if (dir) {
            FL_TRY(put(e, b, FL_COL_FLOW_DIRECTION, r, dir));
            FL_TRY(put(e, b, FL_COL_DIRECTION_SOURCE, r, e->id_inferred));
        }
    }
    return FL_OK;
}

int fl_enrich_batch(fl_enricher *e, struct fl_batch *b, struct fl_error *err)
{
    if (++e->bgen == 0) { /* wrapped: forget every reference */
        memset(e->sref, 0, SREF_SLOTS * sizeof *e->sref);
        for (unsigned i = 0; i < MEMO; i++)
            e->memo[i].gen = 0;
        e->bgen = 1;
    }
    e->sref_used = 0;
    for (uint32_t r = 0; r < b->n; r++) {
        int rc = enrich_row(e, b, r);
        if (rc)
            return fl_error_set(err, rc, "enrichment: %s", fl_strerror(rc));
    }
    return FL_OK;
}

/* ---- test hooks ------------------------------------------------------------ */

uint32_t fl__enrich_cache_set(const struct fl_ip *ip)
{
    uint64_t k0, k1;
    memcpy(&k0, ip->b, 8);
    memcpy(&k1, ip->b + 8, 8);
    return cache_set(k0, k1);
}

uint32_t fl__enrich_memo_slot(const char *s, size_t n)
{
    if (!n || n > MEMO_TEXT)
        return UINT32_MAX;
    struct fl_batch fake = {.arena = (char *)s, .arena_cap = n}; /* forces the copying path */
    uint64_t k0, k1;
    memo_key(&fake, s, n, &k0, &k1);
    return memo_hash(k0, k1);
}

void fl__enrich_set_uncached(fl_enricher *e, bool on)
{
    e->uncached = on;
}

/* ---- single lookups ------------------------------------------------------ */

int fl_enrich_lookup(fl_enricher *e, const struct fl_ip *ip, struct fl_enrich_info *out)
{
    memset(out, 0, sizeof *out);
    struct ainfo a = *resolve(e, ip);
    out->scope = (enum fl_scope)a.scope;
    out->internal = a.internal;
    out->country = fl__str_get(&e->pool, a.country);
    out->asn = a.asn;
    out->as_org = fl__str_get(&e->pool, a.org);
    if (a.asset) {
        const struct asset_ent *as = &e->asset_tab[a.asset - 1];
        out->tag = fl__str_get(&e->pool, as->name);
        out->tier = fl__str_get(&e->pool, as->tier);
        out->env = fl__str_get(&e->pool, as->env);
        fl_cidr_format(&as->cidr, out->asset_cidr, sizeof out->asset_cidr);
    }
    out->vpc = a.vpc ? fl__str_get(&e->pool, e->vpc_name[a.vpc - 1]) : NULL;
    if (a.cloud) {
        const struct fl__cloud_svc *s = &e->svcs.v[a.cloud - 1];
        out->cloud_service = fl__str_get(&e->pool, s->name);
        out->cloud_provider = s->provider == FL_RANGES_AWS ? "aws" : "azure";
    }
    for (size_t i = 0; i < e->n_intel && out->n_threats < FL_ENRICH_MAX_THREATS; i++)
        if (fl__rmap_get(&e->intel[i].map, ip))
            out->threats[out->n_threats++] = fl__str_get(&e->pool, e->intel[i].name);
    out->known_scanner = a.scanner;
    return FL_OK;
}

size_t fl_enricher_intel_stats(const fl_enricher *e, const struct fl_intel_load_stats **out)
{
    *out = e->intel_stats;
    return e->n_intel;
}

void fl_enricher_sources(const fl_enricher *e, struct fl_enrich_sources *out)
{
    memset(out, 0, sizeof *out);
    out->country = e->have_country;
    out->asn = e->have_asn;
    out->asn_ranges = e->asn_ranges;
    out->asset_ranges = fl__rmap_size(&e->assets);
    out->cloud_ranges = fl__rmap_size(&e->cloud);
    for (size_t i = 0; i < e->n_intel; i++)
        out->intel_entries += e->intel[i].st.entries;
    out->lookups = e->lookups;
    out->misses = e->misses;
    out->memo_hits = e->memo_hits;
}
