/* Consent POST bodies: the documented JSON and form shapes, and every class of refusal with its exact message. */
#include "omote/consent_body.h"
#include "tap.h"
#include <string.h>

static omote_purpose_config_t purposes[] = {
    {.id = "necessary", .strictly_necessary = 1},
    {.id = "analytics", .needs_identifier = 1},
    {.id = "marketing", .gpc = 1},
    {.id = "ads"},
};
#define NUM_PURPOSES (sizeof(purposes) / sizeof(purposes[0]))
#define NECESSARY 0x1u
#define ANALYTICS 0x2u
#define MARKETING 0x4u
#define ADS 0x8u

static omote_consent_body_t body;

static int parse(omote_consent_body_kind_t kind, const char *text)
{
    return omote_consent_body_parse(&body, kind, text, strlen(text), purposes, NUM_PURPOSES);
}

static int json(const char *text)
{
    return parse(OMOTE_CONSENT_BODY_JSON, text);
}

static int form(const char *text)
{
    return parse(OMOTE_CONSENT_BODY_FORM, text);
}

static void test_json_shapes(void)
{
    is_int(json("{\"purposes\": {\"analytics\": true, \"marketing\": false}}"), 0, "purposes object");
    is_int(body.granted, NECESSARY | ANALYTICS, "granted: named ones plus the strictly necessary");
    is_int(body.named, ANALYTICS, "named: the ones set to true");
    is_int(body.is_all, 0, "not an accept-all");
    is_int(body.source, OMOTE_CONSENT_SOURCE_API, "source defaults to api");
    is_str(body.return_to, "", "no return path for JSON");
    is_str(body.error, "", "no error");

    is_int(json("{\"purposes\": {}}"), 0, "empty purposes object");
    is_int(body.granted, NECESSARY, "left out means refused");
    is_int(json("{\"purposes\": {\"necessary\": true, \"ads\": true}}"), 0, "granting a necessary purpose is fine");
    is_int(body.granted, NECESSARY | ADS, "necessary and ads");

    is_int(json("{\"all\": true, \"source\": \"banner\"}"), 0, "accept all from the banner");
    is_int(body.granted, NECESSARY | ANALYTICS | MARKETING | ADS, "every purpose");
    is_int(body.named, 0, "none named");
    is_int(body.is_all, 1, "an accept-all");
    is_int(body.source, OMOTE_CONSENT_SOURCE_BANNER, "source banner");

    is_int(json("{\"source\": \"api\", \"all\": false}"), 0, "reject all");
    is_int(body.granted, NECESSARY, "only the strictly necessary");
    is_int(body.is_all, 0, "a reject-all is no accept-all");
    is_int(body.source, OMOTE_CONSENT_SOURCE_API, "source api");

    is_int(omote_consent_body_parse(&body, OMOTE_CONSENT_BODY_JSON, NULL, 0, purposes, NUM_PURPOSES), -1, "no body");
    ok(strncmp(body.error, "malformed JSON at line 1 column ", 32) == 0, "no body is malformed JSON: %s", body.error);
}

static void json_refused(const char *text, const char *message)
{
    is_int(json(text), -1, "refused: %s", text);
    is_str(body.error, message, "message for %s", text);
}

