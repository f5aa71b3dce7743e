/*
 * Finds where a member of a JSON document starts, for error messages. This is a scanner, not a
 * parser: it skips values by matching brackets and strings, and gives up (-1) on anything odd.
 * Validation is jansson's job; this file only answers "which line and column".
 */
#include <stdint.h>

#include "config/internal.h"

/* One step of a path: a member name or an array index. */
struct st_segment_t {
    int is_index;
    size_t index;
    const char *key; /* raw name bytes, or the body of a JSON string when is_quoted */
    const char *key_end;
    int is_quoted;
};

/*
 * Yields the bytes a JSON string stands for, decoding escapes to UTF-8, so that "caf\u00e9" and
 * "café" compare equal. A raw reader takes its bytes as they are (plain path segments).
 */
struct st_string_reader_t {
    const char *p, *end;
    int is_raw;
    int is_broken;
    unsigned char pending[4];
    unsigned num_pending, next_pending;
};

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws(*p))
        ++p;
    return p;
}

/* `p` is at the opening quote; returns the position after the closing one (or `end`). */
static const char *skip_string(const char *p, const char *end)
{
    for (++p; p < end; ++p) {
        if (*p == '\\') {
            if (end - p < 2)
                return end;
            ++p;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return end;
}

static int is_scalar_end(char c)
{
    return is_ws(c) || c == ',' || c == ':' || c == '{' || c == '}' || c == '[' || c == ']' || c == '"';
}

/* Returns the position after the value starting at `p`; nesting is tracked by a counter, not recursion. */
static const char *skip_value(const char *p, const char *end)
{
    if (p < end && *p == '"')
        return skip_string(p, end);
    if (p >= end || (*p != '{' && *p != '[')) {
        while (p < end && !is_scalar_end(*p))
            ++p;
        return p;
    }
    size_t depth = 0;
    while (p < end) {
        if (*p == '"') {
            p = skip_string(p, end);
            continue;
        }
        if (*p == '{' || *p == '[') {
            ++depth;
        } else if ((*p == '}' || *p == ']') && --depth == 0) {
            return p + 1;
        }
        ++p;
    }
    return end;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads "XXXX" (the part after "\u"); returns the code unit or -1. */
static long read_hex4(struct st_string_reader_t *r)
{
    long v = 0;
    if (r->end - r->p < 4)
        return -1;
    for (int i = 0; i < 4; ++i) {
        int h = hex_value(*r->p++);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static unsigned encode_utf8(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* "\uD83D\uDE00": a high surrogate followed by a low one is one code point (RFC 8259 §7). */
static long read_code_point(struct st_string_reader_t *r)
{
    long cp = read_hex4(r);
    if (cp < 0xd800 || cp > 0xdbff)
        return cp;
    if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
        return cp;
    const char *save = r->p;
    r->p += 2;
    long low = read_hex4(r);
    if (low < 0xdc00 || low > 0xdfff) {
        r->p = save;
        return cp;
    }
    return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
}

/* Called after a backslash; returns the first byte the escape stands for, or -1. */
static int read_escape(struct st_string_reader_t *r)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return -1;
    char e = *r->p++;
    for (int i = 0; from[i] != '\0'; ++i)
        if (e == from[i])
            return (unsigned char)to[i];
    long cp = e == 'u' ? read_code_point(r) : -1;
    if (cp < 0)
        return -1;
    r->num_pending = encode_utf8((uint32_t)cp, r->pending);
    r->next_pending = 1;
    return r->pending[0];
}

/* Returns the next byte, or -1 at the closing quote (the end for a raw reader) or on malformed input. */
static int string_next(struct st_string_reader_t *r)
{
    if (r->next_pending < r->num_pending)
        return r->pending[r->next_pending++];
    if (r->p >= r->end) {
        r->is_broken = !r->is_raw;
        return -1;
    }
    unsigned char c = (unsigned char)*r->p;
    if (r->is_raw) {
        ++r->p;
        return c;
    }
    if (c == '"')
        return -1;
    ++r->p;
    if (c != '\\')
        return c;
    int b = read_escape(r);
    if (b < 0)
        r->is_broken = 1;
    return b;
}

/* `name` is at the opening quote of a member name in the document. */
static int key_equals(const char *name, const char *end, const struct st_segment_t *seg)
{
    struct st_string_reader_t doc = {.p = name + 1, .end = end};
    /* a quoted segment's reader stops at its closing quote, which key_end points at */
    struct st_string_reader_t want = {.p = seg->key, .end = seg->key_end + seg->is_quoted, .is_raw = !seg->is_quoted};
    for (;;) {
        int a = string_next(&doc), b = string_next(&want);
        if (a != b)
            return 0;
        if (a < 0)
            return !doc.is_broken && !want.is_broken;
    }
}

/* `*p` is at '{'; moves it to the value of the member `seg` names, and `*key_at` to that member's name. */
static int find_member(const char **p, const char *end, const struct st_segment_t *seg, const char **key_at)
{
    const char *q = skip_ws(*p + 1, end);
    while (q < end && *q == '"') {
        const char *name = q;
        int is_match = key_equals(name, end, seg);
        q = skip_ws(skip_string(q, end), end);
        if (q >= end || *q != ':')
            return -1;
        q = skip_ws(q + 1, end);
        if (is_match) {
            *key_at = name;
            *p = q;
            return 0;
        }
        q = skip_ws(skip_value(q, end), end);
        if (q >= end || *q != ',')
            return -1;
        q = skip_ws(q + 1, end);
    }
    return -1;
}

/* `*p` is at '['; moves it to element `index`. */
static int find_element(const char **p, const char *end, size_t index)
{
    const char *q = skip_ws(*p + 1, end);
    for (size_t i = 0; q < end && *q != ']'; ++i) {
        if (i == index) {
            *p = q;
            return 0;
        }
        q = skip_ws(skip_value(q, end), end);
        if (q >= end || *q != ',')
            return -1;
        q = skip_ws(q + 1, end);
    }
    return -1;
}

static int parse_index(const char **path, struct st_segment_t *seg)
{
    const char *s = *path + 1;
    size_t n = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; ++s) {
        if (n > SIZE_MAX / 10 - 1)
            return -1;
        n = n * 10 + (size_t)(*s - '0');
    }
    if (*s != ']')
        return -1;
    seg->is_index = 1;
    seg->index = n;
    *path = s + 1;
    return 0;
}

/* ["name"]: the name is a JSON string so that any member name can be written in a path. */
static int parse_quoted(const char **path, struct st_segment_t *seg)
{
    const char *s = *path + 2;
    seg->key = s;
    for (; *s != '"'; ++s) {
        if (*s == '\0' || (*s == '\\' && *++s == '\0'))
            return -1;
    }
    if (s[1] != ']')
        return -1;
    seg->key_end = s;
    seg->is_quoted = 1;
    *path = s + 2;
    return 0;
}

/* Reads one segment at `*path` and advances past it. Returns 0, or -1 for a malformed path. */
static int next_segment(const char **path, struct st_segment_t *seg)
{
    *seg = (struct st_segment_t){0};
    if (**path == '[')
        return (*path)[1] == '"' ? parse_quoted(path, seg) : parse_index(path, seg);
    if (**path == '.')
        ++*path;
    const char *s = *path;
    while (*s != '\0' && *s != '.' && *s != '[')
        ++s;
    if (s == *path)
        return -1;
    seg->key = *path;
    seg->key_end = s;
    *path = s;
    return 0;
}

/* Applies one segment: `*p` moves from a container to the selected value. */
static int step(const char **p, const char *end, const struct st_segment_t *seg, const char **key_at)
{
    if (seg->is_index) {
        if (*p >= end || **p != '[')
            return -1;
        *key_at = NULL;
        return find_element(p, end, seg->index);
    }
    if (*p >= end || **p != '{')
        return -1;
    return find_member(p, end, seg, key_at);
}

int omote_json_locate(const char *text, size_t len, const char *path, omote_json_locate_what_t what, int *line, int *column)
{
    const char *end = text + len, *p = skip_ws(text, end), *key_at = NULL;
    if (p >= end)
        return -1;
    while (*path != '\0') {
        struct st_segment_t seg;
        if (next_segment(&path, &seg) != 0 || step(&p, end, &seg, &key_at) != 0)
            return -1;
    }
    if (what == OMOTE_JSON_LOCATE_KEY && key_at != NULL)
        p = key_at;
    omote_json_offset_to_line_column(text, (size_t)(p - text), line, column);
    return 0;
}

void omote_json_offset_to_line_column(const char *text, size_t offset, int *line, int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++l;
            c = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            /* count characters, not UTF-8 continuation bytes, as jansson does */
            ++c;
        }
    }
    *line = l;
    *column = c;
}
