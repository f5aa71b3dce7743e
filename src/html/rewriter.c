/*
 * The streaming rewriter: tokens in, bytes out. It never edits a token; it forwards a token's raw
 * bytes, drops them, or holds them until it can decide.
 *
 * Modes, from the outside in:
 *   - passing: each token's raw bytes go to the output (or, inside a <noscript>, to its hold);
 *   - removing: inside an element the decider cut; tokens are dropped until the end tag that
 *     closes it (same name, nesting counted), so the content and end tag go with it;
 *   - inspecting: an element the decider wants to read whole (an inline script) is held until its
 *     end tag, then kept or dropped as one piece; past max_inspect_bytes the decision is made on
 *     the text seen so far (a keep then streams the rest, a remove drops it);
 *   - noscript: a <noscript> is held with its content already rewritten; if nothing but removed
 *     elements and white space was in it, the whole block goes, else it is written as rewritten.
 * Failure policy: a tag longer than max_carry_bytes cannot be judged, so it is dropped (fail
 * closed) and counted; nothing is ever half-written because tokens are forwarded whole.
 */
#include <stdlib.h>
#include <string.h>
#include "omote/html_rewriter.h"

#define DEFAULT_MAX_INSPECT (64 * 1024)
#define MAX_NAME 32

struct st_buffer_t {
    char *bytes;
    size_t len, cap;
};

struct st_omote_html_rewriter_t {
    omote_html_tokenizer_t *tok;
    omote_html_rewriter_callbacks_t cb;
    void *ctx;
    omote_html_rewriter_options_t opts;
    omote_html_rewriter_stats_t stats;
    const char *chunk; /* the input being fed, to tell callers which output points into it */
    size_t chunk_len;

    int removing;
    char removing_name[MAX_NAME];
    size_t removing_name_len, removing_depth;

    int inspecting;
    char inspect_name[MAX_NAME];
    size_t inspect_name_len;
    struct st_buffer_t inspect_raw, inspect_text;

    int in_noscript;
    int noscript_kept_content; /* something other than white space and removed elements is in it */
    int noscript_removed_any;
    struct st_buffer_t noscript_raw; /* the start tag and the rewritten content */
};

static void buffer_append(struct st_buffer_t *buf, const char *bytes, size_t len)
{
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap != 0 ? buf->cap : 1024;
        while (cap < buf->len + len)
            cap *= 2;
        if ((buf->bytes = realloc(buf->bytes, cap)) == NULL)
            abort();
        buf->cap = cap;
    }
    memcpy(buf->bytes + buf->len, bytes, len);
    buf->len += len;
}

int omote_html_is_void_element(const char *name, size_t len)
{
    static const char *const voids[] = {"area", "base", "br",   "col",   "embed",  "hr",    "img", "input",
                                        "link", "meta", "param", "source", "track", "wbr", "frame", "keygen", NULL};
    for (const char *const *v = voids; *v != NULL; ++v)
        if (strlen(*v) == len && memcmp(*v, name, len) == 0)
            return 1;
    return 0;
}

static int name_is(const omote_html_token_t *t, const char *name)
{
    size_t len = strlen(name);
    return t->name.base != NULL && t->name.len == len && memcmp(t->name.base, name, len) == 0;
}

static int is_input(const omote_html_rewriter_t *rw, const char *p)
{
    return p >= rw->chunk && p < rw->chunk + rw->chunk_len;
}

/* the output of passing tokens: the real output, or the hold of the <noscript> being rewritten */
static void emit(omote_html_rewriter_t *rw, const char *bytes, size_t len, int from_input)
{
    if (len == 0)
        return;
    if (rw->in_noscript) {
        buffer_append(&rw->noscript_raw, bytes, len);
        return;
    }
    rw->cb.write(rw->ctx, bytes, len, from_input);
}

static void emit_token(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    emit(rw, t->raw, t->raw_len, is_input(rw, t->raw));
}

static void drop(omote_html_rewriter_t *rw, size_t len)
{
    rw->stats.bytes_removed += len;
}

/* --- head snippet ---------------------------------------------------------------- */

/* elements that may stand before <body> without starting it */
static int is_head_content(const omote_html_token_t *t)
{
    static const char *const names[] = {"html", "head", "title", "meta", "link", "style", "script", "base", "noscript",
                                        "template", NULL};
    for (const char *const *n = names; *n != NULL; ++n)
        if (name_is(t, *n))
            return 1;
    return 0;
}

static void insert_snippet(omote_html_rewriter_t *rw)
{
    rw->stats.snippet_inserted = 1;
    emit(rw, rw->opts.head_snippet, rw->opts.head_snippet_len, 0);
}

