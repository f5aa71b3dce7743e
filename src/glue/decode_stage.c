/*
 * The decoding stage: HTML the origin sent gzip- or deflate-encoded is decoded here, in front of
 * the rewriter, which reads identity-coded bytes only. The rewriter filter decides whether to
 * engage; this file reads Content-Encoding and streams the body through src/http/inflate.c.
 *
 * Failure policy: decoded bytes pass as a complete body only if the encoded data ended cleanly.
 * Corrupt data, a truncated stream, trailing bytes, or output past the bomb limits
 * (omote_inflate_default_limits) end the response with an error, as a broken origin does: the
 * visitor sees a cut-off body (HTTP/1.1 without the last chunk, HTTP/2 RST_STREAM). Each is
 * logged and counted by reason.
 */
#include "internal.h"
#include "omote/log.h"
#include "omote/redact.h"
#include <string.h>

#define MODULE "omote/decode"

/*
 * Decoded bytes passed on per call. Output is bounded per call, not only per body: a 256 KiB
 * piece from the origin could otherwise become 50 MiB in one go. What does not fit stays in zlib
 * or, encoded, in the carry, and is decoded at the next call: the next piece from the origin,
 * or, once the origin's body has ended, the call h2o makes when the visitor is ready for more.
 */
#define BUDGET (512 * 1024)
#define FIRST_OUT_BYTES (16 * 1024)

struct st_decode_state_t {
    omote_inflate_t *inf;
    const char *coding_name;
    char *out; /* what the last call passed on: valid until the next call */
    size_t out_cap;
    char *carry; /* encoded bytes not decoded yet */
    size_t carry_len, carry_cap;
    int has_end; /* the origin's body has ended (FINAL) or broken (ERROR) */
    h2o_send_state_t end_state;
};

struct st_decode_stage_t {
    h2o_ostream_t super;
    struct st_decode_state_t *state;
    omote_worker_t *worker;
};

static void on_state_dispose(void *_state)
{
    struct st_decode_state_t *state = _state;
    omote_inflate_free(state->inf);
    free(state->out);
    free(state->carry);
}

/* Classifies one content coding (RFC 9110 §8.4.1); `token` is trimmed and not empty. */
static omote_decode_t classify(h2o_iovec_t token, omote_inflate_coding_t *coding)
{
    if (h2o_lcstris(token.base, token.len, H2O_STRLIT("gzip")) || h2o_lcstris(token.base, token.len, H2O_STRLIT("x-gzip"))) {
        *coding = OMOTE_INFLATE_GZIP;
        return OMOTE_DECODE_INFLATE;
    }
    if (h2o_lcstris(token.base, token.len, H2O_STRLIT("deflate"))) {
        *coding = OMOTE_INFLATE_DEFLATE;
        return OMOTE_DECODE_INFLATE;
    }
    return OMOTE_DECODE_UNREADABLE; /* br, zstd, compress, anything else */
}

omote_decode_t omote_decode_coding(h2o_req_t *req, omote_inflate_coding_t *coding)
{
    omote_decode_t found = OMOTE_DECODE_NONE;
    ssize_t i = -1;

    while ((i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_ENCODING, i)) != -1) {
        h2o_iovec_t list = req->res.headers.entries[i].value;
        for (size_t at = 0; at < list.len;) {
            size_t start = at, end;
            while (at != list.len && list.base[at] != ',')
                ++at;
            end = at++;
            while (start != end && (list.base[start] == ' ' || list.base[start] == '\t'))
                ++start;
            while (end != start && (list.base[end - 1] == ' ' || list.base[end - 1] == '\t'))
                --end;
            h2o_iovec_t token = h2o_iovec_init(list.base + start, end - start);
            if (token.len == 0 || h2o_lcstris(token.base, token.len, H2O_STRLIT("identity")))
                continue;
            if (found != OMOTE_DECODE_NONE)
                return OMOTE_DECODE_UNREADABLE; /* stacked codings ("gzip, br"): one at most */
            found = classify(token, coding);
        }
    }
    return found;
}

/* Keeps encoded bytes for the next call. */
static void keep(struct st_decode_state_t *state, const char *bytes, size_t len)
{
    if (state->carry_len + len > state->carry_cap) {
        state->carry_cap = (state->carry_len + len) * 2;
        state->carry = h2o_mem_realloc(state->carry, state->carry_cap);
    }
    memcpy(state->carry + state->carry_len, bytes, len);
    state->carry_len += len;
}

/*
 * Decodes from `*in` into the output buffer after its first `*len` bytes, growing it up to
 * BUDGET (nothing downstream points into it during this call). Returns 0 or a decoder error;
 * leaves in `*left` what did not fit.
 */
static int decode(struct st_decode_state_t *state, const char **in, size_t *left, size_t *len)
{
    static const char nothing[1];
    if (*in == NULL)
        *in = nothing; /* no carry yet, or an empty buffer: the decoder advances `*in` even by 0; NULL + 0 is UB (C11 6.5.6) */
    for (;;) {
        if (*len == state->out_cap) {
            if (state->out_cap == BUDGET)
                return 0;
            state->out_cap = state->out_cap == 0 ? FIRST_OUT_BYTES : state->out_cap * 2;
            state->out = h2o_mem_realloc(state->out, state->out_cap);
        }
        size_t room = state->out_cap - *len;
        ssize_t n = omote_inflate_run(state->inf, in, left, state->out + *len, room);
        if (n < 0)
            return (int)n;
        *len += n;
        if (*left == 0 && (size_t)n < room)
            return 0; /* all input taken, and zlib held nothing back */
    }
}

