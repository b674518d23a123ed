/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enc_rle_bitpack.c - the RLE / bit-packed hybrid encoding of Parquet
 * (Encodings.md, "Run Length Encoding / Bit-Packing Hybrid"), used for
 * definition levels (bit width 1) and dictionary indices.  The encoder
 * turns runs of 8 or more equal values into RLE runs and packs the rest in
 * groups of 8; the decoder accepts any valid stream and tolerates a short
 * final bit-packed run (some writers truncate the padding).
 */
#include "store_int.h"

static int put_uvarint(struct fl_buf *o, uint64_t v)
{
    FL_TRY(fl_buf_reserve(o, 10));
    uint8_t *q = (uint8_t *)o->p + o->len;
    size_t n = 0;
    while (v >= 0x80) {
        q[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    q[n++] = (uint8_t)v;
    o->len += n;
    return FL_OK;
}

static int put_rle(struct fl_buf *o, uint32_t val, size_t count, int bw)
{
    FL_TRY(put_uvarint(o, (uint64_t)count << 1));
    int nb = (bw + 7) / 8;
    FL_TRY(fl_buf_reserve(o, 4));
    for (int i = 0; i < nb; i++)
        o->p[o->len++] = (char)(uint8_t)(val >> (8 * i));
    return FL_OK;
}

/* Bit-pack n values (n a multiple of 8, or the final run: zero-padded). */
static int put_packed(struct fl_buf *o, const uint32_t *v, size_t n, int bw)
{
    size_t groups = (n + 7) / 8;
    FL_TRY(put_uvarint(o, ((uint64_t)groups << 1) | 1));
    size_t nbytes = groups * (size_t)bw;
    FL_TRY(fl_buf_reserve(o, nbytes + 8));
    uint8_t *q = (uint8_t *)o->p + o->len;
    uint64_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < groups * 8; i++) {
        uint64_t x = i < n ? v[i] : 0;
        acc |= x << bits;
        bits += bw;
        while (bits >= 8) {
            q[k++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    if (bits > 0)
        q[k++] = (uint8_t)acc;
    o->len += nbytes;
    return FL_OK;
}

int fl__rle_encode(struct fl_buf *out, const uint32_t *v, size_t n, int bw)
{
    size_t lit = 0; /* start of pending literal values */
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        size_t run = j - i;
        if (run >= 8) {
            /* Fill the pending literals up to a multiple of 8 from the run. */
            size_t pend = i - lit;
            size_t fill = (8 - pend % 8) % 8;
            if (pend == 0)
                fill = 0;
            if (run - fill >= 8) {
                if (pend + fill)
                    FL_TRY(put_packed(out, v + lit, pend + fill, bw));
                FL_TRY(put_rle(out, v[i], run - fill, bw));
                lit = j;
            }
        }
        i = j;
    }
    if (lit < n)
        FL_TRY(put_packed(out, v + lit, n - lit, bw));
    return FL_OK;
}

/* Length of the run of equal bytes starting at v[0] (at most n). */
static size_t byte_run(const uint8_t *v, size_t n)
{
    uint8_t c = v[0];
    uint64_t pat = 0x0101010101010101ULL * c;
    size_t i = 1;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, v + i, 8);
        uint64_t x = w ^ pat;
        if (x)
            return i + (size_t)(__builtin_ctzll(x) >> 3);
        i += 8;
    }
    while (i < n && v[i] == c)
        i++;
    return i;
}

static int put_packed_bits(struct fl_buf *o, const uint8_t *v, size_t n)
{
    size_t groups = (n + 7) / 8;
    FL_TRY(put_uvarint(o, ((uint64_t)groups << 1) | 1));
    FL_TRY(fl_buf_reserve(o, groups));
    uint8_t *q = (uint8_t *)o->p + o->len;
    size_t full = n / 8;
    for (size_t g = 0; g < full; g++) {
        /* 8 bytes of 0/1 -> 8 bits, LSB first: each byte i lands on bit
         * 56 + i of the product and no two partial products collide */
        uint64_t x;
        memcpy(&x, v + g * 8, 8);
        x = (x | (x >> 1) | (x >> 2) | (x >> 3) | (x >> 4) | (x >> 5) | (x >> 6) | (x >> 7)) &
            0x0101010101010101ULL; /* any non-zero byte is 1 */
        q[g] = (uint8_t)((x * 0x0102040810204080ULL) >> 56);
    }
    for (size_t g = full; g < groups; g++) {
        uint8_t b = 0;
        for (size_t k = 0; k < 8; k++) {
            size_t idx = g * 8 + k;
            if (idx < n && v[idx])
                b |= (uint8_t)(1u << k);
        }
        q[g] = b;
    }
    o->len += groups;
    return FL_OK;
}

int fl__rle_encode_bits(struct fl_buf *out, const uint8_t *v, size_t n)
{
    size_t lit = 0, i = 0;
    while (i < n) {
        size_t run = byte_run(v + i, n - i);
        size_t j = i + run;
        if (run >= 8) {
            size_t pend = i - lit;
            size_t fill = pend ? (8 - pend % 8) % 8 : 0;
            if (run - fill >= 8) {
                if (pend + fill)
                    FL_TRY(put_packed_bits(out, v + lit, pend + fill));
                FL_TRY(put_rle(out, v[i] ? 1 : 0, run - fill, 1));
                lit = j;
            }
        }
        i = j;
    }
    if (lit < n)
        FL_TRY(put_packed_bits(out, v + lit, n - lit));
    return FL_OK;
}

/* ---- decoder ------------------------------------------------------------- */
void fl__rle_dec_init(struct fl__rle_dec *d, const void *p, size_t n, int bw)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = d->p + n;
    d->bw = bw;
}

