#!/usr/bin/python3
"""Shared pages in a real browser: Debian's Chromium (driven by tests/browser/pages.mjs) loads pages
with many trackers through omote and straight from the origin, with every request not to 127.0.0.1
aborted. Through omote no attempted request may be one that @ghostery/adblocker blocks with
EasyPrivacy; directly, some must be (or the check proves nothing).

Needs ../shared/testdata (skips without it, fails under CI=true), /usr/bin/chromium, node, and the npm
packages of tests/browser and tests/oracle (scripts/test installs them all).
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import test_shared_pages as S  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGES_MJS = os.path.join(H.SOURCE_DIR, "tests", "browser", "pages.mjs")
PLAYWRIGHT = os.path.join(H.SOURCE_DIR, "tests", "browser", "node_modules", "playwright-core")
# many trackers each, of every kind (see ../shared/testdata/README.md)
PAGES = ["pixnet", "wikia", "nytimes-1", "medicalnewstoday", "seattletimes-1", "article-author-tag"]
RUN_TIMEOUT_SEC = 240


class BrowserPagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = S.missing_prerequisite()
        if why is None and not os.access(CHROMIUM, os.X_OK):
            why = "%s absent (Debian package chromium)" % CHROMIUM
        if why is None and not os.path.isdir(PLAYWRIGHT):
            why = "playwright-core not installed (npm ci in tests/browser)"
        if why is not None:
            S.skip_or_fail(why)
        cls.stack = S.PagesStack(name="browser")
        cls.addClassCleanup(cls.stack.close)

    def test_no_blocked_request_through_omote(self):
        H.log("pages: %s" % ", ".join(PAGES))
        out_path = os.path.join(self.stack.dir, "pages.out")
        with open(out_path, "wb") as out:
            proc = H.spawn(["node", PAGES_MJS, "--direct", self.stack.direct_url, "--omote", self.stack.omote_url,
                            "--pages", ",".join(PAGES), "--list", S.EASYPRIVACY],
                           stdout=out, stderr=subprocess.STDOUT, cwd=H.SOURCE_DIR)
            try:
                rc = proc.wait(RUN_TIMEOUT_SEC)
            except subprocess.TimeoutExpired:
                rc = None
            finally:
                H.stop(proc)  # SIGTERM by PID: playwright closes its browser on it
        text = H.read_text(out_path)
        print(text)
        self.assertIsNotNone(rc, "pages.mjs did not finish within %d s" % RUN_TIMEOUT_SEC)
        if rc == 2:
            S.skip_or_fail(text.strip().splitlines()[-1] if text.strip() else "pages.mjs: prerequisite missing")
        self.assertEqual(rc, 0, "pages.mjs reported failures (above)")


if __name__ == "__main__":
    H.main()
