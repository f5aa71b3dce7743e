/*
 * The HTML output filter: engages on proxied 200 responses with an HTML type and streams their
 * body through the rewriter, which asks the tracker module about every element and inserts the
 * consent banner (or, for a visitor who decided, the privacy link) at the start of the body. Bytes the
 * rewriter passes on unchanged are forwarded without copying; only bytes it held are copied.
 *
 * Failure policy: omote asks the origin for identity-coded documents; gzip or deflate sent anyway
 * is decoded in front of the rewriter (decode_stage.c, which cuts the response off if the data
 * is broken). A coding omote cannot read (br, zstd, stacked codings) is passed on unchanged,
 * counted and logged; a tag too long to judge is dropped (the rewriter's fail-closed rule).
 */
#include <string.h>
#include "internal.h"
#include "omote/glue.h"
#include "omote/html_rewriter.h"
#include "omote/log.h"
#include "omote/proxied.h"
#include "omote/rules.h"
#include "omote/tracker.h"

#define MODULE "omote/rewrite"

/* one piece of output: a slice of the input chunk, or of the stage's copy arena */
struct st_piece_t {
    const char *input; /* NULL: at `offset` in the arena */
    size_t offset, len;
};

#define DEBUG_HEADER_MAX 4096
#define DEBUG_HOLD_MAX (16 * 1024 * 1024)

