/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parquet_read.c - the Parquet reader: our own files, and the Parquet flow
 * logs AWS delivers, DuckDB/pyarrow-style files.  The footer (thrift
 * compact) is parsed with every offset and size checked against the file;
 * unknown thrift fields are skipped.  Only the column chunks a caller asks
 * for are touched (the file is memory-mapped or given as a buffer).
 *
 * Supported: flat schemas (leaves directly under the root; nested leaves
 * are listed but read as NULL), REQUIRED and OPTIONAL columns, DATA_PAGE v1
 * and v2, PLAIN and PLAIN_DICTIONARY/RLE_DICTIONARY values, RLE definition
 * levels, codecs UNCOMPRESSED/SNAPPY/GZIP/ZSTD, physical types INT32, INT64,
 * BOOLEAN, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY.
 *
 * Each column keeps its decoding state for the current row group (the page
 * being decoded, the dictionary), so reading a row group sequentially in
 * batch-size steps decodes every page once.  Seeking backwards restarts the
 * chunk; seeking forwards skips whole pages by their headers.
 *
 * Memory: every allocation is bounded by the file size and fixed caps
 * (PAGE_MAX for a decompressed page); hostile files get FL_ECORRUPT with a
 * message, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define PAGE_MAX ((size_t)256 << 20)
#define STEP 2048 /* values decoded per inner step */

struct rchunk {
    bool present;
    int ptype;
    int codec;
    int64_t num_values;
    int64_t tcs;          /* total_compressed_size */
    int64_t data_off;
    int64_t dict_off;     /* -1 = none */
    bool has_min, has_max, has_nulls, has_min_old, has_max_old;
    struct fl_str min, max, min_old, max_old;
    uint64_t null_count;
};

struct rleaf {
    struct fl_str name;
    char *cname;          /* NUL-terminated copy */
    int ptype;
    int type_length;
    int rep;
    int max_def;
    bool usable;          /* flat, not repeated, supported type */
    int field;            /* catalog column or -1 */
};

/* Decoding state of one leaf within one row group. */
struct rstate {
    int rg;                    /* -1 = none */
    uint64_t row;              /* values consumed so far */
    const uint8_t *pos, *end;  /* next page header / end of chunk */
    const struct rchunk *ch;
    /* dictionary */
    bool has_dict;
    uint32_t n_dict;
    uint8_t *dbuf;
    size_t dbuf_cap;
    int64_t *dict_i;
    double *dict_d;
    struct fl_str *dict_s;
    size_t dict_cap;
    /* current page */
    uint8_t *pbuf;
    size_t pbuf_cap;
    uint32_t page_left;
    bool page_dict;
    bool page_has_def;
    struct fl__rle_dec def;
    struct fl__rle_dec idx;
    const uint8_t *vp, *vend;
    uint32_t bool_bit;
    /* scratch for one step */
    uint8_t defs[STEP];
    uint32_t idxs[STEP];
    uint32_t vix[STEP];        /* dictionary index by row (dictionary pages) */
    uint32_t step_nn;          /* non-NULL values of the last step */
    bool step_dict;            /* the last step came from a dictionary page */
    /* dictionary entries already copied into the caller's batch: valid
     * while ref_epoch[i] == the reader's epoch */
    struct fl_sref *dref;
    uint32_t *dref_epoch;
    size_t dref_cap;
    int64_t vi[STEP];
    double vd[STEP];
    struct fl_str vs[STEP];
};

struct kv {
    char *key, *val;
};

struct fl_pq_reader {
    const uint8_t *data;
    size_t size;
    void *map;
    size_t map_len;
    char name[256];
    size_t page_cap;
    uint64_t num_rows;
    int n_leaves;
    struct rleaf *leaves;
    int n_rg;
    int64_t *rg_rows;
    struct rchunk *chunks;     /* [n_rg * n_leaves] */
    int col_leaf[FL_NCOLS];
    struct kv *kvs;
    int n_kv;
    struct rstate **st;        /* [n_leaves], lazily allocated */
    struct fl__codec *codec;
    struct fl_buf tmp;
    uint32_t epoch;            /* batch fill generation (dictionary caches) */
    const struct fl_batch *epoch_b;
    size_t epoch_arena;        /* arena length after the last read */
};

/* ---- footer --------------------------------------------------------------- */
struct selem {
    int type, type_length, rep, num_children;
    bool has_type;
    struct fl_str name;
};

static int corrupt(fl_pq_reader *r, struct fl_error *err, const char *what)
{
    return fl_error_set(err, FL_ECORRUPT, "%s: corrupt Parquet file: %s", r->name, what);
}

static void parse_stats(struct fl__tr *t, struct rchunk *c)
{
    if (!fl__tr_enter(t))
        return;
    int16_t last = 0, id;
    int ty;
    while ((ty = fl__tr_field(t, &last, &id)) != TC_STOP) {
        switch (id) {
        case 1:
            if (ty != TC_BINARY)
                goto skip;
            c->max_old = fl__tr_bin(t);
            c->has_max_old = true;
            break;
        case 2:
            if (ty != TC_BINARY)
                goto skip;
            c->min_old = fl__tr_bin(t);
            c->has_min_old = true;
            break;
        case 3: {
            int64_t v = fl__tr_int(t, ty);
            if (v >= 0) {
                c->null_count = (uint64_t)v;
                c->has_nulls = true;
            }
            break;
        }
        case 5:
            if (ty != TC_BINARY)
                goto skip;
            c->max = fl__tr_bin(t);
            c->has_max = true;
            break;
        case 6:
            if (ty != TC_BINARY)
                goto skip;
            c->min = fl__tr_bin(t);
            c->has_min = true;
            break;
        default:
        skip:
            fl__tr_skip(t, ty);
        }
    }
    fl__tr_leave(t);
}

static void parse_colmeta(struct fl__tr *t, struct rchunk *c)
{
    if (!fl__tr_enter(t))
        return;
    int16_t last = 0, id;
    int ty;
    c->present = true;
    while ((ty = fl__tr_field(t, &last, &id)) != TC_STOP) {
        switch (id) {
        case 1: c->ptype = (int)fl__tr_int(t, ty); break;
        case 4: c->codec = (int)fl__tr_int(t, ty); break;
        case 5: c->num_values = fl__tr_int(t, ty); break;
        case 7: c->tcs = fl__tr_int(t, ty); break;
        case 9: c->data_off = fl__tr_int(t, ty); break;
        case 11: c->dict_off = fl__tr_int(t, ty); break;
        case 12:
            if (ty == TC_STRUCT)
                parse_stats(t, c);
            else
                fl__tr_skip(t, ty);
            break;
        default: fl__tr_skip(t, ty);
        }
    }
    fl__tr_leave(t);
}

