#!/usr/bin/python3
"""Consent through omote with a real redis-server: decisions recorded (hash + audit stream in one
MULTI/EXEC) before the cookie is set, tokens read on page requests without Redis, the origin told
by Omote-Consent and never shown omote's cookies, same-origin checks, body errors, Redis stopped
and back, and tokens that must count as no decision (tampered, expired, wrong key, old policy)."""

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SIGNATURES = os.path.abspath(os.path.join(HERE, "..", "..", "config", "signatures.txt"))
PURPOSES = [
    {"id": "necessary", "strictly_necessary": True, "cookies": ["sid", "cart", "lang"],
     "name": {"en": "Strictly necessary", "ja": "必須"}},
    {"id": "analytics", "needs_identifier": True, "cookies": ["_ga", "_ga_*", "_gid"],
     "name": {"en": "Analytics", "ja": "アクセス解析"}, "description": {"en": "Counts visits.", "ja": "訪問数を集計します。"}},
    {"id": "marketing", "cookies": ["_fbp"]},
]
VENDORS = [
    {"name": "Google Tag Manager", "purpose": "analytics", "hosts": ["googletagmanager.com"], "paths": ["/gtm/*"]},
    {"name": "Meta Pixel", "purpose": "marketing", "hosts": ["connect.facebook.net"]},
]
KID, SECRET = "k2", bytes(range(32))
OLD_KID, OLD_SECRET = "k1", bytes(range(100, 132))
POLICY = "2024-06"
LIFETIME_DAYS = 30


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(purposes, when, record_id=None, kid=KID, secret=SECRET, policy=POLICY):
    """The token format of config/README.md, written independently of omote's codec."""
    v = policy.encode()
    payload = bytes([1 if record_id else 0]) + struct.pack(">IQ", purposes, when) + bytes([len(v)]) + v + (record_id or b"")
    signed = "1.%s.%s" % (kid, b64u(payload))
    return signed + "." + b64u(hmac.new(secret, signed.encode(), hashlib.sha256).digest()[:16])


def read_token(token):
    """(purposes, time, policy, record id or None) of a token omote set."""
    _, kid, payload, mac = token.split(".")
    signed = "1.%s.%s" % (kid, payload)
    assert kid == KID, kid
    assert b64u_decode(mac) == hmac.new(SECRET, signed.encode(), hashlib.sha256).digest()[:16], "MAC checks"
    p = b64u_decode(payload)
    purposes, when = struct.unpack(">IQ", p[1:13])
    vlen = p[13]
    return purposes, when, p[14:14 + vlen].decode(), (p[14 + vlen:] if p[0] & 1 else None)


