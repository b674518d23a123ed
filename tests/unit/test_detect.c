/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_detect.c - the detection module's pure parts: RITA's beacon
 * statistics with the hand-derived vectors of RITA's own tests (quartiles,
 * Bowley/MAD regularity, whole-pair scores), duration/time parsing,
 * placeholder substitution (literals only, never inside strings or
 * comments; policy lists from a config; unknown names refused), rule
 * parsing errors with file:line:col, sink spec parsing, OCSF mapping and
 * the findings store (hits per bucket replaced, not added).
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "detect/detect_int.h"
#include "fl/fl_dataset.h"
#include "unit.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

TEST(quartiles_rita_vector)
{
    /* RITA analysis test: deltas {1,2,25,42,90,299,500,1500,4975} */
    double x[] = {1, 2, 25, 42, 90, 299, 500, 1500, 4975};
    double q1, q2, q3;
    fl__det_quartiles(x, 9, &q1, &q2, &q3);
    ASSERT(NEAR(q1, 13.5));
    ASSERT(NEAR(q2, 90));
    ASSERT(NEAR(q3, 1000));
    double y[] = {1, 2, 3, 4};
    fl__det_quartiles(y, 4, &q1, &q2, &q3);
    ASSERT(NEAR(q1, 1.5) && NEAR(q2, 2.5) && NEAR(q3, 3.5));
}

TEST(regularity_rita_vectors)
{
    double scratch[16];
    /* closely valued 98..102: IQR < 10 -> skew 0, MAD 1 -> (1 + 0.99) / 2 */
    double a[] = {100, 98, 102, 99, 101};
    ASSERT(NEAR(fl__det_regularity(a, 5, scratch, 1, true), 0.995));
    /* bimodal 98/300: skew 0, median 199, MAD 101 -> 0.746 */
    double b[] = {98, 300, 98, 300, 98, 300};
    ASSERT(NEAR(fl__det_regularity(b, 6, scratch, 1, true), 0.746));
    /* constant: perfect */
    double c[] = {300, 300, 300, 300};
    ASSERT(NEAR(fl__det_regularity(c, 4, scratch, 1, true), 1.0));
    /* fewer than 3 values: 0 */
    ASSERT(NEAR(fl__det_regularity(c, 2, scratch, 1, true), 0));
    /* zeros dropped for timestamps (3 non-zero left) */
    double d[] = {0, 0, 60, 60, 60};
    ASSERT(NEAR(fl__det_regularity(d, 5, scratch, 1, true), 1.0));
    /* skewed intervals score low */
    double e[] = {1, 2, 25, 42, 90, 299, 500, 1500, 4975};
    double s = fl__det_regularity(e, 9, scratch, 1, true);
    ASSERT(s < 0.5);
}

TEST(beacon_score_perfect_and_burst)
{
    enum { N = 288 };
    int64_t ts[N];
    double by[N], scratch[2 * N];
    for (int i = 0; i < N; i++) {
        ts[i] = 1714521600 + i * 300;
        by[i] = 512;
    }
    struct det_beacon_score sc;
    fl__det_beacon_score(ts, by, N, 1714521600, 1714521600 + 86400, scratch, &sc);
    ASSERT(NEAR(sc.ts, 1) && NEAR(sc.ds, 1) && NEAR(sc.hist, 1) && NEAR(sc.dur, 1));
    ASSERT(NEAR(sc.score, 1));
    /* a 5-minute burst: regular but not spread over the day */
    for (int i = 0; i < 30; i++) {
        ts[i] = 1714550000 + i * 10;
        by[i] = 1000 + i * 1000;
    }
    fl__det_beacon_score(ts, by, 30, 1714521600, 1714521600 + 86400, scratch, &sc);
    ASSERT(NEAR(sc.hist, 0) && NEAR(sc.dur, 0));
    ASSERT(sc.score < 0.6);
}

