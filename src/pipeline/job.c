/* SPDX-License-Identifier: Apache-2.0 */
/*
 * job.c - what every job on a dataset (ingest, compact, prune) starts and
 * ends with: an exclusive lock on $home/.lock, the state database, and the
 * recovery of interrupted runs: a run still IN_PROGRESS published nothing,
 * so it is rolled back (its hidden temp files and staging folders deleted,
 * its objects left to be redone); a run that reached COMMITTING has its
 * publish operations recorded in the ledger, so they are re-executed
 * (each one idempotent) and the run is finished.  See
 * docs/internals/ledger.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_int.h"

int fl__swap_dirs(const char *src, const char *dst, struct fl_error *err)
{
    char pd[FL_PATH_MAX];
    struct stat st;
    if (stat(dst, &st) != 0) {
        fl__dirname(dst, pd, sizeof pd);
        FL_TRY(fl_mkdirs(pd, err));
        if (rename(src, dst) != 0)
            return fl_error_sys(err, FL_EIO, errno, "cannot rename %s", src);
    } else if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_EXCHANGE) != 0) {
        return fl_error_sys(err, FL_EIO, errno, "cannot exchange %s and %s", src, dst);
    }
    fl__dirname(dst, pd, sizeof pd);
    FL_TRY(fl_fsync_path(pd, err));
    fl__dirname(src, pd, sizeof pd);
    return fl_fsync_path(pd, err);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Execute one recorded publish operation; idempotent. */
static int do_op(struct fl__job *j, int64_t run, int kind, const char *src,
                 const char *dst, struct fl_error *err)
{
    char m_src[FL_PATH_MAX], m_dst[FL_PATH_MAX], pd[FL_PATH_MAX];
    switch (kind) {
    case FL_OP_RENAME:
        if (exists(src)) {
            fl__dirname(dst, pd, sizeof pd);
            FL_TRY(fl_mkdirs(pd, err));
            return fl_publish_file(src, dst, err);
        }
        if (!exists(dst))
            fl_warn("ledger: run %lld: neither %s nor %s exists", (long long)run, src, dst);
        return FL_OK;
    case FL_OP_SWAP:
        snprintf(m_src, sizeof m_src, "%s/.swap-%lld", src, (long long)run);
        snprintf(m_dst, sizeof m_dst, "%s/.swap-%lld", dst, (long long)run);
        if (exists(m_dst))
            return FL_OK; /* already exchanged */
        if (exists(m_src))
            return fl__swap_dirs(src, dst, err);
        fl_warn("ledger: run %lld: staged folder %s is gone", (long long)run, src);
        return FL_OK;
    case FL_OP_RMTREE:
        return fl_rmtree(src, err);
    case FL_OP_UNLINK:
        if (unlink(src) != 0 && errno != ENOENT)
            return fl_error_sys(err, FL_EIO, errno, "cannot remove %s", src);
        return FL_OK;
    }
    return fl_error_set(err, FL_EINTERNAL, "unknown ledger operation %d", kind);
}

int fl__run_finish(struct fl__job *j, int64_t run, struct fl_error *err)
{
    fl_stmt *st;
    FL_TRY(fl_stmt_prepare(j->st, "SELECT kind, src, dst FROM ops WHERE run_id=? ORDER BY id",
                           &st, err));
    fl_stmt_bind_i64(st, 1, run);
    int rc;
    while ((rc = fl_stmt_step(st, err)) == 1) {
        rc = do_op(j, run, (int)fl_stmt_i64(st, 0), fl_stmt_text(st, 1),
                   fl_stmt_text(st, 2), err);
        if (rc < 0)
            break;
        fl__point(j, "publish");
    }
    fl_stmt_finalize(st);
    if (rc < 0)
        return rc;
    fl__point(j, "before-T2");
    char sql[512];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE;"
             "UPDATE files SET state=%d WHERE run_id=%lld AND state=%d;"
             "DELETE FROM file_objects WHERE file_id IN "
             " (SELECT id FROM files WHERE obsoleted_by=%lld);"
             "DELETE FROM files WHERE obsoleted_by=%lld;"
             "DELETE FROM ops WHERE run_id=%lld;"
             "UPDATE runs SET state=%d, finished_at=strftime('%%s','now') WHERE id=%lld;"
             "COMMIT",
             FL_FILE_LIVE, (long long)run, FL_FILE_PENDING, (long long)run,
             (long long)run, (long long)run, FL_RUN_DONE, (long long)run);
    rc = fl_state_exec(j->st, sql, err);
    if (rc < 0)
        fl_state_rollback(j->st);
    return rc;
}

