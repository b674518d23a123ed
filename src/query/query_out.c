/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_out.c - prints a query result as an aligned table, CSV (RFC 4180,
 * header first, NULL as an empty field), a JSON array of objects or NDJSON
 * (NULL as null, numbers and booleans unquoted), and writes it as Parquet
 * through the store writer when the result columns are catalog columns.
 */
#include <math.h>

#include "query/query_int.h"
#include "fl/fl_store.h"

static void cell(const fl_query_result *r, size_t row, int col, struct fl_qcell *c)
{
    fl_query_result_cell(r, row, col, c);
}

static size_t fmt(const struct fl_qcell *c, char *buf, size_t cap)
{
    size_t n = fl_query_cell_format(c, buf, cap);
    return n < cap ? n : cap - 1;
}

int fl_query_cell_json(struct fl_buf *b, const struct fl_qcell *c)
{
    char tmp[128];
    switch (c->type) {
    case FL_QT_NULL: return fl_buf_puts(b, "null");
    case FL_QT_BOOL: return fl_buf_puts(b, c->i ? "true" : "false");
    case FL_QT_BIGINT: return fl_buf_printf(b, "%lld", (long long)c->i);
    case FL_QT_DOUBLE:
        if (!isfinite(c->d))
            return fl_buf_puts(b, "null");
        return fl_buf_add(b, tmp, fmt(c, tmp, sizeof tmp));
    case FL_QT_VARCHAR: return fl_json_append_str(b, c->s.p ? c->s.p : "", c->s.n);
    default: return fl_json_append_str(b, tmp, fmt(c, tmp, sizeof tmp));
    }
}

static void json_str(FILE *f, const char *s, size_t n)
{
    char buf[4096];
    fputc('"', f);
    size_t k = fl_json_escape(s, n, buf, sizeof buf);
    if (k < sizeof buf) {
        fwrite(buf, 1, k, f);
    } else {
        char *big = fl_malloc(k + 1);
        if (big) {
            fl_json_escape(s, n, big, k + 1);
            fwrite(big, 1, k, f);
            fl_free(big);
        }
    }
    fputc('"', f);
}

static void json_row(FILE *f, const fl_query_result *r, size_t row, char *buf, size_t cap)
{
    fputc('{', f);
    for (int c = 0; c < fl_query_result_cols(r); c++) {
        struct fl_qcell v;
        cell(r, row, c, &v);
        if (c)
            fputc(',', f);
        const char *nm = fl_query_result_name(r, c);
        json_str(f, nm, strlen(nm));
        fputc(':', f);
        switch (v.type) {
        case FL_QT_NULL: fputs("null", f); break;
        case FL_QT_BOOL: fputs(v.i ? "true" : "false", f); break;
        case FL_QT_BIGINT: fprintf(f, "%lld", (long long)v.i); break;
        case FL_QT_DOUBLE:
            if (isfinite(v.d)) {
                fwrite(buf, 1, fmt(&v, buf, cap), f);
                break;
            }
            /* NaN/Infinity as strings */
            __attribute__((fallthrough));
        default: {
            size_t n = fl_query_cell_format(&v, buf, cap);
            if (v.type == FL_QT_VARCHAR)
                json_str(f, v.s.p, v.s.n);
            else
                json_str(f, buf, n < cap ? n : cap - 1);
        }
        }
    }
    fputc('}', f);
}

