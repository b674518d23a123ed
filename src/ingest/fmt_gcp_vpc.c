/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_gcp_vpc.c - format "gcp-vpc": Google Cloud VPC Flow Logs as Cloud
 * Logging LogEntry JSON (one entry per line as exported to Cloud Storage or
 * Pub/Sub; a JSON array or pretty-printed entries work too).  The record
 * framer (json_records.c) cuts the stream into entries; yajl parses each
 * with the callbacks below, which follow the keys we map (logName,
 * resource.labels, jsonPayload.connection, reporter, start/end time,
 * bytes/packets (int64 as JSON strings or numbers), disposition/drop_reason,
 * src_/dest_instance, src_/dest_vpc).  Every other member of jsonPayload is
 * kept, with its JSON structure, in the `extra` column (rtt_msec,
 * src_/dest_location, round_trip_time, gke details, google service ...);
 * unknown members of the mapped sub-objects appear there as
 * "src_instance.<key>" etc.  One entry -> one row.
 *
 * Mapping (docs/formats/gcp.md): reporter SRC/SRC_GATEWAY -> egress and the
 * src_* side describes the reporter; DEST/DEST_GATEWAY -> ingress and the
 * dest_* side; account_id = that side's project (instance, else vpc, else
 * the log's project); account = the log's project (logName, else
 * resource.labels.project_id, else account_id); DROPPED -> REJECT with
 * reject_reason = drop_reason, else ACCEPT.  Entries that are not flow logs
 * (no jsonPayload.connection and no vpc_flows logName) are counted as
 * skipped_messages, not records.
 */
#include <yajl/yajl_parse.h>

#include "json_records.h"

#define G_STR_CAP ((size_t)1 << 20)
#define G_STACK 80
#define G_EXTRA_CAP ((size_t)64 << 10)

enum g_node {
    GN_SKIP, GN_ROOT, GN_RES, GN_RLAB, GN_PAY, GN_CONN, GN_SINST, GN_DINST,
    GN_SVPC, GN_DVPC, GN_CAPTURE, GN__N
};

/* Values we keep. */
enum g_field {
    GF_NONE,
    GF_LOGNAME, GF_RTYPE, GF_RPROJECT, GF_RLOCATION, GF_RSUBNET,
    GF_REPORTER, GF_START, GF_END, GF_BYTES, GF_PACKETS, GF_DISP, GF_DROP,
    GF_SRCIP, GF_SRCPORT, GF_DSTIP, GF_DSTPORT, GF_PROTO,
    /* per side: instance project, region, zone, vm; vpc project, vpc,
     * subnet, subnet region */
    GF_S_IPROJ, GF_S_REGION, GF_S_ZONE, GF_S_VM,
    GF_S_VPROJ, GF_S_VPC, GF_S_SUBNET, GF_S_SREGION,
    GF_D_IPROJ, GF_D_REGION, GF_D_ZONE, GF_D_VM,
    GF_D_VPROJ, GF_D_VPC, GF_D_SUBNET, GF_D_SREGION,
    GF__N
};
#define GF_SIDE (GF_D_IPROJ - GF_S_IPROJ)

struct g_key {
    const char *name;
    int is_map;          /* 1: object expected, child node below */
    enum g_field field;
    enum g_node child;
};

static const struct g_key gk_root[] = {
    {"logName", 0, GF_LOGNAME, 0}, {"resource", 1, GF_NONE, GN_RES},
    {"jsonPayload", 1, GF_NONE, GN_PAY}, {NULL, 0, 0, 0}};
static const struct g_key gk_res[] = {
    {"type", 0, GF_RTYPE, 0}, {"labels", 1, GF_NONE, GN_RLAB}, {NULL, 0, 0, 0}};
static const struct g_key gk_rlab[] = {
    {"project_id", 0, GF_RPROJECT, 0}, {"location", 0, GF_RLOCATION, 0},
    {"subnetwork_name", 0, GF_RSUBNET, 0}, {NULL, 0, 0, 0}};
