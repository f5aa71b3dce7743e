/*
 * hiredis on h2o's event loop. hiredis never waits on a socket itself; it asks through the hooks
 * in ac->ev, which this file maps onto an h2o socket wrapping the same descriptor
 * (H2O_SOCKET_FLAG_DONT_READ: h2o reports readability and leaves the bytes to hiredis).
 *
 * Lifecycle: DISCONNECTED -> (connect) CONNECTING -> CONNECTED -> (error, timeout, server gone)
 * DISCONNECTED -> reconnect after a delay that doubles from reconnect_min_ms to reconnect_max_ms
 * and resets on success. Replies arrive in order, so a command that times out cannot be
 * cancelled alone: the whole connection is torn down (every pending command fails with the
 * timeout reason) and rebuilt.
 *
 * Failure policy: a caller gets an answer or an error within command_timeout_ms, never a hang;
 * while disconnected, commands fail at once.
 */
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include "omote/log.h"
#include "omote/redis.h"

#define MODULE "omote/redis"
#define MAX_BACKOFF_STEPS 16

const char omote_redis_error_timeout[] = "timeout";
const char omote_redis_error_disconnected[] = "disconnected";

enum { STATE_DISCONNECTED, STATE_CONNECTING, STATE_CONNECTED };

struct st_omote_redis_t {
    h2o_loop_t *loop;
    char *host, *unix_path;
    uint16_t port;
    omote_metrics_shard_t *metrics;

    redisAsyncContext *ac;        /* the live context, NULL once it is going away */
    redisAsyncContext *hooked_ac; /* the context whose hooks point here, until its cleanup hook ran */
    h2o_socket_t *sock;
    int state;
    int is_freeing;
    const char *teardown_reason; /* reported to the commands failed by the current teardown */
    h2o_linklist_t pending;      /* omote_redis_command_t, oldest first */

    h2o_timeout_t command_timeout, connect_timeout, zero_timeout;
    h2o_timeout_entry_t connect_entry, teardown_entry;
    h2o_timeout_t backoff[MAX_BACKOFF_STEPS];
    size_t num_backoff_steps, backoff_step;
    h2o_timeout_entry_t reconnect_entry;
};

struct st_omote_redis_command_t {
    omote_redis_t *client;
    omote_redis_reply_cb cb;
    void *data;
    h2o_timeout_entry_t timeout;
    h2o_linklist_t link;
};

static void connect_now(omote_redis_t *client);

static void unlink_entry(h2o_timeout_entry_t *entry)
{
    if (h2o_timeout_is_linked(entry))
        h2o_timeout_unlink(entry);
}

/* --- the hooks hiredis calls ------------------------------------------------------------- */

static void on_readable(h2o_socket_t *sock, const char *err)
{
    omote_redis_t *client = sock->data;
    redisAsyncHandleRead(client->ac);
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    omote_redis_t *client = sock->data;
    if (client->ac != NULL)
        redisAsyncHandleWrite(client->ac);
}

static void hook_add_read(void *data)
{
    omote_redis_t *client = data;
    if (!h2o_socket_is_reading(client->sock))
        h2o_socket_read_start(client->sock, on_readable);
}

static void hook_del_read(void *data)
{
    omote_redis_t *client = data;
    if (h2o_socket_is_reading(client->sock))
        h2o_socket_read_stop(client->sock);
}

static void hook_add_write(void *data)
{
    omote_redis_t *client = data;
    /* the notification fires once and hiredis asks again while it has bytes left; the guard keeps the hook idempotent */
    if (!h2o_socket_is_writing(client->sock))
        h2o_socket_notify_write(client->sock, on_writable);
}

static void hook_del_write(void *data)
{
}

static void hook_cleanup(void *data)
{
    omote_redis_t *client = data;
    if (client->sock != NULL) {
        h2o_socket_read_stop(client->sock);
        h2o_socket_close(client->sock);
        client->sock = NULL;
    }
    if (client->hooked_ac != NULL) {
        client->hooked_ac->c.fd = -1; /* h2o closed it; the number may already belong to someone else */
        client->hooked_ac->ev.data = NULL;
        client->hooked_ac = NULL;
    }
}

/* --- connection lifecycle ----------------------------------------------------------------- */

static void schedule_reconnect(omote_redis_t *client)
{
    if (client->is_freeing || h2o_timeout_is_linked(&client->reconnect_entry))
        return;
    h2o_timeout_link(client->loop, &client->backoff[client->backoff_step], &client->reconnect_entry);
    if (client->backoff_step + 1 < client->num_backoff_steps)
        ++client->backoff_step;
}

