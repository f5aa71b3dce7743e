#!/usr/bin/python3
"""Content codings through omote: HTML the origin gzip- or deflate-encodes anyway is decoded and
rewritten; broken encoded data cuts the response off; codings omote cannot read pass unchanged
and are counted; visitors that accept gzip get responses compressed by omote (HTTP/1.1 and
HTTP/2) unless compression.enabled is false; documents are asked for identity, other requests
carry the visitor's Accept-Encoding to the origin."""

import gzip
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "trackers.txt")
DOC = [("Accept", "text/html")]
GZIP = [("Accept-Encoding", "gzip")]
TRACKER = b'<script async src="https://www.googletagmanager.com'


def with_trackers(compression):
    def mutate(conf):
        conf["trackers"] = {"lists": [{"name": "own", "path": os.path.abspath(LIST)}]}
        conf["compression"] = compression
    return mutate


def encoded(coding, path="/index.html", **extra):
    q = "&".join("%s=%s" % (k, urllib.parse.quote(str(v), safe="/")) for k, v in sorted(extra.items()))
    return "/_test/encoded?coding=%s&path=%s%s" % (coding, path, "&" + q if q else "")


class CompressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="compression",
                            mutate=with_trackers({"enabled": True, "min_bytes": 256, "gzip_level": 5}))
        cls.addClassCleanup(cls.stack.close)

    def get(self, target, headers=()):
        return H.http1_request(self.stack.http_port, "GET", target, headers=DOC + list(headers))

    def metric(self, name):
        return self.stack.omote.metrics().get(name, 0)

    def baseline(self, **extra):
        """The rewritten page when the origin sends it identity-coded from the same URL path."""
        r = self.get(encoded("identity", **extra))
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("content-encoding"))
        self.assertNotIn(TRACKER, r.body)
        return r.body

    # (a) gzip / deflate from the origin, although omote asked for identity

    def test_encoded_html_is_decoded_and_rewritten(self):
        expected = self.baseline()
        before = self.metric("omote_html_decoded_total")
        cases = [("gzip", {}), ("x-gzip", {}), ("deflate", {}), ("deflate-raw", {}), ("gzip", {"members": 3}),
                 ("gzip", {"piece": 7}), ("deflate-raw", {"piece": 100})]
        for coding, extra in cases:
            with self.subTest(coding=coding, **extra):
                r = self.get(encoded(coding, **extra))
                self.assertEqual(r.status, 200, r)
                self.assertIsNone(r.header("content-encoding"), "decoded: identity towards the visitor")
                self.assertIsNone(r.header("content-length"))
                self.assertTrue(r.header("etag", "").startswith("W/"), r.header("etag"))
                self.assertEqual(r.body, expected)
        self.assertEqual(self.metric("omote_html_decoded_total") - before, len(cases))

    def test_large_encoded_page_streams_in_bounded_pieces(self):
        # 2.2 MB of HTML from 20 KB of gzip: more than one call's budget, so decoding resumes on proceed
        expected = self.baseline(repeat=200)
        self.assertGreater(len(expected), 1 << 20)
        r = self.get(encoded("gzip", repeat=200))
        self.assertEqual(r.body, expected)
        with H.H2Conn(self.stack.tls_port) as c:
            r2 = c.request("GET", encoded("gzip", repeat=200, piece=4096), headers=[("accept", "text/html")])
        self.assertIsNone(r2.reset, r2)
        self.assertEqual(r2.body, expected)

    # (b) compression towards visitors

    def test_visitors_accepting_gzip_get_rewritten_html_compressed(self):
        expected = self.get("/index.html").body
        self.assertNotIn(TRACKER, expected)
        r = self.get("/index.html", GZIP)
        self.assertEqual(r.header("content-encoding"), "gzip", r)
        self.assertIn("accept-encoding", r.header("vary", "").lower())
        self.assertTrue(r.header("etag", "").startswith("W/"))
        self.assertEqual(gzip.decompress(r.body), expected)
        H.log("index.html rewritten: %d bytes, gzip to the visitor: %d" % (len(expected), len(r.body)))

        with H.H2Conn(self.stack.tls_port) as c:
            r2 = c.request("GET", "/index.html", headers=[("accept", "text/html"), ("accept-encoding", "gzip, br")])
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r2.header("content-encoding"), "gzip")
        self.assertIn("accept-encoding", r2.header("vary", "").lower())
        self.assertEqual(gzip.decompress(r2.body), expected)

        # gzip from the origin, decoded, rewritten and compressed again
        r3 = self.get(encoded("deflate"), GZIP)
        self.assertEqual(r3.header("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(r3.body), self.baseline())

    def test_text_types_are_compressed(self):
        for path, headers in (("/style.css", [("Sec-Fetch-Dest", "style")]), ("/app.js", [("Sec-Fetch-Dest", "script")]),
                              ("/_test/echo?pad=" + "x" * 400, [("Accept", "application/json")]),
                              ("/img/sencha.svg", [("Accept", "image/svg+xml")]),
                              (encoded("identity", path="/app.js", ctype="text/javascript"), [("Sec-Fetch-Dest", "script")])):
            with self.subTest(path=path[:60]):
                direct = self.stack.origin.get(path, headers=headers)
                r = H.http1_request(self.stack.http_port, "GET", path, headers=headers + GZIP)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("content-encoding"), "gzip", (path, r.header("content-type")))
                self.assertIn("accept-encoding", r.header("vary", "").lower())
                if not path.startswith("/_test/echo"):
                    self.assertEqual(gzip.decompress(r.body), direct.body)
                if direct.header("etag"):
                    self.assertEqual(r.header("etag"), "W/" + direct.header("etag"), "a strong ETag is weakened")
                plain = H.http1_request(self.stack.http_port, "GET", path, headers=headers)
                self.assertIsNone(plain.header("content-encoding"), "no Accept-Encoding: identity")

    def test_small_and_binary_bodies_are_not_compressed(self):
        r = H.http1_request(self.stack.http_port, "GET", "/_test/bytes?n=5000", headers=GZIP)
        self.assertIsNone(r.header("content-encoding"), "application/octet-stream is not compressible")
        r = H.http1_request(self.stack.http_port, "GET", "/_test/chunked", headers=GZIP)
        self.assertEqual(r.header("content-encoding"), "gzip", "no length: compressed (min_bytes reads Content-Length)")
        r = H.http1_request(self.stack.http_port, "GET", "/_test/status?code=200", headers=GZIP)
        self.assertIsNone(r.header("content-encoding"), "11 bytes < min_bytes")

    def test_what_the_origin_encoded_itself_passes_untouched(self):
        headers = [("Sec-Fetch-Dest", "script")] + GZIP
        direct = self.stack.origin.get(encoded("gzip", path="/app.js"), headers=headers)
        r = H.http1_request(self.stack.http_port, "GET", encoded("gzip", path="/app.js"), headers=headers)
        self.assertEqual(r.header("content-encoding"), "gzip")
        self.assertEqual(r.body, direct.body, "one gzip layer, the origin's, byte for byte")
        self.assertEqual(r.header("etag"), direct.header("etag"), "the origin's own encoding keeps its ETag")

    # (c) what the origin is asked for

    def test_origin_asked_for_identity_for_documents_only(self):
        r = self.get("/_test/echo", [("Accept-Encoding", "gzip, br")])
        body = gzip.decompress(r.body) if r.header("content-encoding") == "gzip" else r.body
        sent = [v for k, v in json.loads(body)["headers"] if k.lower() == "accept-encoding"]
        self.assertEqual(sent, ["identity"], "a document: identity only, whatever the visitor accepts")
        r = H.http1_request(self.stack.http_port, "GET", "/_test/echo",
                            headers=[("Sec-Fetch-Dest", "script"), ("Accept-Encoding", "gzip, br")])
        body = gzip.decompress(r.body) if r.header("content-encoding") == "gzip" else r.body
        sent = [v for k, v in json.loads(body)["headers"] if k.lower() == "accept-encoding"]
        self.assertEqual(sent, ["gzip, br"], "a script: the visitor's codings reach the origin")

    # (d) broken encoded data

    def assert_cut_off(self, target):
        with self.assertRaises((ConnectionError, ValueError)):
            r = self.get(target)
            self.fail("a complete response for broken data: %r" % r)
        with H.H2Conn(self.stack.tls_port) as c:
            r = c.request("GET", target, headers=[("accept", "text/html")])
        self.assertIsNotNone(r.reset, "HTTP/2: the stream is reset, not ended: %r" % r)

    def test_broken_encoded_data_cuts_the_response_off(self):
        for reason, target in (("corrupt", encoded("gzip", corrupt=1)), ("corrupt", encoded("deflate", corrupt=1, repeat=50)),
                               ("truncated", encoded("gzip", cut=10)), ("truncated", encoded("deflate-raw", cut=30)),
                               ("trailing_data", encoded("gzip", trailing="junk"))):
            with self.subTest(reason=reason, target=target):
                name = 'omote_html_decode_errors_total{reason="%s"}' % reason
                before = self.metric(name)
                self.assert_cut_off(target)
                self.assertEqual(self.metric(name) - before, 2)
        self.assertIn("event=html_decode_failed", self.stack.omote.stderr())

    # (e) codings omote cannot read

    def test_unreadable_codings_pass_unchanged_and_are_counted(self):
        for label in ("br", "gzip, br", "zstd"):
            with self.subTest(label=label):
                before = self.metric("omote_html_not_rewritten_encoded_total")
                direct = self.stack.origin.get(encoded("br", label=label))
                r = self.get(encoded("br", label=label), [("Accept-Encoding", "br")])
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("content-encoding"), label)
                self.assertEqual(r.body, direct.body, "passed on unchanged")
                self.assertEqual(self.metric("omote_html_not_rewritten_encoded_total") - before, 1)
        self.assertIn("event=html_not_rewritten reason=content_coding", self.stack.omote.stderr())


class CompressionOffTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=False, name="compression-off", mutate=with_trackers({"enabled": False}))
        cls.addClassCleanup(cls.stack.close)

    def test_no_gzip_towards_visitors(self):
        plain = H.http1_request(self.stack.http_port, "GET", "/index.html", headers=DOC)
        r = H.http1_request(self.stack.http_port, "GET", "/index.html", headers=DOC + GZIP)
        self.assertIsNone(r.header("content-encoding"))
        self.assertEqual(r.body, plain.body)
        r = H.http1_request(self.stack.http_port, "GET", "/style.css", headers=GZIP)
        self.assertIsNone(r.header("content-encoding"))

    def test_encoded_html_still_decoded(self):
        r = H.http1_request(self.stack.http_port, "GET", encoded("gzip"), headers=DOC + GZIP)
        self.assertIsNone(r.header("content-encoding"))
        self.assertNotIn(TRACKER, r.body)
        self.assertEqual(r.body, H.http1_request(self.stack.http_port, "GET", encoded("identity"), headers=DOC).body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
