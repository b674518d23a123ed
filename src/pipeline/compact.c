/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compact.c - `flowsift compact`: merge each partition's files into few
 * large ones.  Per partition, the files are rewritten (fl__rewrite_files)
 * into a staged folder under $home/.staging; the ledger then records, in
 * one transaction, the new files, the obsolete ones and the folder swap;
 * the staged folder is exchanged with the live one in a single
 * renameat2(RENAME_EXCHANGE), so a reader listing the partition sees either
 * all old files or all new ones, never both.  A crash before the
 * transaction leaves the old files (the staging is swept); after it, the
 * next job finishes the swap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "rollup.h"

struct part {
    char *rel;
    char **files; /* absolute paths */
    int n, cap;
};

struct plist {
    struct part *p;
    int n, cap;
    const char *data;
    const char *filter;
    int rc;
};

static int list_cb(void *ctx, const struct fl_dataset_file *f)
{
    struct plist *L = ctx;
    if (L->filter && strncmp(f->partition, L->filter, strlen(L->filter)) != 0)
        return 0;
    struct part *p = L->n ? &L->p[L->n - 1] : NULL;
    if (!p || strcmp(p->rel, f->partition) != 0) {
        if (L->n == L->cap) {
            int nc = L->cap ? L->cap * 2 : 16;
            struct part *np = fl_realloc(L->p, (size_t)nc * sizeof *np);
            if (!np)
                return L->rc = FL_ENOMEM;
            L->p = np;
            L->cap = nc;
        }
        p = &L->p[L->n];
        memset(p, 0, sizeof *p);
        if (!(p->rel = fl_strdup(f->partition)))
            return L->rc = FL_ENOMEM;
        L->n++;
    }
    if (p->n == p->cap) {
        int nc = p->cap ? p->cap * 2 : 8;
        if (nc > 1000000)
            return L->rc = FL_ELIMIT;
        char **nf = fl_realloc(p->files, (size_t)nc * sizeof *nf);
        if (!nf)
            return L->rc = FL_ENOMEM;
        p->files = nf;
        p->cap = nc;
    }
    char full[FL_PATH_MAX];
    int k = snprintf(full, sizeof full, "%s/%s", L->data, f->path);
    if (k < 0 || (size_t)k >= sizeof full)
        return 0;
    if (!(p->files[p->n] = fl_strdup(full)))
        return L->rc = FL_ENOMEM;
    p->n++;
    return 0;
}

static void plist_free(struct plist *L)
{
    for (int i = 0; i < L->n; i++) {
        for (int j = 0; j < L->p[i].n; j++)
            fl_free(L->p[i].files[j]);
        fl_free(L->p[i].files);
        fl_free(L->p[i].rel);
    }
    fl_free(L->p);
}

int fl__list_partitions(struct fl__job *j, const char *filter, struct plist *L,
                        struct fl_error *err);
int fl__list_partitions(struct fl__job *j, const char *filter, struct plist *L,
                        struct fl_error *err)
{
    memset(L, 0, sizeof *L);
    L->data = j->data;
    L->filter = filter && *filter ? filter : NULL;
    int rc = fl_dataset_list(j->home, list_cb, L, err);
    if (L->rc < 0)
        return fl_error_set(err, L->rc, "listing the dataset: %s", fl_strerror(L->rc));
    return rc;
}

struct newfiles {
    struct fl__job *j;
    int64_t run;
    const char *part;
    uint64_t n, rows;
    int64_t *ids;
    int cap;
    int rc;
    struct fl_error *err;
};

static int nf_cb(void *ctx, const char *name, uint64_t rows, uint64_t bytes)
{
    struct newfiles *nf = ctx;
    char rel[FL_PATH_MAX];
    int k = snprintf(rel, sizeof rel, "%s/%s", nf->part, name);
    if (k < 0 || (size_t)k >= sizeof rel)
        return FL_ELIMIT;
    if ((int)nf->n == nf->cap) {
        int nc = nf->cap ? nf->cap * 2 : 8;
        int64_t *ni = fl_realloc(nf->ids, (size_t)nc * sizeof *ni);
        if (!ni)
            return FL_ENOMEM;
        nf->ids = ni;
        nf->cap = nc;
    }
    int64_t id;
    int rc = fl_ledger_file_add(nf->j->st, nf->run, rel, nf->part, rows, bytes,
                                FL_FILE_PENDING, &id, nf->err);
    if (rc < 0)
        return rc;
    nf->ids[nf->n++] = id;
    nf->rows += rows;
    return FL_OK;
}

