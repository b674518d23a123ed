/* SPDX-License-Identifier: Apache-2.0 */
/*
 * azure_json.h - the Azure flow-log engine shared by the "azure-nsg" and
 * "azure-vnet" formats (fmt_azure_nsg.c, fmt_azure_vnet.c): it frames the
 * blob into records (json_records.h), parses each record with yajl into a
 * small per-record structure (context strings, rule/MAC/ACL groups, tuple
 * strings), then turns every flow tuple into one normalized row.  The
 * record kind (NSG v1/v2 `properties.flows` or VNet `flowRecords.flows`) is
 * detected per record, so either format name reads either kind.
 *
 * Semantics (also in docs/formats/azure.md): T/U -> 6/17, I/O ->
 * ingress/egress, NSG A/D and VNet state D -> ACCEPT/REJECT, B tuples and
 * B/D tuples whose counters are empty or 0 get NULL counters, timestamps in
 * seconds or milliseconds by magnitude, MAC upper-cased without separators,
 * subscription lower-cased.
 *
 * Thread-safety: one engine per reader.
 */
#ifndef FL_AZURE_JSON_H
#define FL_AZURE_JSON_H

#include "json_records.h"

struct fl__az;

/* Create an engine reading through fn/ctx; start_offset resumes a grown
 * blob (see fl_read_opts).  NULL on OOM. */
struct fl__az *fl__az_new(fl__jr_read_fn fn, void *ctx, uint64_t start_offset);
/* Append rows for the stream to b: > 0 rows, 0 at the end, < 0 error. */
int fl__az_next(struct fl__az *a, struct fl__pctx *c, struct fl_batch *b,
                struct fl_error *err);
/* Stream offset just past the last record whose rows were all returned. */
uint64_t fl__az_resume(const struct fl__az *a);
void fl__az_free(struct fl__az *a);

/* Content sniffing: 0..100 for an Azure blob; vnet selects which kind
 * scores higher (the other kind still scores, lower). */
int fl__az_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                 bool vnet);

/* ---- pieces exposed for unit tests -------------------------------------- */
/* Normalize a MAC: drop '-' and ':', upper-case; if the result is not 12
 * hex digits the input is copied unchanged (upper-cased).  Returns length
 * (out needs n + 1 bytes). */
size_t fl__az_mac_norm(const char *p, size_t n, char *out);
/* Length of rule without a trailing "_<GUID>" (8-4-4-4-12 hex digits). */
size_t fl__az_rule_name_len(const char *p, size_t n);
/* Unix seconds of an Azure tuple timestamp (seconds, ms, us or ns by
 * magnitude).  FL_OK or FL_EPARSE. */
int fl__az_ts(const char *p, size_t n, int64_t *sec_out);

#endif
