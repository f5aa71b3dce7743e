/*
 * Configuration loader: parses the JSON file with jansson, checks it against the schema documented
 * in config/README.md and builds an omote_config_t. Failure policy: the first problem refuses the
 * whole document (nothing partial escapes) and is reported with file, line, column and JSON path,
 * so a bad reload leaves the running configuration in place. Opening sockets and files is left to
 * the server; this file only checks that TLS files are readable, so a reload can be refused early,
 * and reads the consent keys (file or environment), so a bad key refuses the file like any error.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, getcwd, inet_pton, access even under -std=c11 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/internal.h"
#include "omote/config.h"
#include "omote/consent_keys.h"
#include "omote/consent_token.h"
#include "omote/query.h"

#define MAX_FILE_BYTES (4 * 1024 * 1024)
#define MAX_PATH_DEPTH 8 /* deepest schema path: listen[0].tls.certificate */
#define MAX_KEY_LEN 32   /* longest schema key, for the typo suggestion */
#define MAX_SHOWN_KEY 64 /* longer unknown names are cut in messages */
#define MAX_THREADS 256
#define HOUR_MS 3600000

/* Where an error points: the value at the current path, its member name, or the enclosing object. */
enum en_where_t { AT_VALUE, AT_KEY, AT_PARENT };

struct st_loader_t {
    const char *name; /* the file name as given, for messages */
    const char *text;
    size_t len;
    const char *base_dir; /* absolute directory that relative paths resolve against */
    omote_config_error_t *err;
    /* JSON path of the value being checked, and where each of its segments starts */
    char path[512];
    size_t path_len;
    size_t marks[MAX_PATH_DEPTH];
    size_t depth;
};

/* An integer member stored straight into omote_config_t; the tables below keep the readers short. */
struct st_int_field_t {
    const char *key;
    json_int_t min, max, def;
    size_t offset, width;
};

#define INT_FIELD(key, min, max, def, member)                                                                                      \
    {                                                                                                                              \
        key, min, max, def, offsetof(omote_config_t, member), sizeof(((omote_config_t *)0)->member)                                \
    }

static const struct st_int_field_t origin_ints[] = {
    INT_FIELD("connect_timeout_ms", 1, HOUR_MS, 5000, origin.connect_timeout_ms),
    INT_FIELD("io_timeout_ms", 1, HOUR_MS, 30000, origin.io_timeout_ms),
    INT_FIELD("keepalive_timeout_ms", 0, HOUR_MS, 2000, origin.keepalive_timeout_ms),
};
static const struct st_int_field_t timeout_ints[] = {
    INT_FIELD("request_ms", 1, HOUR_MS, 10000, timeouts.request_ms),
    INT_FIELD("http2_idle_ms", 1, HOUR_MS, 10000, timeouts.http2_idle_ms),
    INT_FIELD("handshake_ms", 1, HOUR_MS, 10000, timeouts.handshake_ms),
    INT_FIELD("drain_ms", 0, HOUR_MS, 10000, timeouts.drain_ms),
    INT_FIELD("send_stall_ms", 1000, HOUR_MS, 30000, timeouts.send_stall_ms),
};
static const struct st_int_field_t admin_ints[] = {
    INT_FIELD("port", 1, 65535, 9901, admin.port),
};
static const struct st_int_field_t redis_ints[] = {
    INT_FIELD("connect_timeout_ms", 1, 60000, 1000, redis.connect_timeout_ms),
    INT_FIELD("command_timeout_ms", 1, 60000, 250, redis.command_timeout_ms),
    INT_FIELD("reconnect_min_ms", 1, 60000, 100, redis.reconnect_min_ms),
    INT_FIELD("reconnect_max_ms", 1, 60000, 1000, redis.reconnect_max_ms),
};
/* header_field_bytes is also capped by header_bytes; read_limits checks that after the table */
static const struct st_int_field_t limit_ints[] = {
    INT_FIELD("header_count", 1, 1000, 100, limits.header_count),
    INT_FIELD("header_bytes", 256, 1048576, 65536, limits.header_bytes),
    INT_FIELD("header_field_bytes", 64, 1048576, 8192, limits.header_field_bytes),
    INT_FIELD("request_body_bytes", 0, 1073741824, 10485760, limits.request_body_bytes),
    INT_FIELD("api_body_bytes", 64, 1048576, 16384, limits.api_body_bytes),
    INT_FIELD("max_connections", 0, 1000000, 20000, limits.max_connections),
    INT_FIELD("connections_per_second_per_address", 0, 1000000, 200, limits.connections_per_second_per_address),
    INT_FIELD("connection_burst_per_address", 0, 1000000, 400, limits.connection_burst_per_address),
    INT_FIELD("requests_per_second_per_address", 0, 10000000, 2000, limits.requests_per_second_per_address),
    INT_FIELD("request_burst_per_address", 0, 10000000, 4000, limits.request_burst_per_address),
};

static const struct st_int_field_t tracker_ints[] = {
    INT_FIELD("max_tag_bytes", 1024, 1048576, 65536, trackers.max_tag_bytes),
    INT_FIELD("max_inspect_bytes", 1024, 1048576, 65536, trackers.max_inspect_bytes),
};

static const struct st_int_field_t consent_ints[] = {
    INT_FIELD("lifetime_days", 1, OMOTE_CONSENT_LIFETIME_DAYS_MAX, OMOTE_CONSENT_LIFETIME_DAYS_MAX, consent.lifetime_days),
};

static const struct st_int_field_t compression_ints[] = {
    INT_FIELD("min_bytes", 0, 1073741824, 256, compression.min_bytes),
    INT_FIELD("gzip_level", 1, 9, 5, compression.gzip_level),
};

#define NUM(table) (sizeof(table) / sizeof((table)[0]))

static const char *const top_keys[] = {"listen",   "origin",   "timeouts", "threads", "admin",       "redis", "limits",  "log",
                                       "trackers", "purposes", "vendors",  "headers", "compression", "api",   "consent", "banner",  "privacy", NULL};
static const char *const tracker_keys[] = {"rewrite_html", "lists",      "first_party_domains", "max_tag_bytes",
                                           "max_inspect_bytes", "strip_query_params", "block_paths", "signatures",
                                           "unknown_cookies", "debug_header", NULL};
static const char *const purpose_keys[] = {"id",          "strictly_necessary", "needs_identifier",     "gpc", "name",
                                           "description", "cookies",            "cookie_lifetime_days", NULL};
static const char *const text_keys[] = {"en", "ja", NULL};
static const char *const vendor_keys[] = {"name", "purpose", "hosts", "paths", "receives", NULL};
static const char *const banner_keys[] = {"enabled", "privacy_link", "title", "text", NULL};
static const char *const privacy_keys[] = {"retailer", "contact", "promise", NULL};
static const char *const privacy_link_names[] = {"bottom-left", "bottom-right", "off"};
static const char *const header_keys[] = {"permissions_policy_deny", "csp", NULL};
static const char *const csp_keys[] = {"mode", "directives", "vendor_directives", "report", NULL};
static const char *const compression_keys[] = {"enabled", "min_bytes", "gzip_level", NULL};
static const char *const api_keys[] = {"prefix", NULL};
static const char *const consent_keys[] = {"policy_version", "lifetime_days", "cookie_name", "identifier_cookie_name",
                                           "keys_file",      "keys_env",      NULL};
static const char *const unknown_cookie_names[] = {"report", "allow", "block"};
static const char *const csp_mode_names[] = {"off", "enforce", "report-only"};
static const char *const default_permissions_policy_deny[] = {"browsing-topics", "interest-cohort"};
static const char *const default_csp_vendor_directives[] = {"script-src", "img-src", "connect-src", "frame-src"};
static const char *const tracker_list_keys[] = {"name", "path", NULL};
static const char *const listen_keys[] = {"address", "port", "tls", NULL};
static const char *const tls_keys[] = {"certificate", "key", NULL};
static const char *const origin_keys[] = {"url", "preserve_host", "connect_timeout_ms", "io_timeout_ms", "keepalive_timeout_ms", NULL};
static const char *const timeout_keys[] = {"request_ms", "http2_idle_ms", "handshake_ms", "drain_ms", "send_stall_ms", NULL};
static const char *const admin_keys[] = {"enabled", "address", "port", NULL};
static const char *const redis_keys[] = {"address",          "connect_timeout_ms", "command_timeout_ms",
                                         "reconnect_min_ms", "reconnect_max_ms",   NULL};
static const char *const limit_keys[] = {"header_count",
                                         "header_bytes",
                                         "header_field_bytes",
                                         "request_body_bytes",
                                         "api_body_bytes",
                                         "max_connections",
                                         "connections_per_second_per_address",
                                         "connection_burst_per_address",
                                         "requests_per_second_per_address",
                                         "request_burst_per_address",
                                         NULL};
static const char *const log_keys[] = {"access", "error", "level", NULL};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Running out of memory aborts, as h2o_mem_alloc does: a half-read configuration is no use. */
static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        abort();
    return p;
}

/* ---- the JSON path of the value being checked ---- */

static void path_append(struct st_loader_t *ld, const char *fmt, ...)
{
    size_t room = sizeof(ld->path) - ld->path_len;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(ld->path + ld->path_len, room, fmt, args);
    va_end(args);
    /* a path too long to keep is cut; the locator then falls back to the enclosing object */
    ld->path_len += n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
}

static void path_mark(struct st_loader_t *ld)
{
    if (ld->depth >= MAX_PATH_DEPTH)
        abort(); /* the schema is shallower than this; reaching it is a bug in this file */
    ld->marks[ld->depth++] = ld->path_len;
}

