/*
 * Sums the per-thread metric shards and prints them in Prometheus text format. Shards are
 * read with relaxed loads while their threads keep writing; a scrape may see one counter a
 * request ahead of another, which Prometheus tolerates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "omote/consent_token.h"
#include "omote/metrics.h"
#include "omote/rules.h"

static const double latency_bounds[OMOTE_METRICS_LATENCY_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

static const char *const removed_what_names[OMOTE_REMOVED_WHAT_COUNT] = {
    "script", "inline_script", "image", "subdocument", "object", "media", "link", "noscript", "ping_attribute",
    "oversized_tag", "set_cookie", "request_cookie", "request"};
static const char *const removed_by_names[OMOTE_REMOVED_BY_COUNT - OMOTE_METRICS_MAX_LISTS] = {
    "vendor", "signature", "block_paths", "cookie_purpose", "unknown_cookie", "size_limit"};
const char *const omote_metrics_csp_directives[OMOTE_METRICS_CSP_DIRECTIVES] = {
    "script-src", "script-src-elem", "img-src", "connect-src", "frame-src", "style-src", "font-src", "media-src",
    "default-src", "object-src"};
static const char *const cosmetic_names[OMOTE_RULES_COSMETIC_COUNT] = {"hide", "unhide", "extended", "css", "js", "scriptlet", "html"};

const char *omote_metrics_removed_what_name(omote_removed_what_t what)
{
    return what < OMOTE_REMOVED_WHAT_COUNT ? removed_what_names[what] : "other";
}

double omote_metrics_latency_bound(size_t i)
{
    return latency_bounds[i];
}

void omote_metrics_count_status(omote_metrics_shard_t *shard, int status)
{
    size_t klass = status >= 100 && status <= 599 ? (size_t)status / 100 : 0;
    omote_metrics_add(&shard->requests_by_class[klass], 1);
}

void omote_metrics_observe_origin_latency(omote_metrics_shard_t *shard, uint64_t micros)
{
    size_t i;
    for (i = 0; i != OMOTE_METRICS_LATENCY_BUCKETS; ++i)
        if ((double)micros <= latency_bounds[i] * 1e6)
            break;
    omote_metrics_add(&shard->origin_latency_buckets[i], 1);
    omote_metrics_add(&shard->origin_latency_sum_us, micros);
    omote_metrics_add(&shard->origin_latency_count, 1);
}

struct out_t {
    char *buf;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void emit(struct out_t *out, const char *fmt, ...)
{
    for (;;) {
        va_list args;
        va_start(args, fmt);
        int n = vsnprintf(out->buf + out->len, out->cap - out->len, fmt, args);
        va_end(args);
        if (n >= 0 && (size_t)n < out->cap - out->len) {
            out->len += n;
            return;
        }
        out->cap = out->cap * 2 + (n > 0 ? (size_t)n : 0);
        if ((out->buf = realloc(out->buf, out->cap)) == NULL)
            abort();
    }
}

static uint64_t load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* sums the counter at `offset` bytes into each shard */
static uint64_t sum(omote_metrics_shard_t *const *shards, size_t n, size_t offset)
{
    uint64_t total = 0;
    for (size_t i = 0; i != n; ++i)
        total += load((const uint64_t *)((const char *)shards[i] + offset));
    return total;
}

#define SUM(field) sum(shards, num_shards, offsetof(omote_metrics_shard_t, field))

static void render_requests(struct out_t *out, omote_metrics_shard_t *const *shards, size_t num_shards)
{
    static const char *classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    emit(out, "# HELP omote_http_requests_total Responses sent to clients, by status class.\n"
              "# TYPE omote_http_requests_total counter\n");
    for (size_t k = 0; k != 6; ++k)
        emit(out, "omote_http_requests_total{class=\"%s\"} %llu\n", classes[k], (unsigned long long)SUM(requests_by_class[k]));
}

