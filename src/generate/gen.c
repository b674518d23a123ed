/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen.c - the shared core of `flowsift generate`: option defaults and
 * names, the PRNG, the topology (accounts, regions, VPCs, interfaces,
 * internal hosts, public peers), the format-neutral traffic model that every
 * format writer draws flow records from, the output sink (one reused text
 * buffer, optionally deflated into gzip members by zlib) and the "truth"
 * file (totals an ingest test can check against).
 *
 * The traffic model, per conversation (see docs/generate.md for figures):
 *  - 85% initiated by an internal interface (60% of those to a public peer,
 *    40% east-west to an internal host of the same region), 15% inbound from
 *    the internet (public-facing interfaces get service traffic that is
 *    accepted; the rest is scanning, rejected);
 *  - the reply is logged as a second record (ingress/egress swapped) for
 *    45% of accepted conversations, as AWS logs each direction;
 *  - protocol 84% TCP, 14% UDP, 2% ICMP; weighted service ports, ephemeral
 *    source ports; heavy-tailed (Pareto) packets and bytes;
 *  - interfaces and peers are Zipf-distributed talkers.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_int.h"

const char *const fl__gen_aws_regions[GEN_N_REGION_NAMES] = {
    "us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1", "ap-northeast-1"};
const char *const fl__gen_azure_regions[GEN_N_REGION_NAMES] = {
    "eastus", "westeurope", "westus2", "australiaeast", "germanywestcentral", "japaneast"};
const char *const fl__gen_gcp_regions[GEN_N_REGION_NAMES] = {
    "us-central1", "europe-west1", "us-west1", "australia-southeast1", "europe-west3",
    "asia-northeast1"};

void fl_gen_opts_init(struct fl_gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->records = 100000;
    o->day = fl_days_from_civil(2026, 11, 20);
    o->days = 1;
    o->accounts = 4;
    o->regions = 2;
    o->format = FL_GEN_AWS_V2;
    o->layout = FL_GEN_STREAM;
    o->gzip_level = 6;
}

static const struct {
    const char *name;
    int v;
} format_names[] = {
    {"aws-v2", FL_GEN_AWS_V2},     {"aws", FL_GEN_AWS_V2},
    {"default", FL_GEN_AWS_V2},    {"aws-v5", FL_GEN_AWS_V5},
    {"aws-custom", FL_GEN_AWS_CUSTOM}, {"aws-tgw", FL_GEN_AWS_TGW},
    {"tgw", FL_GEN_AWS_TGW},       {"azure-nsg", FL_GEN_AZURE_NSG},
    {"azure-vnet", FL_GEN_AZURE_VNET}, {"gcp", FL_GEN_GCP},
    {"gcp-vpc", FL_GEN_GCP},
}, layout_names[] = {
    {"stream", FL_GEN_STREAM}, {"s3", FL_GEN_S3},       {"s3-hive", FL_GEN_S3_HIVE},
    {"azure", FL_GEN_AZURE},   {"blob", FL_GEN_AZURE},  {"gcs", FL_GEN_GCS},
};

int fl_gen_format_parse(const char *s, enum fl_gen_format *out)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(format_names); i++)
        if (strcmp(s, format_names[i].name) == 0) {
            *out = (enum fl_gen_format)format_names[i].v;
            return FL_OK;
        }
    return FL_EINVAL;
}

int fl_gen_layout_parse(const char *s, enum fl_gen_layout *out)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(layout_names); i++)
        if (strcmp(s, layout_names[i].name) == 0) {
            *out = (enum fl_gen_layout)layout_names[i].v;
            return FL_OK;
        }
    return FL_EINVAL;
}

/* ---- PRNG ------------------------------------------------------------------ */
int fl__gen_kind_list(struct gen_ctx *c, const char *spec, const char *const *names, unsigned n,
                      const char *what, unsigned *kinds, unsigned *n_out)
{
    *n_out = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t len = (size_t)(e - p);
        bool all = len == 3 && memcmp(p, "all", 3) == 0, found = all;
        if (len == 4 && memcmp(p, "none", 4) == 0)
            found = true;
        for (unsigned k = 0; k < n; k++) {
            if (!all && (strlen(names[k]) != len || memcmp(names[k], p, len) != 0))
                continue;
            found = true;
            unsigned i = 0;
            while (i < *n_out && kinds[i] != k)
                i++;
            if (i == *n_out)
                kinds[(*n_out)++] = k;
        }
        if (!found) {
            char list[256];
            size_t o = 0;
            for (unsigned k = 0; k < n && o < sizeof list; k++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s, ", names[k]);
            return fl_error_set(c->err, FL_EINVAL, "generate: unknown %s '%.*s' (%sall, none)", what,
                                (int)len, p, o < sizeof list ? list : "");
        }
        p = *e ? e + 1 : e;
    }
    return FL_OK;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void fl__gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint32_t fl__gen_zipf(struct gen_rng *r, uint32_t n, double s)
{
    double u = gen_unit(r), x;
    if (n <= 1)
        return 0;
    if (s == 1.0)
        x = exp(u * log((double)n + 1.0));
    else {
        double a = 1.0 - s;
        x = pow(1.0 + u * (pow((double)n + 1.0, a) - 1.0), 1.0 / a);
    }
    uint32_t k = (uint32_t)x;
    k = k ? k - 1 : 0;
    return k < n ? k : n - 1;
}

unsigned fl__gen_pick(struct gen_rng *r, const double *cum, unsigned n)
{
    double u = gen_unit(r);
    for (unsigned i = 0; i + 1 < n; i++)
        if (u < cum[i])
            return i;
    return n - 1;
}

uint64_t fl__gen_split(uint64_t total, const double *cum, unsigned k)
{
    double hi = cum[k] >= 1.0 ? (double)total : floor((double)total * cum[k]);
    double lo = k == 0 ? 0.0 : floor((double)total * cum[k - 1]);
    return hi > lo ? (uint64_t)(hi - lo) : 0;
}

void fl__gen_diurnal(double cum[288])
{
    double acc = 0, w[288];
    for (int k = 0; k < 288; k++) {
        /* quiet at 03:00 UTC, busiest at 15:00 */
        w[k] = 1.0 + 0.6 * sin(2.0 * M_PI * ((double)k / 288.0 - 0.375));
        acc += w[k];
    }
    double run = 0;
    for (int k = 0; k < 288; k++) {
        run += w[k];
        cum[k] = run / acc;
    }
    cum[287] = 1.0;
}

/* ---- topology ---------------------------------------------------------------- */
static void hex_id(char *dst, const char *prefix, uint64_t h, unsigned digits)
{
    static const char hx[] = "0123456789abcdef";
    size_t n = strlen(prefix);
    memcpy(dst, prefix, n);
    for (unsigned i = 0; i < digits; i++) {
        if (i == 16)
            h = fl_hash64(h + 0x51);
        dst[n + i] = hx[(h >> ((i % 16) * 4)) & 15];
    }
    dst[n + digits] = 0;
}

static void guid(char *dst, uint64_t h1, uint64_t h2)
{
    static const char hx[] = "0123456789abcdef";
    int k = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            dst[k++] = '-';
        uint64_t h = i < 16 ? h1 : h2;
        dst[k++] = hx[(h >> ((i % 16) * 4)) & 15];
    }
    dst[k] = 0;
}

