/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_int.h - private interface of the ingest module: the decompressed
 * input stream, the line splitter, and the format vtable that every
 * fmt_<name>.c file exports as `const struct fl_format fl_fmt_<name>`.
 * The registry (ingest.c) is generated from the fmt_*.c file list by the
 * Makefile (build/gen/fl_formats.inc), so adding a format is adding a file.
 */
#ifndef FL_INGEST_INT_H
#define FL_INGEST_INT_H

#include "fl/fl_ingest.h"
#include "../common/common_int.h"

/* ---- the decompressed byte stream of one object ------------------------ */
struct fl__input; /* plain or gzip (isa-l, zlib fallback), file or stdin */

/* Read up to cap decompressed bytes. *got = 0 at the end.  Truncated or
 * corrupt gzip -> FL_ECORRUPT with a message naming the object. */
int fl__input_read(struct fl__input *in, char *buf, size_t cap, size_t *got,
                   struct fl_error *err);
/* Open path ("-" = stdin); display = name for messages (NULL = path).
 * Gzip is recognized by its magic bytes.  FL_EIO if unreadable. */
int fl__input_open(struct fl__input **out, const char *path, const char *display,
                   struct fl_error *err);
void fl__input_close(struct fl__input *in);
/* Peek the first `want` decompressed bytes without consuming them (only
 * before the first read).  *n_out < want only at the end of the stream. */
int fl__input_peek(struct fl__input *in, size_t want, const char **p_out,
                   size_t *n_out, struct fl_error *err);
/* Discard n decompressed bytes (resume at an offset). */
int fl__input_skip(struct fl__input *in, uint64_t n, struct fl_error *err);
/* Read the whole (rest of the) decompressed stream into one fl_malloc'd
 * buffer, at most limit bytes (FL_ELIMIT past it).  For formats that need
 * random access (Parquet).  The caller fl_free()s *buf_out. */
int fl__input_read_all(struct fl__input *in, size_t limit, char **buf_out,
                       size_t *n_out, struct fl_error *err);
const char *fl__input_name(const struct fl__input *in);
/* The file path, or NULL for stdin (a format may re-open or mmap it). */
const char *fl__input_path(const struct fl__input *in);
bool fl__input_is_gzip(const struct fl__input *in);
uint64_t fl__input_bytes_in(const struct fl__input *in);  /* raw bytes read */
uint64_t fl__input_offset(const struct fl__input *in);    /* next byte's offset */

/* ---- the line splitter (text formats) ----------------------------------- */
/* Yields complete lines (without "\n" / "\r\n") from the stream; a line
 * longer than the cap is returned once with too_long set and its first
 * bytes, the rest skipped up to the next newline (memory stays bounded). */
struct fl__line {
    const char *p;    /* valid until the next fl__lines_next */
    size_t n;
    uint64_t lineno;  /* 1-based */
    uint64_t offset;  /* offset of the line's first byte in the stream */
    bool too_long;
};
struct fl__lines;
struct fl__lines *fl__lines_new(struct fl__input *in, size_t cap,
                                struct fl_ingest_stats *st);
/* 1 = a line, 0 = end, < 0 = stream error */
int fl__lines_next(struct fl__lines *l, struct fl__line *out, struct fl_error *err);
void fl__lines_free(struct fl__lines *l);
/* Stream offset of the first byte not yet handed out (resume point). */
uint64_t fl__lines_offset(const struct fl__lines *l);

/* ---- what a parser gets -------------------------------------------------- */
struct fl__pctx {
    struct fl__input *in;              /* the decompressed stream */
    const char *head;                  /* first bytes of the stream (sniffed) */
    size_t n_head;                     /* the stream still starts at byte 0:
                                          head is a peek, not consumed */
    const struct fl_read_opts *opts;
    const struct fl_objmeta *meta;     /* from the object's path */
    const char *source;                /* display name for messages */
    struct fl_ingest_stats *stats;     /* count everything here */
    struct fl_sref source_ref;         /* source_object interned per batch:
                                          call fl__pctx_lineage() per row */
    struct fl_batch *ref_batch;        /* batch source_ref belongs to */
    /* private to ingest.c (lineage cache) */
    int64_t ref_last_row;              /* last row given lineage */
    struct fl_sref ref_cloud, ref_account, ref_region;
};

