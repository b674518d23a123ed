/* SPDX-License-Identifier: Apache-2.0 */
/*
 * input.c - the decompressed byte stream of one input object (struct
 * fl__input).  An input is a file or stdin ("-"), plain or gzip.  Gzip is
 * inflated in a streaming fashion with isa-l (`isal_inflate`, crc_flag =
 * ISAL_GZIP, so every member's CRC32 and length are checked), member after
 * member (multi-member gzip, as `cat a.gz b.gz` makes); zlib is the
 * fallback (FLOWSIFT_INFLATE=zlib selects it).  The first bytes can be
 * peeked without being consumed, so that format sniffing sees the stream
 * and the parser still starts at byte 0.  Memory is fixed: one input block
 * buffer, the inflate state, and the peek buffer.
 *
 * Errors name the object: truncated or corrupt gzip -> FL_ECORRUPT,
 * unreadable -> FL_EIO.
 *
 * Inflate thread.  A gzip regular file of at least INF_THREAD_MIN bytes is
 * inflated on a thread of its own, ahead of the parser, into a ring of
 * INF_SLOTS reused buffers of INF_CHUNK bytes (bounded memory: the ring is
 * all that is ever buffered).  The reader takes the slots in order, so the
 * byte stream, its offsets and therefore every line number and
 * source_offset are exactly those of the synchronous path; an error met by
 * the thread is handed over after the bytes that preceded it, with the same
 * message.  Stdin and small files stay synchronous (no thread to start, no
 * read that close() would have to wait for).  FLOWSIFT_INFLATE_THREAD=0
 * turns the thread off (tests compare both paths).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "ingest_int.h"

#define IN_BLOCK (256u * 1024u)

#define INF_SLOTS 4u
#define INF_CHUNK (1024u * 1024u)
#define INF_THREAD_MIN (256u * 1024u) /* compressed bytes */

enum in_mode { IN_PLAIN = 0, IN_ISAL, IN_ZLIB };

/* The inflate thread and its ring (see the file comment).  Slots
 * [head, tail) hold inflated bytes; the thread fills slot tail % INF_SLOTS,
 * the reader drains slot head % INF_SLOTS from offset rpos.  mu guards head,
 * tail, len[], bytes_in[], the end flags and err. */
struct inflater {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;            /* a slot was filled or freed, or stop */
    char *slot[INF_SLOTS];
    size_t len[INF_SLOTS];        /* bytes in each filled slot */
    uint64_t bytes_in[INF_SLOTS]; /* raw bytes read when the slot was filled */
    unsigned head, tail;          /* counters; tail - head filled slots */
    size_t rpos;                  /* reader's offset in the head slot */
    bool end;                     /* the thread is done: no slot after tail */
    bool stop;                    /* close(): the thread must return */
    int rc;                       /* the thread's error (after the slots) */
    struct fl_error err;
};

struct fl__input {
    int fd;
    bool own_fd;
    char *name;             /* display name */
    char *path;             /* file path, or NULL for stdin */
    enum in_mode mode;
    bool gzip;
    /* compressed input block */
    unsigned char *ibuf;
    size_t ipos, ilen;
    bool ieof;              /* no more raw bytes from the fd */
    /* inflate state */
    struct inflate_state *isal;
    z_stream *zs;
    bool member_open;       /* inside a gzip member */
    bool done;              /* end of the decompressed stream */
    /* peek: bytes already produced but not yet handed out */
    char *peek;
    size_t npeek, peek_pos;
    /* counters */
    uint64_t bytes_in;      /* raw bytes read from the fd */
    uint64_t bytes_out;     /* decompressed bytes handed out or peeked */
    uint64_t pos;           /* decompressed offset of the next byte returned */
    int pending_rc;         /* error to return at the next produce() */
    struct fl_error pending_err;
    /* inflate thread (NULL = synchronous) */
    struct inflater *inf;
    bool inf_wanted;        /* start the thread at the first produce() */
    bool inf_done;          /* reader side: the stream ended */
    uint64_t inf_bytes_in;  /* reader side: raw bytes behind what it took */
};

const char *fl__input_name(const struct fl__input *in) { return in->name; }
const char *fl__input_path(const struct fl__input *in) { return in->path; }
bool fl__input_is_gzip(const struct fl__input *in) { return in->gzip; }
uint64_t fl__input_bytes_in(const struct fl__input *in)
{
    return in->inf ? in->inf_bytes_in : in->bytes_in;
}
uint64_t fl__input_offset(const struct fl__input *in) { return in->pos; }

