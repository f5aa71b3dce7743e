#!/usr/bin/python3
"""Malformed request framing (issue 6): refused before any byte reaches the origin.

HTTP/2 header blocks are sent as exact HPACK (tests/integration/h2raw.py), so nothing
normalises them on the way. A refusal is omote's 400, or, where libh2o 2.2.5 catches the
block before omote's handler runs, its RST_STREAM or GOAWAY PROTOCOL_ERROR (RFC 9113
§8.1.1 makes a malformed request a stream error); in every case the origin sees nothing.

HTTP/1.1 message framing (Content-Length, chunk sizes) is consumed inside libh2o
(lib/http1.c and picohttpparser) before omote's handler runs, so omote cannot observe it.
The tests of those cases document today's behaviour exactly; README.md states that omote
must be the first HTTP hop, or sit behind a hop that normalises framing.
"""

import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import h2raw as R  # noqa: E402


class H2FramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="h2-framing")
        cls.addClassCleanup(cls.stack.close)

    def fresh_path(self, tag):
        return "/framing/%s-%s" % (tag, uuid.uuid4().hex[:8])

    def hits(self, path):
        return self.stack.origin.count()["by_path"].get(path, 0)

    def send_h2(self, path, extra):
        """One request on a connection of its own; returns (status, reset code, goaway code)."""
        with R.H2Raw(self.stack.tls_port) as c:
            c.start()
            c.send(R.headers(1, R.request_block(path, authority="127.0.0.1:%d" % self.stack.tls_port, extra=extra)))
            c.wait_stream(1, 5.0)
            return c.status(1), c.resets.get(1), c.goaway, c.goaway_debug

    def assert_refused(self, tag, extra):
        path = self.fresh_path(tag)
        status, reset, goaway, debug = self.send_h2(path, extra)
        time.sleep(0.2)  # a forwarded request would have been counted by now
        hits = self.hits(path)
        H.log("HTTP/2 %s %r: status %s, RST_STREAM %s, GOAWAY %s %r, origin hits %d"
              % (tag, extra, status, R.error_name(reset), R.error_name(goaway), debug, hits))
        refused = status == 400 or reset == R.PROTOCOL_ERROR or (status is None and goaway == R.PROTOCOL_ERROR)
        self.assertTrue(refused, "%s %r: status %s, reset %s, goaway %s" % (tag, extra, status, R.error_name(reset),
                                                                           R.error_name(goaway)))
        self.assertEqual(hits, 0, "%s %r reached the origin" % (tag, extra))

    def assert_passes(self, tag, extra):
        path = self.fresh_path(tag)
        status, reset, goaway, _ = self.send_h2(path, extra)
        self.assertEqual(status, 404, "%s %r: reset %s goaway %s" % (tag, extra, reset, goaway))  # origin's 404
        self.assertEqual(self.hits(path), 1)

    # ---- whitespace around values (RFC 9113 §8.2.1) ------------------------------------

    def test_value_with_leading_or_trailing_whitespace(self):
        for name in ("x-custom", "cookie", "user-agent"):
            for value in (" v=1", "v=1 ", "\tv=1", "v=1\t"):
                with self.subTest(name=name, value=value):
                    self.assert_refused("ws", [(name, value)])

    def test_inner_whitespace_passes(self):
        self.assert_passes("ws-inner", [("x-custom", "a b\tc")])

    # ---- connection-specific fields (RFC 9113 §8.2.2) --------------------------------------

    def test_connection_specific_fields(self):
        for name, value in (("connection", "close"), ("keep-alive", "timeout=5"), ("proxy-connection", "keep-alive"),
                            ("transfer-encoding", "chunked"), ("upgrade", "websocket"), ("te", "gzip"),
                            ("te", "trailers, gzip")):
            with self.subTest(name=name, value=value):
                self.assert_refused("conn-" + name, [(name, value)])

    def test_te_trailers_passes(self):
        self.assert_passes("te-trailers", [("te", "trailers")])

    # ---- field names (RFC 9113 §8.2.1) -------------------------------------------------

    def test_empty_field_name(self):
        self.assert_refused("empty-name", [("", "x")])

    def test_uppercase_field_name(self):
        self.assert_refused("upper-name", [("X-Upper", "v")])


