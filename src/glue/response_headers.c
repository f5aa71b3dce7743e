/*
 * Response headers of proxied responses: Set-Cookie fields for purposes the visitor has not
 * granted are dropped (undeclared cookies follow trackers.unknown_cookies), and documents get
 * omote's Permissions-Policy and, when configured, its Content-Security-Policy.
 *
 * The origin's own Permissions-Policy and CSP fields stay: a later Permissions-Policy member wins
 * for the features omote names, and several CSP fields are all enforced, so adding never loosens
 * what the origin set.
 *
 * The first-party identifier is issued here too: a document response to a visitor whose valid
 * token grants a needs_identifier purpose but who sent no identifier cookie gets a fresh one
 * (Max-Age: what is left of the consent, at most 400 days). No other response ever carries one.
 */
#include <string.h>
#include "internal.h"
#include "omote/cookie.h"
#include "omote/glue.h"
#include "omote/identity.h"
#include "omote/log.h"
#include "omote/proxied.h"

#define MODULE "omote/headers"

/* The cookie's name as a user agent would store it; a value the parser refuses counts by what precedes its '='. */
static omote_cookie_str_t set_cookie_name(h2o_iovec_t value, omote_set_cookie_t *scratch)
{
    if (omote_set_cookie_parse(value.base, value.len, scratch) == 0)
        return scratch->name;
    size_t end = 0;
    while (end != value.len && value.base[end] != '=' && value.base[end] != ';')
        ++end;
    if (end == value.len || value.base[end] != '=')
        end = 0; /* "v" alone: RFC 6265bis stores a cookie with an empty name */
    size_t start = 0;
    while (start < end && (value.base[start] == ' ' || value.base[start] == '\t'))
        ++start;
    while (end > start && (value.base[end - 1] == ' ' || value.base[end - 1] == '\t'))
        --end;
    return (omote_cookie_str_t){value.base + start, end - start};
}

static void filter_set_cookies(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker, omote_purpose_set_t granted)
{
    h2o_headers_t *headers = &req->res.headers;
    size_t kept = 0;
    omote_set_cookie_t parsed;
    for (size_t i = 0; i != headers->size; ++i) {
        h2o_header_t *h = headers->entries + i;
        if (h->name == &H2O_TOKEN_SET_COOKIE->buf) {
            omote_cookie_str_t name = set_cookie_name(h->value, &parsed);
            int purpose;
            omote_cookie_verdict_t verdict = omote_policy_judge_cookie(gen->policy, granted, name.base, name.len, &purpose);
            if (verdict == OMOTE_COOKIE_DROP) {
                omote_metrics_add(&worker->metrics.removed[OMOTE_REMOVED_SET_COOKIE][purpose >= 0 ? OMOTE_REMOVED_BY_COOKIE_PURPOSE
                                                                                               : OMOTE_REMOVED_BY_UNKNOWN_COOKIE],
                                  1);
                omote_log(OMOTE_LOG_DEBUG, MODULE, "event=set_cookie_dropped name=%.*s purpose=%s", (int)(name.len > 64 ? 64 : name.len),
                          name.base, purpose >= 0 ? gen->config->purposes[purpose].id : "(undeclared)");
                continue;
            }
            if (verdict == OMOTE_COOKIE_KEEP_UNKNOWN && gen->config->trackers.unknown_cookies == OMOTE_UNKNOWN_COOKIES_REPORT) {
                omote_metrics_add(&worker->metrics.unknown_cookies_seen[0], 1);
                omote_log(OMOTE_LOG_INFO, MODULE, "event=unknown_cookie name=%.*s hint=\"declare it under a purpose's cookies\"",
                          (int)(name.len > 64 ? 64 : name.len), name.base);
            }
        }
        headers->entries[kept++] = *h;
    }
    headers->size = kept;
}

