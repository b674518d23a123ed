/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sinks.c - where notifications go: a webhook (libcurl POST of the finding
 * as JSON, or a Slack-compatible {"text": ...} body; retried on transport
 * errors, 5xx and 429 with exponential backoff) and syslog (RFC 5424 over
 * UDP, or over TCP with RFC 6587 octet-counting framing) to a configured
 * host:port.  Each send is bounded by the sink's timeout and retry count.
 *
 * libcurl is loaded (dlopen) at the first webhook send instead of being
 * linked: linking it pulls in ~30 libraries (TLS, Kerberos, LDAP, SSH ...)
 * whose load-time work costs every start of every command ~17 ms and
 * ~6 MB of touched memory (perf stat -r 20 of an empty main(): 3.3 ms
 * plain, 19.6 ms linked with -lcurl), which is most of the time of a small
 * query.  The header still gives the types; the calls go through `cu`.
 */
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect_int.h"

int fl_sink_parse(const char *spec, struct fl_sink *out, struct fl_error *err)
{
    memset(out, 0, sizeof *out);
    out->retries = 3;
    out->backoff_ms = 500;
    out->timeout_ms = 5000;
    char buf[1200];
    if (strlen(spec) >= sizeof buf)
        return fl_error_set(err, FL_EINVAL, "sink spec too long");
    snprintf(buf, sizeof buf, "%s", spec);
    /* options after the first ',' */
    char *opt = strchr(buf, ',');
    if (opt)
        *opt++ = 0;
    while (opt && *opt) {
        char *next = strchr(opt, ',');
        if (next)
            *next++ = 0;
        char *eq = strchr(opt, '=');
        int64_t v;
        if (!eq || fl_parse_i64(eq + 1, strlen(eq + 1), &v) != FL_OK || v < 0 || v > 600000)
            return fl_error_set(err, FL_EINVAL, "sink option '%s': expected name=number", opt);
        *eq = 0;
        if (strcmp(opt, "retries") == 0 && v <= 10)
            out->retries = (int)v;
        else if (strcmp(opt, "backoff") == 0)
            out->backoff_ms = (int)v;
        else if (strcmp(opt, "timeout") == 0 && v > 0)
            out->timeout_ms = (int)v;
        else
            return fl_error_set(err, FL_EINVAL, "unknown sink option '%s' (retries<=10, backoff, timeout)", opt);
        opt = next;
    }
    if (strncmp(buf, "webhook:", 8) == 0 || strncmp(buf, "slack:", 6) == 0) {
        out->kind = FL_SINK_WEBHOOK;
        out->slack = buf[0] == 's';
        const char *u = strchr(buf, ':') + 1;
        if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
            return fl_error_set(err, FL_EINVAL, "webhook URL must start with http:// or https://");
        snprintf(out->url, sizeof out->url, "%s", u);
        return FL_OK;
    }
    const char *hp = NULL;
    if (strncmp(buf, "syslog://", 9) == 0)
        hp = buf + 9;
    else if (strncmp(buf, "syslog+udp://", 13) == 0)
        hp = buf + 13;
    else if (strncmp(buf, "syslog+tcp://", 13) == 0) {
        hp = buf + 13;
        out->tcp = true;
    }
    if (!hp)
        return fl_error_set(err, FL_EINVAL,
                            "unknown sink '%s' (webhook:URL, slack:URL, syslog+udp://host:port, syslog+tcp://host:port)",
                            spec);
    out->kind = FL_SINK_SYSLOG;
    const char *colon = strrchr(hp, ':');
    int64_t port = 514;
    size_t hl = strlen(hp);
    if (colon && !strchr(colon, ']')) {
        if (fl_parse_i64(colon + 1, strlen(colon + 1), &port) != FL_OK || port < 1 || port > 65535)
            return fl_error_set(err, FL_EINVAL, "bad syslog port in '%s'", spec);
        hl = (size_t)(colon - hp);
    }
    if (hl == 0 || hl >= sizeof out->host)
        return fl_error_set(err, FL_EINVAL, "bad syslog host in '%s'", spec);
    if (hp[0] == '[' && hl > 2 && hp[hl - 1] == ']')
        snprintf(out->host, sizeof out->host, "%.*s", (int)(hl - 2), hp + 1);
    else
        snprintf(out->host, sizeof out->host, "%.*s", (int)hl, hp);
    out->port = (int)port;
    return FL_OK;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static size_t discard(void *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

/* The libcurl entry points a webhook uses, bound on first use (not linked:
 * src/common/dl.c). */
#define CU_FNS(X)                                                                                  \
    X(easy_init) X(easy_setopt) X(easy_perform) X(easy_getinfo) X(easy_cleanup) X(easy_strerror)   \
    X(slist_append) X(slist_free_all)
static struct {
#define CU_PTR(f) __typeof__(curl_##f) *f;
    CU_FNS(CU_PTR)
#undef CU_PTR
} cu;
static const char *const cu_names[] = {
#define CU_NAME(f) "curl_" #f,
    CU_FNS(CU_NAME)
#undef CU_NAME
};
FL_DL_CHECK(cu, cu_names);
static struct fl_dl cu_lib = {"libcurl.so.4", "libcurl4", cu_names, FL_ARRAY_LEN(cu_names), &cu, 0, ""};

static int webhook_send(const struct fl_sink *s, const struct fl_finding *f, struct fl_error *err)
{
    struct fl_buf body;
    fl_buf_init(&body, 16u << 20);
    int rc;
    if (s->slack) {
        char text[1200], t[32];
        fl_time_format(f->last_seen, t, sizeof t);
        snprintf(text, sizeof text, "[%s] %s (%s) %s - %lld hits, last %s, status %s", fl_severity_name(f->severity),
                 f->title, f->rule, f->entity, (long long)f->count, t, f->status);
        rc = fl_buf_printf(&body, "{\"text\":");
        if (rc == FL_OK)
            rc = fl_json_append_str(&body, text, strlen(text));
        if (rc == FL_OK)
            rc = fl_buf_addc(&body, '}');
    } else {
        rc = fl__det_finding_json(&body, f, true);
    }
    if (rc != FL_OK) {
        fl_buf_free(&body);
        return fl_error_set(err, rc, "webhook body: %s", fl_strerror(rc));
    }
    if (fl_dl_load(&cu_lib, NULL) != FL_OK) {
        fl_buf_free(&body);
        return fl_error_set(err, FL_EIO, "webhook %s: %s", s->url, cu_lib.why);
    }
    CURL *h = cu.easy_init();
    if (!h) {
        fl_buf_free(&body);
        return fl_error_set(err, FL_ENOMEM, "curl_easy_init failed");
    }
    struct curl_slist *hdr = cu.slist_append(NULL, "Content-Type: application/json");
    cu.easy_setopt(h, CURLOPT_URL, s->url);
    cu.easy_setopt(h, CURLOPT_POST, 1L);
    cu.easy_setopt(h, CURLOPT_POSTFIELDS, fl_buf_cstr(&body));
    cu.easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len);
    cu.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
    cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
    cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    cu.easy_setopt(h, CURLOPT_USERAGENT, "flowsift");
    int delay = s->backoff_ms;
    rc = FL_EIO;
    for (int attempt = 0; attempt <= s->retries; attempt++) {
        if (attempt) {
            sleep_ms(delay);
            delay = delay * 2 > 60000 ? 60000 : delay * 2;
        }
        CURLcode cc = cu.easy_perform(h);
        long code = 0;
        if (cc == CURLE_OK)
            cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (cc == CURLE_OK && code >= 200 && code < 300) {
            rc = FL_OK;
            break;
        }
        if (cc != CURLE_OK)
            fl_error_set(err, FL_EIO, "webhook %s: %s (attempt %d)", s->url, cu.easy_strerror(cc), attempt + 1);
        else
            fl_error_set(err, FL_EIO, "webhook %s: HTTP %ld (attempt %d)", s->url, code, attempt + 1);
        if (cc == CURLE_OK && code < 500 && code != 429)
            break; /* a client error does not get better by retrying */
    }
    cu.slist_free_all(hdr);
    cu.easy_cleanup(h);
    fl_buf_free(&body);
    return rc;
}

/* RFC 5424 SD-PARAM value escaping: '"', '\' and ']'. */
static void sd_escape(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (; *s && k + 3 < cap; s++) {
        if (*s == '"' || *s == '\\' || *s == ']')
            out[k++] = '\\';
        out[k++] = *s;
    }
    out[k] = 0;
}

static int syslog_send(const struct fl_sink *s, const struct fl_finding *f, struct fl_error *err)
{
    static const int sev_map[6] = {6, 6, 5, 4, 3, 2}; /* info..critical -> syslog severity */
    int pri = 16 * 8 + sev_map[f->severity >= 1 && f->severity <= 5 ? f->severity : 0];
    char host[256] = "-";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "-");
    for (char *p = host; *p; p++)
        if (*p <= 32 || *p > 126)
            *p = '_';
    char ts[40];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    fl_time_format(tv.tv_sec, ts, sizeof ts);
    char msgid[33];
    size_t k = 0;
    for (const char *p = f->rule; *p && k < 32; p++)
        msgid[k++] = (*p > 32 && *p < 127) ? *p : '_';
    msgid[k] = 0;
    char e_rule[200], e_ent[1100], e_title[400];
    sd_escape(f->rule, e_rule, sizeof e_rule);
    sd_escape(f->entity, e_ent, sizeof e_ent);
    sd_escape(f->title, e_title, sizeof e_title);
    struct fl_buf m;
    fl_buf_init(&m, 64u << 10);
    int rc = fl_buf_printf(&m,
                           "<%d>1 %s %.255s flowsift %d %s [flowsift@32473 id=\"%lld\" rule=\"%s\" "
                           "severity=\"%s\" status=\"%s\" count=\"%lld\" entity=\"%s\"] %s: %s",
                           pri, ts, host, (int)getpid(), msgid[0] ? msgid : "-", (long long)f->id, e_rule,
                           fl_severity_name(f->severity), f->status, (long long)f->count, e_ent, e_title,
                           f->entity);
    if (rc != FL_OK) {
        fl_buf_free(&m);
        return fl_error_set(err, rc, "syslog message too long");
    }
    char port[8];
    snprintf(port, sizeof port, "%d", s->port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = s->tcp ? SOCK_STREAM : SOCK_DGRAM;
    int g = getaddrinfo(s->host, port, &hints, &ai);
    if (g != 0) {
        fl_buf_free(&m);
        return fl_error_set(err, FL_EIO, "syslog %s:%d: %s", s->host, s->port, gai_strerror(g));
    }
    rc = FL_EIO;
    int delay = s->backoff_ms;
    for (int attempt = 0; attempt <= s->retries && rc != FL_OK; attempt++) {
        if (attempt) {
            sleep_ms(delay);
            delay = delay * 2 > 60000 ? 60000 : delay * 2;
        }
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            fl_error_sys(err, FL_EIO, errno, "syslog socket: %s", strerror(errno));
            continue;
        }
        struct timeval to = {s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &to, sizeof to);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            fl_error_sys(err, FL_EIO, errno, "syslog %s:%d: %s", s->host, s->port, strerror(errno));
            close(fd);
            continue;
        }
        struct fl_buf frame;
        fl_buf_init(&frame, 80u << 10);
        if (s->tcp)
            fl_buf_printf(&frame, "%zu ", m.len);
        fl_buf_add(&frame, m.p, m.len);
        size_t off = 0;
        bool ok = true;
        while (off < frame.len) {
            ssize_t w = send(fd, frame.p + off, frame.len - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                fl_error_sys(err, FL_EIO, errno, "syslog send %s:%d: %s", s->host, s->port, strerror(errno));
                ok = false;
                break;
            }
            off += (size_t)w;
        }
        fl_buf_free(&frame);
        close(fd);
        if (ok)
            rc = FL_OK;
    }
    freeaddrinfo(ai);
    fl_buf_free(&m);
    return rc;
}

int fl_sink_send(const struct fl_sink *s, const struct fl_finding *f, struct fl_error *err)
{
    switch (s->kind) {
    case FL_SINK_WEBHOOK: return webhook_send(s, f, err);
    case FL_SINK_SYSLOG: return syslog_send(s, f, err);
    default: return fl_error_set(err, FL_EINVAL, "unknown sink kind");
    }
}
