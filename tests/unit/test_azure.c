/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_azure.c - unit tests of the Azure flow-log engine and the JSON record
 * framer: the small helpers (MAC, rule name, timestamp magnitude), results
 * that do not depend on how the stream is chunked, a PT1H.json blob grown
 * in steps and read with the resume offset each time (exactly the new
 * tuples, a record cut mid-append left for the next run), and hostile input
 * (deep nesting, huge strings, invalid UTF-8, duplicate keys, numbers out of
 * range, junk between records, truncation) giving counted rejects with
 * records_read == parsed + rejected and the following records kept.
 */
#include "unit.h"

#include "ingest/azure_json.h"

/* ---- a chunked memory stream ---------------------------------------------- */
struct mem {
    const char *p;
    size_t n, pos, chunk;
};
static int mem_read(void *ctx, char *buf, size_t cap, size_t *got, struct fl_error *err)
{
    (void)err;
    struct mem *m = ctx;
    size_t k = m->n - m->pos;
    if (k > cap)
        k = cap;
    if (k > m->chunk)
        k = m->chunk;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    *got = k;
    return FL_OK;
}

struct res {
    struct fl_ingest_stats st;
    struct fl_batch *b;
    uint64_t resume;
    int rc;
};

/* Parse doc[0..n) from start with the engine; all rows land in r->b. */
static void run(const char *doc, size_t n, uint64_t start, size_t chunk, bool strict,
                struct res *r)
{
    static struct fl_objmeta meta;
    memset(r, 0, sizeof *r);
    r->b = fl_batch_new(512);
    ASSERT(r->b);
    struct mem m = {doc, n, 0, chunk};
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    o.strict = strict;
    o.start_offset = start;
    struct fl__pctx c;
    memset(&c, 0, sizeof c);
    c.opts = &o;
    c.meta = &meta;
    c.source = "mem";
    c.stats = &r->st;
    c.ref_last_row = -1;
    struct fl__az *a = fl__az_new(mem_read, &m, start);
    ASSERT(a);
    struct fl_error err;
    for (;;) {
        if (fl_batch_full(r->b))
            break;
        int k = fl__az_next(a, &c, r->b, &err);
        if (k < 0) {
            r->rc = k;
            break;
        }
        r->st.records_parsed += (uint64_t)k;
        if (k == 0)
            break;
    }
    r->st.records_read = r->st.records_parsed + r->st.records_rejected;
    r->resume = fl__az_resume(a);
    fl__az_free(a);
}

static void done(struct res *r) { fl_batch_free(r->b); }

static struct fl_str col(struct res *r, int c, uint32_t row)
{
    if (fl_is_null(r->b, c, row))
        return (struct fl_str){"(null)", 6};
    return fl_get_str(r->b, c, row);
}
#define ASSERT_COL_STR(r, c, row, s)                                           \
    do {                                                                       \
        struct fl_str v_ = col((r), (c), (row));                               \
        ASSERT_EQ_MEM(v_.p, v_.n, (s), strlen(s));                             \
    } while (0)

/* Two small records: an NSG v2 record (3 tuples: B, C, E) and a VNet record
 * (2 tuples: D, and a B with empty counters and a 10-digit timestamp). */
#define NSG_REC                                                                         \
    "{\"time\":\"2018-11-13T12:00:35Z\",\"category\":\"NetworkSecurityGroupFlowEvent\","    \
    "\"resourceId\":\"/SUBSCRIPTIONS/AAAA0A0A-BB1B-CC2C-DD3D-EEEEEE4E4E4E/RESOURCEGROUPS/"  \
    "RG1/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG1\",\"properties\":"          \
    "{\"Version\":2,\"flows\":[{\"rule\":\"UserRule_web_0a1b2c3d-0000-1111-2222-"           \
    "333344445555\",\"flows\":[{\"mac\":\"00-0d-3a-f8-78-56\",\"flowTuples\":["             \
    "\"1542110377,10.5.16.4,203.0.113.118,59831,443,T,O,A,B,,,,\","                          \
    "\"1542110379,10.5.16.4,203.0.113.115,44931,443,T,O,A,C,30,16978,24,14008\","            \
    "\"1542110406,10.5.16.4,203.0.113.115,44931,443,T,O,A,E,15,8489,12,7054\"]}]}]}}"
