/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dataset.c - the dataset layout: Hive escaping round trips (every
 * byte value, NULL, empty, over-long values cut with a hash), partition
 * paths of rows (date from start, else end, else NULL; hour folders; years
 * out of range), parsing folders back, the listing that skips hidden and
 * private names and temp files, durable publication and tree removal.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl/fl_dataset.h"
#include "unit.h"

TEST(hive_escape_roundtrip_all_bytes)
{
    char in[256], buf[240], back[256];
    for (int i = 0; i < 64; i++)
        in[i] = (char)(i * 4 + 1); /* a spread of byte values incl. '/', '=', '%' */
    for (int start = 0; start < 256; start += 60) {
        char v[60];
        for (int i = 0; i < 60; i++)
            v[i] = (char)((start + i) & 0xff);
        size_t n = fl_hive_escape(v, 60, buf, sizeof buf);
        ASSERT(n <= 200);
        for (size_t i = 0; i < n; i++) {
            char c = buf[i];
            ASSERT((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-' || c == '%');
        }
        size_t bn;
        bool nul;
        ASSERT_EQ_INT(fl_hive_unescape(buf, n, back, sizeof back, &bn, &nul), FL_OK);
        ASSERT(!nul);
        ASSERT_EQ_MEM(back, bn, v, 60);
    }
    (void)in;
    ASSERT_EQ_INT(fl_hive_escape("123456789012", 12, buf, sizeof buf), 12);
    ASSERT_EQ_STR(buf, "123456789012");
    fl_hive_escape("a/b c=d%", 8, buf, sizeof buf);
    ASSERT_EQ_STR(buf, "a%2Fb%20c%3Dd%25");
    fl_hive_escape(NULL, 0, buf, sizeof buf);
    ASSERT_EQ_STR(buf, FL_HIVE_NULL);
    fl_hive_escape("", 0, buf, sizeof buf);
    ASSERT_EQ_STR(buf, FL_HIVE_NULL);
    size_t bn;
    bool nul;
    ASSERT_EQ_INT(fl_hive_unescape(FL_HIVE_NULL, strlen(FL_HIVE_NULL), back, sizeof back, &bn, &nul),
                  FL_OK);
    ASSERT(nul);
    ASSERT_EQ_INT(fl_hive_unescape("a%2", 3, back, sizeof back, &bn, &nul), FL_EPARSE);
    ASSERT_EQ_INT(fl_hive_unescape("a%zz", 4, back, sizeof back, &bn, &nul), FL_EPARSE);
}

TEST(hive_escape_long_values_are_cut_uniquely)
{
    char a[1000], b[1000], ea[512], eb[512];
    memset(a, '/', sizeof a);
    memcpy(b, a, sizeof b);
    b[999] = 'x';
    size_t na = fl_hive_escape(a, sizeof a, ea, sizeof ea);
    size_t nb = fl_hive_escape(b, sizeof b, eb, sizeof eb);
    ASSERT(na <= 200 && nb <= 200);
    ASSERT(strchr(ea, '~') != NULL);
    ASSERT(strcmp(ea, eb) != 0);
    /* never cut inside a %XX */
    char *t = strchr(ea, '~');
    ASSERT((t - ea) % 3 == 0);
}

static struct fl_batch *row_batch(int64_t start, bool start_null, int64_t end, bool end_null)
{
    struct fl_batch *b = fl_batch_new(4);
    int r = fl_batch_add_row(b);
    if (!start_null)
        fl_set_i64(b, FL_COL_START, (uint32_t)r, start);
    if (!end_null)
        fl_set_i64(b, FL_COL_END, (uint32_t)r, end);
    return b;
}

TEST(partition_of_rows)
{
    int64_t day;
    int hour;
    struct fl_batch *b = row_batch(1418530010, false, 0, true); /* 2014-12-14T04:06:50Z */
    fl_part_time(b, 0, &day, &hour);
    ASSERT_EQ_INT(hour, 4);
    struct fl_part_key k = {FL_STR_LIT("aws"), FL_STR_LIT("0123"), FL_STR_NULL, day, hour};
    char buf[512];
    ASSERT(fl_partition_path(&k, false, buf, sizeof buf) > 0);
    ASSERT_EQ_STR(buf, "cloud=aws/account=0123/region=" FL_HIVE_NULL "/date=2014-12-14");
    ASSERT(fl_partition_path(&k, true, buf, sizeof buf) > 0);
    ASSERT_EQ_STR(buf, "cloud=aws/account=0123/region=" FL_HIVE_NULL "/date=2014-12-14/hour=04");
    ASSERT_EQ_INT(fl_partition_path(&k, true, buf, 20), 0); /* does not fit */
    fl_batch_free(b);
    /* end when start is NULL; NULL when both are; out-of-range years */
    b = row_batch(0, true, 86400 * 2 + 3600 * 23, false);
    fl_part_time(b, 0, &day, &hour);
    ASSERT_EQ_INT(day, 2);
    ASSERT_EQ_INT(hour, 23);
    fl_batch_free(b);
    b = row_batch(0, true, 0, true);
    fl_part_time(b, 0, &day, &hour);
    ASSERT(day == INT64_MIN && hour == -1);
    k.day = day;
    k.hour = hour;
    fl_partition_path(&k, true, buf, sizeof buf);
    ASSERT(strstr(buf, "date=" FL_HIVE_NULL "/hour=" FL_HIVE_NULL) != NULL);
    fl_batch_free(b);
    b = row_batch(-5, false, 0, true);
    fl_part_time(b, 0, &day, &hour);
    ASSERT(day == INT64_MIN);
    fl_batch_free(b);
    b = row_batch(253402300800LL, false, 0, true); /* year 10000 */
    fl_part_time(b, 0, &day, &hour);
    ASSERT(day == INT64_MIN);
    fl_batch_free(b);
}

TEST(partition_parse_back)
{
    struct fl_part_values v;
    ASSERT_EQ_INT(fl_partition_parse("cloud=aws/account=a%2Fb/region=" FL_HIVE_NULL
                                     "/date=2024-02-29/hour=07",
                                     &v),
                  FL_OK);
    ASSERT_EQ_STR(v.cloud, "aws");
    ASSERT_EQ_STR(v.account, "a/b");
    ASSERT_EQ_STR(v.region, "");
    ASSERT_EQ_STR(v.date, "2024-02-29");
    ASSERT(v.has_hour && v.hour == 7);
    ASSERT_EQ_INT(fl_partition_parse("cloud=aws/account=1/date=2024-01-01", &v), FL_EPARSE);
}

static int count_cb(void *ctx, const struct fl_dataset_file *f)
{
    int *n = ctx;
    ASSERT(f->path[0] != '.');
    ASSERT(strstr(f->path, "/.") == NULL && strstr(f->path, "/_") == NULL);
    (*n)++;
    return 0;
}

static void touch(const char *p)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ_INT(write(fd, "x", 1), 1);
    close(fd);
}

TEST(listing_skips_hidden_private_and_temp)
{
    char home[128], p[512];
    snprintf(home, sizeof home, "/tmp/fl_test_dataset_%d", (int)getpid());
    struct fl_error e;
    fl_rmtree(home, &e);
    snprintf(p, sizeof p, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01", home);
    ASSERT_EQ_INT(fl_mkdirs(p, &e), FL_OK);
    snprintf(p, sizeof p, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01/a.parquet", home);
    touch(p);
    snprintf(p, sizeof p, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01/.b.parquet.tmp", home);
    touch(p);
    snprintf(p, sizeof p, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01/_c.parquet", home);
    touch(p);
    snprintf(p, sizeof p, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01/notes.txt", home);
    touch(p);
    snprintf(p, sizeof p, "%s/data/.staging/date=2024-01-02", home);
    ASSERT_EQ_INT(fl_mkdirs(p, &e), FL_OK);
    snprintf(p, sizeof p, "%s/data/.staging/date=2024-01-02/d.parquet", home);
    touch(p);
    /* publication: temp -> final, durable */
    char tmp[512], fin[512];
    snprintf(tmp, sizeof tmp, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01/.e.parquet.tmp", home);
    snprintf(fin, sizeof fin, "%s/data/cloud=aws/account=1/region=r/date=2024-01-01/e.parquet", home);
    touch(tmp);
    ASSERT_EQ_INT(fl_publish_file(tmp, fin, &e), FL_OK);
    ASSERT(access(tmp, F_OK) != 0 && access(fin, F_OK) == 0);
    int n = 0;
    ASSERT_EQ_INT(fl_dataset_list(home, count_cb, &n, &e), FL_OK);
    ASSERT_EQ_INT(n, 2); /* a.parquet and e.parquet */
    ASSERT_EQ_INT(fl_rmtree(home, &e), FL_OK);
    ASSERT(access(home, F_OK) != 0);
    ASSERT_EQ_INT(fl_rmtree(home, &e), FL_OK); /* missing is fine */
    n = 0;
    ASSERT_EQ_INT(fl_dataset_list(home, count_cb, &n, &e), FL_OK); /* no dataset yet */
    ASSERT_EQ_INT(n, 0);
}

UNIT_MAIN()
