/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf.c - findings out: the table, JSON array and JSON Lines writers, and
 * the OCSF Detection Finding (class_uid 2004, category 2 "Findings",
 * schema 1.1) mapping used by `findings list --format ocsf` and by the
 * webhook sink: severity_id 1..5 = info..critical, status_id 1 New /
 * 3 Suppressed / 4 Resolved, finding_info with the rule as the analytic,
 * the ATT&CK techniques, first/last seen in milliseconds, the entity as
 * observables and the evidence rows as unmapped data.
 */
#include <stdlib.h>

#include "detect/detect_int.h"

int fl_finding_format_parse(const char *s, enum fl_finding_format *out)
{
    static const struct {
        const char *n;
        enum fl_finding_format f;
    } m[] = {{"table", FL_FF_TABLE}, {"json", FL_FF_JSON}, {"ndjson", FL_FF_NDJSON},
             {"jsonl", FL_FF_NDJSON}, {"ocsf", FL_FF_OCSF}};
    for (size_t i = 0; i < FL_ARRAY_LEN(m); i++)
        if (strcmp(s, m[i].n) == 0) {
            *out = m[i].f;
            return FL_OK;
        }
    return FL_EINVAL;
}

static void tfmt(int64_t t, char *buf, size_t cap)
{
    if (t <= 0)
        snprintf(buf, cap, "-");
    else
        fl_time_format(t, buf, cap);
}

/* Append the finding as flowsift's own JSON object. */
static int finding_json(struct fl_buf *b, const struct fl_finding *f)
{
    char t1[32], t2[32], t3[32];
    tfmt(f->first_seen, t1, sizeof t1);
    tfmt(f->last_seen, t2, sizeof t2);
    tfmt(f->updated_at, t3, sizeof t3);
    FL_TRY(fl_buf_printf(b, "{\"id\":%lld,\"rule\":", (long long)f->id));
    FL_TRY(fl_json_append_str(b, f->rule, strlen(f->rule)));
    FL_TRY(fl_buf_printf(b, ",\"title\":"));
    FL_TRY(fl_json_append_str(b, f->title, strlen(f->title)));
    FL_TRY(fl_buf_printf(b, ",\"severity\":\"%s\",\"status\":\"%s\",\"entity\":%s,\"key\":",
                         fl_severity_name(f->severity), f->status,
                         f->entity_json && *f->entity_json ? f->entity_json : "{}"));
    FL_TRY(fl_json_append_str(b, f->entity, strlen(f->entity)));
    FL_TRY(fl_buf_printf(b, ",\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"count\":%lld,\"buckets\":%lld,"
                            "\"attack\":[",
                         t1, t2, (long long)f->count, (long long)f->buckets));
    const char *a = f->attack ? f->attack : "";
    int k = 0;
    while (*a) {
        const char *e = strchr(a, ',');
        size_t n = e ? (size_t)(e - a) : strlen(a);
        if (k++)
            FL_TRY(fl_buf_addc(b, ','));
        FL_TRY(fl_json_append_str(b, a, n));
        a = e ? e + 1 : a + n;
    }
    FL_TRY(fl_buf_printf(b, "],\"updated_at\":\"%s\"", t3));
    if (f->status_reason && *f->status_reason) {
        FL_TRY(fl_buf_printf(b, ",\"status_reason\":"));
        FL_TRY(fl_json_append_str(b, f->status_reason, strlen(f->status_reason)));
    }
    FL_TRY(fl_buf_printf(b, ",\"evidence\":%s}", f->evidence && *f->evidence ? f->evidence : "[]"));
    return FL_OK;
}

