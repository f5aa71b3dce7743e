/*
 * The configuration's consent policy, compiled for the request path: which purpose a cookie
 * serves, which vendor a host or first-party path belongs to, which inline snippets load a known
 * tracker (loader signatures, read from a data file), and the response headers that follow from
 * a visitor's choices (Permissions-Policy, Content-Security-Policy). Pure: no h2o, no I/O beyond
 * the text it is handed.
 *
 * A visitor's choices are a purpose set: bit i stands for conf->purposes[i]. Strictly necessary
 * purposes are in every set; everything else needs consent.
 */
#ifndef OMOTE_POLICY_H
#define OMOTE_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "omote/config.h"

typedef uint32_t omote_purpose_set_t;

typedef struct st_omote_policy_t omote_policy_t;

/** One line of the signatures file: an inline script holding `text` loads `vendor`. */
typedef struct st_omote_signature_t {
    const char *vendor; /* as written in the file */
    int vendor_index;   /* the configured vendor of that name (case-insensitive), or -1: always removed */
    const char *text;
    size_t len;
    unsigned line; /* 1-based line in the signatures file */
} omote_signature_t;

typedef enum en_omote_cookie_verdict_t {
    OMOTE_COOKIE_KEEP = 0,     /* a declared cookie whose purpose is granted */
    OMOTE_COOKIE_KEEP_UNKNOWN, /* undeclared, kept by trackers.unknown_cookies "allow" or "report" */
    OMOTE_COOKIE_DROP,         /* declared for a purpose not granted, or undeclared under "block" */
} omote_cookie_verdict_t;

/** Longest signature line accepted, and the shortest signature (shorter ones would match ordinary code). */
#define OMOTE_SIGNATURE_MAX_LINE 1024
#define OMOTE_SIGNATURE_MIN_LEN 6

/**
 * Compiles the policy of `conf` (borrowed: it must outlive the policy) and the signatures file
 * text (`signatures`, `len` bytes, may be NULL; named `signatures_name` in messages). Returns NULL
 * with "NAME:LINE: message" in `err` when a signature line is malformed.
 */
omote_policy_t *omote_policy_create(const omote_config_t *conf, const char *signatures, size_t len, const char *signatures_name,
                                    char *err, size_t errlen);

void omote_policy_free(omote_policy_t *policy);

/** The purposes every visitor has: the strictly necessary ones. */
omote_purpose_set_t omote_policy_necessary(const omote_policy_t *policy);

/**
 * The purposes with needs_identifier that are not strictly necessary (those every visitor has,
 * so they never count as consent): granting one of them gives the visitor omote's first-party
 * identifier.
 */
omote_purpose_set_t omote_policy_identifier_purposes(const omote_policy_t *policy);

/** The purposes marked "gpc": a "Sec-GPC: 1" request denies them by default. */
omote_purpose_set_t omote_policy_gpc_purposes(const omote_policy_t *policy);

/**
 * A blanket decision (accept all) made with "Sec-GPC: 1": `granted` without the gpc purposes,
 * except those in `named` (granted by name in the same request: the visitor's own choice wins)
 * and the strictly necessary ones.
 */
omote_purpose_set_t omote_policy_apply_gpc(const omote_policy_t *policy, omote_purpose_set_t granted, omote_purpose_set_t named);

/** The configured vendor that `host` (lowercase) belongs to, equal to or below one of its hosts; -1 for none. */
int omote_policy_vendor_of_host(const omote_policy_t *policy, const char *host, size_t len);

/** The vendor one of whose first-party paths matches `path` (without its query); -1 for none. */
int omote_policy_vendor_of_path(const omote_policy_t *policy, const char *path, size_t len);

/** Whether the purpose of vendor `vendor` is in `granted`. */
int omote_policy_vendor_allowed(const omote_policy_t *policy, omote_purpose_set_t granted, int vendor);

/** The signature found earliest in `text` (at one position, the first in file order), or NULL. */
const omote_signature_t *omote_policy_find_signature(const omote_policy_t *policy, const char *text, size_t len);

/** Number of signatures loaded. */
size_t omote_policy_num_signatures(const omote_policy_t *policy);

/** The purpose declaring cookie `name`, or -1 when no purpose declares it. */
int omote_policy_cookie_purpose(const omote_policy_t *policy, const char *name, size_t len);

/** Whether cookie `name` may pass for a visitor who granted `granted`; `*purpose` gets its purpose or -1. */
omote_cookie_verdict_t omote_policy_judge_cookie(const omote_policy_t *policy, omote_purpose_set_t granted, const char *name,
                                                 size_t len, int *purpose);

/** The Permissions-Policy value ("browsing-topics=(), interest-cohort=()"), or "" for none. */
const char *omote_policy_permissions_policy(const omote_policy_t *policy);

/**
 * Writes the Content-Security-Policy value for a visitor who granted `granted`: the configured
 * directives in order, the hosts of granted vendors added to each of headers.csp_vendor_directives
 * (a vendor directive the configuration leaves out starts from default-src's sources), and
 * "report-uri <api.prefix>csp-report" when reports are on. Returns its length (NUL written), 0
 * when CSP is off, or SIZE_MAX when `outsz` is too small.
 */
size_t omote_policy_build_csp(const omote_policy_t *policy, omote_purpose_set_t granted, char *out, size_t outsz);

#endif
