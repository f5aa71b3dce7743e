/*
 * A small HTTP/1.1 origin for the h2o fuzz drivers. It runs on the driver's loop, so a whole
 * exchange (visitor -> omote -> origin -> omote -> visitor) completes within a few loop rounds
 * and never depends on another thread's timing.
 *
 * Each request head is checked against omote's promises to the origin (src/glue/request.c,
 * src/upstream/upstream.c): a head that parses, no field a client could have smuggled in, none
 * of omote's own cookies, exactly one Omote-Consent. The answer is picked by the first path
 * segment: HTML pages with tracker tags (plain, gzip, deflate, chunked, until close, XHTML), a
 * script with Set-Cookie, a 204, a 304, a redirect, a large page and a malformed head.
 */
#define _GNU_SOURCE /* memmem */
#include "stub_origin.h"
#include "fuzz.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_HEAD_BYTES (128 * 1024) /* omote's limits keep every head far below this */
#define MAX_BODY_BYTES (1024 * 1024)

static const char page[] =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shop &amp; more</title>\n"
    "<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-FUZZ\"></script>\n"
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('config','G-FUZZ');</script>\n"
    "<script>!function(f,b){f.fbq=function(){};}(window,document);fbq('init','1234');</script>\n"
    "<link rel=\"stylesheet\" href=\"/static/site.css\"><link rel=\"preconnect\" href=\"https://connect.facebook.net\">\n"
    "<style>body{font:16px sans-serif}</style></head>\n"
    "<body class=\"home\"><h1 id=t>Shop</h1><p title='x>y'>Welcome &lt;back&gt;</p>\n"
    "<img src=\"https://tracker.example/pixel.gif?u=1\" width=\"1\" height=\"1\" alt=\"\">\n"
    "<iframe src=\"https://www.googletagmanager.com/ns.html?id=GTM-FUZZ\" height=0 width=0></iframe>\n"
    "<noscript><img src=\"https://www.facebook.com/tr?id=1234&amp;ev=PageView\"></noscript>\n"
    "<script src=\"https://static.hotjar.com/c/hotjar-1.js\"></script><script src=\"/static/app.js\"></script>\n"
    "<!-- <script src=\"https://tracker.example/c.js\"></script> --><a href=\"/next?utm_source=x&amp;id=2\">next</a>\n"
    "<textarea><script src=\"https://tracker.example/t.js\"></script></textarea><svg><script>fbq('track')</script></svg>\n"
    "</body></html>\n";

static const char html_fields[] = "Content-Type: text/html; charset=utf-8\r\n"
                                  "Set-Cookie: session=s1; Path=/; HttpOnly\r\n"
                                  "Set-Cookie: _ga=GA1.1.123.456; Path=/; Max-Age=63072000\r\n"
                                  "Set-Cookie: _fbp=fb.1.123.456; Path=/\r\n"
                                  "Set-Cookie: mystery=1; Path=/\r\n"
                                  "ETag: \"page-1\"\r\nCache-Control: no-cache\r\n";

struct st_response_t {
    const char *prefix; /* first path segment that selects it; "" for the default */
    h2o_iovec_t bytes;
    int closes; /* the origin closes the connection after it */
};

static struct st_response_t responses[16];
static size_t num_responses, num_open;
static uint64_t num_requests;
static int listen_fd = -1;
static h2o_socket_t *listener;

struct st_origin_conn_t {
    h2o_socket_t *sock;
    int closing;
    h2o_linklist_t link; /* in `conns`: the loop alone does not keep an idle socket reachable for LeakSanitizer */
};

static h2o_linklist_t conns = {&conns, &conns};

static h2o_iovec_t concat(const char *head, const char *body, size_t body_len)
{
    size_t head_len = strlen(head);
    char *buf = h2o_mem_alloc(head_len + body_len);
    memcpy(buf, head, head_len);
    memcpy(buf + head_len, body, body_len);
    return h2o_iovec_init(buf, head_len + body_len);
}

