/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ops_report.c - the small report type behind `flowsift health` and
 * `flowsift verify-change` (fl_ops.h): facts plus named tables copied from
 * query results or filled by hand, printed as an aligned table, CSV, NDJSON
 * or one JSON object (also the HTTP API's reply).  Tables are capped at
 * FL_TAB_MAX_ROWS rows; strings are copied and owned by the report.  Also
 * the time and duration parsers the operator commands share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/fl_common.h"
#include "fl/fl_ops.h"
#include "fl/fl_record.h"
#include "common/common_int.h"

void fl_report_init(struct fl_report *r, const char *title)
{
    memset(r, 0, sizeof *r);
    snprintf(r->title, sizeof r->title, "%s", title ? title : "");
}

static void cell_free(struct fl_qcell *c)
{
    if (c->type == FL_QT_VARCHAR)
        fl_free((void *)c->s.p);
    c->type = FL_QT_NULL;
}

void fl_report_free(struct fl_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_facts; i++)
        cell_free(&r->facts[i].v);
    for (int t = 0; t < r->n_tabs; t++) {
        struct fl_tab *tb = &r->tabs[t];
        for (size_t i = 0; i < tb->n_rows * (size_t)tb->n_cols; i++)
            cell_free(&tb->cells[i]);
        for (int c = 0; c < tb->n_cols; c++)
            fl_free(tb->cols[c]);
        fl_free(tb->cols);
        fl_free(tb->cells);
    }
    r->n_facts = r->n_tabs = 0;
}

/* Copy a cell; VARCHAR bytes are duplicated (NUL-terminated). */
static int cell_copy(struct fl_qcell *dst, const struct fl_qcell *src)
{
    *dst = *src;
    if (src->type != FL_QT_VARCHAR)
        return FL_OK;
    char *p = fl_malloc(src->s.n + 1);
    if (!p) {
        dst->type = FL_QT_NULL;
        return FL_ENOMEM;
    }
    if (src->s.n)
        memcpy(p, src->s.p, src->s.n);
    p[src->s.n] = 0;
    dst->s.p = p;
    return FL_OK;
}

static struct fl_fact *fact_new(struct fl_report *r, const char *key)
{
    if (r->n_facts >= FL_REPORT_MAX_FACTS)
        return NULL;
    struct fl_fact *f = &r->facts[r->n_facts++];
    memset(f, 0, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", key);
    return f;
}

int fl_report_fact_i64(struct fl_report *r, const char *key, int64_t v)
{
    struct fl_fact *f = fact_new(r, key);
    if (!f)
        return FL_ELIMIT;
    f->v.type = FL_QT_BIGINT;
    f->v.i = v;
    return FL_OK;
}

int fl_report_fact_str(struct fl_report *r, const char *key, const char *s)
{
    struct fl_fact *f = fact_new(r, key);
    if (!f)
        return FL_ELIMIT;
    struct fl_qcell c = {.type = FL_QT_VARCHAR, .s = {s, strlen(s)}};
    return cell_copy(&f->v, &c);
}

int fl_report_tab(struct fl_report *r, const char *name, int n_cols,
                  const char *const *cols, struct fl_tab **tab_out)
{
    *tab_out = NULL;
    if (r->n_tabs >= FL_REPORT_MAX_TABS || n_cols <= 0 || n_cols > 64)
        return FL_ELIMIT;
    struct fl_tab *t = &r->tabs[r->n_tabs];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->cols = fl_calloc((size_t)n_cols, sizeof *t->cols);
    if (!t->cols)
        return FL_ENOMEM;
    t->n_cols = n_cols;
    r->n_tabs++;
    for (int c = 0; c < n_cols; c++)
        if (!(t->cols[c] = fl_strdup(cols[c])))
            return FL_ENOMEM;
    *tab_out = t;
    return FL_OK;
}

int fl_tab_add(struct fl_tab *t, const struct fl_qcell *cells)
{
    if (t->n_rows >= FL_TAB_MAX_ROWS) {
        t->truncated = true;
        return FL_OK;
    }
    if (t->n_rows == t->cap_rows) {
        size_t nc = t->cap_rows ? t->cap_rows * 2 : 16;
        struct fl_qcell *p = fl_realloc(t->cells, nc * (size_t)t->n_cols * sizeof *p);
        if (!p)
            return FL_ENOMEM;
        t->cells = p;
        t->cap_rows = nc;
    }
    struct fl_qcell *row = &t->cells[t->n_rows * (size_t)t->n_cols];
    int rc = FL_OK;
    for (int c = 0; c < t->n_cols; c++)
        if (cell_copy(&row[c], &cells[c]) != FL_OK)
            rc = FL_ENOMEM;
    t->n_rows++;
    return rc;
}

int fl_report_tab_from_result(struct fl_report *r, const char *name,
                              const fl_query_result *res)
{
    int nc = fl_query_result_cols(res);
    const char *cols[64];
    if (nc <= 0 || nc > 64)
        return FL_ELIMIT;
    for (int c = 0; c < nc; c++)
        cols[c] = fl_query_result_name(res, c);
    struct fl_tab *t;
    FL_TRY(fl_report_tab(r, name, nc, cols, &t));
    struct fl_qcell row[64];
    size_t n = fl_query_result_rows(res);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < nc; c++)
            fl_query_result_cell(res, i, c, &row[c]);
        FL_TRY(fl_tab_add(t, row));
    }
    return FL_OK;
}

