/*
 * The running server: worker threads (one h2o event loop each, with their own listening
 * sockets), the admin thread, configuration generations, and the main thread's signal loop.
 *
 * Reload: the main thread validates the new file, builds a generation and sends it to every
 * thread as a message. A worker switches new requests to it at once; requests already handed
 * to the origin finish with the link they started on, which is freed after the last of them.
 * No socket is closed, so no connection is dropped. Settings h2o fixes per context (listeners,
 * threads, client timeouts, admin, Redis) are reported as needing a restart and left as they were.
 *
 * Shutdown (SIGTERM/SIGINT): every thread closes its listeners, asks h2o to wind connections
 * down (GOAWAY on HTTP/2, no keep-alive on HTTP/1.1), and leaves its loop once no proxied
 * request is in flight or timeouts.drain_ms has passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "h2o.h"
#include "h2o/http1.h"
#include "h2o/http2.h"
#include "internal.h"
#include "omote/edge_guard.h"
#include "omote/glue.h"
#include "omote/log.h"
#include "omote/policy.h"
#include "omote/redis.h"
#include "omote/runtime.h"
#include "omote/rules.h"
#include "omote/tracker.h"
#include "omote/ui.h"
#include "omote/upstream.h"
#include <netdb.h>

#define MODULE "omote/server"
#define STOP_CHECK_MS 50

omote_runtime_t omote_runtime;

enum { CONTROL_ADOPT, CONTROL_STOP };

struct st_control_message_t {
    h2o_multithread_message_t super;
    int kind;
    omote_generation_t *gen; /* CONTROL_ADOPT: a reference handed to the receiver */
};

static h2o_globalconf_t proxy_globalconf, admin_globalconf;
static volatile int threads_running;
static volatile int threads_listening; /* workers whose control receiver is registered */

/* --- generations ------------------------------------------------------------------------ */

void omote_generation_retain(omote_generation_t *gen)
{
    __atomic_add_fetch(&gen->refs, 1, __ATOMIC_RELAXED);
}

