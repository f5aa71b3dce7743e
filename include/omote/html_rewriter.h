/*
 * Streaming HTML rewriter: cuts whole elements (start tag, content, end tag) out of a document as
 * it streams, strips single attributes (`<a ping>`) from the start tags it keeps, and can insert a
 * snippet at the start of <head> and another at the start of <body>. Every other byte is passed on unchanged, so output = input
 * minus removed ranges plus insertions. A stripped attribute's range is the attribute (name to
 * value end) and the white space before it.
 *
 * What to remove is not decided here: the caller's decider sees each start tag (and, for the
 * elements it asks to inspect, their text), so the same rewriter serves tracker rules, tests
 * and benchmarks. Pure: no h2o, no rules.
 */
#ifndef OMOTE_HTML_REWRITER_H
#define OMOTE_HTML_REWRITER_H

#include "omote/html_tokenizer.h"
#include <stddef.h>

typedef enum en_omote_rewrite_verdict_t {
    OMOTE_REWRITE_KEEP = 0, /* pass the element on */
    OMOTE_REWRITE_REMOVE,   /* cut the element: the tag, and for non-void elements its content and end tag */
    OMOTE_REWRITE_INSPECT,  /* hold the element until its end tag, then ask decide_text (inline scripts) */
} omote_rewrite_verdict_t;

/*
 * Stripping attributes: the options name the attributes (lowercase, e.g. {"ping"}); for each of
 * them on a start tag the rewriter keeps or inspects, it calls decide_attribute, or strips it
 * outright when that callback is NULL. Every occurrence counts, duplicates included (a tree
 * would drop a repeated `ping`, but its bytes are still in the tag). Only the first 64 attributes
 * of a tag are reported by the tokenizer and so can be stripped.
 */

typedef struct st_omote_html_rewriter_callbacks_t {
    /** Called for every start tag outside removed elements. */
    omote_rewrite_verdict_t (*decide_tag)(void *ctx, const omote_html_token_t *tag);
    /**
     * Called for an element decide_tag asked to inspect, with its text content (possibly only the
     * first max_inspect_bytes of it, then `is_truncated` is set). Returns KEEP or REMOVE.
     */
    omote_rewrite_verdict_t (*decide_text)(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated);
    /**
     * Receives the output, in order. `bytes` is valid only during the call unless `is_input` is
     * set, in which case it points into the chunk given to omote_html_rewriter_feed. Input that
     * passes unchanged comes in runs as long as possible (often the whole chunk, in one call made
     * before feed returns), never copied.
     */
    void (*write)(void *ctx, const char *bytes, size_t len, int is_input);
    /**
     * Optional: called for each attribute of a kept start tag whose name is in strip_attributes,
     * with its index in tag->attrs. Returns REMOVE to strip it, KEEP to leave it. NULL: strip.
     */
    omote_rewrite_verdict_t (*decide_attribute)(void *ctx, const omote_html_token_t *tag, size_t index);
    /**
     * Optional pre-filter, asked with a start tag's name (lowercase, valid during the call) before
     * its attributes are read: 0 says decide_tag never needs them for this name, so the tokenizer
     * only finds the tag's end. decide_tag is still called for every start tag, but for such a
     * name possibly with `attrs_skipped` set and no attributes. Attributes in strip_attributes are
     * stripped as always (a tag that may hold one is read whole). NULL: every tag is read whole.
     * OMOTE_HTML_ATTRS_AS_TEXT says more: decide_tag keeps such a tag whatever its attributes, so
     * where nothing else needs it (see rewriter.c) it passes unchanged without a decide_tag call.
     */
    int (*wants_attributes)(void *ctx, const char *name, size_t len);
    /**
     * Optional, with wants_attributes: asked with the whole bytes of a start tag whose attributes
     * it wants read, before they are read. Non-zero says decide_tag already kept these exact bytes
     * and would again (a cache of its own), so where nothing else needs the tag it passes
     * unchanged without a decide_tag call, as OMOTE_HTML_ATTRS_AS_TEXT would make it.
     */
    int (*known_kept)(void *ctx, const char *raw, size_t len);
    /**
     * Optional, with wants_attributes (passed_run alone, or both): passed_run is told of runs of
     * the page that passed unchanged with no callback needed (text, end tags, start tags passed
     * as text), where nothing else needs them; known_run is asked, at the points where such a run
     * may start, whether the bytes from there (`avail` of them) begin with one that decide_tag
     * and known_kept would pass whole again on this page (a cache of its own). It returns the
     * run's length, and those bytes pass unchanged without being read; 0: they are read.
     */
    size_t (*known_run)(void *ctx, const char *bytes, size_t avail);
    void (*passed_run)(void *ctx, const char *bytes, size_t len);
} omote_html_rewriter_callbacks_t;

typedef struct st_omote_html_rewriter_options_t {
    size_t max_carry_bytes;   /* the tokenizer's bound on one tag (default 64 KiB) */
    size_t max_inspect_bytes; /* text held to inspect one element (default 64 KiB); past it, the decision is made on the prefix */
    const char *head_snippet; /* inserted right after the <head> start tag (or before the first body content); NULL: none */
    size_t head_snippet_len;
    /* inserted right after the <body> start tag, or before the first element that starts the body
     * without one, or at the end of a document that has no body content; never in a frameset
     * document. NULL: none */
    const char *body_snippet;
    size_t body_snippet_len;
    const char *const *strip_attributes; /* attribute names (lowercase) to strip from kept start tags; borrowed for
                                            the rewriter's lifetime. NULL: none */
    size_t num_strip_attributes;
} omote_html_rewriter_options_t;

typedef struct st_omote_html_rewriter_stats_t {
    size_t elements_removed;
    size_t noscript_removed; /* <noscript> blocks removed because nothing but removed elements was in them */
    size_t bytes_removed;
    size_t oversized_tags; /* tags longer than max_carry_bytes: removed (fail closed) */
    size_t inspected;
    size_t inspected_truncated;
    int snippet_inserted;
    int body_snippet_inserted;
    size_t attributes_stripped; /* attributes stripped from start tags that were written */
} omote_html_rewriter_stats_t;

typedef struct st_omote_html_rewriter_t omote_html_rewriter_t;

/** Creates a rewriter; `callbacks` and `ctx` are kept (borrowed) for its lifetime. */
omote_html_rewriter_t *omote_html_rewriter_create(const omote_html_rewriter_options_t *options,
                                                  const omote_html_rewriter_callbacks_t *callbacks, void *ctx);

/** Frees a rewriter. */
void omote_html_rewriter_free(omote_html_rewriter_t *rw);

/** Rewrites one chunk; with `is_final`, the document ends here and everything held is settled and written. */
void omote_html_rewriter_feed(omote_html_rewriter_t *rw, const char *chunk, size_t len, int is_final);

/** What was removed so far. */
const omote_html_rewriter_stats_t *omote_html_rewriter_stats(const omote_html_rewriter_t *rw);

/** Whether `name` (lowercase) is a void element: its start tag is the whole element. */
int omote_html_is_void_element(const char *name, size_t len);

#endif
