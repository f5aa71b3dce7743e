/*
 * The state of one event-loop thread and of one configuration generation, shared by the
 * server (which creates them) and the glue handlers (which read them on the request path).
 */
#ifndef OMOTE_WORKER_H
#define OMOTE_WORKER_H

#include <pthread.h>
#include "h2o.h"
#include "h2o/http1client.h"
#include <sys/socket.h>
#include "omote/config.h"
#include "omote/metrics.h"

struct st_omote_redis_t;

/**
 * One loaded configuration. Process lifetime until a reload replaces it; then freed once the
 * last thread that still serves requests with it lets go (`refs`).
 */
typedef struct st_omote_generation_t {
    uint64_t id;
    omote_config_t *config;
    h2o_url_t origin; /* parsed config->origin.url */
    SSL_CTX *origin_ssl_ctx; /* client context for an https origin (peer verified), else NULL */
    struct st_omote_rules_t *rules;        /* compiled trackers.lists; read-only, shared by all threads */
    struct st_omote_rules_stats_t *list_stats; /* what loading each of trackers.lists found (for metrics) */
    struct st_omote_policy_t *policy;      /* purposes, vendors, signatures, headers; read-only */
    struct st_omote_ui_snippets_t *ui_snippets; /* the banner and privacy link, rendered once; NULL with the banner off */
    struct sockaddr_storage origin_addr; /* resolved when the generation is built (start-up, SIGHUP) */
    socklen_t origin_addrlen;
    long refs;        /* atomic: the main thread's reference plus one per worker still using it */
} omote_generation_t;

/** Takes a reference. */
void omote_generation_retain(omote_generation_t *gen);
/** Drops a reference; the last one frees the generation. */
void omote_generation_release(omote_generation_t *gen);

struct st_omote_upstream_t;

/**
 * A worker's way to the origin under one generation: its own upstream client, whose pooled
 * connections never leave this thread.
 */
typedef struct st_omote_origin_link_t {
    omote_generation_t *gen;
    struct st_omote_upstream_t *upstream;
    size_t inflight;       /* requests dispatched with this link and not yet finished */
    h2o_linklist_t retired; /* in the worker's list once a newer generation took over */
} omote_origin_link_t;

#define OMOTE_ACCESS_LOG_BUFFER 32768

typedef struct st_omote_worker_t {
    h2o_context_t ctx;
    h2o_evloop_t *loop;
    unsigned index;
    int is_admin;
    pthread_t tid;
    omote_metrics_shard_t metrics;
    struct st_omote_redis_t *redis;
    struct st_omote_tracker_cache_t *tracker_cache; /* recent rule decisions of this thread (NULL on the admin thread) */
    struct st_omote_token_cache_t *token_cache;     /* consent tokens this thread verified lately (glue/visitor.c) */
    omote_generation_t *gen;     /* the generation this thread serves new requests with (a reference) */
    omote_origin_link_t *origin; /* NULL on the admin thread */
    h2o_linklist_t retired_origins;  /* links of older generations with requests in flight */
    h2o_linklist_t reapable_origins; /* links whose last request ended; freed from a fresh stack */
    h2o_timeout_entry_t reap_entry;
    h2o_multithread_receiver_t control;
    h2o_socket_t **listeners;
    size_t num_listeners;
    h2o_accept_ctx_t *accept_ctxs; /* one per listener */
    struct st_omote_guard_worker_t *guard; /* the edge guard's connections and sweep (src/server/guard.c); NULL on the admin thread */
    size_t inflight; /* proxied requests in flight on this thread */
    int stopping;
    uint64_t stop_deadline_ms;
    h2o_timeout_t stop_check_timeout;
    h2o_timeout_entry_t stop_check;
    struct {
        char buf[OMOTE_ACCESS_LOG_BUFFER];
        size_t len;
        h2o_timeout_t flush_timeout;
        h2o_timeout_entry_t flush_entry;
    } access_log;
} omote_worker_t;

/** The worker that owns `ctx`. */
static inline omote_worker_t *omote_worker_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(omote_worker_t, ctx, ctx);
}

/** Switches `worker` to `gen` for requests that start from now on (called on the worker's thread). */
void omote_worker_adopt_generation(omote_worker_t *worker, omote_generation_t *gen);

/** Counts one more request dispatched through `link` (worker thread only). */
void omote_origin_link_retain(omote_worker_t *worker, omote_origin_link_t *link);

/** Counts a request through `link` as finished; a retired link is freed with its last request. */
void omote_origin_link_release(omote_worker_t *worker, omote_origin_link_t *link);

#endif
