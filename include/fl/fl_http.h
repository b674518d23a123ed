/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl_http.h - the dashboard server behind `flowsift serve`: a small JSON API
 * (docs/api.md) answered by SQL over the local dataset through fl_query_run,
 * plus a fixed list of static assets (the dashboard page).  It runs on
 * libmicrohttpd's internal thread pool; fl_http_start returns once the
 * socket is bound and fl_http_stop shuts it down.
 *
 * Security contract: loopback binds may run without a token; any other bind
 * needs one (FL_EINVAL otherwise).  With a token, every /api request must
 * carry `Authorization: Bearer <token>` (401 otherwise).  Request bodies are
 * capped (FL_HTTP_MAX_BODY, 413 beyond), query parameters are validated
 * against strict character classes before they reach SQL, and every string
 * in a reply is JSON-escaped.
 *
 * Thread-safety: one server per fl_http handle; start/stop from one thread.
 */
#ifndef FL_HTTP_H
#define FL_HTTP_H

#include <stdint.h>

#include "fl_errors.h"

#define FL_HTTP_MAX_BODY (64u << 10)

struct fl_http_opts {
    const char *listen;   /* "A.B.C.D:PORT" (IPv4); NULL = "127.0.0.1:8080"; port 0 = any */
    const char *home;     /* dataset root; NULL = "./flowsift-data" */
    const char *token;    /* bearer token or NULL (only allowed on loopback) */
    const char *assets;   /* folder holding index.html, app.js, app.css */
    int threads;          /* MHD thread pool size; 0 = 2 */
    unsigned timeout_s;   /* idle connection timeout; 0 = 30 */
    uint64_t query_memory; /* budget of one API query; 0 = 256 MiB */
    int64_t now;          /* clock for /api/health delays (Unix s); 0 = real time */
    unsigned max_connections; /* 0 = 512 (per client IP: all on loopback, else 64) */
    uint64_t rollup_cache;    /* bytes of rollup sidecars kept loaded; 0 = 512 MiB */
    uint64_t query_timeout_ms; /* time limit of one API/console query; 0 = 10 s;
                                * FL_HTTP_NO_TIMEOUT = none (503 when it runs out) */
};
#define FL_HTTP_NO_TIMEOUT UINT64_MAX

typedef struct fl_http fl_http;

/* Bind and start serving.  FL_EINVAL for a bad listen address or a
 * non-loopback bind without token; FL_EIO when the socket cannot be bound. */
int fl_http_start(const struct fl_http_opts *o, fl_http **out, struct fl_error *err);
/* The bound port (useful after asking for port 0). */
unsigned fl_http_port(const fl_http *h);
void fl_http_stop(fl_http *h);

/* True if the IPv4 address text is in 127.0.0.0/8. */
int fl_http_is_loopback(const char *listen);

#endif
