// Drives omote's consent banner and transparency page (/_omote/privacy) in Debian's headless Chromium,
// each flow in a fresh browser context: first visit, reject, accept, withdraw and erase on the privacy
// page, keyboard only, no JavaScript, Japanese (Accept-Language and the banner's language switch),
// 320 px wide, layout shift (CLS), axe-core, screenshots. Nothing leaves the machine: every request
// not to 127.0.0.1 is aborted by a context route (the attempt is still recorded, with the flow's
// phase at the time). Records facts only and writes them as JSON to --report; the judging is
// tests/integration/test_banner_browser.py's. Every wait is bounded; nothing asserts on time.
// Exits 2 when playwright-core or axe-core is missing, 1 when the browser could not run at all.
//
//   node banner.mjs --base http://127.0.0.1:P --report FILE --artifacts DIR [--redis-port N] [--flows a,b]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const HERE = dirname(fileURLToPath(import.meta.url));
const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
const LOAD_TIMEOUT_MS = 30000; // bounds a navigation or a fetch
const STEP_TIMEOUT_MS = 10000; // bounds a click, a wait for an element, an evaluate
const SETTLE_MS = 1000;        // after load: async loaders, late layout shifts
const CPU_THROTTLE = 4;        // CDP CPU slow-down for the slow-device layout-shift loads
const SLOW_LOADS = 4;          // fresh page loads under that slow-down
const MAX_TABS = 25;           // Tab presses before giving up on reaching a control
const DESKTOP = { width: 1280, height: 800 };
const NARROW = { width: 320, height: 640 };

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.base || !args.report || !args.artifacts) {
  console.error('usage: node banner.mjs --base URL --report FILE --artifacts DIR [--redis-port N] [--flows a,b]');
  process.exit(2);
}
const base = args.base.replace(/\/$/, '');
const only = args.flows ? new Set(args.flows.split(',')) : null;

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('banner.mjs: npm package playwright-core not installed (npm ci in tests/browser)');
  process.exit(2);
}
if (!existsSync(AXE)) {
  console.error(`banner.mjs: npm package axe-core not installed (${AXE}; npm ci in tests/browser)`);
  process.exit(2);
}
mkdirSync(args.artifacts, { recursive: true });

const hostOf = (url) => {
  try {
    return new URL(url).hostname;
  } catch (e) {
    return '';
  }
};
const isLocal = (url) => {
  try {
    const u = new URL(url);
    return u.hostname === '127.0.0.1' || ['data:', 'blob:', 'about:'].includes(u.protocol);
  } catch (e) {
    return false;
  }
};
const firstLine = (e) => String(e?.message ?? e).split('\n').slice(0, 3).join(' | ');

// ---------------------------------------------------------------------------------------------
// in-page helpers (serialised into the page by evaluate)

/** The focused element through open shadow roots: [{tag, id, cls, text, type, name, inBanner}, ...] outermost first. */
function deepActiveInPage() {
  const out = [];
  let el = document.activeElement;
  while (el) {
    out.push({
      tag: el.tagName.toLowerCase(), id: el.id || null, cls: el.getAttribute('class'),
      text: (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40), type: el.getAttribute('type'),
      name: el.getAttribute('name'), lang: el.getAttribute('lang'),
    });
    const inner = el.shadowRoot && el.shadowRoot.activeElement;
    if (!inner) break;
    el = inner;
  }
  return out;
}

