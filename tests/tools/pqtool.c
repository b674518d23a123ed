/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pqtool.c - a small test tool around the Parquet writer and reader
 * (fl_store.h), used by the store tests with DuckDB as the oracle:
 *
 *   pqtool gen OUT.parquet [--rows N] [--seed S] [--codec C] [--rg-rows N]
 *              [--page-rows N] [--dict-max BYTES] [--ndjson FILE] [--batch N]
 *       writes N generated flow rows (deterministic for a seed) and, with
 *       --ndjson, the same rows as NDJSON (the expected values)
 *   pqtool dump FILE [--columns a,b,..] [--batch N] [--from-row R]
 *       prints every row of the file as NDJSON (NULL columns omitted)
 *   pqtool stats FILE COLUMN
 *       prints per row group: rg, rows, min, max, null_count
 *   pqtool meta FILE
 *       prints num_rows, num_row_groups, schema_version and the columns
 *   pqtool spec
 *       prints the file schema as a DuckDB columns={...} struct
 *   pqtool bench FILE [--columns ...]
 *       reads the file in batches and prints rows/s (no output of rows)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl/fl.h"
#include "fl/fl_store.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int atoi_safe(const char *s) { return (int)strtol(s, NULL, 10); }

static int die(const char *what, const struct fl_error *e)
{
    fprintf(stderr, "pqtool: %s: %s\n", what, e && e->msg[0] ? e->msg : "failed");
    return 1;
}

static const char *arg_val(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static void set_s(struct fl_batch *b, int col, uint32_t r, const char *s)
{
    if (fl_set_str(b, col, r, s, strlen(s)) < 0) {
        fprintf(stderr, "pqtool: arena full\n");
        exit(1);
    }
}

/* One generated flow row; roughly like VPC flow logs, with NULLs, edge
 * values and a few v3+ columns. */
static void gen_row(struct fl_batch *b, uint32_t r, uint64_t i, uint64_t rows)
{
    static const char *accts[] = {"123456789012", "000111222333", "999888777666",
                                  "555555555555", "012345678901"};
    static const char *acts[] = {"ACCEPT", "REJECT"};
    char tmp[128];
    uint64_t x = rnd();
    bool nodata = (x % 97) == 0;
    fl_set_i64(b, FL_COL_VERSION, r, (x >> 8) % 50 == 0 ? 5 : 2);
    set_s(b, FL_COL_ACCOUNT_ID, r, accts[(x >> 12) % 5]);
    snprintf(tmp, sizeof tmp, "eni-%08" PRIx64, (rnd() % 300) * 7919);
    set_s(b, FL_COL_INTERFACE_ID, r, tmp);
    fl_set_i64(b, FL_COL_START, r, 1700000000 + (int64_t)(i * 86400 / (rows ? rows : 1)));
    fl_set_i64(b, FL_COL_END, r, 1700000060 + (int64_t)(i * 86400 / (rows ? rows : 1)));
    set_s(b, FL_COL_LOG_STATUS, r, nodata ? "NODATA" : "OK");
    if (!nodata) {
        uint64_t y = rnd();
        snprintf(tmp, sizeof tmp, "10.%u.%u.%u", (unsigned)(y % 4), (unsigned)((y >> 8) % 256),
                 (unsigned)((y >> 16) % 256));
        set_s(b, FL_COL_SRCADDR, r, tmp);
        y = rnd();
        if (y % 3 == 0)
            snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", (unsigned)(y % 223 + 1),
                     (unsigned)((y >> 8) % 256), (unsigned)((y >> 16) % 256),
                     (unsigned)((y >> 24) % 256));
        else if (y % 11 == 1)
            snprintf(tmp, sizeof tmp, "2001:db8::%x", (unsigned)((y >> 8) % 65536));
        else
            snprintf(tmp, sizeof tmp, "10.%u.%u.%u", (unsigned)(y % 4),
                     (unsigned)((y >> 8) % 256), (unsigned)((y >> 16) % 20));
        set_s(b, FL_COL_DSTADDR, r, tmp);
        static const int ports[] = {443, 80, 22, 3389, 53, 8080, 5432};
        fl_set_i64(b, FL_COL_SRCPORT, r, (int64_t)(rnd() % 65536));
        fl_set_i64(b, FL_COL_DSTPORT, r, rnd() % 4 ? ports[rnd() % 7] : (int64_t)(rnd() % 65536));
        uint64_t p = rnd() % 10;
        fl_set_i64(b, FL_COL_PROTOCOL, r, p < 7 ? 6 : p < 9 ? 17 : 1);
        uint64_t pk = rnd() % 1000 + 1;
        fl_set_i64(b, FL_COL_PACKETS, r, (int64_t)pk);
        fl_set_i64(b, FL_COL_BYTES, r, (int64_t)(pk * (40 + rnd() % 1460)));
        set_s(b, FL_COL_ACTION, r, acts[rnd() % 8 == 0]);
    }
    if (i % 5 == 0) {
        snprintf(tmp, sizeof tmp, "vpc-%04u", (unsigned)(rnd() % 20));
        set_s(b, FL_COL_VPC_ID, r, tmp);
        fl_set_i64(b, FL_COL_TCP_FLAGS, r, (int64_t)(rnd() % 64));
    }
    if (i % 1000 == 7) {
        /* edge values */
        fl_set_i64(b, FL_COL_PACKETS_LOST_TTL_EXPIRED, r, i % 2000 == 7 ? INT64_MIN : INT64_MAX);
        fl_set_i64(b, FL_COL_TRAFFIC_PATH, r, i % 2000 == 7 ? INT32_MIN : INT32_MAX);
        set_s(b, FL_COL_REJECT_REASON, r, "");
        set_s(b, FL_COL_EXTRA, r, "{\"k\":\"v \\\"quoted\\\" \xc3\xa9\"}");
    }
    set_s(b, FL_COL_SOURCE_FORMAT, r, "aws-vpc");
    set_s(b, FL_COL_SOURCE_OBJECT, r, "s3://bucket/AWSLogs/123456789012/vpcflowlogs/x.log.gz");
    fl_set_i64(b, FL_COL_SOURCE_OFFSET, r, (int64_t)(i * 97));
}

