/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_scan.c - the dataset scan under `FROM flows` / `FROM vpc_flow_logs`.
 * It walks $FLOWSIFT_HOME/data (docs/dataset.md: Hive key=value folders,
 * names starting with '.' or '_' ignored), turns the folder names into the
 * partition columns (cloud, account, region, date, hour, and vpc_flow_logs'
 * `day` text), and prunes in three steps before any page is decoded:
 *   1. partitions: every WHERE conjunct that reads only partition columns
 *      is evaluated on the folder values; a partition where it is not TRUE
 *      is skipped without opening its files;
 *   2. row groups: conjuncts `col <op> constant`, BETWEEN, IN lists and
 *      IS [NOT] NULL on file columns are checked against the row group's
 *      min/max/null-count statistics (fl_pq_rg_stats);
 *   3. columns: only the columns the query touches are read (fl_pq_read).
 * Rows are decoded in batches of FL_BATCH_ROWS into one reused fl_batch and
 * handed to the consumer one row of slots at a time.  A NULL consumer is a
 * dry run (EXPLAIN): pruning is counted, nothing is read.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "query/query_int.h"
#include "fl/fl_store.h"

struct qfile {
    char *path;
    char *dir;          /* partition folder (for counting partitions) */
    struct qval part[6]; /* cloud, account, region, date, hour, day */
};

struct flist {
    struct qfile *v;
    size_t n, cap;
    size_t limit; /* max files */
};

enum { P_CLOUD, P_ACCOUNT, P_REGION, P_DATE, P_HOUR, P_DAY };

static int part_slot(int p)
{
    switch (p) {
    case P_CLOUD: return FL_COL_CLOUD;
    case P_ACCOUNT: return FL_COL_ACCOUNT;
    case P_REGION: return FL_COL_REGION;
    case P_DATE: return QCOL_DATE;
    case P_HOUR: return QCOL_HOUR;
    default: return QCOL_DAY;
    }
}

static bool is_part_slot(int slot)
{
    return slot == FL_COL_CLOUD || slot == FL_COL_ACCOUNT || slot == FL_COL_REGION ||
           slot == QCOL_DATE || slot == QCOL_HOUR || slot == QCOL_DAY;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Hive-unescape into the arena. */
static char *unescape(struct qctx *q, const char *s, size_t n, size_t *outn)
{
    char *d = fl__qarena_alloc(&q->ast, n + 1);
    if (!d)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n + 0 && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
            d[k++] = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
            i += 2;
        } else {
            d[k++] = s[i];
        }
    }
    d[k] = 0;
    *outn = k;
    return d;
}

int fl__qparse_date(const char *s, size_t n, int64_t *days);

/* Apply one "key=value" folder name to the partition values; *which is the
 * P_ key it set (P_DATE also sets P_DAY), or -1. */
static int apply_kv(struct qctx *q, const char *name, struct qval *part, int *which)
{
    *which = -1;
    const char *eq = strchr(name, '=');
    if (!eq)
        return FL_OK;
    size_t kn = (size_t)(eq - name);
    const char *val = eq + 1;
    size_t vn = strlen(val);
    bool isnull = strcmp(val, "__HIVE_DEFAULT_PARTITION__") == 0;
    int p = -1;
    if (fl_str_ieq(name, kn, "cloud", 5))
        p = P_CLOUD;
    else if (fl_str_ieq(name, kn, "account", 7))
        p = P_ACCOUNT;
    else if (fl_str_ieq(name, kn, "region", 6))
        p = P_REGION;
    else if (fl_str_ieq(name, kn, "date", 4))
        p = P_DATE;
    else if (fl_str_ieq(name, kn, "hour", 4))
        p = P_HOUR;
    if (p < 0)
        return FL_OK;
    *which = p;
    if (isnull) {
        part[p] = QV_NULL;
        return FL_OK;
    }
    size_t un;
    char *u = unescape(q, val, vn, &un);
    if (!u)
        return FL_ENOMEM;
    if (p == P_DATE) {
        int64_t d;
        if (fl__qparse_date(u, un, &d) != FL_OK)
            return FL_OK; /* not ours: stays NULL */
        part[P_DATE].t = QT_DATE;
        part[P_DATE].i = d;
        int64_t y;
        unsigned m, dd;
        fl_civil_from_days(d, &y, &m, &dd);
        char buf[32];
        int k = snprintf(buf, sizeof buf, "%04lld/%02u/%02u", (long long)y, m, dd);
        char *t = fl__qarena_strdup(&q->ast, buf, (size_t)k);
        if (!t)
            return FL_ENOMEM;
        part[P_DAY].t = QT_STR;
        part[P_DAY].s = t;
        part[P_DAY].n = (uint32_t)k;
    } else if (p == P_HOUR) {
        int64_t h;
        if (fl_parse_i64(u, un, &h) == FL_OK) {
            part[P_HOUR].t = QT_INT;
            part[P_HOUR].i = h;
        }
    } else {
        part[p].t = QT_STR;
        part[p].s = u;
        part[p].n = (uint32_t)un;
    }
    return FL_OK;
}

