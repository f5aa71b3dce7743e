/*
 * The visitor's UI as markup: language negotiation, escaping, the banner (no pre-ticked boxes,
 * Accept and Reject alike, forms that work without JavaScript, a return path that cannot lead
 * off-site), the privacy link, the transparency page from a GET me document, the embedded
 * assets' budgets, and the rewriter's body snippet at every place a body can start.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "omote/config.h"
#include "omote/html_rewriter.h"
#include "omote/policy.h"
#include "omote/ui.h"
#include "omote/ui_assets.h"
#include "tap.h"

static const char *const CONFIG_JSON =
    "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}], \"origin\": {\"url\": \"http://127.0.0.1:8081/\"},"
    " \"consent\": {\"policy_version\": \"2026-11\", \"lifetime_days\": 180, \"keys_env\": \"OMOTE_TEST_UI_KEYS\"},"
    " \"purposes\": [{\"id\": \"necessary\", \"strictly_necessary\": true, \"name\": {\"en\": \"Strictly necessary\", \"ja\": \"必須\"},"
    "   \"cookies\": [\"sid\"], \"cookie_lifetime_days\": {\"sid\": 0}},"
    "  {\"id\": \"analytics\", \"needs_identifier\": true, \"name\": {\"en\": \"Analytics <&>\", \"ja\": \"解析\"},"
    "   \"description\": {\"en\": \"Counts \\\"visits\\\".\"}, \"cookies\": [\"_ga*\"], \"cookie_lifetime_days\": {\"_ga*\": 400}},"
    "  {\"id\": \"marketing\", \"gpc\": true, \"cookies\": [\"_fbp\"]}],"
    " \"vendors\": [{\"name\": \"Google Analytics\", \"purpose\": \"analytics\", \"hosts\": [\"google-analytics.com\"]},"
    "  {\"name\": \"Relay\", \"purpose\": \"marketing\", \"paths\": [\"/r/*\"], \"receives\": {\"en\": \"Order totals.\"}}],"
    " \"privacy\": {\"retailer\": \"Shop & Co\", \"contact\": \"privacy@shop.example\", \"promise\": {\"en\": \"We never sell data.\"}}}";

static omote_config_t *load_config(const char *extra_replace)
{
    omote_config_error_t err;
    omote_config_t *conf = NULL;
    setenv("OMOTE_TEST_UI_KEYS", "k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", 1);
    if (omote_config_load_string(CONFIG_JSON, strlen(CONFIG_JSON), "ui.json", &conf, &err) != 0) {
        printf("# config: %s\n", err.text);
        return NULL;
    }
    (void)extra_replace;
    return conf;
}

static int has(const omote_ui_buf_t *buf, const char *needle)
{
    return buf->base != NULL && strstr(buf->base, needle) != NULL;
}

static size_t count(const omote_ui_buf_t *buf, const char *needle)
{
    size_t n = 0;
    for (const char *p = buf->base; p != NULL && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        ++n;
    return n;
}

static omote_ui_lang_t lang_of(const char *header)
{
    return omote_ui_negotiate_lang(header, header == NULL ? 0 : strlen(header));
}

static void test_lang(void)
{
#define LANG(h) lang_of(h)
    is_int(LANG(NULL), OMOTE_UI_EN, "lang: no header is English");
    is_int(LANG(""), OMOTE_UI_EN, "lang: empty header is English");
    is_int(LANG("ja"), OMOTE_UI_JA, "lang: ja");
    is_int(LANG("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), OMOTE_UI_JA, "lang: a Japanese browser");
    is_int(LANG("en-US,en;q=0.9,ja;q=0.8"), OMOTE_UI_EN, "lang: English first");
    is_int(LANG("fr-FR, ja;q=0.5"), OMOTE_UI_JA, "lang: ja is the only one we have");
    is_int(LANG("fr-FR, de"), OMOTE_UI_EN, "lang: neither: English");
    is_int(LANG("ja;q=0, en;q=0.1"), OMOTE_UI_EN, "lang: q=0 refuses");
    is_int(LANG("ja;q=0"), OMOTE_UI_EN, "lang: ja refused, English anyway");
    is_int(LANG("en;q=0.5, ja;q=0.5"), OMOTE_UI_EN, "lang: a tie goes to the first named");
    is_int(LANG("ja;q=0.5, en;q=0.5"), OMOTE_UI_JA, "lang: a tie goes to the first named (ja)");
    is_int(LANG("*;q=0.9, ja;q=0.8"), OMOTE_UI_EN, "lang: * stands for English");
    is_int(LANG("jav, ja-Latn;q=0.3"), OMOTE_UI_JA, "lang: jav is not ja, ja-Latn is");
    is_int(LANG("JA-jp"), OMOTE_UI_JA, "lang: case-insensitive");
    is_int(LANG("ja;q=abc, en;q=0.2"), OMOTE_UI_EN, "lang: an unreadable weight ignores its range");
    is_int(LANG(" ja ; q=1.0 "), OMOTE_UI_JA, "lang: white space around");
    omote_ui_lang_t lang;
    ok(omote_ui_lang_from_code("JA", 2, &lang) == 0 && lang == OMOTE_UI_JA, "lang: code JA");
    ok(omote_ui_lang_from_code("de", 2, &lang) == -1, "lang: code de refused");
    ok(omote_ui_lang_from_code("english", 7, &lang) == -1, "lang: only two-letter codes");
#undef LANG
}

static void test_escaping(void)
{
    omote_ui_buf_t buf = {NULL};
    omote_ui_buf_append_escaped(&buf, "a<b>&\"c'd", 9);
    is_str(buf.base, "a&lt;b&gt;&amp;&quot;c&#39;d", "escape: all five");
    omote_ui_buf_free(&buf);
}

static void test_banner(const omote_config_t *conf)
{
    omote_ui_buf_t buf = {NULL};
    omote_ui_banner_t banner = {conf, OMOTE_UI_EN, "/shop/item?id=1&x=\"y\"", strlen("/shop/item?id=1&x=\"y\"")};
    omote_ui_render_banner(&buf, &banner);
    ok(strncmp(buf.base, "<div id=\"omote-consent\"", 23) == 0, "banner: starts with its shadow host");
    ok(has(&buf, "<template shadowrootmode=\"open\"><style>"), "banner: declarative shadow root with its style first");
    ok(has(&buf, "role=\"dialog\" aria-modal=\"false\" aria-labelledby=\"omote-title\""), "banner: a labelled non-modal dialog");
    ok(has(&buf, "<button type=\"submit\" name=\"all\" value=\"1\" class=\"omote-choice\" data-omote-all=\"1\">Accept all</button>"),
       "banner: accept all");
    ok(has(&buf, "<button type=\"submit\" name=\"all\" value=\"0\" class=\"omote-choice\" data-omote-all=\"0\">Reject all</button>"),
       "banner: reject all, the same element and class as accept");
    is_int(count(&buf, " checked"), 1, "banner: only the strictly necessary box is ticked");
    ok(has(&buf, "id=\"omote-p-necessary\" name=\"necessary\" value=\"on\" checked disabled"), "banner: necessary cannot be unticked");
    ok(has(&buf, "<input type=\"hidden\" name=\"return\" value=\"/shop/item?id=1&amp;x=&quot;y&quot;\">"),
       "banner: the page to return to, escaped");
    is_int(count(&buf, "action=\"/_omote/consent\""), 2, "banner: both forms post to the consent API");
    ok(has(&buf, "Analytics &lt;&amp;&gt;"), "banner: configured names are escaped");
    ok(has(&buf, "Counts &quot;visits&quot;."), "banner: descriptions are escaped");
    ok(has(&buf, "Partners: Google Analytics</p>"), "banner: a purpose's partners");
    ok(has(&buf, "<code>_ga*</code>: 400 days"), "banner: a cookie with its lifetime");
    ok(has(&buf, "<code>sid</code>: until you close the browser"), "banner: a session cookie");
    ok(has(&buf, "<code>_fbp</code>: lifetime not stated"), "banner: an unstated lifetime says so");
    ok(has(&buf, "<code>omote_consent</code>: 180 days"), "banner: omote's own consent cookie under the necessary purpose");
    ok(has(&buf, "<code>omote_id</code>: 180 days"), "banner: the identifier cookie under the purpose that needs it");
    ok(has(&buf, "href=\"/_omote/privacy?lang=ja\" hreflang=\"ja\" lang=\"ja\" data-omote-switch=\"ja\">日本語</a>"),
       "banner: the switch to Japanese");
    int is_hashed;
    const omote_ui_asset_t *js = omote_ui_asset_find("consent.js", 10, &is_hashed);
    char script[160];
    snprintf(script, sizeof(script), "<script src=\"/_omote/%s\" defer", js->hashed_name);
    ok(has(&buf, script), "banner: the script by its hashed name, deferred");
    ok(has(&buf, "<details class=\"omote-choose\"><summary>Choose</summary>"), "banner: Choose opens without JavaScript");
    omote_ui_buf_free(&buf);

    const char *bad[] = {"//evil.example/x", "/\\evil", "/a b", "http://evil.example/", "/ok\n", ""};
    for (size_t i = 0; i != sizeof(bad) / sizeof(bad[0]); ++i) {
        omote_ui_banner_t b = {conf, OMOTE_UI_EN, bad[i], strlen(bad[i])};
        omote_ui_render_banner_content(&buf, &b);
        ok(has(&buf, "name=\"return\" value=\"/\">") && count(&buf, "name=\"return\" value=\"/\">") == 2,
           "banner: return path %zu that could leave the site becomes /", i);
        omote_ui_buf_free(&buf);
    }

    omote_ui_banner_t ja = {conf, OMOTE_UI_JA, "/", 1};
    omote_ui_render_banner_content(&buf, &ja);
    ok(has(&buf, "lang=\"ja\"") && has(&buf, "すべて許可") && has(&buf, "すべて拒否") && has(&buf, "解析"), "banner: Japanese");
    ok(has(&buf, "data-omote-switch=\"en\">English</a>"), "banner: the switch back to English");
    ok(has(&buf, "Analytics &lt;&amp;&gt;") == 0, "banner: the Japanese name is used when given");
    ok(has(&buf, "marketing"), "banner: a purpose without names falls back to its id");
    ok(!has(&buf, "<script"), "banner content: no script (consent.js swaps it in)");
    omote_ui_buf_free(&buf);
}

/* what a page gets from the snippets rendered once equals rendering the banner or link for it */
static void test_snippets(const omote_config_t *conf)
{
    omote_ui_snippets_t *snippets = omote_ui_snippets_create(conf);
    const char *paths[] = {"/", "/shop/item?id=1&x=\"y\"", "//evil.example/", "/a b", "/caf\xc3\xa9", ""};
    for (int lang = OMOTE_UI_EN; lang <= OMOTE_UI_JA; ++lang) {
        for (size_t i = 0; i != sizeof(paths) / sizeof(paths[0]); ++i) {
            omote_ui_buf_t direct = {NULL}, copied = {NULL};
            omote_ui_banner_t banner = {conf, (omote_ui_lang_t)lang, paths[i], strlen(paths[i])};
            omote_ui_render_banner(&direct, &banner);
            omote_ui_snippets_page(snippets, (omote_ui_lang_t)lang, 0, paths[i], strlen(paths[i]), &copied);
            ok(direct.len == copied.len && memcmp(direct.base, copied.base, direct.len) == 0, "snippets: banner %d for %s as rendered",
               lang, paths[i]);
            omote_ui_buf_free(&direct);
            omote_ui_buf_free(&copied);
        }
        omote_ui_buf_t direct = {NULL}, copied = {NULL};
        omote_ui_render_privacy_link(&direct, conf, (omote_ui_lang_t)lang);
        omote_ui_snippets_page(snippets, (omote_ui_lang_t)lang, 1, "/x", 2, &copied);
        ok(direct.len == copied.len && memcmp(direct.base, copied.base, direct.len) == 0, "snippets: link %d as rendered", lang);
        omote_ui_buf_free(&direct);
        omote_ui_buf_free(&copied);
    }
    omote_ui_snippets_free(snippets);
}

