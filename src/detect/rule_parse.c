/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rule_parse.c - reads rule files (docs/rules.md) with libyaml's document
 * API into struct det_rule: the rule fields, its parameters, default
 * suppressions and test cases (flows as YAML mappings or a compact
 * whitespace table, expected findings).  Every problem is reported as
 * "file:line:col: message" through the caller's diag callback, and a file
 * with a problem loads nothing, so no rule ever runs half-checked.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <yaml.h>

#include "detect/detect_int.h"

#define MAX_VISITS 200000
#define MAX_TEXT (256u << 10)

struct pctx {
    const char *text;
    size_t text_n;
    const char *name;
    yaml_document_t *doc;
    fl_rule_diag_fn diag;
    void *dctx;
    struct fl_error *err;
    int n_errors;
    long visits;
};

/* ---- small utilities ------------------------------------------------------ */
static const char *const sev_names[] = {"?", "info", "low", "medium", "high", "critical"};

const char *fl_severity_name(int sev)
{
    return sev >= 1 && sev <= 5 ? sev_names[sev] : "?";
}

int fl_severity_parse(const char *s, int *out)
{
    for (int i = 1; i <= 5; i++)
        if (strcasecmp(s, sev_names[i]) == 0) {
            *out = i;
            return FL_OK;
        }
    return FL_EINVAL;
}

static const char *const det_names[] = {"sql", "baseline", "first_seen", "beacon",
                                        "scan", "flood", "health"};

const char *fl_detector_name(int det)
{
    return det >= 0 && det < (int)FL_ARRAY_LEN(det_names) ? det_names[det] : "?";
}

int fl__det_parse_duration(const char *s, int64_t *out)
{
    uint64_t ms;
    if (fl_parse_duration_ms(s, &ms) != FL_OK || ms % 1000)
        return FL_EINVAL;
    *out = (int64_t)(ms / 1000);
    return FL_OK;
}

int fl__det_parse_time(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    int64_t v;
    int32_t ns;
    if (fl_parse_i64(s, n, &v) == FL_OK) {
        *out = v;
        return FL_OK;
    }
    if (fl_time_parse_rfc3339(s, n, &v, &ns) == FL_OK) {
        *out = v;
        return FL_OK;
    }
    unsigned y, m, d, hh = 0, mm = 0, ss = 0;
    char sep;
    int k = sscanf(s, "%4u-%2u-%2u%c%2u:%2u:%2u", &y, &m, &d, &sep, &hh, &mm, &ss);
    if ((k == 3 && n == 10) || k >= 6) {
        if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
            return FL_EINVAL;
        *out = fl_days_from_civil(y, m, d) * 86400LL + hh * 3600 + mm * 60 + ss;
        return FL_OK;
    }
    return FL_EINVAL;
}

void fl__det_row_free(struct det_row *r)
{
    for (int i = 0; i < r->n; i++) {
        fl_free(r->kv[i].key);
        fl_free(r->kv[i].val);
    }
    fl_free(r->kv);
    r->kv = NULL;
    r->n = 0;
}

void fl__det_rule_free(struct det_rule *d)
{
    if (!d)
        return;
    fl_free(d->desc);
    fl_free(d->sql);
    fl_free(d->file);
    for (int i = 0; i < d->n_tests; i++) {
        struct det_test *t = &d->tests[i];
        fl_free(t->config);
        fl__det_row_free(&t->defaults);
        for (int j = 0; j < t->n_flows; j++)
            fl__det_row_free(&t->flows[j]);
        fl_free(t->flows);
        for (int j = 0; j < t->n_expect; j++)
            fl__det_row_free(&t->expect[j]);
        fl_free(t->expect);
    }
    fl_free(d->tests);
    fl_free(d);
}

void fl_ruleset_free(fl_ruleset *rs)
{
    if (!rs)
        return;
    for (int i = 0; i < rs->n; i++)
        fl__det_rule_free(rs->rules[i]);
    fl_free(rs->rules);
    fl_free(rs);
}

int fl_ruleset_count(const fl_ruleset *rs) { return rs ? rs->n : 0; }

const struct fl_rule *fl_ruleset_rule(const fl_ruleset *rs, int i)
{
    return rs && i >= 0 && i < rs->n ? &rs->rules[i]->r : NULL;
}

const struct fl_rule *fl_ruleset_find(const fl_ruleset *rs, const char *id)
{
    for (int i = 0; rs && i < rs->n; i++)
        if (strcmp(rs->rules[i]->r.id, id) == 0)
            return &rs->rules[i]->r;
    return NULL;
}