/*
 * Pruning while walking (a real run; EXPLAIN walks everything to count what
 * it skips): a WHERE conjunct on partition columns only is evaluated as soon
 * as the folders above have given every column it reads, and a folder where
 * it is not TRUE is not opened.  Below a day's folder there is one folder
 * per hour or the files, so a one-day query over 30 days opens 1 date folder
 * of 30 instead of all of them.  The per-file check after the walk stays:
 * it decides for the files of folders this could not judge.
 */
struct wprune {
    struct qnode **conj; /* the partition-only conjuncts */
    unsigned *mask;      /* the P_ keys each one reads */
    int n;
    struct qeval *ev;    /* evaluates over row */
    struct qval *row;    /* ev->row: the scan's row (partition slots set here) */
};

static int part_key(int slot)
{
    for (int p = 0; p < 6; p++)
        if (part_slot(p) == slot)
            return p;
    return -1;
}

static unsigned part_mask(const struct qnode *n)
{
    if (!n)
        return 0;
    unsigned m = 0;
    if (n->kind == N_SLOT && part_key(n->slot) >= 0)
        m |= 1u << part_key(n->slot);
    for (int i = 0; i < n->nargs; i++)
        m |= part_mask(n->a[i]);
    return m;
}

/* Is a folder whose keys `known` give `part` (the last one `which`) out? */
static int dir_pruned(struct wprune *wp, const struct qval *part, unsigned known, int which, bool *out)
{
    *out = false;
    for (int k = 0; k < wp->n && !*out; k++) {
        unsigned m = wp->mask[k];
        if (!(m & (1u << which)) || (m & ~known))
            continue;
        for (int p = 0; p < 6; p++)
            wp->row[part_slot(p)] = part[p];
        fl__qarena_reset(&wp->ev->tmp);
        int ok = fl__qeval_pred(wp->ev, wp->conj[k]);
        if (ok < 0)
            return ok;
        *out = !ok;
    }
    return FL_OK;
}

static int walk(struct qctx *q, struct flist *fl, const char *dir, const struct qval *part, unsigned known,
                struct wprune *wp, int depth)
{
    if (depth > 12)
        return FL_OK;
    DIR *d = opendir(dir);
    if (!d)
        return depth == 0 ? FL_ENOTFOUND : FL_OK;
    char **names = NULL;
    size_t nn = 0, cn = 0;
    int rc = FL_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_')
            continue;
        if (nn == cn) {
            cn = cn ? cn * 2 : 64;
            char **nv = fl_realloc(names, cn * sizeof *nv);
            if (!nv) {
                rc = FL_ENOMEM;
                break;
            }
            names = nv;
        }
        /* the first byte carries the entry type from readdir (no stat) */
        size_t ln = strlen(e->d_name);
        names[nn] = fl_malloc(ln + 2);
        if (!names[nn]) {
            rc = FL_ENOMEM;
            break;
        }
        names[nn][0] = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : '?';
        memcpy(names[nn] + 1, e->d_name, ln + 1);
        nn++;
    }
    closedir(d);
    /* sorted: a deterministic file order */
    for (size_t i = 1; i < nn; i++)
        for (size_t j = i; j > 0 && strcmp(names[j] + 1, names[j - 1] + 1) < 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; i < nn && rc == FL_OK; i++) {
        const char *name = names[i] + 1;
        size_t ln = strlen(name);
        bool is_file = names[i][0] == 'f';
        if (is_file && (ln < 8 || strcmp(name + ln - 8, ".parquet") != 0))
            continue;
        size_t pl = strlen(dir) + ln + 2;
        char *path = fl__qarena_alloc(&q->ast, pl);
        if (!path) {
            rc = FL_ENOMEM;
            break;
        }
        snprintf(path, pl, "%s/%s", dir, name);
        bool is_dir = names[i][0] == 'd';
        if (names[i][0] == '?') { /* the file system did not say: stat */
            struct stat st;
            if (stat(path, &st) != 0)
                continue;
            is_dir = S_ISDIR(st.st_mode);
            is_file = S_ISREG(st.st_mode);
        }
        if (is_dir) {
            struct qval p2[6];
            memcpy(p2, part, sizeof p2);
            int which;
            rc = apply_kv(q, name, p2, &which);
            unsigned k2 = known;
            if (which >= 0)
                k2 |= 1u << which | (which == P_DATE ? 1u << P_DAY : 0);
            bool out = false;
            if (rc == FL_OK && wp && which >= 0)
                rc = dir_pruned(wp, p2, k2, which, &out);
            if (rc == FL_OK && !out)
                rc = walk(q, fl, path, p2, k2, wp, depth + 1);
        } else if (is_file) {
            if (ln < 8 || strcmp(name + ln - 8, ".parquet") != 0)
                continue;
            if (fl->n == fl->cap) {
                size_t ncap = fl->cap ? fl->cap * 2 : 256;
                if (ncap > fl->limit) {
                    rc = FL_ELIMIT;
                    break;
                }
                struct qfile *nv = fl_realloc(fl->v, ncap * sizeof *nv);
                if (!nv) {
                    rc = FL_ENOMEM;
                    break;
                }
                fl->v = nv;
                fl->cap = ncap;
            }
            struct qfile *f = &fl->v[fl->n++];
            f->path = path;
            f->dir = fl__qarena_strdup(&q->ast, dir, strlen(dir));
            memcpy(f->part, part, sizeof f->part);
            if (!f->dir)
                rc = FL_ENOMEM;
        }
    }
    for (size_t i = 0; i < nn; i++)
        fl_free(names[i]);
    fl_free(names);
    return rc;
}

