/*
 * The process log: one line per event, written with one write(2) so lines from different
 * threads never interleave. Fields are key=value; cookie values, identifiers and tokens are
 * never passed here.
 */
#ifndef OMOTE_LOG_H
#define OMOTE_LOG_H

#include "omote/config.h"

/** Sends log lines to `fd` (default 2) and drops those below `level`. Safe to call again on reload. */
void omote_log_setup(int fd, omote_log_level_t level);

/** Current minimum level. */
omote_log_level_t omote_log_level(void);

/** Writes "TIME LEVEL MODULE message\n". `module` is a short name such as "omote/server". */
__attribute__((format(printf, 3, 4))) void omote_log(omote_log_level_t level, const char *module, const char *fmt, ...);

#endif
