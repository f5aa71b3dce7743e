/*
 * Tokenizer throughput over real pages: every page of a directory, fed in chunks of each size,
 * with a callback that only counts tokens. Prints MB/s per chunk size (best of N repetitions).
 * Usage: omote_bench_tokenizer [DIR=../shared/testdata/pages] [REPEAT=5]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "omote/html_tokenizer.h"

struct page {
    char *bytes;
    size_t len;
};

static int count_token(void *ctx, const omote_html_token_t *token)
{
    ++*(size_t *)ctx;
    return 0;
}

static size_t load_pages(const char *dir, struct page *pages, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < cap) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 5, ".html") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        if (fp == NULL)
            continue;
        fseek(fp, 0, SEEK_END);
        long len = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        pages[n].bytes = malloc(len > 0 ? len : 1);
        pages[n].len = fread(pages[n].bytes, 1, len, fp);
        fclose(fp);
        ++n;
    }
    closedir(d);
    return n;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/testdata/pages";
    int repeat = argc > 2 ? atoi(argv[2]) : 5;
    static struct page pages[256];
    size_t num = load_pages(dir, pages, 256), total = 0, tokens = 0;
    static const size_t chunk_sizes[] = {4096, 16384, 65536};

    if (num == 0) {
        fprintf(stderr, "no .html pages in %s\n", dir);
        return 1;
    }
    for (size_t i = 0; i != num; ++i)
        total += pages[i].len;
    printf("pages: %zu from %s, %.1f MB\n", num, dir, total / 1e6);
    for (size_t c = 0; c != sizeof(chunk_sizes) / sizeof(chunk_sizes[0]); ++c) {
        double best = 1e9;
        for (int r = 0; r < repeat; ++r) {
            double t0 = now_sec();
            for (size_t i = 0; i != num; ++i) {
                omote_html_tokenizer_t *tok = omote_html_tokenizer_create(&(omote_html_options_t){0});
                for (size_t off = 0; off < pages[i].len; off += chunk_sizes[c]) {
                    size_t n = pages[i].len - off < chunk_sizes[c] ? pages[i].len - off : chunk_sizes[c];
                    omote_html_tokenizer_feed(tok, pages[i].bytes + off, n, off + n == pages[i].len, count_token, &tokens);
                }
                omote_html_tokenizer_free(tok);
            }
            double t = now_sec() - t0;
            if (t < best)
                best = t;
        }
        printf("chunk %6zu B: %8.1f MB/s  (best of %d)\n", chunk_sizes[c], total / best / 1e6, repeat);
    }
    printf("tokens seen: %zu\n", tokens);
    return 0;
}
