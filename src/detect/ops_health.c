/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ops_health.c - `flowsift health` and GET /api/health (fl_ops.h): the data
 * about the data.  Over a window [from, to) it counts records per hour,
 * cloud, account and flow type with their NODATA/SKIPDATA rows, lists the
 * interfaces that logged in the window but not in its last `silent_s`
 * seconds, the newest record per source (cloud, account, region) with its
 * delay against the clock, and, from the ingest ledger, the input records
 * rejected by reason and the objects by state.  Each dataset section is one
 * SQL query through fl_query_run with only integers printed into it.
 */
#include <stdio.h>
#include <string.h>

#include "fl/fl_ops.h"
#include "fl/fl_state.h"
#include "common/common_int.h"

static int run_tab(struct fl_report *r, const char *name, const char *sql,
                   const struct fl_query_opts *qo, struct fl_error *err)
{
    fl_query_result *res = NULL;
    int rc = fl_query_run(sql, qo, &res, err);
    if (rc != FL_OK)
        return rc;
    rc = fl_report_tab_from_result(r, name, res);
    fl_query_result_free(res);
    if (rc != FL_OK)
        return fl_error_set(err, rc, "health: cannot build the %s table", name);
    return FL_OK;
}

/* The newest record's start (INT64_MIN when the dataset is empty). */
static int newest_start(const struct fl_query_opts *qo, int64_t *out, struct fl_error *err)
{
    *out = INT64_MIN;
    fl_query_result *res = NULL;
    FL_TRY(fl_query_run("SELECT max(start) FROM flows", qo, &res, err));
    if (fl_query_result_rows(res) == 1) {
        struct fl_qcell c;
        fl_query_result_cell(res, 0, 0, &c);
        if (c.type == FL_QT_BIGINT)
            *out = c.i;
    }
    fl_query_result_free(res);
    return FL_OK;
}

/* Rejected input records by reason, and objects by state, from the ledger. */
static int ledger_tabs(struct fl_report *r, const char *home, struct fl_error *err)
{
    fl_state *st = NULL;
    FL_TRY(fl_state_open(&st, home, err));
    static const char *const rcols[] = {"reason", "records", "objects"};
    static const char *const ocols[] = {"state", "objects", "records_read", "records_stored",
                                        "records_rejected"};
    struct fl_tab *t = NULL, *t2 = NULL;
    fl_stmt *s = NULL;
    int rc = fl_report_tab(r, "rejects", 3, rcols, &t);
    /* objects ingested before the per-reason counts existed show their
     * remainder as "unrecorded" */
    if (rc == FL_OK)
        rc = fl_stmt_prepare(
            st,
            "SELECT reason, sum(records), count(*) FROM object_rejects r "
            "JOIN objects o ON o.id = r.object_id WHERE o.pending_run IS NULL "
            "GROUP BY reason "
            "UNION ALL SELECT 'unrecorded', sum(o.records_rejected - coalesce("
            "(SELECT sum(records) FROM object_rejects r WHERE r.object_id = o.id), 0)), "
            "count(*) FROM objects o WHERE o.records_rejected > coalesce("
            "(SELECT sum(records) FROM object_rejects r WHERE r.object_id = o.id), 0) "
            "HAVING count(*) > 0 ORDER BY 2 DESC, 1",
            &s, err);
    while (rc == FL_OK && (rc = fl_stmt_step(s, err)) == 1) {
        const char *reason = fl_stmt_text(s, 0);
        struct fl_qcell row[3] = {
            {.type = FL_QT_VARCHAR, .s = {reason, strlen(reason)}},
            {.type = FL_QT_BIGINT, .i = fl_stmt_i64(s, 1)},
            {.type = FL_QT_BIGINT, .i = fl_stmt_i64(s, 2)},
        };
        rc = fl_tab_add(t, row);
    }
    if (rc > 0)
        rc = FL_OK;
    fl_stmt_finalize(s);
    s = NULL;
    if (rc == FL_OK)
        rc = fl_report_tab(r, "objects", 5, ocols, &t2);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(st,
                             "SELECT CASE state WHEN 2 THEN 'done' WHEN 3 THEN 'failed' "
                             "ELSE 'in_progress' END, count(*), sum(records_read), "
                             "sum(records_stored), sum(records_rejected) FROM objects "
                             "GROUP BY 1 ORDER BY 1",
                             &s, err);
    while (rc == FL_OK && (rc = fl_stmt_step(s, err)) == 1) {
        const char *state = fl_stmt_text(s, 0);
        struct fl_qcell row[5] = {{.type = FL_QT_VARCHAR, .s = {state, strlen(state)}}};
        for (int c = 1; c < 5; c++)
            row[c] = (struct fl_qcell){.type = FL_QT_BIGINT, .i = fl_stmt_i64(s, c)};
        rc = fl_tab_add(t2, row);
    }
    if (rc > 0)
        rc = FL_OK;
    fl_stmt_finalize(s);
    fl_state_close(st);
    return rc;
}

