/*
 * The pre-proxy request handler: checks the request head against the configured limits,
 * removes forwarding headers a client could spoof, and hands the request to h2o's reverse
 * proxy with the origin of the generation this thread serves.
 *
 * The origin learns the visitor's consent as "Omote-Consent: analytics=1, marketing=0" (from the
 * token, src/glue/visitor.c) and never sees omote's own cookies or client-sent Omote-* fields.
 * While a needs_identifier purpose is granted, it also gets the visitor's first-party identifier
 * (their cookie) as "Omote-Id: <32 hex>"; never otherwise.
 *
 * Failure policy: a head over a limit is refused (431) and a malformed one (empty name,
 * obs-fold) is refused (400) before any byte goes to the origin; both are counted by reason.
 */
#include <string.h>
#include <sys/time.h>
#include "omote/consent_record.h"
#include "omote/cookie.h"
#include "omote/edge_guard.h"
#include "internal.h"
#include "omote/glue.h"
#include "omote/identity.h"
#include "omote/log.h"
#include "omote/redact.h"
#include "omote/proxied.h"
#include "omote/query.h"
#include "omote/rules.h"
#include "omote/tracker.h"
#include "omote/upstream.h"

#define MODULE "omote/request"

static const omote_proxied_t *as_proxied(const h2o_req_overrides_t *overrides)
{
    const omote_proxied_t *proxied = (const void *)overrides;
    return proxied != NULL && proxied->magic == OMOTE_PROXIED_MAGIC ? proxied : NULL;
}

const omote_proxied_t *omote_proxied_of(const h2o_req_t *req)
{
    return as_proxied(req->overrides);
}

void omote_proxied_mark_response(h2o_req_t *req)
{
    omote_proxied_t *proxied = (omote_proxied_t *)as_proxied(req->overrides);
    if (proxied != NULL)
        gettimeofday(&proxied->response_at, NULL);
}

static int is_forwarding_header(const h2o_header_t *header)
{
    const h2o_iovec_t *name = header->name;
    if (name == &H2O_TOKEN_VIA->buf || name == &H2O_TOKEN_X_FORWARDED_FOR->buf)
        return 1;
    if (h2o_lcstris(name->base, name->len, H2O_STRLIT("forwarded")))
        return 1;
    return name->len >= sizeof("x-forwarded-") - 1 && h2o_lcstris(name->base, sizeof("x-forwarded-") - 1, H2O_STRLIT("x-forwarded-"));
}

/* omote tells the origin about consent and identity itself; what a client sends under those names is a forgery */
static int is_omote_header(const h2o_header_t *header)
{
    const h2o_iovec_t *name = header->name;
    return h2o_lcstris(name->base, name->len, H2O_STRLIT("omote-consent")) || h2o_lcstris(name->base, name->len, H2O_STRLIT("omote-id"));
}

/* an obs-fold line (RFC 7230 §3.2.4) reaches us from picohttpparser as a field with no name */
static int is_obs_fold(const h2o_header_t *header)
{
    return header->name->len == 0 && header->value.len != 0;
}

/*
 * libh2o's HTTP/1.1 parser keeps Host, Content-Length, Transfer-Encoding and Upgrade out of
 * req->headers; count them back in so the cap means "fields the client sent" on both protocols.
 */
static size_t field_count(const h2o_req_t *req)
{
    size_t n = req->headers.size, cookies = 0;
    /* HTTP/2 sends each cookie as a field of its own; they count as the one field HTTP/1.1 sends */
    for (size_t i = 0; i != req->headers.size; ++i)
        cookies += req->headers.entries[i].name == &H2O_TOKEN_COOKIE->buf;
    if (cookies > 1)
        n -= cookies - 1;
    if (req->version < 0x200) {
        n += req->input.authority.len != 0;
        n += req->entity.base != NULL;
        n += req->upgrade.base != NULL;
    }
    return n;
}

/*
 * libh2o 2.2.5 takes HTTP/2 :method and :path as they come; they become the request line sent
 * to the origin, so a space or control byte there would let a client write its own line.
 */
