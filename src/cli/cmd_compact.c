/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_compact.c - `flowsift compact [--partition PREFIX]`: merge each
 * partition's small Parquet files into large ones, atomically per partition
 * (fl_compact_run).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fl/fl_config.h"
#include "fl/fl_dataset.h"

struct cctx {
    char crash_point[64];
    long crash_n;
    uint64_t before, after, parts;
};

static void on_point(void *ctx, const char *point)
{
    struct cctx *c = ctx;
    if (c->crash_n > 0 && strcmp(point, c->crash_point) == 0 && --c->crash_n == 0) {
        fflush(stdout);
        kill(getpid(), SIGKILL);
    }
}

static void on_partition(void *ctx, const char *part, uint64_t before, uint64_t after,
                         uint64_t rows)
{
    struct cctx *c = ctx;
    c->before += before;
    c->after += after;
    c->parts++;
    if (before != after)
        printf("%s: %llu files -> %llu (%llu rows)\n", part, (unsigned long long)before,
               (unsigned long long)after, (unsigned long long)rows);
}

static int compact_main(int argc, char **argv)
{
    struct fl_compact_opts o = {0};
    struct cctx c = {0};
    const char *home = cli_home();
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--partition") == 0 && more)
            o.partition = argv[++i];
        else if (strcmp(argv[i], "--home") == 0 && more)
            home = argv[++i];
        else if (strcmp(argv[i], "--target-rows") == 0 && more)
            o.target_rows = strtoull(argv[++i], NULL, 10);
        else
            return cli_usage_error("compact", "unknown argument '%s'", argv[i]);
    }
    struct fl_error err = {0};
    fl_config *cfg = NULL;
    if (fl_config_load(&cfg, home, NULL, &err) != FL_OK) {
        cli_err("%s", err.msg);
        return FL_EXIT_USAGE;
    }
    const struct fl_config_storage *stg = fl_config_storage(cfg);
    o.home = home;
    o.codec = stg->codec;
    o.row_group_rows = stg->row_group_rows;
    const char *ca = getenv("FLOWSIFT_CRASH_AT");
    if (ca && *ca) {
        const char *p = strchr(ca, ':');
        size_t n = p ? (size_t)(p - ca) : strlen(ca);
        if (n >= sizeof c.crash_point)
            n = sizeof c.crash_point - 1;
        memcpy(c.crash_point, ca, n);
        c.crash_n = p ? strtol(p + 1, NULL, 10) : 1;
    }
    o.on_partition = on_partition;
    o.on_point = on_point;
    o.ctx = &c;
    int rc = fl_compact_run(&o, &err);
    fl_config_free(cfg);
    if (rc != FL_OK) {
        cli_err("compact failed: %s", err.msg);
        return FL_EXIT_INTERNAL;
    }
    printf("total: %llu partitions, %llu files -> %llu\n", (unsigned long long)c.parts,
           (unsigned long long)c.before, (unsigned long long)c.after);
    return FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_compact = {
    "compact", "merge each partition's small files into large ones", compact_main,
    "usage: flowsift compact [--partition PREFIX] [--target-rows N] [--home DIR]\n"
    "Rewrites every partition that has two or more files into files of up to\n"
    "N rows (default 4 row groups), atomically: the new files are built in a\n"
    "staged folder that is exchanged with the partition folder in one step, so\n"
    "readers see the old files or the new ones, never both.  --partition limits\n"
    "it to folders starting with PREFIX (e.g. cloud=aws/account=123456789012).\n",
    25};
