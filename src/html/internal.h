/*
 * Helpers private to the HTML module: the named character reference table that
 * tools/gen_entities.py generates into entities.c.
 */
#ifndef OMOTE_HTML_INTERNAL_H
#define OMOTE_HTML_INTERNAL_H

#include <stddef.h>

/** One named character reference: `name` without the leading '&', with its ';' when it has one. */
typedef struct st_omote_html_entity_t {
    const char *name;
    unsigned char name_len;
    const char *value; /* UTF-8, one or two code points */
    unsigned char value_len;
} omote_html_entity_t;

/** The whole table, sorted bytewise by name (a name sorts before its extensions). */
extern const omote_html_entity_t omote_html_entities[];
extern const size_t omote_html_num_entities;

/** The longest name in the table, ';' included ("CounterClockwiseContourIntegral;"). */
#define OMOTE_HTML_ENTITY_MAX_NAME 32

/** The longest name that matches without its ';' (the legacy ones: "amp", "middot", "frac12"). */
#define OMOTE_HTML_ENTITY_MAX_LEGACY_NAME 6

#endif
