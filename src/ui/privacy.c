/*
 * The transparency page (<api.prefix>privacy): what the shop collects and why, which partners
 * could receive what, every cookie with its lifetime, what Global Privacy Control changed, and
 * for this visitor what is stored about them, read from the same document GET me answers. Every
 * action works as a plain form: change, withdraw and erase post and come back here with 303.
 */
#include "internal.h"
#include "omote/ui_assets.h"
#include <jansson.h>
#include <stdio.h>
#include <time.h>

static const char *notice_text(const char *notice, omote_ui_lang_t lang)
{
    if (notice == NULL)
        return NULL;
    if (strcmp(notice, "saved") == 0)
        return ui_text(lang, T_NOTICE_SAVED);
    if (strcmp(notice, "withdrawn") == 0)
        return ui_text(lang, T_NOTICE_WITHDRAWN);
    if (strcmp(notice, "erased") == 0)
        return ui_text(lang, T_NOTICE_ERASED);
    return NULL;
}

static void put_heading(omote_ui_buf_t *out, const char *id, const char *text)
{
    ui_putf(out, "<section aria-labelledby=\"%s\"><h2 id=\"%s\">", id, id);
    put_escaped(out, text);
    put(out, "</h2>");
}

static void put_paragraph(omote_ui_buf_t *out, const char *text)
{
    put(out, "<p>");
    put_escaped(out, text);
    put(out, "</p>");
}

/* "2026-11-22 13:05" (UTC) into `text` */
static const char *format_utc(json_int_t when, char text[32])
{
    time_t t = (time_t)when;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(text, 32, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(text, 32, "%lld", (long long)when);
    return text;
}

/* bit i set when the visitor's consent state says purposes[i] is granted */
static uint32_t granted_of(const json_t *consent, const omote_config_t *conf)
{
    uint32_t granted = 0;
    const json_t *purposes = json_object_get(consent, "purposes");
    for (size_t i = 0; i != conf->num_purposes && i != json_array_size(purposes); ++i)
        if (json_is_true(json_object_get(json_array_get(purposes, i), "granted")))
            granted |= (uint32_t)1 << i;
    return granted;
}

static void put_promise(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang)
{
    const char *promise = ui_pick(conf->privacy.promise_en, conf->privacy.promise_ja, lang, NULL);
    if (promise == NULL && conf->privacy.retailer == NULL && conf->privacy.contact == NULL)
        return;
    put_heading(out, "omote-promise", ui_text(lang, T_PROMISE));
    if (promise != NULL)
        put_paragraph(out, promise);
    if (conf->privacy.retailer != NULL) {
        put(out, "<p>");
        put_escaped(out, ui_text(lang, T_RETAILER));
        put(out, " ");
        put_escaped(out, conf->privacy.retailer);
        put(out, "</p>");
    }
    if (conf->privacy.contact != NULL) {
        put(out, "<p>");
        put_escaped(out, ui_text(lang, T_CONTACT));
        put(out, " ");
        put_escaped(out, conf->privacy.contact);
        put(out, "</p>");
    }
    put(out, "</section>");
}

static void put_choices(omote_ui_buf_t *out, const omote_ui_privacy_t *page, const json_t *consent)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang;
    int decided = json_is_true(json_object_get(consent, "decided"));
    uint32_t granted = granted_of(consent, conf);
    char saved[96], withdrawn[96];
    snprintf(saved, sizeof(saved), "%sprivacy?lang=%s&done=saved", conf->api.prefix, omote_ui_lang_code(lang));
    snprintf(withdrawn, sizeof(withdrawn), "%sprivacy?lang=%s&done=withdrawn", conf->api.prefix, omote_ui_lang_code(lang));
    omote_ui_banner_t back = {conf, lang, saved, strlen(saved)};

    put_heading(out, "omote-choices", ui_text(lang, T_YOUR_CHOICES));
    if (!decided) {
        put_paragraph(out, ui_text(lang, T_NOT_DECIDED));
    } else {
        char when[32];
        omote_ui_buf_t version = {NULL}; /* the policy version is configured text: escaped */
        const char *v = json_string_value(json_object_get(consent, "policy_version"));
        put_escaped(&version, v != NULL ? v : "");
        put(out, "<p>");
        ui_putf(out, ui_text(lang, T_DECIDED), format_utc(json_integer_value(json_object_get(consent, "decided_at")), when),
                version.base != NULL ? version.base : "");
        omote_ui_buf_free(&version);
        put(out, "</p><ul class=\"omote-status-list\">");
        for (size_t i = 0; i != conf->num_purposes; ++i) {
            put(out, "<li>");
            put_escaped(out, ui_purpose_name(conf->purposes + i, lang));
            put(out, ": <strong>");
            put_escaped(out, ui_text(lang, conf->purposes[i].strictly_necessary ? T_NECESSARY_STATUS
                                            : (granted >> i) & 1           ? T_ALLOWED
                                                                           : T_REFUSED));
            put(out, "</strong></li>");
        }
        put(out, "</ul>");
    }
    ui_put_all_buttons(out, conf, lang, &back);
    put(out, "<h3>");
    put_escaped(out, ui_text(lang, T_CHANGE));
    put(out, "</h3>");
    ui_put_purpose_form(out, conf, lang, &back, decided ? granted : 0, ui_text(lang, T_SAVE));
    if (decided) {
        put(out, "<form class=\"omote-withdraw\" method=\"post\" action=\"");
        put_escaped(out, conf->api.prefix);
        put(out, "consent\"><input type=\"hidden\" name=\"withdraw\" value=\"1\"><input type=\"hidden\" name=\"return\" value=\"");
        put_escaped(out, withdrawn);
        put(out, "\"><button type=\"submit\" aria-describedby=\"omote-withdraw-help\">");
        put_escaped(out, ui_text(lang, T_WITHDRAW));
        put(out, "</button><p id=\"omote-withdraw-help\">");
        put_escaped(out, ui_text(lang, T_WITHDRAW_HELP));
        put(out, "</p></form>");
    }
    put(out, "</section>");
}

