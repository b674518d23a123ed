/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_cat.c - `flowsift cat PATH...`: parse inputs (files, folders, "-")
 * and print the normalized records, without storing anything.  It is the
 * inspection tool for every format: `--stats` prints per input and in total
 * what was read, parsed and rejected (by reason, with file:line samples),
 * the health rows, and the peak RSS; `--rejects FILE` keeps every rejected
 * line whole; `--strict` stops at the first bad record.  An input that
 * fails (unreadable, truncated gzip, binary) gets a one-line error naming
 * it, the others go on, and the exit status is 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

struct cat {
    struct fl_read_opts ro;
    struct fl_record_writer *w;
    struct fl_batch *b;
    FILE *rejects;
    bool stats;
    bool failed;
    bool stop;
    uint64_t limit;     /* 0 = no limit */
    uint64_t printed;
    unsigned n_inputs;
    struct fl_ingest_stats total;
};

static void on_reject(void *ctx, const char *source, uint64_t line, enum fl_reject reason,
                      const char *text, size_t n)
{
    struct cat *c = ctx;
    (void)source;
    (void)line;
    (void)reason;
    if (c->rejects) {
        fwrite(text, 1, n, c->rejects);
        fputc('\n', c->rejects);
    }
}

static void print_stats(const char *label, const char *name, const char *fmt,
                        const struct fl_ingest_stats *s)
{
    fprintf(stderr, "%s %s", label, name);
    if (fmt)
        fprintf(stderr, " format=%s", fmt);
    fprintf(stderr,
            " bytes_in=%llu bytes=%llu lines=%llu headers=%llu blank=%llu"
            " records_read=%llu records_parsed=%llu records_rejected=%llu",
            (unsigned long long)s->bytes_in, (unsigned long long)s->bytes,
            (unsigned long long)s->lines, (unsigned long long)s->headers,
            (unsigned long long)s->blank, (unsigned long long)s->records_read,
            (unsigned long long)s->records_parsed, (unsigned long long)s->records_rejected);
    for (int i = 0; i < FL_REJ__COUNT; i++)
        if (s->rejected[i])
            fprintf(stderr, " rejected.%s=%llu", fl_reject_name((enum fl_reject)i),
                    (unsigned long long)s->rejected[i]);
    fprintf(stderr,
            " nodata=%llu skipdata=%llu flows=%llu updates=%llu denies=%llu"
            " skipped_messages=%llu\n",
            (unsigned long long)s->nodata, (unsigned long long)s->skipdata,
            (unsigned long long)s->flows, (unsigned long long)s->updates,
            (unsigned long long)s->denies, (unsigned long long)s->skipped_messages);
}

static void print_samples(const char *name, const struct fl_ingest_stats *s)
{
    for (unsigned i = 0; i < s->n_samples; i++)
        fprintf(stderr, "  %s:%llu: %s: %s\n", name, (unsigned long long)s->samples[i].line,
                fl_reject_name(s->samples[i].reason), s->samples[i].text);
}

static int cat_one(void *ctx, const char *path, int rc, const struct fl_error *werr)
{
    struct cat *c = ctx;
    if (c->stop)
        return 1;
    if (rc != 0) {
        cli_err("%s", werr ? werr->msg : path);
        c->failed = true;
        return 0;
    }
    c->n_inputs++;
    struct fl_error err;
    fl_error_clear(&err);
    fl_reader *r = NULL;
    if (fl_reader_open(&r, path, &c->ro, &err) < 0) {
        cli_err("%s", err.msg);
        c->failed = true;
        if (c->stats)
            fprintf(stderr, "input %s failed\n", strcmp(path, "-") == 0 ? "(stdin)" : path);
        return 0;
    }
    int n;
    for (;;) {
        n = fl_reader_next(r, c->b, &err);
        if (c->b->n > 0) {
            if (c->limit && c->printed + c->b->n > c->limit)
                c->b->n = (uint32_t)(c->limit - c->printed);
            c->printed += c->b->n;
            if (fl_record_writer_batch(c->w, c->b) < 0) {
                cli_err("cannot write the output");
                c->failed = true;
                c->stop = true;
                break;
            }
            fl_batch_reset(c->b);
            if (c->limit && c->printed >= c->limit) {
                c->stop = true;
                break;
            }
        }
        if (n <= 0)
            break;
    }
    const struct fl_ingest_stats *s = fl_reader_stats(r);
    if (n < 0) {
        cli_err("%s", err.msg);
        c->failed = true;
        if (n == FL_EPARSE && c->ro.strict)
            c->stop = true;
    }
    const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
    if (c->stats) {
        print_stats("input", name, fl_reader_format(r), s);
        print_samples(name, s);
    } else if (s->records_rejected && s->n_samples) {
        /* one line per input with bad records, even without --stats */
        fprintf(stderr, "flowsift: %s: %llu of %llu records rejected (first: line %llu: %s)\n",
                name, (unsigned long long)s->records_rejected,
                (unsigned long long)s->records_read, (unsigned long long)s->samples[0].line,
                fl_reject_name(s->samples[0].reason));
    }
    fl_ingest_stats_add(&c->total, s);
    fl_reader_close(r);
    return 0;
}

