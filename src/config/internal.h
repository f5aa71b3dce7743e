/*
 * Helpers private to the configuration loader. jansson reports positions only for syntax errors,
 * so the loader finds the place of a semantic error again in the source text with this scanner.
 */
#ifndef OMOTE_CONFIG_INTERNAL_H
#define OMOTE_CONFIG_INTERNAL_H

#include <stddef.h>

/** What omote_json_locate reports the position of. */
typedef enum en_omote_json_locate_what_t {
    OMOTE_JSON_LOCATE_VALUE = 0, /* the first character of the value */
    OMOTE_JSON_LOCATE_KEY,       /* the opening quote of the member name (the value for an array element) */
} omote_json_locate_what_t;

/**
 * Finds the member or element named by `path` in the JSON document `text` (`len` bytes, not
 * necessarily NUL-terminated) and stores the 1-based line and column where it starts; columns
 * count characters, not bytes, as jansson does.
 *
 * `path` is a run of segments: `key` or `.key` (any bytes but '.' and '['), `[N]` for an array
 * element and `["key"]` for a name written as a JSON string (for names holding '.', '[' or
 * escapes). The empty path names the top-level value. Example: `listen[1].tls.certificate`.
 *
 * The scanner is tolerant: it never reads outside `text`, and on malformed input or a path that
 * is not in the document it returns -1 without touching `line` and `column`. Returns 0 on success.
 */
int omote_json_locate(const char *text, size_t len, const char *path, omote_json_locate_what_t what, int *line, int *column);

/** Converts byte offset `offset` of `text` to a 1-based line and (character) column. */
void omote_json_offset_to_line_column(const char *text, size_t offset, int *line, int *column);

#endif
