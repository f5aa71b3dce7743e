/*
 * omote configuration: one JSON file read at start-up and on SIGHUP.
 *
 * The loader is a pure module (jansson inside, no h2o): it turns the file into a validated
 * omote_config_t or fills an error record naming the place of the first problem. Every key
 * is documented in config/README.md; unknown keys are errors so a typo never goes unnoticed.
 */
#ifndef OMOTE_CONFIG_H
#define OMOTE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define OMOTE_CONFIG_ERROR_TEXT_MAX 512

/** Where and why a configuration was refused. Only the first error is kept. */
typedef struct st_omote_config_error_t {
    /** "FILE:LINE:COLUMN: PATH: message", ready to print; empty when there was no error. */
    char text[OMOTE_CONFIG_ERROR_TEXT_MAX];
    /** 1-based line and column of the offending token (0 when the file could not be read at all). */
    int line;
    int column;
    /** JSON path of the offending value, e.g. "listen[1].port"; empty for syntax errors. */
    char json_path[128];
} omote_config_error_t;

typedef enum en_omote_log_level_t {
    OMOTE_LOG_DEBUG = 0,
    OMOTE_LOG_INFO,
    OMOTE_LOG_WARN,
    OMOTE_LOG_ERROR,
} omote_log_level_t;

/** One public listener. */
typedef struct st_omote_listen_config_t {
    char *address; /* numeric IPv4 or IPv6 address, e.g. "0.0.0.0", "::", "127.0.0.1" */
    uint16_t port;
    /* both NULL for plain HTTP/1.1 (and h2c-less); both set for HTTPS with HTTP/2 by ALPN */
    char *tls_certificate_file;
    char *tls_key_file;
} omote_listen_config_t;

typedef enum en_omote_unknown_cookies_t {
    OMOTE_UNKNOWN_COOKIES_REPORT = 0, /* kept, counted and logged so operators can declare them */
    OMOTE_UNKNOWN_COOKIES_ALLOW,
    OMOTE_UNKNOWN_COOKIES_BLOCK,
} omote_unknown_cookies_t;

typedef enum en_omote_csp_mode_t {
    OMOTE_CSP_OFF = 0,
    OMOTE_CSP_ENFORCE,
    OMOTE_CSP_REPORT_ONLY,
} omote_csp_mode_t;

/** A parsed consent key set (include/omote/consent_keys.h). */
struct st_omote_consent_keys_t;

/** Longest consent cookie name (the policy version's bound is in consent_token.h). */
#define OMOTE_CONSENT_COOKIE_NAME_MAX_LEN 64
/** Consent lifetime bounds, in days: a choice older than the lifetime counts as none. */
#define OMOTE_CONSENT_LIFETIME_DAYS_MAX 395

/** Most filter lists (each is counted on its own in metrics). */
#define OMOTE_MAX_TRACKER_LISTS 16

/** Most purposes a configuration may declare: a visitor's choices fit in one 32-bit set. */
#define OMOTE_MAX_PURPOSES 32

typedef struct st_omote_purpose_config_t {
    char *id; /* [a-z0-9_-]+, unique */
    int strictly_necessary; /* always granted; cannot be refused */
    int needs_identifier;   /* consenting to it issues the first-party identifier */
    int gpc;                /* sale/share/marketing: "Sec-GPC: 1" denies it unless the visitor names it (README "Consent") */
    char *name_en, *name_ja;               /* plain-language name; NULL when not given */
    char *description_en, *description_ja; /* NULL when not given */
    char **cookies; /* cookie name patterns (trailing '*' matches any rest) this purpose covers */
    size_t num_cookies;
    /** per cookie pattern, as the transparency page states it: days it lives, 0 for "until the
     *  browser closes", OMOTE_COOKIE_LIFETIME_UNSTATED when the configuration does not say */
    int *cookie_lifetime_days;
} omote_purpose_config_t;

#define OMOTE_COOKIE_LIFETIME_UNSTATED (-1)
/** Longest cookie lifetime a configuration may state (days; browsers cap at 400). */
#define OMOTE_COOKIE_LIFETIME_DAYS_MAX 3650

typedef struct st_omote_vendor_config_t {
    char *name;
    size_t purpose; /* index into purposes */
    char **hosts;   /* lowercase domains; a host equal to one or below it belongs to the vendor */
    size_t num_hosts;
    char **paths; /* first-party paths ('*' wildcard) that forward to the vendor */
    size_t num_paths;
    char *receives_en, *receives_ja; /* what it receives, in plain words; NULL when not given */
} omote_vendor_config_t;