static void put_record_field(omote_ui_buf_t *out, const json_t *fields, const char *name, const char *label)
{
    const char *v = json_string_value(json_object_get(fields, name));
    if (v == NULL)
        return;
    put(out, "<dt>");
    put_escaped(out, label);
    put(out, "</dt><dd>");
    put_escaped(out, *v != '\0' ? v : "-");
    put(out, "</dd>");
}

static void put_stored(omote_ui_buf_t *out, const omote_ui_privacy_t *page)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang;
    put_heading(out, "omote-stored", ui_text(lang, T_STORED));
    if (page->me == NULL) {
        put(out, "<p role=\"alert\">");
        put_escaped(out, ui_text(lang, T_STORED_UNREADABLE));
        put(out, "</p></section>");
        return;
    }
    const json_t *record = json_object_get(page->me, "record"), *audit = json_object_get(page->me, "audit");
    if (json_is_object(record)) {
        json_int_t ttl = json_integer_value(json_object_get(record, "ttl_sec"));
        put(out, "<p>");
        ui_putf(out, ui_text(lang, T_STORED_RECORD), (long long)((ttl + 86399) / 86400));
        put(out, "</p><dl class=\"omote-record\">");
        const json_t *fields = json_object_get(record, "fields");
        put_record_field(out, fields, "granted", ui_text(lang, T_FIELD_PURPOSES));
        put_record_field(out, fields, "denied", ui_text(lang, T_FIELD_DENIED));
        put_record_field(out, fields, "policy_version", ui_text(lang, T_FIELD_POLICY));
        const char *at = json_string_value(json_object_get(fields, "decided_at"));
        if (at != NULL) {
            put(out, "<dt>");
            put_escaped(out, ui_text(lang, T_FIELD_TIME));
            put(out, "</dt><dd>");
            char when[32];
            put(out, format_utc((json_int_t)strtoll(at, NULL, 10), when));
            put(out, " UTC</dd>");
        }
        put_record_field(out, fields, "source", ui_text(lang, T_FIELD_SOURCE));
        put_record_field(out, fields, "texts_sha256", ui_text(lang, T_FIELD_TEXTS));
        put(out, "</dl><p>");
        ui_putf(out, ui_text(lang, T_STORED_AUDIT), json_array_size(audit));
        if (!json_is_true(json_object_get(json_object_get(page->me, "audit_scan"), "complete"))) {
            put(out, " ");
            put_escaped(out, ui_text(lang, T_AUDIT_PARTIAL));
        }
        put(out, "</p>");
    } else if (json_is_true(json_object_get(page->consent, "decided"))) {
        put(out, "<p>"); /* a refusal or withdrawal: its token carries no record id, so no cookie can tie the visitor to it */
        ui_putf(out, ui_text(lang, T_STORED_UNLINKED), conf->consent.lifetime_days);
        put(out, "</p>");
    } else {
        put_paragraph(out, ui_text(lang, T_STORED_NOTHING));
    }
    put_paragraph(out, ui_text(lang, json_is_string(json_object_get(page->me, "identifier")) ? T_IDENTIFIER_SET : T_IDENTIFIER_NONE));
    put(out, "<p><a class=\"omote-download\" href=\"");
    put_escaped(out, conf->api.prefix);
    put(out, "me?download=1\" download=\"omote-me.json\">");
    put_escaped(out, ui_text(lang, T_DOWNLOAD));
    put(out, "</a></p><form class=\"omote-erase\" method=\"post\" action=\"");
    put_escaped(out, conf->api.prefix);
    put(out, "me\"><input type=\"hidden\" name=\"erase\" value=\"1\"><input type=\"hidden\" name=\"return\" value=\"");
    put_escaped(out, conf->api.prefix);
    ui_putf(out, "privacy?lang=%s&amp;done=erased\"><button type=\"submit\" aria-describedby=\"omote-erase-help\">",
            omote_ui_lang_code(lang));
    put_escaped(out, ui_text(lang, T_ERASE));
    put(out, "</button><p id=\"omote-erase-help\">");
    put_escaped(out, ui_text(lang, T_ERASE_HELP));
    put(out, "</p></form></section>");
}

