/*
 * Streaming HTML tokenizer: the WHATWG tokenization states (HTML §13.2.5) run over UTF-8 bytes
 * fed in chunks of any size. It builds no tree; it switches to RCDATA, RAWTEXT, script data and
 * PLAINTEXT itself after the start tags that make a tree builder do so. Rewriting is rewriter.c's.
 *
 * Failure policy: input never makes the tokenizer fail; every input byte is delivered in exactly
 * one token's `raw`. Only the callback can stop it. Running out of memory aborts.
 */
#include "html/internal.h"
#include "omote/html_tokenizer.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * How bytes become tokens
 * -----------------------
 * Every byte consumed so far is either delivered already or pending. Pending bytes are, in input
 * order, a run of text [tstart, mstart) and then at most one "construct" starting at mstart: a
 * tag, comment or DOCTYPE, or something that may still turn out to be one ("<", "</ti" in RCDATA,
 * "]]" in a CDATA section, "&no" with decode_text). Text is delivered lazily: when a construct
 * becomes a token the text before it goes first; when a construct turns out to be text ("<3",
 * "</tix") it simply joins the pending text, so a script full of '<' costs no extra tokens.
 *
 * At the end of a chunk the pending text is delivered and the construct's bytes are copied into
 * the carry buffer (`in_carry`); the next chunk then continues the construct from its byte 0 and
 * the token's `raw` is the carry plus the new bytes. A tag, comment or DOCTYPE that would need
 * more than max_carry_bytes is delivered in OMOTE_HTML_OVERSIZED parts instead (`os_mode`): the
 * carry so far, then each chunk's share, then the last part when the construct ends. The state
 * machine keeps running through it, so the input after it is tokenized exactly as if the
 * construct had fitted, and the parts together still cover its bytes exactly. A construct longer
 * than the bound inside one chunk is delivered as a single last part. Constructs that may still
 * be text are short by construction and always carried whole (see may_be_text).
 *
 * The spec preprocesses the input (CR and CRLF become LF). We keep `raw` untouched and apply the
 * rule where characters are produced: a CR appends LF, and an LF whose previous input byte was a
 * CR is skipped by the tag, comment and DOCTYPE states.
 */

enum {
    /* text states: bytes here are text (the first five are scanned with memchr) */
    S_DATA,
    S_RCDATA,
    S_RAWTEXT,
    S_SCRIPT,
    S_PLAINTEXT,
    S_SCRIPT_ESC_START,
    S_SCRIPT_ESC_START_DASH,
    S_SCRIPT_ESC,
    S_SCRIPT_ESC_DASH,
    S_SCRIPT_ESC_DASH_DASH,
    S_SCRIPT_DESC_START,
    S_SCRIPT_DESC,
    S_SCRIPT_DESC_DASH,
    S_SCRIPT_DESC_DASH_DASH,
    S_SCRIPT_DESC_LT,
    S_SCRIPT_DESC_END,
    S_CDATA,
    /* constructs that may still be text */
    S_TAG_OPEN,
    S_END_TAG_OPEN,
    S_RCDATA_LT,
    S_RCDATA_END_OPEN,
    S_RCDATA_END_NAME,
    S_RAWTEXT_LT,
    S_RAWTEXT_END_OPEN,
    S_RAWTEXT_END_NAME,
    S_SCRIPT_LT,
    S_SCRIPT_END_OPEN,
    S_SCRIPT_END_NAME,
    S_SCRIPT_ESC_LT,
    S_SCRIPT_ESC_END_OPEN,
    S_SCRIPT_ESC_END_NAME,
    S_CDATA_BRACKET,
    S_CDATA_END,
    /* tags */
    S_TAG_NAME,
    S_BEFORE_ATTR_NAME,
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_ATTR_VALUE,
    S_ATTR_VALUE_DQ,
    S_ATTR_VALUE_SQ,
    S_ATTR_VALUE_UQ,
    S_AFTER_ATTR_VALUE_Q,
    S_SELF_CLOSING,
    /* comments */
    S_MARKUP_DECL,
    S_BOGUS_COMMENT,
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_LT,
    S_COMMENT_LT_BANG,
    S_COMMENT_LT_BANG_DASH,
    S_COMMENT_LT_BANG_DASH_DASH,
    S_COMMENT_END_DASH,
    S_COMMENT_END,
    S_COMMENT_END_BANG,
    /* DOCTYPE */
    S_DOCTYPE,
    S_BEFORE_DOCTYPE_NAME,
    S_DOCTYPE_NAME,
    S_AFTER_DOCTYPE_NAME,
    S_AFTER_DOCTYPE_PUBLIC_KW,
    S_BEFORE_DOCTYPE_PUBLIC_ID,
    S_DOCTYPE_PUBLIC_ID_DQ,
    S_DOCTYPE_PUBLIC_ID_SQ,
    S_AFTER_DOCTYPE_PUBLIC_ID,
    S_BETWEEN_DOCTYPE_IDS,
    S_AFTER_DOCTYPE_SYSTEM_KW,
    S_BEFORE_DOCTYPE_SYSTEM_ID,
    S_DOCTYPE_SYSTEM_ID_DQ,
    S_DOCTYPE_SYSTEM_ID_SQ,
    S_AFTER_DOCTYPE_SYSTEM_ID,
    S_BOGUS_DOCTYPE,
    /* character references (in text only with decode_text) */
    S_CHARREF,
    S_NAMED_REF,
    S_NUMERIC_REF,
    S_HEX_REF_START,
    S_DEC_REF_START,
    S_HEX_REF,
    S_DEC_REF,
};

/*
 * An attribute under construction. Its name and value stay where they are in the input
 * ("in raw": offsets relative to the construct's first byte, see rel()) unless the spec changes
 * them (an uppercase letter or NUL in the name; a reference, CR or NUL in the value): then they
 * are copied into sb from that byte on. Most attributes are never copied.
 */
struct st_attr_rec_t {
    size_t name_off, name_len, value_off, value_len;
    size_t raw_off, raw_end; /* construct-relative: the name's first byte to the value's last (quote included) */
    unsigned char name_in_raw, value_in_raw;
};

struct st_omote_html_tokenizer_t {
    omote_html_options_t opts;
    int state;
    int content;      /* the text state tags return to: S_DATA, S_RCDATA, S_RAWTEXT, S_SCRIPT, S_PLAINTEXT or S_CDATA */
    int return_state; /* of a character reference */
    /* the chunk being fed and the callback */
    const unsigned char *s;
    size_t len;
    omote_html_token_cb cb;
    void *ctx;
    int stopped;
    int merge_end_tags; /* see omote_html_tokenizer_set_merge_end_tags */
    int prev_cr;     /* the previous chunk ended with CR */
    int last_raw_cr; /* with decode_text: the last delivered byte was CR (its CRLF rule across tokens) */
    /* pending bytes; see the narrative above */
    size_t tstart, mstart;
    int in_construct, in_carry, os_mode;
    char *carry;
    size_t carry_len, carry_cap;
    /* the token under construction; its strings live in sb, each field contiguous */
    omote_html_token_kind_t kind;
    char *sb;
    size_t sb_len, sb_cap;
    int sb_full;
    size_t *flen; /* length of the field being appended to, NULL to discard */
    size_t name_off, name_len, data_off, data_len, pub_off, pub_len, sys_off, sys_len;
    int has_name, has_pub, has_sys, self_closing, force_quirks;
    int skip_attrs; /* this tag's attributes are scanned over, not recorded (wants_attributes) */
    int as_text;    /* and it may join the pending text (OMOTE_HTML_ATTRS_AS_TEXT) */
    int may_be_known; /* read, but known_as_text may be asked first (fast_tag) */
    int known_missed; /* start_tag_passes asked known_as_text for the tag the tag states take next: not again */
    int construct_carried; /* the last construct began in an earlier chunk: no run starts after it (st_text) */
    uint32_t skipped_initials; /* their names' first bytes, as omote_html_token_t has them */
    uint32_t skipped_seconds;  /* the second bytes of those among them in as_text_unless_initials */
    struct st_attr_rec_t *attrs;
    omote_html_attr_t *out_attrs;
    size_t num_attrs, attrs_cap;
    struct st_attr_rec_t *cur; /* the attribute being read, NULL past max_attrs */
    /* lookahead: markup declaration and PUBLIC/SYSTEM keywords, the "script" of double escapes */
    char tmp[8];
    size_t tmp_len;
    const char *kw;
    char last_start[64];
    size_t last_start_len;
    /* character reference */
    char ref[OMOTE_HTML_ENTITY_MAX_NAME + 8];
    size_t ref_len;
    uint32_t ref_code;
    char refout[OMOTE_HTML_ENTITY_MAX_NAME + 16];
    size_t refout_len;
    char *tbuf; /* decode_text's text data */
    size_t tbuf_cap;
};

#define IS_WS(c) ((c) == '\t' || (c) == '\n' || (c) == '\f' || (c) == ' ' || (c) == '\r')
#define IS_UPPER(c) ((c) >= 'A' && (c) <= 'Z')
#define IS_ALPHA(c) (IS_UPPER(c) || ((c) >= 'a' && (c) <= 'z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALNUM(c) (IS_ALPHA(c) || IS_DIGIT(c))
#define IS_HEX(c) (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define LOWER(c) (IS_UPPER(c) ? (c) + 0x20 : (c))

/* Byte classes, so that the states holding names, values and comments copy runs of ordinary
 * bytes at once and stop only where the spec has something to say. */
enum {
    K_WS = 1, /* including CR, which the input stream preprocessing makes LF */
    K_UPPER = 2,
    K_NUL = 4,
    K_SLASH = 8,
    K_GT = 16,
    K_EQ = 32,
    K_DQ = 64,
    K_SQ = 128,
    K_AMP = 256,
    K_CRLF = 512,
    K_LT = 1024,
    K_DASH = 2048,
};

#define K_UPPERS(x) [x] = K_UPPER
static const uint16_t kclass[256] = {
    [0] = K_NUL,   ['\t'] = K_WS, ['\n'] = K_WS | K_CRLF, ['\f'] = K_WS, ['\r'] = K_WS | K_CRLF, [' '] = K_WS,  ['/'] = K_SLASH,
    ['>'] = K_GT,  ['='] = K_EQ,  ['"'] = K_DQ,           ['\''] = K_SQ, ['&'] = K_AMP,          ['<'] = K_LT,  ['-'] = K_DASH,
    K_UPPERS('A'), K_UPPERS('B'), K_UPPERS('C'),          K_UPPERS('D'), K_UPPERS('E'),          K_UPPERS('F'), K_UPPERS('G'),
    K_UPPERS('H'), K_UPPERS('I'), K_UPPERS('J'),          K_UPPERS('K'), K_UPPERS('L'),          K_UPPERS('M'), K_UPPERS('N'),
    K_UPPERS('O'), K_UPPERS('P'), K_UPPERS('Q'),          K_UPPERS('R'), K_UPPERS('S'),          K_UPPERS('T'), K_UPPERS('U'),
    K_UPPERS('V'), K_UPPERS('W'), K_UPPERS('X'),          K_UPPERS('Y'), K_UPPERS('Z'),
};

#if defined(__SSE2__)
/* The bytes of `x` whose class is in `stop` (a constant: the tests not needed fold away), exactly
 * as kclass says. */
static inline __m128i classify16(__m128i x, unsigned stop)
{
    __m128i m = _mm_setzero_si128();
    if (stop & K_WS) {
        /* '\t', '\n', '\f', '\r' are 9 to 13 without 11; then ' ' */
        __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(9));
        m = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(11)), _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
    }
    if (stop & K_NUL)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_setzero_si128()));
    if (stop & K_UPPER)
        m = _mm_or_si128(m, _mm_cmpgt_epi8(_mm_set1_epi8(-128 + 26), _mm_add_epi8(x, _mm_set1_epi8((char)(-128 - 'A')))));
    if (stop & K_SLASH)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
    if (stop & K_GT)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('>')));
    if (stop & K_EQ)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('=')));
    if (stop & K_AMP)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('&')));
    if (stop & K_DQ)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
    if (stop & K_SQ)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
    if (stop & K_LT)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('<')));
    if (stop & K_DASH)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
    if ((stop & K_CRLF) && !(stop & K_WS))
        m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))));
    return m;
}
#endif

/*
 * The first byte of s[p, len) whose class is in `stop`, a constant; len if none. For the runs in
 * tags (names, unquoted values), which are short, and in comments: where SSE2 is there, 16 bytes
 * are classified at once and the run's end comes from one bit scan rather than from a byte loop's
 * exit, which mispredicts at nearly every run.
 */