static uint8_t vpc_octet(unsigned acct, unsigned rgn, unsigned vpc)
{
    return (uint8_t)((acct * 8 + rgn * 2 + vpc) & 0xff);
}

int fl__gen_topology(struct gen_ctx *c)
{
    const struct fl_gen_opts *o = c->o;
    uint64_t seed = o->seed;
    c->n_accounts = o->accounts;
    c->acct = fl_calloc(c->n_accounts, sizeof *c->acct);
    FL_RETURN_IF(!c->acct, c->err, FL_ENOMEM, "generate: out of memory");
    /* Zipf shares of accounts: weight 1/(k+1). */
    double acc = 0;
    for (unsigned a = 0; a < c->n_accounts; a++)
        acc += 1.0 / (a + 1.0);
    double run = 0;
    for (unsigned a = 0; a < c->n_accounts; a++) {
        run += 1.0 / (a + 1.0) / acc;
        c->acct_cum[a] = run;
    }
    c->acct_cum[c->n_accounts - 1] = 1.0;
    unsigned hosts_per_acct = GEN_INTERNAL_HOSTS / c->n_accounts;
    if (hosts_per_acct < GEN_ENIS_PER_ACCOUNT * 2)
        hosts_per_acct = GEN_ENIS_PER_ACCOUNT * 2;
    for (unsigned a = 0; a < c->n_accounts; a++) {
        struct gen_account *A = &c->acct[a];
        uint64_t h = fl_hash64(seed * 0x9e3779b97f4a7c15ULL + a + 1);
        /* 12 digits, never a leading zero problem: keep them (AWS allows) */
        uint64_t num = 100000000000ULL + h % 899999999999ULL;
        fl__gen_fmt_u64(A->id, num);
        A->id[12] = 0;
        guid(A->sub, fl_hash64(h + 1), fl_hash64(h + 2));
        snprintf(A->project, sizeof A->project, "flow-project-%02u", a + 1);
        unsigned nr = o->regions;
        if (nr > GEN_MAX_REGIONS)
            nr = GEN_MAX_REGIONS;
        /* the first account uses all regions, others 1..nr */
        if (a > 0 && nr > 1)
            nr = 1 + (unsigned)(h >> 20) % nr;
        A->n_regions = nr;
        for (unsigned r = 0; r < nr; r++) {
            A->region[r] = (a + r * 2) % GEN_N_REGION_NAMES;
            if (r > 0 && A->region[r] == A->region[0])
                A->region[r] = (A->region[r] + 1) % GEN_N_REGION_NAMES;
            for (unsigned v = 0; v < GEN_VPCS_PER_REGION; v++)
                hex_id(A->vpc_id[r][v], "vpc-", fl_hash64(h + 100 + r * 8 + v), 17);
            hex_id(A->flow_log_id[r], "fl-", fl_hash64(h + 200 + r), 17);
            A->interval[r] = ((a + r) % 2) ? 60 : 600;
        }
        A->n_enis = GEN_ENIS_PER_ACCOUNT;
        A->n_hosts = hosts_per_acct;
        A->enis = fl_calloc(A->n_enis, sizeof *A->enis);
        FL_RETURN_IF(!A->enis, c->err, FL_ENOMEM, "generate: out of memory");
        /* ENIs by region: 70% in the first region, the rest spread */
        unsigned first = 0;
        for (unsigned r = 0; r < nr; r++) {
            A->eni_first[r] = first;
            unsigned cnt = nr == 1 ? A->n_enis
                           : r == 0 ? A->n_enis * 7 / 10
                                    : (A->n_enis - A->n_enis * 7 / 10) / (nr - 1);
            if (r == nr - 1)
                cnt = A->n_enis - first;
            first += cnt;
        }
        A->eni_first[nr] = A->n_enis;
        for (unsigned r = 0; r < nr; r++) {
            for (unsigned e = A->eni_first[r]; e < A->eni_first[r + 1]; e++) {
                struct gen_eni *E = &A->enis[e];
                uint64_t he = fl_hash64(h ^ ((uint64_t)(e + 1) << 20));
                E->region = (uint8_t)r;
                E->vpc = (uint8_t)(e % GEN_VPCS_PER_REGION);
                E->az = (uint8_t)((he >> 8) % 3);
                unsigned k = e - A->eni_first[r];
                E->public_facing = k < 24; /* the heaviest talkers (Zipf) */
                hex_id(E->id, "eni-", he, 17);
                hex_id(E->instance, "i-", fl_hash64(he + 7), 17);
                hex_id(E->subnet, "subnet-", fl_hash64(h + 300 + r * 16 + E->vpc * 4 + E->az), 17);
                snprintf(E->mac, sizeof E->mac, "000D3A%02X%02X%02X",
                         (unsigned)(he >> 40) & 0xff, (unsigned)(he >> 48) & 0xff,
                         (unsigned)(e & 0xff));
                /* 10.<vpc>.<subnet block>.<host> */
                E->ip4 = (10u << 24) | ((uint32_t)vpc_octet(a, r, E->vpc) << 16) |
                         ((uint32_t)(E->az * 16 + 1 + (k / 250)) << 8) |
                         (uint32_t)(4 + k % 250);
            }
        }
    }
    return FL_OK;
}

