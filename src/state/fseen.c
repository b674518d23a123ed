/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fseen.c - the first-seen sets in state.db as sorted, front-coded chunks
 * (see fseen.h): the chunk table, listing / loading / deleting chunks, the
 * chunk encoder and decoder, and the one-time import of the legacy
 * one-row-per-key table.
 *
 * Entry encoding inside a chunk (all varints LEB128, signed ones zigzag):
 *   shared   bytes shared with the previous key of the chunk (0 for the first)
 *   suffix   length of the rest of the key, then its bytes
 *   first    first-seen time (signed)
 *   span     last - first (signed)
 * The decoder checks every length against the data and the key cap, that
 * keys strictly increase and that the entry count matches the row's.
 * A chunk's first_key column is the 8-byte big-endian hash of its first key
 * followed by the key: SQLite orders the blobs as the entries are ordered.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "state_int.h"
#include "fseen.h"

static int sql_err(fl_state *s, struct fl_error *err, const char *what)
{
    return fl_error_set(err, FL_EIO, "state.db: first-seen set: %s: %s", what, sqlite3_errmsg(s->db));
}

static const struct fl_migration fseen_migrations[] = {
    {1, "first_seen_chunks",
     "CREATE TABLE first_seen_chunks("
     " rule TEXT NOT NULL, first_key BLOB NOT NULL,"
     " n INTEGER NOT NULL, min_last INTEGER NOT NULL,"
     " data BLOB NOT NULL,"           /* last: listing never reads it */
     " PRIMARY KEY(rule, first_key));"},
};

int fl__fseen_migrate(fl_state *s, struct fl_error *err)
{
    if (fl_state_version(s, "first_seen") >= (int)FL_ARRAY_LEN(fseen_migrations))
        return FL_OK;
    return fl_state_migrate(s, "first_seen", fseen_migrations, (int)FL_ARRAY_LEN(fseen_migrations), err);
}

/* ---- the key order ---------------------------------------------------------- */
/* Part of the stored format: never change it.  Little-endian 8-byte words,
 * each multiplied into the state (a 64-bit mix in the spirit of wyhash). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t fl__fseen_hash(const char *key, size_t n)
{
    const uint8_t *p = (const uint8_t *)key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w = 0;
        for (int i = 7; i >= 0; i--)
            w = (w << 8) | p[i];
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = n; i > 0; i--)
        w = (w << 8) | p[i - 1];
    return mix(h ^ w ^ ((uint64_t)n << 56));
}

/* ---- varints ---------------------------------------------------------------- */
static size_t put_uv(uint8_t *o, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        o[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    o[n++] = (uint8_t)v;
    return n;
}

static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static bool get_uv(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int sh = 0; sh < 64 && *p < end; sh += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* ---- decoder ----------------------------------------------------------------- */
void fl__fseen_dec_init(struct fl_fseen_dec *d, const void *data, size_t len, int64_t n)
{
    d->p = data;
    d->end = d->p + len;
    d->left = n;
    d->klen = 0;
    d->h = 0;
    d->key[0] = 0;
    d->first = d->last = 0;
}

int fl__fseen_dec_next(struct fl_fseen_dec *d)
{
    if (d->left <= 0)
        return d->p == d->end && d->left == 0 ? 0 : FL_ECORRUPT;
    uint64_t shared, suffix, first, span;
    if (!get_uv(&d->p, d->end, &shared) || !get_uv(&d->p, d->end, &suffix))
        return FL_ECORRUPT;
    if (shared > d->klen || suffix > FL_FSEEN_KEY_MAX - shared || suffix > (uint64_t)(d->end - d->p) ||
        shared + suffix == 0)
        return FL_ECORRUPT;
    size_t nl = (size_t)(shared + suffix);
    uint64_t oh = d->h;
    size_t ol = d->klen;
    /* the old key's tail is overwritten: keep what the order check needs */
    char tail[FL_FSEEN_KEY_MAX];
    size_t tl = ol - (size_t)shared;
    memcpy(tail, d->key + shared, tl);
    memcpy(d->key + shared, d->p, (size_t)suffix);
    d->key[nl] = 0;
    d->klen = nl;
    d->h = fl__fseen_hash(d->key, nl);
    d->p += suffix;
    if (ol > 0) { /* strictly increasing: (hash, bytes) */
        int c;
        if (oh != d->h) {
            c = oh < d->h ? -1 : 1;
        } else {
            size_t m = tl < suffix ? tl : (size_t)suffix;
            c = memcmp(tail, d->key + shared, m);
            if (c == 0)
                c = (tl > suffix) - (tl < suffix);
        }
        if (c >= 0)
            return FL_ECORRUPT;
    }
    if (!get_uv(&d->p, d->end, &first) || !get_uv(&d->p, d->end, &span))
        return FL_ECORRUPT;
    d->first = unzz(first);
    d->last = (int64_t)((uint64_t)d->first + (uint64_t)unzz(span));
    d->left--;
    return 1;
}

/* ---- writer ------------------------------------------------------------------- */
int fl__fseen_wr_init(struct fl_fseen_wr *w, fl_state *s, const char *rule, struct fl_error *err)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    w->rule = rule;
    fl_buf_init(&w->data, FL_FSEEN_CHUNK + FL_FSEEN_KEY_MAX + 64);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO first_seen_chunks(rule, first_key, n, min_last, data) "
                           "VALUES(?, ?, ?, ?, ?)",
                           -1, &w->ins, NULL) != SQLITE_OK)
        return sql_err(s, err, "write");
    return FL_OK;
}

