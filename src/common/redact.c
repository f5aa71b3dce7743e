/*
 * Log-safe renderings of request data: query values stripped, strings escaped for JSON lines.
 * Pure and allocation-free so the access logger can call them on every request.
 */
#include <stdint.h>
#include <stdio.h>
#include "omote/redact.h"

size_t omote_redact_query_values(const char *path, size_t len, char *out, size_t outsz)
{
    size_t o = 0;
    int in_query = 0, in_value = 0;

    for (size_t i = 0; i != len && o + 1 < outsz; ++i) {
        char c = path[i];
        if (c == '#')
            break;
        if (!in_query) {
            in_query = c == '?';
        } else if (c == '&' || c == ';') {
            in_value = 0;
        } else if (c == '=' && !in_value) {
            in_value = 1;
            out[o++] = c;
            continue;
        }
        if (!in_value)
            out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

/* length of the valid UTF-8 sequence starting at s[0], or 0 if it is not one (RFC 3629 §4) */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
    size_t need;
    uint32_t min;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2, min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3, min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < need)
        return 0;
    uint32_t cp = s[0] & (0x7f >> need);
    for (size_t i = 1; i != need; ++i) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

size_t omote_json_escape(const char *s, size_t len, char *out, size_t outsz)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    for (size_t i = 0; i < len;) {
        char esc[8];
        size_t n = 0, consumed = 1;
        const char *src = esc;
        if (p[i] == '"' || p[i] == '\\') {
            esc[0] = '\\', esc[1] = p[i], n = 2;
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            n = snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
        } else if (p[i] < 0x80) {
            esc[0] = p[i], n = 1;
        } else if ((consumed = utf8_sequence_length(p + i, len - i)) != 0) {
            src = (const char *)p + i, n = consumed;
        } else {
            src = "\xef\xbf\xbd", n = 3, consumed = 1;
        }
        if (o + n + 1 > outsz)
            break;
        for (size_t k = 0; k != n; ++k)
            out[o++] = src[k];
        i += consumed;
    }
    if (outsz != 0)
        out[o] = '\0';
    return o;
}