static int parse_columns(const char *list, int *cols, int max)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) {
            int col = fl_field_lookup(p, len);
            if (col < 0 || n >= max)
                return -1 - (int)(p - list);
            cols[n++] = col;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

static int cat_main(int argc, char **argv)
{
    struct cat c;
    memset(&c, 0, sizeof c);
    enum fl_out_format fmt = FL_OUT_NDJSON;
    const char *rejects_path = NULL, *columns = NULL;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    int n_paths = 0;
    if (!paths)
        return FL_EXIT_INTERNAL;
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
            paths[n_paths++] = a;
        } else if (strcmp(a, "--") == 0) {
            dashdash = true;
        } else if (strcmp(a, "--format") == 0 && has_val) {
            if (fl_out_format_parse(argv[++i], &fmt) != FL_OK) {
                free(paths);
                return cli_usage_error("cat", "unknown output format '%s'", argv[i]);
            }
        } else if (strcmp(a, "--stats") == 0) {
            c.stats = true;
        } else if (strcmp(a, "--strict") == 0) {
            c.ro.strict = true;
        } else if (strcmp(a, "--rejects") == 0 && has_val) {
            rejects_path = argv[++i];
        } else if (strcmp(a, "--aws-format") == 0 && has_val) {
            c.ro.aws_format = argv[++i];
        } else if (strcmp(a, "--input-format") == 0 && has_val) {
            c.ro.format = argv[++i];
        } else if (strcmp(a, "--columns") == 0 && has_val) {
            columns = argv[++i];
        } else if (strcmp(a, "--line-cap") == 0 && has_val) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || v == 0) {
                free(paths);
                return cli_usage_error("cat", "bad --line-cap '%s'", argv[i]);
            }
            c.ro.line_cap = (size_t)v;
        } else if (strcmp(a, "--limit") == 0 && has_val) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || argv[i][0] == '-') {
                free(paths);
                return cli_usage_error("cat", "bad --limit '%s'", argv[i]);
            }
            c.limit = v;
            if (v == 0)
                c.stop = true;
        } else {
            free(paths);
            return cli_usage_error("cat", "unknown or incomplete option '%s'", a);
        }
    }
    if (n_paths == 0) {
        free(paths);
        return cli_usage_error("cat", "no input (give files, folders or '-')");
    }
    int cols[FL_NCOLS], n_cols = 0;
    if (columns) {
        n_cols = parse_columns(columns, cols, FL_NCOLS);
        if (n_cols <= 0) {
            free(paths);
            return cli_usage_error("cat", "unknown column in --columns '%s' (see 'flowsift fields')",
                                   columns);
        }
    }
    if (rejects_path) {
        c.rejects = fopen(rejects_path, "w");
        if (!c.rejects) {
            cli_err("%s: cannot write: %s", rejects_path, strerror(errno));
            free(paths);
            return FL_EXIT_USAGE;
        }
    }
    c.ro.on_reject = on_reject;
    c.ro.reject_ctx = &c;
    c.b = fl_batch_new(0);
    c.w = fl_record_writer_new(stdout, fmt, n_cols ? cols : NULL, n_cols, false);
    if (!c.b || !c.w) {
        cli_err("out of memory");
        free(paths);
        return FL_EXIT_INTERNAL;
    }
    if (!c.stop)
        fl_walk(paths, n_paths, cat_one, &c);
    fl_record_writer_finish(c.w);
    fflush(stdout);
    if (c.stats) {
        print_stats("total", "-", NULL, &c.total);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "inputs=%u failed=%s peak_rss_kb=%ld\n", c.n_inputs,
                c.failed ? "yes" : "no", ru.ru_maxrss);
    }
    if (c.rejects && fclose(c.rejects) != 0) {
        cli_err("%s: write failed", rejects_path);
        c.failed = true;
    }
    fl_record_writer_free(c.w);
    fl_batch_free(c.b);
    free(paths);
    return c.failed ? FL_EXIT_INPUT : FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_cat = {
    "cat", "parse inputs and print normalized records (no storage)", cat_main,
    "usage: flowsift cat PATH... [options]\n"
    "Parses files, folders (walked recursively, sorted; names starting with '.'\n"
    "or '_' skipped) and '-' (stdin), plain or gzip, in any supported format\n"
    "(sniffed from the content), and prints the normalized records.\n"
    "options:\n"
    "  --format ndjson|csv|table|json   output format (default ndjson)\n"
    "  --columns a,b,c       print only these columns (see 'flowsift fields')\n"
    "  --limit N             stop after N records\n"
    "  --stats               print per-input and total statistics to stderr:\n"
    "                        bytes, lines, headers, blank, records read/parsed/\n"
    "                        rejected (by reason), NODATA/SKIPDATA, Azure flows/\n"
    "                        updates/denies, skipped messages, reject samples\n"
    "                        (file:line: reason: text) and peak RSS\n"
    "  --rejects FILE        write every rejected record's whole line to FILE\n"
    "  --strict              the first bad record is an error (exit 2)\n"
    "  --aws-format FMT      layout of header-less AWS text: '${version} ${srcaddr} ...'\n"
    "                        or 'default' (v2) or 'tgw-default'\n"
    "  --input-format NAME   force an input format (aws-vpc, aws-cwl, ...)\n"
    "  --line-cap BYTES      longest accepted line (default 1 MiB)\n"
    "Exit status: 0 ok, 2 usage error or an input failed.\n",
    10};
