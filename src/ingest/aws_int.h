/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws_int.h - the AWS flow-log text line parser shared by the "aws-vpc"
 * format (S3 text objects, fmt_aws_vpc.c) and the "aws-cwl" format
 * (CloudWatch Logs subscription payloads and Firehose records,
 * fmt_aws_cwl.c), which hands it one message at a time.
 *
 * The parser holds the current field layout (from an S3 header line, from
 * opts.aws_format, or the default v2 guess), turns one line into one row of
 * a batch, and counts headers, blank lines, NODATA/SKIPDATA and rejects.
 * Rows are written column by column without fl_batch_add_row: the columns a
 * layout never writes are cleared in bulk by fl__aws_flush(), which the
 * caller must call before handing the batch out.
 */
#ifndef FL_AWS_INT_H
#define FL_AWS_INT_H

#include "ingest_int.h"

#define FL_AWS_MAX_FIELDS 128

struct fl__aws;

/* New parser; spec = opts->aws_format or NULL.  FL_EINVAL on a bad spec. */
int fl__aws_new(struct fl__aws **out, const char *spec, struct fl_error *err);
void fl__aws_free(struct fl__aws *a);

/* Parse one line (without its newline).  Returns 1 if a row was appended
 * to b, 0 if not (header, blank, rejected), < 0 on a strict-mode reject or
 * an arena limit.  b must not be full. */
int fl__aws_line(struct fl__aws *a, struct fl__pctx *c, struct fl_batch *b,
                 const char *p, size_t n, /* the line */
                 uint64_t lineno,          /* 1-based, for samples */
                 uint64_t offset,          /* source_offset of the row */
                 bool too_long,            /* line was cut at the line cap */
                 struct fl_error *err);

/* Clear the columns not written for the rows appended since the last flush. */
void fl__aws_flush(struct fl__aws *a, struct fl_batch *b);

/* Split on runs of sep (' ' splits on runs of spaces; ',' keeps empty
 * fields).  Writes at most max tokens and returns the count found, which
 * is max + 1 if there are more. */
size_t fl__aws_tokenize(const char *p, size_t n, char sep, struct fl_str *tok, size_t max);

/* Parse a layout: "${a} ${b} ...", "a b ...", "default" or "tgw-default".
 * cols_out gets the column of each field (-1 = unknown, kept in `extra`).
 * Returns the field count, or < 0 (FL_EINVAL) with a message. */
int fl__aws_parse_spec(const char *spec, size_t n, int *cols_out, size_t max,
                       struct fl_error *err);

#endif