static void report(struct st_decode_stage_t *self, h2o_req_t *req, int err)
{
    struct st_decode_state_t *state = self->state;
    char path[512];

    omote_metrics_add(&self->worker->metrics.html_decode_errors[-err - 1], 1);
    omote_redact_query_values(req->input.path.base, req->input.path.len, path, sizeof(path));
    omote_log(OMOTE_LOG_WARN, MODULE, "event=html_decode_failed coding=%s error=\"%s\" encoded=%llu decoded=%llu path=%s",
              state->coding_name, omote_inflate_strerror(err), (unsigned long long)omote_inflate_bytes_in(state->inf),
              (unsigned long long)omote_inflate_bytes_out(state->inf), path);
    h2o_req_log_error(req, MODULE, "%s body from origin: %s", state->coding_name, omote_inflate_strerror(err));
}

static void do_send(h2o_ostream_t *_self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t send_state)
{
    struct st_decode_stage_t *self = (void *)_self;
    struct st_decode_state_t *state = self->state;
    size_t len = 0;
    int err = 0;

    /* after the origin's end, h2o calls again with FINAL whenever the visitor wants more: keep the first end */
    if (!h2o_send_state_is_in_progress(send_state) && !state->has_end) {
        state->has_end = 1;
        state->end_state = send_state;
    }
    /* what was held back last time goes first (an empty carry still drains what zlib holds) */
    const char *in = state->carry;
    size_t left = state->carry_len;
    err = decode(state, &in, &left, &len);
    if (left != 0)
        memmove(state->carry, in, left);
    state->carry_len = left;
    for (size_t i = 0; i != bufcnt && err == 0; ++i) {
        in = bufs[i].base;
        left = bufs[i].len;
        if (state->carry_len == 0 && len != BUDGET)
            err = decode(state, &in, &left, &len);
        if (err == 0 && left != 0)
            keep(state, in, left);
    }

    int is_full = len == BUDGET; /* more may follow from zlib or the carry */
    h2o_send_state_t next_state = H2O_SEND_STATE_IN_PROGRESS;
    if (err == 0 && state->has_end && (state->end_state == H2O_SEND_STATE_ERROR || !is_full)) {
        if (state->end_state == H2O_SEND_STATE_FINAL)
            err = omote_inflate_finish(state->inf);
        next_state = state->end_state; /* an origin that broke off is the upstream client's to report */
    }
    if (err != 0) {
        report(self, req, err);
        next_state = H2O_SEND_STATE_ERROR;
    }
    h2o_iovec_t vec = h2o_iovec_init(state->out, len);
    h2o_ostream_send_next(&self->super, req, &vec, len != 0, next_state);
}

void omote_decode_stage_add(h2o_req_t *req, omote_inflate_coding_t coding, h2o_ostream_t ***slot)
{
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    struct st_decode_state_t *state = h2o_mem_alloc_shared(&req->pool, sizeof(*state), on_state_dispose);
    omote_inflate_limits_t limits = omote_inflate_default_limits();

    memset(state, 0, sizeof(*state));
    state->inf = omote_inflate_create(coding, &limits);
    state->coding_name = coding == OMOTE_INFLATE_GZIP ? "gzip" : "deflate";

    /* the body leaves identity-coded, of a length not known yet (RFC 9110 §8.4, §8.6) */
    ssize_t i;
    while ((i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_ENCODING, -1)) != -1)
        h2o_delete_header(&req->res.headers, i);
    while ((i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_LENGTH, -1)) != -1)
        h2o_delete_header(&req->res.headers, i);
    req->res.content_length = SIZE_MAX;
    omote_metrics_add(&worker->metrics.html_decoded, 1);

    struct st_decode_stage_t *stage = (void *)h2o_add_ostream(req, sizeof(*stage), *slot);
    stage->super.do_send = do_send;
    stage->state = state;
    stage->worker = worker;
    *slot = &stage->super.next;
}

void omote_decode_note_unreadable(h2o_req_t *req, omote_worker_t *worker)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_ENCODING, -1);
    h2o_iovec_t value = req->res.headers.entries[i].value;
    char coding[64], path[512];
    size_t n = 0;

    /* the origin's bytes go into the log: letters, digits, "-", "," and spaces only */
    for (; n != value.len && n + 1 < sizeof(coding); ++n) {
        char c = value.base[n];
        coding[n] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ',' || c == ' '
                        ? c
                        : '?';
    }
    coding[n] = '\0';

    omote_metrics_add(&worker->metrics.html_not_rewritten_encoded, 1);
    omote_redact_query_values(req->input.path.base, req->input.path.len, path, sizeof(path));
    omote_log(OMOTE_LOG_WARN, MODULE, "event=html_not_rewritten reason=content_coding coding=\"%s\" path=%s", coding, path);
}
