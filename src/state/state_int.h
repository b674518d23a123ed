/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state_int.h - private interface of the state module (the only module that
 * includes sqlite3.h): the handle and the ledger's migration entry point.
 */
#ifndef FL_STATE_INT_H
#define FL_STATE_INT_H

#include "fl/fl_state.h"
#include "../common/common_int.h"

struct sqlite3;
struct fl_state {
    struct sqlite3 *db; /* the connection (WAL) */
};

/* Apply the ledger's own migrations (component "ledger"). */
int fl__ledger_migrate(struct fl_state *s, struct fl_error *err);

#endif
