/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_azure.c - placeholder until the azure writer lands.
 */
#include "gen_int.h"

int fl__gen_azure(struct gen_ctx *c)
{
    return fl_error_set(c->err, FL_EUNSUPPORTED, "generate: azure output is not implemented yet");
}
