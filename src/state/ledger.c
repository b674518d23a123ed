/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger.c - the ingest ledger in state.db: which input objects were
 * ingested (identity, fingerprint, counts, resume offset of growing blobs),
 * the runs that published files, the roll-forward log of a run's publish
 * operations, and the dataset's files with the objects that contributed to
 * each.  The protocol that uses these tables (crash safety, replacement of
 * changed objects, compaction) is in src/pipeline and described in
 * docs/internals/ledger.md.
 */
#include <time.h>
#include <unistd.h>

#include "state_int.h"

/* Component "ledger".  Append new migrations; never edit an applied one. */
static const struct fl_migration ledger_migrations[] = {
    {1, "ledger",
     "CREATE TABLE objects("
     " id INTEGER PRIMARY KEY,"
     " key TEXT NOT NULL UNIQUE,"        /* canonical path or stdin#<run> */
     " size INTEGER, mtime_ns INTEGER,"
     " fingerprint INTEGER, head_hash INTEGER,"
     " format TEXT,"
     " state INTEGER NOT NULL,"          /* enum fl_obj_state (committed) */
     " pending_run INTEGER,"             /* run working on it, or NULL */
     " run_id INTEGER,"                  /* run that last committed it */
     " records_read INTEGER NOT NULL DEFAULT 0,"
     " records_stored INTEGER NOT NULL DEFAULT 0,"
     " records_rejected INTEGER NOT NULL DEFAULT 0,"
     " resume_offset INTEGER NOT NULL DEFAULT 0,"
     " prefix_hash INTEGER NOT NULL DEFAULT 0,"
     " updated_at INTEGER);"
     "CREATE TABLE runs("
     " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, state INTEGER NOT NULL,"
     " pid INTEGER, started_at INTEGER, finished_at INTEGER);"
     "CREATE TABLE ops("
     " id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, kind INTEGER NOT NULL,"
     " src TEXT, dst TEXT);"
     "CREATE INDEX ops_run ON ops(run_id);"
     "CREATE TABLE files("
     " id INTEGER PRIMARY KEY,"
     " path TEXT NOT NULL UNIQUE,"       /* relative to data/ */
     " partition TEXT NOT NULL,"         /* folder relative to data/ */
     " rows INTEGER NOT NULL, bytes INTEGER NOT NULL,"
     " run_id INTEGER,"                  /* run that wrote it */
     " state INTEGER NOT NULL,"          /* enum fl_file_state */
     " obsoleted_by INTEGER,"            /* run that removes it */
     " created_at INTEGER);"
     "CREATE INDEX files_partition ON files(partition);"
     "CREATE TABLE file_objects("
     " file_id INTEGER NOT NULL, object_id INTEGER NOT NULL,"
     " rows INTEGER NOT NULL,"
     " PRIMARY KEY(file_id, object_id)) WITHOUT ROWID;"
     "CREATE INDEX file_objects_object ON file_objects(object_id);"},
};

/* Component "ledger_rejects": rejected input records per object and reason
 * (`flowsift health`), kept apart from the core ledger's numbering. */
static const struct fl_migration rejects_migrations[] = {
    {1, "object_rejects",
     "CREATE TABLE object_rejects("
     " object_id INTEGER NOT NULL, reason TEXT NOT NULL,"
     " records INTEGER NOT NULL,"
     " PRIMARY KEY(object_id, reason)) WITHOUT ROWID;"},
};

int fl__ledger_migrate(struct fl_state *s, struct fl_error *err)
{
    FL_TRY(fl_state_migrate(s, "ledger", ledger_migrations,
                            (int)FL_ARRAY_LEN(ledger_migrations), err));
    return fl_state_migrate(s, "ledger_rejects", rejects_migrations,
                            (int)FL_ARRAY_LEN(rejects_migrations), err);
}

#define OBJ_COLS                                                               \
    "id,key,size,mtime_ns,fingerprint,head_hash,format,state,run_id,"          \
    "records_read,records_stored,records_rejected,resume_offset,prefix_hash,"  \
    "updated_at,pending_run"

