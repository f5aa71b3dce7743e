/*
 * The edge guard (include/omote/edge_guard.h): connection admission, the TLS handshake, the
 * HTTP/2 frame ledger in front of libh2o, and the sweep for slow and stuck clients.
 *
 * How it reaches into libh2o 2.2.5 without patching it, using only what its headers publish:
 * - omote accepts and hands the socket to h2o_http1_accept / h2o_http2_accept itself (after its
 *   own TLS handshake), so every connection has a guard from its first byte; the guard lives in
 *   the socket's on_close slot, which libh2o leaves to the creator of a server socket.
 * - an HTTP/2 connection reads each frame through its `_read_expect` pointer; omote puts its
 *   own function there, looks at the complete frame, and passes it on to libh2o's, re-installing
 *   itself whenever libh2o changes the pointer (it does so only from inside those calls). A
 *   negative return is libh2o's own way to say "connection error": it sends GOAWAY with that
 *   code (ENHANCE_YOUR_CALM) and closes.
 * - ending a connection from the sweep is shutdown(2) on its descriptor: libh2o then meets an
 *   error on its next read or write and closes the connection through its usual path.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "h2o.h"
#include "h2o/http1.h"
#include "h2o/http2.h"
#include "h2o/http2_internal.h"
#include "omote/address_rate.h"
#include "omote/edge_guard.h"
#include "omote/h2_ledger.h"
#include "omote/log.h"
#include "omote/worker.h"

#if H2O_VERSION_MAJOR != 2 || H2O_VERSION_MINOR != 2 || H2O_VERSION_PATCH != 5
#error "the edge guard reads libh2o 2.2.5's h2o_http2_conn_t; prove the flood suite against this libh2o, then move cmake/libh2o.pin"
#endif

#define MODULE "omote/guard"
#define SWEEP_MS 500
#define ADDRESS_TABLE_SIZE 65536
#define ACCEPTS_PER_WAKEUP 16
#define OMOTE_GUARD_MAX_OPEN_REQUESTS 128

enum { PROTOCOL_HANDSHAKE, PROTOCOL_HTTP1, PROTOCOL_HTTP2 };

struct st_conn_guard_t {
    omote_worker_t *worker;
    h2o_socket_t *sock;
    h2o_accept_ctx_t *accept_ctx;
    struct timeval connected_at;
    h2o_linklist_t link; /* the worker's guards */
    h2o_timeout_entry_t handshake_timeout;
    int protocol;
    int is_shut; /* shutdown(2) issued: libh2o is closing it */
    struct {
        void (*cb)(void *data);
        void *data;
    } chained_close; /* whatever the socket's creator had set there */
    /* HTTP/2 */
    ssize_t (*h2o_expect)(h2o_http2_conn_t *conn, const uint8_t *src, size_t len, const char **err_desc);
    int past_preface;
    omote_h2_ledger_t ledger;
    uint64_t abusive_since_ms;
    uint64_t partial_frame_since_ms; /* a frame begun and not complete; 0: none */
    uint64_t header_block_since_ms;  /* HEADERS without END_HEADERS seen; 0: no block open */
    uint32_t max_stream_id;          /* the highest stream the client opened */
    struct st_open_request_t {
        uint32_t stream_id;
        uint64_t began_ms;
    } *open_requests; /* OMOTE_GUARD_MAX_OPEN_REQUESTS of them, allocated with the first request body */
    size_t num_open_requests;
    /* a response waiting for the client: what changed last, and when */
    uint64_t send_mark_written;
    int send_mark_queued;
    uint64_t send_progress_ms;
};

struct st_omote_guard_worker_t {
    omote_worker_t *worker;
    h2o_linklist_t guards;
    h2o_timeout_t sweep_timeout;
    h2o_timeout_entry_t sweep;
};

static size_t open_connections; /* atomic */
static pthread_mutex_t buckets_mutex = PTHREAD_MUTEX_INITIALIZER;
static omote_address_rate_t *connection_buckets, *request_buckets;

