/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_beacon.c - the beacon detector, RITA v5's scoring adapted to flow
 * logs (docs/rules.md, reference detections.md section 5.1).  For each
 * (source, destination, port) with at least `min_connections` distinct
 * connection start times in the bucket (24 h by default):
 *   ts   = ((1 - |Bowley skew|) + MAD score) / 2 of the start intervals,
 *   ds   = the same of the bytes per connection,
 *   hist = max(1 - CV of the 24 hourly counts, bimodal fit),
 *   dur  = max(coverage of the window, longest run of busy hours / 12),
 *   score = (ts + ds + hist + dur) / 4.
 * A destination contacted by more than `max_sources` sources (update
 * servers, SaaS) is skipped: RITA's prevalence filter.  AWS long-lived
 * connections repeat with the same start in successive records; distinct
 * start times collapse them.
 */
#include <math.h>
#include <stdlib.h>

#include "detect/detect_int.h"

static double round3(double x) { return floor(x * 1000 + 0.5) / 1000; }
static double ceil3(double x) { return ceil(x * 1000 - 1e-9) / 1000; }

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *x, size_t n)
{
    if (n == 0)
        return 0;
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

void fl__det_quartiles(const double *x, size_t n, double *q1, double *q2, double *q3)
{
    *q2 = median(x, n);
    size_t h = n / 2;
    *q1 = median(x, h);
    *q3 = median(x + (n % 2 ? h + 1 : h), h);
}

double fl__det_regularity(const double *x, size_t n, double *scratch, double mad_default,
                          bool drop_zero)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop_zero || x[i] != 0)
            scratch[m++] = x[i];
    if (m < 3)
        return 0;
    qsort(scratch, m, sizeof *scratch, cmp_d);
    double q1, q2, q3;
    fl__det_quartiles(scratch, m, &q1, &q2, &q3);
    double bowley = 0;
    if (!(q3 - q1 < 10 || q2 == q1 || q2 == q3))
        bowley = (q1 + q3 - 2 * q2) / (q3 - q1);
    /* MAD: median of absolute deviations (scratch reused after the median) */
    double med = q2;
    for (size_t i = 0; i < m; i++)
        scratch[i] = fabs(scratch[i] - med);
    qsort(scratch, m, sizeof *scratch, cmp_d);
    double mad = median(scratch, m);
    double mad_score = mad_default;
    if (med >= 1)
        mad_score = (med - mad) / med;
    if (mad_score < 0)
        mad_score = 0;
    return round3(((1 - fabs(bowley)) + mad_score) / 2);
}

void fl__det_beacon_score(const int64_t *ts, const double *bytes, size_t n, int64_t win_from,
                          int64_t win_to, double *scratch, struct det_beacon_score *out)
{
    memset(out, 0, sizeof *out);
    if (n < 2 || win_to <= win_from)
        return;
    /* intervals (ts sorted ascending) */
    double *d = scratch + n; /* scratch has room for 2n */
    for (size_t i = 1; i < n; i++)
        d[i - 1] = (double)(ts[i] - ts[i - 1]);
    out->ts = fl__det_regularity(d, n - 1, scratch, 1, true);
    out->ds = fl__det_regularity(bytes, n, scratch, 0, false);
    /* 24 bins over the window */
    double bins[24] = {0};
    double span = (double)(win_to - win_from);
    for (size_t i = 0; i < n; i++) {
        int b = (int)((double)(ts[i] - win_from) * 24 / span);
        if (b >= 0 && b < 24)
            bins[b]++;
    }
    double sum = 0, sum2 = 0, mx = 0;
    int nonempty = 0;
    for (int i = 0; i < 24; i++) {
        sum += bins[i];
        sum2 += bins[i] * bins[i];
        mx = FL_MAX(mx, bins[i]);
        nonempty += bins[i] > 0;
    }
    double mean = sum / 24, var = sum2 / 24 - mean * mean;
    double cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 1;
    double cv_score = cv > 1 ? 0 : 1 - cv;
    double bimodal = 0;
    if (nonempty >= 11) {
        double bs = ceil(mx * 0.05);
        if (bs < 1)
            bs = 1;
        int freq[32] = {0};
        for (int i = 0; i < 24; i++)
            if (bins[i] > 0) {
                int k = (int)(bins[i] / bs);
                freq[FL_MIN(k, 31)]++;
            }
        int a = 0, b = 0;
        for (int i = 0; i < 32; i++) {
            if (freq[i] > a) {
                b = a;
                a = freq[i];
            } else if (freq[i] > b) {
                b = freq[i];
            }
        }
        int denom = FL_MAX(nonempty - 1, 1);
        bimodal = FL_MIN(1.0, (double)(a + b) / denom);
    }
    out->hist = round3(FL_MAX(cv_score, bimodal));
    if (nonempty >= 6) {
        double cov = ceil3((double)(ts[n - 1] - ts[0]) / span);
        int run = 0, best = 0;
        for (int i = 0; i < 48; i++) {
            if (bins[i % 24] > 0) {
                run++;
                best = FL_MAX(best, FL_MIN(run, 24));
            } else {
                run = 0;
            }
        }
        double cons = ceil3(best / 12.0);
        out->dur = FL_MAX(FL_MIN(cov, 1.0), FL_MIN(cons, 1.0));
    }
    out->score = round3(0.25 * out->ts + 0.25 * out->ds + 0.25 * out->dur + 0.25 * out->hist);
}

