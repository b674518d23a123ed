/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enrich_bench.c - cost of the enrichment (issue 5 benchmark).
 *   enrich_bench FILE [--config FLOWSIFT_YAML] [--runs N]
 * Loads the config and opens one enricher (timed: "load_s"), then RUNS
 * times (default 3) parses FILE into reused batches twice: once without and
 * once with fl_enrich_batch on every batch.  Prints the medians as
 * `key value` lines that bench/enrich.sh reads: parse_s, parse_enrich_s,
 * enrich_s (the difference), records, and enrich_ns_per_record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl/fl.h"
#include "fl/fl_config.h"
#include "fl/fl_enrich.h"
#include "bench_util.h"

/* CPU time of the process: the bench machine is shared, and wall time
 * there measures the neighbours as much as us. */
static double cpu_now(void) { return bench_clock(CLOCK_PROCESS_CPUTIME_ID); }

static int pass(const char *path, fl_enricher *e, struct fl_batch *b, double *secs,
                uint64_t *rows, double *enrich_secs)
{
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    struct fl_error err;
    fl_error_clear(&err);
    double t0 = cpu_now(), te = 0;
    fl_reader *r;
    if (fl_reader_open(&r, path, &o, &err) < 0) {
        fprintf(stderr, "enrich_bench: %s\n", err.msg);
        return -1;
    }
    int n;
    uint64_t total = 0;
    while ((n = fl_reader_next(r, b, &err)) > 0) {
        total += (uint64_t)n;
        if (e) {
            double t1 = cpu_now();
            if (fl_enrich_batch(e, b, &err) < 0) {
                fprintf(stderr, "enrich_bench: %s\n", err.msg);
                fl_reader_close(r);
                return -1;
            }
            te += cpu_now() - t1;
        }
        fl_batch_reset(b);
    }
    *secs = cpu_now() - t0;
    *enrich_secs = te;
    *rows = total;
    fl_reader_close(r);
    return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *config = NULL;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!path || runs < 1 || runs > 50) {
        fprintf(stderr, "usage: enrich_bench FILE [--config FILE] [--runs N]\n");
        return 2;
    }
    struct fl_error err;
    fl_error_clear(&err);
    double t0 = cpu_now();
    fl_config *cfg;
    if (fl_config_load(&cfg, ".", config, &err) != FL_OK) {
        fprintf(stderr, "enrich_bench: %s\n", err.msg);
        return 2;
    }
    fl_enricher *e;
    if (fl_enricher_open(&e, cfg, &err) != FL_OK) {
        fprintf(stderr, "enrich_bench: %s\n", err.msg);
        return 2;
    }
    double load = cpu_now() - t0;
    struct fl_enrich_sources src;
    fl_enricher_sources(e, &src);
    struct fl_batch *b = fl_batch_new(0);
    double *tp = calloc((size_t)runs, sizeof *tp), *te = calloc((size_t)runs, sizeof *te),
           *ten = calloc((size_t)runs, sizeof *ten);
    uint64_t rows = 0;
    for (int i = 0; i < runs; i++) {
        double dummy;
        if (pass(path, NULL, b, &tp[i], &rows, &dummy) < 0 ||
            pass(path, e, b, &te[i], &rows, &ten[i]) < 0)
            return 1;
    }
    double mp = bench_median(tp, runs), me = bench_median(te, runs), men = bench_median(ten, runs);
    printf("records %llu\n", (unsigned long long)rows);
    printf("load_s %.3f\n", load);
    printf("sources country=%d asn=%d asn_ranges=%llu asset_ranges=%llu intel_entries=%llu cloud_ranges=%llu\n",
           src.country, src.asn, (unsigned long long)src.asn_ranges,
           (unsigned long long)src.asset_ranges, (unsigned long long)src.intel_entries,
           (unsigned long long)src.cloud_ranges);
    fl_enricher_sources(e, &src);
    printf("cache memo_hits=%llu lookups=%llu misses=%llu\n", (unsigned long long)src.memo_hits,
           (unsigned long long)src.lookups, (unsigned long long)src.misses);
    printf("parse_s %.3f\n", mp);
    printf("parse_enrich_s %.3f\n", me);
    printf("enrich_s %.3f\n", men);
    printf("enrich_ns_per_record %.1f\n", rows ? men * 1e9 / (double)rows : 0.0);
    printf("overhead_vs_parse_pct %.1f\n", mp > 0 ? (me - mp) * 100.0 / mp : 0.0);
    fl_batch_free(b);
    fl_enricher_close(e);
    fl_config_free(cfg);
    free(tp);
    free(te);
    free(ten);
    return 0;
}