static int take_token(omote_address_rate_t **table, const struct sockaddr *sa, uint64_t now_ms, uint32_t per_second,
                      uint32_t burst)
{
    uint8_t key[16];
    if (per_second == 0 || omote_address_key(sa, key) != 0)
        return 1;
    pthread_mutex_lock(&buckets_mutex);
    if (*table == NULL)
        *table = omote_address_rate_create(ADDRESS_TABLE_SIZE);
    int ok = omote_address_rate_take(*table, key, now_ms, per_second, burst);
    pthread_mutex_unlock(&buckets_mutex);
    return ok;
}

/* h2o_socket_getnumerichost may write up to NI_MAXHOST bytes, whatever the address */
static void describe_peer(h2o_socket_t *sock, char buf[NI_MAXHOST])
{
    struct sockaddr_storage ss;
    socklen_t sslen = h2o_socket_getpeername(sock, (void *)&ss);
    if (sslen == 0 || h2o_socket_getnumerichost((void *)&ss, sslen, buf) == SIZE_MAX)
        strcpy(buf, "-");
}

/* --- ending connections ----------------------------------------------------------------- */

static void shut(struct st_conn_guard_t *guard, omote_metrics_slow_t reason)
{
    if (guard->is_shut)
        return;
    guard->is_shut = 1;
    omote_metrics_add(&guard->worker->metrics.slow_clients_closed[reason], 1);
    shutdown(h2o_socket_get_fd(guard->sock), SHUT_RDWR);
}

static void on_guarded_close(void *data)
{
    struct st_conn_guard_t *guard = data;

    if (h2o_timeout_is_linked(&guard->handshake_timeout))
        h2o_timeout_unlink(&guard->handshake_timeout);
    h2o_linklist_unlink(&guard->link);
    omote_metrics_add(&guard->worker->metrics.connections_closed, 1);
    __atomic_sub_fetch(&open_connections, 1, __ATOMIC_RELAXED);
    void (*chained)(void *) = guard->chained_close.cb;
    void *chained_data = guard->chained_close.data;
    free(guard->open_requests);
    free(guard);
    if (chained != NULL)
        chained(chained_data);
}

static struct st_conn_guard_t *guard_of_socket(h2o_socket_t *sock)
{
    return sock->on_close.cb == on_guarded_close ? sock->on_close.data : NULL;
}

/* --- HTTP/2: the frame ledger ----------------------------------------------------------- */

static size_t queued_output(h2o_http2_conn_t *conn)
{
    size_t n = conn->_write.buf->size;
    if (conn->_write.buf_in_flight != NULL)
        n += conn->_write.buf_in_flight->size;
    return n;
}

/* Streams whose request the client is still sending, with when they began. The client's own
 * frames tell omote what it needs: libh2o's stream table is not readable from outside (see
 * src/compat/khash.h). More than libh2o allows at once (100) are never open at the same time. */
static struct st_open_request_t *find_open_request(struct st_conn_guard_t *guard, uint32_t stream_id)
{
    for (size_t i = 0; i != guard->num_open_requests; ++i)
        if (guard->open_requests[i].stream_id == stream_id)
            return guard->open_requests + i;
    return NULL;
}

static void forget_open_request(struct st_conn_guard_t *guard, struct st_open_request_t *open)
{
    *open = guard->open_requests[--guard->num_open_requests];
}

static omote_h2_frame_t describe_frame(struct st_conn_guard_t *guard, h2o_http2_conn_t *conn, const uint8_t *src)
{
    omote_h2_frame_t frame = {
        .length = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2],
        .type = src[3],
        .flags = src[4],
        .stream_id = ((uint32_t)src[5] << 24 | (uint32_t)src[6] << 16 | (uint32_t)src[7] << 8 | src[8]) & 0x7fffffff,
    };
    if (frame.stream_id != 0 && (frame.stream_id & 1) != 0) {
        frame.stream_is_new = frame.stream_id > guard->max_stream_id;
        frame.stream_is_live = !frame.stream_is_new;
    }
    frame.queued_output = queued_output(conn);
    return frame;
}

