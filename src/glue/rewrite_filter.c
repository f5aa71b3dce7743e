/*
 * The HTML output filter: engages on proxied 200 responses with an HTML type and streams their
 * body through the rewriter, which asks the tracker module about every element. Bytes the
 * rewriter passes on unchanged are forwarded without copying; only bytes it held are copied.
 *
 * Failure policy: a response omote cannot read (encoded with a coding it did not ask for) is
 * passed on unchanged and counted, since omote asks the origin for identity-coded documents; a
 * tag too long to judge is dropped (the rewriter's fail-closed rule).
 */
#include <string.h>
#include "omote/glue.h"
#include "omote/html_rewriter.h"
#include "omote/log.h"
#include "omote/proxied.h"
#include "omote/tracker.h"

#define MODULE "omote/rewrite"

/* one piece of output: a slice of the input chunk, or of the stage's copy arena */
struct st_piece_t {
    const char *input; /* NULL: at `offset` in the arena */
    size_t offset, len;
};

struct st_rewrite_state_t {
    omote_html_rewriter_t *rw;
    omote_generation_t *gen; /* held: the rules must outlive the response */
    omote_tracker_page_t page;
    char page_url[2048];
    char page_host[256];
    char *arena;
    size_t arena_len, arena_cap;
    struct st_piece_t *pieces;
    size_t num_pieces, pieces_cap;
    h2o_iovec_t *vecs;
    size_t vecs_cap;
};

struct st_rewrite_stage_t {
    h2o_ostream_t super;
    struct st_rewrite_state_t *state;
    omote_worker_t *worker;
};

static void on_state_dispose(void *_state)
{
    struct st_rewrite_state_t *state = _state;
    omote_html_rewriter_free(state->rw);
    omote_generation_release(state->gen);
    free(state->arena);
    free(state->pieces);
    free(state->vecs);
}

static void add_piece(struct st_rewrite_state_t *state, struct st_piece_t piece)
{
    if (state->num_pieces == state->pieces_cap) {
        state->pieces_cap = state->pieces_cap * 2 + 16;
        state->pieces = h2o_mem_realloc(state->pieces, state->pieces_cap * sizeof(*state->pieces));
    }
    state->pieces[state->num_pieces++] = piece;
}

static void on_output(void *ctx, const char *bytes, size_t len, int is_input)
{
    struct st_rewrite_state_t *state = ctx;
    if (is_input) {
        add_piece(state, (struct st_piece_t){bytes, 0, len});
        return;
    }
    if (state->arena_len + len > state->arena_cap) {
        state->arena_cap = (state->arena_len + len) * 2;
        state->arena = h2o_mem_realloc(state->arena, state->arena_cap);
    }
    memcpy(state->arena + state->arena_len, bytes, len);
    add_piece(state, (struct st_piece_t){NULL, state->arena_len, len});
    state->arena_len += len;
}

static omote_rewrite_verdict_t decide_tag(void *ctx, const omote_html_token_t *tag)
{
    struct st_rewrite_state_t *state = ctx;
    return omote_tracker_judge_tag(&state->page, tag, NULL);
}

static omote_rewrite_verdict_t decide_text(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated)
{
    struct st_rewrite_state_t *state = ctx;
    return omote_tracker_judge_script_text(&state->page, text, len, NULL);
}

static const omote_html_rewriter_callbacks_t callbacks = {decide_tag, decide_text, on_output};

static void count_removals(omote_worker_t *worker, const omote_html_rewriter_stats_t *st)
{
    omote_metrics_add(&worker->metrics.html_elements_removed, st->elements_removed);
    omote_metrics_add(&worker->metrics.html_noscript_removed, st->noscript_removed);
    omote_metrics_add(&worker->metrics.html_bytes_removed, st->bytes_removed);
    omote_metrics_add(&worker->metrics.html_oversized_tags, st->oversized_tags);
}

