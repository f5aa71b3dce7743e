/*
 * The upstream HTTP/1.1 client: connects (or reuses a pooled connection), writes the request,
 * parses the response head with the pure parser, and streams the body to the visitor.
 *
 * Backpressure: body bytes collect in the socket's input buffer, at most the exchange's read
 * budget of them; when a send to the visitor is in flight and the budget is full, omote stops
 * reading from the origin (and stops its I/O timer: the wait is the visitor's, not the
 * origin's) until the visitor's side asks for more. The budget starts small and grows while
 * the visitor takes each send quickly (see FAST_SEND_MS), so a fast visitor gets large reads
 * and a slow one costs two small buffers, whatever the size of the response.
 *
 * Failure policy: no response head within origin.io_timeout_ms -> 504; refused, reset,
 * malformed head -> 502. A pooled connection that fails before any response byte is retried
 * once on a fresh connection for idempotent methods (the origin may have closed it idle).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "omote/glue.h"
#include "omote/http1_parse.h"
#include "omote/log.h"
#include "omote/proxied.h"
#include "omote/upstream.h"

#define MODULE "omote/upstream"
#define MAX_HEAD_BYTES 65536
#define MAX_RESPONSE_FIELDS 128
#define MAX_IDLE_CONNECTIONS 128
/*
 * Bounds on an exchange's read budget. The floor is what a visitor who reads slowly costs per
 * buffer (two per response: one being sent, one filling); the ceiling keeps a fast visitor's
 * reads as large as libh2o's own, and is the most one who was fast and then stalls can leave
 * behind until timeouts.send_stall_ms closes it. Response heads are read in floor-sized steps,
 * so the body bytes that arrive with a head never exceed the floor.
 */
#define READ_BUDGET_MIN (16 * 1024)
#define READ_BUDGET_MAX (1024 * 1024)
/*
 * A send the visitor's side takes within FAST_SEND_MS doubles the budget; one that waits
 * SLOW_SEND_MS or more halves it. The budget so follows what a visitor absorbs in about a tenth
 * of a second: a kernel socket buffer with room takes a send at once, a full one does not. The
 * margin is wide because a busy event loop delays even a send that had room.
 */
#define FAST_SEND_MS 100
#define SLOW_SEND_MS 1000

struct st_omote_upstream_t {
    h2o_loop_t *loop;
    omote_generation_t *gen;
    omote_metrics_shard_t *metrics;
    h2o_timeout_t connect_timeout, io_timeout, idle_timeout;
    h2o_linklist_t idle; /* struct st_idle_conn_t, oldest first */
    size_t num_idle;
    int keepalive;
};

struct st_idle_conn_t {
    omote_upstream_t *upstream;
    h2o_socket_t *sock;
    h2o_linklist_t link;
    h2o_timeout_entry_t expiry;
};

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_UNTIL_CLOSE };

struct st_exchange_t {
    h2o_generator_t super;
    h2o_req_t *req;
    omote_upstream_t *upstream;
    h2o_socket_t *sock;
    int is_reused;    /* the connection came from the pool */
    int is_idempotent;
    int got_response; /* a response byte arrived: no retry from here on */
    int can_keepalive;
    int body_kind;
    uint64_t body_remaining;
    omote_http1_chunked_t chunked;
    size_t decoded; /* bytes at the start of sock->input already free of framing */
    int body_done;
    int had_error; /* the body broke; the response ends with an error once what was decoded is sent */
    int is_reading;
    int is_request_written;
    int is_head_taken;
    int skip_pool; /* the retry after a stale pooled connection goes to a fresh one */
    size_t read_budget; /* most body bytes sock->input may hold; see READ_BUDGET_MIN */
    uint64_t send_started_at; /* loop time (ms) of the send in flight */
    h2o_iovec_t request[2]; /* head, entity */
    h2o_timeout_entry_t timeout;
    h2o_doublebuffer_t sending;
};

static void start_exchange(struct st_exchange_t *ex);

/* --- the idle pool ------------------------------------------------------------------- */

static void drop_idle(struct st_idle_conn_t *idle)
{
    h2o_linklist_unlink(&idle->link);
    if (h2o_timeout_is_linked(&idle->expiry))
        h2o_timeout_unlink(&idle->expiry);
    --idle->upstream->num_idle;
    h2o_socket_close(idle->sock);
    free(idle);
}

