/*
 * From elements to requests: which URL an element would load and as what resource type, resolved
 * against the page, then judged by the rules. Inline scripts are judged by the URLs they name
 * (loader snippets spell out the tracker's script URL). Rule matching itself lives in src/rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "omote/tracker.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_INLINE_URLS 64

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
}

static int starts_with_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    if (len < n)
        return 0;
    for (size_t i = 0; i != n; ++i)
        if (lower((unsigned char)s[i]) != prefix[i])
            return 0;
    return 1;
}

static int is_host_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* copies the host at `p` (up to `len`), lowercased, stopping at the first byte that ends a host */
static size_t copy_host(const char *p, size_t len, char *host, size_t hostsz)
{
    size_t n = 0;
    while (n < len && is_host_char((unsigned char)p[n]) && n + 1 < hostsz) {
        host[n] = (char)lower((unsigned char)p[n]);
        ++n;
    }
    host[n] = '\0';
    return n;
}

/* the base URL's "scheme://authority" length and its path's directory length (up to the last '/') */
static int split_base(const char *base, size_t *origin_len, size_t *dir_len)
{
    const char *sep = strstr(base, "://");
    if (sep == NULL)
        return -1;
    const char *path = strchr(sep + 3, '/');
    *origin_len = path != NULL ? (size_t)(path - base) : strlen(base);
    if (path == NULL) {
        *dir_len = *origin_len;
        return 0;
    }
    const char *query = strpbrk(path, "?#");
    const char *end = query != NULL ? query : path + strlen(path);
    const char *last = end;
    while (last > path && last[-1] != '/')
        --last;
    *dir_len = last - base;
    return 0;
}

static int is_url_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* appends `len` bytes of `s` up to its first NUL (as "%.*s" would), keeping room for the NUL; 0 or -1 when full */
static int append(char *out, size_t outsz, size_t *n, const char *s, size_t len)
{
    const char *nul = memchr(s, '\0', len);
    if (nul != NULL)
        len = nul - s;
    if (*n + len >= outsz)
        return -1;
    memcpy(out + *n, s, len);
    *n += len;
    return 0;
}

/*
 * omote_tracker_resolve_url with lengths: `*url_len` and `*host_len` get the lengths written. No
 * formatting: the URL is put together with memcpy (hot: it runs for every URL an element names).
 */
static int resolve(const char *base, const char *ref, size_t ref_len, char *out, size_t outsz, size_t *url_len, char *host,
                   size_t hostsz, size_t *host_len)
{
    size_t origin_len, dir_len, n = 0;

    /* leading and trailing ASCII white space is not part of the URL (URL Standard) */
    while (ref_len != 0 && is_url_space(*ref))
        ++ref, --ref_len;
    while (ref_len != 0 && is_url_space(ref[ref_len - 1]))
        --ref_len;
    if (split_base(base, &origin_len, &dir_len) != 0)
        return -1;

    if (starts_with_ci(ref, ref_len, "http://") || starts_with_ci(ref, ref_len, "https://")) {
        if (append(out, outsz, &n, ref, ref_len) != 0)
            return -1;
    } else if (ref_len >= 2 && (ref[0] == '/' || ref[0] == '\\') && (ref[1] == '/' || ref[1] == '\\')) {
        const char *colon = strchr(base, ':');
        if (append(out, outsz, &n, base, colon - base) != 0 || append(out, outsz, &n, ":", 1) != 0 ||
            append(out, outsz, &n, ref, ref_len) != 0)
            return -1;
    } else if (ref_len != 0 && ref[0] == '/') {
        if (append(out, outsz, &n, base, origin_len) != 0 || append(out, outsz, &n, ref, ref_len) != 0)
            return -1;
    } else if (ref_len == 0 || ref[0] == '#' || ref[0] == '?' || memchr(ref, ':', ref_len) == NULL) {
        /* relative (or same-document): below the base's directory */
        if (append(out, outsz, &n, base, dir_len) != 0 || (dir_len == origin_len && append(out, outsz, &n, "/", 1) != 0) ||
            append(out, outsz, &n, ref, ref_len) != 0)
            return -1;
    } else {
        return -1; /* data:, javascript:, mailto: and the like make no request to judge */
    }
    out[n] = '\0';
    for (size_t i = 0; i != n && i < 8; ++i)
        if (out[i] == '\\')
            out[i] = '/';
    const char *authority = strstr(out, "://") + 3, *end = out + n;
    while (*authority == '/' || *authority == '\\')
        ++authority;
    for (const char *p = authority; p != end; ++p) {
        if (*p == '@') {
            authority = p + 1; /* userinfo is not the host */
            break;
        }
        if (*p == '/' || *p == '?' || *p == '#')
            break;
    }
    if ((*host_len = copy_host(authority, end - authority, host, hostsz)) == 0)
        return -1;
    *url_len = n;
    return 0;
}

int omote_tracker_resolve_url(const char *base, const char *ref, size_t ref_len, char *out, size_t outsz, char *host, size_t hostsz)
{
    size_t url_len, host_len;
    return resolve(base, ref, ref_len, out, outsz, &url_len, host, hostsz, &host_len);
}

/* --- decision cache ------------------------------------------------------------------------- */

/*
 * What omote_tracker_judge_url concluded for one (reference, type, page) before consent is
 * applied: a reference that resolves to nothing, a configured vendor's index, or the rules'
 * decision. The key is the raw reference as the element spells it, the type, the page host and
 * the part of the page URL that resolution reads (nothing past the scheme for an absolute or
 * scheme-relative reference, the origin for a path-absolute one, the whole URL otherwise), so a
 * hit skips resolving as well as deciding, and pages sharing an origin share their entries. The
 * vendor index is kept rather than allowed/denied: consent differs per visitor.
 *
 * Layout: open addressing over small slots (hash, offset) pointing into one arena of records;
 * both are bounded, and the whole cache is cleared when either fills (or the generation changes),
 * which keeps it free of per-entry bookkeeping. Keys are always compared byte for byte: two keys
 * sharing a hash never share a decision.
 */
#define CACHE_DEFAULT_ENTRIES 8192
#define CACHE_RECORD_BYTES 256 /* arena budget per entry: average keys are far shorter, a long one borrows */
#define CACHE_KEY_MAX 4096     /* a longer key is not cached (the reference alone may be up to 2 KiB) */
#define CACHE_PREFIX_MEMO_MAX 512

enum { CACHED_UNRESOLVED, CACHED_VENDOR, CACHED_DECIDED };

struct st_cache_record_t {
    uint16_t ref_len, host_len, base_len, url_len; /* url_len: the resolved URL kept for `why`, 0 when not kept */
    uint8_t type, state;
    int32_t vendor;
    omote_rules_decision_t decision;
    char bytes[]; /* page host, base part, reference, then the resolved URL and its NUL when kept */
};

struct st_cache_slot_t {
    uint32_t hash; /* 0: empty */
    uint32_t offset;
};

