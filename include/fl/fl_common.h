/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_common.h - small value types and helpers shared by every layer and
 * exposed to library users: string slices, the replaceable allocator, IP
 * addresses and CIDRs, time conversion.
 *
 * Thread-safety: fl_set_allocator() must be called before any other library
 * call; everything else is reentrant.
 */
#ifndef FL_COMMON_H
#define FL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fl_errors.h"

/* A borrowed byte slice; the owner documents how long it stays valid. */
struct fl_str {
    const char *p;
    size_t n;
};
#define FL_STR_NULL ((struct fl_str){NULL, 0})
#define FL_STR_LIT(s) ((struct fl_str){(s), sizeof(s) - 1})

/* ---- allocation ---------------------------------------------------------- */
/* All library allocation goes through these; they can be replaced (tests use
 * this for OOM injection and budgets). */
struct fl_allocator {
    void *(*malloc_fn)(size_t n, void *ctx);
    void *(*realloc_fn)(void *p, size_t n, void *ctx);
    void (*free_fn)(void *p, void *ctx);
    void *ctx;
};
void fl_set_allocator(const struct fl_allocator *a); /* NULL = libc */
void *fl_malloc(size_t n);
void *fl_calloc(size_t n, size_t size);
void *fl_realloc(void *p, size_t n);
void fl_free(void *p);
char *fl_strndup(const char *s, size_t n);
char *fl_strdup(const char *s);

/* ---- IP addresses -------------------------------------------------------- */
/* An address is always held as 16 bytes; IPv4 is stored v4-mapped
 * (::ffff:a.b.c.d) so one comparison and one LPM table serve both. */
struct fl_ip {
    uint8_t b[16];
};
bool fl_ip_is_v4(const struct fl_ip *ip);
/* Parse text (IPv4 dotted quad or IPv6, with an optional %zone rejected).
 * Returns FL_OK or FL_EPARSE. */
int fl_ip_parse(const char *s, size_t n, struct fl_ip *out);
/* Format into buf (at least 46 bytes); returns the length. v4-mapped
 * addresses print as dotted quads. */
size_t fl_ip_format(const struct fl_ip *ip, char *buf, size_t cap);
/* A CIDR: address + prefix length counted over the 128-bit form (an IPv4
 * /24 is stored as /120). */
struct fl_cidr {
    struct fl_ip ip;
    uint8_t bits;
};
/* Parse "a.b.c.d/n", "v6/n", or a bare address (full length). */
int fl_cidr_parse(const char *s, size_t n, struct fl_cidr *out);
bool fl_cidr_contains(const struct fl_cidr *c, const struct fl_ip *ip);
size_t fl_cidr_format(const struct fl_cidr *c, char *buf, size_t cap);

/* ---- time ---------------------------------------------------------------- */
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t fl_days_from_civil(int64_t y, unsigned m, unsigned d);
void fl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Parse RFC 3339 / ISO 8601 UTC ("2018-11-13T12:00:35.3899262Z", offsets
 * allowed) into Unix seconds and nanoseconds. FL_OK or FL_EPARSE. */
int fl_time_parse_rfc3339(const char *s, size_t n, int64_t *sec_out,
                          int32_t *nsec_out);
/* Format Unix seconds as "YYYY-MM-DDTHH:MM:SSZ"; returns length. */
size_t fl_time_format(int64_t sec, char *buf, size_t cap);

/* ---- files --------------------------------------------------------------- */
/* `mkdir -p path`: create path and its missing parents (existing folders are
 * fine).  FL_OK, FL_EINVAL (empty or too long) or FL_EIO with errno. */
int fl_mkdirs(const char *path, struct fl_error *err);

/* ---- small parsing helpers ---------------------------------------------- */
/* Parse a decimal integer (optional leading '-'), the whole slice.  FL_OK,
 * FL_EPARSE (not a number) or FL_ERANGE (does not fit int64). */
int fl_parse_i64(const char *s, size_t n, int64_t *out);
/* Unsigned 64-bit variant. */
int fl_parse_u64(const char *s, size_t n, uint64_t *out);
/* A duration "N[unit]" in milliseconds: units (any case) ms, s (also no unit), m or
 * min, h, d, w; at most 100 years.  FL_OK or FL_EINVAL.  The one parser of
 * --timeout, --silent, --window, rule windows and lookbacks (each caller
 * applies its own floor and resolution). */
int fl_parse_duration_ms(const char *s, uint64_t *ms);

#endif
