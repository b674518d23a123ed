/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_records.h - the JSON record framer shared by the Azure (NSG, VNet)
 * and GCP parsers.  It cuts a decompressed byte stream into top-level
 * "records" without parsing them: the objects inside `{"records":[ ... ]}`
 * (Azure blobs, also resumed mid-document as `,{...},{...}]}`), inside a
 * top-level array `[ ... ]`, or standing alone (JSON lines, concatenated or
 * pretty-printed objects).  Each record is handed over as one contiguous
 * byte range so that a real JSON parser (yajl) can parse it on its own: a
 * malformed record is rejected alone and the framer resynchronises on the
 * next one.  Memory is bounded: a record longer than rec_cap is skipped
 * without being buffered (one too_big reject), nesting deeper than
 * depth_cap is skipped the same way (too_deep), and bytes that cannot start
 * a record are skipped up to the next '{' (one bad_json reject per run).
 * An unterminated record at the end of the stream is NOT a reject: it is a
 * blob read mid-append and is left for the next run (fl__jr_consumed() stops
 * before it).
 *
 * Thread-safety: one framer per thread.
 */
#ifndef FL_JSON_RECORDS_H
#define FL_JSON_RECORDS_H

#include "ingest_int.h"

/* Where the framer's bytes come from (fl__input_read in production, a
 * memory buffer in unit tests and fuzz targets). */
typedef int (*fl__jr_read_fn)(void *ctx, char *buf, size_t cap, size_t *got,
                              struct fl_error *err);

enum fl__jr_kind { FL__JR_RECORD = 1, FL__JR_BAD = 2 };

struct fl__jr_item {
    enum fl__jr_kind kind;
    const char *p;          /* RECORD: the record's bytes; BAD: a sample */
    size_t n;               /* valid until the next fl__jr_next */
    uint64_t offset;        /* stream offset of the record's first byte */
    uint64_t line;          /* 1-based line of that byte */
    enum fl_reject reason;  /* BAD only: too_big, too_deep or bad_json */
    const char *why;        /* BAD only: static text for messages */
};

struct fl__jr_opts {
    size_t rec_cap;         /* longest record kept (0 = 32 MiB) */
    unsigned depth_cap;     /* deepest nesting inside a record (0 = 64) */
    uint64_t start_offset;  /* resume point: skip bytes before it and start
                               inside the records array */
};

struct fl__jr;

/* Create a framer reading through fn(ctx, ...).  NULL on OOM. */
struct fl__jr *fl__jr_new(fl__jr_read_fn fn, void *ctx,
                          const struct fl__jr_opts *o);
/*
 * Next item.  @return 1 (item filled), 0 at the end of the stream, < 0 on a
 * stream error (err filled by the read function).
 */
int fl__jr_next(struct fl__jr *f, struct fl__jr_item *it, struct fl_error *err);
/* Stream offset just past the last item returned (the resume point). */
uint64_t fl__jr_consumed(const struct fl__jr *f);
/* Bytes of an unterminated record left at the end of the stream (0 if the
 * stream ended between records); valid after fl__jr_next returned 0. */
uint64_t fl__jr_pending(const struct fl__jr *f);
/* Total bytes read and newlines seen so far. */
uint64_t fl__jr_bytes(const struct fl__jr *f);
uint64_t fl__jr_lines(const struct fl__jr *f);
/* Line number of stream offset off, which must lie inside the item returned
 * last (used to give rejected tuples a file:line). */
uint64_t fl__jr_line_at(const struct fl__jr *f, const struct fl__jr_item *it,
                        uint64_t off);
void fl__jr_free(struct fl__jr *f);

/* A read function over struct fl__input (ctx = the input). */
int fl__jr_read_input(void *ctx, char *buf, size_t cap, size_t *got,
                      struct fl_error *err);

/* yajl allocation through fl_malloc/fl_realloc/fl_free (a yajl_alloc_funcs
 * value; declared as void * so this header does not need yajl). */
const void *fl__jr_yajl_alloc_funcs(void);

#endif
