/*
 * Fuzz target: HTTP/2 frames from a visitor (after the client preface, which the driver sends),
 * through libh2o's framing and HPACK and omote's handler, API, filters and upstream client to
 * the stub origin and back. The invariants are checked by the driver and the origin
 * (stack_driver.c, stub_origin.c).
 */
#include "stack_driver.h"
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stack_driver_feed(data, size, 1);
    return 0;
}