static void render_latency(struct out_t *out, omote_metrics_shard_t *const *shards, size_t num_shards)
{
    emit(out, "# HELP omote_origin_response_seconds Time from sending a request to the origin until its response head.\n"
              "# TYPE omote_origin_response_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t i = 0; i != OMOTE_METRICS_LATENCY_BUCKETS; ++i) {
        cumulative += SUM(origin_latency_buckets[i]);
        emit(out, "omote_origin_response_seconds_bucket{le=\"%g\"} %llu\n", latency_bounds[i], (unsigned long long)cumulative);
    }
    cumulative += SUM(origin_latency_buckets[OMOTE_METRICS_LATENCY_BUCKETS]);
    emit(out, "omote_origin_response_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
    emit(out, "omote_origin_response_seconds_sum %.6f\n", SUM(origin_latency_sum_us) / 1e6);
    emit(out, "omote_origin_response_seconds_count %llu\n", (unsigned long long)SUM(origin_latency_count));
}

static void render_counter(struct out_t *out, const char *name, const char *help, const char *type, uint64_t value)
{
    emit(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, (unsigned long long)value);
}

static void render_rejects(struct out_t *out, omote_metrics_shard_t *const *shards, size_t num_shards)
{
    static const char *reasons[OMOTE_METRICS_REJECT_MAX] = {"header_count", "header_bytes", "header_field",
                                                            "empty_header_name", "obs_fold", "body_too_large",
                                                            "bad_request_line", "malformed_field", "connection_header",
                                                            "content_length", "address_rate"};
    emit(out, "# HELP omote_requests_rejected_total Requests refused before reaching the origin, by reason.\n"
              "# TYPE omote_requests_rejected_total counter\n");
    for (size_t r = 0; r != OMOTE_METRICS_REJECT_MAX; ++r)
        emit(out, "omote_requests_rejected_total{reason=\"%s\"} %llu\n", reasons[r], (unsigned long long)SUM(rejected[r]));
    emit(out, "# HELP omote_origin_errors_total Requests the origin did not answer, by kind.\n"
              "# TYPE omote_origin_errors_total counter\n"
              "omote_origin_errors_total{kind=\"connect\"} %llu\nomote_origin_errors_total{kind=\"timeout\"} %llu\n",
         (unsigned long long)SUM(origin_errors[OMOTE_METRICS_ORIGIN_CONNECT]),
         (unsigned long long)SUM(origin_errors[OMOTE_METRICS_ORIGIN_TIMEOUT]));
}

static void render_edge(struct out_t *out, omote_metrics_shard_t *const *shards, size_t num_shards)
{
    static const char *refusals[OMOTE_METRICS_REFUSALS] = {"max_connections", "address_rate"};
    static const char *slow[OMOTE_METRICS_SLOW_REASONS] = {"http2_request", "send_stall", "abusive"};
    /* omote_h2_verdict_t order; the metrics module stays free of the ledger's header */
    static const char *abuse[OMOTE_METRICS_H2_VERDICTS] = {NULL, "rapid_reset", "stream_errors", "control_flood",
                                                           "continuation_flood", "output_queue"};

    emit(out, "# HELP omote_connections_refused_total New client connections closed at once, by reason.\n"
              "# TYPE omote_connections_refused_total counter\n");
    for (size_t r = 0; r != OMOTE_METRICS_REFUSALS; ++r)
        emit(out, "omote_connections_refused_total{reason=\"%s\"} %llu\n", refusals[r],
             (unsigned long long)SUM(connections_refused[r]));
    emit(out, "# HELP omote_slow_clients_closed_total Client connections closed for being too slow, by reason.\n"
              "# TYPE omote_slow_clients_closed_total counter\n");
    for (size_t r = 0; r != OMOTE_METRICS_SLOW_REASONS; ++r)
        emit(out, "omote_slow_clients_closed_total{reason=\"%s\"} %llu\n", slow[r], (unsigned long long)SUM(slow_clients_closed[r]));
    emit(out, "# HELP omote_http2_abuse_total HTTP/2 connections ended with GOAWAY (ENHANCE_YOUR_CALM), by kind of abuse.\n"
              "# TYPE omote_http2_abuse_total counter\n");
    for (size_t k = 1; k != OMOTE_METRICS_H2_VERDICTS; ++k)
        emit(out, "omote_http2_abuse_total{kind=\"%s\"} %llu\n", abuse[k], (unsigned long long)SUM(http2_abuse[k]));
}

/* label values come from the configuration: escape what Prometheus' text format requires */
static void emit_label(struct out_t *out, const char *v)
{
    for (; *v != '\0'; ++v) {
        if (*v == '"' || *v == '\\')
            emit(out, "\\%c", *v);
        else if (*v == '\n')
            emit(out, "\\n");
        else
            emit(out, "%c", *v);
    }
}

static void render_removals(struct out_t *out, omote_metrics_shard_t *const *shards, size_t num_shards,
                            const omote_metrics_process_t *process)
{
    emit(out, "# HELP omote_removed_total Tracking removed, by what was removed and by what decided (a list's name, or vendor, "
              "signature, block_paths, cookie_purpose, unknown_cookie, size_limit).\n# TYPE omote_removed_total counter\n");
    for (size_t w = 0; w != OMOTE_REMOVED_WHAT_COUNT; ++w) {
        for (size_t b = 0; b != OMOTE_REMOVED_BY_COUNT; ++b) {
            uint64_t n = SUM(removed[w][b]);
            int is_list = b < OMOTE_METRICS_MAX_LISTS;
            if (is_list && b >= process->num_lists)
                continue;
            emit(out, "omote_removed_total{what=\"%s\",by=\"", removed_what_names[w]);
            if (is_list)
                emit_label(out, process->list_names != NULL ? process->list_names[b] : "?");
            else
                emit(out, "%s", removed_by_names[b - OMOTE_METRICS_MAX_LISTS]);
            emit(out, "\"} %llu\n", (unsigned long long)n);
        }
    }
    emit(out, "# HELP omote_unknown_cookies_total Cookies no purpose declares, kept (trackers.unknown_cookies allow/report).\n"
              "# TYPE omote_unknown_cookies_total counter\n"
              "omote_unknown_cookies_total{where=\"set_cookie\"} %llu\nomote_unknown_cookies_total{where=\"cookie\"} %llu\n",
         (unsigned long long)SUM(unknown_cookies_seen[0]), (unsigned long long)SUM(unknown_cookies_seen[1]));
    emit(out, "# HELP omote_csp_reports_total Content-Security-Policy violation reports browsers sent, by effective directive.\n"
              "# TYPE omote_csp_reports_total counter\n");
    for (size_t i = 0; i <= OMOTE_METRICS_CSP_DIRECTIVES; ++i)
        emit(out, "omote_csp_reports_total{directive=\"%s\"} %llu\n", i < OMOTE_METRICS_CSP_DIRECTIVES ? omote_metrics_csp_directives[i] : "other",
             (unsigned long long)SUM(csp_reports[i]));
    render_counter(out, "omote_csp_reports_refused_total", "CSP report requests refused (malformed, too large, wrong type).",
                   "counter", SUM(csp_reports_refused));
    emit(out, "# HELP omote_consent_tokens_total Consent cookies read on requests, by outcome (only valid counts as a decision).\n"
              "# TYPE omote_consent_tokens_total counter\n");
    for (size_t i = 0; i != OMOTE_METRICS_CONSENT_TOKEN_RESULTS; ++i)
        emit(out, "omote_consent_tokens_total{result=\"%s\"} %llu\n",
             i == OMOTE_METRICS_CONSENT_TOKEN_ABSENT ? "absent" : omote_consent_token_result_name(-(int)i), (unsigned long long)SUM(consent_tokens[i]));
    static const char *const events[OMOTE_METRICS_CONSENT_EVENTS] = {"grant", "change", "refuse", "withdraw"};
    emit(out, "# HELP omote_consent_decisions_total Consent decisions recorded in Redis, by event.\n"
              "# TYPE omote_consent_decisions_total counter\n");
    for (size_t i = 0; i != OMOTE_METRICS_CONSENT_EVENTS; ++i)
        emit(out, "omote_consent_decisions_total{event=\"%s\"} %llu\n", events[i], (unsigned long long)SUM(consent_decisions[i]));
    render_counter(out, "omote_consent_store_failures_total", "Consent calls answered 503 because Redis was down, slow or refused.",
                   "counter", SUM(consent_store_failures));
    render_counter(out, "omote_consent_erasures_total", "Erasures (DELETE me) Redis applied.", "counter", SUM(consent_erasures));
    emit(out, "# HELP omote_identifiers_total First-party identifiers: freshly minted and set in a cookie (issued), or sent by "
              "the visitor and expired by withdrawal, a decision without an identifier purpose, or erasure (expired).\n"
              "# TYPE omote_identifiers_total counter\n"
              "omote_identifiers_total{event=\"issued\"} %llu\nomote_identifiers_total{event=\"expired\"} %llu\n",
         (unsigned long long)SUM(identifiers[OMOTE_METRICS_IDENTIFIER_ISSUED]),
         (unsigned long long)SUM(identifiers[OMOTE_METRICS_IDENTIFIER_EXPIRED]));
}

static void render_rules(struct out_t *out, const omote_metrics_process_t *process)
{
    if (process->list_stats == NULL || process->num_lists == 0)
        return;
    emit(out, "# HELP omote_rules_filters Network filters compiled from each list in force.\n# TYPE omote_rules_filters gauge\n");
    for (size_t i = 0; i != process->num_lists; ++i) {
        emit(out, "omote_rules_filters{list=\"");
        emit_label(out, process->list_names[i]);
        emit(out, "\"} %zu\n", process->list_stats[i].filters);
    }
    emit(out, "# HELP omote_rules_skipped Lines of each list in force that omote does not apply, by kind (cosmetic rules by "
              "syntax, network filters by the option or reason that made them unsupported).\n# TYPE omote_rules_skipped gauge\n");
    for (size_t i = 0; i != process->num_lists; ++i) {
        const omote_rules_stats_t *st = &process->list_stats[i];
        for (size_t k = 0; k != OMOTE_RULES_COSMETIC_COUNT; ++k) {
            emit(out, "omote_rules_skipped{list=\"");
            emit_label(out, process->list_names[i]);
            emit(out, "\",kind=\"cosmetic_%s\"} %zu\n", cosmetic_names[k], st->cosmetic[k]);
        }
        for (size_t k = 0; k != st->num_skip_reasons; ++k) {
            emit(out, "omote_rules_skipped{list=\"");
            emit_label(out, process->list_names[i]);
            emit(out, "\",kind=\"");
            emit_label(out, st->skip_reasons[k].name);
            emit(out, "\"} %zu\n", st->skip_reasons[k].count);
        }
    }
}

char *omote_metrics_render(omote_metrics_shard_t *const *shards, size_t num_shards, const omote_metrics_process_t *process,
                           size_t *len)
{
    struct out_t out = {malloc(4096), 0, 4096};
    if (out.buf == NULL)
        abort();

    render_requests(&out, shards, num_shards);
    render_latency(&out, shards, num_shards);
    uint64_t accepted = SUM(connections_accepted), closed = SUM(connections_closed);
    render_counter(&out, "omote_connections_open", "Client connections currently open.", "gauge",
                   accepted >= closed ? accepted - closed : 0);
    render_counter(&out, "omote_connections_accepted_total", "Client connections accepted.", "counter", accepted);
    render_counter(&out, "omote_bytes_received_total", "Request bytes received from clients (request line, headers, body).",
                   "counter", SUM(bytes_received));
    render_counter(&out, "omote_bytes_sent_total", "Response body bytes sent to clients.", "counter", SUM(bytes_sent));
    render_rejects(&out, shards, num_shards);
    render_edge(&out, shards, num_shards);
    render_counter(&out, "omote_redis_connections_up", "Event-loop threads whose Redis connection is established.", "gauge",
                   SUM(redis_connected));
    render_counter(&out, "omote_redis_threads", "Event-loop threads that hold a Redis connection.", "gauge", num_shards);
    render_counter(&out, "omote_redis_connects_total", "Redis connections established.", "counter", SUM(redis_connects));
    render_counter(&out, "omote_redis_errors_total", "Redis commands or connections that failed.", "counter", SUM(redis_errors));
    render_counter(&out, "omote_redis_timeouts_total", "Redis commands that exceeded redis.command_timeout_ms.", "counter",
                   SUM(redis_timeouts));
    render_counter(&out, "omote_html_rewritten_total", "HTML responses streamed through the tracker rewriter.", "counter",
                   SUM(html_rewritten));
    render_counter(&out, "omote_html_known_run_bytes_total",
                   "HTML bytes passed without being read: runs of a page, for one consent, that passed whole on an earlier "
                   "response.",
                   "counter", SUM(html_known_run_bytes));
    render_counter(&out, "omote_html_not_rewritten_encoded_total",
                   "HTML responses passed unchanged because the origin encoded them unasked with a coding omote cannot read (br, zstd, stacked).", "counter",
                   SUM(html_not_rewritten_encoded));
    render_counter(&out, "omote_html_decoded_total", "HTML responses the origin gzip- or deflate-encoded, decoded to be rewritten.",
                   "counter", SUM(html_decoded));
    emit(&out, "# HELP omote_html_decode_errors_total Decoded HTML responses cut off because the encoded body was broken, by reason.\n"
               "# TYPE omote_html_decode_errors_total counter\n"
               "omote_html_decode_errors_total{reason=\"corrupt\"} %llu\nomote_html_decode_errors_total{reason=\"truncated\"} %llu\n"
               "omote_html_decode_errors_total{reason=\"trailing_data\"} %llu\nomote_html_decode_errors_total{reason=\"too_large\"} %llu\n",
         (unsigned long long)SUM(html_decode_errors[0]), (unsigned long long)SUM(html_decode_errors[1]),
         (unsigned long long)SUM(html_decode_errors[2]), (unsigned long long)SUM(html_decode_errors[3]));
    emit(&out, "# HELP omote_html_removed_total Tracker elements cut out of HTML, by kind.\n"
               "# TYPE omote_html_removed_total counter\n"
               "omote_html_removed_total{kind=\"element\"} %llu\nomote_html_removed_total{kind=\"noscript\"} %llu\n"
               "omote_html_removed_total{kind=\"oversized_tag\"} %llu\n",
         (unsigned long long)SUM(html_elements_removed), (unsigned long long)SUM(html_noscript_removed),
         (unsigned long long)SUM(html_oversized_tags));
    render_counter(&out, "omote_html_removed_bytes_total", "Bytes of HTML cut out with tracker elements.", "counter",
                   SUM(html_bytes_removed));
    emit(&out, "# HELP omote_requests_blocked_total Requests answered 204 as trackers, by reason.\n"
               "# TYPE omote_requests_blocked_total counter\n"
               "omote_requests_blocked_total{reason=\"block_paths\"} %llu\nomote_requests_blocked_total{reason=\"rule\"} %llu\n",
         (unsigned long long)SUM(requests_blocked[0]), (unsigned long long)SUM(requests_blocked[1]));
    render_counter(&out, "omote_query_params_removed_total", "Tracking query parameters removed from URLs sent to the origin.",
                   "counter", SUM(query_params_removed));
    render_removals(&out, shards, num_shards, process);
    render_rules(&out, process);
    render_counter(&out, "omote_config_reloads_total", "Configuration reloads applied (SIGHUP).", "counter",
                   load(&process->reloads_ok));
    render_counter(&out, "omote_config_reload_failures_total", "Configuration reloads refused; the running one kept serving.",
                   "counter", load(&process->reloads_failed));
    render_counter(&out, "omote_config_generation", "Generation of the configuration in use (1 at start).", "gauge",
                   load(&process->config_generation));
    emit(&out, "# HELP omote_start_time_seconds Unix time the process started.\n# TYPE omote_start_time_seconds gauge\n"
               "omote_start_time_seconds %.3f\n",
         process->start_time_sec);

    *len = out.len;
    return out.buf;
}
