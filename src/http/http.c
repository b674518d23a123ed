/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - the dashboard server (fl_http.h): libmicrohttpd with its internal
 * thread pool, bearer-token checks on /api, capped request bodies, the JSON
 * API endpoints (each one SQL query through fl_query_run, parameters
 * validated before they are printed into the SQL); static assets are
 * served by http_static.c.  Replies are built in a
 * bounded growable buffer; every string goes through fl_json_escape.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fl/fl_common.h"
#include "fl/fl_detect.h"
#include "fl/fl_http.h"
#include "fl/fl_ops.h"
#include "fl/fl_query.h"
#include "fl/fl_record.h"
#include "common/common_int.h"
#include "http_static.h"
#include "pipeline/rollup.h"

#define REPLY_CAP (16u << 20)   /* largest JSON reply */

struct fl_http {
    struct MHD_Daemon *d;
    struct fl_http_opts o;
    char listen[64];
    char home[1024];
    char token[256];
    char assets[1024];
    unsigned port;
    struct fl__rollup_cache *cache; /* loaded rollup sidecars (rollup.h) */
    pthread_t warm;                 /* loads them at start */
    bool warm_started;
    int stop; /* set by fl_http_stop, read by the warm-up thread (atomics) */
};

static void *warm_main(void *arg)
{
    struct fl_http *h = arg;
    fl__rollup_warm(h->home[0] ? h->home : NULL, h->cache, &h->stop);
    return NULL;
}

struct req {
    char *body;
    size_t n;
    int too_big;
};

/* Queue a reply; src (or NULL) becomes the X-Flowsift-Source header, which
 * says whether a panel was answered from rollups or by SQL. */
static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                                  const char *p, size_t n, const char *src)
{
    struct MHD_Response *r = fl__mhd.create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (src)
        fl__mhd.add_response_header(r, "X-Flowsift-Source", src);
    fl__mhd.add_response_header(r, "Content-Type", ctype);
    fl__mhd.add_response_header(r, "X-Content-Type-Options", "nosniff");
    fl__mhd.add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    fl__mhd.add_response_header(r, "Referrer-Policy", "no-referrer");
    fl__mhd.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = fl__mhd.queue_response(c, status, r);
    fl__mhd.destroy_response(r);
    return rc;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status,
                                const char *ctype, const char *p, size_t n)
{
    return send_reply(c, status, ctype, p, n, NULL);
}

static enum MHD_Result send_buf_src(struct MHD_Connection *c, unsigned status, const char *p,
                                    size_t n, const char *src)
{
    return send_reply(c, status, "application/json", p, n, src);
}

static enum MHD_Result send_err(struct MHD_Connection *c, unsigned status, const char *msg)
{
    struct fl_buf b;
    fl_buf_init(&b, REPLY_CAP);
    fl_buf_puts(&b, "{\"error\":");
    fl_json_append_str(&b, msg, strlen(msg));
    fl_buf_puts(&b, "}\n");
    enum MHD_Result rc = b.err ? MHD_NO : send_buf(c, status, "application/json", b.p, b.len);
    fl_free(b.p);
    return rc;
}

/* ---- parameters ---- */

static int valid_ident(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.' || ch == ':'))
            return 0;
    }
    return 1;
}

/* Unix seconds or YYYY-MM-DD. */
static int parse_time(const char *s, int64_t *out)
{
    int64_t v;
    if (fl_parse_i64(s, strlen(s), &v) == FL_OK) {
        *out = v;
        return FL_OK;
    }
    unsigned y, m, d;
    char tail;
    if (strlen(s) == 10 && sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 &&
        m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        *out = fl_days_from_civil((int)y, m, d) * 86400LL;
        return FL_OK;
    }
    return FL_EINVAL;
}

struct params {
    char where[512];
    long limit;
    int64_t from, to;
    const char *cloud, *account;
    int source;           /* 0 auto, 1 raw SQL only, 2 rollups only */
};