/* an idle connection that becomes readable is closing (or misbehaving): either way, unusable */
static void on_idle_readable(h2o_socket_t *sock, const char *err)
{
    drop_idle(sock->data);
}

static void on_idle_expiry(h2o_timeout_entry_t *entry)
{
    drop_idle(H2O_STRUCT_FROM_MEMBER(struct st_idle_conn_t, expiry, entry));
}

static void return_to_pool(omote_upstream_t *upstream, h2o_socket_t *sock)
{
    if (!upstream->keepalive || upstream->num_idle >= MAX_IDLE_CONNECTIONS || sock->input->size != 0 ||
        h2o_socket_is_writing(sock)) {
        h2o_socket_close(sock);
        return;
    }
    struct st_idle_conn_t *idle = h2o_mem_alloc(sizeof(*idle));
    *idle = (struct st_idle_conn_t){upstream, sock};
    idle->expiry.cb = on_idle_expiry;
    sock->data = idle;
    h2o_linklist_insert(&upstream->idle, &idle->link);
    ++upstream->num_idle;
    h2o_timeout_link(upstream->loop, &upstream->idle_timeout, &idle->expiry);
    h2o_socket_read_start(sock, on_idle_readable);
}

/* takes the most recently used idle connection: the least likely to have been closed by the origin */
static h2o_socket_t *take_from_pool(omote_upstream_t *upstream)
{
    if (h2o_linklist_is_empty(&upstream->idle))
        return NULL;
    struct st_idle_conn_t *idle = H2O_STRUCT_FROM_MEMBER(struct st_idle_conn_t, link, upstream->idle.prev);
    h2o_socket_t *sock = idle->sock;
    h2o_linklist_unlink(&idle->link);
    h2o_timeout_unlink(&idle->expiry);
    --upstream->num_idle;
    free(idle);
    return sock; /* still reading: the caller swaps the callback, which costs no epoll_ctl */
}

/* --- reading the origin ---------------------------------------------------------------- */

/*
 * A plain-TCP origin socket is read by omote, not by libh2o (it is in dont-read mode from its
 * connect on, in the pool too): libh2o's read drains the kernel buffer, which for a fast origin
 * holds megabytes, and a visitor who reads slowly would then make omote hold the whole page.
 * This reads until sock->input holds `limit` bytes or the kernel has no more; epoll is
 * level-triggered, so what stays in the kernel is reported again. A TLS origin is read and
 * decrypted by libh2o; `err` is its verdict and is passed on. Returns NULL or a socket error;
 * bytes read before an error stay in sock->input.
 */
static const char *read_origin(h2o_socket_t *sock, size_t limit, const char *err)
{
    if (sock->ssl != NULL || err != NULL)
        return err;
    int fd = h2o_socket_get_fd(sock);
    int read_any = 0;
    while (sock->input->size < limit) {
        size_t want = limit - sock->input->size;
        h2o_iovec_t room = h2o_buffer_reserve(&sock->input, want);
        if (room.base == NULL)
            return h2o_socket_error_out_of_memory;
        ssize_t n;
        while ((n = read(fd, room.base, want <= INT_MAX ? want : INT_MAX)) == -1 && errno == EINTR)
            ;
        if (n == -1) /* a reset is reported once: returned even after bytes, which the caller handles first */
            return errno == EAGAIN || errno == EWOULDBLOCK ? NULL : h2o_socket_error_io;
        if (n == 0)
            return read_any ? NULL : h2o_socket_error_closed; /* after bytes, the close shows at the next event */
        sock->input->size += n;
        read_any = 1;
        if ((size_t)n < want)
            break;
    }
    return NULL;
}

/* --- ending an exchange -------------------------------------------------------------- */

static void stop_timer(struct st_exchange_t *ex)
{
    if (h2o_timeout_is_linked(&ex->timeout))
        h2o_timeout_unlink(&ex->timeout);
}

static void arm_timer(struct st_exchange_t *ex, h2o_timeout_t *timeout, h2o_timeout_cb cb)
{
    stop_timer(ex);
    ex->timeout.cb = cb;
    h2o_timeout_link(ex->upstream->loop, timeout, &ex->timeout);
}

