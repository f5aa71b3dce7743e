/*
 * Unit tests for judging elements: URL resolution, which attribute of which element is judged as
 * which request type, inline loader snippets, and the whole chain (tokenizer, rewriter, rules)
 * over the project's demo shop pages with the project's own filter list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "omote/config.h"
#include "omote/tracker.h"
#include "tap.h"

static const char own_list[] = "! filters written for these tests\n"
                               "||googletagmanager.com^\n"
                               "||google-analytics.com^\n"
                               "||connect.facebook.net^$third-party\n"
                               "||facebook.com/tr^\n"
                               "||static.hotjar.com^\n"
                               "||px.ads.linkedin.com^\n"
                               "||doubleclick.net^$subdocument\n"
                               "/pixel.gif$image\n"
                               "@@||googletagmanager.com/allowed.js$script\n";

static void test_resolve(void)
{
    char url[512], host[128];
    const char *base = "https://Shop.example/products/tea.html?x=1";
    ok(omote_tracker_resolve_url(base, "https://a.example/x", 19, url, sizeof(url), host, sizeof(host)) == 0 &&
           strcmp(host, "a.example") == 0,
       "absolute");
    ok(omote_tracker_resolve_url(base, "//CDN.example/x.js", 18, url, sizeof(url), host, sizeof(host)) == 0 &&
           strcmp(url, "https://CDN.example/x.js") == 0 && strcmp(host, "cdn.example") == 0,
       "scheme-relative takes the page's scheme, host lowercased");
    ok(omote_tracker_resolve_url(base, "/app.js", 7, url, sizeof(url), host, sizeof(host)) == 0 &&
           strcmp(url, "https://Shop.example/app.js") == 0,
       "path-absolute");
    ok(omote_tracker_resolve_url(base, "img/a.png", 9, url, sizeof(url), host, sizeof(host)) == 0 &&
           strcmp(url, "https://Shop.example/products/img/a.png") == 0,
       "relative to the page's directory");
    ok(omote_tracker_resolve_url(base, "  //t.example/p \n", 17, url, sizeof(url), host, sizeof(host)) == 0 &&
           strcmp(host, "t.example") == 0,
       "surrounding white space ignored");
    ok(omote_tracker_resolve_url(base, "https://user@evil.example/p", 27, url, sizeof(url), host, sizeof(host)) == 0 &&
           strcmp(host, "evil.example") == 0,
       "userinfo is not the host");
    ok(omote_tracker_resolve_url(base, "data:image/gif;base64,R0lG", 26, url, sizeof(url), host, sizeof(host)) != 0,
       "data: makes no request");
    ok(omote_tracker_resolve_url(base, "javascript:void(0)", 18, url, sizeof(url), host, sizeof(host)) != 0, "javascript:");
}

/* judges the first start tag of `html` */
struct first_tag_t {
    const omote_tracker_page_t *page;
    omote_rewrite_verdict_t verdict;
    int seen;
};

static int on_token(void *ctx, const omote_html_token_t *t)
{
    struct first_tag_t *f = ctx;
    if (t->kind == OMOTE_HTML_START_TAG && !f->seen) {
        f->verdict = omote_tracker_judge_tag(f->page, t, NULL);
        f->seen = 1;
    }
    return 0;
}

static omote_rewrite_verdict_t judge(const omote_tracker_page_t *page, const char *html)
{
    struct first_tag_t f = {page};
    omote_html_tokenizer_t *tok = omote_html_tokenizer_create(&(omote_html_options_t){0});
    omote_html_tokenizer_feed(tok, html, strlen(html), 1, on_token, &f);
    omote_html_tokenizer_free(tok);
    return f.verdict;
}

static void test_tags(const omote_tracker_page_t *page)
{
    is_int(judge(page, "<script src=https://www.googletagmanager.com/gtag/js?id=G-1 async>"), OMOTE_REWRITE_REMOVE, "script src");
    is_int(judge(page, "<script src=https://www.googletagmanager.com/allowed.js>"), OMOTE_REWRITE_KEEP, "exception honoured");
    is_int(judge(page, "<script src=/app.js>"), OMOTE_REWRITE_KEEP, "first-party script");
    is_int(judge(page, "<script>var a=1</script>"), OMOTE_REWRITE_INSPECT, "inline script inspected");
    is_int(judge(page, "<script type=application/ld+json>{}</script>"), OMOTE_REWRITE_KEEP, "JSON-LD is not executed");
    is_int(judge(page, "<script type=module>import x</script>"), OMOTE_REWRITE_INSPECT, "module script inspected");
    is_int(judge(page, "<img src=\"https://www.facebook.com/tr?id=1&amp;ev=PageView\">"), OMOTE_REWRITE_REMOVE, "pixel with &amp;");
    is_int(judge(page, "<img src=/logo.svg srcset=\"/a.png 1x, https://px.ads.linkedin.com/collect 2x\">"), OMOTE_REWRITE_REMOVE,
           "tracker in srcset");
    is_int(judge(page, "<img data-src=//px.ads.linkedin.com/c>"), OMOTE_REWRITE_REMOVE, "lazy data-src");
    is_int(judge(page, "<img src=/img/pixel.gif>"), OMOTE_REWRITE_REMOVE, "path rule typed image");
    is_int(judge(page, "<link rel=preconnect href=https://www.google-analytics.com>"), OMOTE_REWRITE_REMOVE, "preconnect");
    is_int(judge(page, "<link rel=dns-prefetch href=//static.hotjar.com>"), OMOTE_REWRITE_REMOVE, "dns-prefetch");
    is_int(judge(page, "<link rel=canonical href=https://www.google-analytics.com/>"), OMOTE_REWRITE_KEEP,
           "rel=canonical fetches nothing");
    is_int(judge(page, "<iframe src=https://ad.doubleclick.net/x>"), OMOTE_REWRITE_REMOVE, "tracker iframe");
    is_int(judge(page, "<img src=https://ad.doubleclick.net/x>"), OMOTE_REWRITE_KEEP, "$subdocument rule spares an image");
    is_int(judge(page, "<a href=https://www.google-analytics.com/>"), OMOTE_REWRITE_KEEP, "links are not requests");
}