static const struct g_key gk_pay[] = {
    {"connection", 1, GF_NONE, GN_CONN}, {"reporter", 0, GF_REPORTER, 0},
    {"start_time", 0, GF_START, 0}, {"end_time", 0, GF_END, 0},
    {"bytes_sent", 0, GF_BYTES, 0}, {"packets_sent", 0, GF_PACKETS, 0},
    {"disposition", 0, GF_DISP, 0}, {"drop_reason", 0, GF_DROP, 0},
    {"src_instance", 1, GF_NONE, GN_SINST}, {"dest_instance", 1, GF_NONE, GN_DINST},
    {"src_vpc", 1, GF_NONE, GN_SVPC}, {"dest_vpc", 1, GF_NONE, GN_DVPC},
    {NULL, 0, 0, 0}};
static const struct g_key gk_conn[] = {
    {"src_ip", 0, GF_SRCIP, 0}, {"src_port", 0, GF_SRCPORT, 0},
    {"dest_ip", 0, GF_DSTIP, 0}, {"dest_port", 0, GF_DSTPORT, 0},
    {"protocol", 0, GF_PROTO, 0}, {NULL, 0, 0, 0}};
static const struct g_key gk_sinst[] = {
    {"project_id", 0, GF_S_IPROJ, 0}, {"region", 0, GF_S_REGION, 0},
    {"zone", 0, GF_S_ZONE, 0}, {"vm_name", 0, GF_S_VM, 0}, {NULL, 0, 0, 0}};
static const struct g_key gk_dinst[] = {
    {"project_id", 0, GF_D_IPROJ, 0}, {"region", 0, GF_D_REGION, 0},
    {"zone", 0, GF_D_ZONE, 0}, {"vm_name", 0, GF_D_VM, 0}, {NULL, 0, 0, 0}};
static const struct g_key gk_svpc[] = {
    {"project_id", 0, GF_S_VPROJ, 0}, {"vpc_name", 0, GF_S_VPC, 0},
    {"subnetwork_name", 0, GF_S_SUBNET, 0}, {"subnetwork_region", 0, GF_S_SREGION, 0},
    {NULL, 0, 0, 0}};
static const struct g_key gk_dvpc[] = {
    {"project_id", 0, GF_D_VPROJ, 0}, {"vpc_name", 0, GF_D_VPC, 0},
    {"subnetwork_name", 0, GF_D_SUBNET, 0}, {"subnetwork_region", 0, GF_D_SREGION, 0},
    {NULL, 0, 0, 0}};

static const struct g_key *const g_keys[GN__N] = {
    [GN_ROOT] = gk_root, [GN_RES] = gk_res, [GN_RLAB] = gk_rlab, [GN_PAY] = gk_pay,
    [GN_CONN] = gk_conn, [GN_SINST] = gk_sinst, [GN_DINST] = gk_dinst,
    [GN_SVPC] = gk_svpc, [GN_DVPC] = gk_dvpc,
};
/* Unknown members of these nodes go to `extra` (with this key prefix). */
static const char *const g_extra_prefix[GN__N] = {
    [GN_PAY] = "", [GN_CONN] = "connection.", [GN_SINST] = "src_instance.",
    [GN_DINST] = "dest_instance.", [GN_SVPC] = "src_vpc.", [GN_DVPC] = "dest_vpc.",
};

struct g_ref {
    uint32_t off, len;
    uint8_t set;     /* 1 string, 2 number */
};
struct g_frame {
    uint8_t node;
    uint8_t is_arr;
    int8_t key;      /* known key index, -1 unknown/ignored, -2 to extra */
    uint8_t first;   /* capture: no member written yet */
    uint32_t seen;
};

struct gcp_state {
    struct fl__jr *jr;
    yajl_handle yh;
    struct fl__jr_item item;
    struct g_frame st[G_STACK];
    int depth;
    bool done;
    enum fl_reject err_reason;
    const char *err_why;
    struct fl_buf scratch;
    struct fl_buf extra;
    bool extra_over;
    struct g_ref f[GF__N];
    bool have_conn;
    uint64_t resume;
    bool ended;
    int stash_rc;               /* a stream error held back until the rows */
    struct fl_error stash_err;  /* appended before it have been returned */
};

/* ---- parse callbacks ----------------------------------------------------- */

static int g_fail(struct gcp_state *s, enum fl_reject why, const char *msg)
{
    if (!s->err_why) {
        s->err_reason = why;
        s->err_why = msg;
    }
    return 0;
}

static void x_add(struct gcp_state *s, const char *p, size_t n)
{
    if (!s->extra_over && fl_buf_add(&s->extra, p, n) != FL_OK)
        s->extra_over = true;
}

