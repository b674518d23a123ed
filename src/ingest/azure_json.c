/* SPDX-License-Identifier: Apache-2.0 */
/*
 * azure_json.c - the Azure NSG/VNet flow-log engine (see azure_json.h).
 *
 * Pipeline per record: the framer (json_records.c) hands over one record's
 * bytes; yajl parses them with the callbacks below, which follow a small
 * static tree of the keys we know (record -> properties.flows[rule] ->
 * flows[mac] -> flowTuples[], or record -> flowRecords.flows[aclID] ->
 * flowGroups[rule] -> flowTuples[]) and copy what they need into one
 * reusable scratch buffer: context strings, one "slot" per rule/MAC/ACL
 * group, one entry per tuple.  Only when the whole record parsed do we emit
 * rows, so a record that breaks half-way is one reject and never half a
 * record of rows; key order inside objects does not matter.  Rows are
 * emitted across as many batches as needed (the record stays parsed until
 * its last tuple is out).
 *
 * Decisions (documented in docs/formats/azure.md): keys are matched
 * case-insensitively; a known key repeated in one object rejects the record
 * (bad_json, "duplicate key"), unknown keys are ignored whatever their
 * count; numbers are parsed from their text (out of int64 -> number_range);
 * strings longer than 1 MiB -> too_big; invalid UTF-8 -> bad_encoding
 * (yajl validates it).
 *
 * Speed note: yajl (Debian libyajl 2.1) is the JSON parser and it is not
 * the bottleneck.  perf over the parse of 1 176 generated NSG v2 + VNet
 * blobs (74 MB, 400 780 tuples; build/bench/azure_bench, ~160-180 MB/s and
 * ~0.87 M tuples/s of CPU time, one thread) attributes ~12-15 % of the time
 * to libyajl, ~2 % to the framer's scan (memchr-based string skipping), and
 * the rest to tuple normalization, the record batch and the kernel (one
 * open/read per blob).  bench/azure.sh puts `flowsift ingest` at ~4.7x
 * DuckDB's read_json + unnest normalization on the same blobs.
 */
#include <yajl/yajl_parse.h>

#include "azure_json.h"

#define AZ_STR_CAP ((size_t)1 << 20)
#define AZ_STACK 80
#define AZ_SCRATCH_CAP ((size_t)64 << 20)
#define AZ_MAX_ITEMS ((uint32_t)16 << 20) /* tuples or slots per record */

enum az_node {
    AN_SKIP,
    AN_RECORD,
    AN_PROPS,
    AN_NSG_RULES,
    AN_NSG_RULE,
    AN_NSG_MACS,
    AN_NSG_MAC,
    AN_TUPLES,
    AN_FLOWREC,
    AN_ACLS,
    AN_ACL,
    AN_GROUPS,
    AN_GROUP,
};

enum az_type { T_STR = 1, T_NUM, T_MAP, T_ARR };

/* Record-level values we keep. */
enum az_field {
    F_NONE,
    F_TIME,
    F_MACADDR,
    F_CATEGORY,
    F_RESID,
    F_FLVER,
    F_FLRID,
    F_TGTID,
    F_VERSION,
    F_RULE,
    F_MAC,
    F_ACLID,
    F_NSGFLOWS,
    F_VNETFLOWS,
    F__N
};

struct az_key {
    const char *name;
    enum az_type type;
    enum az_field field;
    enum az_node child;
};

static const struct az_key keys_record[] = {
    {"time", T_STR, F_TIME, AN_SKIP},
    {"systemId", T_STR, F_NONE, AN_SKIP},
    {"macAddress", T_STR, F_MACADDR, AN_SKIP},
    {"category", T_STR, F_CATEGORY, AN_SKIP},
    {"resourceId", T_STR, F_RESID, AN_SKIP},
    {"operationName", T_STR, F_NONE, AN_SKIP},
    {"properties", T_MAP, F_NONE, AN_PROPS},
    {"flowLogVersion", T_NUM, F_FLVER, AN_SKIP},
    {"flowLogGUID", T_STR, F_NONE, AN_SKIP},
    {"flowLogResourceID", T_STR, F_FLRID, AN_SKIP},
    {"targetResourceID", T_STR, F_TGTID, AN_SKIP},
    {"flowRecords", T_MAP, F_NONE, AN_FLOWREC},
    {NULL, 0, 0, 0}};
static const struct az_key keys_props[] = {
    {"Version", T_NUM, F_VERSION, AN_SKIP},
    {"flows", T_ARR, F_NSGFLOWS, AN_NSG_RULES},
    {NULL, 0, 0, 0}};
static const struct az_key keys_nsg_rule[] = {
    {"rule", T_STR, F_RULE, AN_SKIP},
    {"flows", T_ARR, F_NONE, AN_NSG_MACS},
    {NULL, 0, 0, 0}};
static const struct az_key keys_nsg_mac[] = {
    {"mac", T_STR, F_MAC, AN_SKIP},
    {"flowTuples", T_ARR, F_NONE, AN_TUPLES},
    {NULL, 0, 0, 0}};
static const struct az_key keys_flowrec[] = {
    {"flows", T_ARR, F_VNETFLOWS, AN_ACLS},
    {NULL, 0, 0, 0}};
static const struct az_key keys_acl[] = {
    {"aclID", T_STR, F_ACLID, AN_SKIP},
    {"flowGroups", T_ARR, F_NONE, AN_GROUPS},
    {NULL, 0, 0, 0}};
static const struct az_key keys_group[] = {
    {"rule", T_STR, F_RULE, AN_SKIP},
    {"flowTuples", T_ARR, F_NONE, AN_TUPLES},
    {NULL, 0, 0, 0}};

