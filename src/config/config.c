/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - loading and validating flowsift.yaml.  The file is parsed with
 * libyaml's document API (every node keeps its line and column), walked
 * once, and turned into plain arrays that the enrichment and the detections
 * read through the accessors of fl_config.h.  Every problem - bad YAML, an
 * unknown key, a bad CIDR or value, an unreadable file named in the config -
 * stops the load with "file:line:col: message" before any data is touched.
 * A missing flowsift.yaml gives the defaults, which point the geo databases
 * at the free npm packages installed under node_modules.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "../common/common_int.h"
#include "fl/fl_config.h"

/* Caps on what a config may hold (hostile or accidental huge files). */
#define MAX_LIST 1000000   /* entries in any one list (assets, CIDRs) */
#define MAX_VISITS 4000000 /* node visits (alias bombs) */
#define MAX_STR 4096       /* one scalar */

struct fl_config {
    char *path;                   /* file loaded, or NULL */
    char *base_dir;               /* for relative paths */
    struct fl_config_storage storage;
    struct fl_cidr *internal;
    size_t n_internal, cap_internal;
    struct fl_config_vpc *vpcs;
    size_t n_vpcs, cap_vpcs;
    struct fl_config_asset *assets;
    size_t n_assets, cap_assets;
    struct fl_config_iface *ifaces;
    size_t n_ifaces, cap_ifaces;
    struct fl_config_geo geo;
    struct fl_config_intel *intel;
    size_t n_intel, cap_intel;
    struct fl_config_ranges *ranges;
    size_t n_ranges, cap_ranges;
    /* policy storage */
    struct fl_config_policy policy;
    char (*countries)[3];
    size_t cap_countries;
    struct fl_cidr *egress;
    size_t cap_egress;
    uint16_t *admin_ports;
    size_t cap_admin_ports;
    struct fl_config_tier_pair *pairs;
    size_t cap_pairs;
    struct fl_cidr *scanners;
    size_t cap_scanners;
    /* every string the config owns */
    char **strs;
    size_t n_strs, cap_strs;
};

/* Parse context. */
struct ctx {
    fl_config *c;
    yaml_document_t *doc;
    const char *name; /* file name for messages */
    struct fl_error *err;
    size_t visits;
};

/* ---- helpers ------------------------------------------------------------ */

/* Grow an array to hold `need` elements (capped). */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return FL_OK;
    if (need > MAX_LIST)
        return FL_ELIMIT;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    void *q = fl_realloc(*p, n * elem);
    if (!q)
        return FL_ENOMEM;
    *p = q;
    *cap = n;
    return FL_OK;
}

static char *own(fl_config *c, const char *s, size_t n)
{
    if (grow((void **)&c->strs, &c->cap_strs, c->n_strs + 1, sizeof *c->strs))
        return NULL;
    char *d = fl_strndup(s, n);
    if (d)
        c->strs[c->n_strs++] = d;
    return d;
}

static int errat(struct ctx *x, const yaml_node_t *nd, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int errat(struct ctx *x, const yaml_node_t *nd, int rc, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    unsigned long line = nd ? (unsigned long)nd->start_mark.line + 1 : 0;
    unsigned long col = nd ? (unsigned long)nd->start_mark.column + 1 : 0;
    fl_error_set(x->err, rc, "%s:%lu:%lu: %s", x->name, line, col, m);
    fl_error_where(x->err, x->name, line, 0);
    return rc;
}

static yaml_node_t *node(struct ctx *x, int idx)
{
    return yaml_document_get_node(x->doc, idx);
}

static bool is_scalar(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE; }
static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }
static size_t slen(const yaml_node_t *n) { return n->data.scalar.length; }

static const char *kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static int want(struct ctx *x, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    if (++x->visits > MAX_VISITS)
        return errat(x, n, FL_ELIMIT, "config too complex (aliases?)");
    if (n->type != t)
        return errat(x, n, FL_EPARSE, "%s must be %s, not %s", what,
                     t == YAML_SCALAR_NODE ? "a value" :
                     t == YAML_SEQUENCE_NODE ? "a list" : "a mapping", kind(n));
    if (t == YAML_SCALAR_NODE && slen(n) > MAX_STR)
        return errat(x, n, FL_ELIMIT, "%s is longer than %d bytes", what, MAX_STR);
    return FL_OK;
}

static bool key_is(const yaml_node_t *k, const char *s)
{
    return is_scalar(k) && slen(k) == strlen(s) && memcmp(sval(k), s, slen(k)) == 0;
}

/* Iterate a mapping: checks keys are scalars and unique. */
#define MAP_EACH(x, map, k, v)                                                 \
    for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start;               \
         p_ < (map)->data.mapping.pairs.top &&                                 \
         ((k) = node((x), p_->key), (v) = node((x), p_->value), 1);            \
         p_++)

static int check_keys(struct ctx *x, yaml_node_t *map, const char *where,
                      const char *const *allowed)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(x, p->key);
        FL_TRY(want(x, k, YAML_SCALAR_NODE, "a key"));
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= key_is(k, allowed[i]);
        if (!ok) {
            char list[256] = "";
            size_t len = 0;
            for (size_t i = 0; allowed[i] && len < sizeof list; i++) {
                int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", allowed[i]);
                if (w < 0)
                    break;
                len += (size_t)w;
            }
            return errat(x, k, FL_EPARSE, "unknown key '%.*s' in %s (expected one of: %s)",
                         (int)FL_MIN(slen(k), 64), sval(k), where, list);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = node(x, q->key);
            if (is_scalar(k2) && slen(k2) == slen(k) && memcmp(sval(k2), sval(k), slen(k)) == 0)
                return errat(x, k, FL_EPARSE, "duplicate key '%.*s' in %s (first at line %lu)",
                             (int)FL_MIN(slen(k), 64), sval(k), where,
                             (unsigned long)k2->start_mark.line + 1);
        }
    }
    return FL_OK;
}

