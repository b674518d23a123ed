/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pqwrite_bench.c - the Parquet writer alone (issue 3 speed work).
 *   pqwrite_bench FILE [--runs N] [--enrich] [--config FILE] [--out PATH]
 * Parses FILE into reused record batches (optionally enriched with the
 * default or the given config) and hands every batch to one Parquet writer
 * (default options: zstd, 1 M-row row groups), with the malloc settings of
 * `flowsift ingest` (so later runs reuse the heap).  Only the writer calls are
 * timed, with the thread's CPU clock, so the figure is the writer's cost
 * per row whatever the machine's load.  Prints `key value` lines: the median
 * over N runs (default 3) of writer CPU seconds, rows per writer CPU
 * second, and the file size.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fl/fl.h"
#include "fl/fl_config.h"
#include "fl/fl_enrich.h"
#include "fl/fl_store.h"
#include "bench_util.h"

static int once(const char *path, fl_enricher *enr, const char *out, double *wcpu,
                uint64_t *rows_out, long *bytes_out)
{
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    struct fl_error err;
    fl_error_clear(&err);
    struct fl_batch *b = fl_batch_new(0);
    fl_reader *r = NULL;
    fl_pq_writer *w = NULL;
    if (!b || fl_reader_open(&r, path, &o, &err) < 0 ||
        fl_pq_writer_open(&w, out, NULL, &err) < 0) {
        fprintf(stderr, "pqwrite_bench: %s\n", err.msg);
        fl_batch_free(b);
        if (r)
            fl_reader_close(r);
        return -1;
    }
    double t = 0;
    uint64_t rows = 0;
    int n, rc = 0;
    while ((n = fl_reader_next(r, b, &err)) > 0) {
        if (enr && fl_enrich_batch(enr, b, &err) < 0) {
            rc = -1;
            break;
        }
        double t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
        if (fl_pq_writer_add(w, b, NULL, 0, &err) < 0) {
            rc = -1;
            break;
        }
        t += bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
        rows += b->n;
        fl_batch_reset(b);
    }
    if (n < 0)
        rc = -1;
    double t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID);
    if (rc == 0) {
        if (fl_pq_writer_close(w, &err) < 0)
            rc = -1;
    } else {
        fl_pq_writer_abort(w);
    }
    t += bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (rc < 0)
        fprintf(stderr, "pqwrite_bench: %s\n", err.msg);
    fl_reader_close(r);
    fl_batch_free(b);
    FILE *f = fopen(out, "rb");
    long sz = -1;
    if (f) {
        fseek(f, 0, SEEK_END);
        sz = ftell(f);
        fclose(f);
    }
    *wcpu = t;
    *rows_out = rows;
    *bytes_out = sz;
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *config = NULL, *out = "pqwrite_bench.parquet";
    int runs = 3;
    int enrich = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--enrich") == 0)
            enrich = 1;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i], enrich = 1;
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: pqwrite_bench FILE [--runs N] [--enrich] "
                            "[--config FILE] [--out PATH]\n");
            return 2;
        }
    }
    if (!path || runs < 1 || runs > 99) {
        fprintf(stderr, "usage: pqwrite_bench FILE [--runs N] [--enrich] "
                        "[--config FILE] [--out PATH]\n");
        return 2;
    }
    /* as `flowsift ingest` does: freed buffers stay in the heap */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    struct fl_error err;
    fl_error_clear(&err);
    fl_config *cfg = NULL;
    fl_enricher *enr = NULL;
    if (enrich) {
        if (fl_config_load(&cfg, ".", config, &err) < 0 ||
            fl_enricher_open(&enr, cfg, &err) < 0) {
            fprintf(stderr, "pqwrite_bench: %s\n", err.msg);
            fl_config_free(cfg);
            return 1;
        }
    }
    double t[99];
    uint64_t rows = 0;
    long bytes = 0;
    int rc = 0;
    for (int i = 0; i < runs && rc == 0; i++)
        rc = once(path, enr, out, &t[i], &rows, &bytes);
    if (rc == 0) {
        double m = bench_median(t, runs);
        printf("rows %llu\n", (unsigned long long)rows);
        printf("writer_cpu_s %.3f\n", m);
        printf("writer_rows_per_cpu_s %.0f\n", m > 0 ? (double)rows / m : 0);
        printf("writer_ns_per_row %.1f\n", rows ? m * 1e9 / (double)rows : 0);
        printf("file_bytes %ld\n", bytes);
    }
    unlink(out);
    if (enr)
        fl_enricher_close(enr);
    fl_config_free(cfg);
    return rc == 0 ? 0 : 1;
}
