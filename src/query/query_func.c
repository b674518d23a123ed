/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query_func.c - the expression evaluator and the scalar functions.  An
 * expression is evaluated over one row of slots (the source row, or the
 * group row of an aggregate query) with SQL three-valued logic: NULL in,
 * NULL out, except where SQL says otherwise (AND/OR, IS NULL, COALESCE,
 * CASE, IN with NULLs).  Function calls are bound once at resolve time
 * (argument count and types, result type; constant regular expressions are
 * compiled once with PCRE2 and constant CIDRs parsed once).  Strings made by
 * functions live in the evaluator's per-row scratch arena.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "query/query_int.h"

int fl__qparse_date(const char *s, size_t n, int64_t *days);
int fl__qparse_ts(const char *s, size_t n, int64_t *us);

#define US_PER_DAY 86400000000LL
#define US_PER_SEC 1000000LL
/* Timestamps are kept within +-100000 years so that date arithmetic cannot
 * overflow. */
#define TS_MAX_US (100000LL * 366 * US_PER_DAY)

enum qfn {
    F_NONE = 0, F_LOWER, F_UPPER, F_SUBSTR, F_SPLIT_PART, F_CONCAT, F_LENGTH, F_TRIM, F_LTRIM,
    F_RTRIM, F_REPLACE, F_STRPOS, F_STARTS_WITH, F_REVERSE, F_REGEXP_LIKE, F_REGEXP_EXTRACT,
    F_REGEXP_REPLACE, F_COALESCE, F_NULLIF, F_IF, F_ABS, F_ROUND, F_FLOOR, F_CEIL, F_MOD,
    F_POWER, F_SQRT, F_LN, F_GREATEST, F_LEAST, F_CURRENT_DATE, F_CURRENT_TIMESTAMP, F_NOW,
    F_DATE_FORMAT, F_FROM_UNIXTIME, F_TO_UNIXTIME, F_DATE_TRUNC, F_DATE_ADD, F_DATE_DIFF,
    F_DAY_OF_WEEK, F_DAY_OF_YEAR, F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND, F_QUARTER,
    F_DATE, F_CONTAINS, F_DISTINCT, F_NOT_DISTINCT, F_TYPEOF, F_FROM_ISO8601, F_WEEK,
};

static const struct fdef {
    const char *name;
    int fn;
    int min, max; /* argument count */
} fdefs[] = {
    {"lower", F_LOWER, 1, 1}, {"upper", F_UPPER, 1, 1}, {"substr", F_SUBSTR, 2, 3},
    {"substring", F_SUBSTR, 2, 3}, {"split_part", F_SPLIT_PART, 3, 3}, {"concat", F_CONCAT, 1, 64},
    {"length", F_LENGTH, 1, 1}, {"char_length", F_LENGTH, 1, 1}, {"trim", F_TRIM, 1, 1},
    {"ltrim", F_LTRIM, 1, 1}, {"rtrim", F_RTRIM, 1, 1}, {"replace", F_REPLACE, 2, 3},
    {"strpos", F_STRPOS, 2, 2}, {"starts_with", F_STARTS_WITH, 2, 2}, {"reverse", F_REVERSE, 1, 1},
    {"regexp_like", F_REGEXP_LIKE, 2, 2}, {"regexp_extract", F_REGEXP_EXTRACT, 2, 3},
    {"regexp_replace", F_REGEXP_REPLACE, 2, 3}, {"coalesce", F_COALESCE, 1, 64},
    {"nullif", F_NULLIF, 2, 2}, {"if", F_IF, 2, 3}, {"abs", F_ABS, 1, 1}, {"round", F_ROUND, 1, 2},
    {"floor", F_FLOOR, 1, 1}, {"ceil", F_CEIL, 1, 1}, {"ceiling", F_CEIL, 1, 1},
    {"mod", F_MOD, 2, 2}, {"power", F_POWER, 2, 2}, {"pow", F_POWER, 2, 2}, {"sqrt", F_SQRT, 1, 1},
    {"ln", F_LN, 1, 1}, {"greatest", F_GREATEST, 1, 64}, {"least", F_LEAST, 1, 64},
    {"current_date", F_CURRENT_DATE, 0, 0}, {"current_timestamp", F_CURRENT_TIMESTAMP, 0, 0},
    {"localtimestamp", F_CURRENT_TIMESTAMP, 0, 0}, {"now", F_NOW, 0, 0},
    {"date_format", F_DATE_FORMAT, 2, 2}, {"from_unixtime", F_FROM_UNIXTIME, 1, 1},
    {"to_unixtime", F_TO_UNIXTIME, 1, 1}, {"date_trunc", F_DATE_TRUNC, 2, 2},
    {"date_add", F_DATE_ADD, 3, 3}, {"date_diff", F_DATE_DIFF, 3, 3},
    {"day_of_week", F_DAY_OF_WEEK, 1, 1}, {"dow", F_DAY_OF_WEEK, 1, 1},
    {"day_of_year", F_DAY_OF_YEAR, 1, 1}, {"doy", F_DAY_OF_YEAR, 1, 1}, {"year", F_YEAR, 1, 1},
    {"month", F_MONTH, 1, 1}, {"day", F_DAY, 1, 1}, {"day_of_month", F_DAY, 1, 1},
    {"hour", F_HOUR, 1, 1}, {"minute", F_MINUTE, 1, 1}, {"second", F_SECOND, 1, 1},
    {"quarter", F_QUARTER, 1, 1}, {"week", F_WEEK, 1, 1}, {"week_of_year", F_WEEK, 1, 1},
    {"date", F_DATE, 1, 1}, {"contains", F_CONTAINS, 2, 2},
    {"$distinct", F_DISTINCT, 2, 2}, {"$not_distinct", F_NOT_DISTINCT, 2, 2},
    {"typeof", F_TYPEOF, 1, 1}, {"from_iso8601_timestamp", F_FROM_ISO8601, 1, 1},
};

int fl__qfunc_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(fdefs); i++)
        if (fl_str_ieq(name, n, fdefs[i].name, strlen(fdefs[i].name)))
            return (int)i;
    return -1;
}

static const struct {
    const char *name;
    int fn;
} adefs[] = {
    {"count", AG_COUNT}, {"count_if", AG_COUNT_IF}, {"sum", AG_SUM}, {"avg", AG_AVG},
    {"min", AG_MIN}, {"max", AG_MAX}, {"min_by", AG_MIN_BY}, {"max_by", AG_MAX_BY},
    {"approx_distinct", AG_APPROX_DISTINCT}, {"approx_percentile", AG_APPROX_PERCENTILE},
    {"stddev", AG_STDDEV}, {"stddev_samp", AG_STDDEV}, {"stddev_pop", AG_STDDEV_POP},
    {"variance", AG_VARIANCE}, {"var_samp", AG_VARIANCE}, {"var_pop", AG_VAR_POP},
    {"arbitrary", AG_ARBITRARY}, {"any_value", AG_ARBITRARY}, {"bool_and", AG_BOOL_AND},
    {"every", AG_BOOL_AND}, {"bool_or", AG_BOOL_OR},
};

int fl__qagg_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(adefs); i++)
        if (fl_str_ieq(name, n, adefs[i].name, strlen(adefs[i].name)))
            return adefs[i].fn;
    return 0;
}

const char *fl__qtype_name(int t)
{
    switch (t) {
    case QT_BOOL: return "boolean";
    case QT_INT: return "bigint";
    case QT_DBL: return "double";
    case QT_STR: return "varchar";
    case QT_DATE: return "date";
    case QT_TS: return "timestamp";
    case QT_IDS: return "interval day to second";
    case QT_IYM: return "interval year to month";
    default: return "unknown";
    }
}

/* ---- value helpers ----------------------------------------------------------- */
static bool isnum(int t) { return t == QT_INT || t == QT_DBL; }
static double as_dbl(const struct qval *v) { return v->t == QT_DBL ? v->d : (double)v->i; }
static int64_t as_us(const struct qval *v) { return v->t == QT_DATE ? v->i * US_PER_DAY : v->i; }

