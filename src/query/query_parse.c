/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_parse.c - recursive-descent parser of flowsift's SQL dialect (a
 * Trino/Athena subset, docs/query.md).  It pulls tokens from query_lex.c and
 * builds the AST (struct qsel, struct qnode) in the query's arena; nothing is
 * resolved here except literals (DATE/TIMESTAMP/INTERVAL text is parsed so
 * that a bad literal points at itself).  Recursion depth is capped so that a
 * hostile query ("((((...") fails with a positioned error, never a crash.
 * Also home of the positioned error helper and the arena.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "query/query_int.h"

#define MAX_DEPTH 200

/* ---- arena --------------------------------------------------------------- */
struct qarena_blk {
    struct qarena_blk *prev;
    size_t cap;
    char data[];
};

void fl__qarena_init(struct qarena *a, struct qmem *mem)
{
    a->head = NULL;
    a->pos = a->cap = 0;
    a->mem = mem;
}

void fl__qarena_free(struct qarena *a)
{
    struct qarena_blk *b = a->head;
    while (b) {
        struct qarena_blk *p = b->prev;
        if (a->mem)
            fl__qmem_release(a->mem, b->cap + sizeof *b);
        fl_free(b);
        b = p;
    }
    a->head = NULL;
    a->pos = a->cap = 0;
}

void *fl__qarena_alloc(struct qarena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->pos + n > a->cap) {
        size_t cap = a->head ? a->head->cap * 2 : 4096;
        if (cap > (1u << 20))
            cap = 1u << 20;
        if (cap < n)
            cap = n;
        if (a->mem && fl__qmem_charge(a->mem, cap + sizeof(struct qarena_blk)) != FL_OK)
            return NULL;
        struct qarena_blk *b = fl_malloc(sizeof *b + cap);
        if (!b) {
            if (a->mem)
                fl__qmem_release(a->mem, cap + sizeof *b);
            return NULL;
        }
        b->prev = a->head;
        b->cap = cap;
        a->head = b;
        a->pos = 0;
        a->cap = cap;
    }
    void *p = a->head->data + a->pos;
    a->pos += n;
    return p;
}

void fl__qarena_reset(struct qarena *a)
{
    struct qarena_blk *b = a->head;
    if (!b)
        return;
    struct qarena_blk *p = b->prev;
    while (p) {
        struct qarena_blk *pp = p->prev;
        if (a->mem)
            fl__qmem_release(a->mem, p->cap + sizeof *p);
        fl_free(p);
        p = pp;
    }
    b->prev = NULL;
    a->pos = 0;
}