TEST(durations_and_times)
{
    int64_t v;
    ASSERT_EQ_INT(fl__det_parse_duration("90s", &v), FL_OK);
    ASSERT_EQ_INT(v, 90);
    ASSERT_EQ_INT(fl__det_parse_duration("5m", &v), FL_OK);
    ASSERT_EQ_INT(v, 300);
    ASSERT_EQ_INT(fl__det_parse_duration("24h", &v), FL_OK);
    ASSERT_EQ_INT(v, 86400);
    ASSERT_EQ_INT(fl__det_parse_duration("7d", &v), FL_OK);
    ASSERT_EQ_INT(v, 604800);
    ASSERT_EQ_INT(fl__det_parse_duration("3600", &v), FL_OK);
    ASSERT_EQ_INT(v, 3600);
    ASSERT(fl__det_parse_duration("1y", &v) != FL_OK);
    ASSERT(fl__det_parse_duration("-5m", &v) != FL_OK);
    ASSERT(fl__det_parse_duration("", &v) != FL_OK);
    ASSERT(fl__det_parse_duration("99999999999999d", &v) != FL_OK);
    ASSERT_EQ_INT(fl__det_parse_time("2024-05-01", &v), FL_OK);
    ASSERT_EQ_INT(v, 1714521600);
    ASSERT_EQ_INT(fl__det_parse_time("2024-05-01T01:00:00Z", &v), FL_OK);
    ASSERT_EQ_INT(v, 1714525200);
    ASSERT_EQ_INT(fl__det_parse_time("2024-05-01 00:00:10", &v), FL_OK);
    ASSERT_EQ_INT(v, 1714521610);
    ASSERT(fl__det_parse_time("yesterday", &v) != FL_OK);
    int s;
    ASSERT_EQ_INT(fl_severity_parse("HIGH", &s), FL_OK);
    ASSERT_EQ_INT(s, FL_SEV_HIGH);
    ASSERT_EQ_STR(fl_severity_name(FL_SEV_CRITICAL), "critical");
    ASSERT(fl_severity_parse("urgent", &s) != FL_OK);
}

static fl_ruleset *parse(const char *text, struct fl_error *err)
{
    fl_ruleset *rs = NULL;
    fl_error_clear(err);
    fl_rules_parse(&rs, text, strlen(text), "t.yaml", NULL, NULL, err);
    return rs;
}

TEST(substitution_is_literal_and_lexer_aware)
{
    struct fl_error err;
    fl_ruleset *rs = parse("id: r\ntitle: t\nseverity: low\nentity: [srcaddr]\nwindow: 1h\n"
                           "params: {min: 5, names: [a, \"b'c\"], label: \"x'y\"}\n"
                           "sql: |\n"
                           "  SELECT srcaddr, ':window_start' AS s, MAX(\"end\") AS \"q:x\" -- :nope\n"
                           "  FROM flows WHERE start >= :window_start AND start < :window_end\n"
                           "  AND dstport IN (:admin_ports) AND bytes > :min AND rule_name IN (:names)\n"
                           "  AND :label = :label GROUP BY 1\n",
                           &err);
    ASSERT(rs != NULL);
    const struct fl_rule *r = fl_ruleset_find(rs, "r");
    ASSERT(r != NULL);
    char buf[4096];
    ASSERT_EQ_INT(fl_rule_sql(r, NULL, 100, 3700, buf, sizeof buf, &err), FL_OK);
    ASSERT(strstr(buf, "':window_start' AS s") != NULL); /* inside a string: untouched */
    ASSERT(strstr(buf, "AS \"q:x\"") != NULL); /* quoted identifier: untouched */
    ASSERT(strstr(buf, "-- :nope") != NULL);
    ASSERT(strstr(buf, "start >= 100 AND start < 3700") != NULL);
    ASSERT(strstr(buf, "dstport IN (22, 3389, 2375, 6443)") != NULL);
    ASSERT(strstr(buf, "bytes > 5") != NULL);
    ASSERT(strstr(buf, "rule_name IN ('a', 'b''c')") != NULL); /* quotes doubled */
    ASSERT(strstr(buf, "'x''y' = 'x''y'") != NULL);
    ASSERT_EQ_INT(fl_rule_sql(r, NULL, 100, 3700, buf, 20, &err), FL_ELIMIT);
    fl_ruleset_free(rs);

    /* policy from a config */
    fl_config *cfg = NULL;
    const char *y = "geo: {enabled: false}\npolicy:\n  approved_countries: [US, DE]\n"
                    "  admin_ports: [22, 8443]\n  allowed_tier_pairs: [[web, app]]\n"
                    "  known_scanners: [10.9.0.0/16]\n";
    ASSERT_EQ_INT(fl_config_parse(&cfg, y, strlen(y), "c.yaml", NULL, &err), FL_OK);
    rs = parse("id: p\ntitle: t\nseverity: low\nentity: [srcaddr]\nwindow: 1h\n"
               "sql: SELECT srcaddr FROM flows WHERE dst_country NOT IN (:approved_countries) AND dstport "
               "IN (:admin_ports) AND :tier_pair_allowed AND NOT :known_scanner(srcaddr) AND "
               "NOT :approved_egress(dstaddr) AND from_unixtime(start) >= :window_start_ts\n",
               &err);
    ASSERT(rs != NULL);
    ASSERT_EQ_INT(fl_rule_sql(fl_ruleset_find(rs, "p"), cfg, 1714521600, 1714525200, buf, sizeof buf, &err), FL_OK);
    ASSERT(strstr(buf, "NOT IN ('US', 'DE')") != NULL);
    ASSERT(strstr(buf, "IN (22, 8443)") != NULL);
    ASSERT(strstr(buf, "((src_tier = 'web' AND dst_tier = 'app'))") != NULL);
    ASSERT(strstr(buf, "NOT (contains('10.9.0.0/16', srcaddr))") != NULL);
    ASSERT(strstr(buf, "NOT FALSE") != NULL); /* no approved egress: nothing exempt */
    ASSERT(strstr(buf, "TIMESTAMP '2024-05-01 00:00:00'") != NULL);
    fl_ruleset_free(rs);
    fl_config_free(cfg);
}