int fl__qval_cmp(const struct qval *a, const struct qval *b)
{
    if (a->t == QT_NULL || b->t == QT_NULL)
        return (a->t != QT_NULL) - (b->t != QT_NULL);
    if (a->t == QT_STR && b->t == QT_STR) {
        size_t n = FL_MIN(a->n, b->n);
        int c = n ? memcmp(a->s, b->s, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return (a->n > b->n) - (a->n < b->n);
    }
    if (a->t == QT_DBL || b->t == QT_DBL) {
        if (isnum(a->t) && isnum(b->t)) {
            double x = as_dbl(a), y = as_dbl(b);
            if (isnan(x) || isnan(y))
                return isnan(x) - isnan(y);
            return (x > y) - (x < y);
        }
    }
    if ((a->t == QT_DATE) != (b->t == QT_DATE) && (a->t == QT_TS || b->t == QT_TS)) {
        int64_t x = as_us(a), y = as_us(b);
        return (x > y) - (x < y);
    }
    if (a->t != b->t && !(isnum(a->t) && isnum(b->t)))
        return a->t < b->t ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

bool fl__qval_eq(const struct qval *a, const struct qval *b)
{
    if (a->t == QT_STR && b->t == QT_STR)
        return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0);
    if (a->t == b->t && a->t != QT_DBL)
        return a->i == b->i;
    return fl__qval_cmp(a, b) == 0;
}

uint64_t fl__qval_hash(const struct qval *v, uint64_t seed)
{
    switch (v->t) {
    case QT_NULL: return fl_hash64(seed ^ 0x9e3779b97f4a7c15ULL);
    case QT_STR: return fl_hash_bytes(v->s, v->n, seed);
    case QT_DBL: {
        double d = v->d;
        /* range first: converting NaN or a huge value to int64 is undefined */
        if (fabs(d) < 9e18 && d == (double)(int64_t)d)
            return fl_hash64((uint64_t)(int64_t)d ^ seed); /* equal to the same integer */
        if (d != d)
            return fl_hash64(seed ^ 0x7ff8000000000000ULL); /* one hash for every NaN */
        uint64_t u;
        memcpy(&u, &d, 8);
        return fl_hash64(u ^ seed);
    }
    default: return fl_hash64((uint64_t)v->i ^ seed);
    }
}

static size_t fmt_double(double d, char *buf, size_t cap)
{
    if (isnan(d))
        return (size_t)snprintf(buf, cap, "NaN");
    if (isinf(d))
        return (size_t)snprintf(buf, cap, d > 0 ? "Infinity" : "-Infinity");
    char tmp[64];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    if (!strpbrk(tmp, ".eEn") && n < 60) {
        tmp[n++] = '.';
        tmp[n++] = '0';
        tmp[n] = 0;
    }
    return (size_t)snprintf(buf, cap, "%s", tmp);
}

static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d) { fl_civil_from_days(days, y, m, d); }

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

size_t fl__qval_format(const struct qval *v, char *buf, size_t cap)
{
    switch (v->t) {
    case QT_NULL:
        if (cap)
            buf[0] = 0;
        return 0;
    case QT_BOOL: return (size_t)snprintf(buf, cap, "%s", v->i ? "true" : "false");
    case QT_INT: return (size_t)snprintf(buf, cap, "%lld", (long long)v->i);
    case QT_DBL: return fmt_double(v->d, buf, cap);
    case QT_STR:
        if (cap) {
            size_t k = FL_MIN((size_t)v->n, cap - 1);
            memcpy(buf, v->s, k);
            buf[k] = 0;
        }
        return v->n;
    case QT_DATE: {
        int64_t y;
        unsigned m, d;
        civil(v->i, &y, &m, &d);
        return (size_t)snprintf(buf, cap, "%04lld-%02u-%02u", (long long)y, m, d);
    }
    case QT_TS: {
        int64_t days = floordiv(v->i, US_PER_DAY), rem = v->i - days * US_PER_DAY;
        int64_t y;
        unsigned m, d;
        civil(days, &y, &m, &d);
        int64_t s = rem / US_PER_SEC, us = rem % US_PER_SEC;
        return (size_t)snprintf(buf, cap, "%04lld-%02u-%02u %02d:%02d:%02d.%03d", (long long)y, m, d,
                                (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60), (int)(us / 1000));
    }
    case QT_IDS: {
        int64_t x = v->i;
        const char *sign = x < 0 ? "-" : "";
        uint64_t u = x < 0 ? (uint64_t)(-(x + 1)) + 1 : (uint64_t)x;
        uint64_t days = u / (uint64_t)US_PER_DAY, rem = u % (uint64_t)US_PER_DAY;
        uint64_t s = rem / US_PER_SEC, ms = rem % US_PER_SEC / 1000;
        return (size_t)snprintf(buf, cap, "%s%llu %02u:%02u:%02u.%03u", sign, (unsigned long long)days,
                                (unsigned)(s / 3600), (unsigned)(s / 60 % 60), (unsigned)(s % 60),
                                (unsigned)ms);
    }
    case QT_IYM: {
        int64_t x = v->i;
        return (size_t)snprintf(buf, cap, "%s%lld-%lld", x < 0 ? "-" : "", (long long)(llabs(x) / 12),
                                (long long)(llabs(x) % 12));
    }
    default:
        return (size_t)snprintf(buf, cap, "?");
    }
}

/* ---- errors and scratch ------------------------------------------------------ */
static int rterr(struct qeval *ev, uint32_t pos, const char *fmt, const char *a)
{
    return fl__qerr(ev->q, pos, FL_EINVAL, fmt, a);
}

static char *scratch(struct qeval *ev, size_t n, uint32_t pos, int *rc)
{
    char *p = fl__qarena_alloc(&ev->tmp, n ? n : 1);
    if (!p)
        *rc = fl__qerr(ev->q, pos, FL_ENOMEM,
                       "the query exceeds its memory budget (raise it with --memory)");
    return p;
}

static struct qval mkstr(const char *p, size_t n)
{
    struct qval v;
    v.s = p;
    v.n = (uint32_t)n;
    v.t = QT_STR;
    return v;
}
static struct qval mkint(int64_t i, int t)
{
    struct qval v;
    v.i = i;
    v.n = 0;
    v.t = (uint8_t)t;
    return v;
}
static struct qval mkdbl(double d)
{
    struct qval v;
    v.d = d;
    v.n = 0;
    v.t = QT_DBL;
    return v;
}

/* ---- casts ---------------------------------------------------------------------- */
int fl__qcast(struct qeval *ev, const struct qval *v, int t, struct qval *out, bool trycast,
              uint32_t pos)
{
    if (v->t == QT_NULL || v->t == t) {
        *out = *v;
        if (v->t == QT_NULL)
            *out = QV_NULL;
        return FL_OK;
    }
    char buf[96];
    switch (t) {
    case QT_STR: {
        size_t n = fl__qval_format(v, buf, sizeof buf);
        int rc = FL_OK;
        char *p = scratch(ev, n, pos, &rc);
        if (!p)
            return rc;
        memcpy(p, buf, n);
        *out = mkstr(p, n);
        return FL_OK;
    }
    case QT_INT:
        if (v->t == QT_DBL) {
            double r = round(v->d);
            if (!(r > -9.2e18 && r < 9.2e18))
                goto bad;
            *out = mkint((int64_t)r, QT_INT);
            return FL_OK;
        }
        if (v->t == QT_BOOL) {
            *out = mkint(v->i, QT_INT);
            return FL_OK;
        }
        if (v->t == QT_STR) {
            const char *s = v->s;
            size_t n = v->n;
            while (n && isspace((uint8_t)*s)) {
                s++;
                n--;
            }
            while (n && isspace((uint8_t)s[n - 1]))
                n--;
            if (n && *s == '+') {
                s++;
                n--;
            }
            int64_t x;
            if (fl_parse_i64(s, n, &x) != FL_OK)
                goto bad;
            *out = mkint(x, QT_INT);
            return FL_OK;
        }
        goto bad;
    case QT_DBL:
        if (v->t == QT_INT || v->t == QT_BOOL) {
            *out = mkdbl((double)v->i);
            return FL_OK;
        }
        if (v->t == QT_STR) {
            if (v->n == 0 || v->n >= sizeof buf)
                goto bad;
            memcpy(buf, v->s, v->n);
            buf[v->n] = 0;
            char *end;
            double d = strtod(buf, &end);
            while (*end && isspace((uint8_t)*end))
                end++;
            if (*end || end == buf)
                goto bad;
            *out = mkdbl(d);
            return FL_OK;
        }
        goto bad;
    case QT_BOOL:
        if (isnum(v->t)) {
            *out = mkint(as_dbl(v) != 0, QT_BOOL);
            return FL_OK;
        }
        if (v->t == QT_STR) {
            if (fl_str_ieq(v->s, v->n, "true", 4) || fl_str_ieq(v->s, v->n, "t", 1) ||
                fl_str_ieq(v->s, v->n, "1", 1))
                *out = mkint(1, QT_BOOL);
            else if (fl_str_ieq(v->s, v->n, "false", 5) || fl_str_ieq(v->s, v->n, "f", 1) ||
                     fl_str_ieq(v->s, v->n, "0", 1))
                *out = mkint(0, QT_BOOL);
            else
                goto bad;
            return FL_OK;
        }
        goto bad;
    case QT_DATE:
        if (v->t == QT_TS) {
            *out = mkint(floordiv(v->i, US_PER_DAY), QT_DATE);
            return FL_OK;
        }
        if (v->t == QT_STR) {
            int64_t d, us;
            if (fl__qparse_date(v->s, v->n, &d) == FL_OK)
                *out = mkint(d, QT_DATE);
            else if (fl__qparse_ts(v->s, v->n, &us) == FL_OK)
                *out = mkint(floordiv(us, US_PER_DAY), QT_DATE);
            else
                goto bad;
            return FL_OK;
        }
        goto bad;
    case QT_TS:
        if (v->t == QT_DATE) {
            *out = mkint(v->i * US_PER_DAY, QT_TS);
            return FL_OK;
        }
        if (v->t == QT_STR) {
            int64_t us;
            if (fl__qparse_ts(v->s, v->n, &us) != FL_OK)
                goto bad;
            *out = mkint(us, QT_TS);
            return FL_OK;
        }
        goto bad;
    default:
        goto bad;
    }
bad:
    if (trycast) {
        *out = QV_NULL;
        return FL_OK;
    }
    {
        char vb[64];
        fl__qval_format(v, vb, sizeof vb);
        return fl__qerr(ev->q, pos, FL_EINVAL, "cannot cast %s '%s' to %s", fl__qtype_name(v->t), vb,
                        fl__qtype_name(t));
    }
}

