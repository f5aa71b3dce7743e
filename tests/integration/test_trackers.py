#!/usr/bin/python3
"""Tracker removal through omote: the demo shop's tracker tags are cut out of HTML as it streams,
everything else passes byte for byte, and documents are asked for identity-coded."""

import gzip
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "trackers.txt")


def with_trackers(conf):
    conf["trackers"] = {"lists": [{"name": "own", "path": os.path.abspath(LIST)}], "block_paths": ["/gtm/*", "/collect"]}


class TrackerRemovalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="trackers", mutate=with_trackers)
        cls.addClassCleanup(cls.stack.close)

    def get(self, path, headers=()):
        return H.http1_request(self.stack.http_port, "GET", path, headers=[("Accept", "text/html")] + list(headers))

    def test_demo_index_loses_its_trackers(self):
        direct = H.http1_request(self.stack.origin.port, "GET", "/index.html")
        r = self.get("/index.html")
        self.assertEqual(r.status, 200, r)
        body = r.body.decode("utf-8")
        H.log("index.html: %d bytes direct, %d through omote" % (len(direct.body), len(r.body)))
        self.assertNotIn('<script async src="https://www.googletagmanager.com', body)
        self.assertNotIn("fbevents.js');", body)
        self.assertNotIn("static.hotjar.com/c/hotjar-", body)
        self.assertNotIn("ns.html?id=GTM", body)
        self.assertNotIn('<img src="https://px.ads.linkedin.com', body)
        # hyperlink auditing to a tracker loses its ping attribute; the link itself stays
        self.assertIn('<h3><a href="/products/sencha.html">Fukamushi Sencha, 100 g</a></h3>', body)
        # look-alikes that are not live stay: JSON-LD text and comments
        self.assertIn("used to load https://www.googletagmanager.com/gtm.js", body)
        self.assertIn("</html>", body)
        self.assertLess(len(r.body), len(direct.body))

    def test_output_is_input_minus_whole_pieces(self):
        # every piece of the output appears in the input, in order: nothing was edited, only cut
        direct = H.http1_request(self.stack.origin.port, "GET", "/products/sencha.html").body
        out = self.get("/products/sencha.html").body
        pos = 0
        for line in out.split(b"\n"):
            found = direct.find(line, pos)
            self.assertNotEqual(found, -1, "output line not in the input in order: %r" % line[:120])
            pos = found + len(line)

    def test_headers_fixed_for_a_changed_body(self):
        r = self.get("/index.html")
        self.assertIsNone(r.header("content-length"), "length changes: no Content-Length from the origin")
        etag = r.header("etag")
        self.assertIsNotNone(etag)
        self.assertTrue(etag.startswith("W/"), etag)

    def test_http2_same_as_http1(self):
        h1 = self.get("/cart.html").body
        with H.H2Conn(self.stack.tls_port) as c:
            h2 = c.request("GET", "/cart.html", headers=[("accept", "text/html")])
        self.assertEqual(h2.status, 200)
        self.assertEqual(h2.body, h1)

    def test_non_html_untouched(self):
        for path in ("/app.js", "/style.css", "/img/logo.svg"):
            direct = H.http1_request(self.stack.origin.port, "GET", path)
            r = self.get(path)
            self.assertEqual(r.body, direct.body, path)
            self.assertEqual(r.header("etag"), direct.header("etag"), path)

    def test_head_not_rewritten(self):
        r = H.http1_request(self.stack.http_port, "HEAD", "/index.html")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")

    def test_documents_asked_for_identity(self):
        # the visitor's Accept-Encoding stays with omote, which may gzip towards them (test_compression.py)
        r = self.get("/_test/echo", headers=[("Accept-Encoding", "gzip, br")])
        doc = json.loads(gzip.decompress(r.body) if r.header("content-encoding") == "gzip" else r.body)
        self.assertEqual([v for k, v in doc["headers"] if k.lower() == "accept-encoding"], ["identity"])
        r = H.http1_request(self.stack.http_port, "GET", "/_test/echo",
                            headers=[("Accept", "image/avif,image/webp"), ("Accept-Encoding", "gzip")])
        img = json.loads(gzip.decompress(r.body) if r.header("content-encoding") == "gzip" else r.body)
        self.assertEqual([v for k, v in img["headers"] if k.lower() == "accept-encoding"], ["gzip"])

    def test_metrics_count_removals(self):
        self.get("/index.html")
        m = self.stack.omote.metrics()
        self.assertGreater(m.get("omote_html_rewritten_total", 0), 0)
        self.assertGreater(m.get('omote_html_removed_total{kind="element"}', 0), 0)
        self.assertGreater(m.get('omote_html_removed_total{kind="noscript"}', 0), 0)

    def test_tracking_parameters_never_reach_the_origin(self):
        e = self.get("/_test/echo?utm_source=news&id=7&gclid=abc&q=%E8%8C%B6&utm%5Fmedium=x").json()
        self.assertEqual(e["path"], "/_test/echo?id=7&q=%E8%8C%B6")
        e = self.get("/_test/echo?fbclid=1").json()
        self.assertEqual(e["path"], "/_test/echo")
        e = self.get("/_test/echo?a=1&&b=2").json()
        self.assertEqual(e["path"], "/_test/echo?a=1&&b=2", "an untouched target passes exactly")
        self.assertGreaterEqual(self.stack.omote.metrics().get("omote_query_params_removed_total", 0), 4)

    def hits(self, path):
        return self.stack.origin.count()["by_path"].get(path, 0)

    def test_block_paths_answered_204_without_the_origin(self):
        for path in ("/gtm/gtm.js?id=GTM-X", "/collect?v=2&tid=G-1"):
            r = self.get(path)
            self.assertEqual(r.status, 204, (path, r))
            self.assertEqual(r.body, b"")
        self.assertEqual(self.hits("/gtm/gtm.js"), 0)
        self.assertEqual(self.hits("/collect"), 0)
        self.assertEqual(self.get("/collector").status, 404, "only the configured paths")

    def test_browser_fetch_blocked_by_a_rule(self):
        img = H.http1_request(self.stack.http_port, "GET", "/tr/pixel.gif?e=view",
                              headers=[("Sec-Fetch-Dest", "image"), ("Referer", "http://127.0.0.1/index.html")])
        self.assertEqual(img.status, 204, img)
        self.assertEqual(self.hits("/tr/pixel.gif"), 0)
        # the rule is typed image: a script fetch of the same path, a navigation, and a client that
        # is not a browser all reach the origin
        for headers in ([("Sec-Fetch-Dest", "script")], [("Sec-Fetch-Dest", "document")], []):
            r = H.http1_request(self.stack.http_port, "GET", "/tr/pixel.gif", headers=headers)
            self.assertEqual(r.status, 404, (headers, r))
        self.assertEqual(self.hits("/tr/pixel.gif"), 3)
        m = self.stack.omote.metrics()
        self.assertGreaterEqual(m.get('omote_requests_blocked_total{reason="rule"}', 0), 1)

    def test_rules_loaded_logged(self):
        self.assertIn("event=rules_loaded list=own", self.stack.omote.stderr())


if __name__ == "__main__":
    H.main()
