/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_prune.c - `flowsift prune --older-than 30d`: delete whole partitions
 * whose date folder is past retention, and their ledger entries.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fl/fl_config.h"
#include "fl/fl_dataset.h"

static void on_partition(void *ctx, const char *part, uint64_t files, uint64_t bytes)
{
    bool *dry = ctx;
    (void)bytes;
    printf("%s %s (%llu files)\n", *dry ? "would prune" : "pruned", part,
           (unsigned long long)files);
}

static int prune_main(int argc, char **argv)
{
    const char *home = cli_home(), *older = NULL, *now_s = NULL;
    bool dry = false;
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--older-than") == 0 && more)
            older = argv[++i];
        else if (strcmp(argv[i], "--home") == 0 && more)
            home = argv[++i];
        else if (strcmp(argv[i], "--now") == 0 && more)
            now_s = argv[++i];
        else if (strcmp(argv[i], "--dry-run") == 0)
            dry = true;
        else
            return cli_usage_error("prune", "unknown argument '%s'", argv[i]);
    }
    struct fl_error err = {0};
    int days = -1;
    if (older) {
        char *end;
        long v = strtol(older, &end, 10);
        if (end == older || v < 0 || v > 100000 || (*end && strcmp(end, "d") != 0))
            return cli_usage_error("prune", "--older-than takes days, e.g. 30d");
        days = (int)v;
    } else {
        fl_config *cfg = NULL;
        if (fl_config_load(&cfg, home, NULL, &err) != FL_OK) {
            cli_err("%s", err.msg);
            return FL_EXIT_USAGE;
        }
        days = fl_config_storage(cfg)->retention_days;
        fl_config_free(cfg);
        if (days <= 0)
            return cli_usage_error("prune", "no --older-than and no retention in the config");
    }
    int64_t now = (int64_t)time(NULL);
    if (now_s) {
        int32_t ns;
        if (fl_time_parse_rfc3339(now_s, strlen(now_s), &now, &ns) != FL_OK)
            return cli_usage_error("prune", "--now takes an RFC 3339 time");
    }
    if (fl_prune_run(home, days, now, dry, on_partition, &dry, &err) != FL_OK) {
        cli_err("prune failed: %s", err.msg);
        return FL_EXIT_INTERNAL;
    }
    return FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_prune = {
    "prune", "delete partitions past retention", prune_main,
    "usage: flowsift prune [--older-than Nd] [--dry-run] [--now RFC3339] [--home DIR]\n"
    "Deletes every partition whose date folder is more than N days before today\n"
    "(UTC; default N: storage.retention_days of the config), and its ledger\n"
    "entries.  Whole partitions only; partitions without a date are kept.\n"
    "--now sets 'today' (tests).  Each partition disappears in one rename.\n",
    26};
