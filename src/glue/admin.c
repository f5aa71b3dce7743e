/*
 * The admin listener's endpoints: /healthz (the process runs), /readyz (the origin and Redis
 * both answer now), /metrics (Prometheus text). Everything else is a JSON 404.
 *
 * /readyz waits for a Redis PING and an origin probe at once; if the client leaves first, the
 * pool dispose callback cancels both so no reply ever touches a dead request.
 */
#include <stdio.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include "internal.h"
#include "omote/glue.h"
#include "omote/redis.h"
#include "omote/runtime.h"

#define MODULE "omote/admin"

struct st_admin_handler_t {
    h2o_handler_t super;
};

/* per admin thread: the client context the origin probe connects with */
struct st_admin_context_t {
    h2o_http1client_ctx_t client_ctx;
    h2o_timeout_t probe_timeout;
};

struct st_readiness_wait_t {
    h2o_req_t *req;
    omote_redis_command_t *ping;
    omote_origin_probe_t *probe;
    int pending; /* answers still expected */
    int redis_up, origin_up;
    char redis_detail[96], origin_detail[96];
};

void omote_send_json(h2o_req_t *req, int status, const char *reason, h2o_iovec_t body)
{
    req->res.status = status;
    req->res.reason = reason;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    omote_send_whole(req, body.base, body.len);
}

static void send_readiness(struct st_readiness_wait_t *wait)
{
    h2o_req_t *req = wait->req;
    int ready = wait->redis_up && wait->origin_up;
    size_t workers_connected = 0;
    for (size_t i = 0; i != omote_runtime.num_workers; ++i)
        workers_connected += __atomic_load_n(&omote_runtime.workers[i]->metrics.redis_connected, __ATOMIC_RELAXED);
    char body[512];
    int len = snprintf(body, sizeof(body),
                       "{\"ready\":%s,\"origin\":{\"up\":%s,\"detail\":\"%s\"},\"redis\":{\"up\":%s,\"detail\":\"%s\","
                       "\"workers_connected\":%zu,\"workers\":%zu}}\n",
                       ready ? "true" : "false", wait->origin_up ? "true" : "false", wait->origin_detail,
                       wait->redis_up ? "true" : "false", wait->redis_detail, workers_connected, omote_runtime.num_workers);
    omote_send_json(req, ready ? 200 : 503, ready ? "OK" : "Service Unavailable", h2o_iovec_init(body, len));
}

static void answered(struct st_readiness_wait_t *wait)
{
    if (--wait->pending == 0)
        send_readiness(wait);
}

static void on_pong(void *data, const redisReply *reply, const char *errstr)
{
    struct st_readiness_wait_t *wait = data;

    wait->ping = NULL;
    if (reply != NULL && reply->type == REDIS_REPLY_STATUS) {
        wait->redis_up = 1;
        strcpy(wait->redis_detail, "PONG");
    } else {
        snprintf(wait->redis_detail, sizeof(wait->redis_detail), "%s", reply != NULL ? "error reply" : errstr);
    }
    answered(wait);
}

static void on_probe(void *data, int is_up, const char *detail)
{
    struct st_readiness_wait_t *wait = data;

    wait->probe = NULL;
    wait->origin_up = is_up;
    snprintf(wait->origin_detail, sizeof(wait->origin_detail), "%s", is_up ? "answered" : detail);
    answered(wait);
}

static void on_wait_dispose(void *_wait)
{
    struct st_readiness_wait_t *wait = _wait;
    if (wait->ping != NULL)
        omote_redis_cancel(wait->ping);
    if (wait->probe != NULL)
        omote_origin_probe_cancel(wait->probe);
}