/* zlib's deflate with the given window bits: 31 for gzip, 15 for the zlib wrapper ("deflate") */
static h2o_iovec_t compressed_page(int window_bits, size_t *len)
{
    z_stream zs = {0};
    size_t cap = deflateBound(&zs, sizeof(page)) + 64;
    unsigned char *out = h2o_mem_alloc(cap);
    must(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in = (unsigned char *)page;
    zs.avail_in = sizeof(page) - 1;
    zs.next_out = out;
    zs.avail_out = cap;
    must(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    *len = zs.total_out;
    deflateEnd(&zs);
    return h2o_iovec_init(out, *len);
}

static void add_response(const char *prefix, const char *head, const char *body, size_t body_len, int closes)
{
    must(num_responses < sizeof(responses) / sizeof(responses[0]));
    responses[num_responses++] = (struct st_response_t){prefix, concat(head, body, body_len), closes};
}

static void add_html(const char *prefix, const char *extra_fields, const char *body, size_t body_len)
{
    char head[1024];
    snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n%s%sContent-Length: %zu\r\n\r\n", html_fields, extra_fields, body_len);
    add_response(prefix, head, body, body_len, 0);
}

/* the page cut into chunks at odd places, some inside tags */
static void add_chunked(void)
{
    static const size_t cuts[] = {1, 17, 90, 91, 300, 555, 800};
    char body[sizeof(page) * 2], head[1024];
    size_t len = 0, at = 0;
    for (size_t i = 0; i <= sizeof(cuts) / sizeof(cuts[0]); ++i) {
        size_t end = i < sizeof(cuts) / sizeof(cuts[0]) ? cuts[i] : sizeof(page) - 1;
        len += sprintf(body + len, "%zx\r\n", end - at);
        memcpy(body + len, page + at, end - at);
        len += end - at;
        len += sprintf(body + len, "\r\n");
        at = end;
    }
    len += sprintf(body + len, "0\r\n\r\n");
    snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\n\r\n", html_fields);
    add_response("chunked", head, body, len, 0);
}

static void build_responses(void)
{
    size_t len;
    h2o_iovec_t gz = compressed_page(31, &len), zl = compressed_page(15, &len);
    add_html("gzip", "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n", gz.base, gz.len);
    add_html("deflate", "Content-Encoding: deflate\r\n", zl.base, zl.len);
    free(gz.base);
    free(zl.base);
    add_chunked();

    char head[1024];
    snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n", html_fields);
    add_response("close", head, page, sizeof(page) - 1, 1);
    snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/xhtml+xml\r\nContent-Length: %zu\r\n\r\n",
             sizeof(page) - 1);
    add_response("xhtml", head, page, sizeof(page) - 1, 0);

    static const char script[] = "(function(){document.cookie='a=1'})();\n";
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\nSet-Cookie: _ga=GA1.1.1; Path=/\r\n"
             "Set-Cookie: cart=3; Path=/\r\nSet-Cookie: _fbp=x\r\nContent-Length: %zu\r\n\r\n",
             sizeof(script) - 1);
    add_response("script.js", head, script, sizeof(script) - 1, 0);
    add_response("empty", "HTTP/1.1 204 No Content\r\nSet-Cookie: _gid=1\r\n\r\n", "", 0, 0);
    add_response("cached", "HTTP/1.1 304 Not Modified\r\nETag: \"page-1\"\r\n\r\n", "", 0, 0);
    add_response("redirect", "HTTP/1.1 302 Found\r\nLocation: /?utm_campaign=x\r\nContent-Length: 0\r\n\r\n", "", 0, 0);
    add_response("bad", "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", "", 0, 1);

    /* larger than the upstream read budget's ceiling (256 KiB), so omote's backpressure engages */
    size_t copies = 320 * 1024 / (sizeof(page) - 1) + 1;
    char *big = h2o_mem_alloc(copies * (sizeof(page) - 1));
    for (size_t i = 0; i != copies; ++i)
        memcpy(big + i * (sizeof(page) - 1), page, sizeof(page) - 1);
    add_html("big", "", big, copies * (sizeof(page) - 1));
    free(big);

    add_html("", "", page, sizeof(page) - 1);
}

