/*
 * Fuzz target: the chunked decoder. The first byte picks a piece size; decoding the rest in one
 * call and in pieces of that size must give the same body, the same verdict and the same count
 * of bytes left after the body (the streaming property).
 */
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "omote/http1_parse.h"

static long decode(const uint8_t *in, size_t size, size_t piece, char *body, size_t *body_len)
{
    omote_http1_chunked_t d;
    omote_http1_chunked_init(&d);
    char *buf = malloc(piece);
    long verdict = OMOTE_HTTP1_INCOMPLETE;
    size_t off = 0;
    *body_len = 0;
    while (off < size && verdict == OMOTE_HTTP1_INCOMPLETE) {
        size_t n = size - off < piece ? size - off : piece, fed = n;
        memcpy(buf, in + off, n);
        verdict = omote_http1_chunked_decode(&d, buf, &n);
        must(n <= fed);
        if (verdict == OMOTE_HTTP1_ERROR)
            break;
        memcpy(body + *body_len, buf, n);
        *body_len += n;
        off += fed;
        if (verdict >= 0)
            verdict += size - off; /* bytes never fed belong after the body too */
    }
    free(buf);
    return verdict;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = data[0] % 16 + 1;
    char *whole = malloc(size), *pieces = malloc(size);
    size_t whole_len, pieces_len;
    long a = decode(data + 1, size - 1, size, whole, &whole_len);
    long b = decode(data + 1, size - 1, piece, pieces, &pieces_len);
    must(a == b);
    if (a != OMOTE_HTTP1_ERROR)
        must(whole_len == pieces_len && memcmp(whole, pieces, whole_len) == 0);
    free(whole);
    free(pieces);
    return 0;
}
