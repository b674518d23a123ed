/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_aws.c - the AWS writers of `flowsift generate`: VPC flow log text in
 * the default v2 format, the v5 all-fields format, any custom format given
 * in AWS's own `${field} ...` syntax (any subset, any order, fields of
 * versions 2..11), and the Transit Gateway default format (36 fields,
 * version 6).  Output is one stream, or S3 objects in the documented key
 * layouts: one object per 5 minutes per flow log,
 *   AWSLogs/{acct}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/[{HH}/]
 *     {acct}_vpcflowlogs_{region}_{fl-id}_{YYYYMMDDTHHmmZ}_{hash}.log[.gz]
 * or the Hive-compatible variant
 *   AWSLogs/aws-account-id={acct}/aws-service=vpcflowlogs/aws-region={region}/
 *     year={yyyy}/month={mm}/day={dd}/[hour={HH}/]...
 * Every object starts with the header line naming its fields, as S3
 * delivery does.  Records come from the shared traffic model (gen.c).
 */
#include <math.h>

#include "gen_int.h"

enum aws_field {
    F_VERSION, F_ACCOUNT, F_INTERFACE, F_SRCADDR, F_DSTADDR, F_SRCPORT, F_DSTPORT,
    F_PROTOCOL, F_PACKETS, F_BYTES, F_START, F_END, F_ACTION, F_LOG_STATUS,
    F_VPC, F_SUBNET, F_INSTANCE, F_TCP_FLAGS, F_TYPE, F_PKT_SRC, F_PKT_DST,
    F_REGION, F_AZ, F_SUBLOC_TYPE, F_SUBLOC_ID, F_PKT_SRC_SVC, F_PKT_DST_SVC,
    F_FLOW_DIR, F_TRAFFIC_PATH, F_REJECT_REASON, F_RESOURCE_ID, F_ENCRYPTION,
    F_DASH, /* a field we always print as '-' (ECS, tags, next hop) */
    /* Transit Gateway */
    F_RESOURCE_TYPE, F_TGW_ID, F_TGW_ATTACH, F_TGW_SRC_ACCT, F_TGW_DST_ACCT,
    F_TGW_SRC_VPC, F_TGW_DST_VPC, F_TGW_SRC_SUBNET, F_TGW_DST_SUBNET, F_TGW_SRC_ENI,
    F_TGW_DST_ENI, F_TGW_SRC_AZ, F_TGW_DST_AZ, F_TGW_PAIR, F_LOST,
};

