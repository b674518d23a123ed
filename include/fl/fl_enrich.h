/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_enrich.h - filling the enrichment columns (FL_ENR in fl_fields.def) of
 * record batches: address scope, country, ASN and AS org (MMDB through
 * libmaxminddb), flow type, the asset map's tags, threat-intel list names,
 * service names, inferred flow direction.
 *
 * Thread-safety: an enricher belongs to one thread (it caches per-batch
 * lookups); open one per thread over the same config.
 */
#ifndef FL_ENRICH_H
#define FL_ENRICH_H

#include "fl_config.h"
#include "fl_record.h"

typedef struct fl_enricher fl_enricher;

/* Build the lookup structures from the config (geo DBs, asset map, intel
 * lists).  A missing geo database is a warning, not an error. */
int fl_enricher_open(fl_enricher **out, const fl_config *cfg, struct fl_error *err);
/* Fill the enrichment columns of every row of b. */
int fl_enrich_batch(fl_enricher *e, struct fl_batch *b, struct fl_error *err);
void fl_enricher_close(fl_enricher *e);

#endif