/* ---- conjuncts ---------------------------------------------------------------------- */
static int split_and(struct qnode *n, struct qnode **out, int max, int k)
{
    if (!n || k >= max)
        return k;
    if (n->kind == N_AND) {
        k = split_and(n->a[0], out, max, k);
        return split_and(n->a[1], out, max, k);
    }
    out[k++] = n;
    return k;
}

/* Does n read only partition slots (and at least one)?  -1: reads others. */
static int part_only(const struct qnode *n)
{
    if (!n)
        return 0;
    if (n->kind == N_SLOT)
        return is_part_slot(n->slot) ? 1 : -1;
    if (n->kind == N_AGG)
        return -1;
    int any = 0;
    for (int i = 0; i < n->nargs; i++) {
        int r = part_only(n->a[i]);
        if (r < 0)
            return -1;
        any |= r;
    }
    if (n->kind == N_INSUB) {
        int r = part_only(n->a[0]);
        return r;
    }
    return any;
}

/* The one string file column that conjunct n reads, if it reads only that
 * column and constants through operators that cannot fail (so evaluating
 * it for a dictionary value that no row reaching it has is harmless);
 * -1 otherwise, -2 for no column yet. */
static int single_str_col(const struct qnode *n, int col)
{
    switch (n->kind) {
    case N_LIT:
        return col;
    case N_SLOT:
        if (n->slot >= FL_NCOLS || is_part_slot(n->slot) || fl_fields[n->slot].type != FL_STR ||
            (col >= 0 && col != n->slot))
            return -1;
        return n->slot;
    case N_CMP:
    case N_INLIST:
    case N_ISNULL:
    case N_BETWEEN:
    case N_AND:
    case N_OR:
    case N_NOT:
        for (int i = 0; i < n->nargs && col != -1; i++)
            col = single_str_col(n->a[i], col);
        return col;
    default:
        return -1;
    }
}

/* A string column with WHERE conjuncts that read only it: they are
 * evaluated once per dictionary entry of each row group (memoized), and a
 * row whose code fails is dropped before its other columns are even
 * copied into the row; the column's value is the dictionary string itself
 * (no copy into the batch). */
#define MAXDC 8
struct dcol {
    int col;
    int nconj;
    const struct qnode *conj[8];
};

/* Group the conjuncts conj[0..nconj) that read one string column by that
 * column (at most MAXDC columns, 8 conjuncts each) into dc; *ndone = how
 * many conjuncts the groups hold.  Returns the number of columns. */
static int plan_dict_cols(struct qnode *const *conj, int nconj, struct dcol *dc, int *ndone)
{
    int ndc = 0;
    *ndone = 0;
    for (int k = 0; k < nconj; k++) {
        int c = single_str_col(conj[k], -2);
        if (c < 0)
            continue;
        int d = 0;
        while (d < ndc && dc[d].col != c)
            d++;
        if (d == ndc) {
            if (ndc == MAXDC)
                continue;
            dc[ndc].col = c;
            dc[ndc].nconj = 0;
            ndc++;
        }
        if (dc[d].nconj < 8) {
            dc[d].conj[dc[d].nconj++] = conj[k];
            (*ndone)++;
        }
    }
    return ndc;
}