int fl_query_result_print(const fl_query_result *r, FILE *f, enum fl_out_format format)
{
    char buf[512];
    int nc = fl_query_result_cols(r);
    size_t nr = fl_query_result_rows(r);
    switch (format) {
    case FL_OUT_CSV:
        for (int c = 0; c < nc; c++) {
            if (c)
                fputc(',', f);
            fl_csv_write(f, fl_query_result_name(r, c), strlen(fl_query_result_name(r, c)));
        }
        fputc('\n', f);
        for (size_t i = 0; i < nr; i++) {
            for (int c = 0; c < nc; c++) {
                struct fl_qcell v;
                cell(r, i, c, &v);
                if (c)
                    fputc(',', f);
                if (v.type == FL_QT_VARCHAR)
                    fl_csv_write(f, v.s.p, v.s.n);
                else
                    fl_csv_write(f, buf, fmt(&v, buf, sizeof buf));
            }
            fputc('\n', f);
        }
        break;
    case FL_OUT_NDJSON:
        for (size_t i = 0; i < nr; i++) {
            json_row(f, r, i, buf, sizeof buf);
            fputc('\n', f);
        }
        break;
    case FL_OUT_JSON:
        fputc('[', f);
        for (size_t i = 0; i < nr; i++) {
            if (i)
                fputc(',', f);
            fputc('\n', f);
            json_row(f, r, i, buf, sizeof buf);
        }
        fputs(nr ? "\n]\n" : "]\n", f);
        break;
    case FL_OUT_TABLE:
    default: {
        size_t *w = fl_calloc((size_t)nc + 1, sizeof *w);
        if (!w)
            return FL_ENOMEM;
        for (int c = 0; c < nc; c++)
            w[c] = strlen(fl_query_result_name(r, c));
        for (size_t i = 0; i < nr; i++)
            for (int c = 0; c < nc; c++) {
                struct fl_qcell v;
                cell(r, i, c, &v);
                size_t n = v.type == FL_QT_VARCHAR ? v.s.n : v.type == FL_QT_NULL ? 4 : fmt(&v, buf, sizeof buf);
                if (n > 200)
                    n = 200;
                if (n > w[c])
                    w[c] = n;
            }
        for (int c = 0; c < nc; c++)
            fprintf(f, "%s%-*s", c ? " | " : "", (int)w[c], fl_query_result_name(r, c));
        fputc('\n', f);
        for (int c = 0; c < nc; c++) {
            fputs(c ? "-+-" : "", f);
            for (size_t k = 0; k < w[c]; k++)
                fputc('-', f);
        }
        fputc('\n', f);
        for (size_t i = 0; i < nr; i++) {
            for (int c = 0; c < nc; c++) {
                struct fl_qcell v;
                cell(r, i, c, &v);
                const char *s = buf;
                size_t n;
                if (v.type == FL_QT_VARCHAR) {
                    s = v.s.p;
                    n = v.s.n;
                } else if (v.type == FL_QT_NULL) {
                    s = "NULL";
                    n = 4;
                } else {
                    n = fmt(&v, buf, sizeof buf);
                }
                if (n > 200)
                    n = 200;
                bool right = v.type == FL_QT_BIGINT || v.type == FL_QT_DOUBLE;
                fputs(c ? " | " : "", f);
                if (right)
                    fprintf(f, "%*s%.*s", (int)(w[c] - n), "", (int)n, s);
                else if (c + 1 < nc)
                    fprintf(f, "%.*s%*s", (int)n, s, (int)(w[c] - n), "");
                else
                    fprintf(f, "%.*s", (int)n, s);
            }
            fputc('\n', f);
        }
        fprintf(f, "(%zu row%s)\n", nr, nr == 1 ? "" : "s");
        fl_free(w);
        break;
    }
    }
    return ferror(f) ? FL_EIO : FL_OK;
}

int fl_query_result_write_parquet(const fl_query_result *r, const char *path, struct fl_error *err)
{
    int nc = fl_query_result_cols(r);
    int map[FL_NCOLS];
    if (nc > FL_NCOLS)
        return fl_error_set(err, FL_EUNSUPPORTED, "too many columns for a flow-record Parquet file");
    for (int c = 0; c < nc; c++) {
        const char *nm = fl_query_result_name(r, c);
        int col = fl_field_lookup(nm, strlen(nm));
        enum fl_qtype t = fl_query_result_type(r, c);
        if (col < 0)
            return fl_error_set(err, FL_EUNSUPPORTED,
                                "column \"%s\" is not a flow-record column: --out FILE.parquet writes "
                                "the catalog's columns only (alias it to a catalog name, or use --format csv)",
                                nm);
        if (fl_fields[col].type != FL_STR && t != FL_QT_BIGINT && t != FL_QT_NULL && t != FL_QT_BOOL)
            return fl_error_set(err, FL_EUNSUPPORTED, "column \"%s\" is %s in the result but an integer in "
                                "the catalog", nm, fl__qtype_name(t));
        for (int k = 0; k < c; k++)
            if (map[k] == col)
                return fl_error_set(err, FL_EUNSUPPORTED, "column \"%s\" appears twice", nm);
        map[c] = col;
    }
    struct fl_pq_write_opts o;
    fl_pq_write_opts_default(&o);
    fl_pq_writer *w = NULL;
    FL_TRY(fl_pq_writer_open(&w, path, &o, err));
    struct fl_batch *b = fl_batch_new(FL_BATCH_ROWS);
    if (!b) {
        fl_pq_writer_abort(w);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    int rc = FL_OK;
    char buf[512];
    size_t nr = fl_query_result_rows(r);
    for (size_t i = 0; i < nr && rc == FL_OK; i++) {
        if (fl_batch_full(b) || b->arena_len > (32u << 20)) {
            rc = fl_pq_writer_add(w, b, NULL, 0, err);
            fl_batch_reset(b);
            if (rc < 0)
                break;
        }
        int row = fl_batch_add_row(b);
        for (int c = 0; c < nc && rc == FL_OK; c++) {
            struct fl_qcell v;
            fl_query_result_cell(r, i, c, &v);
            if (v.type == FL_QT_NULL)
                continue;
            if (fl_fields[map[c]].type == FL_STR) {
                if (v.type == FL_QT_VARCHAR)
                    rc = fl_set_str(b, map[c], (uint32_t)row, v.s.p, v.s.n);
                else
                    rc = fl_set_str(b, map[c], (uint32_t)row, buf, fmt(&v, buf, sizeof buf));
                if (rc < 0)
                    rc = fl_error_set(err, rc, "string too large for a record batch");
            } else {
                fl_set_i64(b, map[c], (uint32_t)row, v.i);
            }
        }
    }
    if (rc == FL_OK && b->n)
        rc = fl_pq_writer_add(w, b, NULL, 0, err);
    fl_batch_free(b);
    if (rc < 0) {
        fl_pq_writer_abort(w);
        return rc;
    }
    return fl_pq_writer_close(w, err);
}