/*
 * Verdicts on whole texts, for what a page serves again and again:
 *   - inline scripts (its loaders, its configuration blob: 320 KB on a news page, of which
 *     max_inspect_bytes are judged), whose judging scans all of it for signatures and URLs; the
 *     key is the page host (what a URL in the text is judged against), and a removal keeps its
 *     `why` with it;
 *   - start tags judged to stay (<img srcset>, <source>, <link>: 220 on that page), whose
 *     attributes then need not be read at all (omote_tracker_tag_known_kept); the key is the page
 *     URL, which relative references resolve against.
 * Both keys also hold the visitor's granted purposes and the whole text, compared byte for byte.
 * The arena and slots are allocated on first use, and cleared wholesale when full.
 */
#define SCRIPT_CACHE_SLOTS 1024      /* at most half of them used */
#define SCRIPT_CACHE_ARENA (4 << 20) /* texts and hosts; a text over a quarter of it is not kept */
#define TAG_CACHE_SLOTS 8192
#define TAG_CACHE_ARENA (2 << 20)
#define RUN_CACHE_SLOTS 16384
#define RUN_CACHE_ARENA (8 << 20) /* a large page's markup outside <script> and <style> is 200 KB */
/* A run's slot is found by its first bytes, as its length is unknown when asked: enough of them
 * that the runs of one page seldom share them (list items do share 32), and never more than the
 * shortest run. */
#define RUN_KEY_BYTES 128
_Static_assert(RUN_KEY_BYTES <= OMOTE_HTML_MIN_RUN, "a run's key lies within its bytes");
/* Pages whose runs the cache keeps only from their second response in one fill of it
 * (omote_tracker_page_runs), or later ones after fills that were cleared before they paid */
#define RUN_PAGE_SLOTS 4096
#define RUN_PAGE_WAYS 4 /* a page's entry is one of 4: a page served once in a while pushes out the least used */
#define RUN_ADMIT_FIRST 2
#define RUN_ADMIT_MAX 64

struct st_verdict_slot_t {
    uint64_t hash; /* 0: empty */
    uint32_t offset, text_len; /* offset: the removal's why (if removed), then the prefix and the text */
    uint16_t prefix_len;
    uint8_t is_removed;
    omote_purpose_set_t granted;
};

struct st_verdict_cache_t {
    struct st_verdict_slot_t *slots;
    uint32_t num_slots, num_entries;
    uint32_t fill; /* how many times it was cleared: the entries belong to this fill */
    char *arena;
    size_t arena_size, arena_used;
    uint64_t hits, misses;
};

/* A page (URL and consent) as the run cache saw it: in which of its fills the page was last served,
 * how many times in that fill, and in which fill its runs went in (0: none). */
struct st_run_page_t {
    uint64_t key;
    uint32_t seen_in, kept_in, times_seen;
};

/* How the run cache admits pages: from the how-manyth response in one fill, and what the fill
 * took in and gave back, in bytes. A fill that ended full having given back less than it took
 * (pages not served again before it filled) doubles the responses needed; one that paid resets them. */
struct st_run_admission_t {
    uint32_t admit_after;
    uint64_t kept_bytes, used_bytes;
};

/* The hash of the two parts that start every key of a page's lookups (the page host and base part;
 * the page URL), with the parts: a page's lookups come in a row, and the parts are compared byte
 * for byte, so a memo is never taken for another page's. */
struct st_hash_memo_t {
    char bytes[CACHE_PREFIX_MEMO_MAX];
    size_t a_len, b_len; /* a_len SIZE_MAX: none yet */
    uint64_t hash;
};

struct st_omote_tracker_cache_t {
    /* the generation the entries belong to: the epoch, and what a page names that decisions depend on */
    uint64_t epoch;
    const omote_rules_t *rules;
    const omote_policy_t *policy;
    const char *const *first_party_domains;
    size_t num_first_party_domains;
    uint64_t hits, misses;
    struct st_cache_slot_t *slots;
    uint32_t slot_mask, num_entries, max_entries;
    char *arena;
    size_t arena_used, arena_size;
    struct st_verdict_cache_t scripts, tags, runs;
    struct st_run_page_t *run_pages; /* RUN_PAGE_SLOTS, by page key; allocated on first use */
    struct st_run_admission_t run_admission;
    struct st_hash_memo_t prefix;   /* URL decisions: page host, base part */
    struct st_hash_memo_t page_url; /* start tags known kept: page URL */
};

omote_tracker_cache_t *omote_tracker_cache_create(size_t entries)
{
    size_t n = 1;
    while (n < (entries == 0 ? CACHE_DEFAULT_ENTRIES : entries))
        n <<= 1;
    omote_tracker_cache_t *cache = calloc(1, sizeof(*cache));
    if (cache == NULL)
        abort();
    cache->max_entries = (uint32_t)n;
    cache->slot_mask = (uint32_t)(2 * n - 1); /* at most half full: probes stay short */
    cache->arena_size = n * CACHE_RECORD_BYTES;
    cache->prefix.a_len = cache->page_url.a_len = SIZE_MAX; /* no memo yet */
    cache->scripts = (struct st_verdict_cache_t){.num_slots = SCRIPT_CACHE_SLOTS, .arena_size = SCRIPT_CACHE_ARENA};
    cache->tags = (struct st_verdict_cache_t){.num_slots = TAG_CACHE_SLOTS, .arena_size = TAG_CACHE_ARENA};
    cache->runs = (struct st_verdict_cache_t){.num_slots = RUN_CACHE_SLOTS, .arena_size = RUN_CACHE_ARENA, .fill = 1};
    cache->run_admission.admit_after = RUN_ADMIT_FIRST;
    if ((cache->slots = calloc(2 * n, sizeof(*cache->slots))) == NULL || (cache->arena = malloc(cache->arena_size)) == NULL)
        abort();
    return cache;
}

void omote_tracker_cache_free(omote_tracker_cache_t *cache)
{
    if (cache == NULL)
        return;
    free(cache->slots);
    free(cache->arena);
    free(cache->scripts.slots);
    free(cache->scripts.arena);
    free(cache->tags.slots);
    free(cache->tags.arena);
    free(cache->runs.slots);
    free(cache->runs.arena);
    free(cache->run_pages);
    free(cache);
}

void omote_tracker_cache_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses)
{
    *hits = cache->hits;
    *misses = cache->misses;
}

void omote_tracker_cache_script_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses)
{
    *hits = cache->scripts.hits;
    *misses = cache->scripts.misses;
}

static void cache_clear(omote_tracker_cache_t *cache)
{
    memset(cache->slots, 0, ((size_t)cache->slot_mask + 1) * sizeof(*cache->slots));
    cache->num_entries = 0;
    cache->arena_used = 0;
}

void omote_tracker_cache_tag_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses)
{
    *hits = cache->tags.hits;
    *misses = cache->tags.misses;
}

void omote_tracker_cache_run_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses)
{
    *hits = cache->runs.hits;
    *misses = cache->runs.misses;
}

