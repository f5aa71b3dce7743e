/*
 * Unit tests for the cookie module, written from RFC 6265's text: §3.1 examples, §5.1.1 dates,
 * §5.2 Set-Cookie parsing, Cookie header splitting and filtering, and the print/parse round trip.
 */
#include <stdlib.h>
#include <string.h>
#include "omote/cookie.h"
#include "tap.h"

/* Every Set-Cookie input of this file, parsed or not; the round trip runs over all of them. */
static const char *set_cookie_inputs[] = {
    "SID=31d4d96e407aad42; Path=/; Domain=example.com",
    "SID=31d4d96e407aad42; Path=/; Secure; HttpOnly",
    "lang=en-US; Path=/; Domain=example.com",
    "lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT",
    "lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
    "  a  =  b c  ; secure",
    "no-equals-sign",
    "no-equals; a=b",
    "=value",
    " \t= value",
    "   ",
    "",
    "x=1; Max-Age=-1",
    "x=1; Max-Age=0",
    "x=1; Max-Age=12abc",
    "x=1; Max-Age=",
    "x=1; Max-Age=-",
    "x=1; Max-Age=+5",
    "x=1; Max-Age=99999999999999999999999",
    "x=1; Max-Age=60; Max-Age=120",
    "x=1; Max-Age=60; Max-Age=bogus",
    "x=1; Domain=.Example.COM",
    "x=1; Domain=",
    "x=1; Domain=a.example; Domain=.",
    "x=1; Domain=..a.example",
    "x=1; Domain=. a.example",
    "x=1; Path=relative",
    "x=1; Path=/a; Path=relative",
    "x=1; Path=/a;Path=/b",
    "x=1; SameSite=strict",
    "x=1; SameSite=LAX; samesite=None",
    "x=1; SameSite=Lax; SameSite=bogus",
    "x=1; Partitioned; Secure=yes; HTTPONLY",
    "x=1; Expires=not a date",
    "x=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Expires=junk",
    "x=a=b=c; unknown=1; ;; =; Path=/p=q",
    "x=\"quoted\"; Path=/",
    NULL,
};

static int parse(const char *s, omote_set_cookie_t *c)
{
    return omote_set_cookie_parse(s, strlen(s), c);
}

static int str_is(omote_cookie_str_t s, const char *expected)
{
    return s.len == strlen(expected) && (s.len == 0 || memcmp(s.base, expected, s.len) == 0);
}

static time_t date(const char *s)
{
    time_t t;
    return omote_cookie_parse_date(s, strlen(s), &t) == 0 ? t : (time_t)-1;
}