static int get_params(struct MHD_Connection *c, struct params *p, const char **bad)
{
    int64_t from = 0, to = INT64_C(253402300800);
    const char *v;
    p->limit = 20;
    p->source = 0;
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "source"))) {
        if (strcmp(v, "auto") == 0)
            p->source = 0;
        else if (strcmp(v, "raw") == 0)
            p->source = 1;
        else if (strcmp(v, "rollup") == 0)
            p->source = 2;
        else
            return *bad = "source: auto, raw or rollup", FL_EINVAL;
    }
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from")) &&
        parse_time(v, &from) != FL_OK)
        return *bad = "from: Unix seconds or YYYY-MM-DD", FL_EINVAL;
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to")) &&
        parse_time(v, &to) != FL_OK)
        return *bad = "to: Unix seconds or YYYY-MM-DD", FL_EINVAL;
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"))) {
        int64_t l;
        if (fl_parse_i64(v, strlen(v), &l) != FL_OK || l < 1 || l > 1000)
            return *bad = "limit: 1..1000", FL_EINVAL;
        p->limit = (long)l;
    }
    int n = snprintf(p->where, sizeof p->where, "start >= %lld AND start < %lld",
                     (long long)from, (long long)to);
    const char *cloud = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cloud");
    const char *acct = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "account");
    if (cloud) {
        if (!valid_ident(cloud, 16))
            return *bad = "cloud: letters, digits, - _ . : only", FL_EINVAL;
        n += snprintf(p->where + n, sizeof p->where - (size_t)n, " AND cloud = '%s'", cloud);
    }
    if (acct) {
        if (!valid_ident(acct, 128))
            return *bad = "account: letters, digits, - _ . : only", FL_EINVAL;
        n += snprintf(p->where + n, sizeof p->where - (size_t)n, " AND account = '%s'", acct);
    }
    if (n < 0 || (size_t)n >= sizeof p->where)
        return *bad = "parameters too long", FL_EINVAL;
    p->from = from;
    p->to = to;
    p->cloud = cloud;
    p->account = acct;
    return FL_OK;
}

/* ---- query → JSON ---- */

/* A panel answered from rollups: the same JSON as run_sql's. */
static enum MHD_Result send_rollup(struct MHD_Connection *c, const struct fl__rollup_result *r)
{
    struct fl_buf b;
    fl_buf_init(&b, REPLY_CAP);
    fl_buf_puts(&b, "{\"columns\":[");
    for (int i = 0; i < r->n_cols; i++) {
        if (i)
            fl_buf_add(&b, ",", 1);
        fl_json_append_str(&b, r->cols[i], strlen(r->cols[i]));
    }
    fl_buf_puts(&b, "],\"rows\":[");
    for (size_t row = 0; row < r->n_rows && !b.err; row++) {
        fl_buf_puts(&b, row ? ",[" : "[");
        for (int i = 0; i < r->n_cols; i++) {
            if (i)
                fl_buf_add(&b, ",", 1);
            fl_query_cell_json(&b, &r->cells[row * (size_t)r->n_cols + i]);
        }
        fl_buf_add(&b, "]", 1);
    }
    fl_buf_puts(&b, "]}\n");
    enum MHD_Result rc = b.err ? send_err(c, 413, "result too large")
                                : send_buf_src(c, 200, b.p, b.len, "rollup");
    fl_free(b.p);
    return rc;
}

/* The options of every query the server runs: one thread (requests run in
 * parallel), the memory budget and time limit of `serve`. */
static void query_opts(const struct fl_http *h, struct fl_query_opts *qo)
{
    memset(qo, 0, sizeof *qo);
    qo->home = h->home[0] ? h->home : NULL;
    qo->memory = h->o.query_memory ? h->o.query_memory : (256ULL << 20);
    qo->threads = 1;
    uint64_t tmo = h->o.query_timeout_ms;
    qo->timeout_ms = tmo == 0 ? 10000 : tmo == FL_HTTP_NO_TIMEOUT ? 0 : tmo;
    qo->timeout_hint = "serve --query-timeout";
}

static enum MHD_Result run_sql(struct fl_http *h, struct MHD_Connection *c, const char *sql)
{
    struct fl_query_opts qo;
    query_opts(h, &qo);
    fl_query_result *r = NULL;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    int rc = fl_query_run(sql, &qo, &r, &err);
    if (rc != FL_OK) /* a timeout: 503, the server is fine but the query was too big */
        return send_err(c, rc == FL_EPARSE ? 400 : rc == FL_ETIMEOUT ? 503 : 500,
                        err.msg[0] ? err.msg : fl_strerror(rc));
    struct fl_buf b;
    fl_buf_init(&b, REPLY_CAP);
    int nc = fl_query_result_cols(r);
    size_t nr = fl_query_result_rows(r);
    fl_buf_puts(&b, "{\"columns\":[");
    for (int i = 0; i < nc; i++) {
        const char *nm = fl_query_result_name(r, i);
        if (i)
            fl_buf_add(&b, ",", 1);
        fl_json_append_str(&b, nm, strlen(nm));
    }
    fl_buf_puts(&b, "],\"rows\":[");
    for (size_t row = 0; row < nr && !b.err; row++) {
        fl_buf_puts(&b, row ? ",[" : "[");
        for (int i = 0; i < nc; i++) {
            struct fl_qcell cell;
            fl_query_result_cell(r, row, i, &cell);
            if (i)
                fl_buf_add(&b, ",", 1);
            fl_query_cell_json(&b, &cell);
        }
        fl_buf_add(&b, "]", 1);
    }
    fl_buf_puts(&b, "]}\n");
    fl_query_result_free(r);
    enum MHD_Result ret = b.err ? send_err(c, 413, "result too large (16 MiB cap); add a LIMIT")
                                 : send_buf_src(c, 200, b.p, b.len, "sql");
    fl_free(b.p);
    return ret;
}