static const struct az_key *const node_keys[] = {
    [AN_RECORD] = keys_record, [AN_PROPS] = keys_props,
    [AN_NSG_RULE] = keys_nsg_rule, [AN_NSG_MAC] = keys_nsg_mac,
    [AN_FLOWREC] = keys_flowrec, [AN_ACL] = keys_acl, [AN_GROUP] = keys_group,
};
/* Element kind of each array node (AN_SKIP: scalars / unknown). */
static const enum az_node node_elem[] = {
    [AN_NSG_RULES] = AN_NSG_RULE, [AN_NSG_MACS] = AN_NSG_MAC,
    [AN_ACLS] = AN_ACL, [AN_GROUPS] = AN_GROUP,
};

struct az_ref {
    uint32_t off, len;
    bool set;
};
/* A value interned into the current batch once per fl__az_next call. */
struct az_cached {
    struct az_ref v;
    uint32_t gen;
    struct fl_sref r;
};
/* A rule / MAC / ACL group. */
struct az_slot {
    struct az_cached v;     /* rule (NSG outer, VNet inner), mac, aclID */
    struct az_cached v2;    /* rule_name or normalized MAC */
    bool inner;             /* NSG mac group / VNet rule group */
};
struct az_tup {
    uint32_t off, len;      /* tuple text in scratch */
    uint32_t outer, inner;  /* slot indices (UINT32_MAX = none) */
    uint64_t soff;          /* stream offset of the tuple string */
};
struct az_frame {
    uint8_t node;
    uint8_t is_arr;
    int8_t key;             /* index into node_keys[node], -1 unknown */
    uint32_t seen;          /* known keys seen (duplicate check) */
    uint32_t slot;
};

enum {
    C_ACCOUNT, C_RG, C_RESID, C_ACL, C_VPC, C_SUBNET, C_REGION, C_MAC, C__N
};
enum {
    K_AZURE, K_GIVEN, K_INGRESS, K_EGRESS, K_ACCEPT, K_REJECT, K_B, K_C, K_E,
    K_D, K_NSG1, K_NSG2, K_VNET, K_IPV4, K_IPV6, K__N
};
static const char *const const_text[K__N] = {
    "azure", "given", "ingress", "egress", "ACCEPT", "REJECT", "B", "C", "E",
    "D", "azure-nsg-v1", "azure-nsg-v2", "azure-vnet", "IPv4", "IPv6"};

#define AZ_NENC 8

struct fl__az {
    struct fl__jr *jr;
    yajl_handle yh;
    struct fl__jr_item item;    /* the record being parsed / emitted */
    /* parse state */
    struct az_frame st[AZ_STACK];
    int depth;
    bool done;
    enum fl_reject err_reason;
    const char *err_why;
    uint32_t cur_outer, cur_inner;
    /* the parsed record */
    struct fl_buf scratch;
    struct az_ref fld[F__N];
    int64_t version;
    bool has_version, is_nsg, is_vnet;
    struct az_slot *slots;
    uint32_t n_slots, cap_slots;
    struct az_tup *tups;
    uint32_t n_tups, cap_tups, next_tup;
    bool pending;               /* tuples of item still to emit */
    struct az_cached ctx[C__N];
    /* interning */
    uint32_t gen;
    uint32_t const_gen[K__N];
    struct fl_sref const_ref[K__N];
    struct az_cached enc[AZ_NENC];
    unsigned n_enc;
    uint64_t resume;
    bool ended;
    int stash_rc;               /* a stream error held back until the rows */
    struct fl_error stash_err;  /* appended before it have been returned */
};

/* ---- small helpers --------------------------------------------------- */

static int ieq(const unsigned char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
    }
    return 1;
}

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

size_t fl__az_mac_norm(const char *p, size_t n, char *out)
{
    size_t k = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '-' || ch == ':')
            continue;
        if (hexv((unsigned char)ch) < 0)
            ok = false;
        out[k++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
    }
    if (ok && k == 12)
        return k;
    for (size_t i = 0; i < n; i++)
        out[i] = (p[i] >= 'a' && p[i] <= 'z') ? (char)(p[i] - 32) : p[i];
    return n;
}

size_t fl__az_rule_name_len(const char *p, size_t n)
{
    /* "_" + 36-character GUID */
    static const unsigned char groups[] = {8, 4, 4, 4, 12};
    if (n < 38 || p[n - 37] != '_')
        return n;
    const char *g = p + n - 36;
    size_t i = 0;
    for (unsigned gi = 0; gi < 5; gi++) {
        for (unsigned j = 0; j < groups[gi]; j++, i++)
            if (hexv((unsigned char)g[i]) < 0)
                return n;
        if (gi < 4 && g[i++] != '-')
            return n;
    }
    return n - 37;
}

int fl__az_ts(const char *p, size_t n, int64_t *sec_out)
{
    uint64_t v;
    *sec_out = 0;
    if (fl_parse_u64(p, n, &v) != FL_OK)
        return FL_EPARSE;
    if (v < 100000000000ULL)           /* < 1e11: seconds (10 digits) */
        *sec_out = (int64_t)v;
    else if (v < 100000000000000ULL)   /* milliseconds (13 digits) */
        *sec_out = (int64_t)(v / 1000);
    else if (v < 100000000000000000ULL) /* microseconds */
        *sec_out = (int64_t)(v / 1000000);
    else                                /* nanoseconds */
        *sec_out = (int64_t)(v / 1000000000);
    return FL_OK;
}

/* ---- scratch storage --------------------------------------------------- */

static int keep_str(struct fl__az *a, const unsigned char *s, size_t n, struct az_ref *r)
{
    size_t off = a->scratch.len;
    if (fl_buf_add(&a->scratch, s, n) != FL_OK)
        return 0;
    r->off = (uint32_t)off;
    r->len = (uint32_t)n;
    r->set = true;
    return 1;
}

static int fail(struct fl__az *a, enum fl_reject why, const char *msg)
{
    if (!a->err_why) {
        a->err_reason = why;
        a->err_why = msg;
    }
    return 0;
}