static int get_bool(struct ctx *x, yaml_node_t *v, const char *what, bool *out)
{
    FL_TRY(want(x, v, YAML_SCALAR_NODE, what));
    const char *s = sval(v);
    size_t n = slen(v);
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (fl_str_ieq(s, n, yes[i], strlen(yes[i]))) {
            *out = true;
            return FL_OK;
        }
        if (fl_str_ieq(s, n, no[i], strlen(no[i]))) {
            *out = false;
            return FL_OK;
        }
    }
    return errat(x, v, FL_EPARSE, "%s must be true or false, not '%.*s'", what, (int)FL_MIN(n, 64), s);
}

static int get_int(struct ctx *x, yaml_node_t *v, const char *what, int64_t lo,
                   int64_t hi, int64_t *out)
{
    FL_TRY(want(x, v, YAML_SCALAR_NODE, what));
    int64_t i;
    if (fl_parse_i64(sval(v), slen(v), &i) != FL_OK || i < lo || i > hi)
        return errat(x, v, FL_EPARSE, "%s must be an integer from %lld to %lld, not '%.*s'",
                     what, (long long)lo, (long long)hi, (int)FL_MIN(slen(v), 64), sval(v));
    *out = i;
    return FL_OK;
}

static int get_cidr(struct ctx *x, yaml_node_t *v, const char *what, struct fl_cidr *out)
{
    FL_TRY(want(x, v, YAML_SCALAR_NODE, what));
    if (fl_cidr_parse(sval(v), slen(v), out) != FL_OK)
        return errat(x, v, FL_EPARSE, "bad CIDR '%.*s' in %s", (int)FL_MIN(slen(v), 64), sval(v), what);
    /* Host bits set (10.1.1.1/24) is almost always a typo: refuse it. */
    struct fl_ip ip;
    const char *slash = memchr(sval(v), '/', slen(v));
    if (slash && fl_ip_parse(sval(v), (size_t)(slash - sval(v)), &ip) == FL_OK &&
        memcmp(ip.b, out->ip.b, 16) != 0) {
        char buf[64];
        fl_cidr_format(out, buf, sizeof buf);
        return errat(x, v, FL_EPARSE, "CIDR '%.*s' in %s has host bits set (did you mean %s?)",
                     (int)FL_MIN(slen(v), 64), sval(v), what, buf);
    }
    return FL_OK;
}

/* A name: printable, no control bytes, 1..128 bytes. */
static int get_name(struct ctx *x, yaml_node_t *v, const char *what, const char **out)
{
    FL_TRY(want(x, v, YAML_SCALAR_NODE, what));
    size_t n = slen(v);
    if (n == 0 || n > 128)
        return errat(x, v, FL_EPARSE, "%s must be 1 to 128 characters", what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)sval(v)[i] < 0x20 || sval(v)[i] == 0x7f)
            return errat(x, v, FL_EPARSE, "%s contains a control character", what);
    *out = own(x->c, sval(v), n);
    return *out ? FL_OK : errat(x, v, FL_ENOMEM, "out of memory");
}

/* A path: resolved against the config's folder; must be a readable file. */
static int resolve_path(fl_config *c, const char *s, size_t n, const char **out)
{
    char buf[PATH_MAX];
    int w;
    if (n && s[0] != '/' && c->base_dir)
        w = snprintf(buf, sizeof buf, "%s/%.*s", c->base_dir, (int)n, s);
    else
        w = snprintf(buf, sizeof buf, "%.*s", (int)n, s);
    if (w < 0 || (size_t)w >= sizeof buf)
        return FL_ERANGE;
    *out = own(c, buf, (size_t)w);
    return *out ? FL_OK : FL_ENOMEM;
}

static int check_readable(struct ctx *x, yaml_node_t *v, const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
        int e = errno;
        errat(x, v, FL_EIO, "cannot read %s '%s': %s", what, path, strerror(e));
        if (x->err)
            x->err->sys_errno = e;
        return FL_EIO;
    }
    if (!S_ISREG(st.st_mode))
        return errat(x, v, FL_EIO, "%s '%s' is not a regular file", what, path);
    return FL_OK;
}

static int get_path(struct ctx *x, yaml_node_t *v, const char *what, const char **out)
{
    FL_TRY(want(x, v, YAML_SCALAR_NODE, what));
    if (slen(v) == 0)
        return errat(x, v, FL_EPARSE, "%s is empty", what);
    int rc = resolve_path(x->c, sval(v), slen(v), out);
    if (rc)
        return errat(x, v, rc, "%s: path too long", what);
    return check_readable(x, v, what, *out);
}

