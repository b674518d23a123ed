/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_run.c - `flowsift ingest`: inputs -> readers (ingest module) ->
 * optional enrichment -> per-partition Parquet writers (store module) ->
 * ledger.  Two threads share the work: a reader thread inflates, parses and
 * enriches objects in order into a small pool of reused record batches; the
 * main thread routes each batch's rows to the writer of their partition and
 * encodes them.  Rows of all objects of a run are batched per partition into
 * large files (capped number of open writers and of rows buffered in them,
 * so memory stays bounded whatever the input).
 *
 * Every output file is first a hidden `.name.tmp`; the run publishes them
 * with the ledger protocol of docs/internals/ledger.md: intent recorded in
 * one transaction (T1), renames / partition swaps executed, then T2.  A
 * changed object's old rows are dropped by rewriting the files that hold
 * them into a staged copy of their partition, swapped in atomically.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fl/fl_config.h"
#include "fl/fl_enrich.h"
#include "pipeline_int.h"
#include "rollup.h"

#define MAX_OBJECTS 1000000
#define MAX_FILES 1000000
#define N_BATCHES 4
#define QCAP 16
#define FP_CHUNK 65536

/* ---- objects of this run ------------------------------------------------- */
struct obj {
    char *key;              /* ledger identity (canonical path / stdin#run) */
    char *path;             /* what to open */
    int64_t size, mtime_ns;
    uint64_t fp, head_hash;
    bool gz;                /* gzip magic at the start */
    int status;             /* enum fl_obj_status */
    const char *why;
    bool has_prev;          /* in the ledger before this run */
    int prev_state;
    uint64_t prev_read, prev_stored, prev_rejected;
    uint64_t start_offset;  /* resume point for a grown blob */
    int64_t id;             /* ledger row id */
    /* results, written by the reader thread before END */
    char format[32];
    struct fl_ingest_stats stats;
    uint64_t resume;
    int rc;
    struct fl_error err;
    uint64_t stored;        /* rows routed (main thread) */
};

/* ---- the batch queue between the reader thread and the main thread ------- */
enum { M_BATCH = 1, M_END = 2, M_DONE = 3 };
struct msg {
    int kind;
    int obj;
    struct fl_batch *b;
};
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct msg q[QCAP];
    int head, n;
    struct fl_batch *free_b[N_BATCHES];
    int n_free;
    bool abort;
};

static void q_push(struct queue *q, struct msg m)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == QCAP && !q->abort)
        pthread_cond_wait(&q->cv, &q->mu);
    if (!q->abort) {
        q->q[(q->head + q->n) % QCAP] = m;
        q->n++;
    }
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static struct msg q_pop(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == 0)
        pthread_cond_wait(&q->cv, &q->mu);
    struct msg m = q->q[q->head];
    q->head = (q->head + 1) % QCAP;
    q->n--;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return m;
}

static struct fl_batch *q_get_batch(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->n_free == 0 && !q->abort)
        pthread_cond_wait(&q->cv, &q->mu);
    struct fl_batch *b = q->abort ? NULL : q->free_b[--q->n_free];
    pthread_mutex_unlock(&q->mu);
    return b;
}

