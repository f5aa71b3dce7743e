#!/usr/bin/python3
"""Tracker removal on real pages: ../shared/testdata/pages served by the test origin, omote in front
with Debian's EasyPrivacy. Every page is fetched through omote and directly, and

  (a) omote's output is the input with some ranges deleted, each starting with '<' (no head snippet
      is configured, so nothing may be inserted); the bytes removed are printed per page;
  (b) no element of omote's output would load a URL that an independent engine (@ghostery/adblocker,
      tests/oracle/judge_urls.mjs) blocks with the same list, and no executable inline script names a
      URL it blocks as a script. A table per page and every remaining blocked reference (with the
      filter that matched) are printed.

Needs ../shared/testdata (skips without it, fails under CI=true), Debian's webext-ublock-origin-chromium
and node with tests/oracle's npm packages (npm ci in tests/oracle; scripts/test does both).
"""

import difflib
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PAGES_DIR = os.path.normpath(os.path.join(H.SOURCE_DIR, "..", "shared", "testdata", "pages"))
EASYPRIVACY = "/usr/share/chromium/extensions/ublock-origin/assets/thirdparties/easylist/easyprivacy.txt"
JUDGE = os.path.join(H.SOURCE_DIR, "tests", "oracle", "judge_urls.mjs")
ADBLOCKER = os.path.join(H.SOURCE_DIR, "tests", "oracle", "node_modules", "@ghostery", "adblocker")
IN_CI = os.environ.get("CI") == "true"


def missing_prerequisite():
    """Why this suite cannot run here, or None."""
    if not os.path.isdir(PAGES_DIR):
        return "%s absent (shared test data)" % PAGES_DIR
    if not os.path.exists(EASYPRIVACY):
        return "%s absent (Debian package webext-ublock-origin-chromium)" % EASYPRIVACY
    if shutil.which("node") is None:
        return "node not installed (bash scripts/deps.sh node)"
    if not os.path.isdir(ADBLOCKER):
        return "@ghostery/adblocker not installed (npm ci in tests/oracle)"
    return None


def skip_or_fail(why):
    """A missing prerequisite skips, except under CI=true, where it must fail."""
    if IN_CI:
        raise AssertionError("%s (required under CI=true)" % why)
    raise unittest.SkipTest(why)


def page_names():
    return sorted(f[:-5] for f in os.listdir(PAGES_DIR) if f.endswith(".html"))


# ---------------------------------------------------------------------------
# the stack: origin serving the pages, omote with EasyPrivacy (no Redis: tracker removal needs none)

class PagesOrigin(H.Origin):
    """tests/origin/origin.py serving `root` instead of the demo shop."""

    def __init__(self, workdir, root):
        super().__init__(workdir, name="pages-origin")
        self.root = root

    def start(self, timeout=10.0):
        ready = os.path.join(self.dir, "ready")
        with open(self.log_path, "ab") as logf:
            self.proc = H.spawn([H.PYTHON, H.ORIGIN_PY, "--port", "0", "--root", self.root, "--ready-file", ready,
                                 "--quiet"], stdout=logf, stderr=subprocess.STDOUT, cwd=H.SOURCE_DIR)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if os.path.exists(ready) and H.read_text(ready).strip().isdigit():
                self.port = int(H.read_text(ready).strip())
                return self
            time.sleep(0.05)
        H.stop(self.proc)
        raise RuntimeError("origin did not become ready:\n%s" % H.read_text(self.log_path))


class PagesStack:
    """Origin (pages) + omote (EasyPrivacy, signatures) in a temporary directory; close() stops both by PID."""

    def __init__(self, name="pages"):
        self.dir = H.make_tempdir("omote-it-%s-" % name)
        self.origin = self.omote = None
        try:
            self.origin = PagesOrigin(self.dir, PAGES_DIR).start()
            config = H.make_config(self.origin.url, H.free_port(), H.free_port(), H.free_port(),
                                   access_log=os.path.join(self.dir, "access.log"), threads=2)
            # as shipped: Debian's EasyPrivacy plus omote's loader signatures (config/signatures.txt)
            config["trackers"] = {"lists": [{"name": "easyprivacy", "path": EASYPRIVACY}],
                                  "signatures": os.path.join(H.SOURCE_DIR, "config", "signatures.txt")}
            self.omote = H.Omote(self.dir, config).start()
        except BaseException:
            self.close()
            raise

    @property
    def omote_url(self):
        return "http://127.0.0.1:%d/" % self.omote.http_port

    @property
    def direct_url(self):
        return self.origin.url

    def close(self):
        try:
            if self.omote is not None and self.omote.proc is not None:
                self.omote.stop_checked()
        finally:
            for part in (self.omote, self.origin):
                if part is not None and part.proc is not None:
                    part.stop()
        H.remove_tempdir(self.dir)