void fl__gen_topology_free(struct gen_ctx *c)
{
    if (!c->acct)
        return;
    for (unsigned a = 0; a < c->n_accounts; a++)
        fl_free(c->acct[a].enis);
    fl_free(c->acct);
    c->acct = NULL;
}

/* ---- the traffic model ------------------------------------------------------ */
static void put_v4(uint8_t *d, uint32_t ip)
{
    d[0] = (uint8_t)(ip >> 24);
    d[1] = (uint8_t)(ip >> 16);
    d[2] = (uint8_t)(ip >> 8);
    d[3] = (uint8_t)ip;
}

/* First octets of public IPv4 space used for peers (no private, CGNAT,
 * loopback, link-local, multicast or documentation ranges). */
static const uint8_t public_octets[] = {
    3,   4,   8,   13,  18,  20,  23,  31,  34,  35,  37,  40,  45,  46,  50,
    51,  52,  54,  62,  64,  66,  69,  72,  74,  77,  78,  81,  82,  85,  88,
    91,  93,  95,  98,  104, 107, 108, 109, 128, 130, 138, 141, 142, 146, 147,
    151, 152, 155, 157, 159, 162, 164, 167, 170, 176, 178, 180, 185, 188, 193,
    194, 195, 196, 197, 199, 200, 202, 204, 205, 207, 208, 209, 212, 213, 217};

static void public_peer(struct gen_ctx *c, uint32_t rank, int v6, uint8_t *d)
{
    uint64_t h = fl_hash64((c->o->seed << 24) ^ (0x5eedULL << 48) ^ rank);
    if (!v6) {
        d[0] = public_octets[h % sizeof public_octets];
        d[1] = (uint8_t)(h >> 16);
        d[2] = (uint8_t)(h >> 24);
        d[3] = (uint8_t)(1 + (h >> 32) % 254);
        return;
    }
    /* 2a0X:XXXX:XXXX:XXXX::XXXX with non-zero groups (canonical text) */
    uint16_t g[8] = {(uint16_t)(0x2a00 | ((h >> 4) & 0xf)),
                     (uint16_t)(0x1000 | ((h >> 8) & 0x0fff)),
                     (uint16_t)(0x100 | ((h >> 20) & 0xfff)),
                     (uint16_t)(1 + ((h >> 32) & 0x7fff)),
                     0, 0, 0,
                     (uint16_t)(1 + ((h >> 48) & 0x7fff))};
    for (int i = 0; i < 8; i++) {
        d[2 * i] = (uint8_t)(g[i] >> 8);
        d[2 * i + 1] = (uint8_t)g[i];
    }
}

static void eni_v6(unsigned acct, const struct gen_eni *e, uint8_t *d)
{
    uint16_t g[8] = {0x2600, 0x1f18, (uint16_t)(0x100 + acct), (uint16_t)(0x10 + e->vpc + e->region * 4),
                     0, 0, 0, (uint16_t)(1 + (e->ip4 & 0x7fff))};
    for (int i = 0; i < 8; i++) {
        d[2 * i] = (uint8_t)(g[i] >> 8);
        d[2 * i + 1] = (uint8_t)g[i];
    }
}

/* An internal host of (acct, region): the first ones are the ENIs. */
static uint32_t internal_host(struct gen_ctx *c, unsigned acct, unsigned rgn, uint32_t k,
                              unsigned *vpc_out, int *is_eni)
{
    const struct gen_account *A = &c->acct[acct];
    unsigned n_e = A->eni_first[rgn + 1] - A->eni_first[rgn];
    if (k < n_e) {
        const struct gen_eni *E = &A->enis[A->eni_first[rgn] + k];
        *vpc_out = E->vpc;
        *is_eni = 1;
        return E->ip4;
    }
    uint64_t h = fl_hash64((c->o->seed << 20) ^ ((uint64_t)acct << 40) ^ ((uint64_t)rgn << 36) ^ k);
    unsigned vpc = (unsigned)(h & 1);
    *vpc_out = vpc;
    *is_eni = 0;
    return (10u << 24) | ((uint32_t)vpc_octet(acct, rgn, vpc) << 16) |
           ((uint32_t)(64 + (h >> 8) % 180) << 8) | (uint32_t)(1 + (h >> 24) % 254);
}

struct port_w {
    uint16_t port;
    uint16_t w; /* weight in 1/1000 */
};
static const struct port_w tcp_out[] = {{443, 620}, {80, 180}, {8443, 30}, {22, 20},
                                        {993, 10},  {587, 10}, {5222, 10}, {3389, 5},
                                        {9418, 5},  {0, 110}};
static const struct port_w udp_out[] = {{53, 550}, {123, 100}, {443, 250}, {500, 15},
                                        {4500, 15}, {3478, 40}, {0, 30}};
static const struct port_w tcp_ew[] = {{443, 250}, {5432, 120}, {3306, 100}, {6379, 100},
                                       {8080, 120}, {9200, 50},  {27017, 40}, {22, 40},
                                       {2049, 40},  {9092, 60},  {8443, 40},  {11211, 40}};
