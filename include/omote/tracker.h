/*
 * Judging HTML elements against the rules: which request an element would make (URL, resource
 * type), and whether the rules block it. Also judges inline script text by the URLs it names.
 * Pure: the rewriter asks, this module answers and says why.
 */
#ifndef OMOTE_TRACKER_H
#define OMOTE_TRACKER_H

#include <stddef.h>
#include <stdint.h>
#include "omote/html_rewriter.h"
#include "omote/policy.h"
#include "omote/rules.h"

#define OMOTE_TRACKER_MAX_URL 2048

/**
 * Remembers what omote_tracker_judge_url found for recent references (the reference as written,
 * resource type, page host and the part of the page URL it resolves against) for one thread: a
 * shop serves the same pages with the same asset URLs again and again, and resolving plus a
 * decision costs a microsecond or more in a cache-cold rule set. A configured vendor is kept as
 * the vendor, so the visitor's consent still decides. It also remembers inline script verdicts
 * (omote_tracker_judge_script_text; by page host, consent and text) and the start tags judged to
 * stay (omote_tracker_tag_known_kept; by page URL, consent and the tag's bytes) and the runs of a
 * page passed whole (omote_tracker_run_known; likewise), each in a bounded
 * arena allocated on first use. Entries are compared in full, never by hash alone; a new epoch (a
 * reload's generation), or other rules, policy or first-party domains, forget everything, and so
 * does filling up. Not thread-safe: one per thread.
 */
typedef struct st_omote_tracker_cache_t omote_tracker_cache_t;

/** Creates a cache for `entries` references (rounded up to a power of two; 0 means 8192), with
 *  256 bytes of key space each on average (2 MiB and 128 KiB of slots by default). */
omote_tracker_cache_t *omote_tracker_cache_create(size_t entries);
void omote_tracker_cache_free(omote_tracker_cache_t *cache);
/** Lookups that found their answer, and those that had to resolve and judge. */
void omote_tracker_cache_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses);
/** The same for inline script texts, whose "keep" the cache also remembers (omote_tracker_judge_script_text). */
void omote_tracker_cache_script_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses);
/** The same for start tags known to stay (omote_tracker_tag_known_kept): known, and asked about but not known. */
void omote_tracker_cache_tag_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses);
/** The same for runs of a page passed whole (omote_tracker_run_known). */
void omote_tracker_cache_run_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses);

/** The page being rewritten. Strings are borrowed for the page's lifetime. */
typedef struct st_omote_tracker_page_t {
    const omote_rules_t *rules;
    const char *url;  /* absolute URL of the page ("https://shop.example/p?q") */
    const char *host; /* its host, lowercase */
    const char *const *first_party_domains;
    size_t num_first_party_domains;
    const omote_policy_t *policy; /* vendors and signatures; NULL: lists only */
    omote_purpose_set_t granted;  /* the visitor's purposes: a granted vendor's tags stay */
    omote_tracker_cache_t *cache; /* NULL: ask the rules every time */
    uint64_t cache_epoch;         /* the generation of `rules`, `policy` and the domains: a new one clears the cache */
} omote_tracker_page_t;

/** What decided. */
typedef enum en_omote_tracker_source_t {
    OMOTE_TRACKER_BY_NOTHING = 0, /* kept: nothing matched */
    OMOTE_TRACKER_BY_RULE,        /* a filter list (decision.list_name, decision.line) */
    OMOTE_TRACKER_BY_VENDOR,      /* a configured vendor's host (vendor): removed without, kept with consent */
    OMOTE_TRACKER_BY_SIGNATURE,   /* a loader signature in inline script text (signature) */
} omote_tracker_source_t;

