/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_detect.h - detections: rules as YAML data (docs/rules.md), the engine
 * that runs them over time windows of the dataset, and the findings they
 * leave in the state database (findings, suppressions, baselines,
 * first-seen sets, per-rule watermarks), plus the notification sinks
 * (webhook, syslog) and the output formats (table, JSON Lines, OCSF 2004).
 *
 * A rule is either a SQL query in the dialect of fl_query.h with
 * placeholders (:window_start, :window_end, :bucket, policy lists, rule
 * params) substituted as literals, or a native detector (baseline,
 * first_seen, beacon, scan, flood, health) with parameters.  Every result
 * row is a "hit": the rule's entity columns identify one finding, the other
 * columns are its evidence.  Hits are kept per (finding, time bucket), so
 * evaluating the same bucket again replaces, never adds: detection is
 * idempotent.
 *
 * Thread-safety: a loaded rule set is immutable and may be shared; a
 * detection run and the findings functions use one fl_state handle, which
 * belongs to one thread.
 */
#ifndef FL_DETECT_H
#define FL_DETECT_H

#include <stdio.h>

#include "fl_config.h"
#include "fl_state.h"

/* ---- rules ---------------------------------------------------------------- */
enum fl_severity {
    FL_SEV_INFO = 1,
    FL_SEV_LOW = 2,
    FL_SEV_MEDIUM = 3,
    FL_SEV_HIGH = 4,
    FL_SEV_CRITICAL = 5,
};
/* "info" .. "critical"; "?" for an unknown value. */
const char *fl_severity_name(int sev);
/* Parse a severity name (any case).  FL_OK or FL_EINVAL. */
int fl_severity_parse(const char *s, int *out);

enum fl_detector {
    FL_DET_SQL = 0,
    FL_DET_BASELINE,
    FL_DET_FIRST_SEEN,
    FL_DET_BEACON,
    FL_DET_SCAN,
    FL_DET_FLOOD,
    FL_DET_HEALTH,
};
const char *fl_detector_name(int det);

#define FL_RULE_MAX_ENTITY 8
#define FL_RULE_MAX_ATTACK 8
#define FL_RULE_MAX_PARAMS 32
#define FL_RULE_MAX_SUPPRESS 16

/* A rule parameter: `params:` of a rule (thresholds, lists).  The value is
 * kept as SQL literal text: a number as written, a string quoted, a list as
 * comma-separated literals. */
struct fl_rule_param {
    char name[48];
    char sql[512];   /* SQL literal text */
    char text[512];  /* the value as written (a list: comma-separated) */
    bool is_num;     /* a single number */
    double num;      /* its value when is_num */
};

/* A default suppression shipped with a rule: a CIDR any entity address may
 * fall in, or an asset tag. */
struct fl_rule_suppress {
    bool has_cidr;
    struct fl_cidr cidr;
    char tag[64];
};

struct fl_rule {
    char id[64];
    char title[160];
    const char *description; /* may be "" */
    int severity;            /* enum fl_severity */
    char attack[FL_RULE_MAX_ATTACK][16]; /* ATT&CK technique ids */
    int n_attack;
    char entity[FL_RULE_MAX_ENTITY][48]; /* result columns forming the key */
    int n_entity;
    int64_t window_s;       /* bucket length in seconds */
    int64_t lateness_s;     /* re-evaluate buckets this far behind the watermark */
    int64_t renotify_s;     /* re-notify an open finding after this; 0 = never */
    int max_per_run;        /* new findings per run at most */
    bool enabled;
    int detector;           /* enum fl_detector */
    const char *sql;        /* FL_DET_SQL: the query text */
    struct fl_rule_param params[FL_RULE_MAX_PARAMS];
    int n_params;
    struct fl_rule_suppress suppress[FL_RULE_MAX_SUPPRESS];
    int n_suppress;
    int n_tests;            /* test cases in the file */
    const char *file;       /* where it was loaded from */
    uint32_t line;          /* line of the rule mapping */
};

typedef struct fl_ruleset fl_ruleset;

/* A rule-file problem: "file:line:col: message" is in msg. */
typedef void (*fl_rule_diag_fn)(void *ctx, const char *file, uint32_t line,
                                uint32_t col, const char *msg);

/*
 * Load rule files: each path is a .yaml/.yml file or a folder (its .yaml
 * and .yml files, sorted, not recursive).  Every problem in every file
 * is reported through diag (may be NULL) before anything runs; ids must be
 * unique across files.
 * @return FL_OK with *out set; FL_EPARSE if any file had an error (err holds
 * the first one as "file:line:col: message"; *out = NULL); FL_EIO.
 */
