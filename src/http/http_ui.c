/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_ui.c - API endpoints the dashboard page needs beyond the panel
 * queries of http.c: GET /api/findings/<id> (one finding with its evidence
 * rows, ATT&CK ids and entity, for the findings panel's evidence view).
 * http.c offers every /api request here first (fl__http_ui); anything not
 * handled here falls through to http.c's own routing.  Replies are built in
 * a capped buffer and every string is JSON-escaped; the evidence (a JSON
 * array written by the detector) is sent as an escaped JSON *string* that
 * the page parses, so nothing stored is ever spliced raw into a reply.
 */
#include <stdio.h>
#include <string.h>

#include "fl/fl_common.h"
#include "fl/fl_detect.h"
#include "fl/fl_record.h"
#include "fl/fl_state.h"
#include "common/common_int.h"
#include "http_static.h"

#define UI_REPLY_CAP (4u << 20) /* largest reply of these endpoints */

/* A JSON string literal of s (NULL -> null). */
static void u_json(struct fl_buf *b, const char *s, size_t n)
{
    if (!s) {
        fl_buf_puts(b, "null");
        return;
    }
    fl_json_append_str(b, s, n);
}

static void u_i64(struct fl_buf *b, const char *key, int64_t v)
{
    char tmp[64];
    int k = snprintf(tmp, sizeof tmp, ",\"%s\":%lld", key, (long long)v);
    fl_buf_add(b, tmp, (size_t)k);
}

static void u_kv(struct fl_buf *b, const char *key, const char *s, size_t n)
{
    fl_buf_add(b, ",\"", 2);
    fl_buf_puts(b, key);
    fl_buf_add(b, "\":", 2);
    u_json(b, s, n);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *p, size_t n)
{
    struct MHD_Response *r = fl__mhd.create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    fl__mhd.add_response_header(r, "Content-Type", "application/json");
    fl__mhd.add_response_header(r, "X-Content-Type-Options", "nosniff");
    fl__mhd.add_response_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    fl__mhd.add_response_header(r, "Referrer-Policy", "no-referrer");
    fl__mhd.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = fl__mhd.queue_response(c, status, r);
    fl__mhd.destroy_response(r);
    return rc;
}

static enum MHD_Result reply_err(struct MHD_Connection *c, unsigned status, const char *msg)
{
    struct fl_buf b;
    fl_buf_init(&b, UI_REPLY_CAP);
    fl_buf_puts(&b, "{\"error\":");
    u_json(&b, msg, strlen(msg));
    fl_buf_puts(&b, "}\n");
    enum MHD_Result rc = b.err ? MHD_NO : reply(c, status, b.p, b.len);
    fl_free(b.p);
    return rc;
}

struct one {
    struct fl_buf *b;
    int found;
};

static int finding_detail(void *ctx, const struct fl_finding *f)
{
    struct one *o = ctx;
    struct fl_buf *b = o->b;
    o->found = 1;
    char tmp[64];
    int k = snprintf(tmp, sizeof tmp, "{\"id\":%lld", (long long)f->id);
    fl_buf_add(b, tmp, (size_t)k);
    u_kv(b, "rule", f->rule, strnlen(f->rule, sizeof f->rule));
    u_kv(b, "title", f->title, strnlen(f->title, sizeof f->title));
    u_kv(b, "entity", f->entity, strnlen(f->entity, sizeof f->entity));
    u_kv(b, "status", f->status, strnlen(f->status, sizeof f->status));
    u_kv(b, "status_reason", f->status_reason, f->status_reason ? strlen(f->status_reason) : 0);
    u_kv(b, "attack", f->attack, f->attack ? strlen(f->attack) : 0);
    u_kv(b, "evidence", f->evidence, f->evidence ? strlen(f->evidence) : 0);
    u_i64(b, "severity", f->severity);
    u_i64(b, "first_seen", f->first_seen);
    u_i64(b, "last_seen", f->last_seen);
    u_i64(b, "count", f->count);
    u_i64(b, "buckets", f->buckets);
    fl_buf_puts(b, "}\n");
    return 1;
}

int fl__http_ui(struct MHD_Connection *c, const char *home, const char *url, const char *method,
                enum MHD_Result *rc_out)
{
    static const char pre[] = "/api/findings/";
    if (strncmp(url, pre, sizeof pre - 1) != 0)
        return 0;
    const char *p = url + sizeof pre - 1;
    int64_t id = 0;
    int nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 18) {
        id = id * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0 || *p != 0 || strcmp(method, "GET") != 0)
        return 0; /* suppress/resolve and errors: http.c */
    if (id <= 0) {
        *rc_out = reply_err(c, 404, "no such finding");
        return 1;
    }
    fl_state *st = NULL;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    if (fl_detect_state_open(&st, home && *home ? home : "./flowsift-data", &err) != FL_OK) {
        *rc_out = reply_err(c, 500, err.msg);
        return 1;
    }
    struct fl_findings_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.id = id;
    flt.limit = 1;
    struct fl_buf b;
    fl_buf_init(&b, UI_REPLY_CAP);
    struct one o = {&b, 0};
    int rc = fl_findings_list(st, &flt, finding_detail, &o, &err);
    fl_state_close(st);
    if (rc != FL_OK)
        *rc_out = reply_err(c, 500, err.msg);
    else if (!o.found)
        *rc_out = reply_err(c, 404, "no such finding");
    else if (b.err)
        *rc_out = reply_err(c, 413, "finding too large");
    else
        *rc_out = reply(c, 200, b.p, b.len);
    fl_free(b.p);
    return 1;
}
