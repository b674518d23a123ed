/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_mhd.c - the run-time binding of libmicrohttpd (see http_mhd.h for
 * why it is not linked): dlopen of the Debian package's soname once, then
 * dlsym of each entry point the server uses.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http_mhd.h"

struct fl__mhd_api fl__mhd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[300]; /* "" once loaded */

static void load(void)
{
    void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "cannot load libmicrohttpd (libmicrohttpd12): %s", e ? e : "?");
        return;
    }
#define SYM(f)                                                           \
    do {                                                                 \
        void *p = dlsym(h, "MHD_" #f);                                   \
        if (!p) {                                                        \
            snprintf(why, sizeof why, "libmicrohttpd lacks MHD_%s", #f); \
            return;                                                      \
        }                                                                \
        memcpy(&fl__mhd.f, &p, sizeof p);                                \
    } while (0)
    SYM(start_daemon);
    SYM(stop_daemon);
    SYM(get_daemon_info);
    SYM(lookup_connection_value);
    SYM(create_response_from_buffer);
    SYM(add_response_header);
    SYM(queue_response);
    SYM(destroy_response);
    SYM(http_unescape);
#undef SYM
}

int fl__mhd_load(struct fl_error *err)
{
    pthread_once(&once, load);
    return why[0] ? fl_error_set(err, FL_EIO, "%s", why) : FL_OK;
}
