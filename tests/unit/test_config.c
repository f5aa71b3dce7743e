/*
 * Unit tests for the configuration loader and its position finder: a full and a minimal document,
 * one case per error class (with the exact message and place), path resolution, the shipped
 * example files and the reload comparison. Run from the repository root (ctest does).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/internal.h"
#include "omote/config.h"
#include "omote/consent_keys.h"
#include "tap.h"

#define MIN_LISTEN "\"listen\": [{\"port\": 8080}]"
#define MIN_ORIGIN "\"origin\": {\"url\": \"http://127.0.0.1:8081/\"}"
/* a valid document without its closing brace, for tests that add one member */
#define HEAD "{" MIN_LISTEN ", " MIN_ORIGIN
#define MAX_CREATED 32

static char tmpdir[64];
static char cwd[4096];
static char created[MAX_CREATED][512]; /* removed in reverse order at exit */
static size_t num_created;

static const char *tmp_path(const char *rel)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, rel);
    return p;
}

static void remember(const char *path)
{
    if (num_created < MAX_CREATED)
        snprintf(created[num_created++], sizeof(created[0]), "%s", path);
}

static void make_dir(const char *rel)
{
    const char *path = tmp_path(rel);
    if (mkdir(path, 0700) != 0)
        printf("# mkdir %s: %s\n", path, strerror(errno));
    remember(path);
}

static void make_file(const char *rel, const char *content)
{
    const char *path = tmp_path(rel);
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        printf("# fopen %s: %s\n", path, strerror(errno));
        return;
    }
    fputs(content, fp);
    fclose(fp);
    remember(path);
}

static void cleanup(void)
{
    while (num_created != 0) {
        const char *path = created[--num_created];
        if (unlink(path) != 0)
            rmdir(path);
    }
    rmdir(tmpdir);
}

static omote_config_t *load(const char *json, omote_config_error_t *err)
{
    omote_config_t *conf = NULL;
    if (omote_config_load_string(json, strlen(json), "t.json", &conf, err) != 0)
        return NULL;
    return conf;
}

/* Loads `json`, which must be refused with exactly `expected`. */
static void check_error(const char *json, const char *expected, const char *what)
{
    omote_config_error_t err;
    omote_config_t *conf = load(json, &err);
    ok(conf == NULL, "%s: refused", what);
    is_str(err.text, expected, "%s: message", what);
    omote_config_free(conf);
}

/*
 * Like check_error, but a backquote in `marked` shows where the error must point, so the place
 * is checked without counting columns by hand; `msg` is the text after "t.json:LINE:COLUMN: ".
 */
static void check_error_at(const char *marked, const char *msg, const char *what)
{
    char json[4096], expected[1024];
    int line = 1, column = 1, is_found = 0;
    size_t n = 0;
    for (const char *p = marked; *p != '\0' && n < sizeof(json) - 1; ++p) {
        if (*p == '`' && !is_found) {
            is_found = 1;
            continue;
        }
        if (!is_found && *p == '\n') {
            ++line;
            column = 1;
        } else if (!is_found) {
            ++column;
        }
        json[n++] = *p;
    }
    json[n] = '\0';
    snprintf(expected, sizeof(expected), "t.json:%d:%d: %s", line, column, msg);
    check_error(json, expected, what);
}

static void check_loads(const char *json, const char *what)
{
    omote_config_error_t err;
    omote_config_t *conf = load(json, &err);
    ok(conf != NULL, "%s: accepted", what);
    if (conf == NULL)
        printf("#   %s\n", err.text);
    omote_config_free(conf);
}

static const char *cwd_path(const char *rel)
{
    static char buf[4][4200];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", cwd, rel);
    return p;
}

static void test_full(void)
{
    make_dir("tls");
    make_file("tls/cert.pem", "cert\n");
    make_file("tls/key.pem", "key\n");
    make_file("full.json",
              "{\n"
              "  \"listen\": [\n"
              "    {\"address\": \"::\", \"port\": 443, \"tls\": {\"certificate\": \"tls/cert.pem\", \"key\": \"tls/key.pem\"}},\n"
              "    {\"address\": \"127.0.0.1\", \"port\": 80}\n"
              "  ],\n"
              "  \"origin\": {\"url\": \"https://[::1]:8443/base/\", \"preserve_host\": false,\n"
              "             \"io_timeout_ms\": 1, \"keepalive_timeout_ms\": 0},\n"
              "  \"timeouts\": {\"request_ms\": 1, \"http2_idle_ms\": 2, \"handshake_ms\": 3, \"drain_ms\": 0},\n"
              "  \"threads\": 7,\n"
              "  \"admin\": {\"enabled\": false, \"address\": \"::1\", \"port\": 443},\n"
              "  \"redis\": {\"address\": \"[::1]:6380\", \"connect_timeout_ms\": 60000, \"command_timeout_ms\": 1,\n"
              "            \"reconnect_min_ms\": 5, \"reconnect_max_ms\": 5},\n"
              "  \"limits\": {\"header_count\": 1000, \"header_bytes\": 256, \"header_field_bytes\": 64,\n"
              "             \"request_body_bytes\": 0, \"api_body_bytes\": 1048576},\n"
              "  \"log\": {\"access\": \"-\", \"error\": \"/var/log/omote/error.log\", \"level\": \"debug\"}\n"
              "}\n");
    omote_config_error_t err;
    omote_config_t *conf = NULL;
    int ret = omote_config_load_file(tmp_path("full.json"), &conf, &err);
    is_int(ret, 0, "full: loads");
    if (ret != 0) {
        printf("#   %s\n", err.text);
        return;
    }
    is_str(err.text, "", "full: no error text");
    is_str(conf->source_name, tmp_path("full.json"), "full: source_name");
    is_int(conf->num_listen, 2, "full: two listeners");
    is_str(conf->listen[0].address, "::", "full: listen[0].address");
    is_int(conf->listen[0].port, 443, "full: listen[0].port");
    is_str(conf->listen[0].tls_certificate_file, tmp_path("tls/cert.pem"),
           "full: certificate resolved against the file's directory");
    is_str(conf->listen[0].tls_key_file, tmp_path("tls/key.pem"), "full: key resolved against the file's directory");
    is_str(conf->listen[1].address, "127.0.0.1", "full: listen[1].address");
    is_int(conf->listen[1].port, 80, "full: listen[1].port");
    ok(conf->listen[1].tls_certificate_file == NULL && conf->listen[1].tls_key_file == NULL, "full: listen[1] is plain HTTP");
    is_str(conf->origin.url, "https://[::1]:8443/base/", "full: origin.url");
    is_str(conf->origin.scheme, "https", "full: origin.scheme");
    is_str(conf->origin.host, "::1", "full: origin.host without brackets");
    is_int(conf->origin.port, 8443, "full: origin.port");
    is_str(conf->origin.path, "/base/", "full: origin.path");
    is_int(conf->origin.preserve_host, 0, "full: origin.preserve_host");
    is_int(conf->origin.io_timeout_ms, 1, "full: origin.io_timeout_ms");
    is_int(conf->origin.keepalive_timeout_ms, 0, "full: origin.keepalive_timeout_ms");
    is_int(conf->timeouts.request_ms, 1, "full: timeouts.request_ms");
    is_int(conf->timeouts.http2_idle_ms, 2, "full: timeouts.http2_idle_ms");
    is_int(conf->timeouts.handshake_ms, 3, "full: timeouts.handshake_ms");
    is_int(conf->timeouts.drain_ms, 0, "full: timeouts.drain_ms");
    is_int(conf->threads, 7, "full: threads");
    is_int(conf->admin.enabled, 0, "full: admin.enabled (disabled, so its port may equal a listener's)");
    is_str(conf->admin.address, "::1", "full: admin.address");
    is_int(conf->admin.port, 443, "full: admin.port");
    is_str(conf->redis.host, "::1", "full: redis.host");
    is_int(conf->redis.port, 6380, "full: redis.port");
    ok(conf->redis.unix_path == NULL, "full: redis.unix_path unset");
    is_int(conf->redis.connect_timeout_ms, 60000, "full: redis.connect_timeout_ms");
    is_int(conf->redis.command_timeout_ms, 1, "full: redis.command_timeout_ms");
    is_int(conf->redis.reconnect_min_ms, 5, "full: redis.reconnect_min_ms");
    is_int(conf->redis.reconnect_max_ms, 5, "full: redis.reconnect_max_ms");
    is_int(conf->limits.header_count, 1000, "full: limits.header_count");
    is_int(conf->limits.header_bytes, 256, "full: limits.header_bytes");
    is_int(conf->limits.header_field_bytes, 64, "full: limits.header_field_bytes");
    is_int(conf->limits.request_body_bytes, 0, "full: limits.request_body_bytes");
    is_int(conf->limits.api_body_bytes, 1048576, "full: limits.api_body_bytes");
    is_str(conf->log.access_path, "-", "full: log.access");
    is_str(conf->log.error_path, "/var/log/omote/error.log", "full: log.error absolute stays as written");
    is_int(conf->log.level, OMOTE_LOG_DEBUG, "full: log.level");
    omote_config_free(conf);
}

