/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_serve.c - `flowsift serve`: the dashboard and JSON API (docs/api.md)
 * over the local dataset.  Loopback by default; a non-loopback --listen
 * needs --token T, or --token generate (32 hex bytes from /dev/urandom,
 * printed once and stored in $FLOWSIFT_HOME/serve.token, mode 0600).
 * Runs until SIGINT/SIGTERM.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fl/fl_http.h"
#include "fl/fl_ops.h"
#include "fl/fl_query.h"

static int gen_token(const char *home, char *tok, size_t cap)
{
    unsigned char raw[32];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    static const char hx[] = "0123456789abcdef";
    if (cap < 2 * sizeof raw + 1)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++) {
        tok[2 * i] = hx[raw[i] >> 4];
        tok[2 * i + 1] = hx[raw[i] & 15];
    }
    tok[2 * sizeof raw] = 0;
    mkdir(home, 0755);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/serve.token", home);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return -1;
    size_t n = strlen(tok);
    int ok = write(out, tok, n) == (ssize_t)n && write(out, "\n", 1) == 1;
    close(out);
    return ok ? 0 : -1;
}

/* assets/ beside the binary's folder (build/flowsift -> assets/), or ./assets */
static void default_assets(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            const char *cand[] = {"%s/assets", "%s/../assets", "%s/../share/flowsift/assets"};
            for (int i = 0; i < 3; i++) {
                char p[PATH_MAX + 64];
                snprintf(p, sizeof p, cand[i], exe);
                char idx[PATH_MAX + 80];
                snprintf(idx, sizeof idx, "%s/index.html", p);
                size_t pn = strlen(p);
                if (access(idx, R_OK) == 0 && pn < cap) {
                    memcpy(buf, p, pn + 1);
                    return;
                }
            }
        }
    }
    snprintf(buf, cap, "assets");
}

static int serve_main(int argc, char **argv)
{
    struct fl_http_opts o;
    memset(&o, 0, sizeof o);
    o.home = cli_home();
    const char *token = NULL;
    char assets[PATH_MAX];
    assets[0] = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--listen") == 0 && i + 1 < argc)
            o.listen = argv[++i];
        else if (strcmp(a, "--home") == 0 && i + 1 < argc)
            o.home = argv[++i];
        else if (strcmp(a, "--token") == 0 && i + 1 < argc)
            token = argv[++i];
        else if (strcmp(a, "--query-timeout") == 0 && i + 1 < argc) {
            if (fl_query_parse_timeout(argv[++i], &o.query_timeout_ms) != FL_OK)
                return cli_usage_error("serve", "--query-timeout: bad duration '%s' (e.g. 500ms, 30s; 0 = none)",
                                       argv[i]);
            if (o.query_timeout_ms == 0)
                o.query_timeout_ms = FL_HTTP_NO_TIMEOUT;
        } else if (strcmp(a, "--assets") == 0 && i + 1 < argc)
            snprintf(assets, sizeof assets, "%s", argv[++i]);
        else
            return cli_usage_error("serve", "unknown argument '%s'", a);
    }
    if (!token)
        token = getenv("FLOWSIFT_TOKEN");
    const char *envnow = getenv("FLOWSIFT_NOW");
    if (envnow && *envnow && fl_ops_parse_time(envnow, &o.now) != FL_OK)
        return cli_usage_error("serve", "FLOWSIFT_NOW: cannot parse '%s'", envnow);
    char tok[128];
    if (token && strcmp(token, "generate") == 0) {
        if (gen_token(o.home, tok, sizeof tok) != 0) {
            cli_err("serve: cannot generate/store a token in %s", o.home);
            return FL_EXIT_INTERNAL;
        }
        printf("token: %s (stored in %s/serve.token)\n", tok, o.home);
        token = tok;
    }
    o.token = token && *token ? token : NULL;
    if (!assets[0])
        default_assets(assets, sizeof assets);
    o.assets = assets;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);

    fl_http *h = NULL;
    struct fl_error err;
    memset(&err, 0, sizeof err);
    int rc = fl_http_start(&o, &h, &err);
    if (rc != FL_OK) {
        cli_err("serve: %s", err.msg);
        return rc == FL_EINVAL ? FL_EXIT_USAGE : FL_EXIT_INTERNAL;
    }
    const char *l = o.listen ? o.listen : "127.0.0.1:8080";
    const char *colon = strrchr(l, ':');
    printf("listening on http://%.*s:%u/\n", (int)(colon - l), l, fl_http_port(h));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fl_http_stop(h);
    return FL_EXIT_OK;
}

const struct fl_cmd fl_cmd_serve = {
    .name = "serve",
    .summary = "dashboard + JSON API over the dataset (loopback by default)",
    .main = serve_main,
    .usage = "usage: flowsift serve [--listen 127.0.0.1:8080] [--home DIR] [--token T|generate]\n"
             "                      [--assets DIR] [--query-timeout DURATION]\n"
             "Serves the dashboard at / and the JSON API under /api (docs/api.md).\n"
             "Binding a non-loopback address requires a token; with a token every\n"
             "/api request needs 'Authorization: Bearer <token>'.  --token generate\n"
             "makes one from /dev/urandom, prints it once and stores it in\n"
             "$FLOWSIFT_HOME/serve.token.  FLOWSIFT_TOKEN sets the token too.\n"
             "--query-timeout limits each API and console query (default 10s, e.g. 500ms,\n"
             "2m; 0 = none): a query that runs out gets HTTP 503 and a JSON error.\n",
    .order = 90,
};
