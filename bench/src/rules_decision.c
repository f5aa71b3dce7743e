/*
 * Rule engine figures: how long loading a filter list takes and how much memory it holds, and how
 * long one URL decision takes (median and p99 over every decision of several rounds across the
 * shared request sample). Prints figures; asserts nothing about time.
 *
 *   omote_bench_rules [--list FILE] [--requests FILE.jsonl] [--rounds N]
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "omote/rules.h"

#define DEFAULT_LIST "/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easyprivacy.txt"
#define DEFAULT_REQUESTS "../shared/testdata/requests/sample.jsonl"
#define MAX_REQUESTS 4000

struct st_request_t {
    char url[1024], host[256], source[256];
    omote_rules_type_t type;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long rss_kib(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (fp != NULL)
        fclose(fp);
    return kib;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc(n + 1);
    *len = fread(buf, 1, n, fp);
    fclose(fp);
    return buf;
}

static void host_of(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    p = p != NULL ? p + 3 : url;
    size_t n = 0;
    while (*p != '\0' && *p != '/' && *p != ':' && *p != '?' && n + 1 < size) {
        out[n++] = (*p >= 'A' && *p <= 'Z') ? *p + 0x20 : *p;
        ++p;
    }
    out[n] = '\0';
}

static omote_rules_type_t type_of(const char *t)
{
    static const struct {
        const char *name;
        omote_rules_type_t type;
    } map[] = {{"script", OMOTE_RULES_TYPE_SCRIPT}, {"image", OMOTE_RULES_TYPE_IMAGE},
               {"stylesheet", OMOTE_RULES_TYPE_STYLESHEET}, {"sub_frame", OMOTE_RULES_TYPE_SUBDOCUMENT},
               {"subdocument", OMOTE_RULES_TYPE_SUBDOCUMENT}, {"xmlhttprequest", OMOTE_RULES_TYPE_XMLHTTPREQUEST},
               {"xhr", OMOTE_RULES_TYPE_XMLHTTPREQUEST}, {"ping", OMOTE_RULES_TYPE_PING},
               {"beacon", OMOTE_RULES_TYPE_PING}, {"font", OMOTE_RULES_TYPE_FONT}, {"media", OMOTE_RULES_TYPE_MEDIA},
               {"websocket", OMOTE_RULES_TYPE_WEBSOCKET}, {"object", OMOTE_RULES_TYPE_OBJECT},
               {"main_frame", OMOTE_RULES_TYPE_DOCUMENT}, {"document", OMOTE_RULES_TYPE_DOCUMENT}};
    for (size_t i = 0; i != sizeof(map) / sizeof(map[0]); ++i)
        if (strcmp(map[i].name, t) == 0)
            return map[i].type;
    return OMOTE_RULES_TYPE_OTHER;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *list = DEFAULT_LIST, *requests = DEFAULT_REQUESTS;
    int rounds = 20;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--list") == 0 && i + 1 < argc)
            list = argv[++i];
        else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
            requests = argv[++i];
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--list FILE] [--requests FILE.jsonl] [--rounds N]\n", argv[0]);
            return 2;
        }
    }
    size_t len;
    char *text = slurp(list, &len);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", list);
        return 1;
    }

    /* load: parse + compile, with the memory the rule set holds afterwards */
    long rss_before = rss_kib();
    double t0 = now_ns();
    omote_rules_t *rules = omote_rules_create();
    omote_rules_stats_t stats = {0};
    omote_rules_add_list(rules, "list", text, len, &stats);
    omote_rules_compile(rules);
    double load_ms = (now_ns() - t0) / 1e6;
    long rss_after = rss_kib();
    free(text);
    printf("load: %s, %zu lines, %zu filters compiled, %zu skipped: %.1f ms, +%.1f MiB RSS\n", list, stats.lines,
           stats.filters, stats.skipped, load_ms, (rss_after - rss_before) / 1024.0);

    static struct st_request_t reqs[MAX_REQUESTS];
    size_t n = 0;
    FILE *fp = fopen(requests, "r");
    if (fp == NULL) {
        printf("decisions: %s absent (../shared/testdata): skipped\n", requests);
        omote_rules_free(rules);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    while (n < MAX_REQUESTS && getline(&line, &cap, fp) > 0) {
        json_t *row = json_loads(line, 0, NULL);
        const char *u = json_string_value(json_object_get(row, "url"));
        const char *s = json_string_value(json_object_get(row, "sourceUrl"));
        const char *t = json_string_value(json_object_get(row, "type"));
        if (u != NULL && s != NULL && t != NULL && strlen(u) < sizeof(reqs[0].url)) {
            snprintf(reqs[n].url, sizeof(reqs[n].url), "%s", u);
            host_of(u, reqs[n].host, sizeof(reqs[n].host));
            host_of(s, reqs[n].source, sizeof(reqs[n].source));
            reqs[n++].type = type_of(t);
        }
        json_decref(row);
    }
    free(line);
    fclose(fp);

    /* the clock's own cost, subtracted from each timed decision */
    double overhead = 1e9;
    for (int i = 0; i != 1000; ++i) {
        double a = now_ns(), b = now_ns();
        if (b - a < overhead)
            overhead = b - a;
    }
    size_t total = n * (size_t)rounds, blocked = 0, k = 0;
    double *ns = malloc(sizeof(double) * (total + 1));
    for (int r = 0; r != rounds; ++r) {
        for (size_t i = 0; i != n; ++i) {
            omote_rules_request_t rq = {reqs[i].url, reqs[i].host, reqs[i].source, reqs[i].type, NULL, 0};
            omote_rules_decision_t d;
            double a = now_ns();
            omote_rules_decide(rules, &rq, &d);
            double t = now_ns() - a - overhead;
            ns[k++] = t < 0 ? 0 : t;
            blocked += r == 0 && d.is_blocked;
        }
    }
    qsort(ns, total, sizeof(double), cmp_double);
    double sum = 0;
    for (size_t i = 0; i != total; ++i)
        sum += ns[i];
    printf("decisions: %zu requests x %d rounds (%zu blocked): median %.0f ns, p90 %.0f ns, p99 %.0f ns, mean %.0f ns "
           "(clock overhead %.0f ns subtracted)\n",
           n, rounds, blocked, ns[total / 2], ns[total * 9 / 10], ns[total * 99 / 100], sum / total, overhead);
    free(ns);
    omote_rules_free(rules);
    return 0;
}