static void test_minimal(void)
{
    omote_config_error_t err;
    omote_config_t *conf = load(HEAD "}", &err);
    ok(conf != NULL, "minimal: loads");
    if (conf == NULL) {
        printf("#   %s\n", err.text);
        return;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    is_str(conf->source_name, "t.json", "minimal: source_name is the given name");
    is_int(conf->num_listen, 1, "minimal: one listener");
    is_str(conf->listen[0].address, "0.0.0.0", "minimal: listen address defaults to 0.0.0.0");
    is_int(conf->listen[0].port, 8080, "minimal: listen port");
    ok(conf->listen[0].tls_certificate_file == NULL && conf->listen[0].tls_key_file == NULL, "minimal: no TLS");
    is_str(conf->origin.scheme, "http", "minimal: origin.scheme");
    is_str(conf->origin.host, "127.0.0.1", "minimal: origin.host");
    is_int(conf->origin.port, 8081, "minimal: origin.port");
    is_str(conf->origin.path, "/", "minimal: origin.path");
    is_int(conf->origin.preserve_host, 1, "minimal: origin.preserve_host defaults to true");
    is_int(conf->origin.io_timeout_ms, 30000, "minimal: origin.io_timeout_ms default");
    is_int(conf->origin.keepalive_timeout_ms, 2000, "minimal: origin.keepalive_timeout_ms default");
    is_int(conf->timeouts.request_ms, 10000, "minimal: timeouts.request_ms default");
    is_int(conf->timeouts.http2_idle_ms, 10000, "minimal: timeouts.http2_idle_ms default");
    is_int(conf->timeouts.handshake_ms, 10000, "minimal: timeouts.handshake_ms default");
    is_int(conf->timeouts.drain_ms, 10000, "minimal: timeouts.drain_ms default");
    is_int(conf->threads, cpus > 256 ? 256 : cpus, "minimal: threads default to the online CPUs");
    is_int(conf->admin.enabled, 1, "minimal: admin enabled by default");
    is_str(conf->admin.address, "127.0.0.1", "minimal: admin.address default");
    is_int(conf->admin.port, 9901, "minimal: admin.port default");
    is_str(conf->redis.host, "127.0.0.1", "minimal: redis.host default");
    is_int(conf->redis.port, 6379, "minimal: redis.port default");
    ok(conf->redis.unix_path == NULL, "minimal: redis.unix_path unset");
    is_int(conf->redis.connect_timeout_ms, 1000, "minimal: redis.connect_timeout_ms default");
    is_int(conf->redis.command_timeout_ms, 250, "minimal: redis.command_timeout_ms default");
    is_int(conf->redis.reconnect_min_ms, 100, "minimal: redis.reconnect_min_ms default");
    is_int(conf->redis.reconnect_max_ms, 1000, "minimal: redis.reconnect_max_ms default");
    is_int(conf->limits.header_count, 100, "minimal: limits.header_count default");
    is_int(conf->limits.header_bytes, 65536, "minimal: limits.header_bytes default");
    is_int(conf->limits.header_field_bytes, 8192, "minimal: limits.header_field_bytes default");
    is_int(conf->limits.request_body_bytes, 10485760, "minimal: limits.request_body_bytes default");
    is_int(conf->limits.api_body_bytes, 16384, "minimal: limits.api_body_bytes default");
    ok(conf->log.access_path == NULL, "minimal: access log off by default");
    is_str(conf->log.error_path, "-", "minimal: error log on stderr by default");
    is_int(conf->log.level, OMOTE_LOG_INFO, "minimal: log.level default");
    omote_config_free(conf);
}

static void test_syntax(void)
{
    check_error("{\n  \"listen\": [\n    {\"port\": 8080,}\n  ]\n}\n", "t.json:3:19: JSON syntax: string or '}' expected near '}'",
                "syntax: trailing comma");
    check_error("{\"listen\": tru}", "t.json:1:12: JSON syntax: invalid token near 'tru'",
                "syntax: bad literal points at its start");
    check_error("{\"listen\": []\n", "t.json:2:1: JSON syntax: '}' expected near end of file", "syntax: unterminated object");
    check_error("{\n  \"threads\": 1,\n  \"threads\": 2\n}", "t.json:3:3: JSON syntax: duplicate object key near '\"threads\"'",
                "syntax: duplicate key");
    check_error("{\"listen\": []} x", "t.json:1:16: JSON syntax: end of file expected near 'x'", "syntax: trailing garbage");
    check_error("", "t.json:1:1: JSON syntax: the document is empty", "syntax: empty document");
    check_error(" \n\t\n", "t.json:1:1: JSON syntax: the document is empty", "syntax: blank document");
    check_error("\"x\"", "t.json:1:1: JSON syntax: '[' or '{' expected near '\"x\"'", "syntax: top-level string");
    check_error_at("`[1, 2]", "expected an object at the top level, got an array", "top-level array");
    check_error_at(HEAD ", \"threads\": `99999999999999999999}", "JSON syntax: too big integer near '99999999999999999999'",
                   "syntax: integer overflow");
}

static void test_unknown_keys(void)
{
    check_error("{\n"
                "  \"listen\": [{\"port\": 8080}],\n"
                "  \"origin\": {\n"
                "    \"url\": \"http://127.0.0.1:8081/\",\n"
                "    \"presrve_host\": false\n"
                "  }\n"
                "}\n",
                "t.json:5:5: origin.presrve_host: unknown key (did you mean \"preserve_host\"?)",
                "unknown nested key with suggestion");
    check_error_at("{`\"listn\": []}", "listn: unknown key (did you mean \"listen\"?)", "unknown top-level key with suggestion");
    check_error_at(HEAD ", `\"tiemouts\": {}}", "tiemouts: unknown key (did you mean \"timeouts\"?)",
                   "transposition counts as one edit");
    check_error_at(HEAD ", `\"frobnicate\": 1}", "frobnicate: unknown key", "unknown key without suggestion");
    check_error_at("{\"listen\": [{\"port\": 8080, `\"adress\": \"::\"}], " MIN_ORIGIN "}",
                   "listen[0].adress: unknown key (did you mean \"address\"?)", "unknown key inside an array element");
    check_error_at(HEAD ", \"log\": {\"level\": \"info\", `\"a.b\\\"c\": 1}}", "log[\"a.b\\\"c\"]: unknown key",
                   "unknown key with dots and quotes is quoted in the path and still located");
}

/* A long unknown name is cut in the message, which then points at the enclosing object. */
static void test_long_unknown_key(void)
{
    char key[101], json[512], msg[256];
    memset(key, 'k', 100);
    key[100] = '\0';
    snprintf(json, sizeof(json), "{\"listen\": [`{\"port\": 8080, \"%s\": 1}], " MIN_ORIGIN "}", key);
    snprintf(msg, sizeof(msg), "listen[0].%.64s...: unknown key", key);
    check_error_at(json, msg, "long unknown key is cut");
}

static void test_types(void)
{
    check_error_at(HEAD ", \"timeouts\": {\"drain_ms\": `\"10\"}}", "timeouts.drain_ms: expected an integer, got a string",
                   "integer: got a string");
    check_error_at(HEAD ", \"timeouts\": {\"drain_ms\": `1.0}}", "timeouts.drain_ms: expected an integer, got a real number",
                   "integer: got a real");
    check_error_at(HEAD ", \"limits\": {\"header_count\": `true}}", "limits.header_count: expected an integer, got a boolean",
                   "integer: got a boolean");
    check_error_at(HEAD ", \"admin\": {\"port\": `null}}", "admin.port: expected an integer, got null", "integer: got null");
    check_error_at(HEAD ", \"log\": {\"level\": `3}}", "log.level: expected a string, got an integer", "string: got an integer");
    check_error_at(HEAD ", \"log\": {\"error\": `null}}", "log.error: expected a string, got null", "log.error may not be null");
    check_error_at(HEAD ", \"admin\": {\"enabled\": `\"yes\"}}", "admin.enabled: expected true or false, got a string",
                   "boolean: got a string");
    check_error_at(HEAD ", \"redis\": `[]}", "redis: expected an object, got an array", "object: got an array");
    check_error_at("{\"listen\": `{\"port\": 8080}, " MIN_ORIGIN "}",
                   "listen: expected an array of listener objects, got an object", "listen: got an object");
    check_error_at("{\"listen\": [`8080], " MIN_ORIGIN "}", "listen[0]: expected an object, got an integer",
                   "listen element: not an object");
    check_error_at("{\"listen\": `[], " MIN_ORIGIN "}", "listen: at least one listener is required", "listen: empty array");
    check_error_at(HEAD ", \"log\": {\"access\": `\"\"}}", "log.access: must not be empty", "string: empty");
}

static void test_ranges(void)
{
    check_error("{\n"
                "  \"listen\": [\n"
                "    {\"port\": 8080},\n"
                "    {\"port\": 70000}\n"
                "  ],\n" MIN_ORIGIN "\n}\n",
                "t.json:4:14: listen[1].port: 70000 is out of range 1..65535", "range: listen port too big");
    check_error_at("{\"listen\": [{\"port\": `0}], " MIN_ORIGIN "}", "listen[0].port: 0 is out of range 1..65535", "range: port 0");
    check_error_at(HEAD ", \"timeouts\": {\"request_ms\": `0}}", "timeouts.request_ms: 0 is out of range 1..3600000",
                   "range: timeout 0");
    check_error_at(HEAD ", \"timeouts\": {\"drain_ms\": `-1}}", "timeouts.drain_ms: -1 is out of range 0..3600000",
                   "range: negative");
    check_error_at(HEAD ", \"redis\": {\"command_timeout_ms\": `60001}}",
                   "redis.command_timeout_ms: 60001 is out of range 1..60000", "range: redis timeout");
    check_error_at(HEAD ", \"limits\": {\"header_bytes\": `255}}", "limits.header_bytes: 255 is out of range 256..1048576",
                   "range: header_bytes");
    check_error_at(HEAD ", \"limits\": {\"header_bytes\": 4096, \"header_field_bytes\": `4097}}",
                   "limits.header_field_bytes: 4097 is greater than limits.header_bytes (4096)",
                   "range: header_field_bytes > header_bytes");
    check_error_at(HEAD ", \"limits\": {\"request_body_bytes\": `1073741825}}",
                   "limits.request_body_bytes: 1073741825 is out of range 0..1073741824", "range: request body");
    check_error_at(HEAD ", \"limits\": {\"api_body_bytes\": `63}}", "limits.api_body_bytes: 63 is out of range 64..1048576",
                   "range: api body");
}

static void test_derived_defaults(void)
{
    omote_config_error_t err;
    omote_config_t *conf = load(HEAD ", \"limits\": {\"header_bytes\": 4096}}", &err);
    ok(conf != NULL && conf->limits.header_field_bytes == 4096, "header_field_bytes default follows a smaller header_bytes");
    omote_config_free(conf);
}

static void test_missing(void)
{
    check_error("{\"listen\": [{\"port\": 8080}], \"origin\": {}}", "t.json:1:40: origin.url: required key is missing",
                "missing: origin.url points at the origin object");
    check_error("{\"listen\": [{\"port\": 8080}]}", "t.json:1:1: origin: required key is missing", "missing: origin");
    check_error_at("`{" MIN_ORIGIN "}", "listen: required key is missing", "missing: listen");
    check_error_at("{\"listen\": [{\"port\": 8080}, `{\"address\": \"::1\"}], " MIN_ORIGIN "}",
                   "listen[1].port: required key is missing", "missing: listen port");
    check_error_at("{\"listen\": [{\"port\": 443, \"tls\": `{\"certificate\": \"/dev/null\"}}], " MIN_ORIGIN "}",
                   "listen[0].tls.key: required key is missing", "missing: tls key");
}

static void check_url(const char *url, const char *msg, const char *what)
{
    char json[1024], expected[1024];
    snprintf(json, sizeof(json), "{" MIN_LISTEN ", \"origin\": {\"url\": `\"%s\"}}", url);
    snprintf(expected, sizeof(expected), "origin.url: \"%s\": %s", url, msg);
    check_error_at(json, expected, what);
}

static void test_urls(void)
{
    check_url("ftp://127.0.0.1/", "the scheme must be http or https", "url: ftp scheme");
    check_url("127.0.0.1:8081", "expected http://host[:port][/path] or https://host[:port][/path]", "url: no scheme");
    check_url("http:///x", "the host is missing", "url: no host");
    check_url("http://h:0/", "the port must be a number 1..65535", "url: port 0");
    check_url("http://h:65536/", "the port must be a number 1..65535", "url: port 65536");
    check_url("http://h:/", "the port must be a number 1..65535", "url: empty port");
    check_url("http://h:80a/", "the port must be a number 1..65535", "url: port not a number");
    check_url("http://h/?a=1", "a query (?...) is not allowed", "url: query");
    check_url("http://h/#top", "a fragment (#...) is not allowed", "url: fragment");
    check_url("http://user:pw@h/", "user information (user@) is not allowed", "url: userinfo");
    check_url("http://::1:8081/", "an IPv6 address must be written in brackets, e.g. [::1]", "url: IPv6 without brackets");
    check_url("http://[::g]/", "not a valid IPv6 address between [ and ]", "url: bad IPv6");
    check_url("http://[::1/", "missing ']' after the IPv6 address", "url: unclosed bracket");
    check_url("http://h st/", "contains a space or a control character", "url: space");
    check_url("http://h%41/", "the host may hold only letters, digits, '-', '.' and '_'", "url: odd host character");

    omote_config_error_t err;
    omote_config_t *conf = load("{" MIN_LISTEN ", \"origin\": {\"url\": \"HTTPS://origin.example\"}}", &err);
    ok(conf != NULL, "url: https without port or path loads");
    if (conf != NULL) {
        is_str(conf->origin.scheme, "https", "url: scheme is lower-cased");
        is_str(conf->origin.host, "origin.example", "url: host");
        is_int(conf->origin.port, 443, "url: https default port");
        is_str(conf->origin.path, "/", "url: default path");
    }
    omote_config_free(conf);
    conf = load("{" MIN_LISTEN ", \"origin\": {\"url\": \"http://[::1]:8081/\"}}", &err);
    ok(conf != NULL && strcmp(conf->origin.host, "::1") == 0 && conf->origin.port == 8081, "url: bracketed IPv6 with port");
    omote_config_free(conf);
    conf = load("{" MIN_LISTEN ", \"origin\": {\"url\": \"http://backend\"}}", &err);
    ok(conf != NULL && conf->origin.port == 80, "url: http default port 80");
    omote_config_free(conf);
}

static void test_addresses(void)
{
    check_error_at("{\"listen\": [{\"address\": `\"localhost\", \"port\": 80}], " MIN_ORIGIN "}",
                   "listen[0].address: \"localhost\" is not a numeric IPv4 or IPv6 address", "address: host name refused");
    check_error_at(HEAD ", \"admin\": {\"address\": `\"1.2.3\"}}", "admin.address: \"1.2.3\" is not a numeric IPv4 or IPv6 address",
                   "address: short IPv4 refused");
    check_error_at(HEAD ", \"redis\": {\"address\": `\"127.0.0.1\"}}", "redis.address: \"127.0.0.1\": the port is missing",
                   "redis: no port");
    check_error_at(HEAD ", \"redis\": {\"address\": `\"::1:6379\"}}",
                   "redis.address: \"::1:6379\": an IPv6 address must be written in brackets, e.g. [::1]",
                   "redis: IPv6 without brackets");
    check_error_at(HEAD ", \"redis\": {\"address\": `\"unix:\"}}",
                   "redis.address: \"unix:\": a socket path is required after \"unix:\"", "redis: unix without path");
    check_error_at(HEAD ", \"redis\": {\"address\": `\"[::1]6379\"}}",
                   "redis.address: \"[::1]6379\": expected ':' and a port after ']'", "redis: junk after bracket");
    check_error_at(HEAD ", \"redis\": {\"address\": `\"h:99999\"}}",
                   "redis.address: \"h:99999\": the port must be a number 1..65535", "redis: port out of range");

    omote_config_error_t err;
    omote_config_t *conf = load(HEAD ", \"redis\": {\"address\": \"redis.internal:6380\"}}", &err);
    ok(conf != NULL && strcmp(conf->redis.host, "redis.internal") == 0 && conf->redis.port == 6380, "redis: host name and port");
    omote_config_free(conf);
    conf = load(HEAD ", \"redis\": {\"address\": \"unix:/run/redis.sock\"}}", &err);
    ok(conf != NULL && conf->redis.host == NULL && strcmp(conf->redis.unix_path, "/run/redis.sock") == 0,
       "redis: absolute unix path");
    omote_config_free(conf);
}

static void test_tls_files(void)
{
    char json[2048];
    snprintf(json, sizeof(json),
             "{\"listen\": [{\"port\": 443, \"tls\": {\"certificate\": \"%s\", \"key\": `\"%s\"}}], " MIN_ORIGIN "}",
             tmp_path("tls/cert.pem"), tmp_path("tls/missing.pem"));
    char expected[1024];
    snprintf(expected, sizeof(expected), "listen[0].tls.key: cannot read \"%s\": No such file or directory",
             tmp_path("tls/missing.pem"));
    check_error_at(json, expected, "tls: missing key file is named");

    snprintf(json, sizeof(json),
             "{\"listen\": [{\"port\": 443, \"tls\": {\"certificate\": `\"%s\", \"key\": \"%s\"}}], " MIN_ORIGIN "}",
             tmp_path("tls"), tmp_path("tls/key.pem"));
    snprintf(expected, sizeof(expected), "listen[0].tls.certificate: cannot read \"%s\": Is a directory", tmp_path("tls"));
    check_error_at(json, expected, "tls: a directory is not a readable file");

    if (geteuid() != 0) {
        make_file("tls/secret.pem", "x");
        chmod(tmp_path("tls/secret.pem"), 0);
        snprintf(json, sizeof(json),
                 "{\"listen\": [{\"port\": 443, \"tls\": {\"certificate\": `\"%s\", \"key\": \"%s\"}}], " MIN_ORIGIN "}",
                 tmp_path("tls/secret.pem"), tmp_path("tls/key.pem"));
        snprintf(expected, sizeof(expected), "listen[0].tls.certificate: cannot read \"%s\": Permission denied",
                 tmp_path("tls/secret.pem"));
        check_error_at(json, expected, "tls: mode 000 file is unreadable");
    } else {
        printf("# running as root: mode 000 files are readable, so only the directory case covers unreadable files\n");
    }
}

static void test_trackers(void)
{
    char json[2048];
    make_dir("lists");
    make_file("lists/own.txt", "||tracker.example^\n");
    snprintf(json, sizeof(json),
             HEAD ", \"trackers\": {\"lists\": [{\"name\": \"own\", \"path\": \"%s\"}], "
                  "\"first_party_domains\": [\"CDN.Shop.example\"], \"max_tag_bytes\": 4096}}",
             tmp_path("lists/own.txt"));
    omote_config_error_t err;
    omote_config_t *conf = load(json, &err);
    ok(conf != NULL, "trackers: loads (%s)", conf == NULL ? err.text : "");
    if (conf != NULL) {
        is_int(conf->trackers.num_lists, 1, "trackers: one list");
        is_str(conf->trackers.lists[0].name, "own", "trackers: list name");
        is_str(conf->trackers.lists[0].path, tmp_path("lists/own.txt"), "trackers: list path");
        is_int(conf->trackers.num_first_party_domains, 1, "trackers: one first-party domain");
        is_str(conf->trackers.first_party_domains[0], "cdn.shop.example", "trackers: domain lowercased");
        is_int(conf->trackers.max_tag_bytes, 4096, "trackers: max_tag_bytes");
        is_int(conf->trackers.max_inspect_bytes, 65536, "trackers: max_inspect_bytes default");
        is_int(conf->trackers.rewrite_html, 1, "trackers: rewrite_html default on");
        ok(conf->trackers.num_strip_query_params == 11 && strcmp(conf->trackers.strip_query_params[0], "utm_*") == 0,
           "trackers: default tracking parameters");
        omote_config_free(conf);
    }
    conf = load(HEAD "}", &err);
    ok(conf != NULL && conf->trackers.num_lists == 0 && conf->trackers.rewrite_html, "trackers: absent section means no lists");
    omote_config_free(conf);

    char expected[1024];
    snprintf(json, sizeof(json), HEAD ", \"trackers\": {\"lists\": [{\"name\": \"x\", \"path\": `\"%s\"}]}}",
             tmp_path("lists/missing.txt"));
    snprintf(expected, sizeof(expected), "trackers.lists[0].path: cannot read \"%s\": No such file or directory",
             tmp_path("lists/missing.txt"));
    check_error_at(json, expected, "trackers: a missing list file is named");
    check_error_at(HEAD ", \"trackers\": {\"lists\": [`{\"path\": \"/etc/hostname\"}]}}", "trackers.lists[0].name: required key is missing",
                   "trackers: list without a name");
    check_error_at(HEAD ", \"trackers\": {\"first_party_domains\": [`\"bad domain\"]}}",
                   "trackers.first_party_domains[0]: \"bad domain\" is not a domain name", "trackers: bad domain");
    conf = load(HEAD ", \"trackers\": {\"strip_query_params\": []}}", &err);
    ok(conf != NULL && conf->trackers.num_strip_query_params == 0, "trackers: [] turns parameter stripping off");
    omote_config_free(conf);
    check_error_at(HEAD ", \"trackers\": {\"strip_query_params\": [`7]}}",
                   "trackers.strip_query_params[0]: expected a string, got an integer", "trackers: pattern must be a string");
    check_error_at(HEAD ", \"trackers\": {\"max_tag_bytes\": `10}}", "trackers.max_tag_bytes: 10 is out of range 1024..1048576",
                   "trackers: bound too small");
}

#define PURPOSES                                                                                                                   \
    "\"purposes\": [{\"id\": \"necessary\", \"strictly_necessary\": true, \"cookies\": [\"session\", \"cart_*\"]},"              \
    " {\"id\": \"analytics\", \"needs_identifier\": true, \"name\": {\"en\": \"Analytics\", \"ja\": \"分析\"},"                  \
    " \"description\": {\"en\": \"Counting visits.\"}, \"cookies\": [\"_ga*\", \"_gid\"]},"                                        \
    " {\"id\": \"marketing\", \"gpc\": true, \"cookies\": [\"_fbp\"]}]"

static void test_purposes_and_vendors(void)
{
    omote_config_error_t err;
    omote_config_t *conf = load(HEAD ", " PURPOSES ", \"vendors\": [{\"name\": \"Google Analytics\", \"purpose\": \"analytics\","
                                     " \"hosts\": [\"Google-Analytics.com\", \"googletagmanager.com\"], \"paths\": [\"/ga/*\"]}]}",
                                &err);
    ok(conf != NULL, "purposes: load (%s)", conf == NULL ? err.text : "");
    if (conf != NULL) {
        is_int(conf->num_purposes, 3, "purposes: three");
        is_str(conf->purposes[0].id, "necessary", "purposes: id");
        is_int(conf->purposes[0].strictly_necessary, 1, "purposes: strictly_necessary");
        is_int(conf->purposes[1].needs_identifier, 1, "purposes: needs_identifier");
        is_int(conf->purposes[1].gpc, 0, "purposes: gpc defaults to false");
        is_int(conf->purposes[2].gpc, 1, "purposes: gpc");
        is_str(conf->purposes[1].name_ja, "分析", "purposes: Japanese name");
        ok(conf->purposes[1].description_ja == NULL, "purposes: absent text stays NULL");
        is_int(conf->purposes[1].num_cookies, 2, "purposes: cookie patterns");
        is_int(conf->num_vendors, 1, "vendors: one");
        is_int(conf->vendors[0].purpose, 1, "vendors: purpose resolved to its index");
        is_str(conf->vendors[0].hosts[0], "google-analytics.com", "vendors: host lowercased");
        is_str(conf->vendors[0].paths[0], "/ga/*", "vendors: path");
        omote_config_free(conf);
    }
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\"}, {\"id\": `\"a\"}]}",
                   "purposes[1].id: purpose \"a\" is declared twice (first as purposes[0])", "purposes: duplicate id");
    check_error_at(HEAD ", \"purposes\": [{\"id\": `\"Bad Id\"}]}", "purposes[0].id: \"Bad Id\" may hold only a-z, 0-9, '-' and '_'",
                   "purposes: id syntax");
    check_error_at(HEAD ", \"purposes\": [`{\"cookies\": []}]}", "purposes[0].id: required key is missing", "purposes: id required");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"cookies\": [`\"a b\"]}]}",
                   "purposes[0].cookies[0]: \"a b\" is not a cookie name (a trailing '*' may stand for any rest)",
                   "purposes: cookie pattern syntax");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"cookies\": [\"x\"]}, {\"id\": \"b\", \"cookies\": [`\"x\"]}]}",
                   "purposes[1].cookies[0]: cookie pattern \"x\" is already declared by purpose \"a\"",
                   "purposes: one cookie, one purpose");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"name\": {`\"fr\": \"x\"}}]}", "purposes[0].name.fr: unknown key (did you mean \"en\"?)",
                   "purposes: only en and ja texts");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"strictly_necessary\": `1}]}",
                   "purposes[0].strictly_necessary: expected true or false, got an integer", "purposes: boolean flag");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"gpc\": `\"yes\"}]}", "purposes[0].gpc: expected true or false, got a string",
                   "purposes: gpc is a boolean");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", `\"gcp\": true}]}", "purposes[0].gcp: unknown key (did you mean \"gpc\"?)",
                   "purposes: gpc misspelt");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\"}], \"vendors\": [{\"name\": \"V\", \"purpose\": `\"b\", \"hosts\": [\"v.example\"]}]}",
                   "vendors[0].purpose: \"b\" is not a purpose declared in \"purposes\"", "vendors: unknown purpose");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\"}], \"vendors\": [`{\"name\": \"V\", \"purpose\": \"a\"}]}",
                   "vendors[0]: a vendor needs \"hosts\" or \"paths\" to be recognised by", "vendors: needs hosts or paths");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\"}], \"vendors\": [{\"name\": \"V\", \"purpose\": \"a\", \"hosts\": [`\"localhost\"]}]}",
                   "vendors[0].hosts[0]: \"localhost\" is not a domain name with at least two labels", "vendors: host syntax");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\"}], \"vendors\": [{\"name\": \"V\", \"purpose\": \"a\", \"paths\": [`\"ga\"]}]}",
                   "vendors[0].paths[0]: \"ga\" must start with '/'", "vendors: path syntax");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\"}], \"vendors\": [{\"name\": \"V\", \"purpose\": \"a\", \"paths\": [\"/a\"]},"
                        " {\"name\": `\"V\", \"purpose\": \"a\", \"paths\": [\"/b\"]}]}",
                   "vendors[1].name: vendor \"V\" is declared twice (first as vendors[0])", "vendors: duplicate name");
    char many[4096] = HEAD ", \"purposes\": `[";
    for (int i = 0; i != OMOTE_MAX_PURPOSES + 1; ++i)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s{\"id\": \"p%d\"}", i == 0 ? "" : ", ", i);
    strcat(many, "]}");
    check_error_at(many, "purposes: 33 purposes declared; at most 32 are allowed", "purposes: bounded");
}

