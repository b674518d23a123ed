/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ddl.c - `flowsift ddl`: external-table DDL for the dataset layout, so
 * Athena, Trino (Hive connector) and DuckDB read the files flowsift writes
 * unchanged.  The column list comes from the field catalog (fl_fields[]):
 * every non-partition column in catalog order, then the partition columns
 * cloud, account, region, date (and hour when the dataset has hour folders).
 * Athena gets partition projection: cloud/account/region as enums of the
 * values found in the local dataset (injected when there are none or too
 * many), date as a date projection.
 */
#include <stdlib.h>

#include "pipeline_int.h"

#define ENUM_MAX 100

struct vals {
    char *v[ENUM_MAX];
    int n;
    bool overflow;
};

struct ddl_scan {
    struct vals cloud, account, region;
    char min_date[16];
    bool any_hour;
};

static void vals_add(struct vals *v, const char *s, size_t n)
{
    for (int i = 0; i < v->n; i++)
        if (strlen(v->v[i]) == n && memcmp(v->v[i], s, n) == 0)
            return;
    if (v->n == ENUM_MAX) {
        v->overflow = true;
        return;
    }
    char *d = fl_strndup(s, n);
    if (d)
        v->v[v->n++] = d;
}

static void vals_free(struct vals *v)
{
    for (int i = 0; i < v->n; i++)
        fl_free(v->v[i]);
}

/* The raw (escaped) folder value of key in rel. */
static bool raw_seg(const char *rel, const char *key, const char **p, size_t *n)
{
    size_t kl = strlen(key);
    for (const char *s = rel; s && *s;) {
        const char *e = strchr(s, '/');
        size_t sl = e ? (size_t)(e - s) : strlen(s);
        if (sl > kl && memcmp(s, key, kl) == 0 && s[kl] == '=') {
            *p = s + kl + 1;
            *n = sl - kl - 1;
            return true;
        }
        s = e ? e + 1 : NULL;
    }
    return false;
}

static int scan_cb(void *ctx, const struct fl_dataset_file *f)
{
    struct ddl_scan *s = ctx;
    const char *p;
    size_t n;
    if (raw_seg(f->partition, "cloud", &p, &n))
        vals_add(&s->cloud, p, n);
    if (raw_seg(f->partition, "account", &p, &n))
        vals_add(&s->account, p, n);
    if (raw_seg(f->partition, "region", &p, &n))
        vals_add(&s->region, p, n);
    if (raw_seg(f->partition, "date", &p, &n) && n == 10 &&
        (!s->min_date[0] || memcmp(p, s->min_date, 10) < 0)) {
        memcpy(s->min_date, p, 10);
        s->min_date[10] = 0;
    }
    if (raw_seg(f->partition, "hour", &p, &n))
        s->any_hour = true;
    return 0;
}

static const char *athena_type(enum fl_type t)
{
    return t == FL_I32 ? "int" : t == FL_I64 ? "bigint" : "string";
}

static const char *trino_type(enum fl_type t)
{
    return t == FL_I32 ? "integer" : t == FL_I64 ? "bigint" : "varchar";
}

static void enum_prop(FILE *f, const char *col, const struct vals *v)
{
    if (v->n == 0 || v->overflow) {
        fprintf(f, "  'projection.%s.type' = 'injected',\n", col);
        return;
    }
    fprintf(f, "  'projection.%s.type' = 'enum',\n  'projection.%s.values' = '", col, col);
    for (int i = 0; i < v->n; i++)
        fprintf(f, "%s%s", i ? "," : "", v->v[i]);
    fprintf(f, "',\n");
}

static void sql_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