/* Read raw bytes into ibuf (after compacting). 0 ok (maybe EOF), <0 error. */
static int fill_raw(struct fl__input *in, struct fl_error *err)
{
    if (in->ieof)
        return FL_OK;
    if (in->ipos > 0) {
        memmove(in->ibuf, in->ibuf + in->ipos, in->ilen - in->ipos);
        in->ilen -= in->ipos;
        in->ipos = 0;
    }
    while (in->ilen < IN_BLOCK) {
        ssize_t k = read(in->fd, in->ibuf + in->ilen, IN_BLOCK - in->ilen);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            fl_error_sys(err, FL_EIO, e, "%s: read failed: %s", in->name, strerror(e));
            fl_error_where(err, in->name, 0, in->bytes_in);
            return FL_EIO;
        }
        if (k == 0) {
            in->ieof = true;
            break;
        }
        in->ilen += (size_t)k;
        in->bytes_in += (uint64_t)k;
        break; /* one read per fill keeps pipes responsive */
    }
    return FL_OK;
}

static int corrupt(struct fl__input *in, struct fl_error *err, const char *what)
{
    fl_error_set(err, FL_ECORRUPT, "%s: %s", in->name, what);
    fl_error_where(err, in->name, 0, in->bytes_in);
    return FL_ECORRUPT;
}

/* Start the next gzip member at ipos, or finish the stream.  Trailing zero
 * padding is accepted; other trailing bytes are corruption. */
static int next_member(struct fl__input *in, struct fl_error *err)
{
    for (;;) {
        while (in->ipos < in->ilen && in->ibuf[in->ipos] == 0)
            in->ipos++;
        if (in->ipos < in->ilen)
            break;
        if (in->ieof) {
            in->done = true;
            return FL_OK;
        }
        FL_TRY(fill_raw(in, err));
    }
    if (in->ilen - in->ipos < 2 && !in->ieof)
        FL_TRY(fill_raw(in, err));
    if (in->ilen - in->ipos < 2 || in->ibuf[in->ipos] != 0x1f ||
        in->ibuf[in->ipos + 1] != 0x8b)
        return corrupt(in, err, "trailing garbage after the last gzip member");
    if (in->mode == IN_ISAL) {
        isal_inflate_reset(in->isal);
        in->isal->crc_flag = ISAL_GZIP;
    } else if (inflateReset(in->zs) != Z_OK) {
        return corrupt(in, err, "zlib inflateReset failed");
    }
    in->member_open = true;
    return FL_OK;
}

/* Decompress into buf. */
static int inflate_some(struct fl__input *in, char *buf, size_t cap, size_t *got,
                        struct fl_error *err)
{
    *got = 0;
    while (*got == 0 && !in->done) {
        if (!in->member_open) {
            FL_TRY(next_member(in, err));
            continue;
        }
        if (in->ipos >= in->ilen && !in->ieof)
            FL_TRY(fill_raw(in, err));
        size_t avail = in->ilen - in->ipos;
        size_t want = FL_MIN(cap - *got, (size_t)1 << 30);
        if (in->mode == IN_ISAL) {
            struct inflate_state *s = in->isal;
            s->next_in = in->ibuf + in->ipos;
            s->avail_in = (uint32_t)avail;
            s->next_out = (uint8_t *)buf + *got;
            s->avail_out = (uint32_t)want;
            int rc = isal_inflate(s);
            size_t used = avail - s->avail_in;
            size_t made = want - s->avail_out;
            in->ipos += used;
            *got += made;
            if (rc < 0) {
                const char *why = rc == ISAL_INCORRECT_CHECKSUM ? "gzip CRC mismatch (corrupt data)"
                                  : rc == ISAL_INVALID_WRAPPER  ? "bad gzip header"
                                  : rc == ISAL_UNSUPPORTED_METHOD ? "unsupported gzip compression method"
                                                                  : "corrupt deflate data";
                return corrupt(in, err, why);
            }
            if (s->block_state == ISAL_BLOCK_FINISH) {
                in->member_open = false;
                continue;
            }
            if (used == 0 && made == 0 && in->ieof && in->ipos >= in->ilen)
                return corrupt(in, err, "truncated gzip data (unexpected end of file)");
        } else {
            z_stream *z = in->zs;
            z->next_in = in->ibuf + in->ipos;
            z->avail_in = (uInt)avail;
            z->next_out = (Bytef *)buf + *got;
            z->avail_out = (uInt)want;
            int rc = inflate(z, Z_NO_FLUSH);
            size_t used = avail - z->avail_in;
            size_t made = want - z->avail_out;
            in->ipos += used;
            *got += made;
            if (rc == Z_STREAM_END) {
                in->member_open = false;
                continue;
            }
            if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
                return corrupt(in, err, z->msg ? z->msg : "corrupt gzip data");
            if (rc == Z_MEM_ERROR)
                return fl_error_set(err, FL_ENOMEM, "%s: out of memory in zlib", in->name);
            if (used == 0 && made == 0 && in->ieof && in->ipos >= in->ilen)
                return corrupt(in, err, "truncated gzip data (unexpected end of file)");
        }
    }
    return FL_OK;
}

