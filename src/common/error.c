/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.c - error codes to text and the caller-owned struct fl_error.
 */
#include <errno.h>

#include "common_int.h"

const char *fl_strerror(int rc)
{
    switch (rc) {
    case FL_OK: return "ok";
    case FL_ENOMEM: return "out of memory";
    case FL_EIO: return "input/output error";
    case FL_EPARSE: return "parse error";
    case FL_EINVAL: return "invalid argument";
    case FL_ERANGE: return "value out of range";
    case FL_ECORRUPT: return "corrupt or truncated data";
    case FL_EUNSUPPORTED: return "unsupported";
    case FL_ELIMIT: return "limit reached";
    case FL_EINTERNAL: return "internal error";
    case FL_ENOTFOUND: return "not found";
    case FL_EEXIST: return "already exists";
    case FL_ETIMEOUT: return "time limit exceeded";
    default: return "unknown error";
    }
}

static void vset(struct fl_error *err, int rc, int sys_errno, const char *fmt,
                 va_list ap)
{
    if (!err)
        return;
    err->rc = rc;
    err->sys_errno = sys_errno;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (sys_errno) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(sys_errno));
    }
    /* The message is one line whatever it quotes (log text, YAML scalars
     * with folded line breaks): control bytes become '?'. */
    for (char *m = err->msg; *m; m++)
        if ((unsigned char)*m < 0x20 || *m == 0x7f)
            *m = '?';
}

int fl_error_set(struct fl_error *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, rc, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int fl_error_sys(struct fl_error *err, int rc, int sys_errno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, rc, sys_errno, fmt, ap);
    va_end(ap);
    return rc;
}

void fl_error_where(struct fl_error *err, const char *source, uint64_t line,
                    uint64_t offset)
{
    if (!err)
        return;
    if (source)
        fl_strlcpy(err->source, source, strlen(source), sizeof err->source);
    err->line = line;
    err->offset = offset;
}

void fl_error_clear(struct fl_error *err)
{
    if (!err)
        return;
    err->rc = 0;
    err->sys_errno = 0;
    err->msg[0] = 0;
    err->source[0] = 0;
    err->line = 0;
    err->offset = 0;
}

void fl_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("flowsift: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
