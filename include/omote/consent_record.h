/*
 * Consent records: what omote writes to Redis for each decision, built as argument vectors the
 * store sends in one MULTI/EXEC. Pure: no clock, no randomness, no I/O; the caller passes the
 * record id, the time and the configuration in, and owns the batch it gets back.
 *
 * Keys (README "Consent"):
 *   omote:consent:<record id, 32 hex>  a hash, TTL = consent.lifetime_days: granted, denied,
 *                                      policy_version, decided_at, source, texts_sha256, event
 *   omote:audit                        a stream; one entry per grant, change, refusal, withdrawal:
 *                                      event, record, granted, denied, policy_version, decided_at,
 *                                      source, texts_sha256
 *                                      and, for DELETE me, one entry without record: event=erased,
 *                                      erased_at, audit_entries_deleted
 * `source` is "api", "banner" or "form", with "+gpc" appended when Sec-GPC shaped the decision.
 * No field ever holds an IP address, a User-Agent, a cookie, a token or the first-party identifier.
 */
#ifndef OMOTE_CONSENT_RECORD_H
#define OMOTE_CONSENT_RECORD_H

#include "omote/config.h"
#include "omote/consent_token.h"
#include <stddef.h>
#include <stdint.h>

#define OMOTE_CONSENT_RECORD_KEY_PREFIX "omote:consent:"
#define OMOTE_CONSENT_AUDIT_KEY "omote:audit"
/**
 * GET and DELETE me look for a visitor's audit entries among the newest this many entries of the
 * stream (one XREVRANGE ... COUNT): a bound on the work and reply size one visitor can cause.
 */
#define OMOTE_CONSENT_AUDIT_SCAN_MAX 10000
/** Hex SHA-256 of the consent texts, with its NUL. */
#define OMOTE_CONSENT_TEXTS_HASH_HEX 65
/** Commands in a batch: MULTI, HSET, EXPIRE, XADD, EXEC. */
#define OMOTE_CONSENT_BATCH_COMMANDS 5
#define OMOTE_CONSENT_BATCH_MAX_ARGS 20
/** Room for the strings a batch owns (ids of up to 32 purposes, numbers, the key). */
#define OMOTE_CONSENT_BATCH_STORAGE 4096

/** Why a record is written; the `event` field of the hash and the audit entry. */
typedef enum en_omote_consent_event_t {
    OMOTE_CONSENT_EVENT_GRANT = 0, /* a first decision granting a purpose beyond the necessary ones */
    OMOTE_CONSENT_EVENT_CHANGE,    /* a new decision replacing a valid earlier one */
    OMOTE_CONSENT_EVENT_REFUSE,    /* a decision granting nothing beyond the necessary purposes */
    OMOTE_CONSENT_EVENT_WITHDRAW,  /* DELETE consent: everything withdrawn */
    OMOTE_CONSENT_EVENT_COUNT
} omote_consent_event_t;

/** How the decision reached omote; the `source` field. */
typedef enum en_omote_consent_source_t {
    OMOTE_CONSENT_SOURCE_API = 0, /* a JSON call */
    OMOTE_CONSENT_SOURCE_BANNER,  /* a JSON call from the shop's banner ({"source": "banner"}) */
    OMOTE_CONSENT_SOURCE_FORM,    /* an HTML form post */
    OMOTE_CONSENT_SOURCE_COUNT
} omote_consent_source_t;

/** One decision to write. */
typedef struct st_omote_consent_record_t {
    unsigned char record_id[OMOTE_CONSENT_RECORD_ID_BYTES];
    uint32_t granted; /* purpose set, the strictly necessary purposes included */
    int64_t time_sec;
    omote_consent_event_t event;
    omote_consent_source_t source;
    int gpc_shaped;           /* Sec-GPC: 1 denied a purpose the decision would have granted: source gets "+gpc" */
    const char *texts_sha256; /* omote_consent_texts_hash of the configuration the visitor was shown */
} omote_consent_record_t;

/** One command as an argument vector; the strings are borrowed from the batch (or are literals). */
typedef struct st_omote_consent_command_t {
    int argc;
    const char *argv[OMOTE_CONSENT_BATCH_MAX_ARGS];
    size_t argvlen[OMOTE_CONSENT_BATCH_MAX_ARGS];
} omote_consent_command_t;

/** The commands of one decision; caller-provided storage, nothing to release. */
typedef struct st_omote_consent_batch_t {
    omote_consent_command_t commands[OMOTE_CONSENT_BATCH_COMMANDS];
    size_t num_commands;
    char _storage[OMOTE_CONSENT_BATCH_STORAGE];
    size_t _used;
} omote_consent_batch_t;

/** "grant", "change", "refuse", "withdraw". */
const char *omote_consent_event_name(omote_consent_event_t event);

/** "api", "banner", "form". */
const char *omote_consent_source_name(omote_consent_source_t source);

/**
 * Writes to `out` (65 bytes) the hex SHA-256 of what a visitor is shown and decides on: the
 * policy version and, for each purpose in order, its id, flags, names, descriptions and cookie
 * patterns, each field length-prefixed so no two configurations share a serialisation. Returns 0,
 * or -1 when OpenSSL fails.
 */
int omote_consent_texts_hash(const omote_config_t *conf, char out[OMOTE_CONSENT_TEXTS_HASH_HEX]);

/**
 * Writes the non-necessary purposes of `conf` as "analytics=1, marketing=0" (granted: 1) to `out`,
 * NUL-terminated: the Omote-Consent header the origin receives. Returns the length ("" and 0 when
 * every purpose is strictly necessary), or SIZE_MAX when `outsz` is too small.
 */
size_t omote_consent_format_header(const omote_config_t *conf, uint32_t granted, char *out, size_t outsz);

/** Writes `n` bytes as lowercase hex, NUL-terminated, to `out` (2n + 1 bytes). */
void omote_consent_hex(const unsigned char *bytes, size_t n, char *out);

/**
 * Builds into `batch` the MULTI, HSET of the record hash, EXPIRE (consent.lifetime_sec), XADD of
 * the audit entry and EXEC for `record` under `conf`. Returns 0, or -1 when the strings do not
 * fit OMOTE_CONSENT_BATCH_STORAGE (very long purpose ids).
 */
int omote_consent_batch_build(omote_consent_batch_t *batch, const omote_consent_record_t *record, const omote_config_t *conf);

#endif
