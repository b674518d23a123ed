/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_incidents.c - planted incidents for `flowsift generate --incidents`:
 * known-bad traffic added on top of the realistic background so detection
 * rules can be measured (precision/recall) against a known answer.  Every
 * incident lives in the first flow log (account 0, region 0), at a time
 * drawn from the seed, and is listed in the --truth file with its actors,
 * port, time span and record count.  Incident records come from their own
 * PRNG stream, so the background records are byte-identical with and
 * without --incidents (only interleaved with the planted ones).
 *
 * Kinds (AWS text formats):
 *   scan        vertical port scan: one internet address, one interface,
 *               400 distinct ports in 5 minutes, REJECT
 *   sweep       horizontal scan: one internet address, 150 hosts, port 22,
 *               5 minutes, REJECT
 *   bruteforce  SSH brute force: one internet address, one interface, port
 *               22, 30 short accepted connections a minute-window for 30 min
 *   admin       "rule miss": internet address ACCEPTed on RDP 3389
 *   exfil       one interface uploads ~400 MB per 5 minutes to one internet
 *               address on 443 for an hour (out/in byte ratio >> 1)
 *   beacon      one interface calls one internet address on 443 every
 *               60 s (+-1 s jitter) all day, ~300 bytes each
 *   flood       one interface sends UDP floods to one internet address for
 *               50 minutes (millions of packets)
 */
#include "gen_int.h"

static const char *const kind_names[GEN_INC_KINDS] = {"scan",  "sweep",  "bruteforce", "admin",
                                                      "exfil", "beacon", "flood"};

int fl__gen_incidents_parse(struct gen_ctx *c, const char *spec)
{
    unsigned kinds[GEN_INC_KINDS];
    FL_TRY(fl__gen_kind_list(c, spec, kind_names, GEN_INC_KINDS, "incident", kinds, &c->n_inc));
    for (unsigned i = 0; i < c->n_inc; i++)
        c->inc[i].kind = kinds[i];
    /* schedule: windows drawn from the seed, away from the day's edges */
    unsigned n_win = c->o->days * 288;
    for (unsigned i = 0; i < c->n_inc; i++) {
        struct gen_incident *in = &c->inc[i];
        uint64_t h = fl_hash64(c->o->seed * 0x9e37ULL + 0x1dc0 + in->kind);
        static const unsigned span[GEN_INC_KINDS] = {1, 1, 6, 1, 12, 0, 10};
        in->n_win = span[in->kind] ? span[in->kind] : n_win;
        long room = (long)n_win - (long)in->n_win - 12;
        in->w_first = room > 0 ? 6 + (unsigned)(h % (uint64_t)room) : 0;
        if (in->w_first + in->n_win > n_win)
            in->w_first = n_win > in->n_win ? n_win - in->n_win : 0;
        const struct gen_account *A = &c->acct[0];
        unsigned n_e = A->eni_first[1] - A->eni_first[0];
        in->eni = A->eni_first[0] + (unsigned)((h >> 20) % (n_e < 24 ? n_e : 24));
        /* the outside actor: a public address not drawn by the background */
        in->peer[0] = (uint8_t)(in->kind % 2 ? 185 : 45);
        in->peer[1] = (uint8_t)(0x80 | ((h >> 8) & 0x3f));
        in->peer[2] = (uint8_t)(h >> 40);
        in->peer[3] = (uint8_t)(1 + (h >> 48) % 250);
        in->records = 0;
    }
    return FL_OK;
}

static unsigned per_window(unsigned kind)
{
    switch (kind) {
    case GEN_INC_SCAN: return 400;
    case GEN_INC_SWEEP: return 150;
    case GEN_INC_BRUTE: return 30;
    case GEN_INC_ADMIN: return 3;
    case GEN_INC_EXFIL: return 2; /* upload + the small reply */
    case GEN_INC_BEACON: return 5;
    default: return 1;            /* flood */
    }
}

unsigned fl__gen_incidents_in_window(const struct gen_ctx *c, unsigned w)
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->n_inc; i++) {
        const struct gen_incident *in = &c->inc[i];
        if (w >= in->w_first && w < in->w_first + in->n_win)
            n += per_window(in->kind);
    }
    return n;
}

static void v4(uint8_t *d, uint32_t ip)
{
    memset(d, 0, 16);
    d[0] = (uint8_t)(ip >> 24);
    d[1] = (uint8_t)(ip >> 16);
    d[2] = (uint8_t)(ip >> 8);
    d[3] = (uint8_t)ip;
}

