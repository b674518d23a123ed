/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_int.h - private interface of the generate module: the PRNG, the
 * topology (accounts, regions, VPCs, interfaces, hosts, peers), the
 * format-neutral flow model, the output sink (plain or gzip through one
 * reused buffer), fast number formatting, and the per-format writers
 * (gen_aws.c, gen_azure.c, gen_gcp.c).  Layer: common only.
 */
#ifndef FL_GEN_INT_H
#define FL_GEN_INT_H

#include <stdio.h>
#include <zlib.h>

#include "common/common_int.h"
#include "fl/fl_generate.h"

/* ---- PRNG: xoshiro256** seeded by splitmix64 ------------------------------ */
struct gen_rng {
    uint64_t s[4];
};
void fl__gen_rng_seed(struct gen_rng *r, uint64_t seed);
static inline uint64_t gen_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t gen_next(struct gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = gen_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return res;
}
/* Uniform in [0, 1). */
static inline double gen_unit(struct gen_rng *r) { return (double)(gen_next(r) >> 11) * 0x1.0p-53; }
/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32). */
static inline uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}
/* Zipf-like rank in [0, n) with exponent s (continuous power-law inverse). */
uint32_t fl__gen_zipf(struct gen_rng *r, uint32_t n, double s);
/* Pick an index by cumulative weights cum[0..n-1] (last = 1.0). */
unsigned fl__gen_pick(struct gen_rng *r, const double *cum, unsigned n);

/* ---- topology ---------------------------------------------------------- */
#define GEN_ENIS_PER_ACCOUNT 300
#define GEN_INTERNAL_HOSTS 20000
#define GEN_PUBLIC_PEERS 200000
#define GEN_MAX_ACCOUNTS 64
#define GEN_MAX_REGIONS 4
#define GEN_VPCS_PER_REGION 2

struct gen_eni {
    char id[24];          /* eni-0123456789abcdef0 */
    char instance[24];    /* i-0123456789abcdef0 */
    char subnet[28];      /* subnet-... */
    char mac[16];         /* 12 upper-case hex digits (Azure) */
    uint32_t ip4;         /* private address, host order */
    uint8_t region;       /* index into the account's regions */
    uint8_t vpc;          /* 0..GEN_VPCS_PER_REGION-1 */
    uint8_t az;           /* 0..2 */
    uint8_t public_facing; /* accepts inbound 443/80 */
};

struct gen_account {
    char id[16];          /* 12-digit AWS account */
    char sub[40];         /* Azure subscription GUID */
    char project[32];     /* GCP project id */
    unsigned n_regions;
    unsigned region[GEN_MAX_REGIONS];  /* indexes into the region names */
    char vpc_id[GEN_MAX_REGIONS][GEN_VPCS_PER_REGION][24];
    char flow_log_id[GEN_MAX_REGIONS][24]; /* fl-... per region */
    unsigned interval[GEN_MAX_REGIONS];    /* aggregation interval, s */
    unsigned n_enis;
    struct gen_eni *enis;  /* n_enis, grouped by region */
    unsigned eni_first[GEN_MAX_REGIONS + 1]; /* enis of region r: [first[r], first[r+1]) */
    unsigned n_hosts;      /* internal hosts (ENIs are the first ones) */
};

/* A format-neutral flow record, as one interface logged it. */
struct gen_flow {
    unsigned acct, rgn;    /* account, region index within the account */
    unsigned eni;          /* index into the account's enis */
    uint8_t v6;            /* addresses are IPv6 */
    uint8_t src[16], dst[16]; /* v4 in the first 4 bytes (network order) */
    uint16_t sport, dport;
    uint8_t proto;         /* 6, 17, 1 (58 for v6 ICMP) */
    uint8_t action;        /* 0 ACCEPT, 1 REJECT */
    uint8_t status;        /* 0 OK, 1 NODATA, 2 SKIPDATA */
    uint8_t egress;        /* 1 egress, 0 ingress (relative to the ENI) */
    uint8_t tcp_flags;
    uint8_t traffic_path;  /* 0 = '-' */
    uint8_t peer_public;   /* the other side is a public address */
    uint8_t peer_eni;      /* the other side is an interface too (east-west) */
    unsigned peer_vpc;     /* VPC of an internal peer */
    uint64_t packets, bytes;
    uint64_t packets_rev, bytes_rev; /* benign, Azure: the other direction */
    int64_t start, end;
};

struct gen_sink;

/* Planted incidents (gen_incidents.c). */
enum { GEN_INC_SCAN, GEN_INC_SWEEP, GEN_INC_BRUTE, GEN_INC_ADMIN, GEN_INC_EXFIL, GEN_INC_BEACON,
       GEN_INC_FLOOD, GEN_INC_KINDS };
