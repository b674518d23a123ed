/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_gcp.c - the GCP writer of `flowsift generate`: VPC Flow Logs as
 * Cloud Logging LogEntry JSON, one entry per line, as a Cloud Storage log
 * sink exports them:
 *   {project}/compute.googleapis.com/vpc_flows/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json
 * (the project folder stands for the sink's bucket).  jsonPayload carries
 * connection {src_ip, src_port, dest_ip, dest_port, protocol}, reporter
 * (SRC for the sending VM's view, DEST for the receiving VM's), the
 * instance/VPC blocks of the VM side(s), a location block for public peers,
 * int64 values as JSON strings (bytes_sent, packets_sent, rtt_msec) and
 * RFC 3339 start/end times with nanoseconds; keys are in Cloud Logging's
 * export order (sorted).  GCP does not log denied packets here, so rejected
 * conversations of the traffic model are not written.
 */
#include <math.h>

#include "gen_int.h"

static const struct {
    unsigned asn;
    const char *continent, *country;
} locations[] = {
    {15169, "America", "usa"}, {16509, "America", "usa"},  {8075, "America", "usa"},
    {3320, "Europe", "deu"},   {5410, "Europe", "fra"},    {2856, "Europe", "gbr"},
    {4134, "Asia", "chn"},     {9498, "Asia", "ind"},      {4713, "Asia", "jpn"},
    {12389, "Europe", "rus"},  {28573, "America", "bra"},  {1221, "Oceania", "aus"},
    {7922, "America", "usa"},  {3215, "Europe", "fra"},    {6830, "Europe", "nld"},
};

static void put_str(struct gen_sink *s, const char *k, const char *v)
{
    gen_putc(s, '"');
    gen_putstr(s, k);
    GEN_PUTL(s, "\":\"");
    gen_putstr(s, v);
    gen_putc(s, '"');
}

static void vm_name(char *d, size_t cap, unsigned eni) { snprintf(d, cap, "vm-app-%03u", eni); }

static void put_instance(struct gen_sink *s, const char *key, const struct gen_account *A,
                         unsigned rgn, unsigned eni)
{
    const char *region = fl__gen_gcp_regions[A->region[rgn]];
    char vm[32], zone[48];
    vm_name(vm, sizeof vm, eni);
    snprintf(zone, sizeof zone, "%s-%c", region, 'a' + A->enis[eni].az);
    gen_putc(s, '"');
    gen_putstr(s, key);
    GEN_PUTL(s, "\":{");
    put_str(s, "project_id", A->project);
    gen_putc(s, ',');
    put_str(s, "region", region);
    gen_putc(s, ',');
    put_str(s, "vm_name", vm);
    gen_putc(s, ',');
    put_str(s, "zone", zone);
    GEN_PUTL(s, "},");
}

static void put_vpc(struct gen_sink *s, const char *key, const struct gen_account *A, unsigned vpc)
{
    char sub[32], net[32];
    snprintf(sub, sizeof sub, "subnet-%u", vpc + 1);
    snprintf(net, sizeof net, "vpc-%u", vpc + 1);
    gen_putc(s, '"');
    gen_putstr(s, key);
    GEN_PUTL(s, "\":{");
    put_str(s, "project_id", A->project);
    gen_putc(s, ',');
    put_str(s, "subnetwork_name", sub);
    gen_putc(s, ',');
    put_str(s, "vpc_name", net);
    GEN_PUTL(s, "},");
}

static void put_location(struct gen_sink *s, const char *key, const uint8_t *ip)
{
    uint64_t h = fl_hash64(((uint64_t)ip[0] << 24 | (uint64_t)ip[1] << 16 | (uint64_t)ip[2] << 8 | ip[3]) ^
                           ((uint64_t)ip[4] << 32));
    unsigned i = (unsigned)(h % FL_ARRAY_LEN(locations));
    gen_putc(s, '"');
    gen_putstr(s, key);
    GEN_PUTL(s, "\":{\"asn\":");
    gen_putu(s, locations[i].asn);
    gen_putc(s, ',');
    put_str(s, "continent", locations[i].continent);
    gen_putc(s, ',');
    put_str(s, "country", locations[i].country);
    GEN_PUTL(s, "},");
}

static void put_time(struct gen_sink *s, const char *key, int64_t sec, uint32_t ns)
{
    gen_putc(s, '"');
    gen_putstr(s, key);
    GEN_PUTL(s, "\":\"");
    s->len += fl__gen_fmt_time(s->buf + s->len, sec, ns, 9);
    gen_putc(s, '"');
}

static void write_entry(struct gen_ctx *c, const struct gen_flow *f)
{
    struct gen_sink *s = c->sink;
    struct gen_rng *r = &c->rng;
    const struct gen_account *A = &c->acct[f->acct];
    const struct gen_eni *E = &A->enis[f->eni];
    const char *region = fl__gen_gcp_regions[A->region[f->rgn]];
    static const char hx[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char insert[16];
    uint64_t h = gen_next(r);
    for (int i = 0; i < 13; i++)
        insert[i] = hx[(h >> (i * 5)) % 36];
    insert[13] = 0;
    uint32_t ns0 = (uint32_t)(gen_next(r) % 1000000000u), ns1 = (uint32_t)(gen_next(r) % 1000000000u);
    int64_t end = f->end, recv = f->end + 30 + gen_below(r, 300);
    uint32_t nsr = (uint32_t)(gen_next(r) % 1000000000u);

    GEN_PUTL(s, "{\"insertId\":\"");
    gen_putstr(s, insert);
    GEN_PUTL(s, "\",\"jsonPayload\":{\"bytes_sent\":\"");
    gen_putu(s, f->bytes);
    GEN_PUTL(s, "\",\"connection\":{\"dest_ip\":\"");
    gen_putip(s, f->dst, f->v6);
    GEN_PUTL(s, "\",\"dest_port\":");
    gen_putu(s, f->dport);
    GEN_PUTL(s, ",\"protocol\":");
    gen_putu(s, f->proto);
    GEN_PUTL(s, ",\"src_ip\":\"");
    gen_putip(s, f->src, f->v6);
    GEN_PUTL(s, "\",\"src_port\":");
    gen_putu(s, f->sport);
    GEN_PUTL(s, "},");
    /* the VM side(s): our VM is the source on egress, the destination on ingress */
    unsigned my_vpc = E->vpc;
    if (f->egress) {
        if (f->peer_public)
            put_location(s, "dest_location", f->dst);
        else
            put_vpc(s, "dest_vpc", A, f->peer_vpc);
    } else {
        put_instance(s, "dest_instance", A, f->rgn, f->eni);
        put_vpc(s, "dest_vpc", A, my_vpc);
    }
    put_time(s, "end_time", end, ns1);
    GEN_PUTL(s, ",\"packets_sent\":\"");
    gen_putu(s, f->packets);
    GEN_PUTL(s, "\",\"reporter\":\"");
    if (f->egress)
        GEN_PUTL(s, "SRC\",");
    else
        GEN_PUTL(s, "DEST\",");
    if (f->proto == 6 && f->egress) {
        GEN_PUTL(s, "\"rtt_msec\":\"");
        gen_putu(s, f->peer_public ? 8 + gen_below(r, 180) : 1 + gen_below(r, 3));
        GEN_PUTL(s, "\",");
    }
    if (f->egress) {
        put_instance(s, "src_instance", A, f->rgn, f->eni);
    } else if (f->peer_public) {
        put_location(s, "src_location", f->src);
    }
    if (f->egress)
        put_vpc(s, "src_vpc", A, my_vpc);
    else if (!f->peer_public)
        put_vpc(s, "src_vpc", A, f->peer_vpc);
    put_time(s, "start_time", f->start, f->start == end && ns0 > ns1 ? ns1 : ns0);
    GEN_PUTL(s, "},\"logName\":\"projects/");
    gen_putstr(s, A->project);
    GEN_PUTL(s, "/logs/compute.googleapis.com%2Fvpc_flows\",");
    put_time(s, "receiveTimestamp", recv, nsr);
    GEN_PUTL(s, ",\"resource\":{\"labels\":{");
    char zone[48], subid[24];
    snprintf(zone, sizeof zone, "%s-%c", region, 'a' + E->az);
    put_str(s, "location", zone);
    gen_putc(s, ',');
    put_str(s, "project_id", A->project);
    gen_putc(s, ',');
    snprintf(subid, sizeof subid, "%llu",
             (unsigned long long)(fl_hash64(c->o->seed + f->acct * 7 + f->rgn * 3 + my_vpc) % 9000000000000000000ULL));
    put_str(s, "subnetwork_id", subid);
    gen_putc(s, ',');
    char sub[32];
    snprintf(sub, sizeof sub, "subnet-%u", my_vpc + 1);
    put_str(s, "subnetwork_name", sub);
    GEN_PUTL(s, "},\"type\":\"gce_subnetwork\"},");
    put_time(s, "timestamp", recv, nsr);
    GEN_PUTL(s, "}\n");
}

/* gen_emit_fn for the benign look-alikes: written like the background, but
 * the per-entry random parts (insertId, nanoseconds) come from a stream of
 * their own so the background entries stay the same. */
static int emit_benign(struct gen_ctx *c, const void *arg, const struct gen_flow *f)
{
    (void)arg;
    FL_TRY(gen_reserve(c->sink));
    struct gen_rng keep = c->rng;
    fl__gen_rng_seed(&c->rng, c->o->seed ^ 0x9c9be9ULL ^ ((uint64_t)f->end << 16) ^
                                  ((uint64_t)f->eni << 8) ^ c->tot.records);
    write_entry(c, f);
    c->rng = keep;
    c->tot.records++;
    c->tot.accept++;
    c->tot.packets += f->packets;
    c->tot.bytes += f->bytes;
    c->acct_records[f->acct]++;
    c->acct_packets[f->acct] += f->packets;
    c->acct_bytes[f->acct] += f->bytes;
    fl__gen_truth_pair(c, f->src, f->dst, f->v6, f->bytes);
    return FL_OK;
}

int fl__gen_gcp(struct gen_ctx *c)
{
    const struct fl_gen_opts *o = c->o;
    struct gen_sink *s = c->sink;
    double diurnal[288];
    fl__gen_diurnal(diurnal);
    unsigned hours = o->days * 24;
    int rc = FL_OK;
    int stream = o->layout == FL_GEN_STREAM;
    if (stream)
        rc = fl__gen_sink_open(s, o->out, 0);
    double N = (double)o->records, pos = 0, prev = 0;
    char path[4096];
    for (unsigned hr = 0; rc == FL_OK && hr < hours; hr++) {
        unsigned hd = hr % 24;
        double hw = (diurnal[hd * 12 + 11] - (hd ? diurnal[hd * 12 - 1] : 0)) / (double)o->days;
        int64_t h0 = (o->day + hr / 24) * 86400 + (int64_t)hd * 3600;
        for (unsigned a = 0; rc == FL_OK && a < c->n_accounts; a++) {
            pos += hw * (c->acct_cum[a] - (a ? c->acct_cum[a - 1] : 0));
            double hi = (hr == hours - 1 && a == c->n_accounts - 1) ? N : floor(N * pos);
            uint64_t n = hi > prev ? (uint64_t)(hi - prev) : 0;
            if (hi > prev)
                prev = hi;
            uint64_t nb = 0;
            if (c->benign_mask &&
                (rc = fl__gen_benign_emit(c, a, 0, h0, 3600, GEN_BEN_GCP, NULL, NULL, &nb)) != FL_OK)
                break;
            if (!n && !nb)
                continue;
            const struct gen_account *A = &c->acct[a];
            if (!stream) {
                unsigned y, mo, d, h;
                fl__gen_ymdh(h0, &y, &mo, &d, &h, NULL);
                snprintf(path, sizeof path,
                         "%s/%s/compute.googleapis.com/vpc_flows/%04u/%02u/%02u/"
                         "%02u:00:00_%02u:59:59_S0.json",
                         o->out, A->project, y, mo, d, h, h);
                rc = fl__gen_sink_open(s, path, 0);
                if (rc != FL_OK)
                    break;
            }
            fl__gen_flow_flush(c);
            uint64_t done = 0;
            while (done < n) {
                struct gen_flow f;
                /* regions of the project by their share */
                unsigned rgn = A->n_regions == 1 || gen_below(&c->rng, 10) < 7
                                   ? 0
                                   : 1 + gen_below(&c->rng, A->n_regions - 1);
                fl__gen_flow(c, a, rgn, h0, 3600, 0, &f);
                if (f.action)
                    continue;
                if ((rc = gen_reserve(s)) != FL_OK)
                    break;
                write_entry(c, &f);
                done++;
                c->tot.records++;
                c->tot.accept++;
                c->tot.packets += f.packets;
                c->tot.bytes += f.bytes;
                c->acct_records[a]++;
                c->acct_packets[a] += f.packets;
                c->acct_bytes[a] += f.bytes;
                fl__gen_truth_pair(c, f.src, f.dst, f.v6, f.bytes);
            }
            if (rc == FL_OK && nb)
                rc = fl__gen_benign_emit(c, a, 0, h0, 3600, GEN_BEN_GCP, emit_benign, NULL, &nb);
            if (rc == FL_OK && !stream)
                rc = fl__gen_sink_close(s);
        }
    }
    if (rc == FL_OK && stream)
        rc = fl__gen_sink_close(s);
    return rc;
}
