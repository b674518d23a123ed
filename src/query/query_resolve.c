/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_resolve.c - binds a parsed SELECT to its source and checks types.
 * Column names become row slots of the source (the scan's catalog columns
 * plus the folder columns date/hour/day, or the columns of a WITH query or a
 * FROM subquery); unknown names get a did-you-mean suggestion by edit
 * distance.  Aggregate queries are rewritten so that the select list, HAVING
 * and ORDER BY read a "group row": GROUP BY keys first, then one slot per
 * distinct aggregate call.  ORDER BY items become output columns (ordinals,
 * aliases, or hidden extra columns).  Subqueries are resolved recursively
 * and must be uncorrelated.
 */
#include <ctype.h>

#include "query/query_int.h"

int fl__qparse_date(const char *s, size_t n, int64_t *days);
int fl__qparse_ts(const char *s, size_t n, int64_t *us);

static bool ieq(const char *a, size_t an, const char *b)
{
    return fl_str_ieq(a, an, b, strlen(b));
}

static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn)
{
    size_t row[65];
    if (an > 64 || bn > 64)
        return 99;
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t cur = row[j];
            size_t cost = tolower((uint8_t)a[i - 1]) == tolower((uint8_t)b[j - 1]) ? 0 : 1;
            size_t v = prev + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            prev = cur;
        }
    }
    return row[bn];
}