#define VNET_REC                                                                        \
    "{\"time\":\"2022-09-14T09:00:52Z\",\"flowLogVersion\":4,\"macAddress\":"              \
    "\"0022487bC205\",\"flowLogResourceID\":\"/SUBSCRIPTIONS/00000000-0000-0000-0000-"     \
    "000000000001/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/"            \
    "NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/FL1\",\"targetResourceID\":"       \
    "\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/App-RG/"         \
    "providers/Microsoft.Network/virtualNetworks/vnet1/subnets/web\",\"flowRecords\":"     \
    "{\"flows\":[{\"aclID\":\"acl-1\",\"flowGroups\":[{\"rule\":\"Internet\","             \
    "\"flowTuples\":[\"1663145998065,101.33.218.153,10.0.0.6,55188,22,6,I,D,NX,0,0,0,0\"," \
    "\"1663146003,2001:db8::6,2001:db8::5,23956,443,17,O,B,X,,,,\"]}]}]}}"

TEST(helpers)
{
    char out[64];
    size_t k = fl__az_mac_norm("0022487bC205", 12, out);
    ASSERT_EQ_MEM(out, k, "0022487BC205", 12);
    k = fl__az_mac_norm("00-0d-3a-11-22-33", 17, out);
    ASSERT_EQ_MEM(out, k, "000D3A112233", 12);
    k = fl__az_mac_norm("002248######", 12, out);
    ASSERT_EQ_MEM(out, k, "002248######", 12);
    const char *r1 = "Internet_4b9ac3d8-dc7b-4b9e-8702-9e9c25b52451";
    ASSERT_EQ_INT(fl__az_rule_name_len(r1, strlen(r1)), 8);
    const char *r2 = "UserRule_default-allow-rdp";
    ASSERT_EQ_INT(fl__az_rule_name_len(r2, strlen(r2)), strlen(r2));
    const char *r3 = "X_4b9ac3d8-dc7b-4b9e-8702-9e9c25b5245g"; /* not hex */
    ASSERT_EQ_INT(fl__az_rule_name_len(r3, strlen(r3)), strlen(r3));
    int64_t s;
    ASSERT_EQ_INT(fl__az_ts("1542110402", 10, &s), FL_OK);
    ASSERT_EQ_INT(s, 1542110402);
    ASSERT_EQ_INT(fl__az_ts("1663146003599", 13, &s), FL_OK);
    ASSERT_EQ_INT(s, 1663146003);
    ASSERT_EQ_INT(fl__az_ts("", 0, &s), FL_EPARSE);
    ASSERT_EQ_INT(fl__az_ts("16x", 3, &s), FL_EPARSE);
}