char *fl__qarena_strdup(struct qarena *a, const char *p, size_t n)
{
    char *d = fl__qarena_alloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

/* The budget is shared by the scan threads: updated atomically. */
int fl__qmem_charge(struct qmem *m, size_t n)
{
    uint64_t u = __atomic_add_fetch(&m->used, (uint64_t)n, __ATOMIC_RELAXED);
    if (u > m->limit) {
        __atomic_sub_fetch(&m->used, (uint64_t)n, __ATOMIC_RELAXED);
        return FL_ENOMEM;
    }
    return FL_OK;
}

void fl__qmem_release(struct qmem *m, size_t n)
{
    __atomic_sub_fetch(&m->used, (uint64_t)n, __ATOMIC_RELAXED);
}

/* ---- errors ---------------------------------------------------------------- */
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

int fl__qerr(struct qctx *q, uint32_t pos, int rc, const char *fmt, ...)
{
    if (!q->err)
        return rc;
    pthread_mutex_lock(&err_lock);
    if (q->err_set) { /* the first error of a query wins (scan threads) */
        pthread_mutex_unlock(&err_lock);
        return rc;
    }
    uint64_t line = 1, col = 1;
    for (uint32_t i = 0; i < pos && i < q->sql_len; i++) {
        if (q->sql[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    fl_error_set(q->err, rc, "line %llu, column %llu: %s", (unsigned long long)line,
                 (unsigned long long)col, m);
    q->err->line = line;
    q->err->offset = col;
    q->err_set = q->threads_running;
    pthread_mutex_unlock(&err_lock);
    return rc;
}

/* ---- parser ---------------------------------------------------------------- */
struct parser {
    struct qctx *q;
    struct qtoken tk; /* current token */
    uint32_t next;    /* offset after tk */
    int depth;
};

static void advance(struct parser *p)
{
    p->tk = fl__qlex_next(p->q->sql, p->q->sql_len, &p->next);
}

static bool tk_is_kw(const struct parser *p, const struct qtoken *t, const char *kw)
{
    return t->k == TK_IDENT && fl_str_ieq(p->q->sql + t->pos, t->len, kw, strlen(kw));
}
static bool is_kw(const struct parser *p, const char *kw) { return tk_is_kw(p, &p->tk, kw); }
static bool accept_kw(struct parser *p, const char *kw)
{
    if (!is_kw(p, kw))
        return false;
    advance(p);
    return true;
}

static int syntax(struct parser *p, const char *what)
{
    if (p->tk.k == TK_EOF)
        return fl__qerr(p->q, p->tk.pos, FL_EPARSE, "syntax error: unexpected end of query, expected %s",
                        what);
    if (p->tk.k == TK_ILLEGAL) {
        uint32_t n = FL_MIN(p->tk.len, 40);
        const char *nl = memchr(p->q->sql + p->tk.pos, '\n', n);
        if (nl)
            n = (uint32_t)(nl - (p->q->sql + p->tk.pos));
        if (p->tk.len > 1 && p->q->sql[p->tk.pos] == '\'')
            return fl__qerr(p->q, p->tk.pos, FL_EPARSE, "syntax error: unterminated string \"%.*s\"",
                            (int)n, p->q->sql + p->tk.pos);
        return fl__qerr(p->q, p->tk.pos, FL_EPARSE, "syntax error: invalid token \"%.*s\"", (int)n,
                        p->q->sql + p->tk.pos);
    }
    return fl__qerr(p->q, p->tk.pos, FL_EPARSE, "syntax error at \"%.*s\": expected %s",
                    (int)FL_MIN(p->tk.len, 40), p->q->sql + p->tk.pos, what);
}

static int expect_kw(struct parser *p, const char *kw)
{
    if (!accept_kw(p, kw))
        return syntax(p, kw);
    return FL_OK;
}
static int expect(struct parser *p, enum qtok k, const char *what)
{
    if (p->tk.k != k)
        return syntax(p, what);
    advance(p);
    return FL_OK;
}

static const char *const reserved[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION",
    "JOIN", "ON", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN", "LIKE", "CASE",
    "WHEN", "THEN", "ELSE", "END", "DISTINCT", "WITH", "CROSS", "INNER", "LEFT", "RIGHT",
    "FULL", "EXCEPT", "INTERSECT", "ESCAPE", "TRUE", "FALSE", "ALL", "USING", "NATURAL",
    "EXISTS", "CAST", "FETCH", "ASC", "DESC", "NULLS", "INTERVAL", "OUTER", "WINDOW", "OVER",
};
static bool is_reserved(const struct parser *p, const struct qtoken *t)
{
    if (t->k != TK_IDENT)
        return false;
    for (size_t i = 0; i < FL_ARRAY_LEN(reserved); i++)
        if (tk_is_kw(p, t, reserved[i]))
            return true;
    return false;
}

#define NOMEM(p) fl__qerr((p)->q, (p)->tk.pos, FL_ENOMEM, "out of memory while parsing")

static struct qnode *newnode(struct parser *p, int kind, uint32_t pos, int nargs)
{
    struct qnode *n = fl__qarena_alloc(&p->q->ast, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->pos = pos;
    n->nargs = nargs;
    n->slot = -1;
    if (nargs) {
        n->a = fl__qarena_alloc(&p->q->ast, sizeof *n->a * (size_t)nargs);
        if (!n->a)
            return NULL;
        memset(n->a, 0, sizeof *n->a * (size_t)nargs);
    }
    return n;
}

/* Unquote a quoted token into the arena ('' or "" doubled quotes). */
static char *unquote(struct parser *p, const struct qtoken *t, size_t *len)
{
    const char *s = p->q->sql + t->pos + 1;
    size_t n = t->len - 2;
    char q = p->q->sql[t->pos];
    char *d = fl__qarena_alloc(&p->q->ast, n + 1);
    if (!d)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        d[k++] = s[i];
        if (s[i] == q && i + 1 < n && s[i + 1] == q)
            i++;
    }
    d[k] = 0;
    *len = k;
    return d;
}

/* Identifier text (quoted or not) into the arena. */
static char *ident_text(struct parser *p, const struct qtoken *t, size_t *len)
{
    if (t->k == TK_QIDENT)
        return unquote(p, t, len);
    *len = t->len;
    return fl__qarena_strdup(&p->q->ast, p->q->sql + t->pos, t->len);
}

static bool is_ident(const struct parser *p)
{
    return p->tk.k == TK_QIDENT || (p->tk.k == TK_IDENT && !is_reserved(p, &p->tk));
}

static int parse_select(struct parser *p, struct qsel **out);
static int parse_expr(struct parser *p, struct qnode **out);

/* ---- literal helpers --------------------------------------------------------- */
/* Parse 'yyyy-mm-dd' into days.  FL_OK or FL_EPARSE. */
static int parse_date_text(const char *s, size_t n, int64_t *days)
{
    unsigned y = 0, m = 0, d = 0;
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return FL_EPARSE;
    for (size_t i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return FL_EPARSE;
        unsigned dg = (unsigned)(s[i] - '0');
        if (i < 4)
            y = y * 10 + dg;
        else if (i < 7)
            m = m * 10 + dg;
        else
            d = d * 10 + dg;
    }
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return FL_EPARSE;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return FL_EPARSE;
    *days = fl_days_from_civil(y, m, d);
    return FL_OK;
}

/* Parse a timestamp 'yyyy-mm-dd[ hh:mm[:ss[.ffffff]]]' (T allowed, optional
 * trailing Z or UTC) into microseconds. */
int fl__qparse_ts(const char *s, size_t n, int64_t *us);
int fl__qparse_ts(const char *s, size_t n, int64_t *us)
{
    while (n && s[n - 1] == ' ')
        n--;
    if (n >= 4 && fl_str_ieq(s + n - 4, 4, " UTC", 4))
        n -= 4;
    else if (n >= 1 && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
        n -= 1;
    if (n < 10)
        return FL_EPARSE;
    int64_t days;
    if (parse_date_text(s, 10, &days) != FL_OK)
        return FL_EPARSE;
    int64_t t = days * 86400LL * 1000000LL;
    if (n == 10) {
        *us = t;
        return FL_OK;
    }
    if (s[10] != ' ' && s[10] != 'T')
        return FL_EPARSE;
    size_t i = 11;
    int part[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (i >= n)
                break;
            if (s[i] != ':')
                return FL_EPARSE;
            i++;
        }
        if (i + 2 > n || !isdigit((uint8_t)s[i]) || !isdigit((uint8_t)s[i + 1]))
            return FL_EPARSE;
        part[k] = (s[i] - '0') * 10 + (s[i + 1] - '0');
        i += 2;
    }
    if (part[0] > 23 || part[1] > 59 || part[2] > 60)
        return FL_EPARSE;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        int digits = 0;
        while (i < n && isdigit((uint8_t)s[i])) {
            if (digits < 6) {
                frac = frac * 10 + (s[i] - '0');
                digits++;
            }
            i++;
        }
        if (digits == 0)
            return FL_EPARSE;
        while (digits++ < 6)
            frac *= 10;
    }
    if (i != n)
        return FL_EPARSE;
    *us = t + ((int64_t)part[0] * 3600 + part[1] * 60 + part[2]) * 1000000LL + frac;
    return FL_OK;
}
int fl__qparse_date(const char *s, size_t n, int64_t *days);
int fl__qparse_date(const char *s, size_t n, int64_t *days) { return parse_date_text(s, n, days); }

/* INTERVAL 'n' UNIT -> value (µs or months). */
static int parse_interval(struct parser *p, uint32_t pos, struct qnode **out)
{
    bool negsign = false;
    if (p->tk.k == TK_MINUS) {
        negsign = true;
        advance(p);
    } else if (p->tk.k == TK_PLUS) {
        advance(p);
    }
    if (p->tk.k != TK_STRING && p->tk.k != TK_INT)
        return syntax(p, "an interval value such as '1'");
    struct qtoken vt = p->tk;
    size_t vn;
    const char *vs;
    if (vt.k == TK_STRING) {
        vs = unquote(p, &vt, &vn);
        if (!vs)
            return NOMEM(p);
    } else {
        vs = p->q->sql + vt.pos;
        vn = vt.len;
    }
    advance(p);
    int64_t v;
    while (vn && *vs == ' ') {
        vs++;
        vn--;
    }
    if (fl_parse_i64(vs, vn, &v) != FL_OK || v > 100000000 || v < -100000000)
        return fl__qerr(p->q, vt.pos, FL_EPARSE, "invalid interval value \"%.*s\"", (int)FL_MIN(vn, 40),
                        vs);
    if (negsign)
        v = -v;
    static const struct {
        const char *u;
        int t;
        int64_t mul;
    } units[] = {{"YEAR", QT_IYM, 12}, {"MONTH", QT_IYM, 1}, {"WEEK", QT_IDS, 7 * 86400000000LL},
                 {"DAY", QT_IDS, 86400000000LL}, {"HOUR", QT_IDS, 3600000000LL},
                 {"MINUTE", QT_IDS, 60000000LL}, {"SECOND", QT_IDS, 1000000LL},
                 {"MILLISECOND", QT_IDS, 1000LL}};
    if (p->tk.k == TK_IDENT) {
        size_t ul = p->tk.len;
        const char *us = p->q->sql + p->tk.pos;
        if (ul > 1 && (us[ul - 1] == 's' || us[ul - 1] == 'S'))
            ul--; /* DAYS */
        for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
            if (fl_str_ieq(us, ul, units[i].u, strlen(units[i].u))) {
                advance(p);
                struct qnode *n = newnode(p, N_LIT, pos, 0);
                if (!n)
                    return NOMEM(p);
                n->lit.t = (uint8_t)units[i].t;
                n->lit.i = v * units[i].mul;
                n->type = (uint8_t)units[i].t;
                n->is_const = 1;
                *out = n;
                return FL_OK;
            }
        }
    }
    return syntax(p, "an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND)");
}

/* A type name for CAST: returns QT_* or -1. */
static int parse_type(struct parser *p)
{
    static const struct {
        const char *n;
        int t;
    } types[] = {{"BIGINT", QT_INT}, {"INTEGER", QT_INT}, {"INT", QT_INT}, {"SMALLINT", QT_INT},
                 {"TINYINT", QT_INT}, {"DOUBLE", QT_DBL}, {"REAL", QT_DBL}, {"FLOAT", QT_DBL},
                 {"DECIMAL", QT_DBL}, {"VARCHAR", QT_STR}, {"CHAR", QT_STR}, {"STRING", QT_STR},
                 {"BOOLEAN", QT_BOOL}, {"DATE", QT_DATE}, {"TIMESTAMP", QT_TS}};
    if (p->tk.k != TK_IDENT)
        return -1;
    for (size_t i = 0; i < FL_ARRAY_LEN(types); i++) {
        if (is_kw(p, types[i].n)) {
            advance(p);
            if (p->tk.k == TK_LP) { /* VARCHAR(10), DECIMAL(10,2), TIMESTAMP(3) */
                advance(p);
                while (p->tk.k == TK_INT || p->tk.k == TK_COMMA)
                    advance(p);
                if (p->tk.k != TK_RP)
                    return -1;
                advance(p);
            }
            if (types[i].t == QT_DBL && is_kw(p, "PRECISION"))
                advance(p);
            return types[i].t;
        }
    }
    return -1;
}

/* ---- expressions --------------------------------------------------------------- */
static int parse_case(struct parser *p, uint32_t pos, struct qnode **out)
{
    struct qnode *operand = NULL;
    if (!is_kw(p, "WHEN"))
        FL_TRY(parse_expr(p, &operand));
    struct qnode *parts[512];
    int np = 0;
    parts[np++] = operand;
    while (accept_kw(p, "WHEN")) {
        if (np + 3 > (int)FL_ARRAY_LEN(parts))
            return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "too many WHEN branches");
        FL_TRY(parse_expr(p, &parts[np++]));
        FL_TRY(expect_kw(p, "THEN"));
        FL_TRY(parse_expr(p, &parts[np++]));
    }
    if (np == 1)
        return syntax(p, "WHEN");
    struct qnode *els = NULL;
    if (accept_kw(p, "ELSE"))
        FL_TRY(parse_expr(p, &els));
    FL_TRY(expect_kw(p, "END"));
    parts[np++] = els;
    struct qnode *n = newnode(p, N_CASE, pos, np);
    if (!n)
        return NOMEM(p);
    memcpy(n->a, parts, sizeof *parts * (size_t)np);
    *out = n;
    return FL_OK;
}

static int parse_call(struct parser *p, const struct qtoken *name, struct qnode **out)
{
    /* p->tk is '(' */
    advance(p);
    int agg = fl__qagg_lookup(p->q->sql + name->pos, name->len);
    bool distinct = false;
    struct qnode *args[64];
    int na = 0;
    if (agg && p->tk.k == TK_STAR) {
        advance(p);
        FL_TRY(expect(p, TK_RP, "\")\""));
        if (agg != AG_COUNT)
            return fl__qerr(p->q, name->pos, FL_EPARSE, "%.*s(*) is not allowed", (int)name->len,
                            p->q->sql + name->pos);
        struct qnode *n = newnode(p, N_AGG, name->pos, 0);
        if (!n)
            return NOMEM(p);
        n->fn = AG_COUNT_STAR;
        n->name = p->q->sql + name->pos;
        n->name_len = name->len;
        *out = n;
        return FL_OK;
    }
    if (agg && accept_kw(p, "DISTINCT"))
        distinct = true;
    else if (agg)
        accept_kw(p, "ALL");
    if (p->tk.k != TK_RP) {
        for (;;) {
            if (na == (int)FL_ARRAY_LEN(args))
                return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "too many arguments");
            FL_TRY(parse_expr(p, &args[na++]));
            if (p->tk.k != TK_COMMA)
                break;
            advance(p);
        }
    }
    FL_TRY(expect(p, TK_RP, "\")\" or \",\""));
    struct qnode *n = newnode(p, agg ? N_AGG : N_FUNC, name->pos, na);
    if (!n)
        return NOMEM(p);
    if (na)
        memcpy(n->a, args, sizeof *args * (size_t)na);
    n->name = p->q->sql + name->pos;
    n->name_len = name->len;
    n->fn = (uint16_t)agg;
    n->neg = distinct;
    if (is_kw(p, "OVER"))
        return fl__qerr(p->q, p->tk.pos, FL_EUNSUPPORTED, "window functions (OVER) are not supported");
    *out = n;
    return FL_OK;
}

