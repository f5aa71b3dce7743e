/*
 * From elements to requests: which URL an element would load and as what resource type, resolved
 * against the page, then judged by the rules. Inline scripts are judged by the URLs they name
 * (loader snippets spell out the tracker's script URL). Rule matching itself lives in src/rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "omote/tracker.h"

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

#define CACHE_URL_MAX 240
#define CACHE_HOST_MAX 64

struct st_cache_entry_t {
    uint64_t hash; /* 0: empty */
    uint16_t url_len;
    uint8_t host_len;
    uint8_t type;
    char url[CACHE_URL_MAX];
    char host[CACHE_HOST_MAX];
    omote_rules_decision_t decision;
};

struct st_omote_tracker_cache_t {
    uint64_t epoch;
    size_t mask;
    uint64_t hits, misses;
    struct st_cache_entry_t *entries;
};

omote_tracker_cache_t *omote_tracker_cache_create(size_t entries)
{
    size_t n = 1;
    while (n < (entries == 0 ? 2048 : entries))
        n <<= 1;
    omote_tracker_cache_t *cache = calloc(1, sizeof(*cache));
    if (cache == NULL || (cache->entries = calloc(n, sizeof(*cache->entries))) == NULL)
        abort();
    cache->mask = n - 1;
    return cache;
}

void omote_tracker_cache_free(omote_tracker_cache_t *cache)
{
    if (cache == NULL)
        return;
    free(cache->entries);
    free(cache);
}

void omote_tracker_cache_stats(const omote_tracker_cache_t *cache, uint64_t *hits, uint64_t *misses)
{
    *hits = cache->hits;
    *misses = cache->misses;
}

static uint64_t hash_bytes(uint64_t h, const char *p, size_t len)
{
    for (size_t i = 0; i != len; ++i)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull; /* FNV-1a, 64 bits */
    return h;
}

/* Asks the rules, through the page's cache when it has one; returns 1 (the rules always answer once compiled) or 0 on error. */
static int decide_cached(const omote_tracker_page_t *page, const char *url, size_t url_len, const char *host, omote_rules_type_t type,
                         omote_rules_decision_t *out)
{
    omote_rules_request_t req = {url, host, page->host, type, page->first_party_domains, page->num_first_party_domains};
    omote_tracker_cache_t *cache = page->cache;
    size_t page_host_len = strlen(page->host);
    if (cache == NULL || url_len > CACHE_URL_MAX || page_host_len > CACHE_HOST_MAX)
        return omote_rules_decide(page->rules, &req, out) == 0;
    if (cache->epoch != page->cache_epoch) {
        memset(cache->entries, 0, (cache->mask + 1) * sizeof(*cache->entries));
        cache->epoch = page->cache_epoch;
    }
    uint64_t h = hash_bytes(hash_bytes(0xcbf29ce484222325ull ^ (uint64_t)type, url, url_len), page->host, page_host_len);
    h |= 1; /* never 0, which marks an empty slot */
    struct st_cache_entry_t *e = cache->entries + (h & cache->mask);
    if (e->hash == h && e->type == type && e->url_len == url_len && e->host_len == page_host_len &&
        memcmp(e->url, url, url_len) == 0 && memcmp(e->host, page->host, page_host_len) == 0) {
        ++cache->hits;
        *out = e->decision;
        return 1;
    }
    ++cache->misses;
    if (omote_rules_decide(page->rules, &req, out) != 0)
        return 0;
    e->hash = h;
    e->type = (uint8_t)type;
    e->url_len = (uint16_t)url_len;
    e->host_len = (uint8_t)page_host_len;
    memcpy(e->url, url, url_len);
    memcpy(e->host, page->host, page_host_len);
    e->decision = *out;
    return 1;
}

int omote_tracker_judge_url(const omote_tracker_page_t *page, const char *ref, size_t len, omote_rules_type_t type,
                            omote_tracker_why_t *why)
{
    char url[OMOTE_TRACKER_MAX_URL], host[256];
    size_t url_len, host_len;
    if (resolve(page->url, ref, len, url, sizeof(url), &url_len, host, sizeof(host), &host_len) != 0)
        return 0;
    int vendor = page->policy != NULL ? omote_policy_vendor_of_host(page->policy, host, host_len) : -1;
    omote_rules_decision_t decision = {0};
    if (vendor >= 0) {
        if (omote_policy_vendor_allowed(page->policy, page->granted, vendor))
            return 0;
    } else {
        if (page->rules == NULL || !decide_cached(page, url, url_len, host, type, &decision) || !decision.is_blocked)
            return 0;
    }
    if (why != NULL) {
        why->source = vendor >= 0 ? OMOTE_TRACKER_BY_VENDOR : OMOTE_TRACKER_BY_RULE;
        why->type = type;
        memcpy(why->url, url, url_len + 1); /* url_len < OMOTE_TRACKER_MAX_URL == sizeof(why->url) */
        why->decision = decision;
        why->vendor = vendor;
        why->signature = NULL;
    }
    return 1;
}

/* srcset: comma-separated candidates, each a URL followed by an optional descriptor */
static int judge_srcset(const omote_tracker_page_t *page, const char *v, size_t len, omote_tracker_why_t *why)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == ',' || v[i] == '\t' || v[i] == '\n'))
            ++i;
        size_t start = i;
        while (i < len && v[i] != ' ' && v[i] != '\t' && v[i] != '\n')
            ++i;
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