static inline size_t scan_run(const unsigned char *s, size_t p, size_t len, unsigned stop)
{
#if defined(__SSE2__)
    for (; p + 16 <= len; p += 16) {
        unsigned mask = (unsigned)_mm_movemask_epi8(classify16(_mm_loadu_si128((const __m128i *)(s + p)), stop));
        if (mask != 0)
            return p + (size_t)__builtin_ctz(mask);
    }
#endif
    while (p < len && (kclass[s[p]] & stop) == 0)
        ++p;
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    if ((p = realloc(p, size)) == NULL) {
        fprintf(stderr, "omote/html: out of memory\n");
        abort();
    }
    return p;
}

/* ---- scratch buffer: names and values of the token under construction ---- */

static int sb_grow(omote_html_tokenizer_t *tok, size_t need)
{
    /* A token reported whole is at most max_carry_bytes of input, and decoding at most triples
     * it; beyond that the token will be OVERSIZED anyway, so stop storing. */
    size_t limit = tok->opts.max_carry_bytes * 4 + 256, cap = tok->sb_cap ? tok->sb_cap : 256;
    while (cap < tok->sb_len + need)
        cap *= 2;
    if (cap > limit) {
        tok->sb_full = 1;
        return 0;
    }
    tok->sb = xrealloc(tok->sb, cap);
    tok->sb_cap = cap;
    return 1;
}

static inline void put(omote_html_tokenizer_t *tok, unsigned char c)
{
    if (tok->flen == NULL || (tok->sb_len == tok->sb_cap && !sb_grow(tok, 1)))
        return;
    tok->sb[tok->sb_len++] = (char)c;
    ++*tok->flen;
}

static inline void put_bytes(omote_html_tokenizer_t *tok, const char *b, size_t n)
{
    if (n == 0 || tok->flen == NULL || (tok->sb_len + n > tok->sb_cap && !sb_grow(tok, n)))
        return;
    memcpy(tok->sb + tok->sb_len, b, n);
    tok->sb_len += n;
    *tok->flen += n;
}

/* Appends the run of bytes from `p` that have none of the classes in `stop`; returns its end. */
static inline size_t put_run(omote_html_tokenizer_t *tok, size_t p, unsigned stop)
{
    size_t q = scan_run(tok->s, p, tok->len, stop);
    put_bytes(tok, (const char *)tok->s + p, q - p);
    return q;
}

static inline int prev_is_cr(omote_html_tokenizer_t *tok, size_t p)
{
    return p > 0 ? tok->s[p - 1] == '\r' : tok->prev_cr;
}

/* Appends one byte of a value, comment or identifier with the spec's NUL and newline rules. */
static inline void put_char(omote_html_tokenizer_t *tok, size_t p, unsigned char c)
{
    if (c == '\r')
        put(tok, '\n');
    else if (c == '\n' && prev_is_cr(tok, p))
        return;
    else if (c == 0)
        put_bytes(tok, "\xEF\xBF\xBD", 3);
    else
        put(tok, c);
}

static void begin_token(omote_html_tokenizer_t *tok, omote_html_token_kind_t kind)
{
    tok->kind = kind;
    tok->sb_len = 0;
    tok->sb_full = 0;
    tok->name_off = tok->name_len = tok->data_off = tok->data_len = 0;
    tok->pub_off = tok->pub_len = tok->sys_off = tok->sys_len = 0;
    tok->has_name = tok->has_pub = tok->has_sys = tok->self_closing = tok->force_quirks = 0;
    tok->skip_attrs = tok->as_text = tok->may_be_known = 0;
    tok->skipped_initials = tok->skipped_seconds = 0;
    tok->num_attrs = 0;
    tok->flen = NULL;
    if (kind == OMOTE_HTML_START_TAG || kind == OMOTE_HTML_END_TAG) {
        tok->has_name = 1;
        tok->flen = &tok->name_len;
    } else if (kind == OMOTE_HTML_COMMENT) {
        tok->flen = &tok->data_len;
    }
}

/*
 * Construct-relative offsets: byte `p` of the chunk is byte rel(p) of the construct's raw. While
 * the construct is carried, the chunk continues it from byte 0 and the carry holds the bytes
 * before (mstart is 0); otherwise the carry is empty and the construct starts at mstart. Either
 * way the carry is extended by exactly the bytes of each chunk, so offsets taken in one chunk
 * still hold when the token is delivered from a later one. (In os_mode the bytes before this
 * chunk are gone; nothing built then is delivered.)
 */
static inline size_t rel(const omote_html_tokenizer_t *tok, size_t p)
{
    return tok->carry_len + p - tok->mstart;
}

/* Appends the construct's bytes [from, to) (construct-relative) to the field being built. */
static void put_raw(omote_html_tokenizer_t *tok, size_t from, size_t to)
{
    if (tok->os_mode)
        return;
    if (from < tok->carry_len) {
        size_t end = to < tok->carry_len ? to : tok->carry_len;
        put_bytes(tok, tok->carry + from, end - from);
        from = end;
    }
    if (from < to)
        put_bytes(tok, (const char *)tok->s + tok->mstart + (from - tok->carry_len), to - from);
}

/* A field read in place so far needs changing at byte `p`: it moves into sb from here on. */
static void field_to_sb(omote_html_tokenizer_t *tok, size_t *off, size_t *len, unsigned char *in_raw, size_t p)
{
    size_t from = *off;
    *in_raw = 0;
    *off = tok->sb_len;
    *len = 0;
    tok->flen = len;
    put_raw(tok, from, rel(tok, p));
}

static void begin_attr(omote_html_tokenizer_t *tok, size_t p)
{
    struct st_attr_rec_t *a;
    tok->flen = NULL;
    if (tok->num_attrs >= tok->opts.max_attrs) {
        tok->cur = NULL;
        return;
    }
    if (tok->num_attrs == tok->attrs_cap) {
        tok->attrs_cap = tok->attrs_cap ? tok->attrs_cap * 2 : 8;
        tok->attrs = xrealloc(tok->attrs, tok->attrs_cap * sizeof(*tok->attrs));
        tok->out_attrs = xrealloc(tok->out_attrs, tok->attrs_cap * sizeof(*tok->out_attrs));
    }
    a = tok->cur = &tok->attrs[tok->num_attrs++];
    a->raw_off = a->raw_end = a->name_off = a->value_off = rel(tok, p);
    a->name_len = a->value_len = 0;
    a->name_in_raw = a->value_in_raw = 1;
}

/* Leaving the attribute name state at `p`. (Duplicates are found when the tag is built.) */
static void end_attr_name(omote_html_tokenizer_t *tok, size_t p)
{
    struct st_attr_rec_t *a = tok->cur;
    tok->flen = NULL;
    if (a == NULL)
        return;
    if (a->name_in_raw)
        a->name_len = rel(tok, p) - a->name_off;
    a->raw_end = a->value_off = rel(tok, p);
}

/* The value starts at `p` (after its quote, if any). */
static void begin_value(omote_html_tokenizer_t *tok, size_t p)
{
    struct st_attr_rec_t *a = tok->cur;
    if (a == NULL)
        return;
    a->value_off = a->raw_end = rel(tok, p);
    a->value_len = 0;
    a->value_in_raw = 1;
}

/* The value ends before `p`; the attribute's bytes end before `raw_end` (after a closing quote). */
static void end_value(omote_html_tokenizer_t *tok, size_t p, size_t raw_end)
{
    struct st_attr_rec_t *a = tok->cur;
    tok->flen = NULL;
    if (a == NULL)
        return;
    if (a->value_in_raw)
        a->value_len = rel(tok, p) - a->value_off;
    a->raw_end = rel(tok, raw_end);
}

/* The first byte of s[p, len) that is one of a, b, c, d; len if none. Runs of ordinary bytes
 * (attribute values) are skipped 16 at a time where SSE2 is there. */
static inline size_t find_any4(const unsigned char *s, size_t p, size_t len, unsigned char a, unsigned char b, unsigned char c,
                               unsigned char d)
{
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b), vc = _mm_set1_epi8((char)c),
                  vd = _mm_set1_epi8((char)d);
    for (; p + 16 <= len; p += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + p));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask != 0)
            return p + (size_t)__builtin_ctz(mask);
    }
#endif
    for (; p < len; ++p)
        if (s[p] == a || s[p] == b || s[p] == c || s[p] == d)
            return p;
    return len;
}

/* The first `c` in s[p, len), or NULL: memchr, with the first 32 bytes looked at inline, since most
 * runs between tags and most attribute values are shorter than that and a call costs more. The 32
 * bytes are tested together: whether a run ends within 16 bytes or the next 16 was a branch the
 * CPU guessed wrong at about every other tag. */
static inline const unsigned char *find_byte(const unsigned char *s, size_t p, size_t len, unsigned char c)
{
#if defined(__SSE2__)
    const __m128i vc = _mm_set1_epi8((char)c);
    if (p + 32 <= len) {
        unsigned lo = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + p)), vc));
        unsigned hi = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + p + 16)), vc));
        unsigned mask = lo | hi << 16;
        if (mask != 0)
            return s + p + __builtin_ctz(mask);
        p += 32;
    } else if (p + 16 <= len) {
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + p)), vc));
        if (mask != 0)
            return s + p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    return p < len ? memchr(s + p, c, len - p) : NULL;
}

/* ---- delivering tokens ---- */

/* A token with every field empty. Field by field: a struct initialiser of this size becomes a
 * `rep stos`, whose start-up cost showed in profiles at one token every few dozen bytes. */
static inline void token_init(omote_html_token_t *t, omote_html_token_kind_t kind, const char *raw, size_t raw_len)
{
    t->kind = kind;
    t->raw = raw;
    t->raw_len = raw_len;
    /* one store per word: a chained struct assignment compiled to a 16-byte load of two 8-byte
     * stores just made, which stalls store forwarding */
    t->name.base = t->data.base = t->public_id.base = t->system_id.base = NULL;
    t->name.len = t->data.len = t->public_id.len = t->system_id.len = 0;
    t->attrs = NULL;
    t->num_attrs = 0;
    t->self_closing = t->force_quirks = t->is_last_part = t->attrs_skipped = 0;
    t->skipped_initials = 0;
    t->text_before.base = NULL;
    t->text_before.len = 0;
}

static void deliver(omote_html_tokenizer_t *tok, omote_html_token_t *t)
{
    if (tok->opts.decode_text && t->raw_len != 0)
        tok->last_raw_cr = t->raw[t->raw_len - 1] == '\r';
    if (tok->cb(tok->ctx, t) != 0)
        tok->stopped = 1;
}

static void emit_text(omote_html_tokenizer_t *tok, const char *raw, size_t n)
{
    omote_html_token_t t;
    if (n == 0 || tok->stopped)
        return;
    token_init(&t, OMOTE_HTML_CHARACTERS, raw, n);
    t.data.base = raw;
    t.data.len = n;
    if (tok->opts.decode_text) {
        int nul_to_fffd = tok->content != S_DATA && tok->content != S_CDATA, prev_cr = tok->last_raw_cr;
        size_t i, o = 0;
        if (tok->tbuf_cap < n * 3) {
            tok->tbuf_cap = n * 3;
            tok->tbuf = xrealloc(tok->tbuf, tok->tbuf_cap);
        }
        for (i = 0; i < n; ++i) {
            unsigned char c = (unsigned char)raw[i];
            if (c == '\r') {
                tok->tbuf[o++] = '\n';
            } else if (c == '\n' && prev_cr) {
            } else if (c == 0 && nul_to_fffd) {
                memcpy(tok->tbuf + o, "\xEF\xBF\xBD", 3);
                o += 3;
            } else {
                tok->tbuf[o++] = (char)c;
            }
            prev_cr = c == '\r';
        }
        t.data.base = tok->tbuf;
        t.data.len = o;
    }
    deliver(tok, &t);
}

static void emit_part(omote_html_tokenizer_t *tok, const char *raw, size_t n, int is_last)
{
    omote_html_token_t t;
    if ((n == 0 && !is_last) || tok->stopped)
        return;
    token_init(&t, OMOTE_HTML_OVERSIZED, raw, n);
    t.is_last_part = is_last;
    deliver(tok, &t);
}

/* Delivers the pending text up to `end` (never text held in the carry: there is none). */
static void flush_text(omote_html_tokenizer_t *tok, size_t end)
{
    if (end > tok->tstart)
        emit_text(tok, (const char *)tok->s + tok->tstart, end - tok->tstart);
    tok->tstart = end;
}

static void carry_append(omote_html_tokenizer_t *tok, const unsigned char *b, size_t n)
{
    if (n == 0)
        return;
    if (tok->carry_len + n > tok->carry_cap) {
        size_t cap = tok->carry_cap ? tok->carry_cap : 256;
        while (cap < tok->carry_len + n)
            cap *= 2;
        tok->carry = xrealloc(tok->carry, cap);
        tok->carry_cap = cap;
    }
    memcpy(tok->carry + tok->carry_len, b, n);
    tok->carry_len += n;
}

static void start_construct(omote_html_tokenizer_t *tok, size_t p)
{
    tok->mstart = p;
    tok->in_construct = 1;
    tok->construct_carried = 0;
}