static const struct {
    const char *name;
    uint8_t id;
    uint8_t version;
} aws_fields[] = {
    {"version", F_VERSION, 2}, {"account-id", F_ACCOUNT, 2}, {"interface-id", F_INTERFACE, 2},
    {"srcaddr", F_SRCADDR, 2}, {"dstaddr", F_DSTADDR, 2}, {"srcport", F_SRCPORT, 2},
    {"dstport", F_DSTPORT, 2}, {"protocol", F_PROTOCOL, 2}, {"packets", F_PACKETS, 2},
    {"bytes", F_BYTES, 2}, {"start", F_START, 2}, {"end", F_END, 2},
    {"action", F_ACTION, 2}, {"log-status", F_LOG_STATUS, 2}, {"vpc-id", F_VPC, 3},
    {"subnet-id", F_SUBNET, 3}, {"instance-id", F_INSTANCE, 3}, {"tcp-flags", F_TCP_FLAGS, 3},
    {"type", F_TYPE, 3}, {"pkt-srcaddr", F_PKT_SRC, 3}, {"pkt-dstaddr", F_PKT_DST, 3},
    {"region", F_REGION, 4}, {"az-id", F_AZ, 4}, {"sublocation-type", F_SUBLOC_TYPE, 4},
    {"sublocation-id", F_SUBLOC_ID, 4}, {"pkt-src-aws-service", F_PKT_SRC_SVC, 5},
    {"pkt-dst-aws-service", F_PKT_DST_SVC, 5}, {"flow-direction", F_FLOW_DIR, 5},
    {"traffic-path", F_TRAFFIC_PATH, 5},
    {"ecs-cluster-arn", F_DASH, 7}, {"ecs-cluster-name", F_DASH, 7},
    {"ecs-container-instance-arn", F_DASH, 7}, {"ecs-container-instance-id", F_DASH, 7},
    {"ecs-container-id", F_DASH, 7}, {"ecs-second-container-id", F_DASH, 7},
    {"ecs-service-name", F_DASH, 7}, {"ecs-task-definition-arn", F_DASH, 7},
    {"ecs-task-arn", F_DASH, 7}, {"ecs-task-id", F_DASH, 7},
    {"reject-reason", F_REJECT_REASON, 8}, {"resource-id", F_RESOURCE_ID, 9},
    {"encryption-status", F_ENCRYPTION, 10},
    {"instance-tag", F_DASH, 11}, {"instance-tag-2", F_DASH, 11}, {"interface-tag", F_DASH, 11},
    {"interface-tag-2", F_DASH, 11}, {"asg-tag", F_DASH, 11}, {"asg-tag-2", F_DASH, 11},
    {"interface-type", F_DASH, 11}, {"next-hop-interface-id", F_DASH, 11},
    {"next-hop-subnet-id", F_DASH, 11}, {"next-hop-az-id", F_DASH, 11},
    {"next-hop-vpc-id", F_DASH, 11}, {"next-hop-interface-type", F_DASH, 11},
    /* Transit Gateway (version 6) */
    {"resource-type", F_RESOURCE_TYPE, 6}, {"tgw-id", F_TGW_ID, 6},
    {"tgw-attachment-id", F_TGW_ATTACH, 6}, {"tgw-src-vpc-account-id", F_TGW_SRC_ACCT, 6},
    {"tgw-dst-vpc-account-id", F_TGW_DST_ACCT, 6}, {"tgw-src-vpc-id", F_TGW_SRC_VPC, 6},
    {"tgw-dst-vpc-id", F_TGW_DST_VPC, 6}, {"tgw-src-subnet-id", F_TGW_SRC_SUBNET, 6},
    {"tgw-dst-subnet-id", F_TGW_DST_SUBNET, 6}, {"tgw-src-eni", F_TGW_SRC_ENI, 6},
    {"tgw-dst-eni", F_TGW_DST_ENI, 6}, {"tgw-src-az-id", F_TGW_SRC_AZ, 6},
    {"tgw-dst-az-id", F_TGW_DST_AZ, 6}, {"tgw-pair-attachment-id", F_TGW_PAIR, 6},
    {"packets-lost-no-route", F_LOST, 6}, {"packets-lost-blackhole", F_LOST, 6},
    {"packets-lost-mtu-exceeded", F_LOST, 6}, {"packets-lost-ttl-expired", F_LOST, 6},
};

static const char fmt_v2[] = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} "
                             "${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} "
                             "${end} ${action} ${log-status}";
static const char fmt_v5[] =
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} "
    "${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} "
    "${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} "
    "${pkt-dst-aws-service} ${flow-direction} ${traffic-path}";
static const char fmt_tgw[] =
    "${version} ${resource-type} ${account-id} ${tgw-id} ${tgw-attachment-id} "
    "${tgw-src-vpc-account-id} ${tgw-dst-vpc-account-id} ${tgw-src-vpc-id} ${tgw-dst-vpc-id} "
    "${tgw-src-subnet-id} ${tgw-dst-subnet-id} ${tgw-src-eni} ${tgw-dst-eni} ${tgw-src-az-id} "
    "${tgw-dst-az-id} ${tgw-pair-attachment-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${log-status} ${type} "
    "${packets-lost-no-route} ${packets-lost-blackhole} ${packets-lost-mtu-exceeded} "
    "${packets-lost-ttl-expired} ${tcp-flags} ${region} ${flow-direction} "
    "${pkt-src-aws-service} ${pkt-dst-aws-service}";

#define MAX_FIELDS 96

struct aws_fmt {
    uint8_t id[MAX_FIELDS];
    unsigned n;
    unsigned version;
    char header[4096];
    size_t header_len;
};