static int parse_primary(struct parser *p, struct qnode **out)
{
    struct qtoken t = p->tk;
    struct qnode *n;
    switch (t.k) {
    case TK_INT:
    case TK_FLOAT: {
        advance(p);
        n = newnode(p, N_LIT, t.pos, 0);
        if (!n)
            return NOMEM(p);
        n->is_const = 1;
        if (t.k == TK_INT && fl_parse_i64(p->q->sql + t.pos, t.len, &n->lit.i) == FL_OK) {
            n->lit.t = QT_INT;
        } else {
            char buf[64];
            if (t.len >= sizeof buf)
                return fl__qerr(p->q, t.pos, FL_EPARSE, "number too long");
            memcpy(buf, p->q->sql + t.pos, t.len);
            buf[t.len] = 0;
            n->lit.t = QT_DBL;
            n->lit.d = strtod(buf, NULL);
        }
        n->type = n->lit.t;
        *out = n;
        return FL_OK;
    }
    case TK_STRING: {
        advance(p);
        n = newnode(p, N_LIT, t.pos, 0);
        if (!n)
            return NOMEM(p);
        size_t len;
        const char *s = unquote(p, &t, &len);
        if (!s)
            return NOMEM(p);
        n->lit.t = QT_STR;
        n->lit.s = s;
        n->lit.n = (uint32_t)len;
        n->type = QT_STR;
        n->is_const = 1;
        *out = n;
        return FL_OK;
    }
    case TK_LP: {
        advance(p);
        if (is_kw(p, "SELECT") || is_kw(p, "WITH")) {
            struct qsel *sub;
            FL_TRY(parse_select(p, &sub));
            FL_TRY(expect(p, TK_RP, "\")\""));
            n = newnode(p, N_SUBQ, t.pos, 0);
            if (!n)
                return NOMEM(p);
            n->sub = sub;
            *out = n;
            return FL_OK;
        }
        FL_TRY(parse_expr(p, out));
        if (p->tk.k == TK_COMMA)
            return fl__qerr(p->q, p->tk.pos, FL_EUNSUPPORTED, "row values are not supported");
        return expect(p, TK_RP, "\")\"");
    }
    case TK_QIDENT:
    case TK_IDENT:
        break;
    default:
        return syntax(p, "an expression");
    }
    /* identifiers and keywords */
    if (accept_kw(p, "NULL") || is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
        bool isnull = !is_kw(p, "TRUE") && !is_kw(p, "FALSE");
        n = newnode(p, N_LIT, t.pos, 0);
        if (!n)
            return NOMEM(p);
        n->is_const = 1;
        if (isnull) {
            n->lit = QV_NULL;
        } else {
            n->lit.t = QT_BOOL;
            n->lit.i = is_kw(p, "TRUE");
            n->type = QT_BOOL;
            advance(p);
        }
        *out = n;
        return FL_OK;
    }
    if (accept_kw(p, "CASE"))
        return parse_case(p, t.pos, out);
    if (accept_kw(p, "INTERVAL"))
        return parse_interval(p, t.pos, out);
    if (is_kw(p, "CAST") || is_kw(p, "TRY_CAST")) {
        bool tr = is_kw(p, "TRY_CAST");
        advance(p);
        FL_TRY(expect(p, TK_LP, "\"(\""));
        n = newnode(p, N_CAST, t.pos, 1);
        if (!n)
            return NOMEM(p);
        FL_TRY(parse_expr(p, &n->a[0]));
        FL_TRY(expect_kw(p, "AS"));
        int ty = parse_type(p);
        if (ty < 0)
            return syntax(p, "a type (BIGINT, INTEGER, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP)");
        FL_TRY(expect(p, TK_RP, "\")\""));
        n->op = (uint8_t)ty;
        n->trycast = tr;
        *out = n;
        return FL_OK;
    }
    if (t.k == TK_IDENT && (is_kw(p, "DATE") || is_kw(p, "TIMESTAMP"))) {
        uint32_t save = p->next;
        struct qtoken nx = fl__qlex_next(p->q->sql, p->q->sql_len, &save);
        if (nx.k == TK_STRING) {
            bool isdate = is_kw(p, "DATE");
            advance(p);
            size_t len;
            const char *s = unquote(p, &nx, &len);
            if (!s)
                return NOMEM(p);
            advance(p);
            n = newnode(p, N_LIT, t.pos, 0);
            if (!n)
                return NOMEM(p);
            n->is_const = 1;
            if (isdate) {
                if (parse_date_text(s, len, &n->lit.i) != FL_OK)
                    return fl__qerr(p->q, nx.pos, FL_EPARSE, "invalid DATE literal '%s'", s);
                n->lit.t = QT_DATE;
            } else {
                if (fl__qparse_ts(s, len, &n->lit.i) != FL_OK)
                    return fl__qerr(p->q, nx.pos, FL_EPARSE, "invalid TIMESTAMP literal '%s'", s);
                n->lit.t = QT_TS;
            }
            n->type = n->lit.t;
            *out = n;
            return FL_OK;
        }
    }
    if (t.k == TK_IDENT && (is_kw(p, "CURRENT_DATE") || is_kw(p, "CURRENT_TIMESTAMP") ||
                            is_kw(p, "LOCALTIMESTAMP"))) {
        uint32_t save = p->next;
        struct qtoken nx = fl__qlex_next(p->q->sql, p->q->sql_len, &save);
        if (nx.k != TK_LP) {
            advance(p);
            n = newnode(p, N_FUNC, t.pos, 0);
            if (!n)
                return NOMEM(p);
            n->name = p->q->sql + t.pos;
            n->name_len = t.len;
            *out = n;
            return FL_OK;
        }
    }
    if (t.k == TK_IDENT && is_kw(p, "EXTRACT")) {
        uint32_t save = p->next;
        struct qtoken nx = fl__qlex_next(p->q->sql, p->q->sql_len, &save);
        if (nx.k == TK_LP) {
            advance(p);
            advance(p);
            if (p->tk.k != TK_IDENT)
                return syntax(p, "a field (YEAR, MONTH, DAY, HOUR, ...)");
            struct qtoken f = p->tk;
            advance(p);
            FL_TRY(expect_kw(p, "FROM"));
            struct qnode *arg;
            FL_TRY(parse_expr(p, &arg));
            FL_TRY(expect(p, TK_RP, "\")\""));
            n = newnode(p, N_FUNC, f.pos, 1);
            if (!n)
                return NOMEM(p);
            n->a[0] = arg;
            n->name = p->q->sql + f.pos; /* year(x), month(x) ... */
            n->name_len = f.len;
            *out = n;
            return FL_OK;
        }
    }
    if (t.k == TK_IDENT && is_reserved(p, &t))
        return syntax(p, "an expression");
    /* name, name.name, or name( */
    advance(p);
    if (p->tk.k == TK_LP && t.k == TK_IDENT)
        return parse_call(p, &t, out);
    n = newnode(p, N_COL, t.pos, 0);
    if (!n)
        return NOMEM(p);
    size_t len;
    char *nm = ident_text(p, &t, &len);
    if (!nm)
        return NOMEM(p);
    if (p->tk.k == TK_DOT) {
        advance(p);
        if (p->tk.k == TK_STAR) {
            advance(p);
            n->kind = N_STAR;
            n->qual = nm;
            n->qual_len = (uint32_t)len;
            *out = n;
            return FL_OK;
        }
        if (p->tk.k != TK_IDENT && p->tk.k != TK_QIDENT)
            return syntax(p, "a column name");
        n->qual = nm;
        n->qual_len = (uint32_t)len;
        struct qtoken c = p->tk;
        n->pos = c.pos;
        advance(p);
        nm = ident_text(p, &c, &len);
        if (!nm)
            return NOMEM(p);
    }
    n->name = nm;
    n->name_len = (uint32_t)len;
    *out = n;
    return FL_OK;
}