/* Only SELECT / WITH / EXPLAIN (after blanks, comments and parentheses). */
static int read_only_sql(const char *s)
{
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '(')
            s++;
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n')
                s++;
            continue;
        }
        if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            if (!e)
                return 0;
            s = e + 2;
            continue;
        }
        break;
    }
    static const char *const kw[] = {"select", "with", "explain"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
        size_t n = strlen(kw[i]);
        if (strncasecmp(s, kw[i], n) == 0 && !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
                                                  (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
            return 1;
    }
    return 0;
}

/* ---- findings (state database) ---- */

struct flist {
    struct fl_buf *b;
    int n;
};

static int finding_json(void *ctx, const struct fl_finding *f)
{
    struct flist *fl = ctx;
    struct fl_buf *b = fl->b;
    char tmp[96];
    fl_buf_puts(b, fl->n++ ? ",{\"id\":" : "{\"id\":");
    int k = snprintf(tmp, sizeof tmp, "%lld", (long long)f->id);
    fl_buf_add(b, tmp, (size_t)k);
    fl_buf_puts(b, ",\"rule\":");
    fl_json_append_str(b, f->rule, strnlen(f->rule, sizeof f->rule));
    fl_buf_puts(b, ",\"title\":");
    fl_json_append_str(b, f->title, strnlen(f->title, sizeof f->title));
    fl_buf_puts(b, ",\"entity\":");
    fl_json_append_str(b, f->entity, strnlen(f->entity, sizeof f->entity));
    fl_buf_puts(b, ",\"status\":");
    fl_json_append_str(b, f->status, strnlen(f->status, sizeof f->status));
    k = snprintf(tmp, sizeof tmp, ",\"severity\":%d,\"first_seen\":%lld,\"last_seen\":%lld,\"count\":%lld}",
                 f->severity, (long long)f->first_seen, (long long)f->last_seen, (long long)f->count);
    fl_buf_add(b, tmp, (size_t)k);
    return b->err ? 1 : 0;
}

/*
 * The cloud/account filter of the findings list.  A finding does not store
 * a cloud or account (a rule's entity and evidence are its own columns), so
 * it is decided when listing:
 *   1. an entity key or evidence field `cloud` / `account` decides directly
 *      (e.g. denied_spike's entity is account + rule_name);
 *   2. otherwise the finding belongs to the scope when one of its entity's
 *      addresses (keys ending in "addr"), interface_id or account occurs in
 *      the flows of that cloud/account (as srcaddr or dstaddr, interface_id,
 *      account)
 *      between the earliest first_seen and the latest last_seen of the
 *      candidates: one grouped SQL query per column, IN-list of the values.
 * Candidates are capped (FCAND_MAX): beyond it the list ends there.
 */
#define FCAND_MAX 20000
#define FVAL_MAX 4000
struct fcand {
    int64_t id, first_seen, last_seen;
    int verdict;       /* 1 in scope, 0 not, -1 decided by the flows */
    char entity[512];
};
struct fscope {
    const char *cloud, *account;
    int64_t from, to;  /* the range filter: [first_seen, last_seen] meets [from, to) */
    struct fcand *v;
    size_t n;
    bool capped;
};

/* Is there a `"key":"want"` in the JSON text (evidence rows)?  1 yes, 0 the
 * key is there with other values only, -1 no such key. */
static int json_has(const char *js, const char *key, const char *want)
{
    char pat[48];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    int seen = -1;
    size_t wn = strlen(want);
    for (const char *p = js ? strstr(js, pat) : NULL; p; p = strstr(p + 1, pat)) {
        const char *v = p + strlen(pat);
        while (*v == ' ')
            v++;
        seen = 0;
        if (*v == '"' && strncmp(v + 1, want, wn) == 0 && v[1 + wn] == '"')
            return 1;
    }
    return seen;
}

/* Value of `key=` in an entity "k=v,k=v" (n = length, 0 if absent). */
static const char *entity_val(const char *entity, const char *key, size_t *n)
{
    size_t kn = strlen(key);
    for (const char *p = entity; p && *p;) {
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        const char *e = strchr(eq + 1, ',');
        if ((size_t)(eq - p) == kn && strncmp(p, key, kn) == 0) {
            *n = e ? (size_t)(e - eq - 1) : strlen(eq + 1);
            return eq + 1;
        }
        p = e ? e + 1 : NULL;
    }
    *n = 0;
    return NULL;
}

static int scope_collect(void *ctx, const struct fl_finding *f)
{
    struct fscope *sc = ctx;
    if (f->last_seen < sc->from || f->first_seen >= sc->to)
        return 0;
    if (sc->n == FCAND_MAX) {
        sc->capped = true;
        return 1;
    }
    struct fcand *c = &sc->v[sc->n++];
    c->id = f->id;
    c->first_seen = f->first_seen;
    c->last_seen = f->last_seen;
    snprintf(c->entity, sizeof c->entity, "%s", f->entity);
    /* each wanted key: 1 named and equal, 0 named and different, -1 not
     * named; any 0 excludes, all 1 includes, else the flows decide */
    const char *want[2] = {sc->cloud, sc->account}, *key[2] = {"cloud", "account"};
    int all = 1;
    c->verdict = -1;
    for (int k = 0; k < 2; k++) {
        if (!want[k])
            continue;
        size_t n;
        const char *v = entity_val(c->entity, key[k], &n);
        int m = v ? (n == strlen(want[k]) && strncmp(v, want[k], n) == 0) : json_has(f->evidence, key[k], want[k]);
        if (m == 0) {
            c->verdict = 0;
            return 0;
        }
        if (m != 1)
            all = 0;
    }
    if (all)
        c->verdict = 1;
    return 0;
}

/* Values of the entity that can be looked up in a column: "addr" keys
 * (kind 0: srcaddr/dstaddr), interface_id (1), account (2).  fn(ctx, kind, v, n). */
static void entity_lookups(const char *entity, void (*fn)(void *, int, const char *, size_t), void *ctx)
{
    for (const char *p = entity; p && *p;) {
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        const char *e = strchr(eq + 1, ',');
        size_t kn = (size_t)(eq - p), vn = e ? (size_t)(e - eq - 1) : strlen(eq + 1);
        int col = kn >= 4 && strncmp(eq - 4, "addr", 4) == 0 ? 0
                  : kn == 12 && strncmp(p, "interface_id", 12) == 0 ? 1
                  : kn == 7 && strncmp(p, "account", 7) == 0 ? 2 : -1;
        bool ok = col >= 0 && vn > 0 && vn <= 64;
        for (size_t i = 0; ok && i < vn; i++) {
            char ch = eq[1 + i];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || ch == '.' || ch == ':';
        }
        if (ok)
            fn(ctx, col, eq + 1, vn);
        p = e ? e + 1 : NULL;
    }
}

struct fvals {
    struct fl_buf in[3]; /* IN-list text per column kind */
    int n[3];
    struct fl_buf seen;   /* "\n" + value + "\n" of the values found in scope */
};

static void add_in(void *ctx, int col, const char *v, size_t n)
{
    struct fvals *fv = ctx;
    if (fv->n[col] >= FVAL_MAX)
        return;
    fl_buf_puts(&fv->in[col], fv->n[col]++ ? ",'" : "'");
    fl_buf_add(&fv->in[col], v, n);
    fl_buf_add(&fv->in[col], "'", 1);
}

struct fhit {
    const struct fvals *fv;
    bool hit;
};
static void find_val(void *ctx, int col, const char *v, size_t n)
{
    struct fhit *fh = ctx;
    char key[80];
    int k = snprintf(key, sizeof key, "\n%d%.*s\n", col, (int)n, v);
    if (!fh->hit && fh->fv->seen.p && memmem(fh->fv->seen.p, fh->fv->seen.len, key, (size_t)k))
        fh->hit = true;
}

static int cand_id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Decide the unknown candidates with SQL; fills ids (sorted) of the ones in
 * scope.  FL_OK or the query's error (err). */
static int scope_resolve(struct fl_http *h, struct fscope *sc, int64_t *ids, size_t *nids,
                         struct fl_error *err)
{
    struct fvals fv;
    memset(&fv, 0, sizeof fv);
    for (int k = 0; k < 3; k++)
        fl_buf_init(&fv.in[k], 1u << 20);
    fl_buf_init(&fv.seen, 4u << 20);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->v[i].verdict != -1)
            continue;
        entity_lookups(sc->v[i].entity, add_in, &fv);
        lo = FL_MIN(lo, sc->v[i].first_seen);
        hi = FL_MAX(hi, sc->v[i].last_seen);
    }
    int rc = FL_OK;
    static const char *const cols[4] = {"srcaddr", "dstaddr", "interface_id", "account"};
    for (int q = 0; q < 4 && rc == FL_OK; q++) {
        int kind = q < 2 ? 0 : q - 1;
        if (!fv.n[kind] || fv.in[kind].err)
            continue;
        struct fl_buf sql;
        fl_buf_init(&sql, 2u << 20);
        fl_buf_printf(&sql, "SELECT %s FROM flows WHERE start >= %lld AND start <= %lld", cols[q],
                      (long long)lo, (long long)hi);
        if (sc->cloud)
            fl_buf_printf(&sql, " AND cloud = '%s'", sc->cloud);
        if (sc->account)
            fl_buf_printf(&sql, " AND account = '%s'", sc->account);
        fl_buf_printf(&sql, " AND %s IN (", cols[q]);
        fl_buf_add(&sql, fv.in[kind].p, fv.in[kind].len);
        fl_buf_puts(&sql, ") GROUP BY 1");
        struct fl_query_opts qo;
        query_opts(h, &qo);
        fl_query_result *r = NULL;
        rc = sql.err ? fl_error_set(err, FL_ELIMIT, "findings filter: too many values")
                     : fl_query_run(fl_buf_cstr(&sql), &qo, &r, err);
        fl_free(sql.p);
        for (size_t row = 0; rc == FL_OK && row < fl_query_result_rows(r); row++) {
            struct fl_qcell cell;
            fl_query_result_cell(r, row, 0, &cell);
            if (cell.type != FL_QT_VARCHAR)
                continue;
            fl_buf_printf(&fv.seen, "\n%d%.*s\n", kind, (int)cell.s.n, cell.s.p);
        }
        fl_query_result_free(r);
    }
    *nids = 0;
    for (size_t i = 0; rc == FL_OK && i < sc->n; i++) {
        bool in = sc->v[i].verdict == 1;
        if (sc->v[i].verdict == -1) {
            struct fhit fh = {&fv, false};
            entity_lookups(sc->v[i].entity, find_val, &fh);
            in = fh.hit;
        }
        if (in)
            ids[(*nids)++] = sc->v[i].id;
    }
    qsort(ids, *nids, sizeof *ids, cand_id_cmp);
    for (int k = 0; k < 3; k++)
        fl_free(fv.in[k].p);
    fl_free(fv.seen.p);
    return rc;
}