void omote_generation_release(omote_generation_t *gen)
{
    if (__atomic_sub_fetch(&gen->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (gen->origin_ssl_ctx != NULL)
        SSL_CTX_free(gen->origin_ssl_ctx);
    omote_rules_free(gen->rules);
    free(gen->list_stats);
    omote_policy_free(gen->policy);
    omote_ui_snippets_free(gen->ui_snippets);
    free(gen->origin.host.base);
    free(gen->origin.authority.base);
    free(gen->origin.path.base);
    omote_config_free(gen->config);
    free(gen);
}

/*
 * Resolves the origin once per generation, on the main thread: the request path never waits on
 * DNS, and a name that stops resolving fails a reload instead of every request.
 */
static int resolve_origin(const omote_config_t *conf, struct sockaddr_storage *addr, socklen_t *addrlen, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res;
    char port[8];
    int rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", conf->origin.port);
    if ((rc = getaddrinfo(conf->origin.host, port, &hints, &res)) != 0) {
        snprintf(err, errlen, "origin.url: cannot resolve %s: %s", conf->origin.host, gai_strerror(rc));
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static char *read_whole_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 > cap && (text = realloc(text, cap = cap * 2 + 65536)) == NULL)
            abort();
        size_t n = fread(text + *len, 1, cap - *len, fp);
        *len += n;
        if (n == 0)
            break;
    }
    fclose(fp);
    return text;
}

/* Reads and compiles trackers.lists; logs what each list held and what was skipped. */
omote_rules_t *omote_runtime_load_rules(const omote_config_t *conf, omote_rules_stats_t *list_stats, char *err, size_t errlen)
{
    omote_rules_t *rules = omote_rules_create();
    for (size_t i = 0; i != conf->trackers.num_lists; ++i) {
        omote_rules_stats_t stats = {0};
        size_t len;
        char *text = read_whole_file(conf->trackers.lists[i].path, &len);
        if (text == NULL) {
            snprintf(err, errlen, "trackers.lists[%zu].path: cannot read %s: %s", i, conf->trackers.lists[i].path,
                     strerror(errno));
            omote_rules_free(rules);
            return NULL;
        }
        omote_rules_add_list(rules, conf->trackers.lists[i].name, text, len, &stats);
        free(text);
        list_stats[i] = stats;
        size_t cosmetic = 0;
        for (size_t k = 0; k != OMOTE_RULES_COSMETIC_COUNT; ++k)
            cosmetic += stats.cosmetic[k];
        omote_log(OMOTE_LOG_INFO, MODULE, "event=rules_loaded list=%s lines=%zu filters=%zu exceptions=%zu cosmetic_skipped=%zu "
                  "unsupported_skipped=%zu", conf->trackers.lists[i].name, stats.lines, stats.filters, stats.exceptions, cosmetic,
                  stats.skipped);
    }
    omote_rules_compile(rules);
    return rules;
}

/* Compiles purposes, vendors and the loader signatures file; a malformed signature line refuses the configuration. */
omote_policy_t *omote_runtime_load_policy(const omote_config_t *conf, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = NULL;
    const char *path = conf->trackers.signatures_path;
    if (path != NULL && (text = read_whole_file(path, &len)) == NULL) {
        snprintf(err, errlen, "trackers.signatures: cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    omote_policy_t *policy = omote_policy_create(conf, text, len, path != NULL ? path : "", err, errlen);
    free(text);
    if (policy == NULL)
        return NULL;
    if (path != NULL)
        omote_log(OMOTE_LOG_INFO, MODULE, "event=signatures_loaded path=%s signatures=%zu", path, omote_policy_num_signatures(policy));
    return policy;
}

/* Builds a generation owning `conf`, or returns NULL with `err` (and frees nothing). */
static omote_generation_t *generation_create(omote_config_t *conf, uint64_t id, char *err, size_t errlen)
{
    h2o_url_t parsed;
    SSL_CTX *ssl_ctx = NULL;

    if (h2o_url_parse(conf->origin.url, SIZE_MAX, &parsed) != 0) {
        snprintf(err, errlen, "origin.url: %s cannot be used as an upstream URL", conf->origin.url);
        return NULL;
    }
    struct sockaddr_storage addr;
    socklen_t addrlen;
    if (resolve_origin(conf, &addr, &addrlen, err, errlen) != 0)
        return NULL;
    omote_rules_stats_t *list_stats = h2o_mem_alloc(sizeof(*list_stats) * (conf->trackers.num_lists + 1));
    omote_rules_t *rules = omote_runtime_load_rules(conf, list_stats, err, errlen);
    if (rules == NULL) {
        free(list_stats);
        return NULL;
    }
    omote_policy_t *policy = omote_runtime_load_policy(conf, err, errlen);
    if (policy == NULL || (parsed.scheme == &H2O_URL_SCHEME_HTTPS && (ssl_ctx = omote_tls_create_origin_client(err, errlen)) == NULL)) {
        omote_policy_free(policy);
        omote_rules_free(rules);
        free(list_stats);
        return NULL;
    }

    omote_generation_t *gen = h2o_mem_alloc(sizeof(*gen));
    *gen = (omote_generation_t){id, conf};
    gen->origin_addr = addr;
    gen->origin_addrlen = addrlen;
    h2o_url_copy(NULL, &gen->origin, &parsed);
    gen->origin_ssl_ctx = ssl_ctx;
    gen->rules = rules;
    gen->list_stats = list_stats;
    gen->policy = policy;
    gen->ui_snippets = conf->banner.enabled ? omote_ui_snippets_create(conf) : NULL;
    gen->refs = 1;
    return gen;
}

/* --- per-worker origin links ------------------------------------------------------------- */

static omote_origin_link_t *link_create(omote_worker_t *worker, omote_generation_t *gen)
{
    omote_origin_link_t *link = h2o_mem_alloc(sizeof(*link));

    *link = (omote_origin_link_t){gen};
    omote_generation_retain(gen);
    link->upstream = omote_upstream_create(worker->ctx.loop, gen, &worker->metrics);
    return link;
}

static void link_free(omote_worker_t *worker, omote_origin_link_t *link)
{
    omote_upstream_free(link->upstream);
    omote_generation_release(link->gen);
    free(link);
}

void omote_origin_link_retain(omote_worker_t *worker, omote_origin_link_t *link)
{
    ++link->inflight;
    ++worker->inflight;
}

static void on_reap(h2o_timeout_entry_t *entry)
{
    omote_worker_t *worker = H2O_STRUCT_FROM_MEMBER(omote_worker_t, reap_entry, entry);
    while (!h2o_linklist_is_empty(&worker->reapable_origins)) {
        omote_origin_link_t *link = H2O_STRUCT_FROM_MEMBER(omote_origin_link_t, retired, worker->reapable_origins.next);
        h2o_linklist_unlink(&link->retired);
        link_free(worker, link);
    }
}

/*
 * A link's last request can end inside one of the link's own timer callbacks (a 504 is written
 * and the request disposed before h2o_timeout_run returns), so a link is never freed on the
 * spot: it is queued and freed from the context's zero timeout, from a stack it is not on.
 */
static void retire_when_idle(omote_worker_t *worker, omote_origin_link_t *link)
{
    if (h2o_linklist_is_linked(&link->retired))
        h2o_linklist_unlink(&link->retired);
    h2o_linklist_insert(&worker->reapable_origins, &link->retired);
    if (!h2o_timeout_is_linked(&worker->reap_entry))
        h2o_timeout_link(worker->ctx.loop, &worker->ctx.zero_timeout, &worker->reap_entry);
}

void omote_origin_link_release(omote_worker_t *worker, omote_origin_link_t *link)
{
    --worker->inflight;
    if (--link->inflight == 0 && h2o_linklist_is_linked(&link->retired))
        retire_when_idle(worker, link);
}

void omote_worker_adopt_generation(omote_worker_t *worker, omote_generation_t *gen)
{
    omote_generation_t *old_gen = worker->gen;

    omote_generation_retain(gen);
    worker->gen = gen;
    if (old_gen != NULL)
        omote_generation_release(old_gen);
    if (worker->is_admin)
        return;

    omote_origin_link_t *old = worker->origin;
    worker->origin = link_create(worker, gen);
    if (old == NULL)
        return;
    if (old->inflight == 0) {
        retire_when_idle(worker, old);
    } else {
        h2o_linklist_insert(&worker->retired_origins, &old->retired);
    }
}

/* --- accepting ------------------------------------------------------------------------- */

static void on_connection_close(void *data)
{
    omote_worker_t *worker = data;
    omote_metrics_add(&worker->metrics.connections_closed, 1);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_accept_ctx_t *accept_ctx = listener->data;
    omote_worker_t *worker = omote_worker_of(accept_ctx->ctx);

    if (err != NULL)
        return;
    /* a few per wake-up: fair to the connections already open, cheaper than one epoll round each */
    for (int i = 0; i != 16; ++i) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        omote_metrics_add(&worker->metrics.connections_accepted, 1);
        sock->on_close.cb = on_connection_close;
        sock->on_close.data = worker;
        h2o_accept(accept_ctx, sock);
    }
}

/* --- control messages and shutdown ------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void close_listeners(omote_worker_t *worker)
{
    for (size_t i = 0; i != worker->num_listeners; ++i) {
        if (worker->listeners[i] == NULL)
            continue;
        h2o_socket_read_stop(worker->listeners[i]);
        h2o_socket_close(worker->listeners[i]);
        worker->listeners[i] = NULL;
    }
}

static void on_stop_check(h2o_timeout_entry_t *entry)
{
    omote_worker_t *worker = H2O_STRUCT_FROM_MEMBER(omote_worker_t, stop_check, entry);

    if (worker->inflight == 0 || now_ms() >= worker->stop_deadline_ms) {
        if (worker->inflight != 0)
            omote_log(OMOTE_LOG_WARN, MODULE, "event=drain_timeout thread=%u abandoned=%zu", worker->index, worker->inflight);
        worker->stopping = 2; /* leave the loop */
        return;
    }
    h2o_timeout_link(worker->ctx.loop, &worker->stop_check_timeout, &worker->stop_check);
}

