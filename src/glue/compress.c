/*
 * Compression towards visitors (compression.*): libh2o's gzip filter, registered so that it sees
 * HTML after the rewriter, plus what libh2o 2.2.5 leaves out: a weak ETag on what it encodes,
 * and a few modern text types its MIME map does not know. Which responses it encodes is libh2o's
 * decision (lib/handler/compress.c), summed up in config/README.md.
 */
#include "omote/glue.h"
#include <stdio.h>
#include <string.h>

static void (*h2o_compress_setup)(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot);

static void weaken_etag(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_ETAG, -1);
    if (i == -1)
        return;
    h2o_iovec_t *v = &req->res.headers.entries[i].value;
    if (!(v->len >= 2 && v->base[0] == 'W' && v->base[1] == '/'))
        *v = h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("W/")), *v);
}

/*
 * After libh2o's own setup: a gzip body is another representation, so a strong ETag shared with
 * the identity one would let caches mix them up (RFC 9110 §8.8.3; later libh2o versions weaken
 * it too). The response head leaves with the first body bytes, after every filter has been set
 * up: still time here.
 */
static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    int was_encoded = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_ENCODING, -1) != -1;
    h2o_compress_setup(self, req, slot);
    if (!was_encoded && h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_ENCODING, -1) != -1)
        weaken_etag(req);
}

/*
 * libh2o finds "is compressible" by looking the Content-Type up among the types its MIME map
 * lists for file extensions; a type it does not list is sent as it is. These are text types
 * origins send today (RFC 9239 made text/javascript the JavaScript type) that the 2.2.5 map
 * lacks. The extensions are placeholders: no file handler reads this map.
 */
static void add_text_types(h2o_mimemap_t *mimemap)
{
    static const char *const types[] = {"text/javascript",     "application/x-javascript",  "application/xml",
                                        "application/ld+json", "application/manifest+json", NULL};
    h2o_mime_attributes_t attr = {0};
    attr.is_compressible = 1;
    char ext[32];
    for (size_t i = 0; types[i] != NULL; ++i) {
        if (h2o_mimemap_get_type_by_mimetype(mimemap, h2o_iovec_init(types[i], strlen(types[i])), 1) != NULL)
            continue;
        snprintf(ext, sizeof(ext), "omote-type-%zu", i);
        h2o_mimemap_define_mimetype(mimemap, ext, types[i], &attr);
    }
}

void omote_compress_register(h2o_pathconf_t *pathconf, const omote_config_t *conf)
{
    if (!conf->compression.enabled)
        return;
    h2o_compress_args_t args = {0};
    args.min_size = conf->compression.min_bytes;
    args.gzip.quality = conf->compression.gzip_level;
    args.brotli.quality = -1; /* Debian's libh2o is built without brotli */
    h2o_compress_register(pathconf, &args);

    /* h2o_create_filter prepends: the filter just made is entries[0] */
    h2o_filter_t *filter = pathconf->filters.entries[0];
    h2o_compress_setup = filter->on_setup_ostream;
    filter->on_setup_ostream = on_setup_ostream;
    add_text_types(pathconf->mimemap);
}
