/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_parquet.c - unit tests of the Parquet store: thrift compact round
 * trips and the unknown-field skipper, RLE/bit-packed hybrid edge cases
 * (every bit width, runs, partial groups), dictionary fallback, statistics
 * of all-NULL columns, invalid UTF-8 repair, "-" as NULL, row selections,
 * random-access reads, and corrupt/truncated files (clean errors).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store_int.h"
#include "unit.h"

static uint64_t rs = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* ---- thrift ---------------------------------------------------------------- */
TEST(thrift_round_trip)
{
    struct fl_buf b;
    fl_buf_init(&b, 0);
    struct fl__tw w;
    fl__tw_init(&w, &b);
    fl__tw_i8(&w, 1, -5);
    fl__tw_i16(&w, 2, -32768);
    fl__tw_i32(&w, 3, INT32_MIN);
    fl__tw_i64(&w, 4, INT64_MAX);
    fl__tw_bool(&w, 5, true);
    fl__tw_bool(&w, 6, false);
    fl__tw_bin(&w, 7, "hello", 5);
    fl__tw_struct_begin(&w, 30); /* delta > 15: long form */
    fl__tw_i64(&w, 1, -1);
    fl__tw_struct_end(&w);
    fl__tw_list_begin(&w, 31, TC_I32, 20); /* > 14 elements: long list header */
    for (int i = 0; i < 20; i++)
        fl__tw_elem_i32(&w, i * 1000 - 7);
    fl__tw_i32(&w, 1000, 42); /* unknown to the reader below: skipped */
    fl__tw_list_begin(&w, 1001, TC_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
        fl__tw_elem_struct_begin(&w);
        fl__tw_bin(&w, 1, "x", 1);
        fl__tw_struct_end(&w);
    }
    fl__tw_i32(&w, 1002, 7);
    fl__tw_struct_end(&w);
    ASSERT_EQ_INT(w.rc, FL_OK);

    struct fl__tr r;
    fl__tr_init(&r, b.p, b.len);
    int16_t last = 0, id;
    int ty, seen = 0;
    while ((ty = fl__tr_field(&r, &last, &id)) != TC_STOP) {
        switch (id) {
        case 1: ASSERT_EQ_INT(ty, TC_I8); ASSERT_EQ_INT(fl__tr_int(&r, ty), -5); break;
        case 2: ASSERT_EQ_INT(ty, TC_I16); ASSERT_EQ_INT(fl__tr_int(&r, ty), -32768); break;
        case 3: ASSERT_EQ_INT(fl__tr_int(&r, ty), INT32_MIN); break;
        case 4: ASSERT(fl__tr_int(&r, ty) == INT64_MAX); break;
        case 5: ASSERT(fl__tr_bool(&r, ty)); break;
        case 6: ASSERT(!fl__tr_bool(&r, ty)); break;
        case 7: {
            struct fl_str s = fl__tr_bin(&r);
            ASSERT_EQ_MEM(s.p, s.n, "hello", 5);
            break;
        }
        case 30: {
            ASSERT_EQ_INT(ty, TC_STRUCT);
            ASSERT(fl__tr_enter(&r));
            int16_t l2 = 0, i2;
            int t2 = fl__tr_field(&r, &l2, &i2);
            ASSERT_EQ_INT(i2, 1);
            ASSERT_EQ_INT(fl__tr_int(&r, t2), -1);
            ASSERT_EQ_INT(fl__tr_field(&r, &l2, &i2), TC_STOP);
            fl__tr_leave(&r);
            break;
        }
        case 31: {
            int et;
            uint32_t n = fl__tr_list(&r, &et);
            ASSERT_EQ_INT(n, 20);
            ASSERT_EQ_INT(et, TC_I32);
            for (uint32_t i = 0; i < n; i++)
                ASSERT_EQ_INT(fl__tr_int(&r, TC_I32), (int)i * 1000 - 7);
            break;
        }
        case 1002: ASSERT_EQ_INT(fl__tr_int(&r, ty), 7); break;
        default: fl__tr_skip(&r, ty); seen++;
        }
    }
    ASSERT_EQ_INT(r.rc, FL_OK);
    ASSERT_EQ_INT(seen, 2); /* 1000 and 1001 skipped */
    ASSERT(r.p == r.end);
    fl_buf_free(&b);
}

TEST(thrift_hostile)
{
    /* structs nested deeper than the limit */
    uint8_t deep[200];
    for (int i = 0; i < 100; i++)
        deep[i] = 0x1c; /* field 1, STRUCT */
    memset(deep + 100, 0, 100);
    struct fl__tr r;
    fl__tr_init(&r, deep, sizeof deep);
    fl__tr_skip(&r, TC_STRUCT);
    ASSERT_EQ_INT(r.rc, FL_ECORRUPT);
    /* a list that claims more elements than bytes */
    uint8_t lie[] = {0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f, 1, 2};
    fl__tr_init(&r, lie, sizeof lie);
    int16_t last = 0, id;
    int ty = fl__tr_field(&r, &last, &id);
    fl__tr_skip(&r, ty);
    ASSERT_EQ_INT(r.rc, FL_ECORRUPT);
    /* a binary longer than the input */
    uint8_t bin[] = {0x18, 0x7f, 'a'};
    fl__tr_init(&r, bin, sizeof bin);
    last = 0;
    ty = fl__tr_field(&r, &last, &id);
    fl__tr_skip(&r, ty);
    ASSERT_EQ_INT(r.rc, FL_ECORRUPT);
    /* a varint that never ends */
    uint8_t vi[12];
    memset(vi, 0xff, sizeof vi);
    fl__tr_init(&r, vi, sizeof vi);
    fl__tr_uvarint(&r);
    ASSERT_EQ_INT(r.rc, FL_ECORRUPT);
    /* every truncation of a valid struct fails cleanly or parses a prefix */
    struct fl_buf b;
    fl_buf_init(&b, 0);
    struct fl__tw w;
    fl__tw_init(&w, &b);
    fl__tw_bin(&w, 1, "abcdef", 6);
    fl__tw_list_begin(&w, 2, TC_BINARY, 3);
    for (int i = 0; i < 3; i++)
        fl__tw_elem_bin(&w, "zz", 2);
    fl__tw_struct_end(&w);
    for (size_t n = 0; n < b.len; n++) {
        fl__tr_init(&r, b.p, n);
        fl__tr_skip(&r, TC_STRUCT);
        ASSERT_EQ_INT(r.rc, FL_ECORRUPT);
    }
    fl__tr_init(&r, b.p, b.len);
    fl__tr_skip(&r, TC_STRUCT);
    ASSERT_EQ_INT(r.rc, FL_OK);
    fl_buf_free(&b);
}

