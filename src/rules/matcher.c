/*
 * Deciding on one request: tokenizes the URL, visits only the buckets of its tokens (plus the
 * fallback bucket) and checks each candidate's type, pattern, domain= and party, in that order of
 * cost. Parsing and index building live in rules.c.
 *
 * Failure policy: a request whose party or source is unknown never meets filters that need them.
 */
#define _GNU_SOURCE /* memmem */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

#define STACK_URL_MAX 2048

/* ABP's separator "^": anything but a letter, a digit or one of "_-.%" (end of URL handled by the caller). */
static inline bool is_separator(unsigned char c)
{
    return !(rules_is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '%');
}

static inline bool char_match(char p, char s)
{
    return p == '^' ? is_separator((unsigned char)s) : p == s;
}

/*
 * Glob match of `p` (literals, '*', '^') against `s`, anchored at s[0]; the end is anchored only if
 * `is_right_anchored`. Classic greedy-star backtracking: every non-star element eats exactly one
 * byte, so backtracking to the most recent '*' is enough. A '^' may also match the end of the URL,
 * which only matters once `s` is used up.
 */
static bool glob(const char *p, size_t plen, const char *s, size_t slen, bool is_right_anchored)
{
    size_t pi = 0, si = 0, star_p = 0, star_s = 0;
    bool has_star = false;
    for (;;) {
        if (pi == plen) {
            if (!is_right_anchored || si == slen)
                return true;
        } else if (p[pi] == '*') {
            has_star = true;
            star_p = ++pi;
            star_s = si;
            continue;
        } else if (si < slen && char_match(p[pi], s[si])) {
            ++pi, ++si;
            continue;
        } else if (si == slen) {
            while (pi < plen && (p[pi] == '*' || p[pi] == '^'))
                ++pi;
            return pi == plen;
        }
        if (!has_star || star_s >= slen)
            return false;
        pi = star_p;
        si = ++star_s;
    }
}

void rules_url_host(const char *url, size_t len, size_t *start, size_t *end)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < len && i < 32; ++i) {
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
            sep = url + i + 3;
            break;
        }
        if (url[i] == '/' || url[i] == '?' || url[i] == '#')
            break;
    }
    if (sep == NULL) {
        *start = *end = 0;
        return;
    }
    size_t s = sep - url, e = s;
    while (e < len && url[e] != '/' && url[e] != '?' && url[e] != '#')
        ++e;
    for (size_t i = e; i > s; --i) {
        if (url[i - 1] == '@') {
            s = i;
            break;
        }
    }
    size_t h = e;
    if (s < e && url[s] == '[') {
        const char *close = memchr(url + s, ']', e - s);
        if (close != NULL)
            h = close - url + 1;
    } else {
        const char *colon = memchr(url + s, ':', e - s);
        if (colon != NULL)
            h = colon - url;
    }
    *start = s;
    *end = h;
}

/*
 * memmem for URLs: glibc's sets up a shift table on every call, which costs more than the search
 * itself on a URL of a hundred bytes. memchr on the needle's first byte, then memcmp.
 */
static const char *find(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
    if (needle_len == 0)
        return hay;
    if (hay_len < needle_len)
        return NULL;
    const char *last = hay + (hay_len - needle_len), *p = hay;
    while (p <= last && (p = memchr(p, needle[0], last - p + 1)) != NULL) {
        if (memcmp(p + 1, needle + 1, needle_len - 1) == 0)
            return p;
        ++p;
    }
    return NULL;
}

bool rules_pattern_match(const struct st_filter_t *f, const char *url, size_t len, size_t host_start, size_t host_end)
{
    if (f->flags & FILTER_REGEX) {
        if (f->re_literal != NULL && find(url, len, f->re_literal, f->re_literal_len) == NULL)
            return false;
        return regexec(f->re, url, 0, NULL, 0) == 0;
    }
    bool is_right = (f->flags & FILTER_RIGHT_ANCHOR) != 0;
    const char *p = f->pattern;
    size_t plen = f->pattern_len;
    if (f->flags & FILTER_LEFT_ANCHOR)
        return glob(p, plen, url, len, is_right);
    if (f->flags & FILTER_HOST_ANCHOR) {
        /* "||": start at the host or just after one of its dots */
        for (size_t i = host_start; i < host_end; ++i) {
            if (i != host_start && url[i - 1] != '.')
                continue;
            if (f->lead_len != 0 && url[i] != p[0]) /* a literal first byte must be there (glob would say no) */
                continue;
            if (glob(p, plen, url + i, len - i, is_right))
                return true;
        }
        return false;
    }
    if (plen == 0)
        return true;
    if (f->lead_len != 0) {
        /* unanchored: try each place the leading literal occurs */
        const char *q = url, *end = url + len;
        while ((q = find(q, end - q, p, f->lead_len)) != NULL) {
            if (f->lead_len == plen && !is_right)
                return true;
            if (glob(p + f->lead_len, plen - f->lead_len, q + f->lead_len, end - q - f->lead_len, is_right))
                return true;
            ++q;
        }
        return false;
    }
    for (size_t i = 0; i <= len; ++i)
        if (glob(p, plen, url + i, len - i, is_right))
            return true;
    return false;
}

