/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lines.c - the line splitter of the text formats (struct fl__lines).  It
 * reads the decompressed stream in large blocks into one reused buffer and
 * hands out complete lines as slices into it: no copy, no allocation per
 * line.  "\n" and "\r\n" both end a line; a last line without a newline is
 * still a line.  A line longer than the cap is handed out once, flagged
 * too_long, with its first bytes; the rest of it is skipped block by block
 * up to the next newline, so memory stays at cap + one block whatever the
 * input.  A NUL byte means the stream is binary, not text: that is an
 * object error (FL_EUNSUPPORTED) naming the object and the offset.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ingest_int.h"

#define LINES_BLOCK (256u * 1024u)
#define TOO_LONG_HEAD 256u
#define NL_WIN 64u /* newline search window: one 64-bit mask */

struct fl__lines {
    struct fl__input *in;
    struct fl_ingest_stats *st;
    char *buf;
    size_t size;      /* allocated */
    size_t line_cap;  /* longest line accepted */
    size_t start;     /* first byte of the next line */
    size_t scan;      /* newline search resumes here (when nlmask == 0) */
    size_t mbase;     /* first byte of the current search window */
    uint64_t nlmask;  /* newlines of the window not handed out yet, by
                         position - mbase */
    size_t end;       /* end of valid bytes */
    uint64_t base;    /* stream offset of buf[0] */
    uint64_t lineno;  /* lines handed out */
    bool eof;
    bool skipping;    /* inside the tail of a too-long line */
};

struct fl__lines *fl__lines_new(struct fl__input *in, size_t cap,
                                struct fl_ingest_stats *st)
{
    struct fl__lines *l = fl_calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (cap == 0)
        cap = (size_t)1 << 20;
    if (cap < TOO_LONG_HEAD)
        cap = TOO_LONG_HEAD;
    l->in = in;
    l->st = st;
    l->line_cap = cap;
    l->base = fl__input_offset(in); /* offsets stay stream offsets after a skip */
    l->size = cap + LINES_BLOCK;
    /* NL_WIN bytes of slack: a search window may be loaded whole even
     * where fewer valid bytes remain (the rest is masked off). */
    l->buf = fl_calloc(1, l->size + NL_WIN);
    if (!l->buf) {
        fl_free(l);
        return NULL;
    }
    return l;
}

void fl__lines_free(struct fl__lines *l)
{
    if (!l)
        return;
    fl_free(l->buf);
    fl_free(l);
}

/* Bit i of the result = buf[i] is '\n', for the 64 bytes at p. */
static inline uint64_t nl_mask64(const char *p)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m0 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), nl));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), nl));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), nl));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), nl));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
#else
    uint64_t m = 0;
    for (unsigned i = 0; i < NL_WIN; i++)
        m |= (uint64_t)(p[i] == '\n') << i;
    return m;
#endif
}

/* Index of the next newline at or after the search position, or SIZE_MAX
 * when the valid bytes hold no more (the search position is then `end`).
 * The bytes are searched 64 at a time into a bit mask, so finding a line
 * costs a few instructions instead of a memchr call per line. */
static inline size_t find_nl(struct fl__lines *l)
{
    for (;;) {
        if (l->nlmask) {
            size_t i = l->mbase + (size_t)__builtin_ctzll(l->nlmask);
            l->nlmask &= l->nlmask - 1;
            return i;
        }
        if (l->scan >= l->end)
            return SIZE_MAX;
        size_t w = FL_MIN((size_t)NL_WIN, l->end - l->scan);
        uint64_t m = nl_mask64(l->buf + l->scan);
        if (w < NL_WIN)
            m &= ((uint64_t)1 << w) - 1;
        l->mbase = l->scan;
        l->scan += w;
        l->nlmask = m;
    }
}

/* Read one more block after the valid bytes.  Compacts first. */
static int refill(struct fl__lines *l, struct fl_error *err)
{
    if (l->start > 0) {
        size_t keep = l->end - l->start;
        if (keep)
            memmove(l->buf, l->buf + l->start, keep);
        l->base += l->start;
        l->scan -= l->start; /* nlmask is 0 here: the window is spent */
        l->end = keep;
        l->start = 0;
    }
    /* One block at a time: a cache-sized destination keeps the copy out of
     * the kernel and the parse that follows it in the CPU caches. */
    size_t room = FL_MIN(l->size - l->end, (size_t)LINES_BLOCK);
    if (room == 0)
        return FL_OK;
    size_t got = 0;
    FL_TRY(fl__input_read(l->in, l->buf + l->end, room, &got, err));
    if (got == 0) {
        l->eof = true;
        return FL_OK;
    }
    const char *z = memchr(l->buf + l->end, 0, got);
    if (FL_UNLIKELY(z != NULL)) {
        uint64_t off = l->base + (uint64_t)(z - l->buf);
        const char *name = fl__input_name(l->in);
        fl_error_set(err, FL_EUNSUPPORTED,
                     "%s: binary data (NUL byte at offset %llu), not a text flow log",
                     name, (unsigned long long)off);
        fl_error_where(err, name, l->lineno + 1, off);
        return FL_EUNSUPPORTED;
    }
    l->end += got;
    return FL_OK;
}

int fl__lines_next(struct fl__lines *l, struct fl__line *out, struct fl_error *err)
{
    for (;;) {
        size_t e = find_nl(l);
        if (e != SIZE_MAX) {
            if (l->skipping) { /* the end of a too-long line: drop it */
                l->skipping = false;
                l->start = e + 1;
                continue;
            }
            size_t n = e - l->start;
            if (FL_UNLIKELY(n > l->line_cap)) { /* whole line in buffer, still too long */
                out->p = l->buf + l->start;
                out->n = TOO_LONG_HEAD;
                out->too_long = true;
            } else {
                if (n && l->buf[e - 1] == '\r')
                    n--;
                out->p = l->buf + l->start;
                out->n = n;
                out->too_long = false;
            }
            out->offset = l->base + l->start;
            out->lineno = ++l->lineno;
            l->start = e + 1;
            l->st->lines++;
            return 1;
        }
        if (l->eof) {
            if (l->skipping || l->start >= l->end) {
                l->start = l->scan = l->end;
                return 0;
            }
            size_t n = l->end - l->start;
            out->p = l->buf + l->start;
            out->too_long = n > l->line_cap;
            if (out->too_long)
                n = TOO_LONG_HEAD;
            else if (n && out->p[n - 1] == '\r')
                n--;
            out->n = n;
            out->offset = l->base + l->start;
            out->lineno = ++l->lineno;
            l->start = l->scan = l->end;
            l->st->lines++;
            return 1;
        }
        if (l->skipping) { /* drop everything buffered, keep reading */
            l->base += l->end;
            l->start = l->scan = l->end = 0;
        } else if (l->end - l->start > l->line_cap) {
            /* A too-long line: hand out its head once, then skip the rest.
             * The head stays valid: nothing is read before the next call. */
            out->p = l->buf + l->start;
            out->n = TOO_LONG_HEAD;
            out->too_long = true;
            out->offset = l->base + l->start;
            out->lineno = ++l->lineno;
            l->st->lines++;
            l->skipping = true;
            l->base += l->end;
            l->start = l->scan = l->end = 0;
            return 1;
        }
        FL_TRY(refill(l, err));
    }
}

uint64_t fl__lines_offset(const struct fl__lines *l)
{
    return l->base + l->start;
}