int fl_rules_load(fl_ruleset **out, const char *const *paths, int n_paths,
                  fl_rule_diag_fn diag, void *ctx, struct fl_error *err);
/* Parse rules from memory into a new ruleset (`name` in messages). */
int fl_rules_parse(fl_ruleset **out, const char *text, size_t n, const char *name,
                   fl_rule_diag_fn diag, void *ctx, struct fl_error *err);
void fl_ruleset_free(fl_ruleset *rs);
int fl_ruleset_count(const fl_ruleset *rs);
const struct fl_rule *fl_ruleset_rule(const fl_ruleset *rs, int i);
const struct fl_rule *fl_ruleset_find(const fl_ruleset *rs, const char *id);

/* The SQL a rule runs for the range [from, to) (Unix seconds): for SQL
 * rules the query with placeholders substituted; for detectors the data
 * query they start from.  Written into buf (NUL-terminated).
 * @return FL_OK, FL_ELIMIT (buf too small), FL_EPARSE (unknown placeholder). */
int fl_rule_sql(const struct fl_rule *r, const fl_config *cfg, int64_t from,
                int64_t to, char *buf, size_t cap, struct fl_error *err);

/* ---- sinks ---------------------------------------------------------------- */
enum fl_sink_kind { FL_SINK_WEBHOOK = 1, FL_SINK_SYSLOG = 2 };
struct fl_sink {
    int kind;
    char url[1024];      /* webhook URL */
    bool slack;          /* webhook body {"text": ...} (Slack-compatible) */
    int retries;         /* extra attempts after a failure (default 3) */
    int backoff_ms;      /* first retry delay, doubled each time (default 500) */
    int timeout_ms;      /* per attempt (default 5000) */
    char host[256];      /* syslog host */
    int port;            /* syslog port */
    bool tcp;            /* syslog over TCP (octet-counted framing) */
};
/*
 * Parse a sink spec: "webhook:URL", "slack:URL" (webhook with a Slack
 * body), "syslog://host:port" or "syslog+udp://host:port" (UDP),
 * "syslog+tcp://host:port".  Optional ",retries=N,backoff=MS,timeout=MS".
 */
int fl_sink_parse(const char *spec, struct fl_sink *out, struct fl_error *err);

/* ---- findings ------------------------------------------------------------- */
struct fl_finding {
    int64_t id;
    char rule[64];
    char title[160];
    char entity[512];        /* canonical key "col=value,col=value" */
    const char *entity_json; /* {"col":"value",...} */
    int severity;
    char status[16];         /* open, suppressed, resolved */
    const char *status_reason;
    int64_t first_seen, last_seen; /* Unix seconds */
    int64_t count;           /* hits summed over buckets */
    int64_t buckets;         /* buckets with a hit */
    const char *evidence;    /* JSON array of the latest evidence rows */
    const char *attack;      /* comma-separated technique ids */
    int64_t created_at, updated_at, notified_at;
};

/* Open $home's state database and apply the detect migrations. */
int fl_detect_state_open(fl_state **out, const char *home, struct fl_error *err);

struct fl_findings_filter {
    int64_t id;          /* one finding; 0 = all */
    const char *rule;    /* NULL = any */
    const char *status;  /* NULL = any */
    int min_severity;    /* 0 = any */
    int64_t since;       /* last_seen >= since; 0 = any */
    uint64_t limit;      /* 0 = no limit */
};
typedef int (*fl_finding_fn)(void *ctx, const struct fl_finding *f);
/* Findings by severity (desc), last_seen (desc), id; fn's non-zero return stops. */
int fl_findings_list(fl_state *st, const struct fl_findings_filter *flt,
                     fl_finding_fn fn, void *ctx, struct fl_error *err);
/* Set status ("open", "resolved", "suppressed") with a reason. FL_ENOTFOUND. */
int fl_finding_set_status(fl_state *st, int64_t id, const char *status,
                          const char *reason, struct fl_error *err);

struct fl_suppression {
    const char *rule;    /* rule id or NULL = any */
    const char *entity;  /* canonical entity key or a "col=value" subset; NULL */
    const char *cidr;    /* any entity address inside; NULL */
    const char *tag;     /* an asset tag in the entity or evidence; NULL */
    int64_t expires_at;  /* Unix seconds; 0 = never */
    const char *reason;  /* required */
};
/* Add a suppression; open findings it matches become "suppressed".
 * *matched_out (may be NULL) = findings changed. */
