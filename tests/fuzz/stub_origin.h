/*
 * The origin the h2o fuzz drivers proxy to: a listener on 127.0.0.1 served on the driver's own
 * event loop, answering a fixed set of responses chosen by path, and checking every request head
 * omote sends it against what omote promises the origin.
 */
#ifndef OMOTE_FUZZ_STUB_ORIGIN_H
#define OMOTE_FUZZ_STUB_ORIGIN_H

#include "h2o.h"
#include <stdint.h>

/** Opens a listening socket on an ephemeral port of 127.0.0.1 and returns the port; aborts on failure. */
uint16_t stub_origin_listen(void);

/** Starts answering connections to that socket on `loop` (the loop omote's worker runs on). */
void stub_origin_serve(h2o_loop_t *loop);

/** Connections from omote the origin has open now (pooled ones included). */
size_t stub_origin_num_open(void);

/** Request heads the origin has checked since it started. */
uint64_t stub_origin_num_requests(void);

#endif
