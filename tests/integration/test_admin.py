#!/usr/bin/python3
"""The admin listener: /healthz, /readyz (Redis and origin), /metrics, 404 and 405."""

import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def readyz(omote):
    r = omote.admin_get("/readyz", timeout=5)
    return r, (r.json() if r.body else None)


class AdminBasicTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = H.Stack(tls=False, name="admin")
        cls.addClassCleanup(cls.stack.close)
        cls.omote = cls.stack.omote

    def test_healthz(self):
        r = self.omote.admin_get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("content-type", "").startswith("application/json"), r)
        self.assertIsInstance(r.json(), dict)

    def test_healthz_head(self):
        r = self.omote.admin_get("/healthz", method="HEAD")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")

    def test_readyz(self):
        r, j = readyz(self.omote)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("content-type", "").startswith("application/json"), r)
        self.assertIs(j["ready"], True)
        self.assertIs(j["redis"]["up"], True)
        self.assertIs(j["origin"]["up"], True)

    def test_metrics(self):
        before = self.omote.metrics()
        for _ in range(5):
            r = H.http1_request(self.stack.http_port, "GET", "/index.html")
            self.assertEqual(r.status, 200)
        key = 'omote_http_requests_total{class="2xx"}'
        self.assertIn(key, before)

        def increased():
            m = self.omote.metrics()
            return m if m.get(key, 0) >= before[key] + 5 else None

        after = H.wait_until(increased, 3.0)
        self.assertIsNotNone(after, "2xx counter did not increase by 5")
        r = self.omote.admin_get("/metrics")
        self.assertTrue(r.header("content-type", "").startswith("text/plain"), r)
        text = r.body.decode()
        for name in ("omote_origin_response_seconds_bucket", "omote_connections_open", "omote_bytes_sent_total",
                     "omote_redis_connections_up"):
            self.assertRegex(text, r"(?m)^%s(\{[^}]*\})? [0-9.eE+-]+$" % name, name)
        self.assertGreater(after["omote_bytes_sent_total"], before.get("omote_bytes_sent_total", 0))
        self.assertGreaterEqual(after["omote_redis_connections_up"], 1)
        buckets = [v for k, v in after.items() if k.startswith("omote_origin_response_seconds_bucket")]
        self.assertTrue(buckets)
        self.assertGreaterEqual(max(buckets), 5)
        inf = [v for k, v in after.items() if k.startswith("omote_origin_response_seconds_bucket") and '"+Inf"' in k]
        self.assertEqual(len(inf), 1, "no le=\"+Inf\" bucket")

    def test_metrics_status_classes(self):
        key4 = 'omote_http_requests_total{class="4xx"}'
        key5 = 'omote_http_requests_total{class="5xx"}'
        before = self.omote.metrics()
        H.http1_request(self.stack.http_port, "GET", "/_test/status?code=404")
        H.http1_request(self.stack.http_port, "GET", "/_test/status?code=503")
        after = H.wait_until(lambda: (lambda m: m if m.get(key4, 0) > before.get(key4, 0)
                                      and m.get(key5, 0) > before.get(key5, 0) else None)(self.omote.metrics()), 3.0)
        self.assertIsNotNone(after)

    def test_connections_open_gauge(self):
        with H.HTTP1Conn(self.stack.http_port) as c:
            c.request("GET", "/_test/status?code=200")
            m = self.omote.metrics()
            self.assertGreaterEqual(m["omote_connections_open"], 1)

    def test_unknown_path_404_json(self):
        for path in ("/nope", "/healthz/extra", "/index.html"):
            with self.subTest(path=path):
                r = self.omote.admin_get(path)
                self.assertEqual(r.status, 404)
                self.assertTrue(r.header("content-type", "").startswith("application/json"), r)
                json.loads(r.body)

    def test_post_healthz_405(self):
        for path in ("/healthz", "/readyz", "/metrics"):
            with self.subTest(path=path):
                r = H.http1_request(self.omote.admin_port, "POST", path, body=b"{}")
                self.assertEqual(r.status, 405)

    def test_admin_is_not_the_proxy(self):
        # the admin port never proxies to the origin, and the proxy port has no admin pages
        r = self.omote.admin_get("/_test/echo")
        self.assertEqual(r.status, 404)
        r = H.http1_request(self.stack.http_port, "GET", "/healthz")
        self.assertEqual(r.status, 404)  # the origin's 404 (static file not found)
        self.assertEqual(r.body, b"404 not found\n")


