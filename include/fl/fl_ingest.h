/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_ingest.h - reading flow logs: inputs (files, folders, stdin; plain or
 * gzip), object layouts (S3 keys, Azure blob paths), format sniffing, and the
 * per-format parsers that turn bytes into record batches.
 *
 * Usage:
 *   fl_reader *r; fl_reader_open(&r, "x.log.gz", &opts, &err);
 *   while ((rc = fl_reader_next(r, batch)) > 0) { use batch; reset it; }
 *   stats = fl_reader_stats(r); fl_reader_close(r);
 *
 * A malformed record never fails fl_reader_next: it is counted by reason in
 * struct fl_ingest_stats, sampled (file:line), and handed to opts.on_reject.
 * Whole-object failures (unreadable, truncated gzip, binary) return < 0 with
 * the message in the struct fl_error.
 *
 * Thread-safety: a reader belongs to one thread; different readers may run
 * in parallel.
 */
#ifndef FL_INGEST_H
#define FL_INGEST_H

#include "fl_record.h"

/* Reasons a record is rejected.  FL_REJECT(ID, "name", "description") */
#define FL_REJECT_REASONS(X)                                                   \
    X(FIELD_COUNT, "field_count", "wrong number of fields for the format")     \
    X(BAD_IP, "bad_ip", "not an IPv4/IPv6 address")                            \
    X(BAD_NUMBER, "bad_number", "not a number")                                \
    X(NUMBER_RANGE, "number_range", "number out of range for the field")      \
    X(BAD_ACTION, "bad_action", "action is not ACCEPT, REJECT or -")           \
    X(BAD_VALUE, "bad_value", "value not allowed for the field")               \
    X(LINE_TOO_LONG, "line_too_long", "line longer than the line cap")         \
    X(NO_FORMAT, "no_format", "no header line and no --aws-format")            \
    X(BAD_JSON, "bad_json", "malformed JSON")                                  \
    X(BAD_TUPLE, "bad_tuple", "malformed flow tuple")                          \
    X(BAD_TIME, "bad_time", "malformed timestamp")                             \
    X(BAD_ENCODING, "bad_encoding", "invalid UTF-8 or control bytes")          \
    X(TOO_DEEP, "too_deep", "JSON nested too deeply")                          \
    X(TOO_BIG, "too_big", "value larger than its cap")

enum fl_reject {
#define FL_X(id, name, desc) FL_REJ_##id,
    FL_REJECT_REASONS(FL_X)
#undef FL_X
    FL_REJ__COUNT
};
const char *fl_reject_name(enum fl_reject r);

#define FL_SAMPLES_MAX 10

struct fl_reject_sample {
    uint64_t line;           /* 1-based line (or record number for JSON) */
    enum fl_reject reason;
    char text[160];          /* start of the offending line, sanitized */
};

struct fl_ingest_stats {
    uint64_t bytes_in;        /* bytes read from the file (compressed) */
    uint64_t bytes;           /* bytes after decompression */
    uint64_t lines;           /* text lines seen (incl. headers, blanks) */
    uint64_t headers;         /* header lines */
    uint64_t blank;           /* blank lines */
    uint64_t records_read;    /* = records_parsed + records_rejected */
    uint64_t records_parsed;  /* rows produced */
    uint64_t records_rejected;
    uint64_t rejected[FL_REJ__COUNT];
    uint64_t nodata, skipdata;      /* AWS health rows (parsed, kept) */
    uint64_t flows, updates, denies; /* Azure: B tuples, C/E tuples, D tuples */
    uint64_t skipped_messages;       /* CloudWatch CONTROL_MESSAGEs etc. */
    struct fl_reject_sample samples[FL_SAMPLES_MAX];
    unsigned n_samples;
};

/* Metadata of an input object from its name/path (S3 key, Azure blob). */
struct fl_objmeta {
    char cloud[8];        /* "aws", "azure", "gcp" or "" */
    char account[80];     /* AWS account, Azure subscription, GCP project */
    char region[40];
    char service[32];     /* "vpcflowlogs", "networksecuritygroupflowevent" */
    char resource_group[96];
    char resource[256];   /* NSG name / flow-log resource id */
    char mac[24];
    int year, month, day, hour; /* -1 when unknown */
};
/* Parse an object's path; fields not found stay empty / -1.  Returns true
 * if a known layout matched. */
bool fl_objmeta_from_path(const char *path, struct fl_objmeta *out);

struct fl_read_opts {
    const char *format;       /* force a format by name, or NULL = sniff */
    const char *aws_format;   /* '${version} ${srcaddr} ...' or a name
                                 ("default", "tgw-default") for header-less
                                 AWS text, or NULL */
    size_t line_cap;          /* longest accepted line (0 = 1 MiB) */
    bool strict;              /* first bad record -> FL_EPARSE */
    const char *display_name; /* name used in messages and source_object
                                 (default: the path) */
    /* Called for every rejected record with its whole text (may be long). */
    void (*on_reject)(void *ctx, const char *source, uint64_t line,
                      enum fl_reject reason, const char *text, size_t n);
    void *reject_ctx;
    uint64_t start_offset;    /* resume: skip decompressed bytes before it
                                 (growing Azure blobs); 0 = from the start */
};

typedef struct fl_reader fl_reader;

/* Open an input ("-" = stdin).  Sniffs compression and format. */
int fl_reader_open(fl_reader **out, const char *path,
                   const struct fl_read_opts *opts, struct fl_error *err);
/*
 * Append parsed rows to b until it is full or the input ends.
 * @return rows appended (> 0), 0 at the end of the input, < 0 on an object
 * error (err filled; the rows already returned stay valid).
 */
int fl_reader_next(fl_reader *r, struct fl_batch *b, struct fl_error *err);
const struct fl_ingest_stats *fl_reader_stats(const fl_reader *r);
/* Name of the format in use ("aws-vpc", ...), valid until close. */
const char *fl_reader_format(const fl_reader *r);
/* Byte offset (decompressed) up to which the input was consumed completely:
 * for growing blobs, the resume point for the next run. */
uint64_t fl_reader_resume_offset(const fl_reader *r);
void fl_reader_close(fl_reader *r);

/* Add b into a (per-object stats into totals). */
void fl_ingest_stats_add(struct fl_ingest_stats *a, const struct fl_ingest_stats *b);

/*
 * Expand paths (files, folders walked recursively in sorted order, "-")
 * into a list of inputs, calling fn for each.  Hidden files (".x") and
 * our own temp files are skipped.  A path that cannot be read is reported
 * through fn with a non-zero rc and the message in err.
 */
typedef int (*fl_walk_fn)(void *ctx, const char *path, int rc,
                          const struct fl_error *err);
int fl_walk(const char *const *paths, int n_paths, fl_walk_fn fn, void *ctx);

/* Names of the registered formats, NULL-terminated. */
const char *const *fl_format_names(void);

#endif
