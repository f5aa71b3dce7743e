/*
 * Consent records as Redis commands (layout in include/omote/consent_record.h), the hash of the
 * consent texts a decision was made on, and the Omote-Consent header value. Sending the commands
 * and reading EXEC's reply is the glue's job (src/glue/consent_api.c).
 *
 * Failure policy: a batch that does not fit its storage is refused whole (-1), never truncated.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "omote/consent_record.h"
#include "omote/ui.h"

static const char *const event_names[OMOTE_CONSENT_EVENT_COUNT] = {"grant", "change", "refuse", "withdraw"};
static const char *const source_names[OMOTE_CONSENT_SOURCE_COUNT] = {"api", "banner", "form"};

const char *omote_consent_event_name(omote_consent_event_t event)
{
    return event_names[event];
}

const char *omote_consent_source_name(omote_consent_source_t source)
{
    return source_names[source];
}

void omote_consent_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i != n; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* one field as an 8-byte big-endian length and its bytes; NULL (a text not given) as length 2^64-1 */
static int hash_field(EVP_MD_CTX *md, const char *s)
{
    uint64_t len = s != NULL ? strlen(s) : UINT64_MAX;
    unsigned char be[8];
    for (int i = 7; i >= 0; --i, len >>= 8)
        be[i] = (unsigned char)len;
    return EVP_DigestUpdate(md, be, sizeof(be)) == 1 && (s == NULL || EVP_DigestUpdate(md, s, strlen(s)) == 1) ? 0 : -1;
}

static int hash_purpose(EVP_MD_CTX *md, const omote_purpose_config_t *p)
{
    char count[24];
    snprintf(count, sizeof(count), "%zu", p->num_cookies);
    if (hash_field(md, p->id) != 0 || hash_field(md, p->strictly_necessary ? "1" : "0") != 0 ||
        hash_field(md, p->needs_identifier ? "1" : "0") != 0 || hash_field(md, p->name_en) != 0 ||
        hash_field(md, p->name_ja) != 0 || hash_field(md, p->description_en) != 0 || hash_field(md, p->description_ja) != 0 ||
        hash_field(md, count) != 0)
        return -1;
    for (size_t i = 0; i != p->num_cookies; ++i) {
        char days[24];
        snprintf(days, sizeof(days), "%d", p->cookie_lifetime_days != NULL ? p->cookie_lifetime_days[i] : OMOTE_COOKIE_LIFETIME_UNSTATED);
        if (hash_field(md, p->cookies[i]) != 0 || hash_field(md, days) != 0)
            return -1;
    }
    return 0;
}

/* the banner's own words and the partners it names: part of what the visitor was shown */
static int hash_shown(EVP_MD_CTX *md, const omote_config_t *conf)
{
    char count[24];
    if (hash_field(md, conf->banner.title_en) != 0 || hash_field(md, conf->banner.title_ja) != 0 ||
        hash_field(md, conf->banner.text_en) != 0 || hash_field(md, conf->banner.text_ja) != 0)
        return -1;
    for (size_t i = 0; i != omote_ui_num_own_texts(); ++i)
        if (hash_field(md, omote_ui_own_text(i, OMOTE_UI_EN)) != 0 || hash_field(md, omote_ui_own_text(i, OMOTE_UI_JA)) != 0)
            return -1;
    snprintf(count, sizeof(count), "%zu", conf->num_vendors);
    if (hash_field(md, count) != 0)
        return -1;
    for (size_t i = 0; i != conf->num_vendors; ++i) {
        char purpose[24];
        snprintf(purpose, sizeof(purpose), "%zu", conf->vendors[i].purpose);
        if (hash_field(md, conf->vendors[i].name) != 0 || hash_field(md, purpose) != 0)
            return -1;
    }
    return 0;
}

int omote_consent_texts_hash(const omote_config_t *conf, char out[OMOTE_CONSENT_TEXTS_HASH_HEX])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char digest[32];
    unsigned int len = 0;
    char count[24];
    int ret = -1;

    snprintf(count, sizeof(count), "%zu", conf->num_purposes);
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || hash_field(md, "omote-consent-texts-2") != 0 ||
        hash_field(md, conf->consent.policy_version) != 0 || hash_field(md, count) != 0)
        goto Exit;
    for (size_t i = 0; i != conf->num_purposes; ++i)
        if (hash_purpose(md, conf->purposes + i) != 0)
            goto Exit;
    if (hash_shown(md, conf) != 0)
        goto Exit;
    if (EVP_DigestFinal_ex(md, digest, &len) != 1 || len != sizeof(digest))
        goto Exit;
    omote_consent_hex(digest, sizeof(digest), out);
    ret = 0;
Exit:
    EVP_MD_CTX_free(md);
    return ret;
}