static void parse_colchunk(struct fl__tr *t, struct rchunk *c)
{
    if (!fl__tr_enter(t))
        return;
    int16_t last = 0, id;
    int ty;
    while ((ty = fl__tr_field(t, &last, &id)) != TC_STOP) {
        if (id == 3 && ty == TC_STRUCT)
            parse_colmeta(t, c);
        else
            fl__tr_skip(t, ty);
    }
    fl__tr_leave(t);
}

static int parse_rowgroup(fl_pq_reader *r, struct fl__tr *t, int rg, struct fl_error *err)
{
    if (!fl__tr_enter(t))
        return corrupt(r, err, "metadata nested too deeply");
    int16_t last = 0, id;
    int ty;
    int got_cols = -1;
    r->rg_rows[rg] = -1;
    while ((ty = fl__tr_field(t, &last, &id)) != TC_STOP) {
        if (id == 1 && ty == TC_LIST) {
            int et;
            uint32_t n = fl__tr_list(t, &et);
            if (t->rc)
                break;
            if (et != TC_STRUCT || (int)n != r->n_leaves)
                return corrupt(r, err, "row group column count differs from the schema");
            for (uint32_t i = 0; i < n && !t->rc; i++) {
                struct rchunk *c = &r->chunks[(size_t)rg * (size_t)r->n_leaves + i];
                c->dict_off = -1;
                parse_colchunk(t, c);
            }
            got_cols = (int)n;
        } else if (id == 3) {
            r->rg_rows[rg] = fl__tr_int(t, ty);
        } else {
            fl__tr_skip(t, ty);
        }
    }
    fl__tr_leave(t);
    if (t->rc)
        return corrupt(r, err, "truncated row group metadata");
    if (got_cols < 0 || r->rg_rows[rg] < 0)
        return corrupt(r, err, "row group without columns or num_rows");
    return FL_OK;
}

static int parse_schema(fl_pq_reader *r, struct fl__tr *t, struct fl_error *err)
{
    int et;
    uint32_t n = fl__tr_list(t, &et);
    if (t->rc || et != TC_STRUCT || n == 0)
        return corrupt(r, err, "bad schema list");
    struct selem *el = fl_calloc(n, sizeof *el);
    if (!el)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n && !t->rc; i++) {
        if (!fl__tr_enter(t))
            break;
        int16_t last = 0, id;
        int ty;
        el[i].rep = -1;
        while ((ty = fl__tr_field(t, &last, &id)) != TC_STOP) {
            switch (id) {
            case 1: el[i].type = (int)fl__tr_int(t, ty); el[i].has_type = true; break;
            case 2: el[i].type_length = (int)fl__tr_int(t, ty); break;
            case 3: el[i].rep = (int)fl__tr_int(t, ty); break;
            case 4:
                if (ty == TC_BINARY)
                    el[i].name = fl__tr_bin(t);
                else
                    fl__tr_skip(t, ty);
                break;
            case 5: el[i].num_children = (int)fl__tr_int(t, ty); break;
            default: fl__tr_skip(t, ty);
            }
        }
        fl__tr_leave(t);
    }
    if (t->rc) {
        fl_free(el);
        return corrupt(r, err, "truncated schema");
    }
    /* Walk the tree depth-first: count leaves, their depth and levels. */
    int n_leaves = 0;
    for (uint32_t i = 1; i < n; i++)
        if (el[i].num_children <= 0)
            n_leaves++;
    r->leaves = fl_calloc((size_t)(n_leaves ? n_leaves : 1), sizeof *r->leaves);
    if (!r->leaves) {
        fl_free(el);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    int stack_left[TC_MAX_DEPTH], stack_def[TC_MAX_DEPTH];
    bool stack_rep[TC_MAX_DEPTH];
    int depth = 0;
    if (el[0].num_children < 0) {
        fl_free(el);
        return corrupt(r, err, "bad schema root");
    }
    stack_left[0] = el[0].num_children;
    stack_def[0] = 0;
    stack_rep[0] = false;
    int li = 0;
    for (uint32_t i = 1; i < n; i++) {
        while (depth > 0 && stack_left[depth] == 0)
            depth--;
        if (stack_left[depth] <= 0) {
            fl_free(el);
            return corrupt(r, err, "schema tree does not match num_children");
        }
        stack_left[depth]--;
        int def = stack_def[depth] + (el[i].rep == PQ_OPTIONAL ? 1 : 0);
        bool rep = stack_rep[depth] || el[i].rep == PQ_REPEATED;
        if (el[i].num_children > 0) {
            if (depth + 1 >= TC_MAX_DEPTH) {
                fl_free(el);
                return corrupt(r, err, "schema nested too deeply");
            }
            depth++;
            stack_left[depth] = el[i].num_children;
            stack_def[depth] = def;
            stack_rep[depth] = rep;
            continue;
        }
        struct rleaf *lf = &r->leaves[li++];
        lf->name = el[i].name;
        lf->ptype = el[i].type;
        lf->type_length = el[i].type_length;
        lf->rep = el[i].rep;
        lf->max_def = def;
        lf->usable = depth == 0 && !rep && el[i].has_type && def <= 1 &&
                     lf->ptype != PQ_INT96 &&
                     (lf->ptype != PQ_FIXED_LEN_BYTE_ARRAY || lf->type_length > 0);
        lf->cname = fl_strndup(lf->name.p ? lf->name.p : "", lf->name.n);
        if (!lf->cname) {
            fl_free(el);
            return fl_error_set(err, FL_ENOMEM, "out of memory");
        }
        r->n_leaves = li; /* leaves so far: freed by fl_pq_close on a later error */
        lf->field = fl_field_lookup(lf->name.p ? lf->name.p : "", lf->name.n);
    }
    r->n_leaves = n_leaves;
    fl_free(el);
    return FL_OK;
}

