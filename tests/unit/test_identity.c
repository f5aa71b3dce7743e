/* Unit tests for the first-party identifier: minting, the accepted spelling, the cookie's Max-Age. */
#include "omote/identity.h"
#include "tap.h"
#include <string.h>

int main(void)
{
    char a[OMOTE_IDENTITY_LEN + 1], b[OMOTE_IDENTITY_LEN + 1];
    is_int(omote_identity_mint(a), 0, "mint");
    is_int(omote_identity_mint(b), 0, "mint again");
    is_int(strlen(a), 32, "32 hex digits (128 bits)");
    ok(omote_identity_is_valid(a, strlen(a)), "a minted identifier is valid");
    ok(strcmp(a, b) != 0, "two identifiers differ");

    ok(omote_identity_is_valid("0123456789abcdef0123456789abcdef", 32), "lowercase hex");
    ok(!omote_identity_is_valid("0123456789ABCDEF0123456789abcdef", 32), "uppercase refused (one spelling)");
    ok(!omote_identity_is_valid("0123456789abcdef0123456789abcde", 31), "too short");
    ok(!omote_identity_is_valid("0123456789abcdef0123456789abcdef0", 33), "too long");
    ok(!omote_identity_is_valid("0123456789abcdef0123456789abcdeg", 32), "not hex");
    ok(!omote_identity_is_valid("", 0), "empty");

    uint64_t year = 395 * 86400ull;
    is_int(omote_identity_max_age(1000, year, 1000), year, "fresh consent: its whole lifetime");
    is_int(omote_identity_max_age(1000, year, 1000 + 86400), year - 86400, "a day later: a day less");
    is_int(omote_identity_max_age(1000, year, 1000 + (int64_t)year), 0, "consent run out: 0");
    is_int(omote_identity_max_age(1000, year, 999), year, "decision dated ahead: whole lifetime");
    is_int(omote_identity_max_age(0, 1000ull * 86400, 0), 400 * 86400ull, "never over 400 days");
    return done_testing();
}
