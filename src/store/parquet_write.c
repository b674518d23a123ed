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

/* Dictionary hash slots.  Ints: the value itself.  Strings: the first 16
 * bytes inline (zero padded) with the length, so that a probe of a string
 * of at most 16 bytes (addresses, ids, every enrichment value) compares in
 * the slot without touching the dictionary; longer strings compare their
 * tail in the dictionary. */
struct islot {
    int64_t v;
    uint32_t idx1; /* index + 1; 0 = empty */
    uint32_t pad;
};
struct sslot {
    uint64_t k0, k1; /* first 16 bytes, zero padded */
    uint32_t len;
    uint32_t idx1;   /* index + 1; 0 = empty */
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
    bool mix;             /* ints: mixing hash (the folding one probed long) */
    struct fl_buf dict;   /* PLAIN-encoded entries = dictionary page body */
    uint32_t n_dict;
    struct sslot *hts;    /* strings */
    struct islot *hti;    /* ints */
    uint32_t ht_cap;      /* power of two */
    uint32_t *ent_off;    /* strings: offset of the entry's length prefix */
    uint32_t ent_cap;
    /* the previous value (dictionary mode): its identity and index */
    const char *last_arena;
    struct fl_sref last_ref;
    uint64_t last_k0, last_k1;
    uint32_t last_len;
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
    uint64_t min_pfx, max_pfx; /* first 8 bytes of min_s/max_s, big-endian */
};

/* What encoding one share of the columns needs for itself: page buffers,
 * the codec context, UTF-8 repair space and the gather space for selected
 * rows.  Lane 0 serves fl_pq_writer_add, the row groups and the footer;
 * fl_pq_writer_add_part(part) uses lane `part`, so parts run in parallel. */