static void test_inline(const omote_tracker_page_t *page)
{
    const char gtm[] = "(function(w,d,s,l,i){w[l]=w[l]||[];var f=d.getElementsByTagName(s)[0],j=d.createElement(s);"
                       "j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i;f.parentNode.insertBefore(j,f);"
                       "})(window,document,'script','dataLayer','GTM-X');";
    omote_tracker_why_t why;
    is_int(omote_tracker_judge_script_text(page, gtm, sizeof(gtm) - 1, &why), OMOTE_REWRITE_REMOVE, "GTM loader");
    ok(strstr(why.url, "googletagmanager.com/gtm.js") != NULL && why.decision.line == 2, "why names the URL and the rule line");
    const char escaped[] = "{\"u\":\"https:\\/\\/connect.facebook.net\\/en_US\\/fbevents.js\"}";
    is_int(omote_tracker_judge_script_text(page, escaped, sizeof(escaped) - 1, NULL), OMOTE_REWRITE_REMOVE, "JSON-escaped URL");
    const char bare[] = "var s=document.createElement('script');s.src=(\"https:\"==location.protocol?\"https://sb\":\"http://b\")"
                        "+\".static.hotjar.com/beacon.js\";";
    is_int(omote_tracker_judge_script_text(page, bare, sizeof(bare) - 1, NULL), OMOTE_REWRITE_REMOVE,
           "a host literal after a run-time scheme (\".host/path\")");
    const char agent[] = "window.NREUM={loader_config:{agent:\"px.ads.linkedin.com/nr-1123.min.js\"}};";
    is_int(omote_tracker_judge_script_text(page, agent, sizeof(agent) - 1, NULL), OMOTE_REWRITE_REMOVE, "a host without scheme");
    const char plain[] = "var v='1.2.3', f='index.html', m='a.b', e='user@mail.example', d='google-analytics';";
    is_int(omote_tracker_judge_script_text(page, plain, sizeof(plain) - 1, NULL), OMOTE_REWRITE_KEEP,
           "versions, file names and other literals are not hosts of trackers");
    const char own[] = "document.querySelector('a').href='//shop.example/cart'; // a comment";
    is_int(omote_tracker_judge_script_text(page, own, sizeof(own) - 1, NULL), OMOTE_REWRITE_KEEP, "first-party script kept");
}

