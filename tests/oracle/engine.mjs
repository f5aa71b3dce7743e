// The oracle's engine, shared by the oracle's scripts and tests/browser: @ghostery/adblocker
// loaded with one filter list, asked about one request at a time. Tests only.
import { existsSync, readFileSync } from 'node:fs';

export const EASYPRIVACY = '/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easyprivacy.txt';

// Request types as @ghostery/adblocker names them (chrome.webRequest's); anything else is 'other'.
const KNOWN_TYPES = new Set(['main_frame', 'sub_frame', 'script', 'image', 'imageset', 'stylesheet', 'font', 'media',
  'object', 'xmlhttprequest', 'xhr', 'fetch', 'ping', 'beacon', 'websocket', 'other', 'csp_report', 'texttrack',
  'eventsource', 'manifest', 'prefetch']);

/** Loads the list at `listPath` into an engine; throws with a clear message when something is missing. */
export async function loadEngine(listPath = EASYPRIVACY) {
  if (!existsSync(listPath)) throw new Error(`${listPath} absent (Debian package webext-ublock-origin-chromium)`);
  let adblocker;
  try {
    adblocker = await import('@ghostery/adblocker');
  } catch (e) {
    throw new Error('npm package @ghostery/adblocker not installed (npm ci in tests/oracle)');
  }
  const { FiltersEngine, Request } = adblocker;
  const engine = FiltersEngine.parse(readFileSync(listPath, 'utf8'),
    { loadCosmeticFilters: false, loadNetworkFilters: true, debug: true, enableOptimizations: false });
  return { engine, Request };
}

/** {url, type, sourceUrl} -> {blocked, filter, exception}: what the engine says about one request. */
export function judge({ engine, Request }, { url, type, sourceUrl }) {
  const t = KNOWN_TYPES.has(type) ? type : 'other';
  const r = engine.match(Request.fromRawDetails({ url, sourceUrl, type: t }));
  return {
    blocked: r.match === true,
    filter: r.filter ? r.filter.toString() : null,
    exception: r.exception ? r.exception.toString() : null,
  };
}