static const struct port_w udp_ew[] = {{53, 600}, {123, 100}, {8125, 200}, {514, 100}};
static const struct port_w tcp_scan[] = {{22, 300}, {3389, 200}, {23, 100}, {445, 100},
                                         {1433, 50}, {3306, 50},  {5900, 50}, {8080, 50},
                                         {0, 100}};
static const struct port_w udp_scan[] = {{53, 200}, {123, 200}, {161, 200}, {1900, 200}, {0, 200}};

static uint16_t pick_port(struct gen_rng *r, const struct port_w *t, size_t n)
{
    uint32_t u = gen_below(r, 1000), acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += t[i].w;
        if (u < acc)
            return t[i].port ? t[i].port : (uint16_t)(1024 + gen_below(r, 64000));
    }
    return t[n - 1].port ? t[n - 1].port : (uint16_t)(1024 + gen_below(r, 64000));
}
#define PICK_PORT(r, t) pick_port((r), (t), FL_ARRAY_LEN(t))

static uint16_t ephemeral(struct gen_rng *r)
{
    /* Linux (32768-60999) or Windows (49152-65535) ranges */
    return gen_below(r, 4) ? (uint16_t)(32768 + gen_below(r, 28232))
                           : (uint16_t)(49152 + gen_below(r, 16384));
}

/* Pareto packets: heavy tail, median ~2, capped at 250 000. */
static uint64_t pareto_packets(struct gen_rng *r)
{
    double u = gen_unit(r);
    double x = pow(1.0 - u, -1.0 / 1.15);
    if (x > 250000.0)
        x = 250000.0;
    return (uint64_t)x;
}

void fl__gen_flow(struct gen_ctx *c, unsigned acct, unsigned rgn, int64_t w0,
                  unsigned wlen, int allow_nodata, struct gen_flow *f)
{
    struct gen_rng *r = &c->rng;
    if (c->has_pending) {
        *f = c->pending;
        c->has_pending = 0;
        return;
    }
    memset(f, 0, sizeof *f);
    const struct gen_account *A = &c->acct[acct];
    f->acct = acct;
    f->rgn = rgn;
    unsigned n_e = A->eni_first[rgn + 1] - A->eni_first[rgn];
    f->eni = c->force_eni >= 0 ? (unsigned)c->force_eni
                               : A->eni_first[rgn] + fl__gen_zipf(r, n_e, 0.9);
    const struct gen_eni *E = &A->enis[f->eni];
    unsigned interval = A->interval[rgn];
    int64_t end = w0 + gen_below(r, wlen);
    f->end = end;
    if (allow_nodata && gen_below(r, 10000) < 70) {
        /* SKIPDATA (capacity errors) only on the few overloaded interfaces,
         * one in 16 (60% of their health rows); elsewhere the row is NODATA */
        f->status = gen_below(r, 10) < 4 || fl_hash64(f->eni * 0x9e37ULL + acct + 0x5d) % 16 ? 1 : 2;
        f->start = end - interval + 1;
        return;
    }
    uint32_t dur = gen_below(r, interval);
    f->start = end - dur;
    uint32_t pu = gen_below(r, 1000);
    f->proto = pu < 840 ? 6 : pu < 980 ? 17 : 1;
    uint32_t ku = gen_below(r, 1000);
    int kind = ku < 510 ? 0 : ku < 850 ? 1 : 2; /* out-internet, east-west, inbound */
    int v6 = kind != 1 && gen_below(r, 1000) < 30;
    f->v6 = (uint8_t)v6;
    if (v6 && f->proto == 1)
        f->proto = 58;
    uint8_t me[16] = {0}, peer[16] = {0};
    if (v6)
        eni_v6(acct, E, me);
    else
        put_v4(me, E->ip4);
    uint16_t svc = 0;
    int reject = 0, probe = 0;
    if (kind == 1) {
        uint32_t k = fl__gen_zipf(r, A->n_hosts, 1.0);
        unsigned pv;
        int is_eni;
        put_v4(peer, internal_host(c, acct, rgn, k, &pv, &is_eni));
        f->peer_vpc = pv;
        f->peer_eni = (uint8_t)is_eni;
        f->peer_public = 0;
        svc = f->proto == 6 ? PICK_PORT(r, tcp_ew) : f->proto == 17 ? PICK_PORT(r, udp_ew) : 0;
        reject = gen_below(r, 1000) < 8;
    } else {
        public_peer(c, fl__gen_zipf(r, GEN_PUBLIC_PEERS, 1.0), v6, peer);
        f->peer_public = 1;
        if (kind == 0) {
            svc = f->proto == 6 ? PICK_PORT(r, tcp_out) : f->proto == 17 ? PICK_PORT(r, udp_out) : 0;
            reject = gen_below(r, 1000) < 8;
        } else {
            int scan = gen_below(r, 1000) < (E->public_facing ? 300u : 380u);
            if (scan) {
                svc = f->proto == 6 ? PICK_PORT(r, tcp_scan) : f->proto == 17 ? PICK_PORT(r, udp_scan) : 0;
                reject = gen_below(r, 100) < 95;
                probe = 1;
            } else {
                svc = f->proto == 17 ? 443 : (gen_below(r, 4) ? 443 : 80);
            }
        }
    }
    uint16_t eph = f->proto == 6 || f->proto == 17 ? ephemeral(r) : 0;
    if (kind == 2) { /* peer -> me */
        memcpy(f->src, peer, 16);
        memcpy(f->dst, me, 16);
        f->sport = eph;
        f->dport = svc;
        f->egress = 0;
    } else {
        memcpy(f->src, me, 16);
        memcpy(f->dst, peer, 16);
        f->sport = eph;
        f->dport = svc;
        f->egress = 1;
        f->traffic_path = f->peer_public ? (gen_below(r, 2) ? 8 : 2) : (f->peer_vpc == E->vpc ? 1 : 4);
    }
    if (f->proto == 1 || f->proto == 58) {
        f->sport = 0;
        f->dport = 0;
    }
    f->action = (uint8_t)reject;
    uint64_t pk, by, pk2 = 0, by2 = 0;
    if (reject) {
        pk = 1 + gen_below(r, 3);
        by = pk * (40 + gen_below(r, 40));
        f->tcp_flags = f->proto == 6 ? 2 : 0;
    } else if (f->proto == 1 || f->proto == 58) {
        pk = 1 + gen_below(r, 10);
        by = pk * 84;
        pk2 = pk;
        by2 = by;
    } else if (f->proto == 17 && (f->dport == 53 || f->dport == 123)) {
        pk = 1 + gen_below(r, 2);
        by = pk * (60 + gen_below(r, 60));
        pk2 = pk;
        by2 = pk * (80 + gen_below(r, 400));
    } else {
        pk = pareto_packets(r);
        by = pk * (52 + gen_below(r, 400));
        pk2 = pk + pk * gen_below(r, 100) / 100;
        if (pk2 == 0)
            pk2 = 1;
        by2 = pk2 * (200 + gen_below(r, 1300));
        static const uint8_t fwd_flags[] = {3, 3, 3, 2, 1, 0, 19, 3};
        if (f->proto == 6)
            f->tcp_flags = fwd_flags[gen_below(r, 8)];
        if (probe) { /* an accepted scanner probe: a handshake, no session */
            pk = 1 + pk % 3;
            by = pk * (40 + by % 40);
            pk2 = 1;
            by2 = 40 + by2 % 20;
        }
    }
    f->packets = pk;
    f->bytes = by;
    if (!reject && gen_below(r, 100) < 45) {
        struct gen_flow *p = &c->pending;
        *p = *f;
        memcpy(p->src, f->dst, 16);
        memcpy(p->dst, f->src, 16);
        p->sport = f->dport;
        p->dport = f->sport;
        p->egress = !f->egress;
        p->traffic_path = p->egress ? (f->peer_public ? 8 : (f->peer_vpc == E->vpc ? 1 : 4)) : 0;
        if (!p->egress)
            p->traffic_path = 0;
        p->packets = pk2;
        p->bytes = by2;
        p->tcp_flags = f->proto == 6 ? (gen_below(r, 3) ? 19 : 18) : 0;
        p->start = f->start + gen_below(r, 2);
        p->end = f->end + gen_below(r, 3);
        if (p->end >= w0 + (int64_t)wlen) /* the reply stays in the window */
            p->end = w0 + (int64_t)wlen - 1;
        if (p->start > p->end)
            p->start = p->end;
        if (p->end - p->start >= (int64_t)interval)
            p->start = p->end - (int64_t)interval + 1;
        if (p->end < p->start)
            p->end = p->start;
        c->has_pending = 1;
    }
}

