/*
 * The body of a consent POST: a JSON document or a urlencoded form turned into the purposes it
 * grants (see omote/consent_body.h). The consent API (src/glue/consent_api.c) checks size and
 * media type, applies Global Privacy Control and records the result.
 *
 * Failure policy: the first problem refuses the whole body, so nothing is stored; its message is
 * the API's 400 detail, kept valid UTF-8 (a name quoted from the body is cut to 64 bytes on a
 * character boundary, bytes that are no UTF-8 shown as '?') so the JSON answer can carry it.
 */
#include "omote/consent_body.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define QUOTE_MAX 64 /* bytes of a name from the body quoted in a message */

/* length of the UTF-8 sequence at `s` (RFC 3629 §4: no overlongs, surrogates or code points past U+10FFFF), 0 if invalid or cut */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i != n; ++i)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

__attribute__((format(printf, 2, 3))) static int fail(omote_consent_body_t *out, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(out->error, sizeof(out->error), fmt, args);
    va_end(args);
    /* the message becomes a JSON string: whatever is no UTF-8 (jansson's text, a cut) shows as '?' */
    unsigned char *e = (unsigned char *)out->error;
    for (size_t i = 0, len = strlen(out->error), n; i < len; i += n)
        if ((n = utf8_len(e + i, len - i)) == 0)
            e[i] = '?', n = 1;
    return -1;
}

/* copies `s` into `dst` (QUOTE_MAX + 1 bytes) as valid UTF-8 of at most QUOTE_MAX bytes: a byte that is
 * no UTF-8 becomes '?', and the copy stops before a character that would pass the limit */
static const char *quote(char *dst, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = utf8_len(u + i, len - i);
        if (o + (n != 0 ? n : 1) > QUOTE_MAX)
            break;
        if (n == 0) {
            dst[o++] = '?';
            ++i;
            continue;
        }
        memcpy(dst + o, s + i, n);
        o += n;
        i += n;
    }
    dst[o] = '\0';
    return dst;
}

static int purpose_index(const omote_purpose_config_t *purposes, size_t num_purposes, const char *id)
{
    for (size_t i = 0; i != num_purposes; ++i)
        if (strcmp(purposes[i].id, id) == 0)
            return (int)i;
    return -1;
}

static uint32_t all_purposes(size_t num_purposes)
{
    return num_purposes >= 32 ? UINT32_MAX : ((uint32_t)1 << num_purposes) - 1;
}

static uint32_t necessary_purposes(const omote_purpose_config_t *purposes, size_t num_purposes)
{
    uint32_t set = 0;
    for (size_t i = 0; i != num_purposes; ++i)
        if (purposes[i].strictly_necessary)
            set |= (uint32_t)1 << i;
    return set;
}

/* sets purpose `i` when granted; a strictly necessary purpose cannot be refused */
static int set_purpose(omote_consent_body_t *out, const omote_purpose_config_t *purposes, int i, int grant)
{
    if (!grant && purposes[i].strictly_necessary)
        return fail(out, "purpose \"%s\" is strictly necessary and cannot be refused", purposes[i].id);
    if (grant) {
        out->granted |= (uint32_t)1 << i;
        out->named |= (uint32_t)1 << i;
    }
    return 0;
}

/* ---- JSON ---- */

static int check_members(omote_consent_body_t *out, json_t *doc)
{
    const char *key;
    json_t *value;
    char q[QUOTE_MAX + 1];
    json_object_foreach(doc, key, value)
    {
        if (strcmp(key, "purposes") != 0 && strcmp(key, "all") != 0 && strcmp(key, "source") != 0)
            return fail(out, "unknown member \"%s\" (expected purposes, all, source)", quote(q, key, strlen(key)));
    }
    return 0;
}

static int read_source(omote_consent_body_t *out, json_t *source)
{
    if (source == NULL)
        return 0;
    if (json_is_string(source) && strcmp(json_string_value(source), "banner") == 0) {
        out->source = OMOTE_CONSENT_SOURCE_BANNER;
        return 0;
    }
    if (!json_is_string(source) || strcmp(json_string_value(source), "api") != 0)
        return fail(out, "\"source\" must be \"api\" or \"banner\"");
    return 0;
}

static int read_purposes(omote_consent_body_t *out, json_t *members, const omote_purpose_config_t *purposes, size_t num_purposes)
{
    const char *key;
    json_t *value;
    char q[QUOTE_MAX + 1];
    if (!json_is_object(members))
        return fail(out, "\"purposes\" must be an object of purpose ids to true or false");
    json_object_foreach(members, key, value)
    {
        int i = purpose_index(purposes, num_purposes, key);
        if (i < 0)
            return fail(out, "unknown purpose \"%s\"", quote(q, key, strlen(key)));
        if (!json_is_boolean(value))
            return fail(out, "purposes.%s must be true or false", purposes[i].id);
        if (set_purpose(out, purposes, i, json_is_true(value)) != 0)
            return -1;
    }
    return 0;
}

