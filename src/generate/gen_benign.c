/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_benign.c - benign look-alikes for `flowsift generate --benign`: the
 * everyday traffic shapes that fool naive detection rules, added on top of
 * the realistic background (like the planted incidents) and listed in the
 * --truth file as benign, so a detection benchmark can report its false
 * positives by shape.  Every account gets them, in its first region, at
 * times drawn from the seed; each 5-minute slot of each shape has its own
 * PRNG stream, so the background records are unchanged and the output does
 * not depend on how a writer slices time (AWS 5-minute objects, GCP hours).
 *
 * Shapes (per account; hosts are interfaces of the first region):
 *   backup   a database host uploads ~6-9 GB to object storage (S3,
 *            52.216.0.0/15) every night from 02:00 for 35-50 minutes:
 *            exfil-shaped (out >> in), flood-like packet rates, daily
 *   batch    an ETL host pushes reports to a partner endpoint over HTTPS
 *            from 09:00 to 11:00 every day, ~300 MB/h, 3-5x on Mondays
 *   mirror   40 hosts check package mirrors / CDNs daily around 06:00 and
 *            download patches from many CDN addresses on Tuesdays (patch
 *            day) around 10:00-12:00
 *   scanner  the internal vulnerability scanner: every night at 01:00 a
 *            vertical scan (600 ports) of two hosts and a horizontal sweep
 *            (ports 22, 443, 3389) of 120 hosts; probes are 1-2 packets,
 *            30% rejected
 *   bastion  admins on the corporate VPN (100.64.0.0/10) open SSH sessions
 *            to the bastion on weekdays; the bastion runs Ansible bursts
 *            (30 SSH connections in 10 minutes per host) at 10:00 and 15:00
 *   health   a monitoring poller scrapes 4 internal hosts every 5 minutes
 *            (keep-alive connections) and 6 hosts run a monitoring agent
 *            that reports to a SaaS intake every 10 minutes (beacon-like,
 *            but fleet-wide)
 *   ntp-dns  3 appliances poll their own public NTP servers every 1024 s
 *            and a DNS forwarder talks to two public resolvers all day
 *            (perfectly regular, single source)
 *
 * The truth file lists one entry per (shape, account) with its actors and,
 * where an operator would configure it, the policy entry that makes it
 * approved (known_scanners, approved_egress_cidrs).
 */
#include "gen_int.h"

static const char *const kind_names[GEN_BEN_KINDS] = {"backup",  "batch",  "mirror",
                                                      "scanner", "bastion", "health",
                                                      "ntp-dns"};

/* Interface indexes (within the account's first region) of the actors. */
enum {
    IX_BACKUP = 40, IX_BATCH = 41, IX_SCANNER = 42, IX_BASTION = 43, IX_POLLER = 44,
    IX_NTP0 = 45, N_NTP = 3, IX_DNS = 48, IX_AGENT0 = 50, N_AGENT = 6,
    IX_MIRROR0 = 60, N_MIRROR_HOSTS = 40, IX_SWEEP0 = 60, N_SWEEP = 120,
    IX_VTARGET0 = 100, IX_ANSIBLE0 = 110, N_ANSIBLE = 4, IX_SCRAPE0 = 120, N_SCRAPE = 4,
    N_MIRRORS = 24, N_VPORTS = 600,
};

int fl__gen_benign_parse(struct gen_ctx *c, const char *spec)
{
    unsigned kinds[GEN_BEN_KINDS], n;
    FL_TRY(fl__gen_kind_list(c, spec, kind_names, GEN_BEN_KINDS, "benign shape", kinds, &n));
    c->benign_mask = 0;
    for (unsigned i = 0; i < n; i++)
        c->benign_mask |= 1u << kinds[i];
    return FL_OK;
}

/* ---- addresses ---------------------------------------------------------- */
static uint32_t ip4(unsigned a, unsigned b, unsigned c3, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)(b & 255) << 16 | (uint32_t)(c3 & 255) << 8 | (d & 255);
}