static void test_headers_compression_api(void)
{
    omote_config_error_t err;
    omote_config_t *conf = load(HEAD "}", &err);
    ok(conf != NULL, "headers: defaults load");
    if (conf != NULL) {
        ok(conf->headers.num_permissions_policy_deny == 2 && strcmp(conf->headers.permissions_policy_deny[0], "browsing-topics") == 0 &&
               strcmp(conf->headers.permissions_policy_deny[1], "interest-cohort") == 0,
           "headers: Permissions-Policy denies browsing-topics and interest-cohort by default");
        is_int(conf->headers.csp_mode, OMOTE_CSP_OFF, "headers: no CSP by default");
        is_int(conf->headers.csp_report, 1, "headers: CSP reports on by default");
        is_int(conf->compression.enabled, 1, "compression: on by default");
        is_int(conf->compression.gzip_level, 5, "compression: level 5");
        is_str(conf->api.prefix, "/_omote/", "api: default prefix");
        is_int(conf->trackers.unknown_cookies, OMOTE_UNKNOWN_COOKIES_REPORT, "trackers: unknown cookies reported by default");
        is_int(conf->trackers.debug_header, 0, "trackers: debug header off by default");
        omote_config_free(conf);
    }
    conf = load(HEAD ", \"headers\": {\"permissions_policy_deny\": [], \"csp\": {\"mode\": \"report-only\", \"directives\": "
                     "{\"default-src\": [\"'self'\"], \"img-src\": [\"'self'\", \"data:\"]}, \"vendor_directives\": [\"script-src\"], "
                     "\"report\": false}}, \"api\": {\"prefix\": \"/.well-known/omote/\"}, \"trackers\": {\"unknown_cookies\": \"block\"}}",
                &err);
    ok(conf != NULL, "headers: CSP loads (%s)", conf == NULL ? err.text : "");
    if (conf != NULL) {
        is_int(conf->headers.num_permissions_policy_deny, 0, "headers: [] turns Permissions-Policy off");
        is_int(conf->headers.csp_mode, OMOTE_CSP_REPORT_ONLY, "headers: report-only");
        is_int(conf->headers.num_csp_directives, 2, "headers: two directives");
        is_str(conf->headers.csp_directives[1].sources[1], "data:", "headers: sources kept in order");
        is_int(conf->headers.num_csp_vendor_directives, 1, "headers: vendor directives replaced");
        is_int(conf->headers.csp_report, 0, "headers: report off");
        is_str(conf->api.prefix, "/.well-known/omote/", "api: prefix");
        is_int(conf->trackers.unknown_cookies, OMOTE_UNKNOWN_COOKIES_BLOCK, "trackers: unknown cookies blocked");
        omote_config_free(conf);
    }
    check_error_at(HEAD ", \"headers\": {\"csp\": {\"mode\": `\"strict\"}}}",
                   "headers.csp.mode: \"strict\" is not one of \"off\", \"enforce\", \"report-only\"", "headers: CSP mode");
    check_error_at(HEAD ", \"headers\": {\"csp\": {\"mode\": `\"enforce\"}}}",
                   "headers.csp.mode: a policy needs \"directives\" (for example {\"default-src\": [\"'self'\"]})",
                   "headers: enforced CSP needs directives");
    check_error_at(HEAD ", \"headers\": {\"csp\": {\"directives\": {\"script-src\": [`\"'self'; x\"]}}}}",
                   "headers.csp.directives.script-src[0]: \"'self'; x\" is not a CSP source expression (no spaces, ';' or ',')",
                   "headers: a source cannot break the header");
    check_error_at(HEAD ", \"headers\": {\"permissions_policy_deny\": [`\"Camera\"]}}",
                   "headers.permissions_policy_deny[0]: \"Camera\" may hold only a-z, 0-9, '-' and '_'", "headers: feature names");
    check_error_at(HEAD ", \"compression\": {\"gzip_level\": `10}}", "compression.gzip_level: 10 is out of range 1..9",
                   "compression: level range");
    check_error_at(HEAD ", \"api\": {\"prefix\": `\"/omote\"}}",
                   "api.prefix: \"/omote\" must start and end with '/' and name at least one segment", "api: prefix shape");
    check_error_at(HEAD ", \"trackers\": {\"unknown_cookies\": `\"drop\"}}",
                   "trackers.unknown_cookies: \"drop\" is not one of \"report\", \"allow\", \"block\"", "trackers: unknown cookie policy");
    conf = load(HEAD ", \"trackers\": {\"signatures\": \"no-such-file.txt\"}}", &err);
    ok(conf == NULL && strstr(err.text, "trackers.signatures: cannot read \"") != NULL, "trackers: signatures file must be readable (%s)",
       err.text);
    omote_config_free(conf);
}