static void close_upstream(struct st_exchange_t *ex)
{
    stop_timer(ex);
    if (ex->sock != NULL) {
        h2o_socket_close(ex->sock);
        ex->sock = NULL;
    }
}

static void release_upstream(struct st_exchange_t *ex)
{
    stop_timer(ex);
    if (ex->sock == NULL)
        return;
    h2o_socket_read_stop(ex->sock);
    if (ex->can_keepalive) {
        return_to_pool(ex->upstream, ex->sock);
    } else {
        h2o_socket_close(ex->sock);
    }
    ex->sock = NULL;
}

static void fail_before_head(struct st_exchange_t *ex, int is_timeout, const char *detail)
{
    close_upstream(ex);
    if (!is_timeout && ex->is_reused && !ex->got_response && ex->is_idempotent) {
        /* the origin closed a pooled connection as we used it: one try on a fresh connection */
        ex->is_reused = 0;
        ex->skip_pool = 1;
        start_exchange(ex);
        return;
    }
    omote_send_origin_error(ex->req, is_timeout, detail);
}

static void on_exchange_dispose(void *_ex)
{
    struct st_exchange_t *ex = _ex;
    close_upstream(ex);
    h2o_doublebuffer_dispose(&ex->sending);
}

/* --- streaming the body ------------------------------------------------------------- */

static void on_body_timeout(h2o_timeout_entry_t *entry);
static void on_body_readable(h2o_socket_t *sock, const char *err);

static void set_reading(struct st_exchange_t *ex, int on)
{
    if (ex->sock == NULL || ex->is_reading == on)
        return;
    ex->is_reading = on;
    if (on) {
        h2o_socket_read_start(ex->sock, on_body_readable);
        arm_timer(ex, &ex->upstream->io_timeout, on_body_timeout);
    } else {
        h2o_socket_read_stop(ex->sock);
        stop_timer(ex);
    }
}

/*
 * Hands the decoded body bytes to the visitor's side if it is ready for them, ending the
 * response once the body is complete (FINAL) or broken (ERROR). Called again from on_proceed,
 * so an end that arrives while a send is in flight is never lost. Returns 1 when it ended the
 * response: the request (and `ex` with it) may be gone already, so the caller touches nothing.
 */
static int push_body(struct st_exchange_t *ex)
{
    if (ex->sending.bytes_inflight != 0)
        return 0;

    h2o_buffer_t **receiving = ex->sock != NULL ? &ex->sock->input : NULL;
    if (receiving != NULL && ex->decoded != (*receiving)->size)
        return 0; /* bytes after the decoded prefix are framing not yet understood; never send them */
    h2o_iovec_t vec = {NULL, 0};
    if (receiving != NULL) {
        vec = h2o_doublebuffer_prepare(&ex->sending, receiving, SIZE_MAX);
        ex->decoded = (*receiving)->size;
    } else if (ex->sending.buf->size != 0) {
        h2o_buffer_t *empty;
        h2o_buffer_init(&empty, &h2o_socket_buffer_prototype);
        vec = h2o_doublebuffer_prepare(&ex->sending, &empty, SIZE_MAX);
        h2o_buffer_dispose(&empty);
    }

    h2o_send_state_t state = H2O_SEND_STATE_IN_PROGRESS;
    if (ex->had_error) {
        state = H2O_SEND_STATE_ERROR;
    } else if (ex->body_done && (receiving == NULL || (*receiving)->size == 0)) {
        state = H2O_SEND_STATE_FINAL;
    }
    if (vec.len == 0 && state == H2O_SEND_STATE_IN_PROGRESS)
        return 0;
    if (state != H2O_SEND_STATE_IN_PROGRESS)
        release_upstream(ex);
    ex->send_started_at = h2o_now(ex->upstream->loop);
    h2o_send(ex->req, &vec, vec.len != 0 ? 1 : 0, state);
    return state != H2O_SEND_STATE_IN_PROGRESS;
}

/* The body cannot be completed: stop reading, keep what was decoded, end with an error once sent. */
static void body_failed(struct st_exchange_t *ex, const char *why)
{
    h2o_req_log_error(ex->req, MODULE, "%s", why);
    ex->had_error = 1;
    ex->can_keepalive = 0;
    set_reading(ex, 0);
    if (ex->sock != NULL)
        ex->sock->input->size = ex->decoded; /* undecoded framing never reaches the visitor */
    push_body(ex);
}

