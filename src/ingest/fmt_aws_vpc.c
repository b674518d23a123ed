/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_aws_vpc.c - the "aws-vpc" format: AWS VPC and Transit Gateway flow
 * logs as text (S3 objects, plain or gzip), and the line parser behind it
 * that "aws-cwl" reuses (aws_int.h).
 *
 * Layout.  An S3 object's first line is a header naming the fields in
 * order (`version account-id ...`); it defines the layout, an identical
 * header later is skipped (concatenated objects) and a different one
 * switches the layout from there on.  Without a header, opts.aws_format
 * gives it (`${version} ${srcaddr} ...`, AWS's own syntax, or the names
 * `default` / `tgw-default`); without either, a line of exactly 14 fields
 * whose first token is `2` selects the default v2 layout, and a line of 36
 * fields whose second token is `TransitGateway[Attachment]` the default TGW
 * layout (formats.md A.1, A.8).  Other lines are rejected as no_format.
 * Header names may be hyphenated or underscored; a header of comma-separated
 * names (a CSV export, as in the OCSF samples) switches to comma splitting.
 * Unknown names are kept: their values go to the `extra` column as a JSON
 * object of strings.
 *
 * Values.  Fields are separated by runs of spaces; "\r" is gone already.
 * `-` is NULL in every field.  Integers are 64-bit; INT32 columns reject
 * values outside int32 (number_range).  Addresses are validated (bad_ip) and
 * kept as the text given.  action must be ACCEPT/REJECT, log-status
 * OK/NODATA/SKIPDATA (bad_action / bad_value).  A row is written straight
 * into the batch columns; strings go to the batch arena through a
 * last-value cache per column, so repeated values (account, ENI, action)
 * share one copy (IPv4 addresses on the v2 fast path are copied without
 * it: they rarely repeat).  No allocation per line.
 *
 * Speed.  Nearly every line takes a fast path (line_v2 for the default v2
 * layout, line_fast for others) that reads 8 or 16 bytes at a time and
 * avoids data-dependent branches (octet lengths, digit counts); anything
 * unusual falls back to the general field-by-field path, which decides.
 * tests/ingest/aws_fastpath.t.sh and aws_ipv4.t.sh hold the two to the same
 * records and rejects; figures in bench/parse_bench.c.
 */
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "aws_int.h"

enum kind { K_STR = 0, K_IP, K_I32, K_I64, K_ACTION, K_STATUS, K_EXTRA };

struct afield {
    int16_t col;  /* column, or -1 for an unknown field */
    uint8_t kind;
    uint16_t extra; /* index of the name in extra_names for K_EXTRA */
};

struct cache_ent {
    struct fl_sref ref;
    uint32_t gen;
};

struct fl__aws {
    /* current layout */
    struct afield f[FL_AWS_MAX_FIELDS];
    int nf;              /* 0 = no layout yet */
    bool csv;            /* comma-separated (CSV export) */
    bool tgw;            /* has TGW fields: source_format aws-tgw */
    bool has_extra;
    bool v2;             /* the default v2 layout: line_v2() */
    bool spec_given;     /* layout from opts.aws_format */
    struct fl_buf header; /* text of the header that set the layout */
    struct fl_buf extra_names; /* JSON-escaped names, NUL-separated */
    uint32_t extra_off[FL_AWS_MAX_FIELDS];
    uint8_t written[FL_NCOLS]; /* columns each row of the layout writes */
    uint32_t layout_gen;       /* bumped by every set_layout */
    uint32_t seg_gen;          /* layout_gen of the open segment */
    /* batch bookkeeping */
    struct fl_batch *b;
    int64_t last_row;
    uint32_t seg_start;  /* first row not yet flushed */
    uint8_t seg_written[FL_NCOLS];
    bool seg_open;
    uint32_t gen;
    struct cache_ent cache[FL_NCOLS];
    size_t consts_end; /* arena length after the constants */
    struct fl_sref r_aws, r_vpc, r_tgw, r_accept, r_reject, r_ok, r_nodata, r_skip;
    struct fl_buf extra;  /* JSON text of the current row's unknown fields */
};

/* ---- tokenizer ------------------------------------------------------------ */

size_t fl__aws_tokenize(const char *p, size_t n, char sep, struct fl_str *tok, size_t max)
{
    size_t k = 0;
    if (sep != ' ') { /* CSV-ish: every separator ends a field */
        size_t s = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i == n || p[i] == sep) {
                if (k < max)
                    tok[k] = (struct fl_str){p + s, i - s};
                if (++k > max)
                    return k;
                s = i + 1;
            }
        }
        return k;
    }
    size_t start = SIZE_MAX; /* start of the current token, or none */
    size_t i = 0;
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' ');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
        if (m == 0) {
            if (start == SIZE_MAX)
                start = i;
            continue;
        }
        /* walk the bytes of this block by space positions */
        size_t pos = i;
        while (m) {
            size_t s = i + (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (s > pos && start == SIZE_MAX)
                start = pos;
            if (start != SIZE_MAX) {
                if (k < max)
                    tok[k] = (struct fl_str){p + start, s - start};
                if (++k > max)
                    return k;
                start = SIZE_MAX;
            }
            pos = s + 1;
        }
        if (pos < i + 16 && start == SIZE_MAX)
            start = pos;
    }
#endif
    for (; i < n; i++) {
        if (p[i] == ' ') {
            if (start != SIZE_MAX) {
                if (k < max)
                    tok[k] = (struct fl_str){p + start, i - start};
                if (++k > max)
                    return k;
                start = SIZE_MAX;
            }
        } else if (start == SIZE_MAX) {
            start = i;
        }
    }
    if (start != SIZE_MAX) {
        if (k < max)
            tok[k] = (struct fl_str){p + start, n - start};
        k++;
    }
    return k;
}

/* ---- layouts --------------------------------------------------------------- */