/* Read the next run header.  0 = a run is ready, 1 = end of data, < 0 error. */
static int next_run(struct fl__rle_dec *d)
{
    if (d->p >= d->end)
        return 1;
    uint64_t h = 0;
    int shift = 0;
    for (;;) {
        if (d->p >= d->end || shift > 63)
            return FL_ECORRUPT;
        uint8_t c = *d->p++;
        h |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
        shift += 7;
    }
    if (h & 1) {
        uint64_t groups = h >> 1;
        uint64_t bytes = groups * (uint64_t)d->bw;
        if (groups > ((uint64_t)1 << 28))
            return FL_ECORRUPT;
        size_t left = (size_t)(d->end - d->p);
        size_t have = bytes > left ? left : (size_t)bytes;
        d->bp = d->p;
        d->p += have;
        d->bp_pos = 0;
        uint64_t count = groups * 8;
        uint64_t avail = d->bw ? (uint64_t)have * 8 / (uint64_t)d->bw : count;
        d->bp_left = (uint32_t)(count < avail ? count : avail);
        d->bp_avail = d->bp_left;
    } else {
        uint64_t count = h >> 1;
        if (count > 0xffffffffu)
            return FL_ECORRUPT;
        int nb = (d->bw + 7) / 8;
        if (d->end - d->p < nb)
            return FL_ECORRUPT;
        uint32_t v = 0;
        for (int i = 0; i < nb; i++)
            v |= (uint32_t)d->p[i] << (8 * i);
        d->p += nb;
        d->rle_val = v;
        d->rle_left = (uint32_t)count;
    }
    return 0;
}

static inline uint32_t unpack_one(const struct fl__rle_dec *d, uint32_t idx)
{
    int bw = d->bw;
    uint64_t bit = (uint64_t)idx * (uint64_t)bw;
    size_t byte = (size_t)(bit >> 3);
    int sh = (int)(bit & 7);
    size_t have = (size_t)(d->p - d->bp);
    uint64_t w = 0;
    if (byte + 8 <= have) {
        memcpy(&w, d->bp + byte, 8);
    } else {
        for (size_t k = 0; k < 8 && byte + k < have; k++)
            w |= (uint64_t)d->bp[byte + k] << (8 * k);
    }
    w >>= sh;
    return bw == 32 ? (uint32_t)w : (uint32_t)(w & ((1ULL << bw) - 1));
}

int fl__rle_dec_get(struct fl__rle_dec *d, uint32_t *out, uint32_t n)
{
    uint32_t got = 0;
    while (got < n) {
        if (d->rle_left) {
            uint32_t k = FL_MIN(d->rle_left, n - got);
            for (uint32_t i = 0; i < k; i++)
                out[got + i] = d->rle_val;
            d->rle_left -= k;
            got += k;
            continue;
        }
        if (d->bp_left) {
            uint32_t k = FL_MIN(d->bp_left, n - got);
            if (d->bw == 0) {
                memset(out + got, 0, (size_t)k * sizeof *out);
            } else {
                for (uint32_t i = 0; i < k; i++)
                    out[got + i] = unpack_one(d, d->bp_pos + i);
            }
            d->bp_pos += k;
            d->bp_left -= k;
            got += k;
            continue;
        }
        int rc = next_run(d);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
    }
    return (int)got;
}

int fl__rle_dec_get8(struct fl__rle_dec *d, uint8_t *out, uint32_t n)
{
    uint32_t got = 0;
    while (got < n) {
        if (d->rle_left) {
            uint32_t k = FL_MIN(d->rle_left, n - got);
            memset(out + got, (uint8_t)d->rle_val, k);
            d->rle_left -= k;
            got += k;
            continue;
        }
        if (d->bp_left) {
            uint32_t k = FL_MIN(d->bp_left, n - got);
            if (d->bw == 1) {
                for (uint32_t i = 0; i < k; i++) {
                    uint32_t idx = d->bp_pos + i;
                    out[got + i] = (d->bp[idx >> 3] >> (idx & 7)) & 1;
                }
            } else if (d->bw == 0) {
                memset(out + got, 0, k);
            } else {
                for (uint32_t i = 0; i < k; i++)
                    out[got + i] = (uint8_t)unpack_one(d, d->bp_pos + i);
            }
            d->bp_pos += k;
            d->bp_left -= k;
            got += k;
            continue;
        }
        int rc = next_run(d);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
    }
    return (int)got;
}