/* The construct turned out to be text ending at `p`: it joins the pending text. */
static void construct_is_text(omote_html_tokenizer_t *tok, size_t p)
{
    if (tok->in_carry) {
        carry_append(tok, tok->s, p);
        emit_text(tok, tok->carry, tok->carry_len);
        tok->carry_len = 0;
        tok->in_carry = 0;
        tok->tstart = p;
    } else if (tok->os_mode) {
        emit_part(tok, (const char *)tok->s, p, 1);
        tok->os_mode = 0;
        tok->tstart = p;
    }
    tok->in_construct = 0;
}

/* The spec drops a repeated attribute name; we keep it, flagged, so that raw fidelity holds. */
static void mark_duplicates(omote_html_attr_t *attrs, size_t n)
{
    for (size_t i = 1; i < n; ++i) {
        omote_html_attr_t *a = &attrs[i];
        for (size_t j = 0; j < i; ++j) {
            const omote_html_attr_t *b = &attrs[j];
            if (!b->is_duplicate && b->name.len == a->name.len && (a->name.len == 0 || b->name.base[0] == a->name.base[0]) &&
                memcmp(b->name.base, a->name.base, a->name.len) == 0) {
                a->is_duplicate = 1;
                break;
            }
        }
    }
}

static void build_token(omote_html_tokenizer_t *tok, omote_html_token_t *t, const char *raw)
{
    size_t i;
    t->kind = tok->kind;
    if (tok->has_name && (tok->kind == OMOTE_HTML_START_TAG || tok->kind == OMOTE_HTML_END_TAG || tok->kind == OMOTE_HTML_DOCTYPE))
        t->name = (omote_html_str_t){tok->sb + tok->name_off, tok->name_len};
    switch (tok->kind) {
    case OMOTE_HTML_START_TAG:
    case OMOTE_HTML_END_TAG:
        for (i = 0; i < tok->num_attrs; ++i) {
            const struct st_attr_rec_t *a = &tok->attrs[i];
            omote_html_attr_t *o = &tok->out_attrs[i];
            o->name = (omote_html_str_t){(a->name_in_raw ? raw : tok->sb) + a->name_off, a->name_len};
            o->value = (omote_html_str_t){(a->value_in_raw ? raw : tok->sb) + a->value_off, a->value_len};
            o->raw = (omote_html_str_t){raw + a->raw_off, a->raw_end - a->raw_off};
            o->is_duplicate = 0;
        }
        mark_duplicates(tok->out_attrs, tok->num_attrs);
        t->attrs = tok->out_attrs;
        t->num_attrs = tok->num_attrs;
        t->self_closing = tok->self_closing;
        t->attrs_skipped = tok->skip_attrs;
        t->skipped_initials = tok->skipped_initials;
        break;
    case OMOTE_HTML_COMMENT:
        t->data = (omote_html_str_t){tok->sb + tok->data_off, tok->data_len};
        break;
    case OMOTE_HTML_DOCTYPE:
        if (tok->has_pub)
            t->public_id = (omote_html_str_t){tok->sb + tok->pub_off, tok->pub_len};
        if (tok->has_sys)
            t->system_id = (omote_html_str_t){tok->sb + tok->sys_off, tok->sys_len};
        t->force_quirks = tok->force_quirks;
        break;
    case OMOTE_HTML_CHARACTERS:
        t->data = (omote_html_str_t){tok->refout, tok->refout_len};
        break;
    default:
        break;
    }
}

/* The construct is a token of `kind` (tok->kind unless DROPPED/CHARACTERS) ending at `p`. */
static void emit_construct(omote_html_tokenizer_t *tok, size_t p, omote_html_token_kind_t kind)
{
    omote_html_token_t t;
    const char *raw;
    size_t n;

    /* with merge_text the pending text goes with the token, if it is delivered whole (a carried
     * construct has none: the text before it was delivered when its chunk ended) */
    if (!tok->opts.merge_text)
        flush_text(tok, tok->mstart);
    if (tok->in_carry && kind != OMOTE_HTML_CHARACTERS && tok->carry_len + p > tok->opts.max_carry_bytes) {
        /* too long to be whole, and copying the rest into the carry would overrun its bound */
        emit_part(tok, tok->carry, tok->carry_len, 0);
        tok->in_carry = 0;
        tok->carry_len = 0;
        tok->os_mode = 1;
    }
    if (tok->in_carry) {
        carry_append(tok, tok->s, p);
        raw = tok->carry;
        n = tok->carry_len;
    } else {
        raw = (const char *)tok->s + tok->mstart;
        n = p - tok->mstart;
        if ((kind == OMOTE_HTML_END_TAG ? tok->merge_end_tags : kind == OMOTE_HTML_START_TAG && tok->as_text) && !tok->os_mode &&
            n <= tok->opts.max_carry_bytes && !tok->sb_full) {
            /* its bytes join the pending text: tstart stays where it is */
            tok->in_construct = tok->sb_full = 0;
            return;
        }
    }
    if (tok->os_mode || (kind != OMOTE_HTML_CHARACTERS && (n > tok->opts.max_carry_bytes || tok->sb_full))) {
        flush_text(tok, tok->mstart);
        emit_part(tok, raw, n, 1);
    } else if (!tok->stopped) {
        if (kind == OMOTE_HTML_DROPPED || kind == OMOTE_HTML_CHARACTERS)
            tok->kind = kind;
        token_init(&t, tok->kind, raw, n);
        if (tok->mstart > tok->tstart) {
            t.text_before.base = (const char *)tok->s + tok->tstart;
            t.text_before.len = tok->mstart - tok->tstart;
        }
        build_token(tok, &t, raw);
        deliver(tok, &t);
    }
    tok->in_construct = tok->in_carry = tok->os_mode = tok->sb_full = 0;
    tok->carry_len = 0;
    tok->tstart = p;
}

/* A skipped attribute name starts at `p`: its first byte, and for a name that may be one of
 * as_text_unless_initials' its second (the byte ending a one-byte name; any past the chunk). */
static inline void note_skipped_name(omote_html_tokenizer_t *tok, size_t p)
{
    unsigned first = tok->s[p] & 31;
    tok->skipped_initials |= 1u << first;
    if ((tok->opts.as_text_unless_initials >> first) & 1)
        tok->skipped_seconds |= p + 1 < tok->len ? 1u << (tok->s[p + 1] & 31) : ~0u;
}

/* Whether a skipped attribute may be one that keeps the tag from passing as text. */
static inline int may_hold_unless(const omote_html_tokenizer_t *tok)
{
    return (tok->skipped_initials & tok->opts.as_text_unless_initials) != 0 &&
           (tok->opts.as_text_unless_seconds == 0 || (tok->skipped_seconds & tok->opts.as_text_unless_seconds) != 0);
}

/* The text state a start tag named `n` switches to, as the tree builder would for HTML content. */
static int content_after(const char *n, size_t len)
{
    switch (len) {
    case 3:
        return memcmp(n, "xmp", 3) == 0 ? S_RAWTEXT : S_DATA;
    case 5:
        return memcmp(n, "title", 5) == 0 ? S_RCDATA : memcmp(n, "style", 5) == 0 ? S_RAWTEXT : S_DATA;
    case 6:
        return memcmp(n, "script", 6) == 0 ? S_SCRIPT : memcmp(n, "iframe", 6) == 0 ? S_RAWTEXT : S_DATA;
    case 7:
        return memcmp(n, "noembed", 7) == 0 ? S_RAWTEXT : S_DATA;
    case 8:
        return memcmp(n, "textarea", 8) == 0 ? S_RCDATA : memcmp(n, "noframes", 8) == 0 ? S_RAWTEXT : S_DATA;
    case 9:
        return memcmp(n, "plaintext", 9) == 0 ? S_PLAINTEXT : S_DATA;
    default:
        return S_DATA;
    }
}

/* A tag ends at `p`. With no tree builder, the start tags that switch the tokenizer do it here. */
static void emit_tag(omote_html_tokenizer_t *tok, size_t p)
{
    int is_start = tok->kind == OMOTE_HTML_START_TAG;
    int content = is_start ? content_after(tok->sb + tok->name_off, tok->name_len) : S_DATA;
    /* a tag that switches the text state is never text: the consumer must learn of the switch */
    if (tok->as_text && (content != S_DATA || may_hold_unless(tok)))
        tok->as_text = 0;
    emit_construct(tok, p, tok->kind);
    if ((tok->content = content) != S_DATA) {
        /* the appropriate end tag's name, read only in the text states these tags switch to
         * (omote_html_tokenizer_set_state sets it for the others) */
        tok->last_start_len = tok->name_len < sizeof(tok->last_start) ? tok->name_len : 0;
        memcpy(tok->last_start, tok->sb + tok->name_off, tok->last_start_len);
    }
    tok->state = tok->content;
}

static void emit_other(omote_html_tokenizer_t *tok, size_t p)
{
    emit_construct(tok, p, tok->kind);
    tok->state = tok->content = S_DATA;
}

/* ---- text states ---- */

static size_t fast_tag(omote_html_tokenizer_t *tok, size_t p);
static size_t start_tag_passes(omote_html_tokenizer_t *tok, size_t q);
static int passes_as_text(const omote_html_tokenizer_t *tok, int wants);

/*
 * Whether the '<' at `q` in RCDATA, RAWTEXT or script data is text for sure, judging by the
 * bytes of this chunk: it is unless "</" and the appropriate end tag name follow, then white
 * space, '/' or '>' (or, in script data, "<!", which may start an escape). Undecided: 0, and the
 * state machine takes it byte by byte as the spec says.
 */
static int lt_is_text(const omote_html_tokenizer_t *tok, size_t q, int st)
{
    const unsigned char *s = tok->s;
    size_t i, n = tok->last_start_len;
    if (q + 1 >= tok->len)
        return 0;
    if (s[q + 1] != '/')
        return !(st == S_SCRIPT && s[q + 1] == '!');
    if (q + 2 + n >= tok->len)
        return 0;
    for (i = 0; i != n; ++i) {
        unsigned char c = s[q + 2 + i];
        if (!IS_ALPHA(c) || LOWER(c) != (unsigned char)tok->last_start[i])
            return 1;
    }
    i = s[q + 2 + n];
    return !(IS_WS(i) || i == '/' || i == '>');
}

#define RUN_BOUNDARY_SHIFT 59 /* 1 in 32 (1 in 16 and 1 in 64 count 1% and 5% more instructions on the bench page) */
/* Whether the '<' at `q` is a run boundary, by the 16 bytes before it and the 7 after alone (about
 * one '<' in 32), so that every chunking of a page gives its runs the same ends: the bytes before
 * tell the items of a list apart, as their text differs where their markup does not. One too near
 * the chunk's start or end to tell is none: runs there span a chunk's end, and are not told of. */
static int run_boundary(const omote_html_tokenizer_t *tok, size_t q)
{
    uint64_t w0, w1, w2;
    if (q < 16 || q + 8 > tok->len)
        return 0;
    memcpy(&w0, tok->s + q - 16, 8);
    memcpy(&w1, tok->s + q - 8, 8);
    memcpy(&w2, tok->s + q, 8);
    return (((w0 * 0xc2b2ae3d27d4eb4full) ^ (w1 * 0x165667b19e3779f9ull) ^ w2) * 0x9e3779b97f4a7c15ull) >> RUN_BOUNDARY_SHIFT == 0;
}

/* The run that began at `from` (SIZE_MAX: none) ends at the '<' at `to`, a boundary or a
 * construct's start: told of if long enough. Runs are told of only where every chunking of the page
 * would end them alike, so that a cache does not fill with runs that differ only in where they
 * end: never at the chunk's end, and not at a construct that may be a tag the chunk's end cuts
 * (no '>' after it in the chunk: whole, it might have passed as text). */
static void end_run(omote_html_tokenizer_t *tok, size_t from, size_t to, int at_construct)
{
    if (from != SIZE_MAX && to - from >= OMOTE_HTML_MIN_RUN &&
        (!at_construct || memchr(tok->s + to + 1, '>', tok->len - to - 1) != NULL))
        tok->opts.passed_run(tok->ctx, (const char *)tok->s + from, to - from);
}

/* The length of a known run that starts at `at` (known_run), or 0. */
static size_t run_known_at(omote_html_tokenizer_t *tok, size_t at)
{
    size_t n = tok->opts.known_run != NULL ? tok->opts.known_run(tok->ctx, (const char *)tok->s + at, tok->len - at) : 0;
    return n <= tok->len - at ? n : 0; /* a consumer's mistake must not take the tokenizer past the chunk */
}

