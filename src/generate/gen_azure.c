/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_azure.c - the Azure writers of `flowsift generate`: NSG flow log
 * version 2 blobs and VNet flow log version 4 blobs, one PT1H.json per
 * (NSG or flow log, NIC MAC, hour), in the storage layouts
 *   insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/{SUB}/
 *     RESOURCEGROUPS/{RG}/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/{NSG}/
 *     y=/m=/d=/h=/m=00/macAddress={MAC}/PT1H.json
 *   insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/{SUB}/
 *     RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/
 *     NETWORKWATCHER_{REGION}/FLOWLOGS/{NAME}/y=/m=/d=/h=/m=00/macAddress={MAC}/PT1H.json
 *
 * Flow semantics as the reference describes them: an allowed flow is a B
 * tuple (no counters: `,,,,` for NSG, `0,0,0,0` for VNet) when it starts,
 * C tuples every 5 minutes and an E tuple at its end, C and E carrying the
 * DELTAS since the previous tuple of the flow (so sums over C+E are the
 * flow's totals); a denied flow is one tuple (NSG decision D with state B,
 * VNet state D).  Each minute with tuples is one record; an E tuple may
 * precede its B tuple inside a minute.  Blobs grow as Azure writes them:
 * `{"records":[` first, then one block per minute (`,{...}` after the
 * first), `]}` last; --grow-steps K writes the blob as committed after each
 * of K steps into step01/ .. stepK/ folders.
 */
#include <math.h>
#include <stdlib.h>

#include "gen_int.h"

enum { ST_B, ST_C, ST_E, ST_D };

struct az_tuple {
    int64_t ts;          /* seconds */
    uint32_t ms;         /* millisecond part (VNet) */
    uint32_t seq;        /* generation order (stable sort) */
    uint16_t minute;     /* record (minute of the hour) that carries it */
    uint8_t rule;        /* index into the rule names */
    uint8_t state;       /* ST_* */
    uint8_t v6, proto, inbound, deny, enc;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint64_t pk, by, pk2, by2; /* deltas (C/E) */
};

#define AZ_MAX_TUPLES (4u << 20)

static const char *const nsg_rules[] = {
    "DefaultRule_AllowInternetOutBound", "DefaultRule_AllowVnetOutBound",
    "DefaultRule_AllowVnetInBound",      "UserRule_AllowHttpsInbound",
    "DefaultRule_DenyAllInBound",        "UserRule_DenyOutboundSmtp",
    "DefaultRule_DenyAllOutBound",
};
enum { R_INET_OUT, R_VNET_OUT, R_VNET_IN, R_HTTPS_IN, R_DENY_IN, R_DENY_OUT_USER, R_DENY_OUT };

static const char *const vnet_enc[] = {"NX", "X", "NX_LOCAL_DST", "NX_HW_NOT_SUPPORTED"};

struct az_state {
    struct gen_ctx *c;
    int vnet;
    struct az_tuple *t;
    size_t n, cap;
    struct fl_buf recs;     /* compact records of the current blob */
    size_t *rec_end;        /* end offset of each record in recs */
    size_t n_rec, rec_cap;
    struct fl_buf pretty;
    char rule_guid[8][48];  /* VNet rule suffixes (per subscription) */
    int stream_first;       /* stream layout: no record written yet */
};

static int add_tuple(struct az_state *z, const struct az_tuple *t)
{
    if (z->n == z->cap) {
        size_t ncap = z->cap ? z->cap * 2 : 4096;
        if (ncap > AZ_MAX_TUPLES)
            return fl_error_set(z->c->err, FL_ELIMIT, "generate: more than %u tuples in one blob",
                                AZ_MAX_TUPLES);
        struct az_tuple *nt = fl_realloc(z->t, ncap * sizeof *nt);
        if (!nt)
            return fl_error_set(z->c->err, FL_ENOMEM, "generate: out of memory");
        z->t = nt;
        z->cap = ncap;
    }
    z->t[z->n] = *t;
    z->t[z->n].seq = (uint32_t)z->n;
    z->n++;
    return FL_OK;
}