#define KEY_32 "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=" /* 32 bytes of 'A' */
#define KEYS_ENV "OMOTE_TEST_CONSENT_KEYS"
#define CONSENT_ENV "\"consent\": {\"policy_version\": \"v1\", \"keys_env\": \"" KEYS_ENV "\""

static void test_consent(void)
{
    omote_config_error_t err;
    setenv(KEYS_ENV, "old " KEY_32 "\nk1 " KEY_32 "\n", 1);

    omote_config_t *conf = load(HEAD "}", &err);
    ok(conf != NULL && conf->consent.enabled == 0 && conf->consent.keys == NULL && conf->consent.policy_version == NULL,
       "consent: off when the section is absent");
    omote_config_free(conf);

    conf = load(HEAD ", " CONSENT_ENV "}}", &err);
    ok(conf != NULL, "consent: defaults load (%s)", conf == NULL ? err.text : "");
    if (conf != NULL) {
        is_int(conf->consent.enabled, 1, "consent: enabled");
        is_str(conf->consent.policy_version, "v1", "consent: policy_version");
        is_int(conf->consent.lifetime_days, 395, "consent: lifetime_days default");
        is_int(conf->consent.lifetime_sec, 395 * 86400, "consent: lifetime_sec");
        is_str(conf->consent.cookie_name, "omote_consent", "consent: cookie_name default");
        is_str(conf->consent.identifier_cookie_name, "omote_id", "consent: identifier_cookie_name default");
        is_str(conf->consent.keys_env, KEYS_ENV, "consent: keys_env kept");
        ok(conf->consent.keys_file == NULL, "consent: no keys_file");
        ok(conf->consent.keys != NULL && omote_consent_keys_count(conf->consent.keys) == 2 &&
               strcmp(omote_consent_keys_newest(conf->consent.keys)->kid, "k1") == 0,
           "consent: keys read from the environment, newest last");
    }
    omote_config_free(conf);

    /* a keys file beside the configuration, named relatively */
    make_dir("consent");
    make_file("consent/keys.txt", "# rotated 2024-06\nk7 " KEY_32 "\n");
    make_file("consent/c.json", "{" MIN_LISTEN ", " MIN_ORIGIN ",\n"
                                " \"consent\": {\"policy_version\": \"2024-06.1\", \"lifetime_days\": 30, \"cookie_name\": \"c\",\n"
                                "             \"identifier_cookie_name\": \"i\", \"keys_file\": \"keys.txt\"}}\n");
    conf = NULL;
    ok(omote_config_load_file(tmp_path("consent/c.json"), &conf, &err) == 0, "consent: file loads (%s)", err.text);
    if (conf != NULL) {
        is_str(conf->consent.keys_file, tmp_path("consent/keys.txt"), "consent: keys_file resolved against the config directory");
        ok(conf->consent.keys_env == NULL, "consent: no keys_env");
        is_int(conf->consent.lifetime_days, 30, "consent: lifetime_days");
        is_int(conf->consent.lifetime_sec, 30 * 86400, "consent: lifetime_sec follows");
        is_str(conf->consent.policy_version, "2024-06.1", "consent: policy_version as written");
        ok(strcmp(conf->consent.cookie_name, "c") == 0 && strcmp(conf->consent.identifier_cookie_name, "i") == 0,
           "consent: cookie names");
        ok(conf->consent.keys != NULL && strcmp(omote_consent_keys_newest(conf->consent.keys)->kid, "k7") == 0,
           "consent: keys read from the file");
    }
    omote_config_free(conf);

    check_error_at(HEAD ", \"consent\": `[]}", "consent: expected an object, got an array", "consent: not an object");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": \"v1\", `\"lifetime_day\": 3}}",
                   "consent.lifetime_day: unknown key (did you mean \"lifetime_days\"?)", "consent: unknown key");
    check_error_at(HEAD ", \"consent\": `{\"keys_env\": \"" KEYS_ENV "\"}}", "consent.policy_version: required key is missing",
                   "consent: policy_version required");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": `2}}", "consent.policy_version: expected a string, got an integer",
                   "consent: policy_version type");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": `\"v 2\"}}",
                   "consent.policy_version: \"v 2\" may hold only visible ASCII characters (no spaces)",
                   "consent: policy_version without spaces");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": `\"v\xc3\xa9\"}}",
                   "consent.policy_version: \"v\xc3\xa9\" may hold only visible ASCII characters (no spaces)",
                   "consent: policy_version ASCII only");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": `\"0123456789abcdef0123456789abcdefX\"}}",
                   "consent.policy_version: \"0123456789abcdef0123456789abcdef...\" is longer than 32 bytes",
                   "consent: policy_version length");
    check_loads(HEAD ", \"consent\": {\"policy_version\": \"0123456789abcdef0123456789abcdef\", \"keys_env\": \"" KEYS_ENV "\"}}",
                "consent: 32-byte policy_version");
    check_error_at(HEAD ", " CONSENT_ENV ", \"lifetime_days\": `0}}", "consent.lifetime_days: 0 is out of range 1..395",
                   "consent: lifetime_days 0");
    check_error_at(HEAD ", " CONSENT_ENV ", \"lifetime_days\": `396}}", "consent.lifetime_days: 396 is out of range 1..395",
                   "consent: lifetime_days over 395");
    check_error_at(HEAD ", " CONSENT_ENV ", \"cookie_name\": `\"a;b\"}}", "consent.cookie_name: \"a;b\" is not a cookie name",
                   "consent: cookie_name syntax");
    check_error_at(HEAD ", " CONSENT_ENV ", \"identifier_cookie_name\": `\"__Host-id\"}}",
                   "consent.identifier_cookie_name: \"__Host-id\": leave the prefix out; omote sends \"__Host-\" + name on HTTPS "
                   "listeners",
                   "consent: no __Host- prefix");
    check_error_at(HEAD ", " CONSENT_ENV ", \"cookie_name\": `\"__secure-x\"}}",
                   "consent.cookie_name: \"__secure-x\": leave the prefix out; omote sends \"__Host-\" + name on HTTPS listeners",
                   "consent: no __Secure- prefix, any case");
    check_error_at(HEAD ", " CONSENT_ENV
                   ", \"cookie_name\": `\"0123456789012345678901234567890123456789012345678901234567890123x\"}}",
                   "consent.cookie_name: \"0123456789012345678901234567890123456789012345678901234567890123...\" is longer than "
                   "64 bytes",
                   "consent: cookie_name length");
    check_error_at(HEAD ", " CONSENT_ENV ", \"cookie_name\": \"x\", \"identifier_cookie_name\": `\"x\"}}",
                   "consent.identifier_cookie_name: the consent and identifier cookies need different names (both are \"x\")",
                   "consent: cookie names differ");
    check_error_at(HEAD ", " CONSENT_ENV ", \"cookie_name\": `\"omote_id\"}}",
                   "consent.cookie_name: the consent and identifier cookies need different names (both are \"omote_id\")",
                   "consent: cookie name clashes with the identifier default");
    check_error_at(HEAD ", \"consent\": `{\"policy_version\": \"v1\"}}",
                   "consent: one of \"keys_file\" or \"keys_env\" is required (the keys never go in this file)",
                   "consent: keys required");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": \"v1\", \"keys_file\": \"k\", `\"keys_env\": \"K\"}}",
                   "consent.keys_env: \"keys_file\" and \"keys_env\" exclude each other; name one", "consent: keys_file or keys_env");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": \"v1\", \"keys_env\": `\"1KEYS\"}}",
                   "consent.keys_env: \"1KEYS\" is not an environment variable name (A-Z a-z 0-9 _, not starting with a digit)",
                   "consent: keys_env name");
    unsetenv("OMOTE_TEST_UNSET");
    check_error_at(HEAD ", \"consent\": {\"policy_version\": \"v1\", \"keys_env\": `\"OMOTE_TEST_UNSET\"}}",
                   "consent.keys_env: environment variable OMOTE_TEST_UNSET is not set", "consent: keys_env unset");
    setenv("OMOTE_TEST_BAD_KEYS", "# ok\nk1 c2hvcnQ=\n", 1);
    check_error_at(HEAD ", \"consent\": {\"policy_version\": \"v1\", \"keys_env\": `\"OMOTE_TEST_BAD_KEYS\"}}",
                   "consent.keys_env: $OMOTE_TEST_BAD_KEYS:2: the secret of key \"k1\" is 5 bytes; 32 to 128 are required",
                   "consent: keys_env content checked, with its line");

    char json[1024], msg[1024];
    snprintf(json, sizeof(json), HEAD ", \"consent\": {\"policy_version\": \"v1\", \"keys_file\": `\"%s\"}}", tmp_path("nope.txt"));
    snprintf(msg, sizeof(msg), "consent.keys_file: cannot read \"%s\": No such file or directory", tmp_path("nope.txt"));
    check_error_at(json, msg, "consent: keys_file must be readable");
    make_file("consent/bad.txt", "k1 " KEY_32 "\nk1 " KEY_32 "\n");
    snprintf(json, sizeof(json), HEAD ", \"consent\": {\"policy_version\": \"v1\", \"keys_file\": `\"%s\"}}",
             tmp_path("consent/bad.txt"));
    snprintf(msg, sizeof(msg), "consent.keys_file: %s:2: key id \"k1\" is listed twice (first on line 1)",
             tmp_path("consent/bad.txt"));
    check_error_at(json, msg, "consent: keys_file content checked, with its line");
    ok(strstr(msg, KEY_32) == NULL, "consent: the secret stays out of the message");
    unsetenv(KEYS_ENV);
    unsetenv("OMOTE_TEST_BAD_KEYS");
}

