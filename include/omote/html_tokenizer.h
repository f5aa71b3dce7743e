/*
 * A streaming HTML tokenizer following the WHATWG tokenization states (HTML Living Standard
 * §13.2.5), for a rewriter that builds no tree. Pure: no h2o, no allocation per byte.
 *
 * Input arrives in chunks of any size. Every token carries the exact input bytes it was made
 * of (`raw`), so a rewriter can pass bytes through unchanged and cut whole tokens. Character
 * data is delivered as it arrives and may be split anywhere; a tag, comment or DOCTYPE that
 * spans chunks is held back in a carry buffer (bounded by `max_carry_bytes`) and delivered
 * whole, with `raw` pointing into that buffer.
 *
 * With no tree builder, the tokenizer itself switches to RCDATA (title, textarea), RAWTEXT
 * (style, xmp, iframe, noembed, noframes), script data (script) and PLAINTEXT (plaintext) after
 * the matching start tag, as the tree builder would for HTML content.
 */
#ifndef OMOTE_HTML_TOKENIZER_H
#define OMOTE_HTML_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef enum en_omote_html_token_kind_t {
    OMOTE_HTML_CHARACTERS = 0, /* text; `data` == `raw`, or with decode_text the spec's characters: references
                                  decoded, CR and CRLF made LF, NUL made U+FFFD outside the data state */
    OMOTE_HTML_START_TAG,
    OMOTE_HTML_END_TAG,
    OMOTE_HTML_COMMENT, /* also bogus comments and CDATA sections outside foreign content */
    OMOTE_HTML_DOCTYPE,
    OMOTE_HTML_OVERSIZED, /* one part of a construct longer than max_carry_bytes; see `is_last_part` */
    OMOTE_HTML_DROPPED,   /* bytes the spec consumes without a token: "</>", a tag cut off by the end of input,
                             the "]]>" closing a CDATA section; delivered only so that `raw` covers the input */
} omote_html_token_kind_t;

typedef enum en_omote_html_state_t {
    OMOTE_HTML_STATE_DATA = 0,
    OMOTE_HTML_STATE_RCDATA,
    OMOTE_HTML_STATE_RAWTEXT,
    OMOTE_HTML_STATE_SCRIPT_DATA,
    OMOTE_HTML_STATE_PLAINTEXT,
    OMOTE_HTML_STATE_CDATA_SECTION,
} omote_html_state_t;

typedef struct st_omote_html_str_t {
    const char *base;
    size_t len;
} omote_html_str_t;

/**
 * One attribute. `name` and `value` point into the token's `raw` when the spec leaves them as
 * written (the common case) and into the tokenizer's scratch space otherwise; either way they are
 * valid only during the callback, like `raw`.
 */
typedef struct st_omote_html_attr_t {
    omote_html_str_t name;  /* ASCII-lowercased */
    omote_html_str_t value; /* character references decoded */
    int is_duplicate;       /* a repeated name: the tokenizer keeps it for raw fidelity, a tree would drop it */
    omote_html_str_t raw;   /* its bytes in the token's `raw`: the name's first byte to the value's last, quote
                               included ("ping", "ping=x", "ping = 'x'"); white space before it is not included */
} omote_html_attr_t;

/**
 * One token. A construct (tag, comment, DOCTYPE, or with decode_text a character reference) whose
 * bytes would exceed max_carry_bytes is not delivered as itself: its bytes arrive as a run of
 * OMOTE_HTML_OVERSIZED tokens, the last one with `is_last_part` set, and the tokenizer goes on
 * from where the construct ends as if it had been delivered (so an oversized `<script ...>` still
 * switches to script data). A rewriter that fails closed drops the whole run.
 */
typedef struct st_omote_html_token_t {
    omote_html_token_kind_t kind;
    const char *raw; /* the exact input bytes of this token; valid only during the callback */
    size_t raw_len;
    omote_html_str_t name; /* tag name (lowercased) or DOCTYPE name (lowercased); NULL base when missing */
    omote_html_attr_t *attrs;
    size_t num_attrs;
    int self_closing;
    omote_html_str_t data;                 /* characters or comment text */
    omote_html_str_t public_id, system_id; /* DOCTYPE; NULL base when missing */
    int force_quirks;                      /* DOCTYPE */
    int is_last_part;                      /* OVERSIZED: this part ends the construct */
    int attrs_skipped;                     /* tags: attributes not parsed (wants_attributes said no); `attrs` empty */
    uint32_t skipped_initials;             /* with attrs_skipped: bit (c & 31) set for the first byte c of every
                                              attribute name skipped, so a consumer can tell at once that no
                                              attribute it looks for is there (set bits may be false alarms) */
    omote_html_str_t text_before;          /* with merge_text: character data right before `raw` in the same chunk
                                              (its bytes end where `raw` starts), delivered with this token instead
                                              of as a token of its own; else empty */
} omote_html_token_t;

/** Returns 0 to go on, non-zero to stop feeding (omote_html_tokenizer_feed then returns -1 and the
 *  tokenizer must not be fed again). */
typedef int (*omote_html_token_cb)(void *ctx, const omote_html_token_t *token);

/** What a wants_attributes pre-filter answers. */
enum {
    OMOTE_HTML_ATTRS_SKIP = 0,    /* the tag's attributes are not needed: only its end is found */
    OMOTE_HTML_ATTRS_READ = 1,    /* the tag is parsed whole (any answer but these two means this too) */
    OMOTE_HTML_ATTRS_AS_TEXT = 2, /* nothing reads this tag: it may pass as text (as_text_unless_initials) */
};

/* The shortest run passed_run is told of: a shorter one saves less than it costs to keep. */
#define OMOTE_HTML_MIN_RUN 512