static int is_request_line_safe(const h2o_req_t *req)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    if (req->input.method.len == 0 || req->input.path.len == 0)
        return 0;
    for (size_t i = 0; i != req->input.method.len; ++i) {
        unsigned char c = req->input.method.base[i];
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c != 0 && strchr(tchar, c) != NULL)))
            return 0;
    }
    for (size_t i = 0; i != req->input.path.len; ++i) {
        unsigned char c = req->input.path.base[i];
        if (c <= 0x20 || c == 0x7f)
            return 0;
    }
    /* origin-form only, or "*" for OPTIONS: libh2o 2.2.5 passes an absolute-form target
     * ("GET http://shop/_omote/...") through as the path, past omote's own routing (its API,
     * trackers.block_paths) to the origin; and CONNECT asks a reverse proxy for a tunnel */
    if (req->input.path.base[0] != '/' &&
        !(h2o_memis(req->input.path.base, req->input.path.len, H2O_STRLIT("*")) &&
          h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("OPTIONS"))))
        return 0;
    return 1;
}

/* A value goes to the origin inside an HTTP/1.1 head: CR, LF or NUL there would end a line early. */
static int has_control_bytes(h2o_iovec_t value)
{
    for (size_t i = 0; i != value.len; ++i) {
        unsigned char c = value.base[i];
        if (c == '\r' || c == '\n' || c == '\0')
            return 1;
    }
    return 0;
}

/* RFC 9113 §8.2.1: HTTP/2 names are lower-case tokens and values carry no whitespace at either end;
 * libh2o 2.2.5 checks neither, and the origin would read such a field differently than omote did. */
static int is_malformed_http2_field(const h2o_header_t *h)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    for (size_t i = 0; i != h->name->len; ++i) {
        unsigned char c = h->name->base[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c != 0 && strchr(tchar, c) != NULL)))
            return 1;
    }
    if (h->value.len != 0) {
        char first = h->value.base[0], last = h->value.base[h->value.len - 1];
        if (first == ' ' || first == '\t' || last == ' ' || last == '\t')
            return 1;
    }
    return 0;
}

/* RFC 9113 §8.2.2: fields that describe one HTTP/1.1 connection have no meaning in HTTP/2, and
 * forwarding them to an HTTP/1.1 origin would let the client steer omote's connection there. */
static int is_connection_specific(const h2o_header_t *h)
{
    const h2o_iovec_t *name = h->name;
    if (name == &H2O_TOKEN_CONNECTION->buf || name == &H2O_TOKEN_KEEP_ALIVE->buf || name == &H2O_TOKEN_TRANSFER_ENCODING->buf ||
        name == &H2O_TOKEN_UPGRADE->buf || h2o_lcstris(name->base, name->len, H2O_STRLIT("proxy-connection")))
        return 1;
    return name == &H2O_TOKEN_TE->buf && !h2o_lcstris(h->value.base, h->value.len, H2O_STRLIT("trailers"));
}

/* HTTP/2 content-length fields must agree with each other and with the body that came. */
static int content_length_disagrees(const h2o_req_t *req)
{
    size_t declared = SIZE_MAX;
    for (size_t i = 0; i != req->headers.size; ++i) {
        const h2o_header_t *h = req->headers.entries + i;
        if (h->name != &H2O_TOKEN_CONTENT_LENGTH->buf)
            continue;
        size_t value = h2o_strtosize(h->value.base, h->value.len);
        if (value == SIZE_MAX || (declared != SIZE_MAX && value != declared))
            return 1;
        declared = value;
    }
    if (declared == SIZE_MAX)
        return 0;
    return declared != (req->entity.base != NULL ? req->entity.len : 0);
}