/* vendors decide before lists: without consent their tags go, with consent they stay */
static void test_vendors(const omote_rules_t *rules)
{
    static const char json[] =
        "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}], \"origin\": {\"url\": \"http://127.0.0.1:8081/\"},"
        " \"purposes\": [{\"id\": \"necessary\", \"strictly_necessary\": true}, {\"id\": \"analytics\"}, {\"id\": \"chat\"}],"
        " \"vendors\": [{\"name\": \"Google Analytics\", \"purpose\": \"analytics\", \"hosts\": [\"googletagmanager.com\"]},"
        "  {\"name\": \"Chat Widget\", \"purpose\": \"chat\", \"hosts\": [\"chat.example\"]}]}";
    static const char sigs[] = "Google Analytics | gtag('config'\nHotjar | _hjSettings\n";
    omote_config_t *conf = NULL;
    omote_config_error_t cerr;
    char err[256];
    if (omote_config_load_string(json, sizeof(json) - 1, "v.json", &conf, &cerr) != 0) {
        ok(0, "vendor configuration loads: %s", cerr.text);
        return;
    }
    omote_policy_t *policy = omote_policy_create(conf, sigs, sizeof(sigs) - 1, "sigs", err, sizeof(err));
    ok(policy != NULL, "vendor policy compiles (%s)", policy == NULL ? err : "");
    if (policy == NULL) {
        omote_config_free(conf);
        return;
    }
    omote_tracker_page_t page = {rules, "https://shop.example/", "shop.example", NULL, 0, policy, omote_policy_necessary(policy)};
    omote_tracker_why_t why;

    is_int(judge(&page, "<script src=https://chat.example/widget.js>"), OMOTE_REWRITE_REMOVE,
           "a vendor no list knows is removed without consent");
    ok(omote_tracker_judge_url(&page, "https://cdn.chat.example/w.js", 29, OMOTE_RULES_TYPE_SCRIPT, &why) &&
           why.source == OMOTE_TRACKER_BY_VENDOR && why.vendor == 1,
       "why names the vendor");
    is_int(judge(&page, "<script src=https://www.googletagmanager.com/gtag/js>"), OMOTE_REWRITE_REMOVE, "vendor tag without consent");
    page.granted |= 2; /* analytics */
    is_int(judge(&page, "<script src=https://www.googletagmanager.com/gtag/js>"), OMOTE_REWRITE_KEEP,
           "consent to its purpose keeps the vendor's tag although a list blocks its host");
    is_int(judge(&page, "<script src=https://chat.example/widget.js>"), OMOTE_REWRITE_REMOVE,
           "consent to another purpose does not");
    is_int(judge(&page, "<script src=https://static.hotjar.com/c/hotjar-1.js>"), OMOTE_REWRITE_REMOVE, "lists still apply to others");

    const char gtag[] = "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('config','G-1');";
    page.granted = omote_policy_necessary(policy);
    is_int(omote_tracker_judge_script_text(&page, gtag, sizeof(gtag) - 1, &why), OMOTE_REWRITE_REMOVE,
           "a loader signature removes an inline snippet that names no URL");
    ok(why.source == OMOTE_TRACKER_BY_SIGNATURE && why.signature != NULL && why.signature->line == 1 && why.vendor == 0,
       "why names the signature line and its vendor");
    page.granted |= 2;
    is_int(omote_tracker_judge_script_text(&page, gtag, sizeof(gtag) - 1, NULL), OMOTE_REWRITE_KEEP,
           "with consent to the signature's vendor the snippet stays");
    const char hj[] = "window._hjSettings={hjid:1,hjsv:6};";
    is_int(omote_tracker_judge_script_text(&page, hj, sizeof(hj) - 1, &why), OMOTE_REWRITE_REMOVE,
           "a signature of an unconfigured vendor is removed whatever the consent");
    is_int(why.vendor, -1, "no configured vendor");

    /* the cache keeps the vendor, not the verdict: consent differs per visitor */
    omote_tracker_cache_t *cache = omote_tracker_cache_create(0);
    uint64_t hits, misses;
    page.cache = cache;
    page.cache_epoch = 1;
    page.granted = omote_policy_necessary(policy);
    const char *chat = "https://chat.example/widget.js";
    ok(omote_tracker_judge_url(&page, chat, strlen(chat), OMOTE_RULES_TYPE_SCRIPT, &why) && why.vendor == 1 &&
           strcmp(why.url, chat) == 0,
       "cached vendor: removed without consent");
    page.granted |= 4; /* chat */
    ok(!omote_tracker_judge_url(&page, chat, strlen(chat), OMOTE_RULES_TYPE_SCRIPT, NULL), "and kept for a visitor who consented");
    page.granted = omote_policy_necessary(policy);
    memset(&why, 0, sizeof(why));
    ok(omote_tracker_judge_url(&page, chat, strlen(chat), OMOTE_RULES_TYPE_SCRIPT, &why) && why.vendor == 1 &&
           why.source == OMOTE_TRACKER_BY_VENDOR && strcmp(why.url, chat) == 0,
       "removed again for the next who did not, why filled from the cache");
    omote_tracker_cache_stats(cache, &hits, &misses);
    ok(hits == 2 && misses == 1, "one miss, two hits");

    /* an inline script's verdict is remembered per consent */
    is_int(omote_tracker_judge_script_text(&page, gtag, sizeof(gtag) - 1, NULL), OMOTE_REWRITE_REMOVE, "snippet without consent");
    page.granted |= 2;
    is_int(omote_tracker_judge_script_text(&page, gtag, sizeof(gtag) - 1, NULL), OMOTE_REWRITE_KEEP, "kept with consent");
    page.granted = omote_policy_necessary(policy);
    memset(&why, 0, sizeof(why));
    is_int(omote_tracker_judge_script_text(&page, gtag, sizeof(gtag) - 1, &why), OMOTE_REWRITE_REMOVE,
           "removed again for the next visitor without it");
    ok(why.source == OMOTE_TRACKER_BY_SIGNATURE && why.signature != NULL && why.signature->line == 1 && why.vendor == 0,
       "why from the cache names the signature line and its vendor");
    omote_tracker_cache_script_stats(cache, &hits, &misses);
    ok(hits == 1 && misses == 2, "two judged (one per consent), one from the cache");
    omote_tracker_cache_free(cache);
    omote_policy_free(policy);
    omote_config_free(conf);
}

