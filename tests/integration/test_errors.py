#!/usr/bin/python3
"""Origin failures: omote's own 502 / 504 pages, and origin error statuses passing through unchanged."""

import copy
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def set_io_timeout(conf):
    conf["origin"]["io_timeout_ms"] = 1000


class ErrorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="errors", mutate=set_io_timeout)
        cls.addClassCleanup(cls.stack.close)
        # a second omote whose origin port has nothing listening
        conf = copy.deepcopy(cls.stack.config)
        conf["origin"]["url"] = "http://127.0.0.1:%d/" % H.free_port()
        conf["listen"][0]["port"] = H.free_port()
        conf["listen"][1]["port"] = H.free_port()
        conf["admin"]["port"] = H.free_port()
        conf["log"]["access"] = os.path.join(cls.stack.dir, "access-closed.log")
        cls.closed = H.Omote(cls.stack.dir, conf, name="omote-closed").start()
        cls.addClassCleanup(cls.closed.stop_checked)

    def assert_error_page(self, r, status):
        self.assertEqual(r.status, status, r)
        self.assertTrue((r.header("content-type") or "").startswith("text/html"), r)
        self.assertGreater(len(r.body), 0)
        self.assertLess(len(r.body), 4096, "error page should be short")
        self.assertIn(b"<", r.body)
        self.assertIn(str(status).encode(), r.body)
        self.assertEqual(r.header_all("server"), ["omote"])
        for k, v in r.headers:
            self.assertNotRegex(v, r"(?i)h2o", k)

    def test_origin_down_502(self):
        r = H.http1_request(self.closed.http_port, "GET", "/")
        self.assert_error_page(r, 502)

    def test_origin_down_502_keeps_connection_usable(self):
        with H.HTTP1Conn(self.closed.http_port) as c:
            for _ in range(3):
                r = c.request("GET", "/index.html")
                self.assert_error_page(r, 502)
                if r.closed:
                    break

    def test_origin_down_502_head(self):
        r = H.http1_request(self.closed.http_port, "HEAD", "/")
        self.assertEqual(r.status, 502)
        self.assertEqual(r.body, b"")

    def test_origin_down_502_post(self):
        r = H.http1_request(self.closed.http_port, "POST", "/cart/add", body=b"item=matcha&qty=1",
                            headers=[("Content-Type", "application/x-www-form-urlencoded")])
        self.assert_error_page(r, 502)

    def test_origin_down_502_h2(self):
        with H.H2Conn(self.closed.tls_port) as c:
            r = c.request("GET", "/")
        self.assertIsNone(r.reset)
        self.assert_error_page(r, 502)

    def test_origin_slow_504(self):
        r = H.http1_request(self.stack.http_port, "GET", "/_test/slow?ms=3000", timeout=20)
        self.assert_error_page(r, 504)
        # the next request is fine
        r = H.http1_request(self.stack.http_port, "GET", "/_test/status?code=200")
        self.assertEqual(r.status, 200)

    def test_origin_slow_504_h2(self):
        with H.H2Conn(self.stack.tls_port) as c:
            r = c.request("GET", "/_test/slow?ms=3000", timeout=20)
            self.assertIsNone(r.reset)
            self.assert_error_page(r, 504)
            r = c.request("GET", "/_test/status?code=200")
            self.assertEqual(r.status, 200)

    def test_origin_502_passes_through(self):
        for code in (502, 500, 503, 504):
            with self.subTest(code=code):
                want = H.http1_request(self.stack.origin.port, "GET", "/_test/status?code=%d" % code)
                r = H.http1_request(self.stack.http_port, "GET", "/_test/status?code=%d" % code)
                self.assertEqual(r.status, code)
                self.assertEqual(r.body, b"status %d\n" % code)
                self.assertEqual(r.body, want.body)
                self.assertEqual(r.header("content-type"), want.header("content-type"))

    def test_origin_4xx_passes_through(self):
        for code in (400, 401, 403, 404, 410, 429):
            with self.subTest(code=code):
                r = H.http1_request(self.stack.http_port, "GET", "/_test/status?code=%d" % code)
                self.assertEqual(r.status, code)
                self.assertEqual(r.body, b"status %d\n" % code)
                self.assertEqual(r.header("content-type"), "text/plain; charset=utf-8")

    def test_origin_stalls_mid_body(self):
        # headers and the first part arrive, then the origin stalls longer than io_timeout:
        # the status cannot change any more, so the client must see a truncated response
        # (connection closed before Content-Length bytes), never a complete-looking one or a hang.
        with H.HTTP1Conn(self.stack.http_port, timeout=20) as c:
            c.send(H.HTTP1Conn.build("GET", "/_test/slow-body?ms=3000", port=self.stack.http_port))
            try:
                r = c.read_response()
            except ConnectionError:
                return
            self.fail("a stalled body was delivered as a complete response: %r" % r)

    def test_origin_closes_mid_body_while_client_is_slow(self):
        # the origin promises 8 MB, sends 3 MB and closes while the visitor still reads slowly:
        # the response must end as broken (never complete-looking), and omote must keep serving
        with H.HTTP1Conn(self.stack.http_port, timeout=20) as c:
            c.send(H.HTTP1Conn.build("GET", "/_test/truncated?declared=8000000&send=3000000", port=self.stack.http_port))
            received = 0
            try:
                c.sock.settimeout(20)
                while True:
                    data = c.sock.recv(65536)
                    if not data:
                        break
                    received += len(data)
                    if received < 1000000:
                        time.sleep(0.01)  # slow at first, so a send is in flight when the origin closes
            except ConnectionError:
                pass
        H.log("truncated origin body: client got %d bytes before the close" % received)
        self.assertLess(received, 8000000 + 1024, "a truncated body must not be completed")
        self.assertEqual(H.http1_request(self.stack.http_port, "GET", "/index.html").status, 200)

    def test_body_until_close_ends_by_fin_not_by_reset(self):
        # RFC 9112 6.3: a body without length ends at the connection's close; a reset after the
        # bytes means they are not the whole body, so the visitor must see a broken response
        n = 300000
        r = H.http1_request(self.stack.http_port, "GET", "/_test/until-close?n=%d&end=fin" % n)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.body), n)
        with H.HTTP1Conn(self.stack.http_port, timeout=20) as c:
            c.send(H.HTTP1Conn.build("GET", "/_test/until-close?n=%d&end=reset" % n, port=self.stack.http_port))
            try:
                r = c.read_response()
            except ConnectionError:
                r = None
            self.assertIsNone(r, "a body cut by a reset was delivered as complete")
        self.assertEqual(H.http1_request(self.stack.http_port, "GET", "/index.html").status, 200)

    def test_origin_answers_before_reading_the_body(self):
        # an origin refusing an upload answers at once and closes; the visitor gets that answer, not a 502
        body = b"x" * (4 * 1024 * 1024)
        r = H.http1_request(self.stack.http_port, "POST", "/_test/early", headers=[("Content-Type", "application/octet-stream")],
                            body=body)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.body, b"too large, not read\n")

    def test_one_date_header(self):
        r = H.http1_request(self.stack.http_port, "GET", "/index.html")
        self.assertEqual(len(r.header_all("date")), 1, r.headers)


if __name__ == "__main__":
    H.main()
