/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec.c - Parquet page compression (Compression.md): ZSTD frames
 * (libzstd), raw SNAPPY blocks (snappy-c.h), GZIP as one RFC 1952 member
 * (zlib, windowBits 15+16) and UNCOMPRESSED.  One fl__codec keeps the zstd
 * and zlib contexts so that pages reuse them instead of allocating.  snappy
 * is bound on first use, not linked (its libstdc++ costs every command's
 * start ~5 ms: src/common/dl.c).
 * Decompression always produces exactly the size the page header states,
 * or FL_ECORRUPT.
 */
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "store_int.h"

#define SNAPPY_FNS(X) X(compress) X(uncompress) X(uncompressed_length) X(max_compressed_length) \
    X(validate_compressed_buffer)
static struct {
#define SNAPPY_PTR(f) __typeof__(snappy_##f) *f;
    SNAPPY_FNS(SNAPPY_PTR)
#undef SNAPPY_PTR
} sn;
static const char *const sn_names[] = {
#define SNAPPY_NAME(f) "snappy_" #f,
    SNAPPY_FNS(SNAPPY_NAME)
#undef SNAPPY_NAME
};
FL_DL_CHECK(sn, sn_names);
static struct fl_dl sn_lib = {"libsnappy.so.1", "libsnappy1v5", sn_names, FL_ARRAY_LEN(sn_names), &sn, 0, ""};

struct fl__codec {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    z_stream def;
    bool def_init;
    z_stream inf;
    bool inf_init;
};

struct fl__codec *fl__codec_new(void) { return fl_calloc(1, sizeof(struct fl__codec)); }

void fl__codec_free(struct fl__codec *c)
{
    if (!c)
        return;
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    if (c->def_init)
        deflateEnd(&c->def);
    if (c->inf_init)
        inflateEnd(&c->inf);
    fl_free(c);
}

int fl_codec_parse(const char *s, enum fl_codec *out)
{
    static const struct {
        const char *name;
        enum fl_codec c;
    } t[] = {{"none", FL_CODEC_NONE},     {"uncompressed", FL_CODEC_NONE},
             {"snappy", FL_CODEC_SNAPPY}, {"gzip", FL_CODEC_GZIP},
             {"zstd", FL_CODEC_ZSTD}};
    for (size_t i = 0; i < FL_ARRAY_LEN(t); i++) {
        if (s && fl_str_ieq(s, strlen(s), t[i].name, strlen(t[i].name))) {
            *out = t[i].c;
            return FL_OK;
        }
    }
    return FL_EINVAL;
}

int fl__codec_compress(struct fl__codec *c, int codec, int level, const void *src,
                       size_t n, struct fl_buf *out)
{
    out->len = 0;
    switch (codec) {
    case FL_CODEC_NONE:
        return fl_buf_add(out, src, n);
    case FL_CODEC_ZSTD: {
        if (!c->zc && !(c->zc = ZSTD_createCCtx()))
            return FL_ENOMEM;
        size_t cap = ZSTD_compressBound(n);
        FL_TRY(fl_buf_reserve(out, cap));
        size_t r = ZSTD_compressCCtx(c->zc, out->p, cap, src, n, level ? level : 1);
        if (ZSTD_isError(r))
            return FL_EINTERNAL;
        out->len = r;
        return FL_OK;
    }
    case FL_CODEC_SNAPPY: {
        FL_TRY(fl_dl_load(&sn_lib, NULL));
        size_t cap = sn.max_compressed_length(n);
        FL_TRY(fl_buf_reserve(out, cap));
        size_t olen = cap;
        if (sn.compress(src, n, out->p, &olen) != SNAPPY_OK)
            return FL_EINTERNAL;
        out->len = olen;
        return FL_OK;
    }
    case FL_CODEC_GZIP: {
        if (!c->def_init) {
            memset(&c->def, 0, sizeof c->def);
            if (deflateInit2(&c->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) != Z_OK)
                return FL_ENOMEM;
            c->def_init = true;
        } else if (deflateReset(&c->def) != Z_OK) {
            return FL_EINTERNAL;
        }
        size_t cap = deflateBound(&c->def, (uLong)n) + 32;
        FL_TRY(fl_buf_reserve(out, cap));
        c->def.next_in = (Bytef *)(uintptr_t)src;
        c->def.avail_in = (uInt)n;
        c->def.next_out = (Bytef *)out->p;
        c->def.avail_out = (uInt)cap;
        if (deflate(&c->def, Z_FINISH) != Z_STREAM_END)
            return FL_EINTERNAL;
        out->len = cap - c->def.avail_out;
        return FL_OK;
    }
    default:
        return FL_EUNSUPPORTED;
    }
}