/* Delete hidden temp files and swap markers under dir (recursively). */
static void sweep_tmp(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[FL_PATH_MAX];
        int k = snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (k < 0 || (size_t)k >= sizeof sub)
            continue;
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.') {
            if ((l > 4 && strcmp(e->d_name + l - 4, ".tmp") == 0) ||
                strncmp(e->d_name, ".swap-", 6) == 0)
                unlink(sub);
            continue;
        }
        struct stat st;
        if (depth < 8 && lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            sweep_tmp(sub, depth + 1);
    }
    closedir(d);
}

int fl__recover(struct fl__job *j, struct fl_error *err)
{
    fl_stmt *st;
    int64_t runs[64];
    int states[64];
    int n = 0, rc;
    FL_TRY(fl_stmt_prepare(j->st,
                           "SELECT id, state FROM runs WHERE state IN (1,2) ORDER BY id LIMIT 64",
                           &st, err));
    while ((rc = fl_stmt_step(st, err)) == 1 && n < 64) {
        runs[n] = fl_stmt_i64(st, 0);
        states[n++] = (int)fl_stmt_i64(st, 1);
    }
    fl_stmt_finalize(st);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        if (states[i] == FL_RUN_COMMITTING) {
            FL_TRY(fl__run_finish(j, runs[i], err));
        } else {
            char sql[512];
            snprintf(sql, sizeof sql,
                     "BEGIN IMMEDIATE;"
                     "UPDATE objects SET pending_run=NULL WHERE pending_run=%lld;"
                     "DELETE FROM objects WHERE state=0 AND pending_run IS NULL;"
                     "DELETE FROM file_objects WHERE file_id IN "
                     " (SELECT id FROM files WHERE run_id=%lld AND state=%d);"
                     "DELETE FROM files WHERE run_id=%lld AND state=%d;"
                     "UPDATE files SET obsoleted_by=NULL WHERE obsoleted_by=%lld;"
                     "DELETE FROM ops WHERE run_id=%lld;"
                     "UPDATE runs SET state=%d WHERE id=%lld;"
                     "COMMIT",
                     (long long)runs[i], (long long)runs[i], FL_FILE_PENDING,
                     (long long)runs[i], FL_FILE_PENDING, (long long)runs[i],
                     (long long)runs[i], FL_RUN_ROLLED_BACK, (long long)runs[i]);
            rc = fl_state_exec(j->st, sql, err);
            if (rc < 0) {
                fl_state_rollback(j->st);
                return rc;
            }
        }
    }
    /* Nothing is running (we hold the lock): every temp file is garbage. */
    sweep_tmp(j->data, 0);
    return fl_rmtree(j->staging, err);
}

int fl__job_open(struct fl__job *j, const char *home, struct fl_error *err)
{
    memset(j, 0, sizeof *j);
    j->lock_fd = -1;
    FL_RETURN_IF(!home || !*home, err, FL_EINVAL, "no dataset home given");
    int k = snprintf(j->home, sizeof j->home, "%s", home);
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof j->home - 64, err, FL_ELIMIT,
                 "home path too long");
    snprintf(j->data, sizeof j->data, "%s/data", home);
    snprintf(j->staging, sizeof j->staging, "%s/.staging", home);
    FL_TRY(fl_mkdirs(j->data, err));
    char lock[FL_PATH_MAX];
    snprintf(lock, sizeof lock, "%s/.lock", home);
    j->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (j->lock_fd < 0)
        return fl_error_sys(err, FL_EIO, errno, "cannot open %s", lock);
    if (flock(j->lock_fd, LOCK_EX) != 0) {
        int e = errno;
        close(j->lock_fd);
        j->lock_fd = -1;
        return fl_error_sys(err, FL_EIO, e, "cannot lock %s", lock);
    }
    int rc = fl_state_open(&j->st, home, err);
    if (rc == FL_OK)
        rc = fl__recover(j, err);
    if (rc != FL_OK)
        fl__job_close(j);
    return rc;
}

void fl__job_close(struct fl__job *j)
{
    if (j->lock_fd >= 0 && j->staging[0])
        rmdir(j->staging); /* only when empty: a crash leaves work for recovery */
    fl_state_close(j->st);
    j->st = NULL;
    if (j->lock_fd >= 0)
        close(j->lock_fd);
    j->lock_fd = -1;
}

int fl_dataset_recover(const char *home, struct fl_error *err)
{
    struct fl__job j;
    FL_TRY(fl__job_open(&j, home, err));
    fl__job_close(&j);
    return FL_OK;
}

void fl__storage_defaults(struct fl__storage *s)
{
    memset(s, 0, sizeof *s);
    fl_strlcpy(s->codec, "zstd", 4, sizeof s->codec);
    s->row_group_rows = 1u << 20;
}