static void do_send(h2o_ostream_t *_self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t send_state)
{
    struct st_rewrite_stage_t *self = (void *)_self;
    struct st_rewrite_state_t *state = self->state;
    int is_final = !h2o_send_state_is_in_progress(send_state);

    /* what was passed on last time has been sent: the arena and the piece list start over */
    state->arena_len = 0;
    state->num_pieces = 0;
    for (size_t i = 0; i != bufcnt; ++i)
        omote_html_rewriter_feed(state->rw, bufs[i].base, bufs[i].len, is_final && i + 1 == bufcnt);
    if (bufcnt == 0 && is_final)
        omote_html_rewriter_feed(state->rw, NULL, 0, 1);
    if (is_final)
        count_removals(self->worker, omote_html_rewriter_stats(state->rw));

    if (state->num_pieces > state->vecs_cap) {
        state->vecs_cap = state->num_pieces * 2;
        state->vecs = h2o_mem_realloc(state->vecs, state->vecs_cap * sizeof(*state->vecs));
    }
    for (size_t i = 0; i != state->num_pieces; ++i) {
        struct st_piece_t *p = state->pieces + i;
        state->vecs[i] = h2o_iovec_init(p->input != NULL ? p->input : state->arena + p->offset, p->len);
    }
    h2o_ostream_send_next(&self->super, req, state->vecs, state->num_pieces, send_state);
}

static int is_html(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i == -1)
        return 0;
    h2o_iovec_t v = req->res.headers.entries[i].value;
    size_t end = 0;
    while (end != v.len && v.base[end] != ';' && v.base[end] != ' ')
        ++end;
    return h2o_lcstris(v.base, end, H2O_STRLIT("text/html")) || h2o_lcstris(v.base, end, H2O_STRLIT("application/xhtml+xml"));
}

/* the body changes, so a strong validator would lie (RFC 9110 §8.8.1): keep it, weakened */
static void weaken_etag(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_ETAG, -1);
    if (i == -1)
        return;
    h2o_iovec_t *v = &req->res.headers.entries[i].value;
    if (v->len >= 2 && v->base[0] == 'W' && v->base[1] == '/')
        return;
    *v = h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("W/")), *v);
}

static void set_page(struct st_rewrite_state_t *state, h2o_req_t *req)
{
    h2o_iovec_t authority = req->authority;
    size_t host_len = 0;
    while (host_len != authority.len && host_len + 1 < sizeof(state->page_host) && authority.base[host_len] != ':') {
        char c = authority.base[host_len];
        state->page_host[host_len++] = c >= 'A' && c <= 'Z' ? c + 0x20 : c;
    }
    state->page_host[host_len] = '\0';
    snprintf(state->page_url, sizeof(state->page_url), "%s://%.*s%.*s", req->scheme->name.base, (int)authority.len,
             authority.base, (int)req->path.len, req->path.base);
    const omote_config_t *conf = state->gen->config;
    state->page = (omote_tracker_page_t){state->gen->rules, state->page_url, state->page_host,
                                         (const char *const *)conf->trackers.first_party_domains,
                                         conf->trackers.num_first_party_domains};
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    const omote_proxied_t *proxied = omote_proxied_of(req);
    omote_generation_t *gen;
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);

    if (proxied == NULL || req->res.status != 200 || !is_html(req))
        goto Next;
    gen = proxied->link->gen;
    if (!gen->config->trackers.rewrite_html || omote_rules_num_filters(gen->rules) == 0)
        goto Next;
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        goto Next;
    if (h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_ENCODING, -1) != -1) {
        omote_metrics_add(&worker->metrics.html_not_rewritten_encoded, 1);
        goto Next;
    }

    struct st_rewrite_state_t *state = h2o_mem_alloc_shared(&req->pool, sizeof(*state), on_state_dispose);
    memset(state, 0, sizeof(*state));
    state->gen = gen;
    omote_generation_retain(gen);
    set_page(state, req);
    omote_html_rewriter_options_t opts = {gen->config->trackers.max_tag_bytes, gen->config->trackers.max_inspect_bytes};
    state->rw = omote_html_rewriter_create(&opts, &callbacks, state);

    req->res.content_length = SIZE_MAX;
    weaken_etag(req);
    omote_metrics_add(&worker->metrics.html_rewritten, 1);

    struct st_rewrite_stage_t *stage = (void *)h2o_add_ostream(req, sizeof(*stage), slot);
    stage->super.do_send = do_send;
    stage->state = state;
    stage->worker = worker;
    slot = &stage->super.next;

Next:
    h2o_setup_next_ostream(req, slot);
}

void omote_rewrite_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *filter = h2o_create_filter(pathconf, sizeof(*filter));
    filter->on_setup_ostream = on_setup_ostream;
}