/* The text states: skip to the next byte that may end the text (memchr), then start a construct. */
static size_t st_text(omote_html_tokenizer_t *tok, size_t p)
{
    const unsigned char *s = tok->s, *hit;
    size_t q, len = tok->len;
    int st = tok->state;
    /* end tags that join the text around them (merge_end_tags with merge_text) */
    int end_tags_are_text = tok->merge_end_tags && tok->opts.merge_text;
    /* start tags that may join it too (OMOTE_HTML_ATTRS_AS_TEXT, known_as_text: start_tag_passes) */
    int start_tags_may_pass = tok->opts.wants_attributes != NULL && passes_as_text(tok, OMOTE_HTML_ATTRS_AS_TEXT);
    /* runs of passing bytes the consumer keeps (passed_run) and may know (known_run); run_from:
     * where this one began, if at a point where runs start (SIZE_MAX: not) */
    int runs = st == S_DATA && end_tags_are_text && start_tags_may_pass && tok->opts.passed_run != NULL;
    size_t run_from = SIZE_MAX, n;

    /* after a construct that began in this chunk, as after the same construct in any chunking,
     * unless a boundary might be missed after it (run_boundary) */
    if (runs && p >= 16 && p < len && !tok->construct_carried) {
        if ((n = run_known_at(tok, p)) != 0)
            p += n; /* to a boundary or a construct, which the loop finds next */
        else
            run_from = p;
    }

    if (st == S_PLAINTEXT)
        return len;
    for (;; p = q + 1) {
        if (tok->opts.decode_text && (st == S_DATA || st == S_RCDATA)) {
            for (q = p; q < len && s[q] != '<' && s[q] != '&'; ++q)
                ;
            hit = q < len ? s + q : NULL;
        } else {
            hit = find_byte(s, p, len, '<');
        }
        if (hit == NULL)
            return len;
        q = (size_t)(hit - s);
        if (*hit == '&')
            break;
        if (runs && run_boundary(tok, q)) {
            end_run(tok, run_from, q, 0);
            run_from = q;
            if ((n = run_known_at(tok, q)) != 0) {
                q += n - 1;
                run_from = SIZE_MAX;
                continue;
            }
        }
        if (st == S_DATA) {
            /* "</name>" whole in this chunk, which emit_construct would only add to the pending
             * text: the name ends at white space, '/' or '>' (uppercase and NUL change only the
             * name, which nobody reads), and with '>' the tag has ended. Anything else, or the
             * chunk's end, is left to the tag states. */
            size_t e;
            if (end_tags_are_text && q + 2 < len && s[q + 1] == '/' && IS_ALPHA(s[q + 2]) &&
                (e = scan_run(s, q + 3, len, K_WS | K_SLASH | K_GT)) < len && s[e] == '>' &&
                e + 1 - q <= tok->opts.max_carry_bytes) {
                q = e;
                continue;
            }
            if (start_tags_may_pass && q + 1 < len && (e = start_tag_passes(tok, q)) != 0) {
                q = e - 1;
                continue;
            }
            break;
        }
        if (!lt_is_text(tok, q, st))
            break;
    }
    if (runs)
        end_run(tok, run_from, q, 1);
    start_construct(tok, q);
    if (*hit == '&') {
        tok->return_state = st;
        tok->state = S_CHARREF;
        return q + 1;
    }
    if (st != S_DATA) {
        tok->state = st == S_RCDATA ? S_RCDATA_LT : st == S_RAWTEXT ? S_RAWTEXT_LT : S_SCRIPT_LT;
        return q + 1;
    }
    /* tag open and end tag open states, when the letter that makes a tag is in this chunk */
    if (q + 1 < len && IS_ALPHA(s[q + 1])) {
        begin_token(tok, OMOTE_HTML_START_TAG);
        tok->state = S_TAG_NAME;
        return fast_tag(tok, q + 1);
    }
    if (q + 2 < len && s[q + 1] == '/' && IS_ALPHA(s[q + 2])) {
        begin_token(tok, OMOTE_HTML_END_TAG);
        tok->state = S_TAG_NAME;
        return fast_tag(tok, q + 2);
    }
    tok->state = S_TAG_OPEN;
    return q + 1;
}

/* The "script data escaped" and "double escaped" families: all text, tracked for the end tag. */
static size_t st_script_escaped(omote_html_tokenizer_t *tok, size_t p, int c)
{
    switch (tok->state) {
    case S_SCRIPT_ESC:
        for (; p < tok->len; ++p) {
            if (tok->s[p] == '-') {
                tok->state = S_SCRIPT_ESC_DASH;
                return p + 1;
            }
            if (tok->s[p] == '<') {
                start_construct(tok, p);
                tok->state = S_SCRIPT_ESC_LT;
                return p + 1;
            }
        }
        return p;
    case S_SCRIPT_ESC_DASH:
    case S_SCRIPT_ESC_DASH_DASH:
        if (c == '-') {
            tok->state = S_SCRIPT_ESC_DASH_DASH;
        } else if (c == '<') {
            start_construct(tok, p);
            tok->state = S_SCRIPT_ESC_LT;
        } else {
            tok->state = c == '>' && tok->state == S_SCRIPT_ESC_DASH_DASH ? S_SCRIPT : S_SCRIPT_ESC;
        }
        return p + 1;
    case S_SCRIPT_DESC:
        for (; p < tok->len; ++p) {
            if (tok->s[p] == '-') {
                tok->state = S_SCRIPT_DESC_DASH;
                return p + 1;
            }
            if (tok->s[p] == '<') {
                tok->state = S_SCRIPT_DESC_LT;
                return p + 1;
            }
        }
        return p;
    case S_SCRIPT_DESC_DASH:
    case S_SCRIPT_DESC_DASH_DASH:
        if (c == '-')
            tok->state = S_SCRIPT_DESC_DASH_DASH;
        else if (c == '<')
            tok->state = S_SCRIPT_DESC_LT;
        else
            tok->state = c == '>' && tok->state == S_SCRIPT_DESC_DASH_DASH ? S_SCRIPT : S_SCRIPT_DESC;
        return p + 1;
    case S_SCRIPT_DESC_LT:
        if (c != '/') {
            tok->state = S_SCRIPT_DESC;
            return p;
        }
        tok->tmp_len = 0;
        tok->state = S_SCRIPT_DESC_END;
        return p + 1;
    default: /* S_SCRIPT_DESC_START, S_SCRIPT_DESC_END: is the tag name "script"? */
        if (IS_WS(c) || c == '/' || c == '>') {
            int is_script = tok->tmp_len == 6 && memcmp(tok->tmp, "script", 6) == 0;
            if (tok->state == S_SCRIPT_DESC_START)
                tok->state = is_script ? S_SCRIPT_DESC : S_SCRIPT_ESC;
            else
                tok->state = is_script ? S_SCRIPT_ESC : S_SCRIPT_DESC;
            return p + 1;
        }
        if (IS_ALPHA(c)) {
            if (tok->tmp_len < sizeof(tok->tmp))
                tok->tmp[tok->tmp_len++] = (char)LOWER(c);
            return p + 1;
        }
        tok->state = tok->state == S_SCRIPT_DESC_START ? S_SCRIPT_ESC : S_SCRIPT_DESC;
        return p;
    }
}

/* RCDATA/RAWTEXT/script data end tag name states: only the appropriate end tag leaves the text. */
static size_t st_end_tag_name(omote_html_tokenizer_t *tok, size_t p, int c, int fallback)
{
    if (IS_ALPHA(c) && tok->name_len < tok->last_start_len) {
        put(tok, (unsigned char)LOWER(c));
        return p + 1;
    }
    /* a letter past the length of the appropriate name can only make text: say so now, which
     * also bounds what this construct ever holds back */
    if (!IS_ALPHA(c) && tok->last_start_len != 0 && tok->name_len == tok->last_start_len &&
        memcmp(tok->sb + tok->name_off, tok->last_start, tok->name_len) == 0) {
        if (IS_WS(c) || c == '/') {
            tok->skip_attrs = tok->opts.wants_attributes != NULL; /* an end tag's attributes are never wanted */
            tok->state = c == '/' ? S_SELF_CLOSING : S_BEFORE_ATTR_NAME;
            return p + 1;
        }
        if (c == '>') {
            emit_tag(tok, p + 1);
            return p + 1;
        }
    }
    construct_is_text(tok, p);
    tok->state = fallback;
    return p;
}

/* The "<" states of RCDATA, RAWTEXT, script data and script data escaped. */
static size_t st_text_lt(omote_html_tokenizer_t *tok, size_t p, int c)
{
    int st = tok->state, text = st == S_SCRIPT_ESC_LT ? S_SCRIPT_ESC : tok->content;
    if (c == '/') {
        tok->state = st == S_RCDATA_LT    ? S_RCDATA_END_OPEN
                     : st == S_RAWTEXT_LT ? S_RAWTEXT_END_OPEN
                     : st == S_SCRIPT_LT  ? S_SCRIPT_END_OPEN
                                          : S_SCRIPT_ESC_END_OPEN;
        return p + 1;
    }
    if (st == S_SCRIPT_LT && c == '!') {
        construct_is_text(tok, p + 1);
        tok->state = S_SCRIPT_ESC_START;
        return p + 1;
    }
    construct_is_text(tok, p);
    if (st == S_SCRIPT_ESC_LT && IS_ALPHA(c)) {
        tok->tmp_len = 0;
        tok->state = S_SCRIPT_DESC_START;
    } else {
        tok->state = text;
    }
    return p;
}

static size_t st_text_end_open(omote_html_tokenizer_t *tok, size_t p, int c)
{
    int st = tok->state;
    if (IS_ALPHA(c)) {
        begin_token(tok, OMOTE_HTML_END_TAG);
        tok->state = st + 1; /* the matching end tag name state */
        return p;
    }
    construct_is_text(tok, p);
    tok->state = st == S_SCRIPT_ESC_END_OPEN ? S_SCRIPT_ESC : tok->content;
    return p;
}

/* ---- tags ---- */

/* Whether the answer `wants` lets a start tag join the pending text: only merge_text hands text on
 * raw, with the token after it, and decode_text delivers no raw text. */
static int passes_as_text(const omote_html_tokenizer_t *tok, int wants)
{
    return wants == OMOTE_HTML_ATTRS_AS_TEXT && tok->opts.merge_text && !tok->opts.decode_text;
}

/* The name is complete and something may follow it: does the consumer want the attributes? */
static void ask_wants_attributes(omote_html_tokenizer_t *tok)
{
    if (tok->opts.wants_attributes == NULL)
        return;
    if (tok->kind != OMOTE_HTML_START_TAG) {
        tok->skip_attrs = 1;
        return;
    }
    int wants = tok->opts.wants_attributes(tok->ctx, tok->sb + tok->name_off, tok->name_len);
    tok->skip_attrs = wants == OMOTE_HTML_ATTRS_SKIP || wants == OMOTE_HTML_ATTRS_AS_TEXT;
    tok->as_text = passes_as_text(tok, wants);
    tok->may_be_known = !tok->skip_attrs && !tok->known_missed && tok->opts.known_as_text != NULL &&
                        passes_as_text(tok, OMOTE_HTML_ATTRS_AS_TEXT) && content_after(tok->sb + tok->name_off, tok->name_len) == S_DATA;
    tok->known_missed = 0;
}

/* A start tag that ends right after its name ("<li>"): only whether it may pass as text is asked. */
static void ask_as_text(omote_html_tokenizer_t *tok)
{
    if (tok->opts.wants_attributes != NULL && tok->kind == OMOTE_HTML_START_TAG)
        tok->as_text = passes_as_text(tok, tok->opts.wants_attributes(tok->ctx, tok->sb + tok->name_off, tok->name_len));
}

/* put_run for tag names, which are short: copied a byte at a time while sb has room, no call */
static inline size_t put_name_run(omote_html_tokenizer_t *tok, size_t p)
{
    const unsigned stop = K_WS | K_UPPER | K_NUL | K_SLASH | K_GT;
    size_t room, end, q;
    char *dst;
    if (tok->flen != &tok->name_len)
        return put_run(tok, p, stop);
#if defined(__SSE2__)
    /* 16 bytes at a time, lowercased as they are stored (the bytes stored past the name are
     * scratch beyond sb_len); a run ends at white space, NUL, '/' or '>' */
    while (p + 16 <= tok->len && tok->sb_cap - tok->sb_len >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(tok->s + p));
        __m128i up = classify16(x, K_UPPER);
        unsigned mask = (unsigned)_mm_movemask_epi8(classify16(x, K_WS | K_NUL | K_SLASH | K_GT));
        size_t n = mask != 0 ? (size_t)__builtin_ctz(mask) : 16;
        _mm_storeu_si128((__m128i *)(tok->sb + tok->sb_len), _mm_add_epi8(x, _mm_and_si128(up, _mm_set1_epi8(0x20))));
        tok->sb_len += n;
        tok->name_len += n;
        p += n;
        if (n != 16)
            return p;
    }
#endif
    room = tok->sb_cap - tok->sb_len;
    end = tok->len - p < room ? tok->len : p + room;
    q = p;
    dst = tok->sb + tok->sb_len;
    while (q < end && (kclass[tok->s[q]] & stop) == 0) {
        dst[q - p] = (char)tok->s[q];
        ++q;
    }
    tok->sb_len += q - p;
    tok->name_len += q - p;
    return q == end && end < tok->len ? put_run(tok, q, stop) : q;
}