static int parse_footer(fl_pq_reader *r, struct fl_error *err)
{
    if (r->size < 12)
        return corrupt(r, err, "too short to be Parquet");
    if (memcmp(r->data, "PAR1", 4) != 0 || memcmp(r->data + r->size - 4, "PAR1", 4) != 0)
        return corrupt(r, err, "missing PAR1 magic");
    uint32_t flen = fl__rd32(r->data + r->size - 8);
    if ((uint64_t)flen > r->size - 12)
        return corrupt(r, err, "footer length larger than the file");
    const uint8_t *f = r->data + r->size - 8 - flen;
    struct fl__tr t;
    fl__tr_init(&t, f, flen);
    int16_t last = 0, id;
    int ty;
    bool have_schema = false, have_rgs = false;
    /* The schema must be known before the row groups are sized: it comes
     * first in every writer we know; otherwise a second pass handles it. */
    const uint8_t *rg_at = NULL;
    int rg_type = 0;
    while ((ty = fl__tr_field(&t, &last, &id)) != TC_STOP) {
        if (id == 2 && ty == TC_LIST && !have_schema) {
            FL_TRY(parse_schema(r, &t, err));
            have_schema = true;
        } else if (id == 3) {
            int64_t v = fl__tr_int(&t, ty);
            r->num_rows = v > 0 ? (uint64_t)v : 0;
        } else if (id == 4 && ty == TC_LIST && !have_rgs) {
            rg_at = t.p;
            rg_type = ty;
            have_rgs = true;
            fl__tr_skip(&t, ty);
        } else if (id == 5 && ty == TC_LIST) {
            int et;
            uint32_t n = fl__tr_list(&t, &et);
            if (t.rc)
                break;
            r->kvs = fl_calloc(n ? n : 1, sizeof *r->kvs);
            if (!r->kvs)
                return fl_error_set(err, FL_ENOMEM, "out of memory");
            for (uint32_t i = 0; i < n && !t.rc; i++) {
                if (et != TC_STRUCT) {
                    fl__tr_skip(&t, et);
                    continue;
                }
                if (!fl__tr_enter(&t))
                    break;
                int16_t l2 = 0, id2;
                int t2;
                struct fl_str k = {NULL, 0}, v = {NULL, 0};
                while ((t2 = fl__tr_field(&t, &l2, &id2)) != TC_STOP) {
                    if (id2 == 1 && t2 == TC_BINARY)
                        k = fl__tr_bin(&t);
                    else if (id2 == 2 && t2 == TC_BINARY)
                        v = fl__tr_bin(&t);
                    else
                        fl__tr_skip(&t, t2);
                }
                fl__tr_leave(&t);
                if (k.p) {
                    struct kv *e = &r->kvs[r->n_kv++];
                    e->key = fl_strndup(k.p, k.n);
                    e->val = fl_strndup(v.p ? v.p : "", v.n);
                    if (!e->key || !e->val)
                        return fl_error_set(err, FL_ENOMEM, "out of memory");
                }
            }
        } else {
            fl__tr_skip(&t, ty);
        }
    }
    if (t.rc)
        return corrupt(r, err, "truncated or malformed footer");
    if (!have_schema)
        return corrupt(r, err, "footer has no schema");
    if (have_rgs) {
        struct fl__tr t2;
        fl__tr_init(&t2, rg_at, (size_t)(f + flen - rg_at));
        (void)rg_type;
        int et;
        uint32_t n = fl__tr_list(&t2, &et);
        if (t2.rc || (n && et != TC_STRUCT))
            return corrupt(r, err, "bad row group list");
        if (n > 1000000)
            return corrupt(r, err, "too many row groups");
        r->rg_rows = fl_calloc(n ? n : 1, sizeof *r->rg_rows);
        /* each ColumnChunk takes at least 2 bytes: bounded by the footer */
        if ((uint64_t)n * (uint64_t)r->n_leaves > (uint64_t)flen)
            return corrupt(r, err, "more column chunks than the footer can hold");
        r->chunks = fl_calloc((size_t)n * (size_t)r->n_leaves + 1, sizeof *r->chunks);
        if (!r->rg_rows || !r->chunks)
            return fl_error_set(err, FL_ENOMEM, "out of memory");
        r->n_rg = (int)n;
        for (uint32_t i = 0; i < n; i++)
            FL_TRY(parse_rowgroup(r, &t2, (int)i, err));
    }
    for (int c = 0; c < FL_NCOLS; c++)
        r->col_leaf[c] = -1;
    for (int i = 0; i < r->n_leaves; i++) {
        struct rleaf *lf = &r->leaves[i];
        if (lf->field >= 0 && lf->usable && r->col_leaf[lf->field] < 0)
            r->col_leaf[lf->field] = i;
    }
    return FL_OK;
}