/* ---- the inflate thread ------------------------------------------------ */

/* Thread body: fill slots in order until the stream ends, an error, or
 * stop.  Only this thread touches the inflate state and the raw input
 * while it runs. */
static void *inflater_main(void *arg)
{
    struct fl__input *in = arg;
    struct inflater *t = in->inf;
    for (;;) {
        pthread_mutex_lock(&t->mu);
        while (t->tail - t->head == INF_SLOTS && !t->stop)
            pthread_cond_wait(&t->cv, &t->mu);
        bool stop = t->stop;
        unsigned k = t->tail % INF_SLOTS;
        pthread_mutex_unlock(&t->mu);
        if (stop)
            return NULL;
        if (!t->slot[k]) { /* allocated on first use: small streams stay small */
            t->slot[k] = fl_malloc(INF_CHUNK);
            if (!t->slot[k]) {
                pthread_mutex_lock(&t->mu);
                t->rc = fl_error_set(&t->err, FL_ENOMEM, "%s: out of memory", in->name);
                t->end = true;
                pthread_cond_broadcast(&t->cv);
                pthread_mutex_unlock(&t->mu);
                return NULL;
            }
        }
        size_t n = 0;
        int rc = FL_OK;
        struct fl_error e;
        fl_error_clear(&e);
        while (n < INF_CHUNK && !in->done) {
            size_t got = 0;
            rc = inflate_some(in, t->slot[k] + n, INF_CHUNK - n, &got, &e);
            n += got; /* the bytes before an error are delivered first */
            if (rc < 0)
                break;
        }
        pthread_mutex_lock(&t->mu);
        if (n > 0) {
            t->len[k] = n;
            t->bytes_in[k] = in->bytes_in;
            t->tail++;
        }
        if (rc < 0) {
            t->rc = rc;
            t->err = e;
        }
        if (rc < 0 || in->done)
            t->end = true;
        bool end = t->end;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        if (end)
            return NULL;
    }
}

static int inflater_start(struct fl__input *in, struct fl_error *err)
{
    struct inflater *t = fl_calloc(1, sizeof *t);
    if (!t)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        fl_free(t);
        return fl_error_set(err, FL_ENOMEM, "%s: cannot create a mutex", in->name);
    }
    if (pthread_cond_init(&t->cv, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        fl_free(t);
        return fl_error_set(err, FL_ENOMEM, "%s: cannot create a condition", in->name);
    }
    in->inf = t;
    in->inf_bytes_in = in->bytes_in;
    if (pthread_create(&t->th, NULL, inflater_main, in) != 0) {
        /* no thread: carry on synchronously */
        in->inf = NULL;
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        fl_free(t);
    }
    return FL_OK;
}

static void inflater_stop(struct fl__input *in)
{
    struct inflater *t = in->inf;
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    for (unsigned i = 0; i < INF_SLOTS; i++)
        fl_free(t->slot[i]);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    fl_free(t);
    in->inf = NULL;
}

