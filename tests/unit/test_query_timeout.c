/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_query_timeout.c - the query time limit's library side: duration
 * parsing (fl_query_parse_timeout), FL_ETIMEOUT's text, a generous limit
 * not changing an answer, and the deadline check itself (fl__qdeadline:
 * no limit, a future deadline, a passed one sets timed_out).  The limit
 * stopping real queries promptly is tests/http/query_timeout.t.sh.
 */
#include "unit.h"
#include "query/query_int.h"

TEST(parse_timeout)
{
    static const struct {
        const char *s;
        int rc;
        uint64_t ms;
    } cases[] = {
        {"200ms", FL_OK, 200}, {"5s", FL_OK, 5000},   {"10", FL_OK, 10000},
        {"2m", FL_OK, 120000}, {"1h", FL_OK, 3600000}, {"0", FL_OK, 0},
        {"none", FL_OK, 0},    {"off", FL_OK, 0},      {"3MIN", FL_OK, 180000},
        {"", FL_EINVAL, 0},    {"ms", FL_EINVAL, 0},   {"5x", FL_EINVAL, 0},
        {"-1s", FL_EINVAL, 0}, {"1.5s", FL_EINVAL, 0}, {"99999999999999999999", FL_EINVAL, 0},
        {"9999999999h", FL_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ms = 777;
        int rc = fl_query_parse_timeout(cases[i].s, &ms);
        if (rc != cases[i].rc)
            UNIT_FAIL("'%s': rc %d, want %d", cases[i].s, rc, cases[i].rc);
        if (rc == FL_OK && ms != cases[i].ms)
            UNIT_FAIL("'%s': %llu ms, want %llu", cases[i].s, (unsigned long long)ms,
                      (unsigned long long)cases[i].ms);
    }
    ASSERT_EQ_INT(fl_query_parse_timeout(NULL, &(uint64_t){0}), FL_EINVAL);
}

TEST(strerror_timeout)
{
    ASSERT_EQ_STR(fl_strerror(FL_ETIMEOUT), "time limit exceeded");
}

TEST(generous_limit_same_answer)
{
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = "/nonexistent-flowsift-unit";
    o.timeout_ms = 600000;
    o.timeout_hint = "test";
    struct fl_error err;
    fl_query_result *r = NULL;
    int rc = fl_query_run("SELECT 6 * 7 AS x", &o, &r, &err);
    ASSERT_EQ_INT(rc, FL_OK);
    ASSERT_EQ_INT(fl_query_result_rows(r), 1);
    struct fl_qcell c;
    fl_query_result_cell(r, 0, 0, &c);
    ASSERT_EQ_INT(c.i, 42);
    fl_query_result_free(r);
}

TEST(deadline_check)
{
    struct qctx q;
    memset(&q, 0, sizeof q);
    ASSERT_EQ_INT(fl__qdeadline(&q), FL_OK); /* no limit */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    q.deadline_ns = now + 60 * 1000000000LL;
    ASSERT_EQ_INT(fl__qdeadline(&q), FL_OK);
    ASSERT_EQ_INT(atomic_load(&q.timed_out), false);
    q.deadline_ns = now - 1;
    ASSERT_EQ_INT(fl__qdeadline(&q), FL_ETIMEOUT);
    ASSERT_EQ_INT(atomic_load(&q.timed_out), true);
}

UNIT_MAIN()
