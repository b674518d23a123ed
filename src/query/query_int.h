/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_int.h - the internals of the SQL engine shared by its files: the
 * token stream (query_lex.c), the AST kept in an arena (query_parse.c), name
 * and type binding (query_resolve.c), the expression evaluator and scalar
 * functions (query_func.c), aggregation (query_agg.c), the dataset scan with
 * partition and row-group pruning (query_scan.c), the SELECT executor
 * (query_exec.c) and result output (query_out.c).
 *
 * Pipeline: text -> tokens -> AST (struct qsel / struct qnode) -> resolved
 * AST (column references become row slots, aggregates become slots of the
 * group row) -> execution: scan -> filter -> aggregate | project -> distinct
 * -> sort / top-N -> offset/limit -> result rows (struct qrows).
 */
#ifndef FL_QUERY_INT_H
#define FL_QUERY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <time.h>

#include "common/common_int.h"
#include "fl/fl_query.h"

/* ---- values --------------------------------------------------------------- */
/* Runtime value types are the public enum fl_qtype; QT_* are short names. */
#define QT_NULL FL_QT_NULL
#define QT_BOOL FL_QT_BOOL
#define QT_INT FL_QT_BIGINT
#define QT_DBL FL_QT_DOUBLE
#define QT_STR FL_QT_VARCHAR
#define QT_DATE FL_QT_DATE
#define QT_TS FL_QT_TIMESTAMP
#define QT_IDS FL_QT_INTERVAL_DS
#define QT_IYM FL_QT_INTERVAL_YM

/* A value: 16 bytes.  Strings point into a batch, an arena or the text. */
struct qval {
    union {
        int64_t i;     /* BOOL, INT, DATE, TS, intervals */
        double d;      /* DBL */
        const char *s; /* STR bytes (not NUL-terminated) */
    };
    uint32_t n; /* STR length */
    uint8_t t;  /* QT_* (QT_NULL = NULL) */
};
#define QV_NULL ((struct qval){.i = 0, .n = 0, .t = QT_NULL})

/* ---- arena: chunked bump allocator charged to the memory budget ----------- */
struct qmem {               /* the query's memory budget */
    uint64_t limit;         /* bytes */
    uint64_t used;          /* bytes charged */
};
struct qarena_blk;
struct qarena {
    struct qarena_blk *head; /* newest block */
    size_t pos, cap;         /* bump position in head */
    struct qmem *mem;        /* budget charged per block (may be NULL) */
};
void fl__qarena_init(struct qarena *a, struct qmem *mem);
void fl__qarena_free(struct qarena *a);
/* Allocate n bytes (8-aligned); NULL when out of memory or budget. */
void *fl__qarena_alloc(struct qarena *a, size_t n);
char *fl__qarena_strdup(struct qarena *a, const char *p, size_t n);
/* Forget all allocations but keep the newest block (per-row scratch). */
void fl__qarena_reset(struct qarena *a);
/* Charge / release bytes against the budget; FL_OK or FL_ENOMEM. */
int fl__qmem_charge(struct qmem *m, size_t n);
void fl__qmem_release(struct qmem *m, size_t n);

/* ---- tokens --------------------------------------------------------------- */
enum qtok {
    TK_EOF = 0, TK_IDENT, TK_QIDENT, TK_STRING, TK_INT, TK_FLOAT,
    TK_LP, TK_RP, TK_COMMA, TK_DOT, TK_STAR, TK_PLUS, TK_MINUS, TK_SLASH,
    TK_PERCENT, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_CONCAT,
    TK_SEMI, TK_ILLEGAL
};
struct qtoken {
    enum qtok k;
    uint32_t pos; /* byte offset of the first character */
    uint32_t len; /* bytes */
};
/* Next token of sql starting at *pos; skips blanks and comments. */
struct qtoken fl__qlex_next(const char *sql, size_t n, uint32_t *pos);