int fl_suppression_add(fl_state *st, const struct fl_suppression *s, int64_t now,
                       int64_t *id_out, int64_t *matched_out, struct fl_error *err);

enum fl_finding_format {
    FL_FF_TABLE = 1,
    FL_FF_JSON,   /* one JSON array */
    FL_FF_NDJSON, /* JSON Lines */
    FL_FF_OCSF,   /* OCSF Detection Finding (class 2004), JSON Lines */
};
int fl_finding_format_parse(const char *s, enum fl_finding_format *out);
typedef struct fl_finding_writer fl_finding_writer;
fl_finding_writer *fl_finding_writer_new(FILE *f, enum fl_finding_format fmt);
int fl_finding_writer_add(fl_finding_writer *w, const struct fl_finding *f);
int fl_finding_writer_finish(fl_finding_writer *w);
void fl_finding_writer_free(fl_finding_writer *w);
/* One finding as an OCSF Detection Finding JSON object into buf (like
 * snprintf: returns the needed length). */
size_t fl_finding_ocsf(const struct fl_finding *f, char *buf, size_t cap);

/* Send one finding to a sink (retries per the sink).  FL_OK or FL_EIO. */
int fl_sink_send(const struct fl_sink *s, const struct fl_finding *f,
                 struct fl_error *err);

/* ---- running -------------------------------------------------------------- */
struct fl_detect_rule_result {
    const char *rule;
    int64_t from, to;        /* the range evaluated [from, to) */
    uint64_t hits;           /* hit rows produced */
    uint64_t new_findings, updated, suppressed, notified, capped, notify_failed;
    double seconds;
    int rc;                  /* FL_OK or the rule's error */
    const char *error;       /* message when rc != FL_OK */
    /* cost (flowsift detect --timing): CPU seconds of the process (user +
     * sys, every thread) while the rule ran, dataset rows its queries read
     * (after pruning; a shared scan counts once, for the rule that started
     * it) and the number of queries it ran */
    double cpu_seconds;
    uint64_t rows_read;
    uint64_t queries;
};

struct fl_detect_opts {
    const char *home;            /* dataset + state root (required) */
    const fl_config *config;     /* policy; NULL = defaults */
    const fl_ruleset *rules;     /* required */
    const char *only_rule;       /* run only this id; NULL = all enabled */
    bool have_range;             /* use [from, to) instead of watermarks */
    int64_t from, to;            /* Unix seconds */
    int64_t now;                 /* clock (Unix seconds); 0 = real time */
    int64_t first_lookback_s;    /* no watermark yet: start this far back (default 24 h) */
    int64_t lateness_s;          /* override every rule's lateness; < 0 = rule's */
    const struct fl_sink *sinks; /* notified for new / escalated / re-due findings */
    int n_sinks;
    uint64_t memory;             /* query memory budget; 0 = default */
    void (*on_rule)(void *ctx, const struct fl_detect_rule_result *r);
    void *ctx;
    bool timing;                 /* fill rows_read in the rule results (costs a
                                  * footer-only EXPLAIN per query) */
};

struct fl_detect_totals {
    uint64_t rules, rules_failed, hits, new_findings, updated, suppressed,
        notified, capped, notify_failed;
};

/*
 * Run the rules: for each, the buckets from (watermark - lateness) to the
 * last complete bucket before `now` (or [from, to) aligned to buckets),
 * replace the hits of those buckets, update the findings and watermarks,
 * apply suppressions and notify the sinks.  A failing rule is reported via
 * on_rule and counted; the others go on.
 * @return FL_OK (see totals->rules_failed) or < 0 if the state failed.
 */
int fl_detect_run(const struct fl_detect_opts *o, struct fl_detect_totals *out,
                  struct fl_error *err);

/* ---- rule tests ------------------------------------------------------------ */
struct fl_rule_test_result {
    const char *rule;
    const char *test;      /* test name */
    bool passed;
    char why[1024];        /* on failure: what differed */
};
/*
 * Run every test case of every rule in rs (or only `only_rule`): build a
 * temporary dataset under tmp_dir from the case's flows, detect over it with
 * the case's config and range, compare the findings with the expectation.
 * @return FL_OK when every case ran (see *failed_out) or < 0.
 */
int fl_rules_test(const fl_ruleset *rs, const char *only_rule, const char *tmp_dir,
                  void (*on_result)(void *ctx, const struct fl_rule_test_result *r),
                  void *ctx, int *passed_out, int *failed_out, struct fl_error *err);

#endif