static void test_banner_and_privacy(void)
{
    omote_config_error_t err;
    setenv(KEYS_ENV, "k1 " KEY_32 "\n", 1);

    omote_config_t *conf = load(HEAD "}", &err);
    ok(conf != NULL && conf->banner.enabled == 0, "banner: off without consent");
    omote_config_free(conf);

    conf = load(HEAD ", " CONSENT_ENV "}}", &err);
    ok(conf != NULL && conf->banner.enabled == 1 && conf->banner.privacy_link == OMOTE_PRIVACY_LINK_BOTTOM_LEFT &&
           conf->banner.title_en == NULL && conf->privacy.retailer == NULL,
       "banner: on by default with consent, link bottom-left, omote's wording");
    omote_config_free(conf);

    conf = load(HEAD ", " CONSENT_ENV "}, \"banner\": {\"privacy_link\": \"bottom-right\", \"title\": {\"en\": \"Cookies?\", "
                "\"ja\": \"クッキー\"}, \"text\": {\"en\": \"We ask first.\"}}, \"privacy\": {\"retailer\": \"Shop Ltd.\", "
                "\"contact\": \"privacy@shop.example\", \"promise\": {\"en\": \"We never sell data.\", \"ja\": \"販売しません\"}}}",
                &err);
    ok(conf != NULL, "banner: full section loads (%s)", conf == NULL ? err.text : "");
    if (conf != NULL) {
        is_int(conf->banner.privacy_link, OMOTE_PRIVACY_LINK_BOTTOM_RIGHT, "banner: privacy_link");
        is_str(conf->banner.title_ja, "クッキー", "banner: Japanese title");
        is_str(conf->banner.text_en, "We ask first.", "banner: text");
        ok(conf->banner.text_ja == NULL, "banner: absent text stays NULL");
        is_str(conf->privacy.retailer, "Shop Ltd.", "privacy: retailer");
        is_str(conf->privacy.contact, "privacy@shop.example", "privacy: contact");
        is_str(conf->privacy.promise_ja, "販売しません", "privacy: promise");
        omote_config_free(conf);
    }
    conf = load(HEAD ", " CONSENT_ENV "}, \"banner\": {\"enabled\": false}}", &err);
    ok(conf != NULL && conf->banner.enabled == 0, "banner: can be turned off");
    omote_config_free(conf);
    check_error_at(HEAD ", \"banner\": {\"enabled\": `true}}",
                   "banner.enabled: the banner records decisions, so it needs the \"consent\" section", "banner: needs consent");
    check_error_at(HEAD ", " CONSENT_ENV "}, \"banner\": {\"privacy_link\": `\"top\"}}",
                   "banner.privacy_link: \"top\" is not one of \"bottom-left\", \"bottom-right\", \"off\"", "banner: link position");
    check_error_at(HEAD ", \"privacy\": {`\"promises\": {}}}", "privacy.promises: unknown key (did you mean \"promise\"?)",
                   "privacy: unknown key");
    check_error_at(HEAD ", \"privacy\": {\"contact\": `7}}", "privacy.contact: expected a string, got an integer",
                   "privacy: contact is text");

    conf = load(HEAD ", \"purposes\": [{\"id\": \"a\", \"cookies\": [\"_ga*\", \"sid\", \"x\"], \"cookie_lifetime_days\": "
                "{\"_ga*\": 400, \"sid\": 0}}], \"vendors\": [{\"name\": \"V\", \"purpose\": \"a\", \"hosts\": [\"v.example\"], "
                "\"receives\": {\"en\": \"Page views.\"}}]}",
                &err);
    ok(conf != NULL, "lifetimes: load (%s)", conf == NULL ? err.text : "");
    if (conf != NULL) {
        is_int(conf->purposes[0].cookie_lifetime_days[0], 400, "lifetimes: days");
        is_int(conf->purposes[0].cookie_lifetime_days[1], 0, "lifetimes: 0 is until the browser closes");
        is_int(conf->purposes[0].cookie_lifetime_days[2], OMOTE_COOKIE_LIFETIME_UNSTATED, "lifetimes: unstated");
        is_str(conf->vendors[0].receives_en, "Page views.", "vendors: receives");
        ok(conf->vendors[0].receives_ja == NULL, "vendors: receives in Japanese absent");
        omote_config_free(conf);
    }
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"cookies\": [\"x\"], \"cookie_lifetime_days\": {`\"y\": 1}}]}",
                   "purposes[0].cookie_lifetime_days.y: \"y\" is not one of this purpose's \"cookies\"", "lifetimes: undeclared cookie");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"cookies\": [\"x\"], \"cookie_lifetime_days\": {\"x\": `-1}}]}",
                   "purposes[0].cookie_lifetime_days.x: expected whole days from 0 (until the browser closes) to 3650",
                   "lifetimes: range");
    check_error_at(HEAD ", \"purposes\": [{\"id\": \"a\", \"cookie_lifetime_days\": `[]}]}",
                   "purposes[0].cookie_lifetime_days: expected an object of cookie patterns to days, got an array", "lifetimes: type");
    unsetenv(KEYS_ENV);
}