static int tuple_cmp(const void *a, const void *b)
{
    const struct az_tuple *x = a, *y = b;
    if (x->minute != y->minute)
        return x->minute < y->minute ? -1 : 1;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Split v into k parts (k >= 1); part i. */
static uint64_t part(uint64_t v, unsigned k, unsigned i)
{
    uint64_t base = v / k;
    return i == k - 1 ? v - base * (k - 1) : base;
}

/* Generate the flows of one blob (NIC eni of (a, r), hour starting h0)
 * until `budget` tuples exist. */
static int gen_blob_tuples(struct az_state *z, unsigned a, unsigned r, unsigned eni, int64_t h0,
                           uint64_t budget)
{
    struct gen_ctx *c = z->c;
    struct gen_rng *rg = &c->rng;
    z->n = 0;
    c->force_eni = (int)eni;
    fl__gen_flow_flush(c);
    while (z->n < budget) {
        struct gen_flow f;
        fl__gen_flow(c, a, r, h0, 3600, 0, &f);
        uint64_t pk2 = 0, by2 = 0;
        if (c->has_pending) {
            pk2 = c->pending.packets;
            by2 = c->pending.bytes;
            c->has_pending = 0;
        } else if (!f.action) {
            pk2 = f.packets / 2 + 1;
            by2 = pk2 * 90;
        }
        if (!z->vnet && f.proto != 6 && f.proto != 17)
            continue; /* NSG tuples carry T or U only */
        struct az_tuple t;
        memset(&t, 0, sizeof t);
        t.v6 = f.v6;
        t.proto = f.proto;
        memcpy(t.src, f.src, 16);
        memcpy(t.dst, f.dst, 16);
        t.sport = f.sport;
        t.dport = f.dport;
        t.inbound = !f.egress;
        t.deny = f.action;
        if (t.deny)
            t.rule = t.inbound ? R_DENY_IN : (f.dport == 25 || gen_below(rg, 2) ? R_DENY_OUT_USER : R_DENY_OUT);
        else if (f.peer_public)
            t.rule = t.inbound ? R_HTTPS_IN : R_INET_OUT;
        else
            t.rule = t.inbound ? R_VNET_IN : R_VNET_OUT;
        t.enc = f.peer_public ? 0 : (uint8_t)(gen_below(rg, 10) < 6 ? 1 : gen_below(rg, 10) < 5 ? 2 : 3);
        int64_t s0 = h0 + gen_below(rg, 3600);
        int64_t dur = f.end - f.start;
        int64_t e0 = s0 + dur;
        if (e0 > h0 + 3599)
            e0 = h0 + 3599;
        unsigned m0 = (unsigned)((s0 - h0) / 60), m1 = (unsigned)((e0 - h0) / 60);
        t.ts = s0;
        t.ms = gen_below(rg, 1000);
        t.minute = (uint16_t)m0;
        if (t.deny) {
            t.state = z->vnet ? ST_D : ST_B;
            FL_TRY(add_tuple(z, &t));
            c->denies_d++;
            c->acct_records[a]++;
            continue;
        }
        t.state = ST_B;
        int e_first = m0 == m1 && gen_below(rg, 10) < 3; /* E logged before B */
        if (!e_first)
            FL_TRY(add_tuple(z, &t));
        c->flows_b++;
        c->acct_records[a]++;
        unsigned n_upd = 1 + (m1 - m0) / 5; /* C every 5 min, then E */
        for (unsigned i = 0; i < n_upd; i++) {
            struct az_tuple u = t;
            int last = i == n_upd - 1;
            u.state = last ? ST_E : ST_C;
            unsigned m = last ? m1 : m0 + 5 * (i + 1);
            u.minute = (uint16_t)m;
            u.ts = last ? e0 : h0 + m * 60 + (s0 - h0) % 60;
            u.ms = gen_below(rg, 1000);
            u.pk = part(f.packets, n_upd, i);
            u.by = part(f.bytes, n_upd, i);
            u.pk2 = part(pk2, n_upd, i);
            u.by2 = part(by2, n_upd, i);
            FL_TRY(add_tuple(z, &u));
            c->updates_ce++;
            c->acct_records[a]++;
            c->tot.packets += u.pk;
            c->tot.bytes += u.by;
            c->packets_rev += u.pk2;
            c->bytes_rev += u.by2;
            c->acct_packets[a] += u.pk;
            c->acct_bytes[a] += u.by;
            fl__gen_truth_pair(c, u.src, u.dst, u.v6, u.by);
        }
        if (e_first) {
            t.ts = e0; /* same minute: B after E */
            FL_TRY(add_tuple(z, &t));
        }
    }
    c->force_eni = -1;
    return FL_OK;
}

static int put_tuple(struct fl_buf *b, const struct az_tuple *t, int vnet)
{
    char tmp[256];
    size_t n = 0;
    tmp[n++] = '"';
    n += fl__gen_fmt_u64(tmp + n, (uint64_t)t->ts * (vnet ? 1000u : 1u) + (vnet ? t->ms : 0));
    tmp[n++] = ',';
    n += fl__gen_fmt_ip(tmp + n, t->src, t->v6);
    tmp[n++] = ',';
    n += fl__gen_fmt_ip(tmp + n, t->dst, t->v6);
    tmp[n++] = ',';
    n += fl__gen_fmt_u64(tmp + n, t->sport);
    tmp[n++] = ',';
    n += fl__gen_fmt_u64(tmp + n, t->dport);
    tmp[n++] = ',';
    if (vnet)
        n += fl__gen_fmt_u64(tmp + n, t->proto);
    else
        tmp[n++] = t->proto == 6 ? 'T' : 'U';
    tmp[n++] = ',';
    tmp[n++] = t->inbound ? 'I' : 'O';
    tmp[n++] = ',';
    static const char st[] = "BCED";
    if (!vnet) {
        tmp[n++] = t->deny ? 'D' : 'A';
        tmp[n++] = ',';
    }
    tmp[n++] = st[t->state];
    if (vnet) {
        tmp[n++] = ',';
        const char *e = vnet_enc[t->enc];
        size_t el = strlen(e);
        memcpy(tmp + n, e, el);
        n += el;
    }
    if (t->state == ST_B || t->state == ST_D) {
        const char *empty = vnet ? ",0,0,0,0" : ",,,,";
        size_t el = strlen(empty);
        memcpy(tmp + n, empty, el);
        n += el;
    } else {
        tmp[n++] = ',';
        n += fl__gen_fmt_u64(tmp + n, t->pk);
        tmp[n++] = ',';
        n += fl__gen_fmt_u64(tmp + n, t->by);
        tmp[n++] = ',';
        n += fl__gen_fmt_u64(tmp + n, t->pk2);
        tmp[n++] = ',';
        n += fl__gen_fmt_u64(tmp + n, t->by2);
    }
    tmp[n++] = '"';
    return fl_buf_add(b, tmp, n);
}

static void upper(char *d, const char *s, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        d[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    d[i] = 0;
}

/* Names of the resources of (a, r, vpc). */
struct az_names {
    char sub_up[48];
    char rg[32], rg_up[32];
    char nsg[40], nsg_up[40];
    char vnet[40];
    char fl_name[64], fl_up[64];
    char region_up[40];
    char system_id[48], acl_id[48], fl_guid[48];
};

static void names(struct az_state *z, unsigned a, unsigned r, unsigned vpc, struct az_names *nm)
{
    struct gen_ctx *c = z->c;
    const struct gen_account *A = &c->acct[a];
    const char *region = fl__gen_azure_regions[A->region[r]];
    upper(nm->sub_up, A->sub, sizeof nm->sub_up);
    snprintf(nm->rg, sizeof nm->rg, "rg-app-%s", region);
    upper(nm->rg_up, nm->rg, sizeof nm->rg_up);
    snprintf(nm->nsg, sizeof nm->nsg, "nsg-app-%u", vpc + 1);
    upper(nm->nsg_up, nm->nsg, sizeof nm->nsg_up);
    snprintf(nm->vnet, sizeof nm->vnet, "vnet-%s-%u", region, vpc + 1);
    snprintf(nm->fl_name, sizeof nm->fl_name, "flowlog-%s", nm->vnet);
    upper(nm->fl_up, nm->fl_name, sizeof nm->fl_up);
    upper(nm->region_up, region, sizeof nm->region_up);
    uint64_t h = fl_hash64(c->o->seed * 7919 + a * 131 + r * 17 + vpc);
    static const char hx[] = "0123456789abcdef";
    char *gs[3] = {nm->system_id, nm->acl_id, nm->fl_guid};
    for (int g = 0; g < 3; g++) {
        uint64_t x = fl_hash64(h + (uint64_t)g), y = fl_hash64(h + 10 + (uint64_t)g);
        int k = 0;
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20)
                gs[g][k++] = '-';
            gs[g][k++] = hx[((i < 16 ? x : y) >> ((i % 16) * 4)) & 15];
        }
        gs[g][k] = 0;
    }
}

