/*
 * Unit tests for the consent key text: the accepted format (comments, blanks, CRLF, both base64
 * alphabets), which key is newest, lookup by id, one case per error with its exact message (never
 * quoting a secret), and HMAC-SHA256 against a value computed with the openssl command line.
 */
#include <stdlib.h>

#include "omote/consent_keys.h"
#include "tap.h"

/* 32 bytes 00 01 .. 1f in base64 (padded) and base64url (unpadded) */
#define SECRET_00_1F "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define SECRET_00_1F_URL "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
/* 48 bytes 0x64..0x93, base64 with '+' */
#define SECRET_STD "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKT"
/* 33 bytes 0xc8..0xe8, base64url with '-' and '_' */
#define SECRET_URL "yMnKy8zNzs_Q0dLT1NXW19jZ2tvc3d7f4OHi4-Tl5ufo"
/* "A" repeated: 31, 32 and 129 bytes */
#define SECRET_31 "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ=="
#define SECRET_32 "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
#define SECRET_129                                                                                                                 \
    "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"     \
    "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"

static omote_consent_keys_t *parse(const char *text, char *err, size_t errlen)
{
    return omote_consent_keys_parse(text, strlen(text), "keys.txt", err, errlen);
}

static void test_format(void)
{
    char err[256];
    const char *text = "# consent keys, oldest first\n"
                       "\n"
                       "   \t\n"
                       "k1 " SECRET_00_1F "\r\n"
                       "  # an indented comment\n"
                       "old-2\t\t" SECRET_STD "  \n"
                       "New_3 " SECRET_URL;
    omote_consent_keys_t *keys = parse(text, err, sizeof(err));
    ok(keys != NULL, "format: loads (%s)", err);
    if (keys == NULL)
        return;
    is_str(err, "", "format: no error text");
    is_int(omote_consent_keys_count(keys), 3, "format: three keys, comments and blanks skipped");
    is_str(omote_consent_keys_get(keys, 0)->kid, "k1", "format: first key, CRLF accepted");
    is_int(omote_consent_keys_get(keys, 0)->line, 4, "format: line numbers count every line");
    is_str(omote_consent_keys_get(keys, 1)->kid, "old-2", "format: tabs separate, trailing blanks ignored");
    is_str(omote_consent_keys_newest(keys)->kid, "New_3", "format: the last line is the newest");
    is_int(omote_consent_keys_newest(keys)->kid_len, 5, "format: kid_len");
    ok(omote_consent_keys_get(keys, 3) == NULL, "format: get past the end is NULL");
    ok(omote_consent_keys_find(keys, "old-2", 5) == omote_consent_keys_get(keys, 1), "format: find by id");
    ok(omote_consent_keys_find(keys, "old-", 4) == NULL, "format: find needs the whole id");
    ok(omote_consent_keys_find(keys, "K1", 2) == NULL, "format: ids are case-sensitive");
    omote_consent_keys_free(keys);

    keys = parse("only " SECRET_00_1F_URL "\n", err, sizeof(err));
    ok(keys != NULL && omote_consent_keys_count(keys) == 1, "format: one base64url key without padding (%s)", err);
    omote_consent_keys_free(keys);
    keys = parse("a-very-long-id16 " SECRET_129 "\n", err, sizeof(err));
    ok(keys == NULL, "format: 129-byte secret refused");
    keys = parse("a-very-long-id16 " SECRET_32, err, sizeof(err));
    ok(keys != NULL, "format: 16-character id and exactly 32 bytes (%s)", err);
    omote_consent_keys_free(keys);
    omote_consent_keys_free(NULL);
}

/* `text` must be refused with exactly `expected`, which must not contain `secret`. */
static void check_error(const char *text, const char *expected, const char *secret, const char *what)
{
    char err[256];
    omote_consent_keys_t *keys = parse(text, err, sizeof(err));
    ok(keys == NULL, "%s: refused", what);
    is_str(err, expected, "%s: message", what);
    ok(secret == NULL || strstr(err, secret) == NULL, "%s: the secret stays out of the message", what);
    omote_consent_keys_free(keys);
}

