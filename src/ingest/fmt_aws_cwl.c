/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_aws_cwl.c - the "aws-cwl" format: AWS flow-log records wrapped in
 * JSON, as CloudWatch Logs and Firehose deliver them (formats.md A.6, A.7):
 *  - CloudWatch Logs subscription payloads (usually gzip, which input.c
 *    undoes): {"messageType":"DATA_MESSAGE", ..., "logEvents":[{"id":...,
 *    "timestamp":..., "message":"<one flow record>"}, ...]}, possibly several
 *    payloads back to back; a CONTROL_MESSAGE payload is skipped and counted
 *    in skipped_messages;
 *  - Firehose direct-delivery records {"message":"<one flow record>"},
 *    concatenated with or without newlines;
 *  - Firehose transformation-event records {"recordId":..., "data":"<base64
 *    of {\"message\":...}>"} (one JSON object per record).
 * Each message is one AWS text record without a header: it goes through the
 * aws-vpc line parser (aws_int.h) with --aws-format, or the default v2
 * guess.  JSON is parsed in a streaming way with yajl (allocations through
 * fl_malloc); the input is fed in chunks small enough that the rows they can
 * complete always fit in the batch.  Strings longer than the line cap and
 * nesting deeper than 64 stop the object with a clear error; so does
 * malformed JSON (after counting it as a bad_json reject).
 * Row numbers in samples are message ordinals; source_offset is the offset
 * of the message's JSON string in the decompressed stream (for a base64
 * Firehose record: of its `data` string), the same however the input is
 * chunked.
 */
#include <yajl/yajl_parse.h>

#include "aws_int.h"

#define CWL_CHUNK (64u * 1024u)
#define CWL_MIN_ROW_BYTES 10u /* the fewest input bytes one message needs */
#define CWL_MAX_DEPTH 64

enum key { KEY_OTHER = 0, KEY_MESSAGE_TYPE, KEY_LOG_EVENTS, KEY_MESSAGE, KEY_DATA };

struct cwl_state {
    struct fl__aws *aws;
    yajl_handle h;
    char *buf;               /* input chunk */
    size_t pos, len;         /* unparsed bytes buf[pos, len) */
    uint64_t base;           /* stream offset of buf[0] */
    bool eof, done;
    /* JSON position */
    int depth;
    enum key key1;           /* last key at depth 1 */
    enum key key3;           /* last key at depth 3 (inside a logEvent) */
    bool in_events;          /* inside the logEvents array */
    bool control;            /* this payload is a CONTROL_MESSAGE */
    /* string-length guard (our own tiny lexer over the raw bytes); it also
     * queues the stream offset of every string it sees open, and yajl's
     * key/string callbacks take them in the same order, so a message's
     * offset does not depend on how the input was chunked */
    bool in_str, esc;
    size_t str_len, str_cap;
    uint64_t *q;             /* ring of string start offsets */
    size_t q_head, q_n;
    /* during a yajl_parse call */
    struct fl__pctx *c;
    struct fl_batch *b;
    struct fl_error *err;
    int rc;                  /* error from a callback */
    uint64_t msgno;          /* messages seen (sample "line") */
    uint64_t last_off;
    bool any_off;
    char *b64;               /* base64-decoded Firehose data */
    size_t b64_cap;
};

static void *y_malloc(void *ctx, size_t n) { FL_UNUSED(ctx); return fl_malloc(n); }
static void *y_realloc(void *ctx, void *p, size_t n) { FL_UNUSED(ctx); return fl_realloc(p, n); }
static void y_free(void *ctx, void *p) { FL_UNUSED(ctx); fl_free(p); }

#define CWL_QCAP (CWL_CHUNK / 2 + 2)

/* The offset of the string yajl reports now (see cwl_state.q). */
static uint64_t pop_off(struct cwl_state *s)
{
    if (s->q_n == 0)
        return s->any_off ? s->last_off + 1 : 0;
    uint64_t o = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % CWL_QCAP;
    s->q_n--;
    return o;
}

