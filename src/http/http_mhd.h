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

struct fl__mhd_api {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
    __typeof__(MHD_http_unescape) *http_unescape;
};
extern struct fl__mhd_api fl__mhd;

/* Load libmicrohttpd.so.12 and resolve fl__mhd (once; thread-safe).  FL_OK,
 * or FL_EIO with the loader's message. */
int fl__mhd_load(struct fl_error *err);

#endif
