/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_flood.c - the flood detector: packets and bytes per second per host
 * (the rule's entity, e.g. srcaddr for outbound floods) per bucket, against
 * absolute floors (FastNetMon's per-host defaults: 20,000 pps, 1 Gbit/s)
 * and against the host's own history: when the host has history, the rate
 * must also be k x its mean rate over the previous `days`.
 */
#include "detect/detect_int.h"

int fl__det_flood(struct det_ctx *c)
{
    const struct fl_rule *r = c->rule;
    double min_pps = fl__det_param_num(r, "min_pps", 20000);
    double min_bps = fl__det_param_num(r, "min_bps", 1e9);
    double k = fl__det_param_num(r, "k", 10);
    int64_t days = (int64_t)fl__det_param_num(r, "days", 7);
    fl_query_result *res = NULL;
    FL_TRY(fl__det_query(c, NULL, c->from, c->to, &res));
    static const char *const vcols[] = {"packets", "bytes", "flows"};
    struct det_series s;
    int rc = fl__det_series_load(c, res, vcols, 3, &s);
    fl_query_result_free(res);
    FL_TRY(rc);
    struct fl_buf ev;
    fl_buf_init(&ev, DET_EVIDENCE_MAX);
    double w = (double)r->window_s;
    for (size_t g0 = 0; g0 < s.n && rc == FL_OK;) {
        size_t g1 = g0 + 1;
        while (g1 < s.n && strcmp(s.v[g1].entity, s.v[g0].entity) == 0)
            g1++;
        for (size_t i = g0; i < g1 && rc == FL_OK; i++) {
            struct det_point *p = &s.v[i];
            if (p->bucket < c->from || p->bucket >= c->to)
                continue;
            double pps = p->val[0] / w, bps = p->val[1] * 8 / w;
            if (pps < min_pps && bps < min_bps)
                continue;
            double mean, sd;
            int pts;
            fl__det_series_stats(&s, g0, g1, p->bucket, r->window_s, days * 86400, 0, &mean, &sd, &pts);
            double base_pps = mean / w;
            if (pts > 0 && k > 0 && pps < k * base_pps)
                continue;
            fl_buf_reset(&ev);
            fl_buf_printf(&ev,
                          "{\"bucket\":%lld,\"entity\":%s,\"pps\":%.6g,\"bps\":%.6g,\"packets\":%.17g,"
                          "\"bytes\":%.17g,\"flows\":%.17g,\"baseline_pps\":%.6g,\"points\":%d}",
                          (long long)p->bucket, p->entity_json, pps, bps, p->val[0], p->val[1],
                          p->val[2], base_pps, pts);
            rc = fl__det_hit_add(c->out, p->bucket, p->entity, p->entity_json, p->bucket,
                                 p->bucket + r->window_s - 1, 1, r->severity, fl_buf_cstr(&ev), NULL);
        }
        g0 = g1;
    }
    fl_buf_free(&ev);
    fl__det_series_free(&s);
    return rc;
}
