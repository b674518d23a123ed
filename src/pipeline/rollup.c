/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollup.c - hourly rollups (rollup.h): a low-cardinality hash aggregate
 * fed with the record batches the ingest already routes to a partition
 * writer, written as a sidecar next to (not inside) the data tree when the
 * data file closes, merged by compaction, and read by the panel API.
 *
 * Sidecar format (version 2, native little-endian, every section 8-byte
 * aligned; docs/api.md "Hourly rollups"):
 *   "FSRU" u32 version u32 flags u32 n_files
 *   n_files x { u64 bytes, u64 rows, u32 name_len, name bytes } pad8
 *   u32 n_str u32 0  u32 off[n_str + 1]  pool bytes  pad8
 *   u32 n_cube u32 0  n_cube x struct dcube
 *   u32 n_hidx u32 0  n_hidx x struct dhidx (host rows of one hour)
 *   u32 n_host u32 0  n_host x struct dhost (sorted by hour)
 *   u32 n_tot u32 0  n_tot x struct dhost (per host over all hours)
 * Every count and offset is checked against the file size when read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "rollup.h"

#define RU_MAGIC "FSRU"
#define RU_VERSION 2u
#define RU_F_HOSTS 1u          /* host rows are complete */
#define NONE 0xFFFFFFFFu       /* NULL string */
#define NOTAPPL 0xFFFFFFFEu    /* not public (country) / not REJECT (rule) */
#define STR_MAX 4096           /* a longer value: no sidecar (SQL answers) */
#define POOL_CAP (256u << 20)
#define STRS_CAP (8u << 20)
#define CUBE_CAP (4u << 20)
#define HOST_CAP (16u << 20)
#define HOURS_CAP 1024
#define FILES_CAP 100000
#define SIDECAR_CAP (2ULL << 30)

/* ---- on disk ------------------------------------------------------------------ */
struct dcube {
    int64_t hour;              /* floor(start / 3600); INT64_MIN: start NULL */
    uint32_t action, flow_type, country, rule; /* string ids / NONE / NOTAPPL */
    uint64_t flows;
    int64_t bytes, packets;
    uint64_t bytes_n, packets_n; /* non-NULL values summed */
};
struct dhidx {
    int64_t hour;
    uint32_t first, count;
};
struct dhost {
    uint32_t sid;              /* srcaddr id or NONE */
    uint32_t flows;
    int64_t bytes;             /* INT64_MIN: all NULL */
};

/* ---- the accumulator ------------------------------------------------------------ */
struct sent {
    uint64_t h;
    uint32_t off, len;
};
struct hent {
    int64_t hour;
    uint32_t sid;
    uint32_t flows;
    int64_t bytes;
    uint32_t bytes_n;
};
struct lcache {                /* last values of a low-cardinality column */
    uint32_t sid[4];
    uint32_t next;
};

struct fl__rollup {
    char *pool;
    size_t pool_n, pool_cap;
    struct sent *str;
    uint32_t n_str, cap_str;
    uint32_t *sslot;
    uint32_t sslot_n;          /* power of 2 */
    struct dcube *cube;
    uint32_t n_cube, cap_cube;
    uint32_t *cslot;
    uint32_t cslot_n;
    struct hent *host;
    uint32_t n_host, cap_host;
    uint32_t *hslot;
    uint32_t hslot_n;
    struct lcache lc[5];
    uint32_t reject_sid;       /* id of "REJECT" or NONE */
    bool broken, no_hosts;
};

struct fl__rollup *fl__rollup_new(void)
{
    struct fl__rollup *r = fl_calloc(1, sizeof *r);
    if (r)
        fl__rollup_reset(r);
    return r;
}

void fl__rollup_free(struct fl__rollup *r)
{
    if (!r)
        return;
    fl_free(r->pool);
    fl_free(r->str);
    fl_free(r->sslot);
    fl_free(r->cube);
    fl_free(r->cslot);
    fl_free(r->host);
    fl_free(r->hslot);
    fl_free(r);
}

void fl__rollup_reset(struct fl__rollup *r)
{
    r->pool_n = 0;
    r->n_str = r->n_cube = r->n_host = 0;
    if (r->sslot)
        memset(r->sslot, 0, r->sslot_n * sizeof *r->sslot);
    if (r->cslot)
        memset(r->cslot, 0, r->cslot_n * sizeof *r->cslot);
    if (r->hslot)
        memset(r->hslot, 0, r->hslot_n * sizeof *r->hslot);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 4; k++)
            r->lc[i].sid[k] = NONE;
    r->reject_sid = NONE;
    r->broken = r->no_hosts = false;
}

/* Grow an array of elements to hold n + 1 (cap: max elements). */
static bool grow(void **p, uint32_t *cap, uint32_t n, size_t esz, uint32_t max)
{
    if (n < *cap)
        return true;
    uint32_t nc = *cap ? *cap * 2 : 256;
    if (nc > max)
        return false;
    void *np = fl_realloc(*p, (size_t)nc * esz);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

/* (Re)build an open-addressing slot table for n entries (load <= 1/2). */
static bool rehash(uint32_t **slots, uint32_t *slot_n, uint32_t n,
                   uint64_t (*hash_of)(const struct fl__rollup *, uint32_t),
                   const struct fl__rollup *r)
{
    if (*slots && (uint64_t)n * 2 < *slot_n)
        return true;
    uint32_t ns = *slot_n ? *slot_n * 2 : 1024;
    while ((uint64_t)n * 2 >= ns)
        ns *= 2;
    uint32_t *s = fl_calloc(ns, sizeof *s);
    if (!s)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = (uint32_t)hash_of(r, i) & (ns - 1);
        while (s[at])
            at = (at + 1) & (ns - 1);
        s[at] = i + 1;
    }
    fl_free(*slots);
    *slots = s;
    *slot_n = ns;
    return true;
}

static uint64_t str_hash_of(const struct fl__rollup *r, uint32_t i) { return r->str[i].h; }

static uint64_t cube_key_hash(int64_t hour, uint32_t a, uint32_t f, uint32_t c, uint32_t u)
{
    uint64_t h = fl_hash64((uint64_t)hour ^ ((uint64_t)a << 32 | f));
    return fl_hash64(h ^ ((uint64_t)c << 32 | u));
}
static uint64_t cube_hash_of(const struct fl__rollup *r, uint32_t i)
{
    const struct dcube *e = &r->cube[i];
    return cube_key_hash(e->hour, e->action, e->flow_type, e->country, e->rule);
}
static uint64_t host_key_hash(int64_t hour, uint32_t sid)
{
    return fl_hash64((uint64_t)hour * 0x9E3779B97F4A7C15ULL ^ sid);
}
static uint64_t host_hash_of(const struct fl__rollup *r, uint32_t i)
{
    return host_key_hash(r->host[i].hour, r->host[i].sid);
}

/* The id of a string, added when new.  NONE when the accumulator is full
 * or the value is longer than STR_MAX (cut, two values could merge). */
static uint32_t intern(struct fl__rollup *r, const char *p, size_t n)
{
    if (n > STR_MAX) {
        r->broken = true;
        return NONE;
    }
    uint64_t h = fl_hash_bytes(p, n, 0x5eed);
    if (r->sslot) {
        uint32_t m = r->sslot_n - 1, at = (uint32_t)h & m;
        for (uint32_t s; (s = r->sslot[at]) != 0; at = (at + 1) & m) {
            const struct sent *e = &r->str[s - 1];
            if (e->h == h && e->len == n && memcmp(r->pool + e->off, p, n) == 0)
                return s - 1;
        }
    }
    if (r->pool_n + n > r->pool_cap) {
        size_t nc = r->pool_cap ? r->pool_cap * 2 : 65536;
        while (nc < r->pool_n + n)
            nc *= 2;
        char *np = nc > POOL_CAP ? NULL : fl_realloc(r->pool, nc);
        if (!np) {
            r->broken = true;
            return NONE;
        }
        r->pool = np;
        r->pool_cap = nc;
    }
    if (!grow((void **)&r->str, &r->cap_str, r->n_str, sizeof *r->str, STRS_CAP)) {
        r->broken = true;
        return NONE;
    }
    uint32_t id = r->n_str++;
    if (n)
        memcpy(r->pool + r->pool_n, p, n);
    r->str[id] = (struct sent){h, (uint32_t)r->pool_n, (uint32_t)n};
    r->pool_n += n;
    if (!rehash(&r->sslot, &r->sslot_n, id, str_hash_of, r)) {
        r->broken = true;
        return NONE;
    }
    uint32_t m = r->sslot_n - 1, at = (uint32_t)h & m;
    while (r->sslot[at])
        at = (at + 1) & m;
    r->sslot[at] = id + 1;
    return id;
}

/* A string column value through a small cache of its last values. */
static uint32_t col_sid(struct fl__rollup *r, int lc, const struct fl_batch *b, int col,
                        uint32_t row)
{
    if (fl_is_null(b, col, row))
        return NONE;
    struct fl_str s = fl_get_str(b, col, row);
    struct lcache *c = &r->lc[lc];
    for (int k = 0; k < 4; k++) {
        uint32_t id = c->sid[k];
        if (id != NONE && id < r->n_str && r->str[id].len == s.n &&
            memcmp(r->pool + r->str[id].off, s.p, s.n) == 0)
            return id;
    }
    uint32_t id = intern(r, s.p, s.n);
    c->sid[c->next++ & 3] = id;
    return id;
}

static struct dcube *cube_slot(struct fl__rollup *r, int64_t hour, uint32_t a, uint32_t f,
                               uint32_t c, uint32_t u)
{
    uint64_t h = cube_key_hash(hour, a, f, c, u);
    if (r->cslot) {
        uint32_t m = r->cslot_n - 1, at = (uint32_t)h & m;
        for (uint32_t s; (s = r->cslot[at]) != 0; at = (at + 1) & m) {
            struct dcube *e = &r->cube[s - 1];
            if (e->hour == hour && e->action == a && e->flow_type == f && e->country == c &&
                e->rule == u)
                return e;
        }
    }
    if (!grow((void **)&r->cube, &r->cap_cube, r->n_cube, sizeof *r->cube, CUBE_CAP)) {
        r->broken = true;
        return NULL;
    }
    struct dcube *e = &r->cube[r->n_cube++];
    memset(e, 0, sizeof *e);
    e->hour = hour;
    e->action = a;
    e->flow_type = f;
    e->country = c;
    e->rule = u;
    if (!rehash(&r->cslot, &r->cslot_n, r->n_cube - 1, cube_hash_of, r)) {
        r->broken = true;
        return NULL;
    }
    uint32_t m = r->cslot_n - 1, at = (uint32_t)h & m;
    while (r->cslot[at])
        at = (at + 1) & m;
    r->cslot[at] = r->n_cube;
    return e;
}