struct gen_incident {
    unsigned kind;         /* GEN_INC_* */
    unsigned w_first;      /* first 5-minute window (from the first day) */
    unsigned n_win;        /* windows it lasts */
    unsigned eni;          /* the account-0 interface involved */
    uint8_t peer[4];       /* the outside actor (IPv4) */
    int64_t start, end;    /* span of the records written */
    uint64_t records;      /* records written */
};

/* Benign look-alikes (gen_benign.c). */
enum { GEN_BEN_BACKUP, GEN_BEN_BATCH, GEN_BEN_MIRROR, GEN_BEN_SCANNER, GEN_BEN_BASTION,
       GEN_BEN_HEALTH, GEN_BEN_NTP_DNS, GEN_BEN_KINDS };

struct gen_ctx {
    const struct fl_gen_opts *o;
    struct fl_error *err;
    struct gen_rng rng;
    unsigned n_accounts;
    struct gen_account *acct;
    double acct_cum[GEN_MAX_ACCOUNTS];  /* Zipf share of records per account */
    struct fl_gen_totals tot;
    struct gen_sink *sink;            /* the one reused sink */
    /* conversation state: a pending reply record */
    struct gen_flow pending;
    int has_pending;
    int force_eni;                    /* >= 0: fl__gen_flow uses this ENI */
    /* truth: per-account counts and a capped pair table for top talkers */
    uint64_t acct_records[GEN_MAX_ACCOUNTS];
    uint64_t acct_bytes[GEN_MAX_ACCOUNTS];
    uint64_t acct_packets[GEN_MAX_ACCOUNTS];
    uint64_t flows_b, updates_ce, denies_d; /* Azure tuple kinds */
    uint64_t bytes_rev, packets_rev;
    struct gen_incident inc[GEN_INC_KINDS];
    unsigned n_inc;
    unsigned benign_mask;             /* 1 << GEN_BEN_* of the shapes to add */
    uint64_t ben_records[GEN_BEN_KINDS][GEN_MAX_ACCOUNTS]; /* written, per account */
    struct gen_pair *pairs;
    size_t n_pairs, pair_cap;
    int pairs_overflow;
};

/* Region names (AWS, Azure, GCP spellings) by index. */
extern const char *const fl__gen_aws_regions[];
extern const char *const fl__gen_azure_regions[];
extern const char *const fl__gen_gcp_regions[];
#define GEN_N_REGION_NAMES 6

int fl__gen_topology(struct gen_ctx *c);
void fl__gen_topology_free(struct gen_ctx *c);

/*
 * Produce the next flow record logged by flow log (acct, rgn) in the window
 * [w0, w0 + wlen): a new conversation's forward record, or the reply of the
 * previous one (AWS logs both directions), or a NODATA/SKIPDATA row when
 * allow_nodata.  Deterministic given the RNG state.
 */
void fl__gen_flow(struct gen_ctx *c, unsigned acct, unsigned rgn, int64_t w0,
                  unsigned wlen, int allow_nodata, struct gen_flow *f);
/* Forget a pending reply (at a window / object boundary). */
static inline void fl__gen_flow_flush(struct gen_ctx *c) { c->has_pending = 0; }

/*
 * Split total into n integer parts proportional to cum (cumulative weights,
 * last = 1.0): part k = floor(total*cum[k]) - floor(total*cum[k-1]).
 */
uint64_t fl__gen_split(uint64_t total, const double *cum, unsigned k);
/* Cumulative diurnal weights of the 288 five-minute windows of a day. */
void fl__gen_diurnal(double cum[288]);

/* Truth bookkeeping: count a record (bytes/packets may be absent). */
void fl__gen_truth_pair(struct gen_ctx *c, const uint8_t *src, const uint8_t *dst,
                        int v6, uint64_t bytes);
int fl__gen_truth_write(struct gen_ctx *c, const char *format_name);

/* ---- output sink ------------------------------------------------------- */
struct gen_sink {
    FILE *f;
    int is_stdout;
    int gz;
    int z_ready;           /* deflateInit2 done (the stream is reused) */
    z_stream z;
    char *buf;             /* text buffer */
    size_t len, cap;
    unsigned char *zbuf;   /* compressed output buffer */
    size_t zcap;
    uint64_t member_bytes; /* new gzip member every N text bytes (0 = one) */
    uint64_t in_member;
    char path[4096];       /* final path */
    char tmp[4200];        /* temporary path, renamed on close */
    struct fl_gen_totals *tot;
    struct fl_error *err;
};
#define GEN_SINK_BUF (4u << 20)
#define GEN_SINK_SLACK 65536 /* a writer may append this much per reserve */