/* the decision cache answers as the rules do, per page host and type, and forgets on a new epoch */
static void test_decision_cache(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(4);
    omote_tracker_page_t page = {rules, "https://shop.example/", "shop.example", NULL, 0, NULL, 0, cache, 7};
    omote_tracker_why_t a, b;
    uint64_t hits, misses;
    const char *gtm = "https://www.googletagmanager.com/gtm.js?id=1";
    ok(omote_tracker_judge_url(&page, gtm, strlen(gtm), OMOTE_RULES_TYPE_SCRIPT, &a), "blocked, asked the rules");
    ok(omote_tracker_judge_url(&page, gtm, strlen(gtm), OMOTE_RULES_TYPE_SCRIPT, &b), "blocked again, from the cache");
    omote_tracker_cache_stats(cache, &hits, &misses);
    ok(hits == 1 && misses == 1, "one miss, then one hit");
    ok(b.decision.line == a.decision.line && b.decision.list_name == a.decision.list_name && strcmp(a.url, b.url) == 0,
       "the cached answer names the same rule");
    ok(!omote_tracker_judge_url(&page, "/app.js", 7, OMOTE_RULES_TYPE_SCRIPT, NULL), "a kept URL");
    ok(!omote_tracker_judge_url(&page, "/app.js", 7, OMOTE_RULES_TYPE_SCRIPT, NULL), "kept again");
    ok(omote_tracker_judge_url(&page, "https://ad.doubleclick.net/x", 28, OMOTE_RULES_TYPE_SUBDOCUMENT, NULL) &&
           !omote_tracker_judge_url(&page, "https://ad.doubleclick.net/x", 28, OMOTE_RULES_TYPE_IMAGE, NULL),
       "the type is part of the key");
    page.host = "connect.facebook.net"; /* $third-party: from its own site the pixel is first party */
    ok(!omote_tracker_judge_url(&page, "https://connect.facebook.net/en_US/fbevents.js", 46, OMOTE_RULES_TYPE_SCRIPT, NULL),
       "the page host is part of the key");
    page.host = "shop.example";
    ok(omote_tracker_judge_url(&page, "https://connect.facebook.net/en_US/fbevents.js", 46, OMOTE_RULES_TYPE_SCRIPT, NULL),
       "and from the shop it is third party");
    omote_tracker_cache_stats(cache, &hits, &misses);
    uint64_t misses_before = misses;
    page.cache_epoch = 8;
    omote_tracker_judge_url(&page, gtm, strlen(gtm), OMOTE_RULES_TYPE_SCRIPT, NULL);
    omote_tracker_cache_stats(cache, &hits, &misses);
    is_int(misses - misses_before, 1, "a new epoch (a reload) forgets what was cached");
    omote_tracker_cache_free(cache);
}

/* a URL judged through `cache` answers as it does without one, `why` included */
static int same_with_cache(omote_tracker_page_t *page, omote_tracker_cache_t *cache, const char *ref, omote_rules_type_t type)
{
    omote_tracker_why_t a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    page->cache = NULL;
    int without = omote_tracker_judge_url(page, ref, strlen(ref), type, &a);
    page->cache = cache;
    int with = omote_tracker_judge_url(page, ref, strlen(ref), type, &b);
    if (without != with)
        return 0;
    return !without || (a.source == b.source && a.type == b.type && strcmp(a.url, b.url) == 0 && a.vendor == b.vendor &&
                        a.decision.line == b.decision.line && a.decision.list_name == b.decision.list_name);
}

/* what resolution reads of the page URL is part of the key; nothing else of it is */
static void test_cache_keys(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(64);
    omote_tracker_page_t page = {rules, "https://shop.example/a/", "shop.example", NULL, 0, NULL, 0, cache, 1};
    uint64_t hits, misses, hits_before, misses_before;
    ok(!omote_tracker_judge_url(&page, "pixel.gif", 9, OMOTE_RULES_TYPE_SCRIPT, NULL), "a relative URL, kept as a script");
    ok(omote_tracker_judge_url(&page, "pixel.gif", 9, OMOTE_RULES_TYPE_IMAGE, NULL), "blocked as an image");
    omote_tracker_cache_stats(cache, &hits_before, &misses_before);
    page.url = "https://shop.example/b/";
    ok(omote_tracker_judge_url(&page, "pixel.gif", 9, OMOTE_RULES_TYPE_IMAGE, NULL), "the same reference on another page");
    omote_tracker_cache_stats(cache, &hits, &misses);
    ok(misses == misses_before + 1, "a relative reference on another directory is a different key");
    const char *gtm = "https://www.googletagmanager.com/gtm.js";
    ok(omote_tracker_judge_url(&page, gtm, strlen(gtm), OMOTE_RULES_TYPE_SCRIPT, NULL), "absolute, from /b/");
    page.url = "https://shop.example/c/d?q=1";
    omote_tracker_cache_stats(cache, &hits_before, &misses_before);
    ok(omote_tracker_judge_url(&page, gtm, strlen(gtm), OMOTE_RULES_TYPE_SCRIPT, NULL), "absolute, from /c/");
    omote_tracker_cache_stats(cache, &hits, &misses);
    ok(hits == hits_before + 1, "an absolute reference is shared by every page of the site");

    /* keys that differ only late, or only in length, never share an answer */
    char a[300], b[300];
    memset(a, 'a', sizeof(a));
    memcpy(a, "https://cdn.example/", 20);
    memcpy(a + 280, "/pixel.gif", 11);
    memcpy(b, a, sizeof(b));
    b[285] = 'X'; /* "/pixeX.gif" */
    ok(omote_tracker_judge_url(&page, a, strlen(a), OMOTE_RULES_TYPE_IMAGE, NULL), "a long blocked URL");
    ok(!omote_tracker_judge_url(&page, b, strlen(b), OMOTE_RULES_TYPE_IMAGE, NULL), "one byte apart near its end: kept");
    ok(omote_tracker_judge_url(&page, a, strlen(a), OMOTE_RULES_TYPE_IMAGE, NULL), "and the first again: blocked");
    ok(!omote_tracker_judge_url(&page, a, 289, OMOTE_RULES_TYPE_IMAGE, NULL), "its prefix is another key");

    /* every form of reference answers as without a cache, on hits and misses alike */
    static const char *const refs[] = {"https://www.googletagmanager.com/gtm.js",
                                       "//www.google-analytics.com/a.js",
                                       "/pixel.gif",
                                       "img/pixel.gif",
                                       "  https://static.hotjar.com/c.js \n",
                                       "javascript:void(0)",
                                       "data:image/gif;base64,R0lGOD",
                                       "?pixel.gif",
                                       "#x",
                                       "",
                                       "https://px.ads.linkedin.com/collect"};
    int same = 1;
    for (int round = 0; round != 2; ++round)
        for (size_t i = 0; i != sizeof(refs) / sizeof(refs[0]); ++i)
            for (int type = 0; type != OMOTE_RULES_TYPE_COUNT; ++type)
                same &= same_with_cache(&page, cache, refs[i], (omote_rules_type_t)type);
    ok(same, "cached answers equal uncached ones for every form of reference and type");
    omote_tracker_cache_free(cache);
}