int fl__codec_check_size(int codec, const void *src, size_t n, size_t dst_n)
{
    switch (codec) {
    case FL_CODEC_NONE:
        return n == dst_n ? FL_OK : FL_ECORRUPT;
    case FL_CODEC_ZSTD: {
        unsigned long long z = ZSTD_getFrameContentSize(src, n);
        if (z == ZSTD_CONTENTSIZE_ERROR)
            return FL_ECORRUPT;
        if (z != ZSTD_CONTENTSIZE_UNKNOWN && z != dst_n)
            return FL_ECORRUPT;
        return FL_OK;
    }
    case FL_CODEC_SNAPPY: {
        FL_TRY(fl_dl_load(&sn_lib, NULL));
        size_t ulen;
        if (sn.uncompressed_length(src, n, &ulen) != SNAPPY_OK || ulen != dst_n)
            return FL_ECORRUPT;
        return FL_OK;
    }
    case FL_CODEC_GZIP: {
        /* the last member's ISIZE (size mod 2^32; pages are < 4 GiB): one
         * member is the norm, several add up to dst_n */
        const uint8_t *p = src;
        if (n < 18 || p[0] != 0x1f || p[1] != 0x8b)
            return FL_OK; /* zlib-wrapped or garbage: inflate decides */
        uint32_t isize = fl__rd32(p + n - 4);
        return isize <= dst_n ? FL_OK : FL_ECORRUPT;
    }
    default:
        return FL_OK;
    }
}

int fl__codec_decompress(struct fl__codec *c, int codec, const void *src, size_t n,
                         void *dst, size_t dst_n)
{
    switch (codec) {
    case FL_CODEC_NONE:
        if (n != dst_n)
            return FL_ECORRUPT;
        if (n)
            memcpy(dst, src, n);
        return FL_OK;
    case FL_CODEC_ZSTD: {
        if (!c->zd && !(c->zd = ZSTD_createDCtx()))
            return FL_ENOMEM;
        size_t r = ZSTD_decompressDCtx(c->zd, dst, dst_n, src, n);
        if (ZSTD_isError(r) || r != dst_n)
            return FL_ECORRUPT;
        return FL_OK;
    }
    case FL_CODEC_SNAPPY: {
        FL_TRY(fl_dl_load(&sn_lib, NULL));
        size_t ulen;
        if (sn.uncompressed_length(src, n, &ulen) != SNAPPY_OK || ulen != dst_n)
            return FL_ECORRUPT;
        if (sn.validate_compressed_buffer(src, n) != SNAPPY_OK)
            return FL_ECORRUPT;
        size_t olen = dst_n;
        if (sn.uncompress(src, n, dst, &olen) != SNAPPY_OK || olen != dst_n)
            return FL_ECORRUPT;
        return FL_OK;
    }
    case FL_CODEC_GZIP: {
        if (!c->inf_init) {
            memset(&c->inf, 0, sizeof c->inf);
            /* 15 + 32: gzip or zlib header, auto-detected. */
            if (inflateInit2(&c->inf, 15 + 32) != Z_OK)
                return FL_ENOMEM;
            c->inf_init = true;
        }
        if (n > UINT32_MAX || dst_n > UINT32_MAX)
            return FL_ECORRUPT;
        c->inf.next_in = (Bytef *)(uintptr_t)src;
        c->inf.avail_in = (uInt)n;
        c->inf.next_out = dst;
        c->inf.avail_out = (uInt)dst_n;
        /* Concatenated members are legal: keep going while input remains. */
        for (;;) {
            if (inflateReset(&c->inf) != Z_OK)
                return FL_EINTERNAL;
            int zr = inflate(&c->inf, Z_FINISH);
            if (zr != Z_STREAM_END)
                return FL_ECORRUPT;
            if (c->inf.avail_in == 0 || c->inf.avail_out == 0)
                break;
        }
        if (c->inf.avail_out != 0)
            return FL_ECORRUPT;
        return FL_OK;
    }
    default:
        return FL_EUNSUPPORTED;
    }
}
