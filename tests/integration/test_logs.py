#!/usr/bin/python3
"""Access log (JSON lines) and privacy: query values, cookies and secrets never reach any log."""

import json
import os
import signal
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

KEYS = {"time", "method", "path", "protocol", "status", "bytes", "duration_ms", "upstream_ms"}


def short_io_timeout(conf):
    conf["origin"]["io_timeout_ms"] = 1000


class LogsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="logs", mutate=short_io_timeout)
        cls.addClassCleanup(cls.stack.close)
        cls.omote = cls.stack.omote

    def access_lines(self):
        out = []
        for line in H.read_text(self.stack.access_log).splitlines():
            if line.strip():
                out.append(json.loads(line))  # every line must be one JSON object
        return out

    def wait_line(self, pred, timeout=3.0):
        """Polls the access log (written at most ~0.5 s after a request) for a matching entry."""
        def find():
            for e in self.access_lines():
                if pred(e):
                    return e
            return None
        return H.wait_until(find, timeout, 0.05)

    def all_logs(self):
        paths = [self.stack.access_log, self.stack.access_log + ".1", self.omote.stderr_path, self.omote.stdout_path]
        return "\n".join(H.read_text(p) for p in paths)

    def test_access_log_line(self):
        tag = uuid.uuid4().hex
        r = H.http1_request(self.stack.http_port, "GET", "/logs/%s.html" % tag)
        self.assertEqual(r.status, 404)
        e = self.wait_line(lambda e: e.get("path", "").startswith("/logs/%s" % tag))
        self.assertIsNotNone(e, "no access log line within 3 s")
        self.assertTrue(KEYS.issubset(e.keys()), e)
        self.assertEqual(e["method"], "GET")
        self.assertEqual(e["path"], "/logs/%s.html" % tag)
        self.assertEqual(e["protocol"], "HTTP/1.1")
        self.assertEqual(e["status"], 404)
        self.assertIsInstance(e["bytes"], int)
        self.assertGreaterEqual(e["bytes"], len(r.body))
        self.assertIsInstance(e["duration_ms"], (int, float))
        self.assertGreaterEqual(e["duration_ms"], 0)
        self.assertIsInstance(e["upstream_ms"], (int, float))
        self.assertGreaterEqual(e["upstream_ms"], 0)
        self.assertIsInstance(e["time"], str)
        self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

    def test_access_log_http2(self):
        tag = uuid.uuid4().hex
        with H.H2Conn(self.stack.tls_port) as c:
            r = c.request("GET", "/_test/bytes?n=1234&tag=%s" % tag)
            self.assertEqual(r.status, 200)
        e = self.wait_line(lambda e: e.get("path", "").startswith("/_test/bytes") and e.get("protocol") == "HTTP/2"
                           and e.get("bytes") == 1234)
        self.assertIsNotNone(e, "no HTTP/2 access log line")
        self.assertEqual(e["path"], "/_test/bytes?n=&tag=")
        self.assertEqual(e["status"], 200)

    def test_query_values_redacted(self):
        r = H.http1_request(self.stack.http_port, "GET", "/search?q=secret-value&email=a@b.example")
        self.assertEqual(r.status, 404)
        e = self.wait_line(lambda e: e.get("path", "").startswith("/search"))
        self.assertIsNotNone(e, "no access log line for /search")
        self.assertEqual(e["path"], "/search?q=&email=")
        logs = self.all_logs()
        self.assertNotIn("secret-value", logs)
        self.assertNotIn("a@b.example", logs)

    def test_cookie_never_logged(self):
        secret = "sid=cookie-secret-123"
        tag = uuid.uuid4().hex
        r = H.http1_request(self.stack.http_port, "GET", "/cookie/%s" % tag, headers=[("Cookie", secret)])
        self.assertEqual(r.status, 404)
        with H.H2Conn(self.stack.tls_port) as c:
            r2 = c.request("GET", "/cookie2/%s" % tag, headers=[("cookie", secret), ("cookie", "b=2")])
            self.assertEqual(r2.status, 404)
            # a refused request carrying the cookie
            r3 = c.request("GET", "/cookie3/%s" % tag, headers=[("cookie", secret), ("x-huge", "h" * 9000)])
            self.assertEqual(r3.status, 431)
        self.assertIsNotNone(self.wait_line(lambda e: e.get("path") == "/cookie/%s" % tag))
        self.assertIsNotNone(self.wait_line(lambda e: e.get("path") == "/cookie2/%s" % tag))
        self.assertNotIn("cookie-secret-123", self.all_logs())

    def test_refused_request_logged(self):
        tag = uuid.uuid4().hex
        r = H.raw_request(self.stack.http_port, ("GET /refused/%s?k=v HTTP/1.1\r\nHost: x\r\nX-Huge: %s\r\n\r\n"
                                                 % (tag, "h" * 9000)).encode())
        self.assertEqual(r.status, 431)
        e = self.wait_line(lambda e: e.get("path", "").startswith("/refused/%s" % tag))
        self.assertIsNotNone(e)
        self.assertEqual(e["status"], 431)
        self.assertEqual(e["path"], "/refused/%s?k=" % tag)

    def test_timeout_error_logs_no_query_values(self):
        r = H.http1_request(self.stack.http_port, "GET", "/_test/slow?ms=2500&token=secret-timeout-token",
                            timeout=20)
        self.assertEqual(r.status, 504)
        e = self.wait_line(lambda e: e.get("path", "").startswith("/_test/slow") and e.get("status") == 504)
        self.assertIsNotNone(e)
        self.assertEqual(e["path"], "/_test/slow?ms=&token=")
        self.assertNotIn("secret-timeout-token", self.all_logs())

    def test_post_body_never_logged(self):
        body = b"email=body-secret%40example.jp&password=hunter2-body-secret"
        r = H.http1_request(self.stack.http_port, "POST", "/newsletter", body=body,
                            headers=[("Content-Type", "application/x-www-form-urlencoded")])
        self.assertEqual(r.status, 303)
        self.assertIsNotNone(self.wait_line(lambda e: e.get("path") == "/newsletter" and e.get("method") == "POST"))
        self.assertNotIn("body-secret", self.all_logs())

    def test_zz_sighup_reopens_access_log(self):
        # log rotation: rename the file, SIGHUP, and the next lines go to a new file at the old path
        tag = uuid.uuid4().hex
        H.http1_request(self.stack.http_port, "GET", "/before-rotate/%s" % tag)
        self.assertIsNotNone(self.wait_line(lambda e: e.get("path") == "/before-rotate/%s" % tag))
        os.rename(self.stack.access_log, self.stack.access_log + ".1")
        self.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: "reloaded" in self.omote.stderr(), 3.0), self.omote.stderr())
        H.http1_request(self.stack.http_port, "GET", "/after-rotate/%s" % tag)
        self.assertIsNotNone(self.wait_line(lambda e: e.get("path") == "/after-rotate/%s" % tag),
                             "no line in the reopened access log")
        old = H.read_text(self.stack.access_log + ".1")
        self.assertIn("/before-rotate/%s" % tag, old)
        self.assertNotIn("/after-rotate/%s" % tag, old)

    def test_stderr_has_started_event(self):
        self.assertIn("started", self.omote.stderr())


if __name__ == "__main__":
    H.main()
