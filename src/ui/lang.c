/*
 * Choosing English or Japanese from Accept-Language (RFC 9110 §12.5.4): language ranges with
 * optional q weights; "ja-JP" counts as "ja", "*" as English (the default), q=0 as "not this one".
 */
#include "omote/ui.h"
#include <ctype.h>
#include <string.h>

static int ieq_prefix(const char *s, size_t len, const char *lower)
{
    size_t n = strlen(lower);
    if (len < n)
        return 0;
    for (size_t i = 0; i != n; ++i)
        if (tolower((unsigned char)s[i]) != lower[i])
            return 0;
    return 1;
}

/* "q=0.8" (any case, spaces around '=' not allowed by the grammar, tolerated) to thousandths; -1 when malformed */
static int parse_q(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        ++i;
    if (i + 2 > len || (s[i] != 'q' && s[i] != 'Q') || s[i + 1] != '=')
        return -1;
    i += 2;
    if (i >= len || (s[i] != '0' && s[i] != '1'))
        return -1;
    int q = (s[i] - '0') * 1000, scale = 100;
    ++i;
    if (i < len && s[i] == '.') {
        for (++i; i < len && isdigit((unsigned char)s[i]) && scale != 0; ++i, scale /= 10)
            q += (s[i] - '0') * scale;
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        ++i;
    return i == len && q <= 1000 ? q : -1;
}

omote_ui_lang_t omote_ui_negotiate_lang(const char *header, size_t len)
{
    int best_q[2] = {-1, -1}; /* en, ja: the q of the first range naming each */
    int star_q = -1;
    size_t order[2] = {(size_t)-1, (size_t)-1}, star_order = (size_t)-1, n = 0;
    for (size_t i = 0; header != NULL && i < len; ++n) {
        size_t end = i;
        while (end < len && header[end] != ',')
            ++end;
        size_t a = i, b = end;
        while (a < b && (header[a] == ' ' || header[a] == '\t'))
            ++a;
        size_t semi = a;
        while (semi < b && header[semi] != ';')
            ++semi;
        size_t tag_end = semi;
        while (tag_end > a && (header[tag_end - 1] == ' ' || header[tag_end - 1] == '\t'))
            --tag_end;
        int q = 1000;
        if (semi < b && (q = parse_q(header + semi + 1, b - semi - 1)) < 0)
            q = 0; /* a weight we cannot read: ignore the range rather than guess */
        const char *tag = header + a;
        size_t tag_len = tag_end - a;
        for (int k = 0; k != 2; ++k) {
            const char *code = k == 0 ? "en" : "ja";
            if (ieq_prefix(tag, tag_len, code) && (tag_len == 2 || tag[2] == '-') && best_q[k] < 0) {
                best_q[k] = q;
                order[k] = n;
            }
        }
        if (tag_len == 1 && tag[0] == '*' && star_q < 0) {
            star_q = q;
            star_order = n;
        }
        i = end + 1;
    }
    if (best_q[0] < 0 && star_q >= 0) {
        best_q[0] = star_q;
        order[0] = star_order;
    }
    if (best_q[1] > 0 && (best_q[1] > best_q[0] || (best_q[1] == best_q[0] && order[1] < order[0])))
        return OMOTE_UI_JA;
    return OMOTE_UI_EN;
}

int omote_ui_lang_from_code(const char *code, size_t len, omote_ui_lang_t *out)
{
    if (len == 2 && ieq_prefix(code, len, "en")) {
        *out = OMOTE_UI_EN;
        return 0;
    }
    if (len == 2 && ieq_prefix(code, len, "ja")) {
        *out = OMOTE_UI_JA;
        return 0;
    }
    return -1;
}

const char *omote_ui_lang_code(omote_ui_lang_t lang)
{
    return lang == OMOTE_UI_JA ? "ja" : "en";
}
