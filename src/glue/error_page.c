/*
 * Short, plain HTML pages for the times the origin gives no answer: 504 when it did not answer
 * in time, 502 for everything else (refused, reset, malformed head). A 502 or 504 the origin
 * itself sends is its answer and passes untouched; only omote's own failures come here. Each is
 * counted by kind and logged without query values.
 */
#include "omote/glue.h"
#include "omote/log.h"
#include "omote/redact.h"

#define MODULE "omote/origin"

static const char page_502[] = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>502 Bad Gateway</title></head>\n"
                               "<body><h1>502 Bad Gateway</h1><p>The shop could not be reached just now. Please try again in a "
                               "moment.</p></body></html>\n";
static const char page_504[] = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>504 Gateway "
                               "Timeout</title></head>\n<body><h1>504 Gateway Timeout</h1><p>The shop took too long to answer. "
                               "Please try again in a moment.</p></body></html>\n";

void omote_send_origin_error(h2o_req_t *req, int is_timeout, const char *detail)
{
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    int status = is_timeout ? 504 : 502;
    char path[512];

    omote_metrics_add(&worker->metrics.origin_errors[is_timeout ? OMOTE_METRICS_ORIGIN_TIMEOUT : OMOTE_METRICS_ORIGIN_CONNECT], 1);
    omote_redact_query_values(req->input.path.base, req->input.path.len, path, sizeof(path));
    omote_log(OMOTE_LOG_WARN, MODULE, "status=%d error=\"%s\" method=%.*s path=%s", status, detail, (int)req->method.len,
              req->method.base, path);
    h2o_req_log_error(req, MODULE, "%s", detail);

    req->res.status = status;
    req->res.reason = is_timeout ? "Gateway Timeout" : "Bad Gateway";
    req->res.headers = (h2o_headers_t){NULL};
    req->res.content_length = SIZE_MAX;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/html; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    if (is_timeout) {
        omote_send_whole(req, page_504, sizeof(page_504) - 1);
    } else {
        omote_send_whole(req, page_502, sizeof(page_502) - 1);
    }
}