static int new_slot(struct fl__az *a, uint32_t *idx)
{
    if (a->n_slots == a->cap_slots) {
        uint32_t nc = a->cap_slots ? a->cap_slots * 2 : 64;
        if (nc > AZ_MAX_ITEMS)
            return fail(a, FL_REJ_TOO_BIG, "too many flow groups in one record");
        struct az_slot *ns = fl_realloc(a->slots, (size_t)nc * sizeof *ns);
        if (!ns)
            return fail(a, FL_REJ_TOO_BIG, "out of memory for flow groups");
        a->slots = ns;
        a->cap_slots = nc;
    }
    memset(&a->slots[a->n_slots], 0, sizeof a->slots[0]);
    *idx = a->n_slots++;
    return 1;
}

/* ---- yajl callbacks ---------------------------------------------------- */

/* Kind of the value about to start inside the top frame, and the key entry
 * it belongs to (NULL for array elements / unknown keys). */
static const struct az_key *top_key(struct fl__az *a)
{
    if (a->depth == 0)
        return NULL;
    struct az_frame *t = &a->st[a->depth - 1];
    if (t->is_arr || t->key < 0)
        return NULL;
    return &node_keys[t->node][t->key];
}

static int push(struct fl__az *a, bool is_arr)
{
    enum az_node node;
    if (a->depth == 0) {
        if (is_arr)
            return fail(a, FL_REJ_BAD_JSON, "record is not a JSON object");
        node = AN_RECORD;
    } else {
        struct az_frame *t = &a->st[a->depth - 1];
        if (t->node == AN_SKIP) {
            node = AN_SKIP;
        } else if (t->is_arr) {
            node = node_elem[t->node];
            if (t->node == AN_TUPLES)
                return fail(a, FL_REJ_BAD_TUPLE, "flow tuple is not a string");
            if (node == AN_SKIP || is_arr)
                return fail(a, FL_REJ_BAD_JSON, "unexpected nesting in flow groups");
        } else {
            const struct az_key *k = top_key(a);
            if (!k) {
                node = AN_SKIP;
            } else {
                if (k->type != (is_arr ? T_ARR : T_MAP))
                    return fail(a, FL_REJ_BAD_JSON, "unexpected JSON type for a known key");
                node = k->child;
                if (k->field == F_NSGFLOWS)
                    a->is_nsg = true;
                if (k->field == F_VNETFLOWS)
                    a->is_vnet = true;
            }
        }
    }
    if (a->depth >= AZ_STACK)
        return fail(a, FL_REJ_TOO_DEEP, "JSON nested too deeply");
    struct az_frame *f = &a->st[a->depth++];
    f->node = (uint8_t)node;
    f->is_arr = is_arr;
    f->key = -1;
    f->seen = 0;
    f->slot = UINT32_MAX;
    if (node == AN_NSG_RULE || node == AN_ACL) {
        if (!new_slot(a, &f->slot))
            return 0;
        a->cur_outer = f->slot;
        a->cur_inner = UINT32_MAX;
    } else if (node == AN_NSG_MAC || node == AN_GROUP) {
        if (!new_slot(a, &f->slot))
            return 0;
        a->slots[f->slot].inner = true;
        a->cur_inner = f->slot;
    }
    return 1;
}

static int pop(struct fl__az *a)
{
    if (a->depth == 0)
        return fail(a, FL_REJ_BAD_JSON, "unbalanced JSON");
    struct az_frame *f = &a->st[--a->depth];
    if (f->node == AN_NSG_RULE || f->node == AN_ACL)
        a->cur_outer = a->cur_inner = UINT32_MAX;
    else if (f->node == AN_NSG_MAC || f->node == AN_GROUP)
        a->cur_inner = UINT32_MAX;
    if (a->depth == 0)
        a->done = true;
    return 1;
}

static int cb_start_map(void *ctx) { return push(ctx, false); }
static int cb_start_array(void *ctx) { return push(ctx, true); }
static int cb_end(void *ctx) { return pop(ctx); }

static int cb_key(void *ctx, const unsigned char *k, size_t n)
{
    struct fl__az *a = ctx;
    struct az_frame *t = &a->st[a->depth - 1];
    t->key = -1;
    if (n > AZ_STR_CAP)
        return fail(a, FL_REJ_TOO_BIG, "JSON key longer than 1 MiB");
    const struct az_key *keys = t->node == AN_SKIP ? NULL : node_keys[t->node];
    if (!keys)
        return 1;
    for (int i = 0; keys[i].name; i++) {
        if (ieq(k, n, keys[i].name)) {
            if (t->seen & (1u << i))
                return fail(a, FL_REJ_BAD_JSON, "duplicate key in a JSON object");
            t->seen |= 1u << i;
            t->key = (int8_t)i;
            break;
        }
    }
    return 1;
}

