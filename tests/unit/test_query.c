/* Unit tests for tracking-parameter removal: names matched after decoding, the rest byte for byte. */
#include <string.h>
#include "omote/query.h"
#include "tap.h"

static const char *strip(const char *target, size_t *removed)
{
    static char out[512];
    size_t n = 0;
    while (omote_query_default_tracking_params[n] != NULL)
        ++n;
    size_t len = omote_query_strip(target, strlen(target), omote_query_default_tracking_params, n, out, removed);
    out[len] = '\0';
    return out;
}

int main(void)
{
    size_t removed;

    ok(omote_query_name_matches("utm_*", "utm_source", 10), "prefix wildcard");
    ok(omote_query_name_matches("utm_*", "utm_", 4), "wildcard may be empty");
    ok(!omote_query_name_matches("utm_*", "UTM_source", 10), "names are case-sensitive");
    ok(omote_query_name_matches("*clid", "gclid", 5), "suffix wildcard");
    ok(omote_query_name_matches("a*b*c", "aXXbYYc", 7), "two wildcards");
    ok(!omote_query_name_matches("gclid", "gclidx", 6), "exact means exact");

    is_str(strip("/p?utm_source=news&id=7&utm_medium=mail", &removed), "/p?id=7", "utm_* removed, id kept");
    is_int(removed, 2, "two removed");
    is_str(strip("/p?gclid=abc", &removed), "/p", "a query left empty loses its '?'");
    is_str(strip("/p?a=1&fbclid=x&b=%20two", &removed), "/p?a=1&b=%20two", "kept parameters byte for byte, in order");
    is_str(strip("/p?utm%5Fsource=x&q=tea", &removed), "/p?q=tea", "percent-encoded name decoded for matching");
    is_str(strip("/p?q=utm_source", &removed), "/p?q=utm_source", "a value is not a name");
    is_str(strip("/p?a=1&&b=2", &removed), "/p?a=1&&b=2", "untouched target stays exactly as it came");
    is_int(removed, 0, "nothing removed");
    is_str(strip("/p?msclkid&x", &removed), "/p?x", "a name without value");
    is_str(strip("/p", &removed), "/p", "no query");
    is_str(strip("/p?", &removed), "/p?", "empty query kept");
    is_str(strip("/search?q=%E8%8C%B6&yclid=1&igshid=2&mc_eid=3&_hsenc=4&dclid=5&gbraid=6&wbraid=7", &removed), "/search?q=%E8%8C%B6",
           "every default parameter removed");
    is_int(removed, 7, "seven removed");
    return done_testing();
}
