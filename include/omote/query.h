/*
 * Tracking parameters in request targets: "utm_source", "gclid" and the like are removed from
 * the URL the origin sees; every other parameter stays, in order and byte for byte.
 */
#ifndef OMOTE_QUERY_H
#define OMOTE_QUERY_H

#include <stddef.h>

/** The parameter names removed when the configuration lists none (trackers.strip_query_params). */
extern const char *const omote_query_default_tracking_params[];

/**
 * Whether `name` (length `len`, already percent-decoded) matches `pattern`, where '*' stands for
 * any run of characters (possibly empty); the comparison is case-sensitive, as query names are.
 */
int omote_query_name_matches(const char *pattern, const char *name, size_t len);

/**
 * Copies the request target `target` (length `len`) into `out` (room for `len` bytes) without the
 * query parameters whose percent-decoded name matches one of `patterns`. A query left empty loses
 * its '?'. Returns the new length and stores the number of parameters removed in `*removed`.
 */
size_t omote_query_strip(const char *target, size_t len, const char *const *patterns, size_t num_patterns, char *out,
                         size_t *removed);

#endif
