#!/usr/bin/python3
"""Proxying over HTTP/2 on the TLS listener (ALPN h2): omote must be transparent.

Responses are compared with the same request sent straight to the origin over HTTP/1.1.
"""

import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def comparable(resp):
    """As over HTTP/1.1: omote's own Permissions-Policy on documents is checked there."""
    return sorted(H.filtered_headers(resp, drop=("content-length", "permissions-policy")))


class ProxyHttp2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="h2")
        cls.addClassCleanup(cls.stack.close)
        cls.port = cls.stack.tls_port
        cls.origin = cls.stack.origin

    def setUp(self):
        self.h2 = H.H2Conn(self.port)
        self.addCleanup(self.h2.close)

    def direct(self, method, target, headers=(), body=None):
        return H.http1_request(self.origin.port, method, target, headers=headers, body=body)

    def echo(self, headers=(), method="GET", path="/_test/echo", body=None):
        r = self.h2.request(method, path, headers=headers, body=body)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_alpn_h2(self):
        self.assertEqual(self.h2.alpn, "h2")

    def test_tls_http11_fallback(self):
        # a client offering only http/1.1 over TLS still gets served
        r = H.http1_request(self.port, "GET", "/_test/chunked", tls=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, H.DEFAULT_CHUNKED_BODY)

    def test_static_pages_identical(self):
        paths = ["/", "/index.html", "/style.css", "/app.js", "/img/logo.svg", "/products/matcha.html", "/ja/",
                 "/missing.html"]
        for path in paths:
            with self.subTest(path=path):
                want = self.direct("GET", path)
                got = self.h2.request("GET", path)
                self.assertIsNone(got.reset)
                self.assertEqual(got.status, want.status)
                self.assertEqual(got.body, want.body)
                self.assertEqual(comparable(got), comparable(want))
                self.assertEqual(got.header_all("server"), ["omote"])
                for k, v in got.headers:
                    self.assertNotRegex(v, r"(?i)h2o|omote/\d|omote \d", k)
                    self.assertNotIn(k, H.HOP_BY_HOP)

    def test_chunked(self):
        r = self.h2.request("GET", "/_test/chunked")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, H.DEFAULT_CHUNKED_BODY)
        r = self.h2.request("GET", "/_test/chunked?n=40&size=3000")
        self.assertEqual(r.body, b"".join(bytes([97 + k % 26]) * 3000 for k in range(40)))

    def test_bytes(self):
        for n in (0, 1, 16384, 16385, 65535, 65536, 3 * 1024 * 1024 + 1):
            with self.subTest(n=n):
                r = self.h2.request("GET", "/_test/bytes?n=%d" % n)
                self.assertEqual(r.status, 200)
                self.assertEqual(len(r.body), n)
                self.assertEqual(r.body, H.expected_bytes(n))

    def test_concurrent_streams(self):
        sids = {}
        for i in range(12):
            n = 1000 * (i + 1) + i
            sids[n] = self.h2.start_request([(":method", "GET"), (":scheme", "https"),
                                             (":authority", "127.0.0.1:%d" % self.port),
                                             (":path", "/_test/bytes?n=%d" % n)])
        for n, sid in sids.items():
            r = self.h2.wait(sid)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, H.expected_bytes(n))

    def test_set_cookie_list_preserved(self):
        r = self.h2.request("GET", "/_test/set-cookie")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header_all("set-cookie"), H.SET_COOKIES)

    def test_head(self):
        g = self.h2.request("GET", "/index.html")
        h = self.h2.request("HEAD", "/index.html")
        self.assertEqual(h.status, 200)
        self.assertEqual(h.body, b"")
        self.assertEqual(comparable(h), comparable(g))
        if h.header("content-length") is not None:
            self.assertEqual(int(h.header("content-length")), len(g.body))

    def test_304(self):
        g = self.h2.request("GET", "/img/matcha.svg")
        etag = g.header("etag")
        self.assertTrue(etag)
        r = self.h2.request("GET", "/img/matcha.svg", headers=[("if-none-match", etag)])
        self.assertEqual(r.status, 304)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("etag"), etag)

    def test_post_1mb(self):
        body = ("q=" + "y" * (1024 * 1024 - 2)).encode()
        e = self.echo(method="POST", headers=[("content-type", "application/x-www-form-urlencoded")], body=body)
        self.assertEqual(e["body_len"], len(body))
        self.assertEqual(e["body_sha256"], hashlib.sha256(body).hexdigest())

    def test_post_without_content_length(self):
        body = os.urandom(100000)
        sid = self.h2.start_request([(":method", "POST"), (":scheme", "https"),
                                     (":authority", "127.0.0.1:%d" % self.port), (":path", "/_test/echo")], body)
        r = self.h2.wait(sid)
        self.assertEqual(r.status, 200, r)
        e = r.json()
        self.assertEqual(e["body_len"], len(body))
        self.assertEqual(e["body_sha256"], hashlib.sha256(body).hexdigest())

    def test_redirect_untouched(self):
        r = self.h2.request("GET", "/_test/redirect?status=302&to=http://elsewhere.example/x")
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header_all("location"), ["http://elsewhere.example/x"])

    def test_origin_error_status_passes(self):
        r = self.h2.request("GET", "/_test/status?code=503")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.body, b"status 503\n")

    def test_forwarding_headers_replaced(self):
        e = self.echo(headers=[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "7.7.7.7"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "http"),
            ("forwarded", "for=6.6.6.6"),
            ("via", "2 evil-proxy"),
        ])
        hdrs = [(k.lower(), v) for k, v in e["headers"]]
        names = [k for k, _ in hdrs]
        self.assertEqual([v for k, v in hdrs if k == "x-forwarded-for"], ["127.0.0.1"], hdrs)
        self.assertEqual([v for k, v in hdrs if k == "x-forwarded-proto"], ["https"], hdrs)
        self.assertNotIn("x-forwarded-host", names)
        self.assertNotIn("forwarded", names)
        for k, v in hdrs:
            self.assertNotIn("evil", v, (k, v))
            self.assertNotIn("6.6.6.6", v, (k, v))

    def test_cookie_crumbs_merged(self):
        e = self.echo(headers=[("cookie", "a=1"), ("cookie", "b=2")])
        cookies = [v for k, v in e["headers"] if k.lower() == "cookie"]
        self.assertEqual(cookies, ["a=1; b=2"])

    def test_authority_preserved_as_host(self):
        e = self.echo(headers=[])
        hosts = [v for k, v in e["headers"] if k.lower() == "host"]
        self.assertEqual(hosts, ["127.0.0.1:%d" % self.port])
        r = self.h2.request("GET", "/_test/echo", authority="shop.example.jp")
        hosts = [v for k, v in r.json()["headers"] if k.lower() == "host"]
        self.assertEqual(hosts, ["shop.example.jp"])

    def test_large_download_h2(self):
        n = 20 * 1024 * 1024
        checker = H.PatternChecker()
        r = self.h2.request("GET", "/_test/bytes?n=%d" % n, timeout=60, sink=checker)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body_len, n)
        self.assertIsNone(checker.bad_at)


if __name__ == "__main__":
    H.main()
