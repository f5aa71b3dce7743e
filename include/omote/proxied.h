/*
 * What omote attaches to a request it sends to the origin. libh2o 2.2.5 has no per-request slot
 * for a handler's own data; omote parks the record in req->overrides, which only h2o's own proxy
 * (not used) would read, and tells it from anything else by its magic.
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
    struct timeval dispatched_at; /* when the request was handed to the upstream client */
    struct timeval response_at;   /* when the origin's response head was parsed (zero: never) */
    int wants_identity;           /* a document omote will rewrite: ask the origin for identity coding only */
    uint32_t granted;             /* the visitor's purposes, read once from the consent cookie (omote_visitor_purposes) */
    int64_t decided_at;           /* when the visitor decided (their valid token's time), 0 without a valid token */
    int has_identifier;           /* the request carried a well-formed first-party identifier cookie */
} omote_proxied_t;

/** The record of a request omote proxied, or NULL for requests answered before proxying. */
const omote_proxied_t *omote_proxied_of(const h2o_req_t *req);

/** Records that the origin's response head for `req` has arrived (for upstream time). */
void omote_proxied_mark_response(h2o_req_t *req);

#endif
