/*
 * Consent token codec: builds and checks `1.<kid>.<payload>.<mac>` (layout in
 * include/omote/consent_token.h). Failure policy: anything short of a valid, current token is
 * "no decision" for the caller, which counts the result by name; this file never logs, and never
 * reads the clock. Setting and reading the cookie is left to the glue.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include <openssl/crypto.h>
#include <string.h>

#include "consent/internal.h"
#include "omote/consent_token.h"

#define FLAG_HAS_RECORD_ID 0x01
#define MAX_TIME_SEC ((int64_t)1 << 62) /* keeps now - time within int64 for any time the clock can give */
#define FIXED_BYTES 14                  /* flags, purposes, time, policy version length */
#define MIN_PAYLOAD_BYTES (FIXED_BYTES + 1)
#define MAX_PAYLOAD_BYTES (FIXED_BYTES + OMOTE_CONSENT_POLICY_VERSION_MAX + OMOTE_CONSENT_RECORD_ID_BYTES)
#define MAC_CHARS OMOTE_B64URL_LEN(OMOTE_CONSENT_TOKEN_MAC_BYTES)

_Static_assert(2 + OMOTE_CONSENT_KID_MAX + 1 + OMOTE_B64URL_LEN(MAX_PAYLOAD_BYTES) + 1 + MAC_CHARS == OMOTE_CONSENT_TOKEN_MAX_LEN,
               "OMOTE_CONSENT_TOKEN_MAX_LEN matches the layout");

static int is_policy_version(const char *s, size_t len)
{
    if (len == 0 || len > OMOTE_CONSENT_POLICY_VERSION_MAX)
        return 0;
    for (size_t i = 0; i != len; ++i)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

static void put_be(unsigned char *p, uint64_t v, size_t n)
{
    for (size_t i = n; i != 0; --i, v >>= 8)
        p[i - 1] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i != n; ++i)
        v = v << 8 | p[i];
    return v;
}

/* Serialises the decision; returns the payload length, or 0 when it cannot be encoded. */
static size_t build_payload(const omote_consent_decision_t *d, unsigned char *p)
{
    size_t vlen = strnlen(d->policy_version, sizeof(d->policy_version));
    if (!is_policy_version(d->policy_version, vlen) || d->time_sec < 0 || d->time_sec > MAX_TIME_SEC)
        return 0;
    p[0] = d->has_record_id ? FLAG_HAS_RECORD_ID : 0;
    put_be(p + 1, d->purposes, 4);
    put_be(p + 5, (uint64_t)d->time_sec, 8);
    p[13] = (unsigned char)vlen;
    memcpy(p + FIXED_BYTES, d->policy_version, vlen);
    size_t n = FIXED_BYTES + vlen;
    if (d->has_record_id) {
        memcpy(p + n, d->record_id, OMOTE_CONSENT_RECORD_ID_BYTES);
        n += OMOTE_CONSENT_RECORD_ID_BYTES;
    }
    return n;
}

int omote_consent_token_encode(const omote_consent_key_t *key, const omote_consent_decision_t *decision, char *out, size_t outsz)
{
    unsigned char payload[MAX_PAYLOAD_BYTES], mac[OMOTE_CONSENT_MAC_BYTES];
    size_t plen = build_payload(decision, payload);
    if (plen == 0)
        return -1;
    size_t signed_len = 2 + key->kid_len + 1 + OMOTE_B64URL_LEN(plen);
    if (outsz < signed_len + 1 + MAC_CHARS + 1)
        return -1;
    char *p = out;
    *p++ = '0' + OMOTE_CONSENT_TOKEN_VERSION;
    *p++ = '.';
    memcpy(p, key->kid, key->kid_len);
    p += key->kid_len;
    *p++ = '.';
    p += omote_b64url_encode(payload, plen, p);
    if (omote_consent_key_mac(key, out, signed_len, mac) != 0)
        return -1;
    *p++ = '.';
    p += omote_b64url_encode(mac, OMOTE_CONSENT_TOKEN_MAC_BYTES, p);
    *p = '\0';
    return (int)(p - out);
}

/* The payload after the MAC matched: its layout must be exact, or the token is malformed. */
static int parse_payload(const unsigned char *p, size_t n, omote_consent_decision_t *d)
{
    if (n < MIN_PAYLOAD_BYTES || (p[0] & ~FLAG_HAS_RECORD_ID) != 0)
        return -1;
    size_t vlen = p[13];
    d->has_record_id = p[0] & FLAG_HAS_RECORD_ID;
    if (n != FIXED_BYTES + vlen + (d->has_record_id ? OMOTE_CONSENT_RECORD_ID_BYTES : 0) ||
        !is_policy_version((const char *)p + FIXED_BYTES, vlen))
        return -1;
    uint64_t t = get_be(p + 5, 8);
    if (t > (uint64_t)MAX_TIME_SEC)
        return -1;
    d->purposes = (uint32_t)get_be(p + 1, 4);
    d->time_sec = (int64_t)t;
    memcpy(d->policy_version, p + FIXED_BYTES, vlen);
    d->policy_version[vlen] = '\0';
    memset(d->record_id, 0, sizeof(d->record_id));
    if (d->has_record_id)
        memcpy(d->record_id, p + FIXED_BYTES + vlen, OMOTE_CONSENT_RECORD_ID_BYTES);
    return 0;
}