int fl__qscan_dict_cols(const struct qsel *s, int *cols, int max)
{
    struct qnode *conj[128];
    struct dcol dc[MAXDC];
    int ndone, nconj = split_and(s->where, conj, 128, 0);
    int ndc = plan_dict_cols(conj, nconj, dc, &ndone), n = 0;
    for (int d = 0; d < ndc && n < max; d++)
        cols[n++] = dc[d].col;
    return n;
}

/* Can the row group be skipped for conjunct c?  Uses statistics only. */
static bool rg_skip(fl_pq_reader *r, int rg, const struct qnode *c)
{
    const struct qnode *col = NULL, *lo = NULL, *hi = NULL;
    int op = 0;
    if (c->kind == N_ISNULL && c->a[0]->kind == N_SLOT && c->a[0]->slot < FL_NCOLS &&
        !is_part_slot(c->a[0]->slot)) {
        struct fl_pq_colstats st;
        if (fl_pq_rg_stats(r, rg, c->a[0]->slot, &st) != FL_OK || !st.has_null_count)
            return false;
        if (!c->neg)
            return st.null_count == 0;
        return st.null_count == fl_pq_rg_rows(r, rg);
    }
    if (c->kind == N_CMP) {
        if (c->a[0]->kind == N_SLOT && c->a[1]->kind == N_LIT) {
            col = c->a[0];
            lo = hi = c->a[1];
            op = c->op;
        } else if (c->a[1]->kind == N_SLOT && c->a[0]->kind == N_LIT) {
            col = c->a[1];
            lo = hi = c->a[0];
            switch (c->op) { /* mirror */
            case TK_LT: op = TK_GT; break;
            case TK_LE: op = TK_GE; break;
            case TK_GT: op = TK_LT; break;
            case TK_GE: op = TK_LE; break;
            default: op = c->op; break;
            }
        }
    } else if (c->kind == N_BETWEEN && !c->neg && c->a[0]->kind == N_SLOT && c->a[1]->kind == N_LIT &&
               c->a[2]->kind == N_LIT) {
        col = c->a[0];
        lo = c->a[1];
        hi = c->a[2];
        op = -1;
    } else if (c->kind == N_INLIST && !c->neg && c->a[0]->kind == N_SLOT) {
        for (int i = 1; i < c->nargs; i++)
            if (c->a[i]->kind != N_LIT)
                return false;
        col = c->a[0];
        op = -2;
    }
    if (!col || col->slot >= FL_NCOLS || is_part_slot(col->slot) || op == TK_NE)
        return false;
    struct fl_pq_colstats st;
    if (fl_pq_rg_stats(r, rg, col->slot, &st) != FL_OK || !st.has_minmax)
        return false;
    struct qval mn = QV_NULL, mx = QV_NULL;
    if (fl_fields[col->slot].type == FL_STR) {
        mn.t = mx.t = QT_STR;
        mn.s = st.min_s.p;
        mn.n = (uint32_t)st.min_s.n;
        mx.s = st.max_s.p;
        mx.n = (uint32_t)st.max_s.n;
    } else {
        mn.t = mx.t = QT_INT;
        mn.i = st.min_i;
        mx.i = st.max_i;
    }
    /* literal types must be comparable with the column's */
    #define CMPOK(l) ((l)->lit.t == mn.t || ((l)->lit.t == QT_DBL && mn.t == QT_INT))
    if (op == -2) {
        for (int i = 1; i < c->nargs; i++) {
            const struct qval *v = &c->a[i]->lit;
            if (!CMPOK(c->a[i]) || v->t == QT_NULL)
                continue;
            if (fl__qval_cmp(v, &mn) >= 0 && fl__qval_cmp(v, &mx) <= 0)
                return false;
        }
        return true; /* no list value can be in [min, max] (NULL items never match) */
    }
    if (lo->lit.t == QT_NULL || hi->lit.t == QT_NULL)
        return true; /* comparison with NULL is never TRUE */
    if (!CMPOK(lo) || !CMPOK(hi))
        return false;
    switch (op) {
    case TK_EQ: return fl__qval_cmp(&lo->lit, &mn) < 0 || fl__qval_cmp(&lo->lit, &mx) > 0;
    case TK_LT: return fl__qval_cmp(&mn, &lo->lit) >= 0;
    case TK_LE: return fl__qval_cmp(&mn, &lo->lit) > 0;
    case TK_GT: return fl__qval_cmp(&mx, &lo->lit) <= 0;
    case TK_GE: return fl__qval_cmp(&mx, &lo->lit) < 0;
    case -1: return fl__qval_cmp(&mx, &lo->lit) < 0 || fl__qval_cmp(&mn, &hi->lit) > 0;
    default: return false;
    }
    #undef CMPOK
}

