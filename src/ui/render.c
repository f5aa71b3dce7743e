/*
 * The banner and the privacy link, as inserted into retailer pages. The markup contract
 * (ids, classes, data attributes) is shared with src/ui/assets/consent.js and banner.css.
 *
 * Accept all and Reject all are the same element with the same class in one form, so nothing
 * but their words tells them apart; no purpose is ticked in advance; "Choose" is a <details>,
 * which opens and closes without JavaScript and tells screen readers its state.
 */
#include "internal.h"
#include "omote/consent_body.h"
#include "omote/ui_assets.h"
#include <stdio.h>

const omote_ui_asset_t *omote_ui_asset_find(const char *name, size_t len, int *is_hashed)
{
    for (const omote_ui_asset_t *a = omote_ui_assets; a->name != NULL; ++a) {
        if (strlen(a->hashed_name) == len && memcmp(a->hashed_name, name, len) == 0) {
            *is_hashed = 1;
            return a;
        }
        if (strlen(a->name) == len && memcmp(a->name, name, len) == 0) {
            *is_hashed = 0;
            return a;
        }
    }
    return NULL;
}

static const omote_ui_asset_t *asset(const char *name)
{
    int is_hashed;
    const omote_ui_asset_t *a = omote_ui_asset_find(name, strlen(name), &is_hashed);
    if (a == NULL)
        abort(); /* the build embeds every asset this file names */
    return a;
}

static void put_style(omote_ui_buf_t *out)
{
    const omote_ui_asset_t *css = asset("banner.css");
    put(out, "<style>");
    omote_ui_buf_append(out, css->bytes, css->len); /* our own file: holds no "</style" (checked by test_ui) */
    put(out, "</style>");
}

#define RETURN_FIELD "<input type=\"hidden\" name=\"return\" value=\""

/* the page to come back to, into `path`: the request's own, or "/" when a form could not return there */
static const char *local_return(const char *return_to, size_t len, char path[OMOTE_CONSENT_BODY_MAX_RETURN + 1])
{
    if (return_to == NULL || len > OMOTE_CONSENT_BODY_MAX_RETURN || memchr(return_to, '\0', len) != NULL)
        return "/";
    memcpy(path, return_to, len);
    path[len] = '\0';
    return omote_consent_body_is_local_path(path) ? path : "/";
}

static void put_return_field(omote_ui_buf_t *out, const omote_ui_banner_t *b)
{
    char path[OMOTE_CONSENT_BODY_MAX_RETURN + 1];
    put(out, RETURN_FIELD);
    put_escaped(out, local_return(b->return_to, b->return_to_len, path));
    put(out, "\">");
}

static void put_cookie_item(omote_ui_buf_t *out, const char *name, int days, const char *what, omote_ui_lang_t lang)
{
    put(out, "<li><code>");
    put_escaped(out, name);
    put(out, "</code>: ");
    ui_put_lifetime(out, days, lang);
    if (what != NULL) {
        put(out, " (");
        put_escaped(out, what);
        put(out, ")");
    }
    put(out, "</li>");
}