/* ---- LIKE --------------------------------------------------------------------------- */
static bool like_match(const char *s, size_t n, const char *p, size_t pn, int esc)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < n) {
        if (pi < pn) {
            char c = p[pi];
            if (esc >= 0 && c == (char)esc && pi + 1 < pn) {
                if (s[si] == p[pi + 1]) {
                    si++;
                    pi += 2;
                    continue;
                }
            } else if (c == '%') {
                star_p = ++pi;
                star_s = si;
                continue;
            } else if (c == '_') {
                /* one UTF-8 character */
                si++;
                while (si < n && ((uint8_t)s[si] & 0xC0) == 0x80)
                    si++;
                pi++;
                continue;
            } else if (c == s[si]) {
                si++;
                pi++;
                continue;
            }
        }
        if (star_p == (size_t)-1)
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < pn && p[pi] == '%')
        pi++;
    return pi == pn;
}

/* ---- time helpers ------------------------------------------------------------------ */
static int64_t add_months_days(int64_t days, int64_t months)
{
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    int64_t tot = y * 12 + (m - 1) + months;
    int64_t ny = floordiv(tot, 12);
    unsigned nm = (unsigned)(tot - ny * 12) + 1;
    static const unsigned md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned lim = md[nm - 1];
    if (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0))
        lim = 29;
    if (d > lim)
        d = lim;
    return fl_days_from_civil(ny, nm, d);
}

static int64_t ts_add_months(int64_t us, int64_t months)
{
    int64_t days = floordiv(us, US_PER_DAY);
    int64_t rem = us - days * US_PER_DAY;
    return add_months_days(days, months) * US_PER_DAY + rem;
}