/* ---- open/close ----------------------------------------------------------- */
static int finish_open(fl_pq_reader *r, fl_pq_reader **out, struct fl_error *err)
{
    uint64_t cap = (uint64_t)r->size * 256 + ((uint64_t)1 << 20);
    r->page_cap = cap > PAGE_MAX ? PAGE_MAX : (size_t)cap;
    fl_buf_init(&r->tmp, PAGE_MAX);
    r->codec = fl__codec_new();
    if (!r->codec) {
        fl_pq_close(r);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    int rc = parse_footer(r, err);
    if (rc < 0) {
        fl_pq_close(r);
        return rc;
    }
    r->st = fl_calloc((size_t)(r->n_leaves ? r->n_leaves : 1), sizeof *r->st);
    if (!r->st) {
        fl_pq_close(r);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    *out = r;
    return FL_OK;
}

int fl_pq_open_buf(fl_pq_reader **out, const void *p, size_t n, const char *name,
                   struct fl_error *err)
{
    *out = NULL;
    fl_pq_reader *r = fl_calloc(1, sizeof *r);
    if (!r)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    r->data = p;
    r->size = n;
    if (!name)
        name = "(memory)";
    fl_strlcpy(r->name, name, strlen(name), sizeof r->name);
    return finish_open(r, out, err);
}

int fl_pq_open_mem(fl_pq_reader **out, const void *p, size_t n, struct fl_error *err)
{
    return fl_pq_open_buf(out, p, n, NULL, err);
}

int fl_pq_open(fl_pq_reader **out, const char *path, struct fl_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_error_sys(err, FL_EIO, errno, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fl_error_set(err, FL_EIO, "%s: not a regular file", path);
    }
    fl_pq_reader *r = fl_calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    fl_strlcpy(r->name, path, strlen(path), sizeof r->name);
    if (sb.st_size < 12) {
        close(fd);
        int rc = corrupt(r, err, "too short to be Parquet");
        fl_pq_close(r);
        return rc;
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        fl_pq_close(r);
        return fl_error_sys(err, FL_EIO, e, "%s: mmap failed: %s", path, strerror(e));
    }
    r->map = m;
    r->map_len = (size_t)sb.st_size;
    r->data = m;
    r->size = (size_t)sb.st_size;
    return finish_open(r, out, err);
}

static void free_state(struct rstate *s)
{
    if (!s)
        return;
    fl_free(s->dbuf);
    fl_free(s->dict_i);
    fl_free(s->dict_d);
    fl_free(s->dict_s);
    fl_free(s->pbuf);
    fl_free(s->dref);
    fl_free(s->dref_epoch);
    fl_free(s);
}

void fl_pq_close(fl_pq_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_leaves; i++) {
        if (r->st)
            free_state(r->st[i]);
        fl_free(r->leaves[i].cname);
    }
    fl_free(r->st);
    fl_free(r->leaves);
    fl_free(r->rg_rows);
    fl_free(r->chunks);
    for (int i = 0; i < r->n_kv; i++) {
        fl_free(r->kvs[i].key);
        fl_free(r->kvs[i].val);
    }
    fl_free(r->kvs);
    fl__codec_free(r->codec);
    fl_buf_free(&r->tmp);
    if (r->map)
        munmap(r->map, r->map_len);
    fl_free(r);
}

uint64_t fl_pq_num_rows(const fl_pq_reader *r) { return r->num_rows; }
int fl_pq_num_row_groups(const fl_pq_reader *r) { return r->n_rg; }
uint64_t fl_pq_rg_rows(const fl_pq_reader *r, int rg)
{
    return rg >= 0 && rg < r->n_rg ? (uint64_t)r->rg_rows[rg] : 0;
}
bool fl_pq_has_col(const fl_pq_reader *r, int col)
{
    return col >= 0 && col < FL_NCOLS && r->col_leaf[col] >= 0;
}

const char *fl_pq_kv(const fl_pq_reader *r, const char *key)
{
    for (int i = 0; i < r->n_kv; i++)
        if (strcmp(r->kvs[i].key, key) == 0)
            return r->kvs[i].val;
    return NULL;
}

int fl_pq_n_columns(const fl_pq_reader *r) { return r->n_leaves; }
const char *fl_pq_column_name(const fl_pq_reader *r, int i)
{
    return i >= 0 && i < r->n_leaves ? r->leaves[i].cname : NULL;
}
int fl_pq_column_field(const fl_pq_reader *r, int i)
{
    if (i < 0 || i >= r->n_leaves || !r->leaves[i].usable)
        return -1;
    return r->leaves[i].field >= 0 && r->col_leaf[r->leaves[i].field] == i ? r->leaves[i].field
                                                                            : -1;
}

static bool stat_int_val(struct fl_str s, int ptype, int64_t *out)
{
    if (ptype == PQ_INT32 && s.n == 4) {
        *out = (int32_t)fl__rd32((const uint8_t *)s.p);
        return true;
    }
    if (ptype == PQ_INT64 && s.n == 8) {
        *out = (int64_t)fl__rd64((const uint8_t *)s.p);
        return true;
    }
    return false;
}

int fl_pq_rg_stats(const fl_pq_reader *r, int rg, int col, struct fl_pq_colstats *out)
{
    memset(out, 0, sizeof *out);
    if (rg < 0 || rg >= r->n_rg || col < 0 || col >= FL_NCOLS || r->col_leaf[col] < 0)
        return FL_ENOTFOUND;
    int li = r->col_leaf[col];
    const struct rleaf *lf = &r->leaves[li];
    const struct rchunk *c = &r->chunks[(size_t)rg * (size_t)r->n_leaves + (size_t)li];
    if (!c->present)
        return FL_ENOTFOUND;
    if (c->has_nulls) {
        out->has_null_count = true;
        out->null_count = c->null_count;
    }
    if (lf->ptype == PQ_INT32 || lf->ptype == PQ_INT64) {
        struct fl_str mn = c->has_min ? c->min : c->min_old;
        struct fl_str mx = c->has_max ? c->max : c->max_old;
        bool okmin = (c->has_min || c->has_min_old) && stat_int_val(mn, lf->ptype, &out->min_i);
        bool okmax = (c->has_max || c->has_max_old) && stat_int_val(mx, lf->ptype, &out->max_i);
        out->has_minmax = okmin && okmax && fl_fields[col].type != FL_STR;
    } else if (lf->ptype == PQ_BYTE_ARRAY && c->has_min && c->has_max &&
               fl_fields[col].type == FL_STR) {
        out->min_s = c->min;
        out->max_s = c->max;
        out->has_minmax = true;
    }
    if (!out->has_minmax && !out->has_null_count)
        return FL_ENOTFOUND;
    return FL_OK;
}

/* ---- pages ---------------------------------------------------------------- */
struct phdr {
    int type;
    int64_t usize, csize;
    int64_t num_values;
    int encoding;
    int def_enc;
    /* v2 */
    int64_t def_len, rep_len;
    bool v2_compressed;
    bool has_sub;
};

static void parse_sub(struct fl__tr *t, struct phdr *h, int which)
{
    if (!fl__tr_enter(t))
        return;
    int16_t last = 0, id;
    int ty;
    h->has_sub = true;
    while ((ty = fl__tr_field(t, &last, &id)) != TC_STOP) {
        if (id == 1)
            h->num_values = fl__tr_int(t, ty);
        else if (which == 8 && id == 4)
            h->encoding = (int)fl__tr_int(t, ty);
        else if (which != 8 && id == 2)
            h->encoding = (int)fl__tr_int(t, ty);
        else if (which == 5 && id == 3)
            h->def_enc = (int)fl__tr_int(t, ty);
        else if (which == 8 && id == 5)
            h->def_len = fl__tr_int(t, ty);
        else if (which == 8 && id == 6)
            h->rep_len = fl__tr_int(t, ty);
        else if (which == 8 && id == 7)
            h->v2_compressed = fl__tr_bool(t, ty);
        else
            fl__tr_skip(t, ty);
    }
    fl__tr_leave(t);
}

static int read_page_header(fl_pq_reader *r, struct rstate *s, struct phdr *h,
                            const uint8_t **body, const char *cname, struct fl_error *err)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->def_enc = PQ_ENC_RLE;
    h->v2_compressed = true;
    struct fl__tr t;
    fl__tr_init(&t, s->pos, (size_t)(s->end - s->pos));
    int16_t last = 0, id;
    int ty;
    while ((ty = fl__tr_field(&t, &last, &id)) != TC_STOP) {
        switch (id) {
        case 1: h->type = (int)fl__tr_int(&t, ty); break;
        case 2: h->usize = fl__tr_int(&t, ty); break;
        case 3: h->csize = fl__tr_int(&t, ty); break;
        case 5:
        case 7:
        case 8:
            if (ty == TC_STRUCT)
                parse_sub(&t, h, id);
            else
                fl__tr_skip(&t, ty);
            break;
        default: fl__tr_skip(&t, ty);
        }
    }
    if (t.rc)
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: truncated page header",
                            r->name, cname);
    if (h->csize < 0 || h->usize < 0 || h->csize > s->end - t.p)
        return fl_error_set(err, FL_ECORRUPT,
                            "%s: column %s: page size %" PRId64 " outside the column chunk",
                            r->name, cname, h->csize);
    if ((uint64_t)h->usize > r->page_cap)
        return fl_error_set(err, FL_ECORRUPT,
                            "%s: column %s: page of %" PRId64 " bytes exceeds the limit",
                            r->name, cname, h->usize);
    if (h->num_values < 0 || h->num_values > INT32_MAX)
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: bad page value count",
                            r->name, cname);
    *body = t.p;
    s->pos = t.p + h->csize;
    return FL_OK;
}

