/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_aws_parquet.c - the "aws-parquet" format: AWS's Parquet flow-log
 * objects (FileFormat=parquet) as an input like any other, sniffed by the
 * `PAR1` magic at the start of the (decompressed) object.
 *
 * The whole object is read into memory (capped at PQ_OBJECT_MAX) and opened
 * with the store's reader (fl_store.h).  Columns are matched to the catalog
 * by name, underscore or hyphenated spelling; INT32 or INT64 both fill any
 * integer column; NULL and the string "-" are missing values.  Columns
 * flowsift does not know go into the `extra` column as one JSON object per
 * row (numbers unquoted, strings quoted, NULLs left out).  Lineage:
 * source_object is the object, source_offset the row number in the file
 * (Parquet has no byte offset per record).  Health rows are counted
 * (nodata/skipdata) like the text format does.
 */
#include "ingest_int.h"
#include "fl/fl_store.h"

#define PQ_OBJECT_MAX ((size_t)1 << 30)
#define PQ_STEP 4096

struct pq_state {
    char *buf;
    size_t n;
    fl_pq_reader *r;
    int rg;
    uint64_t row;       /* next row in the row group */
    uint64_t abs_row;   /* next row in the file */
    int cols[FL_NCOLS];
    int n_cols;
    int extra_leaf[FL_NCOLS]; /* unknown leaves, at most one per slot */
    int extra_slot[FL_NCOLS]; /* string column of tmp that holds it */
    bool extra_num[FL_NCOLS];
    int n_extra;
    struct fl_batch *tmp;
    struct fl_buf json;
};

static int pq_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                    const struct fl_read_opts *opts)
{
    return n >= 4 && memcmp(head, "PAR1", 4) == 0 ? 100 : 0;
}

static void pq_close(void *state);

