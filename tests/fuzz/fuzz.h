/* Shared by the fuzz targets: an invariant check that stays on in release builds (assert does not). */
#ifndef OMOTE_FUZZ_H
#define OMOTE_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define must(cond)                                                                                                                 \
    do {                                                                                                                           \
        if (!(cond)) {                                                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                                          \
            abort();                                                                                                               \
        }                                                                                                                          \
    } while (0)

#endif