/* ---- YAML helpers ---------------------------------------------------------- */
static int errat(struct pctx *x, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int errat(struct pctx *x, uint32_t line, uint32_t col, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (x->n_errors++ == 0) {
        fl_error_set(x->err, FL_EPARSE, "%s:%u:%u: %s", x->name, line, col, m);
        fl_error_where(x->err, x->name, line, 0);
    }
    if (x->diag) {
        char full[800];
        snprintf(full, sizeof full, "%s:%u:%u: %s", x->name, line, col, m);
        x->diag(x->dctx, x->name, line, col, full);
    }
    return FL_EPARSE;
}

#define NLINE(nd) ((uint32_t)(nd)->start_mark.line + 1)
#define NCOL(nd) ((uint32_t)(nd)->start_mark.column + 1)
#define ERRN(x, nd, ...) errat((x), NLINE(nd), NCOL(nd), __VA_ARGS__)

static yaml_node_t *node(struct pctx *x, int i) { return yaml_document_get_node(x->doc, i); }
static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static int want(struct pctx *x, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    if (!n)
        return errat(x, 0, 0, "%s is missing", what);
    if (++x->visits > MAX_VISITS)
        return ERRN(x, n, "rule file too complex (aliases?)");
    if (n->type != t)
        return ERRN(x, n, "%s must be %s", what,
                    t == YAML_SCALAR_NODE ? "a value" : t == YAML_SEQUENCE_NODE ? "a list" : "a mapping");
    if (t == YAML_SCALAR_NODE && n->data.scalar.length > MAX_TEXT)
        return ERRN(x, n, "%s is too long", what);
    if (t == YAML_SCALAR_NODE && strlen(sval(n)) != n->data.scalar.length)
        return ERRN(x, n, "%s contains a NUL byte", what);
    return FL_OK;
}

static int get_str(struct pctx *x, yaml_node_t *n, const char *what, char *buf, size_t cap)
{
    FL_TRY(want(x, n, YAML_SCALAR_NODE, what));
    if (n->data.scalar.length >= cap)
        return ERRN(x, n, "%s is longer than %zu bytes", what, cap - 1);
    memcpy(buf, sval(n), n->data.scalar.length + 1);
    return FL_OK;
}

static bool plain_number(const yaml_node_t *n)
{
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || n->data.scalar.length == 0)
        return false;
    char *end;
    errno = 0;
    double d = strtod(sval(n), &end);
    (void)d;
    return *end == 0 && errno == 0 && !isspace((unsigned char)sval(n)[0]);
}

static bool is_null_scalar(const yaml_node_t *n)
{
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = sval(n);
    return strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || strcmp(s, "") == 0;
}

/* Leading spaces of 1-based line ln of the file text. */
static uint32_t line_indent(const struct pctx *x, uint32_t ln)
{
    const char *p = x->text, *end = x->text + x->text_n;
    for (uint32_t l = 1; l < ln && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 0;
        p = nl + 1;
    }
    uint32_t k = 0;
    while (p + k < end && p[k] == ' ')
        k++;
    return k;
}

/* Where the text of a scalar starts in the file (block scalars: next line). */
static void scalar_origin(const struct pctx *x, const yaml_node_t *n, uint32_t *line, uint32_t *col)
{
    bool block = n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                 n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
    if (block) {
        *line = (uint32_t)n->start_mark.line + 2;
        *col = line_indent(x, *line) + 1;
    } else {
        bool quoted = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                      n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        *line = (uint32_t)n->start_mark.line + 1;
        *col = (uint32_t)n->start_mark.column + 1 + (quoted ? 1 : 0);
    }
}

/* Append key/value to a row. */
static int row_add(struct det_row *r, const char *k, size_t kn, const char *v, size_t vn,
                   bool isnull, bool is_num)
{
    if (r->n >= 256)
        return FL_ELIMIT;
    struct det_kv *nk = fl_realloc(r->kv, (size_t)(r->n + 1) * sizeof *nk);
    if (!nk)
        return FL_ENOMEM;
    r->kv = nk;
    struct det_kv *e = &r->kv[r->n];
    e->key = fl_strndup(k, kn);
    e->val = isnull ? NULL : fl_strndup(v, vn);
    e->is_num = is_num;
    if (!e->key || (!isnull && !e->val)) {
        fl_free(e->key);
        fl_free(e->val);
        return FL_ENOMEM;
    }
    r->n++;
    return FL_OK;
}

/* A flow row or an expectation as a mapping of scalars. */
static int get_row(struct pctx *x, yaml_node_t *m, const char *what, struct det_row *out)
{
    FL_TRY(want(x, m, YAML_MAPPING_NODE, what));
    out->line = NLINE(m);
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
        FL_TRY(want(x, k, YAML_SCALAR_NODE, "a key"));
        FL_TRY(want(x, v, YAML_SCALAR_NODE, "a flow value"));
        for (int i = 0; i < out->n; i++)
            if (strcmp(out->kv[i].key, sval(k)) == 0)
                return ERRN(x, k, "duplicate key '%s' in %s", sval(k), what);
        int rc = row_add(out, sval(k), k->data.scalar.length, sval(v), v->data.scalar.length,
                         is_null_scalar(v), plain_number(v));
        if (rc != FL_OK)
            return ERRN(x, k, "%s: %s", what, fl_strerror(rc));
    }
    return FL_OK;
}

/* The compact table form: a header line of column names, then one line per
 * flow, whitespace-separated; "-" is NULL; "#" starts a comment line. */