struct flist_ids {
    struct flist fl;
    const int64_t *ids;
    size_t nids;
    uint64_t left;
};
static int finding_json_if(void *ctx, const struct fl_finding *f)
{
    struct flist_ids *fi = ctx;
    if (!bsearch(&f->id, fi->ids, fi->nids, sizeof *fi->ids, cand_id_cmp))
        return 0;
    if (fi->left-- == 0)
        return 1;
    return finding_json(&fi->fl, f);
}

static enum MHD_Result findings(struct fl_http *h, struct MHD_Connection *c, const char *url,
                                const char *method)
{
    const char *home = h->home[0] ? h->home : "./flowsift-data";
    fl_state *st = NULL;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    if (strcmp(url, "/api/findings") == 0) {
        if (strcmp(method, "GET") != 0)
            return send_err(c, 405, "GET only");
        struct fl_findings_filter flt;
        memset(&flt, 0, sizeof flt);
        flt.limit = 200;
        const char *v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
        if (v) {
            if (strcmp(v, "open") != 0 && strcmp(v, "suppressed") != 0 && strcmp(v, "resolved") != 0)
                return send_err(c, 400, "status: open, suppressed or resolved");
            flt.status = v;
        }
        if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"))) {
            int64_t l;
            if (fl_parse_i64(v, strlen(v), &l) != FL_OK || l < 1 || l > 1000)
                return send_err(c, 400, "limit: 1..1000");
            flt.limit = (uint64_t)l;
        }
        struct fscope sc;
        memset(&sc, 0, sizeof sc);
        sc.from = INT64_MIN;
        sc.to = INT64_MAX;
        sc.cloud = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cloud");
        sc.account = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "account");
        if (sc.cloud && !valid_ident(sc.cloud, 16))
            return send_err(c, 400, "cloud: letters, digits, - _ . : only");
        if (sc.account && !valid_ident(sc.account, 128))
            return send_err(c, 400, "account: letters, digits, - _ . : only");
        if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from")) &&
            parse_time(v, &sc.from) != FL_OK)
            return send_err(c, 400, "from: Unix seconds or YYYY-MM-DD");
        if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to")) &&
            parse_time(v, &sc.to) != FL_OK)
            return send_err(c, 400, "to: Unix seconds or YYYY-MM-DD");
        bool scoped = sc.cloud || sc.account || sc.from != INT64_MIN || sc.to != INT64_MAX;
        if (fl_detect_state_open(&st, home, &err) != FL_OK)
            return send_err(c, 500, err.msg);
        struct fl_buf b;
        fl_buf_init(&b, REPLY_CAP);
        struct flist fl = {&b, 0};
        fl_buf_puts(&b, "{\"findings\":[");
        int rc;
        if (!scoped) {
            rc = fl_findings_list(st, &flt, finding_json, &fl, &err);
        } else {
            /* pass 1: candidates (all, the limit applies after the filter) */
            uint64_t limit = flt.limit;
            flt.limit = 0;
            sc.v = fl_malloc(FCAND_MAX * sizeof *sc.v);
            int64_t *ids = fl_malloc(FCAND_MAX * sizeof *ids);
            size_t nids = 0;
            rc = sc.v && ids ? FL_OK : fl_error_set(&err, FL_ENOMEM, "out of memory");
            if (rc == FL_OK)
                rc = fl_findings_list(st, &flt, scope_collect, &sc, &err);
            if (rc == FL_OK)
                rc = scope_resolve(h, &sc, ids, &nids, &err);
            /* pass 2: the chosen ones in the list's order */
            struct flist_ids fi = {{&b, 0}, ids, nids, limit};
            if (rc == FL_OK && nids)
                rc = fl_findings_list(st, &flt, finding_json_if, &fi, &err);
            fl_free(sc.v);
            fl_free(ids);
            if (rc == FL_ETIMEOUT) {
                fl_state_close(st);
                fl_free(b.p);
                return send_err(c, 503, err.msg);
            }
        }
        fl_state_close(st);
        fl_buf_puts(&b, "]}\n");
        enum MHD_Result ret = rc != FL_OK ? send_err(c, 500, err.msg)
                              : b.err    ? send_err(c, 413, "too many findings; lower limit")
                                          : send_buf(c, 200, "application/json", b.p, b.len);
        fl_free(b.p);
        return ret;
    }
    /* /api/findings/<id>/suppress | /resolve */
    const char *p = url + strlen("/api/findings/");
    int64_t id = 0;
    int nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 18) {
        id = id * 10 + (*p++ - '0');
        nd++;
    }
    const char *status = NULL;
    if (nd > 0 && strcmp(p, "/suppress") == 0)
        status = "suppressed";
    else if (nd > 0 && strcmp(p, "/resolve") == 0)
        status = "resolved";
    if (!status || id <= 0)
        return send_err(c, 404, "no such endpoint");
    if (strcmp(method, "POST") != 0)
        return send_err(c, 405, "POST only");
    if (fl_detect_state_open(&st, home, &err) != FL_OK)
        return send_err(c, 500, err.msg);
    int rc = fl_finding_set_status(st, id, status, "dashboard", &err);
    fl_state_close(st);
    if (rc == FL_ENOTFOUND)
        return send_err(c, 404, "no such finding");
    if (rc != FL_OK)
        return send_err(c, 500, err.msg);
    char out[96];
    int k = snprintf(out, sizeof out, "{\"id\":%lld,\"status\":\"%s\"}\n", (long long)id, status);
    return send_buf(c, 200, "application/json", out, (size_t)k);
}

