/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parquet_write.c - the Parquet writer: record batches in, a standard
 * Parquet file out (parquet-format: v1 data pages, PLAIN and RLE_DICTIONARY,
 * RLE/bit-packed definition levels, ZSTD/SNAPPY/GZIP/none, chunk statistics
 * with null_count, column_orders, created_by, key-value metadata).
 *
 * Every catalog column except the partition columns (FL_PART) is written,
 * OPTIONAL, in catalog order.  Rows are encoded column by column as they
 * arrive: each column keeps its current page (definition levels plus either
 * dictionary indices or PLAIN values); a full page is compressed at once and
 * appended to the column's chunk buffer, so memory is bounded by one row
 * group of encoded, compressed pages.  A column whose dictionary passes
 * dict_max_bytes goes on with PLAIN pages for the rest of the chunk.
 * All-NULL stretches of a column cost a counter only: such a page is a
 * single RLE run of zero definition levels and no values.
 *
 * Strings are stored as valid UTF-8: invalid bytes become U+FFFD.
 * The per-column hash tables and buffers are kept between row groups.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "store_int.h"

#define PQ_VERSION_STRING "flowsift version 0.1.0 (build " FL_BUILD_ID ")"
#ifndef FL_BUILD_ID
#define FL_BUILD_ID "dev"
#endif
#define PAGE_ROWS_DEFAULT 16384u
#define PAGE_BYTES_MAX ((size_t)1 << 18)
#define CHUNK_LIMIT ((size_t)1 << 31)

struct islot {
    int64_t v;
    uint32_t idx1; /* index + 1; 0 = empty */
    uint32_t h;
};

struct wcol {
    int field;          /* catalog column */
    int ptype;          /* PQ_INT32 / PQ_INT64 / PQ_BYTE_ARRAY */
    bool is_str;
    /* current page */
    uint32_t page_n;      /* values incl. NULLs */
    uint32_t page_nonnull;
    bool page_has_def;    /* defs[] materialised (else all NULL so far) */
    uint8_t *defs;        /* [page_rows] */
    uint32_t *idx;        /* [page_rows] dictionary indices */
    struct fl_buf plain;  /* PLAIN values (fallback mode) */
    /* dictionary of the current chunk */
    bool dict_on;
    struct fl_buf dict;   /* PLAIN-encoded entries = dictionary page body */
    uint32_t n_dict;
    uint64_t *hts;        /* strings: hash << 32 | (index + 1); 0 = empty */
    struct islot *hti;    /* ints */
    uint32_t ht_cap;      /* power of two */
    uint32_t n_hashed;    /* ints in hti */
    uint32_t *small;      /* ints in [0, SMALL_MAX): index + 1 */
    bool small_used;
    uint32_t *ent_off;    /* strings: offset of the entry's length prefix */
    uint32_t ent_cap;
    /* one-entry cache: the previous value's identity */
    const char *last_arena;
    struct fl_sref last_ref;
    int64_t last_i;
    uint32_t last_idx;
    bool last_ok;
    /* the chunk */
    struct fl_buf chunk;  /* data pages: headers + bodies */
    uint64_t chunk_values, chunk_nulls, chunk_usize;
    bool used_plain, used_dict;
    uint64_t dict_vals;   /* non-NULL values in dictionary pages */
    uint64_t dict_seen;   /* non-NULL values given to the dictionary */
    /* statistics */
    bool has_minmax;
    int64_t min_i, max_i;
    struct fl_buf min_s, max_s;
};

struct fl_pq_writer {
    int fd;
    char *path;
    struct fl_pq_write_opts o;
    uint32_t page_rows;
    uint64_t offset;        /* bytes written so far */
    uint64_t rows;          /* total rows */
    uint64_t rg_rows;       /* rows in the current row group */
    int n_rg;
    struct wcol *cols;
    int n_cols;
    struct fl__codec *codec;
    struct fl_buf body, comp, hdr, tmp, rgmeta, rgcols, str;
    bool failed;
};

/* ---- helpers -------------------------------------------------------------- */
static int wr_all(fl_pq_writer *w, const void *p, size_t n, struct fl_error *err)
{
    const char *s = p;
    while (n) {
        ssize_t k = write(w->fd, s, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return fl_error_sys(err, FL_EIO, errno, "%s: write failed", w->path);
        }
        s += k;
        n -= (size_t)k;
        w->offset += (uint64_t)k;
    }
    return FL_OK;
}

static int str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, FL_MIN(an, bn));
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int stat_str(struct wcol *c, const char *p, size_t n)
{
    if (!c->has_minmax) {
        c->min_s.len = c->max_s.len = 0;
        FL_TRY(fl_buf_add(&c->min_s, p, n));
        FL_TRY(fl_buf_add(&c->max_s, p, n));
        c->has_minmax = true;
        return FL_OK;
    }
    if (str_cmp(p, n, c->min_s.p, c->min_s.len) < 0) {
        c->min_s.len = 0;
        FL_TRY(fl_buf_add(&c->min_s, p, n));
    } else if (str_cmp(p, n, c->max_s.p, c->max_s.len) > 0) {
        c->max_s.len = 0;
        FL_TRY(fl_buf_add(&c->max_s, p, n));
    }
    return FL_OK;
}