/* ---- RLE / bit-packing ------------------------------------------------------ */
static void rle_round(const uint32_t *v, size_t n, int bw)
{
    struct fl_buf b;
    fl_buf_init(&b, 0);
    ASSERT_EQ_INT(fl__rle_encode(&b, v, n, bw), FL_OK);
    uint32_t *out = malloc((n + 16) * sizeof *out);
    struct fl__rle_dec d;
    fl__rle_dec_init(&d, b.p, b.len, bw);
    /* decode in uneven steps */
    size_t got = 0;
    while (got < n) {
        uint32_t step = (uint32_t)(1 + rnd() % 13);
        if (step > n - got)
            step = (uint32_t)(n - got);
        int g = fl__rle_dec_get(&d, out + got, step);
        ASSERT_EQ_INT(g, step);
        got += step;
    }
    for (size_t i = 0; i < n; i++)
        if (out[i] != v[i])
            UNIT_FAIL("bw %d n %zu: value %zu: %u != %u", bw, n, i, out[i], v[i]);
    free(out);
    fl_buf_free(&b);
}

TEST(rle_all_widths)
{
    uint32_t v[300];
    for (int bw = 0; bw <= 32; bw++) {
        uint64_t mask = bw == 32 ? 0xffffffffULL : ((1ULL << bw) - 1);
        size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 299};
        for (size_t li = 0; li < FL_ARRAY_LEN(lens); li++) {
            size_t n = lens[li];
            for (int pat = 0; pat < 5; pat++) {
                for (size_t i = 0; i < n; i++) {
                    uint64_t x;
                    switch (pat) {
                    case 0: x = rnd(); break;                         /* random */
                    case 1: x = mask; break;                          /* one run of the max */
                    case 2: x = (i / 9) % 2 ? mask : 0; break;        /* runs of 9 */
                    case 3: x = i % 11 < 3 ? rnd() : 5; break;        /* literals + runs */
                    default: x = (i / 3) % 2 ? rnd() : mask / 2; break; /* short runs */
                    }
                    v[i] = (uint32_t)(x & mask);
                }
                rle_round(v, n, bw);
            }
        }
    }
}

TEST(rle_bits_and_runs)
{
    uint8_t v[5000];
    for (int pat = 0; pat < 6; pat++) {
        for (size_t i = 0; i < sizeof v; i++) {
            switch (pat) {
            case 0: v[i] = 1; break;
            case 1: v[i] = 0; break;
            case 2: v[i] = rnd() & 1; break;
            case 3: v[i] = (i / 100) & 1; break;
            case 4: v[i] = i % 17 == 0; break;
            default: v[i] = (i / 7) & 1; break;
            }
        }
        size_t lens[] = {1, 5, 8, 9, 100, 4999, 5000};
        for (size_t li = 0; li < FL_ARRAY_LEN(lens); li++) {
            size_t n = lens[li];
            struct fl_buf b;
            fl_buf_init(&b, 0);
            ASSERT_EQ_INT(fl__rle_encode_bits(&b, v, n), FL_OK);
            uint8_t out[5000];
            struct fl__rle_dec d;
            fl__rle_dec_init(&d, b.p, b.len, 1);
            ASSERT_EQ_INT(fl__rle_dec_get8(&d, out, (uint32_t)n), n);
            ASSERT(memcmp(out, v, n) == 0);
            if (pat <= 1 && n >= 8)
                ASSERT(b.len <= 4); /* one RLE run */
            fl_buf_free(&b);
        }
    }
}

TEST(rle_truncated_bitpacked_tolerated)
{
    /* a bit-packed run of 2 groups (16 values, bw 3) with only 4 bytes:
     * 10 values are present; the decoder returns them and stops */
    uint8_t buf[] = {(2 << 1) | 1, 0x88, 0xc6, 0xfa, 0x00};
    struct fl__rle_dec d;
    fl__rle_dec_init(&d, buf, sizeof buf, 3);
    uint32_t out[16];
    int g = fl__rle_dec_get(&d, out, 16);
    ASSERT_EQ_INT(g, 10);
    for (int i = 0; i < 8; i++)
        ASSERT_EQ_INT(out[i], i);
    /* an RLE run whose value bytes are missing is corrupt */
    uint8_t bad[] = {(5 << 1), 0x01};
    fl__rle_dec_init(&d, bad, sizeof bad, 12);
    ASSERT_EQ_INT(fl__rle_dec_get(&d, out, 5), FL_ECORRUPT);
}