/* Parse "${a} ${b} ..." (or plain space-separated names). */
static int parse_format(const char *s, struct aws_fmt *f, int tgw, struct fl_error *err)
{
    f->n = 0;
    f->version = 2;
    f->header_len = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *b = p, *e;
        if (p[0] == '$' && p[1] == '{') {
            b = p + 2;
            e = strchr(b, '}');
            FL_RETURN_IF(!e, err, FL_EINVAL, "generate: --aws-format: missing '}' after '%s'", p);
            p = e + 1;
        } else {
            while (*p && *p != ' ' && *p != '\t')
                p++;
            e = p;
        }
        size_t n = (size_t)(e - b);
        int found = -1;
        for (size_t i = 0; i < FL_ARRAY_LEN(aws_fields); i++) {
            const char *nm = aws_fields[i].name;
            if (strlen(nm) != n)
                continue;
            int eq = 1;
            for (size_t k = 0; k < n; k++) {
                char ch = b[k] == '_' ? '-' : b[k];
                if (ch != nm[k]) {
                    eq = 0;
                    break;
                }
            }
            if (eq) {
                found = (int)i;
                break;
            }
        }
        FL_RETURN_IF(found < 0, err, FL_EINVAL, "generate: --aws-format: unknown field '%.*s'",
                     (int)n, b);
        FL_RETURN_IF(f->n >= MAX_FIELDS, err, FL_EINVAL, "generate: --aws-format: too many fields");
        FL_RETURN_IF(!tgw && aws_fields[found].version == 6 && aws_fields[found].id != F_DASH,
                     err, FL_EINVAL,
                     "generate: --aws-format: '%s' is a Transit Gateway field (use --format aws-tgw)",
                     aws_fields[found].name);
        f->id[f->n++] = aws_fields[found].id;
        if (aws_fields[found].version > f->version)
            f->version = aws_fields[found].version;
        size_t nl = strlen(aws_fields[found].name);
        FL_RETURN_IF(f->header_len + nl + 2 >= sizeof f->header, err, FL_EINVAL,
                     "generate: --aws-format too long");
        if (f->header_len)
            f->header[f->header_len++] = ' ';
        memcpy(f->header + f->header_len, aws_fields[found].name, nl);
        f->header_len += nl;
    }
    FL_RETURN_IF(f->n == 0, err, FL_EINVAL, "generate: --aws-format has no fields");
    f->header[f->header_len++] = '\n';
    if (tgw)
        f->version = 6;
    return FL_OK;
}

static const char *const az_prefix[GEN_N_REGION_NAMES] = {"use1", "euw1", "usw2",
                                                          "apse2", "euc1", "apne1"};

static const char *aws_service(const uint8_t *a, int v6)
{
    if (v6)
        return "-";
    switch (a[0]) {
    case 52: return "S3";
    case 54: return "EC2";
    case 3: return "AMAZON";
    case 13: return "CLOUDFRONT";
    default: return "-";
    }
}

/* Per flow log ids for the Transit Gateway fields. */
static void tgw_id(char *dst, const char *prefix, const struct gen_ctx *c, unsigned a,
                   unsigned r, unsigned k)
{
    static const char hx[] = "0123456789abcdef";
    uint64_t h = fl_hash64(c->o->seed * 31 + a * 1000003ULL + r * 101 + k + 0x76);
    size_t n = strlen(prefix);
    memcpy(dst, prefix, n);
    for (int i = 0; i < 17; i++)
        dst[n + i] = hx[(h >> ((i % 16) * 4)) & 15];
    dst[n + 17] = 0;
}

#define DASH() gen_putc(s, '-')

