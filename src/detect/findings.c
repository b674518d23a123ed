/* SPDX-License-Identifier: Apache-2.0 */
/*
 * findings.c - the detection state in state.db (component "detect"):
 * findings (one per rule + entity key), their hits per time bucket (the
 * unit of idempotency: re-evaluating a bucket replaces its hits),
 * suppressions (rule and/or entity, CIDR or tag, expiry, reason), baselines,
 * first-seen sets and per-rule watermarks.  Also the noise control: a cap
 * of new findings per rule per run, suppressed findings recorded but not
 * notified, and re-notification only on escalation or on the rule's
 * schedule when the finding grew.
 */
#include <stdlib.h>

#include "detect/detect_int.h"

static const struct fl_migration migrations[] = {
    {1, "findings",
     "CREATE TABLE findings("
     " id INTEGER PRIMARY KEY, rule TEXT NOT NULL, entity TEXT NOT NULL,"
     " entity_json TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', attack TEXT NOT NULL DEFAULT '',"
     " base_severity INTEGER NOT NULL, severity INTEGER NOT NULL,"
     " first_seen INTEGER, last_seen INTEGER, count INTEGER NOT NULL DEFAULT 0,"
     " buckets INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'open',"
     " status_reason TEXT, status_at INTEGER, evidence TEXT NOT NULL DEFAULT '[]',"
     " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, notified_at INTEGER,"
     " notified_severity INTEGER, notified_count INTEGER, dirty INTEGER NOT NULL DEFAULT 0,"
     " UNIQUE(rule, entity));"
     "CREATE INDEX findings_status ON findings(status, severity);"
     "CREATE TABLE finding_hits("
     " rule TEXT NOT NULL, finding INTEGER NOT NULL, bucket INTEGER NOT NULL,"
     " first_seen INTEGER, last_seen INTEGER, count INTEGER NOT NULL, severity INTEGER NOT NULL,"
     " evidence TEXT NOT NULL, PRIMARY KEY(finding, bucket));"
     "CREATE INDEX finding_hits_rule ON finding_hits(rule, bucket);"
     "CREATE TABLE suppressions("
     " id INTEGER PRIMARY KEY, rule TEXT, entity TEXT, cidr TEXT, tag TEXT,"
     " expires_at INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL, created_at INTEGER NOT NULL);"
     "CREATE TABLE baselines("
     " rule TEXT NOT NULL, entity TEXT NOT NULL, hour INTEGER NOT NULL, points INTEGER NOT NULL,"
     " mean REAL NOT NULL, sd REAL NOT NULL, updated_at INTEGER NOT NULL,"
     " PRIMARY KEY(rule, entity, hour));"
     "CREATE TABLE first_seen("
     " rule TEXT NOT NULL, entity TEXT NOT NULL, first_seen INTEGER NOT NULL,"
     " last_seen INTEGER NOT NULL, PRIMARY KEY(rule, entity));"
     "CREATE TABLE watermarks("
     " rule TEXT PRIMARY KEY, watermark INTEGER NOT NULL, history_start INTEGER NOT NULL,"
     " updated_at INTEGER NOT NULL, runs INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE bucket_counts("
     " bucket INTEGER PRIMARY KEY, records INTEGER NOT NULL, seen_at INTEGER NOT NULL);"},
};

int fl__det_migrate(fl_state *st, struct fl_error *err)
{
    return fl_state_migrate(st, "detect", migrations, (int)FL_ARRAY_LEN(migrations), err);
}

int fl_detect_state_open(fl_state **out, const char *home, struct fl_error *err)
{
    *out = NULL;
    fl_state *st = NULL;
    FL_TRY(fl_state_open(&st, home, err));
    int rc = fl__det_migrate(st, err);
    if (rc != FL_OK) {
        fl_state_close(st);
        return rc;
    }
    *out = st;
    return FL_OK;
}