/* Follows what the frame does to the client's requests, once the ledger has let it through. */
static void track_requests(struct st_conn_guard_t *guard, const omote_h2_frame_t *frame, uint64_t now)
{
    enum { END_STREAM = 0x1 };
    struct st_open_request_t *open;

    switch (frame->type) {
    case H2O_HTTP2_FRAME_TYPE_HEADERS:
        if (frame->stream_is_new) {
            guard->max_stream_id = frame->stream_id;
            if ((frame->flags & END_STREAM) == 0 && guard->num_open_requests != OMOTE_GUARD_MAX_OPEN_REQUESTS) {
                /* most connections never send a body: they do not pay for the table */
                if (guard->open_requests == NULL)
                    guard->open_requests = h2o_mem_alloc(sizeof(*guard->open_requests) * OMOTE_GUARD_MAX_OPEN_REQUESTS);
                guard->open_requests[guard->num_open_requests++] = (struct st_open_request_t){frame->stream_id, now};
            }
        } else if ((frame->flags & END_STREAM) != 0 && (open = find_open_request(guard, frame->stream_id)) != NULL) {
            forget_open_request(guard, open); /* trailers */
        }
        break;
    case H2O_HTTP2_FRAME_TYPE_DATA:
        if ((frame->flags & END_STREAM) != 0 && (open = find_open_request(guard, frame->stream_id)) != NULL)
            forget_open_request(guard, open);
        break;
    case H2O_HTTP2_FRAME_TYPE_RST_STREAM:
        if ((open = find_open_request(guard, frame->stream_id)) != NULL)
            forget_open_request(guard, open);
        break;
    default:
        break;
    }
}

/* libh2o counts, per event loop, every stream and connection error it answers; the difference
 * across one frame's handling is what this client's frame provoked */
static uint64_t protocol_errors_so_far(h2o_context_t *ctx)
{
    uint64_t n = 0;
    for (size_t i = 0; i != H2O_HTTP2_ERROR_MAX; ++i)
        n += ctx->http2.events.protocol_level_errors[i];
    return n;
}

static void record_abuse(struct st_conn_guard_t *guard, omote_h2_verdict_t verdict)
{
    char peer[NI_MAXHOST];
    guard->abusive_since_ms = h2o_now(guard->worker->loop);
    omote_metrics_add(&guard->worker->metrics.http2_abuse[verdict], 1);
    describe_peer(guard->sock, peer);
    omote_log(OMOTE_LOG_WARN, MODULE, "event=http2_abuse kind=%s peer=%s streams=%u resets=%u stream_errors=%u control_frames=%u",
              omote_h2_verdict_name(verdict), peer, guard->ledger.streams, guard->ledger.resets, guard->ledger.stream_errors,
              guard->ledger.control_frames);
}

static ssize_t guarded_expect(h2o_http2_conn_t *conn, const uint8_t *src, size_t len, const char **err_desc)
{
    struct st_conn_guard_t *guard = conn->sock->on_close.data;
    uint64_t now = h2o_now(guard->worker->loop);

    if (guard->past_preface) {
        size_t need = len < H2O_HTTP2_FRAME_HEADER_SIZE ? SIZE_MAX : H2O_HTTP2_FRAME_HEADER_SIZE + ((size_t)src[0] << 16 | (size_t)src[1] << 8 | src[2]);
        if (len < need) {
            if (guard->partial_frame_since_ms == 0)
                guard->partial_frame_since_ms = now;
        } else {
            guard->partial_frame_since_ms = 0;
            omote_h2_frame_t frame = describe_frame(guard, conn, src);
            int was_fine = guard->ledger.verdict == OMOTE_H2_FINE;
            omote_h2_verdict_t verdict = omote_h2_ledger_frame(&guard->ledger, &frame, now);
            if (verdict != OMOTE_H2_FINE) {
                if (was_fine)
                    record_abuse(guard, verdict);
                *err_desc = "too many resets, errors or control frames";
                return H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM;
            }
            track_requests(guard, &frame, now);
            if (guard->ledger.in_header_block) {
                if (guard->header_block_since_ms == 0)
                    guard->header_block_since_ms = now;
            } else {
                guard->header_block_since_ms = 0;
            }
        }
    }

    uint64_t errors_before = protocol_errors_so_far(conn->super.ctx);
    ssize_t ret = guard->h2o_expect(conn, src, len, err_desc);
    uint64_t provoked = protocol_errors_so_far(conn->super.ctx) - errors_before;
    if (ret >= 0 && provoked != 0 && guard->ledger.verdict == OMOTE_H2_FINE) {
        omote_h2_verdict_t verdict = omote_h2_ledger_stream_errors(&guard->ledger, (uint32_t)provoked, now);
        if (verdict != OMOTE_H2_FINE) {
            record_abuse(guard, verdict);
            *err_desc = "too many streams reset for errors";
            return H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM;
        }
    }
    if (conn->_read_expect != guarded_expect) {
        /* libh2o moved on (preface done, or into or out of a header block): follow it */
        guard->past_preface = 1;
        guard->h2o_expect = conn->_read_expect;
        conn->_read_expect = guarded_expect;
    }
    return ret;
}