/* Store a scalar for the known key k (string or number text). */
static int scalar(struct fl__az *a, const unsigned char *s, size_t n, enum az_type ty)
{
    if (a->depth == 0)
        return fail(a, FL_REJ_BAD_JSON, "record is not a JSON object");
    struct az_frame *t = &a->st[a->depth - 1];
    if (t->node == AN_SKIP)
        return 1;
    if (t->is_arr) {
        if (t->node != AN_TUPLES)
            return fail(a, FL_REJ_BAD_JSON, "unexpected value in a flow-group array");
        if (ty != T_STR)
            return fail(a, FL_REJ_BAD_TUPLE, "flow tuple is not a string");
        if (a->n_tups == a->cap_tups) {
            uint32_t nc = a->cap_tups ? a->cap_tups * 2 : 256;
            if (nc > AZ_MAX_ITEMS)
                return fail(a, FL_REJ_TOO_BIG, "too many tuples in one record");
            struct az_tup *nt = fl_realloc(a->tups, (size_t)nc * sizeof *nt);
            if (!nt)
                return fail(a, FL_REJ_TOO_BIG, "out of memory for tuples");
            a->tups = nt;
            a->cap_tups = nc;
        }
        struct az_tup *tp = &a->tups[a->n_tups];
        struct az_ref r;
        if (!keep_str(a, s, n, &r))
            return fail(a, FL_REJ_TOO_BIG, "record larger than the scratch cap");
        tp->off = r.off;
        tp->len = r.len;
        tp->outer = a->cur_outer;
        tp->inner = a->cur_inner;
        const char *rp = a->item.p;
        if ((const char *)s > rp && (const char *)s < rp + a->item.n)
            tp->soff = a->item.offset + (uint64_t)((const char *)s - rp) - 1;
        else /* decoded escapes: the closing quote is as unique */
            tp->soff = a->item.offset + yajl_get_bytes_consumed(a->yh) - 1;
        a->n_tups++;
        return 1;
    }
    if (t->key < 0)
        return 1;
    const struct az_key *k = &node_keys[t->node][t->key];
    if (k->type == T_MAP || k->type == T_ARR)
        return fail(a, FL_REJ_BAD_JSON, "unexpected JSON type for a known key");
    if (ty == 0)
        return 1;
    if (k->type == T_NUM) {
        int64_t v;
        int rc = fl_parse_i64((const char *)s, n, &v);
        if (rc == FL_ERANGE)
            return fail(a, FL_REJ_NUMBER_RANGE, "version number out of range");
        if (rc != FL_OK)
            return fail(a, FL_REJ_BAD_NUMBER, "version is not an integer");
        if (k->field == F_VERSION) {
            a->version = v;
            a->has_version = true;
        }
        return 1;
    }
    if (ty == 0)
        return 1; /* null / true / false for a known key: treated as absent */
    if (ty != T_STR)
        return fail(a, FL_REJ_BAD_JSON, "expected a JSON string");
    struct az_ref r;
    if (!keep_str(a, s, n, &r))
        return fail(a, FL_REJ_TOO_BIG, "record larger than the scratch cap");
    switch (k->field) {
    case F_RULE:
    case F_MAC:
    case F_ACLID:
        if (t->slot != UINT32_MAX)
            a->slots[t->slot].v.v = r;
        break;
    case F_NONE:
        break;
    default:
        a->fld[k->field] = r;
        break;
    }
    return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct fl__az *a = ctx;
    if (n > AZ_STR_CAP)
        return fail(a, FL_REJ_TOO_BIG, "JSON string longer than 1 MiB");
    return scalar(a, s, n, T_STR);
}
static int cb_number(void *ctx, const char *s, size_t n)
{
    return scalar(ctx, (const unsigned char *)s, n, T_NUM);
}
static int cb_null(void *ctx) { return scalar(ctx, (const unsigned char *)"", 0, 0); }
static int cb_bool(void *ctx, int v)
{
    FL_UNUSED(v);
    return scalar(ctx, (const unsigned char *)"", 0, 0);
}

static const yajl_callbacks az_cbs = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

/* ---- lifecycle ----------------------------------------------------------- */

struct fl__az *fl__az_new(fl__jr_read_fn fn, void *ctx, uint64_t start_offset)
{
    struct fl__az *a = fl_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    struct fl__jr_opts o = {0, 0, start_offset};
    a->jr = fl__jr_new(fn, ctx, &o);
    if (!a->jr) {
        fl_free(a);
        return NULL;
    }
    fl_buf_init(&a->scratch, AZ_SCRATCH_CAP);
    a->resume = start_offset;
    return a;
}

void fl__az_free(struct fl__az *a)
{
    if (!a)
        return;
    if (a->yh)
        yajl_free(a->yh);
    fl__jr_free(a->jr);
    fl_buf_free(&a->scratch);
    fl_free(a->slots);
    fl_free(a->tups);
    fl_free(a);
}

uint64_t fl__az_resume(const struct fl__az *a) { return a->resume; }

/* ---- resource ids -------------------------------------------------------- */

/* Find the segment after `name` in an Azure resource id (case-insensitive). */
static bool rid_seg(const char *p, size_t n, const char *name, const char **out, size_t *out_n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        if (ieq((const unsigned char *)p + s, i - s, name)) {
            while (i < n && p[i] == '/')
                i++;
            size_t v = i;
            while (i < n && p[i] != '/')
                i++;
            if (i > v) {
                *out = p + v;
                *out_n = i - v;
                return true;
            }
            return false;
        }
    }
    return false;
}

/* Store a context value (copied into scratch; the caller reserved room so
 * that p, which may point into scratch, stays valid). */
static void ctx_set(struct fl__az *a, int which, const char *p, size_t n, bool lower)
{
    struct az_cached *c = &a->ctx[which];
    size_t off = a->scratch.len;
    if (a->scratch.cap - a->scratch.len < n || fl_buf_add(&a->scratch, p, n) != FL_OK)
        return;
    if (lower)
        for (size_t i = 0; i < n; i++) {
            char ch = a->scratch.p[off + i];
            if (ch >= 'A' && ch <= 'Z')
                a->scratch.p[off + i] = (char)(ch + 32);
        }
    c->v.off = (uint32_t)off;
    c->v.len = (uint32_t)n;
    c->v.set = true;
    c->gen = 0;
}

static const char *sp(const struct fl__az *a, struct az_ref r) { return a->scratch.p + r.off; }

/* Derive the per-record context (subscription, group, names, region, MAC)
 * and the per-group derived values (rule_name, normalized MAC). */