static int get_table(struct pctx *x, yaml_node_t *n, struct det_test *t)
{
    const char *s = sval(n);
    bool block = n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                 n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
    uint32_t ln = NLINE(n) + (block ? 1 : 0);
    (void)block;
    uint32_t ln0, col0;
    scalar_origin(x, n, &ln0, &col0);
    ln = ln0;
    char hdr[64][48];
    int nh = 0;
    bool have_hdr = false;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *p = s, *end = s + len;
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p < end && *p != '#') {
            struct det_row row = {0};
            row.line = ln;
            while (p < end) {
                const char *q = p;
                while (q < end && !isspace((unsigned char)*q))
                    q++;
                size_t tl = (size_t)(q - p);
                uint32_t col1 = (uint32_t)(p - s) + col0;
                if (!have_hdr) {
                    if (tl >= sizeof hdr[0] || nh >= 64)
                        return errat(x, ln, col1, "table header: column name too long or too many columns");
                    memcpy(hdr[nh], p, tl);
                    hdr[nh][tl] = 0;
                    if (fl_field_lookup(hdr[nh], tl) < 0 && strcmp(hdr[nh], "date") != 0)
                        return errat(x, ln, col1, "table header: '%s' is not a flow column", hdr[nh]);
                    nh++;
                } else {
                    if (row.n >= nh) {
                        fl__det_row_free(&row);
                        return errat(x, ln, col1, "more values than the %d columns of the header", nh);
                    }
                    bool isnull = tl == 1 && *p == '-';
                    bool num = false;
                    char tmp[64];
                    if (tl > 0 && tl < sizeof tmp) {
                        memcpy(tmp, p, tl);
                        tmp[tl] = 0;
                        char *ep;
                        (void)strtod(tmp, &ep);
                        num = *ep == 0;
                    }
                    if (row_add(&row, hdr[row.n], strlen(hdr[row.n]), p, tl, isnull, num) != FL_OK) {
                        fl__det_row_free(&row);
                        return errat(x, ln, col1, "out of memory");
                    }
                }
                p = q;
                while (p < end && isspace((unsigned char)*p))
                    p++;
            }
            if (!have_hdr) {
                have_hdr = true;
            } else {
                if (row.n != nh) {
                    fl__det_row_free(&row);
                    return errat(x, ln, 1, "%d values for %d columns", row.n, nh);
                }
                if (t->n_flows >= DET_TEST_ROWS_MAX) {
                    fl__det_row_free(&row);
                    return errat(x, ln, 1, "too many flow rows");
                }
                struct det_row *nf = fl_realloc(t->flows, (size_t)(t->n_flows + 1) * sizeof *nf);
                if (!nf) {
                    fl__det_row_free(&row);
                    return errat(x, ln, 1, "out of memory");
                }
                t->flows = nf;
                t->flows[t->n_flows++] = row;
            }
        }
        ln++;
        s = e ? e + 1 : s + len;
    }
    return FL_OK;
}

static bool key_is(const yaml_node_t *k, const char *s)
{
    return k->type == YAML_SCALAR_NODE && strcmp(sval(k), s) == 0;
}

static int check_keys(struct pctx *x, yaml_node_t *m, const char *where, const char *const *allowed)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key);
        FL_TRY(want(x, k, YAML_SCALAR_NODE, "a key"));
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            ok |= key_is(k, allowed[i]);
        if (!ok) {
            char list[400] = "";
            size_t len = 0;
            for (int i = 0; allowed[i] && len < sizeof list; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", allowed[i]);
            return ERRN(x, k, "unknown key '%.64s' in %s (expected one of: %s)", sval(k), where, list);
        }
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++)
            if (key_is(node(x, q->key), sval(k)))
                return ERRN(x, k, "duplicate key '%.64s' in %s", sval(k), where);
    }
    return FL_OK;
}

static yaml_node_t *map_get(struct pctx *x, yaml_node_t *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
        if (key_is(node(x, p->key), key))
            return node(x, p->value);
    return NULL;
}

static bool ident_ok(const char *s, bool dots)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || (dots && *s == '.')))
            return false;
    return true;
}

static void sql_quote(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    if (cap < 3) {
        if (cap)
            out[0] = 0;
        return;
    }
    out[k++] = '\'';
    for (; *s && k + 3 < cap; s++) {
        if (*s == '\'')
            out[k++] = '\'';
        out[k++] = *s;
    }
    out[k++] = '\'';
    out[k] = 0;
}

