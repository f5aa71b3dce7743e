/*
 * Tests for the streaming HTML tokenizer: our own cases, the streaming property (any split of the
 * input gives the same tokens, and the tokens' raw bytes are the input), and the html5lib
 * tokenizer suite from ../shared/testdata.
 */
#include "omote/html_tokenizer.h"
#include "html/internal.h"
#include "tap.h"
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HTML5LIB_DIR "../shared/testdata/html5lib-tokenizer"

/* ---- collecting tokens as html5lib-style JSON ---- */

struct collector {
    json_t *tokens;
    char *chars, *raw, *oversized;
    size_t chars_len, raw_len, oversized_len;
    int for_html5lib; /* drop what the html5lib format has no place for (duplicates, DROPPED) */
    int stop_after;   /* ask the tokenizer to stop after this many tokens (0: never) */
    int count;
    size_t max_carried;
    omote_html_tokenizer_t *tok;
    /* the lean view: end tags as their raw text, and attributes only of the tags lean_wants wants,
     * so that a lean run (wants_attributes, merge_text, merge_end_tags) compares with a full one */
    int lean_view;
    int lean_bad; /* a lean run skipped attributes it should not have, or kept some it should have skipped */
};

/* the tags a lean run reads attributes of */
static int lean_wants(void *ctx, const char *name, size_t len)
{
    return len != 0 && name[0] == 'a';
}

static void append(char **buf, size_t *len, const char *b, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    if (n != 0)
        memcpy(*buf + *len, b, n);
    *len += n;
}

static json_t *jstr(const char *b, size_t n)
{
    return json_stringn_nocheck(b != NULL ? b : "", n);
}

static json_t *jstr_or_null(omote_html_str_t s)
{
    return s.base != NULL ? jstr(s.base, s.len) : json_null();
}

static void flush_chars(struct collector *c)
{
    if (c->chars_len == 0)
        return;
    json_array_append_new(c->tokens, json_pack("[so]", "Character", jstr(c->chars, c->chars_len)));
    c->chars_len = 0;
}

static int on_token(void *ctx, const omote_html_token_t *t)
{
    struct collector *c = ctx;
    json_t *attrs;
    size_t i;

    if (t->text_before.len != 0) {
        if (t->text_before.base + t->text_before.len != t->raw)
            c->lean_bad = 1;
        append(&c->raw, &c->raw_len, t->text_before.base, t->text_before.len);
        append(&c->chars, &c->chars_len, t->text_before.base, t->text_before.len);
    }
    append(&c->raw, &c->raw_len, t->raw, t->raw_len);
    if (c->tok != NULL && omote_html_tokenizer_carried(c->tok) > c->max_carried)
        c->max_carried = omote_html_tokenizer_carried(c->tok);
    if (t->attrs_skipped && (t->num_attrs != 0 || (t->kind == OMOTE_HTML_START_TAG && lean_wants(NULL, t->name.base, t->name.len))))
        c->lean_bad = 1;
    if (c->lean_view && t->kind == OMOTE_HTML_END_TAG) {
        append(&c->chars, &c->chars_len, t->raw, t->raw_len);
        return 0;
    }
    if (t->kind == OMOTE_HTML_CHARACTERS) {
        append(&c->chars, &c->chars_len, t->data.base, t->data.len);
        return c->stop_after != 0 && ++c->count >= c->stop_after;
    }
    if (t->kind == OMOTE_HTML_DROPPED && c->for_html5lib)
        return 0;
    flush_chars(c);
    switch (t->kind) {
    case OMOTE_HTML_START_TAG:
    case OMOTE_HTML_END_TAG:
        attrs = json_object();
        for (i = 0; i < t->num_attrs && !(c->lean_view && !lean_wants(NULL, t->name.base, t->name.len)); ++i) {
            char *name;
            if (t->attrs[i].is_duplicate && c->for_html5lib)
                continue;
            /* a duplicate stays visible in our own comparisons as "!name" */
            name = malloc(t->attrs[i].name.len + 2);
            name[0] = '!';
            memcpy(name + 1, t->attrs[i].name.base, t->attrs[i].name.len);
            name[t->attrs[i].name.len + 1] = '\0';
            json_object_set_new_nocheck(attrs, name + !t->attrs[i].is_duplicate,
                                        jstr(t->attrs[i].value.base, t->attrs[i].value.len));
            free(name);
        }
        if (t->kind == OMOTE_HTML_END_TAG) {
            json_array_append_new(c->tokens, json_pack("[so]", "EndTag", jstr(t->name.base, t->name.len)));
            json_decref(attrs);
        } else if (t->self_closing) {
            json_array_append_new(c->tokens, json_pack("[sooo]", "StartTag", jstr(t->name.base, t->name.len), attrs, json_true()));
        } else {
            json_array_append_new(c->tokens, json_pack("[soo]", "StartTag", jstr(t->name.base, t->name.len), attrs));
        }
        break;
    case OMOTE_HTML_COMMENT:
        json_array_append_new(c->tokens, json_pack("[so]", "Comment", jstr(t->data.base, t->data.len)));
        break;
    case OMOTE_HTML_DOCTYPE:
        json_array_append_new(c->tokens, json_pack("[soooo]", "DOCTYPE", jstr_or_null(t->name), jstr_or_null(t->public_id),
                                                   jstr_or_null(t->system_id), json_boolean(!t->force_quirks)));
        break;
    case OMOTE_HTML_DROPPED:
        json_array_append_new(c->tokens, json_pack("[so]", "Dropped", jstr(t->raw, t->raw_len)));
        break;
    case OMOTE_HTML_OVERSIZED:
        /* parts depend on where the chunks end; the run of them does not */
        append(&c->oversized, &c->oversized_len, t->raw, t->raw_len);
        if (t->is_last_part) {
            json_array_append_new(c->tokens, json_pack("[so]", "Oversized", jstr(c->oversized, c->oversized_len)));
            c->oversized_len = 0;
        }
        break;
    default:
        break;
    }
    return c->stop_after != 0 && ++c->count >= c->stop_after;
}

struct run_opts {
    omote_html_options_t options;
    omote_html_state_t state;
    const char *last_start_tag;
    int for_html5lib;
    int lean_view, lean_tok; /* see struct collector; lean_tok: run with the lean options */
};

/*
 * Tokenizes `in` cut at `cuts` (ascending, inside the input); each chunk is a fresh heap copy so
 * that ASan catches a pointer kept into a chunk. Returns the tokens (new reference), and sets
 * *raw_ok if the raw bytes concatenate to the input.
 */
static json_t *tokenize(const char *in, size_t len, const size_t *cuts, size_t num_cuts, const struct run_opts *o, int *raw_ok,
                        size_t *max_carried)
{
    struct collector c = {json_array()};
    omote_html_options_t options = o->options;
    omote_html_tokenizer_t *tok;
    size_t i, from = 0;

    if (o->lean_tok) {
        options.wants_attributes = lean_wants;
        options.merge_text = 1;
    }
    tok = omote_html_tokenizer_create(&options);
    if (o->lean_tok)
        omote_html_tokenizer_set_merge_end_tags(tok, 1);
    c.for_html5lib = o->for_html5lib;
    c.lean_view = o->lean_view;
    c.tok = tok;
    if (o->state != OMOTE_HTML_STATE_DATA || o->last_start_tag != NULL)
        omote_html_tokenizer_set_state(tok, o->state, o->last_start_tag);
    for (i = 0; i <= num_cuts; ++i) {
        size_t to = i < num_cuts ? cuts[i] : len;
        char *chunk = malloc(to - from + 1);
        memcpy(chunk, in + from, to - from);
        omote_html_tokenizer_feed(tok, chunk, to - from, i == num_cuts, on_token, &c);
        free(chunk);
        from = to;
    }
    flush_chars(&c);
    *raw_ok = c.raw_len == len && (len == 0 || memcmp(c.raw, in, len) == 0) && !c.lean_bad;
    if (max_carried != NULL)
        *max_carried = c.max_carried;
    omote_html_tokenizer_free(tok);
    free(c.chars);
    free(c.raw);
    free(c.oversized);
    return c.tokens;
}

