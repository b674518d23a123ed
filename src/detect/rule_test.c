/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rule_test.c - `flowsift rules test`: every rule carries its own cases
 * (flows in, expected findings out).  A case's flows are expanded (integer
 * ranges "A..B" or "A..B/STEP" as a whole value, "{A..B}" / "{A..B/STEP}"
 * inside a string; fields of one row advance together), completed with
 * defaults (aws, an account, a region, action ACCEPT, log_status OK,
 * protocol 6, end = start + 60), enriched with the case's config (explicit
 * enrichment columns win), and written as a Parquet dataset in the
 * docs/dataset.md layout under a temporary home.  Then the rule runs over
 * the case's range with a fresh state database and its findings are
 * compared with the expectation: each expected entry must match one
 * finding on the keys it gives, and the number of findings must be equal.
 */
#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/detect_int.h"
#include "fl/fl_dataset.h"
#include "fl/fl_enrich.h"
#include "fl/fl_store.h"

/* One value of a row after range expansion: a list of n alternatives. */
struct xval {
    const char *key;
    const char *raw;   /* NULL = NULL */
    bool is_num;
    int64_t a, step;   /* range a, a+step, ... */
    int64_t n;         /* 1 = no range */
    const char *pre, *post; /* string range: pre{..}post */
    size_t pre_n;
};

static bool parse_range(const char *s, size_t n, int64_t *a, int64_t *b, int64_t *step)
{
    const char *dd = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '.' && s[i + 1] == '.') {
            dd = s + i;
            break;
        }
    if (!dd)
        return false;
    const char *sl = memchr(dd, '/', (size_t)(s + n - dd));
    *step = 1;
    if (fl_parse_i64(s, (size_t)(dd - s), a) != FL_OK)
        return false;
    const char *be = sl ? sl : s + n;
    if (fl_parse_i64(dd + 2, (size_t)(be - dd - 2), b) != FL_OK)
        return false;
    if (sl && (fl_parse_i64(sl + 1, (size_t)(s + n - sl - 1), step) != FL_OK || *step <= 0))
        return false;
    return *b >= *a && (*b - *a) / *step < DET_TEST_ROWS_MAX;
}

static void xval_init(struct xval *x, const struct det_kv *kv)
{
    memset(x, 0, sizeof *x);
    x->key = kv->key;
    x->raw = kv->val;
    x->is_num = kv->is_num;
    x->n = 1;
    if (!kv->val)
        return;
    size_t n = strlen(kv->val);
    int64_t a, b, st;
    if (parse_range(kv->val, n, &a, &b, &st)) {
        x->a = a;
        x->step = st;
        x->n = (b - a) / st + 1;
        x->is_num = true;
        return;
    }
    const char *lb = strchr(kv->val, '{'), *rb = lb ? strchr(lb, '}') : NULL;
    if (lb && rb && parse_range(lb + 1, (size_t)(rb - lb - 1), &a, &b, &st)) {
        x->a = a;
        x->step = st;
        x->n = (b - a) / st + 1;
        x->pre = kv->val;
        x->pre_n = (size_t)(lb - kv->val);
        x->post = rb + 1;
    }
}

/* The text of x at repetition j into buf. */
static const char *xval_at(const struct xval *x, int64_t j, char *buf, size_t cap)
{
    if (!x->raw)
        return NULL;
    if (x->n == 1 && !x->pre)
        return x->raw;
    int64_t v = x->a + (j % x->n) * x->step;
    if (x->pre)
        snprintf(buf, cap, "%.*s%lld%s", (int)x->pre_n, x->pre, (long long)v, x->post);
    else
        snprintf(buf, cap, "%lld", (long long)v);
    return buf;
}

struct gen {
    const struct det_test *t;
    struct xval xv[512];
    int nx;
    int64_t reps;
};

/* Prepare flow row i (defaults + row). */
static void gen_row(struct gen *g, int i)
{
    g->nx = 0;
    g->reps = 1;
    const struct det_row *rows[2] = {&g->t->defaults, &g->t->flows[i]};
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < rows[r]->n && g->nx < 512; k++) {
            int slot = g->nx;
            for (int q = 0; q < g->nx; q++)
                if (strcmp(g->xv[q].key, rows[r]->kv[k].key) == 0)
                    slot = q;
            xval_init(&g->xv[slot], &rows[r]->kv[k]);
            if (slot == g->nx)
                g->nx++;
        }
    for (int q = 0; q < g->nx; q++)
        if (g->xv[q].n > g->reps)
            g->reps = g->xv[q].n;
}

