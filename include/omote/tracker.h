/*
 * Judging HTML elements against the rules: which request an element would make (URL, resource
 * type), and whether the rules block it. Also judges inline script text by the URLs it names.
 * Pure: the rewriter asks, this module answers and says why.
 */
#ifndef OMOTE_TRACKER_H
#define OMOTE_TRACKER_H

#include <stddef.h>
#include "omote/html_rewriter.h"
#include "omote/rules.h"

#define OMOTE_TRACKER_MAX_URL 2048

/** The page being rewritten. Strings are borrowed for the page's lifetime. */
typedef struct st_omote_tracker_page_t {
    const omote_rules_t *rules;
    const char *url;  /* absolute URL of the page ("https://shop.example/p?q") */
    const char *host; /* its host, lowercase */
    const char *const *first_party_domains;
    size_t num_first_party_domains;
} omote_tracker_page_t;

/** Why an element was judged as it was. */
typedef struct st_omote_tracker_why_t {
    omote_rules_type_t type;
    char url[OMOTE_TRACKER_MAX_URL]; /* the resolved URL that was judged ("" for none) */
    omote_rules_decision_t decision;
} omote_tracker_why_t;

/**
 * Judges a start tag: REMOVE when a URL the element would load is blocked, INSPECT for inline
 * executable scripts, KEEP otherwise. Fills `why` (may be NULL).
 */
omote_rewrite_verdict_t omote_tracker_judge_tag(const omote_tracker_page_t *page, const omote_html_token_t *tag,
                                                omote_tracker_why_t *why);

/** Judges inline script text: REMOVE when any URL or host it names is blocked as a script. */
omote_rewrite_verdict_t omote_tracker_judge_script_text(const omote_tracker_page_t *page, const char *text, size_t len,
                                                        omote_tracker_why_t *why);

/**
 * The resource type of a request by its Sec-Fetch-Dest value ("script", "image", "empty", ...).
 * Returns -1 for navigations ("document", "iframe", "frame"), which omote never blocks as
 * requests: the page itself is what is being rewritten.
 */
int omote_tracker_fetch_dest_type(const char *dest, size_t len);

/**
 * Resolves `ref` (an attribute value: absolute, scheme-relative, path-absolute or relative)
 * against `base` into `out` (NUL-terminated) and writes the resolved host (lowercase) into
 * `host`. Returns 0, or -1 if it is not an http(s) URL or does not fit.
 */
int omote_tracker_resolve_url(const char *base, const char *ref, size_t ref_len, char *out, size_t outsz, char *host, size_t hostsz);

#endif
