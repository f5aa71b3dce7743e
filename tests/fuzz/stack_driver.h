/*
 * The whole-stack fuzz driver shared by fuzz_h2o_http1.c and fuzz_h2o_http2.c: libh2o's accept
 * path with omote's handler and filters configured as the server configures them, proxying to
 * an in-process origin (stub_origin.h), with Redis unreachable.
 */
#ifndef OMOTE_FUZZ_STACK_DRIVER_H
#define OMOTE_FUZZ_STACK_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/**
 * Hands a fresh connection to libh2o (HTTP/1.1, or HTTP/2 with prior knowledge, whose client
 * preface the driver sends first) and writes `data` into it, split into separate reads at each
 * STACK_DRIVER_MARKER. Runs the loop until the server closes the connection, checking what
 * comes back. The first call sets the stack up for the whole process.
 */
void stack_driver_feed(const uint8_t *data, size_t size, int is_http2);

/** Splits an input into the pieces the server reads one by one (as h2o's own fuzz/driver.cc does). */
#define STACK_DRIVER_MARKER "\n--8<--\n"

#endif