static int parse_json_doc(omote_consent_body_t *out, json_t *doc, const omote_purpose_config_t *purposes, size_t num_purposes)
{
    if (!json_is_object(doc))
        return fail(out, "expected a JSON object: {\"purposes\": {\"<id>\": true|false, ...}} or {\"all\": true|false}");
    if (check_members(out, doc) != 0)
        return -1;
    json_t *all = json_object_get(doc, "all"), *members = json_object_get(doc, "purposes");
    if ((all == NULL) == (members == NULL))
        return fail(out, "give exactly one of \"purposes\" and \"all\"");
    if (read_source(out, json_object_get(doc, "source")) != 0)
        return -1;
    if (all == NULL)
        return read_purposes(out, members, purposes, num_purposes);
    if (!json_is_boolean(all))
        return fail(out, "\"all\" must be true or false");
    out->is_all = json_is_true(all);
    out->granted = out->is_all ? all_purposes(num_purposes) : 0;
    return 0;
}

static int parse_json(omote_consent_body_t *out, const char *body, size_t len, const omote_purpose_config_t *purposes,
                      size_t num_purposes)
{
    json_error_t jerr;
    json_t *doc = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return fail(out, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    int ret = parse_json_doc(out, doc, purposes, num_purposes);
    json_decref(doc);
    return ret;
}

/* ---- forms ---- */

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/*
 * A form field is percent-decoded with '+' as a space (HTML's application/x-www-form-urlencoded),
 * but never into the caller's memory as a whole: it is first checked (a bad escape or a NUL,
 * raw or %00, refuses the body), then compared or copied byte by byte. So a field of any length
 * needs no allocation.
 */

/* the decoded length of a field, or -1 when malformed or holding a NUL */
static ptrdiff_t form_check(const char *s, size_t len)
{
    ptrdiff_t n = 0;
    for (size_t i = 0; i != len; ++i, ++n) {
        if (s[i] == '\0')
            return -1;
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= len || (hi = hex_value(s[i + 1])) < 0 || (lo = hex_value(s[i + 2])) < 0 || (hi == 0 && lo == 0))
                return -1;
            i += 2;
        }
    }
    return n;
}

/* decodes the byte at `*i` of a checked field and steps past it */
static char form_next(const char *s, size_t *i)
{
    char c = s[*i];
    if (c == '+') {
        ++*i;
        return ' ';
    }
    if (c == '%') {
        c = (char)(hex_value(s[*i + 1]) << 4 | hex_value(s[*i + 2]));
        *i += 3;
        return c;
    }
    ++*i;
    return c;
}

/* decodes the first `cap` bytes (at most) of a checked field into `dst` and NUL-terminates it */
static void form_copy(char *dst, size_t cap, const char *s, size_t len)
{
    size_t i = 0, o = 0;
    while (i != len && o != cap)
        dst[o++] = form_next(s, &i);
    dst[o] = '\0';
}

/* whether a checked field of `decoded` bytes decodes to `text` */
static int form_is(const char *s, size_t len, size_t decoded, const char *text)
{
    size_t i = 0, n = strlen(text);
    if (decoded != n)
        return 0;
    for (size_t o = 0; o != n; ++o)
        if (form_next(s, &i) != text[o])
            return 0;
    return 1;
}

int omote_consent_body_form_field(const char *text, size_t len, const char *name, char *out, size_t outsz)
{
    const char *p = text != NULL ? text : "", *end = p + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *field_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(field_end - p));
        const char *name_end = eq != NULL ? eq : field_end, *value = eq != NULL ? eq + 1 : field_end;
        ptrdiff_t n = form_check(p, (size_t)(name_end - p));
        if (n >= 0 && form_is(p, (size_t)(name_end - p), (size_t)n, name)) {
            ptrdiff_t v = form_check(value, (size_t)(field_end - value));
            if (v < 0 || (size_t)v + 1 > outsz)
                return -1;
            form_copy(out, (size_t)v, value, (size_t)(field_end - value));
            return 0;
        }
        p = field_end + 1;
    }
    return -1;
}

/* 1 or 0 for a boolean a form sends ("on" from a checkbox, "1"/"0", "true"/"false", "off"); -1 for anything else */
static int form_bool(const char *s, size_t len, size_t decoded)
{
    if (form_is(s, len, decoded, "on") || form_is(s, len, decoded, "1") || form_is(s, len, decoded, "true"))
        return 1;
    if (form_is(s, len, decoded, "off") || form_is(s, len, decoded, "0") || form_is(s, len, decoded, "false"))
        return 0;
    return -1;
}

/*
 * A path on this site: "/...", not "//host" or "/\host" (which browsers read as another host),
 * no backslash, space or control byte anywhere, and no "//" before the query, so no later
 * normalisation can turn it into a network-path reference. A query or fragment may hold "//"
 * (return=/search?u=https://...).
 */
