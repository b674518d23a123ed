/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compliance.c - the daily egress compliance report (fl_compliance.h).
 * The policy of flowsift.yaml (approved countries, approved egress CIDRs)
 * becomes one WHERE clause, printed only from the parsed config (two-letter
 * codes and formatted CIDRs, never raw user text); four SQL queries through
 * fl_query_run give the detail rows and the totals (overall, per country,
 * per account); the rows are written as CSV (fl_csv_write) and as a
 * printable HTML page whose every string is HTML-escaped.  Files are
 * written to a temporary name and renamed, so a failed run leaves nothing.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common_int.h"
#include "fl/fl_common.h"
#include "fl/fl_compliance.h"
#include "fl/fl_query.h"
#include "fl/fl_record.h"

#define WHERE_CAP (4u << 20) /* the policy clause: 1M CIDRs would not fit, and need not */

/* ---- small helpers -------------------------------------------------------- */

static void html(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fputc('?', f); /* control bytes never reach the page */
            else
                fputc(c, f);
        }
    }
}
static void htmls(FILE *f, const char *s) { html(f, s, strlen(s)); }

/* A cell as text ("" for NULL) into buf. */
static const char *cell_text(const fl_query_result *r, size_t row, int col, char *buf, size_t cap,
                             size_t *n_out)
{
    struct fl_qcell c;
    fl_query_result_cell(r, row, col, &c);
    if (c.type == FL_QT_VARCHAR) {
        *n_out = c.s.n;
        return c.s.p ? c.s.p : "";
    }
    size_t k = fl_query_cell_format(&c, buf, cap);
    *n_out = k < cap ? k : cap - 1;
    return buf;
}

static int64_t cell_i64(const fl_query_result *r, size_t row, int col)
{
    struct fl_qcell c;
    fl_query_result_cell(r, row, col, &c);
    if (c.type == FL_QT_BIGINT || c.type == FL_QT_BOOL)
        return c.i;
    if (c.type == FL_QT_DOUBLE)
        return (int64_t)c.d;
    return 0;
}

