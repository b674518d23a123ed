/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_ingest.c - `flowsift ingest PATH...`: turn inputs (files, folders in
 * S3/Blob layouts, "-") into the Parquet dataset under $FLOWSIFT_HOME, with
 * the ingest ledger making re-runs idempotent.  Prints one line per input
 * object (status, format, records read/stored/rejected) and a total line;
 * exit status 2 when an input failed (the others are still ingested).
 * On a terminal (stderr a tty, not --quiet) a progress line shows objects
 * done/total, records and input MB/s; it is never printed when piped.
 * FLOWSIFT_CRASH_AT=<point>:<n> kills the process with SIGKILL at the n-th
 * time the pipeline passes a named point (crash-safety tests).
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fl/fl_config.h"
#include "fl/fl_dataset.h"

struct ing {
    FILE *rejects;
    bool quiet;
    bool dry_run;
    char crash_point[64];
    long crash_n;
    bool progress_shown; /* a progress line is on the terminal */
};

/* The progress line on a terminal (stderr is a tty and not --quiet). */
static void on_progress(void *ctx, const struct fl_ingest_progress *p)
{
    struct ing *g = ctx;
    double mb = (double)p->bytes_in / 1e6;
    fprintf(stderr, "\r\033[Kingest: %llu/%llu objects, %.2f M records, %.1f MB read, %.1f MB/s",
            (unsigned long long)p->objects_done, (unsigned long long)p->objects_total,
            (double)p->records / 1e6, mb, p->seconds > 0 ? mb / p->seconds : 0.0);
    fflush(stderr);
    g->progress_shown = true;
}

static void progress_clear(struct ing *g)
{
    if (g->progress_shown) {
        fputs("\r\033[K", stderr);
        g->progress_shown = false;
    }
}

static void on_reject(void *ctx, const char *source, uint64_t line, enum fl_reject reason,
                      const char *text, size_t n)
{
    struct ing *g = ctx;
    (void)source;
    (void)line;
    (void)reason;
    if (g->rejects) {
        fwrite(text, 1, n, g->rejects);
        fputc('\n', g->rejects);
    }
}

static void on_point(void *ctx, const char *point)
{
    struct ing *g = ctx;
    if (g->crash_n > 0 && strcmp(point, g->crash_point) == 0 && --g->crash_n == 0) {
        fflush(stdout);
        kill(getpid(), SIGKILL);
    }
}

static void on_object(void *ctx, const struct fl_ingest_result *r)
{
    struct ing *g = ctx;
    progress_clear(g);
    if (r->status == FL_ST_FAILED && r->error)
        fprintf(stderr, "flowsift: %s: %s\n", r->name, r->error->msg);
    if (g->quiet)
        return;
    if (g->dry_run) {
        printf("%-9s %-10s %s\n",
               r->status == FL_ST_SKIPPED   ? "skip"
               : r->status == FL_ST_FAILED ? "failed"
                                           : "ingest",
               r->why ? r->why : "", r->name);
        return;
    }
    printf("%-8s %-12s read=%llu stored=%llu rejected=%llu %s\n",
           fl_obj_status_name(r->status), r->format && *r->format ? r->format : "-",
           (unsigned long long)r->records_read, (unsigned long long)r->records_stored,
           (unsigned long long)r->records_rejected, r->name);
    fflush(stdout);
}

