/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_errors.h - the error model of the flowsift library.
 *
 * Every fallible function returns an int: FL_OK (0) or a negative FL_E* code.
 * Details go into an optional, caller-owned struct fl_error, which needs no
 * allocation.  A malformed input *record* is not an error: it is counted in
 * the ingest statistics (see fl_ingest.h) and the parse goes on.
 *
 * Thread-safety: all functions here are pure or write only the caller's
 * struct fl_error.
 */
#ifndef FL_ERRORS_H
#define FL_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#define FL_OK 0
#define FL_ENOMEM (-1)       /* allocation failed or an allocation budget hit */
#define FL_EIO (-2)          /* read/write/open failed; sys_errno says why */
#define FL_EPARSE (-3)       /* malformed input (strict mode, config, SQL) */
#define FL_EINVAL (-4)       /* bad argument or option */
#define FL_ERANGE (-5)       /* value out of range */
#define FL_ECORRUPT (-6)     /* corrupt or truncated file (gzip, Parquet) */
#define FL_EUNSUPPORTED (-7) /* valid but unsupported input */
#define FL_ELIMIT (-8)       /* a configured cap was reached */
#define FL_EINTERNAL (-9)    /* invariant broken: a bug */
#define FL_ENOTFOUND (-10)   /* named thing does not exist */
#define FL_EEXIST (-11)      /* already exists / already done */
#define FL_ETIMEOUT (-12)    /* a time limit ran out (query timeout) */

/* Detail of an error.  All fields are written by the library on failure. */
struct fl_error {
    int rc;            /* the FL_E* code, same as returned */
    int sys_errno;     /* errno at the failure, or 0 */
    char msg[512];     /* human-readable, one line, no trailing newline */
    char source[256];  /* input name (file, object key) or "" */
    uint64_t line;     /* 1-based line in source, 0 if not applicable */
    uint64_t offset;   /* byte offset in source, 0 if not applicable */
};

/* Static text for an FL_E* code ("out of memory", ...). Never NULL. */
const char *fl_strerror(int rc);

/*
 * Fill err (if not NULL) with rc and a printf-style message; returns rc so
 * that callers can write `return fl_error_set(err, FL_EIO, "...")`.
 */
int fl_error_set(struct fl_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, and also records errno into err->sys_errno. */
int fl_error_sys(struct fl_error *err, int rc, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Set where the error happened (source name, line, offset). */
void fl_error_where(struct fl_error *err, const char *source, uint64_t line,
                    uint64_t offset);

/* Reset err to "no error". */
void fl_error_clear(struct fl_error *err);

#endif
