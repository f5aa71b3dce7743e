/* Unit tests for the compiled consent policy: cookies by purpose, vendors by host and path, loader
 * signatures from their data file, and the headers that follow from a visitor's choices. */
#include <stdint.h>
#include <string.h>
#include "omote/config.h"
#include "omote/policy.h"
#include "tap.h"

static const char config_json[] =
    "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}], \"origin\": {\"url\": \"http://127.0.0.1:8081/\"},"
    " \"purposes\": ["
    "  {\"id\": \"necessary\", \"strictly_necessary\": true, \"cookies\": [\"session\", \"cart_*\"]},"
    "  {\"id\": \"analytics\", \"needs_identifier\": true, \"cookies\": [\"_ga*\", \"_gid\"]},"
    "  {\"id\": \"marketing\", \"gpc\": true, \"cookies\": [\"_fbp\", \"_gcl_*\"]}],"
    " \"vendors\": ["
    "  {\"name\": \"Google Analytics\", \"purpose\": \"analytics\", \"hosts\": [\"google-analytics.com\", \"googletagmanager.com\"],"
    "   \"paths\": [\"/ga/*\"]},"
    "  {\"name\": \"Meta Pixel\", \"purpose\": \"marketing\", \"hosts\": [\"connect.facebook.net\"]}],"
    " \"headers\": {\"csp\": {\"mode\": \"enforce\", \"directives\": {\"default-src\": [\"'self'\"], \"script-src\": [\"'self'\"]},"
    "  \"vendor_directives\": [\"script-src\", \"img-src\"]}},"
    " \"trackers\": {\"unknown_cookies\": \"report\"}}";

static const char signatures[] = "# loader snippets\n"
                                 "Google Analytics | gtag('config'\n"
                                 "\n"
                                 "  Hotjar   |  static.hotjar.com/c/hotjar-  \n"
                                 "Meta Pixel|fbq('init'\n";

static omote_config_t *load_config(const char *json)
{
    omote_config_t *conf = NULL;
    omote_config_error_t err;
    if (omote_config_load_string(json, strlen(json), "policy.json", &conf, &err) != 0)
        printf("# %s\n", err.text);
    return conf;
}

static void check_bad_signatures(const omote_config_t *conf, const char *text, const char *expected, const char *what)
{
    char err[256] = "";
    omote_policy_t *p = omote_policy_create(conf, text, strlen(text), "sig.txt", err, sizeof(err));
    ok(p == NULL, "%s: refused", what);
    is_str(err, expected, "%s: message", what);
    omote_policy_free(p);
}

/* The earliest signature by brute force (at one position, the first in file order): what
 * omote_policy_find_signature must answer however it skips through the text. */
static const char *naive_find(const char *const *sigs, size_t n, const char *text, size_t len, size_t *index)
{
    for (size_t at = 0; at != len; ++at)
        for (size_t k = 0; k != n; ++k)
            if (strlen(sigs[k]) <= len - at && memcmp(text + at, sigs[k], strlen(sigs[k])) == 0) {
                *index = k;
                return text + at;
            }
    return NULL;
}

/* signatures sharing prefixes and anchors, found at every offset from the start and the end */
static void test_signature_positions(const omote_config_t *conf)
{
    static const char *const sigs[] = {"abcdef", "abcdefgh", "bcdefg", "zzzzzzzzzzzzz", "cdefgh"};
    const char file[] = "A | abcdef\nB | abcdefgh\nC | bcdefg\nD | zzzzzzzzzzzzz\nE | cdefgh\n";
    char err[256] = "";
    omote_policy_t *p = omote_policy_create(conf, file, strlen(file), "pos.txt", err, sizeof(err));
    ok(p != NULL, "overlapping signatures compile (%s)", err);
    if (p == NULL)
        return;
    static const char *const pieces[] = {"abcdefgh", "bcdefg", "zzzzzzzzzzzzz", "cdefgh", "abcde", "zzzz"};
    int mismatches = 0, found = 0;
    unsigned seed = 1;
    for (int round = 0; round != 3000; ++round) {
        char text[64];
        size_t len = 0, pad = (size_t)round % 11;
        memset(text, '.', pad);
        len = pad;
        seed = seed * 1103515245u + 12345u;
        const char *piece = pieces[(seed >> 16) % 6];
        memcpy(text + len, piece, strlen(piece));
        len += strlen(piece);
        size_t tail = (seed >> 8) % 9;
        memset(text + len, 'x', tail);
        len += tail;
        if ((seed >> 4) & 1) { /* a second candidate after the first */
            piece = pieces[(seed >> 20) % 6];
            memcpy(text + len, piece, strlen(piece));
            len += strlen(piece);
        }
        size_t want_index = 0;
        const char *want = naive_find(sigs, 5, text, len, &want_index);
        const omote_signature_t *got = omote_policy_find_signature(p, text, len);
        found += want != NULL;
        if (want == NULL ? got != NULL : got == NULL || got->line != want_index + 1)
            ++mismatches;
    }
    is_int(mismatches, 0, "the earliest signature (first in file order at one position), wherever it starts");
    ok(found > 1000, "most texts hold one");
    omote_policy_free(p);
}