/* Reader side: copy up to cap bytes out of the ring. */
static int inflater_take(struct fl__input *in, char *buf, size_t cap, size_t *got,
                         struct fl_error *err)
{
    struct inflater *t = in->inf;
    *got = 0;
    if (in->inf_done)
        return FL_OK;
    pthread_mutex_lock(&t->mu);
    while (t->tail == t->head && !t->end)
        pthread_cond_wait(&t->cv, &t->mu);
    if (t->tail == t->head) { /* ended: the error, if any, comes now */
        int rc = t->rc;
        if (rc < 0 && err)
            *err = t->err;
        in->inf_done = true;
        pthread_mutex_unlock(&t->mu);
        return rc;
    }
    unsigned k = t->head % INF_SLOTS;
    size_t len = t->len[k];
    in->inf_bytes_in = t->bytes_in[k];
    pthread_mutex_unlock(&t->mu);
    /* the slot is the reader's until head moves past it */
    size_t n = FL_MIN(cap, len - t->rpos);
    memcpy(buf, t->slot[k] + t->rpos, n);
    t->rpos += n;
    *got = n;
    if (t->rpos == len) {
        t->rpos = 0;
        pthread_mutex_lock(&t->mu);
        t->head++;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
    }
    return FL_OK;
}

/* Produce up to cap fresh bytes (ignoring the peek buffer). */
static int produce(struct fl__input *in, char *buf, size_t cap, size_t *got,
                   struct fl_error *err)
{
    *got = 0;
    if (in->inf_wanted) {
        in->inf_wanted = false;
        FL_TRY(inflater_start(in, err));
    }
    if (in->inf)
        return cap == 0 ? FL_OK : inflater_take(in, buf, cap, got, err);
    if (in->pending_rc < 0) { /* an error met after the bytes of the last call */
        if (err)
            *err = in->pending_err;
        return in->pending_rc;
    }
    if (cap == 0 || in->done)
        return FL_OK;
    if (in->mode == IN_PLAIN) {
        if (in->ipos < in->ilen) { /* bytes read while sniffing gzip magic */
            size_t k = FL_MIN(cap, in->ilen - in->ipos);
            memcpy(buf, in->ibuf + in->ipos, k);
            in->ipos += k;
            *got = k;
            return FL_OK;
        }
        for (;;) {
            ssize_t k = read(in->fd, buf, cap);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                int e = errno;
                fl_error_sys(err, FL_EIO, e, "%s: read failed: %s", in->name, strerror(e));
                fl_error_where(err, in->name, 0, in->bytes_in);
                return FL_EIO;
            }
            if (k == 0)
                in->done = true;
            in->bytes_in += (uint64_t)k;
            *got = (size_t)k;
            return FL_OK;
        }
    }
    /* The bytes inflated before an error are handed out first and the
     * error on the next call, so what a corrupt stream yields does not
     * depend on the caller's buffer size (nor on the inflate thread). */
    struct fl_error e;
    fl_error_clear(&e);
    int rc = inflate_some(in, buf, cap, got, &e);
    if (rc < 0 && *got > 0) {
        in->pending_rc = rc;
        in->pending_err = e;
        return FL_OK;
    }
    if (rc < 0 && err)
        *err = e;
    return rc;
}

int fl__input_open(struct fl__input **out, const char *path, const char *display,
                   struct fl_error *err)
{
    *out = NULL;
    struct fl__input *in = fl_calloc(1, sizeof *in);
    if (!in)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    in->fd = -1;
    bool is_stdin = strcmp(path, "-") == 0;
    in->name = fl_strdup(display ? display : is_stdin ? "(stdin)" : path);
    in->path = is_stdin ? NULL : fl_strdup(path);
    in->ibuf = fl_malloc(IN_BLOCK);
    if (!in->name || (!is_stdin && !in->path) || !in->ibuf) {
        fl__input_close(in);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    if (is_stdin) {
        in->fd = 0;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno;
            fl_error_sys(err, FL_EIO, e, "%s: cannot open: %s", in->name, strerror(e));
            fl_error_where(err, in->name, 0, 0);
            fl__input_close(in);
            return FL_EIO;
        }
        in->own_fd = true;
        struct stat st;
        if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            fl_error_set(err, FL_EIO, "%s: is a directory", in->name);
            fl__input_close(in);
            return FL_EIO;
        }
    }
    /* Gzip magic? */
    int rc;
    while (in->ilen < 2 && !in->ieof)
        if ((rc = fill_raw(in, err)) < 0) {
            fl__input_close(in);
            return rc;
        }
    if (in->ilen >= 2 && in->ibuf[0] == 0x1f && in->ibuf[1] == 0x8b) {
        in->gzip = true;
        const char *env = getenv("FLOWSIFT_INFLATE");
        if (env && strcmp(env, "zlib") == 0) {
            in->mode = IN_ZLIB;
            in->zs = fl_calloc(1, sizeof *in->zs);
            if (!in->zs || inflateInit2(in->zs, 15 + 16) != Z_OK) {
                fl_free(in->zs);
                in->zs = NULL;
                fl__input_close(in);
                return fl_error_set(err, FL_ENOMEM, "out of memory (zlib)");
            }
        } else {
            in->mode = IN_ISAL;
            in->isal = fl_malloc(sizeof *in->isal);
            if (!in->isal) {
                fl__input_close(in);
                return fl_error_set(err, FL_ENOMEM, "out of memory");
            }
            isal_inflate_init(in->isal);
            in->isal->crc_flag = ISAL_GZIP;
        }
        in->member_open = true;
        struct stat st;
        const char *thr = getenv("FLOWSIFT_INFLATE_THREAD");
        if (in->path && fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_size >= (off_t)INF_THREAD_MIN && !(thr && strcmp(thr, "0") == 0))
            in->inf_wanted = true;
    }
    *out = in;
    return FL_OK;
}