static void put_purpose_list(omote_ui_buf_t *out, const omote_config_t *conf, uint32_t set, omote_ui_lang_t lang)
{
    int any = 0;
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        if (!((set >> i) & 1))
            continue;
        if (any++)
            put(out, lang == OMOTE_UI_JA ? "、" : ", ");
        put_escaped(out, ui_purpose_name(conf->purposes + i, lang));
    }
}

static void put_gpc(omote_ui_buf_t *out, const omote_ui_privacy_t *page)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang;
    uint32_t gpc = 0;
    for (size_t i = 0; i != conf->num_purposes; ++i)
        if (conf->purposes[i].gpc)
            gpc |= (uint32_t)1 << i;
    put_heading(out, "omote-gpc", ui_text(lang, T_GPC));
    put_paragraph(out, ui_text(lang, page->gpc_received ? T_GPC_RECEIVED : T_GPC_NOT_RECEIVED));
    if (gpc != 0 && page->gpc_received) {
        omote_ui_buf_t names = {NULL};
        put_purpose_list(&names, conf, gpc, lang);
        put(out, "<p>");
        ui_putf(out, ui_text(lang, T_GPC_EFFECT), names.base);
        put(out, "</p>");
        omote_ui_buf_free(&names);
    } else if (gpc != 0) {
        put_paragraph(out, ui_text(lang, T_GPC_NO_EFFECT));
    }
    put(out, "</section>");
}