TEST(rule_errors_have_positions)
{
    struct fl_error err;
    fl_ruleset *rs = parse("id: r\ntitle: t\nseverity: low\nentity: [srcaddr]\nwindow: 1h\n"
                           "sql: SELECT srcaddr FROM flows WHERE x > :undefined_thing\n",
                           &err);
    ASSERT(rs == NULL);
    ASSERT_EQ_INT(err.rc, FL_EPARSE);
    ASSERT(strstr(err.msg, "t.yaml:1:1: rule r: unknown placeholder :undefined_thing") == err.msg);
    rs = parse("id: r\ntitle: t\nseverity: low\nentity: [srcaddr]\nwindow: 1h\n"
               "sql: \"SELECT srcaddr FROM flowz\"\n",
               &err);
    ASSERT(rs == NULL);
    ASSERT(strstr(err.msg, "t.yaml:6:") == err.msg); /* points into the sql line */
    rs = parse("- id: a\n  title: t\n  severity: low\n  entity: [srcaddr]\n  window: 1h\n  sql: SELECT srcaddr FROM flows\n"
               "- id: a\n  title: t\n  severity: low\n  entity: [srcaddr]\n  window: 1h\n  sql: SELECT srcaddr FROM flows\n",
               &err);
    ASSERT(rs == NULL);
    ASSERT(strstr(err.msg, "t.yaml:7:1: duplicate rule id 'a'") == err.msg);
    rs = parse("id: r\ntitle: t\nseverity: low\nentity: [srcaddr]\nwindow: 1h\nsql: x\ndetector: {type: scan}\n", &err);
    ASSERT(rs == NULL);
    ASSERT(strstr(err.msg, "needs exactly one of sql: or detector:") != NULL);
    rs = parse("id: r\ntitle: t\nseverity: low\nentity: [srcaddr]\nwindow: 1h\nattack: [X1]\nsql: x\n", &err);
    ASSERT(rs == NULL);
    ASSERT(strstr(err.msg, "t.yaml:6:10: 'X1' is not an ATT&CK technique id") == err.msg);
    /* aliases cannot blow up the visit count */
    rs = parse("a: &a [1, 1, 1, 1, 1, 1, 1, 1]\n", &err);
    ASSERT(rs == NULL);
}

TEST(sink_specs)
{
    struct fl_sink s;
    struct fl_error err;
    ASSERT_EQ_INT(fl_sink_parse("webhook:http://127.0.0.1:9/x,retries=5,backoff=10", &s, &err), FL_OK);
    ASSERT_EQ_INT(s.kind, FL_SINK_WEBHOOK);
    ASSERT(!s.slack && s.retries == 5 && s.backoff_ms == 10);
    ASSERT(strcmp(s.url, "http://127.0.0.1:9/x") == 0);
    ASSERT_EQ_INT(fl_sink_parse("slack:https://hooks.example/T/B", &s, &err), FL_OK);
    ASSERT(s.slack);
    ASSERT_EQ_INT(fl_sink_parse("syslog+tcp://logs.example:6514", &s, &err), FL_OK);
    ASSERT(s.kind == FL_SINK_SYSLOG && s.tcp && s.port == 6514);
    ASSERT(strcmp(s.host, "logs.example") == 0);
    ASSERT_EQ_INT(fl_sink_parse("syslog://[::1]:514", &s, &err), FL_OK);
    ASSERT(strcmp(s.host, "::1") == 0);
    ASSERT(fl_sink_parse("webhook:ftp://x", &s, &err) != FL_OK);
    ASSERT(fl_sink_parse("syslog+udp://h:99999", &s, &err) != FL_OK);
    ASSERT(fl_sink_parse("webhook:http://x,retries=99", &s, &err) != FL_OK);
    ASSERT(fl_sink_parse("pager:x", &s, &err) != FL_OK);
}

