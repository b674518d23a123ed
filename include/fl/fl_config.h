/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_config.h - flowsift.yaml: the user's configuration (asset map,
 * internal/VPC CIDRs, geo databases, intel lists, provider service ranges,
 * policy, retention, storage options).  Loaded once, validated completely
 * (errors carry file:line) before any data is touched; read-only afterwards.
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

/*
 * Load $home/flowsift.yaml (or `path` if not NULL).  A missing file gives the
 * defaults.  Errors (bad YAML, unknown key, bad CIDR, unreadable file named
 * in the config) return FL_EPARSE/FL_EIO with file:line in err.
 */
int fl_config_load(fl_config **out, const char *home, const char *path,
                   struct fl_error *err);
void fl_config_free(fl_config *c);
const struct fl_config_storage *fl_config_storage(const fl_config *c);

#endif