static void verdict_cache_clear(struct st_verdict_cache_t *vc)
{
    if (vc->slots != NULL)
        memset(vc->slots, 0, vc->num_slots * sizeof(*vc->slots));
    vc->num_entries = 0;
    vc->arena_used = 0;
    if (++vc->fill == 0)
        vc->fill = 1; /* 0 is no fill */
}

/* Entries belong to one generation of what a page's decisions depend on: another forgets them all. */
static void cache_follow_page(omote_tracker_cache_t *cache, const omote_tracker_page_t *page)
{
    if (cache->epoch == page->cache_epoch && cache->rules == page->rules && cache->policy == page->policy &&
        cache->first_party_domains == page->first_party_domains &&
        cache->num_first_party_domains == page->num_first_party_domains)
        return;
    cache_clear(cache);
    verdict_cache_clear(&cache->scripts);
    verdict_cache_clear(&cache->tags);
    verdict_cache_clear(&cache->runs);
    cache->run_admission = (struct st_run_admission_t){.admit_after = RUN_ADMIT_FIRST};
    cache->epoch = page->cache_epoch;
    cache->rules = page->rules;
    cache->policy = page->policy;
    cache->first_party_domains = page->first_party_domains;
    cache->num_first_party_domains = page->num_first_party_domains;
}

/* 16 bytes at a time in two independent lanes: keys are URLs of a hundred bytes or more, hashed
 * on every lookup, and one lane's multiply chain would set the pace */
static uint64_t hash_bytes(uint64_t h, const char *p, size_t len)
{
    uint64_t g = h ^ 0x243f6a8885a308d3ull, w;
    for (; len >= 16; p += 16, len -= 16) {
        uint64_t w1;
        memcpy(&w, p, 8);
        memcpy(&w1, p + 8, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        g = (g ^ w1) * 0xc2b2ae3d27d4eb4full;
        h ^= h >> 29;
        g ^= g >> 31;
    }
    if (len >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    w = 0;
    memcpy(&w, p, len);
    h = (h ^ w ^ ((uint64_t)len << 56) ^ (g * 0x165667b19e3779f9ull)) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 32);
}

static uint64_t memo_hash(struct st_hash_memo_t *memo, uint64_t seed, const char *a, size_t a_len, const char *b, size_t b_len)
{
    if (a_len == memo->a_len && b_len == memo->b_len && memcmp(memo->bytes, a, a_len) == 0 &&
        memcmp(memo->bytes + a_len, b, b_len) == 0)
        return memo->hash;
    uint64_t h = hash_bytes(hash_bytes(seed, a, a_len), b, b_len);
    if (a_len + b_len <= sizeof(memo->bytes)) {
        memcpy(memo->bytes, a, a_len);
        memcpy(memo->bytes + a_len, b, b_len);
        memo->a_len = a_len;
        memo->b_len = b_len;
        memo->hash = h;
    }
    return h;
}

/* The length of the part of `base` that resolving `ref` reads (see above), or SIZE_MAX when `base` is not a URL
 * resolve accepts. Trims `ref` as resolve does, so that both classify it alike. */
static size_t base_part_len(const char *base, const char *ref, size_t ref_len)
{
    /* a page URL is http(s) in practice: its first "://" is then known without a search */
    const char *sep = strncmp(base, "https://", 8) == 0  ? base + 5
                      : strncmp(base, "http://", 7) == 0 ? base + 4
                                                         : strstr(base, "://");
    if (sep == NULL)
        return SIZE_MAX;
    while (ref_len != 0 && is_url_space(*ref))
        ++ref, --ref_len;
    while (ref_len != 0 && is_url_space(ref[ref_len - 1]))
        --ref_len;
    if (starts_with_ci(ref, ref_len, "http://") || starts_with_ci(ref, ref_len, "https://") ||
        (ref_len >= 2 && (ref[0] == '/' || ref[0] == '\\') && (ref[1] == '/' || ref[1] == '\\')))
        return (size_t)(sep + 3 - base); /* takes in the first ':', which is all a scheme-relative reference reads */
    if (ref_len != 0 && ref[0] == '/') {
        const char *path = strchr(sep + 3, '/');
        return path != NULL ? (size_t)(path - base) : strlen(base);
    }
    return strlen(base);
}

static void fill_why(omote_tracker_why_t *why, int vendor, omote_rules_type_t type, const char *url, size_t url_len,
                     const omote_rules_decision_t *decision)
{
    if (why == NULL)
        return;
    why->source = vendor >= 0 ? OMOTE_TRACKER_BY_VENDOR : OMOTE_TRACKER_BY_RULE;
    why->type = type;
    memcpy(why->url, url, url_len); /* url_len < OMOTE_TRACKER_MAX_URL == sizeof(why->url) */
    why->url[url_len] = '\0';
    why->decision = *decision;
    why->vendor = vendor;
    why->signature = NULL;
}

/* The answer for a record, as judge_uncached would give it. */
static int judge_record(const omote_tracker_page_t *page, const struct st_cache_record_t *r, omote_tracker_why_t *why)
{
    switch (r->state) {
    case CACHED_VENDOR:
        if (omote_policy_vendor_allowed(page->policy, page->granted, r->vendor))
            return 0;
        break;
    case CACHED_DECIDED:
        if (!r->decision.is_blocked)
            return 0;
        break;
    default:
        return 0;
    }
    fill_why(why, r->vendor, (omote_rules_type_t)r->type, r->bytes + r->host_len + r->base_len + r->ref_len, r->url_len,
             &r->decision);
    return 1;
}

/*
 * Resolves and judges without the cache. Fills `rec` (when not NULL) with what a cache record
 * keeps, and returns 0 (kept) or 1 (blocked); -1 when the answer must not be cached (the rules
 * could not decide).
 */
static int judge_uncached(const omote_tracker_page_t *page, const char *ref, size_t len, omote_rules_type_t type,
                          omote_tracker_why_t *why, struct st_cache_record_t *rec, char *url, size_t *url_len)
{
    char host[256];
    size_t host_len;
    rec->state = CACHED_UNRESOLVED;
    rec->vendor = -1;
    rec->decision = (omote_rules_decision_t){0};
    if (resolve(page->url, ref, len, url, OMOTE_TRACKER_MAX_URL, url_len, host, sizeof(host), &host_len) != 0)
        return 0;
    int vendor = page->policy != NULL ? omote_policy_vendor_of_host(page->policy, host, host_len) : -1;
    rec->vendor = vendor;
    if (vendor >= 0) {
        rec->state = CACHED_VENDOR;
        if (omote_policy_vendor_allowed(page->policy, page->granted, vendor))
            return 0;
    } else {
        rec->state = CACHED_DECIDED;
        if (page->rules == NULL)
            return 0;
        omote_rules_request_t req = {url, host, page->host, type, page->first_party_domains, page->num_first_party_domains};
        if (omote_rules_decide(page->rules, &req, &rec->decision) != 0)
            return -1;
        if (!rec->decision.is_blocked)
            return 0;
    }
    fill_why(why, vendor, type, url, *url_len, &rec->decision);
    return 1;
}

int omote_tracker_judge_url(const omote_tracker_page_t *page, const char *ref, size_t len, omote_rules_type_t type,
                            omote_tracker_why_t *why)
{
    char url[OMOTE_TRACKER_MAX_URL];
    size_t url_len = 0;
    struct st_cache_record_t rec;
    omote_tracker_cache_t *cache = page->cache;
    size_t base_len, host_len;
    if (cache == NULL || (base_len = base_part_len(page->url, ref, len)) == SIZE_MAX ||
        (host_len = strlen(page->host)) > UINT16_MAX || host_len + base_len + len > CACHE_KEY_MAX)
        return judge_uncached(page, ref, len, type, why, &rec, url, &url_len) == 1;

    cache_follow_page(cache, page);
    uint64_t prefix = memo_hash(&cache->prefix, 0x6a09e667f3bcc909ull, page->host, host_len, page->url, base_len);
    uint64_t h64 = hash_bytes(prefix ^ ((uint64_t)type << 56), ref, len);
    uint32_t h = (uint32_t)h64 != 0 ? (uint32_t)h64 : 1; /* 0 marks an empty slot */
    uint32_t i = (uint32_t)(h64 >> 32) & cache->slot_mask;
    for (; cache->slots[i].hash != 0; i = (i + 1) & cache->slot_mask) {
        if (cache->slots[i].hash != h)
            continue;
        const struct st_cache_record_t *r = (const struct st_cache_record_t *)(cache->arena + cache->slots[i].offset);
        if (r->type == type && r->ref_len == len && r->host_len == host_len && r->base_len == base_len &&
            memcmp(r->bytes, page->host, host_len) == 0 && memcmp(r->bytes + host_len, page->url, base_len) == 0 &&
            memcmp(r->bytes + host_len + base_len, ref, len) == 0) {
            ++cache->hits;
            return judge_record(page, r, why);
        }
    }
    ++cache->misses;
    int blocked = judge_uncached(page, ref, len, type, why, &rec, url, &url_len);
    if (blocked < 0)
        return 0;

    /* the resolved URL is kept only where `why` may need it: a vendor's or a blocked one */
    int keeps_url = rec.state == CACHED_VENDOR || (rec.state == CACHED_DECIDED && rec.decision.is_blocked);
    size_t size = sizeof(rec) + host_len + base_len + len + (keeps_url ? url_len + 1 : 0);
    size = (size + 7) & ~(size_t)7; /* records stay aligned */
    if (size > cache->arena_size)
        return blocked;
    if (cache->num_entries == cache->max_entries || cache->arena_used + size > cache->arena_size) {
        cache_clear(cache); /* wholesale: the pages being served fill it again within a few requests */
        for (i = (uint32_t)(h64 >> 32) & cache->slot_mask; cache->slots[i].hash != 0; i = (i + 1) & cache->slot_mask)
            ;
    }
    struct st_cache_record_t *r = (struct st_cache_record_t *)(cache->arena + cache->arena_used);
    *r = rec;
    r->ref_len = (uint16_t)len;
    r->host_len = (uint16_t)host_len;
    r->base_len = (uint16_t)base_len;
    r->url_len = keeps_url ? (uint16_t)url_len : 0;
    r->type = (uint8_t)type;
    memcpy(r->bytes, page->host, host_len);
    memcpy(r->bytes + host_len, page->url, base_len);
    memcpy(r->bytes + host_len + base_len, ref, len);
    if (keeps_url)
        memcpy(r->bytes + host_len + base_len + len, url, url_len + 1);
    cache->slots[i].hash = h;
    cache->slots[i].offset = (uint32_t)cache->arena_used;
    cache->arena_used += size;
    ++cache->num_entries;
    return blocked;
}

static size_t find_any3(const char *text, size_t i, size_t len, char a, char b, char c);

/* srcset: comma-separated candidates, each a URL followed by an optional descriptor */
static int judge_srcset(const omote_tracker_page_t *page, const char *v, size_t len, omote_tracker_why_t *why)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == ',' || v[i] == '\t' || v[i] == '\n'))
            ++i;
        size_t start = i;
        /* candidate URLs run to 150 bytes and more (image CDNs), and a srcset holds a dozen */
        i = find_any3(v, i, len, ' ', '\t', '\n');
        size_t end = i;
        if (end > start && v[end - 1] == ',')
            --end;
        if (end > start && omote_tracker_judge_url(page, v + start, end - start, OMOTE_RULES_TYPE_IMAGE, why))
            return 1;
        while (i < len && v[i] != ',')
            ++i;
    }
    return 0;
}