/* Interface index ix of the account's first region (wraps if fewer). */
static unsigned eni_of(const struct gen_account *A, unsigned ix)
{
    unsigned n0 = A->eni_first[1] - A->eni_first[0];
    return A->eni_first[0] + ix % n0;
}

static uint64_t seed_of(const struct gen_ctx *c) { return c->o->seed; }

/* Object-storage address k (0..3) of account a: inside S3's 52.216.0.0/15. */
static uint32_t s3_addr(const struct gen_ctx *c, unsigned a, unsigned k)
{
    uint64_t h = fl_hash64(seed_of(c) * 0x51ULL + a * 16 + k + 0xb0c);
    return ip4(52, 216 + (unsigned)(h & 1), (unsigned)(h >> 8), 1 + (unsigned)(h >> 16) % 254);
}

/* The partner endpoint's /24 of account a (two addresses: .20, .21). */
static uint32_t partner_net(unsigned a) { return ip4(34, 117, 64 + a % 64, 0); }

/* Mirror / CDN address k of the shared pool (Fastly, Cloudflare,
 * CloudFront and distribution mirrors, by shape). */
static uint32_t mirror_addr(const struct gen_ctx *c, unsigned k)
{
    uint64_t h = fl_hash64(seed_of(c) * 0x77ULL + k + 0x3177);
    switch (k % 4) {
    case 0: return ip4(151, 101, (unsigned)(h % 32) * 8 + 1, 1 + (unsigned)(h >> 8) % 254);
    case 1: return ip4(104, 16 + (unsigned)(h % 16), (unsigned)(h >> 8), 1 + (unsigned)(h >> 16) % 254);
    case 2: return ip4(13, 224 + (unsigned)(h % 4), (unsigned)(h >> 8), 1 + (unsigned)(h >> 16) % 254);
    default: return ip4(91, 189, 88 + (unsigned)(h % 4), 1 + (unsigned)(h >> 8) % 254);
    }
}

static uint32_t ntp_server(unsigned a, unsigned appliance, unsigned k)
{
    return ip4(129, 6, 15, 20 + (a % 8) * 6 + appliance * 2 + k);
}

static uint32_t resolver(unsigned k) { return k ? ip4(1, 1, 1, 1) : ip4(8, 8, 8, 8); }
static uint32_t intake(unsigned k) { return ip4(3, 233, 158, 23 + k); }
static uint32_t vpn_client(unsigned a, unsigned k) { return ip4(100, 64, a, 10 + k); }

/* ---- emission ------------------------------------------------------------ */
struct ben {
    struct gen_ctx *c;
    unsigned a, eni;      /* account; interface of the record being built */
    unsigned kind;
    gen_emit_fn emit;     /* NULL = count only */
    const void *arg;
    uint64_t n;           /* records produced (or counted) */
    int no_reject;        /* GCP: denied flows are not logged */
    int one_record;       /* Azure: a tuple carries both directions */
    uint64_t pk2, by2;    /* one_record: the reply's counters */
    int64_t s0;           /* slot start */
    struct gen_rng r;     /* this (shape, account, slot) stream */
};

