/*
 * What the visitor of a request has agreed to, read from the signed consent cookie without
 * asking Redis. The token codec (src/consent/token.c) judges the token; this file finds the
 * cookie, counts the outcome and keeps the answer for the rest of the request.
 *
 * Failure policy: anything short of a valid, current token (no cookie, malformed, unknown key,
 * bad MAC, expired, another policy version, consent not configured) is "no decision": only the
 * strictly necessary purposes. Each outcome is counted in omote_consent_tokens_total.
 */
#include "internal.h"
#include "omote/glue.h"
#include "omote/proxied.h"
#include <string.h>

size_t omote_visitor_cookie_name(h2o_req_t *req, const char *name, char *out, size_t outsz)
{
    int is_https = req->scheme == &H2O_URL_SCHEME_HTTPS;
    int n = snprintf(out, outsz, "%s%s", is_https ? "__Host-" : "", name);
    return n < 0 || (size_t)n >= outsz ? 0 : (size_t)n;
}

/* the next value of cookie `name` in one Cookie field, starting at `*pos`; 0 when there is none */
static int next_cookie(h2o_iovec_t header, size_t *pos, const char *name, size_t name_len, h2o_iovec_t *value)
{
    const char *end = header.base + header.len;
    for (const char *p = header.base + *pos; p < end;) {
        const char *semi = memchr(p, ';', (size_t)(end - p)), *s = p;
        if (semi == NULL)
            semi = end;
        while (s < semi && (*s == ' ' || *s == '\t'))
            ++s;
        p = semi + 1;
        if ((size_t)(semi - s) > name_len && memcmp(s, name, name_len) == 0 && s[name_len] == '=') {
            const char *v = s + name_len + 1, *e = semi;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                --e;
            *value = h2o_iovec_init(v, (size_t)(e - v));
            *pos = semi == end ? header.len : (size_t)(p - header.base);
            return 1;
        }
    }
    *pos = header.len;
    return 0;
}

/*
 * Tokens this thread verified lately: a visitor sends the same cookie with every request, and its
 * HMAC is most of what checking it costs (~1 us against ~45 us for a whole small page). An entry
 * is the exact token string, compared in full, with the decision it carried; the generation id is
 * the epoch, so new keys or a new policy version forget everything. Time and policy are checked
 * again on every use, so a cached token still expires.
 */
#define TOKEN_CACHE_SLOTS 256

struct st_token_cache_entry_t {
    uint64_t epoch; /* 0: empty */
    uint8_t len;
    char token[OMOTE_CONSENT_TOKEN_MAX_LEN];
    omote_consent_decision_t decision;
};

struct st_omote_token_cache_t {
    struct st_token_cache_entry_t slots[TOKEN_CACHE_SLOTS];
};

static struct st_token_cache_entry_t *token_slot(omote_worker_t *worker, const char *token, size_t len)
{
    if (worker->token_cache == NULL) {
        worker->token_cache = h2o_mem_alloc(sizeof(*worker->token_cache));
        memset(worker->token_cache, 0, sizeof(*worker->token_cache));
    }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i != len; ++i)
        h = (h ^ (unsigned char)token[i]) * 16777619u;
    return &worker->token_cache->slots[h % TOKEN_CACHE_SLOTS];
}

void omote_visitor_free_cache(omote_worker_t *worker)
{
    free(worker->token_cache);
    worker->token_cache = NULL;
}

static int decode_token(omote_worker_t *worker, const omote_generation_t *gen, const char *token, size_t len, int64_t now,
                        omote_consent_decision_t *decision)
{
    const omote_config_t *conf = gen->config;
    if (len > OMOTE_CONSENT_TOKEN_MAX_LEN)
        return OMOTE_CONSENT_TOKEN_MALFORMED;
    struct st_token_cache_entry_t *slot = token_slot(worker, token, len);
    if (slot->epoch == gen->id && slot->len == len && memcmp(slot->token, token, len) == 0) {
        int r = omote_consent_token_check_current(&slot->decision, now, conf->consent.lifetime_sec, conf->consent.policy_version);
        if (r == OMOTE_CONSENT_TOKEN_VALID)
            *decision = slot->decision;
        return r;
    }
    int r = omote_consent_token_decode(conf->consent.keys, token, len, now, conf->consent.lifetime_sec, conf->consent.policy_version,
                                       decision);
    if (r == OMOTE_CONSENT_TOKEN_VALID) {
        slot->epoch = gen->id;
        slot->len = (uint8_t)len;
        memcpy(slot->token, token, len);
        slot->decision = *decision;
    }
    return r;
}

