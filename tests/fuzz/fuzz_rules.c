/*
 * Fuzz target: the filter list parser and matcher. Input is a filter list; its first line doubles as
 * a request URL. Every line must be accounted for exactly once (comment, cosmetic, filter or skip),
 * and a decision must name a real line of the list and never be both blocked and excepted.
 */
#include "fuzz.h"
#include "omote/rules.h"
#include <stdint.h>
#include <string.h>

static void check(omote_rules_t *rules, const char *url, const char *host, const char *source, omote_rules_type_t type,
                  size_t lines)
{
    static const char *const fp[] = {"cdn.example"};
    omote_rules_request_t req = {url, host, source, type, fp, 1};
    omote_rules_decision_t d;
    must(omote_rules_decide(rules, &req, &d) == 0);
    must(!(d.is_blocked && d.was_exception));
    must(!d.was_important || d.is_blocked);
    if (d.is_blocked || d.was_exception) {
        must(d.list_name != NULL && strcmp(d.list_name, "fuzz") == 0);
        must(d.filter != NULL && d.line >= 1 && d.line <= lines);
    } else {
        must(d.list_name == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    omote_rules_t *rules = omote_rules_create();
    omote_rules_stats_t st;
    memset(&st, 0, sizeof(st));
    must(omote_rules_add_list(rules, "fuzz", (const char *)data, size, &st) == 0);
    must(omote_rules_compile(rules) == 0);
    must(omote_rules_add_list(rules, "late", "x", 1, NULL) == -1);

    size_t cosmetic = 0;
    for (int i = 0; i < OMOTE_RULES_COSMETIC_COUNT; ++i)
        cosmetic += st.cosmetic[i];
    must(st.comments + cosmetic + st.filters + st.skipped == st.lines);
    must(omote_rules_num_filters(rules) == st.filters);
    size_t reasons = 0;
    for (size_t i = 0; i < st.num_skip_reasons; ++i)
        reasons += st.skip_reasons[i].count;
    must(reasons == st.skipped);

    /* the first line, made into a NUL-terminated URL, plus a few fixed requests */
    char url[512];
    size_t n = 0;
    while (n < size && n < sizeof(url) - 1 && data[n] != '\n' && data[n] != '\0')
        ++n;
    memcpy(url, data, n);
    url[n] = '\0';
    for (int t = 0; t < OMOTE_RULES_TYPE_COUNT; ++t)
        check(rules, url, "ads.example.com", "www.site.example", (omote_rules_type_t)t, st.lines);
    check(rules, "https://ads.example.com/pixel.gif?id=1&ref=x", "ads.example.com", "www.site.example", OMOTE_RULES_TYPE_IMAGE,
          st.lines);
    check(rules, "https://cdn.example/a/b.js", "cdn.example", "news.org", OMOTE_RULES_TYPE_SCRIPT, st.lines);
    check(rules, "wss://x.example.co.uk:8443/socket", "x.example.co.uk", NULL, OMOTE_RULES_TYPE_WEBSOCKET, st.lines);
    check(rules, "", "", "", OMOTE_RULES_TYPE_OTHER, st.lines);
    omote_rules_free(rules);
    return 0;
}
