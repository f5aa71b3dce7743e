/*
 * Fuzz target: the streaming tokenizer and rewriter together. The first four bytes steer the run (a
 * split point, a chunk size, head and body snippets on or off); the rest is the document. A decider cuts
 * elements by a hash of their tag name and inline text by a hash of that text. Invariants: one
 * chunk, two chunks and small chunks give identical output and stats, and so does the lean path
 * (attributes skipped for some tag names, which a name-only decider cannot notice, and tags it
 * keeps passing as text, by name or by their bytes, or in runs of bytes that passed before);
 * without a snippet the output is a subsequence of the input (the rewriter emits no byte it did
 * not receive).
 */
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "omote/html_rewriter.h"

#define SNIPPET "<script src=\"/omote.js\"></script>"
#define BODY_SNIPPET "<div id=\"omote-consent\"></div>"

struct st_out_t {
    char *bytes;
    size_t len, cap;
};

static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i != len; ++i)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static omote_rewrite_verdict_t decide_tag(void *ctx, const omote_html_token_t *tag)
{
    must(tag->kind == OMOTE_HTML_START_TAG);
    switch (hash(tag->name.base, tag->name.len) % 5) {
    case 0:
        return OMOTE_REWRITE_REMOVE;
    case 1:
        return OMOTE_REWRITE_INSPECT;
    default:
        return OMOTE_REWRITE_KEEP;
    }
}

static omote_rewrite_verdict_t decide_text(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated)
{
    return (hash(text, len) ^ (uint32_t)is_truncated) % 2 == 0 ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
}

static void write_out(void *ctx, const char *bytes, size_t len, int is_input)
{
    struct st_out_t *out = ctx;
    if (out->len + len > out->cap) {
        out->cap = (out->len + len) * 2 + 64;
        out->bytes = realloc(out->bytes, out->cap);
        must(out->bytes != NULL);
    }
    if (len != 0)
        memcpy(out->bytes + out->len, bytes, len);
    out->len += len;
}

/* The lean path: attributes skipped for some names; decide_tag looks at names only, so nothing may
 * change. A skipped name it keeps may pass as text. */
static int wants_attributes(void *ctx, const char *name, size_t len)
{
    uint32_t h = hash(name, len);
    if (h % 3 != 0)
        return OMOTE_HTML_ATTRS_READ;
    return h % 5 >= 2 ? OMOTE_HTML_ATTRS_AS_TEXT : OMOTE_HTML_ATTRS_SKIP;
}

/* The lean path's known_kept: whether decide_tag keeps a tag with these bytes, for half of the tags
 * (by a hash of the bytes), from its name as the tokenizer reads it: lowercased ASCII up to white
 * space, '/' or '>'; a name with NUL or bytes above ASCII is never known. */
static int known_kept(void *ctx, const char *raw, size_t len)
{
    char name[64];
    size_t n = 0;
    if (hash(raw, len) % 2 != 0)
        return 0;
    for (size_t i = 1; i < len; ++i) {
        unsigned char c = (unsigned char)raw[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '/' || c == '>')
            break;
        if (c == 0 || c >= 0x80 || n == sizeof(name))
            return 0;
        name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 0x20 : c);
    }
    return hash(name, n) % 5 >= 2; /* what decide_tag answers KEEP to */
}

/* The lean path's runs passed whole (known_run, passed_run), remembered for one input: a run
 * told of in one rewrite may be known in the next, where its bytes must pass as they did. */
#define MAX_RUNS 64
static struct {
    char *bytes[MAX_RUNS];
    size_t len[MAX_RUNS], count;
} runs;

static size_t known_run(void *ctx, const char *bytes, size_t avail)
{
    for (size_t i = 0; i != runs.count; ++i)
        if (runs.len[i] <= avail && memcmp(runs.bytes[i], bytes, runs.len[i]) == 0)
            return runs.len[i];
    return 0;
}

static void passed_run(void *ctx, const char *bytes, size_t len)
{
    must(len >= OMOTE_HTML_MIN_RUN);
    if (runs.count == MAX_RUNS)
        return;
    runs.bytes[runs.count] = malloc(len);
    memcpy(runs.bytes[runs.count], bytes, len);
    runs.len[runs.count++] = len;
}

static void forget_runs(void)
{
    for (size_t i = 0; i != runs.count; ++i)
        free(runs.bytes[i]);
    runs.count = 0;
}

/* Rewrites `doc` in chunks of `chunk` bytes (the first one `first` bytes long); returns the output. is_lean:
 * 0 the full callbacks, 1 the lean ones, 2 the lean ones with runs, 3 the lean ones that keep runs and ask for none. */