/* Inserts the snippet before `t` if `t` starts the body and no <head> came; returns whether it did. */
static void maybe_insert_before(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (rw->opts.head_snippet == NULL || rw->stats.snippet_inserted || rw->in_noscript)
        return;
    if (t->kind == OMOTE_HTML_START_TAG && !is_head_content(t))
        insert_snippet(rw);
}

static void maybe_insert_after(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (rw->opts.head_snippet == NULL || rw->stats.snippet_inserted || rw->in_noscript)
        return;
    if (t->kind == OMOTE_HTML_START_TAG && name_is(t, "head"))
        insert_snippet(rw);
}

/* --- removing -------------------------------------------------------------------- */

static void start_removing(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    ++rw->stats.elements_removed;
    drop(rw, t->raw_len);
    if (rw->in_noscript)
        rw->noscript_removed_any = 1;
    if (t->self_closing || omote_html_is_void_element(t->name.base, t->name.len) || t->name.len >= MAX_NAME)
        return;
    rw->removing = 1;
    memcpy(rw->removing_name, t->name.base, t->name.len);
    rw->removing_name_len = t->name.len;
    rw->removing_depth = 1;
}

static int same_name(const omote_html_token_t *t, const char *name, size_t len)
{
    return t->name.base != NULL && t->name.len == len && memcmp(t->name.base, name, len) == 0;
}

static void while_removing(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    drop(rw, t->raw_len);
    if (!same_name(t, rw->removing_name, rw->removing_name_len))
        return;
    if (t->kind == OMOTE_HTML_START_TAG && !t->self_closing) {
        ++rw->removing_depth;
    } else if (t->kind == OMOTE_HTML_END_TAG && --rw->removing_depth == 0) {
        rw->removing = 0;
    }
}

/* --- inspecting ------------------------------------------------------------------ */

static void start_inspecting(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (t->self_closing || omote_html_is_void_element(t->name.base, t->name.len) || t->name.len >= MAX_NAME) {
        emit_token(rw, t); /* nothing to read inside */
        return;
    }
    ++rw->stats.inspected;
    rw->inspecting = 1;
    memcpy(rw->inspect_name, t->name.base, t->name.len);
    rw->inspect_name_len = t->name.len;
    rw->inspect_name[t->name.len] = '\0';
    rw->inspect_raw.len = rw->inspect_text.len = 0;
    buffer_append(&rw->inspect_raw, t->raw, t->raw_len);
}

static void settle_inspection(omote_html_rewriter_t *rw, int is_truncated)
{
    omote_rewrite_verdict_t verdict =
        rw->cb.decide_text(rw->ctx, rw->inspect_name, rw->inspect_text.bytes, rw->inspect_text.len, is_truncated);
    rw->inspecting = 0;
    if (verdict == OMOTE_REWRITE_REMOVE) {
        ++rw->stats.elements_removed;
        drop(rw, rw->inspect_raw.len);
        if (rw->in_noscript)
            rw->noscript_removed_any = 1;
        if (is_truncated) {
            /* the end tag is still to come: drop until it */
            rw->removing = 1;
            memcpy(rw->removing_name, rw->inspect_name, rw->inspect_name_len);
            rw->removing_name_len = rw->inspect_name_len;
            rw->removing_depth = 1;
        }
        return;
    }
    if (rw->in_noscript)
        rw->noscript_kept_content = 1;
    emit(rw, rw->inspect_raw.bytes, rw->inspect_raw.len, 0);
}

static void while_inspecting(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    buffer_append(&rw->inspect_raw, t->raw, t->raw_len);
    if (t->kind == OMOTE_HTML_END_TAG && same_name(t, rw->inspect_name, rw->inspect_name_len)) {
        settle_inspection(rw, 0);
        return;
    }
    if (t->kind == OMOTE_HTML_CHARACTERS)
        buffer_append(&rw->inspect_text, t->data.base, t->data.len);
    if (rw->inspect_raw.len > rw->opts.max_inspect_bytes) {
        ++rw->stats.inspected_truncated;
        settle_inspection(rw, 1);
    }
}

/* --- noscript -------------------------------------------------------------------- */

static int is_white_space(const char *p, size_t len)
{
    for (size_t i = 0; i != len; ++i)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != '\f')
            return 0;
    return 1;
}

static void start_noscript(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    rw->in_noscript = 1;
    rw->noscript_kept_content = 0;
    rw->noscript_removed_any = 0;
    rw->noscript_raw.len = 0;
    buffer_append(&rw->noscript_raw, t->raw, t->raw_len);
}

