/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.c - the replaceable allocator (uv_replace_allocator style) and the
 * capped growable buffer.  Everything in the library allocates through
 * fl_malloc/fl_realloc/fl_free so tests can inject failures and budgets.
 */
#include <stdlib.h>

#include "common_int.h"

static struct fl_allocator g_alloc; /* set once before use; zero = libc */

void fl_set_allocator(const struct fl_allocator *a)
{
    if (a)
        g_alloc = *a;
    else
        memset(&g_alloc, 0, sizeof g_alloc);
}

void *fl_malloc(size_t n)
{
    if (g_alloc.malloc_fn)
        return g_alloc.malloc_fn(n ? n : 1, g_alloc.ctx);
    return malloc(n ? n : 1);
}

void *fl_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = fl_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *fl_realloc(void *p, size_t n)
{
    if (g_alloc.realloc_fn)
        return g_alloc.realloc_fn(p, n ? n : 1, g_alloc.ctx);
    return realloc(p, n ? n : 1);
}

void fl_free(void *p)
{
    if (!p)
        return;
    if (g_alloc.free_fn)
        g_alloc.free_fn(p, g_alloc.ctx);
    else
        free(p);
}

char *fl_strndup(const char *s, size_t n)
{
    char *d = fl_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *fl_strdup(const char *s) { return fl_strndup(s, strlen(s)); }

size_t fl_strlcpy(char *dst, const char *src, size_t n, size_t cap)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
    return n;
}

bool fl_str_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return false;
    }
    return true;
}

/* ---- fl_buf -------------------------------------------------------------- */
void fl_buf_init(struct fl_buf *b, size_t limit)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX / 2;
    b->err = 0;
}

void fl_buf_free(struct fl_buf *b)
{
    fl_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Record the first failure in err (callers may check it once at the end). */
static int buf_fail(struct fl_buf *b, int rc)
{
    if (!b->err)
        b->err = rc;
    return rc;
}

int fl_buf_reserve(struct fl_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return FL_OK;
    if (n > b->limit || b->len + n > b->limit)
        return buf_fail(b, FL_ELIMIT);
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap > b->limit + 1)
        cap = b->limit + 1;
    char *p = fl_realloc(b->p, cap);
    if (!p)
        return buf_fail(b, FL_ENOMEM);
    b->p = p;
    b->cap = cap;
    return FL_OK;
}

int fl_buf_add(struct fl_buf *b, const void *p, size_t n)
{
    FL_TRY(fl_buf_reserve(b, n));
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return FL_OK;
}

int fl_buf_addc(struct fl_buf *b, char c) { return fl_buf_add(b, &c, 1); }

int fl_buf_puts(struct fl_buf *b, const char *s) { return fl_buf_add(b, s, strlen(s)); }

int fl_buf_printf(struct fl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FL_EINVAL;
    FL_TRY(fl_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return FL_OK;
}

const char *fl_buf_cstr(struct fl_buf *b)
{
    if (fl_buf_reserve(b, 0) < 0 || !b->p)
        return "";
    b->p[b->len] = 0;
    return b->p;
}

uint64_t fl_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (n + 1));
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = fl_hash64(h ^ v) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    return fl_hash64(h ^ v ^ ((uint64_t)n << 56));
}