static int parse_unary(struct parser *p, struct qnode **out)
{
    if (p->tk.k == TK_MINUS || p->tk.k == TK_PLUS) {
        struct qtoken t = p->tk;
        advance(p);
        if (++p->depth > MAX_DEPTH)
            return fl__qerr(p->q, t.pos, FL_ELIMIT, "expression nested too deeply");
        struct qnode *a;
        int rc = parse_unary(p, &a);
        p->depth--;
        FL_TRY(rc);
        if (t.k == TK_PLUS) {
            *out = a;
            return FL_OK;
        }
        if (a->kind == N_LIT && a->lit.t == QT_INT && a->lit.i != INT64_MIN) {
            a->lit.i = -a->lit.i;
            a->pos = t.pos;
            *out = a;
            return FL_OK;
        }
        if (a->kind == N_LIT && a->lit.t == QT_DBL) {
            a->lit.d = -a->lit.d;
            a->pos = t.pos;
            *out = a;
            return FL_OK;
        }
        struct qnode *n = newnode(p, N_NEG, t.pos, 1);
        if (!n)
            return NOMEM(p);
        n->a[0] = a;
        *out = n;
        return FL_OK;
    }
    return parse_primary(p, out);
}

static int binary(struct parser *p, int kind, int op, uint32_t pos, struct qnode *l,
                  struct qnode *r, struct qnode **out)
{
    struct qnode *n = newnode(p, kind, pos, 2);
    if (!n)
        return NOMEM(p);
    n->op = (uint8_t)op;
    n->a[0] = l;
    n->a[1] = r;
    *out = n;
    return FL_OK;
}