static void begin_stop(omote_worker_t *worker)
{
    if (worker->stopping)
        return;
    worker->stopping = 1;
    worker->stop_deadline_ms = now_ms() + worker->gen->config->timeouts.drain_ms;
    close_listeners(worker);
    h2o_context_request_shutdown(&worker->ctx);
    h2o_timeout_link(worker->ctx.loop, &worker->stop_check_timeout, &worker->stop_check);
}

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    omote_worker_t *worker = H2O_STRUCT_FROM_MEMBER(omote_worker_t, control, receiver);

    while (!h2o_linklist_is_empty(messages)) {
        struct st_control_message_t *msg = H2O_STRUCT_FROM_MEMBER(struct st_control_message_t, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        if (msg->kind == CONTROL_ADOPT) {
            omote_worker_adopt_generation(worker, msg->gen);
            omote_generation_release(msg->gen);
        } else {
            begin_stop(worker);
        }
        free(msg);
    }
}

static void send_control(omote_worker_t *worker, int kind, omote_generation_t *gen)
{
    struct st_control_message_t *msg = h2o_mem_alloc(sizeof(*msg));
    *msg = (struct st_control_message_t){{{NULL}}, kind, gen};
    if (gen != NULL)
        omote_generation_retain(gen);
    h2o_multithread_send_message(&worker->control, &msg->super);
}

