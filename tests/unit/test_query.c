/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_query.c - unit tests of the SQL engine's library API and internals:
 * lexer token positions, error positions and the caret line, size parsing,
 * result accessors and formatting, three-valued logic in the evaluator, the
 * memory budget, and value hashing/comparison used by grouping.
 */
#include "unit.h"
#include "query/query_int.h"

static fl_query_result *run_ok(const char *sql)
{
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = "/nonexistent-flowsift-unit";
    o.now_set = true;
    o.now_us = 1714780800000000LL; /* 2024-05-04 00:00:00 */
    struct fl_error err;
    fl_query_result *r = NULL;
    int rc = fl_query_run(sql, &o, &r, &err);
    if (rc != FL_OK)
        UNIT_FAIL("%s: %s", sql, err.msg);
    return r;
}

static void cell_text(fl_query_result *r, size_t row, int col, char *buf, size_t cap)
{
    struct fl_qcell c;
    fl_query_result_cell(r, row, col, &c);
    fl_query_cell_format(&c, buf, cap);
}

TEST(lexer_positions)
{
    const char *sql = "SELECT a.b, 'x''y' -- c\n  <> != 1.5e3 \"end\"";
    uint32_t pos = 0;
    enum qtok want[] = {TK_IDENT, TK_IDENT, TK_DOT, TK_IDENT, TK_COMMA, TK_STRING, TK_NE,
                        TK_NE, TK_FLOAT, TK_QIDENT, TK_EOF};
    uint32_t wpos[] = {0, 7, 8, 9, 10, 12, 26, 29, 32, 38, 43};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct qtoken t = fl__qlex_next(sql, strlen(sql), &pos);
        ASSERT_EQ_INT(t.k, want[i]);
        ASSERT_EQ_INT(t.pos, wpos[i]);
    }
}

TEST(lexer_unterminated)
{
    uint32_t pos = 0;
    struct qtoken t = fl__qlex_next("'abc", 4, &pos);
    ASSERT_EQ_INT(t.k, TK_ILLEGAL);
    pos = 0;
    t = fl__qlex_next("/* never closed", 15, &pos);
    ASSERT_EQ_INT(t.k, TK_ILLEGAL);
}

TEST(error_position_and_caret)
{
    const char *sql = "SELECT srcaddr,\n       dstadr\nFROM flows";
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = "/nonexistent-flowsift-unit";
    struct fl_error err;
    fl_query_result *r = NULL;
    ASSERT_EQ_INT(fl_query_run(sql, &o, &r, &err), FL_EPARSE);
    ASSERT(r == NULL);
    ASSERT_EQ_INT(err.line, 2);
    ASSERT_EQ_INT(err.offset, 8);
    ASSERT_EQ_STR(err.msg, "line 2, column 8: unknown column \"dstadr\" (did you mean \"dstaddr\"?)");
    char buf[256];
    fl_query_caret(sql, &err, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "       dstadr\n       ^");
}

TEST(parse_size)
{
    uint64_t v;
    ASSERT_EQ_INT(fl_query_parse_size("2GB", &v), FL_OK);
    ASSERT_EQ_INT(v, 2ULL << 30);
    ASSERT_EQ_INT(fl_query_parse_size("512MB", &v), FL_OK);
    ASSERT_EQ_INT(v, 512ULL << 20);
    ASSERT_EQ_INT(fl_query_parse_size("100", &v), FL_OK);
    ASSERT_EQ_INT(v, 100);
    ASSERT_EQ_INT(fl_query_parse_size("12XB", &v), FL_EINVAL);
    ASSERT_EQ_INT(fl_query_parse_size("", &v), FL_EINVAL);
    ASSERT_EQ_INT(fl_query_parse_size("99999999999999999999", &v), FL_EINVAL);
}

