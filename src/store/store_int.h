/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_int.h - private interface of the store module (Parquet): the thrift
 * compact protocol writer and reader, the RLE/bit-packed hybrid encoder and
 * decoder, PLAIN helpers, the page codecs, and the Parquet enum values.
 * parquet_write.c and parquet_read.c are built from these pieces.
 */
#ifndef FL_STORE_INT_H
#define FL_STORE_INT_H

#include "../common/common_int.h"
#include "fl/fl_store.h"

/* ---- Parquet enums (parquet.thrift) ------------------------------------- */
enum {
    PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4,
    PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6, PQ_FIXED_LEN_BYTE_ARRAY = 7
};
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum {
    PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICTIONARY = 2, PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4, PQ_ENC_RLE_DICTIONARY = 8
};
enum { PQ_DATA_PAGE = 0, PQ_INDEX_PAGE = 1, PQ_DICTIONARY_PAGE = 2, PQ_DATA_PAGE_V2 = 3 };
enum { PQ_CONVERTED_UTF8 = 0 };

/* ---- thrift compact protocol -------------------------------------------- */
enum {
    TC_STOP = 0, TC_TRUE = 1, TC_FALSE = 2, TC_I8 = 3, TC_I16 = 4, TC_I32 = 5,
    TC_I64 = 6, TC_DOUBLE = 7, TC_BINARY = 8, TC_LIST = 9, TC_SET = 10,
    TC_MAP = 11, TC_STRUCT = 12
};
#define TC_MAX_DEPTH 32

/* Writer: appends to buf; the first failure sticks in rc (checked once at
 * the end).  Nested structs keep their own "last field id". */
struct fl__tw {
    struct fl_buf *buf;
    int rc;
    int depth;
    int16_t last[TC_MAX_DEPTH];
};
void fl__tw_init(struct fl__tw *w, struct fl_buf *buf);
void fl__tw_i8(struct fl__tw *w, int id, int8_t v);
void fl__tw_i16(struct fl__tw *w, int id, int16_t v);
void fl__tw_i32(struct fl__tw *w, int id, int32_t v);
void fl__tw_i64(struct fl__tw *w, int id, int64_t v);
void fl__tw_bool(struct fl__tw *w, int id, bool v);
void fl__tw_bin(struct fl__tw *w, int id, const void *p, size_t n);
void fl__tw_struct_begin(struct fl__tw *w, int id); /* field of a struct */
void fl__tw_struct_end(struct fl__tw *w);
void fl__tw_list_begin(struct fl__tw *w, int id, int elem_type, uint32_t n);
void fl__tw_elem_i32(struct fl__tw *w, int32_t v);
void fl__tw_elem_bin(struct fl__tw *w, const void *p, size_t n);
void fl__tw_elem_struct_begin(struct fl__tw *w); /* element of a list */
void fl__tw_raw(struct fl__tw *w, const void *p, size_t n);

/* Reader over untrusted bytes: every read is bounds-checked; errors stick
 * in rc (FL_ECORRUPT) and reads then return zeros. */
struct fl__tr {
    const uint8_t *p, *end;
    int rc;
    int depth;
};
void fl__tr_init(struct fl__tr *r, const void *p, size_t n);
/* Next field header of the current struct: returns its type (0 = stop),
 * *id gets the field id; *last is the struct's previous id. */
int fl__tr_field(struct fl__tr *r, int16_t *last, int16_t *id);
int64_t fl__tr_int(struct fl__tr *r, int type); /* I8/I16/I32/I64 */
bool fl__tr_bool(struct fl__tr *r, int type);
/* BINARY: a slice into the input. */
struct fl_str fl__tr_bin(struct fl__tr *r);
/* LIST/SET header: element type and count (count <= bytes left). */
uint32_t fl__tr_list(struct fl__tr *r, int *elem_type);
void fl__tr_skip(struct fl__tr *r, int type);
/* Enter/leave a nested struct (depth limit). */
bool fl__tr_enter(struct fl__tr *r);
void fl__tr_leave(struct fl__tr *r);
uint64_t fl__tr_uvarint(struct fl__tr *r);

/* ---- RLE / bit-packed hybrid -------------------------------------------- */
/* Encode n values of bit width bw (0..32) into out (appends; no length
 * prefix).  Runs of >= 8 equal values become RLE runs. */
int fl__rle_encode(struct fl_buf *out, const uint32_t *v, size_t n, int bw);
/* Same for 0/1 bytes (definition levels, bit width 1). */
int fl__rle_encode_bits(struct fl_buf *out, const uint8_t *v, size_t n);

struct fl__rle_dec {
    const uint8_t *p, *end;
    int bw;
    uint32_t rle_left;      /* values left in the current RLE run */
    uint32_t rle_val;
    uint32_t bp_left;       /* values left in the current bit-packed run */
    const uint8_t *bp;      /* start of the bit-packed run */
    uint32_t bp_pos;        /* index of the next value in the run */
    uint32_t bp_avail;      /* values really present in the run's bytes */
};
void fl__rle_dec_init(struct fl__rle_dec *d, const void *p, size_t n, int bw);
/* Decode up to n values; returns how many (< n only at the end of data),
 * or FL_ECORRUPT. */
int fl__rle_dec_get(struct fl__rle_dec *d, uint32_t *out, uint32_t n);
int fl__rle_dec_get8(struct fl__rle_dec *d, uint8_t *out, uint32_t n);

static inline int fl__bit_width(uint32_t max)
{
    return max ? 32 - __builtin_clz(max) : 0;
}

/* ---- codecs ------------------------------------------------------------- */
struct fl__codec;
struct fl__codec *fl__codec_new(void);
void fl__codec_free(struct fl__codec *c);
/* Compress src into out (out is reset first). */
int fl__codec_compress(struct fl__codec *c, int codec, int level, const void *src,
                       size_t n, struct fl_buf *out);
/* Cheap check, before allocating, that src can decompress to dst_n bytes
 * (the codec's own size field when it has one).  FL_OK or FL_ECORRUPT. */
int fl__codec_check_size(int codec, const void *src, size_t n, size_t dst_n);
/* Decompress exactly dst_n bytes into dst; FL_ECORRUPT otherwise. */
int fl__codec_decompress(struct fl__codec *c, int codec, const void *src, size_t n,
                         void *dst, size_t dst_n);

/* ---- UTF-8 -------------------------------------------------------------- */
/* True if p[0..n) is valid UTF-8. */
bool fl__utf8_valid(const char *p, size_t n);
/* Append p with every invalid sequence replaced by U+FFFD. */
int fl__utf8_sanitize(struct fl_buf *out, const char *p, size_t n);

/* ---- little-endian helpers ---------------------------------------------- */
static inline uint32_t fl__rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t fl__rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void fl__wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void fl__wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#endif
