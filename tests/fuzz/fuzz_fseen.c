/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_fseen.c - libFuzzer target for the first-seen chunk decoder
 * (src/state/fseen.c), which reads chunk bytes from state.db.  The first
 * two input bytes are the entry count the chunk row claims, the rest the
 * chunk data.  Invariants checked, not only "no crash":
 *  - every decoded key is 1..FL_FSEEN_KEY_MAX bytes, NUL-terminated, and
 *    its hash is fl__fseen_hash of its bytes;
 *  - keys come out in strictly increasing (hash, bytes) order;
 *  - a clean end (0) means exactly the claimed count was decoded and every
 *    byte consumed; otherwise the result is FL_ECORRUPT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/fseen.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int64_t n = (int64_t)data[0] | (int64_t)data[1] << 8;
    static struct fl_fseen_dec d;
    static char prev[FL_FSEEN_KEY_MAX + 1];
    size_t pl = 0;
    uint64_t ph = 0;
    int64_t got = 0;
    fl__fseen_dec_init(&d, data + 2, size - 2, n);
    int k;
    while ((k = fl__fseen_dec_next(&d)) == 1) {
        CHECK(d.klen >= 1 && d.klen <= FL_FSEEN_KEY_MAX);
        CHECK(d.key[d.klen] == 0);
        CHECK(d.h == fl__fseen_hash(d.key, d.klen));
        if (got)
            CHECK(fl__fseen_cmp(ph, prev, pl, d.h, d.key, d.klen) < 0);
        memcpy(prev, d.key, d.klen);
        pl = d.klen;
        ph = d.h;
        got++;
        CHECK(got <= n);
    }
    CHECK(k == 0 || k == FL_ECORRUPT);
    if (k == 0)
        CHECK(got == n && d.p == d.end);
    return 0;
}
