/*
 * TLS contexts: one per HTTPS listener (TLS 1.2+, ALPN offering only h2 and http/1.1), and one
 * client context for an https origin. Certificates are read once at start-up.
 */
#include <openssl/err.h>
#include <stdio.h>
#include "h2o.h"
#include "internal.h"

static const h2o_iovec_t alpn_protocols[] = {{H2O_STRLIT("h2")}, {H2O_STRLIT("http/1.1")}, {NULL}};

static void openssl_error(char *err, size_t errlen, const char *what, const char *path)
{
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    snprintf(err, errlen, "%s %s: %s", what, path, reason);
    ERR_clear_error();
}

SSL_CTX *omote_tls_create_server(const omote_listen_config_t *listen, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_max_early_data(ctx, 0); /* no 0-RTT: replayable requests are not worth the round trip */
    /* an idle connection gives its record buffers back (about 34 KiB each): most of the idle cost */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* resumption stays within this certificate: sessions are bound to the listener's identity */
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)listen->tls_certificate_file,
                                   strlen(listen->tls_certificate_file) < SSL_MAX_SID_CTX_LENGTH
                                       ? (unsigned)strlen(listen->tls_certificate_file)
                                       : SSL_MAX_SID_CTX_LENGTH);
    if (SSL_CTX_use_certificate_chain_file(ctx, listen->tls_certificate_file) != 1) {
        openssl_error(err, errlen, "cannot load certificate", listen->tls_certificate_file);
        goto Error;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, listen->tls_key_file, SSL_FILETYPE_PEM) != 1) {
        openssl_error(err, errlen, "cannot load private key", listen->tls_key_file);
        goto Error;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        openssl_error(err, errlen, "private key does not match certificate", listen->tls_key_file);
        goto Error;
    }
    h2o_ssl_register_alpn_protocols(ctx, alpn_protocols);
    return ctx;

Error:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *omote_tls_create_origin_client(char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        openssl_error(err, errlen, "cannot load the system trust store", "");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}
