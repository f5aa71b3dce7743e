/*
 * The h2o glue: handlers, filters and loggers omote attaches to libh2o paths. Each is thin and
 * delegates decisions to pure modules; see each source file for its failure policy.
 */
#ifndef OMOTE_GLUE_H
#define OMOTE_GLUE_H

#include "h2o.h"
#include "omote/policy.h"
#include "omote/worker.h"

/** Request handler: enforces header limits, removes spoofable forwarding headers, sends the request to the origin. */
void omote_request_register(h2o_pathconf_t *pathconf);

/** Output filter: cuts tracker elements out of HTML responses as they stream (trackers.rewrite_html). */
void omote_rewrite_register(h2o_pathconf_t *pathconf);

/**
 * Output filter: libh2o's gzip compression towards visitors that accept it (compression.*; does
 * nothing when compression.enabled is false). Register it before omote_rewrite_register: libh2o
 * 2.2.5 sets filters up in the reverse order of registration, so it then sees rewritten HTML.
 */
void omote_compress_register(h2o_pathconf_t *pathconf, const omote_config_t *conf);

/**
 * Answers `req` with a short HTML page because the origin did not: 504 when it did not answer in
 * time, 502 otherwise. Counts the failure and logs `detail` (a constant reason, no request data
 * beyond the method and the path without query values).
 */
void omote_send_origin_error(h2o_req_t *req, int is_timeout, const char *detail);

/** Whether HTML is judged: trackers.rewrite_html, and lists, vendors or signatures to act on. */
int omote_generation_rewrites_html(const omote_generation_t *gen);

/** Whether HTML passes through the rewriter at all: it is judged, or the banner goes into it. */
int omote_generation_touches_html(const omote_generation_t *gen);

/** The metrics index of the filter list named `name` in `gen` (names are unique); 0 when none matches. */
size_t omote_generation_list_index(const omote_generation_t *gen, const char *name);

/** Whether the response is a document omote treats as HTML: text/html or application/xhtml+xml, any parameters. */
int omote_response_is_html(h2o_req_t *req);

/** Output filter: drops Set-Cookie of purposes not granted; adds Permissions-Policy and CSP to documents. */
void omote_response_headers_register(h2o_pathconf_t *pathconf);

/**
 * The purposes the visitor of `req` has granted: those of a valid consent token (its cookie
 * checked without Redis, masked to the configured purposes) plus the strictly necessary ones; only
 * the strictly necessary ones for anything else (no cookie, a token that is malformed, tampered,
 * expired, signed with an unknown key or under another policy version, or no consent section).
 * For a request omote proxied, the value read when it was handed on, so the cookie is decoded
 * and counted once per request.
 */
omote_purpose_set_t omote_visitor_purposes(h2o_req_t *req, const omote_generation_t *gen);

/** Frees the worker's cache of verified consent tokens (at thread exit). */
void omote_visitor_free_cache(omote_worker_t *worker);

/**
 * Answers a request under api.prefix (omote's own endpoints, never proxied): POST csp-report,
 * GET/POST/DELETE consent (when the consent section is configured), and a JSON 404 for anything else.
 * Also answers a request omote_api_is_gpc_request accepts, wherever the prefix is.
 */
void omote_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker);

/**
 * Whether `req` asks for the Global Privacy Control support resource, /.well-known/gpc.json, which
 * omote answers itself (through omote_api_handle) when the consent section is configured. Without
 * it the request goes to the origin as any other.
 */
int omote_api_is_gpc_request(h2o_req_t *req, const omote_config_t *conf);

/** Sends `body` as the whole response, with its Content-Length (h2o_send_inline alone sends none). */
void omote_send_whole(h2o_req_t *req, const char *body, size_t len);

/** Sends `status` with a JSON body {"error": error, "detail": detail} (detail may be NULL). */
void omote_send_json_error(h2o_req_t *req, int status, const char *reason, const char *error, const char *detail);

/** JSON-lines access log with per-thread buffering. */
void omote_access_log_register(h2o_pathconf_t *pathconf);

/**
 * Points the access log at `path` ("-" for standard output, NULL for off), replacing the file
 * descriptor in place so writers on other threads never see a closed one. Returns 0, or -1
 * with a message in `err`.
 */
int omote_access_log_open(const char *path, char *err, size_t errlen);

/** Writes out what `worker` has buffered. */
void omote_access_log_flush(omote_worker_t *worker);

/** Prepares the flush timer of `worker` (call on its thread after h2o_context_init). */
void omote_access_log_init_worker(omote_worker_t *worker);

/** Registers /healthz, /readyz, /metrics and a JSON 404 for everything else. */
void omote_admin_register(h2o_hostconf_t *hostconf);

#endif