static int ingest_main(int argc, char **argv)
{
    struct ing g = {0};
    struct fl_ingest_opts o = {0};
    /* Fresh pages are expensive (page faults cost ~11 us per 4 KiB on the
     * VMs we measure on): keep freed writer buffers in the heap for the
     * next partition file instead of unmapping and faulting them again. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    const char *home = cli_home(), *rejects = NULL, *config = NULL;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    int n_paths = 0;
    if (!paths)
        return FL_EXIT_INTERNAL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(a, "--dry-run") == 0)
            o.dry_run = true;
        else if (strcmp(a, "--strict") == 0)
            o.strict = true;
        else if (strcmp(a, "--no-enrich") == 0)
            o.no_enrich = true;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            g.quiet = true;
        else if (strcmp(a, "--format") == 0 && more)
            o.format = argv[++i];
        else if (strcmp(a, "--aws-format") == 0 && more)
            o.aws_format = argv[++i];
        else if (strcmp(a, "--rejects") == 0 && more)
            rejects = argv[++i];
        else if (strcmp(a, "--home") == 0 && more)
            home = argv[++i];
        else if (strcmp(a, "--config") == 0 && more)
            config = argv[++i];
        else if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                paths[n_paths++] = argv[i];
        } else if (a[0] == '-' && a[1] != 0) {
            free(paths);
            return cli_usage_error("ingest", "unknown option '%s'", a);
        } else
            paths[n_paths++] = a;
    }
    if (n_paths == 0) {
        free(paths);
        return cli_usage_error("ingest", "no input given");
    }
    struct fl_error err = {0};
    fl_config *cfg = NULL;
    if (fl_config_load(&cfg, home, config, &err) != FL_OK) {
        cli_err("%s", err.msg);
        free(paths);
        return FL_EXIT_USAGE;
    }
    const struct fl_config_storage *stg = fl_config_storage(cfg);
    o.home = home;
    o.by_hour = stg->partition_by_hour;
    o.codec = stg->codec;
    o.row_group_rows = stg->row_group_rows;
    o.config = cfg;
    /* tuning knobs (tests, benchmarks) */
    const char *fr = getenv("FLOWSIFT_FILE_ROWS");
    if (fr && *fr)
        o.file_rows = strtoull(fr, NULL, 10);
    const char *sw = getenv("FLOWSIFT_SINGLE_WRITER");
    o.single_writer = sw && *sw == '1';
    const char *mw = getenv("FLOWSIFT_MAX_WRITERS");
    if (mw && *mw)
        o.max_writers = (int)strtol(mw, NULL, 10);
    const char *pe = getenv("FLOWSIFT_PROGRESS_EVERY"); /* seconds (tests) */
    if (pe && *pe)
        o.progress_every = strtod(pe, NULL);
    const char *ca = getenv("FLOWSIFT_CRASH_AT");
    if (ca && *ca) {
        const char *c = strchr(ca, ':');
        size_t n = c ? (size_t)(c - ca) : strlen(ca);
        if (n >= sizeof g.crash_point)
            n = sizeof g.crash_point - 1;
        memcpy(g.crash_point, ca, n);
        g.crash_n = c ? strtol(c + 1, NULL, 10) : 1;
    }
    g.dry_run = o.dry_run;
    if (rejects && !o.dry_run) {
        g.rejects = fopen(rejects, "w");
        if (!g.rejects) {
            cli_err("cannot write %s", rejects);
            fl_config_free(cfg);
            free(paths);
            return FL_EXIT_USAGE;
        }
    }
    o.on_object = on_object;
    o.on_reject = on_reject;
    o.on_point = on_point;
    if (cli_tty() && !g.quiet && !o.dry_run)
        o.on_progress = on_progress;
    o.ctx = &g;
    struct fl_ingest_totals t;
    int rc = fl_ingest_run(paths, n_paths, &o, &t, &err);
    progress_clear(&g);
    if (g.rejects)
        fclose(g.rejects);
    free(paths);
    fl_config_free(cfg);
    if (rc < 0) {
        cli_err("ingest failed: %s", err.msg);
        return FL_EXIT_INTERNAL;
    }
    if (o.dry_run)
        printf("total: %llu objects: %llu to ingest, %llu unchanged, %llu unreadable "
               "(dry run: nothing written)\n",
               (unsigned long long)t.objects,
               (unsigned long long)(t.new_objects + t.replaced + t.resumed),
               (unsigned long long)t.skipped, (unsigned long long)t.failed);
    else
        printf("total: %llu objects (%llu new, %llu replaced, %llu resumed, %llu skipped, "
               "%llu failed); records read %llu = stored %llu + rejected %llu; "
               "%llu files, %llu bytes\n",
               (unsigned long long)t.objects, (unsigned long long)t.new_objects,
               (unsigned long long)t.replaced, (unsigned long long)t.resumed,
               (unsigned long long)t.skipped, (unsigned long long)t.failed,
               (unsigned long long)t.records_read, (unsigned long long)t.records_stored,
               (unsigned long long)t.records_rejected, (unsigned long long)t.files_written,
               (unsigned long long)t.bytes_written);
    return t.failed ? FL_EXIT_INPUT : FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_ingest = {
    "ingest", "ingest flow logs into the Parquet dataset", ingest_main,
    "usage: flowsift ingest PATH... [options]\n"
    "Reads files, folders (S3 / Azure Blob layouts, walked in sorted order) or\n"
    "'-' (stdin), any format flowsift knows (auto-detected), and stores the\n"
    "records in $FLOWSIFT_HOME/data as Hive-partitioned Parquet\n"
    "(cloud=/account=/region=/date=[/hour=]).  The ingest ledger\n"
    "($FLOWSIFT_HOME/state.db) makes it idempotent: an unchanged object is\n"
    "skipped, a changed one replaces what it produced, a grown Azure blob is\n"
    "read from where the last run stopped, and an interrupted run is finished\n"
    "or rolled back by the next one.\n\n"
    "options:\n"
    "  --dry-run          say what would be ingested and why; write nothing\n"
    "  --format NAME      force the input format (see 'flowsift cat --help')\n"
    "  --aws-format F     fields of header-less AWS text ('${version} ...' or a name)\n"
    "  --rejects FILE     write every rejected record to FILE\n"
    "  --strict           the first bad record fails its object\n"
    "  --no-enrich        do not fill the enrichment columns\n"
    "  --home DIR         dataset home (default $FLOWSIFT_HOME or ./flowsift-data)\n"
    "  --config FILE      config file (default $home/flowsift.yaml)\n"
    "  --quiet            only the total line\n\n"
    "Output: one line per object: status (new, skipped, replaced, resumed,\n"
    "failed), format, read=N stored=N rejected=N, name; then a total line.\n"
    "On a terminal, a progress line on stderr (objects done/total, records,\n"
    "input MB and MB/s); none when stderr is not a terminal or with --quiet.\n"
    "Exit status: 0 ok, 2 if an input failed or on a usage error, 3 if the\n"
    "dataset could not be written.\n\n"
    "Environment (tuning and tests): FLOWSIFT_FILE_ROWS=N closes a partition\n"
    "file past N rows (default 4 row groups); FLOWSIFT_MAX_WRITERS=N caps the\n"
    "open partition writers (default 32); FLOWSIFT_SINGLE_WRITER=1 encodes on\n"
    "one thread only; FLOWSIFT_CRASH_AT=<point>:<n> kills\n"
    "the process at the n-th pass of a pipeline point (walk, batch, object,\n"
    "file, closed, T1, publish, before-T2) to test crash safety;\n"
    "FLOWSIFT_PROGRESS_EVERY=S seconds between progress lines (default 0.25).\n",
    20};
