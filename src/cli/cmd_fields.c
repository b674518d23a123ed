/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_fields.c - `flowsift fields`: print the field catalog (the columns of
 * the normalized record) with types and meaning.
 */
#include <string.h>

#include "cli.h"

static const char *type_name(enum fl_type t)
{
    return t == FL_I32 ? "int" : t == FL_I64 ? "bigint" : "string";
}

static int fields_main(int argc, char **argv)
{
    enum fl_out_format fmt = FL_OUT_TABLE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (fl_out_format_parse(argv[++i], &fmt) != FL_OK)
                return cli_usage_error("fields", "unknown format '%s'", argv[i]);
        } else {
            return cli_usage_error("fields", "unknown argument '%s'", argv[i]);
        }
    }
    for (int c = 0; c < FL_NCOLS; c++) {
        const struct fl_field *f = &fl_fields[c];
        char flags[64];
        snprintf(flags, sizeof flags, "%s%s%s%s", (f->flags & FL_AWS) ? "aws " : "",
                 (f->flags & FL_PART) ? "partition " : "",
                 (f->flags & FL_ENR) ? "enrichment " : "",
                 (f->flags & FL_LIN) ? "lineage " : "");
        size_t fl = strlen(flags);
        if (fl)
            flags[fl - 1] = 0;
        if (fmt == FL_OUT_CSV)
            printf("%s%s,%s,%s,\"%s\"\n", c ? "" : "name,type,flags,doc\n", f->name,
                   type_name(f->type), flags, f->doc);
        else if (fmt == FL_OUT_NDJSON || fmt == FL_OUT_JSON)
            printf("{\"name\":\"%s\",\"type\":\"%s\",\"flags\":\"%s\"}\n", f->name,
                   type_name(f->type), flags);
        else
            printf("%-28s %-7s %-12s %s\n", f->name, type_name(f->type), flags, f->doc);
    }
    return 0;
}

const struct fl_cmd fl_cmd_fields = {
    "fields", "list the columns of the normalized flow record", fields_main,
    "usage: flowsift fields [--format table|csv|ndjson]\n"
    "Prints every column of the normalized record: name (the SQL, Parquet and\n"
    "JSON name), type, flags (aws, partition, enrichment, lineage) and meaning.\n",
    90};
