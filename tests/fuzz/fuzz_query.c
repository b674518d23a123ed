/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_query.c - libFuzzer target for the SQL front end (lexer, parser,
 * resolver) and the evaluator on FROM-less queries.  The input is the query
 * text; the dataset home does not exist, so table scans are empty.
 * Invariants: no crash, memory bounded by a 64 MB budget, and every query
 * error (FL_EPARSE / FL_EINVAL) carries a position: a 1-based line and
 * column inside the text, rendered by fl_query_caret with a caret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fl/fl_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *sql = malloc(size + 1);
    if (!sql)
        return 0;
    memcpy(sql, data, size);
    sql[size] = 0;
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = "/nonexistent-flowsift-fuzz";
    o.memory = 64u << 20;
    o.now_set = true;
    o.now_us = 1714521600000000LL;
    struct fl_error err;
    fl_query_result *r = NULL;
    int rc = fl_query_run(sql, &o, &r, &err);
    if (rc == FL_OK) {
        if (!r)
            abort();
        size_t rows = fl_query_result_rows(r);
        int cols = fl_query_result_cols(r);
        char buf[128];
        for (size_t i = 0; i < rows && i < 16; i++)
            for (int c = 0; c < cols; c++) {
                struct fl_qcell cell;
                fl_query_result_cell(r, i, c, &cell);
                fl_query_cell_format(&cell, buf, sizeof buf);
            }
        fl_query_result_free(r);
    } else {
        if (r)
            abort();
        if (rc != err.rc || err.msg[0] == 0)
            abort();
        if (rc == FL_EPARSE || rc == FL_EINVAL) {
            /* a positioned error: line/column inside the text */
            size_t lines = 1;
            for (size_t i = 0; i < size; i++)
                lines += sql[i] == '\n';
            if (err.line < 1 || err.line > lines || err.offset < 1 || err.offset > size + 1)
                abort();
            if (strncmp(err.msg, "line ", 5) != 0)
                abort();
            char caret[1024];
            if (fl_query_caret(sql, &err, caret, sizeof caret) == 0 || !strchr(caret, '^'))
                abort();
        }
    }
    free(sql);
    return 0;
}