static const omote_html_attr_t *find_attr(const omote_html_token_t *tag, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i != tag->num_attrs; ++i)
        if (tag->attrs[i].name.len == len && memcmp(tag->attrs[i].name.base, name, len) == 0 && !tag->attrs[i].is_duplicate)
            return tag->attrs + i;
    return NULL;
}

static int attr_blocked(const omote_tracker_page_t *page, const omote_html_token_t *tag, const char *name, omote_rules_type_t type,
                        omote_tracker_why_t *why)
{
    const omote_html_attr_t *a = find_attr(tag, name);
    return a != NULL && a->value.len != 0 && omote_tracker_judge_url(page, a->value.base, a->value.len, type, why);
}

static int value_is(const omote_html_attr_t *a, const char *v)
{
    return a != NULL && a->value.len == strlen(v) && starts_with_ci(a->value.base, a->value.len, v);
}

/* Whether a script's type makes it executable (HTML §4.12.1.1: a JavaScript MIME type, "module" or none). */
static int is_executable_script(const omote_html_token_t *tag)
{
    const omote_html_attr_t *type = find_attr(tag, "type");
    if (type == NULL || type->value.len == 0 || value_is(type, "module"))
        return 1;
    const char *v = type->value.base;
    size_t len = type->value.len;
    return starts_with_ci(v, len, "text/javascript") || starts_with_ci(v, len, "application/javascript") ||
           starts_with_ci(v, len, "text/ecmascript") || starts_with_ci(v, len, "application/ecmascript") ||
           starts_with_ci(v, len, "application/x-javascript") || starts_with_ci(v, len, "text/jscript");
}