/* One message: an AWS text record whose JSON string starts at off. */
static int message(struct cwl_state *s, const char *p, size_t n, uint64_t off)
{
    if (s->any_off && off <= s->last_off)
        off = s->last_off + 1;
    s->last_off = off;
    s->any_off = true;
    s->msgno++;
    if (FL_UNLIKELY(fl_batch_full(s->b))) { /* cannot happen: see the feed size */
        s->rc = fl_error_set(s->err, FL_EINTERNAL, "%s: batch overflow", s->c->source);
        return 0;
    }
    size_t cap = s->c->opts->line_cap ? s->c->opts->line_cap : (size_t)1 << 20;
    bool too_long = n > cap;
    int rc = fl__aws_line(s->aws, s->c, s->b, p, too_long ? 256 : n, s->msgno, off, too_long,
                          s->err);
    if (rc < 0) {
        s->rc = rc;
        return 0;
    }
    return 1;
}

static int b64val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

/* Firehose transformation record: data = base64 of {"message":"..."}. */
static int firehose_data(struct cwl_state *s, const unsigned char *p, size_t n, uint64_t off)
{
    size_t need = n / 4 * 3 + 3;
    if (need > s->b64_cap) {
        size_t cap = s->c->opts->line_cap ? s->c->opts->line_cap : (size_t)1 << 20;
        if (need > cap * 2 + 64) {
            int rc = fl__reject(s->c, ++s->msgno, s->last_off + 1, FL_REJ_TOO_BIG,
                                (const char *)p, FL_MIN(n, (size_t)256), s->err);
            if (rc < 0) { s->rc = rc; return 0; }
            return 1;
        }
        char *nb = fl_realloc(s->b64, need);
        if (!nb) {
            s->rc = fl_error_set(s->err, FL_ENOMEM, "out of memory");
            return 0;
        }
        s->b64 = nb;
        s->b64_cap = need;
    }
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '=' || p[i] == '\n' || p[i] == '\r')
            continue;
        int v = b64val(p[i]);
        if (v < 0)
            goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            s->b64[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    /* expect {"message":"..."} (whitespace allowed); unescape in place */
    {
        const char *d = s->b64, *e = s->b64 + o;
        const char *k = NULL;
        for (const char *q = d; q + 9 <= e; q++)
            if (memcmp(q, "\"message\"", 9) == 0) {
                k = q + 9;
                break;
            }
        if (!k)
            goto bad;
        while (k < e && (*k == ' ' || *k == ':' || *k == '\t'))
            k++;
        if (k >= e || *k != '"')
            goto bad;
        k++;
        char *w = s->b64;
        const char *start = w;
        for (; k < e && *k != '"'; k++) {
            if (*k == '\\' && k + 1 < e) {
                k++;
                char ch = *k == 'n' ? '\n' : *k == 't' ? '\t' : *k == 'r' ? '\r' : *k;
                if (*k == 'u')
                    goto bad; /* not expected in flow records */
                *w++ = ch;
            } else {
                *w++ = *k;
            }
        }
        if (k >= e)
            goto bad;
        return message(s, start, (size_t)(w - start), off);
    }
bad: {
        int rc = fl__reject(s->c, ++s->msgno, s->last_off + 1, FL_REJ_BAD_JSON,
                            (const char *)p, FL_MIN(n, (size_t)256), s->err);
        if (rc < 0) { s->rc = rc; return 0; }
        return 1;
    }
}

static int cb_null(void *ctx) { FL_UNUSED(ctx); return 1; }
static int cb_bool(void *ctx, int v) { FL_UNUSED(ctx); FL_UNUSED(v); return 1; }
static int cb_number(void *ctx, const char *p, size_t n) { FL_UNUSED(ctx); FL_UNUSED(p); FL_UNUSED(n); return 1; }

