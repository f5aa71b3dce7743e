/*
 * Removing what must not reach a log: query values may carry e-mail addresses, tokens or
 * identifiers, so logs keep a path's shape and parameter names only.
 */
#ifndef OMOTE_REDACT_H
#define OMOTE_REDACT_H

#include <stddef.h>

/**
 * Copies the request target `path` (length `len`) into `out` with every query value removed
 * ("/s?q=tea&p=2#x" -> "/s?q=&p="), truncating to fit `outsz` (which must be at least 1) and
 * NUL-terminating. The fragment, if any, is dropped. Returns the number of bytes written.
 */
size_t omote_redact_query_values(const char *path, size_t len, char *out, size_t outsz);

/**
 * Appends `s` (length `len`) to `out` as the inside of a JSON string: quotes, backslashes and
 * control bytes are escaped, bytes >= 0x80 are kept as they are unless they are not valid
 * UTF-8, in which case they become U+FFFD. Writes at most `outsz - 1` bytes and NUL-terminates.
 * Returns the number of bytes written.
 */
size_t omote_json_escape(const char *s, size_t len, char *out, size_t outsz);

#endif
