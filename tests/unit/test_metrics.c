/* Unit tests for metric shards and their Prometheus rendering. */
#include <stdlib.h>
#include <string.h>
#include "omote/metrics.h"
#include "tap.h"

static int has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p += len)
        if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
            return 1;
    return 0;
}

static void test_sum_of_shards(void)
{
    omote_metrics_shard_t a = {0}, b = {0};
    omote_metrics_shard_t *shards[] = {&a, &b};
    omote_metrics_process_t process = {2, 1, 3, 0};

    omote_metrics_count_status(&a, 200);
    omote_metrics_count_status(&b, 204);
    omote_metrics_count_status(&b, 502);
    omote_metrics_count_status(&a, 999);
    omote_metrics_add(&a.connections_accepted, 5);
    omote_metrics_add(&a.connections_closed, 2);
    omote_metrics_add(&b.connections_accepted, 1);
    omote_metrics_set(&a.redis_connected, 1);
    omote_metrics_observe_origin_latency(&a, 800);     /* 0.8 ms: first bucket */
    omote_metrics_observe_origin_latency(&b, 30000);   /* 30 ms: the 0.05 bucket */
    omote_metrics_observe_origin_latency(&b, 20000000); /* 20 s: only +Inf */

    size_t len;
    char *text = omote_metrics_render(shards, 2, &process, &len);
    is_int(strlen(text), len, "length matches");
    ok(has_line(text, "omote_http_requests_total{class=\"2xx\"} 2"), "2xx summed over shards");
    ok(has_line(text, "omote_http_requests_total{class=\"5xx\"} 1"), "5xx counted");
    ok(has_line(text, "omote_http_requests_total{class=\"other\"} 1"), "out-of-range status counted as other");
    ok(has_line(text, "omote_connections_open 4"), "open connections = accepted - closed");
    ok(has_line(text, "omote_redis_connections_up 1"), "redis gauge summed");
    ok(has_line(text, "omote_redis_threads 2"), "one redis connection per shard");
    ok(has_line(text, "omote_origin_response_seconds_bucket{le=\"0.001\"} 1"), "first bucket");
    ok(has_line(text, "omote_origin_response_seconds_bucket{le=\"0.025\"} 1"), "buckets are cumulative");
    ok(has_line(text, "omote_origin_response_seconds_bucket{le=\"0.05\"} 2"), "30 ms lands at le=0.05");
    ok(has_line(text, "omote_origin_response_seconds_bucket{le=\"10\"} 2"), "20 s is above the last bound");
    ok(has_line(text, "omote_origin_response_seconds_bucket{le=\"+Inf\"} 3"), "+Inf holds every observation");
    ok(has_line(text, "omote_origin_response_seconds_count 3"), "count");
    ok(has_line(text, "omote_origin_response_seconds_sum 20.030800"), "sum in seconds");
    ok(has_line(text, "omote_config_reloads_total 2"), "process counters");
    ok(has_line(text, "# TYPE omote_http_requests_total counter"), "TYPE line present");
    free(text);
}

static void test_every_sample_has_help_and_type(void)
{
    omote_metrics_shard_t a = {0};
    omote_metrics_shard_t *shards[] = {&a};
    omote_metrics_process_t process = {0};
    size_t len;
    char *text = omote_metrics_render(shards, 1, &process, &len);
    int bad = 0;
    char *save, *line = strtok_r(text, "\n", &save);
    char family[128] = "";
    for (; line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# TYPE ", 7) == 0) {
            sscanf(line + 7, "%127s", family);
            continue;
        }
        if (line[0] == '#')
            continue;
        if (family[0] == '\0' || strncmp(line, family, strlen(family)) != 0)
            ++bad;
    }
    is_int(bad, 0, "every sample follows the TYPE line of its family");
    free(text);
}

int main(void)
{
    test_sum_of_shards();
    test_every_sample_has_help_and_type();
    return done_testing();
}