/* Decompress a page body into *buf (grown, capped). */
static int inflate_body(fl_pq_reader *r, int codec, const uint8_t *src, size_t n,
                        size_t usize, uint8_t **buf, size_t *cap, const char *cname,
                        struct fl_error *err)
{
    if (fl__codec_check_size(codec, src, n, usize) < 0)
        return fl_error_set(err, FL_ECORRUPT,
                            "%s: column %s: compressed page does not match its size",
                            r->name, cname);
    if (usize + 8 > *cap) {
        size_t nc = usize + 8 + usize / 4;
        if (nc > r->page_cap + 8)
            nc = r->page_cap + 8;
        uint8_t *p = fl_realloc(*buf, nc);
        if (!p)
            return fl_error_set(err, FL_ENOMEM, "out of memory");
        *buf = p;
        *cap = nc;
    }
    int rc = fl__codec_decompress(r->codec, codec, src, n, *buf, usize);
    if (rc == FL_EUNSUPPORTED)
        return fl_error_set(err, rc, "%s: column %s: compression codec %d not supported",
                            r->name, cname, codec);
    if (rc < 0)
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: page does not decompress",
                            r->name, cname);
    return FL_OK;
}

static int load_dict(fl_pq_reader *r, struct rstate *s, const struct rleaf *lf,
                     const struct phdr *h, const uint8_t *body, struct fl_error *err)
{
    const char *cn = lf->cname;
    if (s->has_dict)
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: second dictionary page",
                            r->name, cn);
    FL_TRY(inflate_body(r, s->ch->codec, body, (size_t)h->csize, (size_t)h->usize,
                        &s->dbuf, &s->dbuf_cap, cn, err));
    size_t n = (size_t)h->num_values;
    size_t us = (size_t)h->usize;
    int pt = lf->ptype;
    size_t width = pt == PQ_INT32 || pt == PQ_FLOAT ? 4
                   : pt == PQ_INT64 || pt == PQ_DOUBLE ? 8
                   : pt == PQ_FIXED_LEN_BYTE_ARRAY ? (size_t)lf->type_length
                   : pt == PQ_BYTE_ARRAY ? 4 : 0;
    if (width == 0 || n > us / width + 1 || (n && n * width > us))
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: bad dictionary page",
                            r->name, cn);
    /* one array, of the column's kind (the leaf's type never changes) */
    if (n > s->dict_cap || !(s->dict_i || s->dict_d || s->dict_s)) {
        fl_free(s->dict_i);
        fl_free(s->dict_d);
        fl_free(s->dict_s);
        s->dict_i = NULL;
        s->dict_d = NULL;
        s->dict_s = NULL;
        s->dict_cap = 0;
        size_t cap = n ? n : 1;
        bool ok;
        if (pt == PQ_INT32 || pt == PQ_INT64)
            ok = (s->dict_i = fl_malloc(cap * sizeof *s->dict_i)) != NULL;
        else if (pt == PQ_FLOAT || pt == PQ_DOUBLE)
            ok = (s->dict_d = fl_malloc(cap * sizeof *s->dict_d)) != NULL;
        else
            ok = (s->dict_s = fl_malloc(cap * sizeof *s->dict_s)) != NULL;
        if (!ok)
            return fl_error_set(err, FL_ENOMEM, "out of memory");
        s->dict_cap = cap;
    }
    const uint8_t *p = s->dbuf, *end = s->dbuf + us;
    for (size_t i = 0; i < n; i++) {
        switch (pt) {
        case PQ_INT32: s->dict_i[i] = (int32_t)fl__rd32(p); p += 4; break;
        case PQ_INT64: s->dict_i[i] = (int64_t)fl__rd64(p); p += 8; break;
        case PQ_FLOAT: {
            float f;
            memcpy(&f, p, 4);
            s->dict_d[i] = f;
            p += 4;
            break;
        }
        case PQ_DOUBLE: memcpy(&s->dict_d[i], p, 8); p += 8; break;
        case PQ_FIXED_LEN_BYTE_ARRAY:
            s->dict_s[i] = (struct fl_str){(const char *)p, width};
            p += width;
            break;
        default: {
            if (end - p < 4)
                return fl_error_set(err, FL_ECORRUPT, "%s: column %s: truncated dictionary",
                                    r->name, cn);
            uint32_t len = fl__rd32(p);
            p += 4;
            if (len > (size_t)(end - p))
                return fl_error_set(err, FL_ECORRUPT, "%s: column %s: truncated dictionary",
                                    r->name, cn);
            s->dict_s[i] = (struct fl_str){(const char *)p, len};
            p += len;
        }
        }
    }
    s->n_dict = (uint32_t)n;
    s->has_dict = true;
    if (s->dref_epoch)
        memset(s->dref_epoch, 0, s->dref_cap * sizeof *s->dref_epoch);
    return FL_OK;
}

/* Read the next data page into s; pages wholly inside `skip` values are
 * stepped over without decompressing (*skipped gets their values). */
static int next_page(fl_pq_reader *r, struct rstate *s, const struct rleaf *lf,
                     uint64_t skip, uint64_t *skipped, struct fl_error *err)
{
    const char *cn = lf->cname;
    *skipped = 0;
    for (;;) {
        if (s->pos >= s->end)
            return fl_error_set(err, FL_ECORRUPT,
                                "%s: column %s: column chunk ends before its values",
                                r->name, cn);
        struct phdr h;
        const uint8_t *body = NULL;
        FL_TRY(read_page_header(r, s, &h, &body, cn, err));
        if (h.type == PQ_DICTIONARY_PAGE) {
            FL_TRY(load_dict(r, s, lf, &h, body, err));
            continue;
        }
        if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2)
            continue; /* index pages and unknown page types */
        if (!h.has_sub)
            return fl_error_set(err, FL_ECORRUPT, "%s: column %s: data page without header",
                                r->name, cn);
        if (h.num_values == 0)
            continue;
        if ((uint64_t)h.num_values <= skip - *skipped && skip > *skipped) {
            *skipped += (uint64_t)h.num_values;
            if (*skipped == skip)
                return FL_OK;
            continue;
        }
        bool dict = h.encoding == PQ_ENC_PLAIN_DICTIONARY || h.encoding == PQ_ENC_RLE_DICTIONARY;
        if (!dict && h.encoding != PQ_ENC_PLAIN)
            return fl_error_set(err, FL_EUNSUPPORTED,
                                "%s: column %s: value encoding %d not supported", r->name,
                                cn, h.encoding);
        if (dict && !s->has_dict)
            return fl_error_set(err, FL_ECORRUPT,
                                "%s: column %s: dictionary page missing", r->name, cn);
        const uint8_t *vals;
        size_t nvals;
        s->page_has_def = lf->max_def > 0;
        if (h.type == PQ_DATA_PAGE) {
            FL_TRY(inflate_body(r, s->ch->codec, body, (size_t)h.csize, (size_t)h.usize,
                                &s->pbuf, &s->pbuf_cap, cn, err));
            const uint8_t *p = s->pbuf, *end = s->pbuf + h.usize;
            if (lf->max_def > 0) {
                if (h.def_enc != PQ_ENC_RLE)
                    return fl_error_set(err, FL_EUNSUPPORTED,
                                        "%s: column %s: level encoding %d not supported",
                                        r->name, cn, h.def_enc);
                if (end - p < 4 || fl__rd32(p) > (size_t)(end - p - 4))
                    return fl_error_set(err, FL_ECORRUPT,
                                        "%s: column %s: bad definition levels", r->name, cn);
                uint32_t dl = fl__rd32(p);
                fl__rle_dec_init(&s->def, p + 4, dl, 1);
                p += 4 + dl;
            }
            vals = p;
            nvals = (size_t)(end - p);
        } else {
            if (h.def_len < 0 || h.rep_len < 0 || h.rep_len + h.def_len > h.csize ||
                h.rep_len + h.def_len > h.usize)
                return fl_error_set(err, FL_ECORRUPT, "%s: column %s: bad v2 level sizes",
                                    r->name, cn);
            size_t lv = (size_t)(h.rep_len + h.def_len);
            if (lf->max_def > 0)
                fl__rle_dec_init(&s->def, body + h.rep_len, (size_t)h.def_len, 1);
            size_t cn_sz = (size_t)h.csize - lv, un_sz = (size_t)h.usize - lv;
            int codec = h.v2_compressed ? s->ch->codec : FL_CODEC_NONE;
            FL_TRY(inflate_body(r, codec, body + lv, cn_sz, un_sz, &s->pbuf, &s->pbuf_cap,
                                cn, err));
            vals = s->pbuf;
            nvals = un_sz;
        }
        s->page_dict = dict;
        if (dict) {
            if (nvals < 1)
                return fl_error_set(err, FL_ECORRUPT, "%s: column %s: empty index data",
                                    r->name, cn);
            int bw = vals[0];
            if (bw > 32)
                return fl_error_set(err, FL_ECORRUPT, "%s: column %s: bad index bit width",
                                    r->name, cn);
            fl__rle_dec_init(&s->idx, vals + 1, nvals - 1, bw);
        } else {
            s->vp = vals;
            s->vend = vals + nvals;
            s->bool_bit = 0;
        }
        s->page_left = (uint32_t)h.num_values;
        return FL_OK;
    }
}

static struct rstate *get_state(fl_pq_reader *r, int li, int rg, struct fl_error *err,
                                int *rc)
{
    struct rstate *s = r->st[li];
    if (!s) {
        s = fl_calloc(1, sizeof *s);
        if (!s) {
            *rc = fl_error_set(err, FL_ENOMEM, "out of memory");
            return NULL;
        }
        s->rg = -1;
        r->st[li] = s;
    }
    return s;
}

/* Position s at the start of chunk (rg, li). */
static int start_chunk(fl_pq_reader *r, struct rstate *s, int rg, int li,
                       struct fl_error *err)
{
    const struct rleaf *lf = &r->leaves[li];
    const struct rchunk *c = &r->chunks[(size_t)rg * (size_t)r->n_leaves + (size_t)li];
    s->rg = -1;
    if (!c->present)
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: no column metadata", r->name,
                            lf->cname);
    if (c->ptype != lf->ptype)
        return fl_error_set(err, FL_ECORRUPT, "%s: column %s: type differs from the schema",
                            r->name, lf->cname);
    int64_t start = c->data_off;
    if (c->dict_off > 0 && c->dict_off < start)
        start = c->dict_off;
    uint64_t limit = r->size - 8 - fl__rd32(r->data + r->size - 8);
    if (start < 4 || c->tcs < 0 || (uint64_t)start > limit ||
        (uint64_t)c->tcs > limit - (uint64_t)start)
        return fl_error_set(err, FL_ECORRUPT,
                            "%s: column %s: chunk offset/size outside the file", r->name,
                            lf->cname);
    s->pos = r->data + start;
    s->end = s->pos + c->tcs;
    s->ch = c;
    s->row = 0;
    s->has_dict = false;
    s->n_dict = 0;
    s->page_left = 0;
    s->rg = rg;
    return FL_OK;
}

/* Decode the next values (at most n <= STEP, and never past the end of the
 * current page, because string values point into the page buffer) into
 * s->defs and s->vi/vd/vs by row.  Returns how many (> 0) or < 0. */
static int decode_step(fl_pq_reader *r, struct rstate *s, const struct rleaf *lf,
                       uint32_t n, struct fl_error *err)
{
    const char *cn = lf->cname;
    uint32_t got = 0;
    if (s->page_left == 0) {
        uint64_t sk;
        FL_TRY(next_page(r, s, lf, 0, &sk, err));
    }
    {
        uint32_t k = FL_MIN(n - got, s->page_left);
        uint8_t *defs = s->defs + got;
        uint32_t nn = k;
        if (s->page_has_def) {
            int g = fl__rle_dec_get8(&s->def, defs, k);
            if (g != (int)k)
                return fl_error_set(err, FL_ECORRUPT,
                                    "%s: column %s: definition levels end early", r->name, cn);
            nn = 0;
            for (uint32_t i = 0; i < k; i++) {
                if (defs[i] > 1)
                    return fl_error_set(err, FL_ECORRUPT,
                                        "%s: column %s: bad definition level", r->name, cn);
                nn += defs[i];
            }
        } else {
            memset(defs, 1, k);
        }
        /* decode nn values, then spread them to the rows with defs==1 */
        uint32_t vi = 0;
        s->step_nn = nn;
        s->step_dict = s->page_dict;
        if (s->page_dict) {
            int g = fl__rle_dec_get(&s->idx, s->idxs, nn);
            if (g != (int)nn)
                return fl_error_set(err, FL_ECORRUPT, "%s: column %s: dictionary indices end early",
                                    r->name, cn);
        }
        for (uint32_t i = 0; i < k && nn; i++) {
            if (!defs[i])
                continue;
            uint32_t at = got + i;
            if (s->page_dict) {
                uint32_t x = s->idxs[vi++];
                if (x >= s->n_dict)
                    return fl_error_set(err, FL_ECORRUPT,
                                        "%s: column %s: dictionary index out of range",
                                        r->name, cn);
                if (s->dict_i)
                    s->vi[at] = s->dict_i[x];
                else if (s->dict_d)
                    s->vd[at] = s->dict_d[x];
                else
                    s->vs[at] = s->dict_s[x];
                s->vix[at] = x;
                continue;
            }
            size_t left = (size_t)(s->vend - s->vp);
            switch (lf->ptype) {
            case PQ_BOOLEAN: {
                if (left < 1)
                    goto trunc;
                s->vi[at] = (s->vp[0] >> s->bool_bit) & 1;
                if (++s->bool_bit == 8) {
                    s->bool_bit = 0;
                    s->vp++;
                }
                break;
            }
            case PQ_INT32:
                if (left < 4)
                    goto trunc;
                s->vi[at] = (int32_t)fl__rd32(s->vp);
                s->vp += 4;
                break;
            case PQ_INT64:
                if (left < 8)
                    goto trunc;
                s->vi[at] = (int64_t)fl__rd64(s->vp);
                s->vp += 8;
                break;
            case PQ_FLOAT: {
                if (left < 4)
                    goto trunc;
                float f;
                memcpy(&f, s->vp, 4);
                s->vd[at] = f;
                s->vp += 4;
                break;
            }
            case PQ_DOUBLE:
                if (left < 8)
                    goto trunc;
                memcpy(&s->vd[at], s->vp, 8);
                s->vp += 8;
                break;
            case PQ_FIXED_LEN_BYTE_ARRAY:
                if (left < (size_t)lf->type_length)
                    goto trunc;
                s->vs[at] = (struct fl_str){(const char *)s->vp, (size_t)lf->type_length};
                s->vp += lf->type_length;
                break;
            default: {
                if (left < 4)
                    goto trunc;
                uint32_t len = fl__rd32(s->vp);
                if (len > left - 4)
                    goto trunc;
                s->vs[at] = (struct fl_str){(const char *)s->vp + 4, len};
                s->vp += 4 + len;
            }
            }
        }
        s->page_left -= k;
        got += k;
    }
    s->row += got;
    return (int)got;
trunc:
    return fl_error_set(err, FL_ECORRUPT, "%s: column %s: page values truncated", r->name, cn);
}