static void adapt_read_budget(struct st_exchange_t *ex, uint64_t send_took_ms)
{
    if (send_took_ms <= FAST_SEND_MS && ex->read_budget < READ_BUDGET_MAX) {
        ex->read_budget *= 2;
    } else if (send_took_ms >= SLOW_SEND_MS && ex->read_budget > READ_BUDGET_MIN) {
        ex->read_budget /= 2;
    }
}

static void on_proceed(h2o_generator_t *generator, h2o_req_t *req)
{
    struct st_exchange_t *ex = H2O_STRUCT_FROM_MEMBER(struct st_exchange_t, super, generator);

    if (ex->sending.bytes_inflight != 0) {
        h2o_doublebuffer_consume(&ex->sending);
        adapt_read_budget(ex, h2o_now(ex->upstream->loop) - ex->send_started_at);
    }
    if (push_body(ex))
        return;
    if (!ex->body_done && !ex->had_error && ex->sock != NULL && ex->sock->input->size < ex->read_budget)
        set_reading(ex, 1);
}

static void on_stop(h2o_generator_t *generator, h2o_req_t *req)
{
    struct st_exchange_t *ex = H2O_STRUCT_FROM_MEMBER(struct st_exchange_t, super, generator);
    close_upstream(ex);
}

/* Removes framing from the bytes that arrived since the last call. Returns 0, or -1 on bad framing. */
static int decode_body(struct st_exchange_t *ex)
{
    h2o_buffer_t *in = ex->sock->input;
    size_t fresh = in->size - ex->decoded;

    switch (ex->body_kind) {
    case BODY_LENGTH:
        if (fresh >= ex->body_remaining) {
            if (fresh > ex->body_remaining)
                ex->can_keepalive = 0; /* bytes past the declared length: the connection is not clean */
            in->size = ex->decoded + ex->body_remaining;
            ex->body_remaining = 0;
            ex->body_done = 1;
        } else {
            ex->body_remaining -= fresh;
        }
        break;
    case BODY_CHUNKED: {
        size_t len = fresh;
        long rest = omote_http1_chunked_decode(&ex->chunked, in->bytes + ex->decoded, &len);
        if (rest == OMOTE_HTTP1_ERROR)
            return -1;
        in->size = ex->decoded + len;
        if (rest >= 0) {
            ex->body_done = 1;
            if (rest != 0)
                ex->can_keepalive = 0;
        }
        break;
    }
    default:
        break;
    }
    ex->decoded = in->size;
    return 0;
}

static void on_body_readable(h2o_socket_t *sock, const char *err)
{
    struct st_exchange_t *ex = sock->data;

    /* bytes that arrived before a close or a reset are body: decoded before the error counts */
    err = read_origin(sock, ex->read_budget, err);
    if (decode_body(ex) != 0) {
        body_failed(ex, "malformed chunked body from origin");
        return;
    }
    if (err != NULL) {
        ex->can_keepalive = 0;
        if (!ex->body_done && !(ex->body_kind == BODY_UNTIL_CLOSE && err == h2o_socket_error_closed)) {
            body_failed(ex, "origin closed the connection mid-body");
            return;
        }
        /* a close is this body's end; a reset or a TLS error is not (RFC 9112 §6.3) */
        ex->body_done = 1;
        set_reading(ex, 0);
        push_body(ex);
        return;
    }
    arm_timer(ex, &ex->upstream->io_timeout, on_body_timeout);
    if (ex->body_done)
        set_reading(ex, 0);
    if (push_body(ex))
        return;
    if (ex->sock != NULL && ex->sending.bytes_inflight != 0 && ex->sock->input->size >= ex->read_budget)
        set_reading(ex, 0); /* the visitor is behind: wait for on_proceed */
}

static void on_body_timeout(h2o_timeout_entry_t *entry)
{
    struct st_exchange_t *ex = H2O_STRUCT_FROM_MEMBER(struct st_exchange_t, timeout, entry);
    body_failed(ex, "origin I/O timeout mid-body");
}

/* --- the response head --------------------------------------------------------------- */