void fl__fseen_wr_free(struct fl_fseen_wr *w)
{
    sqlite3_finalize(w->ins);
    w->ins = NULL;
    fl_buf_free(&w->data);
}

int fl__fseen_wr_flush(struct fl_fseen_wr *w, struct fl_error *err)
{
    if (w->n == 0)
        return FL_OK;
    sqlite3_stmt *st = w->ins;
    sqlite3_bind_text(st, 1, w->rule, -1, SQLITE_STATIC);
    uint8_t fk[8 + FL_FSEEN_KEY_MAX];
    for (int i = 0; i < 8; i++)
        fk[i] = (uint8_t)(w->first_h >> (56 - 8 * i));
    memcpy(fk + 8, w->first, w->first_len);
    sqlite3_bind_blob(st, 2, fk, (int)(8 + w->first_len), SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, w->n);
    sqlite3_bind_int64(st, 4, w->min_last);
    sqlite3_bind_blob(st, 5, w->data.p, (int)w->data.len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return sql_err(w->s, err, "write");
    w->chunks++;
    w->n = 0;
    fl_buf_reset(&w->data);
    return FL_OK;
}

int fl__fseen_wr_put(struct fl_fseen_wr *w, uint64_t h, const char *key, size_t klen, int64_t first,
                     int64_t last, struct fl_error *err)
{
    FL_RETURN_IF(klen == 0 || klen > FL_FSEEN_KEY_MAX, err, FL_ELIMIT,
                 "first-seen key of %zu bytes (1..%d)", klen, FL_FSEEN_KEY_MAX);
    size_t shared = 0;
    if (w->any) {
        FL_RETURN_IF(fl__fseen_cmp(w->prev_h, w->prev, w->prev_len, h, key, klen) >= 0, err, FL_EINTERNAL,
                     "first-seen keys out of order");
        size_t m = klen < w->prev_len ? klen : w->prev_len;
        while (shared < m && w->prev[shared] == key[shared])
            shared++;
    }
    if (w->n == 0) {
        shared = 0;
        memcpy(w->first, key, klen);
        w->first[klen] = 0;
        w->first_len = klen;
        w->first_h = h;
        w->min_last = last;
    }
    uint8_t hdr[40];
    size_t hl = put_uv(hdr, shared);
    hl += put_uv(hdr + hl, klen - shared);
    uint8_t tl[24];
    size_t t = put_uv(tl, zz(first));
    t += put_uv(tl + t, zz((int64_t)((uint64_t)last - (uint64_t)first)));
    int rc = fl_buf_add(&w->data, hdr, hl);
    if (rc == FL_OK)
        rc = fl_buf_add(&w->data, key + shared, klen - shared);
    if (rc == FL_OK)
        rc = fl_buf_add(&w->data, tl, t);
    FL_RETURN_IF(rc != FL_OK, err, rc, "first-seen chunk: %s", fl_strerror(rc));
    memcpy(w->prev + shared, key + shared, klen - shared);
    w->prev[klen] = 0;
    w->prev_len = klen;
    w->prev_h = h;
    w->any = true;
    w->n++;
    w->entries++;
    if (last < w->min_last)
        w->min_last = last;
    if (w->data.len >= FL_FSEEN_CHUNK)
        return fl__fseen_wr_flush(w, err);
    return FL_OK;
}

/* ---- chunks ----------------------------------------------------------------------- */
void fl__fseen_chunks_free(struct fl_fseen_chunk *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        fl_free(v[i].first_key);
    fl_free(v);
}

int fl__fseen_chunks(fl_state *s, const char *rule, struct fl_fseen_chunk **out, size_t *nout,
                     struct fl_error *err)
{
    *out = NULL;
    *nout = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT rowid, first_key, n, min_last FROM first_seen_chunks "
                           "WHERE rule = ? ORDER BY first_key",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_err(s, err, "list");
    sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
    struct fl_fseen_chunk *v = NULL;
    size_t n = 0, cap = 0;
    int rc = FL_OK, s3;
    while ((s3 = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            if (cap >= FL_FSEEN_CHUNKS_MAX) {
                rc = fl_error_set(err, FL_ELIMIT, "first-seen set of rule %s: more than %u chunks", rule,
                                  FL_FSEEN_CHUNKS_MAX);
                break;
            }
            size_t nc = cap ? cap * 2 : 64;
            struct fl_fseen_chunk *nv = fl_realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        const uint8_t *fk = sqlite3_column_blob(st, 1);
        size_t fl = (size_t)sqlite3_column_bytes(st, 1);
        if (!fk || fl < 9 || fl > 8 + FL_FSEEN_KEY_MAX) {
            rc = fl_error_set(err, FL_ECORRUPT, "state.db: the first-seen set of rule %s is corrupt", rule);
            break;
        }
        const char *k = (const char *)fk + 8;
        size_t kl = fl - 8;
        struct fl_fseen_chunk *c = &v[n];
        c->first_h = 0;
        for (int i = 0; i < 8; i++)
            c->first_h = (c->first_h << 8) | fk[i];
        c->id = sqlite3_column_int64(st, 0);
        c->n = sqlite3_column_int64(st, 2);
        c->min_last = sqlite3_column_int64(st, 3);
        c->first_len = kl;
        c->first_key = fl_malloc(kl + 1);
        if (!c->first_key) {
            rc = fl_error_set(err, FL_ENOMEM, "out of memory");
            break;
        }
        memcpy(c->first_key, k, kl);
        c->first_key[kl] = 0;
        n++;
    }
    if (rc == FL_OK && s3 != SQLITE_DONE)
        rc = sql_err(s, err, "list");
    sqlite3_finalize(st);
    if (rc != FL_OK) {
        fl__fseen_chunks_free(v, n);
        return rc;
    }
    *out = v;
    *nout = n;
    return FL_OK;
}

int fl__fseen_chunk_load(fl_state *s, int64_t id, struct fl_buf *b, struct fl_error *err)
{
    fl_buf_reset(b);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT data FROM first_seen_chunks WHERE rowid = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return sql_err(s, err, "load");
    sqlite3_bind_int64(st, 1, id);
    int rc = FL_OK;
    int s3 = sqlite3_step(st);
    if (s3 == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        rc = n ? fl_buf_add(b, p, n) : FL_OK;
        if (rc != FL_OK)
            rc = fl_error_set(err, rc, "first-seen chunk of %zu bytes: %s", n, fl_strerror(rc));
    } else if (s3 == SQLITE_DONE) {
        rc = fl_error_set(err, FL_ENOTFOUND, "first-seen chunk %lld is gone", (long long)id);
    } else {
        rc = sql_err(s, err, "load");
    }
    sqlite3_finalize(st);
    return rc;
}

int fl__fseen_chunk_delete(fl_state *s, int64_t id, struct fl_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM first_seen_chunks WHERE rowid = ?", -1, &st, NULL) != SQLITE_OK)
        return sql_err(s, err, "delete");
    sqlite3_bind_int64(st, 1, id);
    int s3 = sqlite3_step(st);
    sqlite3_finalize(st);
    return s3 == SQLITE_DONE ? FL_OK : sql_err(s, err, "delete");
}

/* ---- the legacy table ---------------------------------------------------------------- */
static bool legacy_exists(fl_state *s)
{
    sqlite3_stmt *st;
    bool yes = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'first_seen'", -1,
                           &st, NULL) != SQLITE_OK)
        return false;
    yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* A legacy row while importing. */
struct lrow {
    uint64_t h;
    size_t off, len;
    int64_t first, last;
};
static _Thread_local const char *lpool;
static int lrow_cmp(const void *a, const void *b)
{
    const struct lrow *x = a, *y = b;
    return fl__fseen_cmp(x->h, lpool + x->off, x->len, y->h, lpool + y->off, y->len);
}

int fl__fseen_import_legacy(fl_state *s, const char *rule, uint64_t *imported, struct fl_error *err)
{
    *imported = 0;
    if (!legacy_exists(s))
        return FL_OK;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT entity, first_seen, last_seen FROM first_seen WHERE rule = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return sql_err(s, err, "legacy rows");
    sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
    int s3 = sqlite3_step(st);
    if (s3 != SQLITE_ROW) { /* nothing to import (the usual case) */
        sqlite3_finalize(st);
        return s3 == SQLITE_DONE ? FL_OK : sql_err(s, err, "legacy rows");
    }
    /* rows are newer than any chunk (only an older flowsift writes them):
     * read them all, order them as the chunks are, replace the chunks */
    int rc = FL_OK;
    struct fl_buf pool;
    fl_buf_init(&pool, (size_t)1 << 30);
    struct lrow *v = NULL;
    size_t n = 0, cap = 0;
    for (; rc == FL_OK && s3 == SQLITE_ROW; s3 = sqlite3_step(st)) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        size_t kl = (size_t)sqlite3_column_bytes(st, 0);
        if (!k || kl == 0 || kl > FL_FSEEN_KEY_MAX || memchr(k, 0, kl))
            continue; /* cannot be a key flowsift wrote */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct lrow *nv = nc <= ((size_t)1 << 28) ? fl_realloc(v, nc * sizeof *nv) : NULL;
            if (!nv) {
                rc = fl_error_set(err, FL_ENOMEM, "first-seen import: out of memory (%zu rows)", n);
                break;
            }
            v = nv;
            cap = nc;
        }
        v[n] = (struct lrow){fl__fseen_hash(k, kl), pool.len, kl, sqlite3_column_int64(st, 1),
                             sqlite3_column_int64(st, 2)};
        rc = fl_buf_add(&pool, k, kl);
        if (rc != FL_OK)
            rc = fl_error_set(err, rc, "first-seen import: %s", fl_strerror(rc));
        n++;
    }
    if (rc == FL_OK && s3 != SQLITE_DONE)
        rc = sql_err(s, err, "legacy rows");
    sqlite3_finalize(st);
    if (rc == FL_OK && n > 1) {
        lpool = pool.p;
        qsort(v, n, sizeof *v, lrow_cmp);
        lpool = NULL;
    }
    sqlite3_stmt *del;
    if (rc == FL_OK) {
        if (sqlite3_prepare_v2(s->db, "DELETE FROM first_seen_chunks WHERE rule = ?", -1, &del, NULL) != SQLITE_OK)
            rc = sql_err(s, err, "legacy import");
        else {
            sqlite3_bind_text(del, 1, rule, -1, SQLITE_STATIC);
            if (sqlite3_step(del) != SQLITE_DONE)
                rc = sql_err(s, err, "legacy import");
            sqlite3_finalize(del);
        }
    }
    struct fl_fseen_wr w;
    int wrc = fl__fseen_wr_init(&w, s, rule, err);
    if (rc == FL_OK)
        rc = wrc;
    for (size_t i = 0; i < n && rc == FL_OK; i++)
        rc = fl__fseen_wr_put(&w, v[i].h, pool.p + v[i].off, v[i].len, v[i].first, v[i].last, err);
    if (rc == FL_OK)
        rc = fl__fseen_wr_flush(&w, err);
    *imported = w.entries;
    fl__fseen_wr_free(&w);
    fl_free(v);
    fl_buf_free(&pool);
    if (rc == FL_OK) {
        if (sqlite3_prepare_v2(s->db, "DELETE FROM first_seen WHERE rule = ?", -1, &del, NULL) != SQLITE_OK)
            return sql_err(s, err, "legacy import");
        sqlite3_bind_text(del, 1, rule, -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE)
            rc = sql_err(s, err, "legacy import");
        sqlite3_finalize(del);
    }
    return rc;
}
