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
 *     Past max_inspect_bytes the hold is written and the rest streams, but the rewriter stays
 *     inside the <noscript> until its end tag: no snippet there, and a nested <noscript> is content.
 * Kept start tags may lose single attributes (strip_attributes): the tag is written in pieces
 * around them.
 *
 * Nothing that passes unchanged is copied: consecutive kept tokens from the chunk being fed make
 * one run, written by reference when something else must be written or the chunk is done; an
 * element held for inspection stays in the chunk too unless the chunk ends before it does.
 * Failure policy: a tag longer than max_carry_bytes cannot be judged, so it is dropped (fail
 * closed) and counted; nothing is ever half-written because tokens are forwarded whole.
 */
#include "omote/html_rewriter.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DEFAULT_MAX_INSPECT (64 * 1024)
#define MAX_NAME 32
#define MAX_ATTRS 64 /* the tokenizer reports this many attributes per tag; attributes past them are never stripped */
#define LOWER_ASCII(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 0x20 : (c))

struct st_buffer_t {
    char *bytes;
    size_t len, cap;
};

struct st_omote_html_rewriter_t {
    omote_html_tokenizer_t *tok;
    omote_html_tokenizer_t *reparser; /* reads a skipped tag whole when it may hold an attribute to strip */
    int reparsed;
    int merging_end_tags; /* told the tokenizer to pass end tags as text: nothing here reads them */
    omote_html_rewriter_callbacks_t cb;
    void *ctx;
    omote_html_rewriter_options_t opts;
    omote_html_rewriter_stats_t stats;
    const char *chunk; /* the input being fed, to tell callers which output points into it */
    size_t chunk_len;
    const char *run, *run_end; /* kept input bytes not written yet: [run, run_end) in the chunk */
    size_t *strip_name_lens;
    uint32_t strip_initials; /* the names' first bytes, as the tokenizer reports skipped ones (skipped_initials) */
    uint32_t strip_seconds;  /* and their second bytes (as_text_unless_seconds) */

    int removing;
    char removing_name[MAX_NAME];
    size_t removing_name_len, removing_depth;

    int inspecting;
    char inspect_name[MAX_NAME];
    size_t inspect_name_len;
    /* the held element: [hold, hold_end) in the chunk while it is all there, else copied into inspect_raw */
    const char *hold, *hold_end;
    struct st_buffer_t inspect_raw, inspect_text;
    size_t inspect_tag_len;  /* its start tag's bytes as held */
    int inspect_text_apart;  /* a token other than text came: the text is gathered in inspect_text */
    size_t inspect_stripped; /* attributes stripped from its start tag, counted if the element is kept */
    size_t inspect_stripped_bytes;

    int in_noscript;           /* holding a <noscript>: passing tokens go to noscript_raw */
    int noscript_open;         /* inside a <noscript> whose end tag has not come, held or (past the bound) streamed */
    int noscript_kept_content; /* something other than white space and removed elements is in it */
    int noscript_removed_any;
    struct st_buffer_t noscript_raw; /* the start tag and the rewritten content */

    int body_snippet_settled; /* inserted, or there is no body for it (a frameset) */
};

static void buffer_append(struct st_buffer_t *buf, const char *bytes, size_t len)
{
    if (len == 0)
        return;
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
    static const char *const voids[] = {"area", "base",  "br",     "col",   "embed", "hr",    "img",    "input", "link",
                                        "meta", "param", "source", "track", "wbr",   "frame", "keygen", NULL};
    for (const char *const *v = voids; *v != NULL; ++v)
        if (strlen(*v) == len && memcmp(*v, name, len) == 0)
            return 1;
    return 0;
}

/* `lit` a string literal: its length is known at compile time, which makes this a length test and
 * one small compare (asked several times for every start tag) */
#define NAME_IS(t, lit) ((t)->name.len == sizeof(lit) - 1 && (t)->name.base != NULL && memcmp((t)->name.base, lit, sizeof(lit) - 1) == 0)

