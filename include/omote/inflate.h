/*
 * Decoding the gzip and deflate content codings (RFC 9110 §8.4.1) as a stream: callers feed
 * bytes as they arrive and take decoded output in pieces no larger than the buffer they pass,
 * so no whole body is ever held. Pure (zlib inside; nothing of zlib shows here).
 */
#ifndef OMOTE_INFLATE_H
#define OMOTE_INFLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum en_omote_inflate_coding_t {
    OMOTE_INFLATE_GZIP,   /* RFC 1952 ("gzip", "x-gzip"): one member or several in a row */
    OMOTE_INFLATE_DEFLATE /* "deflate": an RFC 1950 zlib stream, or raw RFC 1951 data as some servers send */
} omote_inflate_coding_t;

/* Errors, all negative. The first one sticks: every later call returns it again. */
#define OMOTE_INFLATE_CORRUPT (-1)   /* not valid data for the coding: header, block or checksum */
#define OMOTE_INFLATE_TRUNCATED (-2) /* the input ended inside the stream */
#define OMOTE_INFLATE_TRAILING (-3)  /* bytes after the end of the stream that do not start another gzip member */
#define OMOTE_INFLATE_TOO_LARGE (-4) /* the output outgrew the limits: a decompression bomb, or simply too much */

typedef struct st_omote_inflate_limits_t {
    uint64_t max_output_bytes;  /* decoded bytes in all; 0: no limit */
    uint32_t max_ratio;         /* decoded bytes per encoded byte read so far; 0: no limit */
    uint64_t ratio_floor_bytes; /* the ratio applies once this many bytes were decoded */
} omote_inflate_limits_t;

/*
 * What omote applies to HTML from the origin. Markup compresses 4..20 times, pages of repeated
 * cards up to about 100; deflate cannot exceed 1032. Past the first MiB, 200 decoded bytes per
 * encoded byte is a bomb, and so is more than 256 MiB of HTML in one response.
 */
#define OMOTE_INFLATE_DEFAULT_MAX_OUTPUT_BYTES ((uint64_t)256 << 20)
#define OMOTE_INFLATE_DEFAULT_MAX_RATIO 200
#define OMOTE_INFLATE_DEFAULT_RATIO_FLOOR_BYTES ((uint64_t)1 << 20)

typedef struct st_omote_inflate_t omote_inflate_t;

/** Returns the limits above. */
omote_inflate_limits_t omote_inflate_default_limits(void);

/** Creates a decoder for one body. `limits` is copied. Running out of memory aborts. */
omote_inflate_t *omote_inflate_create(omote_inflate_coding_t coding, const omote_inflate_limits_t *limits);

/** Frees `inf` (NULL is fine). */
void omote_inflate_free(omote_inflate_t *inf);

/**
 * Decodes from `*in` (`*in_len` bytes) into `out`, writing at most `out_cap` bytes. Advances
 * `*in` and lowers `*in_len` by what it consumed; unconsumed bytes stay the caller's to feed
 * again. Returns the number of bytes written, or one of the errors above (the output of a failing
 * call is not to be used). Call again, with more input or none, while input remains or the
 * previous call filled `out`: zlib may hold decoded bytes back until there is room.
 */
ssize_t omote_inflate_run(omote_inflate_t *inf, const char **in, size_t *in_len, char *out, size_t out_cap);

/**
 * Says the input has ended. Returns 0 if the data ended where a stream (or gzip member) ends, or
 * if there was no input at all (an empty body), else OMOTE_INFLATE_TRUNCATED or the error met
 * before. Call it once run() has nothing more to give.
 */
int omote_inflate_finish(omote_inflate_t *inf);

/** Encoded bytes consumed and decoded bytes produced so far. */
uint64_t omote_inflate_bytes_in(const omote_inflate_t *inf);
uint64_t omote_inflate_bytes_out(const omote_inflate_t *inf);

/** A short constant name for an error ("corrupt", "truncated", "trailing data", "too large"). */
const char *omote_inflate_strerror(int err);

#endif