/* ---- writer + reader --------------------------------------------------------- */
static char tmpl[64];
static const char *tmp_path(void)
{
    snprintf(tmpl, sizeof tmpl, "/tmp/fl_test_pq_XXXXXX");
    int fd = mkstemp(tmpl);
    ASSERT(fd >= 0);
    close(fd);
    return tmpl;
}

static void fill(struct fl_batch *b, uint32_t n, uint64_t base)
{
    char s[64];
    for (uint32_t i = 0; i < n; i++) {
        int r = fl_batch_add_row(b);
        uint64_t k = base + i;
        fl_set_i64(b, FL_COL_START, (uint32_t)r, (int64_t)(1000 + k));
        if (k % 3)
            fl_set_i64(b, FL_COL_SRCPORT, (uint32_t)r, (int64_t)(k % 70000) - 100);
        snprintf(s, sizeof s, "v%llu", (unsigned long long)(k * 7919 % 5000));
        fl_set_str(b, FL_COL_SRCADDR, (uint32_t)r, s, strlen(s));
        if (k % 10 == 0)
            fl_set_str(b, FL_COL_ACTION, (uint32_t)r, "-", 1);
        else
            fl_set_str(b, FL_COL_ACTION, (uint32_t)r, k % 2 ? "ACCEPT" : "REJECT", 6);
        fl_set_i64(b, FL_COL_BYTES, (uint32_t)r, (int64_t)(k * 0x9E3779B97F4A7C15ULL));
    }
}

static void check_row(const struct fl_batch *b, uint32_t r, uint64_t k)
{
    char s[64];
    ASSERT_EQ_INT(b->col[FL_COL_START].i[r], (int64_t)(1000 + k));
    ASSERT_EQ_INT(fl_is_null(b, FL_COL_SRCPORT, r), k % 3 == 0);
    if (k % 3)
        ASSERT_EQ_INT(b->col[FL_COL_SRCPORT].i[r], (int32_t)((int64_t)(k % 70000) - 100));
    snprintf(s, sizeof s, "v%llu", (unsigned long long)(k * 7919 % 5000));
    struct fl_str v = fl_get_str(b, FL_COL_SRCADDR, r);
    ASSERT_EQ_MEM(v.p, v.n, s, strlen(s));
    ASSERT_EQ_INT(fl_is_null(b, FL_COL_ACTION, r), k % 10 == 0); /* "-" reads as NULL */
    ASSERT(b->col[FL_COL_BYTES].i[r] == (int64_t)(k * 0x9E3779B97F4A7C15ULL));
    ASSERT(fl_is_null(b, FL_COL_DSTADDR, r));
}

static void write_file(const char *path, uint64_t rows, const struct fl_pq_write_opts *o)
{
    struct fl_error e = {0};
    fl_pq_writer *w;
    ASSERT_EQ_INT(fl_pq_writer_open(&w, path, o, &e), FL_OK);
    struct fl_batch *b = fl_batch_new(1000);
    for (uint64_t k = 0; k < rows; k += 1000) {
        fl_batch_reset(b);
        fill(b, (uint32_t)FL_MIN(1000, rows - k), k);
        ASSERT_EQ_INT(fl_pq_writer_add(w, b, NULL, 0, &e), FL_OK);
    }
    ASSERT_EQ_INT(fl_pq_writer_rows(w), rows);
    ASSERT_EQ_INT(fl_pq_writer_close(w, &e), FL_OK);
    fl_batch_free(b);
}

static void read_all_check(const char *path, uint64_t rows, uint32_t step)
{
    struct fl_error e = {0};
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open(&r, path, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_num_rows(r), rows);
    int cols[] = {FL_COL_START, FL_COL_SRCPORT, FL_COL_SRCADDR, FL_COL_ACTION, FL_COL_BYTES,
                  FL_COL_DSTADDR};
    struct fl_batch *b = fl_batch_new(step);
    uint64_t k = 0;
    for (int g = 0; g < fl_pq_num_row_groups(r); g++) {
        for (uint64_t row = 0; row < fl_pq_rg_rows(r, g);) {
            fl_batch_reset(b);
            int got = fl_pq_read(r, g, row, step, cols, 6, b, &e);
            ASSERT(got > 0);
            for (int i = 0; i < got; i++)
                check_row(b, (uint32_t)i, k++);
            row += (uint64_t)got;
        }
    }
    ASSERT_EQ_INT(k, rows);
    fl_batch_free(b);
    fl_pq_close(r);
}

TEST(round_trip_codecs)
{
    enum fl_codec codecs[] = {FL_CODEC_ZSTD, FL_CODEC_SNAPPY, FL_CODEC_GZIP, FL_CODEC_NONE};
    for (size_t i = 0; i < FL_ARRAY_LEN(codecs); i++) {
        const char *p = tmp_path();
        struct fl_pq_write_opts o;
        fl_pq_write_opts_default(&o);
        o.codec = codecs[i];
        o.row_group_rows = 7000;
        o.page_rows = 999;
        write_file(p, 20000, &o);
        read_all_check(p, 20000, 777);
        unlink(p);
    }
}

TEST(dictionary_fallback)
{
    const char *p = tmp_path();
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.dict_max_bytes = 2000; /* srcaddr and bytes overflow it mid-chunk */
    o.page_rows = 500;
    write_file(p, 12000, &o);
    read_all_check(p, 12000, 4096);
    unlink(p);
}

