/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_records.c - the JSON record framer (see json_records.h): a byte-level
 * state machine that finds where each top-level record starts and ends
 * (tracking strings, escapes and nesting depth, nothing else) so that the
 * JSON parser sees one record at a time.  This is what makes Azure blobs of
 * any size stream with bounded memory, lets a resumed read start in the
 * middle of `{"records":[`, and lets one malformed record be rejected
 * without losing the records after it.
 *
 * Modes: SEEK (between records: whitespace, commas, wrapper open/close),
 * REC (inside a record being buffered), SKIP (inside a record too big or
 * too deep: scanned, not buffered), JUNK (bytes that cannot start a record,
 * skipped up to the next '{').
 */
#include <yajl/yajl_common.h>

#include "json_records.h"

/* Read size and initial buffer: below glibc's mmap threshold, so opening
 * many small blobs does not cost an mmap + page faults each. */
#define JR_CHUNK ((size_t)64 << 10)
#define JR_WRAP_MAX 8       /* nested wrappers (`{"records":[` or `[`) */
#define JR_LOOKAHEAD 4096   /* whitespace allowed inside `{"records":[` */

enum { M_SEEK, M_REC, M_SKIP, M_JUNK };

struct fl__jr {
    fl__jr_read_fn read;
    void *ctx;
    char *buf;
    size_t len, cap, pos;  /* bytes held, allocated, scan position */
    uint64_t base;         /* stream offset of buf[0] */
    uint64_t lines;        /* newlines before buf[pos] */
    uint64_t consumed;     /* resume point */
    uint64_t total;        /* bytes read (after the start offset) */
    uint64_t skip_left;    /* start_offset bytes still to discard */
    uint64_t pending;
    bool eof;
    size_t rec_cap;
    unsigned depth_cap;
    char wstack[JR_WRAP_MAX];
    unsigned lvl;          /* wrappers open */
    bool need_brace;       /* `]` of `{"records":[` seen, `}` expected */
    int mode;
    size_t rs;             /* REC/JUNK: start of the item in buf */
    uint64_t rs_off, rs_line;
    uint64_t depth;
    uint64_t types;        /* bit d-1 set: '[' opened at depth d (d <= 64) */
    bool in_str, esc;
    bool junk_silent;      /* JUNK after a broken record: no extra reject */
    enum fl_reject skip_reason;
    const char *skip_why;
    char sample[160];
    size_t n_sample;
};

/* ---- yajl allocation through the library allocator --------------------- */
static void *jr_malloc(void *ctx, size_t n) { FL_UNUSED(ctx); return fl_malloc(n); }
static void *jr_realloc(void *ctx, void *p, size_t n) { FL_UNUSED(ctx); return fl_realloc(p, n); }
static void jr_free(void *ctx, void *p) { FL_UNUSED(ctx); fl_free(p); }
static yajl_alloc_funcs jr_afs = {jr_malloc, jr_realloc, jr_free, NULL};
const void *fl__jr_yajl_alloc_funcs(void) { return &jr_afs; }

int fl__jr_read_input(void *ctx, char *buf, size_t cap, size_t *got,
                      struct fl_error *err)
{
    return fl__input_read(ctx, buf, cap, got, err);
}

struct fl__jr *fl__jr_new(fl__jr_read_fn fn, void *ctx, const struct fl__jr_opts *o)
{
    struct fl__jr *f = fl_calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->read = fn;
    f->ctx = ctx;
    f->rec_cap = o && o->rec_cap ? o->rec_cap : (size_t)32 << 20;
    f->depth_cap = o && o->depth_cap ? o->depth_cap : 64;
    f->cap = JR_CHUNK;
    f->buf = fl_malloc(f->cap);
    if (!f->buf) {
        fl_free(f);
        return NULL;
    }
    if (o && o->start_offset) {
        /* A resumed Azure blob: the bytes before the offset held
         * `{"records":[` and complete records; we start inside the array. */
        f->skip_left = o->start_offset;
        f->base = f->consumed = o->start_offset;
        f->wstack[0] = '{';
        f->lvl = 1;
    }
    return f;
}

