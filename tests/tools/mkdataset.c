/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mkdataset.c - builds a dataset folder in the docs/dataset.md layout from
 * NDJSON rows, with the store's Parquet writer, so that the query tests do
 * not depend on the ingest pipeline.  Each input line is one JSON object
 * whose keys are catalog column names (fl_fields.def); "date"
 * ("YYYY-MM-DD") and "hour" (0-23) name the folder, otherwise the date comes
 * from start (or end), UTC, and there is no hour folder.  JSON null and a
 * missing key are NULL.
 *
 *   mkdataset OUT_HOME [--rg-rows N] [--batch N] [--codec zstd|none|snappy|gzip] [FILE.ndjson|-]...
 *
 * Writes OUT_HOME/data/cloud=../account=../region=../date=..[/hour=..]/part-NNNNN.parquet;
 * one writer per partition stays open while its rows arrive (at most 4096).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include "fl/fl.h"
#include "fl/fl_store.h"

struct part {
    char key[512]; /* relative folder */
    fl_pq_writer *w;
    struct fl_batch *b;
    char tmp[1200], path[1200];
};

static struct part *parts[4096];
static int nparts;
static struct fl_pq_write_opts wopts;
static uint32_t batch_rows = FL_BATCH_ROWS;
static const char *home;
static int file_seq;

static void esc(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    if (!s) {
        snprintf(out, cap, "__HIVE_DEFAULT_PARTITION__");
        return;
    }
    for (size_t i = 0; i < n && k + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
            c == '_' || c == '-')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, cap - k, "%%%02X", c);
    }
    out[k] = 0;
}

static int mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int flush_part(struct part *p, bool close)
{
    struct fl_error err;
    fl_error_clear(&err);
    if (p->b->n) {
        if (fl_pq_writer_add(p->w, p->b, NULL, 0, &err) != FL_OK) {
            fprintf(stderr, "mkdataset: %s\n", err.msg);
            return -1;
        }
        fl_batch_reset(p->b);
    }
    if (close) {
        if (fl_pq_writer_close(p->w, &err) != FL_OK) {
            fprintf(stderr, "mkdataset: %s\n", err.msg);
            return -1;
        }
        if (rename(p->tmp, p->path) != 0) {
            perror("rename");
            return -1;
        }
    }
    return 0;
}

static struct part *get_part(const char *key)
{
    for (int i = nparts - 1; i >= 0; i--)
        if (strcmp(parts[i]->key, key) == 0)
            return parts[i];
    if (nparts == (int)(sizeof parts / sizeof parts[0])) {
        fprintf(stderr, "mkdataset: too many partitions\n");
        return NULL;
    }
    struct part *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    snprintf(p->key, sizeof p->key, "%s", key);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/%s", home, key);
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "mkdataset: cannot create %s\n", dir);
        return NULL;
    }
    int seq = file_seq++;
    snprintf(p->tmp, sizeof p->tmp, "%s/.part-%05d.parquet.tmp", dir, seq);
    snprintf(p->path, sizeof p->path, "%s/part-%05d.parquet", dir, seq);
    struct fl_error err;
    fl_error_clear(&err);
    if (fl_pq_writer_open(&p->w, p->tmp, &wopts, &err) != FL_OK) {
        fprintf(stderr, "mkdataset: %s\n", err.msg);
        return NULL;
    }
    p->b = fl_batch_new(batch_rows);
    if (!p->b)
        return NULL;
    parts[nparts++] = p;
    return p;
}

