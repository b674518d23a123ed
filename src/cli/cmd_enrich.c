/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_enrich.c - `flowsift enrich IP...`: everything flowsift knows about an
 * address, the lookup a user does during triage: scope, internal or not,
 * country, ASN and AS organisation, the asset map's name/tier/env, the VPC,
 * the provider service range, every threat-intel list that contains it and
 * whether policy lists it as a known scanner.  Uses the same config and
 * enricher as ingest, so the answer is what ingest would store.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fl/fl_enrich.h"

static const char *const cols[] = {"ip", "scope", "internal", "country", "asn", "as_org",
                                   "tag", "tier", "env", "asset_cidr", "vpc",
                                   "cloud_service", "cloud_provider", "threats",
                                   "known_scanner"};
#define N_COLS (sizeof cols / sizeof cols[0])

/* The values of one address as text (NULL = unknown). */
static void values(const char *ip, const struct fl_enrich_info *in, const char *v[N_COLS],
                   char *asn, size_t asn_cap, char *thr, size_t thr_cap)
{
    v[0] = ip;
    v[1] = fl_scope_name(in->scope);
    v[2] = in->internal ? "true" : "false";
    v[3] = in->country;
    if (in->asn) {
        snprintf(asn, asn_cap, "%lld", (long long)in->asn);
        v[4] = asn;
    } else {
        v[4] = NULL;
    }
    v[5] = in->as_org;
    v[6] = in->tag;
    v[7] = in->tier;
    v[8] = in->env;
    v[9] = in->asset_cidr[0] ? in->asset_cidr : NULL;
    v[10] = in->vpc;
    v[11] = in->cloud_service;
    v[12] = in->cloud_provider;
    size_t k = 0;
    thr[0] = 0;
    for (size_t i = 0; i < in->n_threats; i++) {
        int w = snprintf(thr + k, thr_cap - k, "%s%s", i ? "," : "", in->threats[i]);
        if (w < 0 || (size_t)w >= thr_cap - k)
            break;
        k += (size_t)w;
    }
    v[13] = in->n_threats ? thr : NULL;
    v[14] = in->known_scanner ? "true" : "false";
}

static void print_json_str(const char *s)
{
    char buf[1024];
    size_t n = fl_json_escape(s, strlen(s), buf, sizeof buf);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    printf("\"%.*s\"", (int)n, buf);
}

