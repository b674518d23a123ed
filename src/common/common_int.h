/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common_int.h - internal helpers every module may use: error macros, a
 * capped growable buffer, hashing, branch hints.  Depends on libc only.
 */
#ifndef FL_COMMON_INT_H
#define FL_COMMON_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fl/fl_common.h"

#define FL_LIKELY(x) __builtin_expect(!!(x), 1)
#define FL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define FL_UNUSED(x) ((void)(x))

/* Return rc (with a message in err) when cond holds. */
#define FL_RETURN_IF(cond, err, rc, ...)                                       \
    do {                                                                       \
        if (FL_UNLIKELY(cond))                                                 \
            return fl_error_set((err), (rc), __VA_ARGS__);                     \
    } while (0)
/* Evaluate expr; return its value if negative. */
#define FL_TRY(expr)                                                           \
    do {                                                                       \
        int fl_try_rc_ = (expr);                                               \
        if (FL_UNLIKELY(fl_try_rc_ < 0))                                       \
            return fl_try_rc_;                                                 \
    } while (0)

/* ---- capped growable buffer (curl dynbuf) ------------------------------- */
struct fl_buf {
    char *p;
    size_t len;
    size_t cap;   /* allocated */
    size_t limit; /* never grow past this (FL_ELIMIT) */
    int err;      /* first failure of a reserve (sticky until reset): lets a
                   * writer of many small pieces check once at the end */
};
void fl_buf_init(struct fl_buf *b, size_t limit);
void fl_buf_free(struct fl_buf *b);
static inline void fl_buf_reset(struct fl_buf *b)
{
    b->len = 0;
    b->err = 0;
}
/* Make room for n more bytes. FL_OK, FL_ENOMEM or FL_ELIMIT (also kept in
 * err). */
int fl_buf_reserve(struct fl_buf *b, size_t n);
int fl_buf_add(struct fl_buf *b, const void *p, size_t n);
int fl_buf_addc(struct fl_buf *b, char c);
int fl_buf_puts(struct fl_buf *b, const char *s); /* without its NUL */
int fl_buf_printf(struct fl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminate (not counted in len) and return p. */
const char *fl_buf_cstr(struct fl_buf *b);

/* ---- libraries bound at run time (dl.c) ---------------------------------- */
/* A library loaded on first use: `fns` points at a struct of exactly n
 * function pointers, in the order of `names` (declare both from one X-macro
 * list so they cannot drift apart).  fl_dl_load() binds them once
 * (thread-safe); FL_OK, or FL_EIO naming the library and its Debian package. */
struct fl_dl {
    const char *soname;            /* "libcurl.so.4" */
    const char *package;           /* "libcurl4" */
    const char *const *names;      /* "curl_easy_init", ... */
    size_t n;
    void *fns;
    int state;                     /* 0 not tried, 1 bound, -1 failed */
    char why[300];
};
#define FL_DL_CHECK(table, names) \
    _Static_assert(sizeof(table) == FL_ARRAY_LEN(names) * sizeof(void (*)(void)), #table " and " #names " differ")
int fl_dl_load(struct fl_dl *d, struct fl_error *err);

/* ---- hashing ------------------------------------------------------------ */
static inline uint64_t fl_hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
/* 64-bit hash of bytes (wyhash-style mixing; not cryptographic). */
uint64_t fl_hash_bytes(const void *p, size_t n, uint64_t seed);

/* ---- small string helpers ------------------------------------------------ */
static inline bool fl_str_eq(struct fl_str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.n == n && memcmp(a.p, lit, n) == 0;
}
bool fl_str_ieq(const char *a, size_t an, const char *b, size_t bn);
/* Copy at most cap-1 bytes and NUL-terminate (cap > 0). Returns length. */
size_t fl_strlcpy(char *dst, const char *src, size_t n, size_t cap);

/* Logging to stderr for the CLI and debug builds (library code calls it only
 * for one-time warnings). */
void fl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
