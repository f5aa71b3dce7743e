/*
 * Short, plain HTML pages for the origin failures h2o's proxy reports itself: 504 when the
 * origin did not answer in time, 502 for everything else (refused, reset, malformed head).
 * A 502 or 504 the origin sent passes untouched; only responses carrying the proxy's error
 * record are rewritten, and each is counted and logged without query values.
 */
#include <string.h>
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

struct st_replace_stage_t {
    h2o_ostream_t super;
    h2o_iovec_t page;
};

/* the message h2o's proxy logged for this request, or NULL if the origin answered */
static const char *find_proxy_error(h2o_req_t *req, size_t *len)
{
    for (size_t i = 0; i != req->error_logs.size; ++i) {
        if (strcmp(req->error_logs.entries[i].module, "lib/core/proxy.c") == 0) {
            *len = req->error_logs.entries[i].msg.len;
            return req->error_logs.entries[i].msg.base;
        }
    }
    return NULL;
}

static int is_timeout(const char *msg, size_t len)
{
    return h2o_memis(msg, len, H2O_STRLIT("I/O timeout")) || h2o_memis(msg, len, H2O_STRLIT("connection timeout"));
}

static void replace_do_send(h2o_ostream_t *_self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    struct st_replace_stage_t *self = (void *)_self;

    if (h2o_send_state_is_in_progress(state)) {
        h2o_ostream_send_next(&self->super, req, NULL, 0, state);
        return;
    }
    int is_head = h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"));
    h2o_ostream_send_next(&self->super, req, &self->page, is_head ? 0 : 1, H2O_SEND_STATE_FINAL);
}

static void log_failure(h2o_req_t *req, int status, const char *msg, size_t msglen)
{
    char path[512];
    omote_redact_query_values(req->input.path.base, req->input.path.len, path, sizeof(path));
    omote_log(OMOTE_LOG_WARN, MODULE, "status=%d error=\"%.*s\" method=%.*s path=%s", status, (int)msglen, msg,
              (int)req->method.len, req->method.base, path);
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    const char *msg;
    size_t msglen;

    if (req->res.status != 502 || (msg = find_proxy_error(req, &msglen)) == NULL)
        goto Next;

    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    int timed_out = is_timeout(msg, msglen);
    req->res.status = timed_out ? 504 : 502;
    req->res.reason = timed_out ? "Gateway Timeout" : "Bad Gateway";
    omote_metrics_add(&worker->metrics.origin_errors[timed_out ? OMOTE_METRICS_ORIGIN_TIMEOUT : OMOTE_METRICS_ORIGIN_CONNECT], 1);
    log_failure(req, req->res.status, msg, msglen);

    struct st_replace_stage_t *stage = (void *)h2o_add_ostream(req, sizeof(*stage), slot);
    stage->super.do_send = replace_do_send;
    stage->page = timed_out ? h2o_iovec_init(page_504, sizeof(page_504) - 1) : h2o_iovec_init(page_502, sizeof(page_502) - 1);
    req->res.headers = (h2o_headers_t){NULL};
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/html; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    req->res.content_length = stage->page.len;
    slot = &stage->super.next;

Next:
    h2o_setup_next_ostream(req, slot);
}

void omote_error_page_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *filter = h2o_create_filter(pathconf, sizeof(*filter));
    filter->on_setup_ostream = on_setup_ostream;
}
