/*
 * Query-string cleanup for the request handler: pure, allocation-free, one pass. Names are
 * compared after percent-decoding ("utm%5Fsource" is utm_source to the origin, so it is here too);
 * kept parameters are copied as they came, encoding and separators included.
 */
#include <string.h>
#include "omote/query.h"

const char *const omote_query_default_tracking_params[] = {"utm_*",  "gclid", "dclid",  "gbraid", "wbraid", "fbclid",
                                                           "msclkid", "mc_eid", "_hsenc", "yclid",  "igshid", NULL};

int omote_query_name_matches(const char *pattern, const char *name, size_t len)
{
    const char *star = NULL;
    size_t n = 0, star_n = 0;

    /* the classic greedy glob with one backtrack point: linear in practice for these short names */
    while (n < len) {
        if (*pattern == '*') {
            star = pattern++;
            star_n = n;
        } else if (*pattern != '\0' && *pattern == name[n]) {
            ++pattern, ++n;
        } else if (star != NULL) {
            pattern = star + 1;
            n = ++star_n;
        } else {
            return 0;
        }
    }
    while (*pattern == '*')
        ++pattern;
    return *pattern == '\0';
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* percent-decodes a parameter name into `out` (at most `cap` bytes); returns its length */
static size_t decode_name(const char *p, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < cap; ++i) {
        if (p[i] == '%' && i + 2 < len && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0) {
            out[n++] = (char)(hex(p[i + 1]) * 16 + hex(p[i + 2]));
            i += 2;
        } else if (p[i] == '+') {
            out[n++] = ' ';
        } else {
            out[n++] = p[i];
        }
    }
    return n;
}

static int is_tracking(const char *param, size_t len, const char *const *patterns, size_t num)
{
    char name[256];
    const char *eq = memchr(param, '=', len);
    size_t name_len = decode_name(param, eq != NULL ? (size_t)(eq - param) : len, name, sizeof(name));
    for (size_t i = 0; i != num; ++i)
        if (omote_query_name_matches(patterns[i], name, name_len))
            return 1;
    return 0;
}

size_t omote_query_strip(const char *target, size_t len, const char *const *patterns, size_t num_patterns, char *out,
                         size_t *removed)
{
    const char *q = memchr(target, '?', len);
    *removed = 0;
    if (q == NULL) {
        memcpy(out, target, len);
        return len;
    }
    size_t o = q - target;
    memcpy(out, target, o);
    const char *end = target + len;
    int first = 1;
    for (const char *p = q + 1; p <= end;) {
        const char *amp = memchr(p, '&', end - p);
        const char *stop = amp != NULL ? amp : end;
        size_t plen = stop - p;
        if (plen != 0 && is_tracking(p, plen, patterns, num_patterns)) {
            ++*removed;
        } else if (plen != 0 || amp != NULL) {
            out[o++] = first ? '?' : '&';
            memcpy(out + o, p, plen);
            o += plen;
            first = 0;
        }
        if (amp == NULL)
            break;
        p = amp + 1;
    }
    if (*removed == 0) {
        /* nothing removed: the target stays exactly as it came, empty pieces included */
        memcpy(out, target, len);
        return len;
    }
    return o;
}
