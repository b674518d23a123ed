/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollup.h - hourly rollups of the dataset (rollup.c), kept by the jobs that
 * write data files and read by the dashboard's panel API.
 *
 * For every data file `data/<part>/<name>.parquet` an ingest writes, it also
 * writes a sidecar `rollup/<part>/<name>.roll` (a sibling root of data/, so
 * engines reading the Parquet files under data/ never see it) holding, for the file's rows:
 *   - the "cube": hour x action x flow_type x dst_country (public
 *     destinations only) x denied rule (REJECT rows only) -> flows, bytes,
 *     packets (with non-NULL counts, so sum() of all-NULL stays NULL);
 *   - per-host aggregates: hour x srcaddr -> flows, bytes.
 * The sidecar names the data files it covers with their sizes; a reader
 * uses a sidecar only when every file it names is live with that size, and
 * answers from rollups only when every live file of the range is covered by
 * exactly one valid sidecar; otherwise it falls back to SQL over the raw
 * files.  Compaction merges its inputs' sidecars into one sidecar naming
 * all output files; prune and replacement leave orphans that
 * fl__rollup_gc deletes.  Sidecars are published by the ledger's rename
 * operations in the same run as their data files.
 *
 * Thread-safety: an accumulator belongs to one thread.  A cache may be
 * shared by threads (internal mutex); a view belongs to one thread.
 */
#ifndef FL_ROLLUP_H
#define FL_ROLLUP_H

#include "fl/fl_query.h"
#include "fl/fl_record.h"

struct fl__job;

/* ---- writing ------------------------------------------------------------------ */
struct fl__rollup;
/* A new, empty accumulator (NULL on OOM). */
struct fl__rollup *fl__rollup_new(void);
void fl__rollup_free(struct fl__rollup *r);
/* Forget all rows, keep memory. */
void fl__rollup_reset(struct fl__rollup *r);
/* Add rows sel[0..n) of b (sel NULL = rows 0..n).  Never fails: past its
 * caps the accumulator marks itself unusable and writes no sidecar. */
void fl__rollup_add(struct fl__rollup *r, const struct fl_batch *b, const uint32_t *sel,
                    uint32_t n);
/* Write the sidecar of data file <part>/<name> (bytes, rows: the closed
 * file) as the hidden `$home/rollup/<part>/.<name>.roll.tmp`; *tmp_out is
 * its path (fl_malloc'd), NULL when there is nothing to write. */
int fl__rollup_write_tmp(struct fl__rollup *r, const char *home, const char *part,
                         const char *name, uint64_t bytes, uint64_t rows, char **tmp_out,
                         struct fl_error *err);
/* The published path of a hidden sidecar path (strip "." and ".tmp"). */
int fl__rollup_final(const char *tmp, char *buf, size_t cap);
/* Compaction: merge the sidecars of `inputs` (absolute data file paths)
 * into one sidecar naming the files now in `stage_dir`, and record its
 * RENAME in run's ops (inside the open transaction).  Inputs without a
 * valid sidecar are read back from their Parquet files. */
int fl__rollup_compact(struct fl__job *j, int64_t run, const char *part,
                       char *const *inputs, int n_inputs, const char *stage_dir,
                       struct fl_error *err);
/* Replacement: build the sidecar of a rewritten data file <dir>/<name>
 * (to be published in <part>) by reading it back, and record its RENAME in
 * run's ops.  A file that cannot be read back gets no sidecar (FL_OK). */
int fl__rollup_from_file(struct fl__job *j, int64_t run, const char *part, const char *dir,
                         const char *name, uint64_t bytes, uint64_t rows, struct fl_error *err);
/* Delete hidden temp sidecars and sidecars none of whose files is live
 * (call with the job lock held). */
void fl__rollup_gc(const char *home);

/* ---- reading ------------------------------------------------------------------ */
struct fl__rollup_cache;
/* Loaded sidecars kept across requests (cap in bytes; 0 = 512 MiB). */
struct fl__rollup_cache *fl__rollup_cache_new(uint64_t cap);
void fl__rollup_cache_free(struct fl__rollup_cache *c);
/* Bytes held by the cache's string dictionary (bounded by max(cap / 2,
 * 8 MiB): past it the dictionary starts again). */
uint64_t fl__rollup_cache_dict_bytes(struct fl__rollup_cache *c);

/* Load the sidecars of every data file into the cache (a server calls it
 * at start in a thread, so the first panel calls do not pay for it);
 * returns early when *stop becomes non-zero. */
void fl__rollup_warm(const char *home, struct fl__rollup_cache *c, const int *stop);

struct fl__rollup_query {
    int64_t from, to;       /* [from, to): multiples of 3600, from >= 0 */
    const char *cloud;      /* NULL = any */
    const char *account;    /* NULL = any */
    const char *panel;      /* traffic, top-talkers, denied-by-rule,
                               egress-by-country, flow-types */
    long limit;
};
/* A panel's rows, shaped exactly like the panel's SQL result. */
struct fl__rollup_result {
    int n_cols;
    const char *cols[4];
    size_t n_rows;
    struct fl_qcell *cells;  /* n_rows * n_cols; strings owned by the result */
    char *strings;
};
void fl__rollup_result_free(struct fl__rollup_result *r);
/*
 * Answer a panel from rollups.  FL_OK with *out filled; FL_ENOTFOUND when
 * the rollups do not cover the range completely (no sidecar, stale one,
 * range not hour-aligned): the caller runs the SQL instead; other errors
 * are real failures.  cache may be NULL.
 */
int fl__rollup_panel(const char *home, struct fl__rollup_cache *cache,
                     const struct fl__rollup_query *q, struct fl__rollup_result *out,
                     struct fl_error *err);

#endif