/* hop-by-hop fields (RFC 9110 §7.6.1) and those libh2o frames itself */
static int is_hop_by_hop(const h2o_token_t *token)
{
    return token == H2O_TOKEN_CONNECTION || token == H2O_TOKEN_KEEP_ALIVE || token == H2O_TOKEN_TRANSFER_ENCODING ||
           token == H2O_TOKEN_UPGRADE || token == H2O_TOKEN_TE;
}

static int is_proxy_connection(h2o_iovec_t lower_name)
{
    return h2o_memis(lower_name.base, lower_name.len, H2O_STRLIT("proxy-connection"));
}

/* Copies the fields to the response and works out the body framing. Returns NULL or the reason the head is unusable. */
/* whether the field `name` is listed in any Connection field of the head (RFC 9110 §7.6.1) */
static int is_connection_listed(const omote_http1_response_t *res, const omote_http1_header_t *fields, h2o_iovec_t name)
{
    char lower[64];
    if (name.len >= sizeof(lower))
        return 0;
    memcpy(lower, name.base, name.len);
    lower[name.len] = '\0';
    for (size_t i = 0; i != res->num_headers; ++i)
        if (h2o_lcstris(fields[i].name, fields[i].name_len, H2O_STRLIT("connection")) &&
            omote_http1_list_has_token(fields[i].value, fields[i].value_len, lower))
            return 1;
    return 0;
}

static const char *take_head(struct st_exchange_t *ex, const omote_http1_response_t *res, const omote_http1_header_t *fields)
{
    h2o_req_t *req = ex->req;
    int has_length = 0, is_chunked = 0, has_other_coding = 0;
    uint64_t length = 0;

    ex->can_keepalive = res->minor_version == 1;
    for (size_t i = 0; i != res->num_headers; ++i) {
        const omote_http1_header_t *f = fields + i;
        h2o_iovec_t name = h2o_strdup(&req->pool, f->name, f->name_len);
        h2o_strtolower(name.base, name.len);
        const h2o_token_t *token = h2o_lookup_token(name.base, name.len);
        if (token == H2O_TOKEN_CONTENT_LENGTH) {
            uint64_t v;
            if (omote_http1_parse_content_length(f->value, f->value_len, &v) != 0 || (has_length && v != length))
                return "invalid content-length";
            has_length = 1, length = v;
            continue;
        }
        if (token == H2O_TOKEN_TRANSFER_ENCODING) {
            /* only exactly "chunked": "gzip, chunked" would hand the visitor undeclared gzip bytes */
            if (h2o_lcstris(f->value, f->value_len, H2O_STRLIT("chunked"))) {
                is_chunked = 1;
            } else {
                has_other_coding = 1;
            }
            continue;
        }
        if (token == H2O_TOKEN_CONNECTION && omote_http1_list_has_token(f->value, f->value_len, "close"))
            ex->can_keepalive = 0;
        /* Server and Date are libh2o's to write; hop-by-hop fields stop here */
        if (token == H2O_TOKEN_SERVER || (token != NULL && (is_hop_by_hop(token) || token->proxy_should_drop_for_res)) ||
            is_proxy_connection(name) || is_connection_listed(res, fields, name))
            continue;
        h2o_iovec_t value = h2o_strdup(&req->pool, f->value, f->value_len);
        char *orig_name = h2o_strdup(&req->pool, f->name, f->name_len).base;
        if (token != NULL) {
            h2o_add_header(&req->pool, &req->res.headers, token, orig_name, value.base, value.len);
        } else {
            h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 0, orig_name, value.base, value.len);
        }
    }
    if (is_chunked && has_length)
        return "both content-length and transfer-encoding"; /* RFC 9112 §6.3: a smuggling signal */
    if (has_other_coding)
        return "unsupported transfer-encoding";

    int is_head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    req->res.status = res->status;
    req->res.reason = h2o_strdup(&req->pool, res->reason, res->reason_len).base;
    if (is_head || res->status == 204 || res->status == 304) {
        ex->body_kind = BODY_NONE;
        if (has_length)
            req->res.content_length = length; /* the length the full response would have; no body follows */
    } else if (is_chunked) {
        ex->body_kind = BODY_CHUNKED;
        omote_http1_chunked_init(&ex->chunked);
    } else if (has_length) {
        ex->body_kind = BODY_LENGTH;
        ex->body_remaining = length;
        req->res.content_length = length;
    } else {
        ex->body_kind = BODY_UNTIL_CLOSE;
        ex->can_keepalive = 0;
    }
    return NULL;
}