static const struct st_response_t *choose(const char *target, size_t len)
{
    size_t seg = 0;
    if (len != 0 && target[0] == '/')
        ++target, --len;
    while (seg < len && target[seg] != '/' && target[seg] != '?')
        ++seg;
    for (size_t i = 0; i != num_responses; ++i)
        if (responses[i].prefix[0] == '\0' || (strlen(responses[i].prefix) == seg && memcmp(responses[i].prefix, target, seg) == 0))
            return responses + i;
    abort();
}

/* --- what omote promises the origin ------------------------------------------------------ */

static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int name_is(const char *name, size_t len, const char *lit)
{
    return strlen(lit) == len && strncasecmp(name, lit, len) == 0;
}

/* omote's own cookies never reach the origin, under either spelling (request.c) */
static void check_cookie_header(const char *v, size_t len)
{
    static const char *const own[] = {"omote_consent", "omote_id", "__Host-omote_consent", "__Host-omote_id"};
    size_t at = 0;
    while (at < len) {
        while (at < len && (v[at] == ' ' || v[at] == ';'))
            ++at;
        size_t start = at;
        while (at < len && v[at] != '=' && v[at] != ';')
            ++at;
        for (size_t i = 0; i != sizeof(own) / sizeof(own[0]); ++i)
            must(!(strlen(own[i]) == at - start && memcmp(own[i], v + start, at - start) == 0));
        while (at < len && v[at] != ';')
            ++at;
    }
}

/* "analytics=1, marketing=0": one id=0|1 per purpose that is not strictly necessary */
static void check_consent_header(const char *v, size_t len)
{
    size_t at = 0;
    for (;;) {
        size_t start = at;
        while (at < len && v[at] != '=') {
            must(is_tchar(v[at]));
            ++at;
        }
        must(at > start && at + 1 < len && (v[at + 1] == '0' || v[at + 1] == '1'));
        if ((at += 2) == len)
            return;
        must(len - at > 2 && v[at] == ',' && v[at + 1] == ' ');
        at += 2;
    }
}

struct st_head_counts_t {
    size_t host, content_length, consent, id, cookie, forwarded_for, forwarded_proto, via;
};

static void check_field(const char *name, size_t name_len, const char *value, size_t value_len, struct st_head_counts_t *n,
                        size_t *content_length)
{
    static const char *const never[] = {"transfer-encoding", "connection", "keep-alive", "upgrade",       "te",
                                        "proxy-connection",  "forwarded",  "expect",     "http2-settings"};
    must(name_len != 0);
    for (size_t i = 0; i != name_len; ++i)
        must(is_tchar(name[i]));
    for (size_t i = 0; i != value_len; ++i)
        must(value[i] != '\r' && value[i] != '\n' && value[i] != '\0');
    for (size_t i = 0; i != sizeof(never) / sizeof(never[0]); ++i)
        must(!name_is(name, name_len, never[i]));
    if (name_is(name, name_len, "host")) {
        ++n->host;
    } else if (name_is(name, name_len, "content-length")) {
        ++n->content_length;
        *content_length = 0;
        must(value_len != 0 && value_len < 10);
        for (size_t i = 0; i != value_len; ++i) {
            must(value[i] >= '0' && value[i] <= '9');
            *content_length = *content_length * 10 + (value[i] - '0');
        }
    } else if (name_is(name, name_len, "omote-consent")) {
        ++n->consent;
        check_consent_header(value, value_len);
    } else if (name_is(name, name_len, "omote-id")) {
        ++n->id;
    } else if (name_is(name, name_len, "cookie")) {
        ++n->cookie;
        check_cookie_header(value, value_len);
    } else if (name_is(name, name_len, "x-forwarded-for")) {
        ++n->forwarded_for;
    } else if (name_is(name, name_len, "x-forwarded-proto")) {
        ++n->forwarded_proto;
    } else if (name_is(name, name_len, "via")) {
        ++n->via;
    }
}