static void test_rfc_examples(void)
{
    omote_set_cookie_t c;

    is_int(parse(set_cookie_inputs[0], &c), 0, "§3.1: SID with Path and Domain");
    ok(str_is(c.name, "SID") && str_is(c.value, "31d4d96e407aad42"), "name and value");
    ok(str_is(c.path, "/"), "path");
    is_str(c.domain, "example.com", "domain");
    ok(!c.is_secure && !c.is_http_only && !c.has_expires && !c.has_max_age, "no other attributes");

    is_int(parse(set_cookie_inputs[1], &c), 0, "§3.1: Secure and HttpOnly");
    ok(c.is_secure && c.is_http_only && c.domain_len == 0, "flags set, host-only");

    is_int(parse(set_cookie_inputs[3], &c), 0, "§3.1: lang with Expires");
    ok(c.has_expires, "expires found");
    is_int(c.expires, 1623233894, "Wed, 09 Jun 2021 10:18:14 GMT");

    is_int(parse(set_cookie_inputs[4], &c), 0, "§3.1: deleting with an empty value");
    ok(str_is(c.name, "lang") && c.value.len == 0, "empty value allowed");
    is_int(c.expires, 784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
}

static void test_dates(void)
{
    is_int(date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777, "IMF-fixdate");
    is_int(date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777, "RFC 850 date, 2-digit year");
    is_int(date("Sun Nov  6 08:49:37 1994"), 784111777, "asctime date");
    is_int(date("6 nOvEmBeR 1994 8:49:37"), 784111777, "any order, case, long month, 1-digit fields");
    is_int(date("1994 Nov 06th 08:49:37xyz"), 784111777, "day and time followed by non-digits");
    is_int(date("Thu, 01 Jan 70 00:00:00 GMT"), 0, "70 is 1970");
    is_int(date("Sat, 31 Dec 69 23:59:59 GMT"), 3155759999LL, "69 is 2069");
    is_int(date("01 Jan 00 00:00:00"), 946684800, "00 is 2000");
    is_int(date("Mon, 01 Jan 1601 00:00:00 GMT"), -11644473600LL, "1601 is the first year");
    is_int(date("31 Dec 1600 23:59:59"), -1, "1600 is too early");
    is_int(date("01 Jan 999 00:00:00"), -1, "3-digit year stays below 1601");
    is_int(date("31 Dec 9999 23:59:59"), 253402300799LL, "last 4-digit year");
    is_int(date("01 Jan 19940 00:00:00"), -1, "5-digit year is no year");
    is_int(date("32 Jan 1994 00:00:00"), -1, "day 32");
    is_int(date("00 Jan 1994 00:00:00"), -1, "day 0");
    is_int(date("29 Feb 1996 00:00:00"), 825552000, "leap day");
    is_int(date("29 Feb 1900 00:00:00"), -1, "1900 is not a leap year");
    is_int(date("29 Feb 2000 00:00:00"), 951782400, "2000 is");
    is_int(date("31 Apr 2021 00:00:00"), -1, "no April 31st");
    is_int(date("06 Nov 1994 24:00:00"), -1, "hour 24");
    is_int(date("06 Nov 1994 23:60:00"), -1, "minute 60");
    is_int(date("06 Nov 1994 23:59:60"), -1, "no leap seconds");
    is_int(date("06 Nov 1994"), -1, "missing time");
    is_int(date("Nov 1994 08:49:37"), -1, "missing day: 1994 is too long for one");
    is_int(date("06 1994 08:49:37"), -1, "missing month");
    is_int(date("06 Nov 08:49:37"), -1, "missing year");
    is_int(date(""), -1, "empty");
    is_int(date("123 Nov 1994 08:49:37"), -1, "a 3-digit day is taken as the year");
    is_int(date("08:49 06 Nov 1994"), -1, "h:m is not a time");
    is_int(date("08:49:37:12 06 Nov 1994"), 784111777, "time followed by a non-digit");
}

static void test_set_cookie_malformed(void)
{
    omote_set_cookie_t c;

    is_int(parse("no-equals-sign", &c), -1, "§5.2 step 2: no '=' ignores the cookie");
    is_int(parse("no-equals; a=b", &c), -1, "'=' only in an attribute does not count");
    is_int(parse("=value", &c), -1, "§5.2 step 5: empty name ignored (RFC 6265bis would accept it)");
    is_int(parse(" \t= value", &c), -1, "name of WSP only is empty");
    is_int(parse("   ", &c), -1, "only spaces");
    is_int(parse("", &c), -1, "empty");
    is_int(parse("  a  =  b c  ; secure", &c), 0, "WSP around name and value");
    ok(str_is(c.name, "a") && str_is(c.value, "b c") && c.is_secure, "trimmed, inner space kept, lowercase attribute");
    is_int(parse("x=a=b=c; unknown=1; ;; =; Path=/p=q", &c), 0, "junk attributes");
    ok(str_is(c.value, "a=b=c") && str_is(c.path, "/p=q"), "value and path split on the first '=' only");

    char big[OMOTE_COOKIE_MAX_NAME_VALUE + 16];
    memset(big, 'v', sizeof(big));
    memcpy(big, "n=", 2);
    big[OMOTE_COOKIE_MAX_NAME_VALUE + 1] = '\0';
    is_int(parse(big, &c), 0, "name and value of 4096 octets");
    big[OMOTE_COOKIE_MAX_NAME_VALUE + 1] = 'v';
    big[OMOTE_COOKIE_MAX_NAME_VALUE + 2] = '\0';
    is_int(parse(big, &c), -1, "4097 octets ignored (RFC 6265bis)");
}

static void test_max_age(void)
{
    omote_set_cookie_t c;

    parse("x=1; Max-Age=-1", &c);
    ok(c.has_max_age && c.max_age_sec == 0, "-1: expire now");
    parse("x=1; Max-Age=0", &c);
    ok(c.has_max_age && c.max_age_sec == 0, "0: expire now");
    parse("x=1; Max-Age=12abc", &c);
    ok(!c.has_max_age, "12abc ignored");
    parse("x=1; Max-Age=", &c);
    ok(!c.has_max_age, "empty ignored");
    parse("x=1; Max-Age=-", &c);
    ok(!c.has_max_age, "lone '-' ignored");
    parse("x=1; Max-Age=+5", &c);
    ok(!c.has_max_age, "'+' is not allowed");
    parse("x=1; Max-Age=99999999999999999999999", &c);
    ok(c.has_max_age && c.max_age_sec == INT64_MAX, "huge saturates");
    parse("x=1; Max-Age=60; Max-Age=120", &c);
    is_int(c.max_age_sec, 120, "later Max-Age wins");
    parse("x=1; Max-Age=60; Max-Age=bogus", &c);
    is_int(c.max_age_sec, 60, "an ignored later Max-Age does not reset");
}

static void test_domain_path(void)
{
    omote_set_cookie_t c;
    char attr[OMOTE_COOKIE_MAX_ATTR_VALUE + 64];

    parse("x=1; Domain=.Example.COM", &c);
    is_str(c.domain, "example.com", "leading dot removed, lowercased");
    parse("x=1; Domain=", &c);
    is_int(c.domain_len, 0, "empty Domain ignored");
    parse("x=1; Domain=a.example; Domain=.", &c);
    is_int(c.domain_len, 0, "'.' alone overrides to host-only");
    parse("x=1; Domain=..a.example", &c);
    is_str(c.domain, ".a.example", "only one dot removed");
    parse("x=1; Path=relative", &c);
    is_int(c.path.len, 0, "relative Path: default-path");
    parse("x=1; Path=/a; Path=relative", &c);
    is_int(c.path.len, 0, "a later relative Path overrides with the default-path");
    parse("x=1; Path=/a;Path=/b", &c);
    ok(str_is(c.path, "/b"), "later Path wins");

    snprintf(attr, sizeof(attr), "x=1; Domain=%0*d", OMOTE_COOKIE_MAX_ATTR_VALUE, 0);
    parse(attr, &c);
    is_int(c.domain_len, OMOTE_COOKIE_MAX_ATTR_VALUE, "1024-octet Domain kept");
    snprintf(attr, sizeof(attr), "x=1; Path=/%0*d; Domain=a", OMOTE_COOKIE_MAX_ATTR_VALUE, 0);
    parse(attr, &c);
    ok(c.path.len == 0 && c.domain_len == 1, "1025-octet Path ignored, next attribute still read");
}

static void test_flags(void)
{
    omote_set_cookie_t c;

    parse("x=1; SameSite=strict", &c);
    is_int(c.same_site, OMOTE_COOKIE_SAME_SITE_STRICT, "SameSite strict");
    parse("x=1; SameSite=LAX; samesite=None", &c);
    is_int(c.same_site, OMOTE_COOKIE_SAME_SITE_NONE, "later SameSite wins");
    parse("x=1; SameSite=Lax; SameSite=bogus", &c);
    is_int(c.same_site, OMOTE_COOKIE_SAME_SITE_UNSET, "unknown SameSite resets to unset");
    parse("x=1; Partitioned; Secure=yes; HTTPONLY", &c);
    ok(c.is_partitioned && c.is_secure && c.is_http_only, "flags, values ignored, any case");
    parse("x=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Expires=junk", &c);
    ok(c.has_expires && c.expires == 784111777, "a bad later Expires is ignored");
}

static void test_print(void)
{
    omote_set_cookie_t c;
    char out[256];

    parse("lang=en-US; path=/;  domain=.Example.com; max-age=3600; expires=Wed, 09 Jun 2021 10:18:14 GMT; samesite=lax; "
          "httponly; secure; partitioned",
          &c);
    is_int(omote_set_cookie_print(&c, out, sizeof(out)), 136, "printed length");
    is_str(out,
           "lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Max-Age=3600; Domain=example.com; Path=/; Secure; HttpOnly; "
           "SameSite=Lax; Partitioned",
           "canonical order and spelling");
    is_int(omote_set_cookie_print(&c, out, 136), 0, "no room for the NUL");
    parse("x=1; Expires=1 Jan 1601 0:0:0", &c);
    omote_set_cookie_print(&c, out, sizeof(out));
    is_str(out, "x=1; Expires=Mon, 01 Jan 1601 00:00:00 GMT", "dates before 1970");
    parse("x=1; Domain=. A.example", &c);
    omote_set_cookie_print(&c, out, sizeof(out));
    is_str(out, "x=1; Domain=. a.example", "a domain starting with WSP keeps its dot");
}

static void test_round_trip(void)
{
    char out[8192];
    int parsed = 0, same = 0;

    for (const char **s = set_cookie_inputs; *s != NULL; ++s) {
        omote_set_cookie_t a, b;
        if (parse(*s, &a) != 0)
            continue;
        ++parsed;
        size_t n = omote_set_cookie_print(&a, out, sizeof(out));
        if (n != 0 && omote_set_cookie_parse(out, n, &b) == 0 && omote_set_cookie_equal(&a, &b))
            ++same;
        else
            printf("# round trip broke for \"%s\" -> \"%s\"\n", *s, out);
    }
    ok(parsed > 20, "most inputs parse (%d)", parsed);
    is_int(same, parsed, "parse(print(parse(x))) == parse(x) for every input");
}

static int header(const char *s, omote_cookie_t *pairs, size_t cap)
{
    return omote_cookie_parse_header(s, strlen(s), pairs, cap);
}

static void test_cookie_header(void)
{
    omote_cookie_t p[8];

    is_int(header("SID=31d4d96e407aad42; lang=en-US", p, 8), 2, "§3.1 two pairs");
    ok(str_is(p[0].name, "SID") && str_is(p[0].value, "31d4d96e407aad42"), "first pair");
    ok(str_is(p[1].name, "lang") && str_is(p[1].value, "en-US"), "second pair");
    is_int(header("  a = 1 ;b=2;   c=\t", p, 8), 3, "extra spaces");
    ok(str_is(p[0].name, "a") && str_is(p[0].value, "1") && str_is(p[2].name, "c") && p[2].value.len == 0, "trimmed");
    is_int(header(";; a=1;  ; ;b=2;", p, 8), 2, "empty pieces skipped");
    is_int(header("a=1; a=2; a=3", p, 8), 3, "duplicate names kept");
    ok(str_is(p[2].name, "a") && str_is(p[2].value, "3"), "in order");
    is_int(header("bare; x=y=z", p, 8), 2, "piece without '='");
    ok(p[0].name.len == 0 && str_is(p[0].value, "bare"), "empty name, piece is the value");
    ok(str_is(p[1].value, "y=z"), "value split on the first '='");
    is_int(header("", p, 8), 0, "empty header");
    is_int(header(" ; ", p, 8), 0, "nothing but separators");
    is_int(header("a=1; b=2; c=3", p, 2), -1, "over cap");
    is_int(header("a=1; b=2", p, 2), 2, "exactly cap");
}

static int keep_named(void *ctx, const omote_cookie_t *pair)
{
    return omote_cookie_name_matches(pair->name, ctx);
}

static int keep_none(void *ctx, const omote_cookie_t *pair)
{
    return 0;
}

static int keep_all(void *ctx, const omote_cookie_t *pair)
{
    return 1;
}

static void filter_is(const char *in, omote_cookie_keep_cb keep, void *ctx, const char *expected, const char *name)
{
    char out[256];
    size_t n = omote_cookie_filter_header(in, strlen(in), keep, ctx, out, sizeof(out));
    ok(n != SIZE_MAX && n == strlen(expected) && memcmp(out, expected, n) == 0, "filter: %s", name);
}

static void test_filter(void)
{
    char small[8];
    const char *in = "_ga=GA1.2.3;  sid = x y ;_ga_ABC=GS1;;other=\"q\"";

    filter_is(in, keep_named, "_ga*", "_ga=GA1.2.3; _ga_ABC=GS1", "prefix rule keeps two");
    filter_is(in, keep_named, "sid", "sid = x y", "kept pair byte-identical");
    filter_is(in, keep_all, NULL, "_ga=GA1.2.3; sid = x y; _ga_ABC=GS1; other=\"q\"", "keep all rejoins with \"; \"");
    filter_is(in, keep_none, NULL, "", "dropping everything gives 0");
    filter_is("a;b;c", keep_all, NULL, "a; b; c", "grows to the bound");
    ok(strlen("a; b; c") <= OMOTE_COOKIE_FILTER_BOUND(strlen("a;b;c")), "bound holds");
    is_int(omote_cookie_filter_header("abcdef=1; g=2", 13, keep_all, NULL, small, sizeof(small)), SIZE_MAX, "too small");
}

static void test_name_matches(void)
{
    omote_cookie_str_t ga = {"_ga_XYZ", 7}, empty = {NULL, 0};

    ok(omote_cookie_name_matches(ga, "_ga*"), "prefix");
    ok(omote_cookie_name_matches(ga, "_ga_XYZ*"), "prefix may match the whole name");
    ok(omote_cookie_name_matches(ga, "_ga_XYZ"), "exact");
    ok(!omote_cookie_name_matches(ga, "_ga"), "exact needs the whole name");
    ok(!omote_cookie_name_matches(ga, "_GA*"), "case-sensitive");
    ok(!omote_cookie_name_matches(ga, "*XYZ"), "leading '*' is literal");
    ok(omote_cookie_name_matches(ga, "*"), "'*' matches everything");
    ok(omote_cookie_name_matches(empty, "*"), "even an empty name");
    ok(omote_cookie_name_matches(empty, ""), "empty pattern matches the empty name");
    ok(!omote_cookie_name_matches(ga, ""), "and nothing else");
}

int main(void)
{
    test_rfc_examples();
    test_dates();
    test_set_cookie_malformed();
    test_max_age();
    test_domain_path();
    test_flags();
    test_print();
    test_round_trip();
    test_cookie_header();
    test_filter();
    test_name_matches();
    return done_testing();
}
