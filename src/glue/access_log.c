/*
 * JSON-lines access log. Each thread appends lines to its own buffer and writes it out when it
 * fills or half a second after the first unwritten line, so the request path makes no system
 * call. Lines hold no query values, no cookies, no client address: nothing that identifies a
 * visitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "omote/glue.h"
#include "omote/proxied.h"
#include "omote/redact.h"

#define FLUSH_DELAY_MS 500
#define MAX_LINE 2048

/* stays the same number for the process lifetime; reopening dup2()s a new file onto it */
static int access_fd = -1;
static volatile int access_enabled;

int omote_access_log_open(const char *path, char *err, size_t errlen)
{
    int fd;

    if (path == NULL) {
        access_enabled = 0;
        return 0;
    }
    if (strcmp(path, "-") == 0) {
        fd = dup(1);
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    }
    if (fd == -1) {
        snprintf(err, errlen, "cannot open access log %s: %s", path, strerror(errno));
        return -1;
    }
    if (access_fd == -1) {
        access_fd = fd;
    } else {
        dup2(fd, access_fd);
        close(fd);
    }
    access_enabled = 1;
    return 0;
}

void omote_access_log_flush(omote_worker_t *worker)
{
    if (worker->access_log.len != 0 && access_fd != -1) {
        ssize_t ignored = write(access_fd, worker->access_log.buf, worker->access_log.len);
        (void)ignored;
    }
    worker->access_log.len = 0;
    if (h2o_timeout_is_linked(&worker->access_log.flush_entry))
        h2o_timeout_unlink(&worker->access_log.flush_entry);
}

static void on_flush_timeout(h2o_timeout_entry_t *entry)
{
    omote_worker_t *worker = H2O_STRUCT_FROM_MEMBER(omote_worker_t, access_log.flush_entry, entry);
    omote_access_log_flush(worker);
}

void omote_access_log_init_worker(omote_worker_t *worker)
{
    h2o_timeout_init(worker->ctx.loop, &worker->access_log.flush_timeout, FLUSH_DELAY_MS);
    worker->access_log.flush_entry.cb = on_flush_timeout;
}

static double millis_between(const struct timeval *from, const struct timeval *to)
{
    return (to->tv_sec - from->tv_sec) * 1e3 + (to->tv_usec - from->tv_usec) / 1e3;
}

static const char *protocol_name(const h2o_req_t *req)
{
    return req->version >= 0x200 ? "HTTP/2" : req->version == 0x100 ? "HTTP/1.0" : "HTTP/1.1";
}

static size_t format_line(h2o_req_t *req, char *line, size_t cap)
{
    char path[1024], escaped[1536], method[64], time[40];
    const omote_proxied_t *proxied = omote_proxied_of(req);
    const struct timeval *begin = &req->timestamps.request_begin_at, *end = &req->timestamps.response_end_at;
    struct tm tm;

    size_t plen = omote_redact_query_values(req->input.path.base, req->input.path.len, path, sizeof(path));
    omote_json_escape(path, plen, escaped, sizeof(escaped));
    omote_json_escape(req->input.method.base, req->input.method.len, method, sizeof(method));
    gmtime_r(&begin->tv_sec, &tm);
    strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);

    char upstream[32] = "null";
    if (proxied != NULL && proxied->response_at.tv_sec != 0)
        snprintf(upstream, sizeof(upstream), "%.3f", millis_between(&proxied->dispatched_at, &proxied->response_at));
    int n = snprintf(line, cap,
                     "{\"time\":\"%s.%03dZ\",\"method\":\"%s\",\"path\":\"%s\",\"protocol\":\"%s\",\"status\":%d,\"bytes\":%zu,"
                     "\"duration_ms\":%.3f,\"upstream_ms\":%s}\n",
                     time, (int)(begin->tv_usec / 1000), method, escaped, protocol_name(req), req->res.status, req->bytes_sent,
                     end->tv_sec != 0 ? millis_between(begin, end) : 0.0, upstream);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t received_bytes(const h2o_req_t *req)
{
    size_t n = req->input.method.len + req->input.path.len + req->input.authority.len + req->entity.len;
    for (size_t i = 0; i != req->headers.size; ++i)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return n;
}

static void count(omote_worker_t *worker, h2o_req_t *req)
{
    const omote_proxied_t *proxied = omote_proxied_of(req);

    omote_metrics_count_status(&worker->metrics, req->res.status);
    omote_metrics_add(&worker->metrics.bytes_sent, req->bytes_sent);
    omote_metrics_add(&worker->metrics.bytes_received, received_bytes(req));
    if (proxied != NULL && proxied->response_at.tv_sec != 0) {
        double ms = millis_between(&proxied->dispatched_at, &proxied->response_at);
        omote_metrics_observe_origin_latency(&worker->metrics, ms > 0 ? (uint64_t)(ms * 1000) : 0);
    }
}

static void log_access(h2o_logger_t *self, h2o_req_t *req)
{
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);

    count(worker, req);
    if (!access_enabled)
        return;
    if (worker->access_log.len + MAX_LINE > sizeof(worker->access_log.buf))
        omote_access_log_flush(worker);
    worker->access_log.len += format_line(req, worker->access_log.buf + worker->access_log.len, MAX_LINE);
    if (!h2o_timeout_is_linked(&worker->access_log.flush_entry))
        h2o_timeout_link(worker->ctx.loop, &worker->access_log.flush_timeout, &worker->access_log.flush_entry);
}

void omote_access_log_register(h2o_pathconf_t *pathconf)
{
    h2o_logger_t *logger = h2o_create_logger(pathconf, sizeof(*logger));
    logger->log_access = log_access;
}