/* ---- output ------------------------------------------------------------------
 * JSON goes into a capped fl_buf; appends ignore their result and the first
 * failure (kept in b.err) is checked once at the end. */
#define SBUF_CAP (64u << 20)

static void json_tab(struct fl_buf *b, const struct fl_tab *t)
{
    fl_buf_puts(b, "{\"columns\":[");
    for (int c = 0; c < t->n_cols; c++) {
        if (c)
            fl_buf_add(b, ",", 1);
        fl_json_append_str(b, t->cols[c], strlen(t->cols[c]));
    }
    fl_buf_puts(b, "],\"rows\":[");
    for (size_t i = 0; i < t->n_rows; i++) {
        fl_buf_puts(b, i ? ",[" : "[");
        for (int c = 0; c < t->n_cols; c++) {
            if (c)
                fl_buf_add(b, ",", 1);
            fl_query_cell_json(b, &t->cells[i * (size_t)t->n_cols + c]);
        }
        fl_buf_add(b, "]", 1);
    }
    fl_buf_puts(b, "]");
    if (t->truncated)
        fl_buf_puts(b, ",\"truncated\":true");
    fl_buf_puts(b, "}");
}

int fl_report_json(const struct fl_report *r, char **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    struct fl_buf b;
    fl_buf_init(&b, SBUF_CAP);
    fl_buf_puts(&b, "{\"title\":");
    fl_json_append_str(&b, r->title, strlen(r->title));
    for (int i = 0; i < r->n_facts; i++) {
        fl_buf_add(&b, ",", 1);
        fl_json_append_str(&b, r->facts[i].key, strlen(r->facts[i].key));
        fl_buf_add(&b, ":", 1);
        fl_query_cell_json(&b, &r->facts[i].v);
    }
    for (int t = 0; t < r->n_tabs; t++) {
        fl_buf_add(&b, ",", 1);
        fl_json_append_str(&b, r->tabs[t].name, strlen(r->tabs[t].name));
        fl_buf_add(&b, ":", 1);
        json_tab(&b, &r->tabs[t]);
    }
    fl_buf_puts(&b, "}\n");
    fl_buf_cstr(&b); /* callers get a C string */
    if (b.err) {
        fl_free(b.p);
        return FL_ENOMEM;
    }
    *out = b.p;
    *n_out = b.len;
    return FL_OK;
}

/* Text of a cell for table / CSV output ("" for NULL). */
static size_t cell_text(const struct fl_qcell *c, char *buf, size_t cap, const char **p)
{
    if (c->type == FL_QT_VARCHAR) {
        *p = c->s.p ? c->s.p : "";
        return c->s.n;
    }
    size_t k = c->type == FL_QT_NULL ? 0 : fl_query_cell_format(c, buf, cap);
    if (k >= cap)
        k = cap - 1;
    buf[k] = 0;
    *p = buf;
    return k;
}

/* Table output: strings are printed with control bytes as '?', so that
 * a hostile value cannot move the terminal's cursor. */
static void put_safe(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
    }
}

static void print_table(const struct fl_tab *t, FILE *f)
{
    size_t w[64];
    char buf[128];
    const char *p;
    for (int c = 0; c < t->n_cols; c++)
        w[c] = strlen(t->cols[c]);
    for (size_t i = 0; i < t->n_rows; i++)
        for (int c = 0; c < t->n_cols; c++) {
            size_t k = cell_text(&t->cells[i * (size_t)t->n_cols + c], buf, sizeof buf, &p);
            if (k > 60)
                k = 60;
            if (k > w[c])
                w[c] = k;
        }
    fprintf(f, "== %s (%zu rows)%s\n", t->name, t->n_rows, t->truncated ? " [truncated]" : "");
    for (int c = 0; c < t->n_cols; c++)
        fprintf(f, "%s%-*s", c ? "  " : "", c + 1 < t->n_cols ? (int)w[c] : 0, t->cols[c]);
    fputc('\n', f);
    for (size_t i = 0; i < t->n_rows; i++) {
        for (int c = 0; c < t->n_cols; c++) {
            const struct fl_qcell *cell = &t->cells[i * (size_t)t->n_cols + c];
            size_t k = cell_text(cell, buf, sizeof buf, &p);
            if (k > 60)
                k = 60;
            if (c)
                fputs("  ", f);
            bool num = cell->type == FL_QT_BIGINT || cell->type == FL_QT_DOUBLE;
            if (num)
                fprintf(f, "%*s", (int)(w[c] - k), "");
            put_safe(f, p, k);
            if (!num && c + 1 < t->n_cols)
                fprintf(f, "%*s", (int)(w[c] - k), "");
        }
        fputc('\n', f);
    }
}

