/*
 * Consent token: the signed cookie value that carries a visitor's decision, so a page request
 * knows it without asking Redis. Pure: the caller passes the keys and the current time in; no
 * clock, no I/O, no allocation.
 *
 * Text form (only RFC 6265 §4.1.1 cookie-octets): `1.<kid>.<payload>.<mac>`
 *   1        format version
 *   kid      the id of the key that signed it ([A-Za-z0-9_-]{1,16})
 *   payload  base64url without padding (RFC 4648 §5) of the binary payload below
 *   mac      base64url without padding of the first 16 bytes of HMAC-SHA256(key, "1.<kid>.<payload>"),
 *            i.e. over the exact characters before the last '.'
 *
 * Binary payload, format 1 (integers big-endian):
 *   offset 0   1 byte   flags: bit 0 set when a record id follows; other bits 0
 *   offset 1   4 bytes  purposes granted: bit i stands for conf->purposes[i]
 *   offset 5   8 bytes  decision time, unix seconds (at most 2^62)
 *   offset 13  1 byte   L, length of the policy version (1..32)
 *   offset 14  L bytes  policy version, visible ASCII (0x21..0x7e)
 *   then       16 bytes record id, only when flags bit 0 is set (a refusal carries none)
 *
 * The MAC is cut to 128 bits (half of SHA-256's output, as RFC 2104 §5 and NIST SP 800-107 allow):
 * a forger still has a 2^-128 chance per try, and the cookie stays near 100 bytes, sent with every
 * request. Decoding is strict: each part has a length bound, base64url must be canonical (no
 * padding, unused bits zero), nothing may follow the payload, so an accepted token has exactly
 * one spelling and re-encoding its decision gives the same string.
 */
#ifndef OMOTE_CONSENT_TOKEN_H
#define OMOTE_CONSENT_TOKEN_H

#include "omote/consent_keys.h"
#include <stddef.h>
#include <stdint.h>

#define OMOTE_CONSENT_TOKEN_VERSION 1
#define OMOTE_CONSENT_POLICY_VERSION_MAX 32
#define OMOTE_CONSENT_RECORD_ID_BYTES 16
/** Bytes of the HMAC-SHA256 output the token keeps. */
#define OMOTE_CONSENT_TOKEN_MAC_BYTES 16
/** Longest token: "1." + 16-byte kid + "." + 83 payload characters + "." + 22 MAC characters. */
#define OMOTE_CONSENT_TOKEN_MAX_LEN 125
/** A decision dated further ahead of `now` than this (a clock that went back) is not accepted. */
#define OMOTE_CONSENT_TOKEN_MAX_SKEW_SEC 300

/** What a token says. */
typedef struct st_omote_consent_decision_t {
    uint32_t purposes; /* granted purposes (an omote_purpose_set_t) */
    int64_t time_sec;  /* when the visitor decided, unix seconds */
    /* under which policy version; NUL-terminated */
    char policy_version[OMOTE_CONSENT_POLICY_VERSION_MAX + 1];
    int has_record_id; /* 0 for a refusal: no record, no identifier */
    unsigned char record_id[OMOTE_CONSENT_RECORD_ID_BYTES];
    /* set by omote_consent_token_decode, ignored by encode: the key that signed it (rotation can re-issue) */
    char kid[OMOTE_CONSENT_KID_MAX + 1];
} omote_consent_decision_t;

/** Outcome of decoding; only VALID yields a decision. Callers count them by name. */
typedef enum en_omote_consent_token_result_t {
    OMOTE_CONSENT_TOKEN_VALID = 0,
    OMOTE_CONSENT_TOKEN_MALFORMED = -1,       /* not a token of this format: syntax, lengths, base64, payload layout */
    OMOTE_CONSENT_TOKEN_UNKNOWN_KEY = -2,     /* well formed, signed with a key no longer (or never) listed */
    OMOTE_CONSENT_TOKEN_BAD_MAC = -3,         /* tampered, or signed with another secret under the same kid */
    OMOTE_CONSENT_TOKEN_EXPIRED = -4,         /* decided `lifetime_sec` or more before `now`, or dated in the future */
    OMOTE_CONSENT_TOKEN_OUTDATED_POLICY = -5, /* decided under another policy version */
} omote_consent_token_result_t;

/**
 * Writes the token for `decision` signed with `key` (normally omote_consent_keys_newest) to
 * `out`, NUL-terminated; `outsz` of OMOTE_CONSENT_TOKEN_MAX_LEN + 1 always suffices. Returns the
 * length, or -1 when the decision cannot be encoded (policy version empty, too long or not
 * visible ASCII; time negative or above 2^62; `out` too small; OpenSSL failed).
 */
int omote_consent_token_encode(const omote_consent_key_t *key, const omote_consent_decision_t *decision, char *out, size_t outsz);

/**
 * Checks token `token` (`len` bytes, a cookie value as received) against `keys`, the time `now_sec`,
 * the consent lifetime and the current `policy_version`. On VALID fills `*out`; on anything else
 * leaves it untouched. The MAC is compared in constant time (CRYPTO_memcmp). A token is expired
 * once `now_sec - time_sec >= lifetime_sec`: a decision exactly one lifetime old counts as none.
 */
omote_consent_token_result_t omote_consent_token_decode(const omote_consent_keys_t *keys, const char *token, size_t len,
                                                        int64_t now_sec, uint64_t lifetime_sec, const char *policy_version,
                                                        omote_consent_decision_t *out);

/**
 * The time and policy checks of omote_consent_token_decode, for a decision already authenticated
 * (a cache of verified tokens re-checks these on every use): VALID, EXPIRED or OUTDATED_POLICY.
 */
omote_consent_token_result_t omote_consent_token_check_current(const omote_consent_decision_t *decision, int64_t now_sec,
                                                               uint64_t lifetime_sec, const char *policy_version);

/** "valid", "malformed", "unknown_key", "bad_mac", "expired", "outdated_policy": for metrics and logs. */
const char *omote_consent_token_result_name(omote_consent_token_result_t result);

#endif