static const char default_v2[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    "packets bytes start end action log-status";
static const char default_tgw[] =
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
    "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id "
    "tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id "
    "tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end log-status type packets-lost-no-route packets-lost-blackhole "
    "packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region "
    "flow-direction pkt-src-aws-service pkt-dst-aws-service";

/* Column of an AWS field name (hyphen or underscore), or -1. */
static int aws_col(const char *p, size_t n)
{
    int c = fl_field_lookup(p, n);
    if (c < 0 || !(fl_fields[c].flags & FL_AWS))
        return -1;
    return c;
}

static bool is_name(struct fl_str t)
{
    if (t.n == 0 || t.n > 64 || !((t.p[0] >= 'a' && t.p[0] <= 'z') || (t.p[0] >= 'A' && t.p[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < t.n; i++) {
        char ch = t.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

int fl__aws_parse_spec(const char *spec, size_t n, int *cols_out, size_t max,
                       struct fl_error *err)
{
    while (n && (spec[0] == ' ' || spec[0] == '\t')) {
        spec++;
        n--;
    }
    while (n && (spec[n - 1] == ' ' || spec[n - 1] == '\t' || spec[n - 1] == '\n' ||
                 spec[n - 1] == '\r'))
        n--;
    if (fl_str_ieq(spec, n, "default", 7)) {
        spec = default_v2;
        n = sizeof default_v2 - 1;
    } else if (fl_str_ieq(spec, n, "tgw-default", 11)) {
        spec = default_tgw;
        n = sizeof default_tgw - 1;
    }
    struct fl_str tok[FL_AWS_MAX_FIELDS + 1];
    char sep = (memchr(spec, ',', n) && !memchr(spec, ' ', n)) ? ',' : ' ';
    size_t k = fl__aws_tokenize(spec, n, sep, tok, FL_AWS_MAX_FIELDS + 1);
    if (k == 0)
        return fl_error_set(err, FL_EINVAL, "empty AWS log format");
    if (k > max || k > FL_AWS_MAX_FIELDS)
        return fl_error_set(err, FL_EINVAL, "AWS log format has more than %zu fields",
                            FL_MIN(max, (size_t)FL_AWS_MAX_FIELDS));
    for (size_t i = 0; i < k; i++) {
        struct fl_str t = tok[i];
        if (t.n >= 3 && t.p[0] == '$' && t.p[1] == '{' && t.p[t.n - 1] == '}') {
            t.p += 2;
            t.n -= 3;
        }
        if (!is_name(t))
            return fl_error_set(err, FL_EINVAL, "bad field '%.*s' in AWS log format",
                                (int)FL_MIN(tok[i].n, 64), tok[i].p);
        cols_out[i] = aws_col(t.p, t.n);
    }
    return (int)k;
}

static enum kind kind_of(int col)
{
    switch (col) {
    case FL_COL_SRCADDR:
    case FL_COL_DSTADDR:
    case FL_COL_PKT_SRCADDR:
    case FL_COL_PKT_DSTADDR:
        return K_IP;
    case FL_COL_ACTION:
        return K_ACTION;
    case FL_COL_LOG_STATUS:
        return K_STATUS;
    default:
        break;
    }
    if (fl_fields[col].type == FL_I32)
        return K_I32;
    if (fl_fields[col].type == FL_I64)
        return K_I64;
    return K_STR;
}

static bool layout_is_v2(const struct fl__aws *a);

/* Install a layout from tokens (names).  sep tells CSV from space. */
static int set_layout(struct fl__aws *a, const struct fl_str *names, size_t k, bool csv,
                      struct fl_error *err)
{
    memset(a->written, 0, sizeof a->written);
    fl_buf_reset(&a->extra_names);
    a->nf = 0;
    a->csv = csv;
    a->tgw = false;
    a->has_extra = false;
    bool seen[FL_NCOLS] = {false};
    for (size_t i = 0; i < k; i++) {
        struct fl_str t = names[i];
        if (t.n >= 3 && t.p[0] == '$' && t.p[1] == '{' && t.p[t.n - 1] == '}') {
            t.p += 2;
            t.n -= 3;
        }
        int c = aws_col(t.p, t.n);
        if (c >= 0 && seen[c])
            c = -1; /* a duplicate name: keep the second one as extra */
        struct afield *f = &a->f[i];
        f->col = (int16_t)c;
        if (c < 0) {
            f->kind = K_EXTRA;
            a->has_extra = true;
            char esc[256];
            size_t en = fl_json_escape(t.p, FL_MIN(t.n, (size_t)64), esc, sizeof esc);
            a->extra_off[i] = (uint32_t)a->extra_names.len;
            FL_TRY(fl_buf_add(&a->extra_names, esc, FL_MIN(en, sizeof esc)));
            FL_TRY(fl_buf_addc(&a->extra_names, 0));
            f->extra = (uint16_t)i;
        } else {
            seen[c] = true;
            f->kind = (uint8_t)kind_of(c);
            a->written[c] = 1;
            if (c == FL_COL_RESOURCE_TYPE || (c >= FL_COL_TGW_ID && c <= FL_COL_PACKETS_LOST_TTL_EXPIRED))
                a->tgw = true;
        }
    }
    a->nf = (int)k;
    a->v2 = layout_is_v2(a);
    a->layout_gen++;
    /* columns every row writes besides the layout's own */
    static const int always[] = {FL_COL_CLOUD, FL_COL_ACCOUNT, FL_COL_ACCOUNT_ID, FL_COL_REGION,
                                 FL_COL_SOURCE_FORMAT, FL_COL_EXTRA, FL_COL_SOURCE_OBJECT,
                                 FL_COL_SOURCE_OFFSET};
    for (size_t i = 0; i < FL_ARRAY_LEN(always); i++)
        a->written[always[i]] = 1;
    FL_UNUSED(err);
    return FL_OK;
}

static int set_layout_spec(struct fl__aws *a, const char *spec, struct fl_error *err)
{
    int cols[FL_AWS_MAX_FIELDS];
    size_t n = strlen(spec);
    int k = fl__aws_parse_spec(spec, n, cols, FL_AWS_MAX_FIELDS, err);
    if (k < 0)
        return k;
    /* re-tokenize the expanded spec for the names */
    const char *s = spec;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t sn = strlen(s);
    while (sn && (s[sn - 1] == ' ' || s[sn - 1] == '\n' || s[sn - 1] == '\r' || s[sn - 1] == '\t'))
        sn--;
    if (fl_str_ieq(s, sn, "default", 7)) {
        s = default_v2;
        sn = sizeof default_v2 - 1;
    } else if (fl_str_ieq(s, sn, "tgw-default", 11)) {
        s = default_tgw;
        sn = sizeof default_tgw - 1;
    }
    struct fl_str tok[FL_AWS_MAX_FIELDS + 1];
    bool csv = memchr(s, ',', sn) && !memchr(s, ' ', sn);
    size_t kk = fl__aws_tokenize(s, sn, csv ? ',' : ' ', tok, FL_AWS_MAX_FIELDS + 1);
    return set_layout(a, tok, kk, csv, err);
}

int fl__aws_new(struct fl__aws **out, const char *spec, struct fl_error *err)
{
    *out = NULL;
    struct fl__aws *a = fl_calloc(1, sizeof *a);
    if (!a)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    fl_buf_init(&a->header, 64 * 1024);
    fl_buf_init(&a->extra_names, 64 * 1024);
    fl_buf_init(&a->extra, (size_t)16 << 20);
    a->last_row = -1;
    a->gen = 1;
    if (spec && *spec) {
        int rc = set_layout_spec(a, spec, err);
        if (rc < 0) {
            fl__aws_free(a);
            return rc;
        }
        a->spec_given = true;
    }
    *out = a;
    return FL_OK;
}

void fl__aws_free(struct fl__aws *a)
{
    if (!a)
        return;
    fl_buf_free(&a->header);
    fl_buf_free(&a->extra_names);
    fl_buf_free(&a->extra);
    fl_free(a);
}

/* ---- rows ------------------------------------------------------------------ */

void fl__aws_flush(struct fl__aws *a, struct fl_batch *b)
{
    if (!a->seg_open || a->b != b)
        return;
    if (b->n > a->seg_start) {
        size_t cnt = b->n - a->seg_start;
        for (int c = 0; c < FL_NCOLS; c++)
            if (!a->seg_written[c])
                memset(b->col[c].valid + a->seg_start, 0, cnt);
    }
    a->seg_start = b->n;
    a->seg_open = false;
}

/* Start (or continue) a segment of rows written with the current layout. */
static void seg_begin(struct fl__aws *a, struct fl_batch *b)
{
    if (FL_LIKELY(a->seg_open && a->b == b && a->seg_gen == a->layout_gen &&
                  a->seg_start <= b->n))
        return;
    if (a->seg_open && a->b == b && a->seg_start <= b->n)
        fl__aws_flush(a, b);
    memcpy(a->seg_written, a->written, FL_NCOLS);
    a->seg_gen = a->layout_gen;
    a->seg_start = b->n;
    a->seg_open = true;
}

static int batch_consts(struct fl__aws *a, struct fl_batch *b)
{
    a->gen++;
    FL_TRY(fl_batch_intern(b, "aws", 3, &a->r_aws));
    FL_TRY(fl_batch_intern(b, "aws-vpc", 7, &a->r_vpc));
    FL_TRY(fl_batch_intern(b, "aws-tgw", 7, &a->r_tgw));
    FL_TRY(fl_batch_intern(b, "ACCEPT", 6, &a->r_accept));
    FL_TRY(fl_batch_intern(b, "REJECT", 6, &a->r_reject));
    FL_TRY(fl_batch_intern(b, "OK", 2, &a->r_ok));
    FL_TRY(fl_batch_intern(b, "NODATA", 6, &a->r_nodata));
    FL_TRY(fl_batch_intern(b, "SKIPDATA", 8, &a->r_skip));
    a->consts_end = b->arena_len;
    return FL_OK;
}

/* Parse an integer token.  0 ok, 1 not a number, 2 out of int64 range. */
static inline int parse_int(const char *p, size_t n, int64_t *v)
{
    bool neg = false;
    if (n && p[0] == '-') {
        neg = true;
        p++;
        n--;
    }
    if (FL_UNLIKELY(n == 0))
        return 1;
    uint64_t x = 0;
    if (FL_LIKELY(n <= 18)) { /* cannot overflow: no check per digit */
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)p[i] - '0';
            if (FL_UNLIKELY(d > 9))
                return 1;
            x = x * 10 + d;
        }
        *v = neg ? -(int64_t)x : (int64_t)x;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return 1;
    }
    if (n > 20)
        return 2;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (x > (UINT64_MAX - d) / 10)
            return 2;
        x = x * 10 + d;
    }
    if (neg) {
        if (x > (uint64_t)INT64_MAX + 1)
            return 2;
        *v = (int64_t)(0 - x);
    } else {
        if (x > (uint64_t)INT64_MAX)
            return 2;
        *v = (int64_t)x;
    }
    return 0;
}

/* ---- word-at-a-time helpers (8 bytes of a line at once, little endian) ---- */

#define W_ONES 0x0101010101010101ull
#define W_HIGH 0x8080808080808080ull
#define W_NIB 0xF0F0F0F0F0F0F0F0ull

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
        v = __builtin_bswap64(v);
    return v;
}

/* Nonzero bytes where v is not an ASCII digit; the lowest one is exact
 * (a carry from +6 only moves up from a non-digit byte). */
static inline uint64_t nondigits(uint64_t v)
{
    return ((v & W_NIB) ^ (W_ONES * 0x30)) | (((v + W_ONES * 6) & W_NIB) ^ (W_ONES * 0x30));
}

/* Index of the lowest nonzero byte of m (m != 0). */
static inline unsigned first_byte(uint64_t m)
{
    return (unsigned)__builtin_ctzll(m) >> 3;
}

/* Index of the first space in v, or 8.  The lowest flagged byte is exact. */
static inline unsigned first_space(uint64_t v)
{
    uint64_t x = v ^ (W_ONES * ' ');
    uint64_t z = (x - W_ONES) & ~x & W_HIGH;
    return z ? first_byte(z) : 8;
}

/* Value of the first len (1..8) bytes of v, all ASCII digits. */
static inline uint64_t digits8(uint64_t v, unsigned len)
{
    uint64_t x = (v - W_ONES * '0') << (8 * (8 - len)); /* leading zero digits */
    x = x * 10 + (x >> 8);
    x = (((x & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((x >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
        32;
    return x;
}

static const uint64_t pow10_tab[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000};

/* An unsigned decimal of 1..16 digits ending in a space, read a word at a
 * time.  q + 16 <= e is not required: only whole words inside [q, e) are
 * read.  Returns the digit count, or 0 if this fast path does not apply. */
static inline __attribute__((always_inline)) unsigned fast_uint(const char *q, const char *e,
                                                                 uint64_t *out)
{
    if (FL_UNLIKELY(e - q < 8))
        return 0;
    uint64_t v = load64(q);
    uint64_t m = nondigits(v);
    if (FL_LIKELY(m)) {
        unsigned len = first_byte(m);
        if (len == 0 || q[len] != ' ')
            return 0;
        *out = digits8(v, len);
        return len;
    }
    if (e - q < 16)
        return 0;
    uint64_t v2 = load64(q + 8);
    uint64_t m2 = nondigits(v2);
    if (!m2)
        return 0;
    unsigned len2 = first_byte(m2);
    if (q[8 + len2] != ' ')
        return 0;
    uint64_t hi = digits8(v, 8);
    *out = len2 ? hi * pow10_tab[len2] + digits8(v2, len2) : hi;
    return 8 + len2;
}

/* fast_uint() without a branch on the digit count, for the fields whose
 * length varies from line to line (packets, bytes: a branch on "more than
 * 8 digits" mispredicts there).  1..15 digits ending in a space; q + 16 <= e
 * is required.  Returns the digit count, or 0 (caller takes the slow way). */
static inline __attribute__((always_inline)) unsigned fast_uint16(const char *q, uint64_t *out)
{
#ifdef __SSE2__
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
    const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned len = (unsigned)__builtin_ctz(~dig); /* <= 16: ~dig has bit 16 */
    if (FL_UNLIKELY(len == 0 || !((sp >> len) & 1)))
        return 0;
    unsigned l1 = len < 8 ? len : 8, l2 = len - l1;
    uint64_t hi = digits8(load64(q), l1);
    /* the low word's digits; l2 = 0 shifts them all out (two shifts: one
     * of 64 would be undefined) */
    uint64_t x = (load64(q + 8) - W_ONES * '0') << (4 * (8 - l2)) << (4 * (8 - l2));
    x = x * 10 + (x >> 8);
    x = (((x & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((x >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >>
        32;
    *out = hi * pow10_tab[l2] + x;
    return len;
#else
    return fast_uint(q, q + 16, out);
#endif
}

/* Dotted-quad IPv4 check (fast path, octet by octet: 1-3 digits, no
 * leading zero, <= 255); anything else goes to fl_ip_parse. */
static inline bool valid_ip(const char *p, size_t n)
{
    if (FL_LIKELY(n >= 7 && n <= 15)) {
        const char *q = p, *e = p + n;
        int k = 0;
        for (;; k++) {
            unsigned v = (unsigned)(unsigned char)*q - '0'; /* q < e here */
            if (v > 9)
                break;
            q++;
            unsigned d;
            if (q < e && (d = (unsigned)(unsigned char)*q - '0') <= 9) {
                if (v == 0)
                    break; /* leading zero */
                v = v * 10 + d;
                q++;
                if (q < e && (d = (unsigned)(unsigned char)*q - '0') <= 9) {
                    v = v * 10 + d;
                    q++;
                    if (v > 255)
                        break;
                }
            }
            if (k == 3) {
                if (q == e)
                    return true;
                break;
            }
            if (q + 1 >= e || *q != '.')
                break;
            q++;
        }
    }
    struct fl_ip ip;
    return memchr(p, ':', n) && fl_ip_parse(p, n, &ip) == FL_OK;
}

/* The IPv4 token at p, checked 16 bytes at once: returns its length if the
 * token ends at a space within those bytes and is a dotted quad that
 * valid_ip() accepts (1-3 digits per octet, no leading zero, <= 255), else 0
 * and the caller takes valid_ip().  p[0..15] must be readable.  Every rule
 * is a test on 16-bit masks (bit i = byte i): no branch per octet, where
 * the byte walk of valid_ip() mispredicts on the varying octet lengths. */
static inline unsigned ip4_token16(const char *p)
{
#ifdef __SSE2__
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
#define MASK(X) ((unsigned)_mm_movemask_epi8(X))
    unsigned n = (unsigned)__builtin_ctz(MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))) | 0x10000u);
    if (n < 7 || n > 15)
        return 0;
    const unsigned lm = (1u << n) - 1;
    const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    const unsigned dig = MASK(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) & lm;
    const unsigned dot = MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))) & lm;
    const unsigned t1 = dot & (dot - 1), t2 = t1 & (t1 - 1);
    /* octet starts: byte 0 and the bytes after a dot */
    const unsigned st = (dot << 1 | 1) & lm;
    /* 3-digit octets: digits at a start and the two bytes after it */
    const unsigned s3 = st & dig & (dig >> 1) & (dig >> 2);
    const unsigned gt2 = MASK(_mm_cmpgt_epi8(v, _mm_set1_epi8('2')));
    const unsigned gt5 = MASK(_mm_cmpgt_epi8(v, _mm_set1_epi8('5')));
    const unsigned eq2 = MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('2')));
    const unsigned eq5 = MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('5')));
    const unsigned zero = MASK(_mm_cmpeq_epi8(v, _mm_set1_epi8('0')));
#undef MASK
    unsigned bad = ((dig | dot) ^ lm)                        /* other bytes */
                   | (t2 == 0) | (t2 & (t2 - 1))             /* not 3 dots */
                   | (dot & (dot >> 1)) | (dot & 1)          /* empty octet */
                   | (dot >> (n - 1))                        /* ends with '.' */
                   | (dig & (dig >> 1) & (dig >> 2) & (dig >> 3)) /* 4+ digits */
                   | (st & zero & (dig >> 1))                /* leading zero */
                   | (s3 & (gt2 | (eq2 & ((gt5 >> 1) | ((eq5 >> 1) & (gt5 >> 2)))))); /* > 255 */
    return bad ? 0 : n;
#else
    FL_UNUSED(p);
    return 0;
#endif
}

/* Bytes equal?  Strings up to 32 bytes inline (no libc call per field):
 * words at 0, 8, 16 and the last one cover them, overlapping. */
static inline bool same_bytes(const char *x, const char *y, size_t n)
{
    if (n >= 8) {
        uint64_t d = load64(x) ^ load64(y);
        d |= load64(x + n - 8) ^ load64(y + n - 8);
        if (n > 16) {
            if (n > 32)
                return d == 0 && memcmp(x + 8, y + 8, n - 16) == 0;
            d |= load64(x + 8) ^ load64(y + 8);
            if (n > 24)
                d |= load64(x + 16) ^ load64(y + 16);
        }
        return d == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return false;
    return true;
}

/* Arena bytes reserved past a row's own: room for a fixed-size copy. */
#define ARENA_SLACK 32u

/* Store a string value: reuse the column's last copy if equal, else append
 * to the arena.  The caller reserved room for the whole line plus
 * ARENA_SLACK (row_reserve).  avail = bytes readable at p (>= n): with 32
 * of them a short value is copied as two fixed 16-byte moves (no libc call;
 * the bytes past n are overwritten by the next value). */
static inline __attribute__((always_inline)) void put_str(struct fl__aws *a, struct fl_batch *b,
                                                          int col, uint32_t row, const char *p,
                                                          size_t n, size_t avail)
{
    struct cache_ent *ce = &a->cache[col];
    if (ce->gen == a->gen && ce->ref.len == n && same_bytes(b->arena + ce->ref.off, p, n)) {
        fl_set_sref(b, col, row, ce->ref);
        return;
    }
    struct fl_sref r = {(uint32_t)b->arena_len, (uint32_t)n};
    char *d = b->arena + b->arena_len;
    if (n <= ARENA_SLACK && avail >= ARENA_SLACK) {
        memcpy(d, p, 16);
        memcpy(d + 16, p + 16, 16);
    } else {
        memcpy(d, p, n);
    }
    b->arena_len += n;
    ce->ref = r;
    ce->gen = a->gen;
    fl_set_sref(b, col, row, r);
}

/* Store an IPv4 address of n <= 15 bytes (16 readable at p) without the
 * last-value cache: addresses rarely repeat line to line, and the compare
 * would be a coin-flip branch.  One 16-byte move into the reserved slack. */
static inline void put_ip4(struct fl_batch *b, int col, uint32_t row, const char *p, size_t n)
{
    struct fl_sref r = {(uint32_t)b->arena_len, (uint32_t)n};
    memcpy(b->arena + b->arena_len, p, 16);
    b->arena_len += n;
    fl_set_sref(b, col, row, r);
}

/* Make sure n + ARENA_SLACK more arena bytes fit without a check per
 * field. */
static int row_reserve(struct fl_batch *b, const char *p, size_t n)
{
    if (FL_LIKELY(b->arena_cap - b->arena_len >= n + ARENA_SLACK))
        return FL_OK;
    static const char zeros[ARENA_SLACK];
    size_t mark = b->arena_len;
    struct fl_sref tmp;
    int rc = fl_batch_intern(b, p, n, &tmp); /* grows the arena ... */
    if (rc == FL_OK)
        rc = fl_batch_intern(b, zeros, ARENA_SLACK, &tmp);
    b->arena_len = mark; /* ... and gives the bytes back */
    return rc;
}

static int extra_add(struct fl__aws *a, int i, struct fl_str v)
{
    struct fl_buf *x = &a->extra;
    FL_TRY(fl_buf_addc(x, x->len == 0 ? '{' : ','));
    FL_TRY(fl_buf_addc(x, '"'));
    const char *name = a->extra_names.p + a->extra_off[i];
    FL_TRY(fl_buf_add(x, name, strlen(name)));
    FL_TRY(fl_buf_add(x, "\":", 2));
    if (v.n == 1 && v.p[0] == '-')
        return fl_buf_add(x, "null", 4);
    size_t need = fl_json_escape(v.p, v.n, NULL, 0);
    FL_TRY(fl_buf_reserve(x, need + 2));
    x->p[x->len++] = '"';
    fl_json_escape(v.p, v.n, x->p + x->len, need + 1);
    x->len += need;
    x->p[x->len++] = '"';
    return FL_OK;
}

/* Is this line a header?  All tokens are names and most are known fields. */
static bool looks_like_header(const struct fl_str *tok, size_t k)
{
    if (k == 0 || k > FL_AWS_MAX_FIELDS)
        return false;
    size_t known = 0;
    for (size_t i = 0; i < k; i++) {
        if (!is_name(tok[i]))
            return false;
        if (aws_col(tok[i].p, tok[i].n) >= 0)
            known++;
    }
    return known > 0 && known * 2 >= k;
}

/* Store token t as field i of the row.  Returns FL_REJ__COUNT if fine,
 * else the reject reason. */
static inline __attribute__((always_inline)) enum fl_reject store_field(struct fl__aws *a, struct fl_batch *b, uint32_t row,
                                         int i, struct fl_str t, int *nodata)
{
    const struct afield *f = &a->f[i];
    int cc = f->col;
    struct fl_column *col = b->col;
    if (t.n == 1 && t.p[0] == '-') {
        if (f->kind == K_EXTRA)
            return extra_add(a, i, t) < 0 ? FL_REJ_TOO_BIG : FL_REJ__COUNT;
        col[cc].valid[row] = 0;
        return FL_REJ__COUNT;
    }
    switch (f->kind) {
    case K_I32:
    case K_I64: {
        int64_t v;
        int r = parse_int(t.p, t.n, &v);
        if (FL_UNLIKELY(r))
            return r == 1 ? FL_REJ_BAD_NUMBER : FL_REJ_NUMBER_RANGE;
        if (f->kind == K_I32 && FL_UNLIKELY(v < INT32_MIN || v > INT32_MAX))
            return FL_REJ_NUMBER_RANGE;
        col[cc].i[row] = v;
        col[cc].valid[row] = 1;
        return FL_REJ__COUNT;
    }
    case K_IP:
        if (FL_UNLIKELY(!valid_ip(t.p, t.n)))
            return FL_REJ_BAD_IP;
        put_str(a, b, cc, row, t.p, t.n, t.n);
        return FL_REJ__COUNT;
    case K_ACTION:
        if (t.n == 6 && memcmp(t.p, "ACCEPT", 6) == 0)
            fl_set_sref(b, cc, row, a->r_accept);
        else if (t.n == 6 && memcmp(t.p, "REJECT", 6) == 0)
            fl_set_sref(b, cc, row, a->r_reject);
        else
            return FL_REJ_BAD_ACTION;
        return FL_REJ__COUNT;
    case K_STATUS:
        if (t.n == 2 && t.p[0] == 'O' && t.p[1] == 'K') {
            fl_set_sref(b, cc, row, a->r_ok);
        } else if (t.n == 6 && memcmp(t.p, "NODATA", 6) == 0) {
            fl_set_sref(b, cc, row, a->r_nodata);
            *nodata = 1;
        } else if (t.n == 8 && memcmp(t.p, "SKIPDATA", 8) == 0) {
            fl_set_sref(b, cc, row, a->r_skip);
            *nodata = 2;
        } else {
            return FL_REJ_BAD_VALUE;
        }
        return FL_REJ__COUNT;
    case K_EXTRA:
        return extra_add(a, i, t) < 0 ? FL_REJ_TOO_BIG : FL_REJ__COUNT;
    default:
        put_str(a, b, cc, row, t.p, t.n, t.n);
        return FL_REJ__COUNT;
    }
}

/* Byte index of the end of the token at q (the first space, or e). */
static inline const char *token_end(const char *q, const char *e)
{
    while (e - q >= 8) {
        unsigned sp = first_space(load64(q));
        if (sp < 8)
            return q + sp;
        q += 8;
    }
    while (q < e && *q != ' ')
        q++;
    return q;
}

#define W7 0x00FFFFFFFFFFFFFFull
/* "ACCEPT " and "REJECT " as little-endian words (7 bytes). */
#define W_ACCEPT 0x0020545045434341ull
#define W_REJECT 0x00205443454a4552ull

/* The fast path of a data line: every field is a plain value (no '-'),
 * fields are separated by exactly one space, with none before the first or
 * after the last, integers have at most 16 digits and no sign, and the
 * layout has no unknown fields.  That is nearly every line of a real log.
 * Returns true with the row stored; false means "not that simple": the
 * caller rolls back what was written and takes the general path, which
 * gives the same values (or the reject) the slow way. */
static inline bool line_fast(struct fl__aws *a, struct fl_batch *b, uint32_t row,
                             const char *q, const char *e, int *nodata)
{
    struct fl_column *col = b->col;
    const int nf = a->nf;
    for (int i = 0; i < nf; i++) {
        const struct afield *f = &a->f[i];
        const char *t;
        switch (f->kind) {
        case K_I32:
        case K_I64: {
            uint64_t x;
            unsigned len = fast_uint(q, e, &x); /* ends at a space: not last */
            if (FL_LIKELY(len)) {
                t = q + len;
            } else { /* near the end of the line, or not a plain number */
                x = 0;
                for (t = q; t < e && (unsigned)(unsigned char)*t - '0' <= 9; t++)
                    x = x * 10 + (unsigned)(*t - '0');
                if (t == q || t - q > 18 || (t != e && *t != ' '))
                    return false;
            }
            if (FL_UNLIKELY(f->kind == K_I32 && x > INT32_MAX))
                return false;
            col[f->col].i[row] = (int64_t)x;
            col[f->col].valid[row] = 1;
            break;
        }
        case K_ACTION:
            if (FL_LIKELY(e - q >= 8)) {
                uint64_t w = load64(q) & W7;
                if (w == W_ACCEPT)
                    fl_set_sref(b, f->col, row, a->r_accept);
                else if (w == W_REJECT)
                    fl_set_sref(b, f->col, row, a->r_reject);
                else
                    return false;
                q += 7;
                continue;
            }
            t = token_end(q, e);
            if (t - q == 6 && memcmp(q, "ACCEPT", 6) == 0)
                fl_set_sref(b, f->col, row, a->r_accept);
            else if (t - q == 6 && memcmp(q, "REJECT", 6) == 0)
                fl_set_sref(b, f->col, row, a->r_reject);
            else
                return false;
            break;
        case K_STR:
            t = token_end(q, e);
            if (FL_UNLIKELY(t == q || (t - q == 1 && *q == '-')))
                return false;
            put_str(a, b, f->col, row, q, (size_t)(t - q), (size_t)(e - q));
            break;
        case K_IP:
            t = token_end(q, e);
            if (FL_UNLIKELY(t == q || !valid_ip(q, (size_t)(t - q))))
                return false;
            put_str(a, b, f->col, row, q, (size_t)(t - q), (size_t)(e - q));
            break;
        case K_STATUS:
            t = token_end(q, e);
            if (t - q == 2 && q[0] == 'O' && q[1] == 'K') {
                fl_set_sref(b, f->col, row, a->r_ok);
            } else if (t - q == 6 && memcmp(q, "NODATA", 6) == 0) {
                fl_set_sref(b, f->col, row, a->r_nodata);
                *nodata = 1;
            } else if (t - q == 8 && memcmp(q, "SKIPDATA", 8) == 0) {
                fl_set_sref(b, f->col, row, a->r_skip);
                *nodata = 2;
            } else {
                return false;
            }
            break;
        default:
            return false;
        }
        /* t ends the token: at the end of the line or at a space */
        if (t == e)
            return i == nf - 1;
        q = t + 1;
    }
    /* the last field ended at a space: trailing spaces or more fields */
    return false;
}

/* Is the layout the default v2 one (formats.md A.1), field by field? */
static bool layout_is_v2(const struct fl__aws *a)
{
    static const int16_t v2[14] = {FL_COL_VERSION, FL_COL_ACCOUNT_ID, FL_COL_INTERFACE_ID,
                                   FL_COL_SRCADDR, FL_COL_DSTADDR,    FL_COL_SRCPORT,
                                   FL_COL_DSTPORT, FL_COL_PROTOCOL,   FL_COL_PACKETS,
                                   FL_COL_BYTES,   FL_COL_START,      FL_COL_END,
                                   FL_COL_ACTION,  FL_COL_LOG_STATUS};
    if (a->nf != 14 || a->csv || a->has_extra)
        return false;
    for (int i = 0; i < 14; i++)
        if (a->f[i].col != v2[i])
            return false;
    return true;
}

/* line_fast() unrolled for the default v2 layout, the one most logs use:
 * the same rules and the same values, without the per-field dispatch. */
static inline bool line_v2(struct fl__aws *a, struct fl_batch *b, uint32_t row, const char *q,
                           const char *e, int *nodata)
{
    struct fl_column *col = b->col;
    uint64_t x;
    unsigned len;
    const char *t;
#define V2_I64_MAX 9999999999999999ull /* fast_uint: at most 16 digits */
#define V2_INT(C, MAX)                                                                   \
    len = fast_uint(q, e, &x);                                                           \
    if (FL_UNLIKELY(len == 0 || x > (MAX)))                                              \
        return false;                                                                    \
    col[C].i[row] = (int64_t)x;                                                          \
    col[C].valid[row] = 1;                                                               \
    q += len + 1
#define V2_STR(C, CHECK)                                                                 \
    t = token_end(q, e);                                                                 \
    if (FL_UNLIKELY(t == q || t == e || (t - q == 1 && *q == '-') || !(CHECK)))           \
        return false;                                                                    \
    put_str(a, b, C, row, q, (size_t)(t - q), (size_t)(e - q));                          \
    q = t + 1
    if (FL_LIKELY(e - q >= 2 && q[1] == ' ' && (unsigned)(unsigned char)q[0] - '0' <= 9)) {
        col[FL_COL_VERSION].i[row] = q[0] - '0'; /* "2 ": one digit */
        col[FL_COL_VERSION].valid[row] = 1;
        q += 2;
    } else {
        V2_INT(FL_COL_VERSION, (uint64_t)INT32_MAX);
    }
    V2_STR(FL_COL_ACCOUNT_ID, true);
    V2_STR(FL_COL_INTERFACE_ID, true);
    if (FL_UNLIKELY(*q == '-')) {
        /* A NODATA / SKIPDATA line: "- - - - - - - start end - status"
         * (q < e: interface-id ended at a space).  Anything else with a
         * '-' goes to the general path. */
        if (e - q < 16 || memcmp(q, "- - - - - - - ", 14) != 0)
            return false;
        for (int c = FL_COL_SRCADDR; c <= FL_COL_BYTES; c++)
            col[c].valid[row] = 0;
        q += 14;
        V2_INT(FL_COL_START, V2_I64_MAX);
        V2_INT(FL_COL_END, V2_I64_MAX);
        if (e - q < 2 || q[0] != '-' || q[1] != ' ')
            return false;
        col[FL_COL_ACTION].valid[row] = 0;
        q += 2;
        goto status;
    }
#define V2_IP(C)                                                                         \
    if (FL_LIKELY(e - q >= 16 && (len = ip4_token16(q)) != 0)) {                         \
        put_ip4(b, C, row, q, len);                                                      \
        q += len + 1;                                                                    \
    } else {                                                                             \
        V2_STR(C, valid_ip(q, (size_t)(t - q)));                                         \
    }
    V2_IP(FL_COL_SRCADDR)
    V2_IP(FL_COL_DSTADDR)
#undef V2_IP
    V2_INT(FL_COL_SRCPORT, (uint64_t)INT32_MAX);
    V2_INT(FL_COL_DSTPORT, (uint64_t)INT32_MAX);
    V2_INT(FL_COL_PROTOCOL, V2_I64_MAX);
#define V2_INTV(C)                                                                       \
    if (FL_LIKELY(e - q >= 16))                                                          \
        len = fast_uint16(q, &x);                                                        \
    else                                                                                 \
        len = fast_uint(q, e, &x);                                                       \
    if (FL_UNLIKELY(len == 0))                                                           \
        return false;                                                                    \
    col[C].i[row] = (int64_t)x;                                                          \
    col[C].valid[row] = 1;                                                               \
    q += len + 1
    V2_INTV(FL_COL_PACKETS);
    V2_INTV(FL_COL_BYTES);
#undef V2_INTV
    V2_INT(FL_COL_START, V2_I64_MAX);
    V2_INT(FL_COL_END, V2_I64_MAX);
#undef V2_INT
#undef V2_STR
#undef V2_I64_MAX
    if (FL_UNLIKELY(e - q < 8))
        return false;
    uint64_t w = load64(q) & W7;
    if (w == W_ACCEPT)
        fl_set_sref(b, FL_COL_ACTION, row, a->r_accept);
    else if (w == W_REJECT)
        fl_set_sref(b, FL_COL_ACTION, row, a->r_reject);
    else
        return false;
    q += 7;
status:
    if (e - q == 2 && q[0] == 'O' && q[1] == 'K') {
        fl_set_sref(b, FL_COL_LOG_STATUS, row, a->r_ok);
    } else if (e - q == 6 && memcmp(q, "NODATA", 6) == 0) {
        fl_set_sref(b, FL_COL_LOG_STATUS, row, a->r_nodata);
        *nodata = 1;
    } else if (e - q == 8 && memcmp(q, "SKIPDATA", 8) == 0) {
        fl_set_sref(b, FL_COL_LOG_STATUS, row, a->r_skip);
        *nodata = 2;
    } else {
        return false;
    }
    return true;
}

static int do_reject(struct fl__aws *a, struct fl__pctx *c, struct fl_batch *b, size_t arena_mark,
                     uint64_t lineno, uint64_t offset, enum fl_reject why, const char *p,
                     size_t n, struct fl_error *err)
{
    if (b->arena_len > arena_mark) {
        b->arena_len = arena_mark; /* forget the half row's strings */
        a->gen++;                  /* cached refs may point past the mark */
    }
    int rc = fl__reject(c, lineno, offset, why, p, n, err);
    return rc < 0 ? rc : 0;
}

int fl__aws_line(struct fl__aws *a, struct fl__pctx *c, struct fl_batch *b, const char *p,
                 size_t n, uint64_t lineno, uint64_t offset, bool too_long,
                 struct fl_error *err)
{
    uint32_t row = b->n;
    /* a new batch, or this one was reset: the caches point at old bytes */
    if (FL_UNLIKELY(a->b != b || (int64_t)row <= a->last_row ||
                    b->arena_len < a->consts_end)) {
        a->b = b;
        a->seg_start = row;
        a->seg_open = false;
        FL_TRY(batch_consts(a, b));
    }
    a->last_row = (int64_t)row - 1;
    size_t arena_mark = b->arena_len;
    if (FL_UNLIKELY(too_long))
        return do_reject(a, c, b, arena_mark, lineno, offset, FL_REJ_LINE_TOO_LONG, p, n, err);

    /* blank line? */
    size_t lead = 0;
    while (lead < n && p[lead] == ' ')
        lead++;
    if (FL_UNLIKELY(lead == n)) {
        c->stats->blank++;
        return 0;
    }
    /* header line? (data lines of a layout starting with version start
     * with a digit or '-', so this is cheap) */
    unsigned char first = (unsigned char)p[lead];
    if (FL_UNLIKELY((first | 0x20) >= 'a' && (first | 0x20) <= 'z')) {
        struct fl_str ht[FL_AWS_MAX_FIELDS + 1];
        bool csv = memchr(p, ',', n) && !memchr(p, ' ', n);
        size_t hk = fl__aws_tokenize(p, n, csv ? ',' : ' ', ht, FL_AWS_MAX_FIELDS);
        if (looks_like_header(ht, hk)) {
            c->stats->headers++;
            if (a->nf && a->header.len == n && memcmp(a->header.p, p, n) == 0)
                return 0; /* the same header again */
            fl_buf_reset(&a->header);
            if (fl_buf_add(&a->header, p, n) < 0)
                fl_buf_reset(&a->header);
            if (a->seg_open)
                fl__aws_flush(a, b);
            FL_TRY(set_layout(a, ht, hk, csv, err));
            a->spec_given = false;
            return 0;
        }
    }
    if (FL_UNLIKELY(a->nf == 0)) {
        /* no header and no --aws-format: the default v2 / TGW guess */
        struct fl_str gt[40];
        size_t gk = fl__aws_tokenize(p, n, ' ', gt, 39);
        const char *spec = NULL;
        if (gk == 14 && gt[0].n == 1 && gt[0].p[0] == '2')
            spec = "default";
        else if (gk == 36 && (fl_str_eq(gt[1], "TransitGateway") ||
                              fl_str_eq(gt[1], "TransitGatewayAttachment")))
            spec = "tgw-default";
        if (!spec)
            return do_reject(a, c, b, arena_mark, lineno, offset, FL_REJ_NO_FORMAT, p, n, err);
        FL_TRY(set_layout_spec(a, spec, err));
    }

    if (FL_UNLIKELY(row_reserve(b, p, n) < 0))
        return do_reject(a, c, b, arena_mark, lineno, offset, FL_REJ_TOO_BIG, p, n, err);
    seg_begin(a, b);
    struct fl_column *col = b->col;
    /* columns every row writes: start them NULL */
    col[FL_COL_ACCOUNT].valid[row] = 0;
    col[FL_COL_ACCOUNT_ID].valid[row] = 0;
    col[FL_COL_REGION].valid[row] = 0;
    col[FL_COL_EXTRA].valid[row] = 0;
    if (a->has_extra)
        fl_buf_reset(&a->extra);
    int nodata = 0;
    enum fl_reject why = FL_REJ__COUNT;
    if (FL_UNLIKELY(a->csv)) {
        struct fl_str tok[FL_AWS_MAX_FIELDS + 1];
        size_t k = fl__aws_tokenize(p, n, ',', tok, (size_t)a->nf);
        if (k != (size_t)a->nf) {
            why = FL_REJ_FIELD_COUNT;
            goto bad;
        }
        for (int i = 0; i < a->nf && why == FL_REJ__COUNT; i++)
            why = store_field(a, b, row, i, tok[i], &nodata);
        if (why != FL_REJ__COUNT)
            goto bad;
    } else if (a->v2 ? line_v2(a, b, row, p + lead, p + n, &nodata)
                     : !a->has_extra && line_fast(a, b, row, p + lead, p + n, &nodata)) {
        /* the common line, stored by the fast path */
    } else {
        /* One pass over the bytes: each field is parsed where it stands
         * (integers digit by digit up to the space), no token array.  The
         * fast path may have stored part of the row: its values are
         * overwritten here, its strings forgotten. */
        if (b->arena_len > arena_mark) {
            b->arena_len = arena_mark;
            a->gen++; /* cached refs may point past the mark */
        }
        nodata = 0;
        const char *q = p + lead, *e = p + n;
        for (int i = 0; i < a->nf; i++) {
            while (q < e && *q == ' ')
                q++;
            if (FL_UNLIKELY(q == e)) {
                why = FL_REJ_FIELD_COUNT;
                goto bad;
            }
            const struct afield *f = &a->f[i];
            const char *ts = q;
            if (f->kind == K_I32 || f->kind == K_I64) {
                uint64_t x = 0;
                unsigned len = fast_uint(q, e, &x);
                if (FL_LIKELY(len) && (f->kind == K_I64 || x <= INT32_MAX)) {
                    col[f->col].i[row] = (int64_t)x; /* < 10^16: no overflow */
                    col[f->col].valid[row] = 1;
                    q += len;
                    continue;
                }
                x = 0;
                while (q < e && (unsigned)(unsigned char)*q - '0' <= 9) {
                    x = x * 10 + (unsigned)(*q - '0');
                    q++;
                }
                if (FL_LIKELY(q > ts && q - ts <= 18 && (q == e || *q == ' ') &&
                              (f->kind == K_I64 || x <= INT32_MAX))) {
                    col[f->col].i[row] = (int64_t)x; /* < 10^18: no overflow */
                    col[f->col].valid[row] = 1;
                    continue;
                }
            }
            /* the general case: find the token's end, then store it */
            q = token_end(q, e);
            why = store_field(a, b, row, i, (struct fl_str){ts, (size_t)(q - ts)}, &nodata);
            if (FL_UNLIKELY(why != FL_REJ__COUNT))
                goto bad;
        }
        while (q < e && *q == ' ')
            q++;
        if (FL_UNLIKELY(q != e)) {
            why = FL_REJ_FIELD_COUNT;
            goto bad;
        }
    }
    if (a->has_extra) {
        if (fl_buf_addc(&a->extra, '}') < 0 ||
            fl_set_str(b, FL_COL_EXTRA, row, a->extra.p, a->extra.len) < 0) {
            why = FL_REJ_TOO_BIG;
            goto bad;
        }
    }
    fl_set_sref(b, FL_COL_CLOUD, row, a->r_aws);
    fl_set_sref(b, FL_COL_SOURCE_FORMAT, row, a->tgw ? a->r_tgw : a->r_vpc);
    int rc = fl__pctx_lineage(c, b, row, offset);
    if (rc < 0) {
        why = FL_REJ_TOO_BIG;
        goto bad;
    }
    if (nodata == 1)
        c->stats->nodata++;
    else if (nodata == 2)
        c->stats->skipdata++;
    b->n = row + 1;
    a->last_row = row;
    return 1;
bad:
    /* A value error on a line with the wrong number of fields is a
     * field_count reject: the fields were shifted, not bad. */
    if (why != FL_REJ_FIELD_COUNT && why != FL_REJ_TOO_BIG && !a->csv) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += p[i] != ' ' && (i == 0 || p[i - 1] == ' ');
        if (k != (size_t)a->nf)
            why = FL_REJ_FIELD_COUNT;
    }
    return do_reject(a, c, b, arena_mark, lineno, offset, why, p, n, err);
}

/* ---- the "aws-vpc" format -------------------------------------------------- */

struct vpc_state {
    struct fl__aws *aws;
    struct fl__lines *lines;
};

static int vpc_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                     const struct fl_read_opts *opts)
{
    FL_UNUSED(meta);
    if (n == 0 || memchr(head, 0, n))
        return 0;
    if (head[0] == '{' || head[0] == '[')
        return 0;
    const char *nl = memchr(head, '\n', n);
    size_t ln = nl ? (size_t)(nl - head) : n;
    if (ln && head[ln - 1] == '\r')
        ln--;
    struct fl_str tok[FL_AWS_MAX_FIELDS + 1];
    bool csv = memchr(head, ',', ln) && !memchr(head, ' ', ln);
    size_t k = fl__aws_tokenize(head, ln, csv ? ',' : ' ', tok, FL_AWS_MAX_FIELDS);
    if (looks_like_header(tok, k))
        return 90;
    if (opts && opts->aws_format)
        return 60;
    if (k > 0 && tok[0].n <= 2 && tok[0].p[0] >= '0' && tok[0].p[0] <= '9')
        return 50; /* a version number first */
    if (k >= 6)
        return 20;
    return 5; /* some text: parse it and reject what does not fit */
}

static int vpc_open(void *state, struct fl__pctx *c, struct fl_error *err)
{
    struct vpc_state *s = state;
    FL_TRY(fl__aws_new(&s->aws, c->opts->aws_format, err));
    if (c->opts->start_offset) /* resume: lines and offsets continue from there */
        FL_TRY(fl__input_skip(c->in, c->opts->start_offset, err));
    s->lines = fl__lines_new(c->in, c->opts->line_cap, c->stats);
    if (!s->lines)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    return FL_OK;
}

static int vpc_next(void *state, struct fl__pctx *c, struct fl_batch *b, struct fl_error *err)
{
    struct vpc_state *s = state;
    uint32_t n0 = b->n;
    struct fl__line ln;
    int rc = 0;
    while (!fl_batch_full(b)) {
        rc = fl__lines_next(s->lines, &ln, err);
        if (rc <= 0)
            break;
        rc = fl__aws_line(s->aws, c, b, ln.p, ln.n, ln.lineno, ln.offset, ln.too_long, err);
        if (rc < 0) {
            if (err && !err->source[0])
                fl_error_where(err, c->source, ln.lineno, ln.offset);
            break;
        }
    }
    fl__aws_flush(s->aws, b);
    if (rc < 0)
        return rc;
    return (int)(b->n - n0);
}

static uint64_t vpc_resume(void *state)
{
    struct vpc_state *s = state;
    return s->lines ? fl__lines_offset(s->lines) : 0;
}

static void vpc_close(void *state)
{
    struct vpc_state *s = state;
    fl__lines_free(s->lines);
    fl__aws_free(s->aws);
}

const struct fl_format fl_fmt_aws_vpc = {
    "aws-vpc",
    "AWS VPC / Transit Gateway flow logs, text (S3 objects; header line or --aws-format)",
    vpc_sniff,
    sizeof(struct vpc_state),
    vpc_open,
    vpc_next,
    vpc_resume,
    vpc_close,
};