size_t omote_consent_format_header(const omote_config_t *conf, uint32_t granted, char *out, size_t outsz)
{
    size_t len = 0;
    if (outsz == 0)
        return SIZE_MAX;
    out[0] = '\0';
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        if (conf->purposes[i].strictly_necessary)
            continue;
        int n = snprintf(out + len, outsz - len, "%s%s=%d", len != 0 ? ", " : "", conf->purposes[i].id, (granted >> i) & 1 ? 1 : 0);
        if (n < 0 || (size_t)n >= outsz - len)
            return SIZE_MAX;
        len += (size_t)n;
    }
    return len;
}

/* ---- batch ---- */

/* copies `s` into the batch's storage; NULL when it does not fit */
static const char *keep(omote_consent_batch_t *b, const char *s, size_t len)
{
    if (len + 1 > sizeof(b->_storage) - b->_used)
        return NULL;
    char *p = b->_storage + b->_used;
    memcpy(p, s, len);
    p[len] = '\0';
    b->_used += len + 1;
    return p;
}

/* the ids of the purposes in (granted: want 1) or out of (want 0) `set`, comma-separated */
static const char *keep_ids(omote_consent_batch_t *b, const omote_config_t *conf, uint32_t set, int want)
{
    char buf[OMOTE_CONSENT_BATCH_STORAGE];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        if ((int)((set >> i) & 1) != want)
            continue;
        int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", len != 0 ? "," : "", conf->purposes[i].id);
        if (n < 0 || (size_t)n >= sizeof(buf) - len)
            return NULL;
        len += (size_t)n;
    }
    return keep(b, buf, len);
}

static void arg(omote_consent_command_t *c, const char *s)
{
    c->argv[c->argc] = s;
    c->argvlen[c->argc] = strlen(s);
    ++c->argc;
}

static void pair(omote_consent_command_t *c, const char *name, const char *value)
{
    arg(c, name);
    arg(c, value);
}

static omote_consent_command_t *next_command(omote_consent_batch_t *b, const char *verb)
{
    omote_consent_command_t *c = b->commands + b->num_commands++;
    c->argc = 0;
    arg(c, verb);
    return c;
}

/* the fields the record hash and the audit entry share */
static void decision_fields(omote_consent_command_t *c, const omote_consent_record_t *r, const omote_config_t *conf,
                            const char *granted, const char *denied, const char *time_text, const char *source)
{
    pair(c, "event", omote_consent_event_name(r->event));
    pair(c, "granted", granted);
    pair(c, "denied", denied);
    pair(c, "policy_version", conf->consent.policy_version);
    pair(c, "decided_at", time_text);
    pair(c, "source", source);
    pair(c, "texts_sha256", r->texts_sha256);
}

int omote_consent_batch_build(omote_consent_batch_t *b, const omote_consent_record_t *r, const omote_config_t *conf)
{
    char hex[2 * OMOTE_CONSENT_RECORD_ID_BYTES + 1], key[sizeof(OMOTE_CONSENT_RECORD_KEY_PREFIX) + sizeof(hex)], num[24], ttl[24];

    b->num_commands = 0;
    b->_used = 0;
    omote_consent_hex(r->record_id, sizeof(r->record_id), hex);
    snprintf(key, sizeof(key), "%s%s", OMOTE_CONSENT_RECORD_KEY_PREFIX, hex);
    snprintf(num, sizeof(num), "%lld", (long long)r->time_sec);
    snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)conf->consent.lifetime_sec);
    char source_text[32];
    snprintf(source_text, sizeof(source_text), "%s%s", omote_consent_source_name(r->source), r->gpc_shaped ? "+gpc" : "");
    const char *k = keep(b, key, strlen(key)), *id = keep(b, hex, strlen(hex)), *time_text = keep(b, num, strlen(num)),
               *ttl_text = keep(b, ttl, strlen(ttl)), *granted = keep_ids(b, conf, r->granted, 1),
               *denied = keep_ids(b, conf, r->granted, 0), *source = keep(b, source_text, strlen(source_text));
    if (k == NULL || id == NULL || time_text == NULL || ttl_text == NULL || granted == NULL || denied == NULL || source == NULL)
        return -1;

    next_command(b, "MULTI");
    omote_consent_command_t *c = next_command(b, "HSET");
    arg(c, k);
    decision_fields(c, r, conf, granted, denied, time_text, source);
    c = next_command(b, "EXPIRE");
    arg(c, k);
    arg(c, ttl_text);
    c = next_command(b, "XADD");
    arg(c, OMOTE_CONSENT_AUDIT_KEY);
    arg(c, "*");
    pair(c, "record", id);
    decision_fields(c, r, conf, granted, denied, time_text, source);
    next_command(b, "EXEC");
    return 0;
}