def redis_call(port, *args, timeout=2.0):
    """One command; the whole RESP reply as Python values (bytes, int, list, None)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"".join(out))
        f = s.makefile("rb")

        def parse():
            line = f.readline().rstrip(b"\r\n")
            kind, rest = line[:1], line[1:]
            if kind == b"+":
                return rest
            if kind == b"-":
                raise RuntimeError(rest.decode())
            if kind == b":":
                return int(rest)
            if kind == b"$":
                n = int(rest)
                if n < 0:
                    return None
                data = f.read(n + 2)
                return data[:-2]
            if kind == b"*":
                n = int(rest)
                return None if n < 0 else [parse() for _ in range(n)]
            raise RuntimeError("bad reply %r" % line)
        return parse()


def as_dict(flat):
    return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}


def cookie_of(resp, name="omote_consent"):
    for v in resp.header_all("set-cookie"):
        if v.split("=", 1)[0] in (name, "__Host-" + name):
            return v
    return None


def token_of(resp, name="omote_consent"):
    return cookie_of(resp, name).split(";", 1)[0].split("=", 1)[1]


class ConsentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys_dir = H.make_tempdir("omote-it-keys-")
        cls.addClassCleanup(H.remove_tempdir, cls.keys_dir)
        keys = os.path.join(cls.keys_dir, "consent.keys")
        with open(keys, "w") as f:
            f.write("# test keys\n%s %s\n%s %s\n" % (OLD_KID, base64.b64encode(OLD_SECRET).decode(), KID,
                                                     base64.b64encode(SECRET).decode()))
        os.chmod(keys, 0o600)

        def mutate(conf):
            conf["trackers"] = {"signatures": SIGNATURES}
            conf["purposes"] = PURPOSES
            conf["vendors"] = VENDORS
            conf["consent"] = {"policy_version": POLICY, "lifetime_days": LIFETIME_DAYS, "keys_file": keys}
        cls.stack = H.Stack(tls=True, name="consent", mutate=mutate)
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

    def post(self, body, ctype="application/json", headers=None, method="POST", cookie=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hs = [("Content-Type", ctype)] if ctype else []
        hs += [("Origin", self.own_origin())] if headers is None else list(headers)
        if cookie:
            hs.append(("Cookie", cookie))
        return H.http1_request(self.port, method, "/_omote/consent", headers=hs, body=data)

    def get(self, path, cookie=None, headers=()):
        hs = [("Accept", "text/html")] + list(headers)
        if cookie:
            hs.append(("Cookie", cookie))
        return H.http1_request(self.port, "GET", path, headers=hs)

    def audit_len(self):
        return redis_call(self.redis_port, "XLEN", "omote:audit")

    def last_audit(self):
        entries = redis_call(self.redis_port, "XREVRANGE", "omote:audit", "+", "-", "COUNT", "1")
        return as_dict(entries[0][1])

    def metric(self, name):
        return self.stack.omote.metrics().get(name, 0)

    def origin_saw(self, cookie=None, headers=()):
        r = self.get("/_test/echo", cookie=cookie, headers=headers)
        self.assertEqual(r.status, 200)
        return json.loads(r.body)["headers"]

    # --- grant -----------------------------------------------------------------------------

    def test_grant_writes_record_and_audit_then_sets_cookie(self):
        before = self.audit_len()
        r = self.post({"purposes": {"analytics": True, "marketing": False}})
        self.assertEqual(r.status, 200, r)
        doc = r.json()
        self.assertTrue(doc["decided"])
        self.assertTrue(doc["recorded"])
        self.assertEqual([(p["id"], p["granted"]) for p in doc["purposes"]],
                         [("necessary", True), ("analytics", True), ("marketing", False)])
        c = cookie_of(r)
        self.assertRegex(c, r"^omote_consent=[^;]+; Max-Age=%d; Path=/; HttpOnly; SameSite=Lax$" % (LIFETIME_DAYS * 86400))
        purposes, when, policy, rid = read_token(token_of(r))
        self.assertEqual((purposes, policy), (0b011, POLICY))
        self.assertLessEqual(abs(when - time.time()), 5)
        self.assertIsNotNone(rid)
        key = "omote:consent:" + rid.hex()
        record = as_dict(redis_call(self.redis_port, "HGETALL", key))
        self.assertEqual(record["event"], "grant")
        self.assertEqual(record["granted"], "necessary,analytics")
        self.assertEqual(record["denied"], "marketing")
        self.assertEqual(record["policy_version"], POLICY)
        self.assertEqual(record["source"], "api")
        self.assertEqual(int(record["decided_at"]), when)
        self.assertRegex(record["texts_sha256"], r"^[0-9a-f]{64}$")
        ttl = redis_call(self.redis_port, "TTL", key)
        self.assertTrue(LIFETIME_DAYS * 86400 - 60 < ttl <= LIFETIME_DAYS * 86400, ttl)
        self.assertEqual(self.audit_len(), before + 1)
        audit = self.last_audit()
        self.assertEqual(audit["record"], rid.hex())
        self.assertEqual(audit["event"], "grant")
        self.assertEqual(audit["granted"], "necessary,analytics")
        self.assertEqual(audit["texts_sha256"], record["texts_sha256"])
        everything = json.dumps([record, audit])
        self.assertNotIn("127.0.0.1", everything, "no IP address is stored")
        self.assertNotIn(token_of(r), everything)

    def test_https_cookie_is_host_prefixed_and_secure(self):
        origin = "https://127.0.0.1:%d" % self.stack.tls_port
        data = json.dumps({"all": True, "source": "banner"}).encode()
        r = H.http1_request(self.stack.tls_port, "POST", "/_omote/consent", tls=True, body=data,
                            headers=[("Content-Type", "application/json"), ("Origin", origin)])
        self.assertEqual(r.status, 200, r)
        self.assertRegex(cookie_of(r), r"^__Host-omote_consent=[^;]+; Max-Age=\d+; Path=/; Secure; HttpOnly; SameSite=Lax$")
        self.assertEqual(self.last_audit()["source"], "banner")
        tok = token_of(r)
        # the bare name means nothing on HTTPS: only the __Host- cookie counts there
        g = H.http1_request(self.stack.tls_port, "GET", "/_omote/consent", tls=True, headers=[("Cookie", "omote_consent=" + tok)])
        self.assertFalse(g.json()["decided"])
        g = H.http1_request(self.stack.tls_port, "GET", "/_omote/consent", tls=True,
                            headers=[("Cookie", "__Host-omote_consent=" + tok)])
        self.assertTrue(g.json()["decided"])

    def test_page_with_token_keeps_consented_vendor_and_tells_the_origin(self):
        r = self.post({"purposes": {"analytics": True}})
        tok = token_of(r)
        page = self.get("/index.html", cookie="omote_consent=" + tok).body.decode()
        self.assertIn("googletagmanager.com/gtag/js", page, "analytics granted: its vendor's tag stays")
        self.assertNotIn("fbq('init'", page, "marketing not granted: Meta's snippet goes")
        plain = self.get("/index.html").body.decode()
        self.assertNotIn("googletagmanager.com/gtag/js", plain)
        # the tag cache remembers kept tags per consent: in turn, the vendor's <link> stays and goes
        preconnect = '<link rel="preconnect" href="https://www.googletagmanager.com" crossorigin>'
        for _ in range(3):
            self.assertIn(preconnect, self.get("/index.html", cookie="omote_consent=" + tok).body.decode())
            self.assertNotIn(preconnect, self.get("/index.html").body.decode())
        seen = self.origin_saw(cookie="sid=1; omote_consent=%s; omote_id=abc; __Host-omote_consent=x; _ga=GA1" % tok,
                               headers=[("Omote-Consent", "analytics=1, marketing=1"), ("Omote-Id", "forged")])
        cookies = [v for k, v in seen if k.lower() == "cookie"]
        self.assertEqual(cookies, ["sid=1; _ga=GA1"], "omote's cookies never reach the origin; _ga is granted")
        self.assertEqual([v for k, v in seen if k.lower() == "omote-consent"], ["analytics=1, marketing=0"])
        self.assertEqual([v for k, v in seen if k.lower() == "omote-id"], [], "client-sent Omote-Id removed")
        seen = self.origin_saw(headers=[("Omote-Consent", "analytics=1")])
        self.assertEqual([v for k, v in seen if k.lower() == "omote-consent"], ["analytics=0, marketing=0"])

    def test_get_consent_reports_state_texts_and_gpc(self):
        r = H.http1_request(self.port, "GET", "/_omote/consent")
        self.assertEqual(r.status, 200)
        doc = r.json()
        self.assertEqual(doc["policy_version"], POLICY)
        self.assertFalse(doc["decided"])
        self.assertIsNone(doc["decided_at"])
        self.assertFalse(doc["gpc"])
        a = doc["purposes"][1]
        self.assertEqual(a, {"id": "analytics", "strictly_necessary": False, "needs_identifier": True, "granted": False,
                             "name": {"en": "Analytics", "ja": "アクセス解析"},
                             "description": {"en": "Counts visits.", "ja": "訪問数を集計します。"}})
        self.assertEqual(doc["purposes"][2]["name"], {"en": None, "ja": None})
        self.assertTrue(H.http1_request(self.port, "GET", "/_omote/consent", headers=[("Sec-GPC", "1")]).json()["gpc"])

    # --- refusal, change, withdrawal -----------------------------------------------------------

    def test_reject_all_is_one_request_and_carries_no_record_id(self):
        before = self.audit_len()
        r = self.post({"all": False})
        self.assertEqual(r.status, 200, r)
        purposes, _, _, rid = read_token(token_of(r))
        self.assertEqual(purposes, 0b001)
        self.assertIsNone(rid, "a refusal's token has no record id")
        self.assertEqual(self.audit_len(), before + 1)
        audit = self.last_audit()
        self.assertEqual((audit["event"], audit["granted"], audit["denied"]), ("refuse", "necessary", "analytics,marketing"))
        self.assertEqual(as_dict(redis_call(self.redis_port, "HGETALL", "omote:consent:" + audit["record"]))["event"], "refuse")
        g = H.http1_request(self.port, "GET", "/_omote/consent", headers=[("Cookie", "omote_consent=" + token_of(r))]).json()
        self.assertTrue(g["decided"])
        self.assertFalse(g["recorded"])

    def test_change_keeps_record_id_and_withdraw_expires_everything(self):
        r = self.post({"purposes": {"analytics": True, "marketing": True}})
        rid = read_token(token_of(r))[3]
        r = self.post({"purposes": {"marketing": True}}, cookie="omote_consent=" + token_of(r))
        self.assertEqual(r.status, 200)
        self.assertEqual(read_token(token_of(r))[3], rid, "a change keeps the visitor's record")
        self.assertEqual(self.last_audit()["event"], "change")
        r = self.post(b"", ctype=None, method="DELETE", cookie="omote_consent=" + token_of(r))
        self.assertEqual(r.status, 200, r)
        purposes, _, _, new_rid = read_token(token_of(r))
        self.assertEqual((purposes, new_rid), (0b001, None))
        self.assertRegex(cookie_of(r, "omote_id"), r"^omote_id=; Max-Age=0; Path=/")
        audit = self.last_audit()
        self.assertEqual((audit["event"], audit["record"], audit["granted"]), ("withdraw", rid.hex(), "necessary"))
        record = as_dict(redis_call(self.redis_port, "HGETALL", "omote:consent:" + rid.hex()))
        self.assertEqual((record["event"], record["granted"]), ("withdraw", "necessary"))
        self.assertFalse(r.json()["recorded"])
        # the counters: the first grant minted an identifier; an erasure expires the one the visitor sends
        before = self.stack.omote.metrics()
        self.assertGreaterEqual(before.get('omote_identifiers_total{event="issued"}', 0), 1)
        cookie = "omote_consent=%s; omote_id=%s" % (token_of(r), "ab" * 16)
        e = H.http1_request(self.port, "DELETE", "/_omote/me", headers=[("Origin", self.own_origin()), ("Cookie", cookie)])
        self.assertEqual(e.status, 200, e)
        after = self.stack.omote.metrics()
        for name in ("omote_consent_erasures_total", 'omote_identifiers_total{event="expired"}'):
            self.assertEqual(after.get(name, 0), before.get(name, 0) + 1, name)

    def test_form_post_answers_303_back_to_the_page(self):
        r = self.post(b"analytics=on&return=%2Fcart.html%3Fx%3D1", ctype="application/x-www-form-urlencoded",
                      headers=[("Sec-Fetch-Site", "same-origin")])
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("location"), "/cart.html?x=1")
        self.assertEqual(read_token(token_of(r))[0], 0b011)
        self.assertEqual(self.last_audit()["source"], "form")
        r = self.post(b"analytics=on&all=0", ctype="application/x-www-form-urlencoded")
        self.assertEqual((r.status, r.header("location")), (303, "/"))
        self.assertEqual(read_token(token_of(r))[0], 0b001, "the reject-all button wins over ticked boxes")
        before = self.audit_len()
        for body, detail in ((b"return=//evil.example/", "path on this site"), (b"analytics=maybe", "must be on"),
                             (b"tracking=on", 'unknown purpose "tracking"'), (b"analytics=%zz", "percent-encoding")):
            with self.subTest(body=body):
                r = self.post(body, ctype="application/x-www-form-urlencoded")
                self.assertEqual(r.status, 400, r)
                self.assertIn(detail, r.json()["detail"])
                self.assertIsNone(cookie_of(r))
        self.assertEqual(self.audit_len(), before)

    # --- refusals of the request itself ----------------------------------------------------------

    def test_cross_origin_and_errors_store_nothing(self):
        before = self.audit_len()
        cases = [
            (dict(body={"all": True}, headers=[("Origin", "http://evil.example")]), 403, "another site"),
            (dict(body={"all": True}, headers=[]), 403, "neither Origin nor Sec-Fetch-Site"),
            (dict(body={"all": True}, headers=[("Sec-Fetch-Site", "cross-site")]), 403, "not same-origin"),
            (dict(body={"all": True}, headers=[("Origin", self.own_origin()), ("Sec-Fetch-Site", "same-site")]), 403,
             "not same-origin"),
            (dict(body=b"{not json"), 400, "malformed JSON"),
            (dict(body=[1]), 400, "expected a JSON object"),
            (dict(body={"purposes": {"nope": True}}), 400, 'unknown purpose "nope"'),
            (dict(body={"purposes": {"analytics": "yes"}}), 400, "purposes.analytics must be true or false"),
            (dict(body={"purposes": {"necessary": False}}), 400, "strictly necessary"),
            (dict(body={"all": True, "purposes": {}}), 400, "exactly one"),
            (dict(body={"all": 1}), 400, '"all" must be true or false'),
            (dict(body={"everything": True}), 400, 'unknown member "everything"'),
            (dict(body={"all": True, "source": "gpc"}), 400, '"source"'),
            (dict(body=b"x" * 20000), 413, "limits.api_body_bytes"),
            (dict(body=b"{}", ctype="text/plain"), 415, "application/json"),
            (dict(body=b"", method="PUT"), 405, "GET, POST or DELETE"),
            (dict(body=b"", ctype=None, method="DELETE", headers=[("Origin", "null")]), 403, "another site"),
        ]
        for kwargs, status, detail in cases:
            with self.subTest(status=status, detail=detail):
                r = self.post(**kwargs)
                self.assertEqual(r.status, status, r)
                self.assertEqual(r.header("content-type"), "application/json")
                self.assertIn(detail, r.json()["detail"])
                self.assertIsNone(cookie_of(r), "no cookie on an error")
                if status == 405:
                    self.assertEqual(r.header("allow"), "GET, HEAD, POST, DELETE")
        self.assertEqual(self.audit_len(), before, "nothing stored on any error")

    # --- tokens that are no decision ----------------------------------------------------------------

    def test_tokens_that_count_as_no_decision(self):
        now = int(time.time())
        rid = os.urandom(16)
        good = make_token(0b011, now - 60, rid)
        bad_mac = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
        cases = {
            "valid": good,
            "bad_mac": bad_mac,
            "expired": make_token(0b011, now - LIFETIME_DAYS * 86400 - 1, rid),
            "unknown_key": make_token(0b011, now, rid, kid="gone"),
            "outdated_policy": make_token(0b011, now, rid, policy="2023-01"),
            "malformed": "1.k2.@@@.x",
        }
        wrong_secret = make_token(0b011, now, rid, secret=bytes(32))
        old_key = make_token(0b011, now, rid, kid=OLD_KID, secret=OLD_SECRET)
        for result, tok in list(cases.items()) + [("bad_mac", wrong_secret), ("valid", old_key)]:
            with self.subTest(result=result):
                name = 'omote_consent_tokens_total{result="%s"}' % result
                before = self.metric(name)
                seen = self.origin_saw(cookie="omote_consent=" + tok)
                expect = "analytics=1, marketing=0" if result == "valid" else "analytics=0, marketing=0"
                self.assertEqual([v for k, v in seen if k.lower() == "omote-consent"], [expect])
                page = self.get("/index.html", cookie="omote_consent=" + tok).body.decode()
                self.assertEqual("googletagmanager.com/gtag/js" in page, result == "valid")
                self.assertEqual(self.metric(name) - before, 2, "counted once per request")
        before = self.metric('omote_consent_tokens_total{result="absent"}')
        self.get("/index.html")
        self.assertEqual(self.metric('omote_consent_tokens_total{result="absent"}') - before, 1)


class ConsentRedisOutageTest(unittest.TestCase):
    """Redis stopped (SIGSTOP: timeouts; killed: refused) → 503 and no cookie; back → works without restart."""

    @classmethod
    def setUpClass(cls):
        cls.keys_dir = H.make_tempdir("omote-it-keys-")
        cls.addClassCleanup(H.remove_tempdir, cls.keys_dir)
        keys = os.path.join(cls.keys_dir, "consent.keys")
        with open(keys, "w") as f:
            f.write("%s %s\n" % (KID, base64.b64encode(SECRET).decode()))

        def mutate(conf):
            conf["purposes"] = PURPOSES
            conf["vendors"] = VENDORS
            conf["consent"] = {"policy_version": POLICY, "lifetime_days": LIFETIME_DAYS, "keys_file": keys}
        cls.stack = H.Stack(tls=False, threads=1, name="consent-outage", mutate=mutate)
        cls.addClassCleanup(cls.stack.close)

    def post(self):
        return H.http1_request(self.stack.http_port, "POST", "/_omote/consent", body=b'{"all": true}',
                               headers=[("Content-Type", "application/json"), ("Sec-Fetch-Site", "same-origin")])

    def assert_unavailable(self, r):
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.header("retry-after"), "5")
        self.assertIsNone(cookie_of(r), "no cookie without an acknowledged record")
        self.assertEqual(r.json()["error"], "consent store unavailable")

    def test_outage_and_recovery(self):
        redis = self.stack.redis
        r = self.post()
        self.assertEqual(r.status, 200, r)
        rid = read_token(token_of(r))[3]
        # stopped: commands time out (redis.command_timeout_ms)
        os.kill(redis.proc.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            self.assert_unavailable(self.post())
            self.assertLess(time.monotonic() - t0, 3.0)
            page = H.http1_request(self.stack.http_port, "GET", "/index.html", headers=[("Cookie", "omote_consent=" + token_of(r))])
            self.assertEqual(page.status, 200, "pages keep being served: tokens need no Redis")
            self.assertIn("googletagmanager.com/gtag/js", page.body.decode())
        finally:
            os.kill(redis.proc.pid, signal.SIGCONT)
        ok = H.wait_until(lambda: self.post().status == 200, 10)
        self.assertTrue(ok, "works again after SIGCONT, without restarting omote")
        # gone: refused at once; the acknowledged record survives the restart (appendfsync always)
        redis.fixed_port = redis.port
        redis.stop()
        self.assert_unavailable(H.wait_until(lambda: (lambda x: x if x.status == 503 else None)(self.post()), 5))
        self.assertEqual(H.http1_request(self.stack.http_port, "GET", "/index.html").status, 200)
        redis.start()
        ok = H.wait_until(lambda: self.post().status == 200, 10)
        self.assertTrue(ok, "works again once Redis is back")
        record = as_dict(redis_call(redis.port, "HGETALL", "omote:consent:" + rid.hex()))
        self.assertEqual(record["event"], "grant", "acknowledged before the restart, still there")
        self.assertGreaterEqual(self.stack.omote.metrics().get("omote_consent_store_failures_total", 0), 2)


if __name__ == "__main__":
    H.main()