static void mark_down(omote_redis_t *client)
{
    client->ac = NULL;
    client->state = STATE_DISCONNECTED;
    omote_metrics_set(&client->metrics->redis_connected, 0);
    unlink_entry(&client->connect_entry);
    schedule_reconnect(client);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    omote_redis_t *client = ac->data;

    unlink_entry(&client->connect_entry);
    if (status != REDIS_OK) {
        /* hiredis frees the context after this returns */
        omote_log(OMOTE_LOG_WARN, MODULE, "event=connect_failed error=\"%s\"", ac->errstr);
        omote_metrics_add(&client->metrics->redis_errors, 1);
        mark_down(client);
        return;
    }
    client->state = STATE_CONNECTED;
    client->backoff_step = 0;
    client->teardown_reason = NULL;
    omote_metrics_set(&client->metrics->redis_connected, 1);
    omote_metrics_add(&client->metrics->redis_connects, 1);
    omote_log(OMOTE_LOG_DEBUG, MODULE, "event=connected");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    omote_redis_t *client = ac->data;

    if (status != REDIS_OK && !client->is_freeing) {
        omote_log(OMOTE_LOG_WARN, MODULE, "event=disconnected error=\"%s\"", ac->errstr);
        omote_metrics_add(&client->metrics->redis_errors, 1);
    }
    mark_down(client);
}

/* tears the connection down from a fresh stack: every pending command fails with `reason` */
static void on_teardown(h2o_timeout_entry_t *entry)
{
    omote_redis_t *client = H2O_STRUCT_FROM_MEMBER(omote_redis_t, teardown_entry, entry);
    redisAsyncContext *ac = client->ac;

    if (ac == NULL)
        return;
    if (client->state == STATE_CONNECTING) {
        /* a context that never connected gets no disconnect callback */
        redisAsyncFree(ac);
        mark_down(client);
    } else {
        redisAsyncFree(ac); /* calls on_disconnect, which schedules the reconnect */
    }
}

static void teardown(omote_redis_t *client, const char *reason)
{
    if (client->ac == NULL || h2o_timeout_is_linked(&client->teardown_entry))
        return;
    client->teardown_reason = reason;
    h2o_timeout_link(client->loop, &client->zero_timeout, &client->teardown_entry);
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    omote_redis_t *client = H2O_STRUCT_FROM_MEMBER(omote_redis_t, connect_entry, entry);
    omote_log(OMOTE_LOG_WARN, MODULE, "event=connect_timeout");
    omote_metrics_add(&client->metrics->redis_errors, 1);
    teardown(client, omote_redis_error_timeout);
}

static void on_reconnect(h2o_timeout_entry_t *entry)
{
    omote_redis_t *client = H2O_STRUCT_FROM_MEMBER(omote_redis_t, reconnect_entry, entry);
    connect_now(client);
}

static redisAsyncContext *start_connect(omote_redis_t *client)
{
    if (client->unix_path != NULL)
        return redisAsyncConnectUnix(client->unix_path);
    return redisAsyncConnect(client->host, client->port);
}

static void connect_now(omote_redis_t *client)
{
    redisAsyncContext *ac = start_connect(client);

    if (ac == NULL || ac->err) {
        omote_log(OMOTE_LOG_WARN, MODULE, "event=connect_failed error=\"%s\"", ac != NULL ? ac->errstr : "out of memory");
        omote_metrics_add(&client->metrics->redis_errors, 1);
        if (ac != NULL)
            redisAsyncFree(ac);
        schedule_reconnect(client);
        return;
    }
    client->ac = ac;
    client->hooked_ac = ac;
    client->state = STATE_CONNECTING;
    client->sock = h2o_evloop_socket_create(client->loop, ac->c.fd, H2O_SOCKET_FLAG_DONT_READ);
    client->sock->data = client;
    ac->data = client;
    ac->ev.data = client;
    ac->ev.addRead = hook_add_read;
    ac->ev.delRead = hook_del_read;
    ac->ev.addWrite = hook_add_write;
    ac->ev.delWrite = hook_del_write;
    ac->ev.cleanup = hook_cleanup;
    /* set last: it asks for write readiness at once, which is how hiredis learns the connect finished */
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    h2o_timeout_link(client->loop, &client->connect_timeout, &client->connect_entry);
}

/* --- commands ------------------------------------------------------------------------------- */