TEST(mapping)
{
    static const char doc[] = "{\"records\":[" NSG_REC "," VNET_REC "]}";
    struct res r;
    run(doc, sizeof doc - 1, 0, 1 << 20, false, &r);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.b->n, 5);
    ASSERT_EQ_INT(r.st.records_rejected, 0);
    ASSERT_EQ_INT(r.st.flows, 2);
    ASSERT_EQ_INT(r.st.updates, 2);
    ASSERT_EQ_INT(r.st.denies, 1);
    /* NSG row 0: B -> NULL counters; names and normalizations */
    ASSERT_COL_STR(&r, FL_COL_ACCOUNT_ID, 0, "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e");
    ASSERT_COL_STR(&r, FL_COL_ACCOUNT, 0, "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e");
    ASSERT_COL_STR(&r, FL_COL_RESOURCE_GROUP, 0, "RG1");
    ASSERT_COL_STR(&r, FL_COL_ACL, 0, "NSG1");
    ASSERT_COL_STR(&r, FL_COL_INTERFACE_ID, 0, "000D3AF87856");
    ASSERT_COL_STR(&r, FL_COL_RULE, 0, "UserRule_web_0a1b2c3d-0000-1111-2222-333344445555");
    ASSERT_COL_STR(&r, FL_COL_RULE_NAME, 0, "UserRule_web");
    ASSERT_COL_STR(&r, FL_COL_SOURCE_FORMAT, 0, "azure-nsg-v2");
    ASSERT_COL_STR(&r, FL_COL_FLOW_STATE, 0, "B");
    ASSERT(fl_is_null(r.b, FL_COL_PACKETS, 0) && fl_is_null(r.b, FL_COL_BYTES_REV, 0));
    ASSERT_EQ_INT(r.b->col[FL_COL_PROTOCOL].i[0], 6);
    ASSERT_COL_STR(&r, FL_COL_FLOW_DIRECTION, 0, "egress");
    ASSERT_COL_STR(&r, FL_COL_ACTION, 0, "ACCEPT");
    ASSERT(fl_is_null(r.b, FL_COL_REGION, 0));
    /* NSG row 1: C deltas */
    ASSERT_EQ_INT(r.b->col[FL_COL_PACKETS].i[1], 30);
    ASSERT_EQ_INT(r.b->col[FL_COL_BYTES].i[1], 16978);
    ASSERT_EQ_INT(r.b->col[FL_COL_PACKETS_REV].i[1], 24);
    ASSERT_EQ_INT(r.b->col[FL_COL_BYTES_REV].i[1], 14008);
    /* VNet row 3: D deny, zero counters -> NULL, ms timestamp */
    ASSERT_COL_STR(&r, FL_COL_ACTION, 3, "REJECT");
    ASSERT_COL_STR(&r, FL_COL_FLOW_STATE, 3, "D");
    ASSERT(fl_is_null(r.b, FL_COL_PACKETS, 3) && fl_is_null(r.b, FL_COL_BYTES, 3));
    ASSERT_EQ_INT(r.b->col[FL_COL_START].i[3], 1663145998);
    ASSERT_COL_STR(&r, FL_COL_ACCOUNT_ID, 3, "00000000-0000-0000-0000-000000000001");
    ASSERT_COL_STR(&r, FL_COL_RESOURCE_GROUP, 3, "App-RG");
    ASSERT_COL_STR(&r, FL_COL_VPC_ID, 3, "vnet1");
    ASSERT_COL_STR(&r, FL_COL_SUBNET_ID, 3, "web");
    ASSERT_COL_STR(&r, FL_COL_REGION, 3, "westeurope");
    ASSERT_COL_STR(&r, FL_COL_ACL, 3, "acl-1");
    ASSERT_COL_STR(&r, FL_COL_INTERFACE_ID, 3, "0022487BC205");
    ASSERT_COL_STR(&r, FL_COL_ENCRYPTION, 3, "NX");
    ASSERT_COL_STR(&r, FL_COL_SOURCE_FORMAT, 3, "azure-vnet");
    ASSERT_COL_STR(&r, FL_COL_CLOUD, 3, "azure");
    /* VNet row 4: B with empty counters, seconds timestamp, IPv6, UDP */
    ASSERT_EQ_INT(r.b->col[FL_COL_START].i[4], 1663146003);
    ASSERT(fl_is_null(r.b, FL_COL_BYTES, 4));
    ASSERT_COL_STR(&r, FL_COL_TYPE, 4, "IPv6");
    ASSERT_EQ_INT(r.b->col[FL_COL_PROTOCOL].i[4], 17);
    ASSERT_COL_STR(&r, FL_COL_ENCRYPTION, 4, "X");
    ASSERT_COL_STR(&r, FL_COL_ACTION, 4, "ACCEPT");
    /* source_offset = the tuple's opening quote */
    for (uint32_t i = 0; i < r.b->n; i++) {
        int64_t off = r.b->col[FL_COL_SOURCE_OFFSET].i[i];
        ASSERT(doc[off] == '"' && doc[off + 1] == '1' && doc[off - 1] != '\\');
        if (i)
            ASSERT(off > r.b->col[FL_COL_SOURCE_OFFSET].i[i - 1]);
    }
    ASSERT_EQ_INT(r.resume, sizeof doc - 1 - 2); /* before the closing ]} */
    done(&r);
}

