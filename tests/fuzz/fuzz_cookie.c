/*
 * Fuzz target: Set-Cookie and Cookie header parsing. A parsed Set-Cookie prints to a value that
 * parses back to the same cookie and prints identically; filtering a Cookie header keeps exactly
 * the pairs asked for, stays within its bound, and is idempotent.
 */
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "omote/cookie.h"

#define MAX_PAIRS 64

static void check_set_cookie(const char *in, size_t size)
{
    static char first[8192], second[8192]; /* name+value, Domain, Path are bounded: far less than this */
    omote_set_cookie_t a, b;

    if (omote_set_cookie_parse(in, size, &a) != 0)
        return;
    size_t n = omote_set_cookie_print(&a, first, sizeof(first));
    must(n != 0);
    must(omote_set_cookie_parse(first, n, &b) == 0);
    must(omote_set_cookie_equal(&a, &b));
    must(omote_set_cookie_print(&b, second, sizeof(second)) == n && memcmp(first, second, n) == 0);
}

static int keep_all(void *ctx, const omote_cookie_t *pair)
{
    return 1;
}

static int keep_none(void *ctx, const omote_cookie_t *pair)
{
    return 0;
}

/* Keeps every other pair, so the output is a real subset. */
static int keep_odd(void *ctx, const omote_cookie_t *pair)
{
    return (*(int *)ctx)++ % 2 == 1;
}

static int same_pair(const omote_cookie_t *a, const omote_cookie_t *b)
{
    return a->name.len == b->name.len && a->value.len == b->value.len &&
           (a->name.len == 0 || memcmp(a->name.base, b->name.base, a->name.len) == 0) &&
           (a->value.len == 0 || memcmp(a->value.base, b->value.base, a->value.len) == 0);
}

static void check_header(const char *in, size_t size)
{
    omote_cookie_t pairs[MAX_PAIRS], again[MAX_PAIRS];
    size_t bound = OMOTE_COOKIE_FILTER_BOUND(size);
    char *out = malloc(bound), *out2 = malloc(bound);
    int count = omote_cookie_parse_header(in, size, pairs, MAX_PAIRS), parity = 0;

    size_t n = omote_cookie_filter_header(in, size, keep_all, NULL, out, bound);
    must(n != SIZE_MAX && n <= bound);
    must(omote_cookie_parse_header(out, n, again, MAX_PAIRS) == count);
    for (int i = 0; i < count; ++i) {
        must(same_pair(&pairs[i], &again[i]));
        must(omote_cookie_name_matches(pairs[i].name, "_ga*") ==
             (pairs[i].name.len >= 3 && memcmp(pairs[i].name.base, "_ga", 3) == 0));
    }
    must(omote_cookie_filter_header(out, n, keep_all, NULL, out2, bound) == n && memcmp(out, out2, n) == 0);
    must(omote_cookie_filter_header(in, size, keep_none, NULL, out, bound) == 0);
    n = omote_cookie_filter_header(in, size, keep_odd, &parity, out, bound);
    must(n != SIZE_MAX && n <= size);
    if (count >= 0)
        must(omote_cookie_parse_header(out, n, again, MAX_PAIRS) == count / 2);
    free(out);
    free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    time_t t;
    check_set_cookie((const char *)data, size);
    check_header((const char *)data, size);
    omote_cookie_parse_date((const char *)data, size, &t);
    return 0;
}