/* One parameter: a scalar or a list of scalars. */
static int get_param(struct pctx *x, yaml_node_t *k, yaml_node_t *v, struct fl_rule *r)
{
    if (r->n_params >= FL_RULE_MAX_PARAMS)
        return ERRN(x, k, "more than %d params", FL_RULE_MAX_PARAMS);
    struct fl_rule_param *pm = &r->params[r->n_params];
    memset(pm, 0, sizeof *pm);
    if (strlen(sval(k)) >= sizeof pm->name || !ident_ok(sval(k), false) || strchr(sval(k), '-'))
        return ERRN(x, k, "param name '%.64s' must be letters, digits and _", sval(k));
    for (int i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, sval(k)) == 0)
            return ERRN(x, k, "duplicate param '%s'", sval(k));
    memcpy(pm->name, sval(k), strlen(sval(k)) + 1);
    if (v->type == YAML_SCALAR_NODE) {
        FL_TRY(want(x, v, YAML_SCALAR_NODE, "a param"));
        if (v->data.scalar.length >= sizeof pm->text - 4)
            return ERRN(x, v, "param '%s' is too long", pm->name);
        memcpy(pm->text, sval(v), v->data.scalar.length + 1);
        if (plain_number(v)) {
            pm->is_num = true;
            pm->num = strtod(sval(v), NULL);
            memcpy(pm->sql, pm->text, strlen(pm->text) + 1);
        } else {
            sql_quote(pm->text, pm->sql, sizeof pm->sql);
        }
    } else if (v->type == YAML_SEQUENCE_NODE) {
        size_t ls = 0, lt = 0;
        int cnt = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = node(x, *it);
            FL_TRY(want(x, e, YAML_SCALAR_NODE, "a list item of a param"));
            char q[300];
            if (plain_number(e))
                snprintf(q, sizeof q, "%s", sval(e));
            else
                sql_quote(sval(e), q, sizeof q);
            if (ls + strlen(q) + 3 >= sizeof pm->sql || lt + e->data.scalar.length + 2 >= sizeof pm->text)
                return ERRN(x, e, "param '%s' list is too long", pm->name);
            ls += (size_t)snprintf(pm->sql + ls, sizeof pm->sql - ls, "%s%s", cnt ? ", " : "", q);
            lt += (size_t)snprintf(pm->text + lt, sizeof pm->text - lt, "%s%s", cnt ? "," : "", sval(e));
            cnt++;
        }
        if (cnt == 0)
            memcpy(pm->sql, "NULL", 5); /* x IN (NULL) is never true */
    } else {
        return ERRN(x, v, "param '%s' must be a value or a list", pm->name);
    }
    r->n_params++;
    return FL_OK;
}

static int get_params(struct pctx *x, yaml_node_t *m, struct fl_rule *r, const char *skip)
{
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "params"));
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
        FL_TRY(want(x, k, YAML_SCALAR_NODE, "a param name"));
        if (skip && strcmp(sval(k), skip) == 0)
            continue;
        FL_TRY(get_param(x, k, v, r));
    }
    return FL_OK;
}

static int get_duration(struct pctx *x, yaml_node_t *v, const char *what, int64_t *out)
{
    char b[32];
    FL_TRY(get_str(x, v, what, b, sizeof b));
    if (fl__det_parse_duration(b, out) != FL_OK)
        return ERRN(x, v, "%s: bad duration '%s' (use e.g. 30s, 5m, 1h, 24h, 7d)", what, b);
    return FL_OK;
}

static int get_time(struct pctx *x, yaml_node_t *v, const char *what, int64_t *out)
{
    char b[64];
    FL_TRY(get_str(x, v, what, b, sizeof b));
    if (fl__det_parse_time(b, out) != FL_OK)
        return ERRN(x, v, "%s: bad time '%s' (Unix seconds or YYYY-MM-DDTHH:MM:SSZ)", what, b);
    return FL_OK;
}