static void record_context(struct fl__az *a, const struct fl_objmeta *meta)
{
    memset(a->ctx, 0, sizeof a->ctx);
    const char *v;
    size_t vn;
    struct az_ref rid = a->fld[F_RESID];
    struct az_ref flr = a->fld[F_FLRID];
    struct az_ref tgt = a->fld[F_TGTID];
    struct az_ref mac = a->fld[F_MACADDR];
    struct az_ref main_id = a->is_vnet ? flr : rid;
    if (!main_id.set)
        main_id = rid.set ? rid : flr;
    /* Reserve everything ctx_set and the MAC copies may append, so that
     * pointers into scratch stay valid below. */
    size_t need = 2 * ((size_t)rid.len + flr.len + tgt.len + mac.len) + 1024;
    for (uint32_t i = 0; i < a->n_slots; i++)
        need += a->slots[i].v.v.len;
    if (fl_buf_reserve(&a->scratch, need) != FL_OK)
        return;
    const char *mid = main_id.set ? sp(a, main_id) : NULL;
    const char *tid = tgt.set ? sp(a, tgt) : NULL;
    const char *fid = flr.set ? sp(a, flr) : NULL;
    if (mid)
        ctx_set(a, C_RESID, mid, main_id.len, false);
    else if (meta && meta->resource[0])
        ctx_set(a, C_RESID, meta->resource, strlen(meta->resource), false);
    if (!a->is_vnet && !mid && meta && meta->resource[0] && !strchr(meta->resource, '/'))
        ctx_set(a, C_ACL, meta->resource, strlen(meta->resource), false);
    /* subscription: the monitored resource's, else the flow log's */
    if ((tid && rid_seg(tid, tgt.len, "subscriptions", &v, &vn)) ||
        (mid && rid_seg(mid, main_id.len, "subscriptions", &v, &vn)))
        ctx_set(a, C_ACCOUNT, v, vn, true);
    else if (meta && meta->account[0])
        ctx_set(a, C_ACCOUNT, meta->account, strlen(meta->account), true);
    if ((tid && rid_seg(tid, tgt.len, "resourceGroups", &v, &vn)) ||
        (mid && rid_seg(mid, main_id.len, "resourceGroups", &v, &vn)))
        ctx_set(a, C_RG, v, vn, false);
    else if (meta && meta->resource_group[0])
        ctx_set(a, C_RG, meta->resource_group, strlen(meta->resource_group), false);
    if (!a->is_vnet && mid && rid_seg(mid, main_id.len, "networkSecurityGroups", &v, &vn))
        ctx_set(a, C_ACL, v, vn, false);
    if (tid && rid_seg(tid, tgt.len, "virtualNetworks", &v, &vn)) {
        ctx_set(a, C_VPC, v, vn, false);
        if (rid_seg(tid, tgt.len, "subnets", &v, &vn))
            ctx_set(a, C_SUBNET, v, vn, false);
    }
    /* region: NETWORKWATCHER_<REGION> in the flow-log id, else the path */
    if (fid && rid_seg(fid, flr.len, "networkWatchers", &v, &vn) && vn > 15 &&
        ieq((const unsigned char *)v, 15, "NetworkWatcher_"))
        ctx_set(a, C_REGION, v + 15, vn - 15, true);
    else if (meta && meta->region[0])
        ctx_set(a, C_REGION, meta->region, strlen(meta->region), true);
    char mb[64];
    if (mac.set && mac.len < sizeof mb) {
        size_t k = fl__az_mac_norm(sp(a, mac), mac.len, mb);
        ctx_set(a, C_MAC, mb, k, false);
    } else if (meta && meta->mac[0] && strlen(meta->mac) < sizeof mb) {
        size_t k = fl__az_mac_norm(meta->mac, strlen(meta->mac), mb);
        ctx_set(a, C_MAC, mb, k, false);
    }
    for (uint32_t i = 0; i < a->n_slots; i++) {
        struct az_slot *s = &a->slots[i];
        if (!s->v.v.set)
            continue;
        bool is_rule = a->is_vnet ? s->inner : !s->inner;
        if (is_rule) {
            s->v2.v = s->v.v;
            s->v2.v.len = (uint32_t)fl__az_rule_name_len(sp(a, s->v.v), s->v.v.len);
        } else if (!a->is_vnet && s->v.v.len < sizeof mb) {
            size_t k = fl__az_mac_norm(sp(a, s->v.v), s->v.v.len, mb);
            size_t off = a->scratch.len;
            if (a->scratch.cap - a->scratch.len >= k && fl_buf_add(&a->scratch, mb, k) == FL_OK)
                s->v2.v = (struct az_ref){(uint32_t)off, (uint32_t)k, true};
        }
    }
}

/* ---- row emission -------------------------------------------------------- */

static int put_cached(struct fl__az *a, struct fl_batch *b, int col, uint32_t row,
                      struct az_cached *c)
{
    if (!c->v.set)
        return FL_OK;
    if (c->gen != a->gen) {
        FL_TRY(fl_batch_intern(b, sp(a, c->v), c->v.len, &c->r));
        c->gen = a->gen;
    }
    fl_set_sref(b, col, row, c->r);
    return FL_OK;
}

static int put_const(struct fl__az *a, struct fl_batch *b, int col, uint32_t row, int k)
{
    if (a->const_gen[k] != a->gen) {
        FL_TRY(fl_batch_intern(b, const_text[k], strlen(const_text[k]), &a->const_ref[k]));
        a->const_gen[k] = a->gen;
    }
    fl_set_sref(b, col, row, a->const_ref[k]);
    return FL_OK;
}

/* Interned copy of a short low-cardinality value (encryption status). */
static int put_enc(struct fl__az *a, struct fl_batch *b, uint32_t row, const char *p, size_t n)
{
    for (unsigned i = 0; i < a->n_enc; i++) {
        struct az_cached *c = &a->enc[i];
        if (c->v.len == n && c->gen == a->gen && memcmp(b->arena + c->r.off, p, n) == 0) {
            fl_set_sref(b, FL_COL_ENCRYPTION, row, c->r);
            return FL_OK;
        }
    }
    unsigned i = a->n_enc < AZ_NENC ? a->n_enc++ : (unsigned)(n % AZ_NENC);
    struct az_cached *c = &a->enc[i];
    FL_TRY(fl_batch_intern(b, p, n, &c->r));
    c->v.len = (uint32_t)n;
    c->gen = a->gen;
    fl_set_sref(b, FL_COL_ENCRYPTION, row, c->r);
    return FL_OK;
}