static int exec_sql2(fl_state *st, const char *sql, int64_t a, const char *s,
                     struct fl_error *err)
{
    fl_stmt *x;
    FL_TRY(fl_stmt_prepare(st, sql, &x, err));
    fl_stmt_bind_i64(x, 1, a);
    if (s)
        fl_stmt_bind_text(x, 2, s, strlen(s));
    int rc = fl_stmt_step(x, err);
    fl_stmt_finalize(x);
    return rc < 0 ? rc : FL_OK;
}

/* Stage one partition: rewrite its files into a new folder; record the
 * ledger changes (inside the open transaction) and the ops. */
static int compact_part(struct fl__job *j, int64_t run, int idx, struct part *p,
                        const struct fl_compact_opts *o, const struct fl_pq_write_opts *wo,
                        uint64_t *files_after, uint64_t *rows, struct fl_error *err)
{
    char stage[FL_PATH_MAX], live[FL_PATH_MAX], tmp[FL_PATH_MAX];
    int k1 = snprintf(stage, sizeof stage, "%s/c%lld-%d", j->staging, (long long)run, idx);
    int k2 = snprintf(live, sizeof live, "%s/%s", j->data, p->rel);
    FL_RETURN_IF(k1 < 0 || k2 < 0 || (size_t)k1 >= sizeof stage || (size_t)k2 >= sizeof live,
                 err, FL_ELIMIT, "path too long");
    FL_TRY(fl_mkdirs(stage, err));
    char prefix[64];
    snprintf(prefix, sizeof prefix, "part-%06lld-c%d", (long long)run, idx);
    struct newfiles nf = {j, run, p->rel, 0, 0, NULL, 0, FL_OK, err};
    struct fl__rewrite rw = {0};
    rw.inputs = (const char *const *)p->files;
    rw.n_inputs = p->n;
    rw.out_dir = stage;
    rw.prefix = prefix;
    rw.wopts = wo;
    rw.target_rows = o->target_rows ? o->target_rows : 4 * wo->row_group_rows;
    rw.cb = nf_cb;
    rw.ctx = &nf;
    int rc = fl__rewrite_files(&rw, err);
    /* new files inherit the object links of the files they merge */
    size_t dl = strlen(j->data) + 1;
    for (int i = 0; rc == FL_OK && i < p->n; i++) {
        const char *rel = p->files[i] + dl;
        for (uint64_t m = 0; rc == FL_OK && m < nf.n; m++) {
            fl_stmt *x;
            rc = fl_stmt_prepare(j->st,
                                 "INSERT INTO file_objects(file_id,object_id,rows) "
                                 "SELECT ?1, fo.object_id, fo.rows FROM file_objects fo "
                                 "JOIN files f ON f.id=fo.file_id WHERE f.path=?2 "
                                 "ON CONFLICT(file_id,object_id) DO UPDATE SET "
                                 "rows=rows+excluded.rows",
                                 &x, err);
            if (rc < 0)
                break;
            fl_stmt_bind_i64(x, 1, nf.ids[m]);
            fl_stmt_bind_text(x, 2, rel, strlen(rel));
            rc = fl_stmt_step(x, err);
            fl_stmt_finalize(x);
            rc = rc < 0 ? rc : FL_OK;
        }
        if (rc == FL_OK)
            rc = exec_sql2(j->st, "UPDATE files SET obsoleted_by=?1 WHERE path=?2", run, rel,
                           err);
    }
    if (rc == FL_OK) {
        int k = snprintf(tmp, sizeof tmp, "%s/.swap-%lld", stage, (long long)run);
        int fd = k > 0 && (size_t)k < sizeof tmp ? open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)
                                                 : -1;
        if (fd < 0)
            rc = fl_error_sys(err, FL_EIO, errno, "cannot create %s", tmp);
        else
            close(fd);
    }
    if (rc == FL_OK) /* the merged rollup sidecar of the new files */
        rc = fl__rollup_compact(j, run, p->rel, p->files, p->n, stage, err);
    if (rc == FL_OK)
        rc = fl_fsync_path(stage, err);
    if (rc == FL_OK)
        rc = fl_ledger_op_add(j->st, run, FL_OP_SWAP, stage, live, err);
    if (rc == FL_OK)
        rc = fl_ledger_op_add(j->st, run, FL_OP_RMTREE, stage, NULL, err);
    if (rc == FL_OK) {
        int k = snprintf(tmp, sizeof tmp, "%s/.swap-%lld", live, (long long)run);
        if (k > 0 && (size_t)k < sizeof tmp)
            rc = fl_ledger_op_add(j->st, run, FL_OP_UNLINK, tmp, NULL, err);
    }
    *files_after = nf.n;
    *rows = nf.rows;
    fl_free(nf.ids);
    return rc;
}