static int is_plain_key(const char *key)
{
    if (*key == '\0')
        return 0;
    for (; *key != '\0'; ++key) {
        char c = *key;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Where a long unknown name is cut in the path, so the message after it still fits in the error text. */
static size_t shown_length(const char *key)
{
    size_t n = strlen(key);
    if (n <= MAX_SHOWN_KEY)
        return n;
    n = MAX_SHOWN_KEY;
    while (n > 0 && ((unsigned char)key[n] & 0xc0) == 0x80)
        --n; /* not inside a UTF-8 sequence */
    return n;
}

/*
 * Plain names are written `a.b`; others as `["a.b"]`, the form omote_json_locate reads back. A name
 * cut short ends in "..." and is no longer found, so its error points at the enclosing object.
 */
static void push_key(struct st_loader_t *ld, const char *key)
{
    size_t n = shown_length(key);
    const char *more = key[n] != '\0' ? "..." : "";
    path_mark(ld);
    if (is_plain_key(key)) {
        path_append(ld, ld->path_len == 0 ? "%.*s%s" : ".%.*s%s", (int)n, key, more);
        return;
    }
    path_append(ld, "[\"");
    for (const unsigned char *s = (const unsigned char *)key; s < (const unsigned char *)key + n; ++s) {
        if (*s == '"' || *s == '\\')
            path_append(ld, "\\%c", *s);
        else if (*s < 0x20)
            path_append(ld, "\\u%04x", *s);
        else
            path_append(ld, "%c", *s);
    }
    path_append(ld, "%s\"]", more);
}

static void push_index(struct st_loader_t *ld, size_t index)
{
    path_mark(ld);
    path_append(ld, "[%zu]", index);
}

static void pop(struct st_loader_t *ld)
{
    ld->path_len = ld->marks[--ld->depth];
    ld->path[ld->path_len] = '\0';
}

/* ---- errors ---- */

/* Finds the place to report; a value that is absent (a default broke a rule) falls back to its parent. */
static void locate(struct st_loader_t *ld, enum en_where_t where, int *line, int *column)
{
    omote_json_locate_what_t what = where == AT_KEY ? OMOTE_JSON_LOCATE_KEY : OMOTE_JSON_LOCATE_VALUE;
    size_t depth = where == AT_PARENT && ld->depth > 0 ? ld->depth - 1 : ld->depth;
    for (;;) {
        char prefix[sizeof(ld->path)];
        size_t n = depth == ld->depth ? ld->path_len : ld->marks[depth];
        memcpy(prefix, ld->path, n);
        prefix[n] = '\0';
        if (omote_json_locate(ld->text, ld->len, prefix, what, line, column) == 0 || depth == 0)
            break;
        --depth;
        what = OMOTE_JSON_LOCATE_VALUE;
    }
}

static void copy_truncated(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Appends to err->text; what does not fit is cut, since the start of a long message still helps. */
__attribute__((format(printf, 2, 3))) static void text_append(omote_config_error_t *err, const char *fmt, ...)
{
    size_t used = strlen(err->text);
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->text + used, sizeof(err->text) - used, fmt, args);
    va_end(args);
}

/* Records "FILE:LINE:COLUMN: PATH: message" for the current path and returns -1. */
__attribute__((format(printf, 3, 4))) static int fail(struct st_loader_t *ld, enum en_where_t where, const char *fmt, ...)
{
    omote_config_error_t *err = ld->err;
    char msg[OMOTE_CONFIG_ERROR_TEXT_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    err->line = err->column = 1;
    locate(ld, where, &err->line, &err->column);
    copy_truncated(err->json_path, sizeof(err->json_path), ld->path);
    err->text[0] = '\0';
    text_append(err, "%s:%d:%d: ", ld->name, err->line, err->column);
    if (ld->path_len != 0)
        text_append(err, "%s: ", ld->path);
    text_append(err, "%s", msg);
    return -1;
}

static int fail_syntax(struct st_loader_t *ld, int line, int column, const char *msg)
{
    omote_config_error_t *err = ld->err;
    err->line = line < 1 ? 1 : line;
    err->column = column < 1 ? 1 : column; /* jansson says 0 at the start of a line (e.g. at end of file) */
    err->json_path[0] = '\0';
    err->text[0] = '\0';
    text_append(err, "%s:%d:%d: JSON syntax: %s", ld->name, err->line, err->column, msg);
    return -1;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* ---- unknown keys ---- */

/* Optimal string alignment distance: insertion, deletion, substitution and swapping neighbours cost 1 each. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), rows[3][MAX_KEY_LEN + 1];
    if (lb > MAX_KEY_LEN || la > lb + 2 || lb > la + 2)
        return SIZE_MAX; /* lengths alone put it over the threshold */
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; ++j)
        prev[j] = j;
    for (size_t i = 1; i <= la; ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; ++j) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* The closest known key within two edits, or NULL. */
static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (; *known != NULL; ++known) {
        size_t d = edit_distance(key, *known);
        if (d < best_distance) {
            best = *known;
            best_distance = d;
        }
    }
    return best;
}

static int is_known(const char *key, const char *const *known)
{
    for (; *known != NULL; ++known)
        if (strcmp(key, *known) == 0)
            return 1;
    return 0;
}

/* Checks that `v` (at the current path) is an object holding only `known` keys. */
static int expect_object(struct st_loader_t *ld, json_t *v, const char *const *known)
{
    if (!json_is_object(v))
        return fail(ld, AT_VALUE, "expected an object, got %s", type_name(v));
    const char *key;
    json_t *member;
    json_object_foreach(v, key, member)
    {
        if (is_known(key, known))
            continue;
        push_key(ld, key);
        const char *hint = suggest(key, known);
        if (hint != NULL)
            return fail(ld, AT_KEY, "unknown key (did you mean \"%s\"?)", hint);
        return fail(ld, AT_KEY, "unknown key");
    }
    return 0;
}

/* ---- scalars; each works on the value at the current path ---- */

/* Pushes `key` and returns its value in `obj` (borrowed), or NULL when absent or `obj` is NULL. */
static json_t *enter(struct st_loader_t *ld, json_t *obj, const char *key)
{
    push_key(ld, key);
    return json_object_get(obj, key);
}

static int expect_int(struct st_loader_t *ld, json_t *v, json_int_t min, json_int_t max, json_int_t *out)
{
    if (!json_is_integer(v))
        return fail(ld, AT_VALUE, "expected an integer, got %s", type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return fail(ld, AT_VALUE, "%lld is out of range %lld..%lld", (long long)n, (long long)min, (long long)max);
    *out = n;
    return 0;
}

/* Every string in the schema is a name, address or path, so an empty one is always a mistake. */
static int expect_string(struct st_loader_t *ld, json_t *v, const char **out)
{
    if (!json_is_string(v))
        return fail(ld, AT_VALUE, "expected a string, got %s", type_name(v));
    if (json_string_length(v) == 0)
        return fail(ld, AT_VALUE, "must not be empty");
    *out = json_string_value(v);
    return 0;
}

static int opt_bool(struct st_loader_t *ld, json_t *obj, const char *key, int *out)
{
    json_t *v = enter(ld, obj, key);
    if (v != NULL && !json_is_boolean(v))
        return fail(ld, AT_VALUE, "expected true or false, got %s", type_name(v));
    if (v != NULL)
        *out = json_is_true(v);
    pop(ld);
    return 0;
}

static void store_int(omote_config_t *conf, const struct st_int_field_t *f, json_int_t n)
{
    char *p = (char *)conf + f->offset;
    switch (f->width) {
    case sizeof(uint16_t):
        *(uint16_t *)p = (uint16_t)n;
        break;
    case sizeof(uint32_t):
        *(uint32_t *)p = (uint32_t)n;
        break;
    default:
        *(uint64_t *)p = (uint64_t)n;
        break;
    }
}

/* Reads the optional integer members of `obj` (NULL: all absent) listed in `fields`, applying defaults. */
static int read_ints(struct st_loader_t *ld, json_t *obj, omote_config_t *conf, const struct st_int_field_t *fields, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        json_int_t value = fields[i].def;
        json_t *v = enter(ld, obj, fields[i].key);
        if (v != NULL && expect_int(ld, v, fields[i].min, fields[i].max, &value) != 0)
            return -1;
        store_int(conf, &fields[i], value);
        pop(ld);
    }
    return 0;
}

/* Enters optional object member `key`; `*out` is NULL when it is absent. The caller pops. */
static int enter_object(struct st_loader_t *ld, json_t *obj, const char *key, const char *const *known, json_t **out)
{
    *out = enter(ld, obj, key);
    return *out == NULL ? 0 : expect_object(ld, *out, known);
}

/* ---- addresses, URLs and paths ---- */

struct st_ip_t {
    int family;
    unsigned char bytes[16];
};

static int parse_ip(const char *s, struct st_ip_t *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (inet_pton(AF_INET, s, ip->bytes) == 1) {
        ip->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, ip->bytes) == 1) {
        ip->family = AF_INET6;
        return 0;
    }
    return -1;
}

static int is_any(const struct st_ip_t *ip)
{
    static const unsigned char zero[16];
    return memcmp(ip->bytes, zero, sizeof(zero)) == 0;
}

/* Whether two sockets on the same port would collide. "::" takes IPv4 too under Linux's default bindv6only=0. */
static int addresses_overlap(const struct st_ip_t *a, const struct st_ip_t *b)
{
    if (is_any(a) && (a->family == AF_INET6 || a->family == b->family))
        return 1;
    if (is_any(b) && (b->family == AF_INET6 || b->family == a->family))
        return 1;
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static int is_same_endpoint(const char *addr_a, uint16_t port_a, const char *addr_b, uint16_t port_b)
{
    struct st_ip_t a, b;
    parse_ip(addr_a, &a);
    parse_ip(addr_b, &b);
    return port_a == port_b && a.family == b.family && memcmp(a.bytes, b.bytes, sizeof(a.bytes)) == 0;
}

/* Reads optional numeric address member `key` (default `def`) into a new string at `*out`. */
static int read_address(struct st_loader_t *ld, json_t *obj, const char *key, const char *def, char **out)
{
    const char *s = def;
    struct st_ip_t ip;
    json_t *v = enter(ld, obj, key);
    if (v != NULL && expect_string(ld, v, &s) != 0)
        return -1;
    if (parse_ip(s, &ip) != 0)
        return fail(ld, AT_VALUE, "\"%s\" is not a numeric IPv4 or IPv6 address", s);
    *out = xstrdup(s);
    pop(ld);
    return 0;
}

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    int has_slash = dl != 0 && dir[dl - 1] == '/';
    char *p = xcalloc(1, dl + nl + 2);
    memcpy(p, dir, dl);
    if (!has_slash)
        p[dl++] = '/';
    memcpy(p + dl, name, nl + 1);
    return p;
}

/* Returns a new string: `path` itself when absolute, else `path` under the configuration's directory. */
static char *resolve(struct st_loader_t *ld, const char *path)
{
    return path[0] == '/' ? xstrdup(path) : join_path(ld->base_dir, path);
}

/* access() alone says yes to a directory, which TLS cannot use. Sets errno on failure. */
static int check_readable(const char *path)
{
    struct stat st;
    if (access(path, R_OK) != 0 || stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    return 0;
}

/* Reads required member `key`: the path of a file that must be readable now, stored resolved. */
static int read_readable_file(struct st_loader_t *ld, json_t *obj, const char *key, char **out)
{
    const char *s;
    json_t *v = enter(ld, obj, key);
    if (v == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, v, &s) != 0)
        return -1;
    *out = resolve(ld, s);
    if (check_readable(*out) != 0) {
        int e = errno;
        return fail(ld, AT_VALUE, "cannot read \"%s\": %s", *out, strerror(e));
    }
    pop(ld);
    return 0;
}

static int parse_port(const char *s, const char *end, uint16_t *port)
{
    long n = 0;
    if (s == end || end - s > 5)
        return -1;
    for (; s < end; ++s) {
        if (*s < '0' || *s > '9')
            return -1;
        n = n * 10 + (*s - '0');
    }
    if (n < 1 || n > 65535)
        return -1;
    *port = (uint16_t)n;
    return 0;
}

static int is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static char *strndup_or_abort(const char *s, size_t n)
{
    char *p = xcalloc(1, n + 1);
    memcpy(p, s, n);
    return p;
}

/* "[v6]" in [s, end): checks the address and stores it without brackets; `*rest` gets what follows ']'. */
static const char *parse_bracketed(const char *s, const char *end, char **host, const char **rest)
{
    const char *close = memchr(s, ']', (size_t)(end - s));
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char bytes[16];
    if (close == NULL)
        return "missing ']' after the IPv6 address";
    size_t n = (size_t)(close - s - 1);
    if (n >= sizeof(buf))
        return "not a valid IPv6 address between [ and ]";
    memcpy(buf, s + 1, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET6, buf, bytes) != 1)
        return "not a valid IPv6 address between [ and ]";
    *host = strndup_or_abort(buf, n);
    *rest = close + 1;
    return NULL;
}

