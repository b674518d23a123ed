/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsutil.c - small file-system helpers shared by the layers that create
 * folders (the state database, the dataset, rule tests): `mkdir -p`.
 */
#include <errno.h>
#include <sys/stat.h>

#include "common_int.h"

int fl_mkdirs(const char *path, struct fl_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    FL_RETURN_IF(n == 0 || n >= sizeof buf, err, FL_EINVAL, "bad directory name");
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return fl_error_sys(err, FL_EIO, errno, "cannot create %s", buf);
        buf[i] = c;
    }
    return FL_OK;
}
