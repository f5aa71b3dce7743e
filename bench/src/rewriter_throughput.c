/*
 * Rewriter throughput over real pages, per chunk size, stage by stage (as lol-html measures its
 * own): the tokenizer alone, the rewriter keeping everything, and the rewriter deciding with
 * omote's tracker module over EasyPrivacy, as src/glue/rewrite_filter.c does. It checks itself:
 * every page must give the same output under every chunk size (and its own bytes when nothing is
 * removed), else it exits 1. Timing covers only the feeding; loading rules and pages does not.
 * The tracker stage is configured as production is: a policy holding config/signatures.txt
 * (loader signatures, checked on every inline script), the visitor's purposes being the strictly
 * necessary ones, `why` filled on every decision and `<a ping>` judged by omote_tracker_judge_ping.
 *
 * Usage: omote_bench_rewriter [--pages DIR] [--rules FILE] [--signatures FILE|none] [--repeat N] [--tsv] [--digest] [--cache]
 *                             [--copies N] [--no-runs] [--stage NAME]
 *   --cache: rule decisions go through a decision cache kept across runs, as an omote worker keeps
 *            one across requests (the pages are "served again"); without it every decision is cold.
 *   --copies: each run serves every page under N URLs in turn ("?copy=K"), so that the pages the
 *            cache is asked about are N times as many: a shop with more pages than it holds.
 *   --no-runs: the cache keeps no runs of pages (omote_tracker_page_runs), to see what they save.
 *
 *   --stage: times only the named stage (to profile one stage with perf).
 * --digest prints FNV-1a 64 hashes over the tracker stage's outputs and over its decisions (what
 * decided each removal: source, type, URL, list line, vendor, signature line), so that a change to
 * the judging path can be shown to decide exactly as before.
 */
#include "omote/config.h"
#include "omote/html_rewriter.h"
#include "omote/policy.h"
#include "omote/rules.h"
#include "omote/tracker.h"
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PAGES 256
#define DEBIAN_EASYPRIVACY "/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easyprivacy.txt"
#define FALLBACK_RULES "tests/fixtures/trackers.txt"
#define DEFAULT_SIGNATURES "config/signatures.txt"
#define FNV64_OFFSET 14695981039346656037ull

static const size_t chunk_sizes[] = {4096, 16384, 65536};
#define NUM_CHUNK_SIZES (sizeof(chunk_sizes) / sizeof(chunk_sizes[0]))

enum { MODE_TOKENIZER, MODE_KEEP, MODE_TRACKERS, NUM_MODES };
static const char *const mode_names[] = {"tokenizer", "rewriter-keep", "rewriter-trackers"};

struct page {
    char name[128];
    char url[256], host[160];
    char *bytes;
    size_t len;
};

/* ---- output sinks ---- */

/*
 * The timed sink does what the h2o filter does with the output: a list of pieces, input bytes
 * by reference and the rest copied into an arena, both reset for every chunk.
 */
struct sink {
    struct {
        const char *base;
        size_t len;
    } * pieces;
    size_t num_pieces, pieces_cap;
    char *arena;
    size_t arena_len, arena_cap;
    /* the checking run keeps the whole output instead */
    int keep_all;
    char *all;
    size_t all_len, all_cap;
};

