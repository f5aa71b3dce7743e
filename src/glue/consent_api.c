/*
 * The consent endpoints under api.prefix: GET consent (the visitor's state, read from the token),
 * POST consent (a decision, JSON or an HTML form; a form's withdraw=1 withdraws), DELETE consent
 * (withdraw everything). Bodies
 * are parsed by src/consent/body.c; the Redis commands come from src/consent/record.c and go out
 * pipelined as one MULTI/EXEC on this thread's connection.
 *
 * Failure policy: nothing is stored on any error, and a decision is answered 2xx with its
 * cookie only after EXEC's reply says Redis applied it. Redis not connected, slower than
 * redis.command_timeout_ms or refusing the transaction gives 503 with Retry-After and no cookie,
 * counted in omote_consent_store_failures_total. State changes come only from the same origin
 * (Origin, else Sec-Fetch-Site); anything else gets 403.
 *
 * GPC: "Sec-GPC: 1" on an accept-all (JSON {"all": true}, the form's all=1) leaves the purposes
 * marked "gpc" denied unless the same request grants them by name; the record's source then
 * ends in "+gpc". A decision made before is never changed by a later signal.
 *
 * Identifier: an answer whose decision grants a needs_identifier purpose sets the identifier
 * cookie (the visitor's own, kept when well-formed, else a fresh one); any other answer expires
 * a cookie the visitor still sends (and a withdrawal always does).
 *
 * Record ids: a decision keeps the record id of the visitor's valid token, else gets 16 fresh
 * random bytes. A refusal or withdrawal is recorded under that id too (the hash then says what
 * was refused), but its token carries no record id: the refusal is remembered by the token alone,
 * and its record is found later only through the audit stream's `record` field.
 */
#include "internal.h"
#include "omote/consent_body.h"
#include "omote/consent_record.h"
#include "omote/glue.h"
#include "omote/identity.h"
#include "omote/log.h"
#include "omote/redis.h"
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <string.h>

#define MODULE "omote/consent"
#define RETRY_AFTER_SEC "5"

/* a decision waiting for EXEC's reply; lives in the request's pool */
struct st_consent_wait_t {
    h2o_req_t *req;
    omote_generation_t *gen; /* retained while waiting: a reload must not free the configuration */
    omote_redis_command_t *exec;
    omote_consent_event_t event;
    omote_consent_decision_t decision;
    char token[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    const char *return_to; /* a form post: the same-origin path answered with 303; NULL for JSON */
    int identifier_state;  /* omote_visitor_identifier of the request: 1 well-formed, -1 malformed, 0 absent */
    char identifier[OMOTE_IDENTITY_LEN + 1]; /* set when the decision grants a needs_identifier purpose */
    int is_new_identifier;                   /* minted for this answer (not the visitor's own) */
};

/* ---- answers ---- */

void omote_consent_send_doc(h2o_req_t *req, int status, const char *reason, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    h2o_iovec_t body = h2o_strdup(&req->pool, text, strlen(text));
    free(text);
    omote_send_json(req, status, reason, body);
}

static json_t *texts(const char *en, const char *ja)
{
    return json_pack("{s:o,s:o}", "en", en != NULL ? json_string(en) : json_null(), "ja",
                     ja != NULL ? json_string(ja) : json_null());
}

static int received_gpc(h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-gpc"), -1);
    return i != -1 && h2o_memis(req->headers.entries[i].value.base, req->headers.entries[i].value.len, H2O_STRLIT("1"));
}

/* the gpc purposes the request's Sec-GPC: 1 keeps denied (none granted now: a new accept-all would leave them out) */
static json_t *gpc_honoured(h2o_req_t *req, const omote_generation_t *gen, uint32_t granted)
{
    json_t *ids = json_array();
    uint32_t denied = received_gpc(req) ? omote_policy_gpc_purposes(gen->policy) & ~granted : 0;
    for (size_t i = 0; i != gen->config->num_purposes; ++i)
        if ((denied >> i) & 1)
            json_array_append_new(ids, json_string(gen->config->purposes[i].id));
    return ids;
}

json_t *omote_consent_state_doc(h2o_req_t *req, const omote_generation_t *gen, const omote_consent_decision_t *decision)
{
    const omote_config_t *conf = gen->config;
    uint32_t granted = decision != NULL ? omote_visitor_granted(gen, decision->purposes) : omote_policy_necessary(gen->policy);
    json_t *purposes = json_array();
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        const omote_purpose_config_t *p = conf->purposes + i;
        json_array_append_new(purposes,
                              json_pack("{s:s,s:b,s:b,s:b,s:o,s:o}", "id", p->id, "strictly_necessary", p->strictly_necessary,
                                        "needs_identifier", p->needs_identifier, "granted", (granted >> i) & 1, "name",
                                        texts(p->name_en, p->name_ja), "description", texts(p->description_en, p->description_ja)));
    }
    json_t *doc =
        json_pack("{s:s,s:b,s:o,s:o,s:b,s:b,s:o}", "policy_version", conf->consent.policy_version, "decided", decision != NULL,
                  "decided_at", decision != NULL ? json_integer(decision->time_sec) : json_null(), "expires_at",
                  decision != NULL ? json_integer(decision->time_sec + (json_int_t)conf->consent.lifetime_sec) : json_null(),
                  "recorded", decision != NULL && decision->has_record_id, "gpc", received_gpc(req), "purposes", purposes);
    json_object_set_new(doc, "gpc_honoured", gpc_honoured(req, gen, granted));
    return doc;
}

