/*
 * GET and DELETE <api.prefix>me: everything omote stores about the visitor of a request, and its
 * erasure. GET me?download=1 is the same document as an attachment; POST me with the form
 * erase=1&return=<path> is DELETE me for pages without JavaScript, answered 303. The privacy page
 * (src/glue/ui.c) is rendered from the same reads; when Redis cannot be read it still shows
 * everything else. omote knows a visitor only by the record id in their consent token; the identifier
 * cookie is echoed, never stored. The consent state and the cookie helpers are consent_api.c's.
 *
 * GET me reads the record hash, its TTL and the visitor's audit entries in one MULTI/EXEC.
 * DELETE me first finds the visitor's audit entries (XREVRANGE, bounded by
 * OMOTE_CONSENT_AUDIT_SCAN_MAX), then in one MULTI/EXEC deletes the record (DEL), those entries
 * (XDEL) and appends an `erased` entry that carries no record id, so nothing ties the erasure
 * to the visitor. Entries written between the scan and EXEC (the same visitor deciding in
 * another tab) are not erased; README "Consent" says so.
 *
 * Failure policy: as consent_api.c. Redis not connected, slower than redis.command_timeout_ms or
 * refusing the transaction gives 503 with Retry-After and no cookie; an erasure is answered, and
 * the cookies expired, only after EXEC applied it whole. DELETE needs a same-origin request.
 */
#include "internal.h"
#include "omote/consent_body.h"
#include "omote/consent_record.h"
#include "omote/glue.h"
#include "omote/log.h"
#include "omote/redis.h"
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <string.h>

#define MODULE "omote/me"
#define MAX_TX_COMMANDS 5
#define TEXT_OF(x) #x
#define NUMBER_TEXT(x) TEXT_OF(x)
#define SCAN_COUNT NUMBER_TEXT(OMOTE_CONSENT_AUDIT_SCAN_MAX) /* "10000" */

/* a GET or DELETE me waiting for Redis; lives in the request's pool */
struct st_me_wait_t {
    h2o_req_t *req;
    omote_generation_t *gen; /* retained while waiting */
    omote_redis_command_t *pending;
    int token; /* omote_visitor_decision's result */
    omote_consent_decision_t decision;
    char record_hex[2 * OMOTE_CONSENT_RECORD_ID_BYTES + 1]; /* "" when the token carries no record id */
    char record_key[sizeof(OMOTE_CONSENT_RECORD_KEY_PREFIX) + 2 * OMOTE_CONSENT_RECORD_ID_BYTES];
    int mode;              /* what the answer is: MODE_* */
    const char *return_to; /* an erasure posted by a form: the path to answer 303 to */
    size_t scanned;        /* audit entries read */
    size_t num_entries; /* of them, the visitor's (DELETE: their ids in xdel_argv from index 2) */
    const char **xdel_argv;
    size_t *xdel_argvlen;
};

enum { MODE_JSON, MODE_DOWNLOAD, MODE_PRIVACY };

/* one command of a transaction */
struct st_tx_command_t {
    int argc;
    const char **argv;
    const size_t *argvlen;
};

static void on_wait_dispose(void *_wait)
{
    struct st_me_wait_t *wait = _wait;
    if (wait->pending != NULL)
        omote_redis_cancel(wait->pending);
    omote_generation_release(wait->gen);
}

static void fill_lens(const char **argv, size_t *lens, int argc)
{
    for (int i = 0; i != argc; ++i)
        lens[i] = strlen(argv[i]);
}

/* MULTI, `cmds`, EXEC pipelined; `cb` gets EXEC's reply. NULL when Redis is not connected (nothing left open). */
static omote_redis_command_t *send_tx(omote_redis_t *redis, const struct st_tx_command_t *cmds, size_t n, omote_redis_reply_cb cb,
                                      void *data)
{
    static const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"}, *discard[] = {"DISCARD"};
    static const size_t multi_len[] = {5}, exec_len[] = {4}, discard_len[] = {7};
    if (omote_redis_command(redis, NULL, NULL, 1, multi, multi_len) == NULL)
        return NULL;
    for (size_t i = 0; i != n; ++i) {
        if (omote_redis_command(redis, NULL, NULL, cmds[i].argc, cmds[i].argv, cmds[i].argvlen) == NULL) {
            omote_redis_command(redis, NULL, NULL, 1, discard, discard_len);
            return NULL;
        }
    }
    omote_redis_command_t *cmd = omote_redis_command(redis, cb, data, 1, exec, exec_len);
    if (cmd == NULL)
        omote_redis_command(redis, NULL, NULL, 1, discard, discard_len);
    return cmd;
}

