/*
 * Counters for the admin listener's /metrics, in Prometheus text format.
 *
 * Each event-loop thread owns one shard and is its only writer, so the request path takes no
 * lock and no atomic read-modify-write; the scraper sums the shards with relaxed loads.
 */
#ifndef OMOTE_METRICS_H
#define OMOTE_METRICS_H

#include <stddef.h>
#include <stdint.h>

/** Upper bounds (seconds) of the origin latency histogram buckets; +Inf is implicit. */
#define OMOTE_METRICS_LATENCY_BUCKETS 12

typedef enum en_omote_metrics_reject_t {
    OMOTE_METRICS_REJECT_HEADER_COUNT = 0,
    OMOTE_METRICS_REJECT_HEADER_BYTES,
    OMOTE_METRICS_REJECT_HEADER_FIELD,
    OMOTE_METRICS_REJECT_EMPTY_NAME,
    OMOTE_METRICS_REJECT_OBS_FOLD,
    OMOTE_METRICS_REJECT_BODY_TOO_LARGE,
    OMOTE_METRICS_REJECT_BAD_REQUEST_LINE,
    OMOTE_METRICS_REJECT_MALFORMED_FIELD,   /* HTTP/2: a control byte in a value, whitespace around it, upper case or separators in a name */
    OMOTE_METRICS_REJECT_CONNECTION_HEADER, /* HTTP/2: connection-specific fields (connection, keep-alive, te other than trailers, ...) */
    OMOTE_METRICS_REJECT_CONTENT_LENGTH,    /* a body that disagrees with its content-length, or conflicting content-lengths */
    OMOTE_METRICS_REJECT_ADDRESS_RATE,      /* limits.requests_per_second_per_address: 429 */
    OMOTE_METRICS_REJECT_MAX
} omote_metrics_reject_t;

typedef enum en_omote_metrics_origin_error_t {
    OMOTE_METRICS_ORIGIN_CONNECT = 0, /* refused, unreachable, reset before a response head */
    OMOTE_METRICS_ORIGIN_TIMEOUT,     /* no answer within origin.io_timeout_ms */
    OMOTE_METRICS_ORIGIN_ERROR_MAX
} omote_metrics_origin_error_t;

/** What a tracker decision removed (the `what` label of omote_removed_total). */
typedef enum en_omote_removed_what_t {
    OMOTE_REMOVED_SCRIPT = 0,  /* <script src> */
    OMOTE_REMOVED_INLINE_SCRIPT,
    OMOTE_REMOVED_IMAGE,       /* <img>, <source>, <input type=image> */
    OMOTE_REMOVED_SUBDOCUMENT, /* <iframe>, <frame> */
    OMOTE_REMOVED_OBJECT,      /* <embed>, <object> */
    OMOTE_REMOVED_MEDIA,       /* <video>, <audio> */
    OMOTE_REMOVED_LINK,        /* <link rel=stylesheet|preload|prefetch|preconnect|dns-prefetch|modulepreload> */
    OMOTE_REMOVED_NOSCRIPT,    /* a <noscript> that held only removed elements */
    OMOTE_REMOVED_PING,        /* an <a ping> attribute */
    OMOTE_REMOVED_OVERSIZED_TAG,
    OMOTE_REMOVED_SET_COOKIE,     /* a Set-Cookie from the origin */
    OMOTE_REMOVED_REQUEST_COOKIE, /* a pair of the Cookie header sent to the origin */
    OMOTE_REMOVED_REQUEST,        /* a request answered 204 without the origin */
    OMOTE_REMOVED_WHAT_COUNT
} omote_removed_what_t;

/** Filter lists counted separately in omote_removed_total; the configuration allows no more. */
#define OMOTE_METRICS_MAX_LISTS 16

