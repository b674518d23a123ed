/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timeparse.c - calendar arithmetic (Howard Hinnant's days-from-civil
 * algorithm), RFC 3339 parsing for Azure/GCP timestamps, and the strict
 * integer parsers used by every text format.
 */
#include "common_int.h"

int64_t fl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void fl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int digits(const char *s, size_t n, size_t at, size_t len, unsigned *out)
{
    if (at + len > n)
        return FL_EPARSE;
    unsigned v = 0;
    for (size_t i = at; i < at + len; i++) {
        if ((unsigned)(s[i] - '0') >= 10)
            return FL_EPARSE;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return FL_OK;
}

int fl_time_parse_rfc3339(const char *s, size_t n, int64_t *sec_out,
                          int32_t *nsec_out)
{
    unsigned Y, M, D, h, mi, se;
    *sec_out = 0;
    if (nsec_out)
        *nsec_out = 0;
    if (digits(s, n, 0, 4, &Y) || n < 19 || s[4] != '-' || digits(s, n, 5, 2, &M) ||
        s[7] != '-' || digits(s, n, 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi) ||
        s[16] != ':' || digits(s, n, 17, 2, &se))
        return FL_EPARSE;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || se > 60)
        return FL_EPARSE;
    size_t i = 19;
    int32_t ns = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t nd = 0;
        while (i < n && (unsigned)(s[i] - '0') < 10) {
            if (nd < 9) {
                ns = ns * 10 + (s[i] - '0');
                nd++;
            }
            i++;
        }
        if (nd == 0)
            return FL_EPARSE;
        while (nd++ < 9)
            ns *= 10;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' ||
            digits(s, n, i + 4, 2, &om) || oh > 23 || om > 59)
            return FL_EPARSE;
        off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return FL_EPARSE;
    }
    if (i != n)
        return FL_EPARSE;
    *sec_out = fl_days_from_civil(Y, M, D) * 86400 + h * 3600 + mi * 60 + se - off;
    if (nsec_out)
        *nsec_out = ns;
    return FL_OK;
}

size_t fl_time_format(int64_t sec, char *buf, size_t cap)
{
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400, y;
    unsigned m, d;
    fl_civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, cap, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m,
                     d, (unsigned)(rem / 3600), (unsigned)(rem % 3600 / 60),
                     (unsigned)(rem % 60));
    return n < 0 ? 0 : FL_MIN((size_t)n, cap ? cap - 1 : 0);
}

int fl_parse_u64(const char *s, size_t n, uint64_t *out)
{
    *out = 0;
    if (n == 0)
        return FL_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned)(s[i] - '0');
        if (c >= 10)
            return FL_EPARSE;
        if (v > (UINT64_MAX - c) / 10) {
            for (; i < n; i++)
                if ((unsigned)(s[i] - '0') >= 10)
                    return FL_EPARSE;
            return FL_ERANGE;
        }
        v = v * 10 + c;
    }
    *out = v;
    return FL_OK;
}

int fl_parse_i64(const char *s, size_t n, int64_t *out)
{
    *out = 0;
    bool neg = n > 0 && s[0] == '-';
    uint64_t v;
    int rc = fl_parse_u64(s + neg, n - neg, &v);
    if (rc)
        return rc;
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return FL_ERANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return FL_OK;
}

int fl_parse_duration_ms(const char *s, uint64_t *ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"", 1000},     {"ms", 1},           {"s", 1000},          {"m", 60000},
                 {"min", 60000}, {"h", 3600000},      {"d", 86400000},      {"w", 7 * 86400000ULL}};
    *ms = 0;
    size_t n = s ? strlen(s) : 0, k = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        k++;
    uint64_t v;
    if (k == 0 || k > 15 || fl_parse_u64(s, k, &v) != FL_OK)
        return FL_EINVAL;
    for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
        if (!fl_str_ieq(s + k, n - k, units[i].unit, strlen(units[i].unit)))
            continue;
        if (v > 100ULL * 365 * 86400000 / units[i].ms)
            return FL_EINVAL;
        *ms = v * units[i].ms;
        return FL_OK;
    }
    return FL_EINVAL;
}