static int rec(struct ben *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
               uint8_t proto, int reject, uint64_t pk, uint64_t by, int64_t end, int egress,
               int peer_public)
{
    if (reject && b->no_reject)
        return FL_OK;
    const struct gen_account *A = &b->c->acct[b->a];
    struct gen_flow f;
    memset(&f, 0, sizeof f);
    f.acct = b->a;
    f.rgn = 0;
    f.eni = b->eni;
    f.src[0] = (uint8_t)(src >> 24), f.src[1] = (uint8_t)(src >> 16);
    f.src[2] = (uint8_t)(src >> 8), f.src[3] = (uint8_t)src;
    f.dst[0] = (uint8_t)(dst >> 24), f.dst[1] = (uint8_t)(dst >> 16);
    f.dst[2] = (uint8_t)(dst >> 8), f.dst[3] = (uint8_t)dst;
    f.sport = sport;
    f.dport = dport;
    f.proto = proto;
    f.action = (uint8_t)reject;
    f.egress = (uint8_t)egress;
    f.peer_public = (uint8_t)peer_public;
    f.peer_vpc = A->enis[b->eni].vpc;
    f.traffic_path = egress ? (peer_public ? 8 : 1) : 0;
    f.packets = pk ? pk : 1;
    f.bytes = by;
    f.packets_rev = b->pk2;
    f.bytes_rev = b->by2;
    f.tcp_flags = proto != 6 ? 0 : reject ? 2 : egress ? 3 : 19;
    if (end < b->s0)
        end = b->s0;
    if (end > b->s0 + 299)
        end = b->s0 + 299;
    f.end = end;
    int64_t dur = (int64_t)gen_below(&b->r, 40);
    unsigned iv = A->interval[0];
    if (dur >= (int64_t)iv)
        dur = iv - 1;
    f.start = end - dur;
    b->n++;
    if (!b->emit)
        return FL_OK;
    b->c->ben_records[b->kind][b->a]++;
    return b->emit(b->c, b->arg, &f);
}

/* A conversation from our interface (egress) or to it (ingress): the
 * forward record and, with reply, the other direction logged on the same
 * interface. */
static int conv(struct ben *b, uint32_t me, uint32_t peer, int outbound, uint16_t sport,
                uint16_t dport, uint8_t proto, int reject, uint64_t pk, uint64_t by, uint64_t pk2,
                uint64_t by2, int64_t end, int peer_public, int reply)
{
    uint32_t s = outbound ? me : peer, d = outbound ? peer : me;
    if (b->one_record) {
        b->pk2 = reject ? 0 : pk2, b->by2 = reject ? 0 : by2;
        int rc = rec(b, s, d, sport, dport, proto, reject, pk, by, end, outbound, peer_public);
        b->pk2 = b->by2 = 0;
        return rc;
    }
    FL_TRY(rec(b, s, d, sport, dport, proto, reject, pk, by, end, outbound, peer_public));
    if (reply && !reject)
        FL_TRY(rec(b, d, s, dport, sport, proto, 0, pk2, by2, end + 1, !outbound, peer_public));
    return FL_OK;
}

static uint16_t eph(struct gen_rng *r) { return (uint16_t)(32768 + gen_below(r, 28232)); }

static uint32_t host_ip(const struct gen_account *A, unsigned ix)
{
    return A->enis[eni_of(A, ix)].ip4;
}

/* Day of week of Unix time t: 0 = Sunday, 1 = Monday, ... */
static unsigned dow(int64_t t) { return (unsigned)(((t / 86400) + 4) % 7); }

static int slot_backup(struct ben *b, const struct gen_account *A, int64_t day0, unsigned mod)
{
    uint64_t h = fl_hash64(seed_of(b->c) ^ (0xbac0ULL << 20) ^ ((uint64_t)b->a << 40) ^ (uint64_t)day0);
    unsigned start = 120 + (unsigned)(h % 6), len = 35 + (unsigned)(h >> 8) % 16;
    if (mod + 5 <= start || mod >= start + len)
        return FL_OK;
    b->eni = eni_of(A, IX_BACKUP);
    uint64_t by = 1000000000ULL + gen_below(&b->r, 400000000);
    uint64_t pk = by / 1448;
    uint16_t sp = (uint16_t)(40000 + (h >> 16) % 20000);
    return conv(b, A->enis[b->eni].ip4, s3_addr(b->c, b->a, (mod / 5) % 4), 1, sp, 443, 6, 0, pk,
                by, pk / 2, pk / 2 * 52, b->s0 + 200 + gen_below(&b->r, 99), 1, 1);
}