static void start_http2(struct st_conn_guard_t *guard)
{
    h2o_socket_t *sock = guard->sock;

    /* bytes that came with the handshake would be parsed inside h2o_http2_accept, before the
     * ledger is in place: hold them back until it is */
    h2o_buffer_t *arrived = sock->input;
    h2o_buffer_init(&sock->input, &h2o_socket_buffer_prototype);
    h2o_http2_accept(guard->accept_ctx, sock, guard->connected_at);
    h2o_http2_conn_t *conn = sock->data;
    guard->protocol = PROTOCOL_HTTP2;
    guard->h2o_expect = conn->_read_expect;
    conn->_read_expect = guarded_expect;
    h2o_buffer_dispose(&sock->input);
    sock->input = arrived;
    if (sock->input->size != 0)
        sock->_cb.read(sock, NULL);
}

/* --- accepting -------------------------------------------------------------------------- */

static void on_handshake_timeout(h2o_timeout_entry_t *entry)
{
    struct st_conn_guard_t *guard = H2O_STRUCT_FROM_MEMBER(struct st_conn_guard_t, handshake_timeout, entry);
    h2o_socket_close(guard->sock);
}

static void on_handshake_complete(h2o_socket_t *sock, const char *err)
{
    struct st_conn_guard_t *guard = guard_of_socket(sock);

    h2o_timeout_unlink(&guard->handshake_timeout);
    sock->data = NULL;
    if (err != NULL) {
        h2o_socket_close(sock);
        return;
    }
    h2o_iovec_t proto = h2o_socket_ssl_get_selected_protocol(sock);
    if (h2o_memis(proto.base, proto.len, H2O_STRLIT("h2"))) {
        start_http2(guard);
    } else {
        guard->protocol = PROTOCOL_HTTP1;
        h2o_http1_accept(guard->accept_ctx, sock, guard->connected_at);
    }
}

/* Returns the reason to refuse, or -1 to admit. */
static int admission(omote_worker_t *worker, h2o_socket_t *sock)
{
    const omote_config_t *conf = worker->gen->config;

    if (__atomic_add_fetch(&open_connections, 1, __ATOMIC_RELAXED) > conf->limits.max_connections && conf->limits.max_connections != 0) {
        __atomic_sub_fetch(&open_connections, 1, __ATOMIC_RELAXED);
        return OMOTE_METRICS_REFUSED_MAX_CONNECTIONS;
    }
    struct sockaddr_storage ss;
    if (h2o_socket_getpeername(sock, (void *)&ss) != 0 &&
        !take_token(&connection_buckets, (void *)&ss, h2o_now(worker->loop), conf->limits.connections_per_second_per_address,
                    conf->limits.connection_burst_per_address)) {
        __atomic_sub_fetch(&open_connections, 1, __ATOMIC_RELAXED);
        return OMOTE_METRICS_REFUSED_ADDRESS_RATE;
    }
    return -1;
}