/*
 * Splits "host[:port]" or "[v6][:port]" in [s, end). Stores a new host string and, when one is
 * written, the port. Returns NULL or a message saying what is wrong.
 */
static const char *parse_host_port(const char *s, const char *end, int is_port_required, char **host, uint16_t *port)
{
    const char *colon;
    if (s < end && *s == '[') {
        const char *rest, *msg = parse_bracketed(s, end, host, &rest);
        if (msg != NULL)
            return msg;
        if (rest != end && *rest != ':')
            return "expected ':' and a port after ']'";
        colon = rest != end ? rest : NULL;
    } else {
        colon = memchr(s, ':', (size_t)(end - s));
        if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
            return "an IPv6 address must be written in brackets, e.g. [::1]";
        const char *host_end = colon != NULL ? colon : end;
        if (host_end == s)
            return "the host is missing";
        for (const char *p = s; p < host_end; ++p)
            if (!is_host_char(*p))
                return "the host may hold only letters, digits, '-', '.' and '_'";
        *host = strndup_or_abort(s, (size_t)(host_end - s));
    }
    if (colon == NULL)
        return is_port_required ? "the port is missing" : NULL;
    if (parse_port(colon + 1, end, port) != 0)
        return "the port must be a number 1..65535";
    return NULL;
}

/* Fills origin.scheme/host/port/path from `url`. Returns NULL or a message. */
static const char *parse_url(const char *url, omote_config_t *conf)
{
    for (const char *p = url; *p != '\0'; ++p)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return "contains a space or a control character";
    const char *sep = strstr(url, "://");
    if (sep == NULL)
        return "expected http://host[:port][/path] or https://host[:port][/path]";
    size_t scheme_len = (size_t)(sep - url);
    if (scheme_len == 4 && strncasecmp(url, "http", 4) == 0) {
        conf->origin.scheme = xstrdup("http");
        conf->origin.port = 80;
    } else if (scheme_len == 5 && strncasecmp(url, "https", 5) == 0) {
        conf->origin.scheme = xstrdup("https");
        conf->origin.port = 443;
    } else {
        return "the scheme must be http or https";
    }
    if (strchr(url, '?') != NULL)
        return "a query (?...) is not allowed";
    if (strchr(url, '#') != NULL)
        return "a fragment (#...) is not allowed";
    const char *authority = sep + 3, *path = authority + strcspn(authority, "/");
    if (memchr(authority, '@', (size_t)(path - authority)) != NULL)
        return "user information (user@) is not allowed";
    const char *msg = parse_host_port(authority, path, 0, &conf->origin.host, &conf->origin.port);
    if (msg != NULL)
        return msg;
    conf->origin.path = xstrdup(*path != '\0' ? path : "/");
    return NULL;
}

/* ---- sections ---- */

static int read_listener(struct st_loader_t *ld, json_t *v, omote_listen_config_t *l)
{
    json_t *tls;
    json_int_t port;
    if (expect_object(ld, v, listen_keys) != 0 || read_address(ld, v, "address", "0.0.0.0", &l->address) != 0)
        return -1;
    json_t *p = enter(ld, v, "port");
    if (p == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_int(ld, p, 1, 65535, &port) != 0)
        return -1;
    l->port = (uint16_t)port;
    pop(ld);
    if (enter_object(ld, v, "tls", tls_keys, &tls) != 0)
        return -1;
    if (tls != NULL && (read_readable_file(ld, tls, "certificate", &l->tls_certificate_file) != 0 ||
                        read_readable_file(ld, tls, "key", &l->tls_key_file) != 0))
        return -1;
    pop(ld);
    return 0;
}

static int check_duplicate_listener(struct st_loader_t *ld, const omote_config_t *conf, size_t i)
{
    const omote_listen_config_t *l = &conf->listen[i];
    for (size_t j = 0; j < i; ++j)
        if (is_same_endpoint(conf->listen[j].address, conf->listen[j].port, l->address, l->port))
            return fail(ld, AT_VALUE, "%s port %u is already listed at listen[%zu]", l->address, l->port, j);
    return 0;
}

static int read_listen(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *arr = enter(ld, root, "listen");
    if (arr == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of listener objects, got %s", type_name(arr));
    if (json_array_size(arr) == 0)
        return fail(ld, AT_VALUE, "at least one listener is required");
    conf->num_listen = json_array_size(arr);
    conf->listen = xcalloc(conf->num_listen, sizeof(conf->listen[0]));
    for (size_t i = 0; i < conf->num_listen; ++i) {
        push_index(ld, i);
        if (read_listener(ld, json_array_get(arr, i), &conf->listen[i]) != 0 || check_duplicate_listener(ld, conf, i) != 0)
            return -1;
        pop(ld);
    }
    pop(ld);
    return 0;
}

static int read_origin_url(struct st_loader_t *ld, json_t *origin, omote_config_t *conf)
{
    const char *url;
    json_t *v = enter(ld, origin, "url");
    if (v == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, v, &url) != 0)
        return -1;
    conf->origin.url = xstrdup(url);
    const char *msg = parse_url(url, conf);
    if (msg != NULL)
        return fail(ld, AT_VALUE, "\"%s\": %s", url, msg);
    pop(ld);
    return 0;
}

static int read_origin(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *origin = enter(ld, root, "origin");
    if (origin == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    conf->origin.preserve_host = 1;
    if (expect_object(ld, origin, origin_keys) != 0 || read_origin_url(ld, origin, conf) != 0 ||
        opt_bool(ld, origin, "preserve_host", &conf->origin.preserve_host) != 0 ||
        read_ints(ld, origin, conf, origin_ints, NUM(origin_ints)) != 0)
        return -1;
    pop(ld);
    return 0;
}

static int read_timeouts(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *timeouts;
    if (enter_object(ld, root, "timeouts", timeout_keys, &timeouts) != 0 ||
        read_ints(ld, timeouts, conf, timeout_ints, NUM(timeout_ints)) != 0)
        return -1;
    pop(ld);
    return 0;
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

static int read_threads(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_int_t n = 0;
    json_t *v = enter(ld, root, "threads");
    if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), "auto") == 0)) {
        n = 0;
    } else if (json_is_integer(v)) {
        if (expect_int(ld, v, 0, MAX_THREADS, &n) != 0)
            return -1;
    } else if (json_is_string(v)) {
        return fail(ld, AT_VALUE, "expected an integer 0..%d or \"auto\", got \"%s\"", MAX_THREADS, json_string_value(v));
    } else {
        return fail(ld, AT_VALUE, "expected an integer 0..%d or \"auto\", got %s", MAX_THREADS, type_name(v));
    }
    conf->threads = n != 0 ? (unsigned)n : online_cpus();
    pop(ld);
    return 0;
}