class AdminRedisTest(unittest.TestCase):
    def setUp(self):
        self.stack = H.Stack(tls=False, name="admin-redis")
        self.addCleanup(self.stack.close)
        self.omote = self.stack.omote

    def test_redis_down_and_back(self):
        r, j = readyz(self.omote)
        self.assertEqual(r.status, 200, r)
        up_before = self.omote.metrics()["omote_redis_connections_up"]
        redis_port = self.stack.redis.port

        self.stack.redis.stop()
        t0 = time.monotonic()
        got = H.wait_until(lambda: (lambda rj: rj if rj[0].status == 503 else None)(readyz(self.omote)), 3.0, 0.1)
        self.assertIsNotNone(got, "readyz did not turn 503 within 3 s of redis-server stopping")
        r, j = got
        H.log("readyz 503 %.2f s after redis-server stopped: %s" % (time.monotonic() - t0, r.body.decode().strip()))
        self.assertIs(j["ready"], False)
        self.assertIs(j["redis"]["up"], False)
        self.assertIs(j["origin"]["up"], True)
        self.assertTrue(r.header("content-type", "").startswith("application/json"))
        # the proxy keeps working without Redis
        p = H.http1_request(self.stack.http_port, "GET", "/index.html")
        self.assertEqual(p.status, 200)
        self.assertIs(self.omote.alive(), True)

        self.stack.redis = H.RedisServer(self.stack.dir, port=redis_port).start()
        t0 = time.monotonic()
        got = H.wait_until(lambda: (lambda rj: rj if rj[0].status == 200 else None)(readyz(self.omote)), 5.0, 0.1)
        self.assertIsNotNone(got, "readyz did not return to 200 within 5 s of redis-server restarting")
        H.log("readyz 200 again %.2f s after redis-server restarted" % (time.monotonic() - t0))
        self.assertIs(got[1]["ready"], True)
        self.assertIs(got[1]["redis"]["up"], True)
        up = H.wait_until(lambda: self.omote.metrics()["omote_redis_connections_up"] >= up_before, 5.0, 0.1)
        self.assertTrue(up, "not every thread reconnected to Redis")


class AdminRedisStallTest(unittest.TestCase):
    """A Redis that accepts commands but does not answer: the command timeout must fire, the
    connection must be rebuilt, and readiness must come back once Redis answers again."""

    def setUp(self):
        self.stack = H.Stack(tls=False, name="admin-redis-stall")
        self.addCleanup(self.stack.close)
        self.omote = self.stack.omote

    def test_stalled_redis_times_out_and_recovers(self):
        r, _ = readyz(self.omote)
        self.assertEqual(r.status, 200, r)
        timeouts_before = self.omote.metrics().get("omote_redis_timeouts_total", 0)

        # a stopped process keeps its sockets open but answers nothing, as a stalled disk or a long
        # command would make it (DEBUG SLEEP is disabled by default in Redis 7)
        os.kill(self.stack.redis.proc.pid, signal.SIGSTOP)
        self.addCleanup(os.kill, self.stack.redis.proc.pid, signal.SIGCONT)
        t0 = time.monotonic()
        r, j = readyz(self.omote)
        waited = time.monotonic() - t0
        H.log("readyz during a 2 s Redis stall: %d after %.2f s: %s" % (r.status, waited, r.body.decode().strip()))
        self.assertEqual(r.status, 503, r)
        self.assertIs(j["redis"]["up"], False)
        self.assertEqual(j["redis"]["detail"], "timeout")
        self.assertLess(waited, 1.5, "readyz waited for Redis beyond the command timeout (250 ms)")
        os.kill(self.stack.redis.proc.pid, signal.SIGCONT)

        got = H.wait_until(lambda: (lambda rj: rj if rj[0].status == 200 else None)(readyz(self.omote)), 5.0, 0.1)
        self.assertIsNotNone(got, "readyz did not recover within 5 s after the stall ended")
        self.assertGreater(self.omote.metrics()["omote_redis_timeouts_total"], timeouts_before)


class AdminRedisLateTest(unittest.TestCase):
    def setUp(self):
        # omote starts while nothing listens on its Redis port
        self.stack = H.Stack(tls=False, name="admin-redis-late", start_redis=False)
        self.addCleanup(self.stack.close)
        self.omote = self.stack.omote

    def test_starts_without_redis_and_connects_later(self):
        self.assertEqual(self.omote.admin_get("/healthz").status, 200)
        r, j = readyz(self.omote)
        self.assertEqual(r.status, 503, r)
        self.assertIs(j["redis"]["up"], False)
        self.assertEqual(H.http1_request(self.stack.http_port, "GET", "/").status, 200)
        port = int(self.stack.config["redis"]["address"].rsplit(":", 1)[1])
        self.stack.redis = H.RedisServer(self.stack.dir, port=port).start()
        got = H.wait_until(lambda: (lambda rj: rj if rj[0].status == 200 else None)(readyz(self.omote)), 5.0, 0.1)
        self.assertIsNotNone(got, "readyz did not turn 200 within 5 s of redis-server starting")


class AdminOriginDownTest(unittest.TestCase):
    def setUp(self):
        self.stack = H.Stack(tls=False, name="admin-origin")
        self.addCleanup(self.stack.close)
        self.omote = self.stack.omote

    def test_origin_down(self):
        r, j = readyz(self.omote)
        self.assertEqual(r.status, 200, r)
        self.stack.origin.stop()
        got = H.wait_until(lambda: (lambda rj: rj if rj[0].status == 503 else None)(readyz(self.omote)), 3.0, 0.1)
        self.assertIsNotNone(got, "readyz did not turn 503 after the origin stopped")
        r, j = got
        H.log("readyz with origin down: %s" % r.body.decode().strip())
        self.assertIs(j["ready"], False)
        self.assertIs(j["origin"]["up"], False)
        self.assertIs(j["redis"]["up"], True)
        r = self.omote.admin_get("/healthz")
        self.assertEqual(r.status, 200)


if __name__ == "__main__":
    H.main()