# ---------------------------------------------------------------------------
# (a) output = input minus ranges that start with '<'

TOKEN = re.compile(rb"<[^<>]*>?|[^<]+")  # tags (or what looks like one) and the text between them


def _tokens(data):
    """Splits bytes before every '<' and after every '>'; returns (tokens, start offsets + [len])."""
    toks = [m.group() for m in TOKEN.finditer(data)]
    offs, pos = [], 0
    for t in toks:
        offs.append(pos)
        pos += len(t)
    offs.append(pos)
    return toks, offs


MAX_REGION_CELLS = 20_000_000


def _cut_region(x, y):
    """Ranges [s, e) of `x`, each starting with '<', whose deletion gives `y`; None if there are none.

    f[a][b]: x[a:] can become y[b:]. f[a][b] = (x[a] == y[b] and f[a+1][b+1]) or (x[a] == '<' and
    f[a'][b] for some a' > a). Columns are kept for the walk back, which keeps bytes when it can and
    ends each cut as early as it can."""
    n, m = len(x), len(y)
    lt = ord("<")
    cols = [None] * (m + 2)
    cols[m + 1] = bytearray(n + 1)
    for b in range(m, -1, -1):
        nxt, col = cols[b + 1], bytearray(n + 1)
        col[n] = 1 if b == m else 0
        yb = y[b] if b < m else -1
        later = col[n]  # f[a'][b] for some a' > a
        for a in range(n - 1, -1, -1):
            v = (x[a] == yb and nxt[a + 1]) or (x[a] == lt and later)
            col[a] = 1 if v else 0
            later = later or v
        cols[b] = col
    if not cols[0][0]:
        return None
    ranges, a, b = [], 0, 0
    while a < n:
        if b < m and x[a] == y[b] and cols[b + 1][a + 1]:
            a += 1
            b += 1
            continue
        e = a + 1
        while not cols[b][e]:
            e += 1
        ranges.append((a, e))
        a = e
    return ranges


def deleted_ranges(inp, out):
    """Ranges [start, end) of `inp` whose deletion gives `out`, each starting with '<'.

    Both sides are split into tag and text tokens and aligned with difflib; every region where they
    differ is solved exactly at byte level (a cut between two runs of whitespace leaves one merged
    text token, hence regions rather than tokens). Where difflib paired a repeated token (say
    "</script>") with the wrong copy, the region is widened a few tokens on each side, taking in
    neighbouring regions it reaches, until it solves. The ranges are then checked by
    rebuilding the output, so a pass is a proof; a failure raises AssertionError with the place."""
    tin, oin = _tokens(inp)
    tout, oout = _tokens(out)
    ops = [op[1:] for op in difflib.SequenceMatcher(None, tin, tout, autojunk=False).get_opcodes() if op[0] != "equal"]
    ranges = []
    free_from = (0, 0)  # tokens before these (input, output) indices belong to an earlier region
    k = 0
    while k < len(ops):
        i1, i2, j1, j2 = ops[k]
        last = k
        found = None
        for widen in range(0, 9):
            # widen by equal tokens on both sides; a region that reaches the next op takes it in
            left = min(widen, i1 - free_from[0], j1 - free_from[1])
            w1, v1 = i1 - left, j1 - left
            w2, v2 = i2, j2
            while True:
                nxt = ops[last + 1] if last + 1 < len(ops) else (len(tin), len(tin), len(tout), len(tout))
                room = min(nxt[0] - w2, nxt[2] - v2)
                if widen < room or last + 1 == len(ops):
                    w2, v2 = w2 + min(widen, room), v2 + min(widen, room)
                    break
                last += 1
                w2, v2 = ops[last][1], ops[last][3]
            a0, a1, b0, b1 = oin[w1], oin[w2], oout[v1], oout[v2]
            if (a1 - a0 + 1) * (b1 - b0 + 1) > MAX_REGION_CELLS:
                break
            found = _cut_region(inp[a0:a1], out[b0:b1])
            if found is not None:
                ranges.extend((a0 + s, a0 + e) for s, e in found)
                free_from = (w2, v2)
                break
        if found is None:
            a0, a1, b0, b1 = oin[i1], oin[i2], oout[j1], oout[j2]
            raise AssertionError("input bytes %d..%d cannot become output bytes %d..%d by cutting ranges that start "
                                 "with '<':\n  input:  %r\n  output: %r" % (a0, a1, b0, b1, inp[a0:a0 + 300],
                                                                            out[b0:b0 + 300]))
        k = last + 1
    merged = []  # cuts that touch across a region edge are one cut
    for s, e in ranges:
        if merged and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    rebuilt, pos = [], 0
    for s, e in merged:
        if inp[s:s + 1] != b"<":
            raise AssertionError("internal: cut at %d does not start with '<'" % s)
        rebuilt.append(inp[pos:s])
        pos = e
    rebuilt.append(inp[pos:])
    if b"".join(rebuilt) != out:
        raise AssertionError("internal: the cuts found do not rebuild the output")
    return merged