static const char *gen_get(const struct gen *g, const char *key, int64_t j, char *buf, size_t cap,
                           bool *present)
{
    for (int q = 0; q < g->nx; q++)
        if (strcmp(g->xv[q].key, key) == 0) {
            *present = true;
            return xval_at(&g->xv[q], j, buf, cap);
        }
    *present = false;
    return NULL;
}

/* Partition of repetition j of the prepared row. */
static void gen_part(const struct gen *g, int64_t j, char *out, size_t cap, int64_t *start_out)
{
    char b1[256], b2[256], b3[256], b4[64];
    bool p;
    const char *cloud = gen_get(g, "cloud", j, b1, sizeof b1, &p);
    cloud = p ? cloud : "aws";
    const char *acct = gen_get(g, "account", j, b2, sizeof b2, &p);
    acct = p ? acct : "123456789012";
    const char *region = gen_get(g, "region", j, b3, sizeof b3, &p);
    region = p ? region : "us-east-1";
    const char *st = gen_get(g, "start", j, b4, sizeof b4, &p);
    int64_t start = 0;
    if (st)
        fl_parse_i64(st, strlen(st), &start);
    *start_out = start;
    struct fl_part_key k;
    k.cloud = cloud ? (struct fl_str){cloud, strlen(cloud)} : FL_STR_NULL;
    k.account = acct ? (struct fl_str){acct, strlen(acct)} : FL_STR_NULL;
    k.region = region ? (struct fl_str){region, strlen(region)} : FL_STR_NULL;
    k.day = st ? (start >= 0 ? start / 86400 : (start - 86399) / 86400) : INT64_MIN;
    k.hour = -1;
    if (fl_partition_path(&k, false, out, cap) == 0)
        snprintf(out, cap, "cloud=x");
}

/* Fill one batch row from repetition j; enr_only: only explicit FL_ENR columns. */
static int gen_fill(const struct gen *g, int64_t j, struct fl_batch *b, uint32_t row, bool enr_only,
                    struct fl_error *err)
{
    char buf[600];
    for (int q = 0; q < g->nx; q++) {
        const struct xval *x = &g->xv[q];
        int col = fl_field_lookup(x->key, strlen(x->key));
        if (col < 0)
            continue; /* "date" */
        if (enr_only && !(fl_fields[col].flags & FL_ENR))
            continue;
        const char *v = xval_at(x, j, buf, sizeof buf);
        if (!v) {
            fl_set_null(b, col, row);
            continue;
        }
        if (fl_fields[col].type == FL_STR) {
            if (fl_set_str(b, col, row, v, strlen(v)) != FL_OK)
                return fl_error_set(err, FL_ELIMIT, "test rows too large");
        } else {
            int64_t iv;
            if (fl_parse_i64(v, strlen(v), &iv) != FL_OK)
                return fl_error_set(err, FL_EINVAL, "column %s: '%s' is not an integer", x->key, v);
            fl_set_i64(b, col, row, iv);
        }
    }
    if (enr_only)
        return FL_OK;
    /* defaults */
    static const struct {
        int col;
        const char *v;
    } defs[] = {{FL_COL_CLOUD, "aws"}, {FL_COL_ACCOUNT, "123456789012"}, {FL_COL_REGION, "us-east-1"},
                {FL_COL_ACCOUNT_ID, "123456789012"}, {FL_COL_INTERFACE_ID, "eni-0test"},
                {FL_COL_ACTION, "ACCEPT"}, {FL_COL_LOG_STATUS, "OK"}, {FL_COL_SOURCE_FORMAT, "test"}};
    for (size_t i = 0; i < FL_ARRAY_LEN(defs); i++)
        if (fl_is_null(b, defs[i].col, row)) {
            bool given = false;
            for (int q = 0; q < g->nx; q++)
                given |= fl_field_lookup(g->xv[q].key, strlen(g->xv[q].key)) == defs[i].col;
            if (!given)
                FL_TRY(fl_set_str(b, defs[i].col, row, defs[i].v, strlen(defs[i].v)));
        }
    static const struct {
        int col;
        int64_t v;
    } idefs[] = {{FL_COL_VERSION, 2}, {FL_COL_PROTOCOL, 6}, {FL_COL_PACKETS, 1}, {FL_COL_BYTES, 100}};
    for (size_t i = 0; i < FL_ARRAY_LEN(idefs); i++) {
        bool given = false;
        for (int q = 0; q < g->nx; q++)
            given |= fl_field_lookup(g->xv[q].key, strlen(g->xv[q].key)) == idefs[i].col;
        if (!given)
            fl_set_i64(b, idefs[i].col, row, idefs[i].v);
    }
    bool end_given = false;
    for (int q = 0; q < g->nx; q++)
        end_given |= fl_field_lookup(g->xv[q].key, strlen(g->xv[q].key)) == FL_COL_END;
    if (!end_given && !fl_is_null(b, FL_COL_START, row))
        fl_set_i64(b, FL_COL_END, row, b->col[FL_COL_START].i[row] + 60);
    return FL_OK;
}

