/*
 * omote's own endpoints under api.prefix. They are answered here and never reach the origin.
 *
 * POST csp-report takes the violation reports browsers send for the Content-Security-Policy omote
 * adds, in both formats browsers use (application/csp-report from report-uri, and the Reporting
 * API's application/reports+json), and turns them into metrics and one log line each, so
 * operators see which third-party requests pages still attempt. Failure policy: a report omote
 * cannot read is refused with a JSON reason and counted; nothing about it is kept. The consent
 * endpoints live in consent_api.c. With consent configured, omote also answers the Global Privacy
 * Control support resource, /.well-known/gpc.json, itself (outside the prefix: its path is fixed).
 */
#include <jansson.h>
#include <string.h>
#include "internal.h"
#include "omote/glue.h"
#include "omote/log.h"
#include "omote/redact.h"

#define MODULE "omote/api"
#define MAX_REPORTS_PER_REQUEST 32
#define GPC_PATH "/.well-known/gpc.json"

void omote_send_whole(h2o_req_t *req, const char *body, size_t len)
{
    /* h2o_send_inline leaves the length unset, and an HTTP/1.1 response without one costs the
     * client its connection; 204 and 304 carry none by definition */
    if (req->res.status != 204 && req->res.status != 304)
        req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

void omote_send_json_error(h2o_req_t *req, int status, const char *reason, const char *error, const char *detail)
{
    json_t *body = json_pack("{s:s}", "error", error);
    if (detail != NULL)
        json_object_set_new(body, "detail", json_string(detail));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    size_t len = strlen(text);
    h2o_iovec_t copy = h2o_strdup(&req->pool, text, len);
    free(text);
    req->res.status = status;
    req->res.reason = reason;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    omote_send_whole(req, copy.base, copy.len);
}

int omote_request_media_type_is(h2o_req_t *req, const char *type)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i == -1)
        return 0;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t end = 0;
    while (end != v.len && v.base[end] != ';' && v.base[end] != ' ')
        ++end;
    return h2o_lcstris(v.base, end, type, strlen(type));
}

static const char *string_member(json_t *obj, const char *a, const char *b)
{
    json_t *v = json_object_get(obj, a);
    if (!json_is_string(v) && b != NULL)
        v = json_object_get(obj, b);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "script-src-elem 'self'" (violated-directive, older browsers) counts as its name */
static size_t directive_index(const char *directive)
{
    size_t len = 0;
    while (directive != NULL && directive[len] != '\0' && directive[len] != ' ')
        ++len;
    for (size_t i = 0; i != OMOTE_METRICS_CSP_DIRECTIVES; ++i)
        if (strlen(omote_metrics_csp_directives[i]) == len && memcmp(omote_metrics_csp_directives[i], directive, len) == 0)
            return i;
    return OMOTE_METRICS_CSP_DIRECTIVES;
}

/* The blocked URL's origin only ("https://tracker.example"), or a keyword ("inline", "eval"): no path, no query. */
static void blocked_origin(const char *blocked, char *out, size_t outsz)
{
    if (blocked == NULL || *blocked == '\0') {
        snprintf(out, outsz, "-");
        return;
    }
    const char *sep = strstr(blocked, "://");
    size_t len = strcspn(blocked, " \t\r\n\"");
    if (sep != NULL) {
        const char *host = sep + 3;
        len = (size_t)(host - blocked) + strcspn(host, "/?# \t\r\n\"");
    }
    snprintf(out, outsz, "%.*s", (int)(len < outsz ? len : outsz - 1), blocked);
}

/* Counts and logs one report body (the "csp-report" object or a Reporting API "body"). */
static void take_report(omote_worker_t *worker, json_t *report)
{
    const char *directive = string_member(report, "effective-directive", "effectiveDirective");
    if (directive == NULL)
        directive = string_member(report, "violated-directive", "violatedDirective");
    const char *blocked = string_member(report, "blocked-uri", "blockedURL");
    const char *document = string_member(report, "document-uri", "documentURL");
    const char *disposition = string_member(report, "disposition", NULL);
    omote_metrics_add(&worker->metrics.csp_reports[directive_index(directive)], 1);

    char blocked_at[256], page[512] = "-";
    blocked_origin(blocked, blocked_at, sizeof(blocked_at));
    if (document != NULL) {
        const char *sep = strstr(document, "://");
        const char *path = sep != NULL ? strchr(sep + 3, '/') : NULL;
        if (path != NULL)
            omote_redact_query_values(path, strlen(path), page, sizeof(page));
    }
    size_t dlen = directive != NULL ? strcspn(directive, " ") : 1;
    omote_log(OMOTE_LOG_INFO, MODULE, "event=csp_report directive=%.*s blocked=%s page=%s disposition=%s", (int)(dlen > 64 ? 64 : dlen),
              directive != NULL ? directive : "-", blocked_at, page, disposition != NULL ? disposition : "-");
}

static void refuse_report(h2o_req_t *req, omote_worker_t *worker, int status, const char *reason, const char *detail)
{
    omote_metrics_add(&worker->metrics.csp_reports_refused, 1);
    omote_send_json_error(req, status, reason, "bad csp report", detail);
}

static void handle_csp_report(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("POST"));
        omote_send_json_error(req, 405, "Method Not Allowed", "method not allowed", "csp-report takes POST");
        return;
    }
    int is_reporting_api = omote_request_media_type_is(req, "application/reports+json");
    if (!is_reporting_api && !omote_request_media_type_is(req, "application/csp-report") &&
        !omote_request_media_type_is(req, "application/json")) {
        refuse_report(req, worker, 415, "Unsupported Media Type",
                      "expected application/csp-report, application/reports+json or application/json");
        return;
    }
    if (req->entity.len > gen->config->limits.api_body_bytes) {
        refuse_report(req, worker, 413, "Payload Too Large", "the report is larger than limits.api_body_bytes");
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(req->entity.base != NULL ? req->entity.base : "", req->entity.len, 0, &jerr);
    if (doc == NULL) {
        char detail[200];
        snprintf(detail, sizeof(detail), "malformed JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        refuse_report(req, worker, 400, "Bad Request", detail);
        return;
    }
    size_t taken = 0;
    json_t *single = json_object_get(doc, "csp-report");
    if (json_is_object(single)) {
        take_report(worker, single);
        taken = 1;
    } else if (json_is_array(doc)) {
        size_t i;
        json_t *item;
        json_array_foreach(doc, i, item)
        {
            const char *kind = string_member(item, "type", NULL);
            json_t *body = json_object_get(item, "body");
            if (i == MAX_REPORTS_PER_REQUEST)
                break;
            if (kind != NULL && strcmp(kind, "csp-violation") == 0 && json_is_object(body)) {
                take_report(worker, body);
                ++taken;
            }
        }
    }
    json_decref(doc);
    if (taken == 0) {
        refuse_report(req, worker, 400, "Bad Request",
                      "expected {\"csp-report\": {...}} or an array of {\"type\": \"csp-violation\", \"body\": {...}}");
        return;
    }
    req->res.status = 204;
    req->res.reason = "No Content";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    omote_send_whole(req, NULL, 0);
}

int omote_api_is_gpc_request(h2o_req_t *req, const omote_config_t *conf)
{
    return conf->consent.enabled && h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT(GPC_PATH));
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i != n; ++i)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static unsigned number(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i != n; ++i)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/*
 * The ISO 8601 calendar date a policy version starts with ("2024-06-01", "2024-06-01b", "2024-06"),
 * as its length in `version`; 0 when it starts with none. That date is when the policy, and so the
 * statement of GPC support, last changed.
 */