/* EXEC's reply: an array of `n` replies, none an error */
static int exec_applied(const redisReply *reply, size_t n)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != n)
        return 0;
    for (size_t i = 0; i != n; ++i)
        if (reply->element[i]->type == REDIS_REPLY_ERROR)
            return 0;
    return 1;
}

static json_t *string_of(const redisReply *r)
{
    json_t *s = r->type == REDIS_REPLY_STRING ? json_stringn(r->str, r->len) : NULL;
    return s != NULL ? s : json_null(); /* not UTF-8: omote never writes such a value */
}

/* a flat [name, value, ...] array (HGETALL, a stream entry's fields) as an object */
static json_t *fields_of(h2o_mem_pool_t *pool, const redisReply *flat)
{
    json_t *obj = json_object();
    for (size_t i = 0; flat->type == REDIS_REPLY_ARRAY && i + 1 < flat->elements; i += 2) {
        const redisReply *name = flat->element[i];
        if (name->type != REDIS_REPLY_STRING)
            continue;
        h2o_iovec_t key = h2o_strdup(pool, name->str, name->len);
        json_object_set_new(obj, key.base, string_of(flat->element[i + 1]));
    }
    return obj;
}

/* whether stream entry `entry` ([id, [fields]]) has record = `hex` */
static int is_visitors_entry(const redisReply *entry, const char *hex)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    const redisReply *flat = entry->element[1];
    for (size_t i = 0; flat->type == REDIS_REPLY_ARRAY && i + 1 < flat->elements; i += 2) {
        const redisReply *name = flat->element[i], *value = flat->element[i + 1];
        if (name->type == REDIS_REPLY_STRING && h2o_memis(name->str, name->len, H2O_STRLIT("record")))
            return value->type == REDIS_REPLY_STRING && h2o_memis(value->str, value->len, hex, strlen(hex));
    }
    return 0;
}

static json_t *scan_doc(size_t scanned)
{
    return json_pack("{s:I,s:I,s:b}", "scanned", (json_int_t)scanned, "limit", (json_int_t)OMOTE_CONSENT_AUDIT_SCAN_MAX, "complete",
                     scanned < OMOTE_CONSENT_AUDIT_SCAN_MAX);
}

/* ---- GET me ---- */

/* `tx` is EXEC's reply to HGETALL, TTL, XREVRANGE, or NULL when the token carries no record id */
static void send_me(struct st_me_wait_t *wait, const redisReply *tx)
{
    h2o_req_t *req = wait->req;
    int valid = wait->token == OMOTE_CONSENT_TOKEN_VALID;
    char identifier[OMOTE_IDENTITY_LEN + 1];
    int has_identifier = omote_visitor_identifier(req, wait->gen, identifier) == 1;
    json_t *record = json_null(), *audit = json_array();
    size_t scanned = 0;

    if (tx != NULL) {
        const redisReply *hash = tx->element[0], *ttl = tx->element[1], *entries = tx->element[2];
        if (hash->type == REDIS_REPLY_ARRAY && hash->elements != 0) {
            json_decref(record);
            record = json_pack("{s:s,s:s,s:I,s:o}", "id", wait->record_hex, "key", wait->record_key, "ttl_sec",
                               (json_int_t)(ttl->type == REDIS_REPLY_INTEGER ? ttl->integer : -1), "fields",
                               fields_of(&req->pool, hash));
        }
        for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i != entries->elements; ++i) {
            const redisReply *e = entries->element[i];
            ++scanned;
            if (is_visitors_entry(e, wait->record_hex))
                json_array_append_new(
                    audit, json_pack("{s:o,s:o}", "id", string_of(e->element[0]), "fields", fields_of(&req->pool, e->element[1])));
        }
    }
    const char *token = wait->token == OMOTE_VISITOR_TOKEN_ABSENT ? "absent" : omote_consent_token_result_name(wait->token);
    json_t *doc =
        json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "token", token, "identifier", has_identifier ? json_string(identifier) : json_null(),
                  "consent", omote_consent_state_doc(req, wait->gen, valid ? &wait->decision : NULL), "record", record, "audit",
                  audit, "audit_scan", scan_doc(scanned));
    if (wait->mode == MODE_PRIVACY) {
        omote_ui_send_privacy(req, wait->gen, json_incref(json_object_get(doc, "consent")), doc);
        return;
    }
    if (wait->mode == MODE_DOWNLOAD)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_DISPOSITION, NULL,
                       H2O_STRLIT("attachment; filename=\"omote-me.json\""));
    omote_consent_send_doc(req, 200, "OK", doc);
}