/* Parse an optional unsigned field: 0 ok (*has = false when empty), else a
 * reject reason + 1. */
static int opt_u64(const struct fl_str *f, uint64_t max, int64_t *v, bool *has)
{
    *has = false;
    *v = 0;
    if (f->n == 0)
        return 0;
    uint64_t u;
    int rc = fl_parse_u64(f->p, f->n, &u);
    if (rc == FL_ERANGE || (rc == FL_OK && u > max))
        return FL_REJ_NUMBER_RANGE + 1;
    if (rc != FL_OK)
        return FL_REJ_BAD_NUMBER + 1;
    *v = (int64_t)u;
    *has = true;
    return 0;
}

static int tuple_reject(struct fl__az *a, struct fl__pctx *c, const struct az_tup *t,
                        enum fl_reject why, struct fl_error *err)
{
    uint64_t line = fl__jr_line_at(a->jr, &a->item, t->soff);
    return fl__reject(c, line, t->soff, why, sp(a, (struct az_ref){t->off, t->len, true}),
                      t->len, err);
}

/* One tuple -> one row (or one reject).  < 0 only for strict mode/limits. */
static int emit_tuple(struct fl__az *a, struct fl__pctx *c, struct fl_batch *b,
                      const struct az_tup *t, struct fl_error *err)
{
    const char *p = a->scratch.p + t->off;
    size_t n = t->len;
    struct fl_str fd[14];
    unsigned nf = 0;
    for (size_t i = 0;;) {
        const char *q = memchr(p + i, ',', n - i);
        size_t e = q ? (size_t)(q - p) : n;
        if (nf == 14) {
            nf++;
            break;
        }
        fd[nf++] = (struct fl_str){p + i, e - i};
        if (!q)
            break;
        i = e + 1;
    }
    int fmt; /* 1 NSG v1, 2 NSG v2, 3 VNet */
    if (a->is_vnet)
        fmt = nf == 13 ? 3 : 0;
    else if (nf == 8)
        fmt = 1;
    else if (nf == 13)
        fmt = 2;
    else
        fmt = 0;
    if (fmt && fmt < 3 && a->has_version && (a->version == 1 || a->version == 2) &&
        a->version != fmt)
        fmt = 0;
    if (!fmt)
        return tuple_reject(a, c, t, FL_REJ_FIELD_COUNT, err);
    int64_t ts;
    if (fl__az_ts(fd[0].p, fd[0].n, &ts) != FL_OK)
        return tuple_reject(a, c, t, FL_REJ_BAD_TIME, err);
    struct fl_ip ip;
    if (fl_ip_parse(fd[1].p, fd[1].n, &ip) != FL_OK)
        return tuple_reject(a, c, t, FL_REJ_BAD_IP, err);
    bool v6 = !fl_ip_is_v4(&ip);
    if (fl_ip_parse(fd[2].p, fd[2].n, &ip) != FL_OK)
        return tuple_reject(a, c, t, FL_REJ_BAD_IP, err);
    int64_t sport, dport, proto = 0;
    bool has_sport, has_dport, has_proto = false;
    int r;
    if ((r = opt_u64(&fd[3], 65535, &sport, &has_sport)) ||
        (r = opt_u64(&fd[4], 65535, &dport, &has_dport)))
        return tuple_reject(a, c, t, (enum fl_reject)(r - 1), err);
    if (fd[5].n == 1 && (fd[5].p[0] == 'T' || fd[5].p[0] == 't')) {
        proto = 6;
        has_proto = true;
    } else if (fd[5].n == 1 && (fd[5].p[0] == 'U' || fd[5].p[0] == 'u')) {
        proto = 17;
        has_proto = true;
    } else if (fd[5].n && (unsigned)(fd[5].p[0] - '0') >= 10) {
        return tuple_reject(a, c, t, FL_REJ_BAD_VALUE, err);
    } else if ((r = opt_u64(&fd[5], 255, &proto, &has_proto))) {
        return tuple_reject(a, c, t, (enum fl_reject)(r - 1), err);
    }
    int dir;
    if (fd[6].n == 1 && fd[6].p[0] == 'I')
        dir = K_INGRESS;
    else if (fd[6].n == 1 && fd[6].p[0] == 'O')
        dir = K_EGRESS;
    else
        return tuple_reject(a, c, t, FL_REJ_BAD_VALUE, err);
    int action, state = -1;
    const struct fl_str *ctr = NULL, *enc = NULL;
    if (fmt == 3) {
        const struct fl_str *s = &fd[7];
        if (s->n != 1)
            return tuple_reject(a, c, t, FL_REJ_BAD_VALUE, err);
        switch (s->p[0]) {
        case 'B': state = K_B; break;
        case 'C': state = K_C; break;
        case 'E': state = K_E; break;
        case 'D': state = K_D; break;
        default: return tuple_reject(a, c, t, FL_REJ_BAD_VALUE, err);
        }
        action = state == K_D ? K_REJECT : K_ACCEPT;
        enc = &fd[8];
        ctr = &fd[9];
    } else {
        if (fd[7].n == 1 && fd[7].p[0] == 'A')
            action = K_ACCEPT;
        else if (fd[7].n == 1 && fd[7].p[0] == 'D')
            action = K_REJECT;
        else
            return tuple_reject(a, c, t, FL_REJ_BAD_ACTION, err);
        if (fmt == 2) {
            const struct fl_str *s = &fd[8];
            if (s->n != 1)
                return tuple_reject(a, c, t, FL_REJ_BAD_VALUE, err);
            switch (s->p[0]) {
            case 'B': state = K_B; break;
            case 'C': state = K_C; break;
            case 'E': state = K_E; break;
            case 'D': state = K_D; break;
            default: return tuple_reject(a, c, t, FL_REJ_BAD_VALUE, err);
            }
            ctr = &fd[9];
        }
    }
    int64_t cv[4] = {0, 0, 0, 0};
    bool ch[4] = {false, false, false, false};
    if (ctr) {
        for (int i = 0; i < 4; i++)
            if ((r = opt_u64(&ctr[i], INT64_MAX, &cv[i], &ch[i])))
                return tuple_reject(a, c, t, (enum fl_reject)(r - 1), err);
        /* Begin and deny tuples carry no counters: empty or 0 -> NULL. */
        if (state == K_B || state == K_D)
            for (int i = 0; i < 4; i++)
                if (ch[i] && cv[i] == 0)
                    ch[i] = false;
    }

    int row = fl_batch_add_row(b);
    if (row < 0)
        return fl_error_set(err, FL_EINTERNAL, "batch full");
    uint32_t rw = (uint32_t)row;
    int rc;
    if ((rc = fl__pctx_lineage(c, b, rw, t->soff)) < 0)
        goto fail_row;
    struct az_slot *so = t->outer != UINT32_MAX ? &a->slots[t->outer] : NULL;
    struct az_slot *si = t->inner != UINT32_MAX ? &a->slots[t->inner] : NULL;
    struct az_cached *rule_c = NULL, *rname_c = NULL, *acl_c = &a->ctx[C_ACL];
    struct az_cached *mac_c = &a->ctx[C_MAC];
    struct az_slot *rs = a->is_vnet ? si : so;
    if (rs && rs->v.v.set) {
        rule_c = &rs->v;
        rname_c = &rs->v2;
    }
    if (a->is_vnet && so && so->v.v.set)
        acl_c = &so->v;
    if (!a->is_vnet && si && si->v2.v.set)
        mac_c = &si->v2;
    if ((rc = put_const(a, b, FL_COL_CLOUD, rw, K_AZURE)) < 0 ||
        (rc = put_cached(a, b, FL_COL_ACCOUNT, rw, &a->ctx[C_ACCOUNT])) < 0 ||
        (rc = put_cached(a, b, FL_COL_ACCOUNT_ID, rw, &a->ctx[C_ACCOUNT])) < 0 ||
        (rc = put_cached(a, b, FL_COL_RESOURCE_GROUP, rw, &a->ctx[C_RG])) < 0 ||
        (rc = put_cached(a, b, FL_COL_RESOURCE_ID, rw, &a->ctx[C_RESID])) < 0 ||
        (rc = put_cached(a, b, FL_COL_ACL, rw, acl_c)) < 0 ||
        (rc = put_cached(a, b, FL_COL_VPC_ID, rw, &a->ctx[C_VPC])) < 0 ||
        (rc = put_cached(a, b, FL_COL_SUBNET_ID, rw, &a->ctx[C_SUBNET])) < 0 ||
        (rc = put_cached(a, b, FL_COL_REGION, rw, &a->ctx[C_REGION])) < 0 ||
        (rc = put_cached(a, b, FL_COL_INTERFACE_ID, rw, mac_c)) < 0 ||
        (rule_c && (rc = put_cached(a, b, FL_COL_RULE, rw, rule_c)) < 0) ||
        (rname_c && (rc = put_cached(a, b, FL_COL_RULE_NAME, rw, rname_c)) < 0) ||
        (rc = put_const(a, b, FL_COL_SOURCE_FORMAT, rw,
                        fmt == 1 ? K_NSG1 : fmt == 2 ? K_NSG2 : K_VNET)) < 0 ||
        (rc = put_const(a, b, FL_COL_TYPE, rw, v6 ? K_IPV6 : K_IPV4)) < 0 ||
        (rc = put_const(a, b, FL_COL_FLOW_DIRECTION, rw, dir)) < 0 ||
        (rc = put_const(a, b, FL_COL_DIRECTION_SOURCE, rw, K_GIVEN)) < 0 ||
        (rc = put_const(a, b, FL_COL_ACTION, rw, action)) < 0 ||
        (state >= 0 && (rc = put_const(a, b, FL_COL_FLOW_STATE, rw, state)) < 0) ||
        (enc && enc->n && (rc = put_enc(a, b, rw, enc->p, enc->n)) < 0) ||
        (rc = fl_set_str(b, FL_COL_SRCADDR, rw, fd[1].p, fd[1].n)) < 0 ||
        (rc = fl_set_str(b, FL_COL_DSTADDR, rw, fd[2].p, fd[2].n)) < 0)
        goto fail_row;
    if (has_sport)
        fl_set_i64(b, FL_COL_SRCPORT, rw, sport);
    if (has_dport)
        fl_set_i64(b, FL_COL_DSTPORT, rw, dport);
    if (has_proto)
        fl_set_i64(b, FL_COL_PROTOCOL, rw, proto);
    fl_set_i64(b, FL_COL_START, rw, ts);
    fl_set_i64(b, FL_COL_END, rw, ts);
    static const int ccol[4] = {FL_COL_PACKETS, FL_COL_BYTES, FL_COL_PACKETS_REV,
                                FL_COL_BYTES_REV};
    for (int i = 0; i < 4; i++) {
        if (ch[i])
            fl_set_i64(b, ccol[i], rw, cv[i]);
        else
            fl_set_null(b, ccol[i], rw);
    }
    /* records_parsed/read are counted by the reader from our return. */
    struct fl_ingest_stats *st = c->stats;
    if (state == K_B)
        st->flows++;
    else if (state == K_C || state == K_E)
        st->updates++;
    if (action == K_REJECT)
        st->denies++;
    return 1;
fail_row:
    fl_batch_drop_row(b);
    return fl_error_set(err, rc, "azure: cannot store a row (%s)", fl_strerror(rc));
}