/* ---- truth --------------------------------------------------------------- */
struct gen_pair {
    uint8_t k[33];   /* src(16) dst(16) v6 */
    uint8_t used;
    uint64_t bytes;
};
#define GEN_PAIR_CAP (1u << 20)

void fl__gen_truth_pair(struct gen_ctx *c, const uint8_t *src, const uint8_t *dst,
                        int v6, uint64_t bytes)
{
    if (!c->o->truth || c->pairs_overflow)
        return;
    if (!c->pairs) {
        c->pair_cap = GEN_PAIR_CAP;
        c->pairs = fl_calloc(c->pair_cap, sizeof *c->pairs);
        if (!c->pairs) {
            c->pairs_overflow = 1;
            return;
        }
    }
    uint8_t k[33];
    memcpy(k, src, 16);
    memcpy(k + 16, dst, 16);
    k[32] = (uint8_t)v6;
    size_t i = fl_hash_bytes(k, 33, 7) & (c->pair_cap - 1);
    for (;;) {
        struct gen_pair *p = &c->pairs[i];
        if (!p->used) {
            if (c->n_pairs * 10 >= c->pair_cap * 7) {
                c->pairs_overflow = 1;
                return;
            }
            memcpy(p->k, k, 33);
            p->used = 1;
            p->bytes = bytes;
            c->n_pairs++;
            return;
        }
        if (memcmp(p->k, k, 33) == 0) {
            p->bytes += bytes;
            return;
        }
        i = (i + 1) & (c->pair_cap - 1);
    }
}

static int pair_cmp(const void *a, const void *b)
{
    const struct gen_pair *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return memcmp(x->k, y->k, 33);
}