/* Redis could not be read: the privacy page still shows everything else; GET me has nothing to show */
static void send_me_unavailable(struct st_me_wait_t *wait, const char *detail)
{
    h2o_req_t *req = wait->req;
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    if (wait->mode != MODE_PRIVACY) {
        omote_consent_send_unavailable(req, worker, detail);
        return;
    }
    omote_metrics_add(&worker->metrics.consent_store_failures, 1);
    int valid = wait->token == OMOTE_CONSENT_TOKEN_VALID;
    omote_ui_send_privacy(req, wait->gen, omote_consent_state_doc(req, wait->gen, valid ? &wait->decision : NULL), NULL);
}

static void on_me_exec(void *data, const redisReply *reply, const char *errstr)
{
    struct st_me_wait_t *wait = data;
    wait->pending = NULL;
    if (!exec_applied(reply, 3)) {
        send_me_unavailable(wait, errstr != NULL ? errstr : "Redis did not answer the reads");
        return;
    }
    send_me(wait, reply);
}

static void handle_get(struct st_me_wait_t *wait, omote_worker_t *worker)
{
    if (wait->record_hex[0] == '\0') {
        send_me(wait, NULL); /* nothing in Redis can be tied to this visitor */
        return;
    }
    const char *hgetall[] = {"HGETALL", wait->record_key}, *ttl[] = {"TTL", wait->record_key},
               *xrevrange[] = {"XREVRANGE", OMOTE_CONSENT_AUDIT_KEY, "+", "-", "COUNT", SCAN_COUNT};
    size_t hgetall_len[2], ttl_len[2], xrevrange_len[6];
    fill_lens(hgetall, hgetall_len, 2);
    fill_lens(ttl, ttl_len, 2);
    fill_lens(xrevrange, xrevrange_len, 6);
    struct st_tx_command_t cmds[] = {{2, hgetall, hgetall_len}, {2, ttl, ttl_len}, {6, xrevrange, xrevrange_len}};
    if ((wait->pending = send_tx(worker->redis, cmds, 3, on_me_exec, wait)) == NULL)
        send_me_unavailable(wait, "Redis is not connected");
}

/* ---- DELETE me ---- */