/* A path or a list of paths into arr[] (at most FL_CONFIG_MAX_FILES). */
static int get_paths(struct ctx *x, yaml_node_t *v, const char *what,
                     const char **arr, size_t *n)
{
    *n = 0;
    if (v->type == YAML_SCALAR_NODE)
        return get_path(x, v, what, &arr[(*n)++]);
    FL_TRY(want(x, v, YAML_SEQUENCE_NODE, what));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        if (*n >= FL_CONFIG_MAX_FILES)
            return errat(x, v, FL_ELIMIT, "%s: at most %d files", what, FL_CONFIG_MAX_FILES);
        FL_TRY(get_path(x, node(x, *it), what, &arr[*n]));
        (*n)++;
    }
    return FL_OK;
}

/* A list of CIDRs (or one). */
static int get_cidrs(struct ctx *x, yaml_node_t *v, const char *what,
                     struct fl_cidr **arr, size_t *n, size_t *cap)
{
    *n = 0;
    if (v->type == YAML_SCALAR_NODE) {
        if (grow((void **)arr, cap, 1, sizeof **arr))
            return errat(x, v, FL_ENOMEM, "out of memory");
        FL_TRY(get_cidr(x, v, what, &(*arr)[0]));
        *n = 1;
        return FL_OK;
    }
    FL_TRY(want(x, v, YAML_SEQUENCE_NODE, what));
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        if (grow((void **)arr, cap, *n + 1, sizeof **arr))
            return errat(x, v, FL_ELIMIT, "%s: too many entries", what);
        FL_TRY(get_cidr(x, node(x, *it), what, &(*arr)[*n]));
        (*n)++;
    }
    return FL_OK;
}

/* ---- sections ----------------------------------------------------------- */

static int do_storage(struct ctx *x, yaml_node_t *m)
{
    static const char *const keys[] = {"partition_by_hour", "codec", "row_group_rows",
                                       "retention_days", NULL};
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "storage"));
    FL_TRY(check_keys(x, m, "storage", keys));
    struct fl_config_storage *s = &x->c->storage;
    yaml_node_t *k, *v;
    MAP_EACH(x, m, k, v)
    {
        int64_t i;
        if (key_is(k, "partition_by_hour")) {
            FL_TRY(get_bool(x, v, "storage.partition_by_hour", &s->partition_by_hour));
        } else if (key_is(k, "codec")) {
            FL_TRY(want(x, v, YAML_SCALAR_NODE, "storage.codec"));
            static const char *const codecs[] = {"zstd", "snappy", "gzip", "none"};
            bool ok = false;
            for (size_t j = 0; j < 4 && !ok; j++)
                if (fl_str_ieq(sval(v), slen(v), codecs[j], strlen(codecs[j]))) {
                    fl_strlcpy(s->codec, codecs[j], strlen(codecs[j]), sizeof s->codec);
                    ok = true;
                }
            if (!ok)
                return errat(x, v, FL_EPARSE, "storage.codec must be zstd, snappy, gzip or none, not '%.*s'",
                             (int)FL_MIN(slen(v), 32), sval(v));
        } else if (key_is(k, "row_group_rows")) {
            FL_TRY(get_int(x, v, "storage.row_group_rows", 1024, 1 << 26, &i));
            s->row_group_rows = (uint64_t)i;
        } else if (key_is(k, "retention_days")) {
            FL_TRY(get_int(x, v, "storage.retention_days", 0, 36500, &i));
            s->retention_days = (int)i;
        }
    }
    return FL_OK;
}

static int do_geo(struct ctx *x, yaml_node_t *m)
{
    static const char *const keys[] = {"enabled", "country_mmdb", "asn_mmdb", "asn_csv", NULL};
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "geo"));
    FL_TRY(check_keys(x, m, "geo", keys));
    struct fl_config_geo *g = &x->c->geo;
    yaml_node_t *k, *v;
    bool asn_set = false;
    MAP_EACH(x, m, k, v)
    {
        if (key_is(k, "enabled")) {
            FL_TRY(get_bool(x, v, "geo.enabled", &g->enabled));
        } else if (key_is(k, "country_mmdb")) {
            FL_TRY(get_paths(x, v, "geo.country_mmdb", g->country_mmdb, &g->n_country_mmdb));
            g->country_default = false;
        } else if (key_is(k, "asn_mmdb")) {
            if (!asn_set)
                g->n_asn_csv = 0;
            FL_TRY(get_paths(x, v, "geo.asn_mmdb", g->asn_mmdb, &g->n_asn_mmdb));
            g->asn_default = false;
            asn_set = true;
        } else if (key_is(k, "asn_csv")) {
            if (!asn_set)
                g->n_asn_mmdb = 0;
            FL_TRY(get_paths(x, v, "geo.asn_csv", g->asn_csv, &g->n_asn_csv));
            g->asn_default = false;
            asn_set = true;
        }
    }
    return FL_OK;
}

static int do_internal(struct ctx *x, yaml_node_t *v)
{
    fl_config *c = x->c;
    return get_cidrs(x, v, "internal_cidrs", &c->internal, &c->n_internal, &c->cap_internal);
}

