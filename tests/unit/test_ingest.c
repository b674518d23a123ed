/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ingest.c - unit tests of the ingest core: object metadata from every
 * S3 key and Azure/GCP path of the fixture lists, the AWS tokenizer and
 * `${...}` format parser, the line splitter (CRLF, no final newline, the
 * line cap), sniffing, and the reader end to end on small inputs (stats
 * invariant, lineage, NULLs, 64-bit values, batch boundaries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "ingest/aws_int.h"

/* ---- objmeta ------------------------------------------------------------- */

static void meta_eq(const char *path, const char *cloud, const char *account,
                    const char *region, int y, int m, int d, int h)
{
    struct fl_objmeta om;
    bool ok = fl_objmeta_from_path(path, &om);
    if (!ok)
        UNIT_FAIL("no layout matched: %.300s", path);
    if (strcmp(om.cloud, cloud) || strcmp(om.account, account) || strcmp(om.region, region) ||
        om.year != y || om.month != m || om.day != d || om.hour != h)
        UNIT_FAIL("%.200s: got cloud=%s account=%.80s region=%.40s %d-%d-%d h%d", path, om.cloud,
                  om.account, om.region, om.year, om.month, om.day, om.hour);
}

TEST(objmeta_s3_keys)
{
    meta_eq("AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/21/841154226728_vpcflowlogs_"
            "us-west-2_fl-055401975c87952e8_20230121T2100Z_1ce1bf4b.log.gz",
            "aws", "841154226728", "us-west-2", 2023, 1, 21, 21);
    meta_eq("AWSLogs/034496339141/vpcflowlogs/us-east-1/2019/06/05/034496339141_vpcflowlogs_"
            "us-east-1_fl-093a2bd1f31cac72f_20190605T0835Z_8246457e.log.gz",
            "aws", "034496339141", "us-east-1", 2019, 6, 5, 8);
    meta_eq("pbmmaccel-logarchive-phase0-cacentral1-1tr23emhncdzo/123456789012/Test-East-lcl/"
            "AWSLogs/123456789012/vpcflowlogs/us-east-1/2020/08/31/123456789012_vpcflowlogs_"
            "us-east-1_fl-04af3543c74402594_20200831T1720Z_73d3922a.log.gz",
            "aws", "123456789012", "us-east-1", 2020, 8, 31, 17);
    meta_eq("123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz", "aws",
            "123456789012", "us-east-1", 2018, 6, 20, 16);
    /* hourly and Hive layouts with real values */
    meta_eq("b/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2024/02/29/07/x.log.gz", "aws",
            "111122223333", "eu-west-1", 2024, 2, 29, 7);
    meta_eq("b/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/"
            "year=2024/month=02/day=29/x.log.gz",
            "aws", "111122223333", "eu-west-1", 2024, 2, 29, -1);
    meta_eq("b/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/"
            "year=2024/month=02/day=29/hour=23/x.log.parquet",
            "aws", "111122223333", "eu-west-1", 2024, 2, 29, 23);
    meta_eq("AWSLogs/aws-account-id=111122223333/service=vpcflowlogs/aws-region=ap-south-1/"
            "year=2025/month=12/day=01/f.log.gz",
            "aws", "111122223333", "ap-south-1", 2025, 12, 1, -1);
    /* doc templates: layout recognized, placeholders are not dates */
    meta_eq("bucket-and-optional-prefix/AWSLogs/account_id/vpcflowlogs/region/year/month/day/hour/",
            "aws", "account_id", "region", -1, -1, -1, -1);
    struct fl_objmeta om;
    ASSERT(!fl_objmeta_from_path("/tmp/some/file.log", &om));
    ASSERT_EQ_STR(om.cloud, "");
    ASSERT_EQ_INT(om.year, -1);
    ASSERT(!fl_objmeta_from_path("AWSLogs/123/cloudtrail/us-east-1/2020/01/01/x.json.gz", &om));
}

/* Every non-comment line of the two fixture path files matches a layout. */
TEST(objmeta_fixture_files)
{
    const char *files[] = {"tests/data/ingest/aws/aws_s3_object_keys.txt",
                           "tests/data/ingest/aws/azure_blob_paths.txt"};
    int n = 0;
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        ASSERT(f != NULL);
        char line[2048];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0] || line[0] == '#')
                continue;
            struct fl_objmeta om;
            if (!fl_objmeta_from_path(line, &om))
                UNIT_FAIL("no layout for %.300s", line);
            ASSERT(strcmp(om.cloud, k == 0 ? "aws" : "azure") == 0);
            ASSERT(om.account[0] != 0);
            n++;
        }
        fclose(f);
    }
    ASSERT_EQ_INT(n, 15); /* 10 S3 keys/templates, 5 Azure blob paths */
}