/* ---- record parsing ------------------------------------------------------ */

static void reset_record(struct fl__az *a)
{
    a->depth = 0;
    a->done = false;
    a->err_why = NULL;
    a->err_reason = FL_REJ_BAD_JSON;
    a->cur_outer = a->cur_inner = UINT32_MAX;
    fl_buf_reset(&a->scratch);
    memset(a->fld, 0, sizeof a->fld);
    a->has_version = a->is_nsg = a->is_vnet = false;
    a->version = 0;
    a->n_slots = a->n_tups = a->next_tup = 0;
}

/* Parse a->item with yajl.  FL_OK, or a reject reason via a->err_*. */
static bool parse_record(struct fl__az *a)
{
    reset_record(a);
    if (!a->yh) {
        a->yh = yajl_alloc(&az_cbs, (yajl_alloc_funcs *)fl__jr_yajl_alloc_funcs(), a);
        if (!a->yh) {
            fail(a, FL_REJ_TOO_BIG, "out of memory for the JSON parser");
            return false;
        }
        yajl_config(a->yh, yajl_allow_multiple_values, 1);
    }
    yajl_status s = yajl_parse(a->yh, (const unsigned char *)a->item.p, a->item.n);
    if (s != yajl_status_ok || !a->done || a->err_why) {
        if (s == yajl_status_error && !a->err_why) {
            unsigned char *m = yajl_get_error(a->yh, 0, NULL, 0);
            bool utf = m && strstr((const char *)m, "UTF8");
            fail(a, utf ? FL_REJ_BAD_ENCODING : FL_REJ_BAD_JSON,
                 utf ? "invalid UTF-8 in a JSON string" : "malformed JSON record");
            if (m)
                yajl_free_error(a->yh, m);
        } else if (!a->err_why) {
            fail(a, FL_REJ_BAD_JSON, "incomplete JSON record");
        }
        /* A failed yajl handle cannot continue: start a fresh one. */
        yajl_free(a->yh);
        a->yh = NULL;
        return false;
    }
    if (a->is_nsg && a->is_vnet)
        return fail(a, FL_REJ_BAD_JSON, "record has both properties.flows and flowRecords.flows");
    if (!a->is_nsg && !a->is_vnet)
        return fail(a, FL_REJ_BAD_JSON, "not an Azure flow-log record (no properties.flows or flowRecords.flows)");
    return true;
}