static int get_test(struct pctx *x, yaml_node_t *m, struct det_test *t, int idx)
{
    static const char *const keys[] = {"name", "config", "from", "to", "now", "defaults", "flows",
                                       "expect", "expect_count", NULL};
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "a test case"));
    FL_TRY(check_keys(x, m, "a test case", keys));
    t->line = NLINE(m);
    t->expect_count = -1;
    snprintf(t->name, sizeof t->name, "case%d", idx + 1);
    yaml_node_t *v;
    if ((v = map_get(x, m, "name")))
        FL_TRY(get_str(x, v, "test name", t->name, sizeof t->name));
    if ((v = map_get(x, m, "config"))) {
        FL_TRY(want(x, v, YAML_SCALAR_NODE, "test config (flowsift.yaml text)"));
        if (!(t->config = fl_strdup(sval(v))))
            return ERRN(x, v, "out of memory");
    }
    yaml_node_t *vf = map_get(x, m, "from"), *vt = map_get(x, m, "to");
    if ((vf != NULL) != (vt != NULL))
        return ERRN(x, m, "test '%s': give both from and to, or neither", t->name);
    if (vf) {
        FL_TRY(get_time(x, vf, "from", &t->from));
        FL_TRY(get_time(x, vt, "to", &t->to));
        if (t->to <= t->from)
            return ERRN(x, vt, "test '%s': to must be after from", t->name);
        t->have_range = true;
    }
    if ((v = map_get(x, m, "now")))
        FL_TRY(get_time(x, v, "now", &t->now));
    if ((v = map_get(x, m, "defaults")))
        FL_TRY(get_row(x, v, "test defaults", &t->defaults));
    v = map_get(x, m, "flows");
    if (!v)
        return ERRN(x, m, "test '%s' has no flows", t->name);
    if (v->type == YAML_SCALAR_NODE) {
        FL_TRY(want(x, v, YAML_SCALAR_NODE, "flows"));
        FL_TRY(get_table(x, v, t));
    } else {
        FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "flows (a list of mappings or a table)"));
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            if (t->n_flows >= DET_TEST_ROWS_MAX)
                return ERRN(x, v, "too many flows");
            struct det_row *nf = fl_realloc(t->flows, (size_t)(t->n_flows + 1) * sizeof *nf);
            if (!nf)
                return ERRN(x, v, "out of memory");
            t->flows = nf;
            memset(&t->flows[t->n_flows], 0, sizeof *nf);
            t->n_flows++;
            FL_TRY(get_row(x, node(x, *it), "a flow", &t->flows[t->n_flows - 1]));
        }
    }
    for (int i = 0; i < t->n_flows; i++)
        for (int j = 0; j < t->flows[i].n; j++) {
            const char *k = t->flows[i].kv[j].key;
            if (fl_field_lookup(k, strlen(k)) < 0 && strcmp(k, "date") != 0)
                return errat(x, t->flows[i].line, 1, "test '%s': '%s' is not a flow column", t->name, k);
        }
    if ((v = map_get(x, m, "expect"))) {
        FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "expect (a list of findings)"));
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            if (t->n_expect >= 10000)
                return ERRN(x, v, "too many expectations");
            struct det_row *ne = fl_realloc(t->expect, (size_t)(t->n_expect + 1) * sizeof *ne);
            if (!ne)
                return ERRN(x, v, "out of memory");
            t->expect = ne;
            memset(&t->expect[t->n_expect], 0, sizeof *ne);
            t->n_expect++;
            FL_TRY(get_row(x, node(x, *it), "an expected finding", &t->expect[t->n_expect - 1]));
        }
    } else if (!map_get(x, m, "expect_count")) {
        return ERRN(x, m, "test '%s' has no expect (use expect: [] for none)", t->name);
    }
    if ((v = map_get(x, m, "expect_count"))) {
        char b[16];
        int64_t c;
        FL_TRY(get_str(x, v, "expect_count", b, sizeof b));
        if (fl_parse_i64(b, strlen(b), &c) != FL_OK || c < 0 || c > 1000000)
            return ERRN(x, v, "expect_count must be a count");
        t->expect_count = (int)c;
    }
    return FL_OK;
}

static const struct {
    const char *name;
    int det;
} det_types[] = {{"baseline", FL_DET_BASELINE}, {"first_seen", FL_DET_FIRST_SEEN},
                 {"beacon", FL_DET_BEACON},     {"scan", FL_DET_SCAN},
                 {"flood", FL_DET_FLOOD},       {"health", FL_DET_HEALTH}};