static json_t *tokenize_whole(const char *in, size_t len, const struct run_opts *o, int *raw_ok)
{
    return tokenize(in, len, NULL, 0, o, raw_ok, NULL);
}

/* Merges adjacent Character tokens of an expected list (html5lib splits them freely). */
static json_t *merge_expected(json_t *list)
{
    json_t *out = json_array(), *t;
    size_t i;
    char *chars = NULL;
    size_t chars_len = 0;
    int have_chars = 0;

    json_array_foreach(list, i, t)
    {
        const char *kind = json_string_value(json_array_get(t, 0));
        if (json_is_string(t) || kind == NULL)
            continue; /* old-style "ParseError" entries */
        if (strcmp(kind, "Character") == 0) {
            json_t *d = json_array_get(t, 1);
            append(&chars, &chars_len, json_string_value(d), json_string_length(d));
            have_chars = 1;
            continue;
        }
        if (have_chars && chars_len != 0)
            json_array_append_new(out, json_pack("[so]", "Character", jstr(chars, chars_len)));
        chars_len = 0;
        have_chars = 0;
        if (strcmp(kind, "StartTag") == 0 && json_array_size(t) == 4 && !json_is_true(json_array_get(t, 3))) {
            json_array_append_new(out, json_pack("[sOO]", "StartTag", json_array_get(t, 1), json_array_get(t, 2)));
            continue;
        }
        json_array_append(out, t);
    }
    if (chars_len != 0)
        json_array_append_new(out, json_pack("[so]", "Character", jstr(chars, chars_len)));
    free(chars);
    return out;
}

/* ---- the streaming property ---- */

/* Every split of `in` into two, byte by byte, and whole must give `whole`'s tokens and raw. */
static int check_streaming(const char *in, size_t len, const struct run_opts *o, json_t *whole, char *why, size_t why_size)
{
    size_t *cuts = malloc((len + 1) * sizeof(*cuts)), i, carried;
    int raw_ok, same;
    json_t *got;

    for (i = 1; i < len; ++i)
        cuts[i - 1] = i;
    got = tokenize(in, len, cuts, len > 0 ? len - 1 : 0, o, &raw_ok, &carried);
    same = json_equal(got, whole);
    json_decref(got);
    if (!same || !raw_ok) {
        snprintf(why, why_size, "byte by byte: %s", !same ? "tokens differ" : "raw differs");
        free(cuts);
        return 0;
    }
    /* what may still be text is carried whatever the bound: at most "</" and a 64-byte name */
    if (o->options.max_carry_bytes != 0 && carried > o->options.max_carry_bytes && carried > 66) {
        snprintf(why, why_size, "carried %zu bytes", carried);
        free(cuts);
        return 0;
    }
    for (i = 0; i <= len; ++i) {
        size_t cut = i;
        got = tokenize(in, len, &cut, 1, o, &raw_ok, NULL);
        same = json_equal(got, whole);
        json_decref(got);
        if (!same || !raw_ok) {
            snprintf(why, why_size, "split at %zu: %s", i, !same ? "tokens differ" : "raw differs");
            free(cuts);
            return 0;
        }
    }
    free(cuts);
    return 1;
}

/* ---- our own cases ---- */

struct own_case {
    const char *name;
    const char *input;
    size_t input_len;
    const char *expected; /* html5lib JSON with ` for " */
    int decode_text;
    size_t max_carry, max_attrs;
    omote_html_state_t state;
    const char *last_start_tag;
};

#define IN(s) s, sizeof(s) - 1

