/*
 * Drives libh2o's HTTP/1.1 and HTTP/2 accept paths over a socketpair, with omote's worker built
 * by the server's own code (omote_runtime_start_detached_worker): the same globalconf, request
 * handler, response filters and access log, an origin link to the stub origin, and a Redis
 * client pointed at a unix path that does not exist, so every consent write fails closed at once.
 *
 * The driver plays the visitor from the same thread: it writes a piece, runs the loop a few
 * rounds, reads whatever came back, and so on; after the last piece it half-closes and waits
 * (bounded) for the server to close. Checked per input: the reply starts like a reply of the
 * protocol, no consent token or identifier is ever issued (Redis is down), the connection is
 * closed within the bound, and descriptors and origin connections do not pile up.
 */
#define _GNU_SOURCE /* memmem */
#include "stack_driver.h"
#include "fuzz.h"
#include "h2o.h"
#include "h2o/http1.h"
#include "h2o/http2.h"
#include "omote/consent_keys.h"
#include "omote/consent_token.h"
#include "omote/edge_guard.h"
#include "omote/glue.h"
#include "omote/log.h"
#include "omote/runtime.h"
#include "stub_origin.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS_PER_PIECE 4
#define MAX_CLOSING_ROUNDS 400 /* each waits at most 1 ms when nothing is ready */
#define MAX_LINGERING 4        /* connections still open after their input; they must close on their own */
#define MAX_FD 512             /* a leaked descriptor per input would pass this quickly */
#define MAX_ORIGIN_CONNECTIONS 160
#define MAX_KEPT_OUTPUT (4 * 1024 * 1024)

/* the consent key: fixed, so gen_h2o_corpus.py can sign tokens the stack accepts */
#define KEYS_ENV "OMOTE_FUZZ_CONSENT_KEYS"
#define KEYS_TEXT "fuzz AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static const char filter_list[] = "! fuzz list\n"
                                  "||tracker.example^\n"
                                  "||google-analytics.com^$third-party\n"
                                  "||www.facebook.com/tr^\n"
                                  "/pixel.gif?\n"
                                  "||static.hotjar.com^$script\n"
                                  "@@||tracker.example/allowed.js\n"
                                  "##.ad-banner\n";

static const char signatures[] = "Google Analytics | gtag('config'\n"
                                 "Meta Pixel | fbq('init'\n"
                                 "Unknown Vendor | _paq.push(\n";

