/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_generate.c - unit tests of the generate module: the hand-written
 * number/address/time formatters against the common layer's independent
 * ones, the Zipf sampler, option validation, exact record counts and
 * totals, byte-identical determinism through the public API, and OOM
 * injection (every allocation failing in turn gives FL_ENOMEM, no crash,
 * no leak under ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "generate/gen_int.h"
#include "unit.h"

TEST(format_names)
{
    enum fl_gen_format f;
    enum fl_gen_layout l;
    ASSERT_EQ_INT(fl_gen_format_parse("aws-v2", &f), FL_OK);
    ASSERT_EQ_INT(f, FL_GEN_AWS_V2);
    ASSERT_EQ_INT(fl_gen_format_parse("azure-vnet", &f), FL_OK);
    ASSERT_EQ_INT(f, FL_GEN_AZURE_VNET);
    ASSERT_EQ_INT(fl_gen_format_parse("gcp", &f), FL_OK);
    ASSERT_EQ_INT(f, FL_GEN_GCP);
    ASSERT_EQ_INT(fl_gen_format_parse("aws-v9", &f), FL_EINVAL);
    ASSERT_EQ_INT(fl_gen_layout_parse("s3-hive", &l), FL_OK);
    ASSERT_EQ_INT(l, FL_GEN_S3_HIVE);
    ASSERT_EQ_INT(fl_gen_layout_parse("hdfs", &l), FL_EINVAL);
}

TEST(fmt_u64_matches_printf)
{
    struct gen_rng r;
    fl__gen_rng_seed(&r, 99);
    char a[32], b[32];
    uint64_t edge[] = {0, 9, 10, 99, 100, 101, 999, 1000, 65535, UINT64_MAX};
    for (size_t i = 0; i < FL_ARRAY_LEN(edge); i++) {
        a[fl__gen_fmt_u64(a, edge[i])] = 0;
        snprintf(b, sizeof b, "%llu", (unsigned long long)edge[i]);
        ASSERT_EQ_STR(a, b);
    }
    for (int i = 0; i < 20000; i++) {
        uint64_t v = gen_next(&r) >> gen_below(&r, 64);
        a[fl__gen_fmt_u64(a, v)] = 0;
        snprintf(b, sizeof b, "%llu", (unsigned long long)v);
        ASSERT_EQ_STR(a, b);
    }
}

/* Our address text must be what the common layer's canonical formatter
 * (RFC 5952) prints for the same bytes, so oracle tests that compare
 * strings agree with the parser's normalization. */
TEST(fmt_ip_canonical)
{
    struct gen_rng r;
    fl__gen_rng_seed(&r, 5);
    for (int i = 0; i < 20000; i++) {
        uint8_t a[16];
        int v6 = i % 2;
        for (int k = 0; k < 16; k++)
            a[k] = (uint8_t)gen_next(&r);
        if (v6 && i % 3 == 0)
            memset(a + 8, 0, 6); /* a zero run */
        if (v6 && i % 5 == 0)
            memset(a, 0, 4);
        char ours[64], theirs[64];
        ours[fl__gen_fmt_ip(ours, a, v6)] = 0;
        struct fl_ip ip;
        ASSERT_EQ_INT(fl_ip_parse(ours, strlen(ours), &ip), FL_OK);
        size_t n = fl_ip_format(&ip, theirs, sizeof theirs);
        theirs[n] = 0;
        if (v6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
            continue; /* v4-mapped: printed as a dotted quad by design */
        ASSERT_EQ_STR(ours, theirs);
    }
}

TEST(fmt_time_matches_common)
{
    struct gen_rng r;
    fl__gen_rng_seed(&r, 11);
    for (int i = 0; i < 5000; i++) {
        int64_t t = (int64_t)(gen_next(&r) % 4102444800ULL); /* 1970..2100 */
        char a[48], b[48];
        a[fl__gen_fmt_time(a, t, 0, 0)] = 0;
        b[fl_time_format(t, b, sizeof b)] = 0;
        ASSERT_EQ_STR(a, b);
    }
    char c[48];
    c[fl__gen_fmt_time(c, 0, 123456789, 9)] = 0;
    ASSERT_EQ_STR(c, "1970-01-01T00:00:00.123456789Z");
    c[fl__gen_fmt_time(c, 86399, 5000000, 7)] = 0;
    ASSERT_EQ_STR(c, "1970-01-01T23:59:59.0050000Z");
}

TEST(zipf_range_and_skew)
{
    struct gen_rng r;
    fl__gen_rng_seed(&r, 1);
    static uint32_t hist[1000];
    memset(hist, 0, sizeof hist);
    for (int i = 0; i < 200000; i++) {
        uint32_t k = fl__gen_zipf(&r, 1000, 1.0);
        ASSERT(k < 1000);
        hist[k]++;
    }
    ASSERT(hist[0] > hist[1]);
    ASSERT(hist[1] > hist[10]);
    ASSERT(hist[10] > hist[500]);
    uint64_t top10 = 0;
    for (int i = 0; i < 10; i++)
        top10 += hist[i];
    /* 1/x over 1..1001: the first 10 ranks carry ~ln(11)/ln(1001) = 35% */
    ASSERT(top10 > 60000 && top10 < 80000);
    ASSERT_EQ_INT(fl__gen_zipf(&r, 1, 1.0), 0);
    for (int i = 0; i < 1000; i++)
        ASSERT(fl__gen_zipf(&r, 7, 0.9) < 7);
}

static char *slurp(const char *path, size_t *n_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p)
        p[n] = 0;
    *n_out = (size_t)n;
    return p;
}

static void tmpname(char *buf, size_t cap, const char *tag)
{
    snprintf(buf, cap, "/tmp/fl_test_generate_%d_%s", (int)getpid(), tag);
}

TEST(exact_count_totals_and_determinism)
{
    char p1[128], p2[128];
    tmpname(p1, sizeof p1, "a.log");
    tmpname(p2, sizeof p2, "b.log");
    struct fl_gen_opts o;
    fl_gen_opts_init(&o);
    o.records = 12345;
    o.seed = 77;
    o.days = 2;
    o.out = p1;
    struct fl_gen_totals t;
    struct fl_error err;
    ASSERT_EQ_INT(fl_generate(&o, &t, &err), FL_OK);
    ASSERT_EQ_INT(t.records, 12345);
    ASSERT_EQ_INT(t.accept + t.reject + t.nodata + t.skipdata, 12345);
    ASSERT_EQ_INT(t.objects, 1);
    o.out = p2;
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_OK);
    size_t n1, n2;
    char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    ASSERT(a && b);
    ASSERT_EQ_INT(n1, t.bytes_out);
    ASSERT(n1 == n2 && memcmp(a, b, n1) == 0);
    size_t lines = 0;
    for (size_t i = 0; i < n1; i++)
        lines += a[i] == '\n';
    ASSERT_EQ_INT(lines, 12345 + 1);
    /* two days: end times span more than 24 h */
    free(a);
    free(b);
    unlink(p1);
    unlink(p2);
}