struct st_ctx_t {
    const omote_rules_t *rules;
    const omote_rules_request_t *req;
    const char *lower;
    size_t len, host_start, host_end;
    int party; /* -2 not computed yet, -1 unknown, 0 first, 1 third */
    uint64_t token_bits; /* rules_token_bit of every token of the URL */
};

static bool is_same_or_below(const char *host, const char *domain)
{
    size_t hl = strlen(host), dl = strlen(domain);
    if (dl == 0 || hl < dl || memcmp(host + hl - dl, domain, dl) != 0)
        return false;
    return hl == dl || host[hl - dl - 1] == '.';
}

/*
 * libpsl's lookup costs a few hundred nanoseconds, and a page's subresources share its source host
 * and a handful of third-party hosts, so each thread remembers recent answers. Entries are keyed
 * by the host and the PSL context; the rules themselves stay read-only.
 */
#define PSL_CACHE_SIZE 128
#define PSL_CACHE_HOST_MAX 95

struct st_psl_cache_entry_t {
    const psl_ctx_t *psl;
    uint32_t hash;
    uint8_t len, reg_offset;
    char host[PSL_CACHE_HOST_MAX + 1];
};

static _Thread_local struct st_psl_cache_entry_t psl_cache[PSL_CACHE_SIZE];

/* The host's registrable domain (eTLD+1), or the host itself when it has none (an IP, a bare suffix). */
static const char *registrable(const psl_ctx_t *psl, const char *host)
{
    size_t len = strlen(host);
    if (len > PSL_CACHE_HOST_MAX) {
        const char *reg = psl_registrable_domain(psl, host);
        return reg != NULL ? reg : host;
    }
    uint32_t h = rules_token_hash(host, len);
    struct st_psl_cache_entry_t *e = &psl_cache[h % PSL_CACHE_SIZE];
    if (e->psl == psl && e->hash == h && e->len == len && memcmp(e->host, host, len) == 0)
        return host + e->reg_offset;
    const char *reg = psl_registrable_domain(psl, host);
    if (reg == NULL)
        reg = host;
    e->psl = psl;
    e->hash = h;
    e->len = (uint8_t)len;
    e->reg_offset = (uint8_t)(reg - host);
    memcpy(e->host, host, len);
    return reg;
}

static int compute_party(struct st_ctx_t *ctx)
{
    const omote_rules_request_t *req = ctx->req;
    if (req->source_host == NULL || req->source_host[0] == '\0' || req->host == NULL || req->host[0] == '\0')
        return -1;
    if (strcmp(registrable(ctx->rules->psl, req->host), registrable(ctx->rules->psl, req->source_host)) == 0)
        return 0;
    for (size_t i = 0; i < req->num_first_party_domains; ++i)
        if (is_same_or_below(req->host, req->first_party_domains[i]))
            return 0;
    return 1;
}

