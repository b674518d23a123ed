/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_query.c - `flowsift query "SQL"`: runs a Trino/Athena-style query over
 * the local dataset ($FLOWSIFT_HOME/data) and prints the rows (table, csv,
 * json, ndjson) or writes them as Parquet (--out FILE.parquet).  Query
 * errors print the message, the query line and a caret under the position.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fl/fl_query.h"

/* Parse --now: a Unix time in seconds, a date, or a timestamp text. */
static int parse_now(const char *s, int64_t *us)
{
    int64_t sec;
    int32_t ns;
    if (fl_parse_i64(s, strlen(s), &sec) == FL_OK) {
        *us = sec * 1000000LL;
        return FL_OK;
    }
    if (fl_time_parse_rfc3339(s, strlen(s), &sec, &ns) == FL_OK) {
        *us = sec * 1000000LL + ns / 1000;
        return FL_OK;
    }
    unsigned y, m, d, hh = 0, mm = 0, ss = 0;
    char sep;
    int k = sscanf(s, "%4u-%2u-%2u%c%2u:%2u:%2u", &y, &m, &d, &sep, &hh, &mm, &ss);
    if (k == 3 || k >= 6) {
        if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
            return FL_EINVAL;
        *us = ((fl_days_from_civil(y, m, d) * 86400LL) + hh * 3600 + mm * 60 + ss) * 1000000LL;
        return FL_OK;
    }
    return FL_EINVAL;
}

static int query_main(int argc, char **argv)
{
    enum fl_out_format fmt = FL_OUT_TABLE;
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = cli_home();
    const char *sql = NULL, *out = NULL, *file = NULL;
    const char *envnow = getenv("FLOWSIFT_NOW");
    if (envnow && *envnow) {
        if (parse_now(envnow, &o.now_us) != FL_OK)
            return cli_usage_error("query", "FLOWSIFT_NOW: cannot parse '%s'", envnow);
        o.now_set = true;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            if (fl_out_format_parse(argv[++i], &fmt) != FL_OK)
                return cli_usage_error("query", "unknown format '%s'", argv[i]);
        } else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(a, "--now") == 0 && i + 1 < argc) {
            if (parse_now(argv[++i], &o.now_us) != FL_OK)
                return cli_usage_error("query", "--now: cannot parse '%s' (Unix seconds or YYYY-MM-DD[ HH:MM:SS])",
                                       argv[i]);
            o.now_set = true;
        } else if (strcmp(a, "--memory") == 0 && i + 1 < argc) {
            if (fl_query_parse_size(argv[++i], &o.memory) != FL_OK || o.memory < (64u << 10))
                return cli_usage_error("query", "--memory: bad size '%s' (e.g. 512MB, 2GB)", argv[i]);
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            if (fl_query_parse_timeout(argv[++i], &o.timeout_ms) != FL_OK)
                return cli_usage_error("query", "--timeout: bad duration '%s' (e.g. 500ms, 30s, 5m; 0 = none)",
                                       argv[i]);
            o.timeout_hint = "query --timeout";
        } else if (strcmp(a, "--home") == 0 && i + 1 < argc) {
            o.home = argv[++i];
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            o.threads = (int)strtol(argv[++i], NULL, 10);
        } else if (strcmp(a, "--file") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (a[0] == '-' && a[1] == '-' && !strpbrk(a, " \t\n")) {
            return cli_usage_error("query", "unknown option '%s'", a);
        } else if (!sql) {
            sql = a;
        } else {
            return cli_usage_error("query", "one query at a time (quote the SQL)");
        }
    }
    char *text = NULL;
    if (file) {
        FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
        if (!f) {
            cli_err("cannot open %s", file);
            return FL_EXIT_INPUT;
        }
        size_t cap = 1 << 16, n = 0;
        text = malloc(cap);
        while (text) {
            size_t k = fread(text + n, 1, cap - n - 1, f);
            n += k;
            if (k == 0)
                break;
            if (n + 1 == cap) {
                if (cap >= (1u << 20))
                    break;
                char *t = realloc(text, cap * 2);
                if (!t) {
                    free(text);
                    text = NULL;
                    break;
                }
                text = t;
                cap *= 2;
            }
        }
        if (f != stdin)
            fclose(f);
        if (!text) {
            cli_err("out of memory");
            return FL_EXIT_INTERNAL;
        }
        text[n] = 0;
        sql = text;
    }
    if (!sql)
        return cli_usage_error("query", "missing the query (flowsift query \"SELECT ...\")");
    struct fl_error err;
    fl_error_clear(&err);
    fl_query_result *r = NULL;
    int rc = fl_query_run(sql, &o, &r, &err);
    if (rc != FL_OK) {
        fprintf(stderr, "flowsift query: %s\n", err.msg);
        char caret[1024];
        if (fl_query_caret(sql, &err, caret, sizeof caret) > 0)
            fprintf(stderr, "%s\n", caret);
        free(text);
        return rc == FL_EINTERNAL ? FL_EXIT_INTERNAL : FL_EXIT_INPUT;
    }
    if (out) {
        rc = fl_query_result_write_parquet(r, out, &err);
        if (rc != FL_OK)
            fprintf(stderr, "flowsift query: %s\n", err.msg);
        else if (cli_tty())
            fprintf(stderr, "wrote %zu rows to %s\n", fl_query_result_rows(r), out);
    } else {
        rc = fl_query_result_print(r, stdout, fmt);
        fflush(stdout);
    }
    fl_query_result_free(r);
    free(text);
    return rc == FL_OK ? FL_EXIT_OK : FL_EXIT_INPUT;
}

const struct fl_cmd fl_cmd_query = {
    "query", "Trino/Athena-compatible SQL over the local dataset", query_main,
    "usage: flowsift query [options] \"SQL\"\n"
    "       flowsift query [options] --file FILE.sql\n"
    "Runs a SELECT over the dataset in $FLOWSIFT_HOME (tables: flows, vpc_flow_logs).\n"
    "The dialect is a Trino/Athena subset: docs/query.md.  EXPLAIN SELECT ... prints the\n"
    "plan and what partition/row-group pruning skipped.\n"
    "options:\n"
    "  --format table|csv|json|ndjson   output format (default table)\n"
    "  --out FILE.parquet               write the rows as Parquet (catalog columns only)\n"
    "  --now TIME                       fix the clock for current_date/now() (Unix seconds or\n"
    "                                   YYYY-MM-DD[ HH:MM:SS]); also FLOWSIFT_NOW\n"
    "  --memory SIZE                    memory budget (default 2GB), e.g. 512MB\n"
    "  --threads 1|2                    scan threads (default 2)\n"
    "  --timeout DURATION               stop the query after this long (e.g. 500ms, 30s, 5m;\n"
    "                                   default none); exit status 2 and a message\n"
    "  --home DIR                       dataset root (default $FLOWSIFT_HOME or ./flowsift-data)\n"
    "  --file FILE                      read the query from FILE ('-' = stdin)\n",
    30};