class H1FramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=False, name="h1-framing")
        cls.addClassCleanup(cls.stack.close)

    def exchange(self, data, wait_s=2.0):
        """Sends `data` on a fresh connection and reads for `wait_s` (or until omote closes).
        Returns (bytes received, requests that reached the origin meanwhile)."""
        before = self.stack.origin.total()
        with R.RawBytes(self.stack.http_port) as c:
            c.send(data)
            c.wait_closed(wait_s)
            got = bytes(c.inbuf)
        time.sleep(0.2)
        return got, self.stack.origin.total() - before

    def assert_400_not_forwarded(self, what, data):
        got, hits = self.exchange(data)
        H.log("HTTP/1.1 %s: %r, origin hits %d" % (what, got[:60], hits))
        self.assertTrue(got.startswith(b"HTTP/1.1 400 "), "%s: %r" % (what, got[:200]))
        self.assertEqual(hits, 0, "%s reached the origin" % what)

    @staticmethod
    def echoed(got):
        """The origin's /_test/echo JSON inside one response."""
        import json
        head, _, body = got.partition(b"\r\n\r\n")
        return json.loads(body.decode())

    def test_targets_that_are_not_origin_form(self):
        """libh2o 2.2.5 passes an absolute-form target through as the path, where it would slip past
        omote's routing (its API, trackers.block_paths); CONNECT asks for a tunnel. 400, nothing forwarded."""
        for what, line in (("absolute-form", b"GET http://127.0.0.1/_test/echo HTTP/1.1"),
                           ("absolute-form to omote's API", b"POST http://127.0.0.1/_omote/api/consent HTTP/1.1"),
                           ("CONNECT", b"CONNECT 127.0.0.1:443 HTTP/1.1"),
                           ("relative path", b"GET _test/echo HTTP/1.1"),
                           ("asterisk for GET", b"GET * HTTP/1.1")):
            with self.subTest(what):
                self.assert_400_not_forwarded(what, line + b"\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        got, hits = self.exchange(b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertEqual(hits, 1, "OPTIONS * is the one asterisk-form target, for the origin to answer")

    def test_empty_field_name(self):
        self.assert_400_not_forwarded("empty name", b"GET /framing/h1-empty HTTP/1.1\r\nHost: 127.0.0.1\r\n: x\r\n\r\n")

    def test_content_length_list(self):
        # a list in one field is refused by libh2o itself ("broken content-length header")
        self.assert_400_not_forwarded(
            "Content-Length: 3, 5",
            b"POST /_test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3, 5\r\n\r\nabcde")

    def test_conflicting_content_length_documented(self):
        """Documents today's behaviour: two different Content-Length fields are accepted and the
        first wins (libh2o 2.2.5, lib/http1.c init_headers); omote never sees either field, so it
        cannot refuse them. The origin gets a request with Content-Length 3 and body "abc"; the
        remaining "de" waits as the start of a next request. README.md states that omote must be
        the first HTTP hop (or sit behind one that normalises framing)."""
        got, hits = self.exchange(b"POST /_test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde")
        H.log("HTTP/1.1 conflicting Content-Length: %r, origin hits %d" % (got[:40], hits))
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:200])
        self.assertEqual(hits, 1)
        echo = self.echoed(got)
        self.assertEqual(echo["body_len"], 3)
        self.assertIn(["content-length", "3"], echo["headers"])

    def chunked(self, size_line):
        return (b"POST /_test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + size_line + b"\r\nhello\r\n0\r\n\r\n")

    def test_bad_chunk_sizes_refused(self):
        # picohttpparser refuses these itself
        for size in (b"+5", b" 5", b"-5", b"0000000000000000000005", b"fffffffffffffffff", b"10000000000000000"):
            with self.subTest(size=size):
                self.assert_400_not_forwarded("chunk size %r" % size, self.chunked(size))

    def test_chunk_size_hex_prefix_documented(self):
        """Documents today's behaviour: picohttpparser (inside libh2o 2.2.5) reads a chunk size as
        its longest hex prefix and skips the rest of the line as a chunk extension, so "0_2e"
        and "0x5" are the last chunk, and "hello", "0" become trailer lines. The origin gets a
        POST with an empty body. omote never sees the chunked framing; README.md states that
        omote must be the first HTTP hop (or sit behind one that normalises framing)."""
        for size in (b"0_2e", b"0x5"):
            with self.subTest(size=size):
                got, hits = self.exchange(self.chunked(size))
                H.log("HTTP/1.1 chunk size %r: %r, origin hits %d" % (size, got[:40], hits))
                self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:200])
                self.assertEqual(hits, 1)
                self.assertEqual(self.echoed(got)["body_len"], 0)

    def test_chunk_size_with_trailing_space_documented(self):
        """Documents today's behaviour: "5 " is read as 5 (the space starts an extension), the
        same as most parsers read it, so the origin gets the 5-byte body."""
        got, hits = self.exchange(self.chunked(b"5 "))
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:200])
        self.assertEqual(hits, 1)
        self.assertEqual(self.echoed(got)["body_len"], 5)


if __name__ == "__main__":
    H.main()
