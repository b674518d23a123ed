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
        bool io = rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR;
        int e = io ? errno : 0;
        return fl_error_sys(err, io ? FL_EIO : FL_ECORRUPT, e, "%s: cannot open MaxMind DB: %s%s%s",
                            path, MMDB_strerror(rc), e ? ": " : "", e ? strerror(e) : "");
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

void fl__mmdb_decode(MMDB_entry_s *ent, char cc_out[3], uint32_t *asn_out,
                     const char **org_out, size_t *org_n)
{
    static const char *const p_cc1[] = {"country", "iso_code", NULL};
    static const char *const p_cc2[] = {"country_code", NULL};
    static const char *const p_cc3[] = {"registered_country", "iso_code", NULL};
    static const char *const p_org[] = {"autonomous_system_organization", NULL};
    static const char *const p_asn[] = {"autonomous_system_number", NULL};
    cc_out[0] = 0;
    *asn_out = 0;
    *org_out = NULL;
    *org_n = 0;
    const char *s;
    size_t n;
    if ((get_str(ent, &s, &n, p_cc1) || get_str(ent, &s, &n, p_cc2) ||
         get_str(ent, &s, &n, p_cc3)) && n == 2) {
        cc_out[0] = s[0];
        cc_out[1] = s[1];
        cc_out[2] = 0;
    }
    MMDB_entry_data_s d;
    if (MMDB_aget_value(ent, &d, p_asn) == MMDB_SUCCESS && d.has_data) {
        if (d.type == MMDB_DATA_TYPE_UINT32)
            *asn_out = d.uint32;
        else if (d.type == MMDB_DATA_TYPE_UINT16)
            *asn_out = d.uint16;
        else if (d.type == MMDB_DATA_TYPE_UINT64 && d.uint64 <= UINT32_MAX)
            *asn_out = (uint32_t)d.uint64;
    }
    if (get_str(ent, &s, &n, p_org)) {
        *org_out = s;
        *org_n = n;
    }
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
    fl__mmdb_decode(&r.entry, cc_out, asn_out, org_out, org_n);
}

/* ---- whole-tree walk ----------------------------------------------------- */

struct memo {
    uint32_t *key; /* data offset + 1 */
    uint32_t *val;
    uint32_t n, cap;
};

static int memo_get(struct memo *mo, MMDB_entry_s *ent, fl__mmdb_val_fn fn, void *ctx,
                    uint32_t *val)
{
    if ((mo->n + 1) * 2 > mo->cap) {
        uint32_t cap = mo->cap ? mo->cap * 2 : 4096;
        uint32_t *k = fl_calloc(cap, sizeof *k), *v = fl_calloc(cap, sizeof *v);
        if (!k || !v) {
            fl_free(k);
            fl_free(v);
            return FL_ENOMEM;
        }
        for (uint32_t i = 0; i < mo->cap; i++) {
            if (!mo->key[i])
                continue;
            uint32_t j = (uint32_t)fl_hash64(mo->key[i]) & (cap - 1);
            while (k[j])
                j = (j + 1) & (cap - 1);
            k[j] = mo->key[i];
            v[j] = mo->val[i];
        }
        fl_free(mo->key);
        fl_free(mo->val);
        mo->key = k;
        mo->val = v;
        mo->cap = cap;
    }
    uint32_t key = ent->offset + 1;
    uint32_t j = (uint32_t)fl_hash64(key) & (mo->cap - 1);
    while (mo->key[j]) {
        if (mo->key[j] == key) {
            *val = mo->val[j];
            return FL_OK;
        }
        j = (j + 1) & (mo->cap - 1);
    }
    mo->key[j] = key;
    mo->val[j] = *val = fn(ctx, ent);
    mo->n++;
    return FL_OK;
}

struct wframe {
    fl_u128 prefix;
    uint32_t node;
    uint32_t depth; /* over the 128-bit key */
};

#define V4BASE_MM (((fl_u128)0xffffu) << 32)

/* Walk the subtree at node (key prefix `prefix` of `depth` bits); skip
 * search nodes equal to `skip` (the IPv4 subtree, walked separately). */
static int walk_from(struct fl__mmdb *m, uint32_t node, uint32_t depth, fl_u128 prefix,
                     uint64_t skip, struct fl__rmap_builder *b, struct memo *mo,
                     fl__mmdb_val_fn fn, void *ctx)
{
    struct wframe st[272];
    size_t sp = 0;
    st[sp++] = (struct wframe){prefix, node, depth};
    while (sp) {
        struct wframe f = st[--sp];
        MMDB_search_node_s sn;
        if (MMDB_read_node(&m->db, f.node, &sn) != MMDB_SUCCESS)
            return FL_ECORRUPT;
        for (int side = 1; side >= 0; side--) {
            uint32_t d = f.depth + 1;
            if (d > 128)
                return FL_ECORRUPT;
            fl_u128 p = f.prefix | (side ? (fl_u128)1 << (128 - d) : 0);
            uint8_t type = side ? sn.right_record_type : sn.left_record_type;
            uint64_t rec = side ? sn.right_record : sn.left_record;
            if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
                if (rec == skip)
                    continue;
                if (sp >= sizeof st / sizeof st[0])
                    return FL_ECORRUPT;
                st[sp++] = (struct wframe){p, (uint32_t)rec, d};
            } else if (type == MMDB_RECORD_TYPE_DATA) {
                MMDB_entry_s ent = side ? sn.right_record_entry : sn.left_record_entry;
                uint32_t val;
                FL_TRY(memo_get(mo, &ent, fn, ctx, &val));
                if (!val)
                    continue;
                fl_u128 span = d == 0 ? ~(fl_u128)0 : (((fl_u128)1 << (128 - d)) - 1);
                FL_TRY(fl__rmap_add_range(b, p, p | span, val, 128 - d));
            }
        }
    }
    return FL_OK;
}

int fl__mmdb_walk(struct fl__mmdb *m, struct fl__rmap_builder *b, fl__mmdb_val_fn fn,
                  void *ctx, struct fl_error *err)
{
    struct memo mo = {0};
    int rc = FL_OK;
    if (m->db.metadata.ip_version == 4) {
        rc = walk_from(m, 0, 96, V4BASE_MM, UINT64_MAX, b, &mo, fn, ctx);
    } else {
        /* the IPv4 subtree: follow 96 zero bits from the root */
        uint64_t v4 = 0;
        bool have_v4 = true;
        for (int i = 0; i < 96 && have_v4; i++) {
            MMDB_search_node_s sn;
            if (MMDB_read_node(&m->db, (uint32_t)v4, &sn) != MMDB_SUCCESS ||
                sn.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
                have_v4 = false;
            else
                v4 = sn.left_record;
        }
        /* IPv4 first: the v4-mapped block sorts below 2000::/3, so the
         * ranges come out in order (the range map then skips its sort). */
        if (have_v4)
            rc = walk_from(m, (uint32_t)v4, 96, V4BASE_MM, UINT64_MAX, b, &mo, fn, ctx);
        if (rc == FL_OK)
            rc = walk_from(m, 0, 0, 0, have_v4 ? v4 : UINT64_MAX, b, &mo, fn, ctx);
    }
    fl_free(mo.key);
    fl_free(mo.val);
    if (rc)
        return fl_error_set(err, rc, "%s: %s while reading the MaxMind DB tree", m->path,
                            fl_strerror(rc));
    return FL_OK;
}