int fl_health_run(const struct fl_health_opts *o, struct fl_report *r, struct fl_error *err)
{
    fl_report_init(r, "health");
    struct fl_query_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.home = o->home;
    qo.memory = o->memory ? o->memory : (1ULL << 30);
    const char *home = o->home ? o->home : "./flowsift-data";
    int64_t to = o->to, from = o->from;
    int64_t silent = o->silent_s > 0 ? o->silent_s : 7200;
    if (to == 0) {
        int64_t newest;
        FL_TRY(newest_start(&qo, &newest, err));
        to = newest == INT64_MIN ? (o->now / 3600 + 1) * 3600 : (newest / 3600 + 1) * 3600;
    }
    if (from == 0)
        from = to - 86400;
    if (from >= to)
        return fl_error_set(err, FL_EINVAL, "health: --from must be before --to");
    if (silent >= to - from)
        return fl_error_set(err, FL_EINVAL,
                            "health: the silent period (%llds) must be shorter than the window",
                            (long long)silent);
    int64_t cut = to - silent;
    FL_TRY(fl_report_fact_i64(r, "from", from));
    FL_TRY(fl_report_fact_i64(r, "to", to));
    FL_TRY(fl_report_fact_i64(r, "now", o->now));
    FL_TRY(fl_report_fact_i64(r, "silent_after_s", silent));
    char sql[1536];
    snprintf(sql, sizeof sql,
             "SELECT (start / 3600) * 3600 AS hour, cloud, account, coalesce(flow_type, '') AS flow_type, "
             "count(*) AS records, count_if(log_status = 'NODATA') AS nodata, "
             "count_if(log_status = 'SKIPDATA') AS skipdata "
             "FROM flows WHERE start >= %lld AND start < %lld GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
             (long long)from, (long long)to);
    FL_TRY(run_tab(r, "records", sql, &qo, err));
    snprintf(sql, sizeof sql,
             "SELECT cloud, account, coalesce(log_status, '') AS log_status, count(*) AS records "
             "FROM flows WHERE start >= %lld AND start < %lld GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
             (long long)from, (long long)to);
    FL_TRY(run_tab(r, "log_status", sql, &qo, err));
    snprintf(sql, sizeof sql,
             "SELECT cloud, account, coalesce(interface_id, resource_id) AS interface, "
             "count(*) AS records, max(start) AS last_seen, %lld - max(start) AS silent_for_s "
             "FROM flows WHERE start >= %lld AND start < %lld "
             "AND coalesce(interface_id, resource_id) IS NOT NULL "
             "GROUP BY 1, 2, 3 HAVING max(start) < %lld ORDER BY 1, 2, 3",
             (long long)to, (long long)from, (long long)to, (long long)cut);
    FL_TRY(run_tab(r, "silent", sql, &qo, err));
    snprintf(sql, sizeof sql,
             "SELECT cloud, account, region, max(\"end\") AS newest_end, "
             "%lld - max(\"end\") AS delay_s, count(*) AS records "
             "FROM flows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
             (long long)o->now);
    FL_TRY(run_tab(r, "newest", sql, &qo, err));
    return ledger_tabs(r, home, err);
}