static int parse_mul(struct parser *p, struct qnode **out)
{
    FL_TRY(parse_unary(p, out));
    while (p->tk.k == TK_STAR || p->tk.k == TK_SLASH || p->tk.k == TK_PERCENT) {
        struct qtoken t = p->tk;
        advance(p);
        struct qnode *r;
        FL_TRY(parse_unary(p, &r));
        FL_TRY(binary(p, N_ARITH, t.k == TK_STAR ? '*' : t.k == TK_SLASH ? '/' : '%', t.pos, *out, r,
                      out));
    }
    return FL_OK;
}

static int parse_add(struct parser *p, struct qnode **out)
{
    FL_TRY(parse_mul(p, out));
    while (p->tk.k == TK_PLUS || p->tk.k == TK_MINUS || p->tk.k == TK_CONCAT) {
        struct qtoken t = p->tk;
        advance(p);
        struct qnode *r;
        FL_TRY(parse_mul(p, &r));
        if (t.k == TK_CONCAT)
            FL_TRY(binary(p, N_CONCAT, 0, t.pos, *out, r, out));
        else
            FL_TRY(binary(p, N_ARITH, t.k == TK_PLUS ? '+' : '-', t.pos, *out, r, out));
    }
    return FL_OK;
}

static int parse_pred(struct parser *p, struct qnode **out)
{
    FL_TRY(parse_add(p, out));
    for (;;) {
        struct qtoken t = p->tk;
        if (t.k >= TK_EQ && t.k <= TK_GE) {
            advance(p);
            struct qnode *r;
            FL_TRY(parse_add(p, &r));
            FL_TRY(binary(p, N_CMP, t.k, t.pos, *out, r, out));
            continue;
        }
        if (accept_kw(p, "IS")) {
            bool neg = accept_kw(p, "NOT");
            struct qnode *n;
            if (accept_kw(p, "DISTINCT")) { /* IS [NOT] DISTINCT FROM */
                FL_TRY(expect_kw(p, "FROM"));
                struct qnode *r;
                FL_TRY(parse_add(p, &r));
                n = newnode(p, N_FUNC, t.pos, 2);
                if (!n)
                    return NOMEM(p);
                n->a[0] = *out;
                n->a[1] = r;
                n->name = neg ? "$not_distinct" : "$distinct";
                n->name_len = (uint32_t)strlen(n->name);
                *out = n;
                continue;
            }
            FL_TRY(expect_kw(p, "NULL"));
            n = newnode(p, N_ISNULL, t.pos, 1);
            if (!n)
                return NOMEM(p);
            n->a[0] = *out;
            n->neg = neg;
            *out = n;
            continue;
        }
        bool neg = false;
        if (is_kw(p, "NOT")) {
            uint32_t save = p->next;
            struct qtoken nx = fl__qlex_next(p->q->sql, p->q->sql_len, &save);
            if (tk_is_kw(p, &nx, "BETWEEN") || tk_is_kw(p, &nx, "IN") || tk_is_kw(p, &nx, "LIKE")) {
                advance(p);
                neg = true;
            }
        }
        if (accept_kw(p, "BETWEEN")) {
            struct qnode *n = newnode(p, N_BETWEEN, t.pos, 3);
            if (!n)
                return NOMEM(p);
            n->a[0] = *out;
            n->neg = neg;
            FL_TRY(parse_add(p, &n->a[1]));
            FL_TRY(expect_kw(p, "AND"));
            FL_TRY(parse_add(p, &n->a[2]));
            *out = n;
            continue;
        }
        if (accept_kw(p, "LIKE")) {
            struct qnode *pat, *esc = NULL;
            FL_TRY(parse_add(p, &pat));
            if (accept_kw(p, "ESCAPE"))
                FL_TRY(parse_add(p, &esc));
            struct qnode *n = newnode(p, N_LIKE, t.pos, esc ? 3 : 2);
            if (!n)
                return NOMEM(p);
            n->a[0] = *out;
            n->a[1] = pat;
            if (esc)
                n->a[2] = esc;
            n->neg = neg;
            *out = n;
            continue;
        }
        if (accept_kw(p, "IN")) {
            uint32_t lp = p->tk.pos;
            FL_TRY(expect(p, TK_LP, "\"(\""));
            if (is_kw(p, "SELECT") || is_kw(p, "WITH")) {
                struct qsel *sub;
                FL_TRY(parse_select(p, &sub));
                FL_TRY(expect(p, TK_RP, "\")\""));
                struct qnode *n = newnode(p, N_INSUB, t.pos, 1);
                if (!n)
                    return NOMEM(p);
                n->a[0] = *out;
                n->sub = sub;
                n->neg = neg;
                *out = n;
                continue;
            }
            struct qnode *items[1024];
            int ni = 0;
            for (;;) {
                if (ni == (int)FL_ARRAY_LEN(items))
                    return fl__qerr(p->q, lp, FL_ELIMIT, "IN list longer than %d items",
                                    (int)FL_ARRAY_LEN(items));
                FL_TRY(parse_expr(p, &items[ni++]));
                if (p->tk.k != TK_COMMA)
                    break;
                advance(p);
            }
            FL_TRY(expect(p, TK_RP, "\")\" or \",\""));
            struct qnode *n = newnode(p, N_INLIST, t.pos, ni + 1);
            if (!n)
                return NOMEM(p);
            n->a[0] = *out;
            memcpy(n->a + 1, items, sizeof *items * (size_t)ni);
            n->neg = neg;
            *out = n;
            continue;
        }
        break;
    }
    return FL_OK;
}