static int tag_is(const omote_html_token_t *tag, const char *name)
{
    return tag->name.len == strlen(name) && memcmp(tag->name.base, name, tag->name.len) == 0;
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

/* every name omote_tracker_judge_tag below asks about */
int omote_tracker_reads_attributes(const char *name, size_t len)
{
    static const char *const names[] = {"script", "img",   "source", "input", "iframe", "frame",
                                        "embed",  "object", "video", "audio", "link",   NULL};
    for (const char *const *n = names; *n != NULL; ++n)
        if (strlen(*n) == len && memcmp(*n, name, len) == 0)
            return 1;
    return 0;
}

omote_rewrite_verdict_t omote_tracker_judge_tag(const omote_tracker_page_t *page, const omote_html_token_t *tag,
                                                omote_tracker_why_t *why)
{
    if (tag_is(tag, "script")) {
        if (find_attr(tag, "src") != NULL)
            return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_SCRIPT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
        return is_executable_script(tag) ? OMOTE_REWRITE_INSPECT : OMOTE_REWRITE_KEEP;
    }
    if (tag_is(tag, "img") || tag_is(tag, "source") || (tag_is(tag, "input") && value_is(find_attr(tag, "type"), "image"))) {
        const omote_html_attr_t *srcset = find_attr(tag, "srcset");
        omote_rules_type_t type = tag_is(tag, "source") && srcset == NULL ? OMOTE_RULES_TYPE_MEDIA : OMOTE_RULES_TYPE_IMAGE;
        if (attr_blocked(page, tag, "src", type, why) || attr_blocked(page, tag, "data-src", OMOTE_RULES_TYPE_IMAGE, why) ||
            (srcset != NULL && judge_srcset(page, srcset->value.base, srcset->value.len, why)))
            return OMOTE_REWRITE_REMOVE;
        return OMOTE_REWRITE_KEEP;
    }
    if (tag_is(tag, "iframe") || tag_is(tag, "frame"))
        return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_SUBDOCUMENT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    if (tag_is(tag, "embed"))
        return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_OBJECT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    if (tag_is(tag, "object"))
        return attr_blocked(page, tag, "data", OMOTE_RULES_TYPE_OBJECT, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    if (tag_is(tag, "video") || tag_is(tag, "audio"))
        return attr_blocked(page, tag, "src", OMOTE_RULES_TYPE_MEDIA, why) ? OMOTE_REWRITE_REMOVE : OMOTE_REWRITE_KEEP;
    if (tag_is(tag, "link")) {
        int type = link_type(tag);
        if (type >= 0 && attr_blocked(page, tag, "href", (omote_rules_type_t)type, why))
            return OMOTE_REWRITE_REMOVE;
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

/*
 * Loaders that build the scheme at run time spell the rest as a string literal that starts with
 * a host: "js-agent.newrelic.com/nr.js", or ".scorecardresearch.com/beacon.js" after a
 * protocol-dependent subdomain. Such literals are judged as script URLs on that host.
 */
static omote_rewrite_verdict_t judge_bare_hosts(const omote_tracker_page_t *page, const char *text, size_t len, size_t budget,
                                                omote_tracker_why_t *why)
{
    /* the next '"', '\'' and '`' at or after i, each found by memchr and looked for again only once passed */
    static const char quotes[3] = {'"', '\'', '`'};
    size_t next[3] = {0, 0, 0};
    int is_known[3] = {0, 0, 0};
    for (size_t i = 0; i < len && budget != 0; ++i) {
        size_t at = len;
        for (int k = 0; k != 3; ++k) {
            if (!is_known[k] || next[k] < i) {
                const char *found = memchr(text + i, quotes[k], len - i);
                next[k] = found != NULL ? (size_t)(found - text) : len;
                is_known[k] = 1;
            }
            if (next[k] < at)
                at = next[k];
        }
        if (at == len)
            break;
        i = at;
        char q = text[i];
        size_t start = i + 1, end = start;
        while (end < len && text[end] != q && text[end] != '\n' && text[end] != '\\')
            ++end;
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
 * Loader snippets name their tracker as a URL ("https://www.googletagmanager.com/gtm.js", or
 * "https:\/\/..." inside JSON): every "//host" with a dot in the host is judged as a script request.
 */
omote_rewrite_verdict_t omote_tracker_judge_script_text(const omote_tracker_page_t *page, const char *text, size_t len,
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
        /* both "//" and "\\/\\/" hold a '/' at their second byte: jump from one '/' to the next */
        const char *slash = memchr(text + i, '/', len - i);
        if (slash == NULL)
            break;
        size_t p = slash - text, skip;
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
        /* the path, up to where the string literal or the URL ends */
        while (j < len && n + 1 < sizeof(ref) && text[j] != '"' && text[j] != '\'' && text[j] != '`' && text[j] != ' ' &&
               text[j] != '\n' && text[j] != ')' && text[j] != ';') {
            if (text[j] == '\\' && j + 1 < len && text[j + 1] == '/') {
                ++j;
                continue;
            }
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
