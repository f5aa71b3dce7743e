#!/usr/bin/python3
"""The demo shop crawled through omote with config/demo.json's purposes, vendors and trackers and a
consent section (issue 4's crawl): no identifier anywhere before consent, one after accept-all, gone
again after withdrawal. Twice: with curl and a cookie jar, and in Debian's headless Chromium driven by
tests/browser/consent.mjs, which also records every request the pages attempt (requests not to
127.0.0.1 are aborted, but recorded): no request to a vendor's host before consent, the analytics
vendors' tags in the page and attempted after it.

Needs /usr/bin/curl; the browser part needs /usr/bin/chromium, node and tests/browser's npm packages
(scripts/test installs them): without them it skips, under CI=true it fails."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

CURL = shutil.which("curl") or "/usr/bin/curl"
NODE = shutil.which("node") or "/usr/bin/node"
CHROMIUM = "/usr/bin/chromium"
CONSENT_MJS = os.path.join(H.SOURCE_DIR, "tests", "browser", "consent.mjs")
PLAYWRIGHT = os.path.join(H.SOURCE_DIR, "tests", "browser", "node_modules", "playwright-core")
PAGES = ["/", "/products/sencha.html", "/products/matcha.html", "/about.html", "/cart.html", "/ja/"]
POLICY = "2025-06-01"
KID, SECRET = "crawl1", os.urandom(32)
ID_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
ID_COOKIE, CONSENT_COOKIE = "omote_id", "omote_consent"
# the analytics vendor's script element (the pages also mention its URL in JSON-LD text, which stays)
GTAG_TAG_RE = re.compile(r'<script[^>]*\ssrc="https://www\.googletagmanager\.com/gtag/js')
CURL_TIMEOUT_SEC = 10
BROWSER_TIMEOUT_SEC = 180


skip_or_fail = H.skip_or_fail


demo_config = H.demo_config


def vendor_hosts(vendors):
    return sorted({h for v in vendors for h in v.get("hosts", [])})


def crawl_stack(keys_dir):
    keys = os.path.join(keys_dir, "consent.keys")
    with open(keys, "w") as f:
        f.write("# written by test_identity_crawl\n%s %s\n" % (KID, base64.b64encode(SECRET).decode()))
    os.chmod(keys, 0o600)
    purposes, vendors, trackers = demo_config()

    def mutate(conf):
        conf["purposes"] = purposes
        conf["vendors"] = vendors
        conf["trackers"] = trackers
        conf["consent"] = {"policy_version": POLICY, "keys_file": keys}
    return H.Stack(tls=False, threads=2, name="identity-crawl", mutate=mutate), vendors


def read_jar(path):
    """curl's cookie jar (Netscape format) -> {name: {"value", "http_only", "domain", "path"}}."""
    out = {}
    for line in H.read_text(path).splitlines():
        http_only = line.startswith("#HttpOnly_")
        if http_only:
            line = line[len("#HttpOnly_"):]
        elif not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) == 7:
            out[f[5]] = {"value": f[6], "http_only": http_only, "domain": f[0], "path": f[2]}
    return out


def local_links(path, html):
    """Same-site paths referenced by href/src in `html` (no external or protocol-relative links)."""
    out = []
    for ref in re.findall(r'(?:href|src)="([^"#]+)', html):
        ref = ref.replace("&amp;", "&")
        if ref.startswith("//") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref):
            continue
        target = urllib.parse.urlsplit(urllib.parse.urljoin(path, ref)).path
        if target != "/_omote/me":  # the privacy page's export link: the visitor's own identifier, on purpose
            out.append(target)
    return out


class CurlCrawl:
    """curl with one cookie jar; one process per request, headers (-D) and body kept per request."""

    def __init__(self, port, workdir):
        self.base = "http://127.0.0.1:%d" % port
        self.dir = workdir
        self.jar = os.path.join(workdir, "jar.txt")
        self.n = 0
        os.makedirs(workdir, exist_ok=True)

    def request(self, path, *args):
        """Returns (status, [(name, value)], body bytes)."""
        self.n += 1
        hdr = os.path.join(self.dir, "%03d.headers" % self.n)
        body = os.path.join(self.dir, "%03d.body" % self.n)
        argv = [CURL, "-s", "-c", self.jar, "-b", self.jar, "-D", hdr, "-o", body, "--max-time", str(CURL_TIMEOUT_SEC),
                "-w", "%{http_code}"] + list(args) + [self.base + path]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=CURL_TIMEOUT_SEC + 5)
        if p.returncode != 0:
            raise AssertionError("curl %s exited %d: %s" % (path, p.returncode, p.stderr.decode()))
        headers = []
        for line in H.read_text(hdr).splitlines():
            if ":" in line and not line.startswith("HTTP/"):
                k, _, v = line.partition(":")
                headers.append((k.strip(), v.strip()))
        with open(body, "rb") as f:
            return int(p.stdout.decode()), headers, f.read()

    def crawl(self):
        """PAGES and every same-site page or resource they link to; [(path, status, headers, body)]."""
        queue, seen, out = list(PAGES), set(), []
        while queue and len(seen) < 60:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            status, headers, body = self.request(path, "-H", "Accept: text/html,*/*")
            out.append((path, status, headers, body))
            ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
            if "text/html" in ctype:
                queue += local_links(path, body.decode("utf-8", "replace"))
        return out

    def jar_cookies(self):
        return read_jar(self.jar)