/* the resource type a <link> would fetch, or -1 for a link that fetches nothing worth judging */
static int link_type(const omote_html_token_t *tag)
{
    const omote_html_attr_t *rel = find_attr(tag, "rel"), *as = find_attr(tag, "as");
    if (rel == NULL)
        return -1;
    const char *v = rel->value.base;
    size_t len = rel->value.len;
    /* rel is a token list; the values omote acts on appear alone in practice, but scan tokens anyway */
    for (size_t i = 0; i < len;) {
        while (i < len && v[i] == ' ')
            ++i;
        size_t s = i;
        while (i < len && v[i] != ' ')
            ++i;
        const char *t = v + s;
        size_t tl = i - s;
        if (tl == 10 && starts_with_ci(t, tl, "stylesheet"))
            return OMOTE_RULES_TYPE_STYLESHEET;
        if (tl == 13 && starts_with_ci(t, tl, "modulepreload"))
            return OMOTE_RULES_TYPE_SCRIPT;
        if (tl == 7 && starts_with_ci(t, tl, "preload")) {
            if (value_is(as, "script"))
                return OMOTE_RULES_TYPE_SCRIPT;
            if (value_is(as, "style"))
                return OMOTE_RULES_TYPE_STYLESHEET;
            if (value_is(as, "image"))
                return OMOTE_RULES_TYPE_IMAGE;
            if (value_is(as, "font"))
                return OMOTE_RULES_TYPE_FONT;
            if (value_is(as, "fetch"))
                return OMOTE_RULES_TYPE_XMLHTTPREQUEST;
            return OMOTE_RULES_TYPE_OTHER;
        }
        if ((tl == 8 && starts_with_ci(t, tl, "prefetch")) || (tl == 10 && starts_with_ci(t, tl, "preconnect")) ||
            (tl == 12 && starts_with_ci(t, tl, "dns-prefetch")))
            return OMOTE_RULES_TYPE_OTHER;
    }
    return -1;
}

/* the elements omote_tracker_judge_tag asks about; every other one is kept whatever its attributes */
enum {
    TAG_OTHER,
    TAG_SCRIPT,
    TAG_IMG,
    TAG_SOURCE,
    TAG_INPUT,
    TAG_IFRAME,
    TAG_FRAME,
    TAG_EMBED,
    TAG_OBJECT,
    TAG_VIDEO,
    TAG_AUDIO,
    TAG_LINK,
};

/* Which of them `name` is: asked for every start tag of a page, so a switch on the length first
 * (most tags are div, span, a, p, li and differ from every name here in length or first byte). */
static int tag_id(const char *name, size_t len)
{
#define IS(lit) (memcmp(name, lit, sizeof(lit) - 1) == 0)
    switch (len) {
    case 3:
        return IS("img") ? TAG_IMG : TAG_OTHER;
    case 4:
        return IS("link") ? TAG_LINK : TAG_OTHER;
    case 5:
        switch (name[0]) {
        case 'i':
            return IS("input") ? TAG_INPUT : TAG_OTHER;
        case 'f':
            return IS("frame") ? TAG_FRAME : TAG_OTHER;
        case 'e':
            return IS("embed") ? TAG_EMBED : TAG_OTHER;
        case 'v':
            return IS("video") ? TAG_VIDEO : TAG_OTHER;
        case 'a':
            return IS("audio") ? TAG_AUDIO : TAG_OTHER;
        }
        return TAG_OTHER;
    case 6:
        switch (name[0]) {
        case 's':
            return IS("script") ? TAG_SCRIPT : IS("source") ? TAG_SOURCE : TAG_OTHER;
        case 'i':
            return IS("iframe") ? TAG_IFRAME : TAG_OTHER;
        case 'o':
            return IS("object") ? TAG_OBJECT : TAG_OTHER;
        }
        return TAG_OTHER;
    }
    return TAG_OTHER;
#undef IS
}

int omote_tracker_reads_attributes(const char *name, size_t len)
{
    return tag_id(name, len) != TAG_OTHER;
}

static omote_rewrite_verdict_t judge_tag_by_id(const omote_tracker_page_t *page, const omote_html_token_t *tag, int id,
                                               omote_tracker_why_t *why)
{
    switch (id) {
    case TAG_OTHER:
        return OMOTE_REWRITE_KEEP;
    case TAG_SCRIPT:
        if (find_attr(tag, "src") != NULL)
            return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_SCRIPT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
        return is_executable_script(tag) ? OMOTE_REWRITE_INSPECT : OMOTE_REWRITE_KEEP;
    case TAG_INPUT:
        /* an image button loads its src as an <img> does */
        if (!value_is(find_attr(tag, "type"), "image"))
            return OMOTE_REWRITE_KEEP;
        /* fall through */
    case TAG_IMG:
    case TAG_SOURCE: {
        const omote_html_attr_t *srcset = find_attr(tag, "srcset");
        omote_rules_type_t type = id == TAG_SOURCE && srcset == NULL ? OMOTE_RULES_TYPE_MEDIA : OMOTE_RULES_TYPE_IMAGE;
        if (attr_blocked(page, tag, "src", type, why) || attr_blocked(page, tag, "data-src", OMOTE_RULES_TYPE_IMAGE, why) ||
            (srcset != NULL && judge_srcset(page, srcset->value.base, srcset->value.len, why)))
            return OMOTE_REWRITE_REMOVE;
        return OMOTE_REWRITE_KEEP;
    }
    case TAG_IFRAME:
    case TAG_FRAME:
        return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_SUBDOCUMENT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    case TAG_EMBED:
        return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_OBJECT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    case TAG_OBJECT:
        return attr_blocked(page, tag, "data", OMOTE_RULES_TYPE_OBJECT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    case TAG_VIDEO:
    case TAG_AUDIO:
        return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_MEDIA, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    case TAG_LINK: {
        int type = link_type(tag);
        if (type >= 0 && attr_blocked(page, tag, "href", (omote_rules_type_t)type, why))
            return OMOTE_REWRITE_REMOVE;
        return OMOTE_REWRITE_KEEP;
    }
    }
    return OMOTE_REWRITE_KEEP;
}

/* Whether `s` starts with a host name of two labels or more whose last label is alphabetic ("cdn.example.com"). */
static size_t bare_host_length(const char *s, size_t len)
{
    size_t n = 0, dots = 0, last_label = 0;
    while (n < len && is_host_char((unsigned char)s[n])) {
        if (s[n] == '.') {
            if (n == 0 || s[n - 1] == '.')
                return 0;
            ++dots;
            last_label = n + 1;
        }
        ++n;
    }
    if (dots == 0 || n - last_label < 2)
        return 0;
    for (size_t i = last_label; i != n; ++i)
        if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
            return 0;
    return n;
}

/* ---- scanning inline scripts ---- */

/*
 * Inline scripts are judged whole on every page, and most of their bytes are neither quotes nor
 * URLs: these scans skip 16 bytes at a time to the next byte that matters, where SSE2 is there.
 */

/* The first of a, b, c in text[i, len), or len. */
static size_t find_any3(const char *text, size_t i, size_t len, char a, char b, char c)
{
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(text + i));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc)));
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    for (; i < len; ++i)
        if (text[i] == a || text[i] == b || text[i] == c)
            return i;
    return len;
}

/*
 * The first '/' in text[i, len) that may start "//" or "\/\/" (the byte after it is '/' or '\'),
 * or len. Near the end it may also return a '/' followed by neither; callers check what follows.
 */