static void test_privacy_link(omote_config_t *conf)
{
    omote_ui_buf_t buf = {NULL};
    omote_ui_render_privacy_link(&buf, conf, OMOTE_UI_EN);
    ok(has(&buf, "<a class=\"omote-link omote-bottom-left\" href=\"/_omote/privacy\" lang=\"en\">Privacy choices</a>"),
       "link: bottom-left by default");
    ok(!has(&buf, "<form"), "link: no banner for a visitor who decided");
    omote_ui_buf_free(&buf);
    conf->banner.privacy_link = OMOTE_PRIVACY_LINK_BOTTOM_RIGHT;
    omote_ui_render_privacy_link(&buf, conf, OMOTE_UI_JA);
    ok(has(&buf, "omote-bottom-right") && has(&buf, "プライバシー設定"), "link: bottom-right, Japanese");
    omote_ui_buf_free(&buf);
    conf->banner.privacy_link = OMOTE_PRIVACY_LINK_OFF;
    omote_ui_render_privacy_link(&buf, conf, OMOTE_UI_EN);
    ok(buf.len == 0, "link: off renders nothing");
    omote_ui_buf_free(&buf);
    conf->banner.privacy_link = OMOTE_PRIVACY_LINK_BOTTOM_LEFT;
}

static json_t *consent_doc(int decided)
{
    return json_pack("{s:s,s:b,s:o,s:b,s:[{s:s,s:b},{s:s,s:b},{s:s,s:b}]}", "policy_version", "2026-11", "decided", decided,
                     "decided_at", decided ? json_integer(1795000000) : json_null(), "recorded", decided, "purposes", "id",
                     "necessary", "granted", 1, "id", "analytics", "granted", decided, "id", "marketing", "granted", 0);
}