static void on_head_timeout(h2o_timeout_entry_t *entry)
{
    struct st_exchange_t *ex = H2O_STRUCT_FROM_MEMBER(struct st_exchange_t, timeout, entry);
    fail_before_head(ex, 1, "no response from origin within origin.io_timeout_ms");
}

static void on_head_readable(h2o_socket_t *sock, const char *err)
{
    struct st_exchange_t *ex = sock->data;
    omote_http1_response_t res;
    omote_http1_header_t fields[MAX_RESPONSE_FIELDS];
    int head_len;

    err = read_origin(sock, sock->input->size + READ_BUDGET_MIN, err);
    if (sock->input->size == 0) {
        if (err != NULL)
            fail_before_head(ex, 0, "origin closed the connection before responding");
        return;
    }
    /* the origin may answer before it has read the whole request (an early 413, say): take it */
    ex->got_response = 1;
    for (;;) {
        head_len = omote_http1_parse_response(sock->input->bytes, sock->input->size, &res, fields, MAX_RESPONSE_FIELDS);
        if (head_len == OMOTE_HTTP1_INCOMPLETE) {
            if (sock->input->size > MAX_HEAD_BYTES) {
                fail_before_head(ex, 0, "response head from origin too large");
            } else if (err != NULL) {
                fail_before_head(ex, 0, "origin closed the connection in the middle of its response head");
            }
            return;
        }
        if (head_len == OMOTE_HTTP1_ERROR) {
            fail_before_head(ex, 0, "malformed response head from origin");
            return;
        }
        if (res.status >= 200 || res.status == 101)
            break;
        h2o_buffer_consume(&sock->input, head_len); /* 1xx interim responses are not forwarded */
    }
    if (res.status == 101) {
        fail_before_head(ex, 0, "origin switched protocols, which omote does not proxy");
        return;
    }

    const char *problem = take_head(ex, &res, fields);
    if (problem != NULL) {
        ex->req->res.headers = (h2o_headers_t){NULL};
        ex->req->res.content_length = SIZE_MAX;
        fail_before_head(ex, 0, problem);
        return;
    }
    h2o_buffer_consume(&sock->input, head_len);
    omote_proxied_mark_response(ex->req);
    ex->is_head_taken = 1;
    if (!ex->is_request_written || err != NULL)
        ex->can_keepalive = 0; /* the rest of the request is still on its way, or the connection ended: not reusable */

    ex->super.proceed = on_proceed;
    ex->super.stop = on_stop;
    h2o_start_response(ex->req, &ex->super);
    if (ex->body_kind == BODY_NONE) {
        ex->body_done = 1;
        if (sock->input->size != 0)
            ex->can_keepalive = 0;
        sock->input->size = 0;
        ex->decoded = 0;
        push_body(ex);
        return;
    }
    ex->decoded = 0;
    ex->is_reading = 1;
    h2o_socket_read_start(sock, on_body_readable);
    on_body_readable(sock, err); /* a reset seen with the head is not lost: a later read would only see the close */
}

/* --- sending the request --------------------------------------------------------------- */

static void on_request_written(h2o_socket_t *sock, const char *err)
{
    struct st_exchange_t *ex = sock->data;

    if (ex->is_head_taken)
        return; /* the origin answered early; a failed write only means it stopped reading */
    if (err != NULL) {
        fail_before_head(ex, 0, "could not send the request to the origin");
        return;
    }
    ex->is_request_written = 1;
    if (sock->input->size != 0)
        on_head_readable(sock, NULL);
}

/*
 * Reading starts together with writing: for a pooled connection that only swaps the callback (no
 * epoll_ctl per request), and a connection the origin closed while idle shows up at once.
 */