/* the purpose's details: description, the partners it covers, its cookies with lifetimes (omote's own included) */
static void put_purpose_detail(omote_ui_buf_t *out, const omote_config_t *conf, size_t index, omote_ui_lang_t lang)
{
    const omote_purpose_config_t *p = conf->purposes + index;
    const char *description = ui_pick(p->description_en, p->description_ja, lang, NULL);
    if (description != NULL) {
        put(out, "<p>");
        put_escaped(out, description);
        put(out, "</p>");
    }
    put(out, "<p class=\"omote-vendors\">");
    put_escaped(out, ui_text(lang, T_PARTNERS));
    put(out, " ");
    int any = 0;
    for (size_t v = 0; v != conf->num_vendors; ++v) {
        if (conf->vendors[v].purpose != index)
            continue;
        if (any++)
            put(out, ", ");
        put_escaped(out, conf->vendors[v].name);
    }
    if (!any)
        put_escaped(out, ui_text(lang, T_NO_PARTNERS));
    put(out, "</p>");
    int is_first_necessary = 0;
    if (p->strictly_necessary) {
        size_t first = 0;
        while (first != conf->num_purposes && !conf->purposes[first].strictly_necessary)
            ++first;
        is_first_necessary = first == index;
    }
    int has_own = conf->consent.enabled && (is_first_necessary || p->needs_identifier);
    if (p->num_cookies == 0 && !has_own) {
        put(out, "<p class=\"omote-cookies\">");
        put_escaped(out, ui_text(lang, T_NO_COOKIES));
        put(out, "</p>");
        return;
    }
    put(out, "<p class=\"omote-cookies-title\">");
    put_escaped(out, ui_text(lang, T_COOKIES));
    put(out, "</p><ul class=\"omote-cookies\">");
    for (size_t c = 0; c != p->num_cookies; ++c)
        put_cookie_item(out, p->cookies[c], p->cookie_lifetime_days[c], NULL, lang);
    if (conf->consent.enabled && is_first_necessary)
        put_cookie_item(out, conf->consent.cookie_name, (int)conf->consent.lifetime_days, ui_text(lang, T_CONSENT_COOKIE), lang);
    if (conf->consent.enabled && p->needs_identifier)
        put_cookie_item(out, conf->consent.identifier_cookie_name, (int)conf->consent.lifetime_days, ui_text(lang, T_IDENTIFIER_COOKIE),
                        lang);
    put(out, "</ul>");
}

static void put_purpose_switch(omote_ui_buf_t *out, const omote_config_t *conf, size_t index, omote_ui_lang_t lang, int is_granted)
{
    const omote_purpose_config_t *p = conf->purposes + index;
    put(out, "<div class=\"omote-purpose\"><input type=\"checkbox\" id=\"omote-p-");
    put(out, p->id); /* ids are [a-z0-9_-]: nothing to escape */
    put(out, "\" name=\"");
    put(out, p->id);
    put(out, "\" value=\"on\"");
    if (p->strictly_necessary)
        put(out, " checked disabled");
    else if (is_granted)
        put(out, " checked");
    put(out, " aria-describedby=\"omote-d-");
    put(out, p->id);
    put(out, "\"><label for=\"omote-p-");
    put(out, p->id);
    put(out, "\">");
    put_escaped(out, ui_purpose_name(p, lang));
    if (p->strictly_necessary) {
        put(out, " <span class=\"omote-always\">");
        put_escaped(out, ui_text(lang, T_ALWAYS_ON));
        put(out, "</span>");
    }
    put(out, "</label><div id=\"omote-d-");
    put(out, p->id);
    put(out, "\" class=\"omote-detail\">");
    put_purpose_detail(out, conf, index, lang);
    put(out, "</div></div>");
}

/* the per-purpose form, shared with the privacy page (there with the visitor's current choices ticked) */
void ui_put_purpose_form(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang, const omote_ui_banner_t *ret,
                         uint32_t granted, const char *save_text)
{
    put(out, "<form class=\"omote-purposes\" method=\"post\" action=\"");
    put_escaped(out, conf->api.prefix);
    put(out, "consent\">");
    put_return_field(out, ret);
    put(out, "<fieldset><legend>");
    put_escaped(out, ui_text(lang, T_CHOOSE_LEGEND));
    put(out, "</legend>");
    for (size_t i = 0; i != conf->num_purposes; ++i)
        put_purpose_switch(out, conf, i, lang, (granted >> i) & 1);
    put(out, "</fieldset><button type=\"submit\" class=\"omote-save\">");
    put_escaped(out, save_text);
    put(out, "</button></form>");
}

