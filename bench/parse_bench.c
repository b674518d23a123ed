/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse_bench.c - parse throughput of the ingest layer (issue 2 benchmark).
 *   parse_bench FILE [RUNS] [--aws-format FMT] [--batch ROWS]
 * Parses FILE (plain or gzip, any sniffed format) into reused record
 * batches RUNS times (default 5) and prints the median records/s and
 * decompressed MB/s.  For a gzip FILE it also times an isa-l inflate-only
 * pass over the same bytes (median of RUNS, file already in memory) and
 * prints the ratio parse-from-gzip / inflate-only on decompressed bytes/s,
 * the figure the "gzip input >= 80% of isa-l" target is about.
 * A gzip FILE of 256 KiB or more is inflated on the reader's own thread
 * (src/ingest/input.c) unless FLOWSIFT_INFLATE_THREAD=0: the parse CPU time
 * printed is the whole process's, both threads.
 * Output lines are `key value` pairs that bench/run.sh can grep.
 *
 * Plain-text figures (issue 2 target >= 8 M records/s, one thread), the
 * 10 M-record v2 file of `make bench` (bench/out/vpcflow_10000000_s42_*.log):
 *   before the session-3 fast-path work (1633e0e..169ede0), quiet machine:
 *     7.34 / 7.21 M rec/s (medians of 3);
 *   after (93a6527), old and new binaries alternated in one shell loop
 *   (`parse_bench FILE 1` each, 5 rounds, load average 8.0 on the 2 vCPUs):
 *     CPU-time rate 7.33 -> 8.53 M rec/s (x1.16; median of 5),
 *     wall 3.63 -> 4.26 M rec/s (x1.17; the machine was busy).
 *   The old binary's CPU-time rate under load equals its quiet wall rate
 *   (7.33 vs 7.34), so ~8.5 M rec/s is the one-thread figure to expect on a
 *   quiet machine (wall not measured quiet: the machine never was).
 *   Instructions per record (callgrind, stable under load), first 200 k
 *   lines (bench/out/vpcflow_200000_s42_*.log):
 *     valgrind --tool=callgrind --branch-sim=yes parse_bench FILE 1
 *     1605 -> 1479 instructions and 13.2 -> 1.4 simulated branch
 *     mispredicts per record (whole process).  The mispredicts were the
 *     cost: the IPv4 octet walk (now 16-byte masks), the digit-count branch
 *     of packets/bytes (now branchless), the value cache on addresses (now
 *     a plain copy), and every REJECT line falling to the general path (a
 *     wrong word constant).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <isa-l/igzip_lib.h>

#include "fl/fl.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One parse pass; returns seconds, rows and decompressed bytes. */
static uint32_t batch_rows; /* 0 = FL_BATCH_ROWS */

static int parse_once(const char *path, const char *aws_format, double *secs, double *cpu,
                      uint64_t *rows, uint64_t *bytes)
{
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    o.aws_format = aws_format;
    struct fl_error err;
    fl_error_clear(&err);
    struct fl_batch *b = fl_batch_new(batch_rows);
    if (!b)
        return -1;
    double t0 = now(), c0 = cpu_now();
    fl_reader *r;
    if (fl_reader_open(&r, path, &o, &err) < 0) {
        fprintf(stderr, "parse_bench: %s\n", err.msg);
        fl_batch_free(b);
        return -1;
    }
    int n;
    uint64_t total = 0;
    while ((n = fl_reader_next(r, b, &err)) > 0) {
        total += (uint64_t)n;
        fl_batch_reset(b);
    }
    *secs = now() - t0;
    *cpu = cpu_now() - c0;
    if (n < 0)
        fprintf(stderr, "parse_bench: %s\n", err.msg);
    *rows = total;
    *bytes = fl_reader_stats(r)->bytes;
    fl_reader_close(r);
    fl_batch_free(b);
    return n < 0 ? -1 : 0;
}

