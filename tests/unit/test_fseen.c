/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fseen.c - the first-seen store (src/state/fseen.c): the key hash is
 * pinned (it orders stored data), chunks written in order read back the
 * same with their row metadata, the writer refuses keys out of order or too
 * long, every truncation and many byte flips of a chunk are reported as
 * corrupt or decode in order (never past the data), and the legacy
 * one-row-per-key table is imported in set order and emptied.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fl/fl_state.h"
#include "state/fseen.h"
#include "unit.h"

static char home[256];

static fl_state *fresh(void)
{
    snprintf(home, sizeof home, "/tmp/fl_test_fseen_%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0)
        UNIT_FAIL("rm");
    fl_state *s;
    struct fl_error e;
    if (fl_state_open(&s, home, &e) != FL_OK || fl__fseen_migrate(s, &e) != FL_OK)
        UNIT_FAIL("open: %s", e.msg);
    return s;
}

static void cleanup(fl_state *s)
{
    fl_state_close(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0)
        UNIT_FAIL("rm");
}

/* n keys "srcaddr=10.0.X.Y,dstaddr=..." in set order */
struct k {
    char s[64];
    size_t n;
    uint64_t h;
    int64_t first, last;
};
static int kcmp(const void *a, const void *b)
{
    const struct k *x = a, *y = b;
    return fl__fseen_cmp(x->h, x->s, x->n, y->h, y->s, y->n);
}
static struct k *make_keys(size_t n)
{
    struct k *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].n = (size_t)snprintf(v[i].s, sizeof v[i].s, "srcaddr=10.0.%zu.%zu,dstaddr=203.0.113.%zu", i / 250,
                                  i % 250, (i * 7) % 256);
        v[i].h = fl__fseen_hash(v[i].s, v[i].n);
        v[i].first = 1700000000 + (int64_t)i * 3;
        v[i].last = v[i].first + (int64_t)(i % 5000);
    }
    qsort(v, n, sizeof *v, kcmp);
    return v;
}

TEST(hash_is_pinned)
{
    /* changing the hash reorders every stored set: it must never change */
    ASSERT(fl__fseen_hash("srcaddr=10.0.1.5,dstaddr=91.198.174.192", 39) == 4031581955692480726ULL);
    ASSERT(fl__fseen_hash("", 0) == 5627194300713089401ULL);
    ASSERT(fl__fseen_hash("a", 1) == 15721641956637166987ULL);
    ASSERT(fl__fseen_cmp(1, "b", 1, 2, "a", 1) < 0);
    ASSERT(fl__fseen_cmp(2, "ab", 2, 2, "a", 1) > 0);
    ASSERT(fl__fseen_cmp(2, "a", 1, 2, "a", 1) == 0);
}

TEST(write_read_back)
{
    fl_state *s = fresh();
    struct fl_error e;
    size_t n = 20000;
    struct k *v = make_keys(n);
    ASSERT_EQ_INT(fl_state_begin(s, &e), FL_OK);
    struct fl_fseen_wr w;
    ASSERT_EQ_INT(fl__fseen_wr_init(&w, s, "r1", &e), FL_OK);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ_INT(fl__fseen_wr_put(&w, v[i].h, v[i].s, v[i].n, v[i].first, v[i].last, &e), FL_OK);
    /* out of order, equal, too long: refused */
    ASSERT_EQ_INT(fl__fseen_wr_put(&w, v[0].h, v[0].s, v[0].n, 1, 1, &e), FL_EINTERNAL);
    ASSERT_EQ_INT(fl__fseen_wr_put(&w, v[n - 1].h, v[n - 1].s, v[n - 1].n, 1, 1, &e), FL_EINTERNAL);
    static char big[FL_FSEEN_KEY_MAX + 2];
    memset(big, 'x', sizeof big);
    ASSERT_EQ_INT(fl__fseen_wr_put(&w, UINT64_MAX, big, sizeof big, 1, 1, &e), FL_ELIMIT);
    ASSERT_EQ_INT(fl__fseen_wr_flush(&w, &e), FL_OK);
    ASSERT(w.entries == n);
    fl__fseen_wr_free(&w);
    ASSERT_EQ_INT(fl_state_commit(s, &e), FL_OK);

    struct fl_fseen_chunk *ch;
    size_t nch;
    ASSERT_EQ_INT(fl__fseen_chunks(s, "r1", &ch, &nch, &e), FL_OK);
    ASSERT(nch > 3); /* ~20000 x ~35 bytes in 64 KiB chunks */
    struct fl_buf b;
    fl_buf_init(&b, 1 << 24);
    static struct fl_fseen_dec d;
    size_t at = 0;
    for (size_t i = 0; i < nch; i++) {
        ASSERT_EQ_INT(fl__fseen_chunk_load(s, ch[i].id, &b, &e), FL_OK);
        ASSERT(b.len <= FL_FSEEN_CHUNK + 128);
        ASSERT(ch[i].first_h == v[at].h && ch[i].first_len == v[at].n &&
               memcmp(ch[i].first_key, v[at].s, v[at].n) == 0);
        fl__fseen_dec_init(&d, b.p, b.len, ch[i].n);
        int64_t min_last = INT64_MAX;
        int k;
        while ((k = fl__fseen_dec_next(&d)) == 1) {
            ASSERT(at < n);
            ASSERT(d.klen == v[at].n && memcmp(d.key, v[at].s, d.klen) == 0 && d.key[d.klen] == 0);
            ASSERT(d.h == v[at].h);
            ASSERT(d.first == v[at].first && d.last == v[at].last);
            if (d.last < min_last)
                min_last = d.last;
            at++;
        }
        ASSERT_EQ_INT(k, 0);
        ASSERT(min_last == ch[i].min_last);
    }
    ASSERT(at == n);
    /* another rule sees nothing */
    struct fl_fseen_chunk *ch2;
    size_t nch2;
    ASSERT_EQ_INT(fl__fseen_chunks(s, "r2", &ch2, &nch2, &e), FL_OK);
    ASSERT(nch2 == 0);
    fl__fseen_chunks_free(ch2, nch2);
    ASSERT_EQ_INT(fl__fseen_chunk_delete(s, ch[0].id, &e), FL_OK);
    ASSERT_EQ_INT(fl__fseen_chunk_load(s, ch[0].id, &b, &e), FL_ENOTFOUND);
    fl__fseen_chunks_free(ch, nch);
    fl_buf_free(&b);
    free(v);
    cleanup(s);
}