static int read_admin(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *admin;
    conf->admin.enabled = 1;
    if (enter_object(ld, root, "admin", admin_keys, &admin) != 0 || opt_bool(ld, admin, "enabled", &conf->admin.enabled) != 0 ||
        read_address(ld, admin, "address", "127.0.0.1", &conf->admin.address) != 0 ||
        read_ints(ld, admin, conf, admin_ints, NUM(admin_ints)) != 0)
        return -1;
    pop(ld);
    return 0;
}

/* The admin listener is bound next to the public ones; a clash would only show up as a bind error. */
static int check_admin_clash(struct st_loader_t *ld, const omote_config_t *conf)
{
    struct st_ip_t admin, l;
    if (!conf->admin.enabled)
        return 0;
    parse_ip(conf->admin.address, &admin);
    for (size_t i = 0; i < conf->num_listen; ++i) {
        parse_ip(conf->listen[i].address, &l);
        if (conf->listen[i].port != conf->admin.port || !addresses_overlap(&admin, &l))
            continue;
        push_key(ld, "admin");
        push_key(ld, "port");
        return fail(ld, AT_VALUE, "%u is also used by listen[%zu] (%s port %u)", conf->admin.port, i, conf->listen[i].address,
                    conf->listen[i].port);
    }
    return 0;
}

static int read_redis_address(struct st_loader_t *ld, json_t *redis, omote_config_t *conf)
{
    const char *s = "127.0.0.1:6379", *msg = NULL;
    json_t *v = enter(ld, redis, "address");
    if (v != NULL && expect_string(ld, v, &s) != 0)
        return -1;
    if (strncmp(s, "unix:", 5) != 0)
        msg = parse_host_port(s, s + strlen(s), 1, &conf->redis.host, &conf->redis.port);
    else if (s[5] == '\0')
        msg = "a socket path is required after \"unix:\"";
    else
        conf->redis.unix_path = resolve(ld, s + 5);
    if (msg != NULL)
        return fail(ld, AT_VALUE, "\"%s\": %s", s, msg);
    pop(ld);
    return 0;
}

static int read_redis(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *redis;
    if (enter_object(ld, root, "redis", redis_keys, &redis) != 0 || read_redis_address(ld, redis, conf) != 0 ||
        read_ints(ld, redis, conf, redis_ints, NUM(redis_ints)) != 0)
        return -1;
    if (conf->redis.reconnect_min_ms > conf->redis.reconnect_max_ms) {
        push_key(ld, "reconnect_min_ms");
        return fail(ld, AT_VALUE, "%llu is greater than redis.reconnect_max_ms (%llu)",
                    (unsigned long long)conf->redis.reconnect_min_ms, (unsigned long long)conf->redis.reconnect_max_ms);
    }
    pop(ld);
    return 0;
}

static int read_limits(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *limits;
    if (enter_object(ld, root, "limits", limit_keys, &limits) != 0 || read_ints(ld, limits, conf, limit_ints, NUM(limit_ints)) != 0)
        return -1;
    if (conf->limits.header_field_bytes > conf->limits.header_bytes) {
        /* the default follows a smaller header_bytes; only an explicit value can contradict it */
        if (json_object_get(limits, "header_field_bytes") == NULL) {
            conf->limits.header_field_bytes = conf->limits.header_bytes;
        } else {
            push_key(ld, "header_field_bytes");
            return fail(ld, AT_VALUE, "%zu is greater than limits.header_bytes (%zu)", conf->limits.header_field_bytes,
                        conf->limits.header_bytes);
        }
    }
    pop(ld);
    return 0;
}

/* A log destination: a path (resolved), "-" for the standard stream, or null (off) when `may_be_off`. */
static int read_log_path(struct st_loader_t *ld, json_t *log, const char *key, int may_be_off, const char *def, char **out)
{
    const char *s = def;
    json_t *v = enter(ld, log, key);
    if (v != NULL && json_is_null(v) && may_be_off)
        s = NULL;
    else if (v != NULL && expect_string(ld, v, &s) != 0)
        return -1;
    if (s != NULL)
        *out = strcmp(s, "-") == 0 ? xstrdup(s) : resolve(ld, s);
    pop(ld);
    return 0;
}

static int read_log_level(struct st_loader_t *ld, json_t *log, omote_config_t *conf)
{
    const char *s = "info";
    json_t *v = enter(ld, log, "level");
    if (v != NULL && expect_string(ld, v, &s) != 0)
        return -1;
    if (omote_config_parse_log_level(s, &conf->log.level) != 0)
        return fail(ld, AT_VALUE, "\"%s\" is not one of debug, info, warn, error", s);
    pop(ld);
    return 0;
}

static int read_log(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *log;
    if (enter_object(ld, root, "log", log_keys, &log) != 0 ||
        read_log_path(ld, log, "access", 1, NULL, &conf->log.access_path) != 0 ||
        read_log_path(ld, log, "error", 0, "-", &conf->log.error_path) != 0 || read_log_level(ld, log, conf) != 0)
        return -1;
    pop(ld);
    return 0;
}

static int read_tracker_list(struct st_loader_t *ld, json_t *v, struct st_omote_tracker_list_config_t *list)
{
    const char *name;
    if (expect_object(ld, v, tracker_list_keys) != 0)
        return -1;
    json_t *n = enter(ld, v, "name");
    if (n == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, n, &name) != 0)
        return -1;
    list->name = xstrdup(name);
    pop(ld);
    return read_readable_file(ld, v, "path", &list->path);
}