static int do_vpcs(struct ctx *x, yaml_node_t *m)
{
    fl_config *c = x->c;
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "vpcs"));
    yaml_node_t *k, *v;
    MAP_EACH(x, m, k, v)
    {
        if (grow((void **)&c->vpcs, &c->cap_vpcs, c->n_vpcs + 1, sizeof *c->vpcs))
            return errat(x, k, FL_ELIMIT, "too many VPCs");
        struct fl_config_vpc *vp = &c->vpcs[c->n_vpcs];
        memset(vp, 0, sizeof *vp);
        FL_TRY(get_name(x, k, "a VPC name", &vp->name));
        for (size_t i = 0; i < c->n_vpcs; i++)
            if (strcmp(c->vpcs[i].name, vp->name) == 0)
                return errat(x, k, FL_EPARSE, "duplicate VPC '%s'", vp->name);
        struct fl_cidr *arr = NULL;
        size_t n = 0, cap = 0;
        int rc = get_cidrs(x, v, "vpcs", &arr, &n, &cap);
        vp->cidrs = arr;
        vp->n_cidrs = n;
        c->n_vpcs++;
        if (rc)
            return rc;
        if (n == 0)
            return errat(x, v, FL_EPARSE, "VPC '%s' has no CIDRs", vp->name);
    }
    return FL_OK;
}

static int add_asset(struct ctx *x, yaml_node_t *cidr_node, yaml_node_t *v, yaml_node_t *item)
{
    fl_config *c = x->c;
    if (grow((void **)&c->assets, &c->cap_assets, c->n_assets + 1, sizeof *c->assets))
        return errat(x, cidr_node ? cidr_node : item, FL_ELIMIT, "too many assets");
    struct fl_config_asset *a = &c->assets[c->n_assets];
    memset(a, 0, sizeof *a);
    if (cidr_node)
        FL_TRY(get_cidr(x, cidr_node, "assets", &a->cidr));
    a->line = (uint32_t)((cidr_node ? cidr_node : item)->start_mark.line + 1);
    if (v && v->type == YAML_SCALAR_NODE) { /* 10.0.0.0/24: frontend */
        FL_TRY(get_name(x, v, "an asset name", &a->name));
    } else if (v) {
        static const char *const keys[] = {"name", "tier", "env", "cidr", NULL};
        FL_TRY(want(x, v, YAML_MAPPING_NODE, "an asset"));
        FL_TRY(check_keys(x, v, "an asset", keys));
        yaml_node_t *k2, *v2;
        bool have_cidr = cidr_node != NULL;
        MAP_EACH(x, v, k2, v2)
        {
            if (key_is(k2, "name"))
                FL_TRY(get_name(x, v2, "asset name", &a->name));
            else if (key_is(k2, "tier"))
                FL_TRY(get_name(x, v2, "asset tier", &a->tier));
            else if (key_is(k2, "env"))
                FL_TRY(get_name(x, v2, "asset env", &a->env));
            else if (key_is(k2, "cidr")) {
                if (cidr_node)
                    return errat(x, k2, FL_EPARSE, "asset has a CIDR key already");
                FL_TRY(get_cidr(x, v2, "assets", &a->cidr));
                a->line = (uint32_t)(v2->start_mark.line + 1);
                have_cidr = true;
            }
        }
        if (!have_cidr)
            return errat(x, v, FL_EPARSE, "asset without a cidr");
        if (!a->name && !a->tier && !a->env)
            return errat(x, v, FL_EPARSE, "asset needs a name, tier or env");
    }
    c->n_assets++;
    return FL_OK;
}

static int do_assets(struct ctx *x, yaml_node_t *m)
{
    if (m->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = m->data.sequence.items.start; it < m->data.sequence.items.top; it++)
            FL_TRY(add_asset(x, NULL, node(x, *it), node(x, *it)));
        return FL_OK;
    }
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "assets"));
    yaml_node_t *k, *v;
    MAP_EACH(x, m, k, v)
    FL_TRY(add_asset(x, k, v, k));
    return FL_OK;
}

static int asset_cmp(const void *a, const void *b)
{
    const struct fl_config_asset *x = a, *y = b;
    int r = memcmp(x->cidr.ip.b, y->cidr.ip.b, 16);
    if (r)
        return r;
    if (x->cidr.bits != y->cidr.bits)
        return x->cidr.bits < y->cidr.bits ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Duplicate CIDRs in the asset map would make "longest prefix wins"
 * ambiguous: refuse them, naming both lines. */
static int check_asset_dups(struct ctx *x)
{
    fl_config *c = x->c;
    if (c->n_assets < 2)
        return FL_OK;
    struct fl_config_asset *tmp = fl_malloc(c->n_assets * sizeof *tmp);
    if (!tmp)
        return fl_error_set(x->err, FL_ENOMEM, "out of memory");
    memcpy(tmp, c->assets, c->n_assets * sizeof *tmp);
    qsort(tmp, c->n_assets, sizeof *tmp, asset_cmp);
    for (size_t i = 1; i < c->n_assets; i++)
        if (tmp[i].cidr.bits == tmp[i - 1].cidr.bits &&
            memcmp(tmp[i].cidr.ip.b, tmp[i - 1].cidr.ip.b, 16) == 0) {
            char buf[64];
            fl_cidr_format(&tmp[i].cidr, buf, sizeof buf);
            unsigned long l1 = tmp[i - 1].line, l2 = tmp[i].line;
            fl_free(tmp);
            fl_error_set(x->err, FL_EPARSE, "%s:%lu:1: duplicate asset CIDR %s (first at line %lu)",
                         x->name, l2, buf, l1);
            fl_error_where(x->err, x->name, l2, 0);
            return FL_EPARSE;
        }
    fl_free(tmp);
    return FL_OK;
}

static int do_ifaces(struct ctx *x, yaml_node_t *m)
{
    fl_config *c = x->c;
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "interfaces"));
    yaml_node_t *k, *v;
    MAP_EACH(x, m, k, v)
    {
        if (grow((void **)&c->ifaces, &c->cap_ifaces, c->n_ifaces + 1, sizeof *c->ifaces))
            return errat(x, k, FL_ELIMIT, "too many interfaces");
        struct fl_config_iface *f = &c->ifaces[c->n_ifaces];
        FL_TRY(get_name(x, k, "an interface id", &f->interface_id));
        FL_TRY(want(x, v, YAML_SCALAR_NODE, "an interface address"));
        if (fl_ip_parse(sval(v), slen(v), &f->ip) != FL_OK)
            return errat(x, v, FL_EPARSE, "bad address '%.*s' for interface %s",
                         (int)FL_MIN(slen(v), 64), sval(v), f->interface_id);
        c->n_ifaces++;
    }
    return FL_OK;
}

