/* Helpers shared by the glue files; nothing outside src/glue includes this. */
#ifndef OMOTE_GLUE_INTERNAL_H
#define OMOTE_GLUE_INTERNAL_H

#include "h2o.h"
#include "h2o/http1client.h"
#include "omote/consent_token.h"
#include "omote/identity.h"
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

/** Whether the request's Content-Type names `type` (case-insensitive; parameters ignored). */
int omote_request_media_type_is(h2o_req_t *req, const char *type);

/** The percent-decoded value of query parameter `name` into `out` (NUL-terminated): 0, or -1 when absent, malformed or too long. */
int omote_query_param(h2o_req_t *req, const char *name, char *out, size_t outsz);

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

/**
 * As omote_visitor_purposes for a request not yet handed on, and sets `*decided_at` to the valid
 * token's decision time (0 without one). Counts the token outcome once.
 */
omote_purpose_set_t omote_visitor_consent(h2o_req_t *req, const omote_generation_t *gen, int64_t *decided_at);

/**
 * Reads the first-party identifier cookie of `req` (its scheme's spelling, every Cookie field).
 * Returns 1 with `out` filled for a well-formed identifier, -1 when the cookie is there but
 * malformed, 0 when it is absent.
 */
int omote_visitor_identifier(h2o_req_t *req, const omote_generation_t *gen, char out[OMOTE_IDENTITY_LEN + 1]);

/* ---- consent_api.c (helpers me_api.c shares) ---- */

struct json_t;

/** Answers `rest` ("consent") under api.prefix: GET, POST, DELETE; 405 otherwise. */
void omote_consent_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker);

/** The visitor's consent state as GET consent reports it (`decision` NULL: no valid decision). Returns a new reference. */
struct json_t *omote_consent_state_doc(h2o_req_t *req, const omote_generation_t *gen, const omote_consent_decision_t *decision);

/** Sends `doc` (stolen) as the JSON body of a `status` answer. */
void omote_consent_send_doc(h2o_req_t *req, int status, const char *reason, struct json_t *doc);

/** Adds a Set-Cookie for omote's cookie `name` (its scheme's spelling, HttpOnly, SameSite=Lax, Secure on HTTPS). */
void omote_consent_set_cookie(h2o_req_t *req, const char *name, const char *value, uint64_t max_age_sec);

/** Answers 503 with Retry-After: the consent store could not do what was asked; counts and logs `detail`. */
void omote_consent_send_unavailable(h2o_req_t *req, omote_worker_t *worker, const char *detail);

/** NULL when `req` comes from its own origin (Origin, else Sec-Fetch-Site), else why not. */
const char *omote_consent_cross_origin_reason(h2o_req_t *req);

/* ---- me_api.c ---- */

/** Answers "me" under api.prefix: GET (what is stored about the visitor), DELETE (erase); 405 otherwise. */
void omote_me_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker);

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

/* ---- ui.c and me_api.c: what visitors see ---- */

/**
 * Answers `rest` under api.prefix when it names a UI resource (an asset, "banner", "privacy"):
 * returns 1 when it answered, 0 when `rest` is not one of them.
 */
int omote_ui_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker, h2o_iovec_t rest);

/** The language of `req`'s UI: ?lang=en|ja, else Accept-Language, else English. */
int omote_ui_lang_of(h2o_req_t *req);

/** Sends the privacy page built from `consent` (GET consent's document) and `me` (GET me's, NULL when Redis could not be read); both stolen. */
void omote_ui_send_privacy(h2o_req_t *req, const omote_generation_t *gen, struct json_t *consent, struct json_t *me);

/** Reads what is stored about the visitor of `req` (as GET me) and answers with the privacy page. */
void omote_me_privacy_page(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker);

/**
 * What the rewriter inserts at the start of the body of a page for `req`: the banner for a visitor
 * without a decision, else the privacy link; empty when the banner is off. Allocated in req's pool.
 */
h2o_iovec_t omote_ui_page_snippet(h2o_req_t *req, const omote_generation_t *gen, int has_decision);

#endif