static bool in_sorted(const char *const *list, uint32_t n, const char *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(list[mid], s);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* domain=: the most specific entry naming the source host or one of its parents decides. */
static bool domain_ok(const struct st_filter_t *f, const char *source)
{
    if (source == NULL || source[0] == '\0')
        return f->num_include == 0;
    for (const char *d = source; d != NULL; d = strchr(d, '.'), d = d != NULL ? d + 1 : NULL) {
        if (f->num_exclude != 0 && in_sorted(f->exclude_domains, f->num_exclude, d))
            return false;
        if (f->num_include != 0 && in_sorted(f->include_domains, f->num_include, d))
            return true;
    }
    return f->num_include == 0;
}

static bool filter_matches(const struct st_filter_t *f, struct st_ctx_t *ctx)
{
    if (!(f->type_mask & (1u << ctx->req->type)))
        return false;
    const char *url = (f->flags & FILTER_MATCH_CASE) ? ctx->req->url : ctx->lower;
    if (!rules_pattern_match(f, url, ctx->len, ctx->host_start, ctx->host_end))
        return false;
    if ((f->num_include != 0 || f->num_exclude != 0) && !domain_ok(f, ctx->req->source_host))
        return false;
    if (f->flags & (FILTER_THIRD_PARTY | FILTER_FIRST_PARTY)) {
        if (ctx->party == -2)
            ctx->party = compute_party(ctx);
        if (ctx->party < 0)
            return false;
        if ((f->flags & FILTER_THIRD_PARTY) ? ctx->party != 1 : ctx->party != 0)
            return false;
    }
    return true;
}

static const struct st_filter_t *scan(const struct st_index_t *idx, uint32_t start, uint32_t count, struct st_ctx_t *ctx)
{
    uint32_t type_bit = 1u << ctx->req->type;
    for (uint32_t i = start; i < start + count; ++i) {
        const struct st_candidate_t *c = &idx->candidates[i];
        if (!(c->type_mask & type_bit) || (c->token_bits & ~ctx->token_bits) != 0)
            continue; /* cannot match: spared loading the filter */
        if (filter_matches(idx->filters[i], ctx))
            return idx->filters[i];
    }
    return NULL;
}

static const struct st_filter_t *lookup(const struct st_index_t *idx, const uint32_t *tokens, size_t num_tokens,
                                        struct st_ctx_t *ctx)
{
    const struct st_filter_t *f;
    for (size_t t = 0; t < num_tokens && idx->fallback_start != 0; ++t) { /* fallback_start: filters with a token */
        uint32_t bit = rules_present_bit(tokens[t]);
        if (!(idx->present[bit / 64] & (1ull << (bit % 64))))
            continue; /* no filter is filed under this token: spared probing the table */
        uint32_t i = (tokens[t] * 2654435761u) & idx->table_mask;
        for (; idx->table[i].token != 0; i = (i + 1) & idx->table_mask) {
            if (idx->table[i].token != tokens[t])
                continue;
            if ((f = scan(idx, idx->table[i].start, idx->table[i].count, ctx)) != NULL)
                return f;
            break;
        }
    }
    return scan(idx, idx->fallback_start, idx->fallback_count, ctx);
}

/* Lowercases `url` into `lower` (NUL-terminated) and puts the distinct hashes of its alnum runs
 * (rules_token_hash of the lowercase bytes) into `out`, in one pass. */
static size_t lower_and_tokenize(const char *url, size_t len, char *lower, uint32_t *out)
{
    size_t n = 0;
    uint32_t h = 2166136261u;
    uint64_t seen[4] = {0, 0, 0, 0};
    bool in_token = false;
    for (size_t i = 0; i <= len; ++i) {
        unsigned char c = i < len ? (unsigned char)url[i] : 0;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        lower[i] = (char)c;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            h = (h ^ c) * 16777619u;
            in_token = true;
            continue;
        }
        if (!in_token)
            continue;
        if (h == 0)
            h = 1; /* as rules_token_hash */
        /* a 256-bit summary of the tokens so far: a token whose bit is clear is new without a scan
         * (long query strings hold a hundred tokens); the order of first occurrence is kept */
        uint32_t bit = (h * 0x9e3779b1u) >> 24;
        size_t k = n;
        if (seen[bit / 64] & (1ull << (bit % 64))) {
            k = 0;
            while (k < n && out[k] != h)
                ++k;
        }
        seen[bit / 64] |= 1ull << (bit % 64);
        if (k == n)
            out[n++] = h;
        h = 2166136261u;
        in_token = false;
    }
    return n;
}

static void fill(const omote_rules_t *rules, const struct st_filter_t *f, omote_rules_decision_t *out)
{
    out->list_name = rules->list_names[f->list_index];
    out->line = f->line;
    out->filter = f->raw;
}

int omote_rules_decide(const omote_rules_t *rules, const omote_rules_request_t *req, omote_rules_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!rules->is_compiled)
        return -1;
    size_t len = strlen(req->url);
    char lower_stack[STACK_URL_MAX + 1];
    uint32_t tokens_stack[STACK_URL_MAX / 2 + 1];
    char *lower = lower_stack;
    uint32_t *tokens = tokens_stack;
    if (len > STACK_URL_MAX) {
        if ((lower = malloc(len + 1)) == NULL || (tokens = malloc((len / 2 + 1) * sizeof(uint32_t))) == NULL)
            abort();
    }
    size_t num_tokens = lower_and_tokenize(req->url, len, lower, tokens);
    struct st_ctx_t ctx = {rules, req, lower, len, 0, 0, -2, 0};
    for (size_t i = 0; i < num_tokens; ++i)
        ctx.token_bits |= rules_token_bit(tokens[i]);
    rules_url_host(lower, len, &ctx.host_start, &ctx.host_end);
    const struct st_filter_t *f;

    if ((f = lookup(&rules->index[INDEX_IMPORTANT], tokens, num_tokens, &ctx)) != NULL) {
        out->is_blocked = out->was_important = true;
        fill(rules, f, out);
    } else if ((f = lookup(&rules->index[INDEX_BLOCK], tokens, num_tokens, &ctx)) != NULL) {
        const struct st_filter_t *e = lookup(&rules->index[INDEX_EXCEPTION], tokens, num_tokens, &ctx);
        out->is_blocked = e == NULL;
        out->was_exception = e != NULL;
        fill(rules, e != NULL ? e : f, out);
    }
    if (lower != lower_stack) {
        free(lower);
        free(tokens);
    }
    return 0;
}
