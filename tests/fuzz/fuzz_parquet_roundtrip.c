/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_parquet_roundtrip.c - libFuzzer round trip of the Parquet writer and
 * reader: the input bytes become writer options (codec, row group and page
 * sizes, dictionary limit) and rows of strings (any bytes, invalid UTF-8
 * included) and integers (any 64-bit value, NULLs); the rows are written
 * (as whole batches and as row selections), read back, and must be equal:
 * integers exactly (INT32 columns as their 32-bit value), strings exactly
 * or, where the input was not valid UTF-8, as the U+FFFD repair, "-" as
 * NULL.  Statistics must bound the values.  The file goes to /dev/shm when
 * it exists (fsync is cheap there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl/fl.h"
#include "fl/fl_store.h"
#include "store/store_int.h"

#define check(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "check failed: %s:%d: %s (%s)\n", __FILE__,        \
                    __LINE__, #cond, e.msg);                                   \
            abort();                                                           \
        }                                                                      \
    } while (0)

struct in {
    const uint8_t *p;
    size_t n;
};
static uint8_t take(struct in *s)
{
    if (!s->n)
        return 0;
    s->n--;
    return *s->p++;
}

static const int str_cols[] = {FL_COL_ACCOUNT_ID, FL_COL_SRCADDR, FL_COL_EXTRA};
static const int int_cols[] = {FL_COL_SRCPORT, FL_COL_BYTES, FL_COL_START};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in s = {data, size};
    struct fl_error e = {0};
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    static const enum fl_codec codecs[] = {FL_CODEC_ZSTD, FL_CODEC_SNAPPY, FL_CODEC_GZIP,
                                           FL_CODEC_NONE};
    o.codec = codecs[take(&s) % 4];
    o.row_group_rows = 1 + take(&s) % 64;
    o.page_rows = 1 + take(&s) % 16;
    o.dict_max_bytes = 1 + (size_t)take(&s) * 4;
    bool select = take(&s) & 1;

    static struct fl_batch *b, *r;
    if (!b) {
        b = fl_batch_new(512);
        r = fl_batch_new(512);
    }
    fl_batch_reset(b);
    while (s.n && !fl_batch_full(b)) {
        int row = fl_batch_add_row(b);
        for (size_t c = 0; c < 3; c++) {
            uint8_t k = take(&s);
            if (k % 4 == 0)
                continue; /* NULL */
            size_t len = k % 4 == 1 ? 1 : (size_t)take(&s) % 12;
            if (len > s.n)
                len = s.n;
            fl_set_str(b, str_cols[c], (uint32_t)row, (const char *)s.p, len);
            s.p += len;
            s.n -= len;
        }
        for (size_t c = 0; c < 3; c++) {
            uint8_t k = take(&s);
            if (k % 5 == 0)
                continue;
            int64_t v = 0;
            int nb = k % 9;
            for (int i = 0; i < nb; i++)
                v = (int64_t)(((uint64_t)v << 8) | take(&s));
            if (k & 0x80)
                v = (int64_t)(0 - (uint64_t)v);
            fl_set_i64(b, int_cols[c], (uint32_t)row, v);
        }
    }
    uint32_t sel[512], n_sel = 0;
    for (uint32_t i = 0; i < b->n; i++)
        if (!select || i % 3 != 1)
            sel[n_sel++] = i;

    char path[64];
    snprintf(path, sizeof path, "%s/fl_fuzz_rt_%d.parquet",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    fl_pq_writer *w;
    check(fl_pq_writer_open(&w, path, &o, &e) == FL_OK);
    check(fl_pq_writer_add(w, b, select ? sel : NULL, select ? n_sel : 0, &e) == FL_OK);
    check(fl_pq_writer_close(w, &e) == FL_OK);

    fl_pq_reader *rd;
    check(fl_pq_open(&rd, path, &e) == FL_OK);
    check(fl_pq_num_rows(rd) == n_sel);
    int cols[6] = {str_cols[0], str_cols[1], str_cols[2], int_cols[0], int_cols[1], int_cols[2]};
    uint32_t k = 0;
    struct fl_buf fix;
    fl_buf_init(&fix, 0);
    for (int g = 0; g < fl_pq_num_row_groups(rd); g++) {
        uint64_t rows = fl_pq_rg_rows(rd, g);
        for (uint64_t row0 = 0; row0 < rows;) {
            fl_batch_reset(r);
            int got = fl_pq_read(rd, g, row0, 1 + (uint32_t)(row0 % 97), cols, 6, r, &e);
            check(got > 0);
            for (int i = 0; i < got; i++, k++) {
                uint32_t src = sel[k];
                for (int c = 0; c < 3; c++) {
                    int col = str_cols[c];
                    bool in_null = fl_is_null(b, col, src);
                    struct fl_str v = in_null ? FL_STR_NULL : fl_get_str(b, col, src);
                    fix.len = 0;
                    if (!in_null)
                        fl__utf8_sanitize(&fix, v.p, v.n);
                    bool want_null = in_null || (fix.len == 1 && fix.p[0] == '-');
                    check(fl_is_null(r, col, (uint32_t)i) == want_null);
                    if (!want_null) {
                        struct fl_str x = fl_get_str(r, col, (uint32_t)i);
                        check(x.n == fix.len && (x.n == 0 || memcmp(x.p, fix.p, x.n) == 0));
                    }
                }
                for (int c = 0; c < 3; c++) {
                    int col = int_cols[c];
                    check(fl_is_null(r, col, (uint32_t)i) == fl_is_null(b, col, src));
                    if (!fl_is_null(b, col, src)) {
                        int64_t want = b->col[col].i[src];
                        if (fl_fields[col].type == FL_I32)
                            want = (int32_t)want;
                        check(r->col[col].i[i] == want);
                        struct fl_pq_colstats st;
                        check(fl_pq_rg_stats(rd, g, col, &st) == FL_OK && st.has_minmax);
                        check(st.min_i <= want && want <= st.max_i);
                    }
                }
            }
            row0 += (uint64_t)got;
        }
    }
    check(k == n_sel);
    fl_buf_free(&fix);
    fl_pq_close(rd);
    unlink(path);
    return 0;
}
