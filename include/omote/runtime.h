/*
 * Process-wide state: the workers, the generation in force and the process counters. Set up
 * once by the server at start; the admin handlers read it to sum metrics and report status.
 */
#ifndef OMOTE_RUNTIME_H
#define OMOTE_RUNTIME_H

#include "omote/worker.h"

typedef struct st_omote_runtime_t {
    omote_worker_t **workers; /* the request-serving event loops */
    size_t num_workers;
    omote_worker_t *admin; /* NULL when the admin listener is disabled */
    omote_generation_t *current; /* owned by the main thread; workers learn of it by message */
    omote_metrics_process_t process;
    const char *config_path;
    const char *version;
} omote_runtime_t;

extern omote_runtime_t omote_runtime;

/**
 * For drivers that hand connections to libh2o themselves (tests/fuzz): builds a generation from
 * `conf` (trackers lists and signatures are read now), configures h2o as the server does, and
 * returns a proxy worker with its context, Redis client and origin link on its own loop
 * (`worker->loop`, which the caller runs), but no listeners and no thread. Once per process.
 * Takes ownership of `conf` on success; returns NULL with a message in `err` otherwise.
 */
omote_worker_t *omote_runtime_start_detached_worker(omote_config_t *conf, char *err, size_t errlen);

#endif