static const char config_format[] =
    "{\"listen\": [{\"address\": \"127.0.0.1\", \"port\": 1}],\n"
    " \"origin\": {\"url\": \"http://127.0.0.1:%u/\", \"preserve_host\": true, \"connect_timeout_ms\": 1000,\n"
    "            \"io_timeout_ms\": 1000, \"keepalive_timeout_ms\": 2000},\n"
    " \"timeouts\": {\"request_ms\": 1000, \"http2_idle_ms\": 1000, \"handshake_ms\": 1000, \"drain_ms\": 1000},\n"
    " \"threads\": 1, \"admin\": {\"enabled\": false},\n"
    " \"redis\": {\"address\": \"unix:%s/no-redis/redis.sock\", \"connect_timeout_ms\": 50, \"command_timeout_ms\": 50,\n"
    "           \"reconnect_min_ms\": 100, \"reconnect_max_ms\": 1000},\n"
    " \"limits\": {\"header_count\": 40, \"header_bytes\": 16384, \"header_field_bytes\": 4096,\n"
    "            \"request_body_bytes\": 65536, \"api_body_bytes\": 4096},\n"
    " \"log\": {\"access\": null, \"error\": \"-\", \"level\": \"error\"},\n"
    " \"trackers\": {\"rewrite_html\": true, \"lists\": [{\"name\": \"fuzzlist\", \"path\": \"%s/list.txt\"}],\n"
    "              \"first_party_domains\": [\"static.shop.example\"], \"max_tag_bytes\": 4096, \"max_inspect_bytes\": 4096,\n"
    "              \"strip_query_params\": [\"utm_*\", \"fbclid\", \"gclid\"], \"block_paths\": [\"/collect\", \"/tp/*\"],\n"
    "              \"signatures\": \"%s/signatures.txt\", \"unknown_cookies\": \"block\"},\n"
    " \"purposes\": [\n"
    "   {\"id\": \"necessary\", \"strictly_necessary\": true, \"cookies\": [\"session\", \"cart\", \"cart_*\"]},\n"
    "   {\"id\": \"analytics\", \"needs_identifier\": true, \"cookies\": [\"_ga\", \"_ga_*\", \"_gid\", \"_hj*\"]},\n"
    "   {\"id\": \"marketing\", \"gpc\": true, \"cookies\": [\"_fbp\", \"_fbc\", \"_gcl_*\"]}],\n"
    " \"vendors\": [\n"
    "   {\"name\": \"Google Analytics\", \"purpose\": \"analytics\", \"hosts\": [\"googletagmanager.com\", "
    "\"google-analytics.com\"],\n"
    "    \"paths\": [\"/g/collect\"]},\n"
    "   {\"name\": \"Hotjar\", \"purpose\": \"analytics\", \"hosts\": [\"hotjar.com\"]},\n"
    "   {\"name\": \"Meta Pixel\", \"purpose\": \"marketing\", \"hosts\": [\"connect.facebook.net\", \"facebook.com\"]}],\n"
    " \"headers\": {\"permissions_policy_deny\": [\"browsing-topics\"],\n"
    "             \"csp\": {\"mode\": \"enforce\", \"directives\": {\"default-src\": [\"'self'\"]},\n"
    "                     \"vendor_directives\": [\"script-src\", \"img-src\"], \"report\": true}},\n"
    " \"compression\": {\"enabled\": true, \"min_bytes\": 64, \"gzip_level\": 1},\n"
    " \"api\": {\"prefix\": \"/_omote/\"},\n"
    " \"privacy\": {\"retailer\": \"Fuzz Shop\", \"contact\": \"privacy@shop.example\"},\n"
    " \"consent\": {\"policy_version\": \"fuzz-1\", \"lifetime_days\": 30, \"keys_env\": \"" KEYS_ENV "\"}}\n";

static const char http2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/*
 * Seeds that need a valid consent token carry one of these instead: a token expires, a seed must
 * not. Each is swapped for a token of the same length, signed at start-up (lengths checked), so
 * HTTP/2 frame and HPACK lengths stay right.
 */
#define GRANT_ALL_PLACEHOLDER "1.fuzz.GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG.MMMMMMMMMMMMMMMMMMMMMM"
#define REFUSAL_PLACEHOLDER "1.fuzz.RRRRRRRRRRRRRRRRRRRRRRRRRRR.MMMMMMMMMMMMMMMMMMMMMM"

static char grant_all_token[sizeof(GRANT_ALL_PLACEHOLDER)], refusal_token[sizeof(REFUSAL_PLACEHOLDER)];
static omote_worker_t *worker;
static h2o_accept_ctx_t accept_ctx;
static size_t num_server_open;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    must(fp != NULL && fputs(text, fp) >= 0 && fclose(fp) == 0);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static void mint(const omote_config_t *conf, uint32_t purposes, int has_record_id, char *out, size_t outsz)
{
    omote_consent_decision_t decision = {purposes, time(NULL) - 60};
    strcpy(decision.policy_version, conf->consent.policy_version);
    decision.has_record_id = has_record_id;
    memset(decision.record_id, 0x5a, sizeof(decision.record_id));
    int len =
        omote_consent_token_encode(omote_consent_keys_newest(conf->consent.keys), &decision, out, OMOTE_CONSENT_TOKEN_MAX_LEN + 1);
    must(len == (int)outsz - 1);
}

static void mint_tokens(const omote_config_t *conf)
{
    char buf[OMOTE_CONSENT_TOKEN_MAX_LEN + 1];
    mint(conf, (1u << conf->num_purposes) - 1, 1, buf, sizeof(grant_all_token));
    memcpy(grant_all_token, buf, sizeof(grant_all_token));
    mint(conf, 1, 0, buf, sizeof(refusal_token));
    memcpy(refusal_token, buf, sizeof(refusal_token));
}

static void replace_all(uint8_t *data, size_t size, const char *placeholder, const char *token)
{
    size_t len = strlen(placeholder);
    uint8_t *p = data, *end = data + size;
    while ((p = memmem(p, end - p, placeholder, len)) != NULL) {
        memcpy(p, token, len);
        p += len;
    }
}

