/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rule.c - libFuzzer target for rule files (YAML -> rules, SQL rules
 * compiled against an empty dataset, test cases with table flows).
 * Invariants: no crash, bounded memory; a failure is FL_EPARSE/FL_ELIMIT/
 * FL_ENOMEM with a "fuzz.yaml:LINE:COL: " message whose line lies inside
 * the text; a success yields rules with an id, a title, a severity 1..5, at
 * least one entity column, a window dividing a day (or whole days), and
 * SQL that substitutes for any window.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/fl_detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    struct fl_error err;
    fl_error_clear(&err);
    fl_ruleset *rs = NULL;
    int rc = fl_rules_parse(&rs, (const char *)data, size, "fuzz.yaml", NULL, NULL, &err);
    if (rc != FL_OK) {
        if (rs || err.rc != rc)
            abort();
        if (rc != FL_EPARSE && rc != FL_ELIMIT && rc != FL_ENOMEM)
            abort();
        if (rc == FL_EPARSE) {
            unsigned long line = 0, col = 0;
            if (sscanf(err.msg, "fuzz.yaml:%lu:%lu: ", &line, &col) != 2)
                abort();
            /* YAML line breaks: LF, CR, NEL (C2 85), LS/PS (E2 80 A8/A9):
             * count every byte that can end one (an upper bound) */
            size_t lines = 1;
            for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xA8 ||
                         data[i] == 0xA9;
            if (line > lines + 1)
                abort();
        }
        return 0;
    }
    char *sql = malloc(1 << 16);
    if (!sql)
        abort();
    for (int i = 0; i < fl_ruleset_count(rs); i++) {
        const struct fl_rule *r = fl_ruleset_rule(rs, i);
        if (!r->id[0] || !r->title[0] || r->severity < 1 || r->severity > 5 || r->n_entity < 1)
            abort();
        if (r->window_s < 60 || (86400 % r->window_s != 0 && r->window_s % 86400 != 0))
            abort();
        if (fl_ruleset_find(rs, r->id) != r)
            abort();
        struct fl_error e2;
        int64_t from = 1714521600;
        if (fl_rule_sql(r, NULL, from, from + r->window_s, sql, 1 << 16, &e2) != FL_OK &&
            e2.rc != FL_ELIMIT)
            abort();
    }
    free(sql);
    fl_ruleset_free(rs);
    return 0;
}
