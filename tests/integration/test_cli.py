#!/usr/bin/python3
"""omote's command line: --version, --help, bad options, -c FILE --check, and omote explain."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def run(args, cwd=None, timeout=20):
    H.require_omote_bin()
    p = subprocess.run([H.OMOTE_BIN] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def config_text(port=8080, extra_origin="", tail=""):
    """A small config file with a known layout (line numbers are used by the tests)."""
    return ("{\n"
            "  \"listen\": [\n"
            "    {\"address\": \"127.0.0.1\", \"port\": %s}\n"
            "  ],\n"
            "  \"origin\": {%s\"url\": \"http://127.0.0.1:1/\"},\n"
            "  \"redis\": {\"address\": \"127.0.0.1:6379\"},\n"
            "  \"admin\": {\"address\": \"127.0.0.1\", \"port\": 9901},\n"
            "  \"log\": {\"access\": \"access.log\", \"error\": \"-\"}%s\n"
            "}\n") % (port, extra_origin, tail)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = H.make_tempdir("omote-it-cli-")
        cls.addClassCleanup(H.remove_tempdir, cls.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @staticmethod
    def line_col(text, needle, line_no):
        line = text.splitlines()[line_no - 1]
        return line.index(needle) + 1

    def test_version(self):
        rc, out, err = run(["--version"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^omote \d+\.\d+\.\d+\n$")

    def test_help(self):
        rc, out, err = run(["--help"])
        self.assertEqual(rc, 0, err)
        self.assertIn("-c", out)
        self.assertIn("--check", out)

    def test_unknown_option(self):
        rc, out, err = run(["--no-such-option"])
        self.assertEqual(rc, 2)
        self.assertIn("--no-such-option", err)
        self.assertIn("Usage", err)
        self.assertEqual(out, "")

    def test_no_config_is_usage_error(self):
        rc, out, err = run([])
        self.assertEqual(rc, 2)
        self.assertIn("Usage", err)

    def test_check_valid(self):
        path = self.write("valid.json", config_text())
        rc, out, err = run(["-c", path, "--check"])
        self.assertEqual(rc, 0, err)
        self.assertIn("is valid", out)

    def test_check_full_documented_config_with_tls(self):
        cert, key = H.make_cert(self.dir)
        conf = H.make_config("http://127.0.0.1:1/", 18080, 19901, 6379, tls_port=18443, cert=cert, key=key,
                             access_log=os.path.join(self.dir, "access.log"))
        path = os.path.join(self.dir, "full.json")
        H.write_json(path, conf)
        rc, out, err = run(["-c", path, "--check"])
        self.assertEqual(rc, 0, err)
        self.assertIn("is valid", out)

    def test_check_relative_tls_paths_resolve_against_config_dir(self):
        sub = os.path.join(self.dir, "rel")
        os.makedirs(sub, exist_ok=True)
        H.make_cert(sub)
        conf = H.make_config("http://127.0.0.1:1/", 18080, 19901, 6379, tls_port=18443, cert="cert.pem",
                             key="key.pem", access_log="access.log")
        path = os.path.join(sub, "rel.json")
        H.write_json(path, conf)
        rc, out, err = run(["-c", path, "--check"], cwd="/")
        self.assertEqual(rc, 0, err)

    def test_check_port_out_of_range(self):
        text = config_text(port=70000)
        path = self.write("badport.json", text)
        rc, out, err = run(["-c", path, "--check"])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("listen[0].port: 70000 is out of range 1..65535", err)
        col = self.line_col(text, "70000", 3)
        self.assertIn("badport.json:3:%d:" % col, err)

    def test_check_unknown_key(self):
        text = config_text(extra_origin="\"bogus\": 1, ")
        path = self.write("unknown.json", text)
        rc, out, err = run(["-c", path, "--check"])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("origin.bogus", err)
        self.assertIn("unknown key", err)
        col = self.line_col(text, "\"bogus\"", 5)
        self.assertIn("unknown.json:5:%d:" % col, err)

    def test_check_unknown_top_level_key(self):
        text = config_text(tail=",\n  \"listn\": []")
        path = self.write("unknown_top.json", text)
        rc, out, err = run(["-c", path, "--check"])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("listn", err)
        self.assertIn("unknown key", err)
        self.assertRegex(err, r"unknown_top\.json:9:\d+:")

    def test_check_syntax_error(self):
        # a missing comma at the end of line 6
        text = config_text().replace("\"127.0.0.1:6379\"},\n", "\"127.0.0.1:6379\"}\n")
        path = self.write("syntax.json", text)
        rc, out, err = run(["-c", path, "--check"])
        self.assertEqual(rc, 1, out + err)
        m = re.search(r"syntax\.json:(\d+):(\d+):", err)
        self.assertIsNotNone(m, err)
        # jansson notices the problem at the first token of line 7
        self.assertEqual(int(m.group(1)), 7, err)
        self.assertGreaterEqual(int(m.group(2)), 1)

    def test_check_missing_file(self):
        rc, out, err = run(["-c", os.path.join(self.dir, "does-not-exist.json"), "--check"])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("does-not-exist.json", err)


class ExplainTest(unittest.TestCase):
    """omote explain: the decision on one URL or cookie and the rule line that made it."""

    @classmethod
    def setUpClass(cls):
        cls.dir = H.make_tempdir("omote-it-explain-")
        cls.addClassCleanup(H.remove_tempdir, cls.dir)
        fixtures = os.path.join(H.SOURCE_DIR, "tests", "fixtures", "trackers.txt")
        sigs = os.path.join(cls.dir, "sigs.txt")
        with open(sigs, "w") as f:
            f.write("Hotjar | _hjSettings\n")
        tail = (",\n  \"trackers\": {\"lists\": [{\"name\": \"own\", \"path\": \"%s\"}], \"signatures\": \"%s\","
                " \"block_paths\": [\"/collect\"]},\n"
                "  \"purposes\": [{\"id\": \"necessary\", \"strictly_necessary\": true, \"cookies\": [\"sid\"]},"
                " {\"id\": \"analytics\", \"cookies\": [\"_ga*\"]}],\n"
                "  \"vendors\": [{\"name\": \"GTM\", \"purpose\": \"analytics\", \"hosts\": [\"googletagmanager.com\"],"
                " \"paths\": [\"/gtm/*\"]}]") % (fixtures, sigs)
        cls.config = os.path.join(cls.dir, "omote.json")
        with open(cls.config, "w") as f:
            f.write(config_text(tail=tail))

    def explain(self, *args):
        return run(["explain", "-c", self.config] + list(args))

    def test_list_decision_names_list_line_and_filter(self):
        rc, out, err = self.explain("https://static.hotjar.com/c/hotjar-1.js", "--page", "https://shop.example/")
        self.assertEqual(rc, 0, err)
        self.assertIn("decision  BLOCKED", out)
        self.assertIn("by        blocking filter, list own, line 7: ||static.hotjar.com^", out)

    def test_exception_and_type(self):
        rc, out, _ = self.explain("https://www.googletagmanager.com/allowed.js")
        self.assertIn("vendor GTM", out, "the vendor decides before lists")
        rc, out, _ = self.explain("--type", "image", "https://ad.doubleclick.net/x")
        self.assertIn("decision  KEPT", out)
        self.assertIn("no filter of 9 matches", out, "$subdocument does not apply to images")
        rc, out, _ = self.explain("--type", "subdocument", "https://ad.doubleclick.net/x")
        self.assertIn("decision  BLOCKED", out)

    def test_vendor_with_and_without_consent(self):
        _, out, _ = self.explain("https://www.googletagmanager.com/gtm.js?id=1")
        self.assertIn("decision  BLOCKED", out)
        self.assertIn("purpose analytics not granted", out)
        _, out, _ = self.explain("https://www.googletagmanager.com/gtm.js?id=1", "--purposes", "analytics")
        self.assertIn("decision  KEPT", out)
        self.assertIn("list own, line 3: ||googletagmanager.com^ (the vendor decides)", out)

    def test_first_party_paths(self):
        _, out, _ = self.explain("/collect?x=1", "--page", "https://shop.example/")
        self.assertIn("trackers.block_paths[0] \"/collect\"", out)
        _, out, _ = self.explain("/gtm/js", "--page", "https://shop.example/a/b")
        self.assertIn("vendor GTM, a first-party path", out)
        _, out, _ = self.explain("/app.js", "--page", "https://shop.example/")
        self.assertIn("decision  KEPT", out)

    def test_cookie(self):
        _, out, _ = self.explain("--cookie", "_ga_1")
        self.assertIn("decision  DROPPED", out)
        _, out, _ = self.explain("--cookie", "_ga_1", "--purposes", "analytics")
        self.assertIn("decision  KEPT", out)
        _, out, _ = self.explain("--cookie", "theme")
        self.assertIn('no purpose declares it: trackers.unknown_cookies is "report"', out)

    def test_errors(self):
        rc, _, err = self.explain("https://x.example/", "--type", "bogus")
        self.assertEqual(rc, 2)
        self.assertIn('unknown type "bogus"', err)
        rc, _, err = self.explain("https://x.example/", "--purposes", "nope")
        self.assertEqual(rc, 2)
        self.assertIn('"nope" is not a purpose', err)
        rc, _, err = self.explain()
        self.assertEqual(rc, 2)
        rc, _, err = self.explain("mailto:x@example.com")
        self.assertEqual(rc, 2)
        self.assertIn("not an http(s) URL", err)
        bad = os.path.join(self.dir, "bad-sigs.json")
        sigs = os.path.join(self.dir, "bad-sigs.txt")
        with open(sigs, "w") as f:
            f.write("# ok\nno bar on this line\n")
        with open(bad, "w") as f:
            f.write(config_text(tail=",\n  \"trackers\": {\"signatures\": \"%s\"}" % sigs))
        rc, _, err = run(["-c", bad, "--check"])
        self.assertEqual(rc, 1, "--check compiles the signatures too")
        self.assertIn("bad-sigs.txt:2: expected \"vendor | signature\"", err)


if __name__ == "__main__":
    H.main()
