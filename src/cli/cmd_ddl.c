/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_ddl.c - `flowsift ddl --engine athena|trino|duckdb`: print the
 * external-table DDL for the dataset layout (fl_ddl_print).
 */
#include <string.h>

#include "cli.h"
#include "fl/fl_config.h"
#include "fl/fl_dataset.h"

static int ddl_main(int argc, char **argv)
{
    const char *engine = NULL, *location = NULL, *home = cli_home(), *table = "flows";
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--engine") == 0 && more)
            engine = argv[++i];
        else if (strcmp(argv[i], "--location") == 0 && more)
            location = argv[++i];
        else if (strcmp(argv[i], "--home") == 0 && more)
            home = argv[++i];
        else if (strcmp(argv[i], "--table") == 0 && more)
            table = argv[++i];
        else
            return cli_usage_error("ddl", "unknown argument '%s'", argv[i]);
    }
    if (!engine)
        return cli_usage_error("ddl", "--engine athena|trino|duckdb is required");
    struct fl_error err = {0};
    fl_config *cfg = NULL;
    bool by_hour = false;
    if (fl_config_load(&cfg, home, NULL, &err) == FL_OK) {
        by_hour = fl_config_storage(cfg)->partition_by_hour;
        fl_config_free(cfg);
    }
    if (fl_ddl_print(stdout, engine, location, home, table, by_hour, &err) != FL_OK)
        return cli_usage_error("ddl", "%s", err.msg);
    return FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_ddl = {
    "ddl", "external-table DDL for Athena, Trino or DuckDB", ddl_main,
    "usage: flowsift ddl --engine athena|trino|duckdb [--location s3://bucket/prefix]\n"
    "                    [--table NAME] [--home DIR]\n"
    "Prints the CREATE statement(s) that make an engine read the dataset as it\n"
    "is laid out (cloud=/account=/region=/date=[/hour=] folders of Parquet files).\n"
    "--location is the folder that holds data/ (the S3 copy of $FLOWSIFT_HOME);\n"
    "it is required for athena and trino, and defaults to the local dataset for\n"
    "duckdb.  Athena uses partition projection: cloud/account/region as enums of\n"
    "the values present in the local dataset (injected when there are none),\n"
    "date as a date projection.  Columns come from the field catalog.\n",
    60};