/* Write the records of the blob (tuples sorted) into z->recs. */
static int build_records(struct az_state *z, unsigned a, unsigned eni, int64_t h0,
                         const struct az_names *nm)
{
    struct gen_ctx *c = z->c;
    const struct gen_eni *E = &c->acct[a].enis[eni];
    fl_buf_reset(&z->recs);
    z->n_rec = 0;
    qsort(z->t, z->n, sizeof *z->t, tuple_cmp);
    size_t i = 0;
    while (i < z->n) {
        unsigned m = z->t[i].minute;
        size_t j = i;
        while (j < z->n && z->t[j].minute == m)
            j++;
        struct fl_buf *b = &z->recs;
        char ts[48];
        size_t tl = fl__gen_fmt_time(ts, h0 + m * 60 + 59,
                                     (uint32_t)(fl_hash64(h0 + m + eni) % 1000000000u), 7);
        ts[tl] = 0;
        if (z->vnet)
            FL_TRY(fl_buf_printf(
                b,
                "{\"time\":\"%s\",\"flowLogVersion\":4,\"flowLogGUID\":\"%s\",\"macAddress\":\"%s\","
                "\"category\":\"FlowLogFlowEvent\",\"flowLogResourceID\":\"/SUBSCRIPTIONS/%s/"
                "RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
                "NETWORKWATCHER_%s/FLOWLOGS/%s\",\"targetResourceID\":\"/subscriptions/%s/"
                "resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s\","
                "\"operationName\":\"FlowLogFlowEvent\",\"flowRecords\":{\"flows\":[{\"aclID\":"
                "\"%s\",\"flowGroups\":[",
                ts, nm->fl_guid, E->mac, nm->sub_up, nm->region_up, nm->fl_up, c->acct[a].sub,
                nm->rg, nm->vnet, nm->acl_id));
        else
            FL_TRY(fl_buf_printf(
                b,
                "{\"time\":\"%s\",\"systemId\":\"%s\",\"macAddress\":\"%s\",\"category\":"
                "\"NetworkSecurityGroupFlowEvent\",\"resourceId\":\"/SUBSCRIPTIONS/%s/"
                "RESOURCEGROUPS/%s/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/%s\","
                "\"operationName\":\"NetworkSecurityGroupFlowEvents\",\"properties\":{\"Version\":2,"
                "\"flows\":[",
                ts, nm->system_id, E->mac, nm->sub_up, nm->rg_up, nm->nsg_up));
        size_t k = i;
        int first_rule = 1;
        while (k < j) {
            unsigned rule = z->t[k].rule;
            if (!first_rule)
                FL_TRY(fl_buf_addc(b, ','));
            first_rule = 0;
            if (z->vnet)
                FL_TRY(fl_buf_printf(b, "{\"rule\":\"%s_%s\",\"flowTuples\":[", nsg_rules[rule],
                                     z->rule_guid[rule]));
            else
                FL_TRY(fl_buf_printf(b, "{\"rule\":\"%s\",\"flows\":[{\"mac\":\"%s\",\"flowTuples\":[",
                                     nsg_rules[rule], E->mac));
            int first = 1;
            for (; k < j && z->t[k].rule == rule; k++) {
                if (!first)
                    FL_TRY(fl_buf_addc(b, ','));
                first = 0;
                FL_TRY(put_tuple(b, &z->t[k], z->vnet));
            }
            FL_TRY(fl_buf_add(b, z->vnet ? "]}" : "]}]}", z->vnet ? 2 : 4));
        }
        FL_TRY(fl_buf_add(b, z->vnet ? "]}]}}" : "]}}", z->vnet ? 5 : 3));
        if (z->n_rec == z->rec_cap) {
            size_t nc = z->rec_cap ? z->rec_cap * 2 : 64;
            size_t *nr = fl_realloc(z->rec_end, nc * sizeof *nr);
            FL_RETURN_IF(!nr, c->err, FL_ENOMEM, "generate: out of memory");
            z->rec_end = nr;
            z->rec_cap = nc;
        }
        z->rec_end[z->n_rec++] = b->len;
        i = j;
    }
    return FL_OK;
}

