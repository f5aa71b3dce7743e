/* Helpers shared by the server files; nothing outside src/server includes this. */
#ifndef OMOTE_SERVER_INTERNAL_H
#define OMOTE_SERVER_INTERNAL_H

#include <openssl/ssl.h>
#include <stddef.h>
#include "omote/config.h"

/** Creates the TLS context of one HTTPS listener (ALPN h2 and http/1.1). Returns NULL with a message in `err`. */
SSL_CTX *omote_tls_create_server(const omote_listen_config_t *listen, char *err, size_t errlen);

/** Creates the client TLS context for an https origin: system trust store, peer and name verified. */
SSL_CTX *omote_tls_create_origin_client(char *err, size_t errlen);

/**
 * Opens `count` listening sockets on one address, each with SO_REUSEPORT so every worker
 * accepts on its own. Fills `fds`; returns 0, or -1 with a message in `err` (nothing left open).
 */
int omote_listen_open(const char *address, uint16_t port, int reuseport, size_t count, int *fds, char *err, size_t errlen);

/** Runs the server until SIGTERM/SIGINT; returns the process exit status. Takes ownership of `conf`. */
int omote_runtime_run(omote_config_t *conf, const char *config_path, const char *version);

/** Validates `conf` beyond the loader (TLS files really load, origin URL parses); returns 0 or -1 with `err`. */
int omote_runtime_check(const omote_config_t *conf, char *err, size_t errlen);

struct st_omote_rules_t;
struct st_omote_rules_stats_t;
struct st_omote_policy_t;

/** Reads and compiles trackers.lists (logging what each held); fills one stats record per list. NULL with `err` when a list cannot be read. */
struct st_omote_rules_t *omote_runtime_load_rules(const omote_config_t *conf, struct st_omote_rules_stats_t *list_stats, char *err,
                                                  size_t errlen);

/** Compiles purposes, vendors and the signatures file. NULL with `err` ("FILE:LINE: ...") when a signature line is malformed. */
struct st_omote_policy_t *omote_runtime_load_policy(const omote_config_t *conf, char *err, size_t errlen);

/** `omote explain ...`: prints how a URL (or cookie) would be decided. Returns the exit status. */
int omote_explain_main(int argc, char **argv);

#endif