static void write_record(struct gen_ctx *c, const struct aws_fmt *fm, const struct gen_flow *f)
{
    struct gen_sink *s = c->sink;
    const struct gen_account *A = &c->acct[f->acct];
    const struct gen_eni *E = &A->enis[f->eni];
    unsigned rname = A->region[f->rgn];
    int ok = f->status == 0;
    char tmp[40];
    for (unsigned i = 0; i < fm->n; i++) {
        if (i)
            gen_putc(s, ' ');
        switch (fm->id[i]) {
        case F_VERSION: gen_putu(s, fm->version); break;
        case F_ACCOUNT:
        case F_TGW_SRC_ACCT:
        case F_TGW_DST_ACCT: gen_puts(s, A->id, 12); break;
        case F_INTERFACE: gen_putstr(s, E->id); break;
        case F_SRCADDR:
        case F_PKT_SRC:
            if (ok) gen_putip(s, f->src, f->v6); else DASH();
            break;
        case F_DSTADDR:
        case F_PKT_DST:
            if (ok) gen_putip(s, f->dst, f->v6); else DASH();
            break;
        case F_SRCPORT: if (ok) gen_putu(s, f->sport); else DASH(); break;
        case F_DSTPORT: if (ok) gen_putu(s, f->dport); else DASH(); break;
        case F_PROTOCOL: if (ok) gen_putu(s, f->proto); else DASH(); break;
        case F_PACKETS: if (ok) gen_putu(s, f->packets); else DASH(); break;
        case F_BYTES: if (ok) gen_putu(s, f->bytes); else DASH(); break;
        case F_START: gen_putu(s, (uint64_t)f->start); break;
        case F_END: gen_putu(s, (uint64_t)f->end); break;
        case F_ACTION:
            if (!ok) DASH();
            else if (f->action) GEN_PUTL(s, "REJECT");
            else GEN_PUTL(s, "ACCEPT");
            break;
        case F_LOG_STATUS:
            if (f->status == 0) GEN_PUTL(s, "OK");
            else if (f->status == 1) GEN_PUTL(s, "NODATA");
            else GEN_PUTL(s, "SKIPDATA");
            break;
        case F_VPC: gen_putstr(s, A->vpc_id[f->rgn][E->vpc]); break;
        case F_SUBNET: gen_putstr(s, E->subnet); break;
        case F_INSTANCE: gen_putstr(s, E->instance); break;
        case F_TCP_FLAGS: if (ok) gen_putu(s, f->tcp_flags); else DASH(); break;
        case F_TYPE:
            if (!ok) DASH();
            else if (f->v6) GEN_PUTL(s, "IPv6");
            else GEN_PUTL(s, "IPv4");
            break;
        case F_REGION: gen_putstr(s, fl__gen_aws_regions[rname]); break;
        case F_AZ:
        case F_TGW_SRC_AZ:
            gen_putstr(s, az_prefix[rname]);
            GEN_PUTL(s, "-az");
            gen_putu(s, E->az + 1u);
            break;
        case F_TGW_DST_AZ:
            gen_putstr(s, az_prefix[rname]);
            GEN_PUTL(s, "-az");
            gen_putu(s, (E->az + 1u) % 3 + 1u);
            break;
        case F_SUBLOC_TYPE:
        case F_SUBLOC_ID:
        case F_RESOURCE_ID:
        case F_DASH: DASH(); break;
        case F_PKT_SRC_SVC: gen_putstr(s, ok ? aws_service(f->src, f->v6) : "-"); break;
        case F_PKT_DST_SVC: gen_putstr(s, ok ? aws_service(f->dst, f->v6) : "-"); break;
        case F_FLOW_DIR:
            if (!ok) DASH();
            else if (f->egress) GEN_PUTL(s, "egress");
            else GEN_PUTL(s, "ingress");
            break;
        case F_TRAFFIC_PATH:
            if (ok && f->traffic_path) gen_putu(s, f->traffic_path); else DASH();
            break;
        case F_REJECT_REASON:
            if (ok && f->action && f->peer_public && (f->sport % 16) == 0) GEN_PUTL(s, "BPA");
            else DASH();
            break;
        case F_ENCRYPTION:
            if (!ok) DASH();
            else gen_putu(s, f->peer_public ? (f->dport == 443 || f->sport == 443 ? 2u : 0u) : 1u);
            break;
        case F_RESOURCE_TYPE:
            if (f->eni % 5 == 0) GEN_PUTL(s, "TransitGateway");
            else GEN_PUTL(s, "TransitGatewayAttachment");
            break;
        case F_TGW_ID: tgw_id(tmp, "tgw-", c, f->acct, f->rgn, 0); gen_putstr(s, tmp); break;
        case F_TGW_ATTACH:
            tgw_id(tmp, "tgw-attach-", c, f->acct, f->rgn, 10 + E->vpc);
            gen_putstr(s, tmp);
            break;
        case F_TGW_PAIR:
            tgw_id(tmp, "tgw-attach-", c, f->acct, f->rgn, 10 + (E->vpc ^ 1u));
            gen_putstr(s, tmp);
            break;
        case F_TGW_SRC_VPC: gen_putstr(s, A->vpc_id[f->rgn][E->vpc]); break;
        case F_TGW_DST_VPC: gen_putstr(s, A->vpc_id[f->rgn][E->vpc ^ 1u]); break;
        case F_TGW_SRC_SUBNET: gen_putstr(s, E->subnet); break;
        case F_TGW_DST_SUBNET:
            tgw_id(tmp, "subnet-", c, f->acct, f->rgn, 20 + (E->vpc ^ 1u));
            gen_putstr(s, tmp);
            break;
        case F_TGW_SRC_ENI:
            tgw_id(tmp, "eni-", c, f->acct, f->rgn, 30 + E->vpc);
            gen_putstr(s, tmp);
            break;
        case F_TGW_DST_ENI:
            tgw_id(tmp, "eni-", c, f->acct, f->rgn, 30 + (E->vpc ^ 1u));
            gen_putstr(s, tmp);
            break;
        case F_LOST: if (ok) gen_putc(s, '0'); else DASH(); break;
        }
    }
    gen_putc(s, '\n');
}

