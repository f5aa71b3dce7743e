/*
 * The edge guard: what omote does about clients that libh2o 2.2.5 would serve however they
 * behave. It owns the accept path of the public listeners (connection caps per process and per
 * address, the TLS handshake and its protocol choice), puts an HTTP/2 abuse ledger in front of
 * libh2o's frame handling on each connection, and sweeps every worker's connections twice a
 * second for requests that never finish and responses nobody reads.
 *
 * See README.md, "Edge hardening", for the attacks and the figures.
 */
#ifndef OMOTE_EDGE_GUARD_H
#define OMOTE_EDGE_GUARD_H

#include "h2o.h"

struct st_omote_worker_t;

/** Starts the worker's sweep; call on the worker's thread after h2o_context_init. */
void omote_guard_worker_start(struct st_omote_worker_t *worker);

/** Stops the sweep (the worker is leaving its loop). */
void omote_guard_worker_stop(struct st_omote_worker_t *worker);

/**
 * Takes one accepted connection of a proxy worker: applies the connection caps (a refused socket
 * is closed, -1), then starts TLS (when `accept_ctx` has a context) and HTTP/1.1 or HTTP/2 by
 * ALPN, or cleartext HTTP/1.1, or cleartext HTTP/2 when `cleartext_http2` is set (for drivers
 * that feed a socketpair; the public listeners never do). Returns 0 when the guard took it.
 * An on_close callback already set on `sock` still runs, after the guard's own.
 */
int omote_guard_adopt(h2o_accept_ctx_t *accept_ctx, h2o_socket_t *sock, int cleartext_http2);

/** The read callback of a public listener whose `data` is its h2o_accept_ctx_t. */
void omote_guard_on_accept(h2o_socket_t *listener, const char *err);

/** Whether the client address of `req` may make one more request now (limits.requests_per_second_per_address). */
int omote_guard_request_allowed(h2o_req_t *req);

/** Counts an HTTP/2 stream refused for a reason found after its frames; too many end the connection. No-op for HTTP/1. */
void omote_guard_note_stream_error(h2o_req_t *req);

#endif