static int is_input(const omote_html_rewriter_t *rw, const char *p)
{
    return p >= rw->chunk && p < rw->chunk + rw->chunk_len;
}

static void flush_run(omote_html_rewriter_t *rw)
{
    if (rw->run == NULL)
        return;
    rw->cb.write(rw->ctx, rw->run, (size_t)(rw->run_end - rw->run), 1);
    rw->run = NULL;
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
    if (from_input) {
        if (rw->run != NULL && bytes == rw->run_end) {
            rw->run_end += len;
            return;
        }
        flush_run(rw);
        rw->run = bytes;
        rw->run_end = bytes + len;
        return;
    }
    flush_run(rw);
    rw->cb.write(rw->ctx, bytes, len, 0);
}

static void emit_token(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    emit(rw, t->raw, t->raw_len, is_input(rw, t->raw));
}

static void drop(omote_html_rewriter_t *rw, size_t len)
{
    rw->stats.bytes_removed += len;
}

/* --- stripping attributes ---------------------------------------------------------- */

struct st_strips_t {
    size_t from[MAX_ATTRS], to[MAX_ATTRS]; /* ranges of the tag's raw to leave out, ascending */
    size_t count, bytes;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_stripped_name(const omote_html_rewriter_t *rw, omote_html_str_t name)
{
    for (size_t i = 0; i != rw->opts.num_strip_attributes; ++i)
        if (rw->strip_name_lens[i] == name.len && memcmp(rw->opts.strip_attributes[i], name.base, name.len) == 0)
            return 1;
    return 0;
}

/*
 * Which bytes of a kept start tag go with its stripped attributes. Each range is the attribute
 * and the white space (and stray '/', which means nothing unless right before '>') before it, so
 * `<a href=x ping=y>` becomes `<a href=x>`. When the byte after the attribute starts another one
 * (`<a ping="y"x=1>`), the white space before stays, or the names would run together. Ranges never reach back past the previous
 * attribute, so an unquoted value ending in '/' keeps it, and two ranges never overlap.
 */
static void find_strips(omote_html_rewriter_t *rw, const omote_html_token_t *t, struct st_strips_t *st)
{
    size_t limit = 0;
    st->count = st->bytes = 0;
    for (size_t i = 0; i != t->num_attrs && i != MAX_ATTRS; ++i) {
        const omote_html_attr_t *a = &t->attrs[i];
        size_t from = (size_t)(a->raw.base - t->raw), to = from + a->raw.len;
        if (is_stripped_name(rw, a->name) &&
            (rw->cb.decide_attribute == NULL || rw->cb.decide_attribute(rw->ctx, t, i) == OMOTE_REWRITE_REMOVE)) {
            char next = to < t->raw_len ? t->raw[to] : '>';
            if (is_space(next) || next == '/' || next == '>')
                while (from > limit && (is_space(t->raw[from - 1]) || t->raw[from - 1] == '/'))
                    --from;
            st->from[st->count] = from;
            st->to[st->count++] = to;
            st->bytes += to - from;
        }
        limit = to;
    }
}

/*
 * Whether the tag's bytes hold one of the names to strip, ASCII case ignored: a conservative test
 * (a value may hold the name too) that spares most tags read without attributes a second reading.
 */
static int may_hold(const char *s, size_t len, const char *name, size_t nlen)
{
    size_t i = 0;
    if (nlen == 0 || nlen > len)
        return nlen == 0;
#if defined(__SSE2__)
    if (nlen >= 2) {
        const __m128i lower = _mm_set1_epi8(0x20), c0 = _mm_set1_epi8(name[0]), c1 = _mm_set1_epi8(name[1]);
        /* candidates where the first two bytes match with bit 5 set; checked exactly below */
        for (; i + 17 <= len; i += 16) {
            __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i)), lower);
            __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 1)), lower);
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, c0), _mm_cmpeq_epi8(b, c1)));
            for (; mask != 0; mask &= mask - 1) {
                size_t at = i + (size_t)__builtin_ctz(mask), j = 0;
                while (j != nlen && at + j < len && LOWER_ASCII(s[at + j]) == name[j])
                    ++j;
                if (j == nlen)
                    return 1;
            }
        }
    }