static struct hent *host_slot(struct fl__rollup *r, int64_t hour, uint32_t sid)
{
    uint64_t h = host_key_hash(hour, sid);
    if (r->hslot) {
        uint32_t m = r->hslot_n - 1, at = (uint32_t)h & m;
        for (uint32_t s; (s = r->hslot[at]) != 0; at = (at + 1) & m) {
            struct hent *e = &r->host[s - 1];
            if (e->hour == hour && e->sid == sid)
                return e;
        }
    }
    if (!grow((void **)&r->host, &r->cap_host, r->n_host, sizeof *r->host, HOST_CAP)) {
        r->no_hosts = true;
        return NULL;
    }
    struct hent *e = &r->host[r->n_host++];
    memset(e, 0, sizeof *e);
    e->hour = hour;
    e->sid = sid;
    if (!rehash(&r->hslot, &r->hslot_n, r->n_host - 1, host_hash_of, r)) {
        r->no_hosts = true;
        return NULL;
    }
    uint32_t m = r->hslot_n - 1, at = (uint32_t)h & m;
    while (r->hslot[at])
        at = (at + 1) & m;
    r->hslot[at] = r->n_host;
    return e;
}

static int64_t hour_of(int64_t start) { return start >= 0 ? start / 3600 : -((-start + 3599) / 3600); }

void fl__rollup_add(struct fl__rollup *r, const struct fl_batch *b, const uint32_t *sel,
                    uint32_t n)
{
    if (!r || r->broken)
        return;
    if (r->reject_sid == NONE)
        r->reject_sid = intern(r, "REJECT", 6);
    const struct fl_column *cs = &b->col[FL_COL_START], *cb = &b->col[FL_COL_BYTES],
                           *cp = &b->col[FL_COL_PACKETS];
    for (uint32_t k = 0; k < n && !r->broken; k++) {
        uint32_t row = sel ? sel[k] : k;
        int64_t hour = cs->valid[row] ? hour_of(cs->i[row]) : INT64_MIN;
        uint32_t a = col_sid(r, 0, b, FL_COL_ACTION, row);
        uint32_t f = col_sid(r, 1, b, FL_COL_FLOW_TYPE, row);
        uint32_t c = NOTAPPL;
        if (!fl_is_null(b, FL_COL_DST_SCOPE, row)) {
            struct fl_str sc = fl_get_str(b, FL_COL_DST_SCOPE, row);
            if (sc.n == 6 && memcmp(sc.p, "public", 6) == 0)
                c = col_sid(r, 2, b, FL_COL_DST_COUNTRY, row);
        }
        uint32_t u = NOTAPPL;
        if (a == r->reject_sid && a != NONE) {
            u = col_sid(r, 3, b, FL_COL_RULE_NAME, row);
            if (u == NONE)
                u = col_sid(r, 3, b, FL_COL_RULE, row);
        }
        struct dcube *e = cube_slot(r, hour, a, f, c, u);
        if (!e)
            return;
        bool hb = cb->valid[row] != 0, hp = cp->valid[row] != 0;
        int64_t by = hb ? cb->i[row] : 0;
        e->flows++;
        if (hb) {
            e->bytes += by;
            e->bytes_n++;
        }
        if (hp) {
            e->packets += cp->i[row];
            e->packets_n++;
        }
        if (r->no_hosts)
            continue;
        uint32_t s = col_sid(r, 4, b, FL_COL_SRCADDR, row);
        if (r->broken)
            return;
        struct hent *h = host_slot(r, hour, s);
        if (!h)
            continue;
        if (h->flows == UINT32_MAX) {
            r->no_hosts = true;
            continue;
        }
        h->flows++;
        if (hb) {
            h->bytes += by;
            h->bytes_n++;
        }
    }
}

/* ---- writing a sidecar ------------------------------------------------------------ */
struct wout {
    int fd;
    char buf[65536];
    size_t n;
    uint64_t total;
    int rc;
};

