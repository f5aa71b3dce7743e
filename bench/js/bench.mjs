// JavaScript figures next to omote's rewriter benchmark, over the same pages and chunk sizes:
// a plain indexOf('<') scan, htmlparser2's Tokenizer and Parser with no-op callbacks, and lol-html
// (html-rewriter-wasm) passing everything through and removing tracker <script src> elements.
// Timing is process CPU time (as the C bench uses thread CPU time), median of --repeat runs.
//
// Usage: node bench.mjs [--pages DIR] [--repeat N] [--tsv]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Parser, Tokenizer } from "htmlparser2";
import { HTMLRewriter } from "html-rewriter-wasm";

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const pagesDir = opt("--pages", new URL("../../../shared/testdata/pages", import.meta.url).pathname);
const repeat = Math.max(1, parseInt(opt("--repeat", "5"), 10));
const tsv = args.includes("--tsv");
const chunkSizes = [4096, 16384, 65536];

// A small host set: the loaders and pixels most common in the pages (what lol-html is asked to cut).
const trackerHosts = new Set([
  "www.googletagmanager.com", "www.google-analytics.com", "ssl.google-analytics.com", "connect.facebook.net",
  "static.chartbeat.com", "sb.scorecardresearch.com", "securepubads.g.doubleclick.net", "pagead2.googlesyndication.com",
  "cdn.taboola.com", "s.skimresources.com", "js-agent.newrelic.com", "secure.quantserve.com", "tags.crwdcntrl.net",
  "c.amazon-adsystem.com", "s7.addthis.com", "plausible.io", "cdn.segment.com", "script.hotjar.com",
]);
const hostOf = (src) => /^\s*(?:https?:)?\/\/([^/?#:\s]+)/i.exec(src)?.[1]?.toLowerCase();

const pages = readdirSync(pagesDir).filter((n) => n.endsWith(".html")).sort().map((n) => {
  const bytes = readFileSync(join(pagesDir, n));
  return { name: n, bytes, text: bytes.toString("utf8") };
});
const totalBytes = pages.reduce((n, p) => n + p.bytes.length, 0);

function byteChunks(buf, size) {
  const out = [];
  for (let off = 0; off < buf.length; off += size) out.push(buf.subarray(off, off + size));
  return out;
}
// htmlparser2 takes strings: the page decoded once, cut every `size` characters (the pages are
// nearly all ASCII, so about `size` bytes).
function textChunks(text, size) {
  const out = [];
  for (let off = 0; off < text.length; off += size) out.push(text.slice(off, off + size));
  return out;
}

const noop = () => {};
const tokenizerCallbacks = Object.fromEntries(
  ["onattribdata", "onattribentity", "onattribend", "onattribname", "oncdata", "onclosetag", "oncomment", "ondeclaration",
    "onend", "onopentagend", "onopentagname", "onprocessinginstruction", "onselfclosingtag", "ontext", "ontextentity"]
    .map((k) => [k, noop]));

let removed = 0;
const stages = {
  "indexof-scan": (chunks) => {
    let n = 0;
    for (const c of chunks.bytes) for (let i = c.indexOf(0x3c); i !== -1; i = c.indexOf(0x3c, i + 1)) ++n;
    return n;
  },
  "htmlparser2-tokenizer": (chunks) => {
    const t = new Tokenizer({ decodeEntities: true }, tokenizerCallbacks);
    for (const c of chunks.text) t.write(c);
    t.end();
  },
  "htmlparser2-parser": (chunks) => {
    const p = new Parser({}, { decodeEntities: true });
    for (const c of chunks.text) p.write(c);
    p.end();
  },
  "lolhtml-pass": async (chunks) => {
    let out = 0;
    const rw = new HTMLRewriter((b) => { out += b.length; });
    for (const c of chunks.bytes) await rw.write(c);
    await rw.end();
    rw.free();
    return out;
  },
  "lolhtml-remove-scripts": async (chunks) => {
    let out = 0;
    const rw = new HTMLRewriter((b) => { out += b.length; });
    rw.on("script[src]", {
      element(el) {
        if (trackerHosts.has(hostOf(el.getAttribute("src") ?? ""))) {
          el.remove();
          ++removed;
        }
      },
    });
    for (const c of chunks.bytes) await rw.write(c);
    await rw.end();
    rw.free();
    return out;
  },
};

const cpuSec = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let failures = 0;
const results = {};
for (const [stage, fn] of Object.entries(stages)) {
  results[stage] = [];
  const outputs = [];
  for (const size of chunkSizes) {
    const chunked = pages.map((p) => ({ bytes: byteChunks(p.bytes, size), text: textChunks(p.text, size) }));
    const times = [];
    let out;
    for (let r = 0; r < repeat + 1; ++r) { // one more for warm-up (JIT), not counted
      removed = 0;
      const t0 = cpuSec();
      out = [];
      for (const c of chunked) out.push(await fn(c));
      if (r > 0) times.push(cpuSec() - t0);
    }
    outputs.push(out.join(","));
    results[stage].push(totalBytes / median(times) / 1e6);
    if (stage === "lolhtml-pass" && out.some((n, i) => n !== pages[i].bytes.length)) {
      console.error(`FAIL ${stage}: output differs from input (chunk ${size})`);
      ++failures;
    }
  }
  if (outputs.some((o) => o !== outputs[0])) {
    console.error(`FAIL ${stage}: output sizes differ between chunk sizes`);
    ++failures;
  }
}

if (tsv) {
  for (const [stage, mbps] of Object.entries(results))
    chunkSizes.forEach((size, i) => console.log(`js\t${stage}\t${size}\t${mbps[i].toFixed(1)}`));
  console.log(`# lol-html removed ${removed} tracker <script src> elements (host set of ${trackerHosts.size})`);
} else {
  console.log(`pages: ${pages.length}, ${totalBytes} bytes; node ${process.version}; median of ${repeat} runs (CPU time)`);
  console.log(`${"stage MB/s".padEnd(24)} ${chunkSizes.map((s) => `${s / 1024} KiB`.padStart(10)).join(" ")}`);
  for (const [stage, mbps] of Object.entries(results))
    console.log(`${stage.padEnd(24)} ${mbps.map((x) => x.toFixed(1).padStart(10)).join(" ")}`);
  console.log(`lol-html removed ${removed} tracker <script src> elements (host set of ${trackerHosts.size})`);
}
process.exitCode = failures === 0 ? 0 : 1;