static void x_str(struct gcp_state *s, const char *p, size_t n)
{
    char tmp[512];
    x_add(s, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t chunk = FL_MIN(n - i, (size_t)64);
        size_t k = fl_json_escape(p + i, chunk, tmp, sizeof tmp);
        x_add(s, tmp, FL_MIN(k, sizeof tmp));
        i += chunk;
    }
    x_add(s, "\"", 1);
}

/* Before a value inside a captured container (or a top-level extra
 * member): the separating comma. */
static void x_sep(struct gcp_state *s)
{
    struct g_frame *t = &s->st[s->depth - 1];
    if (t->node == GN_CAPTURE && t->is_arr) {
        if (!t->first)
            x_add(s, ",", 1);
        t->first = 0;
    }
}

/* Are we about to write a value into extra?  (inside a capture, or the
 * value of an unknown member of a mapped object) */
static bool x_active(const struct gcp_state *s)
{
    if (s->depth == 0)
        return false;
    const struct g_frame *t = &s->st[s->depth - 1];
    return t->node == GN_CAPTURE || t->key == -2;
}

static int g_push(struct gcp_state *s, bool is_arr)
{
    enum g_node node = GN_SKIP;
    if (s->depth == 0) {
        if (is_arr)
            return g_fail(s, FL_REJ_BAD_JSON, "log entry is not a JSON object");
        node = GN_ROOT;
    } else {
        struct g_frame *t = &s->st[s->depth - 1];
        if (x_active(s)) {
            x_sep(s);
            x_add(s, is_arr ? "[" : "{", 1);
            node = GN_CAPTURE;
        } else if (t->node != GN_SKIP && !t->is_arr && t->key >= 0) {
            const struct g_key *k = &g_keys[t->node][t->key];
            if (!k->is_map)
                return g_fail(s, FL_REJ_BAD_JSON, "unexpected JSON type for a known key");
            if (is_arr)
                return g_fail(s, FL_REJ_BAD_JSON, "expected an object");
            node = k->child;
            if (node == GN_CONN)
                s->have_conn = true;
        }
    }
    if (s->depth >= G_STACK)
        return g_fail(s, FL_REJ_TOO_DEEP, "JSON nested too deeply");
    struct g_frame *f = &s->st[s->depth++];
    f->node = (uint8_t)node;
    f->is_arr = is_arr;
    f->key = -1;
    f->first = 1;
    f->seen = 0;
    return 1;
}

static int g_pop(struct gcp_state *s)
{
    if (s->depth == 0)
        return g_fail(s, FL_REJ_BAD_JSON, "unbalanced JSON");
    struct g_frame *f = &s->st[--s->depth];
    if (f->node == GN_CAPTURE)
        x_add(s, f->is_arr ? "]" : "}", 1);
    if (s->depth == 0)
        s->done = true;
    else if (s->st[s->depth - 1].key == -2)
        s->st[s->depth - 1].key = -1;
    return 1;
}

static int g_start_map(void *ctx) { return g_push(ctx, false); }
static int g_start_array(void *ctx) { return g_push(ctx, true); }
static int g_end(void *ctx) { return g_pop(ctx); }

static int g_key(void *ctx, const unsigned char *k, size_t n)
{
    struct gcp_state *s = ctx;
    struct g_frame *t = &s->st[s->depth - 1];
    if (n > G_STR_CAP)
        return g_fail(s, FL_REJ_TOO_BIG, "JSON key longer than 1 MiB");
    t->key = -1;
    if (t->node == GN_CAPTURE) {
        if (!t->first)
            x_add(s, ",", 1);
        t->first = 0;
        x_str(s, (const char *)k, n);
        x_add(s, ":", 1);
        return 1;
    }
    const struct g_key *keys = g_keys[t->node];
    if (!keys)
        return 1;
    for (int i = 0; keys[i].name; i++) {
        if (strlen(keys[i].name) == n && memcmp(keys[i].name, k, n) == 0) {
            if (t->seen & (1u << i))
                return g_fail(s, FL_REJ_BAD_JSON, "duplicate key in a JSON object");
            t->seen |= 1u << i;
            t->key = (int8_t)i;
            return 1;
        }
    }
    const char *prefix = g_extra_prefix[t->node];
    if (prefix) {
        /* an unknown member: written to extra as "prefix+key": value */
        x_add(s, s->extra.len ? "," : "{", 1);
        char name[256];
        size_t pn = strlen(prefix);
        size_t kn = FL_MIN(n, sizeof name - pn - 1);
        memcpy(name, prefix, pn);
        memcpy(name + pn, k, kn);
        x_str(s, name, pn + kn);
        x_add(s, ":", 1);
        t->key = -2;
    }
    return 1;
}

