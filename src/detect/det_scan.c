/* SPDX-License-Identifier: Apache-2.0 */
/*
 * det_scan.c - the scan detector: vertical (distinct destination ports per
 * source -> destination) and horizontal (distinct destinations per source
 * and port) fan-out per bucket, with failed (REJECT) attempts weighted by
 * `failure_weight` and known scanners from flowsift.yaml excluded.  The
 * counting is one aggregate query (rule_check.c builds it from the params);
 * here the fan-out raises the severity one step at 10x the threshold.
 */
#include "detect/detect_int.h"

int fl__det_scan(struct det_ctx *c)
{
    fl_query_result *res = NULL;
    FL_TRY(fl__det_query(c, NULL, c->from, c->to, &res));
    size_t before = c->out->n;
    int rc = fl__det_result_hits(c, res);
    if (rc == FL_OK) {
        bool horiz = strcmp(fl__det_param_text(c->rule, "mode", "vertical"), "horizontal") == 0;
        double thr = fl__det_param_num(c->rule, horiz ? "min_hosts" : "min_ports", horiz ? 25 : 15);
        int fan = -1;
        for (int k = 0; k < fl_query_result_cols(res); k++)
            if (strcmp(fl_query_result_name(res, k), "fanout") == 0)
                fan = k;
        /* hits were appended in row order */
        for (size_t i = before, row = 0; i < c->out->n && fan >= 0; i++, row++) {
            struct fl_qcell q;
            fl_query_result_cell(res, row, fan, &q);
            if (q.type == FL_QT_BIGINT && (double)q.i >= 10 * thr && c->out->v[i].severity < FL_SEV_CRITICAL)
                c->out->v[i].severity++;
        }
    }
    fl_query_result_free(res);
    return rc;
}