static int cmd_gen(int argc, char **argv)
{
    if (argc < 3)
        return die("usage: pqtool gen OUT [opts]", NULL);
    const char *out = argv[2];
    uint64_t rows = strtoull(arg_val(argc, argv, "--rows", "10000"), NULL, 10);
    rng_state = strtoull(arg_val(argc, argv, "--seed", "1"), NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    enum fl_codec codec;
    if (fl_codec_parse(arg_val(argc, argv, "--codec", "zstd"), &codec) < 0)
        return die("bad --codec", NULL);
    o.codec = codec;
    o.row_group_rows = strtoull(arg_val(argc, argv, "--rg-rows", "0"), NULL, 10);
    o.page_rows = (uint32_t)strtoul(arg_val(argc, argv, "--page-rows", "0"), NULL, 10);
    o.dict_max_bytes = strtoull(arg_val(argc, argv, "--dict-max", "0"), NULL, 10);
    o.zstd_level = atoi_safe(arg_val(argc, argv, "--zstd-level", "0"));
    uint32_t bsz = (uint32_t)strtoul(arg_val(argc, argv, "--batch", "8192"), NULL, 10);
    const char *nd = arg_val(argc, argv, "--ndjson", NULL);
    FILE *ndf = NULL;
    struct fl_record_writer *rw = NULL;
    if (nd) {
        ndf = fopen(nd, "w");
        if (!ndf)
            return die("cannot create the NDJSON file", NULL);
        rw = fl_record_writer_new(ndf, FL_OUT_NDJSON, NULL, 0, false);
    }
    struct fl_error e = {0};
    fl_pq_writer *w;
    if (fl_pq_writer_open(&w, out, &o, &e) < 0)
        return die("open", &e);
    struct fl_batch *b = fl_batch_new(bsz);
    uint64_t i = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    double gen_s = 0;
    while (i < rows) {
        struct timespec g0, g1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &g0);
        fl_batch_reset(b);
        while (!fl_batch_full(b) && i < rows) {
            int r = fl_batch_add_row(b);
            gen_row(b, (uint32_t)r, i++, rows);
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &g1);
        gen_s += (double)(g1.tv_sec - g0.tv_sec) + (double)(g1.tv_nsec - g0.tv_nsec) / 1e9;
        if (rw)
            fl_record_writer_batch(rw, b);
        if (fl_pq_writer_add(w, b, NULL, 0, &e) < 0) {
            fl_pq_writer_abort(w);
            return die("add", &e);
        }
    }
    if (fl_pq_writer_close(w, &e) < 0)
        return die("close", &e);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (argc > 3 && arg_val(argc, argv, "--time", NULL))
        fprintf(stderr, "wrote %" PRIu64 " rows: %.3f s CPU (generation %.3f s): writer %.2f M rows/s per core\n",
                rows, s, gen_s, (double)rows / (s - gen_s) / 1e6);
    if (rw) {
        fl_record_writer_finish(rw);
        fl_record_writer_free(rw);
        fclose(ndf);
    }
    fl_batch_free(b);
    return 0;
}

