/*
 * A minimal TAP producer for omote's unit tests: each test file is its own executable, prints
 * "ok N - name" lines and exits non-zero if anything failed (redis's testhelp.h in spirit).
 */
#ifndef OMOTE_TEST_TAP_H
#define OMOTE_TEST_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...)                                                                                                              \
    do {                                                                                                                           \
        int tap_ok_ = (cond) ? 1 : 0;                                                                                              \
        ++tap_count;                                                                                                               \
        if (!tap_ok_)                                                                                                                 \
            ++tap_failed;                                                                                                          \
        printf("%sok %d - ", tap_ok_ ? "" : "not ", tap_count);                                                                    \
        printf(__VA_ARGS__);                                                                                                       \
        printf("\n");                                                                                                              \
        if (!tap_ok_)                                                                                                                 \
            printf("#   failed at %s:%d\n", __FILE__, __LINE__);                                                               \
    } while (0)

#define is_int(got, expected, ...)                                                                                                 \
    do {                                                                                                                           \
        long long tap_g_ = (long long)(got), tap_e_ = (long long)(expected);                                                       \
        ok(tap_g_ == tap_e_, __VA_ARGS__);                                                                                         \
        if (tap_g_ != tap_e_)                                                                                                      \
            printf("#   got %lld, expected %lld\n", tap_g_, tap_e_);                                                               \
    } while (0)

#define is_str(got, expected, ...)                                                                                                 \
    do {                                                                                                                           \
        const char *tap_g_ = (got), *tap_e_ = (expected);                                                                          \
        int tap_same_ = tap_g_ != NULL && tap_e_ != NULL ? strcmp(tap_g_, tap_e_) == 0 : tap_g_ == tap_e_;                         \
        ok(tap_same_, __VA_ARGS__);                                                                                                \
        if (!tap_same_)                                                                                                            \
            printf("#   got \"%s\"\n#   expected \"%s\"\n", tap_g_ ? tap_g_ : "(null)", tap_e_ ? tap_e_ : "(null)");            \
    } while (0)

/** Prints the plan and returns the process exit status. */
static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    if (tap_failed != 0)
        printf("# %d of %d failed\n", tap_failed, tap_count);
    return tap_failed == 0 ? 0 : 1;
}

#endif
