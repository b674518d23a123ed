/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qbatch.c - runs many queries in one process for the differential test
 * (tests/query/diff.t.sh): reads one query per line from FILE and prints one
 * JSON line per query, {"rows":[[cell,...],...]} with every cell as text
 * (null for NULL) or {"error":"message"}.
 *   qbatch HOME FILE [THREADS]
 * With THREADS = 2 the scan is split between two threads even for small
 * datasets (parallel_min_rows = 1), which exercises the merge paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/fl.h"
#include "fl/fl_query.h"

static void jstr(const char *s, size_t n)
{
    char buf[8192];
    size_t k = fl_json_escape(s, n, buf, sizeof buf);
    putchar('"');
    fwrite(buf, 1, k < sizeof buf ? k : sizeof buf - 1, stdout);
    putchar('"');
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: qbatch HOME FILE [THREADS]\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = argv[1];
    o.now_set = true;
    o.now_us = 1714780800000000LL;
    o.threads = argc == 4 ? (int)strtol(argv[3], NULL, 10) : 1;
    if (o.threads > 1)
        o.parallel_min_rows = 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n == 0)
            continue;
        struct fl_error err;
        fl_query_result *r = NULL;
        if (fl_query_run(line, &o, &r, &err) != FL_OK) {
            fputs("{\"error\":", stdout);
            jstr(err.msg, strlen(err.msg));
            fputs("}\n", stdout);
            continue;
        }
        fputs("{\"rows\":[", stdout);
        char buf[1024];
        for (size_t i = 0; i < fl_query_result_rows(r); i++) {
            fputs(i ? ",[" : "[", stdout);
            for (int c = 0; c < fl_query_result_cols(r); c++) {
                struct fl_qcell cell;
                fl_query_result_cell(r, i, c, &cell);
                if (c)
                    putchar(',');
                if (cell.type == FL_QT_NULL) {
                    fputs("null", stdout);
                } else if (cell.type == FL_QT_VARCHAR) {
                    jstr(cell.s.p, cell.s.n);
                } else {
                    size_t k = fl_query_cell_format(&cell, buf, sizeof buf);
                    jstr(buf, k < sizeof buf ? k : sizeof buf - 1);
                }
            }
            putchar(']');
        }
        fputs("]}\n", stdout);
        fl_query_result_free(r);
    }
    free(line);
    fclose(f);
    return 0;
}