static void test_listener_clashes(void)
{
    check_error_at("{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 80}, {\"port\": 81}, `{\"address\": \"127.0.0.1\", "
                   "\"port\": 80}], " MIN_ORIGIN "}",
                   "listen[2]: 127.0.0.1 port 80 is already listed at listen[0]", "duplicate listener");
    check_error_at(
        "{\"listen\": [{\"address\": \"::1\", \"port\": 80}, `{\"address\": \"0:0:0:0:0:0:0:1\", \"port\": 80}], " MIN_ORIGIN "}",
        "listen[1]: 0:0:0:0:0:0:0:1 port 80 is already listed at listen[0]", "duplicate listener, IPv6 spelled differently");
    check_loads("{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 80}, {\"address\": \"::1\", \"port\": 80}], " MIN_ORIGIN "}",
                "same port on different addresses");

    check_error_at("{\"listen\": [{\"port\": 9901}], " MIN_ORIGIN ", \"admin\": {\"port\": `9901}}",
                   "admin.port: 9901 is also used by listen[0] (0.0.0.0 port 9901)", "admin clashes with a wildcard listener");
    check_error_at("`{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 9901}], " MIN_ORIGIN "}",
                   "admin.port: 9901 is also used by listen[0] (127.0.0.1 port 9901)", "admin default clash points at the root");
    check_error_at("{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 8080}], " MIN_ORIGIN
                   ", \"admin\": {\"address\": \"::\", \"port\": `8080}}",
                   "admin.port: 8080 is also used by listen[0] (127.0.0.1 port 8080)", "admin on :: clashes with an IPv4 listener");
    check_loads("{\"listen\": [{\"address\": \"127.0.0.2\", \"port\": 9901}], " MIN_ORIGIN "}",
                "admin and listener on different addresses");
    check_loads("{\"listen\": [{\"port\": 9901}], " MIN_ORIGIN ", \"admin\": {\"enabled\": false}}",
                "disabled admin never clashes");
}

