/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_record.h - the normalized flow record as a column batch.
 *
 * A batch holds up to `cap` rows as a struct of arrays, one array per field
 * of the catalog (fl_fields.def).  Integer columns (INT32 and INT64 alike)
 * are int64_t arrays; string columns are (offset, length) references into
 * one byte arena owned by the batch, so several rows may share one copy of a
 * string (the object name, the account).  Every column has a validity array
 * (1 = value, 0 = NULL).  A batch is allocated once and reused: reset()
 * keeps all memory.
 *
 * Thread-safety: a batch belongs to one thread at a time.
 */
#ifndef FL_RECORD_H
#define FL_RECORD_H

#include "fl_common.h"

enum fl_type { FL_I32 = 1, FL_I64 = 2, FL_STR = 3 };

enum fl_field_flags {
    FL_AWS = 1u << 0,  /* AWS catalog field; text header name is name with '-' */
    FL_PART = 1u << 1, /* Hive partition column (folder, not file) */
    FL_ENR = 1u << 2,  /* filled by enrichment */
    FL_LIN = 1u << 3,  /* lineage */
};

enum fl_col {
#define FL_FIELD(ID, name, type, flags, doc) FL_COL_##ID,
#include "fl_fields.def"
#undef FL_FIELD
    FL_NCOLS
};

struct fl_field {
    const char *name;     /* column name (SQL, Parquet, JSON) */
    const char *aws_name; /* hyphenated AWS header name, or NULL */
    enum fl_type type;
    unsigned flags;
    const char *doc;
};

/* The catalog, indexed by enum fl_col. */
extern const struct fl_field fl_fields[FL_NCOLS];

/* Column index of a name (exact, case-insensitive), or -1.  Accepts the
 * underscore and the hyphenated AWS spelling. */
int fl_field_lookup(const char *name, size_t n);

/* A string reference into the batch arena. */
struct fl_sref {
    uint32_t off;
    uint32_t len;
};

struct fl_column {
    int64_t *i;        /* FL_I32/FL_I64 values (NULL for FL_STR) */
    struct fl_sref *s; /* FL_STR references (NULL for ints) */
    uint8_t *valid;    /* 1 = not NULL */
};

struct fl_batch {
    uint32_t n;   /* rows in use */
    uint32_t cap; /* row capacity */
    struct fl_column col[FL_NCOLS];
    char *arena;        /* string bytes */
    size_t arena_len;   /* bytes used */
    size_t arena_cap;   /* bytes allocated */
    size_t arena_limit; /* hard cap (FL_ELIMIT past it) */
};

/* Default rows per batch. */
#define FL_BATCH_ROWS 8192

/* Allocate a batch of `cap` rows (0 = FL_BATCH_ROWS). NULL on OOM. */
struct fl_batch *fl_batch_new(uint32_t cap);
void fl_batch_free(struct fl_batch *b);
/* Forget all rows; keeps memory. */
void fl_batch_reset(struct fl_batch *b);
static inline int fl_batch_full(const struct fl_batch *b) { return b->n >= b->cap; }

/*
 * Start a new row: all columns NULL.  Returns the row index, or -1 if the
 * batch is full (callers check fl_batch_full first).
 */
int fl_batch_add_row(struct fl_batch *b);
/* Drop the last row (a parse that failed half-way). */
void fl_batch_drop_row(struct fl_batch *b);

static inline void fl_set_i64(struct fl_batch *b, int col, uint32_t row, int64_t v)
{
    b->col[col].i[row] = v;
    b->col[col].valid[row] = 1;
}
static inline void fl_set_null(struct fl_batch *b, int col, uint32_t row)
{
    b->col[col].valid[row] = 0;
}
static inline int fl_is_null(const struct fl_batch *b, int col, uint32_t row)
{
    return !b->col[col].valid[row];
}
/* Copy bytes into the arena and reference them. FL_OK or FL_ELIMIT/ENOMEM. */
int fl_set_str(struct fl_batch *b, int col, uint32_t row, const char *p, size_t n);
/* Append bytes to the arena without referencing them yet; *ref_out is the
 * reference to share between rows with fl_set_sref. */
int fl_batch_intern(struct fl_batch *b, const char *p, size_t n, struct fl_sref *ref_out);
static inline void fl_set_sref(struct fl_batch *b, int col, uint32_t row, struct fl_sref r)
{
    b->col[col].s[row] = r;
    b->col[col].valid[row] = 1;
}
static inline struct fl_str fl_get_str(const struct fl_batch *b, int col, uint32_t row)
{
    struct fl_sref r = b->col[col].s[row];
    return (struct fl_str){b->arena + r.off, r.len};
}

/* ---- output ------------------------------------------------------------- */
enum fl_out_format { FL_OUT_NDJSON = 1, FL_OUT_CSV, FL_OUT_TABLE, FL_OUT_JSON };

/* Parse "ndjson", "csv", "table", "json". FL_OK or FL_EINVAL. */
int fl_out_format_parse(const char *s, enum fl_out_format *out);

/*
 * A writer of records to a FILE in one of the output formats.  Columns that
 * are NULL are omitted from NDJSON/JSON objects unless `all_columns` is set;
 * CSV and table print the selected columns (all by default).
 */
struct fl_record_writer;
struct fl_record_writer *fl_record_writer_new(void *file /* FILE * */,
                                              enum fl_out_format fmt,
                                              const int *cols, int n_cols,
                                              bool all_columns);
int fl_record_writer_batch(struct fl_record_writer *w, const struct fl_batch *b);
int fl_record_writer_finish(struct fl_record_writer *w);
void fl_record_writer_free(struct fl_record_writer *w);

/* Write s to f (a FILE *) as one RFC 4180 CSV field: quoted, with '"'
 * doubled, when it holds a comma, quote, CR or LF. */
void fl_csv_write(void *f, const char *s, size_t n);

/* JSON-escape s into buf (no quotes added); returns the length or the
 * needed length if cap is too small (like snprintf). */
size_t fl_json_escape(const char *s, size_t n, char *buf, size_t cap);

/* Append s to b as a quoted JSON string literal (escaped as above).  FL_OK,
 * or FL_ENOMEM / FL_ELIMIT from the buffer (also kept in b->err, so a
 * writer of many pieces may check once at the end).  struct fl_buf is the
 * capped growable buffer of the common layer. */
struct fl_buf;
int fl_json_append_str(struct fl_buf *b, const char *s, size_t n);

#endif