static size_t policy_date_len(const char *version)
{
    static const unsigned days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t len = strlen(version);
    if (len < 7 || !digits(version, 4) || version[4] != '-' || !digits(version + 5, 2))
        return 0;
    unsigned year = number(version, 4), month = number(version + 5, 2);
    if (month < 1 || month > 12)
        return 0;
    if (len >= 10 && version[7] == '-' && digits(version + 8, 2) && (len == 10 || !digits(version + 10, 1))) {
        unsigned day = number(version + 8, 2);
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if (day < 1 || day > days_in[month - 1] || (month == 2 && day == 29 && !leap))
            return 0;
        return 10;
    }
    return len == 7 || !(digits(version + 7, 1) || version[7] == '-') ? 7 : 0;
}

/*
 * GPC support resource (Global Privacy Control, "/.well-known/gpc.json"): {"gpc": true} says this
 * site means to honour Sec-GPC; "lastUpdate" (optional in the spec) is the date the policy version
 * starts with, left out when it starts with none.
 */
static void handle_gpc(h2o_req_t *req, const omote_config_t *conf)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD"));
        omote_send_json_error(req, 405, "Method Not Allowed", "method not allowed", "gpc.json takes GET or HEAD");
        return;
    }
    char body[64];
    size_t date_len = policy_date_len(conf->consent.policy_version);
    int len = date_len != 0 ? snprintf(body, sizeof(body), "{\"gpc\":true,\"lastUpdate\":\"%.*s\"}", (int)date_len,
                                       conf->consent.policy_version)
                            : snprintf(body, sizeof(body), "{\"gpc\":true}");
    h2o_iovec_t copy = h2o_strdup(&req->pool, body, (size_t)len);
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    /* a reload may change the policy version: caches keep it for an hour at most */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("max-age=3600"));
    omote_send_whole(req, copy.base, copy.len);
}

void omote_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
    if (omote_api_is_gpc_request(req, gen->config)) {
        handle_gpc(req, gen->config);
        return;
    }
    size_t prefix_len = strlen(gen->config->api.prefix);
    h2o_iovec_t rest = h2o_iovec_init(req->path_normalized.base + prefix_len, req->path_normalized.len - prefix_len);
    if (h2o_memis(rest.base, rest.len, H2O_STRLIT("csp-report"))) {
        handle_csp_report(req, gen, worker);
        return;
    }
    if (h2o_memis(rest.base, rest.len, H2O_STRLIT("consent"))) {
        omote_consent_api_handle(req, gen, worker);
        return;
    }
    if (h2o_memis(rest.base, rest.len, H2O_STRLIT("me"))) {
        omote_me_api_handle(req, gen, worker);
        return;
    }
    if (omote_ui_handle(req, gen, worker, rest))
        return;
    omote_send_json_error(req, 404, "Not Found", "not found", "no such omote endpoint");
}