/* A row group to read. */
struct witem {
    uint32_t file;
    int rg;
    uint64_t rows;
};

struct worker {
    struct qctx *q;
    const struct dcol *dc;
    int ndc;
    bool dc_all;  /* the dictionary filters and the partition pruning are the whole WHERE */
    struct qsel *s;
    struct flist *fl;
    const struct witem *items;
    size_t n;
    const int *cols;
    int ncols;
    struct qeval *ev;
    qrow_fn fn;
    void *ctx;
    int rc;
};

/*
 * A read batch with arrays for the scanned columns only: fl_batch_new
 * allocates and zeroes every catalog column (megabytes, most of the fixed
 * cost of a small query).  The columns not read share one `valid` array
 * (fl_pq_read sets them NULL) and have no value arrays.  Free with
 * scan_batch_free, not fl_batch_free.
 */
static void scan_batch_free(struct fl_batch *b, const int *cols, int ncols)
{
    if (!b)
        return;
    for (int c = 0; c < ncols; c++) {
        fl_free(b->col[cols[c]].valid);
        fl_free(b->col[cols[c]].s);
        fl_free(b->col[cols[c]].i);
    }
    fl_free(b->arena);
    fl_free(b);
}

static struct fl_batch *scan_batch_new(const int *cols, int ncols, uint8_t **shared_out)
{
    uint32_t cap = FL_BATCH_ROWS;
    struct fl_batch *b = fl_calloc(1, sizeof *b);
    uint8_t *shared = fl_malloc(cap);
    *shared_out = shared;
    if (!b || !shared) {
        fl_free(b);
        return NULL;
    }
    b->cap = cap;
    for (int c = 0; c < FL_NCOLS; c++)
        b->col[c].valid = shared;
    bool ok = true;
    for (int k = 0; k < ncols; k++) {
        struct fl_column *col = &b->col[cols[k]];
        col->valid = fl_malloc(cap);
        if (fl_fields[cols[k]].type == FL_STR)
            col->s = fl_malloc(cap * sizeof *col->s);
        else
            col->i = fl_malloc(cap * sizeof *col->i);
        ok = ok && col->valid && (col->s || col->i);
    }
    b->arena_cap = (size_t)cap * 64;
    b->arena_limit = (size_t)1 << 31; /* offsets are 32-bit */
    b->arena = fl_malloc(b->arena_cap);
    if (!ok || !b->arena) {
        scan_batch_free(b, cols, ncols);
        return NULL;
    }
    return b;
}

/* Read the row groups w->items[0..n) and feed every row to w->fn.  Opens
 * each file once for consecutive items. */