/* full: forgets everything and starts again, answering correctly throughout */
static void test_cache_eviction(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(8);
    omote_tracker_page_t page = {rules, "https://shop.example/", "shop.example", NULL, 0, NULL, 0, cache, 1};
    uint64_t hits, misses;
    int right = 1;
    for (int round = 0; round != 3; ++round) {
        for (int i = 0; i != 20; ++i) {
            char ref[64];
            int n = snprintf(ref, sizeof(ref), "https://t%d.example/%s", i, i % 2 ? "pixel.gif" : "app.js");
            right &= omote_tracker_judge_url(&page, ref, (size_t)n, OMOTE_RULES_TYPE_IMAGE, NULL) == (i % 2);
        }
    }
    ok(right, "twenty keys through eight entries, three times: every answer right");
    omote_tracker_cache_stats(cache, &hits, &misses);
    ok(misses == 60 && hits == 0, "cleared whenever full: a cycle longer than the cache never hits (%llu misses)",
       (unsigned long long)misses);
    for (int i = 0; i != 3; ++i)
        omote_tracker_judge_url(&page, "https://t1.example/pixel.gif", 28, OMOTE_RULES_TYPE_IMAGE, NULL);
    omote_tracker_cache_stats(cache, &hits, &misses);
    ok(hits == 2, "after a clear it fills again");

    /* another rule set (or policy) with the same epoch: not the same generation */
    omote_rules_t *other = omote_rules_create();
    const char list[] = "/app.js$image\n";
    omote_rules_add_list(other, "other", list, sizeof(list) - 1, NULL);
    omote_rules_compile(other);
    ok(!omote_tracker_judge_url(&page, "https://t0.example/app.js", 25, OMOTE_RULES_TYPE_IMAGE, NULL), "kept by the first rules");
    page.rules = other;
    ok(omote_tracker_judge_url(&page, "https://t0.example/app.js", 25, OMOTE_RULES_TYPE_IMAGE, NULL),
       "blocked by the second, although the epoch did not change");
    omote_rules_free(other);
    omote_tracker_cache_free(cache);
}

/* the whole chain over the demo shop */
struct chain_t {
    const omote_tracker_page_t *page;
    char *out;
    size_t len, cap;
};

static omote_rewrite_verdict_t chain_tag(void *ctx, const omote_html_token_t *t)
{
    return omote_tracker_judge_tag(((struct chain_t *)ctx)->page, t, NULL);
}

static omote_rewrite_verdict_t chain_text(void *ctx, const char *name, const char *text, size_t len, int is_truncated)
{
    return omote_tracker_judge_script_text(((struct chain_t *)ctx)->page, text, len, NULL);
}

static void chain_write(void *ctx, const char *bytes, size_t len, int is_input)
{
    struct chain_t *c = ctx;
    if (c->len + len + 1 > c->cap) {
        c->cap = (c->len + len + 1) * 2;
        c->out = realloc(c->out, c->cap);
    }
    memcpy(c->out + c->len, bytes, len);
    c->len += len;
    c->out[c->len] = '\0';
}