int omote_guard_adopt(h2o_accept_ctx_t *accept_ctx, h2o_socket_t *sock, int cleartext_http2)
{
    omote_worker_t *worker = omote_worker_of(accept_ctx->ctx);

    int refusal = admission(worker, sock);
    if (refusal >= 0) {
        omote_metrics_add(&worker->metrics.connections_refused[refusal], 1);
        h2o_socket_close(sock);
        return -1;
    }
    omote_metrics_add(&worker->metrics.connections_accepted, 1);

    struct st_conn_guard_t *guard = h2o_mem_alloc(sizeof(*guard));
    *guard = (struct st_conn_guard_t){.worker = worker, .sock = sock, .accept_ctx = accept_ctx};
    gettimeofday(&guard->connected_at, NULL);
    guard->handshake_timeout.cb = on_handshake_timeout;
    /* libh2o holds a header block up to H2O_MAX_REQLEN and refuses the stream beyond it; a block
     * that keeps coming after that is not a request any more */
    omote_h2_ledger_init(&guard->ledger, H2O_MAX_REQLEN + 16384, h2o_now(worker->loop));
    h2o_linklist_insert(&worker->guard->guards, &guard->link);
    guard->chained_close.cb = sock->on_close.cb;
    guard->chained_close.data = sock->on_close.data;
    sock->on_close.cb = on_guarded_close;
    sock->on_close.data = guard;

    if (accept_ctx->ssl_ctx != NULL) {
        guard->protocol = PROTOCOL_HANDSHAKE;
        sock->data = guard;
        h2o_timeout_link(worker->loop, &worker->ctx.handshake_timeout, &guard->handshake_timeout);
        h2o_socket_ssl_handshake(sock, accept_ctx->ssl_ctx, NULL, on_handshake_complete);
    } else if (cleartext_http2) {
        start_http2(guard);
    } else {
        guard->protocol = PROTOCOL_HTTP1;
        h2o_http1_accept(accept_ctx, sock, guard->connected_at);
    }
    return 0;
}

void omote_guard_on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    /* a few per wake-up: fair to the connections already open, cheaper than one epoll round each */
    for (int i = 0; i != ACCEPTS_PER_WAKEUP; ++i) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        omote_guard_adopt(listener->data, sock, 0);
    }
}

/* --- the request path ------------------------------------------------------------------- */

int omote_guard_request_allowed(h2o_req_t *req)
{
    const omote_config_t *conf = omote_worker_of(req->conn->ctx)->gen->config;
    struct sockaddr_storage ss;

    if (conf->limits.requests_per_second_per_address == 0 || req->conn->callbacks->get_peername(req->conn, (void *)&ss) == 0)
        return 1;
    return take_token(&request_buckets, (void *)&ss, h2o_now(req->conn->ctx->loop), conf->limits.requests_per_second_per_address,
                      conf->limits.request_burst_per_address);
}

void omote_guard_note_stream_error(h2o_req_t *req)
{
    if (req->version < 0x200)
        return;
    h2o_http2_conn_t *conn = (h2o_http2_conn_t *)req->conn;
    struct st_conn_guard_t *guard = guard_of_socket(conn->sock);
    if (guard == NULL || guard->ledger.verdict != OMOTE_H2_FINE)
        return;
    omote_h2_verdict_t verdict = omote_h2_ledger_stream_errors(&guard->ledger, 1, h2o_now(conn->super.ctx->loop));
    if (verdict != OMOTE_H2_FINE)
        record_abuse(guard, verdict); /* the next frame gets GOAWAY; the sweep ends it if none comes */
}

/* --- the sweep -------------------------------------------------------------------------- */

/* Whether a response is waiting for a client that takes none of it, judged by the socket's own
 * queue: a client reading even slowly moves it (and lets libh2o write more), one that reads
 * nothing leaves both as they were. */
static int send_is_stalled(struct st_conn_guard_t *guard, uint64_t now, uint64_t stall_ms)
{
    int queued = 0;
    if (!h2o_socket_is_writing(guard->sock) || ioctl(h2o_socket_get_fd(guard->sock), SIOCOUTQ, &queued) != 0) {
        guard->send_progress_ms = 0;
        return 0;
    }
    if (guard->send_progress_ms == 0 || queued != guard->send_mark_queued || guard->sock->bytes_written != guard->send_mark_written) {
        guard->send_mark_queued = queued;
        guard->send_mark_written = guard->sock->bytes_written;
        guard->send_progress_ms = now;
        return 0;
    }
    return now - guard->send_progress_ms >= stall_ms;
}

/* The oldest moment an HTTP/2 request of this connection began that is still not fully received. */
static uint64_t oldest_unfinished_request(struct st_conn_guard_t *guard, h2o_http2_conn_t *conn)
{
    uint64_t oldest = UINT64_MAX;
    if (guard->partial_frame_since_ms != 0)
        oldest = guard->partial_frame_since_ms;
    if (guard->header_block_since_ms != 0 && guard->header_block_since_ms < oldest)
        oldest = guard->header_block_since_ms;
    /* libh2o counts the streams it still receives; none means the server ended the ones omote
     * thinks are open (a 413 and RST_STREAM for a body too large, say) */
    if (conn->num_streams.pull.open == 0)
        guard->num_open_requests = 0;
    for (size_t i = 0; i != guard->num_open_requests; ++i)
        if (guard->open_requests[i].began_ms < oldest)
            oldest = guard->open_requests[i].began_ms;
    return oldest;
}