static void q_put_batch(struct queue *q, struct fl_batch *b)
{
    pthread_mutex_lock(&q->mu);
    q->free_b[q->n_free++] = b;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ---- partition writers ----------------------------------------------------- */
struct contrib {
    int obj;
    uint64_t rows;
};
struct contribs {
    struct contrib *c;
    size_t n, cap;
};

static int contrib_add(struct contribs *cs, int obj, uint64_t rows)
{
    if (cs->n && cs->c[cs->n - 1].obj == obj) {
        cs->c[cs->n - 1].rows += rows;
        return FL_OK;
    }
    if (cs->n == cs->cap) {
        size_t nc = cs->cap ? cs->cap * 2 : 8;
        if (nc > MAX_OBJECTS + 8)
            return FL_ELIMIT;
        struct contrib *c = fl_realloc(cs->c, nc * sizeof *c);
        if (!c)
            return FL_ENOMEM;
        cs->c = c;
        cs->cap = nc;
    }
    cs->c[cs->n++] = (struct contrib){obj, rows};
    return FL_OK;
}

struct pw {
    bool open;
    uint64_t hash;
    char kbuf[768];           /* cloud \0 account \0 region (raw bytes) */
    uint16_t kl[3];
    bool knull[3];
    int64_t day;
    int hour;
    char part[1024];          /* partition folder relative to data/ */
    char name[96];            /* final file name */
    char tmp[FL_PATH_MAX];    /* hidden temp path */
    fl_pq_writer *w;
    uint64_t rows;
    uint64_t last_use;
    uint32_t *sel;            /* rows of the current batch */
    uint32_t n_sel;
    struct contribs cs;
    struct fl__rollup *roll;  /* hourly rollup of the file (rollup.c) */
    bool split;               /* this batch is encoded in two column shares */
};

struct outfile {
    char *part, *tmp, *name;
    char *roll_tmp;           /* its rollup sidecar (hidden), or NULL */
    uint64_t rows, bytes;
    struct contribs cs;
};

/* One piece of a batch's encoding: the rows selected for writer p, all of
 * its columns (part -1) or one of two column shares (part 0 or 1, see
 * fl_pq_writer_add_part). */
struct task {
    struct pw *p;
    int part;
    int rc;                 /* result, written by the thread that ran it */
    struct fl_error err;
};

/* A helper thread that encodes with the main thread: both take tasks from
 * one list (largest first).  A partition with many rows in the batch is
 * split by columns, so that even a batch of one partition (the usual case:
 * one log object is one account, region and day) keeps both threads busy. */
struct wpool {
    pthread_t th;
    bool started, quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct task *tasks;     /* 2 per writer at most */
    int n_tasks, next;      /* tasks[next..n_tasks) are not taken yet */
    int active;             /* tasks being encoded now */
    const struct fl_batch *b;
    int obj;
};
/* Fewer selected rows than this are not split by columns. */
#define SPLIT_MIN_ROWS 512

struct run {
    struct fl__job *j;
    const struct fl_ingest_opts *o;
    int64_t run_id;
    struct obj *objs;
    int n_objs, cap_objs;
    struct fl_pq_write_opts wopts;
    uint64_t file_rows, pending_budget;
    int max_writers;
    struct pw *pws;           /* max_writers slots */
    uint64_t tick;
    uint64_t seq;
    struct outfile *files;
    size_t n_files, cap_files;
    struct queue q;
    fl_enricher *enr;
    struct fl_ingest_totals *tot;
    struct wpool wp;
    /* progress: input bytes read (the reader thread stores, the main thread
     * loads: relaxed atomics), and what the main thread counts */
    uint64_t prog_bytes;
    struct fl_ingest_progress prog;
    double prog_t0, prog_last;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hand the progress to the caller when progress_every (0.25 s) passed
 * since the last time (main thread). */
static void progress(struct run *R)
{
    if (!R->o->on_progress)
        return;
    double t = mono_now();
    if (t - R->prog_last < (R->o->progress_every > 0 ? R->o->progress_every : 0.25))
        return;
    R->prog_last = t;
    R->prog.bytes_in = __atomic_load_n(&R->prog_bytes, __ATOMIC_RELAXED);
    R->prog.seconds = t - R->prog_t0;
    R->o->on_progress(R->o->ctx, &R->prog);
}

static int key_of(const struct fl_batch *b, uint32_t row, int col, struct fl_str *s)
{
    if (fl_is_null(b, col, row)) {
        *s = FL_STR_NULL;
        return 1;
    }
    *s = fl_get_str(b, col, row);
    return 0;
}

static uint64_t row_hash(const struct fl_str k[3], int64_t day, int hour)
{
    uint64_t h = fl_hash64((uint64_t)day * 31 + (uint64_t)(hour + 1));
    for (int i = 0; i < 3; i++)
        h = fl_hash_bytes(k[i].p ? k[i].p : "", k[i].p ? k[i].n : 0,
                          h ^ (k[i].p ? 0x9e37 : 0x7f4a));
    return h;
}

static bool pw_match(const struct pw *p, uint64_t h, const struct fl_str k[3],
                     int64_t day, int hour)
{
    if (!p->open || p->hash != h || p->day != day || p->hour != hour)
        return false;
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        if (p->knull[i] != (k[i].p == NULL))
            return false;
        if (k[i].p && (p->kl[i] != k[i].n || memcmp(p->kbuf + off, k[i].p, k[i].n) != 0))
            return false;
        off += p->kl[i];
    }
    return true;
}

/* Encode the rows selected for p in the current batch (touches only p: the
 * writer threads run this for different writers in parallel). */
static int pw_write_sel(struct pw *p, const struct fl_batch *b, int obj,
                        struct fl_error *err)
{
    if (!p->n_sel)
        return FL_OK;
    /* the whole batch (rows are selected in order): no row indirection */
    const uint32_t *sel = p->n_sel == b->n ? NULL : p->sel;
    FL_TRY(fl_pq_writer_add(p->w, b, sel, p->n_sel, err));
    fl__rollup_add(p->roll, b, sel, p->n_sel);
    int rc = contrib_add(&p->cs, obj, p->n_sel);
    FL_RETURN_IF(rc < 0, err, rc, "too many objects in one file");
    return FL_OK;
}

/* Count what pw_write_sel wrote (main thread). */
static void pw_account(struct run *R, struct pw *p, int obj)
{
    p->rows += p->n_sel;
    R->objs[obj].stored += p->n_sel;
    p->n_sel = 0;
}

/* Write the rows selected for p in the current batch. */
static int pw_flush_sel(struct run *R, struct pw *p, const struct fl_batch *b, int obj,
                        struct fl_error *err)
{
    int rc = pw_write_sel(p, b, obj, err);
    if (rc == FL_OK)
        pw_account(R, p, obj);
    return rc;
}

/* Finish p's file (hidden temp name) and remember it for the commit. */
static int pw_close(struct run *R, struct pw *p, const struct fl_batch *b, int obj,
                    struct fl_error *err)
{
    if (!p->open)
        return FL_OK;
    int rc = pw_flush_sel(R, p, b, obj, err);
    if (rc < 0) {
        fl_pq_writer_abort(p->w);
    } else {
        rc = fl_pq_writer_close(p->w, err);
    }
    p->w = NULL;
    p->open = false;
    if (rc < 0)
        return rc;
    fl__point(R->j, "file");
    if (R->n_files == R->cap_files) {
        size_t nc = R->cap_files ? R->cap_files * 2 : 16;
        FL_RETURN_IF(nc > MAX_FILES, err, FL_ELIMIT, "too many output files in one run");
        struct outfile *f = fl_realloc(R->files, nc * sizeof *f);
        FL_RETURN_IF(!f, err, FL_ENOMEM, "out of memory");
        R->files = f;
        R->cap_files = nc;
    }
    struct outfile *f = &R->files[R->n_files];
    memset(f, 0, sizeof *f);
    f->part = fl_strdup(p->part);
    f->tmp = fl_strdup(p->tmp);
    f->name = fl_strdup(p->name);
    FL_RETURN_IF(!f->part || !f->tmp || !f->name, err, FL_ENOMEM, "out of memory");
    struct stat st;
    f->bytes = stat(p->tmp, &st) == 0 ? (uint64_t)st.st_size : 0;
    f->rows = p->rows;
    f->cs = p->cs; /* ownership moves to the file */
    memset(&p->cs, 0, sizeof p->cs);
    R->n_files++;
    struct fl_error e2; /* no sidecar: readers use the raw file */
    fl__rollup_write_tmp(p->roll, R->j->home, p->part, p->name, f->bytes, f->rows, &f->roll_tmp, &e2);
    return FL_OK;
}

static int pw_open(struct run *R, struct pw *p, const struct fl_str k[3], uint64_t h,
                   int64_t day, int hour, struct fl_error *err)
{
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        p->knull[i] = k[i].p == NULL;
        size_t n = k[i].p ? FL_MIN(k[i].n, (size_t)250) : 0;
        memcpy(p->kbuf + off, k[i].p ? k[i].p : "", n);
        p->kl[i] = (uint16_t)n;
        off += n;
    }
    struct fl_str kk[3];
    off = 0;
    for (int i = 0; i < 3; i++) {
        kk[i] = p->knull[i] ? FL_STR_NULL : (struct fl_str){p->kbuf + off, p->kl[i]};
        off += p->kl[i];
    }
    /* a key longer than what we keep is matched by its hash of the kept
     * bytes; recompute it so that lookups agree */
    p->hash = row_hash(kk, day, hour);
    (void)h;
    p->day = day;
    p->hour = hour;
    struct fl_part_key pk = {kk[0], kk[1], kk[2], day, hour};
    FL_RETURN_IF(!fl_partition_path(&pk, R->o->by_hour, p->part, sizeof p->part), err,
                 FL_ELIMIT, "partition path too long");
    char dir[FL_PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%s/%s", R->j->data, p->part);
    FL_RETURN_IF(n < 0 || (size_t)n >= sizeof dir, err, FL_ELIMIT, "path too long");
    FL_TRY(fl_mkdirs(dir, err));
    snprintf(p->name, sizeof p->name, "part-%06lld-%05llu.parquet", (long long)R->run_id,
             (unsigned long long)++R->seq);
    n = snprintf(p->tmp, sizeof p->tmp, "%s/.%s.tmp", dir, p->name);
    FL_RETURN_IF(n < 0 || (size_t)n >= sizeof p->tmp, err, FL_ELIMIT, "path too long");
    FL_TRY(fl_pq_writer_open(&p->w, p->tmp, &R->wopts, err));
    if (p->roll)
        fl__rollup_reset(p->roll);
    else
        p->roll = fl__rollup_new(); /* NULL: this file gets no rollup */
    p->open = true;
    p->rows = 0;
    p->n_sel = 0;
    return FL_OK;
}

/* The writer for row `row`'s key: an open one, or a new one (closing the
 * least recently used when all slots are taken). */
static int pw_find(struct run *R, const struct fl_batch *b, int obj,
                   const struct fl_str k[3], int64_t day, int hour, struct pw **out,
                   struct fl_error *err)
{
    uint64_t h = row_hash(k, day, hour);
    struct pw *free_slot = NULL, *lru = NULL;
    for (int i = 0; i < R->max_writers; i++) {
        struct pw *p = &R->pws[i];
        if (pw_match(p, h, k, day, hour)) {
            p->last_use = ++R->tick;
            *out = p;
            return FL_OK;
        }
        if (!p->open && !free_slot)
            free_slot = p;
        if (p->open && (!lru || p->last_use < lru->last_use))
            lru = p;
    }
    /* keys longer than kept bytes: compare through the truncated form */
    struct fl_str kt[3];
    bool trunc = false;
    for (int i = 0; i < 3; i++) {
        kt[i] = k[i];
        if (k[i].p && k[i].n > 250) {
            kt[i].n = 250;
            trunc = true;
        }
    }
    if (trunc) {
        uint64_t ht = row_hash(kt, day, hour);
        for (int i = 0; i < R->max_writers; i++)
            if (pw_match(&R->pws[i], ht, kt, day, hour)) {
                *out = &R->pws[i];
                return FL_OK;
            }
    }
    if (!free_slot) {
        FL_TRY(pw_close(R, lru, b, obj, err));
        free_slot = lru;
    }
    FL_TRY(pw_open(R, free_slot, kt, h, day, hour, err));
    free_slot->last_use = ++R->tick;
    *out = free_slot;
    return FL_OK;
}

/* Run one task (either thread; touches only its writer's share). */
static int run_task(struct task *t, const struct fl_batch *b, int obj)
{
    struct pw *p = t->p;
    if (t->part < 0)
        return pw_write_sel(p, b, obj, &t->err);
    const uint32_t *sel = p->n_sel == b->n ? NULL : p->sel;
    FL_TRY(fl_pq_writer_add_part(p->w, b, sel, p->n_sel, t->part, 2, &t->err));
    if (t->part == 0)
        fl__rollup_add(p->roll, b, sel, p->n_sel);
    return FL_OK;
}

/* Take tasks until none is left (either thread).  A task's batch and
 * object are read under the lock when it is taken, and `active` counts
 * tasks in progress, so the main thread never waits for a helper that has
 * not started (on a loaded machine it may not be scheduled for a while). */
static void wp_work(struct wpool *w)
{
    for (;;) {
        pthread_mutex_lock(&w->mu);
        if (w->next >= w->n_tasks) {
            pthread_mutex_unlock(&w->mu);
            return;
        }
        struct task *t = &w->tasks[w->next++];
        const struct fl_batch *b = w->b;
        int obj = w->obj;
        w->active++;
        pthread_mutex_unlock(&w->mu);
        t->rc = run_task(t, b, obj);
        pthread_mutex_lock(&w->mu);
        if (--w->active == 0)
            pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
}

static void *wp_main(void *arg)
{
    struct wpool *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && w->next >= w->n_tasks)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->quit)
            break;
        pthread_mutex_unlock(&w->mu);
        wp_work(w);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static uint32_t task_rows(const struct task *t)
{
    return t->part < 0 ? t->p->n_sel : t->p->n_sel / 2;
}

static int cmp_task(const void *a, const void *b)
{
    uint32_t x = task_rows(a), y = task_rows(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Encode every open writer's selection of batch b, on both threads when
 * there is a helper. */
static int write_all(struct run *R, const struct fl_batch *b, int obj, struct fl_error *err)
{
    struct wpool *w = &R->wp;
    if (!w->started) {
        for (int i = 0; i < R->max_writers; i++)
            if (R->pws[i].open && R->pws[i].n_sel)
                FL_TRY(pw_flush_sel(R, &R->pws[i], b, obj, err));
        return FL_OK;
    }
    int n = 0;
    for (int i = 0; i < R->max_writers; i++) {
        struct pw *p = &R->pws[i];
        if (!p->open || !p->n_sel)
            continue;
        p->split = p->n_sel >= SPLIT_MIN_ROWS && p->n_sel <= fl_pq_writer_room(p->w);
        for (int k = 0; k < (p->split ? 2 : 1); k++)
            w->tasks[n++] = (struct task){p, p->split ? k : -1, FL_OK, {0}};
    }
    if (n == 0)
        return FL_OK;
    if (n == 1)
        return pw_flush_sel(R, w->tasks[0].p, b, obj, err);
    pthread_mutex_lock(&w->mu);
    qsort(w->tasks, (size_t)n, sizeof *w->tasks, cmp_task);
    w->n_tasks = n;
    w->next = 0;
    w->b = b;
    w->obj = obj;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    wp_work(w);
    pthread_mutex_lock(&w->mu);
    while (w->active > 0)
        pthread_cond_wait(&w->cv, &w->mu);
    w->n_tasks = 0;
    w->next = 0;
    pthread_mutex_unlock(&w->mu);
    /* the results (main thread only from here) */
    int rc = FL_OK;
    for (int i = 0; i < n; i++) {
        struct task *t = &w->tasks[i];
        if (t->part > 0)
            continue;
        struct fl_error e;
        int trc = t->rc;
        if (trc < 0)
            e = t->err;
        if (t->part == 0) {
            /* both shares done: count the rows, maybe write a row group */
            for (int k = 0; k < n; k++) {
                const struct task *u = &w->tasks[k];
                if (u->p == t->p && u->part == 1 && u->rc < 0 && trc == FL_OK) {
                    trc = u->rc;
                    e = u->err;
                }
            }
            trc = fl_pq_writer_add_done(t->p->w, t->p->n_sel, trc, &e);
            if (trc == FL_OK && contrib_add(&t->p->cs, obj, t->p->n_sel) < 0)
                trc = fl_error_set(&e, FL_ELIMIT, "too many objects in one file");
        }
        if (trc < 0 && rc == FL_OK) {
            rc = trc;
            if (err)
                *err = e;
        }
        if (trc == FL_OK)
            pw_account(R, t->p, obj);
    }
    return rc;
}

/* Route the rows of one batch of object `obj` to their partitions. */
static int route(struct run *R, const struct fl_batch *b, int obj, struct fl_error *err)
{
    struct pw *prev = NULL;
    struct fl_sref pr[3] = {{0, 0}, {0, 0}, {0, 0}};
    bool pn[3] = {false, false, false};
    int64_t pday = 0;
    int phour = 0;
    static const int kcols[3] = {FL_COL_CLOUD, FL_COL_ACCOUNT, FL_COL_REGION};
    for (uint32_t r = 0; r < b->n; r++) {
        int64_t day;
        int hour;
        fl_part_time(b, r, &day, &hour);
        if (!R->o->by_hour)
            hour = -1;
        bool same = prev && prev->open && day == pday && hour == phour;
        for (int i = 0; same && i < 3; i++) {
            bool nul = fl_is_null(b, kcols[i], r);
            if (nul != pn[i])
                same = false;
            else if (!nul) {
                struct fl_sref s = b->col[kcols[i]].s[r];
                if (s.off != pr[i].off || s.len != pr[i].len)
                    same = false;
            }
        }
        if (!same) {
            struct fl_str k[3];
            for (int i = 0; i < 3; i++) {
                pn[i] = key_of(b, r, kcols[i], &k[i]);
                pr[i] = pn[i] ? (struct fl_sref){0, 0} : b->col[kcols[i]].s[r];
            }
            pday = day;
            phour = hour;
            FL_TRY(pw_find(R, b, obj, k, day, hour, &prev, err));
        }
        prev->sel[prev->n_sel++] = r;
    }
    FL_TRY(write_all(R, b, obj, err));
    uint64_t pending = 0;
    for (int i = 0; i < R->max_writers; i++) {
        struct pw *p = &R->pws[i];
        if (!p->open)
            continue;
        if (p->rows >= R->file_rows)
            FL_TRY(pw_close(R, p, b, obj, err));
        else
            pending += p->rows % R->wopts.row_group_rows;
    }
    while (pending > R->pending_budget) {
        struct pw *big = NULL;
        for (int i = 0; i < R->max_writers; i++) {
            struct pw *p = &R->pws[i];
            if (p->open && (!big || p->rows % R->wopts.row_group_rows >
                                        big->rows % R->wopts.row_group_rows))
                big = p;
        }
        if (!big)
            break;
        pending -= big->rows % R->wopts.row_group_rows;
        FL_TRY(pw_close(R, big, b, obj, err));
    }
    return FL_OK;
}

/* ---- identity of an input object ------------------------------------------ */
static uint64_t hash_fd_range(int fd, uint64_t from, uint64_t len, uint64_t seed,
                              char *buf)
{
    uint64_t h = seed;
    while (len > 0) {
        size_t want = (size_t)FL_MIN(len, (uint64_t)FP_CHUNK);
        ssize_t got = pread(fd, buf, want, (off_t)from);
        if (got <= 0)
            break;
        h = fl_hash_bytes(buf, (size_t)got, h);
        from += (uint64_t)got;
        len -= (uint64_t)got;
    }
    return h;
}

/* size, mtime, fingerprint = hash(first 64 KiB) chained with hash(last
 * 64 KiB) and the size; head_hash = hash(first 64 KiB). */
static int identify(struct obj *o, char *buf, struct fl_error *err)
{
    int fd = open(o->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_error_sys(err, FL_EIO, errno, "%s: cannot open", o->path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fl_error_sys(err, FL_EIO, e, "%s: cannot stat", o->path);
    }
    o->size = (int64_t)st.st_size;
    o->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    uint64_t sz = (uint64_t)st.st_size;
    uint64_t hn = FL_MIN(sz, (uint64_t)FP_CHUNK);
    unsigned char m[2] = {0, 0};
    if (pread(fd, m, 2, 0) == 2)
        o->gz = m[0] == 0x1f && m[1] == 0x8b;
    o->head_hash = hash_fd_range(fd, 0, hn, 0x4844, buf);
    uint64_t tail_from = sz > FP_CHUNK ? sz - FP_CHUNK : 0;
    o->fp = hash_fd_range(fd, tail_from, sz - tail_from, o->head_hash ^ fl_hash64(sz), buf);
    close(fd);
    return FL_OK;
}

static uint64_t prefix_hash(const char *path, uint64_t len, char *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    uint64_t h = hash_fd_range(fd, 0, len, 0x5052, buf);
    close(fd);
    return h;
}

static bool growable_format(const char *f) { return strncmp(f, "azure", 5) == 0; }

/* Decide new / unchanged / grown / changed from the ledger. */
static int classify(struct run *R, struct obj *o, char *buf, struct fl_error *err)
{
    if (strcmp(o->path, "-") == 0) {
        o->status = FL_ST_NEW;
        o->why = "new";
        o->size = -1;
        return FL_OK;
    }
    FL_TRY(identify(o, buf, err));
    if (!R->j->st) {
        o->status = FL_ST_NEW;
        o->why = "new";
        return FL_OK;
    }
    struct fl_ledger_object *prev = fl_malloc(sizeof *prev);
    FL_RETURN_IF(!prev, err, FL_ENOMEM, "out of memory");
    int rc = fl_ledger_object_get(R->j->st, o->key, prev, err);
    if (rc == FL_ENOTFOUND || (rc == FL_OK && prev->state == FL_OBJ_NEW)) {
        o->status = FL_ST_NEW;
        o->why = "new";
        fl_free(prev);
        return FL_OK;
    }
    if (rc < 0) {
        fl_free(prev);
        return rc;
    }
    o->has_prev = true;
    o->prev_state = prev->state;
    fl_strlcpy(o->format, prev->format, strlen(prev->format), sizeof o->format);
    o->prev_read = prev->records_read;
    o->prev_stored = prev->records_stored;
    o->prev_rejected = prev->records_rejected;
    if (prev->state == FL_OBJ_DONE && prev->size == o->size && prev->fingerprint == o->fp) {
        o->status = FL_ST_SKIPPED;
        o->why = "unchanged";
    } else if (prev->state == FL_OBJ_DONE && prev->resume_offset > 0 && !o->gz &&
               growable_format(prev->format) && o->size > prev->size &&
               prefix_hash(o->path, prev->resume_offset, buf) == prev->prefix_hash) {
        o->status = FL_ST_RESUMED;
        o->why = "grown";
        o->start_offset = prev->resume_offset;
        fl_strlcpy(o->format, prev->format, strlen(prev->format), sizeof o->format);
    } else {
        o->status = FL_ST_REPLACED;
        o->why = prev->state == FL_OBJ_FAILED ? "failed before" : "changed";
    }
    fl_free(prev);
    return FL_OK;
}

/* ---- input list -------------------------------------------------------------- */
struct walk_ctx {
    struct run *R;
    struct fl_error *err;
    int rc;
};

static void report_failed(struct run *R, const char *name, const struct fl_error *e)
{
    R->tot->objects++;
    R->tot->failed++;
    if (R->o->on_object) {
        struct fl_ingest_result r = {0};
        r.name = name;
        r.format = "";
        r.status = FL_ST_FAILED;
        r.why = "unreadable";
        r.error = e;
        R->o->on_object(R->o->ctx, &r);
    }
}

static int walk_cb(void *ctx, const char *path, int rc, const struct fl_error *e)
{
    struct walk_ctx *w = ctx;
    struct run *R = w->R;
    if (rc != 0) {
        report_failed(R, path, e);
        return 0;
    }
    if (R->n_objs == R->cap_objs) {
        int nc = R->cap_objs ? R->cap_objs * 2 : 64;
        if (nc > MAX_OBJECTS) {
            w->rc = fl_error_set(w->err, FL_ELIMIT, "more than %d input objects in one run",
                                 MAX_OBJECTS);
            return 1;
        }
        struct obj *no = fl_realloc(R->objs, (size_t)nc * sizeof *no);
        if (!no) {
            w->rc = fl_error_set(w->err, FL_ENOMEM, "out of memory");
            return 1;
        }
        R->objs = no;
        R->cap_objs = nc;
    }
    struct obj *o = &R->objs[R->n_objs];
    memset(o, 0, sizeof *o);
    o->path = fl_strdup(path);
    if (strcmp(path, "-") == 0) {
        char k[64];
        snprintf(k, sizeof k, "stdin#%lld", (long long)R->run_id);
        o->key = fl_strdup(k);
    } else {
        char *rp = realpath(path, NULL);
        o->key = rp ? fl_strdup(rp) : fl_strdup(path);
        free(rp);
    }
    if (!o->path || !o->key) {
        fl_free(o->path);
        fl_free(o->key);
        w->rc = fl_error_set(w->err, FL_ENOMEM, "out of memory");
        return 1;
    }
    /* the same object named twice in one run is ingested once */
    for (int i = 0; i < R->n_objs; i++)
        if (strcmp(R->objs[i].key, o->key) == 0) {
            fl_free(o->path);
            fl_free(o->key);
            return 0;
        }
    R->n_objs++;
    return 0;
}

/* ---- the reader thread ------------------------------------------------------ */
static void *reader_main(void *arg)
{
    struct run *R = arg;
    uint64_t bytes_base = 0; /* input bytes of the objects done */
    for (int i = 0; i < R->n_objs && !R->q.abort; i++) {
        struct obj *o = &R->objs[i];
        if (o->status == FL_ST_SKIPPED || o->status == FL_ST_FAILED)
            continue;
        struct fl_read_opts ro = {0};
        ro.format = R->o->format;
        ro.aws_format = R->o->aws_format;
        ro.strict = R->o->strict;
        ro.display_name = o->key;
        ro.on_reject = R->o->on_reject;
        ro.reject_ctx = R->o->ctx;
        ro.start_offset = o->start_offset;
        fl_reader *r = NULL;
        fl_error_clear(&o->err);
        o->rc = fl_reader_open(&r, o->path, &ro, &o->err);
        while (o->rc == FL_OK) {
            struct fl_batch *b = q_get_batch(&R->q);
            if (!b)
                break;
            fl_batch_reset(b);
            int n = fl_reader_next(r, b, &o->err);
            if (n < 0)
                o->rc = n;
            if (b->n > 0 && R->enr) {
                struct fl_error ee;
                if (fl_enrich_batch(R->enr, b, &ee) < 0 && o->rc == FL_OK) {
                    o->err = ee;
                    o->rc = ee.rc ? ee.rc : FL_EINTERNAL;
                }
            }
            if (R->o->on_progress)
                __atomic_store_n(&R->prog_bytes, bytes_base + fl_reader_stats(r)->bytes_in,
                                 __ATOMIC_RELAXED);
            if (b->n > 0)
                q_push(&R->q, (struct msg){M_BATCH, i, b});
            else
                q_put_batch(&R->q, b);
            if (n <= 0)
                break;
        }
        if (r) {
            o->stats = *fl_reader_stats(r);
            const char *f = fl_reader_format(r);
            if (f)
                fl_strlcpy(o->format, f, strlen(f), sizeof o->format);
            o->resume = fl_reader_resume_offset(r);
            bytes_base += o->stats.bytes_in;
            fl_reader_close(r);
        }
        q_push(&R->q, (struct msg){M_END, i, NULL});
    }
    q_push(&R->q, (struct msg){M_DONE, -1, NULL});
    return NULL;
}

/* ---- commit ------------------------------------------------------------------- */
static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rw_ctx {
    struct run *R;
    char **names;
    uint64_t *rows, *bytes;
    int n, cap;
};

static int rw_cb(void *ctx, const char *name, uint64_t rows, uint64_t bytes)
{
    struct rw_ctx *c = ctx;
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 8;
        char **nn = fl_realloc(c->names, (size_t)nc * sizeof *nn);
        uint64_t *nr = fl_realloc(c->rows, (size_t)nc * sizeof *nr);
        uint64_t *nb = nr ? fl_realloc(c->bytes, (size_t)nc * sizeof *nb) : NULL;
        if (nn)
            c->names = nn;
        if (nr)
            c->rows = nr;
        if (nb)
            c->bytes = nb;
        if (!nn || !nr || !nb)
            return FL_ENOMEM;
        c->cap = nc;
    }
    if (!(c->names[c->n] = fl_strdup(name)))
        return FL_ENOMEM;
    c->rows[c->n] = rows;
    c->bytes[c->n] = bytes;
    c->n++;
    return FL_OK;
}

/* Exec a statement with integer binds. */
static int exec_i64(fl_state *st, const char *sql, int64_t a, int64_t b,
                    struct fl_error *err)
{
    fl_stmt *s;
    FL_TRY(fl_stmt_prepare(st, sql, &s, err));
    fl_stmt_bind_i64(s, 1, a);
    fl_stmt_bind_i64(s, 2, b);
    int rc = fl_stmt_step(s, err);
    fl_stmt_finalize(s);
    return rc < 0 ? rc : FL_OK;
}

/*
 * Stage partition `part` for the replacement of objects: a copy of the live
 * folder in $home/.staging/<n> where every file holding rows of a replaced
 * object is rewritten without them, the others are hard links, and this
 * run's new files of the partition are moved in.  Records the ledger
 * changes (inside the open T1 transaction) and the SWAP/RMTREE ops.
 */
static int stage_partition(struct run *R, const char *part, int idx,
                           const char *const *drop, int n_drop, struct fl_error *err)
{
    struct fl__job *j = R->j;
    char live[FL_PATH_MAX], stage[FL_PATH_MAX], a[FL_PATH_MAX], b2[FL_PATH_MAX];
    int k1 = snprintf(live, sizeof live, "%s/%s", j->data, part);
    int k2 = snprintf(stage, sizeof stage, "%s/r%lld-%d", j->staging, (long long)R->run_id, idx);
    FL_RETURN_IF(k1 < 0 || k2 < 0 || (size_t)k1 >= sizeof live || (size_t)k2 >= sizeof stage,
                 err, FL_ELIMIT, "path too long");
    FL_TRY(fl_mkdirs(stage, err));
    /* live files of the partition and whether they hold replaced rows */
    fl_stmt *s;
    FL_TRY(fl_stmt_prepare(j->st,
                           "SELECT f.id, f.path FROM files f WHERE f.partition=? AND "
                           "f.state=1 AND EXISTS (SELECT 1 FROM file_objects fo JOIN "
                           "objects o ON o.id=fo.object_id WHERE fo.file_id=f.id AND "
                           "o.pending_run=?)",
                           &s, err));
    fl_stmt_bind_text(s, 1, part, strlen(part));
    fl_stmt_bind_i64(s, 2, R->run_id);
    char **aff = NULL;
    int64_t *aff_id = NULL;
    int n_aff = 0, cap_aff = 0, rc;
    while ((rc = fl_stmt_step(s, err)) == 1) {
        if (n_aff == cap_aff) {
            int nc = cap_aff ? cap_aff * 2 : 8;
            char **na = fl_realloc(aff, (size_t)nc * sizeof *na);
            int64_t *ni = na ? fl_realloc(aff_id, (size_t)nc * sizeof *ni) : NULL;
            if (na)
                aff = na;
            if (ni)
                aff_id = ni;
            if (!na || !ni) {
                rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                break;
            }
            cap_aff = nc;
        }
        aff_id[n_aff] = fl_stmt_i64(s, 0);
        int kk = snprintf(a, sizeof a, "%s/%s", j->data, fl_stmt_text(s, 1));
        aff[n_aff] = kk > 0 && (size_t)kk < sizeof a ? fl_strdup(a) : NULL;
        if (!aff[n_aff]) {
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
            break;
        }
        n_aff++;
    }
    fl_stmt_finalize(s);
    struct rw_ctx rc_ctx = {R, NULL, NULL, NULL, 0, 0};
    if (rc >= 0) {
        qsort(aff, (size_t)n_aff, sizeof *aff, cmp_cstr);
        rc = FL_OK;
    }
    /* hard links for everything else that is live in the folder */
    if (rc == FL_OK) {
        DIR *d = opendir(live);
        if (d) {
            struct dirent *e;
            while (rc == FL_OK && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || e->d_name[0] == '_')
                    continue;
                int kk = snprintf(a, sizeof a, "%s/%s", live, e->d_name);
                int kb = snprintf(b2, sizeof b2, "%s/%s", stage, e->d_name);
                if (kk < 0 || kb < 0 || (size_t)kk >= sizeof a || (size_t)kb >= sizeof b2)
                    continue;
                const char *key = a;
                if (bsearch(&key, aff, (size_t)n_aff, sizeof *aff, cmp_cstr))
                    continue;
                struct stat st;
                if (stat(a, &st) != 0 || !S_ISREG(st.st_mode))
                    continue;
                if (link(a, b2) != 0 && errno != EEXIST)
                    rc = fl_error_sys(err, FL_EIO, errno, "cannot link %s", a);
            }
            closedir(d);
        }
    }
    /* rewrite the affected files without the replaced objects' rows */
    if (rc == FL_OK && n_aff > 0) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "part-%06lld-r%d", (long long)R->run_id, idx);
        struct fl__rewrite rw = {0};
        rw.inputs = (const char *const *)aff;
        rw.n_inputs = n_aff;
        rw.drop = drop;
        rw.n_drop = n_drop;
        rw.out_dir = stage;
        rw.prefix = prefix;
        rw.wopts = &R->wopts;
        rw.target_rows = R->file_rows;
        rw.cb = rw_cb;
        rw.ctx = &rc_ctx;
        rc = fl__rewrite_files(&rw, err);
    }
    /* ledger: new rewritten files (pending) inherit the links of the files
     * they replace, minus the replaced objects; old ones become obsolete */
    for (int i = 0; rc == FL_OK && i < rc_ctx.n; i++) {
        int kk = snprintf(a, sizeof a, "%s/%s", part, rc_ctx.names[i]);
        FL_RETURN_IF(kk < 0 || (size_t)kk >= sizeof a, err, FL_ELIMIT, "path too long");
        int64_t fid;
        rc = fl_ledger_file_add(j->st, R->run_id, a, part, rc_ctx.rows[i], rc_ctx.bytes[i],
                                FL_FILE_PENDING, &fid, err);
        if (rc == FL_OK) /* its rollup sidecar, read back (rollup.c) */
            rc = fl__rollup_from_file(j, R->run_id, part, stage, rc_ctx.names[i], rc_ctx.bytes[i],
                                      rc_ctx.rows[i], err);
        for (int m = 0; rc == FL_OK && m < n_aff; m++)
            rc = exec_i64(j->st,
                          "INSERT INTO file_objects(file_id,object_id,rows) "
                          "SELECT ?1, fo.object_id, fo.rows FROM file_objects fo JOIN "
                          "objects o ON o.id=fo.object_id WHERE fo.file_id=?2 AND "
                          "o.pending_run IS NULL AND 1 "
                          "ON CONFLICT(file_id,object_id) DO UPDATE SET "
                          "rows=rows+excluded.rows",
                          fid, aff_id[m], err);
        R->tot->files_written++;
        R->tot->bytes_written += rc_ctx.bytes[i];
    }
    for (int m = 0; rc == FL_OK && m < n_aff; m++)
        rc = exec_i64(j->st, "UPDATE files SET obsoleted_by=?1 WHERE id=?2", R->run_id,
                      aff_id[m], err);
    /* this run's new files of the partition go into the staged folder */
    for (size_t i = 0; rc == FL_OK && i < R->n_files; i++) {
        struct outfile *f = &R->files[i];
        if (!f->tmp || strcmp(f->part, part) != 0)
            continue;
        int kb = snprintf(b2, sizeof b2, "%s/%s", stage, f->name);
        FL_RETURN_IF(kb < 0 || (size_t)kb >= sizeof b2, err, FL_ELIMIT, "path too long");
        if (rename(f->tmp, b2) != 0)
            rc = fl_error_sys(err, FL_EIO, errno, "cannot move %s", f->tmp);
        fl_free(f->tmp);
        f->tmp = NULL; /* staged: no RENAME op for it */
    }
    if (rc == FL_OK) {
        int kk = snprintf(a, sizeof a, "%s/.swap-%lld", stage, (long long)R->run_id);
        FL_RETURN_IF(kk < 0 || (size_t)kk >= sizeof a, err, FL_ELIMIT, "path too long");
        int fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            rc = fl_error_sys(err, FL_EIO, errno, "cannot create %s", a);
        else
            close(fd);
    }
    if (rc == FL_OK)
        rc = fl_fsync_path(stage, err);
    if (rc == FL_OK)
        rc = fl_ledger_op_add(j->st, R->run_id, FL_OP_SWAP, stage, live, err);
    if (rc == FL_OK)
        rc = fl_ledger_op_add(j->st, R->run_id, FL_OP_RMTREE, stage, NULL, err);
    if (rc == FL_OK) {
        int kk = snprintf(a, sizeof a, "%s/.swap-%lld", live, (long long)R->run_id);
        if (kk > 0 && (size_t)kk < sizeof a)
            rc = fl_ledger_op_add(j->st, R->run_id, FL_OP_UNLINK, a, NULL, err);
    }
    for (int i = 0; i < n_aff; i++)
        fl_free(aff[i]);
    fl_free(aff);
    fl_free(aff_id);
    for (int i = 0; i < rc_ctx.n; i++)
        fl_free(rc_ctx.names[i]);
    fl_free(rc_ctx.names);
    fl_free(rc_ctx.rows);
    fl_free(rc_ctx.bytes);
    return rc;
}