int main(void)
{
    omote_config_t *conf = load_config(config_json);
    ok(conf != NULL, "configuration loads");
    if (conf == NULL)
        return 1;
    char err[256] = "";
    omote_policy_t *p = omote_policy_create(conf, signatures, strlen(signatures), "sig.txt", err, sizeof(err));
    ok(p != NULL, "policy compiles (%s)", err);

    /* purposes */
    is_int(omote_policy_necessary(p), 1, "only the strictly necessary purpose is granted without consent");
    omote_purpose_set_t none = omote_policy_necessary(p), analytics = none | 2, all = 7;
    is_int(omote_policy_identifier_purposes(p), 2, "needs_identifier: analytics");
    is_int(omote_policy_gpc_purposes(p), 4, "gpc: marketing");
    is_int(omote_policy_apply_gpc(p, all, 0), 3, "GPC with accept-all: marketing stays denied");
    is_int(omote_policy_apply_gpc(p, all, 4), 7, "GPC: marketing granted by name wins");
    is_int(omote_policy_apply_gpc(p, analytics, 0), 3, "GPC leaves other purposes alone");

    /* cookies */
    int purpose;
    is_int(omote_policy_judge_cookie(p, none, "session", 7, &purpose), OMOTE_COOKIE_KEEP, "necessary cookie kept");
    is_int(purpose, 0, "its purpose named");
    is_int(omote_policy_judge_cookie(p, none, "cart_42", 7, NULL), OMOTE_COOKIE_KEEP, "necessary prefix kept");
    is_int(omote_policy_judge_cookie(p, none, "_ga", 3, &purpose), OMOTE_COOKIE_DROP, "_ga dropped without consent");
    is_int(purpose, 1, "_ga is analytics");
    is_int(omote_policy_judge_cookie(p, none, "_ga_ABC123", 10, NULL), OMOTE_COOKIE_DROP, "_ga_* dropped without consent");
    is_int(omote_policy_judge_cookie(p, analytics, "_ga_ABC123", 10, NULL), OMOTE_COOKIE_KEEP, "_ga_* kept with analytics");
    is_int(omote_policy_judge_cookie(p, analytics, "_fbp", 4, NULL), OMOTE_COOKIE_DROP, "_fbp needs marketing");
    is_int(omote_policy_judge_cookie(p, all, "_fbp", 4, NULL), OMOTE_COOKIE_KEEP, "_fbp kept with marketing");
    is_int(omote_policy_judge_cookie(p, all, "_GA", 3, &purpose), OMOTE_COOKIE_KEEP_UNKNOWN, "names are case-sensitive");
    is_int(purpose, -1, "unknown cookie has no purpose");
    is_int(omote_policy_judge_cookie(p, none, "_gidx", 5, NULL), OMOTE_COOKIE_KEEP_UNKNOWN, "exact pattern is exact");
    is_int(omote_policy_judge_cookie(p, none, "", 0, NULL), OMOTE_COOKIE_KEEP_UNKNOWN, "an empty name is unknown");

    /* vendors */
    is_int(omote_policy_vendor_of_host(p, "www.google-analytics.com", 24), 0, "subdomain belongs to the vendor");
    is_int(omote_policy_vendor_of_host(p, "google-analytics.com", 20), 0, "the host itself");
    is_int(omote_policy_vendor_of_host(p, "evilgoogle-analytics.com", 24), -1, "a label boundary is required");
    is_int(omote_policy_vendor_of_host(p, "connect.facebook.net", 20), 1, "second vendor");
    is_int(omote_policy_vendor_of_host(p, "facebook.net", 12), -1, "a parent of a vendor host is not the vendor");
    is_int(omote_policy_vendor_of_path(p, "/ga/collect", 11), 0, "first-party path of a vendor");
    is_int(omote_policy_vendor_of_path(p, "/gallery", 8), -1, "other paths are not");
    ok(!omote_policy_vendor_allowed(p, none, 0), "vendor not allowed without consent");
    ok(omote_policy_vendor_allowed(p, analytics, 0), "vendor allowed with its purpose");
    ok(!omote_policy_vendor_allowed(p, analytics, 1), "another purpose does not allow it");
    ok(!omote_policy_vendor_allowed(p, all, 7), "an out-of-range vendor is never allowed");

    /* signatures */
    is_int(omote_policy_num_signatures(p), 3, "three signatures, comments and blank lines skipped");
    const char snippet[] = "window.dataLayer=[];function gtag(){dataLayer.push(arguments)}gtag('config','G-1');";
    const omote_signature_t *sig = omote_policy_find_signature(p, snippet, strlen(snippet));
    ok(sig != NULL && strcmp(sig->vendor, "Google Analytics") == 0 && sig->line == 2 && sig->vendor_index == 0,
       "gtag snippet found, line 2, configured vendor");
    const char hotjar[] = "(function(h,o,t,j,a,r){r.src='https://static.hotjar.com/c/hotjar-'+h._hjSettings.hjid})";
    sig = omote_policy_find_signature(p, hotjar, strlen(hotjar));
    ok(sig != NULL && strcmp(sig->vendor, "Hotjar") == 0 && sig->vendor_index == -1 && sig->len == 27,
       "blanks around both parts trimmed; an unconfigured vendor has no index");
    ok(omote_policy_find_signature(p, "console.log('gtag')", 19) == NULL, "ordinary code has no signature");
    sig = omote_policy_find_signature(p, "fbq('init', '1');", 17);
    ok(sig != NULL && sig->vendor_index == 1, "vendor names match case-insensitively (Meta Pixel)");

    test_signature_positions(conf);
    check_bad_signatures(conf, "ok vendor | long enough\nno bar here\n", "sig.txt:2: expected \"vendor | signature\"", "missing bar");
    check_bad_signatures(conf, " | something\n", "sig.txt:1: the vendor name before '|' is empty", "empty vendor");
    check_bad_signatures(conf, "V | ym(\n",
                         "sig.txt:1: signature \"ym(\" is shorter than 6 bytes: it would match ordinary code", "short signature");
    check_bad_signatures(conf, "V | abc\0def\n", "sig.txt:1: signature \"abc\" is shorter than 6 bytes: it would match ordinary code",
                         "text up to a NUL");

    /* headers */
    is_str(omote_policy_permissions_policy(p), "browsing-topics=(), interest-cohort=()", "Permissions-Policy by default");
    char csp[512];
    size_t n = omote_policy_build_csp(p, none, csp, sizeof(csp));
    is_str(csp, "default-src 'self'; script-src 'self'; report-uri /_omote/csp-report", "CSP without consent names no vendor");
    is_int(n, strlen(csp), "length returned");
    omote_policy_build_csp(p, analytics, csp, sizeof(csp));
    is_str(csp,
           "default-src 'self'; script-src 'self' google-analytics.com *.google-analytics.com googletagmanager.com "
           "*.googletagmanager.com; img-src 'self' google-analytics.com *.google-analytics.com googletagmanager.com "
           "*.googletagmanager.com; report-uri /_omote/csp-report",
           "consented vendor's hosts added; a missing vendor directive starts from default-src");
    is_int(omote_policy_build_csp(p, all, csp, 40), SIZE_MAX, "too small a buffer is reported");
    omote_policy_free(p);
    omote_config_free(conf);

    /* CSP off, unknown cookies blocked, no Permissions-Policy */
    conf = load_config("{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}], \"origin\": {\"url\": \"http://127.0.0.1:8081/\"},"
                       " \"headers\": {\"permissions_policy_deny\": []}, \"trackers\": {\"unknown_cookies\": \"block\"}}");
    p = omote_policy_create(conf, NULL, 0, "none", err, sizeof(err));
    is_int(omote_policy_build_csp(p, 0, csp, sizeof(csp)), 0, "CSP off: nothing");
    is_str(omote_policy_permissions_policy(p), "", "Permissions-Policy off");
    is_int(omote_policy_judge_cookie(p, 0, "anything", 8, NULL), OMOTE_COOKIE_DROP, "unknown cookies blocked by policy");
    is_int(omote_policy_necessary(p), 0, "no purposes, nothing granted");
    omote_policy_free(p);
    omote_config_free(conf);
    return done_testing();
}
