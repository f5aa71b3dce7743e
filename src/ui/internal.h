/* Shared by the files of src/ui only. */
#ifndef OMOTE_UI_INTERNAL_H
#define OMOTE_UI_INTERNAL_H

#include "omote/ui.h"
#include <stdlib.h>
#include <string.h>

/* omote's own words; each has an English and a Japanese text in texts.c */
typedef enum en_ui_text_t {
    T_BANNER_TITLE,
    T_BANNER_INTRO,
    T_WHAT_WE_COLLECT,
    T_ACCEPT_ALL,
    T_REJECT_ALL,
    T_CHOOSE,
    T_CHOOSE_LEGEND,
    T_SAVE,
    T_ALWAYS_ON,
    T_PARTNERS,
    T_NO_PARTNERS,
    T_COOKIES,
    T_NO_COOKIES,
    T_UNTIL_CLOSED,
    T_DAYS, /* "%d days" */
    T_ONE_DAY,
    T_UNSTATED,
    T_PRIVACY_CHOICES,
    T_LANG_NAME, /* the language's own name, for the switch that leads to it */
    T_PAGE_TITLE,
    T_PROMISE,
    T_RETAILER,
    T_CONTACT,
    T_YOUR_CHOICES,
    T_NOT_DECIDED,
    T_DECIDED, /* "You decided on %s under policy version %s." */
    T_ALLOWED,
    T_REFUSED,
    T_CHANGE,
    T_WITHDRAW,
    T_WITHDRAW_HELP,
    T_DOWNLOAD,
    T_ERASE,
    T_ERASE_HELP,
    T_STORED,
    T_STORED_NOTHING,
    T_STORED_UNREADABLE,
    T_STORED_UNLINKED, /* "... deletes itself within %u days." */
    T_STORED_RECORD, /* "One record about your decision, deleted by itself in %lld days." */
    T_STORED_AUDIT,  /* "%zu entries in the audit log of decisions." */
    T_AUDIT_PARTIAL,
    T_IDENTIFIER_SET,
    T_IDENTIFIER_NONE,
    T_GPC,
    T_GPC_RECEIVED,
    T_GPC_NOT_RECEIVED,
    T_GPC_EFFECT, /* "%s stay off ..." */
    T_GPC_NO_EFFECT,
    T_PURPOSES,
    T_PURPOSE,
    T_STATUS,
    T_COOKIE,
    T_LIFETIME,
    T_OWN_COOKIES,
    T_CONSENT_COOKIE,
    T_IDENTIFIER_COOKIE,
    T_VENDORS,
    T_VENDOR,
    T_RECEIVES,
    T_RECEIVES_DEFAULT,
    T_DIRECT,
    T_DIRECT_HOSTS, /* "Only with your consent to %s: ..." */
    T_DIRECT_NEVER,
    T_NOTICE_SAVED,
    T_NOTICE_WITHDRAWN,
    T_NOTICE_ERASED,
    T_FIELD_PURPOSES,
    T_FIELD_DENIED,
    T_FIELD_POLICY,
    T_FIELD_TIME,
    T_FIELD_SOURCE,
    T_FIELD_TEXTS,
    T_NONE,
    T_NECESSARY_STATUS,
    NUM_UI_TEXTS
} ui_text_t;

const char *ui_text(omote_ui_lang_t lang, ui_text_t id);

static inline void put(omote_ui_buf_t *out, const char *s)
{
    omote_ui_buf_append(out, s, strlen(s));
}

static inline void put_escaped(omote_ui_buf_t *out, const char *s)
{
    omote_ui_buf_append_escaped(out, s, strlen(s));
}

/* formats into the buffer; arguments are not escaped (callers pass numbers or escape first) */
void ui_putf(omote_ui_buf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* a configured text in `lang`, falling back to the other language, then to `fallback` */
const char *ui_pick(const char *en, const char *ja, omote_ui_lang_t lang, const char *fallback);
const char *ui_purpose_name(const omote_purpose_config_t *p, omote_ui_lang_t lang);
/* "400 days", "until you close the browser", ... (escaped) */
void ui_put_lifetime(omote_ui_buf_t *out, int days, omote_ui_lang_t lang);

/* forms shared by the banner and the privacy page; `ret` gives the path they come back to */
void ui_put_all_buttons(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang, const omote_ui_banner_t *ret);
void ui_put_purpose_form(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang, const omote_ui_banner_t *ret,
                         uint32_t granted, const char *save_text);

#endif