/** State of the banner as the page has it now. */
function bannerStateInPage() {
  const host = document.getElementById('omote-consent');
  const link = document.getElementById('omote-privacy-link');
  const root = host && host.shadowRoot;
  const sec = root && root.querySelector('section.omote-banner');
  const box = (el) => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height };
  };
  const details = root && root.querySelector('details.omote-choose');
  return {
    host: !!host, shadow: !!root, section: !!sec, box: box(sec),
    display: sec ? getComputedStyle(sec).display : null, visibility: sec ? getComputedStyle(sec).visibility : null,
    lang: sec ? sec.getAttribute('lang') : null,
    title: root?.querySelector('#omote-title')?.textContent ?? null,
    accept: root?.querySelector('[data-omote-all="1"]')?.textContent ?? null,
    reject: root?.querySelector('[data-omote-all="0"]')?.textContent ?? null,
    details_open: details ? details.open : null,
    status: root?.querySelector('.omote-status')?.textContent ?? null,
    link: !!link, link_shadow: !!(link && link.shadowRoot),
    link_text: link?.shadowRoot?.querySelector('a.omote-link')?.textContent ?? null,
    link_href: link?.shadowRoot?.querySelector('a.omote-link')?.getAttribute('href') ?? null,
    scroll_width: document.documentElement.scrollWidth, client_width: document.documentElement.clientWidth,
    url: location.href,
  };
}

// ---------------------------------------------------------------------------------------------
// page-side steps

const deepActive = (page) => page.evaluate(deepActiveInPage);
const bannerState = (page) => page.evaluate(bannerStateInPage);
const bannerGone = (page) => page.waitForFunction(() => !document.getElementById('omote-consent'), null, { timeout: STEP_TIMEOUT_MS });

/**
 * Sum of layout-shift values (PerformanceObserver, buffered) without hadRecentInput, and with. Each shift is
 * attributed: to the banner when a source node is inside omote's hosts, or is not exposed (in a shadow tree)
 * and sits at the bottom of the viewport where the banner is; else to the page.
 */
function measureCls(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const seen = [];
    const po = new PerformanceObserver((list) => seen.push(...list.getEntries()));
    po.observe({ type: 'layout-shift', buffered: true });
    setTimeout(() => {
      seen.push(...po.takeRecords());
      po.disconnect();
      const hosts = ['omote-consent', 'omote-privacy-link'];
      const r = (q) => `${Math.round(q.x)},${Math.round(q.y)} ${Math.round(q.width)}x${Math.round(q.height)}`;
      const describe = (e) => {
        let banner = false;
        const sources = (e.sources || []).map((src) => {
          const n = src.node;
          const inHost = !!n && hosts.some((id) => n.id === id || !!n.closest?.('#' + id));
          const atBottom = src.currentRect.bottom >= innerHeight - 2 || src.previousRect.bottom >= innerHeight - 2;
          const isBanner = inHost || (!n && atBottom);
          banner = banner || isBanner;
          const what = n ? n.nodeName.toLowerCase() + (n.id ? '#' + n.id : '')
            + (typeof n.className === 'string' && n.className ? '.' + n.className.trim().split(/\s+/).join('.') : '')
            : '(node not exposed: in a shadow tree)';
          return `${isBanner ? 'banner' : 'page'}: ${what} ${r(src.previousRect)} -> ${r(src.currentRect)}`;
        });
        return { value: e.value, hadRecentInput: e.hadRecentInput, startTime: Math.round(e.startTime), banner, sources };
      };
      const entries = seen.map(describe);
      const sum = (list) => list.reduce((a, e) => a + e.value, 0);
      const counted = entries.filter((e) => !e.hadRecentInput);
      resolve({
        cls: sum(counted), all: sum(entries), banner_cls: sum(counted.filter((e) => e.banner)),
        page_cls: sum(counted.filter((e) => !e.banner)), entries, ready: document.readyState,
      });
    }, 200);
  }));
}

/** axe-core on the banner host (shadow tree included) or the whole page. */
async function runAxe(page, include) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async ({ include }) => {
    const ctx = include ? { include: [include] } : document;
    const r = await window.axe.run(ctx, { resultTypes: ['violations', 'incomplete'] });
    const nodesIn = (list) => list.reduce((a, x) => a + x.nodes.length, 0);
    const shadowNodes = [...r.passes, ...r.violations, ...r.incomplete]
      .reduce((a, x) => a + x.nodes.filter((n) => Array.isArray(n.target[0])).length, 0);
    return {
      version: window.axe.version,
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200), summary: (n.failureSummary || '').slice(0, 400) })),
      })),
      incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
      passes: r.passes.length, pass_nodes: nodesIn(r.passes), shadow_nodes: shadowNodes,
    };
  }, { include });
}