# ---------------------------------------------------------------------------
# (b) what the HTML would load

JS_TYPES = ("", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript",
            "application/x-javascript", "text/jscript")
PRELOAD_AS = {"script": "script", "style": "stylesheet", "image": "image", "font": "font", "fetch": "xmlhttprequest",
              "audio": "media", "video": "media", "track": "other", "document": "sub_frame", "worker": "script"}


def srcset_urls(value):
    """Candidate URLs of a srcset attribute (HTML §4.8.4.3.10, without the descriptors)."""
    urls, i, n = [], 0, len(value)
    ws = " \t\n\r\f"
    while i < n:
        while i < n and (value[i] in ws or value[i] == ","):
            i += 1
        start = i
        while i < n and value[i] not in ws:
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0  # skip the descriptors up to the next comma outside parentheses
            while i < n and (value[i] != "," or depth):
                depth += value[i] == "("
                depth -= value[i] == ")" and depth > 0
                i += 1
        if url:
            urls.append(url)
    return urls


class RefCollector(html.parser.HTMLParser):
    """Every URL an element would load, and the text of executable inline scripts.

    <noscript> content is markup here (as with scripting off), so pixels inside it count; comments,
    and text in script, style and the like, are not markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs = []  # (element description, attribute, resource type, raw URL)
        self.scripts = []  # text of each executable inline script
        self.base = None
        self._script = None
        self._media = []

    def _add(self, tag, attr, rtype, url, attrs):
        url = url.strip(" \t\n\r\f")
        if url:
            self.refs.append(("<%s %s>" % (tag, attr), attr, rtype, url))

    def handle_starttag(self, tag, attrs):
        a = {}
        for k, v in attrs:
            a.setdefault(k, v if v is not None else "")  # the first of repeated attributes wins
        add = lambda attr, rtype: a.get(attr) and self._add(tag, attr, rtype, a[attr], a)  # noqa: E731
        if tag == "script":
            if "src" in a:
                add("src", "script")
            elif a.get("type", "").strip().lower() in JS_TYPES:
                self._script = []
        elif tag in ("img", "source") or (tag == "input" and a.get("type", "").lower() == "image"):
            in_media = tag == "source" and self._media and self._media[-1] in ("video", "audio")
            add("src", "media" if in_media else "image")
            for u in srcset_urls(a.get("srcset", "")):
                self._add(tag, "srcset", "image", u, a)
            if tag == "img":
                add("data-src", "image")
        elif tag in ("iframe", "frame"):
            add("src", "sub_frame")
        elif tag == "embed":
            add("src", "object")
        elif tag == "object":
            add("data", "object")
        elif tag in ("video", "audio"):
            add("src", "media")
            add("poster", "image")
        elif tag == "link":
            rels = a.get("rel", "").lower().split()
            rtype = None
            if "stylesheet" in rels:
                rtype = "stylesheet"
            elif "modulepreload" in rels:
                rtype = "script"
            elif "preload" in rels:
                rtype = PRELOAD_AS.get(a.get("as", "").strip().lower(), "other")
            elif {"prefetch", "preconnect", "dns-prefetch"} & set(rels):
                rtype = "other"
            if rtype is not None:
                add("href", rtype)
        elif tag == "a" and a.get("ping"):
            for u in a["ping"].split():
                self._add(tag, "ping", "ping", u, a)
        elif tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"].strip()
        if tag in ("picture", "video", "audio"):
            self._media.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("picture", "video", "audio"):
            self._media.pop()

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        if tag in ("picture", "video", "audio") and tag in self._media:
            while self._media.pop() != tag:
                pass

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)


# "https://host/path", "//host/path" and JSON's "https:\/\/host\/path"; the host needs a dot
INLINE_URL = re.compile(r"(?:https?:)?(?:\\?/){2}([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)((?:\\?/[^\s\"'`<>()\\;,]*)*)")


def inline_script_urls(text):
    out = []
    for m in INLINE_URL.finditer(text):
        host, path = m.group(1), m.group(2).replace("\\/", "/")
        if host[-1] == "." or not re.search(r"[A-Za-z]", host.rsplit(".", 1)[-1]):
            continue  # "//1.5" in arithmetic, a trailing dot
        out.append("https://%s%s" % (host.lower(), path or "/"))
    return out


def collect(body, page_url):
    """Parses `body`; returns (refs, inline_urls, base_href): refs as [(element, type, absolute URL)]."""
    p = RefCollector()
    p.feed(body.decode("utf-8", errors="surrogateescape"))
    p.close()
    refs = []
    for element, _attr, rtype, raw in p.refs:
        url = urllib.parse.urljoin(page_url, raw)
        if url.startswith(("http://", "https://")):
            refs.append((element, rtype, url, raw))
    inline = []
    for k, text in enumerate(p.scripts):
        for url in inline_script_urls(text):
            inline.append(("<script> #%d (inline)" % k, "script", url, url))
    return refs, inline, p.base


def judge_all(requests):
    """[{url, type, sourceUrl}] -> the same dicts with blocked / filter / exception, from the oracle."""
    if not requests:
        return []
    data = "".join(json.dumps(r) + "\n" for r in requests)
    run = subprocess.run(["node", JUDGE, "--list", EASYPRIVACY], input=data.encode(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=240, cwd=H.SOURCE_DIR)
    if run.returncode != 0:
        raise AssertionError("judge_urls.mjs exited %d: %s" % (run.returncode, run.stderr.decode(errors="replace")))
    out = [json.loads(l) for l in run.stdout.decode().splitlines() if l.strip()]
    if len(out) != len(requests):
        raise AssertionError("judge_urls.mjs answered %d of %d requests" % (len(out), len(requests)))
    return out


def fetch(port, path):
    r = H.http1_request(port, "GET", path, headers=[("Accept", "text/html,application/xhtml+xml"),
                                                    ("Sec-Fetch-Dest", "document"), ("Sec-Fetch-Mode", "navigate")],
                        timeout=30.0)
    if r.status != 200:
        raise AssertionError("GET %s on port %d: status %s" % (path, port, r.status))
    return r.body


# ---------------------------------------------------------------------------

class SharedPagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = missing_prerequisite()
        if why is not None:
            skip_or_fail(why)
        cls.stack = PagesStack()
        cls.addClassCleanup(cls.stack.close)
        cls.pages = page_names()
        cls.direct, cls.through = {}, {}
        for name in cls.pages:
            path = "/%s.html" % urllib.parse.quote(name)
            cls.direct[name] = fetch(cls.stack.origin.port, path)
            cls.through[name] = fetch(cls.stack.omote.http_port, path)
        H.log("fetched %d pages directly and through omote" % len(cls.pages))

    def test_direct_is_the_file(self):
        for name in self.pages:
            with open(os.path.join(PAGES_DIR, name + ".html"), "rb") as f:
                self.assertEqual(self.direct[name], f.read(), name)

    def test_served_again_byte_for_byte(self):
        # from a page's third response on one thread, runs that passed whole before pass unread
        # (the tracker cache): every later response must be the first one's bytes
        before = self.stack.omote.metrics().get("omote_html_known_run_bytes_total", 0)
        differ = []
        for _ in range(4):
            for name in self.pages:
                body = fetch(self.stack.omote.http_port, "/%s.html" % urllib.parse.quote(name))
                if body != self.through[name]:
                    differ.append("%s: %d bytes, first response %d" % (name, len(body), len(self.through[name])))
        known = self.stack.omote.metrics().get("omote_html_known_run_bytes_total", 0) - before
        H.log("served every page 4 more times: %d bytes passed as known runs" % known)
        self.assertEqual(differ, [], "\n".join(differ))
        self.assertGreater(known, 0, "no run was passed as known: the run cache was not used")

    def test_output_is_input_minus_ranges_starting_with_lt(self):
        failures = []
        print("\n%-30s %9s %9s %8s %6s" % ("page", "in", "out", "removed", "cuts"))
        total = 0
        for name in self.pages:
            inp, out = self.direct[name], self.through[name]
            try:
                ranges = deleted_ranges(inp, out)
            except AssertionError as e:
                failures.append("%s: %s" % (name, e))
                print("%-30s %9d %9d %8s %6s" % (name, len(inp), len(out), "FAILED", "-"))
                continue
            total += len(inp) - len(out)
            print("%-30s %9d %9d %8d %6d" % (name, len(inp), len(out), len(inp) - len(out), len(ranges)))
            for s, e in ranges:
                piece = inp[s:e]
                head = piece[:90].decode("utf-8", errors="replace").replace("\n", "\\n")
                tail = "" if len(piece) <= 90 else " ...%s" % piece[-20:].decode("utf-8", errors="replace").replace(
                    "\n", "\\n")
                print("    cut %7d +%-6d %s%s" % (s, e - s, head, tail))
        print("%-30s %9s %9s %8d" % ("total", "", "", total))
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertGreater(total, 0, "omote removed nothing from %d pages" % len(self.pages))

    def test_nothing_left_that_the_oracle_blocks(self):
        requests, where = [], []  # where[k] = (page, side, kind, element, raw)
        bases = {}
        for name in self.pages:
            for side, body, base_url in (("direct", self.direct[name], self.stack.direct_url),
                                         ("omote", self.through[name], self.stack.omote_url)):
                page_url = base_url + urllib.parse.quote(name) + ".html"
                refs, inline, base = collect(body, page_url)
                if base and side == "omote":
                    bases[name] = urllib.parse.urljoin(page_url, base)
                for kind, items in (("element", refs), ("inline", inline)):
                    for element, rtype, url, raw in items:
                        requests.append({"url": url, "type": rtype, "sourceUrl": page_url})
                        where.append((name, side, kind, element, raw))
                if name in bases and side == "omote":
                    # informational: the same references as a browser would resolve them (<base href>)
                    for element, rtype, _url, raw in refs:
                        url = urllib.parse.urljoin(bases[name], raw)
                        if url.startswith(("http://", "https://")) and url != urllib.parse.urljoin(page_url, raw):
                            requests.append({"url": url, "type": rtype, "sourceUrl": bases[name]})
                            where.append((name, "omote", "base", element, raw))
        decisions = judge_all(requests)
        stats = {}
        remaining, via_base = [], []
        for (name, side, kind, element, raw), d in zip(where, decisions):
            s = stats.setdefault(name, {"direct": [0, 0, 0], "omote": [0, 0, 0]})
            if kind == "base":
                if d["blocked"]:
                    via_base.append((name, element, d))
                continue
            if kind == "element":
                s[side][0] += 1
                s[side][1] += d["blocked"]
            else:
                s[side][2] += d["blocked"]
            if side == "omote" and d["blocked"]:
                remaining.append((name, kind, element, d))
        print("\n%-30s %6s %7s %8s %6s %9s | %7s %9s" % ("page", "refs", "blocked", "refs", "cut", "remaining",
                                                        "inline", "inline"))
        print("%-30s %6s %7s %8s %6s %9s | %7s %9s" % ("", "direct", "direct", "omote", "", "blocked", "direct",
                                                       "remaining"))
        totals = [0] * 7
        for name in self.pages:
            s = stats.get(name, {"direct": [0, 0, 0], "omote": [0, 0, 0]})
            row = [s["direct"][0], s["direct"][1], s["omote"][0], s["direct"][0] - s["omote"][0], s["omote"][1],
                   s["direct"][2], s["omote"][2]]
            totals = [a + b for a, b in zip(totals, row)]
            print("%-30s %6d %7d %8d %6d %9d | %7d %9d" % tuple([name] + row))
        print("%-30s %6d %7d %8d %6d %9d | %7d %9d" % tuple(["total"] + totals))
        for name, kind, element, d in remaining:
            print("REMAINING %s: %s %s %s blocked by %r" % (name, element, d["type"], d["url"], d["filter"]))
        for name, element, d in via_base:
            print("note %s: with <base href=%s> a browser would load %s %s, blocked by %r"
                  % (name, bases[name], element, d["url"], d["filter"]))
        self.assertGreater(totals[1] + totals[5], 0, "the oracle blocks nothing in the pages: the check proves nothing")
        self.assertEqual(len(remaining), 0, "%d references in omote's output are blocked by the oracle (above)"
                         % len(remaining))


if __name__ == "__main__":
    H.main()
