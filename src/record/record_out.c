/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_out.c - printing record batches as NDJSON, JSON, CSV or an aligned
 * table.  Column names and types come from the field catalog.  Every string
 * from a log is attacker-controlled: JSON output escapes control bytes and
 * replaces invalid UTF-8 with U+FFFD; CSV quotes per RFC 4180; the table
 * replaces control bytes with '?'.
 */
#include <stdio.h>

#include "../common/common_int.h"
#include "fl/fl_record.h"

int fl_out_format_parse(const char *s, enum fl_out_format *out)
{
    static const struct { const char *n; enum fl_out_format f; } t[] = {
        {"ndjson", FL_OUT_NDJSON}, {"jsonl", FL_OUT_NDJSON}, {"json", FL_OUT_JSON},
        {"csv", FL_OUT_CSV}, {"table", FL_OUT_TABLE}};
    for (size_t i = 0; i < FL_ARRAY_LEN(t); i++)
        if (strcmp(s, t[i].n) == 0) {
            *out = t[i].f;
            return FL_OK;
        }
    return FL_EINVAL;
}

/* Length of a valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    if ((c & 0xe0) == 0xc0) { len = 2; min = 0x80; c &= 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; min = 0x800; c &= 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return len;
}

size_t fl_json_escape(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
#define PUT(ch) do { if (o < cap) buf[o] = (ch); o++; } while (0)
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            PUT('\\'); PUT((char)c); i++;
        } else if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            if (c == '\n') { PUT('\\'); PUT('n'); }
            else if (c == '\t') { PUT('\\'); PUT('t'); }
            else if (c == '\r') { PUT('\\'); PUT('r'); }
            else { PUT('\\'); PUT('u'); PUT('0'); PUT('0'); PUT(hex[c >> 4]); PUT(hex[c & 15]); }
            i++;
        } else if (c < 0x80) {
            PUT((char)c); i++;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (l == 0) { /* U+FFFD */
                PUT((char)0xef); PUT((char)0xbf); PUT((char)0xbd); i++;
            } else {
                for (size_t k = 0; k < l; k++) PUT((char)u[i + k]);
                i += l;
            }
        }
    }
#undef PUT
    if (o < cap)
        buf[o] = 0;
    return o;
}

int fl_json_append_str(struct fl_buf *b, const char *s, size_t n)
{
    size_t need = fl_json_escape(s, n, NULL, 0);
    FL_TRY(fl_buf_reserve(b, need + 2));
    b->p[b->len++] = '"';
    b->len += fl_json_escape(s, n, b->p + b->len, b->cap - b->len);
    b->p[b->len++] = '"';
    return FL_OK;
}

struct fl_record_writer {
    FILE *f;
    enum fl_out_format fmt;
    int cols[FL_NCOLS];
    int n_cols;
    bool all;
    bool started;
    uint64_t rows;
    int width[FL_NCOLS];
    char *esc;
    size_t esc_cap;
};

struct fl_record_writer *fl_record_writer_new(void *file, enum fl_out_format fmt,
                                              const int *cols, int n_cols,
                                              bool all_columns)
{
    struct fl_record_writer *w = fl_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->f = file;
    w->fmt = fmt;
    w->all = all_columns;
    if (cols && n_cols > 0) {
        w->n_cols = FL_MIN(n_cols, FL_NCOLS);
        memcpy(w->cols, cols, sizeof(int) * (size_t)w->n_cols);
    } else {
        w->n_cols = FL_NCOLS;
        for (int c = 0; c < FL_NCOLS; c++)
            w->cols[c] = c;
    }
    return w;
}

static int put_json_str(struct fl_record_writer *w, const char *s, size_t n)
{
    size_t need = n * 6 + 1;
    if (need > w->esc_cap) {
        char *e = fl_realloc(w->esc, need);
        if (!e)
            return FL_ENOMEM;
        w->esc = e;
        w->esc_cap = need;
    }
    size_t l = fl_json_escape(s, n, w->esc, w->esc_cap);
    fputc('"', w->f);
    fwrite(w->esc, 1, l, w->f);
    fputc('"', w->f);
    return FL_OK;
}