static inline void stat_int(struct wcol *c, int64_t v)
{
    if (!c->has_minmax) {
        c->min_i = c->max_i = v;
        c->has_minmax = true;
    } else if (v < c->min_i) {
        c->min_i = v;
    } else if (v > c->max_i) {
        c->max_i = v;
    }
}

/* ---- pages ---------------------------------------------------------------- */
static int put_page_header(fl_pq_writer *w, int type, size_t usize, size_t csize,
                           uint32_t nvals, int enc)
{
    struct fl__tw t;
    w->hdr.len = 0;
    fl__tw_init(&t, &w->hdr);
    fl__tw_i32(&t, 1, type);
    fl__tw_i32(&t, 2, (int32_t)usize);
    fl__tw_i32(&t, 3, (int32_t)csize);
    if (type == PQ_DICTIONARY_PAGE) {
        fl__tw_struct_begin(&t, 7);
        fl__tw_i32(&t, 1, (int32_t)nvals);
        fl__tw_i32(&t, 2, enc);
        fl__tw_struct_end(&t);
    } else {
        fl__tw_struct_begin(&t, 5);
        fl__tw_i32(&t, 1, (int32_t)nvals);
        fl__tw_i32(&t, 2, enc);
        fl__tw_i32(&t, 3, PQ_ENC_RLE);
        fl__tw_i32(&t, 4, PQ_ENC_RLE);
        fl__tw_struct_end(&t);
    }
    fl__tw_struct_end(&t);
    return t.rc;
}

static int put_uvarint(struct fl_buf *o, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    return fl_buf_add(o, tmp, n);
}

/* Compress w->body and append header + body to dst; returns the
 * uncompressed size including the header via *usize_out. */
static int emit_page(fl_pq_writer *w, struct fl_buf *dst, int type, uint32_t nvals,
                     int enc, uint64_t *usize_out, struct fl_error *err)
{
    const struct fl_buf *src = &w->body;
    if (w->body.len > INT32_MAX)
        return fl_error_set(err, FL_ELIMIT, "%s: Parquet page larger than 2 GiB", w->path);
    if (w->o.codec != FL_CODEC_NONE) {
        int rc = fl__codec_compress(w->codec, (int)w->o.codec, w->o.zstd_level,
                                    w->body.p, w->body.len, &w->comp);
        if (rc < 0)
            return fl_error_set(err, rc, "%s: page compression failed", w->path);
        src = &w->comp;
    }
    if (src->len > INT32_MAX)
        return fl_error_set(err, FL_ELIMIT, "%s: Parquet page larger than 2 GiB", w->path);
    int rc = put_page_header(w, type, w->body.len, src->len, nvals, enc);
    if (rc == FL_OK)
        rc = fl_buf_add(dst, w->hdr.p, w->hdr.len);
    if (rc == FL_OK)
        rc = fl_buf_add(dst, src->p, src->len);
    if (rc < 0)
        return fl_error_set(err, rc, "%s: column chunk buffer: %s", w->path, fl_strerror(rc));
    *usize_out = w->hdr.len + w->body.len;
    return FL_OK;
}

static int flush_page(fl_pq_writer *w, struct wcol *c, struct fl_error *err)
{
    if (c->page_n == 0)
        return FL_OK;
    struct fl_buf *b = &w->body;
    b->len = 0;
    int rc = fl_buf_reserve(b, 4);
    if (rc < 0)
        return fl_error_set(err, rc, "out of memory");
    b->len = 4;
    if (!c->page_has_def || c->page_nonnull == 0) {
        rc = put_uvarint(b, (uint64_t)c->page_n << 1);
        if (rc == FL_OK)
            rc = fl_buf_addc(b, 0);
    } else if (c->page_nonnull == c->page_n) {
        rc = put_uvarint(b, (uint64_t)c->page_n << 1);
        if (rc == FL_OK)
            rc = fl_buf_addc(b, 1);
    } else {
        rc = fl__rle_encode_bits(b, c->defs, c->page_n);
    }
    if (rc < 0)
        return fl_error_set(err, rc, "out of memory");
    fl__wr32((uint8_t *)b->p, (uint32_t)(b->len - 4));
    int enc = PQ_ENC_PLAIN;
    if (c->page_nonnull > 0) {
        if (c->dict_on) {
            enc = PQ_ENC_RLE_DICTIONARY;
            int bw = fl__bit_width(c->n_dict ? c->n_dict - 1 : 0);
            rc = fl_buf_addc(b, (char)bw);
            if (rc == FL_OK)
                rc = fl__rle_encode(b, c->idx, c->page_nonnull, bw);
            c->used_dict = true;
            c->dict_vals += c->page_nonnull;
        } else {
            rc = fl_buf_add(b, c->plain.p, c->plain.len);
            c->used_plain = true;
        }
        if (rc < 0)
            return fl_error_set(err, rc, "out of memory");
    } else {
        c->used_plain = true;
    }
    uint64_t usize;
    FL_TRY(emit_page(w, &c->chunk, PQ_DATA_PAGE, c->page_n, enc, &usize, err));
    c->chunk_usize += usize;
    c->chunk_values += c->page_n;
    c->chunk_nulls += c->page_n - c->page_nonnull;
    c->page_n = c->page_nonnull = 0;
    c->page_has_def = false;
    c->plain.len = 0;
    /* A dictionary that keeps most values distinct costs lookups and saves
     * nothing: the rest of the chunk goes PLAIN (DuckDB does the same). */
    if (c->dict_on && c->dict_vals >= 32768 && (uint64_t)c->n_dict * 4 > c->dict_vals * 3) {
        c->dict_on = false;
        c->last_ok = false;
    }
    return FL_OK;
}