static int slot_batch(struct ben *b, const struct gen_account *A, unsigned mod)
{
    if (mod < 9 * 60 || mod >= 11 * 60)
        return FL_OK;
    b->eni = eni_of(A, IX_BATCH);
    double mult = dow(b->s0) == 1 ? 4.0 + gen_unit(&b->r) * 0.5 : 0.9 + gen_unit(&b->r) * 0.2;
    uint64_t by = (uint64_t)(25000000.0 * mult);
    uint64_t pk = by / 1400;
    uint32_t dst = partner_net(b->a) + 20 + gen_below(&b->r, 2);
    return conv(b, A->enis[b->eni].ip4, dst, 1, eph(&b->r), 443, 6, 0, pk, by, pk / 3,
                pk / 3 * 60, b->s0 + gen_below(&b->r, 300), 1, 1);
}

static int slot_mirror(struct ben *b, const struct gen_account *A, int64_t day0, unsigned mod)
{
    int patch = dow(b->s0) == 2;
    for (unsigned k = 0; k < N_MIRROR_HOSTS; k++) {
        uint64_t h = fl_hash64(seed_of(b->c) ^ (0x3177ULL << 24) ^ ((uint64_t)b->a << 44) ^
                               ((uint64_t)k << 32) ^ (uint64_t)day0);
        unsigned daily = 360 + (unsigned)(h % 60), burst = 600 + (unsigned)(h >> 8) % 120;
        unsigned n = 0, spread = 1, at = mod;
        uint64_t big = 1;
        if (daily >= mod && daily < mod + 5)
            n = 2 + (unsigned)(h >> 20) % 3, spread = 3, big = 2000, at = daily;
        else if (patch && burst >= mod && burst < mod + 5)
            n = 20 + (unsigned)(h >> 20) % 11, spread = 8 + (unsigned)(h >> 28) % 9, big = 100000,
            at = burst;
        b->eni = eni_of(A, IX_MIRROR0 + k);
        uint32_t me = A->enis[b->eni].ip4;
        unsigned first = (unsigned)(h >> 36) % N_MIRRORS;
        for (unsigned i = 0; i < n; i++) {
            uint32_t m = mirror_addr(b->c, (first + i % spread) % N_MIRRORS);
            uint16_t port = gen_below(&b->r, 5) ? 443 : 80;
            uint64_t pk = gen_below(&b->r, 100) < 15 ? 2 : 6 + gen_below(&b->r, 15);
            uint64_t pk2 = 10 + gen_below(&b->r, (uint32_t)big);
            FL_TRY(conv(b, me, m, 1, eph(&b->r), port, 6, 0, pk, pk * (80 + gen_below(&b->r, 120)),
                        pk2, pk2 * 1400, b->s0 + (at - mod) * 60 + gen_below(&b->r, 60), 1, 1));
        }
    }
    return FL_OK;
}

static int slot_scanner(struct ben *b, const struct gen_account *A, unsigned mod)
{
    if (mod < 60 || mod >= 110)
        return FL_OK;
    b->eni = eni_of(A, IX_SCANNER);
    uint32_t me = A->enis[b->eni].ip4;
    unsigned slot = (mod - 60) / 5; /* 0..9 */
    uint16_t sp = (uint16_t)(41000 + b->a);
    if (slot < 4) { /* vertical: target 0 in slots 0-1, target 1 in slots 2-3 */
        uint32_t tgt = host_ip(A, IX_VTARGET0 + slot / 2);
        for (unsigned i = 0; i < N_VPORTS / 2; i++) {
            unsigned k = (slot % 2) * (N_VPORTS / 2) + i;
            uint16_t port = (uint16_t)(1 + (k * 389u) % 1024);
            int rej = gen_below(&b->r, 10) < 3;
            FL_TRY(rec(b, me, tgt, sp, port, 6, rej, 1 + (!rej && gen_below(&b->r, 2)), 44 + 20 * !rej,
                       b->s0 + gen_below(&b->r, 300), 1, 0));
        }
        return FL_OK;
    }
    static const uint16_t sweep_ports[] = {22, 443, 3389};
    for (unsigned i = 0; i < 60; i++) { /* horizontal: 360 probes over slots 4-9 */
        unsigned k = (slot - 4) * 60 + i;
        uint16_t port = sweep_ports[k / N_SWEEP];
        int rej = gen_below(&b->r, 10) < 3;
        FL_TRY(rec(b, me, host_ip(A, IX_SWEEP0 + k % N_SWEEP), sp, port, 6, rej, 1 + (!rej && gen_below(&b->r, 2)),
                   60, b->s0 + gen_below(&b->r, 300), 1, 0));
    }
    return FL_OK;
}

