/*
 * Network filter rules: parses Adblock Plus / uBlock Origin network filters from filter lists and
 * decides whether a request URL is blocked, naming the filter (list, line, text) that decided.
 * Cosmetic rules and filters with options omote cannot honour are skipped and counted, never
 * applied half-way.
 */
#ifndef OMOTE_RULES_H
#define OMOTE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_omote_rules_t omote_rules_t;

/** Resource type of a request, as filter options name them. */
typedef enum en_omote_rules_type_t {
    OMOTE_RULES_TYPE_OTHER = 0,
    OMOTE_RULES_TYPE_SCRIPT,
    OMOTE_RULES_TYPE_IMAGE,
    OMOTE_RULES_TYPE_STYLESHEET,
    OMOTE_RULES_TYPE_SUBDOCUMENT,
    OMOTE_RULES_TYPE_XMLHTTPREQUEST,
    OMOTE_RULES_TYPE_PING,
    OMOTE_RULES_TYPE_FONT,
    OMOTE_RULES_TYPE_MEDIA,
    OMOTE_RULES_TYPE_WEBSOCKET,
    OMOTE_RULES_TYPE_OBJECT,
    OMOTE_RULES_TYPE_DOCUMENT, /* a top-level page load; filters that name it are skipped, so only untyped ones match */
    OMOTE_RULES_TYPE_COUNT
} omote_rules_type_t;

/** Kinds of cosmetic (element hiding / scriptlet) rules, counted and skipped. */
typedef enum en_omote_rules_cosmetic_t {
    OMOTE_RULES_COSMETIC_HIDE = 0,  /* ## */
    OMOTE_RULES_COSMETIC_UNHIDE,    /* #@# */
    OMOTE_RULES_COSMETIC_EXTENDED,  /* #?# (and #@?#) */
    OMOTE_RULES_COSMETIC_CSS,       /* #$# (and #@$#) */
    OMOTE_RULES_COSMETIC_JS,        /* #%# (and #@%#) */
    OMOTE_RULES_COSMETIC_SCRIPTLET, /* ##+js(...) (and #@#+js) */
    OMOTE_RULES_COSMETIC_HTML,      /* ##^ and $$ HTML filtering */
    OMOTE_RULES_COSMETIC_COUNT
} omote_rules_cosmetic_t;

#define OMOTE_RULES_MAX_SKIP_REASONS 32

/** What loading lists found. omote_rules_add_list adds to it, so one record can sum several lists. */
typedef struct st_omote_rules_stats_t {
    size_t lines;
    size_t comments;   /* "!" lines, "[Adblock ...]" headers, blank lines */
    size_t filters;    /* network filters compiled (blocking + exceptions) */
    size_t exceptions; /* of which "@@" */
    size_t cosmetic[OMOTE_RULES_COSMETIC_COUNT];
    size_t skipped; /* network filters not compiled; by reason below */
    struct {
        char name[24]; /* option name ("redirect", "document", "csp"), or "bad-regex", "preprocessor", ... */
        size_t count;
    } skip_reasons[OMOTE_RULES_MAX_SKIP_REASONS]; /* the last slot collects "(other)" once full */
    size_t num_skip_reasons;
} omote_rules_stats_t;

/** One request to decide on. All strings are NUL-terminated and borrowed for the call. */
typedef struct st_omote_rules_request_t {
    const char *url;         /* absolute URL as requested ("https://host/path?query") */
    const char *host;        /* the URL's host, lowercase */
    const char *source_host; /* host of the page making the request, lowercase; NULL or "" when unknown */
    omote_rules_type_t type;
    /** Domains treated as first party besides the source's registrable domain (a site's CDN); a host
     *  equal to one of them or below it is first party. May be NULL when `num_first_party_domains` is 0. */
    const char *const *first_party_domains;
    size_t num_first_party_domains;
} omote_rules_request_t;

/** The outcome, and the filter that decided it (for explaining). */
typedef struct st_omote_rules_decision_t {
    bool is_blocked;
    bool was_exception;    /* an "@@" filter matched and let the request through */
    bool was_important;    /* an "$important" filter matched and blocked despite any exception */
    const char *list_name; /* of the deciding filter, or NULL if no filter matched; owned by the rules */
    unsigned line;         /* 1-based line of that filter in its list */
    const char *filter;    /* the filter's raw text; owned by the rules */
} omote_rules_decision_t;

/** Creates an empty rule set, loading libpsl's Public Suffix List (Debian's packaged copy, else the builtin one). */
omote_rules_t *omote_rules_create(void);

/** Frees `rules` and everything it owns (names and filter texts handed out in decisions included). */
void omote_rules_free(omote_rules_t *rules);

/**
 * Parses one filter list (`text`, `len` bytes, any line endings) named `name` (copied) and adds its
 * network filters to `rules`. Counts into `stats` if not NULL (without zeroing it first). Lines that
 * cannot be honoured are skipped and counted, so the only failure is calling this after
 * omote_rules_compile: returns 0, or -1 then.
 */
int omote_rules_add_list(omote_rules_t *rules, const char *name, const char *text, size_t len, omote_rules_stats_t *stats);

/**
 * Builds the lookup structure; call once after the last omote_rules_add_list. Afterwards the rules
 * are read-only and omote_rules_decide may be called from any number of threads. Returns 0.
 */
int omote_rules_compile(omote_rules_t *rules);

/**
 * Decides on `req`: blocked if a blocking filter matches and no exception does, unless an
 * "$important" blocking filter matches (it beats exceptions). Fills `out` and returns 0, or returns
 * -1 (and fills `out` as not blocked) if the rules are not compiled.
 */
int omote_rules_decide(const omote_rules_t *rules, const omote_rules_request_t *req, omote_rules_decision_t *out);

/** Number of network filters compiled into `rules`. */
size_t omote_rules_num_filters(const omote_rules_t *rules);

#endif