TEST(dictionary_reset_between_row_groups)
{
    /* each row group has its own dictionary: small ints (direct map), big
     * ints (hash) and strings, in a different order per row group */
    const char *p = tmp_path();
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.row_group_rows = 1000;
    struct fl_error e = {0};
    fl_pq_writer *w;
    ASSERT_EQ_INT(fl_pq_writer_open(&w, p, &o, &e), FL_OK);
    struct fl_batch *b = fl_batch_new(3000);
    for (uint32_t i = 0; i < 3000; i++) {
        int r = fl_batch_add_row(b);
        uint32_t g = i / 1000;
        int64_t v = g == 1 ? 7 : (int64_t)((i + g) % 2) + 2;
        fl_set_i64(b, FL_COL_VERSION, (uint32_t)r, v);
        fl_set_i64(b, FL_COL_BYTES, (uint32_t)r, v * 1000000007LL);
        fl_set_str(b, FL_COL_ACTION, (uint32_t)r, v == 2 ? "two" : v == 3 ? "three" : "seven",
                   v == 2 ? 3 : 5);
    }
    ASSERT_EQ_INT(fl_pq_writer_add(w, b, NULL, 0, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_writer_close(w, &e), FL_OK);
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_num_row_groups(r), 3);
    int cols[] = {FL_COL_VERSION, FL_COL_BYTES, FL_COL_ACTION};
    struct fl_batch *o2 = fl_batch_new(1000);
    for (int g = 0; g < 3; g++) {
        fl_batch_reset(o2);
        ASSERT_EQ_INT(fl_pq_read(r, g, 0, 1000, cols, 3, o2, &e), 1000);
        for (uint32_t i = 0; i < 1000; i++) {
            int64_t v = b->col[FL_COL_VERSION].i[(uint32_t)g * 1000 + i];
            ASSERT_EQ_INT(o2->col[FL_COL_VERSION].i[i], v);
            ASSERT(o2->col[FL_COL_BYTES].i[i] == v * 1000000007LL);
            struct fl_str s = fl_get_str(o2, FL_COL_ACTION, i);
            struct fl_str x = fl_get_str(b, FL_COL_ACTION, (uint32_t)g * 1000 + i);
            ASSERT_EQ_MEM(s.p, s.n, x.p, x.n);
        }
        struct fl_pq_colstats st;
        ASSERT_EQ_INT(fl_pq_rg_stats(r, g, FL_COL_VERSION, &st), FL_OK);
        ASSERT_EQ_INT(st.min_i, g == 1 ? 7 : 2);
        ASSERT_EQ_INT(st.max_i, g == 1 ? 7 : 3);
    }
    fl_batch_free(o2);
    fl_batch_free(b);
    fl_pq_close(r);
    unlink(p);
}

TEST(dictionary_codes)
{
    const char *p = tmp_path();
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.row_group_rows = 7000;
    o.page_rows = 1000;
    write_file(p, 20000, &o);
    struct fl_error e = {0};
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
    int32_t codes[3000];
    const struct fl_str *dict;
    uint32_t nd;
    for (int g = 0; g < 3; g++) {
        uint64_t rows = fl_pq_rg_rows(r, g);
        for (uint64_t row = 0; row < rows; row += 3000) {
            int got = fl_pq_read_codes(r, g, row, 3000, FL_COL_ACTION, codes, &dict, &nd, &e);
            ASSERT_EQ_INT(got, FL_MIN(3000, rows - row));
            for (int i = 0; i < got; i++) {
                uint64_t k = (uint64_t)g * 7000 + row + (uint64_t)i;
                if (k % 10 == 0) {
                    ASSERT_EQ_INT(codes[i], -1); /* "-" */
                } else {
                    ASSERT(codes[i] >= 0 && (uint32_t)codes[i] < nd);
                    const char *want = k % 2 ? "ACCEPT" : "REJECT";
                    ASSERT_EQ_MEM(dict[codes[i]].p, dict[codes[i]].n, want, 6);
                }
            }
        }
    }
    /* integer columns are not for codes; a missing column is not found */
    ASSERT_EQ_INT(fl_pq_read_codes(r, 0, 0, 10, FL_COL_START, codes, &dict, &nd, &e),
                  FL_EUNSUPPORTED);
    ASSERT_EQ_INT(fl_pq_read_codes(r, 0, 0, 10, FL_COL_REGION, codes, &dict, &nd, &e),
                  FL_ENOTFOUND);
    fl_pq_close(r);
    unlink(p);
    /* PLAIN pages: EUNSUPPORTED, and fl_pq_read still works afterwards */
    p = tmp_path();
    o.dict_max_bytes = 1;
    write_file(p, 3000, &o);
    ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_read_codes(r, 0, 0, 100, FL_COL_SRCADDR, codes, &dict, &nd, &e),
                  FL_EUNSUPPORTED);
    struct fl_batch *b = fl_batch_new(100);
    int cols[] = {FL_COL_START, FL_COL_SRCPORT, FL_COL_SRCADDR, FL_COL_ACTION, FL_COL_BYTES};
    ASSERT_EQ_INT(fl_pq_read(r, 0, 0, 100, cols, 5, b, &e), 100);
    for (uint32_t i = 0; i < 100; i++)
        check_row(b, i, i);
    fl_batch_free(b);
    fl_pq_close(r);
    unlink(p);
}