static int g_scalar(struct gcp_state *s, const char *p, size_t n, int ty /* 1 str 2 num 3 raw */)
{
    if (s->depth == 0)
        return g_fail(s, FL_REJ_BAD_JSON, "log entry is not a JSON object");
    struct g_frame *t = &s->st[s->depth - 1];
    if (x_active(s)) {
        x_sep(s);
        if (ty == 1)
            x_str(s, p, n);
        else
            x_add(s, p, n);
        if (t->key == -2)
            t->key = -1;
        return 1;
    }
    if (t->node == GN_SKIP || t->is_arr || t->key < 0)
        return 1;
    const struct g_key *k = &g_keys[t->node][t->key];
    if (k->is_map)
        return g_fail(s, FL_REJ_BAD_JSON, "unexpected JSON type for a known key");
    if (ty == 3)
        return 1; /* null/bool for a mapped field: absent */
    size_t off = s->scratch.len;
    if (fl_buf_add(&s->scratch, p, n) != FL_OK)
        return g_fail(s, FL_REJ_TOO_BIG, "log entry larger than the scratch cap");
    s->f[k->field] = (struct g_ref){(uint32_t)off, (uint32_t)n, (uint8_t)ty};
    return 1;
}

static int g_string(void *ctx, const unsigned char *p, size_t n)
{
    if (n > G_STR_CAP)
        return g_fail(ctx, FL_REJ_TOO_BIG, "JSON string longer than 1 MiB");
    return g_scalar(ctx, (const char *)p, n, 1);
}
static int g_number(void *ctx, const char *p, size_t n) { return g_scalar(ctx, p, n, 2); }
static int g_null(void *ctx) { return g_scalar(ctx, "null", 4, 3); }
static int g_bool(void *ctx, int v)
{
    return v ? g_scalar(ctx, "true", 4, 3) : g_scalar(ctx, "false", 5, 3);
}

static const yajl_callbacks g_cbs = {
    g_null, g_bool, NULL, NULL, g_number, g_string,
    g_start_map, g_key, g_end, g_start_array, g_end,
};

/* ---- row ----------------------------------------------------------------- */

static struct fl_str gv(const struct gcp_state *s, enum g_field f)
{
    if (!s->f[f].set)
        return FL_STR_NULL;
    return (struct fl_str){s->scratch.p + s->f[f].off, s->f[f].len};
}

static int g_reject(struct gcp_state *s, struct fl__pctx *c, enum fl_reject why,
                    struct fl_error *err)
{
    return fl__reject(c, s->item.line, s->item.offset, why, s->item.p, s->item.n, err);
}

/* An int64 given as a JSON string or number; 0 ok / absent, else reason+1. */
static int g_int(struct fl_str v, int64_t lo, int64_t hi, int64_t *out, bool *has)
{
    *has = false;
    *out = 0;
    if (!v.p)
        return 0;
    int64_t x;
    int rc = fl_parse_i64(v.p, v.n, &x);
    if (rc == FL_ERANGE || (rc == FL_OK && (x < lo || x > hi)))
        return FL_REJ_NUMBER_RANGE + 1;
    if (rc != FL_OK)
        return FL_REJ_BAD_NUMBER + 1;
    *out = x;
    *has = true;
    return 0;
}

static int set_opt(struct fl_batch *b, int col, uint32_t row, struct fl_str v)
{
    if (!v.p)
        return FL_OK;
    return fl_set_str(b, col, row, v.p, v.n);
}

/* "projects/<P>/logs/..." -> P */
static struct fl_str log_project(struct fl_str ln)
{
    if (!ln.p || ln.n < 10 || memcmp(ln.p, "projects/", 9) != 0)
        return FL_STR_NULL;
    const char *e = memchr(ln.p + 9, '/', ln.n - 9);
    size_t n = e ? (size_t)(e - ln.p - 9) : ln.n - 9;
    return n ? (struct fl_str){ln.p + 9, n} : FL_STR_NULL;
}

