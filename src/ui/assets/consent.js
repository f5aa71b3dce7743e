// omote consent banner: progressive enhancement of the server-rendered markup.
// Everything here also works without this script (plain form POSTs, plain links).
(() => {
  'use strict';

  // currentScript is only set while this file first runs, so read it now.
  const script = document.currentScript || document.querySelector('script[data-omote-link-text]');
  const host = document.getElementById('omote-consent');
  if (!host) return;

  let root = host.shadowRoot;
  if (!root) {
    // Browser without declarative shadow DOM: the <template> is still inert, so adopt it by hand.
    const tpl = host.querySelector('template');
    if (!tpl) return;
    root = host.attachShadow({ mode: 'open' });
    root.append(tpl.content);
    tpl.remove();
  }

  const api = host.dataset.omoteApi || '/_omote/';
  const FAIL = {
    en: 'We could not save your choice. Please try again.',
    ja: '選択を保存できませんでした。もう一度お試しください。',
  };
  const $ = (sel) => root.querySelector(sel);
  // The link text on the script tag is in the language the page was rendered in.
  const linkLang = ($('.omote-banner') || {}).lang || 'en';
  let busy = false;

  // Only take focus if the visitor has not already put it somewhere on a slow-loading page.
  const prev = document.activeElement;
  if (!prev || prev === document.body) $('.omote-banner')?.focus({ preventScroll: true });

  function privacyLink(pos) {
    const el = document.createElement('div');
    el.id = 'omote-privacy-link';
    el.dataset.omoteLink = '';
    const a = document.createElement('a');
    a.className = 'omote-link omote-' + pos;
    a.href = script?.dataset.omoteLinkHref || api + 'privacy';
    a.lang = linkLang;
    a.textContent = script?.dataset.omoteLinkText || 'Privacy choices';
    el.attachShadow({ mode: 'open' }).append($('style').cloneNode(true), a);
    return el;
  }

  function done() {
    const hadFocus = document.activeElement === host;
    const pos = host.dataset.omoteLinkPosition || 'bottom-left';
    if (pos === 'off') host.remove();
    else host.replaceWith(privacyLink(pos));
    if (hadFocus) (prev && prev.isConnected ? prev : document.body).focus({ preventScroll: true });
  }

  async function save(data) {
    busy = true;
    $('.omote-status').textContent = '';
    let ok = false;
    try {
      const res = await fetch(api + 'consent', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(data),
        credentials: 'same-origin',
      });
      ok = res.ok;
    } catch {
      // Network error: reported below like any failure.
    }
    busy = false;
    if (ok) return done();
    const banner = $('.omote-banner');
    $('.omote-status').textContent = FAIL[banner.lang.slice(0, 2)] || FAIL.en;
  }

  root.addEventListener('submit', (e) => {
    const form = e.target;
    let data;
    if (form.matches('.omote-main')) {
      const flag = e.submitter?.dataset.omoteAll;
      if (flag !== '1' && flag !== '0') return; // unknown submitter: let the native POST decide
      data = { all: flag === '1' };
    } else if (form.matches('.omote-purposes')) {
      const purposes = {};
      // Disabled boxes (strictly necessary) are not the visitor's choice; the server implies them.
      for (const box of form.querySelectorAll('input[type=checkbox]:not(:disabled)')) purposes[box.name] = box.checked;
      data = { purposes };
    } else {
      return;
    }
    e.preventDefault();
    if (busy) return;
    data.source = 'banner';
    save(data);
  });

  root.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const details = $('details.omote-choose[open]');
    if (!details) return;
    details.open = false;
    details.querySelector('summary').focus();
    // Handled here: keep the page's own Escape handlers (its modals, menus) out of it.
    e.preventDefault();
    e.stopPropagation();
  });

  root.addEventListener('click', async (e) => {
    const a = e.target.closest('a[data-omote-switch]');
    // Modified clicks (new tab, new window) keep their native meaning.
    if (!a || e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const url = api + 'banner?lang=' + encodeURIComponent(a.dataset.omoteSwitch) +
      '&return=' + encodeURIComponent(location.pathname + location.search);
    try {
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(res.status);
      root.innerHTML = await res.text();
      $('a[data-omote-switch]')?.focus();
    } catch {
      // Fall back to what the link does without JS (also covers Trusted Types refusing innerHTML).
      location.href = a.href;
    }
  });
})();