static struct qnode *newslot(struct qctx *q, int slot, int type, uint32_t pos)
{
    struct qnode *n = fl__qarena_alloc(&q->ast, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = N_SLOT;
    n->slot = slot;
    n->type = (uint8_t)type;
    n->pos = pos;
    return n;
}

static const char *scan_name(int c)
{
    if (c < FL_NCOLS)
        return fl_fields[c].name;
    return c == QCOL_DATE ? "date" : c == QCOL_HOUR ? "hour" : "day";
}

static int scan_schema(struct qctx *q, struct qsel *s)
{
    int n = s->vpc_table ? QSCAN_NCOLS : QSCAN_NCOLS - 1;
    s->src.n = n;
    s->src.names = fl__qarena_alloc(&q->ast, sizeof(char *) * (size_t)n);
    s->src.types = fl__qarena_alloc(&q->ast, (size_t)n);
    if (!s->src.names || !s->src.types)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    for (int c = 0; c < n; c++) {
        s->src.names[c] = scan_name(c);
        if (c < FL_NCOLS)
            s->src.types[c] = fl_fields[c].type == FL_STR ? QT_STR : QT_INT;
        else
            s->src.types[c] = c == QCOL_DATE ? QT_DATE : c == QCOL_HOUR ? QT_INT : QT_STR;
    }
    return FL_OK;
}

static struct qcte *find_cte(struct qsel *s, const char *name)
{
    for (; s; s = s->parent)
        for (struct qcte *c = s->ctes; c; c = c->next)
            if (c->rows != (void *)1 && fl_str_ieq(c->name, c->name_len, name, strlen(name)))
                return c;
    return NULL;
}

/* ---- expressions -------------------------------------------------------------- */
struct rctx {
    struct qctx *q;
    struct qsel *s;
    bool allow_agg;  /* inside a select list / HAVING / ORDER BY */
    bool in_agg;     /* inside an aggregate's arguments */
    bool *has_agg;
};

static int resolve_expr(struct rctx *r, struct qnode *n);

static bool numeric(int t) { return t == QT_INT || t == QT_DBL || t == QT_NULL; }

/* Coerce a constant string operand to a date/timestamp at resolve time (so
 * `date >= '2024-01-01'` and `start_ts > '2024-01-01 10:00'` work). */
static int coerce_const(struct qctx *q, struct qnode *n, int want)
{
    if (n->kind != N_LIT || n->lit.t != QT_STR)
        return FL_OK;
    int64_t v;
    if (want == QT_DATE && fl__qparse_date(n->lit.s, n->lit.n, &v) == FL_OK) {
        n->lit.t = n->type = QT_DATE;
        n->lit.i = v;
    } else if ((want == QT_TS || want == QT_DATE) && fl__qparse_ts(n->lit.s, n->lit.n, &v) == FL_OK) {
        n->lit.t = n->type = QT_TS;
        n->lit.i = v;
    } else if (want == QT_DATE || want == QT_TS) {
        return fl__qerr(q, n->pos, FL_EPARSE, "cannot compare a %s with '%.*s'", fl__qtype_name(want),
                        (int)FL_MIN(n->lit.n, 40), n->lit.s);
    }
    return FL_OK;
}

static bool comparable(int a, int b)
{
    if (a == QT_NULL || b == QT_NULL)
        return true;
    if (numeric(a) && numeric(b))
        return true;
    if ((a == QT_DATE || a == QT_TS) && (b == QT_DATE || b == QT_TS))
        return true;
    return a == b;
}

static int check_cmp(struct qctx *q, struct qnode *x, struct qnode *y, uint32_t pos)
{
    if ((x->type == QT_DATE || x->type == QT_TS) && y->type == QT_STR)
        FL_TRY(coerce_const(q, y, x->type));
    if ((y->type == QT_DATE || y->type == QT_TS) && x->type == QT_STR)
        FL_TRY(coerce_const(q, x, y->type));
    if (!comparable(x->type, y->type))
        return fl__qerr(q, pos, FL_EPARSE, "cannot compare %s with %s", fl__qtype_name(x->type),
                        fl__qtype_name(y->type));
    return FL_OK;
}

static int bool_arg(struct qctx *q, struct qnode *n, const char *what)
{
    if (n->type != QT_BOOL && n->type != QT_NULL)
        return fl__qerr(q, n->pos, FL_EPARSE, "%s must be boolean, not %s", what,
                        fl__qtype_name(n->type));
    return FL_OK;
}

static int resolve_col(struct rctx *r, struct qnode *n)
{
    struct qsel *s = r->s;
    if (n->qual) {
        bool ok = (s->alias && ieq(n->qual, n->qual_len, s->alias)) ||
                  (!s->alias && s->table && ieq(n->qual, n->qual_len, s->table));
        if (!ok)
            return fl__qerr(r->q, n->pos, FL_EPARSE, "unknown table or alias \"%.*s\"",
                            (int)n->qual_len, n->qual);
    }
    for (int c = 0; c < s->src.n; c++) {
        if (ieq(n->name, n->name_len, s->src.names[c])) {
            n->kind = N_SLOT;
            n->slot = c;
            n->type = s->src.types[c];
            if (s->need)
                s->need[c] = true;
            return FL_OK;
        }
    }
    const char *best = NULL;
    size_t bd = 99;
    for (int c = 0; c < s->src.n; c++) {
        size_t d = edit_distance(n->name, n->name_len, s->src.names[c], strlen(s->src.names[c]));
        if (d < bd) {
            bd = d;
            best = s->src.names[c];
        }
    }
    if (best && bd <= 2 && bd < n->name_len)
        return fl__qerr(r->q, n->pos, FL_EPARSE, "unknown column \"%.*s\" (did you mean \"%s\"?)",
                        (int)n->name_len, n->name, best);
    if (s->src_kind == SRC_NONE)
        return fl__qerr(r->q, n->pos, FL_EPARSE, "unknown column \"%.*s\" (the query has no FROM)",
                        (int)n->name_len, n->name);
    return fl__qerr(r->q, n->pos, FL_EPARSE, "unknown column \"%.*s\"", (int)n->name_len, n->name);
}

static int resolve_sub(struct rctx *r, struct qsel *sub, uint32_t pos)
{
    sub->parent = r->s;
    FL_TRY(fl__qresolve(r->q, sub));
    if (sub->nout != 1)
        return fl__qerr(r->q, pos, FL_EPARSE, "a subquery used as a value must return one column, not %d",
                        sub->nout);
    /* run before the outer query: pushed on the outer's list */
    sub->next_sub = r->s->next_sub;
    r->s->next_sub = sub;
    return FL_OK;
}

static int agg_type(struct rctx *r, struct qnode *n)
{
    int t0 = n->nargs > 0 ? n->a[0]->type : QT_NULL;
    int want = 1;
    switch (n->fn) {
    case AG_COUNT_STAR: want = 0; n->type = QT_INT; break;
    case AG_COUNT: n->type = QT_INT; break;
    case AG_APPROX_DISTINCT: n->type = QT_INT; break;
    case AG_COUNT_IF:
        n->type = QT_INT;
        if (n->nargs == 1)
            FL_TRY(bool_arg(r->q, n->a[0], "the argument of count_if"));
        break;
    case AG_SUM:
    case AG_AVG:
    case AG_STDDEV:
    case AG_STDDEV_POP:
    case AG_VARIANCE:
    case AG_VAR_POP:
        if (n->nargs == 1 && !numeric(t0) && !(n->fn == AG_SUM && (t0 == QT_IDS)))
            return fl__qerr(r->q, n->a[0]->pos, FL_EPARSE, "%.*s needs a number, not %s",
                            (int)n->name_len, n->name, fl__qtype_name(t0));
        n->type = n->fn == AG_SUM && (t0 == QT_INT || t0 == QT_IDS) ? (uint8_t)t0 : QT_DBL;
        if (n->fn == AG_SUM && t0 == QT_NULL)
            n->type = QT_INT;
        break;
    case AG_MIN:
    case AG_MAX:
    case AG_ARBITRARY:
        n->type = (uint8_t)t0;
        break;
    case AG_MIN_BY:
    case AG_MAX_BY:
        want = 2;
        n->type = (uint8_t)t0;
        break;
    case AG_APPROX_PERCENTILE:
        want = 2;
        if (n->nargs == 2) {
            if (!numeric(t0))
                return fl__qerr(r->q, n->a[0]->pos, FL_EPARSE, "approx_percentile needs a number");
            struct qnode *pn = n->a[1];
            if (pn->kind != N_LIT || !(pn->lit.t == QT_DBL || pn->lit.t == QT_INT))
                return fl__qerr(r->q, pn->pos, FL_EPARSE,
                                "approx_percentile's percentage must be a constant between 0 and 1");
            double p = pn->lit.t == QT_DBL ? pn->lit.d : (double)pn->lit.i;
            if (!(p >= 0 && p <= 1))
                return fl__qerr(r->q, pn->pos, FL_EPARSE,
                                "approx_percentile's percentage must be between 0 and 1");
        }
        n->type = (uint8_t)t0;
        break;
    case AG_BOOL_AND:
    case AG_BOOL_OR:
        n->type = QT_BOOL;
        if (n->nargs == 1)
            FL_TRY(bool_arg(r->q, n->a[0], "the argument"));
        break;
    default:
        return fl__qerr(r->q, n->pos, FL_EINTERNAL, "unknown aggregate");
    }
    if (n->fn == AG_APPROX_DISTINCT && n->nargs == 2)
        want = 2; /* approx_distinct(x, e): e is accepted and ignored */
    if (n->nargs != want)
        return fl__qerr(r->q, n->pos, FL_EPARSE, "%.*s takes %d argument%s, not %d", (int)n->name_len,
                        n->name, want, want == 1 ? "" : "s", n->nargs);
    if (n->neg && n->fn != AG_COUNT && n->fn != AG_SUM && n->fn != AG_AVG && n->fn != AG_MIN &&
        n->fn != AG_MAX && n->fn != AG_APPROX_DISTINCT)
        return fl__qerr(r->q, n->pos, FL_EUNSUPPORTED, "DISTINCT is not supported in %.*s",
                        (int)n->name_len, n->name);
    return FL_OK;
}

static int resolve_expr(struct rctx *r, struct qnode *n)
{
    struct qctx *q = r->q;
    switch (n->kind) {
    case N_LIT:
        n->type = n->lit.t;
        return FL_OK;
    case N_SLOT:
        return FL_OK;
    case N_COL:
        return resolve_col(r, n);
    case N_STAR:
        return fl__qerr(q, n->pos, FL_EPARSE, "* is only allowed in the select list or count(*)");
    case N_SUBQ:
        FL_TRY(resolve_sub(r, n->sub, n->pos));
        n->type = n->sub->out_types[0];
        return FL_OK;
    case N_AGG: {
        if (!r->allow_agg)
            return fl__qerr(q, n->pos, FL_EPARSE, "aggregate %.*s is not allowed here", (int)n->name_len,
                            n->name);
        if (r->in_agg)
            return fl__qerr(q, n->pos, FL_EPARSE, "aggregates cannot be nested");
        r->in_agg = true;
        for (int i = 0; i < n->nargs; i++) {
            int rc = resolve_expr(r, n->a[i]);
            if (rc < 0) {
                r->in_agg = false;
                return rc;
            }
        }
        r->in_agg = false;
        if (r->has_agg)
            *r->has_agg = true;
        return agg_type(r, n);
    }
    default:
        break;
    }
    for (int i = 0; i < n->nargs; i++)
        if (n->a[i])
            FL_TRY(resolve_expr(r, n->a[i]));
    if (n->kind == N_INSUB) {
        FL_TRY(resolve_sub(r, n->sub, n->pos));
        if (!comparable(n->a[0]->type, n->sub->out_types[0]))
            return fl__qerr(q, n->pos, FL_EPARSE, "cannot compare %s with %s in IN",
                            fl__qtype_name(n->a[0]->type), fl__qtype_name(n->sub->out_types[0]));
        n->type = QT_BOOL;
        return FL_OK;
    }
    struct qnode **a = n->a;
    switch (n->kind) {
    case N_NEG:
        if (!numeric(a[0]->type) && a[0]->type != QT_IDS && a[0]->type != QT_IYM)
            return fl__qerr(q, n->pos, FL_EPARSE, "cannot negate %s", fl__qtype_name(a[0]->type));
        n->type = a[0]->type == QT_NULL ? QT_INT : a[0]->type;
        return FL_OK;
    case N_ARITH: {
        int x = a[0]->type, y = a[1]->type;
        if (numeric(x) && numeric(y)) {
            n->type = (x == QT_DBL || y == QT_DBL) ? QT_DBL : QT_INT;
            return FL_OK;
        }
        bool iv_y = y == QT_IDS || y == QT_IYM, iv_x = x == QT_IDS || x == QT_IYM;
        if ((n->op == '+' || n->op == '-') && (x == QT_DATE || x == QT_TS) && iv_y) {
            n->type = (x == QT_DATE && y == QT_IDS) ? QT_DATE : (uint8_t)x;
            if (x == QT_DATE && y == QT_IDS)
                n->type = QT_DATE; /* Trino: date + interval day -> date */
            return FL_OK;
        }
        if (n->op == '+' && (y == QT_DATE || y == QT_TS) && iv_x) {
            n->type = (uint8_t)y;
            return FL_OK;
        }
        if ((n->op == '+' || n->op == '-') && iv_x && x == y) {
            n->type = (uint8_t)x;
            return FL_OK;
        }
        if ((n->op == '*') && ((iv_x && numeric(y)) || (iv_y && numeric(x)))) {
            n->type = (uint8_t)(iv_x ? x : y);
            return FL_OK;
        }
        if (n->op == '-' && x == QT_TS && y == QT_TS) {
            n->type = QT_IDS;
            return FL_OK;
        }
        return fl__qerr(q, n->pos, FL_EPARSE, "cannot apply %c to %s and %s", n->op, fl__qtype_name(x),
                        fl__qtype_name(y));
    }
    case N_CONCAT:
        n->type = QT_STR;
        return FL_OK;
    case N_CMP:
        FL_TRY(check_cmp(q, a[0], a[1], n->pos));
        n->type = QT_BOOL;
        return FL_OK;
    case N_AND:
    case N_OR:
        FL_TRY(bool_arg(q, a[0], n->kind == N_AND ? "an operand of AND" : "an operand of OR"));
        FL_TRY(bool_arg(q, a[1], n->kind == N_AND ? "an operand of AND" : "an operand of OR"));
        n->type = QT_BOOL;
        return FL_OK;
    case N_NOT:
        FL_TRY(bool_arg(q, a[0], "the operand of NOT"));
        n->type = QT_BOOL;
        return FL_OK;
    case N_ISNULL:
        n->type = QT_BOOL;
        return FL_OK;
    case N_BETWEEN:
        FL_TRY(check_cmp(q, a[0], a[1], n->pos));
        FL_TRY(check_cmp(q, a[0], a[2], n->pos));
        n->type = QT_BOOL;
        return FL_OK;
    case N_INLIST:
        for (int i = 1; i < n->nargs; i++)
            FL_TRY(check_cmp(q, a[0], a[i], a[i]->pos));
        n->type = QT_BOOL;
        return fl__qinlist_compile(q, n);
    case N_LIKE:
        for (int i = 0; i < n->nargs; i++)
            if (a[i]->type != QT_STR && a[i]->type != QT_NULL)
                return fl__qerr(q, a[i]->pos, FL_EPARSE, "LIKE needs varchar, not %s",
                                fl__qtype_name(a[i]->type));
        n->type = QT_BOOL;
        return FL_OK;
    case N_CASE: {
        int rt = QT_NULL;
        int nw = (n->nargs - 2) / 2;
        for (int i = 0; i < nw; i++) {
            struct qnode *w = a[1 + 2 * i], *t = a[2 + 2 * i];
            if (a[0])
                FL_TRY(check_cmp(q, a[0], w, w->pos));
            else
                FL_TRY(bool_arg(q, w, "a WHEN condition"));
            if (rt == QT_NULL)
                rt = t->type;
            else if (t->type != QT_NULL && t->type != rt) {
                if (numeric(rt) && numeric(t->type))
                    rt = QT_DBL;
                else
                    return fl__qerr(q, t->pos, FL_EPARSE, "CASE branches have different types (%s, %s)",
                                    fl__qtype_name(rt), fl__qtype_name(t->type));
            }
        }
        struct qnode *e = a[n->nargs - 1];
        if (e) {
            if (rt == QT_NULL)
                rt = e->type;
            else if (e->type != QT_NULL && e->type != rt) {
                if (numeric(rt) && numeric(e->type))
                    rt = QT_DBL;
                else
                    return fl__qerr(q, e->pos, FL_EPARSE, "CASE branches have different types (%s, %s)",
                                    fl__qtype_name(rt), fl__qtype_name(e->type));
            }
        }
        n->type = (uint8_t)rt;
        return FL_OK;
    }
    case N_CAST:
        n->type = n->op;
        return FL_OK;
    case N_FUNC:
        return fl__qfunc_bind(q, n);
    default:
        return fl__qerr(q, n->pos, FL_EINTERNAL, "unexpected expression");
    }
}

/* ---- aggregate rewrite ----------------------------------------------------------- */
static bool node_eq(const struct qnode *a, const struct qnode *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    if (a->kind != b->kind || a->op != b->op || a->neg != b->neg || a->fn != b->fn ||
        a->nargs != b->nargs || a->trycast != b->trycast)
        return false;
    switch (a->kind) {
    case N_LIT:
        if (a->lit.t != b->lit.t)
            return false;
        if (a->lit.t == QT_STR)
            return a->lit.n == b->lit.n && memcmp(a->lit.s, b->lit.s, a->lit.n) == 0;
        if (a->lit.t == QT_DBL)
            return a->lit.d == b->lit.d;
        return a->lit.i == b->lit.i;
    case N_SLOT:
        return a->slot == b->slot;
    case N_FUNC:
    case N_AGG:
        if (!fl_str_ieq(a->name, a->name_len, b->name, b->name_len))
            return false;
        break;
    case N_SUBQ:
    case N_INSUB:
        if (a->sub != b->sub)
            return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < a->nargs; i++)
        if (!node_eq(a->a[i], b->a[i]))
            return false;
    return true;
}

static int add_agg(struct qctx *q, struct qsel *s, struct qnode *n)
{
    for (int j = 0; j < s->naggs; j++) {
        struct qagg *g = &s->aggs[j];
        if (g->fn == n->fn && g->distinct == (bool)n->neg && node_eq(g->arg, n->nargs ? n->a[0] : NULL) &&
            node_eq(g->arg2, n->nargs > 1 ? n->a[1] : NULL))
            return j;
    }
    if (s->naggs >= 256)
        return fl__qerr(q, n->pos, FL_ELIMIT, "too many aggregates (256)");
    struct qagg *g = &s->aggs[s->naggs];
    memset(g, 0, sizeof *g);
    g->fn = n->fn;
    g->distinct = n->neg;
    g->arg = n->nargs ? n->a[0] : NULL;
    g->arg2 = n->nargs > 1 ? n->a[1] : NULL;
    g->type = n->type;
    if (g->fn == AG_APPROX_PERCENTILE)
        g->pct = g->arg2->lit.t == QT_DBL ? g->arg2->lit.d : (double)g->arg2->lit.i;
    if (g->fn == AG_APPROX_DISTINCT) {
        g->distinct = false; /* a sketch: duplicates do not change it */
        g->arg2 = NULL;
    }
    if (g->fn == AG_COUNT && g->distinct)
        g->fn = AG_COUNT; /* distinct handled by the aggregator */
    return s->naggs++;
}

/* Replace group keys and aggregates by group-row slots; any other column
 * reference is an error. */
static int rewrite(struct qctx *q, struct qsel *s, struct qnode **np)
{
    struct qnode *n = *np;
    if (!n)
        return FL_OK;
    for (int i = 0; i < s->ngroup; i++) {
        if (node_eq(n, s->group[i])) {
            struct qnode *m = newslot(q, i, n->type, n->pos);
            if (!m)
                return fl__qerr(q, n->pos, FL_ENOMEM, "out of memory");
            *np = m;
            return FL_OK;
        }
    }
    if (n->kind == N_AGG) {
        int j = add_agg(q, s, n);
        FL_TRY(j);
        struct qnode *m = newslot(q, s->ngroup + j, n->type, n->pos);
        if (!m)
            return fl__qerr(q, n->pos, FL_ENOMEM, "out of memory");
        *np = m;
        return FL_OK;
    }
    if (n->kind == N_SLOT)
        return fl__qerr(q, n->pos, FL_EPARSE,
                        "column \"%s\" must appear in GROUP BY or be used in an aggregate function",
                        s->src.names[n->slot]);
    if (n->kind == N_SUBQ || n->kind == N_LIT)
        return FL_OK;
    for (int i = 0; i < n->nargs; i++)
        FL_TRY(rewrite(q, s, &n->a[i]));
    return FL_OK;
}

static const char *expr_name(struct qctx *q, struct qsel *s, struct qitem *it, int idx)
{
    if (it->alias)
        return it->alias;
    if (it->e->kind == N_SLOT && s->src.names)
        return s->src.names[it->e->slot];
    char buf[32];
    snprintf(buf, sizeof buf, "_col%d", idx);
    return fl__qarena_strdup(&q->ast, buf, strlen(buf));
}

/* Expand `*` into the source columns (for the scan: the catalog columns,
 * then the folder columns). */
static int expand_star(struct qctx *q, struct qsel *s)
{
    int extra = 0;
    for (int i = 0; i < s->nitems; i++)
        if (s->items[i].e->kind == N_STAR)
            extra += s->src.n - 1;
    if (!extra && s->nitems > 0) {
        bool any = false;
        for (int i = 0; i < s->nitems; i++)
            any |= s->items[i].e->kind == N_STAR;
        if (!any)
            return FL_OK;
    }
    int n = s->nitems + extra;
    struct qitem *items = fl__qarena_alloc(&q->ast, sizeof *items * (size_t)(n > 0 ? n : 1));
    if (!items)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < s->nitems; i++) {
        struct qitem *it = &s->items[i];
        if (it->e->kind != N_STAR) {
            items[k++] = *it;
            continue;
        }
        if (it->e->qual) {
            bool ok = (s->alias && ieq(it->e->qual, it->e->qual_len, s->alias)) ||
                      (!s->alias && s->table && ieq(it->e->qual, it->e->qual_len, s->table));
            if (!ok)
                return fl__qerr(q, it->pos, FL_EPARSE, "unknown table or alias \"%.*s\"",
                                (int)it->e->qual_len, it->e->qual);
        }
        if (s->src_kind == SRC_NONE)
            return fl__qerr(q, it->pos, FL_EPARSE, "SELECT * needs a FROM clause");
        for (int c = 0; c < s->src.n; c++) {
            struct qnode *m = newslot(q, c, s->src.types[c], it->pos);
            if (!m)
                return fl__qerr(q, it->pos, FL_ENOMEM, "out of memory");
            if (s->need)
                s->need[c] = true;
            items[k].e = m;
            items[k].alias = NULL;
            items[k].pos = it->pos;
            k++;
        }
    }
    s->items = items;
    s->nitems = k;
    return FL_OK;
}