static int read_tracker_lists(struct st_loader_t *ld, json_t *trackers, omote_config_t *conf)
{
    json_t *arr = enter(ld, trackers, "lists");
    if (arr == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of {\"name\", \"path\"} objects, got %s", type_name(arr));
    if (json_array_size(arr) > OMOTE_MAX_TRACKER_LISTS)
        return fail(ld, AT_VALUE, "%zu lists named; at most %d are allowed", json_array_size(arr), OMOTE_MAX_TRACKER_LISTS);
    conf->trackers.num_lists = json_array_size(arr);
    conf->trackers.lists = xcalloc(conf->trackers.num_lists + 1, sizeof(conf->trackers.lists[0]));
    for (size_t i = 0; i < conf->trackers.num_lists; ++i) {
        push_index(ld, i);
        if (read_tracker_list(ld, json_array_get(arr, i), &conf->trackers.lists[i]) != 0)
            return -1;
        for (size_t k = 0; k != i; ++k) {
            if (strcmp(conf->trackers.lists[k].name, conf->trackers.lists[i].name) == 0) {
                push_key(ld, "name");
                return fail(ld, AT_VALUE, "list \"%s\" is named twice (first as lists[%zu])", conf->trackers.lists[i].name, k);
            }
        }
        pop(ld);
    }
    pop(ld);
    return 0;
}

static int read_first_party_domains(struct st_loader_t *ld, json_t *trackers, omote_config_t *conf)
{
    json_t *arr = enter(ld, trackers, "first_party_domains");
    if (arr == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of domain names, got %s", type_name(arr));
    conf->trackers.num_first_party_domains = json_array_size(arr);
    conf->trackers.first_party_domains = xcalloc(conf->trackers.num_first_party_domains + 1, sizeof(char *));
    for (size_t i = 0; i < conf->trackers.num_first_party_domains; ++i) {
        const char *d;
        push_index(ld, i);
        if (expect_string(ld, json_array_get(arr, i), &d) != 0)
            return -1;
        for (const char *p = d; *p != '\0'; ++p)
            if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
                return fail(ld, AT_VALUE, "\"%s\" is not a domain name", d);
        char *copy = xstrdup(d);
        for (char *p = copy; *p != '\0'; ++p)
            *p = (char)tolower((unsigned char)*p);
        conf->trackers.first_party_domains[i] = copy;
        pop(ld);
    }
    pop(ld);
    return 0;
}

/* strip_query_params: absent means omote's default list, [] means none */
static int read_strip_query_params(struct st_loader_t *ld, json_t *trackers, omote_config_t *conf)
{
    json_t *arr = enter(ld, trackers, "strip_query_params");
    size_t n = 0;
    if (arr == NULL) {
        while (omote_query_default_tracking_params[n] != NULL)
            ++n;
        conf->trackers.strip_query_params = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i != n; ++i)
            conf->trackers.strip_query_params[i] = xstrdup(omote_query_default_tracking_params[i]);
        conf->trackers.num_strip_query_params = n;
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of parameter name patterns, got %s", type_name(arr));
    n = json_array_size(arr);
    conf->trackers.strip_query_params = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i != n; ++i) {
        const char *pattern;
        push_index(ld, i);
        if (expect_string(ld, json_array_get(arr, i), &pattern) != 0)
            return -1;
        conf->trackers.strip_query_params[i] = xstrdup(pattern);
        conf->trackers.num_strip_query_params = i + 1;
        pop(ld);
    }
    pop(ld);
    return 0;
}

static int read_block_paths(struct st_loader_t *ld, json_t *trackers, omote_config_t *conf)
{
    json_t *arr = enter(ld, trackers, "block_paths");
    if (arr == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of path patterns, got %s", type_name(arr));
    size_t n = json_array_size(arr);
    conf->trackers.block_paths = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i != n; ++i) {
        const char *pattern;
        push_index(ld, i);
        if (expect_string(ld, json_array_get(arr, i), &pattern) != 0)
            return -1;
        if (pattern[0] != '/')
            return fail(ld, AT_VALUE, "\"%s\" must start with '/'", pattern);
        conf->trackers.block_paths[i] = xstrdup(pattern);
        conf->trackers.num_block_paths = i + 1;
        pop(ld);
    }
    pop(ld);
    return 0;
}

static int read_choice(struct st_loader_t *ld, json_t *obj, const char *key, const char *const *names, size_t num, int *out);

static int read_trackers(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *trackers;
    conf->trackers.rewrite_html = 1;
    if (enter_object(ld, root, "trackers", tracker_keys, &trackers) != 0 ||
        read_ints(ld, trackers, conf, tracker_ints, NUM(tracker_ints)) != 0)
        return -1;
    if (trackers != NULL && (opt_bool(ld, trackers, "rewrite_html", &conf->trackers.rewrite_html) != 0 ||
                             read_tracker_lists(ld, trackers, conf) != 0 || read_first_party_domains(ld, trackers, conf) != 0))
        return -1;
    if (read_strip_query_params(ld, trackers, conf) != 0 || read_block_paths(ld, trackers, conf) != 0)
        return -1;
    int unknown = OMOTE_UNKNOWN_COOKIES_REPORT;
    if (read_choice(ld, trackers, "unknown_cookies", unknown_cookie_names, NUM(unknown_cookie_names), &unknown) != 0 ||
        opt_bool(ld, trackers, "debug_header", &conf->trackers.debug_header) != 0)
        return -1;
    conf->trackers.unknown_cookies = (omote_unknown_cookies_t)unknown;
    if (json_object_get(trackers, "signatures") != NULL &&
        read_readable_file(ld, trackers, "signatures", &conf->trackers.signatures_path) != 0)
        return -1;
    pop(ld);
    return 0;
}

/* ---- purposes, vendors, headers, compression, api ---- */

typedef int (*string_check_fn)(struct st_loader_t *ld, const char *s);

/*
 * Reads optional member `key` of `obj` as an array of non-empty strings, each passing `check`
 * (may be NULL). Absent: `*out` and `*n` stay as they are (the caller's default).
 */
static int read_strings(struct st_loader_t *ld, json_t *obj, const char *key, const char *what, string_check_fn check, char ***out,
                        size_t *n)
{
    json_t *arr = enter(ld, obj, key);
    if (arr == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of %s, got %s", what, type_name(arr));
    size_t count = json_array_size(arr);
    char **list = xcalloc(count + 1, sizeof(char *));
    for (size_t i = 0; i != count; ++i) {
        const char *v;
        push_index(ld, i);
        if (expect_string(ld, json_array_get(arr, i), &v) != 0 || (check != NULL && check(ld, v) != 0)) {
            for (size_t k = 0; k != i; ++k)
                free(list[k]);
            free(list);
            return -1;
        }
        list[i] = xstrdup(v);
        pop(ld);
    }
    *out = list;
    *n = count;
    pop(ld);
    return 0;
}

static void free_strings(char **list, size_t n)
{
    for (size_t i = 0; i != n; ++i)
        free(list[i]);
    free(list);
}

static char **copy_strings(const char *const *src, size_t n)
{
    char **list = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i != n; ++i)
        list[i] = xstrdup(src[i]);
    return list;
}

static int check_domain(struct st_loader_t *ld, const char *d)
{
    for (const char *p = d; *p != '\0'; ++p)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
            return fail(ld, AT_VALUE, "\"%s\" is not a domain name", d);
    if (d[0] == '.' || d[strlen(d) - 1] == '.' || strchr(d, '.') == NULL)
        return fail(ld, AT_VALUE, "\"%s\" is not a domain name with at least two labels", d);
    return 0;
}

static int check_path_pattern(struct st_loader_t *ld, const char *p)
{
    return p[0] == '/' ? 0 : fail(ld, AT_VALUE, "\"%s\" must start with '/'", p);
}

/* a cookie name pattern: a cookie-name token (RFC 6265 §4.1.1), optionally ending in '*' */
static int check_cookie_pattern(struct st_loader_t *ld, const char *p)
{
    static const char separators[] = "()<>@,;:\\\"/[]?={} \t";
    size_t len = strlen(p);
    for (size_t i = 0; i != len; ++i) {
        unsigned char c = (unsigned char)p[i];
        if (c == '*' && i + 1 == len)
            break;
        if (c <= 0x20 || c >= 0x7f || strchr(separators, c) != NULL || c == '*')
            return fail(ld, AT_VALUE, "\"%s\" is not a cookie name (a trailing '*' may stand for any rest)", p);
    }
    return 0;
}

static int check_token(struct st_loader_t *ld, const char *t)
{
    for (const char *p = t; *p != '\0'; ++p)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return fail(ld, AT_VALUE, "\"%s\" may hold only a-z, 0-9, '-' and '_'", t);
    return 0;
}

/* a CSP source expression must not break the header: no ';' or ',' and no control bytes */
static int check_csp_source(struct st_loader_t *ld, const char *v)
{
    for (const char *p = v; *p != '\0'; ++p)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ';' || *p == ',')
            return fail(ld, AT_VALUE, "\"%s\" is not a CSP source expression (no spaces, ';' or ',')", v);
    return 0;
}

/* Reads optional member `key` as one of `names`; stores its index in `*out`. */
static int read_choice(struct st_loader_t *ld, json_t *obj, const char *key, const char *const *names, size_t num, int *out)
{
    const char *s;
    json_t *v = enter(ld, obj, key);
    if (v == NULL) {
        pop(ld);
        return 0;
    }
    if (expect_string(ld, v, &s) != 0)
        return -1;
    for (size_t i = 0; i != num; ++i) {
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            pop(ld);
            return 0;
        }
    }
    char allowed[160] = "";
    for (size_t i = 0; i != num; ++i)
        snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s\"%s\"", i == 0 ? "" : ", ", names[i]);
    return fail(ld, AT_VALUE, "\"%s\" is not one of %s", s, allowed);
}

/* name/description: {"en": "...", "ja": "..."}, both optional */
static int read_texts(struct st_loader_t *ld, json_t *obj, const char *key, char **en, char **ja)
{
    json_t *texts;
    if (enter_object(ld, obj, key, text_keys, &texts) != 0)
        return -1;
    const char *langs[] = {"en", "ja"};
    char **outs[] = {en, ja};
    for (size_t i = 0; texts != NULL && i != 2; ++i) {
        const char *s;
        json_t *v = enter(ld, texts, langs[i]);
        if (v != NULL) {
            if (expect_string(ld, v, &s) != 0)
                return -1;
            *outs[i] = xstrdup(s);
        }
        pop(ld);
    }
    pop(ld);
    return 0;
}

/* cookie_lifetime_days: {"<declared pattern>": days}, 0 meaning until the browser closes */
static int read_cookie_lifetimes(struct st_loader_t *ld, json_t *purpose, omote_purpose_config_t *p)
{
    p->cookie_lifetime_days = xcalloc(p->num_cookies + 1, sizeof(*p->cookie_lifetime_days));
    for (size_t i = 0; i != p->num_cookies; ++i)
        p->cookie_lifetime_days[i] = OMOTE_COOKIE_LIFETIME_UNSTATED;
    json_t *obj = enter(ld, purpose, "cookie_lifetime_days");
    if (obj == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_object(obj))
        return fail(ld, AT_VALUE, "expected an object of cookie patterns to days, got %s", type_name(obj));
    const char *key;
    json_t *days;
    json_object_foreach(obj, key, days)
    {
        push_key(ld, key);
        size_t i = 0;
        while (i != p->num_cookies && strcmp(p->cookies[i], key) != 0)
            ++i;
        if (i == p->num_cookies)
            return fail(ld, AT_KEY, "\"%s\" is not one of this purpose's \"cookies\"", key);
        if (!json_is_integer(days) || json_integer_value(days) < 0 || json_integer_value(days) > OMOTE_COOKIE_LIFETIME_DAYS_MAX)
            return fail(ld, AT_VALUE, "expected whole days from 0 (until the browser closes) to %d", OMOTE_COOKIE_LIFETIME_DAYS_MAX);
        p->cookie_lifetime_days[i] = (int)json_integer_value(days);
        pop(ld);
    }
    pop(ld);
    return 0;
}

static int read_purpose(struct st_loader_t *ld, json_t *v, omote_config_t *conf, size_t index)
{
    omote_purpose_config_t *p = &conf->purposes[index];
    const char *id;
    if (expect_object(ld, v, purpose_keys) != 0)
        return -1;
    json_t *idv = enter(ld, v, "id");
    if (idv == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, idv, &id) != 0 || check_token(ld, id) != 0)
        return -1;
    for (size_t i = 0; i != index; ++i)
        if (strcmp(conf->purposes[i].id, id) == 0)
            return fail(ld, AT_VALUE, "purpose \"%s\" is declared twice (first as purposes[%zu])", id, i);
    p->id = xstrdup(id);
    pop(ld);
    if (opt_bool(ld, v, "strictly_necessary", &p->strictly_necessary) != 0 ||
        opt_bool(ld, v, "needs_identifier", &p->needs_identifier) != 0 || opt_bool(ld, v, "gpc", &p->gpc) != 0 ||
        read_texts(ld, v, "name", &p->name_en, &p->name_ja) != 0 ||
        read_texts(ld, v, "description", &p->description_en, &p->description_ja) != 0 ||
        read_strings(ld, v, "cookies", "cookie name patterns", check_cookie_pattern, &p->cookies, &p->num_cookies) != 0 ||
        read_cookie_lifetimes(ld, v, p) != 0)
        return -1;
    return 0;
}