static void test_demo_page(const omote_tracker_page_t *page)
{
    FILE *fp = fopen("config/demo-site/index.html", "rb");
    if (fp == NULL) {
        ok(0, "config/demo-site/index.html readable (tests run from the repo root)");
        return;
    }
    static char html[256 * 1024];
    size_t len = fread(html, 1, sizeof(html) - 1, fp);
    fclose(fp);
    html[len] = '\0';

    struct chain_t c = {page};
    omote_html_rewriter_callbacks_t cb = {chain_tag, chain_text, chain_write};
    omote_html_rewriter_t *rw = omote_html_rewriter_create(&(omote_html_rewriter_options_t){0}, &cb, &c);
    for (size_t off = 0; off < len; off += 1000)
        omote_html_rewriter_feed(rw, html + off, len - off < 1000 ? len - off : 1000, off + 1000 >= len);
    const omote_html_rewriter_stats_t *st = omote_html_rewriter_stats(rw);
    printf("# demo index.html: %zu elements and %zu noscript blocks removed, %zu bytes\n", st->elements_removed,
           st->noscript_removed, st->bytes_removed);
    ok(strstr(c.out, "<script async src=\"https://www.googletagmanager.com") == NULL, "gtag.js tag gone");
    ok(strstr(c.out, "fbevents.js');") == NULL, "Meta pixel loader gone");
    ok(strstr(c.out, "static.hotjar.com/c/hotjar-") == NULL, "Hotjar loader gone");
    ok(strstr(c.out, "ns.html?id=GTM") == NULL, "GTM noscript iframe gone");
    ok(strstr(c.out, "<img src=\"https://px.ads.linkedin.com") == NULL, "LinkedIn pixel gone");
    ok(strstr(c.out, "rel=\"preconnect\" href=\"https://www.googletagmanager.com\"") == NULL, "preconnect hint gone");
    ok(strstr(c.out, "used to load https://www.googletagmanager.com/gtm.js") != NULL, "JSON-LD text kept");
    ok(strstr(c.out, "</html>") != NULL, "the document still ends");
    omote_html_rewriter_free(rw);
    free(c.out);
}

/* inline script verdicts come from the cache as the text would be judged: keyed by the whole text,
 * the page host and the consent, with the removal's why */
static void test_script_cache(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(0);
    omote_tracker_page_t page = {rules, "https://shop.example/", "shop.example", NULL, 0, NULL, 0, cache, 3};
    omote_tracker_why_t a, b;
    uint64_t hits, misses;
    /* a configuration blob: only its middle tells it from the one below */
    char kept[6000], tracked[6000];
    const char url[] = "https://www.googletagmanager.com/gtm.js";
    memset(kept, 'x', sizeof(kept));
    memcpy(kept, "var cfg={\"a\":\"", 14);
    memcpy(kept + sizeof(kept) - 3, "\"};", 3);
    memcpy(tracked, kept, sizeof(kept));
    memcpy(tracked + 3000, url, sizeof(url) - 1);
    tracked[3000 + sizeof(url) - 1] = '"'; /* the string literal ends with the URL */

    is_int(omote_tracker_judge_script_text(&page, kept, sizeof(kept), NULL), OMOTE_REWRITE_KEEP, "a blob naming no tracker stays");
    is_int(omote_tracker_judge_script_text(&page, kept, sizeof(kept), NULL), OMOTE_REWRITE_KEEP, "and stays from the cache");
    omote_tracker_cache_script_stats(cache, &hits, &misses);
    ok(hits == 1 && misses == 1, "one judged, one from the cache (%llu, %llu)", (unsigned long long)hits, (unsigned long long)misses);

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    is_int(omote_tracker_judge_script_text(&page, tracked, sizeof(tracked), &a), OMOTE_REWRITE_REMOVE,
           "the same length and ends with a tracker URL inside: judged, removed");
    is_int(omote_tracker_judge_script_text(&page, tracked, sizeof(tracked), &b), OMOTE_REWRITE_REMOVE, "removed again from the cache");
    ok(strcmp(a.url, url) == 0 && strcmp(b.url, url) == 0 && a.decision.line == b.decision.line && a.decision.line == 2 &&
           b.source == OMOTE_TRACKER_BY_RULE,
       "the cached removal names the same URL and rule line");
    is_int(omote_tracker_judge_script_text(&page, tracked, sizeof(tracked), NULL), OMOTE_REWRITE_REMOVE, "also without a why");
    omote_tracker_cache_script_stats(cache, &hits, &misses);
    ok(hits == 3 && misses == 2, "two judged, three from the cache");

    is_int(omote_tracker_judge_script_text(&page, kept, sizeof(kept) - 1, NULL), OMOTE_REWRITE_KEEP, "a shorter text");
    page.host = "other.example";
    is_int(omote_tracker_judge_script_text(&page, kept, sizeof(kept), NULL), OMOTE_REWRITE_KEEP, "another page host");
    page.host = "shop.example";
    page.cache_epoch = 4;
    is_int(omote_tracker_judge_script_text(&page, kept, sizeof(kept), NULL), OMOTE_REWRITE_KEEP, "a new epoch");
    omote_tracker_cache_script_stats(cache, &hits, &misses);
    ok(hits == 3 && misses == 5, "each judged afresh");

    /* a script's own host: a tracker URL is first party on the tracker's own site */
    const char pixel[] = "fbq('init','1');s.src='https://connect.facebook.net/en_US/fbevents.js';";
    is_int(omote_tracker_judge_script_text(&page, pixel, sizeof(pixel) - 1, NULL), OMOTE_REWRITE_REMOVE, "pixel on the shop");
    page.host = "connect.facebook.net";
    is_int(omote_tracker_judge_script_text(&page, pixel, sizeof(pixel) - 1, NULL), OMOTE_REWRITE_KEEP,
           "kept on its own site ($third-party): the cached removal is the shop's");
    omote_tracker_cache_free(cache);
}

