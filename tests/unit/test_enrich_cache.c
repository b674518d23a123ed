/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_enrich_cache.c - the enrichment's caches never change an answer.
 * Two enrichers over the same config: one with the text memo, the address
 * cache and the per-batch string references (the ingest path), one that
 * resolves every address from scratch (fl__enrich_set_uncached).  The same
 * batches go through both and every enrichment column must be equal, row by
 * row.  The input mixes asset-map, VPC, intel, ASN, provider-range, IPv6
 * and malformed addresses with groups built to collide: more addresses in
 * one cache set than it has ways (evictions, re-resolution) and several
 * texts on one memo slot; rows repeat addresses across batches so that memo
 * entries and string references from an earlier batch are met again.
 */
#include <stdlib.h>

#include "enrich/enrich_int.h"
#include "fl/fl_config.h"
#include "fl/fl_enrich.h"
#include "unit.h"
#include "enrich_base.h"

/* ---- the address pool ----------------------------------------------------- */

#define MAXA 512
static char pool[MAXA][48];
static size_t pool_len[MAXA];
static size_t n_pool;

static void add(const char *s, size_t n)
{
    if (n_pool < MAXA && n < sizeof pool[0]) {
        memcpy(pool[n_pool], s, n);
        pool_len[n_pool++] = n;
    }
}
static void adds(const char *s) { add(s, strlen(s)); }

static const char *const special[] = {
    "10.1.1.10", "10.1.1.200", "10.1.1.129", "10.1.2.7", "10.2.0.9", "10.9.0.1", "10.3.0.1",
    "45.33.32.156", "45.33.32.1", "185.220.101.44", "1.10.16.1", "8.8.8.8", "8.8.4.4",
    "1.0.0.1", "9.9.9.9", "52.217.3.4", "3.0.5.33", "3.0.5.40", "20.33.1.1", "13.64.0.1",
    "169.254.169.254", "127.0.0.1", "224.0.0.1", "100.64.1.1", "192.168.1.1", "0.0.0.0",
    "255.255.255.255", "fd00:1::5", "fd00:1:0:1::5", "2001:4860:4860::8888", "2600:1f18::9",
    "::1", "::ffff:10.1.1.10", "::ffff:8.8.8.8", "fe80::1", "not-an-ip", "1.2.3", "999.1.1.1",
    "-", "10.1.1.010", "2001:db8::1",
};

/* Candidates: every address of a few /16s with different enrichments. */
static void cand_text(unsigned i, char *buf, size_t cap)
{
    static const char *const net[] = {"10.1", "45.33", "8.8", "52.217"};
    snprintf(buf, cap, "%s.%u.%u", net[i >> 16], (i >> 8) & 255, i & 255);
}
#define N_CAND (4u << 16)

static size_t build_pool(void)
{
    n_pool = 0;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        adds(special[i]);
    adds("1.2.3.4");
    add("1.2.3.4\0", 8); /* same digits, one more byte: must not share a memo entry */
    /* the fullest cache set and the fullest memo slot among the candidates */
    uint32_t *cs = calloc(1u << 20, sizeof *cs), *ms = calloc(1u << 20, sizeof *ms);
    ASSERT(cs && ms);
    uint32_t *set_of = malloc(N_CAND * sizeof *set_of), *slot_of = malloc(N_CAND * sizeof *slot_of);
    ASSERT(set_of && slot_of);
    char t[48];
    uint32_t best_set = 0, best_slot = 0;
    for (unsigned i = 0; i < N_CAND; i++) {
        cand_text(i, t, sizeof t);
        struct fl_ip ip;
        ASSERT_EQ_INT(fl_ip_parse(t, strlen(t), &ip), FL_OK);
        set_of[i] = fl__enrich_cache_set(&ip);
        slot_of[i] = fl__enrich_memo_slot(t, strlen(t));
        ASSERT(set_of[i] < (1u << 20) && slot_of[i] < (1u << 20));
        if (++cs[set_of[i]] > cs[best_set])
            best_set = set_of[i];
        if (++ms[slot_of[i]] > ms[best_slot])
            best_slot = slot_of[i];
    }
    ASSERT(cs[best_set] >= 10);
    ASSERT(ms[best_slot] >= 8);
    size_t in_set = 0, in_slot = 0;
    for (unsigned i = 0; i < N_CAND; i++) {
        cand_text(i, t, sizeof t);
        if (set_of[i] == best_set && in_set < 20) {
            /* both spellings: the long one skips the memo, so each of its
             * rows probes the address cache */
            adds(t);
            char l[64];
            snprintf(l, sizeof l, "0:0:0:0:0:ffff:%s", t);
            adds(l);
            in_set += 2;
        } else if (slot_of[i] == best_slot && in_slot < 8) {
            adds(t);
            in_slot++;
        }
    }
    size_t n_collide = in_set + in_slot;
    /* and a spread of ordinary ones */
    for (unsigned i = 0; i < 200; i++) {
        cand_text((i * 2654435761u) % N_CAND, t, sizeof t);
        adds(t);
    }
    free(cs);
    free(ms);
    free(set_of);
    free(slot_of);
    return n_collide;
}

