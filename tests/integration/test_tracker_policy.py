#!/usr/bin/python3
"""Purposes, vendors and loader signatures through omote: cookies in both directions follow the
purposes they are declared for, vendors' tags and first-party paths go without consent, inline
snippets are recognised by signature, documents carry Permissions-Policy and CSP, browsers' CSP
reports are taken in, and every removal is explained (metrics by list, the debug header)."""

import gzip
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LIST = os.path.abspath(os.path.join(HERE, "..", "fixtures", "trackers.txt"))
SIGNATURES = os.path.abspath(os.path.join(HERE, "..", "..", "config", "signatures.txt"))

PURPOSES = [
    {"id": "necessary", "strictly_necessary": True, "cookies": ["sid", "cart", "lang"]},
    {"id": "analytics", "needs_identifier": True, "cookies": ["_ga", "_ga_*", "_gid"]},
    {"id": "marketing", "cookies": ["_fbp"]},
]
VENDORS = [
    {"name": "Google Tag Manager", "purpose": "analytics", "hosts": ["googletagmanager.com"], "paths": ["/gtm/*"]},
    {"name": "Meta Pixel", "purpose": "marketing", "hosts": ["connect.facebook.net"]},
    {"name": "LinkedIn Insight Tag", "purpose": "marketing", "hosts": ["px.ads.linkedin.com"]},
]


def with_policy(lists=True, unknown="report", csp_mode="enforce", debug=True):
    def mutate(conf):
        conf["trackers"] = {"signatures": SIGNATURES, "unknown_cookies": unknown, "debug_header": debug}
        if lists:
            conf["trackers"]["lists"] = [{"name": "own", "path": LIST}]
        conf["purposes"] = PURPOSES
        conf["vendors"] = VENDORS
        conf["headers"] = {"csp": {"mode": csp_mode, "directives": {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}}}
        conf["log"]["level"] = "info"
    return mutate


def set_cookie_names(resp):
    return [v.split("=", 1)[0].strip() for v in resp.header_all("set-cookie")]


class PolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=True, name="policy", mutate=with_policy())
        cls.addClassCleanup(cls.stack.close)

    def get(self, path, headers=()):
        return H.http1_request(self.stack.http_port, "GET", path, headers=[("Accept", "text/html")] + list(headers))

    def metrics(self):
        r = H.http1_request(self.stack.omote.admin_port, "GET", "/metrics")
        self.assertEqual(r.status, 200)
        return r.body.decode()

    def metric(self, name):
        return H.parse_metrics(self.metrics()).get(name, 0)

    # --- cookies -------------------------------------------------------------------------

    def test_set_cookie_of_purposes_not_granted_is_dropped(self):
        direct = H.http1_request(self.stack.origin.port, "GET", "/_test/set-cookie")
        self.assertEqual(set_cookie_names(direct), ["sid", "lang", "cart", "_ga", "_fbp"])
        before = self.metric('omote_removed_total{what="set_cookie",by="cookie_purpose"}')
        r = self.get("/_test/set-cookie")
        self.assertEqual(r.status, 200)
        self.assertEqual(set_cookie_names(r), ["sid", "lang", "cart"], "necessary cookies stay, _ga and _fbp go")
        # kept fields are byte for byte what the origin sent (cart's Expires has a comma)
        self.assertEqual(r.header_all("set-cookie"), direct.header_all("set-cookie")[:3])
        after = self.metric('omote_removed_total{what="set_cookie",by="cookie_purpose"}')
        self.assertEqual(after - before, 2)

    def test_set_cookie_over_http2(self):
        with H.H2Conn(self.stack.tls_port) as c:
            r = c.request("GET", "/_test/set-cookie")
        self.assertEqual(r.status, 200)
        self.assertEqual(set_cookie_names(r), ["sid", "lang", "cart"])

    def echo_cookie(self, resp):
        seen = json.loads(resp.body)["headers"]
        values = [v for k, v in seen if k.lower() == "cookie"]
        self.assertLessEqual(len(values), 1, "the origin gets one Cookie field")
        return values[0] if values else None

    def test_cookie_header_loses_cookies_of_purposes_not_granted(self):
        r = self.get("/_test/echo", [("Cookie", "sid=abc; _ga=GA1.2.3.4; theme=dark;  _ga_X1=GS1; _fbp=fb.1.2; lang=ja")])
        self.assertEqual(r.status, 200)
        self.assertEqual(self.echo_cookie(r), "sid=abc; theme=dark; lang=ja", "undeclared 'theme' kept under report")

    def test_cookie_header_of_only_dropped_cookies_is_removed(self):
        r = self.get("/_test/echo", [("Cookie", "_ga=GA1; _gid=GA2")])
        self.assertIsNone(self.echo_cookie(r))

    def test_http2_cookie_fields_are_all_filtered(self):
        with H.H2Conn(self.stack.tls_port) as c:
            r = c.request("GET", "/_test/echo", headers=[("cookie", "_ga=1"), ("cookie", "sid=2"), ("cookie", "_fbp=3"),
                                                         ("cookie", "cart=4")])
        self.assertEqual(r.status, 200)
        self.assertEqual(self.echo_cookie(r), "sid=2; cart=4")

    # --- vendors and signatures ----------------------------------------------------------

    def test_vendor_path_answered_without_origin(self):
        self.stack.origin.reset()
        r = self.get("/gtm/collect?v=2&tid=G-1")
        self.assertEqual(r.status, 204)
        self.assertEqual(self.stack.origin.total(), 0, "the origin never saw it")
        self.assertGreaterEqual(self.metric('omote_removed_total{what="request",by="vendor"}'), 1)

    def test_page_loses_vendor_tags_and_signed_snippets(self):
        r = self.get("/index.html")
        self.assertEqual(r.status, 200)
        body = r.body.decode()
        self.assertNotIn("googletagmanager.com/gtag/js", body)
        self.assertNotIn("gtag('config'", body, "the gtag snippet names no URL: its signature removes it")
        self.assertNotIn("fbq('init'", body)
        self.assertNotIn("_hjSettings", body)
        self.assertIn("window.OMOTE", body, "the shop's own inline script stays")

    def test_metrics_name_the_list_and_the_source(self):
        self.get("/index.html")
        text = self.metrics()
        m = H.parse_metrics(text)
        self.assertGreaterEqual(m.get('omote_removed_total{what="script",by="vendor"}', 0), 1, text)
        self.assertGreaterEqual(m.get('omote_removed_total{what="inline_script",by="signature"}', 0), 1, text)
        self.assertIn('omote_removed_total{what="image",by="own"}', text, "lists are labelled by name")
        self.assertEqual(m.get('omote_rules_filters{list="own"}'), 9, "the fixture list compiles to 9 filters")
        self.assertIn('omote_rules_skipped{list="own",kind="cosmetic_hide"} 0', text)

    def test_debug_header_lists_every_removal(self):
        r = self.get("/index.html")
        removed = r.header("omote-removed")
        self.assertIsNotNone(removed)
        H.log("Omote-Removed: %s" % removed)
        self.assertIn("script www.googletagmanager.com/gtag/js (vendor Google Tag Manager, purpose analytics not granted)", removed)
        self.assertIn("inline_script (signature line", removed)
        self.assertNotIn("?", removed.split("(")[0], "queries are never shown")
        self.assertNotIn("id=G-", removed)

    def test_debug_header_on_a_page_streamed_in_many_chunks(self):
        # the origin flushes 4 KiB pieces: the header must still name removals from the whole body
        target = "/_test/encoded?coding=identity&path=/index.html&repeat=40&piece=4096"
        direct = H.http1_request(self.stack.origin.port, "GET", target)
        r = self.get(target)
        self.assertEqual(r.status, 200)
        removed = r.header("omote-removed")
        self.assertIsNotNone(removed)
        self.assertRegex(removed, r", \+\d+ more$", "40 pages of removals overflow the 4 KiB listing, and say so")
        self.assertEqual(r.body.count(b"</html>"), 40, "the whole body arrived")
        self.assertNotIn(b"fbq('init'", r.body)
        self.assertLess(len(r.body), len(direct.body))
        js = self.get("/_test/chunked?n=40&size=4096")
        self.assertEqual(len(js.body), 40 * 4096)
        self.assertIsNone(js.header("omote-removed"), "not HTML: not rewritten, no header")

    # --- headers -------------------------------------------------------------------------

    def test_documents_carry_permissions_policy_and_csp(self):
        r = self.get("/index.html")
        self.assertEqual(r.header("permissions-policy"), "browsing-topics=(), interest-cohort=()")
        self.assertEqual(r.header("content-security-policy"),
                         "default-src 'self'; img-src 'self' data:; report-uri /_omote/csp-report",
                         "no vendor is consented, so no vendor host is allowed")
        js = self.get("/app.js")
        self.assertIsNone(js.header("content-security-policy"))
        self.assertIsNone(js.header("permissions-policy"))

    # --- CSP reports ---------------------------------------------------------------------

    def post_report(self, body, ctype="application/csp-report", method="POST"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return H.http1_request(self.stack.http_port, method, "/_omote/csp-report",
                               headers=[("Content-Type", ctype), ("Content-Length", str(len(data)))], body=data)

    def test_csp_report_is_counted_and_logged(self):
        before = self.metric('omote_csp_reports_total{directive="script-src-elem"}')
        self.stack.origin.reset()
        r = self.post_report({"csp-report": {"document-uri": "https://shop.example/cart?email=secret@example.com",
                                             "blocked-uri": "https://www.googletagmanager.com/gtm.js?id=GTM-1",
                                             "violated-directive": "script-src-elem", "effective-directive": "script-src-elem",
                                             "disposition": "enforce"}})
        self.assertEqual(r.status, 204)
        self.assertEqual(self.stack.origin.total(), 0, "reports never reach the origin")
        # Reporting API format: an array of reports
        r = self.post_report([{"type": "csp-violation", "url": "https://shop.example/",
                               "body": {"documentURL": "https://shop.example/", "blockedURL": "https://px.ads.linkedin.com/x",
                                        "effectiveDirective": "img-src", "disposition": "report"}},
                              {"type": "deprecation", "body": {}}], ctype="application/reports+json")
        self.assertEqual(r.status, 204)
        self.assertEqual(self.metric('omote_csp_reports_total{directive="script-src-elem"}') - before, 1)
        self.assertGreaterEqual(self.metric('omote_csp_reports_total{directive="img-src"}'), 1)
        H.wait_until(lambda: "event=csp_report directive=img-src" in H.read_text(self.stack.omote.stderr_path), 5)
        err = H.read_text(self.stack.omote.stderr_path)
        self.assertIn("blocked=https://www.googletagmanager.com page=/cart?email=", err)
        self.assertNotIn("secret@example.com", err, "no query value reaches the log")
        self.assertNotIn("GTM-1", err)

    def test_csp_report_errors_are_json(self):
        cases = [
            (self.post_report(b"{not json"), 400, "malformed JSON"),
            (self.post_report({"x": 1}), 400, "expected"),
            (self.post_report(b"{}", ctype="text/plain"), 415, "expected application/csp-report"),
            (self.post_report(b"x" * 20000), 413, "limits.api_body_bytes"),
            (self.post_report(b"", method="GET"), 405, "POST"),
        ]
        for r, status, detail in cases:
            with self.subTest(status=status):
                self.assertEqual(r.status, status, r.body)
                self.assertEqual(r.header("content-type"), "application/json")
                doc = json.loads(r.body)
                self.assertIn(detail, doc["detail"])
        self.assertGreaterEqual(self.metric("omote_csp_reports_refused_total"), 4)

    def test_unknown_api_path_is_json_404_not_proxied(self):
        self.stack.origin.reset()
        r = self.get("/_omote/nothing-here")
        self.assertEqual(r.status, 404)
        self.assertEqual(json.loads(r.body)["error"], "not found")
        self.assertEqual(self.stack.origin.total(), 0)


class VendorsOnlyTest(unittest.TestCase):
    """Without any filter list, vendors and signatures alone still clean the page; unknown cookies blocked."""

    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=False, name="vendors", mutate=with_policy(lists=False, unknown="block", csp_mode="report-only",
                                                                          debug=False))
        cls.addClassCleanup(cls.stack.close)

    def test_page_rewritten_by_vendors_alone(self):
        r = H.http1_request(self.stack.http_port, "GET", "/index.html", headers=[("Accept", "text/html")])
        body = r.body.decode()
        self.assertNotIn('src="https://www.googletagmanager.com', body)
        self.assertNotIn("px.ads.linkedin.com", body.split("</noscript>")[-1])
        self.assertNotIn("_hjSettings", body)
        self.assertIsNone(r.header("omote-removed"), "the debug header is off by default")
        self.assertIsNone(r.header("content-security-policy"))
        self.assertEqual(r.header("content-security-policy-report-only"),
                         "default-src 'self'; img-src 'self' data:; report-uri /_omote/csp-report")

    def test_unknown_cookies_blocked_both_ways(self):
        r = H.http1_request(self.stack.http_port, "GET", "/_test/echo", headers=[("Cookie", "sid=1; theme=dark")])
        seen = [v for k, v in json.loads(r.body)["headers"] if k.lower() == "cookie"]
        self.assertEqual(seen, ["sid=1"])


if __name__ == "__main__":
    H.main()