struct tparts {
    int64_t y;
    unsigned mo, d, h, mi, s, us, dow /* 1 = Monday */, doy;
};
static void tsplit(int64_t us, struct tparts *t)
{
    int64_t days = floordiv(us, US_PER_DAY), rem = us - days * US_PER_DAY;
    civil(days, &t->y, &t->mo, &t->d);
    int64_t s = rem / US_PER_SEC;
    t->us = (unsigned)(rem % US_PER_SEC);
    t->h = (unsigned)(s / 3600);
    t->mi = (unsigned)(s / 60 % 60);
    t->s = (unsigned)(s % 60);
    t->dow = (unsigned)(((days % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
    t->doy = (unsigned)(days - fl_days_from_civil(t->y, 1, 1)) + 1;
}

static int unit_of(const struct qval *u)
{
    static const char *const units[] = {"millisecond", "second", "minute", "hour", "day",
                                        "week", "month", "quarter", "year"};
    if (u->t != QT_STR)
        return -1;
    size_t n = u->n;
    if (n > 1 && (u->s[n - 1] == 's' || u->s[n - 1] == 'S'))
        n--;
    for (int i = 0; i < 9; i++)
        if (fl_str_ieq(u->s, n, units[i], strlen(units[i])))
            return i;
    return -1;
}
static const int64_t unit_us[] = {1000LL, US_PER_SEC, 60 * US_PER_SEC, 3600 * US_PER_SEC,
                                  US_PER_DAY, 7 * US_PER_DAY};

static int64_t trunc_us(int64_t us, int unit)
{
    if (unit <= 4)
        return floordiv(us, unit_us[unit]) * unit_us[unit];
    int64_t days = floordiv(us, US_PER_DAY);
    if (unit == 5) { /* week starts Monday */
        int64_t dow = ((days % 7) + 7 + 3) % 7;
        return (days - dow) * US_PER_DAY;
    }
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    if (unit == 6)
        return fl_days_from_civil(y, m, 1) * US_PER_DAY;
    if (unit == 7)
        return fl_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * US_PER_DAY;
    return fl_days_from_civil(y, 1, 1) * US_PER_DAY;
}

static int64_t months_between(int64_t a, int64_t b)
{
    struct tparts x, y;
    tsplit(a, &x);
    tsplit(b, &y);
    int64_t m = (y.y * 12 + y.mo) - (x.y * 12 + x.mo);
    /* a partial month does not count */
    int64_t xr = ((((int64_t)x.d * 24 + x.h) * 60 + x.mi) * 60 + x.s) * US_PER_SEC + x.us;
    int64_t yr = ((((int64_t)y.d * 24 + y.h) * 60 + y.mi) * 60 + y.s) * US_PER_SEC + y.us;
    if (m > 0 && yr < xr)
        m--;
    else if (m < 0 && yr > xr)
        m++;
    return m;
}

static const char *const wday[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                   "Friday", "Saturday", "Sunday"};
static const char *const mname[] = {"January", "February", "March", "April", "May", "June", "July",
                                    "August", "September", "October", "November", "December"};

/* MySQL-style date_format (as Trino's). */
static int date_format(struct qeval *ev, int64_t us, const struct qval *f, uint32_t pos, struct qval *out)
{
    struct tparts t;
    tsplit(us, &t);
    struct fl_buf b;
    fl_buf_init(&b, 1 << 16);
    int rc = FL_OK;
    for (uint32_t i = 0; i < f->n && rc == FL_OK; i++) {
        char c = f->s[i];
        if (c != '%' || i + 1 == f->n) {
            rc = fl_buf_addc(&b, c);
            continue;
        }
        c = f->s[++i];
        unsigned h12 = t.h % 12 ? t.h % 12 : 12;
        switch (c) {
        case 'Y': rc = fl_buf_printf(&b, "%04lld", (long long)t.y); break;
        case 'y': rc = fl_buf_printf(&b, "%02d", (int)(t.y % 100)); break;
        case 'm': rc = fl_buf_printf(&b, "%02u", t.mo); break;
        case 'c': rc = fl_buf_printf(&b, "%u", t.mo); break;
        case 'd': rc = fl_buf_printf(&b, "%02u", t.d); break;
        case 'e': rc = fl_buf_printf(&b, "%u", t.d); break;
        case 'H': rc = fl_buf_printf(&b, "%02u", t.h); break;
        case 'k': rc = fl_buf_printf(&b, "%u", t.h); break;
        case 'h':
        case 'I': rc = fl_buf_printf(&b, "%02u", h12); break;
        case 'l': rc = fl_buf_printf(&b, "%u", h12); break;
        case 'i': rc = fl_buf_printf(&b, "%02u", t.mi); break;
        case 's':
        case 'S': rc = fl_buf_printf(&b, "%02u", t.s); break;
        case 'f': rc = fl_buf_printf(&b, "%06u", t.us); break;
        case 'p': rc = fl_buf_printf(&b, "%s", t.h < 12 ? "AM" : "PM"); break;
        case 'T': rc = fl_buf_printf(&b, "%02u:%02u:%02u", t.h, t.mi, t.s); break;
        case 'r': rc = fl_buf_printf(&b, "%02u:%02u:%02u %s", h12, t.mi, t.s, t.h < 12 ? "AM" : "PM"); break;
        case 'W': rc = fl_buf_printf(&b, "%s", wday[t.dow - 1]); break;
        case 'a': rc = fl_buf_printf(&b, "%.3s", wday[t.dow - 1]); break;
        case 'M': rc = fl_buf_printf(&b, "%s", mname[t.mo - 1]); break;
        case 'b': rc = fl_buf_printf(&b, "%.3s", mname[t.mo - 1]); break;
        case 'j': rc = fl_buf_printf(&b, "%03u", t.doy); break;
        case '%': rc = fl_buf_addc(&b, '%'); break;
        default: rc = fl_buf_addc(&b, c); break;
        }
    }
    if (rc == FL_OK) {
        char *p = scratch(ev, b.len, pos, &rc);
        if (p) {
            if (b.len)
                memcpy(p, b.p, b.len);
            *out = mkstr(p, b.len);
        }
    } else {
        rc = fl__qerr(ev->q, pos, FL_ELIMIT, "date_format result too long");
    }
    fl_buf_free(&b);
    return rc;
}

/* ---- regex --------------------------------------------------------------------- */
static pcre2_code *re_compile(struct qctx *q, const struct qval *pat, uint32_t pos, int *rc)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat->s, pat->n, PCRE2_UTF, &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        *rc = fl__qerr(q, pos, FL_EPARSE, "invalid regular expression: %s", (const char *)msg);
        return NULL;
    }
    return re;
}

static int re_get(struct qeval *ev, const struct qnode *n, const struct qval *pat, pcre2_code **out,
                  bool *owned)
{
    int rc = FL_OK;
    *owned = false;
    if (n->aux) {
        *out = n->aux;
        return FL_OK;
    }
    *out = re_compile(ev->q, pat, n->a[1]->pos, &rc);
    *owned = *out != NULL;
    return rc;
}

static int re_match(struct qeval *ev, pcre2_code *re, const struct qval *s, int *groups)
{
    if (!ev->md) {
        ev->md = pcre2_match_data_create(32, NULL);
        if (!ev->md)
            return FL_ENOMEM;
    }
    int r = pcre2_match(re, (PCRE2_SPTR)s->s, s->n, 0, 0, ev->md, NULL);
    *groups = r;
    return FL_OK;
}

/* ---- binding ------------------------------------------------------------------------ */
int fl__qfunc_bind(struct qctx *q, struct qnode *n)
{
    int i = fl__qfunc_lookup(n->name, n->name_len);
    if (i < 0)
        return fl__qerr(q, n->pos, FL_EPARSE, "unknown function %.*s", (int)n->name_len, n->name);
    const struct fdef *f = &fdefs[i];
    if (n->nargs < f->min || n->nargs > f->max) {
        if (f->min == f->max)
            return fl__qerr(q, n->pos, FL_EPARSE, "%s takes %d argument%s, not %d", f->name, f->min,
                            f->min == 1 ? "" : "s", n->nargs);
        return fl__qerr(q, n->pos, FL_EPARSE, "%s takes %d to %d arguments, not %d", f->name, f->min,
                        f->max, n->nargs);
    }
    n->fn = (uint16_t)f->fn;
    struct qnode **a = n->a;
    int t0 = n->nargs ? a[0]->type : QT_NULL;
#define NEED(k, cond, what)                                                                     \
    do {                                                                                        \
        if (!(a[k]->type == QT_NULL || (cond)))                                                 \
            return fl__qerr(q, a[k]->pos, FL_EPARSE, "%s: argument %d must be %s, not %s", f->name, \
                            (k) + 1, what, fl__qtype_name(a[k]->type));                         \
    } while (0)
#define T(k) (a[k]->type)
    switch (f->fn) {
    case F_LOWER: case F_UPPER: case F_TRIM: case F_LTRIM: case F_RTRIM: case F_REVERSE:
        NEED(0, T(0) == QT_STR, "varchar");
        n->type = QT_STR;
        break;
    case F_LENGTH:
        NEED(0, T(0) == QT_STR, "varchar");
        n->type = QT_INT;
        break;
    case F_SUBSTR:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_INT, "bigint");
        if (n->nargs == 3)
            NEED(2, T(2) == QT_INT, "bigint");
        n->type = QT_STR;
        break;
    case F_SPLIT_PART:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_STR, "varchar");
        NEED(2, T(2) == QT_INT, "bigint");
        n->type = QT_STR;
        break;
    case F_CONCAT:
        n->type = QT_STR;
        break;
    case F_REPLACE:
        for (int k = 0; k < n->nargs; k++)
            NEED(k, T(k) == QT_STR, "varchar");
        n->type = QT_STR;
        break;
    case F_STRPOS:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_STR, "varchar");
        n->type = QT_INT;
        break;
    case F_STARTS_WITH:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_STR, "varchar");
        n->type = QT_BOOL;
        break;
    case F_REGEXP_LIKE:
    case F_REGEXP_EXTRACT:
    case F_REGEXP_REPLACE:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_STR, "varchar");
        if (n->nargs == 3)
            NEED(2, f->fn == F_REGEXP_EXTRACT ? T(2) == QT_INT : T(2) == QT_STR,
                 f->fn == F_REGEXP_EXTRACT ? "bigint" : "varchar");
        n->type = f->fn == F_REGEXP_LIKE ? QT_BOOL : QT_STR;
        if (a[1]->kind == N_LIT && a[1]->lit.t == QT_STR) {
            int rc = FL_OK;
            if (q->nre >= (int)FL_ARRAY_LEN(q->re))
                break; /* compiled per row */
            pcre2_code *re = re_compile(q, &a[1]->lit, a[1]->pos, &rc);
            if (!re)
                return rc;
            q->re[q->nre++] = re;
            n->aux = re;
            if (f->fn == F_REGEXP_EXTRACT && n->nargs == 3 && a[2]->kind == N_LIT && a[2]->lit.t == QT_INT) {
                uint32_t cap = 0;
                pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
                if (a[2]->lit.i < 0 || a[2]->lit.i > (int64_t)cap)
                    return fl__qerr(q, a[2]->pos, FL_EPARSE, "regexp_extract: pattern has %u groups, not %lld",
                                    cap, (long long)a[2]->lit.i);
            }
        }
        break;
    case F_COALESCE:
    case F_GREATEST:
    case F_LEAST: {
        int rt = QT_NULL;
        for (int k = 0; k < n->nargs; k++) {
            int t = T(k);
            if (t == QT_NULL)
                continue;
            if (rt == QT_NULL)
                rt = t;
            else if (rt != t) {
                if (isnum(rt) && isnum(t))
                    rt = QT_DBL;
                else
                    return fl__qerr(q, a[k]->pos, FL_EPARSE, "%s: arguments have different types (%s, %s)",
                                    f->name, fl__qtype_name(rt), fl__qtype_name(t));
            }
        }
        n->type = (uint8_t)rt;
        break;
    }
    case F_NULLIF:
        n->type = (uint8_t)t0;
        break;
    case F_IF: {
        NEED(0, T(0) == QT_BOOL, "boolean");
        int rt = T(1);
        if (n->nargs == 3 && T(2) != QT_NULL) {
            if (rt == QT_NULL)
                rt = T(2);
            else if (rt != T(2)) {
                if (isnum(rt) && isnum(T(2)))
                    rt = QT_DBL;
                else
                    return fl__qerr(q, n->pos, FL_EPARSE, "if: branches have different types");
            }
        }
        n->type = (uint8_t)rt;
        break;
    }
    case F_ABS: case F_FLOOR: case F_CEIL:
        NEED(0, isnum(T(0)), "a number");
        n->type = t0 == QT_NULL ? QT_INT : (uint8_t)t0;
        break;
    case F_ROUND:
        NEED(0, isnum(T(0)), "a number");
        if (n->nargs == 2)
            NEED(1, T(1) == QT_INT, "bigint");
        n->type = t0 == QT_NULL ? QT_INT : (uint8_t)t0;
        break;
    case F_MOD:
        NEED(0, isnum(T(0)), "a number");
        NEED(1, isnum(T(1)), "a number");
        n->type = (T(0) == QT_DBL || T(1) == QT_DBL) ? QT_DBL : QT_INT;
        break;
    case F_POWER: case F_SQRT: case F_LN:
        for (int k = 0; k < n->nargs; k++)
            NEED(k, isnum(T(k)), "a number");
        n->type = QT_DBL;
        break;
    case F_CURRENT_DATE:
        n->type = QT_DATE;
        break;
    case F_CURRENT_TIMESTAMP: case F_NOW:
        n->type = QT_TS;
        break;
    case F_DATE_FORMAT:
        NEED(0, T(0) == QT_TS || T(0) == QT_DATE, "a timestamp");
        NEED(1, T(1) == QT_STR, "varchar");
        n->type = QT_STR;
        break;
    case F_FROM_UNIXTIME:
        NEED(0, isnum(T(0)), "a number");
        n->type = QT_TS;
        break;
    case F_TO_UNIXTIME:
        NEED(0, T(0) == QT_TS || T(0) == QT_DATE, "a timestamp");
        n->type = QT_DBL;
        break;
    case F_DATE_TRUNC:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_TS || T(1) == QT_DATE, "a date or timestamp");
        n->type = T(1) == QT_NULL ? QT_TS : T(1);
        goto check_unit;
    case F_DATE_ADD:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_INT, "bigint");
        NEED(2, T(2) == QT_TS || T(2) == QT_DATE, "a date or timestamp");
        n->type = T(2) == QT_NULL ? QT_TS : T(2);
        goto check_unit;
    case F_DATE_DIFF:
        NEED(0, T(0) == QT_STR, "varchar");
        NEED(1, T(1) == QT_TS || T(1) == QT_DATE, "a date or timestamp");
        NEED(2, T(2) == QT_TS || T(2) == QT_DATE, "a date or timestamp");
        n->type = QT_INT;
    check_unit:
        if (a[0]->kind == N_LIT && a[0]->lit.t == QT_STR && unit_of(&a[0]->lit) < 0)
            return fl__qerr(q, a[0]->pos, FL_EPARSE, "%s: unknown unit '%.*s'", f->name,
                            (int)FL_MIN(a[0]->lit.n, 40), a[0]->lit.s);
        break;
    case F_DAY_OF_WEEK: case F_DAY_OF_YEAR: case F_YEAR: case F_MONTH: case F_DAY: case F_HOUR:
    case F_MINUTE: case F_SECOND: case F_QUARTER: case F_WEEK:
        NEED(0, T(0) == QT_TS || T(0) == QT_DATE, "a date or timestamp");
        n->type = QT_INT;
        break;
    case F_DATE:
        NEED(0, T(0) == QT_TS || T(0) == QT_DATE || T(0) == QT_STR, "a timestamp or varchar");
        n->type = QT_DATE;
        break;
    case F_FROM_ISO8601:
        NEED(0, T(0) == QT_STR, "varchar");
        n->type = QT_TS;
        break;
    case F_CONTAINS:
        NEED(0, T(0) == QT_STR, "a CIDR text");
        NEED(1, T(1) == QT_STR, "an address text");
        n->type = QT_BOOL;
        if (a[0]->kind == N_LIT && a[0]->lit.t == QT_STR) {
            struct fl_cidr *c = fl__qarena_alloc(&q->ast, sizeof *c);
            if (!c)
                return fl__qerr(q, n->pos, FL_ENOMEM, "out of memory");
            if (fl_cidr_parse(a[0]->lit.s, a[0]->lit.n, c) != FL_OK)
                return fl__qerr(q, a[0]->pos, FL_EPARSE, "contains: invalid CIDR '%.*s'",
                                (int)FL_MIN(a[0]->lit.n, 60), a[0]->lit.s);
            n->aux = c;
        }
        break;
    case F_DISTINCT: case F_NOT_DISTINCT:
        if (!(T(0) == QT_NULL || T(1) == QT_NULL || T(0) == T(1) || (isnum(T(0)) && isnum(T(1)))))
            return fl__qerr(q, n->pos, FL_EPARSE, "cannot compare %s with %s", fl__qtype_name(T(0)),
                            fl__qtype_name(T(1)));
        n->type = QT_BOOL;
        break;
    case F_TYPEOF:
        n->type = QT_STR;
        break;
    default:
        return fl__qerr(q, n->pos, FL_EINTERNAL, "function not bound");
    }