static void put_purposes_table(omote_ui_buf_t *out, const omote_ui_privacy_t *page, uint32_t granted, int decided)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang;
    put_heading(out, "omote-purposes", ui_text(lang, T_PURPOSES));
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        const omote_purpose_config_t *p = conf->purposes + i;
        put(out, "<article class=\"omote-purpose-card\"><h3>");
        put_escaped(out, ui_purpose_name(p, lang));
        put(out, "</h3><p class=\"omote-state\">");
        put_escaped(out, ui_text(lang, T_STATUS));
        put(out, ": <strong>");
        put_escaped(out, ui_text(lang, p->strictly_necessary ? T_NECESSARY_STATUS : decided && ((granted >> i) & 1) ? T_ALLOWED : T_REFUSED));
        put(out, "</strong></p>");
        const char *description = ui_pick(p->description_en, p->description_ja, lang, NULL);
        if (description != NULL)
            put_paragraph(out, description);
        put(out, "</article>");
    }
    put(out, "</section>");
}

/* a scrolling table's start, with a header cell per text */
static void put_table_head(omote_ui_buf_t *out, omote_ui_lang_t lang, const ui_text_t *columns, size_t num_columns)
{
    put(out, "<div class=\"omote-scroll\"><table><thead><tr>");
    for (size_t i = 0; i != num_columns; ++i) {
        put(out, "<th scope=\"col\">");
        put_escaped(out, ui_text(lang, columns[i]));
        put(out, "</th>");
    }
    put(out, "</tr></thead><tbody>");
}

static void put_cookie_row(omote_ui_buf_t *out, const char *name, const char *purpose, int days, const char *note, omote_ui_lang_t lang)
{
    put(out, "<tr><td><code>");
    put_escaped(out, name);
    put(out, "</code>");
    if (note != NULL) {
        put(out, "<br><small>");
        put_escaped(out, note);
        put(out, "</small>");
    }
    put(out, "</td><td>");
    put_escaped(out, purpose);
    put(out, "</td><td>");
    ui_put_lifetime(out, days, lang);
    put(out, "</td></tr>");
}

static void put_cookies_table(omote_ui_buf_t *out, const omote_ui_privacy_t *page)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang;
    put_heading(out, "omote-cookies", ui_text(lang, T_OWN_COOKIES));
    static const ui_text_t columns[] = {T_COOKIE, T_PURPOSE, T_LIFETIME};
    put_table_head(out, lang, columns, sizeof(columns) / sizeof(columns[0]));
    size_t necessary = conf->num_purposes;
    for (size_t i = 0; i != conf->num_purposes; ++i) {
        const omote_purpose_config_t *p = conf->purposes + i;
        if (p->strictly_necessary && necessary == conf->num_purposes)
            necessary = i;
        for (size_t c = 0; c != p->num_cookies; ++c)
            put_cookie_row(out, p->cookies[c], ui_purpose_name(p, lang), p->cookie_lifetime_days[c], NULL, lang);
    }
    if (conf->consent.enabled) {
        const char *necessary_name = necessary != conf->num_purposes ? ui_purpose_name(conf->purposes + necessary, lang)
                                                                     : ui_text(lang, T_NECESSARY_STATUS);
        put_cookie_row(out, conf->consent.cookie_name, necessary_name, (int)conf->consent.lifetime_days, ui_text(lang, T_CONSENT_COOKIE),
                       lang);
        uint32_t needs = 0;
        for (size_t i = 0; i != conf->num_purposes; ++i)
            if (conf->purposes[i].needs_identifier)
                needs |= (uint32_t)1 << i;
        if (needs != 0) {
            omote_ui_buf_t names = {NULL}; /* unescaped: the row escapes */
            const char *comma = lang == OMOTE_UI_JA ? "、" : ", ";
            for (size_t i = 0; i != conf->num_purposes; ++i) {
                if (!((needs >> i) & 1))
                    continue;
                if (names.len != 0)
                    put(&names, comma);
                put(&names, ui_purpose_name(conf->purposes + i, lang));
            }
            put_cookie_row(out, conf->consent.identifier_cookie_name, names.base, (int)conf->consent.lifetime_days,
                           ui_text(lang, T_IDENTIFIER_COOKIE), lang);
            omote_ui_buf_free(&names);
        }
    }
    put(out, "</tbody></table></div></section>");
}