static void sweep_http2(omote_worker_t *worker, uint64_t now)
{
    const omote_config_t *conf = worker->gen->config;

    for (h2o_linklist_t *node = worker->ctx.http2._conns.next; node != &worker->ctx.http2._conns; node = node->next) {
        h2o_http2_conn_t *conn = H2O_STRUCT_FROM_MEMBER(h2o_http2_conn_t, _conns, node);
        struct st_conn_guard_t *guard = guard_of_socket(conn->sock);
        if (guard == NULL || guard->is_shut)
            continue;
        if (guard->abusive_since_ms != 0) {
            /* GOAWAY is queued; a client that reads it leaves at once, one that does not is shown the door */
            if (now - guard->abusive_since_ms >= SWEEP_MS)
                shut(guard, OMOTE_METRICS_SLOW_ABUSIVE);
            continue;
        }
        uint64_t began = oldest_unfinished_request(guard, conn);
        if (began != UINT64_MAX && now > began && now - began >= conf->timeouts.request_ms) {
            char peer[NI_MAXHOST];
            describe_peer(guard->sock, peer);
            omote_log(OMOTE_LOG_INFO, MODULE, "event=slow_client protocol=http2 peer=%s waited_ms=%llu", peer,
                      (unsigned long long)(now - began));
            shut(guard, OMOTE_METRICS_SLOW_HTTP2_REQUEST);
        }
    }
}

static void on_sweep(h2o_timeout_entry_t *entry)
{
    struct st_omote_guard_worker_t *gw = H2O_STRUCT_FROM_MEMBER(struct st_omote_guard_worker_t, sweep, entry);
    omote_worker_t *worker = gw->worker;
    uint64_t now = h2o_now(worker->loop);

    sweep_http2(worker, now);
    /* no socket is closed synchronously here (shutdown only), so walking the list is safe */
    for (h2o_linklist_t *node = gw->guards.next; node != &gw->guards; node = node->next) {
        struct st_conn_guard_t *guard = H2O_STRUCT_FROM_MEMBER(struct st_conn_guard_t, link, node);
        if (guard->is_shut || guard->protocol == PROTOCOL_HANDSHAKE)
            continue;
        if (send_is_stalled(guard, now, worker->gen->config->timeouts.send_stall_ms)) {
            char peer[NI_MAXHOST];
            describe_peer(guard->sock, peer);
            omote_log(OMOTE_LOG_INFO, MODULE, "event=send_stall protocol=%s peer=%s", guard->protocol == PROTOCOL_HTTP2 ? "http2" : "http1",
                      peer);
            shut(guard, OMOTE_METRICS_SLOW_SEND_STALL);
        }
    }
    if (worker->stopping != 2)
        h2o_timeout_link(worker->loop, &gw->sweep_timeout, &gw->sweep);
}

void omote_guard_worker_start(omote_worker_t *worker)
{
    struct st_omote_guard_worker_t *gw = h2o_mem_alloc(sizeof(*gw));
    *gw = (struct st_omote_guard_worker_t){.worker = worker};
    h2o_linklist_init_anchor(&gw->guards);
    h2o_timeout_init(worker->loop, &gw->sweep_timeout, SWEEP_MS);
    gw->sweep.cb = on_sweep;
    worker->guard = gw;
    h2o_timeout_link(worker->loop, &gw->sweep_timeout, &gw->sweep);
}

void omote_guard_worker_stop(omote_worker_t *worker)
{
    struct st_omote_guard_worker_t *gw = worker->guard;
    if (gw == NULL)
        return;
    if (h2o_timeout_is_linked(&gw->sweep))
        h2o_timeout_unlink(&gw->sweep);
    /* connections still open as the process ends keep their guards; they go with the process */
    if (h2o_linklist_is_empty(&gw->guards)) {
        worker->guard = NULL;
        free(gw);
    }
}
