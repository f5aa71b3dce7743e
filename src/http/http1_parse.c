/*
 * HTTP/1.1 response head and chunked body parsing for the upstream client. Written for the
 * proxy's trust boundary: anything that two implementations could read differently (obs-fold,
 * odd chunk sizes, signed or repeated-but-different lengths) is an error, not a guess.
 */
#include <string.h>
#include "omote/http1_parse.h"

#define MAX_CHUNK_SIZE_DIGITS 15 /* 2^60: more than any body, less than an overflow */
#define MAX_LINE_BYTES 4096      /* one chunk-size line (with extensions) or one trailer field */

/* RFC 9110 §5.6.2 tchar */
static int is_tchar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return 1;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-value bytes: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5) */
static int is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Finds the end of the line starting at `p`; returns the index of '\n' or -1 if absent. */
static long find_lf(const char *p, size_t len)
{
    const char *lf = memchr(p, '\n', len);
    return lf != NULL ? lf - p : -1;
}

/* length of a line without its terminator ("\r\n" or a bare "\n") */
static size_t content_len(const char *line, size_t lf_at)
{
    return lf_at != 0 && line[lf_at - 1] == '\r' ? lf_at - 1 : lf_at;
}

static int parse_status_line(const char *line, size_t len, omote_http1_response_t *out)
{
    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
        return -1;
    for (int i = 9; i != 12; ++i)
        if (line[i] < '0' || line[i] > '9')
            return -1;
    out->minor_version = line[7] - '0';
    out->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (out->status < 100)
        return -1;
    if (len == 12) {
        out->reason = line + 12;
        out->reason_len = 0;
        return 0;
    }
    if (line[12] != ' ')
        return -1;
    for (size_t i = 13; i != len; ++i)
        if (!is_value_char(line[i]))
            return -1;
    out->reason = line + 13;
    out->reason_len = len - 13;
    return 0;
}