static void test_privacy_page(const omote_config_t *conf)
{
    omote_ui_buf_t buf = {NULL};
    json_t *consent = consent_doc(1);
    json_t *me = json_pack("{s:s,s:s,s:o,s:{s:s,s:I,s:{s:s,s:s,s:s,s:s,s:s,s:s}},s:[{},{}],s:{s:b}}", "token", "valid", "identifier",
                           "0123456789abcdef0123456789abcdef", "consent", json_incref(consent), "record", "id", "ab", "ttl_sec",
                           (json_int_t)(100 * 86400), "fields", "granted", "necessary,analytics", "denied", "marketing",
                           "policy_version", "2026-11", "decided_at", "1795000000", "source", "banner", "texts_sha256",
                           "c0ffee", "audit", "audit_scan", "complete", 1);
    omote_ui_privacy_t page = {conf, OMOTE_UI_EN, consent, me, 1, "saved"};
    omote_ui_render_privacy(&buf, &page);
    ok(strncmp(buf.base, "<!DOCTYPE html>", 15) == 0 && has(&buf, "<html lang=\"en\">"), "privacy: a whole English document");
    ok(has(&buf, "role=\"status\">Your choices were saved.</p>"), "privacy: the notice after a form");
    ok(has(&buf, "We never sell data.") && has(&buf, "Shop &amp; Co") && has(&buf, "privacy@shop.example"),
       "privacy: the retailer's promise, name and contact");
    ok(has(&buf, "You decided on 2026-11-18 ") && has(&buf, "under policy version 2026-11."), "privacy: when and under which version");
    ok(has(&buf, "Analytics &lt;&amp;&gt;: <strong>allowed</strong>") && has(&buf, "marketing: <strong>refused</strong>"),
       "privacy: the visitor's choices");
    ok(has(&buf, "deletes itself in 100 days"), "privacy: the record's lifetime from its TTL");
    ok(has(&buf, "<dd>necessary,analytics</dd>") && has(&buf, "<dd>c0ffee</dd>") && has(&buf, "<dd>banner</dd>"),
       "privacy: the record's fields");
    ok(has(&buf, "2 entries in the audit log"), "privacy: audit entries counted");
    ok(has(&buf, "holds a first-party identifier"), "privacy: the identifier is mentioned, not shown");
    ok(!has(&buf, "0123456789abcdef0123456789abcdef"), "privacy: the identifier's value is not printed");
    ok(has(&buf, "name=\"withdraw\" value=\"1\"") && has(&buf, "name=\"erase\" value=\"1\"") && has(&buf, "me?download=1"),
       "privacy: withdraw, erase and download");
    ok(has(&buf, "id=\"omote-p-analytics\" name=\"analytics\" value=\"on\" checked"), "privacy: current choices ticked in the change form");
    ok(has(&buf, "Your browser sent the Global Privacy Control signal") && has(&buf, "Because of it, marketing stay off"),
       "privacy: what GPC changed");
    ok(has(&buf, "<code>google-analytics.com</code>") && has(&buf, "Only if you allow Analytics &lt;&amp;&gt;"),
       "privacy: when the browser talks to a vendor directly");
    ok(has(&buf, "Never: it is reached only through this shop's own addresses"), "privacy: a path-only vendor never directly");
    ok(has(&buf, "Order totals."), "privacy: what a vendor receives");
    ok(has(&buf, "<td><code>_ga*</code></td><td>Analytics &lt;&amp;&gt;</td><td>400 days</td>"), "privacy: the cookie table");
    ok(has(&buf, "<code>omote_consent</code>") && has(&buf, "<code>omote_id</code>"), "privacy: omote's own cookies listed");
    omote_ui_buf_free(&buf);

    page.me = NULL;
    page.notice = "bogus";
    page.lang = OMOTE_UI_JA;
    omote_ui_render_privacy(&buf, &page);
    ok(has(&buf, "<html lang=\"ja\">") && has(&buf, "role=\"alert\">現在、保存されている情報を読み込めませんでした"),
       "privacy: Redis unreadable: said so, in Japanese");
    ok(!has(&buf, "omote-notice"), "privacy: an unknown notice is not shown");
    ok(has(&buf, "利用目的"), "privacy: the rest of the page is there");
    omote_ui_buf_free(&buf);
    json_decref(consent);

    consent = consent_doc(0);
    json_t *me2 = json_pack("{s:s,s:n,s:o,s:n,s:[],s:{s:b}}", "token", "absent", "identifier", "consent", json_incref(consent), "record",
                            "audit", "audit_scan", "complete", 1);
    omote_ui_privacy_t fresh = {conf, OMOTE_UI_EN, consent, me2, 0, NULL};
    omote_ui_render_privacy(&buf, &fresh);
    ok(has(&buf, "You have not decided yet.") && has(&buf, "Nothing is stored about you") && has(&buf, "holds no identifier"),
       "privacy: a visitor without a decision");
    ok(!has(&buf, "name=\"withdraw\""), "privacy: nothing to withdraw before a decision");
    ok(has(&buf, "did not send the Global Privacy Control signal"), "privacy: GPC not received");
    omote_ui_buf_free(&buf);
    json_decref(consent);
    json_decref(me2);
    json_decref(me);
}