static size_t st_tag_name(omote_html_tokenizer_t *tok, size_t p)
{
    for (; (p = put_name_run(tok, p)) < tok->len; ++p) {
        unsigned char c = tok->s[p];
        if (IS_WS(c) || c == '/') {
            ask_wants_attributes(tok);
            tok->state = c == '/' ? S_SELF_CLOSING : S_BEFORE_ATTR_NAME;
            return p + 1;
        } else if (c == '>') {
            ask_as_text(tok);
            emit_tag(tok, p + 1);
            return p + 1;
        } else if (c == 0) {
            put_bytes(tok, "\xEF\xBF\xBD", 3);
        } else {
            put(tok, (unsigned char)LOWER(c));
        }
    }
    return p;
}

/* Attribute name state: read in place until a byte the spec changes (uppercase, NUL). */
static size_t st_attr_name(omote_html_tokenizer_t *tok, size_t p)
{
    const unsigned stop = K_WS | K_UPPER | K_NUL | K_SLASH | K_GT | K_EQ;
    struct st_attr_rec_t *a = tok->cur;
    for (;;) {
        if (a == NULL || a->name_in_raw) {
            p = scan_run(tok->s, p, tok->len, stop);
        } else {
            p = put_run(tok, p, stop);
        }
        if (p == tok->len)
            return p;
        unsigned char c = tok->s[p];
        if (IS_WS(c) || c == '/' || c == '>') {
            end_attr_name(tok, p);
            tok->state = S_AFTER_ATTR_NAME;
            return p;
        }
        if (c == '=') {
            end_attr_name(tok, p);
            tok->state = S_BEFORE_ATTR_VALUE;
            return p + 1;
        }
        if (a != NULL && a->name_in_raw)
            field_to_sb(tok, &a->name_off, &a->name_len, &a->name_in_raw, p);
        if (c == 0)
            put_bytes(tok, "\xEF\xBF\xBD", 3);
        else
            put(tok, (unsigned char)LOWER(c));
        ++p;
    }
}

/* "&amp;" whole in this chunk at `*p`: the reference that query strings in URLs are full of (eight
 * in a typical srcset), appended as '&' here (1, `*p` moved past it) rather than through the
 * reference states, whose answer is the same (a named reference ending with ';' is decoded in
 * attribute values too); 0 leaves it to them */
static inline int take_amp_ref(omote_html_tokenizer_t *tok, size_t *p)
{
    if (*p + 5 > tok->len || memcmp(tok->s + *p + 1, "amp;", 4) != 0)
        return 0;
    put(tok, '&');
    *p += 5;
    return 1;
}

static size_t begin_charref(omote_html_tokenizer_t *tok, size_t p)
{
    tok->return_state = tok->state;
    tok->state = S_CHARREF;
    return p + 1;
}

/* Quoted attribute values: read in place until a reference, CR or NUL makes a copy necessary. */
static size_t st_attr_value_quoted(omote_html_tokenizer_t *tok, size_t p, unsigned char quote)
{
    unsigned stop = (quote == '"' ? K_DQ : K_SQ) | K_AMP | K_CRLF | K_NUL;
    struct st_attr_rec_t *a = tok->cur;
    for (;;) {
        if (a == NULL || a->value_in_raw)
            p = find_any4(tok->s, p, tok->len, quote, '&', '\r', 0);
        else
            p = put_run(tok, p, stop);
        if (p == tok->len)
            return p;
        unsigned char c = tok->s[p];
        if (c == quote) {
            end_value(tok, p, p + 1);
            tok->state = S_AFTER_ATTR_VALUE_Q;
            return p + 1;
        }
        if (a != NULL && a->value_in_raw)
            field_to_sb(tok, &a->value_off, &a->value_len, &a->value_in_raw, p);
        if (c == '&') {
            if (take_amp_ref(tok, &p))
                continue;
            return begin_charref(tok, p);
        }
        put_char(tok, p, c);
        ++p;
    }
}

static size_t st_attr_value_unquoted(omote_html_tokenizer_t *tok, size_t p)
{
    const unsigned stop = K_WS | K_AMP | K_GT | K_NUL;
    struct st_attr_rec_t *a = tok->cur;
    for (;;) {
        if (a == NULL || a->value_in_raw) {
            p = scan_run(tok->s, p, tok->len, stop);
        } else {
            p = put_run(tok, p, stop);
        }
        if (p == tok->len)
            return p;
        unsigned char c = tok->s[p];
        if (IS_WS(c)) {
            end_value(tok, p, p);
            tok->state = S_BEFORE_ATTR_NAME;
            return p + 1;
        }
        if (c == '>') {
            end_value(tok, p, p);
            emit_tag(tok, p + 1);
            return p + 1;
        }
        if (a != NULL && a->value_in_raw)
            field_to_sb(tok, &a->value_off, &a->value_len, &a->value_in_raw, p);
        if (c == '&') {
            if (take_amp_ref(tok, &p))
                continue;
            return begin_charref(tok, p);
        }
        put_bytes(tok, "\xEF\xBF\xBD", 3); /* NUL */
        ++p;
    }
}

/* Before/after attribute name and value, after a quoted value, self-closing start tag. */
static size_t st_between_attrs(omote_html_tokenizer_t *tok, size_t p, int c)
{
    switch (tok->state) {
    case S_BEFORE_ATTR_NAME:
        if (IS_WS(c))
            return p + 1;
        if (c == '/' || c == '>') {
            tok->state = S_AFTER_ATTR_NAME;
            return p;
        }
        begin_attr(tok, p);
        tok->state = S_ATTR_NAME;
        return c == '=' ? p + 1 : p; /* a name may start with '=', which is then in place already */
    case S_AFTER_ATTR_NAME:
        if (IS_WS(c))
            return p + 1;
        if (c == '/') {
            tok->state = S_SELF_CLOSING;
        } else if (c == '=') {
            tok->state = S_BEFORE_ATTR_VALUE;
        } else if (c == '>') {
            emit_tag(tok, p + 1);
        } else {
            begin_attr(tok, p);
            tok->state = S_ATTR_NAME;
            return p;
        }
        return p + 1;
    case S_BEFORE_ATTR_VALUE:
        if (IS_WS(c))
            return p + 1;
        if (c == '"' || c == '\'') {
            begin_value(tok, p + 1);
            tok->state = c == '"' ? S_ATTR_VALUE_DQ : S_ATTR_VALUE_SQ;
            return p + 1;
        }
        begin_value(tok, p);
        if (c == '>') {
            emit_tag(tok, p + 1);
            return p + 1;
        }
        tok->state = S_ATTR_VALUE_UQ;
        return p;
    case S_AFTER_ATTR_VALUE_Q:
    default: /* S_SELF_CLOSING */
        if (c == '>') {
            tok->self_closing = tok->state == S_SELF_CLOSING;
            emit_tag(tok, p + 1);
            return p + 1;
        }
        if (tok->state == S_AFTER_ATTR_VALUE_Q && IS_WS(c)) {
            tok->state = S_BEFORE_ATTR_NAME;
            return p + 1;
        }
        if (tok->state == S_AFTER_ATTR_VALUE_Q && c == '/') {
            tok->state = S_SELF_CLOSING;
            return p + 1;
        }
        tok->state = S_BEFORE_ATTR_NAME;
        return p;
    }
}

/* Leaves skip_attrs at the chunk's end in `state`, to resume there with the next chunk; when it
 * only probes for the tag's end (probe_known), SIZE_MAX says the chunk ended first. */
static size_t skip_suspend(omote_html_tokenizer_t *tok, int state, int probe)
{
    if (probe)
        return SIZE_MAX;
    tok->state = state;
    return tok->len;
}

/*
 * The attribute states with nothing recorded, for a tag whose attributes the consumer does not
 * want: the same transitions, so the tag ends exactly where st_tag would end it, and
 * `self_closing` comes out the same. What the full states do besides moving on does not matter
 * here: a character reference in a value consumes only alphanumerics, '#' and ';' and then
 * returns to the value, so '&' is an ordinary byte; CR is white space; NUL and uppercase change
 * only names and values. Written as labels, one per state, so a whole tag runs without dispatch.
 */
static inline __attribute__((always_inline)) size_t skip_attrs_as(omote_html_tokenizer_t *tok, size_t p, int probe)
{
    const unsigned char *s = tok->s, *hit;
    size_t len = tok->len;
    unsigned char q = '"';

    switch (tok->state) {
    case S_BEFORE_ATTR_NAME:
        goto before_name;
    case S_ATTR_NAME:
        goto name;
    case S_AFTER_ATTR_NAME:
        goto after_name;
    case S_BEFORE_ATTR_VALUE:
        goto before_value;
    case S_ATTR_VALUE_DQ:
        goto quoted;
    case S_ATTR_VALUE_SQ:
        q = '\'';
        goto quoted;
    case S_ATTR_VALUE_UQ:
        goto unquoted;
    case S_AFTER_ATTR_VALUE_Q:
        goto after_quoted;
    default: /* S_SELF_CLOSING */
        goto self_closing;
    }
before_name:
    while (p < len && IS_WS(s[p]))
        ++p;
    if (p == len)
        return skip_suspend(tok, S_BEFORE_ATTR_NAME, probe);
    if (s[p] == '/' || s[p] == '>')
        goto after_name; /* reconsumed there */
    note_skipped_name(tok, p);
    ++p; /* the name's first byte, which may be '=' */
name:
    p = scan_run(s, p, len, K_WS | K_SLASH | K_GT | K_EQ);
    if (p == len)
        return skip_suspend(tok, S_ATTR_NAME, probe);
    if (s[p] == '=') {
        ++p;
        goto before_value;
    }
after_name:
    while (p < len && IS_WS(s[p]))
        ++p;
    if (p == len)
        return skip_suspend(tok, S_AFTER_ATTR_NAME, probe);
    switch (s[p++]) {
    case '/':
        goto self_closing;
    case '=':
        goto before_value;
    case '>':
        goto end;
    default: /* another attribute's name starts with this byte */
        note_skipped_name(tok, p - 1);
        goto name;
    }
before_value:
    while (p < len && IS_WS(s[p]))
        ++p;
    if (p == len)
        return skip_suspend(tok, S_BEFORE_ATTR_VALUE, probe);
    if (s[p] == '"' || s[p] == '\'') {
        q = s[p++];
        goto quoted;
    }
    if (s[p] == '>') {
        ++p;
        goto end;
    }
    /* reconsumed in the unquoted value, whose first byte it is */
unquoted:
    p = scan_run(s, p, len, K_WS | K_GT);
    if (p == len)
        return skip_suspend(tok, S_ATTR_VALUE_UQ, probe);
    if (s[p++] == '>')
        goto end;
    goto before_name;
quoted:
    /* a constant to compare with for the usual quote */
    if ((hit = q == '"' ? find_byte(s, p, len, '"') : find_byte(s, p, len, '\'')) == NULL)
        return skip_suspend(tok, q == '"' ? S_ATTR_VALUE_DQ : S_ATTR_VALUE_SQ, probe);
    p = (size_t)(hit - s) + 1;
after_quoted:
    if (p == len)
        return skip_suspend(tok, S_AFTER_ATTR_VALUE_Q, probe);
    if (IS_WS(s[p])) {
        ++p;
        goto before_name;
    }
    if (s[p] == '/') {
        ++p;
        goto self_closing;
    }
    if (s[p] == '>') {
        ++p;
        goto end;
    }
    goto before_name; /* reconsumed: starts a name */
self_closing:
    if (p == len)
        return skip_suspend(tok, S_SELF_CLOSING, probe);
    if (s[p] != '>')
        goto before_name; /* reconsumed */
    ++p;
    tok->self_closing = 1;
end:
    if (!probe)
        emit_tag(tok, p);
    return p;
}

/* two copies, each with `probe` folded away */
static size_t skip_attrs(omote_html_tokenizer_t *tok, size_t p)
{
    return skip_attrs_as(tok, p, 0);
}

static size_t find_tag_end(omote_html_tokenizer_t *tok, size_t p)
{
    return skip_attrs_as(tok, p, 1);
}

/*
 * A start tag whose attributes the consumer would read, found whole in the chunk: when the
 * consumer knows its answer for these exact bytes (known_as_text), it passes as text, as one
 * answered OMOTE_HTML_ATTRS_AS_TEXT would, with its attributes only skipped. Returns its end, or
 * SIZE_MAX with the state as it was, and the attributes are read.
 */
/* Whether a start tag from `from` to `end` (SIZE_MAX: not whole in the chunk), its attributes
 * skipped, may join the text: whole, within the carry bound, no skipped name to look at. */