static int ocsf_json(struct fl_buf *b, const struct fl_finding *f)
{
    int status_id = strcmp(f->status, "suppressed") == 0 ? 3 : strcmp(f->status, "resolved") == 0 ? 4 : 1;
    int activity = strcmp(f->status, "resolved") == 0 ? 3 : f->updated_at > f->created_at ? 2 : 1;
    FL_TRY(fl_buf_printf(b,
                         "{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,"
                         "\"category_name\":\"Findings\",\"activity_id\":%d,\"type_uid\":%d,"
                         "\"severity_id\":%d,\"severity\":\"%c%s\",\"status_id\":%d,\"status\":\"%s\","
                         "\"time\":%lld,\"count\":%lld,",
                         activity, 200400 + activity, f->severity,
                         fl_severity_name(f->severity)[0] - 32, fl_severity_name(f->severity) + 1,
                         status_id, status_id == 1 ? "New" : status_id == 3 ? "Suppressed" : "Resolved",
                         (long long)(f->updated_at ? f->updated_at : f->last_seen) * 1000,
                         (long long)f->count));
    FL_TRY(fl_buf_printf(b, "\"message\":"));
    char msg[800];
    snprintf(msg, sizeof msg, "%s: %s", f->title, f->entity);
    FL_TRY(fl_json_append_str(b, msg, strlen(msg)));
    FL_TRY(fl_buf_printf(b, ",\"metadata\":{\"version\":\"1.1.0\",\"product\":{\"name\":\"flowsift\","
                            "\"vendor_name\":\"flowsift\"},\"uid\":\"%s-%lld\"},",
                         f->rule, (long long)f->id));
    FL_TRY(fl_buf_printf(b, "\"finding_info\":{\"uid\":"));
    char uid[700];
    snprintf(uid, sizeof uid, "%s:%s", f->rule, f->entity);
    FL_TRY(fl_json_append_str(b, uid, strlen(uid)));
    FL_TRY(fl_buf_printf(b, ",\"title\":"));
    FL_TRY(fl_json_append_str(b, f->title, strlen(f->title)));
    FL_TRY(fl_buf_printf(b, ",\"first_seen_time\":%lld,\"last_seen_time\":%lld,\"created_time\":%lld,"
                            "\"modified_time\":%lld,\"types\":[\"Network\"],\"analytic\":{\"uid\":",
                         (long long)f->first_seen * 1000, (long long)f->last_seen * 1000,
                         (long long)f->created_at * 1000, (long long)f->updated_at * 1000));
    FL_TRY(fl_json_append_str(b, f->rule, strlen(f->rule)));
    FL_TRY(fl_buf_printf(b, ",\"name\":"));
    FL_TRY(fl_json_append_str(b, f->rule, strlen(f->rule)));
    FL_TRY(fl_buf_printf(b, ",\"type_id\":1,\"type\":\"Rule\"},\"attacks\":["));
    const char *a = f->attack ? f->attack : "";
    int k = 0;
    while (*a) {
        const char *e = strchr(a, ',');
        size_t n = e ? (size_t)(e - a) : strlen(a);
        FL_TRY(fl_buf_printf(b, "%s{\"technique\":{\"uid\":", k++ ? "," : ""));
        FL_TRY(fl_json_append_str(b, a, n));
        FL_TRY(fl_buf_printf(b, "},\"version\":\"14\"}"));
        a = e ? e + 1 : a + n;
    }
    FL_TRY(fl_buf_printf(b, "]},\"observables\":["));
    /* entity values from "col=value,..." */
    const char *p = f->entity;
    k = 0;
    while (*p) {
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        const char *v = eq + 1, *e = strchr(v, ',');
        size_t vn = e ? (size_t)(e - v) : strlen(v);
        struct fl_ip ip;
        bool isip = fl_ip_parse(v, vn, &ip) == FL_OK;
        FL_TRY(fl_buf_printf(b, "%s{\"name\":", k++ ? "," : ""));
        FL_TRY(fl_json_append_str(b, p, (size_t)(eq - p)));
        FL_TRY(fl_buf_printf(b, ",\"type_id\":%d,\"type\":\"%s\",\"value\":", isip ? 2 : 99,
                             isip ? "IP Address" : "Other"));
        FL_TRY(fl_json_append_str(b, v, vn));
        FL_TRY(fl_buf_addc(b, '}'));
        p = e ? e + 1 : v + vn;
    }
    FL_TRY(fl_buf_printf(b, "],\"unmapped\":{\"entity\":%s,\"evidence\":%s}}",
                         f->entity_json && *f->entity_json ? f->entity_json : "{}",
                         f->evidence && *f->evidence ? f->evidence : "[]"));
    return FL_OK;
}

size_t fl_finding_ocsf(const struct fl_finding *f, char *buf, size_t cap)
{
    struct fl_buf b;
    fl_buf_init(&b, 16u << 20);
    if (ocsf_json(&b, f) != FL_OK) {
        fl_buf_free(&b);
        if (cap)
            buf[0] = 0;
        return 0;
    }
    size_t n = b.len;
    if (cap) {
        size_t k = FL_MIN(n, cap - 1);
        memcpy(buf, b.p, k);
        buf[k] = 0;
    }
    fl_buf_free(&b);
    return n;
}

/* Exposed to sinks.c through the writer functions below. */
int fl__det_finding_json(struct fl_buf *b, const struct fl_finding *f, bool ocsf)
{
    return ocsf ? ocsf_json(b, f) : finding_json(b, f);
}

struct fl_finding_writer {
    FILE *f;
    enum fl_finding_format fmt;
    uint64_t n;
    struct fl_buf b;
};

fl_finding_writer *fl_finding_writer_new(FILE *f, enum fl_finding_format fmt)
{
    fl_finding_writer *w = fl_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->f = f;
    w->fmt = fmt;
    fl_buf_init(&w->b, 64u << 20);
    return w;
}

int fl_finding_writer_add(fl_finding_writer *w, const struct fl_finding *f)
{
    fl_buf_reset(&w->b);
    int rc = FL_OK;
    if (w->fmt == FL_FF_TABLE) {
        if (w->n == 0)
            fprintf(w->f, "%-5s %-8s %-10s %-34s %-48s %7s  %-20s\n", "ID", "SEVERITY", "STATUS", "RULE",
                    "ENTITY", "COUNT", "LAST SEEN");
        char t[32];
        tfmt(f->last_seen, t, sizeof t);
        fprintf(w->f, "%-5lld %-8s %-10s %-34.34s %-48.48s %7lld  %-20s\n", (long long)f->id,
                fl_severity_name(f->severity), f->status, f->rule, f->entity, (long long)f->count, t);
    } else {
        rc = f && w->fmt == FL_FF_OCSF ? ocsf_json(&w->b, f) : finding_json(&w->b, f);
        if (rc == FL_OK) {
            if (w->fmt == FL_FF_JSON)
                fputs(w->n ? ",\n" : "[\n", w->f);
            fwrite(w->b.p, 1, w->b.len, w->f);
            if (w->fmt != FL_FF_JSON)
                fputc('\n', w->f);
        }
    }
    w->n++;
    return ferror(w->f) ? FL_EIO : rc;
}

int fl_finding_writer_finish(fl_finding_writer *w)
{
    if (w->fmt == FL_FF_JSON)
        fputs(w->n ? "\n]\n" : "[]\n", w->f);
    else if (w->fmt == FL_FF_TABLE)
        fprintf(w->f, "(%llu finding%s)\n", (unsigned long long)w->n, w->n == 1 ? "" : "s");
    return fflush(w->f) == 0 && !ferror(w->f) ? FL_OK : FL_EIO;
}

void fl_finding_writer_free(fl_finding_writer *w)
{
    if (!w)
        return;
    fl_buf_free(&w->b);
    fl_free(w);
}
