/*
 * Consent policy compiled from the configuration. Vendors and purposes are few (tens), so lookups
 * are plain scans over compact arrays; the one place with volume, inline script text, is searched
 * with memmem per signature.
 *
 * Failure policy: a malformed signatures file refuses the whole configuration (a half-read list
 * would let snippets through silently); a cookie no purpose declares follows
 * trackers.unknown_cookies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "omote/cookie.h"
#include "omote/policy.h"
#include "omote/ui_assets.h"
#include <openssl/evp.h>
#include <pthread.h>
#include "omote/query.h"

#define ANCHOR_BITS 12 /* 4096 hash buckets for the first four bytes of each signature */

struct st_omote_policy_t {
    const omote_config_t *conf;
    omote_purpose_set_t necessary;
    omote_purpose_set_t identifier; /* purposes with needs_identifier */
    omote_purpose_set_t gpc;        /* purposes "Sec-GPC: 1" denies by default */
    omote_signature_t *signatures;
    size_t num_signatures;
    /*
     * One pass over script text instead of one memmem per signature, looking only at every
     * `stride`-th position: each signature is filed under the hash of four bytes at each offset
     * below the stride (all within it, as stride + 3 <= its length), so wherever it occurs one of
     * the positions looked at falls on one of its anchors. Chains run through anchors[].next
     * (indexes + 1; 0 ends a chain).
     */
    uint32_t bucket_head[1 << ANCHOR_BITS];
    struct st_anchor_t {
        uint32_t signature, offset, next;
    } * anchors;
    size_t stride;
    char *signature_text; /* owned copy of the file; signatures point into it */
    char permissions_policy[1024];
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size);
    if (p == NULL)
        abort();
    return p;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* trims [*start, *end) of blanks */
static void trim(const char **start, const char **end)
{
    while (*start < *end && is_space(**start))
        ++*start;
    while (*end > *start && is_space((*end)[-1]))
        --*end;
}