/* GET /api/health[?from=&to=&silent=SECONDS]: the `flowsift health` report. */
static enum MHD_Result health(struct fl_http *h, struct MHD_Connection *c)
{
    struct fl_health_opts o;
    memset(&o, 0, sizeof o);
    o.home = h->home[0] ? h->home : NULL;
    o.now = h->o.now ? h->o.now : (int64_t)time(NULL);
    o.memory = h->o.query_memory ? h->o.query_memory : (256ULL << 20);
    const char *v;
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from")) &&
        parse_time(v, &o.from) != FL_OK)
        return send_err(c, 400, "from: Unix seconds or YYYY-MM-DD");
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to")) &&
        parse_time(v, &o.to) != FL_OK)
        return send_err(c, 400, "to: Unix seconds or YYYY-MM-DD");
    if ((v = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "silent"))) {
        int64_t s;
        if (fl_parse_i64(v, strlen(v), &s) != FL_OK || s < 60 || s > 30 * 86400)
            return send_err(c, 400, "silent: seconds, 60..2592000");
        o.silent_s = s;
    }
    struct fl_report r;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    int rc = fl_health_run(&o, &r, &err);
    char *json = NULL;
    size_t n = 0;
    if (rc == FL_OK)
        rc = fl_report_json(&r, &json, &n);
    fl_report_free(&r);
    if (rc != FL_OK)
        return send_err(c, rc == FL_EINVAL || rc == FL_EPARSE ? 400 : 500,
                        err.msg[0] ? err.msg : fl_strerror(rc));
    enum MHD_Result ret = send_buf(c, 200, "application/json", json, n);
    fl_free(json);
    return ret;
}