static void test_json_errors(void)
{
    is_int(json("{not json"), -1, "malformed");
    ok(strncmp(body.error, "malformed JSON at line 1 column 4: ", 35) == 0, "malformed JSON names the place: %s", body.error);
    is_int(json("{\"all\": true, \"all\": false}"), -1, "duplicate member");
    ok(strstr(body.error, "malformed JSON") == body.error && strstr(body.error, "duplicate") != NULL, "duplicates: %s", body.error);
    json_refused("[1]", "expected a JSON object: {\"purposes\": {\"<id>\": true|false, ...}} or {\"all\": true|false}");
    json_refused("[{\"all\": true}]",
                 "expected a JSON object: {\"purposes\": {\"<id>\": true|false, ...}} or {\"all\": true|false}");
    json_refused("{\"everything\": true}", "unknown member \"everything\" (expected purposes, all, source)");
    json_refused("{}", "give exactly one of \"purposes\" and \"all\"");
    json_refused("{\"all\": true, \"purposes\": {}}", "give exactly one of \"purposes\" and \"all\"");
    json_refused("{\"source\": \"banner\"}", "give exactly one of \"purposes\" and \"all\"");
    json_refused("{\"all\": 1}", "\"all\" must be true or false");
    json_refused("{\"all\": null}", "\"all\" must be true or false");
    json_refused("{\"all\": true, \"source\": \"gpc\"}", "\"source\" must be \"api\" or \"banner\"");
    json_refused("{\"all\": true, \"source\": 1}", "\"source\" must be \"api\" or \"banner\"");
    json_refused("{\"purposes\": [\"analytics\"]}", "\"purposes\" must be an object of purpose ids to true or false");
    json_refused("{\"purposes\": {\"nope\": true}}", "unknown purpose \"nope\"");
    json_refused("{\"purposes\": {\"Analytics\": true}}", "unknown purpose \"Analytics\"");
    json_refused("{\"purposes\": {\"analytics\": \"yes\"}}", "purposes.analytics must be true or false");
    json_refused("{\"purposes\": {\"analytics\": 1}}", "purposes.analytics must be true or false");
    json_refused("{\"purposes\": {\"necessary\": false}}", "purpose \"necessary\" is strictly necessary and cannot be refused");

    /* names quoted from the body: at most 64 bytes, never half a character */
    char text[512], expect[256];
    snprintf(text, sizeof(text), "{\"%0100d\": 1}", 0);
    snprintf(expect, sizeof(expect), "unknown member \"%064d\" (expected purposes, all, source)", 0);
    json_refused(text, expect);
    strcpy(text, "{\"purposes\": {\"a");
    for (int i = 0; i != 40; ++i)
        strcat(text, "\xc3\xa9"); /* é: 1 + 31 * 2 = 63 bytes fit, the 32nd would pass 64 */
    strcat(text, "\": true}}");
    strcpy(expect, "unknown purpose \"a");
    for (int i = 0; i != 31; ++i)
        strcat(expect, "\xc3\xa9");
    strcat(expect, "\"");
    json_refused(text, expect);
}

static void test_form_shapes(void)
{
    is_int(form("analytics=on&return=%2Fcart.html%3Fx%3D1"), 0, "a ticked box and a return path");
    is_int(body.granted, NECESSARY | ANALYTICS, "analytics granted");
    is_int(body.named, ANALYTICS, "by name");
    is_int(body.source, OMOTE_CONSENT_SOURCE_FORM, "source form");
    is_str(body.return_to, "/cart.html?x=1", "return path decoded");

    is_int(form("analytics=on&all=0"), 0, "reject-all button with a ticked box");
    is_int(body.granted, NECESSARY, "the button wins over the boxes");
    is_int(body.is_all, 0, "no accept-all");
    is_str(body.return_to, "/", "return defaults to /");

    is_int(form("all=1&marketing=on"), 0, "accept-all button with a ticked gpc purpose");
    is_int(body.granted, NECESSARY | ANALYTICS | MARKETING | ADS, "everything");
    is_int(body.named, MARKETING, "marketing named, for GPC");
    is_int(body.is_all, 1, "an accept-all");

    is_int(form(""), 0, "empty form");
    is_int(body.granted, NECESSARY, "refuses everything optional");
    is_int(omote_consent_body_parse(&body, OMOTE_CONSENT_BODY_FORM, NULL, 0, purposes, NUM_PURPOSES), 0, "no body at all");
    is_int(form("&&ana%6Cytics=1&&ads=true&marketing=off&necessary=on&"), 0, "empty fields, escapes, every boolean spelling");
    is_int(body.granted, NECESSARY | ANALYTICS | ADS, "analytics and ads");
    is_int(form("all=true&all=false"), 0, "the last all= wins");
    is_int(body.granted, NECESSARY, "reject all");
    is_int(form("return=/search?u=https://example.com/#x//y"), 0, "\"//\" in the query or fragment");
    is_str(body.return_to, "/search?u=https://example.com/#x//y", "kept");

    char text[4200];
    strcpy(text, "return=/");
    memset(text + 8, 'a', 2047);
    text[8 + 2047] = '\0';
    is_int(form(text), 0, "a 2048-byte return path");
    is_int(strlen(body.return_to), 2048, "kept whole");
}

static void form_refused(const char *text, const char *message)
{
    is_int(form(text), -1, "refused: %s", text);
    is_str(body.error, message, "message for %s", text);
}

