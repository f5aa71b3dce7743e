#!/usr/bin/python3
"""Proxying over HTTP/1.1 on the plain listener: omote must be transparent.

Every response is compared with the same request sent straight to the origin.
"""

import hashlib
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def demo_files():
    out = []
    for root, _dirs, files in os.walk(H.DEMO_SITE):
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(root, f), H.DEMO_SITE).replace(os.sep, "/")
            out.append("/" + rel)
    return sorted(out)


def comparable(resp):
    """Header multiset that must survive the proxy: all but hop-by-hop, date, server, content-length,
    and the Permissions-Policy omote adds to documents (checked on its own)."""
    return sorted(H.filtered_headers(resp, drop=("content-length", "permissions-policy")))


class ProxyHttp1Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=False, name="h1")
        cls.addClassCleanup(cls.stack.close)
        cls.port = cls.stack.http_port
        cls.origin = cls.stack.origin

    def via_omote(self, method, target, headers=(), body=None, **kw):
        return H.http1_request(self.port, method, target, headers=headers, body=body, **kw)

    def direct(self, method, target, headers=(), body=None, **kw):
        return H.http1_request(self.origin.port, method, target, headers=headers, body=body, **kw)

    def echo(self, headers=(), method="GET", target="/_test/echo", body=None):
        r = self.via_omote(method, target, headers=headers, body=body)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assert_no_version_leak(self, resp):
        for k, v in resp.headers:
            self.assertNotRegex(v, r"(?i)h2o|omote/\d|omote \d", "header %s: %s" % (k, v))
            self.assertNotRegex(k, r"(?i)h2o")

    # ---- bodies and headers --------------------------------------------------------

    def test_static_pages_identical(self):
        files = demo_files()
        self.assertGreater(len(files), 5)
        with H.HTTP1Conn(self.port) as c:
            for path in ["/", "/products/"] + files:
                with self.subTest(path=path):
                    want = self.direct("GET", path)
                    got = c.request("GET", path)
                    self.assertEqual(got.status, want.status)
                    self.assertEqual(got.body, want.body)
                    self.assertEqual(comparable(got), comparable(want))
                    self.assertEqual(got.header("content-type"), want.header("content-type"))
                    self.assertEqual(got.header("etag"), want.header("etag"))
                    self.assertEqual(got.header("last-modified"), want.header("last-modified"))
                    if got.header("content-length") is not None:
                        self.assertEqual(int(got.header("content-length")), len(got.body))
                    self.assertEqual(got.header("server"), "omote")
                    self.assert_no_version_leak(got)
                    if want.header("content-type", "").startswith("text/html"):
                        self.assertEqual(got.header("permissions-policy"), "browsing-topics=(), interest-cohort=()")
                    else:
                        self.assertIsNone(got.header("permissions-policy"))

    def test_not_found_passes_through(self):
        want = self.direct("GET", "/no/such/page.html")
        got = self.via_omote("GET", "/no/such/page.html")
        self.assertEqual(got.status, 404)
        self.assertEqual(got.body, want.body)
        self.assertEqual(got.header("content-type"), want.header("content-type"))

    def test_directory_redirect_passes_through(self):
        got = self.via_omote("GET", "/products")
        self.assertEqual(got.status, 301)
        self.assertEqual(got.header("location"), "/products/")

    def test_chunked_default_body(self):
        got = self.via_omote("GET", "/_test/chunked")
        self.assertEqual(got.status, 200)
        self.assertEqual(got.body, H.DEFAULT_CHUNKED_BODY)
        self.assertEqual(got.header("content-type"), "text/plain; charset=utf-8")

    def test_chunked_many_chunks(self):
        got = self.via_omote("GET", "/_test/chunked?n=60&size=1000&ms=0")
        want = b"".join(bytes([97 + k % 26]) * 1000 for k in range(60))
        self.assertEqual(got.status, 200)
        self.assertEqual(got.body, want)

    def test_bytes_sizes(self):
        with H.HTTP1Conn(self.port) as c:
            for n in (0, 1, 250, 251, 252, 65536 + 7, 1000003):
                with self.subTest(n=n):
                    got = c.request("GET", "/_test/bytes?n=%d" % n)
                    self.assertEqual(got.status, 200)
                    self.assertEqual(got.header("content-type"), "application/octet-stream")
                    self.assertEqual(got.body, H.expected_bytes(n))

    def test_set_cookie_list_preserved(self):
        want = self.direct("GET", "/_test/set-cookie")
        got = self.via_omote("GET", "/_test/set-cookie")
        self.assertEqual(got.status, 200)
        self.assertEqual(want.header_all("set-cookie"), H.SET_COOKIES)
        self.assertEqual(got.header_all("set-cookie"), H.SET_COOKIES)
        self.assertEqual(got.header("cache-control"), "no-store")
        self.assertEqual(got.body, want.body)

    def test_server_header_and_no_version(self):
        for target in ("/", "/_test/echo", "/_test/status?code=503", "/_test/chunked", "/missing"):
            with self.subTest(target=target):
                got = self.via_omote("GET", target)
                self.assertEqual(got.header_all("server"), ["omote"])
                self.assert_no_version_leak(got)

    def test_head(self):
        with H.HTTP1Conn(self.port) as c:
            g = c.request("GET", "/index.html")
            h = c.request("HEAD", "/index.html")
            self.assertEqual(h.status, 200)
            self.assertEqual(h.body, b"")
            self.assertEqual(comparable(h), comparable(g))
            self.assertEqual(h.header("content-length"), str(len(g.body)))
            # the connection must still be in sync: HEAD sent no body bytes
            again = c.request("GET", "/_test/status?code=200")
            self.assertEqual(again.status, 200)
            self.assertEqual(again.body, b"status 200\n")

    def test_head_on_chunked_endpoint(self):
        with H.HTTP1Conn(self.port) as c:
            h = c.request("HEAD", "/_test/chunked")
            self.assertEqual(h.status, 200)
            again = c.request("GET", "/_test/status?code=200")
            self.assertEqual(again.body, b"status 200\n")

    def test_304_if_none_match(self):
        g = self.via_omote("GET", "/style.css")
        etag = g.header("etag")
        self.assertTrue(etag)
        with H.HTTP1Conn(self.port) as c:
            r = c.request("GET", "/style.css", headers=[("If-None-Match", etag)])
            self.assertEqual(r.status, 304)
            self.assertEqual(r.body, b"")
            self.assertEqual(r.header("etag"), etag)
            self.assertEqual(r.header("last-modified"), g.header("last-modified"))
            # no body bytes followed the 304
            again = c.request("GET", "/_test/status?code=200")
            self.assertEqual(again.body, b"status 200\n")
        r = self.via_omote("GET", "/style.css", headers=[("If-None-Match", '"nope"')])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, g.body)

    def test_304_if_modified_since(self):
        g = self.via_omote("GET", "/app.js")
        r = self.via_omote("GET", "/app.js", headers=[("If-Modified-Since", g.header("last-modified"))])
        self.assertEqual(r.status, 304)
        self.assertEqual(r.body, b"")

    # ---- request bodies ------------------------------------------------------------

    def test_post_form_1mb(self):
        body = ("item=matcha&qty=1&note=" + "x" * (1024 * 1024 - 23)).encode()
        self.assertEqual(len(body), 1024 * 1024)
        e = self.echo(method="POST", headers=[("Content-Type", "application/x-www-form-urlencoded")], body=body)
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["body_len"], len(body))
        self.assertEqual(e["body_sha256"], hashlib.sha256(body).hexdigest())

    def test_post_binary_body(self):
        body = os.urandom(300000)
        e = self.echo(method="PUT", headers=[("Content-Type", "application/octet-stream")], body=body)
        self.assertEqual(e["method"], "PUT")
        self.assertEqual(e["body_len"], len(body))
        self.assertEqual(e["body_sha256"], hashlib.sha256(body).hexdigest())

    def test_post_chunked_request_body(self):
        payload = b"".join(bytes([65 + i % 26]) * 4000 for i in range(30))
        enc = b"".join(b"%x\r\n" % len(payload[i:i + 4000]) + payload[i:i + 4000] + b"\r\n"
                       for i in range(0, len(payload), 4000)) + b"0\r\n\r\n"
        data = ("POST /_test/echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n"
                "Content-Type: application/octet-stream\r\n\r\n" % self.port).encode() + enc
        r = H.raw_request(self.port, data)
        self.assertEqual(r.status, 200, r)
        e = r.json()
        self.assertEqual(e["body_len"], len(payload))
        self.assertEqual(e["body_sha256"], hashlib.sha256(payload).hexdigest())

    def test_expect_100_continue(self):
        body = b"k=" + b"v" * 5000
        with H.HTTP1Conn(self.port) as c:
            c.send(("POST /_test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n\r\n"
                    % len(body)).encode())
            interim = c.read_one()
            self.assertEqual(interim.status, 100, interim)
            c.send(body)
            r = c.read_response()
        self.assertEqual(r.status, 200, r)
        e = r.json()
        self.assertEqual(e["body_len"], len(body))
        self.assertEqual(e["body_sha256"], hashlib.sha256(body).hexdigest())

    def test_form_post_cart(self):
        r = self.via_omote("POST", "/cart/add", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                           body=b"item=sencha&qty=2")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("location"), "/cart.html")

    # ---- redirects, paths ------------------------------------------------------------

    def test_redirect_untouched(self):
        r = self.via_omote("GET", "/_test/redirect?status=302&to=http://elsewhere.example/x")
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header_all("location"), ["http://elsewhere.example/x"])
        # an absolute URL naming the origin itself is not rewritten either
        to = "http://127.0.0.1:%d/a?b=c" % self.origin.port
        r = self.via_omote("GET", "/_test/redirect?status=301&to=" + to)
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"), to)
        r = self.via_omote("GET", "/_test/redirect?status=307&to=/relative/path%3Fq")
        self.assertEqual(r.status, 307)
        self.assertEqual(r.header("location"), "/relative/path?q")

    def test_request_target_passed_exactly(self):
        target = "/_test/echo?a=1&b=%20x&c=%E7%85%8E&d=&e"
        e = self.echo(target=target)
        self.assertEqual(e["path"], target)
        self.assertEqual(e["method"], "GET")

    def test_other_methods_pass(self):
        for m in ("DELETE", "OPTIONS", "PATCH", "PURGE"):
            with self.subTest(method=m):
                e = self.echo(method=m)
                self.assertEqual(e["method"], m)

    # ---- forwarding headers and cookies --------------------------------------------

    def test_forwarding_headers_replaced(self):
        e = self.echo(headers=[
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-For", "7.7.7.7, 8.8.8.8"),
            ("X-Forwarded-Host", "evil.example"),
            ("X-Forwarded-Proto", "https"),
            ("Forwarded", "for=6.6.6.6;proto=https;host=evil.example"),
            ("Via", "1.1 evil-proxy"),
            ("X-Other", "kept"),
        ])
        hdrs = [(k.lower(), v) for k, v in e["headers"]]
        names = [k for k, _ in hdrs]
        xff = [v for k, v in hdrs if k == "x-forwarded-for"]
        self.assertEqual(xff, ["127.0.0.1"], hdrs)
        self.assertEqual([v for k, v in hdrs if k == "x-forwarded-proto"], ["http"], hdrs)
        self.assertNotIn("x-forwarded-host", names)
        self.assertNotIn("forwarded", names)
        for k, v in hdrs:
            self.assertNotIn("evil", v, (k, v))
            self.assertNotIn("6.6.6.6", v, (k, v))
            self.assertNotIn("7.7.7.7", v, (k, v))
        self.assertIn(("x-other", "kept"), hdrs)

    def test_forwarding_headers_added_without_client_ones(self):
        e = self.echo()
        hdrs = [(k.lower(), v) for k, v in e["headers"]]
        self.assertEqual([v for k, v in hdrs if k == "x-forwarded-for"], ["127.0.0.1"])
        self.assertEqual([v for k, v in hdrs if k == "x-forwarded-proto"], ["http"])

    def test_host_preserved(self):
        e = self.echo(headers=[("Host", "shop.example.jp")])
        hosts = [v for k, v in e["headers"] if k.lower() == "host"]
        self.assertEqual(hosts, ["shop.example.jp"])

    def test_cookies_merged(self):
        e = self.echo(headers=[("Cookie", "a=1"), ("Cookie", "b=2")])
        cookies = [v for k, v in e["headers"] if k.lower() == "cookie"]
        self.assertEqual(cookies, ["a=1; b=2"])

    def test_single_cookie_unchanged(self):
        e = self.echo(headers=[("Cookie", "sid=abc; lang=ja")])
        cookies = [v for k, v in e["headers"] if k.lower() == "cookie"]
        self.assertEqual(cookies, ["sid=abc; lang=ja"])

    # ---- connections -----------------------------------------------------------------

    def test_keepalive_many_requests(self):
        with H.HTTP1Conn(self.port) as c:
            for i in range(50):
                r = c.request("GET", "/_test/status?code=200")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, b"status 200\n")
                self.assertFalse(r.closed)

    def test_pipelined_requests(self):
        data = b"".join(H.HTTP1Conn.build("GET", "/_test/status?code=%d" % c, port=self.port)
                        for c in (200, 201, 202))
        with H.HTTP1Conn(self.port) as c:
            c.send(data)
            for code in (200, 201, 202):
                r = c.read_response()
                self.assertEqual(r.status, code)
                self.assertEqual(r.body, b"status %d\n" % code)

    def test_http10_request(self):
        r = H.raw_request(self.port, b"GET /_test/chunked HTTP/1.0\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, H.DEFAULT_CHUNKED_BODY)

    # ---- memory reuse ----------------------------------------------------------------

    def test_large_bodies_reuse_freed_memory(self):
        # A body is read from the origin in buffers of up to 2 MiB that are freed once sent. If
        # the allocator gives them back to the kernel, the next ones fault their pages in afresh
        # (1.1 MB page under load: ~250 faults and +0.2-0.9 ms of omote CPU per response). glibc's
        # defaults do so when several large buffers come and go at once, hence the bursts of
        # parallel connections: 191-443 faults per response before runtime.c kept freed memory,
        # 0-14 after. Counted in page faults, not time, so a loaded machine cannot fail it.
        if os.environ.get("ASAN_OPTIONS"):
            self.skipTest("AddressSanitizer's allocator maps and quarantines memory itself; "
                          "the release suite checks omote's allocator settings")
        n, conns, bursts = 8 * 1024 * 1024, 4, 8
        failures = []

        def client():
            try:
                r = H.http1_request(self.port, "GET", "/_test/bytes?n=%d" % n, timeout=30)
                if r.status != 200 or len(r.body) != n:
                    failures.append("status %d, %d bytes" % (r.status, len(r.body)))
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                failures.append(repr(e))

        def burst():
            threads = [threading.Thread(target=client) for _ in range(conns)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(failures, [])
            time.sleep(0.05)  # all buffers freed: the moment an allocator may hand them back

        for _ in range(bursts):
            burst()  # the heap grows to its peak (in 1 MiB steps): from then on memory is reused, or not
        before = H.minor_faults(self.stack.omote.pid)
        for _ in range(bursts):
            burst()
        per_response = (H.minor_faults(self.stack.omote.pid) - before) / (conns * bursts)
        H.log("8 MiB responses over HTTP/1.1 in bursts of %d connections: %.1f minor page faults per "
              "response in omote (%d if every byte landed on a fresh page)" % (conns, per_response, n // 4096))
        self.assertLess(per_response, 64)

    # ---- big download ----------------------------------------------------------------

    def download_200mb(self, pause_after=None, pause_s=0.0):
        """GET /_test/bytes?n=200 MiB through omote, checking every byte on the fly.

        With pause_after, the client stops reading for pause_s seconds once that many body
        bytes arrived (a slow client). Returns (response, checker, rss sampler)."""
        n = 200 * 1024 * 1024
        checker = H.PatternChecker()
        paused = [False]

        def sink(data):
            checker(data)
            if pause_after is not None and not paused[0] and checker.offset >= pause_after:
                paused[0] = True
                time.sleep(pause_s)

        with H.RssSampler(self.stack.omote.pid) as rss:
            r = self.via_omote("GET", "/_test/bytes?n=%d" % n, timeout=60, sink=sink)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-length"), str(n))
        self.assertEqual(r.body_len, n)
        self.assertEqual(checker.offset, n)
        self.assertIsNone(checker.bad_at, "body differs at offset %s" % checker.bad_at)
        return r, checker, rss

    def test_zz_200mb_download_rss(self):
        r, checker, rss = self.download_200mb()
        H.log("200 MiB download over HTTP/1.1: omote %s" % rss.describe())
        self.assertLess(rss.growth_mib, 64.0)

    def test_zz_200mb_download_slow_client_rss(self):
        # The same download, but the client stops reading for 2 s after the first MiB, as a
        # slow mobile client would. A proxy with backpressure stops reading from the origin
        # meanwhile; one without it buffers the rest of the response.
        r, checker, rss = self.download_200mb(pause_after=1 << 20, pause_s=2.0)
        H.log("200 MiB download over HTTP/1.1 with a 2 s client pause: omote %s" % rss.describe())
        self.assertLess(rss.growth_mib, 64.0)


if __name__ == "__main__":
    H.main()
