/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_store.h - Parquet files of normalized flow records, written and read by
 * flowsift itself (no Parquet library exists in Debian): the writer streams
 * record batches into row groups (PLAIN / RLE_DICTIONARY, v1 data pages,
 * zstd/snappy/gzip/none, statistics, column_orders); the reader reads our
 * files and AWS's Parquet flow logs, only the columns asked for, skipping row
 * groups by statistics.
 *
 * Files contain every catalog column except the partition columns (FL_PART:
 * cloud, account, region), which live in the folder names (fl_dataset.h).
 *
 * Thread-safety: a writer or reader belongs to one thread; independent
 * objects may be used in parallel, and the column shares of one writer's
 * batch may be encoded in parallel (fl_pq_writer_add_part).
 */
#ifndef FL_STORE_H
#define FL_STORE_H

#include "fl_record.h"

enum fl_codec { FL_CODEC_NONE = 0, FL_CODEC_SNAPPY = 1, FL_CODEC_GZIP = 2, FL_CODEC_ZSTD = 6 };
/* "none", "snappy", "gzip", "zstd" -> code; FL_OK or FL_EINVAL. */
int fl_codec_parse(const char *s, enum fl_codec *out);

#define FL_SCHEMA_VERSION "1"

struct fl_pq_write_opts {
    enum fl_codec codec;       /* default (0 is NONE: set it) FL_CODEC_ZSTD */
    int zstd_level;            /* 0 = default (1: as small as 3 on flow logs, faster) */
    uint64_t row_group_rows;   /* 0 = 1 << 20 */
    uint32_t page_rows;        /* 0 = writer's choice */
    size_t dict_max_bytes;     /* per column chunk; 0 = 1 MiB; past it PLAIN */
};
void fl_pq_write_opts_default(struct fl_pq_write_opts *o);

typedef struct fl_pq_writer fl_pq_writer;
/* Create `path` (truncating).  The caller writes to a temporary name and
 * renames after close: the writer itself does no renaming. */
int fl_pq_writer_open(fl_pq_writer **out, const char *path,
                      const struct fl_pq_write_opts *opts, struct fl_error *err);
/* Append rows of b: rows[0..n_rows) (row indices), or all rows if rows is
 * NULL.  Memory stays bounded by one row group of encoded pages. */
int fl_pq_writer_add(fl_pq_writer *w, const struct fl_batch *b,
                     const uint32_t *rows, uint32_t n_rows, struct fl_error *err);
uint64_t fl_pq_writer_rows(const fl_pq_writer *w);

/*
 * Parallel encoding of one batch: the column chunks of a row group are
 * independent, so the columns of one fl_pq_writer_add can be split in
 * n_parts shares (n_parts <= FL_PQ_MAX_PARTS) encoded by different threads
 * at the same time: each thread calls fl_pq_writer_add_part with its own
 * `part` (0 .. n_parts-1) and its own err; when all have returned, one
 * thread calls fl_pq_writer_add_done with the first error (or FL_OK), which
 * counts the rows and writes a full row group.  Only for n rows <=
 * fl_pq_writer_room(w) (a batch that crosses a row-group boundary goes
 * through fl_pq_writer_add).  The result is the same file as
 * fl_pq_writer_add would write.
 */
#define FL_PQ_MAX_PARTS 4
/* Rows the current row group still takes. */
uint64_t fl_pq_writer_room(const fl_pq_writer *w);
int fl_pq_writer_add_part(fl_pq_writer *w, const struct fl_batch *b, const uint32_t *rows,
                          uint32_t n_rows, int part, int n_parts, struct fl_error *err);
int fl_pq_writer_add_done(fl_pq_writer *w, uint32_t n_rows, int part_rc,
                          struct fl_error *err);
/* Flush, write the footer, fsync, close.  Frees w in every case. */
int fl_pq_writer_close(fl_pq_writer *w, struct fl_error *err);
/* Close without finishing (the file is left invalid: delete it). */
void fl_pq_writer_abort(fl_pq_writer *w);

/* ---- reading ------------------------------------------------------------ */
typedef struct fl_pq_reader fl_pq_reader;