/* ---- dictionary ----------------------------------------------------------- */
/* Hash slots carry the hash (strings) or the value (ints) so that a probe
 * costs one cache miss; small non-negative ints use a direct map. */
#define SMALL_MAX 65536

static int dict_grow(struct wcol *c)
{
    uint32_t ncap = c->ht_cap ? c->ht_cap * 2 : 1024;
    uint32_t mask = ncap - 1;
    if (c->is_str) {
        uint64_t *ht = fl_calloc(ncap, sizeof *ht);
        if (!ht)
            return FL_ENOMEM;
        for (uint32_t i = 0; i < c->ht_cap; i++) {
            uint64_t e = c->hts[i];
            if (!e)
                continue;
            uint32_t h = (uint32_t)(e >> 32) & mask;
            while (ht[h])
                h = (h + 1) & mask;
            ht[h] = e;
        }
        fl_free(c->hts);
        c->hts = ht;
    } else {
        struct islot *ht = fl_calloc(ncap, sizeof *ht);
        if (!ht)
            return FL_ENOMEM;
        for (uint32_t i = 0; i < c->ht_cap; i++) {
            struct islot e = c->hti[i];
            if (!e.idx1)
                continue;
            uint32_t h = e.h & mask;
            while (ht[h].idx1)
                h = (h + 1) & mask;
            ht[h] = e;
        }
        fl_free(c->hti);
        c->hti = ht;
    }
    c->ht_cap = ncap;
    return FL_OK;
}

static void dict_clear(struct wcol *c)
{
    if (c->n_dict && c->ht_cap) {
        if (c->is_str)
            memset(c->hts, 0, (size_t)c->ht_cap * sizeof *c->hts);
        else
            memset(c->hti, 0, (size_t)c->ht_cap * sizeof *c->hti);
    }
    if (c->small_used)
        memset(c->small, 0, SMALL_MAX * sizeof *c->small);
    c->small_used = false;
    c->n_dict = 0;
    c->dict.len = 0;
}

static int ent_reserve(struct wcol *c)
{
    if (c->n_dict < c->ent_cap)
        return FL_OK;
    uint32_t ncap = c->ent_cap ? c->ent_cap * 2 : 1024;
    uint32_t *a = fl_realloc(c->ent_off, (size_t)ncap * sizeof *a);
    if (!a)
        return FL_ENOMEM;
    c->ent_off = a;
    c->ent_cap = ncap;
    return FL_OK;
}

static int dict_int_insert(fl_pq_writer *w, struct wcol *c, int64_t v, uint32_t *idx_out)
{
    int width = c->ptype == PQ_INT32 ? 4 : 8;
    if (c->dict.len + (size_t)width > w->o.dict_max_bytes)
        return 1;
    FL_TRY(fl_buf_reserve(&c->dict, 8));
    if (width == 4)
        fl__wr32((uint8_t *)c->dict.p + c->dict.len, (uint32_t)(int32_t)v);
    else
        fl__wr64((uint8_t *)c->dict.p + c->dict.len, (uint64_t)v);
    c->dict.len += (size_t)width;
    *idx_out = c->n_dict++;
    stat_int(c, v);
    return 0;
}

/* Look up or insert an int; *idx_out = index, or returns 1 if the
 * dictionary is full (caller falls back to PLAIN). */
static int dict_int(fl_pq_writer *w, struct wcol *c, int64_t v, uint32_t *idx_out)
{
    if ((uint64_t)v < SMALL_MAX) {
        if (!c->small) {
            c->small = fl_calloc(SMALL_MAX, sizeof *c->small);
            if (!c->small)
                return FL_ENOMEM;
        }
        uint32_t e = c->small[v];
        if (e) {
            *idx_out = e - 1;
            return 0;
        }
        int rc = dict_int_insert(w, c, v, idx_out);
        if (rc == 0) {
            c->small[v] = *idx_out + 1;
            c->small_used = true;
        }
        return rc;
    }
    if (FL_UNLIKELY(!c->ht_cap))
        FL_TRY(dict_grow(c)); /* tables are allocated on first use */
    uint32_t h32 = (uint32_t)fl_hash64((uint64_t)v);
    uint32_t mask = c->ht_cap - 1;
    uint32_t h = h32 & mask;
    for (;;) {
        struct islot *e = &c->hti[h];
        if (!e->idx1)
            break;
        if (e->v == v) {
            *idx_out = e->idx1 - 1;
            return 0;
        }
        h = (h + 1) & mask;
    }
    int rc = dict_int_insert(w, c, v, idx_out);
    if (rc != 0)
        return rc;
    c->hti[h] = (struct islot){v, *idx_out + 1, h32};
    if (++c->n_hashed * 2 > c->ht_cap)
        FL_TRY(dict_grow(c));
    return 0;
}

