/*
 * Streaming gzip / deflate decoding over zlib, for HTML the origin encoded. Output leaves in
 * pieces bounded by the caller's buffer; the input is never copied beyond two bytes.
 *
 * Failure policy: strict. Corrupt data, a stream cut short, bytes after the end that do not start
 * a gzip member, and output beyond the limits are errors, so a caller never mistakes part of a
 * body for all of it. An empty input is an empty body (origins label empty bodies gzip too).
 */
#include "omote/inflate.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GZIP_ID1 0x1f /* RFC 1952 §2.3.1 */

struct st_omote_inflate_t {
    z_stream z;
    omote_inflate_coding_t coding;
    omote_inflate_limits_t limits;
    int error;      /* 0, or the first error, returned from then on */
    int is_open;    /* inflateInit2 done; "deflate" waits for two bytes to tell zlib from raw */
    int at_end;     /* the last stream (or member) ended, and no byte came after it yet */
    int seen_input; /* any byte at all was fed */
    unsigned char head[2];
    size_t head_len, head_used; /* "deflate": the first bytes, kept until they are decoded */
    uint64_t bytes_in, bytes_out;
};

omote_inflate_limits_t omote_inflate_default_limits(void)
{
    return (omote_inflate_limits_t){OMOTE_INFLATE_DEFAULT_MAX_OUTPUT_BYTES, OMOTE_INFLATE_DEFAULT_MAX_RATIO,
                                    OMOTE_INFLATE_DEFAULT_RATIO_FLOOR_BYTES};
}

static void open_zlib(omote_inflate_t *inf, int window_bits)
{
    int r = inflateInit2(&inf->z, window_bits);
    if (r == Z_MEM_ERROR)
        abort(); /* out of memory aborts, as everywhere in omote */
    if (r != Z_OK)
        abort(); /* a wrong version or window size is our bug, not the input's */
    inf->is_open = 1;
}

omote_inflate_t *omote_inflate_create(omote_inflate_coding_t coding, const omote_inflate_limits_t *limits)
{
    omote_inflate_t *inf = calloc(1, sizeof(*inf));
    if (inf == NULL)
        abort();
    inf->coding = coding;
    inf->limits = *limits;
    if (coding == OMOTE_INFLATE_GZIP)
        open_zlib(inf, 16 + MAX_WBITS); /* gzip header and trailer only; CRC-32 and length checked */
    return inf;
}

void omote_inflate_free(omote_inflate_t *inf)
{
    if (inf == NULL)
        return;
    if (inf->is_open)
        inflateEnd(&inf->z);
    free(inf);
}

static int fail(omote_inflate_t *inf, int err)
{
    if (inf->error == 0)
        inf->error = err;
    return inf->error;
}

/*
 * HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), but servers have long sent raw
 * deflate under that name. A zlib header is CMF, FLG with compression method 8, a window of at
 * most 32 KiB, and CMF * 256 + FLG divisible by 31 (RFC 1950 §2.2); anything else is raw data.
 */
static int looks_like_zlib(const unsigned char *b)
{
    return (b[0] & 0x0f) == Z_DEFLATED && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0;
}

/* Takes the first two bytes of a "deflate" body from the caller; opens zlib once both are here. */
static void collect_head(omote_inflate_t *inf, const char **in, size_t *in_len)
{
    while (inf->head_len < sizeof(inf->head) && *in_len != 0) {
        inf->head[inf->head_len++] = (unsigned char)**in;
        ++*in;
        --*in_len;
    }
    if (inf->head_len == sizeof(inf->head))
        open_zlib(inf, looks_like_zlib(inf->head) ? MAX_WBITS : -MAX_WBITS);
}

static int over_limits(const omote_inflate_t *inf)
{
    const omote_inflate_limits_t *l = &inf->limits;
    if (l->max_output_bytes != 0 && inf->bytes_out > l->max_output_bytes)
        return 1;
    return l->max_ratio != 0 && inf->bytes_out > l->ratio_floor_bytes && inf->bytes_out / l->max_ratio > inf->bytes_in;
}

/* After a stream ended: another gzip member may follow; anything else is trailing data. */
static int start_next_member(omote_inflate_t *inf, unsigned char first)
{
    if (inf->coding != OMOTE_INFLATE_GZIP || first != GZIP_ID1)
        return fail(inf, OMOTE_INFLATE_TRAILING);
    inflateReset(&inf->z);
    inf->at_end = 0;
    return 0;
}

ssize_t omote_inflate_run(omote_inflate_t *inf, const char **in, size_t *in_len, char *out, size_t out_cap)
{
    size_t produced = 0;

    if (inf->error != 0)
        return inf->error;
    if (*in_len != 0)
        inf->seen_input = 1;
    if (!inf->is_open) {
        collect_head(inf, in, in_len);
        if (!inf->is_open)
            return 0;
    }
    while (produced < out_cap) {
        /* the held first bytes go in before the caller's */
        int from_head = inf->head_used < inf->head_len;
        const unsigned char *src = from_head ? inf->head + inf->head_used : (const unsigned char *)*in;
        size_t avail = from_head ? inf->head_len - inf->head_used : *in_len;
        if (inf->at_end) {
            if (avail == 0)
                break;
            if (start_next_member(inf, src[0]) != 0)
                return inf->error;
        }
        inf->z.next_in = (unsigned char *)src;
        inf->z.avail_in = avail > UINT_MAX ? UINT_MAX : (unsigned)avail;
        inf->z.next_out = (unsigned char *)out + produced;
        inf->z.avail_out = out_cap - produced > UINT_MAX ? UINT_MAX : (unsigned)(out_cap - produced);
        unsigned avail_in = inf->z.avail_in, avail_out = inf->z.avail_out;
        int r = inflate(&inf->z, Z_NO_FLUSH);
        size_t used = avail_in - inf->z.avail_in, made = avail_out - inf->z.avail_out;
        if (from_head) {
            inf->head_used += used;
        } else {
            *in += used;
            *in_len -= used;
        }
        produced += made;
        inf->bytes_in += used;
        inf->bytes_out += made;
        if (r == Z_MEM_ERROR)
            abort();
        if (r == Z_DATA_ERROR || r == Z_NEED_DICT || r == Z_STREAM_ERROR)
            return fail(inf, OMOTE_INFLATE_CORRUPT); /* HTTP has no preset dictionaries */
        if (over_limits(inf))
            return fail(inf, OMOTE_INFLATE_TOO_LARGE);
        if (r == Z_STREAM_END) {
            inf->at_end = 1;
            continue;
        }
        if (used == 0 && made == 0)
            break; /* Z_BUF_ERROR or Z_OK without progress: zlib needs more input */
    }
    return (ssize_t)produced;
}

int omote_inflate_finish(omote_inflate_t *inf)
{
    if (inf->error != 0)
        return inf->error;
    if (!inf->seen_input)
        return 0;
    if (!inf->at_end || inf->head_used < inf->head_len)
        return fail(inf, OMOTE_INFLATE_TRUNCATED);
    return 0;
}

uint64_t omote_inflate_bytes_in(const omote_inflate_t *inf)
{
    return inf->bytes_in;
}

uint64_t omote_inflate_bytes_out(const omote_inflate_t *inf)
{
    return inf->bytes_out;
}

const char *omote_inflate_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case OMOTE_INFLATE_CORRUPT:
        return "corrupt";
    case OMOTE_INFLATE_TRUNCATED:
        return "truncated";
    case OMOTE_INFLATE_TRAILING:
        return "trailing data";
    case OMOTE_INFLATE_TOO_LARGE:
        return "too large";
    default:
        return "unknown";
    }
}
