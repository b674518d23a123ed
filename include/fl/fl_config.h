/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_config.h - flowsift.yaml: the user's configuration (asset map,
 * internal/VPC CIDRs, geo databases, intel lists, provider service ranges,
 * policy, retention, storage options).  Loaded once, validated completely
 * (errors carry file:line:column) before any data is touched; read-only
 * afterwards.  docs/config.md is the reference of every key.
 *
 * All pointers returned by the accessors below are owned by the config and
 * stay valid until fl_config_free().  Paths in the config are resolved
 * relative to the folder of the config file and returned absolute or as
 * given when already absolute.
 *
 * Thread-safety: a loaded config is immutable and may be shared by threads.
 */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include "fl_common.h"

struct fl_config_storage {
    bool partition_by_hour;   /* add hour=HH folders (default false) */
    char codec[16];           /* "zstd" (default), "snappy", "gzip", "none" */
    uint64_t row_group_rows;  /* default 1 << 20 */
    int retention_days;       /* prune horizon; 0 = keep forever */
};

typedef struct fl_config fl_config;

/* Name of the config file inside $FLOWSIFT_HOME. */
#define FL_CONFIG_FILE "flowsift.yaml"

/* Caps: a config larger than this is refused (FL_ELIMIT). */
#define FL_CONFIG_MAX_BYTES (64u << 20)

/*
 * Load $home/flowsift.yaml (or `path` if not NULL).  A missing file under
 * $home gives the defaults (a missing explicit `path` is an error).  Errors
 * (bad YAML, unknown key, bad CIDR, bad value, unreadable file named in the
 * config) return FL_EPARSE/FL_EIO with "file:line:col: message" in err->msg
 * and err->source/err->line set.
 * @return FL_OK and *out set, or < 0 and *out = NULL.
 */
int fl_config_load(fl_config **out, const char *home, const char *path,
                   struct fl_error *err);
/* Parse a config from memory; `name` is used in messages and `base_dir`
 * resolves relative paths (NULL = current directory). */
int fl_config_parse(fl_config **out, const char *text, size_t n,
                    const char *name, const char *base_dir,
                    struct fl_error *err);
/* The defaults (what a missing file gives). */
int fl_config_defaults(fl_config **out, struct fl_error *err);
void fl_config_free(fl_config *c);

/* The file the config came from, or NULL for the built-in defaults. */
const char *fl_config_path(const fl_config *c);

const struct fl_config_storage *fl_config_storage(const fl_config *c);

/* ---- address space --------------------------------------------------- */
/* Internal CIDRs ("ours"): `internal_cidrs:`, default RFC 1918 + ULA +
 * CGNAT.  VPC CIDRs count as internal too (see fl_enrich.h). */
size_t fl_config_internal(const fl_config *c, const struct fl_cidr **out);

struct fl_config_vpc {
    const char *name;           /* VPC id or name (matches vpc_id) */
    const struct fl_cidr *cidrs;
    size_t n_cidrs;
};
size_t fl_config_vpcs(const fl_config *c, const struct fl_config_vpc **out);

/* One asset-map entry: CIDR -> name/tier/env (NULL when not given). */
struct fl_config_asset {
    struct fl_cidr cidr;
    const char *name;
    const char *tier;
    const char *env;
    uint32_t line; /* line in the config file (for messages) */
};
size_t fl_config_assets(const fl_config *c, const struct fl_config_asset **out);

/* Interface addresses known to the user (interface_id -> address), used to
 * infer flow direction. */
struct fl_config_iface {
    const char *interface_id;
    struct fl_ip ip;
};
size_t fl_config_ifaces(const fl_config *c, const struct fl_config_iface **out);

/* ---- enrichment sources ---------------------------------------------- */
#define FL_CONFIG_MAX_FILES 8
struct fl_config_geo {
    bool enabled;            /* geo: {enabled: false} turns geo off */
    bool country_default;    /* country paths are the built-in defaults
                                (node_modules): missing = one warning */
    bool asn_default;        /* same for the ASN sources */
    const char *country_mmdb[FL_CONFIG_MAX_FILES]; /* MMDB with country */
    size_t n_country_mmdb;
    const char *asn_mmdb[FL_CONFIG_MAX_FILES];     /* MMDB with ASN + org */
    size_t n_asn_mmdb;
    const char *asn_csv[FL_CONFIG_MAX_FILES];      /* start,end,asn,org CSV */
    size_t n_asn_csv;
};
const struct fl_config_geo *fl_config_geo(const fl_config *c);

/* A named threat-intel list (plain IP/CIDR per line, FireHOL netset,
 * Spamhaus DROP).  Order = config order = match precedence. */
struct fl_config_intel {
    const char *name;
    const char *path;
};
size_t fl_config_intel(const fl_config *c, const struct fl_config_intel **out);

/* Provider service-range files. */
enum fl_cloud_ranges_kind { FL_RANGES_AWS = 1, FL_RANGES_AZURE = 2 };
struct fl_config_ranges {
    enum fl_cloud_ranges_kind kind;
    const char *path;
};
size_t fl_config_cloud_ranges(const fl_config *c,
                              const struct fl_config_ranges **out);

/* ---- policy (read by detections) --------------------------------------- */
struct fl_config_tier_pair {
    const char *src; /* tier name, or "*" */
    const char *dst;
};
struct fl_config_policy {
    const char (*approved_countries)[3]; /* ISO alpha-2, upper case */
    size_t n_approved_countries;
    const struct fl_cidr *approved_egress_cidrs;
    size_t n_approved_egress_cidrs;
    const uint16_t *admin_ports;         /* default 22, 3389, 2375, 6443 */
    size_t n_admin_ports;
    const struct fl_config_tier_pair *allowed_tier_pairs;
    size_t n_allowed_tier_pairs;
    const struct fl_cidr *known_scanners;
    size_t n_known_scanners;
};
const struct fl_config_policy *fl_config_policy(const fl_config *c);

/* Is `cc` (2 letters, any case) approved?  True when no list is configured. */
bool fl_config_country_approved(const fl_config *c, const char *cc);

#endif
