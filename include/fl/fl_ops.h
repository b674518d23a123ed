/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_ops.h - the operator's questions about the dataset, answered as small
 * named tables: `flowsift health` (is the pipeline healthy: records per
 * source and hour, NODATA/SKIPDATA, interfaces gone silent, the newest data
 * per source and its delay, rejected input records by reason) and
 * `flowsift verify-change` (did a security-group/NSG change turn ACCEPT
 * into REJECT for the flows matching an expression), plus the hourly
 * rollups that keep the dashboard's panel calls fast (docs/api.md).
 *
 * Results are a `struct fl_report`: key/value facts (a verdict, the time
 * range, ...) and a few tables, printable as table/csv/json/ndjson and
 * serializable to the JSON the HTTP API returns.  Every SQL these functions
 * run goes through fl_query_run; user input (match expressions, times) is
 * parsed and validated first and only re-printed from parsed values.
 *
 * Thread-safety: a report belongs to one thread; independent calls may run
 * in parallel (they only read the dataset and state.db).
 */
#ifndef FL_OPS_H
#define FL_OPS_H

#include <stdio.h>

#include "fl_query.h"

/* ---- reports --------------------------------------------------------------- */
#define FL_REPORT_MAX_TABS 8
#define FL_REPORT_MAX_FACTS 24
#define FL_TAB_MAX_ROWS 100000   /* cap of one table */

struct fl_tab {
    char name[32];          /* section name ("records", "silent", ...) */
    int n_cols;
    char **cols;            /* column names */
    struct fl_qcell *cells; /* n_rows * n_cols; VARCHAR bytes owned by the tab */
    size_t n_rows, cap_rows;
    bool truncated;         /* rows past FL_TAB_MAX_ROWS were dropped */
};

struct fl_fact {
    char key[32];
    struct fl_qcell v;      /* BIGINT or VARCHAR (owned) or NULL */
};

struct fl_report {
    char title[64];
    struct fl_fact facts[FL_REPORT_MAX_FACTS];
    int n_facts;
    struct fl_tab tabs[FL_REPORT_MAX_TABS];
    int n_tabs;
};

void fl_report_init(struct fl_report *r, const char *title);
void fl_report_free(struct fl_report *r);
/* Add a fact (the string is copied). FL_OK, FL_ELIMIT, FL_ENOMEM. */
int fl_report_fact_i64(struct fl_report *r, const char *key, int64_t v);
int fl_report_fact_str(struct fl_report *r, const char *key, const char *s);
/* Add a table with these columns; *tab_out points into r. */
int fl_report_tab(struct fl_report *r, const char *name, int n_cols,
                  const char *const *cols, struct fl_tab **tab_out);
/* Copy a query result into a new table of r. */
int fl_report_tab_from_result(struct fl_report *r, const char *name,
                              const fl_query_result *res);
/* Append a row (n_cols cells; strings copied).  FL_OK, FL_ENOMEM; rows past
 * FL_TAB_MAX_ROWS set `truncated` and are dropped (FL_OK). */
int fl_tab_add(struct fl_tab *t, const struct fl_qcell *cells);
/* The report as one JSON object: {"title":..., <facts>..., "<tab>":
 * {"columns":[...],"rows":[[...]...]}, ...}.  *out is fl_malloc'd. */
int fl_report_json(const struct fl_report *r, char **out, size_t *n_out);
/* Print: table (facts as "key: value" lines, then each table under its
 * name), csv / ndjson (one section after the other; ndjson rows carry a
 * "section" key), json (fl_report_json). */
int fl_report_print(const struct fl_report *r, FILE *f, enum fl_out_format fmt);

/* ---- time helpers ---------------------------------------------------------- */
/* Unix seconds, YYYY-MM-DD, "YYYY-MM-DD HH:MM[:SS]" / 'T' form, RFC 3339. */
int fl_ops_parse_time(const char *s, int64_t *sec_out);
/* "90s", "30m", "24h", "7d", "1w" or plain seconds. */
int fl_ops_parse_duration(const char *s, int64_t *sec_out);

/* ---- health ------------------------------------------------------------------ */
struct fl_health_opts {
    const char *home;       /* dataset root (NULL = ./flowsift-data) */
    int64_t from, to;       /* [from, to) Unix seconds; to == 0: the end of the
                               newest record's hour; from == 0: to - 24 h */
    int64_t now;            /* the clock for delays (Unix seconds) */
    int64_t silent_s;       /* silent = no record in [to - silent_s, to); 0 = 2 h */
    uint64_t memory;        /* query budget; 0 = 1 GiB */
};
/*
 * Build the health report: facts from/to/now/silent_after; tables
 * `records` (hour, cloud, account, flow_type, records, nodata, skipdata),
 * `log_status` (cloud, account, log_status, records), `silent` (cloud,
 * account, interface, records, last_seen, silent_for_s), `newest` (cloud,
 * account, region, newest_end, delay_s, records), `rejects` (reason,
 * records, objects) from the ingest ledger, `objects` (state, objects,
 * records_read, records_stored, records_rejected).
 */
int fl_health_run(const struct fl_health_opts *o, struct fl_report *r,
                  struct fl_error *err);

/* ---- verify-change ------------------------------------------------------------ */
struct fl_verify_opts {
    const char *home;
    const char *match;      /* "srcaddr=10.1.1.40 dstport=22" (terms ANDed) */
    int64_t before;         /* start of the "before" window; 0 = after - window */
    int64_t after;          /* the change time (required) */
    int64_t window;         /* window length each side; 0 = 24 h */
    uint64_t memory;
};
enum fl_verdict {
    FL_VERDICT_WORKS = 0,          /* was ACCEPT (some), now all REJECT */
    FL_VERDICT_UNCHANGED = 1,      /* same action(s) before and after */
    FL_VERDICT_NO_TRAFFIC_AFTER = 2, /* nothing matched after the change */
    FL_VERDICT_NO_TRAFFIC_BEFORE = 3,/* nothing matched before it */
    FL_VERDICT_PARTIAL = 4,        /* ACCEPT still seen after, less than before */
    FL_VERDICT_OPENED = 5,         /* was REJECT, now ACCEPT */
    FL_VERDICT_NO_TRAFFIC = 6,     /* nothing matched at all */
};
/*
 * Parse the match expression (catalog columns, `=`, CIDR values for address
 * columns, integers for numeric ones; FL_EINVAL with a message otherwise),
 * count matching flows by action before / after, and decide.  Facts:
 * match, sql_filter, before_from, after (the change), after_to, verdict,
 * verdict_text; table `actions` (period, action, flows, bytes, first_seen,
 * last_seen).  *verdict_out gets the enum fl_verdict.
 */
int fl_verify_run(const struct fl_verify_opts *o, struct fl_report *r,
                  int *verdict_out, struct fl_error *err);
/* Validate a match expression and print the SQL condition it becomes into
 * buf (tests, --explain).  FL_OK or FL_EINVAL (err says which term). */
int fl_verify_match_sql(const char *match, char *buf, size_t cap,
                        struct fl_error *err);

#endif
