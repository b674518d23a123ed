/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ingest_gcp.c - libFuzzer target for the "gcp-vpc" format through the
 * public reader API (the input is handed over as an in-memory file).
 * Invariants, not only "no crash": the reader never fails on content;
 * records_read == parsed + rejected and the per-reason counts add up; every
 * row is cloud gcp with action ACCEPT/REJECT, ports 0..65535, protocol
 * 0..255; source_offset points at the '{' that starts its log entry and
 * increases; no more rows than '{' bytes in the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fl/fl_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_gcp", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = "gcp-vpc";
    fl_reader *r;
    struct fl_error err;
    if (fl_reader_open(&r, path, &o, &err) != FL_OK) {
        close(fd);
        return 0; /* e.g. gzip magic with a corrupt body: an object error */
    }
    struct fl_batch *b = fl_batch_new(16);
    if (!b)
        abort();
    size_t braces = 0;
    for (size_t i = 0; i < size; i++)
        braces += data[i] == '{';
    uint64_t rows = 0;
    int64_t last = -1;
    bool plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b);
    int k;
    while ((k = fl_reader_next(r, b, &err)) > 0) {
        for (uint32_t i = 0; i < b->n; i++) {
            int64_t off = b->col[FL_COL_SOURCE_OFFSET].i[i];
            if (plain && (off <= last || (size_t)off >= size || data[off] != '{'))
                abort();
            last = off;
            struct fl_str cl = fl_get_str(b, FL_COL_CLOUD, i);
            struct fl_str act = fl_get_str(b, FL_COL_ACTION, i);
            if (cl.n != 3 || memcmp(cl.p, "gcp", 3) ||
                !(act.n == 6 && (!memcmp(act.p, "ACCEPT", 6) || !memcmp(act.p, "REJECT", 6))))
                abort();
            for (int p = FL_COL_SRCPORT; p <= FL_COL_DSTPORT; p++)
                if (!fl_is_null(b, p, i) && (b->col[p].i[i] < 0 || b->col[p].i[i] > 65535))
                    abort();
            if (!fl_is_null(b, FL_COL_PROTOCOL, i) &&
                (b->col[FL_COL_PROTOCOL].i[i] < 0 || b->col[FL_COL_PROTOCOL].i[i] > 255))
                abort();
        }
        rows += b->n;
        fl_batch_reset(b);
    }
    if (k < 0 && plain)
        abort();
    const struct fl_ingest_stats *st = fl_reader_stats(r);
    uint64_t sum = 0;
    for (int i = 0; i < FL_REJ__COUNT; i++)
        sum += st->rejected[i];
    if (st->records_read != st->records_parsed + st->records_rejected ||
        sum != st->records_rejected || st->records_parsed != rows || (plain && rows > braces))
        abort();
    fl_reader_close(r);
    fl_batch_free(b);
    close(fd);
    return 0;
}