struct lane {
    struct fl_buf body, comp, hdr, str;
    struct fl__codec *codec;
    uint8_t *g_valid;      /* rows gathered through a selection */
    int64_t *g_i;
    struct fl_sref *g_s;
    uint32_t g_cap;
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
    struct lane lane[FL_PQ_MAX_PARTS];
    struct fl_buf tmp, rgmeta, rgcols;
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

/* The first 8 bytes of p[0..n), zero padded, as a big-endian number: the
 * order of these numbers is the byte order of the strings whenever they
 * differ. */
static inline uint64_t prefix8(const char *p, size_t n)
{
    uint8_t t[8] = {0};
    memcpy(t, p, FL_MIN(n, (size_t)8));
    uint64_t v;
    memcpy(&v, t, 8);
    return __builtin_bswap64(v);
}

static int stat_str(struct wcol *c, const char *p, size_t n)
{
    if (!c->has_minmax) {
        c->min_s.len = c->max_s.len = 0;
        FL_TRY(fl_buf_add(&c->min_s, p, n));
        FL_TRY(fl_buf_add(&c->max_s, p, n));
        c->min_pfx = c->max_pfx = prefix8(p, n);
        c->has_minmax = true;
        return FL_OK;
    }
    if (str_cmp(p, n, c->min_s.p, c->min_s.len) < 0) {
        c->min_s.len = 0;
        FL_TRY(fl_buf_add(&c->min_s, p, n));
        c->min_pfx = prefix8(p, n);
    } else if (str_cmp(p, n, c->max_s.p, c->max_s.len) > 0) {
        c->max_s.len = 0;
        FL_TRY(fl_buf_add(&c->max_s, p, n));
        c->max_pfx = prefix8(p, n);
    }
    return FL_OK;
}

/* stat_str for a value whose first 8 bytes (zero padded, as loaded) are k0:
 * a value strictly inside the current bounds by its prefix costs two
 * compares. */
static inline int stat_str_k(struct wcol *c, const char *p, size_t n, uint64_t k0)
{
    uint64_t pk = __builtin_bswap64(k0);
    if (c->has_minmax && pk > c->min_pfx && pk < c->max_pfx)
        return FL_OK;
    return stat_str(c, p, n);
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
static int put_page_header(struct lane *L, int type, size_t usize, size_t csize,
                           uint32_t nvals, int enc)
{
    struct fl__tw t;
    L->hdr.len = 0;
    fl__tw_init(&t, &L->hdr);
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

/* Compress L->body and append header + body to dst; returns the
 * uncompressed size including the header via *usize_out. */
static int emit_page(fl_pq_writer *w, struct lane *L, struct fl_buf *dst, int type,
                     uint32_t nvals,
                     int enc, uint64_t *usize_out, struct fl_error *err)
{
    const struct fl_buf *src = &L->body;
    if (L->body.len > INT32_MAX)
        return fl_error_set(err, FL_ELIMIT, "%s: Parquet page larger than 2 GiB", w->path);
    if (w->o.codec != FL_CODEC_NONE) {
        if (!L->codec && !(L->codec = fl__codec_new()))
            return fl_error_set(err, FL_ENOMEM, "out of memory");
        int rc = fl__codec_compress(L->codec, (int)w->o.codec, w->o.zstd_level,
                                    L->body.p, L->body.len, &L->comp);
        if (rc < 0)
            return fl_error_set(err, rc, "%s: page compression failed", w->path);
        src = &L->comp;
    }
    if (src->len > INT32_MAX)
        return fl_error_set(err, FL_ELIMIT, "%s: Parquet page larger than 2 GiB", w->path);
    int rc = put_page_header(L, type, L->body.len, src->len, nvals, enc);
    if (rc == FL_OK)
        rc = fl_buf_add(dst, L->hdr.p, L->hdr.len);
    if (rc == FL_OK)
        rc = fl_buf_add(dst, src->p, src->len);
    if (rc < 0)
        return fl_error_set(err, rc, "%s: column chunk buffer: %s", w->path, fl_strerror(rc));
    *usize_out = L->hdr.len + L->body.len;
    return FL_OK;
}

static int flush_page(fl_pq_writer *w, struct lane *L, struct wcol *c, struct fl_error *err)
{
    if (c->page_n == 0)
        return FL_OK;
    struct fl_buf *b = &L->body;
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
    FL_TRY(emit_page(w, L, &c->chunk, PQ_DATA_PAGE, c->page_n, enc, &usize, err));
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
/* Ints hash by folding the value onto 32 bits: neighbouring values (ports,
 * timestamps, counters) land in neighbouring slots, so a dictionary probe
 * stays in the cache even when the dictionary is large.  A probe longer
 * than IPROBE_MAX (values in a stride that folds badly, or hostile input)
 * switches the column to a mixing hash until the end of the chunk. */
#define IPROBE_MAX 48

static inline uint32_t ihash(const struct wcol *c, int64_t v)
{
    uint64_t u = (uint64_t)v;
    return c->mix ? (uint32_t)fl_hash64(u) : (uint32_t)(u ^ (u >> 32));
}

/* Hash of a string of at most 16 bytes from its inline words. */
static inline uint32_t shash16(uint64_t k0, uint64_t k1, uint32_t n)
{
    unsigned __int128 m = (unsigned __int128)(k0 ^ 0x9e3779b97f4a7c15ULL) *
                          (k1 ^ 0xc4ceb9fe1a85ec53ULL ^ ((uint64_t)n << 56));
    uint64_t h = (uint64_t)m ^ (uint64_t)(m >> 64);
    return (uint32_t)(h ^ (h >> 32));
}

static inline uint32_t shash(const char *p, uint32_t n, uint64_t k0, uint64_t k1)
{
    return n <= 16 ? shash16(k0, k1, n) : (uint32_t)fl_hash_bytes(p, n, 0x5eed);
}

/* The first 16 bytes of p[0..n) zero padded.  Reads 16 bytes at once when
 * they lie before lim (the end of the allocation p points into). */
static inline void load16(const char *p, size_t n, const char *lim, uint64_t *k0,
                          uint64_t *k1)
{
    if (n >= 16) {
        memcpy(k0, p, 8);
        memcpy(k1, p + 8, 8);
    } else if (lim - p >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        if (n >= 8) {
            *k0 = a;
            *k1 = n == 8 ? 0 : b & (~0ULL >> (8 * (16 - n)));
        } else {
            *k0 = n ? a & (~0ULL >> (8 * (8 - n))) : 0;
            *k1 = 0;
        }
    } else {
        uint8_t t[16] = {0};
        memcpy(t, p, n);
        memcpy(k0, t, 8);
        memcpy(k1, t + 8, 8);
    }
}

/* (Re)build the hash table with ncap slots from the dictionary entries. */
static int dict_rehash(struct wcol *c, uint32_t ncap)
{
    uint32_t mask = ncap - 1;
    if (c->is_str) {
        struct sslot *ht = fl_calloc(ncap, sizeof *ht);
        if (!ht)
            return FL_ENOMEM;
        for (uint32_t i = 0; i < c->ht_cap; i++) {
            struct sslot e = c->hts[i];
            if (!e.idx1)
                continue;
            const char *p = c->dict.p + c->ent_off[e.idx1 - 1] + 4;
            uint32_t h = shash(p, e.len, e.k0, e.k1) & mask;
            while (ht[h].idx1)
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
            uint32_t h = ihash(c, e.v) & mask;
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

static int dict_grow(struct wcol *c)
{
    return dict_rehash(c, c->ht_cap ? c->ht_cap * 2 : 1024);
}

static void dict_clear(struct wcol *c)
{
    if (c->n_dict && c->ht_cap) {
        if (c->is_str)
            memset(c->hts, 0, (size_t)c->ht_cap * sizeof *c->hts);
        else
            memset(c->hti, 0, (size_t)c->ht_cap * sizeof *c->hti);
    }
    c->n_dict = 0;
    c->dict.len = 0;
    c->mix = false;
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

/* Look up or insert an int; *idx_out = index.  Returns 0, 1 if the
 * dictionary is full (the caller goes PLAIN), or < 0. */
static int dict_int(fl_pq_writer *w, struct wcol *c, int64_t v, uint32_t *idx_out)
{
    if (FL_UNLIKELY(!c->ht_cap))
        FL_TRY(dict_grow(c)); /* tables are allocated on first use */
    for (;;) {
        uint32_t mask = c->ht_cap - 1;
        uint32_t h = ihash(c, v) & mask;
        uint32_t probes = 0;
        for (;;) {
            const struct islot *e = &c->hti[h];
            if (!e->idx1)
                break;
            if (e->v == v) {
                *idx_out = e->idx1 - 1;
                return 0;
            }
            h = (h + 1) & mask;
            probes++;
        }
        if (probes <= IPROBE_MAX || c->mix)
            break;
        c->mix = true;
        FL_TRY(dict_rehash(c, c->ht_cap));
    }
    size_t width = c->ptype == PQ_INT32 ? 4 : 8;
    if (c->dict.len + width > w->o.dict_max_bytes)
        return 1;
    FL_TRY(fl_buf_reserve(&c->dict, 8));
    if (width == 4)
        fl__wr32((uint8_t *)c->dict.p + c->dict.len, (uint32_t)(int32_t)v);
    else
        fl__wr64((uint8_t *)c->dict.p + c->dict.len, (uint64_t)v);
    c->dict.len += width;
    uint32_t e = c->n_dict++;
    stat_int(c, v);
    /* insert (after a possible growth the slot is found again) */
    if ((uint64_t)c->n_dict * 4 > (uint64_t)c->ht_cap * 3) /* 75 % load */
        FL_TRY(dict_grow(c));
    uint32_t mask = c->ht_cap - 1;
    uint32_t h = ihash(c, v) & mask;
    while (c->hti[h].idx1)
        h = (h + 1) & mask;
    c->hti[h] = (struct islot){v, e + 1, 0};
    *idx_out = e;
    return 0;
}

/* The same for a string p[0..n) whose first 16 bytes are k0, k1. */
static int dict_str(fl_pq_writer *w, struct wcol *c, const char *p, uint32_t n, uint64_t k0,
                    uint64_t k1, uint32_t *idx_out)
{
    if (FL_UNLIKELY(!c->ht_cap))
        FL_TRY(dict_grow(c));
    uint32_t hv = shash(p, n, k0, k1);
    uint32_t mask = c->ht_cap - 1;
    uint32_t h = hv & mask;
    for (;;) {
        const struct sslot *e = &c->hts[h];
        if (!e->idx1)
            break;
        if (e->len == n && e->k0 == k0 && e->k1 == k1 &&
            (n <= 16 ||
             memcmp(c->dict.p + c->ent_off[e->idx1 - 1] + 4 + 16, p + 16, n - 16) == 0)) {
            *idx_out = e->idx1 - 1;
            return 0;
        }
        h = (h + 1) & mask;
    }
    if (c->dict.len + 4 + n > w->o.dict_max_bytes || c->dict.len + 4 + n > UINT32_MAX)
        return 1;
    FL_TRY(ent_reserve(c));
    FL_TRY(fl_buf_reserve(&c->dict, 4 + (size_t)n));
    uint32_t off = (uint32_t)c->dict.len;
    fl__wr32((uint8_t *)c->dict.p + off, n);
    memcpy(c->dict.p + off + 4, p, n);
    c->dict.len += 4 + (size_t)n;
    uint32_t e = c->n_dict++;
    c->ent_off[e] = off;
    c->hts[h] = (struct sslot){k0, k1, n, e + 1};
    FL_TRY(stat_str(c, p, n));
    if ((uint64_t)c->n_dict * 4 > (uint64_t)c->ht_cap * 3) /* 75 % load */
        FL_TRY(dict_grow(c));
    *idx_out = e;
    return 0;
}

/* ---- adding values -------------------------------------------------------- */
/* Dictionaries larger than the caches: the slot of the value PREFETCH_AHEAD
 * rows ahead is loaded early, so that the misses of successive lookups
 * overlap. */
#define PREFETCH_AHEAD 16
#define PREFETCH_MIN_SLOTS 8192

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

static uint32_t count_set(const uint8_t *v, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += v[i] != 0;
    return k;
}

/* The current page leaves dictionary mode: its indices become PLAIN values
 * (the dictionary stays as it is for the chunk's earlier pages), and the
 * rest of the chunk is PLAIN. */
static int page_to_plain(struct wcol *c)
{
    c->dict_on = false;
    c->last_ok = false;
    c->plain.len = 0;
    if (c->is_str) {
        for (uint32_t i = 0; i < c->page_nonnull; i++) {
            uint32_t off = c->ent_off[c->idx[i]];
            uint32_t n = fl__rd32((const uint8_t *)c->dict.p + off);
            FL_TRY(fl_buf_add(&c->plain, c->dict.p + off, 4 + (size_t)n));
        }
    } else {
        size_t width = c->ptype == PQ_INT32 ? 4 : 8;
        FL_TRY(fl_buf_reserve(&c->plain, (size_t)c->page_nonnull * width));
        for (uint32_t i = 0; i < c->page_nonnull; i++)
            memcpy(c->plain.p + i * width, c->dict.p + (size_t)c->idx[i] * width, width);
        c->plain.len = (size_t)c->page_nonnull * width;
    }
    return FL_OK;
}

/* A dictionary that keeps most values distinct costs lookups and saves
 * nothing: the rest of the chunk goes PLAIN (DuckDB does the same).  The
 * first 16 K values of a chunk decide early: more than 30 % distinct there
 * (addresses, ephemeral ports, byte counts, offsets) means a dictionary
 * that would grow large - big hash tables are what costs most on a machine
 * where fresh memory is slow - for little gain under zstd. */
static inline bool dict_useless(const struct wcol *c)
{
    if (c->dict_seen >= 16384 && c->dict_seen < 32768)
        return (uint64_t)c->n_dict * 10 > c->dict_seen * 3;
    return c->dict_seen >= 32768 && (uint64_t)c->n_dict * 4 > c->dict_seen * 3;
}

/* Append m int values (valid[j] = not NULL) to the current page, which has
 * room for them. */
static int put_ints(fl_pq_writer *w, struct lane *L, struct wcol *c, const uint8_t *valid,
                    const int64_t *iv, uint32_t m, struct fl_error *err)
{
    uint8_t *defs = c->defs + c->page_n;
    for (uint32_t j = 0; j < m; j++)
        defs[j] = valid[j] != 0;
    c->page_n += m;
    bool i32 = c->ptype == PQ_INT32;
    uint32_t j = 0;
    if (c->dict_on) {
        uint32_t *ix = c->idx;
        uint32_t o = c->page_nonnull;
        int64_t last = c->last_i;
        uint32_t lidx = c->last_idx;
        bool lok = c->last_ok;
        bool pf = c->ht_cap >= PREFETCH_MIN_SLOTS;
        for (; j < m; j++) {
            if (pf && j + PREFETCH_AHEAD < m) {
                int64_t pv = iv[j + PREFETCH_AHEAD]; /* may be a NULL's junk: harmless */
                pv = i32 ? (int32_t)pv : pv;
                __builtin_prefetch(&c->hti[ihash(c, pv) & (c->ht_cap - 1)]);
            }
            if (!valid[j])
                continue;
            /* what the file stores; statistics must agree */
            int64_t v = i32 ? (int32_t)iv[j] : iv[j];
            if (!lok || v != last) {
                int rc = dict_int(w, c, v, &lidx);
                if (FL_UNLIKELY(rc != 0)) {
                    c->page_nonnull = o;
                    if (rc < 0)
                        return fl_error_set(err, rc, "dictionary: %s", fl_strerror(rc));
                    /* Full: the rows before j end a dictionary page, the
                     * rest of the chunk is PLAIN. */
                    uint32_t base = c->page_n - m;
                    c->page_n = base + j;
                    FL_TRY(flush_page(w, L, c, err));
                    c->dict_on = false;
                    c->last_ok = false;
                    memmove(c->defs, c->defs + base + j, m - j);
                    c->page_n = m - j;
                    c->page_has_def = true;
                    goto plain;
                }
                last = v;
                lok = true;
            }
            ix[o++] = lidx;
        }
        c->dict_seen += o - c->page_nonnull;
        c->page_nonnull = o;
        c->last_i = last;
        c->last_idx = lidx;
        c->last_ok = lok;
        if (!dict_useless(c))
            return FL_OK;
    }
plain:
    if (c->dict_on) {
        int rc = page_to_plain(c);
        if (rc < 0)
            return fl_error_set(err, rc, "page buffer: %s", fl_strerror(rc));
    }
    size_t width = i32 ? 4 : 8;
    int rc = fl_buf_reserve(&c->plain, (size_t)(m - j) * width);
    if (rc < 0)
        return fl_error_set(err, rc, "page buffer: %s", fl_strerror(rc));
    uint8_t *q = (uint8_t *)c->plain.p + c->plain.len;
    int64_t mn = c->has_minmax ? c->min_i : INT64_MAX, mx = c->has_minmax ? c->max_i : INT64_MIN;
    uint32_t o = 0;
    for (; j < m; j++) {
        if (!valid[j])
            continue;
        int64_t v = i32 ? (int32_t)iv[j] : iv[j];
        if (i32)
            fl__wr32(q + 4 * (size_t)o, (uint32_t)v);
        else
            fl__wr64(q + 8 * (size_t)o, (uint64_t)v);
        o++;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    if (o) {
        c->min_i = mn;
        c->max_i = mx;
        c->has_minmax = true;
    }
    c->plain.len += (size_t)o * width;
    c->page_nonnull += o;
    return FL_OK;
}

/* Append one PLAIN string. */
static inline int plain_str(struct wcol *c, const char *p, uint32_t n, uint64_t k0)
{
    FL_TRY(stat_str_k(c, p, n, k0));
    if (FL_UNLIKELY(c->plain.cap - c->plain.len < 5 + (size_t)n))
        FL_TRY(fl_buf_reserve(&c->plain, 4 + (size_t)n));
    fl__wr32((uint8_t *)c->plain.p + c->plain.len, n);
    memcpy(c->plain.p + c->plain.len + 4, p, n);
    c->plain.len += 4 + (size_t)n;
    return FL_OK;
}

/* Append m string values of batch b to the current page, which has room for
 * them; a PLAIN page that reaches PAGE_BYTES_MAX is flushed on the way. */
static int put_strs(fl_pq_writer *w, struct lane *L, struct wcol *c, const struct fl_batch *b,
                    const uint8_t *valid, const struct fl_sref *sv, uint32_t m,
                    struct fl_error *err)
{
    const char *arena = b->arena;
    const char *lim = b->arena + b->arena_cap;
    bool same_arena = c->last_arena == arena;
    for (uint32_t j = 0; j < m; j++) {
        if (c->dict_on && c->ht_cap >= PREFETCH_MIN_SLOTS && j + PREFETCH_AHEAD < m &&
            valid[j + PREFETCH_AHEAD]) {
            /* start loading the slot of a value a few rows ahead */
            struct fl_sref pr = sv[j + PREFETCH_AHEAD];
            if (pr.len <= 16) {
                uint64_t a0, a1;
                load16(arena + pr.off, pr.len, lim, &a0, &a1);
                __builtin_prefetch(&c->hts[shash16(a0, a1, pr.len) & (c->ht_cap - 1)]);
            }
        }
        uint8_t v = valid[j] != 0;
        c->defs[c->page_n++] = v;
        if (!v)
            continue;
        struct fl_sref r = sv[j];
        if (c->dict_on && c->last_ok && same_arena && r.off == c->last_ref.off &&
            r.len == c->last_ref.len) {
            c->idx[c->page_nonnull++] = c->last_idx;
            continue;
        }
        const char *p = arena + r.off;
        uint32_t n = r.len;
        uint64_t k0, k1;
        load16(p, n, lim, &k0, &k1);
        if (FL_UNLIKELY(((n <= 16 ? k0 | k1 : 0x8080808080808080ULL) &
                         0x8080808080808080ULL) != 0) &&
            !fl__utf8_valid(p, n)) {
            L->str.len = 0;
            int rc = fl__utf8_sanitize(&L->str, p, n);
            if (rc < 0 || L->str.len > UINT32_MAX)
                return fl_error_set(err, rc < 0 ? rc : FL_ELIMIT, "string buffer: %s",
                                    fl_strerror(rc < 0 ? rc : FL_ELIMIT));
            p = L->str.p;
            n = (uint32_t)L->str.len;
            load16(p, n, p + n, &k0, &k1);
        }
        if (c->dict_on) {
            uint32_t idx;
            /* Same bytes as the previous value: no hashing. */
            if (c->last_ok && n == c->last_len && k0 == c->last_k0 && k1 == c->last_k1 &&
                (n <= 16 || memcmp(c->dict.p + c->ent_off[c->last_idx] + 4 + 16, p + 16,
                                   n - 16) == 0)) {
                idx = c->last_idx;
            } else {
                int rc = dict_str(w, c, p, n, k0, k1, &idx);
                if (rc < 0)
                    return fl_error_set(err, rc, "dictionary: %s", fl_strerror(rc));
                if (rc == 1) {
                    /* Full: the rows before this one end a dictionary
                     * page, the rest of the chunk is PLAIN. */
                    c->page_n--;
                    FL_TRY(flush_page(w, L, c, err));
                    c->dict_on = false;
                    c->last_ok = false;
                    c->defs[0] = 1;
                    c->page_n = 1;
                    c->page_has_def = true;
                    goto plain_value;
                }
            }
            c->idx[c->page_nonnull++] = idx;
            c->dict_seen++;
            c->last_ok = true;
            c->last_arena = arena;
            same_arena = true;
            c->last_ref = r;
            c->last_k0 = k0;
            c->last_k1 = k1;
            c->last_len = n;
            c->last_idx = idx;
            continue;
        }
    plain_value:;
        int rc = plain_str(c, p, n, k0);
        if (rc < 0)
            return fl_error_set(err, rc, "page buffer: %s", fl_strerror(rc));
        c->page_nonnull++;
        if (c->plain.len >= PAGE_BYTES_MAX && j + 1 < m) {
            FL_TRY(flush_page(w, L, c, err));
            c->page_has_def = true; /* the rest of this call has levels */
        }
    }
    if (c->dict_on && dict_useless(c)) {
        int rc = page_to_plain(c);
        if (rc < 0)
            return fl_error_set(err, rc, "page buffer: %s", fl_strerror(rc));
    }
    return FL_OK;
}

/* Append rows [k0, k1) of the selection (rows[], or all rows of b when
 * NULL) to column c.  all_null: the column is NULL in the whole batch. */
static int add_column(fl_pq_writer *w, struct lane *L, struct wcol *c, const struct fl_batch *b,
                      const uint32_t *rows, uint32_t k0, uint32_t k1, bool all_null,
                      struct fl_error *err)
{
    const struct fl_column *col = &b->col[c->field];
    uint32_t k = k0;
    c->last_arena = NULL; /* string identities are valid within one call only */
    while (k < k1) {
        uint32_t m = FL_MIN(w->page_rows - c->page_n, k1 - k);
        const uint8_t *valid = NULL;
        const int64_t *iv = NULL;
        const struct fl_sref *sv = NULL;
        uint32_t nn = 0;
        if (!all_null) {
            if (rows) {
                const uint32_t *sel = rows + k;
                for (uint32_t j = 0; j < m; j++)
                    L->g_valid[j] = col->valid[sel[j]];
                nn = count_set(L->g_valid, m);
                if (nn && c->is_str)
                    for (uint32_t j = 0; j < m; j++)
                        L->g_s[j] = col->s[sel[j]];
                else if (nn)
                    for (uint32_t j = 0; j < m; j++)
                        L->g_i[j] = col->i[sel[j]];
                valid = L->g_valid;
                iv = L->g_i;
                sv = L->g_s;
            } else {
                valid = col->valid + k;
                nn = all_zero(valid, m) ? 0 : count_set(valid, m);
                iv = col->i ? col->i + k : NULL;
                sv = col->s ? col->s + k : NULL;
            }
        }
        if (nn == 0 && !c->page_has_def) {
            /* An all-NULL stretch costs a counter. */
            c->page_n += m;
        } else {
            if (!c->page_has_def) {
                int rc = page_alloc(c, w->page_rows);
                if (rc < 0)
                    return fl_error_set(err, rc, "out of memory");
                memset(c->defs, 0, c->page_n);
                c->page_has_def = true;
            }
            if (nn == 0) {
                memset(c->defs + c->page_n, 0, m);
                c->page_n += m;
            } else if (c->is_str) {
                FL_TRY(put_strs(w, L, c, b, valid, sv, m, err));
            } else {
                FL_TRY(put_ints(w, L, c, valid, iv, m, err));
            }
        }
        k += m;
        if (c->page_n >= w->page_rows)
            FL_TRY(flush_page(w, L, c, err));
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
    struct lane *L = &w->lane[0];
    struct fl__tw t;
    w->rgcols.len = 0;
    fl__tw_init(&t, &w->rgcols);
    for (int i = 0; i < w->n_cols; i++) {
        struct wcol *c = &w->cols[i];
        FL_TRY(flush_page(w, L, c, err));
        uint64_t start = w->offset, usize = c->chunk_usize;
        int64_t dict_off = -1;
        if (c->used_dict) {
            L->body.len = 0;
            int rc = fl_buf_add(&L->body, c->dict.p, c->dict.len);
            if (rc < 0)
                return fl_error_set(err, rc, "out of memory");
            w->tmp.len = 0;
            uint64_t du;
            FL_TRY(emit_page(w, L, &w->tmp, PQ_DICTIONARY_PAGE, c->n_dict, PQ_ENC_PLAIN,
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
    struct fl_buf *f = &w->lane[0].body;
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
        fl_free(c->ent_off);
        fl_buf_free(&c->chunk);
        fl_buf_free(&c->min_s);
        fl_buf_free(&c->max_s);
    }
    fl_free(w->cols);
    for (int i = 0; i < FL_PQ_MAX_PARTS; i++) {
        struct lane *L = &w->lane[i];
        fl__codec_free(L->codec);
        fl_buf_free(&L->body);
        fl_buf_free(&L->comp);
        fl_buf_free(&L->hdr);
        fl_buf_free(&L->str);
        fl_free(L->g_valid);
        fl_free(L->g_i);
        fl_free(L->g_s);
    }
    fl_buf_free(&w->tmp);
    fl_buf_free(&w->rgmeta);
    fl_buf_free(&w->rgcols);
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
    w->lane[0].codec = fl__codec_new();
    if (!w->path || !w->cols || !w->lane[0].codec) {
        free_writer(w);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < FL_PQ_MAX_PARTS; i++) {
        fl_buf_init(&w->lane[i].body, CHUNK_LIMIT);
        fl_buf_init(&w->lane[i].comp, CHUNK_LIMIT);
        fl_buf_init(&w->lane[i].hdr, 0);
        fl_buf_init(&w->lane[i].str, CHUNK_LIMIT);
    }
    fl_buf_init(&w->tmp, CHUNK_LIMIT);
    fl_buf_init(&w->rgmeta, CHUNK_LIMIT);
    fl_buf_init(&w->rgcols, CHUNK_LIMIT);
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

/* Gather space in L for n selected rows (one page at a time). */
static int lane_gather_space(fl_pq_writer *w, struct lane *L, uint32_t n)
{
    uint32_t cap = FL_MIN(n, w->page_rows);
    if (L->g_cap >= cap)
        return FL_OK;
    fl_free(L->g_valid);
    fl_free(L->g_i);
    fl_free(L->g_s);
    L->g_valid = fl_malloc(cap);
    L->g_i = fl_malloc((size_t)cap * sizeof *L->g_i);
    L->g_s = fl_malloc((size_t)cap * sizeof *L->g_s);
    L->g_cap = cap;
    if (!L->g_valid || !L->g_i || !L->g_s) {
        L->g_cap = 0;
        return FL_ENOMEM;
    }
    return FL_OK;
}

/* Count m rows added to the open row group; flush it when full. */
static int rows_added(fl_pq_writer *w, uint32_t m, struct fl_error *err)
{
    w->rg_rows += m;
    w->rows += m;
    if (w->rg_rows >= w->o.row_group_rows) {
        int rc = flush_row_group(w, err);
        if (rc < 0) {
            w->failed = true;
            return rc;
        }
    }
    return FL_OK;
}

int fl_pq_writer_add(fl_pq_writer *w, const struct fl_batch *b, const uint32_t *rows,
                     uint32_t n_rows, struct fl_error *err)
{
    if (w->failed)
        return fl_error_set(err, FL_EINVAL, "%s: writer failed earlier", w->path);
    uint32_t n = rows ? n_rows : b->n;
    uint32_t k = 0;
    if (rows && lane_gather_space(w, &w->lane[0], n) < 0) {
        w->failed = true;
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    while (k < n) {
        uint64_t room = w->o.row_group_rows - w->rg_rows;
        uint32_t m = (uint32_t)FL_MIN((uint64_t)(n - k), room);
        for (int i = 0; i < w->n_cols; i++) {
            struct wcol *c = &w->cols[i];
            /* with a selection, a column NULL in the whole batch is NULL in
             * every selected row: one contiguous scan decides */
            bool all_null = rows && all_zero(b->col[c->field].valid, b->n);
            int rc = add_column(w, &w->lane[0], c, b, rows, k, k + m, all_null, err);
            if (rc < 0) {
                w->failed = true;
                return rc;
            }
        }
        k += m;
        FL_TRY(rows_added(w, m, err));
    }
    return FL_OK;
}

uint64_t fl_pq_writer_rows(const fl_pq_writer *w) { return w->rows; }

uint64_t fl_pq_writer_room(const fl_pq_writer *w) { return w->o.row_group_rows - w->rg_rows; }

/* Columns are dealt to the parts in turn, the columns with values apart
 * from the all-NULL ones (which cost a counter), so that each part gets
 * its share of the real work.  Every part scans the same validity arrays
 * and so makes the same deal. */
int fl_pq_writer_add_part(fl_pq_writer *w, const struct fl_batch *b, const uint32_t *rows,
                          uint32_t n_rows, int part, int n_parts, struct fl_error *err)
{
    if (w->failed)
        return fl_error_set(err, FL_EINVAL, "%s: writer failed earlier", w->path);
    uint32_t n = rows ? n_rows : b->n;
    FL_RETURN_IF(n_parts < 1 || n_parts > FL_PQ_MAX_PARTS || part < 0 || part >= n_parts ||
                     n > fl_pq_writer_room(w),
                 err, FL_EINVAL, "%s: bad parallel add", w->path);
    struct lane *L = &w->lane[part];
    if (rows && lane_gather_space(w, L, n) < 0)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    uint32_t k_null = 0, k_val = 0;
    for (int i = 0; i < w->n_cols; i++) {
        struct wcol *c = &w->cols[i];
        bool all_null = all_zero(b->col[c->field].valid, b->n);
        uint32_t turn = all_null ? k_null++ : k_val++;
        if (turn % (uint32_t)n_parts != (uint32_t)part)
            continue;
        FL_TRY(add_column(w, L, c, b, rows, 0, n, all_null, err));
    }
    return FL_OK;
}

int fl_pq_writer_add_done(fl_pq_writer *w, uint32_t n_rows, int part_rc, struct fl_error *err)
{
    if (part_rc < 0 || w->failed) {
        w->failed = true;
        return part_rc < 0 ? part_rc
                           : fl_error_set(err, FL_EINVAL, "%s: writer failed earlier", w->path);
    }
    return rows_added(w, n_rows, err);
}

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