/** Which decided (the `by` label): a list by its index in trackers.lists, or one of these. */
typedef enum en_omote_removed_by_t {
    OMOTE_REMOVED_BY_VENDOR = OMOTE_METRICS_MAX_LISTS, /* a configured vendor whose purpose was not granted */
    OMOTE_REMOVED_BY_SIGNATURE,                        /* a loader signature */
    OMOTE_REMOVED_BY_BLOCK_PATHS,                      /* trackers.block_paths */
    OMOTE_REMOVED_BY_COOKIE_PURPOSE,                   /* a cookie declared for a purpose not granted */
    OMOTE_REMOVED_BY_UNKNOWN_COOKIE,                   /* an undeclared cookie under unknown_cookies "block" */
    OMOTE_REMOVED_BY_SIZE_LIMIT,                       /* trackers.max_tag_bytes */
    OMOTE_REMOVED_BY_COUNT
} omote_removed_by_t;

/** Consent cookie outcomes counted per request: the token decode results by -result (0 valid .. 5 outdated_policy), then absent. */
#define OMOTE_METRICS_CONSENT_TOKEN_RESULTS 7
#define OMOTE_METRICS_CONSENT_TOKEN_ABSENT 6
/** Consent decisions Redis acknowledged, by event (grant, change, refuse, withdraw). */
#define OMOTE_METRICS_CONSENT_EVENTS 4

/** First-party identifier events (the `event` label of omote_identifiers_total). */
typedef enum en_omote_metrics_identifier_t {
    OMOTE_METRICS_IDENTIFIER_ISSUED = 0, /* a freshly minted identifier set in a cookie */
    OMOTE_METRICS_IDENTIFIER_EXPIRED,    /* an identifier cookie the request carried, expired (Max-Age=0) */
    OMOTE_METRICS_IDENTIFIER_EVENTS
} omote_metrics_identifier_t;

/** Why a new client connection was closed at once (omote_connections_refused_total{reason}). */
typedef enum en_omote_metrics_refusal_t {
    OMOTE_METRICS_REFUSED_MAX_CONNECTIONS = 0, /* limits.max_connections */
    OMOTE_METRICS_REFUSED_ADDRESS_RATE,        /* limits.connections_per_second_per_address */
    OMOTE_METRICS_REFUSALS
} omote_metrics_refusal_t;

/** Why omote closed a slow client (omote_slow_clients_closed_total{reason}). */
typedef enum en_omote_metrics_slow_t {
    OMOTE_METRICS_SLOW_HTTP2_REQUEST = 0, /* an HTTP/2 request head or body unfinished after timeouts.request_ms */
    OMOTE_METRICS_SLOW_SEND_STALL,        /* a response the client took nothing of for timeouts.send_stall_ms */
    OMOTE_METRICS_SLOW_ABUSIVE,           /* an abusive HTTP/2 client that did not leave after its GOAWAY */
    OMOTE_METRICS_SLOW_REASONS
} omote_metrics_slow_t;

/** HTTP/2 abuse verdicts counted (omote_http2_abuse_total{kind}); index = omote_h2_verdict_t. */
#define OMOTE_METRICS_H2_VERDICTS 6

/** CSP report directives counted by name; anything else is "other". */
#define OMOTE_METRICS_CSP_DIRECTIVES 10

