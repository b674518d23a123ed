/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textlines.c - a bounded line reader for the enrichment's text sources (ASN
 * range CSV files, threat-intel lists).  One fixed buffer is reused for the
 * whole file, so a 50 MB CSV costs the buffer, not 50 MB of fresh pages, and
 * a hostile file with one endless line cannot grow memory.
 */
#include <errno.h>

#include "enrich_int.h"

int fl__tlines_open(struct fl__tlines *l, const char *path, size_t cap, struct fl_error *err)
{
    memset(l, 0, sizeof *l);
    l->f = fopen(path, "rb");
    if (!l->f) {
        int e = errno;
        return fl_error_sys(err, FL_EIO, e, "%s: %s", path, strerror(e));
    }
    l->cap = cap ? cap : (1u << 20);
    l->buf = fl_malloc(l->cap);
    if (!l->buf) {
        fclose(l->f);
        l->f = NULL;
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    return FL_OK;
}

void fl__tlines_close(struct fl__tlines *l)
{
    if (l->f)
        fclose(l->f);
    fl_free(l->buf);
    memset(l, 0, sizeof *l);
}

static void fill(struct fl__tlines *l)
{
    if (l->start > 0) {
        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->end -= l->start;
        l->start = 0;
    }
    while (!l->eof && l->end < l->cap) {
        size_t got = fread(l->buf + l->end, 1, l->cap - l->end, l->f);
        l->end += got;
        if (got == 0) {
            l->eof = true;
            l->err = ferror(l->f) != 0;
        }
        if (got)
            break;
    }
}

bool fl__tlines_next(struct fl__tlines *l, const char **s, size_t *n, bool *too_long)
{
    *too_long = false;
    for (;;) {
        char *nl = memchr(l->buf + l->start, '\n', l->end - l->start);
        if (nl) {
            *s = l->buf + l->start;
            *n = (size_t)(nl - *s);
            l->start = (size_t)(nl - l->buf) + 1;
            break;
        }
        if (l->eof) {
            if (l->start == l->end)
                return false;
            *s = l->buf + l->start; /* last line without a newline */
            *n = l->end - l->start;
            l->start = l->end;
            break;
        }
        if (l->start == 0 && l->end == l->cap) {
            /* Too long: return the head, skip to the next newline. */
            *s = l->buf;
            *n = l->cap;
            *too_long = true;
            l->start = l->end = 0;
            for (;;) {
                fill(l);
                char *nl2 = memchr(l->buf, '\n', l->end);
                if (nl2) {
                    l->start = (size_t)(nl2 - l->buf) + 1;
                    break;
                }
                l->start = l->end = 0;
                if (l->eof)
                    break;
            }
            /* the head was overwritten; report it empty */
            *n = 0;
            break;
        }
        fill(l);
    }
    if (*n && (*s)[*n - 1] == '\r')
        (*n)--;
    l->line++;
    return true;
}