static const struct own_case own_cases[] = {
    /* tags and attribute quoting */
    {"quoting styles", IN("<a href='x' id=y class=\"z\" disabled>"),
     "[[`StartTag`,`a`,{`href`:`x`,`id`:`y`,`class`:`z`,`disabled`:``}]]"},
    {"case folding", IN("<DIV Class=A></DIV>"), "[[`StartTag`,`div`,{`class`:`A`}],[`EndTag`,`div`]]"},
    {"self-closing", IN("<br/><img src=a />"), "[[`StartTag`,`br`,{},true],[`StartTag`,`img`,{`src`:`a`},true]]"},
    {"slash in unquoted value", IN("<a href=x/>"), "[[`StartTag`,`a`,{`href`:`x/`}]]"},
    {"odd attribute names", IN("<a =b \"c'=d <e>"), "[[`StartTag`,`a`,{`=b`:``,`\\`c'`:`d`,`<e`:``}]]"},
    {"duplicate attribute", IN("<a x=1 x=2 y>"), "[[`StartTag`,`a`,{`x`:`1`,`!x`:`2`,`y`:``}]]"},
    {"whitespace in tags", IN("<a\n\tb = 'c'\f/ >"), "[[`StartTag`,`a`,{`b`:`c`}]]"},
    {"max_attrs", IN("<a b=1 c=2 d=3 e>x"), "[[`StartTag`,`a`,{`b`:`1`,`c`:`2`}],[`Character`,`x`]]", 0, 0, 2},
    {"not a tag", IN("a < b <3 <> c"), "[[`Character`,`a < b <3 <> c`]]"},
    {"empty end tag", IN("a</>b"), "[[`Character`,`a`],[`Dropped`,`</>`],[`Character`,`b`]]"},
    /* runs of 16 bytes and more, which the tokenizer classifies 16 at a time: where each run ends */
    {"long names", IN("<ABCDEFGHIJKLMNOPQRSTU VWXYZabcdefghijklmnop=QRSTUVWXYZabcdefghij>"),
     "[[`StartTag`,`abcdefghijklmnopqrstu`,{`vwxyzabcdefghijklmnop`:`QRSTUVWXYZabcdefghij`}]]"},
    {"control bytes in long names", IN("<abcdefghij\x0b" "klmnopqrstuvwxyz abcdefghij\x01" "klmnopq\x0b" "rstu=abcdefghijklmn\x0b" "opq>"),
     "[[`StartTag`,`abcdefghij\\u000bklmnopqrstuvwxyz`,{`abcdefghij\\u0001klmnopq\\u000brstu`:`abcdefghijklmn\\u000bopq`}]]"},
    {"NUL in long names", IN("<abcdefghijklmnopqrstuvwxyz\0ABC abcdefghijklmnopqrstuvwxyz\0ABC=1>"),
     "[[`StartTag`,`abcdefghijklmnopqrstuvwxyz\\ufffdabc`,{`abcdefghijklmnopqrstuvwxyz\\ufffdabc`:`1`}]]"},
    {"white space after long names", IN("<abcdefghijklmnopqrstuvwxyz\fabcdefghijklmnopqrstuvwxyz\r=abcdefghijklmnopqrstuvwxyz\t/>"),
     "[[`StartTag`,`abcdefghijklmnopqrstuvwxyz`,{`abcdefghijklmnopqrstuvwxyz`:`abcdefghijklmnopqrstuvwxyz`},true]]"},
    {"long unquoted value", IN("<a b=abcdefghijklmnopqrstuvwxyz/ABC&amp;def&ghijklmnopqrstuvwxyz>"),
     "[[`StartTag`,`a`,{`b`:`abcdefghijklmnopqrstuvwxyz/ABC&def&ghijklmnopqrstuvwxyz`}]]"},
    {"long end tags", IN("x</ABCDEFGHIJKLMNOPQRSTUVWXYZ>y</abcdefghijklmnopq\x0b>z</abcdefghijklmnopqrst\t>w</abcdefghijklmnopq/>v"),
     "[[`Character`,`x`],[`EndTag`,`abcdefghijklmnopqrstuvwxyz`],[`Character`,`y`],[`EndTag`,`abcdefghijklmnopq\\u000b`],"
     "[`Character`,`z`],[`EndTag`,`abcdefghijklmnopqrst`],[`Character`,`w`],[`EndTag`,`abcdefghijklmnopq`],[`Character`,`v`]]"},
    {"long comment", IN("<!-- abcdefghijklmnop-qrstuvwxyz\r\nabcdefghijklmnop<!x\0abcdefghijklmnopq -->"),
     "[[`Comment`,` abcdefghijklmnop-qrstuvwxyz\\nabcdefghijklmnop<!x\\ufffdabcdefghijklmnopq `]]"},
    /* comments */
    {"comment", IN("<!-- hi -->"), "[[`Comment`,` hi `]]"},
    {"empty comments", IN("<!----><!--><!--->"), "[[`Comment`,``],[`Comment`,``],[`Comment`,``]]"},
    {"comment dashes", IN("<!-- a -- b --!><!--a--->"), "[[`Comment`,` a -- b `],[`Comment`,`a-`]]"},
    {"nested comment open", IN("<!-- <!-- x -->"), "[[`Comment`,` <!-- x `]]"},
    {"bogus comments", IN("<?xml v?></3><!x>"), "[[`Comment`,`?xml v?`],[`Comment`,`3`],[`Comment`,`x`]]"},
    {"CDATA outside foreign content", IN("<![CDATA[x]]>y"), "[[`Comment`,`[CDATA[x]]`],[`Character`,`y`]]"},
    /* DOCTYPE */
    {"doctype", IN("<!DOCTYPE html>"), "[[`DOCTYPE`,`html`,null,null,true]]"},
    {"doctype ids", IN("<!doctype HTML PUBLIC \"-//W3C//DTD\" 'sys'>"), "[[`DOCTYPE`,`html`,`-//W3C//DTD`,`sys`,true]]"},
    {"doctype system", IN("<!DOCTYPE html SYSTEM \"about:legacy-compat\">"),
     "[[`DOCTYPE`,`html`,null,`about:legacy-compat`,true]]"},
    {"doctype empty", IN("<!doctype>"), "[[`DOCTYPE`,null,null,null,false]]"},
    {"doctype bogus", IN("<!DOCTYPE html PUBLIX x>a"), "[[`DOCTYPE`,`html`,null,null,false],[`Character`,`a`]]"},
    /* script data and its escapes */
    {"script escapes", IN("<script><!--<script>x</script>--></script>y"),
     "[[`StartTag`,`script`,{}],[`Character`,`<!--<script>x</script>-->`],[`EndTag`,`script`],[`Character`,`y`]]"},
    {"script escaped end tag", IN("<script><!--a</script>b"),
     "[[`StartTag`,`script`,{}],[`Character`,`<!--a`],[`EndTag`,`script`],[`Character`,`b`]]"},
    {"script near-miss end tags", IN("<script>a</scriptx>b</scrip>c<d</SCRIPT >"),
     "[[`StartTag`,`script`,{}],[`Character`,`a</scriptx>b</scrip>c<d`],[`EndTag`,`script`]]"},
    {"script self-closing still switches", IN("<script/>a<b>"), "[[`StartTag`,`script`,{},true],[`Character`,`a<b>`]]"},
    /* RCDATA, RAWTEXT, PLAINTEXT */
    {"rcdata", IN("<title>a<b>&amp;</title >"), "[[`StartTag`,`title`,{}],[`Character`,`a<b>&`],[`EndTag`,`title`]]", 1},
    {"rcdata end tag match", IN("<textarea></textare></textarea\n x=1>"),
     "[[`StartTag`,`textarea`,{}],[`Character`,`</textare>`],[`EndTag`,`textarea`]]"},
    {"rawtext", IN("<style>a&amp;<!--</style>"), "[[`StartTag`,`style`,{}],[`Character`,`a&amp;<!--`],[`EndTag`,`style`]]", 1},
    {"rawtext kinds", IN("<xmp><b></xmp><iframe><b></iframe><noembed><b></noembed><noframes><b></noframes>"),
     "[[`StartTag`,`xmp`,{}],[`Character`,`<b>`],[`EndTag`,`xmp`],[`StartTag`,`iframe`,{}],[`Character`,`<b>`],"
     "[`EndTag`,`iframe`],[`StartTag`,`noembed`,{}],[`Character`,`<b>`],[`EndTag`,`noembed`],[`StartTag`,`noframes`,{}],"
     "[`Character`,`<b>`],[`EndTag`,`noframes`]]"},
    {"plaintext", IN("<plaintext></plaintext>&amp;"), "[[`StartTag`,`plaintext`,{}],[`Character`,`</plaintext>&amp;`]]", 1},
    /* character references */
    {"refs in attributes", IN("<a href='?a=1&amp;b=2&copy=3&not;&notit;&notin;&amp'>"),
     "[[`StartTag`,`a`,{`href`:`?a=1&b=2&copy=3\\u00ac&notit;\\u2209&`}]]"},
    {"refs in unquoted attribute", IN("<a b=&lt;&ltx&lt=>"), "[[`StartTag`,`a`,{`b`:`<&ltx&lt=`}]]"},
    {"&amp; runs in values", IN("<a b=\"&amp;amp;&amp;&amp\" c=&amp;&amp;x&am;>"),
     "[[`StartTag`,`a`,{`b`:`&amp;&&`,`c`:`&&x&am;`}]]"},
    {"refs in text", IN("&not &notit; &notin; &#x41;&#65 &#0; &#x110000; &#128; &amp"),
     "[[`Character`,`\\u00ac \\u00acit; \\u2209 AA \\ufffd \\ufffd \\u20ac &`]]", 1},
    {"refs not decoded when off", IN("&amp;&lt;"), "[[`Character`,`&amp;&lt;`]]"},
    {"refs that are not", IN("& &# &#x &#xg &z; &;"), "[[`Character`,`& &# &#x &#xg &z; &;`]]", 1},
    {"longest name", IN("&CounterClockwiseContourIntegral;&CounterClockwiseContourIntegralX"),
     "[[`Character`,`\\u2233&CounterClockwiseContourIntegralX`]]", 1},
    /* newlines and NUL */
    {"CRLF", IN("a\r\nb\rc<a b='1\r\n2'>\r"), "[[`Character`,`a\\nb\\nc`],[`StartTag`,`a`,{`b`:`1\\n2`}],[`Character`,`\\n`]]", 1},
    {"NUL", IN("a\0b<a\0 b=\0>"), "[[`Character`,`a\\u0000b`],[`StartTag`,`a\\ufffd`,{`b`:`\\ufffd`}]]", 1},
    {"NUL in script", IN("<script>\0</script>"), "[[`StartTag`,`script`,{}],[`Character`,`\\ufffd`],[`EndTag`,`script`]]", 1},
    /* end of input in every kind of construct */
    {"eof in tag name", IN("x<ab"), "[[`Character`,`x`],[`Dropped`,`<ab`]]"},
    {"eof before attribute name", IN("<a "), "[[`Dropped`,`<a `]]"},
    {"eof in attribute name", IN("<a b"), "[[`Dropped`,`<a b`]]"},
    {"eof before attribute value", IN("<a b="), "[[`Dropped`,`<a b=`]]"},
    {"eof in quoted value", IN("<a b='x"), "[[`Dropped`,`<a b='x`]]"},
    {"eof in unquoted value", IN("<a b=x"), "[[`Dropped`,`<a b=x`]]"},
    {"eof after quoted value", IN("<a b='x'"), "[[`Dropped`,`<a b='x'`]]"},
    {"eof in self-closing", IN("<a/"), "[[`Dropped`,`<a/`]]"},
    {"eof in end tag", IN("</a b"), "[[`Dropped`,`</a b`]]"},
    {"eof in reference in value", IN("<a b=&amp"), "[[`Dropped`,`<a b=&amp`]]"},
    {"eof after <", IN("a<"), "[[`Character`,`a<`]]"},
    {"eof after </", IN("a</"), "[[`Character`,`a</`]]"},
    {"eof in markup declaration", IN("<!"), "[[`Comment`,``]]"},
    {"eof in markup declaration dash", IN("<!-"), "[[`Comment`,`-`]]"},
    {"eof in doctype keyword", IN("<!DOC"), "[[`Comment`,`DOC`]]"},
    {"eof in comment", IN("<!--x-"), "[[`Comment`,`x`]]"},
    {"eof in bogus comment", IN("<?x"), "[[`Comment`,`?x`]]"},
    {"eof in doctype", IN("<!DOCTYPE"), "[[`DOCTYPE`,null,null,null,false]]"},
    {"eof in doctype keyword", IN("<!DOCTYPE a PUB"), "[[`DOCTYPE`,`a`,null,null,false]]"},
    {"eof in doctype id", IN("<!DOCTYPE a SYSTEM 'x"), "[[`DOCTYPE`,`a`,null,`x`,false]]"},
    {"eof in rcdata end tag", IN("<title>a</tit"), "[[`StartTag`,`title`,{}],[`Character`,`a</tit`]]"},
    {"eof in script escape", IN("<script><!--<script>x</scr"), "[[`StartTag`,`script`,{}],[`Character`,`<!--<script>x</scr`]]"},
    {"eof in text reference", IN("&am"), "[[`Character`,`&am`]]", 1},
    /* initial states */
    {"cdata section", IN("a]b]]c]]]>d&amp;"), "[[`Character`,`a]b]]c]`],[`Dropped`,`]]>`],[`Character`,`d&`]]", 1, 0, 0,
     OMOTE_HTML_STATE_CDATA_SECTION},
    {"rcdata initial", IN("a</xmp>b"), "[[`Character`,`a`],[`EndTag`,`xmp`],[`Character`,`b`]]", 0, 0, 0, OMOTE_HTML_STATE_RCDATA,
     "xmp"},
    /* oversized constructs */
    {"oversized tag", IN("a<a href='0123456789abcdef0123'>x"),
     "[[`Character`,`a`],[`Oversized`,`<a href='0123456789abcdef0123'>`],[`Character`,`x`]]", 0, 16},
    {"oversized script tag still switches", IN("<script src='0123456789abcdef'>a</b></script>"),
     "[[`Oversized`,`<script src='0123456789abcdef'>`],[`Character`,`a</b>`],[`EndTag`,`script`]]", 0, 16},
    {"oversized comment", IN("<!-- 0123456789abcdef -->"), "[[`Oversized`,`<!-- 0123456789abcdef -->`]]", 0, 16},
    {"oversized at eof", IN("<a b='0123456789abcdef"), "[[`Oversized`,`<a b='0123456789abcdef`]]", 0, 16},
    {"fits exactly", IN("<a b='0123456'>"), "[[`StartTag`,`a`,{`b`:`0123456`}]]", 0, 15},
};

