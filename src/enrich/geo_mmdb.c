/* SPDX-License-Identifier: Apache-2.0 */
/*
 * geo_mmdb.c - country, ASN and AS organisation from MaxMind DB files
 * through libmaxminddb.  Works with the common layouts: GeoLite2/GeoIP2
 * Country and City (country.iso_code, falling back to
 * registered_country.iso_code), GeoLite2-ASN (autonomous_system_number,
 * autonomous_system_organization), DB-IP and ip-location-db country files
 * (country_code).  Files are memory-mapped (MMDB_MODE_MMAP), so opening a
 * database touches no pages until lookups do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "enrich_int.h"

int fl__mmdb_open(struct fl__mmdb *m, const char *path, struct fl_error *err)
{
    memset(m, 0, sizeof *m);
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &m->db);
    if (rc != MMDB_SUCCESS) {
        int e = rc == MMDB_IO_ERROR ? errno : 0;
        return fl_error_sys(err, rc == MMDB_IO_ERROR ? FL_EIO : FL_ECORRUPT, e,
                            "%s: cannot open MaxMind DB: %s", path, MMDB_strerror(rc));
    }
    m->open = true;
    fl_strlcpy(m->path, path, strlen(path), sizeof m->path);
    return FL_OK;
}

void fl__mmdb_close(struct fl__mmdb *m)
{
    if (m->open)
        MMDB_close(&m->db);
    m->open = false;
}

static bool get_str(MMDB_entry_s *ent, const char **s, size_t *n, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(ent, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return false;
    *s = d.utf8_string;
    *n = d.data_size;
    return true;
}

void fl__mmdb_lookup(struct fl__mmdb *m, const struct fl_ip *ip, char cc_out[3],
                     uint32_t *asn_out, const char **org_out, size_t *org_n)
{
    cc_out[0] = 0;
    *asn_out = 0;
    *org_out = NULL;
    *org_n = 0;
    if (!m->open)
        return;
    int mmerr = 0;
    MMDB_lookup_result_s r;
    if (fl_ip_is_v4(ip)) {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        memcpy(&sa.sin_addr, ip->b + 12, 4);
        r = MMDB_lookup_sockaddr(&m->db, (const struct sockaddr *)&sa, &mmerr);
    } else {
        if (m->db.metadata.ip_version != 6)
            return;
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
        memcpy(&sa.sin6_addr, ip->b, 16);
        r = MMDB_lookup_sockaddr(&m->db, (const struct sockaddr *)&sa, &mmerr);
    }
    if (mmerr != MMDB_SUCCESS || !r.found_entry)
        return;
    static const char *const p_cc1[] = {"country", "iso_code", NULL};
    static const char *const p_cc2[] = {"country_code", NULL};
    static const char *const p_cc3[] = {"registered_country", "iso_code", NULL};
    static const char *const p_org[] = {"autonomous_system_organization", NULL};
    static const char *const p_asn[] = {"autonomous_system_number", NULL};
    const char *s;
    size_t n;
    if ((get_str(&r.entry, &s, &n, p_cc1) || get_str(&r.entry, &s, &n, p_cc2) ||
         get_str(&r.entry, &s, &n, p_cc3)) && n == 2) {
        cc_out[0] = s[0];
        cc_out[1] = s[1];
        cc_out[2] = 0;
    }
    MMDB_entry_data_s d;
    if (MMDB_aget_value(&r.entry, &d, p_asn) == MMDB_SUCCESS && d.has_data) {
        if (d.type == MMDB_DATA_TYPE_UINT32)
            *asn_out = d.uint32;
        else if (d.type == MMDB_DATA_TYPE_UINT16)
            *asn_out = d.uint16;
        else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
            *asn_out = (uint32_t)d.uint64;
    }
    if (get_str(&r.entry, &s, &n, p_org)) {
        *org_out = s;
        *org_n = n;
    }
}
