/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_gcp.c - placeholder until the gcp writer lands.
 */
#include "gen_int.h"

int fl__gen_gcp(struct gen_ctx *c)
{
    return fl_error_set(c->err, FL_EUNSUPPORTED, "generate: gcp output is not implemented yet");
}