static bool good_list_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int add_intel(struct ctx *x, yaml_node_t *namenode, yaml_node_t *filenode)
{
    fl_config *c = x->c;
    if (grow((void **)&c->intel, &c->cap_intel, c->n_intel + 1, sizeof *c->intel))
        return errat(x, namenode, FL_ELIMIT, "too many intel lists");
    struct fl_config_intel *in = &c->intel[c->n_intel];
    FL_TRY(get_name(x, namenode, "an intel list name", &in->name));
    if (!good_list_name(in->name))
        return errat(x, namenode, FL_EPARSE,
                     "intel list name '%s' may contain only letters, digits, '_', '-', '.'", in->name);
    for (size_t i = 0; i < c->n_intel; i++)
        if (strcmp(c->intel[i].name, in->name) == 0)
            return errat(x, namenode, FL_EPARSE, "duplicate intel list '%s'", in->name);
    FL_TRY(get_path(x, filenode, "intel list file", &in->path));
    c->n_intel++;
    return FL_OK;
}

static int do_intel(struct ctx *x, yaml_node_t *m)
{
    yaml_node_t *k, *v;
    if (m->type == YAML_MAPPING_NODE) { /* name: file */
        MAP_EACH(x, m, k, v)
        FL_TRY(add_intel(x, k, v));
        return FL_OK;
    }
    FL_TRY(want(x, m, YAML_SEQUENCE_NODE, "intel"));
    static const char *const keys[] = {"name", "file", NULL};
    for (yaml_node_item_t *it = m->data.sequence.items.start; it < m->data.sequence.items.top; it++) {
        yaml_node_t *e = node(x, *it), *nn = NULL, *fn = NULL;
        FL_TRY(want(x, e, YAML_MAPPING_NODE, "an intel list"));
        FL_TRY(check_keys(x, e, "an intel list", keys));
        MAP_EACH(x, e, k, v)
        {
            if (key_is(k, "name"))
                nn = v;
            else
                fn = v;
        }
        if (!nn || !fn)
            return errat(x, e, FL_EPARSE, "an intel list needs a name and a file");
        FL_TRY(add_intel(x, nn, fn));
    }
    return FL_OK;
}

static int do_ranges(struct ctx *x, yaml_node_t *m)
{
    static const char *const keys[] = {"aws", "azure", NULL};
    fl_config *c = x->c;
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "cloud_ranges"));
    FL_TRY(check_keys(x, m, "cloud_ranges", keys));
    yaml_node_t *k, *v;
    MAP_EACH(x, m, k, v)
    {
        const char *paths[FL_CONFIG_MAX_FILES];
        size_t n = 0;
        bool aws = key_is(k, "aws");
        FL_TRY(get_paths(x, v, aws ? "cloud_ranges.aws" : "cloud_ranges.azure", paths, &n));
        for (size_t i = 0; i < n; i++) {
            if (grow((void **)&c->ranges, &c->cap_ranges, c->n_ranges + 1, sizeof *c->ranges))
                return errat(x, v, FL_ENOMEM, "out of memory");
            c->ranges[c->n_ranges].kind = aws ? FL_RANGES_AWS : FL_RANGES_AZURE;
            c->ranges[c->n_ranges++].path = paths[i];
        }
    }
    return FL_OK;
}

static int tier_pair_from_text(struct ctx *x, yaml_node_t *v, struct fl_config_tier_pair *tp)
{
    /* "web -> app" or "web->app" */
    const char *s = sval(v), *arrow = NULL;
    size_t n = slen(v);
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '-' && s[i + 1] == '>') {
            arrow = s + i;
            break;
        }
    if (!arrow)
        return errat(x, v, FL_EPARSE, "tier pair '%.*s' must look like 'web -> app'", (int)FL_MIN(n, 64), s);
    const char *a = s, *ae = arrow, *b = arrow + 2, *be = s + n;
    while (a < ae && *a == ' ')
        a++;
    while (ae > a && ae[-1] == ' ')
        ae--;
    while (b < be && *b == ' ')
        b++;
    while (be > b && be[-1] == ' ')
        be--;
    if (a == ae || b == be)
        return errat(x, v, FL_EPARSE, "tier pair '%.*s' needs two tiers", (int)FL_MIN(n, 64), s);
    tp->src = own(x->c, a, (size_t)(ae - a));
    tp->dst = own(x->c, b, (size_t)(be - b));
    return tp->src && tp->dst ? FL_OK : errat(x, v, FL_ENOMEM, "out of memory");
}