static int read_purposes(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *arr = enter(ld, root, "purposes");
    if (arr == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of purpose objects, got %s", type_name(arr));
    if (json_array_size(arr) > OMOTE_MAX_PURPOSES)
        return fail(ld, AT_VALUE, "%zu purposes declared; at most %d are allowed", json_array_size(arr), OMOTE_MAX_PURPOSES);
    conf->purposes = xcalloc(json_array_size(arr) + 1, sizeof(*conf->purposes));
    for (size_t i = 0; i != json_array_size(arr); ++i) {
        push_index(ld, i);
        conf->num_purposes = i + 1; /* so a failure frees what was read */
        if (read_purpose(ld, json_array_get(arr, i), conf, i) != 0)
            return -1;
        pop(ld);
    }
    /* a cookie name can serve only one purpose, or consenting to one would decide another's cookie */
    for (size_t a = 0; a != conf->num_purposes; ++a)
        for (size_t i = 0; i != conf->purposes[a].num_cookies; ++i)
            for (size_t b = a; b != conf->num_purposes; ++b)
                for (size_t k = b == a ? i + 1 : 0; k < conf->purposes[b].num_cookies; ++k)
                    if (strcmp(conf->purposes[a].cookies[i], conf->purposes[b].cookies[k]) == 0) {
                        push_index(ld, b);
                        push_key(ld, "cookies");
                        push_index(ld, k);
                        return fail(ld, AT_VALUE, "cookie pattern \"%s\" is already declared by purpose \"%s\"",
                                    conf->purposes[b].cookies[k], conf->purposes[a].id);
                    }
    pop(ld);
    return 0;
}

static int read_vendor(struct st_loader_t *ld, json_t *v, omote_config_t *conf, omote_vendor_config_t *vendor)
{
    const char *s;
    if (expect_object(ld, v, vendor_keys) != 0)
        return -1;
    json_t *name = enter(ld, v, "name");
    if (name == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, name, &s) != 0)
        return -1;
    vendor->name = xstrdup(s);
    pop(ld);
    json_t *purpose = enter(ld, v, "purpose");
    if (purpose == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, purpose, &s) != 0)
        return -1;
    size_t i = 0;
    while (i != conf->num_purposes && strcmp(conf->purposes[i].id, s) != 0)
        ++i;
    if (i == conf->num_purposes)
        return fail(ld, AT_VALUE, "\"%s\" is not a purpose declared in \"purposes\"", s);
    vendor->purpose = i;
    pop(ld);
    if (read_strings(ld, v, "hosts", "domain names", check_domain, &vendor->hosts, &vendor->num_hosts) != 0 ||
        read_strings(ld, v, "paths", "path patterns", check_path_pattern, &vendor->paths, &vendor->num_paths) != 0 ||
        read_texts(ld, v, "receives", &vendor->receives_en, &vendor->receives_ja) != 0)
        return -1;
    if (vendor->num_hosts == 0 && vendor->num_paths == 0)
        return fail(ld, AT_VALUE, "a vendor needs \"hosts\" or \"paths\" to be recognised by");
    for (size_t k = 0; k != vendor->num_hosts; ++k)
        for (char *p = vendor->hosts[k]; *p != '\0'; ++p)
            *p = (char)tolower((unsigned char)*p);
    return 0;
}

static int read_vendors(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *arr = enter(ld, root, "vendors");
    if (arr == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_array(arr))
        return fail(ld, AT_VALUE, "expected an array of vendor objects, got %s", type_name(arr));
    conf->vendors = xcalloc(json_array_size(arr) + 1, sizeof(*conf->vendors));
    for (size_t i = 0; i != json_array_size(arr); ++i) {
        push_index(ld, i);
        conf->num_vendors = i + 1;
        if (read_vendor(ld, json_array_get(arr, i), conf, &conf->vendors[i]) != 0)
            return -1;
        for (size_t k = 0; k != i; ++k) {
            if (strcmp(conf->vendors[k].name, conf->vendors[i].name) == 0) {
                push_key(ld, "name");
                return fail(ld, AT_VALUE, "vendor \"%s\" is declared twice (first as vendors[%zu])", conf->vendors[i].name, k);
            }
        }
        pop(ld);
    }
    pop(ld);
    return 0;
}

static int read_csp_directives(struct st_loader_t *ld, json_t *csp, omote_config_t *conf)
{
    json_t *obj = enter(ld, csp, "directives");
    if (obj == NULL) {
        pop(ld);
        return 0;
    }
    if (!json_is_object(obj))
        return fail(ld, AT_VALUE, "expected an object of directive name -> array of sources, got %s", type_name(obj));
    conf->headers.csp_directives = xcalloc(json_object_size(obj) + 1, sizeof(*conf->headers.csp_directives));
    const char *name;
    json_t *sources;
    json_object_foreach(obj, name, sources)
    {
        omote_csp_directive_t *d = &conf->headers.csp_directives[conf->headers.num_csp_directives++];
        d->name = xstrdup(name);
        push_key(ld, name);
        if (name[0] == '\0' || check_token(ld, name) != 0)
            return name[0] == '\0' ? fail(ld, AT_KEY, "a directive name must not be empty") : -1;
        pop(ld);
        if (read_strings(ld, obj, name, "source expressions", check_csp_source, &d->sources, &d->num_sources) != 0)
            return -1;
    }
    pop(ld);
    return 0;
}

static int read_headers(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *headers, *csp = NULL;
    int mode = OMOTE_CSP_OFF;
    conf->headers.permissions_policy_deny = copy_strings(default_permissions_policy_deny, NUM(default_permissions_policy_deny));
    conf->headers.num_permissions_policy_deny = NUM(default_permissions_policy_deny);
    conf->headers.csp_vendor_directives = copy_strings(default_csp_vendor_directives, NUM(default_csp_vendor_directives));
    conf->headers.num_csp_vendor_directives = NUM(default_csp_vendor_directives);
    conf->headers.csp_report = 1;
    if (enter_object(ld, root, "headers", header_keys, &headers) != 0)
        return -1;
    if (headers != NULL) {
        char **deny = NULL, **vendor_directives = NULL;
        size_t num_deny = SIZE_MAX, num_vendor_directives = SIZE_MAX;
        if (read_strings(ld, headers, "permissions_policy_deny", "feature names", check_token, &deny, &num_deny) != 0)
            return -1;
        if (num_deny != SIZE_MAX) {
            free_strings(conf->headers.permissions_policy_deny, conf->headers.num_permissions_policy_deny);
            conf->headers.permissions_policy_deny = deny;
            conf->headers.num_permissions_policy_deny = num_deny;
        }
        if (enter_object(ld, headers, "csp", csp_keys, &csp) != 0)
            return -1;
        if (csp != NULL) {
            if (read_choice(ld, csp, "mode", csp_mode_names, NUM(csp_mode_names), &mode) != 0 ||
                read_csp_directives(ld, csp, conf) != 0 ||
                read_strings(ld, csp, "vendor_directives", "directive names", check_token, &vendor_directives,
                             &num_vendor_directives) != 0 ||
                opt_bool(ld, csp, "report", &conf->headers.csp_report) != 0)
                return -1;
            if (num_vendor_directives != SIZE_MAX) {
                free_strings(conf->headers.csp_vendor_directives, conf->headers.num_csp_vendor_directives);
                conf->headers.csp_vendor_directives = vendor_directives;
                conf->headers.num_csp_vendor_directives = num_vendor_directives;
            }
            if (mode != OMOTE_CSP_OFF && conf->headers.num_csp_directives == 0) {
                push_key(ld, "mode");
                return fail(ld, AT_VALUE, "a policy needs \"directives\" (for example {\"default-src\": [\"'self'\"]})");
            }
        }
        pop(ld); /* csp */
    }
    conf->headers.csp_mode = (omote_csp_mode_t)mode;
    pop(ld);
    return 0;
}

static int read_compression(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *compression;
    conf->compression.enabled = 1;
    if (enter_object(ld, root, "compression", compression_keys, &compression) != 0 ||
        opt_bool(ld, compression, "enabled", &conf->compression.enabled) != 0 ||
        read_ints(ld, compression, conf, compression_ints, NUM(compression_ints)) != 0)
        return -1;
    pop(ld);
    return 0;
}

static int read_api(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *api;
    const char *prefix = "/_omote/";
    if (enter_object(ld, root, "api", api_keys, &api) != 0)
        return -1;
    json_t *v = enter(ld, api, "prefix");
    if (v != NULL) {
        if (expect_string(ld, v, &prefix) != 0)
            return -1;
        size_t len = strlen(prefix);
        if (len < 3 || prefix[0] != '/' || prefix[len - 1] != '/')
            return fail(ld, AT_VALUE, "\"%s\" must start and end with '/' and name at least one segment", prefix);
        for (const char *p = prefix; *p != '\0'; ++p)
            if (!(isalnum((unsigned char)*p) || strchr("/-_.~", *p) != NULL))
                return fail(ld, AT_VALUE, "\"%s\" may hold only letters, digits and / - _ . ~", prefix);
    }
    conf->api.prefix = xstrdup(prefix);
    pop(ld);
    pop(ld);
    return 0;
}

/* ---- consent ---- */

static char *read_whole_file(const char *path, size_t *len);

static int read_policy_version(struct st_loader_t *ld, json_t *consent, omote_config_t *conf)
{
    const char *s;
    json_t *v = enter(ld, consent, "policy_version");
    if (v == NULL)
        return fail(ld, AT_PARENT, "required key is missing");
    if (expect_string(ld, v, &s) != 0)
        return -1;
    if (strlen(s) > OMOTE_CONSENT_POLICY_VERSION_MAX)
        return fail(ld, AT_VALUE, "\"%.*s...\" is longer than %d bytes", OMOTE_CONSENT_POLICY_VERSION_MAX, s,
                    OMOTE_CONSENT_POLICY_VERSION_MAX);
    for (const char *p = s; *p != '\0'; ++p)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return fail(ld, AT_VALUE, "\"%s\" may hold only visible ASCII characters (no spaces)", s);
    conf->consent.policy_version = xstrdup(s);
    pop(ld);
    return 0;
}