/* start tags judged to stay are known by their bytes, page URL and consent, in one generation */
static void test_known_tags(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(0);
    omote_tracker_page_t page = {rules, "https://shop.example/p/1", "shop.example", NULL, 0, NULL, 0, cache, 5};
    const char img[] = "<img src=\"/a.png\" srcset=\"/a2.png 2x\" alt=x>", pixel[] = "<img src=/img/pixel.gif>",
               script[] = "<script src=/app.js>", link[] = "<link rel=preconnect href=https://cdn.example>";
    uint64_t hits, misses;
    ok(!omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "a tag not judged yet is not known");
    is_int(judge(&page, img), OMOTE_REWRITE_KEEP, "judged: kept");
    ok(omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "then known, by its bytes");
    ok(!omote_tracker_tag_known_kept(&page, img, sizeof(img) - 2), "other bytes are not");
    is_int(judge(&page, link), OMOTE_REWRITE_KEEP, "a first-party preconnect kept");
    ok(omote_tracker_tag_known_kept(&page, link, sizeof(link) - 1), "and known");
    is_int(judge(&page, pixel), OMOTE_REWRITE_REMOVE, "a pixel removed");
    ok(!omote_tracker_tag_known_kept(&page, pixel, sizeof(pixel) - 1), "is never known kept");
    is_int(judge(&page, script), OMOTE_REWRITE_KEEP, "a first-party <script src> kept");
    ok(!omote_tracker_tag_known_kept(&page, script, sizeof(script) - 1), "is not remembered: it switches the text state");
    page.url = "https://shop.example/p/2"; /* relative references resolve against the page */
    ok(!omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "another page URL does not know it");
    page.url = "https://shop.example/p/1";
    page.granted = 2;
    ok(!omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "nor another consent");
    page.granted = 0;
    ok(omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "the same page and consent still do");
    page.cache_epoch = 6;
    ok(!omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "a new epoch forgets");
    omote_tracker_cache_tag_stats(cache, &hits, &misses);
    ok(hits == 3 && misses == 7, "known 3 times, asked 7 times in vain (%llu, %llu)", (unsigned long long)hits,
       (unsigned long long)misses);
    page.cache = NULL;
    is_int(judge(&page, img), OMOTE_REWRITE_KEEP, "without a cache");
    ok(!omote_tracker_tag_known_kept(&page, img, sizeof(img) - 1), "nothing is known");
    omote_tracker_cache_free(cache);
}

/* runs passed whole are known by their page URL, consent and bytes, as a prefix of what is there, in one generation */
static void test_passed_runs(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(0);
    omote_tracker_page_t page = {rules, "https://shop.example/p/1", "shop.example", NULL, 0, NULL, 0, cache, 5};
    char run[600], more[700], other[600];
    for (size_t i = 0; i != sizeof(run); ++i)
        run[i] = "<li><a href=/x>item</a></li>\n"[i % 29];
    memcpy(more, run, sizeof(run));
    memcpy(more + sizeof(run), "<img src=/y.png>", 16);
    memcpy(other, run, sizeof(run));
    other[300] = 'X';
    uint64_t hits, misses;
    is_int(omote_tracker_run_known(&page, more, sizeof(more)), 0, "a run not passed yet is not known");
    omote_tracker_remember_run(&page, run, sizeof(run));
    omote_tracker_remember_run(&page, run, sizeof(run));
    is_int(omote_tracker_run_known(&page, more, sizeof(more)), sizeof(run), "then known, at the start of the bytes there");
    is_int(omote_tracker_run_known(&page, run, sizeof(run)), sizeof(run), "with exactly its bytes there");
    is_int(omote_tracker_run_known(&page, run, sizeof(run) - 1), 0, "not with fewer");
    is_int(omote_tracker_run_known(&page, other, sizeof(other)), 0, "nor with other bytes past the first ones");
    is_int(omote_tracker_run_known(&page, run, OMOTE_HTML_MIN_RUN - 1), 0, "nor with fewer bytes than the shortest run");
    page.url = "https://shop.example/p/2";
    is_int(omote_tracker_run_known(&page, run, sizeof(run)), 0, "another page URL does not know it");
    page.url = "https://shop.example/p/1";
    page.granted = 2;
    is_int(omote_tracker_run_known(&page, run, sizeof(run)), 0, "nor another consent");
    page.granted = 0;
    page.cache_epoch = 6;
    is_int(omote_tracker_run_known(&page, run, sizeof(run)), 0, "a new epoch forgets");
    omote_tracker_cache_run_stats(cache, &hits, &misses);
    ok(hits == 2 && misses == 5, "known twice, asked 5 times in vain (%llu, %llu)", (unsigned long long)hits, (unsigned long long)misses);
    omote_tracker_remember_run(&page, run, OMOTE_HTML_MIN_RUN - 1);
    is_int(omote_tracker_run_known(&page, run, sizeof(run)), 0, "a run shorter than OMOTE_HTML_MIN_RUN is not kept");
    page.cache = NULL;
    omote_tracker_remember_run(&page, run, sizeof(run));
    is_int(omote_tracker_run_known(&page, run, sizeof(run)), 0, "without a cache, nothing is known");
    omote_tracker_cache_free(cache);
}

/* Remembers distinct 64 KiB runs of `page` until `watched` (a run of `watch_page`, asked for after
 * each: 600 bytes given back against 64 KiB taken in) is forgotten, the cache having filled; each
 * is asked for `uses` times. Returns how many went in, 0 if it never filled. */