/* Writes the held <noscript> as rewritten (keep = 1), or drops it whole. */
static void end_noscript(omote_html_rewriter_t *rw, const omote_html_token_t *end_tag)
{
    rw->in_noscript = 0;
    if (!rw->noscript_kept_content && rw->noscript_removed_any && end_tag != NULL) {
        ++rw->stats.noscript_removed;
        drop(rw, rw->noscript_raw.len + end_tag->raw_len);
        return;
    }
    emit(rw, rw->noscript_raw.bytes, rw->noscript_raw.len, 0);
    if (end_tag != NULL)
        emit_token(rw, end_tag);
}

/* --- the token loop ----------------------------------------------------------------- */

static void on_start_tag(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    maybe_insert_before(rw, t);
    omote_rewrite_verdict_t verdict = rw->cb.decide_tag(rw->ctx, t);
    if (verdict == OMOTE_REWRITE_REMOVE) {
        start_removing(rw, t);
        return;
    }
    if (verdict == OMOTE_REWRITE_INSPECT) {
        start_inspecting(rw, t);
        return;
    }
    if (name_is(t, "noscript") && !rw->in_noscript && !t->self_closing) {
        start_noscript(rw, t);
        return;
    }
    if (rw->in_noscript)
        rw->noscript_kept_content = 1;
    emit_token(rw, t);
    maybe_insert_after(rw, t);
}

static int on_token(void *_rw, const omote_html_token_t *t)
{
    omote_html_rewriter_t *rw = _rw;

    if (t->kind == OMOTE_HTML_OVERSIZED) {
        if (t->is_last_part)
            ++rw->stats.oversized_tags;
        drop(rw, t->raw_len);
        return 0;
    }
    if (rw->removing) {
        while_removing(rw, t);
        return 0;
    }
    if (rw->inspecting) {
        while_inspecting(rw, t);
        return 0;
    }
    switch (t->kind) {
    case OMOTE_HTML_START_TAG:
        on_start_tag(rw, t);
        break;
    case OMOTE_HTML_END_TAG:
        if (rw->in_noscript && name_is(t, "noscript")) {
            end_noscript(rw, t);
            break;
        }
        if (rw->in_noscript)
            rw->noscript_kept_content = 1;
        emit_token(rw, t);
        break;
    case OMOTE_HTML_CHARACTERS:
        if (rw->in_noscript && !is_white_space(t->raw, t->raw_len))
            rw->noscript_kept_content = 1;
        emit_token(rw, t);
        break;
    default:
        /* comments, DOCTYPE, dropped bytes: passed on as they were */
        emit_token(rw, t);
        break;
    }
    if (rw->in_noscript && rw->noscript_raw.len > rw->opts.max_inspect_bytes) {
        /* too long to hold: write it as rewritten so far and stream the rest */
        rw->noscript_kept_content = 1;
        end_noscript(rw, NULL);
    }
    return 0;
}

/* --- public ---------------------------------------------------------------------- */

omote_html_rewriter_t *omote_html_rewriter_create(const omote_html_rewriter_options_t *options,
                                                  const omote_html_rewriter_callbacks_t *callbacks, void *ctx)
{
    omote_html_rewriter_t *rw = calloc(1, sizeof(*rw));
    if (rw == NULL)
        abort();
    rw->opts = *options;
    if (rw->opts.max_inspect_bytes == 0)
        rw->opts.max_inspect_bytes = DEFAULT_MAX_INSPECT;
    rw->cb = *callbacks;
    rw->ctx = ctx;
    omote_html_options_t tok_opts = {0};
    tok_opts.max_carry_bytes = rw->opts.max_carry_bytes;
    rw->tok = omote_html_tokenizer_create(&tok_opts);
    return rw;
}

void omote_html_rewriter_free(omote_html_rewriter_t *rw)
{
    if (rw == NULL)
        return;
    omote_html_tokenizer_free(rw->tok);
    free(rw->inspect_raw.bytes);
    free(rw->inspect_text.bytes);
    free(rw->noscript_raw.bytes);
    free(rw);
}

void omote_html_rewriter_feed(omote_html_rewriter_t *rw, const char *chunk, size_t len, int is_final)
{
    rw->chunk = chunk;
    rw->chunk_len = len;
    omote_html_tokenizer_feed(rw->tok, chunk, len, is_final, on_token, rw);
    if (is_final) {
        /* the document ended inside a held element: settle it as its end tag would have */
        if (rw->inspecting)
            settle_inspection(rw, 1);
        if (rw->in_noscript) {
            rw->noscript_kept_content = 1;
            end_noscript(rw, NULL);
        }
    }
    rw->chunk = NULL;
    rw->chunk_len = 0;
}

const omote_html_rewriter_stats_t *omote_html_rewriter_stats(const omote_html_rewriter_t *rw)
{
    return &rw->stats;
}
