/*
 * Process log lines. Formatting happens on the caller's stack and the line goes out in a single
 * write(2), which keeps lines whole across threads without a lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "omote/log.h"

static volatile int log_fd = 2;
static volatile omote_log_level_t min_level = OMOTE_LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void omote_log_setup(int fd, omote_log_level_t level)
{
    log_fd = fd;
    min_level = level;
}

omote_log_level_t omote_log_level(void)
{
    return min_level;
}

void omote_log(omote_log_level_t level, const char *module, const char *fmt, ...)
{
    if (level < min_level)
        return;

    char line[2048];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    int len = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000, level_names[level], module);

    va_list args;
    va_start(args, fmt);
    int body = vsnprintf(line + len, sizeof(line) - len - 1, fmt, args);
    va_end(args);
    if (body < 0)
        body = 0;
    len += body;
    if (len > (int)sizeof(line) - 2)
        len = sizeof(line) - 2; /* truncated: keep the newline so the next line starts clean */
    line[len++] = '\n';

    ssize_t ignored = write(log_fd, line, len);
    (void)ignored;
}