int omote_consent_body_is_local_path(const char *p)
{
    size_t len = strlen(p);
    int in_path = 1;
    if (len == 0 || len > OMOTE_CONSENT_BODY_MAX_RETURN || p[0] != '/')
        return 0;
    for (size_t i = 0; i != len; ++i) {
        if ((unsigned char)p[i] < 0x21 || p[i] == 0x7f || p[i] == '\\')
            return 0;
        if (p[i] == '?' || p[i] == '#')
            in_path = 0;
        if (in_path && p[i] == '/' && p[i + 1] == '/')
            return 0;
    }
    return 1;
}

/* one name=value field of a form; `all` collects the all= button */
static int form_field(omote_consent_body_t *out, const char *name, size_t name_len, const char *value, size_t value_len, int *all,
                      const omote_purpose_config_t *purposes, size_t num_purposes)
{
    ptrdiff_t n = form_check(name, name_len), v = form_check(value, value_len);
    if (n < 0 || v < 0)
        return fail(out, "malformed form field (bad percent-encoding)");
    int b = form_bool(value, value_len, (size_t)v);
    if (form_is(name, name_len, (size_t)n, "return")) {
        if (v > OMOTE_CONSENT_BODY_MAX_RETURN)
            return fail(out, "\"return\" must be a path on this site (starting with a single /)");
        form_copy(out->return_to, (size_t)v, value, value_len);
        if (!omote_consent_body_is_local_path(out->return_to))
            return fail(out, "\"return\" must be a path on this site (starting with a single /)");
        return 0;
    }
    if (form_is(name, name_len, (size_t)n, "withdraw") || form_is(name, name_len, (size_t)n, "erase")) {
        int is_withdraw = form_is(name, name_len, (size_t)n, "withdraw");
        if (b != 1)
            return fail(out, "\"%s\" must be 1 (or true, on) when given", is_withdraw ? "withdraw" : "erase");
        *(is_withdraw ? &out->is_withdrawal : &out->is_erasure) = 1;
        return 0;
    }
    if (form_is(name, name_len, (size_t)n, "all")) {
        if (b < 0)
            return fail(out, "\"all\" must be 1 or 0 (true, false, on, off)");
        *all = b;
        return 0;
    }
    for (size_t i = 0; i != num_purposes; ++i) {
        if (!form_is(name, name_len, (size_t)n, purposes[i].id))
            continue;
        if (b < 0)
            return fail(out, "field %s must be on, 1 or true (granted), or off, 0 or false", purposes[i].id);
        return set_purpose(out, purposes, (int)i, b);
    }
    char head[QUOTE_MAX + 4], q[QUOTE_MAX + 1]; /* 3 bytes more: a character the limit cuts is seen whole, and left out */
    form_copy(head, sizeof(head) - 1, name, name_len);
    return fail(out, "unknown purpose \"%s\"", quote(q, head, strlen(head)));
}

static int parse_form(omote_consent_body_t *out, const char *body, size_t len, const omote_purpose_config_t *purposes,
                      size_t num_purposes)
{
    const char *p = body != NULL ? body : "", *end = p + len;
    int all = -1;

    out->source = OMOTE_CONSENT_SOURCE_FORM;
    strcpy(out->return_to, "/");
    while (p != NULL && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *field_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(field_end - p));
        if (field_end != p) {
            const char *name_end = eq != NULL ? eq : field_end, *value = eq != NULL ? eq + 1 : field_end;
            if (form_field(out, p, (size_t)(name_end - p), value, (size_t)(field_end - value), &all, purposes, num_purposes) != 0)
                return -1;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    if ((out->is_withdrawal || out->is_erasure) && (all >= 0 || out->named != 0 || (out->is_withdrawal && out->is_erasure)))
        return fail(out, "a withdrawal or an erasure is a form of its own: no purposes, no all=, not both");
    if (all >= 0) { /* an "accept all" or "reject all" button decides whatever boxes were ticked */
        out->granted = all ? all_purposes(num_purposes) : 0;
        out->named &= out->granted; /* a box a reject-all overrode grants nothing */
        out->is_all = all;
    }
    return 0;
}

int omote_consent_body_parse(omote_consent_body_t *out, omote_consent_body_kind_t kind, const char *body, size_t len,
                             const omote_purpose_config_t *purposes, size_t num_purposes)
{
    *out = (omote_consent_body_t){.source = OMOTE_CONSENT_SOURCE_API};
    if (num_purposes > OMOTE_MAX_PURPOSES)
        return fail(out, "more than %d purposes configured", OMOTE_MAX_PURPOSES);
    int ret = kind == OMOTE_CONSENT_BODY_JSON ? parse_json(out, body, len, purposes, num_purposes)
                                              : parse_form(out, body, len, purposes, num_purposes);
    if (ret != 0)
        return -1;
    out->granted |= necessary_purposes(purposes, num_purposes);
    out->error[0] = '\0';
    return 0;
}
