/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_mhd.c - the run-time binding of libmicrohttpd (see http_mhd.h for
 * why it is not linked), through fl_dl_load (src/common/dl.c).
 */
#include "http_mhd.h"
#include "common/common_int.h"

struct fl__mhd_api fl__mhd;

static const char *const names[] = {
#define FL__MHD_NAME(f) "MHD_" #f,
    FL__MHD_FNS(FL__MHD_NAME)
#undef FL__MHD_NAME
};
FL_DL_CHECK(fl__mhd, names);

static struct fl_dl lib = {"libmicrohttpd.so.12", "libmicrohttpd12", names, FL_ARRAY_LEN(names), &fl__mhd, 0, ""};

int fl__mhd_load(struct fl_error *err) { return fl_dl_load(&lib, err); }
