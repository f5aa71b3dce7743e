/*
 * Unit tests for the consent token codec: a known answer computed with the openssl command line,
 * round trips, every single-byte change rejected, key rotation, the lifetime boundary, policy
 * versions, refusals, and malformed input of every kind (also well signed but badly laid out).
 */
#include <stdint.h>
#include <stdlib.h>

#include "consent/internal.h"
#include "omote/consent_token.h"
#include "tap.h"

/* 32 bytes 00 01 .. 1f */
#define SECRET_00_1F "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define SECRET_A "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
#define SECRET_B "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKT"
#define T0 1700000000 /* 2023-11-14T22:13:20Z */
#define LIFETIME (395 * 86400ULL)
#define POLICY "2024-06"

/*
 * Known answers, computed once outside omote (key 000102..1f, kid k1, purposes 5, time T0, policy
 * "2024-06", record id 00112233445566778899aabbccddeeff):
 *   P=0100000005000000006553f10007323032342d303600112233445566778899aabbccddeeff   # the payload layout, by hand
 *   B=$(echo -n $P | xxd -r -p | basenc --base64url | tr -d '=')
 *   K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 *   echo -n "1.k1.$B" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | head -c 16 | basenc --base64url | tr -d '='
 * The refusal is the same without the record id and flag, and purposes 1.
 */
static const char kat_consent[] = "1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw";
static const char kat_refusal[] = "1.k1.AAAAAAEAAAAAZVPxAAcyMDI0LTA2.5Jvqjv30TkGejeHFmZYRTg";

static omote_consent_keys_t *keys_of(const char *text)
{
    char err[256];
    omote_consent_keys_t *keys = omote_consent_keys_parse(text, strlen(text), "keys", err, sizeof(err));
    if (keys == NULL)
        printf("# %s\n", err);
    return keys;
}

static omote_consent_decision_t consent_decision(void)
{
    omote_consent_decision_t d = {.purposes = 5, .time_sec = T0, .policy_version = POLICY, .has_record_id = 1};
    for (int i = 0; i != OMOTE_CONSENT_RECORD_ID_BYTES; ++i)
        d.record_id[i] = (unsigned char)(i * 0x11);
    return d;
}

static omote_consent_token_result_t decode_at(const omote_consent_keys_t *keys, const char *token, int64_t now,
                                              omote_consent_decision_t *out)
{
    return omote_consent_token_decode(keys, token, strlen(token), now, LIFETIME, POLICY, out);
}

static omote_consent_token_result_t decode(const omote_consent_keys_t *keys, const char *token)
{
    omote_consent_decision_t d;
    return decode_at(keys, token, T0 + 60, &d);
}

