/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rollup.c - hourly rollup sidecars (src/pipeline/rollup.c) without an
 * ingest: an accumulator fed by hand-made batches writes the sidecar of a
 * stand-in data file (the panel API only stats data files, it never reads
 * them), and the panel answers are checked against the rows put in.  Covers
 * values longer than the accumulator's string cap (no sidecar rather than
 * cut, merged values), and truncated or overwritten sidecars (a fall back
 * to SQL, never a crash or an answer from a damaged file).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl/fl_common.h"
#include "fl/fl_record.h"
#include "pipeline/rollup.h"
#include "unit.h"

#define PART "cloud=aws/account=111122223333/region=eu-west-1/date=2026-11-20"
#define T0 1795132800LL /* 2026-11-20T00:00:00Z */

static char home[256];

static void sh(const char *fmt, const char *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, arg);
    ASSERT(system(cmd) == 0);
}

/* A fresh home holding one stand-in data file of 1000 bytes. */
static void make_home(void)
{
    snprintf(home, sizeof home, "/tmp/fl_test_rollup.XXXXXX");
    ASSERT(mkdtemp(home) != NULL);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/data/" PART "' && head -c 1000 /dev/zero > '%s/data/" PART "/f1.parquet'", home, home);
    ASSERT(system(cmd) == 0);
}

static void add_row(struct fl_batch *b, int64_t start, const char *action, const char *src,
                    size_t src_n, int64_t bytes)
{
    int row = fl_batch_add_row(b);
    ASSERT(row >= 0);
    fl_set_i64(b, FL_COL_START, (uint32_t)row, start);
    ASSERT(fl_set_str(b, FL_COL_ACTION, (uint32_t)row, action, strlen(action)) == FL_OK);
    ASSERT(fl_set_str(b, FL_COL_SRCADDR, (uint32_t)row, src, src_n) == FL_OK);
    fl_set_i64(b, FL_COL_BYTES, (uint32_t)row, bytes);
    fl_set_i64(b, FL_COL_PACKETS, (uint32_t)row, 1);
}

/* Write the accumulator's sidecar for f1.parquet and publish it; returns
 * false when the accumulator wrote none. */
static bool publish(struct fl__rollup *r, char *final, size_t cap)
{
    char *tmp = NULL;
    struct fl_error e;
    ASSERT(fl__rollup_write_tmp(r, home, PART, "f1.parquet", 1000, 3, &tmp, &e) == FL_OK);
    if (!tmp)
        return false;
    ASSERT(fl__rollup_final(tmp, final, cap) == FL_OK);
    ASSERT(rename(tmp, final) == 0);
    fl_free(tmp);
    return true;
}

static int top(struct fl__rollup_result *res)
{
    struct fl__rollup_query q = {T0, T0 + 86400, NULL, NULL, "top-talkers", 10};
    struct fl_error e;
    return fl__rollup_panel(home, NULL, &q, res, &e);
}

TEST(panel_from_sidecar)
{
    make_home();
    struct fl_batch *b = fl_batch_new(16);
    struct fl__rollup *r = fl__rollup_new();
    ASSERT(b && r);
    add_row(b, T0 + 60, "ACCEPT", "10.0.0.1", 8, 100);
    add_row(b, T0 + 7200, "REJECT", "10.0.0.1", 8, 50);
    add_row(b, T0 + 7300, "ACCEPT", "10.0.0.2", 8, 500);
    fl__rollup_add(r, b, NULL, b->n);
    char final[1024];
    ASSERT(publish(r, final, sizeof final));
    struct fl__rollup_result res;
    ASSERT_EQ_INT(top(&res), FL_OK);
    ASSERT_EQ_INT(res.n_rows, 2);
    ASSERT_EQ_INT(res.n_cols, 3);
    ASSERT_EQ_MEM(res.cells[0].s.p, res.cells[0].s.n, "10.0.0.2", 8);
    ASSERT_EQ_INT(res.cells[1].i, 500);
    ASSERT_EQ_MEM(res.cells[3].s.p, res.cells[3].s.n, "10.0.0.1", 8);
    ASSERT_EQ_INT(res.cells[4].i, 150);
    ASSERT_EQ_INT(res.cells[5].i, 2);
    fl__rollup_result_free(&res);
    fl__rollup_free(r);
    fl_batch_free(b);
    sh("rm -rf '%s'", home);
}