static int whole_tag_may_pass(const omote_html_tokenizer_t *tok, size_t from, size_t end)
{
    return end != SIZE_MAX && end - from <= tok->opts.max_carry_bytes && !may_hold_unless(tok);
}

static size_t probe_known(omote_html_tokenizer_t *tok, size_t p)
{
    int state = tok->state, self_closing = tok->self_closing;
    uint32_t initials = tok->skipped_initials, seconds = tok->skipped_seconds;
    size_t end = find_tag_end(tok, p);
    if (whole_tag_may_pass(tok, tok->mstart, end) &&
        tok->opts.known_as_text(tok->ctx, (const char *)tok->s + tok->mstart, end - tok->mstart)) {
        tok->skip_attrs = tok->as_text = 1;
        emit_tag(tok, end);
        return end;
    }
    tok->state = state;
    tok->skipped_initials = initials;
    tok->skipped_seconds = seconds;
    tok->self_closing = self_closing;
    return SIZE_MAX;
}

/*
 * A start tag at `q` in the data state that passes as text (an OMOTE_HTML_ATTRS_AS_TEXT name, or
 * a known one), decided from the chunk's bytes without building a token: the same questions, in
 * the same order, as the tag states would ask, and the same conditions (whole in the chunk, no
 * switch of text state, no name in as_text_unless_initials, within max_carry_bytes). Returns the
 * tag's end, and it joins the text run as a merged end tag does; 0: the tag states take it from
 * `q`. Names the states would rewrite (uppercase, NUL) are left to them.
 */
static size_t start_tag_passes(omote_html_tokenizer_t *tok, size_t q)
{
    const unsigned char *s = tok->s;
    const char *name = (const char *)s + q + 1;
    size_t len = tok->len, e, end;
    int wants;

    if (s[q + 1] < 'a' || s[q + 1] > 'z')
        return 0;
    e = scan_run(s, q + 2, len, K_WS | K_SLASH | K_GT | K_UPPER | K_NUL);
    if (e == len || (kclass[s[e]] & (K_UPPER | K_NUL)) != 0 || content_after(name, e - (q + 1)) != S_DATA)
        return 0;
    wants = tok->opts.wants_attributes(tok->ctx, name, e - (q + 1));
    if (wants == OMOTE_HTML_ATTRS_SKIP)
        return 0;
    /* a read tag is asked about only with something after its name (fast_tag) */
    if (wants != OMOTE_HTML_ATTRS_AS_TEXT && (tok->opts.known_as_text == NULL || s[e] == '>'))
        return 0;
    tok->skipped_initials = tok->skipped_seconds = 0;
    if (s[e] == '>') {
        end = e + 1;
    } else {
        tok->state = s[e] == '/' ? S_SELF_CLOSING : S_BEFORE_ATTR_NAME;
        end = find_tag_end(tok, e + 1);
        tok->state = S_DATA;
    }
    if (!whole_tag_may_pass(tok, q, end))
        return 0;
    if (wants == OMOTE_HTML_ATTRS_AS_TEXT || tok->opts.known_as_text(tok->ctx, (const char *)s + q, end - q))
        return end;
    tok->known_missed = 1;
    return 0;
}

/*
 * The tag states, run here without going back to step() between them. Input stream
 * preprocessing needs nothing here: CR is white space wherever a tag has white space, an LF after
 * CR can only come where white space is skipped anyway, and the value states see to the rest.
 */
static size_t st_tag(omote_html_tokenizer_t *tok, size_t p)
{
    while (p < tok->len && !tok->stopped) {
        if (tok->skip_attrs && tok->state > S_TAG_NAME && tok->state <= S_SELF_CLOSING) {
            p = skip_attrs(tok, p);
            continue;
        }
        switch (tok->state) {
        case S_TAG_NAME:
            p = st_tag_name(tok, p);
            break;
        case S_ATTR_NAME:
            p = st_attr_name(tok, p);
            break;
        case S_ATTR_VALUE_DQ:
            p = st_attr_value_quoted(tok, p, '"');
            break;
        case S_ATTR_VALUE_SQ:
            p = st_attr_value_quoted(tok, p, '\'');
            break;
        case S_ATTR_VALUE_UQ:
            p = st_attr_value_unquoted(tok, p);
            break;
        case S_BEFORE_ATTR_NAME:
        case S_AFTER_ATTR_NAME:
        case S_BEFORE_ATTR_VALUE:
        case S_AFTER_ATTR_VALUE_Q:
        case S_SELF_CLOSING:
            p = st_between_attrs(tok, p, tok->s[p]);
            break;
        default: /* the tag ended, or a reference in a value began */
            return p;
        }
    }
    return p;
}

/*
 * The usual shape of a tag, `<name attr="value" attr=value attr>`, as straight-line code: the
 * same state functions and transitions as st_tag, minus its dispatch on the state, which
 * mispredicts at almost every step. Anything else (a '/', a '=' after white space, a reference
 * that needs its state, the chunk's end) is left to st_tag in the state reached.
 */
static size_t fast_tag(omote_html_tokenizer_t *tok, size_t p)
{
    const unsigned char *s = tok->s;
    size_t len = tok->len;
    unsigned char c;

    p = st_tag_name(tok, p);
    if (tok->skip_attrs)
        return p < len ? skip_attrs(tok, p) : p;
    if (tok->may_be_known && !tok->in_carry && p < len && tok->state >= S_BEFORE_ATTR_NAME && tok->state <= S_SELF_CLOSING) {
        size_t end = probe_known(tok, p);
        if (end != SIZE_MAX)
            return end;
    }
    while (tok->state == S_BEFORE_ATTR_NAME) {
        while (p < len && IS_WS(s[p]))
            ++p;
        if (p == len || s[p] == '/' || s[p] == '=')
            return p;
        if (s[p] == '>') {
            emit_tag(tok, p + 1);
            return p + 1;
        }
        begin_attr(tok, p);
        tok->state = S_ATTR_NAME;
        p = st_attr_name(tok, p);
        if (p == len)
            return p;
        if (tok->state == S_AFTER_ATTR_NAME) {
            while (p < len && IS_WS(s[p]))
                ++p;
            if (p == len || s[p] == '/' || s[p] == '=')
                return p;
            if (s[p] == '>') {
                emit_tag(tok, p + 1);
                return p + 1;
            }
            tok->state = S_BEFORE_ATTR_NAME; /* another attribute: as after white space */
            continue;
        }
        /* S_BEFORE_ATTR_VALUE */
        c = s[p];
        if (c == '"' || c == '\'') {
            begin_value(tok, p + 1);
            tok->state = c == '"' ? S_ATTR_VALUE_DQ : S_ATTR_VALUE_SQ;
            p = st_attr_value_quoted(tok, p + 1, c);
            if (tok->state != S_AFTER_ATTR_VALUE_Q || p == len)
                return p;
            c = s[p];
            if (IS_WS(c)) {
                tok->state = S_BEFORE_ATTR_NAME;
                ++p;
            } else if (c == '>') {
                emit_tag(tok, p + 1);
                return p + 1;
            } else {
                return p;
            }
        } else if (!IS_WS(c) && c != '>') {
            begin_value(tok, p);
            tok->state = S_ATTR_VALUE_UQ;
            p = st_attr_value_unquoted(tok, p);
        } else {
            return p;
        }
    }
    return p;
}

/* ---- comments ---- */

/* Markup declaration open: match "--" or "DOCTYPE" a byte at a time, so the match may span
 * chunks. "[CDATA[" needs no case: outside foreign content it is a bogus comment holding
 * "[CDATA[...", which is what failing every match gives. */
static size_t st_markup_decl(omote_html_tokenizer_t *tok, size_t p, int c)
{
    tok->tmp[tok->tmp_len++] = (char)c;
    if (tok->tmp[0] == '-' && c == '-') {
        if (tok->tmp_len < 2)
            return p + 1;
        begin_token(tok, OMOTE_HTML_COMMENT);
        tok->state = S_COMMENT_START;
        return p + 1;
    }
    if (tok->tmp[0] != '-' && LOWER(c) == "doctype"[tok->tmp_len - 1]) {
        if (tok->tmp_len < 7)
            return p + 1;
        begin_token(tok, OMOTE_HTML_DOCTYPE);
        tok->state = S_DOCTYPE;
        return p + 1;
    }
    begin_token(tok, OMOTE_HTML_COMMENT);
    put_bytes(tok, tok->tmp, tok->tmp_len - 1);
    tok->state = S_BOGUS_COMMENT;
    return p;
}

static size_t st_bogus_comment(omote_html_tokenizer_t *tok, size_t p)
{
    for (; (p = put_run(tok, p, K_GT | K_CRLF | K_NUL)) < tok->len; ++p) {
        unsigned char c = tok->s[p];
        if (c == '>') {
            emit_other(tok, p + 1);
            return p + 1;
        }
        put_char(tok, p, c);
    }
    return p;
}

static size_t st_comment_body(omote_html_tokenizer_t *tok, size_t p)
{
    for (; (p = put_run(tok, p, K_LT | K_DASH | K_CRLF | K_NUL)) < tok->len; ++p) {
        unsigned char c = tok->s[p];
        if (c == '<') {
            put(tok, '<');
            tok->state = S_COMMENT_LT;
            return p + 1;
        }
        if (c == '-') {
            tok->state = S_COMMENT_END_DASH;
            return p + 1;
        }
        put_char(tok, p, c);
    }
    return p;
}

/* The short comment states around the body: start, "<!--" nesting checks, the end dashes. */
static size_t st_comment_edges(omote_html_tokenizer_t *tok, size_t p, int c)
{
    switch (tok->state) {
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
        if (c == '-') {
            tok->state = tok->state == S_COMMENT_START ? S_COMMENT_START_DASH : S_COMMENT_END;
            return p + 1;
        }
        if (c == '>') {
            emit_other(tok, p + 1);
            return p + 1;
        }
        if (tok->state == S_COMMENT_START_DASH)
            put(tok, '-');
        tok->state = S_COMMENT;
        return p;
    case S_COMMENT_LT:
        if (c == '!') {
            put(tok, '!');
            tok->state = S_COMMENT_LT_BANG;
            return p + 1;
        }
        if (c == '<') {
            put(tok, '<');
            return p + 1;
        }
        tok->state = S_COMMENT;
        return p;
    case S_COMMENT_LT_BANG:
        tok->state = c == '-' ? S_COMMENT_LT_BANG_DASH : S_COMMENT;
        return c == '-' ? p + 1 : p;
    case S_COMMENT_LT_BANG_DASH:
        tok->state = c == '-' ? S_COMMENT_LT_BANG_DASH_DASH : S_COMMENT_END_DASH;
        return c == '-' ? p + 1 : p;
    case S_COMMENT_LT_BANG_DASH_DASH:
        tok->state = S_COMMENT_END; /* "<!--" nested: a parse error only */
        return p;
    case S_COMMENT_END_DASH:
        if (c == '-') {
            tok->state = S_COMMENT_END;
            return p + 1;
        }
        put(tok, '-');
        tok->state = S_COMMENT;
        return p;
    case S_COMMENT_END:
        if (c == '>') {
            emit_other(tok, p + 1);
            return p + 1;
        }
        if (c == '!') {
            tok->state = S_COMMENT_END_BANG;
            return p + 1;
        }
        if (c == '-') {
            put(tok, '-');
            return p + 1;
        }
        put_bytes(tok, "--", 2);
        tok->state = S_COMMENT;
        return p;
    default: /* S_COMMENT_END_BANG */
        if (c == '>') {
            emit_other(tok, p + 1);
            return p + 1;
        }
        put_bytes(tok, "--!", 3);
        if (c == '-') {
            tok->state = S_COMMENT_END_DASH;
            return p + 1;
        }
        tok->state = S_COMMENT;
        return p;
    }
}

/* ---- DOCTYPE ---- */

static size_t doctype_fail(omote_html_tokenizer_t *tok, size_t p, int force_quirks)
{
    tok->force_quirks |= force_quirks;
    tok->state = S_BOGUS_DOCTYPE;
    return p;
}

static size_t doctype_end(omote_html_tokenizer_t *tok, size_t p, int force_quirks)
{
    tok->force_quirks |= force_quirks;
    emit_other(tok, p + 1);
    return p + 1;
}

static size_t begin_id(omote_html_tokenizer_t *tok, size_t p, int c, int is_public)
{
    if (is_public) {
        tok->has_pub = 1;
        tok->pub_off = tok->sb_len;
        tok->flen = &tok->pub_len;
        tok->state = c == '"' ? S_DOCTYPE_PUBLIC_ID_DQ : S_DOCTYPE_PUBLIC_ID_SQ;
    } else {
        tok->has_sys = 1;
        tok->sys_off = tok->sb_len;
        tok->flen = &tok->sys_len;
        tok->state = c == '"' ? S_DOCTYPE_SYSTEM_ID_DQ : S_DOCTYPE_SYSTEM_ID_SQ;
    }
    return p + 1;
}