static json_t *parse_expected(const char *text)
{
    char *s = strdup(text), *q;
    json_error_t err;
    json_t *j;
    for (q = s; *q; ++q)
        if (*q == '`')
            *q = '"';
    j = json_loads(s, JSON_ALLOW_NUL, &err);
    if (j == NULL)
        printf("# bad expected JSON %s: %s\n", text, err.text);
    free(s);
    return j;
}

static void test_own_cases(void)
{
    size_t i;
    for (i = 0; i < sizeof(own_cases) / sizeof(own_cases[0]); ++i) {
        const struct own_case *oc = &own_cases[i];
        struct run_opts o = {{oc->max_carry, oc->max_attrs, oc->decode_text}, oc->state, oc->last_start_tag, 0};
        json_t *expected = parse_expected(oc->expected), *got;
        char why[128] = "";
        int raw_ok, same, streams;

        got = tokenize_whole(oc->input, oc->input_len, &o, &raw_ok);
        same = expected != NULL && json_equal(got, expected);
        ok(same && raw_ok, "%s", oc->name);
        if (!same) {
            char *g = json_dumps(got, JSON_ENSURE_ASCII);
            printf("#   got %s\n#   expected %s\n", g, oc->expected);
            free(g);
        }
        streams = check_streaming(oc->input, oc->input_len, &o, got, why, sizeof(why));
        ok(streams, "%s: streams (%s)", oc->name, streams ? "every split" : why);
        /* the same input with the other decode_text setting must stream as well */
        json_decref(got);
        o.options.decode_text = !o.options.decode_text;
        got = tokenize_whole(oc->input, oc->input_len, &o, &raw_ok);
        streams = raw_ok && check_streaming(oc->input, oc->input_len, &o, got, why, sizeof(why));
        ok(streams, "%s: streams with decode_text=%d (%s)", oc->name, o.options.decode_text, streams ? "every split" : why);
        json_decref(got);
        json_decref(expected);
        /* lean: the same tokens as a full run seen through the lean view, whole and at every split */
        o.options.decode_text = 0;
        o.lean_view = 1;
        got = tokenize_whole(oc->input, oc->input_len, &o, &raw_ok);
        o.lean_tok = 1;
        streams = raw_ok && check_streaming(oc->input, oc->input_len, &o, got, why, sizeof(why));
        ok(streams, "%s: lean tokenizing (%s)", oc->name, streams ? "every split" : why);
        json_decref(got);
    }
}

static void test_stop(void)
{
    struct collector c = {json_array()};
    omote_html_tokenizer_t *tok = omote_html_tokenizer_create(NULL);
    c.stop_after = 2;
    is_int(omote_html_tokenizer_feed(tok, "<a><b><c>", 9, 1, on_token, &c), -1, "callback stops the feed");
    is_int(json_array_size(c.tokens), 2, "no token after the stop");
    is_int(omote_html_tokenizer_feed(tok, "<d>", 3, 1, on_token, &c), -1, "a stopped tokenizer stays stopped");
    omote_html_tokenizer_free(tok);
    json_decref(c.tokens);
    free(c.raw);
    free(c.chars);
    free(c.oversized);
}

/* ---- end tags passed as text ---- */

/* Each token as "kind:text_before|raw;", kinds as digits, NUL as '0': the exact shape a lean
 * consumer sees. */
static int on_shape(void *ctx, const omote_html_token_t *t)
{
    char **out = ctx;
    size_t len = strlen(*out), i;
    *out = realloc(*out, len + t->text_before.len + t->raw_len + 8);
    len += (size_t)sprintf(*out + len, "%d:", (int)t->kind);
    for (i = 0; i != t->text_before.len; ++i)
        (*out)[len++] = t->text_before.base[i] != '\0' ? t->text_before.base[i] : '0';
    (*out)[len++] = '|';
    for (i = 0; i != t->raw_len; ++i)
        (*out)[len++] = t->raw[i] != '\0' ? t->raw[i] : '0';
    strcpy(*out + len, ";");
    return 0;
}

/* Feeds `in` ('0' standing for NUL) in chunks of the given lengths with merge_text and
 * merge_end_tags; returns the shapes, which the caller frees. */