/** Why an element was judged as it was. */
typedef struct st_omote_tracker_why_t {
    omote_tracker_source_t source;
    omote_rules_type_t type;
    char url[OMOTE_TRACKER_MAX_URL]; /* the resolved URL that was judged ("" for none) */
    omote_rules_decision_t decision; /* for BY_RULE */
    int vendor;                      /* for BY_VENDOR, and BY_SIGNATURE with a configured vendor; else -1 */
    const omote_signature_t *signature; /* for BY_SIGNATURE */
} omote_tracker_why_t;

/**
 * Judges one URL the page would request as `type`: blocked when it belongs to a configured vendor
 * whose purpose is not granted, or (for no vendor) when the lists block it. A granted vendor's URL
 * is kept even where a list would block it: the visitor agreed to it. Returns 1 when blocked.
 */
int omote_tracker_judge_url(const omote_tracker_page_t *page, const char *ref, size_t len, omote_rules_type_t type,
                            omote_tracker_why_t *why);

/**
 * Judges a start tag: REMOVE when a URL the element would load is blocked, INSPECT for inline
 * executable scripts, KEEP otherwise. Fills `why` (may be NULL).
 */
omote_rewrite_verdict_t omote_tracker_judge_tag(const omote_tracker_page_t *page, const omote_html_token_t *tag,
                                                omote_tracker_why_t *why);

/**
 * Whether the start tag `raw` (its bytes whole, as the page has them) was judged to stay on this
 * page (its URL), for this consent, in this generation: omote_tracker_judge_tag remembers such
 * tags in page->cache, except <script> and <iframe>. 1 lets the rewriter pass the tag on without
 * reading its attributes; 0 without a cache.
 */
int omote_tracker_tag_known_kept(const omote_tracker_page_t *page, const char *raw, size_t len);

/**
 * How a response of this page (its URL and consent) uses the runs cache, asked once as it starts:
 * a page's runs go in only from its second response since the cache was last cleared, so that pages
 * served once in a while do not push out the runs of pages served often, and copying runs that
 * are cleared before they are used again does not slow down a shop with many more pages than the
 * cache holds.
 */
typedef enum en_omote_tracker_runs_t {
    OMOTE_TRACKER_RUNS_NONE = 0, /* neither: leave known_run and passed_run out */
    OMOTE_TRACKER_RUNS_KEEP,     /* passed_run only: its runs go in */
    OMOTE_TRACKER_RUNS_USE,      /* both: its runs are in, and new ones go in */
} omote_tracker_runs_t;
omote_tracker_runs_t omote_tracker_page_runs(const omote_tracker_page_t *page);

/**
 * Runs of a page that the rewriter passed whole without a tag judged (text, end tags, start tags
 * it keeps unread or known kept): omote_tracker_remember_run keeps one in page->cache, by page
 * URL, consent and bytes, and omote_tracker_run_known gives the length of one that `bytes` (`avail`
 * of them) begin with, or 0. The rewriter's known_run and passed_run.
 */
size_t omote_tracker_run_known(const omote_tracker_page_t *page, const char *bytes, size_t avail);
void omote_tracker_remember_run(const omote_tracker_page_t *page, const char *bytes, size_t len);

/**
 * Whether omote_tracker_judge_tag reads the attributes of a start tag named `name` (lowercase);
 * for any other name it keeps the tag whatever its attributes. The rewriter's wants_attributes
 * pre-filter.
 */
int omote_tracker_reads_attributes(const char *name, size_t len);

/**
 * Judges inline script text: REMOVE when it holds a loader signature of a vendor not granted, or
 * when any URL or host it names is blocked as a script.
 */
omote_rewrite_verdict_t omote_tracker_judge_script_text(const omote_tracker_page_t *page, const char *text, size_t len,
                                                        omote_tracker_why_t *why);

/**
 * Judges an <a ping> attribute value (space-separated URLs the browser POSTs to on a click): 1
 * when any of them is blocked as a ping, filling `why`.
 */
int omote_tracker_judge_ping(const omote_tracker_page_t *page, const char *value, size_t len, omote_tracker_why_t *why);

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
