/*
 * What omote attaches to a request it hands to h2o's proxy. It is the request's
 * h2o_req_overrides_t (the only per-request slot libh2o 2.2.5 carries through to the proxy and
 * the logger), extended with omote's own fields.
 */
#ifndef OMOTE_PROXIED_H
#define OMOTE_PROXIED_H

#include "h2o.h"
#include "omote/worker.h"

#define OMOTE_PROXIED_MAGIC 0x6f6d6f74u /* "omot": tells our overrides from any other */

typedef struct st_omote_proxied_t {
    h2o_req_overrides_t super;
    uint32_t magic;
    omote_worker_t *worker;
    omote_origin_link_t *link;
    struct timeval dispatched_at; /* when the request was handed to the proxy */
} omote_proxied_t;

/** The record of a request omote proxied, or NULL for requests answered before proxying. */
const omote_proxied_t *omote_proxied_of(const h2o_req_t *req);

#endif