/* Pretty-print one compact JSON value (our own output: no escapes needed
 * beyond quotes) with the given base indent. */
static int pretty(struct fl_buf *o, const char *p, size_t n, int base)
{
    int depth = base, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (in_str) {
            FL_TRY(fl_buf_addc(o, ch));
            if (ch == '\\' && i + 1 < n)
                FL_TRY(fl_buf_addc(o, p[++i]));
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"') {
            in_str = 1;
            FL_TRY(fl_buf_addc(o, ch));
        } else if (ch == '{' || ch == '[') {
            FL_TRY(fl_buf_addc(o, ch));
            if (i + 1 < n && (p[i + 1] == '}' || p[i + 1] == ']')) {
                FL_TRY(fl_buf_addc(o, p[++i]));
                continue;
            }
            depth++;
            FL_TRY(fl_buf_addc(o, '\n'));
            for (int d = 0; d < depth * 4; d++)
                FL_TRY(fl_buf_addc(o, ' '));
        } else if (ch == '}' || ch == ']') {
            depth--;
            FL_TRY(fl_buf_addc(o, '\n'));
            for (int d = 0; d < depth * 4; d++)
                FL_TRY(fl_buf_addc(o, ' '));
            FL_TRY(fl_buf_addc(o, ch));
        } else if (ch == ',') {
            FL_TRY(fl_buf_addc(o, ','));
            FL_TRY(fl_buf_addc(o, '\n'));
            for (int d = 0; d < depth * 4; d++)
                FL_TRY(fl_buf_addc(o, ' '));
        } else if (ch == ':') {
            FL_TRY(fl_buf_add(o, ": ", 2));
        } else {
            FL_TRY(fl_buf_addc(o, ch));
        }
    }
    return FL_OK;
}