/* ---- batches ------------------------------------------------------------------ */

static uint64_t rng = 42;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33);
}

static void fill(struct fl_batch *b, uint64_t seed, uint32_t rows, size_t first_collide, size_t n_collide)
{
    rng = seed;
    fl_batch_reset(b);
    for (uint32_t i = 0; i < rows; i++) {
        int r = fl_batch_add_row(b);
        ASSERT(r >= 0);
        size_t s, d;
        uint32_t k = rnd() % 8;
        if (k < 3) { /* the colliding groups, back to back */
            s = first_collide + rnd() % n_collide;
            d = first_collide + rnd() % n_collide;
        } else {
            s = rnd() % n_pool;
            d = rnd() % n_pool;
        }
        if (rnd() % 4 == 0)
            d = s; /* a side repeated within the row */
        if (rnd() % 50 != 0)
            fl_set_str(b, FL_COL_SRCADDR, (uint32_t)r, pool[s], pool_len[s]);
        if (rnd() % 50 != 0)
            fl_set_str(b, FL_COL_DSTADDR, (uint32_t)r, pool[d], pool_len[d]);
        static const int protos[] = {6, 17, 1, 58, 47};
        if (rnd() % 20 != 0)
            fl_set_i64(b, FL_COL_PROTOCOL, (uint32_t)r, protos[rnd() % 5]);
        if (rnd() % 20 != 0)
            fl_set_i64(b, FL_COL_DSTPORT, (uint32_t)r, rnd() % 3 ? (int64_t)(rnd() % 1024) : (int64_t)(rnd() % 65536));
        if (rnd() % 5 == 0)
            fl_set_str(b, FL_COL_FLOW_DIRECTION, (uint32_t)r, rnd() % 2 ? "ingress" : "egress", rnd() % 2 ? 7 : 6);
        if (rnd() % 3 == 0)
            fl_set_str(b, FL_COL_INTERFACE_ID, (uint32_t)r, rnd() % 2 ? "eni-0aaa" : "eni-0bbb", 8);
        if (rnd() % 10 == 0)
            fl_set_str(b, FL_COL_PKT_DST_AWS_SERVICE, (uint32_t)r, "DYNAMODB", 8);
    }
}

static void same_cols(const struct fl_batch *a, const struct fl_batch *b, uint32_t r)
{
    for (int c = 0; c < FL_NCOLS; c++) {
        if (!(fl_fields[c].flags & FL_ENR) && c != FL_COL_FLOW_DIRECTION && c != FL_COL_DIRECTION_SOURCE)
            continue;
        int na = fl_is_null(a, c, r), nb = fl_is_null(b, c, r);
        if (na != nb)
            UNIT_FAIL("row %u: %s is %s cached, %s uncached", r, fl_fields[c].name,
                      na ? "NULL" : "set", nb ? "NULL" : "set");
        if (na)
            continue;
        if (fl_fields[c].type == FL_STR) {
            struct fl_str x = fl_get_str(a, c, r), y = fl_get_str(b, c, r);
            if (x.n != y.n || memcmp(x.p, y.p, x.n) != 0)
                UNIT_FAIL("row %u: %s = '%.*s' cached, '%.*s' uncached", r, fl_fields[c].name,
                          (int)x.n, x.p, (int)y.n, y.p);
        } else if (a->col[c].i[r] != b->col[c].i[r]) {
            UNIT_FAIL("row %u: %s = %lld cached, %lld uncached", r, fl_fields[c].name,
                      (long long)a->col[c].i[r], (long long)b->col[c].i[r]);
        }
    }
}