int fl_compact_run(const struct fl_compact_opts *o, struct fl_error *err)
{
    struct fl__job j;
    FL_TRY(fl__job_open(&j, o->home, err));
    j.on_point = o->on_point;
    j.ctx = o->ctx;
    struct plist L;
    int rc = fl__list_partitions(&j, o->partition, &L, err);
    struct fl_pq_write_opts wo;
    fl_pq_write_opts_default(&wo);
    if (rc == FL_OK && o->codec && *o->codec && fl_codec_parse(o->codec, &wo.codec) != FL_OK)
        rc = fl_error_set(err, FL_EINVAL, "unknown codec '%s'", o->codec);
    if (o->row_group_rows)
        wo.row_group_rows = o->row_group_rows;
    if (!wo.row_group_rows)
        wo.row_group_rows = 1u << 20;
    uint64_t min_files = o->min_files ? o->min_files : 2;
    int64_t run = 0;
    uint64_t *after = NULL, *rows = NULL;
    if (rc == FL_OK && L.n > 0) {
        after = fl_calloc((size_t)L.n, sizeof *after);
        rows = fl_calloc((size_t)L.n, sizeof *rows);
        if (!after || !rows)
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    bool any = false;
    for (int i = 0; rc == FL_OK && i < L.n; i++)
        any = any || (uint64_t)L.p[i].n >= min_files;
    if (rc == FL_OK && any) {
        rc = fl_ledger_run_begin(j.st, "compact", &run, err);
        if (rc == FL_OK)
            rc = fl_state_begin(j.st, err);
        for (int i = 0; rc == FL_OK && i < L.n; i++) {
            if ((uint64_t)L.p[i].n < min_files)
                continue;
            rc = compact_part(&j, run, i, &L.p[i], o, &wo, &after[i], &rows[i], err);
            fl__point(&j, "staged");
        }
        if (rc == FL_OK)
            rc = fl_ledger_run_set(j.st, run, FL_RUN_COMMITTING, err);
        if (rc == FL_OK)
            rc = fl_state_commit(j.st, err);
        if (rc != FL_OK) {
            fl_state_rollback(j.st);
            struct fl_error e2;
            fl__recover(&j, &e2); /* roll back: sweep the staging */
        } else {
            fl__point(&j, "T1");
            rc = fl__run_finish(&j, run, err);
            if (rc == FL_OK)
                fl__rollup_gc(j.home); /* sidecars of the merged files */
        }
    }
    for (int i = 0; rc == FL_OK && i < L.n; i++)
        if (o->on_partition)
            o->on_partition(o->ctx, L.p[i].rel, (uint64_t)L.p[i].n,
                            (uint64_t)L.p[i].n >= min_files ? after[i] : (uint64_t)L.p[i].n,
                            rows[i]);
    fl_free(after);
    fl_free(rows);
    plist_free(&L);
    fl__job_close(&j);
    return rc;
}

/* ---- prune ------------------------------------------------------------------ */
static void rmdir_parents(const char *data, const char *rel)
{
    char buf[FL_PATH_MAX];
    int k = snprintf(buf, sizeof buf, "%s/%s", data, rel);
    if (k < 0 || (size_t)k >= sizeof buf)
        return;
    size_t dl = strlen(data);
    for (;;) {
        char *s = strrchr(buf, '/');
        if (!s || (size_t)(s - buf) <= dl)
            break;
        *s = 0;
        if (rmdir(buf) != 0)
            break; /* not empty */
    }
}

int fl_prune_run(const char *home, int days, int64_t now, bool dry_run,
                 void (*on_partition)(void *ctx, const char *partition, uint64_t files,
                                      uint64_t bytes),
                 void *ctx, struct fl_error *err)
{
    FL_RETURN_IF(days < 0, err, FL_EINVAL, "retention must be >= 0 days");
    struct fl__job j;
    FL_TRY(fl__job_open(&j, home, err));
    struct plist L;
    int rc = fl__list_partitions(&j, NULL, &L, err);
    int64_t cutoff = (now >= 0 ? now / 86400 : 0) - days; /* keep date >= cutoff */
    bool *old = L.n ? fl_calloc((size_t)L.n, sizeof *old) : NULL;
    if (L.n && !old && rc == FL_OK)
        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
    int n_old = 0;
    for (int i = 0; rc == FL_OK && i < L.n; i++) {
        struct fl_part_values v;
        if (fl_partition_parse(L.p[i].rel, &v) != FL_OK || !v.date[0])
            continue; /* NULL dates are never pruned */
        int64_t y, m, d;
        if (strlen(v.date) != 10 || fl_parse_i64(v.date, 4, &y) || fl_parse_i64(v.date + 5, 2, &m) ||
            fl_parse_i64(v.date + 8, 2, &d))
            continue;
        if (fl_days_from_civil(y, (unsigned)m, (unsigned)d) < cutoff) {
            old[i] = true;
            n_old++;
        }
    }
    int64_t run = 0;
    if (rc == FL_OK && n_old && !dry_run) {
        rc = fl_ledger_run_begin(j.st, "prune", &run, err);
        if (rc == FL_OK)
            rc = fl_state_begin(j.st, err);
        for (int i = 0; rc == FL_OK && i < L.n; i++) {
            if (!old[i])
                continue;
            char live[FL_PATH_MAX], stage[FL_PATH_MAX];
            int k1 = snprintf(live, sizeof live, "%s/%s", j.data, L.p[i].rel);
            int k2 = snprintf(stage, sizeof stage, "%s/p%lld-%d", j.staging, (long long)run, i);
            if (k1 < 0 || k2 < 0 || (size_t)k1 >= sizeof live || (size_t)k2 >= sizeof stage) {
                rc = fl_error_set(err, FL_ELIMIT, "path too long");
                break;
            }
            rc = fl_ledger_op_add(j.st, run, FL_OP_RENAME, live, stage, err);
            if (rc == FL_OK)
                rc = fl_ledger_op_add(j.st, run, FL_OP_RMTREE, stage, NULL, err);
            if (rc == FL_OK)
                rc = exec_sql2(j.st, "UPDATE files SET obsoleted_by=?1 WHERE partition=?2", run,
                               L.p[i].rel, err);
        }
        /* objects whose rows were all in pruned partitions leave the ledger */
        if (rc == FL_OK)
            rc = exec_sql2(j.st,
                           "DELETE FROM objects WHERE id IN (SELECT fo.object_id FROM "
                           "file_objects fo JOIN files f ON f.id=fo.file_id WHERE "
                           "f.obsoleted_by=?1) AND NOT EXISTS (SELECT 1 FROM file_objects "
                           "fo2 JOIN files f2 ON f2.id=fo2.file_id WHERE "
                           "fo2.object_id=objects.id AND f2.obsoleted_by IS NOT ?1)",
                           run, NULL, err);
        if (rc == FL_OK)
            rc = fl_ledger_run_set(j.st, run, FL_RUN_COMMITTING, err);
        if (rc == FL_OK)
            rc = fl_state_commit(j.st, err);
        if (rc != FL_OK) {
            fl_state_rollback(j.st);
        } else {
            rc = fl__run_finish(&j, run, err);
            for (int i = 0; rc == FL_OK && i < L.n; i++)
                if (old[i])
                    rmdir_parents(j.data, L.p[i].rel);
            if (rc == FL_OK)
                fl__rollup_gc(j.home); /* sidecars of the pruned partitions */
        }
    }
    for (int i = 0; rc == FL_OK && i < L.n; i++) {
        if (!old[i] || !on_partition)
            continue;
        on_partition(ctx, L.p[i].rel, (uint64_t)L.p[i].n, 0);
    }
    fl_free(old);
    plist_free(&L);
    fl__job_close(&j);
    return rc;
}