static void w_flush(struct wout *w)
{
    size_t off = 0;
    while (w->rc == FL_OK && off < w->n) {
        ssize_t k = write(w->fd, w->buf + off, w->n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            w->rc = FL_EIO;
        else
            off += (size_t)k;
    }
    w->n = 0;
}

static void w_put(struct wout *w, const void *p, size_t n)
{
    const char *s = p;
    w->total += n;
    while (n) {
        if (w->n == sizeof w->buf)
            w_flush(w);
        size_t k = FL_MIN(n, sizeof w->buf - w->n);
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
    }
}
static void w_u32(struct wout *w, uint32_t v) { w_put(w, &v, 4); }
static void w_u64(struct wout *w, uint64_t v) { w_put(w, &v, 8); }
static void w_pad8(struct wout *w)
{
    static const char z[8] = {0};
    if (w->total % 8)
        w_put(w, z, 8 - w->total % 8);
}

struct dfile {
    const char *name;
    uint64_t bytes, rows;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Write r as a sidecar naming files[0..n) to path (created 0644, fsynced). */
static int write_sidecar(struct fl__rollup *r, const char *path, const struct dfile *files,
                         int n_files, struct fl_error *err)
{
    /* the distinct hours of the host rows, ascending */
    int64_t hours[HOURS_CAP];
    int n_hours = 0;
    bool hosts = !r->no_hosts;
    for (uint32_t i = 0; hosts && i < r->n_host; i++) {
        int64_t h = r->host[i].hour;
        bool seen = false;
        for (int k = n_hours - 1; k >= 0 && !seen; k--)
            seen = hours[k] == h;
        if (seen)
            continue;
        if (n_hours == HOURS_CAP)
            hosts = false;
        else
            hours[n_hours++] = h;
    }
    if (hosts)
        qsort(hours, (size_t)n_hours, sizeof hours[0], cmp_i64);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fl_error_sys(err, FL_EIO, errno, "cannot create %s", path);
    struct wout *w = fl_malloc(sizeof *w);
    if (!w) {
        close(fd);
        unlink(path);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    w->fd = fd;
    w->n = 0;
    w->total = 0;
    w->rc = FL_OK;
    w_put(w, RU_MAGIC, 4);
    w_u32(w, RU_VERSION);
    w_u32(w, hosts ? RU_F_HOSTS : 0);
    w_u32(w, (uint32_t)n_files);
    for (int i = 0; i < n_files; i++) {
        w_u64(w, files[i].bytes);
        w_u64(w, files[i].rows);
        uint32_t nl = (uint32_t)strlen(files[i].name);
        w_u32(w, nl);
        w_put(w, files[i].name, nl);
    }
    w_pad8(w);
    w_u32(w, r->n_str);
    w_u32(w, 0);
    for (uint32_t i = 0; i < r->n_str; i++)
        w_u32(w, r->str[i].off);
    w_u32(w, (uint32_t)r->pool_n);
    w_put(w, r->pool, r->pool_n);
    w_pad8(w);
    w_u32(w, r->n_cube);
    w_u32(w, 0);
    w_put(w, r->cube, (size_t)r->n_cube * sizeof *r->cube);
    w_u32(w, hosts ? (uint32_t)n_hours : 0);
    w_u32(w, 0);
    uint32_t first = 0;
    for (int k = 0; hosts && k < n_hours; k++) {
        uint32_t cnt = 0;
        for (uint32_t i = 0; i < r->n_host; i++)
            cnt += r->host[i].hour == hours[k];
        struct dhidx x = {hours[k], first, cnt};
        w_put(w, &x, sizeof x);
        first += cnt;
    }
    w_u32(w, hosts ? r->n_host : 0);
    w_u32(w, 0);
    for (int k = 0; hosts && k < n_hours; k++)
        for (uint32_t i = 0; i < r->n_host; i++) {
            const struct hent *e = &r->host[i];
            if (e->hour != hours[k])
                continue;
            struct dhost d = {e->sid, e->flows, e->bytes_n ? e->bytes : INT64_MIN};
            w_put(w, &d, sizeof d);
        }
    /* per-host totals over all hours: a range covering every hour of the
     * file sums these (one row per host instead of one per host and hour) */
    uint32_t n_tot = 0;
    uint64_t *tf = NULL;
    int64_t *tb = NULL;
    uint8_t *tn = NULL;
    if (hosts) {
        tf = fl_calloc((size_t)r->n_str + 1, sizeof *tf);
        tb = fl_calloc((size_t)r->n_str + 1, sizeof *tb);
        tn = fl_calloc((size_t)r->n_str + 1, sizeof *tn);
        if (!tf || !tb || !tn)
            w->rc = FL_ENOMEM;
        for (uint32_t i = 0; w->rc == FL_OK && i < r->n_host; i++) {
            const struct hent *e = &r->host[i];
            uint32_t k = e->sid == NONE ? r->n_str : e->sid;
            n_tot += tf[k] == 0;
            tf[k] += e->flows;
            if (e->bytes_n) {
                tb[k] += e->bytes;
                tn[k] = 1;
            }
        }
        for (uint32_t k = 0; w->rc == FL_OK && k <= r->n_str; k++)
            if (tf[k] > UINT32_MAX)
                w->rc = FL_ERANGE; /* no sidecar rather than a wrong one */
    }
    w_u32(w, w->rc == FL_OK ? n_tot : 0);
    w_u32(w, 0);
    for (uint32_t k = 0; hosts && w->rc == FL_OK && k <= r->n_str; k++)
        if (tf[k]) {
            struct dhost d = {k == r->n_str ? NONE : k, (uint32_t)tf[k], tn[k] ? tb[k] : INT64_MIN};
            w_put(w, &d, sizeof d);
        }
    fl_free(tf);
    fl_free(tb);
    fl_free(tn);
    w_flush(w);
    int rc = w->rc;
    fl_free(w);
    if (rc == FL_OK && fsync(fd) != 0)
        rc = FL_EIO;
    if (close(fd) != 0 && rc == FL_OK)
        rc = FL_EIO;
    if (rc != FL_OK) {
        unlink(path);
        return fl_error_sys(err, rc, errno, "cannot write %s", path);
    }
    return FL_OK;
}

static int rollup_dir(const char *home, const char *part, char *buf, size_t cap)
{
    int k = snprintf(buf, cap, "%s/rollup/%s", home, part);
    return k < 0 || (size_t)k >= cap ? FL_ELIMIT : FL_OK;
}

int fl__rollup_write_tmp(struct fl__rollup *r, const char *home, const char *part,
                         const char *name, uint64_t bytes, uint64_t rows, char **tmp_out,
                         struct fl_error *err)
{
    *tmp_out = NULL;
    if (!r || r->broken)
        return FL_OK;
    char dir[FL_PATH_MAX], path[FL_PATH_MAX];
    FL_RETURN_IF(rollup_dir(home, part, dir, sizeof dir) != FL_OK, err, FL_ELIMIT, "path too long");
    int k = snprintf(path, sizeof path, "%s/.%s.roll.tmp", dir, name);
    FL_RETURN_IF(k < 0 || (size_t)k >= sizeof path, err, FL_ELIMIT, "path too long");
    FL_TRY(fl_mkdirs(dir, err));
    struct dfile f = {name, bytes, rows};
    FL_TRY(write_sidecar(r, path, &f, 1, err));
    *tmp_out = fl_strdup(path);
    FL_RETURN_IF(!*tmp_out, err, FL_ENOMEM, "out of memory");
    return FL_OK;
}

int fl__rollup_final(const char *tmp, char *buf, size_t cap)
{
    const char *slash = strrchr(tmp, '/');
    size_t dn = slash ? (size_t)(slash - tmp) + 1 : 0;
    const char *base = tmp + dn;
    size_t bn = strlen(base);
    if (bn < 6 || base[0] != '.' || strcmp(base + bn - 4, ".tmp") != 0 || dn + bn - 5 + 1 > cap)
        return FL_EINVAL;
    memcpy(buf, tmp, dn);
    memcpy(buf + dn, base + 1, bn - 5);
    buf[dn + bn - 5] = 0;
    return FL_OK;
}

/* ---- reading a sidecar -------------------------------------------------------------- */
struct sidecar {
    char *buf;
    size_t n;
    uint32_t flags;
    uint32_t n_files;
    const char **fname;         /* pointers into buf (not NUL-terminated) */
    uint32_t *fname_len;
    uint64_t *fbytes;
    uint32_t n_str;
    const uint32_t *off;        /* n_str + 1 */
    const char *pool;
    uint32_t n_cube;
    const struct dcube *cube;
    uint32_t n_hidx;
    const struct dhidx *hidx;
    uint32_t n_host;
    const struct dhost *host;
    uint32_t n_tot;
    const struct dhost *tot;    /* per-host totals over all hours */
    uint32_t *gmap;             /* string id -> global id of the cache's dictionary */
    uint64_t gmap_gen;          /* the dictionary generation gmap belongs to */
    /* cache bookkeeping */
    char *path;
    uint64_t path_h;            /* hash of path (cache lookups) */
    int64_t size, mtime_ns, ino;
    int refs;
    uint64_t tick;
};

static void sidecar_free(struct sidecar *s)
{
    if (!s)
        return;
    fl_free(s->buf);
    fl_free(s->fname);
    fl_free(s->fname_len);
    fl_free(s->fbytes);
    fl_free(s->gmap);
    fl_free(s->path);
    fl_free(s);
}

static bool take(size_t *pos, size_t len, size_t need)
{
    if (need > len || *pos > len - need)
        return false;
    *pos += need;
    return true;
}

static int parse_sidecar(struct sidecar *s)
{
    const char *b = s->buf;
    size_t len = s->n, pos = 0;
    uint32_t v;
    if (len < 16 || memcmp(b, RU_MAGIC, 4) != 0)
        return FL_ECORRUPT;
    memcpy(&v, b + 4, 4);
    if (v != RU_VERSION)
        return FL_EUNSUPPORTED;
    memcpy(&s->flags, b + 8, 4);
    memcpy(&s->n_files, b + 12, 4);
    pos = 16;
    if (s->n_files == 0 || s->n_files > FILES_CAP)
        return FL_ECORRUPT;
    s->fname = fl_calloc(s->n_files, sizeof *s->fname);
    s->fname_len = fl_calloc(s->n_files, sizeof *s->fname_len);
    s->fbytes = fl_calloc(s->n_files, sizeof *s->fbytes);
    if (!s->fname || !s->fname_len || !s->fbytes)
        return FL_ENOMEM;
    for (uint32_t i = 0; i < s->n_files; i++) {
        size_t at = pos;
        if (!take(&pos, len, 20))
            return FL_ECORRUPT;
        memcpy(&s->fbytes[i], b + at, 8);
        memcpy(&v, b + at + 16, 4);
        if (v == 0 || v > 1024 || !take(&pos, len, v))
            return FL_ECORRUPT;
        s->fname[i] = b + at + 20;
        s->fname_len[i] = v;
    }
    pos = (pos + 7) & ~(size_t)7;
    size_t at = pos;
    if (!take(&pos, len, 8))
        return FL_ECORRUPT;
    memcpy(&s->n_str, b + at, 4);
    if (s->n_str > STRS_CAP)
        return FL_ECORRUPT;
    at = pos;
    if (!take(&pos, len, ((size_t)s->n_str + 1) * 4))
        return FL_ECORRUPT;
    s->off = (const uint32_t *)(const void *)(b + at);
    uint32_t pool_n = s->off[s->n_str];
    s->pool = b + pos;
    if (!take(&pos, len, pool_n))
        return FL_ECORRUPT;
    for (uint32_t i = 0; i < s->n_str; i++)
        if (s->off[i] > s->off[i + 1] || s->off[i + 1] > pool_n)
            return FL_ECORRUPT;
    pos = (pos + 7) & ~(size_t)7;
    at = pos;
    if (!take(&pos, len, 8))
        return FL_ECORRUPT;
    memcpy(&s->n_cube, b + at, 4);
    at = pos;
    if (s->n_cube > CUBE_CAP || !take(&pos, len, (size_t)s->n_cube * sizeof(struct dcube)))
        return FL_ECORRUPT;
    s->cube = (const struct dcube *)(const void *)(b + at);
    at = pos;
    if (!take(&pos, len, 8))
        return FL_ECORRUPT;
    memcpy(&s->n_hidx, b + at, 4);
    at = pos;
    if (s->n_hidx > HOURS_CAP || !take(&pos, len, (size_t)s->n_hidx * sizeof(struct dhidx)))
        return FL_ECORRUPT;
    s->hidx = (const struct dhidx *)(const void *)(b + at);
    at = pos;
    if (!take(&pos, len, 8))
        return FL_ECORRUPT;
    memcpy(&s->n_host, b + at, 4);
    at = pos;
    if (s->n_host > HOST_CAP || !take(&pos, len, (size_t)s->n_host * sizeof(struct dhost)))
        return FL_ECORRUPT;
    s->host = (const struct dhost *)(const void *)(b + at);
    at = pos;
    if (!take(&pos, len, 8))
        return FL_ECORRUPT;
    memcpy(&s->n_tot, b + at, 4);
    at = pos;
    if (s->n_tot > s->n_host || !take(&pos, len, (size_t)s->n_tot * sizeof(struct dhost)))
        return FL_ECORRUPT;
    s->tot = (const struct dhost *)(const void *)(b + at);
    if (pos != len)
        return FL_ECORRUPT;
    for (uint32_t i = 0; i < s->n_tot; i++)
        if (s->tot[i].sid != NONE && s->tot[i].sid >= s->n_str)
            return FL_ECORRUPT;
    for (uint32_t i = 0; i < s->n_cube; i++) {
        const struct dcube *e = &s->cube[i];
        uint32_t ids[4] = {e->action, e->flow_type, e->country, e->rule};
        for (int k = 0; k < 4; k++)
            if (ids[k] < NOTAPPL && ids[k] >= s->n_str)
                return FL_ECORRUPT;
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < s->n_hidx; i++) {
        if ((uint64_t)s->hidx[i].first != sum || s->hidx[i].count > s->n_host)
            return FL_ECORRUPT;
        sum += s->hidx[i].count;
    }
    if (sum != s->n_host)
        return FL_ECORRUPT;
    for (uint32_t i = 0; i < s->n_host; i++)
        if (s->host[i].sid != NONE && s->host[i].sid >= s->n_str)
            return FL_ECORRUPT;
    return FL_OK;
}

/* Read and check a sidecar file (st: its stat). */
static int load_sidecar(const char *path, const struct stat *st, struct sidecar **out)
{
    *out = NULL;
    if ((uint64_t)st->st_size > SIDECAR_CAP || st->st_size < 16)
        return FL_ECORRUPT;
    struct sidecar *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_ENOMEM;
    s->n = (size_t)st->st_size;
    s->buf = fl_malloc(s->n + 8);
    s->path = fl_strdup(path);
    int rc = s->buf && s->path ? FL_OK : FL_ENOMEM;
    int fd = rc == FL_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (rc == FL_OK && fd < 0)
        rc = FL_ENOTFOUND;
    size_t got = 0;
    while (rc == FL_OK && got < s->n) {
        ssize_t k = read(fd, s->buf + got, s->n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = FL_EIO;
            break;
        }
        got += (size_t)k;
    }
    if (fd >= 0)
        close(fd);
    if (rc == FL_OK)
        rc = parse_sidecar(s);
    if (rc != FL_OK) {
        sidecar_free(s);
        return rc;
    }
    s->size = (int64_t)st->st_size;
    s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    s->ino = (int64_t)st->st_ino;
    *out = s;
    return FL_OK;
}

/* ---- the cache ------------------------------------------------------------------------ */
/* The cache keeps loaded sidecars and one dictionary of every string they
 * hold: each sidecar maps its string ids to global ids once, when loaded,
 * so a panel aggregates by integer id (dense arrays for the hosts) without
 * hashing a string per row.  The dictionary grows until it would pass half
 * the cache's cap (at least DICT_MIN): then it starts again empty under a
 * new generation, and every sidecar's map is rebuilt when next used (a
 * panel holding a map of an older generation answers FL_ENOTFOUND: SQL).
 * Its strings live in chunks that never move while a generation lasts.
 * Loads take the write lock, panels the read lock for the whole
 * aggregation. */
#define CACHE_ENTRIES 8192
#define GDICT_CAP (32u << 20)
#define CHUNK (1u << 20)
#define DICT_MIN (8ULL << 20)
struct gstr {
    const char *p;
    uint32_t n;
    uint64_t h;
};
struct scratch {               /* top-talker sums, reused across requests */
    int64_t *fl, *by;
    uint32_t *bn, *touched;
    size_t cap;
    bool busy;
};
#define N_SCRATCH 4
#define N_RESULTS 128
struct rcache {                 /* a panel reply, for repeated calls */
    char key[320];
    uint64_t fp;                /* the sidecars it was computed from */
    uint64_t tick;
    struct fl__rollup_result r;
};
struct fl__rollup_cache {
    struct rcache res[N_RESULTS];
    pthread_mutex_t mu;         /* entries and scratch */
    struct scratch sc[N_SCRATCH];
    struct sidecar **e;
    int n;
    uint64_t bytes, cap, tick;
    pthread_rwlock_t gl;        /* the dictionary */
    struct gstr *g;
    uint32_t n_g, cap_g;
    uint32_t *gslot;
    uint32_t gslot_n;
    char **chunks;
    uint32_t n_chunks, cap_chunks;
    size_t chunk_used;
    uint64_t gen;               /* dictionary generation */
};

struct fl__rollup_cache *fl__rollup_cache_new(uint64_t cap)
{
    struct fl__rollup_cache *c = fl_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->e = fl_calloc(CACHE_ENTRIES, sizeof *c->e);
    if (!c->e) {
        fl_free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_rwlock_init(&c->gl, NULL);
    c->cap = cap ? cap : (512ULL << 20);
    c->chunk_used = CHUNK;
    c->gen = 1;
    return c;
}

void fl__rollup_cache_free(struct fl__rollup_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        sidecar_free(c->e[i]);
    fl_free(c->e);
    for (uint32_t i = 0; i < c->n_chunks; i++)
        fl_free(c->chunks[i]);
    for (int i = 0; i < N_RESULTS; i++)
        fl__rollup_result_free(&c->res[i].r);
    for (int i = 0; i < N_SCRATCH; i++) {
        fl_free(c->sc[i].fl);
        fl_free(c->sc[i].by);
        fl_free(c->sc[i].bn);
        fl_free(c->sc[i].touched);
    }
    fl_free(c->chunks);
    fl_free(c->g);
    fl_free(c->gslot);
    pthread_rwlock_destroy(&c->gl);
    pthread_mutex_destroy(&c->mu);
    fl_free(c);
}

/* Global id of a string (write lock held); NONE past the caps. */
static uint32_t gd_intern(struct fl__rollup_cache *c, const char *p, uint32_t n)
{
    uint64_t h = fl_hash_bytes(p, n, 0x5eed);
    if (!c->gslot || (uint64_t)(c->n_g + 1) * 2 >= c->gslot_n) {
        uint32_t ns = c->gslot_n ? c->gslot_n * 2 : 4096;
        uint32_t *sl = fl_calloc(ns, sizeof *sl);
        if (!sl)
            return NONE;
        for (uint32_t i = 0; i < c->n_g; i++) {
            uint32_t at = (uint32_t)c->g[i].h & (ns - 1);
            while (sl[at])
                at = (at + 1) & (ns - 1);
            sl[at] = i + 1;
        }
        fl_free(c->gslot);
        c->gslot = sl;
        c->gslot_n = ns;
    }
    uint32_t m = c->gslot_n - 1, at = (uint32_t)h & m;
    for (uint32_t x; (x = c->gslot[at]) != 0; at = (at + 1) & m) {
        const struct gstr *e = &c->g[x - 1];
        if (e->h == h && e->n == n && memcmp(e->p, p, n) == 0)
            return x - 1;
    }
    if (n > CHUNK || !grow((void **)&c->g, &c->cap_g, c->n_g, sizeof *c->g, GDICT_CAP))
        return NONE;
    if (c->chunk_used + n > CHUNK || c->n_chunks == 0) {
        if (!grow((void **)&c->chunks, &c->cap_chunks, c->n_chunks, sizeof *c->chunks, 1u << 16))
            return NONE;
        char *ch = fl_malloc(CHUNK);
        if (!ch)
            return NONE;
        c->chunks[c->n_chunks++] = ch;
        c->chunk_used = 0;
    }
    char *dst = c->chunks[c->n_chunks - 1] + c->chunk_used;
    memcpy(dst, p, n);
    c->chunk_used += n;
    c->g[c->n_g] = (struct gstr){dst, n, h};
    c->gslot[at] = ++c->n_g;
    return c->n_g - 1;
}

/* Bytes held by the dictionary (write or read lock held). */
static uint64_t gd_bytes(const struct fl__rollup_cache *c)
{
    return (uint64_t)c->n_chunks * CHUNK + (uint64_t)c->cap_g * sizeof *c->g +
           (uint64_t)c->gslot_n * sizeof *c->gslot;
}

/* An upper bound of gd_bytes after n_new strings of pool bytes in all were
 * added (the arrays' doublings and the chunks' unused tails included). */
static uint64_t gd_bytes_after(const struct fl__rollup_cache *c, uint64_t n_new, uint64_t pool)
{
    uint64_t n = c->n_g + n_new, cg = c->cap_g, ns = c->gslot_n ? c->gslot_n : 4096;
    while (cg < n)
        cg = cg ? cg * 2 : 256;
    while ((n + 1) * 2 >= ns)
        ns *= 2;
    uint64_t chunks = c->n_chunks + pool / (CHUNK - STR_MAX) + 1;
    return chunks * CHUNK + cg * sizeof *c->g + ns * sizeof *c->gslot;
}

/* Start the dictionary again, empty, under a new generation (write lock). */
static void gd_reset(struct fl__rollup_cache *c)
{
    for (uint32_t i = 0; i < c->n_chunks; i++)
        fl_free(c->chunks[i]);
    c->n_chunks = 0;
    c->chunk_used = CHUNK;
    fl_free(c->g);
    c->g = NULL;
    c->n_g = c->cap_g = 0;
    fl_free(c->gslot);
    c->gslot = NULL;
    c->gslot_n = 0;
    c->gen++;
}

uint64_t fl__rollup_cache_dict_bytes(struct fl__rollup_cache *c)
{
    pthread_rwlock_rdlock(&c->gl);
    uint64_t n = gd_bytes(c);
    pthread_rwlock_unlock(&c->gl);
    return n;
}

/* The dictionary's byte budget. */
static uint64_t gd_budget(const struct fl__rollup_cache *c)
{
    return FL_MAX(c->cap / 2, DICT_MIN);
}

/* Map a sidecar's strings to global ids of the current generation (a new
 * sidecar, or a cached one whose map is older than the dictionary). */
static int build_gmap(struct fl__rollup_cache *c, struct sidecar *s)
{
    pthread_rwlock_rdlock(&c->gl);
    bool current = s->gmap_gen == c->gen;
    pthread_rwlock_unlock(&c->gl);
    if (current)
        return FL_OK;
    if (!s->gmap && !(s->gmap = fl_malloc(((size_t)s->n_str + 1) * sizeof *s->gmap)))
        return FL_ENOMEM;
    int rc = FL_OK;
    pthread_rwlock_wrlock(&c->gl);
    if (s->gmap_gen == c->gen && s->gmap_gen) {
        pthread_rwlock_unlock(&c->gl);
        return FL_OK; /* rebuilt by another thread meanwhile */
    }
    /* room for its strings, else a new generation; one sidecar that
     * cannot fit alone is answered by SQL */
    uint64_t pool = s->off[s->n_str];
    if (gd_bytes_after(c, s->n_str, pool) > gd_budget(c)) {
        gd_reset(c);
        if (gd_bytes_after(c, s->n_str, pool) > gd_budget(c))
            rc = FL_ELIMIT;
    }
    for (uint32_t i = 0; rc == FL_OK && i < s->n_str; i++)
        if ((s->gmap[i] = gd_intern(c, s->pool + s->off[i], s->off[i + 1] - s->off[i])) == NONE)
            rc = FL_ELIMIT;
    s->gmap_gen = rc == FL_OK ? c->gen : 0;
    pthread_rwlock_unlock(&c->gl);
    return rc;
}

/* Drop unreferenced entries, least recently used first, until under cap. */
static void cache_trim(struct fl__rollup_cache *c, uint64_t need)
{
    while (c->n > 0 && (c->bytes + need > c->cap || c->n >= CACHE_ENTRIES)) {
        int lru = -1;
        for (int i = 0; i < c->n; i++)
            if (c->e[i]->refs == 0 && (lru < 0 || c->e[i]->tick < c->e[lru]->tick))
                lru = i;
        if (lru < 0)
            return;
        c->bytes -= c->e[lru]->n;
        sidecar_free(c->e[lru]);
        c->e[lru] = c->e[--c->n];
    }
}

static void sidecar_put(struct fl__rollup_cache *c, struct sidecar *s);

/* Get a sidecar (from the cache when its file is unchanged; its string map
 * of the cache's current dictionary); release with put. */
static int sidecar_get(struct fl__rollup_cache *c, const char *path, struct sidecar **out)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return FL_ENOTFOUND;
    int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    uint64_t ph = fl_hash_bytes(path, strlen(path), 0);
    if (c) {
        pthread_mutex_lock(&c->mu);
        for (int i = 0; i < c->n; i++) {
            struct sidecar *s = c->e[i];
            if (s->path_h != ph || strcmp(s->path, path) != 0)
                continue;
            if (s->size == (int64_t)st.st_size && s->mtime_ns == mt && s->ino == (int64_t)st.st_ino) {
                s->refs++;
                s->tick = ++c->tick;
                pthread_mutex_unlock(&c->mu);
                if (build_gmap(c, s) != FL_OK) { /* no-op unless the dictionary restarted */
                    sidecar_put(c, s);
                    return FL_ENOTFOUND;
                }
                *out = s;
                return FL_OK;
            }
            if (s->refs == 0) { /* stale: forget it */
                c->bytes -= s->n;
                sidecar_free(s);
                c->e[i--] = c->e[--c->n];
            }
            /* a stale entry still in use may sit before the fresh one */
        }
        pthread_mutex_unlock(&c->mu);
    }
    struct sidecar *s;
    FL_TRY(load_sidecar(path, &st, &s));
    s->path_h = ph;
    s->refs = -1; /* not cached: sidecar_put frees it */
    if (c && build_gmap(c, s) != FL_OK) {
        sidecar_free(s);
        return FL_ENOTFOUND;
    }
    if (c) {
        pthread_mutex_lock(&c->mu);
        cache_trim(c, s->n);
        if (c->n < CACHE_ENTRIES && c->bytes + s->n <= c->cap) {
            s->refs = 1;
            s->tick = ++c->tick;
            c->e[c->n++] = s;
            c->bytes += s->n;
        }
        pthread_mutex_unlock(&c->mu);
    }
    *out = s;
    return FL_OK;
}

static void sidecar_put(struct fl__rollup_cache *c, struct sidecar *s)
{
    if (!s)
        return;
    if (s->refs < 0 || !c) {
        sidecar_free(s);
        return;
    }
    pthread_mutex_lock(&c->mu);
    s->refs--;
    pthread_mutex_unlock(&c->mu);
}

/* ---- compaction and garbage collection -------------------------------------------- */
/* Add a loaded sidecar's rows to r (strings re-interned). */
static void merge_into(struct fl__rollup *r, const struct sidecar *s)
{
    uint32_t *map = fl_malloc(((size_t)s->n_str + 1) * sizeof *map);
    if (!map) {
        r->broken = true;
        return;
    }
    for (uint32_t i = 0; i < s->n_str && !r->broken; i++)
        map[i] = intern(r, s->pool + s->off[i], s->off[i + 1] - s->off[i]);
#define MAPID(x) ((x) >= NOTAPPL ? (x) : map[(x)])
    for (uint32_t i = 0; i < s->n_cube && !r->broken; i++) {
        const struct dcube *e = &s->cube[i];
        struct dcube *d = cube_slot(r, e->hour, MAPID(e->action), MAPID(e->flow_type),
                                    MAPID(e->country), MAPID(e->rule));
        if (!d)
            break;
        d->flows += e->flows;
        d->bytes += e->bytes;
        d->bytes_n += e->bytes_n;
        d->packets += e->packets;
        d->packets_n += e->packets_n;
    }
    if (!(s->flags & RU_F_HOSTS))
        r->no_hosts = true;
    for (uint32_t k = 0; k < s->n_hidx && !r->no_hosts && !r->broken; k++) {
        const struct dhidx *x = &s->hidx[k];
        for (uint32_t i = x->first; i < x->first + x->count; i++) {
            const struct dhost *e = &s->host[i];
            struct hent *h = host_slot(r, x->hour, MAPID(e->sid));
            if (!h)
                break;
            if ((uint64_t)h->flows + e->flows >= UINT32_MAX) {
                r->no_hosts = true;
                break;
            }
            h->flows += e->flows;
            if (e->bytes != INT64_MIN) {
                h->bytes += e->bytes;
                h->bytes_n++;
            }
        }
    }
#undef MAPID
    fl_free(map);
}

/* Add the rows of a data file read back from disk (files written without
 * a sidecar: rewritten by a replacement, or older than rollups). */
static int add_file_rows(struct fl__rollup *r, const char *path)
{
    static const int cols[] = {FL_COL_START, FL_COL_ACTION, FL_COL_FLOW_TYPE, FL_COL_DST_SCOPE,
                               FL_COL_DST_COUNTRY, FL_COL_RULE_NAME, FL_COL_RULE, FL_COL_BYTES,
                               FL_COL_PACKETS, FL_COL_SRCADDR};
    fl_pq_reader *pq = NULL;
    struct fl_error e;
    int rc = fl_pq_open(&pq, path, &e);
    if (rc != FL_OK)
        return rc;
    struct fl_batch *b = fl_batch_new(0);
    if (!b) {
        fl_pq_close(pq);
        return FL_ENOMEM;
    }
    for (int rg = 0; rc == FL_OK && rg < fl_pq_num_row_groups(pq) && !r->broken; rg++) {
        uint64_t n = fl_pq_rg_rows(pq, rg);
        for (uint64_t row0 = 0; rc == FL_OK && row0 < n; row0 += b->cap) {
            fl_batch_reset(b);
            uint32_t want = (uint32_t)FL_MIN((uint64_t)b->cap, n - row0);
            int got = fl_pq_read(pq, rg, row0, want, cols, (int)FL_ARRAY_LEN(cols), b, &e);
            if (got < 0)
                rc = got;
            else
                fl__rollup_add(r, b, NULL, b->n);
        }
    }
    fl_batch_free(b);
    fl_pq_close(pq);
    return rc != FL_OK ? rc : r->broken ? FL_ELIMIT : FL_OK;
}

int fl__rollup_from_file(struct fl__job *j, int64_t run, const char *part, const char *dir,
                         const char *name, uint64_t bytes, uint64_t rows, struct fl_error *err)
{
    char path[FL_PATH_MAX], rdir[FL_PATH_MAX], tmp[FL_PATH_MAX], fin[FL_PATH_MAX];
    int k = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= sizeof path || rollup_dir(j->home, part, rdir, sizeof rdir) != FL_OK)
        return FL_OK;
    k = snprintf(tmp, sizeof tmp, "%s/.%s.roll.tmp", rdir, name);
    if (k < 0 || (size_t)k >= sizeof tmp)
        return FL_OK;
    struct fl__rollup *r = fl__rollup_new();
    struct fl_error e;
    int rc = r ? add_file_rows(r, path) : FL_ENOMEM;
    struct dfile f = {name, bytes, rows};
    if (rc == FL_OK)
        rc = fl_mkdirs(rdir, &e);
    if (rc == FL_OK)
        rc = write_sidecar(r, tmp, &f, 1, &e);
    fl__rollup_free(r);
    if (rc != FL_OK || fl__rollup_final(tmp, fin, sizeof fin) != FL_OK)
        return FL_OK; /* no sidecar: readers use the raw file */
    return fl_ledger_op_add(j->st, run, FL_OP_RENAME, tmp, fin, err);
}

/* The sidecar path of data file <part>/<name>. */
static int sidecar_path(const char *home, const char *part, const char *name, size_t nl,
                        char *buf, size_t cap)
{
    int k = snprintf(buf, cap, "%s/rollup/%s/%.*s.roll", home, part, (int)nl, name);
    return k < 0 || (size_t)k >= cap ? FL_ELIMIT : FL_OK;
}

/* The sidecar covering data file `abs` (absolute) if it is valid for it:
 * it names the file with its current size, and every other file it names
 * is in the same folder with its size.  Loaded through cache (may be NULL);
 * release with sidecar_put(cache, ...). */
static struct sidecar *find_cover(const char *home, const char *part, const char *abs,
                                  struct fl__rollup_cache *cache)
{
    const char *base = strrchr(abs, '/');
    base = base ? base + 1 : abs;
    char dir[FL_PATH_MAX];
    if (rollup_dir(home, part, dir, sizeof dir) != FL_OK)
        return NULL;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    struct sidecar *found = NULL;
    struct dirent *e;
    size_t bl = strlen(base);
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".roll") != 0)
            continue;
        char p[FL_PATH_MAX];
        int k = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (k < 0 || (size_t)k >= sizeof p)
            continue;
        struct sidecar *s;
        if (sidecar_get(cache, p, &s) != FL_OK)
            continue;
        bool names = false, ok = true;
        for (uint32_t i = 0; i < s->n_files && ok; i++) {
            if (s->fname_len[i] == bl && memcmp(s->fname[i], base, bl) == 0)
                names = true;
            char f[FL_PATH_MAX];
            int m = snprintf(f, sizeof f, "%.*s/%.*s", (int)(base - abs - 1), abs,
                             (int)s->fname_len[i], s->fname[i]);
            struct stat st;
            ok = m > 0 && (size_t)m < sizeof f && stat(f, &st) == 0 &&
                 (uint64_t)st.st_size == s->fbytes[i];
        }
        if (names && ok)
            found = s;
        else
            sidecar_put(cache, s);
    }
    closedir(d);
    return found;
}