TEST(random_access_reads)
{
    const char *p = tmp_path();
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.row_group_rows = 9000;
    o.page_rows = 1000;
    write_file(p, 20000, &o);
    struct fl_error e = {0};
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_num_row_groups(r), 3);
    struct fl_batch *b = fl_batch_new(300);
    int cols[] = {FL_COL_START, FL_COL_SRCPORT, FL_COL_SRCADDR, FL_COL_ACTION, FL_COL_BYTES};
    for (int it = 0; it < 200; it++) {
        int g = (int)(rnd() % 3);
        uint64_t n = fl_pq_rg_rows(r, g);
        uint64_t row0 = rnd() % n;
        fl_batch_reset(b);
        int got = fl_pq_read(r, g, row0, 300, cols, 5, b, &e);
        ASSERT_EQ_INT(got, FL_MIN(300, n - row0));
        for (int i = 0; i < got; i++)
            check_row(b, (uint32_t)i, (uint64_t)g * 9000 + row0 + (uint64_t)i);
    }
    /* past the end: 0 rows; a bad row group: error */
    fl_batch_reset(b);
    ASSERT_EQ_INT(fl_pq_read(r, 2, fl_pq_rg_rows(r, 2), 10, cols, 5, b, &e), 0);
    ASSERT(fl_pq_read(r, 3, 0, 10, cols, 5, b, &e) < 0);
    fl_batch_free(b);
    fl_pq_close(r);
    unlink(p);
}

