/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_state.h - the state database: $FLOWSIFT_HOME/state.db, SQLite in WAL
 * mode.  It holds the ingest ledger (input objects, runs, the Parquet files
 * they produced, the pending publish operations of a run) and, through
 * numbered per-component migrations, whatever later modules need (findings,
 * suppressions, baselines, first-seen sets).
 *
 * src/state is the only module that includes sqlite3.h.  Other modules use
 * the small statement API below (prepare / bind / step / column) or the
 * ledger functions, and add their own tables with fl_state_migrate():
 *
 *   static const struct fl_migration m[] = {
 *       {1, "findings", "CREATE TABLE findings(...);"},
 *       {2, "findings_idx", "CREATE INDEX ...;"},
 *   };
 *   fl_state_migrate(st, "detect", m, 2, &err);
 *
 * Migrations are applied in version order, each in its own transaction, and
 * recorded in schema_migrations(component, version); an applied migration is
 * never edited, only followed by a new one.  The ledger itself is component
 * "ledger" (docs/internals/ledger.md).
 *
 * Thread-safety: an fl_state handle belongs to one thread.  Several
 * processes may open the same database (WAL, busy timeout 10 s).
 */
#ifndef FL_STATE_H
#define FL_STATE_H

#include "fl_common.h"

typedef struct fl_state fl_state;
typedef struct fl_stmt fl_stmt;

/* Open (creating $home and $home/state.db if needed) and apply the ledger
 * migrations.  FL_EIO with SQLite's message on failure. */
int fl_state_open(fl_state **out, const char *home, struct fl_error *err);
/* Close; NULL is a no-op.  Unfinalized statements are finalized. */
void fl_state_close(fl_state *s);

struct fl_migration {
    int version;     /* 1, 2, 3 ... strictly increasing */
    const char *name; /* short description */
    const char *sql;  /* one or more statements */
};
/* Apply the migrations of `component` not applied yet.  FL_OK, or the
 * error of the failing migration (which is rolled back). */
int fl_state_migrate(fl_state *s, const char *component,
                     const struct fl_migration *m, int n_m,
                     struct fl_error *err);
/* Highest applied version of a component (0 = none). */
int fl_state_version(fl_state *s, const char *component);

/* Run statements without results. */
int fl_state_exec(fl_state *s, const char *sql, struct fl_error *err);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int fl_state_begin(fl_state *s, struct fl_error *err);
int fl_state_commit(fl_state *s, struct fl_error *err);
void fl_state_rollback(fl_state *s);

/* ---- statements ---------------------------------------------------------- */
/* Prepare one statement.  Bind indexes are 1-based, column indexes 0-based. */
int fl_stmt_prepare(fl_state *s, const char *sql, fl_stmt **out,
                    struct fl_error *err);
int fl_stmt_bind_i64(fl_stmt *st, int i, int64_t v);
int fl_stmt_bind_text(fl_stmt *st, int i, const char *p, size_t n);
int fl_stmt_bind_null(fl_stmt *st, int i);
/* 1 = a row is available, 0 = done, < 0 = error (err filled). */
int fl_stmt_step(fl_stmt *st, struct fl_error *err);
int64_t fl_stmt_i64(fl_stmt *st, int col);
/* Text of a column (valid until the next step/reset); "" for NULL. */
const char *fl_stmt_text(fl_stmt *st, int col);
bool fl_stmt_is_null(fl_stmt *st, int col);
/* Reset for another execution (bindings cleared). */
void fl_stmt_reset(fl_stmt *st);
void fl_stmt_finalize(fl_stmt *st);
/* rowid of the last INSERT. */
int64_t fl_state_last_id(fl_state *s);
/* Rows changed by the last statement. */
int64_t fl_state_changes(fl_state *s);

/* ---- the ingest ledger ---------------------------------------------------- */
enum fl_obj_state {
    FL_OBJ_NEW = 0,         /* not in the ledger */
    FL_OBJ_IN_PROGRESS = 1, /* a run is ingesting it (or crashed doing so) */
    FL_OBJ_DONE = 2,
    FL_OBJ_FAILED = 3,      /* the last attempt failed: retried next run */
};

/* One input object as the ledger knows it. */
struct fl_ledger_object {
    int64_t id;
    char key[4096];          /* identity: canonical path, or stdin#<run> */
    int64_t size;            /* bytes (compressed), -1 unknown */
    int64_t mtime_ns;
    uint64_t fingerprint;    /* hash of size + first and last 64 KiB */
    uint64_t head_hash;      /* hash of the first 64 KiB (grown-blob test) */
    char format[32];
    int state;               /* enum fl_obj_state */
    int64_t run_id;          /* run that last wrote it */
    uint64_t records_read;   /* totals over all runs (grown blobs add up) */
    uint64_t records_stored;
    uint64_t records_rejected;
    uint64_t resume_offset;  /* growing blobs: decompressed bytes consumed */
    uint64_t prefix_hash;    /* hash of bytes [0, resume_offset) */
    int64_t updated_at;      /* Unix seconds */
};
/* Look up by key: FL_OK, FL_ENOTFOUND (out zeroed, state FL_OBJ_NEW). */
int fl_ledger_object_get(fl_state *s, const char *key,
                         struct fl_ledger_object *out, struct fl_error *err);
/* Insert or update by key; *id_out = the row id. */
int fl_ledger_object_put(fl_state *s, const struct fl_ledger_object *o,
                         int64_t *id_out, struct fl_error *err);

/* Runs: a unit of publication (ingest, compact, prune). */
enum fl_run_state {
    FL_RUN_IN_PROGRESS = 1, /* writing hidden files: roll back on crash */
    FL_RUN_COMMITTING = 2,  /* publish ops recorded: roll forward on crash */
    FL_RUN_DONE = 3,
    FL_RUN_ROLLED_BACK = 4,
};
int fl_ledger_run_begin(fl_state *s, const char *kind, int64_t *run_out,
                        struct fl_error *err);
int fl_ledger_run_set(fl_state *s, int64_t run, int state,
                      struct fl_error *err);

/* Publish operations recorded before they are done (roll-forward log). */
enum fl_op_kind {
    FL_OP_RENAME = 1, /* rename src -> dst (a finished hidden file) */
    FL_OP_SWAP = 2,   /* exchange directory src (staged) with dst (live) */
    FL_OP_RMTREE = 3, /* remove the tree at src (obsolete content) */
    FL_OP_UNLINK = 4, /* remove file src */
};
int fl_ledger_op_add(fl_state *s, int64_t run, int kind, const char *src,
                     const char *dst, struct fl_error *err);

/* Files of the dataset: path relative to data/, its partition folder. */
enum fl_file_state { FL_FILE_LIVE = 1, FL_FILE_PENDING = 2, FL_FILE_OBSOLETE = 3 };
int fl_ledger_file_add(fl_state *s, int64_t run, const char *path,
                       const char *partition, uint64_t rows, uint64_t bytes,
                       int state, int64_t *id_out, struct fl_error *err);
/* Record that object contributed `rows` rows to file. */
int fl_ledger_file_link(fl_state *s, int64_t file, int64_t object,
                        uint64_t rows, struct fl_error *err);

/* Rejected input records per object and reason (component ledger_rejects):
 * clear an object's counts (it is re-ingested whole), add to one reason's
 * count (0 records: nothing stored). */
int fl_ledger_rejects_clear(fl_state *s, int64_t object, struct fl_error *err);
int fl_ledger_rejects_add(fl_state *s, int64_t object, const char *reason,
                          uint64_t records, struct fl_error *err);

#endif
