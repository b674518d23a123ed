/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_rules.c - `flowsift rules check [DIR|FILE]...` validates rule files
 * (every problem as file:line:col, nothing runs), `flowsift rules list`
 * prints the rules, and `flowsift rules test [DIR]...` runs each rule's own
 * test cases (flows -> a temporary dataset -> the rule -> the expected
 * findings).  Without a path the rules folder is $FLOWSIFT_RULES or ./rules.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fl/fl_detect.h"

static void diag(void *ctx, const char *file, uint32_t line, uint32_t col, const char *msg)
{
    (void)file;
    (void)line;
    (void)col;
    int *n = ctx;
    (*n)++;
    fprintf(stderr, "%s\n", msg);
}

static void on_test(void *ctx, const struct fl_rule_test_result *r)
{
    (void)ctx;
    if (r->passed)
        printf("PASS %s/%s\n", r->rule, r->test);
    else
        printf("FAIL %s/%s: %s\n", r->rule, r->test, r->why);
}

static int rules_main(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1]))
        return cli_usage_error("rules", "usage: flowsift rules check|list|test [--rule ID] [DIR|FILE]...");
    const char *sub = argv[1];
    const char *paths[64];
    int np = 0;
    const char *only = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--rule") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("rules", "unknown option '%s'", argv[i]);
        else if (np < 64)
            paths[np++] = argv[i];
    }
    if (np == 0) {
        const char *env = getenv("FLOWSIFT_RULES");
        paths[np++] = env && *env ? env : "rules";
    }
    int nerr = 0;
    struct fl_error err;
    fl_error_clear(&err);
    fl_ruleset *rs = NULL;
    int rc = fl_rules_load(&rs, paths, np, diag, &nerr, &err);
    if (rc != FL_OK) {
        if (nerr == 0)
            fprintf(stderr, "flowsift rules: %s\n", err.msg);
        fprintf(stderr, "flowsift rules: %d problem%s; nothing was run\n", nerr ? nerr : 1, nerr == 1 ? "" : "s");
        return FL_EXIT_INPUT;
    }
    int n = fl_ruleset_count(rs);
    if (strcmp(sub, "check") == 0) {
        int tests = 0;
        for (int i = 0; i < n; i++)
            tests += fl_ruleset_rule(rs, i)->n_tests;
        printf("%d rule%s OK (%d test case%s)\n", n, n == 1 ? "" : "s", tests, tests == 1 ? "" : "s");
        fl_ruleset_free(rs);
        return FL_EXIT_OK;
    }
    if (strcmp(sub, "list") == 0) {
        printf("%-34s %-8s %-10s %-6s %-5s %s\n", "ID", "SEVERITY", "DETECTOR", "WINDOW", "TESTS", "TITLE");
        for (int i = 0; i < n; i++) {
            const struct fl_rule *r = fl_ruleset_rule(rs, i);
            char w[32];
            if (r->window_s % 86400 == 0)
                snprintf(w, sizeof w, "%lldd", (long long)(r->window_s / 86400));
            else if (r->window_s % 3600 == 0)
                snprintf(w, sizeof w, "%lldh", (long long)(r->window_s / 3600));
            else
                snprintf(w, sizeof w, "%lldm", (long long)(r->window_s / 60));
            printf("%-34s %-8s %-10s %-6s %-5d %s%s\n", r->id, fl_severity_name(r->severity),
                   fl_detector_name(r->detector), w, r->n_tests, r->title, r->enabled ? "" : " (disabled)");
        }
        fl_ruleset_free(rs);
        return FL_EXIT_OK;
    }
    if (strcmp(sub, "test") == 0) {
        char tmpl[] = "/tmp/flowsift-rules-test-XXXXXX";
        const char *tmpdir = getenv("TMPDIR");
        char dir[1024];
        if (tmpdir && *tmpdir) {
            snprintf(dir, sizeof dir, "%s/flowsift-rules-test-XXXXXX", tmpdir);
        } else {
            snprintf(dir, sizeof dir, "%s", tmpl);
        }
        if (!mkdtemp(dir)) {
            cli_err("cannot create a temporary folder");
            fl_ruleset_free(rs);
            return FL_EXIT_INTERNAL;
        }
        int passed = 0, failed = 0;
        rc = fl_rules_test(rs, only, dir, on_test, NULL, &passed, &failed, &err);
        rmdir(dir);
        fl_ruleset_free(rs);
        if (rc != FL_OK) {
            cli_err("rules test: %s", err.msg);
            return FL_EXIT_INTERNAL;
        }
        printf("%d passed, %d failed\n", passed, failed);
        return failed ? FL_EXIT_FINDINGS : FL_EXIT_OK;
    }
    fl_ruleset_free(rs);
    return cli_usage_error("rules", "unknown subcommand '%s' (check, list, test)", sub);
}

const struct fl_cmd fl_cmd_rules = {
    "rules", "check, list and test detection rules", rules_main,
    "usage: flowsift rules check [DIR|FILE]...   validate rule files (file:line:col errors)\n"
    "       flowsift rules list  [DIR|FILE]...   list the rules\n"
    "       flowsift rules test  [--rule ID] [DIR|FILE]...   run each rule's test cases\n"
    "Without a path: $FLOWSIFT_RULES, else ./rules.  The format is docs/rules.md.\n"
    "Exit status: 0 ok, 1 a test failed, 2 a rule file has a problem.\n",
    60,
};