/* Bring leaf li to (rg, row0). */
static int seek_leaf(fl_pq_reader *r, struct rstate *s, int rg, int li, uint64_t row0,
                     struct fl_error *err)
{
    const struct rleaf *lf = &r->leaves[li];
    if (s->rg != rg || s->row > row0)
        FL_TRY(start_chunk(r, s, rg, li, err));
    while (s->row < row0) {
        uint64_t need = row0 - s->row;
        if (s->page_left == 0) {
            uint64_t sk;
            FL_TRY(next_page(r, s, lf, need, &sk, err));
            s->row += sk;
            continue;
        }
        uint32_t k = (uint32_t)FL_MIN(need, (uint64_t)STEP);
        int got = decode_step(r, s, lf, k, err);
        if (got < 0)
            return got;
    }
    return FL_OK;
}

static int fmt_i64(char *buf, int64_t v)
{
    return snprintf(buf, 24, "%" PRId64, v);
}

/* Store step values [0, k) of leaf lf into batch column col at rows base+i. */
static int store_step(fl_pq_reader *r, struct rstate *s, const struct rleaf *lf, int col,
                      struct fl_batch *b, uint32_t base, uint32_t k, struct fl_error *err)
{
    struct fl_column *bc = &b->col[col];
    bool want_str = fl_fields[col].type == FL_STR;
    int pt = lf->ptype;
    bool src_str = pt == PQ_BYTE_ARRAY || pt == PQ_FIXED_LEN_BYTE_ARRAY;
    bool src_dbl = pt == PQ_FLOAT || pt == PQ_DOUBLE;
    if (s->step_nn == 0) {
        memset(bc->valid + base, 0, k);
        return FL_OK;
    }
    if (want_str && src_str && s->step_dict && s->n_dict) {
        /* Dictionary strings: copy each entry into the batch once. */
        if (s->dref_cap < s->n_dict) {
            fl_free(s->dref);
            fl_free(s->dref_epoch);
            s->dref = fl_malloc(s->n_dict * sizeof *s->dref);
            s->dref_epoch = fl_calloc(s->n_dict, sizeof *s->dref_epoch);
            s->dref_cap = s->dref ? s->n_dict : 0;
            if (!s->dref || !s->dref_epoch)
                return fl_error_set(err, FL_ENOMEM, "out of memory");
        }
        uint32_t ep = r->epoch;
        for (uint32_t i = 0; i < k; i++) {
            uint32_t row = base + i;
            if (!s->defs[i]) {
                bc->valid[row] = 0;
                continue;
            }
            uint32_t x = s->vix[i];
            if (s->dref_epoch[x] != ep) {
                struct fl_str v = s->dict_s[x];
                if (v.n == 1 && v.p[0] == '-') {
                    s->dref[x] = (struct fl_sref){UINT32_MAX, 0};
                } else {
                    int rc = fl_batch_intern(b, v.p, v.n, &s->dref[x]);
                    if (rc < 0)
                        return fl_error_set(err, rc, "%s: batch string arena full", r->name);
                }
                s->dref_epoch[x] = ep;
            }
            if (s->dref[x].off == UINT32_MAX) {
                bc->valid[row] = 0;
            } else {
                bc->s[row] = s->dref[x];
                bc->valid[row] = 1;
            }
        }
        return FL_OK;
    }
    for (uint32_t i = 0; i < k; i++) {
        uint32_t row = base + i;
        if (!s->defs[i]) {
            bc->valid[row] = 0;
            continue;
        }
        if (want_str) {
            struct fl_str v;
            char tmp[40];
            if (src_str) {
                v = s->vs[i];
                if (v.n == 1 && v.p[0] == '-') {
                    bc->valid[row] = 0;
                    continue;
                }
            } else if (src_dbl) {
                int n = snprintf(tmp, sizeof tmp, "%.17g", s->vd[i]);
                v = (struct fl_str){tmp, (size_t)n};
            } else {
                int n = fmt_i64(tmp, s->vi[i]);
                v = (struct fl_str){tmp, (size_t)n};
            }
            int rc = fl_set_str(b, col, row, v.p, v.n);
            if (rc < 0)
                return fl_error_set(err, rc, "%s: batch string arena full", r->name);
        } else {
            int64_t x;
            if (src_str) {
                struct fl_str v = s->vs[i];
                if (fl_parse_i64(v.p, v.n, &x) != FL_OK) {
                    bc->valid[row] = 0;
                    continue;
                }
            } else if (src_dbl) {
                double d = s->vd[i];
                if (!(d >= -9.2e18 && d <= 9.2e18)) {
                    bc->valid[row] = 0;
                    continue;
                }
                x = (int64_t)d;
            } else {
                x = s->vi[i];
            }
            bc->i[row] = x;
            bc->valid[row] = 1;
        }
    }
    return FL_OK;
}

/* Dictionary strings copied into a batch are reused by later rows of the
 * same batch fill.  A new fill (another batch, an empty one, or an arena
 * that shrank: reset) starts a new epoch, which invalidates them. */
static void bump_epoch(fl_pq_reader *r, const struct fl_batch *b)
{
    if (b == r->epoch_b && b->n > 0 && b->arena_len >= r->epoch_arena)
        return;
    r->epoch_b = b;
    if (++r->epoch == 0) {
        r->epoch = 1;
        for (int i = 0; i < r->n_leaves; i++)
            if (r->st[i] && r->st[i]->dref_epoch)
                memset(r->st[i]->dref_epoch, 0, r->st[i]->dref_cap * sizeof(uint32_t));
    }
}