/* Inflate-only: the whole file in memory, every member, output discarded. */
static double inflate_once(unsigned char *in, size_t n, uint64_t *out_bytes)
{
    static unsigned char out[1 << 20];
    struct inflate_state *s = malloc(sizeof *s);
    if (!s)
        return -1;
    double t0 = now();
    uint64_t total = 0;
    size_t pos = 0;
    while (pos + 2 <= n && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
        isal_inflate_init(s);
        s->crc_flag = ISAL_GZIP;
        s->next_in = in + pos;
        s->avail_in = (uint32_t)(n - pos);
        while (s->block_state != ISAL_BLOCK_FINISH) {
            s->next_out = out;
            s->avail_out = sizeof out;
            int rc = isal_inflate(s);
            total += sizeof out - s->avail_out;
            if (rc < 0 || (s->avail_out == sizeof out && s->avail_in == 0 &&
                           s->block_state != ISAL_BLOCK_FINISH)) {
                free(s);
                return -1;
            }
        }
        pos = n - s->avail_in;
    }
    double t = now() - t0;
    free(s);
    *out_bytes = total;
    return t;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *aws_format = NULL;
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--aws-format") == 0 && i + 1 < argc)
            aws_format = argv[++i];
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch_rows = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!path)
            path = argv[i];
        else
            runs = atoi(argv[i]) > 0 ? (int)strtol(argv[i], NULL, 10) : runs;
    }
    if (!path) {
        fprintf(stderr, "usage: parse_bench FILE [RUNS] [--aws-format FMT] [--batch ROWS]\n");
        return 2;
    }
    if (runs > 99)
        runs = 99;
    double t[100], tc[100];
    uint64_t rows = 0, bytes = 0;
    for (int i = 0; i < runs; i++)
        if (parse_once(path, aws_format, &t[i], &tc[i], &rows, &bytes) < 0)
            return 1;
    double m = median(t, runs), mc = median(tc, runs);
    double parse_bps = (double)bytes / m;
    /* Wall time is what a user sees; CPU time is the one-thread cost, the
     * fair figure on a machine shared with other work. */
    printf("batch_rows %u\n", batch_rows ? batch_rows : FL_BATCH_ROWS);
    const char *thr = getenv("FLOWSIFT_INFLATE_THREAD");
    printf("inflate_thread %s\n", thr && strcmp(thr, "0") == 0 ? "off" : "on");
    printf("file %s\nrecords %llu\nbytes %llu\nparse_seconds_median %.4f\n"
           "parse_records_per_s %.0f\nparse_mb_per_s %.1f\n"
           "parse_cpu_seconds_median %.4f\nparse_records_per_cpu_s %.0f\n",
           path, (unsigned long long)rows, (unsigned long long)bytes, m, (double)rows / m,
           parse_bps / 1e6, mc, (double)rows / mc);
    FILE *f = fopen(path, "rb");
    unsigned char magic[2] = {0, 0};
    if (f && fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        unsigned char *buf = malloc((size_t)sz);
        if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
            fprintf(stderr, "parse_bench: cannot read %s\n", path);
            return 1;
        }
        uint64_t out = 0;
        for (int i = 0; i < runs; i++) {
            double c0 = cpu_now();
            t[i] = inflate_once(buf, (size_t)sz, &out);
            tc[i] = cpu_now() - c0;
        }
        double im = median(t, runs), imc = median(tc, runs);
        if (im <= 0) {
            fprintf(stderr, "parse_bench: inflate failed\n");
            return 1;
        }
        double inf_bps = (double)out / im;
        printf("inflate_seconds_median %.4f\ninflate_mb_per_s %.1f\n"
               "gzip_parse_vs_inflate_ratio %.3f\n"
               "inflate_cpu_seconds_median %.4f\ngzip_parse_vs_inflate_ratio_cpu %.3f\n",
               im, inf_bps / 1e6, parse_bps / inf_bps, imc, imc / mc);
        free(buf);
    }
    if (f)
        fclose(f);
    return 0;
}