static void on_erase_exec(void *data, const redisReply *reply, const char *errstr)
{
    struct st_me_wait_t *wait = data;
    h2o_req_t *req = wait->req;
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    const omote_config_t *conf = wait->gen->config;
    size_t n = wait->record_hex[0] != '\0' ? 1 + (wait->num_entries != 0) + 1 : 1;
    char identifier[OMOTE_IDENTITY_LEN + 1];

    wait->pending = NULL;
    if (!exec_applied(reply, n)) {
        omote_consent_send_unavailable(req, worker, errstr != NULL ? errstr : "Redis did not apply the erasure");
        return;
    }
    int record_deleted = n != 1 && reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[0]->integer == 1;
    long long deleted = n == 3 && reply->element[1]->type == REDIS_REPLY_INTEGER ? reply->element[1]->integer : 0;
    omote_log(OMOTE_LOG_INFO, MODULE, "event=erased record_deleted=%d audit_entries_deleted=%lld", record_deleted, deleted);
    omote_metrics_add(&worker->metrics.consent_erasures, 1);
    if (omote_visitor_identifier(req, wait->gen, identifier) != 0) /* the request carried one: it is expired now */
        omote_metrics_add(&worker->metrics.identifiers[OMOTE_METRICS_IDENTIFIER_EXPIRED], 1);
    omote_consent_set_cookie(req, conf->consent.cookie_name, "", 0);
    omote_consent_set_cookie(req, conf->consent.identifier_cookie_name, "", 0);
    if (wait->return_to != NULL) {
        req->res.status = 303;
        req->res.reason = "See Other";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, wait->return_to, strlen(wait->return_to));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
        omote_send_whole(req, "", 0);
        return;
    }
    json_t *doc = json_pack("{s:b,s:b,s:I,s:o}", "erased", 1, "record_deleted", record_deleted, "audit_entries_deleted",
                            (json_int_t)deleted, "audit_scan", scan_doc(wait->scanned));
    omote_consent_send_doc(req, 200, "OK", doc);
}

/* MULTI, [DEL record, [XDEL audit ids]], XADD erased, EXEC */
static void send_erase(struct st_me_wait_t *wait, omote_worker_t *worker)
{
    h2o_req_t *req = wait->req;
    char erased_at[24], entries[24];
    snprintf(erased_at, sizeof(erased_at), "%lld", (long long)(h2o_now(req->conn->ctx->loop) / 1000));
    snprintf(entries, sizeof(entries), "%zu", wait->num_entries);
    const char *del[] = {"DEL", wait->record_key},
               *xadd[] = {"XADD",    OMOTE_CONSENT_AUDIT_KEY, "*",    "event", "erased", "erased_at",
                          erased_at, "audit_entries_deleted", entries};
    size_t del_len[2], xadd_len[9];
    fill_lens(del, del_len, 2);
    fill_lens(xadd, xadd_len, 9);
    struct st_tx_command_t cmds[MAX_TX_COMMANDS];
    size_t n = 0;
    if (wait->record_hex[0] != '\0') {
        cmds[n++] = (struct st_tx_command_t){2, del, del_len};
        if (wait->num_entries != 0)
            cmds[n++] = (struct st_tx_command_t){(int)(2 + wait->num_entries), wait->xdel_argv, wait->xdel_argvlen};
    }
    cmds[n++] = (struct st_tx_command_t){9, xadd, xadd_len};
    if ((wait->pending = send_tx(worker->redis, cmds, n, on_erase_exec, wait)) == NULL)
        omote_consent_send_unavailable(req, worker, "Redis is not connected");
}

/* the visitor's audit entries found: their ids go into XDEL's arguments */
static void on_scan(void *data, const redisReply *reply, const char *errstr)
{
    struct st_me_wait_t *wait = data;
    h2o_req_t *req = wait->req;
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);

    wait->pending = NULL;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        omote_consent_send_unavailable(req, worker, errstr != NULL ? errstr : "Redis did not answer the audit scan");
        return;
    }
    wait->scanned = reply->elements;
    wait->xdel_argv = h2o_mem_alloc_pool(&req->pool, sizeof(*wait->xdel_argv) * (reply->elements + 2));
    wait->xdel_argvlen = h2o_mem_alloc_pool(&req->pool, sizeof(*wait->xdel_argvlen) * (reply->elements + 2));
    wait->xdel_argv[0] = "XDEL";
    wait->xdel_argv[1] = OMOTE_CONSENT_AUDIT_KEY;
    fill_lens(wait->xdel_argv, wait->xdel_argvlen, 2);
    for (size_t i = 0; i != reply->elements; ++i) {
        const redisReply *e = reply->element[i];
        if (!is_visitors_entry(e, wait->record_hex))
            continue;
        h2o_iovec_t id = h2o_strdup(&req->pool, e->element[0]->str, e->element[0]->len);
        wait->xdel_argv[2 + wait->num_entries] = id.base;
        wait->xdel_argvlen[2 + wait->num_entries] = id.len;
        ++wait->num_entries;
    }
    send_erase(wait, worker);
}