static int is_cookie_octets(const char *s)
{
    for (; *s != '\0'; ++s)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

static void test_known_answer(void)
{
    omote_consent_keys_t *keys = keys_of("k0 " SECRET_A "\nk1 " SECRET_00_1F "\n");
    char token[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    omote_consent_decision_t d = consent_decision(), got;

    int n = omote_consent_token_encode(omote_consent_keys_newest(keys), &d, token, sizeof(token));
    is_str(token, kat_consent, "known answer: consent token");
    is_int(n, strlen(kat_consent), "known answer: length returned");
    ok(is_cookie_octets(token), "known answer: cookie-octets only (RFC 6265 §4.1.1)");
    d.has_record_id = 0;
    d.purposes = 1;
    omote_consent_token_encode(omote_consent_keys_newest(keys), &d, token, sizeof(token));
    is_str(token, kat_refusal, "known answer: refusal token");

    memset(&got, 0xa5, sizeof(got));
    is_int(decode_at(keys, kat_consent, T0 + 60, &got), OMOTE_CONSENT_TOKEN_VALID, "round trip: valid");
    d = consent_decision();
    is_int(got.purposes, 5, "round trip: purposes");
    is_int(got.time_sec, T0, "round trip: time");
    is_str(got.policy_version, POLICY, "round trip: policy version");
    ok(got.has_record_id == 1 && memcmp(got.record_id, d.record_id, sizeof(d.record_id)) == 0, "round trip: record id");
    is_str(got.kid, "k1", "round trip: the signing key's id");

    memset(&got, 0xa5, sizeof(got));
    is_int(decode_at(keys, kat_refusal, T0 + 60, &got), OMOTE_CONSENT_TOKEN_VALID, "refusal: valid");
    ok(got.has_record_id == 0 && got.purposes == 1, "refusal: no record id, purposes kept");
    static const unsigned char zero[OMOTE_CONSENT_RECORD_ID_BYTES];
    ok(memcmp(got.record_id, zero, sizeof(zero)) == 0, "refusal: record id bytes cleared");
    omote_consent_keys_free(keys);
}

/* Every byte of `token` replaced by every other value, every prefix, and one byte more: none valid. */
static void check_mutations(const omote_consent_keys_t *keys, const char *token, const char *what)
{
    char buf[OMOTE_CONSENT_TOKEN_MAX_LEN + 2];
    size_t len = strlen(token), accepted = 0, tried = 0;
    omote_consent_decision_t d;
    for (size_t i = 0; i != len; ++i) {
        for (int b = 0; b != 256; ++b) {
            if (b == (unsigned char)token[i])
                continue;
            memcpy(buf, token, len);
            buf[i] = (char)b;
            ++tried;
            if (omote_consent_token_decode(keys, buf, len, T0 + 60, LIFETIME, POLICY, &d) == OMOTE_CONSENT_TOKEN_VALID)
                ++accepted;
        }
    }
    for (size_t n = 0; n != len; ++n, ++tried)
        if (omote_consent_token_decode(keys, token, n, T0 + 60, LIFETIME, POLICY, &d) == OMOTE_CONSENT_TOKEN_VALID)
            ++accepted;
    for (int b = 0; b != 256; ++b, ++tried) {
        memcpy(buf, token, len);
        buf[len] = (char)b;
        if (omote_consent_token_decode(keys, buf, len + 1, T0 + 60, LIFETIME, POLICY, &d) == OMOTE_CONSENT_TOKEN_VALID)
            ++accepted;
    }
    ok(accepted == 0, "%s: %zu single-byte changes, truncations and extensions all rejected", what, tried);
    if (accepted != 0)
        printf("#   %zu accepted\n", accepted);
}

static void test_tampering(void)
{
    omote_consent_keys_t *keys = keys_of("k0 " SECRET_A "\nk1 " SECRET_00_1F "\n");
    check_mutations(keys, kat_consent, "tampering, consent");
    check_mutations(keys, kat_refusal, "tampering, refusal");
    char token[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    memcpy(token, kat_consent, sizeof(kat_consent));
    token[10] = token[10] == 'A' ? 'B' : 'A'; /* inside the payload: still canonical base64url, so the MAC decides */
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_BAD_MAC, "tampering: a payload change is a bad MAC");
    memcpy(token, kat_consent, sizeof(kat_consent));
    token[sizeof(kat_consent) - 5] ^= 1; /* inside the MAC, not its last character */
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_BAD_MAC, "tampering: a MAC change is a bad MAC");
    memcpy(token, kat_consent, sizeof(kat_consent));
    token[3] = '0'; /* kid k1 -> k0: a listed key that did not sign it */
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_BAD_MAC, "tampering: another listed kid is a bad MAC");
    omote_consent_keys_free(keys);
}