static struct st_out_t run(const char *doc, size_t len, size_t first, size_t chunk, int with_snippet, omote_html_rewriter_stats_t *stats,
                           int is_lean)
{
    static const omote_html_rewriter_callbacks_t full = {.decide_tag = decide_tag, .decide_text = decide_text, .write = write_out};
    static const omote_html_rewriter_callbacks_t lean = {
        .decide_tag = decide_tag, .decide_text = decide_text, .write = write_out, .wants_attributes = wants_attributes,
        .known_kept = known_kept};
    static const omote_html_rewriter_callbacks_t lean_runs = {
        .decide_tag = decide_tag, .decide_text = decide_text, .write = write_out, .wants_attributes = wants_attributes,
        .known_kept = known_kept, .known_run = known_run, .passed_run = passed_run};
    static const omote_html_rewriter_callbacks_t lean_keep_runs = {
        .decide_tag = decide_tag, .decide_text = decide_text, .write = write_out, .wants_attributes = wants_attributes,
        .known_kept = known_kept, .passed_run = passed_run};
    const omote_html_rewriter_callbacks_t *by_mode[] = {&full, &lean, &lean_runs, &lean_keep_runs}, *cb = by_mode[is_lean];
    /* small bounds so that short inputs reach the oversized-tag and truncated-inspection paths */
    omote_html_rewriter_options_t opt = {.max_carry_bytes = 96, .max_inspect_bytes = 64};
    if (with_snippet & 1) {
        opt.head_snippet = SNIPPET;
        opt.head_snippet_len = sizeof(SNIPPET) - 1;
    }
    if (with_snippet & 2) {
        opt.body_snippet = BODY_SNIPPET;
        opt.body_snippet_len = sizeof(BODY_SNIPPET) - 1;
    }
    struct st_out_t out = {NULL, 0, 0};
    omote_html_rewriter_t *rw = omote_html_rewriter_create(&opt, cb, &out);
    size_t pos = 0, n = first < len ? first : len;
    for (;;) {
        /* copy each chunk, so that a pointer kept into an earlier chunk shows up under ASan */
        char *copy = malloc(n + 1);
        memcpy(copy, doc + pos, n);
        pos += n;
        omote_html_rewriter_feed(rw, copy, n, pos == len);
        free(copy);
        if (pos == len)
            break;
        n = len - pos < chunk ? len - pos : chunk;
    }
    *stats = *omote_html_rewriter_stats(rw);
    omote_html_rewriter_free(rw);
    return out;
}

static int is_subsequence(const char *small, size_t slen, const char *big, size_t blen)
{
    size_t i = 0;
    for (size_t j = 0; i < slen && j < blen; ++j)
        if (small[i] == big[j])
            ++i;
    return i == slen;
}

static void same(const struct st_out_t *a, const omote_html_rewriter_stats_t *sa, const struct st_out_t *b,
                 const omote_html_rewriter_stats_t *sb)
{
    must(a->len == b->len);
    must(a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
    must(sa->elements_removed == sb->elements_removed && sa->noscript_removed == sb->noscript_removed);
    must(sa->bytes_removed == sb->bytes_removed && sa->oversized_tags == sb->oversized_tags);
    must(sa->inspected == sb->inspected && sa->inspected_truncated == sb->inspected_truncated);
    must(sa->snippet_inserted == sb->snippet_inserted);
    must(sa->body_snippet_inserted == sb->body_snippet_inserted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const char *doc = (const char *)data + 4;
    size_t len = size - 4;
    size_t split = ((size_t)data[0] | (size_t)data[1] << 8) % (len + 1);
    size_t chunk = data[2] % 17 + 1;
    int with_snippet = data[3] & 3; /* bit 0: head snippet, bit 1: body snippet */

    omote_html_rewriter_stats_t s_whole, s_split, s_small;
    omote_html_rewriter_stats_t s_lean;
    struct st_out_t whole = run(doc, len, len, len + 1, with_snippet, &s_whole, 0);
    struct st_out_t halves = run(doc, len, split, len + 1, with_snippet, &s_split, 0);
    struct st_out_t small = run(doc, len, chunk, chunk, with_snippet, &s_small, 0);
    struct st_out_t lean = run(doc, len, chunk, chunk, with_snippet, &s_lean, 1);
    same(&whole, &s_whole, &halves, &s_split);
    same(&whole, &s_whole, &small, &s_small);
    same(&whole, &s_whole, &lean, &s_lean);
    /* runs: told of whole (passed_run alone) and without the snippets, as for a visitor who
     * decided (the banner not inserted), then known in halves (and told of again), then known whole */
    omote_html_rewriter_stats_t s_told;
    free(run(doc, len, len, len + 1, 0, &s_told, 3).bytes);
    for (int round = 1; round != 3; ++round) {
        struct st_out_t known = run(doc, len, round == 1 ? split : len, len + 1, with_snippet, &s_lean, 2);
        same(&whole, &s_whole, &known, &s_lean);
        free(known.bytes);
    }
    forget_runs();
    size_t inserted = (s_whole.snippet_inserted ? sizeof(SNIPPET) - 1 : 0) + (s_whole.body_snippet_inserted ? sizeof(BODY_SNIPPET) - 1 : 0);
    must(!s_whole.snippet_inserted || (with_snippet & 1));
    must(!s_whole.body_snippet_inserted || (with_snippet & 2));
    must(whole.len + s_whole.bytes_removed == len + inserted);
    if (!with_snippet)
        must(is_subsequence(whole.bytes, whole.len, doc, len));
    free(whole.bytes);
    free(halves.bytes);
    free(small.bytes);
    free(lean.bytes);
    return 0;
}