static int get_rule(struct pctx *x, yaml_node_t *m, struct det_rule *d)
{
    static const char *const keys[] = {"id", "title", "description", "severity", "attack", "entity",
                                       "window", "lateness", "renotify", "max_per_run", "enabled",
                                       "sql", "detector", "params", "suppress", "tests", NULL};
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "a rule"));
    FL_TRY(check_keys(x, m, "a rule", keys));
    struct fl_rule *r = &d->r;
    r->line = NLINE(m);
    r->enabled = true;
    r->lateness_s = 600;
    r->renotify_s = 86400;
    r->max_per_run = 100;
    yaml_node_t *v;
    if (!(v = map_get(x, m, "id")))
        return ERRN(x, m, "rule has no id");
    FL_TRY(get_str(x, v, "id", r->id, sizeof r->id));
    if (!ident_ok(r->id, true))
        return ERRN(x, v, "id '%s' may contain only letters, digits, '.', '_' and '-'", r->id);
    if (!(v = map_get(x, m, "title")))
        return ERRN(x, m, "rule %s has no title", r->id);
    FL_TRY(get_str(x, v, "title", r->title, sizeof r->title));
    if ((v = map_get(x, m, "description"))) {
        FL_TRY(want(x, v, YAML_SCALAR_NODE, "description"));
        d->desc = fl_strdup(sval(v));
    } else {
        d->desc = fl_strdup("");
    }
    if (!d->desc)
        return ERRN(x, m, "out of memory");
    r->description = d->desc;
    if (!(v = map_get(x, m, "severity")))
        return ERRN(x, m, "rule %s has no severity", r->id);
    char sb[32];
    FL_TRY(get_str(x, v, "severity", sb, sizeof sb));
    if (fl_severity_parse(sb, &r->severity) != FL_OK)
        return ERRN(x, v, "severity '%s' must be info, low, medium, high or critical", sb);
    if ((v = map_get(x, m, "attack"))) {
        FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "attack (a list of technique ids)"));
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = node(x, *it);
            if (r->n_attack >= FL_RULE_MAX_ATTACK)
                return ERRN(x, e, "more than %d attack ids", FL_RULE_MAX_ATTACK);
            char *a = r->attack[r->n_attack];
            FL_TRY(get_str(x, e, "an attack id", a, sizeof r->attack[0]));
            bool ok = a[0] == 'T' && isdigit((unsigned char)a[1]) && strlen(a) >= 5;
            for (const char *p = a + 1; ok && *p; p++)
                ok = isdigit((unsigned char)*p) || *p == '.';
            if (!ok)
                return ERRN(x, e, "'%s' is not an ATT&CK technique id (T1046, T1110.001)", a);
            r->n_attack++;
        }
    }
    if (!(v = map_get(x, m, "entity")))
        return ERRN(x, m, "rule %s has no entity (the columns that identify a finding)", r->id);
    FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "entity (a list of column names)"));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = node(x, *it);
        if (r->n_entity >= FL_RULE_MAX_ENTITY)
            return ERRN(x, e, "more than %d entity columns", FL_RULE_MAX_ENTITY);
        FL_TRY(get_str(x, e, "an entity column", r->entity[r->n_entity], sizeof r->entity[0]));
        if (!ident_ok(r->entity[r->n_entity], false) || strchr(r->entity[r->n_entity], '-'))
            return ERRN(x, e, "entity column '%s' is not a column name", r->entity[r->n_entity]);
        r->n_entity++;
    }
    if (r->n_entity == 0)
        return ERRN(x, v, "entity must name at least one column");
    if (!(v = map_get(x, m, "window")))
        return ERRN(x, m, "rule %s has no window (e.g. 1h)", r->id);
    FL_TRY(get_duration(x, v, "window", &r->window_s));
    if (r->window_s < 60 || r->window_s > 31 * 86400 ||
        (86400 % r->window_s != 0 && r->window_s % 86400 != 0))
        return ERRN(x, v, "window must be 1m..31d and divide a day (or be whole days)");
    if ((v = map_get(x, m, "lateness")))
        FL_TRY(get_duration(x, v, "lateness", &r->lateness_s));
    if ((v = map_get(x, m, "renotify")))
        FL_TRY(get_duration(x, v, "renotify", &r->renotify_s));
    if ((v = map_get(x, m, "max_per_run"))) {
        char b[16];
        int64_t c;
        FL_TRY(get_str(x, v, "max_per_run", b, sizeof b));
        if (fl_parse_i64(b, strlen(b), &c) != FL_OK || c < 1 || c > 1000000)
            return ERRN(x, v, "max_per_run must be 1..1000000");
        r->max_per_run = (int)c;
    }
    if ((v = map_get(x, m, "enabled"))) {
        char b[8];
        FL_TRY(get_str(x, v, "enabled", b, sizeof b));
        if (strcmp(b, "true") == 0 || strcmp(b, "yes") == 0)
            r->enabled = true;
        else if (strcmp(b, "false") == 0 || strcmp(b, "no") == 0)
            r->enabled = false;
        else
            return ERRN(x, v, "enabled must be true or false");
    }
    yaml_node_t *vs = map_get(x, m, "sql"), *vd = map_get(x, m, "detector");
    if ((vs != NULL) == (vd != NULL))
        return ERRN(x, m, "rule %s needs exactly one of sql: or detector:", r->id);
    if (vs) {
        FL_TRY(want(x, vs, YAML_SCALAR_NODE, "sql"));
        if (vs->data.scalar.length >= DET_SQL_MAX / 2)
            return ERRN(x, vs, "sql is too long");
        if (!(d->sql = fl_strdup(sval(vs))))
            return ERRN(x, vs, "out of memory");
        r->sql = d->sql;
        r->detector = FL_DET_SQL;
        scalar_origin(x, vs, &d->sql_line, &d->sql_col);
    } else {
        FL_TRY(want(x, vd, YAML_MAPPING_NODE, "detector (a mapping with type: and its params)"));
        yaml_node_t *ty = map_get(x, vd, "type");
        if (!ty)
            return ERRN(x, vd, "detector has no type (baseline, first_seen, beacon, scan, flood, health)");
        char b[32];
        FL_TRY(get_str(x, ty, "detector type", b, sizeof b));
        r->detector = -1;
        for (size_t i = 0; i < FL_ARRAY_LEN(det_types); i++)
            if (strcmp(b, det_types[i].name) == 0)
                r->detector = det_types[i].det;
        if (r->detector < 0)
            return ERRN(x, ty, "unknown detector type '%s' (baseline, first_seen, beacon, scan, flood, health)", b);
        FL_TRY(get_params(x, vd, r, "type"));
    }
    if ((v = map_get(x, m, "params")))
        FL_TRY(get_params(x, v, r, NULL));
    if ((v = map_get(x, m, "suppress"))) {
        FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "suppress (a list of {cidr: ..} or {tag: ..})"));
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = node(x, *it);
            static const char *const sk[] = {"cidr", "tag", NULL};
            FL_TRY(want(x, e, YAML_MAPPING_NODE, "a suppression"));
            FL_TRY(check_keys(x, e, "a suppression", sk));
            if (r->n_suppress >= FL_RULE_MAX_SUPPRESS)
                return ERRN(x, e, "more than %d suppressions", FL_RULE_MAX_SUPPRESS);
            struct fl_rule_suppress *su = &r->suppress[r->n_suppress];
            memset(su, 0, sizeof *su);
            yaml_node_t *c = map_get(x, e, "cidr"), *tg = map_get(x, e, "tag");
            if (!c && !tg)
                return ERRN(x, e, "a suppression needs cidr: or tag:");
            if (c) {
                char cb[64];
                FL_TRY(get_str(x, c, "cidr", cb, sizeof cb));
                if (fl_cidr_parse(cb, strlen(cb), &su->cidr) != FL_OK)
                    return ERRN(x, c, "bad CIDR '%s'", cb);
                su->has_cidr = true;
            }
            if (tg)
                FL_TRY(get_str(x, tg, "tag", su->tag, sizeof su->tag));
            r->n_suppress++;
        }
    }
    if ((v = map_get(x, m, "tests"))) {
        FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "tests (a list of test cases)"));
        int n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (n > 1000)
            return ERRN(x, v, "too many tests");
        d->tests = fl_calloc((size_t)(n ? n : 1), sizeof *d->tests);
        if (!d->tests)
            return ERRN(x, v, "out of memory");
        for (int i = 0; i < n; i++) {
            d->n_tests = i + 1;
            FL_TRY(get_test(x, node(x, v->data.sequence.items.start[i]), &d->tests[i], i));
            for (int j = 0; j < i; j++)
                if (strcmp(d->tests[j].name, d->tests[i].name) == 0)
                    return errat(x, d->tests[i].line, 1, "duplicate test name '%s'", d->tests[i].name);
            for (int j = 0; j < d->tests[i].n_expect; j++)
                for (int k = 0; k < d->tests[i].expect[j].n; k++) {
                    const char *ek = d->tests[i].expect[j].kv[k].key;
                    bool known = strcmp(ek, "severity") == 0 || strcmp(ek, "count") == 0;
                    for (int e = 0; e < r->n_entity; e++)
                        known |= strcmp(ek, r->entity[e]) == 0;
                    if (!known)
                        return errat(x, d->tests[i].expect[j].line, 1,
                                     "expected finding key '%s' is not an entity column of %s "
                                     "(or severity, count)", ek, r->id);
                }
        }
    }
    r->n_tests = d->n_tests;
    return FL_OK;
}

