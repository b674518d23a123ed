/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsdump.c - prints a rule's first-seen set from $HOME/state.db for the
 * tests (the set is stored as binary chunks, src/state/fseen.c):
 *   fsdump HOME RULE            one line per key: "key<TAB>first<TAB>last",
 *                               in stored order; exit 1 if a chunk is corrupt
 *   fsdump HOME RULE --chunks   one line per chunk: "n<TAB>min_last<TAB>bytes"
 * It also checks what a reader relies on: the entries of each chunk are in
 * strictly increasing order, chunk i's entries are before chunk i+1's first
 * key, the row's count and smallest last-seen time match the data.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fl/fl.h"
#include "fl/fl_state.h"
#include "state/fseen.h"

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: fsdump HOME RULE [--chunks]\n");
        return 2;
    }
    bool chunks_only = argc == 4 && strcmp(argv[3], "--chunks") == 0;
    struct fl_error err;
    fl_error_clear(&err);
    fl_state *st = NULL;
    if (fl_state_open(&st, argv[1], &err) != FL_OK || fl__fseen_migrate(st, &err) != FL_OK) {
        fprintf(stderr, "fsdump: %s\n", err.msg);
        fl_state_close(st);
        return 2;
    }
    struct fl_fseen_chunk *ch = NULL;
    size_t n = 0;
    int rc = fl__fseen_chunks(st, argv[2], &ch, &n, &err);
    struct fl_buf data;
    fl_buf_init(&data, (size_t)1 << 30);
    static struct fl_fseen_dec d;
    static char prev[FL_FSEEN_KEY_MAX + 1];
    size_t prev_len = 0;
    uint64_t prev_h = 0;
    bool any = false;
    for (size_t i = 0; i < n && rc == FL_OK; i++) {
        rc = fl__fseen_chunk_load(st, ch[i].id, &data, &err);
        if (rc != FL_OK)
            break;
        if (chunks_only)
            printf("%" PRId64 "\t%" PRId64 "\t%zu\n", ch[i].n, ch[i].min_last, data.len);
        fl__fseen_dec_init(&d, data.p, data.len, ch[i].n);
        int64_t min_last = INT64_MAX, cnt = 0;
        int k;
        while ((k = fl__fseen_dec_next(&d)) == 1) {
            if (cnt == 0 && (d.h != ch[i].first_h || d.klen != ch[i].first_len ||
                             memcmp(d.key, ch[i].first_key, d.klen) != 0)) {
                fprintf(stderr, "fsdump: chunk %zu: first key differs from the row's\n", i);
                rc = FL_ECORRUPT;
                break;
            }
            if (any && fl__fseen_cmp(prev_h, prev, prev_len, d.h, d.key, d.klen) >= 0) {
                fprintf(stderr, "fsdump: chunk %zu: key out of order: %s\n", i, d.key);
                rc = FL_ECORRUPT;
                break;
            }
            memcpy(prev, d.key, d.klen + 1);
            prev_len = d.klen;
            prev_h = d.h;
            any = true;
            cnt++;
            if (d.last < min_last)
                min_last = d.last;
            if (!chunks_only)
                printf("%s\t%" PRId64 "\t%" PRId64 "\n", d.key, d.first, d.last);
        }
        if (rc == FL_OK && k < 0) {
            fprintf(stderr, "fsdump: chunk %zu is corrupt\n", i);
            rc = FL_ECORRUPT;
        }
        if (rc == FL_OK && (cnt != ch[i].n || min_last != ch[i].min_last)) {
            fprintf(stderr, "fsdump: chunk %zu: count/min_last differ from the row's\n", i);
            rc = FL_ECORRUPT;
        }
    }
    if (rc != FL_OK && err.msg[0])
        fprintf(stderr, "fsdump: %s\n", err.msg);
    fl_buf_free(&data);
    fl__fseen_chunks_free(ch, n);
    fl_state_close(st);
    return rc == FL_OK ? 0 : 1;
}
