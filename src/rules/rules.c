/*
 * Filter list parser and compiled rule set: turns ABP / uBO network filters into st_filter_t records
 * and, at compile time, files each under its rarest token so a URL only meets filters that could
 * match it (ghostery's reverse-index idea). Matching itself lives in matcher.c.
 *
 * Failure policy: a line omote cannot honour exactly (unknown option, document/popup type, regex
 * syntax POSIX lacks, preprocessor block) is skipped whole and counted by reason; a filter is never
 * applied with an option dropped. Running out of memory aborts.
 */
#include "internal.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_SIZE (256 * 1024)
#define MAX_REGEX_LEN 1024
#define MAX_REGEX_REPEAT 100
#define MAX_TOKENS_PER_FILTER 64

struct st_arena_chunk_t {
    struct st_arena_chunk_t *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};

static void *xmalloc(size_t size)
{
    void *p = malloc(size != 0 ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "omote/rules: out of memory\n");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    if ((p = realloc(p, size != 0 ? size : 1)) == NULL) {
        fprintf(stderr, "omote/rules: out of memory\n");
        abort();
    }
    return p;
}

static void *arena_alloc(omote_rules_t *rules, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    struct st_arena_chunk_t *c = rules->arena;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK_SIZE / 4 ? size : ARENA_CHUNK_SIZE;
        c = xmalloc(sizeof(*c) + cap);
        c->cap = cap;
        c->used = 0;
        if (size > ARENA_CHUNK_SIZE / 4 && rules->arena != NULL) {
            /* a big block gets its own chunk behind the current one, which stays open for small ones */
            c->next = rules->arena->next;
            rules->arena->next = c;
        } else {
            c->next = rules->arena;
            rules->arena = c;
        }
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

static char *arena_strndup(omote_rules_t *rules, const char *s, size_t len, bool lower)
{
    char *d = arena_alloc(rules, len + 1);
    for (size_t i = 0; i < len; ++i)
        d[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
    d[len] = '\0';
    return d;
}

omote_rules_t *omote_rules_create(void)
{
    omote_rules_t *rules = xmalloc(sizeof(*rules));
    memset(rules, 0, sizeof(*rules));
    if ((rules->psl = psl_latest(NULL)) == NULL)
        rules->psl = (psl_ctx_t *)psl_builtin();
    return rules;
}

void omote_rules_free(omote_rules_t *rules)
{
    if (rules == NULL)
        return;
    for (size_t i = 0; i < rules->num_regexes; ++i) {
        regfree(rules->regexes[i]);
        free(rules->regexes[i]);
    }
    free(rules->regexes);
    for (size_t i = 0; i < rules->num_lists; ++i)
        free(rules->list_names[i]);
    free(rules->list_names);
    free(rules->filters);
    for (int i = 0; i < INDEX_COUNT; ++i) {
        free(rules->index[i].table);
        free(rules->index[i].filters);
        free(rules->index[i].candidates);
        free(rules->index[i].present);
    }
    struct st_arena_chunk_t *c = rules->arena;
    while (c != NULL) {
        struct st_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    if (rules->psl != NULL && rules->psl != psl_builtin())
        psl_free(rules->psl);
    free(rules);
}

size_t omote_rules_num_filters(const omote_rules_t *rules)
{
    return rules->num_filters;
}

/* --- statistics ------------------------------------------------------------------------------ */

static void count_skip(omote_rules_stats_t *st, const char *name, size_t len)
{
    if (st == NULL)
        return;
    ++st->skipped;
    if (len >= sizeof(st->skip_reasons[0].name))
        len = sizeof(st->skip_reasons[0].name) - 1;
    for (size_t i = 0; i < st->num_skip_reasons; ++i) {
        if (strlen(st->skip_reasons[i].name) == len && memcmp(st->skip_reasons[i].name, name, len) == 0) {
            ++st->skip_reasons[i].count;
            return;
        }
    }
    size_t i = st->num_skip_reasons;
    if (i >= OMOTE_RULES_MAX_SKIP_REASONS - 1) {
        i = OMOTE_RULES_MAX_SKIP_REASONS - 1; /* the last slot collects every further reason as "(other)" */
        if (st->num_skip_reasons == OMOTE_RULES_MAX_SKIP_REASONS) {
            ++st->skip_reasons[i].count;
            return;
        }
        name = "(other)";
        len = 7;
    }
    st->num_skip_reasons = i + 1;
    memcpy(st->skip_reasons[i].name, name, len);
    st->skip_reasons[i].name[len] = '\0';
    st->skip_reasons[i].count = 1;
}

/* --- option parsing -------------------------------------------------------------------------- */

struct st_parse_t {
    omote_rules_t *rules;
    const char *reason; /* why the filter is skipped, NULL while fine */
    size_t reason_len;
    uint32_t flags;
    uint32_t type_pos, type_neg;
    const char *domains;
    size_t domains_len;
};

static void fail(struct st_parse_t *p, const char *reason, size_t len)
{
    if (p->reason == NULL) {
        p->reason = reason;
        p->reason_len = len;
    }
}

static bool eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int type_by_name(const char *s, size_t len)
{
    static const struct {
        const char *name;
        int type;
    } names[] = {
        {"script", OMOTE_RULES_TYPE_SCRIPT},
        {"image", OMOTE_RULES_TYPE_IMAGE},
        {"stylesheet", OMOTE_RULES_TYPE_STYLESHEET},
        {"css", OMOTE_RULES_TYPE_STYLESHEET},
        {"subdocument", OMOTE_RULES_TYPE_SUBDOCUMENT},
        {"frame", OMOTE_RULES_TYPE_SUBDOCUMENT},
        {"xmlhttprequest", OMOTE_RULES_TYPE_XMLHTTPREQUEST},
        {"xhr", OMOTE_RULES_TYPE_XMLHTTPREQUEST},
        {"ping", OMOTE_RULES_TYPE_PING},
        {"beacon", OMOTE_RULES_TYPE_PING},
        {"font", OMOTE_RULES_TYPE_FONT},
        {"media", OMOTE_RULES_TYPE_MEDIA},
        {"other", OMOTE_RULES_TYPE_OTHER},
        {"websocket", OMOTE_RULES_TYPE_WEBSOCKET},
        {"object", OMOTE_RULES_TYPE_OBJECT},
        {"object-subrequest", OMOTE_RULES_TYPE_OBJECT},
        {"document", OMOTE_RULES_TYPE_DOCUMENT},
        {"doc", OMOTE_RULES_TYPE_DOCUMENT},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i)
        if (eq(s, len, names[i].name))
            return names[i].type;
    return -1;
}

static void parse_option(struct st_parse_t *p, const char *opt, size_t len)
{
    bool is_neg = len != 0 && opt[0] == '~';
    const char *name = opt + is_neg;
    size_t name_len = len - is_neg;
    const char *eqs = memchr(name, '=', name_len);
    size_t key_len = eqs != NULL ? (size_t)(eqs - name) : name_len;
    int type;

    if (eqs == NULL && (eq(name, key_len, "third-party") || eq(name, key_len, "3p"))) {
        p->flags |= is_neg ? FILTER_FIRST_PARTY : FILTER_THIRD_PARTY;
    } else if (eqs == NULL && (eq(name, key_len, "first-party") || eq(name, key_len, "1p"))) {
        p->flags |= is_neg ? FILTER_THIRD_PARTY : FILTER_FIRST_PARTY;
    } else if (!is_neg && eqs == NULL && eq(name, key_len, "important")) {
        p->flags |= FILTER_IMPORTANT;
    } else if (!is_neg && eqs == NULL && eq(name, key_len, "match-case")) {
        p->flags |= FILTER_MATCH_CASE;
    } else if (!is_neg && eqs != NULL && (eq(name, key_len, "domain") || eq(name, key_len, "from"))) {
        if (p->domains != NULL)
            fail(p, "domain", 6);
        p->domains = eqs + 1;
        p->domains_len = name_len - key_len - 1;
    } else if (eqs == NULL && eq(name, key_len, "popup")) {
        if (!is_neg) /* popups are never requests omote sees, so "~popup" restricts nothing */
            fail(p, "popup", 5);
    } else if (eqs == NULL && (type = type_by_name(name, key_len)) >= 0) {
        if (type == OMOTE_RULES_TYPE_DOCUMENT && !is_neg)
            fail(p, "document", 8);
        if (is_neg)
            p->type_neg |= 1u << type;
        else
            p->type_pos |= 1u << type;
    } else {
        fail(p, key_len != 0 ? name : "(empty option)", key_len != 0 ? key_len : 14);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* domain=a.com|~b.a.com: plain hostnames only (uBO's "example.*" entities and /regex/ are skipped). */
static void parse_domains(struct st_parse_t *p, struct st_filter_t *f)
{
    const char *s = p->domains, *end = s + p->domains_len;
    size_t n = 1;
    for (const char *q = s; q < end; ++q)
        n += *q == '|';
    f->include_domains = arena_alloc(p->rules, n * sizeof(char *));
    f->exclude_domains = arena_alloc(p->rules, n * sizeof(char *));
    while (s <= end) {
        const char *bar = memchr(s, '|', end - s);
        const char *e = bar != NULL ? bar : end;
        bool is_neg = s < e && *s == '~';
        const char *d = s + is_neg;
        size_t dlen = e - d;
        if (dlen == 0 || d[0] == '.' || d[dlen - 1] == '.') {
            fail(p, "domain", 6);
            return;
        }
        if (d[0] == '/') {
            fail(p, "domain=/regex/", 14);
            return;
        }
        if (dlen >= 2 && d[dlen - 1] == '*') {
            fail(p, "domain=entity.*", 15);
            return;
        }
        char *copy = arena_strndup(p->rules, d, dlen, true);
        if (is_neg)
            f->exclude_domains[f->num_exclude++] = copy;
        else
            f->include_domains[f->num_include++] = copy;
        if (bar == NULL)
            break;
        s = bar + 1;
    }
    qsort(f->include_domains, f->num_include, sizeof(char *), cmp_str);
    qsort(f->exclude_domains, f->num_exclude, sizeof(char *), cmp_str);
}

/* --- tokens ---------------------------------------------------------------------------------- */

/*
 * A URL is cut into maximal runs of [a-z0-9]; a filter can be filed under one of its own alnum runs
 * only if that run must be a *whole* URL token wherever the filter matches: both of its ends touch
 * a literal non-alnum byte, a "^", or an anchored end of the pattern (never a "*" or an open end).
 */
static uint32_t collect_tokens(const char *p, size_t len, bool start_bounded, bool end_bounded, uint32_t *out)
{
    uint32_t n = 0;
    size_t i = 0;
    while (i < len && n < MAX_TOKENS_PER_FILTER) {
        if (!rules_is_alnum((unsigned char)p[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        char buf[256];
        size_t blen = 0;
        while (i < len && rules_is_alnum((unsigned char)p[i])) {
            if (blen < sizeof(buf))
                buf[blen++] = (char)tolower((unsigned char)p[i]);
            ++i;
        }
        bool left_ok = start == 0 ? start_bounded : p[start - 1] != '*';
        bool right_ok = i == len ? end_bounded : p[i] != '*';
        if (left_ok && right_ok && blen == i - start)
            out[n++] = rules_token_hash(buf, blen);
    }
    return n;
}

/* --- regular expressions ----------------------------------------------------------------------- */

/*
 * JS regex -> POSIX ERE (glibc). Handled: \d \D (rewritten), \w \W \s \S \b \B (glibc extensions,
 * ASCII word characters as in JS), (?: groups, lazy quantifiers (irrelevant for a yes/no match),
 * escaped punctuation. Refused (the filter is skipped): lookaround and other (?...) groups,
 * backreferences, \n \t \xHH \uHHHH and other letter escapes, position-sensitive escapes inside
 * brackets, repeat counts above MAX_REGEX_REPEAT. Remaining differences: glibc's \w and \b follow
 * the C locale, and ERE takes the leftmost-longest match, which does not change yes/no answers.
 */
static int translate_regex(const char *src, size_t len, char *out)
{
    size_t o = 0;
    bool in_bracket = false, after_quant = false;
    for (size_t i = 0; i < len; ++i) {
        char c = src[i];
        if (in_bracket) {
            if (c == '\\' && i + 1 < len) {
                char n = src[++i];
                if (n == 'd') {
                    memcpy(out + o, "0-9", 3), o += 3;
                } else if (n == 'w') {
                    memcpy(out + o, "A-Za-z0-9_", 10), o += 10;
                } else if (n == 's') {
                    memcpy(out + o, " \t\n\r\f\v", 6), o += 6;
                } else if (isalnum((unsigned char)n) || n == ']' || n == '^' || n == '-' || n == '[') {
                    return -1;
                } else {
                    out[o++] = n;
                }
            } else {
                if (c == ']')
                    in_bracket = false;
                out[o++] = c;
            }
            continue;
        }
        bool was_quant = after_quant;
        after_quant = false;
        if (c == '\\') {
            if (i + 1 >= len)
                return -1;
            char n = src[++i];
            if (n == 'd') {
                memcpy(out + o, "[0-9]", 5), o += 5;
            } else if (n == 'D') {
                memcpy(out + o, "[^0-9]", 6), o += 6;
            } else if (strchr("wWsSbB", n) != NULL) {
                out[o++] = '\\', out[o++] = n;
            } else if (isalnum((unsigned char)n)) {
                return -1;
            } else if (strchr(".[]()*+?{}|^$\\", n) != NULL) {
                out[o++] = '\\', out[o++] = n;
            } else {
                out[o++] = n; /* "\/" and friends; "\<" would be a GNU word boundary, so drop the backslash */
            }
        } else if (c == '[') {
            in_bracket = true;
            out[o++] = c;
            if (i + 1 < len && src[i + 1] == '^')
                out[o++] = src[++i];
            if (i + 1 < len && src[i + 1] == ']')
                out[o++] = src[++i];
        } else if (c == '(' && i + 1 < len && src[i + 1] == '?') {
            if (i + 2 >= len || src[i + 2] != ':')
                return -1;
            out[o++] = '(';
            i += 2;
        } else if (c == '?' && was_quant) {
            /* lazy quantifier: same yes/no answer as the greedy one */
        } else if (c == '{') {
            char *end;
            unsigned long lo = strtoul(src + i + 1, &end, 10);
            if (lo > MAX_REGEX_REPEAT)
                return -1;
            if (*end == ',' && strtoul(end + 1, &end, 10) > MAX_REGEX_REPEAT)
                return -1;
            out[o++] = c;
        } else {
            if (c == '*' || c == '+' || c == '?' || c == '}')
                after_quant = true;
            out[o++] = c;
        }
    }
    if (in_bracket)
        return -1;
    out[o] = '\0';
    return 0;
}

/* Index just past the [class] or (group) starting at src[i]. */
static size_t skip_group(const char *src, size_t len, size_t i)
{
    int depth = 0;
    bool in_class = false;
    for (; i < len; ++i) {
        if (src[i] == '\\') {
            ++i;
        } else if (in_class) {
            in_class = src[i] != ']';
        } else if (src[i] == '[') {
            in_class = true;
            if (i + 1 < len && src[i + 1] == '^')
                ++i;
            if (i + 1 < len && src[i + 1] == ']')
                ++i;
        } else if (src[i] == '(') {
            ++depth;
        } else if (src[i] == ')') {
            --depth;
        }
        if (!in_class && depth <= 0)
            return i + 1;
    }
    return len;
}

/* The longest literal every match must contain, or 0 when there is none (or a top-level alternation). */
static size_t regex_literal(const char *src, size_t len, char *best, size_t best_cap)
{
    char run[256];
    size_t run_len = 0, best_len = 0, i = 0;
    while (i <= len) {
        int lit = -1;
        size_t next = i + 1;
        char c = i < len ? src[i] : '\0';
        if (c == '|') {
            return 0;
        } else if (c == '\\') {
            next = i + 2;
            if (i + 1 < len && !isalnum((unsigned char)src[i + 1]))
                lit = (unsigned char)src[i + 1];
        } else if (c == '[' || c == '(') {
            next = skip_group(src, len, i);
        } else if (c == '{') {
            const char *close = memchr(src + i, '}', len - i);
            next = close != NULL ? (size_t)(close - src) + 1 : len;
        } else if (i < len && strchr(".^$*+?)", c) == NULL) {
            lit = (unsigned char)c;
        }
        char q = next < len ? src[next] : '\0';
        bool is_optional = q == '*' || q == '?' || q == '{';
        if (lit >= 0 && !is_optional && run_len < sizeof(run)) {
            run[run_len++] = (char)lit;
            if (q != '+') {
                i = next;
                continue;
            }
        }
        if (run_len > best_len && run_len <= best_cap) {
            memcpy(best, run, run_len);
            best_len = run_len;
        }
        run_len = 0;
        if (i == len)
            break;
        i = next;
    }
    return best_len;
}

/*
 * Whether glibc's regcomp can compile `ere` in bounded memory: it expands stacked quantifiers
 * ("t++++") and counted repetitions ("{1000}") by copying the tree, which a fuzzer turned into
 * gigabytes from one 60-byte filter. Real lists use neither, so such a regex is skipped, not
 * compiled. translate_regex already refuses a repetition over MAX_REGEX_REPEAT; here their product
 * may not pass MAX_REGEX_REPEAT_PRODUCT (nesting is not tracked, so the product is an upper bound).
 */
#define MAX_REGEX_REPEAT_PRODUCT 1000
static bool regex_is_tame(const char *ere)
{
    bool after_quantifier = false;
    unsigned long product = 1;
    for (const char *c = ere; *c != '\0'; ++c) {
        if (*c == '\\') {
            if (c[1] != '\0')
                ++c;
            after_quantifier = false;
        } else if (*c == '[') {
            ++c;
            if (*c == '^')
                ++c;
            if (*c == ']')
                ++c;
            while (*c != '\0' && *c != ']') {
                if (*c == '[' && (c[1] == ':' || c[1] == '.' || c[1] == '=')) {
                    const char *end = strstr(c + 2, ":]");
                    c = end != NULL ? end + 1 : c + 1;
                }
                ++c;
            }
            if (*c == '\0')
                return false;
            after_quantifier = false;
        } else if (*c == '*' || *c == '+' || *c == '?' || *c == '{') {
            if (after_quantifier)
                return false;
            after_quantifier = true;
            if (*c == '{') {
                unsigned long bound = 0;
                for (++c; *c != '\0' && *c != '}'; ++c) {
                    if (*c >= '0' && *c <= '9') {
                        unsigned long n = strtoul(c, (char **)&c, 10);
                        bound = n > bound ? n : bound;
                        --c;
                    }
                }
                if (*c == '\0' || bound > MAX_REGEX_REPEAT || (product *= bound == 0 ? 1 : bound) > MAX_REGEX_REPEAT_PRODUCT)
                    return false;
            }
        } else {
            after_quantifier = false;
        }
    }
    return true;
}

static void add_regex(struct st_parse_t *p, struct st_filter_t *f, const char *src, size_t len, uint32_t *tokens)
{
    if (len > MAX_REGEX_LEN) {
        fail(p, "regex-too-long", 14);
        return;
    }
    char *ere = xmalloc(len * 12 + 1);
    if (translate_regex(src, len, ere) != 0) {
        free(ere);
        fail(p, "regex-unsupported", 17);
        return;
    }
    if (!regex_is_tame(ere)) {
        free(ere);
        fail(p, "regex-too-complex", 17);
        return;
    }
    regex_t *re = xmalloc(sizeof(*re));
    int err = regcomp(re, ere, REG_EXTENDED | REG_NOSUB | ((f->flags & FILTER_MATCH_CASE) ? 0 : REG_ICASE));
    free(ere);
    if (err != 0) {
        free(re);
        fail(p, "bad-regex", 9);
        return;
    }
    omote_rules_t *rules = p->rules;
    if (rules->num_regexes == rules->cap_regexes) {
        rules->cap_regexes = rules->cap_regexes != 0 ? rules->cap_regexes * 2 : 16;
        rules->regexes = xrealloc(rules->regexes, rules->cap_regexes * sizeof(regex_t *));
    }
    rules->regexes[rules->num_regexes++] = re;
    f->re = re;
    f->flags |= FILTER_REGEX;

    char lit[256];
    size_t lit_len = regex_literal(src, len, lit, sizeof(lit));
    if (lit_len >= 2) {
        f->re_literal = arena_strndup(rules, lit, lit_len, !(f->flags & FILTER_MATCH_CASE));
        f->re_literal_len = (uint32_t)lit_len;
        f->num_tokens = collect_tokens(lit, lit_len, false, false, tokens);
    }
}

/* --- network filters --------------------------------------------------------------------------- */

static void add_filter(omote_rules_t *rules, struct st_filter_t *f)
{
    if (rules->num_filters == rules->cap_filters) {
        rules->cap_filters = rules->cap_filters != 0 ? rules->cap_filters * 2 : 1024;
        rules->filters = xrealloc(rules->filters, rules->cap_filters * sizeof(*rules->filters));
    }
    rules->filters[rules->num_filters++] = f;
}

/* Splits "pattern$options"; a /regex/ may contain '$' itself. */
static void split_options(const char *s, size_t len, size_t *pattern_len, const char **opts, size_t *opts_len)
{
    *pattern_len = len;
    *opts = NULL;
    *opts_len = 0;
    if (len >= 2 && s[0] == '/' && s[len - 1] == '/')
        return;
    const char *dollar = NULL;
    for (size_t i = len; i-- > 0;) {
        if (s[i] == '$') {
            dollar = s + i;
            break;
        }
    }
    if (dollar == NULL)
        return;
    *pattern_len = dollar - s;
    *opts = dollar + 1;
    *opts_len = len - *pattern_len - 1;
}

/* Anchors off, '*' runs collapsed, a leading or trailing '*' folded into the (lack of) anchor. */
static void normalize_pattern(struct st_filter_t *f, char *pat, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < *len; ++i)
        if (!(pat[i] == '*' && o != 0 && pat[o - 1] == '*'))
            pat[o++] = pat[i];
    if (o != 0 && pat[0] == '*') {
        memmove(pat, pat + 1, --o);
        f->flags &= ~(FILTER_LEFT_ANCHOR | FILTER_HOST_ANCHOR);
    }
    if (o != 0 && pat[o - 1] == '*') {
        --o;
        f->flags &= ~FILTER_RIGHT_ANCHOR;
    }
    pat[o] = '\0';
    *len = o;
}

static void parse_network(omote_rules_t *rules, uint32_t list_index, uint32_t line, const char *s, size_t len,
                          omote_rules_stats_t *st)
{
    struct st_parse_t p = {rules};
    struct st_filter_t *f = arena_alloc(rules, sizeof(*f));
    memset(f, 0, sizeof(*f));
    f->list_index = list_index;
    f->line = line;
    const char *raw = s;
    size_t raw_len = len;

    if (len >= 2 && s[0] == '@' && s[1] == '@') {
        f->flags |= FILTER_EXCEPTION;
        s += 2, len -= 2;
    }
    size_t pat_len, opts_len;
    const char *opts;
    split_options(s, len, &pat_len, &opts, &opts_len);
    if (opts != NULL) {
        const char *o = opts, *end = opts + opts_len;
        while (o <= end) {
            const char *comma = memchr(o, ',', end - o);
            const char *e = comma != NULL ? comma : end;
            parse_option(&p, o, e - o);
            if (comma == NULL)
                break;
            o = comma + 1;
        }
    }
    f->flags |= p.flags;
    if (p.domains != NULL && p.reason == NULL)
        parse_domains(&p, f);
    if ((f->flags & FILTER_FIRST_PARTY) && (f->flags & FILTER_THIRD_PARTY))
        fail(&p, "party-conflict", 14);
    if ((f->flags & FILTER_EXCEPTION) && (f->flags & FILTER_IMPORTANT))
        fail(&p, "important-exception", 19);
    uint32_t pos = p.type_pos != 0 ? p.type_pos : TYPE_MASK_ALL;
    f->type_mask = pos & ~p.type_neg & TYPE_MASK_ALL;
    if (f->type_mask == 0)
        fail(&p, "no-type", 7);

    uint32_t tokens[MAX_TOKENS_PER_FILTER];
    if (p.reason == NULL && pat_len >= 2 && s[0] == '/' && s[pat_len - 1] == '/') {
        add_regex(&p, f, s + 1, pat_len - 2, tokens);
    } else if (p.reason == NULL) {
        if (pat_len >= 2 && s[0] == '|' && s[1] == '|') {
            f->flags |= FILTER_HOST_ANCHOR;
            s += 2, pat_len -= 2;
        } else if (pat_len >= 1 && s[0] == '|') {
            f->flags |= FILTER_LEFT_ANCHOR;
            s += 1, pat_len -= 1;
        }
        if (pat_len >= 1 && s[pat_len - 1] == '|') {
            f->flags |= FILTER_RIGHT_ANCHOR;
            pat_len -= 1;
        }
        char *pat = arena_strndup(rules, s, pat_len, !(f->flags & FILTER_MATCH_CASE));
        normalize_pattern(f, pat, &pat_len);
        f->pattern = pat;
        f->pattern_len = (uint32_t)pat_len;
        while (f->lead_len < pat_len && pat[f->lead_len] != '*' && pat[f->lead_len] != '^')
            ++f->lead_len;
        if (memchr(pat, '|', pat_len) != NULL)
            fail(&p, "pipe-in-pattern", 15);
        if (pat_len == 0 && f->num_include == 0 && f->num_exclude == 0 && !(f->flags & (FILTER_FIRST_PARTY | FILTER_THIRD_PARTY)) &&
            f->type_mask == TYPE_MASK_ALL)
            fail(&p, "match-all", 9);
        bool start_bounded = (f->flags & (FILTER_HOST_ANCHOR | FILTER_LEFT_ANCHOR)) != 0;
        f->num_tokens = collect_tokens(pat, pat_len, start_bounded, (f->flags & FILTER_RIGHT_ANCHOR) != 0, tokens);
    }
    if (p.reason != NULL) {
        count_skip(st, p.reason, p.reason_len);
        return; /* the arena keeps the bytes until the rules are freed; skipped lines are rare */
    }
    f->tokens = arena_alloc(rules, f->num_tokens * sizeof(uint32_t));
    memcpy(f->tokens, tokens, f->num_tokens * sizeof(uint32_t));
    f->raw = arena_strndup(rules, raw, raw_len, false);
    add_filter(rules, f);
    if (st != NULL) {
        ++st->filters;
        st->exceptions += (f->flags & FILTER_EXCEPTION) != 0;
    }
}

/* --- lines ------------------------------------------------------------------------------------- */

static bool has_prefix(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && memcmp(s, lit, n) == 0;
}

/* Which cosmetic kind a line is, or -1 for a network filter. */
static int cosmetic_kind(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; ++i) {
        if (s[i] == '$' && s[i + 1] == '$')
            return OMOTE_RULES_COSMETIC_HTML;
        if (s[i] != '#')
            continue;
        const char *t = s + i;
        size_t n = len - i;
        if (has_prefix(t, n, "##+js(") || has_prefix(t, n, "#@#+js("))
            return OMOTE_RULES_COSMETIC_SCRIPTLET;
        if (has_prefix(t, n, "##^") || has_prefix(t, n, "#@#^"))
            return OMOTE_RULES_COSMETIC_HTML;
        if (has_prefix(t, n, "#@#"))
            return OMOTE_RULES_COSMETIC_UNHIDE;
        if (has_prefix(t, n, "#?#") || has_prefix(t, n, "#@?#"))
            return OMOTE_RULES_COSMETIC_EXTENDED;
        if (has_prefix(t, n, "#$#") || has_prefix(t, n, "#@$#"))
            return OMOTE_RULES_COSMETIC_CSS;
        if (has_prefix(t, n, "#%#") || has_prefix(t, n, "#@%#"))
            return OMOTE_RULES_COSMETIC_JS;
        if (has_prefix(t, n, "##"))
            return OMOTE_RULES_COSMETIC_HIDE;
    }
    return -1;
}

struct st_list_state_t {
    omote_rules_t *rules;
    omote_rules_stats_t *stats;
    uint32_t list_index;
    int if_depth; /* inside "!#if" blocks, whose conditions omote cannot evaluate */
};

static void parse_line(struct st_list_state_t *ls, uint32_t line, const char *s, size_t len)
{
    omote_rules_stats_t *st = ls->stats;
    while (len != 0 && isspace((unsigned char)*s))
        ++s, --len;
    while (len != 0 && isspace((unsigned char)s[len - 1]))
        --len;
    if (len == 0 || s[0] == '!' || (s[0] == '[' && s[len - 1] == ']') || (s[0] == '#' && (len == 1 || s[1] == ' '))) {
        if (has_prefix(s, len, "!#if"))
            ++ls->if_depth;
        else if (has_prefix(s, len, "!#endif") && ls->if_depth > 0)
            --ls->if_depth;
        if (st != NULL)
            ++st->comments;
        return;
    }
    int kind = cosmetic_kind(s, len);
    if (kind >= 0) {
        if (st != NULL)
            ++st->cosmetic[kind];
        return;
    }
    if (ls->if_depth > 0) {
        count_skip(st, "preprocessor", 12);
        return;
    }
    parse_network(ls->rules, ls->list_index, line, s, len, st);
}

int omote_rules_add_list(omote_rules_t *rules, const char *name, const char *text, size_t len, omote_rules_stats_t *stats)
{
    if (rules->is_compiled)
        return -1;
    rules->list_names = xrealloc(rules->list_names, (rules->num_lists + 1) * sizeof(char *));
    size_t name_len = strlen(name);
    char *copy = xmalloc(name_len + 1);
    memcpy(copy, name, name_len + 1);
    rules->list_names[rules->num_lists] = copy;
    struct st_list_state_t ls = {rules, stats, (uint32_t)rules->num_lists++, 0};

    uint32_t line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = p;
        while (nl < end && *nl != '\n' && *nl != '\r')
            ++nl;
        ++line;
        if (stats != NULL)
            ++stats->lines;
        parse_line(&ls, line, p, nl - p);
        if (nl < end && *nl == '\r' && nl + 1 < end && nl[1] == '\n')
            ++nl;
        p = nl + 1;
    }
    return 0;
}

/* --- compile ----------------------------------------------------------------------------------- */

static struct st_bucket_t *slot_for(struct st_index_t *idx, uint32_t token)
{
    uint32_t i = (token * 2654435761u) & idx->table_mask;
    while (idx->table[i].token != 0 && idx->table[i].token != token)
        i = (i + 1) & idx->table_mask;
    idx->table[i].token = token;
    return &idx->table[i];
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void build_index(struct st_index_t *idx, struct st_filter_t **filters, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; ++i)
        total += filters[i]->num_tokens;
    size_t size = 16;
    while (size < 2 * (total + 1))
        size *= 2;
    idx->table = calloc(size, sizeof(*idx->table));
    if (idx->table == NULL)
        abort();
    idx->table_mask = (uint32_t)(size - 1);
    idx->filters = xmalloc(n * sizeof(*idx->filters));

    /* histogram of candidate tokens; each filter then takes its rarest one */
    for (size_t i = 0; i < n; ++i)
        for (uint32_t t = 0; t < filters[i]->num_tokens; ++t)
            ++slot_for(idx, filters[i]->tokens[t])->count;
    for (size_t i = 0; i < n; ++i) {
        struct st_filter_t *f = filters[i];
        uint32_t best = 0, best_count = UINT32_MAX;
        for (uint32_t t = 0; t < f->num_tokens; ++t) {
            uint32_t c = slot_for(idx, f->tokens[t])->count;
            if (c < best_count)
                best = f->tokens[t], best_count = c;
        }
        f->token = best;
    }
    /* the histogram covered every candidate token; the lookup table keeps only the chosen ones, so
     * it stays small enough to sit in cache */
    uint32_t *chosen = xmalloc((n + 1) * sizeof(uint32_t));
    size_t num_chosen = 0, distinct = 0;
    for (size_t i = 0; i < n; ++i)
        if (filters[i]->token != 0)
            chosen[num_chosen++] = filters[i]->token;
    qsort(chosen, num_chosen, sizeof(uint32_t), cmp_u32);
    for (size_t i = 0; i < num_chosen; ++i)
        distinct += i == 0 || chosen[i] != chosen[i - 1];
    free(chosen);
    free(idx->table);
    for (size = 16; size < 2 * (distinct + 1);)
        size *= 2;
    if ((idx->table = calloc(size, sizeof(*idx->table))) == NULL)
        abort();
    idx->table_mask = (uint32_t)(size - 1);
    for (size_t i = 0; i < n; ++i)
        if (filters[i]->token != 0)
            ++slot_for(idx, filters[i]->token)->count;
    uint32_t acc = 0;
    for (size_t i = 0; i < size; ++i) {
        idx->table[i].start = acc;
        acc += idx->table[i].count;
        idx->table[i].count = 0; /* refilled below as a cursor */
    }
    idx->fallback_start = acc;
    for (size_t i = 0; i < n; ++i) {
        struct st_filter_t *f = filters[i];
        if (f->token != 0) {
            struct st_bucket_t *b = slot_for(idx, f->token);
            idx->filters[b->start + b->count++] = f;
        } else {
            idx->filters[acc + idx->fallback_count++] = f;
        }
    }
    /* what the lookup checks before it touches a filter (see struct st_candidate_t) */
    idx->candidates = xmalloc((n != 0 ? n : 1) * sizeof(*idx->candidates));
    idx->present = calloc((1u << INDEX_PRESENT_BITS) / 64, sizeof(uint64_t));
    if (idx->present == NULL)
        abort();
    for (size_t i = 0; i < n; ++i) {
        const struct st_filter_t *f = idx->filters[i];
        uint64_t bits = 0;
        for (uint32_t t = 0; t < f->num_tokens; ++t)
            bits |= rules_token_bit(f->tokens[t]);
        idx->candidates[i].token_bits = bits;
        idx->candidates[i].type_mask = f->type_mask;
        if (f->token != 0)
            idx->present[rules_present_bit(f->token) / 64] |= 1ull << (rules_present_bit(f->token) % 64);
    }
}

int omote_rules_compile(omote_rules_t *rules)
{
    if (rules->is_compiled)
        return 0;
    struct st_filter_t **by_index[INDEX_COUNT];
    size_t counts[INDEX_COUNT] = {0};
    for (int i = 0; i < INDEX_COUNT; ++i)
        by_index[i] = xmalloc(rules->num_filters * sizeof(struct st_filter_t *));
    for (size_t i = 0; i < rules->num_filters; ++i) {
        struct st_filter_t *f = rules->filters[i];
        int which = (f->flags & FILTER_EXCEPTION) ? INDEX_EXCEPTION : (f->flags & FILTER_IMPORTANT) ? INDEX_IMPORTANT : INDEX_BLOCK;
        by_index[which][counts[which]++] = f;
    }
    for (int i = 0; i < INDEX_COUNT; ++i) {
        build_index(&rules->index[i], by_index[i], counts[i]);
        free(by_index[i]);
    }
    rules->is_compiled = true;
    return 0;
}
