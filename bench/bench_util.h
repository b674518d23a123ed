/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_util.h - what the C benchmark programs of bench/ share: a
 * clock in seconds (wall: CLOCK_MONOTONIC; CPU of the process or of the
 * calling thread: the steadier figures on a shared machine) and the median
 * of a few runs.  Header-only: each program is one file.
 */
#ifndef FL_BENCH_UTIL_H
#define FL_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorts v); the mean of the middle two when n is even. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