/* Returns the input with placeholders swapped for tokens: `data` itself when it has none, else a copy to free. */
static const uint8_t *with_tokens(const uint8_t *data, size_t size)
{
    static const char common[] = "1.fuzz.";
    if (memmem(data, size, common, sizeof(common) - 1) == NULL)
        return data;
    uint8_t *copy = h2o_mem_alloc(size);
    memcpy(copy, data, size);
    replace_all(copy, size, GRANT_ALL_PLACEHOLDER, grant_all_token);
    replace_all(copy, size, REFUSAL_PLACEHOLDER, refusal_token);
    return copy;
}

/* The lists are read while the worker is built; the files are gone before the first input. */
static void setup(void)
{
    char dir[256], err[OMOTE_CONFIG_ERROR_TEXT_MAX];
    omote_config_t *conf;
    omote_config_error_t config_error;

    signal(SIGPIPE, SIG_IGN);
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/omote-fuzz-XXXXXX", tmp);
    must(mkdtemp(dir) != NULL);
    write_file(dir, "list.txt", filter_list);
    write_file(dir, "signatures.txt", signatures);
    setenv(KEYS_ENV, KEYS_TEXT, 1);

    uint16_t port = stub_origin_listen();
    size_t len = sizeof(config_format) + 4 * strlen(dir) + 8;
    char *text = h2o_mem_alloc(len);
    len = snprintf(text, len, config_format, port, dir, dir, dir);
    if (omote_config_load_string(text, len, "fuzz.json", &conf, &config_error) != 0) {
        fprintf(stderr, "stack_driver: %s\n", config_error.text);
        abort();
    }
    free(text);
    omote_log_setup(2, OMOTE_LOG_ERROR);
    /* the access log's formatting runs for every request, written where it costs nothing */
    must(omote_access_log_open("/dev/null", err, sizeof(err)) == 0);
    if ((worker = omote_runtime_start_detached_worker(conf, err, sizeof(err))) == NULL) {
        fprintf(stderr, "stack_driver: %s\n", err);
        abort();
    }
    remove_file(dir, "list.txt");
    remove_file(dir, "signatures.txt");
    rmdir(dir);
    stub_origin_serve(worker->loop);
    mint_tokens(worker->gen->config);
    accept_ctx.ctx = &worker->ctx;
    accept_ctx.hosts = worker->ctx.globalconf->hosts;
}

/* --- the visitor's side ------------------------------------------------------------------- */

struct st_visit_t {
    int fd; /* the visitor's end of the socketpair */
    int server_closed;
    int is_http2;
    int may_get_identifier; /* the input carries a token granting every purpose */
    h2o_buffer_t *output;   /* what came back, the first MAX_KEPT_OUTPUT bytes */
    size_t output_total;
};

static void on_server_close(void *data)
{
    struct st_visit_t *visit = data;
    visit->server_closed = 1;
    --num_server_open;
}

static void on_lingering_close(void *data)
{
    --num_server_open;
}

static void drain(struct st_visit_t *visit)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(visit->fd, buf, sizeof(buf))) > 0) {
        if (visit->output_total < MAX_KEPT_OUTPUT) {
            h2o_iovec_t room = h2o_buffer_reserve(&visit->output, n);
            memcpy(room.base, buf, n);
            visit->output->size += n;
        }
        visit->output_total += n;
    }
}

static void round_trip(struct st_visit_t *visit, int32_t max_wait_ms)
{
    h2o_evloop_run(worker->loop, max_wait_ms);
    drain(visit);
}

/* writes one piece; a full socket buffer is emptied by the server as the loop runs */
static void send_piece(struct st_visit_t *visit, const char *p, size_t len)
{
    for (int tries = 0; len != 0 && tries != 1000 && !visit->server_closed; ++tries) {
        ssize_t n = write(visit->fd, p, len);
        if (n > 0) {
            p += n;
            len -= n;
        } else if (n == -1 && errno != EAGAIN && errno != EINTR) {
            return; /* the server has gone away: what is left is never read */
        }
        if (len != 0)
            round_trip(visit, 1);
    }
}