int fl__az_next(struct fl__az *a, struct fl__pctx *c, struct fl_batch *b,
                struct fl_error *err)
{
    int rows = 0;
    if (a->stash_rc) {
        if (err)
            *err = a->stash_err;
        return a->stash_rc;
    }
    a->gen++;
    if (a->gen == 0)
        a->gen = 1;
    a->n_enc = 0;
    while (!fl_batch_full(b)) {
        if (a->pending) {
            while (a->next_tup < a->n_tups && !fl_batch_full(b)) {
                int r = emit_tuple(a, c, b, &a->tups[a->next_tup], err);
                if (r < 0)
                    return r;
                a->next_tup++;
                rows += r;
            }
            if (a->next_tup < a->n_tups)
                break;
            a->pending = false;
            a->resume = fl__jr_consumed(a->jr);
            continue;
        }
        if (a->ended)
            break;
        int r = fl__jr_next(a->jr, &a->item, err);
        if (r < 0) {
            if (rows == 0)
                return r;
            /* Return the rows first; the error comes with the next call. */
            a->stash_rc = r;
            if (err)
                a->stash_err = *err;
            break;
        }
        if (r == 0) {
            a->ended = true;
            a->resume = fl__jr_consumed(a->jr);
            break;
        }
        if (a->item.kind == FL__JR_BAD) {
            FL_TRY(fl__reject(c, a->item.line, a->item.offset, a->item.reason,
                              a->item.p, a->item.n, err));
            a->resume = fl__jr_consumed(a->jr);
            continue;
        }
        if (!parse_record(a)) {
            FL_TRY(fl__reject(c, a->item.line, a->item.offset, a->err_reason,
                              a->item.p, a->item.n, err));
            a->resume = fl__jr_consumed(a->jr);
            continue;
        }
        record_context(a, c->meta);
        a->pending = true;
    }
    c->stats->lines = fl__jr_lines(a->jr);
    return rows;
}

/* ---- sniffing ------------------------------------------------------------ */

int fl__az_sniff(const char *head, size_t n, const struct fl_objmeta *meta, bool vnet)
{
    size_t i = 0;
    if (n > 4096)
        n = 4096; /* the markers are in the first record's first keys */
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' ||
                     head[i] == '\n' || head[i] == ','))
        i++;
    bool json = i < n && (head[i] == '{' || head[i] == '[');
    bool nsg_mark = memmem(head, n, "NetworkSecurityGroupFlowEvent", 29) ||
                    (memmem(head, n, "\"properties\"", 12) && memmem(head, n, "\"flowTuples\"", 12));
    bool vnet_mark = memmem(head, n, "FlowLogFlowEvent", 16) ||
                     memmem(head, n, "\"flowLogVersion\"", 16) ||
                     memmem(head, n, "\"flowRecords\"", 13);
    bool meta_nsg = meta && strstr(meta->service, "networksecuritygroupflowevent");
    bool meta_vnet = meta && strstr(meta->service, "flowlogflowevent") && !meta_nsg;
    if (!json)
        return 0;
    bool mine = vnet ? (vnet_mark || meta_vnet) : (nsg_mark || meta_nsg);
    bool other = vnet ? (nsg_mark || meta_nsg) : (vnet_mark || meta_vnet);
    if (mine)
        return 90;
    if (other)
        return 60;
    if (meta && strcmp(meta->cloud, "azure") == 0)
        return vnet ? 40 : 45;
    if (memmem(head, n, "\"flowTuples\"", 12))
        return 50;
    /* `{"records":[` is the Azure diagnostic-log envelope */
    const char *rk = memmem(head, n, "\"records\"", 9);
    if (rk && (size_t)(rk - head) < 64)
        return vnet ? 30 : 35;
    return 0;
}