static size_t find_url_slash(const char *text, size_t i, size_t len)
{
#if defined(__SSE2__)
    const __m128i slash = _mm_set1_epi8('/'), backslash = _mm_set1_epi8('\\');
    for (; i + 17 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(text + i)), next = _mm_loadu_si128((const __m128i *)(text + i + 1));
        __m128i m = _mm_and_si128(_mm_cmpeq_epi8(x, slash),
                                  _mm_or_si128(_mm_cmpeq_epi8(next, slash), _mm_cmpeq_epi8(next, backslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    const char *slash_at = i < len ? memchr(text + i, '/', len - i) : NULL;
    return slash_at != NULL ? (size_t)(slash_at - text) : len;
}

/*
 * Loaders that build the scheme at run time spell the rest as a string literal that starts with
 * a host: "js-agent.newrelic.com/nr.js", or ".scorecardresearch.com/beacon.js" after a
 * protocol-dependent subdomain. Such literals are judged as script URLs on that host.
 */
static omote_rewrite_verdict_t judge_bare_hosts(const omote_tracker_page_t *page, const char *text, size_t len, size_t budget,
                                                omote_tracker_why_t *why)
{
    for (size_t i = 0; i < len && budget != 0; ++i) {
        if ((i = find_any3(text, i, len, '"', '\'', '`')) == len)
            break;
        char q = text[i];
        size_t start = i + 1, end = find_any3(text, start, len, q, '\n', '\\');
        if (end >= len || text[end] != q) {
            i = end;
            continue;
        }
        i = end;
        const char *lit = text + start;
        size_t lit_len = end - start;
        if (lit_len != 0 && lit[0] == '.')
            ++lit, --lit_len;
        size_t host_len = bare_host_length(lit, lit_len);
        if (host_len == 0 || (host_len != lit_len && lit[host_len] != '/'))
            continue;
        char ref[OMOTE_TRACKER_MAX_URL];
        size_t n = 8;
        memcpy(ref, "https://", 8);
        if (append(ref, sizeof(ref), &n, lit, lit_len) != 0)
            continue;
        --budget;
        if (omote_tracker_judge_url(page, ref, n, OMOTE_RULES_TYPE_SCRIPT, why))
            return OMOTE_REWRITE_REMOVE;
    }
    return OMOTE_REWRITE_KEEP;
}

/*
 * The first byte in text[i, len) that ends a URL in script text (a quote, a backtick, white space,
 * ')' or ';') or is a backslash, which may escape a '/'; len if none. URLs in configuration
 * objects run to hundreds of bytes, so the scan goes 16 bytes at a time where SSE2 is there.
 */
static size_t find_path_stop(const char *text, size_t i, size_t len)
{
#if defined(__SSE2__)
    const __m128i dq = _mm_set1_epi8('"'), sq = _mm_set1_epi8('\''), bt = _mm_set1_epi8('`'), sp = _mm_set1_epi8(' '),
                  lf = _mm_set1_epi8('\n'), paren = _mm_set1_epi8(')'), semi = _mm_set1_epi8(';'), bs = _mm_set1_epi8('\\');
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(text + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, dq), _mm_cmpeq_epi8(x, sq)),
                                              _mm_or_si128(_mm_cmpeq_epi8(x, bt), _mm_cmpeq_epi8(x, sp))),
                                 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, paren)),
                                              _mm_or_si128(_mm_cmpeq_epi8(x, semi), _mm_cmpeq_epi8(x, bs))));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    for (; i < len; ++i) {
        char c = text[i];
        if (c == '"' || c == '\'' || c == '`' || c == ' ' || c == '\n' || c == ')' || c == ';' || c == '\\')
            return i;
    }
    return len;
}

/*
 * Loader snippets name their tracker as a URL ("https://www.googletagmanager.com/gtm.js", or
 * "https:\/\/..." inside JSON): every "//host" with a dot in the host is judged as a script request.
 */
static omote_rewrite_verdict_t judge_script_uncached(const omote_tracker_page_t *page, const char *text, size_t len,
                                                     omote_tracker_why_t *why)
{
    const omote_signature_t *sig = page->policy != NULL ? omote_policy_find_signature(page->policy, text, len) : NULL;
    if (sig != NULL && !omote_policy_vendor_allowed(page->policy, page->granted, sig->vendor_index)) {
        if (why != NULL) {
            *why = (omote_tracker_why_t){OMOTE_TRACKER_BY_SIGNATURE, OMOTE_RULES_TYPE_SCRIPT};
            why->vendor = sig->vendor_index;
            why->signature = sig;
        }
        return OMOTE_REWRITE_REMOVE;
    }
    size_t judged = 0;
    for (size_t i = 0; i + 2 < len && judged < MAX_INLINE_URLS;) {
        /* both "//" and "\\/\\/" hold a '/' at their second byte: jump to the next '/' followed by '/' or
         * '\\'. Passing other slashes leaves i where it was: the byte before an escaped "\\/\\/" is a
         * backslash, so whether it lies at or after i does not depend on them */
        size_t p = find_url_slash(text, i, len), skip;
        if (p == len)
            break;
        if (p > i && p + 3 < len && memcmp(text + p - 1, "\\/\\/", 4) == 0) {
            i = p - 1;
            skip = 4;
        } else if (p + 2 < len && text[p + 1] == '/') {
            i = p;
            skip = 2;
        } else {
            i = p + 1;
            continue;
        }
        char ref[OMOTE_TRACKER_MAX_URL];
        size_t n = 0, j = i + skip;
        int has_dot = 0;
        memcpy(ref, "https://", 8);
        n = 8;
        while (j < len && n + 1 < sizeof(ref) && is_host_char((unsigned char)text[j])) {
            has_dot |= text[j] == '.';
            ref[n++] = text[j++];
        }
        size_t host_len = n - 8;
        /* the path, up to where the string literal or the URL ends; runs between stops are copied whole */
        while (j < len && n + 1 < sizeof(ref)) {
            size_t stop = find_path_stop(text, j, len), run = stop - j;
            if (run > sizeof(ref) - 1 - n)
                run = sizeof(ref) - 1 - n;
            memcpy(ref + n, text + j, run);
            n += run;
            j += run;
            if (j == len || n + 1 == sizeof(ref) || text[j] != '\\')
                break;
            if (j + 1 < len && text[j + 1] == '/')
                ++j; /* "\/" is an escaped '/': the backslash goes */
            ref[n++] = text[j++];
        }
        i = j; /* > i: at least `skip` bytes were consumed */
        if (host_len == 0 || !has_dot || ref[8] == '.' || ref[8 + host_len - 1] == '.')
            continue;
        ++judged;
        if (omote_tracker_judge_url(page, ref, n, OMOTE_RULES_TYPE_SCRIPT, why))
            return OMOTE_REWRITE_REMOVE;
    }
    return judge_bare_hosts(page, text, len, MAX_INLINE_URLS - judged, why);
}

/* The slot hash reads the length and the text's two ends only: hashing 64 KiB would cost more than
 * the byte-for-byte comparison that confirms a hit, and texts sharing their ends only share a probe */
#define SCRIPT_KEY_ENDS 128

static uint64_t script_key_hash(const omote_tracker_page_t *page, size_t host_len, const char *text, size_t len)
{
    size_t ends = len < SCRIPT_KEY_ENDS ? len : SCRIPT_KEY_ENDS;
    uint64_t h = hash_bytes(0xbb67ae8584caa73bull ^ page->granted ^ ((uint64_t)len << 32), page->host, host_len);
    h = hash_bytes(hash_bytes(h, text, ends), text + len - ends, ends);
    return h != 0 ? h : 1; /* 0 marks an empty slot */
}