/* Returns the reason the head is refused, or -1 when it may pass. */
static int check_head(h2o_req_t *req, const omote_config_t *conf)
{
    size_t total = req->method.len + req->input.path.len + req->input.authority.len;

    if (!is_request_line_safe(req))
        return OMOTE_METRICS_REJECT_BAD_REQUEST_LINE;

    if (field_count(req) > conf->limits.header_count)
        return OMOTE_METRICS_REJECT_HEADER_COUNT;
    for (size_t i = 0; i != req->headers.size; ++i) {
        const h2o_header_t *h = req->headers.entries + i;
        if (is_obs_fold(h))
            return OMOTE_METRICS_REJECT_OBS_FOLD;
        if (h->name->len == 0)
            return OMOTE_METRICS_REJECT_EMPTY_NAME;
        /* libh2o's HTTP/1.1 parser already refuses control bytes in a value; its HPACK decoder does not */
        if (req->version >= 0x200) {
            if (has_control_bytes(h->value) || is_malformed_http2_field(h))
                return OMOTE_METRICS_REJECT_MALFORMED_FIELD;
            if (is_connection_specific(h))
                return OMOTE_METRICS_REJECT_CONNECTION_HEADER;
        }
        size_t field = h->name->len + h->value.len;
        if (field > conf->limits.header_field_bytes)
            return OMOTE_METRICS_REJECT_HEADER_FIELD;
        total += field;
    }
    if (total > conf->limits.header_bytes)
        return OMOTE_METRICS_REJECT_HEADER_BYTES;
    if (req->version >= 0x200 && content_length_disagrees(req))
        return OMOTE_METRICS_REJECT_CONTENT_LENGTH;
    if (req->entity.base != NULL && req->entity.len > conf->limits.request_body_bytes)
        return OMOTE_METRICS_REJECT_BODY_TOO_LARGE;
    return -1;
}

static void refuse(h2o_req_t *req, int reason)
{
    static const char *why[OMOTE_METRICS_REJECT_MAX] = {
        "too many header fields", "header section too large", "header field too large",
        "empty header field name", "obsolete line folding in header section", "request body too large",
        "malformed method or request target", "malformed header field", "connection-specific header field in HTTP/2",
        "request body does not match its content-length", "too many requests from this address"};
    int status = 431;
    const char *phrase = "Request Header Fields Too Large";

    if (reason == OMOTE_METRICS_REJECT_EMPTY_NAME || reason == OMOTE_METRICS_REJECT_OBS_FOLD ||
        reason == OMOTE_METRICS_REJECT_BAD_REQUEST_LINE || reason == OMOTE_METRICS_REJECT_MALFORMED_FIELD ||
        reason == OMOTE_METRICS_REJECT_CONNECTION_HEADER || reason == OMOTE_METRICS_REJECT_CONTENT_LENGTH) {
        status = 400;
        phrase = "Bad Request";
        omote_guard_note_stream_error(req); /* many of these on one HTTP/2 connection end it */
    } else if (reason == OMOTE_METRICS_REJECT_BODY_TOO_LARGE) {
        status = 413;
        phrase = "Payload Too Large";
    }
    omote_metrics_add(&omote_worker_of(req->conn->ctx)->metrics.rejected[reason], 1);
    h2o_send_error_generic(req, status, phrase, why[reason], H2O_SEND_ERROR_HTTP1_CLOSE_CONNECTION);
}

/*
 * Rewrites req->headers in one pass: drops client forwarding headers (h2o's proxy adds its own
 * X-Forwarded-For/-Proto and Via after this) and joins every Cookie field into one, which
 * keeps h2o's quadratic cookie merging from ever seeing more than one field.
 */
