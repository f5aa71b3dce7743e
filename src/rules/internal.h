/* Shared between the rules parser (rules.c) and the matcher (matcher.c); nothing outside src/rules includes it. */
#ifndef OMOTE_RULES_INTERNAL_H
#define OMOTE_RULES_INTERNAL_H

#include "omote/rules.h"
#include <libpsl.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    FILTER_EXCEPTION = 1u << 0,
    FILTER_IMPORTANT = 1u << 1,
    FILTER_MATCH_CASE = 1u << 2,
    FILTER_THIRD_PARTY = 1u << 3,  /* only third-party requests */
    FILTER_FIRST_PARTY = 1u << 4,  /* only first-party requests */
    FILTER_HOST_ANCHOR = 1u << 5,  /* "||": pattern starts at a label boundary of the URL's host */
    FILTER_LEFT_ANCHOR = 1u << 6,  /* "|": pattern starts at the URL's first byte */
    FILTER_RIGHT_ANCHOR = 1u << 7, /* trailing "|": pattern ends at the URL's last byte */
    FILTER_REGEX = 1u << 8,
};

#define TYPE_MASK_ALL ((1u << OMOTE_RULES_TYPE_COUNT) - 1)

/* A compiled network filter; lives in the rules' arena. */
struct st_filter_t {
    uint32_t flags;
    uint32_t type_mask; /* bit per omote_rules_type_t */
    uint32_t list_index;
    uint32_t line;
    const char *raw;
    const char *pattern; /* lowercase unless FILTER_MATCH_CASE; without anchors; '*' and '^' special */
    uint32_t pattern_len;
    uint32_t lead_len; /* bytes of `pattern` before its first '*' or '^' */
    uint32_t token;    /* bucket key chosen at compile time; 0 = fallback bucket */
    regex_t *re;
    const char *re_literal; /* for regexes: a literal the URL must contain (lowercase unless match-case), or NULL */
    uint32_t re_literal_len;
    uint32_t num_tokens;
    uint32_t *tokens;             /* candidate bucket keys, each a hash of a whole URL token */
    const char **include_domains; /* sorted; from domain= */
    const char **exclude_domains; /* sorted; from domain=~ */
    uint32_t num_include, num_exclude;
};

struct st_bucket_t {
    uint32_t token, start, count;
};

/*
 * What a lookup checks of a candidate before touching the filter itself (a cache miss each, in a
 * list of 50k): its types, and a 64-bit summary of every token the URL must hold whole for it to
 * match (rules_token_bit of each). A URL whose own summary lacks one of those bits cannot match.
 */
struct st_candidate_t {
    uint64_t token_bits;
    uint32_t type_mask;
};

/* Token -> filters, as a hash table over a flat array of filter pointers (built once, read-only). */
#define INDEX_PRESENT_BITS 18 /* 32 KiB per index: a bit per hashed chosen token, asked before the table */

struct st_index_t {
    struct st_bucket_t *table; /* open addressing; token 0 marks an empty slot */
    uint32_t table_mask;
    struct st_filter_t **filters;
    struct st_candidate_t *candidates; /* parallel to filters */
    uint64_t *present;                 /* bit rules_present_bit(token) set for every token in the table */
    uint32_t fallback_start, fallback_count; /* filters with no usable token */
};

enum { INDEX_IMPORTANT, INDEX_BLOCK, INDEX_EXCEPTION, INDEX_COUNT };

struct st_arena_chunk_t;

struct st_omote_rules_t {
    psl_ctx_t *psl;
    struct st_arena_chunk_t *arena;
    char **list_names;
    size_t num_lists;
    struct st_filter_t **filters; /* all, in load order, until compile */
    size_t num_filters, cap_filters;
    regex_t **regexes; /* to regfree */
    size_t num_regexes, cap_regexes;
    bool is_compiled;
    struct st_index_t index[INDEX_COUNT];
};

/** Hash of a token's bytes (already lowercase alnum); never 0. */
static inline uint32_t rules_token_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; ++i)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h != 0 ? h : 1;
}

/** The bit a token sets in a st_candidate_t's token_bits (and in a URL's). */
static inline uint64_t rules_token_bit(uint32_t token)
{
    return 1ull << ((token * 0x9e3779b1u) >> 26);
}

/** The bit a token has in st_index_t.present. */
static inline uint32_t rules_present_bit(uint32_t token)
{
    return (token * 0x85ebca6bu) >> (32 - INDEX_PRESENT_BITS);
}

static inline int rules_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/** Does `f` (pattern, anchors, regex only; no options) match `url` of `len` bytes, whose host spans
 *  [host_start, host_end)? `url` is lowercase unless the filter is match-case, in which case the
 *  caller passes the original. */
bool rules_pattern_match(const struct st_filter_t *f, const char *url, size_t len, size_t host_start, size_t host_end);

/** Finds the host part of an absolute URL: sets [*start, *end). */
void rules_url_host(const char *url, size_t len, size_t *start, size_t *end);

#endif