#undef NEED
#undef T
    return FL_OK;
}

/* ---- evaluation ----------------------------------------------------------------------- */
static int eval_func(struct qeval *ev, const struct qnode *n, struct qval *out);

static int arith(struct qeval *ev, const struct qnode *n, const struct qval *x, const struct qval *y,
                 struct qval *out)
{
    int op = n->op;
    if (x->t == QT_NULL || y->t == QT_NULL) {
        *out = QV_NULL;
        return FL_OK;
    }
    if (x->t == QT_INT && y->t == QT_INT) {
        int64_t r = 0;
        bool ovf = false;
        switch (op) {
        case '+': ovf = __builtin_add_overflow(x->i, y->i, &r); break;
        case '-': ovf = __builtin_sub_overflow(x->i, y->i, &r); break;
        case '*': ovf = __builtin_mul_overflow(x->i, y->i, &r); break;
        case '/':
        case '%':
            if (y->i == 0)
                return fl__qerr(ev->q, n->pos, FL_EINVAL, "division by zero");
            if (x->i == INT64_MIN && y->i == -1) {
                ovf = op == '/';
                r = 0;
            } else {
                r = op == '/' ? x->i / y->i : x->i % y->i;
            }
            break;
        }
        if (ovf)
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "bigint overflow");
        *out = mkint(r, QT_INT);
        return FL_OK;
    }
    if (isnum(x->t) && isnum(y->t)) {
        double a = as_dbl(x), b = as_dbl(y), r;
        switch (op) {
        case '+': r = a + b; break;
        case '-': r = a - b; break;
        case '*': r = a * b; break;
        case '/': r = a / b; break;
        default: r = fmod(a, b); break;
        }
        *out = mkdbl(r);
        return FL_OK;
    }
    /* temporal */
    const struct qval *t = x, *iv = y;
    int sign = op == '-' ? -1 : 1;
    if (x->t == QT_IDS || x->t == QT_IYM) {
        if (y->t == QT_IDS || y->t == QT_IYM) {
            *out = mkint(op == '-' ? x->i - y->i : x->i + y->i, x->t);
            return FL_OK;
        }
        if (isnum(y->t)) {
            double m = (double)x->i * as_dbl(y);
            if (!(m > -9.2e18 && m < 9.2e18))
                return fl__qerr(ev->q, n->pos, FL_ERANGE, "interval out of range");
            *out = mkint((int64_t)m, x->t);
            return FL_OK;
        }
        t = y;
        iv = x;
    } else if (isnum(x->t) && (y->t == QT_IDS || y->t == QT_IYM)) {
        double m = (double)y->i * as_dbl(x);
        if (!(m > -9.2e18 && m < 9.2e18))
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "interval out of range");
        *out = mkint((int64_t)m, y->t);
        return FL_OK;
    }
    if (x->t == QT_TS && y->t == QT_TS) {
        int64_t d;
        if (__builtin_sub_overflow(x->i, y->i, &d))
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "interval out of range");
        *out = mkint(d, QT_IDS);
        return FL_OK;
    }
    int64_t us, r;
    if (iv->t == QT_IYM) {
        if (iv->i > 1200000 || iv->i < -1200000 || t->i > TS_MAX_US || t->i < -TS_MAX_US)
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "%s out of range", fl__qtype_name(t->t));
        *out = t->t == QT_DATE ? mkint(add_months_days(t->i, sign * iv->i), QT_DATE)
                               : mkint(ts_add_months(t->i, sign * iv->i), QT_TS);
        return FL_OK;
    }
    if (__builtin_mul_overflow(t->i, t->t == QT_DATE ? US_PER_DAY : 1, &us) ||
        __builtin_add_overflow(us, sign * iv->i, &r) || r > TS_MAX_US || r < -TS_MAX_US)
        return fl__qerr(ev->q, n->pos, FL_ERANGE, "%s out of range", fl__qtype_name(t->t));
    if (t->t == QT_DATE || t->t == QT_TS) {
        *out = t->t == QT_DATE ? mkint(floordiv(r, US_PER_DAY), QT_DATE) : mkint(r, QT_TS);
        return FL_OK;
    }
    return fl__qerr(ev->q, n->pos, FL_EINTERNAL, "bad arithmetic operands");
}

static int cmp_result(int op, int c)
{
    switch (op) {
    case TK_EQ: return c == 0;
    case TK_NE: return c != 0;
    case TK_LT: return c < 0;
    case TK_LE: return c <= 0;
    case TK_GT: return c > 0;
    default: return c >= 0;
    }
}

static int to_str(struct qeval *ev, struct qval *v, uint32_t pos)
{
    if (v->t == QT_STR || v->t == QT_NULL)
        return FL_OK;
    struct qval s;
    FL_TRY(fl__qcast(ev, v, QT_STR, &s, false, pos));
    *v = s;
    return FL_OK;
}

static int in_set(const struct qnode *n, const struct qinset *s, const struct qval *x, struct qval *out);

/* Set membership: the IN list, evaluated left to right (SQL NULL rules). */
static int in_list(struct qeval *ev, const struct qnode *n, struct qval *out)
{
    struct qval x;
    FL_TRY(fl__qeval(ev, n->a[0], &x));
    if (n->aux) /* a long constant list: fl__qinlist_compile */
        return in_set(n, n->aux, &x, out);
    if (x.t == QT_NULL) {
        *out = QV_NULL;
        return FL_OK;
    }
    bool saw_null = false;
    for (int i = 1; i < n->nargs; i++) {
        struct qval y;
        FL_TRY(fl__qeval(ev, n->a[i], &y));
        if (y.t == QT_NULL) {
            saw_null = true;
            continue;
        }
        if (fl__qval_cmp(&x, &y) == 0) {
            *out = mkint(!n->neg, QT_BOOL);
            return FL_OK;
        }
    }
    *out = saw_null ? QV_NULL : mkint(n->neg, QT_BOOL);
    return FL_OK;
}

/* x IN s for a sorted set (SQL NULL rules: an empty subquery is FALSE even
 * for a NULL x; a NULL in the set makes a miss NULL). */