int fl__qresolve(struct qctx *q, struct qsel *s)
{
    /* WITH queries: each sees the ones before it (and the outer ones). */
    for (struct qcte *c = s->ctes; c; c = c->next) {
        c->sel->parent = s;
        c->rows = (void *)1; /* hide itself and later ones while resolving */
        for (struct qcte *d = c->next; d; d = d->next)
            d->rows = (void *)1;
        int rc = fl__qresolve(q, c->sel);
        for (struct qcte *d = c; d; d = d->next)
            d->rows = NULL;
        FL_TRY(rc);
    }
    /* the source */
    if (s->from_sub) {
        s->from_sub->parent = s;
        FL_TRY(fl__qresolve(q, s->from_sub));
        struct qcte *c = fl__qarena_alloc(&q->ast, sizeof *c);
        if (!c)
            return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
        memset(c, 0, sizeof *c);
        c->name = "(subquery)";
        c->sel = s->from_sub;
        s->src_kind = SRC_ROWS;
        s->src_cte = c;
    } else if (s->has_from) {
        struct qcte *c = find_cte(s->parent ? s : s, s->table);
        if (c) {
            s->src_kind = SRC_ROWS;
            s->src_cte = c;
        } else if (ieq(s->table, strlen(s->table), "flows") ||
                   ieq(s->table, strlen(s->table), "vpc_flow_logs")) {
            s->src_kind = SRC_SCAN;
            s->vpc_table = ieq(s->table, strlen(s->table), "vpc_flow_logs");
            FL_TRY(scan_schema(q, s));
        } else {
            return fl__qerr(q, s->table_pos, FL_EPARSE,
                            "unknown table \"%s\" (the tables are flows and vpc_flow_logs)", s->table);
        }
    } else {
        s->src_kind = SRC_NONE;
    }
    if (s->src_kind == SRC_ROWS) {
        struct qsel *d = s->src_cte->sel;
        s->src.n = d->nout;
        s->src.names = d->out_names;
        s->src.types = d->out_types;
    }
    if (s->src.n) {
        s->need = fl__qarena_alloc(&q->ast, sizeof(bool) * (size_t)s->src.n);
        if (!s->need)
            return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
        memset(s->need, 0, sizeof(bool) * (size_t)s->src.n);
    }
    FL_TRY(expand_star(q, s));

    bool has_agg = false;
    struct rctx r = {.q = q, .s = s, .allow_agg = false, .has_agg = &has_agg};
    if (s->where) {
        FL_TRY(resolve_expr(&r, s->where));
        FL_TRY(bool_arg(q, s->where, "WHERE"));
    }
    r.allow_agg = true;
    for (int i = 0; i < s->nitems; i++) {
        FL_TRY(resolve_expr(&r, s->items[i].e));
        if (!s->items[i].alias) /* named before the aggregate rewrite */
            s->items[i].alias = expr_name(q, s, &s->items[i], i);
    }
    /* GROUP BY: ordinals, select aliases, expressions over the source */
    r.allow_agg = false;
    for (int i = 0; i < s->ngroup; i++) {
        struct qnode *g = s->group[i];
        if (g->kind == N_LIT && g->lit.t == QT_INT) {
            if (g->lit.i < 1 || g->lit.i > s->nitems)
                return fl__qerr(q, g->pos, FL_EPARSE, "GROUP BY position %lld is not in the select list",
                                (long long)g->lit.i);
            s->group[i] = s->items[g->lit.i - 1].e;
            bool sub_agg = false;
            struct rctx r2 = {.q = q, .s = s, .allow_agg = false, .has_agg = &sub_agg};
            FL_TRY(resolve_expr(&r2, s->group[i])); /* already bound: checks aggregates */
            continue;
        }
        if (g->kind == N_COL && !g->qual) {
            bool found = false;
            for (int c = 0; c < s->src.n; c++)
                found |= ieq(g->name, g->name_len, s->src.names[c]);
            if (!found) {
                for (int k = 0; k < s->nitems; k++) {
                    if (s->items[k].alias && ieq(g->name, g->name_len, s->items[k].alias)) {
                        s->group[i] = s->items[k].e;
                        found = true;
                        break;
                    }
                }
                if (found)
                    continue;
            }
        }
        FL_TRY(resolve_expr(&r, g));
    }
    for (int i = 0; i < s->ngroup; i++) {
        /* an aggregate reached through an ordinal or alias */
        struct qnode *g = s->group[i];
        if (g->kind == N_AGG)
            return fl__qerr(q, g->pos, FL_EPARSE, "GROUP BY cannot contain an aggregate");
    }
    r.allow_agg = true;
    if (s->having) {
        FL_TRY(resolve_expr(&r, s->having));
        FL_TRY(bool_arg(q, s->having, "HAVING"));
    }
    /* ORDER BY */
    int nout = s->nitems;
    for (int i = 0; i < s->norder; i++) {
        struct qorder *o = &s->order[i];
        o->col = -1;
        struct qnode *e = o->e;
        if (e->kind == N_LIT && e->lit.t == QT_INT) {
            if (e->lit.i < 1 || e->lit.i > nout)
                return fl__qerr(q, e->pos, FL_EPARSE, "ORDER BY position %lld is not in the select list",
                                (long long)e->lit.i);
            o->col = (int)e->lit.i - 1;
            continue;
        }
        if (e->kind == N_COL && !e->qual) {
            for (int k = 0; k < nout; k++) {
                if (s->items[k].alias && ieq(e->name, e->name_len, s->items[k].alias)) {
                    o->col = k;
                    break;
                }
            }
            if (o->col >= 0)
                continue;
        }
        FL_TRY(resolve_expr(&r, e));
    }
    s->aggregate = has_agg || s->ngroup > 0;
    if (s->aggregate) {
        s->aggs = fl__qarena_alloc(&q->ast, sizeof *s->aggs * 256);
        if (!s->aggs)
            return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
        for (int i = 0; i < s->nitems; i++)
            FL_TRY(rewrite(q, s, &s->items[i].e));
        if (s->having)
            FL_TRY(rewrite(q, s, &s->having));
        for (int i = 0; i < s->norder; i++)
            if (s->order[i].col < 0)
                FL_TRY(rewrite(q, s, &s->order[i].e));
    } else if (s->having) {
        return fl__qerr(q, s->having->pos, FL_EPARSE, "HAVING needs GROUP BY or an aggregate");
    }
    /* the projection: select items, then hidden ORDER BY columns */
    s->proj = fl__qarena_alloc(&q->ast, sizeof *s->proj * (size_t)(nout + s->norder + 1));
    s->out_names = fl__qarena_alloc(&q->ast, sizeof(char *) * (size_t)(nout + s->norder + 1));
    s->out_types = fl__qarena_alloc(&q->ast, (size_t)(nout + s->norder + 1));
    if (!s->proj || !s->out_names || !s->out_types)
        return fl__qerr(q, s->pos, FL_ENOMEM, "out of memory");
    for (int i = 0; i < nout; i++) {
        s->proj[i] = s->items[i].e;
        s->out_names[i] = expr_name(q, s, &s->items[i], i);
        s->out_types[i] = s->items[i].e->type;
    }
    int np = nout;
    for (int i = 0; i < s->norder; i++) {
        struct qorder *o = &s->order[i];
        if (o->col >= 0)
            continue;
        for (int k = 0; k < np; k++)
            if (node_eq(s->proj[k], o->e))
                o->col = k;
        if (o->col >= 0)
            continue;
        if (s->distinct)
            return fl__qerr(q, o->e->pos, FL_EPARSE,
                            "with SELECT DISTINCT, ORDER BY expressions must appear in the select list");
        s->proj[np] = o->e;
        s->out_names[np] = "";
        s->out_types[np] = o->e->type;
        o->col = np++;
    }
    s->nout = nout;
    s->nproj = np;
    if (s->limit < -1 || s->offset < 0)
        return fl__qerr(q, s->pos, FL_EPARSE, "LIMIT and OFFSET must not be negative");
    return FL_OK;
}