static int slot_bastion(struct ben *b, const struct gen_account *A, int64_t day0, unsigned mod)
{
    unsigned d = dow(b->s0);
    if (d == 0 || d == 6)
        return FL_OK;
    b->eni = eni_of(A, IX_BASTION);
    uint32_t me = A->enis[b->eni].ip4;
    /* six admin sessions a day between 08:00 and 18:00 */
    for (unsigned k = 0; k < 6; k++) {
        uint64_t h = fl_hash64(seed_of(b->c) ^ (0xba5ULL << 28) ^ ((uint64_t)b->a << 44) ^
                               ((uint64_t)k << 36) ^ (uint64_t)day0);
        unsigned at = 480 + (unsigned)(h % 600);
        if (at < mod || at >= mod + 5)
            continue;
        uint64_t pk = 300 + gen_below(&b->r, 4700);
        FL_TRY(conv(b, me, vpn_client(b->a, (unsigned)(h >> 12) % 4), 0, eph(&b->r), 22, 6, 0, pk,
                    pk * 120, pk * 4 / 5, pk * 300, b->s0 + (at - mod) * 60 + gen_below(&b->r, 60), 0, 1));
    }
    /* Ansible: 15 connections per host per 5 minutes, 10:00-10:10 and 15:00-15:10 */
    if (!((mod >= 600 && mod < 610) || (mod >= 900 && mod < 910)))
        return FL_OK;
    for (unsigned t = 0; t < N_ANSIBLE; t++)
        for (unsigned i = 0; i < 15; i++) {
            uint64_t pk = 30 + gen_below(&b->r, 50);
            uint64_t by = 40000 + gen_below(&b->r, 80000);
            FL_TRY(conv(b, me, host_ip(A, IX_ANSIBLE0 + t), 1, eph(&b->r), 22, 6, 0, pk, by, pk,
                        pk * 200, b->s0 + i * 20 + gen_below(&b->r, 20), 0, 1));
        }
    return FL_OK;
}

static int slot_health(struct ben *b, const struct gen_account *A, unsigned mod)
{
    b->eni = eni_of(A, IX_POLLER);
    uint32_t me = A->enis[b->eni].ip4;
    for (unsigned t = 0; t < N_SCRAPE; t++) { /* keep-alive scrape connections */
        uint64_t pk = 20 + gen_below(&b->r, 5);
        FL_TRY(conv(b, me, host_ip(A, IX_SCRAPE0 + t), 1, (uint16_t)(45000 + t), 9100, 6, 0, pk,
                    pk * 90, pk * 2, pk * 2 * 700, b->s0 + 280 + gen_below(&b->r, 19), 0,
                    gen_below(&b->r, 2)));
    }
    if ((mod / 5) % 2)
        return FL_OK;
    for (unsigned k = 0; k < N_AGENT; k++) { /* agent reports every 10 minutes */
        b->eni = eni_of(A, IX_AGENT0 + k);
        uint64_t pk = 8 + gen_below(&b->r, 3);
        FL_TRY(conv(b, A->enis[b->eni].ip4, intake(k % 2), 1, eph(&b->r), 443, 6, 0, pk,
                    900 + gen_below(&b->r, 200), 6, 420, b->s0 + 30 * k + gen_below(&b->r, 3), 1,
                    gen_below(&b->r, 2)));
    }
    return FL_OK;
}

