/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_generate.c - `flowsift generate`: realistic, deterministic flow logs
 * in every format and layout flowsift reads (the library's generate module,
 * include/fl/fl_generate.h).  This file only parses options and prints the
 * summary line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fl/fl_generate.h"

static int parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1000000, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1000000000, end++;
    if (*end || (v && mul > UINT64_MAX / v))
        return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

static int parse_day(const char *s, int64_t *out)
{
    unsigned y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999)
        return -1;
    *out = fl_days_from_civil(y, m, d);
    return 0;
}

static int generate_main(int argc, char **argv)
{
    struct fl_gen_opts o;
    fl_gen_opts_init(&o);
    int format_given = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
#define NEED()                                                                 \
    do {                                                                       \
        if (!v)                                                                \
            return cli_usage_error("generate", "%s needs a value", a);        \
        i++;                                                                   \
    } while (0)
        if (strcmp(a, "--records") == 0 || strcmp(a, "-n") == 0) {
            NEED();
            if (parse_count(v, &o.records) || o.records == 0)
                return cli_usage_error("generate", "bad --records '%s'", v);
        } else if (strcmp(a, "--seed") == 0) {
            NEED();
            if (parse_count(v, &o.seed))
                return cli_usage_error("generate", "bad --seed '%s'", v);
        } else if (strcmp(a, "--day") == 0) {
            NEED();
            if (parse_day(v, &o.day))
                return cli_usage_error("generate", "bad --day '%s' (want YYYY-MM-DD)", v);
        } else if (strcmp(a, "--days") == 0) {
            NEED();
            if (parse_count(v, &n) || n < 1 || n > 3660)
                return cli_usage_error("generate", "bad --days '%s'", v);
            o.days = (unsigned)n;
        } else if (strcmp(a, "--accounts") == 0 || strcmp(a, "--subscriptions") == 0 ||
                   strcmp(a, "--projects") == 0) {
            NEED();
            if (parse_count(v, &n) || n < 1 || n > 64)
                return cli_usage_error("generate", "bad %s '%s' (1..64)", a, v);
            o.accounts = (unsigned)n;
        } else if (strcmp(a, "--regions") == 0) {
            NEED();
            if (parse_count(v, &n) || n < 1 || n > 4)
                return cli_usage_error("generate", "bad --regions '%s' (1..4)", v);
            o.regions = (unsigned)n;
        } else if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
            NEED();
            if (fl_gen_format_parse(v, &o.format) != FL_OK)
                return cli_usage_error("generate", "unknown --format '%s'", v);
            format_given = 1;
        } else if (strcmp(a, "--aws-format") == 0) {
            NEED();
            o.aws_format = v;
        } else if (strcmp(a, "--layout") == 0) {
            NEED();
            if (fl_gen_layout_parse(v, &o.layout) != FL_OK)
                return cli_usage_error("generate", "unknown --layout '%s'", v);
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0) {
            NEED();
            o.out = v;
        } else if (strcmp(a, "--gzip") == 0 || strcmp(a, "-z") == 0) {
            o.gzip = true;
        } else if (strcmp(a, "--gzip-level") == 0) {
            NEED();
            if (parse_count(v, &n) || n < 1 || n > 9)
                return cli_usage_error("generate", "bad --gzip-level '%s' (1..9)", v);
            o.gzip_level = (int)n;
            o.gzip = true;
        } else if (strcmp(a, "--gzip-member-bytes") == 0) {
            NEED();
            if (parse_count(v, &o.gzip_member_bytes))
                return cli_usage_error("generate", "bad --gzip-member-bytes '%s'", v);
            o.gzip = true;
        } else if (strcmp(a, "--hourly") == 0) {
            o.hourly = true;
        } else if (strcmp(a, "--no-header") == 0) {
            o.no_header = true;
        } else if (strcmp(a, "--pretty") == 0) {
            o.pretty = true;
        } else if (strcmp(a, "--grow-steps") == 0) {
            NEED();
            if (parse_count(v, &n) || n < 1 || n > 60)
                return cli_usage_error("generate", "bad --grow-steps '%s' (1..60)", v);
            o.grow_steps = (unsigned)n;
        } else if (strcmp(a, "--incidents") == 0) {
            NEED();
            o.incidents = v;
        } else if (strcmp(a, "--benign") == 0) {
            NEED();
            o.benign = v;
        } else if (strcmp(a, "--truth") == 0) {
            NEED();
            o.truth = v;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else {
            return cli_usage_error("generate", "unknown argument '%s'", a);
        }
#undef NEED
    }
    if (o.aws_format && !format_given)
        o.format = FL_GEN_AWS_CUSTOM;
    if (o.aws_format && o.format != FL_GEN_AWS_CUSTOM)
        return cli_usage_error("generate", "--aws-format goes with --format aws-custom");
    if (o.layout == FL_GEN_STREAM && !format_given && !o.aws_format)
        o.format = FL_GEN_AWS_V2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct fl_gen_totals tot;
    struct fl_error err;
    fl_error_clear(&err);
    int rc = fl_generate(&o, &tot, &err);
    if (rc != FL_OK) {
        cli_err("%s", err.msg[0] ? err.msg : fl_strerror(rc));
        return rc == FL_EINVAL ? FL_EXIT_USAGE : FL_EXIT_INPUT;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!quiet)
        fprintf(stderr,
                "generated %llu records (%llu NODATA, %llu SKIPDATA, %llu ACCEPT, %llu REJECT) "
                "in %llu objects, %llu bytes (%llu text) in %.2f s\n",
                (unsigned long long)tot.records, (unsigned long long)tot.nodata,
                (unsigned long long)tot.skipdata, (unsigned long long)tot.accept,
                (unsigned long long)tot.reject, (unsigned long long)tot.objects,
                (unsigned long long)tot.bytes_out, (unsigned long long)tot.text_bytes, secs);
    return FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_generate = {
    "generate", "write realistic flow logs in every format and layout", generate_main,
    "usage: flowsift generate [options]\n"
    "Writes realistic, deterministic flow logs (same options + seed = same bytes).\n"
    "\n"
    "  --records N          records to write (AWS/GCP lines, Azure tuples; k/M suffix)\n"
    "  --seed S             PRNG seed (default 1)\n"
    "  --day YYYY-MM-DD     first day (default 2026-11-20); --days N (default 1)\n"
    "  --accounts N         accounts / subscriptions / projects (default 4, Zipf shares)\n"
    "  --regions N          regions of the first account, at most (1..4, default 2)\n"
    "  --format F           aws-v2 (default), aws-v5, aws-custom, aws-tgw, azure-nsg,\n"
    "                       azure-vnet, gcp\n"
    "  --aws-format FMT     custom AWS format '${version} ${srcaddr} ...' (any order)\n"
    "  --layout L           stream (default), s3, s3-hive, azure, gcs\n"
    "  --out PATH           file (stream) or folder (layouts); default stdout\n"
    "  --gzip               gzip AWS text (zlib); --gzip-level 1..9 (default 6)\n"
    "  --gzip-member-bytes N  start a new gzip member every N text bytes\n"
    "  --hourly             S3 layouts: hourly partitions (HH/ or hour=HH/)\n"
    "  --no-header          AWS text without the header line (CloudWatch style)\n"
    "  --pretty             Azure: pretty-printed JSON (default compact, as real blobs)\n"
    "  --grow-steps K       Azure: also write PT1H.json.step01..K snapshots of a blob\n"
    "                       growing as Azure appends blocks\n"
    "  --truth FILE         write the totals (records, sums, top talkers) as JSON\n"
    "  --incidents LIST     AWS: plant incidents on top of --records (scan, sweep,\n"
    "                       bruteforce, admin, exfil, beacon, flood, or all); the\n"
    "                       truth file lists them\n"
    "  --benign LIST        benign look-alikes that fool naive rules, on top of\n"
    "                       --records: backup, batch, mirror, scanner, bastion,\n"
    "                       health, ntp-dns, all or none (default); the truth file\n"
    "                       lists them with the policy that approves them\n"
    "  --quiet              no summary line on stderr\n"
    "\n"
    "Examples:\n"
    "  flowsift generate --records 10M --out day.log\n"
    "  flowsift generate --layout s3 --accounts 2 --gzip --out logs/\n"
    "  flowsift generate --format azure-nsg --layout azure --out blobs/ --truth t.json\n",
    80};
