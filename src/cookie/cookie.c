/*
 * Cookie header and Set-Cookie syntax (RFC 6265 §4.2, §5.1.1, §5.2, §5.4): parsing, printing and
 * pair filtering. Failure policy: a Set-Cookie the user agent would ignore is reported as -1 so the
 * caller can drop it; a Cookie header is parsed leniently, because the proxy only sorts its pairs.
 * Which names to keep is the caller's business.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "omote/cookie.h"

#define SECONDS_PER_DAY 86400

static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t'; /* RFC 5234 WSP, which §5.2 trims */
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static unsigned char to_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static omote_cookie_str_t make_str(const char *base, size_t len)
{
    omote_cookie_str_t s = {base, len};
    return s;
}

static omote_cookie_str_t trim(const char *base, size_t len)
{
    while (len != 0 && is_wsp(base[0])) {
        ++base;
        --len;
    }
    while (len != 0 && is_wsp(base[len - 1]))
        --len;
    return make_str(base, len);
}

static int str_ieq(omote_cookie_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i != n; ++i)
        if (to_lower(s.base[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

static int str_eq(omote_cookie_str_t a, omote_cookie_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.base, b.base, a.len) == 0);
}

/* Splits `s` at the first `c`: `*head` is before it; returns the rest after it, or NULL if there is no `c`. */
static const char *split_at(omote_cookie_str_t s, char c, omote_cookie_str_t *head)
{
    const char *at = s.len != 0 ? memchr(s.base, c, s.len) : NULL;
    *head = make_str(s.base, at != NULL ? (size_t)(at - s.base) : s.len);
    return at != NULL ? at + 1 : NULL;
}

/* ---- Cookie request header ---------------------------------------------------------------------------------------------- */

/*
 * Walks the ';'-separated pieces of a Cookie header, skipping empty ones. `*pos` is the offset of
 * the next byte to read. Returns 0 and the trimmed piece, or -1 at the end.
 */
static int next_piece(const char *header, size_t len, size_t *pos, omote_cookie_str_t *piece)
{
    while (*pos < len) {
        omote_cookie_str_t rest = make_str(header + *pos, len - *pos), raw;
        const char *after = split_at(rest, ';', &raw);
        *pos = after != NULL ? (size_t)(after - header) : len;
        *piece = trim(raw.base, raw.len);
        if (piece->len != 0)
            return 0;
    }
    return -1;
}

/* A piece without '=' is a value with an empty name, as RFC 6265bis §5.6 stores it. */
static omote_cookie_t split_pair(omote_cookie_str_t piece)
{
    omote_cookie_t pair;
    omote_cookie_str_t name;
    const char *value = split_at(piece, '=', &name);
    if (value == NULL) {
        pair.name = make_str(piece.base, 0);
        pair.value = piece;
        return pair;
    }
    pair.name = trim(name.base, name.len);
    pair.value = trim(value, piece.base + piece.len - value);
    return pair;
}

int omote_cookie_parse_header(const char *header, size_t len, omote_cookie_t *out, size_t cap)
{
    size_t pos = 0, n = 0;
    omote_cookie_str_t piece;

    while (next_piece(header, len, &pos, &piece) == 0) {
        if (n == cap)
            return -1;
        out[n++] = split_pair(piece);
    }
    return (int)(n <= INT_MAX ? n : INT_MAX);
}

size_t omote_cookie_filter_header(const char *header, size_t len, omote_cookie_keep_cb keep, void *ctx, char *out, size_t outsz)
{
    size_t pos = 0, used = 0;
    omote_cookie_str_t piece;

    while (next_piece(header, len, &pos, &piece) == 0) {
        omote_cookie_t pair = split_pair(piece);
        if (!keep(ctx, &pair))
            continue;
        size_t sep = used != 0 ? 2 : 0;
        if (outsz - used < sep + piece.len)
            return SIZE_MAX;
        memcpy(out + used, "; ", sep);
        memcpy(out + used + sep, piece.base, piece.len);
        used += sep + piece.len;
    }
    return used;
}

int omote_cookie_name_matches(omote_cookie_str_t name, const char *pattern)
{
    size_t n = strlen(pattern);
    int is_prefix = n != 0 && pattern[n - 1] == '*';

    if (is_prefix)
        --n;
    if (is_prefix ? name.len < n : name.len != n)
        return 0;
    return n == 0 || memcmp(name.base, pattern, n) == 0;
}

/* ---- Dates (§5.1.1) ----------------------------------------------------------------------------------------------------- */

/*
 * §5.1.1 first cuts the string into date-tokens at delimiters, then offers each token to four
 * productions in a fixed order (time, day-of-month, month, year); a production takes only the
 * first token that matches it. Each production is a short prefix followed by end-of-token or a
 * non-digit, after which anything may follow ("6th", "January", "94x" all match).
 */

struct date_fields {
    int has_time, has_day, has_month, has_year;
    int hour, minute, second, day, month, year; /* month 1-12 */
};

/* delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
static int is_date_delimiter(unsigned char c)
{
    return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
           (c >= 0x7b && c <= 0x7e);
}

/*
 * Reads `min`..`max` digits at the start of `tok`; they must be followed by the token's end or a
 * non-digit. Returns how many bytes were read, or 0.
 */
static size_t read_digits(omote_cookie_str_t tok, size_t min, size_t max, int *value)
{
    size_t n = 0;
    *value = 0;
    while (n < tok.len && is_digit(tok.base[n])) {
        if (n == max)
            return 0; /* a digit where the grammar wants a non-digit */
        *value = *value * 10 + (tok.base[n] - '0');
        ++n;
    }
    return n >= min ? n : 0;
}

/* hms-time = time-field ":" time-field ":" time-field, time-field = 1*2DIGIT, then ( non-digit *OCTET ) */
static int match_time(omote_cookie_str_t tok, struct date_fields *f)
{
    int *fields[3] = {&f->hour, &f->minute, &f->second};
    for (int i = 0; i != 3; ++i) {
        size_t n = read_digits(tok, 1, 2, fields[i]);
        if (n == 0)
            return 0;
        tok = make_str(tok.base + n, tok.len - n);
        if (i == 2)
            break;
        if (tok.len == 0 || tok.base[0] != ':')
            return 0;
        tok = make_str(tok.base + 1, tok.len - 1);
    }
    return 1;
}

/* month = ( "jan" / "feb" / ... / "dec" ) *OCTET, case-insensitive */
static int match_month(omote_cookie_str_t tok, int *month)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (tok.len < 3)
        return 0;
    for (int m = 0; m != 12; ++m) {
        const char *name = names + 3 * m;
        if (to_lower(tok.base[0]) == name[0] && to_lower(tok.base[1]) == name[1] && to_lower(tok.base[2]) == name[2]) {
            *month = m + 1;
            return 1;
        }
    }
    return 0;
}