static int is_kid_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

omote_consent_token_result_t omote_consent_token_check_current(const omote_consent_decision_t *d, int64_t now_sec, uint64_t lifetime_sec,
                                                               const char *policy_version)
{
    /* both bounds are written so that nothing overflows: 0 <= time_sec <= 2^62, now_sec any int64 */
    if (now_sec < d->time_sec - OMOTE_CONSENT_TOKEN_MAX_SKEW_SEC ||
        (now_sec >= d->time_sec && (uint64_t)(now_sec - d->time_sec) >= lifetime_sec))
        return OMOTE_CONSENT_TOKEN_EXPIRED;
    if (strcmp(d->policy_version, policy_version) != 0)
        return OMOTE_CONSENT_TOKEN_OUTDATED_POLICY;
    return OMOTE_CONSENT_TOKEN_VALID;
}

omote_consent_token_result_t omote_consent_token_decode(const omote_consent_keys_t *keys, const char *token, size_t len,
                                                        int64_t now_sec, uint64_t lifetime_sec, const char *policy_version,
                                                        omote_consent_decision_t *out)
{
    unsigned char payload[MAX_PAYLOAD_BYTES], mac[OMOTE_CONSENT_TOKEN_MAC_BYTES], expected[OMOTE_CONSENT_MAC_BYTES];
    omote_consent_decision_t d;

    /* shape: "1." kid "." payload "." mac, each part within its bounds */
    if (len > OMOTE_CONSENT_TOKEN_MAX_LEN || len < 2 || token[0] != '0' + OMOTE_CONSENT_TOKEN_VERSION || token[1] != '.')
        return OMOTE_CONSENT_TOKEN_MALFORMED;
    const char *kid = token + 2, *end = token + len, *p = kid;
    while (p != end && is_kid_char(*p))
        ++p;
    size_t kid_len = (size_t)(p - kid);
    if (p == end || *p != '.' || kid_len == 0 || kid_len > OMOTE_CONSENT_KID_MAX)
        return OMOTE_CONSENT_TOKEN_MALFORMED;
    const char *body = p + 1, *dot = memchr(body, '.', (size_t)(end - body));
    if (dot == NULL || (size_t)(end - dot - 1) != MAC_CHARS)
        return OMOTE_CONSENT_TOKEN_MALFORMED;
    long plen = omote_b64_decode(body, (size_t)(dot - body), OMOTE_B64_URL_CANONICAL, payload, sizeof(payload));
    if (plen < MIN_PAYLOAD_BYTES ||
        omote_b64_decode(dot + 1, MAC_CHARS, OMOTE_B64_URL_CANONICAL, mac, sizeof(mac)) != OMOTE_CONSENT_TOKEN_MAC_BYTES)
        return OMOTE_CONSENT_TOKEN_MALFORMED;

    /* authenticity before meaning: nothing in the payload is trusted until the MAC matches */
    const omote_consent_key_t *key = omote_consent_keys_find(keys, kid, kid_len);
    if (key == NULL)
        return OMOTE_CONSENT_TOKEN_UNKNOWN_KEY;
    if (omote_consent_key_mac(key, token, (size_t)(dot - token), expected) != 0 ||
        CRYPTO_memcmp(expected, mac, OMOTE_CONSENT_TOKEN_MAC_BYTES) != 0)
        return OMOTE_CONSENT_TOKEN_BAD_MAC;
    if (parse_payload(payload, (size_t)plen, &d) != 0)
        return OMOTE_CONSENT_TOKEN_MALFORMED;

    omote_consent_token_result_t current = omote_consent_token_check_current(&d, now_sec, lifetime_sec, policy_version);
    if (current != OMOTE_CONSENT_TOKEN_VALID)
        return current;
    memcpy(d.kid, kid, kid_len);
    d.kid[kid_len] = '\0';
    *out = d;
    return OMOTE_CONSENT_TOKEN_VALID;
}

const char *omote_consent_token_result_name(omote_consent_token_result_t result)
{
    switch (result) {
    case OMOTE_CONSENT_TOKEN_VALID:
        return "valid";
    case OMOTE_CONSENT_TOKEN_MALFORMED:
        return "malformed";
    case OMOTE_CONSENT_TOKEN_UNKNOWN_KEY:
        return "unknown_key";
    case OMOTE_CONSENT_TOKEN_BAD_MAC:
        return "bad_mac";
    case OMOTE_CONSENT_TOKEN_EXPIRED:
        return "expired";
    case OMOTE_CONSENT_TOKEN_OUTDATED_POLICY:
        return "outdated_policy";
    }
    return "unknown";
}