static int slot_ntp_dns(struct ben *b, const struct gen_account *A)
{
    for (unsigned k = 0; k < N_NTP; k++) { /* chrony: one request every 1024 s per server */
        b->eni = eni_of(A, IX_NTP0 + k);
        for (unsigned s = 0; s < 2; s++) {
            int64_t phase = (int64_t)((fl_hash64(seed_of(b->c) + b->a * 31 + k * 7 + s) % 1024));
            int64_t t = b->s0 + ((phase - b->s0) % 1024 + 1024) % 1024;
            if (t >= b->s0 + 300)
                continue;
            FL_TRY(conv(b, A->enis[b->eni].ip4, ntp_server(b->a, k, s), 1, eph(&b->r), 123, 17, 0,
                        1, 76, 1, 76, t, 1, 1));
        }
    }
    b->eni = eni_of(A, IX_DNS);
    for (unsigned s = 0; s < 2; s++) { /* the forwarder's aggregated DNS records */
        uint64_t pk = 20 + gen_below(&b->r, 40);
        FL_TRY(conv(b, A->enis[b->eni].ip4, resolver(s), 1, (uint16_t)(53000 + s), 53, 17, 0, pk,
                    pk * 70, pk, pk * 150, b->s0 + 290 + gen_below(&b->r, 9), 1, s == 0));
    }
    return FL_OK;
}

int fl__gen_benign_emit(struct gen_ctx *c, unsigned acct, unsigned rgn, int64_t t0, unsigned len,
                        int mode, gen_emit_fn emit, const void *arg, uint64_t *n_out)
{
    *n_out = 0;
    if (!c->benign_mask || rgn != 0)
        return FL_OK;
    const struct gen_account *A = &c->acct[acct];
    struct ben b;
    memset(&b, 0, sizeof b);
    b.c = c;
    b.a = acct;
    b.emit = emit;
    b.arg = arg;
    b.no_reject = mode == GEN_BEN_GCP;
    b.one_record = mode == GEN_BEN_AZURE;
    for (int64_t s0 = t0 - ((t0 % 300) + 300) % 300; s0 < t0 + (int64_t)len; s0 += 300) {
        if (s0 < t0)
            continue;
        int64_t day0 = s0 - ((s0 % 86400) + 86400) % 86400;
        unsigned mod = (unsigned)((s0 - day0) / 60); /* minute of the day */
        b.s0 = s0;
        for (unsigned k = 0; k < GEN_BEN_KINDS; k++) {
            if (!(c->benign_mask & (1u << k)))
                continue;
            b.kind = k;
            fl__gen_rng_seed(&b.r, seed_of(c) ^ (0xbe9ULL << 48) ^ ((uint64_t)k << 40) ^
                                       ((uint64_t)acct << 34) ^ (uint64_t)s0);
            int rc;
            switch (k) {
            case GEN_BEN_BACKUP: rc = slot_backup(&b, A, day0, mod); break;
            case GEN_BEN_BATCH: rc = slot_batch(&b, A, mod); break;
            case GEN_BEN_MIRROR: rc = slot_mirror(&b, A, day0, mod); break;
            case GEN_BEN_SCANNER: rc = slot_scanner(&b, A, mod); break;
            case GEN_BEN_BASTION: rc = slot_bastion(&b, A, day0, mod); break;
            case GEN_BEN_HEALTH: rc = slot_health(&b, A, mod); break;
            default: rc = slot_ntp_dns(&b, A); break;
            }
            FL_TRY(rc);
        }
    }
    *n_out = b.n;
    return FL_OK;
}

static void put_ip_json(FILE *f, uint32_t ip, int first)
{
    fprintf(f, "%s\"%u.%u.%u.%u\"", first ? "" : ",", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
            ip & 255);
}

