/*
 * Unit tests for the streaming gzip / deflate decoder: whole and at every split, bounded output,
 * several gzip members, zlib and raw deflate, and each error (corrupt, truncated, trailing data,
 * too large). Inputs are made here with zlib's encoder.
 */
#include "omote/inflate.h"
#include "tap.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { WRAP_GZIP = 16 + MAX_WBITS, WRAP_ZLIB = MAX_WBITS, WRAP_RAW = -MAX_WBITS };

static const char page[] = "<!DOCTYPE html>\n<html><head><title>Tea</title>\n"
                           "<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-1\"></script>\n"
                           "</head><body><h1>Sencha</h1><p>Steamed green tea from Shizuoka.</p>\n"
                           "<img src=\"https://px.ads.linkedin.com/collect?pid=1\" alt=\"\"></body></html>\n";

/* Encodes `len` bytes with the given zlib window bits; the caller frees *out. */
static size_t encode(const void *data, size_t len, int wrap, int level, unsigned char **out)
{
    z_stream z = {0};
    deflateInit2(&z, level, Z_DEFLATED, wrap, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, len) + 32;
    *out = malloc(cap);
    z.next_in = (unsigned char *)data;
    z.avail_in = len;
    z.next_out = *out;
    z.avail_out = cap;
    deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

struct st_result_t {
    int status; /* 0 or an error */
    char *out;
    size_t len;
    int overflowed; /* some call wrote more than it was allowed */
};

/* Decodes `data` fed in pieces of `piece` bytes, taking output through a buffer of `out_cap`. */
static struct st_result_t decode(omote_inflate_coding_t coding, const omote_inflate_limits_t *limits, const void *data, size_t len,
                                 size_t piece, size_t out_cap)
{
    struct st_result_t res = {0, malloc(1), 0, 0};
    size_t res_cap = 1;
    omote_inflate_t *inf = omote_inflate_create(coding, limits);
    char *buf = malloc(out_cap);
    const char *p = data;
    size_t left = len;

    do {
        size_t chunk = left < piece ? left : piece, chunk_left = chunk;
        const char *in = p;
        ssize_t n;
        do {
            size_t before = chunk_left;
            n = omote_inflate_run(inf, &in, &chunk_left, buf, out_cap);
            if (n == 0 && chunk_left == before && before != 0) {
                res.status = 1; /* no progress with input left: a bug */
                goto Exit;
            }
            if (n < 0) {
                res.status = (int)n;
                goto Exit;
            }
            if ((size_t)n > out_cap)
                res.overflowed = 1;
            if (res.len + n > res_cap) {
                res_cap = (res.len + n) * 2;
                res.out = realloc(res.out, res_cap);
            }
            memcpy(res.out + res.len, buf, n);
            res.len += n;
        } while (chunk_left != 0 || (size_t)n == out_cap);
        p += chunk;
        left -= chunk;
    } while (left != 0);
    res.status = omote_inflate_finish(inf);
Exit:
    free(buf);
    omote_inflate_free(inf);
    return res;
}

static int same(struct st_result_t r, const void *expected, size_t len)
{
    int is_same = r.status == 0 && !r.overflowed && r.len == len && memcmp(r.out, expected, len) == 0;
    free(r.out);
    return is_same;
}

static int status_of(struct st_result_t r)
{
    free(r.out);
    return r.status;
}

static omote_inflate_limits_t no_limits = {0, 0, 0};

static void test_whole_and_split(void)
{
    static const struct {
        int wrap;
        omote_inflate_coding_t coding;
        const char *name;
    } kinds[] = {{WRAP_GZIP, OMOTE_INFLATE_GZIP, "gzip"},
                 {WRAP_ZLIB, OMOTE_INFLATE_DEFLATE, "deflate (zlib)"},
                 {WRAP_RAW, OMOTE_INFLATE_DEFLATE, "deflate (raw)"}};
    for (size_t k = 0; k != sizeof(kinds) / sizeof(kinds[0]); ++k) {
        unsigned char *enc;
        size_t n = encode(page, sizeof(page) - 1, kinds[k].wrap, 6, &enc);
        ok(same(decode(kinds[k].coding, &no_limits, enc, n, n, 1 << 16), page, sizeof(page) - 1), "%s: whole", kinds[k].name);
        ok(same(decode(kinds[k].coding, &no_limits, enc, n, 1, 1), page, sizeof(page) - 1), "%s: byte by byte, one byte out",
           kinds[k].name);
        int all = 1;
        for (size_t piece = 1; piece <= n && all; ++piece)
            for (size_t out_cap = 1; out_cap <= 64 && all; out_cap *= 4)
                all = same(decode(kinds[k].coding, &no_limits, enc, n, piece, out_cap), page, sizeof(page) - 1);
        ok(all, "%s: every piece size and several output sizes", kinds[k].name);

        /* every single split point, fed as two calls */
        all = 1;
        for (size_t cut = 0; cut <= n && all; ++cut) {
            omote_inflate_t *inf = omote_inflate_create(kinds[k].coding, &no_limits);
            char out[1024];
            size_t got = 0;
            const char *a = (const char *)enc, *b = (const char *)enc + cut;
            size_t alen = cut, blen = n - cut;
            ssize_t r1 = omote_inflate_run(inf, &a, &alen, out, sizeof(out));
            all = r1 >= 0 && alen == 0;
            got = all ? (size_t)r1 : 0;
            ssize_t r2 = all ? omote_inflate_run(inf, &b, &blen, out + got, sizeof(out) - got) : -1;
            all = all && r2 >= 0 && blen == 0 && omote_inflate_finish(inf) == 0 && got + r2 == sizeof(page) - 1 &&
                  memcmp(out, page, sizeof(page) - 1) == 0;
            omote_inflate_free(inf);
        }
        ok(all, "%s: split at every byte", kinds[k].name);
        free(enc);
    }
}

static void test_large_body_in_bounded_pieces(void)
{
    size_t len = 3 << 20;
    char *text = malloc(len);
    unsigned seed = 7;
    for (size_t i = 0; i != len; ++i) {
        seed = seed * 1103515245 + 12345;
        text[i] = "<div class=\"card\">tea</div>\n"[(seed >> 16) % 28];
    }
    unsigned char *enc;
    size_t n = encode(text, len, WRAP_GZIP, 6, &enc);
    omote_inflate_limits_t defaults = omote_inflate_default_limits();
    ok(same(decode(OMOTE_INFLATE_GZIP, &defaults, enc, n, 65536, 16384), text, len),
       "3 MiB of markup: default limits, 16 KiB pieces");
    ok(same(decode(OMOTE_INFLATE_GZIP, &defaults, enc, n, 1000, 999), text, len), "odd piece and buffer sizes");
    free(enc);
    free(text);
}

static void test_gzip_members(void)
{
    unsigned char *a, *b;
    size_t na = encode("first member, ", 14, WRAP_GZIP, 9, &a), nb = encode("second member", 13, WRAP_GZIP, 1, &b);
    unsigned char *both = malloc(na + nb);
    memcpy(both, a, na);
    memcpy(both + na, b, nb);
    const char *expected = "first member, second member";
    ok(same(decode(OMOTE_INFLATE_GZIP, &no_limits, both, na + nb, na + nb, 4096), expected, 27), "two members, whole");
    int all = 1;
    for (size_t piece = 1; piece <= na + nb && all; ++piece)
        all = same(decode(OMOTE_INFLATE_GZIP, &no_limits, both, na + nb, piece, 5), expected, 27);
    ok(all, "two members, every piece size");
    is_int(status_of(decode(OMOTE_INFLATE_GZIP, &no_limits, both, na + 1, 4096, 4096)), OMOTE_INFLATE_TRUNCATED,
           "a second member cut after its first byte is truncated");
    is_int(status_of(decode(OMOTE_INFLATE_DEFLATE, &no_limits, both, na + nb, 4096, 4096)), OMOTE_INFLATE_CORRUPT,
           "gzip sent as deflate is corrupt");
    free(both);
    free(a);
    free(b);
}

static void test_truncated(void)
{
    static const int wraps[] = {WRAP_GZIP, WRAP_ZLIB, WRAP_RAW};
    static const char *const names[] = {"gzip", "zlib", "raw deflate"};
    for (size_t k = 0; k != 3; ++k) {
        unsigned char *enc;
        size_t n = encode(page, sizeof(page) - 1, wraps[k], 6, &enc);
        omote_inflate_coding_t coding = k == 0 ? OMOTE_INFLATE_GZIP : OMOTE_INFLATE_DEFLATE;
        int all = 1;
        for (size_t cut = 1; cut < n && all; ++cut) {
            int st = status_of(decode(coding, &no_limits, enc, cut, 7, 64));
            all = st == OMOTE_INFLATE_TRUNCATED;
            if (!all)
                printf("# %s cut at %zu of %zu: %d\n", names[k], cut, n, st);
        }
        ok(all, "%s: every proper prefix is reported truncated at the end", names[k]);
        free(enc);
    }
}

static void test_corrupt(void)
{
    unsigned char *enc;
    size_t n = encode(page, sizeof(page) - 1, WRAP_GZIP, 6, &enc);
    unsigned char *bad = malloc(n);

    memcpy(bad, enc, n);
    bad[1] = 0x8c;
    is_int(status_of(decode(OMOTE_INFLATE_GZIP, &no_limits, bad, n, n, 4096)), OMOTE_INFLATE_CORRUPT, "bad magic");
    memcpy(bad, enc, n);
    bad[n - 6] ^= 0x40; /* CRC-32 */
    is_int(status_of(decode(OMOTE_INFLATE_GZIP, &no_limits, bad, n, n, 4096)), OMOTE_INFLATE_CORRUPT, "bad CRC-32");
    memcpy(bad, enc, n);
    bad[n - 2] ^= 0x01; /* ISIZE */
    is_int(status_of(decode(OMOTE_INFLATE_GZIP, &no_limits, bad, n, n, 4096)), OMOTE_INFLATE_CORRUPT, "bad length");
    int all = 1;
    for (size_t i = 10; i < n - 8 && all; ++i) {
        memcpy(bad, enc, n);
        bad[i] ^= 0xff;
        all = status_of(decode(OMOTE_INFLATE_GZIP, &no_limits, bad, n, 3, 16)) < 0;
    }
    ok(all, "any flipped byte in the data is an error (block or CRC), never a clean end");
    is_int(status_of(decode(OMOTE_INFLATE_GZIP, &no_limits, "<html>hello</html>", 18, 18, 4096)), OMOTE_INFLATE_CORRUPT,
           "plain HTML labelled gzip");
    is_int(status_of(decode(OMOTE_INFLATE_DEFLATE, &no_limits, "<html>hello</html>", 18, 18, 4096)), OMOTE_INFLATE_CORRUPT,
           "plain HTML labelled deflate");

    /* the error sticks */
    omote_inflate_t *inf = omote_inflate_create(OMOTE_INFLATE_GZIP, &no_limits);
    const char *in = "garbage!";
    size_t in_len = 8;
    char out[64];
    ssize_t r = omote_inflate_run(inf, &in, &in_len, out, sizeof(out));
    in = (const char *)enc;
    in_len = n;
    ok(r == OMOTE_INFLATE_CORRUPT && omote_inflate_run(inf, &in, &in_len, out, sizeof(out)) == OMOTE_INFLATE_CORRUPT &&
           omote_inflate_finish(inf) == OMOTE_INFLATE_CORRUPT,
       "the first error is returned from then on");
    omote_inflate_free(inf);
    is_str(omote_inflate_strerror(OMOTE_INFLATE_TRUNCATED), "truncated", "error names");
    free(bad);
    free(enc);
}

static void test_trailing(void)
{
    static const struct {
        int wrap;
        omote_inflate_coding_t coding;
        const char *tail;
        size_t tail_len;
        int expected;
        const char *name;
    } cases[] = {
        {WRAP_GZIP, OMOTE_INFLATE_GZIP, "junk", 4, OMOTE_INFLATE_TRAILING, "gzip + text"},
        {WRAP_GZIP, OMOTE_INFLATE_GZIP, "\0\0\0", 3, OMOTE_INFLATE_TRAILING, "gzip + zero padding"},
        {WRAP_GZIP, OMOTE_INFLATE_GZIP, "\x1f\x8b\x08", 3, OMOTE_INFLATE_TRUNCATED, "gzip + the start of a member"},
        {WRAP_GZIP, OMOTE_INFLATE_GZIP, "\x1fjunk", 5, OMOTE_INFLATE_CORRUPT, "gzip + a false member"},
        {WRAP_ZLIB, OMOTE_INFLATE_DEFLATE, "x", 1, OMOTE_INFLATE_TRAILING, "zlib + one byte"},
        {WRAP_RAW, OMOTE_INFLATE_DEFLATE, "\x1f\x8b", 2, OMOTE_INFLATE_TRAILING, "raw deflate + two bytes"},
    };
    for (size_t i = 0; i != sizeof(cases) / sizeof(cases[0]); ++i) {
        unsigned char *enc;
        size_t n = encode(page, sizeof(page) - 1, cases[i].wrap, 6, &enc);
        enc = realloc(enc, n + cases[i].tail_len);
        memcpy(enc + n, cases[i].tail, cases[i].tail_len);
        is_int(status_of(decode(cases[i].coding, &no_limits, enc, n + cases[i].tail_len, n + cases[i].tail_len, 4096)),
               cases[i].expected, "%s, whole", cases[i].name);
        is_int(status_of(decode(cases[i].coding, &no_limits, enc, n + cases[i].tail_len, 1, 3)), cases[i].expected,
               "%s, byte by byte", cases[i].name);
        free(enc);
    }
}

static void test_empty(void)
{
    ok(same(decode(OMOTE_INFLATE_GZIP, &no_limits, "", 0, 1, 16), "", 0), "empty body labelled gzip: empty, no error");
    ok(same(decode(OMOTE_INFLATE_DEFLATE, &no_limits, "", 0, 1, 16), "", 0), "empty body labelled deflate: empty, no error");
    is_int(status_of(decode(OMOTE_INFLATE_DEFLATE, &no_limits, "\x78", 1, 1, 16)), OMOTE_INFLATE_TRUNCATED,
           "one byte of deflate is truncated");
    unsigned char *enc;
    size_t n = encode("", 0, WRAP_GZIP, 6, &enc);
    ok(same(decode(OMOTE_INFLATE_GZIP, &no_limits, enc, n, 1, 1), "", 0), "a gzip stream of nothing");
    free(enc);
}

static void test_bombs(void)
{
    size_t len = 16 << 20;
    char *zeros = calloc(1, len);
    unsigned char *enc;
    size_t n = encode(zeros, len, WRAP_GZIP, 9, &enc);
    omote_inflate_limits_t defaults = omote_inflate_default_limits();
    struct st_result_t r = decode(OMOTE_INFLATE_GZIP, &defaults, enc, n, n, 65536);
    ok(r.status == OMOTE_INFLATE_TOO_LARGE && r.len <= OMOTE_INFLATE_DEFAULT_RATIO_FLOOR_BYTES + 65536,
       "16 MiB of zeros in %zu bytes stops near the ratio floor (%zu decoded)", n, r.len);
    free(r.out);
    omote_inflate_limits_t ratio = {0, 10, 4096};
    is_int(status_of(decode(OMOTE_INFLATE_GZIP, &ratio, enc, n, 100, 512)), OMOTE_INFLATE_TOO_LARGE, "ratio limit, small pieces");
    omote_inflate_limits_t total = {1000, 0, 0};
    unsigned char *small;
    size_t ns = encode(zeros, 1000, WRAP_GZIP, 9, &small);
    ok(same(decode(OMOTE_INFLATE_GZIP, &total, small, ns, ns, 4096), zeros, 1000), "exactly the output limit passes");
    free(small);
    ns = encode(zeros, 1001, WRAP_ZLIB, 9, &small);
    is_int(status_of(decode(OMOTE_INFLATE_DEFLATE, &total, small, ns, ns, 4096)), OMOTE_INFLATE_TOO_LARGE,
           "one byte more does not");
    free(small);
    free(enc);
    free(zeros);
}

int main(void)
{
    test_whole_and_split();
    test_large_body_in_bounded_pieces();
    test_gzip_members();
    test_truncated();
    test_corrupt();
    test_trailing();
    test_empty();
    test_bombs();
    return done_testing();
}