typedef enum en_omote_privacy_link_t {
    OMOTE_PRIVACY_LINK_BOTTOM_LEFT = 0,
    OMOTE_PRIVACY_LINK_BOTTOM_RIGHT,
    OMOTE_PRIVACY_LINK_OFF,
} omote_privacy_link_t;

typedef struct st_omote_csp_directive_t {
    char *name;     /* "default-src" */
    char **sources; /* "'self'", "https://cdn.example" */
    size_t num_sources;
} omote_csp_directive_t;

typedef struct st_omote_config_t {
    /** the file the configuration was read from (copied), or the name given to the string loader */
    char *source_name;

    omote_listen_config_t *listen;
    size_t num_listen;

    struct {
        char *url;        /* "http://host[:port][/path]" or "https://..." as written */
        char *scheme;     /* "http" or "https" */
        char *host;       /* host name or numeric address, without brackets */
        uint16_t port;    /* explicit or scheme default */
        char *path;       /* base path, at least "/" */
        int preserve_host; /* forward the client's Host instead of the origin's */
        uint64_t connect_timeout_ms;   /* establishing a connection (TCP, and TLS for https) */
        uint64_t io_timeout_ms;        /* sending to the origin, its response head, each read of its body */
        uint64_t keepalive_timeout_ms; /* idle origin connections kept this long; 0 disables reuse */
    } origin;

    struct {
        uint64_t request_ms;    /* HTTP/1.1: reading a request head, and idle keep-alive between requests */
        uint64_t http2_idle_ms; /* HTTP/2: idle connection */
        uint64_t handshake_ms;  /* TLS handshake */
        uint64_t drain_ms;      /* SIGTERM/SIGINT: time in-flight requests get to finish */
        uint64_t send_stall_ms; /* a response the client takes no byte of for this long closes the connection */
    } timeouts;

    /** worker threads (event loops); the loader resolves 0 ("auto") to the number of online CPUs */
    unsigned threads;

    struct {
        int enabled;
        char *address;
        uint16_t port;
    } admin;

    struct {
        char *host;      /* NULL when unix_path is set */
        uint16_t port;
        char *unix_path; /* NULL for TCP */
        uint64_t connect_timeout_ms;
        uint64_t command_timeout_ms;
        uint64_t reconnect_min_ms; /* first retry delay; doubles up to reconnect_max_ms */
        uint64_t reconnect_max_ms;
    } redis;

    struct {
        size_t header_count;       /* request header fields; above -> 431 */
        size_t header_bytes;       /* sum of name + value lengths; above -> 431 */
        size_t header_field_bytes; /* one name + value; above -> 431 */
        size_t request_body_bytes; /* request entity; above -> 413 */
        size_t api_body_bytes;     /* body of omote's own JSON API calls; above -> 413 */
        size_t max_connections;    /* open client connections per process; a new one above it is closed at once */
        uint32_t connections_per_second_per_address; /* new connections per client address (IPv6: per /64); 0: no limit */
        uint32_t connection_burst_per_address;
        uint32_t requests_per_second_per_address; /* requests and HTTP/2 streams; above -> 429; 0: no limit */
        uint32_t request_burst_per_address;
    } limits;

    struct {
        int rewrite_html; /* cut tracker elements out of HTML responses */
        struct st_omote_tracker_list_config_t {
            char *name; /* reported with each decision, e.g. "easyprivacy" */
            char *path; /* resolved; readable when the configuration was loaded */
        } *lists;
        size_t num_lists;
        char **first_party_domains; /* the retailer's other domains: never third party */
        size_t num_first_party_domains;
        size_t max_tag_bytes;     /* one tag held across chunks; longer ones are dropped */
        size_t max_inspect_bytes; /* inline script text read to judge it */
        char **strip_query_params; /* name patterns ('*' wildcard) removed from targets sent to the origin */
        size_t num_strip_query_params;
        char **block_paths; /* first-party paths ('*' wildcard) that forward to trackers: answered 204 */
        size_t num_block_paths;
        char *signatures_path; /* loader signatures of inline tracker snippets (resolved); NULL: none */
        omote_unknown_cookies_t unknown_cookies; /* cookies no purpose declares */
        int debug_header; /* list what was removed in an Omote-Removed response header */
    } trackers;

    /** What visitors can consent to; bit i of a purpose set is purposes[i]. */
    omote_purpose_config_t *purposes;
    size_t num_purposes;

    /** Third parties a purpose covers: their tags stay only with consent to that purpose. */
    omote_vendor_config_t *vendors;
    size_t num_vendors;

    struct {
        char **permissions_policy_deny; /* features sent as "feature=()" in Permissions-Policy; none: no header */
        size_t num_permissions_policy_deny;
        omote_csp_mode_t csp_mode;
        omote_csp_directive_t *csp_directives;
        size_t num_csp_directives;
        char **csp_vendor_directives; /* directives that list the hosts of consented vendors */
        size_t num_csp_vendor_directives;
        int csp_report; /* add report-uri <api.prefix>csp-report */
    } headers;

    struct {
        int enabled;      /* gzip responses for clients that accept it (HTML omote rewrote included) */
        size_t min_bytes; /* smaller bodies (by Content-Length) are sent as they are */
        int gzip_level;   /* 1 (fastest) .. 9 (smallest) */
    } compression;

    struct {
        char *prefix; /* omote's own endpoints, never proxied: "/_omote/" */
    } api;

    /** The banner omote inserts into HTML for visitors with no decision (needs the consent section). */
    struct {
        int enabled;                       /* default: on when consent is configured */
        omote_privacy_link_t privacy_link; /* the small link returning visitors get instead */
        char *title_en, *title_ja;         /* NULL: omote's wording */
        char *text_en, *text_ja;           /* NULL: omote's wording */
    } banner;

    /** What the transparency page (<api.prefix>privacy) says about the retailer. */
    struct {
        char *retailer;              /* who decides about the data, e.g. "Example Shop Ltd."; NULL: not named */
        char *contact;               /* how to reach them, e.g. an e-mail address; NULL: not given */
        char *promise_en, *promise_ja; /* the retailer's promise in plain words; NULL: not given */
    } privacy;

    /** Consent tokens and the first-party identifier; all NULL/0 when the section is absent (consent off). */
    struct {
        int enabled;                  /* the section is present */
        char *policy_version;         /* visible ASCII, 1..32 bytes; a choice under another version counts as none */
        unsigned lifetime_days;       /* 1..395; a choice this old counts as none; bounds the identifier's Max-Age */
        uint64_t lifetime_sec;        /* lifetime_days * 86400 */
        char *cookie_name;            /* "omote_consent"; sent as "__Host-" + name on HTTPS listeners */
        char *identifier_cookie_name; /* "omote_id"; sent as "__Host-" + name on HTTPS listeners */
        char *keys_file;              /* resolved path the keys came from, or NULL */
        char *keys_env;               /* name of the environment variable they came from, or NULL */
        /** read and parsed when the configuration was loaded (secrets wiped by omote_config_free); owned */
        struct st_omote_consent_keys_t *keys;
    } consent;

    struct {
        char *access_path; /* NULL: access log off; "-": standard output; else a file opened for append */
        char *error_path;  /* "-": standard error (default); else a file opened for append */
        omote_log_level_t level;
    } log;
} omote_config_t;

/**
 * Reads and validates the file at `path`. On success returns 0 and stores a new configuration
 * in `*out` (free it with omote_config_free). On failure returns -1, leaves `*out` untouched
 * and fills `err`.
 */
int omote_config_load_file(const char *path, omote_config_t **out, omote_config_error_t *err);

/**
 * Same as omote_config_load_file for a document held in memory; `name` stands for the file
 * name in error messages and in `source_name`.
 */
int omote_config_load_string(const char *text, size_t len, const char *name, omote_config_t **out, omote_config_error_t *err);

/** Frees a configuration returned by a loader. NULL is allowed. */
void omote_config_free(omote_config_t *conf);

/**
 * Compares two configurations and writes into `buf` a comma-separated list of the top-level
 * settings that differ but only take effect after a restart (listen, threads, admin, redis,
 * timeouts.request_ms, ...). Returns the number of such settings (0: everything applies live).
 */
size_t omote_config_restart_only_changes(const omote_config_t *running, const omote_config_t *loaded, char *buf, size_t bufsz);

/** Parses "debug", "info", "warn" or "error". Returns 0 and sets `*level`, or -1. */
int omote_config_parse_log_level(const char *name, omote_log_level_t *level);

#endif
