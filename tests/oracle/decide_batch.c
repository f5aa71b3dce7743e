/*
 * Prints omote's decision for each request of a JSON-lines sample, one JSON object per line, so
 * that compare.mjs can set them against an independent engine. A test tool, not part of omote.
 * Usage: omote_oracle_decide LIST.txt SAMPLE.jsonl
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "omote/rules.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = malloc(n + 1);
    *len = fread(text, 1, n, fp);
    text[*len] = '\0';
    fclose(fp);
    return text;
}

/* the lowercase host of an http(s)/ws(s) URL, or "" */
static void host_of(const char *url, char *host, size_t cap)
{
    const char *p = strstr(url, "://");
    size_t n = 0;
    host[0] = '\0';
    if (p == NULL)
        return;
    p += 3;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', end - p);
    if (at != NULL)
        p = at + 1;
    if (*p == '[') {
        while (p < end && *p != ']' && n + 1 < cap)
            host[n++] = *p++;
        if (p < end && n + 1 < cap)
            host[n++] = *p++;
    } else {
        while (p < end && *p != ':' && n + 1 < cap) {
            char c = *p++;
            host[n++] = c >= 'A' && c <= 'Z' ? c + 0x20 : c;
        }
    }
    host[n] = '\0';
}

static omote_rules_type_t type_of(const char *t)
{
    static const struct {
        const char *name;
        omote_rules_type_t type;
    } map[] = {{"script", OMOTE_RULES_TYPE_SCRIPT},     {"image", OMOTE_RULES_TYPE_IMAGE},
               {"stylesheet", OMOTE_RULES_TYPE_STYLESHEET}, {"xhr", OMOTE_RULES_TYPE_XMLHTTPREQUEST},
               {"fetch", OMOTE_RULES_TYPE_XMLHTTPREQUEST}, {"font", OMOTE_RULES_TYPE_FONT},
               {"media", OMOTE_RULES_TYPE_MEDIA},       {"websocket", OMOTE_RULES_TYPE_WEBSOCKET},
               {"document", OMOTE_RULES_TYPE_DOCUMENT}, {"sub_frame", OMOTE_RULES_TYPE_SUBDOCUMENT},
               {"subdocument", OMOTE_RULES_TYPE_SUBDOCUMENT}, {"ping", OMOTE_RULES_TYPE_PING}};
    for (size_t i = 0; i != sizeof(map) / sizeof(map[0]); ++i)
        if (strcmp(map[i].name, t) == 0)
            return map[i].type;
    return OMOTE_RULES_TYPE_OTHER;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIST.txt SAMPLE.jsonl\n", argv[0]);
        return 2;
    }
    size_t len;
    char *list = slurp(argv[1], &len);
    if (list == NULL) {
        perror(argv[1]);
        return 2;
    }
    omote_rules_t *rules = omote_rules_create();
    omote_rules_add_list(rules, "list", list, len, NULL);
    omote_rules_compile(rules);
    free(list);

    FILE *fp = fopen(argv[2], "r");
    if (fp == NULL) {
        perror(argv[2]);
        return 2;
    }
    char line[65536];
    while (fgets(line, sizeof(line), fp) != NULL) {
        json_error_t jerr;
        json_t *row = json_loads(line, 0, &jerr);
        if (row == NULL)
            continue;
        const char *url = json_string_value(json_object_get(row, "url"));
        const char *source = json_string_value(json_object_get(row, "sourceUrl"));
        const char *type = json_string_value(json_object_get(row, "type"));
        char host[256], source_host[256];
        host_of(url != NULL ? url : "", host, sizeof(host));
        host_of(source != NULL ? source : "", source_host, sizeof(source_host));
        omote_rules_request_t req = {url != NULL ? url : "", host, source_host, type_of(type != NULL ? type : "other")};
        omote_rules_decision_t d;
        omote_rules_decide(rules, &req, &d);
        json_t *out = json_pack("{s:O, s:b, s:b, s:s?, s:i}", "index", json_object_get(row, "index"), "blocked", d.is_blocked,
                                "exception", d.was_exception, "filter", d.filter, "line", (int)d.line);
        char *text = json_dumps(out, JSON_COMPACT);
        puts(text);
        free(text);
        json_decref(out);
        json_decref(row);
    }
    fclose(fp);
    omote_rules_free(rules);
    return 0;
}
