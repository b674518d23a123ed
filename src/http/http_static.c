/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_static.c - the dashboard's static files: a fixed table maps the few
 * known URL paths (the page, its script and styles, and the chart/map
 * libraries copied from npm into <assets>/vendor at build time) to files
 * in the assets folder.  Nothing else is served: the request path is only
 * compared with the table, never joined to a file system path, so `..`,
 * encoded slashes or absolute paths cannot reach other files.  Files are
 * read per request (capped at ASSET_CAP) and sent with the same strict
 * Content-Security-Policy as the API.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl/fl_common.h"
#include "http_static.h"

#define ASSET_CAP (8u << 20) /* largest static asset (echarts.min.js is ~1 MiB) */

/* The policy for the page: scripts, styles, images and fetches only from
 * this origin; no plugins, no <base>, no framing. */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " \
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
            "frame-ancestors 'none'"

static const struct {
    const char *url;
    const char *file;
    const char *type;
} assets[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "text/javascript; charset=utf-8"},
    {"/app.css", "app.css", "text/css; charset=utf-8"},
    {"/favicon.svg", "favicon.svg", "image/svg+xml"},
    {"/favicon.ico", "favicon.svg", "image/svg+xml"},
    {"/vendor/echarts.min.js", "vendor/echarts.min.js", "text/javascript; charset=utf-8"},
    {"/vendor/topojson-client.min.js", "vendor/topojson-client.min.js", "text/javascript; charset=utf-8"},
    {"/vendor/d3-array.min.js", "vendor/d3-array.min.js", "text/javascript; charset=utf-8"},
    {"/vendor/d3-geo.min.js", "vendor/d3-geo.min.js", "text/javascript; charset=utf-8"},
    {"/vendor/countries-110m.json", "vendor/countries-110m.json", "application/json"},
    {"/vendor/iso3166.json", "vendor/iso3166.json", "application/json"},
};

static enum MHD_Result send_reply(struct MHD_Connection *c, unsigned status, const char *type,
                                  const char *p, size_t n)
{
    struct MHD_Response *r = fl__mhd.create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    fl__mhd.add_response_header(r, "Content-Type", type);
    fl__mhd.add_response_header(r, "X-Content-Type-Options", "nosniff");
    fl__mhd.add_response_header(r, "Content-Security-Policy", CSP);
    fl__mhd.add_response_header(r, "Referrer-Policy", "no-referrer");
    fl__mhd.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = fl__mhd.queue_response(c, status, r);
    fl__mhd.destroy_response(r);
    return rc;
}

static enum MHD_Result fail(struct MHD_Connection *c, unsigned status, const char *msg)
{
    char body[160];
    int k = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", msg); /* fixed texts only */
    return send_reply(c, status, "application/json", body, (size_t)k);
}

enum MHD_Result fl__http_static(struct MHD_Connection *c, const char *assets_dir, const char *url)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        if (strcmp(url, assets[i].url) != 0)
            continue;
        char path[1200];
        int k = snprintf(path, sizeof path, "%s/%s", assets_dir, assets[i].file);
        if (k < 0 || (size_t)k >= sizeof path)
            return fail(c, 500, "assets path too long");
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return fail(c, 404, "asset missing (see --assets)");
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)ASSET_CAP) {
            close(fd);
            return fail(c, 500, "asset unreadable");
        }
        char *p = fl_malloc((size_t)st.st_size + 1);
        size_t got = 0;
        while (p && got < (size_t)st.st_size) {
            ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
        enum MHD_Result rc = p ? send_reply(c, 200, assets[i].type, p, got) : MHD_NO;
        fl_free(p);
        return rc;
    }
    return fail(c, 404, "not found");
}