static void count_record(struct gen_ctx *c, const struct gen_flow *f)
{
    struct fl_gen_totals *t = &c->tot;
    t->records++;
    c->acct_records[f->acct]++;
    if (f->status == 1) {
        t->nodata++;
        return;
    }
    if (f->status == 2) {
        t->skipdata++;
        return;
    }
    if (f->action)
        t->reject++;
    else
        t->accept++;
    t->packets += f->packets;
    t->bytes += f->bytes;
    c->acct_packets[f->acct] += f->packets;
    c->acct_bytes[f->acct] += f->bytes;
    fl__gen_truth_pair(c, f->src, f->dst, f->v6, f->bytes);
}

/* gen_emit_fn for the planted incidents. */
static int emit_record(struct gen_ctx *c, const void *arg, const struct gen_flow *f)
{
    FL_TRY(gen_reserve(c->sink));
    write_record(c, arg, f);
    count_record(c, f);
    return FL_OK;
}

static size_t put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return 2;
}

/* Build the S3 key of flow log (a, r) for the window starting at t. */
static int s3_path(struct gen_ctx *c, unsigned a, unsigned r, int64_t t, char *buf, size_t cap)
{
    const struct fl_gen_opts *o = c->o;
    const struct gen_account *A = &c->acct[a];
    const char *region = fl__gen_aws_regions[A->region[r]];
    unsigned y, mo, d, h, mi;
    fl__gen_ymdh(t, &y, &mo, &d, &h, &mi);
    char ymd[3][8], hh[4], stamp[20];
    snprintf(ymd[0], sizeof ymd[0], "%04u", y);
    ymd[1][put2(ymd[1], mo)] = 0;
    ymd[2][put2(ymd[2], d)] = 0;
    hh[put2(hh, h)] = 0;
    snprintf(stamp, sizeof stamp, "%04u%02u%02uT%02u%02uZ", y, mo, d, h, mi);
    uint32_t hash = (uint32_t)fl_hash64(o->seed ^ ((uint64_t)a << 48) ^ ((uint64_t)r << 44) ^
                                        (uint64_t)t);
    int n;
    if (o->layout == FL_GEN_S3_HIVE)
        n = snprintf(buf, cap,
                     "%s/AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/"
                     "year=%s/month=%s/day=%s/%s%s%s%s_vpcflowlogs_%s_%s_%s_%08x.log%s",
                     o->out, A->id, region, ymd[0], ymd[1], ymd[2], o->hourly ? "hour=" : "",
                     o->hourly ? hh : "", o->hourly ? "/" : "", A->id, region,
                     A->flow_log_id[r], stamp, hash, o->gzip ? ".gz" : "");
    else
        n = snprintf(buf, cap,
                     "%s/AWSLogs/%s/vpcflowlogs/%s/%s/%s/%s/%s%s%s_vpcflowlogs_%s_%s_%s_%08x.log%s",
                     o->out, A->id, region, ymd[0], ymd[1], ymd[2], o->hourly ? hh : "",
                     o->hourly ? "/" : "", A->id, region, A->flow_log_id[r], stamp, hash,
                     o->gzip ? ".gz" : "");
    FL_RETURN_IF(n < 0 || (size_t)n >= cap, c->err, FL_EINVAL, "generate: output path too long");
    return FL_OK;
}

