/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the flowsift command dispatcher.  The table of commands is
 * generated from the src/cli/cmd_*.c file list.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define FL_CMD(x) extern const struct fl_cmd fl_cmd_##x;
#include "fl_cmds.inc"
#undef FL_CMD

static const struct fl_cmd *const cmds[] = {
#define FL_CMD(x) &fl_cmd_##x,
#include "fl_cmds.inc"
#undef FL_CMD
};
#define N_CMDS (sizeof cmds / sizeof cmds[0])

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "flowsift %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'flowsift %s --help')\n", cmd);
    va_end(ap);
    return FL_EXIT_USAGE;
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("flowsift: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool cli_tty(void) { return isatty(2); }

bool cli_is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

const char *cli_home(void)
{
    const char *h = getenv("FLOWSIFT_HOME");
    return h && *h ? h : "./flowsift-data";
}

static void usage(FILE *f)
{
    fprintf(f, "flowsift %s - cloud flow logs into answers and findings\n\n"
               "usage: flowsift COMMAND [options] [args]\n\ncommands:\n",
            FL_VERSION);
    /* ordered by the commands' own `order`, then name */
    const struct fl_cmd *sorted[N_CMDS];
    for (size_t i = 0; i < N_CMDS; i++)
        sorted[i] = cmds[i];
    for (size_t i = 1; i < N_CMDS; i++)
        for (size_t j = i; j > 0 && (sorted[j]->order < sorted[j - 1]->order ||
                                     (sorted[j]->order == sorted[j - 1]->order &&
                                      strcmp(sorted[j]->name, sorted[j - 1]->name) < 0));
             j--) {
            const struct fl_cmd *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (size_t i = 0; i < N_CMDS; i++)
        fprintf(f, "  %-15s %s\n", sorted[i]->name, sorted[i]->summary);
    fprintf(f, "\n'flowsift COMMAND --help' explains a command.\n"
               "Data lives in $FLOWSIFT_HOME (default ./flowsift-data).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0) {
            for (size_t i = 0; i < N_CMDS; i++)
                if (strcmp(cmds[i]->name, argv[2]) == 0) {
                    fputs(cmds[i]->usage, stdout);
                    return 0;
                }
        }
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? FL_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("flowsift %s\n", FL_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_CMDS; i++) {
        if (strcmp(cmds[i]->name, argv[1]) != 0)
            continue;
        for (int a = 2; a < argc; a++) {
            if (strcmp(argv[a], "--") == 0)
                break;
            if (cli_is_help(argv[a])) {
                fputs(cmds[i]->usage, stdout);
                return 0;
            }
        }
        return cmds[i]->main(argc - 1, argv + 1);
    }
    cli_err("unknown command '%s' (see 'flowsift --help')", argv[1]);
    return FL_EXIT_USAGE;
}