int fl__rollup_compact(struct fl__job *j, int64_t run, const char *part, char *const *inputs,
                       int n_inputs, const char *stage_dir, struct fl_error *err)
{
    /* every input must be covered; a sidecar covering several inputs is
     * merged once */
    struct sidecar **used = fl_calloc((size_t)n_inputs + 1, sizeof *used);
    struct fl__rollup *r = fl__rollup_new();
    int n_used = 0, rc = FL_OK;
    bool complete = used && r;
    for (int i = 0; complete && i < n_inputs; i++) {
        struct sidecar *s = find_cover(j->home, part, inputs[i], NULL);
        if (!s) { /* no valid sidecar: read the file itself */
            if (add_file_rows(r, inputs[i]) != FL_OK)
                complete = false;
            continue;
        }
        bool dup = false;
        for (int k = 0; k < n_used && !dup; k++)
            dup = strcmp(used[k]->path, s->path) == 0;
        if (dup) {
            sidecar_put(NULL, s);
            continue;
        }
        used[n_used++] = s;
        merge_into(r, s);
    }
    /* the output files */
    struct dfile *files = NULL;
    char **names = NULL;
    int n_files = 0;
    DIR *d = complete && !r->broken ? opendir(stage_dir) : NULL;
    if (d) {
        struct dirent *e;
        int cap = 0;
        while (rc == FL_OK && (e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (e->d_name[0] == '.' || n < 9 || strcmp(e->d_name + n - 8, ".parquet") != 0)
                continue;
            if (n_files == cap) {
                int nc = cap ? cap * 2 : 8;
                struct dfile *nf = fl_realloc(files, (size_t)nc * sizeof *nf);
                char **nn = nf ? fl_realloc(names, (size_t)nc * sizeof *nn) : NULL;
                if (nf)
                    files = nf;
                if (!nf || !nn) {
                    rc = FL_ENOMEM;
                    break;
                }
                names = nn;
                cap = nc;
            }
            char p[FL_PATH_MAX];
            struct stat st;
            int k = snprintf(p, sizeof p, "%s/%s", stage_dir, e->d_name);
            if (k < 0 || (size_t)k >= sizeof p || stat(p, &st) != 0 || !(names[n_files] = fl_strdup(e->d_name))) {
                rc = FL_EIO;
                break;
            }
            files[n_files] = (struct dfile){names[n_files], (uint64_t)st.st_size, 0};
            n_files++;
        }
        closedir(d);
    }
    if (rc == FL_OK && complete && !r->broken && n_files > 0) {
        /* named after the first output file (the file the GC looks for) */
        int first = 0;
        for (int i = 1; i < n_files; i++)
            if (strcmp(files[i].name, files[first].name) < 0)
                first = i;
        struct dfile t = files[0];
        files[0] = files[first];
        files[first] = t;
        char dir[FL_PATH_MAX], tmp[FL_PATH_MAX], fin[FL_PATH_MAX];
        int k = rollup_dir(j->home, part, dir, sizeof dir) == FL_OK
                    ? snprintf(tmp, sizeof tmp, "%s/.%s.roll.tmp", dir, files[0].name)
                    : -1;
        rc = k < 0 || (size_t)k >= sizeof tmp ? fl_error_set(err, FL_ELIMIT, "path too long") : FL_OK;
        if (rc == FL_OK)
            rc = fl_mkdirs(dir, err);
        if (rc == FL_OK)
            rc = write_sidecar(r, tmp, files, n_files, err);
        if (rc == FL_OK && fl__rollup_final(tmp, fin, sizeof fin) == FL_OK)
            rc = fl_ledger_op_add(j->st, run, FL_OP_RENAME, tmp, fin, err);
    } else if (rc != FL_OK) {
        rc = fl_error_set(err, rc, "compact: rollup of %s: %s", part, fl_strerror(rc));
    }
    for (int i = 0; i < n_used; i++)
        sidecar_put(NULL, used[i]);
    for (int i = 0; i < n_files; i++)
        fl_free(names[i]);
    fl_free(names);
    fl_free(files);
    fl_free(used);
    fl__rollup_free(r);
    return rc;
}

/* GC one rollup folder (rel: partition path); returns true if now empty. */
static bool gc_dir(const char *home, const char *rel, int depth)
{
    char dir[FL_PATH_MAX];
    int k = snprintf(dir, sizeof dir, "%s/rollup%s%s", home, *rel ? "/" : "", rel);
    if (k < 0 || (size_t)k >= sizeof dir || depth > 8)
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool empty = true;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
            continue;
        char p[FL_PATH_MAX];
        k = snprintf(p, sizeof p, "%s/%s", dir, nm);
        if (k < 0 || (size_t)k >= sizeof p) {
            empty = false;
            continue;
        }
        size_t n = strlen(nm);
        if (e->d_type == DT_DIR) {
            char sub[FL_PATH_MAX];
            k = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", nm);
            if (k > 0 && (size_t)k < sizeof sub && gc_dir(home, sub, depth + 1) && rmdir(p) == 0)
                continue;
            empty = false;
            continue;
        }
        if (nm[0] == '.' && n > 4 && strcmp(nm + n - 4, ".tmp") == 0) {
            unlink(p); /* a crashed run's temp file */
            continue;
        }
        if (n > 5 && strcmp(nm + n - 5, ".roll") == 0) {
            char data[FL_PATH_MAX];
            struct stat st;
            k = snprintf(data, sizeof data, "%s/data/%s/%.*s", home, rel, (int)(n - 5), nm);
            if (k > 0 && (size_t)k < sizeof data && stat(data, &st) != 0 && errno == ENOENT) {
                unlink(p); /* its data file is gone: never valid again */
                continue;
            }
        }
        empty = false;
    }
    closedir(d);
    return empty;
}