int fl__gen_incidents_emit(struct gen_ctx *c, unsigned w, int64_t w0, gen_emit_fn emit,
                           const void *arg)
{
    const struct gen_account *A = &c->acct[0];
    for (unsigned i = 0; i < c->n_inc; i++) {
        struct gen_incident *in = &c->inc[i];
        if (w < in->w_first || w >= in->w_first + in->n_win)
            continue;
        struct gen_rng r;
        fl__gen_rng_seed(&r, c->o->seed ^ (0xbadULL << 32) ^ ((uint64_t)in->kind << 24) ^ w);
        const struct gen_eni *E = &A->enis[in->eni];
        unsigned n = per_window(in->kind);
        for (unsigned k = 0; k < n; k++) {
            struct gen_flow f;
            memset(&f, 0, sizeof f);
            f.acct = 0;
            f.rgn = 0;
            f.eni = in->eni;
            f.peer_public = 1;
            f.end = w0 + gen_below(&r, 300);
            f.start = f.end - gen_below(&r, 30);
            uint8_t me[16], peer[16];
            v4(me, E->ip4);
            memset(peer, 0, 16);
            memcpy(peer, in->peer, 4);
            int inbound = in->kind <= GEN_INC_ADMIN;
            f.proto = 6;
            f.sport = (uint16_t)(32768 + gen_below(&r, 28000));
            switch (in->kind) {
            case GEN_INC_SCAN:
                f.dport = (uint16_t)(1 + (k * 7 + w) % 1024 + (k / 146) * 1024);
                f.action = 1, f.packets = 1, f.bytes = 44, f.tcp_flags = 2;
                break;
            case GEN_INC_SWEEP:
                /* 150 hosts of the region: the interfaces, in order */
                f.eni = A->eni_first[0] + k % (A->eni_first[1] - A->eni_first[0]);
                v4(me, A->enis[f.eni].ip4);
                f.dport = 22;
                f.action = 1, f.packets = 1, f.bytes = 60, f.tcp_flags = 2;
                break;
            case GEN_INC_BRUTE:
                f.dport = 22;
                f.packets = 12 + gen_below(&r, 10);
                f.bytes = f.packets * (80 + gen_below(&r, 120));
                f.tcp_flags = 3;
                break;
            case GEN_INC_ADMIN:
                f.dport = 3389;
                f.packets = 40 + gen_below(&r, 200);
                f.bytes = f.packets * 300;
                f.tcp_flags = 3;
                break;
            case GEN_INC_EXFIL:
                f.dport = 443;
                if (k == 0) {
                    f.bytes = 380000000ULL + gen_below(&r, 40000000);
                    f.packets = f.bytes / 1400;
                } else { /* the small reply: acks */
                    f.bytes = 1500000 + gen_below(&r, 500000);
                    f.packets = f.bytes / 52;
                }
                f.tcp_flags = 2;
                break;
            case GEN_INC_BEACON: {
                int64_t t = w0 + (int64_t)k * 60 + 30 + (int64_t)gen_below(&r, 3) - 1;
                f.end = t;
                f.start = t;
                f.dport = 443;
                f.packets = 3;
                f.bytes = 290 + gen_below(&r, 30);
                f.tcp_flags = 3;
                break;
            }
            default: /* flood */
                f.proto = 17;
                f.dport = 80;
                f.packets = 1800000 + gen_below(&r, 400000);
                f.bytes = f.packets * 64;
                f.start = w0;
                f.end = w0 + 299;
                break;
            }
            int reply = in->kind == GEN_INC_EXFIL && k == 1;
            if (inbound || reply) {
                memcpy(f.src, peer, 16);
                memcpy(f.dst, me, 16);
                if (reply) {
                    uint16_t t = f.sport;
                    f.sport = f.dport;
                    f.dport = t;
                }
                f.egress = 0;
            } else {
                memcpy(f.src, me, 16);
                memcpy(f.dst, peer, 16);
                f.egress = 1;
                f.traffic_path = 8;
            }
            if (f.start > f.end)
                f.start = f.end;
            if (in->records == 0 || f.start < in->start)
                in->start = f.start;
            if (f.end > in->end)
                in->end = f.end;
            in->records++;
            FL_TRY(emit(c, arg, &f));
        }
    }
    return FL_OK;
}

void fl__gen_incidents_truth(const struct gen_ctx *c, FILE *f)
{
    fputs(",\"incidents\":[", f);
    for (unsigned i = 0; i < c->n_inc; i++) {
        const struct gen_incident *in = &c->inc[i];
        const struct gen_eni *E = &c->acct[0].enis[in->eni];
        char peer[48], me[48];
        uint8_t a[16] = {0};
        memcpy(a, in->peer, 4);
        peer[fl__gen_fmt_ip(peer, a, 0)] = 0;
        v4(a, E->ip4);
        me[fl__gen_fmt_ip(me, a, 0)] = 0;
        static const unsigned port[GEN_INC_KINDS] = {0, 22, 22, 3389, 443, 443, 80};
        int inbound = in->kind <= GEN_INC_ADMIN;
        fprintf(f,
                "%s{\"kind\":\"%s\",\"account\":\"%s\",\"interface_id\":\"%s\",\"srcaddr\":\"%s\","
                "\"dstaddr\":\"%s\",\"dstport\":%u,\"start\":%lld,\"end\":%lld,\"records\":%llu}",
                i ? "," : "", kind_names[in->kind], c->acct[0].id, E->id,
                inbound ? peer : me, in->kind == GEN_INC_SWEEP ? "*" : inbound ? me : peer,
                port[in->kind], (long long)in->start, (long long)in->end,
                (unsigned long long)in->records);
    }
    fputc(']', f);
}