static enum MHD_Result api(struct fl_http *h, struct MHD_Connection *c, const char *url,
                           const char *method, struct req *rq)
{
    int is_get = strcmp(method, "GET") == 0;
    enum MHD_Result ui_rc;
    if (fl__http_ui(c, h->home, url, method, &ui_rc)) /* dashboard endpoints (http_ui.c) */
        return ui_rc;
    if (strncmp(url, "/api/findings", 13) == 0 && (url[13] == 0 || url[13] == '/'))
        return findings(h, c, url, method);
    if (strcmp(url, "/api/health") == 0)
        return is_get ? health(h, c) : send_err(c, 405, "GET only");
    if (strcmp(url, "/api/query") == 0) {
        const char *q = NULL;
        if (strcmp(method, "POST") == 0)
            q = rq->body ? rq->body : "";
        else if (is_get)
            q = fl__mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
        else
            return send_err(c, 405, "GET or POST");
        if (!q || !*q)
            return send_err(c, 400, "no query (POST the SQL or GET ?q=)");
        if (!read_only_sql(q))
            return send_err(c, 400, "only SELECT, WITH and EXPLAIN statements are accepted");
        return run_sql(h, c, q);
    }
    if (!is_get)
        return send_err(c, 405, "GET only");
    struct params p;
    const char *bad = NULL;
    if (get_params(c, &p, &bad) != FL_OK)
        return send_err(c, 400, bad);
    char sql[2048];
    int n;
    if (strcmp(url, "/api/traffic") == 0)
        n = snprintf(sql, sizeof sql,
                     "SELECT (start / 3600) * 3600 AS hour, action, sum(bytes) AS bytes, count(*) AS flows "
                     "FROM flows WHERE %s GROUP BY 1, 2 ORDER BY 1, 2", p.where);
    else if (strcmp(url, "/api/top-talkers") == 0)
        n = snprintf(sql, sizeof sql,
                     "SELECT srcaddr, sum(bytes) AS bytes, count(*) AS flows FROM flows WHERE %s "
                     "GROUP BY srcaddr ORDER BY bytes DESC, srcaddr LIMIT %ld", p.where, p.limit);
    else if (strcmp(url, "/api/denied-by-rule") == 0)
        n = snprintf(sql, sizeof sql,
                     "SELECT coalesce(rule_name, rule, '') AS rule, count(*) AS flows, sum(bytes) AS bytes "
                     "FROM flows WHERE %s AND action = 'REJECT' GROUP BY 1 ORDER BY flows DESC, rule LIMIT %ld",
                     p.where, p.limit);
    else if (strcmp(url, "/api/egress-by-country") == 0)
        n = snprintf(sql, sizeof sql,
                     "SELECT coalesce(dst_country, '') AS country, sum(bytes) AS bytes, count(*) AS flows "
                     "FROM flows WHERE %s AND dst_scope = 'public' GROUP BY 1 ORDER BY bytes DESC, country LIMIT %ld",
                     p.where, p.limit);
    else if (strcmp(url, "/api/flow-types") == 0)
        n = snprintf(sql, sizeof sql,
                     "SELECT coalesce(flow_type, '') AS flow_type, count(*) AS flows, sum(bytes) AS bytes "
                     "FROM flows WHERE %s GROUP BY 1 ORDER BY flows DESC, flow_type", p.where);
    else
        return send_err(c, 404, "no such endpoint");
    if (n < 0 || (size_t)n >= sizeof sql)
        return send_err(c, 400, "query too long");
    if (p.source != 1) { /* hourly rollups when they cover the range (rollup.h) */
        struct fl__rollup_query ruq = {p.from, p.to, p.cloud, p.account, url + 5, p.limit};
        struct fl__rollup_result res;
        struct fl_error err;
        memset(&err, 0, sizeof err);
        int rc = fl__rollup_panel(h->home[0] ? h->home : NULL, h->cache, &ruq, &res, &err);
        if (rc == FL_OK) {
            enum MHD_Result ret = send_rollup(c, &res);
            fl__rollup_result_free(&res);
            return ret;
        }
        if (rc != FL_ENOTFOUND)
            return send_err(c, 500, err.msg[0] ? err.msg : fl_strerror(rc));
        if (p.source == 2)
            return send_err(c, 409, "no complete rollups for this range (hour-aligned from/to, rollups written at ingest)");
    }
    return run_sql(h, c, sql);
}

