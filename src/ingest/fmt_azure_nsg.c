/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_azure_nsg.c - format "azure-nsg": Azure NSG flow logs, version 1
 * (8-field tuples) and version 2 (13 fields with flow state and counters),
 * as written to insights-logs-networksecuritygroupflowevent/.../PT1H.json
 * blobs (`{"records":[...]}`, compact or pretty-printed, possibly resumed
 * mid-document) or as one record per line.  The parsing engine is shared
 * with the VNet format (azure_json.c); this file is the vtable and the
 * sniffing preference.
 */
#include "azure_json.h"

struct nsg_state {
    struct fl__az *a;
};

static int nsg_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                     const struct fl_read_opts *opts)
{
    FL_UNUSED(opts);
    return fl__az_sniff(head, n, meta, false);
}

static int nsg_open(void *state, struct fl__pctx *c, struct fl_error *err)
{
    struct nsg_state *s = state;
    s->a = fl__az_new(fl__jr_read_input, c->in, c->opts ? c->opts->start_offset : 0);
    if (!s->a)
        return fl_error_set(err, FL_ENOMEM, "out of memory opening %s", c->source);
    return FL_OK;
}

static int nsg_next(void *state, struct fl__pctx *c, struct fl_batch *b,
                    struct fl_error *err)
{
    struct nsg_state *s = state;
    return fl__az_next(s->a, c, b, err);
}

static uint64_t nsg_resume(void *state)
{
    struct nsg_state *s = state;
    return s->a ? fl__az_resume(s->a) : 0;
}

static void nsg_close(void *state)
{
    struct nsg_state *s = state;
    fl__az_free(s->a);
    s->a = NULL;
}

const struct fl_format fl_fmt_azure_nsg = {
    .name = "azure-nsg",
    .doc = "Azure NSG flow logs v1/v2 (PT1H.json blobs or one record per line)",
    .sniff = nsg_sniff,
    .state_size = sizeof(struct nsg_state),
    .open = nsg_open,
    .next = nsg_next,
    .resume_offset = nsg_resume,
    .close = nsg_close,
};
