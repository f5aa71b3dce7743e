/*
 * Fuzz target: consent POST bodies. The first byte picks the kind (bit 0: JSON or form) and how
 * many of the purposes below are configured (the rest of the byte); the rest is the body. Any
 * input is accepted or refused with a non-empty, valid UTF-8 message (it becomes a JSON string).
 * An accepted body names only configured purposes, always keeps the strictly necessary ones, and
 * a form's return path stays on this site (a single leading '/', no "//" before the query, no
 * backslash, space or control byte). What it accepted, written back out in the canonical
 * spelling of its kind, parses to the same purposes and return path.
 */
#include "fuzz.h"
#include "omote/consent_body.h"
#include <stdint.h>
#include <string.h>

static const omote_purpose_config_t purposes[] = {
    {.id = "necessary", .strictly_necessary = 1},
    {.id = "analytics", .needs_identifier = 1},
    {.id = "marketing", .gpc = 1},
    {.id = "ads"},
    {.id = "ads_x"},
    {.id = "security", .strictly_necessary = 1},
};
#define MAX_PURPOSES (sizeof(purposes) / sizeof(purposes[0]))

static int is_utf8(const unsigned char *s)
{
    while (*s != '\0') {
        size_t n = s[0] < 0x80                    ? 1
                   : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                   : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                   : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                                  : 0;
        if (n == 0)
            return 0;
        for (size_t i = 1; i != n; ++i)
            if (s[i] < 0x80 || s[i] > 0xbf) /* also stops at the NUL */
                return 0;
        if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
            (s[0] == 0xf4 && s[1] > 0x8f))
            return 0;
        s += n;
    }
    return 1;
}

static void check_return(const char *p, omote_consent_body_kind_t kind)
{
    size_t len = strlen(p);
    if (kind == OMOTE_CONSENT_BODY_JSON) {
        must(len == 0);
        return;
    }
    must(len >= 1 && len <= OMOTE_CONSENT_BODY_MAX_RETURN && p[0] == '/' && p[1] != '/');
    int in_path = 1;
    for (size_t i = 0; i != len; ++i) {
        must((unsigned char)p[i] > 0x20 && p[i] != 0x7f && p[i] != '\\');
        if (p[i] == '?' || p[i] == '#')
            in_path = 0;
        must(!(in_path && p[i] == '/' && p[i + 1] == '/'));
    }
}

/* the canonical spelling of an accepted body: every granted purpose by name, and the return path percent-encoded */
static size_t canonical(char *buf, size_t cap, const omote_consent_body_t *b, omote_consent_body_kind_t kind, size_t n)
{
    size_t len = 0;
    if (kind == OMOTE_CONSENT_BODY_JSON)
        len += (size_t)snprintf(buf + len, cap - len, "{\"purposes\": {");
    for (size_t i = 0; i != n; ++i) {
        if (((b->granted >> i) & 1) == 0)
            continue;
        if (kind == OMOTE_CONSENT_BODY_JSON)
            len += (size_t)snprintf(buf + len, cap - len, "%s\"%s\": true", len > 14 ? ", " : "", purposes[i].id);
        else
            len += (size_t)snprintf(buf + len, cap - len, "%s=on&", purposes[i].id);
    }
    if (kind == OMOTE_CONSENT_BODY_JSON)
        return len + (size_t)snprintf(buf + len, cap - len, "}}");
    len += (size_t)snprintf(buf + len, cap - len, "return=");
    for (const char *p = b->return_to; *p != '\0'; ++p)
        len += (size_t)snprintf(buf + len, cap - len, "%%%02X", (unsigned char)*p);
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static omote_consent_body_t b, again;
    static char buf[4 * OMOTE_CONSENT_BODY_MAX_RETURN + 512];

    if (size == 0 || size > 65536)
        return 0;
    omote_consent_body_kind_t kind = data[0] & 1 ? OMOTE_CONSENT_BODY_FORM : OMOTE_CONSENT_BODY_JSON;
    size_t n = (size_t)(data[0] >> 1) % (MAX_PURPOSES + 1);
    uint32_t configured = ((uint32_t)1 << n) - 1, necessary = 0;
    for (size_t i = 0; i != n; ++i)
        if (purposes[i].strictly_necessary)
            necessary |= (uint32_t)1 << i;

    int r = omote_consent_body_parse(&b, kind, (const char *)data + 1, size - 1, purposes, n);
    must(r == 0 || r == -1);
    must(memchr(b.error, '\0', sizeof(b.error)) != NULL);
    if (r != 0) {
        must(b.error[0] != '\0' && is_utf8((const unsigned char *)b.error));
        return 0;
    }
    must(b.error[0] == '\0');
    must((b.granted & ~configured) == 0 && (b.named & ~b.granted) == 0);
    must((b.granted & necessary) == necessary);
    must(!b.is_all || b.granted == configured);
    must(kind == OMOTE_CONSENT_BODY_FORM ? b.source == OMOTE_CONSENT_SOURCE_FORM
                                         : b.source == OMOTE_CONSENT_SOURCE_API || b.source == OMOTE_CONSENT_SOURCE_BANNER);
    must(memchr(b.return_to, '\0', sizeof(b.return_to)) != NULL);
    check_return(b.return_to, kind);

    size_t len = canonical(buf, sizeof(buf), &b, kind, n);
    must(len < sizeof(buf));
    must(omote_consent_body_parse(&again, kind, buf, len, purposes, n) == 0);
    must(again.granted == b.granted && strcmp(again.return_to, b.return_to) == 0);
    return 0;
}