static void send_request(struct st_exchange_t *ex)
{
    ex->sock->data = ex;
    ex->is_request_written = 0;
    h2o_socket_read_start(ex->sock, on_head_readable);
    arm_timer(ex, &ex->upstream->io_timeout, on_head_timeout);
    h2o_socket_write(ex->sock, ex->request, ex->request[1].len != 0 ? 2 : 1, on_request_written);
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    struct st_exchange_t *ex = sock->data;

    if (err != NULL) {
        fail_before_head(ex, 0, err);
        return;
    }
    send_request(ex);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    struct st_exchange_t *ex = sock->data;

    if (err != NULL) {
        fail_before_head(ex, 0, "connection to origin failed");
        return;
    }
    if (ex->upstream->gen->origin_ssl_ctx != NULL) {
        h2o_iovec_t host = ex->upstream->gen->origin.host;
        arm_timer(ex, &ex->upstream->io_timeout, on_head_timeout);
        h2o_socket_ssl_handshake(sock, ex->upstream->gen->origin_ssl_ctx, h2o_strdup(&ex->req->pool, host.base, host.len).base,
                                 on_handshake);
        return;
    }
    h2o_socket_dont_read(sock, 1); /* see read_origin */
    send_request(ex);
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    struct st_exchange_t *ex = H2O_STRUCT_FROM_MEMBER(struct st_exchange_t, timeout, entry);
    fail_before_head(ex, 1, "no connection to origin within origin.connect_timeout_ms");
}

static void start_exchange(struct st_exchange_t *ex)
{
    omote_upstream_t *upstream = ex->upstream;
    omote_generation_t *gen = upstream->gen;

    ex->got_response = 0;
    if (!ex->skip_pool && (ex->sock = take_from_pool(upstream)) != NULL) {
        ex->is_reused = 1;
        send_request(ex);
        return;
    }
    ex->is_reused = 0;
    if ((ex->sock = h2o_socket_connect(upstream->loop, (struct sockaddr *)&gen->origin_addr, gen->origin_addrlen, on_connect)) ==
        NULL) {
        omote_send_origin_error(ex->req, 0, strerror(errno));
        return;
    }
    ex->sock->data = ex;
    arm_timer(ex, &upstream->connect_timeout, on_connect_timeout);
}

/* --- the request head ------------------------------------------------------------------ */

static int is_request_hop_by_hop(const h2o_header_t *h)
{
    if (h2o_iovec_is_token(h->name)) {
        const h2o_token_t *token = (const h2o_token_t *)h->name;
        /* host and content-length are written from the request itself; expect is answered by libh2o */
        return is_hop_by_hop(token) || token->proxy_should_drop_for_req || token == H2O_TOKEN_HTTP2_SETTINGS ||
               token == H2O_TOKEN_HOST || token == H2O_TOKEN_CONTENT_LENGTH || token == H2O_TOKEN_EXPECT;
    }
    return is_proxy_connection(*h->name);
}

/* fields a client names in its Connection header are for the hop to omote only (RFC 9110 §7.6.1) */
static int is_named_by_connection(h2o_iovec_t connection, const h2o_iovec_t *name)
{
    char lower[64];
    if (connection.base == NULL || name->len >= sizeof(lower))
        return 0;
    memcpy(lower, name->base, name->len);
    lower[name->len] = '\0';
    return omote_http1_list_has_token(connection.base, connection.len, lower);
}

