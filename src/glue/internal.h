/* Helpers shared by the glue files; nothing outside src/glue includes this. */
#ifndef OMOTE_GLUE_INTERNAL_H
#define OMOTE_GLUE_INTERNAL_H

#include "h2o.h"
#include "h2o/http1client.h"
#include "omote/consent_token.h"
#include "omote/inflate.h"
#include "omote/policy.h"
#include "omote/worker.h"

typedef struct st_omote_origin_probe_t omote_origin_probe_t;

/** Called once with whether the origin answered an HTTP request, and a short reason when it did not. */
typedef void (*omote_origin_probe_cb)(void *data, int is_up, const char *detail);

/**
 * Sends "HEAD <origin path>" to the origin of `gen` through `client_ctx` (whose io_timeout bounds
 * the whole exchange). Any HTTP response counts as up. Returns a handle valid until `cb` runs, or NULL
 * if `cb` already ran (a connect that failed at once).
 */
omote_origin_probe_t *omote_origin_probe_start(h2o_http1client_ctx_t *client_ctx, omote_generation_t *gen, omote_origin_probe_cb cb,
                                               void *data);

/** Abandons a probe; its callback will not run. */
void omote_origin_probe_cancel(omote_origin_probe_t *probe);

/** Sends `body` as a JSON response with `status`. */
void omote_send_json(h2o_req_t *req, int status, const char *reason, h2o_iovec_t body);

/* ---- visitor.c: the consent cookie ---- */

/** omote_visitor_decision's result when the request carries no consent cookie. */
#define OMOTE_VISITOR_TOKEN_ABSENT 1

/**
 * Writes the name a consent or identifier cookie `name` has on `req`'s scheme: "__Host-" + name on
 * HTTPS, `name` on plain HTTP. Returns its length, or 0 when `outsz` is too small.
 */
size_t omote_visitor_cookie_name(h2o_req_t *req, const char *name, char *out, size_t outsz);

/**
 * Reads the consent cookie of `req` (consent must be configured) and counts the outcome. Returns
 * OMOTE_CONSENT_TOKEN_VALID with `*decision` filled, an omote_consent_token_result_t saying why not,
 * or OMOTE_VISITOR_TOKEN_ABSENT.
 */
int omote_visitor_decision(h2o_req_t *req, const omote_generation_t *gen, omote_consent_decision_t *decision);

/** `purposes` of a token masked to the configured purposes, plus the strictly necessary ones. */
omote_purpose_set_t omote_visitor_granted(const omote_generation_t *gen, uint32_t purposes);

/* ---- consent_api.c ---- */

/** Answers `rest` ("consent") under api.prefix: GET, POST, DELETE; 405 otherwise. */
void omote_consent_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker);

/* ---- decode_stage.c: HTML the origin gzip- or deflate-encoded, decoded for the rewriter ---- */

typedef enum en_omote_decode_t {
    OMOTE_DECODE_NONE,      /* no Content-Encoding, or "identity" only */
    OMOTE_DECODE_INFLATE,   /* one coding omote decodes: gzip, x-gzip or deflate */
    OMOTE_DECODE_UNREADABLE /* br, zstd, compress, an unknown coding, or codings stacked ("gzip, br") */
} omote_decode_t;

/** Reads the response's Content-Encoding fields; sets `*coding` when it returns OMOTE_DECODE_INFLATE. */
omote_decode_t omote_decode_coding(h2o_req_t *req, omote_inflate_coding_t *coding);

/**
 * Inserts at `**slot` a stage that decodes the body from `coding`, and points `*slot` past it.
 * Removes Content-Encoding and Content-Length (the body leaves identity-coded, its length
 * unknown). A body that does not decode cleanly ends the response with an error.
 */
void omote_decode_stage_add(h2o_req_t *req, omote_inflate_coding_t coding, h2o_ostream_t ***slot);

/**
 * Counts (omote_html_not_rewritten_encoded_total) and logs at warn level an HTML response that
 * passes unchanged because omote cannot read its coding (OMOTE_DECODE_UNREADABLE).
 */
void omote_decode_note_unreadable(h2o_req_t *req, omote_worker_t *worker);

#endif
