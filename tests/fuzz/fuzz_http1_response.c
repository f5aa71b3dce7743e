/*
 * Fuzz target: the upstream response head parser. Invariants: a complete head's length never
 * exceeds the input, every field lies inside it, and feeding any shorter prefix of a complete
 * head says "incomplete" (the parser never decides on bytes it has not seen).
 */
#include "fuzz.h"
#include <stdint.h>
#include <string.h>
#include "omote/http1_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    omote_http1_response_t res;
    omote_http1_header_t fields[32];

    int len = omote_http1_parse_response(buf, size, &res, fields, 32);
    if (len < 0)
        return 0;
    must((size_t)len <= size);
    must(res.status >= 100 && res.status <= 999);
    for (size_t i = 0; i != res.num_headers; ++i) {
        must(fields[i].name >= buf && fields[i].name + fields[i].name_len <= buf + len);
        must(fields[i].value >= buf && fields[i].value + fields[i].value_len <= buf + len);
        must(fields[i].name_len != 0);
    }
    size_t cut = size > 0 ? data[0] % (size_t)len : 0;
    omote_http1_response_t again;
    must(omote_http1_parse_response(buf, cut, &again, fields, 32) == OMOTE_HTTP1_INCOMPLETE);
    return 0;
}