int fl_ledger_object_get(fl_state *s, const char *key,
                         struct fl_ledger_object *out, struct fl_error *err)
{
    memset(out, 0, sizeof *out);
    fl_strlcpy(out->key, key, strlen(key), sizeof out->key);
    out->size = -1;
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s, "SELECT " OBJ_COLS " FROM objects WHERE key=?", &st, err));
    fl_stmt_bind_text(st, 1, key, strlen(key));
    int rc = fl_stmt_step(st, err);
    if (rc == 1) {
        out->id = fl_stmt_i64(st, 0);
        out->size = fl_stmt_i64(st, 2);
        out->mtime_ns = fl_stmt_i64(st, 3);
        out->fingerprint = (uint64_t)fl_stmt_i64(st, 4);
        out->head_hash = (uint64_t)fl_stmt_i64(st, 5);
        const char *f = fl_stmt_text(st, 6);
        fl_strlcpy(out->format, f, strlen(f), sizeof out->format);
        out->state = (int)fl_stmt_i64(st, 7);
        out->run_id = fl_stmt_i64(st, 8);
        out->records_read = (uint64_t)fl_stmt_i64(st, 9);
        out->records_stored = (uint64_t)fl_stmt_i64(st, 10);
        out->records_rejected = (uint64_t)fl_stmt_i64(st, 11);
        out->resume_offset = (uint64_t)fl_stmt_i64(st, 12);
        out->prefix_hash = (uint64_t)fl_stmt_i64(st, 13);
        out->updated_at = fl_stmt_i64(st, 14);
        rc = FL_OK;
    } else if (rc == 0) {
        rc = FL_ENOTFOUND;
    }
    fl_stmt_finalize(st);
    return rc;
}

int fl_ledger_object_put(fl_state *s, const struct fl_ledger_object *o,
                         int64_t *id_out, struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(
        s,
        "INSERT INTO objects(key,size,mtime_ns,fingerprint,head_hash,format,"
        "state,run_id,records_read,records_stored,records_rejected,"
        "resume_offset,prefix_hash,updated_at,pending_run) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,NULL) "
        "ON CONFLICT(key) DO UPDATE SET size=?2,mtime_ns=?3,fingerprint=?4,"
        "head_hash=?5,format=?6,state=?7,run_id=?8,records_read=?9,"
        "records_stored=?10,records_rejected=?11,resume_offset=?12,"
        "prefix_hash=?13,updated_at=?14,pending_run=NULL",
        &st, err));
    fl_stmt_bind_text(st, 1, o->key, strlen(o->key));
    fl_stmt_bind_i64(st, 2, o->size);
    fl_stmt_bind_i64(st, 3, o->mtime_ns);
    fl_stmt_bind_i64(st, 4, (int64_t)o->fingerprint);
    fl_stmt_bind_i64(st, 5, (int64_t)o->head_hash);
    fl_stmt_bind_text(st, 6, o->format, strlen(o->format));
    fl_stmt_bind_i64(st, 7, o->state);
    fl_stmt_bind_i64(st, 8, o->run_id);
    fl_stmt_bind_i64(st, 9, (int64_t)o->records_read);
    fl_stmt_bind_i64(st, 10, (int64_t)o->records_stored);
    fl_stmt_bind_i64(st, 11, (int64_t)o->records_rejected);
    fl_stmt_bind_i64(st, 12, (int64_t)o->resume_offset);
    fl_stmt_bind_i64(st, 13, (int64_t)o->prefix_hash);
    fl_stmt_bind_i64(st, 14, (int64_t)time(NULL));
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    if (rc < 0)
        return rc;
    if (id_out) {
        struct fl_ledger_object tmp;
        FL_TRY(fl_ledger_object_get(s, o->key, &tmp, err));
        *id_out = tmp.id;
    }
    return FL_OK;
}

int fl_ledger_run_begin(fl_state *s, const char *kind, int64_t *run_out,
                        struct fl_error *err)
{
    *run_out = 0;
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s,
                           "INSERT INTO runs(kind,state,pid,started_at) VALUES(?,?,?,?)",
                           &st, err));
    fl_stmt_bind_text(st, 1, kind, strlen(kind));
    fl_stmt_bind_i64(st, 2, FL_RUN_IN_PROGRESS);
    fl_stmt_bind_i64(st, 3, (int64_t)getpid());
    fl_stmt_bind_i64(st, 4, (int64_t)time(NULL));
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    if (rc < 0)
        return rc;
    *run_out = fl_state_last_id(s);
    return FL_OK;
}