static int handle_readyz(h2o_handler_t *self, h2o_req_t *req)
{
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    struct st_admin_context_t *actx = h2o_context_get_handler_context(req->conn->ctx, self);
    struct st_readiness_wait_t *wait = h2o_mem_alloc_shared(&req->pool, sizeof(*wait), on_wait_dispose);
    static const char *ping[] = {"PING"};
    static const size_t ping_len[] = {4};

    *wait = (struct st_readiness_wait_t){req};
    wait->pending = 3; /* the PING, the probe, and this function's own hold until both are started */
    if ((wait->ping = omote_redis_command(worker->redis, on_pong, wait, 1, ping, ping_len)) == NULL) {
        strcpy(wait->redis_detail, "not connected");
        --wait->pending;
    }
    wait->probe = omote_origin_probe_start(&actx->client_ctx, worker->gen, on_probe, wait);
    answered(wait);
    return 0;
}

static int handle_metrics(h2o_req_t *req)
{
    size_t num = omote_runtime.num_workers + (omote_runtime.admin != NULL);
    omote_metrics_shard_t *shards[num];
    for (size_t i = 0; i != omote_runtime.num_workers; ++i)
        shards[i] = &omote_runtime.workers[i]->metrics;
    if (omote_runtime.admin != NULL)
        shards[num - 1] = &omote_runtime.admin->metrics;

    /* list labels come from the configuration this thread serves; it adopts every reload */
    omote_metrics_process_t process = omote_runtime.process;
    const omote_generation_t *gen = omote_worker_of(req->conn->ctx)->gen;
    const char *names[OMOTE_METRICS_MAX_LISTS];
    process.num_lists = gen->config->trackers.num_lists;
    for (size_t i = 0; i != process.num_lists; ++i)
        names[i] = gen->config->trackers.lists[i].name;
    process.list_names = names;
    process.list_stats = gen->list_stats;

    size_t len;
    char *text = omote_metrics_render(shards, num, &process, &len);
    h2o_iovec_t body = h2o_strdup(&req->pool, text, len);
    free(text);
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/plain; version=0.0.4"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    omote_send_whole(req, body.base, body.len);
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    h2o_iovec_t path = req->path_normalized;
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
                 h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));

    if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz")) || h2o_memis(path.base, path.len, H2O_STRLIT("/readyz")) ||
        h2o_memis(path.base, path.len, H2O_STRLIT("/metrics"))) {
        if (!is_get) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD"));
            omote_send_json(req, 405, "Method Not Allowed", h2o_iovec_init(H2O_STRLIT("{\"error\":\"method not allowed\"}\n")));
            return 0;
        }
        if (path.base[1] == 'h') {
            omote_send_json(req, 200, "OK", h2o_iovec_init(H2O_STRLIT("{\"alive\":true}\n")));
            return 0;
        }
        if (path.base[1] == 'r')
            return handle_readyz(self, req);
        return handle_metrics(req);
    }
    omote_send_json(req, 404, "Not Found",
                    h2o_iovec_init(H2O_STRLIT("{\"error\":\"not found\",\"detail\":\"try /healthz, /readyz or /metrics\"}\n")));
    return 0;
}

static void on_context_init(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct st_admin_context_t *actx = h2o_mem_alloc(sizeof(*actx));
    omote_generation_t *gen = omote_worker_of(ctx)->gen;
    uint64_t timeout_ms = gen->config->origin.io_timeout_ms;

    /* a readiness check must answer well before a load balancer's own probe gives up */
    h2o_timeout_init(ctx->loop, &actx->probe_timeout, timeout_ms < 2000 ? timeout_ms : 2000);
    actx->client_ctx = (h2o_http1client_ctx_t){ctx->loop, &ctx->receivers.hostinfo_getaddr, &actx->probe_timeout};
    h2o_context_set_handler_context(ctx, self, actx);
}

static void on_context_dispose(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct st_admin_context_t *actx = h2o_context_get_handler_context(ctx, self);
    h2o_timeout_dispose(ctx->loop, &actx->probe_timeout);
    free(actx);
}

void omote_admin_register(h2o_hostconf_t *hostconf)
{
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    struct st_admin_handler_t *handler = (void *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->super.on_context_init = on_context_init;
    handler->super.on_context_dispose = on_context_dispose;
}