static int dict_str(fl_pq_writer *w, struct wcol *c, const char *p, size_t n,
                    uint32_t *idx_out)
{
    if (FL_UNLIKELY(!c->ht_cap))
        FL_TRY(dict_grow(c));
    uint32_t h32 = (uint32_t)fl_hash_bytes(p, n, 0x5eed);
    uint32_t mask = c->ht_cap - 1;
    uint32_t h = h32 & mask;
    const char *d = c->dict.p;
    for (;;) {
        uint64_t e = c->hts[h];
        if (!e)
            break;
        if ((uint32_t)(e >> 32) == h32) {
            uint32_t ix = (uint32_t)e - 1;
            uint32_t off = c->ent_off[ix];
            if (fl__rd32((const uint8_t *)d + off) == n && memcmp(d + off + 4, p, n) == 0) {
                *idx_out = ix;
                return 0;
            }
        }
        h = (h + 1) & mask;
    }
    if (c->dict.len + 4 + n > w->o.dict_max_bytes || c->dict.len + 4 + n > UINT32_MAX)
        return 1;
    FL_TRY(ent_reserve(c));
    FL_TRY(fl_buf_reserve(&c->dict, 4 + n));
    uint32_t off = (uint32_t)c->dict.len;
    fl__wr32((uint8_t *)c->dict.p + off, (uint32_t)n);
    memcpy(c->dict.p + off + 4, p, n);
    c->dict.len += 4 + n;
    uint32_t e = c->n_dict++;
    c->ent_off[e] = off;
    c->hts[h] = ((uint64_t)h32 << 32) | (e + 1);
    FL_TRY(stat_str(c, p, n));
    if (c->n_dict * 2 > c->ht_cap)
        FL_TRY(dict_grow(c));
    *idx_out = e;
    return 0;
}

/* ---- adding values -------------------------------------------------------- */
static int page_alloc(struct wcol *c, uint32_t page_rows)
{
    if (c->defs)
        return FL_OK;
    c->defs = fl_malloc(page_rows);
    c->idx = fl_malloc((size_t)page_rows * sizeof *c->idx);
    if (!c->defs || !c->idx)
        return FL_ENOMEM;
    return FL_OK;
}

static bool all_zero(const uint8_t *v, size_t n)
{
    size_t i = 0;
    /* 64 bytes per step (vectorised by the compiler), early exit per step */
    while (i + 64 <= n) {
        uint64_t x[8], acc = 0;
        memcpy(x, v + i, 64);
        for (int k = 0; k < 8; k++)
            acc |= x[k];
        if (acc)
            return false;
        i += 64;
    }
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, v + i, 8);
        if (x)
            return false;
        i += 8;
    }
    for (; i < n; i++)
        if (v[i])
            return false;
    return true;
}

/* Encode one non-NULL value of row r in dictionary or PLAIN mode. */
static int add_value(fl_pq_writer *w, struct wcol *c, const struct fl_batch *b,
                     uint32_t r, struct fl_error *err)
{
    int rc;
    if (!c->is_str) {
        int64_t v = b->col[c->field].i[r];
        if (c->ptype == PQ_INT32)
            v = (int32_t)v; /* what the file stores; statistics must agree */
        if (c->dict_on) {
            uint32_t idx;
            if (c->last_ok && v == c->last_i) {
                c->idx[c->page_nonnull] = c->last_idx;
                return FL_OK;
            }
            rc = dict_int(w, c, v, &idx);
            if (rc < 0)
                return fl_error_set(err, rc, "dictionary: %s", fl_strerror(rc));
            if (rc == 0) {
                c->idx[c->page_nonnull] = idx;
                c->last_ok = true;
                c->last_i = v;
                c->last_idx = idx;
                return FL_OK;
            }
            return 1; /* full: caller flushes and switches to PLAIN */
        }
        stat_int(c, v);
        uint8_t tmp[8];
        size_t n = c->ptype == PQ_INT32 ? 4 : 8;
        if (n == 4)
            fl__wr32(tmp, (uint32_t)(int32_t)v);
        else
            fl__wr64(tmp, (uint64_t)v);
        rc = fl_buf_add(&c->plain, tmp, n);
        if (rc < 0)
            return fl_error_set(err, rc, "page buffer: %s", fl_strerror(rc));
        return FL_OK;
    }
    struct fl_sref ref = b->col[c->field].s[r];
    if (c->dict_on && c->last_ok && c->last_arena == b->arena &&
        ref.off == c->last_ref.off && ref.len == c->last_ref.len) {
        c->idx[c->page_nonnull] = c->last_idx;
        return FL_OK;
    }
    const char *p = b->arena + ref.off;
    size_t n = ref.len;
    /* Same bytes as the previous value (constant or low-cardinality runs):
     * no hashing. */
    if (c->dict_on && c->last_ok && c->n_dict) {
        uint32_t off = c->ent_off[c->last_idx];
        if (fl__rd32((const uint8_t *)c->dict.p + off) == n &&
            memcmp(c->dict.p + off + 4, p, n) == 0) {
            c->idx[c->page_nonnull] = c->last_idx;
            c->last_arena = b->arena;
            c->last_ref = ref;
            return FL_OK;
        }
    }
    if (!fl__utf8_valid(p, n)) {
        w->str.len = 0;
        rc = fl__utf8_sanitize(&w->str, p, n);
        if (rc < 0)
            return fl_error_set(err, rc, "string buffer: %s", fl_strerror(rc));
        p = w->str.p;
        n = w->str.len;
    }
    if (c->dict_on) {
        uint32_t idx;
        rc = dict_str(w, c, p, n, &idx);
        if (rc < 0)
            return fl_error_set(err, rc, "dictionary: %s", fl_strerror(rc));
        if (rc == 0) {
            c->idx[c->page_nonnull] = idx;
            c->last_ok = true;
            c->last_arena = b->arena;
            c->last_ref = ref;
            c->last_idx = idx;
            return FL_OK;
        }
        return 1;
    }
    rc = stat_str(c, p, n);
    if (rc == FL_OK)
        rc = fl_buf_reserve(&c->plain, 4 + n);
    if (rc < 0)
        return fl_error_set(err, rc, "page buffer: %s", fl_strerror(rc));
    fl__wr32((uint8_t *)c->plain.p + c->plain.len, (uint32_t)n);
    memcpy(c->plain.p + c->plain.len + 4, p, n);
    c->plain.len += 4 + n;
    return FL_OK;
}

