/* SPDX-License-Identifier: Apache-2.0 */
/*
 * objmeta.c - what an object's path says about its records
 * (fl_objmeta_from_path): cloud, account, region, service, date and hour,
 * and for Azure the resource group, resource and NIC MAC.  Recognized:
 *  - AWS S3 keys `AWSLogs/{acct}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}[/{HH}]/`
 *    and the Hive-compatible spelling `aws-account-id=`, `aws-service=` (or
 *    `service=`, as the TGW guide prints it), `aws-region=`, `year=`,
 *    `month=`, `day=`, `hour=`; and the AWS file name
 *    `{acct}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz`;
 *  - Azure NSG blobs `resourceId=/SUBSCRIPTIONS/{sub}/RESOURCEGROUPS/{rg}/
 *    PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/{nsg}/y=/m=/d=/h=/m=00/
 *    macAddress={mac}/PT1H.json`, and the three VNet spellings of
 *    `flowLogResourceID=` (full resource id, or `{sub}_{RG}/NETWORKWATCHER_
 *    {REGION}_{name}`);
 *  - GCP Cloud Storage exports `.../compute.googleapis.com/vpc_flows/YYYY/MM/DD/
 *    HH:MM:SS_HH:MM:SS_S0.json` (also networkmanagement.googleapis.com).
 * Doc templates with placeholders (`account_id`, `year`) match the layout but
 * leave non-numeric date parts at -1.  Pure function: no allocation.
 */
#include <ctype.h>

#include "ingest_int.h"

#define MAX_SEGS 64

struct seg {
    const char *p;
    size_t n;
};

static bool seg_is(struct seg s, const char *lit)
{
    return fl_str_ieq(s.p, s.n, lit, strlen(lit));
}

/* If s starts with key (case-insensitive), return true and the value. */
static bool seg_kv(struct seg s, const char *key, struct seg *val)
{
    size_t k = strlen(key);
    if (s.n < k || !fl_str_ieq(s.p, k, key, k))
        return false;
    val->p = s.p + k;
    val->n = s.n - k;
    return true;
}

static void put(char *dst, size_t cap, const char *p, size_t n)
{
    fl_strlcpy(dst, p, n, cap);
}

static void put_lower(char *dst, size_t cap, const char *p, size_t n)
{
    size_t k = fl_strlcpy(dst, p, n, cap);
    for (size_t i = 0; i < k; i++)
        dst[i] = (char)tolower((unsigned char)dst[i]);
}

