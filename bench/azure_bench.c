/* SPDX-License-Identifier: Apache-2.0 */
/*
 * azure_bench.c - parse throughput of the JSON flow-log formats (issue 4
 * benchmark helper, run by bench/azure.sh).
 *   azure_bench [--runs N] PATH...
 * Walks the paths (folders in Azure blob layouts, files), reads every object
 * with the sniffed format (azure-nsg, azure-vnet, gcp-vpc, ...) into one
 * reused record batch, N times (default 3), and prints the medians of wall
 * and CPU time with MB/s of JSON and records/s as `key value` lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl/fl.h"
#include "bench_util.h"

struct files {
    char **p;
    int n, cap;
};
static int add_file(void *ctx, const char *path, int rc, const struct fl_error *err)
{
    struct files *f = ctx;
    if (rc) {
        fprintf(stderr, "azure_bench: %s\n", err ? err->msg : path);
        return 0;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->p = realloc(f->p, (size_t)f->cap * sizeof *f->p);
        if (!f->p)
            exit(2);
    }
    f->p[f->n++] = strdup(path);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 3;
    struct files fs = {0};
    const char *paths[256];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (int)strtol(argv[++i], NULL, 10);
        else if (np < 256)
            paths[np++] = argv[i];
    }
    if (!np || runs < 1 || runs > 50) {
        fprintf(stderr, "usage: azure_bench [--runs N] PATH...\n");
        return 2;
    }
    fl_walk(paths, np, add_file, &fs);
    struct fl_batch *b = fl_batch_new(0);
    if (!b)
        return 2;
    double walls[50], cpus[50];
    uint64_t rows = 0, bytes = 0, rejected = 0;
    for (int r = 0; r < runs; r++) {
        double w0 = bench_clock(CLOCK_MONOTONIC), c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
        rows = bytes = rejected = 0;
        for (int i = 0; i < fs.n; i++) {
            fl_reader *rd;
            struct fl_error err;
            if (fl_reader_open(&rd, fs.p[i], NULL, &err) != FL_OK) {
                fprintf(stderr, "azure_bench: %s\n", err.msg);
                continue;
            }
            int k;
            while ((k = fl_reader_next(rd, b, &err)) > 0) {
                rows += (uint64_t)k;
                fl_batch_reset(b);
            }
            const struct fl_ingest_stats *st = fl_reader_stats(rd);
            bytes += st->bytes;
            rejected += st->records_rejected;
            fl_reader_close(rd);
        }
        walls[r] = bench_clock(CLOCK_MONOTONIC) - w0;
        cpus[r] = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    double w = bench_median(walls, runs), c = bench_median(cpus, runs);
    printf("objects %d\nrecords %llu\nrejected %llu\nbytes %llu\n", fs.n,
           (unsigned long long)rows, (unsigned long long)rejected, (unsigned long long)bytes);
    printf("wall_s %.3f\ncpu_s %.3f\n", w, c);
    printf("mb_per_s_wall %.1f\nmb_per_s_cpu %.1f\n", (double)bytes / 1048576.0 / w,
           (double)bytes / 1048576.0 / c);
    printf("records_per_s_wall %.0f\nrecords_per_s_cpu %.0f\n", (double)rows / w, (double)rows / c);
    fl_batch_free(b);
    for (int i = 0; i < fs.n; i++)
        free(fs.p[i]);
    free(fs.p);
    return 0;
}