static struct fl_str first(struct fl_str a, struct fl_str b)
{
    return a.p ? a : b;
}

static int emit_entry(struct gcp_state *s, struct fl__pctx *c, struct fl_batch *b,
                      struct fl_error *err)
{
    struct fl_str logname = gv(s, GF_LOGNAME);
    if (!s->have_conn) {
        if (logname.p && memmem(logname.p, logname.n, "vpc_flows", 9))
            return g_reject(s, c, FL_REJ_BAD_VALUE, err);
        c->stats->skipped_messages++;
        return 0;
    }
    struct fl_ip ip;
    struct fl_str src = gv(s, GF_SRCIP), dst = gv(s, GF_DSTIP);
    if (!src.p || !dst.p || fl_ip_parse(src.p, src.n, &ip) != FL_OK)
        return g_reject(s, c, FL_REJ_BAD_IP, err);
    bool v6 = !fl_ip_is_v4(&ip);
    if (fl_ip_parse(dst.p, dst.n, &ip) != FL_OK)
        return g_reject(s, c, FL_REJ_BAD_IP, err);
    int64_t sport, dport, proto, bytes, packets;
    bool hs, hd, hp, hb, hk;
    int r;
    if ((r = g_int(gv(s, GF_SRCPORT), 0, 65535, &sport, &hs)) ||
        (r = g_int(gv(s, GF_DSTPORT), 0, 65535, &dport, &hd)) ||
        (r = g_int(gv(s, GF_PROTO), 0, 255, &proto, &hp)) ||
        (r = g_int(gv(s, GF_BYTES), 0, INT64_MAX, &bytes, &hb)) ||
        (r = g_int(gv(s, GF_PACKETS), 0, INT64_MAX, &packets, &hk)))
        return g_reject(s, c, (enum fl_reject)(r - 1), err);
    int64_t start = 0, end = 0;
    struct fl_str ts = gv(s, GF_START), te = gv(s, GF_END);
    if ((ts.p && fl_time_parse_rfc3339(ts.p, ts.n, &start, NULL) != FL_OK) ||
        (te.p && fl_time_parse_rfc3339(te.p, te.n, &end, NULL) != FL_OK))
        return g_reject(s, c, FL_REJ_BAD_TIME, err);
    struct fl_str rep = gv(s, GF_REPORTER);
    const char *dir = NULL;
    int side = -1; /* 0 src, 1 dest */
    if (rep.p && rep.n >= 3 && memcmp(rep.p, "SRC", 3) == 0) {
        dir = "egress";
        side = 0;
    } else if (rep.p && rep.n >= 4 && memcmp(rep.p, "DEST", 4) == 0) {
        dir = "ingress";
        side = 1;
    } else if (rep.p) {
        return g_reject(s, c, FL_REJ_BAD_VALUE, err);
    }
    if (side < 0)
        side = s->f[GF_S_IPROJ].set || s->f[GF_S_VPROJ].set ? 0 : 1;
    int o = side ? GF_SIDE : 0;
    struct fl_str lproj = first(log_project(logname), gv(s, GF_RPROJECT));
    struct fl_str proj = first(first(gv(s, GF_S_IPROJ + o), gv(s, GF_S_VPROJ + o)), lproj);
    struct fl_str owner = first(lproj, proj);
    struct fl_str region = first(gv(s, GF_S_REGION + o), gv(s, GF_S_SREGION + o));
    struct fl_str loc = gv(s, GF_RLOCATION);
    if (!region.p && loc.p) {
        /* resource.labels.location: a region, or a zone "us-east1-b" */
        const char *d1 = memchr(loc.p, '-', loc.n);
        const char *d2 = d1 ? memchr(d1 + 1, '-', loc.n - (size_t)(d1 + 1 - loc.p)) : NULL;
        region = d2 ? (struct fl_str){loc.p, (size_t)(d2 - loc.p)} : loc;
    }
    struct fl_str disp = gv(s, GF_DISP);
    bool dropped = disp.p && disp.n == 7 && memcmp(disp.p, "DROPPED", 7) == 0;

