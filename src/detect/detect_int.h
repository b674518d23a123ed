/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detect_int.h - private structures of the detection module: the parsed
 * rule (public struct fl_rule plus its test cases), the hit a rule
 * produces for one (entity, bucket), the per-rule run context the native
 * detectors share, and the helpers between rule_parse.c, rule_check.c,
 * detect.c, the det_*.c detectors, findings.c, sinks.c and ocsf.c.
 */
#ifndef FL_DETECT_INT_H
#define FL_DETECT_INT_H

#include "common/common_int.h"
#include "fl/fl_detect.h"
#include "fl/fl_query.h"
#include "fl/fl_record.h" /* fl_json_append_str */

/* Caps. */
#define DET_RULE_FILE_MAX (1u << 20)   /* bytes per rule file */
#define DET_SQL_MAX (64u << 10)        /* substituted SQL text */
#define DET_TEST_ROWS_MAX 200000       /* expanded flow rows per test case */
#define DET_HITS_MAX 1000000           /* hits per rule per run */
#define DET_CANDIDATES_MAX 16000000    /* first_seen candidate keys per run */
#define DET_EVIDENCE_KEEP 10           /* evidence rows kept per finding */
#define DET_EVIDENCE_MAX 4096          /* bytes of one evidence row */

/* One key = value of a test flow row or an expectation. */
struct det_kv {
    char *key;
    char *val;   /* NULL = NULL */
    bool is_num; /* written as a plain number */
};
struct det_row {
    struct det_kv *kv;
    int n;
    uint32_t line;
};

struct det_test {
    char name[128];
    uint32_t line;
    char *config;          /* flowsift.yaml text for the case, or NULL */
    bool have_range;
    int64_t from, to;
    int64_t now;           /* 0 = derived from the flows */
    struct det_row defaults;
    struct det_row *flows;
    int n_flows;
    struct det_row *expect;
    int n_expect;
    int expect_count;      /* -1 = n_expect */
};

struct det_rule {
    struct fl_rule r;
    char *desc;
    char *sql;
    char *file;
    struct det_test *tests;
    int n_tests;
    uint32_t sql_line, sql_col; /* file position of the SQL text's first line */
};

struct fl_ruleset {
    struct det_rule **rules;
    int n, cap;
};

void fl__det_rule_free(struct det_rule *d);
void fl__det_row_free(struct det_row *r);
/* Parse "30s", "5m", "1h", "7d", "2w" or plain seconds. */
int fl__det_parse_duration(const char *s, int64_t *out);
/* Parse Unix seconds or RFC 3339 / "YYYY-MM-DD[ HH:MM:SS]". */
int fl__det_parse_time(const char *s, int64_t *out);
/* Validate a parsed rule beyond syntax (rule_check.c): its SQL compiles
 * against an empty dataset and returns the entity columns. */
int fl__det_rule_check(const struct det_rule *d, char *msg, size_t cap, uint32_t *line,
                       uint32_t *col);

/* ---- a hit: one (entity, bucket) row of a rule's output ------------------ */
struct det_hit {
    int64_t bucket;
    char *entity;      /* canonical "col=value,..." */
    char *entity_json; /* {"col":"value"} */
    int64_t first_seen, last_seen, count;
    int severity;
    char *evidence;    /* JSON object */
    char *tags;        /* "\ttag\ttag\t" asset tags seen in the row, or NULL */
};
struct det_hits {
    struct det_hit *v;
    size_t n, cap;
};
void fl__det_hits_free(struct det_hits *h);
/* Append a hit (strings are copied). FL_OK, FL_ENOMEM, FL_ELIMIT. */
int fl__det_hit_add(struct det_hits *h, int64_t bucket, const char *entity,
                    const char *entity_json, int64_t first, int64_t last,
                    int64_t count, int severity, const char *evidence,
                    const char *tags);

/* What a detector gets. */
struct det_ctx {
    const struct fl_rule *rule;
    const fl_config *cfg;
    const char *home;
    fl_state *st;         /* NULL in rules check */
    int64_t from, to;     /* [from, to), aligned to rule->window_s */
    int64_t now;
    uint64_t memory;
    struct det_hits *out;
    struct fl_error *err;
    /* cost accounting (--timing): queries run, rows they read */
    bool timing;
    uint64_t queries, rows_read;
    double explain_wall, explain_cpu; /* time spent counting rows (not the rule's) */
};

/* Run SQL (with placeholders) through the query engine. */
int fl__det_query(struct det_ctx *c, const char *sql_template, int64_t from,
                  int64_t to, fl_query_result **out);
/* Turn every row of a result into hits: entity columns from the rule,
 * "bucket", "first_seen", "last_seen", "hit_count", "severity" special,
 * the rest evidence. */
