/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fseen.h - the first-seen sets of the detection rules in state.db
 * (component "first_seen"): per rule, its keys (the canonical entity text)
 * with the first and last time each was seen, in key order, stored as
 * chunks of about FL_FSEEN_CHUNK bytes (front-coded keys, varint times),
 * one row per chunk keyed by (rule, first key of the chunk), with the
 * chunk's entry count and smallest last-seen time.  The key order is
 * (fl__fseen_hash(key), key bytes): a run sorts its candidates by a 64-bit
 * integer (radix sort) instead of comparing strings; the hash is part of
 * the stored format and never changes.  A run reads and
 * rewrites only the chunks whose key range holds one of its candidate keys
 * or an entry past the retention; the others are neither read nor written.
 * Everything happens inside the caller's transaction, so a crash leaves the
 * set of the last committed run.
 *
 * The sets used to be one row per key in table first_seen (component
 * "detect"): fl__fseen_import_legacy() turns a rule's rows into chunks and
 * deletes them (once; rows found later, written by an older flowsift,
 * replace the chunks).
 *
 * Used by src/detect/det_first_seen.c and the tests (tests/tools/fsdump.c).
 */
#ifndef FL_STATE_FSEEN_H
#define FL_STATE_FSEEN_H

#include "fl/fl_state.h"
#include "../common/common_int.h"

struct sqlite3_stmt;

#define FL_FSEEN_CHUNK (64u << 10)      /* target encoded bytes per chunk */
#define FL_FSEEN_KEY_MAX 8192           /* bytes of one key */
#define FL_FSEEN_CHUNKS_MAX (1u << 22)  /* chunks per rule (~256 GB) */

/* The order of keys: by hash, then bytes (shorter first on a common prefix). */
uint64_t fl__fseen_hash(const char *key, size_t n);
static inline int fl__fseen_cmp(uint64_t ha, const char *a, size_t an, uint64_t hb, const char *b, size_t bn)
{
    if (ha != hb)
        return ha < hb ? -1 : 1;
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* Create the chunk table if needed. */
int fl__fseen_migrate(fl_state *s, struct fl_error *err);
/* Move the rule's rows of the legacy table first_seen (if any) into chunks,
 * replacing the rule's chunks.  *imported = rows moved. */
int fl__fseen_import_legacy(fl_state *s, const char *rule, uint64_t *imported,
                            struct fl_error *err);

/* One chunk as listed (without its data). */
struct fl_fseen_chunk {
    int64_t id;          /* rowid */
    uint64_t first_h;    /* hash of ... */
    char *first_key;     /* ... its first key, NUL-terminated */
    size_t first_len;
    int64_t n, min_last;
};
/* The rule's chunks in key order; free with fl__fseen_chunks_free. */
int fl__fseen_chunks(fl_state *s, const char *rule, struct fl_fseen_chunk **out,
                     size_t *n, struct fl_error *err);
void fl__fseen_chunks_free(struct fl_fseen_chunk *v, size_t n);
/* Load a chunk's data into b (reset first) / delete a chunk. */
int fl__fseen_chunk_load(fl_state *s, int64_t id, struct fl_buf *b, struct fl_error *err);
int fl__fseen_chunk_delete(fl_state *s, int64_t id, struct fl_error *err);

/* Decoding one chunk's data: entries in strictly increasing key order. */
struct fl_fseen_dec {
    const uint8_t *p, *end;
    int64_t left;             /* entries still expected */
    char key[FL_FSEEN_KEY_MAX + 1]; /* current key, NUL-terminated */
    size_t klen;
    uint64_t h;               /* its hash */
    int64_t first, last;
};
void fl__fseen_dec_init(struct fl_fseen_dec *d, const void *data, size_t len, int64_t n);
/* 1 = an entry is in d, 0 = end (every byte and entry consumed),
 * FL_ECORRUPT on malformed data. */
int fl__fseen_dec_next(struct fl_fseen_dec *d);

/* Writing entries in strictly increasing order: a chunk row is
 * inserted whenever FL_FSEEN_CHUNK bytes are pending, and on flush. */
struct fl_fseen_wr {
    fl_state *s;
    const char *rule;
    struct sqlite3_stmt *ins;
    struct fl_buf data;
    char prev[FL_FSEEN_KEY_MAX + 1]; /* last key put (order check, prefix) */
    size_t prev_len;
    uint64_t prev_h;
    bool any;                 /* a key was put (prev is valid) */
    char first[FL_FSEEN_KEY_MAX + 1]; /* first key of the pending chunk */
    size_t first_len;
    uint64_t first_h;
    int64_t n, min_last;      /* of the pending chunk */
    uint64_t chunks, entries; /* written so far */
};
int fl__fseen_wr_init(struct fl_fseen_wr *w, fl_state *s, const char *rule,
                      struct fl_error *err);
/* h = fl__fseen_hash(key, klen).  FL_EINTERNAL if the key is not after
 * the previous one. */
int fl__fseen_wr_put(struct fl_fseen_wr *w, uint64_t h, const char *key, size_t klen,
                     int64_t first, int64_t last, struct fl_error *err);
/* Insert the pending chunk (if any). */
int fl__fseen_wr_flush(struct fl_fseen_wr *w, struct fl_error *err);
void fl__fseen_wr_free(struct fl_fseen_wr *w);

#endif
