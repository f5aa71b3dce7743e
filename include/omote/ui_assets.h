/*
 * The UI's static files (src/ui/assets), compiled in by cmake/embed_assets.cmake. Each is
 * served under api.prefix by its hashed name with a year's cache lifetime, and by its plain
 * name with a short one (for people and tools that type the address).
 */
#ifndef OMOTE_UI_ASSETS_H
#define OMOTE_UI_ASSETS_H

#include <stddef.h>

typedef struct st_omote_ui_asset_t {
    const char *name;         /* "consent.js" */
    const char *hashed_name;  /* "consent.3f2a9c1b7d0e.js": the first 12 hex digits of the SHA-256 */
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const char *sha256_hex;   /* of the bytes: a strong ETag, and the CSP hash source for inline use */
    const char *bytes;        /* NUL-terminated (not counted in len) */
    size_t len;
} omote_ui_asset_t;

/** All assets, ended by an entry whose name is NULL. */
extern const omote_ui_asset_t omote_ui_assets[];

/** The asset called `name` ("banner.css") or `hashed_name`, or NULL. */
const omote_ui_asset_t *omote_ui_asset_find(const char *name, size_t len, int *is_hashed);

#endif
