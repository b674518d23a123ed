/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_azure_vnet.c - format "azure-vnet": Azure VNet flow logs
 * (flowLogVersion 4: flowRecords.flows[aclID].flowGroups[rule].flowTuples,
 * 13-field tuples with millisecond timestamps, IANA protocol numbers, flow
 * state B/C/E/D where D means denied, and the encryption status), as
 * written to insights-logs-flowlogflowevent/flowLogResourceID=/.../PT1H.json
 * blobs or one record per line.  The engine is shared with the NSG format
 * (azure_json.c); this file is the vtable and the sniffing preference.
 */
#include "azure_json.h"

struct vnet_state {
    struct fl__az *a;
};

static int vnet_sniff(const char *head, size_t n, const struct fl_objmeta *meta,
                      const struct fl_read_opts *opts)
{
    FL_UNUSED(opts);
    return fl__az_sniff(head, n, meta, true);
}

static int vnet_open(void *state, struct fl__pctx *c, struct fl_error *err)
{
    struct vnet_state *s = state;
    s->a = fl__az_new(fl__jr_read_input, c->in, c->opts ? c->opts->start_offset : 0);
    if (!s->a)
        return fl_error_set(err, FL_ENOMEM, "out of memory opening %s", c->source);
    return FL_OK;
}

static int vnet_next(void *state, struct fl__pctx *c, struct fl_batch *b,
                     struct fl_error *err)
{
    struct vnet_state *s = state;
    return fl__az_next(s->a, c, b, err);
}

static uint64_t vnet_resume(void *state)
{
    struct vnet_state *s = state;
    return s->a ? fl__az_resume(s->a) : 0;
}

static void vnet_close(void *state)
{
    struct vnet_state *s = state;
    fl__az_free(s->a);
    s->a = NULL;
}

const struct fl_format fl_fmt_azure_vnet = {
    .name = "azure-vnet",
    .doc = "Azure VNet flow logs v4 (PT1H.json blobs or one record per line)",
    .sniff = vnet_sniff,
    .state_size = sizeof(struct vnet_state),
    .open = vnet_open,
    .next = vnet_next,
    .resume_offset = vnet_resume,
    .close = vnet_close,
};