#endif
    for (; i + nlen <= len; ++i) {
        size_t j = 0;
        while (j != nlen && LOWER_ASCII(s[i + j]) == name[j])
            ++j;
        if (j == nlen)
            return 1;
    }
    return 0;
}

static int may_hold_stripped(const omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    for (size_t i = 0; i != rw->opts.num_strip_attributes; ++i)
        if (may_hold(t->raw, t->raw_len, rw->opts.strip_attributes[i], rw->strip_name_lens[i]))
            return 1;
    return 0;
}

/* Writes a start tag without the ranges in `st`. */
static void emit_stripped(omote_html_rewriter_t *rw, const omote_html_token_t *t, const struct st_strips_t *st)
{
    int from_input = is_input(rw, t->raw);
    size_t at = 0;
    for (size_t i = 0; i != st->count; ++i) {
        emit(rw, t->raw + at, st->from[i] - at, from_input);
        at = st->to[i];
    }
    emit(rw, t->raw + at, t->raw_len - at, from_input);
}

/* --- head and body snippets ---------------------------------------------------------------- */

/* elements that may stand before <body> without starting it */
static int is_head_content(const omote_html_token_t *t)
{
    switch (t->name.len) {
    case 4:
        return NAME_IS(t, "html") || NAME_IS(t, "head") || NAME_IS(t, "meta") || NAME_IS(t, "link") || NAME_IS(t, "base");
    case 5:
        return NAME_IS(t, "title") || NAME_IS(t, "style");
    case 6:
        return NAME_IS(t, "script");
    case 8:
        return NAME_IS(t, "noscript") || NAME_IS(t, "template");
    }
    return 0;
}

/* a snippet still to be inserted: until then every start tag is looked at for where it goes */
static int snippet_pending(const omote_html_rewriter_t *rw)
{
    return (rw->opts.head_snippet != NULL && !rw->stats.snippet_inserted) ||
           (rw->opts.body_snippet != NULL && !rw->body_snippet_settled);
}

static void insert_snippet(omote_html_rewriter_t *rw)
{
    rw->stats.snippet_inserted = 1;
    emit(rw, rw->opts.head_snippet, rw->opts.head_snippet_len, 0);
}

static void insert_body_snippet(omote_html_rewriter_t *rw)
{
    rw->stats.body_snippet_inserted = 1;
    emit(rw, rw->opts.body_snippet, rw->opts.body_snippet_len, 0);
}

/* Inserts the snippet before `t` if `t` starts the body and no <head> came. Never inside a <noscript>,
 * held or not: whether its hold was written early depends on where the bound fell, not on the document. */
static void maybe_insert_before(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (!snippet_pending(rw) || rw->noscript_open || t->kind != OMOTE_HTML_START_TAG || is_head_content(t))
        return;
    if (rw->opts.head_snippet != NULL && !rw->stats.snippet_inserted)
        insert_snippet(rw);
    /* the body began without its tag: the body snippet goes first in it. A frameset has no body to show it in */
    if (rw->opts.body_snippet != NULL && !rw->body_snippet_settled && !NAME_IS(t, "body")) {
        rw->body_snippet_settled = 1;
        if (!NAME_IS(t, "frameset"))
            insert_body_snippet(rw);
    }
}

