/* SPDX-License-Identifier: Apache-2.0 */
/*
 * thrift_compact.c - the subset of the thrift compact protocol that Parquet
 * metadata uses (apache/thrift doc/specs/thrift-compact-protocol.md): a
 * writer for the footer and page headers, and a reader for untrusted bytes
 * with a generic skipper for unknown fields, a nesting limit and bounds
 * checks on every length.  parquet_write.c and parquet_read.c build the
 * Parquet structs on top of it.
 */
#include "store_int.h"

/* ---- writer ------------------------------------------------------------- */
void fl__tw_init(struct fl__tw *w, struct fl_buf *buf)
{
    w->buf = buf;
    w->rc = FL_OK;
    w->depth = 0;
    w->last[0] = 0;
}

void fl__tw_raw(struct fl__tw *w, const void *p, size_t n)
{
    if (w->rc == FL_OK)
        w->rc = fl_buf_add(w->buf, p, n);
}

static void put_byte(struct fl__tw *w, uint8_t c) { fl__tw_raw(w, &c, 1); }

static void put_uvarint(struct fl__tw *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    fl__tw_raw(w, tmp, n);
}

static void put_zigzag(struct fl__tw *w, int64_t v)
{
    put_uvarint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void field_header(struct fl__tw *w, int id, int type)
{
    int delta = id - w->last[w->depth];
    if (delta > 0 && delta <= 15) {
        put_byte(w, (uint8_t)((delta << 4) | type));
    } else {
        put_byte(w, (uint8_t)type);
        put_zigzag(w, id);
    }
    w->last[w->depth] = (int16_t)id;
}

void fl__tw_i8(struct fl__tw *w, int id, int8_t v)
{
    field_header(w, id, TC_I8);
    put_byte(w, (uint8_t)v);
}
void fl__tw_i16(struct fl__tw *w, int id, int16_t v)
{
    field_header(w, id, TC_I16);
    put_zigzag(w, v);
}
void fl__tw_i32(struct fl__tw *w, int id, int32_t v)
{
    field_header(w, id, TC_I32);
    put_zigzag(w, v);
}
void fl__tw_i64(struct fl__tw *w, int id, int64_t v)
{
    field_header(w, id, TC_I64);
    put_zigzag(w, v);
}
void fl__tw_bool(struct fl__tw *w, int id, bool v)
{
    field_header(w, id, v ? TC_TRUE : TC_FALSE);
}
void fl__tw_bin(struct fl__tw *w, int id, const void *p, size_t n)
{
    field_header(w, id, TC_BINARY);
    put_uvarint(w, n);
    fl__tw_raw(w, p, n);
}

static void push(struct fl__tw *w)
{
    if (w->depth + 1 >= TC_MAX_DEPTH) {
        if (w->rc == FL_OK)
            w->rc = FL_EINTERNAL;
        return;
    }
    w->last[++w->depth] = 0;
}

void fl__tw_struct_begin(struct fl__tw *w, int id)
{
    field_header(w, id, TC_STRUCT);
    push(w);
}
void fl__tw_elem_struct_begin(struct fl__tw *w) { push(w); }
void fl__tw_struct_end(struct fl__tw *w)
{
    put_byte(w, TC_STOP);
    if (w->depth > 0)
        w->depth--;
}

void fl__tw_list_begin(struct fl__tw *w, int id, int elem_type, uint32_t n)
{
    field_header(w, id, TC_LIST);
    if (n < 15) {
        put_byte(w, (uint8_t)((n << 4) | (uint32_t)elem_type));
    } else {
        put_byte(w, (uint8_t)(0xF0 | elem_type));
        put_uvarint(w, n);
    }
}
void fl__tw_elem_i32(struct fl__tw *w, int32_t v) { put_zigzag(w, v); }
void fl__tw_elem_bin(struct fl__tw *w, const void *p, size_t n)
{
    put_uvarint(w, n);
    fl__tw_raw(w, p, n);
}

/* ---- reader ------------------------------------------------------------- */
void fl__tr_init(struct fl__tr *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->rc = FL_OK;
    r->depth = 0;
}

static void tr_fail(struct fl__tr *r)
{
    r->rc = FL_ECORRUPT;
    r->p = r->end;
}

static uint8_t get_byte(struct fl__tr *r)
{
    if (r->p >= r->end) {
        tr_fail(r);
        return 0;
    }
    return *r->p++;
}

uint64_t fl__tr_uvarint(struct fl__tr *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end) {
            tr_fail(r);
            return 0;
        }
        uint8_t c = *r->p++;
        if (shift == 63 && c > 1) {
            tr_fail(r);
            return 0;
        }
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    tr_fail(r);
    return 0;
}