void omote_consent_set_cookie(h2o_req_t *req, const char *name, const char *value, uint64_t max_age_sec)
{
    char full[OMOTE_CONSENT_COOKIE_NAME_MAX_LEN + 8], line[512];
    omote_visitor_cookie_name(req, name, full, sizeof(full));
    int len = snprintf(line, sizeof(line), "%s=%s; Max-Age=%llu; Path=/%s; HttpOnly; SameSite=Lax", full, value,
                       (unsigned long long)max_age_sec, req->scheme == &H2O_URL_SCHEME_HTTPS ? "; Secure" : "");
    h2o_iovec_t v = h2o_strdup(&req->pool, line, (size_t)len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, v.base, v.len);
}

void omote_consent_send_unavailable(h2o_req_t *req, omote_worker_t *worker, const char *detail)
{
    omote_metrics_add(&worker->metrics.consent_store_failures, 1);
    omote_log(OMOTE_LOG_WARN, MODULE, "event=consent_not_stored reason=\"%s\"", detail);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT(RETRY_AFTER_SEC));
    omote_send_json_error(req, 503, "Service Unavailable", "consent store unavailable", detail);
}

/* ---- same-origin check ---- */

const char *omote_consent_cross_origin_reason(h2o_req_t *req)
{
    ssize_t o = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    ssize_t f = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-fetch-site"), -1);
    if (f != -1) {
        h2o_iovec_t v = req->headers.entries[f].value;
        if (!h2o_lcstris(v.base, v.len, H2O_STRLIT("same-origin")))
            return "Sec-Fetch-Site is not same-origin";
    }
    if (o != -1) {
        h2o_iovec_t v = req->headers.entries[o].value;
        const h2o_iovec_t *scheme = &req->scheme->name;
        size_t slen = scheme->len + 3 + req->authority.len;
        if (v.len != slen || !h2o_lcstris(v.base, scheme->len, scheme->base, scheme->len) ||
            memcmp(v.base + scheme->len, "://", 3) != 0 ||
            !h2o_lcstris(v.base + scheme->len + 3, req->authority.len, req->authority.base, req->authority.len))
            return "the Origin header names another site";
        return NULL;
    }
    return f != -1 ? NULL : "neither Origin nor Sec-Fetch-Site shows a same-origin request";
}

/* ---- bodies (parsed by src/consent/body.c) ---- */


/* ---- recording ---- */

static void on_wait_dispose(void *_wait)
{
    struct st_consent_wait_t *wait = _wait;
    if (wait->exec != NULL)
        omote_redis_cancel(wait->exec);
    omote_generation_release(wait->gen);
}

/* EXEC answers an array with one reply per queued command (HSET, EXPIRE, XADD), none an error */
static int exec_applied(const redisReply *reply)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != OMOTE_CONSENT_BATCH_COMMANDS - 2)
        return 0;
    for (size_t i = 0; i != reply->elements; ++i)
        if (reply->element[i]->type == REDIS_REPLY_ERROR)
            return 0;
    return 1;
}