static int fill_runs(omote_tracker_page_t *page, int uses, const omote_tracker_page_t *watch_page, const char *watched, size_t len)
{
    static char big[64 << 10];
    for (int i = 1; i != 1000; ++i) {
        memset(big, 'a' + i % 26, sizeof(big));
        memcpy(big, &i, sizeof(i));
        omote_tracker_remember_run(page, big, sizeof(big));
        for (int u = 0; u != uses; ++u)
            omote_tracker_run_known(page, big, sizeof(big));
        if (omote_tracker_run_known(watch_page, watched, len) == 0)
            return i;
    }
    return 0;
}

/* a page's runs go in from its second response since the cache last filled, and are used from the
 * next; after a fill that gave back less than it took, from the fourth; after one that paid, again
 * from the second */
static void test_run_admission(const omote_rules_t *rules)
{
    omote_tracker_cache_t *cache = omote_tracker_cache_create(0);
    omote_tracker_page_t page = {rules, "https://shop.example/p/1", "shop.example", NULL, 0, NULL, 0, cache, 5};
    omote_tracker_page_t once = page, often = page;
    once.url = "https://shop.example/search?q=once";
    often.url = "https://shop.example/";
    char run[600];
    memset(run, 'r', sizeof(run));
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "a page's first response keeps no runs");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_KEEP, "its second keeps them");
    omote_tracker_remember_run(&page, run, sizeof(run));
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_USE, "its third uses them");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_USE, "and so on");
    page.granted = 2;
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "another consent is another page");
    page.granted = 0;

    ok(fill_runs(&once, 0, &page, run, sizeof(run)) > 0, "runs of a page not served again fill the cache");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "then the page's runs are gone: first response of this fill");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "as that fill did not pay, not from the second");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "nor the third");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_KEEP, "but from the fourth");
    omote_tracker_remember_run(&page, run, sizeof(run));
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_USE, "and used from the fifth");

    ok(fill_runs(&often, 2, &page, run, sizeof(run)) > 0, "runs each asked for twice fill it again");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "that fill paid: first response");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_KEEP, "kept from the second again");

    ok(fill_runs(&once, 0, &page, run, sizeof(run)) > 0, "runs of a page not served again fill it");
    page.cache_epoch = 6;
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "a new epoch starts afresh");
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_KEEP, "kept from the second response");
    /* pages served once each, far more than the table of pages holds, do not push out one whose runs are in */
    omote_tracker_remember_run(&page, run, sizeof(run));
    char url[64];
    for (int i = 0; i != 20000; ++i) {
        snprintf(url, sizeof(url), "https://shop.example/search?q=%d", i);
        once.url = url;
        once.cache_epoch = 6;
        omote_tracker_page_runs(&once);
    }
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_USE, "20,000 pages served once leave a page whose runs are in");
    page.cache = NULL;
    is_int(omote_tracker_page_runs(&page), OMOTE_TRACKER_RUNS_NONE, "without a cache, none");
    omote_tracker_cache_free(cache);
}

int main(void)
{
    omote_rules_t *rules = omote_rules_create();
    omote_rules_add_list(rules, "own", own_list, sizeof(own_list) - 1, NULL);
    omote_rules_compile(rules);
    omote_tracker_page_t page = {rules, "https://shop.example/index.html", "shop.example"};

    test_resolve();
    test_tags(&page);
    test_inline(&page);
    test_demo_page(&page);
    test_vendors(rules);
    test_decision_cache(rules);
    test_cache_keys(rules);
    test_cache_eviction(rules);
    test_script_cache(rules);
    test_known_tags(rules);
    test_passed_runs(rules);
    test_run_admission(rules);
    omote_tracker_cache_t *cache = omote_tracker_cache_create(0);
    omote_tracker_page_t cached = page;
    cached.cache = cache;
    test_inline(&cached); /* judged and remembered */
    test_inline(&cached); /* answered from the cache, why included */
    uint64_t hits, misses;
    omote_tracker_cache_script_stats(cache, &hits, &misses);
    ok(hits != 0 && hits == misses, "the second round came from the cache (%llu of %llu)", (unsigned long long)hits,
       (unsigned long long)(hits + misses));
    omote_tracker_cache_free(cache);
    ok(omote_tracker_judge_ping(&page, " /beacon  https://www.google-analytics.com/collect ", 51, NULL), "a tracker among ping URLs");
    ok(!omote_tracker_judge_ping(&page, "/beacon /other", 14, NULL), "first-party pings stay");
    is_int(omote_tracker_fetch_dest_type("image", 5), OMOTE_RULES_TYPE_IMAGE, "Sec-Fetch-Dest image");
    is_int(omote_tracker_fetch_dest_type("empty", 5), OMOTE_RULES_TYPE_XMLHTTPREQUEST, "Sec-Fetch-Dest empty is a fetch/XHR");
    is_int(omote_tracker_fetch_dest_type("Document", 8), -1, "navigations are never judged as requests");
    is_int(omote_tracker_fetch_dest_type("x-new", 5), OMOTE_RULES_TYPE_OTHER, "unknown destinations are other");
    omote_rules_free(rules);
    return done_testing();
}