/* Decimal of exactly n digits in [lo, hi], else -1. */
static int num(const char *p, size_t n, int lo, int hi)
{
    if (n == 0 || n > 4)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

static int split(const char *path, struct seg *segs)
{
    int n = 0;
    const char *p = path;
    /* drop a URL scheme and host */
    const char *sch = strstr(p, "://");
    if (sch) {
        p = sch + 3;
        const char *sl = strchr(p, '/');
        p = sl ? sl + 1 : p + strlen(p);
    }
    while (*p && n < MAX_SEGS) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > 0)
            segs[n++] = (struct seg){p, len};
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

/* {acct}_vpcflowlogs_{region}_{fl-id}_{YYYYMMDDTHHmmZ}_{hash}.log[.gz] */
static bool aws_file_name(struct seg s, struct fl_objmeta *m)
{
    const char *us[8];
    int k = 0;
    for (size_t i = 0; i < s.n && k < 8; i++)
        if (s.p[i] == '_')
            us[k++] = s.p + i;
    if (k < 5)
        return false;
    struct seg svc = {us[0] + 1, (size_t)(us[1] - us[0] - 1)};
    if (!seg_is(svc, "vpcflowlogs"))
        return false;
    if (!m->account[0])
        put(m->account, sizeof m->account, s.p, (size_t)(us[0] - s.p));
    if (!m->region[0])
        put(m->region, sizeof m->region, us[1] + 1, (size_t)(us[2] - us[1] - 1));
    fl_strlcpy(m->service, "vpcflowlogs", 11, sizeof m->service);
    const char *t = us[3] + 1; /* YYYYMMDDTHHmmZ */
    if ((size_t)(us[4] - t) >= 14 && t[8] == 'T') {
        int y = num(t, 4, 1970, 9999), mo = num(t + 4, 2, 1, 12), d = num(t + 6, 2, 1, 31),
            h = num(t + 9, 2, 0, 23);
        if (y > 0 && mo > 0 && d > 0 && h >= 0) {
            if (m->year < 0) {
                m->year = y;
                m->month = mo;
                m->day = d;
            }
            if (m->hour < 0)
                m->hour = h;
        }
    }
    return true;
}

static bool aws_layout(struct seg *sg, int n, struct fl_objmeta *m)
{
    int i = 0;
    while (i < n && !seg_is(sg[i], "AWSLogs"))
        i++;
    bool found = false;
    if (i < n) {
        struct seg v;
        int j = i + 1;
        /* account */
        if (j < n) {
            if (seg_kv(sg[j], "aws-account-id=", &v))
                put(m->account, sizeof m->account, v.p, v.n);
            else
                put(m->account, sizeof m->account, sg[j].p, sg[j].n);
            j++;
        }
        /* service */
        if (j < n) {
            if (seg_kv(sg[j], "aws-service=", &v) || seg_kv(sg[j], "service=", &v))
                put(m->service, sizeof m->service, v.p, v.n);
            else
                put(m->service, sizeof m->service, sg[j].p, sg[j].n);
            j++;
            found = fl_str_ieq(m->service, strlen(m->service), "vpcflowlogs", 11);
        }
        if (found && j < n) {
            if (seg_kv(sg[j], "aws-region=", &v))
                put(m->region, sizeof m->region, v.p, v.n);
            else
                put(m->region, sizeof m->region, sg[j].p, sg[j].n);
            j++;
            /* year / month / day / hour, either bare or key=value; the
             * last segment of a key is the file name, not a date part */
            static const char *const keys[4] = {"year=", "month=", "day=", "hour="};
            int *dst[4] = {&m->year, &m->month, &m->day, &m->hour};
            static const int lo[4] = {1970, 1, 1, 0}, hi[4] = {9999, 12, 31, 23};
            for (int f = 0; f < 4 && j < n; f++, j++) {
                bool last = j == n - 1;
                if (seg_kv(sg[j], keys[f], &v)) {
                    *dst[f] = num(v.p, v.n, lo[f], hi[f]);
                } else {
                    bool digits = sg[j].n == (f == 0 ? 4u : 2u);
                    for (size_t q = 0; digits && q < sg[j].n; q++)
                        digits = sg[j].p[q] >= '0' && sg[j].p[q] <= '9';
                    bool placeholder = !digits && sg[j].n <= 5 && f < 3 &&
                                       (seg_is(sg[j], "year") || seg_is(sg[j], "month") ||
                                        seg_is(sg[j], "day"));
                    if (f == 3 && seg_is(sg[j], "hour") && !last)
                        break;
                    if (placeholder)
                        continue;
                    if (!digits || (f == 3 && last))
                        break;
                    *dst[f] = num(sg[j].p, sg[j].n, lo[f], hi[f]);
                }
            }
        }
    }
    if (n > 0 && aws_file_name(sg[n - 1], m))
        found = true;
    if (found)
        fl_strlcpy(m->cloud, "aws", 3, sizeof m->cloud);
    return found;
}

/* Parse "NETWORKWATCHER_{REGION}_{name}" (b/c spellings) or the full id. */
static bool azure_layout(struct seg *sg, int n, struct fl_objmeta *m)
{
    int i = 0;
    struct seg v;
    bool nsg = false, vnet = false;
    for (; i < n; i++) {
        if (seg_kv(sg[i], "resourceId=", &v)) {
            nsg = true;
            break;
        }
        if (seg_kv(sg[i], "flowLogResourceID=", &v)) {
            vnet = true;
            break;
        }
    }
    if (!nsg && !vnet)
        return false;
    fl_strlcpy(m->cloud, "azure", 5, sizeof m->cloud);
    /* container name insights-logs-<category> before it */
    if (i > 0 && seg_kv(sg[i - 1], "insights-logs-", &v))
        put_lower(m->service, sizeof m->service, v.p, v.n);
    else
        fl_strlcpy(m->service, nsg ? "networksecuritygroupflowevent" : "flowlogflowevent",
                   nsg ? 29 : 16, sizeof m->service);
    int j = i + 1;
    int mcount = 0;
    for (; j < n; j++) {
        struct seg s = sg[j];
        if (seg_is(s, "SUBSCRIPTIONS") && j + 1 < n) {
            put(m->account, sizeof m->account, sg[j + 1].p, sg[j + 1].n);
            j++;
        } else if (seg_is(s, "RESOURCEGROUPS") && j + 1 < n) {
            put(m->resource_group, sizeof m->resource_group, sg[j + 1].p, sg[j + 1].n);
            j++;
        } else if ((seg_is(s, "NETWORKSECURITYGROUPS") || seg_is(s, "FLOWLOGS")) && j + 1 < n) {
            put(m->resource, sizeof m->resource, sg[j + 1].p, sg[j + 1].n);
            j++;
        } else if (seg_is(s, "PROVIDERS") || seg_is(s, "MICROSOFT.NETWORK") ||
                   seg_is(s, "NETWORKWATCHERS")) {
            continue;
        } else if (seg_kv(s, "NETWORKWATCHER_", &v)) {
            /* {REGION} or {REGION}_{name} */
            const char *us = memchr(v.p, '_', v.n);
            size_t rl = us ? (size_t)(us - v.p) : v.n;
            put_lower(m->region, sizeof m->region, v.p, rl);
            if (us && !m->resource[0])
                put(m->resource, sizeof m->resource, us + 1, v.n - rl - 1);
        } else if (seg_kv(s, "y=", &v)) {
            m->year = num(v.p, v.n, 1970, 9999);
        } else if (seg_kv(s, "m=", &v)) {
            if (mcount++ == 0)
                m->month = num(v.p, v.n, 1, 12);
        } else if (seg_kv(s, "d=", &v)) {
            m->day = num(v.p, v.n, 1, 31);
        } else if (seg_kv(s, "h=", &v)) {
            m->hour = num(v.p, v.n, 0, 23);
        } else if (seg_kv(s, "macAddress=", &v)) {
            put(m->mac, sizeof m->mac, v.p, v.n);
        } else if (j == i + 1 && !m->account[0]) {
            /* {sub}_{RG} (portal / PowerShell spelling) */
            const char *us = memchr(s.p, '_', s.n);
            if (us) {
                put(m->account, sizeof m->account, s.p, (size_t)(us - s.p));
                put(m->resource_group, sizeof m->resource_group, us + 1,
                    s.n - (size_t)(us - s.p) - 1);
            } else {
                put(m->account, sizeof m->account, s.p, s.n);
            }
        }
    }
    return true;
}

static bool gcp_layout(struct seg *sg, int n, struct fl_objmeta *m)
{
    for (int i = 0; i + 1 < n; i++) {
        if ((seg_is(sg[i], "compute.googleapis.com") ||
             seg_is(sg[i], "networkmanagement.googleapis.com")) &&
            seg_is(sg[i + 1], "vpc_flows")) {
            fl_strlcpy(m->cloud, "gcp", 3, sizeof m->cloud);
            fl_strlcpy(m->service, "vpc_flows", 9, sizeof m->service);
            int j = i + 2;
            if (j + 2 < n) {
                m->year = num(sg[j].p, sg[j].n, 1970, 9999);
                m->month = num(sg[j + 1].p, sg[j + 1].n, 1, 12);
                m->day = num(sg[j + 2].p, sg[j + 2].n, 1, 31);
                if (j + 3 < n && sg[j + 3].n >= 3 && sg[j + 3].p[2] == ':')
                    m->hour = num(sg[j + 3].p, 2, 0, 23);
            }
            return true;
        }
    }
    return false;
}

bool fl_objmeta_from_path(const char *path, struct fl_objmeta *out)
{
    memset(out, 0, sizeof *out);
    out->year = out->month = out->day = out->hour = -1;
    if (!path)
        return false;
    struct seg sg[MAX_SEGS];
    int n = split(path, sg);
    if (azure_layout(sg, n, out))
        return true;
    if (gcp_layout(sg, n, out))
        return true;
    if (aws_layout(sg, n, out))
        return true;
    /* nothing matched: forget partial AWS guesses */
    memset(out, 0, sizeof *out);
    out->year = out->month = out->day = out->hour = -1;
    return false;
}