static size_t st_doctype_name(omote_html_tokenizer_t *tok, size_t p)
{
    for (; p < tok->len; ++p) {
        unsigned char c = tok->s[p];
        if (IS_WS(c)) {
            tok->flen = NULL;
            tok->state = S_AFTER_DOCTYPE_NAME;
            tok->tmp_len = 0;
            return p + 1;
        } else if (c == '>') {
            return doctype_end(tok, p, 0);
        } else if (c == 0) {
            put_bytes(tok, "\xEF\xBF\xBD", 3);
        } else {
            put(tok, (unsigned char)LOWER(c));
        }
    }
    return p;
}

static size_t st_doctype_id(omote_html_tokenizer_t *tok, size_t p)
{
    unsigned char quote = tok->state == S_DOCTYPE_PUBLIC_ID_DQ || tok->state == S_DOCTYPE_SYSTEM_ID_DQ ? '"' : '\'';
    int is_public = tok->state == S_DOCTYPE_PUBLIC_ID_DQ || tok->state == S_DOCTYPE_PUBLIC_ID_SQ;
    unsigned stop = (quote == '"' ? K_DQ : K_SQ) | K_GT | K_CRLF | K_NUL;
    for (; (p = put_run(tok, p, stop)) < tok->len; ++p) {
        unsigned char c = tok->s[p];
        if (c == quote) {
            tok->flen = NULL;
            tok->state = is_public ? S_AFTER_DOCTYPE_PUBLIC_ID : S_AFTER_DOCTYPE_SYSTEM_ID;
            return p + 1;
        }
        if (c == '>')
            return doctype_end(tok, p, 1);
        put_char(tok, p, c);
    }
    return p;
}

/* After the DOCTYPE name: "PUBLIC" or "SYSTEM", matched a byte at a time across chunks. A failed
 * match goes to the bogus DOCTYPE state, which ignores the letters already matched anyway. */
static size_t st_after_doctype_name(omote_html_tokenizer_t *tok, size_t p, int c)
{
    if (tok->tmp_len == 0) {
        if (IS_WS(c))
            return p + 1;
        if (c == '>')
            return doctype_end(tok, p, 0);
        if (LOWER(c) == 'p')
            tok->kw = "public";
        else if (LOWER(c) == 's')
            tok->kw = "system";
        else
            return doctype_fail(tok, p, 1);
        tok->tmp_len = 1;
        return p + 1;
    }
    if (LOWER(c) != tok->kw[tok->tmp_len])
        return doctype_fail(tok, p, 1);
    if (++tok->tmp_len == 6)
        tok->state = tok->kw[0] == 'p' ? S_AFTER_DOCTYPE_PUBLIC_KW : S_AFTER_DOCTYPE_SYSTEM_KW;
    return p + 1;
}

/* The DOCTYPE states around the name and identifiers, each a few lines of the spec. */
static size_t st_doctype_misc(omote_html_tokenizer_t *tok, size_t p, int c)
{
    switch (tok->state) {
    case S_DOCTYPE:
        tok->state = S_BEFORE_DOCTYPE_NAME;
        return IS_WS(c) ? p + 1 : p;
    case S_BEFORE_DOCTYPE_NAME:
        if (IS_WS(c))
            return p + 1;
        if (c == '>')
            return doctype_end(tok, p, 1);
        tok->has_name = 1;
        tok->name_off = tok->sb_len;
        tok->flen = &tok->name_len;
        tok->state = S_DOCTYPE_NAME;
        return p;
    case S_AFTER_DOCTYPE_PUBLIC_KW:
    case S_AFTER_DOCTYPE_SYSTEM_KW:
        /* as the "before identifier" states, except that whitespace moves on: a quote right
         * after the keyword is only a parse error */
        if (IS_WS(c)) {
            tok->state = tok->state == S_AFTER_DOCTYPE_PUBLIC_KW ? S_BEFORE_DOCTYPE_PUBLIC_ID : S_BEFORE_DOCTYPE_SYSTEM_ID;
            return p + 1;
        }
        /* fall through */
    case S_BEFORE_DOCTYPE_PUBLIC_ID:
    case S_BEFORE_DOCTYPE_SYSTEM_ID:
        if (IS_WS(c))
            return p + 1;
        if (c == '"' || c == '\'')
            return begin_id(tok, p, c, tok->state == S_AFTER_DOCTYPE_PUBLIC_KW || tok->state == S_BEFORE_DOCTYPE_PUBLIC_ID);
        if (c == '>')
            return doctype_end(tok, p, 1);
        return doctype_fail(tok, p, 1);
    case S_AFTER_DOCTYPE_PUBLIC_ID:
    case S_BETWEEN_DOCTYPE_IDS:
        if (IS_WS(c)) {
            tok->state = S_BETWEEN_DOCTYPE_IDS;
            return p + 1;
        }
        if (c == '>')
            return doctype_end(tok, p, 0);
        if (c == '"' || c == '\'')
            return begin_id(tok, p, c, 0);
        return doctype_fail(tok, p, 1);
    case S_AFTER_DOCTYPE_SYSTEM_ID:
        if (IS_WS(c))
            return p + 1;
        if (c == '>')
            return doctype_end(tok, p, 0);
        return doctype_fail(tok, p, 0);
    default: /* S_BOGUS_DOCTYPE */
        for (; p < tok->len; ++p)
            if (tok->s[p] == '>')
                return doctype_end(tok, p, 0);
        return p;
    }
}

/* ---- character references ---- */

/* The names in [lo, hi) of the table that start with the byte `c`. */
static void entity_range(unsigned char c, size_t *lo, size_t *hi)
{
    size_t a = 0, b = omote_html_num_entities;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if ((unsigned char)omote_html_entities[mid].name[0] < c)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    for (b = omote_html_num_entities; a < b;) {
        size_t mid = (a + b) / 2;
        if ((unsigned char)omote_html_entities[mid].name[0] <= c)
            a = mid + 1;
        else
            b = mid;
    }
    *hi = a;
}

