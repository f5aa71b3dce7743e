// Judges requests with @ghostery/adblocker: reads JSON lines {url, type, sourceUrl} on stdin and
// writes one JSON line per input, in order, with {blocked, filter, exception} added. Exits 2 when
// the list or the npm package is missing (the caller decides whether that is a skip).
//
//   node judge_urls.mjs [--list FILE] < requests.jsonl > decisions.jsonl
import { readFileSync } from 'node:fs';
import { EASYPRIVACY, judge, loadEngine } from './engine.mjs';

const argv = process.argv.slice(2);
const listAt = argv.indexOf('--list');
const list = listAt >= 0 ? argv[listAt + 1] : EASYPRIVACY;

let oracle;
try {
  oracle = await loadEngine(list);
} catch (e) {
  process.stderr.write(`judge_urls: ${e.message}\n`);
  process.exit(2);
}
const out = [];
for (const line of readFileSync(0, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const req = JSON.parse(line);
  out.push(JSON.stringify({ ...req, ...judge(oracle, req) }));
}
process.stdout.write(out.length ? out.join('\n') + '\n' : '');
