/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_static.h - internal interface between the dashboard server (http.c)
 * and the dashboard's own pieces: the static-asset file server
 * (http_static.c), called for every non-/api GET/HEAD request, and the
 * page's extra API endpoints (http_ui.c), offered every /api request after
 * the token check.
 */
#ifndef FL_HTTP_STATIC_H
#define FL_HTTP_STATIC_H

#include "http_mhd.h" /* <microhttpd.h> and fl__mhd */

/* Answer one GET/HEAD of a static asset: `url` (already percent-decoded by
 * MHD, a decoded NUL turned into 0x01) is looked up in a fixed table of
 * known asset paths; the file is read from `assets_dir` and queued with the
 * dashboard's security headers (strict CSP, nosniff).  Unknown paths get a
 * JSON 404.  The request path is never joined to a file system path.
 * Thread-safe (no shared state). */
enum MHD_Result fl__http_static(struct MHD_Connection *c, const char *assets_dir, const char *url);

/* Offer one authenticated /api request to the dashboard endpoints of
 * http_ui.c (GET /api/findings/<id>: one finding with its evidence).
 * Returns 1 when handled (the reply is queued, its MHD result in *rc_out),
 * 0 when http.c should route the request itself. */
int fl__http_ui(struct MHD_Connection *c, const char *home, const char *url, const char *method,
                enum MHD_Result *rc_out);

#endif