static void fmt_time(int64_t t, char *buf, size_t cap)
{
    int64_t y;
    unsigned m, d;
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t s = t - days * 86400;
    fl_civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02u-%02u %02lld:%02lld:%02lldZ", (long long)y, m, d,
             (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

/* Thousands separators for the printed page. */
static void fmt_int(uint64_t v, char *buf, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < cap; i++) {
        if (i && (n - i) % 3 == 0 && o + 2 < cap)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
}

static void fmt_bytes(uint64_t v, char *buf, size_t cap)
{
    static const char *const u[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double x = (double)v;
    int i = 0;
    while (x >= 1000 && i < 5) {
        x /= 1000;
        i++;
    }
    if (i == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)v);
    else
        snprintf(buf, cap, "%.1f %s", x, u[i]);
}

static const char *proto_name(int64_t p, char *buf, size_t cap)
{
    switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: snprintf(buf, cap, "%lld", (long long)p); return buf;
    }
}

size_t fl_compliance_block_rule(const char *cloud, const char *dstaddr, int64_t protocol,
                                int64_t dstport, char *buf, size_t cap)
{
    char pb[24];
    const char *proto = proto_name(protocol, pb, sizeof pb);
    const char *len = dstaddr && strchr(dstaddr, ':') ? "/128" : "/32";
    const char *dst = dstaddr ? dstaddr : "?";
    int has_port = (protocol == 6 || protocol == 17) && dstport > 0;
    char port[32] = "";
    int k;
    if (cloud && strcmp(cloud, "azure") == 0) {
        if (has_port)
            snprintf(port, sizeof port, " %lld", (long long)dstport);
        char up[24];
        size_t i = 0;
        for (; proto[i] && i + 1 < sizeof up; i++)
            up[i] = (char)(proto[i] >= 'a' && proto[i] <= 'z' ? proto[i] - 32 : proto[i]);
        up[i] = 0;
        k = snprintf(buf, cap, "NSG outbound Deny %s%s to %s%s (priority above the allow)", up, port, dst, len);
    } else if (cloud && strcmp(cloud, "gcp") == 0) {
        if (has_port)
            snprintf(port, sizeof port, ":%lld", (long long)dstport);
        k = snprintf(buf, cap, "VPC firewall egress DENY %s%s to %s%s", proto, port, dst, len);
    } else {
        if (has_port)
            snprintf(port, sizeof port, "/%lld", (long long)dstport);
        k = snprintf(buf, cap, "NACL egress DENY %s%s to %s%s (security groups cannot deny)", proto, port,
                     dst, len);
    }
    return k < 0 ? 0 : (size_t)k;
}

/* ---- the policy as SQL ------------------------------------------------------ */

static int build_where(const struct fl_compliance_opts *o, const struct fl_config_policy *pol,
                       struct fl_buf *w)
{
    FL_TRY(fl_buf_printf(w,
                         "start >= %lld AND start < %lld AND action = 'ACCEPT' "
                         "AND src_scope IN ('private', 'cgnat') AND dst_scope = 'public' ",
                         (long long)o->day, (long long)(o->day + 86400)));
    if (!pol || pol->n_approved_countries == 0) {
        FL_TRY(fl_buf_printf(w, "AND FALSE"));
        return FL_OK;
    }
    FL_TRY(fl_buf_printf(w, "AND (dst_country IS NULL OR dst_country NOT IN ("));
    for (size_t i = 0; i < pol->n_approved_countries; i++) {
        const char *cc = pol->approved_countries[i];
        if (!(cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z'))
            return FL_EINVAL; /* the config validates this; never print anything else */
        FL_TRY(fl_buf_printf(w, "%s'%.2s'", i ? ", " : "", cc));
    }
    FL_TRY(fl_buf_printf(w, "))"));
    for (size_t i = 0; i < pol->n_approved_egress_cidrs; i++) {
        char cb[64];
        fl_cidr_format(&pol->approved_egress_cidrs[i], cb, sizeof cb);
        FL_TRY(fl_buf_printf(w, "%scontains('%s', dstaddr)", i ? " OR " : " AND NOT (", cb));
        if (i + 1 == pol->n_approved_egress_cidrs)
            FL_TRY(fl_buf_addc(w, ')'));
    }
    return FL_OK;
}

static int run(const char *sql, const struct fl_compliance_opts *o, fl_query_result **r,
               struct fl_error *err)
{
    struct fl_query_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.home = o->home;
    qo.memory = o->memory;
    return fl_query_run(sql, &qo, r, err);
}

/* ---- the HTML page ---------------------------------------------------------- */

static const char css[] =
    "body{font-family:system-ui,sans-serif;color:#1d2733;margin:2em;font-size:11pt}"
    "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:2px solid #1f4e79}"
    ".meta{color:#55606b;margin:.2em 0}"
    "table{border-collapse:collapse;width:100%;margin:.4em 0;font-size:9.5pt}"
    "th,td{border:1px solid #c9d0d7;padding:2px 6px;text-align:left;vertical-align:top}"
    "th{background:#e9eef3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.rule{font-family:ui-monospace,monospace;font-size:8.5pt}"
    ".totals td{font-weight:bold}.ok{color:#1e7b34;font-weight:bold}.bad{color:#a4161a;font-weight:bold}"
    "table.kv{width:auto;min-width:40%}table.kv th{width:16em}"
    ".note{background:#fff6d6;border:1px solid #e6c85c;padding:.4em .8em}"
    "@page{size:A4 landscape;margin:12mm}"
    "@media print{body{margin:0;font-size:9.5pt}thead{display:table-header-group}"
    "tr{page-break-inside:avoid}h2{page-break-after:avoid}}";

static void html_totals_table(FILE *f, const char *title, const char *keyname,
                              const fl_query_result *r)
{
    char tb[128], nb[64];
    size_t n;
    fprintf(f, "<h2>%s</h2>\n<table><thead><tr><th>", title);
    htmls(f, keyname);
    fputs("</th><th>flows</th><th>bytes</th><th>bytes (exact)</th><th>sources</th><th>destinations</th>"
          "</tr></thead><tbody>\n",
          f);
    size_t rows = fl_query_result_rows(r);
    for (size_t i = 0; i < rows; i++) {
        const char *k = cell_text(r, i, 0, tb, sizeof tb, &n);
        fputs("<tr><td>", f);
        if (n)
            html(f, k, n);
        else
            fputs("unknown", f);
        fmt_int((uint64_t)cell_i64(r, i, 1), nb, sizeof nb);
        fprintf(f, "</td><td class=n>%s</td>", nb);
        fmt_bytes((uint64_t)cell_i64(r, i, 2), nb, sizeof nb);
        fprintf(f, "<td class=n>%s</td>", nb);
        fmt_int((uint64_t)cell_i64(r, i, 2), nb, sizeof nb);
        fprintf(f, "<td class=n>%s</td>", nb);
        fmt_int((uint64_t)cell_i64(r, i, 3), nb, sizeof nb);
        fprintf(f, "<td class=n>%s</td>", nb);
        fmt_int((uint64_t)cell_i64(r, i, 4), nb, sizeof nb);
        fprintf(f, "<td class=n>%s</td></tr>\n", nb);
    }
    if (rows == 0)
        fputs("<tr><td colspan=6>none</td></tr>\n", f);
    fputs("</tbody></table>\n", f);
}

/* Detail columns (see DETAIL_SQL): account, cloud, srcaddr, dstaddr,
 * country, protocol, dstport, flows, bytes, first_seen, last_seen, src_tag. */
enum { D_ACCOUNT, D_CLOUD, D_SRC, D_DST, D_COUNTRY, D_PROTO, D_PORT, D_FLOWS, D_BYTES, D_FIRST,
       D_LAST, D_TAG, D_NCOLS };

static void write_html(FILE *f, const struct fl_compliance_opts *o, const struct fl_config_policy *pol,
                       const struct fl_compliance_summary *s, const fl_query_result *detail,
                       const fl_query_result *by_country, const fl_query_result *by_account)
{
    char day[32], now[32], nb[64], tb[256];
    fmt_time(o->day, day, sizeof day);
    day[10] = 0;
    fmt_time((int64_t)time(NULL), now, sizeof now);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
    fprintf(f, "<title>flowsift egress compliance report %s</title>\n<style>%s</style>\n</head>\n<body>\n",
            day, css);
    fprintf(f, "<h1>Egress compliance report &mdash; %s (UTC)</h1>\n", day);
    fputs("<p class=meta>Accepted flows from internal sources (private, CGNAT) to public destinations "
          "outside the approved egress CIDRs whose destination country is not approved "
          "(an unknown country is not approved).</p>\n",
          f);
    fprintf(f, "<p class=meta>Generated %s by flowsift; dataset ", now);
    htmls(f, o->home ? o->home : "./flowsift-data");
    fputs("; policy from ", f);
    htmls(f, fl_config_path(o->config) ? fl_config_path(o->config) : "(built-in defaults: no flowsift.yaml)");
    fputs(".</p>\n<h2>Policy</h2>\n<table class=kv><tbody><tr><th>approved countries</th><td>", f);
    if (!pol || !pol->n_approved_countries)
        fputs("none configured (every country is approved)", f);
    for (size_t i = 0; pol && i < pol->n_approved_countries; i++) {
        fputs(i ? ", " : "", f);
        html(f, pol->approved_countries[i], strnlen(pol->approved_countries[i], 2));
    }
    fputs("</td></tr><tr><th>approved egress CIDRs</th><td>", f);
    if (!pol || !pol->n_approved_egress_cidrs)
        fputs("none", f);
    for (size_t i = 0; pol && i < pol->n_approved_egress_cidrs; i++) {
        char cb[64];
        fl_cidr_format(&pol->approved_egress_cidrs[i], cb, sizeof cb);
        fputs(i ? ", " : "", f);
        htmls(f, cb);
    }
    fputs("</td></tr></tbody></table>\n", f);
    if (!pol || !pol->n_approved_countries)
        fputs("<p class=note>policy.approved_countries is not set in flowsift.yaml: every destination "
              "country is approved, so nothing can be out of policy.  Set it to audit egress.</p>\n",
              f);

    fputs("<h2>Summary</h2>\n<table class=kv><tbody>", f);
    fprintf(f, "<tr><th>verdict</th><td>%s</td></tr>",
            s->rows ? "<span class=bad>unapproved egress found</span>"
                    : "<span class=ok>no unapproved egress</span>");
    fmt_int(s->flows, nb, sizeof nb);
    fprintf(f, "<tr><th>flows</th><td>%s</td></tr>", nb);
    fmt_bytes(s->bytes, tb, sizeof tb);
    fmt_int(s->bytes, nb, sizeof nb);
    fprintf(f, "<tr><th>bytes</th><td>%s (%s)</td></tr>", tb, nb);
    fprintf(f, "<tr><th>accounts / sources / destinations / countries</th><td>%llu / %llu / %llu / %llu</td></tr>",
            (unsigned long long)s->accounts, (unsigned long long)s->sources,
            (unsigned long long)s->destinations, (unsigned long long)s->countries);
    fprintf(f, "<tr><th>detail rows</th><td>%llu%s</td></tr>", (unsigned long long)s->rows,
            s->truncated ? " (truncated: the CSV holds the first 1,000,000)" : "");
    fputs("</tbody></table>\n", f);

    html_totals_table(f, "By destination country", "country", by_country);
    html_totals_table(f, "By account", "account", by_account);

    fputs("<h2>Unapproved egress, by account, source, destination and port</h2>\n", f);
    fputs("<table><thead><tr><th>account</th><th>source</th><th>destination</th><th>country</th>"
          "<th>port</th><th>flows</th><th>bytes</th><th>first seen</th><th>last seen</th>"
          "<th>rule that would block it</th></tr></thead><tbody>\n",
          f);
    size_t rows = detail ? fl_query_result_rows(detail) : 0;
    size_t shown = rows < FL_COMPLIANCE_HTML_ROWS ? rows : FL_COMPLIANCE_HTML_ROWS;
    for (size_t i = 0; i < shown; i++) {
        char a[256], c[32], src[64], dst[64], tag[256];
        size_t na, nc, ns, nd, nt, tmpn;
        const char *acct = cell_text(detail, i, D_ACCOUNT, a, sizeof a, &na);
        const char *cloud = cell_text(detail, i, D_CLOUD, c, sizeof c, &nc);
        const char *sp = cell_text(detail, i, D_SRC, src, sizeof src, &ns);
        const char *dp = cell_text(detail, i, D_DST, dst, sizeof dst, &nd);
        const char *tg = cell_text(detail, i, D_TAG, tag, sizeof tag, &nt);
        char country[8];
        const char *cp = cell_text(detail, i, D_COUNTRY, country, sizeof country, &tmpn);
        char cloudz[32], dstz[64], pb[24], rule[256];
        snprintf(cloudz, sizeof cloudz, "%.*s", (int)nc, cloud);
        snprintf(dstz, sizeof dstz, "%.*s", (int)nd, dp);
        int64_t proto = cell_i64(detail, i, D_PROTO), port = cell_i64(detail, i, D_PORT);
        fl_compliance_block_rule(cloudz, dstz, proto, port, rule, sizeof rule);
        fputs("<tr><td>", f);
        html(f, acct, na);
        fputs(" <small>", f);
        html(f, cloud, nc);
        fputs("</small></td><td>", f);
        html(f, sp, ns);
        if (nt) {
            fputs(" <small>(", f);
            html(f, tg, nt);
            fputs(")</small>", f);
        }
        fputs("</td><td>", f);
        html(f, dp, nd);
        fputs("</td><td>", f);
        if (tmpn)
            html(f, cp, tmpn);
        else
            fputs("unknown", f);
        fprintf(f, "</td><td>%s/%lld</td>", proto_name(proto, pb, sizeof pb), (long long)port);
        fmt_int((uint64_t)cell_i64(detail, i, D_FLOWS), nb, sizeof nb);
        fprintf(f, "<td class=n>%s</td>", nb);
        fmt_int((uint64_t)cell_i64(detail, i, D_BYTES), nb, sizeof nb);
        fprintf(f, "<td class=n>%s</td>", nb);
        fmt_time(cell_i64(detail, i, D_FIRST), tb, sizeof tb);
        fprintf(f, "<td>%s</td>", tb + 11);
        fmt_time(cell_i64(detail, i, D_LAST), tb, sizeof tb);
        fprintf(f, "<td>%s</td><td class=rule>", tb + 11);
        htmls(f, rule);
        fputs("</td></tr>\n", f);
    }
    if (rows == 0)
        fputs("<tr><td colspan=10>none</td></tr>\n", f);
    fputs("</tbody></table>\n", f);
    if (rows > shown)
        fprintf(f, "<p class=note>%llu more rows are in the CSV file.</p>\n",
                (unsigned long long)(rows - shown));
    fputs("<p class=meta>AWS security groups cannot deny: block with the subnet's network ACL (as "
          "suggested), or narrow the security group's egress allow to the approved destinations.  "
          "Azure NSG deny rules need a priority number lower than the rule that allows the traffic.</p>\n"
          "</body>\n</html>\n",
          f);
}

static void write_csv(FILE *f, const fl_query_result *detail, size_t rows)
{
    fputs("account,cloud,source,destination,country,protocol,port,flows,bytes,first_seen,last_seen,"
          "src_tag,suggested_rule\n",
          f);
    for (size_t i = 0; i < rows; i++) {
        char tb[256], cloudz[32], dstz[64], rule[256];
        size_t n;
        for (int col = 0; col < D_NCOLS; col++) {
            const char *t = cell_text(detail, i, col, tb, sizeof tb, &n);
            if (col == D_CLOUD)
                snprintf(cloudz, sizeof cloudz, "%.*s", (int)n, t);
            if (col == D_DST)
                snprintf(dstz, sizeof dstz, "%.*s", (int)n, t);
            if (col)
                fputc(',', f);
            fl_csv_write(f, t, n);
        }
        size_t k = fl_compliance_block_rule(cloudz, dstz, cell_i64(detail, i, D_PROTO),
                                            cell_i64(detail, i, D_PORT), rule, sizeof rule);
        fputc(',', f);
        fl_csv_write(f, rule, k < sizeof rule ? k : sizeof rule - 1);
        fputc('\n', f);
    }
}

/* ---- the report ------------------------------------------------------------- */

static FILE *open_tmp(const char *path, char *tmp, size_t cap, struct fl_error *err)
{
    snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        fl_error_set(err, FL_EIO, "cannot write %s", tmp);
    return f;
}

int fl_compliance_report(const struct fl_compliance_opts *o, struct fl_compliance_summary *s,
                         struct fl_error *err)
{
    memset(s, 0, sizeof *s);
    if (!o || !o->config || !o->out_dir || !*o->out_dir)
        return fl_error_set(err, FL_EINVAL, "compliance report: config and out_dir are required");
    const struct fl_config_policy *pol = fl_config_policy(o->config);
    s->policy_countries = pol ? pol->n_approved_countries : 0;
    s->policy_cidrs = pol ? pol->n_approved_egress_cidrs : 0;

    struct fl_buf w, q;
    fl_buf_init(&w, WHERE_CAP);
    fl_buf_init(&q, WHERE_CAP + 4096);
    fl_query_result *detail = NULL, *tot = NULL, *by_country = NULL, *by_account = NULL;
    FILE *fh = NULL, *fc = NULL;
    char th[1200] = "", tc[1200] = "";
    int rc = build_where(o, pol, &w);
    if (rc != FL_OK) {
        fl_error_set(err, rc, "compliance report: the policy does not fit in a query");
        goto out;
    }
    const char *where = fl_buf_cstr(&w);

    rc = fl_buf_printf(&q,
                       "SELECT account, cloud, srcaddr, dstaddr, coalesce(dst_country, '') AS country, "
                       "protocol, dstport, count(*) AS flows, coalesce(sum(bytes), 0) AS bytes, "
                       "min(start) AS first_seen, max(\"end\") AS last_seen, max(src_tag) AS src_tag "
                       "FROM flows WHERE %s GROUP BY 1, 2, 3, 4, 5, 6, 7 "
                       "ORDER BY bytes DESC, account, srcaddr, dstaddr, protocol, dstport LIMIT %u",
                       where, FL_COMPLIANCE_MAX_ROWS + 1);
    if (rc != FL_OK || (rc = run(fl_buf_cstr(&q), o, &detail, err)) != FL_OK)
        goto out;
    fl_buf_reset(&q);
    rc = fl_buf_printf(&q,
                       "SELECT count(*), coalesce(sum(bytes), 0), count(DISTINCT srcaddr), "
                       "count(DISTINCT dstaddr), count(DISTINCT coalesce(dst_country, '')), "
                       "count(DISTINCT account) FROM flows WHERE %s",
                       where);
    if (rc != FL_OK || (rc = run(fl_buf_cstr(&q), o, &tot, err)) != FL_OK)
        goto out;
    fl_buf_reset(&q);
    rc = fl_buf_printf(&q,
                       "SELECT coalesce(dst_country, '') AS k, count(*), coalesce(sum(bytes), 0) AS b, "
                       "count(DISTINCT srcaddr), count(DISTINCT dstaddr) FROM flows WHERE %s "
                       "GROUP BY 1 ORDER BY b DESC, k",
                       where);
    if (rc != FL_OK || (rc = run(fl_buf_cstr(&q), o, &by_country, err)) != FL_OK)
        goto out;
    fl_buf_reset(&q);
    rc = fl_buf_printf(&q,
                       "SELECT account AS k, count(*), coalesce(sum(bytes), 0) AS b, "
                       "count(DISTINCT srcaddr), count(DISTINCT dstaddr) FROM flows WHERE %s "
                       "GROUP BY 1 ORDER BY b DESC, k",
                       where);
    if (rc != FL_OK || (rc = run(fl_buf_cstr(&q), o, &by_account, err)) != FL_OK)
        goto out;

    size_t rows = fl_query_result_rows(detail);
    s->truncated = rows > FL_COMPLIANCE_MAX_ROWS;
    if (s->truncated)
        rows = FL_COMPLIANCE_MAX_ROWS;
    s->rows = rows;
    if (fl_query_result_rows(tot) == 1) {
        s->flows = (uint64_t)cell_i64(tot, 0, 0);
        s->bytes = (uint64_t)cell_i64(tot, 0, 1);
        s->sources = (uint64_t)cell_i64(tot, 0, 2);
        s->destinations = (uint64_t)cell_i64(tot, 0, 3);
        s->countries = s->flows ? (uint64_t)cell_i64(tot, 0, 4) : 0;
        s->accounts = (uint64_t)cell_i64(tot, 0, 5);
    }

    if ((rc = fl_mkdirs(o->out_dir, err)) != FL_OK)
        goto out;
    char day[32];
    fmt_time(o->day, day, sizeof day);
    day[10] = 0;
    int k1 = snprintf(s->html_path, sizeof s->html_path, "%s/compliance-%s.html", o->out_dir, day);
    int k2 = snprintf(s->csv_path, sizeof s->csv_path, "%s/compliance-%s.csv", o->out_dir, day);
    if (k1 < 0 || k2 < 0 || (size_t)k1 >= sizeof s->html_path || (size_t)k2 >= sizeof s->csv_path) {
        rc = fl_error_set(err, FL_EINVAL, "--out path too long");
        goto out;
    }
    if (!(fh = open_tmp(s->html_path, th, sizeof th, err)) ||
        !(fc = open_tmp(s->csv_path, tc, sizeof tc, err))) {
        rc = FL_EIO;
        goto out;
    }
    write_html(fh, o, pol, s, detail, by_country, by_account);
    write_csv(fc, detail, rows);
    int bad = ferror(fh) | ferror(fc);
    bad |= fclose(fh);
    fh = NULL;
    bad |= fclose(fc);
    fc = NULL;
    if (bad || rename(tc, s->csv_path) != 0) {
        rc = fl_error_set(err, FL_EIO, "cannot write the report into %s", o->out_dir);
        goto out;
    }
    tc[0] = 0;
    if (rename(th, s->html_path) != 0) {
        unlink(s->csv_path); /* both files or neither */
        rc = fl_error_set(err, FL_EIO, "cannot write the report into %s", o->out_dir);
        goto out;
    }
    th[0] = 0;
    rc = FL_OK;
out:
    if (fh)
        fclose(fh);
    if (fc)
        fclose(fc);
    if (th[0])
        unlink(th);
    if (tc[0])
        unlink(tc);
    if (rc != FL_OK)
        s->html_path[0] = s->csv_path[0] = 0;
    fl_query_result_free(detail);
    fl_query_result_free(tot);
    fl_query_result_free(by_country);
    fl_query_result_free(by_account);
    fl_buf_free(&w);
    fl_buf_free(&q);
    return rc;
}