void fl_csv_write(void *fp, const char *s, size_t n)
{
    FILE *f = fp;
    bool q = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            q = true;
    if (!q) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static int cell_text(const struct fl_batch *b, int c, uint32_t r, char *num,
                     struct fl_str *out)
{
    if (fl_is_null(b, c, r)) {
        *out = FL_STR_NULL;
        return 0;
    }
    if (fl_fields[c].type == FL_STR) {
        *out = fl_get_str(b, c, r);
    } else {
        int n = snprintf(num, 24, "%lld", (long long)b->col[c].i[r]);
        *out = (struct fl_str){num, (size_t)n};
    }
    return 1;
}

int fl_record_writer_batch(struct fl_record_writer *w, const struct fl_batch *b)
{
    char num[24];
    struct fl_str v;
    if (w->fmt == FL_OUT_CSV && !w->started) {
        for (int k = 0; k < w->n_cols; k++)
            fprintf(w->f, "%s%s", k ? "," : "", fl_fields[w->cols[k]].name);
        fputc('\n', w->f);
    }
    if (w->fmt == FL_OUT_TABLE && !w->started) {
        for (int k = 0; k < w->n_cols; k++) {
            int c = w->cols[k], wd = (int)strlen(fl_fields[c].name);
            for (uint32_t r = 0; r < b->n; r++)
                if (cell_text(b, c, r, num, &v))
                    wd = FL_MAX(wd, (int)FL_MIN(v.n, 40));
            w->width[k] = wd;
            fprintf(w->f, "%s%-*s", k ? " " : "", wd, fl_fields[c].name);
        }
        fputc('\n', w->f);
    }
    if (w->fmt == FL_OUT_JSON && !w->started)
        fputc('[', w->f);
    w->started = true;
    for (uint32_t r = 0; r < b->n; r++, w->rows++) {
        switch (w->fmt) {
        case FL_OUT_JSON:
        case FL_OUT_NDJSON: {
            if (w->fmt == FL_OUT_JSON)
                fputs(w->rows ? ",\n" : "\n", w->f);
            fputc('{', w->f);
            bool first = true;
            for (int k = 0; k < w->n_cols; k++) {
                int c = w->cols[k];
                bool has = cell_text(b, c, r, num, &v);
                if (!has && !w->all)
                    continue;
                fprintf(w->f, "%s\"%s\":", first ? "" : ",", fl_fields[c].name);
                first = false;
                if (!has)
                    fputs("null", w->f);
                else if (fl_fields[c].type == FL_STR)
                    FL_TRY(put_json_str(w, v.p, v.n));
                else
                    fwrite(v.p, 1, v.n, w->f);
            }
            fputc('}', w->f);
            if (w->fmt == FL_OUT_NDJSON)
                fputc('\n', w->f);
            break;
        }
        case FL_OUT_CSV:
            for (int k = 0; k < w->n_cols; k++) {
                if (k)
                    fputc(',', w->f);
                if (cell_text(b, w->cols[k], r, num, &v))
                    fl_csv_write(w->f, v.p, v.n);
            }
            fputc('\n', w->f);
            break;
        case FL_OUT_TABLE:
            for (int k = 0; k < w->n_cols; k++) {
                char cell[41];
                size_t n = 0;
                if (cell_text(b, w->cols[k], r, num, &v)) {
                    n = FL_MIN(v.n, 40);
                    for (size_t i = 0; i < n; i++) {
                        unsigned char ch = (unsigned char)v.p[i];
                        cell[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
                    }
                } else {
                    n = 1;
                    cell[0] = '-';
                }
                cell[n] = 0;
                fprintf(w->f, "%s%-*s", k ? " " : "", w->width[k], cell);
            }
            fputc('\n', w->f);
            break;
        }
    }
    return ferror(w->f) ? FL_EIO : FL_OK;
}

int fl_record_writer_finish(struct fl_record_writer *w)
{
    if (w->fmt == FL_OUT_JSON)
        fputs(w->started ? "\n]\n" : "[]\n", w->f);
    return fflush(w->f) == 0 ? FL_OK : FL_EIO;
}

void fl_record_writer_free(struct fl_record_writer *w)
{
    if (!w)
        return;
    fl_free(w->esc);
    fl_free(w);
}
