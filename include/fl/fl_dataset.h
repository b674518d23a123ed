/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_dataset.h - the dataset on disk and the jobs that change it: the Hive
 * layout ($FLOWSIFT_HOME/data/cloud=/account=/region=/date=[/hour=]/<file>.parquet,
 * docs/dataset.md), atomic file publication, listing, and the pipeline
 * operations: ingest (inputs -> reader -> enrichment -> per-partition Parquet
 * writers -> ledger), compact, prune and the external-table DDL.
 *
 * Crash safety and "nothing lost, nothing duplicated" rest on the ingest
 * ledger (fl_state.h); the protocol is in docs/internals/ledger.md.
 *
 * Thread-safety: the layout helpers are reentrant.  fl_ingest_run and the
 * other jobs use their own threads internally; one job per dataset at a time
 * (a second concurrent job waits on the state database's write lock).
 */
#ifndef FL_DATASET_H
#define FL_DATASET_H

#include <stdio.h>

#include "fl_ingest.h"

/* The Hive "NULL" partition value. */
#define FL_HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

/*
 * Hive-escape one partition value into buf: bytes outside [A-Za-z0-9._-] as
 * %XX (upper-case hex); NULL (p == NULL) or empty as FL_HIVE_NULL.  A value
 * whose escaped form exceeds 200 bytes is cut and suffixed with "~" and 16
 * hex digits of its hash (file names are limited to 255 bytes).
 * @return the length written (buf is NUL-terminated; cap >= 240).
 */
size_t fl_hive_escape(const char *p, size_t n, char *buf, size_t cap);
/* Undo fl_hive_escape (FL_HIVE_NULL -> *is_null = true).  FL_OK/FL_EPARSE. */
int fl_hive_unescape(const char *p, size_t n, char *buf, size_t cap,
                     size_t *len_out, bool *is_null);

/* The partition of one row. */
struct fl_part_key {
    struct fl_str cloud, account, region; /* p == NULL for NULL */
    int64_t day;                          /* days since 1970; INT64_MIN = NULL */
    int hour;                             /* 0..23, or -1 = NULL */
};
/* Days / hour of a row from start (or end): the key's day and hour. */
void fl_part_time(const struct fl_batch *b, uint32_t row, int64_t *day_out,
                  int *hour_out);
/* "cloud=../account=../region=../date=YYYY-MM-DD[/hour=HH]" into buf.
 * @return length, or 0 if it does not fit. */
size_t fl_partition_path(const struct fl_part_key *k, bool by_hour, char *buf,
                         size_t cap);

/* Partition values parsed back from a relative folder path (unescaped). */
struct fl_part_values {
    char cloud[64], account[256], region[128];
    char date[16];  /* "YYYY-MM-DD" or "" for NULL */
    int hour;       /* -1 when absent or NULL */
    bool has_hour;
};
int fl_partition_parse(const char *rel, struct fl_part_values *out);

/* ---- atomic files -------------------------------------------------------- */
/* fsync a file or a directory by path. */
int fl_fsync_path(const char *path, struct fl_error *err);
/* fsync tmp, rename tmp -> final, fsync final's directory. */
int fl_publish_file(const char *tmp, const char *final, struct fl_error *err);
/* Remove a tree (files and folders); a missing path is FL_OK. */
int fl_rmtree(const char *path, struct fl_error *err);

/* ---- listing ------------------------------------------------------------- */
struct fl_dataset_file {
    const char *path;      /* relative to data/, e.g. "cloud=aws/.../x.parquet" */
    const char *partition; /* its folder relative to data/ */
    uint64_t bytes;
    int64_t mtime;
};
typedef int (*fl_dataset_file_fn)(void *ctx, const struct fl_dataset_file *f);
/* Walk $home/data in sorted order, skipping names that start with '.' or
 * '_'; calls fn for each *.parquet file (a non-zero return stops). */
int fl_dataset_list(const char *home, fl_dataset_file_fn fn, void *ctx,
                    struct fl_error *err);

/* ---- ingest -------------------------------------------------------------- */
enum fl_obj_status {
    FL_ST_NEW = 1,      /* first ingest */
    FL_ST_SKIPPED,      /* unchanged since last ingest */
    FL_ST_REPLACED,     /* changed: re-ingested, old rows replaced */
    FL_ST_RESUMED,      /* grown blob: only the new records ingested */
    FL_ST_FAILED,       /* the object could not be read; nothing stored */
};
const char *fl_obj_status_name(int st);

/* What happened to one input object (handed to on_object). */
struct fl_ingest_result {
    const char *name;     /* the object key (canonical path) */
    const char *format;   /* format name or "" */
    int status;           /* enum fl_obj_status */
    const char *why;      /* dry run: new/changed/grown/unchanged */
    uint64_t records_read, records_stored, records_rejected;
    const struct fl_ingest_stats *stats; /* this run's reader stats or NULL */
    const struct fl_error *error;        /* when status == FL_ST_FAILED */
};

/* Progress of a running ingest (handed to on_progress). */
struct fl_ingest_progress {
    uint64_t objects_done;  /* objects finished in this run */
    uint64_t objects_total; /* objects this run ingests (not skipped) */
    uint64_t records;       /* records read so far */
    uint64_t bytes_in;      /* input bytes (as stored, e.g. gzip) read so far */
    double seconds;         /* since the objects started */
};

struct fl_ingest_opts {
    const char *home;        /* $FLOWSIFT_HOME (required) */
    const char *format;      /* force an input format, or NULL */
    const char *aws_format;  /* for header-less AWS text, or NULL */
    bool dry_run;            /* classify only; write nothing */
    bool strict;             /* first bad record fails the object */
    bool no_enrich;          /* skip enrichment */
    bool by_hour;            /* hour=HH folders (config) */
    const char *codec;       /* "zstd" (default) ... */
    uint64_t row_group_rows; /* 0 = 1 << 20 */
    uint64_t file_rows;      /* close a file past this many rows; 0 = 4 row groups */
    int max_writers;         /* open partition writers cap; 0 = 32 (each costs
                                ~5 MB: 32 keep peak RSS well under 512 MB) */
    uint64_t pending_rows;   /* rows buffered in all writers before the
                                biggest is closed; 0 = 3 M */
    const void *config;      /* fl_config * for enrichment, or NULL */
    bool single_writer;      /* encode in the main thread only (no helper) */
    void (*on_object)(void *ctx, const struct fl_ingest_result *r);
    void (*on_reject)(void *ctx, const char *source, uint64_t line,
                      enum fl_reject reason, const char *text, size_t n);
    /* Test hook: called at named points ("batch", "object", "commit-T1",
     * "publish", ...); the CLI's FLOWSIFT_CRASH_AT kills the process there. */
    void (*on_point)(void *ctx, const char *point);
    /* Called every progress_every seconds while objects are read (from
     * the thread that called fl_ingest_run); NULL = none. */
    void (*on_progress)(void *ctx, const struct fl_ingest_progress *p);
    double progress_every;   /* seconds between on_progress calls; 0 = 0.25 */
    void *ctx;
};

struct fl_ingest_totals {
    uint64_t objects, new_objects, skipped, replaced, resumed, failed;
    uint64_t records_read, records_stored, records_rejected;
    uint64_t files_written, bytes_written;
};

/*
 * Ingest paths (files, folders, "-") into the dataset.  Finishes or rolls
 * back an interrupted earlier run first.  A failing object is reported via
 * on_object and counted; the others go on.
 * @return FL_OK (even if objects failed: see totals->failed) or < 0 when the
 * dataset or ledger could not be written (nothing of this run is visible).
 */
int fl_ingest_run(const char *const *paths, int n_paths,
                  const struct fl_ingest_opts *o, struct fl_ingest_totals *out,
                  struct fl_error *err);

/* Finish or roll back interrupted runs (called by every job). */
int fl_dataset_recover(const char *home, struct fl_error *err);

/* ---- compact / prune ------------------------------------------------------ */
struct fl_compact_opts {
    const char *home;
    const char *partition;   /* only folders starting with this, or NULL */
    const char *codec;
    uint64_t row_group_rows;
    uint64_t target_rows;    /* rows per output file; 0 = 4 row groups */
    uint64_t min_files;      /* compact partitions with at least this many files (0 = 2) */
    void (*on_partition)(void *ctx, const char *partition, uint64_t files_before,
                         uint64_t files_after, uint64_t rows);
    void (*on_point)(void *ctx, const char *point);
    void *ctx;
};
int fl_compact_run(const struct fl_compact_opts *o, struct fl_error *err);

/* Delete whole partitions whose date is before today - days (UTC, `now`
 * Unix seconds) and their ledger entries.  on_partition gets each one. */
int fl_prune_run(const char *home, int days, int64_t now, bool dry_run,
                 void (*on_partition)(void *ctx, const char *partition,
                                      uint64_t files, uint64_t bytes),
                 void *ctx, struct fl_error *err);

/* ---- DDL ------------------------------------------------------------------- */
/* Print CREATE statements for engine "athena", "trino" or "duckdb".
 * location: s3://bucket/prefix (athena, trino) or NULL (= the local data
 * folder for duckdb).  Enum values for Athena projection come from the
 * local dataset when it has data. */
int fl_ddl_print(FILE *f, const char *engine, const char *location,
                 const char *home, const char *table, bool by_hour,
                 struct fl_error *err);

#endif
