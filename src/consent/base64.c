/*
 * Base64 for consent keys and tokens (RFC 4648 §4, §5). Decoding is strict about the spelling:
 * a token accepted once must have exactly one text form, so non-zero unused bits are refused.
 */
#include "consent/internal.h"

static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t omote_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = url_alphabet[v >> 18];
        out[o++] = url_alphabet[(v >> 12) & 63];
        out[o++] = url_alphabet[(v >> 6) & 63];
        out[o++] = url_alphabet[v & 63];
    }
    if (len - i == 1) {
        out[o++] = url_alphabet[in[i] >> 2];
        out[o++] = url_alphabet[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        unsigned v = (unsigned)in[i] << 8 | in[i + 1];
        out[o++] = url_alphabet[v >> 10];
        out[o++] = url_alphabet[(v >> 4) & 63];
        out[o++] = url_alphabet[(v & 15) << 2];
    }
    return o;
}

/* The value of `c`, or -1; `*dialect` records '+' '/' (1) versus '-' '_' (2) and refuses a mix. */
static int sextet(char c, omote_b64_mode_t mode, int *dialect)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    int d = c == '-' || c == '_' ? 2 : (c == '+' || c == '/') && mode == OMOTE_B64_ANY ? 1 : 0;
    if (d == 0 || (*dialect != 0 && *dialect != d))
        return -1;
    *dialect = d;
    return c == '-' || c == '+' ? 62 : 63;
}

long omote_b64_decode(const char *in, size_t len, omote_b64_mode_t mode, unsigned char *out, size_t cap)
{
    size_t pad = 0, o = 0;
    int dialect = 0;
    while (mode == OMOTE_B64_ANY && pad < len && pad < 2 && in[len - 1 - pad] == '=')
        ++pad;
    if (pad != 0 && (len % 4 != 0 || (len - pad) % 4 + pad != 4))
        return -1;
    len -= pad;
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1) > cap)
        return -1;
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i != len; ++i) {
        int v = sextet(in[i], mode, &dialect);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* 2 or 4 bits left over from a short last group must be zero (RFC 4648 §3.5, canonical encoding) */
    if ((acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (long)o;
}