struct conn {
    char src[64], dst[64];
    int64_t port;
    int64_t ts;
    double bytes;
    int64_t records; /* flow records with this start */
    int sources; /* distinct regular sources of dst over the range */
    int popular; /* distinct sources of dst (all traffic) when > max_sources */
};

static int cmp_dst_src(const void *a, const void *b)
{
    const struct conn *x = *(struct conn *const *)a, *y = *(struct conn *const *)b;
    int c = strcmp(x->dst, y->dst);
    return c ? c : strcmp(x->src, y->src);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The destinations (among those of v[0..rows)) that more than max_sources
 * sources contact over the range, with their source count, sorted by
 * destination: a SQL rule of our own through the same substitution.  When
 * the candidates have at most BEACON_POP_LIST destinations, all of them
 * addresses, the query is restricted to them (the counts of those
 * destinations are the same). */
#define BEACON_POP_LIST 64
static int popular_dsts(struct det_ctx *c, const struct conn *v, size_t rows, double max_sources,
                   fl_query_result **out)
{
    const struct fl_rule *r = c->rule;
    const char *dst[BEACON_POP_LIST];
    size_t nd = 0;
    bool restrict_ = true;
    for (size_t i = 0; i < rows && restrict_; i++) {
        bool seen = false;
        for (size_t k = 0; k < nd && !seen; k++)
            seen = strcmp(dst[k], v[i].dst) == 0;
        if (seen)
            continue;
        struct fl_ip ip;
        if (nd == BEACON_POP_LIST || fl_ip_parse(v[i].dst, strlen(v[i].dst), &ip) != FL_OK)
            restrict_ = false;
        else
            dst[nd++] = v[i].dst;
    }
    struct fl_buf in;
    fl_buf_init(&in, 8192);
    int rc = FL_OK;
    if (restrict_ && nd > 0) {
        qsort(dst, nd, sizeof *dst, cmp_str);
        rc = fl_buf_printf(&in, " AND dstaddr IN (");
        for (size_t k = 0; k < nd && rc == FL_OK; k++)
            rc = fl_buf_printf(&in, "%s'%s'", k ? ", " : "", dst[k]); /* addresses: no quote inside */
        if (rc == FL_OK)
            rc = fl_buf_addc(&in, ')');
    }
    char *psql = rc == FL_OK ? fl_malloc(DET_SQL_MAX) : NULL;
    if (!psql) {
        fl_buf_free(&in);
        return fl_error_set(c->err, FL_ENOMEM, "out of memory");
    }
    snprintf(psql, DET_SQL_MAX,
             "SELECT dstaddr, COUNT(DISTINCT srcaddr) AS sources FROM flows WHERE start >= :window_start "
             "AND start < :window_end AND (%s)%s GROUP BY 1 HAVING COUNT(DISTINCT srcaddr) > %.0f ORDER BY 1",
             fl__det_param_text(r, "filter", "TRUE"), in.len ? fl_buf_cstr(&in) : "", max_sources);
    fl_buf_free(&in);
    struct fl_rule pr = *r;
    pr.detector = FL_DET_SQL;
    pr.sql = psql;
    struct det_ctx pc = *c;
    pc.rule = &pr;
    rc = fl__det_query(&pc, NULL, c->from, c->to, out);
    c->queries = pc.queries;
    c->rows_read = pc.rows_read;
    c->explain_wall = pc.explain_wall;
    c->explain_cpu = pc.explain_cpu;
    fl_free(psql);
    return rc;
}

int fl__det_beacon(struct det_ctx *c)
{
    const struct fl_rule *r = c->rule;
    double min_conns = fl__det_param_num(r, "min_connections", 12);
    double min_score = fl__det_param_num(r, "min_score", 0.8);
    double max_sources = fl__det_param_num(r, "max_sources", 5);
    fl_query_result *res = NULL;
    FL_TRY(fl__det_query(c, NULL, c->from, c->to, &res));
    size_t rows = fl_query_result_rows(res);
    int rc = FL_OK;
    struct conn *v = fl_calloc(rows ? rows : 1, sizeof *v);
    int64_t *ts = fl_calloc(rows ? rows : 1, sizeof *ts);
    double *by = fl_calloc(rows ? rows : 1, sizeof *by);
    double *scratch = fl_calloc(rows ? 2 * rows : 2, sizeof *scratch);
    if (!v || !ts || !by || !scratch)
        rc = fl_error_set(c->err, FL_ENOMEM, "out of memory (%zu connections)", rows);
    for (size_t i = 0; i < rows && rc == FL_OK; i++) {
        struct fl_qcell q;
        fl_query_result_cell(res, i, 0, &q);
        fl_query_cell_format(&q, v[i].src, sizeof v[i].src);
        fl_query_result_cell(res, i, 1, &q);
        fl_query_cell_format(&q, v[i].dst, sizeof v[i].dst);
        fl_query_result_cell(res, i, 2, &q);
        v[i].port = q.type == FL_QT_BIGINT ? q.i : -1;
        fl_query_result_cell(res, i, 3, &q);
        v[i].ts = q.i;
        fl_query_result_cell(res, i, 4, &q);
        v[i].bytes = q.type == FL_QT_BIGINT ? (double)q.i : q.type == FL_QT_DOUBLE ? q.d : 0;
        fl_query_result_cell(res, i, 5, &q);
        v[i].records = q.type == FL_QT_BIGINT ? q.i : 0;
    }
    fl_query_result_free(res);
    /* the query's pair filter is a superset: keep the pairs with at least
     * min_connections distinct start times (one row each) and fewer than
     * 86400 records over the range */
    size_t kept = 0;
    for (size_t g0 = 0; g0 < rows && rc == FL_OK;) {
        size_t g1 = g0 + 1;
        int64_t recs = v[g0].records;
        while (g1 < rows && strcmp(v[g1].src, v[g0].src) == 0 && strcmp(v[g1].dst, v[g0].dst) == 0 &&
               v[g1].port == v[g0].port)
            recs += v[g1++].records;
        if ((double)(g1 - g0) >= min_conns && recs < 86400) {
            if (kept != g0)
                memmove(&v[kept], &v[g0], (g1 - g0) * sizeof *v);
            kept += g1 - g0;
        }
        g0 = g1;
    }
    if (rc == FL_OK)
        rows = kept;
    /* popular destinations (prevalence over every source, not only the
     * regular ones), looked up for the candidates' destinations only: none
     * (no query), a few (restricted to them), or all */
    fl_query_result *pop = NULL;
    if (rc == FL_OK && rows > 0)
        rc = popular_dsts(c, v, rows, max_sources, &pop);
    /* mark rows whose destination is popular */
    size_t np = pop ? fl_query_result_rows(pop) : 0;
    for (size_t i = 0; i < rows && rc == FL_OK && np; i++) {
        size_t lo = 0, hi = np;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            struct fl_qcell q;
            fl_query_result_cell(pop, mid, 0, &q);
            char d[64];
            fl_query_cell_format(&q, d, sizeof d);
            int cmp = strcmp(d, v[i].dst);
            if (cmp == 0) {
                fl_query_result_cell(pop, mid, 1, &q);
                v[i].popular = (int)q.i;
                break;
            }
            if (cmp < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    fl_query_result_free(pop);
    struct conn **ix = rc == FL_OK ? fl_calloc(rows ? rows : 1, sizeof *ix) : NULL;
    if (rc == FL_OK && !ix)
        rc = fl_error_set(c->err, FL_ENOMEM, "out of memory");
    if (rc == FL_OK) {
        for (size_t i = 0; i < rows; i++)
            ix[i] = &v[i];
        qsort(ix, rows, sizeof *ix, cmp_dst_src);
        for (size_t i = 0; i < rows;) {
            size_t j = i;
            int cnt = 0;
            while (j < rows && strcmp(ix[j]->dst, ix[i]->dst) == 0) {
                if (j == i || strcmp(ix[j]->src, ix[j - 1]->src) != 0)
                    cnt++;
                j++;
            }
            for (size_t k = i; k < j; k++)
                ix[k]->sources = cnt;
            i = j;
        }
    }
    fl_free(ix);
    struct fl_buf key, json, ev;
    fl_buf_init(&key, 8192);
    fl_buf_init(&json, 16384);
    fl_buf_init(&ev, DET_EVIDENCE_MAX);
    /* rows are sorted by src, dst, port, start and unique per start; the
     * bucket is the rule window (one bucket per day by default) */
    for (int64_t b = c->from; b < c->to && rc == FL_OK; b += r->window_s) {
        for (size_t g0 = 0; g0 < rows && rc == FL_OK;) {
            size_t g1 = g0;
            size_t n = 0;
            while (g1 < rows && strcmp(v[g1].src, v[g0].src) == 0 && strcmp(v[g1].dst, v[g0].dst) == 0 &&
                   v[g1].port == v[g0].port) {
                if (v[g1].ts >= b && v[g1].ts < b + r->window_s) {
                    ts[n] = v[g1].ts;
                    by[n] = v[g1].bytes;
                    n++;
                }
                g1++;
            }
            if ((double)n >= min_conns && n < 86400) {
                int sources = v[g0].popular ? v[g0].popular : v[g0].sources;
                struct det_beacon_score sc;
                fl__det_beacon_score(ts, by, n, b, b + r->window_s, scratch, &sc);
                if (sources <= max_sources && sc.score >= min_score) {
                    char port[24];
                    snprintf(port, sizeof port, "%lld", (long long)v[g0].port);
                    const char *vals[FL_RULE_MAX_ENTITY] = {0};
                    for (int e = 0; e < r->n_entity; e++)
                        vals[e] = strcmp(r->entity[e], "srcaddr") == 0 ? v[g0].src
                                  : strcmp(r->entity[e], "dstaddr") == 0 ? v[g0].dst
                                  : strcmp(r->entity[e], "dstport") == 0 ? port
                                                                         : NULL;
                    rc = fl__det_entity(r, vals, &key, &json);
                    double tb = 0;
                    for (size_t k = 0; k < n; k++)
                        tb += by[k];
                    fl_buf_reset(&ev);
                    if (rc == FL_OK)
                        rc = fl_buf_printf(&ev,
                                           "{\"srcaddr\":\"%s\",\"dstaddr\":\"%s\",\"dstport\":%s,"
                                           "\"connections\":%zu,\"score\":%.3f,\"ts_score\":%.3f,"
                                           "\"ds_score\":%.3f,\"hist_score\":%.3f,\"dur_score\":%.3f,"
                                           "\"median_interval\":%lld,\"bytes\":%.17g,\"sources\":%d}",
                                           v[g0].src, v[g0].dst, port, n, sc.score, sc.ts, sc.ds, sc.hist,
                                           sc.dur, n > 1 ? (long long)((ts[n - 1] - ts[0]) / (int64_t)(n - 1)) : 0LL,
                                           tb, sources);
                    int sev = r->severity;
                    if (sc.score >= 0.95 && sev < FL_SEV_CRITICAL)
                        sev++;
                    if (rc == FL_OK)
                        rc = fl__det_hit_add(c->out, b, fl_buf_cstr(&key), fl_buf_cstr(&json), ts[0],
                                             ts[n - 1], (int64_t)n, sev, fl_buf_cstr(&ev), NULL);
                }
            }
            g0 = g1 > g0 ? g1 : g0 + 1;
        }
    }
    fl_buf_free(&key);
    fl_buf_free(&json);
    fl_buf_free(&ev);
    fl_free(v);
    fl_free(ts);
    fl_free(by);
    fl_free(scratch);
    return rc;
}