static int in_set(const struct qnode *n, const struct qinset *s, const struct qval *x, struct qval *out)
{
    if (s->n == 0 && !s->has_null) {
        *out = mkint(n->neg, QT_BOOL);
        return FL_OK;
    }
    if (x->t == QT_NULL) {
        *out = QV_NULL;
        return FL_OK;
    }
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = fl__qval_cmp(&s->v[mid], x);
        if (c == 0) {
            *out = mkint(!n->neg, QT_BOOL);
            return FL_OK;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = s->has_null ? QV_NULL : mkint(n->neg, QT_BOOL);
    return FL_OK;
}

/* IN (SELECT ...): the subquery result is a sorted value array in aux. */
static int in_sub(struct qeval *ev, const struct qnode *n, struct qval *out)
{
    struct qval x;
    FL_TRY(fl__qeval(ev, n->a[0], &x));
    if (!n->aux)
        return fl__qerr(ev->q, n->pos, FL_EINTERNAL, "subquery not run");
    return in_set(n, n->aux, &x, out);
}

int fl__qval_qsort_cmp(const void *a, const void *b) { return fl__qval_cmp(a, b); }

int fl__qinlist_compile(struct qctx *q, struct qnode *n)
{
    if (n->kind != N_INLIST || n->nargs - 1 < 8)
        return FL_OK;
    /* one type, no doubles: then fl__qval_cmp orders the values the way the
     * value-by-value comparison would match them (NaN has no place) */
    int t = QT_NULL;
    for (int i = 1; i < n->nargs; i++) {
        const struct qnode *a = n->a[i];
        if (!a->is_const)
            return FL_OK;
        if (a->lit.t == QT_NULL)
            continue;
        if (a->lit.t == QT_DBL || (t != QT_NULL && a->lit.t != t))
            return FL_OK;
        t = a->lit.t;
    }
    struct qinset *s = fl__qarena_alloc(&q->ast, sizeof *s);
    struct qval *v = s ? fl__qarena_alloc(&q->ast, sizeof *v * (size_t)n->nargs) : NULL;
    if (!v)
        return fl__qerr(q, n->pos, FL_ENOMEM, "out of memory");
    s->n = 0;
    s->has_null = false;
    for (int i = 1; i < n->nargs; i++) {
        if (n->a[i]->lit.t == QT_NULL)
            s->has_null = true;
        else
            v[s->n++] = n->a[i]->lit;
    }
    qsort(v, s->n, sizeof *v, fl__qval_qsort_cmp);
    s->v = v;
    n->aux = s;
    return FL_OK;
}

int fl__qeval(struct qeval *ev, const struct qnode *n, struct qval *out)
{
    struct qval x, y, z;
    switch (n->kind) {
    case N_SLOT:
        *out = ev->row[n->slot];
        return FL_OK;
    case N_LIT:
        *out = n->lit;
        return FL_OK;
    case N_SUBQ:
        *out = n->lit; /* filled when the subquery ran */
        return FL_OK;
    case N_NEG:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        if (x.t == QT_NULL)
            *out = QV_NULL;
        else if (x.t == QT_DBL)
            *out = mkdbl(-x.d);
        else if (x.i == INT64_MIN)
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "bigint overflow");
        else
            *out = mkint(-x.i, x.t);
        return FL_OK;
    case N_ARITH:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        return arith(ev, n, &x, &y, out);
    case N_CONCAT: {
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        if (x.t == QT_NULL || y.t == QT_NULL) {
            *out = QV_NULL;
            return FL_OK;
        }
        FL_TRY(to_str(ev, &x, n->pos));
        FL_TRY(to_str(ev, &y, n->pos));
        int rc = FL_OK;
        char *p = scratch(ev, (size_t)x.n + y.n, n->pos, &rc);
        if (!p)
            return rc;
        if (x.n)
            memcpy(p, x.s, x.n);
        if (y.n)
            memcpy(p + x.n, y.s, y.n);
        *out = mkstr(p, (size_t)x.n + y.n);
        return FL_OK;
    }
    case N_CMP:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        if (x.t == QT_NULL || y.t == QT_NULL)
            *out = QV_NULL;
        else
            *out = mkint(cmp_result(n->op, fl__qval_cmp(&x, &y)), QT_BOOL);
        return FL_OK;
    case N_AND:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        if (x.t == QT_BOOL && !x.i) {
            *out = x;
            return FL_OK;
        }
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        if (y.t == QT_BOOL && !y.i)
            *out = y;
        else if (x.t == QT_NULL || y.t == QT_NULL)
            *out = QV_NULL;
        else
            *out = mkint(1, QT_BOOL);
        return FL_OK;
    case N_OR:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        if (x.t == QT_BOOL && x.i) {
            *out = x;
            return FL_OK;
        }
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        if (y.t == QT_BOOL && y.i)
            *out = y;
        else if (x.t == QT_NULL || y.t == QT_NULL)
            *out = QV_NULL;
        else
            *out = mkint(0, QT_BOOL);
        return FL_OK;
    case N_NOT:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        *out = x.t == QT_NULL ? QV_NULL : mkint(!x.i, QT_BOOL);
        return FL_OK;
    case N_ISNULL:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        *out = mkint((x.t == QT_NULL) != (bool)n->neg, QT_BOOL);
        return FL_OK;
    case N_BETWEEN:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        FL_TRY(fl__qeval(ev, n->a[2], &z));
        {
            /* x >= y AND x <= z, with three-valued AND */
            int lo = (x.t == QT_NULL || y.t == QT_NULL) ? -1 : fl__qval_cmp(&x, &y) >= 0;
            int hi = (x.t == QT_NULL || z.t == QT_NULL) ? -1 : fl__qval_cmp(&x, &z) <= 0;
            int r = (lo == 0 || hi == 0) ? 0 : (lo < 0 || hi < 0) ? -1 : 1;
            if (r < 0)
                *out = QV_NULL;
            else
                *out = mkint(n->neg ? !r : r, QT_BOOL);
        }
        return FL_OK;
    case N_INLIST:
        return in_list(ev, n, out);
    case N_INSUB:
        return in_sub(ev, n, out);
    case N_LIKE: {
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        FL_TRY(fl__qeval(ev, n->a[1], &y));
        int esc = -1;
        if (n->nargs == 3) {
            FL_TRY(fl__qeval(ev, n->a[2], &z));
            if (z.t == QT_NULL) {
                *out = QV_NULL;
                return FL_OK;
            }
            if (z.n != 1)
                return fl__qerr(ev->q, n->a[2]->pos, FL_EINVAL, "ESCAPE must be one character");
            esc = (uint8_t)z.s[0];
        }
        if (x.t == QT_NULL || y.t == QT_NULL) {
            *out = QV_NULL;
            return FL_OK;
        }
        bool m = like_match(x.s, x.n, y.s, y.n, esc);
        *out = mkint(m != (bool)n->neg, QT_BOOL);
        return FL_OK;
    }
    case N_CASE: {
        int nw = (n->nargs - 2) / 2;
        struct qval op = QV_NULL;
        if (n->a[0])
            FL_TRY(fl__qeval(ev, n->a[0], &op));
        for (int i = 0; i < nw; i++) {
            FL_TRY(fl__qeval(ev, n->a[1 + 2 * i], &x));
            bool hit;
            if (n->a[0])
                hit = op.t != QT_NULL && x.t != QT_NULL && fl__qval_cmp(&op, &x) == 0;
            else
                hit = x.t == QT_BOOL && x.i;
            if (hit) {
                FL_TRY(fl__qeval(ev, n->a[2 + 2 * i], out));
                goto case_type;
            }
        }
        if (n->a[n->nargs - 1])
            FL_TRY(fl__qeval(ev, n->a[n->nargs - 1], out));
        else
            *out = QV_NULL;
    case_type:
        if (n->type == QT_DBL && out->t == QT_INT)
            *out = mkdbl((double)out->i);
        return FL_OK;
    }
    case N_CAST:
        FL_TRY(fl__qeval(ev, n->a[0], &x));
        return fl__qcast(ev, &x, n->op, out, n->trycast, n->pos);
    case N_FUNC:
        return eval_func(ev, n, out);
    default:
        return fl__qerr(ev->q, n->pos, FL_EINTERNAL, "cannot evaluate this expression here");
    }
}

int fl__qeval_pred(struct qeval *ev, const struct qnode *n)
{
    struct qval v;
    FL_TRY(fl__qeval(ev, n, &v));
    return v.t == QT_BOOL && v.i;
}

static int64_t now_us(struct qeval *ev) { return ev->q->now_us; }