static void on_reply(redisAsyncContext *ac, void *_reply, void *_command)
{
    omote_redis_command_t *command = _command;
    omote_redis_t *client = command->client;
    redisReply *reply = _reply;

    unlink_entry(&command->timeout);
    h2o_linklist_unlink(&command->link);
    const char *errstr = NULL;
    if (reply == NULL) {
        errstr = client->teardown_reason != NULL ? client->teardown_reason : omote_redis_error_disconnected;
        omote_metrics_add(&client->metrics->redis_errors, 1);
    } else if (reply->type == REDIS_REPLY_ERROR) {
        omote_metrics_add(&client->metrics->redis_errors, 1);
    }
    if (command->cb != NULL)
        command->cb(command->data, reply, errstr);
    free(command);
}

static void on_command_timeout(h2o_timeout_entry_t *entry)
{
    omote_redis_command_t *command = H2O_STRUCT_FROM_MEMBER(omote_redis_command_t, timeout, entry);
    omote_redis_t *client = command->client;

    omote_log(OMOTE_LOG_WARN, MODULE, "event=command_timeout timeout_ms=%llu", (unsigned long long)client->command_timeout.timeout);
    omote_metrics_add(&client->metrics->redis_timeouts, 1);
    teardown(client, omote_redis_error_timeout);
}

omote_redis_command_t *omote_redis_command(omote_redis_t *client, omote_redis_reply_cb cb, void *data, int argc, const char **argv,
                                           const size_t *argvlen)
{
    if (client->state != STATE_CONNECTED || h2o_timeout_is_linked(&client->teardown_entry))
        return NULL;

    omote_redis_command_t *command = h2o_mem_alloc(sizeof(*command));
    *command = (omote_redis_command_t){client, cb, data};
    command->timeout.cb = on_command_timeout;
    if (redisAsyncCommandArgv(client->ac, on_reply, command, argc, argv, argvlen) != REDIS_OK) {
        free(command);
        return NULL;
    }
    h2o_linklist_insert(&client->pending, &command->link);
    h2o_timeout_link(client->loop, &client->command_timeout, &command->timeout);
    return command;
}

void omote_redis_cancel(omote_redis_command_t *command)
{
    command->cb = NULL;
}

int omote_redis_is_connected(const omote_redis_t *client)
{
    return client->state == STATE_CONNECTED;
}

/* --- create / free ---------------------------------------------------------------------- */

static void init_backoff(omote_redis_t *client, uint64_t min_ms, uint64_t max_ms)
{
    uint64_t delay = min_ms;
    client->num_backoff_steps = 0;
    while (client->num_backoff_steps < MAX_BACKOFF_STEPS) {
        h2o_timeout_init(client->loop, &client->backoff[client->num_backoff_steps++], delay);
        if (delay >= max_ms)
            break;
        delay = delay * 2 < max_ms ? delay * 2 : max_ms;
    }
}

omote_redis_t *omote_redis_create(h2o_loop_t *loop, const omote_config_t *conf, omote_metrics_shard_t *metrics)
{
    omote_redis_t *client = h2o_mem_alloc(sizeof(*client));

    *client = (omote_redis_t){loop};
    client->host = conf->redis.host != NULL ? strdup(conf->redis.host) : NULL;
    client->unix_path = conf->redis.unix_path != NULL ? strdup(conf->redis.unix_path) : NULL;
    client->port = conf->redis.port;
    client->metrics = metrics;
    h2o_linklist_init_anchor(&client->pending);
    h2o_timeout_init(loop, &client->command_timeout, conf->redis.command_timeout_ms);
    h2o_timeout_init(loop, &client->connect_timeout, conf->redis.connect_timeout_ms);
    h2o_timeout_init(loop, &client->zero_timeout, 0);
    client->connect_entry.cb = on_connect_timeout;
    client->teardown_entry.cb = on_teardown;
    client->reconnect_entry.cb = on_reconnect;
    init_backoff(client, conf->redis.reconnect_min_ms, conf->redis.reconnect_max_ms);

    connect_now(client);
    return client;
}

void omote_redis_free(omote_redis_t *client)
{
    client->is_freeing = 1;
    client->teardown_reason = omote_redis_error_disconnected;
    unlink_entry(&client->teardown_entry);
    unlink_entry(&client->reconnect_entry);
    unlink_entry(&client->connect_entry);
    if (client->ac != NULL)
        redisAsyncFree(client->ac);
    h2o_timeout_dispose(client->loop, &client->command_timeout);
    h2o_timeout_dispose(client->loop, &client->connect_timeout);
    h2o_timeout_dispose(client->loop, &client->zero_timeout);
    for (size_t i = 0; i != client->num_backoff_steps; ++i)
        h2o_timeout_dispose(client->loop, &client->backoff[i]);
    free(client->host);
    free(client->unix_path);
    free(client);
}
