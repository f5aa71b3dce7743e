/*
 * What visitors see of omote, served by h2o: the UI's embedded assets, the banner's content in
 * the other language (for consent.js), the transparency page, and the snippet the rewriter
 * inserts into each page (src/glue/rewrite_filter.c). The markup itself is src/ui's.
 *
 * Caching: an asset under its hashed name is immutable for a year (a change is a new name);
 * under its plain name, five minutes. Everything that depends on the visitor (the banner
 * content, the privacy page) is "private, no-store".
 */
#include "internal.h"
#include "omote/consent_body.h"
#include "omote/glue.h"
#include "omote/ui.h"
#include "omote/ui_assets.h"
#include <jansson.h>
#include <string.h>

int omote_query_param(h2o_req_t *req, const char *name, char *out, size_t outsz)
{
    if (req->query_at == SIZE_MAX)
        return -1;
    return omote_consent_body_form_field(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, name, out, outsz);
}

int omote_ui_lang_of(h2o_req_t *req)
{
    char code[8];
    omote_ui_lang_t lang;
    if (omote_query_param(req, "lang", code, sizeof(code)) == 0 && omote_ui_lang_from_code(code, strlen(code), &lang) == 0)
        return lang;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT_LANGUAGE, -1);
    return i == -1 ? OMOTE_UI_EN : omote_ui_negotiate_lang(req->headers.entries[i].value.base, req->headers.entries[i].value.len);
}

/* ---- answers ---- */

static void send_buf(h2o_req_t *req, const char *content_type, const char *cache_control, omote_ui_lang_t lang,
                     omote_ui_buf_t *buf)
{
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache_control, strlen(cache_control));
    const char *code = omote_ui_lang_code(lang);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_LANGUAGE, NULL, code, strlen(code));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Accept-Language, Cookie"));
    omote_send_whole(req, buf->base != NULL ? buf->base : "", buf->len);
    omote_ui_buf_free(buf);
}

void omote_ui_send_privacy(h2o_req_t *req, const omote_generation_t *gen, json_t *consent, json_t *me)
{
    char notice[16];
    omote_ui_buf_t buf = {NULL};
    ssize_t gpc = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-gpc"), -1);
    omote_ui_privacy_t page = {gen->config, omote_ui_lang_of(req), consent, me,
                               gpc != -1 && h2o_memis(req->headers.entries[gpc].value.base, req->headers.entries[gpc].value.len,
                                                      H2O_STRLIT("1")),
                               omote_query_param(req, "done", notice, sizeof(notice)) == 0 ? notice : NULL};
    omote_ui_render_privacy(&buf, &page);
    json_decref(consent);
    json_decref(me);
    send_buf(req, "text/html; charset=utf-8", "private, no-store", page.lang, &buf);
}

static void send_banner_content(h2o_req_t *req, const omote_generation_t *gen)
{
    char return_to[OMOTE_CONSENT_BODY_MAX_RETURN + 1];
    if (omote_query_param(req, "return", return_to, sizeof(return_to)) != 0)
        strcpy(return_to, "/");
    omote_ui_buf_t buf = {NULL};
    omote_ui_banner_t banner = {gen->config, omote_ui_lang_of(req), return_to, strlen(return_to)};
    omote_ui_render_banner_content(&buf, &banner);
    send_buf(req, "text/html; charset=utf-8", "private, no-store", banner.lang, &buf);
}

static void send_asset(h2o_req_t *req, const omote_ui_asset_t *asset, int is_hashed)
{
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%.16s\"", asset->sha256_hex);
    ssize_t inm = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, h2o_strdup(&req->pool, etag, strlen(etag)).base,
                   strlen(etag));
    const char *cache = is_hashed ? "public, max-age=31536000, immutable" : "public, max-age=300";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache, strlen(cache));
    if (inm != -1 && h2o_memis(req->headers.entries[inm].value.base, req->headers.entries[inm].value.len, etag, strlen(etag))) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        omote_send_whole(req, "", 0);
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, asset->content_type, strlen(asset->content_type));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL, H2O_STRLIT("nosniff"));
    omote_send_whole(req, asset->bytes, asset->len);
}

int omote_ui_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker, h2o_iovec_t rest)
{
    int is_privacy = h2o_memis(rest.base, rest.len, H2O_STRLIT("privacy")),
        is_banner = h2o_memis(rest.base, rest.len, H2O_STRLIT("banner")), is_hashed = 0;
    const omote_ui_asset_t *asset = is_privacy || is_banner ? NULL : omote_ui_asset_find(rest.base, rest.len, &is_hashed);
    if (!is_privacy && !is_banner && asset == NULL)
        return 0;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD"));
        omote_send_json_error(req, 405, "Method Not Allowed", "method not allowed", "this resource takes GET or HEAD");
        return 1;
    }
    if (asset != NULL) {
        send_asset(req, asset, is_hashed);
    } else if (!gen->config->consent.enabled) {
        omote_send_json_error(req, 404, "Not Found", "not found", "consent is not configured");
    } else if (is_banner) {
        send_banner_content(req, gen);
    } else {
        omote_me_privacy_page(req, gen, worker);
    }
    return 1;
}

/* ---- the snippet for a page ---- */

h2o_iovec_t omote_ui_page_snippet(h2o_req_t *req, const omote_generation_t *gen, int has_decision)
{
    if (gen->ui_snippets == NULL)
        return h2o_iovec_init(NULL, 0);
    omote_ui_buf_t buf = {NULL};
    omote_ui_snippets_page(gen->ui_snippets, omote_ui_lang_of(req), has_decision, req->path.base, req->path.len, &buf);
    h2o_iovec_t snippet = buf.len != 0 ? h2o_strdup(&req->pool, buf.base, buf.len) : h2o_iovec_init(NULL, 0);
    omote_ui_buf_free(&buf);
    return snippet;
}