int fl_ddl_print(FILE *f, const char *engine, const char *location, const char *home,
                 const char *table, bool by_hour, struct fl_error *err)
{
    if (!table || !*table)
        table = "flows";
    struct ddl_scan sc;
    memset(&sc, 0, sizeof sc);
    if (home) {
        struct fl_error e2;
        fl_dataset_list(home, scan_cb, &sc, &e2); /* best effort */
    }
    by_hour = by_hour || sc.any_hour;
    char loc[FL_PATH_MAX];
    int rc = FL_OK;
    if (location && *location) {
        size_t n = strlen(location);
        while (n > 1 && location[n - 1] == '/')
            n--;
        int k = snprintf(loc, sizeof loc, "%.*s", (int)n, location);
        FL_RETURN_IF(k < 0 || (size_t)k >= sizeof loc, err, FL_ELIMIT, "location too long");
    } else if (strcmp(engine, "duckdb") == 0) {
        char *rp = home ? realpath(home, NULL) : NULL;
        int k = snprintf(loc, sizeof loc, "%s/data", rp ? rp : (home ? home : "."));
        free(rp);
        FL_RETURN_IF(k < 0 || (size_t)k >= sizeof loc, err, FL_ELIMIT, "location too long");
    } else {
        rc = fl_error_set(err, FL_EINVAL,
                          "--location s3://bucket/prefix is required for %s (the folder "
                          "that holds data/)",
                          engine);
        goto out;
    }
    if (strcmp(engine, "duckdb") == 0) {
        /* location is the data folder itself when it came from home */
        bool is_data = !(location && *location);
        fprintf(f, "-- DuckDB: the flowsift dataset as a view (account ids keep leading zeros)\n");
        fprintf(f, "CREATE OR REPLACE VIEW %s AS\nSELECT * FROM read_parquet(", table);
        char glob[FL_PATH_MAX + 32];
        snprintf(glob, sizeof glob, "%s%s/**/*.parquet", loc, is_data ? "" : "/data");
        sql_quote(f, glob);
        fprintf(f, ",\n  hive_partitioning = true,\n  hive_types = {'cloud': 'VARCHAR', "
                   "'account': 'VARCHAR', 'region': 'VARCHAR', 'date': 'DATE'%s},\n"
                   "  union_by_name = true);\n",
                by_hour ? ", 'hour': 'INTEGER'" : "");
    } else if (strcmp(engine, "athena") == 0) {
        fprintf(f, "-- Athena: external table with partition projection (no crawler, no MSCK)\n");
        fprintf(f, "CREATE EXTERNAL TABLE IF NOT EXISTS `%s` (\n", table);
        bool first = true;
        for (int c = 0; c < FL_NCOLS; c++) {
            if (fl_fields[c].flags & FL_PART)
                continue;
            fprintf(f, "%s  `%s` %s", first ? "" : ",\n", fl_fields[c].name,
                    athena_type(fl_fields[c].type));
            first = false;
        }
        fprintf(f, "\n)\nPARTITIONED BY (`cloud` string, `account` string, `region` string, "
                   "`date` string%s)\nSTORED AS PARQUET\nLOCATION '%s/data/'\n"
                   "TBLPROPERTIES (\n  'projection.enabled' = 'true',\n",
                by_hour ? ", `hour` string" : "", loc);
        struct vals clouds = sc.cloud;
        if (clouds.n == 0) {
            memset(&clouds, 0, sizeof clouds);
            clouds.v[0] = "aws";
            clouds.v[1] = "azure";
            clouds.v[2] = "gcp";
            clouds.n = 3;
        }
        enum_prop(f, "cloud", &clouds);
        enum_prop(f, "account", &sc.account);
        enum_prop(f, "region", &sc.region);
        fprintf(f,
                "  'projection.date.type' = 'date',\n"
                "  'projection.date.format' = 'yyyy-MM-dd',\n"
                "  'projection.date.range' = '%s,NOW',\n"
                "  'projection.date.interval' = '1',\n"
                "  'projection.date.interval.unit' = 'DAYS',\n",
                sc.min_date[0] ? sc.min_date : "2015-01-01");
        if (by_hour)
            fprintf(f, "  'projection.hour.type' = 'integer',\n"
                       "  'projection.hour.range' = '0,23',\n"
                       "  'projection.hour.digits' = '2',\n");
        fprintf(f,
                "  'storage.location.template' = "
                "'%s/data/cloud=${cloud}/account=${account}/region=${region}/date=${date}%s'\n"
                ");\n",
                loc, by_hour ? "/hour=${hour}" : "");
    } else if (strcmp(engine, "trino") == 0) {
        fprintf(f, "-- Trino (Hive connector): external table; then register the partitions\n");
        fprintf(f, "CREATE TABLE IF NOT EXISTS hive.flowsift.\"%s\" (\n", table);
        for (int c = 0; c < FL_NCOLS; c++) {
            if (fl_fields[c].flags & FL_PART)
                continue;
            fprintf(f, "  \"%s\" %s,\n", fl_fields[c].name, trino_type(fl_fields[c].type));
        }
        fprintf(f, "  \"cloud\" varchar,\n  \"account\" varchar,\n  \"region\" varchar,\n"
                   "  \"date\" date%s\n)\nWITH (\n  format = 'PARQUET',\n"
                   "  external_location = '%s/data/',\n"
                   "  partitioned_by = ARRAY['cloud', 'account', 'region', 'date'%s]\n);\n"
                   "CALL hive.system.sync_partition_metadata('flowsift', '%s', 'ADD');\n",
                by_hour ? ",\n  \"hour\" integer" : "", loc, by_hour ? ", 'hour'" : "", table);
    } else {
        rc = fl_error_set(err, FL_EINVAL, "unknown engine '%s' (athena, trino, duckdb)", engine);
    }
out:
    vals_free(&sc.cloud);
    vals_free(&sc.account);
    vals_free(&sc.region);
    return rc;
}