/* ---- watermarks ----------------------------------------------------------- */
int fl__det_watermark_get(fl_state *st, const char *rule, int64_t *wm, int64_t *hist,
                          struct fl_error *err)
{
    fl_stmt *s;
    *wm = *hist = 0;
    FL_TRY(fl_stmt_prepare(st, "SELECT watermark, history_start FROM watermarks WHERE rule = ?", &s, err));
    fl_stmt_bind_text(s, 1, rule, strlen(rule));
    int rc = fl_stmt_step(s, err);
    if (rc == 1) {
        *wm = fl_stmt_i64(s, 0);
        *hist = fl_stmt_i64(s, 1);
    }
    fl_stmt_finalize(s);
    return rc < 0 ? rc : FL_OK;
}

int fl__det_watermark_set(fl_state *st, const char *rule, int64_t wm, int64_t hist, int64_t now,
                          struct fl_error *err)
{
    fl_stmt *s;
    FL_TRY(fl_stmt_prepare(st,
                           "INSERT INTO watermarks(rule, watermark, history_start, updated_at, runs) "
                           "VALUES(?1, ?2, ?3, ?4, 1) ON CONFLICT(rule) DO UPDATE SET "
                           "watermark = ?2, history_start = ?3, updated_at = ?4, runs = runs + 1",
                           &s, err));
    fl_stmt_bind_text(s, 1, rule, strlen(rule));
    fl_stmt_bind_i64(s, 2, wm);
    fl_stmt_bind_i64(s, 3, hist);
    fl_stmt_bind_i64(s, 4, now);
    int rc = fl_stmt_step(s, err);
    fl_stmt_finalize(s);
    return rc < 0 ? rc : FL_OK;
}

/* ---- suppression matching --------------------------------------------------- */
struct supp {
    char rule[64];
    char entity[512];
    bool has_cidr;
    struct fl_cidr cidr;
    char tag[128];
};

