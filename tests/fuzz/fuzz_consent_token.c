/*
 * Fuzz target: the consent token decoder. Any input yields one of the result codes and leaves the
 * output alone unless valid; a token it accepts re-encodes, with the key that signed it, to the
 * identical bytes (one spelling per decision). The first byte picks the mode: even, the rest is a
 * cookie value as received; odd, the rest is "1.<kid>.<payload>" and gets a correct MAC appended,
 * so the fuzzer reaches the payload parser without forging HMAC-SHA256.
 */
#include "fuzz.h"
#include <stdint.h>
#include <string.h>
#include "omote/consent_token.h"

/* k1: bytes 00..1f; k2: 32 'A's; the unit tests' known answers verify under k1 */
static const char key_text[] = "k2 QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n"
                               "k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
#define POLICY "2024-06"
#define NOW ((int64_t)1 << 62) + OMOTE_CONSENT_TOKEN_MAX_SKEW_SEC /* no time is ahead of it */
#define LIFETIME UINT64_MAX                                       /* and none is too old */

static size_t b64url(const unsigned char *in, size_t len, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i != len; ++i) {
        acc = acc << 8 | in[i];
        for (bits += 8; bits >= 6; bits -= 6)
            out[o++] = alphabet[(acc >> (bits - 6)) & 63];
    }
    if (bits != 0)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    return o;
}

/* Appends '.' and the MAC of `buf` under the key named between the first two dots, when there is one. */
static size_t sign(const omote_consent_keys_t *keys, char *buf, size_t len)
{
    unsigned char mac[OMOTE_CONSENT_MAC_BYTES];
    const char *kid = len > 2 ? buf + 2 : buf, *dot = len > 2 ? memchr(kid, '.', len - 2) : NULL;
    const omote_consent_key_t *key = dot != NULL ? omote_consent_keys_find(keys, kid, (size_t)(dot - kid)) : NULL;
    if (key == NULL || omote_consent_key_mac(key, buf, len, mac) != 0)
        return len;
    buf[len++] = '.';
    return len + b64url(mac, OMOTE_CONSENT_TOKEN_MAC_BYTES, buf + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static omote_consent_keys_t *keys;
    char token[1024], again[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    omote_consent_decision_t d, untouched;

    if (keys == NULL)
        keys = omote_consent_keys_parse(key_text, sizeof(key_text) - 1, "fuzz", NULL, 0);
    must(keys != NULL);
    if (size == 0 || size > 512)
        return 0;
    size_t len = size - 1;
    memcpy(token, data + 1, len);
    if (data[0] & 1)
        len = sign(keys, token, len);

    memset(&d, 0x5a, sizeof(d));
    untouched = d;
    omote_consent_token_result_t r = omote_consent_token_decode(keys, token, len, NOW, LIFETIME, POLICY, &d);
    must(r <= OMOTE_CONSENT_TOKEN_VALID && r >= OMOTE_CONSENT_TOKEN_OUTDATED_POLICY);
    must(strcmp(omote_consent_token_result_name(r), "unknown") != 0);
    if (len > OMOTE_CONSENT_TOKEN_MAX_LEN)
        must(r == OMOTE_CONSENT_TOKEN_MALFORMED);
    if (r != OMOTE_CONSENT_TOKEN_VALID) {
        must(memcmp(&d, &untouched, sizeof(d)) == 0);
        return 0;
    }
    const omote_consent_key_t *key = omote_consent_keys_find(keys, d.kid, strlen(d.kid));
    must(key != NULL);
    int n = omote_consent_token_encode(key, &d, again, sizeof(again));
    must(n >= 0 && (size_t)n == len && memcmp(again, token, len) == 0);
    return 0;
}
