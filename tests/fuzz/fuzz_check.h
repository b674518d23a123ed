/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_check.h - CHECK(c): a fuzz target's invariant.  A violation prints
 * the condition and its place, then aborts so that libFuzzer keeps the
 * input as a crash.
 */
#ifndef FL_FUZZ_CHECK_H
#define FL_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);    \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif
