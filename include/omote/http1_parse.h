/*
 * Parsing what an origin sends back over HTTP/1.1: the response head and chunked bodies.
 * Pure and incremental: callers feed whatever bytes arrived and call again with more. Strict
 * where leniency lets two parsers disagree about where a message ends (RFC 9112 §6, §7.1).
 */
#ifndef OMOTE_HTTP1_PARSE_H
#define OMOTE_HTTP1_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define OMOTE_HTTP1_INCOMPLETE (-2) /* more bytes are needed */
#define OMOTE_HTTP1_ERROR (-1)      /* the bytes are not valid HTTP/1.1 */

typedef struct st_omote_http1_header_t {
    const char *name; /* borrowed from the buffer being parsed; not NUL-terminated */
    size_t name_len;
    const char *value; /* leading and trailing whitespace removed */
    size_t value_len;
} omote_http1_header_t;

typedef struct st_omote_http1_response_t {
    int minor_version; /* 0 or 1 */
    int status;        /* 100..999 */
    const char *reason;
    size_t reason_len;
    size_t num_headers;
} omote_http1_response_t;

/**
 * Parses a response head (status line and header fields up to the empty line) at the start of
 * `buf`. Fills `out` and up to `max_headers` entries of `headers`, which point into `buf`.
 * Returns the length of the head, OMOTE_HTTP1_INCOMPLETE, or OMOTE_HTTP1_ERROR (malformed,
 * obs-fold, a control character in a field, or more than `max_headers` fields).
 */
int omote_http1_parse_response(const char *buf, size_t len, omote_http1_response_t *out, omote_http1_header_t *headers,
                               size_t max_headers);

/** State of a chunked body decoder; zero it (or call omote_http1_chunked_init) before the first call. */
typedef struct st_omote_http1_chunked_t {
    int state;
    uint64_t remaining; /* data bytes left in the current chunk */
    size_t size_digits;
    size_t line_bytes; /* bytes of the current chunk-size line or trailer field */
} omote_http1_chunked_t;

/** Resets `decoder` for a new body. */
void omote_http1_chunked_init(omote_http1_chunked_t *decoder);

/**
 * Decodes chunked framing in place: on return, the first `*len` bytes of `buf` are body data
 * and the framing is gone. Returns OMOTE_HTTP1_INCOMPLETE when the body goes on, the number of
 * bytes that followed the final CRLF (counted from the original end of the input, they belong
 * to the next message) when it ended, or OMOTE_HTTP1_ERROR. Chunk sizes are hex digits only
 * (at most 15), extensions are skipped, trailers are read and dropped, lines are bounded.
 */
long omote_http1_chunked_decode(omote_http1_chunked_t *decoder, char *buf, size_t *len);

/**
 * Parses a Content-Length value: digits only, no sign or spaces, at most 2^53. A list of equal
 * values ("42, 42") is accepted as RFC 9110 §8.6 allows. Returns 0 and sets `*out`, or -1.
 */
int omote_http1_parse_content_length(const char *value, size_t len, uint64_t *out);

/** Whether `value`, a comma-separated token list such as a Connection field, contains `token` (case-insensitive). */
int omote_http1_list_has_token(const char *value, size_t len, const char *token);

#endif