/* The same rows whatever the read sizes (refills mid-token, mid-wrapper). */
TEST(chunking)
{
    static const char doc[] =
        "\r\n{ \"records\" :\r\n [\r\n" NSG_REC ",\r\n" VNET_REC "\r\n]\r\n}\r\n";
    struct res ref;
    run(doc, sizeof doc - 1, 0, 1 << 20, false, &ref);
    ASSERT_EQ_INT(ref.b->n, 5);
    ASSERT_EQ_INT(ref.st.records_rejected, 0);
    static const size_t chunks[] = {1, 2, 3, 7, 64, 1000};
    for (size_t ci = 0; ci < FL_ARRAY_LEN(chunks); ci++) {
        struct res r;
        run(doc, sizeof doc - 1, 0, chunks[ci], false, &r);
        ASSERT_EQ_INT(r.b->n, ref.b->n);
        ASSERT_EQ_INT(r.st.records_rejected, 0);
        for (uint32_t i = 0; i < r.b->n; i++) {
            ASSERT_EQ_INT(r.b->col[FL_COL_SOURCE_OFFSET].i[i],
                          ref.b->col[FL_COL_SOURCE_OFFSET].i[i]);
            struct fl_str a = col(&r, FL_COL_DSTADDR, i), b = col(&ref, FL_COL_DSTADDR, i);
            ASSERT_EQ_MEM(a.p, a.n, b.p, b.n);
        }
        ASSERT_EQ_INT(r.resume, ref.resume);
        done(&r);
    }
    done(&ref);
}

/* Shapes: one record per line, a top-level array, leading commas, the MS
 * docs' nested-records v1 sample, a single bare record. */
TEST(shapes)
{
    static const char *docs[] = {
        NSG_REC "\n" VNET_REC "\n",
        "[" NSG_REC "," VNET_REC "]",
        "," NSG_REC "," VNET_REC,
        "{\"records\":[{\"records\":[" NSG_REC "]}," VNET_REC "]}",
        NSG_REC VNET_REC,
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(docs); i++) {
        struct res r;
        run(docs[i], strlen(docs[i]), 0, 5, false, &r);
        if (r.b->n != 5 || r.st.records_rejected != 0)
            UNIT_FAIL("shape %zu: %u rows, %llu rejects", i, r.b->n,
                      (unsigned long long)r.st.records_rejected);
        done(&r);
    }
}

/* A PT1H.json grown as Azure does: `{"records":[` and `]}` first, then one
 * block per minute inserted before `]}` (blocks after the first start with
 * ','), read each time from the previous resume offset. */
TEST(growing_blob)
{
    const char *head = "{\"records\":[", *tail = "]}";
    const char *blocks[] = {NSG_REC, "," VNET_REC, "," NSG_REC "," VNET_REC};
    const int rows_per_block[] = {3, 2, 5};
    char blob[8192];
    size_t n = 0;
    uint64_t resume = 0;
    int total = 0;
    memcpy(blob, head, strlen(head));
    n = strlen(head);
    /* step 0: the empty blob */
    {
        memcpy(blob + n, tail, 2);
        struct res r;
        run(blob, n + 2, resume, 1 << 20, false, &r);
        ASSERT_EQ_INT(r.b->n, 0);
        ASSERT_EQ_INT(r.st.records_rejected, 0);
        ASSERT_EQ_INT(r.resume, strlen(head));
        resume = r.resume;
        done(&r);
    }
    for (int s = 0; s < 3; s++) {
        size_t bl = strlen(blocks[s]);
        /* mid-append: half of the new block visible, no `]}` yet */
        memcpy(blob + n, blocks[s], bl / 2);
        struct res r;
        run(blob, n + bl / 2, resume, 4096, false, &r);
        ASSERT_EQ_INT(r.b->n, s == 2 ? 3 : 0); /* block 2 has a whole record first */
        ASSERT_EQ_INT(r.st.records_rejected, 0);
        if (s != 2)
            ASSERT_EQ_INT(r.resume, resume);
        done(&r);
        /* the block committed */
        memcpy(blob + n, blocks[s], bl);
        n += bl;
        memcpy(blob + n, tail, 2);
        run(blob, n + 2, resume, 4096, false, &r);
        ASSERT_EQ_INT(r.b->n, rows_per_block[s]);
        ASSERT_EQ_INT(r.st.records_rejected, 0);
        ASSERT_EQ_INT(r.resume, n);
        /* the offsets are absolute and point at this block's tuples */
        for (uint32_t i = 0; i < r.b->n; i++) {
            int64_t off = r.b->col[FL_COL_SOURCE_OFFSET].i[i];
            ASSERT(off >= (int64_t)resume && blob[off] == '"');
        }
        total += (int)r.b->n;
        resume = r.resume;
        done(&r);
        /* re-reading at the resume point yields nothing new */
        run(blob, n + 2, resume, 4096, false, &r);
        ASSERT_EQ_INT(r.b->n, 0);
        ASSERT_EQ_INT(r.resume, resume);
        done(&r);
    }
    struct res all;
    run(blob, n + 2, 0, 4096, false, &all);
    ASSERT_EQ_INT(all.b->n, (uint32_t)total);
    done(&all);
}