    int row = fl_batch_add_row(b);
    if (row < 0)
        return fl_error_set(err, FL_EINTERNAL, "batch full");
    uint32_t rw = (uint32_t)row;
    int rc;
    if ((rc = fl__pctx_lineage(c, b, rw, s->item.offset)) < 0 ||
        (rc = fl_set_str(b, FL_COL_CLOUD, rw, "gcp", 3)) < 0 ||
        (rc = fl_set_str(b, FL_COL_SOURCE_FORMAT, rw, "gcp-vpc", 7)) < 0 ||
        (rc = set_opt(b, FL_COL_ACCOUNT_ID, rw, proj)) < 0 ||
        (rc = set_opt(b, FL_COL_ACCOUNT, rw, owner)) < 0 ||
        (rc = set_opt(b, FL_COL_REGION, rw, region)) < 0 ||
        (rc = set_opt(b, FL_COL_AZ_ID, rw, gv(s, GF_S_ZONE + o))) < 0 ||
        (rc = set_opt(b, FL_COL_VPC_ID, rw, gv(s, GF_S_VPC + o))) < 0 ||
        (rc = set_opt(b, FL_COL_SUBNET_ID, rw,
                      first(gv(s, GF_S_SUBNET + o), gv(s, GF_RSUBNET)))) < 0 ||
        (rc = set_opt(b, FL_COL_INSTANCE_ID, rw, gv(s, GF_S_VM + o))) < 0 ||
        (rc = fl_set_str(b, FL_COL_SRCADDR, rw, src.p, src.n)) < 0 ||
        (rc = fl_set_str(b, FL_COL_DSTADDR, rw, dst.p, dst.n)) < 0 ||
        (rc = fl_set_str(b, FL_COL_TYPE, rw, v6 ? "IPv6" : "IPv4", 4)) < 0 ||
        (rc = fl_set_str(b, FL_COL_ACTION, rw, dropped ? "REJECT" : "ACCEPT",
                         6)) < 0 ||
        (dropped && (rc = set_opt(b, FL_COL_REJECT_REASON, rw, gv(s, GF_DROP))) < 0) ||
        (dir && (rc = fl_set_str(b, FL_COL_FLOW_DIRECTION, rw, dir, strlen(dir))) < 0) ||
        (dir && (rc = fl_set_str(b, FL_COL_DIRECTION_SOURCE, rw, "given", 5)) < 0))
        goto fail_row;
    if (s->extra.len && !s->extra_over) {
        x_add(s, "}", 1);
        if (!s->extra_over && (rc = fl_set_str(b, FL_COL_EXTRA, rw, s->extra.p, s->extra.len)) < 0)
            goto fail_row;
    }
    if (hs)
        fl_set_i64(b, FL_COL_SRCPORT, rw, sport);
    if (hd)
        fl_set_i64(b, FL_COL_DSTPORT, rw, dport);
    if (hp)
        fl_set_i64(b, FL_COL_PROTOCOL, rw, proto);
    if (hb)
        fl_set_i64(b, FL_COL_BYTES, rw, bytes);
    if (hk)
        fl_set_i64(b, FL_COL_PACKETS, rw, packets);
    if (ts.p)
        fl_set_i64(b, FL_COL_START, rw, start);
    if (te.p)
        fl_set_i64(b, FL_COL_END, rw, end);
    return 1;
fail_row:
    fl_batch_drop_row(b);
    return fl_error_set(err, rc, "gcp: cannot store a row (%s)", fl_strerror(rc));
}

static bool g_parse(struct gcp_state *s)
{
    s->depth = 0;
    s->done = false;
    s->err_why = NULL;
    s->err_reason = FL_REJ_BAD_JSON;
    s->have_conn = false;
    s->extra_over = false;
    fl_buf_reset(&s->scratch);
    fl_buf_reset(&s->extra);
    memset(s->f, 0, sizeof s->f);
    if (!s->yh) {
        s->yh = yajl_alloc(&g_cbs, (yajl_alloc_funcs *)fl__jr_yajl_alloc_funcs(), s);
        if (!s->yh)
            return g_fail(s, FL_REJ_TOO_BIG, "out of memory for the JSON parser");
        yajl_config(s->yh, yajl_allow_multiple_values, 1);
    }
    yajl_status st = yajl_parse(s->yh, (const unsigned char *)s->item.p, s->item.n);
    if (st == yajl_status_ok && s->done && !s->err_why)
        return true;
    if (st == yajl_status_error && !s->err_why) {
        unsigned char *m = yajl_get_error(s->yh, 0, NULL, 0);
        bool utf = m && strstr((const char *)m, "UTF8");
        g_fail(s, utf ? FL_REJ_BAD_ENCODING : FL_REJ_BAD_JSON,
               utf ? "invalid UTF-8 in a JSON string" : "malformed JSON log entry");
        if (m)
            yajl_free_error(s->yh, m);
    } else if (!s->err_why) {
        g_fail(s, FL_REJ_BAD_JSON, "incomplete JSON log entry");
    }
    yajl_free(s->yh);
    s->yh = NULL;
    return false;
}