static int parse_not(struct parser *p, struct qnode **out)
{
    if (is_kw(p, "NOT")) {
        uint32_t pos = p->tk.pos;
        advance(p);
        if (++p->depth > MAX_DEPTH)
            return fl__qerr(p->q, pos, FL_ELIMIT, "expression nested too deeply");
        struct qnode *a;
        int rc = parse_not(p, &a);
        p->depth--;
        FL_TRY(rc);
        struct qnode *n = newnode(p, N_NOT, pos, 1);
        if (!n)
            return NOMEM(p);
        n->a[0] = a;
        *out = n;
        return FL_OK;
    }
    if (is_kw(p, "EXISTS"))
        return fl__qerr(p->q, p->tk.pos, FL_EUNSUPPORTED, "EXISTS is not supported; use IN (SELECT ...)");
    return parse_pred(p, out);
}

static int parse_and(struct parser *p, struct qnode **out)
{
    FL_TRY(parse_not(p, out));
    while (is_kw(p, "AND")) {
        uint32_t pos = p->tk.pos;
        advance(p);
        struct qnode *r;
        FL_TRY(parse_not(p, &r));
        FL_TRY(binary(p, N_AND, 0, pos, *out, r, out));
    }
    return FL_OK;
}

static int parse_expr(struct parser *p, struct qnode **out)
{
    if (++p->depth > MAX_DEPTH)
        return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "expression nested too deeply");
    int rc = parse_and(p, out);
    while (rc == FL_OK && is_kw(p, "OR")) {
        uint32_t pos = p->tk.pos;
        advance(p);
        struct qnode *r;
        rc = parse_and(p, &r);
        if (rc == FL_OK)
            rc = binary(p, N_OR, 0, pos, *out, r, out);
    }
    p->depth--;
    return rc;
}