static void on_exec(void *data, const redisReply *reply, const char *errstr)
{
    struct st_consent_wait_t *wait = data;
    h2o_req_t *req = wait->req;
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    const omote_config_t *conf = wait->gen->config;

    wait->exec = NULL;
    if (!exec_applied(reply)) {
        omote_consent_send_unavailable(req, worker, errstr != NULL ? errstr : "Redis did not apply the transaction");
        return;
    }
    omote_metrics_add(&worker->metrics.consent_decisions[wait->event], 1);
    omote_log(OMOTE_LOG_INFO, MODULE, "event=consent_recorded decision=%s", omote_consent_event_name(wait->event));
    omote_consent_set_cookie(req, conf->consent.cookie_name, wait->token, conf->consent.lifetime_sec);
    if (wait->identifier[0] != '\0') {
        omote_consent_set_cookie(req, conf->consent.identifier_cookie_name, wait->identifier,
                                 omote_identity_max_age(wait->decision.time_sec, conf->consent.lifetime_sec, wait->decision.time_sec));
        if (wait->is_new_identifier)
            omote_metrics_add(&worker->metrics.identifiers[OMOTE_METRICS_IDENTIFIER_ISSUED], 1);
    } else if (wait->identifier_state != 0 || wait->event == OMOTE_CONSENT_EVENT_WITHDRAW) {
        omote_consent_set_cookie(req, conf->consent.identifier_cookie_name, "", 0); /* no identifier purpose left: expire it */
        if (wait->identifier_state != 0) /* a withdrawal without one expires nothing the visitor has */
            omote_metrics_add(&worker->metrics.identifiers[OMOTE_METRICS_IDENTIFIER_EXPIRED], 1);
    }
    if (wait->return_to != NULL) {
        req->res.status = 303;
        req->res.reason = "See Other";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, wait->return_to, strlen(wait->return_to));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
        omote_send_whole(req, NULL, 0);
        return;
    }
    omote_consent_send_doc(req, 200, "OK", omote_consent_state_doc(req, wait->gen, &wait->decision));
}

/* queues the batch on this thread's connection; returns the EXEC's handle, or NULL (nothing left half-open) */
static omote_redis_command_t *send_batch(omote_redis_t *redis, const omote_consent_batch_t *batch, struct st_consent_wait_t *wait)
{
    static const char *discard[] = {"DISCARD"};
    static const size_t discard_len[] = {7};
    for (size_t i = 0; i != batch->num_commands; ++i) {
        const omote_consent_command_t *c = batch->commands + i;
        int is_exec = i + 1 == batch->num_commands;
        omote_redis_command_t *cmd = omote_redis_command(redis, is_exec ? on_exec : NULL, is_exec ? wait : NULL, c->argc,
                                                         (const char **)c->argv, c->argvlen);
        if (cmd == NULL) {
            if (i != 0) /* MULTI went out: close the transaction so no later command lands in it */
                omote_redis_command(redis, NULL, NULL, 1, discard, discard_len);
            return NULL;
        }
        if (is_exec)
            return cmd;
    }
    return NULL;
}

/* Records `granted` as `event` and answers once Redis acknowledged it. */
static void record(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker, uint32_t granted,
                   omote_consent_event_t event, omote_consent_source_t source, int gpc_shaped, const char *return_to)
{
    const omote_config_t *conf = gen->config;
    omote_consent_decision_t previous;
    int had_valid = omote_visitor_decision(req, gen, &previous) == OMOTE_CONSENT_TOKEN_VALID;
    granted = omote_visitor_granted(gen, granted);
    int is_refusal = granted == omote_policy_necessary(gen->policy);

    if (event != OMOTE_CONSENT_EVENT_WITHDRAW)
        event = is_refusal ? OMOTE_CONSENT_EVENT_REFUSE : had_valid ? OMOTE_CONSENT_EVENT_CHANGE : OMOTE_CONSENT_EVENT_GRANT;
    omote_consent_record_t rec = {
        .granted = granted,
        .time_sec = (int64_t)(h2o_now(req->conn->ctx->loop) / 1000),
        .event = event,
        .source = source,
        .gpc_shaped = gpc_shaped};
    char hash[OMOTE_CONSENT_TEXTS_HASH_HEX];
    if (had_valid && previous.has_record_id) {
        memcpy(rec.record_id, previous.record_id, sizeof(rec.record_id));
    } else if (RAND_bytes(rec.record_id, sizeof(rec.record_id)) != 1) {
        omote_send_json_error(req, 500, "Internal Server Error", "internal error", "no random bytes for a record id");
        return;
    }
    if (omote_consent_texts_hash(conf, hash) != 0) {
        omote_send_json_error(req, 500, "Internal Server Error", "internal error", "cannot hash the consent texts");
        return;
    }
    rec.texts_sha256 = hash;

    struct st_consent_wait_t *wait = h2o_mem_alloc_shared(&req->pool, sizeof(*wait), on_wait_dispose);
    *wait = (struct st_consent_wait_t){req, (omote_generation_t *)gen, NULL, event};
    omote_generation_retain(wait->gen);
    wait->return_to = return_to;
    wait->identifier_state = omote_visitor_identifier(req, gen, wait->identifier);
    if (wait->identifier_state != 1)
        wait->identifier[0] = '\0';
    if ((granted & omote_policy_identifier_purposes(gen->policy)) == 0) {
        wait->identifier[0] = '\0'; /* no purpose needing it: the answer expires any the visitor sends */
    } else if (wait->identifier[0] == '\0') {
        if (omote_identity_mint(wait->identifier) != 0) {
            omote_send_json_error(req, 500, "Internal Server Error", "internal error", "no random bytes for an identifier");
            return;
        }
        wait->is_new_identifier = 1;
    }
    wait->decision = (omote_consent_decision_t){.purposes = granted, .time_sec = rec.time_sec, .has_record_id = !is_refusal};
    snprintf(wait->decision.policy_version, sizeof(wait->decision.policy_version), "%s", conf->consent.policy_version);
    memcpy(wait->decision.record_id, rec.record_id, sizeof(rec.record_id));
    /* the token is made before anything is stored, so a decision Redis holds can always be answered */
    omote_consent_batch_t batch;
    if (omote_consent_token_encode(omote_consent_keys_newest(conf->consent.keys), &wait->decision, wait->token,
                                   sizeof(wait->token)) < 0 ||
        omote_consent_batch_build(&batch, &rec, conf) != 0) {
        omote_send_json_error(req, 500, "Internal Server Error", "internal error", "cannot encode the decision");
        return;
    }
    if ((wait->exec = send_batch(worker->redis, &batch, wait)) == NULL)
        omote_consent_send_unavailable(req, worker, "Redis is not connected");
}

