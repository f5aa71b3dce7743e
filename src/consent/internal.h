/*
 * Helpers shared by the consent module's files (keys and token): base64 in the two dialects they
 * read. Nothing outside src/consent includes this.
 */
#ifndef OMOTE_CONSENT_INTERNAL_H
#define OMOTE_CONSENT_INTERNAL_H

#include <stddef.h>

/** Characters base64url without padding needs for `n` bytes. */
#define OMOTE_B64URL_LEN(n) (((n)*4 + 2) / 3)

typedef enum en_omote_b64_mode_t {
    /* RFC 4648 §5 alphabet only, no '=' padding, unused trailing bits zero: one spelling per value */
    OMOTE_B64_URL_CANONICAL = 0,
    /* §4 or §5 alphabet (not mixed), '=' padding optional but exact when present, unused bits zero */
    OMOTE_B64_ANY,
} omote_b64_mode_t;

/** Writes `len` bytes as base64url without padding to `out` (OMOTE_B64URL_LEN(len) bytes, no NUL). Returns the length. */
size_t omote_b64url_encode(const unsigned char *in, size_t len, char *out);

/**
 * Decodes `len` characters of `in` into `out` (room for `cap` bytes). Returns the number of
 * bytes, or -1 when the text is not base64 of the given mode or does not fit.
 */
long omote_b64_decode(const char *in, size_t len, omote_b64_mode_t mode, unsigned char *out, size_t cap);

#endif