/* --- worker threads --------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
    omote_worker_t *worker = arg;

    h2o_context_init(&worker->ctx, worker->loop, worker->is_admin ? &admin_globalconf : &proxy_globalconf);
    h2o_multithread_register_receiver(worker->ctx.queue, &worker->control, on_control);
    __atomic_add_fetch(&threads_listening, 1, __ATOMIC_RELEASE);
    h2o_timeout_init(worker->loop, &worker->stop_check_timeout, STOP_CHECK_MS);
    worker->stop_check.cb = on_stop_check;
    omote_access_log_init_worker(worker);
    worker->redis = omote_redis_create(worker->loop, worker->gen->config, &worker->metrics);
    if (!worker->is_admin) {
        worker->origin = link_create(worker, worker->gen);
        worker->tracker_cache = omote_tracker_cache_create(0);
    }

    for (size_t i = 0; i != worker->num_listeners; ++i) {
        worker->accept_ctxs[i].ctx = &worker->ctx;
        worker->accept_ctxs[i].hosts = worker->ctx.globalconf->hosts;
        worker->listeners[i]->data = &worker->accept_ctxs[i];
        h2o_socket_read_start(worker->listeners[i], worker->is_admin ? on_accept : omote_guard_on_accept);
    }
    if (!worker->is_admin)
        omote_guard_worker_start(worker);

    while (worker->stopping != 2)
        h2o_evloop_run(worker->loop, INT32_MAX);

    /* the process is about to exit: write what is buffered, close what talks to others */
    omote_guard_worker_stop(worker);
    omote_access_log_flush(worker);
    omote_redis_free(worker->redis);
    worker->redis = NULL;
    omote_tracker_cache_free(worker->tracker_cache);
    worker->tracker_cache = NULL;
    omote_visitor_free_cache(worker);
    __atomic_sub_fetch(&threads_running, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Creates a worker whose listeners wrap the given descriptors (on its own, not yet running, loop). */
static omote_worker_t *worker_create(unsigned index, int is_admin, const int *fds, size_t num_fds, SSL_CTX **ssl_ctxs,
                                     omote_generation_t *gen)
{
    omote_worker_t *worker = h2o_mem_alloc(sizeof(*worker));

    memset(worker, 0, sizeof(*worker));
    worker->index = index;
    worker->is_admin = is_admin;
    worker->loop = h2o_evloop_create();
    worker->gen = gen;
    omote_generation_retain(gen);
    h2o_linklist_init_anchor(&worker->retired_origins);
    h2o_linklist_init_anchor(&worker->reapable_origins);
    worker->reap_entry.cb = on_reap;
    worker->num_listeners = num_fds;
    worker->listeners = h2o_mem_alloc(sizeof(*worker->listeners) * (num_fds + 1));
    worker->accept_ctxs = h2o_mem_alloc(sizeof(*worker->accept_ctxs) * (num_fds + 1));
    for (size_t i = 0; i != num_fds; ++i) {
        worker->listeners[i] = h2o_evloop_socket_create(worker->loop, fds[i], H2O_SOCKET_FLAG_DONT_READ);
        worker->accept_ctxs[i] = (h2o_accept_ctx_t){NULL, NULL, ssl_ctxs != NULL ? ssl_ctxs[i] : NULL};
    }
    return worker;
}

/* --- configuration of h2o -------------------------------------------------------------- */

static void setup_globalconf(h2o_globalconf_t *globalconf, const omote_config_t *conf)
{
    h2o_config_init(globalconf);
    globalconf->server_name = h2o_iovec_init(H2O_STRLIT("omote"));
    globalconf->max_request_entity_size = conf->limits.request_body_bytes;
    globalconf->handshake_timeout = conf->timeouts.handshake_ms;
    globalconf->http1.req_timeout = conf->timeouts.request_ms;
    globalconf->http1.upgrade_to_http2 = 0;
    globalconf->http2.idle_timeout = conf->timeouts.http2_idle_ms;
    globalconf->http2.graceful_shutdown_timeout = conf->timeouts.drain_ms;
    globalconf->proxy.io_timeout = conf->origin.io_timeout_ms;
    globalconf->proxy.preserve_x_forwarded_proto = 0;
    globalconf->proxy.preserve_server_header = 0;
    globalconf->proxy.emit_x_forwarded_headers = 1;
    globalconf->proxy.emit_via_header = 1;
}

static void setup_h2o(const omote_config_t *conf)
{
    setup_globalconf(&proxy_globalconf, conf);
    h2o_hostconf_t *hostconf = h2o_config_register_host(&proxy_globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    pathconf->error_log.emit_request_errors = 0; /* h2o would print query strings; omote logs without them */
    omote_request_register(pathconf);
    omote_response_headers_register(pathconf);
    /*
     * h2o_create_filter (lib/core/config.c) prepends, and h2o_setup_next_ostream walks the list
     * from its start, each filter inserting its stage after the previous one's: the filter
     * registered last sees the body first. So compression goes before the rewriter here, and
     * visitors get rewritten HTML compressed, never compressed HTML the rewriter cannot read.
     */
    omote_compress_register(pathconf, conf);
    omote_rewrite_register(pathconf);
    omote_access_log_register(pathconf);

    setup_globalconf(&admin_globalconf, conf);
    hostconf = h2o_config_register_host(&admin_globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    omote_admin_register(hostconf);
    admin_globalconf.hosts[0]->paths.entries[0].error_log.emit_request_errors = 0;
}

/* --- start-up ---------------------------------------------------------------------------- */

static int open_error_log(const omote_config_t *conf, char *err, size_t errlen)
{
    if (strcmp(conf->log.error_path, "-") != 0) {
        int fd = open(conf->log.error_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd == -1) {
            snprintf(err, errlen, "cannot open error log %s: %s", conf->log.error_path, strerror(errno));
            return -1;
        }
        dup2(fd, 2); /* libh2o and OpenSSL write to standard error too: keep them in the same file */
        close(fd);
    }
    omote_log_setup(2, conf->log.level);
    return 0;
}

/* Opens every public socket for every worker; returns per-worker arrays of fds and TLS contexts. */
static int open_public_listeners(const omote_config_t *conf, int **fds_by_worker, SSL_CTX ***ssl_by_worker, char *err,
                                 size_t errlen)
{
    for (unsigned w = 0; w != conf->threads; ++w) {
        fds_by_worker[w] = h2o_mem_alloc(sizeof(int) * conf->num_listen);
        ssl_by_worker[w] = h2o_mem_alloc(sizeof(SSL_CTX *) * conf->num_listen);
    }
    int *fds = h2o_mem_alloc(sizeof(int) * conf->threads);
    for (size_t l = 0; l != conf->num_listen; ++l) {
        const omote_listen_config_t *listen = conf->listen + l;
        SSL_CTX *ssl = NULL;
        if (listen->tls_certificate_file != NULL && (ssl = omote_tls_create_server(listen, err, errlen)) == NULL) {
            free(fds);
            return -1;
        }
        if (omote_listen_open(listen->address, listen->port, 1, conf->threads, fds, err, errlen) != 0) {
            free(fds);
            return -1;
        }
        for (unsigned w = 0; w != conf->threads; ++w) {
            fds_by_worker[w][l] = fds[w];
            ssl_by_worker[w][l] = ssl;
        }
    }
    free(fds);
    return 0;
}

static void start_thread(omote_worker_t *worker)
{
    __atomic_add_fetch(&threads_running, 1, __ATOMIC_RELAXED);
    h2o_multithread_create_thread(&worker->tid, NULL, worker_main, worker);
}

int omote_runtime_check(const omote_config_t *conf, char *err, size_t errlen)
{
    h2o_url_t parsed;

    if (h2o_url_parse(conf->origin.url, SIZE_MAX, &parsed) != 0) {
        snprintf(err, errlen, "origin.url: %s cannot be used as an upstream URL", conf->origin.url);
        return -1;
    }
    for (size_t l = 0; l != conf->num_listen; ++l) {
        if (conf->listen[l].tls_certificate_file == NULL)
            continue;
        SSL_CTX *ssl = omote_tls_create_server(conf->listen + l, err, errlen);
        if (ssl == NULL)
            return -1;
        SSL_CTX_free(ssl);
    }
    omote_policy_t *policy = omote_runtime_load_policy(conf, err, errlen);
    if (policy == NULL)
        return -1;
    omote_policy_free(policy);
    return 0;
}

/* --- the main thread: signals -------------------------------------------------------- */

static void reload(void)
{
    omote_config_t *conf;
    omote_config_error_t error;
    char err[OMOTE_CONFIG_ERROR_TEXT_MAX], changed[512];

    if (omote_config_load_file(omote_runtime.config_path, &conf, &error) != 0) {
        omote_metrics_add(&omote_runtime.process.reloads_failed, 1);
        omote_log(OMOTE_LOG_ERROR, MODULE, "event=reload_failed keeping=running error=\"%s\"", error.text);
        return;
    }
    omote_generation_t *gen = generation_create(conf, omote_runtime.current->id + 1, err, sizeof(err));
    if (gen == NULL) {
        omote_config_free(conf);
        omote_metrics_add(&omote_runtime.process.reloads_failed, 1);
        omote_log(OMOTE_LOG_ERROR, MODULE, "event=reload_failed keeping=running error=\"%s\"", err);
        return;
    }
    if (omote_config_restart_only_changes(omote_runtime.current->config, conf, changed, sizeof(changed)) != 0)
        omote_log(OMOTE_LOG_WARN, MODULE, "event=reload_partial needs_restart=\"%s\"", changed);
    if (omote_access_log_open(conf->log.access_path, err, sizeof(err)) != 0)
        omote_log(OMOTE_LOG_ERROR, MODULE, "event=access_log_reopen_failed error=\"%s\"", err);
    if (open_error_log(conf, err, sizeof(err)) != 0)
        omote_log(OMOTE_LOG_ERROR, MODULE, "event=error_log_reopen_failed error=\"%s\"", err);

    omote_generation_t *old = omote_runtime.current;
    omote_runtime.current = gen;
    for (size_t i = 0; i != omote_runtime.num_workers; ++i)
        send_control(omote_runtime.workers[i], CONTROL_ADOPT, gen);
    if (omote_runtime.admin != NULL)
        send_control(omote_runtime.admin, CONTROL_ADOPT, gen);
    omote_generation_release(old);
    omote_metrics_add(&omote_runtime.process.reloads_ok, 1);
    omote_metrics_set(&omote_runtime.process.config_generation, gen->id);
    omote_log(OMOTE_LOG_INFO, MODULE, "event=reloaded generation=%llu", (unsigned long long)gen->id);
}

static void stop_all(void)
{
    for (size_t i = 0; i != omote_runtime.num_workers; ++i)
        send_control(omote_runtime.workers[i], CONTROL_STOP, NULL);
    if (omote_runtime.admin != NULL)
        send_control(omote_runtime.admin, CONTROL_STOP, NULL);
}

static int wait_for_signals(const sigset_t *set)
{
    int stopping = 0;

    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        int sig = sigtimedwait(set, NULL, &tick);
        if (stopping && __atomic_load_n(&threads_running, __ATOMIC_ACQUIRE) == 0)
            return 0;
        if (sig == -1)
            continue;
        if (sig == SIGHUP && !stopping) {
            reload();
        } else if (sig == SIGTERM || sig == SIGINT) {
            if (stopping) {
                omote_log(OMOTE_LOG_WARN, MODULE, "event=forced_exit signal=%d", sig);
                return 1;
            }
            omote_log(OMOTE_LOG_INFO, MODULE, "event=stopping signal=%d", sig);
            stopping = 1;
            stop_all();
        }
    }
}

static int start_admin(const omote_config_t *conf, omote_generation_t *gen, char *err, size_t errlen)
{
    int fd;

    if (!conf->admin.enabled)
        return 0;
    if (omote_listen_open(conf->admin.address, conf->admin.port, 0, 1, &fd, err, errlen) != 0)
        return -1;
    omote_runtime.admin = worker_create(conf->threads, 1, &fd, 1, NULL, gen);
    return 0;
}

/*
 * A proxied body is read in buffers of up to 2 MiB, each freed once it is sent. With glibc's
 * adaptive defaults, many such buffers coming and going at once leave a large free top of the
 * heap, which glibc hands back to the kernel (trim), so the next buffers fault their pages in
 * afresh: ~250 faults per 1.1 MB page under load. Take buffers up to 4 MiB from the heap rather
 * than a fresh mapping each, and keep up to 8 MiB free at its top: a few large responses at a
 * time reuse their pages (tests/integration: 8 MiB bodies, 4 at a time, ~15 faults each). Not
 * more: what is kept free counts in RSS, and with 32 MiB kept 1,000 slow HTTP/1.1 readers grew
 * omote by 49-68 MiB against the 64 MiB bound (test_hardening_slow; 29-40 MiB with 8 MiB or
 * without these settings). Dozens of large pages at once fault again (the bench: ~100-175 per
 * 1.1 MB page over 64 connections, where 32 MiB kept gave ~2).
 */
static void keep_freed_buffers(void)
{
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
}

/*
 * Every client connection holds one descriptor and a proxied request another, so the default
 * soft limit (1024) would cap omote far below limits.max_connections: take what the hard limit
 * allows, and say so when even that is short.
 */
static void raise_descriptor_limit(const omote_config_t *conf)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return;
    rlim_t wanted = conf->limits.max_connections != 0 ? (rlim_t)conf->limits.max_connections * 2 + 1024 : lim.rlim_max;
    if (lim.rlim_cur < wanted && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max < wanted ? lim.rlim_max : wanted;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur < wanted)
        omote_log(OMOTE_LOG_WARN, MODULE, "event=descriptor_limit soft=%llu wanted=%llu hint=\"raise the hard RLIMIT_NOFILE or lower limits.max_connections\"",
                  (unsigned long long)lim.rlim_cur, (unsigned long long)wanted);
}

int omote_runtime_run(omote_config_t *conf, const char *config_path, const char *version)
{
    char err[OMOTE_CONFIG_ERROR_TEXT_MAX];
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask; only the main thread takes signals */
    signal(SIGPIPE, SIG_IGN);

    omote_runtime.config_path = config_path;
    omote_runtime.version = version;
    raise_descriptor_limit(conf);
    keep_freed_buffers();
    if (open_error_log(conf, err, sizeof(err)) != 0 || omote_access_log_open(conf->log.access_path, err, sizeof(err)) != 0)
        goto Error;
    omote_generation_t *gen = generation_create(conf, 1, err, sizeof(err));
    if (gen == NULL)
        goto Error;
    omote_runtime.current = gen;
    omote_runtime.process.config_generation = 1;
    omote_runtime.process.start_time_sec = (double)now_ms() / 1000;
    setup_h2o(conf);

    int **fds = h2o_mem_alloc(sizeof(*fds) * conf->threads);
    SSL_CTX ***ssl = h2o_mem_alloc(sizeof(*ssl) * conf->threads);
    if (open_public_listeners(conf, fds, ssl, err, sizeof(err)) != 0 || start_admin(conf, gen, err, sizeof(err)) != 0)
        goto Error;
    omote_runtime.num_workers = conf->threads;
    omote_runtime.workers = h2o_mem_alloc(sizeof(*omote_runtime.workers) * conf->threads);
    for (unsigned w = 0; w != conf->threads; ++w) {
        omote_runtime.workers[w] = worker_create(w, 0, fds[w], conf->num_listen, ssl[w], gen);
        free(fds[w]);
        free(ssl[w]);
    }
    free(fds);
    free(ssl);
    for (unsigned w = 0; w != conf->threads; ++w)
        start_thread(omote_runtime.workers[w]);
    if (omote_runtime.admin != NULL)
        start_thread(omote_runtime.admin);

    omote_log(OMOTE_LOG_INFO, MODULE, "event=started version=%s threads=%u listeners=%zu origin=%s admin=%s:%u", version,
              conf->threads, conf->num_listen, conf->origin.url, conf->admin.enabled ? conf->admin.address : "off",
              conf->admin.enabled ? conf->admin.port : 0);
    /* a signal must not reach a worker before its receiver exists: messages would go to a NULL queue */
    int expected = (int)conf->threads + (omote_runtime.admin != NULL);
    while (__atomic_load_n(&threads_listening, __ATOMIC_ACQUIRE) != expected) {
        struct timespec ms = {0, 1000 * 1000};
        nanosleep(&ms, NULL);
    }
    int status = wait_for_signals(&set);
    omote_log(OMOTE_LOG_INFO, MODULE, "event=stopped status=%d", status);
    return status;

Error:
    omote_log(OMOTE_LOG_ERROR, MODULE, "event=start_failed error=\"%s\"", err);
    return 1;
}

/* --- a worker without listeners, for drivers that feed connections in themselves -------- */

omote_worker_t *omote_runtime_start_detached_worker(omote_config_t *conf, char *err, size_t errlen)
{
    omote_generation_t *gen = generation_create(conf, 1, err, errlen);
    if (gen == NULL)
        return NULL;
    omote_runtime.current = gen;
    omote_runtime.process.config_generation = 1;
    setup_h2o(conf);

    /* what worker_main does before it runs the loop, minus listeners, control messages and the thread */
    omote_worker_t *worker = worker_create(0, 0, NULL, 0, NULL, gen);
    h2o_context_init(&worker->ctx, worker->loop, &proxy_globalconf);
    h2o_timeout_init(worker->loop, &worker->stop_check_timeout, STOP_CHECK_MS);
    worker->stop_check.cb = on_stop_check;
    omote_access_log_init_worker(worker);
    worker->redis = omote_redis_create(worker->loop, gen->config, &worker->metrics);
    worker->origin = link_create(worker, gen);
    worker->tracker_cache = omote_tracker_cache_create(0);
    omote_guard_worker_start(worker);
    omote_runtime.num_workers = 1;
    omote_runtime.workers = h2o_mem_alloc(sizeof(*omote_runtime.workers));
    omote_runtime.workers[0] = worker;
    return worker;
}