int fl__det_result_hits(struct det_ctx *c, const fl_query_result *r);
/* The same in steps: the special columns of a result, a row's bucket and
 * activity span, and hits for the rows sel[0..nsel) (sel NULL: every row). */
struct det_cols {
    int ent[FL_RULE_MAX_ENTITY];
    int bucket, first, last, count, sev; /* -1 = absent */
};
int fl__det_cols(struct det_ctx *c, const fl_query_result *res, struct det_cols *dc);
void fl__det_row_span(struct det_ctx *c, const fl_query_result *res, size_t row,
                      const struct det_cols *dc, int64_t *bucket, int64_t *first, int64_t *last);
int fl__det_result_hits_rows(struct det_ctx *c, const fl_query_result *res, const struct det_cols *dc,
                             const size_t *sel, size_t nsel);
/* A rule parameter as number / text, or the default. */
double fl__det_param_num(const struct fl_rule *r, const char *name, double def);
const char *fl__det_param_text(const struct fl_rule *r, const char *name, const char *def);
/* Build "col=v,..." and {"col":"v"} for entity values. */
int fl__det_entity(const struct fl_rule *r, const char *const *vals, struct fl_buf *key,
                   struct fl_buf *json);
/* fl__det_entity over the entity columns ent[0..n_entity) of result row
 * `row` (cells formatted as text, NULL kept as NULL). */
int fl__det_row_entity(const struct fl_rule *r, const fl_query_result *res, size_t row,
                       const int *ent, struct fl_buf *key, struct fl_buf *json);

/* A metric series per entity and bucket (det_baseline.c, shared). */
struct det_point {
    char *entity, *entity_json;
    int64_t bucket;
    double val[4];
};
struct det_series {
    struct det_point *v; /* sorted by entity, bucket */
    size_t n;
};
int fl__det_series_load(struct det_ctx *c, const fl_query_result *res, const char *const *valcols,
                        int n_val, struct det_series *out);
void fl__det_series_free(struct det_series *s);
double fl__det_series_at(const struct det_series *s, size_t g0, size_t g1, int64_t b, int j);
/* History of value j before bucket b: every `step` back over `span`,
 * from the group's first bucket on (missing buckets count as 0). */
void fl__det_series_stats(const struct det_series *s, size_t g0, size_t g1, int64_t b, int64_t step,
                          int64_t span, int j, double *mean, double *sd, int *points);

/* Native detectors (det_*.c). */
int fl__det_baseline(struct det_ctx *c);
int fl__det_first_seen(struct det_ctx *c);
int fl__det_beacon(struct det_ctx *c);
int fl__det_scan(struct det_ctx *c);
int fl__det_flood(struct det_ctx *c);
int fl__det_health(struct det_ctx *c);
/* The SQL a detector starts from (for fl_rule_sql / rules check). */
const char *fl__det_detector_sql(const struct fl_rule *r);

/* ---- beacon statistics (det_beacon.c; exposed for unit tests) ------------- */
struct det_beacon_score {
    double ts, ds, hist, dur, score;
};
/* RITA v5 quartiles of a sorted array (montanaflynn Quartile). */
void fl__det_quartiles(const double *x, size_t n, double *q1, double *q2, double *q3);
/* Bowley/MAD score of values (sorted copy made in scratch, n >= 3). */
double fl__det_regularity(const double *x, size_t n, double *scratch, double mad_default,
                          bool drop_zero);
/* Score one pair: timestamps (sorted, Unix s) and per-connection bytes. */
void fl__det_beacon_score(const int64_t *ts, const double *bytes, size_t n,
                          int64_t win_from, int64_t win_to, double *scratch,
                          struct det_beacon_score *out);

/* ---- findings store (findings.c) ------------------------------------------ */
int fl__det_migrate(fl_state *st, struct fl_error *err);
struct det_store_result {
    uint64_t new_findings, updated, suppressed, capped;
};
/* Replace the hits of rule in [from, to) by h, update findings. */
int fl__det_store(fl_state *st, const struct fl_rule *r, int64_t from, int64_t to,
                  int64_t now, struct det_hits *h, struct det_store_result *res,
                  struct fl_error *err);
/* Watermarks. */
int fl__det_watermark_get(fl_state *st, const char *rule, int64_t *wm, int64_t *hist,
                          struct fl_error *err);
int fl__det_watermark_set(fl_state *st, const char *rule, int64_t wm, int64_t hist,
                          int64_t now, struct fl_error *err);
/* Notify due findings of a rule to the sinks; counts into res fields. */
int fl__det_notify(fl_state *st, const struct fl_rule *r, const struct fl_sink *sinks,
                   int n_sinks, int64_t now, uint64_t *notified, uint64_t *failed,
                   struct fl_error *err);

/* A finding as flowsift JSON or OCSF JSON (ocsf.c). */
int fl__det_finding_json(struct fl_buf *b, const struct fl_finding *f, bool ocsf);

#endif