static int eval_func(struct qeval *ev, const struct qnode *n, struct qval *out)
{
    struct qval a[3] = {QV_NULL, QV_NULL, QV_NULL};
    int rc = FL_OK;
    /* functions with their own NULL rules */
    switch (n->fn) {
    case F_COALESCE:
        for (int i = 0; i < n->nargs; i++) {
            FL_TRY(fl__qeval(ev, n->a[i], out));
            if (out->t != QT_NULL)
                goto num_type;
        }
        *out = QV_NULL;
        return FL_OK;
    case F_IF:
        FL_TRY(fl__qeval(ev, n->a[0], &a[0]));
        if (a[0].t == QT_BOOL && a[0].i)
            FL_TRY(fl__qeval(ev, n->a[1], out));
        else if (n->nargs == 3)
            FL_TRY(fl__qeval(ev, n->a[2], out));
        else
            *out = QV_NULL;
        goto num_type;
    case F_CONCAT: {
        struct fl_buf b;
        fl_buf_init(&b, 1 << 20);
        for (int i = 0; i < n->nargs; i++) {
            struct qval v;
            rc = fl__qeval(ev, n->a[i], &v);
            if (rc == FL_OK && v.t == QT_NULL) {
                fl_buf_free(&b);
                *out = QV_NULL;
                return FL_OK;
            }
            if (rc == FL_OK)
                rc = to_str(ev, &v, n->pos);
            if (rc == FL_OK && fl_buf_add(&b, v.s, v.n) != FL_OK)
                rc = fl__qerr(ev->q, n->pos, FL_ELIMIT, "concat result too long");
            if (rc != FL_OK) {
                fl_buf_free(&b);
                return rc;
            }
        }
        size_t blen = b.len;
        char *p = scratch(ev, blen, n->pos, &rc);
        if (p && blen)
            memcpy(p, b.p, blen);
        fl_buf_free(&b);
        if (!p)
            return rc;
        *out = mkstr(p, blen);
        return FL_OK;
    }
    case F_GREATEST:
    case F_LEAST: {
        *out = QV_NULL;
        for (int i = 0; i < n->nargs; i++) {
            struct qval v;
            FL_TRY(fl__qeval(ev, n->a[i], &v));
            if (v.t == QT_NULL) {
                *out = QV_NULL;
                return FL_OK;
            }
            if (i == 0 || (n->fn == F_GREATEST ? fl__qval_cmp(&v, out) > 0 : fl__qval_cmp(&v, out) < 0))
                *out = v;
        }
        goto num_type;
    }
    case F_DISTINCT:
    case F_NOT_DISTINCT: {
        FL_TRY(fl__qeval(ev, n->a[0], &a[0]));
        FL_TRY(fl__qeval(ev, n->a[1], &a[1]));
        bool same = (a[0].t == QT_NULL && a[1].t == QT_NULL) ||
                    (a[0].t != QT_NULL && a[1].t != QT_NULL && fl__qval_cmp(&a[0], &a[1]) == 0);
        *out = mkint(n->fn == F_DISTINCT ? !same : same, QT_BOOL);
        return FL_OK;
    }
    case F_TYPEOF: {
        const char *t = fl__qtype_name(n->a[0]->type);
        *out = mkstr(t, strlen(t));
        return FL_OK;
    }
    case F_CURRENT_DATE:
        *out = mkint(floordiv(now_us(ev), US_PER_DAY), QT_DATE);
        return FL_OK;
    case F_CURRENT_TIMESTAMP:
    case F_NOW:
        *out = mkint(now_us(ev), QT_TS);
        return FL_OK;
    default:
        break;
    }
    for (int i = 0; i < n->nargs && i < 3; i++) {
        FL_TRY(fl__qeval(ev, n->a[i], &a[i]));
        if (a[i].t == QT_NULL) {
            *out = QV_NULL;
            return FL_OK;
        }
    }
    switch (n->fn) {
    case F_LOWER:
    case F_UPPER: {
        char *p = scratch(ev, a[0].n, n->pos, &rc);
        if (!p)
            return rc;
        for (uint32_t i = 0; i < a[0].n; i++)
            p[i] = (char)(n->fn == F_LOWER ? tolower((uint8_t)a[0].s[i]) : toupper((uint8_t)a[0].s[i]));
        *out = mkstr(p, a[0].n);
        return FL_OK;
    }
    case F_LENGTH: {
        int64_t k = 0;
        for (uint32_t i = 0; i < a[0].n; i++)
            k += ((uint8_t)a[0].s[i] & 0xC0) != 0x80;
        *out = mkint(k, QT_INT);
        return FL_OK;
    }
    case F_TRIM:
    case F_LTRIM:
    case F_RTRIM: {
        const char *s = a[0].s;
        size_t len = a[0].n;
        if (n->fn != F_RTRIM)
            while (len && *s == ' ') {
                s++;
                len--;
            }
        if (n->fn != F_LTRIM)
            while (len && s[len - 1] == ' ')
                len--;
        *out = mkstr(s, len);
        return FL_OK;
    }
    case F_REVERSE: {
        char *p = scratch(ev, a[0].n, n->pos, &rc);
        if (!p)
            return rc;
        for (uint32_t i = 0; i < a[0].n; i++)
            p[i] = a[0].s[a[0].n - 1 - i];
        *out = mkstr(p, a[0].n);
        return FL_OK;
    }
    case F_SUBSTR: {
        /* 1-based; negative start counts from the end (Trino) - in characters */
        int64_t nch = 0;
        for (uint32_t i = 0; i < a[0].n; i++)
            nch += ((uint8_t)a[0].s[i] & 0xC0) != 0x80;
        int64_t st = a[1].i;
        if (st < 0)
            st = nch + st + 1;
        if (st < 1 || st > nch || (n->nargs == 3 && a[2].i <= 0)) {
            *out = mkstr("", 0);
            if (n->nargs == 3 && a[2].i < 0)
                *out = mkstr("", 0);
            return FL_OK;
        }
        int64_t len = n->nargs == 3 ? a[2].i : nch;
        size_t b0 = 0, ci = 1;
        while (b0 < a[0].n && (int64_t)ci < st) {
            b0++;
            while (b0 < a[0].n && ((uint8_t)a[0].s[b0] & 0xC0) == 0x80)
                b0++;
            ci++;
        }
        size_t b1 = b0;
        for (int64_t k = 0; k < len && b1 < a[0].n; k++) {
            b1++;
            while (b1 < a[0].n && ((uint8_t)a[0].s[b1] & 0xC0) == 0x80)
                b1++;
        }
        *out = mkstr(a[0].s + b0, b1 - b0);
        return FL_OK;
    }
    case F_SPLIT_PART: {
        if (a[2].i < 1)
            return fl__qerr(ev->q, n->a[2]->pos, FL_EINVAL, "split_part: index must be greater than zero");
        const char *s = a[0].s, *end = a[0].s + a[0].n;
        int64_t k = 1;
        if (a[1].n == 0) {
            *out = a[2].i == 1 ? a[0] : QV_NULL;
            return FL_OK;
        }
        while (k < a[2].i) {
            const char *f = memmem(s, (size_t)(end - s), a[1].s, a[1].n);
            if (!f) {
                *out = QV_NULL;
                return FL_OK;
            }
            s = f + a[1].n;
            k++;
        }
        const char *f = memmem(s, (size_t)(end - s), a[1].s, a[1].n);
        *out = mkstr(s, (size_t)((f ? f : end) - s));
        return FL_OK;
    }
    case F_REPLACE: {
        struct qval to = n->nargs == 3 ? a[2] : mkstr("", 0);
        if (a[1].n == 0) {
            *out = a[0];
            return FL_OK;
        }
        struct fl_buf b;
        fl_buf_init(&b, 1 << 20);
        const char *s = a[0].s, *end = a[0].s + a[0].n;
        while (rc == FL_OK) {
            const char *f = memmem(s, (size_t)(end - s), a[1].s, a[1].n);
            if (!f) {
                rc = fl_buf_add(&b, s, (size_t)(end - s));
                break;
            }
            rc = fl_buf_add(&b, s, (size_t)(f - s));
            if (rc == FL_OK)
                rc = fl_buf_add(&b, to.s, to.n);
            s = f + a[1].n;
        }
        char *p = rc == FL_OK ? scratch(ev, b.len, n->pos, &rc) : NULL;
        if (p && b.len)
            memcpy(p, b.p, b.len);
        size_t len = b.len;
        fl_buf_free(&b);
        if (!p)
            return rc < 0 && rc != FL_ELIMIT ? rc : fl__qerr(ev->q, n->pos, FL_ELIMIT, "replace result too long");
        *out = mkstr(p, len);
        return FL_OK;
    }
    case F_STRPOS: {
        if (a[1].n == 0) {
            *out = mkint(1, QT_INT);
            return FL_OK;
        }
        const char *f = memmem(a[0].s, a[0].n, a[1].s, a[1].n);
        int64_t k = 0;
        if (f) {
            k = 1;
            for (const char *c = a[0].s; c < f; c++)
                k += ((uint8_t)*c & 0xC0) != 0x80;
        }
        *out = mkint(k, QT_INT);
        return FL_OK;
    }
    case F_STARTS_WITH:
        *out = mkint(a[0].n >= a[1].n && memcmp(a[0].s, a[1].s, a[1].n) == 0, QT_BOOL);
        return FL_OK;
    case F_REGEXP_LIKE:
    case F_REGEXP_EXTRACT:
    case F_REGEXP_REPLACE: {
        pcre2_code *re;
        bool owned;
        FL_TRY(re_get(ev, n, &a[1], &re, &owned));
        if (n->fn == F_REGEXP_REPLACE) {
            PCRE2_SIZE olen = (size_t)a[0].n * 2 + 256;
            if (olen > (1u << 20))
                olen = 1u << 20;
            char *p = scratch(ev, olen, n->pos, &rc);
            if (p) {
                struct qval rep = n->nargs == 3 ? a[2] : mkstr("", 0);
                int r = pcre2_substitute(re, (PCRE2_SPTR)a[0].s, a[0].n, 0, PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL,
                                         (PCRE2_SPTR)rep.s, rep.n, (PCRE2_UCHAR *)p, &olen);
                if (r < 0)
                    rc = fl__qerr(ev->q, n->pos, FL_EINVAL, "regexp_replace failed (%d)", r);
                else
                    *out = mkstr(p, olen);
            }
            if (owned)
                pcre2_code_free(re);
            return rc;
        }
        int g = 0;
        rc = re_match(ev, re, &a[0], &g);
        if (rc == FL_OK) {
            if (n->fn == F_REGEXP_LIKE) {
                *out = mkint(g > 0, QT_BOOL);
            } else if (g <= 0) {
                *out = QV_NULL;
            } else {
                int64_t grp = n->nargs == 3 ? a[2].i : 0;
                uint32_t cap = 0;
                pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
                if (grp < 0 || grp > (int64_t)cap) {
                    rc = fl__qerr(ev->q, n->pos, FL_EINVAL, "regexp_extract: pattern has %u groups", cap);
                } else {
                    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ev->md);
                    if (grp >= g || ov[2 * grp] == PCRE2_UNSET)
                        *out = QV_NULL;
                    else
                        *out = mkstr(a[0].s + ov[2 * grp], ov[2 * grp + 1] - ov[2 * grp]);
                }
            }
        }
        if (owned)
            pcre2_code_free(re);
        return rc;
    }
    case F_NULLIF:
        *out = fl__qval_cmp(&a[0], &a[1]) == 0 ? QV_NULL : a[0];
        return FL_OK;
    case F_ABS:
        if (a[0].t == QT_DBL)
            *out = mkdbl(fabs(a[0].d));
        else if (a[0].i == INT64_MIN)
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "bigint overflow");
        else
            *out = mkint(llabs(a[0].i), QT_INT);
        return FL_OK;
    case F_FLOOR:
    case F_CEIL:
        if (a[0].t == QT_DBL)
            *out = mkdbl(n->fn == F_FLOOR ? floor(a[0].d) : ceil(a[0].d));
        else
            *out = a[0];
        return FL_OK;
    case F_ROUND: {
        int64_t d = n->nargs == 2 ? a[1].i : 0;
        if (a[0].t == QT_DBL) {
            double m = pow(10.0, (double)d);
            double v = a[0].d * m;
            v = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
            *out = mkdbl(d == 0 ? v : v / m);
        } else if (d >= 0) {
            *out = a[0];
        } else {
            int64_t m = 1;
            for (int64_t k = 0; k < -d && k < 18; k++)
                m *= 10;
            int64_t q = a[0].i / m, r = a[0].i % m;
            if (llabs(r) * 2 >= m)
                q += a[0].i < 0 ? -1 : 1;
            *out = mkint(q * m, QT_INT);
        }
        return FL_OK;
    }
    case F_MOD:
        if (a[0].t == QT_INT && a[1].t == QT_INT) {
            if (a[1].i == 0)
                return fl__qerr(ev->q, n->pos, FL_EINVAL, "division by zero");
            *out = mkint(a[1].i == -1 ? 0 : a[0].i % a[1].i, QT_INT);
        } else {
            *out = mkdbl(fmod(as_dbl(&a[0]), as_dbl(&a[1])));
        }
        return FL_OK;
    case F_POWER:
        *out = mkdbl(pow(as_dbl(&a[0]), as_dbl(&a[1])));
        return FL_OK;
    case F_SQRT:
        *out = mkdbl(sqrt(as_dbl(&a[0])));
        return FL_OK;
    case F_LN:
        *out = mkdbl(log(as_dbl(&a[0])));
        return FL_OK;
    case F_DATE_FORMAT:
        return date_format(ev, as_us(&a[0]), &a[1], n->pos, out);
    case F_FROM_UNIXTIME: {
        double s = as_dbl(&a[0]);
        if (!(s > -3e12 && s < 3e12))
            return fl__qerr(ev->q, n->pos, FL_ERANGE, "from_unixtime: value out of range");
        *out = mkint(a[0].t == QT_INT ? a[0].i * US_PER_SEC : (int64_t)llround(s * 1e6), QT_TS);
        return FL_OK;
    }
    case F_TO_UNIXTIME:
        *out = mkdbl((double)as_us(&a[0]) / 1e6);
        return FL_OK;
    case F_DATE_TRUNC: {
        int u = unit_of(&a[0]);
        if (u < 0)
            return rterr(ev, n->a[0]->pos, "date_trunc: unknown unit '%s'", "?");
        int64_t r = trunc_us(as_us(&a[1]), u);
        *out = a[1].t == QT_DATE ? mkint(floordiv(r, US_PER_DAY), QT_DATE) : mkint(r, QT_TS);
        return FL_OK;
    }
    case F_DATE_ADD: {
        int u = unit_of(&a[0]);
        if (u < 0)
            return rterr(ev, n->a[0]->pos, "date_add: unknown unit '%s'", "?");
        int64_t us = as_us(&a[2]), r;
        if (u >= 6) {
            int64_t months = 0;
            if (__builtin_mul_overflow(a[1].i, (int64_t)(u == 6 ? 1 : u == 7 ? 3 : 12), &months) ||
                months > 1200000 || months < -1200000 || us > TS_MAX_US || us < -TS_MAX_US)
                return fl__qerr(ev->q, n->pos, FL_ERANGE, "date_add: result out of range");
            r = ts_add_months(us, months);
        } else {
            int64_t d;
            if (__builtin_mul_overflow(a[1].i, unit_us[u], &d) || __builtin_add_overflow(us, d, &r) ||
                r > TS_MAX_US || r < -TS_MAX_US)
                return fl__qerr(ev->q, n->pos, FL_ERANGE, "date_add: result out of range");
        }
        *out = a[2].t == QT_DATE ? mkint(floordiv(r, US_PER_DAY), QT_DATE) : mkint(r, QT_TS);
        return FL_OK;
    }
    case F_DATE_DIFF: {
        int u = unit_of(&a[0]);
        if (u < 0)
            return rterr(ev, n->a[0]->pos, "date_diff: unknown unit '%s'", "?");
        int64_t x = as_us(&a[1]), y = as_us(&a[2]), r;
        if (u >= 6) {
            r = months_between(x, y);
            r = u == 6 ? r : u == 7 ? r / 3 : r / 12;
        } else {
            r = (y - x) / unit_us[u];
        }
        *out = mkint(r, QT_INT);
        return FL_OK;
    }
    case F_DAY_OF_WEEK: case F_DAY_OF_YEAR: case F_YEAR: case F_MONTH: case F_DAY: case F_HOUR:
    case F_MINUTE: case F_SECOND: case F_QUARTER: case F_WEEK: {
        struct tparts t;
        tsplit(as_us(&a[0]), &t);
        int64_t r = 0;
        switch (n->fn) {
        case F_DAY_OF_WEEK: r = t.dow; break;
        case F_DAY_OF_YEAR: r = t.doy; break;
        case F_YEAR: r = t.y; break;
        case F_MONTH: r = t.mo; break;
        case F_DAY: r = t.d; break;
        case F_HOUR: r = t.h; break;
        case F_MINUTE: r = t.mi; break;
        case F_SECOND: r = t.s; break;
        case F_QUARTER: r = (t.mo - 1) / 3 + 1; break;
        default: {
            /* ISO week */
            int64_t days = floordiv(as_us(&a[0]), US_PER_DAY);
            int64_t thu = days - (t.dow - 1) + 3;
            int64_t y;
            unsigned m, d;
            civil(thu, &y, &m, &d);
            r = (thu - fl_days_from_civil(y, 1, 1)) / 7 + 1;
            break;
        }
        }
        *out = mkint(r, QT_INT);
        return FL_OK;
    }
    case F_DATE:
        return fl__qcast(ev, &a[0], QT_DATE, out, false, n->pos);
    case F_FROM_ISO8601: {
        int64_t s;
        int32_t ns;
        if (fl_time_parse_rfc3339(a[0].s, a[0].n, &s, &ns) != FL_OK) {
            int64_t us;
            if (fl__qparse_ts(a[0].s, a[0].n, &us) != FL_OK)
                return fl__qerr(ev->q, n->pos, FL_EINVAL, "from_iso8601_timestamp: invalid '%.*s'",
                                (int)FL_MIN(a[0].n, 40), a[0].s);
            *out = mkint(us, QT_TS);
            return FL_OK;
        }
        *out = mkint(s * US_PER_SEC + ns / 1000, QT_TS);
        return FL_OK;
    }
    case F_CONTAINS: {
        struct fl_cidr c;
        const struct fl_cidr *cp = n->aux;
        if (!cp) {
            if (fl_cidr_parse(a[0].s, a[0].n, &c) != FL_OK)
                return fl__qerr(ev->q, n->a[0]->pos, FL_EINVAL, "contains: invalid CIDR '%.*s'",
                                (int)FL_MIN(a[0].n, 60), a[0].s);
            cp = &c;
        }
        struct fl_ip ip;
        if (fl_ip_parse(a[1].s, a[1].n, &ip) != FL_OK) {
            *out = QV_NULL; /* not an address: unknown */
            return FL_OK;
        }
        *out = mkint(fl_cidr_contains(cp, &ip), QT_BOOL);
        return FL_OK;
    }
    default:
        return fl__qerr(ev->q, n->pos, FL_EINTERNAL, "function not implemented");
    }
num_type:
    if (n->type == QT_DBL && out->t == QT_INT)
        *out = mkdbl((double)out->i);
    return FL_OK;
}