int fl_ledger_run_set(fl_state *s, int64_t run, int state, struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s,
                           "UPDATE runs SET state=?, finished_at=CASE WHEN ?>=3 "
                           "THEN ? ELSE finished_at END WHERE id=?",
                           &st, err));
    fl_stmt_bind_i64(st, 1, state);
    fl_stmt_bind_i64(st, 2, state);
    fl_stmt_bind_i64(st, 3, (int64_t)time(NULL));
    fl_stmt_bind_i64(st, 4, run);
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    return rc < 0 ? rc : FL_OK;
}

int fl_ledger_op_add(fl_state *s, int64_t run, int kind, const char *src,
                     const char *dst, struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s, "INSERT INTO ops(run_id,kind,src,dst) VALUES(?,?,?,?)",
                           &st, err));
    fl_stmt_bind_i64(st, 1, run);
    fl_stmt_bind_i64(st, 2, kind);
    if (src)
        fl_stmt_bind_text(st, 3, src, strlen(src));
    if (dst)
        fl_stmt_bind_text(st, 4, dst, strlen(dst));
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    return rc < 0 ? rc : FL_OK;
}

int fl_ledger_file_add(fl_state *s, int64_t run, const char *path,
                       const char *partition, uint64_t rows, uint64_t bytes,
                       int state, int64_t *id_out, struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s,
                           "INSERT INTO files(path,partition,rows,bytes,run_id,state,"
                           "created_at) VALUES(?,?,?,?,?,?,?)",
                           &st, err));
    fl_stmt_bind_text(st, 1, path, strlen(path));
    fl_stmt_bind_text(st, 2, partition, strlen(partition));
    fl_stmt_bind_i64(st, 3, (int64_t)rows);
    fl_stmt_bind_i64(st, 4, (int64_t)bytes);
    fl_stmt_bind_i64(st, 5, run);
    fl_stmt_bind_i64(st, 6, state);
    fl_stmt_bind_i64(st, 7, (int64_t)time(NULL));
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    if (rc < 0)
        return rc;
    if (id_out)
        *id_out = fl_state_last_id(s);
    return FL_OK;
}

int fl_ledger_file_link(fl_state *s, int64_t file, int64_t object, uint64_t rows,
                        struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s,
                           "INSERT INTO file_objects(file_id,object_id,rows) "
                           "VALUES(?1,?2,?3) ON CONFLICT(file_id,object_id) "
                           "DO UPDATE SET rows=rows+?3",
                           &st, err));
    fl_stmt_bind_i64(st, 1, file);
    fl_stmt_bind_i64(st, 2, object);
    fl_stmt_bind_i64(st, 3, (int64_t)rows);
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    return rc < 0 ? rc : FL_OK;
}

int fl_ledger_rejects_clear(fl_state *s, int64_t object, struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s, "DELETE FROM object_rejects WHERE object_id=?", &st, err));
    fl_stmt_bind_i64(st, 1, object);
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    return rc < 0 ? rc : FL_OK;
}

int fl_ledger_rejects_add(fl_state *s, int64_t object, const char *reason,
                          uint64_t records, struct fl_error *err)
{
    if (records == 0)
        return FL_OK;
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(s,
                           "INSERT INTO object_rejects(object_id,reason,records) "
                           "VALUES(?1,?2,?3) ON CONFLICT(object_id,reason) "
                           "DO UPDATE SET records=records+?3",
                           &st, err));
    fl_stmt_bind_i64(st, 1, object);
    fl_stmt_bind_text(st, 2, reason, strlen(reason));
    fl_stmt_bind_i64(st, 3, (int64_t)records);
    int rc = fl_stmt_step(st, err);
    fl_stmt_finalize(st);
    return rc < 0 ? rc : FL_OK;
}
