/*
 * Consent token keys: the HMAC-SHA256 secrets that sign and verify consent tokens, read from a
 * small text format the configuration points at (a file or an environment variable). Pure: no
 * I/O beyond the text it is handed; OpenSSL inside.
 *
 * Text format (config/README.md, `consent`): one key per line, `KID SECRET`, separated by spaces
 * or tabs. KID is 1 to 16 of [A-Za-z0-9_-]; SECRET is base64 or base64url (padding optional)
 * of 32 to 128 bytes. Blank lines and lines whose first non-blank character is '#' are skipped;
 * a trailing CR is ignored. The key on the last line is the newest: it signs new tokens. Every
 * listed key verifies, so keys rotate by appending a line and, a lifetime later, removing the
 * oldest. A key id listed twice is an error. Error messages never quote a secret.
 */
#ifndef OMOTE_CONSENT_KEYS_H
#define OMOTE_CONSENT_KEYS_H

#include <stddef.h>

#define OMOTE_CONSENT_KID_MAX 16
#define OMOTE_CONSENT_SECRET_MIN 32
#define OMOTE_CONSENT_SECRET_MAX 128
/** Most keys one text may list. */
#define OMOTE_CONSENT_MAX_KEYS 64
/** Longest accepted text (a file or an environment variable), and longest line. */
#define OMOTE_CONSENT_KEYS_MAX_TEXT 65536
#define OMOTE_CONSENT_KEYS_MAX_LINE 1024
/** Length of the HMAC-SHA256 output omote_consent_key_mac writes. */
#define OMOTE_CONSENT_MAC_BYTES 32

typedef struct st_omote_consent_keys_t omote_consent_keys_t;

/** One key. The secret itself stays inside the module; only its id is visible. */
typedef struct st_omote_consent_key_t {
    char kid[OMOTE_CONSENT_KID_MAX + 1]; /* NUL-terminated */
    size_t kid_len;
    unsigned line; /* 1-based line of the key in its text */
    struct st_omote_consent_key_secret_t *_secret;
} omote_consent_key_t;

/**
 * Parses key text `text` (`len` bytes, not necessarily NUL-terminated), named `name` in error
 * messages (a file path, or "$VARIABLE"). Returns a new key set (free it with
 * omote_consent_keys_free), or NULL with "NAME:LINE: message" (or "NAME: message" for the text as
 * a whole) in `err`. `text` is only read; the caller wipes its own copy of it.
 */
omote_consent_keys_t *omote_consent_keys_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);

/** Wipes every secret (OPENSSL_cleanse) and frees the set. NULL is allowed. */
void omote_consent_keys_free(omote_consent_keys_t *keys);

/** Number of keys; at least one. */
size_t omote_consent_keys_count(const omote_consent_keys_t *keys);

/** Key `i` in text order (0: the oldest). Borrowed from `keys`. */
const omote_consent_key_t *omote_consent_keys_get(const omote_consent_keys_t *keys, size_t i);

/** The newest key (the last line): the one that signs new tokens. Borrowed from `keys`. */
const omote_consent_key_t *omote_consent_keys_newest(const omote_consent_keys_t *keys);

/** The key whose id is `kid` (`len` bytes), or NULL. Borrowed from `keys`. */
const omote_consent_key_t *omote_consent_keys_find(const omote_consent_keys_t *keys, const char *kid, size_t len);

/**
 * Writes HMAC-SHA256(secret of `key`, data) to `out`. Safe to call from several threads at once
 * on the same key (each call works on its own copy of the keyed context). Returns 0, or -1 when
 * OpenSSL fails (out of memory), in which case `out` must not be used.
 */
int omote_consent_key_mac(const omote_consent_key_t *key, const void *data, size_t len, unsigned char out[OMOTE_CONSENT_MAC_BYTES]);

#endif