struct fl_pq_colstats {
    bool has_minmax;
    bool has_null_count;
    int64_t min_i, max_i;      /* integer columns */
    struct fl_str min_s, max_s; /* string columns (valid while reader open) */
    uint64_t null_count;
};

int fl_pq_open(fl_pq_reader **out, const char *path, struct fl_error *err);
/* Open from memory (fuzzing, AWS objects already in memory).  The buffer
 * must outlive the reader. */
int fl_pq_open_mem(fl_pq_reader **out, const void *p, size_t n, struct fl_error *err);
/* Same, with a name for error messages (an object key). */
int fl_pq_open_buf(fl_pq_reader **out, const void *p, size_t n, const char *name,
                   struct fl_error *err);
void fl_pq_close(fl_pq_reader *r);
uint64_t fl_pq_num_rows(const fl_pq_reader *r);
int fl_pq_num_row_groups(const fl_pq_reader *r);
uint64_t fl_pq_rg_rows(const fl_pq_reader *r, int rg);
/* Does the file have catalog column col (by name, '_' or '-' spelling)? */
bool fl_pq_has_col(const fl_pq_reader *r, int col);
/* Statistics of catalog column col in row group rg; FL_ENOTFOUND if the
 * file lacks the column or has no statistics for it. */
int fl_pq_rg_stats(const fl_pq_reader *r, int rg, int col, struct fl_pq_colstats *out);
/* Key-value metadata value for key, or NULL. */
const char *fl_pq_kv(const fl_pq_reader *r, const char *key);

/*
 * Read catalog columns cols[0..n_cols) of row group rg, rows [row0, row0 +
 * want), into b starting at b->n (b must have room for `want` rows).  Other
 * columns of the new rows are NULL.  INT32 and INT64 are accepted for any
 * integer column; a string "-" in any column reads as NULL.
 * @return rows appended (>= 0) or < 0 on a corrupt file.
 */
int fl_pq_read(fl_pq_reader *r, int rg, uint64_t row0, uint32_t want,
               const int *cols, int n_cols, struct fl_batch *b, struct fl_error *err);

/*
 * Dictionary codes of string column col for rows [row0, row0 + want) of row
 * group rg (for the query engine: group and compare by code, decode once):
 * codes[i] = index into *dict_out, or -1 for NULL (and for "-").  *dict_out
 * / *n_dict_out are the chunk's dictionary, valid until this column is read
 * in another row group or the reader is closed (may be NULL/0 if the range
 * is all NULL).
 * @return rows (>= 0); FL_EUNSUPPORTED if the range has PLAIN (non-
 * dictionary) values or the column is not a string column - read it with
 * fl_pq_read instead; FL_ENOTFOUND if the file lacks the column; < 0 on a
 * corrupt file.
 */
int fl_pq_read_codes(fl_pq_reader *r, int rg, uint64_t row0, uint32_t want, int col,
                     int32_t *codes, const struct fl_str **dict_out, uint32_t *n_dict_out,
                     struct fl_error *err);

/* ---- every column of the file, catalog or not (AWS Parquet input) -------- */
/* Number of leaf columns in the file's schema. */
int fl_pq_n_columns(const fl_pq_reader *r);
/* Name of leaf i (NUL-terminated, valid while the reader is open), or NULL. */
const char *fl_pq_column_name(const fl_pq_reader *r, int i);
/* Catalog column that leaf i is read into by fl_pq_read, or -1 (not a
 * catalog name, a duplicate, nested, or an unsupported type). */
int fl_pq_column_field(const fl_pq_reader *r, int i);
/*
 * Read leaf i of row group rg, rows [row0, row0 + want), as text into the
 * string column `col` of b at rows b->n, b->n + 1, ... (b->n is NOT
 * advanced; the caller owns the row count).  Integers and floats are
 * printed in decimal, booleans as true/false; *is_number_out tells whether
 * the leaf is numeric/boolean (JSON without quotes).  "-" reads as NULL.
 * @return rows read (>= 0) or < 0 on a corrupt file.
 */
int fl_pq_read_text(fl_pq_reader *r, int rg, uint64_t row0, uint32_t want, int leaf,
                    struct fl_batch *b, int col, bool *is_number_out,
                    struct fl_error *err);

#endif