int fl__gen_aws(struct gen_ctx *c)
{
    const struct fl_gen_opts *o = c->o;
    struct aws_fmt *fm = fl_calloc(1, sizeof *fm);
    FL_RETURN_IF(!fm, c->err, FL_ENOMEM, "generate: out of memory");
    int tgw = o->format == FL_GEN_AWS_TGW;
    const char *spec = o->format == FL_GEN_AWS_V5    ? fmt_v5
                       : o->format == FL_GEN_AWS_TGW ? fmt_tgw
                       : o->format == FL_GEN_AWS_CUSTOM ? o->aws_format
                                                        : fmt_v2;
    int rc = parse_format(spec, fm, tgw, c->err);
    /* flow logs = (account, region); weights: account Zipf x region share */
    unsigned n_fl = 0, fl_acct[GEN_MAX_ACCOUNTS * GEN_MAX_REGIONS],
             fl_rgn[GEN_MAX_ACCOUNTS * GEN_MAX_REGIONS];
    double fl_cum[GEN_MAX_ACCOUNTS * GEN_MAX_REGIONS], run = 0;
    for (unsigned a = 0; a < c->n_accounts; a++) {
        double share = c->acct_cum[a] - (a ? c->acct_cum[a - 1] : 0);
        const struct gen_account *A = &c->acct[a];
        for (unsigned r = 0; r < A->n_regions; r++) {
            double rs = A->n_regions == 1 ? 1.0 : r == 0 ? 0.7 : 0.3 / (A->n_regions - 1);
            run += share * rs;
            fl_acct[n_fl] = a;
            fl_rgn[n_fl] = r;
            fl_cum[n_fl++] = run;
        }
    }
    fl_cum[n_fl - 1] = 1.0;
    double diurnal[288];
    fl__gen_diurnal(diurnal);
    unsigned n_win = o->days * 288;
    double *win_cum = fl_malloc(n_win * sizeof *win_cum);
    if (!win_cum)
        rc = rc ? rc : fl_error_set(c->err, FL_ENOMEM, "generate: out of memory");
    for (unsigned w = 0; rc == FL_OK && w < n_win; w++)
        win_cum[w] = ((double)(w / 288) + diurnal[w % 288]) / (double)o->days;
    if (win_cum)
        win_cum[n_win - 1] = 1.0;
    int stream = o->layout == FL_GEN_STREAM;
    struct gen_sink *s = c->sink;
    char *path = fl_malloc(4096);
    if (!path && rc == FL_OK)
        rc = fl_error_set(c->err, FL_ENOMEM, "generate: out of memory");
    if (rc == FL_OK && stream) {
        rc = fl__gen_sink_open(s, o->out, o->gzip);
        if (rc == FL_OK && !o->no_header)
            gen_puts(s, fm->header, fm->header_len);
    }
    int64_t t_day0 = o->day * 86400;
    /* Records are allocated over (window, flow log) cells by one global
     * cumulative share, so the total is exact and small counts are not
     * biased to any flow log. */
    double N = (double)o->records, prev = 0;
    for (unsigned w = 0; rc == FL_OK && w < n_win; w++) {
        double lo = w ? win_cum[w - 1] : 0.0, span = win_cum[w] - lo;
        int64_t t0 = t_day0 + (int64_t)w * 300;
        for (unsigned i = 0; rc == FL_OK && i < n_fl; i++) {
            double hi = (w == n_win - 1 && i == n_fl - 1) ? N : floor(N * (lo + span * fl_cum[i]));
            uint64_t n = hi > prev ? (uint64_t)(hi - prev) : 0;
            if (hi > prev)
                prev = hi;
            unsigned ni = (fl_acct[i] == 0 && fl_rgn[i] == 0 && c->n_inc)
                              ? fl__gen_incidents_in_window(c, w)
                              : 0;
            uint64_t nb = 0;
            if (c->benign_mask &&
                (rc = fl__gen_benign_emit(c, fl_acct[i], fl_rgn[i], t0, 300, GEN_BEN_AWS, NULL, NULL, &nb)))
                break;
            if (!n && !ni && !nb)
                continue;
            if (!stream) {
                rc = s3_path(c, fl_acct[i], fl_rgn[i], t0, path, 4096);
                if (rc == FL_OK)
                    rc = fl__gen_sink_open(s, path, o->gzip);
                if (rc != FL_OK)
                    break;
                if (!o->no_header)
                    gen_puts(s, fm->header, fm->header_len);
            }
            fl__gen_flow_flush(c);
            for (uint64_t j = 0; j < n; j++) {
                struct gen_flow f;
                fl__gen_flow(c, fl_acct[i], fl_rgn[i], t0, 300, !tgw, &f);
                if ((rc = gen_reserve(s)) != FL_OK)
                    break;
                write_record(c, fm, &f);
                count_record(c, &f);
            }
            if (rc == FL_OK && ni)
                rc = fl__gen_incidents_emit(c, w, t0, emit_record, fm);
            if (rc == FL_OK && nb)
                rc = fl__gen_benign_emit(c, fl_acct[i], fl_rgn[i], t0, 300, GEN_BEN_AWS, emit_record, fm, &nb);
            if (rc == FL_OK && !stream)
                rc = fl__gen_sink_close(s);
        }
    }
    if (rc == FL_OK && stream)
        rc = fl__gen_sink_close(s);
    fl_free(path);
    fl_free(win_cum);
    fl_free(fm);
    return rc;
}