/* Two addresses that agree on their first 4096 bytes must not be summed
 * as one (nor shown cut): such a file gets no sidecar, the panel its SQL. */
TEST(long_values_get_no_sidecar)
{
    make_home();
    struct fl_batch *b = fl_batch_new(16);
    struct fl__rollup *r = fl__rollup_new();
    ASSERT(b && r);
    size_t n = 5000;
    char *x = malloc(n), *y = malloc(n);
    ASSERT(x && y);
    memset(x, 'a', n);
    memset(y, 'a', n);
    y[n - 1] = 'b';
    add_row(b, T0 + 60, "ACCEPT", x, n, 100);
    add_row(b, T0 + 120, "ACCEPT", y, n, 200);
    fl__rollup_add(r, b, NULL, b->n);
    char final[1024];
    ASSERT(!publish(r, final, sizeof final));
    struct fl__rollup_result res;
    ASSERT_EQ_INT(top(&res), FL_ENOTFOUND);
    /* the accumulator is usable again after a reset */
    fl__rollup_reset(r);
    fl_batch_reset(b);
    add_row(b, T0 + 60, "ACCEPT", "10.0.0.9", 8, 7);
    fl__rollup_add(r, b, NULL, b->n);
    ASSERT(publish(r, final, sizeof final));
    ASSERT_EQ_INT(top(&res), FL_OK);
    ASSERT_EQ_INT(res.n_rows, 1);
    ASSERT_EQ_INT(res.cells[1].i, 7);
    fl__rollup_result_free(&res);
    free(x);
    free(y);
    fl__rollup_free(r);
    fl_batch_free(b);
    sh("rm -rf '%s'", home);
}

static void put_file(const char *path, const char *p, size_t n)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.w", path);
    FILE *f = fopen(tmp, "wb");
    ASSERT(f);
    ASSERT(fwrite(p, 1, n, f) == n);
    ASSERT(fclose(f) == 0);
    ASSERT(rename(tmp, path) == 0); /* a new inode, as a publish makes */
}

/* Every truncation falls back to SQL; a 0xFFFFFFFF or 0 written over any
 * 4-byte word either still answers or falls back, never crashes (the
 * sanitizer build checks the reads), and the pristine file answers again. */
TEST(damaged_sidecars_fall_back)
{
    make_home();
    struct fl_batch *b = fl_batch_new(64);
    struct fl__rollup *r = fl__rollup_new();
    ASSERT(b && r);
    char ip[32];
    for (int i = 0; i < 40; i++) {
        int k = snprintf(ip, sizeof ip, "10.0.%d.%d", i % 3, i);
        add_row(b, T0 + 600 * i, i % 4 ? "ACCEPT" : "REJECT", ip, (size_t)k, 10 * i);
    }
    fl__rollup_add(r, b, NULL, b->n);
    char final[1024];
    ASSERT(publish(r, final, sizeof final));
    FILE *f = fopen(final, "rb");
    ASSERT(f);
    static char good[1 << 16];
    size_t n = fread(good, 1, sizeof good, f);
    fclose(f);
    ASSERT(n > 64 && n < sizeof good);
    struct fl__rollup_result res;
    ASSERT_EQ_INT(top(&res), FL_OK);
    ASSERT_EQ_INT(res.n_rows, 10);
    fl__rollup_result_free(&res);
    for (size_t cut = 0; cut < n; cut++) {
        put_file(final, good, cut);
        int rc = top(&res);
        if (rc != FL_ENOTFOUND)
            UNIT_FAIL("sidecar cut at %zu of %zu: rc %d, want FL_ENOTFOUND", cut, n, rc);
    }
    static char bad[1 << 16];
    static const uint32_t words[] = {0xFFFFFFFFu, 0, 0x7FFFFFFFu};
    int answered = 0, fell_back = 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        for (size_t at = 0; at + 4 <= n; at += 4) {
            memcpy(bad, good, n);
            memcpy(bad + at, &words[w], 4);
            put_file(final, bad, n);
            int rc = top(&res);
            if (rc == FL_OK) {
                answered++;
                ASSERT(res.n_rows <= 10);
                fl__rollup_result_free(&res);
            } else if (rc == FL_ENOTFOUND) {
                fell_back++;
            } else {
                UNIT_FAIL("word %zu at %zu: rc %d", w, at, rc);
            }
        }
    ASSERT(fell_back > 0 && answered > 0);
    put_file(final, good, n);
    ASSERT_EQ_INT(top(&res), FL_OK);
    ASSERT_EQ_INT(res.n_rows, 10);
    fl__rollup_result_free(&res);
    fl__rollup_free(r);
    fl_batch_free(b);
    sh("rm -rf '%s'", home);
}