/* The entry named `name` among entries [lo, hi) of the table, or NULL. */
static const omote_html_entity_t *entity_find(const char *name, size_t len, size_t lo, size_t hi)
{
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const omote_html_entity_t *e = &omote_html_entities[mid];
        size_t i, n = e->name_len < len ? e->name_len : len;
        int cmp = 0;
        /* names are short and most probes differ in the first byte or two: no memcmp call */
        for (i = 0; i < n && cmp == 0; ++i)
            cmp = (unsigned char)e->name[i] - (unsigned char)name[i];
        if (cmp == 0)
            cmp = e->name_len < len ? -1 : e->name_len > len;
        if (cmp == 0)
            return e;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int in_attr(omote_html_tokenizer_t *tok)
{
    return tok->return_state >= S_ATTR_VALUE_DQ && tok->return_state <= S_ATTR_VALUE_UQ;
}

/* The reference "&" + ref[] ends before `p` and is literal text after all. */
static size_t ref_literal(omote_html_tokenizer_t *tok, size_t p)
{
    if (in_attr(tok)) {
        put(tok, '&');
        put_bytes(tok, tok->ref, tok->ref_len);
    } else {
        construct_is_text(tok, p);
    }
    tok->state = tok->return_state;
    return p;
}

/* The reference ends before `p` and stands for refout[]. */
static size_t ref_decoded(omote_html_tokenizer_t *tok, size_t p)
{
    if (in_attr(tok))
        put_bytes(tok, tok->refout, tok->refout_len);
    else
        emit_construct(tok, p, OMOTE_HTML_CHARACTERS);
    tok->state = tok->return_state;
    return p;
}

/*
 * Named character reference: ref[] holds the run of ASCII alphanumerics after '&' (at most one
 * more than any name, so the run can stop being held as soon as no name can match); `next` is
 * the byte after it, -1 at EOF. The spec's longest match is the longest prefix of the run that is
 * a name, or the whole run plus a following ';'. What is left of the run is literal text, which
 * the spec would reconsume in the return state to the same effect.
 */
static size_t resolve_named(omote_html_tokenizer_t *tok, size_t p, int next)
{
    const omote_html_entity_t *e = NULL;
    size_t k = tok->ref_len, lo = 0, hi = 0;
    int with_semi = 0, after;

    /* "&amp;" is most of the references in markup (every '&' of a URL in an attribute): it
     * needs no table search, and srcset-heavy pages hold thousands of them */
    if (next == ';' && k == 3 && memcmp(tok->ref, "amp", 3) == 0) {
        tok->refout[0] = '&';
        tok->refout_len = 1;
        return ref_decoded(tok, p + 1);
    }
    /* common in URLs ("?a=1&b=2"): most runs name nothing, and every prefix is looked up, so the
     * lookups are confined to the names that share the run's first byte */
    if (k != 0)
        entity_range((unsigned char)tok->ref[0], &lo, &hi);
    if (next == ';' && k != 0) {
        tok->ref[k] = ';';
        if ((e = entity_find(tok->ref, k + 1, lo, hi)) != NULL)
            with_semi = 1;
    }
    /* without ';' only a legacy name can match, and none is longer than this */
    if (e == NULL && k > OMOTE_HTML_ENTITY_MAX_LEGACY_NAME)
        k = OMOTE_HTML_ENTITY_MAX_LEGACY_NAME;
    for (; e == NULL && k > 0; --k)
        if ((e = entity_find(tok->ref, k, lo, hi)) != NULL)
            break;
    if (e == NULL)
        return ref_literal(tok, p);
    after = k < tok->ref_len ? (unsigned char)tok->ref[k] : next;
    if (!with_semi && in_attr(tok) && (after == '=' || IS_ALNUM(after)))
        return ref_literal(tok, p); /* historical: "&not=" and "&notit" in a URL stay as written */
    memcpy(tok->refout, e->value, e->value_len);
    memcpy(tok->refout + e->value_len, tok->ref + k, tok->ref_len - k);
    tok->refout_len = e->value_len + tok->ref_len - k;
    return ref_decoded(tok, with_semi ? p + 1 : p);
}

static size_t st_named_ref(omote_html_tokenizer_t *tok, size_t p)
{
    for (; p < tok->len; ++p) {
        unsigned char c = tok->s[p];
        if (!IS_ALNUM(c) || tok->ref_len == OMOTE_HTML_ENTITY_MAX_NAME)
            return resolve_named(tok, p, c);
        tok->ref[tok->ref_len++] = (char)c;
    }
    return p;
}

static size_t utf8_encode(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Numeric character reference end state: the spec's replacements, then UTF-8. */
static size_t numeric_done(omote_html_tokenizer_t *tok, size_t p)
{
    /* windows-1252's meaning of 0x80-0x9F, which legacy pages write as &#128; and so on */
    static const uint16_t c1[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
    uint32_t cp = tok->ref_code;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    else if (cp >= 0x80 && cp <= 0x9F)
        cp = c1[cp - 0x80];
    tok->refout_len = utf8_encode(tok->refout, cp);
    return ref_decoded(tok, p);
}

static size_t st_numeric_digits(omote_html_tokenizer_t *tok, size_t p)
{
    int hex = tok->state == S_HEX_REF;
    for (; p < tok->len; ++p) {
        unsigned char c = tok->s[p];
        uint32_t d;
        if (hex && IS_HEX(c))
            d = IS_DIGIT(c) ? c - '0' : (LOWER(c) - 'a' + 10);
        else if (!hex && IS_DIGIT(c))
            d = c - '0';
        else
            return numeric_done(tok, c == ';' ? p + 1 : p);
        tok->ref_code = tok->ref_code * (hex ? 16 : 10) + d;
        if (tok->ref_code > 0x10FFFF)
            tok->ref_code = 0x110000; /* stays out of range however many digits follow */
    }
    return p;
}

static size_t st_charref_start(omote_html_tokenizer_t *tok, size_t p, int c)
{
    switch (tok->state) {
    case S_CHARREF:
        tok->ref_len = 0;
        if (IS_ALNUM(c)) {
            tok->state = S_NAMED_REF;
            return p;
        }
        if (c != '#')
            return ref_literal(tok, p);
        tok->ref[tok->ref_len++] = '#';
        tok->state = S_NUMERIC_REF;
        return p + 1;
    case S_NUMERIC_REF:
        tok->ref_code = 0;
        if (c == 'x' || c == 'X') {
            tok->ref[tok->ref_len++] = (char)c;
            tok->state = S_HEX_REF_START;
            return p + 1;
        }
        tok->state = S_DEC_REF_START;
        return p;
    default: /* S_HEX_REF_START, S_DEC_REF_START */
        if (tok->state == S_HEX_REF_START ? IS_HEX(c) : IS_DIGIT(c)) {
            tok->state = tok->state == S_HEX_REF_START ? S_HEX_REF : S_DEC_REF;
            return p;
        }
        return ref_literal(tok, p); /* "&#" or "&#x" with no digits */
    }
}

/* ---- CDATA section (entered only through omote_html_tokenizer_set_state) ---- */

static size_t st_cdata(omote_html_tokenizer_t *tok, size_t p, int c)
{
    const unsigned char *hit;
    switch (tok->state) {
    case S_CDATA:
        if ((hit = memchr(tok->s + p, ']', tok->len - p)) == NULL)
            return tok->len;
        p = (size_t)(hit - tok->s);
        start_construct(tok, p);
        tok->state = S_CDATA_BRACKET;
        return p + 1;
    case S_CDATA_BRACKET:
        if (c == ']') {
            tok->state = S_CDATA_END;
            return p + 1;
        }
        break;
    default: /* S_CDATA_END */
        if (c == '>') {
            emit_construct(tok, p + 1, OMOTE_HTML_DROPPED);
            tok->state = tok->content = S_DATA;
            return p + 1;
        }
        if (c != ']')
            break;
        /* "]]]": the first ']' is text, the construct moves on by one */
        if (tok->in_carry) {
            emit_text(tok, tok->carry, 1);
            memmove(tok->carry, tok->carry + 1, --tok->carry_len);
            tok->in_carry = tok->carry_len != 0;
        } else {
            ++tok->mstart;
        }
        return p + 1;
    }
    construct_is_text(tok, p);
    tok->state = S_CDATA;
    return p;
}

/* ---- the state machine ---- */

static size_t step(omote_html_tokenizer_t *tok, size_t p)
{
    int c;

    if (tok->state <= S_PLAINTEXT)
        return st_text(tok, p);
    if (tok->state >= S_TAG_NAME && tok->state <= S_SELF_CLOSING)
        return st_tag(tok, p);
    c = tok->s[p];
    if (c == '\n' && prev_is_cr(tok, p))
        return p + 1; /* CRLF is one newline, and the CR was it */
    if (c == '\r')
        c = '\n';

    switch (tok->state) {
    case S_SCRIPT_ESC_START:
    case S_SCRIPT_ESC_START_DASH:
        if (c != '-') {
            tok->state = S_SCRIPT;
            return p;
        }
        tok->state = tok->state == S_SCRIPT_ESC_START ? S_SCRIPT_ESC_START_DASH : S_SCRIPT_ESC_DASH_DASH;
        return p + 1;
    case S_SCRIPT_ESC:
    case S_SCRIPT_ESC_DASH:
    case S_SCRIPT_ESC_DASH_DASH:
    case S_SCRIPT_DESC_START:
    case S_SCRIPT_DESC:
    case S_SCRIPT_DESC_DASH:
    case S_SCRIPT_DESC_DASH_DASH:
    case S_SCRIPT_DESC_LT:
    case S_SCRIPT_DESC_END:
        return st_script_escaped(tok, p, c);
    case S_CDATA:
    case S_CDATA_BRACKET:
    case S_CDATA_END:
        return st_cdata(tok, p, c);
    case S_TAG_OPEN:
        if (c == '!') {
            tok->tmp_len = 0;
            tok->state = S_MARKUP_DECL;
            return p + 1;
        }
        if (c == '/') {
            tok->state = S_END_TAG_OPEN;
            return p + 1;
        }
        if (IS_ALPHA(c)) {
            begin_token(tok, OMOTE_HTML_START_TAG);
            tok->state = S_TAG_NAME;
        } else if (c == '?') {
            begin_token(tok, OMOTE_HTML_COMMENT);
            tok->state = S_BOGUS_COMMENT;
        } else {
            construct_is_text(tok, p);
            tok->state = S_DATA;
        }
        return p;
    case S_END_TAG_OPEN:
        if (IS_ALPHA(c)) {
            begin_token(tok, OMOTE_HTML_END_TAG);
            tok->state = S_TAG_NAME;
            return p;
        }
        if (c == '>') {
            emit_construct(tok, p + 1, OMOTE_HTML_DROPPED); /* "</>": no token at all */
            tok->state = S_DATA;
            return p + 1;
        }
        begin_token(tok, OMOTE_HTML_COMMENT);
        tok->state = S_BOGUS_COMMENT;
        return p;
    case S_RCDATA_LT:
    case S_RAWTEXT_LT:
    case S_SCRIPT_LT:
    case S_SCRIPT_ESC_LT:
        return st_text_lt(tok, p, c);
    case S_RCDATA_END_OPEN:
    case S_RAWTEXT_END_OPEN:
    case S_SCRIPT_END_OPEN:
    case S_SCRIPT_ESC_END_OPEN:
        return st_text_end_open(tok, p, c);
    case S_RCDATA_END_NAME:
    case S_RAWTEXT_END_NAME:
    case S_SCRIPT_END_NAME:
        return st_end_tag_name(tok, p, c, tok->content);
    case S_SCRIPT_ESC_END_NAME:
        return st_end_tag_name(tok, p, c, S_SCRIPT_ESC);
    case S_MARKUP_DECL:
        return st_markup_decl(tok, p, c);
    case S_BOGUS_COMMENT:
        return st_bogus_comment(tok, p);
    case S_COMMENT:
        return st_comment_body(tok, p);
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
    case S_COMMENT_LT:
    case S_COMMENT_LT_BANG:
    case S_COMMENT_LT_BANG_DASH:
    case S_COMMENT_LT_BANG_DASH_DASH:
    case S_COMMENT_END_DASH:
    case S_COMMENT_END:
    case S_COMMENT_END_BANG:
        return st_comment_edges(tok, p, c);
    case S_DOCTYPE_NAME:
        return st_doctype_name(tok, p);
    case S_AFTER_DOCTYPE_NAME:
        return st_after_doctype_name(tok, p, c);
    case S_DOCTYPE_PUBLIC_ID_DQ:
    case S_DOCTYPE_PUBLIC_ID_SQ:
    case S_DOCTYPE_SYSTEM_ID_DQ:
    case S_DOCTYPE_SYSTEM_ID_SQ:
        return st_doctype_id(tok, p);
    case S_DOCTYPE:
    case S_BEFORE_DOCTYPE_NAME:
    case S_AFTER_DOCTYPE_PUBLIC_KW:
    case S_BEFORE_DOCTYPE_PUBLIC_ID:
    case S_AFTER_DOCTYPE_PUBLIC_ID:
    case S_BETWEEN_DOCTYPE_IDS:
    case S_AFTER_DOCTYPE_SYSTEM_KW:
    case S_BEFORE_DOCTYPE_SYSTEM_ID:
    case S_AFTER_DOCTYPE_SYSTEM_ID:
    case S_BOGUS_DOCTYPE:
        return st_doctype_misc(tok, p, c);
    case S_CHARREF:
    case S_NUMERIC_REF:
    case S_HEX_REF_START:
    case S_DEC_REF_START:
        return st_charref_start(tok, p, c);
    case S_NAMED_REF:
        return st_named_ref(tok, p);
    case S_HEX_REF:
    case S_DEC_REF:
        return st_numeric_digits(tok, p);
    }
    return p + 1; /* not reached */
}

/* The end of input in each state, as the spec's EOF rules say. */
static void run_eof(omote_html_tokenizer_t *tok)
{
    size_t p = tok->len;
    while (!tok->stopped) {
        int st = tok->state;
        if (st <= S_CDATA) {
            flush_text(tok, p);
            return;
        }
        if (st <= S_CDATA_END) { /* "<", "</", "</ti", "]]": text after all */
            construct_is_text(tok, p);
            tok->state =
                st == S_SCRIPT_ESC_LT || st == S_SCRIPT_ESC_END_OPEN || st == S_SCRIPT_ESC_END_NAME ? S_SCRIPT_ESC : tok->content;
        } else if (st <= S_SELF_CLOSING) { /* eof-in-tag: the spec drops the tag */
            emit_construct(tok, p, OMOTE_HTML_DROPPED);
            return;
        } else if (st == S_MARKUP_DECL) {
            begin_token(tok, OMOTE_HTML_COMMENT);
            put_bytes(tok, tok->tmp, tok->tmp_len);
            emit_other(tok, p);
            return;
        } else if (st <= S_COMMENT_END_BANG) {
            emit_other(tok, p);
            return;
        } else if (st <= S_BOGUS_DOCTYPE) {
            tok->force_quirks |= st != S_BOGUS_DOCTYPE;
            emit_other(tok, p);
            return;
        } else if (st == S_NAMED_REF) {
            resolve_named(tok, p, -1);
        } else if (st == S_HEX_REF || st == S_DEC_REF) {
            numeric_done(tok, p);
        } else { /* S_CHARREF, S_NUMERIC_REF, S_HEX_REF_START, S_DEC_REF_START */
            ref_literal(tok, p);
        }
    }
}

/*
 * A construct that may still turn out to be text is short by construction: "<", "</" and at most
 * the appropriate end tag's name, "]]", or (decode_text only) a character reference in text. The
 * carry bound applies to the others; these are always carried, so that they never become
 * OVERSIZED and text stays text whatever the chunking. The one unbounded case is the digit run of
 * a numeric reference with decode_text, which only the conformance tests set.
 */
static int may_be_text(omote_html_tokenizer_t *tok)
{
    return (tok->state >= S_TAG_OPEN && tok->state <= S_CDATA_END) || (tok->state >= S_CHARREF && !in_attr(tok));
}

/* Not the end of input: deliver the pending text and keep the construct for the next chunk. */
static void end_chunk(omote_html_tokenizer_t *tok)
{
    size_t n;
    if (!tok->in_construct) {
        flush_text(tok, tok->len);
        return;
    }
    flush_text(tok, tok->mstart);
    n = tok->len - tok->mstart;
    if (tok->os_mode) {
        emit_part(tok, (const char *)tok->s + tok->mstart, n, 0);
    } else if (tok->carry_len + n > tok->opts.max_carry_bytes && !may_be_text(tok)) {
        emit_part(tok, tok->carry, tok->carry_len, 0);
        emit_part(tok, (const char *)tok->s + tok->mstart, n, 0);
        tok->carry_len = 0;
        tok->in_carry = 0;
        tok->os_mode = 1;
    } else if (n != 0) {
        carry_append(tok, tok->s + tok->mstart, n);
        tok->in_carry = 1;
    }
}

omote_html_tokenizer_t *omote_html_tokenizer_create(const omote_html_options_t *options)
{
    omote_html_tokenizer_t *tok = xrealloc(NULL, sizeof(*tok));
    memset(tok, 0, sizeof(*tok));
    if (options != NULL)
        tok->opts = *options;
    if (tok->opts.max_carry_bytes == 0)
        tok->opts.max_carry_bytes = 64 * 1024;
    if (tok->opts.max_attrs == 0)
        tok->opts.max_attrs = 64;
    if (tok->opts.decode_text)
        tok->opts.merge_text = 0;
    tok->state = tok->content = S_DATA;
    /* never NULL: an empty name or comment is still "sb + 0", which must point at something */
    tok->sb = xrealloc(NULL, 256);
    tok->sb_cap = 256;
    return tok;
}

void omote_html_tokenizer_free(omote_html_tokenizer_t *tok)
{
    if (tok == NULL)
        return;
    free(tok->carry);
    free(tok->sb);
    free(tok->attrs);
    free(tok->out_attrs);
    free(tok->tbuf);
    free(tok);
}

void omote_html_tokenizer_set_state(omote_html_tokenizer_t *tok, omote_html_state_t state, const char *last_start_tag)
{
    static const int map[] = {S_DATA, S_RCDATA, S_RAWTEXT, S_SCRIPT, S_PLAINTEXT, S_CDATA};
    size_t n = last_start_tag != NULL ? strlen(last_start_tag) : 0;
    tok->state = tok->content = map[state];
    tok->last_start_len = n < sizeof(tok->last_start) ? n : 0;
    memcpy(tok->last_start, last_start_tag != NULL ? last_start_tag : "", tok->last_start_len);
}

int omote_html_tokenizer_feed(omote_html_tokenizer_t *tok, const char *chunk, size_t len, int is_final, omote_html_token_cb cb,
                              void *ctx)
{
    size_t p = 0;
    if (tok->stopped)
        return -1;
    tok->s = (const unsigned char *)(chunk != NULL ? chunk : "");
    tok->len = chunk != NULL ? len : 0;
    tok->cb = cb;
    tok->ctx = ctx;
    tok->tstart = tok->mstart = 0;
    tok->construct_carried = tok->in_construct;
    while (p < tok->len && !tok->stopped)
        p = step(tok, p);
    if (!tok->stopped) {
        if (is_final)
            run_eof(tok);
        else
            end_chunk(tok);
    }
    if (tok->len != 0)
        tok->prev_cr = tok->s[tok->len - 1] == '\r';
    return tok->stopped ? -1 : 0;
}

void omote_html_tokenizer_set_merge_end_tags(omote_html_tokenizer_t *tok, int on)
{
    tok->merge_end_tags = on && !tok->opts.decode_text;
}

size_t omote_html_tokenizer_carried(const omote_html_tokenizer_t *tok)
{
    return tok->carry_len;
}