int fl__gen_truth_write(struct gen_ctx *c, const char *format_name)
{
    const char *path = c->o->truth;
    if (!path)
        return FL_OK;
    FL_TRY(fl__gen_mkdirs(path, c->err));
    FILE *f = fopen(path, "w");
    if (!f)
        return fl_error_sys(c->err, FL_EIO, errno, "generate: cannot write %s", path);
    const struct fl_gen_totals *t = &c->tot;
    fprintf(f, "{\"format\":\"%s\",\"seed\":%llu,\"records\":%llu,\"objects\":%llu,"
               "\"nodata\":%llu,\"skipdata\":%llu,\"accept\":%llu,\"reject\":%llu,"
               "\"packets\":%llu,\"bytes\":%llu,\"packets_rev\":%llu,\"bytes_rev\":%llu,"
               "\"flows_b\":%llu,\"updates_ce\":%llu,\"denies_d\":%llu,\"accounts\":[",
            format_name, (unsigned long long)c->o->seed, (unsigned long long)t->records,
            (unsigned long long)t->objects, (unsigned long long)t->nodata,
            (unsigned long long)t->skipdata, (unsigned long long)t->accept,
            (unsigned long long)t->reject, (unsigned long long)t->packets,
            (unsigned long long)t->bytes, (unsigned long long)c->packets_rev,
            (unsigned long long)c->bytes_rev, (unsigned long long)c->flows_b,
            (unsigned long long)c->updates_ce, (unsigned long long)c->denies_d);
    for (unsigned a = 0; a < c->n_accounts; a++) {
        const char *id = c->o->format == FL_GEN_AZURE_NSG || c->o->format == FL_GEN_AZURE_VNET
                             ? c->acct[a].sub
                         : c->o->format == FL_GEN_GCP ? c->acct[a].project
                                                      : c->acct[a].id;
        fprintf(f, "%s{\"account\":\"%s\",\"records\":%llu,\"packets\":%llu,\"bytes\":%llu}",
                a ? "," : "", id, (unsigned long long)c->acct_records[a],
                (unsigned long long)c->acct_packets[a], (unsigned long long)c->acct_bytes[a]);
    }
    fputc(']', f);
    if (c->n_inc)
        fl__gen_incidents_truth(c, f);
    if (c->benign_mask) {
        const char *ids[GEN_MAX_ACCOUNTS];
        for (unsigned a = 0; a < c->n_accounts; a++)
            ids[a] = c->o->format == FL_GEN_AZURE_NSG || c->o->format == FL_GEN_AZURE_VNET
                         ? c->acct[a].sub
                     : c->o->format == FL_GEN_GCP ? c->acct[a].project
                                                  : c->acct[a].id;
        fl__gen_benign_truth(c, f, ids);
    }
    fputs(",\"top_talkers\":", f);
    if (c->pairs_overflow || !c->pairs) {
        fputs(c->pairs_overflow ? "null" : "[]", f);
    } else {
        /* compact the table and sort by bytes desc, then key */
        size_t n = 0;
        for (size_t i = 0; i < c->pair_cap; i++)
            if (c->pairs[i].used)
                c->pairs[n++] = c->pairs[i];
        qsort(c->pairs, n, sizeof *c->pairs, pair_cmp);
        fputc('[', f);
        for (size_t i = 0; i < n && i < 25; i++) {
            char s[64], d[64];
            s[fl__gen_fmt_ip(s, c->pairs[i].k, c->pairs[i].k[32])] = 0;
            d[fl__gen_fmt_ip(d, c->pairs[i].k + 16, c->pairs[i].k[32])] = 0;
            fprintf(f, "%s{\"srcaddr\":\"%s\",\"dstaddr\":\"%s\",\"bytes\":%llu}", i ? "," : "",
                    s, d, (unsigned long long)c->pairs[i].bytes);
        }
        fputc(']', f);
        c->pair_cap = 0; /* the table is no longer a hash table */
    }
    fprintf(f, ",\"distinct_pairs\":%llu}\n",
            c->pairs_overflow ? 0ULL : (unsigned long long)c->n_pairs);
    if (fclose(f) != 0)
        return fl_error_sys(c->err, FL_EIO, errno, "generate: cannot write %s", path);
    return FL_OK;
}

/* ---- formatting --------------------------------------------------------- */
static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";

size_t fl__gen_fmt_u64(char *p, uint64_t v)
{
    char tmp[24];
    int i = 24;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        tmp[--i] = digits2[d + 1];
        tmp[--i] = digits2[d];
    }
    if (v >= 10) {
        tmp[--i] = digits2[v * 2 + 1];
        tmp[--i] = digits2[v * 2];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    size_t n = (size_t)(24 - i);
    memcpy(p, tmp + i, n);
    return n;
}

static size_t fmt_u8(char *p, unsigned v)
{
    if (v >= 100) {
        p[0] = (char)('0' + v / 100);
        p[1] = digits2[(v % 100) * 2];
        p[2] = digits2[(v % 100) * 2 + 1];
        return 3;
    }
    if (v >= 10) {
        p[0] = digits2[v * 2];
        p[1] = digits2[v * 2 + 1];
        return 2;
    }
    p[0] = (char)('0' + v);
    return 1;
}

size_t fl__gen_fmt_ip(char *p, const uint8_t *a, int v6)
{
    if (!v6) {
        size_t n = fmt_u8(p, a[0]);
        p[n++] = '.';
        n += fmt_u8(p + n, a[1]);
        p[n++] = '.';
        n += fmt_u8(p + n, a[2]);
        p[n++] = '.';
        n += fmt_u8(p + n, a[3]);
        return n;
    }
    /* RFC 5952: lower-case hex, no leading zeros, longest zero run (>= 2) as :: */
    static const char hx[] = "0123456789abcdef";
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    int best = -1, bestn = 0;
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > bestn && j - i >= 2) {
            best = i;
            bestn = j - i;
        }
        i = j;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            p[n++] = ':';
            if (i == 0)
                p[n++] = ':';
            i += bestn - 1;
            continue;
        }
        int started = 0;
        for (int s = 12; s >= 0; s -= 4) {
            unsigned d = (g[i] >> s) & 15;
            if (d || started || s == 0) {
                p[n++] = hx[d];
                started = 1;
            }
        }
        if (i < 7)
            p[n++] = ':';
    }
    return n;
}

void fl__gen_ymdh(int64_t t, unsigned *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sod = t - days * 86400;
    int64_t yy;
    fl_civil_from_days(days, &yy, mo, d);
    *y = (unsigned)yy;
    if (h)
        *h = (unsigned)(sod / 3600);
    if (mi)
        *mi = (unsigned)(sod % 3600 / 60);
}