struct part {
    char path[600];
};

static int write_part(const char *home, const struct det_test *t, const char *part, fl_enricher *en,
                      int seq, struct fl_error *err)
{
    char dir[2048], tmp[2300], fin[2300];
    snprintf(dir, sizeof dir, "%s/data/%s", home, part);
    FL_TRY(fl_mkdirs(dir, err));
    snprintf(tmp, sizeof tmp, "%s/.part-%05d.parquet.tmp", dir, seq);
    snprintf(fin, sizeof fin, "%s/part-%05d.parquet", dir, seq);
    struct fl_pq_write_opts wo;
    fl_pq_write_opts_default(&wo);
    wo.codec = FL_CODEC_NONE;
    fl_pq_writer *w = NULL;
    FL_TRY(fl_pq_writer_open(&w, tmp, &wo, err));
    struct fl_batch *b = fl_batch_new(4096);
    if (!b) {
        fl_pq_writer_abort(w);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    struct gen *g = fl_calloc(1, sizeof *g);
    int rc = g ? FL_OK : fl_error_set(err, FL_ENOMEM, "out of memory");
    if (g)
        g->t = t;
    for (int i = 0; i < t->n_flows && rc == FL_OK; i++) {
        gen_row(g, i);
        int64_t j0 = 0;
        while (j0 < g->reps && rc == FL_OK) {
            fl_batch_reset(b);
            int64_t jstart = j0;
            for (; j0 < g->reps && !fl_batch_full(b) && rc == FL_OK; j0++) {
                char pp[600];
                int64_t st;
                gen_part(g, j0, pp, sizeof pp, &st);
                if (strcmp(pp, part) != 0)
                    continue;
                int row = fl_batch_add_row(b);
                rc = gen_fill(g, j0, b, (uint32_t)row, false, err);
            }
            if (rc == FL_OK && b->n && en) {
                rc = fl_enrich_batch(en, b, err);
                /* explicit enrichment values win: re-apply them */
                uint32_t row = 0;
                for (int64_t j = jstart; j < j0 && rc == FL_OK; j++) {
                    char pp[600];
                    int64_t st;
                    gen_part(g, j, pp, sizeof pp, &st);
                    if (strcmp(pp, part) != 0)
                        continue;
                    rc = gen_fill(g, j, b, row++, true, err);
                }
            }
            if (rc == FL_OK && b->n)
                rc = fl_pq_writer_add(w, b, NULL, 0, err);
        }
    }
    fl_free(g);
    fl_batch_free(b);
    if (rc != FL_OK) {
        fl_pq_writer_abort(w);
        unlink(tmp);
        return rc;
    }
    FL_TRY(fl_pq_writer_close(w, err));
    return fl_publish_file(tmp, fin, err);
}

static int write_dataset(const char *home, const struct det_test *t, const fl_config *cfg,
                         int64_t *min_start, int64_t *max_start, struct fl_error *err)
{
    struct part *parts = fl_calloc(256, sizeof *parts);
    struct gen *g = fl_calloc(1, sizeof *g);
    if (!parts || !g) {
        fl_free(parts);
        fl_free(g);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    g->t = t;
    int np = 0, rc = FL_OK;
    int64_t total = 0;
    *min_start = INT64_MAX;
    *max_start = INT64_MIN;
    for (int i = 0; i < t->n_flows && rc == FL_OK; i++) {
        gen_row(g, i);
        total += g->reps;
        if (total > DET_TEST_ROWS_MAX) {
            rc = fl_error_set(err, FL_ELIMIT, "test expands to more than %d rows", DET_TEST_ROWS_MAX);
            break;
        }
        for (int64_t j = 0; j < g->reps; j++) {
            char pp[600];
            int64_t st;
            gen_part(g, j, pp, sizeof pp, &st);
            *min_start = FL_MIN(*min_start, st);
            *max_start = FL_MAX(*max_start, st);
            int k = 0;
            while (k < np && strcmp(parts[k].path, pp) != 0)
                k++;
            if (k == np) {
                if (np >= 256) {
                    rc = fl_error_set(err, FL_ELIMIT, "test flows span more than 256 partitions");
                    break;
                }
                snprintf(parts[np++].path, sizeof parts[0].path, "%s", pp);
            }
        }
    }
    fl_enricher *en = NULL;
    if (rc == FL_OK && cfg)
        rc = fl_enricher_open(&en, cfg, err);
    for (int k = 0; k < np && rc == FL_OK; k++)
        rc = write_part(home, t, parts[k].path, en, k, err);
    fl_enricher_close(en);
    fl_free(parts);
    fl_free(g);
    return rc;
}

/* ---- comparing findings -------------------------------------------------------- */
struct got {
    char entity[512];
    char json[2048];
    char ev[400];
    int severity;
    int64_t count;
    bool used;
};
struct gotv {
    struct got *v;
    int n, cap;
};

static int collect(void *ctx, const struct fl_finding *f)
{
    struct gotv *g = ctx;
    if (g->n == g->cap) {
        int nc = g->cap ? g->cap * 2 : 16;
        struct got *nv = fl_realloc(g->v, (size_t)nc * sizeof *nv);
        if (!nv)
            return 1;
        g->v = nv;
        g->cap = nc;
    }
    struct got *x = &g->v[g->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->entity, sizeof x->entity, "%s", f->entity);
    snprintf(x->json, sizeof x->json, "%s", f->entity_json);
    snprintf(x->ev, sizeof x->ev, "%s", f->evidence);
    x->severity = f->severity;
    x->count = f->count;
    return 0;
}

static bool match(const struct got *g, const struct det_row *e)
{
    for (int i = 0; i < e->n; i++) {
        const char *k = e->kv[i].key, *v = e->kv[i].val ? e->kv[i].val : "";
        if (strcmp(k, "severity") == 0) {
            int s;
            if (fl_severity_parse(v, &s) != FL_OK || s != g->severity)
                return false;
            continue;
        }
        if (strcmp(k, "count") == 0) {
            int64_t c;
            if (fl_parse_i64(v, strlen(v), &c) != FL_OK || c != g->count)
                return false;
            continue;
        }
        char pat[600];
        snprintf(pat, sizeof pat, "%s=%s", k, v);
        /* entity is "k=v,k=v": look for the pair as a whole item */
        size_t pl = strlen(pat);
        const char *p = g->entity;
        bool found = false;
        while (p && *p) {
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            if (n == pl && memcmp(p, pat, n) == 0)
                found = true;
            p = c ? c + 1 : NULL;
        }
        if (!found)
            return false;
    }
    return true;
}

static void on_rule(void *ctx, const struct fl_detect_rule_result *r)
{
    char *buf = ctx;
    if (r->rc != FL_OK)
        snprintf(buf, 600, "rule failed: %s", r->error ? r->error : fl_strerror(r->rc));
}

static int rm_tree(const char *path)
{
    struct fl_error e;
    return fl_rmtree(path, &e);
}

static int run_case(const struct det_rule *d, const struct det_test *t, const char *tmp_dir, int idx,
                    struct fl_rule_test_result *res, struct fl_error *err)
{
    char home[1024];
    snprintf(home, sizeof home, "%s/case-%d-%d", tmp_dir, (int)getpid(), idx);
    rm_tree(home);
    int rc = fl_mkdirs(home, err);
    if (rc != FL_OK)
        return rc;
    fl_config *cfg = NULL;
    struct fl_error e;
    fl_error_clear(&e);
    if (t->config)
        rc = fl_config_parse(&cfg, t->config, strlen(t->config), "test config", NULL, &e);
    else
        rc = fl_config_parse(&cfg, "geo: {enabled: false}\n", 22, "test config", NULL, &e);
    if (rc != FL_OK) {
        snprintf(res->why, sizeof res->why, "config: %s", e.msg);
        rm_tree(home);
        return FL_OK;
    }
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    rc = write_dataset(home, t, cfg, &mn, &mx, &e);
    if (rc != FL_OK) {
        snprintf(res->why, sizeof res->why, "flows: %s", e.msg);
        fl_config_free(cfg);
        rm_tree(home);
        return FL_OK;
    }
    /* a ruleset of this one rule (borrowed) */
    struct det_rule *one = (struct det_rule *)d;
    struct fl_ruleset rs = {&one, 1, 1};
    struct fl_detect_opts o;
    memset(&o, 0, sizeof o);
    o.home = home;
    o.config = cfg;
    o.rules = &rs;
    o.only_rule = d->r.id;
    o.have_range = true;
    o.lateness_s = -1;
    if (t->have_range) {
        o.from = t->from;
        o.to = t->to;
    } else {
        o.from = mn == INT64_MAX ? 0 : mn;
        o.to = mx == INT64_MIN ? 1 : mx + 1;
    }
    o.now = t->now ? t->now : o.to + d->r.window_s;
    o.memory = 256u << 20;
    struct fl_detect_totals tot;
    fl_error_clear(&e);
    char rerr[600] = "";
    o.on_rule = on_rule;
    o.ctx = rerr;
    rc = fl_detect_run(&o, &tot, &e);
    struct gotv got = {0};
    fl_state *st = NULL;
    if (rc == FL_OK)
        rc = fl_detect_state_open(&st, home, &e);
    if (rc == FL_OK)
        rc = fl_findings_list(st, NULL, collect, &got, &e);
    fl_state_close(st);
    if (rc != FL_OK) {
        snprintf(res->why, sizeof res->why, "detect: %s", e.msg);
    } else if (rerr[0]) {
        snprintf(res->why, sizeof res->why, "%s", rerr);
    } else {
        bool ok = true;
        size_t wl = 0;
        for (int i = 0; i < t->n_expect && ok; i++) {
            int m = -1;
            for (int k = 0; k < got.n && m < 0; k++)
                if (!got.v[k].used && match(&got.v[k], &t->expect[i]))
                    m = k;
            if (m < 0) {
                ok = false;
                wl += (size_t)snprintf(res->why + wl, sizeof res->why - wl, "expected finding #%d (line %u) not found",
                                       i + 1, t->expect[i].line);
            } else {
                got.v[m].used = true;
            }
        }
        int want = t->expect_count >= 0 ? t->expect_count : t->n_expect;
        if (ok && got.n != want) {
            ok = false;
            wl += (size_t)snprintf(res->why + wl, sizeof res->why - wl, "%d findings, expected %d", got.n, want);
        }
        if (!ok) {
            wl += (size_t)snprintf(res->why + wl, sizeof res->why - wl, "; got %d:", got.n);
            for (int k = 0; k < got.n && k < 8 && wl < sizeof res->why; k++)
                wl += (size_t)snprintf(res->why + wl, sizeof res->why - wl, " [%s %s count=%lld %.120s]",
                                       got.v[k].entity, fl_severity_name(got.v[k].severity),
                                       (long long)got.v[k].count, got.v[k].ev);
        }
        res->passed = ok;
        rc = FL_OK;
    }
    fl_free(got.v);
    fl_config_free(cfg);
    rm_tree(home);
    return FL_OK;
}

int fl_rules_test(const fl_ruleset *rs, const char *only_rule, const char *tmp_dir,
                  void (*on_result)(void *ctx, const struct fl_rule_test_result *r), void *ctx,
                  int *passed_out, int *failed_out, struct fl_error *err)
{
    int passed = 0, failed = 0, idx = 0;
    for (int i = 0; i < rs->n; i++) {
        const struct det_rule *d = rs->rules[i];
        if (only_rule && strcmp(only_rule, d->r.id) != 0)
            continue;
        for (int k = 0; k < d->n_tests; k++) {
            struct fl_rule_test_result res;
            memset(&res, 0, sizeof res);
            res.rule = d->r.id;
            res.test = d->tests[k].name;
            int rc = run_case(d, &d->tests[k], tmp_dir, idx++, &res, err);
            if (rc != FL_OK)
                return rc;
            if (res.passed)
                passed++;
            else
                failed++;
            if (on_result)
                on_result(ctx, &res);
        }
    }
    if (passed_out)
        *passed_out = passed;
    if (failed_out)
        *failed_out = failed;
    return FL_OK;
}