/* Append records [0, upto) of the blob to the sink, as blocks. */
static int emit_records(struct az_state *z, size_t upto, int *first)
{
    struct gen_sink *s = z->c->sink;
    const struct fl_gen_opts *o = z->c->o;
    size_t start = 0;
    for (size_t i = 0; i < upto; i++) {
        size_t end = z->rec_end[i];
        const char *p = z->recs.p + start;
        size_t n = end - start;
        start = end;
        FL_TRY(gen_reserve(s));
        if (!*first)
            gen_puts(s, o->pretty ? ",\n        " : ",", o->pretty ? 10 : 1);
        *first = 0;
        if (o->pretty) {
            fl_buf_reset(&z->pretty);
            FL_TRY(pretty(&z->pretty, p, n, 2));
            p = z->pretty.p;
            n = z->pretty.len;
        }
        while (n) { /* records can be larger than the sink slack */
            FL_TRY(gen_reserve(s));
            size_t k = n < GEN_SINK_SLACK ? n : GEN_SINK_SLACK;
            gen_puts(s, p, k);
            p += k;
            n -= k;
        }
    }
    return FL_OK;
}

static const char *doc_head(int pretty_) { return pretty_ ? "{\n    \"records\": [\n        " : "{\"records\":["; }
static const char *doc_tail(int pretty_) { return pretty_ ? "\n    ]\n}\n" : "]}"; }