/* Checks one request head (CRLF CRLF included); returns the length of the body that follows. */
static size_t check_head(const char *head, size_t len, const char **target, size_t *target_len)
{
    const char *end = head + len - 2, *p = head;
    size_t content_length = 0;
    struct st_head_counts_t n = {0};

    /* request line: method SP target SP HTTP/1.1, nothing a client could use to start a second line */
    while (p < end && is_tchar(*p))
        ++p;
    must(p > head && p < end && *p == ' ');
    *target = ++p;
    while (p < end && (unsigned char)*p > 0x20 && *p != 0x7f)
        ++p;
    *target_len = p - *target;
    must(*target_len != 0 && end - p >= 11 && memcmp(p, " HTTP/1.1\r\n", 11) == 0);
    p += 11;
    while (p < end) {
        const char *eol = memmem(p, end - p + 2, "\r\n", 2), *colon = memchr(p, ':', eol - p);
        must(colon != NULL && colon + 1 < eol && colon[1] == ' ');
        check_field(p, colon - p, colon + 2, eol - colon - 2, &n, &content_length);
        p = eol + 2;
    }
    must(n.host == 1 && n.content_length <= 1 && n.consent == 1 && n.id <= 1 && n.cookie <= 1);
    must(n.forwarded_for <= 1 && n.forwarded_proto == 1 && n.via == 1);
    must(content_length <= MAX_BODY_BYTES);
    ++num_requests;
    return content_length;
}

/* --- serving ---------------------------------------------------------------------------- */

static void on_read(h2o_socket_t *sock, const char *err);

static void close_conn(h2o_socket_t *sock)
{
    struct st_origin_conn_t *conn = sock->data;
    h2o_linklist_unlink(&conn->link);
    free(conn);
    h2o_socket_close(sock);
    --num_open;
}

static void serve_next(h2o_socket_t *sock);

static void on_written(h2o_socket_t *sock, const char *err)
{
    struct st_origin_conn_t *conn = sock->data;
    if (err != NULL || conn->closing) {
        close_conn(sock);
        return;
    }
    h2o_socket_read_start(sock, on_read);
    serve_next(sock);
}

/* answers the first complete request in the input, if there is one */
static void serve_next(h2o_socket_t *sock)
{
    struct st_origin_conn_t *conn = sock->data;
    const char *in = sock->input->bytes, *target;
    size_t target_len;

    if (sock->input->size == 0)
        return;
    const char *eoh = memmem(in, sock->input->size, "\r\n\r\n", 4);
    if (eoh == NULL) {
        must(sock->input->size < MAX_HEAD_BYTES);
        return;
    }
    size_t head_len = eoh + 4 - in;
    size_t body_len = check_head(in, head_len, &target, &target_len);
    if (sock->input->size < head_len + body_len)
        return;
    const struct st_response_t *res = choose(target, target_len);
    int is_head = memcmp(in, "HEAD ", 5) == 0;
    h2o_buffer_consume(&sock->input, head_len + body_len);
    conn->closing = res->closes;
    h2o_iovec_t buf = res->bytes;
    /* a HEAD response has no body; omote must not wait for one */
    if (is_head) {
        const char *body = memmem(buf.base, buf.len, "\r\n\r\n", 4);
        buf.len = body + 4 - buf.base;
    }
    h2o_socket_read_stop(sock);
    h2o_socket_write(sock, &buf, 1, on_written);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    if (err != NULL) {
        close_conn(sock);
        return;
    }
    serve_next(sock);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;
    if (err != NULL)
        return;
    while ((sock = h2o_evloop_socket_accept(listener)) != NULL) {
        struct st_origin_conn_t *conn = h2o_mem_alloc(sizeof(*conn));
        *conn = (struct st_origin_conn_t){sock};
        h2o_linklist_insert(&conns, &conn->link);
        sock->data = conn;
        ++num_open;
        h2o_socket_read_start(sock, on_read);
    }
}

uint16_t stub_origin_listen(void)
{
    struct sockaddr_in addr = {0};
    socklen_t addrlen = sizeof(addr);

    build_responses();
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    must(listen_fd != -1 && bind(listen_fd, (void *)&addr, sizeof(addr)) == 0 && listen(listen_fd, 128) == 0);
    must(getsockname(listen_fd, (void *)&addr, &addrlen) == 0);
    return ntohs(addr.sin_port);
}

void stub_origin_serve(h2o_loop_t *loop)
{
    listener = h2o_evloop_socket_create(loop, listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(listener, on_accept);
}

size_t stub_origin_num_open(void)
{
    return num_open;
}

uint64_t stub_origin_num_requests(void)
{
    return num_requests;
}
