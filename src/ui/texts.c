/*
 * omote's own words on the banner and the transparency page, in English and Japanese. Plain
 * language on purpose: what happens, what the visitor can do, nothing to nudge them. The words
 * about purposes, vendors and the retailer's promise come from the configuration instead.
 */
#include "internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const texts[NUM_UI_TEXTS][2] = {
    [T_BANNER_TITLE] = {"Your privacy choices", "プライバシーの選択"},
    [T_BANNER_INTRO] = {"We use cookies and similar technology only for what you allow. The strictly necessary ones keep the "
                        "shop working; everything else stays off until you say yes, and you can change your mind at any time.",
                        "当店は、お客様が許可した目的にのみクッキー等の技術を使用します。店舗の動作に必要なものを除き、"
                        "同意いただくまで無効のままです。選択はいつでも変更できます。"},
    [T_WHAT_WE_COLLECT] = {"What we collect and why", "収集する情報とその理由"},
    [T_ACCEPT_ALL] = {"Accept all", "すべて許可"},
    [T_REJECT_ALL] = {"Reject all", "すべて拒否"},
    [T_CHOOSE] = {"Choose", "選択する"},
    [T_CHOOSE_LEGEND] = {"Choose what you allow", "許可する目的を選択"},
    [T_SAVE] = {"Save my choices", "選択を保存"},
    [T_ALWAYS_ON] = {"(always on)", "（常に有効）"},
    [T_PARTNERS] = {"Partners:", "提携先:"},
    [T_NO_PARTNERS] = {"none", "なし"},
    [T_COOKIES] = {"Cookies:", "クッキー:"},
    [T_NO_COOKIES] = {"No cookies.", "クッキーはありません。"},
    [T_UNTIL_CLOSED] = {"until you close the browser", "ブラウザを閉じるまで"},
    [T_DAYS] = {"%d days", "%d日間"},
    [T_ONE_DAY] = {"1 day", "1日間"},
    [T_UNSTATED] = {"lifetime not stated", "保存期間の記載なし"},
    [T_PRIVACY_CHOICES] = {"Privacy choices", "プライバシー設定"},
    [T_LANG_NAME] = {"English", "日本語"},
    [T_PAGE_TITLE] = {"Privacy: what we collect and what we hold about you", "プライバシー: 収集する情報と保有する情報"},
    [T_PROMISE] = {"Our promise", "私たちの約束"},
    [T_RETAILER] = {"Who decides about your data:", "データの管理者:"},
    [T_CONTACT] = {"Contact:", "お問い合わせ:"},
    [T_YOUR_CHOICES] = {"Your choices", "あなたの選択"},
    [T_NOT_DECIDED] = {"You have not decided yet. Until you do, only strictly necessary cookies are used and no identifier is "
                       "set in your browser.",
                       "まだ選択されていません。選択されるまで、必要なクッキーのみを使用し、識別子は設定しません。"},
    [T_DECIDED] = {"You decided on %s (UTC) under policy version %s.", "%s（UTC）にポリシーバージョン %s のもとで選択されました。"},
    [T_ALLOWED] = {"allowed", "許可"},
    [T_REFUSED] = {"refused", "拒否"},
    [T_CHANGE] = {"Change my choices", "選択を変更"},
    [T_WITHDRAW] = {"Withdraw my consent", "同意を撤回"},
    [T_WITHDRAW_HELP] = {"Everything but the strictly necessary goes off again and the identifier cookie is removed.",
                         "必要なもの以外はすべて無効になり、識別子のクッキーは削除されます。"},
    [T_DOWNLOAD] = {"Download what is stored (JSON)", "保存されている情報をダウンロード（JSON）"},
    [T_ERASE] = {"Erase what is stored about me", "保存されている情報を消去"},
    [T_ERASE_HELP] = {"Deletes your record and its audit entries, and removes omote's cookies from your browser.",
                      "記録と監査ログを削除し、ブラウザから omote のクッキーを削除します。"},
    [T_STORED] = {"What is stored about you", "保存されているあなたの情報"},
    [T_STORED_NOTHING] = {"Nothing is stored about you on our servers.", "当店のサーバーにはあなたに関する情報は保存されていません。"},
    [T_STORED_UNREADABLE] = {"We could not read what is stored about you just now. Please reload this page in a moment.",
                             "現在、保存されている情報を読み込めませんでした。しばらくしてから再読み込みしてください。"},
    [T_STORED_UNLINKED] = {"Your refusal is remembered by the consent cookie in your browser alone. The record of it on our "
                           "servers is not linked to you (your cookie holds no reference to it) and deletes itself within %u days.",
                           "拒否の選択は、ブラウザの同意クッキーだけで記憶されます。サーバー上の記録はあなたと結び付いておらず"
                           "（クッキーは記録を参照しません）、%u日以内に自動的に削除されます。"},
    [T_STORED_RECORD] = {"One record of your decision. It deletes itself in %lld days unless you decide again.",
                         "あなたの選択の記録が1件あります。再度選択されない限り、%lld日後に自動的に削除されます。"},
    [T_STORED_AUDIT] = {"%zu entries in the audit log that proves your decisions.", "あなたの選択を証明する監査ログ: %zu件"},
    [T_AUDIT_PARTIAL] = {"(only the newest entries of the log were searched)", "（ログの新しい項目のみを検索しました）"},
    [T_IDENTIFIER_SET] = {"Your browser holds a first-party identifier because you allowed a purpose that needs one. It is not "
                          "stored on our servers.",
                          "識別子が必要な目的を許可されたため、ブラウザにファーストパーティ識別子があります。当店のサーバーには保存されていません。"},
    [T_IDENTIFIER_NONE] = {"Your browser holds no identifier from us.", "当店からの識別子はブラウザにありません。"},
    [T_GPC] = {"Global Privacy Control", "グローバル・プライバシー・コントロール（GPC）"},
    [T_GPC_RECEIVED] = {"Your browser sent the Global Privacy Control signal (Sec-GPC: 1).",
                        "お使いのブラウザは GPC 信号（Sec-GPC: 1）を送信しています。"},
    [T_GPC_NOT_RECEIVED] = {"Your browser did not send the Global Privacy Control signal.", "お使いのブラウザは GPC 信号を送信していません。"},
    [T_GPC_EFFECT] = {"Because of it, %s stay off when you choose \"Accept all\", unless you switch them on yourself; a decision "
                      "you made before is not changed.",
                      "そのため「すべて許可」を選んでも、ご自身で有効にしない限り %s は無効のままです。以前の選択は変更されません。"},
    [T_GPC_NO_EFFECT] = {"If it does, purposes that share or sell data stay off on \"Accept all\" unless you switch them on yourself.",
                         "送信された場合、データの共有・販売に関わる目的は、ご自身で有効にしない限り無効のままです。"},
    [T_PURPOSES] = {"Purposes", "利用目的"},
    [T_PURPOSE] = {"Purpose", "目的"},
    [T_STATUS] = {"Your status", "あなたの状態"},
    [T_COOKIE] = {"Cookie", "クッキー"},
    [T_LIFETIME] = {"Lifetime", "保存期間"},
    [T_OWN_COOKIES] = {"Cookies", "クッキー"},
    [T_CONSENT_COOKIE] = {"remembers your decision (signed; holds no personal data)", "あなたの選択を記憶します（署名付き、個人データなし）"},
    [T_IDENTIFIER_COOKIE] = {"first-party identifier, set only after you allow a purpose that needs it",
                             "識別子。必要な目的を許可された場合のみ設定"},
    [T_VENDORS] = {"Partners", "提携先"},
    [T_VENDOR] = {"Partner", "提携先"},
    [T_RECEIVES] = {"What it receives", "受け取る情報"},
    [T_RECEIVES_DEFAULT] = {"What its tags send from your browser: typically the page address, your browser's details and its own "
                            "cookies.",
                            "タグがブラウザから送信する情報（通常はページのアドレス、ブラウザの情報、提携先自身のクッキー）。"},
    [T_DIRECT] = {"Does your browser talk to it directly?", "ブラウザは直接通信しますか"},
    [T_DIRECT_HOSTS] = {"Only if you allow %s: then your browser loads its tags from %s. Otherwise never: omote removes its tags "
                        "before the page reaches you.",
                        "%sを許可した場合のみ、ブラウザは %s からタグを読み込みます。それ以外は一切通信しません。"
                        "omote がページの配信前にタグを削除します。"},
    [T_DIRECT_NEVER] = {"Never: it is reached only through this shop's own addresses, and only if you allow %s.",
                        "一切ありません。当店のアドレスを経由してのみ、%sを許可した場合に限り送信されます。"},
    [T_NOTICE_SAVED] = {"Your choices were saved.", "選択を保存しました。"},
    [T_NOTICE_WITHDRAWN] = {"Your consent was withdrawn.", "同意を撤回しました。"},
    [T_NOTICE_ERASED] = {"What was stored about you has been erased.", "保存されていた情報を消去しました。"},
    [T_FIELD_PURPOSES] = {"allowed purposes", "許可した目的"},
    [T_FIELD_DENIED] = {"refused purposes", "拒否した目的"},
    [T_FIELD_POLICY] = {"policy version", "ポリシーバージョン"},
    [T_FIELD_TIME] = {"time", "日時"},
    [T_FIELD_SOURCE] = {"how you decided", "選択の方法"},
    [T_FIELD_TEXTS] = {"fingerprint of the texts you were shown", "表示された文言のフィンガープリント"},
    [T_NONE] = {"none", "なし"},
    [T_NECESSARY_STATUS] = {"always on", "常に有効"},
};