static void expect(const char *name, const char *doc, size_t n, uint32_t rows, uint64_t rejected,
                   enum fl_reject why)
{
    struct res r;
    run(doc, n, 0, 4096, false, &r);
    if (r.rc != 0 || r.b->n != rows || r.st.records_rejected != rejected ||
        (rejected && r.st.rejected[why] == 0) ||
        r.st.records_read != r.st.records_parsed + r.st.records_rejected)
        UNIT_FAIL("%s: rc %d, %u rows (want %u), %llu rejected (want %llu, %s=%llu)", name,
                  r.rc, r.b->n, rows, (unsigned long long)r.st.records_rejected,
                  (unsigned long long)rejected, fl_reject_name(why),
                  (unsigned long long)r.st.rejected[why]);
    done(&r);
}
#define EXPECT(name, doc, rows, rej, why) expect(name, doc, sizeof(doc) - 1, rows, rej, why)

TEST(hostile)
{
    char deep[1024] = "{\"records\":[{\"x\":";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    for (int i = 0; i < 100; i++)
        strcat(deep, "]");
    strcat(deep, "}," NSG_REC "]}");
    expect("deep", deep, strlen(deep), 3, 1, FL_REJ_TOO_DEEP);
    EXPECT("utf8", "{\"records\":[{\"properties\":{\"flows\":[{\"rule\":\"a\xff\",\"flows\":[]}]}},"
           NSG_REC "]}", 3, 1, FL_REJ_BAD_ENCODING);
    EXPECT("dupkey", "{\"records\":[{\"properties\":{\"flows\":[{\"rule\":\"a\",\"rule\":\"b\","
           "\"flows\":[]}]}}," NSG_REC "]}", 3, 1, FL_REJ_BAD_JSON);
    EXPECT("version-range", "{\"records\":[{\"properties\":{\"Version\":99999999999999999999,"
           "\"flows\":[]}}," NSG_REC "]}", 3, 1, FL_REJ_NUMBER_RANGE);
    EXPECT("counter-range", "{\"records\":[{\"properties\":{\"flows\":[{\"rule\":\"r\",\"flows\":"
           "[{\"mac\":\"m\",\"flowTuples\":[\"1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,99999999999999999999,1,1,1\","
           "\"1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,1,1,1\"]}]}]}}]}", 1, 1, FL_REJ_NUMBER_RANGE);
    EXPECT("port-range", "{\"records\":[{\"properties\":{\"flows\":[{\"rule\":\"r\",\"flows\":"
           "[{\"mac\":\"m\",\"flowTuples\":[\"1,1.1.1.1,2.2.2.2,70000,2,T,I,A\"]}]}]}}]}", 0, 1,
           FL_REJ_NUMBER_RANGE);
    EXPECT("field-count", "{\"records\":[{\"properties\":{\"Version\":2,\"flows\":[{\"rule\":\"r\","
           "\"flows\":[{\"mac\":\"m\",\"flowTuples\":[\"1,1.1.1.1,2.2.2.2,1,2,T,I,A\","
           "\"1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,,\"]}]}]}}]}", 0, 2, FL_REJ_FIELD_COUNT);
    EXPECT("bad-values", "{\"records\":[{\"properties\":{\"flows\":[{\"rule\":\"r\",\"flows\":"
           "[{\"mac\":\"m\",\"flowTuples\":[\"1,1.1.1.1,2.2.2.2,1,2,X,I,A\",\"1,1.1.1.1,2.2.2.2,1,2,T,Q,A\","
           "\"x,1.1.1.1,2.2.2.2,1,2,T,I,A\",\"1,1.1.1,2.2.2.2,1,2,T,I,A\",\"1,1.1.1.1,2.2.2.2,1,2,T,I,Z\"]}]}]}}]}",
           0, 5, FL_REJ_BAD_VALUE);
    EXPECT("tuple-not-string", "{\"records\":[{\"properties\":{\"flows\":[{\"rule\":\"r\",\"flows\":"
           "[{\"mac\":\"m\",\"flowTuples\":[5]}]}]}}," NSG_REC "]}", 3, 1, FL_REJ_BAD_TUPLE);
    EXPECT("junk", "{\"records\":[" NSG_REC ", xyz ]] " VNET_REC "]}", 5, 1, FL_REJ_BAD_JSON);
    EXPECT("broken-record", "{\"records\":[{\"properties\":{\"flows\":[}}," VNET_REC "]}", 2, 1,
           FL_REJ_BAD_JSON);
    EXPECT("not-azure", "{\"records\":[{\"time\":\"x\"}," VNET_REC "]}", 2, 1, FL_REJ_BAD_JSON);
    EXPECT("truncated", "{\"records\":[" NSG_REC ",{\"time\":\"2018-11-13T12:00:35Z\",\"prop", 3, 0,
           FL_REJ_BAD_JSON);
    EXPECT("empty", "", 0, 0, FL_REJ_BAD_JSON);
    EXPECT("empty-flows", "{\"records\":[{\"properties\":{\"Version\":2,\"flows\":[]}}]}", 0, 0,
           FL_REJ_BAD_JSON);
    /* a 2 MiB string inside a record: too_big, the next record kept */
    size_t big = (size_t)2 << 20;
    char *doc = malloc(big + 1024);
    ASSERT(doc);
    int k = snprintf(doc, 64, "{\"records\":[{\"time\":\"");
    memset(doc + k, 'a', big);
    k += (int)big;
    k += snprintf(doc + k, 1024 - 64, "\",\"properties\":{\"flows\":[]}}," VNET_REC "]}");
    expect("huge-string", doc, (size_t)k, 2, 1, FL_REJ_TOO_BIG);
    free(doc);
}