/* The remembered slot for this key, or NULL; with `starts_text`, a slot whose text is the start of
 * the `len` bytes at `text` (a run, whose length is not known when asked) matches too. */
static const struct st_verdict_slot_t *verdict_lookup(const struct st_verdict_cache_t *vc, uint64_t h, omote_purpose_set_t granted,
                                                      const char *prefix, size_t prefix_len, const char *text, size_t len,
                                                      int starts_text)
{
    if (vc->slots == NULL)
        return NULL;
    for (uint32_t i = (uint32_t)h & (vc->num_slots - 1); vc->slots[i].hash != 0; i = (i + 1) & (vc->num_slots - 1)) {
        const struct st_verdict_slot_t *e = vc->slots + i;
        const char *key = vc->arena + e->offset + (e->is_removed ? sizeof(omote_tracker_why_t) : 0);
        if (e->hash == h && (e->text_len == len || (starts_text && e->text_len < len)) && e->prefix_len == prefix_len &&
            e->granted == granted && memcmp(key, prefix, prefix_len) == 0 && memcmp(key + prefix_len, text, e->text_len) == 0)
            return e;
    }
    return NULL;
}

static const struct st_verdict_slot_t *verdict_find(const struct st_verdict_cache_t *vc, uint64_t h, omote_purpose_set_t granted,
                                                    const char *prefix, size_t prefix_len, const char *text, size_t len)
{
    return verdict_lookup(vc, h, granted, prefix, prefix_len, text, len, 0);
}

/* Returns whether it went in (not if too long, or if memory is short). */
static int verdict_remember(struct st_verdict_cache_t *vc, uint64_t h, omote_purpose_set_t granted, const char *prefix,
                            size_t prefix_len, const char *text, size_t len, const omote_tracker_why_t *removed_why)
{
    size_t why_size = removed_why != NULL ? sizeof(*removed_why) : 0, size = (why_size + prefix_len + len + 7) & ~(size_t)7;
    if (size > vc->arena_size / 4 || prefix_len > UINT16_MAX)
        return 0;
    if (vc->arena == NULL) {
        /* judged every time, as without a cache, if memory is short */
        if ((vc->slots = calloc(vc->num_slots, sizeof(*vc->slots))) == NULL || (vc->arena = malloc(vc->arena_size)) == NULL) {
            free(vc->slots);
            vc->slots = NULL;
            return 0;
        }
    }
    if (vc->num_entries == vc->num_slots / 2 || vc->arena_used + size > vc->arena_size)
        verdict_cache_clear(vc); /* wholesale, as the decision cache: the pages served fill it again */
    uint32_t i = (uint32_t)h & (vc->num_slots - 1);
    while (vc->slots[i].hash != 0)
        i = (i + 1) & (vc->num_slots - 1);
    char *at = vc->arena + vc->arena_used;
    if (removed_why != NULL)
        memcpy(at, removed_why, why_size);
    memcpy(at + why_size, prefix, prefix_len);
    memcpy(at + why_size + prefix_len, text, len);
    vc->slots[i] = (struct st_verdict_slot_t){h, (uint32_t)vc->arena_used, (uint32_t)len, (uint16_t)prefix_len, removed_why != NULL,
                                              granted};
    vc->arena_used += size;
    ++vc->num_entries;
    return 1;
}

omote_rewrite_verdict_t omote_tracker_judge_script_text(const omote_tracker_page_t *page, const char *text, size_t len,
                                                        omote_tracker_why_t *why)
{
    omote_tracker_cache_t *cache = page->cache;
    size_t host_len;
    if (cache == NULL || (host_len = strlen(page->host)) > UINT16_MAX || len > UINT32_MAX)
        return judge_script_uncached(page, text, len, why);
    cache_follow_page(cache, page);
    uint64_t h = script_key_hash(page, host_len, text, len);
    const struct st_verdict_slot_t *e = verdict_find(&cache->scripts, h, page->granted, page->host, host_len, text, len);
    if (e != NULL) {
        ++cache->scripts.hits;
        if (!e->is_removed)
            return OMOTE_REWRITE_KEEP;
        if (why != NULL)
            memcpy(why, cache->scripts.arena + e->offset, sizeof(*why));
        return OMOTE_REWRITE_REMOVE;
    }
    ++cache->scripts.misses;
    omote_tracker_why_t own_why;
    if (why == NULL)
        why = &own_why; /* a removal is remembered with its reason, for the callers that ask */
    omote_rewrite_verdict_t verdict = judge_script_uncached(page, text, len, why);
    verdict_remember(&cache->scripts, h, page->granted, page->host, host_len, text, len, verdict == OMOTE_REWRITE_REMOVE ? why : NULL);
    return verdict;
}

/* The page URL and consent, which start the keys of known tags and runs */
static uint64_t page_key_hash(omote_tracker_cache_t *cache, const omote_tracker_page_t *page, size_t url_len)
{
    return memo_hash(&cache->page_url, 0x3c6ef372fe94f82bull, page->url, url_len, "", 0) ^ page->granted;
}

static uint64_t tag_key_hash(omote_tracker_cache_t *cache, const omote_tracker_page_t *page, size_t url_len, const char *raw,
                             size_t len)
{
    uint64_t h = hash_bytes(page_key_hash(cache, page, url_len), raw, len);
    return h != 0 ? h : 1; /* 0 marks an empty slot */
}

int omote_tracker_tag_known_kept(const omote_tracker_page_t *page, const char *raw, size_t len)
{
    omote_tracker_cache_t *cache = page->cache;
    if (cache == NULL || len > UINT32_MAX)
        return 0;
    cache_follow_page(cache, page);
    size_t url_len = strlen(page->url);
    if (verdict_find(&cache->tags, tag_key_hash(cache, page, url_len, raw, len), page->granted, page->url, url_len, raw, len) ==
        NULL) {
        ++cache->tags.misses;
        return 0;
    }
    ++cache->tags.hits;
    return 1;
}

/* A run is keyed by its page URL, the consent and its first RUN_KEY_BYTES bytes: runs that start
 * alike on a page share the hash, and each is compared in full. */
static uint64_t run_key_hash(omote_tracker_cache_t *cache, const omote_tracker_page_t *page, size_t url_len, const char *bytes)
{
    uint64_t h = hash_bytes(page_key_hash(cache, page, url_len) ^ 0xa54ff53a5f1d36f1ull, bytes, RUN_KEY_BYTES);
    return h != 0 ? h : 1; /* 0 marks an empty slot */
}

/* What a page's entry is worth keeping: most if its runs are in the cache, else how often it was
 * served since the cache last filled. */
static uint32_t run_page_worth(const struct st_run_page_t *seen, uint32_t fill)
{
    if (seen->kept_in == fill)
        return UINT32_MAX;
    return seen->seen_in == fill ? seen->times_seen : 0;
}