int fl__gen_sink_init(struct gen_sink *s, struct gen_ctx *c);
void fl__gen_sink_free(struct gen_sink *s);
/* Open path (NULL or "-" = stdout); folders are created. */
int fl__gen_sink_open(struct gen_sink *s, const char *path, int gz);
int fl__gen_sink_flush(struct gen_sink *s);
/* Finish the object: final gzip member, close, rename into place. */
int fl__gen_sink_close(struct gen_sink *s);
/* Make sure GEN_SINK_SLACK bytes can be appended at s->buf + s->len. */
static inline int gen_reserve(struct gen_sink *s)
{
    if (FL_UNLIKELY(s->len + GEN_SINK_SLACK > s->cap ||
                    (s->member_bytes && s->gz && s->in_member + s->len >= s->member_bytes)))
        return fl__gen_sink_flush(s);
    return FL_OK;
}
static inline void gen_puts(struct gen_sink *s, const char *p, size_t n)
{
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}
#define GEN_PUTL(s, lit) gen_puts((s), (lit), sizeof(lit) - 1)
static inline void gen_putc(struct gen_sink *s, char ch) { s->buf[s->len++] = ch; }
static inline void gen_putstr(struct gen_sink *s, const char *z) { gen_puts(s, z, strlen(z)); }

/* Formatting into a char buffer; each returns the number of bytes written. */
size_t fl__gen_fmt_u64(char *p, uint64_t v);
size_t fl__gen_fmt_ip(char *p, const uint8_t *a, int v6);
static inline void gen_putu(struct gen_sink *s, uint64_t v) { s->len += fl__gen_fmt_u64(s->buf + s->len, v); }
static inline void gen_putip(struct gen_sink *s, const uint8_t *a, int v6)
{
    s->len += fl__gen_fmt_ip(s->buf + s->len, a, v6);
}
/* "YYYY-MM-DDTHH:MM:SS" + frac digits of nsec (0..9) + "Z". */
size_t fl__gen_fmt_time(char *p, int64_t sec, uint32_t nsec, int frac);

/* mkdir -p of the folder part of path. */
int fl__gen_mkdirs(const char *path, struct fl_error *err);
/* Calendar helpers. */
void fl__gen_ymdh(int64_t t, unsigned *y, unsigned *mo, unsigned *d, unsigned *h,
                  unsigned *mi);

/* Parse a comma list of names[0..n) plus "all" (every name) and "none"
 * (nothing) into kinds[] in the order given, without repeats; *n_out = how
 * many.  An unknown word fails with "generate: unknown WHAT 'x' (names...,
 * all, none)" in c->err. */
int fl__gen_kind_list(struct gen_ctx *c, const char *spec, const char *const *names, unsigned n,
                      const char *what, unsigned *kinds, unsigned *n_out);

/* ---- planted incidents --------------------------------------------------- */
typedef int (*gen_emit_fn)(struct gen_ctx *c, const void *arg, const struct gen_flow *f);
/* Parse "scan,exfil,..." or "all" and schedule the incidents. */
int fl__gen_incidents_parse(struct gen_ctx *c, const char *spec);
/* Planted records in window w of flow log (account 0, region 0). */
unsigned fl__gen_incidents_in_window(const struct gen_ctx *c, unsigned w);
/* Produce them (window w starting at w0) through emit. */
int fl__gen_incidents_emit(struct gen_ctx *c, unsigned w, int64_t w0, gen_emit_fn emit,
                           const void *arg);
/* Append ,"incidents":[...] to the truth JSON. */
void fl__gen_incidents_truth(const struct gen_ctx *c, FILE *f);

/* ---- benign look-alikes ------------------------------------------------- */
/* Parse "backup,scanner,..." or "all" / "none" into c->benign_mask. */
int fl__gen_benign_parse(struct gen_ctx *c, const char *spec);
/*
 * Produce the benign records of flow log (acct, rgn) whose end time is in
 * [t0, t0 + len) (t0 a multiple of 300 s) through emit; with emit NULL only
 * count them.  mode: GEN_BEN_AWS (each direction a record), GEN_BEN_GCP (no
 * denied flows: GCP does not log them), GEN_BEN_AZURE (one record per
 * conversation with the reply in packets_rev/bytes_rev).
 * *n_out = the number of records.  Only region 0 of an account has them.
 */
enum { GEN_BEN_AWS, GEN_BEN_GCP, GEN_BEN_AZURE };
int fl__gen_benign_emit(struct gen_ctx *c, unsigned acct, unsigned rgn, int64_t t0, unsigned len,
                        int mode, gen_emit_fn emit, const void *arg, uint64_t *n_out);
/* Append ,"benign":[...] to the truth JSON (acct_ids: account names as written). */
void fl__gen_benign_truth(const struct gen_ctx *c, FILE *f, const char *const *acct_ids);

/* ---- format writers ---------------------------------------------------- */
int fl__gen_aws(struct gen_ctx *c);
int fl__gen_azure(struct gen_ctx *c);
int fl__gen_gcp(struct gen_ctx *c);

#endif
