/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cloudranges.c - the providers' published service ranges: AWS
 * ip-ranges.json ({"prefixes":[{"ip_prefix","service"}],"ipv6_prefixes":
 * [{"ipv6_prefix","service"}]}) and Azure Service Tags
 * ({"values":[{"name","properties":{"addressPrefixes":[...]}}]}).  Every
 * prefix goes into the range map with the service as its value.  A prefix
 * listed under several services resolves to the most specific one: longer
 * prefixes win, and on an equal prefix a named service (S3, Storage.EastUS)
 * beats the catch-all (AMAZON, AzureCloud).  Azure regional tags keep their
 * name without the region ("Storage.EastUS" -> "Storage").
 */
#include <errno.h>
#include <yajl/yajl_tree.h>

#include "enrich_int.h"

#define RANGES_MAX_BYTES (256u << 20)

static int read_all(const char *path, char **out, size_t *n_out, struct fl_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return fl_error_sys(err, FL_EIO, e, "%s: %s", path, strerror(e));
    }
    struct fl_buf b;
    fl_buf_init(&b, RANGES_MAX_BYTES);
    char chunk[65536];
    size_t got;
    int rc = FL_OK;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = fl_buf_add(&b, chunk, got)) != FL_OK)
            break;
    fclose(f);
    if (rc) {
        fl_buf_free(&b);
        return fl_error_set(err, rc, "%s: %s", path,
                            rc == FL_ELIMIT ? "file too large" : fl_strerror(rc));
    }
    fl_buf_cstr(&b);
    if (!b.p) {
        fl_buf_free(&b);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    *out = b.p;
    *n_out = b.len;
    return FL_OK;
}

static uint32_t svc_index(struct fl__cloud_svcs *s, struct fl__strpool *pool, const char *name,
                          size_t n, uint8_t provider)
{
    uint32_t id = fl__str_intern(pool, name, n);
    if (!id)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].name == id && s->v[i].provider == provider)
            return (uint32_t)i + 1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct fl__cloud_svc *v = fl_realloc(s->v, cap * sizeof *v);
        if (!v)
            return 0;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n] = (struct fl__cloud_svc){id, provider};
    return (uint32_t)++s->n;
}

static int add_prefix(struct fl__rmap_builder *b, const char *p, uint32_t val, bool generic)
{
    struct fl_cidr c;
    if (!p || fl_cidr_parse(p, strlen(p), &c) != FL_OK)
        return FL_EPARSE;
    return fl__rmap_add_cidr(b, &c, val, fl__prio_lpm(&c) * 2 + (generic ? 1 : 0));
}

static int load_aws(yajl_val root, struct fl__rmap_builder *b, struct fl__strpool *pool,
                    struct fl__cloud_svcs *svcs, uint64_t *bad)
{
    static const char *const keys[2][2] = {{"prefixes", "ip_prefix"}, {"ipv6_prefixes", "ipv6_prefix"}};
    int found = 0;
    for (int k = 0; k < 2; k++) {
        const char *path[] = {keys[k][0], NULL};
        yajl_val arr = yajl_tree_get(root, path, yajl_t_array);
        if (!arr)
            continue;
        found++;
        for (size_t i = 0; i < arr->u.array.len; i++) {
            yajl_val e = arr->u.array.values[i];
            const char *pp[] = {keys[k][1], NULL}, *sp[] = {"service", NULL};
            const char *pfx = YAJL_GET_STRING(yajl_tree_get(e, pp, yajl_t_string));
            const char *svc = YAJL_GET_STRING(yajl_tree_get(e, sp, yajl_t_string));
            if (!pfx || !svc || !*svc) {
                (*bad)++;
                continue;
            }
            uint32_t v = svc_index(svcs, pool, svc, strlen(svc), FL_RANGES_AWS);
            if (!v)
                return FL_ENOMEM;
            int rc = add_prefix(b, pfx, v, strcmp(svc, "AMAZON") == 0);
            if (rc == FL_EPARSE)
                (*bad)++;
            else if (rc)
                return rc;
        }
    }
    return found ? FL_OK : FL_EPARSE;
}

static int load_azure(yajl_val root, struct fl__rmap_builder *b, struct fl__strpool *pool,
                      struct fl__cloud_svcs *svcs, uint64_t *bad)
{
    const char *vp[] = {"values", NULL};
    yajl_val arr = yajl_tree_get(root, vp, yajl_t_array);
    if (!arr)
        return FL_EPARSE;
    for (size_t i = 0; i < arr->u.array.len; i++) {
        yajl_val e = arr->u.array.values[i];
        const char *np[] = {"name", NULL}, *ap[] = {"properties", "addressPrefixes", NULL};
        const char *name = YAJL_GET_STRING(yajl_tree_get(e, np, yajl_t_string));
        yajl_val pfx = yajl_tree_get(e, ap, yajl_t_array);
        if (!name || !*name || !pfx) {
            (*bad)++;
            continue;
        }
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        uint32_t v = svc_index(svcs, pool, name, n, FL_RANGES_AZURE);
        if (!v)
            return FL_ENOMEM;
        bool generic = n == 10 && memcmp(name, "AzureCloud", 10) == 0;
        for (size_t j = 0; j < pfx->u.array.len; j++) {
            int rc = add_prefix(b, YAJL_GET_STRING(pfx->u.array.values[j]), v, generic);
            if (rc == FL_EPARSE)
                (*bad)++;
            else if (rc)
                return rc;
        }
    }
    return FL_OK;
}

int fl__cloud_ranges_load(const char *path, enum fl_cloud_ranges_kind kind,
                          struct fl__rmap_builder *b, struct fl__strpool *pool,
                          struct fl__cloud_svcs *svcs, struct fl_error *err)
{
    char *text;
    size_t n;
    FL_TRY(read_all(path, &text, &n, err));
    char ebuf[256] = "";
    yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
    fl_free(text);
    if (!root) {
        char *nl = strchr(ebuf, '\n');
        if (nl)
            *nl = 0;
        return fl_error_set(err, FL_EPARSE, "%s: bad JSON: %s", path, ebuf);
    }
    uint64_t bad = 0;
    int rc = kind == FL_RANGES_AWS ? load_aws(root, b, pool, svcs, &bad)
                                   : load_azure(root, b, pool, svcs, &bad);
    yajl_tree_free(root);
    if (rc == FL_EPARSE)
        return fl_error_set(err, FL_EPARSE, "%s: not an %s file", path,
                            kind == FL_RANGES_AWS ? "AWS ip-ranges.json" : "Azure Service Tags");
    if (rc)
        return fl_error_set(err, rc, "%s: %s", path, fl_strerror(rc));
    if (bad)
        fl_warn("%s: %llu malformed entries ignored", path, (unsigned long long)bad);
    return FL_OK;
}