void fl__rollup_gc(const char *home)
{
    gc_dir(home, "", 0);
}

/* ---- answering a panel ----------------------------------------------------------------- */
struct agg {
    int64_t hour;
    uint32_t gid;              /* NONE = NULL */
    int64_t flows, bytes, bytes_n;
};
struct view {
    const struct fl__rollup_cache *c;
    struct agg *a;
    uint32_t n_a, cap_a;
    uint32_t *aslot;
    uint32_t aslot_n;
    bool oom;
};

static struct agg *a_slot(struct view *v, int64_t hour, uint32_t gid)
{
    uint64_t h = host_key_hash(hour, gid);
    if (!v->aslot || (uint64_t)(v->n_a + 1) * 2 >= v->aslot_n) {
        uint32_t ns = v->aslot_n ? v->aslot_n * 2 : 1024;
        uint32_t *sl = fl_calloc(ns, sizeof *sl);
        if (!sl) {
            v->oom = true;
            return NULL;
        }
        for (uint32_t i = 0; i < v->n_a; i++) {
            uint32_t at = (uint32_t)host_key_hash(v->a[i].hour, v->a[i].gid) & (ns - 1);
            while (sl[at])
                at = (at + 1) & (ns - 1);
            sl[at] = i + 1;
        }
        fl_free(v->aslot);
        v->aslot = sl;
        v->aslot_n = ns;
    }
    uint32_t m = v->aslot_n - 1, at = (uint32_t)h & m;
    for (uint32_t x; (x = v->aslot[at]) != 0; at = (at + 1) & m) {
        struct agg *e = &v->a[x - 1];
        if (e->hour == hour && e->gid == gid)
            return e;
    }
    if (!grow((void **)&v->a, &v->cap_a, v->n_a, sizeof *v->a, 64u << 20)) {
        v->oom = true;
        return NULL;
    }
    struct agg *e = &v->a[v->n_a];
    memset(e, 0, sizeof *e);
    e->hour = hour;
    e->gid = gid;
    v->aslot[at] = ++v->n_a;
    return e;
}

enum panel { P_TRAFFIC, P_TOP, P_DENIED, P_EGRESS, P_TYPES };

static inline uint32_t gid_of(const struct sidecar *s, uint32_t sid)
{
    return sid >= NOTAPPL ? NONE : s->gmap[sid];
}

/* Cube panels: (hour, key) -> sums in a small hash table. */
static void add_cube(struct view *v, const struct sidecar *s, enum panel p, int64_t h0,
                     int64_t h1, uint32_t empty_gid)
{
    for (uint32_t i = 0; i < s->n_cube && !v->oom; i++) {
        const struct dcube *e = &s->cube[i];
        if (e->hour < h0 || e->hour >= h1)
            continue;
        int64_t hour = 0;
        uint32_t key;
        switch (p) {
        case P_TRAFFIC:
            hour = e->hour * 3600;
            key = gid_of(s, e->action);
            break;
        case P_DENIED:
            if (e->rule == NOTAPPL)
                continue;
            key = e->rule == NONE ? empty_gid : gid_of(s, e->rule);
            break;
        case P_EGRESS:
            if (e->country == NOTAPPL)
                continue;
            key = e->country == NONE ? empty_gid : gid_of(s, e->country);
            break;
        default:
            key = e->flow_type == NONE ? empty_gid : gid_of(s, e->flow_type);
            break;
        }
        struct agg *a = a_slot(v, hour, key);
        if (!a)
            break;
        a->flows += (int64_t)e->flows;
        a->bytes += e->bytes;
        a->bytes_n += (int64_t)e->bytes_n;
    }
}

/* Sort order: strings compare as bytes, NULL last; counters DESC with
 * NULL (no non-NULL value) last. */
static int cmp_str(const void *ctx, uint32_t a, uint32_t b)
{
    const struct fl__rollup_cache *c = ctx;
    if (a == b)
        return 0;
    if (a == NONE)
        return 1;
    if (b == NONE)
        return -1;
    const struct gstr *x = &c->g[a], *y = &c->g[b];
    int r = memcmp(x->p, y->p, FL_MIN(x->n, y->n));
    return r ? r : x->n < y->n ? -1 : x->n > y->n;
}
static int cmp_desc(int64_t x, bool xn, int64_t y, bool yn)
{
    if (xn != yn)
        return xn ? 1 : -1;
    return x > y ? -1 : x < y;
}
static int cmp_traffic(const void *pa, const void *pb, void *ctx)
{
    const struct agg *a = pa, *b = pb;
    if (a->hour != b->hour)
        return a->hour < b->hour ? -1 : 1;
    return cmp_str(ctx, a->gid, b->gid);
}
static int cmp_by_bytes(const void *pa, const void *pb, void *ctx)
{
    const struct agg *a = pa, *b = pb;
    int r = cmp_desc(a->bytes, a->bytes_n == 0, b->bytes, b->bytes_n == 0);
    return r ? r : cmp_str(ctx, a->gid, b->gid);
}
static int cmp_by_flows(const void *pa, const void *pb, void *ctx)
{
    const struct agg *a = pa, *b = pb;
    int r = cmp_desc(a->flows, false, b->flows, false);
    return r ? r : cmp_str(ctx, a->gid, b->gid);
}

/* Top talkers: hosts summed into dense arrays indexed by global id (slot
 * n_g is the NULL address), then the best `limit` kept in a heap whose
 * root is the worst kept. */
static void heap_down(struct agg *hp, uint32_t n, uint32_t i, const struct fl__rollup_cache *c)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && cmp_by_bytes(&hp[l], &hp[w], (void *)c) > 0)
            w = l;
        if (r < n && cmp_by_bytes(&hp[r], &hp[w], (void *)c) > 0)
            w = r;
        if (w == i)
            return;
        struct agg t = hp[i];
        hp[i] = hp[w];
        hp[w] = t;
        i = w;
    }
}

/* A zeroed scratch set for ng ids (taken from the cache's pool, or fresh
 * when all are busy); scratch_put zeroes what was touched and returns it. */