/*
 * RFC 6265 writes day-of-month as 1*2DIGIT ( non-digit *OCTET ), which read literally rejects a
 * bare "06"; the group is meant to be optional (RFC 6265bis writes it [ non-digit *OCTET ]), and
 * read_digits treats it so. Same for year and time.
 */
static void classify_token(omote_cookie_str_t tok, struct date_fields *f)
{
    if (!f->has_time && match_time(tok, f)) {
        f->has_time = 1;
        return;
    }
    if (!f->has_day && read_digits(tok, 1, 2, &f->day) != 0) {
        f->has_day = 1;
        return;
    }
    if (!f->has_month && match_month(tok, &f->month)) {
        f->has_month = 1;
        return;
    }
    if (!f->has_year && read_digits(tok, 2, 4, &f->year) != 0)
        f->has_year = 1;
}

static int is_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Leap years in [1, y] for y >= 0. */
static int64_t leaps_through(int64_t y)
{
    return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to January 1st of `year` (negative before 1970); year >= 1. */
static int64_t days_before_year(int64_t year)
{
    return 365 * (year - 1970) + leaps_through(year - 1) - leaps_through(1969);
}

static int64_t days_from_civil(int64_t year, int month, int day)
{
    int64_t days = days_before_year(year);
    for (int m = 1; m != month; ++m)
        days += days_in_month(year, m);
    return days + day - 1;
}

/* time_t may be narrower than 64 bits; §5.2.1 lets us clamp to the representable range. */
static time_t clamp_time(int64_t t)
{
    if (sizeof(time_t) < sizeof(int64_t)) {
        if (t > (int64_t)INT32_MAX)
            return (time_t)INT32_MAX;
        if (t < (int64_t)INT32_MIN)
            return (time_t)INT32_MIN;
    }
    return (time_t)t;
}

int omote_cookie_parse_date(const char *s, size_t len, time_t *out)
{
    struct date_fields f = {0};
    size_t i = 0;

    while (i < len) { /* step 1: date-token = 1*non-delimiter */
        while (i < len && is_date_delimiter(s[i]))
            ++i;
        size_t start = i;
        while (i < len && !is_date_delimiter(s[i]))
            ++i;
        if (i != start)
            classify_token(make_str(s + start, i - start), &f); /* step 2 */
    }
    if (f.has_year && f.year >= 70 && f.year <= 99) /* step 3 */
        f.year += 1900;
    else if (f.has_year && f.year <= 69) /* step 4 */
        f.year += 2000;
    if (!(f.has_time && f.has_day && f.has_month && f.has_year)) /* step 5 */
        return -1;
    if (f.day < 1 || f.day > 31 || f.year < 1601 || f.hour > 23 || f.minute > 59 || f.second > 59)
        return -1;
    if (f.day > days_in_month(f.year, f.month)) /* step 6: "if no such date exists" */
        return -1;
    int64_t t = days_from_civil(f.year, f.month, f.day) * SECONDS_PER_DAY + f.hour * 3600 + f.minute * 60 + f.second;
    *out = clamp_time(t);
    return 0;
}

/* ---- Set-Cookie (§5.2) -------------------------------------------------------------------------------------------------- */

/* §5.2.1: an unparsable date means the attribute is ignored. */
static void on_expires(omote_set_cookie_t *c, omote_cookie_str_t v)
{
    time_t t;
    if (omote_cookie_parse_date(v.base, v.len, &t) != 0)
        return;
    c->expires = t;
    c->has_expires = 1;
}

/*
 * §5.2.2: a DIGIT or '-' first, DIGITs after. A lone "-" passes those two checks but denotes no
 * integer, so it is ignored too. Values <= 0 all mean "expire now"; huge ones saturate.
 */
static void on_max_age(omote_set_cookie_t *c, omote_cookie_str_t v)
{
    size_t i = v.len != 0 && v.base[0] == '-' ? 1 : 0;
    int is_negative = i == 1;
    int64_t delta = 0;

    if (i == v.len)
        return;
    for (; i != v.len; ++i) {
        if (!is_digit(v.base[i]))
            return;
        int digit = v.base[i] - '0';
        delta = delta > (INT64_MAX - digit) / 10 ? INT64_MAX : delta * 10 + digit;
    }
    c->max_age_sec = is_negative ? 0 : delta;
    c->has_max_age = 1;
}

/* §5.2.3: empty value ignored; one leading '.' dropped; lowercased. An empty result means host-only (§5.3 step 6). */
static void on_domain(omote_set_cookie_t *c, omote_cookie_str_t v)
{
    if (v.len == 0)
        return;
    if (v.base[0] == '.')
        v = make_str(v.base + 1, v.len - 1);
    for (size_t i = 0; i != v.len; ++i)
        c->domain[i] = (char)to_lower(v.base[i]);
    c->domain[v.len] = '\0';
    c->domain_len = v.len;
}

/* §5.2.4: a value not starting with '/' still counts as a Path attribute, the default-path, so it overrides. */
static void on_path(omote_set_cookie_t *c, omote_cookie_str_t v)
{
    c->path = v.len != 0 && v.base[0] == '/' ? v : make_str(v.base, 0);
}

/* RFC 6265bis §5.6.7: an unknown value sets the enforcement back to "Default". */
static void on_same_site(omote_set_cookie_t *c, omote_cookie_str_t v)
{
    if (str_ieq(v, "strict"))
        c->same_site = OMOTE_COOKIE_SAME_SITE_STRICT;
    else if (str_ieq(v, "lax"))
        c->same_site = OMOTE_COOKIE_SAME_SITE_LAX;
    else if (str_ieq(v, "none"))
        c->same_site = OMOTE_COOKIE_SAME_SITE_NONE;
    else
        c->same_site = OMOTE_COOKIE_SAME_SITE_UNSET;
}

/* §5.2 steps 4-6 of the cookie-av loop: names compare case-insensitively; unknown names are ignored. */
static void on_attribute(omote_set_cookie_t *c, omote_cookie_str_t av)
{
    omote_cookie_str_t name;
    const char *value = split_at(av, '=', &name);
    omote_cookie_str_t v = value != NULL ? trim(value, av.base + av.len - value) : make_str(av.base, 0);

    name = trim(name.base, name.len);
    if (v.len > OMOTE_COOKIE_MAX_ATTR_VALUE)
        return;
    if (str_ieq(name, "expires"))
        on_expires(c, v);
    else if (str_ieq(name, "max-age"))
        on_max_age(c, v);
    else if (str_ieq(name, "domain"))
        on_domain(c, v);
    else if (str_ieq(name, "path"))
        on_path(c, v);
    else if (str_ieq(name, "secure"))
        c->is_secure = 1;
    else if (str_ieq(name, "httponly"))
        c->is_http_only = 1;
    else if (str_ieq(name, "samesite"))
        on_same_site(c, v);
    else if (str_ieq(name, "partitioned"))
        c->is_partitioned = 1;
}

int omote_set_cookie_parse(const char *value, size_t len, omote_set_cookie_t *out)
{
    omote_cookie_str_t nvp, name;
    const char *attrs = split_at(make_str(value, len), ';', &nvp); /* step 1 */
    const char *v = split_at(nvp, '=', &name);

    memset(out, 0, sizeof(*out));
    if (v == NULL) /* step 2 */
        return -1;
    out->name = trim(name.base, name.len); /* steps 3-4 */
    out->value = trim(v, nvp.base + nvp.len - v);
    if (out->name.len == 0) /* step 5 */
        return -1;
    if (out->name.len + out->value.len > OMOTE_COOKIE_MAX_NAME_VALUE)
        return -1;
    while (attrs != NULL) { /* the cookie-av loop: each av runs up to the next ';' */
        omote_cookie_str_t av;
        const char *next = split_at(make_str(attrs, value + len - attrs), ';', &av);
        on_attribute(out, av);
        attrs = next;
    }
    return 0;
}

/* ---- Printing ----------------------------------------------------------------------------------------------------------- */

struct printer {
    char *out;
    size_t size, used;
    int overflow;
};

static void put(struct printer *p, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (p->overflow || p->size - p->used < n) {
        p->overflow = 1;
        return;
    }
    memcpy(p->out + p->used, s, n);
    p->used += n;
}

static void put_cstr(struct printer *p, const char *s)
{
    put(p, s, strlen(s));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* IMF-fixdate (RFC 6265 §4.1.1 sane-cookie-date), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
static void put_date(struct printer *p, time_t t)
{
    static const char wdays[] = "ThuFriSatSunMonTueWed"; /* 1970-01-01 was a Thursday */
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int64_t days = floor_div((int64_t)t, SECONDS_PER_DAY), secs = (int64_t)t - days * SECONDS_PER_DAY;
    int64_t year = 1970 + floor_div(days, 366);
    int month = 1;
    char buf[80]; /* 29 bytes in practice; sized for what the compiler cannot rule out */

    while (days_before_year(year) > days) /* the estimate can overshoot before 1970 */
        --year;
    while (days_before_year(year + 1) <= days)
        ++year;
    days -= days_before_year(year);
    while (days >= days_in_month(year, month))
        days -= days_in_month(year, month++);
    int64_t wday = (floor_div((int64_t)t, SECONDS_PER_DAY) % 7 + 7) % 7;
    snprintf(buf, sizeof(buf), "%.3s, %02d %.3s %04lld %02d:%02d:%02d GMT", wdays + 3 * wday, (int)days + 1,
             months + 3 * (month - 1), (long long)year, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    put_cstr(p, buf);
}

/* A leading '.' or WSP in the stored domain would be eaten on reparse, so protect it with the optional dot. */
static void put_domain(struct printer *p, const omote_set_cookie_t *c)
{
    put_cstr(p, "; Domain=");
    if (c->domain[0] == '.' || is_wsp(c->domain[0]))
        put_cstr(p, ".");
    put(p, c->domain, c->domain_len);
}

static void put_attributes(struct printer *p, const omote_set_cookie_t *c)
{
    static const char *same_site[] = {NULL, "Strict", "Lax", "None"};
    char buf[32];

    if (c->has_expires) {
        put_cstr(p, "; Expires=");
        put_date(p, c->expires);
    }
    if (c->has_max_age) {
        snprintf(buf, sizeof(buf), "; Max-Age=%lld", (long long)c->max_age_sec);
        put_cstr(p, buf);
    }
    if (c->domain_len != 0)
        put_domain(p, c);
    if (c->path.len != 0) {
        put_cstr(p, "; Path=");
        put(p, c->path.base, c->path.len);
    }
    if (c->is_secure)
        put_cstr(p, "; Secure");
    if (c->is_http_only)
        put_cstr(p, "; HttpOnly");
    if (c->same_site != OMOTE_COOKIE_SAME_SITE_UNSET) {
        put_cstr(p, "; SameSite=");
        put_cstr(p, same_site[c->same_site]);
    }
    if (c->is_partitioned)
        put_cstr(p, "; Partitioned");
}

size_t omote_set_cookie_print(const omote_set_cookie_t *c, char *out, size_t outsz)
{
    struct printer p = {out, outsz, 0, 0};

    put(&p, c->name.base, c->name.len);
    put_cstr(&p, "=");
    put(&p, c->value.base, c->value.len);
    put_attributes(&p, c);
    put(&p, "", 1);
    return p.overflow ? 0 : p.used - 1;
}

int omote_set_cookie_equal(const omote_set_cookie_t *a, const omote_set_cookie_t *b)
{
    if (!str_eq(a->name, b->name) || !str_eq(a->value, b->value) || !str_eq(a->path, b->path))
        return 0;
    if (a->has_expires != b->has_expires || (a->has_expires && a->expires != b->expires))
        return 0;
    if (a->has_max_age != b->has_max_age || (a->has_max_age && a->max_age_sec != b->max_age_sec))
        return 0;
    if (a->is_secure != b->is_secure || a->is_http_only != b->is_http_only || a->is_partitioned != b->is_partitioned)
        return 0;
    if (a->same_site != b->same_site || a->domain_len != b->domain_len)
        return 0;
    return memcmp(a->domain, b->domain, a->domain_len) == 0;
}