/* ---- AST ------------------------------------------------------------------ */
enum qnk {
    N_LIT,      /* lit */
    N_COL,      /* name (+ qual) before resolution */
    N_SLOT,     /* slot after resolution */
    N_NEG,      /* -a[0] */
    N_ARITH,    /* a[0] op a[1]: op = '+' '-' '*' '/' '%' */
    N_CONCAT,   /* a[0] || a[1] */
    N_CMP,      /* a[0] op a[1]: op = TK_EQ.. TK_GE */
    N_AND, N_OR, N_NOT,
    N_ISNULL,   /* neg: IS NOT NULL */
    N_BETWEEN,  /* a[0] BETWEEN a[1] AND a[2]; neg */
    N_INLIST,   /* a[0] IN (a[1..]); neg */
    N_INSUB,    /* a[0] IN (sub); neg */
    N_LIKE,     /* a[0] LIKE a[1] [ESCAPE a[2]]; neg */
    N_CASE,     /* a[0] = operand or NULL, then (when, then)*, else (nargs odd) */
    N_CAST,     /* a[0] AS ctype; try */
    N_FUNC,     /* fn(a...) */
    N_AGG,      /* aggregate call (before resolution) */
    N_SUBQ,     /* scalar subquery */
    N_STAR,     /* '*' in a select list or count(*) */
};

struct qsel;
struct qnode {
    uint8_t kind;     /* enum qnk */
    uint8_t type;     /* result type (QT_*) after resolution */
    uint8_t op;       /* operator (N_ARITH/N_CMP) or cast target type */
    uint8_t neg;      /* NOT variant; for N_AGG: DISTINCT */
    uint8_t trycast;  /* TRY_CAST */
    uint8_t is_const; /* folded: lit holds the value */
    uint16_t fn;      /* function / aggregate id */
    uint32_t pos;     /* offset in the text (errors point here) */
    int nargs;
    struct qnode **a;
    struct qval lit;            /* N_LIT value */
    const char *name;           /* N_COL / N_FUNC name (in the text) */
    uint32_t name_len;
    const char *qual;           /* N_COL qualifier or NULL */
    uint32_t qual_len;
    int slot;                   /* N_SLOT */
    struct qsel *sub;           /* N_SUBQ / N_INSUB */
    void *aux;                  /* compiled pattern, IN set, CIDR ... */
};

struct qitem {
    struct qnode *e;
    const char *alias; /* NUL-terminated, arena */
    uint32_t pos;
};
struct qorder {
    struct qnode *e;
    bool desc;
    int nulls; /* 0 default (NULLS LAST, as Trino), 1 first, 2 last */
    int col;   /* output column after resolution */
};
struct qcte {
    const char *name;
    uint32_t name_len;
    struct qsel *sel;
    struct qrows *rows; /* materialized */
    struct qcte *next;
};

/* A source's columns: the scan (catalog + partition columns) or a derived
 * table (a CTE or a subquery in FROM). */
struct qschema {
    int n;
    const char **names; /* NUL-terminated */
    uint8_t *types;
};

struct qagg;
struct qsel {
    struct qcte *ctes;     /* WITH list (outermost first) */
    bool distinct;
    int nitems;
    struct qitem *items;
    /* FROM */
    bool has_from;
    const char *table;     /* table name (NUL-terminated) or NULL for a subquery */
    uint32_t table_pos;
    const char *alias;
    struct qsel *from_sub; /* FROM (subquery) */
    struct qnode *where;
    int ngroup;
    struct qnode **group;
    struct qnode *having;
    int norder;
    struct qorder *order;
    int64_t limit;  /* -1 = none */
    int64_t offset;
    uint32_t pos;   /* of SELECT */
    struct qsel *parent; /* enclosing query (CTE lookup) */
    /* ---- resolution ---- */
    int src_kind;           /* SRC_NONE, SRC_SCAN, SRC_ROWS */
    bool vpc_table;         /* vpc_flow_logs */
    struct qcte *src_cte;   /* SRC_ROWS: CTE or FROM subquery result */
    struct qschema src;     /* source columns */
    bool *need;             /* source columns touched (src.n) */
    bool aggregate;         /* GROUP BY or aggregates present */
    int naggs;
    struct qagg *aggs;      /* aggregate calls (args over the source) */
    int nout;               /* visible output columns */
    int nproj;              /* nout + hidden sort columns */
    struct qnode **proj;    /* projection exprs (over source or group row) */
    const char **out_names;
    uint8_t *out_types;
    struct qsel *next_sub;  /* list of subqueries to run first */
};
enum { SRC_NONE = 0, SRC_SCAN = 1, SRC_ROWS = 2 };