static void test_errors(void)
{
    check_error("", "keys.txt: no key (one \"KID SECRET\" line at least)", NULL, "empty text");
    check_error("# nothing\n\n", "keys.txt: no key (one \"KID SECRET\" line at least)", NULL, "comments only");
    check_error("k1 " SECRET_32 "\n" SECRET_00_1F "\n", "keys.txt:2: expected \"KID SECRET\", found one field", SECRET_00_1F,
                "a secret without an id");
    check_error("k.1 " SECRET_32, "keys.txt:1: the key id must be 1 to 16 of A-Z a-z 0-9 '-' '_'", SECRET_32, "id character");
    check_error("abcdefghijklmnopq " SECRET_32, "keys.txt:1: the key id must be 1 to 16 of A-Z a-z 0-9 '-' '_'", SECRET_32,
                "17-character id");
    check_error(SECRET_00_1F " k1", "keys.txt:1: the key id must be 1 to 16 of A-Z a-z 0-9 '-' '_'", SECRET_00_1F,
                "fields swapped: the secret is not echoed as an id");
    check_error("k1 " SECRET_32 " # comment", "keys.txt:1: unexpected text after the secret of key \"k1\"", SECRET_32,
                "text after the secret");
    check_error("k1 " SECRET_32 "\nk2 " SECRET_STD "\nk1 " SECRET_URL "\n",
                "keys.txt:3: key id \"k1\" is listed twice (first on line 1)", SECRET_URL, "duplicate id");
    check_error("k1 QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF=",
                "keys.txt:1: the secret of key \"k1\" is not base64 or base64url", "QUFBQUFBQUFB", "unused bits set");
    check_error("k1 ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo-QkZKT",
                "keys.txt:1: the secret of key \"k1\" is not base64 or base64url", "ZGVmZ2hp", "alphabets mixed");
    check_error("k1 " SECRET_00_1F "=", "keys.txt:1: the secret of key \"k1\" is not base64 or base64url", "AAECAwQF",
                "too much padding");
    check_error("k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd!h8=",
                "keys.txt:1: the secret of key \"k1\" is not base64 or base64url", "AAECAwQF", "character outside base64");
    check_error("k1 " SECRET_31, "keys.txt:1: the secret of key \"k1\" is 31 bytes; 32 to 128 are required", SECRET_31,
                "31-byte secret");
    check_error("k1 " SECRET_129, "keys.txt:1: the secret of key \"k1\" is 129 bytes; 32 to 128 are required", "QUFBQUFBQUFB",
                "129-byte secret");

    char *big = malloc(OMOTE_CONSENT_KEYS_MAX_TEXT + 2);
    memset(big, '#', OMOTE_CONSENT_KEYS_MAX_TEXT + 1);
    big[OMOTE_CONSENT_KEYS_MAX_TEXT + 1] = '\0';
    check_error(big, "keys.txt: longer than 65536 bytes", NULL, "text too long");
    big[OMOTE_CONSENT_KEYS_MAX_LINE + 1] = '\0';
    check_error(big, "keys.txt:1: longer than 1024 bytes", NULL, "line too long");
    big[OMOTE_CONSENT_KEYS_MAX_LINE] = '\0';
    check_error(big, "keys.txt: no key (one \"KID SECRET\" line at least)", NULL, "a 1024-byte line is allowed");
    size_t n = 0;
    for (int i = 0; i <= OMOTE_CONSENT_MAX_KEYS; ++i)
        n += (size_t)snprintf(big + n, OMOTE_CONSENT_KEYS_MAX_TEXT - n, "k%d %s\n", i, SECRET_32);
    check_error(big, "keys.txt:65: more than 64 keys", SECRET_32, "too many keys");
    free(big);

    char small[8];
    ok(omote_consent_keys_parse("x", 1, "keys.txt", small, sizeof(small)) == NULL && strcmp(small, "keys.tx") == 0,
       "a small error buffer is cut and terminated");
    ok(omote_consent_keys_parse("x", 1, "keys.txt", NULL, 0) == NULL, "no error buffer at all");
}

/*
 * The MAC against an independent computation:
 *   printf '1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w' |
 *     openssl dgst -sha256 -mac HMAC -macopt hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 */
static void test_mac(void)
{
    static const char msg[] = "1.k1.AQAAAAUAAAAAZVPxAAcyMDI0LTA2ABEiM0RVZneImaq7zN3u_w";
    static const char expected[] = "8bac69e83af0c8bc094c3537462545aff4bc167ae90ee49203be06a0bd5914bc";
    char err[256], hex[2 * OMOTE_CONSENT_MAC_BYTES + 1];
    unsigned char mac[OMOTE_CONSENT_MAC_BYTES];
    omote_consent_keys_t *keys = parse("k0 " SECRET_32 "\nk1 " SECRET_00_1F "\n", err, sizeof(err));
    ok(keys != NULL, "mac: keys load (%s)", err);
    if (keys == NULL)
        return;
    is_int(omote_consent_key_mac(omote_consent_keys_find(keys, "k1", 2), msg, strlen(msg), mac), 0, "mac: computed");
    for (size_t i = 0; i != sizeof(mac); ++i)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    is_str(hex, expected, "mac: HMAC-SHA256 matches openssl dgst");
    omote_consent_key_mac(omote_consent_keys_find(keys, "k0", 2), msg, strlen(msg), mac);
    for (size_t i = 0; i != sizeof(mac); ++i)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    ok(strcmp(hex, expected) != 0, "mac: another key gives another MAC");
    omote_consent_keys_free(keys);

    keys = parse("k1 " SECRET_00_1F_URL, err, sizeof(err));
    omote_consent_key_mac(omote_consent_keys_newest(keys), msg, strlen(msg), mac);
    for (size_t i = 0; i != sizeof(mac); ++i)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    is_str(hex, expected, "mac: the base64url spelling is the same key");
    omote_consent_keys_free(keys);
}

int main(void)
{
    test_format();
    test_errors();
    test_mac();
    return done_testing();
}