/* Many files of one partition, one sidecar each: the panel covers them all
 * (each named file looked up once), through a cache on repeated calls, and
 * one file that changed size sends the whole range to SQL. */
TEST(many_files)
{
    make_home();
    enum { NF = 300 };
    struct fl_batch *b = fl_batch_new(16);
    struct fl__rollup *r = fl__rollup_new();
    struct fl__rollup_cache *c = fl__rollup_cache_new(0);
    ASSERT(b && r && c);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "cd '%s/data/" PART "' && rm f1.parquet && for i in $(seq 1000 %d); do "
             "head -c 100 /dev/zero > f$i.parquet; done", home, 999 + NF);
    ASSERT(system(cmd) == 0);
    for (int i = 0; i < NF; i++) {
        char name[64], ip[32], *tmp = NULL, fin[1024];
        snprintf(name, sizeof name, "f%d.parquet", 1000 + i);
        int k = snprintf(ip, sizeof ip, "10.1.%d.%d", i / 250, i % 250);
        fl__rollup_reset(r);
        fl_batch_reset(b);
        add_row(b, T0 + i, "ACCEPT", ip, (size_t)k, 1);
        fl__rollup_add(r, b, NULL, b->n);
        struct fl_error e;
        ASSERT(fl__rollup_write_tmp(r, home, PART, name, 100, 1, &tmp, &e) == FL_OK && tmp);
        ASSERT(fl__rollup_final(tmp, fin, sizeof fin) == FL_OK);
        ASSERT(rename(tmp, fin) == 0);
        fl_free(tmp);
    }
    struct fl__rollup_query q = {T0, T0 + 86400, NULL, NULL, "traffic", 0};
    struct fl__rollup_result res;
    struct fl_error e;
    for (int round = 0; round < 3; round++) {
        q.limit = round; /* not the cached reply */
        ASSERT_EQ_INT(fl__rollup_panel(home, c, &q, &res, &e), FL_OK);
        ASSERT_EQ_INT(res.n_rows, 1);
        ASSERT_EQ_INT(res.cells[2].i, NF); /* bytes */
        ASSERT_EQ_INT(res.cells[3].i, NF); /* flows */
        fl__rollup_result_free(&res);
    }
    snprintf(cmd, sizeof cmd, "echo >> '%s/data/" PART "/f1200.parquet'", home);
    ASSERT(system(cmd) == 0);
    ASSERT_EQ_INT(fl__rollup_panel(home, c, &q, &res, &e), FL_ENOTFOUND);
    fl__rollup_cache_free(c);
    fl__rollup_free(r);
    fl_batch_free(b);
    sh("rm -rf '%s'", home);
}

/* The cache's string dictionary stays under its budget however many
 * distinct addresses the sidecars hold: past it, it starts again and a
 * panel that straddled the restart falls back to SQL; answers stay right. */