int fl_report_print(const struct fl_report *r, FILE *f, enum fl_out_format fmt)
{
    char buf[128];
    const char *p;
    if (fmt == FL_OUT_JSON) {
        char *j;
        size_t n;
        FL_TRY(fl_report_json(r, &j, &n));
        size_t w = fwrite(j, 1, n, f);
        fl_free(j);
        return w == n ? FL_OK : FL_EIO;
    }
    if (fmt == FL_OUT_TABLE) {
        for (int i = 0; i < r->n_facts; i++) {
            size_t k = cell_text(&r->facts[i].v, buf, sizeof buf, &p);
            fprintf(f, "%s: ", r->facts[i].key);
            put_safe(f, p, k);
            fputc('\n', f);
        }
        for (int t = 0; t < r->n_tabs; t++) {
            fputc('\n', f);
            print_table(&r->tabs[t], f);
        }
        return ferror(f) ? FL_EIO : FL_OK;
    }
    if (fmt == FL_OUT_CSV) {
        for (int t = 0; t < r->n_tabs; t++) {
            const struct fl_tab *tb = &r->tabs[t];
            if (t)
                fputc('\n', f);
            fprintf(f, "# %s\n", tb->name);
            for (int c = 0; c < tb->n_cols; c++) {
                if (c)
                    fputc(',', f);
                fl_csv_write(f, tb->cols[c], strlen(tb->cols[c]));
            }
            fputc('\n', f);
            for (size_t i = 0; i < tb->n_rows; i++) {
                for (int c = 0; c < tb->n_cols; c++) {
                    if (c)
                        fputc(',', f);
                    size_t k = cell_text(&tb->cells[i * (size_t)tb->n_cols + c], buf, sizeof buf, &p);
                    fl_csv_write(f, p, k);
                }
                fputc('\n', f);
            }
        }
        return ferror(f) ? FL_EIO : FL_OK;
    }
    /* ndjson: one object for the facts, then one per row with its section */
    struct fl_buf b;
    fl_buf_init(&b, SBUF_CAP);
    fl_buf_puts(&b, "{\"section\":\"facts\"");
    for (int i = 0; i < r->n_facts; i++) {
        fl_buf_add(&b, ",", 1);
        fl_json_append_str(&b, r->facts[i].key, strlen(r->facts[i].key));
        fl_buf_add(&b, ":", 1);
        fl_query_cell_json(&b, &r->facts[i].v);
    }
    fl_buf_puts(&b, "}\n");
    for (int t = 0; t < r->n_tabs && !b.err; t++) {
        const struct fl_tab *tb = &r->tabs[t];
        for (size_t i = 0; i < tb->n_rows && !b.err; i++) {
            fl_buf_puts(&b, "{\"section\":");
            fl_json_append_str(&b, tb->name, strlen(tb->name));
            for (int c = 0; c < tb->n_cols; c++) {
                fl_buf_add(&b, ",", 1);
                fl_json_append_str(&b, tb->cols[c], strlen(tb->cols[c]));
                fl_buf_add(&b, ":", 1);
                fl_query_cell_json(&b, &tb->cells[i * (size_t)tb->n_cols + c]);
            }
            fl_buf_puts(&b, "}\n");
            if (b.len > (1u << 20)) {
                fwrite(b.p, 1, b.len, f);
                b.len = 0;
            }
        }
    }
    int rc = b.err ? FL_ENOMEM : FL_OK;
    if (!b.err && b.len)
        fwrite(b.p, 1, b.len, f);
    fl_free(b.p);
    return rc != FL_OK ? rc : ferror(f) ? FL_EIO : FL_OK;
}

/* ---- time ---------------------------------------------------------------------- */
int fl_ops_parse_time(const char *s, int64_t *sec_out)
{
    *sec_out = 0;
    if (!s || !*s)
        return FL_EINVAL;
    size_t n = strlen(s);
    int64_t v;
    if (fl_parse_i64(s, n, &v) == FL_OK) {
        *sec_out = v;
        return FL_OK;
    }
    int32_t ns;
    if (fl_time_parse_rfc3339(s, n, &v, &ns) == FL_OK) {
        *sec_out = v;
        return FL_OK;
    }
    unsigned y, m, d, hh = 0, mm = 0, ss = 0;
    char sep, tail;
    int k = sscanf(s, "%4u-%2u-%2u%c%2u:%2u:%2u%c", &y, &m, &d, &sep, &hh, &mm, &ss, &tail);
    if (k == 3 || k == 6 || k == 7) {
        if (n < 10 || (k == 3 && n != 10) || (k >= 6 && sep != ' ' && sep != 'T'))
            return FL_EINVAL;
        if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
            return FL_EINVAL;
        *sec_out = fl_days_from_civil(y, m, d) * 86400LL + hh * 3600 + mm * 60 + ss;
        return FL_OK;
    }
    return FL_EINVAL;
}

int fl_ops_parse_duration(const char *s, int64_t *sec_out)
{
    uint64_t ms;
    *sec_out = 0;
    if (fl_parse_duration_ms(s, &ms) != FL_OK || ms == 0 || ms % 1000)
        return FL_EINVAL;
    *sec_out = (int64_t)(ms / 1000);
    return FL_OK;
}