/* the accept-all / reject-all pair, shared with the privacy page */
void ui_put_all_buttons(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang, const omote_ui_banner_t *ret)
{
    put(out, "<form class=\"omote-main\" method=\"post\" action=\"");
    put_escaped(out, conf->api.prefix);
    put(out, "consent\">");
    put_return_field(out, ret);
    put(out, "<div class=\"omote-buttons\"><button type=\"submit\" name=\"all\" value=\"1\" class=\"omote-choice\" "
             "data-omote-all=\"1\">");
    put_escaped(out, ui_text(lang, T_ACCEPT_ALL));
    put(out, "</button><button type=\"submit\" name=\"all\" value=\"0\" class=\"omote-choice\" data-omote-all=\"0\">");
    put_escaped(out, ui_text(lang, T_REJECT_ALL));
    put(out, "</button></div></form>");
}

void omote_ui_render_banner_content(omote_ui_buf_t *out, const omote_ui_banner_t *b)
{
    const omote_config_t *conf = b->conf;
    omote_ui_lang_t lang = b->lang, other = lang == OMOTE_UI_JA ? OMOTE_UI_EN : OMOTE_UI_JA;
    put_style(out);
    ui_putf(out,
            "<section class=\"omote-banner\" role=\"dialog\" aria-modal=\"false\" aria-labelledby=\"omote-title\" "
            "aria-describedby=\"omote-intro\" lang=\"%s\" tabindex=\"-1\" data-omote-lang=\"%s\"><div class=\"omote-head\">"
            "<h2 id=\"omote-title\">",
            omote_ui_lang_code(lang), omote_ui_lang_code(lang));
    put_escaped(out, ui_pick(conf->banner.title_en, conf->banner.title_ja, lang, ui_text(lang, T_BANNER_TITLE)));
    put(out, "</h2><a class=\"omote-lang\" href=\"");
    put_escaped(out, conf->api.prefix);
    ui_putf(out, "privacy?lang=%s\" hreflang=\"%s\" lang=\"%s\" data-omote-switch=\"%s\">", omote_ui_lang_code(other),
            omote_ui_lang_code(other), omote_ui_lang_code(other), omote_ui_lang_code(other));
    put_escaped(out, ui_text(other, T_LANG_NAME));
    put(out, "</a></div><p id=\"omote-intro\">");
    put_escaped(out, ui_pick(conf->banner.text_en, conf->banner.text_ja, lang, ui_text(lang, T_BANNER_INTRO)));
    put(out, " <a href=\"");
    put_escaped(out, conf->api.prefix);
    ui_putf(out, "privacy?lang=%s\">", omote_ui_lang_code(lang));
    put_escaped(out, ui_text(lang, T_WHAT_WE_COLLECT));
    put(out, "</a></p>");
    ui_put_all_buttons(out, conf, lang, b);
    put(out, "<details class=\"omote-choose\"><summary>");
    put_escaped(out, ui_text(lang, T_CHOOSE));
    put(out, "</summary>");
    ui_put_purpose_form(out, conf, lang, b, 0, ui_text(lang, T_SAVE));
    put(out, "</details><p class=\"omote-status\" role=\"status\" aria-live=\"polite\"></p></section>");
}

static const char *link_position_class(omote_privacy_link_t position)
{
    return position == OMOTE_PRIVACY_LINK_BOTTOM_RIGHT ? "omote-bottom-right" : "omote-bottom-left";
}

static const char *link_position_name(omote_privacy_link_t position)
{
    return position == OMOTE_PRIVACY_LINK_OFF ? "off" : position == OMOTE_PRIVACY_LINK_BOTTOM_RIGHT ? "bottom-right" : "bottom-left";
}

void omote_ui_render_banner(omote_ui_buf_t *out, const omote_ui_banner_t *b)
{
    const omote_config_t *conf = b->conf;
    put(out, "<div id=\"omote-consent\" data-omote-banner=\"\" data-omote-api=\"");
    put_escaped(out, conf->api.prefix);
    ui_putf(out, "\" data-omote-link-position=\"%s\"><template shadowrootmode=\"open\">", link_position_name(conf->banner.privacy_link));
    omote_ui_render_banner_content(out, b);
    put(out, "</template></div><script src=\"");
    put_escaped(out, conf->api.prefix);
    put_escaped(out, asset("consent.js")->hashed_name);
    put(out, "\" defer data-omote-link-text=\"");
    put_escaped(out, ui_text(b->lang, T_PRIVACY_CHOICES));
    put(out, "\" data-omote-link-href=\"");
    put_escaped(out, conf->api.prefix);
    put(out, "privacy\"></script>");
}

