/*
 * Readiness probe of the origin: one HEAD request on a fresh connection (not the proxy's pool,
 * so a stale pooled socket cannot make a dead origin look alive). The origin counts as up when
 * it answers with any HTTP status.
 */
#include <stdio.h>
#include <string.h>
#include "internal.h"

struct st_omote_origin_probe_t {
    h2o_http1client_t *client;
    omote_generation_t *gen; /* held: the probe reads its origin's host while connecting */
    h2o_http1client_ctx_t client_ctx; /* the caller's, with this generation's TLS context */
    omote_origin_probe_cb cb;
    void *data;
    h2o_iovec_t request;
    int is_starting; /* h2o may fail the connect before h2o_http1client_connect returns */
    int is_done;
};

static void dispose(omote_origin_probe_t *probe)
{
    omote_generation_release(probe->gen);
    free(probe->request.base);
    free(probe);
}

static void finish(omote_origin_probe_t *probe, int is_up, const char *detail)
{
    probe->client = NULL;
    probe->cb(probe->data, is_up, detail);
    if (probe->is_starting) {
        probe->is_done = 1;
        return;
    }
    dispose(probe);
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *errstr, int minor_version, int status, h2o_iovec_t msg,
                                       h2o_header_t *headers, size_t num_headers, int rlen)
{
    omote_origin_probe_t *probe = client->data;

    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) {
        finish(probe, 0, errstr);
        return NULL;
    }
    finish(probe, 1, NULL);
    return NULL; /* closes the connection; the body, if any, is not needed */
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *errstr, h2o_iovec_t **reqbufs, size_t *reqbufcnt,
                                          int *method_is_head)
{
    omote_origin_probe_t *probe = client->data;

    if (errstr != NULL) {
        finish(probe, 0, errstr);
        return NULL;
    }
    *reqbufs = &probe->request;
    *reqbufcnt = 1;
    *method_is_head = 1;
    return on_head;
}

omote_origin_probe_t *omote_origin_probe_start(h2o_http1client_ctx_t *client_ctx, omote_generation_t *gen, omote_origin_probe_cb cb,
                                               void *data)
{
    omote_origin_probe_t *probe = h2o_mem_alloc(sizeof(*probe));
    h2o_url_t *origin = &gen->origin;
    size_t cap = origin->path.len + origin->authority.len + 128;

    *probe = (omote_origin_probe_t){NULL, gen};
    probe->cb = cb;
    probe->data = data;
    omote_generation_retain(gen);
    probe->request.base = h2o_mem_alloc(cap);
    probe->request.len = snprintf(probe->request.base, cap,
                                  "HEAD %.*s HTTP/1.1\r\nhost: %.*s\r\nuser-agent: omote-readyz\r\nconnection: close\r\n\r\n",
                                  (int)origin->path.len, origin->path.base, (int)origin->authority.len, origin->authority.base);
    probe->client_ctx = *client_ctx;
    probe->client_ctx.ssl_ctx = gen->origin_ssl_ctx;
    probe->is_starting = 1;
    h2o_http1client_connect(&probe->client, probe, &probe->client_ctx, origin->host, h2o_url_get_port(origin),
                            origin->scheme == &H2O_URL_SCHEME_HTTPS, on_connect);
    probe->is_starting = 0;
    if (probe->is_done) {
        dispose(probe);
        return NULL;
    }
    return probe;
}

void omote_origin_probe_cancel(omote_origin_probe_t *probe)
{
    if (probe->client != NULL)
        h2o_http1client_cancel(probe->client);
    dispose(probe);
}