def set_cookies(headers, name):
    return [v for k, v in headers if k.lower() == "set-cookie" and v.split("=", 1)[0] == name]


class IdentityCrawlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(CURL, os.X_OK):
            skip_or_fail("curl absent (Debian package curl)")
        keys_dir = H.make_tempdir("omote-it-keys-")
        cls.addClassCleanup(H.remove_tempdir, keys_dir)
        cls.stack, vendors = crawl_stack(keys_dir)
        cls.addClassCleanup(cls.stack.close)
        cls.hosts = vendor_hosts(vendors)
        cls.origin = "http://127.0.0.1:%d" % cls.stack.http_port

    def assert_no_identifier(self, visited, phase):
        for path, status, headers, body in visited:
            with self.subTest(phase=phase, path=path):
                self.assertEqual(status, 200, "%s %s" % (path, headers))
                self.assertEqual(set_cookies(headers, ID_COOKIE), [], "no identifier cookie")
                for k, v in headers:
                    self.assertIsNone(ID_RE.search(v), "identifier-shaped value in header %s: %s" % (k, v))
                self.assertNotIn("omote-id", [k.lower() for k, _ in headers])
                m = ID_RE.search(body.decode("utf-8", "replace"))
                self.assertIsNone(m, "identifier-shaped value in the body: %r" % (m and m.group(0)))

    def test_curl_cookie_jar_crawl(self):
        curl = CurlCrawl(self.stack.http_port, os.path.join(self.stack.dir, "curl"))
        before = curl.crawl()
        pages = [p for p, _, _, _ in before if p.endswith(".html") or p.endswith("/")]
        self.assertTrue(set(PAGES) <= set(pages), pages)
        self.assert_no_identifier(before, "before")
        self.assertNotIn(ID_COOKIE, curl.jar_cookies(), "no identifier in the jar before consent")
        jar_before = sorted(curl.jar_cookies())

        origin_hdr = ["-H", "Origin: " + self.origin, "-H", "Content-Type: application/json"]
        status, headers, body = curl.request("/_omote/consent", "-X", "POST", "--data", '{"all": true}', *origin_hdr)
        self.assertEqual(status, 200, (headers, body))
        self.assertEqual(len(set_cookies(headers, ID_COOKIE)), 1, headers)
        after = curl.crawl()
        jar = curl.jar_cookies()
        self.assertIn(ID_COOKIE, jar, "the jar holds the identifier after accept-all")
        self.assertRegex(jar[ID_COOKIE]["value"], r"^[0-9a-f]{32}$")
        self.assertTrue(jar[ID_COOKIE]["http_only"], "#HttpOnly_ prefix in curl's jar")
        self.assertIn(CONSENT_COOKIE, jar)
        ident = jar[ID_COOKIE]["value"]
        gtm = 0
        for path, status, headers, body in after:
            with self.subTest(phase="after", path=path):
                self.assertEqual(status, 200)
                self.assertEqual(set_cookies(headers, ID_COOKIE), [], "issued once, not on every response")
                self.assertNotIn(ident, body.decode("utf-8", "replace"))
                gtm += GTAG_TAG_RE.search(body.decode("utf-8", "replace")) is not None
        self.assertGreater(gtm, 0, "the analytics vendor's tag passes once analytics is granted")

        status, headers, body = curl.request("/_omote/consent", "-X", "DELETE", *origin_hdr[:2])
        self.assertEqual(status, 200, (headers, body))
        self.assertRegex(" | ".join(set_cookies(headers, ID_COOKIE)), r"^omote_id=; Max-Age=0")
        withdrawn = curl.jar_cookies()
        self.assertNotIn(ID_COOKIE, withdrawn, "identifier expired by the withdrawal")
        again = curl.crawl()
        self.assert_no_identifier(again, "withdrawn")
        self.assertNotIn(ID_COOKIE, curl.jar_cookies())

        print("\n# curl crawl (%s)" % self.origin)
        print("# %-10s %6s %-20s %s" % ("phase", "pages", "identifier in jar", "jar"))
        for phase, visited, jar_names, has_id in (
                ("before", before, jar_before, False), ("consented", after, sorted(jar), True),
                ("withdrawn", again, sorted(curl.jar_cookies()), False)):
            n = len([p for p, _, _, _ in visited if p.endswith(".html") or p.endswith("/")])
            print("# %-10s %6d %-20s %s" % (phase, n, "yes (HttpOnly)" if has_id else "no", ",".join(jar_names) or "-"))

    def test_chromium_crawl(self):
        if not os.access(CHROMIUM, os.X_OK):
            skip_or_fail("%s absent (Debian package chromium)" % CHROMIUM)
        if not os.access(NODE, os.X_OK):
            skip_or_fail("node absent (Debian package nodejs)")
        if not os.path.isdir(PLAYWRIGHT):
            skip_or_fail("playwright-core not installed (npm ci in tests/browser)")
        report_path = os.path.join(self.stack.dir, "consent-report.json")
        out_path = os.path.join(self.stack.dir, "consent.out")
        with open(out_path, "wb") as out:
            proc = H.spawn([NODE, CONSENT_MJS, "--base", self.origin, "--pages", ",".join(PAGES),
                            "--vendor-hosts", ",".join(self.hosts), "--report", report_path],
                           stdout=out, stderr=subprocess.STDOUT, cwd=H.SOURCE_DIR)
            try:
                rc = proc.wait(BROWSER_TIMEOUT_SEC)
            except subprocess.TimeoutExpired:
                rc = None
            finally:
                H.stop(proc)  # SIGTERM by PID: playwright closes its browser on it
        text = H.read_text(out_path)
        print(text)
        self.assertIsNotNone(rc, "consent.mjs did not finish within %d s" % BROWSER_TIMEOUT_SEC)
        if rc == 2:
            skip_or_fail(text.strip().splitlines()[-1] if text.strip() else "consent.mjs: prerequisite missing")
        self.assertEqual(rc, 0, "consent.mjs failed (above)")
        with open(report_path) as f:
            report = json.load(f)
        phases = {p["phase"]: p for p in report["phases"]}

        def cookie(phase, name):
            return next((c for c in phases[phase]["cookies"] if c["name"] == name), None)

        for name in ("before", "consented", "withdrawn"):
            with self.subTest(phase=name):
                ph = phases[name]
                self.assertEqual(sorted(v["path"] for v in ph["visits"]), sorted(PAGES))
                for v in ph["visits"]:
                    self.assertIsNone(v["error"], v)
                    self.assertEqual(v["status"], 200, v)
        for name in ("before", "withdrawn"):
            with self.subTest(phase=name):
                ph = phases[name]
                self.assertIsNone(cookie(name, ID_COOKIE), ph["cookies"])
                self.assertEqual(ph["vendor_requests"], [], "no request to a vendor's host")
                for r in ph["responses"]:
                    self.assertEqual(set_cookies(r["headers"], ID_COOKIE), [], r)
                    for k, v in r["headers"]:
                        self.assertIsNone(ID_RE.search(v), "identifier-shaped header %s: %s (%s)" % (k, v, r["url"]))
                for v in ph["visits"]:
                    m = ID_RE.search(v["html"])
                    self.assertIsNone(m, "identifier-shaped value in %s: %r" % (v["path"], m and m.group(0)))
                    self.assertIsNone(GTAG_TAG_RE.search(v["html"]), "vendor script tag in %s" % v["path"])

        post = report["consent_post"]
        self.assertEqual(post["status"], 200, "same-origin fetch from the page itself: %s" % json.dumps(post))
        self.assertTrue(post["body"].get("decided"), post)
        ident = cookie("consented", ID_COOKIE)
        self.assertIsNotNone(ident, phases["consented"]["cookies"])
        self.assertRegex(ident["value"], r"^[0-9a-f]{32}$")
        self.assertTrue(ident["httpOnly"], ident)
        self.assertEqual(ident["sameSite"], "Lax", ident)
        self.assertIsNotNone(cookie("consented", CONSENT_COOKIE))
        ph = phases["consented"]
        with_tag = [v["path"] for v in ph["visits"] if GTAG_TAG_RE.search(v["html"])]
        self.assertIn("/", with_tag, "the analytics vendor's script tag is in the demo index after consent")
        attempted = {r["host"] for r in ph["vendor_requests"]}
        self.assertIn("www.googletagmanager.com", attempted, "the browser attempts the consented vendor (aborted)")
        self.assertEqual([r["url"] for r in ph["vendor_requests"] if not r["failure"]], [], "every one aborted")
        # marketing was granted too (no Sec-GPC from this browser): Meta Pixel's script may load as well
        for v in ph["visits"]:
            self.assertNotIn(ident["value"], v["html"], "identifier echoed in %s" % v["path"])
        self.assertEqual(report["consent_delete"]["status"], 200, report["consent_delete"])
        self.assertIsNone(cookie("withdrawn", ID_COOKIE), "identifier gone from context.cookies() after DELETE")


if __name__ == "__main__":
    H.main()