async function shoot(page, name, fullPage = false) {
  const path = join(args.artifacts, name);
  await page.screenshot({ path, fullPage, timeout: STEP_TIMEOUT_MS });
  return path;
}

/** fetch() from the page itself (same origin, the browser's own cookies and Origin). */
function pageFetch(page, path, method = 'GET') {
  return page.evaluate(async ({ path, method, ms }) => {
    const r = await fetch(path, { method, credentials: 'same-origin', signal: AbortSignal.timeout(ms) });
    const text = await r.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch (e) {
      json = { unparsed: text.slice(0, 300) };
    }
    return { status: r.status, body: json };
  }, { path, method, ms: LOAD_TIMEOUT_MS });
}

async function goto(page, path) {
  const resp = await page.goto(base + path, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
  return { status: resp ? resp.status() : null, html: resp ? await resp.text() : '' };
}

const cookieNames = (cookies) => cookies.map((c) => c.name).sort();
const cookie = (cookies, name) => {
  const c = cookies.find((x) => x.name === name);
  return c ? { name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path, expires: c.expires } : null;
};

/** Presses Tab until `pred(deepActivePath)` holds; only keyboard.press. Returns {presses, reached, stops}. */
async function tabTo(page, pred) {
  const stops = [];
  for (let n = 1; n <= MAX_TABS; ++n) {
    await page.keyboard.press('Tab');
    const path = await deepActive(page);
    const last = path[path.length - 1];
    stops.push(`${last.tag}${last.text ? ':' + last.text.slice(0, 20) : ''}`);
    if (pred(last, path)) return { presses: n, reached: true, stops };
  }
  return { presses: MAX_TABS, reached: false, stops };
}

/** Clicks a submit control and follows the form POST: {post_status, location, final_url, final_status}. */
async function submitAndFollow(page, locator, apiPath) {
  const postResp = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === apiPath,
    { timeout: LOAD_TIMEOUT_MS });
  const nav = page.waitForNavigation({ waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
  await locator.click({ timeout: STEP_TIMEOUT_MS });
  const [post, final] = await Promise.all([postResp, nav]);
  return {
    post_status: post.status(), location: await post.headerValue('location'),
    final_url: page.url().slice(base.length), final_status: final ? final.status() : null,
  };
}

function redisHash(key) {
  if (!args['redis-port'] || !key) return null;
  try {
    const out = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', args['redis-port'], 'HGETALL', key],
      { timeout: 5000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = out.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
    const h = {};
    for (let i = 0; i + 1 < lines.length; i += 2) h[lines[i]] = lines[i + 1];
    return h;
  } catch (e) {
    return { error: firstLine(e) };
  }
}

// ---------------------------------------------------------------------------------------------
// flows

const report = { base, axe_path: AXE, artifacts: {}, flows: {} };
let browser = null;

async function flow(name, contextOptions, fn) {
  if (only && !only.has(name)) return;
  const f = { name, error: null, phase: 'start', facts: {}, requests: [] };
  report.flows[name] = f;
  let context = null;
  try {
    context = await browser.newContext({ serviceWorkers: 'block', viewport: DESKTOP, locale: 'en-US', ...contextOptions });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(LOAD_TIMEOUT_MS);
    context.on('request', (r) => {
      f.requests.push({ url: r.url(), host: hostOf(r.url()), method: r.method(), type: r.resourceType(), phase: f.phase, failure: null });
    });
    context.on('requestfailed', (r) => {
      const rec = f.requests.find((x) => x.url === r.url() && x.failure === null);
      if (rec) rec.failure = r.failure()?.errorText ?? 'failed';
    });
    await context.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
    if (contextOptions.javaScriptEnabled !== false) await context.addInitScript(bannerTimeline);
    const page = await context.newPage();
    await fn(page, context, f.facts, (phase) => { f.phase = phase; });
  } catch (e) {
    f.error = `${f.phase}: ${firstLine(e)}`;
  } finally {
    if (context) await context.close().catch(() => {});
  }
  delete f.phase;
  f.third_party = f.requests.filter((r) => !isLocal(r.url));
  f.request_count = f.requests.length;
}

/** Records every change of the banner's geometry (and the viewport's) per animation frame for 3 s: explains a layout shift. */
const bannerTimeline = () => {
  window.__omoteTimeline = [];
  const t0 = performance.now();
  let last = '';
  const frame = () => {
    const sec = document.getElementById('omote-consent')?.shadowRoot?.querySelector('section.omote-banner');
    if (sec) {
      const r = sec.getBoundingClientRect();
      const kids = [...sec.children].map((c) => Math.round(c.getBoundingClientRect().height)).join(',');
      const s = `y=${Math.round(r.y)} h=${Math.round(r.height)} w=${Math.round(r.width)} children=[${kids}] viewport=${innerWidth}x${innerHeight}`;
      if (s !== last) window.__omoteTimeline.push(`${Math.round(performance.now())}ms ${document.readyState} ${s}`);
      last = s;
    }
    if (performance.now() - t0 < 3000) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
};
const timeline = (page) => page.evaluate(() => window.__omoteTimeline ?? null).catch(() => null);

/** Records the banner's state at DOMContentLoaded (consent.js is deferred: it has run by then). */
const atDomContentLoaded = () => {
  document.addEventListener('DOMContentLoaded', () => {
    const host = document.getElementById('omote-consent');
    const sec = host && host.shadowRoot && host.shadowRoot.querySelector('section.omote-banner');
    const r = sec && sec.getBoundingClientRect();
    window.__omoteDCL = {
      host: !!host, shadow: !!(host && host.shadowRoot), section: !!sec,
      box: r ? { x: r.x, y: r.y, w: r.width, h: r.height } : null,
      visibility: sec ? getComputedStyle(sec).visibility : null, display: sec ? getComputedStyle(sec).display : null,
    };
  }, { once: true });
};

async function firstVisit(page, context, facts, phase, shotName) {
  await context.addInitScript(atDomContentLoaded);
  phase('first visit');
  const r = await goto(page, '/');
  facts.status = r.status;
  const m = r.html.match(/<body[^>]*>/);
  facts.html_has_banner = r.html.includes('<div id="omote-consent"');
  facts.html_banner_after_body = !!m && r.html.slice(m.index + m[0].length).startsWith('<div id="omote-consent"');
  facts.html_has_gtm_tag = /<script[^>]*\ssrc="https:\/\/www\.googletagmanager\.com\//.test(r.html);
  facts.dcl = await page.evaluate(() => window.__omoteDCL ?? null);
  await page.waitForTimeout(SETTLE_MS);
  facts.state = await bannerState(page);
  facts.cookies = cookieNames(await context.cookies());
  facts.cls_load = await measureCls(page);
  facts.timeline = await timeline(page);
  if (shotName) facts.screenshot = report.artifacts[shotName] = await shoot(page, shotName);
}

async function main() {
  // 1. first visit: banner at first paint, no identifier, no third-party request; CLS; axe (en, closed and open)
  await flow('first_visit', {}, async (page, context, facts, phase) => {
    await firstVisit(page, context, facts, phase, 'banner-en-desktop.png');
    phase('axe');
    facts.axe_closed = await runAxe(page, '#omote-consent');
    await page.locator('#omote-consent summary').click();
    facts.details_opened = await page.evaluate(() => document.getElementById('omote-consent').shadowRoot.querySelector('details').open);
    facts.axe_open = await runAxe(page, '#omote-consent');
    facts.cookies_end = cookieNames(await context.cookies());
  });

  // 2. Reject all (click): banner gone, link in, no identifier; reload: no banner, still nothing third-party
  await flow('reject', {}, async (page, context, facts, phase) => {
    phase('first visit');
    await goto(page, '/');
    phase('reject');
    await page.locator('#omote-consent button[data-omote-all="0"]').click();
    await bannerGone(page);
    await page.waitForSelector('#omote-privacy-link', { state: 'attached', timeout: STEP_TIMEOUT_MS });
    facts.after = await bannerState(page);
    facts.cookies = cookieNames(await context.cookies());
    phase('reload');
    const r = await page.reload({ waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    const html = r ? await r.text() : '';
    facts.reload_html_banner = html.includes('id="omote-consent"');
    facts.reload_html_link = html.includes('<div id="omote-privacy-link"');
    await page.waitForTimeout(SETTLE_MS);
    facts.reload = await bannerState(page);
    facts.cookies_reload = cookieNames(await context.cookies());
    facts.consent = (await pageFetch(page, '/_omote/consent')).body;
  });

  // 3. Accept all (click): HttpOnly identifier, CLS after accepting, vendors' tags in the HTML and attempted after reload
  await flow('accept', {}, async (page, context, facts, phase) => {
    phase('first visit');
    await goto(page, '/');
    await page.waitForTimeout(SETTLE_MS);
    facts.cls_load = await measureCls(page);
    facts.timeline = await timeline(page);
    phase('accept');
    await page.locator('#omote-consent button[data-omote-all="1"]').click();
    await bannerGone(page);
    await page.waitForSelector('#omote-privacy-link', { state: 'attached', timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(SETTLE_MS);
    facts.cls_accept = await measureCls(page);
    facts.after = await bannerState(page);
    const cookies = await context.cookies();
    facts.cookies = cookieNames(cookies);
    facts.omote_id = cookie(cookies, 'omote_id');
    phase('reload');
    const r = await page.reload({ waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    const html = r ? await r.text() : '';
    facts.reload_html_banner = html.includes('id="omote-consent"');
    facts.reload_script_srcs = [...html.matchAll(/<script[^>]*\ssrc="(https?:\/\/[^"]+)"/g)].map((x) => x[1]);
    await page.waitForTimeout(SETTLE_MS);
    facts.reload = await bannerState(page);
  });

  // 4. change of mind on the privacy page: withdraw (record updated in Redis), accept again, erase; screenshots and axe
  await flow('privacy', {}, async (page, context, facts, phase) => {
    phase('accept on /');
    await goto(page, '/');
    await page.locator('#omote-consent button[data-omote-all="1"]').click();
    await bannerGone(page);
    facts.cookies_accepted = cookieNames(await context.cookies());
    const me = await pageFetch(page, '/_omote/me');
    facts.me_before = { status: me.status, key: me.body?.record?.key ?? null, event: me.body?.record?.fields?.event ?? null };
    phase('privacy page en');
    facts.page_en = { status: (await goto(page, '/_omote/privacy')).status };
    facts.page_en.lang = await page.evaluate(() => document.documentElement.lang);
    facts.screenshot_en = report.artifacts['privacy-en.png'] = await shoot(page, 'privacy-en.png', true);
    facts.axe_en = await runAxe(page, null);
    phase('privacy page ja');
    facts.page_ja = { status: (await goto(page, '/_omote/privacy?lang=ja')).status };
    facts.page_ja.lang = await page.evaluate(() => document.documentElement.lang);
    facts.page_ja.h1 = await page.locator('h1').textContent();
    facts.screenshot_ja = report.artifacts['privacy-ja.png'] = await shoot(page, 'privacy-ja.png', true);
    facts.axe_ja = await runAxe(page, null);
    phase('withdraw');
    await goto(page, '/_omote/privacy');
    facts.withdraw = await submitAndFollow(page, page.getByRole('button', { name: 'Withdraw my consent' }), '/_omote/consent');
    facts.withdraw.notice = await page.locator('.omote-notice').textContent({ timeout: STEP_TIMEOUT_MS }).catch(() => null);
    facts.cookies_withdrawn = cookieNames(await context.cookies());
    facts.redis_withdrawn = redisHash(facts.me_before.key);
    phase('accept again');
    facts.accept_again = await submitAndFollow(page, page.locator('form.omote-main button[data-omote-all="1"]'), '/_omote/consent');
    facts.cookies_accepted_again = cookieNames(await context.cookies());
    const me2 = await pageFetch(page, '/_omote/me');
    facts.me_again = { status: me2.status, key: me2.body?.record?.key ?? null, audit: (me2.body?.audit ?? []).length };
    phase('erase');
    facts.erase = await submitAndFollow(page, page.getByRole('button', { name: 'Erase what is stored about me' }), '/_omote/me');
    facts.erase.notice = await page.locator('.omote-notice').textContent({ timeout: STEP_TIMEOUT_MS }).catch(() => null);
    facts.cookies_erased = cookieNames(await context.cookies());
    const me3 = await pageFetch(page, '/_omote/me');
    facts.me_erased = { status: me3.status, record: me3.body?.record ?? 'absent', audit: me3.body?.audit ?? 'absent' };
    facts.redis_erased = redisHash(facts.me_again.key);
  });

  // 5a. keyboard only: focus in the banner on load, Tab to Reject all, Enter
  await flow('keyboard_reject', {}, async (page, context, facts, phase) => {
    phase('first visit');
    await goto(page, '/');
    facts.focus_on_load = await deepActive(page);
    phase('tab');
    facts.tab = await tabTo(page, (el) => el.tag === 'button' && el.text === 'Reject all');
    if (!facts.tab.reached) return;
    phase('enter');
    await page.keyboard.press('Enter');
    await bannerGone(page);
    facts.after = await bannerState(page);
    facts.focus_after = await deepActive(page);
    facts.focus_connected = await page.evaluate(() => !!document.activeElement && document.activeElement.isConnected);
    facts.cookies = cookieNames(await context.cookies());
  });

  // 5b. keyboard only: Choose, a checkbox, Space, Escape, again, Save my choices
  await flow('keyboard_choose', {}, async (page, context, facts, phase) => {
    phase('first visit');
    await goto(page, '/');
    phase('tab to Choose');
    facts.tab_choose = await tabTo(page, (el) => el.tag === 'summary');
    if (!facts.tab_choose.reached) return;
    await page.keyboard.press('Enter');
    facts.open_after_enter = (await bannerState(page)).details_open;
    phase('tab to checkbox');
    facts.tab_box = await tabTo(page, (el) => el.tag === 'input' && el.type === 'checkbox');
    if (!facts.tab_box.reached) return;
    facts.box = (await deepActive(page)).pop();
    await page.keyboard.press('Space');
    facts.box_checked = await page.evaluate(() => {
      const root = document.getElementById('omote-consent').shadowRoot;
      return Object.fromEntries([...root.querySelectorAll('form.omote-purposes input[type=checkbox]')].map((b) => [b.name, b.checked]));
    });
    phase('escape');
    await page.keyboard.press('Escape');
    facts.open_after_escape = (await bannerState(page)).details_open;
    facts.focus_after_escape = (await deepActive(page)).pop();
    phase('reopen');
    await page.keyboard.press('Enter');
    facts.open_again = (await bannerState(page)).details_open;
    phase('tab to Save');
    facts.tab_save = await tabTo(page, (el) => el.tag === 'button' && el.text === 'Save my choices');
    if (!facts.tab_save.reached) return;
    phase('save');
    await page.keyboard.press('Enter');
    await bannerGone(page);
    facts.focus_after = await deepActive(page);
    const c = await pageFetch(page, '/_omote/consent');
    facts.consent_status = c.status;
    facts.decided = c.body?.decided ?? null;
    facts.granted = Object.fromEntries((c.body?.purposes ?? []).map((p) => [p.id, p.granted]));
    facts.cookies = cookieNames(await context.cookies());
  });

  // 6. no JavaScript: declarative shadow DOM banner, reject by form POST + 303; privacy page forms
  await flow('no_js', { javaScriptEnabled: false }, async (page, context, facts, phase) => {
    phase('first visit');
    const r = await goto(page, '/');
    facts.html_has_banner = r.html.includes('<div id="omote-consent"');
    const section = page.locator('#omote-consent section.omote-banner');
    facts.section_visible = await section.isVisible();
    facts.section_box = await section.boundingBox();
    facts.reject_visible = await page.locator('#omote-consent button[data-omote-all="0"]').isVisible();
    phase('reject');
    facts.reject = await submitAndFollow(page, page.locator('#omote-consent button[data-omote-all="0"]'), '/_omote/consent');
    facts.after_html_banner = (await page.content()).includes('id="omote-consent"');
    facts.after_link_attached = (await page.locator('#omote-privacy-link').count()) === 1;
    facts.cookies_rejected = cookieNames(await context.cookies());
    phase('privacy accept');
    await goto(page, '/_omote/privacy');
    facts.accept = await submitAndFollow(page, page.locator('form.omote-main button[data-omote-all="1"]'), '/_omote/consent');
    const cookies = await context.cookies();
    facts.cookies_accepted = cookieNames(cookies);
    facts.omote_id = cookie(cookies, 'omote_id');
    const me = await context.request.get(base + '/_omote/me', { timeout: LOAD_TIMEOUT_MS });
    const meBody = await me.json().catch(() => null);
    facts.me_key = meBody?.record?.key ?? null;
    phase('privacy withdraw');
    facts.withdraw = await submitAndFollow(page, page.getByRole('button', { name: 'Withdraw my consent' }), '/_omote/consent');
    facts.withdraw.notice = await page.locator('.omote-notice').textContent().catch(() => null);
    facts.cookies_withdrawn = cookieNames(await context.cookies());
    facts.redis_withdrawn = redisHash(facts.me_key);
    phase('privacy accept again');
    facts.accept_again = await submitAndFollow(page, page.locator('form.omote-main button[data-omote-all="1"]'), '/_omote/consent');
    phase('privacy erase');
    facts.erase = await submitAndFollow(page, page.getByRole('button', { name: 'Erase what is stored about me' }), '/_omote/me');
    facts.erase.notice = await page.locator('.omote-notice').textContent().catch(() => null);
    facts.cookies_erased = cookieNames(await context.cookies());
    const me2 = await context.request.get(base + '/_omote/me', { timeout: LOAD_TIMEOUT_MS });
    const me2Body = await me2.json().catch(() => null);
    facts.me_erased = { status: me2.status(), record: me2Body?.record ?? 'absent', audit: me2Body?.audit ?? 'absent' };
  });

  // 7a. Accept-Language ja: banner in Japanese; screenshot; axe (closed and open)
  await flow('lang_ja', { locale: 'ja-JP' }, async (page, context, facts, phase) => {
    await firstVisit(page, context, facts, phase, 'banner-ja-desktop.png');
    phase('axe');
    facts.axe_closed = await runAxe(page, '#omote-consent');
    await page.locator('#omote-consent summary').click();
    facts.axe_open = await runAxe(page, '#omote-consent');
  });

  // 7b. the language switch in an English banner: Japanese content without navigation
  await flow('lang_switch', {}, async (page, context, facts, phase) => {
    phase('first visit');
    await goto(page, '/');
    let navigations = 0;
    page.on('framenavigated', (fr) => { if (fr === page.mainFrame()) navigations += 1; });
    await page.evaluate(() => { window.__omoteMarker = 42; });
    facts.before = await bannerState(page);
    phase('switch');
    await page.locator('#omote-consent a[data-omote-switch]').click();
    await page.waitForFunction(() => document.getElementById('omote-consent')?.shadowRoot
      ?.querySelector('section.omote-banner')?.getAttribute('lang') === 'ja', null, { timeout: STEP_TIMEOUT_MS });
    facts.after = await bannerState(page);
    facts.navigations = navigations;
    facts.marker = await page.evaluate(() => window.__omoteMarker ?? null);
    facts.focus_after = (await deepActive(page)).pop();
    facts.switch_back = await page.evaluate(() => {
      const a = document.getElementById('omote-consent').shadowRoot.querySelector('a[data-omote-switch]');
      return a ? { text: a.textContent, target: a.dataset.omoteSwitch } : null;
    });
  });

  // 9. layout shift while the page streams in on a slow device: CPU throttled (CDP), several fresh loads
  await flow('cls_slow_cpu', {}, async (page, context, facts, phase) => {
    facts.rate = CPU_THROTTLE;
    facts.loads = [];
    for (let i = 0; i < SLOW_LOADS; ++i) {
      phase(`load ${i + 1}`);
      const p = i === 0 ? page : await context.newPage();
      const cdp = await context.newCDPSession(p);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLE });
      await goto(p, `/?slow=${i + 1}`);
      await p.waitForTimeout(SETTLE_MS);
      const c = await measureCls(p);
      c.timeline = await timeline(p);
      facts.loads.push(c);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      await p.close();
    }
  });

  // 8. 320 px wide, en and ja: no horizontal scrolling, Accept and Reject visible (hit-tested)
  for (const [name, locale, shot] of [['narrow_en', 'en-US', 'banner-en-320.png'], ['narrow_ja', 'ja-JP', 'banner-ja-320.png']]) {
    await flow(name, { viewport: NARROW, locale }, async (page, context, facts, phase) => {
      phase('first visit');
      await goto(page, '/');
      await page.waitForTimeout(SETTLE_MS);
      facts.state = await bannerState(page);
      facts.buttons = await page.evaluate(() => {
        const root = document.getElementById('omote-consent').shadowRoot;
        return [...root.querySelectorAll('button.omote-choice, details.omote-choose > summary')].map((b) => {
          const r = b.getBoundingClientRect();
          const cx = r.x + r.width / 2;
          const cy = r.y + r.height / 2;
          const hit = root.elementFromPoint(cx, cy);
          return {
            text: b.textContent, x: r.x, y: r.y, w: r.width, h: r.height,
            in_viewport: r.x >= 0 && r.y >= 0 && r.right <= innerWidth && r.bottom <= innerHeight && r.width > 0 && r.height > 0,
            hit: !!hit && (hit === b || b.contains(hit)),
          };
        });
      });
      facts.screenshot = report.artifacts[shot] = await shoot(page, shot);
    });
  }
}

let fatal = null;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
  report.browser_version = browser.version();
  await main();
} catch (e) {
  fatal = e;
  report.fatal = String(e.stack ?? e);
  console.log(`# banner.mjs: ${e.stack ?? e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
writeFileSync(args.report, JSON.stringify(report, null, 1));

const pad = (s, n) => String(s).padEnd(n);
console.log(`# banner.mjs: Chromium ${report.browser_version ?? '?'}, axe-core from ${AXE}`);
console.log(`# ${pad('flow', 16)} ${pad('requests', 9)} ${pad('third-party', 12)} error`);
for (const f of Object.values(report.flows)) {
  const hosts = [...new Set(f.third_party.map((r) => r.host))].sort();
  console.log(`# ${pad(f.name, 16)} ${pad(f.request_count, 9)} ${pad(f.third_party.length, 12)} ${f.error ?? '-'}${hosts.length ? '  (' + hosts.join(',') + ')' : ''}`);
}
process.exit(fatal ? 1 : 0);
