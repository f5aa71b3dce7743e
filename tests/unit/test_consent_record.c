/* Consent records: the MULTI/EXEC batch, the texts hash and the Omote-Consent header value. */
#include "omote/config.h"
#include "omote/consent_record.h"
#include "tap.h"
#include <stdlib.h>
#include <string.h>

#define KEYS_ENV "OMOTE_TEST_RECORD_KEYS"
#define KEY_32 "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="

static omote_config_t *load(const char *purposes_json, const char *version)
{
    char json[4096];
    snprintf(json, sizeof(json),
             "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}], \"origin\": {\"url\": \"http://127.0.0.1:8081/\"},"
             " \"purposes\": %s, \"consent\": {\"policy_version\": \"%s\", \"lifetime_days\": 30, \"keys_env\": \"" KEYS_ENV "\"}}",
             purposes_json, version);
    omote_config_t *conf = NULL;
    omote_config_error_t err;
    if (omote_config_load_string(json, strlen(json), "t.json", &conf, &err) != 0)
        printf("# config: %s\n", err.text);
    return conf;
}

#define PURPOSES                                                                                                                   \
    "[{\"id\": \"necessary\", \"strictly_necessary\": true, \"cookies\": [\"sid\"]},"                                              \
    " {\"id\": \"analytics\", \"name\": {\"en\": \"Analytics\", \"ja\": \"解析\"}, \"cookies\": [\"_ga*\"]},"                    \
    " {\"id\": \"marketing\"}]"

/* the arguments of command `c` joined with spaces */
static const char *joined(const omote_consent_command_t *c)
{
    static char buf[2048];
    size_t len = 0;
    for (int i = 0; i != c->argc; ++i) {
        ok(strlen(c->argv[i]) == c->argvlen[i], "argvlen[%d] of %s matches", i, c->argv[0]);
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i != 0 ? " " : "", c->argv[i]);
    }
    return buf;
}

static void test_batch(void)
{
    omote_config_t *conf = load(PURPOSES, "v1");
    omote_consent_record_t r = {{0}};
    omote_consent_batch_t b;
    char hash[OMOTE_CONSENT_TEXTS_HASH_HEX];

    ok(conf != NULL, "configuration loads");
    is_int(omote_consent_texts_hash(conf, hash), 0, "texts hash");
    for (size_t i = 0; i != sizeof(r.record_id); ++i)
        r.record_id[i] = (unsigned char)(0xa0 + i);
    r.granted = 3; /* necessary + analytics */
    r.time_sec = 1700000000;
    r.event = OMOTE_CONSENT_EVENT_GRANT;
    r.source = OMOTE_CONSENT_SOURCE_FORM;
    r.texts_sha256 = hash;
    is_int(omote_consent_batch_build(&b, &r, conf), 0, "batch built");
    is_int(b.num_commands, 5, "five commands");
    is_str(joined(&b.commands[0]), "MULTI", "MULTI first");
    char expect[1024];
    snprintf(expect, sizeof(expect),
             "HSET omote:consent:a0a1a2a3a4a5a6a7a8a9aaabacadaeaf event grant granted necessary,analytics denied marketing "
             "policy_version v1 decided_at 1700000000 source form texts_sha256 %s",
             hash);
    is_str(joined(&b.commands[1]), expect, "HSET of the record hash");
    is_str(joined(&b.commands[2]), "EXPIRE omote:consent:a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 2592000", "EXPIRE = lifetime");
    snprintf(expect, sizeof(expect),
             "XADD omote:audit * record a0a1a2a3a4a5a6a7a8a9aaabacadaeaf event grant granted necessary,analytics denied marketing "
             "policy_version v1 decided_at 1700000000 source form texts_sha256 %s",
             hash);
    is_str(joined(&b.commands[3]), expect, "XADD of the audit entry");
    is_str(joined(&b.commands[4]), "EXEC", "EXEC last");

    r.granted = 1;
    r.event = OMOTE_CONSENT_EVENT_WITHDRAW;
    r.source = OMOTE_CONSENT_SOURCE_API;
    is_int(omote_consent_batch_build(&b, &r, conf), 0, "withdrawal built");
    ok(strstr(joined(&b.commands[1]), " event withdraw granted necessary denied analytics,marketing ") != NULL,
       "withdrawal fields");
    ok(strstr(joined(&b.commands[1]), " source api ") != NULL, "source api");
    omote_config_free(conf);
}