/* A record whose tuples span several small batches: every row once, in
 * order, with its strings interned into the batch it landed in. */
TEST(small_batches)
{
    static const char doc[] = "{\"records\":[" NSG_REC "," VNET_REC "," NSG_REC "]}";
    struct res ref;
    run(doc, sizeof doc - 1, 0, 1 << 20, false, &ref);
    ASSERT_EQ_INT(ref.b->n, 8);
    static struct fl_objmeta meta;
    struct fl_ingest_stats st;
    memset(&st, 0, sizeof st);
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    struct fl__pctx c;
    memset(&c, 0, sizeof c);
    c.opts = &o;
    c.meta = &meta;
    c.source = "mem";
    c.stats = &st;
    c.ref_last_row = -1;
    struct mem m = {doc, sizeof doc - 1, 0, 1 << 20};
    struct fl__az *a = fl__az_new(mem_read, &m, 0);
    struct fl_batch *b = fl_batch_new(3);
    ASSERT(a && b);
    uint32_t seen = 0;
    struct fl_error err;
    for (;;) {
        fl_batch_reset(b);
        int k = fl__az_next(a, &c, b, &err);
        ASSERT(k >= 0);
        if (k == 0)
            break;
        for (uint32_t i = 0; i < b->n; i++, seen++) {
            ASSERT(seen < ref.b->n);
            struct fl_str x = fl_get_str(b, FL_COL_RULE, i), y = fl_get_str(ref.b, FL_COL_RULE, seen);
            ASSERT_EQ_MEM(x.p, x.n, y.p, y.n);
            x = fl_get_str(b, FL_COL_ACCOUNT, i);
            y = fl_get_str(ref.b, FL_COL_ACCOUNT, seen);
            ASSERT_EQ_MEM(x.p, x.n, y.p, y.n);
            x = fl_get_str(b, FL_COL_SOURCE_OBJECT, i);
            ASSERT_EQ_MEM(x.p, x.n, "mem", 3);
            ASSERT_EQ_INT(b->col[FL_COL_SOURCE_OFFSET].i[i], ref.b->col[FL_COL_SOURCE_OFFSET].i[seen]);
        }
    }
    ASSERT_EQ_INT(seen, 8);
    ASSERT_EQ_INT(fl__az_resume(a), ref.resume);
    fl__az_free(a);
    fl_batch_free(b);
    done(&ref);
}

TEST(strict)
{
    static const char doc[] = "{\"records\":[{\"time\":1}," NSG_REC "]}";
    struct res r;
    run(doc, sizeof doc - 1, 0, 4096, true, &r);
    ASSERT_EQ_INT(r.rc, FL_EPARSE);
    ASSERT_EQ_INT(r.b->n, 0);
    done(&r);
}

UNIT_MAIN()
