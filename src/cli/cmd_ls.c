/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_ls.c - `flowsift ls [--files]`: the dataset's partitions (files,
 * bytes) or files, as readers see them (hidden and private names skipped).
 */
#include <string.h>

#include "cli.h"
#include "fl/fl_dataset.h"

struct lsc {
    bool files;
    char part[1024];
    unsigned long long n, bytes, tn, tbytes, parts;
};

static void flush_part(struct lsc *c)
{
    if (c->part[0] && !c->files)
        printf("%-90s %6llu files %12llu bytes\n", c->part, c->n, c->bytes);
    c->n = c->bytes = 0;
}

static int ls_cb(void *ctx, const struct fl_dataset_file *f)
{
    struct lsc *c = ctx;
    if (strcmp(c->part, f->partition) != 0) {
        flush_part(c);
        snprintf(c->part, sizeof c->part, "%s", f->partition);
        c->parts++;
    }
    if (c->files)
        printf("%s %llu\n", f->path, (unsigned long long)f->bytes);
    c->n++;
    c->bytes += f->bytes;
    c->tn++;
    c->tbytes += f->bytes;
    return 0;
}

static int ls_main(int argc, char **argv)
{
    struct lsc c = {0};
    const char *home = cli_home();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--files") == 0)
            c.files = true;
        else if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
            home = argv[++i];
        else
            return cli_usage_error("ls", "unknown argument '%s'", argv[i]);
    }
    struct fl_error err = {0};
    if (fl_dataset_list(home, ls_cb, &c, &err) != FL_OK) {
        cli_err("%s", err.msg);
        return FL_EXIT_INPUT;
    }
    flush_part(&c);
    printf("total: %llu partitions, %llu files, %llu bytes\n", c.parts, c.tn, c.tbytes);
    return FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_ls = {
    "ls", "list the dataset's partitions and files", ls_main,
    "usage: flowsift ls [--files] [--home DIR]\n"
    "Lists the partitions of $FLOWSIFT_HOME/data (files and bytes each), or\n"
    "every file with --files, as readers see them.\n",
    27};