size_t omote_ui_num_own_texts(void)
{
    return NUM_UI_TEXTS;
}

const char *omote_ui_own_text(size_t index, omote_ui_lang_t lang)
{
    return index < NUM_UI_TEXTS ? texts[index][lang == OMOTE_UI_JA] : NULL;
}

const char *ui_text(omote_ui_lang_t lang, ui_text_t id)
{
    return texts[id][lang == OMOTE_UI_JA];
}

const char *ui_pick(const char *en, const char *ja, omote_ui_lang_t lang, const char *fallback)
{
    const char *first = lang == OMOTE_UI_JA ? ja : en, *second = lang == OMOTE_UI_JA ? en : ja;
    return first != NULL ? first : second != NULL ? second : fallback;
}

const char *ui_purpose_name(const omote_purpose_config_t *p, omote_ui_lang_t lang)
{
    return ui_pick(p->name_en, p->name_ja, lang, p->id);
}

void ui_put_lifetime(omote_ui_buf_t *out, int days, omote_ui_lang_t lang)
{
    if (days == OMOTE_COOKIE_LIFETIME_UNSTATED)
        put_escaped(out, ui_text(lang, T_UNSTATED));
    else if (days == 0)
        put_escaped(out, ui_text(lang, T_UNTIL_CLOSED));
    else if (days == 1)
        put_escaped(out, ui_text(lang, T_ONE_DAY));
    else
        ui_putf(out, ui_text(lang, T_DAYS), days);
}