int fl_pq_read(fl_pq_reader *r, int rg, uint64_t row0, uint32_t want, const int *cols,
               int n_cols, struct fl_batch *b, struct fl_error *err)
{
    if (rg < 0 || rg >= r->n_rg)
        return fl_error_set(err, FL_EINVAL, "%s: no row group %d", r->name, rg);
    uint64_t rows = (uint64_t)r->rg_rows[rg];
    if (row0 >= rows)
        return 0;
    uint32_t n = (uint32_t)FL_MIN((uint64_t)want, rows - row0);
    if (n > b->cap - b->n)
        n = b->cap - b->n;
    uint32_t base = b->n;
    /* A batch that is empty or another batch: strings copied earlier are
     * gone (the arena was reset). */
    bump_epoch(r, b);
    /* every column starts NULL; requested ones are filled below */
    for (int c = 0; c < FL_NCOLS; c++)
        memset(b->col[c].valid + base, 0, n);
    for (int ci = 0; ci < n_cols; ci++) {
        int col = cols[ci];
        if (col < 0 || col >= FL_NCOLS)
            return fl_error_set(err, FL_EINVAL, "bad column index %d", col);
        int li = r->col_leaf[col];
        if (li < 0)
            continue;
        int rc = FL_OK;
        struct rstate *s = get_state(r, li, rg, err, &rc);
        if (!s)
            return rc;
        rc = seek_leaf(r, s, rg, li, row0, err);
        if (rc < 0) {
            s->rg = -1;
            return rc;
        }
        uint32_t done = 0;
        while (done < n) {
            rc = decode_step(r, s, &r->leaves[li], FL_MIN(n - done, (uint32_t)STEP), err);
            uint32_t k = rc > 0 ? (uint32_t)rc : 0;
            if (rc > 0)
                rc = store_step(r, s, &r->leaves[li], col, b, base + done, k, err);
            if (rc < 0) {
                s->rg = -1;
                return rc;
            }
            done += k;
        }
    }
    b->n += n;
    r->epoch_arena = b->arena_len;
    return (int)n;
}

int fl_pq_read_text(fl_pq_reader *r, int rg, uint64_t row0, uint32_t want, int leaf,
                    struct fl_batch *b, int col, bool *is_number, struct fl_error *err)
{
    if (rg < 0 || rg >= r->n_rg || leaf < 0 || leaf >= r->n_leaves ||
        fl_fields[col].type != FL_STR)
        return fl_error_set(err, FL_EINVAL, "bad arguments to fl_pq_read_text");
    const struct rleaf *lf = &r->leaves[leaf];
    uint64_t rows = (uint64_t)r->rg_rows[rg];
    if (row0 >= rows)
        return 0;
    uint32_t n = (uint32_t)FL_MIN((uint64_t)want, rows - row0);
    if (n > b->cap - b->n)
        n = b->cap - b->n;
    *is_number = lf->ptype != PQ_BYTE_ARRAY && lf->ptype != PQ_FIXED_LEN_BYTE_ARRAY;
    if (!lf->usable) {
        memset(b->col[col].valid + b->n, 0, n);
        return (int)n;
    }
    int rc = FL_OK;
    struct rstate *s = get_state(r, leaf, rg, err, &rc);
    if (!s)
        return rc;
    rc = seek_leaf(r, s, rg, leaf, row0, err);
    r->epoch_b = NULL; /* b->n does not move here: a fresh epoch per call */
    bump_epoch(r, b);
    r->epoch_b = NULL;
    uint32_t done = 0;
    while (rc == FL_OK && done < n) {
        rc = decode_step(r, s, lf, FL_MIN(n - done, (uint32_t)STEP), err);
        if (rc < 0)
            break;
        uint32_t k = (uint32_t)rc;
        rc = FL_OK;
        if (lf->ptype == PQ_BOOLEAN) {
            for (uint32_t i = 0; i < k; i++) {
                if (!s->defs[i])
                    continue;
                const char *t = s->vi[i] ? "true" : "false";
                s->defs[i] = 1;
                rc = fl_set_str(b, col, b->n + done + i, t, strlen(t));
                if (rc < 0)
                    return fl_error_set(err, rc, "%s: batch string arena full", r->name);
            }
            for (uint32_t i = 0; i < k; i++)
                if (!s->defs[i])
                    b->col[col].valid[b->n + done + i] = 0;
        } else if (rc == FL_OK) {
            rc = store_step(r, s, lf, col, b, b->n + done, k, err);
        }
        done += k;
    }
    if (rc < 0) {
        s->rg = -1;
        return rc;
    }
    return (int)n;
}

int fl_pq_read_codes(fl_pq_reader *r, int rg, uint64_t row0, uint32_t want, int col,
                     int32_t *codes, const struct fl_str **dict_out, uint32_t *n_dict_out,
                     struct fl_error *err)
{
    *dict_out = NULL;
    *n_dict_out = 0;
    if (rg < 0 || rg >= r->n_rg || col < 0 || col >= FL_NCOLS)
        return fl_error_set(err, FL_EINVAL, "bad arguments to fl_pq_read_codes");
    int li = r->col_leaf[col];
    if (li < 0)
        return FL_ENOTFOUND;
    const struct rleaf *lf = &r->leaves[li];
    if (lf->ptype != PQ_BYTE_ARRAY)
        return FL_EUNSUPPORTED;
    uint64_t rows = (uint64_t)r->rg_rows[rg];
    if (row0 >= rows)
        return 0;
    uint32_t n = (uint32_t)FL_MIN((uint64_t)want, rows - row0);
    int rc = FL_OK;
    struct rstate *s = get_state(r, li, rg, err, &rc);
    if (!s)
        return rc;
    rc = seek_leaf(r, s, rg, li, row0, err);
    uint32_t done = 0;
    while (rc >= 0 && done < n) {
        rc = decode_step(r, s, lf, FL_MIN(n - done, (uint32_t)STEP), err);
        if (rc < 0)
            break;
        uint32_t k = (uint32_t)rc;
        if (s->step_nn && !s->step_dict) {
            /* a PLAIN page: the caller reads this range with fl_pq_read */
            s->rg = -1;
            return FL_EUNSUPPORTED;
        }
        for (uint32_t i = 0; i < k; i++) {
            int32_t code = -1;
            if (s->defs[i]) {
                struct fl_str v = s->dict_s[s->vix[i]];
                if (!(v.n == 1 && v.p[0] == '-'))
                    code = (int32_t)s->vix[i];
            }
            codes[done + i] = code;
        }
        done += k;
    }
    if (rc < 0) {
        s->rg = -1;
        return rc;
    }
    if (s->has_dict) {
        *dict_out = s->dict_s;
        *n_dict_out = s->n_dict;
    }
    return (int)n;
}
