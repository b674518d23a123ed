/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_int.h - private interface of the pipeline module: the job lock,
 * the ledger's publish protocol (recover / execute a run's operations), the
 * file rewriter shared by compaction and replacement of changed objects,
 * and small path helpers.  docs/internals/ledger.md describes the protocol.
 */
#ifndef FL_PIPELINE_INT_H
#define FL_PIPELINE_INT_H

#include "fl/fl_dataset.h"
#include "fl/fl_state.h"
#include "fl/fl_store.h"
#include "../common/common_int.h"

#define FL_PATH_MAX 4096

/* dirname of path into buf ("." when none). */
int fl__dirname(const char *path, char *buf, size_t cap);

/* An open job on a dataset: exclusive lock ($home/.lock), state database,
 * recovery done. */
struct fl__job {
    char home[FL_PATH_MAX];
    char data[FL_PATH_MAX];     /* $home/data */
    char staging[FL_PATH_MAX];  /* $home/.staging */
    int lock_fd;
    fl_state *st;
    void (*on_point)(void *ctx, const char *point);
    void *ctx;
};
int fl__job_open(struct fl__job *j, const char *home, struct fl_error *err);
void fl__job_close(struct fl__job *j);
static inline void fl__point(struct fl__job *j, const char *p)
{
    if (j->on_point)
        j->on_point(j->ctx, p);
}

/* Finish (COMMITTING) or roll back (IN_PROGRESS) interrupted runs, delete
 * leftover hidden temp files and staging folders. */
int fl__recover(struct fl__job *j, struct fl_error *err);
/* Execute the recorded operations of run (idempotent), then mark pending
 * files live, drop obsolete ones, finish the run. */
int fl__run_finish(struct fl__job *j, int64_t run, struct fl_error *err);

/* Atomically exchange two directories (renameat2 RENAME_EXCHANGE); when
 * `dst` does not exist, a plain rename. */
int fl__swap_dirs(const char *src, const char *dst, struct fl_error *err);

/*
 * Rewrite Parquet files into one or more new files in out_dir, dropping the
 * rows whose source_object is one of drop[0..n_drop) (may be 0).  New files
 * are named <prefix>-<n>.parquet with at most target_rows rows each.
 * For every output file, cb(ctx, name, rows, bytes) is called.
 */
struct fl__rewrite {
    const char *const *inputs;   /* absolute paths */
    int n_inputs;
    const char *const *drop;     /* source_object values to drop */
    int n_drop;
    const char *out_dir;
    const char *prefix;
    const struct fl_pq_write_opts *wopts;
    uint64_t target_rows;
    int (*cb)(void *ctx, const char *name, uint64_t rows, uint64_t bytes);
    void *ctx;
    uint64_t rows_in, rows_out, rows_dropped; /* filled */
};
int fl__rewrite_files(struct fl__rewrite *rw, struct fl_error *err);

/* Storage options from the config in $home (defaults when none). */
struct fl__storage {
    bool by_hour;
    char codec[16];
    uint64_t row_group_rows;
    int retention_days;
};
void fl__storage_defaults(struct fl__storage *s);

#endif