static int blob_path(struct az_state *z, char *buf, size_t cap, const char *prefix,
                     const struct az_names *nm, int64_t h0, const char *mac)
{
    unsigned y, mo, d, h;
    fl__gen_ymdh(h0, &y, &mo, &d, &h, NULL);
    int n;
    if (z->vnet)
        n = snprintf(buf, cap,
                     "%s/insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/%s/"
                     "RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
                     "NETWORKWATCHER_%s/FLOWLOGS/%s/y=%04u/m=%02u/d=%02u/h=%02u/m=00/"
                     "macAddress=%s/PT1H.json",
                     prefix, nm->sub_up, nm->region_up, nm->fl_up, y, mo, d, h, mac);
    else
        n = snprintf(buf, cap,
                     "%s/insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/%s/"
                     "RESOURCEGROUPS/%s/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/%s/"
                     "y=%04u/m=%02u/d=%02u/h=%02u/m=00/macAddress=%s/PT1H.json",
                     prefix, nm->sub_up, nm->rg_up, nm->nsg_up, y, mo, d, h, mac);
    FL_RETURN_IF(n < 0 || (size_t)n >= cap, z->c->err, FL_EINVAL, "generate: path too long");
    return FL_OK;
}

static int write_blob(struct az_state *z, const struct az_names *nm, int64_t h0, const char *mac)
{
    struct gen_ctx *c = z->c;
    const struct fl_gen_opts *o = c->o;
    struct gen_sink *s = c->sink;
    if (o->layout == FL_GEN_STREAM) {
        int first = z->stream_first;
        FL_TRY(emit_records(z, z->n_rec, &first));
        z->stream_first = first;
        return FL_OK;
    }
    char path[4096], prefix[4096];
    unsigned steps = o->grow_steps ? o->grow_steps : 1;
    for (unsigned k = 1; k <= steps; k++) {
        if (o->grow_steps)
            snprintf(prefix, sizeof prefix, "%s/step%02u", o->out, k);
        else
            snprintf(prefix, sizeof prefix, "%s", o->out);
        FL_TRY(blob_path(z, path, sizeof path, prefix, nm, h0, mac));
        size_t upto = (z->n_rec * k + steps - 1) / steps;
        FL_TRY(fl__gen_sink_open(s, path, 0));
        gen_putstr(s, doc_head(o->pretty));
        int first = 1;
        FL_TRY(emit_records(z, upto, &first));
        FL_TRY(gen_reserve(s));
        gen_putstr(s, doc_tail(o->pretty));
        FL_TRY(fl__gen_sink_close(s));
    }
    return FL_OK;
}

/* The benign look-alikes of one (subscription, first region, hour),
 * collected before the blobs of that hour are written. */
struct az_ben {
    struct gen_flow *f;
    size_t n, cap;
};

static int collect_benign(struct gen_ctx *c, const void *arg, const struct gen_flow *f)
{
    struct az_ben *b = (struct az_ben *)arg;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        FL_RETURN_IF(ncap > AZ_MAX_TUPLES, c->err, FL_ELIMIT, "generate: too many benign flows");
        struct gen_flow *nf = fl_realloc(b->f, ncap * sizeof *nf);
        FL_RETURN_IF(!nf, c->err, FL_ENOMEM, "generate: out of memory");
        b->f = nf;
        b->cap = ncap;
    }
    b->f[b->n++] = *f;
    return FL_OK;
}

/* Append the tuples of the benign flows of NIC eni: a denied flow is one
 * tuple, an allowed one a B tuple at its start and an E tuple with the
 * counters (both directions) at its end.  Returns the tuples added. */
