/* Unit tests for log redaction: query values never survive, JSON strings stay valid. */
#include <string.h>
#include "omote/redact.h"
#include "tap.h"

static const char *redact(const char *path)
{
    static char out[256];
    omote_redact_query_values(path, strlen(path), out, sizeof(out));
    return out;
}

static void test_query_values(void)
{
    is_str(redact("/"), "/", "plain path unchanged");
    is_str(redact("/products/sencha.html"), "/products/sencha.html", "path without query unchanged");
    is_str(redact("/s?q=tea&page=2"), "/s?q=&page=", "values removed, names kept");
    is_str(redact("/s?email=a@b.example"), "/s?email=", "an e-mail address is removed");
    is_str(redact("/s?flag&x=1"), "/s?flag&x=", "a parameter without value stays");
    is_str(redact("/s?a=1=2&b=3"), "/s?a=&b=", "a second '=' belongs to the value");
    is_str(redact("/s?a=1;b=2"), "/s?a=;b=", "semicolon separates parameters");
    is_str(redact("/s?q=x#frag"), "/s?q=", "fragment dropped");
    is_str(redact("/a=b/c"), "/a=b/c", "'=' in the path itself is kept");
    is_str(redact("/s?"), "/s?", "empty query");
}

static void test_truncation(void)
{
    char out[8];
    size_t n = omote_redact_query_values("/abcdefghijkl", 13, out, sizeof(out));
    is_int(n, 7, "truncated to fit");
    is_str(out, "/abcdef", "truncated output is NUL-terminated");
}

static const char *escape(const char *s, size_t len)
{
    static char out[256];
    omote_json_escape(s, len, out, sizeof(out));
    return out;
}

static void test_json_escape(void)
{
    is_str(escape("abc", 3), "abc", "plain ASCII");
    is_str(escape("a\"b\\c", 5), "a\\\"b\\\\c", "quote and backslash escaped");
    is_str(escape("a\nb\x01", 4), "a\\u000ab\\u0001", "control bytes escaped");
    is_str(escape("\xe3\x81\x8a", 3), "\xe3\x81\x8a", "valid UTF-8 kept");
    is_str(escape("a\xff" "b", 3), "a\xef\xbf\xbd" "b", "invalid byte becomes U+FFFD");
    is_str(escape("\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate encoding rejected byte by byte");
    is_str(escape("\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd", "overlong encoding rejected");
    is_str(escape("\xe3\x81", 2), "\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence rejected");

    char small[4];
    omote_json_escape("\"\"\"", 3, small, sizeof(small));
    is_str(small, "\\\"", "never splits an escape sequence");
}

int main(void)
{
    test_query_values();
    test_truncation();
    test_json_escape();
    return done_testing();
}