/* Aggregate ids. */
enum qaggfn {
    AG_COUNT_STAR = 1, AG_COUNT, AG_COUNT_IF, AG_SUM, AG_AVG, AG_MIN, AG_MAX,
    AG_MIN_BY, AG_MAX_BY, AG_APPROX_DISTINCT, AG_APPROX_PERCENTILE, AG_STDDEV,
    AG_STDDEV_POP, AG_VARIANCE, AG_VAR_POP, AG_ARBITRARY, AG_BOOL_AND, AG_BOOL_OR
};
struct qagg {
    int fn;            /* enum qaggfn */
    bool distinct;
    struct qnode *arg; /* NULL for count(*) */
    struct qnode *arg2;/* min_by/max_by key, percentile */
    double pct;        /* approx_percentile fraction */
    uint8_t type;      /* result type */
};

/* ---- result rows ------------------------------------------------------------ */
struct qrows {
    int ncols;
    const char **names;
    uint8_t *types;
    size_t nrows, cap;   /* rows */
    struct qval *v;      /* nrows * ncols */
    struct qarena strs;  /* string bytes */
    struct qmem *mem;
};
int fl__qrows_init(struct qrows *r, int ncols, struct qmem *mem);
void fl__qrows_free(struct qrows *r);
/* Append a row of ncols values (strings copied). FL_OK or FL_ENOMEM. */
int fl__qrows_add(struct qrows *r, const struct qval *row, struct fl_error *err);

/* ---- the query --------------------------------------------------------------- */
struct qctx {
    const char *sql;
    size_t sql_len;
    struct qarena ast;     /* AST, names, constants */
    struct qmem mem;       /* budget */
    int64_t now_us;
    const char *home;
    int threads;
    uint64_t par_min_rows; /* rows from which the scan uses 2 threads */
    bool generic_agg;      /* FLOWSIFT_QUERY_GENERIC_AGG: never query_fastagg.c */
    struct fl_error *err;
    bool explain;
    struct fl_buf explain_out; /* EXPLAIN text */
    /* scan statistics (EXPLAIN and tests) */
    uint64_t st_parts, st_parts_skipped, st_files, st_files_skipped;
    uint64_t st_rgs, st_rgs_skipped, st_rows_read, st_cols_read;
    bool threads_running;  /* scan threads active: keep the first error */
    bool err_set;
    pcre2_code *re[64];    /* compiled constant patterns (freed at the end) */
    int nre;
    /* time limit (opts->timeout_ms): CLOCK_MONOTONIC ns, 0 = none */
    int64_t deadline_ns;
    atomic_bool timed_out; /* a check saw the deadline pass (any thread) */
};

/* The deadline check of every long loop: FL_OK, or FL_ETIMEOUT once the
 * query's time limit has passed (fl_query_run writes the message after the
 * threads are joined).  One clock read (vDSO, ~20 ns): call it per batch or
 * every FL_QDEADLINE_EVERY rows, not per row. */
#define FL_QDEADLINE_EVERY 4096u
static inline int fl__qdeadline(struct qctx *q)
{
    if (!q->deadline_ns)
        return FL_OK;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec < q->deadline_ns)
        return FL_OK;
    atomic_store_explicit(&q->timed_out, true, memory_order_relaxed);
    return FL_ETIMEOUT;
}