/* Append rows [k0, k1) of the selection to column c. */
/* Start loading the hash slot of row r's value (dictionaries larger than
 * the caches: the lookups of the next rows overlap their misses). */
static inline void prefetch_value(const struct wcol *c, const struct fl_batch *b, uint32_t r)
{
    if (!b->col[c->field].valid[r])
        return;
    if (c->is_str) {
        struct fl_sref ref = b->col[c->field].s[r];
        uint32_t h = (uint32_t)fl_hash_bytes(b->arena + ref.off, ref.len, 0x5eed);
        if (c->hts)
            __builtin_prefetch(&c->hts[h & (c->ht_cap - 1)]);
    } else {
        int64_t v = b->col[c->field].i[r];
        if ((uint64_t)v < SMALL_MAX) {
            if (c->small)
                __builtin_prefetch(&c->small[v]);
        } else {
            uint32_t h = (uint32_t)fl_hash64((uint64_t)v);
            if (c->hti)
                __builtin_prefetch(&c->hti[h & (c->ht_cap - 1)]);
        }
    }
}

#define PREFETCH_AHEAD 8

static int add_column(fl_pq_writer *w, struct wcol *c, const struct fl_batch *b,
                      const uint32_t *rows, uint32_t k0, uint32_t k1, bool all_null,
                      struct fl_error *err)
{
    const uint8_t *valid = b->col[c->field].valid;
    uint32_t k = k0;
    c->last_arena = NULL; /* string identities are valid within one call only */
    while (k < k1) {
        uint32_t room = w->page_rows - c->page_n;
        uint32_t m = FL_MIN(room, k1 - k);
        /* An all-NULL stretch costs a counter. */
        if (!c->page_has_def && (all_null || (!rows && all_zero(valid + k, m)))) {
            c->page_n += m;
            k += m;
        } else {
            if (!c->page_has_def) {
                int rc = page_alloc(c, w->page_rows);
                if (rc < 0)
                    return fl_error_set(err, rc, "out of memory");
                memset(c->defs, 0, c->page_n);
                c->page_has_def = true;
            }
            bool pf = c->dict_on && c->n_dict >= 4096;
            for (uint32_t j = 0; j < m; j++, k++) {
                uint32_t r = rows ? rows[k] : k;
                if (pf && k + PREFETCH_AHEAD < k1)
                    prefetch_value(c, b, rows ? rows[k + PREFETCH_AHEAD] : k + PREFETCH_AHEAD);
                uint8_t v = valid[r] ? 1 : 0;
                if (v) {
                    int rc = add_value(w, c, b, r, err);
                    if (rc < 0)
                        return rc;
                    if (rc == 1) {
                        /* Dictionary full: finish this page, go PLAIN. */
                        FL_TRY(flush_page(w, c, err));
                        c->dict_on = false;
                        c->last_ok = false;
                        FL_TRY(page_alloc(c, w->page_rows));
                        c->page_has_def = true;
                        rc = add_value(w, c, b, r, err);
                        if (rc < 0)
                            return rc;
                    }
                    c->page_nonnull++;
                    if (c->dict_on && (++c->dict_seen & 8191) == 0 &&
                        (uint64_t)c->n_dict * 4 > c->dict_seen * 3) {
                        /* mostly distinct: the dictionary costs lookups and
                         * saves nothing; the rest of the chunk is PLAIN */
                        c->defs[c->page_n++] = v;
                        k++;
                        FL_TRY(flush_page(w, c, err));
                        c->dict_on = false;
                        c->last_ok = false;
                        break;
                    }
                }
                c->defs[c->page_n++] = v;
                if (!c->dict_on && c->plain.len >= PAGE_BYTES_MAX) {
                    k++;
                    FL_TRY(flush_page(w, c, err));
                    break;
                }
            }
        }
        if (c->page_n >= w->page_rows)
            FL_TRY(flush_page(w, c, err));
    }
    return FL_OK;
}

