/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_enrich.h - filling the enrichment columns (FL_ENR in fl_fields.def) of
 * record batches: address scope, country, ASN and AS org (MMDB through
 * libmaxminddb, or ASN range CSV files), flow type, the asset map's
 * name/tier/env, threat-intel list names, service names, cloud service
 * ranges, and the flow direction where the input has none.  The decision
 * orders are documented in docs/internals/enrich.md.
 *
 * Thread-safety: an enricher belongs to one thread (it caches lookups);
 * open one per thread over the same config.
 */
#ifndef FL_ENRICH_H
#define FL_ENRICH_H

#include "fl_config.h"
#include "fl_record.h"

typedef struct fl_enricher fl_enricher;

/* ---- address scope (IANA special-purpose registries) ------------------- */
enum fl_scope {
    FL_SCOPE_PUBLIC = 0,
    FL_SCOPE_PRIVATE,    /* RFC 1918, ULA fc00::/7 */
    FL_SCOPE_CGNAT,      /* 100.64.0.0/10 */
    FL_SCOPE_LOOPBACK,   /* 127/8, ::1 */
    FL_SCOPE_LINK_LOCAL, /* 169.254/16, fe80::/10 */
    FL_SCOPE_MULTICAST,  /* 224/4, ff00::/8 */
    FL_SCOPE_RESERVED,   /* documentation, benchmarking, 0/8, 240/4 ... */
    FL_SCOPE__COUNT
};
/* Scope of an address (pure, thread-safe). */
enum fl_scope fl_ip_scope(const struct fl_ip *ip);
/* "public", "private", "cgnat", "loopback", "link_local", "multicast",
 * "reserved". */
const char *fl_scope_name(enum fl_scope s);

/* Well-known service name of a port and IANA protocol number ("https" for
 * 443/6), or NULL.  Pure, thread-safe. */
const char *fl_service_name(int64_t protocol, int64_t port);

/* ---- the enricher ------------------------------------------------------- */
/* Build the lookup structures from the config (geo DBs, asset map, intel
 * lists, cloud ranges).  A missing default geo database is one warning on
 * stderr, not an error; an unreadable configured file is an error.  Malformed
 * intel lines are counted (fl_enricher_intel_stats) and warned about once
 * per list.  cfg must outlive the enricher.  Costs ~1 s of CPU with the
 * default geo databases (they are flattened into range maps here, so that
 * no record ever walks a tree). */
int fl_enricher_open(fl_enricher **out, const fl_config *cfg, struct fl_error *err);
/* Fill the enrichment columns of every row of b (and flow_direction +
 * direction_source where the row has no direction). */
int fl_enrich_batch(fl_enricher *e, struct fl_batch *b, struct fl_error *err);
void fl_enricher_close(fl_enricher *e);

/* Everything known about one address (for `flowsift enrich`).  Strings are
 * owned by the enricher, valid until the next fl_enrich_* call on e, and
 * NULL when unknown. */
#define FL_ENRICH_MAX_THREATS 16
struct fl_enrich_info {
    enum fl_scope scope;
    bool internal;               /* inside internal_cidrs or a VPC CIDR */
    const char *country;         /* ISO alpha-2 (public addresses only) */
    int64_t asn;                 /* 0 = unknown */
    const char *as_org;
    const char *tag, *tier, *env; /* asset map (longest prefix) */
    char asset_cidr[64];         /* the asset-map CIDR that matched, or "" */
    const char *vpc;             /* configured VPC containing it */
    const char *cloud_service;   /* provider service range (AWS/Azure) */
    const char *cloud_provider;  /* "aws" or "azure" */
    const char *threats[FL_ENRICH_MAX_THREATS]; /* every matching list */
    size_t n_threats;
    bool known_scanner;          /* policy.known_scanners */
};
int fl_enrich_lookup(fl_enricher *e, const struct fl_ip *ip, struct fl_enrich_info *out);

/* What was loaded, for messages and `flowsift enrich --sources`. */
struct fl_intel_load_stats {
    const char *name;     /* list name */
    const char *path;
    uint64_t entries;     /* addresses/CIDRs accepted */
    uint64_t malformed;   /* lines rejected */
    uint64_t first_bad_line; /* 1-based line of the first rejected one, 0 = none */
    char first_bad[96];   /* its text (sanitized) */
};
size_t fl_enricher_intel_stats(const fl_enricher *e, const struct fl_intel_load_stats **out);

struct fl_enrich_sources {
    bool country;          /* a country DB is loaded */
    bool asn;              /* an ASN source is loaded */
    uint64_t asn_ranges;   /* ranges loaded from ASN CSV files */
    uint64_t asset_ranges; /* flattened asset-map ranges */
    uint64_t cloud_ranges; /* flattened provider ranges */
    uint64_t intel_entries;
    uint64_t lookups;      /* address resolutions asked for so far */
    uint64_t misses;       /* of which not in the cache (full lookups) */
    uint64_t memo_hits;    /* addresses answered from their text alone (no
                            * parse, no cache lookup): not in `lookups` */
};
void fl_enricher_sources(const fl_enricher *e, struct fl_enrich_sources *out);

#endif