/* Report an error at text offset pos: "line L, column C: msg". */
int fl__qerr(struct qctx *q, uint32_t pos, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* query_parse.c */
int fl__qparse(struct qctx *q, struct qsel **out, bool *explain);
/* query_resolve.c */
int fl__qresolve(struct qctx *q, struct qsel *s);
/* Catalog schema: the `flows` table (and `vpc_flow_logs` with `day`). */
#define QCOL_DATE FL_NCOLS
#define QCOL_HOUR (FL_NCOLS + 1)
#define QCOL_DAY (FL_NCOLS + 2)
#define QSCAN_NCOLS (FL_NCOLS + 3)

/* query_func.c: expression evaluation over one row of slots. */
struct qeval {
    struct qctx *q;
    const struct qval *row; /* slots */
    struct qarena tmp;      /* per-row scratch (reset by the caller) */
    pcre2_match_data *md;
    bool where_done;        /* the scan already applied all of WHERE to this row */
};
int fl__qeval(struct qeval *ev, const struct qnode *n, struct qval *out);
/* 1 = TRUE, 0 = FALSE or NULL, < 0 error. */
int fl__qeval_pred(struct qeval *ev, const struct qnode *n);
int fl__qfunc_lookup(const char *name, size_t n);
int fl__qagg_lookup(const char *name, size_t n);
/* Resolve-time checks and constant preparation of a function call
 * (argument count and types, result type, compile regexes). */
int fl__qfunc_bind(struct qctx *q, struct qnode *n);
/* Comparison for sorting/grouping: NULLs equal each other. */
int fl__qval_cmp(const struct qval *a, const struct qval *b);
bool fl__qval_eq(const struct qval *a, const struct qval *b);
uint64_t fl__qval_hash(const struct qval *v, uint64_t seed);
/* Format a value as text (SQL CAST to VARCHAR); returns the length. */
size_t fl__qval_format(const struct qval *v, char *buf, size_t cap);
/* Cast v to type t.  FL_OK, or FL_EINVAL (bad value) with err set. */
int fl__qcast(struct qeval *ev, const struct qval *v, int t, struct qval *out, bool trycast,
              uint32_t pos);
const char *fl__qtype_name(int t);

/* The result of IN (SELECT ...), or a long constant IN list, kept in the
 * node's aux. */
struct qinset {
    size_t n;
    struct qval *v; /* sorted, no NULLs */
    bool has_null;
};
/* At resolve time: turn a constant IN list of one type and at least 8 values
 * into a sorted qinset (per row: a binary search, not one compare per value). */
int fl__qinlist_compile(struct qctx *q, struct qnode *n);
/* fl__qval_cmp for qsort over struct qval. */
int fl__qval_qsort_cmp(const void *a, const void *b);

/* query_agg.c */
struct qgroups;
int fl__qgroups_new(struct qctx *q, struct qsel *s, struct qgroups **out);
void fl__qgroups_free(struct qgroups *g);
/* Feed one source row (slots). */
int fl__qgroups_add(struct qgroups *g, struct qeval *ev);
/* Produce the group rows (keys then aggregate values, ngroup + naggs slots)
 * one at a time to fn (a return > 0 stops early, < 0 is an error); a query
 * without GROUP BY produces one row even for no input. */
typedef int (*qgroup_fn)(void *ctx, const struct qval *row);
int fl__qgroups_finish(struct qgroups *g, qgroup_fn fn, void *ctx);
/* Merge the groups of src into dst (src's groups after dst's in first-seen
 * order); src is left to be freed. */
int fl__qgroups_merge(struct qgroups *dst, struct qgroups *src);
size_t fl__qgroups_count(const struct qgroups *g);

/* query_fastagg.c: the packed-key, partitioned, two-thread aggregation for
 * GROUP BY on VARCHAR / integer keys with count, sum, min, max.  Thread t
 * (0 or 1; thread 0 reads the first half of the scan) feeds rows with
 * fl__qfast_add; fl__qfast_merge folds thread 1's table into thread 0's
 * (in parallel over partitions); fl__qfast_finish produces the group rows
 * (as fl__qgroups_finish: keys, then aggregates) in first-seen order. */
struct qfast;
bool fl__qfast_ok(const struct qsel *s);
int fl__qfast_new(struct qctx *q, struct qsel *s, int nthr, struct qfast **out);
void fl__qfast_free(struct qfast *f);
int fl__qfast_add(struct qfast *f, int t, struct qeval *ev);
int fl__qfast_merge(struct qfast *f);
int fl__qfast_finish(struct qfast *f, qgroup_fn fn, void *ctx);

/* query_scan.c: the dataset walk.  For each row that reaches the consumer,
 * ev->row holds the source slots. */
typedef int (*qrow_fn)(void *ctx, struct qeval *ev);
int fl__qscan(struct qctx *q, struct qsel *s, struct qeval *ev, qrow_fn fn, void *ctx);
/* The same with nthr (1 or 2) threads: thread t feeds evs[t] / ctxs[t]; the
 * row groups are split into contiguous halves of about equal rows, so thread
 * 0 sees the first rows in scan order and thread 1 the rest. */
int fl__qscan_mt(struct qctx *q, struct qsel *s, struct qeval **evs, qrow_fn fn, void **ctxs,
                 int nthr);
/* Set by the executor before fl__qscan_mt: called after thread 0 has read
 * the first row group (rows_seen rows); returns true if a second thread
 * pays off (false: a high-cardinality aggregation, whose serial merge would
 * cost more than the parallel scan saves). */
typedef bool (*qpar_fn)(void *ctx0, uint64_t rows_seen);
extern _Thread_local qpar_fn fl__qscan_par_check;

/* The string columns whose WHERE conjuncts the scan evaluates once per
 * dictionary entry (EXPLAIN); returns how many (at most max). */
int fl__qscan_dict_cols(const struct qsel *s, int *cols, int max);

/* query_exec.c */
int fl__qexec(struct qctx *q, struct qsel *s, struct qrows *out);

#endif