void omote_ui_render_privacy_link(omote_ui_buf_t *out, const omote_config_t *conf, omote_ui_lang_t lang)
{
    if (conf->banner.privacy_link == OMOTE_PRIVACY_LINK_OFF)
        return;
    put(out, "<div id=\"omote-privacy-link\" data-omote-link=\"\"><template shadowrootmode=\"open\">");
    put_style(out);
    ui_putf(out, "<a class=\"omote-link %s\" href=\"", link_position_class(conf->banner.privacy_link));
    put_escaped(out, conf->api.prefix);
    ui_putf(out, "privacy\" lang=\"%s\">", omote_ui_lang_code(lang));
    put_escaped(out, ui_text(lang, T_PRIVACY_CHOICES));
    put(out, "</a></template></div>");
}

/* ---- insertions rendered once per configuration ---- */

#define BANNER_RETURNS 2 /* the accept/reject form and the purposes form */

struct st_omote_ui_snippets_t {
    struct {
        omote_ui_buf_t html; /* rendered with return path "/" */
        size_t slot[BANNER_RETURNS]; /* offsets of those "/"s, where a page's own path goes */
    } banner[2];
    omote_ui_buf_t link[2];
};

omote_ui_snippets_t *omote_ui_snippets_create(const omote_config_t *conf)
{
    omote_ui_snippets_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    for (int lang = OMOTE_UI_EN; lang <= OMOTE_UI_JA; ++lang) {
        omote_ui_banner_t banner = {conf, (omote_ui_lang_t)lang, "/", 1};
        omote_ui_render_banner(&s->banner[lang].html, &banner);
        omote_ui_render_privacy_link(&s->link[lang], conf, (omote_ui_lang_t)lang);
        /* configured texts are escaped, so their quotes cannot spell the field: only omote's own two match */
        const char *at = s->banner[lang].html.base;
        for (size_t i = 0; i != BANNER_RETURNS; ++i) {
            at = strstr(at, RETURN_FIELD);
            if (at == NULL)
                abort();
            at += strlen(RETURN_FIELD);
            s->banner[lang].slot[i] = (size_t)(at - s->banner[lang].html.base);
        }
        if (strstr(at, RETURN_FIELD) != NULL)
            abort();
    }
    return s;
}

void omote_ui_snippets_free(omote_ui_snippets_t *s)
{
    if (s == NULL)
        return;
    for (int lang = OMOTE_UI_EN; lang <= OMOTE_UI_JA; ++lang) {
        omote_ui_buf_free(&s->banner[lang].html);
        omote_ui_buf_free(&s->link[lang]);
    }
    free(s);
}

void omote_ui_snippets_page(const omote_ui_snippets_t *s, omote_ui_lang_t lang, int has_decision, const char *return_to,
                            size_t return_to_len, omote_ui_buf_t *out)
{
    if (has_decision) {
        omote_ui_buf_append(out, s->link[lang].base != NULL ? s->link[lang].base : "", s->link[lang].len);
        return;
    }
    char path[OMOTE_CONSENT_BODY_MAX_RETURN + 1];
    const char *local = local_return(return_to, return_to_len, path);
    const omote_ui_buf_t *html = &s->banner[lang].html;
    size_t from = 0;
    for (size_t i = 0; i != BANNER_RETURNS; ++i) {
        omote_ui_buf_append(out, html->base + from, s->banner[lang].slot[i] - from);
        put_escaped(out, local);
        from = s->banner[lang].slot[i] + 1; /* past the "/" it stands for */
    }
    omote_ui_buf_append(out, html->base + from, html->len - from);
}