static void handle_delete(struct st_me_wait_t *wait, omote_worker_t *worker)
{
    if (wait->record_hex[0] == '\0') {
        send_erase(wait, worker); /* nothing tied to the visitor: expire the cookies, note the erasure */
        return;
    }
    const char *argv[] = {"XREVRANGE", OMOTE_CONSENT_AUDIT_KEY, "+", "-", "COUNT", SCAN_COUNT};
    size_t lens[6];
    fill_lens(argv, lens, 6);
    if ((wait->pending = omote_redis_command(worker->redis, on_scan, wait, 6, argv, lens)) == NULL)
        omote_consent_send_unavailable(wait->req, worker, "Redis is not connected");
}

/* ---- dispatch ---- */

static struct st_me_wait_t *start_wait(h2o_req_t *req, const omote_generation_t *gen, int mode)
{
    struct st_me_wait_t *wait = h2o_mem_alloc_shared(&req->pool, sizeof(*wait), on_wait_dispose);
    *wait = (struct st_me_wait_t){req, (omote_generation_t *)gen};
    wait->mode = mode;
    omote_generation_retain(wait->gen);
    wait->token = omote_visitor_decision(req, gen, &wait->decision);
    if (wait->token == OMOTE_CONSENT_TOKEN_VALID && wait->decision.has_record_id) {
        omote_consent_hex(wait->decision.record_id, sizeof(wait->decision.record_id), wait->record_hex);
        snprintf(wait->record_key, sizeof(wait->record_key), "%s%s", OMOTE_CONSENT_RECORD_KEY_PREFIX, wait->record_hex);
    }
    return wait;
}

void omote_me_privacy_page(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
    handle_get(start_wait(req, gen, MODE_PRIVACY), worker);
}

/* an erasure from a page without JavaScript: a form posting erase=1 and return= */
static const char *read_erase_form(h2o_req_t *req, const omote_config_t *conf)
{
    omote_consent_body_t body;
    if (!omote_request_media_type_is(req, "application/x-www-form-urlencoded")) {
        omote_send_json_error(req, 415, "Unsupported Media Type", "unsupported media type",
                              "POST me takes a form (application/x-www-form-urlencoded) with erase=1; DELETE me erases too");
        return NULL;
    }
    if (omote_consent_body_parse(&body, OMOTE_CONSENT_BODY_FORM, req->entity.base, req->entity.len, conf->purposes,
                                 conf->num_purposes) != 0) {
        omote_send_json_error(req, 400, "Bad Request", "bad form", body.error);
        return NULL;
    }
    if (!body.is_erasure) {
        omote_send_json_error(req, 400, "Bad Request", "bad form", "POST me erases: the form must hold erase=1");
        return NULL;
    }
    return h2o_strdup(&req->pool, body.return_to, strlen(body.return_to)).base;
}

void omote_me_api_handle(h2o_req_t *req, const omote_generation_t *gen, omote_worker_t *worker)
{
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
                 h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    int is_delete = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE"));
    int is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    const char *why, *return_to = NULL;

    if (!gen->config->consent.enabled) {
        omote_send_json_error(req, 404, "Not Found", "not found", "consent is not configured");
        return;
    }
    if (!is_get && !is_delete && !is_post) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD, POST, DELETE"));
        omote_send_json_error(req, 405, "Method Not Allowed", "method not allowed", "me takes GET, POST (a form) or DELETE");
        return;
    }
    if (!is_get && (why = omote_consent_cross_origin_reason(req)) != NULL) {
        omote_send_json_error(req, 403, "Forbidden", "cross-origin request refused", why);
        return;
    }
    if (is_post && (return_to = read_erase_form(req, gen->config)) == NULL)
        return;
    char download[2];
    int is_download = is_get && omote_query_param(req, "download", download, sizeof(download)) == 0 && download[0] == '1';
    struct st_me_wait_t *wait = start_wait(req, gen, is_download ? MODE_DOWNLOAD : MODE_JSON);
    wait->return_to = return_to;
    if (is_get)
        handle_get(wait, worker);
    else
        handle_delete(wait, worker);
}