TEST(result_accessors)
{
    fl_query_result *r = run_ok("SELECT 1 AS a, 'x' AS b, 2.5 AS c, NULL AS d, DATE '2024-05-01' AS e");
    ASSERT_EQ_INT(fl_query_result_rows(r), 1);
    ASSERT_EQ_INT(fl_query_result_cols(r), 5);
    ASSERT_EQ_STR(fl_query_result_name(r, 1), "b");
    ASSERT_EQ_INT(fl_query_result_type(r, 0), FL_QT_BIGINT);
    ASSERT_EQ_INT(fl_query_result_type(r, 2), FL_QT_DOUBLE);
    ASSERT_EQ_INT(fl_query_result_type(r, 4), FL_QT_DATE);
    char buf[64];
    cell_text(r, 0, 2, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2.5");
    cell_text(r, 0, 4, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2024-05-01");
    struct fl_qcell c;
    fl_query_result_cell(r, 0, 3, &c);
    ASSERT_EQ_INT(c.type, FL_QT_NULL);
    fl_query_result_free(r);
}

TEST(three_valued_logic)
{
    fl_query_result *r = run_ok("SELECT NULL AND false, NULL OR true, NOT NULL, 3 NOT IN (1, NULL), "
                                "NULL IN (SELECT 1), 1 IN (SELECT 1)");
    const char *want[] = {"false", "true", "", "", "", "true"};
    char buf[64];
    for (int i = 0; i < 6; i++) {
        cell_text(r, 0, i, buf, sizeof buf);
        ASSERT_EQ_STR(buf, want[i]);
    }
    fl_query_result_free(r);
}

TEST(clock_fixed)
{
    fl_query_result *r = run_ok("SELECT current_date - INTERVAL '7' DAY, now()");
    char buf[64];
    cell_text(r, 0, 0, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2024-04-27");
    cell_text(r, 0, 1, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2024-05-04 00:00:00.000");
    fl_query_result_free(r);
}

TEST(memory_budget)
{
    struct fl_query_opts o;
    memset(&o, 0, sizeof o);
    o.home = "/nonexistent-flowsift-unit";
    o.memory = 64 << 10;
    struct fl_error err;
    fl_query_result *r = NULL;
    /* a big string built per row blows a 64 KB budget */
    int rc = fl_query_run("WITH t AS (SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' AS s) "
                          "SELECT replace(s, 'a', s) || replace(s, 'a', s) || replace(s, 'a', s) FROM t",
                          &o, &r, &err);
    ASSERT_EQ_INT(rc, FL_ENOMEM);
    ASSERT(strstr(err.msg, "--memory") != NULL);
}

TEST(value_cmp_hash)
{
    struct qval a = QV_NULL, b = QV_NULL;
    a.t = QT_INT;
    a.i = 3;
    b.t = QT_DBL;
    b.d = 3.0;
    ASSERT(fl__qval_eq(&a, &b));
    ASSERT_EQ_INT(fl__qval_hash(&a, 1), fl__qval_hash(&b, 1));
    b.d = 3.5;
    ASSERT(fl__qval_cmp(&a, &b) < 0);
    struct qval s1 = QV_NULL, s2 = QV_NULL;
    s1.t = s2.t = QT_STR;
    s1.s = "ab";
    s1.n = 2;
    s2.s = "abc";
    s2.n = 3;
    ASSERT(fl__qval_cmp(&s1, &s2) < 0);
    ASSERT(!fl__qval_eq(&s1, &s2));
    struct qval n = QV_NULL;
    ASSERT(fl__qval_cmp(&n, &a) < 0); /* NULL sorts first internally */
}

TEST(explain_without_data)
{
    fl_query_result *r = run_ok("EXPLAIN SELECT srcaddr, count(*) FROM flows WHERE date = DATE '2024-05-01' "
                                "GROUP BY srcaddr ORDER BY 2 DESC LIMIT 5");
    ASSERT(fl_query_result_rows(r) >= 4);
    ASSERT_EQ_STR(fl_query_result_name(r, 0), "plan");
    fl_query_result_free(r);
}

UNIT_MAIN()
