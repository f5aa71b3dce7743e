/*
 * First-party identifier minting and checking (layout in include/omote/identity.h). Setting the
 * cookie and the Omote-Id header is the glue's job (src/glue/consent_api.c, request.c,
 * response_headers.c). Failure policy: no random bytes, no identifier (-1); never a weaker one.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "omote/consent_record.h"
#include "omote/identity.h"

int omote_identity_mint(char out[OMOTE_IDENTITY_LEN + 1])
{
    unsigned char bytes[OMOTE_IDENTITY_BYTES];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        return -1;
    omote_consent_hex(bytes, sizeof(bytes), out);
    OPENSSL_cleanse(bytes, sizeof(bytes));
    return 0;
}

int omote_identity_is_valid(const char *s, size_t len)
{
    if (len != OMOTE_IDENTITY_LEN)
        return 0;
    for (size_t i = 0; i != len; ++i)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

uint64_t omote_identity_max_age(int64_t decided_at, uint64_t lifetime_sec, int64_t now)
{
    if (now < decided_at)
        now = decided_at; /* a decision dated a little ahead (clock skew) has its whole lifetime left */
    uint64_t age = (uint64_t)(now - decided_at);
    uint64_t left = age >= lifetime_sec ? 0 : lifetime_sec - age;
    return left < OMOTE_IDENTITY_MAX_AGE_SEC ? left : OMOTE_IDENTITY_MAX_AGE_SEC;
}
