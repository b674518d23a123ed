/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_query.h - flowsift's SQL engine: a Trino/Athena-compatible subset of
 * SELECT over the Hive-partitioned Parquet dataset (docs/dataset.md).  The
 * tables are `flows` and `vpc_flow_logs` (AWS's documented table name, with
 * its `day` text partition column); docs/query.md is the dialect reference.
 *
 * A query runs to completion into a result held in memory (bounded by the
 * memory budget), which the caller prints in one of the output formats or
 * writes as Parquet.  Errors in the query text carry the position: err->line
 * is the 1-based line, err->offset the 1-based column, and err->msg starts
 * with "line L, column C: ".  fl_query_caret() renders the query line and a
 * caret under the position.
 *
 * Thread-safety: independent queries may run in parallel; a result belongs
 * to one thread.
 */
#ifndef FL_QUERY_H
#define FL_QUERY_H

#include <stdio.h>

#include "fl_record.h"

struct fl_query_opts {
    const char *home;     /* dataset root ($FLOWSIFT_HOME); NULL = "./flowsift-data" */
    int64_t now_us;       /* the clock, microseconds since 1970 UTC; 0 = real time */
    bool now_set;         /* true: use now_us (even when 0) */
    uint64_t memory;      /* budget in bytes; 0 = FL_QUERY_DEFAULT_MEMORY */
    int threads;          /* worker threads for scans (1 or 2); 0 = 2 */
    uint64_t parallel_min_rows; /* scan with 2 threads from this many rows; 0 = 100000 */
    uint64_t timeout_ms;  /* wall-clock limit from the start of fl_query_run; 0 = none */
    const char *timeout_hint; /* how to raise it, named in the error ("query --timeout");
                               * NULL = none named */
};
#define FL_QUERY_DEFAULT_MEMORY (2ULL << 30)

/* Column types of a result. */
enum fl_qtype {
    FL_QT_NULL = 0,  /* unknown type (a bare NULL) */
    FL_QT_BOOL,
    FL_QT_BIGINT,
    FL_QT_DOUBLE,
    FL_QT_VARCHAR,
    FL_QT_DATE,      /* days since 1970-01-01 */
    FL_QT_TIMESTAMP, /* microseconds since 1970 UTC */
    FL_QT_INTERVAL_DS, /* microseconds */
    FL_QT_INTERVAL_YM, /* months */
};

/* One cell of a result. */
struct fl_qcell {
    enum fl_qtype type;  /* FL_QT_NULL when the value is NULL */
    int64_t i;           /* BOOL, BIGINT, DATE, TIMESTAMP, INTERVAL */
    double d;            /* DOUBLE */
    struct fl_str s;     /* VARCHAR (valid while the result lives) */
};

typedef struct fl_query_result fl_query_result;

/*
 * Parse, plan and run `sql` (NUL-terminated).  On success *out is the result
 * (free it with fl_query_result_free).  EXPLAIN returns a one-column result
 * ("plan") of text lines.
 * @return FL_OK; FL_EPARSE for a query error (err has line/column); FL_ENOMEM
 * when the memory budget is exceeded; FL_EIO / FL_ECORRUPT for data errors;
 * FL_ETIMEOUT when opts->timeout_ms ran out ("query exceeded its time limit
 * of 5 s (serve --query-timeout)"): every long loop (both scan threads, the
 * aggregations and their merge, DISTINCT, sort, building the result) reads
 * the clock once per batch or every few thousand rows, so the query stops
 * within milliseconds of the deadline with its threads joined and its memory
 * freed.
 */
int fl_query_run(const char *sql, const struct fl_query_opts *opts,
                 fl_query_result **out, struct fl_error *err);
void fl_query_result_free(fl_query_result *r);
size_t fl_query_result_rows(const fl_query_result *r);
int fl_query_result_cols(const fl_query_result *r);
const char *fl_query_result_name(const fl_query_result *r, int col);
enum fl_qtype fl_query_result_type(const fl_query_result *r, int col);
void fl_query_result_cell(const fl_query_result *r, size_t row, int col,
                          struct fl_qcell *out);
/* Format one cell as text ("" for NULL) into buf; returns the length (like
 * snprintf: the needed length if cap is too small). */
size_t fl_query_cell_format(const struct fl_qcell *c, char *buf, size_t cap);

/* Append one cell to b as a JSON value: null, true/false, an integer, a
 * number in the shortest text that reads back the same double (as the CSV
 * output; NaN and infinities -> null), or a string (VARCHAR, and the text of
 * dates, timestamps and intervals).  FL_OK, or the buffer's FL_ENOMEM /
 * FL_ELIMIT (also kept in b->err).  struct fl_buf: fl_record.h. */
int fl_query_cell_json(struct fl_buf *b, const struct fl_qcell *c);

/* Print the result in fmt (table, csv, json, ndjson).  FL_OK or FL_EIO. */
int fl_query_result_print(const fl_query_result *r, FILE *f, enum fl_out_format fmt);
/*
 * Write the result as a Parquet file through the store writer.  Every result
 * column must be named like a catalog column (fl_fields.def) with a
 * compatible type; otherwise FL_EUNSUPPORTED with the offending column.
 */
int fl_query_result_write_parquet(const fl_query_result *r, const char *path,
                                  struct fl_error *err);

/* Render the query line of err (line/column from fl_query_run) and a caret
 * line under the column into buf ("" when err has no position).  Returns
 * the length written. */
size_t fl_query_caret(const char *sql, const struct fl_error *err, char *buf, size_t cap);

/* Parse a size such as "2GB", "512MB", "1048576" into bytes. FL_OK or FL_EINVAL. */
/* Parse a duration such as "200ms", "5s", "2m", "1h" or "10" (seconds) into
 * milliseconds; "0", "none" and "off" give 0 (no limit).  FL_OK or FL_EINVAL. */
int fl_query_parse_timeout(const char *s, uint64_t *ms);

int fl_query_parse_size(const char *s, uint64_t *out);

#endif