static void maybe_insert_after(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (!snippet_pending(rw) || rw->noscript_open || t->kind != OMOTE_HTML_START_TAG)
        return;
    if (rw->opts.head_snippet != NULL && !rw->stats.snippet_inserted && NAME_IS(t, "head"))
        insert_snippet(rw);
    if (rw->opts.body_snippet != NULL && !rw->body_snippet_settled && NAME_IS(t, "body")) {
        rw->body_snippet_settled = 1;
        insert_body_snippet(rw);
    }
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

static size_t held_len(const omote_html_rewriter_t *rw)
{
    return rw->hold != NULL ? (size_t)(rw->hold_end - rw->hold) : rw->inspect_raw.len;
}

/* The held bytes must outlive the chunk (or be appended to): copy them. */
static void release_hold(omote_html_rewriter_t *rw)
{
    if (rw->hold == NULL)
        return;
    buffer_append(&rw->inspect_raw, rw->hold, (size_t)(rw->hold_end - rw->hold));
    rw->hold = NULL;
}

static const char *held_bytes(const omote_html_rewriter_t *rw)
{
    return rw->hold != NULL ? rw->hold : rw->inspect_raw.bytes;
}

static void hold_token(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (rw->hold != NULL && t->raw == rw->hold_end && is_input(rw, t->raw)) {
        rw->hold_end += t->raw_len;
        return;
    }
    release_hold(rw);
    buffer_append(&rw->inspect_raw, t->raw, t->raw_len);
}

static void start_inspecting(omote_html_rewriter_t *rw, const omote_html_token_t *t, const struct st_strips_t *strips)
{
    if (t->self_closing || omote_html_is_void_element(t->name.base, t->name.len) || t->name.len >= MAX_NAME) {
        emit_stripped(rw, t, strips); /* nothing to read inside */
        rw->stats.attributes_stripped += strips->count;
        drop(rw, strips->bytes);
        return;
    }
    ++rw->stats.inspected;
    rw->inspecting = 1;
    memcpy(rw->inspect_name, t->name.base, t->name.len);
    rw->inspect_name_len = t->name.len;
    rw->inspect_name[t->name.len] = '\0';
    rw->inspect_raw.len = rw->inspect_text.len = 0;
    rw->inspect_text_apart = 0;
    rw->inspect_stripped = strips->count;
    rw->inspect_stripped_bytes = strips->bytes;
    rw->hold = NULL;
    if (strips->count == 0 && is_input(rw, t->raw)) {
        rw->hold = t->raw;
        rw->hold_end = t->raw + t->raw_len;
    } else {
        size_t at = 0;
        for (size_t i = 0; i != strips->count; ++i) {
            buffer_append(&rw->inspect_raw, t->raw + at, strips->from[i] - at);
            at = strips->to[i];
        }
        buffer_append(&rw->inspect_raw, t->raw + at, t->raw_len - at);
    }
    rw->inspect_tag_len = held_len(rw);
}

/* `end_len`: the bytes of the end tag just held, which are not text. */
static void settle_inspection(omote_html_rewriter_t *rw, int is_truncated, size_t end_len)
{
    const char *text = rw->inspect_text.bytes;
    size_t text_len = rw->inspect_text.len;
    if (!rw->inspect_text_apart) {
        text = held_bytes(rw) + rw->inspect_tag_len;
        text_len = held_len(rw) - rw->inspect_tag_len - end_len;
    }
    /* the prefix judged must not depend on how the input was chunked: exactly max_inspect_bytes */
    if (is_truncated && text_len > rw->opts.max_inspect_bytes)
        text_len = rw->opts.max_inspect_bytes;
    omote_rewrite_verdict_t verdict = rw->cb.decide_text(rw->ctx, rw->inspect_name, text, text_len, is_truncated);
    rw->inspecting = 0;
    if (verdict == OMOTE_REWRITE_REMOVE) {
        ++rw->stats.elements_removed;
        drop(rw, held_len(rw) + rw->inspect_stripped_bytes);
        rw->hold = NULL;
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
    rw->stats.attributes_stripped += rw->inspect_stripped;
    drop(rw, rw->inspect_stripped_bytes);
    if (rw->in_noscript)
        rw->noscript_kept_content = 1;
    if (rw->hold != NULL)
        emit(rw, rw->hold, (size_t)(rw->hold_end - rw->hold), 1);
    else
        emit(rw, rw->inspect_raw.bytes, rw->inspect_raw.len, 0);
    rw->hold = NULL;
}

static void while_inspecting(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    int is_end = t->kind == OMOTE_HTML_END_TAG && same_name(t, rw->inspect_name, rw->inspect_name_len);
    if (t->kind != OMOTE_HTML_CHARACTERS && !is_end && !rw->inspect_text_apart) {
        /* the text so far is no longer one run of the held bytes: gather it apart from now on */
        rw->inspect_text_apart = 1;
        rw->inspect_text.len = 0;
        buffer_append(&rw->inspect_text, held_bytes(rw) + rw->inspect_tag_len, held_len(rw) - rw->inspect_tag_len);
    }
    hold_token(rw, t);
    if (is_end) {
        settle_inspection(rw, 0, rw->inspect_text_apart ? 0 : t->raw_len);
        return;
    }
    if (t->kind == OMOTE_HTML_CHARACTERS && rw->inspect_text_apart)
        buffer_append(&rw->inspect_text, t->data.base, t->data.len);
    size_t text_so_far = rw->inspect_text_apart ? rw->inspect_text.len : held_len(rw) - rw->inspect_tag_len;
    if (text_so_far > rw->opts.max_inspect_bytes) {
        ++rw->stats.inspected_truncated;
        settle_inspection(rw, 1, 0);
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

static void start_noscript(omote_html_rewriter_t *rw, const omote_html_token_t *t, const struct st_strips_t *strips)
{
    rw->in_noscript = 1;
    rw->noscript_open = 1;
    rw->noscript_kept_content = 0;
    rw->noscript_removed_any = 0;
    rw->noscript_raw.len = 0;
    emit_stripped(rw, t, strips); /* into the hold, as in_noscript is set */
}

/* Writes the held <noscript> as rewritten, or drops it whole. `end_tag` NULL: the hold is written
 * early (bound or end of input) and the element stays open until its end tag streams by. */
static void end_noscript(omote_html_rewriter_t *rw, const omote_html_token_t *end_tag)
{
    rw->in_noscript = 0;
    if (end_tag != NULL)
        rw->noscript_open = 0;
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

static void decide_start_tag(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    struct st_strips_t strips;
    maybe_insert_before(rw, t);
    omote_rewrite_verdict_t verdict = rw->cb.decide_tag(rw->ctx, t);
    if (verdict == OMOTE_REWRITE_REMOVE) {
        start_removing(rw, t);
        return;
    }
    strips.count = strips.bytes = 0;
    if (rw->opts.num_strip_attributes != 0)
        find_strips(rw, t, &strips);
    if (verdict == OMOTE_REWRITE_INSPECT) {
        start_inspecting(rw, t, &strips);
        return;
    }
    rw->stats.attributes_stripped += strips.count;
    drop(rw, strips.bytes);
    if (NAME_IS(t, "noscript") && !rw->noscript_open && !t->self_closing) {
        start_noscript(rw, t, &strips);
        return;
    }
    if (rw->in_noscript)
        rw->noscript_kept_content = 1;
    if (strips.count != 0)
        emit_stripped(rw, t, &strips);
    else
        emit_token(rw, t);
    maybe_insert_after(rw, t);
}

static int on_reparsed(void *_rw, const omote_html_token_t *t)
{
    omote_html_rewriter_t *rw = _rw;
    if (t->kind == OMOTE_HTML_START_TAG) {
        rw->reparsed = 1;
        decide_start_tag(rw, t);
    }
    return 0;
}

/* A tag read without its attributes that may hold one to strip is read again, whole: alone, its
 * bytes give the same tag as in the document, with `raw` the same pointer. */
static void on_start_tag(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (t->attrs_skipped && (t->skipped_initials & rw->strip_initials) != 0 && may_hold_stripped(rw, t)) {
        if (rw->reparser == NULL) {
            omote_html_options_t tok_opts = {0};
            tok_opts.max_carry_bytes = rw->opts.max_carry_bytes;
            tok_opts.max_attrs = MAX_ATTRS;
            rw->reparser = omote_html_tokenizer_create(&tok_opts);
        }
        rw->reparsed = 0;
        omote_html_tokenizer_feed(rw->reparser, t->raw, t->raw_len, 1, on_reparsed, rw);
        omote_html_tokenizer_set_state(rw->reparser, OMOTE_HTML_STATE_DATA, NULL);
        if (rw->reparsed)
            return;
    }
    decide_start_tag(rw, t);
}

static void on_passing_token(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    switch (t->kind) {
    case OMOTE_HTML_START_TAG:
        on_start_tag(rw, t);
        break;
    case OMOTE_HTML_END_TAG:
        if (rw->noscript_open && NAME_IS(t, "noscript")) {
            if (rw->in_noscript) {
                end_noscript(rw, t);
            } else {
                rw->noscript_open = 0; /* its hold was written early: the end tag streams */
                emit_token(rw, t);
            }
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
}

static void on_one_token(omote_html_rewriter_t *rw, const omote_html_token_t *t)
{
    if (t->kind == OMOTE_HTML_OVERSIZED) {
        if (t->is_last_part)
            ++rw->stats.oversized_tags;
        drop(rw, t->raw_len);
        return;
    }
    if (rw->removing) {
        while_removing(rw, t);
    } else if (rw->inspecting) {
        while_inspecting(rw, t); /* a kept element is written into the noscript hold when it settles */
    } else {
        on_passing_token(rw, t);
    }
    /* checked after every token that may grow the hold, a settled inspection included: a truncated
     * one settles mid-text, where the chunking put it, so a check deferred to the next passing
     * token would land before or after the next tag depending on the chunks */
    if (rw->in_noscript && rw->noscript_raw.len > rw->opts.max_inspect_bytes) {
        /* too long to hold: write it as rewritten so far and stream the rest */
        rw->noscript_kept_content = 1;
        end_noscript(rw, NULL);
    }
}

/* The tokenizer merges text into the token after it (merge_text): passing text joins the run at
 * once; anywhere else it goes through as the CHARACTERS token it stands for. */
static int on_token(void *_rw, const omote_html_token_t *t)
{
    omote_html_rewriter_t *rw = _rw;

    if (t->text_before.len != 0) {
        if (!rw->removing && !rw->inspecting && !rw->in_noscript) {
            emit(rw, t->text_before.base, t->text_before.len, 1);
        } else {
            omote_html_token_t text = {.kind = OMOTE_HTML_CHARACTERS, .raw = t->text_before.base, .raw_len = t->text_before.len};
            text.data = t->text_before;
            on_one_token(rw, &text);
        }
    }
    on_one_token(rw, t);
    /* end tags matter only to end a removal, an inspection or a <noscript>; elsewhere they pass as
     * text would. Unlike text, they are found before the next token comes, so say it now. */
    int merge = !rw->removing && !rw->inspecting && !rw->noscript_open;
    if (merge != rw->merging_end_tags) {
        rw->merging_end_tags = merge;
        omote_html_tokenizer_set_merge_end_tags(rw->tok, merge);
    }
    return 0;
}

/* The tokenizer's pre-filter: attributes matter only to a decision still to be made. Removed and
 * inspected content is never decided on or stripped. A tag the decider keeps unread passes as
 * text while nothing here needs to see it: not inside a removal, an inspection or a <noscript>
 * (which all count what they hold), not while a snippet waits for its place, and not a
 * <noscript> itself. */
static int wants_attributes(void *_rw, const char *name, size_t len)
{
    omote_html_rewriter_t *rw = _rw;
    if (rw->removing || rw->inspecting)
        return OMOTE_HTML_ATTRS_SKIP;
    int wants = rw->cb.wants_attributes(rw->ctx, name, len);
    if (wants == OMOTE_HTML_ATTRS_AS_TEXT && (rw->noscript_open || snippet_pending(rw) || (len == 8 && memcmp(name, "noscript", 8) == 0)))
        return OMOTE_HTML_ATTRS_SKIP;
    return wants;
}

/* Where nothing here needs to see a tag that the decider would keep. */
static int passes_unseen(const omote_html_rewriter_t *rw)
{
    return !rw->removing && !rw->inspecting && !rw->noscript_open && !snippet_pending(rw);
}

/* The tokenizer's question for a tag whose attributes the decider reads: it may pass as text on
 * the decider's word, where nothing here needs to see it (as in wants_attributes). */
static int known_as_text(void *_rw, const char *raw, size_t len)
{
    omote_html_rewriter_t *rw = _rw;
    return passes_unseen(rw) && rw->cb.known_kept(rw->ctx, raw, len);
}

/* Runs of the page that passed as text whole (the tokenizer's known_run): they pass again only
 * where known tags do, and the decider keeps the cache. */
static size_t known_run(void *_rw, const char *bytes, size_t avail)
{
    omote_html_rewriter_t *rw = _rw;
    return passes_unseen(rw) ? rw->cb.known_run(rw->ctx, bytes, avail) : 0;
}

static void passed_run(void *_rw, const char *bytes, size_t len)
{
    omote_html_rewriter_t *rw = _rw;
    if (passes_unseen(rw))
        rw->cb.passed_run(rw->ctx, bytes, len);
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
    if (rw->opts.num_strip_attributes != 0) {
        if ((rw->strip_name_lens = calloc(rw->opts.num_strip_attributes, sizeof(size_t))) == NULL)
            abort();
        for (size_t i = 0; i != rw->opts.num_strip_attributes; ++i) {
            rw->strip_name_lens[i] = strlen(rw->opts.strip_attributes[i]);
            rw->strip_initials |= rw->strip_name_lens[i] != 0 ? 1u << (rw->opts.strip_attributes[i][0] & 31) : ~0u;
            rw->strip_seconds |= rw->strip_name_lens[i] >= 2 ? 1u << (rw->opts.strip_attributes[i][1] & 31) : ~0u;
        }
    }
    omote_html_options_t tok_opts = {0};
    tok_opts.max_carry_bytes = rw->opts.max_carry_bytes;
    tok_opts.max_attrs = MAX_ATTRS;
    if (rw->cb.wants_attributes != NULL)
        tok_opts.wants_attributes = wants_attributes;
    if (rw->cb.wants_attributes != NULL && rw->cb.known_kept != NULL)
        tok_opts.known_as_text = known_as_text;
    if (rw->cb.wants_attributes != NULL && rw->cb.passed_run != NULL) {
        tok_opts.passed_run = passed_run;
        if (rw->cb.known_run != NULL)
            tok_opts.known_run = known_run;
    }
    tok_opts.as_text_unless_initials = rw->strip_initials; /* a tag that may hold one to strip must be read */
    tok_opts.as_text_unless_seconds = rw->strip_seconds;
    tok_opts.merge_text = 1;
    rw->tok = omote_html_tokenizer_create(&tok_opts);
    rw->merging_end_tags = 1;
    omote_html_tokenizer_set_merge_end_tags(rw->tok, 1);
    return rw;
}

void omote_html_rewriter_free(omote_html_rewriter_t *rw)
{
    if (rw == NULL)
        return;
    omote_html_tokenizer_free(rw->tok);
    omote_html_tokenizer_free(rw->reparser);
    free(rw->inspect_raw.bytes);
    free(rw->inspect_text.bytes);
    free(rw->noscript_raw.bytes);
    free(rw->strip_name_lens);
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
            settle_inspection(rw, 1, 0);
        if (rw->in_noscript) {
            rw->noscript_kept_content = 1;
            end_noscript(rw, NULL);
        }
        /* a document with no body content still gets the body snippet, at its end */
        if (rw->opts.body_snippet != NULL && !rw->body_snippet_settled) {
            rw->body_snippet_settled = 1;
            flush_run(rw);
            insert_body_snippet(rw);
        }
    }
    if (rw->inspecting)
        release_hold(rw); /* the chunk goes away */
    flush_run(rw);
    rw->chunk = NULL;
    rw->chunk_len = 0;
}

const omote_html_rewriter_stats_t *omote_html_rewriter_stats(const omote_html_rewriter_t *rw)
{
    return &rw->stats;
}
