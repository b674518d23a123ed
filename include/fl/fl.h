/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fl.h - umbrella header of the flowsift library.
 */
#ifndef FL_H
#define FL_H

#define FL_VERSION "0.1.0"

#include "fl_errors.h"
#include "fl_common.h"
#include "fl_record.h"
#include "fl_ingest.h"

#endif
