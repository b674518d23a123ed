/* SPDX-License-Identifier: Apache-2.0 */
/* test_common.c - unit tests of the common layer and the record batch. */
#include "unit.h"
#include "common/common_int.h"
#include "fl/fl_record.h"

static struct fl_ip ip(const char *s)
{
    struct fl_ip a;
    if (fl_ip_parse(s, strlen(s), &a) != FL_OK)
        UNIT_FAIL("cannot parse %s", s);
    return a;
}

TEST(ip_v4_roundtrip)
{
    char buf[64];
    struct fl_ip a = ip("10.0.1.255");
    ASSERT(fl_ip_is_v4(&a));
    fl_ip_format(&a, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "10.0.1.255");
}

TEST(ip_v4_rejects)
{
    struct fl_ip a;
    const char *bad[] = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4 ", "", "-", "1..2.3", "a.b.c.d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fl_ip_parse(bad[i], strlen(bad[i]), &a) == FL_OK)
            UNIT_FAIL("accepted %s", bad[i]);
}

TEST(ip_v6)
{
    char buf[64];
    struct fl_ip a = ip("2001:DB8::1");
    ASSERT(!fl_ip_is_v4(&a));
    fl_ip_format(&a, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2001:db8::1");
    a = ip("2a02:cf40::");
    fl_ip_format(&a, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2a02:cf40::");
}

TEST(cidr)
{
    struct fl_cidr c;
    char buf[64];
    ASSERT_EQ_INT(fl_cidr_parse("10.1.2.3/8", 10, &c), FL_OK);
    fl_cidr_format(&c, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "10.0.0.0/8");
    struct fl_ip in = ip("10.255.0.1"), out = ip("11.0.0.0");
    ASSERT(fl_cidr_contains(&c, &in));
    ASSERT(!fl_cidr_contains(&c, &out));
    ASSERT_EQ_INT(fl_cidr_parse("100.64.0.0/10", 13, &c), FL_OK);
    in = ip("100.127.255.255");
    out = ip("100.128.0.0");
    ASSERT(fl_cidr_contains(&c, &in));
    ASSERT(!fl_cidr_contains(&c, &out));
    ASSERT_EQ_INT(fl_cidr_parse("fc00::/7", 8, &c), FL_OK);
    in = ip("fdff::1");
    ASSERT(fl_cidr_contains(&c, &in));
    ASSERT(fl_cidr_parse("10.0.0.0/33", 11, &c) != FL_OK);
    ASSERT(fl_cidr_parse("10.0.0.0/", 9, &c) != FL_OK);
}

TEST(time_civil)
{
    ASSERT_EQ_INT(fl_days_from_civil(1970, 1, 1), 0);
    ASSERT_EQ_INT(fl_days_from_civil(2000, 3, 1), 11017);
    int64_t y;
    unsigned m, d;
    fl_civil_from_days(19358, &y, &m, &d); /* 2023-01-01 */
    ASSERT_EQ_INT(y, 2023);
    ASSERT_EQ_INT(m, 1);
    ASSERT_EQ_INT(d, 1);
}

TEST(time_rfc3339)
{
    int64_t s;
    int32_t ns;
    const char *t = "2018-11-13T12:00:35.3899262Z";
    ASSERT_EQ_INT(fl_time_parse_rfc3339(t, strlen(t), &s, &ns), FL_OK);
    ASSERT_EQ_INT(s, 1542110435);
    ASSERT_EQ_INT(ns, 389926200);
    t = "2018-11-13T13:00:35+01:00";
    ASSERT_EQ_INT(fl_time_parse_rfc3339(t, strlen(t), &s, &ns), FL_OK);
    ASSERT_EQ_INT(s, 1542110435);
    t = "2018-02-30T00:00:00Z";
    ASSERT(fl_time_parse_rfc3339(t, strlen(t), &s, &ns) != FL_OK);
    char buf[32];
    fl_time_format(1542110435, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "2018-11-13T12:00:35Z");
}

TEST(parse_ints)
{
    int64_t v;
    uint64_t u;
    ASSERT_EQ_INT(fl_parse_i64("18446744073709551615", 20, &v), FL_ERANGE);
    ASSERT_EQ_INT(fl_parse_u64("18446744073709551615", 20, &u), FL_OK);
    ASSERT(u == UINT64_MAX);
    ASSERT_EQ_INT(fl_parse_u64("18446744073709551616", 20, &u), FL_ERANGE);
    ASSERT_EQ_INT(fl_parse_i64("-9223372036854775808", 20, &v), FL_OK);
    ASSERT(v == INT64_MIN);
    ASSERT_EQ_INT(fl_parse_i64("12a", 3, &v), FL_EPARSE);
    ASSERT_EQ_INT(fl_parse_i64("", 0, &v), FL_EPARSE);
    ASSERT_EQ_INT(fl_parse_i64("-", 1, &v), FL_EPARSE);
    ASSERT_EQ_INT(fl_parse_u64("99999999999999999999999x", 24, &u), FL_EPARSE);
}

TEST(json_escape)
{
    char buf[64];
    size_t n = fl_json_escape("a\"b\\\n\x01\xff", 7, buf, sizeof buf);
    ASSERT_EQ_MEM(buf, n, "a\\\"b\\\\\\n\\u0001\xef\xbf\xbd", 17);
    n = fl_json_escape("\xd0\xb1", 2, buf, sizeof buf); /* Cyrillic be: valid */
    ASSERT_EQ_MEM(buf, n, "\xd0\xb1", 2);
}

TEST(field_catalog)
{
    ASSERT_EQ_INT(fl_field_lookup("log-status", 10), FL_COL_LOG_STATUS);
    ASSERT_EQ_INT(fl_field_lookup("log_status", 10), FL_COL_LOG_STATUS);
    ASSERT_EQ_INT(fl_field_lookup("END", 3), FL_COL_END);
    ASSERT_EQ_INT(fl_field_lookup("src-scope", 9), -1); /* not an AWS name */
    ASSERT_EQ_INT(fl_field_lookup("nope", 4), -1);
    ASSERT_EQ_STR(fl_fields[FL_COL_PKT_SRC_AWS_SERVICE].name, "pkt_src_aws_service");
    ASSERT_EQ_INT(fl_fields[FL_COL_PROTOCOL].type, FL_I64);
    ASSERT_EQ_INT(fl_fields[FL_COL_SRCPORT].type, FL_I32);
}

TEST(batch_reuse)
{
    struct fl_batch *b = fl_batch_new(4);
    ASSERT(b);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 4; i++) {
            int r = fl_batch_add_row(b);
            ASSERT_EQ_INT(r, i);
            fl_set_i64(b, FL_COL_BYTES, (uint32_t)r, i * 100);
            ASSERT_EQ_INT(fl_set_str(b, FL_COL_SRCADDR, (uint32_t)r, "10.0.0.1", 8), FL_OK);
        }
        ASSERT(fl_batch_full(b));
        ASSERT_EQ_INT(fl_batch_add_row(b), -1);
        struct fl_str s = fl_get_str(b, FL_COL_SRCADDR, 3);
        ASSERT_EQ_MEM(s.p, s.n, "10.0.0.1", 8);
        ASSERT(fl_is_null(b, FL_COL_DSTADDR, 2));
        ASSERT_EQ_INT(b->col[FL_COL_BYTES].i[3], 300);
        fl_batch_reset(b);
        ASSERT_EQ_INT(b->n, 0);
    }
    fl_batch_free(b);
    fl_batch_free(NULL);
}

TEST(error_message_one_line)
{
    struct fl_error err;
    ASSERT_EQ_INT(fl_error_set(&err, FL_EPARSE, "bad value '%s'", "f\n\r\001alse"), FL_EPARSE);
    ASSERT_EQ_STR(err.msg, "bad value 'f???alse'");
    ASSERT_EQ_INT(err.rc, FL_EPARSE);
}

TEST(parse_duration)
{
    static const struct {
        const char *s;
        uint64_t ms; /* UINT64_MAX: invalid */
    } t[] = {{"250ms", 250},     {"90", 90000},           {"90s", 90000},         {"5m", 300000},
             {"5min", 300000},   {"5M", 300000},          {"2h", 7200000},        {"7d", 604800000},
             {"1w", 604800000},  {"0s", 0},               {"36500d", 3153600000000ULL},
             {"36501d", UINT64_MAX}, {"", UINT64_MAX},    {"s", UINT64_MAX},      {"-5m", UINT64_MAX},
             {"5 m", UINT64_MAX}, {"1y", UINT64_MAX},     {"5mss", UINT64_MAX},
             {"99999999999999999999", UINT64_MAX}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint64_t ms = 12345;
        int rc = fl_parse_duration_ms(t[i].s, &ms);
        if (t[i].ms == UINT64_MAX) {
            ASSERT(rc != FL_OK);
        } else {
            ASSERT_EQ_INT(rc, FL_OK);
            ASSERT(ms == t[i].ms);
        }
    }
    uint64_t ms;
    ASSERT(fl_parse_duration_ms(NULL, &ms) != FL_OK);
}

UNIT_MAIN()