static int do_policy(struct ctx *x, yaml_node_t *m)
{
    static const char *const keys[] = {"approved_countries", "approved_egress_cidrs", "admin_ports",
                                       "allowed_tier_pairs", "known_scanners", NULL};
    fl_config *c = x->c;
    struct fl_config_policy *pol = &c->policy;
    FL_TRY(want(x, m, YAML_MAPPING_NODE, "policy"));
    FL_TRY(check_keys(x, m, "policy", keys));
    yaml_node_t *k, *v;
    MAP_EACH(x, m, k, v)
    {
        if (key_is(k, "approved_countries")) {
            FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "policy.approved_countries"));
            size_t n = 0;
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                yaml_node_t *e = node(x, *it);
                FL_TRY(want(x, e, YAML_SCALAR_NODE, "a country"));
                const char *s = sval(e);
                bool ok = slen(e) == 2;
                char cc[3] = {0};
                for (size_t i = 0; ok && i < 2; i++) {
                    char ch = s[i];
                    if (ch >= 'a' && ch <= 'z')
                        ch = (char)(ch - 32);
                    ok = ch >= 'A' && ch <= 'Z';
                    cc[i] = ch;
                }
                if (!ok)
                    return errat(x, e, FL_EPARSE, "'%.*s' is not an ISO 3166 alpha-2 country code",
                                 (int)FL_MIN(slen(e), 32), s);
                if (grow((void **)&c->countries, &c->cap_countries, n + 1, sizeof *c->countries))
                    return errat(x, e, FL_ELIMIT, "too many countries");
                memcpy(c->countries[n++], cc, 3);
            }
            pol->approved_countries = (const char(*)[3])c->countries;
            pol->n_approved_countries = n;
        } else if (key_is(k, "approved_egress_cidrs")) {
            FL_TRY(get_cidrs(x, v, "policy.approved_egress_cidrs", &c->egress,
                             &pol->n_approved_egress_cidrs, &c->cap_egress));
            pol->approved_egress_cidrs = c->egress;
        } else if (key_is(k, "known_scanners")) {
            FL_TRY(get_cidrs(x, v, "policy.known_scanners", &c->scanners,
                             &pol->n_known_scanners, &c->cap_scanners));
            pol->known_scanners = c->scanners;
        } else if (key_is(k, "admin_ports")) {
            FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "policy.admin_ports"));
            size_t n = 0;
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                int64_t port;
                FL_TRY(get_int(x, node(x, *it), "an admin port", 1, 65535, &port));
                if (grow((void **)&c->admin_ports, &c->cap_admin_ports, n + 1, sizeof *c->admin_ports))
                    return errat(x, v, FL_ELIMIT, "too many admin ports");
                c->admin_ports[n++] = (uint16_t)port;
            }
            pol->admin_ports = c->admin_ports;
            pol->n_admin_ports = n;
        } else if (key_is(k, "allowed_tier_pairs")) {
            FL_TRY(want(x, v, YAML_SEQUENCE_NODE, "policy.allowed_tier_pairs"));
            size_t n = 0;
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                yaml_node_t *e = node(x, *it);
                if (grow((void **)&c->pairs, &c->cap_pairs, n + 1, sizeof *c->pairs))
                    return errat(x, e, FL_ELIMIT, "too many tier pairs");
                struct fl_config_tier_pair *tp = &c->pairs[n];
                if (e->type == YAML_SCALAR_NODE) {
                    FL_TRY(want(x, e, YAML_SCALAR_NODE, "a tier pair"));
                    FL_TRY(tier_pair_from_text(x, e, tp));
                } else {
                    FL_TRY(want(x, e, YAML_SEQUENCE_NODE, "a tier pair"));
                    yaml_node_item_t *s0 = e->data.sequence.items.start;
                    if (e->data.sequence.items.top - s0 != 2)
                        return errat(x, e, FL_EPARSE, "a tier pair is [src_tier, dst_tier]");
                    FL_TRY(get_name(x, node(x, s0[0]), "a tier", &tp->src));
                    FL_TRY(get_name(x, node(x, s0[1]), "a tier", &tp->dst));
                }
                n++;
            }
            pol->allowed_tier_pairs = c->pairs;
            pol->n_allowed_tier_pairs = n;
        }
    }
    return FL_OK;
}

static int do_root(struct ctx *x, yaml_node_t *root)
{
    static const char *const keys[] = {"version", "storage", "geo", "internal_cidrs", "vpcs",
                                       "assets", "interfaces", "intel", "cloud_ranges",
                                       "policy", NULL};
    if (!root) /* empty document: defaults */
        return FL_OK;
    if (root->type == YAML_SCALAR_NODE && slen(root) == 0)
        return FL_OK;
    FL_TRY(want(x, root, YAML_MAPPING_NODE, "the top level"));
    FL_TRY(check_keys(x, root, "the top level", keys));
    yaml_node_t *k, *v;
    MAP_EACH(x, root, k, v)
    {
        if (v->type == YAML_SCALAR_NODE && slen(v) == 0 && !key_is(k, "version"))
            continue; /* "assets:" with nothing under it */
        if (key_is(k, "version")) {
            int64_t ver;
            FL_TRY(get_int(x, v, "version", 1, 1, &ver));
        } else if (key_is(k, "storage"))
            FL_TRY(do_storage(x, v));
        else if (key_is(k, "geo"))
            FL_TRY(do_geo(x, v));
        else if (key_is(k, "internal_cidrs"))
            FL_TRY(do_internal(x, v));
        else if (key_is(k, "vpcs"))
            FL_TRY(do_vpcs(x, v));
        else if (key_is(k, "assets"))
            FL_TRY(do_assets(x, v));
        else if (key_is(k, "interfaces"))
            FL_TRY(do_ifaces(x, v));
        else if (key_is(k, "intel"))
            FL_TRY(do_intel(x, v));
        else if (key_is(k, "cloud_ranges"))
            FL_TRY(do_ranges(x, v));
        else if (key_is(k, "policy"))
            FL_TRY(do_policy(x, v));
    }
    return check_asset_dups(x);
}