static void test_redis_reconnect(void)
{
    check_error_at(HEAD ", \"redis\": {\"reconnect_min_ms\": `6000, \"reconnect_max_ms\": 5000}}",
                   "redis.reconnect_min_ms: 6000 is greater than redis.reconnect_max_ms (5000)", "reconnect min > max");
    check_error_at(HEAD ", \"redis\": `{\"reconnect_max_ms\": 50}}",
                   "redis.reconnect_min_ms: 100 is greater than redis.reconnect_max_ms (50)",
                   "reconnect default min > max points at the redis object");
}

static void test_threads(void)
{
    omote_config_error_t err;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    omote_config_t *conf = load(HEAD ", \"threads\": \"auto\"}", &err);
    ok(conf != NULL && conf->threads == (unsigned)(cpus > 256 ? 256 : cpus), "threads: auto is the CPU count");
    omote_config_free(conf);
    conf = load(HEAD ", \"threads\": 0}", &err);
    ok(conf != NULL && conf->threads == (unsigned)(cpus > 256 ? 256 : cpus), "threads: 0 is the CPU count");
    omote_config_free(conf);
    conf = load(HEAD ", \"threads\": 256}", &err);
    ok(conf != NULL && conf->threads == 256, "threads: 256 is allowed");
    omote_config_free(conf);
    check_error_at(HEAD ", \"threads\": `\"many\"}", "threads: expected an integer 0..256 or \"auto\", got \"many\"",
                   "threads: bad string");
    check_error_at(HEAD ", \"threads\": `257}", "threads: 257 is out of range 0..256", "threads: too many");
    check_error_at(HEAD ", \"threads\": `2.5}", "threads: expected an integer 0..256 or \"auto\", got a real number",
                   "threads: real");
}

static void test_log(void)
{
    check_error_at(HEAD ", \"log\": {\"level\": `\"verbose\"}}", "log.level: \"verbose\" is not one of debug, info, warn, error",
                   "log: bad level");
    omote_config_error_t err;
    omote_config_t *conf = load(HEAD ", \"log\": {\"access\": null, \"error\": \"-\", \"level\": \"error\"}}", &err);
    ok(conf != NULL && conf->log.access_path == NULL && strcmp(conf->log.error_path, "-") == 0 &&
           conf->log.level == OMOTE_LOG_ERROR,
       "log: null access, stderr, level error");
    omote_config_free(conf);

    omote_log_level_t level = OMOTE_LOG_INFO;
    ok(omote_config_parse_log_level("warn", &level) == 0 && level == OMOTE_LOG_WARN, "parse_log_level: warn");
    ok(omote_config_parse_log_level("debug", &level) == 0 && level == OMOTE_LOG_DEBUG, "parse_log_level: debug");
    ok(omote_config_parse_log_level("WARN", &level) == -1 && level == OMOTE_LOG_DEBUG,
       "parse_log_level: case matters, level untouched");
    ok(omote_config_parse_log_level("", &level) == -1, "parse_log_level: empty");
}

static void test_relative_paths(void)
{
    make_dir("sub");
    make_file("sub/rel.json", "{" MIN_LISTEN ", " MIN_ORIGIN ",\n"
                              " \"redis\": {\"address\": \"unix:run/redis.sock\"},\n"
                              " \"log\": {\"access\": \"../logs/access.log\", \"error\": \"logs/error.log\"}}\n");
    omote_config_error_t err;
    omote_config_t *conf = NULL;
    /* a relative config path: the base directory must still come out absolute */
    char rel[600];
    if (chdir(tmpdir) != 0)
        printf("# chdir: %s\n", strerror(errno));
    snprintf(rel, sizeof(rel), "sub/rel.json");
    int ret = omote_config_load_file(rel, &conf, &err);
    if (chdir(cwd) != 0)
        printf("# chdir back: %s\n", strerror(errno));
    is_int(ret, 0, "relative: loads through a relative config path");
    if (ret == 0) {
        is_str(conf->source_name, "sub/rel.json", "relative: source_name is the path as given");
        is_str(conf->redis.unix_path, tmp_path("sub/run/redis.sock"), "relative: unix socket under the config directory");
        is_str(conf->log.access_path, tmp_path("sub/../logs/access.log"), "relative: access log under the config directory");
        is_str(conf->log.error_path, tmp_path("sub/logs/error.log"), "relative: error log under the config directory");
    } else {
        printf("#   %s\n", err.text);
    }
    omote_config_free(conf);

    conf = load(HEAD ", \"log\": {\"access\": \"a.log\"}}", &err);
    ok(conf != NULL && strcmp(conf->log.access_path, cwd_path("a.log")) == 0,
       "relative: load_string resolves against the current directory");
    omote_config_free(conf);
}

static void test_files(void)
{
    omote_config_error_t err;
    omote_config_t *conf = NULL;
    const char *missing = tmp_path("nope.json");
    char expected[1024];
    snprintf(expected, sizeof(expected), "%s: cannot read: No such file or directory", missing);
    is_int(omote_config_load_file(missing, &conf, &err), -1, "file: missing file refused");
    is_str(err.text, expected, "file: missing file message");
    ok(err.line == 0 && err.column == 0 && err.json_path[0] == '\0', "file: no place for an unreadable file");
    ok(conf == NULL, "file: out untouched");

    snprintf(expected, sizeof(expected), "%s: cannot read: Is a directory", tmpdir);
    omote_config_load_file(tmpdir, &conf, &err);
    is_str(err.text, expected, "file: a directory is refused");

    make_file("empty.json", "");
    snprintf(expected, sizeof(expected), "%s:1:1: JSON syntax: the document is empty", tmp_path("empty.json"));
    is_int(omote_config_load_file(tmp_path("empty.json"), &conf, &err), -1, "file: empty file refused");
    is_str(err.text, expected, "file: empty file message");

    is_int(omote_config_load_file("config/demo.json", &conf, NULL), 0, "demo.json loads (error record may be NULL)");
    if (conf != NULL) {
        is_str(conf->listen[0].address, "127.0.0.1", "demo.json: listens on 127.0.0.1");
        is_int(conf->listen[0].port, 8080, "demo.json: port 8080");
        ok(conf->listen[0].tls_certificate_file == NULL, "demo.json: plain HTTP");
        is_str(conf->origin.url, "http://127.0.0.1:8081/", "demo.json: origin");
        is_int(conf->admin.port, 9901, "demo.json: admin port");
        is_int(conf->redis.port, 6390, "demo.json: redis port");
        is_str(conf->log.access_path, cwd_path("config/../var/log/access.log"), "demo.json: access log resolved");
        is_str(conf->log.error_path, "-", "demo.json: error log on stderr");
        omote_config_free(conf);
        conf = NULL;
    }
}