static int unmark_non_replaced(struct run *R, struct fl_error *err);

static int commit_run(struct run *R, struct fl_error *err)
{
    struct fl__job *j = R->j;
    fl_state *st = j->st;
    int rc = fl_state_begin(st, err);
    if (rc < 0)
        return rc;
    rc = unmark_non_replaced(R, err);
    /* partitions holding rows of replaced objects */
    char **parts = NULL;
    int n_parts = 0, cap_parts = 0;
    const char **drop = NULL;
    int n_drop = 0;
    for (int i = 0; i < R->n_objs; i++)
        if (R->objs[i].status == FL_ST_REPLACED)
            n_drop++;
    if (n_drop) {
        drop = fl_calloc((size_t)n_drop, sizeof *drop);
        if (!drop && rc == FL_OK)
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
        n_drop = 0;
        for (int i = 0; drop && i < R->n_objs; i++)
            if (R->objs[i].status == FL_ST_REPLACED)
                drop[n_drop++] = R->objs[i].key;
        fl_stmt *s = NULL;
        if (rc == FL_OK)
            rc = fl_stmt_prepare(st,
                                 "SELECT DISTINCT f.partition FROM files f JOIN file_objects "
                                 "fo ON fo.file_id=f.id JOIN objects o ON o.id=fo.object_id "
                                 "WHERE f.state=1 AND o.pending_run=? ORDER BY 1",
                                 &s, err);
        if (rc == FL_OK) {
            fl_stmt_bind_i64(s, 1, R->run_id);
            while ((rc = fl_stmt_step(s, err)) == 1) {
                if (n_parts == cap_parts) {
                    int nc = cap_parts ? cap_parts * 2 : 8;
                    char **np = fl_realloc(parts, (size_t)nc * sizeof *np);
                    if (!np) {
                        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                        break;
                    }
                    parts = np;
                    cap_parts = nc;
                }
                if (!(parts[n_parts] = fl_strdup(fl_stmt_text(s, 0)))) {
                    rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                    break;
                }
                n_parts++;
            }
            if (rc > 0)
                rc = FL_OK;
        }
        fl_stmt_finalize(s);
    }
    /* But only objects being replaced may be dropped: objects merely in
     * progress (new, resumed) keep their pending mark, so the file query
     * above must only see replaced ones - new objects have no live files
     * and resumed ones are excluded here. */
    for (int i = 0; rc == FL_OK && i < n_parts; i++)
        rc = stage_partition(R, parts[i], i, drop, n_drop, err);
    /* plain renames for the other new files */
    for (size_t i = 0; rc == FL_OK && i < R->n_files; i++) {
        struct outfile *f = &R->files[i];
        if (!f->tmp)
            continue;
        char dst[FL_PATH_MAX];
        int k = snprintf(dst, sizeof dst, "%s/%s/%s", j->data, f->part, f->name);
        if (k < 0 || (size_t)k >= sizeof dst) {
            rc = fl_error_set(err, FL_ELIMIT, "path too long");
            break;
        }
        rc = fl_ledger_op_add(st, R->run_id, FL_OP_RENAME, f->tmp, dst, err);
    }
    /* rollup sidecars, published with their files */
    for (size_t i = 0; rc == FL_OK && i < R->n_files; i++) {
        char dst[FL_PATH_MAX];
        if (R->files[i].roll_tmp && fl__rollup_final(R->files[i].roll_tmp, dst, sizeof dst) == FL_OK)
            rc = fl_ledger_op_add(st, R->run_id, FL_OP_RENAME, R->files[i].roll_tmp, dst, err);
    }
    /* files of this run and their objects */
    for (size_t i = 0; rc == FL_OK && i < R->n_files; i++) {
        struct outfile *f = &R->files[i];
        char rel[FL_PATH_MAX];
        int k = snprintf(rel, sizeof rel, "%s/%s", f->part, f->name);
        if (k < 0 || (size_t)k >= sizeof rel) {
            rc = fl_error_set(err, FL_ELIMIT, "path too long");
            break;
        }
        int64_t fid;
        rc = fl_ledger_file_add(st, R->run_id, rel, f->part, f->rows, f->bytes,
                                FL_FILE_PENDING, &fid, err);
        for (size_t c = 0; rc == FL_OK && c < f->cs.n; c++)
            rc = fl_ledger_file_link(st, fid, R->objs[f->cs.c[c].obj].id, f->cs.c[c].rows,
                                     err);
        R->tot->files_written++;
        R->tot->bytes_written += f->bytes;
    }
    /* objects */
    struct fl_ledger_object *lo = fl_malloc(sizeof *lo);
    if (!lo && rc == FL_OK)
        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
    char *buf = fl_malloc(FP_CHUNK);
    if (!buf && rc == FL_OK)
        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
    for (int i = 0; rc == FL_OK && i < R->n_objs; i++) {
        struct obj *o = &R->objs[i];
        if (o->status == FL_ST_SKIPPED)
            continue;
        memset(lo, 0, sizeof *lo);
        fl_strlcpy(lo->key, o->key, strlen(o->key), sizeof lo->key);
        lo->size = o->size;
        lo->mtime_ns = o->mtime_ns;
        lo->fingerprint = o->fp;
        lo->head_hash = o->head_hash;
        fl_strlcpy(lo->format, o->format, strlen(o->format), sizeof lo->format);
        lo->state = o->rc < 0 ? FL_OBJ_FAILED : FL_OBJ_DONE;
        lo->run_id = R->run_id;
        bool add = o->status == FL_ST_RESUMED;
        lo->records_read = o->stats.records_read + (add ? o->prev_read : 0);
        lo->records_stored = o->stored + (add ? o->prev_stored : 0);
        lo->records_rejected = o->stats.records_rejected + (add ? o->prev_rejected : 0);
        if (o->rc == FL_OK && !o->gz && growable_format(o->format) && o->resume > 0 &&
            strcmp(o->path, "-") != 0) {
            lo->resume_offset = o->resume;
            lo->prefix_hash = prefix_hash(o->path, o->resume, buf);
        }
        rc = fl_ledger_object_put(st, lo, NULL, err);
        /* rejected records by reason (flowsift health) */
        if (rc == FL_OK && o->id && !add)
            rc = fl_ledger_rejects_clear(st, o->id, err);
        for (int k = 0; rc == FL_OK && o->id && k < FL_REJ__COUNT; k++)
            rc = fl_ledger_rejects_add(st, o->id, fl_reject_name((enum fl_reject)k),
                                       o->stats.rejected[k], err);
    }
    fl_free(lo);
    fl_free(buf);
    if (rc == FL_OK)
        rc = fl_ledger_run_set(st, R->run_id, FL_RUN_COMMITTING, err);
    if (rc == FL_OK)
        rc = fl_state_commit(st, err);
    if (rc != FL_OK)
        fl_state_rollback(st);
    for (int i = 0; i < n_parts; i++)
        fl_free(parts[i]);
    fl_free(parts);
    fl_free(drop);
    if (rc != FL_OK)
        return rc;
    fl__point(j, "T1");
    return fl__run_finish(j, R->run_id, err);
}