/* ---- row groups and the footer ------------------------------------------- */
static void write_stats(struct fl__tw *t, struct wcol *c)
{
    fl__tw_struct_begin(t, 12);
    fl__tw_i64(t, 3, (int64_t)c->chunk_nulls);
    if (c->has_minmax) {
        if (c->is_str) {
            fl__tw_bin(t, 5, c->max_s.p, c->max_s.len);
            fl__tw_bin(t, 6, c->min_s.p, c->min_s.len);
        } else {
            uint8_t mx[8], mn[8];
            size_t n = c->ptype == PQ_INT32 ? 4 : 8;
            if (n == 4) {
                fl__wr32(mx, (uint32_t)(int32_t)c->max_i);
                fl__wr32(mn, (uint32_t)(int32_t)c->min_i);
            } else {
                fl__wr64(mx, (uint64_t)c->max_i);
                fl__wr64(mn, (uint64_t)c->min_i);
            }
            fl__tw_bin(t, 5, mx, n);
            fl__tw_bin(t, 6, mn, n);
        }
    }
    fl__tw_struct_end(t);
}

static int flush_row_group(fl_pq_writer *w, struct fl_error *err)
{
    if (w->rg_rows == 0)
        return FL_OK;
    uint64_t rg_start = w->offset, rg_usize = 0;
    struct fl__tw t;
    w->rgcols.len = 0;
    fl__tw_init(&t, &w->rgcols);
    for (int i = 0; i < w->n_cols; i++) {
        struct wcol *c = &w->cols[i];
        FL_TRY(flush_page(w, c, err));
        uint64_t start = w->offset, usize = c->chunk_usize;
        int64_t dict_off = -1;
        if (c->used_dict) {
            w->body.len = 0;
            int rc = fl_buf_add(&w->body, c->dict.p, c->dict.len);
            if (rc < 0)
                return fl_error_set(err, rc, "out of memory");
            w->tmp.len = 0;
            uint64_t du;
            FL_TRY(emit_page(w, &w->tmp, PQ_DICTIONARY_PAGE, c->n_dict, PQ_ENC_PLAIN,
                             &du, err));
            dict_off = (int64_t)w->offset;
            FL_TRY(wr_all(w, w->tmp.p, w->tmp.len, err));
            usize += du;
        }
        uint64_t data_off = w->offset;
        FL_TRY(wr_all(w, c->chunk.p, c->chunk.len, err));
        uint64_t csize = w->offset - start;
        rg_usize += usize;
        /* ColumnChunk */
        fl__tw_elem_struct_begin(&t);
        fl__tw_i64(&t, 2, 0);
        fl__tw_struct_begin(&t, 3);
        fl__tw_i32(&t, 1, c->ptype);
        int encs[3], ne = 0;
        encs[ne++] = PQ_ENC_PLAIN;
        encs[ne++] = PQ_ENC_RLE;
        if (c->used_dict)
            encs[ne++] = PQ_ENC_RLE_DICTIONARY;
        fl__tw_list_begin(&t, 2, TC_I32, (uint32_t)ne);
        for (int e = 0; e < ne; e++)
            fl__tw_elem_i32(&t, encs[e]);
        const char *name = fl_fields[c->field].name;
        fl__tw_list_begin(&t, 3, TC_BINARY, 1);
        fl__tw_elem_bin(&t, name, strlen(name));
        fl__tw_i32(&t, 4, (int32_t)w->o.codec);
        fl__tw_i64(&t, 5, (int64_t)c->chunk_values);
        fl__tw_i64(&t, 6, (int64_t)usize);
        fl__tw_i64(&t, 7, (int64_t)csize);
        fl__tw_i64(&t, 9, (int64_t)data_off);
        if (dict_off >= 0)
            fl__tw_i64(&t, 11, dict_off);
        write_stats(&t, c);
        fl__tw_struct_end(&t); /* meta_data */
        fl__tw_struct_end(&t); /* ColumnChunk */
        /* reset the chunk, keep the memory */
        c->chunk.len = 0;
        c->chunk_values = c->chunk_nulls = c->chunk_usize = 0;
        c->used_plain = c->used_dict = false;
        c->has_minmax = false;
        dict_clear(c);
        c->n_hashed = 0;
        c->dict_vals = 0;
        c->dict_seen = 0;
        c->dict_on = true;
        c->last_ok = false;
    }
    if (t.rc < 0)
        return fl_error_set(err, t.rc, "row group metadata: %s", fl_strerror(t.rc));
    /* RowGroup */
    fl__tw_init(&t, &w->rgmeta);
    fl__tw_elem_struct_begin(&t);
    fl__tw_list_begin(&t, 1, TC_STRUCT, (uint32_t)w->n_cols);
    fl__tw_raw(&t, w->rgcols.p, w->rgcols.len);
    fl__tw_i64(&t, 2, (int64_t)rg_usize);
    fl__tw_i64(&t, 3, (int64_t)w->rg_rows);
    fl__tw_i64(&t, 5, (int64_t)rg_start);
    fl__tw_i64(&t, 6, (int64_t)(w->offset - rg_start));
    if (w->n_rg < 32767)
        fl__tw_i16(&t, 7, (int16_t)w->n_rg);
    fl__tw_struct_end(&t);
    if (t.rc < 0)
        return fl_error_set(err, t.rc, "row group metadata: %s", fl_strerror(t.rc));
    w->n_rg++;
    w->rg_rows = 0;
    return FL_OK;
}

