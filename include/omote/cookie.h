/*
 * Cookie and Set-Cookie values: parse, print, filter. Pure and allocation-free; every slice this
 * module hands out points into the caller's input (RFC 6265 §4.2, §5.1.1, §5.2, §5.4), except a
 * Set-Cookie's Domain, which is copied because §5.2.3 lowercases it. Policy (which cookie a
 * purpose may keep) lives with the callers; this module only knows the syntax.
 */
#ifndef OMOTE_COOKIE_H
#define OMOTE_COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** An attribute value longer than this is ignored (RFC 6265bis §5.6 step 6 of the cookie-av loop). */
#define OMOTE_COOKIE_MAX_ATTR_VALUE 1024
/** A Set-Cookie whose name and value together are longer than this is ignored (RFC 6265bis §5.6). */
#define OMOTE_COOKIE_MAX_NAME_VALUE 4096
/** Room omote_cookie_filter_header needs for a header of `len` bytes: "a;b" becomes "a; b" at worst. */
#define OMOTE_COOKIE_FILTER_BOUND(len) ((len) + (len) / 2 + 1)

/** A borrowed byte range; not NUL-terminated. */
typedef struct st_omote_cookie_str_t {
    const char *base;
    size_t len;
} omote_cookie_str_t;

/** One name=value pair of a Cookie request header. */
typedef struct st_omote_cookie_t {
    omote_cookie_str_t name;  /* borrowed from the header being parsed; WSP trimmed; may be empty */
    omote_cookie_str_t value; /* borrowed; WSP trimmed; quotes, if any, kept */
} omote_cookie_t;

/** The SameSite attribute (RFC 6265bis §5.6.7); UNSET when absent or unrecognised. */
typedef enum en_omote_cookie_same_site_t {
    OMOTE_COOKIE_SAME_SITE_UNSET = 0,
    OMOTE_COOKIE_SAME_SITE_STRICT,
    OMOTE_COOKIE_SAME_SITE_LAX,
    OMOTE_COOKIE_SAME_SITE_NONE,
} omote_cookie_same_site_t;

/**
 * A parsed Set-Cookie value. The last occurrence of each attribute wins (§5.3 step 3 reads "the
 * last attribute in the cookie-attribute-list"). Both Expires and Max-Age are kept as sent; a
 * user agent gives Max-Age precedence (§5.3 step 3).
 */
typedef struct st_omote_set_cookie_t {
    omote_cookie_str_t name;  /* borrowed from the value being parsed; never empty (§5.2 step 5) */
    omote_cookie_str_t value; /* borrowed; may be empty */
    omote_cookie_str_t path;  /* borrowed; starts with '/', or is empty: the default-path applies (§5.2.4) */
    time_t expires;           /* seconds since the epoch, UTC; meaningful when has_expires */
    int64_t max_age_sec;      /* >= 0, values <= 0 stored as 0 ("expire now", §5.2.2); when has_max_age */
    unsigned has_expires : 1;
    unsigned has_max_age : 1;
    unsigned is_secure : 1;
    unsigned is_http_only : 1;
    unsigned is_partitioned : 1; /* CHIPS' Partitioned attribute */
    omote_cookie_same_site_t same_site;
    size_t domain_len; /* 0: host-only, no Domain or one that was empty after its leading '.' (§5.3 step 4-6) */
    char domain[OMOTE_COOKIE_MAX_ATTR_VALUE + 1]; /* owned copy, lowercased, leading '.' removed, NUL-terminated */
} omote_set_cookie_t;

/** Decides whether a Cookie pair stays; gets the pair, borrowed until it returns. Non-zero keeps it. */
typedef int (*omote_cookie_keep_cb)(void *ctx, const omote_cookie_t *pair);

/**
 * Splits a Cookie request header (RFC 6265 §4.2.1, as a user agent writes it per §5.4) into at
 * most `cap` pairs, pointing into `header`. Lenient the way servers are, since the bytes come from
 * browsers and scripts: pieces are split on ';', WSP around names and values is trimmed, empty
 * pieces are skipped, and a piece without '=' becomes a pair with an empty name and the piece as its
 * value (that is how RFC 6265bis §5.6 stores `document.cookie = "foo"`, so a browser sends it back
 * bare). Duplicate names are all returned, in order. Returns the number of pairs, or -1 when there
 * are more than `cap` (the first `cap` are filled in).
 */
int omote_cookie_parse_header(const char *header, size_t len, omote_cookie_t *out, size_t cap);

/**
 * Rewrites a Cookie header into `out` keeping the pairs `keep` accepts, each copied byte for byte
 * as it appeared (WSP around the piece trimmed), joined with "; " as §5.4 step 4 writes them. Pieces
 * are split as omote_cookie_parse_header does. `out` must not overlap `header`; `outsz` of
 * OMOTE_COOKIE_FILTER_BOUND(len) always suffices. Returns the new length; 0 means no pair is left and
 * the header should be dropped; SIZE_MAX means `outsz` was too small (the contents of `out` are then
 * unspecified).
 */
size_t omote_cookie_filter_header(const char *header, size_t len, omote_cookie_keep_cb keep, void *ctx, char *out, size_t outsz);

/**
 * Parses a date the way RFC 6265 §5.1.1 does for Expires: tokens between delimiters, the first
 * time, day-of-month, month and year tokens in that order of preference, 2-digit years mapped to
 * 1970-2069, and range checks (day 1-31 existing in that month, year >= 1601, 23:59:59 at most).
 * Stores seconds since the epoch (UTC) in `*out` and returns 0, or returns -1.
 */
int omote_cookie_parse_date(const char *s, size_t len, time_t *out);

/**
 * Parses a Set-Cookie header value with the algorithm of RFC 6265 §5.2 (plus the RFC 6265bis size
 * limits and the SameSite and Partitioned attributes). Unknown attributes and attributes with bad
 * values are ignored, as §5.2 requires. Returns 0, filling `out` (slices borrowed from `value`), or
 * -1 when the user agent would ignore the cookie entirely: no '=' before the first ';' (step 2), an
 * empty name (step 5; RFC 6265bis instead accepts "=v" and "v" as a cookie with an empty name), or
 * a name and value longer than OMOTE_COOKIE_MAX_NAME_VALUE.
 */
int omote_set_cookie_parse(const char *value, size_t len, omote_set_cookie_t *out);

/**
 * Prints `c` as a canonical Set-Cookie value: "name=value" then, when set, Expires (IMF-fixdate,
 * §4.1.1), Max-Age, Domain, Path, Secure, HttpOnly, SameSite and Partitioned, joined with "; ".
 * Parsing the result gives back `c`. Writes a NUL after it; returns its length, or 0 when it does
 * not fit in `outsz` bytes with the NUL.
 */
size_t omote_set_cookie_print(const omote_set_cookie_t *c, char *out, size_t outsz);

/** Whether `a` and `b` describe the same cookie: same bytes in every slice and the same attributes. */
int omote_set_cookie_equal(const omote_set_cookie_t *a, const omote_set_cookie_t *b);

/**
 * Whether a cookie name matches a rule `pattern` (NUL-terminated): a trailing '*' matches any
 * rest, including none ("_ga*" matches "_ga" and "_ga_XYZ"); anything else must match exactly. A
 * '*' elsewhere is literal. Case-sensitive: cookie names are (RFC 6265 §5.3 step 11 compares them
 * octet by octet).
 */
int omote_cookie_name_matches(omote_cookie_str_t name, const char *pattern);

#endif
