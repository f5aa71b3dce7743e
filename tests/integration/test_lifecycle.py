#!/usr/bin/python3
"""Process lifecycle: SIGTERM drains in-flight requests; SIGHUP reloads (valid, invalid, under load)."""

import copy
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def run_in_thread(fn):
    """Runs fn() in a daemon thread; returns (thread, box) where box holds 'result' or 'error'."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, box


class ShutdownTest(unittest.TestCase):
    def setUp(self):
        self.stack = H.Stack(tls=True, name="sigterm")
        self.addCleanup(self.stack.close)
        self.omote = self.stack.omote

    def wait_origin_hits(self, path, n, timeout=5.0):
        return H.wait_until(lambda: self.stack.origin.count()["by_path"].get(path, 0) >= n, timeout)

    def test_sigterm_drains_in_flight(self):
        http_port, tls_port = self.stack.http_port, self.stack.tls_port
        t1, box1 = run_in_thread(lambda: H.http1_request(http_port, "GET", "/_test/slow?ms=1500", timeout=20))
        h2conn = H.H2Conn(tls_port, timeout=20)
        self.addCleanup(h2conn.close)
        sid = h2conn.start_request([(":method", "GET"), (":scheme", "https"), (":authority", "localhost"),
                                    (":path", "/_test/slow?ms=1500")])
        t2, box2 = run_in_thread(lambda: h2conn.wait(sid, timeout=20))
        self.assertTrue(self.wait_origin_hits("/_test/slow", 2), "the slow requests did not reach the origin")

        self.omote.signal(signal.SIGTERM)
        t_sig = time.monotonic()
        refused = H.wait_until(lambda: H.connection_refused(http_port) and H.connection_refused(tls_port), 1.0,
                               0.02)
        still_draining = self.omote.alive()
        H.log("new connections refused %s (%.2f s after SIGTERM, omote still draining: %s)"
              % (bool(refused), time.monotonic() - t_sig, still_draining))

        t1.join(20)
        t2.join(20)
        self.assertNotIn("error", box1, box1.get("error"))
        self.assertNotIn("error", box2, box2.get("error"))
        r1, r2 = box1["result"], box2["result"]
        self.assertEqual(r1.status, 200, r1)
        self.assertEqual(r1.body, b"slept 1500 ms\n")
        self.assertEqual(r2.status, 200, r2)
        self.assertIsNone(r2.reset, r2)
        self.assertEqual(r2.body, b"slept 1500 ms\n")
        self.assertGreaterEqual(h2conn.goaway_count, 1, "no GOAWAY on the HTTP/2 connection during the drain")

        try:
            rc = self.omote.proc.wait(12)  # drain_ms is 10000
        except Exception:  # noqa: BLE001
            rc = None
        H.log("omote exited with %s %.2f s after SIGTERM" % (rc, time.monotonic() - t_sig))
        self.assertEqual(rc, 0, self.omote.stderr())
        self.assertTrue(refused, "new connections were still accepted after SIGTERM")
        self.assertTrue(H.connection_refused(http_port))
        self.assertTrue(H.connection_refused(self.omote.admin_port))

    def test_sigterm_idle_exits_quickly(self):
        with H.HTTP1Conn(self.stack.http_port) as c:  # an idle keep-alive connection must not hold the exit
            self.assertEqual(c.request("GET", "/_test/status?code=200").status, 200)
            self.omote.signal(signal.SIGTERM)
            rc = self.omote.proc.wait(12)
        self.assertEqual(rc, 0, self.omote.stderr())


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.stack = H.Stack(tls=True, name="reload")
        self.addCleanup(self.stack.close)
        self.omote = self.stack.omote
        self.origin1 = self.stack.origin
        self.origin2 = H.Origin(self.stack.dir, name="origin2").start()
        self.addCleanup(self.origin2.stop)

    def hits(self, origin, path):
        return origin.count()["by_path"].get(path, 0)

    def config_for(self, origin):
        conf = copy.deepcopy(self.omote.config)
        conf["origin"]["url"] = origin.url
        return conf

    def test_sighup_switches_origin(self):
        pid = self.omote.pid
        path = "/reload-probe.html"
        with H.HTTP1Conn(self.stack.http_port) as keep:
            self.assertEqual(keep.request("GET", path).status, 404)
            self.assertEqual(self.hits(self.origin1, path), 1)
            self.assertEqual(self.hits(self.origin2, path), 0)

            self.omote.write_config(self.config_for(self.origin2))
            self.omote.signal(signal.SIGHUP)
            self.assertTrue(H.wait_until(lambda: "reloaded" in self.omote.stderr(), 3.0),
                            "no 'reloaded' line on stderr:\n" + self.omote.stderr())
            # every new request goes to origin2: on a fresh connection, on the old keep-alive
            # connection, and over HTTP/2
            for _ in range(5):
                self.assertEqual(H.http1_request(self.stack.http_port, "GET", path).status, 404)
                self.assertEqual(keep.request("GET", path).status, 404)
            with H.H2Conn(self.stack.tls_port) as c:
                self.assertEqual(c.request("GET", path).status, 404)
        self.assertEqual(self.hits(self.origin2, path), 11)
        self.assertEqual(self.hits(self.origin1, path), 1)
        self.assertTrue(self.omote.alive())
        self.assertEqual(self.omote.pid, pid)
        self.assertEqual(self.omote.admin_get("/healthz").status, 200)
        m = self.omote.metrics()
        self.assertGreaterEqual(m.get("omote_config_reloads_total", 0), 1)
        self.assertGreaterEqual(m.get("omote_config_generation", 0), 2)

    def test_sighup_with_requests_in_flight(self):
        # requests already at origin1 finish there (on the retired link); new ones go to origin2
        http_port, tls_port = self.stack.http_port, self.stack.tls_port
        t1, box1 = run_in_thread(lambda: H.http1_request(http_port, "GET", "/_test/slow?ms=1500", timeout=20))
        t2, box2 = run_in_thread(lambda: H.http1_request(http_port, "GET", "/_test/slow-body?ms=1500", timeout=20))
        h2conn = H.H2Conn(tls_port, timeout=20)
        self.addCleanup(h2conn.close)
        sid = h2conn.start_request([(":method", "GET"), (":scheme", "https"), (":authority", "localhost"),
                                    (":path", "/_test/slow?ms=1500")])
        t3, box3 = run_in_thread(lambda: h2conn.wait(sid, timeout=20))
        self.assertTrue(H.wait_until(lambda: self.hits(self.origin1, "/_test/slow") >= 2
                                     and self.hits(self.origin1, "/_test/slow-body") >= 1, 5.0))
        self.omote.write_config(self.config_for(self.origin2))
        self.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: "reloaded" in self.omote.stderr(), 3.0), self.omote.stderr())
        for _ in range(3):
            self.assertEqual(H.http1_request(http_port, "GET", "/after-reload.html").status, 404)
        for t in (t1, t2, t3):
            t.join(20)
        for box in (box1, box2, box3):
            self.assertNotIn("error", box, box.get("error"))
        self.assertEqual(box1["result"].status, 200)
        self.assertEqual(box1["result"].body, b"slept 1500 ms\n")
        self.assertEqual(box2["result"].status, 200)
        self.assertEqual(box2["result"].body, b"slow-body: first part\nslow-body: second part\n")
        self.assertEqual(box3["result"].status, 200)
        self.assertEqual(box3["result"].body, b"slept 1500 ms\n")
        self.assertEqual(self.hits(self.origin2, "/after-reload.html"), 3)
        self.assertEqual(self.hits(self.origin2, "/_test/slow"), 0)
        # the retired link is gone; the process is healthy and still proxies
        for _ in range(3):
            self.assertEqual(H.http1_request(http_port, "GET", "/_test/status?code=200").status, 200)
        self.assertTrue(self.omote.alive())

    def test_sighup_then_in_flight_request_times_out(self):
        # the retired link's last request ends inside the link's own timer (a 504); freeing the
        # link there crashed the process once, so the link must be freed later, from a fresh stack
        conf = copy.deepcopy(self.omote.config)
        conf["origin"]["io_timeout_ms"] = 500
        self.omote.write_config(conf)
        self.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: self.omote.stderr().count("reloaded") >= 1, 3.0), self.omote.stderr())
        http_port = self.stack.http_port
        t, box = run_in_thread(lambda: H.http1_request(http_port, "GET", "/_test/slow?ms=2000", timeout=20))
        self.assertTrue(H.wait_until(lambda: self.hits(self.origin1, "/_test/slow") >= 1, 5.0))
        self.omote.write_config(self.config_for(self.origin2))
        self.omote.signal(signal.SIGHUP)
        t.join(20)
        self.assertNotIn("error", box, box.get("error"))
        self.assertEqual(box["result"].status, 504)
        time.sleep(0.3)
        self.assertTrue(self.omote.alive(), "omote died after a retired link's last request timed out")
        self.assertEqual(H.http1_request(http_port, "GET", "/_test/status?code=200").status, 200)

    def test_sighup_invalid_file_keeps_serving(self):
        pid = self.omote.pid
        path = "/reload-bad.html"
        good = H.read_text(self.omote.config_path)
        with open(self.omote.config_path, "w") as f:
            f.write(good.replace(self.origin1.url, self.origin2.url).replace("\"threads\"", "\"threads\" 2, \"x\""))
        self.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: "reload_failed" in self.omote.stderr(), 3.0),
                        "no 'reload_failed' line on stderr:\n" + self.omote.stderr())
        for _ in range(5):
            self.assertEqual(H.http1_request(self.stack.http_port, "GET", path).status, 404)
        with H.H2Conn(self.stack.tls_port) as c:
            self.assertEqual(c.request("GET", path).status, 404)
        self.assertEqual(self.hits(self.origin1, path), 6)
        self.assertEqual(self.hits(self.origin2, path), 0)
        self.assertTrue(self.omote.alive())
        self.assertEqual(self.omote.pid, pid)
        self.assertNotIn("reloaded", self.omote.stderr())
        m = self.omote.metrics()
        self.assertGreaterEqual(m.get("omote_config_reload_failures_total", 0), 1)

    def test_sighup_invalid_value_keeps_serving(self):
        conf = self.config_for(self.origin2)
        conf["limits"]["header_count"] = 0  # out of range
        self.omote.write_config(conf)
        self.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: "reload_failed" in self.omote.stderr(), 3.0), self.omote.stderr())
        r = H.http1_request(self.stack.http_port, "GET", "/reload-bad2.html")
        self.assertEqual(r.status, 404)
        self.assertEqual(self.hits(self.origin1, "/reload-bad2.html"), 1)

    def test_reload_under_load(self):
        conf_a = self.config_for(self.origin1)
        conf_b = self.config_for(self.origin2)
        # a load generator opens hundreds of connections a second from one address, which the
        # per-address connection rate (test_hardening_conn) exists to refuse: off for this test
        for conf in (conf_a, conf_b):
            conf.setdefault("limits", {}).update({"connections_per_second_per_address": 0, "requests_per_second_per_address": 0})
        self.omote.write_config(conf_a)
        self.omote.signal(signal.SIGHUP)
        self.assertTrue(H.wait_until(lambda: self.omote.stderr().count("event=reloaded") >= 1, 3.0), self.omote.stderr())
        path_a = os.path.join(self.stack.dir, "reload-a.json")
        path_b = os.path.join(self.stack.dir, "reload-b.json")
        H.write_json(path_a, conf_a)
        H.write_json(path_b, conf_b)
        http_port, tls_port = self.stack.http_port, self.stack.tls_port
        duration = 4.0
        stop = threading.Event()
        lock = threading.Lock()
        totals = {"ok": 0, "fail": 0, "connections": 0}
        failures = []
        targets = [("/_test/bytes?n=2000", H.expected_bytes(2000)), ("/_test/chunked", H.DEFAULT_CHUNKED_BODY),
                   ("/_test/status?code=200", b"status 200\n")]

        def record(ok, what=None):
            with lock:
                if ok:
                    totals["ok"] += 1
                else:
                    totals["fail"] += 1
                    if len(failures) < 10:
                        failures.append(what)

        def check(r, body):
            return r.status == 200 and r.body == body

        def h1_keepalive(idx):
            i = 0
            for _ in range(100000):
                if stop.is_set():
                    return
                try:
                    with H.HTTP1Conn(http_port, timeout=10) as c:
                        with lock:
                            totals["connections"] += 1
                        for _ in range(20):
                            if stop.is_set():
                                return
                            t, body = targets[i % len(targets)]
                            i += 1
                            r = c.request("GET", t)
                            record(check(r, body), "keep-alive %s -> %r" % (t, r))
                            if r.closed:
                                record(False, "keep-alive connection closed by omote after %s" % t)
                                break
                except Exception as e:  # noqa: BLE001
                    record(False, "keep-alive thread %d: %r" % (idx, e))

        def h1_new_connections(idx):
            i = 0
            for _ in range(100000):
                if stop.is_set():
                    return
                t, body = targets[i % len(targets)]
                i += 1
                try:
                    r = H.http1_request(http_port, "GET", t, timeout=10)
                    with lock:
                        totals["connections"] += 1
                    record(check(r, body), "new connection %s -> %r" % (t, r))
                except Exception as e:  # noqa: BLE001
                    record(False, "new-connection thread %d: %r" % (idx, e))

        def h2_keepalive(idx):
            i = 0
            for _ in range(100000):
                if stop.is_set():
                    return
                try:
                    with H.H2Conn(tls_port, timeout=10) as c:
                        with lock:
                            totals["connections"] += 1
                        for _ in range(50):
                            if stop.is_set():
                                return
                            t, body = targets[i % len(targets)]
                            i += 1
                            r = c.request("GET", t)
                            record(check(r, body) and r.reset is None, "h2 %s -> %r" % (t, r))
                            if r.goaway is not None:
                                record(False, "h2 GOAWAY during reload: %r" % r)
                                break
                except Exception as e:  # noqa: BLE001
                    record(False, "h2 thread %d: %r" % (idx, e))

        workers = [threading.Thread(target=f, args=(n,), daemon=True)
                   for n, f in enumerate((h1_keepalive, h1_keepalive, h1_new_connections, h2_keepalive))]
        for w in workers:
            w.start()
        sighups = 0
        t_end = time.monotonic() + duration
        try:
            while time.monotonic() < t_end and sighups < 100:
                time.sleep(0.2)
                src = path_b if sighups % 2 == 0 else path_a
                with open(src) as f:
                    text = f.read()
                with open(self.omote.config_path + ".tmp", "w") as f:
                    f.write(text)
                os.replace(self.omote.config_path + ".tmp", self.omote.config_path)
                self.omote.signal(signal.SIGHUP)
                sighups += 1
        finally:
            stop.set()
            for w in workers:
                w.join(15)
        c1 = self.origin1.total()
        c2 = self.origin2.total()
        H.log("reload under load: %d SIGHUPs, %d requests ok, %d failed, %d client connections; "
              "origin1 saw %d, origin2 saw %d" % (sighups, totals["ok"], totals["fail"], totals["connections"], c1, c2))
        for f in failures:
            H.log("  failure: %s" % f)
        self.assertFalse(any(w.is_alive() for w in workers), "a client thread did not stop")
        self.assertTrue(self.omote.alive(), self.omote.stderr())
        self.assertEqual(totals["fail"], 0, "failures during reloads: %s" % failures)
        self.assertGreater(totals["ok"], 0)
        self.assertGreater(c1, 0)
        self.assertGreater(c2, 0)
        self.assertNotIn("reload_failed", self.omote.stderr())
        self.assertEqual(self.omote.admin_get("/healthz").status, 200)


if __name__ == "__main__":
    H.main()