void ui_putf(omote_ui_buf_t *out, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (n < 0)
        abort();
    char *tmp = malloc((size_t)n + 1);
    if (tmp == NULL)
        abort();
    va_start(args, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, args);
    va_end(args);
    omote_ui_buf_append(out, tmp, (size_t)n);
    free(tmp);
}

void omote_ui_buf_append(omote_ui_buf_t *buf, const char *bytes, size_t len)
{
    if (buf->cap - buf->len < len + 1) {
        size_t cap = buf->cap != 0 ? buf->cap : 1024;
        while (cap - buf->len < len + 1)
            cap *= 2;
        char *p = realloc(buf->base, cap);
        if (p == NULL)
            abort();
        buf->base = p;
        buf->cap = cap;
    }
    memcpy(buf->base + buf->len, bytes, len);
    buf->len += len;
    buf->base[buf->len] = '\0';
}

void omote_ui_buf_append_escaped(omote_ui_buf_t *buf, const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i != len; ++i) {
        const char *entity;
        switch (text[i]) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        omote_ui_buf_append(buf, text + run, i - run);
        omote_ui_buf_append(buf, entity, strlen(entity));
        run = i + 1;
    }
    omote_ui_buf_append(buf, text + run, len - run);
}

void omote_ui_buf_free(omote_ui_buf_t *buf)
{
    free(buf->base);
    *buf = (omote_ui_buf_t){NULL};
}
