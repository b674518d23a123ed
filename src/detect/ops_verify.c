/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ops_verify.c - `flowsift verify-change` (fl_ops.h): did a security-group /
 * NSG change work?  The match expression ("srcaddr=10.1.1.40 dstport=22",
 * terms ANDed) is parsed term by term against the field catalog: address
 * columns take an address or a CIDR (checked by fl_cidr_parse and printed
 * back in canonical form), integer columns an integer (protocol also tcp,
 * udp, icmp, icmpv6), text columns a value of [A-Za-z0-9._:/@-] only.  The
 * SQL condition is printed from those parsed values, never from the raw
 * text.  The matching flows are counted by action in the window before the
 * change and the window after it, and the two are compared into a verdict.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fl/fl_common.h"
#include "fl/fl_ops.h"
#include "common/common_int.h"

#define MAX_TERMS 16

static bool is_addr_col(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcmp(name + n - 4, "addr") == 0;
}

static bool safe_text(const char *s, size_t n)
{
    if (n == 0 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':' || c == '/' || c == '@'))
            return false;
    }
    return true;
}

/* Append one term's condition to buf at *pos. */
static int term_sql(const char *t, size_t n, char *buf, size_t cap, size_t *pos,
                    struct fl_error *err)
{
    const char *eq = memchr(t, '=', n);
    if (!eq || eq == t || eq + 1 == t + n)
        return fl_error_set(err, FL_EINVAL, "match: '%.*s' is not field=value", (int)FL_MIN(n, 80), t);
    size_t fn = (size_t)(eq - t);
    const char *v = eq + 1;
    size_t vn = n - fn - 1;
    if (fn > 0 && (t[fn - 1] == '!' || t[fn - 1] == '<' || t[fn - 1] == '>'))
        return fl_error_set(err, FL_EINVAL, "match: only '=' is supported ('%.*s')", (int)FL_MIN(n, 80), t);
    int col = fl_field_lookup(t, fn);
    if (col < 0)
        return fl_error_set(err, FL_EINVAL, "match: unknown field '%.*s' (see flowsift fields)",
                            (int)FL_MIN(fn, 64), t);
    const struct fl_field *f = &fl_fields[col];
    char cond[400];
    int k;
    if (f->type == FL_STR && is_addr_col(f->name)) {
        struct fl_cidr c;
        if (fl_cidr_parse(v, vn, &c) != FL_OK)
            return fl_error_set(err, FL_EINVAL, "match: %s wants an address or a CIDR, not '%.*s'",
                                f->name, (int)FL_MIN(vn, 64), v);
        char txt[80];
        bool bare = memchr(v, '/', vn) == NULL;
        struct fl_ip ip;
        if (bare && fl_ip_parse(v, vn, &ip) == FL_OK && memchr(v, ':', vn) == NULL) {
            fl_ip_format(&ip, txt, sizeof txt);
            k = snprintf(cond, sizeof cond, "\"%s\" = '%s'", f->name, txt);
        } else {
            fl_cidr_format(&c, txt, sizeof txt);
            k = snprintf(cond, sizeof cond, "contains('%s', \"%s\")", txt, f->name);
        }
    } else if (f->type == FL_I32 || f->type == FL_I64) {
        int64_t x;
        static const struct { const char *name; int num; } protos[] = {
            {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
        bool ok = fl_parse_i64(v, vn, &x) == FL_OK;
        for (size_t i = 0; !ok && col == FL_COL_PROTOCOL && i < FL_ARRAY_LEN(protos); i++)
            if (strlen(protos[i].name) == vn && strncasecmp(v, protos[i].name, vn) == 0) {
                x = protos[i].num;
                ok = true;
            }
        if (!ok)
            return fl_error_set(err, FL_EINVAL, "match: %s wants an integer, not '%.*s'", f->name,
                                (int)FL_MIN(vn, 64), v);
        k = snprintf(cond, sizeof cond, "\"%s\" = %lld", f->name, (long long)x);
    } else {
        if (!safe_text(v, vn))
            return fl_error_set(err, FL_EINVAL,
                                "match: value of %s may hold only letters, digits and . _ - : / @", f->name);
        k = snprintf(cond, sizeof cond, "\"%s\" = '%.*s'", f->name, (int)vn, v);
    }
    if (k < 0 || (size_t)k >= sizeof cond)
        return fl_error_set(err, FL_EINVAL, "match: term too long");
    int w = snprintf(buf + *pos, cap - *pos, "%s%s", *pos ? " AND " : "", cond);
    if (w < 0 || (size_t)w >= cap - *pos)
        return fl_error_set(err, FL_EINVAL, "match: expression too long");
    *pos += (size_t)w;
    return FL_OK;
}

int fl_verify_match_sql(const char *match, char *buf, size_t cap, struct fl_error *err)
{
    if (cap)
        buf[0] = 0;
    size_t pos = 0;
    int terms = 0;
    const char *p = match ? match : "";
    if (strlen(p) > 2048)
        return fl_error_set(err, FL_EINVAL, "match: expression too long");
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t' && *e != ',')
            e++;
        if (++terms > MAX_TERMS)
            return fl_error_set(err, FL_EINVAL, "match: at most %d terms", MAX_TERMS);
        if (e - p == 3 && strncasecmp(p, "and", 3) == 0) {
            terms--;
            p = e;
            continue;
        }
        FL_TRY(term_sql(p, (size_t)(e - p), buf, cap, &pos, err));
        p = e;
    }
    if (terms == 0)
        return fl_error_set(err, FL_EINVAL, "match: empty expression (e.g. 'srcaddr=10.1.1.40 dstport=22')");
    return FL_OK;
}

static int64_t cell_i64(const fl_query_result *res, size_t row, int col)
{
    struct fl_qcell c;
    fl_query_result_cell(res, row, col, &c);
    return c.type == FL_QT_BIGINT ? c.i : 0;
}

int fl_verify_run(const struct fl_verify_opts *o, struct fl_report *r, int *verdict_out,
                  struct fl_error *err)
{
    fl_report_init(r, "verify-change");
    *verdict_out = FL_VERDICT_NO_TRAFFIC;
    char cond[3072];
    FL_TRY(fl_verify_match_sql(o->match, cond, sizeof cond, err));
    int64_t window = o->window > 0 ? o->window : 86400;
    int64_t after = o->after;
    int64_t from = o->before ? o->before : after - window;
    int64_t to = after + window;
    if (from >= after)
        return fl_error_set(err, FL_EINVAL, "verify-change: --before must be before --after");
    FL_TRY(fl_report_fact_str(r, "match", o->match));
    FL_TRY(fl_report_fact_str(r, "sql_filter", cond));
    FL_TRY(fl_report_fact_i64(r, "before_from", from));
    FL_TRY(fl_report_fact_i64(r, "after", after));
    FL_TRY(fl_report_fact_i64(r, "after_to", to));
    struct fl_query_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.home = o->home;
    qo.memory = o->memory ? o->memory : (1ULL << 30);
    char sql[4096];
    int k = snprintf(sql, sizeof sql,
                     "SELECT CASE WHEN start < %lld THEN 'before' ELSE 'after' END AS period, "
                     "coalesce(action, '') AS action, count(*) AS flows, sum(bytes) AS bytes, "
                     "min(start) AS first_seen, max(start) AS last_seen FROM flows "
                     "WHERE start >= %lld AND start < %lld AND (%s) "
                     "GROUP BY 1, 2 ORDER BY 1 DESC, 2",
                     (long long)after, (long long)from, (long long)to, cond);
    if (k < 0 || (size_t)k >= sizeof sql)
        return fl_error_set(err, FL_EINVAL, "verify-change: match expression too long");
    fl_query_result *res = NULL;
    FL_TRY(fl_query_run(sql, &qo, &res, err));
    int64_t bA = 0, bR = 0, aA = 0, aR = 0, bO = 0, aO = 0;
    for (size_t i = 0; i < fl_query_result_rows(res); i++) {
        struct fl_qcell p, a;
        fl_query_result_cell(res, i, 0, &p);
        fl_query_result_cell(res, i, 1, &a);
        bool before = p.s.n == 6;
        int64_t n = cell_i64(res, i, 2);
        bool acc = a.s.n == 6 && memcmp(a.s.p, "ACCEPT", 6) == 0;
        bool rej = a.s.n == 6 && memcmp(a.s.p, "REJECT", 6) == 0;
        int64_t *slot = before ? (acc ? &bA : rej ? &bR : &bO) : (acc ? &aA : rej ? &aR : &aO);
        *slot += n;
    }
    int rc = fl_report_tab_from_result(r, "actions", res);
    fl_query_result_free(res);
    if (rc != FL_OK)
        return fl_error_set(err, rc, "verify-change: out of memory");
    int v;
    char text[256];
    int64_t b = bA + bR, a = aA + aR;
    if (b == 0 && a == 0) {
        v = FL_VERDICT_NO_TRAFFIC;
        snprintf(text, sizeof text, "no matching traffic before or after the change");
    } else if (a == 0) {
        v = FL_VERDICT_NO_TRAFFIC_AFTER;
        snprintf(text, sizeof text, "no matching traffic after the change (before: %s): cannot tell",
                 bA && bR ? "ACCEPT and REJECT" : bA ? "ACCEPT" : "REJECT");
    } else if (b == 0) {
        v = FL_VERDICT_NO_TRAFFIC_BEFORE;
        snprintf(text, sizeof text, "no matching traffic before the change; after it: %s",
                 aA && aR ? "ACCEPT and REJECT" : aA ? "ACCEPT" : "REJECT");
    } else if (bA > 0 && aA == 0) {
        v = FL_VERDICT_WORKS;
        snprintf(text, sizeof text, "was ACCEPT, now REJECT: the change works");
    } else if (bA == 0 && aA > 0) {
        v = FL_VERDICT_OPENED;
        snprintf(text, sizeof text, "was REJECT, now ACCEPT: the change opened this traffic");
    } else if (bA > 0 && aA > 0 && aR > 0) {
        v = FL_VERDICT_PARTIAL;
        snprintf(text, sizeof text,
                 "partly: %lld of %lld matching flows still ACCEPT after the change",
                 (long long)aA, (long long)a);
    } else {
        v = FL_VERDICT_UNCHANGED;
        snprintf(text, sizeof text, "unchanged: still %s", aA ? "ACCEPT" : "REJECT");
    }
    static const char *const names[] = {"works", "unchanged", "no_traffic_after",
                                        "no_traffic_before", "partial", "opened", "no_traffic"};
    FL_TRY(fl_report_fact_i64(r, "before_accept", bA));
    FL_TRY(fl_report_fact_i64(r, "before_reject", bR));
    FL_TRY(fl_report_fact_i64(r, "after_accept", aA));
    FL_TRY(fl_report_fact_i64(r, "after_reject", aR));
    if (bO || aO)
        FL_TRY(fl_report_fact_i64(r, "other_action", bO + aO));
    FL_TRY(fl_report_fact_str(r, "verdict", names[v]));
    FL_TRY(fl_report_fact_str(r, "verdict_text", text));
    *verdict_out = v;
    return FL_OK;
}