static int find_vendor(const omote_config_t *conf, const char *name, size_t len)
{
    for (size_t i = 0; i != conf->num_vendors; ++i)
        if (strlen(conf->vendors[i].name) == len && strncasecmp(conf->vendors[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* "vendor | signature" lines; '#' starts a comment line; blank lines are skipped */
static int parse_signatures(omote_policy_t *policy, const char *name, char *err, size_t errlen)
{
    char *text = policy->signature_text;
    size_t cap = 0;
    unsigned line_no = 0;
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        char *end = nl != NULL ? nl : line + strlen(line);
        ++line_no;
        const char *s = line, *e = end;
        trim(&s, &e);
        if (s != e && *s != '#') {
            const char *bar = memchr(s, '|', e - s);
            if ((size_t)(end - line) > OMOTE_SIGNATURE_MAX_LINE) {
                snprintf(err, errlen, "%s:%u: line longer than %d bytes", name, line_no, OMOTE_SIGNATURE_MAX_LINE);
                return -1;
            }
            if (bar == NULL) {
                snprintf(err, errlen, "%s:%u: expected \"vendor | signature\"", name, line_no);
                return -1;
            }
            const char *vs = s, *ve = bar, *ss = bar + 1, *se = e;
            trim(&vs, &ve);
            trim(&ss, &se);
            if (vs == ve) {
                snprintf(err, errlen, "%s:%u: the vendor name before '|' is empty", name, line_no);
                return -1;
            }
            if ((size_t)(se - ss) < OMOTE_SIGNATURE_MIN_LEN) {
                snprintf(err, errlen, "%s:%u: signature \"%.*s\" is shorter than %d bytes: it would match ordinary code", name,
                         line_no, (int)(se - ss), ss, OMOTE_SIGNATURE_MIN_LEN);
                return -1;
            }
            if (policy->num_signatures == cap) {
                cap = cap * 2 + 16;
                policy->signatures = realloc(policy->signatures, cap * sizeof(*policy->signatures));
                if (policy->signatures == NULL)
                    abort();
            }
            /* the copy is ours: cut the names in place so each is a C string */
            ((char *)ve)[0] = '\0';
            policy->signatures[policy->num_signatures++] = (omote_signature_t){
                vs, find_vendor(policy->conf, vs, ve - vs), ss, (size_t)(se - ss), line_no};
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    return 0;
}

static uint32_t anchor_hash(const char *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof(w));
    return (w * 0x9e3779b1u) >> (32 - ANCHOR_BITS);
}

#define MAX_STRIDE 8

static void index_signatures(omote_policy_t *policy)
{
    size_t stride = MAX_STRIDE;
    for (size_t i = 0; i != policy->num_signatures; ++i)
        if (policy->signatures[i].len - 3 < stride)
            stride = policy->signatures[i].len - 3; /* >= OMOTE_SIGNATURE_MIN_LEN - 3 */
    policy->stride = stride;
    policy->anchors = xcalloc(policy->num_signatures * stride, sizeof(*policy->anchors));
    size_t n = 0;
    for (size_t i = 0; i != policy->num_signatures; ++i) {
        for (size_t o = 0; o != stride; ++o) {
            uint32_t h = anchor_hash(policy->signatures[i].text + o);
            policy->anchors[n] = (struct st_anchor_t){(uint32_t)i, (uint32_t)o, policy->bucket_head[h]};
            policy->bucket_head[h] = (uint32_t)++n;
        }
    }
}

omote_policy_t *omote_policy_create(const omote_config_t *conf, const char *signatures, size_t len, const char *signatures_name,
                                    char *err, size_t errlen)
{
    omote_policy_t *policy = xcalloc(1, sizeof(*policy));
    policy->conf = conf;
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        if (conf->purposes[i].strictly_necessary)
            policy->necessary |= (omote_purpose_set_t)1 << i;
        if (conf->purposes[i].needs_identifier && !conf->purposes[i].strictly_necessary)
            policy->identifier |= (omote_purpose_set_t)1 << i;
        if (conf->purposes[i].gpc)
            policy->gpc |= (omote_purpose_set_t)1 << i;
    }

    size_t used = 0;
    for (size_t i = 0; i != conf->headers.num_permissions_policy_deny; ++i) {
        int n = snprintf(policy->permissions_policy + used, sizeof(policy->permissions_policy) - used, "%s%s=()", i == 0 ? "" : ", ",
                         conf->headers.permissions_policy_deny[i]);
        if (n < 0 || (size_t)n >= sizeof(policy->permissions_policy) - used) {
            snprintf(err, errlen, "headers.permissions_policy_deny: longer than %zu bytes in all", sizeof(policy->permissions_policy));
            omote_policy_free(policy);
            return NULL;
        }
        used += (size_t)n;
    }

    if (signatures != NULL) {
        if (memchr(signatures, '\0', len) != NULL) {
            snprintf(err, errlen, "%s: holds a NUL byte; expected text", signatures_name);
            omote_policy_free(policy);
            return NULL;
        }
        policy->signature_text = xcalloc(len + 1, 1);
        memcpy(policy->signature_text, signatures, len);
        if (parse_signatures(policy, signatures_name, err, errlen) != 0) {
            omote_policy_free(policy);
            return NULL;
        }
        index_signatures(policy);
    }
    return policy;
}

void omote_policy_free(omote_policy_t *policy)
{
    if (policy == NULL)
        return;
    free(policy->anchors);
    free(policy->signatures);
    free(policy->signature_text);
    free(policy);
}

omote_purpose_set_t omote_policy_necessary(const omote_policy_t *policy)
{
    return policy->necessary;
}

omote_purpose_set_t omote_policy_identifier_purposes(const omote_policy_t *policy)
{
    return policy->identifier;
}

omote_purpose_set_t omote_policy_gpc_purposes(const omote_policy_t *policy)
{
    return policy->gpc;
}

omote_purpose_set_t omote_policy_apply_gpc(const omote_policy_t *policy, omote_purpose_set_t granted, omote_purpose_set_t named)
{
    return granted & ~(policy->gpc & ~named & ~policy->necessary);
}

/* whether `host` is `domain` or a subdomain of it */
static int host_within(const char *host, size_t len, const char *domain)
{
    size_t dl = strlen(domain);
    if (len < dl || memcmp(host + len - dl, domain, dl) != 0)
        return 0;
    return len == dl || host[len - dl - 1] == '.';
}

int omote_policy_vendor_of_host(const omote_policy_t *policy, const char *host, size_t len)
{
    const omote_config_t *conf = policy->conf;
    for (size_t i = 0; i != conf->num_vendors; ++i)
        for (size_t k = 0; k != conf->vendors[i].num_hosts; ++k)
            if (host_within(host, len, conf->vendors[i].hosts[k]))
                return (int)i;
    return -1;
}

int omote_policy_vendor_of_path(const omote_policy_t *policy, const char *path, size_t len)
{
    const omote_config_t *conf = policy->conf;
    for (size_t i = 0; i != conf->num_vendors; ++i)
        for (size_t k = 0; k != conf->vendors[i].num_paths; ++k)
            if (omote_query_name_matches(conf->vendors[i].paths[k], path, len))
                return (int)i;
    return -1;
}

int omote_policy_vendor_allowed(const omote_policy_t *policy, omote_purpose_set_t granted, int vendor)
{
    if (vendor < 0 || (size_t)vendor >= policy->conf->num_vendors)
        return 0;
    return (granted >> policy->conf->vendors[vendor].purpose) & 1;
}

/*
 * The signature that occurs earliest in `text`; at one position, the first in file order. The
 * position looked at, i, finds the occurrences starting in (i - stride, i]: those ranges follow
 * one another, so the first that holds any gives the answer.
 */
const omote_signature_t *omote_policy_find_signature(const omote_policy_t *policy, const char *text, size_t len)
{
    if (policy->num_signatures == 0 || len < 4)
        return NULL;
    for (size_t i = 0; i + 4 <= len; i += policy->stride) {
        const omote_signature_t *best = NULL;
        size_t best_at = 0;
        for (uint32_t k = policy->bucket_head[anchor_hash(text + i)]; k != 0; k = policy->anchors[k - 1].next) {
            const struct st_anchor_t *a = &policy->anchors[k - 1];
            const omote_signature_t *sig = policy->signatures + a->signature;
            if (a->offset > i)
                continue;
            size_t at = i - a->offset;
            if (sig->len <= len - at && memcmp(text + at, sig->text, sig->len) == 0 &&
                (best == NULL || at < best_at || (at == best_at && sig < best))) {
                best = sig;
                best_at = at;
            }
        }
        if (best != NULL)
            return best;
    }
    return NULL;
}

size_t omote_policy_num_signatures(const omote_policy_t *policy)
{
    return policy->num_signatures;
}

int omote_policy_cookie_purpose(const omote_policy_t *policy, const char *name, size_t len)
{
    const omote_config_t *conf = policy->conf;
    omote_cookie_str_t n = {name, len};
    for (size_t i = 0; i != conf->num_purposes; ++i)
        for (size_t k = 0; k != conf->purposes[i].num_cookies; ++k)
            if (omote_cookie_name_matches(n, conf->purposes[i].cookies[k]))
                return (int)i;
    return -1;
}

omote_cookie_verdict_t omote_policy_judge_cookie(const omote_policy_t *policy, omote_purpose_set_t granted, const char *name,
                                                 size_t len, int *purpose)
{
    int p = omote_policy_cookie_purpose(policy, name, len);
    if (purpose != NULL)
        *purpose = p;
    if (p >= 0)
        return (granted >> p) & 1 ? OMOTE_COOKIE_KEEP : OMOTE_COOKIE_DROP;
    return policy->conf->trackers.unknown_cookies == OMOTE_UNKNOWN_COOKIES_BLOCK ? OMOTE_COOKIE_DROP : OMOTE_COOKIE_KEEP_UNKNOWN;
}

const char *omote_policy_permissions_policy(const omote_policy_t *policy)
{
    return policy->permissions_policy;
}

struct st_writer_t {
    char *out;
    size_t size, len;
    int overflow;
};

static void put(struct st_writer_t *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->size) {
        w->overflow = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    w->out[w->len] = '\0';
}

static void puts_(struct st_writer_t *w, const char *s)
{
    put(w, s, strlen(s));
}

static int is_vendor_directive(const omote_config_t *conf, const char *name)
{
    for (size_t i = 0; i != conf->headers.num_csp_vendor_directives; ++i)
        if (strcmp(conf->headers.csp_vendor_directives[i], name) == 0)
            return 1;
    return 0;
}

static const omote_csp_directive_t *find_directive(const omote_config_t *conf, const char *name)
{
    for (size_t i = 0; i != conf->headers.num_csp_directives; ++i)
        if (strcmp(conf->headers.csp_directives[i].name, name) == 0)
            return conf->headers.csp_directives + i;
    return NULL;
}

static void put_sources(struct st_writer_t *w, const omote_csp_directive_t *d)
{
    for (size_t k = 0; d != NULL && k != d->num_sources; ++k) {
        puts_(w, " ");
        puts_(w, d->sources[k]);
    }
}

/* a vendor's host and everything below it: "h *.h" */
static void put_vendor_hosts(struct st_writer_t *w, const omote_policy_t *policy, omote_purpose_set_t granted)
{
    const omote_config_t *conf = policy->conf;
    for (size_t i = 0; i != conf->num_vendors; ++i) {
        if (!omote_policy_vendor_allowed(policy, granted, (int)i))
            continue;
        for (size_t k = 0; k != conf->vendors[i].num_hosts; ++k) {
            puts_(w, " ");
            puts_(w, conf->vendors[i].hosts[k]);
            puts_(w, " *.");
            puts_(w, conf->vendors[i].hosts[k]);
        }
    }
}

static int any_vendor_allowed(const omote_policy_t *policy, omote_purpose_set_t granted)
{
    for (size_t i = 0; i != policy->conf->num_vendors; ++i)
        if (omote_policy_vendor_allowed(policy, granted, (int)i) && policy->conf->vendors[i].num_hosts != 0)
            return 1;
    return 0;
}

/*
 * The banner's inline <style> (src/ui/assets/banner.css) is allowed by its hash in the directive
 * that governs <style> elements, unless that directive has 'unsafe-inline', which a hash source
 * would switch off for the retailer's own inline styles.
 */
static const omote_csp_directive_t *inline_style_directive(const omote_config_t *conf)
{
    static const char *const governing[] = {"style-src-elem", "style-src", "default-src"};
    for (size_t i = 0; i != sizeof(governing) / sizeof(governing[0]); ++i) {
        const omote_csp_directive_t *d = find_directive(conf, governing[i]);
        if (d == NULL)
            continue;
        for (size_t k = 0; k != d->num_sources; ++k)
            if (strcmp(d->sources[k], "'unsafe-inline'") == 0)
                return NULL;
        return d;
    }
    return NULL;
}

static char banner_style_source[96]; /* "'sha256-<base64>'", or "" when the digest failed */
static pthread_once_t banner_style_once = PTHREAD_ONCE_INIT;

static void hash_banner_style(void)
{
    int is_hashed;
    const omote_ui_asset_t *css = omote_ui_asset_find("banner.css", strlen("banner.css"), &is_hashed);
    unsigned char digest[EVP_MAX_MD_SIZE], b64[64];
    unsigned len = 0;
    if (css == NULL || EVP_Digest(css->bytes, css->len, digest, &len, EVP_sha256(), NULL) != 1)
        return;
    EVP_EncodeBlock(b64, digest, (int)len); /* CSP hash sources are standard, padded base64 */
    snprintf(banner_style_source, sizeof(banner_style_source), "'sha256-%s'", b64);
}

static void put_banner_style_hash(struct st_writer_t *w)
{
    pthread_once(&banner_style_once, hash_banner_style);
    if (banner_style_source[0] != '\0') {
        puts_(w, " ");
        puts_(w, banner_style_source);
    }
}

size_t omote_policy_build_csp(const omote_policy_t *policy, omote_purpose_set_t granted, char *out, size_t outsz)
{
    const omote_config_t *conf = policy->conf;
    struct st_writer_t w = {out, outsz, 0, 0};
    if (outsz != 0)
        out[0] = '\0';
    if (conf->headers.csp_mode == OMOTE_CSP_OFF)
        return 0;
    const omote_csp_directive_t *style_directive = inline_style_directive(conf);
    for (size_t i = 0; i != conf->headers.num_csp_directives; ++i) {
        const omote_csp_directive_t *d = conf->headers.csp_directives + i;
        if (i != 0)
            puts_(&w, "; ");
        puts_(&w, d->name);
        put_sources(&w, d);
        if (is_vendor_directive(conf, d->name))
            put_vendor_hosts(&w, policy, granted);
        if (conf->banner.enabled && d == style_directive)
            put_banner_style_hash(&w);
    }
    /* a vendor directive left out falls back to default-src, which does not name the vendor: say it */
    const omote_csp_directive_t *fallback = find_directive(conf, "default-src");
    if (fallback != NULL && any_vendor_allowed(policy, granted)) {
        for (size_t i = 0; i != conf->headers.num_csp_vendor_directives; ++i) {
            const char *name = conf->headers.csp_vendor_directives[i];
            if (find_directive(conf, name) != NULL)
                continue;
            puts_(&w, "; ");
            puts_(&w, name);
            put_sources(&w, fallback);
            put_vendor_hosts(&w, policy, granted);
        }
    }
    if (conf->headers.csp_report) {
        puts_(&w, "; report-uri ");
        puts_(&w, conf->api.prefix);
        puts_(&w, "csp-report");
    }
    return w.overflow ? SIZE_MAX : w.len;
}