/* ---- SELECT ----------------------------------------------------------------------- */
static int parse_int_clause(struct parser *p, int64_t *out)
{
    if (p->tk.k != TK_INT)
        return syntax(p, "a number");
    if (fl_parse_i64(p->q->sql + p->tk.pos, p->tk.len, out) != FL_OK)
        return fl__qerr(p->q, p->tk.pos, FL_EPARSE, "number out of range");
    advance(p);
    return FL_OK;
}

static int parse_select(struct parser *p, struct qsel **out)
{
    if (++p->depth > MAX_DEPTH)
        return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "query nested too deeply");
    struct qsel *s = fl__qarena_alloc(&p->q->ast, sizeof *s);
    if (!s)
        return NOMEM(p);
    memset(s, 0, sizeof *s);
    s->limit = -1;
    if (accept_kw(p, "WITH")) {
        accept_kw(p, "RECURSIVE");
        struct qcte **tail = &s->ctes;
        for (;;) {
            if (!is_ident(p))
                return syntax(p, "a name for the WITH query");
            struct qcte *c = fl__qarena_alloc(&p->q->ast, sizeof *c);
            if (!c)
                return NOMEM(p);
            memset(c, 0, sizeof *c);
            struct qtoken nt = p->tk;
            size_t len;
            c->name = ident_text(p, &nt, &len);
            if (!c->name)
                return NOMEM(p);
            c->name_len = (uint32_t)len;
            advance(p);
            if (p->tk.k == TK_LP)
                return fl__qerr(p->q, p->tk.pos, FL_EUNSUPPORTED,
                                "column lists on WITH queries are not supported; alias the columns");
            FL_TRY(expect_kw(p, "AS"));
            FL_TRY(expect(p, TK_LP, "\"(\""));
            FL_TRY(parse_select(p, &c->sel));
            FL_TRY(expect(p, TK_RP, "\")\""));
            *tail = c;
            tail = &c->next;
            if (p->tk.k != TK_COMMA)
                break;
            advance(p);
        }
    }
    s->pos = p->tk.pos;
    FL_TRY(expect_kw(p, "SELECT"));
    if (accept_kw(p, "DISTINCT"))
        s->distinct = true;
    else
        accept_kw(p, "ALL");
    struct qitem items[1024];
    int ni = 0;
    for (;;) {
        if (ni == (int)FL_ARRAY_LEN(items))
            return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "too many select items");
        struct qitem *it = &items[ni++];
        memset(it, 0, sizeof *it);
        it->pos = p->tk.pos;
        if (p->tk.k == TK_STAR) {
            it->e = newnode(p, N_STAR, p->tk.pos, 0);
            if (!it->e)
                return NOMEM(p);
            advance(p);
        } else {
            FL_TRY(parse_expr(p, &it->e));
            if (accept_kw(p, "AS")) {
                if (!is_ident(p) && p->tk.k != TK_IDENT)
                    return syntax(p, "an alias");
            }
            if (is_ident(p)) {
                struct qtoken at = p->tk;
                size_t len;
                it->alias = ident_text(p, &at, &len);
                if (!it->alias)
                    return NOMEM(p);
                advance(p);
            }
        }
        if (p->tk.k != TK_COMMA)
            break;
        advance(p);
    }
    s->nitems = ni;
    s->items = fl__qarena_alloc(&p->q->ast, sizeof *items * (size_t)ni);
    if (!s->items)
        return NOMEM(p);
    memcpy(s->items, items, sizeof *items * (size_t)ni);
    if (accept_kw(p, "FROM")) {
        s->has_from = true;
        s->table_pos = p->tk.pos;
        if (p->tk.k == TK_LP) {
            advance(p);
            FL_TRY(parse_select(p, &s->from_sub));
            FL_TRY(expect(p, TK_RP, "\")\""));
        } else {
            if (!is_ident(p))
                return syntax(p, "a table name");
            for (;;) { /* db.schema.table: the last part names the table */
                struct qtoken tt = p->tk;
                size_t len;
                s->table_pos = tt.pos;
                s->table = ident_text(p, &tt, &len);
                if (!s->table)
                    return NOMEM(p);
                advance(p);
                if (p->tk.k != TK_DOT)
                    break;
                advance(p);
                if (p->tk.k != TK_IDENT && p->tk.k != TK_QIDENT)
                    return syntax(p, "a table name");
            }
        }
        if (accept_kw(p, "AS") && !is_ident(p))
            return syntax(p, "an alias");
        if (is_ident(p)) {
            struct qtoken at = p->tk;
            size_t len;
            s->alias = ident_text(p, &at, &len);
            if (!s->alias)
                return NOMEM(p);
            advance(p);
        }
        if (p->tk.k == TK_COMMA || is_kw(p, "JOIN") || is_kw(p, "CROSS") || is_kw(p, "INNER") ||
            is_kw(p, "LEFT") || is_kw(p, "RIGHT") || is_kw(p, "FULL"))
            return fl__qerr(p->q, p->tk.pos, FL_EUNSUPPORTED,
                            "joins are not supported; use IN (SELECT ...) or a scalar subquery");
    }
    if (accept_kw(p, "WHERE"))
        FL_TRY(parse_expr(p, &s->where));
    if (accept_kw(p, "GROUP")) {
        FL_TRY(expect_kw(p, "BY"));
        struct qnode *g[256];
        int ng = 0;
        for (;;) {
            if (ng == (int)FL_ARRAY_LEN(g))
                return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "too many GROUP BY items");
            FL_TRY(parse_expr(p, &g[ng++]));
            if (p->tk.k != TK_COMMA)
                break;
            advance(p);
        }
        s->ngroup = ng;
        s->group = fl__qarena_alloc(&p->q->ast, sizeof *g * (size_t)ng);
        if (!s->group)
            return NOMEM(p);
        memcpy(s->group, g, sizeof *g * (size_t)ng);
    }
    if (accept_kw(p, "HAVING"))
        FL_TRY(parse_expr(p, &s->having));
    if (is_kw(p, "UNION") || is_kw(p, "EXCEPT") || is_kw(p, "INTERSECT"))
        return fl__qerr(p->q, p->tk.pos, FL_EUNSUPPORTED, "%.*s is not supported", (int)p->tk.len,
                        p->q->sql + p->tk.pos);
    if (accept_kw(p, "ORDER")) {
        FL_TRY(expect_kw(p, "BY"));
        struct qorder o[256];
        int no = 0;
        for (;;) {
            if (no == (int)FL_ARRAY_LEN(o))
                return fl__qerr(p->q, p->tk.pos, FL_ELIMIT, "too many ORDER BY items");
            struct qorder *it = &o[no++];
            memset(it, 0, sizeof *it);
            FL_TRY(parse_expr(p, &it->e));
            if (accept_kw(p, "DESC"))
                it->desc = true;
            else
                accept_kw(p, "ASC");
            if (accept_kw(p, "NULLS")) {
                if (accept_kw(p, "FIRST"))
                    it->nulls = 1;
                else if (accept_kw(p, "LAST"))
                    it->nulls = 2;
                else
                    return syntax(p, "FIRST or LAST");
            }
            if (p->tk.k != TK_COMMA)
                break;
            advance(p);
        }
        s->norder = no;
        s->order = fl__qarena_alloc(&p->q->ast, sizeof *o * (size_t)no);
        if (!s->order)
            return NOMEM(p);
        memcpy(s->order, o, sizeof *o * (size_t)no);
    }
    for (int k = 0; k < 2; k++) {
        if (accept_kw(p, "OFFSET")) {
            FL_TRY(parse_int_clause(p, &s->offset));
            if (!accept_kw(p, "ROWS"))
                accept_kw(p, "ROW");
        }
        if (accept_kw(p, "LIMIT")) {
            if (!accept_kw(p, "ALL"))
                FL_TRY(parse_int_clause(p, &s->limit));
        }
    }
    p->depth--;
    *out = s;
    return FL_OK;
}

int fl__qparse(struct qctx *q, struct qsel **out, bool *explain)
{
    struct parser p = {.q = q};
    advance(&p);
    *explain = false;
    if (accept_kw(&p, "EXPLAIN")) {
        *explain = true;
        accept_kw(&p, "ANALYZE");
    }
    if (!is_kw(&p, "SELECT") && !is_kw(&p, "WITH"))
        return syntax(&p, "SELECT or WITH");
    FL_TRY(parse_select(&p, out));
    while (p.tk.k == TK_SEMI)
        advance(&p);
    if (p.tk.k != TK_EOF)
        return syntax(&p, "end of query");
    return FL_OK;
}