static int scan_items(struct worker *w)
{
    struct qctx *q = w->q;
    struct qsel *s = w->s;
    struct qval *row = fl_calloc((size_t)QSCAN_NCOLS, sizeof *row);
    uint8_t *shared_valid = NULL;
    struct fl_batch *b = scan_batch_new(w->cols, w->ncols, &shared_valid);
    if (!row || !b) {
        fl_free(row);
        scan_batch_free(b, w->cols, w->ncols);
        fl_free(shared_valid);
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    }
    struct dstate {
        int32_t *codes;
        uint8_t *memo;        /* per code: 0 unknown, 1 keep, 2 drop; [nd] = NULL */
        uint32_t memocap, nd; /* nd = UINT32_MAX: dictionary not loaded */
        const struct fl_str *dict;
        bool on;              /* this batch has codes */
    } dicts[MAXDC];
    memset(dicts, 0, sizeof dicts);
    int bcols[FL_NCOLS];
    for (int d = 0; d < w->ndc; d++) {
        dicts[d].nd = UINT32_MAX;
        dicts[d].codes = fl_malloc(b->cap * sizeof(int32_t));
        if (!dicts[d].codes) {
            for (int e = 0; e < d; e++)
                fl_free(dicts[e].codes);
            fl_free(row);
            scan_batch_free(b, w->cols, w->ncols);
            fl_free(shared_valid);
            return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
        }
    }
    struct qeval *ev = w->ev;
    ev->row = row;
    int rc = FL_OK;
    fl_pq_reader *r = NULL;
    uint32_t cur = UINT32_MAX;
    struct fl_error perr;
    fl_error_clear(&perr);
    for (size_t k = 0; k < w->n && rc == FL_OK; k++) {
        const struct witem *it = &w->items[k];
        struct qfile *f = &w->fl->v[it->file];
        if (it->file != cur) {
            if (r)
                fl_pq_close(r);
            r = NULL;
            cur = it->file;
            if (fl_pq_open(&r, f->path, &perr) != FL_OK) {
                rc = fl__qerr(q, s->table_pos, perr.rc ? perr.rc : FL_EIO, "cannot read %s: %s", f->path,
                              perr.msg);
                break;
            }
            for (int i = 0; i < QSCAN_NCOLS; i++)
                row[i] = QV_NULL;
            for (int p = 0; p < 6; p++)
                row[part_slot(p)] = f->part[p];
        }
        if (k == 0 || it->file != w->items[k - 1].file || it->rg != w->items[k - 1].rg)
            for (int d = 0; d < w->ndc; d++)
                dicts[d].nd = UINT32_MAX; /* a new row group: a new dictionary */
        for (uint64_t r0 = 0; r0 < it->rows && rc == FL_OK;) {
            if ((rc = fl__qdeadline(q)) != FL_OK)
                break; /* the time limit: checked once per batch */
            fl_batch_reset(b);
            uint32_t want = (uint32_t)FL_MIN((uint64_t)b->cap, it->rows - r0);
            /* dictionary codes of the filter columns, values of the rest */
            int nb = 0;
            for (int c = 0; c < w->ncols; c++) {
                int d = 0;
                while (d < w->ndc && w->dc[d].col != w->cols[c])
                    d++;
                if (d == w->ndc) {
                    bcols[nb++] = w->cols[c];
                    continue;
                }
                struct dstate *ds = &dicts[d];
                const struct fl_str *dict;
                uint32_t nd;
                int g = fl_pq_read_codes(r, it->rg, r0, want, w->dc[d].col, ds->codes, &dict, &nd, &perr);
                ds->on = g == (int)want;
                if (!ds->on) {
                    if (g < 0 && g != FL_EUNSUPPORTED && g != FL_ENOTFOUND) {
                        rc = fl__qerr(q, s->table_pos, g, "cannot read %s: %s", f->path, perr.msg);
                        break;
                    }
                    bcols[nb++] = w->cols[c]; /* PLAIN pages: values */
                    continue;
                }
                if (ds->nd != nd || ds->dict != dict) {
                    if (nd + 1 > ds->memocap) {
                        uint8_t *m = fl_realloc(ds->memo, (size_t)nd + 1);
                        if (!m) {
                            rc = fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
                            break;
                        }
                        ds->memo = m;
                        ds->memocap = nd + 1;
                    }
                    memset(ds->memo, 0, (size_t)nd + 1); /* memo[nd] = NULL */
                    ds->dict = dict;
                    ds->nd = nd;
                }
            }
            if (rc != FL_OK)
                break;
            int got = fl_pq_read(r, it->rg, r0, want, bcols, nb, b, &perr);
            if (got < 0) {
                rc = fl__qerr(q, s->table_pos, got, "cannot read %s: %s", f->path, perr.msg);
                break;
            }
            if (got == 0)
                break;
            r0 += (uint64_t)got;
            bool all_on = w->dc_all;
            for (int d = 0; d < w->ndc; d++)
                all_on = all_on && dicts[d].on;
            ev->where_done = all_on;
            for (int i = 0; i < got && rc == FL_OK; i++) {
                bool keep = true;
                for (int d = 0; d < w->ndc && keep; d++) {
                    struct dstate *ds = &dicts[d];
                    if (!ds->on)
                        continue;
                    int32_t code = ds->codes[i];
                    uint32_t mi = code < 0 || (uint32_t)code >= ds->nd ? ds->nd : (uint32_t)code;
                    struct qval *v = &row[w->dc[d].col];
                    if (mi == ds->nd) {
                        *v = QV_NULL;
                    } else {
                        v->t = QT_STR;
                        v->s = ds->dict[mi].p;
                        v->n = (uint32_t)ds->dict[mi].n;
                    }
                    if (!ds->memo[mi]) { /* first row with this value */
                        uint8_t m = 1;
                        for (int c = 0; c < w->dc[d].nconj && m == 1; c++) {
                            fl__qarena_reset(&ev->tmp);
                            int ok = fl__qeval_pred(ev, w->dc[d].conj[c]);
                            if (ok < 0) {
                                rc = ok;
                                break;
                            }
                            if (!ok)
                                m = 2;
                        }
                        ds->memo[mi] = m;
                    }
                    keep = ds->memo[mi] == 1;
                }
                if (!keep || rc != FL_OK)
                    continue;
                for (int c = 0; c < nb; c++) {
                    int col = bcols[c];
                    struct qval *v = &row[col];
                    const struct fl_column *bc = &b->col[col];
                    if (!bc->valid[i]) {
                        v->t = QT_NULL;
                    } else if (bc->s) {
                        v->t = QT_STR;
                        v->s = b->arena + bc->s[i].off;
                        v->n = bc->s[i].len;
                    } else {
                        v->t = QT_INT;
                        v->i = bc->i[i];
                    }
                }
                rc = w->fn(w->ctx, ev);
            }
        }
    }
    ev->where_done = false;
    if (r)
        fl_pq_close(r);
    for (int d = 0; d < w->ndc; d++) {
        fl_free(dicts[d].codes);
        fl_free(dicts[d].memo);
    }
    scan_batch_free(b, w->cols, w->ncols);
    fl_free(shared_valid);
    fl_free(row);
    ev->row = NULL;
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->rc = scan_items(w);
    return NULL;
}

