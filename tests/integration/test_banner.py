#!/usr/bin/python3
"""The visitor's side over HTTP, with a real redis-server and the demo shop as origin: the banner
omote inserts into pages (right after <body>, in a declarative shadow root, Accept and Reject
alike, no cookie before a decision), the privacy link instead for a visitor who decided, the
embedded assets (hashed names, cache lifetimes, 304, size budgets), the banner content in the
other language, the transparency page and the no-JavaScript forms: decide, withdraw, erase,
each answered 303 back to the page. The browser-driven checks are test_banner_browser.py's."""

import gzip
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import test_consent as C  # noqa: E402  (token codec and Redis helpers; its tests are not collected here)
import test_identity as I  # noqa: E402

PRIVACY = {"retailer": "Demo Shop Ltd.", "contact": "privacy@shop.example",
           "promise": {"en": "We never sell your data.", "ja": "データを販売しません。"}}
SCRIPT_RE = re.compile(r'<script src="(/_omote/consent\.[0-9a-f]{12}\.js)" defer')


def banner_stack(name, banner=None):
    keys_dir = H.make_tempdir("omote-it-keys-")
    keys = I.write_keys(keys_dir)

    def mutate(conf):
        conf["purposes"] = I.PURPOSES
        conf["vendors"] = I.VENDORS
        conf["consent"] = {"policy_version": C.POLICY, "lifetime_days": C.LIFETIME_DAYS, "keys_file": keys}
        conf["privacy"] = PRIVACY
        if banner is not None:
            conf["banner"] = banner
    try:
        return H.Stack(tls=False, threads=1, name=name, mutate=mutate), keys_dir
    except BaseException:
        H.remove_tempdir(keys_dir)
        raise


def cookie_pair(resp, name):
    c = C.cookie_of(resp, name)
    return c.split(";", 1)[0] if c else None


class BannerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack, keys_dir = banner_stack("banner")
        cls.addClassCleanup(H.remove_tempdir, keys_dir)
        cls.addClassCleanup(cls.stack.close)

    @property
    def port(self):
        return self.stack.http_port

    def get(self, path, cookie=None, headers=()):
        hs = [("Accept", "text/html")] + list(headers)
        if cookie:
            hs.append(("Cookie", cookie))
        return H.http1_request(self.port, "GET", path, headers=hs)

    def post_form(self, path, fields, cookie=None, origin=True):
        hs = [("Content-Type", "application/x-www-form-urlencoded")]
        if origin:
            hs.append(("Origin", "http://127.0.0.1:%d" % self.port))
        if cookie:
            hs.append(("Cookie", cookie))
        return H.http1_request(self.port, "POST", path, headers=hs, body=urllib.parse.urlencode(fields).encode())

    def text(self, resp):
        return resp.body.decode("utf-8")

    # --- the banner in pages ------------------------------------------------------------------

    def test_first_visit_gets_the_banner_right_after_body_and_no_cookie(self):
        r = self.get("/")
        self.assertEqual(r.status, 200, r)
        html = self.text(r)
        m = re.search(r"<body[^>]*>", html)
        self.assertIsNotNone(m)
        self.assertTrue(html[m.end():].startswith('<div id="omote-consent" data-omote-banner=""'), html[m.end():m.end() + 80])
        self.assertIn('<template shadowrootmode="open"><style>', html)
        self.assertEqual(html.count('class="omote-choice"'), 2)
        self.assertIn('value="1" class="omote-choice" data-omote-all="1">Accept all</button>', html)
        self.assertIn('value="0" class="omote-choice" data-omote-all="0">Reject all</button>', html)
        self.assertIn('<input type="hidden" name="return" value="/">', html)
        self.assertEqual(r.header_all("set-cookie"), [], "no cookie of any kind before a decision")
        self.assertIn("Cookie", r.header("vary", ""))
        self.assertIsNotNone(SCRIPT_RE.search(html))

    def test_banner_keeps_the_page_path_for_the_forms(self):
        html = self.text(self.get("/about.html?ref=a&x=1"))
        self.assertIn('<input type="hidden" name="return" value="/about.html?ref=a&amp;x=1">', html)

    def test_japanese_by_accept_language(self):
        html = self.text(self.get("/", headers=[("Accept-Language", "ja-JP,ja;q=0.9,en;q=0.8")]))
        self.assertIn('lang="ja" tabindex="-1" data-omote-lang="ja"', html)
        self.assertIn("すべて許可", html)
        self.assertIn("すべて拒否", html)

    def test_not_for_non_html_or_head(self):
        r = H.http1_request(self.port, "HEAD", "/", headers=[("Accept", "text/html")])
        self.assertEqual(r.status, 200)
        r = self.get("/_test/bytes?n=100")
        self.assertNotIn(b"omote-consent", r.body)

    # --- assets ----------------------------------------------------------------------------------

    def test_assets_hashed_immutable_plain_short_and_304(self):
        path = SCRIPT_RE.search(self.text(self.get("/"))).group(1)
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type").startswith("text/javascript"))
        self.assertEqual(r.header("cache-control"), "public, max-age=31536000, immutable")
        self.assertEqual(r.header("x-content-type-options"), "nosniff")
        etag = r.header("etag")
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        self.assertEqual(self.get(path, headers=[("If-None-Match", etag)]).status, 304)
        plain = self.get("/_omote/consent.js")
        self.assertEqual(plain.status, 200)
        self.assertEqual(plain.header("cache-control"), "public, max-age=300")
        self.assertEqual(plain.body, r.body)
        js_gz = len(gzip.compress(r.body, 9))
        css = self.get("/_omote/banner.css")
        css_gz = len(gzip.compress(css.body, 9))
        print("# consent.js %d bytes (%d gzipped), banner.css %d bytes (%d gzipped)" % (len(r.body), js_gz, len(css.body), css_gz))
        self.assertLess(js_gz, 8 * 1024)
        self.assertLess(css_gz, 4 * 1024)
        self.assertIn("<style>" + css.body.decode() + "</style>", self.text(self.get("/")), "the inlined style is the asset")
        self.assertEqual(self.get("/_omote/consent.12345678.js").status, 404)
        r = H.http1_request(self.port, "POST", path, headers=[("Content-Type", "text/plain")], body=b"x")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")

    def test_banner_content_in_the_other_language(self):
        r = self.get("/_omote/banner?lang=ja&return=%2Fabout.html%3Fa%3D1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("cache-control"), "private, no-store")
        html = self.text(r)
        self.assertTrue(html.startswith("<style>"))
        self.assertIn('lang="ja"', html)
        self.assertIn('name="return" value="/about.html?a=1"', html)
        self.assertNotIn("<script", html)
        evil = self.text(self.get("/_omote/banner?return=%2F%2Fevil.example%2F"))
        self.assertIn('name="return" value="/"', evil)

    # --- the no-JavaScript flow --------------------------------------------------------------

    def test_reject_by_form_then_privacy_link_and_no_identifier(self):
        r = self.post_form("/_omote/consent", {"all": "0", "return": "/about.html"})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("location"), "/about.html")
        consent = cookie_pair(r, "omote_consent")
        self.assertIsNotNone(consent)
        self.assertIsNone(C.cookie_of(r, "omote_id"))
        page = self.get("/about.html", cookie=consent)
        html = self.text(page)
        self.assertNotIn("omote-consent", html)
        self.assertIn('<div id="omote-privacy-link" data-omote-link="">', html)
        self.assertIn('class="omote-link omote-bottom-left" href="/_omote/privacy"', html)
        self.assertEqual(page.header_all("set-cookie"), [])

    def test_accept_by_form_privacy_page_withdraw_and_erase(self):
        r = self.post_form("/_omote/consent", {"all": "1", "return": "/"})
        self.assertEqual(r.status, 303, r)
        jar = {"omote_consent": cookie_pair(r, "omote_consent"), "omote_id": cookie_pair(r, "omote_id")}
        self.assertIsNotNone(jar["omote_id"], "accept-all grants analytics, which needs the identifier")
        cookie = "; ".join(jar.values())

        page = self.get("/_omote/privacy", cookie=cookie)
        self.assertEqual(page.status, 200, page)
        self.assertEqual(page.header("cache-control"), "private, no-store")
        html = self.text(page)
        self.assertIn("We never sell your data.", html)
        self.assertIn("under policy version %s." % C.POLICY, html)
        self.assertIn("One record of your decision", html)
        self.assertIn("<dd>necessary,analytics,marketing</dd>", html)
        self.assertIn("holds a first-party identifier", html)
        self.assertNotIn(jar["omote_id"].split("=", 1)[1], html, "the identifier's value is not shown")
        self.assertIn('name="withdraw" value="1"', html)

        ja = self.text(self.get("/_omote/privacy?lang=ja", cookie=cookie))
        self.assertIn('<html lang="ja">', ja)
        self.assertIn("データを販売しません。", ja)

        download = self.get("/_omote/me?download=1", cookie=cookie)
        self.assertEqual(download.status, 200)
        self.assertEqual(download.header("content-disposition"), 'attachment; filename="omote-me.json"')
        record_key = download.json()["record"]["key"]

        self.assertEqual(self.post_form("/_omote/me", {"erase": "1"}, cookie=cookie, origin=False).status, 403)
        e = self.post_form("/_omote/me", {"erase": "1", "return": "/_omote/privacy?done=erased"}, cookie=cookie)
        self.assertEqual(e.status, 303, e)
        self.assertEqual(e.header("location"), "/_omote/privacy?done=erased")
        self.assertRegex(C.cookie_of(e, "omote_consent"), r"Max-Age=0")
        self.assertRegex(C.cookie_of(e, "omote_id"), r"Max-Age=0")
        self.assertEqual(C.redis_call(self.stack.redis.port, "EXISTS", record_key), 0)
        gone = self.text(self.get("/_omote/privacy?done=erased"))
        self.assertIn("What was stored about you has been erased.", gone)
        self.assertIn("Nothing is stored about you", gone)
        self.assertIn("You have not decided yet.", gone)

    def test_accept_then_withdraw_by_form(self):
        r = self.post_form("/_omote/consent", {"all": "1", "return": "/"})
        cookie = "%s; %s" % (cookie_pair(r, "omote_consent"), cookie_pair(r, "omote_id"))
        record_key = self.get("/_omote/me", cookie=cookie).json()["record"]["key"]
        w = self.post_form("/_omote/consent", {"withdraw": "1", "return": "/_omote/privacy?done=withdrawn"}, cookie=cookie)
        self.assertEqual(w.status, 303, w)
        self.assertEqual(w.header("location"), "/_omote/privacy?done=withdrawn")
        self.assertRegex(C.cookie_of(w, "omote_id"), r"Max-Age=0")
        record = C.as_dict(C.redis_call(self.stack.redis.port, "HGETALL", record_key))
        self.assertEqual(record["event"], "withdraw")
        self.assertEqual(record["granted"], "necessary")
        after = self.text(self.get("/_omote/privacy?done=withdrawn", cookie=cookie_pair(w, "omote_consent")))
        self.assertIn("Your consent was withdrawn.", after)
        self.assertIn("not linked to you", after, "the page says where the withdrawal's record is")
        page = self.text(self.get("/", cookie=cookie_pair(w, "omote_consent")))
        self.assertNotIn("omote-consent", page)
        self.assertIn("omote-privacy-link", page)

    def test_form_errors_store_nothing(self):
        before = C.redis_call(self.stack.redis.port, "XLEN", "omote:audit")
        self.assertEqual(self.post_form("/_omote/me", {"erase": "2"}).status, 400)
        self.assertEqual(self.post_form("/_omote/me", {"all": "1"}).status, 400)
        self.assertEqual(self.post_form("/_omote/consent", {"erase": "1"}).status, 400)
        self.assertEqual(self.post_form("/_omote/consent", {"withdraw": "1", "all": "1"}).status, 400)
        r = H.http1_request(self.port, "POST", "/_omote/me", headers=[("Content-Type", "application/json"),
                                                                        ("Origin", "http://127.0.0.1:%d" % self.port)], body=b"{}")
        self.assertEqual(r.status, 415)
        self.assertEqual(r.json()["error"], "unsupported media type")
        r = H.http1_request(self.port, "PUT", "/_omote/privacy")
        self.assertEqual(r.status, 405)
        self.assertEqual(C.redis_call(self.stack.redis.port, "XLEN", "omote:audit"), before)

    def test_privacy_page_for_a_first_visitor(self):
        r = self.get("/_omote/privacy", headers=[("Sec-GPC", "1")])
        self.assertEqual(r.status, 200)
        html = self.text(r)
        self.assertIn("You have not decided yet.", html)
        self.assertIn("Your browser sent the Global Privacy Control signal", html)
        self.assertIn("stay off when you choose", html)
        self.assertIn("Only if you allow", html)
        self.assertEqual(r.header_all("set-cookie"), [])


