// Crawls the demo shop through omote in Debian's headless Chromium, before consent, after an
// accept-all POSTed by the page itself (same-origin fetch), and after a withdrawal (DELETE), in one
// fresh browser context. Records every request the pages attempt (requests not to 127.0.0.1 are
// aborted by page.route; the attempt is still recorded), every response's headers, each document's
// HTML as omote sent it, and context.cookies() after each phase. Writes all of it as JSON to
// --report and prints a table; the judging is test_identity_crawl.py's. Exits 2 when playwright-core
// is missing, 1 when the crawl itself could not run.
//
//   node consent.mjs --base http://127.0.0.1:P --pages /,/about.html --vendor-hosts a.com,b.net --report FILE
import { writeFileSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const LOAD_TIMEOUT_MS = 30000; // bounds a page load or a fetch; nothing asserts on time
const SETTLE_MS = 500;         // after load, for async loaders to make their requests

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.base || !args.pages || !args.report) {
  console.error('usage: node consent.mjs --base URL --pages /a,/b --vendor-hosts h1,h2 --report FILE');
  process.exit(2);
}
const base = args.base.replace(/\/$/, '');
const pages = args.pages.split(',');
const vendorHosts = (args['vendor-hosts'] ?? '').split(',').filter(Boolean);

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('consent.mjs: npm package playwright-core not installed (npm ci in tests/browser)');
  process.exit(2);
}

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch (e) {
    return '';
  }
}

function isLocal(url) {
  const u = new URL(url);
  return u.hostname === '127.0.0.1' || ['data:', 'blob:', 'about:'].includes(u.protocol);
}

const isVendor = (host) => vendorHosts.some((h) => host === h || host.endsWith(`.${h}`));

/** Everything one phase saw; the page's listeners write into `current`. */
let current = null;
function startPhase(phase) {
  current = { phase, visits: [], requests: [], responses: [], pending: [] };
  return current;
}

async function endPhase(context, ph) {
  await Promise.allSettled(ph.pending);
  delete ph.pending;
  ph.cookies = await context.cookies();
  ph.vendor_requests = ph.requests.filter((r) => isVendor(r.host));
  return ph;
}

async function visit(page, path) {
  const v = { path, status: null, error: null, html: '' };
  try {
    const resp = await page.goto(base + path, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    v.status = resp ? resp.status() : null;
    v.html = resp ? await resp.text() : '';
    await page.waitForTimeout(SETTLE_MS);
  } catch (e) {
    v.error = e.message.split('\n')[0];
  }
  current.visits.push(v);
}

/** fetch() from the page itself: same-origin, with the browser's own Origin and Sec-Fetch-* headers. */
async function pageFetch(page, method, body) {
  return page.evaluate(async ({ method, body, timeoutMs }) => {
    const init = { method, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const r = await fetch('/_omote/consent', init);
    const text = await r.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch (e) {
      json = { unparsed: text.slice(0, 500) };
    }
    return { status: r.status, body: json };
  }, { method, body, timeoutMs: LOAD_TIMEOUT_MS });
}

const report = { base, pages, vendor_hosts: vendorHosts, phases: [] };
let browser = null;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
  const context = await browser.newContext({ serviceWorkers: 'block' });
  context.setDefaultTimeout(LOAD_TIMEOUT_MS);
  const page = await context.newPage();
  page.on('request', (r) => {
    const rec = { url: r.url(), host: hostOf(r.url()), method: r.method(), type: r.resourceType(), failure: null };
    current.requests.push(rec);
    if (new URL(r.url()).pathname.startsWith('/_omote/')) {
      // the API calls' request headers as sent, to explain an answer
      current.pending.push(r.allHeaders().then((h) => { rec.headers = h; }));
    }
  });
  page.on('requestfailed', (r) => {
    const rec = current.requests.find((x) => x.url === r.url() && x.failure === null);
    if (rec) rec.failure = r.failure()?.errorText ?? 'failed';
  });
  page.on('response', (r) => {
    const rec = { url: r.url(), status: r.status(), headers: [] };
    current.responses.push(rec);
    current.pending.push(r.headersArray().then((hs) => { rec.headers = hs.map((h) => [h.name, h.value]); }));
  });
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));

  startPhase('before');
  for (const p of pages) await visit(page, p);
  report.phases.push(await endPhase(context, current));

  startPhase('consent POST');
  report.consent_post = await pageFetch(page, 'POST', { all: true });
  report.phases.push(await endPhase(context, current));

  startPhase('consented');
  try {
    await page.reload({ waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    await page.waitForTimeout(SETTLE_MS);
  } catch (e) {
    current.reload_error = e.message.split('\n')[0];
  }
  for (const p of pages) await visit(page, p);
  report.phases.push(await endPhase(context, current));

  startPhase('DELETE');
  report.consent_delete = await pageFetch(page, 'DELETE');
  report.phases.push(await endPhase(context, current));

  startPhase('withdrawn');
  for (const p of pages) await visit(page, p);
  report.phases.push(await endPhase(context, current));
  await context.close();
} catch (e) {
  console.log(`# consent.mjs: ${e.stack ?? e}`);
  failed = true;
} finally {
  if (browser) await browser.close();
}
writeFileSync(args.report, JSON.stringify(report, null, 1));

const pad = (s, n) => String(s).padEnd(n);
console.log(`# ${pad('phase', 13)} ${pad('pages', 6)} ${pad('identifier cookie', 26)} ${pad('requests', 9)} vendor-host requests (aborted)`);
for (const ph of report.phases) {
  const id = ph.cookies.find((c) => c.name === 'omote_id');
  const idText = id ? `yes${id.httpOnly ? ' (httpOnly' : ' (NOT httpOnly'}, ${id.sameSite})` : 'no';
  const hosts = [...new Set(ph.vendor_requests.map((r) => r.host))].sort();
  console.log(`# ${pad(ph.phase, 13)} ${pad(ph.visits.length, 6)} ${pad(idText, 26)} ${pad(ph.requests.length, 9)}`
    + ` ${ph.vendor_requests.length}${hosts.length ? ` ${hosts.join(',')}` : ''}`);
}
for (const [name, r] of [['POST', report.consent_post], ['DELETE', report.consent_delete]]) {
  if (r) console.log(`# ${name} /_omote/consent from the page: ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
}
process.exit(failed ? 1 : 0);