static char *shapes(const char *in, const size_t *chunk_lens, size_t max_carry)
{
    omote_html_options_t opts = {max_carry};
    omote_html_tokenizer_t *tok;
    char *out = calloc(1, 1), buf[256];
    size_t off = 0, len = strlen(in);
    opts.wants_attributes = lean_wants;
    opts.merge_text = 1;
    tok = omote_html_tokenizer_create(&opts);
    omote_html_tokenizer_set_merge_end_tags(tok, 1);
    for (; *chunk_lens != 0 && off < len; ++chunk_lens) {
        size_t n = *chunk_lens < len - off ? *chunk_lens : len - off;
        memcpy(buf, in + off, n);
        for (size_t i = 0; i != n; ++i)
            if (buf[i] == '0')
                buf[i] = '\0';
        omote_html_tokenizer_feed(tok, buf, n, off + n == len, on_shape, &out);
        off += n;
    }
    omote_html_tokenizer_free(tok);
    return out;
}

/*
 * With merge_end_tags, an end tag whole in its chunk joins the text around it: the next token's
 * text_before, or the CHARACTERS token at the chunk's end. One cut by a chunk end, or longer than
 * max_carry_bytes, still comes as its token.
 */
static void test_merged_end_tags(void)
{
    static const size_t whole[] = {1000, 0}, cut[] = {3, 1000, 0}, cut_late[] = {30, 1000, 0};
    const char *in = "a</b>c<d>e</ABCDEFGHIJKLMNOPQRSTUVWXYZ>f</F0>g<p x=1></h\n>i</jj/>k<a b>";
    char *got = shapes(in, whole, 0);
    is_str(got, "1:a</b>c|<d>;1:e</ABCDEFGHIJKLMNOPQRSTUVWXYZ>f</F0>g|<p x=1>;1:</h\n>i</jj/>k|<a b>;", "end tags join the text");
    free(got);
    got = shapes(in, cut, 0);
    is_str(got, "0:|a;2:|</b>;1:c|<d>;1:e</ABCDEFGHIJKLMNOPQRSTUVWXYZ>f</F0>g|<p x=1>;1:</h\n>i</jj/>k|<a b>;",
           "an end tag cut by a chunk end comes as its token");
    free(got);
    got = shapes(in, cut_late, 0);
    is_str(got, "1:a</b>c|<d>;0:|e;2:|</ABCDEFGHIJKLMNOPQRSTUVWXYZ>;1:f</F0>g|<p x=1>;1:</h\n>i</jj/>k|<a b>;",
           "so does a long one, after the text before it");
    free(got);
    got = shapes(in, whole, 20);
    is_str(got, "1:a</b>c|<d>;0:|e;5:|</ABCDEFGHIJKLMNOPQRSTUVWXYZ>;1:f</F0>g|<p x=1>;1:</h\n>i</jj/>k|<a b>;",
           "an end tag longer than max_carry_bytes comes as OVERSIZED");
    free(got);
}

/* Carry is released once the construct is delivered, and bounded in between. */
static void test_carry(void)
{
    struct collector c = {json_array()};
    omote_html_options_t opts = {32};
    omote_html_tokenizer_t *tok = omote_html_tokenizer_create(&opts);
    c.tok = tok;
    omote_html_tokenizer_feed(tok, "abc<a hr", 8, 0, on_token, &c);
    is_int(omote_html_tokenizer_carried(tok), 5, "a tag cut by the chunk end is carried");
    omote_html_tokenizer_feed(tok, "ef=x>", 5, 0, on_token, &c);
    is_int(omote_html_tokenizer_carried(tok), 0, "and released when it ends");
    omote_html_tokenizer_feed(tok, "<a b='0123456789012345678901234567890123456789", 46, 0, on_token, &c);
    ok(omote_html_tokenizer_carried(tok) <= 32, "an oversized construct is not carried");
    omote_html_tokenizer_feed(tok, "'>", 2, 1, on_token, &c);
    omote_html_tokenizer_free(tok);
    json_decref(c.tokens);
    free(c.raw);
    free(c.chars);
    free(c.oversized);
}

/* ---- attributes' raw ranges ---- */

struct raw_collector {
    char out[512];
    size_t len;
    int bad; /* a range outside the token's raw */
};

static int on_attr_raw(void *ctx, const omote_html_token_t *t)
{
    struct raw_collector *rc = ctx;
    for (size_t i = 0; i < t->num_attrs; ++i) {
        const omote_html_attr_t *a = &t->attrs[i];
        if (a->raw.base < t->raw || a->raw.base + a->raw.len > t->raw + t->raw_len)
            rc->bad = 1;
        else
            rc->len += snprintf(rc->out + rc->len, sizeof(rc->out) - rc->len, "[%.*s]=%.*s%s;", (int)a->raw.len, a->raw.base,
                                (int)a->value.len, a->value.base, a->is_duplicate ? "!" : "");
    }
    return 0;
}