static const char *jstr(yajl_val o, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val v = yajl_tree_get(o, path, yajl_t_any);
    return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static int add_line(const char *line, size_t lineno, const char *src)
{
    char ebuf[256];
    yajl_val o = yajl_tree_parse(line, ebuf, sizeof ebuf);
    if (!o || !YAJL_IS_OBJECT(o)) {
        fprintf(stderr, "mkdataset: %s:%zu: not a JSON object\n", src, lineno);
        if (o)
            yajl_tree_free(o);
        return -1;
    }
    /* partition folder */
    char c[128], a[128], r[128], key[512], date[32] = "", hour[8] = "";
    const char *cv = jstr(o, "cloud"), *av = jstr(o, "account"), *rv = jstr(o, "region");
    esc(cv, cv ? strlen(cv) : 0, c, sizeof c);
    esc(av, av ? strlen(av) : 0, a, sizeof a);
    esc(rv, rv ? strlen(rv) : 0, r, sizeof r);
    const char *dv = jstr(o, "date");
    if (dv) {
        snprintf(date, sizeof date, "%s", dv);
    } else {
        const char *sp[] = {"start", NULL}, *ep[] = {"end", NULL};
        yajl_val t = yajl_tree_get(o, sp, yajl_t_number);
        if (!t)
            t = yajl_tree_get(o, ep, yajl_t_number);
        if (t && YAJL_IS_INTEGER(t)) {
            int64_t y;
            unsigned m, d;
            fl_civil_from_days(YAJL_GET_INTEGER(t) >= 0 ? YAJL_GET_INTEGER(t) / 86400
                                                         : (YAJL_GET_INTEGER(t) - 86399) / 86400,
                               &y, &m, &d);
            snprintf(date, sizeof date, "%04lld-%02u-%02u", (long long)y, m, d);
        } else {
            snprintf(date, sizeof date, "__HIVE_DEFAULT_PARTITION__");
        }
    }
    const char *hp[] = {"hour", NULL};
    yajl_val hv = yajl_tree_get(o, hp, yajl_t_number);
    if (hv && YAJL_IS_INTEGER(hv))
        snprintf(hour, sizeof hour, "%02lld", (long long)YAJL_GET_INTEGER(hv));
    snprintf(key, sizeof key, "cloud=%s/account=%s/region=%s/date=%s%s%s", c, a, r, date,
             hour[0] ? "/hour=" : "", hour);
    struct part *p = get_part(key);
    if (!p) {
        yajl_tree_free(o);
        return -1;
    }
    if (fl_batch_full(p->b) && flush_part(p, false) != 0) {
        yajl_tree_free(o);
        return -1;
    }
    int row = fl_batch_add_row(p->b);
    for (size_t i = 0; i < o->u.object.len; i++) {
        const char *k = o->u.object.keys[i];
        yajl_val v = o->u.object.values[i];
        int col = fl_field_lookup(k, strlen(k));
        if (col < 0) {
            if (strcmp(k, "date") && strcmp(k, "hour")) {
                fprintf(stderr, "mkdataset: %s:%zu: unknown column \"%s\"\n", src, lineno, k);
                yajl_tree_free(o);
                return -1;
            }
            continue;
        }
        if (YAJL_IS_NULL(v))
            continue;
        if (fl_fields[col].type == FL_STR) {
            char buf[64];
            const char *s = NULL;
            if (YAJL_IS_STRING(v))
                s = YAJL_GET_STRING(v);
            else if (YAJL_IS_INTEGER(v)) {
                snprintf(buf, sizeof buf, "%lld", (long long)YAJL_GET_INTEGER(v));
                s = buf;
            }
            if (!s || fl_set_str(p->b, col, (uint32_t)row, s, strlen(s)) != FL_OK) {
                fprintf(stderr, "mkdataset: %s:%zu: bad value for \"%s\"\n", src, lineno, k);
                yajl_tree_free(o);
                return -1;
            }
        } else {
            if (!YAJL_IS_INTEGER(v)) {
                fprintf(stderr, "mkdataset: %s:%zu: \"%s\" must be an integer\n", src, lineno, k);
                yajl_tree_free(o);
                return -1;
            }
            fl_set_i64(p->b, col, (uint32_t)row, YAJL_GET_INTEGER(v));
        }
    }
    yajl_tree_free(o);
    return 0;
}

static int add_file(FILE *f, const char *src)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n == 0 || line[0] == '#')
            continue;
        rc = add_line(line, lineno, src);
    }
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkdataset OUT_HOME [--rg-rows N] [--batch N] [--codec C] [FILE.ndjson|-]...\n");
        return 2;
    }
    home = argv[1];
    fl_pq_write_opts_default(&wopts);
    int nfiles = 0, rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--rg-rows") == 0 && i + 1 < argc) {
            wopts.row_group_rows = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            batch_rows = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--codec") == 0 && i + 1 < argc) {
            if (fl_codec_parse(argv[++i], &wopts.codec) != FL_OK) {
                fprintf(stderr, "mkdataset: bad codec %s\n", argv[i]);
                return 2;
            }
        } else {
            nfiles++;
            FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");
            if (!f) {
                fprintf(stderr, "mkdataset: cannot open %s\n", argv[i]);
                return 2;
            }
            rc = add_file(f, argv[i]);
            if (f != stdin)
                fclose(f);
        }
    }
    if (rc == 0 && nfiles == 0)
        rc = add_file(stdin, "-");
    for (int i = 0; i < nparts; i++) {
        if (rc == 0)
            rc = flush_part(parts[i], true);
        else
            fl_pq_writer_abort(parts[i]->w);
        fl_batch_free(parts[i]->b);
        free(parts[i]);
    }
    return rc == 0 ? 0 : 1;
}