/* whether a Set-Cookie of `name` with a value (not an expiring, empty one) is in the output */
static int sets_cookie(const char *out, size_t len, const char *name)
{
    char field[64];
    size_t n = snprintf(field, sizeof(field), "\r\nset-cookie: %s=", name);
    for (size_t i = 0; i + n < len; ++i)
        if (strncasecmp(out + i, field, n) == 0 && out[i + n] != ';' && out[i + n] != '\r')
            return 1;
    return 0;
}

static void check_output(const struct st_visit_t *visit)
{
    const char *out = visit->output->bytes;
    size_t len = visit->output->size;

    if (len == 0)
        return;
    if (visit->is_http2) {
        /* the server's connection preface is a SETTINGS frame on stream 0 */
        must(len >= 9 && out[3] == 4 && (out[5] & 0x7f) == 0 && out[6] == 0 && out[7] == 0 && out[8] == 0);
        return;
    }
    must(len >= 9 && memcmp(out, "HTTP/1.1 ", 9) == 0);
    /* Redis is unreachable: no decision can be recorded, so no consent token may be set (fail closed) */
    must(!sets_cookie(out, len, "omote_consent") && !sets_cookie(out, len, "__Host-omote_consent"));
    /* an identifier comes only with a valid token (from an earlier, recorded decision) granting a purpose that needs one */
    if (!visit->may_get_identifier)
        must(!sets_cookie(out, len, "omote_id") && !sets_cookie(out, len, "__Host-omote_id"));
}

static void feed_pieces(struct st_visit_t *visit, const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    size_t marker_len = sizeof(STACK_DRIVER_MARKER) - 1;

    if (visit->is_http2)
        send_piece(visit, http2_preface, sizeof(http2_preface) - 1);
    while (p < end && !visit->server_closed) {
        const char *cut = memmem(p, end - p, STACK_DRIVER_MARKER, marker_len);
        size_t len = cut != NULL ? (size_t)(cut - p) : (size_t)(end - p);
        send_piece(visit, p, len);
        for (int i = 0; i != ROUNDS_PER_PIECE; ++i)
            round_trip(visit, 0);
        p += len + (cut != NULL ? marker_len : 0);
    }
}

void stack_driver_feed(const uint8_t *data, size_t size, int is_http2)
{
    int pair[2];

    if (worker == NULL)
        setup();
    must(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) == 0);
    must(pair[0] < MAX_FD && pair[1] < MAX_FD);

    struct st_visit_t visit = {pair[0], 0, is_http2};
    h2o_buffer_init(&visit.output, &h2o_socket_buffer_prototype);
    h2o_socket_t *sock = h2o_evloop_socket_create(worker->loop, pair[1], 0);
    sock->on_close.cb = on_server_close;
    sock->on_close.data = &visit;
    ++num_server_open;
    /* the way a public listener's connection goes: through omote's edge guard (caps, frame ledger) */
    must(omote_guard_adopt(&accept_ctx, sock, is_http2) == 0);

    const uint8_t *input = with_tokens(data, size);
    visit.may_get_identifier =
        input != data && memmem(data, size, GRANT_ALL_PLACEHOLDER, sizeof(GRANT_ALL_PLACEHOLDER) - 1) != NULL;
    feed_pieces(&visit, input, size);
    if (input != data)
        free((void *)input);
    shutdown(visit.fd, SHUT_WR);
    for (int i = 0; i != MAX_CLOSING_ROUNDS && !visit.server_closed; ++i)
        round_trip(&visit, 1);
    if (visit.server_closed)
        check_output(&visit);
    if (getenv("STACK_DRIVER_VERBOSE") != NULL) { /* for writing seeds: what came back, and how it ended */
        fwrite(visit.output->bytes, 1, visit.output->size, stderr);
        fprintf(stderr, "\n-- %zu bytes back, server %s, origin requests so far %llu, origin connections open %zu\n",
                visit.output_total, visit.server_closed ? "closed" : "still open", (unsigned long long)stub_origin_num_requests(),
                stub_origin_num_open());
    }
    close(visit.fd);
    if (!visit.server_closed) {
        /* `visit` dies here; a connection still open must close by itself (its timeouts) */
        sock->on_close.cb = on_lingering_close;
        sock->on_close.data = NULL;
    }
    h2o_buffer_dispose(&visit.output);
    must(num_server_open <= MAX_LINGERING);
    must(stub_origin_num_open() <= MAX_ORIGIN_CONNECTIONS);
}