/* A cookie-name token (RFC 6265 §4.1.1) without a __Host- or __Secure- prefix, which omote adds itself. */
static int read_cookie_name(struct st_loader_t *ld, json_t *consent, const char *key, const char *def, char **out)
{
    static const char separators[] = "()<>@,;:\\\"/[]?={} \t";
    const char *s = def;
    json_t *v = enter(ld, consent, key);
    if (v != NULL && expect_string(ld, v, &s) != 0)
        return -1;
    if (strlen(s) > OMOTE_CONSENT_COOKIE_NAME_MAX_LEN)
        return fail(ld, AT_VALUE, "\"%.*s...\" is longer than %d bytes", OMOTE_CONSENT_COOKIE_NAME_MAX_LEN, s,
                    OMOTE_CONSENT_COOKIE_NAME_MAX_LEN);
    for (const char *p = s; *p != '\0'; ++p)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr(separators, *p) != NULL)
            return fail(ld, AT_VALUE, "\"%s\" is not a cookie name", s);
    if (strncasecmp(s, "__Host-", 7) == 0 || strncasecmp(s, "__Secure-", 9) == 0)
        return fail(ld, AT_VALUE, "\"%s\": leave the prefix out; omote sends \"__Host-\" + name on HTTPS listeners", s);
    *out = xstrdup(s);
    pop(ld);
    return 0;
}

/* Parses key text read from `source`; the text is wiped by the caller. Fails at the current path. */
static int parse_keys(struct st_loader_t *ld, const char *text, size_t len, const char *source, omote_config_t *conf)
{
    char msg[OMOTE_CONFIG_ERROR_TEXT_MAX];
    conf->consent.keys = omote_consent_keys_parse(text, len, source, msg, sizeof(msg));
    return conf->consent.keys != NULL ? 0 : fail(ld, AT_VALUE, "%s", msg);
}

static int read_keys_file(struct st_loader_t *ld, json_t *consent, omote_config_t *conf)
{
    size_t len;
    if (read_readable_file(ld, consent, "keys_file", &conf->consent.keys_file) != 0)
        return -1;
    push_key(ld, "keys_file");
    char *text = read_whole_file(conf->consent.keys_file, &len);
    if (text == NULL) {
        int e = errno;
        return fail(ld, AT_VALUE, "cannot read \"%s\": %s", conf->consent.keys_file, strerror(e));
    }
    int ret = parse_keys(ld, text, len, conf->consent.keys_file, conf);
    OPENSSL_cleanse(text, len);
    free(text);
    if (ret == 0)
        pop(ld);
    return ret;
}

static int read_keys_env(struct st_loader_t *ld, json_t *consent, omote_config_t *conf)
{
    const char *name;
    char source[128];
    if (expect_string(ld, enter(ld, consent, "keys_env"), &name) != 0)
        return -1;
    int is_name = !isdigit((unsigned char)name[0]) && strlen(name) < sizeof(source) - 1;
    for (const char *p = name; *p != '\0'; ++p)
        is_name &= isalnum((unsigned char)*p) || *p == '_';
    if (!is_name)
        return fail(ld, AT_VALUE, "\"%s\" is not an environment variable name (A-Z a-z 0-9 _, not starting with a digit)", name);
    const char *text = getenv(name);
    if (text == NULL)
        return fail(ld, AT_VALUE, "environment variable %s is not set", name);
    snprintf(source, sizeof(source), "$%s", name);
    conf->consent.keys_env = xstrdup(name);
    if (parse_keys(ld, text, strlen(text), source, conf) != 0)
        return -1;
    pop(ld);
    return 0;
}

static int read_consent_keys(struct st_loader_t *ld, json_t *consent, omote_config_t *conf)
{
    json_t *file = json_object_get(consent, "keys_file"), *env = json_object_get(consent, "keys_env");
    if (file == NULL && env == NULL)
        return fail(ld, AT_VALUE, "one of \"keys_file\" or \"keys_env\" is required (the keys never go in this file)");
    if (file != NULL && env != NULL) {
        push_key(ld, "keys_env");
        return fail(ld, AT_KEY, "\"keys_file\" and \"keys_env\" exclude each other; name one");
    }
    return file != NULL ? read_keys_file(ld, consent, conf) : read_keys_env(ld, consent, conf);
}

/* Optional; absent means consent is off: no tokens, no identifier, only strictly necessary purposes. */
static int read_consent(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *consent;
    if (enter_object(ld, root, "consent", consent_keys, &consent) != 0)
        return -1;
    if (consent == NULL) {
        pop(ld);
        return 0;
    }
    conf->consent.enabled = 1;
    if (read_policy_version(ld, consent, conf) != 0 || read_ints(ld, consent, conf, consent_ints, NUM(consent_ints)) != 0 ||
        read_cookie_name(ld, consent, "cookie_name", "omote_consent", &conf->consent.cookie_name) != 0 ||
        read_cookie_name(ld, consent, "identifier_cookie_name", "omote_id", &conf->consent.identifier_cookie_name) != 0)
        return -1;
    conf->consent.lifetime_sec = (uint64_t)conf->consent.lifetime_days * 86400;
    if (strcmp(conf->consent.cookie_name, conf->consent.identifier_cookie_name) == 0) {
        push_key(ld, json_object_get(consent, "identifier_cookie_name") != NULL ? "identifier_cookie_name" : "cookie_name");
        return fail(ld, AT_VALUE, "the consent and identifier cookies need different names (both are \"%s\")",
                    conf->consent.cookie_name);
    }
    if (read_consent_keys(ld, consent, conf) != 0)
        return -1;
    pop(ld);
    return 0;
}

/* Optional; the banner is on by default wherever consent is configured, and needs it. */
static int read_banner(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *banner;
    conf->banner.enabled = conf->consent.enabled;
    if (enter_object(ld, root, "banner", banner_keys, &banner) != 0)
        return -1;
    int link = OMOTE_PRIVACY_LINK_BOTTOM_LEFT;
    if (banner != NULL &&
        (opt_bool(ld, banner, "enabled", &conf->banner.enabled) != 0 ||
         read_choice(ld, banner, "privacy_link", privacy_link_names, NUM(privacy_link_names), &link) != 0 ||
         read_texts(ld, banner, "title", &conf->banner.title_en, &conf->banner.title_ja) != 0 ||
         read_texts(ld, banner, "text", &conf->banner.text_en, &conf->banner.text_ja) != 0))
        return -1;
    conf->banner.privacy_link = (omote_privacy_link_t)link;
    if (conf->banner.enabled && !conf->consent.enabled) {
        push_key(ld, "enabled");
        return fail(ld, AT_VALUE, "the banner records decisions, so it needs the \"consent\" section");
    }
    pop(ld);
    return 0;
}

static int read_privacy(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    json_t *privacy;
    const char *s;
    if (enter_object(ld, root, "privacy", privacy_keys, &privacy) != 0)
        return -1;
    const char *keys[] = {"retailer", "contact"};
    char **outs[] = {&conf->privacy.retailer, &conf->privacy.contact};
    for (size_t i = 0; privacy != NULL && i != 2; ++i) {
        json_t *v = enter(ld, privacy, keys[i]);
        if (v != NULL) {
            if (expect_string(ld, v, &s) != 0)
                return -1;
            *outs[i] = xstrdup(s);
        }
        pop(ld);
    }
    if (privacy != NULL && read_texts(ld, privacy, "promise", &conf->privacy.promise_en, &conf->privacy.promise_ja) != 0)
        return -1;
    pop(ld);
    return 0;
}

static int build(struct st_loader_t *ld, json_t *root, omote_config_t *conf)
{
    if (!json_is_object(root))
        return fail(ld, AT_VALUE, "expected an object at the top level, got %s", type_name(root));
    if (expect_object(ld, root, top_keys) != 0 || read_listen(ld, root, conf) != 0 || read_origin(ld, root, conf) != 0 ||
        read_timeouts(ld, root, conf) != 0 || read_threads(ld, root, conf) != 0 || read_admin(ld, root, conf) != 0 ||
        read_redis(ld, root, conf) != 0 || read_limits(ld, root, conf) != 0 || read_log(ld, root, conf) != 0 ||
        read_trackers(ld, root, conf) != 0 || read_purposes(ld, root, conf) != 0 || read_vendors(ld, root, conf) != 0 ||
        read_headers(ld, root, conf) != 0 || read_compression(ld, root, conf) != 0 || read_api(ld, root, conf) != 0 ||
        read_consent(ld, root, conf) != 0 || read_banner(ld, root, conf) != 0 || read_privacy(ld, root, conf) != 0 ||
        check_admin_clash(ld, conf) != 0)
        return -1;
    return 0;
}

/* ---- loading ---- */

static int is_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; ++i)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
            return 0;
    return 1;
}

/*
 * jansson reports the last character of the offending token; its first is where the eye should go.
 * The message quotes the token ("invalid token near 'tru'"), so step back over it when the text
 * before jansson's byte position agrees, and keep jansson's own place otherwise.
 */
static int fail_json(struct st_loader_t *ld, const json_error_t *jerr)
{
    const char *near = strstr(jerr->text, "near '");
    size_t end = jerr->position < 0 ? 0 : (size_t)jerr->position, n = near != NULL ? strlen(near + 6) : 0;
    if (n < 2 || near[6 + n - 1] != '\'' || n - 1 > end || end > ld->len || memcmp(ld->text + end - (n - 1), near + 6, n - 1) != 0)
        return fail_syntax(ld, jerr->line, jerr->column, jerr->text);
    int line, column;
    omote_json_offset_to_line_column(ld->text, end - (n - 1), &line, &column);
    return fail_syntax(ld, line, column, jerr->text);
}

