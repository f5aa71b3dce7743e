/* Unit tests for the upstream response parser: heads, chunked bodies at every split, field values. */
#include <stdlib.h>
#include <string.h>
#include "omote/http1_parse.h"
#include "tap.h"

static int parse(const char *head, omote_http1_response_t *res, omote_http1_header_t *headers)
{
    return omote_http1_parse_response(head, strlen(head), res, headers, 8);
}

static void test_response_head(void)
{
    omote_http1_response_t res;
    omote_http1_header_t h[8];
    const char *ok_head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Empty:\r\nSet-Cookie:  a=1 \t\r\n\r\nbody";

    is_int(parse(ok_head, &res, h), strlen(ok_head) - 4, "head length excludes the body");
    is_int(res.status, 200, "status");
    is_int(res.minor_version, 1, "minor version");
    ok(res.reason_len == 2 && memcmp(res.reason, "OK", 2) == 0, "reason");
    is_int(res.num_headers, 3, "three fields");
    ok(h[0].name_len == 12 && memcmp(h[0].name, "Content-Type", 12) == 0, "name keeps its case");
    is_int(h[1].value_len, 0, "empty value");
    ok(h[2].value_len == 3 && memcmp(h[2].value, "a=1", 3) == 0, "surrounding whitespace trimmed");

    is_int(parse("HTTP/1.0 304\n\n", &res, h), 14, "bare LF and no reason phrase");
    is_int(res.status, 304, "status without reason");
    for (size_t cut = 0; cut != strlen(ok_head) - 4; ++cut)
        if (omote_http1_parse_response(ok_head, cut, &res, h, 8) != OMOTE_HTTP1_INCOMPLETE) {
            ok(0, "incomplete at %zu", cut);
            return;
        }
    ok(1, "every prefix of the head is incomplete");

    is_int(parse("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "obs-fold rejected");
    is_int(parse("HTTP/1.1 200 OK\r\n: v\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "empty name rejected");
    is_int(parse("HTTP/1.1 200 OK\r\nX-A : v\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "space before colon rejected");
    is_int(parse("HTTP/1.1 200 OK\r\nX-A: a\001b\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "control byte in value rejected");
    is_int(parse("HTTP/2.0 200 OK\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "not HTTP/1.x");
    is_int(parse("HTTP/1.1 20 OK\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "two-digit status");
    is_int(parse("HTTP/1.1 099 X\r\n\r\n", &res, h), OMOTE_HTTP1_ERROR, "status below 100");
    is_int(parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\n\r\n", &res, h),
           OMOTE_HTTP1_ERROR, "more fields than the caller's array");
}

/* decodes `in` fed in pieces of `piece` bytes; returns the body (static) or NULL on error */
static const char *dechunk(const char *in, size_t piece, long *rest)
{
    static char body[4096];
    char buf[4096];
    size_t body_len = 0, total = strlen(in);
    omote_http1_chunked_t d;
    omote_http1_chunked_init(&d);
    *rest = OMOTE_HTTP1_INCOMPLETE;
    for (size_t off = 0; off < total && *rest == OMOTE_HTTP1_INCOMPLETE; off += piece) {
        size_t n = total - off < piece ? total - off : piece;
        memcpy(buf, in + off, n);
        *rest = omote_http1_chunked_decode(&d, buf, &n);
        if (*rest == OMOTE_HTTP1_ERROR)
            return NULL;
        memcpy(body + body_len, buf, n);
        body_len += n;
        if (*rest >= 0)
            *rest += total - off - (total - off < piece ? total - off : piece);
    }
    body[body_len] = '\0';
    return body;
}

static void test_chunked(void)
{
    const char *in = "5\r\nhello\r\n6;name=\"v\"\r\n world\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    long rest;
    int same = 1;
    for (size_t piece = 1; piece <= strlen(in); ++piece) {
        const char *body = dechunk(in, piece, &rest);
        if (body == NULL || strcmp(body, "hello world0123456789") != 0 || rest != 4) {
            same = 0;
            printf("# piece %zu: body=%s rest=%ld\n", piece, body ? body : "(error)", rest);
        }
    }
    ok(same, "same body and leftover for every piece size");

    ok(dechunk("0\r\n\r\n", 64, &rest) != NULL && rest == 0, "empty body");
    ok(dechunk("3\nabc\n0\n\n", 64, &rest) != NULL && rest == 0, "bare LF accepted");
    ok(dechunk("0_2e\r\n", 64, &rest) == NULL, "0_2e rejected");
    ok(dechunk("+5\r\nhello\r\n", 64, &rest) == NULL, "sign rejected");
    ok(dechunk("5 \r\nhello\r\n", 64, &rest) == NULL, "space after size rejected");
    ok(dechunk("\r\n", 64, &rest) == NULL, "missing size rejected");
    ok(dechunk("1000000000000000\r\n", 64, &rest) == NULL, "16 hex digits rejected");
    ok(dechunk("3\r\nabcX\r\n", 64, &rest) == NULL, "data longer than its size rejected");
    ok(dechunk("0\r\n folded\r\n\r\n", 64, &rest) == NULL, "folded trailer rejected");
    const char *partial = dechunk("5\r\nhel", 64, &rest);
    ok(partial != NULL && strcmp(partial, "hel") == 0 && rest == OMOTE_HTTP1_INCOMPLETE, "partial chunk passes its data on");

    char long_ext[5000] = "1;";
    memset(long_ext + 2, 'x', 4500);
    strcpy(long_ext + 4502, "\r\na\r\n0\r\n\r\n");
    ok(dechunk(long_ext, 64, &rest) == NULL, "over-long chunk line rejected");
}

static void test_field_values(void)
{
    uint64_t v;
    ok(omote_http1_parse_content_length("42", 2, &v) == 0 && v == 42, "content-length");
    ok(omote_http1_parse_content_length("42, 42", 6, &v) == 0 && v == 42, "equal list accepted");
    ok(omote_http1_parse_content_length("42, 43", 6, &v) != 0, "different values rejected");
    ok(omote_http1_parse_content_length("-1", 2, &v) != 0, "sign rejected");
    ok(omote_http1_parse_content_length("", 0, &v) != 0, "empty rejected");
    ok(omote_http1_parse_content_length("1 2", 3, &v) != 0, "inner space rejected");
    ok(omote_http1_parse_content_length("99999999999999999", 17, &v) != 0, "too large rejected");
    ok(omote_http1_list_has_token("keep-alive, Close", 17, "close"), "token found case-insensitively");
    ok(!omote_http1_list_has_token("closed", 6, "close"), "prefix is not a match");
    ok(omote_http1_list_has_token(" ,close ", 8, "close"), "empty elements skipped");
}

int main(void)
{
    test_response_head();
    test_chunked();
    test_field_values();
    return done_testing();
}
