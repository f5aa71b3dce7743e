/*
 * The first-party identifier: 128 random bits from OpenSSL, written as 32 lowercase hex digits,
 * that a visitor gets only after consenting to a purpose with needs_identifier (README
 * "Consent"). Pure: no h2o, no I/O; the glue sets and reads the cookie.
 *
 * omote keeps no copy: the identifier lives in the visitor's cookie and reaches the origin as
 * `Omote-Id` while such a purpose is granted. Nothing in Redis is keyed by it.
 */
#ifndef OMOTE_IDENTITY_H
#define OMOTE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#define OMOTE_IDENTITY_BYTES 16
/** Characters of an identifier (hex), without the NUL. */
#define OMOTE_IDENTITY_LEN (2 * OMOTE_IDENTITY_BYTES)
/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.5); the identifier never asks for more. */
#define OMOTE_IDENTITY_MAX_AGE_SEC ((uint64_t)400 * 86400)

/** Writes a fresh identifier (OMOTE_IDENTITY_LEN hex digits and a NUL) to `out`. Returns 0, or -1 when RAND_bytes fails. */
int omote_identity_mint(char out[OMOTE_IDENTITY_LEN + 1]);

/** Whether `s` (`len` bytes) is an identifier as omote writes them: exactly 32 lowercase hex digits. */
int omote_identity_is_valid(const char *s, size_t len);

/**
 * The identifier cookie's Max-Age for a consent decided at `decided_at` (unix seconds) that holds
 * `lifetime_sec`, at time `now`: what is left of the consent, never over 400 days; 0 when the
 * consent has run out.
 */
uint64_t omote_identity_max_age(int64_t decided_at, uint64_t lifetime_sec, int64_t now);

#endif