static int load(struct st_loader_t *ld, omote_config_t **out)
{
    json_error_t jerr;
    if (is_blank(ld->text, ld->len))
        return fail_syntax(ld, 1, 1, "the document is empty");
    json_t *root = json_loadb(ld->text, ld->len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return fail_json(ld, &jerr);

    omote_config_t *conf = xcalloc(1, sizeof(*conf));
    conf->source_name = xstrdup(ld->name);
    int ret = build(ld, root, conf);
    json_decref(root);
    if (ret != 0) {
        omote_config_free(conf);
        return -1;
    }
    *out = conf;
    return 0;
}

static int fail_io(omote_config_error_t *err, const char *name, const char *what, int e)
{
    text_append(err, "%s: %s: %s", name, what, strerror(e));
    return -1;
}

/* Returns the whole file in a new buffer, or NULL with errno set. */
static char *read_whole_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xcalloc(1, cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap || ferror(fp))
            break;
        if (cap >= MAX_FILE_BYTES)
            break;
        buf = realloc(buf, cap *= 2);
        if (buf == NULL)
            abort();
    }
    int e = ferror(fp) ? errno : n == cap ? EFBIG : 0;
    fclose(fp);
    if (e != 0) {
        free(buf);
        errno = e;
        return NULL;
    }
    *len = n;
    return buf;
}

/* Returns the absolute directory of `path` (relative to the current directory when `path` is NULL). */
static char *absolute_dir(const char *path)
{
    const char *slash = path != NULL ? strrchr(path, '/') : NULL;
    if (slash == path && path != NULL)
        return xstrdup("/");
    char *dir = slash != NULL ? strndup_or_abort(path, (size_t)(slash - path)) : NULL;
    if (dir != NULL && dir[0] == '/')
        return dir;
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL) {
        free(dir);
        return NULL;
    }
    if (dir == NULL)
        return cwd;
    char *joined = join_path(cwd, dir);
    free(cwd);
    free(dir);
    return joined;
}

static omote_config_error_t *clear_error(omote_config_error_t *err, omote_config_error_t *scratch)
{
    if (err == NULL)
        err = scratch;
    memset(err, 0, sizeof(*err));
    return err;
}

int omote_config_load_file(const char *path, omote_config_t **out, omote_config_error_t *err)
{
    omote_config_error_t scratch;
    err = clear_error(err, &scratch);
    size_t len;
    char *text = read_whole_file(path, &len);
    if (text == NULL)
        return fail_io(err, path, "cannot read", errno);
    char *base_dir = absolute_dir(path);
    if (base_dir == NULL) {
        free(text);
        return fail_io(err, path, "cannot determine the current directory", errno);
    }
    struct st_loader_t ld = {.name = path, .text = text, .len = len, .base_dir = base_dir, .err = err};
    int ret = load(&ld, out);
    free(base_dir);
    free(text);
    return ret;
}

int omote_config_load_string(const char *text, size_t len, const char *name, omote_config_t **out, omote_config_error_t *err)
{
    omote_config_error_t scratch;
    err = clear_error(err, &scratch);
    if (name == NULL)
        name = "<string>";
    char *base_dir = absolute_dir(NULL);
    if (base_dir == NULL)
        return fail_io(err, name, "cannot determine the current directory", errno);
    struct st_loader_t ld = {.name = name, .text = text, .len = len, .base_dir = base_dir, .err = err};
    int ret = load(&ld, out);
    free(base_dir);
    return ret;
}

void omote_config_free(omote_config_t *conf)
{
    if (conf == NULL)
        return;
    for (size_t i = 0; i < conf->num_listen; ++i) {
        free(conf->listen[i].address);
        free(conf->listen[i].tls_certificate_file);
        free(conf->listen[i].tls_key_file);
    }
    free(conf->listen);
    free(conf->source_name);
    free(conf->origin.url);
    free(conf->origin.scheme);
    free(conf->origin.host);
    free(conf->origin.path);
    free(conf->admin.address);
    free(conf->redis.host);
    free(conf->redis.unix_path);
    free(conf->log.access_path);
    free(conf->log.error_path);
    for (size_t i = 0; i < conf->trackers.num_lists; ++i) {
        free(conf->trackers.lists[i].name);
        free(conf->trackers.lists[i].path);
    }
    free(conf->trackers.lists);
    for (size_t i = 0; i < conf->trackers.num_first_party_domains; ++i)
        free(conf->trackers.first_party_domains[i]);
    free(conf->trackers.first_party_domains);
    for (size_t i = 0; i < conf->trackers.num_strip_query_params; ++i)
        free(conf->trackers.strip_query_params[i]);
    free(conf->trackers.strip_query_params);
    for (size_t i = 0; i < conf->trackers.num_block_paths; ++i)
        free(conf->trackers.block_paths[i]);
    free(conf->trackers.block_paths);
    free(conf->trackers.signatures_path);
    for (size_t i = 0; i < conf->num_purposes; ++i) {
        omote_purpose_config_t *p = &conf->purposes[i];
        free(p->id);
        free(p->name_en);
        free(p->name_ja);
        free(p->description_en);
        free(p->description_ja);
        free_strings(p->cookies, p->num_cookies);
        free(p->cookie_lifetime_days);
    }
    free(conf->purposes);
    for (size_t i = 0; i < conf->num_vendors; ++i) {
        free(conf->vendors[i].name);
        free_strings(conf->vendors[i].hosts, conf->vendors[i].num_hosts);
        free_strings(conf->vendors[i].paths, conf->vendors[i].num_paths);
        free(conf->vendors[i].receives_en);
        free(conf->vendors[i].receives_ja);
    }
    free(conf->vendors);
    free_strings(conf->headers.permissions_policy_deny, conf->headers.num_permissions_policy_deny);
    for (size_t i = 0; i < conf->headers.num_csp_directives; ++i) {
        free(conf->headers.csp_directives[i].name);
        free_strings(conf->headers.csp_directives[i].sources, conf->headers.csp_directives[i].num_sources);
    }
    free(conf->headers.csp_directives);
    free_strings(conf->headers.csp_vendor_directives, conf->headers.num_csp_vendor_directives);
    free(conf->api.prefix);
    free(conf->banner.title_en);
    free(conf->banner.title_ja);
    free(conf->banner.text_en);
    free(conf->banner.text_ja);
    free(conf->privacy.retailer);
    free(conf->privacy.contact);
    free(conf->privacy.promise_en);
    free(conf->privacy.promise_ja);
    free(conf->consent.policy_version);
    free(conf->consent.cookie_name);
    free(conf->consent.identifier_cookie_name);
    free(conf->consent.keys_file);
    free(conf->consent.keys_env);
    omote_consent_keys_free(conf->consent.keys);
    free(conf);
}

/* ---- reload ---- */

struct st_change_list_t {
    char *buf;
    size_t size, used, count;
};

static void note_change(struct st_change_list_t *list, int differs, const char *name)
{
    if (!differs)
        return;
    if (list->size != 0) {
        int n = snprintf(list->buf + list->used, list->size - list->used, "%s%s", list->count != 0 ? ", " : "", name);
        list->used += n < 0 ? 0 : (size_t)n < list->size - list->used ? (size_t)n : list->size - list->used - 1;
    }
    ++list->count;
}

static int str_differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static int listen_differs(const omote_config_t *a, const omote_config_t *b)
{
    if (a->num_listen != b->num_listen)
        return 1;
    for (size_t i = 0; i < a->num_listen; ++i) {
        const omote_listen_config_t *x = &a->listen[i], *y = &b->listen[i];
        if (x->port != y->port || str_differs(x->address, y->address) ||
            str_differs(x->tls_certificate_file, y->tls_certificate_file) || str_differs(x->tls_key_file, y->tls_key_file))
            return 1;
    }
    return 0;
}

static int admin_differs(const omote_config_t *a, const omote_config_t *b)
{
    return a->admin.enabled != b->admin.enabled || a->admin.port != b->admin.port ||
           str_differs(a->admin.address, b->admin.address);
}

static int redis_differs(const omote_config_t *a, const omote_config_t *b)
{
    return str_differs(a->redis.host, b->redis.host) || a->redis.port != b->redis.port ||
           str_differs(a->redis.unix_path, b->redis.unix_path) || a->redis.connect_timeout_ms != b->redis.connect_timeout_ms ||
           a->redis.command_timeout_ms != b->redis.command_timeout_ms || a->redis.reconnect_min_ms != b->redis.reconnect_min_ms ||
           a->redis.reconnect_max_ms != b->redis.reconnect_max_ms;
}

size_t omote_config_restart_only_changes(const omote_config_t *running, const omote_config_t *loaded, char *buf, size_t bufsz)
{
    struct st_change_list_t list = {.buf = buf, .size = bufsz};
    if (bufsz != 0)
        buf[0] = '\0';
    /* sockets, threads and per-loop clients are set up once; everything else is read per request */
    note_change(&list, listen_differs(running, loaded), "listen");
    note_change(&list, running->threads != loaded->threads, "threads");
    note_change(&list, admin_differs(running, loaded), "admin");
    note_change(&list, redis_differs(running, loaded), "redis");
    note_change(&list, running->timeouts.request_ms != loaded->timeouts.request_ms, "timeouts.request_ms");
    note_change(&list, running->timeouts.http2_idle_ms != loaded->timeouts.http2_idle_ms, "timeouts.http2_idle_ms");
    note_change(&list, running->timeouts.handshake_ms != loaded->timeouts.handshake_ms, "timeouts.handshake_ms");
    note_change(&list,
                running->compression.enabled != loaded->compression.enabled ||
                    running->compression.min_bytes != loaded->compression.min_bytes ||
                    running->compression.gzip_level != loaded->compression.gzip_level,
                "compression");
    return list.count;
}

int omote_config_parse_log_level(const char *name, omote_log_level_t *level)
{
    for (size_t i = 0; i < NUM(level_names); ++i) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (omote_log_level_t)i;
            return 0;
        }
    }
    return -1;
}