TEST(ocsf_mapping)
{
    struct fl_finding f;
    memset(&f, 0, sizeof f);
    f.id = 7;
    snprintf(f.rule, sizeof f.rule, "scan-vertical");
    snprintf(f.title, sizeof f.title, "Vertical \"port\" scan");
    snprintf(f.entity, sizeof f.entity, "srcaddr=10.0.0.1,dstaddr=10.0.0.2");
    f.entity_json = "{\"srcaddr\":\"10.0.0.1\",\"dstaddr\":\"10.0.0.2\"}";
    f.severity = FL_SEV_MEDIUM;
    snprintf(f.status, sizeof f.status, "suppressed");
    f.first_seen = 100;
    f.last_seen = 200;
    f.count = 3;
    f.evidence = "[{\"ports\":40}]";
    f.attack = "T1046";
    f.created_at = f.updated_at = 300;
    char buf[4096];
    size_t n = fl_finding_ocsf(&f, buf, sizeof buf);
    ASSERT(n > 0 && n < sizeof buf);
    ASSERT(strstr(buf, "\"class_uid\":2004") != NULL);
    ASSERT(strstr(buf, "\"severity_id\":3,\"severity\":\"Medium\"") != NULL);
    ASSERT(strstr(buf, "\"status_id\":3,\"status\":\"Suppressed\"") != NULL);
    ASSERT(strstr(buf, "\"first_seen_time\":100000,\"last_seen_time\":200000") != NULL);
    ASSERT(strstr(buf, "\"title\":\"Vertical \\\"port\\\" scan\"") != NULL);
    ASSERT(strstr(buf, "{\"technique\":{\"uid\":\"T1046\"}") != NULL);
    ASSERT(strstr(buf, "{\"name\":\"srcaddr\",\"type_id\":2,\"type\":\"IP Address\",\"value\":\"10.0.0.1\"}") != NULL);
    ASSERT(strstr(buf, "\"evidence\":[{\"ports\":40}]") != NULL);
    /* truncation is reported like snprintf */
    char small[16];
    ASSERT_EQ_INT(fl_finding_ocsf(&f, small, sizeof small), n);
    ASSERT_EQ_INT(strlen(small), 15);
}

static int count_fn(void *ctx, const struct fl_finding *f)
{
    int64_t *c = ctx;
    c[0]++;
    c[1] += f->count;
    c[2] = f->buckets;
    return 0;
}

TEST(store_replaces_hits_per_bucket)
{
    char home[128];
    snprintf(home, sizeof home, "/tmp/fl_test_detect_%d", (int)getpid());
    struct fl_error err;
    fl_rmtree(home, &err);
    fl_state *st = NULL;
    ASSERT_EQ_INT(fl_detect_state_open(&st, home, &err), FL_OK);
    struct fl_rule r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "x");
    snprintf(r.title, sizeof r.title, "x");
    r.severity = FL_SEV_LOW;
    r.window_s = 3600;
    r.max_per_run = 100;
    r.n_entity = 1;
    snprintf(r.entity[0], sizeof r.entity[0], "srcaddr");
    struct det_hits h = {0};
    ASSERT_EQ_INT(fl__det_hit_add(&h, 0, "srcaddr=a", "{\"srcaddr\":\"a\"}", 0, 10, 5, 2, "{}", NULL), FL_OK);
    ASSERT_EQ_INT(fl__det_hit_add(&h, 3600, "srcaddr=a", "{\"srcaddr\":\"a\"}", 3600, 3610, 7, 2, "{}", NULL), FL_OK);
    struct det_store_result res;
    for (int run = 0; run < 3; run++) {
        ASSERT_EQ_INT(fl__det_store(st, &r, 0, 7200, 9000, &h, &res, &err), FL_OK);
        int64_t c[3] = {0, 0, 0};
        ASSERT_EQ_INT(fl_findings_list(st, NULL, count_fn, c, &err), FL_OK);
        ASSERT_EQ_INT(c[0], 1);  /* one finding */
        ASSERT_EQ_INT(c[1], 12); /* 5 + 7, however often stored */
        ASSERT_EQ_INT(c[2], 2);
        ASSERT_EQ_INT(res.new_findings, run == 0 ? 1 : 0);
    }
    /* re-evaluating only the second bucket with a new count replaces it */
    fl__det_hits_free(&h);
    ASSERT_EQ_INT(fl__det_hit_add(&h, 3600, "srcaddr=a", "{\"srcaddr\":\"a\"}", 3600, 3620, 9, 2, "{}", NULL), FL_OK);
    ASSERT_EQ_INT(fl__det_store(st, &r, 3600, 7200, 9000, &h, &res, &err), FL_OK);
    int64_t c[3] = {0, 0, 0};
    ASSERT_EQ_INT(fl_findings_list(st, NULL, count_fn, c, &err), FL_OK);
    ASSERT_EQ_INT(c[1], 14);
    fl__det_hits_free(&h);
    /* a bucket that no longer has hits and was never notified: gone */
    ASSERT_EQ_INT(fl__det_store(st, &r, 0, 7200, 9000, &h, &res, &err), FL_OK);
    c[0] = 0;
    ASSERT_EQ_INT(fl_findings_list(st, NULL, count_fn, c, &err), FL_OK);
    ASSERT_EQ_INT(c[0], 0);
    fl_state_close(st);
    fl_rmtree(home, &err);
}

UNIT_MAIN()
