#!/usr/bin/python3
"""The Global Privacy Control support resource: with a consent section, omote answers
GET /.well-known/gpc.json itself ({"gpc": true, "lastUpdate": <the date the policy version starts
with>}, application/json) over HTTP/1.1 and HTTP/2, never asking the origin; without one (or after
a reload that removes it) the request goes to the origin as any other."""

import base64
import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PATH = "/.well-known/gpc.json"
PURPOSES = [
    {"id": "necessary", "strictly_necessary": True, "cookies": ["sid"]},
    {"id": "marketing", "cookies": ["_fbp"]},
]


def origin_hits(stack, path=PATH):
    return stack.origin.count()["by_path"].get(path, 0)


class GpcWellKnownTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys_dir = H.make_tempdir("omote-it-gpc-keys-")
        cls.addClassCleanup(H.remove_tempdir, cls.keys_dir)
        cls.keys = os.path.join(cls.keys_dir, "consent.keys")
        with open(cls.keys, "w") as f:
            f.write("g1 %s\n" % base64.b64encode(bytes(range(7, 39))).decode())
        os.chmod(cls.keys, 0o600)

        def mutate(conf):
            conf["purposes"] = PURPOSES
            conf["consent"] = {"policy_version": "2024-06-01b", "keys_file": cls.keys}
        cls.stack = H.Stack(tls=True, name="gpc", mutate=mutate)
        cls.addClassCleanup(cls.stack.close)

    def get(self, target=PATH, method="GET", headers=()):
        return H.http1_request(self.stack.http_port, method, target, headers=headers)

    def reload(self, policy):
        """Rewrites the consent section (None removes it), sends SIGHUP, waits until it applies."""
        conf = self.stack.omote.config
        if policy is None:
            conf.pop("consent", None)
        else:
            conf["consent"] = {"policy_version": policy, "keys_file": self.keys}
        self.stack.omote.write_config(conf)
        before = self.stack.omote.stderr().count("reloaded")
        self.stack.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: self.stack.omote.stderr().count("reloaded") > before, 5.0),
                        self.stack.omote.stderr())

    def test_answered_by_omote_with_the_policy_date(self):
        before = origin_hits(self.stack)
        r = self.get()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(json.loads(r.body), {"gpc": True, "lastUpdate": "2024-06-01"})
        r = self.get(PATH + "?ref=spec")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body)["gpc"], True)
        self.assertEqual(origin_hits(self.stack), before, "the origin never sees it")

    def test_head_and_other_methods(self):
        r = self.get(method="HEAD")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.body, b"")
        r = H.http1_request(self.stack.http_port, "POST", PATH, headers=[("Content-Type", "application/json")],
                            body=b"{}")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.header("allow"), "GET, HEAD")
        self.assertEqual(r.json()["error"], "method not allowed")

    def test_http2(self):
        with H.H2Conn(self.stack.tls_port) as c:
            r = c.request("GET", PATH)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(json.loads(r.body), {"gpc": True, "lastUpdate": "2024-06-01"})

    def test_reload_changes_the_date_and_removing_consent_hands_it_to_the_origin(self):
        try:
            self.reload("2024-07")  # a year and month is an ISO 8601 date too
            self.assertEqual(json.loads(self.get().body), {"gpc": True, "lastUpdate": "2024-07"})
            for version in ("v7", "2024-13-01", "2024-02-30", "20240601"):
                self.reload(version)  # no calendar date in front: lastUpdate is optional, left out
                self.assertEqual(json.loads(self.get().body), {"gpc": True}, version)
            self.reload(None)
            before = origin_hits(self.stack)
            r = self.get()
            self.assertEqual(r.status, 404, r)  # the test origin has no such file
            self.assertEqual(origin_hits(self.stack), before + 1)
        finally:
            self.reload("2024-06-01b")
        self.assertEqual(json.loads(self.get().body)["lastUpdate"], "2024-06-01")


if __name__ == "__main__":
    H.main()