static int cb_string(void *ctx, const unsigned char *p, size_t n)
{
    struct cwl_state *s = ctx;
    uint64_t off = pop_off(s);
    if (s->depth == 1) {
        if (s->key1 == KEY_MESSAGE_TYPE) {
            if (n == 15 && memcmp(p, "CONTROL_MESSAGE", 15) == 0) {
                s->control = true;
                s->c->stats->skipped_messages++;
            }
        } else if (s->key1 == KEY_MESSAGE) {
            return message(s, (const char *)p, n, off);
        } else if (s->key1 == KEY_DATA) {
            return firehose_data(s, p, n, off);
        }
    } else if (s->depth == 3 && s->in_events && s->key3 == KEY_MESSAGE && !s->control) {
        return message(s, (const char *)p, n, off);
    }
    return 1;
}

static enum key key_of(const unsigned char *k, size_t n)
{
    if (n == 11 && memcmp(k, "messageType", 11) == 0) return KEY_MESSAGE_TYPE;
    if (n == 9 && memcmp(k, "logEvents", 9) == 0) return KEY_LOG_EVENTS;
    if (n == 7 && memcmp(k, "message", 7) == 0) return KEY_MESSAGE;
    if (n == 4 && memcmp(k, "data", 4) == 0) return KEY_DATA;
    return KEY_OTHER;
}

static int cb_key(void *ctx, const unsigned char *k, size_t n)
{
    struct cwl_state *s = ctx;
    pop_off(s);
    if (s->depth == 1)
        s->key1 = key_of(k, n);
    else if (s->depth == 3)
        s->key3 = key_of(k, n);
    return 1;
}

static int deeper(struct cwl_state *s)
{
    if (++s->depth > CWL_MAX_DEPTH) {
        s->rc = fl_error_set(s->err, FL_ELIMIT, "%s: JSON nested deeper than %d", s->c->source,
                             CWL_MAX_DEPTH);
        return 0;
    }
    return 1;
}

static int cb_start_map(void *ctx)
{
    struct cwl_state *s = ctx;
    if (s->depth == 0) { /* a new payload / record */
        s->control = false;
        s->in_events = false;
        s->key1 = KEY_OTHER;
    }
    if (s->depth == 2 && s->in_events)
        s->key3 = KEY_OTHER;
    return deeper(s);
}

static int cb_end_map(void *ctx)
{
    struct cwl_state *s = ctx;
    s->depth--;
    if (s->depth == 1)
        s->key1 = KEY_OTHER;
    return 1;
}

static int cb_start_array(void *ctx)
{
    struct cwl_state *s = ctx;
    if (s->depth == 1 && s->key1 == KEY_LOG_EVENTS)
        s->in_events = true;
    return deeper(s);
}

static int cb_end_array(void *ctx)
{
    struct cwl_state *s = ctx;
    s->depth--;
    if (s->depth == 1) {
        s->in_events = false;
        s->key1 = KEY_OTHER;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string, cb_start_map,
    cb_key,  cb_end_map, cb_start_array, cb_end_array,
};

static int cwl_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                     const struct fl_read_opts *opts)
{
    FL_UNUSED(meta);
    FL_UNUSED(opts);
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (i >= n || head[i] != '{')
        return 0;
    const char *h = head + i;
    size_t hn = n - i;
    if (memmem(h, hn, "\"logEvents\"", 11) || memmem(h, hn, "\"messageType\"", 13))
        return 95;
    if (memmem(h, hn, "\"records\"", 9))
        return 0; /* Azure */
    if (memmem(h, hn, "\"message\"", 9))
        return 80;
    if (memmem(h, hn, "\"recordId\"", 10) && memmem(h, hn, "\"data\"", 6))
        return 60;
    return 0;
}

static int cwl_open(void *state, struct fl__pctx *c, struct fl_error *err)
{
    struct cwl_state *s = state;
    FL_TRY(fl__aws_new(&s->aws, c->opts->aws_format, err));
    static yajl_alloc_funcs af = {y_malloc, y_realloc, y_free, NULL};
    s->h = yajl_alloc(&callbacks, &af, s);
    s->buf = fl_malloc(CWL_CHUNK);
    s->q = fl_malloc(CWL_QCAP * sizeof *s->q);
    if (!s->h || !s->buf || !s->q)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    yajl_config(s->h, yajl_allow_multiple_values, 1);
    s->str_cap = (c->opts->line_cap ? c->opts->line_cap : (size_t)1 << 20) * 2 + 4096;
    return FL_OK;
}