/* ---- the job -------------------------------------------------------------------- */
const char *fl_obj_status_name(int st)
{
    switch (st) {
    case FL_ST_NEW: return "new";
    case FL_ST_SKIPPED: return "skipped";
    case FL_ST_REPLACED: return "replaced";
    case FL_ST_RESUMED: return "resumed";
    case FL_ST_FAILED: return "failed";
    }
    return "?";
}

static void report(struct run *R, struct obj *o)
{
    struct fl_ingest_totals *t = R->tot;
    int status = o->rc < 0 ? FL_ST_FAILED : o->status;
    t->objects++;
    switch (status) {
    case FL_ST_NEW: t->new_objects++; break;
    case FL_ST_SKIPPED: t->skipped++; break;
    case FL_ST_REPLACED: t->replaced++; break;
    case FL_ST_RESUMED: t->resumed++; break;
    default: t->failed++; break;
    }
    bool ran = o->status != FL_ST_SKIPPED && !R->o->dry_run;
    if (ran) {
        t->records_read += o->stats.records_read;
        t->records_stored += o->stored;
        t->records_rejected += o->stats.records_rejected;
    }
    if (!R->o->on_object)
        return;
    struct fl_ingest_result r = {0};
    r.name = o->key;
    r.format = o->format;
    r.status = status;
    r.why = o->why;
    if (ran) {
        r.records_read = o->stats.records_read;
        r.records_stored = o->stored;
        r.records_rejected = o->stats.records_rejected;
        r.stats = &o->stats;
    }
    r.error = o->rc < 0 ? &o->err : NULL;
    R->o->on_object(R->o->ctx, &r);
}