static int write_footer(fl_pq_writer *w, struct fl_error *err)
{
    struct fl_buf *f = &w->body;
    f->len = 0;
    struct fl__tw t;
    fl__tw_init(&t, f);
    fl__tw_i32(&t, 1, 1);
    fl__tw_list_begin(&t, 2, TC_STRUCT, (uint32_t)w->n_cols + 1);
    fl__tw_elem_struct_begin(&t);
    fl__tw_bin(&t, 4, "schema", 6);
    fl__tw_i32(&t, 5, w->n_cols);
    fl__tw_struct_end(&t);
    for (int i = 0; i < w->n_cols; i++) {
        const struct wcol *c = &w->cols[i];
        const char *name = fl_fields[c->field].name;
        fl__tw_elem_struct_begin(&t);
        fl__tw_i32(&t, 1, c->ptype);
        fl__tw_i32(&t, 3, PQ_OPTIONAL);
        fl__tw_bin(&t, 4, name, strlen(name));
        if (c->is_str) {
            fl__tw_i32(&t, 6, PQ_CONVERTED_UTF8);
            fl__tw_struct_begin(&t, 10);
            fl__tw_struct_begin(&t, 1);
            fl__tw_struct_end(&t);
            fl__tw_struct_end(&t);
        }
        fl__tw_struct_end(&t);
    }
    fl__tw_i64(&t, 3, (int64_t)w->rows);
    fl__tw_list_begin(&t, 4, TC_STRUCT, (uint32_t)w->n_rg);
    fl__tw_raw(&t, w->rgmeta.p, w->rgmeta.len);
    fl__tw_list_begin(&t, 5, TC_STRUCT, 1);
    fl__tw_elem_struct_begin(&t);
    fl__tw_bin(&t, 1, "flowsift.schema_version", strlen("flowsift.schema_version"));
    fl__tw_bin(&t, 2, FL_SCHEMA_VERSION, strlen(FL_SCHEMA_VERSION));
    fl__tw_struct_end(&t);
    fl__tw_bin(&t, 6, PQ_VERSION_STRING, strlen(PQ_VERSION_STRING));
    fl__tw_list_begin(&t, 7, TC_STRUCT, (uint32_t)w->n_cols);
    for (int i = 0; i < w->n_cols; i++) {
        fl__tw_elem_struct_begin(&t);
        fl__tw_struct_begin(&t, 1);
        fl__tw_struct_end(&t);
        fl__tw_struct_end(&t);
    }
    fl__tw_struct_end(&t);
    if (t.rc < 0)
        return fl_error_set(err, t.rc, "footer: %s", fl_strerror(t.rc));
    uint8_t tail[8];
    fl__wr32(tail, (uint32_t)f->len);
    memcpy(tail + 4, "PAR1", 4);
    FL_TRY(wr_all(w, f->p, f->len, err));
    return wr_all(w, tail, 8, err);
}

/* ---- public API ----------------------------------------------------------- */
void fl_pq_write_opts_default(struct fl_pq_write_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = FL_CODEC_ZSTD;
    o->zstd_level = 1;
    o->row_group_rows = (uint64_t)1 << 20;
    o->page_rows = PAGE_ROWS_DEFAULT;
    o->dict_max_bytes = (size_t)1 << 20;
}

static void free_writer(fl_pq_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_cols && w->cols; i++) {
        struct wcol *c = &w->cols[i];
        fl_free(c->defs);
        fl_free(c->idx);
        fl_buf_free(&c->plain);
        fl_buf_free(&c->dict);
        fl_free(c->hts);
        fl_free(c->hti);
        fl_free(c->small);
        fl_free(c->ent_off);
        fl_buf_free(&c->chunk);
        fl_buf_free(&c->min_s);
        fl_buf_free(&c->max_s);
    }
    fl_free(w->cols);
    fl__codec_free(w->codec);
    fl_buf_free(&w->body);
    fl_buf_free(&w->comp);
    fl_buf_free(&w->hdr);
    fl_buf_free(&w->tmp);
    fl_buf_free(&w->rgmeta);
    fl_buf_free(&w->rgcols);
    fl_buf_free(&w->str);
    if (w->fd >= 0)
        close(w->fd);
    fl_free(w->path);
    fl_free(w);
}

