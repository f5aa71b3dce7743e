/*
 * `omote explain`: how the configuration decides on one URL or cookie, and why, with the rule
 * line that made the decision, without starting the server. Operators use it to answer "why was
 * this tag removed?" and to try a list or vendor change before reloading.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "omote/config.h"
#include "omote/log.h"
#include "omote/policy.h"
#include "omote/query.h"
#include "omote/rules.h"
#include "omote/tracker.h"

#define DEFAULT_PAGE "https://first-party.invalid/"

static const char *const type_names[OMOTE_RULES_TYPE_COUNT] = {"other",  "script", "image", "stylesheet", "subdocument",
                                                               "xmlhttprequest", "ping", "font", "media", "websocket",
                                                               "object", "document"};

static void usage(FILE *out)
{
    fprintf(out, "Usage: omote explain -c FILE URL [--type TYPE] [--page URL] [--purposes ID,ID]\n"
                 "       omote explain -c FILE --cookie NAME [--purposes ID,ID]\n"
                 "\n"
                 "  URL               the request to judge (absolute, or a path on the page's site)\n"
                 "  -y, --type TYPE   resource type: script (default), image, stylesheet, subdocument, xmlhttprequest,\n"
                 "                    ping, font, media, object, other\n"
                 "  -p, --page URL    the page making the request (default " DEFAULT_PAGE ", another site)\n"
                 "  -g, --purposes L  judge for a visitor who granted these purposes (default: none)\n"
                 "  -k, --cookie NAME judge a cookie name instead of a URL\n");
}

static int parse_type(const char *name)
{
    for (int i = 0; i != OMOTE_RULES_TYPE_COUNT; ++i)
        if (strcmp(type_names[i], name) == 0)
            return i;
    return -1;
}

/* "analytics,marketing" -> a purpose set; -1 with a message for an unknown id */
static int parse_purposes(const omote_config_t *conf, const char *list, omote_purpose_set_t *out)
{
    while (list != NULL && *list != '\0') {
        size_t len = strcspn(list, ",");
        size_t i = 0;
        while (i != conf->num_purposes && !(strlen(conf->purposes[i].id) == len && memcmp(conf->purposes[i].id, list, len) == 0))
            ++i;
        if (i == conf->num_purposes) {
            fprintf(stderr, "omote explain: \"%.*s\" is not a purpose of this configuration\n", (int)len, list);
            return -1;
        }
        *out |= (omote_purpose_set_t)1 << i;
        list += len + (list[len] == ',');
    }
    return 0;
}

static void print_granted(const omote_config_t *conf, omote_purpose_set_t granted)
{
    printf("visitor   granted:");
    int any = 0;
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        if ((granted >> i) & 1) {
            printf(" %s%s", conf->purposes[i].id, conf->purposes[i].strictly_necessary ? " (strictly necessary)" : "");
            any = 1;
        }
    }
    printf("%s\n", any ? "" : " nothing");
}

static int explain_cookie(const omote_config_t *conf, const omote_policy_t *policy, const char *name, omote_purpose_set_t granted)
{
    int purpose;
    omote_cookie_verdict_t v = omote_policy_judge_cookie(policy, granted, name, strlen(name), &purpose);
    static const char *const unknown[] = {"report", "allow", "block"};
    printf("cookie    %s\n", name);
    print_granted(conf, granted);
    printf("decision  %s\n", v == OMOTE_COOKIE_DROP ? "DROPPED (Set-Cookie from the origin removed; not forwarded in Cookie)"
                                                     : "KEPT");
    if (purpose >= 0)
        printf("by        purpose %s%s\n", conf->purposes[purpose].id, (granted >> purpose) & 1 ? " (granted)" : " (not granted)");
    else
        printf("by        no purpose declares it: trackers.unknown_cookies is \"%s\"\n", unknown[conf->trackers.unknown_cookies]);
    return 0;
}

/* the lowercase host of an absolute URL */
static void host_of(const char *url, char *host, size_t size)
{
    const char *p = strstr(url, "://");
    p = p != NULL ? p + 3 : url;
    size_t n = 0;
    while (*p != '\0' && *p != '/' && *p != ':' && *p != '?' && *p != '#' && n + 1 < size) {
        host[n++] = (*p >= 'A' && *p <= 'Z') ? *p + 0x20 : *p;
        ++p;
    }
    host[n] = '\0';
}

/* A request to the page's own site: block_paths and vendors' first-party paths answer it with 204. */
static int explain_first_party_path(const omote_config_t *conf, const omote_policy_t *policy, const char *url, omote_purpose_set_t granted)
{
    const char *p = strstr(url, "://");
    const char *path = p != NULL ? strchr(p + 3, '/') : NULL;
    if (path == NULL)
        return 0;
    size_t len = strcspn(path, "?#");
    for (size_t i = 0; i != conf->trackers.num_block_paths; ++i) {
        if (omote_query_name_matches(conf->trackers.block_paths[i], path, len)) {
            printf("decision  BLOCKED (answered 204 without the origin)\nby        trackers.block_paths[%zu] \"%s\"\n", i,
                   conf->trackers.block_paths[i]);
            return 1;
        }
    }
    int vendor = omote_policy_vendor_of_path(policy, path, len);
    if (vendor >= 0) {
        const omote_vendor_config_t *v = &conf->vendors[vendor];
        int allowed = omote_policy_vendor_allowed(policy, granted, vendor);
        printf("decision  %s\nby        vendor %s, a first-party path that forwards to it; purpose %s %s\n",
               allowed ? "KEPT (forwarded to the origin)" : "BLOCKED (answered 204 without the origin)", v->name,
               conf->purposes[v->purpose].id, allowed ? "granted" : "not granted");
        return 1;
    }
    return 0;
}