static h2o_iovec_t build_request_head(h2o_req_t *req, h2o_iovec_t host, h2o_iovec_t target)
{
    char peer[NI_MAXHOST];
    struct sockaddr_storage ss;
    socklen_t sslen;
    size_t peer_len = 0, cap = req->method.len + target.len + host.len + 256 + 32;
    const omote_proxied_t *proxied = omote_proxied_of(req);
    int wants_identity = proxied != NULL && proxied->wants_identity;

    if ((sslen = req->conn->callbacks->get_peername(req->conn, (void *)&ss)) != 0 &&
        (peer_len = h2o_socket_getnumerichost((void *)&ss, sslen, peer)) == SIZE_MAX)
        peer_len = 0;
    h2o_iovec_t connection = {NULL, 0};
    for (size_t i = 0; i != req->headers.size; ++i) {
        cap += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
        if (req->headers.entries[i].name == &H2O_TOKEN_CONNECTION->buf)
            connection = req->headers.entries[i].value;
    }
    cap += peer_len;

    char *buf = h2o_mem_alloc_pool(&req->pool, cap), *p = buf;
#define APPEND(s, l) (memcpy(p, (s), (l)), p += (l))
#define APPEND_LIT(lit) APPEND(lit, sizeof(lit) - 1)
    APPEND(req->method.base, req->method.len);
    *p++ = ' ';
    APPEND(target.base, target.len);
    APPEND_LIT(" HTTP/1.1\r\nhost: ");
    APPEND(host.base, host.len);
    APPEND_LIT("\r\n");
    for (size_t i = 0; i != req->headers.size; ++i) {
        const h2o_header_t *h = req->headers.entries + i;
        if (is_request_hop_by_hop(h) || is_named_by_connection(connection, h->name))
            continue;
        if (wants_identity && h->name == &H2O_TOKEN_ACCEPT_ENCODING->buf)
            continue; /* the visitor's codings are for h2o's compression towards them (request.c) */
        APPEND(h->orig_name != NULL ? h->orig_name : h->name->base, h->name->len);
        APPEND_LIT(": ");
        APPEND(h->value.base, h->value.len);
        APPEND_LIT("\r\n");
    }
    if (req->entity.base != NULL ||
        h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) ||
        h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PUT")))
        p += sprintf(p, "content-length: %zu\r\n", req->entity.base != NULL ? req->entity.len : 0);
    if (wants_identity)
        APPEND_LIT("accept-encoding: identity\r\n"); /* RFC 9110 §12.5.3: no field at all would allow any coding */
    if (peer_len != 0) {
        APPEND_LIT("x-forwarded-for: ");
        APPEND(peer, peer_len);
        APPEND_LIT("\r\n");
    }
    APPEND_LIT("x-forwarded-proto: ");
    APPEND(req->scheme->name.base, req->scheme->name.len);
    if (req->version >= 0x200) {
        APPEND_LIT("\r\nvia: 2 omote\r\n\r\n");
    } else {
        APPEND_LIT("\r\nvia: 1.1 omote\r\n\r\n");
    }
#undef APPEND_LIT
#undef APPEND
    return h2o_iovec_init(buf, p - buf);
}

static int is_idempotent(h2o_iovec_t method)
{
    static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", NULL};
    for (const char *const *m = methods; *m != NULL; ++m)
        if (h2o_memis(method.base, method.len, *m, strlen(*m)))
            return 1;
    return 0;
}

void omote_upstream_proxy(omote_upstream_t *upstream, h2o_req_t *req, h2o_iovec_t host, h2o_iovec_t target)
{
    struct st_exchange_t *ex = h2o_mem_alloc_shared(&req->pool, sizeof(*ex), on_exchange_dispose);

    *ex = (struct st_exchange_t){{NULL}, req, upstream};
    ex->is_idempotent = is_idempotent(req->method);
    ex->read_budget = READ_BUDGET_MIN;
    ex->request[0] = build_request_head(req, host, target);
    ex->request[1] = req->entity.base != NULL ? req->entity : h2o_iovec_init(NULL, 0);
    h2o_doublebuffer_init(&ex->sending, &h2o_socket_buffer_prototype);
    start_exchange(ex);
}

/* --- create / free ------------------------------------------------------------------------ */

omote_upstream_t *omote_upstream_create(h2o_loop_t *loop, omote_generation_t *gen, omote_metrics_shard_t *metrics)
{
    omote_upstream_t *upstream = h2o_mem_alloc(sizeof(*upstream));
    const omote_config_t *conf = gen->config;

    *upstream = (omote_upstream_t){loop, gen, metrics};
    h2o_timeout_init(loop, &upstream->connect_timeout, conf->origin.connect_timeout_ms);
    h2o_timeout_init(loop, &upstream->io_timeout, conf->origin.io_timeout_ms);
    h2o_timeout_init(loop, &upstream->idle_timeout, conf->origin.keepalive_timeout_ms);
    h2o_linklist_init_anchor(&upstream->idle);
    upstream->keepalive = conf->origin.keepalive_timeout_ms != 0;
    return upstream;
}

void omote_upstream_free(omote_upstream_t *upstream)
{
    while (!h2o_linklist_is_empty(&upstream->idle))
        drop_idle(H2O_STRUCT_FROM_MEMBER(struct st_idle_conn_t, link, upstream->idle.next));
    h2o_timeout_dispose(upstream->loop, &upstream->connect_timeout);
    h2o_timeout_dispose(upstream->loop, &upstream->io_timeout);
    h2o_timeout_dispose(upstream->loop, &upstream->idle_timeout);
    free(upstream);
}
