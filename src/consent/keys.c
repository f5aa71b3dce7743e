/*
 * Consent keys: parses the "KID SECRET" text into keyed HMAC-SHA256 contexts and computes MACs
 * with them. Failure policy: any bad line refuses the whole text (a key set is all or nothing),
 * and no message ever quotes a secret. Reading the file or variable is left to the caller.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent/internal.h"
#include "omote/consent_keys.h"

struct st_omote_consent_key_secret_t {
    EVP_MAC_CTX *ctx; /* keyed with the secret; every MAC runs on a duplicate, so this one is only read */
};

struct st_omote_consent_keys_t {
    EVP_MAC *mac;
    size_t count;
    omote_consent_key_t keys[OMOTE_CONSENT_MAX_KEYS];
    struct st_omote_consent_key_secret_t secrets[OMOTE_CONSENT_MAX_KEYS];
};

struct st_parse_t {
    const char *name;
    char *err;
    size_t errlen;
    unsigned line;
};

/* Records "NAME:LINE: message" (or "NAME: message" when no line is current) and returns -1. */
__attribute__((format(printf, 2, 3))) static int fail(struct st_parse_t *ps, const char *fmt, ...)
{
    char msg[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);
    if (ps->errlen == 0)
        return -1;
    if (ps->line != 0)
        snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->name, ps->line, msg);
    else
        snprintf(ps->err, ps->errlen, "%s: %s", ps->name, msg);
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_kid_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int is_kid(const char *s, size_t len)
{
    if (len == 0 || len > OMOTE_CONSENT_KID_MAX)
        return 0;
    for (size_t i = 0; i != len; ++i)
        if (!is_kid_char(s[i]))
            return 0;
    return 1;
}

static int set_secret(omote_consent_keys_t *keys, struct st_omote_consent_key_secret_t *secret, const unsigned char *bytes,
                      size_t len)
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_construct_end()};
    secret->ctx = EVP_MAC_CTX_new(keys->mac);
    return secret->ctx != NULL && EVP_MAC_init(secret->ctx, bytes, len, params) == 1 ? 0 : -1;
}

/* One line without its '\n' (and CR): a comment, blank, or "KID SECRET". Returns 0 or -1 (error set). */
static int read_line(struct st_parse_t *ps, omote_consent_keys_t *keys, const char *p, const char *end)
{
    while (p != end && is_blank(*p))
        ++p;
    while (end != p && (is_blank(end[-1]) || end[-1] == '\r'))
        --end;
    if (p == end || *p == '#')
        return 0;
    const char *kid = p;
    while (p != end && !is_blank(*p))
        ++p;
    size_t kid_len = (size_t)(p - kid);
    if (p == end)
        return fail(ps, "expected \"KID SECRET\", found one field");
    if (!is_kid(kid, kid_len))
        return fail(ps, "the key id must be 1 to %d of A-Z a-z 0-9 '-' '_'", OMOTE_CONSENT_KID_MAX);
    while (p != end && is_blank(*p))
        ++p;
    const char *secret = p;
    while (p != end && !is_blank(*p))
        ++p;
    if (p != end)
        return fail(ps, "unexpected text after the secret of key \"%.*s\"", (int)kid_len, kid);
    for (size_t i = 0; i != keys->count; ++i)
        if (keys->keys[i].kid_len == kid_len && memcmp(keys->keys[i].kid, kid, kid_len) == 0)
            return fail(ps, "key id \"%.*s\" is listed twice (first on line %u)", (int)kid_len, kid, keys->keys[i].line);
    if (keys->count == OMOTE_CONSENT_MAX_KEYS)
        return fail(ps, "more than %d keys", OMOTE_CONSENT_MAX_KEYS);

    unsigned char bytes[OMOTE_CONSENT_KEYS_MAX_LINE];
    long n = omote_b64_decode(secret, (size_t)(end - secret), OMOTE_B64_ANY, bytes, sizeof(bytes));
    int ret = -1;
    if (n < 0)
        fail(ps, "the secret of key \"%.*s\" is not base64 or base64url", (int)kid_len, kid);
    else if (n < OMOTE_CONSENT_SECRET_MIN || n > OMOTE_CONSENT_SECRET_MAX)
        fail(ps, "the secret of key \"%.*s\" is %ld bytes; %d to %d are required", (int)kid_len, kid, n, OMOTE_CONSENT_SECRET_MIN,
             OMOTE_CONSENT_SECRET_MAX);
    else if (set_secret(keys, &keys->secrets[keys->count], bytes, (size_t)n) != 0)
        fail(ps, "OpenSSL cannot set up HMAC-SHA256");
    else
        ret = 0;
    OPENSSL_cleanse(bytes, sizeof(bytes));
    if (ret != 0)
        return -1;
    omote_consent_key_t *key = &keys->keys[keys->count];
    memcpy(key->kid, kid, kid_len);
    key->kid[kid_len] = '\0';
    key->kid_len = kid_len;
    key->line = ps->line;
    key->_secret = &keys->secrets[keys->count++];
    return 0;
}

