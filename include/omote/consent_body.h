/*
 * The body of a consent POST, judged without h2o: JSON ({"purposes": {...}} or {"all": bool},
 * optionally "source") or an HTML form (application/x-www-form-urlencoded: a field per purpose,
 * all=, return=; or withdraw=1 or erase=1 with return=, the actions a page without JavaScript
 * can only post). Pure: no allocation per byte, no I/O; jansson is used inside and stays there.
 * Global Privacy Control is left to the caller, which knows the request's headers: the result
 * says which purposes were granted by name and whether the body was an accept-all.
 */
#ifndef OMOTE_CONSENT_BODY_H
#define OMOTE_CONSENT_BODY_H

#include "omote/config.h"
#include "omote/consent_record.h"
#include <stddef.h>
#include <stdint.h>

/** Longest `return=` path a form may give (bytes, after percent-decoding). */
#define OMOTE_CONSENT_BODY_MAX_RETURN 2048
/** Room for the longest error message, NUL included. */
#define OMOTE_CONSENT_BODY_ERROR_SIZE 256

typedef enum en_omote_consent_body_kind_t {
    OMOTE_CONSENT_BODY_JSON = 0, /* application/json */
    OMOTE_CONSENT_BODY_FORM,     /* application/x-www-form-urlencoded */
} omote_consent_body_kind_t;

/** What a body asked for, or why it was refused. */
typedef struct st_omote_consent_body_t {
    uint32_t granted;              /* bit i: purposes[i]; the strictly necessary ones always set */
    uint32_t named;                /* granted by name: a JSON member set to true, a ticked box */
    int is_all;                    /* an accept-all: {"all": true} or the form's all=1 */
    int is_withdrawal;             /* a form's withdraw=1: withdraw everything (what DELETE consent does) */
    int is_erasure;                /* a form's erase=1: erase what is stored (what DELETE me does) */
    omote_consent_source_t source; /* api or banner (JSON), form */
    /** A form's same-site path to answer 303 to ("/" when the form gave none); "" for JSON. It starts
     *  with a single '/' and holds no "//", backslash, space or control byte. */
    char return_to[OMOTE_CONSENT_BODY_MAX_RETURN + 1];
    /** Why the body was refused (the consent API's 400 detail, valid UTF-8); "" on success. */
    char error[OMOTE_CONSENT_BODY_ERROR_SIZE];
} omote_consent_body_t;

/**
 * Parses `len` bytes of `body` (NULL allowed when `len` is 0) of the given kind against the
 * `num_purposes` configured `purposes` (at most OMOTE_MAX_PURPOSES). Returns 0 and fills `out`,
 * or -1 with the message in `out->error` (the other fields then mean nothing). A body that
 * refuses a strictly necessary purpose, names an unknown one or gives a wrong type is refused;
 * purposes a body leaves out are refused unless strictly necessary. Checking the size limit and
 * the media type is the caller's job.
 */
int omote_consent_body_parse(omote_consent_body_t *out, omote_consent_body_kind_t kind, const char *body, size_t len,
                             const omote_purpose_config_t *purposes, size_t num_purposes);

/**
 * The value of the first field called `name` in form-encoded `text` (a form body or a query
 * string: "a=1&b=x+y"), percent-decoded with '+' as a space, into `out` (NUL-terminated).
 * Returns 0, or -1 when there is no such field, it is malformed (a bad escape, a NUL) or its
 * value needs more than `outsz - 1` bytes.
 */
int omote_consent_body_form_field(const char *text, size_t len, const char *name, char *out, size_t outsz);

/**
 * Whether `path` (NUL-terminated) is a path on this site a form may return to: it starts with a
 * single '/', is at most OMOTE_CONSENT_BODY_MAX_RETURN bytes, holds no backslash, space or control
 * byte, and no "//" before its query or fragment.
 */
int omote_consent_body_is_local_path(const char *path);

#endif