static void test_batch_too_long(void)
{
    char purposes[4096], id[200];
    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    size_t len = (size_t)snprintf(purposes, sizeof(purposes), "[");
    for (int i = 0; i != 16; ++i)
        len += (size_t)snprintf(purposes + len, sizeof(purposes) - len, "%s{\"id\": \"%.*s%02d\"}", i ? "," : "", 180, id, i);
    snprintf(purposes + len, sizeof(purposes) - len, "]");
    omote_config_t *conf = load(purposes, "v1");
    omote_consent_record_t r = {{0}};
    omote_consent_batch_t b;
    ok(conf != NULL, "long ids load");
    r.granted = 0xffff;
    r.texts_sha256 = "x";
    is_int(omote_consent_batch_build(&b, &r, conf), 0, "16 ids of 182 bytes fit");
    r.granted = 0;
    is_int(omote_consent_batch_build(&b, &r, conf), 0, "as denied too");
    omote_config_free(conf);
}

static void test_texts_hash(void)
{
    omote_config_t *a = load(PURPOSES, "v1"), *b = load(PURPOSES, "v2"),
                   *c = load(
                       "[{\"id\": \"necessary\", \"strictly_necessary\": true, \"cookies\": [\"sid\"]},"
                       " {\"id\": \"analytics\", \"name\": {\"en\": \"Analytics!\", \"ja\": \"解析\"}, \"cookies\": [\"_ga*\"]},"
                       " {\"id\": \"marketing\"}]",
                       "v1"),
                   *a2 = load(PURPOSES, "v1");
    char ha[65], hb[65], hc[65], ha2[65];
    ok(a && b && c && a2, "configurations load");
    omote_consent_texts_hash(a, ha);
    omote_consent_texts_hash(b, hb);
    omote_consent_texts_hash(c, hc);
    omote_consent_texts_hash(a2, ha2);
    is_int(strlen(ha), 64, "64 hex digits");
    is_str(ha, ha2, "same texts, same hash");
    ok(strcmp(ha, hb) != 0, "another policy version changes it");
    ok(strcmp(ha, hc) != 0, "another name changes it");
    free(a->banner.title_en);
    a->banner.title_en = strdup("Cookies?");
    char hd[65];
    omote_consent_texts_hash(a, hd);
    ok(strcmp(ha, hd) != 0, "another banner title changes it");
    a->purposes[0].cookie_lifetime_days[0] = 7;
    char he[65];
    omote_consent_texts_hash(a, he);
    ok(strcmp(hd, he) != 0, "another cookie lifetime changes it");
    omote_config_free(a);
    omote_config_free(b);
    omote_config_free(c);
    omote_config_free(a2);
}

static void test_header(void)
{
    omote_config_t *conf = load(PURPOSES, "v1");
    char out[64];
    is_int(omote_consent_format_header(conf, 1, out, sizeof(out)), 24, "length");
    is_str(out, "analytics=0, marketing=0", "necessary only");
    omote_consent_format_header(conf, 7, out, sizeof(out));
    is_str(out, "analytics=1, marketing=1", "all");
    omote_consent_format_header(conf, 5, out, sizeof(out));
    is_str(out, "analytics=0, marketing=1", "marketing only");
    ok(omote_consent_format_header(conf, 5, out, 10) == SIZE_MAX, "too small");
    omote_config_free(conf);
    conf = load("[{\"id\": \"necessary\", \"strictly_necessary\": true}]", "v1");
    is_int(omote_consent_format_header(conf, 1, out, sizeof(out)), 0, "only necessary purposes: empty");
    omote_config_free(conf);
}

static void test_names(void)
{
    is_str(omote_consent_event_name(OMOTE_CONSENT_EVENT_REFUSE), "refuse", "event name");
    is_str(omote_consent_source_name(OMOTE_CONSENT_SOURCE_BANNER), "banner", "source name");
    char hex[5];
    omote_consent_hex((const unsigned char *)"\x00\xff", 2, hex);
    is_str(hex, "00ff", "hex");
}

int main(void)
{
    setenv(KEYS_ENV, "k1 " KEY_32 "\n", 1);
    test_batch();
    test_batch_too_long();
    test_texts_hash();
    test_header();
    test_names();
    done_testing();
}