static int parse_cols(const char *spec, int *cols)
{
    int n = 0;
    if (!spec) {
        for (int c = 0; c < FL_NCOLS; c++)
            cols[n++] = c;
        return n;
    }
    const char *p = spec;
    while (*p) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        int c = fl_field_lookup(p, len);
        if (c < 0) {
            fprintf(stderr, "pqtool: unknown column %.*s\n", (int)len, p);
            exit(2);
        }
        cols[n++] = c;
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

static int cmd_dump(int argc, char **argv, bool bench)
{
    if (argc < 3)
        return die("usage: pqtool dump FILE", NULL);
    int cols[FL_NCOLS];
    int n_cols = parse_cols(arg_val(argc, argv, "--columns", NULL), cols);
    uint32_t bsz = (uint32_t)strtoul(arg_val(argc, argv, "--batch", "8192"), NULL, 10);
    uint64_t from = strtoull(arg_val(argc, argv, "--from-row", "0"), NULL, 10);
    struct fl_error e = {0};
    fl_pq_reader *r;
    if (fl_pq_open(&r, argv[2], &e) < 0)
        return die("open", &e);
    struct fl_batch *b = fl_batch_new(bsz);
    struct fl_record_writer *rw =
        bench ? NULL : fl_record_writer_new(stdout, FL_OUT_NDJSON, cols, n_cols, false);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t total = 0, seen = 0;
    for (int g = 0; g < fl_pq_num_row_groups(r); g++) {
        uint64_t rr = fl_pq_rg_rows(r, g);
        uint64_t row = 0;
        if (from > seen)
            row = from - seen < rr ? from - seen : rr;
        seen += rr;
        while (row < rr) {
            fl_batch_reset(b);
            int got = fl_pq_read(r, g, row, bsz, cols, n_cols, b, &e);
            if (got < 0)
                return die("read", &e);
            if (got == 0)
                break;
            if (rw)
                fl_record_writer_batch(rw, b);
            row += (uint64_t)got;
            total += (uint64_t)got;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rw) {
        fl_record_writer_finish(rw);
        fl_record_writer_free(rw);
    }
    if (bench) {
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("read %" PRIu64 " rows x %d columns in %.3f s: %.2f M rows/s\n", total, n_cols,
               s, (double)total / s / 1e6);
    }
    fl_batch_free(b);
    fl_pq_close(r);
    return 0;
}

static int cmd_stats(int argc, char **argv)
{
    if (argc < 4)
        return die("usage: pqtool stats FILE COLUMN", NULL);
    struct fl_error e = {0};
    fl_pq_reader *r;
    if (fl_pq_open(&r, argv[2], &e) < 0)
        return die("open", &e);
    int col = fl_field_lookup(argv[3], strlen(argv[3]));
    if (col < 0)
        return die("unknown column", NULL);
    for (int g = 0; g < fl_pq_num_row_groups(r); g++) {
        struct fl_pq_colstats st;
        int rc = fl_pq_rg_stats(r, g, col, &st);
        printf("%d,%" PRIu64 ",", g, fl_pq_rg_rows(r, g));
        if (rc < 0) {
            printf("none\n");
            continue;
        }
        if (!st.has_minmax)
            printf(",,");
        else if (fl_fields[col].type == FL_STR)
            printf("%.*s,%.*s,", (int)st.min_s.n, st.min_s.p, (int)st.max_s.n, st.max_s.p);
        else
            printf("%" PRId64 ",%" PRId64 ",", st.min_i, st.max_i);
        if (st.has_null_count)
            printf("%" PRIu64, st.null_count);
        printf("\n");
    }
    fl_pq_close(r);
    return 0;
}

static int cmd_meta(int argc, char **argv)
{
    if (argc < 3)
        return die("usage: pqtool meta FILE", NULL);
    struct fl_error e = {0};
    fl_pq_reader *r;
    if (fl_pq_open(&r, argv[2], &e) < 0)
        return die("open", &e);
    const char *v = fl_pq_kv(r, "flowsift.schema_version");
    printf("num_rows=%" PRIu64 "\nnum_row_groups=%d\nschema_version=%s\n", fl_pq_num_rows(r),
           fl_pq_num_row_groups(r), v ? v : "");
    for (int i = 0; i < fl_pq_n_columns(r); i++)
        printf("column=%s field=%d\n", fl_pq_column_name(r, i), fl_pq_column_field(r, i));
    fl_pq_close(r);
    return 0;
}

/* The file schema as a DuckDB columns={...} struct (for read_json). */
static int cmd_spec(void)
{
    printf("{");
    bool first = true;
    for (int c = 0; c < FL_NCOLS; c++) {
        if (fl_fields[c].flags & FL_PART)
            continue;
        const char *t = fl_fields[c].type == FL_STR ? "VARCHAR"
                        : fl_fields[c].type == FL_I32 ? "INTEGER" : "BIGINT";
        printf("%s'%s':'%s'", first ? "" : ",", fl_fields[c].name, t);
        first = false;
    }
    printf("}\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pqtool gen|dump|stats|meta|bench ...\n");
        return 2;
    }
    if (strcmp(argv[1], "gen") == 0)
        return cmd_gen(argc, argv);
    if (strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc, argv, false);
    if (strcmp(argv[1], "bench") == 0)
        return cmd_dump(argc, argv, true);
    if (strcmp(argv[1], "stats") == 0)
        return cmd_stats(argc, argv);
    if (strcmp(argv[1], "spec") == 0)
        return cmd_spec();
    if (strcmp(argv[1], "meta") == 0)
        return cmd_meta(argc, argv);
    fprintf(stderr, "pqtool: unknown command %s\n", argv[1]);
    return 2;
}
