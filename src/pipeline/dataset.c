/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dataset.c - the dataset layout on disk (docs/dataset.md): Hive escaping of
 * partition values, the partition folder of a row, parsing folders back,
 * durable file publication (fsync, rename, fsync of the folder), tree
 * removal and the sorted listing of the published Parquet files that skips
 * hidden ('.') and private ('_') names like every reader of the dataset.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_int.h"

static bool hive_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

size_t fl_hive_escape(const char *p, size_t n, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!p || n == 0)
        return fl_strlcpy(buf, FL_HIVE_NULL, sizeof FL_HIVE_NULL - 1, cap);
    size_t full = 0;
    for (size_t i = 0; i < n; i++)
        full += hive_plain((unsigned char)p[i]) ? 1 : 3;
    /* too long for a file name: cut and make it unique by a hash suffix */
    size_t limit = full <= 200 && full < cap ? full : FL_MIN((size_t)200, cap - 1) - 17;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        size_t need = hive_plain(c) ? 1 : 3;
        if (o + need > limit)
            break;
        if (need == 1) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = 0;
    if (limit != full)
        o += (size_t)snprintf(buf + o, cap - o, "~%016llx",
                              (unsigned long long)fl_hash_bytes(p, n, 0x5eed));
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int fl_hive_unescape(const char *p, size_t n, char *buf, size_t cap,
                     size_t *len_out, bool *is_null)
{
    *len_out = 0;
    *is_null = false;
    if (n == sizeof FL_HIVE_NULL - 1 && memcmp(p, FL_HIVE_NULL, n) == 0) {
        *is_null = true;
        buf[0] = 0;
        return FL_OK;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= cap)
            return FL_ELIMIT;
        if (p[i] == '%') {
            if (i + 2 >= n)
                return FL_EPARSE;
            int h = hexval(p[i + 1]), l = hexval(p[i + 2]);
            if (h < 0 || l < 0)
                return FL_EPARSE;
            buf[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            buf[o++] = p[i];
        }
    }
    buf[o] = 0;
    *len_out = o;
    return FL_OK;
}

/* Largest Unix second we turn into a date folder (9999-12-31T23:59:59Z). */
#define MAX_SEC 253402300799LL

void fl_part_time(const struct fl_batch *b, uint32_t row, int64_t *day_out,
                  int *hour_out)
{
    int64_t t;
    if (!fl_is_null(b, FL_COL_START, row))
        t = b->col[FL_COL_START].i[row];
    else if (!fl_is_null(b, FL_COL_END, row))
        t = b->col[FL_COL_END].i[row];
    else
        goto null;
    if (t < 0 || t > MAX_SEC)
        goto null;
    *day_out = t / 86400;
    *hour_out = (int)((t % 86400) / 3600);
    return;
null:
    *day_out = INT64_MIN;
    *hour_out = -1;
}

size_t fl_partition_path(const struct fl_part_key *k, bool by_hour, char *buf,
                         size_t cap)
{
    char c[256], a[256], r[256], d[32];
    fl_hive_escape(k->cloud.p, k->cloud.n, c, sizeof c);
    fl_hive_escape(k->account.p, k->account.n, a, sizeof a);
    fl_hive_escape(k->region.p, k->region.n, r, sizeof r);
    if (k->day == INT64_MIN) {
        fl_strlcpy(d, FL_HIVE_NULL, sizeof FL_HIVE_NULL - 1, sizeof d);
    } else {
        int64_t y;
        unsigned m, dd;
        fl_civil_from_days(k->day, &y, &m, &dd);
        snprintf(d, sizeof d, "%04lld-%02u-%02u", (long long)y, m, dd);
    }
    int n;
    if (by_hour) {
        char h[32];
        if (k->hour < 0)
            fl_strlcpy(h, FL_HIVE_NULL, sizeof FL_HIVE_NULL - 1, sizeof h);
        else
            snprintf(h, sizeof h, "%02d", k->hour);
        n = snprintf(buf, cap, "cloud=%s/account=%s/region=%s/date=%s/hour=%s", c, a,
                     r, d, h);
    } else {
        n = snprintf(buf, cap, "cloud=%s/account=%s/region=%s/date=%s", c, a, r, d);
    }
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}

/* Take "key=value" segment `key` from rel into buf (unescaped). */
static int seg_value(const char *rel, const char *key, char *buf, size_t cap,
                     bool *found, bool *is_null)
{
    size_t kl = strlen(key);
    const char *p = rel;
    *found = false;
    while (p && *p) {
        const char *e = strchr(p, '/');
        size_t sl = e ? (size_t)(e - p) : strlen(p);
        if (sl > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t len;
            *found = true;
            return fl_hive_unescape(p + kl + 1, sl - kl - 1, buf, cap, &len, is_null);
        }
        p = e ? e + 1 : NULL;
    }
    buf[0] = 0;
    return FL_OK;
}

