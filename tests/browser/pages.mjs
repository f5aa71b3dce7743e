// Loads shared pages in Debian's Chromium twice, straight from the origin and through omote, records
// every request each page attempts, and judges each with the oracle (@ghostery/adblocker with
// EasyPrivacy, tests/oracle/engine.mjs). Nothing leaves the machine: every request not to 127.0.0.1
// is aborted by page.route (the attempt is still recorded). Prints a table per page; exits 1 if a
// page through omote attempts any request the oracle blocks, or if a page attempts none directly
// (then the check would prove nothing). Exits 2 when something it needs is missing.
//
//   node pages.mjs --direct http://127.0.0.1:P/ --omote http://127.0.0.1:Q/ [--pages a,b,c] [--list FILE]
import { EASYPRIVACY, judge, loadEngine } from '../oracle/engine.mjs';

const CHROMIUM = '/usr/bin/chromium';
const DEFAULT_PAGES = ['pixnet', 'wikia', 'nytimes-1', 'medicalnewstoday', 'seattletimes-1', 'article-author-tag'];
const LOAD_TIMEOUT_MS = 30000; // bounds a page load; nothing asserts on time
const SETTLE_MS = 1500;        // after DOMContentLoaded, for async loaders to make their requests

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!args.direct || !args.omote) {
  console.error('usage: node pages.mjs --direct URL --omote URL [--pages a,b] [--list FILE]');
  process.exit(2);
}
const pages = args.pages ? args.pages.split(',') : DEFAULT_PAGES;

let chromium, oracle;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('pages.mjs: npm package playwright-core not installed (npm ci in tests/browser)');
  process.exit(2);
}
try {
  oracle = await loadEngine(args.list ?? EASYPRIVACY);
} catch (e) {
  console.error(`pages.mjs: ${e.message}`);
  process.exit(2);
}

// playwright's resourceType() -> the request type @ghostery/adblocker expects
function requestType(request, page) {
  const t = request.resourceType();
  if (t === 'document') return request.frame() === page.mainFrame() ? 'main_frame' : 'sub_frame';
  if (t === 'xhr') return 'xmlhttprequest';
  return t;
}

function isLocal(url) {
  try {
    const u = new URL(url);
    return u.hostname === '127.0.0.1' || u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:';
  } catch (e) {
    return false;
  }
}

/** Loads `url` in a fresh context; returns the requests it attempted (the page itself left out). */
async function visit(browser, url) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => {
    const type = requestType(r, page);
    if (type === 'main_frame' && r.url() === url) return;
    requests.push({ url: r.url(), type, sourceUrl: url });
  });
  // sockets that scripts open are not HTTP requests; close them before they connect anywhere
  page.on('websocket', (ws) => requests.push({ url: ws.url(), type: 'websocket', sourceUrl: url }));
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  let error = null;
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: LOAD_TIMEOUT_MS });
    await page.waitForTimeout(SETTLE_MS);
  } catch (e) {
    error = e.message.split('\n')[0];
  } finally {
    await context.close();
  }
  return { requests, error };
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  timeout: 60000,
});
const rows = [];
const remaining = [];
let failed = false;
try {
  for (const name of pages) {
    const row = { name };
    for (const side of ['direct', 'omote']) {
      const url = `${args[side]}${encodeURIComponent(name)}.html`;
      const { requests, error } = await visit(browser, url);
      if (error) {
        console.log(`# ${name} (${side}): ${error}`);
        failed = true;
      }
      const blocked = requests.map((r) => ({ ...r, ...judge(oracle, r) })).filter((r) => r.blocked);
      row[side] = { attempted: requests.length, external: requests.filter((r) => !isLocal(r.url)).length,
        blocked: blocked.length, hosts: new Set(blocked.map((r) => new URL(r.url).hostname)).size };
      if (side === 'omote') remaining.push(...blocked.map((r) => ({ name, ...r })));
      if (side === 'direct') row.directBlocked = blocked;
    }
    rows.push(row);
  }
} finally {
  await browser.close();
}

const pad = (s, n) => String(s).padStart(n);
console.log(`# ${'page'.padEnd(20)} ${pad('attempted', 10)} ${pad('external', 9)} ${pad('blocked', 8)} ${pad('hosts', 6)}`
  + ` | ${pad('attempted', 10)} ${pad('external', 9)} ${pad('blocked', 8)} ${pad('hosts', 6)}`);
console.log(`# ${''.padEnd(20)} ${pad('direct', 10)} ${pad('direct', 9)} ${pad('direct', 8)} ${pad('direct', 6)}`
  + ` | ${pad('omote', 10)} ${pad('omote', 9)} ${pad('omote', 8)} ${pad('omote', 6)}`);
for (const r of rows) {
  console.log(`# ${r.name.padEnd(20)} ${pad(r.direct.attempted, 10)} ${pad(r.direct.external, 9)} ${pad(r.direct.blocked, 8)}`
    + ` ${pad(r.direct.hosts, 6)} | ${pad(r.omote.attempted, 10)} ${pad(r.omote.external, 9)} ${pad(r.omote.blocked, 8)}`
    + ` ${pad(r.omote.hosts, 6)}`);
}
for (const r of rows) {
  for (const d of r.directBlocked) console.log(`#   direct ${r.name}: ${d.type} ${d.url.slice(0, 140)}  [${d.filter}]`);
}
for (const r of remaining) {
  console.log(`# REMAINING through omote ${r.name}: ${r.type} ${r.url.slice(0, 200)}  [${r.filter}]`);
}
let passed = 0;
for (const r of rows) {
  const ok = r.omote.blocked === 0 && r.direct.blocked > 0;
  if (!ok) failed = true;
  passed += ok ? 1 : 0;
  console.log(`${ok ? 'ok' : 'not ok'} - ${r.name}: ${r.direct.blocked} blocked requests direct, ${r.omote.blocked} through omote`);
}
console.log(`${passed} passed, ${rows.length - passed} failed`);
process.exit(failed ? 1 : 0);