static void clean_headers(h2o_req_t *req)
{
    h2o_headers_t kept = {NULL};
    size_t cookie_fields = 0, cookie_bytes = 0;

    for (size_t i = 0; i != req->headers.size; ++i) {
        if (req->headers.entries[i].name == &H2O_TOKEN_COOKIE->buf) {
            ++cookie_fields;
            cookie_bytes += req->headers.entries[i].value.len + 2;
        }
    }
    h2o_vector_reserve(&req->pool, &kept, req->headers.size);

    char *cookie = cookie_fields > 1 ? h2o_mem_alloc_pool(&req->pool, cookie_bytes) : NULL;
    size_t cookie_len = 0;
    for (size_t i = 0; i != req->headers.size; ++i) {
        h2o_header_t *h = req->headers.entries + i;
        if (is_forwarding_header(h) || is_omote_header(h))
            continue;
        if (cookie != NULL && h->name == &H2O_TOKEN_COOKIE->buf) {
            if (cookie_len != 0) {
                memcpy(cookie + cookie_len, "; ", 2);
                cookie_len += 2;
            }
            memcpy(cookie + cookie_len, h->value.base, h->value.len);
            cookie_len += h->value.len;
            continue;
        }
        kept.entries[kept.size++] = *h;
    }
    if (cookie != NULL)
        h2o_add_header(&req->pool, &kept, H2O_TOKEN_COOKIE, NULL, cookie, cookie_len);
    req->headers = kept;
}

static void on_proxied_dispose(void *_proxied)
{
    omote_proxied_t *proxied = _proxied;
    omote_origin_link_release(proxied->worker, proxied->link);
}

static void hand_to_proxy(h2o_req_t *req, omote_worker_t *worker, omote_origin_link_t *link, int wants_identity,
                          omote_purpose_set_t granted, int64_t decided_at, int has_identifier)
{
    const omote_config_t *conf = link->gen->config;
    h2o_url_t *origin = &link->gen->origin;
    omote_proxied_t *proxied = h2o_mem_alloc_shared(&req->pool, sizeof(*proxied), on_proxied_dispose);

    *proxied = (omote_proxied_t){{NULL}};
    proxied->magic = OMOTE_PROXIED_MAGIC;
    proxied->worker = worker;
    proxied->link = link;
    proxied->wants_identity = wants_identity;
    proxied->granted = granted;
    proxied->decided_at = decided_at;
    proxied->has_identifier = has_identifier;
    gettimeofday(&proxied->dispatched_at, NULL); /* not the loop's cached clock: upstream time must exclude queueing */
    omote_origin_link_retain(worker, link);
    req->overrides = &proxied->super;

    h2o_iovec_t host = conf->origin.preserve_host && req->authority.len != 0 ? req->authority : origin->authority;
    h2o_iovec_t target = h2o_build_destination(req, origin->path.base, origin->path.len, 0);
    omote_upstream_proxy(link->upstream, req, host, target);
}

/*
 * The rewriter reads identity-coded HTML: a request that asks for a document (a navigation, by
 * Sec-Fetch-Dest or Accept) goes to the origin with "Accept-Encoding: identity" (upstream.c), so
 * that omote need not decode it (it can: gzip and deflate sent anyway are decoded). The visitor's
 * Accept-Encoding stays in req->headers: h2o's compression filter reads it to encode for them.
 * Scripts, styles and images take the visitor's Accept-Encoding to the origin.
 */
static int wants_document(const h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-fetch-dest"), -1);
    if (i != -1) {
        h2o_iovec_t v = req->headers.entries[i].value;
        return h2o_lcstris(v.base, v.len, H2O_STRLIT("document")) || h2o_lcstris(v.base, v.len, H2O_STRLIT("iframe")) ||
               h2o_lcstris(v.base, v.len, H2O_STRLIT("frame"));
    }
    if ((i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1)) == -1)
        return 1; /* no Accept: anything, HTML included */
    h2o_iovec_t v = req->headers.entries[i].value;
    return h2o_strstr(v.base, v.len, H2O_STRLIT("text/html")) != SIZE_MAX ||
           h2o_strstr(v.base, v.len, H2O_STRLIT("application/xhtml+xml")) != SIZE_MAX || h2o_strstr(v.base, v.len, H2O_STRLIT("*/*")) != SIZE_MAX;
}

static int asks_for_identity_html(const h2o_req_t *req, const omote_generation_t *gen)
{
    return omote_generation_touches_html(gen) && wants_document(req);
}