/* Counting rules: a format never touches records_read/records_parsed/
 * records_rejected itself.  The reader adds the rows each next() returns to
 * records_parsed, fl__reject() counts a rejected record, and records_read is
 * kept = parsed + rejected.  Formats count headers, blank lines, nodata/
 * skipdata, flows/updates/denies and skipped_messages themselves.  The line
 * splitter counts `lines`; the reader sets bytes_in/bytes from the input. */
/* Count a rejected record: stats, sample, opts->on_reject.  In strict mode
 * returns FL_EPARSE (with err filled) and the parser must stop. */
int fl__reject(struct fl__pctx *c, uint64_t line, uint64_t offset,
               enum fl_reject why, const char *text, size_t n,
               struct fl_error *err);
/* Intern the object-level strings into b (the slow part of
 * fl__pctx_lineage, once per batch). */
int fl__pctx_lineage_intern(struct fl__pctx *c, struct fl_batch *b);

/* Fill source_object/source_offset, cloud/account/region defaults from the
 * object metadata for row `row` of b.  Inline: it runs once per row. */
static inline int fl__pctx_lineage(struct fl__pctx *c, struct fl_batch *b, uint32_t row,
                                   uint64_t offset)
{
    /* Rows of one batch arrive in increasing order; a smaller row number
     * means the batch was reset (its arena too), so intern again. */
    if (FL_UNLIKELY(c->ref_batch != b || (int64_t)row <= c->ref_last_row ||
                    (size_t)c->source_ref.off + c->source_ref.len > b->arena_len)) {
        int rc = fl__pctx_lineage_intern(c, b);
        if (rc < 0)
            return rc;
    }
    c->ref_last_row = row;
    struct fl_column *col = b->col;
    fl_set_sref(b, FL_COL_SOURCE_OBJECT, row, c->source_ref);
    fl_set_i64(b, FL_COL_SOURCE_OFFSET, row, (int64_t)offset);
    if (c->ref_cloud.len && !col[FL_COL_CLOUD].valid[row])
        fl_set_sref(b, FL_COL_CLOUD, row, c->ref_cloud);
    if (c->ref_account.len)
        fl_set_sref(b, FL_COL_ACCOUNT, row, c->ref_account);
    else if (!col[FL_COL_ACCOUNT].valid[row] && col[FL_COL_ACCOUNT_ID].valid[row])
        fl_set_sref(b, FL_COL_ACCOUNT, row, col[FL_COL_ACCOUNT_ID].s[row]);
    if (c->ref_region.len && !col[FL_COL_REGION].valid[row])
        fl_set_sref(b, FL_COL_REGION, row, c->ref_region);
    return FL_OK;
}

struct fl_format {
    const char *name;   /* "aws-vpc", "azure-nsg", ... */
    const char *doc;    /* one line for --help */
    /* How sure this format is that the stream is its own: 0 (no) .. 100.
     * head = the first bytes of the decompressed stream. */
    int (*sniff)(const char *head, size_t n, const struct fl_objmeta *meta,
                 const struct fl_read_opts *opts);
    size_t state_size;  /* zeroed state handed to open/next/close */
    int (*open)(void *state, struct fl__pctx *c, struct fl_error *err);
    /* Append rows to b (until full or end). >0 rows, 0 end, <0 error. */
    int (*next)(void *state, struct fl__pctx *c, struct fl_batch *b,
                struct fl_error *err);
    /* Offset up to which everything was consumed (resume point), or NULL. */
    uint64_t (*resume_offset)(void *state);
    void (*close)(void *state);
};

#endif