int omote_visitor_decision(h2o_req_t *req, const omote_generation_t *gen, omote_consent_decision_t *decision)
{
    const omote_config_t *conf = gen->config;
    char name[OMOTE_CONSENT_COOKIE_NAME_MAX_LEN + 8];
    size_t name_len = omote_visitor_cookie_name(req, conf->consent.cookie_name, name, sizeof(name));
    int64_t now = (int64_t)(h2o_now(req->conn->ctx->loop) / 1000);
    int result = OMOTE_VISITOR_TOKEN_ABSENT;

    /* several cookies of that name (another Path, a stale copy): the first valid one decides */
    for (size_t i = 0; i != req->headers.size && result != OMOTE_CONSENT_TOKEN_VALID; ++i) {
        if (req->headers.entries[i].name != &H2O_TOKEN_COOKIE->buf)
            continue;
        h2o_iovec_t header = req->headers.entries[i].value, value;
        size_t pos = 0;
        while (result != OMOTE_CONSENT_TOKEN_VALID && next_cookie(header, &pos, name, name_len, &value)) {
            int r = decode_token(omote_worker_of(req->conn->ctx), gen, value.base, value.len, now, decision);
            if (result == OMOTE_VISITOR_TOKEN_ABSENT || r == OMOTE_CONSENT_TOKEN_VALID)
                result = r;
        }
    }
    omote_worker_t *worker = omote_worker_of(req->conn->ctx);
    omote_metrics_add(
        &worker->metrics.consent_tokens[result == OMOTE_VISITOR_TOKEN_ABSENT ? OMOTE_METRICS_CONSENT_TOKEN_ABSENT : -result], 1);
    return result;
}

omote_purpose_set_t omote_visitor_granted(const omote_generation_t *gen, uint32_t purposes)
{
    size_t n = gen->config->num_purposes;
    uint32_t configured = n >= 32 ? UINT32_MAX : ((uint32_t)1 << n) - 1;
    return (purposes & configured) | omote_policy_necessary(gen->policy);
}

omote_purpose_set_t omote_visitor_consent(h2o_req_t *req, const omote_generation_t *gen, int64_t *decided_at)
{
    omote_consent_decision_t decision;
    *decided_at = 0;
    if (!gen->config->consent.enabled || omote_visitor_decision(req, gen, &decision) != OMOTE_CONSENT_TOKEN_VALID)
        return omote_policy_necessary(gen->policy);
    *decided_at = decision.time_sec;
    return omote_visitor_granted(gen, decision.purposes);
}

omote_purpose_set_t omote_visitor_purposes(h2o_req_t *req, const omote_generation_t *gen)
{
    const omote_proxied_t *proxied = omote_proxied_of(req);
    if (proxied != NULL)
        return proxied->granted; /* read when the request was handed on */
    int64_t decided_at;
    return omote_visitor_consent(req, gen, &decided_at);
}

int omote_visitor_identifier(h2o_req_t *req, const omote_generation_t *gen, char out[OMOTE_IDENTITY_LEN + 1])
{
    char name[OMOTE_CONSENT_COOKIE_NAME_MAX_LEN + 8];
    size_t name_len = omote_visitor_cookie_name(req, gen->config->consent.identifier_cookie_name, name, sizeof(name));
    int found = 0;

    /* several cookies of that name: the first well-formed one counts */
    for (size_t i = 0; i != req->headers.size; ++i) {
        if (req->headers.entries[i].name != &H2O_TOKEN_COOKIE->buf)
            continue;
        h2o_iovec_t header = req->headers.entries[i].value, value;
        size_t pos = 0;
        while (next_cookie(header, &pos, name, name_len, &value)) {
            if (omote_identity_is_valid(value.base, value.len)) {
                memcpy(out, value.base, OMOTE_IDENTITY_LEN);
                out[OMOTE_IDENTITY_LEN] = '\0';
                return 1;
            }
            found = -1;
        }
    }
    return found;
}