/* tracking parameters never reach the origin; the rest of the target stays byte for byte */
static void strip_tracking_params(h2o_req_t *req, const omote_config_t *conf, omote_worker_t *worker)
{
    if (conf->trackers.num_strip_query_params == 0 || memchr(req->path.base, '?', req->path.len) == NULL)
        return;
    size_t removed;
    char *out = h2o_mem_alloc_pool(&req->pool, req->path.len);
    size_t len = omote_query_strip(req->path.base, req->path.len, (const char *const *)conf->trackers.strip_query_params,
                                   conf->trackers.num_strip_query_params, out, &removed);
    if (removed == 0)
        return;
    req->path = h2o_iovec_init(out, len);
    /* query_at indexes req->path (ui.c reads ?lang= through it): the part before '?' is unchanged, and a
     * query stripped whole takes its '?' along */
    if (req->query_at >= len)
        req->query_at = SIZE_MAX;
    omote_metrics_add(&worker->metrics.query_params_removed, removed);
}

/* the lowercase host of an authority or URL ("shop.example:8443", "https://a.example/x") */
static size_t host_of(h2o_iovec_t s, char *out, size_t cap)
{
    size_t i = 0, n = 0;
    for (size_t k = 0; k + 2 < s.len; ++k)
        if (s.base[k] == ':' && s.base[k + 1] == '/' && s.base[k + 2] == '/') {
            i = k + 3;
            break;
        }
    for (; i < s.len && n + 1 < cap && s.base[i] != ':' && s.base[i] != '/' && s.base[i] != '?'; ++i)
        out[n++] = s.base[i] >= 'A' && s.base[i] <= 'Z' ? s.base[i] + 0x20 : s.base[i];
    out[n] = '\0';
    return n;
}

static int matches_block_path(h2o_req_t *req, const omote_config_t *conf)
{
    const char *q = memchr(req->path.base, '?', req->path.len);
    size_t len = q != NULL ? (size_t)(q - req->path.base) : req->path.len;
    for (size_t i = 0; i != conf->trackers.num_block_paths; ++i)
        if (omote_query_name_matches(conf->trackers.block_paths[i], req->path.base, len))
            return 1;
    return 0;
}

/*
 * A sub-resource request the rules block is a tracker reached through the shop's own name (a
 * first-party proxy path): it gets 204 without the origin. Only browsers' fetches are judged,
 * by their Sec-Fetch-Dest; navigations never are, and neither are clients that send no such field.
 */
static int is_blocked_by_rules(h2o_req_t *req, const omote_generation_t *gen, const omote_rules_decision_t **why_out,
                               omote_rules_decision_t *decision)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-fetch-dest"), -1);
    if (i == -1 || omote_rules_num_filters(gen->rules) == 0)
        return 0;
    int type = omote_tracker_fetch_dest_type(req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    if (type < 0)
        return 0;
    char url[2048], host[256], source_host[256] = "";
    host_of(req->authority, host, sizeof(host));
    snprintf(url, sizeof(url), "%s://%.*s%.*s", req->scheme->name.base, (int)req->authority.len, req->authority.base,
             (int)req->path.len, req->path.base);
    if ((i = h2o_find_header(&req->headers, H2O_TOKEN_REFERER, -1)) != -1 ||
        (i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1)) != -1) {
        host_of(req->headers.entries[i].value, source_host, sizeof(source_host));
    } else {
        memcpy(source_host, host, sizeof(source_host));
    }
    const omote_config_t *conf = gen->config;
    omote_rules_request_t rq = {url, host, source_host, (omote_rules_type_t)type,
                                (const char *const *)conf->trackers.first_party_domains, conf->trackers.num_first_party_domains};
    if (omote_rules_decide(gen->rules, &rq, decision) != 0 || !decision->is_blocked)
        return 0;
    *why_out = decision;
    return 1;
}

/* a first-party path that forwards to a vendor the visitor did not consent to; -1 when none */
static int blocked_vendor_path(h2o_req_t *req, const omote_generation_t *gen, omote_purpose_set_t granted)
{
    const char *q = memchr(req->path.base, '?', req->path.len);
    size_t len = q != NULL ? (size_t)(q - req->path.base) : req->path.len;
    int vendor = omote_policy_vendor_of_path(gen->policy, req->path.base, len);
    return vendor >= 0 && !omote_policy_vendor_allowed(gen->policy, granted, vendor) ? vendor : -1;
}