static size_t gzipped_size(const char *bytes, size_t len)
{
    z_stream z = {0};
    unsigned char out[65536];
    if (deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return SIZE_MAX;
    z.next_in = (unsigned char *)bytes;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = sizeof(out);
    int ret = deflate(&z, Z_FINISH);
    size_t n = ret == Z_STREAM_END ? sizeof(out) - z.avail_out : SIZE_MAX;
    deflateEnd(&z);
    return n;
}

static void test_assets(void)
{
    int is_hashed;
    const omote_ui_asset_t *js = omote_ui_asset_find("consent.js", 10, &is_hashed), *css = omote_ui_asset_find("banner.css", 10, &is_hashed);
    ok(js != NULL && css != NULL, "assets: embedded");
    if (js == NULL || css == NULL)
        return;
    size_t js_gz = gzipped_size(js->bytes, js->len), css_gz = gzipped_size(css->bytes, css->len);
    printf("# consent.js %zu bytes, %zu gzipped; banner.css %zu bytes, %zu gzipped\n", js->len, js_gz, css->len, css_gz);
    ok(js_gz < 8 * 1024, "assets: consent.js under 8 KB gzipped (%zu)", js_gz);
    ok(css_gz < 4 * 1024, "assets: banner.css under 4 KB gzipped (%zu)", css_gz);
    ok(strstr(css->bytes, "</") == NULL, "assets: banner.css can be inlined in <style> (no \"</\")");
    const omote_ui_asset_t *again = omote_ui_asset_find(js->hashed_name, strlen(js->hashed_name), &is_hashed);
    ok(again == js && is_hashed, "assets: found by hashed name");
    ok(strncmp(js->hashed_name, "consent.", 8) == 0 && strncmp(js->hashed_name + 8, js->sha256_hex, 12) == 0 &&
           strcmp(js->hashed_name + 20, ".js") == 0,
       "assets: the hashed name carries the content hash");
    ok(strstr(js->bytes, "http://") == NULL && strstr(js->bytes, "https://") == NULL, "assets: the script loads nothing from anywhere");
    ok(omote_ui_asset_find("consent.jsx", 11, &is_hashed) == NULL, "assets: unknown names are not found");
}

/* the banner's inline style is allowed by its hash, except next to 'unsafe-inline' (which a hash would switch off) */
static void check_csp(const char *directives, int expect_hash, const char *what)
{
    char json[4096], err[256], csp[1024];
    size_t n = strlen(CONFIG_JSON) - 1;
    memcpy(json, CONFIG_JSON, n);
    snprintf(json + n, sizeof(json) - n, ", \"headers\": {\"csp\": {\"mode\": \"enforce\", \"directives\": %s}}}", directives);
    omote_config_error_t cerr;
    omote_config_t *conf = NULL;
    if (omote_config_load_string(json, strlen(json), "csp.json", &conf, &cerr) != 0) {
        ok(0, "csp config: %s", cerr.text);
        return;
    }
    omote_policy_t *policy = omote_policy_create(conf, NULL, 0, "none", err, sizeof(err));
    omote_policy_build_csp(policy, 1, csp, sizeof(csp));
    int is_hashed;
    const omote_ui_asset_t *css = omote_ui_asset_find("banner.css", 10, &is_hashed);
    /* the expected source, computed apart from the code under test: SHA-256 hex -> bytes -> padded base64 */
    unsigned char digest[32];
    for (int i = 0; i != 32; ++i) {
        unsigned v;
        sscanf(css->sha256_hex + 2 * i, "%2x", &v);
        digest[i] = (unsigned char)v;
    }
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char b64[64] = "'sha256-";
    size_t o = strlen(b64);
    for (int i = 0; i < 32; i += 3) {
        unsigned v = digest[i] << 16 | (i + 1 < 32 ? digest[i + 1] << 8 : 0) | (i + 2 < 32 ? digest[i + 2] : 0);
        b64[o++] = alphabet[v >> 18 & 63];
        b64[o++] = alphabet[v >> 12 & 63];
        b64[o++] = i + 1 < 32 ? alphabet[v >> 6 & 63] : '=';
        b64[o++] = i + 2 < 32 ? alphabet[v & 63] : '=';
    }
    strcpy(b64 + o, "'");
    ok((strstr(csp, b64) != NULL) == expect_hash, "csp: %s (%s)", what, csp);
    omote_policy_free(policy);
    omote_config_free(conf);
}

static void test_csp(void)
{
    check_csp("{\"default-src\": [\"'self'\"]}", 1, "default-src governs <style>: hash added");
    check_csp("{\"default-src\": [\"'self'\"], \"style-src\": [\"'self'\"]}", 1, "style-src: hash added");
    check_csp("{\"style-src\": [\"'self'\", \"'unsafe-inline'\"]}", 0, "'unsafe-inline' already allows it: no hash");
    check_csp("{\"script-src\": [\"'self'\"]}", 0, "no directive governs styles: nothing to add");
}

/* ---- the rewriter's body snippet ---- */

struct sink {
    char out[8192];
    size_t len;
};

static omote_rewrite_verdict_t keep_tag(void *ctx, const omote_html_token_t *t)
{
    return OMOTE_REWRITE_KEEP;
}

static omote_rewrite_verdict_t keep_text(void *ctx, const char *n, const char *t, size_t l, int tr)
{
    return OMOTE_REWRITE_KEEP;
}

static void write_out(void *ctx, const char *bytes, size_t len, int is_input)
{
    struct sink *s = ctx;
    if (s->len + len < sizeof(s->out)) {
        memcpy(s->out + s->len, bytes, len);
        s->len += len;
    }
}

static const omote_html_rewriter_callbacks_t keep_all = {keep_tag, keep_text, write_out, NULL, NULL};

static void rewrite(const char *html, size_t split, struct sink *s, const char *head)
{
    omote_html_rewriter_options_t opts = {0};
    opts.body_snippet = "[B]";
    opts.body_snippet_len = 3;
    if (head != NULL) {
        opts.head_snippet = head;
        opts.head_snippet_len = strlen(head);
    }
    s->len = 0;
    omote_html_rewriter_t *rw = omote_html_rewriter_create(&opts, &keep_all, s);
    size_t len = strlen(html);
    if (split > len)
        split = len;
    omote_html_rewriter_feed(rw, html, split, 0);
    omote_html_rewriter_feed(rw, html + split, len - split, 1);
    omote_html_rewriter_free(rw);
    s->out[s->len] = '\0';
}

static void check_snippet(const char *html, const char *expected, const char *head, const char *what)
{
    struct sink s;
    int all_ok = 1;
    for (size_t split = 0; split <= strlen(html); ++split) {
        rewrite(html, split, &s, head);
        if (strcmp(s.out, expected) != 0) {
            if (all_ok)
                printf("# split %zu: got %s\n", split, s.out);
            all_ok = 0;
        }
    }
    ok(all_ok, "body snippet: %s (every split point)", what);
}

static void test_body_snippet(void)
{
    check_snippet("<!DOCTYPE html><html><head><title>t</title></head><body class=\"a\"><p>x</p></body></html>",
                  "<!DOCTYPE html><html><head><title>t</title></head><body class=\"a\">[B]<p>x</p></body></html>", NULL,
                  "right after <body>");
    check_snippet("<html><head><title>t</title></head><body><p>x</p></body></html>",
                  "<html><head>[H]<title>t</title></head><body>[B]<p>x</p></body></html>", "[H]", "with a head snippet");
    check_snippet("<title>t</title><p>x</p>", "<title>t</title>[B]<p>x</p>", NULL, "before the first body element without <body>");
    check_snippet("<title>t</title><div>x</div>", "<title>t</title>[H][B]<div>x</div>", "[H]", "no head, no body tag: head snippet first");
    check_snippet("<title>t</title>", "<title>t</title>[B]", NULL, "at the end when nothing starts a body");
    check_snippet("<head></head><frameset><frame src=a></frameset>", "<head></head><frameset><frame src=a></frameset>", NULL,
                  "never in a frameset document");
    check_snippet("<head><noscript><img src=x></noscript></head><body>y</body>",
                  "<head><noscript><img src=x></noscript></head><body>[B]y</body>", NULL, "never inside <noscript>");
    check_snippet("<head><script>document.write('<body>')</script></head><BODY>z",
                  "<head><script>document.write('<body>')</script></head><BODY>[B]z", NULL, "<body> in a script is text");
    check_snippet("<body><body>x", "<body>[B]<body>x", NULL, "once only");
}

int main(void)
{
    test_lang();
    test_escaping();
    omote_config_t *conf = load_config(NULL);
    ok(conf != NULL, "config loads");
    if (conf != NULL) {
        test_banner(conf);
        test_snippets(conf);
        test_privacy_link(conf);
        test_privacy_page(conf);
        omote_config_free(conf);
    }
    test_assets();
    test_csp();
    test_body_snippet();
    return done_testing();
}