/* ---- request plumbing ---- */

static int token_ok(struct fl_http *h, struct MHD_Connection *c)
{
    if (!h->token[0])
        return 1;
    const char *a = fl__mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!a || strncmp(a, "Bearer ", 7) != 0)
        return 0;
    a += 7;
    size_t n = strlen(h->token), m = strlen(a);
    unsigned diff = (unsigned)(n ^ m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned)(h->token[i] ^ (i < m ? a[i] : 0));
    return diff == 0;
}

/* Origin / Referer, when present, must name the Host we were reached as. */
static int same_origin(struct MHD_Connection *c)
{
    const char *host = fl__mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    const char *hdrs[] = {"Origin", "Referer"};
    for (int i = 0; i < 2; i++) {
        const char *v = fl__mhd.lookup_connection_value(c, MHD_HEADER_KIND, hdrs[i]);
        if (!v)
            continue;
        if (!host)
            return 0;
        const char *s = strstr(v, "://");
        if (!s)
            return 0;
        s += 3;
        size_t hn = strlen(host);
        if (strncmp(s, host, hn) != 0 || (s[hn] != 0 && s[hn] != '/'))
            return 0;
    }
    return 1;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct fl_http *h = cls;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = fl_calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        const char *cl = fl__mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        int64_t len;
        if (cl && (fl_parse_i64(cl, strlen(cl), &len) != FL_OK || len < 0 || len > (int64_t)FL_HTTP_MAX_BODY))
            return send_err(c, 413, "request body over 64 KiB");
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big) {
            if (rq->n + *upload_size > FL_HTTP_MAX_BODY) {
                rq->too_big = 1;
            } else {
                char *np = fl_realloc(rq->body, rq->n + *upload_size + 1);
                if (!np)
                    return MHD_NO;
                rq->body = np;
                memcpy(rq->body + rq->n, upload, *upload_size);
                rq->n += *upload_size;
                rq->body[rq->n] = 0;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return send_err(c, 413, "request body over 64 KiB");
    if (strncmp(url, "/api/", 5) == 0) {
        if (!token_ok(h, c))
            return send_err(c, 401, "missing or wrong bearer token");
        if (strcmp(method, "GET") != 0 && !same_origin(c))
            return send_err(c, 403, "cross-origin request refused");
        if (rq->body && strlen(rq->body) != rq->n)
            return send_err(c, 400, "NUL byte in body");
        return api(h, c, url, method, rq);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_err(c, 405, "GET only");
    return fl__http_static(c, h->assets, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;
    if (rq) {
        fl_free(rq->body);
        fl_free(rq);
        *con_cls = NULL;
    }
}

/* Percent-decoding as MHD does it, but a decoded NUL becomes 0x01 so that
 * "/index.html%00.js" cannot match a known asset by truncation and a NUL
 * never reaches a parameter check. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    size_t n = fl__mhd.http_unescape(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0)
            s[i] = 1;
    return n;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= 32)
        return FL_EINVAL;
    char host[32];
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    int64_t port;
    if (fl_parse_i64(colon + 1, strlen(colon + 1), &port) != FL_OK || port < 0 || port > 65535)
        return FL_EINVAL;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return FL_EINVAL;
    return FL_OK;
}

int fl_http_is_loopback(const char *listen)
{
    struct sockaddr_in sa;
    if (parse_listen(listen, &sa) != FL_OK)
        return 0;
    return (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
}

int fl_http_start(const struct fl_http_opts *o, fl_http **out, struct fl_error *err)
{
    *out = NULL;
    const char *listen = o->listen ? o->listen : "127.0.0.1:8080";
    struct sockaddr_in sa;
    if (parse_listen(listen, &sa) != FL_OK)
        return fl_error_set(err, FL_EINVAL, "--listen '%s': expected A.B.C.D:PORT", listen);
    if (!fl_http_is_loopback(listen) && (!o->token || !*o->token))
        return fl_error_set(err, FL_EINVAL,
                            "refusing to listen on non-loopback %s without a token (--token T or --token generate)",
                            listen);
    if (o->token && (strlen(o->token) < 16 || strlen(o->token) >= 256 || !valid_ident(o->token, 255)))
        return fl_error_set(err, FL_EINVAL, "token: 16..255 characters of [A-Za-z0-9._:-]");
    FL_TRY(fl__mhd_load(err));
    fl_http *h = fl_calloc(1, sizeof *h);
    if (!h)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    h->o = *o;
    snprintf(h->listen, sizeof h->listen, "%s", listen);
    snprintf(h->home, sizeof h->home, "%s", o->home ? o->home : "");
    snprintf(h->token, sizeof h->token, "%s", o->token ? o->token : "");
    snprintf(h->assets, sizeof h->assets, "%s", o->assets ? o->assets : "assets");
    h->cache = fl__rollup_cache_new(o->rollup_cache);
    if (!h->cache) {
        fl_free(h);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    /* loopback: every client is local (the browser, a load test): the
     * per-IP cap is the global one; otherwise 64 per client address */
    /* MHD splits the cap between the pool's threads (each accepts on its
     * own): 512 keeps 200 concurrent clients clear of a thread's share */
    unsigned max_conn = o->max_connections ? o->max_connections : 512;
    unsigned per_ip = fl_http_is_loopback(listen) ? max_conn : (max_conn < 64u ? max_conn : 64u);
    h->d = fl__mhd.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            handler, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 2),
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s ? o->timeout_s : 30),
                            MHD_OPTION_CONNECTION_LIMIT, max_conn,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128u << 10),
                            MHD_OPTION_NOTIFY_COMPLETED, completed, h,
                            MHD_OPTION_UNESCAPE_CALLBACK, unescape, h,
                            MHD_OPTION_END);
    if (!h->d) {
        fl__rollup_cache_free(h->cache);
        fl_free(h);
        return fl_error_set(err, FL_EIO, "cannot listen on %s (address in use or not local?)", listen);
    }
    h->warm_started = pthread_create(&h->warm, NULL, warm_main, h) == 0;
    const union MHD_DaemonInfo *di = fl__mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : ntohs(sa.sin_port);
    *out = h;
    return FL_OK;
}

unsigned fl_http_port(const fl_http *h) { return h ? h->port : 0; }

void fl_http_stop(fl_http *h)
{
    if (!h)
        return;
    __atomic_store_n(&h->stop, 1, __ATOMIC_RELAXED);
    if (h->warm_started)
        pthread_join(h->warm, NULL);
    fl__mhd.stop_daemon(h->d);
    fl__rollup_cache_free(h->cache);
    fl_free(h);
}