/* Guard against strings yajl would buffer without bound. */
static int guard(struct cwl_state *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (s->in_str) {
            s->str_len++;
            if (s->esc)
                s->esc = false;
            else if (ch == '\\')
                s->esc = true;
            else if (ch == '"')
                s->in_str = false;
        } else if (ch == '"') {
            s->in_str = true;
            s->str_len = 0;
            if (s->q_n < CWL_QCAP) {
                s->q[(s->q_head + s->q_n) % CWL_QCAP] = s->base + (uint64_t)(p - s->buf) + i + 1;
                s->q_n++;
            }
        }
    }
    if (s->in_str && s->str_len > s->str_cap) {
        fl_error_set(s->err, FL_ELIMIT, "%s: JSON string longer than %zu bytes", s->c->source,
                     s->str_cap);
        return FL_ELIMIT;
    }
    return FL_OK;
}

static int json_error(struct cwl_state *s)
{
    unsigned char *msg = yajl_get_error(s->h, 0, NULL, 0);
    char m[200];
    fl_strlcpy(m, msg ? (const char *)msg : "malformed JSON", msg ? strlen((const char *)msg) : 14,
               sizeof m);
    for (char *q = m; *q; q++)
        if (*q == '\n')
            *q = ' ';
    if (msg)
        yajl_free_error(s->h, msg);
    uint64_t off = s->base + s->pos;
    int rc = fl__reject(s->c, s->msgno + 1, off, FL_REJ_BAD_JSON, m, strlen(m), s->err);
    if (rc < 0)
        return rc;
    fl_error_set(s->err, FL_EPARSE, "%s: malformed JSON near byte %llu: %s", s->c->source,
                 (unsigned long long)off, m);
    fl_error_where(s->err, s->c->source, 0, off);
    return FL_EPARSE;
}

static int cwl_next(void *state, struct fl__pctx *c, struct fl_batch *b, struct fl_error *err)
{
    struct cwl_state *s = state;
    uint32_t n0 = b->n;
    s->c = c;
    s->b = b;
    s->err = err;
    int rc = 0;
    while (!s->done && !fl_batch_full(b)) {
        if (s->pos >= s->len) {
            if (s->eof) {
                yajl_status st = yajl_complete_parse(s->h);
                s->done = true;
                if (s->rc < 0) {
                    rc = s->rc;
                } else if (st != yajl_status_ok) {
                    rc = json_error(s);
                }
                break;
            }
            s->base += s->len;
            s->pos = s->len = 0;
            size_t got;
            rc = fl__input_read(c->in, s->buf, CWL_CHUNK, &got, err);
            if (rc < 0)
                break;
            if (got == 0)
                s->eof = true;
            s->len = got;
            continue;
        }
        size_t room = b->cap - b->n;
        size_t feed = room >= 2 ? (room - 1) * CWL_MIN_ROW_BYTES : 1;
        feed = FL_MIN(feed, s->len - s->pos);
        const char *p = s->buf + s->pos;
        if ((rc = guard(s, p, feed)) < 0)
            break;
        yajl_status st = yajl_parse(s->h, (const unsigned char *)p, feed);
        if (s->rc < 0) {
            rc = s->rc;
            break;
        }
        if (st != yajl_status_ok) {
            rc = json_error(s);
            break;
        }
        s->pos += feed;
    }
    fl__aws_flush(s->aws, b);
    if (rc < 0) {
        s->done = true;
        return rc;
    }
    return (int)(b->n - n0);
}

static void cwl_close(void *state)
{
    struct cwl_state *s = state;
    if (s->h)
        yajl_free(s->h);
    fl_free(s->buf);
    fl_free(s->q);
    fl_free(s->b64);
    fl__aws_free(s->aws);
}

const struct fl_format fl_fmt_aws_cwl = {
    "aws-cwl",
    "AWS flow logs in CloudWatch Logs subscription payloads or Firehose {\"message\":...} records",
    cwl_sniff,
    sizeof(struct cwl_state),
    cwl_open,
    cwl_next,
    NULL,
    cwl_close,
};