/* Does any value of the entity JSON parse as an address inside c? */
static bool entity_in_cidr(const char *entity, const struct fl_cidr *c)
{
    /* entity is "col=value,col=value" */
    const char *p = entity;
    while (p && *p) {
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        const char *v = eq + 1;
        const char *e = strchr(v, ',');
        size_t n = e ? (size_t)(e - v) : strlen(v);
        struct fl_ip ip;
        if (fl_ip_parse(v, n, &ip) == FL_OK && fl_cidr_contains(c, &ip))
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* "col=value" pairs of pat all present in entity. */
static bool entity_subset(const char *entity, const char *pat)
{
    if (!*pat)
        return true;
    if (strcmp(entity, pat) == 0)
        return true;
    const char *p = pat;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        const char *q = entity;
        while (*q) {
            const char *qe = strchr(q, ',');
            size_t qn = qe ? (size_t)(qe - q) : strlen(q);
            if (qn == n && memcmp(q, p, n) == 0)
                found = true;
            q = qe ? qe + 1 : q + qn;
        }
        if (!found)
            return false;
        p = e ? e + 1 : p + n;
    }
    return true;
}

static bool tag_in(const char *tags, const char *tag)
{
    if (!tags || !*tag)
        return false;
    char pat[140];
    snprintf(pat, sizeof pat, "\t%s\t", tag);
    return strstr(tags, pat) != NULL;
}

static bool supp_match(const struct supp *s, const char *rule, const char *entity, const char *tags)
{
    if (s->rule[0] && strcmp(s->rule, rule) != 0)
        return false;
    if (s->entity[0] && !entity_subset(entity, s->entity))
        return false;
    if (s->has_cidr && !entity_in_cidr(entity, &s->cidr))
        return false;
    if (s->tag[0] && !tag_in(tags, s->tag))
        return false;
    return true;
}

/* Active suppressions for rule (and the rule's own defaults). */
static int load_supps(fl_state *st, const struct fl_rule *r, int64_t now, struct supp **out,
                      int *n_out, struct fl_error *err)
{
    *out = NULL;
    *n_out = 0;
    int cap = r->n_suppress + 16, n = 0;
    struct supp *v = fl_calloc((size_t)cap, sizeof *v);
    if (!v)
        return fl_error_set(err, FL_ENOMEM, "out of memory");
    for (int i = 0; i < r->n_suppress; i++) {
        struct supp *s = &v[n++];
        snprintf(s->rule, sizeof s->rule, "%s", r->id);
        s->has_cidr = r->suppress[i].has_cidr;
        s->cidr = r->suppress[i].cidr;
        snprintf(s->tag, sizeof s->tag, "%s", r->suppress[i].tag);
    }
    fl_stmt *q;
    int rc = fl_stmt_prepare(st,
                             "SELECT coalesce(rule, ''), coalesce(entity, ''), coalesce(cidr, ''), "
                             "coalesce(tag, '') FROM suppressions WHERE (rule IS NULL OR rule = ?) "
                             "AND (expires_at = 0 OR expires_at > ?) ORDER BY id LIMIT 10000",
                             &q, err);
    if (rc != FL_OK) {
        fl_free(v);
        return rc;
    }
    fl_stmt_bind_text(q, 1, r->id, strlen(r->id));
    fl_stmt_bind_i64(q, 2, now);
    while ((rc = fl_stmt_step(q, err)) == 1) {
        if (n == cap) {
            cap *= 2;
            struct supp *nv = fl_realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                rc = fl_error_set(err, FL_ENOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        struct supp *s = &v[n];
        memset(s, 0, sizeof *s);
        snprintf(s->rule, sizeof s->rule, "%s", fl_stmt_text(q, 0));
        snprintf(s->entity, sizeof s->entity, "%s", fl_stmt_text(q, 1));
        const char *c = fl_stmt_text(q, 2);
        if (*c && fl_cidr_parse(c, strlen(c), &s->cidr) == FL_OK)
            s->has_cidr = true;
        else if (*c)
            continue; /* a bad stored CIDR matches nothing */
        snprintf(s->tag, sizeof s->tag, "%s", fl_stmt_text(q, 3));
        n++;
    }
    fl_stmt_finalize(q);
    if (rc < 0) {
        fl_free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return FL_OK;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct det_hit *x = a, *y = b;
    if (x->severity != y->severity)
        return y->severity - x->severity;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = strcmp(x->entity, y->entity);
    if (c)
        return c;
    return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

static int exec1(fl_state *st, const char *sql, const struct fl_rule *r, int64_t a, int64_t b,
                 struct fl_error *err)
{
    fl_stmt *s;
    FL_TRY(fl_stmt_prepare(st, sql, &s, err));
    fl_stmt_bind_text(s, 1, r->id, strlen(r->id));
    fl_stmt_bind_i64(s, 2, a);
    fl_stmt_bind_i64(s, 3, b);
    int rc = fl_stmt_step(s, err);
    fl_stmt_finalize(s);
    return rc < 0 ? rc : FL_OK;
}

static int store_tx(fl_state *st, const struct fl_rule *r, int64_t from, int64_t to, int64_t now,
                    struct det_hits *h, struct det_store_result *res, struct supp *sv, int ns,
                    struct fl_error *err)
{
    /* findings that had hits in the range are recomputed */
    FL_TRY(exec1(st,
                 "UPDATE findings SET dirty = 1 WHERE id IN (SELECT finding FROM finding_hits "
                 "WHERE rule = ?1 AND bucket >= ?2 AND bucket < ?3)",
                 r, from, to, err));
    FL_TRY(exec1(st, "DELETE FROM finding_hits WHERE rule = ?1 AND bucket >= ?2 AND bucket < ?3", r,
                 from, to, err));
    char attack[FL_RULE_MAX_ATTACK * 17] = "";
    size_t al = 0;
    for (int i = 0; i < r->n_attack; i++)
        al += (size_t)snprintf(attack + al, sizeof attack - al, "%s%s", i ? "," : "", r->attack[i]);
    fl_stmt *get = NULL, *ins = NULL, *hit = NULL, *upd = NULL, *mark = NULL;
    int rc = fl_stmt_prepare(st, "SELECT id, status, coalesce(status_at, 0), dirty FROM findings "
                                 "WHERE rule = ? AND entity = ?", &get, err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(st,
                             "INSERT INTO findings(rule, entity, entity_json, title, attack, "
                             "base_severity, severity, status, status_reason, status_at, created_at, "
                             "updated_at, dirty) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?9, ?9, 2)",
                             &ins, err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(st,
                             "INSERT INTO finding_hits(rule, finding, bucket, first_seen, last_seen, "
                             "count, severity, evidence) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                             "ON CONFLICT(finding, bucket) DO UPDATE SET count = count + excluded.count, "
                             "first_seen = min(first_seen, excluded.first_seen), "
                             "last_seen = max(last_seen, excluded.last_seen), "
                             "severity = max(severity, excluded.severity)",
                             &hit, err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(st,
                             "UPDATE findings SET dirty = 2, status = ?2, status_reason = ?3, "
                             "status_at = ?4 WHERE id = ?1", &upd, err);
    if (rc == FL_OK)
        rc = fl_stmt_prepare(st, "UPDATE findings SET dirty = 2 WHERE id = ?", &mark, err);
    uint64_t fresh = 0;
    for (size_t i = 0; i < h->n && rc == FL_OK; i++) {
        struct det_hit *x = &h->v[i];
        fl_stmt_bind_text(get, 1, r->id, strlen(r->id));
        fl_stmt_bind_text(get, 2, x->entity, strlen(x->entity));
        int s1 = fl_stmt_step(get, err);
        int64_t id = 0;
        char status[16] = "";
        int64_t status_at = 0, dirty = 0;
        if (s1 == 1) {
            id = fl_stmt_i64(get, 0);
            snprintf(status, sizeof status, "%s", fl_stmt_text(get, 1));
            status_at = fl_stmt_i64(get, 2);
            dirty = fl_stmt_i64(get, 3);
        }
        fl_stmt_reset(get);
        if (s1 < 0) {
            rc = s1;
            break;
        }
        bool supp = false;
        for (int k = 0; k < ns && !supp; k++)
            supp = supp_match(&sv[k], r->id, x->entity, x->tags);
        if (!id) {
            if (fresh >= (uint64_t)r->max_per_run) {
                res->capped++;
                continue;
            }
            fl_stmt_bind_text(ins, 1, r->id, strlen(r->id));
            fl_stmt_bind_text(ins, 2, x->entity, strlen(x->entity));
            fl_stmt_bind_text(ins, 3, x->entity_json, strlen(x->entity_json));
            fl_stmt_bind_text(ins, 4, r->title, strlen(r->title));
            fl_stmt_bind_text(ins, 5, attack, strlen(attack));
            fl_stmt_bind_i64(ins, 6, r->severity);
            fl_stmt_bind_text(ins, 7, supp ? "suppressed" : "open", supp ? 10 : 4);
            if (supp)
                fl_stmt_bind_text(ins, 8, "matched a suppression", 21);
            else
                fl_stmt_bind_null(ins, 8);
            fl_stmt_bind_i64(ins, 9, now);
            int s2 = fl_stmt_step(ins, err);
            fl_stmt_reset(ins);
            if (s2 < 0) {
                rc = s2;
                break;
            }
            id = fl_state_last_id(st);
            fresh++;
            res->new_findings++;
            if (supp)
                res->suppressed++;
        } else {
            const char *ns2 = status;
            const char *why = NULL;
            if (strcmp(status, "open") == 0 && supp) {
                ns2 = "suppressed";
                why = "matched a suppression";
                res->suppressed++;
            } else if (strcmp(status, "resolved") == 0 && x->last_seen > status_at) {
                ns2 = supp ? "suppressed" : "open";
                why = "activity after it was resolved";
            }
            if (dirty != 2)
                res->updated++;
            if (why) {
                fl_stmt_bind_i64(upd, 1, id);
                fl_stmt_bind_text(upd, 2, ns2, strlen(ns2));
                fl_stmt_bind_text(upd, 3, why, strlen(why));
                fl_stmt_bind_i64(upd, 4, now);
                int s3 = fl_stmt_step(upd, err);
                fl_stmt_reset(upd);
                if (s3 < 0) {
                    rc = s3;
                    break;
                }
            } else if (dirty != 2) {
                fl_stmt_bind_i64(mark, 1, id);
                int s3 = fl_stmt_step(mark, err);
                fl_stmt_reset(mark);
                if (s3 < 0) {
                    rc = s3;
                    break;
                }
            }
        }
        fl_stmt_bind_text(hit, 1, r->id, strlen(r->id));
        fl_stmt_bind_i64(hit, 2, id);
        fl_stmt_bind_i64(hit, 3, x->bucket);
        fl_stmt_bind_i64(hit, 4, x->first_seen);
        fl_stmt_bind_i64(hit, 5, x->last_seen);
        fl_stmt_bind_i64(hit, 6, x->count);
        fl_stmt_bind_i64(hit, 7, x->severity);
        fl_stmt_bind_text(hit, 8, x->evidence, strlen(x->evidence));
        int s4 = fl_stmt_step(hit, err);
        fl_stmt_reset(hit);
        if (s4 < 0)
            rc = s4;
    }
    fl_stmt_finalize(get);
    fl_stmt_finalize(ins);
    fl_stmt_finalize(hit);
    fl_stmt_finalize(upd);
    fl_stmt_finalize(mark);
    FL_TRY(rc);
    /* recompute the aggregates of every finding touched */
    FL_TRY(exec1(st,
                 "UPDATE findings SET "
                 " count = coalesce((SELECT sum(count) FROM finding_hits h WHERE h.finding = findings.id), 0),"
                 " buckets = (SELECT count(*) FROM finding_hits h WHERE h.finding = findings.id),"
                 " first_seen = (SELECT min(first_seen) FROM finding_hits h WHERE h.finding = findings.id),"
                 " last_seen = (SELECT max(last_seen) FROM finding_hits h WHERE h.finding = findings.id),"
                 " severity = max(base_severity, coalesce((SELECT max(severity) FROM finding_hits h "
                 "   WHERE h.finding = findings.id), 0)),"
                 " evidence = coalesce((SELECT json_group_array(json(evidence)) FROM (SELECT evidence "
                 "   FROM finding_hits h WHERE h.finding = findings.id ORDER BY bucket DESC LIMIT 10)), '[]'),"
                 " updated_at = ?2 "
                 "WHERE rule = ?1 AND dirty > 0 AND ?3 = ?3",
                 r, now, 0, err));
    /* a finding whose hits all vanished (data changed) and that nobody saw goes */
    FL_TRY(exec1(st,
                 "DELETE FROM findings WHERE rule = ?1 AND dirty > 0 AND buckets = 0 "
                 "AND notified_at IS NULL AND status <> 'resolved' AND ?2 = ?2 AND ?3 = ?3",
                 r, 0, 0, err));
    FL_TRY(exec1(st, "UPDATE findings SET dirty = 0 WHERE rule = ?1 AND dirty > 0 AND ?2 = ?2 AND ?3 = ?3",
                 r, 0, 0, err));
    return FL_OK;
}

int fl__det_store(fl_state *st, const struct fl_rule *r, int64_t from, int64_t to, int64_t now,
                  struct det_hits *h, struct det_store_result *res, struct fl_error *err)
{
    memset(res, 0, sizeof *res);
    if (h->n > 1)
        qsort(h->v, h->n, sizeof *h->v, cmp_hit);
    struct supp *sv = NULL;
    int ns = 0;
    FL_TRY(load_supps(st, r, now, &sv, &ns, err));
    int rc = fl_state_begin(st, err);
    if (rc == FL_OK) {
        rc = store_tx(st, r, from, to, now, h, res, sv, ns, err);
        if (rc == FL_OK)
            rc = fl_state_commit(st, err);
        else
            fl_state_rollback(st);
    }
    fl_free(sv);
    return rc;
}

/* ---- reading findings --------------------------------------------------------- */
#define FINDING_COLS                                                                           \
    "id, rule, title, entity, entity_json, severity, status, coalesce(status_reason, ''), "   \
    "coalesce(first_seen, 0), coalesce(last_seen, 0), count, buckets, evidence, attack, "      \
    "created_at, updated_at, coalesce(notified_at, 0)"

static void fill_finding(fl_stmt *q, struct fl_finding *f)
{
    memset(f, 0, sizeof *f);
    f->id = fl_stmt_i64(q, 0);
    snprintf(f->rule, sizeof f->rule, "%s", fl_stmt_text(q, 1));
    snprintf(f->title, sizeof f->title, "%s", fl_stmt_text(q, 2));
    snprintf(f->entity, sizeof f->entity, "%s", fl_stmt_text(q, 3));
    f->entity_json = fl_stmt_text(q, 4);
    f->severity = (int)fl_stmt_i64(q, 5);
    snprintf(f->status, sizeof f->status, "%s", fl_stmt_text(q, 6));
    f->status_reason = fl_stmt_text(q, 7);
    f->first_seen = fl_stmt_i64(q, 8);
    f->last_seen = fl_stmt_i64(q, 9);
    f->count = fl_stmt_i64(q, 10);
    f->buckets = fl_stmt_i64(q, 11);
    f->evidence = fl_stmt_text(q, 12);
    f->attack = fl_stmt_text(q, 13);
    f->created_at = fl_stmt_i64(q, 14);
    f->updated_at = fl_stmt_i64(q, 15);
    f->notified_at = fl_stmt_i64(q, 16);
}

int fl_findings_list(fl_state *st, const struct fl_findings_filter *flt, fl_finding_fn fn,
                     void *ctx, struct fl_error *err)
{
    struct fl_findings_filter none;
    memset(&none, 0, sizeof none);
    if (!flt)
        flt = &none;
    fl_stmt *q;
    FL_TRY(fl_stmt_prepare(st,
                           "SELECT " FINDING_COLS " FROM findings WHERE (?1 = 0 OR id = ?1) "
                           "AND (?2 IS NULL OR rule = ?2) AND (?3 IS NULL OR status = ?3) "
                           "AND severity >= ?4 AND coalesce(last_seen, 0) >= ?5 "
                           "ORDER BY severity DESC, last_seen DESC, id LIMIT ?6",
                           &q, err));
    fl_stmt_bind_i64(q, 1, flt->id);
    if (flt->rule)
        fl_stmt_bind_text(q, 2, flt->rule, strlen(flt->rule));
    else
        fl_stmt_bind_null(q, 2);
    if (flt->status)
        fl_stmt_bind_text(q, 3, flt->status, strlen(flt->status));
    else
        fl_stmt_bind_null(q, 3);
    fl_stmt_bind_i64(q, 4, flt->min_severity);
    fl_stmt_bind_i64(q, 5, flt->since);
    fl_stmt_bind_i64(q, 6, flt->limit ? (int64_t)FL_MIN(flt->limit, (uint64_t)INT64_MAX) : -1);
    int rc;
    while ((rc = fl_stmt_step(q, err)) == 1) {
        struct fl_finding f;
        fill_finding(q, &f);
        if (fn(ctx, &f) != 0) {
            rc = 0;
            break;
        }
    }
    fl_stmt_finalize(q);
    return rc < 0 ? rc : FL_OK;
}

int fl_finding_set_status(fl_state *st, int64_t id, const char *status, const char *reason,
                          struct fl_error *err)
{
    if (strcmp(status, "open") != 0 && strcmp(status, "resolved") != 0 && strcmp(status, "suppressed") != 0)
        return fl_error_set(err, FL_EINVAL, "status must be open, resolved or suppressed");
    fl_stmt *q;
    FL_TRY(fl_stmt_prepare(st, "UPDATE findings SET status = ?2, status_reason = ?3, "
                               "status_at = coalesce(last_seen, 0) WHERE id = ?1", &q, err));
    fl_stmt_bind_i64(q, 1, id);
    fl_stmt_bind_text(q, 2, status, strlen(status));
    if (reason)
        fl_stmt_bind_text(q, 3, reason, strlen(reason));
    else
        fl_stmt_bind_null(q, 3);
    int rc = fl_stmt_step(q, err);
    fl_stmt_finalize(q);
    if (rc < 0)
        return rc;
    if (fl_state_changes(st) == 0)
        return fl_error_set(err, FL_ENOTFOUND, "no finding %lld", (long long)id);
    return FL_OK;
}

int fl_suppression_add(fl_state *st, const struct fl_suppression *s, int64_t now, int64_t *id_out,
                       int64_t *matched_out, struct fl_error *err)
{
    if (!s->reason || !*s->reason)
        return fl_error_set(err, FL_EINVAL, "a suppression needs a reason");
    if (!s->rule && !s->entity && !s->cidr && !s->tag)
        return fl_error_set(err, FL_EINVAL, "a suppression needs a rule, an entity, a CIDR or a tag");
    struct supp sp;
    memset(&sp, 0, sizeof sp);
    if (s->cidr) {
        if (fl_cidr_parse(s->cidr, strlen(s->cidr), &sp.cidr) != FL_OK)
            return fl_error_set(err, FL_EINVAL, "bad CIDR '%s'", s->cidr);
        sp.has_cidr = true;
    }
    snprintf(sp.rule, sizeof sp.rule, "%s", s->rule ? s->rule : "");
    snprintf(sp.entity, sizeof sp.entity, "%s", s->entity ? s->entity : "");
    snprintf(sp.tag, sizeof sp.tag, "%s", s->tag ? s->tag : "");
    FL_TRY(fl_state_begin(st, err));
    fl_stmt *q = NULL;
    int rc = fl_stmt_prepare(st, "INSERT INTO suppressions(rule, entity, cidr, tag, expires_at, reason, "
                                 "created_at) VALUES(?, ?, ?, ?, ?, ?, ?)", &q, err);
    if (rc == FL_OK) {
        const char *v[4] = {s->rule, s->entity, s->cidr, s->tag};
        for (int i = 0; i < 4; i++) {
            if (v[i])
                fl_stmt_bind_text(q, i + 1, v[i], strlen(v[i]));
            else
                fl_stmt_bind_null(q, i + 1);
        }
        fl_stmt_bind_i64(q, 5, s->expires_at);
        fl_stmt_bind_text(q, 6, s->reason, strlen(s->reason));
        fl_stmt_bind_i64(q, 7, now);
        int s1 = fl_stmt_step(q, err);
        fl_stmt_finalize(q);
        if (s1 < 0)
            rc = s1;
        else if (id_out)
            *id_out = fl_state_last_id(st);
    }
    int64_t matched = 0;
    if (rc == FL_OK) {
        /* mark matching open findings (tags come from the evidence) */
        fl_stmt *sel, *up;
        rc = fl_stmt_prepare(st, "SELECT id, rule, entity, evidence FROM findings WHERE status = 'open'",
                             &sel, err);
        if (rc == FL_OK) {
            rc = fl_stmt_prepare(st, "UPDATE findings SET status = 'suppressed', status_reason = ?2, "
                                     "status_at = ?3 WHERE id = ?1", &up, err);
            if (rc != FL_OK) {
                fl_stmt_finalize(sel);
            } else {
                int s2;
                while ((s2 = fl_stmt_step(sel, err)) == 1) {
                    char tags[512] = "";
                    if (sp.tag[0]) {
                        char pat[160];
                        snprintf(pat, sizeof pat, "\"%s\"", sp.tag);
                        if (strstr(fl_stmt_text(sel, 3), pat))
                            snprintf(tags, sizeof tags, "\t%s\t", sp.tag);
                    }
                    if (!supp_match(&sp, fl_stmt_text(sel, 1), fl_stmt_text(sel, 2), tags))
                        continue;
                    fl_stmt_bind_i64(up, 1, fl_stmt_i64(sel, 0));
                    fl_stmt_bind_text(up, 2, s->reason, strlen(s->reason));
                    fl_stmt_bind_i64(up, 3, now);
                    int s3 = fl_stmt_step(up, err);
                    fl_stmt_reset(up);
                    if (s3 < 0) {
                        s2 = s3;
                        break;
                    }
                    matched++;
                }
                if (s2 < 0)
                    rc = s2;
                fl_stmt_finalize(sel);
                fl_stmt_finalize(up);
            }
        }
    }
    if (rc == FL_OK)
        rc = fl_state_commit(st, err);
    else
        fl_state_rollback(st);
    if (rc == FL_OK && matched_out)
        *matched_out = matched;
    return rc;
}

/* ---- notification -------------------------------------------------------------- */
int fl__det_notify(fl_state *st, const struct fl_rule *r, const struct fl_sink *sinks, int n_sinks,
                   int64_t now, uint64_t *notified, uint64_t *failed, struct fl_error *err)
{
    fl_stmt *q;
    FL_TRY(fl_stmt_prepare(st,
                           "SELECT " FINDING_COLS " FROM findings WHERE rule = ?1 AND status = 'open' "
                           "AND (notified_at IS NULL OR severity > coalesce(notified_severity, 0) "
                           "OR (?3 > 0 AND ?2 - notified_at >= ?3 AND count > coalesce(notified_count, 0))) "
                           "ORDER BY severity DESC, id LIMIT ?4",
                           &q, err));
    fl_stmt_bind_text(q, 1, r->id, strlen(r->id));
    fl_stmt_bind_i64(q, 2, now);
    fl_stmt_bind_i64(q, 3, r->renotify_s);
    fl_stmt_bind_i64(q, 4, r->max_per_run);
    int64_t ids[1024];
    int64_t sev[1024], cnt[1024];
    int n = 0;
    int rc;
    while ((rc = fl_stmt_step(q, err)) == 1 && n < 1024) {
        struct fl_finding f;
        fill_finding(q, &f);
        bool ok = true;
        for (int i = 0; i < n_sinks; i++) {
            struct fl_error e;
            fl_error_clear(&e);
            if (fl_sink_send(&sinks[i], &f, &e) != FL_OK)
                ok = false;
        }
        if (ok) {
            ids[n] = f.id;
            sev[n] = f.severity;
            cnt[n] = f.count;
            n++;
            (*notified)++;
        } else {
            (*failed)++;
        }
    }
    fl_stmt_finalize(q);
    if (rc < 0)
        return rc;
    FL_TRY(fl_stmt_prepare(st, "UPDATE findings SET notified_at = ?2, notified_severity = ?3, "
                               "notified_count = ?4 WHERE id = ?1", &q, err));
    for (int i = 0; i < n; i++) {
        fl_stmt_bind_i64(q, 1, ids[i]);
        fl_stmt_bind_i64(q, 2, now);
        fl_stmt_bind_i64(q, 3, sev[i]);
        fl_stmt_bind_i64(q, 4, cnt[i]);
        rc = fl_stmt_step(q, err);
        fl_stmt_reset(q);
        if (rc < 0)
            break;
    }
    fl_stmt_finalize(q);
    return rc < 0 ? rc : FL_OK;
}