TEST(row_selection)
{
    const char *p = tmp_path();
    struct fl_error e = {0};
    fl_pq_writer *w;
    ASSERT_EQ_INT(fl_pq_writer_open(&w, p, NULL, &e), FL_OK);
    struct fl_batch *b = fl_batch_new(1000);
    fill(b, 1000, 0);
    uint32_t sel[500];
    for (uint32_t i = 0; i < 500; i++)
        sel[i] = 999 - 2 * i; /* odd rows, reversed */
    ASSERT_EQ_INT(fl_pq_writer_add(w, b, sel, 500, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_writer_close(w, &e), FL_OK);
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
    struct fl_batch *o = fl_batch_new(1000);
    int cols[] = {FL_COL_START, FL_COL_SRCPORT, FL_COL_SRCADDR, FL_COL_ACTION, FL_COL_BYTES};
    ASSERT_EQ_INT(fl_pq_read(r, 0, 0, 1000, cols, 5, o, &e), 500);
    for (uint32_t i = 0; i < 500; i++)
        check_row(o, i, sel[i]);
    fl_batch_free(o);
    fl_batch_free(b);
    fl_pq_close(r);
    unlink(p);
}

/* fl_pq_writer_add_part: two column shares encoded by two threads at once
 * give byte for byte the file that fl_pq_writer_add writes (row-group
 * boundaries inside batches, selections, a dictionary that fills up, pages
 * smaller than a batch). */
static char *slurp(const char *p, size_t *n);

struct part_job {
    fl_pq_writer *w;
    const struct fl_batch *b;
    const uint32_t *sel;
    uint32_t n;
    int rc;
};

static void *part1_main(void *arg)
{
    struct part_job *j = arg;
    struct fl_error e = {0};
    j->rc = fl_pq_writer_add_part(j->w, j->b, j->sel, j->n, 1, 2, &e);
    return NULL;
}

static void write_split(const char *pa, const char *pb, const struct fl_pq_write_opts *o)
{
    struct fl_error e = {0};
    fl_pq_writer *wa, *wb;
    ASSERT_EQ_INT(fl_pq_writer_open(&wa, pa, o, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_writer_open(&wb, pb, o, &e), FL_OK);
    struct fl_batch *b = fl_batch_new(1000);
    uint32_t sel[1000];
    int split = 0;
    for (uint64_t k = 0; k < 30000; k += 1000) {
        fl_batch_reset(b);
        fill(b, 1000, k);
        const uint32_t *rows = NULL;
        uint32_t n = 1000;
        if ((k / 1000) % 3 == 1) { /* a selection: every third row */
            n = 0;
            for (uint32_t i = 0; i < 1000; i += 3)
                sel[n++] = i;
            rows = sel;
        }
        ASSERT_EQ_INT(fl_pq_writer_add(wa, b, rows, n, &e), FL_OK);
        if (n > fl_pq_writer_room(wb)) {
            ASSERT_EQ_INT(fl_pq_writer_add_part(wb, b, rows, n, 0, 2, &e), FL_EINVAL);
            ASSERT_EQ_INT(fl_pq_writer_add(wb, b, rows, n, &e), FL_OK);
            continue;
        }
        struct part_job j = {wb, b, rows, n, -1};
        pthread_t th;
        ASSERT_EQ_INT(pthread_create(&th, NULL, part1_main, &j), 0);
        int rc0 = fl_pq_writer_add_part(wb, b, rows, n, 0, 2, &e);
        pthread_join(th, NULL);
        ASSERT_EQ_INT(rc0, FL_OK);
        ASSERT_EQ_INT(j.rc, FL_OK);
        ASSERT_EQ_INT(fl_pq_writer_add_done(wb, n, FL_OK, &e), FL_OK);
        split++;
    }
    ASSERT(split > 20);
    ASSERT_EQ_INT(fl_pq_writer_rows(wa), fl_pq_writer_rows(wb));
    ASSERT_EQ_INT(fl_pq_writer_close(wa, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_writer_close(wb, &e), FL_OK);
    fl_batch_free(b);
}

TEST(parallel_parts_same_file)
{
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.row_group_rows = 7000;
    o.page_rows = 999;
    for (int v = 0; v < 2; v++) {
        if (v == 1)
            o.dict_max_bytes = 3000; /* srcaddr's dictionary fills up */
        char pa[64];
        snprintf(pa, sizeof pa, "%s", tmp_path());
        const char *pb = tmp_path();
        write_split(pa, pb, &o);
        size_t na, nb;
        char *a = slurp(pa, &na), *b = slurp(pb, &nb);
        ASSERT(a && b);
        ASSERT_EQ_MEM(a, na, b, nb);
        free(a);
        free(b);
        unlink(pa);
        unlink(pb);
    }
    /* a failed share fails the writer */
    const char *p = tmp_path();
    struct fl_error e = {0};
    fl_pq_writer *w;
    ASSERT_EQ_INT(fl_pq_writer_open(&w, p, NULL, &e), FL_OK);
    struct fl_batch *b = fl_batch_new(100);
    fill(b, 100, 0);
    ASSERT_EQ_INT(fl_pq_writer_add_part(w, b, NULL, 0, 0, 2, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_writer_add_part(w, b, NULL, 0, 2, 2, &e), FL_EINVAL);
    ASSERT(fl_pq_writer_add_done(w, 100, FL_ENOMEM, &e) == FL_ENOMEM);
    ASSERT(fl_pq_writer_add(w, b, NULL, 0, &e) < 0);
    fl_pq_writer_abort(w);
    fl_batch_free(b);
    unlink(p);
}

TEST(stats_all_null_and_types)
{
    const char *p = tmp_path();
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.row_group_rows = 5000;
    write_file(p, 12000, &o);
    struct fl_error e = {0};
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
    ASSERT_EQ_STR(fl_pq_kv(r, "flowsift.schema_version"), FL_SCHEMA_VERSION);
    ASSERT(fl_pq_kv(r, "nope") == NULL);
    ASSERT(fl_pq_has_col(r, FL_COL_VPC_ID));
    ASSERT(!fl_pq_has_col(r, FL_COL_REGION)); /* partition column: not in files */
    struct fl_pq_colstats st;
    for (int g = 0; g < 3; g++) {
        uint64_t n = fl_pq_rg_rows(r, g);
        ASSERT_EQ_INT(fl_pq_rg_stats(r, g, FL_COL_DSTADDR, &st), FL_OK);
        ASSERT(st.has_null_count && !st.has_minmax);
        ASSERT_EQ_INT(st.null_count, n);
        ASSERT_EQ_INT(fl_pq_rg_stats(r, g, FL_COL_START, &st), FL_OK);
        ASSERT(st.has_minmax);
        ASSERT_EQ_INT(st.min_i, 1000 + g * 5000);
        ASSERT_EQ_INT(st.max_i, 1000 + g * 5000 + (int64_t)n - 1);
        ASSERT_EQ_INT(st.null_count, 0);
        ASSERT_EQ_INT(fl_pq_rg_stats(r, g, FL_COL_SRCPORT, &st), FL_OK);
        ASSERT_EQ_INT(st.min_i, g == 0 ? -99 : g * 5000 - 100); /* signed order for INT32 */
        ASSERT_EQ_INT(fl_pq_rg_stats(r, g, FL_COL_ACTION, &st), FL_OK);
        ASSERT(st.has_minmax);
        ASSERT_EQ_MEM(st.min_s.p, st.min_s.n, "-", 1);
        ASSERT_EQ_MEM(st.max_s.p, st.max_s.n, "REJECT", 6);
    }
    ASSERT_EQ_INT(fl_pq_rg_stats(r, 0, FL_COL_REGION, &st), FL_ENOTFOUND);
    /* the unknown-column API sees every leaf */
    ASSERT(fl_pq_n_columns(r) > 50);
    ASSERT_EQ_STR(fl_pq_column_name(r, 0), "version");
    ASSERT_EQ_INT(fl_pq_column_field(r, 0), FL_COL_VERSION);
    fl_pq_close(r);
    unlink(p);
}

TEST(invalid_utf8_replaced)
{
    const char *in[] = {"\xff\xfe" "abc", "ok\xc3", "caf\xc3\xa9", "\xed\xa0\x80", "\xf0\x9f\x98\x80!",
                        ""};
    const char *want[] = {"\xEF\xBF\xBD\xEF\xBF\xBD" "abc", "ok\xEF\xBF\xBD", "caf\xc3\xa9",
                          "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", "\xf0\x9f\x98\x80!", ""};
    for (int mode = 0; mode < 2; mode++) {
        const char *p = tmp_path();
        struct fl_pq_write_opts o;
        fl_pq_write_opts_default(&o);
        if (mode)
            o.dict_max_bytes = 1; /* PLAIN pages */
        struct fl_error e = {0};
        fl_pq_writer *w;
        ASSERT_EQ_INT(fl_pq_writer_open(&w, p, &o, &e), FL_OK);
        struct fl_batch *b = fl_batch_new(16);
        for (int i = 0; i < 6; i++) {
            int r = fl_batch_add_row(b);
            fl_set_str(b, FL_COL_EXTRA, (uint32_t)r, in[i], strlen(in[i]));
        }
        ASSERT_EQ_INT(fl_pq_writer_add(w, b, NULL, 0, &e), FL_OK);
        ASSERT_EQ_INT(fl_pq_writer_close(w, &e), FL_OK);
        fl_pq_reader *r;
        ASSERT_EQ_INT(fl_pq_open(&r, p, &e), FL_OK);
        fl_batch_reset(b);
        int col = FL_COL_EXTRA;
        ASSERT_EQ_INT(fl_pq_read(r, 0, 0, 16, &col, 1, b, &e), 6);
        for (int i = 0; i < 6; i++) {
            struct fl_str s = fl_get_str(b, col, (uint32_t)i);
            ASSERT(!fl_is_null(b, col, (uint32_t)i));
            ASSERT_EQ_MEM(s.p, s.n, want[i], strlen(want[i]));
            ASSERT(fl__utf8_valid(s.p, s.n));
        }
        fl_batch_free(b);
        fl_pq_close(r);
        unlink(p);
    }
}

static char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    ASSERT(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz);
    ASSERT(fread(buf, 1, (size_t)sz, f) == (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return buf;
}

/* Read every column of every row group; returns the first error or 0. */
static int read_everything(const void *p, size_t n)
{
    struct fl_error e = {0};
    fl_pq_reader *r;
    int rc = fl_pq_open_mem(&r, p, n, &e);
    if (rc < 0) {
        ASSERT(e.msg[0]);
        return rc;
    }
    int cols[FL_NCOLS];
    for (int c = 0; c < FL_NCOLS; c++)
        cols[c] = c;
    struct fl_batch *b = fl_batch_new(512);
    for (int g = 0; g < fl_pq_num_row_groups(r) && rc >= 0; g++) {
        for (uint64_t row = 0; row < fl_pq_rg_rows(r, g);) {
            fl_batch_reset(b);
            rc = fl_pq_read(r, g, row, 512, cols, FL_NCOLS, b, &e);
            if (rc <= 0)
                break;
            row += (uint64_t)rc;
        }
    }
    if (rc < 0)
        ASSERT(e.msg[0]);
    fl_batch_free(b);
    fl_pq_close(r);
    return rc < 0 ? rc : 0;
}

TEST(corrupt_files)
{
    const char *p = tmp_path();
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    o.row_group_rows = 1500;
    o.page_rows = 300;
    write_file(p, 3000, &o);
    size_t n;
    char *buf = slurp(p, &n);
    ASSERT_EQ_INT(read_everything(buf, n), 0);
    /* truncations: never a crash, always an error */
    for (size_t cut = 0; cut < n; cut += 1 + cut / 8)
        ASSERT(read_everything(buf, cut) < 0);
    /* a footer length pointing outside the file */
    char *m = malloc(n);
    memcpy(m, buf, n);
    fl__wr32((uint8_t *)m + n - 8, (uint32_t)n);
    ASSERT_EQ_INT(read_everything(m, n), FL_ECORRUPT);
    /* random byte flips in the data and in the footer: errors or data */
    for (int it = 0; it < 300; it++) {
        memcpy(m, buf, n);
        for (int k = 0; k < 4; k++)
            m[rnd() % n] ^= (char)(1 + rnd() % 255);
        int rc = read_everything(m, n);
        ASSERT(rc == 0 || rc == FL_ECORRUPT || rc == FL_EUNSUPPORTED || rc == FL_ELIMIT);
    }
    free(m);
    free(buf);
    /* not Parquet at all */
    ASSERT_EQ_INT(read_everything("PAR1 hello world PAR1", 21), FL_ECORRUPT);
    struct fl_error e = {0};
    fl_pq_reader *r;
    ASSERT(fl_pq_open(&r, "/nonexistent/x.parquet", &e) == FL_EIO);
    ASSERT(r == NULL);
    unlink(p);
}

/* A hand-made file: a REQUIRED INT64 column in a v1 page and an OPTIONAL
 * string column in an uncompressed DATA_PAGE_V2, plus unknown thrift fields
 * at several levels (a newer writer). */
static void put_page_v1(struct fl_buf *f, const void *body, size_t n, int nvals)
{
    struct fl_buf h;
    fl_buf_init(&h, 0);
    struct fl__tw t;
    fl__tw_init(&t, &h);
    fl__tw_i32(&t, 1, PQ_DATA_PAGE);
    fl__tw_i32(&t, 2, (int32_t)n);
    fl__tw_i32(&t, 3, (int32_t)n);
    fl__tw_struct_begin(&t, 5);
    fl__tw_i32(&t, 1, nvals);
    fl__tw_i32(&t, 2, PQ_ENC_PLAIN);
    fl__tw_i32(&t, 3, PQ_ENC_RLE);
    fl__tw_i32(&t, 4, PQ_ENC_RLE);
    fl__tw_struct_end(&t);
    fl__tw_bin(&t, 77, "future", 6);
    fl__tw_struct_end(&t);
    fl_buf_add(f, h.p, h.len);
    fl_buf_add(f, body, n);
    fl_buf_free(&h);
}

static void put_chunk_meta(struct fl__tw *t, int type, const char *name, int64_t off, int64_t sz)
{
    fl__tw_elem_struct_begin(t);
    fl__tw_i64(t, 2, 0);
    fl__tw_struct_begin(t, 3);
    fl__tw_i32(t, 1, type);
    fl__tw_list_begin(t, 2, TC_I32, 1);
    fl__tw_elem_i32(t, PQ_ENC_PLAIN);
    fl__tw_list_begin(t, 3, TC_BINARY, 1);
    fl__tw_elem_bin(t, name, strlen(name));
    fl__tw_i32(t, 4, 0);
    fl__tw_i64(t, 5, 3);
    fl__tw_i64(t, 6, sz);
    fl__tw_i64(t, 7, sz);
    fl__tw_i64(t, 9, off);
    fl__tw_struct_end(t);
    fl__tw_struct_end(t);
}

TEST(required_and_v2_pages)
{
    struct fl_buf f;
    fl_buf_init(&f, 0);
    fl_buf_add(&f, "PAR1", 4);
    /* chunk 0: bytes INT64 REQUIRED, v1 page, no definition levels */
    int64_t off0 = (int64_t)f.len;
    uint8_t v[24];
    fl__wr64(v, 5);
    fl__wr64(v + 8, (uint64_t)-7);
    fl__wr64(v + 16, 1ULL << 40);
    put_page_v1(&f, v, 24, 3);
    int64_t sz0 = (int64_t)f.len - off0;
    /* chunk 1: srcaddr OPTIONAL, DATA_PAGE_V2: levels [1,0,1] then values */
    int64_t off1 = (int64_t)f.len;
    uint8_t body[] = {3, 5, 1, 0, 0, 0, 'a', 2, 0, 0, 0, 'b', 'b'};
    struct fl_buf h;
    fl_buf_init(&h, 0);
    struct fl__tw t;
    fl__tw_init(&t, &h);
    fl__tw_i32(&t, 1, PQ_DATA_PAGE_V2);
    fl__tw_i32(&t, 2, (int32_t)sizeof body);
    fl__tw_i32(&t, 3, (int32_t)sizeof body);
    fl__tw_struct_begin(&t, 8);
    fl__tw_i32(&t, 1, 3);
    fl__tw_i32(&t, 2, 1);
    fl__tw_i32(&t, 3, 3);
    fl__tw_i32(&t, 4, PQ_ENC_PLAIN);
    fl__tw_i32(&t, 5, 2);
    fl__tw_i32(&t, 6, 0);
    fl__tw_bool(&t, 7, false);
    fl__tw_struct_end(&t);
    fl__tw_struct_end(&t);
    fl_buf_add(&f, h.p, h.len);
    fl_buf_add(&f, body, sizeof body);
    int64_t sz1 = (int64_t)f.len - off1;
    /* footer */
    h.len = 0;
    fl__tw_init(&t, &h);
    fl__tw_i32(&t, 1, 2);
    fl__tw_list_begin(&t, 2, TC_STRUCT, 3);
    fl__tw_elem_struct_begin(&t);
    fl__tw_bin(&t, 4, "root", 4);
    fl__tw_i32(&t, 5, 2);
    fl__tw_struct_end(&t);
    fl__tw_elem_struct_begin(&t);
    fl__tw_i32(&t, 1, PQ_INT64);
    fl__tw_i32(&t, 3, PQ_REQUIRED);
    fl__tw_bin(&t, 4, "bytes", 5);
    fl__tw_struct_end(&t);
    fl__tw_elem_struct_begin(&t);
    fl__tw_i32(&t, 1, PQ_BYTE_ARRAY);
    fl__tw_i32(&t, 3, PQ_OPTIONAL);
    fl__tw_bin(&t, 4, "SRCADDR", 7); /* case-insensitive match */
    fl__tw_i32(&t, 6, PQ_CONVERTED_UTF8);
    fl__tw_struct_begin(&t, 40); /* unknown struct field */
    fl__tw_i64(&t, 1, 1);
    fl__tw_struct_end(&t);
    fl__tw_struct_end(&t);
    fl__tw_i64(&t, 3, 3);
    fl__tw_list_begin(&t, 4, TC_STRUCT, 1);
    fl__tw_elem_struct_begin(&t);
    fl__tw_list_begin(&t, 1, TC_STRUCT, 2);
    put_chunk_meta(&t, PQ_INT64, "bytes", off0, sz0);
    put_chunk_meta(&t, PQ_BYTE_ARRAY, "SRCADDR", off1, sz1);
    fl__tw_i64(&t, 2, sz0 + sz1);
    fl__tw_i64(&t, 3, 3);
    fl__tw_list_begin(&t, 9, TC_I32, 2); /* unknown list */
    fl__tw_elem_i32(&t, 1);
    fl__tw_elem_i32(&t, 2);
    fl__tw_struct_end(&t);
    fl__tw_i32(&t, 99, 12345); /* unknown top-level field */
    fl__tw_struct_end(&t);
    ASSERT_EQ_INT(t.rc, FL_OK);
    fl_buf_add(&f, h.p, h.len);
    uint8_t tail[8];
    fl__wr32(tail, (uint32_t)h.len);
    memcpy(tail + 4, "PAR1", 4);
    fl_buf_add(&f, tail, 8);

    struct fl_error e = {0};
    fl_pq_reader *r;
    ASSERT_EQ_INT(fl_pq_open_mem(&r, f.p, f.len, &e), FL_OK);
    ASSERT_EQ_INT(fl_pq_num_rows(r), 3);
    struct fl_batch *b = fl_batch_new(8);
    int cols[] = {FL_COL_BYTES, FL_COL_SRCADDR, FL_COL_DSTADDR};
    ASSERT_EQ_INT(fl_pq_read(r, 0, 0, 8, cols, 3, b, &e), 3);
    ASSERT_EQ_INT(b->col[FL_COL_BYTES].i[0], 5);
    ASSERT_EQ_INT(b->col[FL_COL_BYTES].i[1], -7);
    ASSERT(b->col[FL_COL_BYTES].i[2] == (int64_t)1 << 40);
    struct fl_str s0 = fl_get_str(b, FL_COL_SRCADDR, 0);
    ASSERT_EQ_MEM(s0.p, s0.n, "a", 1);
    ASSERT(fl_is_null(b, FL_COL_SRCADDR, 1));
    struct fl_str s2 = fl_get_str(b, FL_COL_SRCADDR, 2);
    ASSERT_EQ_MEM(s2.p, s2.n, "bb", 2);
    ASSERT(fl_is_null(b, FL_COL_DSTADDR, 0));
    /* from the middle */
    fl_batch_reset(b);
    ASSERT_EQ_INT(fl_pq_read(r, 0, 2, 8, cols, 2, b, &e), 1);
    ASSERT(b->col[FL_COL_BYTES].i[0] == (int64_t)1 << 40);
    fl_batch_free(b);
    fl_pq_close(r);
    fl_buf_free(&h);
    fl_buf_free(&f);
}

UNIT_MAIN()