/* ---- defaults ----------------------------------------------------------- */

static bool file_ok(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, R_OK) == 0;
}

/* Where the npm geo packages may be: $FLOWSIFT_GEO_DIR, ./node_modules, and
 * node_modules beside the folder of the running program (build dirs sit in
 * the source tree). */
static void default_geo(fl_config *c)
{
    struct fl_config_geo *g = &c->geo;
    char dirs[4][PATH_MAX];
    size_t nd = 0;
    const char *env = getenv("FLOWSIFT_GEO_DIR");
    if (env && *env)
        snprintf(dirs[nd++], PATH_MAX, "%s", env);
    snprintf(dirs[nd++], PATH_MAX, "node_modules/@ip-location-db");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *sl = strrchr(exe, '/');
        if (sl) {
            *sl = 0;
            snprintf(dirs[nd++], PATH_MAX, "%.*s/../node_modules/@ip-location-db", PATH_MAX - 64, exe);
            snprintf(dirs[nd++], PATH_MAX, "%.*s/../../node_modules/@ip-location-db", PATH_MAX - 64, exe);
        }
    }
    size_t pick = 0;
    char p[PATH_MAX + 64];
    for (size_t i = 0; i < nd; i++) {
        snprintf(p, sizeof p, "%.3000s/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb", dirs[i]);
        if (file_ok(p)) {
            pick = i;
            break;
        }
    }
    g->enabled = true;
    g->country_default = g->asn_default = true;
    snprintf(p, sizeof p, "%.3000s/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb", dirs[pick]);
    g->country_mmdb[0] = own(c, p, strlen(p));
    g->n_country_mmdb = g->country_mmdb[0] ? 1 : 0;
    snprintf(p, sizeof p, "%.3000s/asn/asn-ipv4.csv", dirs[pick]);
    g->asn_csv[0] = own(c, p, strlen(p));
    snprintf(p, sizeof p, "%.3000s/asn/asn-ipv6.csv", dirs[pick]);
    g->asn_csv[1] = own(c, p, strlen(p));
    g->n_asn_csv = g->asn_csv[0] && g->asn_csv[1] ? 2 : 0;
}

static const char *const default_internal[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                               "100.64.0.0/10", "fc00::/7"};
static const uint16_t default_admin_ports[] = {22, 3389, 2375, 6443};

static fl_config *config_new(void)
{
    fl_config *c = fl_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->storage.partition_by_hour = false;
    fl_strlcpy(c->storage.codec, "zstd", 4, sizeof c->storage.codec);
    c->storage.row_group_rows = 1u << 20;
    c->storage.retention_days = 0;
    if (grow((void **)&c->internal, &c->cap_internal, FL_ARRAY_LEN(default_internal),
             sizeof *c->internal))
        goto oom;
    for (size_t i = 0; i < FL_ARRAY_LEN(default_internal); i++)
        fl_cidr_parse(default_internal[i], strlen(default_internal[i]), &c->internal[i]);
    c->n_internal = FL_ARRAY_LEN(default_internal);
    if (grow((void **)&c->admin_ports, &c->cap_admin_ports, 4, sizeof *c->admin_ports))
        goto oom;
    memcpy(c->admin_ports, default_admin_ports, sizeof default_admin_ports);
    c->policy.admin_ports = c->admin_ports;
    c->policy.n_admin_ports = 4;
    default_geo(c);
    return c;
oom:
    fl_config_free(c);
    return NULL;
}

/* ---- public ------------------------------------------------------------- */

int fl_config_defaults(fl_config **out, struct fl_error *err)
{
    *out = config_new();
    return *out ? FL_OK : fl_error_set(err, FL_ENOMEM, "out of memory");
}