omote_tracker_runs_t omote_tracker_page_runs(const omote_tracker_page_t *page)
{
    omote_tracker_cache_t *cache = page->cache;
    if (cache == NULL)
        return OMOTE_TRACKER_RUNS_NONE;
    cache_follow_page(cache, page);
    if (cache->run_pages == NULL && (cache->run_pages = calloc(RUN_PAGE_SLOTS, sizeof(*cache->run_pages))) == NULL)
        return OMOTE_TRACKER_RUNS_NONE;
    uint64_t key = page_key_hash(cache, page, strlen(page->url));
    struct st_run_page_t *set = cache->run_pages + (key & (RUN_PAGE_SLOTS - RUN_PAGE_WAYS)), *seen = NULL;
    uint32_t fill = cache->runs.fill;
    for (int i = 0; i != RUN_PAGE_WAYS && seen == NULL; ++i)
        if (set[i].key == key)
            seen = set + i; /* two pages with one key share it: at most a few lookups in vain, as every run is compared in full */
    if (seen == NULL) {
        seen = set;
        for (int i = 1; i != RUN_PAGE_WAYS; ++i)
            if (run_page_worth(set + i, fill) < run_page_worth(seen, fill))
                seen = set + i;
        *seen = (struct st_run_page_t){.key = key};
    }
    if (seen->kept_in == fill)
        return OMOTE_TRACKER_RUNS_USE;
    if (seen->seen_in != fill) {
        seen->seen_in = fill;
        seen->times_seen = 0;
    }
    if (++seen->times_seen < cache->run_admission.admit_after)
        return OMOTE_TRACKER_RUNS_NONE;
    seen->kept_in = fill;
    return OMOTE_TRACKER_RUNS_KEEP;
}

size_t omote_tracker_run_known(const omote_tracker_page_t *page, const char *bytes, size_t avail)
{
    omote_tracker_cache_t *cache = page->cache;
    if (cache == NULL || avail < OMOTE_HTML_MIN_RUN) /* no run kept is shorter */
        return 0;
    cache_follow_page(cache, page);
    if (cache->runs.slots == NULL)
        return 0;
    size_t url_len = strlen(page->url);
    const struct st_verdict_slot_t *e =
        verdict_lookup(&cache->runs, run_key_hash(cache, page, url_len, bytes), page->granted, page->url, url_len, bytes, avail, 1);
    if (e == NULL) {
        ++cache->runs.misses;
        return 0;
    }
    ++cache->runs.hits;
    cache->run_admission.used_bytes += e->text_len;
    return e->text_len;
}

void omote_tracker_remember_run(const omote_tracker_page_t *page, const char *bytes, size_t len)
{
    omote_tracker_cache_t *cache = page->cache;
    if (cache == NULL || len < OMOTE_HTML_MIN_RUN || len > UINT32_MAX)
        return;
    cache_follow_page(cache, page);
    size_t url_len = strlen(page->url);
    uint64_t h = run_key_hash(cache, page, url_len, bytes);
    if (verdict_find(&cache->runs, h, page->granted, page->url, url_len, bytes, len) != NULL)
        return;
    uint32_t fill = cache->runs.fill;
    if (!verdict_remember(&cache->runs, h, page->granted, page->url, url_len, bytes, len, NULL))
        return;
    struct st_run_admission_t *adm = &cache->run_admission;
    if (cache->runs.fill != fill) {
        /* the cache was full: judge the fill that ended (this run went into the next) */
        if (adm->used_bytes < adm->kept_bytes)
            adm->admit_after = adm->admit_after * 2 <= RUN_ADMIT_MAX ? adm->admit_after * 2 : RUN_ADMIT_MAX;
        else
            adm->admit_after = RUN_ADMIT_FIRST;
        adm->kept_bytes = adm->used_bytes = 0;
    }
    adm->kept_bytes += len;
}

omote_rewrite_verdict_t omote_tracker_judge_tag(const omote_tracker_page_t *page, const omote_html_token_t *tag,
                                                omote_tracker_why_t *why)
{
    int id = tag_id(tag->name.base, tag->name.len);
    omote_rewrite_verdict_t verdict = judge_tag_by_id(page, tag, id, why);
    /* a tag after which the text stays data may be asked about again by its bytes: remember it stays
     * (<script> and <iframe> switch the text state, so they always come whole) */
    if (verdict == OMOTE_REWRITE_KEEP && id != TAG_OTHER && id != TAG_SCRIPT && id != TAG_IFRAME && page->cache != NULL &&
        tag->raw != NULL && tag->raw_len <= UINT32_MAX) {
        omote_tracker_cache_t *cache = page->cache;
        cache_follow_page(cache, page);
        size_t url_len = strlen(page->url);
        uint64_t h = tag_key_hash(cache, page, url_len, tag->raw, tag->raw_len);
        /* known already when it came whole anyway (cut by a chunk, inside a <noscript>, a ping to look at) */
        if (verdict_find(&cache->tags, h, page->granted, page->url, url_len, tag->raw, tag->raw_len) == NULL)
            verdict_remember(&cache->tags, h, page->granted, page->url, url_len, tag->raw, tag->raw_len, NULL);
    }
    return verdict;
}

int omote_tracker_judge_ping(const omote_tracker_page_t *page, const char *value, size_t len, omote_tracker_why_t *why)
{
    for (size_t i = 0; i < len;) {
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r' || value[i] == '\f'))
            ++i;
        size_t start = i;
        while (i < len && !(value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r' || value[i] == '\f'))
            ++i;
        if (i > start && omote_tracker_judge_url(page, value + start, i - start, OMOTE_RULES_TYPE_PING, why))
            return 1;
    }
    return 0;
}

int omote_tracker_fetch_dest_type(const char *dest, size_t len)
{
    static const struct {
        const char *dest;
        int type;
    } map[] = {{"document", -1}, {"iframe", -1}, {"frame", -1}, {"script", OMOTE_RULES_TYPE_SCRIPT},
               {"worker", OMOTE_RULES_TYPE_SCRIPT}, {"sharedworker", OMOTE_RULES_TYPE_SCRIPT},
               {"serviceworker", OMOTE_RULES_TYPE_SCRIPT}, {"image", OMOTE_RULES_TYPE_IMAGE},
               {"style", OMOTE_RULES_TYPE_STYLESHEET}, {"font", OMOTE_RULES_TYPE_FONT},
               {"audio", OMOTE_RULES_TYPE_MEDIA}, {"video", OMOTE_RULES_TYPE_MEDIA}, {"track", OMOTE_RULES_TYPE_MEDIA},
               {"empty", OMOTE_RULES_TYPE_XMLHTTPREQUEST}, {"object", OMOTE_RULES_TYPE_OBJECT},
               {"embed", OMOTE_RULES_TYPE_OBJECT}, {"report", OMOTE_RULES_TYPE_PING}};
    for (size_t i = 0; i != sizeof(map) / sizeof(map[0]); ++i)
        if (strlen(map[i].dest) == len && starts_with_ci(dest, len, map[i].dest))
            return map[i].type;
    return OMOTE_RULES_TYPE_OTHER;
}