static int answer_if_tracker(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker, omote_purpose_set_t granted)
{
    omote_rules_decision_t decision;
    const omote_rules_decision_t *why = NULL;
    int by_path = matches_block_path(req, gen->config), vendor = -1;
    size_t by;

    if (by_path) {
        by = OMOTE_REMOVED_BY_BLOCK_PATHS;
    } else if ((vendor = blocked_vendor_path(req, gen, granted)) >= 0) {
        by = OMOTE_REMOVED_BY_VENDOR;
    } else if (is_blocked_by_rules(req, gen, &why, &decision)) {
        by = omote_generation_list_index(gen, why->list_name);
    } else {
        return 0;
    }
    omote_metrics_add(&worker->metrics.requests_blocked[by == OMOTE_REMOVED_BY_BLOCK_PATHS || by == OMOTE_REMOVED_BY_VENDOR ? 0 : 1], 1);
    omote_metrics_add(&worker->metrics.removed[OMOTE_REMOVED_REQUEST][by], 1);
    if (omote_log_level() <= OMOTE_LOG_DEBUG) {
        char path[512];
        omote_redact_query_values(req->path.base, req->path.len, path, sizeof(path));
        omote_log(OMOTE_LOG_DEBUG, MODULE, "event=blocked path=%s reason=%s vendor=\"%s\" list=%s line=%u", path,
                  by_path ? "block_paths" : vendor >= 0 ? "vendor_path" : "rule", vendor >= 0 ? gen->config->vendors[vendor].name : "-",
                  why != NULL && why->list_name != NULL ? why->list_name : "-", why != NULL ? why->line : 0);
    }
    req->res.status = 204;
    req->res.reason = "No Content";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    omote_send_whole(req, NULL, 0);
    return 1;
}

static int is_api_request(h2o_req_t *req, const omote_config_t *conf)
{
    size_t len = strlen(conf->api.prefix);
    return req->path_normalized.len >= len && memcmp(req->path_normalized.base, conf->api.prefix, len) == 0;
}

struct st_cookie_filter_t {
    const omote_generation_t *gen;
    omote_worker_t *worker;
    omote_purpose_set_t granted;
};

/* omote's own cookies (consent token, identifier), by either spelling: they are omote's, not the shop's */
static int is_omote_cookie(const omote_config_t *conf, omote_cookie_str_t name)
{
    const char *names[] = {conf->consent.cookie_name, conf->consent.identifier_cookie_name};
    if (!conf->consent.enabled)
        return 0;
    if (name.len > 7 && memcmp(name.base, "__Host-", 7) == 0) {
        name.base += 7;
        name.len -= 7;
    }
    for (size_t i = 0; i != sizeof(names) / sizeof(names[0]); ++i)
        if (strlen(names[i]) == name.len && memcmp(names[i], name.base, name.len) == 0)
            return 1;
    return 0;
}

static int keep_request_cookie(void *_ctx, const omote_cookie_t *pair)
{
    struct st_cookie_filter_t *ctx = _ctx;
    if (is_omote_cookie(ctx->gen->config, pair->name))
        return 0;
    switch (omote_policy_judge_cookie(ctx->gen->policy, ctx->granted, pair->name.base, pair->name.len, NULL)) {
    case OMOTE_COOKIE_KEEP:
        return 1;
    case OMOTE_COOKIE_KEEP_UNKNOWN:
        if (ctx->gen->config->trackers.unknown_cookies == OMOTE_UNKNOWN_COOKIES_REPORT)
            omote_metrics_add(&ctx->worker->metrics.unknown_cookies_seen[1], 1);
        return 1;
    default:
        omote_metrics_add(&ctx->worker->metrics.removed[OMOTE_REMOVED_REQUEST_COOKIE]
                                                     [omote_policy_cookie_purpose(ctx->gen->policy, pair->name.base, pair->name.len) >= 0
                                                          ? OMOTE_REMOVED_BY_COOKIE_PURPOSE
                                                          : OMOTE_REMOVED_BY_UNKNOWN_COOKIE],
                          1);
        return 0;
    }
}