int fl_config_parse(fl_config **out, const char *text, size_t n, const char *name,
                    const char *base_dir, struct fl_error *err)
{
    *out = NULL;
    if (!name)
        name = "<config>";
    if (n > FL_CONFIG_MAX_BYTES)
        return fl_error_set(err, FL_ELIMIT, "%s: config larger than %u bytes", name,
                            FL_CONFIG_MAX_BYTES);
    fl_config *c = config_new();
    if (!c)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    if (base_dir && !(c->base_dir = fl_strdup(base_dir))) {
        fl_config_free(c);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fl_config_free(c);
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
    int rc = FL_OK;
    if (!yaml_parser_load(&parser, &doc)) {
        unsigned long line = (unsigned long)parser.problem_mark.line + 1;
        unsigned long col = (unsigned long)parser.problem_mark.column + 1;
        rc = fl_error_set(err, FL_EPARSE, "%s:%lu:%lu: bad YAML: %s%s%s", name, line, col,
                          parser.problem ? parser.problem : "syntax error",
                          parser.context ? " " : "", parser.context ? parser.context : "");
        fl_error_where(err, name, line, 0);
        yaml_parser_delete(&parser);
        fl_config_free(c);
        return rc;
    }
    struct ctx x = {c, &doc, name, err, 0};
    rc = do_root(&x, yaml_document_get_root_node(&doc));
    /* A second document in the same file is a mistake worth reporting. */
    if (rc == FL_OK) {
        yaml_document_t doc2;
        if (yaml_parser_load(&parser, &doc2)) {
            yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
            if (r2) {
                x.doc = &doc2;
                rc = errat(&x, r2, FL_EPARSE, "only one YAML document is allowed");
            }
            yaml_document_delete(&doc2);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        fl_config_free(c);
        return rc;
    }
    *out = c;
    return FL_OK;
}

int fl_config_load(fl_config **out, const char *home, const char *path, struct fl_error *err)
{
    *out = NULL;
    char buf[PATH_MAX];
    bool explicit_path = path != NULL;
    if (!path) {
        int w = snprintf(buf, sizeof buf, "%s/%s", home && *home ? home : ".", FL_CONFIG_FILE);
        if (w < 0 || (size_t)w >= sizeof buf)
            return fl_error_set(err, FL_ERANGE, "FLOWSIFT_HOME path too long");
        path = buf;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENOENT && !explicit_path)
            return fl_config_defaults(out, err);
        fl_error_sys(err, FL_EIO, e, "%s: cannot read config: %s", path, strerror(e));
        fl_error_where(err, path, 0, 0);
        return FL_EIO;
    }
    struct fl_buf b;
    fl_buf_init(&b, FL_CONFIG_MAX_BYTES);
    char chunk[65536];
    size_t got;
    int rc = FL_OK;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = fl_buf_add(&b, chunk, got)) != FL_OK)
            break;
    bool ioerr = ferror(f);
    fclose(f);
    if (rc || ioerr) {
        fl_buf_free(&b);
        if (rc == FL_ELIMIT)
            return fl_error_set(err, FL_ELIMIT, "%s: config larger than %u bytes", path,
                                FL_CONFIG_MAX_BYTES);
        return fl_error_set(err, rc ? rc : FL_EIO, "%s: cannot read config", path);
    }
    /* base dir = folder of the file */
    char dir[PATH_MAX];
    const char *sl = strrchr(path, '/');
    if (sl)
        fl_strlcpy(dir, path, (size_t)(sl - path) ? (size_t)(sl - path) : 1, sizeof dir);
    else
        fl_strlcpy(dir, ".", 1, sizeof dir);
    rc = fl_config_parse(out, b.p ? b.p : "", b.len, path, dir, err);
    fl_buf_free(&b);
    if (rc == FL_OK && !((*out)->path = fl_strdup(path))) {
        fl_config_free(*out);
        *out = NULL;
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    }
    return rc;
}

void fl_config_free(fl_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_strs; i++)
        fl_free(c->strs[i]);
    fl_free(c->strs);
    for (size_t i = 0; i < c->n_vpcs; i++)
        fl_free((void *)c->vpcs[i].cidrs);
    fl_free(c->vpcs);
    fl_free(c->internal);
    fl_free(c->assets);
    fl_free(c->ifaces);
    fl_free(c->intel);
    fl_free(c->ranges);
    fl_free(c->countries);
    fl_free(c->egress);
    fl_free(c->admin_ports);
    fl_free(c->pairs);
    fl_free(c->scanners);
    fl_free(c->path);
    fl_free(c->base_dir);
    fl_free(c);
}

const char *fl_config_path(const fl_config *c) { return c->path; }
const struct fl_config_storage *fl_config_storage(const fl_config *c) { return &c->storage; }

size_t fl_config_internal(const fl_config *c, const struct fl_cidr **out)
{
    *out = c->internal;
    return c->n_internal;
}
size_t fl_config_vpcs(const fl_config *c, const struct fl_config_vpc **out)
{
    *out = c->vpcs;
    return c->n_vpcs;
}
size_t fl_config_assets(const fl_config *c, const struct fl_config_asset **out)
{
    *out = c->assets;
    return c->n_assets;
}
size_t fl_config_ifaces(const fl_config *c, const struct fl_config_iface **out)
{
    *out = c->ifaces;
    return c->n_ifaces;
}
const struct fl_config_geo *fl_config_geo(const fl_config *c) { return &c->geo; }
size_t fl_config_intel(const fl_config *c, const struct fl_config_intel **out)
{
    *out = c->intel;
    return c->n_intel;
}
size_t fl_config_cloud_ranges(const fl_config *c, const struct fl_config_ranges **out)
{
    *out = c->ranges;
    return c->n_ranges;
}
const struct fl_config_policy *fl_config_policy(const fl_config *c) { return &c->policy; }

bool fl_config_country_approved(const fl_config *c, const char *cc)
{
    if (!c->policy.n_approved_countries)
        return true;
    if (!cc || !cc[0] || !cc[1])
        return false;
    char u0 = (char)(cc[0] >= 'a' && cc[0] <= 'z' ? cc[0] - 32 : cc[0]);
    char u1 = (char)(cc[1] >= 'a' && cc[1] <= 'z' ? cc[1] - 32 : cc[1]);
    for (size_t i = 0; i < c->policy.n_approved_countries; i++)
        if (c->policy.approved_countries[i][0] == u0 && c->policy.approved_countries[i][1] == u1)
            return true;
    return false;
}