TEST(cache_equals_uncached)
{
    size_t first_collide = sizeof special / sizeof special[0] + 2;
    size_t n_collide = build_pool();
    ASSERT(n_collide >= 28);
    fl_config *c1, *c2;
    fl_enricher *cached = open_base(&c1), *plain = open_base(&c2);
    fl__enrich_set_uncached(plain, true);
    struct fl_batch *b1 = fl_batch_new(4096), *b2 = fl_batch_new(4096);
    ASSERT(b1 && b2);
    struct fl_error err;
    for (int round = 0; round < 8; round++) {
        uint64_t seed = 1000 + (uint64_t)(round % 5); /* rounds 5-7 repeat earlier batches */
        uint32_t rows = round == 3 ? 1 : 4000;
        fill(b1, seed, rows, first_collide, n_collide);
        fill(b2, seed, rows, first_collide, n_collide);
        ASSERT_EQ_INT(fl_enrich_batch(cached, b1, &err), FL_OK);
        ASSERT_EQ_INT(fl_enrich_batch(plain, b2, &err), FL_OK);
        ASSERT_EQ_INT(b1->n, b2->n);
        for (uint32_t r = 0; r < b1->n; r++)
            same_cols(b1, b2, r);
    }
    /* the caches were really used, and evictions really happened: the
     * colliding cache-set group alone is more than a set holds */
    struct fl_enrich_sources src;
    fl_enricher_sources(cached, &src);
    ASSERT(src.memo_hits > 10000);
    ASSERT(src.lookups > src.misses);
    ASSERT(src.misses > n_pool);
    /* single lookups agree too (through the cache, after all of the above) */
    for (size_t i = 0; i < n_pool; i++) {
        struct fl_ip ip;
        if (fl_ip_parse(pool[i], pool_len[i], &ip) != FL_OK)
            continue;
        struct fl_enrich_info x, y;
        ASSERT_EQ_INT(fl_enrich_lookup(cached, &ip, &x), FL_OK);
        ASSERT_EQ_INT(fl_enrich_lookup(plain, &ip, &y), FL_OK);
#define SAME(p, q) ((p) == NULL ? (q) == NULL : (q) != NULL && strcmp((p), (q)) == 0)
        if (x.scope != y.scope || x.internal != y.internal || x.asn != y.asn ||
            !SAME(x.as_org, y.as_org) || !SAME(x.tag, y.tag) || !SAME(x.vpc, y.vpc) ||
            !SAME(x.cloud_service, y.cloud_service) || x.n_threats != y.n_threats)
            UNIT_FAIL("lookup %.47s differs between cached and uncached", pool[i]);
    }
    fl_batch_free(b1);
    fl_batch_free(b2);
    fl_enricher_close(cached);
    fl_enricher_close(plain);
    fl_config_free(c1);
    fl_config_free(c2);
}

TEST(memo_key_lengths)
{
    /* texts differing only in length or in a trailing NUL get different
     * memo keys; the slot function rejects what the memo does not hold */
    ASSERT(fl__enrich_memo_slot("", 0) == UINT32_MAX);
    ASSERT(fl__enrich_memo_slot("1234567890abcdef", 16) == UINT32_MAX);
    ASSERT(fl__enrich_memo_slot("1.2.3.4", 7) < UINT32_MAX);
    /* same slot for the same text wherever it lies */
    char a[32] = "xx1.2.3.4", b[32] = "1.2.3.4";
    ASSERT_EQ_INT(fl__enrich_memo_slot(a + 2, 7), fl__enrich_memo_slot(b, 7));
}

