/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ingest_azure.c - libFuzzer target for the Azure flow-log engine
 * (formats azure-nsg and azure-vnet) and its JSON record framer.  The input
 * is parsed twice, once in one read and once in small reads whose size
 * comes from the first byte, and the target asserts invariants, not only
 * "no crash": no error outside strict mode; records_read == parsed +
 * rejected; both runs give the same rows, rejects and resume offset; every
 * row's source_offset points at a '"' inside the input and offsets
 * increase; action is ACCEPT/REJECT, protocol 0..255, ports 0..65535; the
 * resume offset lies inside the input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ingest/azure_json.h"

struct mem {
    const uint8_t *p;
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

struct out {
    uint64_t rows, rejected, resume, sum_off;
};

static void run(const uint8_t *d, size_t n, size_t chunk, struct out *o)
{
    static struct fl_objmeta meta;
    struct fl_ingest_stats st;
    memset(&st, 0, sizeof st);
    memset(o, 0, sizeof *o);
    struct fl_read_opts opts;
    memset(&opts, 0, sizeof opts);
    struct fl__pctx c;
    memset(&c, 0, sizeof c);
    c.opts = &opts;
    c.meta = &meta;
    c.source = "fuzz";
    c.stats = &st;
    c.ref_last_row = -1;
    struct mem m = {d, n, 0, chunk};
    struct fl__az *a = fl__az_new(mem_read, &m, 0);
    struct fl_batch *b = fl_batch_new(64);
    if (!a || !b)
        abort();
    int64_t last = -1;
    struct fl_error err;
    for (;;) {
        fl_batch_reset(b);
        int k = fl__az_next(a, &c, b, &err);
        if (k < 0) {
            fprintf(stderr, "error without strict mode: %s\n", err.msg);
            abort();
        }
        if ((uint32_t)k != b->n)
            abort();
        st.records_parsed += (uint64_t)k;
        for (uint32_t i = 0; i < b->n; i++) {
            int64_t off = b->col[FL_COL_SOURCE_OFFSET].i[i];
            if (off <= last || off < 0 || (size_t)off >= n || d[off] != '"')
                abort();
            last = off;
            o->sum_off += (uint64_t)off;
            struct fl_str act = fl_get_str(b, FL_COL_ACTION, i);
            if (!(act.n == 6 && (!memcmp(act.p, "ACCEPT", 6) || !memcmp(act.p, "REJECT", 6))))
                abort();
            if (!fl_is_null(b, FL_COL_PROTOCOL, i) &&
                (b->col[FL_COL_PROTOCOL].i[i] < 0 || b->col[FL_COL_PROTOCOL].i[i] > 255))
                abort();
            for (int p = FL_COL_SRCPORT; p <= FL_COL_DSTPORT; p++)
                if (!fl_is_null(b, p, i) && (b->col[p].i[i] < 0 || b->col[p].i[i] > 65535))
                    abort();
        }
        if (k == 0)
            break;
    }
    st.records_read = st.records_parsed + st.records_rejected;
    uint64_t sum = 0;
    for (int r = 0; r < FL_REJ__COUNT; r++)
        sum += st.rejected[r];
    if (sum != st.records_rejected || st.records_read != st.records_parsed + st.records_rejected)
        abort();
    o->rows = st.records_parsed;
    o->rejected = st.records_rejected;
    o->resume = fl__az_resume(a);
    if (o->resume > n)
        abort();
    fl__az_free(a);
    fl_batch_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct out big, small;
    run(data, size, (size_t)1 << 20, &big);
    run(data, size, size ? 1 + data[0] % 13 : 1, &small);
    if (big.rows != small.rows || big.rejected != small.rejected || big.resume != small.resume ||
        big.sum_off != small.sum_off)
        abort();
    return 0;
}
