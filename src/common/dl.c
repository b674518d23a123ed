/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dl.c - libraries bound at run time instead of link time.  Some Debian
 * libraries cost every start of every command although one command uses
 * them: libcurl and libmicrohttpd pull in TLS/Kerberos/LDAP (~25 ms), snappy
 * pulls in libstdc++ (~5 ms: `perf stat -r 30` of an empty main() is 4.9 ms
 * with our other libraries, 9.7 ms with -lsnappy added).  Their users fill a
 * table of typed function pointers through fl_dl_load() the first time they
 * need the library; a missing library or symbol is an error then, with the
 * Debian package to install, not at start.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "common_int.h"

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

static void dl_bind(struct fl_dl *d)
{
    void *h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(d->why, sizeof d->why, "cannot load %s (Debian package %s): %s", d->soname, d->package,
                 e ? e : "?");
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        void *sym = dlsym(h, d->names[i]);
        if (!sym) {
            snprintf(d->why, sizeof d->why, "%s lacks %s", d->soname, d->names[i]);
            return; /* the handle stays open: it may be loaded by others */
        }
        /* POSIX: a dlsym result converts to a function pointer of the same
         * size; the table is n consecutive function pointers */
        memcpy((char *)d->fns + i * sizeof sym, &sym, sizeof sym);
    }
}

int fl_dl_load(struct fl_dl *d, struct fl_error *err)
{
    int state = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE);
    if (state == 0) {
        pthread_mutex_lock(&dl_lock);
        if (d->state == 0) {
            dl_bind(d);
            __atomic_store_n(&d->state, d->why[0] ? -1 : 1, __ATOMIC_RELEASE);
        }
        state = d->state;
        pthread_mutex_unlock(&dl_lock);
    }
    return state > 0 ? FL_OK : fl_error_set(err, FL_EIO, "%s", d->why);
}
