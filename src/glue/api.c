/*
 * omote's own endpoints under api.prefix. They are answered here and never reach the origin.
 *
 * POST csp-report takes the violation reports browsers send for the Content-Security-Policy omote
 * adds, in both formats browsers use (application/csp-report from report-uri, and the Reporting
 * API's application/reports+json), and turns them into metrics and one log line each, so
 * operators see which third-party requests pages still attempt. Failure policy: a report omote
 * cannot read is refused with a JSON reason and counted; nothing about it is kept. The consent
 * endpoints live in consent_api.c.
 */
#include <jansson.h>
#include <string.h>
#include "internal.h"
#include "omote/glue.h"
#include "omote/log.h"
#include "omote/redact.h"

#define MODULE "omote/api"
#define MAX_REPORTS_PER_REQUEST 32

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
    h2o_send_inline(req, copy.base, copy.len);
}

static int media_type_is(h2o_iovec_t v, const char *type)
{
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
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    h2o_iovec_t type = ct != -1 ? req->headers.entries[ct].value : h2o_iovec_init(H2O_STRLIT(""));
    int is_reporting_api = media_type_is(type, "application/reports+json");
    if (!is_reporting_api && !media_type_is(type, "application/csp-report") && !media_type_is(type, "application/json")) {
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
    h2o_send_inline(req, NULL, 0);
}

void omote_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
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
    omote_send_json_error(req, 404, "Not Found", "not found", "no such omote endpoint");
}