static void test_rotation(void)
{
    omote_consent_keys_t *before = keys_of("k0 " SECRET_A "\n");
    omote_consent_keys_t *during = keys_of("k0 " SECRET_A "\nk1 " SECRET_00_1F "\n");
    omote_consent_keys_t *after = keys_of("k1 " SECRET_00_1F "\nk2 " SECRET_B "\n");
    omote_consent_keys_t *reused = keys_of("k0 " SECRET_B "\n");
    char old[OMOTE_CONSENT_TOKEN_MAX_LEN + 1], fresh[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    omote_consent_decision_t d = consent_decision(), got;

    omote_consent_token_encode(omote_consent_keys_newest(before), &d, old, sizeof(old));
    omote_consent_token_encode(omote_consent_keys_newest(during), &d, fresh, sizeof(fresh));
    ok(strncmp(old, "1.k0.", 5) == 0 && strncmp(fresh, "1.k1.", 5) == 0, "rotation: the newest key signs");
    is_int(decode_at(during, old, T0 + 60, &got), OMOTE_CONSENT_TOKEN_VALID, "rotation: an older listed key still verifies");
    is_str(got.kid, "k0", "rotation: the decision names the older key, so the glue can re-issue");
    is_int(decode(during, fresh), OMOTE_CONSENT_TOKEN_VALID, "rotation: the new key verifies");
    is_int(decode(after, old), OMOTE_CONSENT_TOKEN_UNKNOWN_KEY, "rotation: a removed key's token is unknown_key");
    is_int(decode(after, fresh), OMOTE_CONSENT_TOKEN_VALID, "rotation: tokens of kept keys survive");
    is_int(decode(reused, old), OMOTE_CONSENT_TOKEN_BAD_MAC, "rotation: same kid, other secret is bad_mac");
    omote_consent_keys_free(before);
    omote_consent_keys_free(during);
    omote_consent_keys_free(after);
    omote_consent_keys_free(reused);
}

static void test_time_and_policy(void)
{
    omote_consent_keys_t *keys = keys_of("k1 " SECRET_00_1F);
    omote_consent_decision_t got;
    is_int(decode_at(keys, kat_consent, T0, &got), OMOTE_CONSENT_TOKEN_VALID, "time: valid at the moment of the decision");
    is_int(decode_at(keys, kat_consent, T0 + (int64_t)LIFETIME - 1, &got), OMOTE_CONSENT_TOKEN_VALID,
           "time: valid one second before the lifetime ends");
    is_int(decode_at(keys, kat_consent, T0 + (int64_t)LIFETIME, &got), OMOTE_CONSENT_TOKEN_EXPIRED,
           "time: expired exactly one lifetime later");
    is_int(decode_at(keys, kat_consent, INT64_MAX, &got), OMOTE_CONSENT_TOKEN_EXPIRED, "time: far future now");
    is_int(decode_at(keys, kat_consent, T0 - OMOTE_CONSENT_TOKEN_MAX_SKEW_SEC, &got), OMOTE_CONSENT_TOKEN_VALID,
           "time: a decision up to 5 minutes ahead of the clock is accepted");
    is_int(decode_at(keys, kat_consent, T0 - OMOTE_CONSENT_TOKEN_MAX_SKEW_SEC - 1, &got), OMOTE_CONSENT_TOKEN_EXPIRED,
           "time: further ahead it is not");
    is_int(decode_at(keys, kat_consent, INT64_MIN, &got), OMOTE_CONSENT_TOKEN_EXPIRED, "time: INT64_MIN now does not overflow");
    is_int(omote_consent_token_decode(keys, kat_consent, strlen(kat_consent), T0, 0, POLICY, &got), OMOTE_CONSENT_TOKEN_EXPIRED,
           "time: lifetime 0 accepts nothing");
    is_int(omote_consent_token_decode(keys, kat_consent, strlen(kat_consent), T0 + 60, LIFETIME, "2024-07", &got),
           OMOTE_CONSENT_TOKEN_OUTDATED_POLICY, "policy: another version is outdated");
    is_int(omote_consent_token_decode(keys, kat_consent, strlen(kat_consent), T0 + 60, LIFETIME, "2024-0", &got),
           OMOTE_CONSENT_TOKEN_OUTDATED_POLICY, "policy: a prefix is another version");
    is_int(omote_consent_token_decode(keys, kat_consent, strlen(kat_consent), T0 + (int64_t)LIFETIME, LIFETIME, "x", &got),
           OMOTE_CONSENT_TOKEN_EXPIRED, "expired and outdated: expired is reported");
    omote_consent_keys_free(keys);
}

/* Signs "1.k1.<base64url of payload>" with `key`, as the encoder would, for payloads it never writes. */
static void sign_raw(const omote_consent_key_t *key, const unsigned char *payload, size_t plen, char *out)
{
    unsigned char mac[OMOTE_CONSENT_MAC_BYTES];
    size_t n = (size_t)sprintf(out, "1.%s.", key->kid);
    n += omote_b64url_encode(payload, plen, out + n);
    omote_consent_key_mac(key, out, n, mac);
    out[n++] = '.';
    n += omote_b64url_encode(mac, OMOTE_CONSENT_TOKEN_MAC_BYTES, out + n);
    out[n] = '\0';
}

static void test_malformed(void)
{
    omote_consent_keys_t *keys = keys_of("k1 " SECRET_00_1F);
    const omote_consent_key_t *k1 = omote_consent_keys_newest(keys);
    char token[512];
    const char *body = kat_consent + 5; /* the payload, '.', the MAC */
    struct {
        const char *token, *what;
    } cases[] = {
        {"", "empty"},
        {"1", "version only"},
        {"1.", "version and dot"},
        {"1.k1", "no payload"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w", "no MAC"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.", "empty MAC"},
        {"2.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw", "wrong version"},
        {"1-k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw", "wrong separator after the version"},
        {"1.k1:AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw", "wrong separator after the kid"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w:i6xp6DrwyLwJTDU3RiVFrw", "wrong separator before the MAC"},
        {"1..AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw", "empty kid"},
        {"1.abcdefghijklmnopq.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw", "17-character kid"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w==.i6xp6DrwyLwJTDU3RiVFrw", "padded payload"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw==", "padded MAC"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_x.i6xp6DrwyLwJTDU3RiVFrw", "payload with unused bits set"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrx", "MAC with unused bits set"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u/w.i6xp6DrwyLwJTDU3RiVFrw", "standard base64 alphabet"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw.x", "trailing part"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw ", "trailing space"},
        {" 1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw", "leading space"},
        {"\"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrw\"", "quoted cookie value"},
        {"1.k1.AQAAAAUAAAAAZVPxAAc.i6xp6DrwyLwJTDU3RiVFrw", "payload shorter than the fixed fields"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFr", "MAC one character short"},
        {"1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w.i6xp6DrwyLwJTDU3RiVFrwAA", "MAC too long"},
    };
    for (size_t i = 0; i != sizeof(cases) / sizeof(cases[0]); ++i)
        is_int(decode(keys, cases[i].token), OMOTE_CONSENT_TOKEN_MALFORMED, "malformed: %s", cases[i].what);

    memset(token, 'A', sizeof(token));
    snprintf(token, sizeof(token), "1.k1.%s", body);
    token[strlen(token)] = 'A';
    token[OMOTE_CONSENT_TOKEN_MAX_LEN + 1] = '\0';
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "malformed: longer than the longest token");
    is_int(omote_consent_token_decode(keys, NULL, 0, T0, LIFETIME, POLICY, NULL), OMOTE_CONSENT_TOKEN_MALFORMED,
           "malformed: no bytes at all");
    snprintf(token, sizeof(token), "1.k9.%s", body);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_UNKNOWN_KEY, "unknown key: checked after the shape");

    /* correctly signed, wrongly laid out: the MAC alone does not make a payload valid */
    unsigned char good[] = {
        1,                                             /* flags: a record id follows */
        0,    0,   0,   5,                             /* purposes */
        0,    0,   0,   0,   0x65, 0x53, 0xf1, 0,      /* time T0 */
        7,    '2', '0', '2', '4',  '-',  '0',  '6',    /* policy version */
        0,    1,   2,   3,   4,    5,    6,    7,   8, /* record id */
        9,    10,  11,  12,  13,   14,   15,           /* ... */
        0xff,                                          /* one byte too many, used by some cases */
    };
    unsigned char p[sizeof(good)];
    sign_raw(k1, good, sizeof(good) - 1, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_VALID, "layout: the hand-made payload is valid");
    sign_raw(k1, good, sizeof(good), token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: a byte after the record id");
    sign_raw(k1, good, sizeof(good) - 2, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: record id one byte short");
    memcpy(p, good, sizeof(good));
    p[0] = 3;
    sign_raw(k1, p, sizeof(good) - 1, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: unknown flag bit");
    p[0] = 0;
    sign_raw(k1, p, sizeof(good) - 1, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: record id present without its flag");
    memcpy(p, good, sizeof(good));
    p[13] = 0;
    sign_raw(k1, p, 14, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: empty policy version");
    memcpy(p, good, sizeof(good));
    p[17] = ' ';
    sign_raw(k1, p, sizeof(good) - 1, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: space in the policy version");
    memcpy(p, good, sizeof(good));
    p[5] = 0x40;
    sign_raw(k1, p, sizeof(good) - 1, token);
    is_int(decode(keys, token), OMOTE_CONSENT_TOKEN_MALFORMED, "layout: time above 2^62");
    omote_consent_keys_free(keys);
}

static void test_encode_limits(void)
{
    omote_consent_keys_t *keys = keys_of("abcdefghijklmnop " SECRET_00_1F);
    const omote_consent_key_t *key = omote_consent_keys_newest(keys);
    char token[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    omote_consent_decision_t d = consent_decision(), got;

    snprintf(d.policy_version, sizeof(d.policy_version), "%s", "0123456789abcdef0123456789abcdef");
    int n = omote_consent_token_encode(key, &d, token, sizeof(token));
    is_int(n, OMOTE_CONSENT_TOKEN_MAX_LEN, "limits: longest kid, policy version and a record id give the longest token");
    is_int(omote_consent_token_decode(keys, token, (size_t)n, T0, LIFETIME, d.policy_version, &got), OMOTE_CONSENT_TOKEN_VALID,
           "limits: the longest token decodes");
    is_int(omote_consent_token_encode(key, &d, token, OMOTE_CONSENT_TOKEN_MAX_LEN), -1, "limits: no room for the NUL");

    d = consent_decision();
    d.policy_version[0] = '\0';
    is_int(omote_consent_token_encode(key, &d, token, sizeof(token)), -1, "encode: empty policy version refused");
    memset(d.policy_version, 'x', sizeof(d.policy_version)); /* 33 bytes, no NUL */
    is_int(omote_consent_token_encode(key, &d, token, sizeof(token)), -1, "encode: policy version without room for a NUL");
    snprintf(d.policy_version, sizeof(d.policy_version), "v 2");
    is_int(omote_consent_token_encode(key, &d, token, sizeof(token)), -1, "encode: space in the policy version refused");
    d = consent_decision();
    d.time_sec = -1;
    is_int(omote_consent_token_encode(key, &d, token, sizeof(token)), -1, "encode: negative time refused");
    d.time_sec = 0;
    n = omote_consent_token_encode(key, &d, token, sizeof(token));
    ok(n > 0 && omote_consent_token_decode(keys, token, (size_t)n, 60, LIFETIME, POLICY, &got) == OMOTE_CONSENT_TOKEN_VALID &&
           got.time_sec == 0,
       "encode: time 0 round-trips");
    d.purposes = UINT32_MAX;
    d.time_sec = T0;
    n = omote_consent_token_encode(key, &d, token, sizeof(token));
    ok(n > 0 && decode_at(keys, token, T0, &got) == OMOTE_CONSENT_TOKEN_VALID && got.purposes == UINT32_MAX,
       "encode: all 32 purposes round-trip");
    omote_consent_keys_free(keys);
}

static void test_names(void)
{
    is_str(omote_consent_token_result_name(OMOTE_CONSENT_TOKEN_VALID), "valid", "names: valid");
    is_str(omote_consent_token_result_name(OMOTE_CONSENT_TOKEN_MALFORMED), "malformed", "names: malformed");
    is_str(omote_consent_token_result_name(OMOTE_CONSENT_TOKEN_UNKNOWN_KEY), "unknown_key", "names: unknown_key");
    is_str(omote_consent_token_result_name(OMOTE_CONSENT_TOKEN_BAD_MAC), "bad_mac", "names: bad_mac");
    is_str(omote_consent_token_result_name(OMOTE_CONSENT_TOKEN_EXPIRED), "expired", "names: expired");
    is_str(omote_consent_token_result_name(OMOTE_CONSENT_TOKEN_OUTDATED_POLICY), "outdated_policy", "names: outdated_policy");
}

/* the checks a cache of verified tokens repeats: the same boundaries as decode */
static void test_check_current(void)
{
    omote_consent_decision_t d = {.purposes = 3, .time_sec = (int64_t)T0};
    strcpy(d.policy_version, POLICY);
    is_int(omote_consent_token_check_current(&d, (int64_t)T0, LIFETIME, POLICY), OMOTE_CONSENT_TOKEN_VALID, "current: valid");
    is_int(omote_consent_token_check_current(&d, (int64_t)(T0 + LIFETIME - 1), LIFETIME, POLICY), OMOTE_CONSENT_TOKEN_VALID,
           "current: one second before the lifetime ends");
    is_int(omote_consent_token_check_current(&d, (int64_t)(T0 + LIFETIME), LIFETIME, POLICY), OMOTE_CONSENT_TOKEN_EXPIRED,
           "current: a decision one lifetime old counts as none");
    is_int(omote_consent_token_check_current(&d, (int64_t)T0 - OMOTE_CONSENT_TOKEN_MAX_SKEW_SEC - 1, LIFETIME, POLICY),
           OMOTE_CONSENT_TOKEN_EXPIRED, "current: dated too far ahead");
    is_int(omote_consent_token_check_current(&d, (int64_t)T0, LIFETIME, "2099-01-01"), OMOTE_CONSENT_TOKEN_OUTDATED_POLICY,
           "current: another policy version");
}

int main(void)
{
    test_check_current();
    test_known_answer();
    test_tampering();
    test_rotation();
    test_time_and_policy();
    test_malformed();
    test_encode_limits();
    test_names();
    return done_testing();
}