TEST(rmap_two_runs_merge_equals_sort)
{
    /* Items in two sorted runs take the merge path, the same items in three
     * runs the sort path: both maps answer every probe alike. */
    struct fl__rmap_builder b2, b3;
    fl__rmap_builder_init(&b2, 0);
    fl__rmap_builder_init(&b3, 0);
    b2.keep = true; /* scratch reused across builds, as at open */
    struct fl__rmap m2, m3;
    for (int round = 0; round < 3; round++) {
        rng = 7 + (uint64_t)round;
        /* run A: nested IPv4 CIDRs in order; run B: overlapping ones, also
         * in order, starting below run A's end; plus one IPv6 prefix */
        struct fl_cidr c[400];
        size_t n = 0;
        for (int run = 0; run < 2; run++) {
            uint32_t base = run ? 0x0a000000u : 0x0a800000u;
            for (int i = 0; i < 190; i++) {
                uint32_t a = base + (uint32_t)i * 0x4000u + (rnd() % 4) * 0x400u;
                unsigned bits = 18 + rnd() % 14;
                memset(&c[n].ip, 0, sizeof c[n].ip);
                c[n].ip.b[10] = c[n].ip.b[11] = 0xff;
                c[n].ip.b[12] = (uint8_t)(a >> 24);
                c[n].ip.b[13] = (uint8_t)(a >> 16);
                c[n].ip.b[14] = (uint8_t)(a >> 8);
                c[n].ip.b[15] = (uint8_t)a;
                c[n].bits = (uint8_t)(96 + bits);
                uint32_t mask = bits ? ~0u << (32 - bits) : 0;
                a &= mask;
                c[n].ip.b[12] = (uint8_t)(a >> 24);
                c[n].ip.b[13] = (uint8_t)(a >> 16);
                c[n].ip.b[14] = (uint8_t)(a >> 8);
                c[n].ip.b[15] = (uint8_t)a;
                n++;
            }
        }
        ASSERT_EQ_INT(fl_cidr_parse("2001:db8::/32", 13, &c[n]), FL_OK);
        n++;
        /* b2: run A (second half of c) then run B (first half) in order
         * after sorting each run by address */
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                bool swap = (i < 190) == (j < 190) && memcmp(c[j].ip.b, c[i].ip.b, 16) < 0;
                if (swap) {
                    struct fl_cidr t = c[i];
                    c[i] = c[j];
                    c[j] = t;
                }
            }
        for (size_t i = 0; i < n; i++)
            ASSERT_EQ_INT(fl__rmap_add_cidr(&b2, &c[i], (uint32_t)i + 1, fl__prio_lpm(&c[i])), FL_OK);
        /* b3: the same items, order broken in several places */
        for (size_t i = 0; i < n; i++) {
            size_t k = (i * 7) % n;
            ASSERT_EQ_INT(fl__rmap_add_cidr(&b3, &c[k], (uint32_t)k + 1, fl__prio_lpm(&c[k])), FL_OK);
        }
        /* the premise: b2 holds exactly two sorted runs (the merge path),
         * b3 more (the sort path); the starts are distinct, so a descent in
         * lo is a break in the order */
        size_t d2 = 0, d3 = 0;
        for (size_t i = 1; i < b2.n; i++)
            d2 += b2.it[i - 1].lo > b2.it[i].lo;
        for (size_t i = 1; i < b3.n; i++)
            d3 += b3.it[i - 1].lo > b3.it[i].lo;
        ASSERT_EQ_INT(d2, 1);
        ASSERT(d3 >= 2);
        ASSERT_EQ_INT(fl__rmap_build(&b2, &m2), FL_OK);
        ASSERT_EQ_INT(fl__rmap_build(&b3, &m3), FL_OK);
        fl__rmap_builder_init(&b3, 0);
        for (uint32_t a = 0x09ff0000u; a < 0x0b010000u; a += 0x101u) {
            struct fl_ip ip = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, (uint8_t)(a >> 24),
                                (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a}};
            if (fl__rmap_get(&m2, &ip) != fl__rmap_get(&m3, &ip))
                UNIT_FAIL("round %d: %08x -> %u merged, %u sorted", round, a,
                          fl__rmap_get(&m2, &ip), fl__rmap_get(&m3, &ip));
        }
        struct fl_ip v6;
        ASSERT_EQ_INT(fl_ip_parse("2001:db8::1", 11, &v6), FL_OK);
        ASSERT(fl__rmap_get(&m2, &v6) != 0 && fl__rmap_get(&m2, &v6) == fl__rmap_get(&m3, &v6));
        fl__rmap_free(&m2);
        fl__rmap_free(&m3);
    }
    fl__rmap_builder_free(&b2);
    fl__rmap_builder_free(&b3);
}

UNIT_MAIN()