/* Reads a whole file into a new NUL-terminated buffer. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    char *buf = calloc(1, 65536);
    if (buf != NULL)
        fread(buf, 1, 65535, fp);
    fclose(fp);
    return buf;
}

/* The production example names TLS files beside it: in the repository they are absent, in a copy they exist. */
static void test_production_example(void)
{
    omote_config_error_t err;
    omote_config_t *conf = NULL;
    const char *cert = cwd_path("config/tls/fullchain.pem");
    int ret = omote_config_load_file("config/omote.json", &conf, &err);
    if (access(cert, R_OK) != 0) {
        char expected[4300];
        snprintf(expected, sizeof(expected), "listen[0].tls.certificate: cannot read \"%s\": No such file or directory", cert);
        ok(ret == -1 && strstr(err.text, expected) != NULL, "omote.json in the repository: error names the certificate path");
        is_str(err.json_path, "listen[0].tls.certificate", "omote.json in the repository: json_path");
        printf("#   %s\n", err.text);
    } else {
        is_int(ret, 0, "omote.json in the repository loads (its certificate exists)");
    }
    omote_config_free(conf);
    conf = NULL;

    char *text = slurp("config/omote.json");
    ok(text != NULL, "omote.json: readable");
    if (text == NULL)
        return;
    make_dir("prod");
    make_dir("prod/tls");
    make_file("prod/tls/fullchain.pem", "cert\n");
    make_file("prod/tls/privkey.pem", "key\n");
    make_file("prod/signatures.txt", "Hotjar | _hjSettings\n");
    make_file("prod/omote.json", text);
    free(text);
    ret = omote_config_load_file(tmp_path("prod/omote.json"), &conf, &err);
    is_int(ret, 0, "omote.json copy with its TLS files loads");
    if (ret != 0) {
        printf("#   %s\n", err.text);
        return;
    }
    is_int(conf->num_listen, 2, "omote.json: two listeners");
    is_int(conf->listen[0].port, 443, "omote.json: HTTPS on 443");
    is_str(conf->listen[0].tls_certificate_file, tmp_path("prod/tls/fullchain.pem"), "omote.json: certificate beside the file");
    is_str(conf->listen[0].tls_key_file, tmp_path("prod/tls/privkey.pem"), "omote.json: key beside the file");
    is_int(conf->listen[1].port, 80, "omote.json: HTTP on 80");
    ok(conf->listen[1].tls_certificate_file == NULL, "omote.json: port 80 is plain");
    is_str(conf->log.access_path, "/var/log/omote/access.log", "omote.json: access log");
    omote_config_free(conf);
}

static void test_restart_only_changes(void)
{
    omote_config_error_t err;
    char buf[256];
    omote_config_t *a = load(HEAD ", \"threads\": 2}", &err);
    omote_config_t *same = load(HEAD ", \"threads\": 2}", &err);
    omote_config_t *live =
        load("{" MIN_LISTEN ", \"origin\": {\"url\": \"http://127.0.0.1:9000/x\", \"preserve_host\": false}, \"threads\": 2,"
             " \"timeouts\": {\"drain_ms\": 1}, \"limits\": {\"header_count\": 5}, \"log\": {\"level\": \"debug\"}}",
             &err);
    omote_config_t *restart =
        load("{\"listen\": [{\"port\": 8081}], " MIN_ORIGIN ", \"threads\": 3, \"redis\": {\"address\": \"h:1\"},"
             " \"timeouts\": {\"request_ms\": 5, \"handshake_ms\": 6}}",
             &err);
    omote_config_t *admin = load(HEAD ", \"threads\": 2, \"admin\": {\"port\": 9902}, \"timeouts\": {\"http2_idle_ms\": 5}}", &err);
    if (a == NULL || same == NULL || live == NULL || restart == NULL || admin == NULL) {
        ok(0, "restart: fixtures load (%s)", err.text);
        goto Exit;
    }
    is_int(omote_config_restart_only_changes(a, same, buf, sizeof(buf)), 0, "restart: identical");
    is_str(buf, "", "restart: identical lists nothing");
    is_int(omote_config_restart_only_changes(a, live, buf, sizeof(buf)), 0, "restart: origin, drain, limits and log apply live");
    is_int(omote_config_restart_only_changes(a, restart, buf, sizeof(buf)), 5, "restart: five restart-only settings");
    is_str(buf, "listen, threads, redis, timeouts.request_ms, timeouts.handshake_ms", "restart: list in order");
    is_int(omote_config_restart_only_changes(a, admin, buf, sizeof(buf)), 2, "restart: admin and http2_idle_ms");
    is_str(buf, "admin, timeouts.http2_idle_ms", "restart: admin list");
    is_int(omote_config_restart_only_changes(a, restart, buf, 10), 5, "restart: count survives a small buffer");
    is_str(buf, "listen, t", "restart: small buffer is cut and terminated");
    is_int(omote_config_restart_only_changes(a, restart, NULL, 0), 5, "restart: NULL buffer");
Exit:
    omote_config_free(a);
    omote_config_free(same);
    omote_config_free(live);
    omote_config_free(restart);
    omote_config_free(admin);
}

static void check_locate(const char *json, const char *path, omote_json_locate_what_t what, int line, int column, const char *name)
{
    int l = -1, c = -1;
    int ret = omote_json_locate(json, strlen(json), path, what, &l, &c);
    if (line == 0) {
        is_int(ret, -1, "locate: %s not found", name);
        return;
    }
    ok(ret == 0 && l == line && c == column, "locate: %s at %d:%d", name, line, column);
    if (ret != 0 || l != line || c != column)
        printf("#   got ret %d at %d:%d\n", ret, l, c);
}

static void test_locate(void)
{
    const char *doc =
        "{\"a\": {\"b.c\": [1, {\"d\\u0065\": 2, \"x\": [[], {\"y\": \"]}\"}]}]},\n \"\xc3\xa9t\xc3\xa9\": 3, \"z\": 4}";
    check_locate(doc, "", OMOTE_JSON_LOCATE_VALUE, 1, 1, "root");
    check_locate(doc, "a", OMOTE_JSON_LOCATE_VALUE, 1, 7, "object member");
    check_locate(doc, "a", OMOTE_JSON_LOCATE_KEY, 1, 2, "member name");
    check_locate(doc, "a[\"b.c\"][0]", OMOTE_JSON_LOCATE_VALUE, 1, 16, "quoted name with a dot, then an index");
    check_locate(doc, "a[\"b.c\"][1].de", OMOTE_JSON_LOCATE_VALUE, 1, 31, "name written with an escape in the document");
    check_locate(doc, "a[\"b.c\"][1][\"d\\u0065\"]", OMOTE_JSON_LOCATE_KEY, 1, 20, "escape in the path too");
    check_locate(doc, "a[\"b.c\"][1].x[1].y", OMOTE_JSON_LOCATE_VALUE, 1, 50, "skipping a string that holds brackets");
    check_locate(doc, "\xc3\xa9t\xc3\xa9", OMOTE_JSON_LOCATE_KEY, 2, 2, "UTF-8 name");
    check_locate(doc, "z", OMOTE_JSON_LOCATE_VALUE, 2, 17, "columns count characters after UTF-8");
    check_locate(doc, "a[\"b.c\"][2]", OMOTE_JSON_LOCATE_VALUE, 0, 0, "index past the end");
    check_locate(doc, "a.nope", OMOTE_JSON_LOCATE_VALUE, 0, 0, "absent member");
    check_locate(doc, "z.w", OMOTE_JSON_LOCATE_VALUE, 0, 0, "member of a scalar");
    check_locate(doc, "a[", OMOTE_JSON_LOCATE_VALUE, 0, 0, "malformed path");
    check_locate("{\"a\": [1, 2", "a[1]", OMOTE_JSON_LOCATE_VALUE, 1, 11, "truncated document, element present");
    check_locate("{\"a\": [1, 2", "a[2]", OMOTE_JSON_LOCATE_VALUE, 0, 0, "truncated document, element absent");
    check_locate("{\"a\": \"unterminated", "b", OMOTE_JSON_LOCATE_VALUE, 0, 0, "unterminated string");
    check_locate("   ", "", OMOTE_JSON_LOCATE_VALUE, 0, 0, "blank document");
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/omote-test-config-XXXXXX");
    if (mkdtemp(tmpdir) == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        ok(0, "set-up: %s", strerror(errno));
        return done_testing();
    }
    test_full();
    test_minimal();
    test_syntax();
    test_unknown_keys();
    test_long_unknown_key();
    test_types();
    test_ranges();
    test_derived_defaults();
    test_missing();
    test_urls();
    test_addresses();
    test_tls_files();
    test_trackers();
    test_purposes_and_vendors();
    test_headers_compression_api();
    test_consent();
    test_banner_and_privacy();
    test_listener_clashes();
    test_redis_reconnect();
    test_threads();
    test_log();
    test_relative_paths();
    test_files();
    test_production_example();
    test_restart_only_changes();
    test_locate();
    cleanup();
    return done_testing();
}