/* ---- dispatch ---- */

static void handle_get(h2o_req_t *req, const omote_generation_t *gen)
{
    omote_consent_decision_t decision;
    int valid = omote_visitor_decision(req, gen, &decision) == OMOTE_CONSENT_TOKEN_VALID;
    omote_consent_send_doc(req, 200, "OK", omote_consent_state_doc(req, gen, valid ? &decision : NULL));
}

static void handle_post(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
    const omote_config_t *conf = gen->config;
    omote_consent_body_t body;
    omote_consent_body_kind_t kind;

    if (req->entity.len > conf->limits.api_body_bytes) {
        omote_send_json_error(req, 413, "Payload Too Large", "body too large", "the body is larger than limits.api_body_bytes");
        return;
    }
    if (omote_request_media_type_is(req, "application/json")) {
        kind = OMOTE_CONSENT_BODY_JSON;
    } else if (omote_request_media_type_is(req, "application/x-www-form-urlencoded")) {
        kind = OMOTE_CONSENT_BODY_FORM;
    } else {
        omote_send_json_error(req, 415, "Unsupported Media Type", "unsupported media type",
                              "expected application/json or application/x-www-form-urlencoded");
        return;
    }
    if (omote_consent_body_parse(&body, kind, req->entity.base, req->entity.len, conf->purposes, conf->num_purposes) != 0) {
        omote_send_json_error(req, 400, "Bad Request", "bad consent", body.error);
        return;
    }
    if (body.is_erasure) {
        omote_send_json_error(req, 400, "Bad Request", "bad consent", "an erasure is posted to me, not to consent");
        return;
    }
    const char *return_to = NULL; /* the answer waits for Redis: the path moves to the request's pool */
    if (kind == OMOTE_CONSENT_BODY_FORM)
        return_to = h2o_strdup(&req->pool, body.return_to, strlen(body.return_to)).base;
    if (body.is_withdrawal) { /* a page without JavaScript cannot send DELETE */
        record(req, gen, worker, 0, OMOTE_CONSENT_EVENT_WITHDRAW, OMOTE_CONSENT_SOURCE_FORM, 0, return_to);
        return;
    }
    int gpc_shaped = 0;
    if (body.is_all && received_gpc(req)) {
        uint32_t honoured = omote_policy_apply_gpc(gen->policy, body.granted, body.named);
        gpc_shaped = honoured != body.granted;
        body.granted = honoured;
    }
    record(req, gen, worker, body.granted, OMOTE_CONSENT_EVENT_GRANT, body.source, gpc_shaped, return_to);
}

void omote_consent_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
                 h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    int is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    int is_delete = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE"));
    const char *why;

    if (!gen->config->consent.enabled) {
        omote_send_json_error(req, 404, "Not Found", "not found", "consent is not configured");
        return;
    }
    if (is_get) {
        handle_get(req, gen);
        return;
    }
    if (!is_post && !is_delete) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD, POST, DELETE"));
        omote_send_json_error(req, 405, "Method Not Allowed", "method not allowed", "consent takes GET, POST or DELETE");
        return;
    }
    if ((why = omote_consent_cross_origin_reason(req)) != NULL) {
        omote_send_json_error(req, 403, "Forbidden", "cross-origin request refused", why);
        return;
    }
    if (is_post)
        handle_post(req, gen, worker);
    else
        record(req, gen, worker, 0, OMOTE_CONSENT_EVENT_WITHDRAW, OMOTE_CONSENT_SOURCE_API, 0, NULL);
}