static int open_object(struct pq_state *s, struct fl__pctx *c, struct fl_error *err)
{
    FL_TRY(fl__input_read_all(c->in, PQ_OBJECT_MAX, &s->buf, &s->n, err));
    int rc = fl_pq_open_buf(&s->r, s->buf, s->n, c->source, err);
    if (rc < 0) {
        fl_error_where(err, c->source, 0, 0);
        return rc;
    }
    for (int col = 0; col < FL_NCOLS; col++)
        if (fl_pq_has_col(s->r, col))
            s->cols[s->n_cols++] = col;
    /* Unknown leaves go to `extra`; each needs a string column of the
     * scratch batch to be read into. */
    int slot = 0;
    for (int i = 0; i < fl_pq_n_columns(s->r); i++) {
        if (fl_pq_column_field(s->r, i) >= 0)
            continue;
        while (slot < FL_NCOLS && fl_fields[slot].type != FL_STR)
            slot++;
        if (slot >= FL_NCOLS)
            break; /* more unknown columns than slots: the rest are dropped */
        s->extra_leaf[s->n_extra] = i;
        s->extra_slot[s->n_extra++] = slot++;
    }
    if (s->n_extra) {
        s->tmp = fl_batch_new(PQ_STEP);
        if (!s->tmp)
            return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    return FL_OK;
}

/* On failure everything is released here: the reader calls close only
 * after a successful open. */
static int pq_open(void *state, struct fl__pctx *c, struct fl_error *err)
{
    struct pq_state *s = state;
    fl_buf_init(&s->json, (size_t)1 << 24);
    int rc = open_object(s, c, err);
    if (rc < 0) {
        pq_close(s);
        memset(s, 0, sizeof *s);
    }
    return rc;
}

/* Append "key":value for an extra column to the JSON text. */
static int json_add(struct fl_buf *j, const char *name, struct fl_str v, bool num)
{
    char tmp[256];
    FL_TRY(fl_buf_addc(j, j->len ? ',' : '{'));
    FL_TRY(fl_buf_addc(j, '"'));
    size_t nn = strlen(name);
    size_t k = fl_json_escape(name, nn, tmp, sizeof tmp);
    if (k >= sizeof tmp)
        return FL_ELIMIT;
    FL_TRY(fl_buf_add(j, tmp, k));
    FL_TRY(fl_buf_add(j, "\":", 2));
    /* nan/inf are not JSON numbers: those are quoted */
    for (size_t i = 0; num && i < v.n; i++)
        if (v.p[i] == 'n' || v.p[i] == 'N' || v.p[i] == 'i' || v.p[i] == 'I')
            num = false;
    if (num)
        return fl_buf_add(j, v.p, v.n);
    FL_TRY(fl_buf_addc(j, '"'));
    size_t need = fl_json_escape(v.p, v.n, NULL, 0);
    FL_TRY(fl_buf_reserve(j, need + 2));
    fl_json_escape(v.p, v.n, j->p + j->len, need + 1);
    j->len += need;
    return fl_buf_addc(j, '"');
}

static int pq_next(void *state, struct fl__pctx *c, struct fl_batch *b, struct fl_error *err)
{
    struct pq_state *s = state;
    int nrg = fl_pq_num_row_groups(s->r);
    while (s->rg < nrg && s->row >= fl_pq_rg_rows(s->r, s->rg)) {
        s->rg++;
        s->row = 0;
    }
    if (s->rg >= nrg)
        return 0;
    uint32_t want = b->cap - b->n;
    if (s->tmp && want > s->tmp->cap)
        want = s->tmp->cap;
    uint32_t base = b->n;
    int got = fl_pq_read(s->r, s->rg, s->row, want, s->cols, s->n_cols, b, err);
    if (got < 0) {
        fl_error_where(err, c->source, 0, s->abs_row);
        return got;
    }
    if (s->n_extra) {
        fl_batch_reset(s->tmp);
        for (int j = 0; j < s->n_extra; j++) {
            int rc = fl_pq_read_text(s->r, s->rg, s->row, (uint32_t)got, s->extra_leaf[j],
                                     s->tmp, s->extra_slot[j], &s->extra_num[j], err);
            if (rc < 0) {
                b->n = base;
                return rc;
            }
        }
    }
    struct fl_sref fmt;
    int rc = fl_batch_intern(b, "aws-parquet", 11, &fmt);
    struct fl_sref aws;
    if (rc == FL_OK)
        rc = fl_batch_intern(b, "aws", 3, &aws);
    for (int i = 0; i < got && rc == FL_OK; i++) {
        uint32_t row = base + (uint32_t)i;
        if (s->n_extra) {
            s->json.len = 0;
            for (int j = 0; j < s->n_extra && rc == FL_OK; j++) {
                int sc = s->extra_slot[j];
                if (fl_is_null(s->tmp, sc, (uint32_t)i))
                    continue;
                rc = json_add(&s->json, fl_pq_column_name(s->r, s->extra_leaf[j]),
                              fl_get_str(s->tmp, sc, (uint32_t)i), s->extra_num[j]);
            }
            if (rc == FL_OK && s->json.len) {
                rc = fl_buf_addc(&s->json, '}');
                if (rc == FL_OK)
                    rc = fl_set_str(b, FL_COL_EXTRA, row, s->json.p, s->json.len);
            }
        }
        if (rc == FL_OK && !b->col[FL_COL_LOG_STATUS].valid[row]) {
            /* nothing to count */
        } else if (rc == FL_OK) {
            struct fl_str st = fl_get_str(b, FL_COL_LOG_STATUS, row);
            if (fl_str_eq(st, "NODATA"))
                c->stats->nodata++;
            else if (fl_str_eq(st, "SKIPDATA"))
                c->stats->skipdata++;
        }
        if (rc == FL_OK) {
            fl_set_sref(b, FL_COL_SOURCE_FORMAT, row, fmt);
            if (!b->col[FL_COL_CLOUD].valid[row])
                fl_set_sref(b, FL_COL_CLOUD, row, aws);
            rc = fl__pctx_lineage(c, b, row, s->abs_row + (uint64_t)i);
        }
    }
    if (rc < 0) {
        b->n = base;
        return fl_error_set(err, rc, "%s: %s", c->source, fl_strerror(rc));
    }
    s->row += (uint64_t)got;
    s->abs_row += (uint64_t)got;
    return got;
}

static void pq_close(void *state)
{
    struct pq_state *s = state;
    fl_pq_close(s->r);
    fl_free(s->buf);
    fl_batch_free(s->tmp);
    fl_buf_free(&s->json);
}

const struct fl_format fl_fmt_aws_parquet = {
    "aws-parquet",
    "AWS flow logs delivered as Parquet (FileFormat=parquet), sniffed by PAR1",
    pq_sniff,
    sizeof(struct pq_state),
    pq_open,
    pq_next,
    NULL,
    pq_close,
};