static int add_benign_tuples(struct az_state *z, unsigned a, unsigned eni, int64_t h0,
                             const struct az_ben *bf, size_t *added)
{
    struct gen_ctx *c = z->c;
    *added = 0;
    for (size_t i = 0; i < bf->n; i++) {
        const struct gen_flow *f = &bf->f[i];
        if (f->eni != eni || f->end < h0 || f->end >= h0 + 3600)
            continue;
        int64_t start = f->start < h0 ? h0 : f->start;
        struct az_tuple t;
        memset(&t, 0, sizeof t);
        t.proto = f->proto;
        memcpy(t.src, f->src, 16);
        memcpy(t.dst, f->dst, 16);
        t.sport = f->sport;
        t.dport = f->dport;
        t.inbound = !f->egress;
        t.deny = f->action;
        t.rule = t.deny ? (t.inbound ? R_DENY_IN : R_DENY_OUT)
                 : f->peer_public ? (t.inbound ? R_HTTPS_IN : R_INET_OUT)
                                  : (t.inbound ? R_VNET_IN : R_VNET_OUT);
        t.enc = f->peer_public ? 0 : 1;
        t.ts = start;
        t.ms = (uint32_t)(fl_hash64((uint64_t)start ^ i) % 1000);
        t.minute = (uint16_t)((start - h0) / 60);
        c->acct_records[a]++;
        (*added)++;
        if (t.deny) {
            t.state = z->vnet ? ST_D : ST_B;
            FL_TRY(add_tuple(z, &t));
            c->denies_d++;
            continue;
        }
        t.state = ST_B;
        FL_TRY(add_tuple(z, &t));
        c->flows_b++;
        struct az_tuple u = t;
        u.state = ST_E;
        u.ts = f->end;
        u.minute = (uint16_t)((f->end - h0) / 60);
        u.pk = f->packets;
        u.by = f->bytes;
        u.pk2 = f->packets_rev;
        u.by2 = f->bytes_rev;
        FL_TRY(add_tuple(z, &u));
        c->acct_records[a]++;
        (*added)++;
        c->updates_ce++;
        c->tot.packets += u.pk;
        c->tot.bytes += u.by;
        c->packets_rev += u.pk2;
        c->bytes_rev += u.by2;
        c->acct_packets[a] += u.pk;
        c->acct_bytes[a] += u.by;
        fl__gen_truth_pair(c, u.src, u.dst, 0, u.by);
    }
    return FL_OK;
}

/* Is NIC eni among the first n of bf's flows' interfaces?  (The NICs that
 * have a background blob of their own get their benign tuples there.) */
static int has_eni_before(const struct az_ben *bf, size_t n, unsigned eni)
{
    for (size_t i = 0; i < n; i++)
        if (bf->f[i].eni == eni)
            return 1;
    return 0;
}