static void add_document_headers(h2o_req_t *req, const omote_generation_t *gen, omote_purpose_set_t granted)
{
    const char *pp = omote_policy_permissions_policy(gen->policy);
    if (*pp != '\0') {
        h2o_iovec_t v = h2o_strdup(&req->pool, pp, SIZE_MAX);
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("permissions-policy"), 0, NULL, v.base, v.len);
    }
    if (gen->config->headers.csp_mode == OMOTE_CSP_OFF)
        return;
    char csp[8192];
    size_t len = omote_policy_build_csp(gen->policy, granted, csp, sizeof(csp));
    if (len == SIZE_MAX || len == 0) {
        omote_log(OMOTE_LOG_WARN, MODULE, "event=csp_too_long limit=%zu", sizeof(csp));
        return;
    }
    h2o_iovec_t name = gen->config->headers.csp_mode == OMOTE_CSP_ENFORCE ? h2o_iovec_init(H2O_STRLIT("content-security-policy"))
                                                                         : h2o_iovec_init(H2O_STRLIT("content-security-policy-report-only"));
    h2o_iovec_t v = h2o_strdup(&req->pool, csp, len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 0, NULL, v.base, v.len);
}

/* A response a shared cache may keep (Cache-Control public or s-maxage) must not carry one visitor's identifier. */
static int is_shared_cacheable(h2o_req_t *req)
{
    for (ssize_t i = -1; (i = h2o_find_header(&req->res.headers, H2O_TOKEN_CACHE_CONTROL, i)) != -1;) {
        h2o_iovec_t v = req->res.headers.entries[i].value;
        if (h2o_strstr(v.base, v.len, H2O_STRLIT("public")) != SIZE_MAX || h2o_strstr(v.base, v.len, H2O_STRLIT("s-maxage")) != SIZE_MAX)
            return 1;
    }
    return 0;
}

/*
 * The page itself gets the identifier: a 2xx document, never omote's 502/504 page or the origin's
 * error pages, and never a response a shared cache could hand to other visitors (the next
 * private page issues it instead).
 */
static void issue_identifier(h2o_req_t *req, const omote_generation_t *gen, const omote_proxied_t *proxied)
{
    const omote_config_t *conf = gen->config;
    if (!conf->consent.enabled || proxied->has_identifier || proxied->decided_at == 0 ||
        (proxied->granted & omote_policy_identifier_purposes(gen->policy)) == 0)
        return;
    if (req->res.status < 200 || req->res.status > 299 || is_shared_cacheable(req))
        return;
    uint64_t max_age =
        omote_identity_max_age(proxied->decided_at, conf->consent.lifetime_sec, (int64_t)(h2o_now(req->conn->ctx->loop) / 1000));
    char id[OMOTE_IDENTITY_LEN + 1];
    if (max_age == 0)
        return;
    if (omote_identity_mint(id) != 0) {
        omote_log(OMOTE_LOG_WARN, MODULE, "event=identifier_not_issued reason=\"no random bytes\"");
        return;
    }
    omote_consent_set_cookie(req, conf->consent.identifier_cookie_name, id, max_age);
    omote_metrics_add(&omote_worker_of(req->conn->ctx)->metrics.identifiers[OMOTE_METRICS_IDENTIFIER_ISSUED], 1);
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    const omote_proxied_t *proxied = omote_proxied_of(req);
    if (proxied != NULL) {
        const omote_generation_t *gen = proxied->link->gen;
        omote_purpose_set_t granted = omote_visitor_purposes(req, gen);
        filter_set_cookies(req, gen, omote_worker_of(req->conn->ctx), granted);
        if (omote_response_is_html(req)) {
            add_document_headers(req, gen, granted);
            issue_identifier(req, gen, proxied);
        }
    }
    h2o_setup_next_ostream(req, slot);
}

void omote_response_headers_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *filter = h2o_create_filter(pathconf, sizeof(*filter));
    filter->on_setup_ostream = on_setup_ostream;
}
