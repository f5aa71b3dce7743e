/*
 * One asynchronous Redis connection per event-loop thread, driven by h2o's loop: commands
 * with a deadline, reconnection with exponential backoff. Callers never block and never wait
 * longer than redis.command_timeout_ms for an answer.
 */
#ifndef OMOTE_REDIS_H
#define OMOTE_REDIS_H

#include <stddef.h>
#include "h2o.h"
#include "omote/config.h"
#include "omote/metrics.h"

struct redisReply;

typedef struct st_omote_redis_t omote_redis_t;
typedef struct st_omote_redis_command_t omote_redis_command_t;

/** Why a command got no reply; compare by pointer. */
extern const char omote_redis_error_timeout[];      /* no reply within command_timeout_ms (the connection is reset) */
extern const char omote_redis_error_disconnected[]; /* the connection dropped before the reply came */

/**
 * Called once per command: with the reply (which may be a Redis error reply), or with NULL and
 * one of the error strings above. The reply is borrowed for the duration of the call.
 */
typedef void (*omote_redis_reply_cb)(void *data, const struct redisReply *reply, const char *errstr);

/** Creates a client on `loop` and starts connecting. `conf` is copied; `metrics` must outlive the client. */
omote_redis_t *omote_redis_create(h2o_loop_t *loop, const omote_config_t *conf, omote_metrics_shard_t *metrics);

/** Closes the connection; pending commands are called back with omote_redis_error_disconnected. */
void omote_redis_free(omote_redis_t *client);

/** Whether the connection is established now. */
int omote_redis_is_connected(const omote_redis_t *client);

/**
 * Sends one command given as an argument vector (visitor data never goes through a format
 * string). Returns a handle, or NULL when the client is not connected, in which case `cb` is
 * never called: fail at once rather than queue behind a dead server.
 */
omote_redis_command_t *omote_redis_command(omote_redis_t *client, omote_redis_reply_cb cb, void *data, int argc, const char **argv,
                                           const size_t *argvlen);

/** Forgets the caller of a pending command: its callback will not run (use when the waiting request dies). */
void omote_redis_cancel(omote_redis_command_t *command);

#endif