static void print_csv_str(const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void emit(enum fl_out_format fmt, const char *v[N_COLS], size_t idx)
{
    switch (fmt) {
    case FL_OUT_TABLE:
        if (idx)
            putchar('\n');
        for (size_t c = 0; c < N_COLS; c++)
            printf("%-15s %s\n", cols[c], v[c] ? v[c] : "-");
        break;
    case FL_OUT_CSV:
        for (size_t c = 0; c < N_COLS; c++) {
            if (c)
                putchar(',');
            if (v[c])
                print_csv_str(v[c]);
        }
        putchar('\n');
        break;
    case FL_OUT_NDJSON:
    case FL_OUT_JSON:
        if (fmt == FL_OUT_JSON)
            fputs(idx ? ",\n" : "[\n", stdout);
        putchar('{');
        for (size_t c = 0; c < N_COLS; c++) {
            if (c)
                putchar(',');
            printf("\"%s\":", cols[c]);
            if (!v[c])
                fputs("null", stdout);
            else if (c == 2 || c == 14 || c == 4)
                fputs(v[c], stdout); /* booleans, number */
            else if (c == 13) {  /* threats: a JSON array */
                putchar('[');
                const char *p = v[c];
                bool first = true;
                while (*p) {
                    const char *q = strchr(p, ',');
                    size_t n = q ? (size_t)(q - p) : strlen(p);
                    char tmp[160];
                    snprintf(tmp, sizeof tmp, "%.*s", (int)n, p);
                    if (!first)
                        putchar(',');
                    print_json_str(tmp);
                    first = false;
                    p += n + (q ? 1 : 0);
                }
                putchar(']');
            } else
                print_json_str(v[c]);
        }
        putchar('}');
        if (fmt == FL_OUT_NDJSON)
            putchar('\n');
        break;
    }
}

static int enrich_main(int argc, char **argv)
{
    enum fl_out_format fmt = FL_OUT_TABLE;
    const char *config = NULL;
    int first_ip = argc;
    char **ips = calloc((size_t)argc, sizeof *ips);
    int n_ips = 0;
    if (!ips)
        return FL_EXIT_INTERNAL;
    (void)first_ip;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) {
            if (i + 1 >= argc || fl_out_format_parse(argv[++i], &fmt) != FL_OK) {
                free(ips);
                return cli_usage_error("enrich", "--format needs table, csv, json or ndjson");
            }
        } else if (strncmp(argv[i], "--format=", 9) == 0) {
            if (fl_out_format_parse(argv[i] + 9, &fmt) != FL_OK) {
                free(ips);
                return cli_usage_error("enrich", "--format needs table, csv, json or ndjson");
            }
        } else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                free(ips);
                return cli_usage_error("enrich", "--config needs a file");
            }
            config = argv[++i];
        } else if (strcmp(argv[i], "--") == 0) {
            for (i++; i < argc; i++)
                ips[n_ips++] = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(ips);
            return cli_usage_error("enrich", "unknown option '%s'", argv[i]);
        } else {
            ips[n_ips++] = argv[i];
        }
    }
    if (n_ips == 0) {
        free(ips);
        return cli_usage_error("enrich", "give at least one IP address");
    }
    /* validate every address before loading anything */
    int bad = 0;
    for (int i = 0; i < n_ips; i++) {
        struct fl_ip ip;
        if (fl_ip_parse(ips[i], strlen(ips[i]), &ip) != FL_OK) {
            cli_err("enrich: '%s' is not an IPv4 or IPv6 address", ips[i]);
            bad++;
        }
    }
    if (bad) {
        free(ips);
        return FL_EXIT_USAGE;
    }
    struct fl_error err = {0};
    fl_config *cfg = NULL;
    if (fl_config_load(&cfg, cli_home(), config, &err) != FL_OK) {
        cli_err("%s", err.msg);
        free(ips);
        return FL_EXIT_INPUT;
    }
    fl_enricher *e = NULL;
    if (fl_enricher_open(&e, cfg, &err) != FL_OK) {
        cli_err("%s", err.msg);
        fl_config_free(cfg);
        free(ips);
        return FL_EXIT_INPUT;
    }
    if (fmt == FL_OUT_CSV) {
        for (size_t c = 0; c < N_COLS; c++)
            printf("%s%s", c ? "," : "", cols[c]);
        putchar('\n');
    }
    for (int i = 0; i < n_ips; i++) {
        struct fl_ip ip;
        struct fl_enrich_info in;
        fl_ip_parse(ips[i], strlen(ips[i]), &ip);
        fl_enrich_lookup(e, &ip, &in);
        char norm[64], asn[24], thr[1024];
        fl_ip_format(&ip, norm, sizeof norm);
        const char *v[N_COLS];
        values(norm, &in, v, asn, sizeof asn, thr, sizeof thr);
        emit(fmt, v, (size_t)i);
    }
    if (fmt == FL_OUT_JSON)
        fputs("\n]\n", stdout);
    fl_enricher_close(e);
    fl_config_free(cfg);
    free(ips);
    return fflush(stdout) == 0 ? FL_EXIT_OK : FL_EXIT_INTERNAL;
}

const struct fl_cmd fl_cmd_enrich = {
    "enrich", "everything known about an address (scope, geo, ASN, tag, intel)", enrich_main,
    "usage: flowsift enrich IP... [--format table|csv|json|ndjson] [--config FILE]\n"
    "\n"
    "Prints what flowsift knows about each address, as ingest would store it:\n"
    "  scope           public, private, cgnat, loopback, link_local, multicast,\n"
    "                  reserved (IANA special-purpose registries)\n"
    "  internal        inside internal_cidrs or a VPC CIDR of the config\n"
    "  country, asn, as_org   geo databases (public addresses only)\n"
    "  tag, tier, env, asset_cidr   the asset map entry (longest prefix)\n"
    "  vpc             the configured VPC containing it\n"
    "  cloud_service, cloud_provider   AWS/Azure published service ranges\n"
    "  threats         every threat-intel list containing it (config order)\n"
    "  known_scanner   listed in policy.known_scanners\n"
    "\n"
    "The config is $FLOWSIFT_HOME/flowsift.yaml (see docs/config.md) unless\n"
    "--config names another file.  Exit 2 on a bad address or config.\n",
    45};