int fl_partition_parse(const char *rel, struct fl_part_values *out)
{
    memset(out, 0, sizeof *out);
    out->hour = -1;
    bool f, nul;
    if (seg_value(rel, "cloud", out->cloud, sizeof out->cloud, &f, &nul) || !f)
        return FL_EPARSE;
    if (seg_value(rel, "account", out->account, sizeof out->account, &f, &nul) || !f)
        return FL_EPARSE;
    if (seg_value(rel, "region", out->region, sizeof out->region, &f, &nul) || !f)
        return FL_EPARSE;
    if (seg_value(rel, "date", out->date, sizeof out->date, &f, &nul) || !f)
        return FL_EPARSE;
    char h[40];
    if (seg_value(rel, "hour", h, sizeof h, &f, &nul))
        return FL_EPARSE;
    if (f) {
        out->has_hour = true;
        int64_t v;
        if (!nul && fl_parse_i64(h, strlen(h), &v) == FL_OK && v >= 0 && v < 24)
            out->hour = (int)v;
    }
    return FL_OK;
}

/* ---- durable files -------------------------------------------------------- */
int fl_fsync_path(const char *path, struct fl_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_error_sys(err, FL_EIO, errno, "cannot open %s", path);
    if (fsync(fd) != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return fl_error_sys(err, FL_EIO, e, "fsync %s", path);
    }
    close(fd);
    return FL_OK;
}

int fl__dirname(const char *path, char *buf, size_t cap)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return (int)fl_strlcpy(buf, ".", 1, cap);
    return (int)fl_strlcpy(buf, path, (size_t)(s - path) ? (size_t)(s - path) : 1, cap);
}

int fl_publish_file(const char *tmp, const char *final, struct fl_error *err)
{
    FL_TRY(fl_fsync_path(tmp, err));
    if (rename(tmp, final) != 0)
        return fl_error_sys(err, FL_EIO, errno, "cannot rename %s", tmp);
    char dir[4096];
    fl__dirname(final, dir, sizeof dir);
    return fl_fsync_path(dir, err);
}

int fl_rmtree(const char *path, struct fl_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? FL_OK
                               : fl_error_sys(err, FL_EIO, errno, "cannot stat %s", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT)
            return fl_error_sys(err, FL_EIO, errno, "cannot remove %s", path);
        return FL_OK;
    }
    DIR *d = opendir(path);
    if (!d)
        return fl_error_sys(err, FL_EIO, errno, "cannot open %s", path);
    struct dirent *e;
    int rc = FL_OK;
    while (rc == FL_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[4096];
        int k = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (k < 0 || (size_t)k >= sizeof sub) {
            rc = fl_error_set(err, FL_ELIMIT, "path too long under %s", path);
            break;
        }
        rc = fl_rmtree(sub, err);
    }
    closedir(d);
    if (rc == FL_OK && rmdir(path) != 0 && errno != ENOENT)
        rc = fl_error_sys(err, FL_EIO, errno, "cannot remove %s", path);
    return rc;
}

/* ---- listing ---------------------------------------------------------------- */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define LIST_MAX_DEPTH 8
#define LIST_MAX_ENTRIES 1000000

static int list_dir(const char *data, const char *rel, int depth, fl_dataset_file_fn fn,
                    void *ctx, struct fl_error *err)
{
    char dir[4096];
    int k = snprintf(dir, sizeof dir, "%s%s%s", data, *rel ? "/" : "", rel);
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof dir, err, FL_ELIMIT, "path too long");
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT && depth == 0)
            return FL_OK;
        return fl_error_sys(err, FL_EIO, errno, "cannot open %s", dir);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = FL_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_')
            continue;
        if (n == cap) {
            if (cap >= LIST_MAX_ENTRIES) {
                rc = fl_error_set(err, FL_ELIMIT, "too many entries in %s", dir);
                break;
            }
            size_t nc = cap ? cap * 2 : 64;
            char **nn = fl_realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = fl_strdup(e->d_name))) {
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == FL_OK)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; rc == FL_OK && i < n; i++) {
        char sub[4096], full[4096];
        k = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        if (k < 0 || (size_t)k >= sizeof sub)
            continue;
        if (snprintf(full, sizeof full, "%s/%s", data, sub) >= (int)sizeof full)
            continue;
        struct stat st;
        if (stat(full, &st) != 0)
            continue; /* vanished meanwhile */
        if (S_ISDIR(st.st_mode)) {
            if (depth < LIST_MAX_DEPTH)
                rc = list_dir(data, sub, depth + 1, fn, ctx, err);
        } else if (S_ISREG(st.st_mode)) {
            size_t l = strlen(names[i]);
            if (l > 8 && strcmp(names[i] + l - 8, ".parquet") == 0) {
                struct fl_dataset_file f = {sub, rel, (uint64_t)st.st_size,
                                            (int64_t)st.st_mtime};
                int r = fn(ctx, &f);
                if (r)
                    rc = r < 0 ? r : 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        fl_free(names[i]);
    fl_free(names);
    return rc;
}

int fl_dataset_list(const char *home, fl_dataset_file_fn fn, void *ctx,
                    struct fl_error *err)
{
    char data[4096];
    int k = snprintf(data, sizeof data, "%s/data", home);
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof data, err, FL_ELIMIT, "home path too long");
    int rc = list_dir(data, "", 0, fn, ctx, err);
    return rc > 0 ? FL_OK : rc;
}