TEST(bad_options)
{
    struct fl_gen_opts o;
    struct fl_error err;
    fl_gen_opts_init(&o);
    o.accounts = 0;
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EINVAL);
    ASSERT(strstr(err.msg, "accounts") != NULL);
    fl_gen_opts_init(&o);
    o.layout = FL_GEN_S3;
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EINVAL);
    fl_gen_opts_init(&o);
    o.format = FL_GEN_AWS_CUSTOM;
    o.aws_format = "${version} ${nonsense}";
    o.out = "/dev/null";
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EINVAL);
    ASSERT(strstr(err.msg, "nonsense") != NULL);
    o.aws_format = "${version} ${tgw-id}";
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EINVAL);
    fl_gen_opts_init(&o);
    o.format = FL_GEN_AZURE_NSG;
    o.layout = FL_GEN_S3;
    o.out = "/tmp";
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EINVAL);
    fl_gen_opts_init(&o);
    o.out = "/proc/definitely/not/here.log";
    o.records = 10;
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EIO);
}

TEST(incidents_add_records)
{
    struct fl_gen_opts o;
    struct fl_gen_totals t0, t1;
    struct fl_error err;
    fl_gen_opts_init(&o);
    o.records = 5000;
    o.out = "/dev/null";
    ASSERT_EQ_INT(fl_generate(&o, &t0, &err), FL_OK);
    o.incidents = "scan,admin";
    ASSERT_EQ_INT(fl_generate(&o, &t1, &err), FL_OK);
    ASSERT_EQ_INT(t1.records, t0.records + 400 + 3);
    ASSERT_EQ_INT(t1.reject, t0.reject + 400);
    o.incidents = "scan,bogus";
    ASSERT_EQ_INT(fl_generate(&o, NULL, &err), FL_EINVAL);
    ASSERT(strstr(err.msg, "bogus") != NULL);
}

/* ---- OOM injection --------------------------------------------------------- */
static int oom_left;
static void *oom_malloc(size_t n, void *ctx)
{
    (void)ctx;
    if (oom_left-- == 0)
        return NULL;
    return malloc(n);
}
static void *oom_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    if (oom_left-- == 0)
        return NULL;
    return realloc(p, n);
}
static void oom_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

TEST(oom_every_allocation)
{
    char path[128], truth[128];
    tmpname(path, sizeof path, "oom");
    tmpname(truth, sizeof truth, "oom.truth");
    struct fl_allocator al = {oom_malloc, oom_realloc, oom_free, NULL};
    enum fl_gen_format fmts[] = {FL_GEN_AWS_V5, FL_GEN_AZURE_VNET, FL_GEN_GCP};
    for (size_t fi = 0; fi < FL_ARRAY_LEN(fmts); fi++) {
        int ok = 0;
        for (int k = 0; k < 200 && !ok; k++) {
            struct fl_gen_opts o;
            fl_gen_opts_init(&o);
            o.records = 300;
            o.format = fmts[fi];
            o.out = path;
            o.truth = truth;
            struct fl_error err;
            oom_left = k;
            fl_set_allocator(&al);
            int rc = fl_generate(&o, NULL, &err);
            fl_set_allocator(NULL);
            if (rc == FL_OK)
                ok = 1;
            else
                ASSERT_EQ_INT(rc, FL_ENOMEM);
        }
        ASSERT(ok);
    }
    unlink(path);
    unlink(truth);
}

UNIT_MAIN()
