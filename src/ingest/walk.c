/* SPDX-License-Identifier: Apache-2.0 */
/*
 * walk.c - expanding the command line's inputs (fl_walk): a file is itself,
 * "-" is stdin, a folder is walked recursively with its entries in byte
 * order (strcmp, independent of the locale), so the same tree always gives
 * the same input order.  Names starting with '.' or '_' are skipped
 * (hidden files, our own and Spark/Hive temporary files such as _SUCCESS or
 * _temporary).  Depth and path length are capped.  A path that cannot be
 * read is handed to the callback with its error; the walk goes on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ingest_int.h"

#define WALK_MAX_DEPTH 64
#define WALK_MAX_PATH 4096

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int report(fl_walk_fn fn, void *ctx, const char *path, int rc, int e,
                  const char *what)
{
    struct fl_error err;
    fl_error_clear(&err);
    fl_error_sys(&err, rc, e, "%s: %s%s%s", path, what, e ? ": " : "", e ? strerror(e) : "");
    fl_error_where(&err, path, 0, 0);
    return fn(ctx, path, rc, &err);
}

static int walk_dir(const char *dir, int depth, fl_walk_fn fn, void *ctx)
{
    if (depth > WALK_MAX_DEPTH)
        return report(fn, ctx, dir, FL_ELIMIT, 0, "folders nested too deeply");
    DIR *d = opendir(dir);
    if (!d)
        return report(fn, ctx, dir, FL_EIO, errno, "cannot open folder");
    size_t n = 0, cap = 0;
    char **names = NULL;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = fl_realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = FL_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        names[n] = fl_strdup(de->d_name);
        if (!names[n]) {
            rc = FL_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    char path[WALK_MAX_PATH];
    for (size_t i = 0; i < n && rc == 0; i++) {
        int k = snprintf(path, sizeof path, "%s%s%s", dir,
                         dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        if (k < 0 || (size_t)k >= sizeof path) {
            rc = report(fn, ctx, names[i], FL_ELIMIT, 0, "path too long");
            continue;
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = report(fn, ctx, path, FL_EIO, errno, "cannot read");
            continue;
        }
        if (S_ISDIR(st.st_mode))
            rc = walk_dir(path, depth + 1, fn, ctx);
        else if (S_ISREG(st.st_mode))
            rc = fn(ctx, path, 0, NULL);
    }
    for (size_t i = 0; i < n; i++)
        fl_free(names[i]);
    fl_free(names);
    if (rc == FL_ENOMEM)
        return report(fn, ctx, dir, FL_ENOMEM, 0, "out of memory listing the folder");
    return rc;
}

int fl_walk(const char *const *paths, int n_paths, fl_walk_fn fn, void *ctx)
{
    for (int i = 0; i < n_paths; i++) {
        const char *p = paths[i];
        int rc;
        if (strcmp(p, "-") == 0) {
            rc = fn(ctx, p, 0, NULL);
        } else {
            struct stat st;
            if (stat(p, &st) != 0)
                rc = report(fn, ctx, p, FL_EIO, errno, "cannot read");
            else if (S_ISDIR(st.st_mode))
                rc = walk_dir(p, 0, fn, ctx);
            else
                rc = fn(ctx, p, 0, NULL);
        }
        if (rc != 0)
            return rc; /* the callback asked to stop */
    }
    return 0;
}
