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
#include "ingest_int.h"

#define LINES_BLOCK (256u * 1024u)
#define TOO_LONG_HEAD 256u

struct fl__lines {
    struct fl__input *in;
    struct fl_ingest_stats *st;
    char *buf;
    size_t size;      /* allocated */
    size_t line_cap;  /* longest line accepted */
    size_t start;     /* first byte of the next line */
    size_t scan;      /* newline search resumes here */
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
    l->buf = fl_malloc(l->size);
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

/* Read one more block after the valid bytes.  Compacts first. */
static int refill(struct fl__lines *l, struct fl_error *err)
{
    if (l->start > 0) {
        size_t keep = l->end - l->start;
        if (keep)
            memmove(l->buf, l->buf + l->start, keep);
        l->base += l->start;
        l->scan -= l->start;
        l->end = keep;
        l->start = 0;
    }
    size_t room = l->size - l->end;
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
        char *nl = NULL;
        if (l->scan < l->end)
            nl = memchr(l->buf + l->scan, '\n', l->end - l->scan);
        if (nl) {
            size_t e = (size_t)(nl - l->buf);
            if (l->skipping) { /* the end of a too-long line: drop it */
                l->skipping = false;
                l->start = l->scan = e + 1;
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
            l->start = l->scan = e + 1;
            l->st->lines++;
            return 1;
        }
        l->scan = l->end;
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