TEST(objmeta_azure)
{
    struct fl_objmeta om;
    ASSERT(fl_objmeta_from_path(
        "https://acct.blob.core.windows.net/insights-logs-networksecuritygroupflowevent/"
        "resourceId=/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-WEB/"
        "PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-WEB/y=2024/m=03/d=07/h=09/m=00/"
        "macAddress=000D3AF87856/PT1H.json",
        &om));
    ASSERT_EQ_STR(om.cloud, "azure");
    ASSERT_EQ_STR(om.account, "00000000-1111-2222-3333-444444444444");
    ASSERT_EQ_STR(om.resource_group, "RG-WEB");
    ASSERT_EQ_STR(om.resource, "NSG-WEB");
    ASSERT_EQ_STR(om.mac, "000D3AF87856");
    ASSERT_EQ_STR(om.service, "networksecuritygroupflowevent");
    ASSERT_EQ_INT(om.year, 2024);
    ASSERT_EQ_INT(om.month, 3); /* the second m= is the minute */
    ASSERT_EQ_INT(om.day, 7);
    ASSERT_EQ_INT(om.hour, 9);
    /* VNet (a): full resource id */
    ASSERT(fl_objmeta_from_path(
        "insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/SUB1/RESOURCEGROUPS/"
        "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/"
        "FLOWLOGS/MYFLOWLOG/y=2025/m=01/d=02/h=03/m=00/macAddress=00-0D-3A-F8-78-56/PT1H.json",
        &om));
    ASSERT_EQ_STR(om.account, "SUB1");
    ASSERT_EQ_STR(om.resource_group, "NETWORKWATCHERRG");
    ASSERT_EQ_STR(om.region, "eastus");
    ASSERT_EQ_STR(om.resource, "MYFLOWLOG");
    ASSERT_EQ_STR(om.service, "flowlogflowevent");
    ASSERT_EQ_INT(om.hour, 3);
    /* VNet (b)/(c): {sub}_{RG}/NETWORKWATCHER_{REGION}_{name} */
    ASSERT(fl_objmeta_from_path(
        "insights-logs-flowlogflowevent/flowLogResourceID=/B0D432B7-AAAA-255DF_NETWORKWATCHERRG/"
        "NETWORKWATCHER_EASTUS_VNET-EUS-COMMON-RG-COMMON-FLOWLOG/y=2026/m=07/d=07/h=15/m=00/"
        "macAddress=112233445566/PT1H.json",
        &om));
    ASSERT_EQ_STR(om.account, "B0D432B7-AAAA-255DF");
    ASSERT_EQ_STR(om.resource_group, "NETWORKWATCHERRG");
    ASSERT_EQ_STR(om.region, "eastus");
    ASSERT_EQ_STR(om.resource, "VNET-EUS-COMMON-RG-COMMON-FLOWLOG");
    ASSERT_EQ_STR(om.mac, "112233445566");
    ASSERT_EQ_INT(om.year, 2026);
    ASSERT_EQ_INT(om.day, 7);
}

TEST(objmeta_gcp)
{
    struct fl_objmeta om;
    ASSERT(fl_objmeta_from_path(
        "gs://my-bucket/compute.googleapis.com/vpc_flows/2024/05/06/07:00:00_07:59:59_S0.json", &om));
    ASSERT_EQ_STR(om.cloud, "gcp");
    ASSERT_EQ_STR(om.service, "vpc_flows");
    ASSERT_EQ_INT(om.year, 2024);
    ASSERT_EQ_INT(om.month, 5);
    ASSERT_EQ_INT(om.day, 6);
    ASSERT_EQ_INT(om.hour, 7);
}

/* ---- tokenizer and format spec ------------------------------------------- */