static int64_t get_zigzag(struct fl__tr *r)
{
    uint64_t u = fl__tr_uvarint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int fl__tr_field(struct fl__tr *r, int16_t *last, int16_t *id)
{
    uint8_t c = get_byte(r);
    if (r->rc || c == 0) {
        *id = 0;
        return TC_STOP;
    }
    int type = c & 0x0f;
    int delta = c >> 4;
    if (delta) {
        *id = (int16_t)(*last + delta);
    } else {
        int64_t v = get_zigzag(r);
        if (v < -32768 || v > 32767) {
            tr_fail(r);
            return TC_STOP;
        }
        *id = (int16_t)v;
    }
    *last = *id;
    if (type > TC_STRUCT) {
        tr_fail(r);
        return TC_STOP;
    }
    return type;
}

int64_t fl__tr_int(struct fl__tr *r, int type)
{
    switch (type) {
    case TC_I8:
        return (int8_t)get_byte(r);
    case TC_I16:
    case TC_I32:
    case TC_I64:
        return get_zigzag(r);
    default:
        fl__tr_skip(r, type);
        return 0;
    }
}

bool fl__tr_bool(struct fl__tr *r, int type)
{
    if (type == TC_TRUE)
        return true;
    if (type == TC_FALSE)
        return false;
    fl__tr_skip(r, type);
    return false;
}

struct fl_str fl__tr_bin(struct fl__tr *r)
{
    uint64_t n = fl__tr_uvarint(r);
    if (r->rc || n > (uint64_t)(r->end - r->p)) {
        tr_fail(r);
        return (struct fl_str){"", 0};
    }
    struct fl_str s = {(const char *)r->p, (size_t)n};
    r->p += n;
    return s;
}

uint32_t fl__tr_list(struct fl__tr *r, int *elem_type)
{
    uint8_t c = get_byte(r);
    uint64_t n = c >> 4;
    *elem_type = c & 0x0f;
    if (n == 15)
        n = fl__tr_uvarint(r);
    /* Every element takes at least one byte: a count larger than the bytes
     * left is a lie. */
    if (r->rc || n > (uint64_t)(r->end - r->p)) {
        tr_fail(r);
        return 0;
    }
    return (uint32_t)n;
}

bool fl__tr_enter(struct fl__tr *r)
{
    if (r->depth + 1 >= TC_MAX_DEPTH) {
        tr_fail(r);
        return false;
    }
    r->depth++;
    return true;
}

void fl__tr_leave(struct fl__tr *r)
{
    if (r->depth > 0)
        r->depth--;
}

static void skip_elem(struct fl__tr *r, int type)
{
    /* Inside containers booleans take one byte. */
    if (type == TC_TRUE || type == TC_FALSE)
        get_byte(r);
    else
        fl__tr_skip(r, type);
}

void fl__tr_skip(struct fl__tr *r, int type)
{
    if (r->rc)
        return;
    switch (type) {
    case TC_TRUE:
    case TC_FALSE:
        return;
    case TC_I8:
        get_byte(r);
        return;
    case TC_I16:
    case TC_I32:
    case TC_I64:
        fl__tr_uvarint(r);
        return;
    case TC_DOUBLE:
        if (r->end - r->p < 8)
            tr_fail(r);
        else
            r->p += 8;
        return;
    case TC_BINARY:
        fl__tr_bin(r);
        return;
    case TC_LIST:
    case TC_SET: {
        int et;
        uint32_t n = fl__tr_list(r, &et);
        if (!fl__tr_enter(r))
            return;
        for (uint32_t i = 0; i < n && !r->rc; i++)
            skip_elem(r, et);
        fl__tr_leave(r);
        return;
    }
    case TC_MAP: {
        uint64_t n = fl__tr_uvarint(r);
        if (n == 0)
            return;
        uint8_t kv = get_byte(r);
        if (r->rc || n > (uint64_t)(r->end - r->p)) {
            tr_fail(r);
            return;
        }
        if (!fl__tr_enter(r))
            return;
        for (uint64_t i = 0; i < n && !r->rc; i++) {
            skip_elem(r, kv >> 4);
            skip_elem(r, kv & 0x0f);
        }
        fl__tr_leave(r);
        return;
    }
    case TC_STRUCT: {
        if (!fl__tr_enter(r))
            return;
        int16_t last = 0, id;
        int t;
        while ((t = fl__tr_field(r, &last, &id)) != TC_STOP)
            fl__tr_skip(r, t);
        fl__tr_leave(r);
        return;
    }
    default:
        tr_fail(r);
        return;
    }
}
