// Sets omote's decisions against @ghostery/adblocker, an independent engine, on ghostery's
// request sample with the same filter list (EasyPrivacy by default), and prints every
// disagreement with the filters involved. Exits 1 below the agreement threshold (99.5 %).
//
//   node compare.mjs --decide PATH/omote_oracle_decide [--list FILE] [--sample FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const list = args.list ?? '/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easyprivacy.txt';
const sample = args.sample ?? resolve(here, '../../../shared/testdata/requests/sample.jsonl');
const threshold = 0.995;
const inCI = process.env.CI === 'true';

function skip(why) {
  if (inCI) {
    console.log(`not ok - ${why} (required under CI=true)`);
    process.exit(1);
  }
  console.log(`# SKIP ${why}`);
  console.log('0 passed, 0 failed, 1 skipped');
  process.exit(0);
}

if (!existsSync(sample)) skip(`${sample} absent`);
if (!existsSync(list)) skip(`${list} absent (Debian package webext-ublock-origin-chromium)`);
let adblocker;
try {
  adblocker = await import('@ghostery/adblocker');
} catch (e) {
  skip('npm package @ghostery/adblocker not installed (npm ci in tests/oracle)');
}
const { FiltersEngine, Request } = adblocker;

const listText = readFileSync(list, 'utf8');
const engine = FiltersEngine.parse(listText, { loadCosmeticFilters: false, loadNetworkFilters: true, debug: true });
const rows = readFileSync(sample, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));

const run = spawnSync(args.decide, [list, sample], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (run.status !== 0) {
  console.log(`not ok - ${args.decide} exited ${run.status}: ${run.stderr}`);
  process.exit(1);
}
const ours = new Map(run.stdout.split('\n').filter((l) => l !== '').map((l) => {
  const d = JSON.parse(l);
  return [d.index, d];
}));

let agree = 0;
let oursBlocked = 0;
let theirsBlocked = 0;
const disagreements = [];
for (const row of rows) {
  const request = Request.fromRawDetails({ url: row.url, sourceUrl: row.sourceUrl, type: row.type });
  const theirs = engine.match(request);
  const theirBlocked = theirs.match === true;
  const mine = ours.get(row.index);
  if (mine === undefined) {
    disagreements.push({ row, why: 'omote gave no decision' });
    continue;
  }
  oursBlocked += mine.blocked ? 1 : 0;
  theirsBlocked += theirBlocked ? 1 : 0;
  if (mine.blocked === theirBlocked) {
    agree += 1;
  } else {
    disagreements.push({
      row,
      omote: mine.blocked ? `blocked by "${mine.filter}" (line ${mine.line})` : (mine.exception ? `allowed by exception "${mine.filter}"` : 'allowed'),
      oracle: theirBlocked ? `blocked by "${theirs.filter?.toString()}"` : (theirs.exception ? `allowed by exception "${theirs.exception.toString()}"` : 'allowed'),
    });
  }
}

const ratio = agree / rows.length;
console.log(`# ${rows.length} requests, ${list.split('/').pop()}: omote and @ghostery/adblocker agree on ${agree} (${(ratio * 100).toFixed(2)} %), threshold ${(threshold * 100).toFixed(1)} %`);
for (const d of disagreements) {
  console.log(`# [${d.row.index}] ${d.row.type} ${d.row.url} from ${d.row.sourceUrl}`);
  console.log(`#     omote:  ${d.omote ?? d.why}`);
  console.log(`#     oracle: ${d.oracle ?? ''}`);
}
console.log(`# blocked: omote ${oursBlocked}, @ghostery/adblocker ${theirsBlocked}`);
// agreement on "allow everything" would prove nothing: the list must actually block part of the sample
const passed = ratio >= threshold && theirsBlocked > 0;
console.log(`${passed ? 'ok' : 'not ok'} - agreement ${(ratio * 100).toFixed(2)} % >= ${(threshold * 100).toFixed(1)} %`);
console.log(`${passed ? 1 : 0} passed, ${passed ? 0 : 1} failed`);
process.exit(passed ? 0 : 1);