omote_consent_keys_t *omote_consent_keys_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct st_parse_t ps = {.name = name, .err = err, .errlen = errlen};
    if (errlen != 0)
        err[0] = '\0';
    if (len > OMOTE_CONSENT_KEYS_MAX_TEXT) {
        fail(&ps, "longer than %d bytes", OMOTE_CONSENT_KEYS_MAX_TEXT);
        return NULL;
    }
    omote_consent_keys_t *keys = calloc(1, sizeof(*keys));
    if (keys == NULL)
        abort();
    if ((keys->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
        omote_consent_keys_free(keys);
        fail(&ps, "OpenSSL has no HMAC");
        return NULL;
    }
    for (const char *p = text, *end = text + len; p != end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *line_end = nl != NULL ? nl : end;
        ++ps.line;
        if (line_end - p > OMOTE_CONSENT_KEYS_MAX_LINE) {
            omote_consent_keys_free(keys);
            fail(&ps, "longer than %d bytes", OMOTE_CONSENT_KEYS_MAX_LINE);
            return NULL;
        }
        if (read_line(&ps, keys, p, line_end) != 0) {
            omote_consent_keys_free(keys);
            return NULL;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (keys->count == 0) {
        omote_consent_keys_free(keys);
        ps.line = 0;
        fail(&ps, "no key (one \"KID SECRET\" line at least)");
        return NULL;
    }
    return keys;
}

void omote_consent_keys_free(omote_consent_keys_t *keys)
{
    if (keys == NULL)
        return;
    /* freeing OpenSSL's HMAC context clears the key it copied; the rest holds ids only */
    for (size_t i = 0; i != keys->count; ++i)
        EVP_MAC_CTX_free(keys->secrets[i].ctx);
    EVP_MAC_free(keys->mac);
    OPENSSL_cleanse(keys, sizeof(*keys));
    free(keys);
}

size_t omote_consent_keys_count(const omote_consent_keys_t *keys)
{
    return keys->count;
}

const omote_consent_key_t *omote_consent_keys_get(const omote_consent_keys_t *keys, size_t i)
{
    return i < keys->count ? &keys->keys[i] : NULL;
}

const omote_consent_key_t *omote_consent_keys_newest(const omote_consent_keys_t *keys)
{
    return &keys->keys[keys->count - 1];
}

const omote_consent_key_t *omote_consent_keys_find(const omote_consent_keys_t *keys, const char *kid, size_t len)
{
    for (size_t i = 0; i != keys->count; ++i)
        if (keys->keys[i].kid_len == len && memcmp(keys->keys[i].kid, kid, len) == 0)
            return &keys->keys[i];
    return NULL;
}

int omote_consent_key_mac(const omote_consent_key_t *key, const void *data, size_t len, unsigned char out[OMOTE_CONSENT_MAC_BYTES])
{
    /* EVP_MAC_CTX_dup takes a const context: concurrent use from worker threads is read-only (openssl-threads(7)) */
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(key->_secret->ctx);
    size_t n = 0;
    int ok = ctx != NULL && EVP_MAC_update(ctx, data, len) == 1 && EVP_MAC_final(ctx, out, &n, OMOTE_CONSENT_MAC_BYTES) == 1 &&
             n == OMOTE_CONSENT_MAC_BYTES;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : -1;
}