/* Each attribute's raw range (name to value end, quotes included), whole and at every split. */
static void test_attr_raw(void)
{
    static const struct {
        const char *in, *expected;
    } cases[] = {
        {"<a href='x' id=y class=\"z\" disabled>", "[href='x']=x;[id=y]=y;[class=\"z\"]=z;[disabled]=;"},
        {"<a b = \"c\"\n\td\f/>", "[b = \"c\"]=c;[d]=;"},
        {"<A HREF=\"/P?a&amp;b\" Ping=P>", "[HREF=\"/P?a&amp;b\"]=/P?a&b;[Ping=P]=P;"},
        {"<a ping=1 ping=\"2\" =x>", "[ping=1]=1;[ping=\"2\"]=2!;[=x]=;"},
        {"<a x=>y", "[x=]=;"},
        {"<a x=\"1\"y=2/>", "[x=\"1\"]=1;[y=2/]=2/;"},
        {"<a x='a\r\nb' y>", "[x='a\r\nb']=a\nb;[y]=;"},
        {"</a x=1>", "[x=1]=1;"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        size_t len = strlen(cases[i].in);
        int same = 1;
        for (size_t split = 0; split <= len; ++split) {
            struct raw_collector rc = {{0}};
            omote_html_tokenizer_t *tok = omote_html_tokenizer_create(NULL);
            char *a = malloc(split + 1), *b = malloc(len - split + 1);
            memcpy(a, cases[i].in, split);
            memcpy(b, cases[i].in + split, len - split);
            omote_html_tokenizer_feed(tok, a, split, 0, on_attr_raw, &rc);
            omote_html_tokenizer_feed(tok, b, len - split, 1, on_attr_raw, &rc);
            omote_html_tokenizer_free(tok);
            free(a);
            free(b);
            if (rc.bad || strcmp(rc.out, cases[i].expected) != 0) {
                if (same)
                    printf("#   split at %zu: %s%s\n", split, rc.bad ? "range outside raw; " : "", rc.out);
                same = 0;
            }
        }
        ok(same, "attribute raw ranges, case %zu, at every split", i);
    }
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/*
 * The streaming property over generated inputs: fragments chosen to meet the state machine's
 * corners (escapes, keywords, references, CR/LF, NUL), in every initial state, with and without
 * decode_text, and with a tiny carry bound so that oversized runs cross chunk ends too.
 */
static void test_random_streaming(void)
{
    static const char *frags[] = {"<",     ">",    "/",   "!",  "-",       "--",     "?",       "&",        ";",
                                  "#",     "x",    "1",   "a",  "amp",     "not",    "it",      " ",        "=",
                                  "\"",    "'",    "\r",  "\n", "]",       "]]",     "script",  "SCRIPT",   "title",
                                  "style", "<!--", "-->", "</", "DOCTYPE", "PUBLIC", "[CDATA[", "\xc3\xa9", "\0"};
    static const char *last[] = {NULL, "title", "style", "script", NULL, NULL};
    const size_t num_frags = sizeof(frags) / sizeof(frags[0]);
    int i, failures = 0;

    for (i = 0; i < 1500; ++i) {
        char in[256], why[128];
        size_t len = 0, k, nf = 1 + rng() % 14;
        struct run_opts o = {{rng() % 3 == 0 ? 8 : 0, 0, (int)(rng() % 2)}, (omote_html_state_t)(rng() % 6), NULL, 0};
        json_t *whole;
        int raw_ok;

        o.last_start_tag = last[o.state];
        for (k = 0; k < nf; ++k) {
            const char *f = frags[rng() % num_frags];
            size_t fl = f[0] == '\0' ? 1 : strlen(f);
            memcpy(in + len, f, fl);
            len += fl;
        }
        if (rng() % 3 == 0) { /* lean, compared with a full run through the lean view */
            o.options.decode_text = 0;
            o.lean_view = 1;
        }
        whole = tokenize_whole(in, len, &o, &raw_ok);
        o.lean_tok = o.lean_view;
        if (!raw_ok || !check_streaming(in, len, &o, whole, why, sizeof(why))) {
            if (++failures <= 10) {
                char *g = json_dumps(whole, JSON_ENSURE_ASCII);
                printf("#   input of %zu bytes (state %d, decode %d, carry %zu, lean %d): %s; whole: %s\n", len, (int)o.state,
                       o.options.decode_text, o.options.max_carry_bytes, o.lean_tok, raw_ok ? why : "raw differs", g);
                free(g);
            }
        }
        json_decref(whole);
    }
    ok(failures == 0, "1500 generated inputs stream (%d failed)", failures);
}

/* ---- html5lib ---- */

/* Undoes doubleEscaped's \uHHHH; returns 0 on a lone surrogate, which UTF-8 cannot carry. */
static int unescape(const char *in, size_t len, char **out, size_t *out_len)
{
    char *o = malloc(len * 2 + 1);
    size_t i, n = 0;
    for (i = 0; i < len; ++i) {
        uint32_t cp;
        if (in[i] != '\\' || i + 5 >= len || in[i + 1] != 'u') {
            o[n++] = in[i];
            continue;
        }
        cp = (uint32_t)strtoul((char[]){in[i + 2], in[i + 3], in[i + 4], in[i + 5], 0}, NULL, 16);
        i += 5;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < len && in[i + 1] == '\\' && in[i + 2] == 'u') {
            uint32_t lo = (uint32_t)strtoul((char[]){in[i + 3], in[i + 4], in[i + 5], in[i + 6], 0}, NULL, 16);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            free(o);
            return 0;
        }
        if (cp < 0x80) {
            o[n++] = (char)cp;
        } else if (cp < 0x800) {
            o[n++] = (char)(0xC0 | (cp >> 6));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            o[n++] = (char)(0xE0 | (cp >> 12));
            o[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            o[n++] = (char)(0xF0 | (cp >> 18));
            o[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            o[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    *out = o;
    *out_len = n;
    return 1;
}

/* Unescapes every string in `j` in place (doubleEscaped); returns 0 on a lone surrogate. */
static int unescape_json(json_t *j)
{
    size_t i;
    json_t *v;
    const char *key;
    void *tmp;
    if (json_is_array(j)) {
        json_array_foreach(j, i, v)
        {
            if (json_is_string(v)) {
                char *s;
                size_t n;
                if (!unescape(json_string_value(v), json_string_length(v), &s, &n))
                    return 0;
                json_array_set_new(j, i, jstr(s, n));
                free(s);
            } else if (!unescape_json(v)) {
                return 0;
            }
        }
    } else if (json_is_object(j)) {
        json_t *copy = json_object();
        json_object_foreach_safe(j, tmp, key, v)
        {
            char *k, *s;
            size_t kn, n;
            if (!unescape(key, strlen(key), &k, &kn) || !unescape(json_string_value(v), json_string_length(v), &s, &n)) {
                json_decref(copy);
                return 0;
            }
            k[kn] = 0;
            json_object_set_new_nocheck(copy, k, jstr(s, n));
            free(k);
            free(s);
        }
        json_object_clear(j);
        json_object_update(j, copy);
        json_decref(copy);
    }
    return 1;
}

struct file_result {
    int pass, fail, skip_surrogate, skip_state, listed;
};

static int map_state(const char *name, omote_html_state_t *state)
{
    static const struct {
        const char *name;
        omote_html_state_t state;
    } map[] = {{"Data state", OMOTE_HTML_STATE_DATA},
               {"PLAINTEXT state", OMOTE_HTML_STATE_PLAINTEXT},
               {"RCDATA state", OMOTE_HTML_STATE_RCDATA},
               {"RAWTEXT state", OMOTE_HTML_STATE_RAWTEXT},
               {"Script data state", OMOTE_HTML_STATE_SCRIPT_DATA},
               {"CDATA section state", OMOTE_HTML_STATE_CDATA_SECTION}};
    size_t i;
    for (i = 0; i < sizeof(map) / sizeof(map[0]); ++i) {
        if (strcmp(map[i].name, name) == 0) {
            *state = map[i].state;
            return 1;
        }
    }
    return 0;
}

static void run_html5lib_case(json_t *test, int num_splits, const char *file, struct file_result *r)
{
    const char *desc = json_string_value(json_object_get(test, "description"));
    json_t *input = json_object_get(test, "input"), *states = json_object_get(test, "initialStates"), *state_name;
    json_t *expected = json_deep_copy(json_object_get(test, "output")), *merged;
    const char *last_start = json_string_value(json_object_get(test, "lastStartTag"));
    char *in;
    size_t in_len, si;

    if (json_is_true(json_object_get(test, "doubleEscaped"))) {
        if (!unescape(json_string_value(input), json_string_length(input), &in, &in_len) || !unescape_json(expected)) {
            ++r->skip_surrogate;
            json_decref(expected);
            return;
        }
    } else {
        in_len = json_string_length(input);
        in = malloc(in_len + 1);
        memcpy(in, json_string_value(input), in_len);
    }
    merged = merge_expected(expected);
    if (states == NULL)
        states = json_pack("[s]", "Data state");
    else
        json_incref(states);

    json_array_foreach(states, si, state_name)
    {
        struct run_opts o = {{0, 0, 1}, OMOTE_HTML_STATE_DATA, last_start, 1};
        int passed = 1, raw_ok, k;
        json_t *got;

        if (!map_state(json_string_value(state_name), &o.state)) {
            ++r->skip_state;
            continue;
        }
        for (k = 0; k <= num_splits && passed; ++k) {
            size_t cuts[3], n = 0;
            if (k > 0 && in_len > 1) {
                size_t a = 1 + rng() % (in_len - 1), b = 1 + rng() % (in_len - 1);
                cuts[n++] = a < b ? a : b;
                if (a != b)
                    cuts[n++] = a < b ? b : a;
            }
            got = tokenize(in, in_len, cuts, n, &o, &raw_ok, NULL);
            passed = raw_ok && json_equal(got, merged);
            if (!passed && r->listed < 20) {
                char *g = json_dumps(got, JSON_ENSURE_ASCII), *e = json_dumps(merged, JSON_ENSURE_ASCII);
                printf("#   %s: FAIL \"%s\" (%s%s)\n#     got      %s\n#     expected %s\n", file, desc,
                       json_string_value(state_name), k ? ", split" : "", g, e);
                free(g);
                free(e);
                ++r->listed;
            }
            json_decref(got);
        }
        if (passed) {
            /* lean: as a full run without decode_text seen through the lean view, at random splits */
            struct run_opts full = o, lean;
            json_t *ref;
            full.options.decode_text = 0;
            full.lean_view = 1;
            lean = full;
            lean.lean_tok = 1;
            ref = tokenize_whole(in, in_len, &full, &raw_ok);
            for (k = 0; k <= num_splits && passed; ++k) {
                size_t cuts[3], n = 0;
                if (k > 0 && in_len > 1) {
                    size_t a = 1 + rng() % (in_len - 1), b = 1 + rng() % (in_len - 1);
                    cuts[n++] = a < b ? a : b;
                    if (a != b)
                        cuts[n++] = a < b ? b : a;
                }
                got = tokenize(in, in_len, cuts, n, &lean, &raw_ok, NULL);
                passed = raw_ok && json_equal(got, ref);
                if (!passed && r->listed < 20) {
                    char *g = json_dumps(got, JSON_ENSURE_ASCII), *e = json_dumps(ref, JSON_ENSURE_ASCII);
                    printf("#   %s: FAIL lean \"%s\" (%s%s)\n#     got      %s\n#     expected %s\n", file, desc,
                           json_string_value(state_name), k ? ", split" : "", g, e);
                    free(g);
                    free(e);
                    ++r->listed;
                }
                json_decref(got);
            }
            json_decref(ref);
        }
        if (passed)
            ++r->pass;
        else
            ++r->fail;
    }
    json_decref(states);
    json_decref(merged);
    json_decref(expected);
    free(in);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void test_html5lib(void)
{
    struct dirent **names;
    int i, n = scandir(HTML5LIB_DIR, &names, NULL, by_name);
    const char *ci = getenv("CI");

    if (n < 0) {
        if (ci != NULL && strcmp(ci, "true") == 0) {
            ok(0, "html5lib tokenizer tests present (CI=true)");
        } else {
            printf("# SKIP ../shared/testdata absent\n");
        }
        return;
    }
    for (i = 0; i < n; ++i) {
        const char *name = names[i]->d_name;
        size_t nl = strlen(name);
        char path[512];
        json_error_t err;
        json_t *root, *tests, *test;
        struct file_result r = {0};
        size_t ti;

        if (nl < 5 || strcmp(name + nl - 5, ".test") != 0) {
            free(names[i]);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", HTML5LIB_DIR, name);
        root = json_load_file(path, JSON_ALLOW_NUL, &err);
        if (root == NULL) {
            ok(0, "%s: parses (%s)", name, err.text);
            free(names[i]);
            continue;
        }
        if ((tests = json_object_get(root, "tests")) == NULL) {
            /* xmlViolation.test: the output an XML-coercing consumer should make, not a tokenizer */
            printf("# %s: not applicable (%s), %zu cases\n", name, json_object_iter_key(json_object_iter(root)),
                   json_array_size(json_object_iter_value(json_object_iter(root))));
            json_decref(root);
            free(names[i]);
            continue;
        }
        json_array_foreach(tests, ti, test)
        {
            run_html5lib_case(test, json_array_size(tests) > 1000 ? 1 : 3, name, &r);
        }
        printf("# %s: %d passed, %d failed", name, r.pass, r.fail);
        if (r.skip_surrogate)
            printf(", %d skipped (lone surrogates cannot be UTF-8)", r.skip_surrogate);
        if (r.skip_state)
            printf(", %d skipped (initial state unknown)", r.skip_state);
        printf("\n");
        ok(r.fail == 0, "html5lib %s", name);
        json_decref(root);
        free(names[i]);
    }
    free(names);
}

/* resolve_named looks up prefixes without ';' no longer than OMOTE_HTML_ENTITY_MAX_LEGACY_NAME */
static void test_entity_bounds(void)
{
    size_t longest_legacy = 0, longest = 0;
    for (size_t i = 0; i != omote_html_num_entities; ++i) {
        const omote_html_entity_t *e = &omote_html_entities[i];
        if (e->name[e->name_len - 1] != ';' && e->name_len > longest_legacy)
            longest_legacy = e->name_len;
        if (e->name_len > longest)
            longest = e->name_len;
    }
    is_int((int)longest_legacy, OMOTE_HTML_ENTITY_MAX_LEGACY_NAME, "the longest name without ';' is as internal.h says");
    is_int((int)longest, OMOTE_HTML_ENTITY_MAX_NAME, "the longest name is as internal.h says");
}

static int no_attrs_wanted(void *ctx, const char *name, size_t len)
{
    return 0;
}

static int record_initials(void *ctx, const omote_html_token_t *t)
{
    if (t->kind == OMOTE_HTML_START_TAG)
        *(uint32_t *)ctx = t->skipped_initials | (t->attrs_skipped ? 0x80000000u : 0);
    return 0;
}

/* skipped_initials: the first byte of every skipped attribute name, at every split of the tag */
static void test_skipped_initials(void)
{
    static const struct {
        const char *tag;
        uint32_t initials;
    } cases[] = {
        {"<a href=x PING=\"y\">", 1u << ('h' & 31) | 1u << ('p' & 31)},
        {"<a b c=1 d='2'e=\"3\"f/ g>", 1u << ('b' & 31) | 1u << ('c' & 31) | 1u << ('d' & 31) | 1u << ('e' & 31) | 1u << ('f' & 31) | 1u << ('g' & 31)},
        {"<a =x>", 1u << ('=' & 31)},
        {"<div >", 0},
    };
    for (size_t c = 0; c != sizeof(cases) / sizeof(cases[0]); ++c) {
        size_t len = strlen(cases[c].tag);
        int all_ok = 1;
        for (size_t cut = 1; cut < len; ++cut) {
            omote_html_options_t opts = {0};
            opts.wants_attributes = no_attrs_wanted;
            omote_html_tokenizer_t *tok = omote_html_tokenizer_create(&opts);
            uint32_t got = 0;
            omote_html_tokenizer_feed(tok, cases[c].tag, cut, 0, record_initials, &got);
            omote_html_tokenizer_feed(tok, cases[c].tag + cut, len - cut, 1, record_initials, &got);
            omote_html_tokenizer_free(tok);
            if (got != (cases[c].initials | 0x80000000u)) {
                printf("#   %s cut at %zu: %08x\n", cases[c].tag, cut, (unsigned)got);
                all_ok = 0;
            }
        }
        ok(all_ok, "skipped_initials of %s at every split", cases[c].tag);
    }
}

/* OMOTE_HTML_ATTRS_AS_TEXT: every tag but <a> may pass as text, unless it may hold a "ping" */
static int all_as_text_but_a(void *ctx, const char *name, size_t len)
{
    return len == 1 && name[0] == 'a' ? OMOTE_HTML_ATTRS_READ : OMOTE_HTML_ATTRS_AS_TEXT;
}

struct as_text_run {
    char raw[512];
    size_t raw_len;
    char names[256]; /* the start tags delivered, each followed by ' ' */
    int known_asks;  /* calls of says_known */
};

static int collect_as_text(void *ctx, const omote_html_token_t *t)
{
    struct as_text_run *r = ctx;
    if (t->text_before.len != 0) {
        memcpy(r->raw + r->raw_len, t->text_before.base, t->text_before.len);
        r->raw_len += t->text_before.len;
    }
    memcpy(r->raw + r->raw_len, t->raw, t->raw_len);
    r->raw_len += t->raw_len;
    if (t->kind == OMOTE_HTML_START_TAG) {
        strncat(r->names, t->name.base, t->name.len);
        strcat(r->names, " ");
    }
    return 0;
}

/* feeds `in` cut in two at `cut`, with end tags merged, collecting into `r` */
static void feed_cut(const omote_html_options_t *opts, const char *in, size_t cut, struct as_text_run *r)
{
    omote_html_tokenizer_t *tok = omote_html_tokenizer_create(opts);
    omote_html_tokenizer_set_merge_end_tags(tok, 1);
    memset(r, 0, sizeof(*r));
    omote_html_tokenizer_feed(tok, in, cut, 0, collect_as_text, r);
    omote_html_tokenizer_feed(tok, in + cut, strlen(in) - cut, 1, collect_as_text, r);
    omote_html_tokenizer_free(tok);
}

static void feed_as_text_unless(const char *in, size_t cut, int decode_text, uint32_t seconds, struct as_text_run *r)
{
    omote_html_options_t opts = {0};
    opts.wants_attributes = all_as_text_but_a;
    opts.merge_text = 1;
    opts.decode_text = decode_text;
    opts.as_text_unless_initials = 1u << ('p' & 31);
    opts.as_text_unless_seconds = seconds;
    feed_cut(&opts, in, cut, r);
}

static void feed_as_text(const char *in, size_t cut, int decode_text, struct as_text_run *r)
{
    feed_as_text_unless(in, cut, decode_text, 0, r);
}

/* as_text_unless_seconds: "property" and a one-byte "p" are not "ping", "PIng" may be; a name
 * whose second byte lies past the chunk may be too */
static void test_as_text_unless_seconds(void)
{
    static const char in[] = "<meta property=og><b p=1><span PIng=z><i p>x";
    struct as_text_run r;
    feed_as_text_unless(in, 0, 0, 1u << ('i' & 31), &r);
    is_str(r.names, "span ", "unless seconds: only the tag that may hold \"ping\" is delivered");
    feed_as_text_unless(in, 0, 0, 0, &r);
    is_str(r.names, "meta b span i ", "without them, every tag with a name starting with p is");
    int ok_all = 1;
    for (size_t cut = 1; cut < strlen(in); ++cut) {
        feed_as_text_unless(in, cut, 0, 1u << ('i' & 31), &r);
        if (r.raw_len != strlen(in) || memcmp(r.raw, in, r.raw_len) != 0 || strstr(r.names, "span ") == NULL)
            ok_all = 0;
    }
    ok(ok_all, "unless seconds: the bytes whole and <span PIng> delivered at every cut");
}

/*
 * Start tags answered OMOTE_HTML_ATTRS_AS_TEXT join the text, except one that may hold an
 * attribute in as_text_unless_initials, one that switches the text state, and one carried over a
 * chunk's end; every byte still comes out once, in order.
 */
static void test_start_tags_as_text(void)
{
    static const char in[] = "<p>one<div class=\"x>y\" id=q>two</div><span lang=en Ping=z>three</span><br/>"
                             "<script>if (a<b) x()</script><title>t</title><li><a href=1>four</a><em \n>five";
    struct as_text_run r;
    feed_as_text(in, 0, 0, &r);
    is_str(r.names, "span script title a ", "whole: only the tags that must be seen are delivered");
    int bytes_ok = 1, names_ok = 1;
    for (size_t cut = 1; cut < strlen(in); ++cut) {
        feed_as_text(in, cut, 0, &r);
        if (r.raw_len != strlen(in) || memcmp(r.raw, in, r.raw_len) != 0)
            bytes_ok = 0;
        /* the tags that must be seen are there at every cut; a tag the cut falls in may come too */
        const char *at = r.names;
        for (const char *const *must = (const char *const[]){"span ", "script ", "title ", "a ", NULL}; *must != NULL; ++must) {
            const char *hit = strstr(at, *must);
            if (hit == NULL || (hit != r.names && hit[-1] != ' ')) {
                printf("#   cut at %zu: %s\n", cut, r.names);
                names_ok = 0;
                break;
            }
            at = hit + strlen(*must);
        }
    }
    ok(bytes_ok, "as text: the bytes come out whole and in order at every cut");
    ok(names_ok, "as text: the tags that must be seen are delivered at every cut");
    feed_as_text(in, 0, 1, &r);
    is_str(r.names, "p div span br script title li a em ", "with decode_text, every start tag is delivered");
}

/* known_as_text: <img>, <link> and <script> are read, unless their bytes say "known" */
static int read_img_link_script(void *ctx, const char *name, size_t len)
{
    int read = (len == 3 && memcmp(name, "img", 3) == 0) || (len == 4 && memcmp(name, "link", 4) == 0) ||
               (len == 6 && memcmp(name, "script", 6) == 0);
    return read ? OMOTE_HTML_ATTRS_READ : OMOTE_HTML_ATTRS_AS_TEXT;
}

static int says_known(void *ctx, const char *raw, size_t len)
{
    ++((struct as_text_run *)ctx)->known_asks;
    for (size_t i = 0; i + 5 <= len; ++i)
        if (memcmp(raw + i, "known", 5) == 0)
            return 1;
    return 0;
}

static void feed_known(const char *in, size_t cut, struct as_text_run *r)
{
    omote_html_options_t opts = {0};
    opts.wants_attributes = read_img_link_script;
    opts.known_as_text = says_known;
    opts.merge_text = 1;
    opts.as_text_unless_initials = 1u << ('p' & 31);
    feed_cut(&opts, in, cut, r);
}

/* A read start tag whose bytes the consumer knows passes as text, unless it may hold an attribute in
 * as_text_unless_initials or switches the text state; a tag the cut falls in is read as usual. */
static void test_known_as_text(void)
{
    static const char in[] = "<p><img src=known.png alt=\"a>b\"><img src=other.png><link href=known.css rel=x>"
                             "<img src=known.png Ping=1><script src=known.js></script><img src=known.png/>x";
    struct as_text_run r;
    feed_known(in, 0, &r);
    is_str(r.names, "img img script ", "known: the tags known are not delivered");
    int bytes_ok = 1, names_ok = 1;
    for (size_t cut = 1; cut < strlen(in); ++cut) {
        feed_known(in, cut, &r);
        if (r.raw_len != strlen(in) || memcmp(r.raw, in, r.raw_len) != 0)
            bytes_ok = 0;
        const char *at = r.names;
        for (int must = 0; must != 3; ++must) {
            const char *want = must == 2 ? "script " : "img ", *hit = strstr(at, want);
            if (hit == NULL) {
                printf("#   cut at %zu: %s\n", cut, r.names);
                names_ok = 0;
                break;
            }
            at = hit + strlen(want);
        }
    }
    ok(bytes_ok, "known: the bytes come out whole and in order at every cut");
    ok(names_ok, "known: the tags that must be seen are delivered at every cut");
}

/* Whole in their chunk, tags pass as text straight from the text state; a name with uppercase
 * takes the tag states, which lowercase it before they ask. Each tag is asked about once. */
static void test_start_tags_pass_from_text(void)
{
    static const char in[] = "<img src=other.png><IMG SRC=known.png><Div class=x><img/known><img>"
                             "<b ping=1><x>z";
    struct as_text_run r;
    feed_known(in, 0, &r);
    is_str(r.names, "img img b ", "from text: the unknown, the bare and the ping-like tags are delivered");
    is_int(r.known_asks, 3, "from text: known_as_text asked once for each read tag with attributes");
    ok(r.raw_len == strlen(in) && memcmp(r.raw, in, r.raw_len) == 0, "from text: every byte once, in order");
}

int main(void)
{
    test_entity_bounds();
    test_skipped_initials();
    test_start_tags_as_text();
    test_as_text_unless_seconds();
    test_known_as_text();
    test_start_tags_pass_from_text();
    test_own_cases();
    test_stop();
    test_merged_end_tags();
    test_carry();
    test_attr_raw();
    test_random_streaming();
    test_html5lib();
    return done_testing();
}
