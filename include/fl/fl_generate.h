/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_generate.h - the generate module: realistic, deterministic flow logs in
 * every input format flowsift reads (AWS VPC text v2/v5/custom, AWS Transit
 * Gateway, Azure NSG v2 and VNet v4 blobs, GCP VPC Flow Logs LogEntry JSON),
 * written as one stream or in the clouds' own object layouts (S3 keys, Azure
 * blob paths, a GCS export).  It feeds the benchmarks, the demo and the
 * oracle tests of the other modules.
 *
 * Determinism: the output is a pure function of the options (seed included):
 * the same options give byte-identical files.  The generator uses its own
 * PRNG (splitmix64-seeded xoshiro256**), never rand().
 *
 * The traffic model (gen.c) is shared by every format: accounts (Zipf),
 * regions, VPCs with 10.x/16 CIDRs, ~300 interfaces per account, 20 000
 * internal hosts and 200 000 public peers (Zipf talkers), ~85% of
 * conversations initiated internally, heavy-tailed packets/bytes, weighted
 * service ports, ~96% ACCEPT, rejects mostly inbound from the internet,
 * ~0.5% NODATA/SKIPDATA (AWS), a small IPv6 share.  On request it adds
 * planted incidents (`incidents`, AWS) and benign look-alikes (`benign`:
 * backups, batch peaks, mirrors, a vulnerability scanner, bastion, health
 * pollers, NTP/DNS) listed in the truth file.  See docs/generate.md.
 *
 * Thread-safety: fl_generate() keeps all state in its own context; calls
 * in different threads are independent.
 */
#ifndef FL_GENERATE_H
#define FL_GENERATE_H

#include <stdbool.h>
#include <stdint.h>

#include "fl_errors.h"

enum fl_gen_format {
    FL_GEN_AWS_V2 = 0,  /* default format (14 fields), header line */
    FL_GEN_AWS_V5,      /* the 29 v2..v5 fields in table order */
    FL_GEN_AWS_CUSTOM,  /* fields given by fl_gen_opts.aws_format */
    FL_GEN_AWS_TGW,     /* Transit Gateway default (36 fields, version 6) */
    FL_GEN_AZURE_NSG,   /* NSG flow log version 2 blobs */
    FL_GEN_AZURE_VNET,  /* VNet flow log version 4 blobs */
    FL_GEN_GCP,         /* VPC Flow Logs LogEntry JSON lines */
};

enum fl_gen_layout {
    FL_GEN_STREAM = 0,  /* one file (or stdout) */
    FL_GEN_S3,          /* AWSLogs/{acct}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/... */
    FL_GEN_S3_HIVE,     /* AWSLogs/aws-account-id=/aws-service=/aws-region=/year=/... */
    FL_GEN_AZURE,       /* insights-logs-.../resourceId=|flowLogResourceID=/.../PT1H.json */
    FL_GEN_GCS,         /* {project}/compute.googleapis.com/vpc_flows/YYYY/MM/DD/... */
};

struct fl_gen_opts {
    uint64_t seed;            /* PRNG seed (default 1) */
    uint64_t records;         /* AWS/GCP: records; Azure: flow tuples (approx.) */
    int64_t day;              /* first day, days since 1970-01-01 */
    unsigned days;            /* number of days (default 1) */
    unsigned accounts;        /* accounts / subscriptions / projects (default 4) */
    unsigned regions;         /* regions per account, at most (default 2) */
    enum fl_gen_format format;
    const char *aws_format;   /* FL_GEN_AWS_CUSTOM: "${field} ${field} ..." */
    enum fl_gen_layout layout;
    const char *out;          /* file or folder; NULL or "-" = stdout (stream) */
    bool gzip;                /* gzip the AWS text output (zlib) */
    int gzip_level;           /* 1..9 (default 6) */
    uint64_t gzip_member_bytes; /* >0: start a new gzip member every N bytes */
    bool hourly;              /* S3 layouts: hour folder (per-hour partitions) */
    bool no_header;           /* AWS text: omit the header line */
    bool pretty;              /* Azure: pretty-printed JSON (default compact) */
    unsigned grow_steps;      /* Azure: also write PT1H.json.stepNN snapshots */
    const char *truth;        /* write the totals as JSON to this file */
    const char *incidents;    /* AWS: planted incidents "scan,sweep,bruteforce,
                                 admin,exfil,beacon,flood" or "all", added on
                                 top of `records` and listed in the truth */
    const char *benign;       /* benign look-alikes "backup,batch,mirror,scanner,
                                 bastion,health,ntp-dns", "all" or "none"
                                 (NULL = none): added on top of `records`
                                 (AWS VPC formats and GCP) and listed in the
                                 truth with the policy that approves them */
};

/* Fill opts with the defaults (seed 1, 100 000 records, 2026-11-20, 1 day,
 * 4 accounts, 2 regions, aws-v2, stream to stdout, gzip level 6). */
void fl_gen_opts_init(struct fl_gen_opts *o);

/* Totals of what was generated (the "truth" other tests check against). */
struct fl_gen_totals {
    uint64_t records;         /* AWS/GCP lines (without headers) or Azure tuples */
    uint64_t objects;         /* files written */
    uint64_t bytes_out;       /* bytes written (after gzip) */
    uint64_t text_bytes;      /* bytes before gzip */
    uint64_t nodata, skipdata;
    uint64_t accept, reject;
    uint64_t packets, bytes;  /* sums over records with counters */
};

/*
 * Generate according to opts.  Creates folders as needed under opts->out for
 * the non-stream layouts; an existing file of the same name is replaced.
 * @return FL_OK, FL_EINVAL (bad option combination, unknown --aws-format
 * field), FL_EIO (cannot write), FL_ENOMEM.  totals_out (optional) is filled
 * on success.
 */
int fl_generate(const struct fl_gen_opts *opts, struct fl_gen_totals *totals_out,
                struct fl_error *err);

/* Parse names used by the CLI. FL_OK or FL_EINVAL. */
int fl_gen_format_parse(const char *s, enum fl_gen_format *out);
int fl_gen_layout_parse(const char *s, enum fl_gen_layout *out);

#endif