typedef struct st_omote_metrics_shard_t {
    uint64_t requests_by_class[6]; /* index = status / 100; [0] counts anything outside 100..599 */
    uint64_t origin_latency_buckets[OMOTE_METRICS_LATENCY_BUCKETS + 1];
    uint64_t origin_latency_sum_us;
    uint64_t origin_latency_count;
    uint64_t connections_accepted;
    uint64_t connections_closed;
    uint64_t bytes_received;
    uint64_t bytes_sent;
    uint64_t rejected[OMOTE_METRICS_REJECT_MAX];
    uint64_t origin_errors[OMOTE_METRICS_ORIGIN_ERROR_MAX];
    uint64_t redis_connected; /* 0 or 1 */
    uint64_t redis_connects;
    uint64_t redis_errors;
    uint64_t redis_timeouts;
    uint64_t html_rewritten;             /* HTML responses streamed through the rewriter */
    uint64_t html_known_run_bytes;       /* HTML bytes passed unread, as runs that passed whole before (tracker cache) */
    uint64_t html_not_rewritten_encoded; /* HTML the origin encoded although omote asked for identity */
    uint64_t html_decoded;               /* HTML the origin gzip- or deflate-encoded anyway, decoded to be rewritten */
    uint64_t html_decode_errors[4];      /* decoded HTML cut off, by OMOTE_INFLATE_* error: index -err - 1 */
    uint64_t html_elements_removed;
    uint64_t html_noscript_removed;
    uint64_t html_bytes_removed;
    uint64_t html_oversized_tags;
    uint64_t query_params_removed; /* tracking parameters cut from targets sent to the origin */
    uint64_t requests_blocked[2];  /* answered 204 as trackers: [0] by trackers.block_paths, [1] by a rule */
    uint64_t removed[OMOTE_REMOVED_WHAT_COUNT][OMOTE_REMOVED_BY_COUNT];
    uint64_t unknown_cookies_seen[2]; /* undeclared cookies kept: [0] in Set-Cookie, [1] in Cookie */
    uint64_t csp_reports[OMOTE_METRICS_CSP_DIRECTIVES + 1]; /* by effective directive; last: other */
    uint64_t csp_reports_refused; /* malformed, too large, wrong type */
    uint64_t consent_tokens[OMOTE_METRICS_CONSENT_TOKEN_RESULTS]; /* consent cookies read, by outcome */
    uint64_t consent_decisions[OMOTE_METRICS_CONSENT_EVENTS];     /* recorded (EXEC acknowledged), by event */
    uint64_t consent_store_failures; /* consent calls answered 503: Redis not connected, timed out or refused */
    uint64_t consent_erasures;       /* DELETE me applied (EXEC acknowledged) */
    uint64_t identifiers[OMOTE_METRICS_IDENTIFIER_EVENTS]; /* by omote_metrics_identifier_t */
    uint64_t connections_refused[OMOTE_METRICS_REFUSALS];
    uint64_t slow_clients_closed[OMOTE_METRICS_SLOW_REASONS];
    uint64_t http2_abuse[OMOTE_METRICS_H2_VERDICTS]; /* [0] unused */
} omote_metrics_shard_t;

struct st_omote_rules_stats_t;

/** Process-wide values that no shard owns. */
typedef struct st_omote_metrics_process_t {
    uint64_t reloads_ok;
    uint64_t reloads_failed;
    uint64_t config_generation;
    double start_time_sec;
    /* of the configuration in force, for labels; set by the renderer's caller (may be 0/NULL) */
    const char *const *list_names;
    const struct st_omote_rules_stats_t *list_stats; /* one per list: what loading it found */
    size_t num_lists;
} omote_metrics_process_t;

/** The `what` label of a removal kind, and the effective-directive names counted for CSP reports. */
const char *omote_metrics_removed_what_name(omote_removed_what_t what);
extern const char *const omote_metrics_csp_directives[OMOTE_METRICS_CSP_DIRECTIVES];

/** Adds `n` to a counter of the calling thread's own shard. */
static inline void omote_metrics_add(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/** Sets a gauge of the calling thread's own shard. */
static inline void omote_metrics_set(uint64_t *gauge, uint64_t v)
{
    __atomic_store_n(gauge, v, __ATOMIC_RELAXED);
}

/** Records one response status. */
void omote_metrics_count_status(omote_metrics_shard_t *shard, int status);

/** Records the time from handing a request to the origin until its response head arrived. */
void omote_metrics_observe_origin_latency(omote_metrics_shard_t *shard, uint64_t micros);

/** Upper bound in seconds of bucket `i` (0 <= i < OMOTE_METRICS_LATENCY_BUCKETS). */
double omote_metrics_latency_bound(size_t i);

/**
 * Renders the sum of `shards` and the process values in Prometheus text exposition format
 * (version 0.0.4). Returns a NUL-terminated string the caller frees, and its length in `*len`.
 */
char *omote_metrics_render(omote_metrics_shard_t *const *shards, size_t num_shards, const omote_metrics_process_t *process,
                           size_t *len);

#endif
