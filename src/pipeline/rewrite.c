/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rewrite.c - read Parquet files of the dataset back (all catalog columns
 * they have) and write their rows into new, larger files, optionally
 * dropping the rows of some input objects (by source_object).  Compaction
 * merges small files with it; ingest uses it to remove a changed object's
 * old rows from the files it shared with other objects.  Memory: one record
 * batch plus one writer (bounded by one row group).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_int.h"

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rw_out {
    fl_pq_writer *w;
    char path[FL_PATH_MAX];
    char name[128];
    int seq;
};

static int out_close(struct fl__rewrite *rw, struct rw_out *o, struct fl_error *err)
{
    if (!o->w)
        return FL_OK;
    uint64_t rows = fl_pq_writer_rows(o->w);
    int rc = fl_pq_writer_close(o->w, err);
    o->w = NULL;
    if (rc < 0)
        return rc;
    struct stat st;
    uint64_t bytes = stat(o->path, &st) == 0 ? (uint64_t)st.st_size : 0;
    return rw->cb ? rw->cb(rw->ctx, o->name, rows, bytes) : FL_OK;
}

static int out_open(struct fl__rewrite *rw, struct rw_out *o, struct fl_error *err)
{
    snprintf(o->name, sizeof o->name, "%s-%d.parquet", rw->prefix, ++o->seq);
    int k = snprintf(o->path, sizeof o->path, "%s/%s", rw->out_dir, o->name);
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof o->path, err, FL_ELIMIT, "path too long");
    return fl_pq_writer_open(&o->w, o->path, rw->wopts, err);
}

int fl__rewrite_files(struct fl__rewrite *rw, struct fl_error *err)
{
    rw->rows_in = rw->rows_out = rw->rows_dropped = 0;
    char **drop = NULL;
    if (rw->n_drop > 0) {
        drop = fl_calloc((size_t)rw->n_drop, sizeof *drop);
        FL_RETURN_IF(!drop, err, FL_ENOMEM, "out of memory");
        for (int i = 0; i < rw->n_drop; i++)
            drop[i] = (char *)rw->drop[i];
        qsort(drop, (size_t)rw->n_drop, sizeof *drop, cmp_cstr);
    }
    struct fl_batch *b = fl_batch_new(0);
    uint32_t *sel = b ? fl_malloc(sizeof(uint32_t) * b->cap) : NULL;
    char *key = fl_malloc(FL_PATH_MAX);
    int rc = (b && sel && key) ? FL_OK : fl_error_set(err, FL_ENOMEM, "out of memory");
    struct rw_out out = {0};
    int cols[FL_NCOLS];
    for (int f = 0; rc == FL_OK && f < rw->n_inputs; f++) {
        fl_pq_reader *r = NULL;
        rc = fl_pq_open(&r, rw->inputs[f], err);
        if (rc < 0)
            break;
        int n_cols = 0;
        for (int c = 0; c < FL_NCOLS; c++)
            if (!(fl_fields[c].flags & FL_PART) && fl_pq_has_col(r, c))
                cols[n_cols++] = c;
        int n_rg = fl_pq_num_row_groups(r);
        for (int g = 0; rc == FL_OK && g < n_rg; g++) {
            uint64_t n = fl_pq_rg_rows(r, g);
            for (uint64_t row0 = 0; rc == FL_OK && row0 < n;) {
                fl_batch_reset(b);
                uint32_t want = (uint32_t)FL_MIN((uint64_t)b->cap, n - row0);
                int got = fl_pq_read(r, g, row0, want, cols, n_cols, b, err);
                if (got < 0) {
                    rc = got;
                    break;
                }
                if (got == 0) {
                    rc = fl_error_set(err, FL_ECORRUPT, "%s: row group %d ends early",
                                      rw->inputs[f], g);
                    break;
                }
                row0 += (uint64_t)got;
                rw->rows_in += (uint64_t)got;
                uint32_t n_sel = 0;
                for (uint32_t i = 0; i < b->n; i++) {
                    if (drop && !fl_is_null(b, FL_COL_SOURCE_OBJECT, i)) {
                        struct fl_str s = fl_get_str(b, FL_COL_SOURCE_OBJECT, i);
                        fl_strlcpy(key, s.p, s.n, FL_PATH_MAX);
                        const char *kp = key;
                        if (bsearch(&kp, drop, (size_t)rw->n_drop, sizeof *drop, cmp_cstr)) {
                            rw->rows_dropped++;
                            continue;
                        }
                    }
                    sel[n_sel++] = i;
                }
                uint32_t done = 0;
                while (rc == FL_OK && done < n_sel) {
                    if (!out.w && (rc = out_open(rw, &out, err)) < 0)
                        break;
                    uint64_t room = rw->target_rows - fl_pq_writer_rows(out.w);
                    uint32_t m = (uint32_t)FL_MIN((uint64_t)(n_sel - done), room);
                    rc = fl_pq_writer_add(out.w, b, sel + done, m, err);
                    done += m;
                    rw->rows_out += m;
                    if (rc == FL_OK && fl_pq_writer_rows(out.w) >= rw->target_rows)
                        rc = out_close(rw, &out, err);
                }
            }
        }
        fl_pq_close(r);
    }
    if (rc == FL_OK)
        rc = out_close(rw, &out, err);
    if (out.w) {
        fl_pq_writer_abort(out.w);
        unlink(out.path);
    }
    fl_batch_free(b);
    fl_free(sel);
    fl_free(key);
    fl_free(drop);
    return rc;
}