static void run_free(struct run *R)
{
    for (int i = 0; i < R->n_objs; i++) {
        fl_free(R->objs[i].key);
        fl_free(R->objs[i].path);
    }
    fl_free(R->objs);
    if (R->pws) {
        for (int i = 0; i < R->max_writers; i++) {
            if (R->pws[i].open) {
                fl_pq_writer_abort(R->pws[i].w);
                unlink(R->pws[i].tmp);
            }
            fl_free(R->pws[i].sel);
            fl_free(R->pws[i].cs.c);
            fl__rollup_free(R->pws[i].roll);
        }
        fl_free(R->pws);
    }
    for (size_t i = 0; i < R->n_files; i++) {
        fl_free(R->files[i].part);
        if (R->files[i].tmp)
            fl_free(R->files[i].tmp);
        fl_free(R->files[i].name);
        fl_free(R->files[i].roll_tmp);
        fl_free(R->files[i].cs.c);
    }
    fl_free(R->files);
}

/* Mark the objects of this run in progress (one transaction). */
static int mark_in_progress(struct run *R, struct fl_error *err)
{
    fl_state *st = R->j->st;
    FL_TRY(fl_state_begin(st, err));
    int rc = FL_OK;
    fl_stmt *ins = NULL, *get = NULL;
    rc = fl_stmt_prepare(st,
                         "INSERT INTO objects(key,state,pending_run) VALUES(?1,0,?2) "
                         "ON CONFLICT(key) DO UPDATE SET pending_run=?2",
                         &ins, err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(st, "SELECT id FROM objects WHERE key=?", &get, err);
    for (int i = 0; rc == FL_OK && i < R->n_objs; i++) {
        struct obj *o = &R->objs[i];
        if (o->status == FL_ST_SKIPPED || o->status == FL_ST_FAILED)
            continue;
        fl_stmt_reset(ins);
        fl_stmt_bind_text(ins, 1, o->key, strlen(o->key));
        fl_stmt_bind_i64(ins, 2, R->run_id);
        if ((rc = fl_stmt_step(ins, err)) < 0)
            break;
        fl_stmt_reset(get);
        fl_stmt_bind_text(get, 1, o->key, strlen(o->key));
        if ((rc = fl_stmt_step(get, err)) != 1) {
            rc = rc < 0 ? rc : fl_error_set(err, FL_EINTERNAL, "ledger lost %s", o->key);
            break;
        }
        o->id = fl_stmt_i64(get, 0);
        rc = FL_OK;
    }
    fl_stmt_finalize(ins);
    fl_stmt_finalize(get);
    if (rc == FL_OK)
        rc = fl_state_commit(st, err);
    if (rc != FL_OK)
        fl_state_rollback(st);
    return rc;
}

/* Objects only resumed keep their old rows: they must not be seen as
 * "replaced" by the partition query, which selects on pending_run.  Give
 * them back their mark after the commit-time query by clearing it now
 * (they are re-marked DONE in T1 anyway). */
static int unmark_non_replaced(struct run *R, struct fl_error *err)
{
    for (int i = 0; i < R->n_objs; i++) {
        struct obj *o = &R->objs[i];
        if (o->id && o->status != FL_ST_REPLACED)
            FL_TRY(exec_i64(R->j->st,
                            "UPDATE objects SET pending_run=NULL WHERE id=?1 AND ?2=?2",
                            o->id, 0, err));
    }
    return FL_OK;
}

static int open_enricher(struct run *R, struct fl_error *err)
{
    if (R->o->no_enrich || !R->o->config)
        return FL_OK;
    return fl_enricher_open(&R->enr, (const fl_config *)R->o->config, err);
}

int fl_ingest_run(const char *const *paths, int n_paths, const struct fl_ingest_opts *o,
                  struct fl_ingest_totals *tot, struct fl_error *err)
{
    memset(tot, 0, sizeof *tot);
    struct fl__job job;
    struct run R;
    memset(&R, 0, sizeof R);
    R.o = o;
    R.tot = tot;
    R.j = &job;
    int rc;
    char statedb[FL_PATH_MAX];
    int k = snprintf(statedb, sizeof statedb, "%s/state.db", o->home ? o->home : ".");
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof statedb, err, FL_ELIMIT, "home path too long");
    if (o->dry_run) {
        /* read-only: the ledger if there is one, nothing written */
        memset(&job, 0, sizeof job);
        job.lock_fd = -1;
        struct stat sst;
        if (stat(statedb, &sst) == 0)
            FL_TRY(fl_state_open(&job.st, o->home, err));
    } else {
        FL_TRY(fl__job_open(&job, o->home, err));
        job.on_point = o->on_point;
        job.ctx = o->ctx;
        rc = fl_ledger_run_begin(job.st, "ingest", &R.run_id, err);
        if (rc < 0)
            goto out;
    }
    struct walk_ctx wc = {&R, err, FL_OK};
    rc = fl_walk(paths, n_paths, walk_cb, &wc);
    if (wc.rc < 0) {
        rc = wc.rc;
        goto out;
    }
    rc = FL_OK;
    fl__point(&job, "walk");
    char *buf = fl_malloc(FP_CHUNK);
    if (!buf) {
        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < R.n_objs; i++) {
        struct obj *ob = &R.objs[i];
        int crc = classify(&R, ob, buf, &ob->err);
        if (crc < 0) {
            ob->rc = crc;
            ob->status = FL_ST_FAILED;
            ob->why = "unreadable";
        }
    }
    fl_free(buf);
    if (o->dry_run) {
        for (int i = 0; i < R.n_objs; i++)
            report(&R, &R.objs[i]);
        goto out;
    }
    for (int i = 0; i < R.n_objs; i++)
        if (R.objs[i].status == FL_ST_SKIPPED || R.objs[i].status == FL_ST_FAILED)
            report(&R, &R.objs[i]);
    rc = mark_in_progress(&R, err);
    if (rc < 0)
        goto out;
    /* writers */
    fl_pq_write_opts_default(&R.wopts);
    if (o->codec && *o->codec && fl_codec_parse(o->codec, &R.wopts.codec) != FL_OK) {
        rc = fl_error_set(err, FL_EINVAL, "unknown codec '%s'", o->codec);
        goto out;
    }
    if (o->row_group_rows)
        R.wopts.row_group_rows = o->row_group_rows;
    if (!R.wopts.row_group_rows)
        R.wopts.row_group_rows = 1u << 20;
    R.file_rows = o->file_rows ? o->file_rows : 4 * R.wopts.row_group_rows;
    R.pending_budget = o->pending_rows ? o->pending_rows : 3000000;
    R.max_writers = o->max_writers > 0 ? FL_MIN(o->max_writers, 1024) : 32;
    R.pws = fl_calloc((size_t)R.max_writers, sizeof *R.pws);
    if (!R.pws) {
        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
        goto out;
    }
    rc = open_enricher(&R, err);
    if (rc < 0)
        goto out;
    /* the batch pool and the reader thread */
    pthread_mutex_init(&R.q.mu, NULL);
    pthread_cond_init(&R.q.cv, NULL);
    for (int i = 0; i < N_BATCHES; i++) {
        struct fl_batch *b = fl_batch_new(0);
        if (!b) {
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
            break;
        }
        R.q.free_b[R.q.n_free++] = b;
    }
    uint32_t bcap = R.q.n_free ? R.q.free_b[0]->cap : 0;
    for (int i = 0; rc == FL_OK && i < R.max_writers; i++)
        if (!(R.pws[i].sel = fl_malloc((size_t)bcap * sizeof(uint32_t))))
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
    R.wp.tasks = fl_calloc((size_t)R.max_writers * 2, sizeof *R.wp.tasks);
    if (!R.wp.tasks && rc == FL_OK)
        rc = fl_error_set(err, FL_ENOMEM, "out of memory");
    pthread_mutex_init(&R.wp.mu, NULL);
    pthread_cond_init(&R.wp.cv, NULL);
    if (rc == FL_OK && !o->single_writer)
        R.wp.started = pthread_create(&R.wp.th, NULL, wp_main, &R.wp) == 0;
    pthread_t th;
    bool started = false;
    if (rc == FL_OK) {
        if (pthread_create(&th, NULL, reader_main, &R) != 0)
            rc = fl_error_set(err, FL_EINTERNAL, "cannot start the reader thread");
        else
            started = true;
    }
    struct fl_batch *last_b = NULL;
    int last_obj = 0;
    for (int i = 0; i < R.n_objs; i++)
        if (R.objs[i].status != FL_ST_SKIPPED && R.objs[i].status != FL_ST_FAILED)
            R.prog.objects_total++;
    R.prog_t0 = R.prog_last = mono_now();
    while (started) {
        struct msg m = q_pop(&R.q);
        if (m.kind == M_DONE)
            break;
        if (m.kind == M_BATCH) {
            R.prog.records += m.b->n;
            if (rc == FL_OK) {
                rc = route(&R, m.b, m.obj, err);
                fl__point(&job, "batch");
            }
            last_b = m.b;
            last_obj = m.obj;
            q_put_batch(&R.q, m.b);
        } else if (m.kind == M_END) {
            fl__point(&job, "object");
            R.prog.objects_done++;
            report(&R, &R.objs[m.obj]);
        }
        progress(&R);
        if (rc < 0) {
            pthread_mutex_lock(&R.q.mu);
            R.q.abort = true;
            pthread_cond_broadcast(&R.q.cv);
            pthread_mutex_unlock(&R.q.mu);
            /* drain until the reader says it is done */
            for (;;) {
                struct msg d = q_pop(&R.q);
                if (d.kind == M_BATCH)
                    q_put_batch(&R.q, d.b);
                if (d.kind == M_DONE)
                    break;
            }
            break;
        }
    }
    if (started)
        pthread_join(th, NULL);
    if (R.wp.started) {
        pthread_mutex_lock(&R.wp.mu);
        R.wp.quit = true;
        pthread_cond_broadcast(&R.wp.cv);
        pthread_mutex_unlock(&R.wp.mu);
        pthread_join(R.wp.th, NULL);
    }
    pthread_mutex_destroy(&R.wp.mu);
    pthread_cond_destroy(&R.wp.cv);
    fl_free(R.wp.tasks);
    /* close every writer: the files are complete hidden temp files */
    for (int i = 0; rc == FL_OK && i < R.max_writers; i++)
        rc = pw_close(&R, &R.pws[i], last_b, last_obj, err);
    fl__point(&job, "closed");
    if (rc == FL_OK)
        rc = commit_run(&R, err);
    for (int i = 0; i < R.q.n_free; i++)
        fl_batch_free(R.q.free_b[i]);
    if (started || R.q.n_free) {
        pthread_mutex_destroy(&R.q.mu);
        pthread_cond_destroy(&R.q.cv);
    }
    if (R.enr)
        fl_enricher_close(R.enr);
out:
    run_free(&R);
    if (rc < 0 && job.st && !o->dry_run) {
        /* nothing of this run is visible yet unless T1 committed: roll back
         * now (the next job would do it too) */
        struct fl_error e2;
        fl__recover(&job, &e2);
    }
    if (o->dry_run)
        fl_state_close(job.st);
    else
        fl__job_close(&job);
    return rc < 0 ? rc : FL_OK;
}