static struct scratch *scratch_get(struct fl__rollup_cache *c, size_t ng, struct scratch *tmp)
{
    struct scratch *x = NULL;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < N_SCRATCH && !x; i++)
        if (!c->sc[i].busy) {
            x = &c->sc[i];
            x->busy = true;
        }
    pthread_mutex_unlock(&c->mu);
    if (!x) {
        memset(tmp, 0, sizeof *tmp);
        x = tmp;
    }
    if (x->cap < ng) {
        size_t nc = ng + ng / 4 + 1024;
        fl_free(x->fl);
        fl_free(x->by);
        fl_free(x->bn);
        fl_free(x->touched);
        x->fl = fl_calloc(nc, sizeof *x->fl);
        x->by = fl_calloc(nc, sizeof *x->by);
        x->bn = fl_calloc(nc, sizeof *x->bn);
        x->touched = fl_malloc(nc * sizeof *x->touched);
        x->cap = x->fl && x->by && x->bn && x->touched ? nc : 0;
    }
    return x;
}

static void scratch_put(struct fl__rollup_cache *c, struct scratch *x, struct scratch *tmp,
                        uint32_t n_t)
{
    if (x == tmp) {
        fl_free(x->fl);
        fl_free(x->by);
        fl_free(x->bn);
        fl_free(x->touched);
        return;
    }
    for (uint32_t t = 0; x->cap && t < n_t; t++) {
        uint32_t g = x->touched[t];
        x->fl[g] = x->by[g] = 0;
        x->bn[g] = 0;
    }
    pthread_mutex_lock(&c->mu);
    x->busy = false;
    pthread_mutex_unlock(&c->mu);
}

static int top_hosts(struct view *v, struct sidecar *const *sc, size_t n_sc, int64_t h0,
                     int64_t h1, long limit)
{
    const struct fl__rollup_cache *c = v->c;
    size_t ng = (size_t)c->n_g + 1;
    struct scratch tmp, *x = scratch_get((struct fl__rollup_cache *)c, ng, &tmp);
    int64_t *fl = x->fl, *by = x->by;
    uint32_t *bn = x->bn, *touched = x->touched;
    uint32_t n_t = 0;
    int rc = x->cap ? FL_OK : FL_ENOMEM;
    for (size_t f = 0; rc == FL_OK && f < n_sc; f++) {
        const struct sidecar *s = sc[f];
        if (s->n_hidx && s->n_tot && s->hidx[0].hour >= h0 && s->hidx[s->n_hidx - 1].hour < h1) {
            for (uint32_t i = 0; i < s->n_tot; i++) {
                const struct dhost *e = &s->tot[i];
                uint32_t g = e->sid == NONE ? c->n_g : s->gmap[e->sid];
                if (fl[g] == 0)
                    touched[n_t++] = g;
                fl[g] += e->flows;
                if (e->bytes != INT64_MIN) {
                    by[g] += e->bytes;
                    bn[g] = 1;
                }
            }
            continue;
        }
        for (uint32_t k = 0; k < s->n_hidx; k++) {
            const struct dhidx *hx = &s->hidx[k];
            if (hx->hour < h0 || hx->hour >= h1)
                continue;
            const struct dhost *e = &s->host[hx->first];
            for (uint32_t i = 0; i < hx->count; i++) {
                uint32_t g = e[i].sid == NONE ? c->n_g : s->gmap[e[i].sid];
                if (fl[g] == 0)
                    touched[n_t++] = g;
                fl[g] += e[i].flows;
                if (e[i].bytes != INT64_MIN) {
                    by[g] += e[i].bytes;
                    bn[g] = 1;
                }
            }
        }
    }
    uint32_t cap = limit > 0 && (size_t)limit < n_t ? (uint32_t)limit : n_t;
    struct agg *hp = rc == FL_OK ? fl_malloc(((size_t)cap + 1) * sizeof *hp) : NULL;
    if (rc == FL_OK && !hp)
        rc = FL_ENOMEM;
    uint32_t n = 0;
    for (uint32_t t = 0; rc == FL_OK && t < n_t; t++) {
        uint32_t g = touched[t];
        struct agg a = {0, g == c->n_g ? NONE : g, fl[g], by[g], bn[g]};
        if (n < cap) {
            /* sift up */
            uint32_t i = n++;
            hp[i] = a;
            while (i > 0 && cmp_by_bytes(&hp[i], &hp[(i - 1) / 2], (void *)c) > 0) {
                struct agg sw = hp[i];
                hp[i] = hp[(i - 1) / 2];
                hp[(i - 1) / 2] = sw;
                i = (i - 1) / 2;
            }
        } else if (cap > 0 && cmp_by_bytes(&a, &hp[0], (void *)c) < 0) {
            hp[0] = a;
            heap_down(hp, n, 0, c);
        }
    }
    scratch_put((struct fl__rollup_cache *)c, x, &tmp, n_t);
    if (rc != FL_OK) {
        fl_free(hp);
        return rc;
    }
    fl_free(v->a);
    v->a = hp;
    v->n_a = n;
    v->cap_a = cap + 1;
    return FL_OK;
}

/* The partition filter: cloud/account equal, date inside [d0, d1]. */
struct want {
    const char *cloud, *account;
    int64_t d0, d1;
};

struct lfile {
    char *part, *abs;
    uint64_t bytes;
    bool covered;
};
struct llist {
    const char *home;
    struct want w;
    struct lfile *f;
    size_t n, cap;
    int rc;
};

static int list_want(void *ctx, const struct fl_dataset_file *f)
{
    struct llist *L = ctx;
    struct fl_part_values pv;
    if (fl_partition_parse(f->partition, &pv) != FL_OK)
        return L->rc = FL_ENOTFOUND; /* a folder we cannot place: raw SQL decides */
    if (L->w.cloud && strcmp(pv.cloud, L->w.cloud) != 0)
        return 0;
    if (L->w.account && strcmp(pv.account, L->w.account) != 0)
        return 0;
    if (!pv.date[0])
        return 0; /* NULL date: start NULL or out of range, never in [from, to) */
    int64_t y, m, d;
    if (strlen(pv.date) != 10 || fl_parse_i64(pv.date, 4, &y) || fl_parse_i64(pv.date + 5, 2, &m) ||
        fl_parse_i64(pv.date + 8, 2, &d))
        return L->rc = FL_ENOTFOUND;
    int64_t day = fl_days_from_civil(y, (unsigned)m, (unsigned)d);
    if (day < L->w.d0 || day > L->w.d1)
        return 0;
    if (L->n == L->cap) {
        size_t nc = L->cap ? L->cap * 2 : 64;
        if (nc > 1000000)
            return L->rc = FL_ENOTFOUND; /* too many files for rollups: SQL */
        struct lfile *nf = fl_realloc(L->f, nc * sizeof *nf);
        if (!nf)
            return L->rc = FL_ENOMEM;
        L->f = nf;
        L->cap = nc;
    }
    char abs[FL_PATH_MAX];
    int k = snprintf(abs, sizeof abs, "%s/data/%s", L->home, f->path);
    if (k < 0 || (size_t)k >= sizeof abs)
        return L->rc = FL_ENOTFOUND;
    struct lfile *lf = &L->f[L->n];
    lf->part = fl_strdup(f->partition);
    lf->abs = fl_strdup(abs);
    lf->bytes = f->bytes;
    lf->covered = false;
    if (!lf->part || !lf->abs) {
        fl_free(lf->part);
        fl_free(lf->abs);
        return L->rc = FL_ENOMEM;
    }
    L->n++;
    return 0;
}

static int cmp_lfile(const void *a, const void *b)
{
    return strcmp(((const struct lfile *)a)->abs, ((const struct lfile *)b)->abs);
}

void fl__rollup_result_free(struct fl__rollup_result *r)
{
    if (!r)
        return;
    fl_free(r->cells);
    fl_free(r->strings);
    memset(r, 0, sizeof *r);
}

/* Deep copy of a result (strings rebased into the copy's own block). */
static int result_copy(struct fl__rollup_result *dst, const struct fl__rollup_result *src)
{
    memset(dst, 0, sizeof *dst);
    size_t nc = src->n_rows * (size_t)src->n_cols, sb = 0;
    for (size_t i = 0; i < nc; i++)
        if (src->cells[i].type == FL_QT_VARCHAR)
            sb = FL_MAX(sb, (size_t)(src->cells[i].s.p - src->strings) + src->cells[i].s.n);
    dst->cells = fl_malloc((nc ? nc : 1) * sizeof *dst->cells);
    dst->strings = fl_malloc(sb + 1);
    if (!dst->cells || !dst->strings) {
        fl__rollup_result_free(dst);
        return FL_ENOMEM;
    }
    memcpy(dst->strings, src->strings, sb);
    for (size_t i = 0; i < nc; i++) {
        dst->cells[i] = src->cells[i];
        if (src->cells[i].type == FL_QT_VARCHAR)
            dst->cells[i].s.p = dst->strings + (src->cells[i].s.p - src->strings);
    }
    dst->n_cols = src->n_cols;
    for (int i = 0; i < src->n_cols; i++)
        dst->cols[i] = src->cols[i];
    dst->n_rows = src->n_rows;
    return FL_OK;
}

/* A cached reply for key computed from the sidecars fp; FL_OK on a hit. */
static int rcache_get(struct fl__rollup_cache *c, const char *key, uint64_t fp,
                      struct fl__rollup_result *out)
{
    int rc = FL_ENOTFOUND;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < N_RESULTS; i++)
        if (c->res[i].fp == fp && c->res[i].tick && strcmp(c->res[i].key, key) == 0) {
            c->res[i].tick = ++c->tick;
            rc = result_copy(out, &c->res[i].r);
            break;
        }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static void rcache_put(struct fl__rollup_cache *c, const char *key, uint64_t fp,
                       const struct fl__rollup_result *r)
{
    struct fl__rollup_result cp;
    if (strlen(key) >= sizeof c->res[0].key || result_copy(&cp, r) != FL_OK)
        return;
    pthread_mutex_lock(&c->mu);
    int lru = 0;
    for (int i = 1; i < N_RESULTS; i++)
        if (c->res[i].tick < c->res[lru].tick)
            lru = i;
    struct rcache *e = &c->res[lru];
    fl__rollup_result_free(&e->r);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->fp = fp;
    e->tick = ++c->tick;
    e->r = cp;
    pthread_mutex_unlock(&c->mu);
}