static void put_vendors_table(omote_ui_buf_t *out, const omote_ui_privacy_t *page)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang;
    if (conf->num_vendors == 0)
        return;
    put_heading(out, "omote-vendors", ui_text(lang, T_VENDORS));
    static const ui_text_t columns[] = {T_VENDOR, T_PURPOSE, T_RECEIVES, T_DIRECT};
    put_table_head(out, lang, columns, sizeof(columns) / sizeof(columns[0]));
    for (size_t v = 0; v != conf->num_vendors; ++v) {
        const omote_vendor_config_t *vendor = conf->vendors + v;
        omote_ui_buf_t purpose = {NULL}, hosts = {NULL};
        put_escaped(&purpose, ui_purpose_name(conf->purposes + vendor->purpose, lang));
        put(out, "<tr><th scope=\"row\">");
        put_escaped(out, vendor->name);
        put(out, "</th><td>");
        put(out, purpose.base);
        put(out, "</td><td>");
        put_escaped(out, ui_pick(vendor->receives_en, vendor->receives_ja, lang, ui_text(lang, T_RECEIVES_DEFAULT)));
        put(out, "</td><td>");
        if (vendor->num_hosts != 0) {
            for (size_t h = 0; h != vendor->num_hosts; ++h) {
                if (h != 0)
                    put(&hosts, ", ");
                put(&hosts, "<code>");
                put_escaped(&hosts, vendor->hosts[h]);
                put(&hosts, "</code>");
            }
            ui_putf(out, ui_text(lang, T_DIRECT_HOSTS), purpose.base, hosts.base);
        } else {
            ui_putf(out, ui_text(lang, T_DIRECT_NEVER), purpose.base);
        }
        put(out, "</td></tr>");
        omote_ui_buf_free(&purpose);
        omote_ui_buf_free(&hosts);
    }
    put(out, "</tbody></table></div></section>");
}

void omote_ui_render_privacy(omote_ui_buf_t *out, const omote_ui_privacy_t *page)
{
    const omote_config_t *conf = page->conf;
    omote_ui_lang_t lang = page->lang, other = lang == OMOTE_UI_JA ? OMOTE_UI_EN : OMOTE_UI_JA;
    const json_t *consent = page->consent;
    int decided = json_is_true(json_object_get(consent, "decided"));
    int is_hashed;
    const omote_ui_asset_t *css = omote_ui_asset_find("privacy.css", strlen("privacy.css"), &is_hashed);

    ui_putf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                 "content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>",
            omote_ui_lang_code(lang));
    put_escaped(out, ui_text(lang, T_PAGE_TITLE));
    put(out, "</title>");
    if (css != NULL) {
        put(out, "<link rel=\"stylesheet\" href=\"");
        put_escaped(out, conf->api.prefix);
        put_escaped(out, css->hashed_name);
        put(out, "\">");
    }
    put(out, "</head><body><main class=\"omote-privacy\"><p class=\"omote-lang\"><a href=\"");
    put_escaped(out, conf->api.prefix);
    ui_putf(out, "privacy?lang=%s\" hreflang=\"%s\" lang=\"%s\">", omote_ui_lang_code(other), omote_ui_lang_code(other),
            omote_ui_lang_code(other));
    put_escaped(out, ui_text(other, T_LANG_NAME));
    put(out, "</a></p><h1>");
    put_escaped(out, ui_text(lang, T_PAGE_TITLE));
    put(out, "</h1>");
    const char *notice = notice_text(page->notice, lang);
    if (notice != NULL) {
        put(out, "<p class=\"omote-notice\" role=\"status\">");
        put_escaped(out, notice);
        put(out, "</p>");
    }
    put_promise(out, conf, lang);
    if (conf->consent.enabled) {
        if (consent != NULL)
            put_choices(out, page, consent);
        put_stored(out, page);
        put_gpc(out, page);
    }
    put_purposes_table(out, page, granted_of(consent, conf), decided);
    put_cookies_table(out, page);
    put_vendors_table(out, page);
    put(out, "</main></body></html>\n");
}
