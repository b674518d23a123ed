/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the thin CLI's command files share.  Each src/cli/cmd_<x>.c
 * defines `const struct fl_cmd fl_cmd_<x>`; the command table in main.c is
 * generated from the file list (build/gen/fl_cmds.inc), so adding a command
 * is adding a file.  The CLI includes only the public headers (include/fl).
 *
 * Exit codes: 0 ok, 1 findings/verdict-negative where a command says so,
 * 2 usage error or an input failed, 3 internal error.
 */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "fl/fl.h"

struct fl_cmd {
    const char *name;
    const char *summary;                 /* one line for `flowsift --help` */
    int (*main)(int argc, char **argv);  /* argv[0] is the command name */
    const char *usage;                   /* full --help text */
    int order;                           /* position in `flowsift --help` */
};

#define FL_EXIT_OK 0
#define FL_EXIT_FINDINGS 1
#define FL_EXIT_USAGE 2
#define FL_EXIT_INPUT 2
#define FL_EXIT_INTERNAL 3

/* Print "flowsift <cmd>: message" to stderr; returns FL_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "flowsift: message" to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when stderr is a terminal (progress lines are shown then). */
bool cli_tty(void);
/* True if argv[i] is -h or --help. */
bool cli_is_help(const char *a);
/* $FLOWSIFT_HOME or ./flowsift-data */
const char *cli_home(void);

#endif