static int ruleset_add(fl_ruleset *rs, struct det_rule *d)
{
    if (rs->n >= 10000)
        return FL_ELIMIT;
    if (rs->n == rs->cap) {
        int nc = rs->cap ? rs->cap * 2 : 32;
        struct det_rule **nr = fl_realloc(rs->rules, (size_t)nc * sizeof *nr);
        if (!nr)
            return FL_ENOMEM;
        rs->rules = nr;
        rs->cap = nc;
    }
    rs->rules[rs->n++] = d;
    return FL_OK;
}

/* Parse one file's text into rs.  Rules of a file with an error are dropped. */
static int parse_text(fl_ruleset *rs, const char *text, size_t n, const char *name,
                      fl_rule_diag_fn diag, void *dctx, struct fl_error *err)
{
    struct pctx x = {text, n, name, NULL, diag, dctx, err, 0, 0};
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return fl_error_set(err, FL_ENOMEM, "yaml parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = errat(&x, (uint32_t)parser.problem_mark.line + 1, (uint32_t)parser.problem_mark.column + 1,
                       "YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
                       parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    x.doc = &doc;
    int rc = FL_OK;
    int first = rs->n;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = errat(&x, 1, 1, "empty rule file");
    } else {
        yaml_node_t *items[1] = {root};
        yaml_node_item_t *start = NULL, *top = NULL;
        if (root->type == YAML_SEQUENCE_NODE) {
            start = root->data.sequence.items.start;
            top = root->data.sequence.items.top;
        }
        int cnt = start ? (int)(top - start) : 1;
        for (int i = 0; i < cnt && rc == FL_OK; i++) {
            yaml_node_t *m = start ? node(&x, start[i]) : items[0];
            struct det_rule *d = fl_calloc(1, sizeof *d);
            if (!d || !(d->file = fl_strdup(name))) {
                fl__det_rule_free(d);
                rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                break;
            }
            d->r.file = d->file;
            rc = get_rule(&x, m, d);
            if (rc == FL_OK && fl_ruleset_find(rs, d->r.id)) {
                const struct fl_rule *o = fl_ruleset_find(rs, d->r.id);
                rc = errat(&x, d->r.line, 1, "duplicate rule id '%s' (also in %s:%u)", d->r.id, o->file, o->line);
            }
            if (rc == FL_OK) {
                char m2[600];
                uint32_t el = 0, ec = 0;
                if (fl__det_rule_check(d, m2, sizeof m2, &el, &ec) != FL_OK)
                    rc = errat(&x, el ? el : d->r.line, el ? ec : 1, "rule %s: %s", d->r.id, m2);
            }
            if (rc == FL_OK && ruleset_add(rs, d) != FL_OK)
                rc = fl_error_set(err, FL_ENOMEM, "out of memory");
            if (rc != FL_OK)
                fl__det_rule_free(d);
        }
    }
    if (rc != FL_OK) {
        for (int i = first; i < rs->n; i++)
            fl__det_rule_free(rs->rules[i]);
        rs->n = first;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int fl_rules_parse(fl_ruleset **out, const char *text, size_t n, const char *name,
                   fl_rule_diag_fn diag, void *ctx, struct fl_error *err)
{
    *out = NULL;
    if (n > DET_RULE_FILE_MAX)
        return fl_error_set(err, FL_ELIMIT, "%s: rule file larger than %u bytes", name, DET_RULE_FILE_MAX);
    fl_ruleset *rs = fl_calloc(1, sizeof *rs);
    if (!rs)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    int rc = parse_text(rs, text, n, name, diag, ctx, err);
    if (rc != FL_OK) {
        fl_ruleset_free(rs);
        return rc;
    }
    *out = rs;
    return FL_OK;
}

static int load_file(fl_ruleset *rs, const char *path, fl_rule_diag_fn diag, void *ctx,
                     struct fl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fl_error_sys(err, FL_EIO, errno, "%s: %s", path, strerror(errno));
        if (diag)
            diag(ctx, path, 0, 0, err->msg);
        return FL_EIO;
    }
    char *buf = fl_malloc(DET_RULE_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, DET_RULE_FILE_MAX + 1, f);
    bool bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) {
        rc = fl_error_set(err, FL_EIO, "%s: read error", path);
    } else if (n > DET_RULE_FILE_MAX) {
        rc = fl_error_set(err, FL_ELIMIT, "%s:1:1: rule file larger than %u bytes", path, DET_RULE_FILE_MAX);
    } else {
        buf[n] = 0;
        rc = parse_text(rs, buf, n, path, diag, ctx, err);
        fl_free(buf);
        return rc;
    }
    if (diag)
        diag(ctx, path, 0, 0, err->msg);
    fl_free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n)
{
    size_t l = strlen(n);
    return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".yaml") == 0) || (l > 4 && strcmp(n + l - 4, ".yml") == 0));
}

int fl_rules_load(fl_ruleset **out, const char *const *paths, int n_paths,
                  fl_rule_diag_fn diag, void *ctx, struct fl_error *err)
{
    *out = NULL;
    fl_ruleset *rs = fl_calloc(1, sizeof *rs);
    if (!rs)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    int first_rc = FL_OK;
    struct fl_error e1;
    for (int i = 0; i < n_paths; i++) {
        struct stat sb;
        fl_error_clear(&e1);
        int rc = FL_OK;
        if (stat(paths[i], &sb) != 0) {
            rc = fl_error_sys(&e1, FL_EIO, errno, "%s: %s", paths[i], strerror(errno));
            if (diag)
                diag(ctx, paths[i], 0, 0, e1.msg);
        } else if (S_ISDIR(sb.st_mode)) {
            DIR *dp = opendir(paths[i]);
            if (!dp) {
                rc = fl_error_sys(&e1, FL_EIO, errno, "%s: %s", paths[i], strerror(errno));
                if (diag)
                    diag(ctx, paths[i], 0, 0, e1.msg);
            } else {
                char **names = NULL;
                size_t nn = 0, cap = 0;
                struct dirent *de;
                while ((de = readdir(dp)) && nn < 10000) {
                    if (!yaml_name(de->d_name))
                        continue;
                    if (nn == cap) {
                        cap = cap ? cap * 2 : 64;
                        char **nb = fl_realloc(names, cap * sizeof *nb);
                        if (!nb)
                            break;
                        names = nb;
                    }
                    size_t l = strlen(paths[i]) + strlen(de->d_name) + 2;
                    names[nn] = fl_malloc(l);
                    if (!names[nn])
                        break;
                    snprintf(names[nn], l, "%s/%s", paths[i], de->d_name);
                    nn++;
                }
                closedir(dp);
                if (nn)
                    qsort(names, nn, sizeof *names, cmp_str);
                for (size_t j = 0; j < nn; j++) {
                    struct fl_error e2;
                    fl_error_clear(&e2);
                    int r2 = load_file(rs, names[j], diag, ctx, &e2);
                    if (r2 != FL_OK && rc == FL_OK) {
                        rc = r2;
                        e1 = e2;
                    }
                    fl_free(names[j]);
                }
                fl_free(names);
            }
        } else {
            rc = load_file(rs, paths[i], diag, ctx, &e1);
        }
        if (rc != FL_OK && first_rc == FL_OK) {
            first_rc = rc;
            if (err)
                *err = e1;
        }
    }
    if (first_rc != FL_OK) {
        fl_ruleset_free(rs);
        return first_rc == FL_EIO || first_rc == FL_ENOMEM ? first_rc : FL_EPARSE;
    }
    *out = rs;
    return FL_OK;
}
