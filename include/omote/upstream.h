/*
 * omote's HTTP/1.1 client to the origin: one pool of keep-alive connections per worker thread
 * and generation (the sockets never leave their loop), response bodies streamed with
 * backpressure (omote stops reading from the origin while the visitor's side is behind), and
 * separate connect and I/O timeouts.
 */
#ifndef OMOTE_UPSTREAM_H
#define OMOTE_UPSTREAM_H

#include "h2o.h"
#include "omote/metrics.h"
#include "omote/worker.h"

typedef struct st_omote_upstream_t omote_upstream_t;

/** Creates the client of one worker (`loop`) for the origin of `gen`. */
omote_upstream_t *omote_upstream_create(h2o_loop_t *loop, omote_generation_t *gen, omote_metrics_shard_t *metrics);

/** Closes the idle connections and frees the client; no request may still be using it. */
void omote_upstream_free(omote_upstream_t *upstream);

/**
 * Sends `req` to the origin with the given Host value and request target, and streams the
 * answer back as the response of `req`. Failures before a response head become a 502 or 504
 * page; failures after it end the response with an error so the client sees a truncated body.
 */
void omote_upstream_proxy(omote_upstream_t *upstream, h2o_req_t *req, h2o_iovec_t host, h2o_iovec_t target);

#endif