int fl__gen_azure(struct gen_ctx *c)
{
    const struct fl_gen_opts *o = c->o;
    struct az_state z;
    memset(&z, 0, sizeof z);
    z.c = c;
    z.vnet = o->format == FL_GEN_AZURE_VNET;
    z.stream_first = 1;
    fl_buf_init(&z.recs, (size_t)1 << 31);
    fl_buf_init(&z.pretty, (size_t)1 << 31);
    for (unsigned i = 0; i < FL_ARRAY_LEN(nsg_rules); i++) {
        uint64_t h = fl_hash64(o->seed * 104729 + i);
        static const char hx[] = "0123456789abcdef";
        int k = 0;
        for (int j = 0; j < 32; j++) {
            if (j == 8 || j == 12 || j == 16 || j == 20)
                z.rule_guid[i][k++] = '-';
            z.rule_guid[i][k++] = hx[((j < 16 ? h : fl_hash64(h)) >> ((j % 16) * 4)) & 15];
        }
        z.rule_guid[i][k] = 0;
    }
    /* blobs: (subscription, region, NIC, hour); NICs per region scale with
     * the volume so that a blob holds a few hundred tuples */
    unsigned hours = o->days * 24, n_fl = 0;
    unsigned fl_a[GEN_MAX_ACCOUNTS * GEN_MAX_REGIONS], fl_r[GEN_MAX_ACCOUNTS * GEN_MAX_REGIONS];
    double fl_w[GEN_MAX_ACCOUNTS * GEN_MAX_REGIONS];
    for (unsigned a = 0; a < c->n_accounts; a++) {
        double share = c->acct_cum[a] - (a ? c->acct_cum[a - 1] : 0);
        for (unsigned r = 0; r < c->acct[a].n_regions; r++) {
            fl_a[n_fl] = a;
            fl_r[n_fl] = r;
            fl_w[n_fl++] = share * (c->acct[a].n_regions == 1 ? 1.0 : r == 0 ? 0.7 : 0.3 / (c->acct[a].n_regions - 1));
        }
    }
    uint64_t per_fl_hour = o->records / ((uint64_t)hours * n_fl) + 1;
    unsigned nics = (unsigned)(per_fl_hour / 300);
    if (nics < 2)
        nics = 2;
    if (nics > 48)
        nics = 48;
    double diurnal[288];
    fl__gen_diurnal(diurnal);
    int rc = FL_OK;
    struct gen_sink *s = c->sink;
    if (o->layout == FL_GEN_STREAM) {
        rc = fl__gen_sink_open(s, o->out, 0);
        if (rc == FL_OK)
            gen_putstr(s, doc_head(o->pretty));
    }
    /* cumulative cells: hour x flow log x NIC (Zipf-ish NIC weights) */
    double nic_w[48], nic_sum = 0;
    for (unsigned k = 0; k < nics; k++)
        nic_sum += nic_w[k] = 1.0 / (1.0 + k * 0.5);
    double N = (double)o->records, pos = 0, prev = 0;
    struct az_ben bf = {NULL, 0, 0};
    for (unsigned hr = 0; rc == FL_OK && hr < hours; hr++) {
        double hw = (diurnal[(hr % 24) * 12 + 11] - ((hr % 24) ? diurnal[(hr % 24) * 12 - 1] : 0)) /
                    (double)o->days;
        int64_t h0 = (o->day + hr / 24) * 86400 + (int64_t)(hr % 24) * 3600;
        for (unsigned i = 0; rc == FL_OK && i < n_fl; i++) {
            const struct gen_account *A = &c->acct[fl_a[i]];
            unsigned first = A->eni_first[fl_r[i]], n_e = A->eni_first[fl_r[i] + 1] - first;
            uint64_t nb = 0;
            bf.n = 0;
            if (c->benign_mask)
                rc = fl__gen_benign_emit(c, fl_a[i], fl_r[i], h0, 3600, GEN_BEN_AZURE,
                                         collect_benign, &bf, &nb);
            for (unsigned k = 0; rc == FL_OK && k < nics && k < n_e; k++) {
                pos += hw * fl_w[i] * nic_w[k] / nic_sum;
                double hi = floor(N * pos);
                if (hr == hours - 1 && i == n_fl - 1 && (k == nics - 1 || k == n_e - 1))
                    hi = N;
                uint64_t budget = hi > prev ? (uint64_t)(hi - prev) : 0;
                if (hi > prev)
                    prev = hi;
                unsigned eni = first + k;
                if (!budget && !(bf.n && has_eni_before(&bf, bf.n, eni)))
                    continue;
                const struct gen_eni *E = &A->enis[eni];
                struct az_names nm;
                names(&z, fl_a[i], fl_r[i], E->vpc, &nm);
                size_t added = 0;
                z.n = 0;
                rc = budget ? gen_blob_tuples(&z, fl_a[i], fl_r[i], eni, h0, budget) : FL_OK;
                if (rc == FL_OK && bf.n)
                    rc = add_benign_tuples(&z, fl_a[i], eni, h0, &bf, &added);
                c->tot.records += added;
                if (rc == FL_OK)
                    rc = build_records(&z, fl_a[i], eni, h0, &nm);
                if (rc == FL_OK)
                    rc = write_blob(&z, &nm, h0, E->mac);
                c->tot.records += z.n - added;
            }
            /* benign interfaces without a background blob of their own */
            for (size_t j = 0; rc == FL_OK && j < bf.n; j++) {
                unsigned eni = bf.f[j].eni;
                if ((eni >= first && eni - first < nics) || has_eni_before(&bf, j, eni))
                    continue;
                const struct gen_eni *E = &A->enis[eni];
                struct az_names nm;
                names(&z, fl_a[i], fl_r[i], E->vpc, &nm);
                size_t added = 0;
                z.n = 0;
                rc = add_benign_tuples(&z, fl_a[i], eni, h0, &bf, &added);
                if (rc == FL_OK && z.n)
                    rc = build_records(&z, fl_a[i], eni, h0, &nm);
                if (rc == FL_OK && z.n)
                    rc = write_blob(&z, &nm, h0, E->mac);
                c->tot.records += added;
            }
        }
    }
    fl_free(bf.f);
    if (rc == FL_OK && o->layout == FL_GEN_STREAM) {
        rc = gen_reserve(s);
        if (rc == FL_OK) {
            gen_putstr(s, doc_tail(o->pretty));
            rc = fl__gen_sink_close(s);
        }
    }
    c->tot.accept = c->flows_b;
    c->tot.reject = c->denies_d;
    fl_buf_free(&z.recs);
    fl_buf_free(&z.pretty);
    fl_free(z.rec_end);
    fl_free(z.t);
    return rc;
}