int fl_pq_writer_open(fl_pq_writer **out, const char *path,
                      const struct fl_pq_write_opts *opts, struct fl_error *err)
{
    *out = NULL;
    fl_pq_writer *w = fl_calloc(1, sizeof *w);
    if (!w)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    w->fd = -1;
    fl_pq_write_opts_default(&w->o);
    if (opts) {
        w->o.codec = opts->codec;
        if (opts->zstd_level)
            w->o.zstd_level = opts->zstd_level;
        if (opts->row_group_rows)
            w->o.row_group_rows = opts->row_group_rows;
        if (opts->page_rows)
            w->o.page_rows = opts->page_rows;
        if (opts->dict_max_bytes)
            w->o.dict_max_bytes = opts->dict_max_bytes;
    }
    if (w->o.codec != FL_CODEC_NONE && w->o.codec != FL_CODEC_ZSTD &&
        w->o.codec != FL_CODEC_SNAPPY && w->o.codec != FL_CODEC_GZIP) {
        free_writer(w);
        return fl_error_set(err, FL_EINVAL, "unknown Parquet codec %d", (int)opts->codec);
    }
    w->page_rows = w->o.page_rows;
    if (w->page_rows > (1u << 24))
        w->page_rows = 1u << 24;
    if (w->o.dict_max_bytes > ((size_t)1 << 30))
        w->o.dict_max_bytes = (size_t)1 << 30;
    w->path = fl_strdup(path);
    w->cols = fl_calloc(FL_NCOLS, sizeof *w->cols);
    w->codec = fl__codec_new();
    if (!w->path || !w->cols || !w->codec) {
        free_writer(w);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    fl_buf_init(&w->body, CHUNK_LIMIT);
    fl_buf_init(&w->comp, CHUNK_LIMIT);
    fl_buf_init(&w->hdr, 0);
    fl_buf_init(&w->tmp, CHUNK_LIMIT);
    fl_buf_init(&w->rgmeta, CHUNK_LIMIT);
    fl_buf_init(&w->rgcols, CHUNK_LIMIT);
    fl_buf_init(&w->str, CHUNK_LIMIT);
    for (int f = 0; f < FL_NCOLS; f++) {
        if (fl_fields[f].flags & FL_PART)
            continue;
        struct wcol *c = &w->cols[w->n_cols++];
        c->field = f;
        c->is_str = fl_fields[f].type == FL_STR;
        c->ptype = fl_fields[f].type == FL_STR   ? PQ_BYTE_ARRAY
                   : fl_fields[f].type == FL_I32 ? PQ_INT32
                                                 : PQ_INT64;
        c->dict_on = true;
        fl_buf_init(&c->plain, CHUNK_LIMIT);
        fl_buf_init(&c->dict, CHUNK_LIMIT);
        fl_buf_init(&c->chunk, CHUNK_LIMIT);
        fl_buf_init(&c->min_s, CHUNK_LIMIT);
        fl_buf_init(&c->max_s, CHUNK_LIMIT);
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        free_writer(w);
        return fl_error_sys(err, FL_EIO, e, "%s: cannot create: %s", path, strerror(e));
    }
    int rc = wr_all(w, "PAR1", 4, err);
    if (rc < 0) {
        free_writer(w);
        return rc;
    }
    *out = w;
    return FL_OK;
}

int fl_pq_writer_add(fl_pq_writer *w, const struct fl_batch *b, const uint32_t *rows,
                     uint32_t n_rows, struct fl_error *err)
{
    if (w->failed)
        return fl_error_set(err, FL_EINVAL, "%s: writer failed earlier", w->path);
    uint32_t n = rows ? n_rows : b->n;
    uint32_t k = 0;
    while (k < n) {
        uint64_t room = w->o.row_group_rows - w->rg_rows;
        uint32_t m = (uint32_t)FL_MIN((uint64_t)(n - k), room);
        for (int i = 0; i < w->n_cols; i++) {
            struct wcol *c = &w->cols[i];
            /* with a selection, a column NULL in the whole batch is NULL in
             * every selected row: one contiguous scan decides */
            bool all_null = rows && all_zero(b->col[c->field].valid, b->n);
            int rc = add_column(w, c, b, rows, k, k + m, all_null, err);
            if (rc < 0) {
                w->failed = true;
                return rc;
            }
        }
        k += m;
        w->rg_rows += m;
        w->rows += m;
        if (w->rg_rows >= w->o.row_group_rows) {
            int rc = flush_row_group(w, err);
            if (rc < 0) {
                w->failed = true;
                return rc;
            }
        }
    }
    return FL_OK;
}

uint64_t fl_pq_writer_rows(const fl_pq_writer *w) { return w->rows; }

int fl_pq_writer_close(fl_pq_writer *w, struct fl_error *err)
{
    if (!w)
        return FL_OK;
    int rc = FL_OK;
    if (w->failed)
        rc = fl_error_set(err, FL_EINVAL, "%s: writer failed earlier", w->path);
    if (rc == FL_OK)
        rc = flush_row_group(w, err);
    if (rc == FL_OK)
        rc = write_footer(w, err);
    if (rc == FL_OK && fsync(w->fd) < 0)
        rc = fl_error_sys(err, FL_EIO, errno, "%s: fsync failed", w->path);
    if (w->fd >= 0 && close(w->fd) < 0 && rc == FL_OK)
        rc = fl_error_sys(err, FL_EIO, errno, "%s: close failed", w->path);
    w->fd = -1;
    free_writer(w);
    return rc;
}

void fl_pq_writer_abort(fl_pq_writer *w) { free_writer(w); }
