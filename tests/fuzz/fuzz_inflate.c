/*
 * Fuzz target: the gzip / deflate decoder. The first byte picks the coding, a piece size and an
 * output buffer size. Decoding in one piece and in small pieces must end the same way and, when
 * it succeeds, give the same bytes (the streaming property); no call may write more than its
 * buffer, and with limits set the output never passes them by more than one buffer.
 */
#include "fuzz.h"
#include "omote/inflate.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUT (1 << 22) /* what one input can make here: 4 MiB is plenty for the seeds' sizes */

struct st_run_t {
    int status;
    size_t len;
};

static struct st_run_t decode(omote_inflate_coding_t coding, const omote_inflate_limits_t *limits, const uint8_t *data, size_t size,
                              size_t piece, size_t out_cap, char *out)
{
    omote_inflate_t *inf = omote_inflate_create(coding, limits);
    char *buf = malloc(out_cap);
    struct st_run_t run = {0, 0};
    size_t off = 0;

    do {
        size_t chunk = size - off < piece ? size - off : piece, left = chunk;
        const char *in = (const char *)data + off;
        ssize_t n;
        do {
            size_t before = left;
            n = omote_inflate_run(inf, &in, &left, buf, out_cap);
            if (n < 0) {
                run.status = (int)n;
                goto Exit;
            }
            must((size_t)n <= out_cap);
            must(n != 0 || left < before || before == 0); /* progress whenever input is offered */
            if (run.len + n > MAX_OUT) {
                run.status = OMOTE_INFLATE_TOO_LARGE;
                goto Exit;
            }
            memcpy(out + run.len, buf, n);
            run.len += n;
        } while (left != 0 || (size_t)n == out_cap);
        off += chunk;
    } while (off < size);
    run.status = omote_inflate_finish(inf);
    if (run.status == 0)
        must(omote_inflate_bytes_out(inf) == run.len);
Exit:
    must(run.status <= 0 && run.status >= OMOTE_INFLATE_TOO_LARGE);
    free(buf);
    omote_inflate_free(inf);
    return run;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    omote_inflate_coding_t coding = data[0] & 1 ? OMOTE_INFLATE_DEFLATE : OMOTE_INFLATE_GZIP;
    size_t piece = (data[0] >> 1) % 16 + 1, out_cap = (data[0] >> 5) * 5 + 1;
    static char whole[MAX_OUT], pieces[MAX_OUT];
    omote_inflate_limits_t none = {0, 0, 0};

    struct st_run_t a = decode(coding, &none, data + 1, size - 1, size, 1 << 16, whole);
    struct st_run_t b = decode(coding, &none, data + 1, size - 1, piece, out_cap, pieces);
    if (a.status != OMOTE_INFLATE_TOO_LARGE && b.status != OMOTE_INFLATE_TOO_LARGE) {
        must(a.status == b.status);
        if (a.status == 0)
            must(a.len == b.len && memcmp(whole, pieces, a.len) == 0);
    }

    omote_inflate_limits_t tight = {4096, 4, 256};
    struct st_run_t c = decode(coding, &tight, data + 1, size - 1, piece, out_cap, pieces);
    must(c.len <= tight.max_output_bytes + out_cap);
    if (a.status == 0 && a.len <= tight.ratio_floor_bytes)
        must(c.status == 0 && c.len == a.len); /* under every limit: the limits change nothing */
    return 0;
}