size_t fl__gen_fmt_time(char *p, int64_t sec, uint32_t nsec, int frac)
{
    unsigned y, mo, d, h, mi;
    fl__gen_ymdh(sec, &y, &mo, &d, &h, &mi);
    unsigned s = (unsigned)(((sec % 60) + 60) % 60);
    size_t n = fl__gen_fmt_u64(p, y);
    p[n++] = '-';
    p[n++] = digits2[mo * 2];
    p[n++] = digits2[mo * 2 + 1];
    p[n++] = '-';
    p[n++] = digits2[d * 2];
    p[n++] = digits2[d * 2 + 1];
    p[n++] = 'T';
    p[n++] = digits2[h * 2];
    p[n++] = digits2[h * 2 + 1];
    p[n++] = ':';
    p[n++] = digits2[mi * 2];
    p[n++] = digits2[mi * 2 + 1];
    p[n++] = ':';
    p[n++] = digits2[s * 2];
    p[n++] = digits2[s * 2 + 1];
    if (frac > 0) {
        p[n++] = '.';
        char f9[9];
        uint32_t v = nsec;
        for (int i = 8; i >= 0; i--) {
            f9[i] = (char)('0' + v % 10);
            v /= 10;
        }
        memcpy(p + n, f9, (size_t)(frac > 9 ? 9 : frac));
        n += (size_t)(frac > 9 ? 9 : frac);
    }
    p[n++] = 'Z';
    return n;
}

/* ---- files -------------------------------------------------------------- */
int fl__gen_mkdirs(const char *path, struct fl_error *err)
{
    char tmp[4096];
    size_t n = strlen(path);
    FL_RETURN_IF(n >= sizeof tmp, err, FL_EINVAL, "generate: path too long: %s", path);
    memcpy(tmp, path, n + 1);
    char *slash = strrchr(tmp, '/');
    if (!slash || slash == tmp)
        return FL_OK;
    *slash = 0;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return fl_error_sys(err, FL_EIO, errno, "generate: cannot create %s", tmp);
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return fl_error_sys(err, FL_EIO, errno, "generate: cannot create %s", tmp);
    return FL_OK;
}

int fl__gen_sink_init(struct gen_sink *s, struct gen_ctx *c)
{
    memset(s, 0, sizeof *s);
    s->cap = GEN_SINK_BUF;
    s->buf = fl_malloc(s->cap);
    s->zcap = GEN_SINK_BUF;
    s->zbuf = fl_malloc(s->zcap);
    s->tot = &c->tot;
    s->err = c->err;
    s->member_bytes = c->o->gzip_member_bytes;
    if (!s->buf || !s->zbuf) {
        fl__gen_sink_free(s);
        return fl_error_set(c->err, FL_ENOMEM, "generate: out of memory");
    }
    if (c->o->gzip) {
        int lvl = c->o->gzip_level < 1 || c->o->gzip_level > 9 ? 6 : c->o->gzip_level;
        if (deflateInit2(&s->z, lvl, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            fl__gen_sink_free(s);
            return fl_error_set(c->err, FL_ENOMEM, "generate: deflateInit2 failed");
        }
        s->z_ready = 1;
    }
    return FL_OK;
}

void fl__gen_sink_free(struct gen_sink *s)
{
    if (s->f && !s->is_stdout) {
        fclose(s->f);
        unlink(s->tmp);
    }
    s->f = NULL;
    if (s->z_ready)
        deflateEnd(&s->z);
    s->z_ready = 0;
    fl_free(s->buf);
    fl_free(s->zbuf);
    s->buf = NULL;
    s->zbuf = NULL;
}

int fl__gen_sink_open(struct gen_sink *s, const char *path, int gz)
{
    s->len = 0;
    s->in_member = 0;
    s->gz = gz;
    if (gz && !s->z_ready)
        return fl_error_set(s->err, FL_EINTERNAL, "generate: gzip sink not initialized");
    if (gz)
        deflateReset(&s->z);
    if (!path || strcmp(path, "-") == 0) {
        s->f = stdout;
        s->is_stdout = 1;
        s->path[0] = 0;
        return FL_OK;
    }
    s->is_stdout = 0;
    size_t n = strlen(path);
    FL_RETURN_IF(n >= sizeof s->path, s->err, FL_EINVAL, "generate: path too long");
    memcpy(s->path, path, n + 1);
    FL_TRY(fl__gen_mkdirs(path, s->err));
    const char *base = strrchr(path, '/');
    size_t dirlen = base ? (size_t)(base - path + 1) : 0;
    snprintf(s->tmp, sizeof s->tmp, "%.*s.%s.tmp", (int)dirlen, path, base ? base + 1 : path);
    s->f = fopen(s->tmp, "wb");
    if (!s->f)
        return fl_error_sys(s->err, FL_EIO, errno, "generate: cannot write %s", path);
    return FL_OK;
}

static int write_out(struct gen_sink *s, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, s->f) != n)
        return fl_error_sys(s->err, FL_EIO, errno, "generate: write failed on %s",
                            s->path[0] ? s->path : "stdout");
    s->tot->bytes_out += n;
    return FL_OK;
}

static int deflate_run(struct gen_sink *s, int flush)
{
    s->z.next_in = (unsigned char *)s->buf;
    s->z.avail_in = (uInt)s->len;
    for (;;) {
        s->z.next_out = s->zbuf;
        s->z.avail_out = (uInt)s->zcap;
        int zr = deflate(&s->z, flush);
        if (zr == Z_STREAM_ERROR)
            return fl_error_set(s->err, FL_EINTERNAL, "generate: deflate failed");
        FL_TRY(write_out(s, s->zbuf, s->zcap - s->z.avail_out));
        if (flush == Z_FINISH ? zr == Z_STREAM_END : (s->z.avail_in == 0 && s->z.avail_out != 0))
            break;
    }
    return FL_OK;
}

int fl__gen_sink_flush(struct gen_sink *s)
{
    s->tot->text_bytes += s->len;
    if (!s->gz) {
        FL_TRY(write_out(s, s->buf, s->len));
        s->len = 0;
        return FL_OK;
    }
    s->in_member += s->len;
    int finish = s->member_bytes && s->in_member >= s->member_bytes;
    FL_TRY(deflate_run(s, finish ? Z_FINISH : Z_NO_FLUSH));
    s->len = 0;
    if (finish) {
        deflateReset(&s->z);
        s->in_member = 0;
    }
    return FL_OK;
}