class BannerOffTest(unittest.TestCase):
    """banner.enabled false: pages pass without any insertion; privacy_link off: no link either."""

    @classmethod
    def setUpClass(cls):
        cls.stack, keys_dir = banner_stack("banner-off", banner={"enabled": False})
        cls.addClassCleanup(H.remove_tempdir, keys_dir)
        cls.addClassCleanup(cls.stack.close)

    def test_no_insertion(self):
        r = H.http1_request(self.stack.http_port, "GET", "/", headers=[("Accept", "text/html")])
        self.assertEqual(r.status, 200)
        self.assertNotIn(b"omote-consent", r.body)
        self.assertNotIn(b"omote-privacy-link", r.body)
        self.assertEqual(H.http1_request(self.stack.http_port, "GET", "/_omote/privacy").status, 200,
                         "the transparency page stays available")


class PrivacyWithoutRedisTest(unittest.TestCase):
    """Redis down: the privacy page still explains everything, and says it could not read the visitor's data."""

    @classmethod
    def setUpClass(cls):
        cls.stack, keys_dir = banner_stack("banner-noredis")
        cls.addClassCleanup(H.remove_tempdir, keys_dir)
        cls.addClassCleanup(cls.stack.close)

    def test_page_without_redis(self):
        token = C.make_token(0b011, int(__import__("time").time()), record_id=b"\x01" * 16)
        self.stack.redis.stop()
        r = H.http1_request(self.stack.http_port, "GET", "/_omote/privacy", headers=[("Cookie", "omote_consent=" + token)])
        self.assertEqual(r.status, 200, r)
        html = r.body.decode()
        self.assertIn("We could not read what is stored about you just now.", html)
        self.assertIn("under policy version", html, "the decision itself comes from the token")
        self.assertIn("Partners", html)


if __name__ == "__main__":
    unittest.main(verbosity=2)