struct st_rewrite_state_t {
    omote_html_rewriter_t *rw;
    omote_generation_t *gen; /* held: the rules must outlive the response */
    omote_worker_t *worker;
    omote_tracker_page_t page;
    size_t last_by; /* what decided the last removal: a <noscript> emptied by it is counted alike */
    /* trackers.debug_header: the list of removals, and the output held until it is complete */
    struct {
        int is_on;
        char text[DEBUG_HEADER_MAX];
        size_t len, not_listed;
        h2o_buffer_t *held;
        h2o_timeout_entry_t proceed;
        h2o_req_t *req;
    } debug;
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
    if (h2o_timeout_is_linked(&state->debug.proceed))
        h2o_timeout_unlink(&state->debug.proceed);
    if (state->debug.held != NULL)
        h2o_buffer_dispose(&state->debug.held);
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

static int name_is(const omote_html_token_t *tag, const char *name)
{
    return tag->name.len == strlen(name) && memcmp(tag->name.base, name, tag->name.len) == 0;
}

static omote_removed_what_t removed_what(const omote_html_token_t *tag)
{
    if (name_is(tag, "script"))
        return OMOTE_REMOVED_SCRIPT;
    if (name_is(tag, "iframe") || name_is(tag, "frame"))
        return OMOTE_REMOVED_SUBDOCUMENT;
    if (name_is(tag, "embed") || name_is(tag, "object"))
        return OMOTE_REMOVED_OBJECT;
    if (name_is(tag, "video") || name_is(tag, "audio"))
        return OMOTE_REMOVED_MEDIA;
    if (name_is(tag, "link"))
        return OMOTE_REMOVED_LINK;
    return OMOTE_REMOVED_IMAGE;
}

static size_t removed_by(const struct st_rewrite_state_t *state, const omote_tracker_why_t *why)
{
    switch (why->source) {
    case OMOTE_TRACKER_BY_VENDOR:
        return OMOTE_REMOVED_BY_VENDOR;
    case OMOTE_TRACKER_BY_SIGNATURE:
        return OMOTE_REMOVED_BY_SIGNATURE;
    default:
        return omote_generation_list_index(state->gen, why->decision.list_name);
    }
}

/* "script www.googletagmanager.com/gtm.js (easyprivacy:4412)": scheme, query and fragment left out */
static void note_for_debug(struct st_rewrite_state_t *state, omote_removed_what_t what, const omote_tracker_why_t *why)
{
    char where[160] = "", reason[160];
    const char *url = strstr(why->url, "://");
    if (url != NULL) {
        url += 3;
        snprintf(where, sizeof(where), " %.*s", (int)strcspn(url, "?#"), url);
    }
    const omote_config_t *conf = state->gen->config;
    switch (why->source) {
    case OMOTE_TRACKER_BY_VENDOR:
        snprintf(reason, sizeof(reason), "vendor %s, purpose %s not granted", conf->vendors[why->vendor].name,
                 conf->purposes[conf->vendors[why->vendor].purpose].id);
        break;
    case OMOTE_TRACKER_BY_SIGNATURE:
        snprintf(reason, sizeof(reason), "signature line %u, %s", why->signature->line, why->signature->vendor);
        break;
    default:
        snprintf(reason, sizeof(reason), "%s:%u", why->decision.list_name != NULL ? why->decision.list_name : "?", why->decision.line);
        break;
    }
    char item[400];
    int n = snprintf(item, sizeof(item), "%s%s%s (%s)", state->debug.len != 0 ? ", " : "", omote_metrics_removed_what_name(what),
                     where, reason);
    /* a header value is one line of visible ASCII; a URL is, but a list name from the file might not be */
    for (int i = 0; i < n && (size_t)i < sizeof(item); ++i)
        if ((unsigned char)item[i] < 0x20 || (unsigned char)item[i] >= 0x7f)
            item[i] = '?';
    if (n < 0 || state->debug.len + (size_t)n >= sizeof(state->debug.text) - 32) {
        ++state->debug.not_listed;
        return;
    }
    memcpy(state->debug.text + state->debug.len, item, (size_t)n);
    state->debug.len += (size_t)n;
}

static void count_removal(struct st_rewrite_state_t *state, omote_removed_what_t what, const omote_tracker_why_t *why)
{
    size_t by = removed_by(state, why);
    state->last_by = by;
    omote_metrics_add(&state->worker->metrics.removed[what][by], 1);
    if (state->debug.is_on)
        note_for_debug(state, what, why);
}

static omote_rewrite_verdict_t decide_tag(void *ctx, const omote_html_token_t *tag)
{
    struct st_rewrite_state_t *state = ctx;
    omote_tracker_why_t why;
    omote_rewrite_verdict_t verdict = omote_tracker_judge_tag(&state->page, tag, &why);
    if (verdict == OMOTE_REWRITE_REMOVE)
        count_removal(state, removed_what(tag), &why);
    return verdict;
}

static omote_rewrite_verdict_t decide_text(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated)
{
    struct st_rewrite_state_t *state = ctx;
    omote_tracker_why_t why;
    omote_rewrite_verdict_t verdict = omote_tracker_judge_script_text(&state->page, text, len, &why);
    if (verdict == OMOTE_REWRITE_REMOVE)
        count_removal(state, OMOTE_REMOVED_INLINE_SCRIPT, &why);
    return verdict;
}

/* <a ping>: hyperlink auditing POSTs to these URLs on every click; a tracker's is stripped */
static omote_rewrite_verdict_t decide_attribute(void *ctx, const omote_html_token_t *tag, size_t index)
{
    struct st_rewrite_state_t *state = ctx;
    const omote_html_attr_t *attr = tag->attrs + index;
    omote_tracker_why_t why;
    if (!omote_tracker_judge_ping(&state->page, attr->value.base, attr->value.len, &why))
        return OMOTE_REWRITE_KEEP;
    count_removal(state, OMOTE_REMOVED_PING, &why);
    return OMOTE_REWRITE_REMOVE;
}

/* judge_tag keeps every tag whose attributes it does not read */
static int wants_attributes(void *ctx, const char *name, size_t len)
{
    return omote_tracker_reads_attributes(name, len) ? OMOTE_HTML_ATTRS_READ : OMOTE_HTML_ATTRS_AS_TEXT;
}

/* a tag judge_tag kept on this page before, byte for byte, for this consent (the tracker cache) */
static int known_kept(void *ctx, const char *raw, size_t len)
{
    struct st_rewrite_state_t *state = ctx;
    return omote_tracker_tag_known_kept(&state->page, raw, len);
}

/* a run of this page that passed whole before, for this consent (the tracker cache) */
static size_t known_run(void *ctx, const char *bytes, size_t avail)
{
    struct st_rewrite_state_t *state = ctx;
    size_t n = omote_tracker_run_known(&state->page, bytes, avail);
    if (n != 0)
        omote_metrics_add(&state->worker->metrics.html_known_run_bytes, n);
    return n;
}

static void passed_run(void *ctx, const char *bytes, size_t len)
{
    struct st_rewrite_state_t *state = ctx;
    omote_tracker_remember_run(&state->page, bytes, len);
}

/* by omote_tracker_page_runs: a page's runs are kept from its second response, and used from its third */
static const omote_html_rewriter_callbacks_t callbacks[] = {
    [OMOTE_TRACKER_RUNS_NONE] = {decide_tag, decide_text, on_output, decide_attribute, wants_attributes, known_kept},
    [OMOTE_TRACKER_RUNS_KEEP] = {decide_tag, decide_text, on_output, decide_attribute, wants_attributes, known_kept, NULL,
                                 passed_run},
    [OMOTE_TRACKER_RUNS_USE] = {decide_tag, decide_text, on_output, decide_attribute, wants_attributes, known_kept, known_run,
                                passed_run},
};

/* trackers.rewrite_html off (or nothing to judge by) while the banner is on: only the snippet goes in */
static omote_rewrite_verdict_t keep_tag(void *ctx, const omote_html_token_t *tag)
{
    return OMOTE_REWRITE_KEEP;
}

static omote_rewrite_verdict_t keep_text(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated)
{
    return OMOTE_REWRITE_KEEP;
}

static int wants_no_attributes(void *ctx, const char *name, size_t len)
{
    return OMOTE_HTML_ATTRS_AS_TEXT;
}

static const omote_html_rewriter_callbacks_t keep_callbacks = {keep_tag, keep_text, on_output, NULL, wants_no_attributes};
static const char *const stripped_attributes[] = {"ping"};

static void count_removals(struct st_rewrite_state_t *state, const omote_html_rewriter_stats_t *st)
{
    omote_worker_t *worker = state->worker;
    omote_metrics_add(&worker->metrics.html_elements_removed, st->elements_removed);
    omote_metrics_add(&worker->metrics.html_noscript_removed, st->noscript_removed);
    omote_metrics_add(&worker->metrics.html_bytes_removed, st->bytes_removed);
    omote_metrics_add(&worker->metrics.html_oversized_tags, st->oversized_tags);
    omote_metrics_add(&worker->metrics.removed[OMOTE_REMOVED_NOSCRIPT][state->last_by], st->noscript_removed);
    omote_metrics_add(&worker->metrics.removed[OMOTE_REMOVED_OVERSIZED_TAG][OMOTE_REMOVED_BY_SIZE_LIMIT], st->oversized_tags);
}

static void on_debug_proceed(h2o_timeout_entry_t *entry)
{
    struct st_rewrite_state_t *state = H2O_STRUCT_FROM_MEMBER(struct st_rewrite_state_t, debug.proceed, entry);
    h2o_proceed_response(state->debug.req);
}

static void set_debug_header(h2o_req_t *req, struct st_rewrite_state_t *state, int is_complete)
{
    char tail[96] = "";
    if (state->debug.not_listed != 0)
        snprintf(tail, sizeof(tail), "%s+%zu more", state->debug.len != 0 ? ", " : "", state->debug.not_listed);
    if (!is_complete)
        snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "%slisting stopped: response over %d MiB",
                 state->debug.len != 0 || tail[0] != '\0' ? "; " : "", DEBUG_HOLD_MAX >> 20);
    h2o_iovec_t v = h2o_concat(&req->pool, h2o_iovec_init(state->debug.text, state->debug.len), h2o_iovec_init(tail, strlen(tail)));
    if (v.len == 0)
        v = h2o_iovec_init(H2O_STRLIT("none"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("omote-removed"), 0, NULL, v.base, v.len);
}

/*
 * trackers.debug_header: the header must name removals made anywhere in the body, and headers
 * leave with the first body bytes, so the output is held (up to DEBUG_HOLD_MAX) and the origin's
 * stream is asked for more from a fresh stack. Returns 1 when it took care of the send.
 */
static int hold_for_debug(struct st_rewrite_stage_t *self, h2o_req_t *req, struct st_rewrite_state_t *state, h2o_iovec_t *vecs,
                          size_t num, h2o_send_state_t send_state)
{
    if (state->debug.held == NULL)
        h2o_buffer_init(&state->debug.held, &h2o_socket_buffer_prototype);
    for (size_t i = 0; i != num; ++i) {
        h2o_iovec_t room = h2o_buffer_reserve(&state->debug.held, vecs[i].len);
        memcpy(room.base, vecs[i].base, vecs[i].len);
        state->debug.held->size += vecs[i].len;
    }
    int is_final = !h2o_send_state_is_in_progress(send_state);
    if (!is_final && state->debug.held->size <= DEBUG_HOLD_MAX) {
        state->debug.req = req;
        h2o_timeout_link(req->conn->ctx->loop, &req->conn->ctx->zero_timeout, &state->debug.proceed);
        return 1;
    }
    set_debug_header(req, state, is_final);
    state->debug.is_on = 0; /* from now on bytes pass as they come; the held buffer stays until the request ends */
    h2o_iovec_t all = h2o_iovec_init(state->debug.held->bytes, state->debug.held->size);
    h2o_ostream_send_next(&self->super, req, &all, all.len != 0, send_state);
    return 1;
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
        count_removals(state, omote_html_rewriter_stats(state->rw));

    if (state->num_pieces > state->vecs_cap) {
        state->vecs_cap = state->num_pieces * 2;
        state->vecs = h2o_mem_realloc(state->vecs, state->vecs_cap * sizeof(*state->vecs));
    }
    for (size_t i = 0; i != state->num_pieces; ++i) {
        struct st_piece_t *p = state->pieces + i;
        state->vecs[i] = h2o_iovec_init(p->input != NULL ? p->input : state->arena + p->offset, p->len);
    }
    if (state->debug.is_on && hold_for_debug(self, req, state, state->vecs, state->num_pieces, send_state))
        return;
    h2o_ostream_send_next(&self->super, req, state->vecs, state->num_pieces, send_state);
}

int omote_response_is_html(h2o_req_t *req)
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
    state->page = (omote_tracker_page_t){state->gen->rules,
                                         state->page_url,
                                         state->page_host,
                                         (const char *const *)conf->trackers.first_party_domains,
                                         conf->trackers.num_first_party_domains,
                                         state->gen->policy,
                                         omote_visitor_purposes(req, state->gen),
                                         state->worker->tracker_cache,
                                         state->gen->id};
    state->debug.is_on = conf->trackers.debug_header;
    state->debug.proceed.cb = on_debug_proceed;
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    const omote_proxied_t *proxied = omote_proxied_of(req);
    omote_generation_t *gen;
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);

    if (proxied == NULL || req->res.status != 200 || !omote_response_is_html(req))
        goto Next;
    gen = proxied->link->gen;
    if (!omote_generation_touches_html(gen))
        goto Next;
    if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        goto Next;
    omote_inflate_coding_t coding = OMOTE_INFLATE_GZIP;
    omote_decode_t decode = omote_decode_coding(req, &coding);
    if (decode == OMOTE_DECODE_UNREADABLE) {
        omote_decode_note_unreadable(req, worker);
        goto Next;
    }

    struct st_rewrite_state_t *state = h2o_mem_alloc_shared(&req->pool, sizeof(*state), on_state_dispose);
    memset(state, 0, sizeof(*state));
    state->gen = gen;
    state->worker = worker;
    omote_generation_retain(gen);
    set_page(state, req);
    omote_html_rewriter_options_t opts = {gen->config->trackers.max_tag_bytes, gen->config->trackers.max_inspect_bytes};
    int judges = omote_generation_rewrites_html(gen);
    if (judges) {
        opts.strip_attributes = stripped_attributes;
        opts.num_strip_attributes = 1;
    }
    h2o_iovec_t snippet = omote_ui_page_snippet(req, gen, proxied->decided_at != 0);
    if (snippet.len != 0) {
        opts.body_snippet = snippet.base;
        opts.body_snippet_len = snippet.len;
        /* the page now differs by the visitor's consent cookie: a shared cache must not hand one visitor's copy to another */
        h2o_set_header_token(&req->pool, &req->res.headers, H2O_TOKEN_VARY, H2O_STRLIT("Cookie"));
    }
    const omote_html_rewriter_callbacks_t *cb = judges ? &callbacks[omote_tracker_page_runs(&state->page)] : &keep_callbacks;
    state->rw = omote_html_rewriter_create(&opts, cb, state);

    req->res.content_length = SIZE_MAX;
    weaken_etag(req);
    omote_metrics_add(&worker->metrics.html_rewritten, 1);

    if (decode == OMOTE_DECODE_INFLATE)
        omote_decode_stage_add(req, coding, &slot); /* nearer the origin: the rewriter reads what it decodes */
    struct st_rewrite_stage_t *stage = (void *)h2o_add_ostream(req, sizeof(*stage), slot);
    stage->super.do_send = do_send;
    stage->state = state;
    stage->worker = worker;
    slot = &stage->super.next;

Next:
    h2o_setup_next_ostream(req, slot);
}

int omote_generation_touches_html(const omote_generation_t *gen)
{
    return omote_generation_rewrites_html(gen) || gen->config->banner.enabled;
}

int omote_generation_rewrites_html(const omote_generation_t *gen)
{
    return gen->config->trackers.rewrite_html &&
           (omote_rules_num_filters(gen->rules) != 0 || gen->config->num_vendors != 0 || omote_policy_num_signatures(gen->policy) != 0);
}

size_t omote_generation_list_index(const omote_generation_t *gen, const char *name)
{
    for (size_t i = 0; name != NULL && i != gen->config->trackers.num_lists; ++i)
        if (strcmp(gen->config->trackers.lists[i].name, name) == 0)
            return i;
    return 0;
}

void omote_rewrite_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *filter = h2o_create_filter(pathconf, sizeof(*filter));
    filter->on_setup_ostream = on_setup_ostream;
}
