/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_mhd.h - libmicrohttpd, loaded when a server starts instead of being
 * linked.  The library links GnuTLS (and p11-kit, nettle, gmp ...), whose
 * load-time initialisation costs every start of every flowsift command
 * ~9 ms (perf stat -r 20 of an empty main(): 3.8 ms plain, 13 ms linked
 * with -lmicrohttpd) though only `serve` uses it.  The server calls the
 * library through `fl__mhd`, filled by fl__mhd_load(); the types come from
 * <microhttpd.h> (each pointer has the type of the function it replaces).
 */
#ifndef FL_HTTP_MHD_H
#define FL_HTTP_MHD_H

#include <microhttpd.h>

#include "fl/fl_common.h"

#define FL__MHD_FNS(X)                                                                             \
    X(start_daemon) X(stop_daemon) X(get_daemon_info) X(lookup_connection_value)                   \
    X(create_response_from_buffer) X(add_response_header) X(queue_response) X(destroy_response)    \
    X(http_unescape)
struct fl__mhd_api {
#define FL__MHD_PTR(f) __typeof__(MHD_##f) *f;
    FL__MHD_FNS(FL__MHD_PTR)
#undef FL__MHD_PTR
};
extern struct fl__mhd_api fl__mhd;

/* Load libmicrohttpd.so.12 and resolve fl__mhd (once; thread-safe).  FL_OK,
 * or FL_EIO with the loader's message. */
int fl__mhd_load(struct fl_error *err);

#endif
