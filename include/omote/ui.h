/*
 * What visitors see of omote: the consent banner it inserts into pages, the small "Privacy
 * choices" link returning visitors get instead, and the transparency page. Pure: the markup is
 * rendered from the configuration and the visitor's state into a buffer; h2o serves it
 * (src/glue/ui.c). Texts are in English and Japanese; the purposes' own words come from the
 * configuration, the rest from src/ui/texts.c.
 *
 * Everything inserted into a retailer's page lives in a declarative shadow root, so the page's
 * styles cannot reach it by accident; the markup works without JavaScript (plain forms that
 * post to the consent API and come back with 303), and src/ui/assets/consent.js enhances it.
 */
#ifndef OMOTE_UI_H
#define OMOTE_UI_H

#include "omote/config.h"
#include <stddef.h>
#include <stdint.h>

struct json_t;

typedef enum en_omote_ui_lang_t {
    OMOTE_UI_EN = 0,
    OMOTE_UI_JA,
} omote_ui_lang_t;

/**
 * The language an Accept-Language header (`len` bytes, NULL when absent) prefers among English and
 * Japanese: the higher q wins, an equal q goes to the one named first; English when neither is
 * acceptable. "*" counts for English.
 */
omote_ui_lang_t omote_ui_negotiate_lang(const char *header, size_t len);

/** "en" or "ja" (any case) to a language: returns 0 and sets `*out`, or -1. */
int omote_ui_lang_from_code(const char *code, size_t len, omote_ui_lang_t *out);

/** "en" or "ja". */
const char *omote_ui_lang_code(omote_ui_lang_t lang);

/** omote's own words on the banner and the privacy page (src/ui/texts.c), for the consent
 *  record's hash of the texts a visitor was shown: index 0 .. omote_ui_num_own_texts() - 1. */
size_t omote_ui_num_own_texts(void);
const char *omote_ui_own_text(size_t index, omote_ui_lang_t lang);

/** A growing output buffer; aborts when memory runs out (as the rest of omote's allocations). */
typedef struct st_omote_ui_buf_t {
    char *base;
    size_t len;
    size_t cap;
} omote_ui_buf_t;

void omote_ui_buf_append(omote_ui_buf_t *buf, const char *bytes, size_t len);
/** Appends `text` with & < > " ' escaped: safe in element content and in quoted attribute values. */
void omote_ui_buf_append_escaped(omote_ui_buf_t *buf, const char *text, size_t len);
void omote_ui_buf_free(omote_ui_buf_t *buf);

/** A banner to render for one page. */
typedef struct st_omote_ui_banner_t {
    const omote_config_t *conf;
    omote_ui_lang_t lang;
    /** the page's path and query, where the no-JavaScript forms come back to; replaced by "/" unless
     *  it is a plain path on this site (omote_consent_body_is_local_path) */
    const char *return_to;
    size_t return_to_len;
} omote_ui_banner_t;

/** The whole insertion for a visitor with no decision: the shadow host with the banner, and the script tag. */
void omote_ui_render_banner(omote_ui_buf_t *out, const omote_ui_banner_t *banner);

/** Only the shadow root's content (style and banner): what consent.js swaps in to change language. */
void omote_ui_render_banner_content(omote_ui_buf_t *out, const omote_ui_banner_t *banner);

/** The insertion for a visitor who decided: the small link to the privacy page; nothing when banner.privacy_link is off. */
void omote_ui_render_privacy_link(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang);

/**
 * What goes into pages under one configuration, rendered once when it is loaded (the banner in
 * each language with its return paths left as slots, and the privacy link): a page then costs a
 * copy, not a render. Read-only after creation, so every thread may share it.
 */
typedef struct st_omote_ui_snippets_t omote_ui_snippets_t;

omote_ui_snippets_t *omote_ui_snippets_create(const omote_config_t *conf);
void omote_ui_snippets_free(omote_ui_snippets_t *snippets);

/**
 * Appends to `out` the insertion for one page: the privacy link for a visitor who decided (nothing
 * when the link is off), else the banner with `return_to` as omote_ui_render_banner would write it.
 */
void omote_ui_snippets_page(const omote_ui_snippets_t *snippets, omote_ui_lang_t lang, int has_decision, const char *return_to,
                            size_t return_to_len, omote_ui_buf_t *out);

/** The transparency page for one visitor. */
typedef struct st_omote_ui_privacy_t {
    const omote_config_t *conf;
    omote_ui_lang_t lang;
    /** GET consent's document: the visitor's state as their token tells it (no Redis needed) */
    const struct json_t *consent;
    /** GET me's document (token, identifier, consent, record, audit, audit_scan), or NULL when what
     *  is stored could not be read (Redis down): the page says so and shows the rest */
    const struct json_t *me;
    int gpc_received; /* the request carried Sec-GPC: 1 */
    /** a notice to show first ("saved", "withdrawn", "erased"), or NULL */
    const char *notice;
} omote_ui_privacy_t;

/** The whole transparency page, a complete HTML document. */
void omote_ui_render_privacy(omote_ui_buf_t *out, const omote_ui_privacy_t *page);

#endif