static void *xrealloc(void *p, size_t n)
{
    if ((p = realloc(p, n)) == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void sink_write(struct sink *s, const char *bytes, size_t len, int is_input)
{
    if (s->keep_all) {
        if (s->all_len + len > s->all_cap) {
            s->all_cap = (s->all_len + len) * 2;
            s->all = xrealloc(s->all, s->all_cap);
        }
        memcpy(s->all + s->all_len, bytes, len);
        s->all_len += len;
        return;
    }
    if (!is_input) {
        if (s->arena_len + len > s->arena_cap) {
            s->arena_cap = (s->arena_len + len) * 2;
            s->arena = xrealloc(s->arena, s->arena_cap);
        }
        memcpy(s->arena + s->arena_len, bytes, len);
        bytes = s->arena + s->arena_len; /* (a real filter keeps an offset: the arena may move) */
        s->arena_len += len;
    }
    if (s->num_pieces == s->pieces_cap) {
        s->pieces_cap = s->pieces_cap * 2 + 64;
        s->pieces = xrealloc(s->pieces, s->pieces_cap * sizeof(*s->pieces));
    }
    s->pieces[s->num_pieces].base = bytes;
    s->pieces[s->num_pieces].len = len;
    ++s->num_pieces;
}

static void sink_reset(struct sink *s)
{
    s->num_pieces = 0;
    s->arena_len = 0;
}

/* ---- deciders ---- */

struct run_ctx {
    struct sink sink;
    omote_tracker_page_t page;
    size_t tokens, token_bytes;
    uint64_t *why_digest; /* the checking run hashes every removal's reason here (NULL: not) */
};

static uint64_t fnv64(uint64_t h, const void *bytes, size_t len)
{
    for (size_t i = 0; i != len; ++i)
        h = (h ^ ((const unsigned char *)bytes)[i]) * 1099511628211ull;
    return h;
}

static void digest_why(struct run_ctx *rc, int what, const omote_tracker_why_t *why)
{
    if (rc->why_digest == NULL)
        return;
    char line[OMOTE_TRACKER_MAX_URL + 256];
    int n = snprintf(line, sizeof(line), "%d|%d|%d|%s|%s|%u|%d|%u\n", what, (int)why->source, (int)why->type,
                     why->source == OMOTE_TRACKER_BY_SIGNATURE ? "" : why->url,
                     why->source == OMOTE_TRACKER_BY_RULE ? why->decision.list_name : "",
                     why->source == OMOTE_TRACKER_BY_RULE ? why->decision.line : 0, why->vendor,
                     why->signature != NULL ? why->signature->line : 0);
    *rc->why_digest = fnv64(*rc->why_digest, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
}

static void on_output(void *ctx, const char *bytes, size_t len, int is_input)
{
    sink_write(&((struct run_ctx *)ctx)->sink, bytes, len, is_input);
}

static omote_rewrite_verdict_t keep_tag(void *ctx, const omote_html_token_t *tag)
{
    return OMOTE_REWRITE_KEEP;
}

static omote_rewrite_verdict_t keep_text(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated)
{
    return OMOTE_REWRITE_KEEP;
}

/* the three deciders do what src/glue/rewrite_filter.c does, `why` included */
static omote_rewrite_verdict_t judge_tag(void *ctx, const omote_html_token_t *tag)
{
    struct run_ctx *rc = ctx;
    omote_tracker_why_t why;
    omote_rewrite_verdict_t v = omote_tracker_judge_tag(&rc->page, tag, &why);
    if (v == OMOTE_REWRITE_REMOVE)
        digest_why(rc, 0, &why);
    return v;
}

static omote_rewrite_verdict_t judge_text(void *ctx, const char *tag_name, const char *text, size_t len, int is_truncated)
{
    struct run_ctx *rc = ctx;
    omote_tracker_why_t why;
    omote_rewrite_verdict_t v = omote_tracker_judge_script_text(&rc->page, text, len, &why);
    if (v == OMOTE_REWRITE_REMOVE)
        digest_why(rc, 1, &why);
    return v;
}

static omote_rewrite_verdict_t judge_attribute(void *ctx, const omote_html_token_t *tag, size_t index)
{
    struct run_ctx *rc = ctx;
    omote_tracker_why_t why;
    if (!omote_tracker_judge_ping(&rc->page, tag->attrs[index].value.base, tag->attrs[index].value.len, &why))
        return OMOTE_REWRITE_KEEP;
    digest_why(rc, 2, &why);
    return OMOTE_REWRITE_REMOVE;
}

/* the keeping decider reads no attributes; the tracker one only those of the tags it judges */
static int wants_no_attributes(void *ctx, const char *name, size_t len)
{
    return OMOTE_HTML_ATTRS_AS_TEXT;
}

static int tracker_wants_attributes(void *ctx, const char *name, size_t len)
{
    return omote_tracker_reads_attributes(name, len) ? OMOTE_HTML_ATTRS_READ : OMOTE_HTML_ATTRS_AS_TEXT;
}

static const omote_html_rewriter_callbacks_t keep_callbacks = {keep_tag, keep_text, on_output, NULL, wants_no_attributes};
static int tracker_known_kept(void *ctx, const char *raw, size_t len)
{
    struct run_ctx *rc = ctx;
    return omote_tracker_tag_known_kept(&rc->page, raw, len);
}

static size_t tracker_known_run(void *ctx, const char *bytes, size_t avail)
{
    struct run_ctx *rc = ctx;
    return omote_tracker_run_known(&rc->page, bytes, avail);
}

static void tracker_passed_run(void *ctx, const char *bytes, size_t len)
{
    struct run_ctx *rc = ctx;
    omote_tracker_remember_run(&rc->page, bytes, len);
}

/* by omote_tracker_page_runs, as omote's filter chooses them */
static const omote_html_rewriter_callbacks_t tracker_callbacks[] = {
    [OMOTE_TRACKER_RUNS_NONE] = {judge_tag, judge_text, on_output, judge_attribute, tracker_wants_attributes, tracker_known_kept},
    [OMOTE_TRACKER_RUNS_KEEP] = {judge_tag, judge_text, on_output, judge_attribute, tracker_wants_attributes, tracker_known_kept,
                                 NULL, tracker_passed_run},
    [OMOTE_TRACKER_RUNS_USE] = {judge_tag, judge_text, on_output, judge_attribute, tracker_wants_attributes, tracker_known_kept,
                                tracker_known_run, tracker_passed_run},
};

static int count_token(void *ctx, const omote_html_token_t *token)
{
    struct run_ctx *rc = ctx;
    ++rc->tokens;
    rc->token_bytes += token->raw_len;
    return 0;
}

/* ---- running ---- */

struct totals {
    omote_html_rewriter_stats_t stats;
    size_t out_bytes;
};

static void add_stats(struct totals *t, const omote_html_rewriter_stats_t *s)
{
    t->stats.elements_removed += s->elements_removed;
    t->stats.noscript_removed += s->noscript_removed;
    t->stats.bytes_removed += s->bytes_removed;
    t->stats.attributes_stripped += s->attributes_stripped;
    t->stats.oversized_tags += s->oversized_tags;
    t->stats.inspected += s->inspected;
    t->stats.inspected_truncated += s->inspected_truncated;
}

/* Feeds one page in chunks of `chunk` bytes through the stage `mode`. */
static const omote_policy_t *policy; /* NULL with --signatures none */
static omote_tracker_cache_t *decision_cache; /* --cache: decisions remembered across runs, as a worker does */
static int page_copy;                         /* --copies: the copy being served (0: the page's own URL) */
static int no_runs;                           /* --no-runs */

static void run_page(int mode, const omote_rules_t *rules, const struct page *pg, size_t chunk, struct run_ctx *rc,
                     struct totals *totals)
{
    static const char *const ping[] = {"ping"};
    char copy_url[sizeof(pg->url) + 16];
    if (page_copy == 0)
        snprintf(copy_url, sizeof(copy_url), "%s", pg->url);
    else
        snprintf(copy_url, sizeof(copy_url), "%s?copy=%d", pg->url, page_copy);
    rc->page = (omote_tracker_page_t){
        rules, copy_url, pg->host, NULL, 0, policy, policy != NULL ? omote_policy_necessary(policy) : 0, decision_cache, 1};
    if (mode == MODE_TOKENIZER) {
        omote_html_tokenizer_t *tok = omote_html_tokenizer_create(NULL);
        for (size_t off = 0; off < pg->len || off == 0; off += chunk) {
            size_t n = pg->len - off < chunk ? pg->len - off : chunk;
            omote_html_tokenizer_feed(tok, pg->bytes + off, n, off + n >= pg->len, count_token, rc);
            if (n == 0)
                break;
        }
        omote_html_tokenizer_free(tok);
        return;
    }
    omote_html_rewriter_options_t opts = {0};
    if (mode == MODE_TRACKERS) {
        opts.strip_attributes = ping;
        opts.num_strip_attributes = 1;
    }
    omote_tracker_runs_t runs = mode == MODE_KEEP || no_runs ? OMOTE_TRACKER_RUNS_NONE : omote_tracker_page_runs(&rc->page);
    const omote_html_rewriter_callbacks_t *cb = mode == MODE_KEEP ? &keep_callbacks : &tracker_callbacks[runs];
    omote_html_rewriter_t *rw = omote_html_rewriter_create(&opts, cb, rc);
    for (size_t off = 0; off < pg->len || off == 0; off += chunk) {
        size_t n = pg->len - off < chunk ? pg->len - off : chunk;
        sink_reset(&rc->sink);
        omote_html_rewriter_feed(rw, pg->bytes + off, n, off + n >= pg->len);
        if (n == 0)
            break;
    }
    if (totals != NULL)
        add_stats(totals, omote_html_rewriter_stats(rw));
    omote_html_rewriter_free(rw);
}

/* CPU time of this thread: on a machine shared with other work, time spent descheduled is not
 * the rewriter's (the figures are per CPU-second, i.e. single core). */
static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/*
 * The self-check: each page's output under every chunk size must equal its output under the
 * first, and equal the page itself when nothing is removed; the tokenizer's tokens must cover
 * the page exactly. Returns the number of failures.
 */
static int check_outputs(const omote_rules_t *rules, struct page *pages, size_t num, struct totals *totals, uint64_t *out_digest,
                         uint64_t *why_digest)
{
    int failures = 0;
    for (size_t i = 0; i != num; ++i) {
        for (int mode = 0; mode != NUM_MODES; ++mode) {
            char *first = NULL;
            size_t first_len = 0;
            for (size_t c = 0; c != NUM_CHUNK_SIZES; ++c) {
                struct run_ctx rc = {{.keep_all = 1}};
                if (mode == MODE_TRACKERS && c == 0)
                    rc.why_digest = why_digest;
                run_page(mode, rules, &pages[i], chunk_sizes[c], &rc, c == 0 ? &totals[mode] : NULL);
                if (mode == MODE_TOKENIZER) {
                    if (rc.token_bytes != pages[i].len) {
                        fprintf(stderr, "FAIL %s: tokens cover %zu of %zu bytes (chunk %zu)\n", pages[i].name, rc.token_bytes,
                                pages[i].len, chunk_sizes[c]);
                        ++failures;
                    }
                    continue;
                }
                if (c == 0) {
                    first = rc.sink.all;
                    first_len = rc.sink.all_len;
                    totals[mode].out_bytes += first_len;
                    if (mode == MODE_TRACKERS) {
                        *out_digest = fnv64(*out_digest, pages[i].name, strlen(pages[i].name) + 1);
                        *out_digest = fnv64(*out_digest, first, first_len);
                    }
                    if (mode == MODE_KEEP && (first_len != pages[i].len || memcmp(first, pages[i].bytes, first_len) != 0)) {
                        fprintf(stderr, "FAIL %s: keeping everything changed the page\n", pages[i].name);
                        ++failures;
                    }
                    continue;
                }
                if (rc.sink.all_len != first_len || memcmp(rc.sink.all, first, first_len) != 0) {
                    fprintf(stderr, "FAIL %s (%s): output with %zu-byte chunks differs from %zu-byte chunks\n", pages[i].name,
                            mode_names[mode], chunk_sizes[c], chunk_sizes[0]);
                    ++failures;
                }
                free(rc.sink.all);
            }
            free(first);
        }
    }
    return failures;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static size_t load_pages(const char *dir, struct page *pages, size_t cap)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    size_t num = 0;
    for (int i = 0; i < n; ++i) {
        const char *name = names[i]->d_name;
        size_t nl = strlen(name);
        char path[4096];
        FILE *fp;
        if (num < cap && nl > 5 && nl < sizeof(pages[num].name) && strcmp(name + nl - 5, ".html") == 0 &&
            (snprintf(path, sizeof(path), "%s/%s", dir, name), fp = fopen(path, "rb")) != NULL) {
            struct page *pg = &pages[num++];
            fseek(fp, 0, SEEK_END);
            long len = ftell(fp);
            fseek(fp, 0, SEEK_SET);
            pg->bytes = xrealloc(NULL, len > 0 ? len : 1);
            pg->len = fread(pg->bytes, 1, len, fp);
            fclose(fp);
            snprintf(pg->name, sizeof(pg->name), "%.*s", (int)(nl - 5), name);
            /* an origin of its own, so that no tracker counts as first party */
            snprintf(pg->host, sizeof(pg->host), "www.%s.example", pg->name);
            snprintf(pg->url, sizeof(pg->url), "https://%s/", pg->host);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    return num;
}

static omote_rules_t *load_rules(const char *path, size_t *num_filters)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = xrealloc(NULL, len > 0 ? len : 1);
    len = (long)fread(text, 1, len, fp);
    fclose(fp);
    omote_rules_t *rules = omote_rules_create();
    omote_rules_add_list(rules, path, text, len, NULL);
    omote_rules_compile(rules);
    free(text);
    *num_filters = omote_rules_num_filters(rules);
    return rules;
}

/* A minimal configuration (no vendors, so every signature removes its snippet) and the signatures file. */
static omote_policy_t *load_policy(const char *path, omote_config_t **conf)
{
    static const char json[] = "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}],"
                               " \"origin\": {\"url\": \"http://127.0.0.1:8081/\"}}";
    omote_config_error_t cerr;
    char err[256], *text = NULL;
    if (omote_config_load_string(json, sizeof(json) - 1, "bench.json", conf, &cerr) != 0)
        return NULL;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    text = xrealloc(NULL, len > 0 ? len : 1);
    len = (long)fread(text, 1, len, fp);
    fclose(fp);
    omote_policy_t *p = omote_policy_create(*conf, text, len, path, err, sizeof(err));
    if (p == NULL)
        fprintf(stderr, "%s\n", err);
    free(text);
    return p;
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/testdata/pages", *rules_path = NULL, *signatures_path = DEFAULT_SIGNATURES;
    int repeat = 7, tsv = 0, digest = 0, only_mode = -1, copies = 1;
    uint64_t out_digest = FNV64_OFFSET, why_digest = FNV64_OFFSET;
    omote_config_t *conf = NULL;
    omote_policy_t *own_policy = NULL;
    static struct page pages[MAX_PAGES];
    struct totals totals[NUM_MODES] = {{{0}}};
    size_t num_filters = 0, total = 0;

    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--pages") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
            rules_path = argv[++i];
        } else if (strcmp(argv[i], "--signatures") == 0 && i + 1 < argc) {
            signatures_path = argv[++i];
        } else if (strcmp(argv[i], "--cache") == 0) {
            decision_cache = omote_tracker_cache_create(0);
        } else if (strcmp(argv[i], "--digest") == 0) {
            digest = 1;
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--copies") == 0 && i + 1 < argc) {
            copies = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--no-runs") == 0) {
            no_runs = 1;
        } else if (strcmp(argv[i], "--tsv") == 0) {
            tsv = 1;
        } else if (strcmp(argv[i], "--stage") == 0 && i + 1 < argc) {
            ++i;
            for (int m = 0; m != NUM_MODES; ++m)
                if (strcmp(argv[i], mode_names[m]) == 0)
                    only_mode = m;
            if (only_mode < 0) {
                fprintf(stderr, "unknown stage %s (tokenizer, rewriter-keep, rewriter-trackers)\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr,
                    "usage: %s [--pages DIR] [--rules FILE] [--signatures FILE|none] [--repeat N] [--tsv] [--digest] [--cache] "
                    "[--copies N] [--no-runs] [--stage NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    if (repeat < 1)
        repeat = 1;
    if (copies < 1)
        copies = 1;
    size_t num = load_pages(dir, pages, MAX_PAGES);
    if (num == 0) {
        fprintf(stderr, "no .html pages in %s\n", dir);
        return 2;
    }
    for (size_t i = 0; i != num; ++i)
        total += pages[i].len;
    if (rules_path == NULL) {
        FILE *fp = fopen(DEBIAN_EASYPRIVACY, "rb");
        rules_path = fp != NULL ? DEBIAN_EASYPRIVACY : FALLBACK_RULES;
        if (fp != NULL)
            fclose(fp);
    }
    omote_rules_t *rules = load_rules(rules_path, &num_filters);
    if (rules == NULL) {
        fprintf(stderr, "cannot read rules %s\n", rules_path);
        return 2;
    }

    if (strcmp(signatures_path, "none") != 0 && (policy = own_policy = load_policy(signatures_path, &conf)) == NULL) {
        if (strcmp(signatures_path, DEFAULT_SIGNATURES) != 0) {
            fprintf(stderr, "cannot load signatures %s (--signatures none to run without)\n", signatures_path);
            return 2;
        }
        fprintf(stderr, "note: no %s here (run from the source tree); judging without signatures\n", DEFAULT_SIGNATURES);
        signatures_path = "none";
    }

    int failures = check_outputs(rules, pages, num, totals, &out_digest, &why_digest);
    if (digest)
        printf("%sdigest: outputs %016llx decisions %016llx\n", tsv ? "# " : "", (unsigned long long)out_digest,
               (unsigned long long)why_digest);

    if (!tsv) {
        printf("pages: %zu from %s, %zu bytes, %d cop%s each; rules: %s (%zu filters); signatures: %s (%zu); median of %d runs\n",
               num, dir,
               total, copies, copies == 1 ? "y" : "ies", rules_path, num_filters, policy != NULL ? signatures_path : "none",
               policy != NULL ? omote_policy_num_signatures(policy) : 0, repeat);
        printf("%-20s %10s %10s %10s\n", "stage MB/s", "4 KiB", "16 KiB", "64 KiB");
    }
    for (int mode = 0; mode != NUM_MODES; ++mode) {
        if (only_mode >= 0 && mode != only_mode)
            continue; /* --stage: time one stage alone, e.g. under perf */
        double mbps[NUM_CHUNK_SIZES];
        for (size_t c = 0; c != NUM_CHUNK_SIZES; ++c) {
            double runs[1024];
            int nr = repeat < 1024 ? repeat : 1024;
            struct run_ctx rc = {{0}};
            for (int r = 0; r < nr; ++r) {
                double t0 = now_sec();
                for (page_copy = 0; page_copy != copies; ++page_copy)
                    for (size_t i = 0; i != num; ++i)
                        run_page(mode, rules, &pages[i], chunk_sizes[c], &rc, NULL);
                runs[r] = now_sec() - t0;
            }
            page_copy = 0;
            qsort(runs, nr, sizeof(runs[0]), cmp_double);
            mbps[c] = (double)total * copies / runs[nr / 2] / 1e6;
            free(rc.sink.pieces);
            free(rc.sink.arena);
            if (tsv)
                printf("omote\t%s\t%zu\t%.1f\n", mode_names[mode], chunk_sizes[c], mbps[c]);
        }
        if (!tsv)
            printf("%-20s %10.1f %10.1f %10.1f\n", mode_names[mode], mbps[0], mbps[1], mbps[2]);
    }
    if (decision_cache != NULL) {
        uint64_t hits, misses;
        omote_tracker_cache_stats(decision_cache, &hits, &misses);
        printf("%sdecision cache: %llu hits, %llu misses (%.1f%% hit)", tsv ? "# " : "", (unsigned long long)hits,
               (unsigned long long)misses, hits + misses != 0 ? 100.0 * hits / (hits + misses) : 0.0);
        omote_tracker_cache_script_stats(decision_cache, &hits, &misses);
        printf("; inline script verdicts: %llu from it, %llu judged", (unsigned long long)hits, (unsigned long long)misses);
        omote_tracker_cache_tag_stats(decision_cache, &hits, &misses);
        printf("; start tags known kept: %llu, asked but not known: %llu", (unsigned long long)hits, (unsigned long long)misses);
        omote_tracker_cache_run_stats(decision_cache, &hits, &misses);
        printf("; runs passed whole: %llu, asked but not known: %llu\n", (unsigned long long)hits, (unsigned long long)misses);
    }
    const omote_html_rewriter_stats_t *st = &totals[MODE_TRACKERS].stats;
    printf("%sremoved with trackers: %zu elements, %zu noscript blocks, %zu ping attributes, %zu bytes (%.2f%%); "
           "%zu inline scripts inspected; %zu oversized tags\n",
           tsv ? "# " : "", st->elements_removed, st->noscript_removed, st->attributes_stripped, st->bytes_removed,
           100.0 * st->bytes_removed / total, st->inspected, st->oversized_tags);
    printf("%soutput check: %s (%zu pages x %zu chunk sizes x %d stages)\n", tsv ? "# " : "",
           failures == 0 ? "identical under every chunk size" : "FAILED", num, NUM_CHUNK_SIZES, NUM_MODES);
    omote_rules_free(rules);
    omote_policy_free(own_policy);
    omote_config_free(conf);
    for (size_t i = 0; i != num; ++i)
        free(pages[i].bytes);
    return failures == 0 ? 0 : 1;
}