int fl__gen_sink_close(struct gen_sink *s)
{
    int rc = FL_OK;
    s->tot->text_bytes += s->len;
    if (s->gz) {
        if (s->len || s->in_member || !s->member_bytes)
            rc = deflate_run(s, Z_FINISH);
    } else {
        rc = write_out(s, s->buf, s->len);
    }
    s->len = 0;
    s->in_member = 0;
    if (s->is_stdout) {
        if (fflush(stdout) != 0 && rc == FL_OK)
            rc = fl_error_sys(s->err, FL_EIO, errno, "generate: write failed on stdout");
        s->f = NULL;
        s->tot->objects++;
        return rc;
    }
    if (fclose(s->f) != 0 && rc == FL_OK)
        rc = fl_error_sys(s->err, FL_EIO, errno, "generate: write failed on %s", s->path);
    s->f = NULL;
    if (rc == FL_OK && rename(s->tmp, s->path) != 0)
        rc = fl_error_sys(s->err, FL_EIO, errno, "generate: cannot rename %s", s->tmp);
    if (rc != FL_OK)
        unlink(s->tmp);
    else
        s->tot->objects++;
    return rc;
}

/* ---- entry point ------------------------------------------------------- */
int fl_generate(const struct fl_gen_opts *opts, struct fl_gen_totals *totals_out,
                struct fl_error *err)
{
    if (totals_out)
        memset(totals_out, 0, sizeof *totals_out);
    FL_RETURN_IF(!opts, err, FL_EINVAL, "generate: no options");
    FL_RETURN_IF(opts->accounts < 1 || opts->accounts > GEN_MAX_ACCOUNTS, err, FL_EINVAL,
                 "generate: --accounts must be 1..%d", GEN_MAX_ACCOUNTS);
    FL_RETURN_IF(opts->regions < 1, err, FL_EINVAL, "generate: --regions must be >= 1");
    FL_RETURN_IF(opts->days < 1 || opts->days > 3660, err, FL_EINVAL,
                 "generate: --days must be 1..3660");
    FL_RETURN_IF(opts->gzip_level < 0 || opts->gzip_level > 9, err, FL_EINVAL,
                 "generate: --gzip-level must be 1..9");
    int aws = opts->format <= FL_GEN_AWS_TGW;
    int azure = opts->format == FL_GEN_AZURE_NSG || opts->format == FL_GEN_AZURE_VNET;
    int gcp = opts->format == FL_GEN_GCP;
    FL_RETURN_IF(opts->format == FL_GEN_AWS_CUSTOM && !opts->aws_format, err, FL_EINVAL,
                 "generate: --format aws-custom needs --aws-format");
    FL_RETURN_IF(aws && (opts->layout == FL_GEN_AZURE || opts->layout == FL_GEN_GCS), err,
                 FL_EINVAL, "generate: AWS formats use --layout stream, s3 or s3-hive");
    FL_RETURN_IF(azure && opts->layout != FL_GEN_AZURE && opts->layout != FL_GEN_STREAM, err,
                 FL_EINVAL, "generate: Azure formats use --layout azure or stream");
    FL_RETURN_IF(gcp && opts->layout != FL_GEN_GCS && opts->layout != FL_GEN_STREAM, err,
                 FL_EINVAL, "generate: GCP uses --layout gcs or stream");
    FL_RETURN_IF(opts->layout != FL_GEN_STREAM && (!opts->out || strcmp(opts->out, "-") == 0),
                 err, FL_EINVAL, "generate: --layout %s needs --out FOLDER",
                 opts->layout == FL_GEN_S3        ? "s3"
                 : opts->layout == FL_GEN_S3_HIVE ? "s3-hive"
                 : opts->layout == FL_GEN_AZURE   ? "azure"
                                                  : "gcs");
    FL_RETURN_IF(opts->grow_steps && (!azure || opts->layout != FL_GEN_AZURE), err, FL_EINVAL,
                 "generate: --grow-steps applies to Azure formats with --layout azure");
    FL_RETURN_IF(opts->gzip && !aws, err, FL_EINVAL,
                 "generate: --gzip applies to AWS text formats");

    struct gen_ctx *c = fl_calloc(1, sizeof *c);
    FL_RETURN_IF(!c, err, FL_ENOMEM, "generate: out of memory");
    struct gen_sink *sink = fl_calloc(1, sizeof *sink);
    if (!sink) {
        fl_free(c);
        return fl_error_set(err, FL_ENOMEM, "generate: out of memory");
    }
    c->o = opts;
    c->err = err;
    c->sink = sink;
    c->force_eni = -1;
    fl__gen_rng_seed(&c->rng, opts->seed);
    int rc = fl__gen_topology(c);
    if (rc == FL_OK && opts->benign) {
        if (opts->format == FL_GEN_AWS_TGW)
            rc = fl_error_set(err, FL_EINVAL, "generate: --benign does not apply to --format aws-tgw");
        else
            rc = fl__gen_benign_parse(c, opts->benign);
    }
    if (rc == FL_OK && opts->incidents) {
        if (!aws || opts->format == FL_GEN_AWS_TGW)
            rc = fl_error_set(err, FL_EINVAL, "generate: --incidents applies to AWS VPC formats");
        else
            rc = fl__gen_incidents_parse(c, opts->incidents);
    }
    if (rc == FL_OK)
        rc = fl__gen_sink_init(sink, c);
    if (rc == FL_OK) {
        if (aws)
            rc = fl__gen_aws(c);
        else if (azure)
            rc = fl__gen_azure(c);
        else
            rc = fl__gen_gcp(c);
    }
    if (rc == FL_OK)
        rc = fl__gen_truth_write(c, aws ? "aws" : azure ? "azure" : "gcp");
    if (rc == FL_OK && totals_out)
        *totals_out = c->tot;
    fl__gen_sink_free(sink);
    fl__gen_topology_free(c);
    fl_free(c->pairs);
    fl_free(sink);
    fl_free(c);
    return rc;
}