TEST(tokenize_runs_of_spaces)
{
    struct fl_str t[8];
    const char *s = "  a bb  ccc   d ";
    size_t k = fl__aws_tokenize(s, strlen(s), ' ', t, 8);
    ASSERT_EQ_INT(k, 4);
    ASSERT_EQ_MEM(t[0].p, t[0].n, "a", 1);
    ASSERT_EQ_MEM(t[1].p, t[1].n, "bb", 2);
    ASSERT_EQ_MEM(t[2].p, t[2].n, "ccc", 3);
    ASSERT_EQ_MEM(t[3].p, t[3].n, "d", 1);
    /* more tokens than room: max + 1 */
    ASSERT_EQ_INT(fl__aws_tokenize(s, strlen(s), ' ', t, 2), 3);
    ASSERT_EQ_INT(fl__aws_tokenize("", 0, ' ', t, 8), 0);
    ASSERT_EQ_INT(fl__aws_tokenize("     ", 5, ' ', t, 8), 0);
    /* CSV keeps empty fields */
    ASSERT_EQ_INT(fl__aws_tokenize("a,,b", 4, ',', t, 8), 3);
    ASSERT_EQ_INT(t[1].n, 0);
}

/* The SSE2 path and the scalar path agree on every split position of a
 * long line with varied gaps (the 16-byte block edges). */
TEST(tokenize_block_edges)
{
    char line[400];
    for (int gap = 1; gap <= 4; gap++) {
        for (int shift = 0; shift < 17; shift++) {
            size_t n = 0;
            for (int i = 0; i < shift; i++)
                line[n++] = ' ';
            int words = 0;
            while (n < 300) {
                int wl = 1 + (words * 7 + shift) % 13;
                for (int i = 0; i < wl; i++)
                    line[n++] = (char)('a' + (words + i) % 26);
                words++;
                for (int i = 0; i < gap + (words % 3); i++)
                    line[n++] = ' ';
            }
            struct fl_str t[200];
            size_t k = fl__aws_tokenize(line, n, ' ', t, 200);
            ASSERT_EQ_INT(k, words);
            for (size_t i = 0; i < k; i++) {
                int wl = 1 + ((int)i * 7 + shift) % 13;
                ASSERT_EQ_INT(t[i].n, wl);
                ASSERT(t[i].p[0] == (char)('a' + (int)i % 26));
            }
        }
    }
}

TEST(format_spec)
{
    int cols[FL_AWS_MAX_FIELDS];
    struct fl_error err;
    const char *s = "${version} ${srcaddr}  ${pkt-dst-aws-service} ${no-such-field} ${log_status}";
    int k = fl__aws_parse_spec(s, strlen(s), cols, FL_AWS_MAX_FIELDS, &err);
    ASSERT_EQ_INT(k, 5);
    ASSERT_EQ_INT(cols[0], FL_COL_VERSION);
    ASSERT_EQ_INT(cols[1], FL_COL_SRCADDR);
    ASSERT_EQ_INT(cols[2], FL_COL_PKT_DST_AWS_SERVICE);
    ASSERT_EQ_INT(cols[3], -1);
    ASSERT_EQ_INT(cols[4], FL_COL_LOG_STATUS);
    ASSERT_EQ_INT(fl__aws_parse_spec("default", 7, cols, FL_AWS_MAX_FIELDS, &err), 14);
    ASSERT_EQ_INT(cols[13], FL_COL_LOG_STATUS);
    ASSERT_EQ_INT(fl__aws_parse_spec("tgw-default", 11, cols, FL_AWS_MAX_FIELDS, &err), 36);
    ASSERT_EQ_INT(cols[1], FL_COL_RESOURCE_TYPE);
    ASSERT_EQ_INT(cols[35], FL_COL_PKT_DST_AWS_SERVICE);
    ASSERT_EQ_INT(fl__aws_parse_spec("version srcaddr", 15, cols, FL_AWS_MAX_FIELDS, &err), 2);
    ASSERT(fl__aws_parse_spec("${version} ${bad field}", 23, cols, FL_AWS_MAX_FIELDS, &err) < 0);
    ASSERT(fl__aws_parse_spec("  ", 2, cols, FL_AWS_MAX_FIELDS, &err) < 0);
    ASSERT(fl__aws_parse_spec("${}", 3, cols, FL_AWS_MAX_FIELDS, &err) < 0);
}

/* ---- reader end to end --------------------------------------------------- */

static char tmpdir[] = "/tmp/fl_test_ingest_XXXXXX";