/* ---- vtable -------------------------------------------------------------- */

static int gcp_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                     const struct fl_read_opts *opts)
{
    FL_UNUSED(opts);
    size_t i = 0;
    if (n > 4096)
        n = 4096;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' ||
                     head[i] == '\t' || head[i] == '['))
        i++;
    if (i >= n || head[i] != '{')
        return 0;
    if (memmem(head, n, "vpc_flows", 9))
        return 90;
    if (memmem(head, n, "\"jsonPayload\"", 13) && memmem(head, n, "\"connection\"", 12))
        return 85;
    if (meta && strcmp(meta->cloud, "gcp") == 0)
        return 40;
    return 0;
}

static int gcp_open(void *state, struct fl__pctx *c, struct fl_error *err)
{
    struct gcp_state *s = state;
    struct fl__jr_opts o = {0, 0, 0};
    s->jr = fl__jr_new(fl__jr_read_input, c->in, &o);
    if (!s->jr)
        return fl_error_set(err, FL_ENOMEM, "out of memory opening %s", c->source);
    fl_buf_init(&s->scratch, (size_t)64 << 20);
    fl_buf_init(&s->extra, G_EXTRA_CAP);
    if (c->opts && c->opts->start_offset)
        FL_TRY(fl__input_skip(c->in, c->opts->start_offset, err));
    s->resume = c->opts ? c->opts->start_offset : 0;
    return FL_OK;
}

static int gcp_next(void *state, struct fl__pctx *c, struct fl_batch *b,
                    struct fl_error *err)
{
    struct gcp_state *s = state;
    int rows = 0;
    uint64_t base = c->opts ? c->opts->start_offset : 0;
    if (s->stash_rc) {
        if (err)
            *err = s->stash_err;
        return s->stash_rc;
    }
    while (!fl_batch_full(b) && !s->ended) {
        int r = fl__jr_next(s->jr, &s->item, err);
        if (r < 0) {
            if (rows == 0)
                return r;
            /* Return the rows first; the error comes with the next call. */
            s->stash_rc = r;
            if (err)
                s->stash_err = *err;
            break;
        }
        if (r == 0) {
            s->ended = true;
            break;
        }
        s->item.offset += base;
        if (s->item.kind == FL__JR_BAD) {
            FL_TRY(fl__reject(c, s->item.line, s->item.offset, s->item.reason, s->item.p,
                              s->item.n, err));
        } else if (!g_parse(s)) {
            FL_TRY(g_reject(s, c, s->err_reason, err));
        } else {
            r = emit_entry(s, c, b, err);
            if (r < 0)
                return r;
            rows += r;
        }
        s->resume = base + fl__jr_consumed(s->jr);
    }
    c->stats->lines = fl__jr_lines(s->jr);
    return rows;
}

static uint64_t gcp_resume(void *state)
{
    struct gcp_state *s = state;
    return s->resume;
}

static void gcp_close(void *state)
{
    struct gcp_state *s = state;
    if (s->yh)
        yajl_free(s->yh);
    fl__jr_free(s->jr);
    fl_buf_free(&s->scratch);
    fl_buf_free(&s->extra);
}

const struct fl_format fl_fmt_gcp_vpc = {
    .name = "gcp-vpc",
    .doc = "GCP VPC Flow Logs (Cloud Logging LogEntry JSON lines)",
    .sniff = gcp_sniff,
    .state_size = sizeof(struct gcp_state),
    .open = gcp_open,
    .next = gcp_next,
    .resume_offset = gcp_resume,
    .close = gcp_close,
};