TEST(dictionary_bounded)
{
    make_home();
    enum { NDAYS = 10, NHOST = 30000 };
    struct fl_batch *b = fl_batch_new(NHOST);
    struct fl__rollup *r = fl__rollup_new();
    ASSERT(b && r);
    for (int d = 0; d < NDAYS; d++) {
        char part[200], cmd[1400], name[] = "f.parquet", ip[32], *tmp = NULL, fin[1024];
        snprintf(part, sizeof part, "cloud=aws/account=111122223333/region=eu-west-1/date=2026-11-%02d", 10 + d);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/data/%s' && head -c 100 /dev/zero > '%s/data/%s/f.parquet'",
                 home, part, home, part);
        ASSERT(system(cmd) == 0);
        fl__rollup_reset(r);
        fl_batch_reset(b);
        for (int i = 0; i < NHOST; i++) {
            int k = snprintf(ip, sizeof ip, "10.%d.%d.%d", d, i / 250, i % 250);
            add_row(b, T0 - (10 - d) * 86400LL + 60, "ACCEPT", ip, (size_t)k, i == 77 ? 1000000 + d : 1);
        }
        fl__rollup_add(r, b, NULL, b->n);
        struct fl_error e;
        ASSERT(fl__rollup_write_tmp(r, home, part, name, 100, NHOST, &tmp, &e) == FL_OK && tmp);
        ASSERT(fl__rollup_final(tmp, fin, sizeof fin) == FL_OK);
        ASSERT(rename(tmp, fin) == 0);
        fl_free(tmp);
    }
    struct fl__rollup_cache *small = fl__rollup_cache_new(1), *big = fl__rollup_cache_new(0);
    ASSERT(small && big);
    struct fl__rollup_result res;
    struct fl_error e;
    struct fl__rollup_query all = {T0 - 10 * 86400LL, T0, NULL, NULL, "top-talkers", 3};
    uint64_t most = 0;
    for (int round = 0; round < 3; round++) {
        /* every day alone answers from rollups, right */
        for (int d = 0; d < NDAYS; d++) {
            struct fl__rollup_query q = {T0 - (10 - d) * 86400LL, T0 - (9 - d) * 86400LL, NULL, NULL,
                                         "top-talkers", 2};
            ASSERT_EQ_INT(fl__rollup_panel(home, small, &q, &res, &e), FL_OK);
            ASSERT_EQ_INT(res.n_rows, 2);
            char want[32];
            int k = snprintf(want, sizeof want, "10.%d.0.77", d);
            ASSERT_EQ_MEM(res.cells[0].s.p, res.cells[0].s.n, want, (size_t)k);
            ASSERT_EQ_INT(res.cells[1].i, 1000000 + d);
            fl__rollup_result_free(&res);
            { uint64_t db = fl__rollup_cache_dict_bytes(small); if (db > most) most = db; }
        }
        /* all days at once do not fit the small dictionary: SQL */
        ASSERT_EQ_INT(fl__rollup_panel(home, small, &all, &res, &e), FL_ENOTFOUND);
        { uint64_t db = fl__rollup_cache_dict_bytes(small); if (db > most) most = db; }
    }
    if (most > (8u << 20))
        UNIT_FAIL("dictionary reached %llu bytes", (unsigned long long)most);
    /* a roomy cache answers the whole range */
    ASSERT_EQ_INT(fl__rollup_panel(home, big, &all, &res, &e), FL_OK);
    ASSERT_EQ_INT(res.n_rows, 3);
    ASSERT_EQ_MEM(res.cells[0].s.p, res.cells[0].s.n, "10.9.0.77", 9);
    ASSERT_EQ_INT(res.cells[1].i, 1000009);
    fl__rollup_result_free(&res);
    ASSERT(fl__rollup_cache_dict_bytes(big) > (8u << 20));
    fl__rollup_cache_free(small);
    fl__rollup_cache_free(big);
    fl__rollup_free(r);
    fl_batch_free(b);
    sh("rm -rf '%s'", home);
}

UNIT_MAIN()
