/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_static.h - internal interface between the dashboard server (http.c)
 * and its static-asset file server (http_static.c).  http.c calls
 * fl__http_static for every non-/api GET/HEAD request; nothing else in the
 * tree uses it.
 */
#ifndef FL_HTTP_STATIC_H
#define FL_HTTP_STATIC_H

#include <microhttpd.h>

/* Answer one GET/HEAD of a static asset: `url` (already percent-decoded by
 * MHD, a decoded NUL turned into 0x01) is looked up in a fixed table of
 * known asset paths; the file is read from `assets_dir` and queued with the
 * dashboard's security headers (strict CSP, nosniff).  Unknown paths get a
 * JSON 404.  The request path is never joined to a file system path.
 * Thread-safe (no shared state). */
enum MHD_Result fl__http_static(struct MHD_Connection *c, const char *assets_dir, const char *url);

#endif