/* Encode a few entries into a chunk through the store, return its bytes. */
static size_t one_chunk(uint8_t *out, size_t cap, int64_t *n_out)
{
    fl_state *s = fresh();
    struct fl_error e;
    struct k *v = make_keys(40);
    struct fl_fseen_wr w;
    if (fl__fseen_wr_init(&w, s, "r", &e) != FL_OK)
        UNIT_FAIL("init");
    for (size_t i = 0; i < 40; i++)
        if (fl__fseen_wr_put(&w, v[i].h, v[i].s, v[i].n, v[i].first, v[i].last - 9000, &e) != FL_OK)
            UNIT_FAIL("put");
    if (fl__fseen_wr_flush(&w, &e) != FL_OK)
        UNIT_FAIL("flush");
    fl__fseen_wr_free(&w);
    struct fl_fseen_chunk *ch;
    size_t nch;
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    if (fl__fseen_chunks(s, "r", &ch, &nch, &e) != FL_OK || nch != 1 ||
        fl__fseen_chunk_load(s, ch[0].id, &b, &e) != FL_OK || b.len > cap)
        UNIT_FAIL("load");
    memcpy(out, b.p, b.len);
    size_t len = b.len;
    *n_out = ch[0].n;
    fl__fseen_chunks_free(ch, nch);
    fl_buf_free(&b);
    free(v);
    cleanup(s);
    return len;
}

/* Decode whatever; check the invariants; 0 = clean end, <0 = corrupt. */
static int decode_all(const uint8_t *p, size_t len, int64_t n)
{
    static struct fl_fseen_dec d;
    static char prev[FL_FSEEN_KEY_MAX + 1];
    size_t pl = 0;
    uint64_t ph = 0;
    bool any = false;
    fl__fseen_dec_init(&d, p, len, n);
    int k;
    while ((k = fl__fseen_dec_next(&d)) == 1) {
        if (d.klen == 0 || d.klen > FL_FSEEN_KEY_MAX || d.key[d.klen] != 0 || d.h != fl__fseen_hash(d.key, d.klen))
            UNIT_FAIL("bad entry");
        if (any && fl__fseen_cmp(ph, prev, pl, d.h, d.key, d.klen) >= 0)
            UNIT_FAIL("decoded out of order");
        memcpy(prev, d.key, d.klen);
        pl = d.klen;
        ph = d.h;
        any = true;
    }
    return k;
}

