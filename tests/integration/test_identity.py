#!/usr/bin/python3
"""First-party identifier, Global Privacy Control and GET/DELETE me through omote with a real
redis-server: no identifier before consent (a crawl of the demo shop with a cookie jar), one after
accept-all or on the next page of a token-only visitor, Omote-Id at the origin only with consent,
withdrawal and refusal; Sec-GPC on accept-all; what GET me reports and what DELETE me erases
(record, audit entries, cookies), and 503 when Redis is down."""

import base64
import http.cookiejar
import json
import os
import re
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import test_consent as C  # noqa: E402  (token codec and Redis helpers; its tests are not collected here)

PURPOSES = [
    {"id": "necessary", "strictly_necessary": True, "cookies": ["sid", "cart", "lang"]},
    {"id": "analytics", "needs_identifier": True, "cookies": ["_ga", "_ga_*", "_gid"]},
    {"id": "marketing", "gpc": True, "cookies": ["_fbp"]},
]
VENDORS = C.VENDORS
ID_RE = re.compile(r"[0-9a-f]{32}")
NONE, ANALYTICS, MARKETING, ALL = 0b001, 0b011, 0b101, 0b111


def write_keys(directory):
    keys = os.path.join(directory, "consent.keys")
    with open(keys, "w") as f:
        f.write("%s %s\n" % (C.KID, base64.b64encode(C.SECRET).decode()))
    os.chmod(keys, 0o600)
    return keys


def identity_stack(tls, threads, name):
    keys_dir = H.make_tempdir("omote-it-keys-")
    keys = write_keys(keys_dir)

    def mutate(conf):
        conf["purposes"] = PURPOSES
        conf["vendors"] = VENDORS
        conf["consent"] = {"policy_version": C.POLICY, "lifetime_days": C.LIFETIME_DAYS, "keys_file": keys}
    try:
        return H.Stack(tls=tls, threads=threads, name=name, mutate=mutate), keys_dir
    except BaseException:
        H.remove_tempdir(keys_dir)
        raise


def id_cookie(resp):
    return C.cookie_of(resp, "omote_id")


class IdentityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack, keys_dir = identity_stack(True, 2, "identity")
        cls.addClassCleanup(H.remove_tempdir, keys_dir)
        cls.addClassCleanup(cls.stack.close)

    # --- helpers ---------------------------------------------------------------------------

    @property
    def port(self):
        return self.stack.http_port

    @property
    def redis_port(self):
        return self.stack.redis.port

    def own_origin(self):
        return "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None, cookie=None, headers=(), same_origin=True):
        hs = [("Origin", self.own_origin())] if same_origin else []
        if body is not None:
            hs.append(("Content-Type", "application/json"))
            body = json.dumps(body).encode()
        if cookie:
            hs.append(("Cookie", cookie))
        return H.http1_request(self.port, method, path, headers=hs + list(headers), body=body)

    def consent(self, body, cookie=None, headers=()):
        return self.call("POST", "/_omote/consent", body, cookie, headers)

    def page(self, path, cookie=None, headers=()):
        hs = [("Accept", "text/html")] + list(headers) + ([("Cookie", cookie)] if cookie else [])
        return H.http1_request(self.port, "GET", path, headers=hs)

    def origin_headers(self, cookie=None, headers=()):
        r = self.page("/_test/echo", cookie=cookie, headers=headers)
        self.assertEqual(r.status, 200, r)
        return json.loads(r.body)["headers"]

    def omote_id_at_origin(self, cookie):
        return [v for k, v in self.origin_headers(cookie) if k.lower() == "omote-id"]

    def last_audit(self):
        entries = C.redis_call(self.redis_port, "XREVRANGE", "omote:audit", "+", "-", "COUNT", "1")
        return C.as_dict(entries[0][1])

    def audit_entries_of(self, rid_hex):
        entries = C.redis_call(self.redis_port, "XRANGE", "omote:audit", "-", "+")
        return [e for e in entries if C.as_dict(e[1]).get("record") == rid_hex]

    # --- identifier ------------------------------------------------------------------------

    def crawl(self, opener, start="/"):
        """Every same-site page and resource reachable from `start`; (url, headers, body) each."""
        base = "http://127.0.0.1:%d" % self.port
        seen, queue, out = set(), [start], []
        while queue and len(seen) < 60:
            path = queue.pop(0)
            if path in seen or path == "/_omote/me":  # the privacy page's export link: the visitor's own identifier, on purpose
                continue
            seen.add(path)
            req = urllib.request.Request(base + path, headers={"Accept": "text/html,*/*"})
            try:
                with opener.open(req, timeout=10) as resp:
                    body, headers, ctype = resp.read(), resp.headers, resp.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                body, headers, ctype = e.read(), e.headers, ""
            out.append((path, headers, body))
            if "text/html" not in ctype:
                continue
            for ref in re.findall(r'(?:href|src)="([^"#]+)', body.decode("utf-8", "replace")):
                if ref.startswith("/") and not ref.startswith("//"):
                    queue.append(urllib.parse.urlsplit(ref).path)
                elif not re.match(r"^[a-z]+:", ref) and not ref.startswith("//"):
                    queue.append(urllib.parse.urljoin(path, ref))
        return out

    def test_no_identifier_before_consent_and_one_after(self):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        visited = self.crawl(opener)
        self.assertGreaterEqual(len([p for p, _, _ in visited if p.endswith(".html") or p.endswith("/")]), 5, visited)
        for path, headers, body in visited:
            with self.subTest(path=path):
                for name, value in headers.items():
                    self.assertNotIn("omote_id", value, "no identifier cookie before consent")
                    self.assertNotIn("omote-id", name.lower())
                self.assertIsNone(ID_RE.search(body.decode("utf-8", "replace")), "no identifier-shaped value in any body")
        self.assertEqual([c.name for c in jar], [], "no cookie of any kind before consent")

        # accept all through the same jar: the identifier comes with the consent answer
        req = urllib.request.Request("http://127.0.0.1:%d/_omote/consent" % self.port, data=b'{"all": true}', method="POST",
                                     headers={"Content-Type": "application/json", "Origin": self.own_origin()})
        with opener.open(req, timeout=10) as resp:
            self.assertEqual(resp.status, 200)
        ids = [c.value for c in jar if c.name == "omote_id"]
        self.assertEqual(len(ids), 1, list(jar))
        self.assertRegex(ids[0], r"^[0-9a-f]{32}$")
        for path, headers, body in self.crawl(opener):
            with self.subTest(path=path, after=True):
                self.assertNotIn("omote_id=", " ".join(headers.get_all("Set-Cookie") or []), "issued once, not on every page")
                self.assertNotIn(ids[0], body.decode("utf-8", "replace"))
        self.assertEqual([c.value for c in jar if c.name == "omote_id"], ids, "kept as issued")

    def test_accept_all_sets_identifier_with_its_attributes(self):
        r = self.consent({"all": True})
        self.assertEqual(r.status, 200, r)
        self.assertRegex(id_cookie(r), r"^omote_id=[0-9a-f]{32}; Max-Age=%d; Path=/; HttpOnly; SameSite=Lax$"
                         % (C.LIFETIME_DAYS * 86400))
        ident = C.token_of(r, "omote_id")
        record = C.as_dict(C.redis_call(self.redis_port, "HGETALL", "omote:consent:" + C.read_token(C.token_of(r))[3].hex()))
        self.assertNotIn(ident, json.dumps([record, self.last_audit()]), "the identifier is not stored")
        # a change keeping analytics keeps the visitor's identifier
        cookie = "omote_consent=%s; omote_id=%s" % (C.token_of(r), ident)
        r2 = self.consent({"purposes": {"analytics": True}}, cookie=cookie)
        self.assertEqual(C.token_of(r2, "omote_id"), ident)
        # HTTPS: __Host- prefix and Secure
        origin = "https://127.0.0.1:%d" % self.stack.tls_port
        r = H.http1_request(self.stack.tls_port, "POST", "/_omote/consent", tls=True, body=b'{"all": true}',
                            headers=[("Content-Type", "application/json"), ("Origin", origin)])
        self.assertRegex(id_cookie(r), r"^__Host-omote_id=[0-9a-f]{32}; Max-Age=\d+; Path=/; Secure; HttpOnly; SameSite=Lax$")

    def test_refusal_sets_no_identifier_and_withdrawal_expires_it(self):
        r = self.consent({"all": False})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(id_cookie(r), "a refusal sets no identifier")
        r = self.consent({"purposes": {"marketing": True}})
        self.assertIsNone(id_cookie(r), "marketing needs no identifier")
        r = self.consent({"purposes": {"analytics": True}})
        ident = C.token_of(r, "omote_id")
        cookie = "omote_consent=%s; omote_id=%s" % (C.token_of(r), ident)
        # a POST that drops every needs_identifier purpose expires it
        r2 = self.consent({"purposes": {"marketing": True}}, cookie=cookie)
        self.assertRegex(id_cookie(r2), r"^omote_id=; Max-Age=0; Path=/")
        r3 = self.consent({"all": False}, cookie=cookie)
        self.assertRegex(id_cookie(r3), r"^omote_id=; Max-Age=0; Path=/")
        r4 = self.call("DELETE", "/_omote/consent", cookie=cookie)
        self.assertEqual(r4.status, 200, r4)
        self.assertRegex(id_cookie(r4), r"^omote_id=; Max-Age=0; Path=/")

    def test_omote_id_reaches_the_origin_only_with_consent(self):
        now = int(time.time())
        ident = "0123456789abcdef0123456789abcdef"
        analytics = C.make_token(ANALYTICS, now - 60, os.urandom(16))
        marketing = C.make_token(MARKETING, now - 60, os.urandom(16))
        self.assertEqual(self.omote_id_at_origin("omote_consent=%s; omote_id=%s" % (analytics, ident)), [ident])
        self.assertEqual(self.omote_id_at_origin("omote_consent=%s; omote_id=%s" % (marketing, ident)), [])
        self.assertEqual(self.omote_id_at_origin("omote_id=%s" % ident), [], "no token: no identifier")
        self.assertEqual(self.omote_id_at_origin("omote_consent=%s; omote_id=NOT-AN-ID" % analytics), [])
        seen = self.origin_headers("omote_consent=%s; omote_id=%s" % (analytics, ident), headers=[("Omote-Id", "forged")])
        self.assertEqual([v for k, v in seen if k.lower() == "omote-id"], [ident], "a client's Omote-Id never passes")
        self.assertEqual([v for k, v in seen if k.lower() == "cookie"], [], "the identifier cookie itself stays with omote")

    def test_next_document_issues_identifier_to_token_only_visitor(self):
        now = int(time.time())
        decided = now - 10 * 86400
        analytics = C.make_token(ANALYTICS, decided, os.urandom(16))
        r = self.page("/index.html", cookie="omote_consent=" + analytics)
        self.assertEqual(r.status, 200)
        c = id_cookie(r)
        self.assertRegex(c, r"^omote_id=[0-9a-f]{32}; Max-Age=(\d+); Path=/; HttpOnly; SameSite=Lax$")
        max_age = int(re.search(r"Max-Age=(\d+)", c).group(1))
        self.assertLessEqual(abs(max_age - (decided + C.LIFETIME_DAYS * 86400 - now)), 5, "what is left of the consent")
        ident = C.token_of(r, "omote_id")
        self.assertIsNone(id_cookie(self.page("/index.html", cookie="omote_consent=%s; omote_id=%s" % (analytics, ident))),
                          "not again once the visitor has one")
        self.assertIsNone(id_cookie(self.page("/style.css", cookie="omote_consent=" + analytics)), "documents only")
        page = "/_test/encoded?coding=identity&path=/index.html"
        self.assertIsNone(id_cookie(self.page(page + "&status=404", cookie="omote_consent=" + analytics)),
                          "an error page is not the page: no identifier on it")
        self.assertIsNone(id_cookie(self.page(page + "&cache=public,%20max-age=60", cookie="omote_consent=" + analytics)),
                          "a page a shared cache may keep never carries one visitor's identifier")
        self.assertIsNotNone(id_cookie(self.page(page + "&cache=private,%20max-age=60", cookie="omote_consent=" + analytics)),
                             "a private page does")
        self.assertIsNone(id_cookie(self.page("/index.html", cookie="omote_consent=" + C.make_token(MARKETING, now, os.urandom(16)))))
        self.assertIsNone(id_cookie(self.page("/index.html")))
        expired = C.make_token(ANALYTICS, now - C.LIFETIME_DAYS * 86400 - 5, os.urandom(16))
        self.assertIsNone(id_cookie(self.page("/index.html", cookie="omote_consent=" + expired)))

    # --- GPC -------------------------------------------------------------------------------

    def test_gpc_denies_marketing_on_accept_all_unless_named(self):
        gpc = [("Sec-GPC", "1")]
        r = self.consent({"all": True}, headers=gpc)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(C.read_token(C.token_of(r))[0], ANALYTICS)
        doc = r.json()
        self.assertTrue(doc["gpc"])
        self.assertEqual(doc["gpc_honoured"], ["marketing"])
        rid = C.read_token(C.token_of(r))[3].hex()
        record = C.as_dict(C.redis_call(self.redis_port, "HGETALL", "omote:consent:" + rid))
        self.assertEqual((record["source"], record["denied"]), ("api+gpc", "marketing"))
        self.assertEqual(self.last_audit()["source"], "api+gpc")
        # an explicit grant wins
        r = self.consent({"purposes": {"analytics": True, "marketing": True}}, headers=gpc)
        self.assertEqual(C.read_token(C.token_of(r))[0], ALL)
        self.assertEqual((r.json()["gpc_honoured"], self.last_audit()["source"]), ([], "api"))
        # the form's accept-all
        form = [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", self.own_origin())] + gpc
        r = H.http1_request(self.port, "POST", "/_omote/consent", headers=form, body=b"all=1")
        self.assertEqual((r.status, C.read_token(C.token_of(r))[0], self.last_audit()["source"]), (303, ANALYTICS, "form+gpc"))
        r = H.http1_request(self.port, "POST", "/_omote/consent", headers=form, body=b"all=1&marketing=on")
        self.assertEqual((C.read_token(C.token_of(r))[0], self.last_audit()["source"]), (ALL, "form"))
        # nothing to honour: no "+gpc"
        r = self.consent({"all": False}, headers=gpc)
        self.assertEqual(self.last_audit()["source"], "api")
        # without the signal, accept-all grants marketing
        r = self.consent({"all": True})
        self.assertEqual((C.read_token(C.token_of(r))[0], r.json()["gpc"], r.json()["gpc_honoured"]), (ALL, False, []))

    def test_gpc_does_not_override_an_earlier_decision(self):
        r = self.consent({"all": True})
        tok = C.token_of(r)
        self.assertEqual(C.read_token(tok)[0], ALL)
        seen = self.origin_headers("omote_consent=" + tok, headers=[("Sec-GPC", "1")])
        self.assertEqual([v for k, v in seen if k.lower() == "omote-consent"], ["analytics=1, marketing=1"])
        page = self.page("/index.html", cookie="omote_consent=" + tok, headers=[("Sec-GPC", "1")]).body.decode()
        self.assertIn("fbq('init'", page, "marketing stays granted: the earlier choice holds")
        g = self.call("GET", "/_omote/consent", cookie="omote_consent=" + tok, headers=[("Sec-GPC", "1")]).json()
        self.assertEqual((g["gpc"], g["gpc_honoured"]), (True, []))
        g = self.call("GET", "/_omote/consent", headers=[("Sec-GPC", "1")]).json()
        self.assertEqual((g["decided"], g["gpc_honoured"]), (False, ["marketing"]), "would deny it in a new decision")

    # --- GET me / DELETE me ---------------------------------------------------------------------

    def test_get_me_without_anything(self):
        r = self.call("GET", "/_omote/me", same_origin=False)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual((doc["token"], doc["identifier"], doc["record"], doc["audit"]), ("absent", None, None, []))
        self.assertFalse(doc["consent"]["decided"])
        self.assertEqual(doc["audit_scan"], {"scanned": 0, "limit": 10000, "complete": True})
        refusal = self.consent({"all": False})
        doc = self.call("GET", "/_omote/me", cookie="omote_consent=" + C.token_of(refusal)).json()
        self.assertEqual((doc["token"], doc["record"]), ("valid", None), "a refusal's token leads to no record")
        self.assertEqual(self.call("PUT", "/_omote/me").status, 405)

    def test_get_me_then_delete_me_erases_everything(self):
        r = self.consent({"all": True})
        ident = C.token_of(r, "omote_id")
        r = self.consent({"purposes": {"analytics": True}}, cookie="omote_consent=" + C.token_of(r))
        tok = C.token_of(r)
        rid = C.read_token(tok)[3].hex()
        cookie = "omote_consent=%s; omote_id=%s" % (tok, ident)
        doc = self.call("GET", "/_omote/me", cookie=cookie, same_origin=False).json()
        self.assertEqual((doc["token"], doc["identifier"]), ("valid", ident))
        self.assertEqual(doc["record"]["id"], rid)
        self.assertEqual(doc["record"]["key"], "omote:consent:" + rid)
        self.assertEqual(doc["record"]["fields"]["event"], "change")
        self.assertEqual(doc["record"]["fields"]["granted"], "necessary,analytics")
        self.assertTrue(C.LIFETIME_DAYS * 86400 - 60 < doc["record"]["ttl_sec"] <= C.LIFETIME_DAYS * 86400)
        self.assertEqual([e["fields"]["event"] for e in doc["audit"]], ["change", "grant"], "newest first")
        self.assertTrue(all(e["fields"]["record"] == rid for e in doc["audit"]))
        self.assertTrue(doc["audit_scan"]["complete"])
        self.assertTrue(doc["consent"]["decided"])

        r = self.call("DELETE", "/_omote/me", cookie=cookie, same_origin=False)
        self.assertEqual(r.status, 403, "erasure needs a same-origin request")
        self.assertEqual(C.redis_call(self.redis_port, "EXISTS", "omote:consent:" + rid), 1)
        r = self.call("DELETE", "/_omote/me", cookie=cookie)
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertEqual((doc["erased"], doc["record_deleted"], doc["audit_entries_deleted"]), (True, True, 2))
        self.assertRegex(C.cookie_of(r), r"^omote_consent=; Max-Age=0; Path=/")
        self.assertRegex(id_cookie(r), r"^omote_id=; Max-Age=0; Path=/")
        self.assertEqual(C.redis_call(self.redis_port, "EXISTS", "omote:consent:" + rid), 0)
        self.assertEqual(self.audit_entries_of(rid), [], "the visitor's audit entries are gone")
        erased = self.last_audit()
        self.assertEqual(erased["event"], "erased")
        self.assertEqual(erased["audit_entries_deleted"], "2")
        self.assertNotIn("record", erased)
        self.assertNotIn(rid, json.dumps(erased))
        self.assertNotIn(ident, json.dumps(erased))
        doc = self.call("GET", "/_omote/me").json()
        self.assertEqual((doc["record"], doc["audit"]), (None, []))
        doc = self.call("GET", "/_omote/me", cookie="omote_consent=" + tok).json()
        self.assertEqual((doc["record"], doc["audit"]), (None, []), "even the old token finds nothing")


class IdentityRedisDownTest(unittest.TestCase):
    """DELETE me (and GET me with a record) answer 503 with Retry-After while Redis is gone."""

    @classmethod
    def setUpClass(cls):
        cls.stack, keys_dir = identity_stack(False, 1, "identity-outage")
        cls.addClassCleanup(H.remove_tempdir, keys_dir)
        cls.addClassCleanup(cls.stack.close)

    def call(self, method, path, cookie=None, body=None):
        hs = [("Sec-Fetch-Site", "same-origin")] + ([("Cookie", cookie)] if cookie else [])
        if body is not None:
            hs.append(("Content-Type", "application/json"))
        return H.http1_request(self.stack.http_port, method, path, headers=hs, body=body)

    def test_delete_me_answers_503_while_redis_is_down(self):
        redis = self.stack.redis
        r = self.call("POST", "/_omote/consent", body=b'{"all": true}')
        self.assertEqual(r.status, 200, r)
        cookie = "omote_consent=%s; omote_id=%s" % (C.token_of(r), C.token_of(r, "omote_id"))
        rid = C.read_token(C.token_of(r))[3].hex()
        redis.fixed_port = redis.port
        redis.stop()
        for method in ("DELETE", "GET"):
            with self.subTest(method=method):
                r = H.wait_until(lambda: (lambda x: x if x.status == 503 else None)(self.call(method, "/_omote/me", cookie)), 5)
                self.assertIsNotNone(r)
                self.assertEqual(r.header("retry-after"), "5")
                self.assertEqual(r.json()["error"], "consent store unavailable")
                self.assertEqual(r.header_all("set-cookie"), [], "no cookie expired without an acknowledged erasure")
        redis.start()
        r = H.wait_until(lambda: (lambda x: x if x.status == 200 else None)(self.call("DELETE", "/_omote/me", cookie)), 10)
        self.assertIsNotNone(r, "works again once Redis is back")
        self.assertTrue(r.json()["record_deleted"])
        self.assertEqual(C.redis_call(redis.port, "EXISTS", "omote:consent:" + rid), 0)


if __name__ == "__main__":
    H.main()