int fl__rollup_panel(const char *home, struct fl__rollup_cache *cache,
                     const struct fl__rollup_query *q, struct fl__rollup_result *out,
                     struct fl_error *err)
{
    memset(out, 0, sizeof *out);
    enum panel p;
    if (strcmp(q->panel, "traffic") == 0)
        p = P_TRAFFIC;
    else if (strcmp(q->panel, "top-talkers") == 0)
        p = P_TOP;
    else if (strcmp(q->panel, "denied-by-rule") == 0)
        p = P_DENIED;
    else if (strcmp(q->panel, "egress-by-country") == 0)
        p = P_EGRESS;
    else if (strcmp(q->panel, "flow-types") == 0)
        p = P_TYPES;
    else
        return FL_ENOTFOUND;
    if (q->from < 0 || q->from % 3600 || q->to % 3600 || q->to <= q->from)
        return FL_ENOTFOUND;
    home = home ? home : "./flowsift-data";
    struct fl__rollup_cache *own = NULL;
    if (!cache && !(cache = own = fl__rollup_cache_new(0)))
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    struct llist L;
    memset(&L, 0, sizeof L);
    L.home = home;
    L.w.cloud = q->cloud;
    L.w.account = q->account;
    L.w.d0 = q->from / 86400;
    L.w.d1 = (q->to - 1) / 86400;
    int rc = fl_dataset_list(home, list_want, &L, err);
    if (rc == FL_OK && L.rc)
        rc = L.rc;
    if (rc == FL_OK && L.n > 1)
        qsort(L.f, L.n, sizeof *L.f, cmp_lfile);
    /* the sidecars covering every wanted file */
    struct sidecar **sc = NULL;
    size_t n_sc = 0;
    if (rc == FL_OK && L.n) {
        sc = fl_calloc(L.n, sizeof *sc);
        if (!sc)
            rc = FL_ENOMEM;
    }
    for (size_t i = 0; rc == FL_OK && i < L.n; i++) {
        if (L.f[i].covered)
            continue;
        const char *base = strrchr(L.f[i].abs, '/') + 1;
        size_t bl = strlen(base);
        if (bl < 9 || strcmp(base + bl - 8, ".parquet") != 0) {
            rc = FL_ENOTFOUND;
            break;
        }
        /* the sidecar named after this file, or one merged by compaction */
        char path[FL_PATH_MAX];
        struct sidecar *s = NULL;
        if (sidecar_path(home, L.f[i].part, base, bl, path, sizeof path) == FL_OK &&
            sidecar_get(cache, path, &s) != FL_OK)
            s = NULL;
        if (!s)
            s = find_cover(home, L.f[i].part, L.f[i].abs, cache);
        if (!s) {
            rc = FL_ENOTFOUND;
            break;
        }
        sc[n_sc++] = s;
        if (p == P_TOP && !(s->flags & RU_F_HOSTS)) {
            rc = FL_ENOTFOUND;
            break;
        }
        /* every file it names must be a live file of the partition with
         * its size, and not already covered (looked up in the sorted list) */
        for (uint32_t k = 0; rc == FL_OK && k < s->n_files; k++) {
            char want[FL_PATH_MAX];
            int w = snprintf(want, sizeof want, "%.*s%.*s", (int)(base - L.f[i].abs), L.f[i].abs,
                             (int)s->fname_len[k], s->fname[k]);
            struct lfile key = {.abs = want};
            struct lfile *m = w > 0 && (size_t)w < sizeof want
                                  ? bsearch(&key, L.f, L.n, sizeof *L.f, cmp_lfile)
                                  : NULL;
            if (m && m->bytes == s->fbytes[k] && !m->covered)
                m->covered = true;
            else
                rc = FL_ENOTFOUND;
        }
        if (rc == FL_OK && !L.f[i].covered)
            rc = FL_ENOTFOUND;
    }
    /* a repeated call over unchanged sidecars: the cached reply */
    char key[320];
    snprintf(key, sizeof key, "%d|%lld|%lld|%s|%s|%ld", (int)p, (long long)q->from,
             (long long)q->to, q->cloud ? q->cloud : "\x01", q->account ? q->account : "\x01",
             q->limit);
    uint64_t fp = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; rc == FL_OK && i < n_sc; i++) {
        fp = fl_hash_bytes(sc[i]->path, strlen(sc[i]->path), fp);
        fp = fl_hash64(fp ^ (uint64_t)sc[i]->size ^ ((uint64_t)sc[i]->mtime_ns << 1) ^ ((uint64_t)sc[i]->ino << 7));
    }
    bool hit = rc == FL_OK && rcache_get(cache, key, fp, out) == FL_OK;
    /* aggregate */
    struct view v;
    memset(&v, 0, sizeof v);
    v.c = cache;
    bool locked = false;
    if (hit)
        goto done;
    uint32_t empty = NONE;
    uint64_t gen = 0;
    if (rc == FL_OK) { /* the empty string's global id (coalesce(x, '')) */
        pthread_rwlock_wrlock(&cache->gl);
        empty = gd_intern(cache, "", 0);
        gen = cache->gen;
        pthread_rwlock_unlock(&cache->gl);
        if (empty == NONE)
            rc = FL_ENOTFOUND;
    }
    int64_t h0 = q->from / 3600, h1 = q->to / 3600;
    if (rc == FL_OK) {
        pthread_rwlock_rdlock(&cache->gl);
        locked = true;
        /* the dictionary restarted since a map was built: SQL answers */
        for (size_t i = 0; rc == FL_OK && i < n_sc; i++)
            if (sc[i]->gmap_gen != gen || cache->gen != gen)
                rc = FL_ENOTFOUND;
    }
    if (rc == FL_OK && p == P_TOP)
        rc = top_hosts(&v, sc, n_sc, h0, h1, q->limit);
    for (size_t i = 0; rc == FL_OK && p != P_TOP && i < n_sc && !v.oom; i++)
        add_cube(&v, sc[i], p, h0, h1, empty);
    if (rc == FL_OK && v.oom)
        rc = FL_ENOMEM;
    /* sort, cut, emit: strings are copied out before the sidecars go */
    if (rc == FL_OK) {
        int (*cmp)(const void *, const void *, void *) = p == P_TRAFFIC                   ? cmp_traffic
                                                 : p == P_TOP || p == P_EGRESS ? cmp_by_bytes
                                                                                 : cmp_by_flows;
        if (v.n_a > 1)
            qsort_r(v.a, v.n_a, sizeof *v.a, cmp, cache);
        size_t n = v.n_a;
        if ((p == P_TOP || p == P_DENIED || p == P_EGRESS) && q->limit > 0 && (size_t)q->limit < n)
            n = (size_t)q->limit;
        static const char *const names[5][3] = {
            {"hour", "action", NULL}, {"srcaddr", NULL, NULL}, {"rule", NULL, NULL},
            {"country", NULL, NULL}, {"flow_type", NULL, NULL}};
        int nc = 0;
        for (int c = 0; c < 3 && names[p][c]; c++)
            out->cols[nc++] = names[p][c];
        bool flows_first = p == P_DENIED || p == P_TYPES;
        out->cols[nc++] = flows_first ? "flows" : "bytes";
        out->cols[nc++] = flows_first ? "bytes" : "flows";
        out->n_cols = nc;
        size_t sbytes = 0;
        for (size_t i = 0; i < n; i++)
            if (v.a[i].gid != NONE)
                sbytes += cache->g[v.a[i].gid].n;
        out->cells = fl_calloc(n ? n * (size_t)nc : 1, sizeof *out->cells);
        out->strings = fl_malloc(sbytes + 1);
        if (!out->cells || !out->strings) {
            rc = FL_ENOMEM;
        } else {
            size_t so = 0;
            for (size_t i = 0; i < n; i++) {
                const struct agg *a = &v.a[i];
                struct fl_qcell *row = &out->cells[i * (size_t)nc];
                int c = 0;
                if (p == P_TRAFFIC)
                    row[c++] = (struct fl_qcell){.type = FL_QT_BIGINT, .i = a->hour};
                if (a->gid == NONE) {
                    row[c++].type = FL_QT_NULL;
                } else {
                    const struct gstr *g = &cache->g[a->gid];
                    memcpy(out->strings + so, g->p, g->n);
                    row[c++] = (struct fl_qcell){.type = FL_QT_VARCHAR, .s = {out->strings + so, g->n}};
                    so += g->n;
                }
                struct fl_qcell fc = {.type = FL_QT_BIGINT, .i = a->flows};
                struct fl_qcell bc = {.type = a->bytes_n ? FL_QT_BIGINT : FL_QT_NULL, .i = a->bytes};
                row[c++] = flows_first ? fc : bc;
                row[c++] = flows_first ? bc : fc;
            }
            out->n_rows = n;
        }
        if (rc == FL_OK)
            rcache_put(cache, key, fp, out);
    }
done:
    for (size_t i = 0; i < n_sc; i++)
        sidecar_put(cache, sc[i]);
    fl_free(sc);
    if (locked)
        pthread_rwlock_unlock(&cache->gl);
    fl_free(v.a);
    fl_free(v.aslot);
    fl__rollup_cache_free(own);
    for (size_t i = 0; i < L.n; i++) {
        fl_free(L.f[i].part);
        fl_free(L.f[i].abs);
    }
    fl_free(L.f);
    if (rc != FL_OK) {
        fl__rollup_result_free(out);
        if (rc == FL_ENOTFOUND)
            return FL_ENOTFOUND;
        return fl_error_set(err, rc, "rollups: %s", fl_strerror(rc));
    }
    return FL_OK;
}

/* ---- warming the cache ------------------------------------------------------------------ */
struct warm {
    const char *home;
    struct fl__rollup_cache *c;
    const int *stop;
};

static int warm_cb(void *ctx, const struct fl_dataset_file *f)
{
    struct warm *w = ctx;
    if (w->stop && __atomic_load_n(w->stop, __ATOMIC_RELAXED))
        return 1;
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    char path[FL_PATH_MAX];
    struct sidecar *s;
    if (sidecar_path(w->home, f->partition, base, strlen(base), path, sizeof path) == FL_OK &&
        sidecar_get(w->c, path, &s) == FL_OK)
        sidecar_put(w->c, s);
    return 0;
}

void fl__rollup_warm(const char *home, struct fl__rollup_cache *c, const int *stop)
{
    struct warm w = {home ? home : "./flowsift-data", c, stop};
    struct fl_error e;
    if (c)
        fl_dataset_list(w.home, warm_cb, &w, &e);
}