TEST(corrupt_chunks_are_reported)
{
    static uint8_t c[8192], m[8192];
    int64_t n;
    size_t len = one_chunk(c, sizeof c, &n);
    ASSERT(n == 40 && len > 100);
    ASSERT_EQ_INT(decode_all(c, len, n), 0);
    /* truncated anywhere, or a wrong count: corrupt */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *t = malloc(cut ? cut : 1); /* exact size: ASan sees any over-read */
        memcpy(t, c, cut);
        ASSERT(decode_all(t, cut, n) == FL_ECORRUPT);
        free(t);
    }
    ASSERT(decode_all(c, len, n - 1) == FL_ECORRUPT);
    ASSERT(decode_all(c, len, n + 1) == FL_ECORRUPT);
    ASSERT(decode_all(c, len, 0) == FL_ECORRUPT);
    /* byte flips: never a crash, and order holds whenever it decodes */
    int bad = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(m, c, len);
            m[i] ^= (uint8_t)(1u << bit);
            if (decode_all(m, len, n) < 0)
                bad++;
        }
    }
    ASSERT(bad > 0);
}

TEST(legacy_rows_imported_in_order)
{
    fl_state *s = fresh();
    struct fl_error e;
    ASSERT_EQ_INT(fl_state_exec(s,
                                "CREATE TABLE first_seen(rule TEXT NOT NULL, entity TEXT NOT NULL, "
                                "first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY(rule, entity))",
                                &e),
                  FL_OK);
    size_t n = 3000;
    struct k *v = make_keys(n);
    fl_stmt *ins;
    ASSERT_EQ_INT(fl_stmt_prepare(s, "INSERT INTO first_seen VALUES(?, ?, ?, ?)", &ins, &e), FL_OK);
    ASSERT_EQ_INT(fl_state_begin(s, &e), FL_OK);
    for (size_t i = 0; i < n; i++) {
        fl_stmt_bind_text(ins, 1, "r", 1);
        fl_stmt_bind_text(ins, 2, v[i].s, v[i].n);
        fl_stmt_bind_i64(ins, 3, v[i].first);
        fl_stmt_bind_i64(ins, 4, v[i].last);
        ASSERT_EQ_INT(fl_stmt_step(ins, &e), 0);
        fl_stmt_reset(ins);
    }
    fl_stmt_bind_text(ins, 1, "other", 5);
    fl_stmt_bind_text(ins, 2, "k=v", 3);
    fl_stmt_bind_i64(ins, 3, 1);
    fl_stmt_bind_i64(ins, 4, 2);
    ASSERT_EQ_INT(fl_stmt_step(ins, &e), 0);
    fl_stmt_finalize(ins);
    ASSERT_EQ_INT(fl_state_commit(s, &e), FL_OK);

    ASSERT_EQ_INT(fl_state_begin(s, &e), FL_OK);
    uint64_t imported = 0;
    ASSERT_EQ_INT(fl__fseen_import_legacy(s, "r", &imported, &e), FL_OK);
    ASSERT(imported == n);
    ASSERT_EQ_INT(fl_state_commit(s, &e), FL_OK);
    /* idempotent: nothing left to import */
    ASSERT_EQ_INT(fl__fseen_import_legacy(s, "r", &imported, &e), FL_OK);
    ASSERT(imported == 0);
    fl_stmt *q;
    ASSERT_EQ_INT(fl_stmt_prepare(s, "SELECT count(*) FROM first_seen WHERE rule = 'r'", &q, &e), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(q, &e), 1);
    ASSERT(fl_stmt_i64(q, 0) == 0);
    fl_stmt_finalize(q);
    ASSERT_EQ_INT(fl_stmt_prepare(s, "SELECT count(*) FROM first_seen WHERE rule = 'other'", &q, &e), FL_OK);
    ASSERT_EQ_INT(fl_stmt_step(q, &e), 1);
    ASSERT(fl_stmt_i64(q, 0) == 1); /* another rule's rows stay for its own run */
    fl_stmt_finalize(q);

    struct fl_fseen_chunk *ch;
    size_t nch;
    ASSERT_EQ_INT(fl__fseen_chunks(s, "r", &ch, &nch, &e), FL_OK);
    struct fl_buf b;
    fl_buf_init(&b, 1 << 24);
    static struct fl_fseen_dec d;
    size_t at = 0;
    for (size_t i = 0; i < nch; i++) {
        ASSERT_EQ_INT(fl__fseen_chunk_load(s, ch[i].id, &b, &e), FL_OK);
        fl__fseen_dec_init(&d, b.p, b.len, ch[i].n);
        while (fl__fseen_dec_next(&d) == 1) {
            ASSERT(at < n && d.klen == v[at].n && memcmp(d.key, v[at].s, d.klen) == 0);
            ASSERT(d.first == v[at].first && d.last == v[at].last);
            at++;
        }
    }
    ASSERT(at == n);
    fl__fseen_chunks_free(ch, nch);
    fl_buf_free(&b);
    free(v);
    cleanup(s);
}

UNIT_MAIN()
