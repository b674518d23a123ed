/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ingest_aws.c - libFuzzer target for the AWS text and CloudWatch/
 * Firehose parsers, through the public reader (sniffing, gzip, lines, the
 * aws-vpc / aws-cwl formats).  The input is written to a memfd and read as
 * a file.  The first byte picks options: bit 0 = take the first line as
 * --aws-format, bit 1 = start with the 3-row batch, bit 2 = strict, bit 3 = a 300-byte
 * line cap.  Invariants checked, not only "no crash":
 *  - records_read == records_parsed + records_rejected, and the rows handed
 *    out add up to records_parsed;
 *  - every row has lineage; source_offset is inside the decompressed stream
 *    and strictly increasing; string references lie inside the arena;
 *  - INT32 columns hold int32 values; action is ACCEPT/REJECT; log_status
 *    OK/NODATA/SKIPDATA; addresses parse as IPs;
 *  - the same input parsed with a 3-row batch and a 512-row batch gives
 *    the same number of rows and the same offsets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fl/fl.h"

#include "fuzz_check.h"

static bool str_is(struct fl_str v, const char *lit)
{
    return v.n == strlen(lit) && memcmp(v.p, lit, v.n) == 0;
}

static void check_batch(const struct fl_batch *b, bool aws, int64_t *last_off,
                        int64_t *offs, size_t *n_offs, size_t cap_offs)
{
    for (uint32_t r = 0; r < b->n; r++) {
        for (int c = 0; c < FL_NCOLS; c++) {
            if (fl_is_null(b, c, r))
                continue;
            if (fl_fields[c].type == FL_STR) {
                struct fl_sref s = b->col[c].s[r];
                CHECK((size_t)s.off + s.len <= b->arena_len);
            } else if (fl_fields[c].type == FL_I32) {
                int64_t v = b->col[c].i[r];
                CHECK(v >= INT32_MIN && v <= INT32_MAX);
            }
        }
        CHECK(!fl_is_null(b, FL_COL_SOURCE_OBJECT, r));
        CHECK(!fl_is_null(b, FL_COL_SOURCE_OFFSET, r));
        int64_t off = b->col[FL_COL_SOURCE_OFFSET].i[r];
        CHECK(off >= 0);
        CHECK(off > *last_off); /* and below the stream size: checked at the end */
        *last_off = off;
        if (*n_offs < cap_offs)
            offs[(*n_offs)++] = off;
        if (!fl_is_null(b, FL_COL_ACTION, r)) {
            struct fl_str v = fl_get_str(b, FL_COL_ACTION, r);
            CHECK(str_is(v, "ACCEPT") || str_is(v, "REJECT"));
        }
        if (!fl_is_null(b, FL_COL_LOG_STATUS, r)) {
            struct fl_str v = fl_get_str(b, FL_COL_LOG_STATUS, r);
            CHECK(str_is(v, "OK") || str_is(v, "NODATA") || str_is(v, "SKIPDATA"));
        }
        const int ipcols[] = {FL_COL_SRCADDR, FL_COL_DSTADDR, FL_COL_PKT_SRCADDR,
                              FL_COL_PKT_DSTADDR};
        for (int k = 0; k < 4; k++) {
            if (fl_is_null(b, ipcols[k], r))
                continue;
            struct fl_str v = fl_get_str(b, ipcols[k], r);
            struct fl_ip ip;
            CHECK(fl_ip_parse(v.p, v.n, &ip) == FL_OK);
        }
        if (aws) { /* the sniffer may pick another cloud's format: fine */
            struct fl_str cl = fl_get_str(b, FL_COL_CLOUD, r);
            CHECK(!fl_is_null(b, FL_COL_CLOUD, r) && str_is(cl, "aws"));
        }
    }
}

/* Parse the memfd; returns rows, fills offsets. */
static uint64_t run(int fd, const struct fl_read_opts *o, uint32_t batch_rows,
                    int64_t *offs, size_t *n_offs, size_t cap_offs)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    lseek(fd, 0, SEEK_SET);
    fl_reader *r;
    struct fl_error err;
    *n_offs = 0;
    if (fl_reader_open(&r, path, o, &err) < 0)
        return 0;
    struct fl_batch *b = fl_batch_new(batch_rows);
    CHECK(b);
    bool aws = strncmp(fl_reader_format(r), "aws-", 4) == 0;
    uint64_t rows = 0;
    int64_t last = -1;
    int n;
    while ((n = fl_reader_next(r, b, &err)) > 0) {
        CHECK((uint32_t)n == b->n);
        check_batch(b, aws, &last, offs, n_offs, cap_offs);
        rows += (uint64_t)n;
        fl_batch_reset(b);
    }
    if (n < 0) { /* rows appended before an object error stay valid */
        check_batch(b, aws, &last, offs, n_offs, cap_offs);
        rows += b->n;
    }
    const struct fl_ingest_stats *s = fl_reader_stats(r);
    CHECK(s->records_read == s->records_parsed + s->records_rejected);
    CHECK(s->records_parsed == rows);
    CHECK(rows == 0 || (uint64_t)last < s->bytes); /* offsets inside the decompressed stream */
    uint64_t by_reason = 0;
    for (int i = 0; i < FL_REJ__COUNT; i++)
        by_reason += s->rejected[i];
    CHECK(by_reason == s->records_rejected);
    CHECK(s->n_samples <= FL_SAMPLES_MAX);
    fl_reader_close(r);
    fl_batch_free(b);
    return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    data++;
    size--;
    char fmt[512];
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    if (flags & 1) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t k = nl ? (size_t)(nl - data) : size;
        if (k >= sizeof fmt)
            k = sizeof fmt - 1;
        memcpy(fmt, data, k);
        fmt[k] = 0;
        if (memchr(fmt, 0, k))
            return 0;
        o.aws_format = fmt;
        data += nl ? k + 1 : k;
        size -= nl ? k + 1 : k;
    }
    o.strict = (flags & 4) != 0;
    o.line_cap = (flags & 8) ? 300 : 0;
    o.display_name = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/02/f.log";
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    static int64_t offs_a[4096], offs_b[4096];
    size_t na, nb;
    uint64_t a = run(fd, &o, (flags & 2) ? 3 : 512, offs_a, &na, 4096);
    if (!o.strict) {
        uint64_t b = run(fd, &o, (flags & 2) ? 512 : 3, offs_b, &nb, 4096);
        CHECK(a == b);
        CHECK(na == nb && memcmp(offs_a, offs_b, na * sizeof *offs_a) == 0);
    }
    close(fd);
    return 0;
}