void fl__gen_benign_truth(const struct gen_ctx *c, FILE *f, const char *const *acct_ids)
{
    fputs(",\"benign\":[", f);
    int first = 1;
    for (unsigned a = 0; a < c->n_accounts; a++) {
        const struct gen_account *A = &c->acct[a];
        for (unsigned k = 0; k < GEN_BEN_KINDS; k++) {
            if (!(c->benign_mask & (1u << k)))
                continue;
            fprintf(f, "%s{\"kind\":\"%s\",\"account\":\"%s\",\"records\":%llu,\"actors\":[",
                    first ? "" : ",", kind_names[k], acct_ids[a],
                    (unsigned long long)c->ben_records[k][a]);
            first = 0;
            switch (k) {
            case GEN_BEN_BACKUP: put_ip_json(f, host_ip(A, IX_BACKUP), 1); break;
            case GEN_BEN_BATCH: put_ip_json(f, host_ip(A, IX_BATCH), 1); break;
            case GEN_BEN_MIRROR:
                for (unsigned i = 0; i < N_MIRROR_HOSTS; i++)
                    put_ip_json(f, host_ip(A, IX_MIRROR0 + i), i == 0);
                break;
            case GEN_BEN_SCANNER: put_ip_json(f, host_ip(A, IX_SCANNER), 1); break;
            case GEN_BEN_BASTION: put_ip_json(f, host_ip(A, IX_BASTION), 1); break;
            case GEN_BEN_HEALTH:
                put_ip_json(f, host_ip(A, IX_POLLER), 1);
                for (unsigned i = 0; i < N_AGENT; i++)
                    put_ip_json(f, host_ip(A, IX_AGENT0 + i), 0);
                break;
            default:
                for (unsigned i = 0; i < N_NTP; i++)
                    put_ip_json(f, host_ip(A, IX_NTP0 + i), i == 0);
                put_ip_json(f, host_ip(A, IX_DNS), 0);
                break;
            }
            fputs("],\"peers\":[", f);
            switch (k) {
            case GEN_BEN_BACKUP:
                for (unsigned i = 0; i < 4; i++)
                    put_ip_json(f, s3_addr(c, a, i), i == 0);
                fputs("],\"approved_egress\":\"52.216.0.0/15\"", f);
                break;
            case GEN_BEN_BATCH:
                put_ip_json(f, partner_net(a) + 20, 1);
                put_ip_json(f, partner_net(a) + 21, 0);
                fprintf(f, "],\"approved_egress\":\"34.117.%u.0/24\"", 64 + a % 64);
                break;
            case GEN_BEN_MIRROR:
                for (unsigned i = 0; i < N_MIRRORS; i++)
                    put_ip_json(f, mirror_addr(c, i), i == 0);
                fputc(']', f);
                break;
            case GEN_BEN_SCANNER: {
                uint32_t ip = host_ip(A, IX_SCANNER);
                fprintf(f, "],\"known_scanner\":\"%u.%u.%u.%u/32\"", ip >> 24, (ip >> 16) & 255,
                        (ip >> 8) & 255, ip & 255);
                break;
            }
            case GEN_BEN_BASTION:
                for (unsigned i = 0; i < 4; i++)
                    put_ip_json(f, vpn_client(a, i), i == 0);
                for (unsigned i = 0; i < N_ANSIBLE; i++)
                    put_ip_json(f, host_ip(A, IX_ANSIBLE0 + i), 0);
                fputc(']', f);
                break;
            case GEN_BEN_HEALTH:
                put_ip_json(f, intake(0), 1);
                put_ip_json(f, intake(1), 0);
                for (unsigned i = 0; i < N_SCRAPE; i++)
                    put_ip_json(f, host_ip(A, IX_SCRAPE0 + i), 0);
                fputc(']', f);
                break;
            default:
                for (unsigned i = 0; i < N_NTP; i++) {
                    put_ip_json(f, ntp_server(a, i, 0), i == 0);
                    put_ip_json(f, ntp_server(a, i, 1), 0);
                }
                put_ip_json(f, resolver(0), 0);
                put_ip_json(f, resolver(1), 0);
                fputc(']', f);
                break;
            }
            fputc('}', f);
        }
    }
    fputc(']', f);
}