static const char *write_tmp(const char *name, const char *data, size_t n)
{
    static char path[256];
    static bool made;
    if (!made) {
        if (!mkdtemp(tmpdir))
            UNIT_FAIL("mkdtemp");
        made = true;
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        UNIT_FAIL("cannot write %s", path);
    fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

TEST(reader_lineage_nulls_int64)
{
    const char *data =
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status\r\n"
        "2 123456789012 eni-1 10.0.0.1 2001:DB8::1 443 - 6 9223372036854775807 1 10 20 ACCEPT OK\r\n"
        "\r\n"
        "2 unknown - - - - - - - - 10 20 - NODATA\n"
        "2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 70000 6 1 1 10 20 REJECT OK\n"
        "2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 70000 6 1 1 10 20 MAYBE OK";
    const char *path = write_tmp("x.log", data, strlen(data));
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    o.display_name = "AWSLogs/999988887777/vpcflowlogs/eu-north-1/2024/01/02/obj.log";
    fl_reader *r;
    struct fl_error err;
    ASSERT_EQ_INT(fl_reader_open(&r, path, &o, &err), 0);
    ASSERT_EQ_STR(fl_reader_format(r), "aws-vpc");
    struct fl_batch *b = fl_batch_new(0);
    ASSERT_EQ_INT(fl_reader_next(r, b, &err), 3);
    ASSERT_EQ_INT(fl_reader_next(r, b, &err), 0);
    const struct fl_ingest_stats *s = fl_reader_stats(r);
    ASSERT_EQ_INT(s->records_read, 4);
    ASSERT_EQ_INT(s->records_parsed, 3);
    ASSERT_EQ_INT(s->records_rejected, 1);
    ASSERT_EQ_INT(s->rejected[FL_REJ_BAD_ACTION], 1);
    ASSERT_EQ_INT(s->headers, 1);
    ASSERT_EQ_INT(s->blank, 1);
    ASSERT_EQ_INT(s->nodata, 1);
    ASSERT_EQ_INT(s->lines, 6);
    ASSERT_EQ_INT(s->n_samples, 1);
    ASSERT_EQ_INT(s->samples[0].line, 6);
    /* row 0 */
    ASSERT_EQ_INT(b->col[FL_COL_BYTES].i[0], 1);
    ASSERT_EQ_INT(b->col[FL_COL_PACKETS].i[0], INT64_MAX);
    ASSERT(fl_is_null(b, FL_COL_DSTPORT, 0));
    struct fl_str v = fl_get_str(b, FL_COL_DSTADDR, 0);
    ASSERT_EQ_MEM(v.p, v.n, "2001:DB8::1", 11); /* kept as given */
    v = fl_get_str(b, FL_COL_ACCOUNT, 0);
    ASSERT_EQ_MEM(v.p, v.n, "999988887777", 12); /* the path's account wins */
    v = fl_get_str(b, FL_COL_REGION, 0);
    ASSERT_EQ_MEM(v.p, v.n, "eu-north-1", 10);
    v = fl_get_str(b, FL_COL_SOURCE_OBJECT, 0);
    ASSERT_EQ_MEM(v.p, v.n, o.display_name, strlen(o.display_name));
    ASSERT_EQ_INT(b->col[FL_COL_SOURCE_OFFSET].i[0], 116); /* after the CRLF header */
    v = fl_get_str(b, FL_COL_CLOUD, 0);
    ASSERT_EQ_MEM(v.p, v.n, "aws", 3);
    ASSERT(fl_is_null(b, FL_COL_EXTRA, 0));
    ASSERT(fl_is_null(b, FL_COL_FLOW_STATE, 0));
    ASSERT(fl_is_null(b, FL_COL_SRC_COUNTRY, 0));
    /* row 1: NODATA, '-' is NULL in every type */
    v = fl_get_str(b, FL_COL_ACCOUNT_ID, 1);
    ASSERT_EQ_MEM(v.p, v.n, "unknown", 7);
    ASSERT(fl_is_null(b, FL_COL_INTERFACE_ID, 1));
    ASSERT(fl_is_null(b, FL_COL_PACKETS, 1));
    ASSERT(fl_is_null(b, FL_COL_ACTION, 1));
    ASSERT_EQ_INT(b->col[FL_COL_START].i[1], 10);
    /* row 2: dstport 70000 fits INT32 (ports are not range-checked beyond it) */
    ASSERT_EQ_INT(b->col[FL_COL_DSTPORT].i[2], 70000);
    /* the rows share one copy of the object name */
    ASSERT_EQ_INT(b->col[FL_COL_SOURCE_OBJECT].s[0].off, b->col[FL_COL_SOURCE_OBJECT].s[2].off);
    fl_reader_close(r);
    fl_batch_free(b);
}

/* A batch smaller than the input: rows continue correctly across batches
 * (lineage and string caches re-interned after each reset). */
TEST(reader_small_batches)
{
    char data[8192];
    size_t n = 0;
    n += (size_t)snprintf(data + n, sizeof data - n, "version account-id srcaddr action\n");
    for (int i = 0; i < 50; i++)
        n += (size_t)snprintf(data + n, sizeof data - n, "2 1111 10.0.0.%d %s\n", i,
                              i % 7 == 3 ? "BAD" : "ACCEPT");
    const char *path = write_tmp("small.log", data, n);
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    fl_reader *r;
    struct fl_error err;
    ASSERT_EQ_INT(fl_reader_open(&r, path, &o, &err), 0);
    struct fl_batch *b = fl_batch_new(4);
    int total = 0, got, last = -1;
    while ((got = fl_reader_next(r, b, &err)) > 0) {
        ASSERT(got <= 4);
        for (uint32_t i = 0; i < b->n; i++) {
            struct fl_str v = fl_get_str(b, FL_COL_SRCADDR, i);
            int oct = 0;
            for (size_t q = 7; q < v.n; q++)
                oct = oct * 10 + (v.p[q] - '0');
            ASSERT(oct > last);
            last = oct;
            v = fl_get_str(b, FL_COL_ACTION, i);
            ASSERT_EQ_MEM(v.p, v.n, "ACCEPT", 6);
            v = fl_get_str(b, FL_COL_ACCOUNT_ID, i);
            ASSERT_EQ_MEM(v.p, v.n, "1111", 4);
            ASSERT(!fl_is_null(b, FL_COL_SOURCE_OBJECT, i));
        }
        total += got;
        fl_batch_reset(b);
    }
    ASSERT_EQ_INT(got, 0);
    ASSERT_EQ_INT(total, 43);
    ASSERT_EQ_INT(fl_reader_stats(r)->records_rejected, 7);
    fl_reader_close(r);
    fl_batch_free(b);
}

TEST(reader_strict_and_errors)
{
    const char *data = "version srcaddr\n2 10.0.0.1\n2 10.0.0.300\n2 10.0.0.2\n";
    const char *path = write_tmp("strict.log", data, strlen(data));
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    o.strict = true;
    fl_reader *r;
    struct fl_error err;
    ASSERT_EQ_INT(fl_reader_open(&r, path, &o, &err), 0);
    struct fl_batch *b = fl_batch_new(0);
    int rc = fl_reader_next(r, b, &err);
    ASSERT_EQ_INT(rc, FL_EPARSE);
    ASSERT(strstr(err.msg, ":3: bad_ip: 2 10.0.0.300") != NULL);
    ASSERT_EQ_INT(err.line, 3);
    fl_reader_close(r);
    /* unknown forced format, missing file */
    o.strict = false;
    o.format = "no-such-format";
    ASSERT_EQ_INT(fl_reader_open(&r, path, &o, &err), FL_EINVAL);
    ASSERT(strstr(err.msg, "aws-vpc") != NULL);
    o.format = NULL;
    ASSERT_EQ_INT(fl_reader_open(&r, "/nonexistent/x.log", &o, &err), FL_EIO);
    ASSERT(r == NULL);
    ASSERT(strstr(err.msg, "/nonexistent/x.log") != NULL);
    fl_batch_free(b);
}

TEST(sniffing)
{
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    fl_reader *r;
    struct fl_error err;
    const char *cwl = "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[]}";
    ASSERT_EQ_INT(fl_reader_open(&r, write_tmp("p.json", cwl, strlen(cwl)), &o, &err), 0);
    ASSERT_EQ_STR(fl_reader_format(r), "aws-cwl");
    fl_reader_close(r);
    const char *hdr = "version account-id\n";
    ASSERT_EQ_INT(fl_reader_open(&r, write_tmp("q.json", hdr, strlen(hdr)), &o, &err), 0);
    ASSERT_EQ_STR(fl_reader_format(r), "aws-vpc"); /* content, not the name */
    fl_reader_close(r);
    const char bin[] = {'P', 'K', 3, 4, 0, 0, 1};
    ASSERT_EQ_INT(fl_reader_open(&r, write_tmp("z.log", bin, sizeof bin), &o, &err),
                  FL_EUNSUPPORTED);
    const char *const *names = fl_format_names();
    int has_vpc = 0, has_cwl = 0;
    for (int i = 0; names[i]; i++) {
        has_vpc |= strcmp(names[i], "aws-vpc") == 0;
        has_cwl |= strcmp(names[i], "aws-cwl") == 0;
    }
    ASSERT(has_vpc && has_cwl);
    ASSERT_EQ_STR(fl_reject_name(FL_REJ_LINE_TOO_LONG), "line_too_long");
}

/* Resume at a decompressed offset: offsets stay stream offsets and the
 * resume point is the end of the last complete line. */
TEST(reader_start_offset)
{
    const char *data = "2 10.0.0.1\n2 10.0.0.2\n2 10.0.0.3";
    const char *path = write_tmp("resume.log", data, strlen(data));
    struct fl_read_opts o;
    memset(&o, 0, sizeof o);
    o.aws_format = "${version} ${srcaddr}";
    o.start_offset = 11;
    fl_reader *r;
    struct fl_error err;
    ASSERT_EQ_INT(fl_reader_open(&r, path, &o, &err), 0);
    struct fl_batch *b = fl_batch_new(0);
    ASSERT_EQ_INT(fl_reader_next(r, b, &err), 2);
    ASSERT_EQ_INT(b->col[FL_COL_SOURCE_OFFSET].i[0], 11);
    ASSERT_EQ_INT(b->col[FL_COL_SOURCE_OFFSET].i[1], 22);
    struct fl_str v = fl_get_str(b, FL_COL_SRCADDR, 0);
    ASSERT_EQ_MEM(v.p, v.n, "10.0.0.2", 8);
    ASSERT_EQ_INT(fl_reader_next(r, b, &err), 0);
    ASSERT_EQ_INT(fl_reader_resume_offset(r), 32);
    fl_reader_close(r);
    fl_batch_free(b);
}

/* ---- line splitter ------------------------------------------------------- */

TEST(lines_cap_crlf)
{
    char data[3000];
    size_t n = 0;
    memcpy(data + n, "ab\r\n", 4), n += 4;
    memset(data + n, 'x', 1000), n += 1000;
    data[n++] = '\n';
    memcpy(data + n, "\r\nlast", 6), n += 6;
    const char *path = write_tmp("lines.txt", data, n);
    struct fl__input *in;
    struct fl_error err;
    ASSERT_EQ_INT(fl__input_open(&in, path, NULL, &err), 0);
    struct fl_ingest_stats st;
    memset(&st, 0, sizeof st);
    struct fl__lines *l = fl__lines_new(in, 300, &st);
    struct fl__line ln;
    ASSERT_EQ_INT(fl__lines_next(l, &ln, &err), 1);
    ASSERT_EQ_MEM(ln.p, ln.n, "ab", 2);
    ASSERT_EQ_INT(ln.offset, 0);
    ASSERT_EQ_INT(fl__lines_next(l, &ln, &err), 1);
    ASSERT(ln.too_long);
    ASSERT_EQ_INT(ln.lineno, 2);
    ASSERT_EQ_INT(ln.offset, 4);
    ASSERT_EQ_INT(fl__lines_next(l, &ln, &err), 1);
    ASSERT_EQ_INT(ln.n, 0); /* the empty CRLF line */
    ASSERT_EQ_INT(fl__lines_next(l, &ln, &err), 1);
    ASSERT_EQ_MEM(ln.p, ln.n, "last", 4); /* no final newline */
    ASSERT_EQ_INT(ln.lineno, 4);
    ASSERT_EQ_INT(ln.offset, 1007);
    ASSERT_EQ_INT(fl__lines_next(l, &ln, &err), 0);
    ASSERT_EQ_INT(st.lines, 4);
    fl__lines_free(l);
    fl__input_close(in);
}

TEST(stats_add)
{
    struct fl_ingest_stats a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    b.records_read = 5;
    b.records_parsed = 3;
    b.records_rejected = 2;
    b.rejected[FL_REJ_BAD_IP] = 2;
    b.n_samples = 7;
    fl_ingest_stats_add(&a, &b);
    fl_ingest_stats_add(&a, &b);
    ASSERT_EQ_INT(a.records_read, 10);
    ASSERT_EQ_INT(a.rejected[FL_REJ_BAD_IP], 4);
    ASSERT_EQ_INT(a.n_samples, FL_SAMPLES_MAX);
}

UNIT_MAIN()