static void test_form_errors(void)
{
    static const char *bad_returns[] = {"return=//evil.example/",
                                        "return=/%5Cevil.example",
                                        "return=/\\evil",
                                        "return=http://x/",
                                        "return=",
                                        "return=/a%0Ab",
                                        "return=/a+b",
                                        "return=/a%7F",
                                        "return=/a//b?c",
                                        "return=cart"};
    for (size_t i = 0; i != sizeof(bad_returns) / sizeof(bad_returns[0]); ++i)
        form_refused(bad_returns[i], "\"return\" must be a path on this site (starting with a single /)");
    char text[4200];
    strcpy(text, "return=/");
    memset(text + 8, 'a', 2048);
    text[8 + 2048] = '\0';
    form_refused(text, "\"return\" must be a path on this site (starting with a single /)");

    form_refused("analytics=maybe", "field analytics must be on, 1 or true (granted), or off, 0 or false");
    form_refused("analytics", "field analytics must be on, 1 or true (granted), or off, 0 or false");
    form_refused("analytics=ON", "field analytics must be on, 1 or true (granted), or off, 0 or false");
    form_refused("necessary=off", "purpose \"necessary\" is strictly necessary and cannot be refused");
    form_refused("all=yes", "\"all\" must be 1 or 0 (true, false, on, off)");
    form_refused("tracking=on", "unknown purpose \"tracking\"");
    form_refused("analytics+=on", "unknown purpose \"analytics \"");
    form_refused("ad=on", "unknown purpose \"ad\"");
    form_refused("%FF%C3=on", "unknown purpose \"??\"");
    static const char *bad_escapes[] = {"analytics=%zz", "analytics=%4", "analytics=%", "%00=on", "all=1%00", "a%g1=1"};
    for (size_t i = 0; i != sizeof(bad_escapes) / sizeof(bad_escapes[0]); ++i)
        form_refused(bad_escapes[i], "malformed form field (bad percent-encoding)");
    is_int(omote_consent_body_parse(&body, OMOTE_CONSENT_BODY_FORM, "analytics=on\0x", 14, purposes, NUM_PURPOSES), -1,
           "a raw NUL");
    is_str(body.error, "malformed form field (bad percent-encoding)", "is malformed too");
    form_refused("analytics=on&tracking=on&all=1", "unknown purpose \"tracking\"");
}

/* the actions a page without JavaScript can only post */
static void test_form_actions(void)
{
    is_int(form("withdraw=1&return=%2F_omote%2Fprivacy%3Fdone%3Dwithdrawn"), 0, "withdraw form");
    ok(body.is_withdrawal && !body.is_erasure && body.granted == 0b001, "withdraw: only the strictly necessary remain");
    is_str(body.return_to, "/_omote/privacy?done=withdrawn", "withdraw: return path");
    is_int(form("erase=on"), 0, "erase form");
    ok(body.is_erasure && !body.is_withdrawal, "erase: flagged");
    is_int(json("{\"all\": false}"), 0, "JSON never withdraws by a field");
    ok(!body.is_withdrawal && !body.is_erasure, "JSON: no action flags");
    form_refused("withdraw=0", "\"withdraw\" must be 1 (or true, on) when given");
    form_refused("erase=yes", "\"erase\" must be 1 (or true, on) when given");
    form_refused("withdraw=1&all=1", "a withdrawal or an erasure is a form of its own: no purposes, no all=, not both");
    form_refused("erase=1&analytics=on", "a withdrawal or an erasure is a form of its own: no purposes, no all=, not both");
    form_refused("erase=1&withdraw=1", "a withdrawal or an erasure is a form of its own: no purposes, no all=, not both");
}

static void test_form_field(void)
{
    char out[16];
    const char *q = "lang=ja&return=%2Fa%3Fb%3D1&x=a+b&bad=%zz&lang=en&empty=";
    is_int(omote_consent_body_form_field(q, strlen(q), "lang", out, sizeof(out)), 0, "field: found");
    is_str(out, "ja", "field: the first of two");
    is_int(omote_consent_body_form_field(q, strlen(q), "return", out, sizeof(out)), 0, "field: percent-decoded");
    is_str(out, "/a?b=1", "field: decoded value");
    omote_consent_body_form_field(q, strlen(q), "x", out, sizeof(out));
    is_str(out, "a b", "field: + is a space");
    is_int(omote_consent_body_form_field(q, strlen(q), "bad", out, sizeof(out)), -1, "field: a bad escape refuses");
    is_int(omote_consent_body_form_field(q, strlen(q), "empty", out, sizeof(out)), 0, "field: empty value");
    is_str(out, "", "field: empty value is empty");
    is_int(omote_consent_body_form_field(q, strlen(q), "lan", out, sizeof(out)), -1, "field: names compare whole");
    is_int(omote_consent_body_form_field(q, strlen(q), "return", out, 4), -1, "field: too long for out");
    is_int(omote_consent_body_form_field("a=%00", 5, "a", out, sizeof(out)), -1, "field: no NUL");
    is_int(omote_consent_body_form_field(NULL, 0, "a", out, sizeof(out)), -1, "field: nothing");
}

int main(void)
{
    test_json_shapes();
    test_json_errors();
    test_form_shapes();
    test_form_errors();
    test_form_actions();
    test_form_field();
    return done_testing();
}