static int parse_field(const char *line, size_t len, omote_http1_header_t *field)
{
    size_t colon = 0;
    while (colon != len && is_tchar(line[colon]))
        ++colon;
    if (colon == 0 || colon == len || line[colon] != ':')
        return -1; /* empty name, a space before the colon, or no colon: all rejected (RFC 9112 §5.1) */
    size_t start = colon + 1, end = len;
    while (start != end && (line[start] == ' ' || line[start] == '\t'))
        ++start;
    while (end != start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
        --end;
    for (size_t i = start; i != end; ++i)
        if (!is_value_char(line[i]))
            return -1;
    *field = (omote_http1_header_t){line, colon, line + start, end - start};
    return 0;
}

int omote_http1_parse_response(const char *buf, size_t len, omote_http1_response_t *out, omote_http1_header_t *headers,
                               size_t max_headers)
{
    size_t pos = 0;
    long lf;

    if ((lf = find_lf(buf, len)) < 0)
        return OMOTE_HTTP1_INCOMPLETE;
    if (parse_status_line(buf, content_len(buf, lf), out) != 0)
        return OMOTE_HTTP1_ERROR;
    pos = lf + 1;
    out->num_headers = 0;

    for (;;) {
        const char *line = buf + pos;
        if ((lf = find_lf(line, len - pos)) < 0)
            return OMOTE_HTTP1_INCOMPLETE;
        size_t line_len = content_len(line, lf);
        pos += lf + 1;
        if (line_len == 0)
            return (int)pos;
        if (line[0] == ' ' || line[0] == '\t')
            return OMOTE_HTTP1_ERROR; /* obs-fold (RFC 9112 §5.2) */
        if (out->num_headers == max_headers || parse_field(line, line_len, headers + out->num_headers) != 0)
            return OMOTE_HTTP1_ERROR;
        ++out->num_headers;
    }
}

/* --- chunked transfer coding (RFC 9112 §7.1) ------------------------------------------- */

enum {
    CHUNK_SIZE = 0, /* reading hex digits */
    CHUNK_EXT,      /* after ';' until the end of the line */
    CHUNK_SIZE_LF,  /* saw CR after the size line */
    CHUNK_DATA,
    CHUNK_DATA_CR, /* the CRLF that ends a chunk's data */
    CHUNK_DATA_LF,
    TRAILER_LINE_START,
    TRAILER_LINE,
    TRAILER_LF, /* saw CR inside the trailer section */
    CHUNKED_DONE,
};

void omote_http1_chunked_init(omote_http1_chunked_t *decoder)
{
    memset(decoder, 0, sizeof(*decoder));
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* the end of a chunk-size line: a zero size starts the trailer section, any other its data */
static void end_size_line(omote_http1_chunked_t *d)
{
    d->line_bytes = 0;
    d->state = d->remaining == 0 ? TRAILER_LINE_START : CHUNK_DATA;
}

/* Consumes one framing byte. Returns 0, or -1 on a framing error. */
static int step(omote_http1_chunked_t *d, char c)
{
    if (++d->line_bytes > MAX_LINE_BYTES)
        return -1;
    switch (d->state) {
    case CHUNK_SIZE: {
        int v = hex_value(c);
        if (v >= 0) {
            if (++d->size_digits > MAX_CHUNK_SIZE_DIGITS)
                return -1;
            d->remaining = d->remaining * 16 + v;
            return 0;
        }
        if (d->size_digits == 0)
            return -1;
        if (c == ';') {
            d->state = CHUNK_EXT;
        } else if (c == '\r') {
            d->state = CHUNK_SIZE_LF;
        } else if (c == '\n') {
            end_size_line(d);
        } else {
            return -1; /* "0_2e", "1 ", "+5" and friends */
        }
        return 0;
    }
    case CHUNK_EXT:
        if (c == '\r') {
            d->state = CHUNK_SIZE_LF;
        } else if (c == '\n') {
            end_size_line(d);
        } else if (!is_value_char(c)) {
            return -1;
        }
        return 0;
    case CHUNK_SIZE_LF:
        if (c != '\n')
            return -1;
        end_size_line(d);
        return 0;
    case CHUNK_DATA_CR:
        if (c == '\n') {
            d->state = CHUNK_SIZE;
        } else if (c == '\r') {
            d->state = CHUNK_DATA_LF;
        } else {
            return -1;
        }
        d->size_digits = 0;
        d->line_bytes = 0;
        return 0;
    case CHUNK_DATA_LF:
        if (c != '\n')
            return -1;
        d->state = CHUNK_SIZE;
        d->line_bytes = 0;
        return 0;
    case TRAILER_LINE_START:
        if (c == '\r') {
            d->state = TRAILER_LF;
            d->size_digits = 1; /* marks "this CR ends the trailer section" */
        } else if (c == '\n') {
            d->state = CHUNKED_DONE;
        } else if (c == ' ' || c == '\t') {
            return -1;
        } else {
            d->state = TRAILER_LINE;
        }
        return 0;
    case TRAILER_LINE:
        if (c == '\r') {
            d->state = TRAILER_LF;
            d->size_digits = 0;
        } else if (c == '\n') {
            d->state = TRAILER_LINE_START;
            d->line_bytes = 0;
        } else if (!is_value_char(c)) {
            return -1;
        }
        return 0;
    case TRAILER_LF:
        if (c != '\n')
            return -1;
        d->state = d->size_digits ? CHUNKED_DONE : TRAILER_LINE_START;
        d->line_bytes = 0;
        return 0;
    default:
        return -1;
    }
}

long omote_http1_chunked_decode(omote_http1_chunked_t *d, char *buf, size_t *len)
{
    size_t src = 0, dst = 0, end = *len;

    while (src != end) {
        if (d->state == CHUNKED_DONE)
            break;
        if (d->state == CHUNK_DATA) {
            size_t avail = end - src;
            size_t n = d->remaining < avail ? (size_t)d->remaining : avail;
            memmove(buf + dst, buf + src, n);
            dst += n;
            src += n;
            if ((d->remaining -= n) == 0)
                d->state = CHUNK_DATA_CR;
            continue;
        }
        if (step(d, buf[src++]) != 0)
            return OMOTE_HTTP1_ERROR;
    }
    *len = dst;
    return d->state == CHUNKED_DONE ? (long)(end - src) : OMOTE_HTTP1_INCOMPLETE;
}

/* --- field values ------------------------------------------------------------------- */

int omote_http1_parse_content_length(const char *value, size_t len, uint64_t *out)
{
    int have = 0;
    uint64_t first = 0;
    size_t i = 0;

    for (;;) {
        uint64_t v = 0;
        size_t digits = 0;
        while (i != len && value[i] >= '0' && value[i] <= '9') {
            if (++digits > 16)
                return -1;
            v = v * 10 + (value[i++] - '0');
        }
        if (digits == 0 || v > (1ull << 53) || (have && v != first))
            return -1;
        first = v;
        have = 1;
        while (i != len && (value[i] == ' ' || value[i] == '\t'))
            ++i;
        if (i == len)
            break;
        if (value[i++] != ',')
            return -1;
        while (i != len && (value[i] == ' ' || value[i] == '\t'))
            ++i;
    }
    *out = first;
    return 0;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
}

int omote_http1_list_has_token(const char *value, size_t len, const char *token)
{
    size_t tlen = strlen(token), i = 0;

    while (i < len) {
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            ++i;
        size_t start = i;
        while (i < len && value[i] != ',')
            ++i;
        size_t end = i;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
            --end;
        if (end - start == tlen) {
            size_t k = 0;
            while (k != tlen && lower(value[start + k]) == lower(token[k]))
                ++k;
            if (k == tlen)
                return 1;
        }
    }
    return 0;
}