void fl__jr_free(struct fl__jr *f)
{
    if (!f)
        return;
    fl_free(f->buf);
    fl_free(f);
}

uint64_t fl__jr_consumed(const struct fl__jr *f) { return f->consumed; }
uint64_t fl__jr_pending(const struct fl__jr *f) { return f->pending; }
uint64_t fl__jr_bytes(const struct fl__jr *f) { return f->total; }
uint64_t fl__jr_lines(const struct fl__jr *f) { return f->lines; }

uint64_t fl__jr_line_at(const struct fl__jr *f, const struct fl__jr_item *it,
                        uint64_t off)
{
    FL_UNUSED(f);
    uint64_t line = it->line;
    size_t n = off > it->offset ? (size_t)FL_MIN(off - it->offset, it->n) : 0;
    for (const char *p = it->p, *e = it->p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        line++;
    return line;
}

/*
 * Drop buf[0, keep), then read more bytes.  Returns FL_OK (f->eof set when
 * the stream is exhausted) or the read error.  The buffer grows only while
 * a record being buffered needs it; rec_cap bounds that (the caller switches
 * to SKIP mode before the record outgrows it).
 */
static int fill(struct fl__jr *f, size_t keep, struct fl_error *err)
{
    if (keep) {
        memmove(f->buf, f->buf + keep, f->len - keep);
        f->len -= keep;
        f->pos -= keep;
        f->rs = f->rs >= keep ? f->rs - keep : 0;
        f->base += keep;
    }
    if (f->cap - f->len < JR_CHUNK / 4) {
        size_t ncap = f->cap * 2;
        size_t limit = f->rec_cap + 2 * JR_CHUNK;
        if (ncap > limit)
            ncap = limit;
        if (ncap > f->cap) {
            char *nb = fl_realloc(f->buf, ncap);
            if (!nb)
                return fl_error_set(err, FL_ENOMEM, "out of memory buffering a JSON record");
            f->buf = nb;
            f->cap = ncap;
        }
    }
    for (;;) {
        size_t room = FL_MIN(f->cap - f->len, JR_CHUNK), got = 0;
        if (room == 0)
            return fl_error_set(err, FL_EINTERNAL, "JSON framer buffer full");
        int rc = f->read(f->ctx, f->buf + f->len, room, &got, err);
        if (rc < 0)
            return rc;
        if (got == 0) {
            f->eof = true;
            return FL_OK;
        }
        if (f->skip_left) {
            size_t drop = (size_t)FL_MIN((uint64_t)got, f->skip_left);
            f->skip_left -= drop;
            memmove(f->buf + f->len, f->buf + f->len + drop, got - drop);
            got -= drop;
            if (!got)
                continue;
        }
        f->total += got;
        f->len += got;
        return FL_OK;
    }
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/*
 * Is the '{' at buf[pos] the start of a `{"records":[` wrapper?  1 yes
 * (*after = index past the '['), 0 no, -1 need more bytes.
 */
static int is_wrapper(const struct fl__jr *f, size_t pos, size_t *after)
{
    static const char key[] = "\"records\"";
    static const char *const want[3] = {key, ":", "["};
    size_t i = pos + 1, end = f->len, lim = pos + JR_LOOKAHEAD;
    for (int step = 0; step < 3; step++) {
        while (i < end && i < lim && is_ws(f->buf[i]))
            i++;
        size_t n = strlen(want[step]);
        if (i + n > lim)
            return 0;
        if (i + n > end)
            return f->eof ? 0 : -1;
        if (memcmp(f->buf + i, want[step], n) != 0)
            return 0;
        i += n;
    }
    *after = i;
    return 1;
}

static void take_sample(struct fl__jr *f, size_t at)
{
    f->n_sample = FL_MIN(sizeof f->sample, f->len - at);
    memcpy(f->sample, f->buf + at, f->n_sample);
}

static void start_item(struct fl__jr *f, int mode)
{
    f->mode = mode;
    f->rs = f->pos;
    f->rs_off = f->base + f->pos;
    f->rs_line = f->lines + 1;
    f->depth = 0;
    f->types = 0;
    f->in_str = f->esc = false;
    f->junk_silent = false;
}

static void bad_item(struct fl__jr *f, struct fl__jr_item *it, enum fl_reject r,
                     const char *why)
{
    it->kind = FL__JR_BAD;
    it->p = f->sample;
    it->n = f->n_sample;
    it->offset = f->rs_off;
    it->line = f->rs_line;
    it->reason = r;
    it->why = why;
}

/* Characters that end a run inside a string. */
static const unsigned char str_stop[256] = {['"'] = 1, ['\\'] = 1, ['\n'] = 1};

/*
 * Scan a record (REC or SKIP mode) from f->pos.  Returns 1 when the record
 * ended (f->pos just past it), 0 when the buffer ran out, 2 when REC had to
 * turn into SKIP (the caller just loops), 3 when a closing bracket does not
 * match its opener (a broken record: f->pos just past the bad bracket).
 */
static int scan_record(struct fl__jr *f)
{
    const unsigned char *b = (const unsigned char *)f->buf;
    size_t pos = f->pos, len = f->len;
    uint64_t depth = f->depth, lines = f->lines, types = f->types;
    bool in_str = f->in_str, esc = f->esc;
    int ret = 0;
    while (pos < len) {
        if (in_str) {
            if (esc) {
                esc = false;
                pos++;
                continue;
            }
            /* Fast path: the closing quote, with no backslash or newline
             * before it (tuple strings), found with two vectorized scans. */
            const unsigned char *q = memchr(b + pos, '"', len - pos);
            size_t end = q ? (size_t)(q - b) : len;
            if (!memchr(b + pos, '\\', end - pos) && !memchr(b + pos, '\n', end - pos)) {
                pos = end;
            } else {
                while (pos < len && !str_stop[b[pos]])
                    pos++;
            }
            if (pos >= len)
                break;
            unsigned char c = b[pos++];
            if (c == '"')
                in_str = false;
            else if (c == '\\')
                esc = true;
            else
                lines++;
            continue;
        }
        unsigned char c = b[pos++];
        switch (c) {
        case '"':
            in_str = true;
            break;
        case '{':
        case '[':
            depth++;
            if (depth <= 64) {
                uint64_t bit = (uint64_t)1 << (depth - 1);
                types = c == '[' ? types | bit : types & ~bit;
            }
            if (FL_UNLIKELY(depth > f->depth_cap) && f->mode == M_REC) {
                take_sample(f, f->rs);
                f->mode = M_SKIP;
                f->skip_reason = FL_REJ_TOO_DEEP;
                f->skip_why = "JSON nested too deeply";
                ret = 2;
                goto out;
            }
            break;
        case '}':
        case ']':
            if (depth && depth <= 64 && f->mode == M_REC &&
                ((types >> (depth - 1)) & 1) != (c == ']')) {
                ret = 3;
                goto out;
            }
            if (depth)
                depth--;
            if (depth == 0) {
                ret = 1;
                goto out;
            }
            break;
        case '\n':
            lines++;
            break;
        default:
            break;
        }
    }
    if (f->mode == M_REC && pos - f->rs > f->rec_cap) {
        take_sample(f, f->rs);
        f->mode = M_SKIP;
        f->skip_reason = FL_REJ_TOO_BIG;
        f->skip_why = "JSON record larger than the record cap";
        ret = 2;
    }
out:
    f->pos = pos;
    f->depth = depth;
    f->types = types;
    f->lines = lines;
    f->in_str = in_str;
    f->esc = esc;
    return ret;
}

int fl__jr_next(struct fl__jr *f, struct fl__jr_item *it, struct fl_error *err)
{
    for (;;) {
        if (f->pos >= f->len) {
            if (f->eof)
                goto at_eof;
            size_t keep = f->mode == M_REC ? f->rs : f->pos;
            FL_TRY(fill(f, keep, err));
            if (f->pos >= f->len && f->eof)
                goto at_eof;
            continue;
        }
        if (f->mode == M_REC || f->mode == M_SKIP) {
            int r = scan_record(f);
            if (r == 0 || r == 2)
                continue;
            if (r == 3) {
                /* Mismatched brackets: reject what we have, then skip to
                 * the next '{' without a second reject. */
                take_sample(f, f->rs);
                bad_item(f, it, FL_REJ_BAD_JSON, "mismatched brackets in a JSON record");
                f->consumed = f->base + f->pos;
                f->mode = M_JUNK;
                f->junk_silent = true;
                return 1;
            }
            f->consumed = f->base + f->pos;
            int was = f->mode;
            f->mode = M_SEEK;
            if (was == M_REC) {
                it->kind = FL__JR_RECORD;
                it->p = f->buf + f->rs;
                it->n = f->pos - f->rs;
                it->offset = f->rs_off;
                it->line = f->rs_line;
                it->reason = FL_REJ_BAD_JSON;
                it->why = NULL;
            } else {
                bad_item(f, it, f->skip_reason, f->skip_why);
            }
            return 1;
        }
        if (f->mode == M_JUNK) {
            const char *b = f->buf;
            size_t pos = f->pos;
            while (pos < f->len && b[pos] != '{') {
                if (b[pos] == '\n')
                    f->lines++;
                pos++;
            }
            f->pos = pos;
            if (pos >= f->len)
                continue;
            f->mode = M_SEEK;
            f->consumed = f->base + pos;
            if (f->junk_silent) {
                f->junk_silent = false;
                continue;
            }
            bad_item(f, it, FL_REJ_BAD_JSON, "bytes outside any JSON record");
            return 1;
        }
        /* SEEK */
        char c = f->buf[f->pos];
        switch (c) {
        case '\n':
            f->lines++;
            /* fall through */
        case ' ':
        case '\t':
        case '\r':
        case ',':
            f->pos++;
            continue;
        case '{': {
            size_t after = 0;
            int w = f->lvl < JR_WRAP_MAX ? is_wrapper(f, f->pos, &after) : 0;
            if (w < 0) {
                /* Need more lookahead: keep from the '{'. */
                FL_TRY(fill(f, f->pos, err));
                continue;
            }
            f->need_brace = false;
            if (w == 1) {
                for (size_t i = f->pos; i < after; i++)
                    if (f->buf[i] == '\n')
                        f->lines++;
                f->wstack[f->lvl++] = '{';
                f->pos = after;
                f->consumed = f->base + after;
                continue;
            }
            start_item(f, M_REC);
            continue;
        }
        case '[':
            if (f->lvl == 0 && !f->need_brace) {
                f->wstack[f->lvl++] = '[';
                f->pos++;
                f->consumed = f->base + f->pos;
                continue;
            }
            break;
        case ']':
            if (f->lvl > 0 && !f->need_brace) {
                f->need_brace = f->wstack[--f->lvl] == '{';
                f->pos++;
                continue;
            }
            break;
        case '}':
            if (f->need_brace) {
                f->need_brace = false;
                f->pos++;
                continue;
            }
            break;
        default:
            break;
        }
        /* Anything else cannot start a record. */
        f->need_brace = false;
        start_item(f, M_JUNK);
        take_sample(f, f->pos);
        f->pos++;
    }
at_eof:
    if (f->mode == M_JUNK && f->junk_silent) {
        f->mode = M_SEEK;
        f->junk_silent = false;
        f->consumed = f->base + f->len;
    }
    if (f->mode == M_JUNK) {
        f->mode = M_SEEK;
        f->consumed = f->base + f->len;
        bad_item(f, it, FL_REJ_BAD_JSON, "bytes outside any JSON record");
        return 1;
    }
    if (f->mode == M_SKIP) {
        /* An over-cap record cut short: hostile rather than mid-append. */
        f->mode = M_SEEK;
        f->consumed = f->base + f->len;
        bad_item(f, it, f->skip_reason, f->skip_why);
        return 1;
    }
    f->pending = f->mode == M_REC ? f->base + f->len - f->rs_off : 0;
    return 0;
}