static int explain_url(const omote_config_t *conf, const omote_rules_t *rules, const omote_policy_t *policy, const char *ref,
                       const char *page_url, omote_rules_type_t type, omote_purpose_set_t granted)
{
    char page_host[256], url[OMOTE_TRACKER_MAX_URL], host[256];
    host_of(page_url, page_host, sizeof(page_host));
    if (omote_tracker_resolve_url(page_url, ref, strlen(ref), url, sizeof(url), host, sizeof(host)) != 0) {
        fprintf(stderr, "omote explain: %s is not an http(s) URL (resolved against %s)\n", ref, page_url);
        return 2;
    }
    omote_tracker_page_t page = {rules,  page_url, page_host, (const char *const *)conf->trackers.first_party_domains,
                                 conf->trackers.num_first_party_domains, policy, granted};
    printf("url       %s\ntype      %s\npage      %s\n", url, type_names[type], page_url);
    print_granted(conf, granted);
    if (strcmp(host, page_host) == 0 && explain_first_party_path(conf, policy, url, granted))
        return 0;

    omote_tracker_why_t why;
    int blocked = omote_tracker_judge_url(&page, url, strlen(url), type, &why);
    const char *effect = type == OMOTE_RULES_TYPE_DOCUMENT ? "" : " (removed from pages; answered 204 when requested through omote)";
    printf("decision  %s%s\n", blocked ? "BLOCKED" : "KEPT", blocked ? effect : "");

    int vendor = omote_policy_vendor_of_host(policy, host, strlen(host));
    if (vendor >= 0) {
        const omote_vendor_config_t *v = &conf->vendors[vendor];
        printf("by        vendor %s (hosts:", v->name);
        for (size_t i = 0; i != v->num_hosts; ++i)
            printf(" %s", v->hosts[i]);
        printf("), purpose %s %s\n", conf->purposes[v->purpose].id,
               (granted >> v->purpose) & 1 ? "granted: kept even where a list would block it" : "not granted");
    }
    /* the lists' own view, also when a vendor decided, so an operator sees both */
    omote_rules_request_t rq = {url, host, page_host, type, (const char *const *)conf->trackers.first_party_domains,
                                conf->trackers.num_first_party_domains};
    omote_rules_decision_t d;
    omote_rules_decide(rules, &rq, &d);
    if (d.list_name != NULL) {
        printf("%s %s filter, list %s, line %u: %s%s\n", vendor >= 0 ? "lists    " : "by       ",
               d.was_exception ? "exception" : d.was_important ? "important" : "blocking", d.list_name, d.line, d.filter,
               vendor >= 0 ? " (the vendor decides)" : "");
    } else {
        printf("%s no filter of %zu matches\n", vendor >= 0 ? "lists    " : "by       ", omote_rules_num_filters(rules));
    }
    return 0;
}

int omote_explain_main(int argc, char **argv)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'}, {"type", required_argument, NULL, 'y'},
                                            {"page", required_argument, NULL, 'p'},   {"purposes", required_argument, NULL, 'g'},
                                            {"cookie", required_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'},
                                            {NULL}};
    const char *config_path = NULL, *page = DEFAULT_PAGE, *purposes = NULL, *cookie = NULL;
    int type = OMOTE_RULES_TYPE_SCRIPT, ch;

    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:y:p:g:k:h", options, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 'y':
            if ((type = parse_type(optarg)) < 0) {
                fprintf(stderr, "omote explain: unknown type \"%s\"\n", optarg);
                usage(stderr);
                return 2;
            }
            break;
        case 'p':
            page = optarg;
            break;
        case 'g':
            purposes = optarg;
            break;
        case 'k':
            cookie = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "omote explain: unknown or incomplete option: %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (config_path == NULL || (cookie == NULL && optind + 1 != argc) || (cookie != NULL && optind != argc)) {
        fprintf(stderr, "omote explain: %s\n", config_path == NULL ? "no configuration file given (-c FILE)" : "give one URL, or --cookie NAME");
        usage(stderr);
        return 2;
    }

    omote_config_t *conf;
    omote_config_error_t error;
    char err[OMOTE_CONFIG_ERROR_TEXT_MAX];
    if (omote_config_load_file(config_path, &conf, &error) != 0) {
        fprintf(stderr, "omote: %s\n", error.text);
        return 1;
    }
    omote_log_setup(2, OMOTE_LOG_WARN); /* the list summaries would mix with the answer */
    omote_rules_stats_t *stats = calloc(conf->trackers.num_lists + 1, sizeof(*stats));
    omote_rules_t *rules = omote_runtime_load_rules(conf, stats, err, sizeof(err));
    omote_policy_t *policy = rules != NULL ? omote_runtime_load_policy(conf, err, sizeof(err)) : NULL;
    omote_purpose_set_t granted = policy != NULL ? omote_policy_necessary(policy) : 0;
    int status = 1;
    if (policy == NULL)
        fprintf(stderr, "omote: %s: %s\n", config_path, err);
    else if (parse_purposes(conf, purposes, &granted) != 0)
        status = 2;
    else if (cookie != NULL)
        status = explain_cookie(conf, policy, cookie, granted);
    else
        status = explain_url(conf, rules, policy, argv[optind], page, (omote_rules_type_t)type, granted);
    omote_policy_free(policy);
    omote_rules_free(rules);
    free(stats);
    omote_config_free(conf);
    return status;
}
