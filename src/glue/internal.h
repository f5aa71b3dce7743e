/* Helpers shared by the glue files; nothing outside src/glue includes this. */
#ifndef OMOTE_GLUE_INTERNAL_H
#define OMOTE_GLUE_INTERNAL_H

#include "h2o.h"
#include "h2o/http1client.h"
#include "omote/worker.h"

typedef struct st_omote_origin_probe_t omote_origin_probe_t;

/** Called once with whether the origin answered an HTTP request, and a short reason when it did not. */
typedef void (*omote_origin_probe_cb)(void *data, int is_up, const char *detail);

/**
 * Sends "HEAD <origin path>" to the origin of `gen` through `client_ctx` (whose io_timeout bounds
 * the whole exchange). Any HTTP response counts as up. Returns a handle valid until `cb` runs, or NULL
 * if `cb` already ran (a connect that failed at once).
 */
omote_origin_probe_t *omote_origin_probe_start(h2o_http1client_ctx_t *client_ctx, omote_generation_t *gen, omote_origin_probe_cb cb,
                                               void *data);

/** Abandons a probe; its callback will not run. */
void omote_origin_probe_cancel(omote_origin_probe_t *probe);

/** Sends `body` as a JSON response with `status`. */
void omote_send_json(h2o_req_t *req, int status, const char *reason, h2o_iovec_t body);

#endif