typedef struct st_omote_html_options_t {
    size_t max_carry_bytes; /* bound on a held-back token (default 64 KiB when 0) */
    size_t max_attrs;       /* attributes reported per tag; more are kept in `raw` only (default 64 when 0) */
    int decode_text;        /* decode character references in character data (conformance tests); the rewriter leaves it off */
    /**
     * Optional: asked once per start tag that has anything after its name, with the name
     * (lowercased, valid during the call) and the `ctx` given to feed, whether the consumer needs
     * its attributes. When it returns 0, the tag is only scanned to its exact end as the spec's
     * attribute states find it ('>' outside a quoted value; a quote opens a value only after '='
     * and optional white space) and is delivered with no attributes and `attrs_skipped` set;
     * `self_closing`, `raw` and the state switch after it are as always. When set, end tags'
     * attributes (which no tree keeps) are always skipped. NULL: every tag is parsed whole.
     */
    int (*wants_attributes)(void *ctx, const char *name, size_t len);
    /**
     * With wants_attributes and merge_text, and without decode_text: a start tag for which
     * wants_attributes returned OMOTE_HTML_ATTRS_AS_TEXT (its attributes skipped as for 0) is not
     * delivered but joins the pending text, as merged end tags do, when it ends whole in the chunk
     * where it began, switches the tokenizer to no other text state, and none of its skipped
     * attribute names starts with a byte whose bit (c & 31) is set here. Otherwise it comes as
     * a token with `attrs_skipped`, as for 0. A tag with nothing after its name is asked too.
     */
    uint32_t as_text_unless_initials;
    /** With as_text_unless_initials: the bits (c & 31) of those names' second bytes (of the byte
     *  that ends a one-byte name), which a skipped name must also match; 0: any. */
    uint32_t as_text_unless_seconds;
    /**
     * Optional, with the conditions of as_text_unless_initials: asked with the whole bytes of a
     * start tag for which wants_attributes returned OMOTE_HTML_ATTRS_READ, before its attributes
     * are read, when the tag lies whole in the chunk where it began and switches to no other text
     * state. Non-zero: the consumer already knows what it would decide on these exact bytes, and
     * the tag passes as text as for OMOTE_HTML_ATTRS_AS_TEXT (unless a skipped attribute name
     * starts with a byte in as_text_unless_initials); 0: its attributes are read as usual.
     */
    int (*known_as_text)(void *ctx, const char *raw, size_t len);
    /**
     * Optional (passed_run alone, or both), with wants_attributes, merge_text and merge_end_tags,
     * and without decode_text: runs of the data state whose every byte joined the pending text
     * (text, merged end tags, start tags that passed as text). Runs start at a boundary (a '<'
     * chosen by the 16 bytes before it and the 7 after, about one in 32) or where the data state
     * resumes after a construct that began in the chunk, and end at the next boundary or
     * construct. passed_run is told of those of OMOTE_HTML_MIN_RUN bytes or more that every
     * chunking of the page would give alike: not one that the chunk's end stops, nor one that a
     * tag cut by the chunk's end may stop. At each point where a run may start, known_run is
     * asked with the bytes from there to the chunk's end. Non-zero: that many bytes, read from
     * the data state with the consumer's answers as they are now, would pass as text whole (its
     * own cache of passed runs), and they join the pending text without being read.
     */
    size_t (*known_run)(void *ctx, const char *bytes, size_t avail);
    void (*passed_run)(void *ctx, const char *bytes, size_t len);
    /**
     * Text that a construct's token follows in the same chunk comes with that token as
     * `text_before` instead of as a CHARACTERS token of its own: one callback fewer per text
     * run. Text at the end of a chunk, and text held in the carry that turned out to be text,
     * still come as CHARACTERS tokens, as does all text with decode_text (which ignores this).
     */
    int merge_text;
} omote_html_options_t;

typedef struct st_omote_html_tokenizer_t omote_html_tokenizer_t;

/** Creates a tokenizer in the data state. Free with omote_html_tokenizer_free. */
omote_html_tokenizer_t *omote_html_tokenizer_create(const omote_html_options_t *options);

/** Frees a tokenizer and its carry buffer. */
void omote_html_tokenizer_free(omote_html_tokenizer_t *tok);

/** Sets the state and the "appropriate end tag" name (html5lib's initialStates / lastStartTag). */
void omote_html_tokenizer_set_state(omote_html_tokenizer_t *tok, omote_html_state_t state, const char *last_start_tag);

/**
 * Tokenizes `len` bytes. With `is_final`, the input ends here: everything held back is flushed
 * as the spec's EOF rules say. Calls `cb` for each token in order. Returns 0, or -1 if `cb`
 * asked to stop.
 */
int omote_html_tokenizer_feed(omote_html_tokenizer_t *tok, const char *chunk, size_t len, int is_final, omote_html_token_cb cb,
                              void *ctx);

/**
 * With `on`, end tags are not delivered as tokens: their bytes count as text, joining the text
 * around them (CHARACTERS tokens and `text_before`), for a consumer that passes them on unread.
 * An end tag that spans chunks, or is longer than max_carry_bytes, still comes as its token(s).
 * May be called from the callback: it applies to the end tags completed from then on. Off at
 * creation; ignored with decode_text.
 */
void omote_html_tokenizer_set_merge_end_tags(omote_html_tokenizer_t *tok, int on);

/**
 * Bytes currently held back (for metrics and the rewriter's bound checks). At most
 * max_carry_bytes, except for what may still turn out to be text, which is always carried whole
 * so that text stays text however the input is chunked: "</" plus at most the appropriate end
 * tag's name (66 bytes), and with decode_text a character reference in text (a numeric one's
 * digit run has no bound; decode_text is for conformance tests).
 */
size_t omote_html_tokenizer_carried(const omote_html_tokenizer_t *tok);

#endif