void fl__input_close(struct fl__input *in)
{
    if (!in)
        return;
    inflater_stop(in);
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    if (in->zs) {
        inflateEnd(in->zs);
        fl_free(in->zs);
    }
    fl_free(in->isal);
    fl_free(in->ibuf);
    fl_free(in->peek);
    fl_free(in->name);
    fl_free(in->path);
    fl_free(in);
}

int fl__input_peek(struct fl__input *in, size_t want, const char **p_out,
                   size_t *n_out, struct fl_error *err)
{
    *p_out = NULL;
    *n_out = 0;
    if (in->pos != 0 || in->peek_pos != 0)
        return fl_error_set(err, FL_EINTERNAL, "peek after read");
    if (!in->peek) {
        in->peek = fl_malloc(want ? want : 1);
        if (!in->peek)
            return fl_error_set(err, FL_ENOMEM, "out of memory");
        while (in->npeek < want && !in->done) {
            size_t got;
            FL_TRY(produce(in, in->peek + in->npeek, want - in->npeek, &got, err));
            in->npeek += got;
        }
        in->bytes_out += in->npeek;
    }
    *p_out = in->peek;
    *n_out = in->npeek;
    return FL_OK;
}

int fl__input_read(struct fl__input *in, char *buf, size_t cap, size_t *got,
                   struct fl_error *err)
{
    *got = 0;
    if (in->peek_pos < in->npeek) {
        size_t k = FL_MIN(cap, in->npeek - in->peek_pos);
        memcpy(buf, in->peek + in->peek_pos, k);
        in->peek_pos += k;
        in->pos += k;
        *got = k;
        return FL_OK;
    }
    size_t k = 0;
    int rc = produce(in, buf, cap, &k, err);
    in->pos += k;
    in->bytes_out += k;
    *got = k;
    return rc;
}

int fl__input_skip(struct fl__input *in, uint64_t n, struct fl_error *err)
{
    char tmp[16384];
    while (n > 0) {
        size_t got;
        FL_TRY(fl__input_read(in, tmp, (size_t)FL_MIN(n, sizeof tmp), &got, err));
        if (got == 0)
            break;
        n -= got;
    }
    return FL_OK;
}

int fl__input_read_all(struct fl__input *in, size_t limit, char **buf_out,
                       size_t *n_out, struct fl_error *err)
{
    *buf_out = NULL;
    *n_out = 0;
    size_t cap = 1 << 16, n = 0;
    char *b = fl_malloc(cap);
    if (!b)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap >= limit) {
                fl_free(b);
                return fl_error_set(err, FL_ELIMIT, "%s: object larger than %zu bytes",
                                    in->name, limit);
            }
            size_t nc = FL_MIN(cap * 2, limit);
            char *nb = fl_realloc(b, nc);
            if (!nb) {
                fl_free(b);
                return fl_error_set(err, FL_ENOMEM, "out of memory");
            }
            b = nb;
            cap = nc;
        }
        size_t got;
        int rc = fl__input_read(in, b + n, cap - n, &got, err);
        if (rc < 0) {
            fl_free(b);
            return rc;
        }
        if (got == 0)
            break;
        n += got;
    }
    *buf_out = b;
    *n_out = n;
    return FL_OK;
}