_Thread_local qpar_fn fl__qscan_par_check;

int fl__qscan(struct qctx *q, struct qsel *s, struct qeval *ev, qrow_fn fn, void *ctx)
{
    struct qeval *evs[1] = {ev};
    void *ctxs[1] = {ctx};
    return fl__qscan_mt(q, s, evs, fn, ctxs, 1);
}

int fl__qscan_mt(struct qctx *q, struct qsel *s, struct qeval **evs, qrow_fn fn, void **ctxs, int nthr)
{
    struct flist fl = {.limit = 1u << 22};
    struct qval part0[6];
    for (int i = 0; i < 6; i++)
        part0[i] = QV_NULL;
    size_t hl = strlen(q->home) + 8;
    char *root = fl__qarena_alloc(&q->ast, hl);
    if (!root)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    snprintf(root, hl, "%s/data", q->home);
    struct qnode *conj[128];
    int nconj = split_and(s->where, conj, 128, 0);
    struct qval *row = fl_calloc((size_t)QSCAN_NCOLS, sizeof *row);
    if (!row)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    for (int i = 0; i < QSCAN_NCOLS; i++)
        row[i] = QV_NULL;
    struct qeval *ev = evs[0];
    ev->row = row;
    /* a conjunct on partition columns only is constant in a file and was
     * TRUE for every file the pruning keeps: no row evaluates it */
    struct qnode *pconj[128];
    unsigned pmask[128];
    int npart = 0;
    for (int k = 0; k < nconj; k++)
        if (part_only(conj[k]) == 1) {
            pconj[npart] = conj[k];
            pmask[npart++] = part_mask(conj[k]);
        }
    struct wprune wp = {pconj, pmask, npart, ev, row};
    int rc = walk(q, &fl, root, part0, 0, fn && npart ? &wp : NULL, 0);
    if (rc == FL_ENOTFOUND) {
        rc = FL_OK; /* no dataset yet: an empty table */
    } else if (rc < 0) {
        ev->row = NULL;
        fl_free(row);
        fl_free(fl.v);
        return fl__qerr(q, s->table_pos, rc, "cannot list the dataset under %s: %s", root, fl_strerror(rc));
    }
    /* the columns to read: file columns only */
    int cols[FL_NCOLS];
    int ncols = 0;
    for (int c = 0; c < FL_NCOLS; c++)
        if (s->need[c] && !(fl_fields[c].flags & FL_PART))
            cols[ncols++] = c;
    /* WHERE conjuncts on one string column: filtered on dictionary codes */
    struct dcol dc[MAXDC];
    int ndone = 0;
    int ndc = q->generic_agg ? 0 : plan_dict_cols(conj, nconj, dc, &ndone);
    bool dc_all = s->where && ndone + npart == nconj && nconj < 128;
    struct witem *items = NULL;
    size_t nitems = 0, capitems = 0;
    uint64_t total_rows = 0;
    const char *last_dir = NULL;
    bool last_skip = false;
    /* 1. partitions, 2. row groups (footers only): the work list */
    for (size_t fi = 0; fi < fl.n && rc == FL_OK; fi++) {
        if ((fi & 15) == 0 && (rc = fl__qdeadline(q)) != FL_OK)
            break; /* the time limit, every 16 footers */
        struct qfile *f = &fl.v[fi];
        bool newpart = !last_dir || strcmp(last_dir, f->dir) != 0;
        if (newpart) {
            q->st_parts++;
            last_dir = f->dir;
        }
        q->st_files++;
        for (int i = 0; i < QSCAN_NCOLS; i++)
            row[i] = QV_NULL;
        for (int p = 0; p < 6; p++)
            row[part_slot(p)] = f->part[p];
        bool skip = false;
        if (newpart) {
            for (int k = 0; k < nconj && !skip; k++) {
                if (part_only(conj[k]) != 1)
                    continue;
                fl__qarena_reset(&ev->tmp);
                int ok = fl__qeval_pred(ev, conj[k]);
                if (ok < 0) {
                    rc = ok;
                    break;
                }
                if (!ok)
                    skip = true;
            }
            last_skip = skip;
            if (skip)
                q->st_parts_skipped++;
        } else {
            skip = last_skip;
        }
        if (rc < 0)
            break;
        if (skip) {
            q->st_files_skipped++;
            continue;
        }
        fl_pq_reader *r = NULL;
        struct fl_error perr;
        fl_error_clear(&perr);
        if (fl_pq_open(&r, f->path, &perr) != FL_OK) {
            rc = fl__qerr(q, s->table_pos, perr.rc ? perr.rc : FL_EIO, "cannot read %s: %s", f->path,
                          perr.msg);
            break;
        }
        int nrg = fl_pq_num_row_groups(r);
        for (int rg = 0; rg < nrg; rg++) {
            q->st_rgs++;
            bool rskip = false;
            for (int k = 0; k < nconj && !rskip; k++)
                rskip = rg_skip(r, rg, conj[k]);
            if (rskip) {
                q->st_rgs_skipped++;
                continue;
            }
            uint64_t nrows = fl_pq_rg_rows(r, rg);
            q->st_rows_read += nrows;
            q->st_cols_read += (uint64_t)ncols;
            if (nitems == capitems) {
                size_t nc = capitems ? capitems * 2 : 256;
                struct witem *ni = fl_realloc(items, nc * sizeof *ni);
                if (!ni) {
                    rc = fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
                    break;
                }
                items = ni;
                capitems = nc;
            }
            items[nitems].file = (uint32_t)fi;
            items[nitems].rg = rg;
            items[nitems].rows = nrows;
            nitems++;
            total_rows += nrows;
        }
        fl_pq_close(r);
    }
    ev->row = NULL;
    fl_free(row);
    /* 3. read: one or two threads over contiguous halves; with two, thread 0
     * first reads the first row group alone so the executor can see how
     * many groups an aggregation makes per row before a second thread is
     * started (then items 1.. are split). */
    size_t first = 0;
    if (rc == FL_OK && fn && nitems && nthr > 1 && nitems > 2 && total_rows >= q->par_min_rows &&
        fl__qscan_par_check) {
        struct worker w0;
        memset(&w0, 0, sizeof w0);
        w0.q = q;
        w0.s = s;
        w0.fl = &fl;
        w0.items = items;
        w0.n = 1;
        w0.cols = cols;
        w0.ncols = ncols;
        w0.dc = dc;
        w0.ndc = ndc;
        w0.dc_all = dc_all;
        w0.ev = evs[0];
        w0.fn = fn;
        w0.ctx = ctxs[0];
        rc = scan_items(&w0);
        first = 1;
        total_rows -= items[0].rows;
        if (rc == FL_OK && !fl__qscan_par_check(ctxs[0], items[0].rows))
            nthr = 1;
    }
    if (rc == FL_OK && fn && nitems > first) {
        struct worker w[2];
        memset(w, 0, sizeof w);
        size_t split = nitems;
        if (nthr > 1 && nitems - first > 1 && total_rows + (first ? items[0].rows : 0) >= q->par_min_rows) {
            uint64_t acc = 0;
            for (split = first; split < nitems && acc + items[split].rows / 2 < total_rows / 2; split++)
                acc += items[split].rows;
            if (split <= first)
                split = first + 1;
            if (split >= nitems)
                split = nitems - 1;
        }
        for (int t = 0; t < 2; t++) {
            w[t].q = q;
            w[t].s = s;
            w[t].fl = &fl;
            w[t].items = t == 0 ? items + first : items + split;
            w[t].n = t == 0 ? split - first : nitems - split;
            w[t].cols = cols;
            w[t].ncols = ncols;
            w[t].dc = dc;
            w[t].ndc = ndc;
            w[t].dc_all = dc_all;
            w[t].ev = evs[t < nthr ? t : 0];
            w[t].fn = fn;
            w[t].ctx = ctxs[t < nthr ? t : 0];
        }
        pthread_t th;
        bool started = false;
        if (w[1].n > 0) {
            q->threads_running = true;
            started = pthread_create(&th, NULL, worker_main, &w[1]) == 0;
            if (!started)
                q->threads_running = false;
        }
        rc = scan_items(&w[0]);
        if (started) {
            pthread_join(th, NULL);
            q->threads_running = false;
            if (rc >= 0 && w[1].rc < 0)
                rc = w[1].rc;
            if (rc == 1 || w[1].rc == 1)
                rc = rc < 0 ? rc : 1;
        } else if (w[1].n > 0 && rc == FL_OK) {
            rc = scan_items(&w[1]); /* no thread: serially */
        }
    }
    fl_free(items);
    fl_free(fl.v);
    return rc;
}