/*
 * The origin never learns a cookie the visitor's choices do not allow (a _ga left from before a
 * withdrawal, a tracker's cookie on the shop's domain). clean_headers joined every Cookie field
 * into one, so there is one field to rewrite.
 */
static void filter_request_cookies(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker, omote_purpose_set_t granted)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, -1);
    if (i == -1)
        return;
    h2o_iovec_t *value = &req->headers.entries[i].value;
    struct st_cookie_filter_t ctx = {gen, worker, granted};
    size_t cap = OMOTE_COOKIE_FILTER_BOUND(value->len);
    char *out = h2o_mem_alloc_pool(&req->pool, cap);
    size_t len = omote_cookie_filter_header(value->base, value->len, keep_request_cookie, &ctx, out, cap);
    if (len == 0)
        h2o_delete_header(&req->headers, i);
    else if (len != SIZE_MAX)
        *value = h2o_iovec_init(out, len);
}

/* every purpose that is not strictly necessary, granted or not: "analytics=1, marketing=0" */
static void add_consent_header(h2o_req_t *req, const omote_config_t *conf, omote_purpose_set_t granted)
{
    char value[4096];
    size_t len;
    if (!conf->consent.enabled || (len = omote_consent_format_header(conf, granted, value, sizeof(value))) == 0 || len == SIZE_MAX)
        return;
    h2o_iovec_t v = h2o_strdup(&req->pool, value, len);
    h2o_add_header_by_str(&req->pool, &req->headers, H2O_STRLIT("omote-consent"), 0, NULL, v.base, v.len);
}

/* the identifier (read before omote's cookies are filtered out) goes to the origin only with consent to a purpose needing it */
static void add_identifier_header(h2o_req_t *req, const omote_generation_t *gen, omote_purpose_set_t granted, const char *id)
{
    if ((granted & omote_policy_identifier_purposes(gen->policy)) == 0)
        return;
    h2o_iovec_t v = h2o_strdup(&req->pool, id, OMOTE_IDENTITY_LEN);
    h2o_add_header_by_str(&req->pool, &req->headers, H2O_STRLIT("omote-id"), 0, NULL, v.base, v.len);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    omote_origin_link_t *link = worker->origin;
    int reason;

    if (!omote_guard_request_allowed(req)) {
        omote_metrics_add(&worker->metrics.rejected[OMOTE_METRICS_REJECT_ADDRESS_RATE], 1);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
        omote_send_json_error(req, 429, "Too Many Requests", "too many requests",
                              "this address sends more requests than limits.requests_per_second_per_address allows");
        return 0;
    }
    if ((reason = check_head(req, link->gen->config)) != -1) {
        refuse(req, reason);
        return 0;
    }
    if (is_api_request(req, link->gen->config) || omote_api_is_gpc_request(req, link->gen->config)) {
        omote_api_handle(req, link->gen, worker);
        return 0;
    }
    clean_headers(req);
    int64_t decided_at;
    omote_purpose_set_t granted = omote_visitor_consent(req, link->gen, &decided_at);
    char identifier[OMOTE_IDENTITY_LEN + 1];
    int has_identifier = link->gen->config->consent.enabled && omote_visitor_identifier(req, link->gen, identifier) == 1;
    if (answer_if_tracker(req, link->gen, worker, granted))
        return 0;
    filter_request_cookies(req, link->gen, worker, granted);
    strip_tracking_params(req, link->gen->config, worker);
    add_consent_header(req, link->gen->config, granted);
    if (has_identifier)
        add_identifier_header(req, link->gen, granted, identifier);
    hand_to_proxy(req, worker, link, asks_for_identity_html(req, link->gen), granted, decided_at, has_identifier);
    return 0;
}

void omote_request_register(h2o_pathconf_t *pathconf)
{
    h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = on_req;
}
